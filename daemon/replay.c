/*
 * replay: see replay.h.
 *
 * Each series keeps a buffer of decoded bars refilled from its cursor.
 * Merging is by groups: the earliest delivery time t among the series'
 * heads is found with one pass over them, then every series whose head is
 * at t gives its bar, in the order the symbols were given.  Series of one
 * timeframe are aligned, so a pass serves a bar of every symbol: a couple
 * of compares per bar where a heap costs a sift of log2(n) levels.  With
 * many series (past GROUP_MAX) the pass would cost too much when they are
 * not aligned, and a binary min-heap keyed by (delivery time, series
 * index) is used instead.  Both give the same order.  Once one series is
 * left (from the start, for a single instrument) nothing needs merging:
 * its bars are decoded from the store straight into the events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "replay.h"
#include "ticks.h"

#define SERIES_BUF 128
#define GROUP_MAX  256 /* series merged by groups; more: a heap */
#define TICK_BUF   256
#define BAR_BUF    256

/* A trade or quote series, merged with the bars (see replay.h). */
struct tseries {
	struct trd_tick_cursor cur;
	struct trd_tick        buf[TICK_BUF];
	int                    n, i, eof;
	uint32_t               sym;
	int                    kind;   /* TRD_TICK_* */
	uint32_t               rank;   /* the tie order among the heads */
	uint64_t               count;
};

struct series {
	struct trd_bar_cursor cur;
	struct trd_series_summary sum;
	struct trd_bar        buf[SERIES_BUF];
	int                   n, i;  /* filled, next */
	int                   eof;
	int64_t               head;  /* delivery time of buf[i] */
	size_t                idx;   /* position in the symbol list */
	uint32_t              sym;   /* the registry handle its bars carry */
};

struct replay {
	struct trd_source base;
	struct trd_store *store;
	uint32_t          tf_s;
	int64_t           tf_ns;
	size_t            nseries;
	struct series   **heap;     /* live series: in index order (groups),
				     * or a min-heap by (head, idx) */
	size_t            nheap;
	int               groups;   /* merge by groups (nseries <= GROUP_MAX) */
	/* A group cut short by a full batch: its time and where to go on. */
	int64_t           group_t;
	size_t            group_at;
	int               in_group;
	/* Ticks: their series, and the bars pulled ahead of the merge. */
	struct tseries   *ts;
	size_t            nts;
	struct trd_event *bb;
	int               bn, bi, beof;
	struct series     series[]; /* nseries of them */
};

/* Refill s; returns 1 if it has a bar, 0 at its end, <0 on error. */
static int
series_fill(struct replay *r, struct series *s)
{
	int n;

	if (s->i < s->n)
		return 1;
	if (s->eof)
		return 0;
	n = trd_bar_cursor_read(&s->cur, s->buf, SERIES_BUF);
	if (n < 0) {
		log_error("reading bars: %s", trd_strerror(n));
		return n;
	}
	for (int j = 0; j < n; j++)
		s->buf[j].sym = s->sym;
	s->n = n;
	s->i = 0;
	if (n == 0) {
		s->eof = 1;
		return 0;
	}
	s->head = s->buf[0].ts_ns + r->tf_ns;
	return 1;
}

/* The event delivering bar b: at its close, b's time plus the timeframe. */
static inline void
bar_event(struct trd_event *ev, const struct trd_bar *b, int64_t tf_ns)
{
	ev->ts_ns = b->ts_ns + tf_ns;
	ev->type = TRD_EV_BAR;
	ev->sym = b->sym;
	ev->u.bar = *b;
}

/* One series left, nothing buffered: read its next bars straight into
 * the events.  Returns the count, 0 at its end, <0 on error. */
static int
series_read_events(struct replay *r, struct series *s, struct trd_event *ev,
		   int max)
{
	int n;

	if (s->eof)
		return 0;
	n = trd_bar_cursor_read_strided(&s->cur, &ev->u.bar, sizeof(*ev), max);
	if (n < 0) {
		log_error("reading bars: %s", trd_strerror(n));
		return n;
	}
	if (n == 0)
		s->eof = 1;
	for (int j = 0; j < n; j++) {
		ev[j].ts_ns = ev[j].u.bar.ts_ns + r->tf_ns;
		ev[j].type = TRD_EV_BAR;
		ev[j].sym = ev[j].u.bar.sym = s->sym;
	}
	return n;
}

