/*
 * session: see session.h for the order of work on each event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "feature.h"
#include "host.h"
#include "log.h"
#include "margin.h"
#include "session.h"

struct trd_cb_entry {
	uint32_t strat;
	uint8_t  fill; /* on_fill, else on_order */
	uint8_t  gen;  /* link of the callback chain it belongs to */
	union {
		struct {
			struct trd_order_info info;
			char reason[TRD_OMS_REASON_MAX];
			char client_id[TRD_CLIENT_ID_MAX + 1];
			char venue_id[48];
		} o;
		struct trd_fill f;
	} u;
};

/* ---- queued plugin callbacks ---- */

static struct trd_cb_entry *
cbq_push(struct trd_cbq *q)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		struct trd_cb_entry *v = malloc(cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		/* Unwrap the ring into the new array. */
		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->n++;
	return &q->v[(q->head + q->n - 1) % q->cap];
}

static struct trd_strategy *
strategy_of(struct trd_session *t, uint32_t k)
{
	return k < t->nstrat ? &t->strats[k] : NULL;
}

/* The order manager's subscriber: fills to the portfolio, and both to
 * the owning strategy's queue. */
static void
session_on_order(void *arg, const struct trd_order *o,
		 const struct trd_oms_fill *f)
{
	struct trd_session *t = arg;
	struct trd_strategy *s = strategy_of(t, o->strat);
	struct trd_cb_entry *e;

	if (f != NULL)
		trd_portfolio_fill(&t->pf, o->strat, o->ins, o->side, f->qty,
				   f->price, f->fee, f->ts_ns);
	if (s == NULL || s->p == NULL ||
	    (f != NULL ? s->p->on_fill == NULL : s->p->on_order == NULL))
		return;
	if ((e = cbq_push(&t->q)) == NULL) {
		log_error("strategy %s: out of memory queueing an order "
			  "update of %s", s->name, o->client_id);
		return;
	}
	e->strat = o->strat;
	e->fill = f != NULL;
	e->gen = (uint8_t)s->depth;
	if (f != NULL) {
		e->u.f = (struct trd_fill){
			.size = sizeof(e->u.f), .order_id = o->id,
			.sym = o->ins, .side = o->side, .qty = f->qty,
			.price = f->price, .fee = f->fee, .ts_ns = f->ts_ns,
			.tag = o->tag };
		return;
	}
	trd_order_info(o, &e->u.o.info);
	memcpy(e->u.o.reason, o->reason, sizeof(e->u.o.reason));
	memcpy(e->u.o.client_id, o->client_id, sizeof(e->u.o.client_id));
	memcpy(e->u.o.venue_id, o->venue_id, sizeof(e->u.o.venue_id));
}

