/*
 * risk: every pre-trade check with its reject code, the token buckets on
 * the clock, exits never trapped by a limit, and the post-trade kill
 * switch (drawdown from the peak, daily loss from the UTC day's start).
 * On the shared rig (tests/rig.h): its registry, portfolio, order manager
 * and simulator, with the risk checks on top as the session has them.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "oms.h"
#include "portfolio.h"
#include "rig.h"
#include "risk.h"
#include "sizing.h"

#define E8  100000000LL
#define SEC 1000000000LL
#define T0  (1700000000LL * SEC) /* 2023-11-14T22:13:20Z */

/* Instrument 0 with tick 0.01 and lot 0.001, instrument 1 with tick 0.05
 * and lot 0.010 (prices at 2 decimals, quantities at 3); two strategies;
 * 100000.00 of cash; last close 100.00. */
struct rk {
	struct rig           k;
	struct trd_risk      r;
	struct trd_risk_conf c;
	char                 why[160];
};

static void
rk_init(struct rk *g, const struct trd_risk_conf *c)
{
	memset(g, 0, sizeof(*g));
	rig_open(&g->k, &(struct rig_opts){ .cash = 100000 * E8,
					    .tick = { 1, 5 },
					    .lot = { 1, 10 } });
	g->c = *c;
	cr_assert_eq(trd_risk_init(&g->r, c, &g->k.pf, &g->k.oms, &g->k.reg,
				   RIG_NSTRAT), 0);
	trd_portfolio_mark(&g->k.pf, 0, 10000);
	trd_portfolio_mark(&g->k.pf, 1, 10000);
	trd_risk_data(&g->r, 0, T0);
	trd_risk_data(&g->r, 1, T0);
}

static void
rk_free(struct rk *g)
{
	trd_risk_free(&g->r);
	rig_close(&g->k);
}

/* A NEW order (not routed). */
static struct trd_order *
mko(struct rk *g, uint32_t strat, uint32_t ins, int side, int type,
    int64_t qty, int64_t price, int64_t now)
{
	return rig_order(&g->k, rig_new(&g->k, strat, ins, side, type, qty,
					price, now));
}

/* Check a new order of instrument 0; returns the code (the order stays
 * NEW). */
static int
check(struct rk *g, int strat, int side, int type, int64_t qty,
      int64_t price, int64_t now)
{
	struct trd_order *o = mko(g, (uint32_t)strat, 0, side, type, qty,
				  price, now);

	g->why[0] = '\0';
	return trd_risk_check(&g->r, o, now, g->why, sizeof(g->why));
}

/* A working (accepted, listed) buy limit of strategy 0 on instrument 0,
 * below the market. */
static void
working(struct rk *g, int64_t qty, int64_t price)
{
	uint64_t id = rig_submit(&g->k, 0, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT,
				 qty, price, T0);

	cr_assert_eq(rig_order(&g->k, id)->status, TRD_ORDER_ACCEPTED, "%s",
		     rig_order(&g->k, id)->reason);
}

Test(risk, validity_codes)
{
	struct trd_risk_conf c = { 0 };
	struct rk g;
	struct trd_order *o;

	rk_init(&g, &c);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 0, 0, T0),
		     TRD_REJ_INVALID_QTY);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, INT64_MIN, 0,
			   T0), TRD_REJ_INVALID_QTY);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 5, 7, T0),
		     TRD_REJ_INVALID_PRICE, "a market order with a price");
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 5, -1, T0),
		     TRD_REJ_INVALID_PRICE);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 5, 0, T0),
		     TRD_REJ_INVALID_PRICE);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 5, 10000, T0),
		     0, "%s", g.why);
	/* Instrument 1: tick 5, lot 10. */
	o = mko(&g, 0, 1, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 15, 10000, T0);
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_LOT);
	cr_assert_str_eq(g.why, "quantity is not a multiple of the lot size");
	o = mko(&g, 0, 1, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 20, 10002, T0);
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_TICK);
	o = mko(&g, 0, 1, TRD_SIDE_BUY, TRD_ORDER_STOP_LIMIT, 20, 10000, T0);
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_INVALID_PRICE, "stop-limit without its stop");
	o->stop_price = 10001;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_TICK, "stop off the tick");
	o->stop_price = 10005;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)), 0);
	o = mko(&g, 0, 1, TRD_SIDE_SELL, TRD_ORDER_TRAILING_STOP, 20, 0, T0);
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_INVALID_PRICE, "no trail");
	o->trail = 7;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_TICK, "trail off the tick");
	o->trail = 50;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)), 0);
	/* Flags and time in force. */
	o = mko(&g, 0, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 5, 0, T0);
	o->flags = TRD_ORDER_POST_ONLY;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_INVALID_ORDER);
	o->flags = 0x40;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_INVALID_ORDER);
	o->flags = 0;
	o->tif = 9;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_INVALID_ORDER);
	o->tif = TRD_TIF_GTD;
	o->expire_ns = T0;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_INVALID_ORDER, "expiry not in the future");
	o->expire_ns = T0 + 1;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)), 0);
	o->tif = TRD_TIF_GTC;
	cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
		     TRD_REJ_INVALID_ORDER, "an expiry without GTD");
	rk_free(&g);
}

