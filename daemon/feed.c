/*
 * feed: see feed.h.  Everything here is a function of the inputs: no
 * clock is read, nothing random, so a tape gives back what the live
 * session did.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "log.h"

#define RETRY_NS    (1 * TRD_NS_PER_SEC) /* a failed REST request again */
#define BAR_GRACE   (250 * TRD_NS_PER_MS) /* trades late for their bar */
#define FILL_LIMIT  1000                  /* rows per backfill request */
#define FILL_TRIES  5
#define MAX_FLAT    86400                 /* empty intervals filled */
#define AHEAD_NS    (60 * TRD_NS_PER_SEC) /* a trade time past the clock */

static void
emit(struct trd_feed *f, uint32_t type, uint32_t ins, const void *u,
     size_t ulen)
{
	struct trd_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = f->now;
	ev.type = type;
	ev.sym = ins;
	memcpy(&ev.u, u, ulen);
	f->emit(f->arg, &ev);
}

static void
ask(struct trd_feed *f, int what, uint32_t ins, uint64_t from)
{
	if (f->req)
		f->req(f->arg, what, ins, from);
}

const char *
trd_feed_interval(uint32_t tf, char *b)
{
	if (tf % 86400 == 0)
		snprintf(b, 16, "%ud", tf / 86400);
	else if (tf % 3600 == 0)
		snprintf(b, 16, "%uh", tf / 3600);
	else if (tf % 60 == 0)
		snprintf(b, 16, "%um", tf / 60);
	else
		snprintf(b, 16, "%us", tf);
	return b;
}

int
trd_feed_nstreams(const struct trd_feed_conf *c)
{
	return __builtin_popcount(c->streams);
}

int
trd_feed_streams(const struct trd_feed_conf *c, const struct trd_registry *reg,
		 size_t from, size_t to, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = from; i < to && i < reg->n; i++) {
		const struct trd_instr *in = &reg->v[i];
		const char *name = in->venue_symbol[0] ? in->venue_symbol
						       : in->symbol;
		char low[TRD_SYMBOL_MAX + 1];
		size_t k;

		for (k = 0; name[k] && k < TRD_SYMBOL_MAX; k++)
			low[k] = (char)(name[k] >= 'A' && name[k] <= 'Z'
					? name[k] + 32 : name[k]);
		low[k] = '\0';
		for (int b = 0; b < 5; b++) {
			char iv[16] = "";
			int w;
			if (!(c->streams & (1u << b)))
				continue;
			if (b == 0)
				trd_feed_interval(c->kline_tf_s, iv);
			w = snprintf(out + n, outlen - n, "%s%s@%s%s",
				     n ? "/" : "", low,
				     b == 0 ? "kline_" : b == 1 ? "aggTrade"
				     : b == 2 ? "trade" : b == 3 ? "bookTicker"
				     : "depth@100ms", iv);
			if (w < 0 || (size_t)w >= outlen - n)
				return -ENOSPC;
			n += (size_t)w;
		}
	}
	return 0;
}

static void
reset(struct trd_feed *f)
{
	int rules = f->c->kind == TRD_FEED_BINANCE_USDM ? TRD_BOOK_USDM
						       : TRD_BOOK_SPOT;

	for (size_t i = 0; i < f->n; i++) {
		struct trd_feed_sym *y = &f->s[i];
		trd_book_free(&y->book);
		free(y->kq);
		free(y->tq);
		memset(y, 0, sizeof(*y));
		trd_book_init(&y->book, rules);
	}
}

int
trd_feed_init(struct trd_feed *f, const struct trd_feed_conf *c,
	      const struct trd_registry *reg, trd_feed_emit_fn emit_fn,
	      trd_feed_req_fn req, void *arg)
{
	memset(f, 0, sizeof(*f));
	f->c = c;
	f->reg = reg;
	f->n = reg->n;
	f->emit = emit_fn;
	f->req = req;
	f->arg = arg;
	f->tf_ns = (int64_t)c->bar_tf_s * TRD_NS_PER_SEC;
	f->build_bars = !(c->streams & TRD_STREAM_KLINE &&
			  c->kline_tf_s == c->bar_tf_s);
	if ((f->s = calloc(f->n ? f->n : 1, sizeof(*f->s))) == NULL)
		return -ENOMEM;
	trd_bn_init(&f->bn, reg);
	f->alpaca = c->kind == TRD_FEED_ALPACA_STOCKS ||
		    c->kind == TRD_FEED_ALPACA_CRYPTO;
	trd_ap_init(&f->ap, reg);
	reset(f);
	return 0;
}