void
trd_session_flush(struct trd_session *t)
{
	struct trd_cbq *q = &t->q;

	/* Deliveries queue more (a strategy submitting from on_order);
	 * they are delivered in the same pass, in order. */
	if (q->flushing)
		return;
	q->flushing = 1;
	while (q->n > 0) {
		struct trd_cb_entry *e = &q->v[q->head];
		struct trd_strategy *s = strategy_of(t, e->strat);
		int depth;

		if (s != NULL && s->initialised && s->p != NULL) {
			depth = s->depth;
			s->depth = e->gen + 1;
			if (e->fill) {
				s->p->on_fill(s, &e->u.f);
			} else {
				struct trd_order_info *i = &e->u.o.info;
				i->reason = e->u.o.reason;
				i->client_id = e->u.o.client_id;
				i->venue_order_id = e->u.o.venue_id;
				s->p->on_order(s, i);
			}
			s->depth = depth;
		}
		/* The callback may have grown (and moved) the ring. */
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	q->head = 0;
	q->flushing = 0;
}

static void
trade_cb(void *arg, const struct trd_trade_rec *tr)
{
	struct trd_session *t = arg;
	struct trd_strategy *s = &t->strats[tr->strat];
	double net = (double)tr->pnl - (double)tr->fees;

	if (t->report)
		trd_report_trade(t->report, tr);
	/* For Kelly sizing: wins and losses net of fees. */
	if (net > 0) {
		s->nwins++;
		s->sum_win += net;
	} else {
		s->nlosses++;
		s->sum_loss -= net;
	}
}

/* ---- the kill switch ---- */

/*
 * Cancel the orders listed for instrument ins (with reason why), those
 * submitted before `before` only, bracket exits left alone when
 * keep_exits.  A cancel without latency takes the order off the list:
 * walk by index and step on only when the list did not shrink.  An order
 * whose cancel is already on its way is left to it.
 */
static void
cancel_listed(struct trd_session *t, size_t ins, const char *why, int64_t now,
	      int64_t before, int keep_exits)
{
	const struct trd_oms_open *l = &t->oms.open[ins];

	for (size_t i = 0; i < l->n;) {
		struct trd_order *o = l->v[i];
		size_t n = l->n;
		if (o->submit_ns < before && !(keep_exits && o->parent_id))
			trd_oms_cancel(&t->oms, o, why, now);
		if (l->n == n)
			i++;
	}
}

/*
 * Close the positions on instrument ins (-1: every one) with reduce-only
 * market orders in each holding strategy's name, past the pre-trade
 * checks (they only reduce).  Returns the orders sent.
 */
static size_t
flatten(struct trd_session *t, int64_t ins, const char *who)
{
	int64_t now = trd_clock_now(&t->engine->clock);
	size_t sent = 0;

	for (size_t k = 0; k < t->nstrat; k++) {
		for (size_t i = 0; i < t->ninstr; i++) {
			int64_t q = trd_portfolio_pos(&t->pf, k, i)->qty;
			struct trd_order *o;
			if (q == 0 || (ins >= 0 && (size_t)ins != i))
				continue;
			o = trd_oms_create(&t->oms, &(struct trd_order_spec){
				.strat = (uint32_t)k, .ins = (uint32_t)i,
				.seq = ++t->strats[k].norders,
				.side = q > 0 ? TRD_SIDE_SELL : TRD_SIDE_BUY,
				.type = TRD_ORDER_MARKET,
				.flags = TRD_ORDER_REDUCE_ONLY,
				.qty = q > 0 ? q : -q }, now);
			if (o == NULL) {
				log_error("%s: out of memory flattening %s",
					  who, t->reg.v[i].symbol);
				continue;
			}
			trd_oms_send(&t->oms, o, now);
			sent++;
		}
	}
	return sent;
}

/* Carry out a trip risk has recorded: see trd_session_halt. */
static void
carry_out_trip(struct trd_session *t)
{
	int64_t now = trd_clock_now(&t->engine->clock);
	const struct trd_risk_trip *tr = &t->risk.trips[t->risk.ntrips - 1];
	char why[TRD_RISK_REASON_MAX + 16];

	log_warn("kill switch: %s; canceling every open order%s", tr->reason,
		 t->risk.c.on_trip == TRD_TRIP_FLATTEN
			 ? " and closing every position" : "");
	if (t->notify)
		t->notify(t->notify_arg, "halt", tr->reason);
	snprintf(why, sizeof(why), "kill switch: %s", tr->reason);
	for (size_t i = 0; i < t->ninstr; i++)
		cancel_listed(t, i, why, now, INT64_MAX, 0);
	if (t->risk.c.on_trip == TRD_TRIP_FLATTEN)
		flatten(t, -1, "kill switch");
}

static void hk_arm(struct trd_session *t);

void
trd_session_halt(struct trd_session *t, const char *reason)
{
	if (trd_risk_halt(&t->risk, trd_clock_now(&t->engine->clock), reason))
		carry_out_trip(t);
	hk_arm(t);
}

void
trd_session_resume(struct trd_session *t)
{
	if (!t->risk.halted)
		return;
	trd_risk_resume(&t->risk, trd_portfolio_equity(&t->pf));
	log_warn("kill switch off: trading resumed by the operator");
	if (t->notify)
		t->notify(t->notify_arg, "resume", "trading resumed");
}

size_t
trd_session_cancel_all(struct trd_session *t, int64_t ins, const char *why)
{
	int64_t now = trd_clock_now(&t->engine->clock);
	uint64_t *ids;
	size_t n = 0, asked = 0;

	/* Ids first: a cancel may close other orders (an OCO partner, a
	 * bracket's exits) and change the list being walked. */
	if (t->oms.nopen == 0 ||
	    (ids = malloc(t->oms.nopen * sizeof(*ids))) == NULL)
		return 0;
	for (struct trd_order *o = t->oms.open_head; o && n < t->oms.nopen;
	     o = o->next_open)
		if (ins < 0 || o->ins == (uint64_t)ins)
			ids[n++] = o->id;
	for (size_t i = 0; i < n; i++) {
		struct trd_order *o = trd_oms_get(&t->oms, ids[i]);
		if (o && trd_oms_cancel(&t->oms, o, why, now) == 0)
			asked++;
	}
	free(ids);
	trd_session_flush(t);
	hk_arm(t);
	return asked;
}

int
trd_session_cancel_id(struct trd_session *t, uint64_t id, const char *why)
{
	struct trd_order *o = trd_oms_get(&t->oms, id);
	int rc;

	if ((rc = trd_oms_cancel(&t->oms, o, why,
				 trd_clock_now(&t->engine->clock))) != 0)
		return rc;
	trd_session_flush(t);
	hk_arm(t);
	return 0;
}

size_t
trd_session_flatten(struct trd_session *t, int64_t ins)
{
	size_t n = flatten(t, ins, "flatten");

	trd_session_flush(t);
	hk_arm(t);
	return n;
}

void
trd_session_pause(struct trd_session *t, size_t k, int paused)
{
	if (k < t->nstrat)
		t->strats[k].paused = paused;
}

int
trd_session_halted(const struct trd_session *t)
{
	return t->risk.halted;
}

static __attribute__((noinline)) void
risk_mark(struct trd_session *t, int64_t now, int64_t eq)
{
	if (trd_risk_mark(&t->risk, now, eq)) {
		carry_out_trip(t);
		trd_session_flush(t);
	}
}

static inline void
sample(struct trd_session *t)
{
	int64_t eq = trd_portfolio_equity(&t->pf);

	if (t->report)
		trd_report_sample(t->report, t->sample_ts, eq, t->pf.cash,
				  t->pf.nexposed != 0,
				  t->bars - t->bars_sampled);
	t->bars_sampled = t->bars;
	if (t->risk.post_trade)
		risk_mark(t, t->sample_ts, eq);
}

/* ---- housekeeping ---- */

/* The first multiple of p at or after v (saturating). */
static int64_t
grid_up(int64_t v, int64_t p)
{
	int64_t m = v % p;

	if (m < 0)
		m += p;
	if (m == 0)
		return v;
	return v > INT64_MAX - (p - m) ? INT64_MAX : v + (p - m);
}

/* When order-age cancels fall due for the tick: one bar after the bar
 * path would have made them (see the venue's tick). */
static int64_t
age_due(const struct trd_session *t)
{
	int64_t age = (int64_t)t->risk.c.max_order_age_s * TRD_NS_PER_SEC;
	int64_t first = INT64_MAX;

	if (age == 0)
		return INT64_MAX;
	for (size_t i = 0; i < t->ninstr; i++)
		for (size_t j = 0; j < t->oms.open[i].n; j++) {
			const struct trd_order *o = t->oms.open[i].v[j];
			if (!o->parent_id && o->submit_ns < first)
				first = o->submit_ns;
		}
	return first == INT64_MAX ? first
				  : trd_sat64((__int128)first + age +
					      t->grace_ns);
}

/* A replay's tick runs only when work is due: arm it at the first
 * multiple of the period at or after the earliest such work. */
static void
hk_arm(struct trd_session *t)
{
	int64_t due, a;

	if (t->flags & (TRD_SESSION_LIVE | TRD_SESSION_CHECK) ||
	    t->venue == NULL)
		return;
	due = t->venue->ops->next_due(t->venue);
	if ((a = age_due(t)) < due)
		due = a;
	if (due == INT64_MAX) {
		trd_timer_stop(&t->hk);
		return;
	}
	/* Never now again: work that a tick left due (a venue that did not
	 * apply it) waits for the next period instead of spinning. */
	if (due <= trd_clock_now(&t->engine->clock))
		due = trd_clock_now(&t->engine->clock) + 1;
	due = grid_up(due, t->hk_period_ns);
	if (!trd_timer_active(&t->hk) || t->hk.due_ns != due)
		trd_timer_start(&t->hk, due, 0);
}

static void
hk_cb(struct trd_timer *tm, void *arg)
{
	struct trd_session *t = arg;
	int64_t now = trd_clock_now(&t->engine->clock);
	int64_t age = (int64_t)t->risk.c.max_order_age_s * TRD_NS_PER_SEC;

	(void)tm;
	t->venue->ops->tick(t->venue, now);
	if (age)
		for (size_t i = 0; i < t->ninstr; i++)
			if (t->oms.open[i].n)
				cancel_listed(t, i, "older than "
					      "max_order_age_s", now,
					      now - t->grace_ns + 1 - age, 1);
	if (t->flags & TRD_SESSION_LIVE) {
		if (t->risk.post_trade)
			risk_mark(t, now, trd_portfolio_equity(&t->pf));
		for (size_t i = 0; i < t->ninstr; i++) {
			if (!trd_risk_stale_update(&t->risk, i, now))
				continue;
			if (t->risk.ins[i].stale)
				log_warn("%s: no data for more than %us: "
					 "stale, orders refused",
					 t->reg.v[i].symbol,
					 t->risk.c.stale_data_s);
			else
				log_info("%s: data again", t->reg.v[i].symbol);
		}
	}
	trd_session_flush(t);
	trd_oms_gc(&t->oms);
	hk_arm(t);
}

/* ---- events ---- */

/* The bar reaches ins's open orders.  Out of line: most bars find none. */
static __attribute__((noinline)) void
orders_event(struct trd_session *t, uint32_t ins, const struct trd_event *ev)
{
	/* Bracket exits protect a position: they are meant to wait, so age
	 * does not cancel them. */
	if (t->risk.c.max_order_age_s && ev->type == TRD_EV_BAR)
		cancel_listed(t, ins, "older than max_order_age_s", ev->ts_ns,
			      ev->ts_ns + 1 - (int64_t)t->risk.c.max_order_age_s *
						      TRD_NS_PER_SEC, 1);
	t->venue->ops->market(t->venue, ev);
	trd_session_flush(t);
	if (t->oms.nretired > t->oms.keep_closed)
		trd_oms_gc(&t->oms);
}

static void
deliver(struct trd_session *t, const struct trd_sub *subs, size_t n,
	const void *data)
{
	for (size_t i = 0; i < n; i++) {
		if (subs[i].s->paused)
			continue;
		subs[i].fn(subs[i].s, data);
		if (t->q.n)
			trd_session_flush(t);
	}
}

/* A quote or a trade: venue, features, then strategies. */
static __attribute__((noinline)) void
tick_event(struct trd_session *t, uint32_t ins, const struct trd_event *ev)
{
	struct trd_session_instr *in = &t->ins[ins];

	trd_risk_data(&t->risk, ins, ev->ts_ns);
	if (t->oms.open[ins].n != 0)
		orders_event(t, ins, ev);
	else if (ev->type == TRD_EV_QUOTE)
		t->venue->ops->market(t->venue, ev); /* the touch */
	if (ev->type == TRD_EV_TRADE) {
		if (ev->u.trade.price > 0)
			trd_portfolio_mark(&t->pf, ins, ev->u.trade.price);
		trd_fset_trade(in->fs, &ev->u.trade);
		deliver(t, in->trade_subs, in->ntrade_subs, &ev->u.trade);
	} else if (ev->type == TRD_EV_QUOTE) {
		trd_fset_quote(in->fs, &ev->u.quote);
		deliver(t, in->quote_subs, in->nquote_subs, &ev->u.quote);
	}
}

#define DAY_NS ((int64_t)86400 * TRD_NS_PER_SEC)

static __attribute__((noinline)) void
day_end(struct trd_session *t, int64_t ts)
{
	if (t->report && t->day_end != 0 && t->ninstr)
		trd_report_day_marks(t->report, t->day_end, &t->pf.ins[0].last,
				     sizeof(t->pf.ins[0]));
	/* The end of ts's day: a close at midnight is the day before's. */
	t->day_end = ((ts - 1) / DAY_NS + 1) * DAY_NS;
}

/* Live: from the message's arrival to the strategies done with it. */
static __attribute__((noinline)) void
frame_latency(struct trd_session *t)
{
	int64_t r = t->recv_mono(t->recv_arg);

	if (r != 0)
		trd_hist_observe(&t->frame_lat, trd_clock_mono_ns() - r);
}

static void
event_cb(void *arg, const struct trd_event *ev)
{
	struct trd_session *t = arg;
	const struct trd_bar *bar = &ev->u.bar;
	struct trd_session_instr *in;
	uint32_t ins = ev->sym;

	if (ins >= t->ninstr)
		return;
	t->nev[ev->type & 7]++;
	if (__builtin_expect(ev->type == TRD_EV_BAR &&
			     bar->ts_ns < t->warm_until_ns, 0)) {
		trd_fset_bar(t->ins[ins].fs, bar);
		t->warm_bars++;
		return;
	}
	/* Nothing has happened since the last bar: the books are still as
	 * that time left them, which is when its sample is due. */
	if (t->have_sample && ev->ts_ns != t->sample_ts) {
		sample(t);
		t->have_sample = 0;
	}
	/* A later day: the marks as the last one ended, before this moves
	 * them. */
	if (__builtin_expect(ev->ts_ns > t->day_end, 0))
		day_end(t, ev->ts_ns);
	if (__builtin_expect(ev->type != TRD_EV_BAR, 0)) {
		tick_event(t, ins, ev);
		if (t->recv_mono)
			frame_latency(t);
		return;
	}
	t->sample_ts = ev->ts_ns;
	t->have_sample = 1;
	t->bars++;
	trd_risk_data(&t->risk, ins, ev->ts_ns);
	if (t->oms.open[ins].n != 0)
		orders_event(t, ins, ev);
	trd_portfolio_mark(&t->pf, ins, bar->close);
	in = &t->ins[ins];
	/* Features first: strategies read them in on_bar. */
	trd_fset_bar(in->fs, bar);
	for (size_t i = 0; i < in->nbar_subs; i++) {
		if (in->bar_subs[i].s->paused)
			continue;
		in->bar_subs[i].fn(in->bar_subs[i].s, bar);
		if (t->q.n)
			trd_session_flush(t);
	}
	if (t->recv_mono)
		frame_latency(t);
}

/* ---- set-up ---- */

static int
add_sub(struct trd_sub **v, size_t *n, void (*fn)(struct trd_strategy *,
						 const void *),
	struct trd_strategy *s)
{
	struct trd_sub *p;

	if (fn == NULL)
		return 0;
	if ((p = realloc(*v, (*n + 1) * sizeof(*p))) == NULL)
		return -1;
	*v = p;
	p[(*n)++] = (struct trd_sub){ fn, s };
	return 0;
}

static int
setup_strategy(struct trd_session *t, const struct trd_config *c, size_t k)
{
	const struct trd_strategy_conf *sc = &c->strategies[k];
	struct trd_strategy *s = &t->strats[k];

	s->session = t;
	s->idx = k;
	snprintf(s->name, sizeof(s->name), "%s", sc->name);
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/%s.so",
			     c->plugin_dir, sc->plugin) >= sizeof(s->path)) {
		log_error("strategy %s: plugin path too long", s->name);
		return -1;
	}
	s->ninstr = sc->nsymbols;
	s->instr = calloc(s->ninstr ? s->ninstr : 1, sizeof(*s->instr));
	if (s->instr == NULL ||
	    trd_params_dup(sc->params, sc->nparams, &s->params) != 0) {
		log_error("strategy %s: out of memory", s->name);
		return -1;
	}
	s->nparams = sc->nparams;
	if (trd_host_load(s) != 0)
		return -1;
	for (size_t j = 0; j < sc->nsymbols; j++) {
		const struct trd_instr *ri = trd_registry_find(&t->reg,
							       sc->symbols[j]);
		struct trd_session_instr *in;
		if (ri == NULL) {
			log_error("strategy %s: symbol %s is not an "
				  "instrument", s->name, sc->symbols[j]);
			return -1;
		}
		in = &t->ins[ri->id];
		s->instr[j] = (struct trd_instrument_info){
			.size = sizeof(s->instr[j]), .sym = ri->id,
			.symbol = ri->symbol, .price_dp = ri->price_dp,
			.qty_dp = ri->qty_dp, .tick_size = ri->tick,
			.lot_size = ri->lot, .shortable = (uint8_t)ri->shortable,
			.venue_symbol = ri->venue_symbol,
			.min_notional = ri->min_notional,
			.max_order_qty = ri->max_order_qty };
		/* The strategy's configured features, on each of its
		 * symbols; shared with any other strategy asking. */
		for (size_t f = 0; f < sc->nfeatures; f++) {
			char err[256];
			if (trd_fset_add(in->fs, sc->features[f], err,
					 sizeof(err)) == NULL) {
				log_error("strategy %s (line %d): %s", s->name,
					  sc->line, err);
				return -1;
			}
		}
		if (add_sub(&in->bar_subs, &in->nbar_subs,
			    (void (*)(struct trd_strategy *, const void *))
				    s->p->on_bar, s) != 0 ||
		    add_sub(&in->quote_subs, &in->nquote_subs,
			    (void (*)(struct trd_strategy *, const void *))
				    s->p->on_quote, s) != 0 ||
		    add_sub(&in->trade_subs, &in->ntrade_subs,
			    (void (*)(struct trd_strategy *, const void *))
				    s->p->on_trade, s) != 0) {
			log_error("strategy %s: out of memory", s->name);
			return -1;
		}
	}
	return 0;
}

