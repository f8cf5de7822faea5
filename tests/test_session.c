/*
 * session: the housekeeping tick (an order expires, an old order is
 * canceled and the kill switch trips with no market data arriving), and
 * a live run: a push source of quotes and trades under the wall clock
 * reaching a plugin's on_quote / on_trade and the microstructure features;
 * and a strategy's brackets and OCO pairs through the host and the
 * session's wiring.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "helpers.h"
#include "host.h"
#include "session.h"
#include "venue.h"

#define SEC 1000000000LL
#define T0  (1700000040LL * SEC) /* on a minute */
#define E8  100000000LL

static char *dir;

static void
setup(void)
{
	dir = th_tmpdir();
}

static void
teardown(void)
{
	th_rmtree(dir);
	free(dir);
}

TestSuite(session, .init = setup, .fini = teardown);

/* A config in dir with instrument XYZ (prices 2 decimals, quantities 3)
 * and one strategy of plugin with params, plus extra top-level YAML. */
static struct trd_config *
conf(const char *plugin, const char *params, const char *extra)
{
	char path[4200], body[8192];
	struct trd_config *c = NULL;
	int nerr = 0;

	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	snprintf(body, sizeof(body),
		 "data_dir: %s/db\nreport_dir: %s/report\nplugin_dir: %s\n"
		 "log_level: error\n"
		 "instruments:\n"
		 "  - { symbol: XYZ, tick_size: 0.01, lot_size: 0.001, "
		 "price_dp: 2, qty_dp: 3 }\n"
		 "replay: { timeframe: 1m }\n%s"
		 "strategies:\n  - { name: s, plugin: %s, symbols: [XYZ], "
		 "params: { %s } }\n",
		 dir, dir, th_bin("tests/plugins"), extra, plugin, params);
	cr_assert_eq(th_write_file(path, body), 0);
	cr_assert_eq(trd_config_load(path, &c, &nerr), 0, "%d errors", nerr);
	return c;
}

static struct trd_order_req
limit(int side, int64_t qty, int64_t price)
{
	return (struct trd_order_req){ .size = sizeof(struct trd_order_req),
				       .sym = 0, .side = (uint32_t)side,
				       .type = TRD_ORDER_LIMIT, .qty = qty,
				       .price = price };
}

/* With no data at all, time alone expires a GTD order (stamped with its
 * expiry) and cancels one older than max_order_age_s; and the tick is
 * armed only while such work is pending. */
Test(session, tick_expires_and_ages_orders_without_data)
{
	struct trd_config *c = conf("resting", "", "risk: { max_order_age_s: "
				    "120 }\n");
	uv_loop_t loop;
	struct trd_engine e;
	struct trd_session t;
	struct trd_order_req gtd = limit(TRD_SIDE_BUY, 1000, 5000);
	struct trd_order_req gtc = limit(TRD_SIDE_BUY, 1000, 5000);
	struct trd_order *o;
	uint64_t a, b;

	uv_loop_init(&loop);
	cr_assert_eq(trd_engine_init(&e, &loop, TRD_CLOCK_VIRTUAL, T0), 0);
	cr_assert_eq(trd_session_init(&t, &e, c, NULL, NULL, "bt", 0), 0);
	cr_assert(!trd_timer_active(&t.hk), "nothing pending: no tick");
	gtd.tif = TRD_TIF_GTD;
	gtd.expire_ns = T0 + 30 * SEC;
	cr_assert_eq(trd_session_submit(&t, &t.strats[0], &gtd, 0, &a), 0);
	cr_assert_eq(trd_session_submit(&t, &t.strats[0], &gtc, 0, &b), 0);
	cr_assert_eq(trd_oms_get(&t.oms, a)->status, TRD_ORDER_ACCEPTED);
	cr_assert(trd_timer_active(&t.hk));

	trd_clock_advance(&e.clock, T0 + 600 * SEC, 1);

	o = trd_oms_get(&t.oms, a);
	cr_assert_eq(o->status, TRD_ORDER_EXPIRED, "%s", o->reason);
	cr_assert_eq(o->update_ns, T0 + 30 * SEC, "stamped with its expiry");
	cr_assert_str_eq(o->reason, "GTD: expired at its expiry time");
	o = trd_oms_get(&t.oms, b);
	cr_assert_eq(o->status, TRD_ORDER_CANCELED, "%s", o->reason);
	cr_assert_str_eq(o->reason, "older than max_order_age_s");
	/* Its age passed at T0 + 120 s; the tick waits one bar for a bar
	 * that might still fill it, then cancels it then. */
	cr_assert_eq(o->update_ns, T0 + 180 * SEC);
	cr_assert(!trd_timer_active(&t.hk), "nothing left: no tick");
	cr_assert_eq(trd_session_finish(&t), 0);
	trd_session_free(&t);
	trd_engine_close(&e);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	trd_config_free(c);
}