void
trd_feed_free(struct trd_feed *f)
{
	if (f->s) {
		reset(f);
		for (size_t i = 0; i < f->n; i++)
			trd_book_free(&f->s[i].book);
	}
	free(f->s);
	trd_bn_free(&f->bn);
	trd_ap_free(&f->ap);
	memset(f, 0, sizeof(*f));
}

static void
refused(struct trd_feed *f, const char *what)
{
	f->st.refused++;
	snprintf(f->st.last_refusal, sizeof(f->st.last_refusal), "%s: %.120s",
		 what, f->bn.err);
	/* The first few, then one in a thousand: a flood must not drown
	 * the log. */
	if (f->st.refused <= 5 || f->st.refused % 1000 == 0)
		log_warn("feed: %s refused (%" PRIu64 " so far): %s", what,
			 f->st.refused, f->bn.err);
}

static void
touch(struct trd_feed *f, uint32_t ins)
{
	struct trd_feed_sym *y = &f->s[ins];

	y->last_data_ns = f->now;
	if (y->stale) {
		y->stale = 0;
		log_info("feed: %s: data again", f->reg->v[ins].symbol);
	}
}

/* ---- bars ---- */

static void
deliver_bar(struct trd_feed *f, uint32_t ins, const struct trd_bar *b)
{
	struct trd_feed_sym *y = &f->s[ins];
	struct trd_bar bar = *b;

	if (y->last_bar_ns && bar.ts_ns <= y->last_bar_ns) {
		f->st.bars_dup++;
		return;
	}
	if (f->build_bars && y->cur_partial) {
		/* The interval the feed joined in the middle of: its first
		 * trades were never seen, so it is no bar. */
		y->cur_partial = 0;
		y->last_bar_ns = bar.ts_ns;
		return;
	}
	bar.sym = ins;
	bar.tf_s = f->c->bar_tf_s;
	y->last_bar_ns = bar.ts_ns;
	f->st.bars++;
	emit(f, TRD_EV_BAR, ins, &bar, sizeof(bar));
}

static int
hold(void **q, size_t *n, size_t *cap, const void *v, size_t each)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void *p = realloc(*q, c * each);
		if (p == NULL)
			return -1;
		*q = p;
		*cap = c;
	}
	memcpy((char *)*q + *n * each, v, each);
	(*n)++;
	return 0;
}

static void
flush_bars(struct trd_feed *f, uint32_t ins)
{
	struct trd_feed_sym *y = &f->s[ins];

	for (size_t i = 0; i < y->nkq; i++)
		deliver_bar(f, ins, &y->kq[i]);
	y->nkq = 0;
	y->kline_fill = 0;
	y->kline_retry_ns = 0;
}

static void
closed_kline(struct trd_feed *f, uint32_t ins, const struct trd_bar *b)
{
	struct trd_feed_sym *y = &f->s[ins];

	if (y->kline_fill) {
		if (y->nkq && b->ts_ns <= y->kq[y->nkq - 1].ts_ns) {
			f->st.bars_dup++;
			return;
		}
		if (hold((void **)&y->kq, &y->nkq, &y->capkq, b, sizeof(*b)))
			deliver_bar(f, ins, b);
		return;
	}
	if (y->last_bar_ns == 0 || b->ts_ns <= y->last_bar_ns + f->tf_ns) {
		deliver_bar(f, ins, b);
		return;
	}
	/* A hole: hold this bar, fetch the missing ones. */
	f->st.bar_gaps++;
	log_info("feed: %s: bars missing from %" PRId64 " ms to %" PRId64
		 " ms; fetching them", f->reg->v[ins].symbol,
		 (int64_t)((y->last_bar_ns + f->tf_ns) / TRD_NS_PER_MS),
		 (int64_t)(b->ts_ns / TRD_NS_PER_MS));
	if (hold((void **)&y->kq, &y->nkq, &y->capkq, b, sizeof(*b))) {
		deliver_bar(f, ins, b);
		return;
	}
	y->kline_fill = 1;
	ask(f, TRD_FREQ_KLINES, ins,
	    (uint64_t)(y->last_bar_ns + f->tf_ns));
}

