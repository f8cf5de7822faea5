/*
 * venue, oms and portfolio without the engine: the fill rules of each order
 * type, rounding, cash and position checks, and the accounting identity
 * after every fill.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "oms.h"
#include "portfolio.h"
#include "venue.h"

#define E8 100000000LL

struct rig {
	struct trd_portfolio   pf;
	struct trd_oms         oms;
	struct trd_venue       v;
	struct trd_venue_instr vi;
	int                    fills;
};

static void
fill_cb(void *arg, const struct trd_order *o, int64_t qty, int64_t price,
	int64_t fee, int64_t ts)
{
	struct rig *r = arg;

	(void)o;
	(void)qty;
	(void)price;
	(void)fee;
	(void)ts;
	r->fills++;
}

/* Price and qty with 2 and 3 decimals; tick 0.01, lot 0.001. */
static void
rig_init(struct rig *r, int64_t cash, int64_t fee_bps, int64_t slip_bps)
{
	uint8_t pdp = 2, qdp = 3;

	memset(r, 0, sizeof(*r));
	r->vi = (struct trd_venue_instr){ .tick = 1, .lot = 1 };
	cr_assert_eq(trd_portfolio_init(&r->pf, cash, 1, 1, &pdp, &qdp), 0);
	cr_assert_eq(trd_oms_init(&r->oms, 1), 0);
	trd_venue_init(&r->v, &r->oms, &r->pf, &r->vi, 1, fee_bps, slip_bps);
	r->v.on_fill = fill_cb;
	r->v.arg = r;
}

static void
rig_free(struct rig *r)
{
	trd_venue_free(&r->v);
	trd_oms_free(&r->oms);
	trd_portfolio_free(&r->pf);
}

/* cash + marked positions == initial + realized + unrealized - fees */
static void
check_books(const struct rig *r)
{
	int64_t realized, unrealized;

	trd_portfolio_pnl(&r->pf, &realized, &unrealized);
	cr_assert_eq(trd_portfolio_equity(&r->pf),
		     r->pf.initial_cash + realized + unrealized - r->pf.fees,
		     "accounting identity broken");
}

static struct trd_order *
submit(struct rig *r, int side, int type, int64_t qty, int64_t price,
       int64_t now)
{
	struct trd_order *o = trd_oms_create(&r->oms, 0, 0, side, type, qty,
					     price, 0, now);
	trd_venue_submit(&r->v, o, now);
	return trd_oms_get(&r->oms, o->id);
}

static struct trd_bar
bar(int64_t ts, int64_t o, int64_t h, int64_t l, int64_t c)
{
	return (struct trd_bar){ .ts_ns = ts, .open = o, .high = h, .low = l,
				 .close = c, .tf_s = 60 };
}

static void
feed(struct rig *r, struct trd_bar b)
{
	trd_venue_bar(&r->v, 0, &b);
	trd_portfolio_mark(&r->pf, 0, b.close);
	check_books(r);
}

Test(venue, market_fills_at_next_open_never_the_same_bar)
{
	struct rig r;
	struct trd_order *o;

	rig_init(&r, 1000000 * E8, 0, 0);
	/* Submitted at t=60 (bar 0's close): bar 0 (open t=0) must not
	 * fill it; bar 1 (open t=60) fills at its open. */
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 2000, 0, 60);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED);
	feed(&r, bar(0, 10000, 10100, 9900, 10050));
	cr_assert_eq(r.fills, 0);
	feed(&r, bar(60, 10060, 10200, 10000, 10100));
	o = trd_oms_get(&r.oms, 1);
	cr_assert_eq(o->status, TRD_ORDER_FILLED);
	cr_assert_eq(trd_order_avg_price(o), 10060);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->qty, 2000);
	/* 2.000 at 100.60 = 201.20 */
	cr_assert_eq(r.pf.cash, (1000000 - 201) * E8 - 20 * E8 / 100);
	rig_free(&r);
}