static const char *
venue_kind_name(enum trd_venue_kind k)
{
	switch (k) {
	case TRD_VENUE_SIM: return "sim";
	}
	return "?";
}

static int
setup_books(struct trd_session *t, const struct trd_config *c)
{
	uint8_t *pdp = calloc(t->ninstr ? t->ninstr : 1, 1);
	uint8_t *qdp = calloc(t->ninstr ? t->ninstr : 1, 1);
	int rc = -1;

	if (pdp == NULL || qdp == NULL)
		goto out;
	for (size_t i = 0; i < t->ninstr; i++) {
		pdp[i] = t->reg.v[i].price_dp;
		qdp[i] = t->reg.v[i].qty_dp;
	}
	t->nstrat = c->nstrategies;
	if (trd_portfolio_init(&t->pf, c->account.cash,
			       t->nstrat ? t->nstrat : 1, t->ninstr, pdp,
			       qdp) != 0 ||
	    trd_oms_init(&t->oms, &t->reg, t->ninstr) != 0)
		goto out;
	t->pf.on_trade = trade_cb;
	t->pf.arg = t;
	rc = 0;
out:
	free(pdp);
	free(qdp);
	if (rc != 0)
		log_error("out of memory");
	return rc;
}

int
trd_session_init(struct trd_session *t, struct trd_engine *e,
		 const struct trd_config *c, struct trd_store *store,
		 const char *report_dir, const char *run_prefix, int flags)
{
	struct trd_venue_env venv;
	int rc = -1;

	*t = (struct trd_session){ .engine = e, .conf = c, .flags = flags,
				   .tf_s = c->replay.timeframe_s,
				   .wall0_ns = trd_clock_mono_ns(),
				   .warm_until_ns = INT64_MIN };
	t->hk_period_ns = (int64_t)(c->housekeeping_ms ? c->housekeeping_ms
				   : TRD_HOUSEKEEPING_DEFAULT_MS) * TRD_NS_PER_MS;
	t->grace_ns = (int64_t)t->tf_s * TRD_NS_PER_SEC;
	trd_timer_init(&t->hk, &e->clock, hk_cb, t);
	if (trd_registry_init(&t->reg, c) != 0) {
		log_error("instrument registry: out of memory or duplicate");
		goto out;
	}
	if (store != NULL && trd_registry_map_store(&t->reg, store) != 0)
		goto out;
	t->ninstr = t->reg.n;
	if ((t->ins = calloc(t->ninstr ? t->ninstr : 1, sizeof(*t->ins))) ==
	    NULL)
		goto out;
	for (size_t i = 0; i < t->ninstr; i++)
		if (trd_fset_new(&t->ins[i].fs, t->reg.v[i].price_dp,
				 t->reg.v[i].qty_dp, c->features.history) != 0)
			goto out;
	if (setup_books(t, c) != 0)
		goto out;
	if (run_prefix && trd_oms_set_prefix(&t->oms, run_prefix) != 0) {
		log_error("run prefix '%s' is not 1..8 letters and digits",
			  run_prefix);
		goto out;
	}
	venv = (struct trd_venue_env){ .conf = c, .reg = &t->reg, .pf = &t->pf,
				       .clock = &e->clock,
				       .report = trd_oms_on_report,
				       .report_arg = &t->oms };
	if (trd_venue_open(&t->venue, venue_kind_name(c->venue.kind),
			   &venv) != 0)
		goto out;
	trd_oms_set_venue(&t->oms, t->venue);
	if (trd_risk_init(&t->risk, &c->risk, &t->pf, &t->oms, &t->reg,
			  t->nstrat ? t->nstrat : 1) != 0)
		goto out;
	if ((t->strats = calloc(t->nstrat ? t->nstrat : 1,
				sizeof(*t->strats))) == NULL)
		goto out;
	for (size_t k = 0; k < t->nstrat; k++)
		if (setup_strategy(t, c, k) != 0)
			goto out;
	/* The report exists before init so orders placed there are kept. */
	if (!(flags & TRD_SESSION_CHECK)) {
		struct trd_report_meta m;
		t->report_names = calloc(t->nstrat ? t->nstrat : 1,
					 sizeof(*t->report_names));
		t->report_dir = strdup(report_dir ? report_dir : c->report_dir);
		if (t->report_names == NULL || t->report_dir == NULL)
			goto out;
		for (size_t k = 0; k < t->nstrat; k++)
			t->report_names[k] = t->strats[k].name;
		m = (struct trd_report_meta){
			.dir = t->report_dir, .initial_cash = c->account.cash,
			.tf_s = t->tf_s,
			.equity_interval_s = c->report.equity_interval_s,
			.reg = &t->reg, .strategies = t->report_names,
			.nstrat = t->nstrat, .conf = c };
		if (trd_report_open(&t->report, &m) != 0)
			goto out;
	}
	if (trd_oms_subscribe(&t->oms, session_on_order, t) != 0 ||
	    (t->report && trd_oms_subscribe(&t->oms, trd_report_on_order,
					    t->report) != 0))
		goto out;
	for (size_t k = 0; k < t->nstrat; k++) {
		if (trd_host_init(&t->strats[k]) != 0)
			goto out;
		trd_session_flush(t);
	}
	if (trd_engine_subscribe(e, event_cb, t) != 0)
		goto out;
	if (flags & TRD_SESSION_LIVE)
		trd_timer_start(&t->hk, grid_up(trd_clock_now(&e->clock) + 1,
						t->hk_period_ns),
				t->hk_period_ns);
	else
		hk_arm(t);
	rc = 0;
out:
	if (rc != 0)
		trd_session_free(t);
	return rc;
}