Test(risk, token_buckets_per_strategy_and_global)
{
	/* 2 orders/s per strategy (depth 2), 3/s for the account. */
	struct trd_risk_conf c = { .orders_per_second = 2000,
				   .orders_per_second_global = 3000 };
	struct rk g;

	rk_init(&g, &c);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0, T0), 0);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0, T0), 0);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0, T0),
		     TRD_REJ_RATE_STRATEGY);
	/* A refused order spent nothing of the other strategy's. */
	cr_assert_eq(check(&g, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0, T0), 0);
	/* The account's bucket (3 deep) is now empty. */
	cr_assert_eq(check(&g, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0, T0),
		     TRD_REJ_RATE_GLOBAL);
	/* Half a second later strategy 0 has one token again, and the
	 * account 1.5. */
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0,
			   T0 + SEC / 2), 0);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0,
			   T0 + SEC / 2), TRD_REJ_RATE_STRATEGY);
	/* Garbage spends tokens too: a flood is throttled before the
	 * validity checks. */
	for (int i = 0; i < 2; i++)
		cr_assert_eq(check(&g, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 0, 0,
				   T0 + 10 * SEC), TRD_REJ_INVALID_QTY);
	cr_assert_eq(check(&g, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 0, 0,
			   T0 + 10 * SEC), TRD_REJ_RATE_STRATEGY);
	/* Long after, full buckets, never more than their depth. */
	for (int i = 0; i < 2; i++)
		cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0,
				   T0 + 3600 * SEC), 0);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1, 0,
			   T0 + 3600 * SEC), TRD_REJ_RATE_STRATEGY);
	rk_free(&g);
}

Test(risk, open_orders_stale_data_collar_min_notional)
{
	struct trd_risk_conf c = { .max_open_orders = 2, .stale_data_s = 180,
				   .price_collar_pct = 50000 /* 5% */ };
	struct rk g;

	rk_init(&g, &c);
	g.k.reg.v[0].min_notional = 10 * E8; /* 10.00 */
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 99, 10000, T0),
		     TRD_REJ_MIN_NOTIONAL, "0.099 x 100 = 9.9 < 10");
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 100, 10000, T0),
		     0, "%s", g.why);
	/* The collar: 5% of 100.00 either way, inclusive. */
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 100, 10500, T0), 0);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 100, 10501, T0),
		     TRD_REJ_PRICE_COLLAR);
	cr_assert_eq(check(&g, 0, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 100, 9499, T0),
		     TRD_REJ_PRICE_COLLAR, "exits are collared too");
	/* Stale: 180 s is fine, 181 s is not. */
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 100, 0,
			   T0 + 180 * SEC), 0);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 100, 0,
			   T0 + 181 * SEC), TRD_REJ_STALE_DATA);
	cr_assert_str_eq(g.why, "market data older than 180s (stale_data_s)");
	g.r.ins[0].last_data_ns = 0;
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 100, 0, T0),
		     TRD_REJ_STALE_DATA, "no data yet");
	trd_risk_data(&g.r, 0, T0);
	/* Two working orders fill the book. */
	working(&g, 100, 9900);
	working(&g, 100, 9800);
	cr_assert_eq(check(&g, 1, TRD_SIDE_SELL, TRD_ORDER_MARKET, 100, 0, T0),
		     TRD_REJ_MAX_OPEN_ORDERS);
	rk_free(&g);
}