static void
rest_klines(struct trd_feed *f, const struct trd_feed_in *in)
{
	struct trd_feed_sym *y = &f->s[in->ins];
	struct trd_bar *bars;
	size_t n;
	int64_t first_held;

	if (!y->kline_fill || y->nkq == 0)
		return; /* answered already (or never asked in this session) */
	if (in->status != 200 ||
	    trd_bn_klines(&f->bn, in->ins, f->c->kline_tf_s, in->data,
			  in->len, &bars, &n) != 0) {
		f->st.rest_errors++;
		if (in->status == 200)
			refused(f, "klines answer");
		if (++y->kline_fill > FILL_TRIES) {
			log_warn("feed: %s: missing bars not fetched after %d "
				 "tries; going on without them",
				 f->reg->v[in->ins].symbol, FILL_TRIES);
			flush_bars(f, in->ins);
			return;
		}
		y->kline_retry_ns = f->now + RETRY_NS;
		return;
	}
	first_held = y->kq[0].ts_ns;
	for (size_t i = 0; i < n; i++) {
		if (bars[i].ts_ns >= first_held)
			break;
		if (bars[i].ts_ns <= y->last_bar_ns ||
		    bars[i].ts_ns > f->now + AHEAD_NS)
			continue;
		f->st.bars_backfilled++;
		deliver_bar(f, in->ins, &bars[i]);
	}
	if (n == FILL_LIMIT && y->last_bar_ns + f->tf_ns < first_held) {
		ask(f, TRD_FREQ_KLINES, in->ins,
		    (uint64_t)(y->last_bar_ns + f->tf_ns));
		return;
	}
	flush_bars(f, in->ins);
}

/* Bars built from trades: a flat bar for an interval without trades,
 * once the first trade has opened the series. */
static void
close_built(struct trd_feed *f, uint32_t ins, int64_t upto_open)
{
	struct trd_feed_sym *y = &f->s[ins];

	/* More than a day of empty intervals is not filled bar by bar (a
	 * venue that was away that long has no bars to give): the open bar
	 * goes out and the series resumes at upto_open. */
	if (y->cur_open && upto_open - y->cur.ts_ns > MAX_FLAT * f->tf_ns) {
		int64_t close = y->cur.close;
		log_warn("feed: %s: no trade for over %lld intervals; resuming "
			 "the bars at the next trade",
			 f->reg->v[ins].symbol, (long long)MAX_FLAT);
		deliver_bar(f, ins, &y->cur);
		y->cur = (struct trd_bar){ .ts_ns = upto_open, .open = close,
					   .high = close, .low = close,
					   .close = close };
		y->cur_traded = 0;
		return;
	}
	while (y->cur_open && y->cur.ts_ns < upto_open) {
		struct trd_bar next = {
			.ts_ns = y->cur.ts_ns + f->tf_ns,
			.open = y->cur.close, .high = y->cur.close,
			.low = y->cur.close, .close = y->cur.close,
		};
		deliver_bar(f, ins, &y->cur);
		y->cur = next;
		y->cur_traded = 0;
	}
}

static void
build_trade(struct trd_feed *f, uint32_t ins, const struct trd_trade *t)
{
	struct trd_feed_sym *y = &f->s[ins];
	int64_t open = t->ts_ns - t->ts_ns % f->tf_ns;

	if (!y->cur_open) {
		if (y->last_bar_ns && open <= y->last_bar_ns)
			return; /* its bar went out already */
		y->cur = (struct trd_bar){ .ts_ns = open, .open = t->price,
					   .high = t->price, .low = t->price,
					   .close = t->price };
		y->cur_open = 1;
		y->cur_traded = 1;
		y->cur_partial = 1;
	}
	close_built(f, ins, open);
	/* The first trade of an interval opens its bar; a trade late for
	 * its bar counts in the open one. */
	if (!y->cur_traded) {
		y->cur.open = y->cur.high = y->cur.low = t->price;
		y->cur_traded = 1;
	}
	if (t->price > y->cur.high)
		y->cur.high = t->price;
	if (t->price < y->cur.low)
		y->cur.low = t->price;
	y->cur.close = t->price;
	y->cur.volume += t->qty;
}