/* The strategies' recorded figures, for the report. */
static int
recorded(struct trd_session *t)
{
	struct trd_report_value *v;
	size_t n = 0;
	int rc;

	for (size_t k = 0; k < t->nstrat; k++)
		n += t->strats[k].nrec;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return -1;
	n = 0;
	for (size_t k = 0; k < t->nstrat; k++)
		for (size_t i = 0; i < t->strats[k].nrec; i++)
			v[n++] = (struct trd_report_value){
				t->strats[k].name, t->strats[k].rec[i].name,
				t->strats[k].rec[i].v };
	rc = trd_report_recorded(t->report, v, n);
	free(v);
	return rc;
}

int
trd_session_finish(struct trd_session *t)
{
	struct trd_report_trip *trips;
	struct trd_report_risk risk;
	int rc;

	if (t->have_sample)
		sample(t);
	t->have_sample = 0;
	/* What has reached the venue by the end (cancels, expiries) is
	 * applied, so the report shows the orders as they stand. */
	t->venue->ops->finish(t->venue, trd_clock_now(&t->engine->clock));
	trd_session_flush(t);
	trd_timer_stop(&t->hk);
	for (size_t k = 0; k < t->nstrat; k++)
		trd_host_unload(&t->strats[k]);
	if (t->report == NULL)
		return 0;
	trips = calloc(t->risk.ntrips ? t->risk.ntrips : 1, sizeof(*trips));
	if (trips == NULL) {
		trd_report_abort(t->report);
		t->report = NULL;
		return -1;
	}
	for (size_t i = 0; i < t->risk.ntrips; i++)
		trips[i] = (struct trd_report_trip){ t->risk.trips[i].ts_ns,
						     t->risk.trips[i].reason };
	risk = (struct trd_report_risk){ t->risk.halted, trips,
					 t->risk.ntrips };
	if (t->day_end != 0 && t->ninstr)
		trd_report_day_marks(t->report, t->day_end, &t->pf.ins[0].last,
				     sizeof(t->pf.ins[0]));
	trd_report_wall(t->report, trd_clock_mono_ns() - t->wall0_ns);
	if (recorded(t) != 0) {
		free(trips);
		trd_report_abort(t->report);
		t->report = NULL;
		return -1;
	}
	rc = trd_report_finish(t->report, &t->oms, t->pf.fees, &risk);
	free(trips);
	t->report = NULL;
	return rc == 0 ? 0 : -1;
}