Test(risk, no_price_no_notional_checks)
{
	struct trd_risk_conf c = { .max_order_notional = 1000 * E8,
				   .price_collar_pct = 10000 };
	struct rk g;

	rk_init(&g, &c);
	g.k.pf.ins[0].last = 0; /* before the first close */
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 100, 0, T0),
		     TRD_REJ_NO_MARKET_DATA);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 100, 10000, T0),
		     TRD_REJ_NO_MARKET_DATA, "no last price for the collar");
	rk_free(&g);
}

Test(risk, exposure_limits_refuse_entries_never_exits)
{
	/* Order <= 5000, position <= 8000, gross <= 12000, 2 open trades;
	 * instrument 0 at 100.00, quantities in thousandths. */
	struct trd_risk_conf c = { .max_order_notional = 5000 * E8,
				   .max_position_notional = 8000 * E8,
				   .max_gross_exposure = 12000 * E8,
				   .max_open_trades = 2 };
	struct rk g;

	rk_init(&g, &c);
	g.k.reg.v[0].max_order_qty = 60000; /* 60 units */
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 60001, 0, T0),
		     TRD_REJ_MAX_ORDER_QTY);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 50001, 0, T0),
		     TRD_REJ_MAX_ORDER_NOTIONAL, "5000.10 > 5000");
	cr_assert(strstr(g.why, "notional 5000.1 above max_order_notional 5000"),
		  "%s", g.why);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 50000, 0, T0), 0);
	/* A long of 50 units (5000) for strategy 0. */
	trd_portfolio_fill(&g.k.pf, 0, 0, TRD_SIDE_BUY, 50000, 10000, 0, T0);
	/* Position: 50 + a working 20 + 11 = 81 units: 8100 > 8000. */
	working(&g, 20000, 9000);
	cr_assert_eq(check(&g, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 11000, 0, T0),
		     TRD_REJ_MAX_POSITION, "open orders on the side count");
	cr_assert_eq(check(&g, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, T0),
		     0, "%s", g.why);
	/* Gross: 5000 held + 40 units of instrument 1 (4000) = 9000 ok;
	 * 80 units (8000) makes 13000. */
	g.c.max_position_notional = 0;
	g.c.max_order_notional = 0;
	trd_risk_set(&g.r, &g.c);
	{
		struct trd_order *o = mko(&g, 1, 1, TRD_SIDE_SELL,
					  TRD_ORDER_MARKET, 80000, 0, T0);
		cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
			     TRD_REJ_MAX_GROSS, "a short adds to gross");
		o = mko(&g, 1, 1, TRD_SIDE_SELL, TRD_ORDER_MARKET, 40000, 0,
			T0);
		cr_assert_eq(trd_risk_check(&g.r, o, T0, g.why, sizeof(g.why)),
			     0, "%s", g.why);
	}
	/* Two positions open: a third (strategy 1 on instrument 0) is
	 * refused, adding to an open one is not. */
	trd_portfolio_fill(&g.k.pf, 1, 1, TRD_SIDE_SELL, 40000, 10000, 0, T0);
	g.c.max_gross_exposure = 0;
	trd_risk_set(&g.r, &g.c);
	cr_assert_eq(check(&g, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T0),
		     TRD_REJ_MAX_OPEN_TRADES);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T0),
		     0, "%s", g.why);
	/* Exits: selling the whole long, even above max_order_notional
	 * once the price has risen, is never refused by a limit. */
	trd_portfolio_mark(&g.k.pf, 0, 20000);
	g.c.max_order_notional = 5000 * E8;
	trd_risk_set(&g.r, &g.c);
	cr_assert_eq(check(&g, 0, TRD_SIDE_SELL, TRD_ORDER_MARKET, 50000, 0, T0),
		     0, "%s", g.why);
	/* Beyond the position the rest opens a short: checked. */
	cr_assert_eq(check(&g, 0, TRD_SIDE_SELL, TRD_ORDER_MARKET, 50001, 0, T0),
		     TRD_REJ_MAX_ORDER_NOTIONAL);
	rk_free(&g);
}