/* ---- a network-like venue: acks and fills come later, from a timer ---- */

struct fake {
	struct trd_venue base;
	struct trd_timer tm;
	uint64_t         pending[8];
	int64_t          qty[8], price[8];
	int              npending, fills_left;
	uint64_t         exec;
};

static void
fake_cb(struct trd_timer *tm, void *arg)
{
	struct fake *f = arg;
	int64_t now = trd_clock_now(f->base.clock);

	(void)tm;
	for (int i = 0; i < f->npending; i++) {
		struct trd_venue_report r = { .kind = TRD_VR_ACCEPTED,
					      .id = f->pending[i], .ts_ns = now,
					      .venue_id = "F1", .qty = f->qty[i],
					      .price = f->price[i] };
		trd_venue_emit(&f->base, &r);
		if (f->fills_left > 0) {
			f->fills_left--;
			r = (struct trd_venue_report){
				.kind = TRD_VR_FILL, .id = f->pending[i],
				.ts_ns = now, .exec_id = ++f->exec,
				.fill_qty = f->qty[i],
				.fill_price = f->price[i] };
			trd_venue_emit(&f->base, &r);
		}
	}
	f->npending = 0;
}

static int
fake_submit(struct trd_venue *v, const struct trd_order *o, unsigned flags)
{
	struct fake *f = (struct fake *)v;

	(void)flags;
	if (f->npending == 8)
		return -EINVAL;
	f->pending[f->npending] = o->id;
	f->qty[f->npending] = o->qty;
	f->price[f->npending++] = o->price;
	trd_timer_start(&f->tm, trd_clock_now(v->clock) + SEC, 0);
	return 0;
}

static int
fake_cancel(struct trd_venue *v, const struct trd_order *o, const char *why)
{
	struct trd_venue_report r = { .kind = TRD_VR_CANCELED, .id = o->id,
				      .ts_ns = trd_clock_now(v->clock),
				      .reason = why };

	trd_venue_emit(v, &r);
	return 0;
}

static int
fake_amend(struct trd_venue *v, const struct trd_order *o, int64_t q,
	   int64_t p, unsigned flags)
{
	(void)v, (void)o, (void)q, (void)p, (void)flags;
	return -EINVAL;
}

static void
fake_market(struct trd_venue *v, const struct trd_event *ev)
{
	(void)v, (void)ev;
}

static void
fake_tick(struct trd_venue *v, int64_t now)
{
	(void)v, (void)now;
}

static int64_t
fake_next_due(const struct trd_venue *v)
{
	(void)v;
	return INT64_MAX;
}

static void
fake_destroy(struct trd_venue *v)
{
	struct fake *f = (struct fake *)v;

	trd_timer_stop(&f->tm);
	free(f);
}

static const struct trd_venue_ops fake_ops = {
	.kind = "fake", .submit = fake_submit, .cancel = fake_cancel,
	.amend = fake_amend, .market = fake_market, .tick = fake_tick,
	.next_due = fake_next_due, .finish = fake_tick,
	.destroy = fake_destroy,
};

static int
fake_open(struct trd_venue **out, const struct trd_venue_env *env)
{
	struct fake *f = calloc(1, sizeof(*f));

	cr_assert_not_null(f);
	f->base = (struct trd_venue){ .ops = &fake_ops,
				      .report = env->report,
				      .report_arg = env->report_arg,
				      .clock = env->clock };
	f->fills_left = 1;
	trd_timer_init(&f->tm, env->clock, fake_cb, f);
	*out = &f->base;
	return 0;
}