/*
 * s's entry in one instrument's callback list set to fn: updated in
 * place, removed (fn NULL) or inserted where strategy order puts it, so
 * delivery order stays config order.  0 or -1 (out of memory).
 */
static int
rebind_one(struct trd_sub **v, size_t *n, void (*fn)(struct trd_strategy *,
						    const void *),
	   struct trd_strategy *s)
{
	size_t i;

	for (i = 0; i < *n && (*v)[i].s->idx < s->idx; i++)
		;
	if (i < *n && (*v)[i].s == s) {
		if (fn) {
			(*v)[i].fn = fn;
		} else {
			memmove(&(*v)[i], &(*v)[i + 1],
				(*n - i - 1) * sizeof(**v));
			(*n)--;
		}
		return 0;
	}
	if (fn == NULL)
		return 0;
	if (add_sub(v, n, fn, s) != 0)
		return -1;
	memmove(&(*v)[i + 1], &(*v)[i], (*n - 1 - i) * sizeof(**v));
	(*v)[i] = (struct trd_sub){ fn, s };
	return 0;
}

/* After a hot swap: s's callbacks are the new code's. */
static int
rebind(struct trd_session *t, struct trd_strategy *s)
{
	typedef void (*cb)(struct trd_strategy *, const void *);

	for (size_t j = 0; j < s->ninstr; j++) {
		struct trd_session_instr *in = &t->ins[s->instr[j].sym];
		if (rebind_one(&in->bar_subs, &in->nbar_subs,
			       (cb)s->p->on_bar, s) != 0 ||
		    rebind_one(&in->quote_subs, &in->nquote_subs,
			       (cb)s->p->on_quote, s) != 0 ||
		    rebind_one(&in->trade_subs, &in->ntrade_subs,
			       (cb)s->p->on_trade, s) != 0)
			return -1;
	}
	return 0;
}