Test(risk, halted_refuses_entries_allows_exits)
{
	struct trd_risk_conf c = { 0 };
	struct rk g;

	rk_init(&g, &c);
	trd_portfolio_fill(&g.k.pf, 0, 0, TRD_SIDE_BUY, 5000, 10000, 0, T0);
	cr_assert_eq(trd_risk_halt(&g.r, T0, "operator"), 1);
	cr_assert_eq(trd_risk_halt(&g.r, T0 + 1, "again"), 0, "once");
	cr_assert_eq(g.r.ntrips, 1);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T0),
		     TRD_REJ_HALTED);
	cr_assert_eq(check(&g, 1, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, T0),
		     TRD_REJ_HALTED, "strategy 1 is flat: a sale opens a short");
	cr_assert_eq(check(&g, 0, TRD_SIDE_SELL, TRD_ORDER_MARKET, 5000, 0, T0),
		     0, "an exit");
	cr_assert_eq(check(&g, 0, TRD_SIDE_SELL, TRD_ORDER_MARKET, 5001, 0, T0),
		     TRD_REJ_HALTED, "an exit that flips");
	trd_risk_resume(&g.r, 100000 * E8);
	cr_assert_eq(check(&g, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T0), 0);
	rk_free(&g);
}

Test(risk, drawdown_trips_at_the_cap_from_the_peak)
{
	struct trd_risk_conf c = { .max_drawdown_pct = 100000 /* 10% */ };
	struct rk g;

	rk_init(&g, &c);
	cr_assert_eq(trd_risk_mark(&g.r, T0, 105000 * E8), 0);
	cr_assert_eq(trd_risk_mark(&g.r, T0 + 60 * SEC, 110000 * E8), 0);
	/* 99000.00000001 is 9.99999999% below 110000: not yet. */
	cr_assert_eq(trd_risk_mark(&g.r, T0 + 120 * SEC, 99000 * E8 + 1), 0);
	cr_assert_eq(trd_risk_mark(&g.r, T0 + 180 * SEC, 99000 * E8), 1);
	cr_assert(g.r.halted);
	cr_assert_eq(g.r.ntrips, 1);
	cr_assert_eq(g.r.trips[0].ts_ns, T0 + 180 * SEC);
	cr_assert_str_eq(g.r.trips[0].reason, "max drawdown 10% from the equity "
			 "peak 110000 reached");
	cr_assert_eq(trd_risk_mark(&g.r, T0 + 240 * SEC, 50000 * E8), 0,
		     "trips once");
	/* Resumed: the peak restarts at the equity then. */
	trd_risk_resume(&g.r, 50000 * E8);
	cr_assert_eq(trd_risk_mark(&g.r, T0 + 300 * SEC, 46000 * E8), 0);
	cr_assert_eq(trd_risk_mark(&g.r, T0 + 360 * SEC, 45000 * E8), 1);
	cr_assert_eq(g.r.ntrips, 2);
	rk_free(&g);
}

Test(risk, daily_loss_from_the_utc_day_start)
{
	struct trd_risk_conf c = { .daily_loss_pct = 50000 /* 5% */ };
	int64_t day = 1700006400LL * SEC; /* 2023-11-15T00:00:00Z */
	struct rk g;

	rk_init(&g, &c);
	/* The first day starts from the initial cash (100000): -4.9%. */
	cr_assert_eq(trd_risk_mark(&g.r, day - 3600 * SEC, 95100 * E8), 0);
	cr_assert_eq(trd_risk_mark(&g.r, day - 60 * SEC, 96000 * E8), 0);
	/* The new day starts from the last equity before it, 96000: a
	 * further 4% is no trip although the total is 7.8% down. */
	cr_assert_eq(trd_risk_mark(&g.r, day, 92160 * E8), 0);
	cr_assert_eq(trd_risk_mark(&g.r, day + 3600 * SEC, 91200 * E8 + 1), 0);
	cr_assert_eq(trd_risk_mark(&g.r, day + 7200 * SEC, 91200 * E8), 1);
	cr_assert_str_eq(g.r.trips[0].reason, "daily loss 5% from the day's "
			 "starting equity 96000 reached");
	rk_free(&g);
}