/* ---- trades ---- */

static void
deliver_trade(struct trd_feed *f, uint32_t ins, const struct trd_trade *t)
{
	struct trd_feed_sym *y = &f->s[ins];

	if (!f->alpaca && y->has_trade && t->id <= y->last_trade) {
		f->st.trades_dup++;
		return;
	}
	y->last_trade = t->id;
	y->has_trade = 1;
	f->st.trades++;
	if (f->build_bars)
		build_trade(f, ins, t);
	emit(f, TRD_EV_TRADE, ins, t, sizeof(*t));
}

static void
flush_trades(struct trd_feed *f, uint32_t ins)
{
	struct trd_feed_sym *y = &f->s[ins];

	for (size_t i = 0; i < y->ntq; i++)
		deliver_trade(f, ins, &y->tq[i]);
	y->ntq = 0;
	y->trade_fill = 0;
	y->trade_retry_ns = 0;
}

static void
on_trade(struct trd_feed *f, uint32_t ins, const struct trd_trade *t, int agg)
{
	struct trd_feed_sym *y = &f->s[ins];

	/* A time a minute past our receive clock is no trade we can place
	 * (it would open bars in the future). */
	if (t->ts_ns > f->now + AHEAD_NS) {
		snprintf(f->bn.err, sizeof(f->bn.err), "trade time %lld ms is "
			 "over 60 s past the receive time",
			 (long long)(t->ts_ns / TRD_NS_PER_MS));
		refused(f, "trade");
		return;
	}

	if (y->trade_fill) {
		if (y->ntq && t->id <= y->tq[y->ntq - 1].id) {
			f->st.trades_dup++;
			return;
		}
		if (hold((void **)&y->tq, &y->ntq, &y->captq, t, sizeof(*t)))
			deliver_trade(f, ins, t);
		return;
	}
	if (!agg || !y->has_trade || t->id <= y->last_trade + 1) {
		deliver_trade(f, ins, t);
		return;
	}
	f->st.trade_gaps++;
	log_info("feed: %s: trades %" PRIu64 " to %" PRIu64 " missing; "
		 "fetching them", f->reg->v[ins].symbol, y->last_trade + 1,
		 t->id - 1);
	if (hold((void **)&y->tq, &y->ntq, &y->captq, t, sizeof(*t))) {
		deliver_trade(f, ins, t);
		return;
	}
	y->trade_fill = 1;
	ask(f, TRD_FREQ_AGGTRADES, ins, y->last_trade + 1);
}

static void
rest_trades(struct trd_feed *f, const struct trd_feed_in *in)
{
	struct trd_feed_sym *y = &f->s[in->ins];
	struct trd_bn_msg *m;
	size_t n;
	uint64_t first_held;

	if (!y->trade_fill || y->ntq == 0)
		return;
	if (in->status != 200 ||
	    trd_bn_aggtrades(&f->bn, in->ins, in->data, in->len, &m, &n) != 0) {
		f->st.rest_errors++;
		if (in->status == 200)
			refused(f, "aggTrades answer");
		if (++y->trade_fill > FILL_TRIES) {
			log_warn("feed: %s: missing trades not fetched after "
				 "%d tries; going on without them",
				 f->reg->v[in->ins].symbol, FILL_TRIES);
			flush_trades(f, in->ins);
			return;
		}
		y->trade_retry_ns = f->now + RETRY_NS;
		return;
	}
	first_held = y->tq[0].id;
	for (size_t i = 0; i < n; i++) {
		struct trd_trade t = m[i].u.trade.t;
		if (t.id >= first_held)
			break;
		if (t.id <= y->last_trade || t.ts_ns > f->now + AHEAD_NS)
			continue;
		t.sym = in->ins;
		f->st.trades_backfilled++;
		deliver_trade(f, in->ins, &t);
	}
	if (n == FILL_LIMIT && y->last_trade + 1 < first_held) {
		ask(f, TRD_FREQ_AGGTRADES, in->ins, y->last_trade + 1);
		return;
	}
	flush_trades(f, in->ins);
}

/* ---- quotes and the book ---- */