int
trd_session_reload(struct trd_session *t, const struct trd_config *c,
		   char *why, size_t whylen)
{
	int kept = 0;
	size_t o = 0;

	if (whylen)
		why[0] = '\0';
	trd_risk_set(&t->risk, &c->risk);
	for (size_t k = 0; k < t->nstrat && k < c->nstrategies; k++) {
		struct trd_strategy *s = &t->strats[k];
		const struct trd_strategy_conf *sc = &c->strategies[k];
		struct trd_param *np;
		struct trd_params p;
		char err[256] = "";

		if (!s->initialised ||
		    trd_params_dup(sc->params, sc->nparams, &np) != 0)
			continue;
		/* New features first, so on_reload can look them up; one
		 * the set has already is found, not added. */
		for (size_t j = 0; j < s->ninstr; j++)
			for (size_t f = 0; f < sc->nfeatures; f++)
				if (trd_fset_add(t->ins[s->instr[j].sym].fs,
						 sc->features[f], err,
						 sizeof(err)) == NULL)
					log_error("strategy %s: %s", s->name,
						  err);
		err[0] = '\0';
		if (trd_host_changed(s)) {
			if (trd_host_swap(s, np, sc->nparams) == 0) {
				if (rebind(t, s) != 0)
					log_error("strategy %s: out of memory "
						  "rebinding its callbacks",
						  s->name);
				trd_params_free(s->params, s->nparams);
				s->params = np;
				s->nparams = sc->nparams;
				continue;
			}
			kept++;
			if (o < whylen)
				o += (size_t)snprintf(why + o, whylen - o,
						      "%sstrategy %s kept its "
						      "running plugin", o ? "; "
						      : "", s->name);
		}
		if (s->p->on_reload == NULL) {
			trd_params_free(np, sc->nparams);
			continue;
		}
		p = (struct trd_params){ sizeof(p), sc->nparams, np };
		if (s->p->on_reload(s, &p, err, sizeof(err)) != 0) {
			err[sizeof(err) - 1] = '\0';
			log_error("strategy %s refused the new params: %s; "
				  "keeping the old ones", s->name,
				  err[0] ? err : "(no reason given)");
			trd_params_free(np, sc->nparams);
			kept++;
			if (o < whylen)
				o += (size_t)snprintf(why + o, whylen - o,
						      "%sstrategy %s kept its "
						      "params: %s", o ? "; " : "",
						      s->name, err[0] ? err
						      : "(no reason given)");
			continue;
		}
		trd_params_free(s->params, s->nparams);
		s->params = np;
		s->nparams = sc->nparams;
		log_info("strategy %s: new params in effect", s->name);
	}
	trd_session_flush(t);
	hk_arm(t);
	return kept;
}