Test(venue, limit_fills_only_when_traded_through)
{
	struct rig r;

	rig_init(&r, 1000000 * E8, 0, 0);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 10000, 0);
	feed(&r, bar(0, 10050, 10100, 10000, 10020)); /* touch only */
	cr_assert_eq(r.fills, 0);
	feed(&r, bar(60, 10020, 10030, 9990, 10010));  /* through */
	cr_assert_eq(trd_order_avg_price(trd_oms_get(&r.oms, 1)), 10000);
	/* Gap through the limit: fill at the better open. */
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 10000, 120);
	feed(&r, bar(120, 9950, 9990, 9900, 9960));
	cr_assert_eq(trd_order_avg_price(trd_oms_get(&r.oms, 2)), 9950);
	/* Sell limit above. */
	submit(&r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 2000, 10100, 180);
	feed(&r, bar(180, 10000, 10101, 9990, 10050));
	cr_assert_eq(trd_order_avg_price(trd_oms_get(&r.oms, 3)), 10100);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->qty, 0);
	rig_free(&r);
}

Test(venue, stop_triggers_on_touch_and_gaps_fill_at_open)
{
	struct rig r;

	rig_init(&r, 1000000 * E8, 0, 0);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_STOP, 1000, 10100, 0);
	feed(&r, bar(0, 10000, 10099, 9950, 10050));  /* not reached */
	cr_assert_eq(r.fills, 0);
	feed(&r, bar(60, 10050, 10100, 10000, 10080)); /* touched */
	cr_assert_eq(trd_order_avg_price(trd_oms_get(&r.oms, 1)), 10100);
	/* A sell stop gapped through: fills at the (worse) open. */
	submit(&r, TRD_SIDE_SELL, TRD_ORDER_STOP, 1000, 10000, 120);
	feed(&r, bar(120, 9900, 9950, 9800, 9850));
	cr_assert_eq(trd_order_avg_price(trd_oms_get(&r.oms, 2)), 9900);
	rig_free(&r);
}

Test(venue, fees_slippage_and_tick_rounding)
{
	struct rig r;

	/* 10 bps fee (100000 at 1e4), 5 bps slippage, tick 0.05 (5). */
	rig_init(&r, 1000000 * E8, 100000, 50000);
	r.vi.tick = 5;
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, 0);
	feed(&r, bar(0, 10000, 10100, 9900, 10000));
	/* 100.00 * 1.0005 = 100.05 -> on the 0.05 tick already. */
	cr_assert_eq(trd_order_avg_price(trd_oms_get(&r.oms, 1)), 10005);
	/* fee: 100.05 * 0.001 = 0.10005 */
	cr_assert_eq(r.pf.fees, 10005000);
	/* A limit price off the tick rounds against the trader. */
	struct trd_order *o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000,
				     10003, 60);
	cr_assert_eq(o->price, 10000);
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 1000, 10003, 60);
	cr_assert_eq(o->price, 10005);
	rig_free(&r);
}

Test(venue, rejects_with_reasons)
{
	struct rig r;
	struct trd_order *o;

	rig_init(&r, 100 * E8, 0, 0);
	r.vi.lot = 10;
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 0, 0, 0);
	cr_assert_str_eq(o->reason, "quantity must be positive");
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 5, 0, 0);
	cr_assert_str_eq(o->reason, "quantity is below the lot size");
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10, 0, 0);
	cr_assert_str_eq(o->reason, "price must be positive");
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10000, 10000, 0);
	cr_assert(strstr(o->reason, "insufficient cash: needs 1000, has 100"),
		  "%s", o->reason);
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 10, 0, 0);
	cr_assert(strstr(o->reason, "insufficient position"), "%s", o->reason);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED);
	cr_assert_eq(r.oms.nrejected, 5);
	/* Quantity rounds down to the lot. */
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 15, 100, 0);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED);
	cr_assert_eq(o->qty, 10);
	rig_free(&r);
}