static void
live_done_cb(struct trd_engine *e, int status)
{
	(void)e;
	cr_assert_eq(status, TRD_ESTOPPED);
}

/* The only bar puts XYZ at 100; a buy of 500 filled later at 150 (the
 * venue's report, no market data) leaves the equity 25% under its peak:
 * the next tick trips the kill switch, which cancels the order still
 * working. */
Test(session, tick_trips_the_kill_switch_without_data)
{
	static const struct trd_venue_class fake = { "sim", fake_open };
	char out[4200], params[4300];
	struct trd_config *c;
	uv_loop_t loop;
	struct trd_engine e;
	struct trd_session t;
	struct trd_order_req big = limit(TRD_SIDE_BUY, 500000, 15000);
	struct trd_order_req rest = limit(TRD_SIDE_BUY, 1000, 5000);
	struct trd_event bar = {
		.ts_ns = T0 + 60 * SEC, .type = TRD_EV_BAR, .sym = 0,
		.u.bar = { .ts_ns = T0, .open = 10000, .high = 10000,
			   .low = 10000, .close = 10000, .volume = 1000,
			   .tf_s = 60 } };
	uint64_t a, b;

	snprintf(out, sizeof(out), "%s/ticks.txt", dir);
	snprintf(params, sizeof(params), "out: %s", out);
	c = conf("ticks", params, "risk: { max_drawdown_pct: 10 }\n");
	cr_assert_eq(trd_venue_register(&fake), 0);
	uv_loop_init(&loop);
	cr_assert_eq(trd_engine_init(&e, &loop, TRD_CLOCK_VIRTUAL, T0), 0);
	cr_assert_eq(trd_session_init(&t, &e, c, NULL, NULL, "bt",
				      TRD_SESSION_LIVE), 0);
	cr_assert_eq(trd_engine_live(&e, NULL, 0, live_done_cb), 0);
	trd_engine_push(&e, &bar);
	cr_assert_eq(t.pf.ins[0].last, 10000);
	cr_assert_eq(trd_session_submit(&t, &t.strats[0], &big, 0, &a), 0);
	cr_assert_eq(trd_session_submit(&t, &t.strats[0], &rest, 0, &b), 0);
	cr_assert(!trd_session_halted(&t));

	trd_clock_advance(&e.clock, T0 + 70 * SEC, 1);

	cr_assert_eq(trd_oms_get(&t.oms, a)->status, TRD_ORDER_FILLED);
	cr_assert_eq(trd_portfolio_equity(&t.pf), 75000 * E8);
	cr_assert(trd_session_halted(&t), "no tick tripped the kill switch");
	cr_assert_eq(t.risk.ntrips, 1);
	cr_assert(strstr(t.risk.trips[0].reason, "max drawdown 10%"), "%s",
		  t.risk.trips[0].reason);
	/* The fill came at T0 + 61 s; the first tick after it saw it. */
	cr_assert(t.risk.trips[0].ts_ns > T0 + 60 * SEC &&
			  t.risk.trips[0].ts_ns <= T0 + 62 * SEC,
		  "tripped at %lld", (long long)t.risk.trips[0].ts_ns);
	cr_assert_eq(trd_oms_get(&t.oms, b)->status, TRD_ORDER_CANCELED);
	cr_assert(strstr(trd_oms_get(&t.oms, b)->reason, "kill switch: "));
	trd_engine_stop(&e);
	cr_assert_eq(trd_session_finish(&t), 0);
	trd_session_free(&t);
	trd_engine_close(&e);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	trd_config_free(c);
}

/* A bar of XYZ opening at open_ns, delivered at its close. */
static void
push_bar(struct trd_engine *e, int64_t open_ns, int64_t o, int64_t h,
	 int64_t l, int64_t c)
{
	struct trd_event ev = {
		.ts_ns = open_ns + 60 * SEC, .type = TRD_EV_BAR, .sym = 0,
		.u.bar = { .ts_ns = open_ns, .open = o, .high = h, .low = l,
			   .close = c, .volume = 1000000000, .tf_s = 60 } };

	trd_engine_push(e, &ev);
}