static int
less(const struct series *a, const struct series *b)
{
	return a->head < b->head || (a->head == b->head && a->idx < b->idx);
}

static void
heap_down(struct replay *r, size_t i)
{
	struct series *s = r->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct series *best = s;
		if (l < r->nheap && less(r->heap[l], best))
			best = r->heap[m = l];
		if (l + 1 < r->nheap && less(r->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		r->heap[i] = r->heap[m];
		i = m;
	}
	r->heap[i] = s;
}

/*
 * Merge by groups while two or more series are left (see the top).  A
 * batch that fills in the middle of a group remembers where it stopped.
 * Returns the count, or <0 on error.
 */
static int
pull_groups(struct replay *r, struct trd_event *out, int max)
{
	int n = 0, rc;

	while (n < max && r->nheap > 1) {
		size_t i, live;
		int64_t t;

		if (!r->in_group) {
			t = r->heap[0]->head;
			for (i = 1; i < r->nheap; i++)
				if (r->heap[i]->head < t)
					t = r->heap[i]->head;
			r->group_t = t;
			r->group_at = 0;
			r->in_group = 1;
		}
		t = r->group_t;
		for (i = r->group_at; i < r->nheap && n < max; i++) {
			struct series *s = r->heap[i];
			if (s->head != t)
				continue;
			bar_event(&out[n++], &s->buf[s->i], r->tf_ns);
			if (++s->i < s->n)
				s->head = s->buf[s->i].ts_ns + r->tf_ns;
			else if ((rc = series_fill(r, s)) < 0)
				return rc;
			else if (rc == 0)
				s->head = INT64_MAX; /* ended: dropped below */
		}
		if (i < r->nheap) {
			r->group_at = i;
			break;
		}
		r->in_group = 0;
		/* Drop the series that ended, keeping the order. */
		for (i = live = 0; i < r->nheap; i++)
			if (r->heap[i]->head != INT64_MAX)
				r->heap[live++] = r->heap[i];
		r->nheap = live;
	}
	return n;
}

static int
bars_pull(struct replay *r, struct trd_event *out, int max)
{
	int n = 0, rc;

	if (r->groups && r->nheap > 1) {
		if ((n = pull_groups(r, out, max)) < 0)
			return n;
		/* A group cut short: go on with it next time, in order. */
		if (r->in_group)
			return n;
	}
	while (n < max && r->nheap > 0) {
		struct series *s = r->heap[0];
		int k;

		if (r->nheap == 1 && s->i == s->n) {
			if ((k = series_read_events(r, s, out + n, max - n)) < 0)
				return k;
			if (k == 0)
				r->nheap = 0;
			n += k;
			continue;
		}
		/* Merging takes one bar at a time; the last series left
		 * first hands over what it has buffered. */
		k = r->nheap > 1 ? 1
			: s->n - s->i < max - n ? s->n - s->i : max - n;
		for (int j = 0; j < k; j++)
			bar_event(&out[n++], &s->buf[s->i + j], r->tf_ns);
		s->i += k;
		if (s->i < s->n) {
			s->head = s->buf[s->i].ts_ns + r->tf_ns;
		} else if (r->nheap == 1) {
			continue; /* read straight into the events from now */
		} else if ((rc = series_fill(r, s)) < 0) {
			return rc;
		} else if (rc == 0) {
			r->heap[0] = r->heap[--r->nheap];
		}
		if (r->nheap > 1)
			heap_down(r, 0);
	}
	return n;
}

/* Refill tick series t: 1 it has a head, 0 ended, <0 error. */
static int
tseries_fill(struct tseries *t)
{
	int n;

	if (t->i < t->n)
		return 1;
	if (t->eof)
		return 0;
	if ((n = trd_tick_cursor_read(&t->cur, t->buf, TICK_BUF)) < 0) {
		log_error("reading %s: %s", trd_tick_kind_name(t->kind),
			  trd_strerror(n));
		return n;
	}
	t->n = n;
	t->i = 0;
	if (n == 0)
		t->eof = 1;
	return n > 0;
}

/*
 * Bars and ticks by time.  At one time: bars first (they closed at it:
 * what they say was known before anything at that instant), then quotes,
 * then trades, each in symbol order; a series keeps its (time, id) order.
 */
static int
merged_pull(struct replay *r, struct trd_event *out, int max)
{
	int n = 0, rc;

	while (n < max) {
		struct tseries *best = NULL;
		int64_t bt = INT64_MAX;

		if (r->bi == r->bn && !r->beof) {
			if ((rc = bars_pull(r, r->bb, BAR_BUF)) < 0)
				return rc;
			r->bn = rc;
			r->bi = 0;
			r->beof = rc == 0;
		}
		if (r->bi < r->bn)
			bt = r->bb[r->bi].ts_ns;
		for (size_t i = 0; i < r->nts; i++) {
			struct tseries *t = &r->ts[i];
			int64_t h;
			if (t->i == t->n && (rc = tseries_fill(t)) <= 0) {
				if (rc < 0)
					return rc;
				continue;
			}
			h = t->buf[t->i].ts_ns;
			/* A bar wins a tie with a tick; ticks tie by rank. */
			if (best == NULL ? h < bt
					 : h < bt || (h == bt && t->rank <
								best->rank)) {
				best = t;
				bt = h;
			}
		}
		if (best == NULL) {
			if (r->bi == r->bn)
				break; /* everything has ended */
			out[n++] = r->bb[r->bi++];
			continue;
		}
		{
			const struct trd_tick *k = &best->buf[best->i++];
			struct trd_event *ev = &out[n++];
			ev->ts_ns = k->ts_ns;
			ev->sym = best->sym;
			if (best->kind == TRD_TICK_TRADES) {
				ev->type = TRD_EV_TRADE;
				trd_tick_to_trade(k, best->sym, &ev->u.trade);
			} else {
				ev->type = TRD_EV_QUOTE;
				trd_tick_to_quote(k, best->sym, &ev->u.quote);
			}
			best->count++;
		}
	}
	return n;
}

static int
replay_pull(struct trd_source *src, struct trd_event *out, int max)
{
	struct replay *r = (struct replay *)src;

	return r->nts ? merged_pull(r, out, max) : bars_pull(r, out, max);
}

static void
replay_destroy(struct trd_source *src)
{
	struct replay *r = (struct replay *)src;

	for (size_t i = 0; i < r->nseries; i++)
		trd_bar_cursor_close(&r->series[i].cur);
	for (size_t i = 0; i < r->nts; i++)
		trd_tick_cursor_close(&r->ts[i].cur);
	free(r->ts);
	free(r->bb);
	free(r->heap);
	free(r);
}

static const struct trd_source_ops replay_ops = {
	.kind = "replay",
	.pull = replay_pull,
	.destroy = replay_destroy,
};

/* The tick series of every instrument: quotes, then trades (their tie
 * order), each in symbol order. */
static int
open_ticks(struct replay *r, const struct trd_registry *reg, int ticks,
	   int64_t from_ns, int64_t to_ns)
{
	static const int kinds[] = { TRD_TICK_QUOTES, TRD_TICK_TRADES };
	size_t n = 0;
	int rc;

	r->ts = calloc(2 * reg->n, sizeof(*r->ts));
	r->bb = calloc(BAR_BUF, sizeof(*r->bb));
	if (r->ts == NULL || r->bb == NULL)
		return -ENOMEM;
	for (int k = 0; k < 2; k++) {
		if (!(ticks & kinds[k]))
			continue;
		for (size_t i = 0; i < reg->n; i++) {
			struct tseries *t = &r->ts[n];
			t->sym = (uint32_t)i;
			t->kind = kinds[k];
			t->rank = (uint32_t)n;
			rc = trd_tick_cursor_open(&t->cur, r->store,
						  reg->v[i].store_id, kinds[k],
						  from_ns, to_ns);
			r->nts = ++n;
			if (rc == 0)
				rc = tseries_fill(t);
			if (rc < 0) {
				log_error("opening the %s of %s: %s",
					  trd_tick_kind_name(kinds[k]),
					  reg->v[i].symbol, trd_strerror(rc));
				return rc;
			}
			if (rc == 1 && from_ns == TRD_TIME_UNSET &&
			    (r->base.start_ns == TRD_TIME_UNSET ||
			     t->buf[0].ts_ns < r->base.start_ns))
				r->base.start_ns = t->buf[0].ts_ns;
		}
	}
	return 0;
}

int
trd_replay_open(struct trd_source **out, struct trd_store *store,
		const struct trd_registry *reg, uint32_t tf_s, int64_t from_ns,
		int64_t to_ns, int ticks)
{
	size_t nsyms = reg->n;
	struct replay *r;
	int rc;

	if (nsyms == 0 || tf_s == 0)
		return -EINVAL;
	for (size_t i = 0; i < nsyms; i++) {
		struct trd_instrument in;
		/* Says which instrument lacks data, and how to import it. */
		if (reg->v[i].store_id == TRD_INSTR_NO_STORE &&
		    (rc = trd_store_instrument_need(store, reg->v[i].symbol,
						    &in)) != 0)
			return rc;
	}
	r = calloc(1, sizeof(*r) + nsyms * sizeof(struct series));
	if (r == NULL || (r->heap = calloc(nsyms, sizeof(*r->heap))) == NULL) {
		free(r);
		return -ENOMEM;
	}
	r->base.ops = &replay_ops;
	r->base.start_ns = from_ns;
	r->store = store;
	r->tf_s = tf_s;
	r->tf_ns = (int64_t)tf_s * TRD_NS_PER_SEC;
	r->nseries = nsyms;
	for (size_t i = 0; i < nsyms; i++) {
		struct series *s = &r->series[i];
		s->idx = i;
		s->sym = (uint32_t)i;
		s->sum.sym = s->sym;
		s->sum.w = r->tf_ns > 0 ? r->tf_ns : TRD_NS_PER_SEC;
		rc = trd_bar_cursor_open(&s->cur, store, reg->v[i].store_id,
					 tf_s, from_ns, to_ns);
		s->cur.sum = &s->sum;
		if (rc == 0)
			rc = series_fill(r, s);
		if (rc < 0) {
			log_error("opening replay cursor: %s", trd_strerror(rc));
			replay_destroy(&r->base);
			return rc;
		}
		if (rc == 1) {
			r->heap[r->nheap++] = s;
			if (from_ns == TRD_TIME_UNSET &&
			    (r->base.start_ns == TRD_TIME_UNSET ||
			     s->buf[0].ts_ns < r->base.start_ns))
				r->base.start_ns = s->buf[0].ts_ns;
		}
	}
	if (ticks && (rc = open_ticks(r, reg, ticks, from_ns, to_ns)) != 0) {
		replay_destroy(&r->base);
		return rc;
	}
	/* Groups keep the series in index order; a heap is built. */
	r->groups = nsyms <= GROUP_MAX;
	for (size_t i = r->nheap / 2; !r->groups && i-- > 0;)
		heap_down(r, i);
	*out = &r->base;
	return 0;
}

const struct trd_series_summary *
trd_replay_summary(const struct trd_source *src, size_t i)
{
	const struct replay *r = (const struct replay *)src;

	return i < r->nseries ? &r->series[i].sum : NULL;
}

uint64_t
trd_replay_data_hash(const struct trd_source *src)
{
	const struct replay *r = (const struct replay *)src;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < r->nseries; i++) {
		const struct trd_series_summary *m = &r->series[i].sum;
		h = (h ^ m->hash) * 0x100000001b3ULL;
		h = (h ^ m->nbars) * 0x100000001b3ULL;
		h = (h ^ m->sym) * 0x100000001b3ULL;
	}
	return h;
}