static void
book_quote(struct trd_feed *f, uint32_t ins)
{
	struct trd_feed_sym *y = &f->s[ins];
	struct trd_quote q = { .size = sizeof(q), .sym = ins };

	if (f->c->streams & TRD_STREAM_BOOKTICKER)
		return;
	if (trd_book_top(&y->book, &q.bid, &q.bid_qty, &q.ask, &q.ask_qty) != 0)
		return;
	if (q.bid == y->q_bid && q.ask == y->q_ask && q.bid_qty == y->q_bq &&
	    q.ask_qty == y->q_aq)
		return;
	y->q_bid = q.bid;
	y->q_ask = q.ask;
	y->q_bq = q.bid_qty;
	y->q_aq = q.ask_qty;
	q.ts_ns = f->now;
	f->st.quotes++;
	emit(f, TRD_EV_QUOTE, ins, &q, sizeof(q));
}

static void
want_book(struct trd_feed *f, uint32_t ins)
{
	struct trd_feed_sym *y = &f->s[ins];

	if (y->book_want)
		return;
	y->book_want = 1;
	y->book_retry_ns = 0;
	ask(f, TRD_FREQ_DEPTH, ins, f->c->depth_limit);
}

static void
on_depth(struct trd_feed *f, const struct trd_bn_msg *m)
{
	struct trd_feed_sym *y = &f->s[m->ins];
	int r = trd_book_diff(&y->book, m, f->bn.lv);

	if (r == TRD_BOOK_GAP) {
		f->st.book_resyncs++;
		log_info("feed: %s: depth sequence gap at update %" PRIu64
			 "; resyncing from a snapshot",
			 f->reg->v[m->ins].symbol, m->u.depth.first_id);
		y->book_want = 0;
		want_book(f, m->ins);
		return;
	}
	if (r == TRD_BOOK_NOMEM) {
		log_error("feed: %s: out of memory for the book",
			  f->reg->v[m->ins].symbol);
		return;
	}
	if (!y->book.synced && !y->book_want)
		want_book(f, m->ins);
	if (r == TRD_BOOK_APPLIED)
		book_quote(f, m->ins);
}

static void
rest_depth(struct trd_feed *f, const struct trd_feed_in *in)
{
	struct trd_feed_sym *y = &f->s[in->ins];
	uint64_t last;
	size_t nb, na;
	int r;

	if (!y->book_want)
		return;
	if (in->status != 200 ||
	    trd_bn_snapshot(&f->bn, in->ins, in->data, in->len, &last, &nb,
			    &na) != 0) {
		f->st.rest_errors++;
		if (in->status == 200)
			refused(f, "depth snapshot");
		y->book_retry_ns = f->now + RETRY_NS;
		return;
	}
	f->st.snapshots++;
	r = trd_book_snapshot(&y->book, last, f->bn.lv, nb, na);
	if (r == TRD_BOOK_RETRY) {
		/* Older than the diffs we hold: ask for a newer one. */
		y->book_retry_ns = f->now + RETRY_NS / 4;
		return;
	}
	y->book_want = 0;
	if (r == TRD_BOOK_GAP) {
		f->st.book_resyncs++;
		want_book(f, in->ins);
		return;
	}
	book_quote(f, in->ins);
}

/* An Alpaca message: control messages to the transport, data as events. */
static void
on_alpaca(struct trd_feed *f, const struct trd_feed_in *in)
{
	struct trd_ap_msg *m;
	size_t n;
	uint64_t refused0 = f->ap.refused;

	if (trd_ap_frame(&f->ap, in->data, in->len, &m, &n) != 0)
		n = 0;
	if (f->ap.refused != refused0) {
		f->st.refused += f->ap.refused - refused0 - 1;
		snprintf(f->bn.err, sizeof(f->bn.err), "%s", f->ap.err);
		refused(f, "message");
	}
	for (size_t i = 0; i < n; i++) {
		struct trd_ap_msg *a = &m[i];
		switch (a->kind) {
		case TRD_AP_SUCCESS:
		case TRD_AP_ERROR:
		case TRD_AP_SUBSCRIPTION:
			if (f->ctl)
				f->ctl(f->arg, in->conn, a->kind, a->u.ctl.code,
				       a->u.ctl.msg);
			break;
		case TRD_AP_TRADE:
			touch(f, a->ins);
			on_trade(f, a->ins, &a->u.trade, 0);
			break;
		case TRD_AP_QUOTE:
			touch(f, a->ins);
			if (a->u.quote.bid <= 0 || a->u.quote.ask <= 0)
				break; /* one side empty: no touch */
			a->u.quote.ts_ns = f->now;
			f->st.quotes++;
			emit(f, TRD_EV_QUOTE, a->ins, &a->u.quote,
			     sizeof(a->u.quote));
			break;
		case TRD_AP_BAR:
			touch(f, a->ins);
			if (a->u.bar.ts_ns > f->now + AHEAD_NS) {
				snprintf(f->bn.err, sizeof(f->bn.err), "a bar "
					 "opening over 60 s past the receive "
					 "time");
				refused(f, "bar");
			} else if (!f->build_bars) {
				/* Minutes without trades have no bar: a gap
				 * is no hole to fill. */
				deliver_bar(f, a->ins, &a->u.bar);
			}
			break;
		default:
			break;
		}
	}
}