/* A strategy's brackets and OCO pairs go through the real host calls and
 * the session's wiring to the order manager: a bracket's exits wait held,
 * are priced from the entry's fill and sized by it, and close each other;
 * an OCO pair is placed whole or refused whole. */
Test(session, host_brackets_and_oco_pairs_are_linked_by_the_session)
{
	char out[4200], params[4300];
	struct trd_config *c;
	uv_loop_t loop;
	struct trd_engine e;
	struct trd_session t;
	struct trd_strategy *s;
	struct trd_order_req entry = limit(TRD_SIDE_BUY, 2000, 10000);
	struct trd_order_req a = limit(TRD_SIDE_BUY, 1000, 9000);
	struct trd_order_req b = limit(TRD_SIDE_BUY, 1000, 8000);
	struct trd_order_req bad = limit(TRD_SIDE_BUY, 10000000, 8000);
	struct trd_bracket_req br = { .size = sizeof(br), .entry = &entry,
				      .tp_bps = 2000000, .sl_bps = 1000000 };
	const struct trd_order *tp, *sl;
	uint64_t ids[3], pair[2];

	snprintf(out, sizeof(out), "%s/ticks.txt", dir);
	snprintf(params, sizeof(params), "out: %s", out);
	c = conf("ticks", params, "risk: { max_order_notional: 100000 }\n");
	uv_loop_init(&loop);
	cr_assert_eq(trd_engine_init(&e, &loop, TRD_CLOCK_VIRTUAL, T0), 0);
	cr_assert_eq(trd_session_init(&t, &e, c, NULL, NULL, "bt",
				      TRD_SESSION_LIVE), 0);
	cr_assert_eq(trd_engine_live(&e, NULL, 0, live_done_cb), 0);
	s = &t.strats[0];
	entry.sym = a.sym = b.sym = bad.sym = s->instr[0].sym;
	push_bar(&e, T0, 10000, 10000, 10000, 10000);

	/* Both exits given twice (a price and an offset): refused whole,
	 * nothing reaches the venue. */
	br.tp_price = 12000;
	cr_assert_eq(trd_host_calls.submit_bracket(s, &br, ids), 0);
	cr_assert_eq(trd_oms_get(&t.oms, ids[0])->status, TRD_ORDER_REJECTED);
	for (int i = 1; i <= 2; i++) {
		cr_assert_eq(trd_oms_get(&t.oms, ids[i])->status,
			     TRD_ORDER_REJECTED);
		cr_assert_str_eq(trd_oms_get(&t.oms, ids[i])->reason,
				 "bracket entry rejected");
	}
	br.tp_price = 0;

	cr_assert_eq(trd_host_calls.submit_bracket(s, &br, ids), 0);
	tp = trd_oms_get(&t.oms, ids[1]);
	sl = trd_oms_get(&t.oms, ids[2]);
	cr_assert_eq(trd_oms_get(&t.oms, ids[0])->status, TRD_ORDER_ACCEPTED);
	cr_assert(tp->held && sl->held && !tp->routed && !sl->routed);
	cr_assert_eq(tp->side, TRD_SIDE_SELL);
	cr_assert_eq(tp->type, TRD_ORDER_LIMIT);
	cr_assert_eq(sl->type, TRD_ORDER_STOP);
	cr_assert_eq(tp->flags, TRD_ORDER_REDUCE_ONLY);
	cr_assert_eq(tp->link_id, ids[2]);
	cr_assert_eq(sl->link_id, ids[1]);
	cr_assert_eq(tp->parent_id, ids[0]);
	/* The entry fills at the open 99.50: exits at +2% and -1%. */
	push_bar(&e, T0 + 60 * SEC, 9950, 9960, 9940, 9950);
	cr_assert_eq(trd_oms_get(&t.oms, ids[0])->status, TRD_ORDER_FILLED);
	tp = trd_oms_get(&t.oms, ids[1]);
	sl = trd_oms_get(&t.oms, ids[2]);
	cr_assert_eq(tp->status, TRD_ORDER_ACCEPTED, "%s", tp->reason);
	cr_assert_eq(tp->price, 10149); /* 99.50 * 1.02 = 101.49 */
	cr_assert_eq(sl->price, 9850);  /* 99.50 * 0.99 = 98.505 */
	cr_assert_eq(tp->qty, 2000);
	cr_assert_eq(sl->qty, 2000);
	push_bar(&e, T0 + 120 * SEC, 9950, 9950, 9800, 9820);
	cr_assert_eq(trd_oms_get(&t.oms, ids[2])->status, TRD_ORDER_FILLED);
	tp = trd_oms_get(&t.oms, ids[1]);
	cr_assert_eq(tp->status, TRD_ORDER_CANCELED);
	cr_assert_str_eq(tp->reason, "OCO: other leg filled");
	cr_assert_eq(trd_portfolio_pos(&t.pf, 0, 0)->qty, 0);

	/* An OCO pair with a leg over max_order_notional (10000 x 80.00):
	 * neither goes out. */
	cr_assert_eq(trd_host_calls.submit_oco(s, &a, &bad, pair), 0);
	cr_assert_eq(trd_oms_get(&t.oms, pair[1])->status, TRD_ORDER_REJECTED);
	cr_assert_eq(trd_oms_get(&t.oms, pair[1])->reject_code,
		     TRD_REJ_MAX_ORDER_NOTIONAL);
	cr_assert_eq(trd_oms_get(&t.oms, pair[0])->status, TRD_ORDER_REJECTED);
	cr_assert_str_eq(trd_oms_get(&t.oms, pair[0])->reason,
			 "OCO: the other leg was rejected");
	cr_assert(!trd_oms_get(&t.oms, pair[0])->routed);
	/* A good pair rests whole; the first fill cancels the other. */
	cr_assert_eq(trd_host_calls.submit_oco(s, &a, &b, pair), 0);
	cr_assert_eq(trd_oms_get(&t.oms, pair[0])->status, TRD_ORDER_ACCEPTED);
	cr_assert_eq(trd_oms_get(&t.oms, pair[1])->status, TRD_ORDER_ACCEPTED);
	cr_assert_eq(trd_oms_get(&t.oms, pair[0])->link_id, pair[1]);
	push_bar(&e, T0 + 180 * SEC, 9000, 9000, 8900, 8950);
	cr_assert_eq(trd_oms_get(&t.oms, pair[0])->status, TRD_ORDER_FILLED);
	cr_assert_eq(trd_oms_get(&t.oms, pair[1])->status, TRD_ORDER_CANCELED);
	cr_assert_str_eq(trd_oms_get(&t.oms, pair[1])->reason,
			 "OCO: other leg filled");

	trd_engine_stop(&e);
	cr_assert_eq(trd_session_finish(&t), 0);
	trd_session_free(&t);
	trd_engine_close(&e);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	trd_config_free(c);
}