Test(venue, buy_gapping_above_cash_fills_what_it_can)
{
	struct rig r;

	/* Cash for exactly 10.000 at 100.00; the next open is 110.00. */
	rig_init(&r, 1000 * E8, 0, 0);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, 0);
	feed(&r, bar(0, 11000, 11000, 11000, 11000));
	struct trd_order *o = trd_oms_get(&r.oms, 1);
	cr_assert_eq(o->filled, 9090); /* 9.090 * 110 = 999.90 */
	cr_assert_eq(o->status, TRD_ORDER_CANCELED);
	cr_assert(strstr(o->reason, "insufficient cash"), "%s", o->reason);
	cr_assert_geq(r.pf.cash, 0);
	rig_free(&r);
}

Test(portfolio, round_trips_flips_and_the_identity)
{
	struct trd_portfolio pf;
	uint8_t pdp = 2, qdp = 3;
	int64_t realized, unrealized;

	cr_assert_eq(trd_portfolio_init(&pf, 10000 * E8, 1, 1, &pdp, &qdp), 0);
	trd_portfolio_fill(&pf, 0, 0, TRD_SIDE_BUY, 3000, 10000, 7, 0);
	trd_portfolio_fill(&pf, 0, 0, TRD_SIDE_BUY, 1000, 10400, 3, 1);
	/* avg entry 101.00 on 4.000: sell 1.000 at 103.00 -> +2.00 */
	trd_portfolio_fill(&pf, 0, 0, TRD_SIDE_SELL, 1000, 10300, 2, 2);
	cr_assert_eq(trd_portfolio_pos(&pf, 0, 0)->realized, 2 * E8);
	/* Sell 5.000 at 99.00: close 3.000 (-6.00) and go short 2.000. */
	trd_portfolio_fill(&pf, 0, 0, TRD_SIDE_SELL, 5000, 9900, 5, 3);
	cr_assert_eq(trd_portfolio_pos(&pf, 0, 0)->qty, -2000);
	cr_assert_eq(trd_portfolio_pos(&pf, 0, 0)->realized, -4 * E8);
	trd_portfolio_mark(&pf, 0, 9800);
	trd_portfolio_pnl(&pf, &realized, &unrealized);
	cr_assert_eq(unrealized, 2 * E8); /* short 2 from 99 to 98 */
	cr_assert_eq(trd_portfolio_equity(&pf),
		     pf.initial_cash + realized + unrealized - pf.fees);
	/* Buy back: the short round trip closes with +4.00 at 97.00. */
	trd_portfolio_fill(&pf, 0, 0, TRD_SIDE_BUY, 2000, 9700, 1, 4);
	cr_assert_eq(trd_portfolio_pos(&pf, 0, 0)->qty, 0);
	cr_assert_eq(trd_portfolio_pos(&pf, 0, 0)->realized, 0);
	cr_assert_eq(pf.cash, pf.initial_cash - pf.fees);
	trd_portfolio_free(&pf);
}

Test(portfolio, rounding_against_the_trader_keeps_the_identity)
{
	struct trd_portfolio pf;
	uint8_t pdp = 8, qdp = 8;
	int64_t realized, unrealized;
	unsigned seed = 1;

	cr_assert_eq(trd_portfolio_init(&pf, 1000000 * E8, 1, 1, &pdp, &qdp), 0);
	for (int i = 0; i < 20000; i++) {
		seed = seed * 1103515245 + 12345;
		int64_t px = 700000000000LL + (seed % 100000000);
		int64_t q = 1 + (seed >> 8) % 3000000;
		int side = (seed >> 4) & 1 ? TRD_SIDE_BUY : TRD_SIDE_SELL;
		int64_t n = trd_portfolio_notional(&pf, 0, px, q,
						   side == TRD_SIDE_BUY ? TRD_ROUND_UP
									: TRD_ROUND_DOWN);
		trd_portfolio_fill(&pf, 0, 0, side, q, px, trd_fee(n, 75000), i);
		trd_portfolio_mark(&pf, 0, px + (seed % 1000));
		trd_portfolio_pnl(&pf, &realized, &unrealized);
		cr_assert_eq(trd_portfolio_equity(&pf),
			     pf.initial_cash + realized + unrealized - pf.fees,
			     "identity broken at fill %d", i);
	}
	trd_portfolio_free(&pf);
}