void
trd_session_free(struct trd_session *t)
{
	if (t->strats)
		for (size_t k = 0; k < t->nstrat; k++) {
			trd_host_unload(&t->strats[k]);
			free(t->strats[k].instr);
		}
	free(t->strats);
	if (t->report)
		trd_report_abort(t->report);
	if (t->engine)
		trd_timer_stop(&t->hk);
	for (size_t i = 0; t->ins && i < t->ninstr; i++) {
		free(t->ins[i].bar_subs);
		free(t->ins[i].quote_subs);
		free(t->ins[i].trade_subs);
		trd_fset_free(t->ins[i].fs);
	}
	free(t->ins);
	free(t->report_dir);
	free(t->report_names);
	free(t->q.v);
	if (t->venue)
		t->venue->ops->destroy(t->venue);
	trd_risk_free(&t->risk);
	trd_oms_free(&t->oms);
	trd_portfolio_free(&t->pf);
	trd_registry_free(&t->reg);
	*t = (struct trd_session){ 0 };
}

/* ---- the strategy host's API ---- */

int64_t
trd_session_now(const struct trd_session *t)
{
	return trd_clock_now(&t->engine->clock);
}

struct trd_clock *
trd_session_clock(struct trd_session *t)
{
	return &t->engine->clock;
}

const struct trd_portfolio *
trd_session_portfolio(const struct trd_session *t)
{
	return &t->pf;
}

const struct trd_fee_model *
trd_session_fees(const struct trd_session *t)
{
	return &t->venue->fees;
}

struct trd_fset *
trd_session_fset(struct trd_session *t, uint32_t ins)
{
	return t->ins[ins].fs;
}

uint32_t
trd_session_tf(const struct trd_session *t)
{
	return t->tf_s;
}

const char *
trd_session_conf_path(const struct trd_session *t)
{
	return t->conf->path;
}

/* A NEW order of s from rq on ins (0 when unknown: it is then refused
 * as unknown_symbol).  NULL when out of memory. */
static struct trd_order *
make_order(struct trd_session *t, struct trd_strategy *s,
	   const struct trd_order_req *rq, uint32_t ins, int64_t now)
{
	struct trd_order_spec sp = {
		.strat = (uint32_t)s->idx,
		.ins = ins == TRD_SESSION_NO_INSTR ? 0 : ins,
		.seq = ++s->norders, .side = (int)rq->side,
		.type = (int)rq->type, .tif = rq->tif, .flags = rq->flags,
		.qty = rq->qty, .price = rq->price,
		.stop_price = rq->stop_price, .trail = rq->trail,
		.expire_ns = rq->expire_ns, .tag = rq->tag,
	};
	struct trd_order *o = trd_oms_create(&t->oms, &sp, now);

	if (o == NULL)
		log_error("strategy %s: out of memory creating an order",
			  s->name);
	return o;
}

/* The host's checks of a NEW order: its symbol, then risk.  0 when it may
 * go to the venue; else it has been rejected (and its code returned). */
static int
screen(struct trd_session *t, struct trd_order *o, uint32_t ins, int64_t now)
{
	char why[160];
	int code;

	if (ins == TRD_SESSION_NO_INSTR) {
		trd_oms_reject(&t->oms, o, TRD_REJ_UNKNOWN_SYMBOL, "symbol is "
			       "not one of the strategy's", now);
		return TRD_REJ_UNKNOWN_SYMBOL;
	}
	code = trd_risk_check(&t->risk, o, now, why, sizeof(why));
	if (code != 0)
		trd_oms_reject(&t->oms, o, code, why, now);
	return code;
}

int
trd_session_submit(struct trd_session *t, struct trd_strategy *s,
		   const struct trd_order_req *rq, uint32_t ins, uint64_t *id)
{
	int64_t now = trd_session_now(t);
	struct trd_order *o = make_order(t, s, rq, ins, now);

	if (o == NULL)
		return -ENOMEM;
	if (id)
		*id = o->id;
	if (screen(t, o, ins, now) == 0)
		trd_oms_send(&t->oms, o, now);
	hk_arm(t);
	return 0;
}