static void
on_frame(struct trd_feed *f, const struct trd_feed_in *in)
{
	struct trd_bn_msg m;
	struct trd_feed_sym *y;

	f->st.frames++;
	f->st.bytes += in->len;
	f->last_frame_ns = f->now;
	if (f->alpaca) {
		on_alpaca(f, in);
		return;
	}
	if (trd_bn_frame(&f->bn, in->data, in->len, &m) != 0) {
		refused(f, "frame");
		return;
	}
	if (m.kind == TRD_BN_REPLY || m.kind == TRD_BN_SHUTDOWN)
		return;
	y = &f->s[m.ins];
	touch(f, m.ins);
	switch (m.kind) {
	case TRD_BN_KLINE:
		if (!m.u.kline.closed || m.u.kline.tf_s != f->c->kline_tf_s) {
			f->st.klines_open++;
			break;
		}
		if (m.u.kline.bar.ts_ns > f->now + AHEAD_NS) {
			snprintf(f->bn.err, sizeof(f->bn.err), "a closed kline "
				 "opening over 60 s past the receive time");
			refused(f, "kline");
			break;
		}
		if (!f->build_bars)
			closed_kline(f, m.ins, &m.u.kline.bar);
		break;
	case TRD_BN_AGGTRADE:
		on_trade(f, m.ins, &m.u.trade.t, 1);
		break;
	case TRD_BN_TRADE:
		if (!(f->c->streams & TRD_STREAM_AGGTRADE))
			on_trade(f, m.ins, &m.u.trade.t, 0);
		break;
	case TRD_BN_BOOKTICKER:
		if (m.u.ticker.update_id && y->last_tick_u &&
		    m.u.ticker.update_id <= y->last_tick_u) {
			f->st.quotes_dup++;
			break;
		}
		y->last_tick_u = m.u.ticker.update_id;
		m.u.ticker.q.ts_ns = f->now;
		m.u.ticker.q.sym = m.ins;
		f->st.quotes++;
		emit(f, TRD_EV_QUOTE, m.ins, &m.u.ticker.q,
		     sizeof(m.u.ticker.q));
		break;
	case TRD_BN_DEPTH:
		on_depth(f, &m);
		break;
	default:
		break;
	}
}

/* exchangeInfo: the filters the config left to the venue; a config
 * value that differs from the venue's is kept, with a warning. */