Test(risk, opening_quantity)
{
	cr_assert_eq(trd_risk_opening_qty(TRD_SIDE_SELL, 100, 60), 0);
	cr_assert_eq(trd_risk_opening_qty(TRD_SIDE_SELL, 100, 160), 60);
	cr_assert_eq(trd_risk_opening_qty(TRD_SIDE_BUY, 100, 60), 60);
	cr_assert_eq(trd_risk_opening_qty(TRD_SIDE_BUY, -100, 100), 0);
	cr_assert_eq(trd_risk_opening_qty(TRD_SIDE_BUY, INT64_MIN, INT64_MAX), 0);
	cr_assert_eq(trd_risk_opening_qty(TRD_SIDE_SELL, 0, INT64_MAX),
		     INT64_MAX);
}

Test(risk, sizing_fractions)
{
	struct trd_sizing z = { .size = sizeof(z), .method = TRD_SIZE_FRACTION,
				.fraction = 0.25 };
	struct trd_size_stats none = { 0 }, st;

	cr_assert_eq(trd_size_fraction(&z, &none, NAN), 0.25);
	z.fraction = 0;
	cr_assert_eq(trd_size_fraction(&z, &none, NAN), -1);
	z.fraction = 1.5;
	cr_assert_eq(trd_size_fraction(&z, &none, NAN), -1);
	z.fraction = NAN;
	cr_assert_eq(trd_size_fraction(&z, &none, NAN), -1);
	z.method = 99;
	z.fraction = 0.5;
	cr_assert_eq(trd_size_fraction(&z, &none, NAN), -1);
	z.method = TRD_SIZE_FIXED;
	cr_assert_eq(trd_size_fraction(&z, &none, NAN), -1);

	/* Volatility target: 1% per bar against vol(20). */
	z = (struct trd_sizing){ .size = sizeof(z), .method = TRD_SIZE_VOL_TARGET,
				 .vol_target = 0.01, .vol_n = 20 };
	cr_assert_float_eq(trd_size_fraction(&z, &none, 0.04), 0.25, 1e-15);
	cr_assert_eq(trd_size_fraction(&z, &none, 0.005), 1, "never leveraged");
	cr_assert_eq(trd_size_fraction(&z, &none, NAN), 0, "not warm");
	cr_assert_eq(trd_size_fraction(&z, &none, 0), 0, "flat window");
	z.vol_target = INFINITY;
	cr_assert_eq(trd_size_fraction(&z, &none, 0.04), -1);
	z.vol_target = 0.01;
	z.vol_n = 1;
	cr_assert_eq(trd_size_fraction(&z, &none, 0.04), -1);

	/* Kelly: 6 wins averaging 200, 4 losses averaging 100: p = 0.6,
	 * b = 2, f = 0.6 - 0.4 / 2 = 0.4; half is 0.2, capped at 1%. */
	z = (struct trd_sizing){ .size = sizeof(z), .method = TRD_SIZE_KELLY,
				 .fraction = 0.05, .kelly_min_trades = 10 };
	st = (struct trd_size_stats){ 6, 4, 1200, 400 };
	cr_assert_float_eq(trd_size_fraction(&z, &st, NAN), 0.01, 1e-15);
	z.kelly_cap = 0.5;
	cr_assert_float_eq(trd_size_fraction(&z, &st, NAN), 0.2, 1e-15);
	/* Fewer than 10 trades: the fixed fraction. */
	st.nlosses = 3;
	st.sum_loss = 300;
	cr_assert_eq(trd_size_fraction(&z, &st, NAN), 0.05);
	/* p = 0.4, b = 1: f = 0.4 - 0.6 < 0, no position. */
	st = (struct trd_size_stats){ 4, 6, 400, 600 };
	cr_assert_eq(trd_size_fraction(&z, &st, NAN), 0);
	/* Never lost: b infinite, f = p = 1, half = 0.5. */
	st = (struct trd_size_stats){ 10, 0, 1000, 0 };
	cr_assert_float_eq(trd_size_fraction(&z, &st, NAN), 0.5, 1e-15);
	st = (struct trd_size_stats){ 0, 10, 0, 1000 };
	cr_assert_eq(trd_size_fraction(&z, &st, NAN), 0, "never won");
	z.kelly_cap = 2;
	cr_assert_eq(trd_size_fraction(&z, &st, NAN), -1, "cap above 1");
	z.kelly_cap = NAN;
	cr_assert_eq(trd_size_fraction(&z, &st, NAN), -1);
}