int
trd_session_submit_oco(struct trd_session *t, struct trd_strategy *s,
		       const struct trd_order_req *ra, uint32_t ia,
		       const struct trd_order_req *rb, uint32_t ib,
		       uint64_t ids[2])
{
	int64_t now = trd_session_now(t);
	struct trd_order *a, *b;

	if ((a = make_order(t, s, ra, ia, now)) == NULL)
		return -ENOMEM;
	if ((b = make_order(t, s, rb, ib, now)) == NULL) {
		trd_oms_reject(&t->oms, a, TRD_REJ_INVALID_ORDER,
			       "out of memory", now);
		return -ENOMEM;
	}
	trd_oms_link_oco(&t->oms, a, b);
	if (ids) {
		ids[0] = a->id;
		ids[1] = b->id;
	}
	/* Both legs pass the checks before either goes out: a pair is
	 * placed whole or not at all (a refused leg refuses the other). */
	if (screen(t, a, ia, now) == 0 && screen(t, b, ib, now) == 0) {
		trd_oms_send(&t->oms, a, now);
		/* The venue may have closed b already (a refused at once
		 * takes its partner with it). */
		if (b->status == TRD_ORDER_NEW && !b->routed)
			trd_oms_send(&t->oms, b, now);
	}
	hk_arm(t);
	return 0;
}

int
trd_session_submit_bracket(struct trd_session *t, struct trd_strategy *s,
			   const struct trd_order_req *re, uint32_t ins,
			   const struct trd_bracket_req *b, uint64_t ids[3])
{
	int64_t now = trd_session_now(t);
	/* The exits: reduce-only, opposite side, held until the entry
	 * fills, quantity set then. */
	struct trd_order_req rx = {
		.size = sizeof(rx), .sym = re->sym,
		.side = re->side == TRD_SIDE_BUY ? TRD_SIDE_SELL : TRD_SIDE_BUY,
		.type = TRD_ORDER_LIMIT, .price = b->tp_price, .tag = re->tag,
		.flags = TRD_ORDER_REDUCE_ONLY };
	struct trd_order *e, *tp, *sl;
	const char *why = NULL;
	int code = 0;

	if ((e = make_order(t, s, re, ins, now)) == NULL)
		return -ENOMEM;
	if ((tp = make_order(t, s, &rx, ins, now)) == NULL) {
		trd_oms_reject(&t->oms, e, TRD_REJ_INVALID_ORDER,
			       "out of memory", now);
		return -ENOMEM;
	}
	rx.type = TRD_ORDER_STOP;
	rx.price = b->sl_price;
	if ((sl = make_order(t, s, &rx, ins, now)) == NULL) {
		trd_oms_reject(&t->oms, e, TRD_REJ_INVALID_ORDER,
			       "out of memory", now);
		trd_oms_reject(&t->oms, tp, TRD_REJ_INVALID_ORDER,
			       "out of memory", now);
		return -ENOMEM;
	}
	trd_oms_link_bracket(&t->oms, e, tp, sl, b->tp_bps, b->sl_bps);
	if (ids) {
		ids[0] = e->id;
		ids[1] = tp->id;
		ids[2] = sl->id;
	}
	if (ins != TRD_SESSION_NO_INSTR) {
		code = trd_oms_bracket_check((int)re->side, t->reg.v[ins].tick,
					     b->tp_price, b->tp_bps,
					     b->sl_price, b->sl_bps, &why);
		if (code != 0)
			trd_oms_reject(&t->oms, e, code, why, now);
	}
	if (code == 0 && screen(t, e, ins, now) == 0)
		trd_oms_send(&t->oms, e, now);
	hk_arm(t);
	return 0;
}

/* An open order of s by id, or NULL. */
static struct trd_order *
own_order(struct trd_session *t, struct trd_strategy *s, uint64_t id)
{
	struct trd_order *o = trd_oms_get(&t->oms, id);

	return o != NULL && o->strat == s->idx && trd_order_is_open(o) ? o
									: NULL;
}

int
trd_session_cancel(struct trd_session *t, struct trd_strategy *s, uint64_t id,
		   const char *reason)
{
	struct trd_order *o = own_order(t, s, id);
	int rc;

	if (o == NULL)
		return -ENOENT;
	rc = trd_oms_cancel(&t->oms, o, reason, trd_session_now(t));
	hk_arm(t);
	return rc;
}

int
trd_session_amend(struct trd_session *t, struct trd_strategy *s, uint64_t id,
		  int64_t qty, int64_t price)
{
	struct trd_order *o = own_order(t, s, id), tmp;
	int64_t now = trd_session_now(t);
	char why[160];
	int code, rc;

	if (o == NULL)
		return -ENOENT;
	if (qty <= 0 || qty < o->filled || price < 0)
		return -EINVAL;
	/* The order as it would be, through the same checks. */
	tmp = *o;
	tmp.qty = qty;
	if (price > 0)
		tmp.price = price;
	if (!o->held) {
		code = trd_risk_check(&t->risk, &tmp, now, why, sizeof(why));
		if (code != 0) {
			log_warn("strategy %s: amend of order %llu refused: "
				 "%s (%s)", s->name, (unsigned long long)id,
				 why, trd_reject_name(code));
			return -EPERM;
		}
	}
	rc = trd_oms_amend(&t->oms, o, qty, price, now);
	hk_arm(t);
	return rc;
}

size_t
trd_session_open_orders(struct trd_session *t, struct trd_strategy *s,
			struct trd_order_info *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->ninstr; i++) {
		const struct trd_oms_open *l = &t->oms.open[i];
		for (size_t j = 0; j < l->n; j++) {
			const struct trd_order *o = l->v[j];
			if (o->strat != s->idx)
				continue;
			if (out && n < max)
				trd_order_info(o, &out[n]);
			n++;
		}
	}
	return n;
}