static void
rest_info(struct trd_feed *f, const struct trd_feed_in *in)
{
	/* The registry's venue fields are the feed's to set (instrument.h). */
	struct trd_registry *reg = (struct trd_registry *)f->reg;
	struct trd_bn_filters *fl;

	if (in->status != 200) {
		f->st.rest_errors++;
		log_warn("feed: exchangeInfo failed (%d): instruments keep the "
			 "config's tick, lot and minimum notional", in->status);
		return;
	}
	if ((fl = calloc(f->n ? f->n : 1, sizeof(*fl))) == NULL)
		return;
	if (trd_bn_exchange_info(&f->bn, in->data, in->len, fl) != 0) {
		refused(f, "exchangeInfo");
		free(fl);
		return;
	}
	for (uint32_t i = 0; i < f->n; i++) {
		const struct trd_instr *r = &reg->v[i];
		int64_t tick = 0, lot = 0, mn = 0;
		if (!fl[i].found) {
			log_warn("feed: %s: not in the venue's exchangeInfo",
				 r->symbol);
			continue;
		}
		if (fl[i].tick < 0 || fl[i].lot < 0)
			log_warn("feed: %s: the venue's tick or lot is finer "
				 "than price_dp %u / qty_dp %u: raise them",
				 r->symbol, r->price_dp, r->qty_dp);
		if (fl[i].tick > 0) {
			if (r->unset & TRD_INSTR_UNSET_TICK)
				tick = fl[i].tick;
			else if (r->tick != fl[i].tick)
				log_warn("feed: %s: tick_size differs from the "
					 "venue's", r->symbol);
		}
		if (fl[i].lot > 0) {
			if (r->unset & TRD_INSTR_UNSET_LOT)
				lot = fl[i].lot;
			else if (r->lot != fl[i].lot)
				log_warn("feed: %s: lot_size differs from the "
					 "venue's", r->symbol);
		}
		if (fl[i].min_notional > 0 &&
		    (r->unset & TRD_INSTR_UNSET_NOTIONAL))
			mn = fl[i].min_notional;
		if (tick || lot || mn)
			log_info("feed: %s: from exchangeInfo:%s%s%s",
				 r->symbol, tick ? " tick" : "",
				 lot ? " lot" : "", mn ? " min_notional" : "");
		trd_registry_update(reg, i, tick, lot, mn);
	}
	free(fl);
}

static void
on_time(struct trd_feed *f)
{
	int64_t stale_ns = (int64_t)f->c->stale_s * TRD_NS_PER_SEC;
	/* A built bar closes on time only while the stream is heard from:
	 * silence is not an interval without trades. */
	int64_t heard = f->last_frame_ns < f->now - BAR_GRACE
			? f->last_frame_ns : f->now - BAR_GRACE;

	for (uint32_t i = 0; i < f->n; i++) {
		struct trd_feed_sym *y = &f->s[i];

		if (f->build_bars && y->cur_open && !y->trade_fill)
			close_built(f, i, heard - f->tf_ns + 1);
		if (y->book_want && y->book_retry_ns &&
		    f->now >= y->book_retry_ns) {
			y->book_retry_ns = 0;
			ask(f, TRD_FREQ_DEPTH, i, f->c->depth_limit);
		}
		if (y->kline_fill && y->kline_retry_ns &&
		    f->now >= y->kline_retry_ns) {
			y->kline_retry_ns = 0;
			ask(f, TRD_FREQ_KLINES, i,
			    (uint64_t)(y->last_bar_ns + f->tf_ns));
		}
		if (y->trade_fill && y->trade_retry_ns &&
		    f->now >= y->trade_retry_ns) {
			y->trade_retry_ns = 0;
			ask(f, TRD_FREQ_AGGTRADES, i, y->last_trade + 1);
		}
		if (!y->stale && y->last_data_ns &&
		    f->now - y->last_data_ns > stale_ns) {
			y->stale = 1;
			f->st.stale_marks++;
			log_warn("feed: %s: no data for %us: stale",
				 f->reg->v[i].symbol, f->c->stale_s);
		}
	}
}

void
trd_feed_input(struct trd_feed *f, const struct trd_feed_in *in)
{
	if (in->ts_ns > f->now)
		f->now = in->ts_ns;
	switch (in->kind) {
	case TRD_FIN_START:
		reset(f);
		f->last_frame_ns = 0;
		if (!f->alpaca)
			ask(f, TRD_FREQ_INFO, 0, 0);
		break;
	case TRD_FIN_OPEN:
		f->st.opens++;
		if (f->c->streams & TRD_STREAM_DEPTH)
			for (uint32_t i = 0; i < f->n; i++)
				if (!f->s[i].book.synced)
					want_book(f, i);
		break;
	case TRD_FIN_CLOSE:
		f->st.closes++;
		break;
	case TRD_FIN_FRAME:
		on_frame(f, in);
		break;
	case TRD_FIN_REST:
		if (in->ins >= f->n)
			break;
		if (in->what == TRD_FREQ_DEPTH)
			rest_depth(f, in);
		else if (in->what == TRD_FREQ_KLINES)
			rest_klines(f, in);
		else if (in->what == TRD_FREQ_AGGTRADES)
			rest_trades(f, in);
		else if (in->what == TRD_FREQ_INFO)
			rest_info(f, in);
		break;
	case TRD_FIN_TIME:
		on_time(f);
		break;
	default:
		break;
	}
}