/* ---- a live run: a push source on the loop, under the wall clock ---- */

struct push {
	struct trd_source  base;
	struct trd_engine *e;
	uv_timer_t         tm;
	int                i, n, started, closed;
	struct trd_event   ev[8];
};

static void
push_cb(uv_timer_t *h)
{
	struct push *p = h->data;
	struct trd_event ev = p->ev[p->i++];

	/* Stamped with the time it is received, as a feed does. */
	ev.ts_ns = trd_clock_now(&p->e->clock);
	if (ev.type == TRD_EV_QUOTE)
		ev.u.quote.ts_ns = ev.ts_ns;
	else
		ev.u.trade.ts_ns = ev.ts_ns;
	trd_engine_push(p->e, &ev);
	if (p->i == p->n)
		trd_engine_stop(p->e);
}

static int
push_start(struct trd_source *s, struct trd_engine *e)
{
	struct push *p = (struct push *)s;

	p->e = e;
	p->started = 1;
	uv_timer_init(e->loop, &p->tm);
	p->tm.data = p;
	return uv_timer_start(&p->tm, push_cb, 1, 1);
}

static void
push_stop(struct trd_source *s)
{
	struct push *p = (struct push *)s;

	uv_timer_stop(&p->tm);
}

static void
push_destroy(struct trd_source *s)
{
	struct push *p = (struct push *)s;

	if (p->started)
		uv_close((uv_handle_t *)&p->tm, NULL);
}

static const struct trd_source_ops push_ops = {
	.kind = "push", .start = push_start, .stop = push_stop,
	.destroy = push_destroy,
};

static struct trd_event
quote(int64_t bid, int64_t ask, int64_t bq, int64_t aq)
{
	return (struct trd_event){
		.type = TRD_EV_QUOTE, .sym = 0,
		.u.quote = { .size = sizeof(struct trd_quote), .sym = 0,
			     .bid = bid, .ask = ask, .bid_qty = bq,
			     .ask_qty = aq } };
}

static struct trd_event
trade(int64_t px, int64_t qty, uint32_t side, uint64_t id)
{
	return (struct trd_event){
		.type = TRD_EV_TRADE, .sym = 0,
		.u.trade = { .size = sizeof(struct trd_trade), .sym = 0,
			     .price = px, .qty = qty, .aggressor = side,
			     .id = id } };
}

Test(session, live_push_source_reaches_on_quote_on_trade_and_features)
{
	static struct push p = { .base = { .ops = &push_ops,
					   .start_ns = TRD_TIME_UNSET } };
	struct trd_source *srcs[1] = { &p.base };
	char out[4200], params[4300], *got;
	struct trd_config *c;
	uv_loop_t loop;
	struct trd_engine e;
	struct trd_session t;
	/* By hand (prices at 2 decimals, quantities at 3): mid, spread in
	 * bps, (B - A) / (B + A), and ofi(2) = the sum of the last two
	 * e = [b >= b'] B - [b <= b'] B' - [a <= a'] A + [a >= a'] A':
	 * 4000 at the 2nd quote, -500 at the 3rd, so 3.5 (in units). */
	const char *want =
		"q 0 10000 10002 1000 3000 100.010000 1.999800 -0.500000 nan\n"
		"t 0 10001 1000 1 7 nan\n"
		"q 0 10001 10002 2000 1000 100.015000 0.999850 0.333333 nan\n"
		"t 0 10000 500 2 8 nan\n"
		"q 0 10001 10003 500 500 100.020000 1.999600 0.000000 3.500000\n"
		"t 0 10002 1500 1 9 0.666667\n";

	p.ev[0] = quote(10000, 10002, 1000, 3000);
	p.ev[1] = trade(10001, 1000, TRD_SIDE_BUY, 7);
	p.ev[2] = quote(10001, 10002, 2000, 1000);
	p.ev[3] = trade(10000, 500, TRD_SIDE_SELL, 8);
	p.ev[4] = quote(10001, 10003, 500, 500);
	p.ev[5] = trade(10002, 1500, TRD_SIDE_BUY, 9);
	p.n = 6;
	snprintf(out, sizeof(out), "%s/ticks.txt", dir);
	snprintf(params, sizeof(params), "out: %s", out);
	c = conf("ticks", params, "");
	uv_loop_init(&loop);
	cr_assert_eq(trd_engine_init(&e, &loop, TRD_CLOCK_WALL, 0), 0);
	cr_assert_eq(trd_session_init(&t, &e, c, NULL, NULL, "bt",
				      TRD_SESSION_LIVE), 0);
	cr_assert_eq(trd_engine_live(&e, srcs, 1, live_done_cb), 0);
	/* The push source and the housekeeping tick keep the loop alive
	 * until the source stops the engine after its last event. */
	while (e.state == TRD_ENGINE_RUNNING)
		uv_run(&loop, UV_RUN_ONCE);
	cr_assert_eq(e.stats.events, 6);
	cr_assert_eq(t.pf.ins[0].last, 10002, "trades mark the instrument");
	cr_assert_eq(trd_session_finish(&t), 0); /* fini closes the file */
	got = th_read_file(out, NULL);
	cr_assert_not_null(got);
	cr_assert_str_eq(got, want);
	free(got);
	trd_session_free(&t);
	trd_engine_close(&e);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	trd_config_free(c);
}
