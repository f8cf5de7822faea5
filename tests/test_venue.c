/*
 * The simulator behind the venue interface, the order manager and the
 * portfolio without the engine (tests/rig.h): the fill rules of each order
 * type, rounding, cash, collateral and position checks, short selling, and
 * the accounting identity after every fill.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "margin.h"
#include "oms.h"
#include "portfolio.h"
#include "rig.h"
#include "venue.h"

#define E8     100000000LL
#define SEC    1000000000LL
#define NSTRAT RIG_NSTRAT
#define NINS   RIG_NINS

/* Two strategies and two instruments, prices and quantities with 2 and 3
 * decimals; tick 0.01, lot 0.001 and no shorting unless the options say
 * otherwise: the tests on instrument 0 and strategy 0 see a
 * one-instrument venue.  Options: rig_opts fields. */
#define RIG(r, cash_, fee_, slip_, ...)                                    \
	rig_open(r, &(struct rig_opts){ .cash = (cash_), .fee_bps = (fee_),  \
					.slip_bps = (slip_), __VA_ARGS__ })

/* Times below are in seconds: a bar opening at ts is delivered at
 * ts + 60, as the session delivers it. */
static struct trd_order *
submit_to(struct rig *r, uint32_t strat, uint32_t ins, int side, int type,
	  int64_t qty, int64_t price, int64_t now)
{
	return rig_order(r, rig_submit(r, strat, ins, side, type, qty, price,
				       now * SEC));
}

static struct trd_order *
submit(struct rig *r, int side, int type, int64_t qty, int64_t price,
       int64_t now)
{
	return submit_to(r, 0, 0, side, type, qty, price, now);
}

struct vbar {
	int64_t ts, o, h, l, c;
};

static struct vbar
bar(int64_t ts, int64_t o, int64_t h, int64_t l, int64_t c)
{
	return (struct vbar){ ts, o, h, l, c };
}

/* A bar of instrument ins (volume no cap bites on). */
static void
feed_ins(struct rig *r, uint32_t ins, struct vbar b)
{
	rig_bar(r, ins, b.ts * SEC, 60, b.o, b.h, b.l, b.c,
		1000000000000LL);
}

static void
feed(struct rig *r, struct vbar b)
{
	feed_ins(r, 0, b);
}

/* A flat bar at price p: fills market orders at p and marks at p. */
static void
flat(struct rig *r, uint32_t ins, int64_t ts, int64_t p)
{
	feed_ins(r, ins, bar(ts, p, p, p, p));
}

static const struct trd_position *
pos(const struct rig *r, size_t strat, size_t ins)
{
	return trd_portfolio_pos(&r->pf, strat, ins);
}

Test(venue, market_fills_at_next_open_never_the_same_bar)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 1000000 * E8, 0, 0);
	/* Submitted at t=60 (bar 0's close): bar 0 (open t=0) must not
	 * fill it; bar 1 (open t=60) fills at its open. */
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 2000, 0, 60);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED);
	feed(&r, bar(0, 10000, 10100, 9900, 10050));
	cr_assert_eq(r.nfills, 0);
	feed(&r, bar(60, 10060, 10200, 10000, 10100));
	o = trd_oms_get(&r.oms, 1);
	cr_assert_eq(o->status, TRD_ORDER_FILLED);
	cr_assert_eq(trd_order_avg_price(o), 10060);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->qty, 2000);
	/* 2.000 at 100.60 = 201.20 */
	cr_assert_eq(r.pf.cash, (1000000 - 201) * E8 - 20 * E8 / 100);
	rig_close(&r);
}

Test(venue, limit_fills_only_when_traded_through)
{
	struct rig r;

	RIG(&r, 1000000 * E8, 0, 0);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 10000, 0);
	feed(&r, bar(0, 10050, 10100, 10000, 10020)); /* touch only */
	cr_assert_eq(r.nfills, 0);
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
	rig_close(&r);
}

Test(venue, stop_triggers_on_touch_and_gaps_fill_at_open)
{
	struct rig r;

	RIG(&r, 1000000 * E8, 0, 0);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_STOP, 1000, 10100, 0);
	feed(&r, bar(0, 10000, 10099, 9950, 10050));  /* not reached */
	cr_assert_eq(r.nfills, 0);
	feed(&r, bar(60, 10050, 10100, 10000, 10080)); /* touched */
	cr_assert_eq(trd_order_avg_price(trd_oms_get(&r.oms, 1)), 10100);
	/* A sell stop gapped through: fills at the (worse) open. */
	submit(&r, TRD_SIDE_SELL, TRD_ORDER_STOP, 1000, 10000, 120);
	feed(&r, bar(120, 9900, 9950, 9800, 9850));
	cr_assert_eq(trd_order_avg_price(trd_oms_get(&r.oms, 2)), 9900);
	rig_close(&r);
}

Test(venue, fees_slippage_and_tick_rounding)
{
	struct rig r;

	/* 10 bps fee (100000 at 1e4), 5 bps slippage, tick 0.05 (5). */
	RIG(&r, 1000000 * E8, 100000, 50000, .tick = { 5, 1 });
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
	rig_close(&r);
}

Test(venue, rejects_with_reasons)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 100 * E8, 0, 0, .lot = { 10, 1 });
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
	cr_assert_eq(r.oms.stats.rejected, 5);
	/* Quantity rounds down to the lot. */
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 15, 100, 0);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED);
	cr_assert_eq(o->qty, 10);
	rig_close(&r);
}

Test(venue, buy_gapping_above_cash_fills_what_it_can)
{
	struct rig r;

	/* Cash for exactly 10.000 at 100.00; the next open is 110.00. */
	RIG(&r, 1000 * E8, 0, 0);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, 0);
	feed(&r, bar(0, 11000, 11000, 11000, 11000));
	struct trd_order *o = trd_oms_get(&r.oms, 1);
	cr_assert_eq(o->filled, 9090); /* 9.090 * 110 = 999.90 */
	cr_assert_eq(o->status, TRD_ORDER_CANCELED);
	cr_assert(strstr(o->reason, "insufficient cash"), "%s", o->reason);
	cr_assert_geq(r.pf.cash, 0);
	rig_close(&r);
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

/* Plain signed 128-bit rounding, the definition the fast paths keep. */
static __int128
ref_div(__int128 v, __int128 d, enum trd_round r)
{
	__int128 q = v / d, rem = v % d;

	if (rem == 0)
		return q;
	if (r == TRD_ROUND_DOWN)
		return v < 0 ? q - 1 : q;
	if (r == TRD_ROUND_UP)
		return v > 0 ? q + 1 : q;
	return 2 * (rem < 0 ? -rem : rem) >= d ? (v < 0 ? q - 1 : q + 1) : q;
}

static int64_t
ref_sat(__int128 v)
{
	return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

/* Notional and fee take 64-bit shortcuts when the result fits (marking
 * runs on every bar): every scale, sign, rounding and size, including the
 * edges where the shortcut must hand over, gives exactly the plain
 * 128-bit answer. */
Test(portfolio, notional_and_fee_shortcuts_match_exact_arithmetic)
{
	static const int64_t edge[] = { 0, 1, -1, 9, 10, 99999999, 100000000,
					INT64_MAX, INT64_MIN, INT64_MAX - 1,
					INT64_MIN + 1, 3037000499LL,
					-3037000500LL, 1000000000000000000LL };
	static const enum trd_round modes[] = { TRD_ROUND_DOWN, TRD_ROUND_UP,
						TRD_ROUND_NEAREST };
	uint64_t seed = 42;

	for (int pdp = 0; pdp <= 18; pdp++)
		for (int qdp = 0; qdp <= 18; qdp++) {
			struct trd_portfolio pf;
			uint8_t p8 = (uint8_t)pdp, q8 = (uint8_t)qdp;
			int shift = pdp + qdp - TRD_CASH_DP;
			__int128 pow = 1;

			cr_assert_eq(trd_portfolio_init(&pf, E8, 1, 1, &p8, &q8), 0);
			for (int i = 0; i < (shift < 0 ? -shift : shift); i++)
				pow *= 10;
			for (int i = 0; i < 600; i++) {
				int64_t a, b;
				int k = (int)(sizeof(edge) / sizeof(edge[0]));
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				/* Mixed magnitudes: small, price-like, edges. */
				a = i < k * k ? edge[i % k] : (int64_t)(seed >> (seed % 64));
				b = i < k * k ? edge[i / k] : (int64_t)(seed << 7) >> (seed % 61);
				if ((seed & 1) && b != INT64_MIN)
					b = -b;
				for (int m = 0; m < 3; m++) {
					__int128 v = (__int128)a * b, want;
					if (shift >= 0)
						want = ref_sat(ref_div(v, pow, modes[m]));
					else
						want = v > INT64_MAX || v < INT64_MIN
							       ? (v > 0 ? INT64_MAX : INT64_MIN)
							       : ref_sat(v * pow);
					cr_assert_eq(trd_portfolio_notional(&pf, 0, a, b, modes[m]),
						     (int64_t)want,
						     "dp %d/%d: %lld * %lld mode %d", pdp, qdp,
						     (long long)a, (long long)b, m);
				}
				{
					__int128 n = (__int128)a < 0 ? -(__int128)a : a;
					int64_t bps = (int64_t)(seed % 2000000);
					cr_assert_eq(trd_fee(a, bps),
						     ref_sat(ref_div(n * bps, 100000000,
								     TRD_ROUND_UP)),
						     "fee of %lld at %lld", (long long)a,
						     (long long)bps);
				}
			}
			trd_portfolio_free(&pf);
		}
}

/* --- short selling --- */

Test(venue, short_open_add_partial_and_full_cover)
{
	struct rig r;
	struct trd_order *o;
	int64_t realized, unrealized;

	RIG(&r, 1000 * E8, 0, 0, .shortable = { 1, 0 });
	flat(&r, 0, 0, 10000);
	/* Open: sell 2.000 from flat at 100.00. */
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 2000, 0, 60);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED, "%s", o->reason);
	flat(&r, 0, 60, 10000);
	cr_assert_eq(pos(&r, 0, 0)->qty, -2000);
	cr_assert_eq(pos(&r, 0, 0)->cost, -200 * E8);
	cr_assert_eq(r.pf.cash, 1200 * E8); /* the proceeds are cash */
	cr_assert_eq(trd_margin_free_collateral(&r.pf), 800 * E8);
	cr_assert(pos(&r, 0, 0)->trip.open);
	cr_assert_eq(pos(&r, 0, 0)->trip.side, TRD_SIDE_SELL);
	/* Add: 3.000 more at 110.00; average entry (200 + 330) / 5 = 106. */
	submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 3000, 0, 120);
	flat(&r, 0, 120, 11000);
	cr_assert_eq(pos(&r, 0, 0)->qty, -5000);
	cr_assert_eq(pos(&r, 0, 0)->cost, -530 * E8);
	cr_assert_eq(pos(&r, 0, 0)->trip.entry_qty, 5000);
	cr_assert_eq(pos(&r, 0, 0)->trip.entry_value, 530 * E8);
	/* Marked at 110.00: the short of 5 from 106 is 20 down. */
	trd_portfolio_pnl(&r.pf, &realized, &unrealized);
	cr_assert_eq(unrealized, -20 * E8);
	cr_assert_eq(trd_portfolio_equity(&r.pf), 980 * E8);
	cr_assert_eq(r.ntrades, 0);
	/* Partial cover: 1.000 at 100.00 against 106.00 gains 6. */
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, 180);
	flat(&r, 0, 180, 10000);
	cr_assert_eq(pos(&r, 0, 0)->qty, -4000);
	cr_assert_eq(pos(&r, 0, 0)->realized, 6 * E8);
	cr_assert_eq(pos(&r, 0, 0)->cost, -424 * E8);
	cr_assert_eq(r.ntrades, 0, "a partial cover does not close the trip");
	/* Full cover: 4.000 at 120.00 against 106.00 loses 56. */
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 4000, 0, 240);
	flat(&r, 0, 240, 12000);
	cr_assert_eq(pos(&r, 0, 0)->qty, 0);
	cr_assert_eq(pos(&r, 0, 0)->cost, 0);
	cr_assert_eq(pos(&r, 0, 0)->realized, -50 * E8);
	cr_assert_eq(r.pf.cash, 950 * E8);
	cr_assert_eq(r.pf.nexposed, 0);
	cr_assert_eq(r.ntrades, 1);
	cr_assert_eq(r.trades[0].side, TRD_SIDE_SELL);
	cr_assert_eq(r.trades[0].qty, 5000);
	cr_assert_eq(r.trades[0].entry_price, 10600);
	cr_assert_eq(r.trades[0].exit_price, 11600); /* (100 + 480) / 5 */
	cr_assert_eq(r.trades[0].pnl, -50 * E8);
	cr_assert_eq(r.trades[0].entry_ns, 60 * SEC);
	cr_assert_eq(r.trades[0].exit_ns, 240 * SEC);
	rig_close(&r);
}

Test(venue, short_cover_with_gain_and_with_loss_pays_fees)
{
	struct rig r;

	/* 10 bps: 1.00 on a notional of 1000. */
	RIG(&r, 2000 * E8, 100000, 0, .shortable = { 1, 0 });
	flat(&r, 0, 0, 10000);
	submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 10000, 0, 60);
	flat(&r, 0, 60, 10000);
	cr_assert_eq(r.pf.cash, 2999 * E8);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, 120);
	flat(&r, 0, 120, 9000);
	cr_assert_eq(r.ntrades, 1);
	cr_assert_eq(r.trades[0].side, TRD_SIDE_SELL);
	cr_assert_eq(r.trades[0].pnl, 100 * E8);
	cr_assert_eq(r.trades[0].fees, 190000000); /* 1.00 + 0.90 */
	cr_assert_eq(r.pf.cash, 2000 * E8 + 100 * E8 - 190000000);
	/* Again from 100.00, covered at 110.00: a loss of 100. */
	flat(&r, 0, 180, 10000);
	submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 10000, 0, 240);
	flat(&r, 0, 240, 10000);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, 300);
	flat(&r, 0, 300, 11000);
	cr_assert_eq(r.ntrades, 2);
	cr_assert_eq(r.trades[1].pnl, -100 * E8);
	cr_assert_eq(r.trades[1].fees, 210000000); /* 1.00 + 1.10 */
	cr_assert_eq(pos(&r, 0, 0)->realized, 0);
	cr_assert_eq(r.pf.cash, 2000 * E8 - 400000000);
	cr_assert_eq(r.pf.fees, 400000000);
	rig_close(&r);
}

Test(venue, flip_spends_what_the_closing_part_frees)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 1000 * E8, 0, 0, .shortable = { 1, 0 });
	flat(&r, 0, 0, 10000);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, 60);
	flat(&r, 0, 60, 10000);
	cr_assert_eq(r.pf.cash, 0);
	/* Long 10 with no cash left: the sale of the 10 frees 1000, which
	 * backs a short of 10, not of 15. */
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 25000, 0, 120);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED);
	cr_assert_str_eq(o->reason, "insufficient collateral to short: needs "
			 "1500, has 1000");
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 20000, 0, 120);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED, "%s", o->reason);
	flat(&r, 0, 120, 10500);
	cr_assert_eq(pos(&r, 0, 0)->qty, -10000);
	cr_assert_eq(pos(&r, 0, 0)->cost, -1050 * E8);
	cr_assert_eq(pos(&r, 0, 0)->realized, 50 * E8);
	cr_assert_eq(r.pf.cash, 2100 * E8);
	cr_assert_eq(r.ntrades, 1, "the long trip closes at the flip");
	cr_assert_eq(r.trades[0].side, TRD_SIDE_BUY);
	cr_assert_eq(r.trades[0].pnl, 50 * E8);
	cr_assert_eq(pos(&r, 0, 0)->trip.side, TRD_SIDE_SELL);
	cr_assert_eq(pos(&r, 0, 0)->trip.entry_qty, 10000);
	cr_assert_eq(trd_margin_free_collateral(&r.pf), 0);
	/* Back to long: covering 10 at 105 releases 2100 and costs 1050,
	 * which buys 10 more, not 11. */
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 21000, 0, 180);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED);
	cr_assert_str_eq(o->reason, "insufficient cash: needs 1155, has 1050");
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 20000, 0, 180);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED, "%s", o->reason);
	flat(&r, 0, 180, 10500);
	cr_assert_eq(pos(&r, 0, 0)->qty, 10000);
	cr_assert_eq(pos(&r, 0, 0)->cost, 1050 * E8);
	cr_assert_eq(r.pf.cash, 0);
	cr_assert_eq(r.ntrades, 2);
	cr_assert_eq(r.trades[1].side, TRD_SIDE_SELL);
	cr_assert_eq(r.trades[1].pnl, 0);
	cr_assert_eq(r.trades[1].entry_price, 10500);
	cr_assert_eq(pos(&r, 0, 0)->trip.side, TRD_SIDE_BUY);
	cr_assert_eq(pos(&r, 0, 0)->trip.entry_ns, 180 * SEC);
	rig_close(&r);
}

Test(venue, short_collateral_is_checked_on_the_whole_portfolio)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 1000 * E8, 100000, 0, .shortable = { 1, 1 });
	flat(&r, 0, 0, 10000);
	flat(&r, 1, 0, 10000);
	/* 1000 of short needs 1000 plus its fee of 1. */
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 10000, 0, 60);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED);
	cr_assert_str_eq(o->reason, "insufficient collateral to short: needs "
			 "1001, has 1000");
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 9990, 10000, 60);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED, "%s", o->reason);
	feed(&r, bar(60, 9990, 10010, 9980, 10000)); /* through the limit */
	cr_assert_eq(pos(&r, 0, 0)->qty, -9990);
	/* 1000 + 999 - 0.999 of cash, 999 of short. */
	cr_assert_eq(r.pf.cash, 1998001 * E8 / 1000);
	cr_assert_eq(trd_margin_free_collateral(&r.pf), E8 / 1000);
	/* What is left backs nothing more: not another short, of either
	 * strategy or instrument, and not a long: the short's proceeds are
	 * not free cash. */
	o = submit_to(&r, 0, 1, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, 120);
	cr_assert_str_eq(o->reason, "insufficient collateral to short: needs "
			 "100.1, has 0.001");
	o = submit_to(&r, 1, 0, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, 120);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED);
	o = submit_to(&r, 1, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, 120);
	cr_assert_str_eq(o->reason, "insufficient cash: needs 100.1, has "
			 "0.001");
	/* Covering is never refused, even once the shorts have lost more
	 * than the margin: at 300 the equity is negative. */
	flat(&r, 0, 120, 30000);
	cr_assert_lt(trd_margin_free_collateral(&r.pf), 0);
	cr_assert_lt(trd_portfolio_equity(&r.pf), 0);
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, 180);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED, "only the cover part");
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 9990, 0, 180);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED, "%s", o->reason);
	flat(&r, 0, 180, 30000);
	cr_assert_eq(pos(&r, 0, 0)->qty, 0);
	cr_assert_eq(r.ntrades, 1);
	cr_assert_eq(r.trades[0].pnl, -(2997 - 999) * E8);
	cr_assert_eq(r.pf.cash, r.pf.initial_cash - 1998 * E8 - r.pf.fees);
	rig_close(&r);
}

Test(venue, open_orders_on_the_same_side_count_against_the_position)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 1000 * E8, 0, 0, .shortable = { 1, 0 });
	flat(&r, 0, 0, 10000);
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 5000, 0, 60);
	flat(&r, 0, 60, 10000);
	cr_assert_eq(r.pf.cash, 500 * E8);
	/* A resting sell of the whole long: the next sell closes nothing,
	 * so all of it is a short and needs collateral. */
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 5000, 20000, 120);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED);
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 6000, 0, 120);
	cr_assert_str_eq(o->reason, "insufficient collateral to short: needs "
			 "600, has 500");
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 5000, 0, 120);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED, "%s", o->reason);
	rig_close(&r);
}

Test(venue, sells_without_shorting_are_limited_to_the_position)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 1000 * E8, 0, 0, .shortable = { 0, 1 });
	flat(&r, 0, 0, 10000);
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, 60);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED);
	cr_assert_str_eq(o->reason, "insufficient position (short selling is "
			 "not enabled)");
	submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 5000, 0, 60);
	flat(&r, 0, 60, 10000);
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 5001, 0, 120);
	cr_assert_str_eq(o->reason, "insufficient position (short selling is "
			 "not enabled)");
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 3000, 0, 120);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED);
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 3000, 0, 120);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED, "3 of 5 already sold");
	/* Another strategy's long is not this one's to sell. */
	o = submit_to(&r, 1, 0, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, 120);
	cr_assert_eq(o->status, TRD_ORDER_REJECTED);
	flat(&r, 0, 120, 10000);
	cr_assert_eq(pos(&r, 0, 0)->qty, 2000);
	rig_close(&r);
}

Test(venue, short_fill_is_capped_by_collateral_at_the_fill_price)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 1000 * E8, 0, 0, .shortable = { 1, 0 });
	flat(&r, 0, 0, 10000);
	/* Covered at 100.00 when submitted; the next bar gaps to 125.00,
	 * where 1000 covers 8.000. */
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 10000, 0, 60);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED);
	/* Checked on submission, not reserved: a second one is accepted
	 * and finds nothing left when it fills. */
	o = submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, 60);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED);
	feed(&r, bar(60, 12500, 12500, 12400, 12500));
	o = trd_oms_get(&r.oms, 1);
	cr_assert_eq(o->filled, 8000);
	cr_assert_eq(o->status, TRD_ORDER_CANCELED);
	cr_assert_str_eq(o->reason, "rest canceled: insufficient collateral "
			 "to short at the fill price");
	o = trd_oms_get(&r.oms, 2);
	cr_assert_eq(o->filled, 0);
	cr_assert_eq(o->status, TRD_ORDER_CANCELED);
	cr_assert_str_eq(o->reason, "insufficient collateral to short at the "
			 "fill price");
	cr_assert_eq(pos(&r, 0, 0)->qty, -8000);
	cr_assert_eq(trd_margin_free_collateral(&r.pf), 0);
	rig_close(&r);
}

Test(venue, flip_fill_is_capped_at_the_fill_price)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 1000 * E8, 0, 0, .shortable = { 1, 0 });
	flat(&r, 0, 0, 10000);
	submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 10000, 0, 60);
	flat(&r, 0, 60, 10000);
	cr_assert_eq(r.pf.cash, 2000 * E8);
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 20000, 0, 120);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED, "%s", o->reason);
	/* At 110.00 the short has lost 100: the equity of 900 buys 8.181
	 * after the cover, not 10. */
	feed(&r, bar(120, 11000, 11000, 11000, 11000));
	o = trd_oms_get(&r.oms, 2);
	cr_assert_eq(o->filled, 18181);
	cr_assert_str_eq(o->reason, "rest canceled: insufficient cash at the "
			 "fill price");
	cr_assert_eq(pos(&r, 0, 0)->qty, 8181);
	cr_assert_eq(r.pf.cash, 9 * E8 / 100); /* 2000 - 18.181 * 110 */
	cr_assert_eq(r.trades[0].pnl, -100 * E8);
	rig_close(&r);
}

Test(venue, flip_below_the_last_close_spends_the_short_gain)
{
	struct rig r;
	struct trd_order *o;

	RIG(&r, 1000 * E8, 0, 0, .shortable = { 1, 0 });
	flat(&r, 0, 0, 10000);
	submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 10000, 0, 60);
	flat(&r, 0, 60, 10000);
	/* Covering 10 at 90.00 releases 2000 and costs 900: 1100 buys
	 * 12.222 at 90.00 (the short's gain of 100 included). */
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 22223, 9000, 120);
	cr_assert_str_eq(o->reason, "insufficient cash: needs 1100.07, has "
			 "1100");
	o = submit(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 22222, 9000, 120);
	cr_assert_eq(o->status, TRD_ORDER_ACCEPTED, "%s", o->reason);
	feed(&r, bar(120, 9500, 9500, 8900, 9000));
	o = trd_oms_get(&r.oms, 3);
	cr_assert_eq(o->status, TRD_ORDER_FILLED);
	cr_assert_eq(pos(&r, 0, 0)->qty, 12222);
	cr_assert_eq(r.pf.cash, 2 * E8 / 100); /* 2000 - 22.222 * 90 */
	rig_close(&r);
}

/* --- random long and short fills --- */

static unsigned long long rng = 88172645463325252ULL;

static unsigned long long
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct {
	int opens_short, covers, flips, rest_canceled, rejected;
} seen;

/*
 * After a fill that opened or added to a position, the equity must still
 * cover the gross exposure as venue.h values it: the part just opened at
 * the fill price, the other shorts of the instrument at the higher of the
 * fill price and the last close, the rest at the last close.  A few units
 * of slack for the roundings.
 */
static void
random_check(struct rig *r, const struct trd_order *o,
	     const struct trd_oms_fill *f)
{
	int64_t qty = f->qty, price = f->price;
	const struct trd_position *p = pos(r, o->strat, o->ins);
	int64_t d = o->side == TRD_SIDE_BUY ? qty : -qty;
	int64_t before = p->qty - d;
	int64_t held = (before > 0) != (d > 0) && before != 0
			       ? (before < 0 ? -before : before) : 0;
	int64_t opened = qty > held ? qty - held : 0;
	__int128 s = 0, free;

	if (o->ins == 1)
		cr_assert_geq(p->qty, 0, "short on a non-shortable instrument");
	if (d < 0 && opened > 0)
		seen.opens_short++;
	if (d > 0 && held > 0)
		seen.covers++;
	if (held > 0 && opened > 0)
		seen.flips++;
	if (opened == 0)
		return;
	for (size_t i = 0; i < NINS; i++) {
		int64_t q = 0;
		for (size_t k = 0; k < NSTRAT; k++)
			if (pos(r, k, i)->qty < 0)
				q -= pos(r, k, i)->qty;
		int64_t at = r->pf.ins[i].last;
		if (i == o->ins && d < 0) {
			q -= opened;
			s += trd_portfolio_notional(&r->pf, i, price, opened,
						    TRD_ROUND_UP);
		}
		if (i == o->ins && price > at)
			at = price;
		s += trd_portfolio_notional(&r->pf, i, at, q, TRD_ROUND_UP);
	}
	free = (__int128)r->pf.cash - 2 * s;
	cr_assert_geq((long long)free, -4, "fill of order %llu left free "
		      "collateral %lld", (unsigned long long)o->id,
		      (long long)free);
}

Test(venue, random_long_short_fills_keep_the_books_and_the_rule)
{
	struct rig r;
	int64_t px[NINS] = { 10000, 5000 };
	int64_t ts = 0;

	/* 7.5 bps of fee, 2 bps of slippage, tick 0.01, lot 0.001;
	 * instrument 0 may go short, instrument 1 may not. */
	RIG(&r, 10000 * E8, 75000, 20000, .shortable = { 1, 0 });
	r.on_fill = random_check;
	memset(&seen, 0, sizeof(seen));
	for (int k = 0; k < NINS; k++)
		flat(&r, (size_t)k, 0, px[k]);
	for (int i = 0; i < 12000; i++) {
		uint32_t ins = (uint32_t)(xorshift() % NINS);
		unsigned long long x = xorshift();
		int64_t c = px[ins];
		/* A 0.5% walk, now and then a 15% gap. */
		int64_t open = c + (int64_t)(x % 101 - 50) * c / 10000;
		if (x % 97 == 0)
			open = x % 2 ? open * 115 / 100 : open * 85 / 100;
		int64_t close = open + (int64_t)((x >> 8) % 101 - 50) * open / 10000;
		int64_t hi = (open > close ? open : close) + (x >> 16) % 40;
		int64_t lo = (open < close ? open : close) - (x >> 24) % 40;
		if (lo < 1)
			lo = 1;
		if (close < 1)
			close = 1;
		ts += 60;
		feed_ins(&r, ins, bar(ts, open, hi, lo, close));
		px[ins] = close;

		/* One order on a random strategy and instrument. */
		x = xorshift();
		uint32_t strat = (uint32_t)(x % NSTRAT);
		ins = (x >> 4) % NINS;
		int side = (x >> 8) & 1 ? TRD_SIDE_BUY : TRD_SIDE_SELL;
		int type = (x >> 9) % 5 < 3 ? TRD_ORDER_MARKET
			   : (x >> 9) % 5 == 3 ? TRD_ORDER_LIMIT
					       : TRD_ORDER_STOP;
		int64_t price = px[ins] + (int64_t)((x >> 12) % 61 - 30) *
						  px[ins] / 1000;
		int64_t held = pos(&r, strat, ins)->qty;
		int64_t qty;
		switch ((x >> 20) % 4) {
		case 0: /* close or flip what is held */
			qty = held < 0 ? -held : held;
			if (qty == 0)
				qty = 1 + (int64_t)((x >> 24) % 50000);
			else if ((x >> 24) & 1)
				qty *= 2;
			break;
		case 1: /* all of the free collateral at the last close */
			qty = trd_margin_affordable(&r.pf, ins,
						 trd_margin_free_collateral(&r.pf),
						 px[ins], r.conf.venue.fee_bps, 1,
						 INT64_MAX);
			if (qty == 0)
				qty = 1000;
			break;
		default:
			qty = 1 + (int64_t)((x >> 24) % 30000);
		}
		struct trd_order *o = submit_to(&r, strat, (uint32_t)ins, side,
						type, qty, price, ts);
		if (o->status == TRD_ORDER_REJECTED &&
		    strncmp(o->reason, "insufficient c", 14) == 0)
			seen.rejected++;
		/* Now and then cancel the oldest open order. */
		if ((x >> 40) % 7 == 0 && r.oms.open[ins].n > 0) {
			struct trd_order *old = trd_oms_get(
				&r.oms, r.oms.open[ins].v[0]->id);
			cr_assert_eq(rig_cancel(&r, old->id, "canceled by the strategy",
						ts * SEC), 0);
		}
	}
	for (size_t i = 0; i < r.oms.last_id; i++) {
		const struct trd_order *o = trd_oms_get(&r.oms, i + 1);
		cr_assert_not_null(o);
		if (strncmp(o->reason, "rest canceled: insufficient c", 29) == 0)
			seen.rest_canceled++;
	}
	rig_check_books(&r);
	cr_assert_gt(r.nfills, 4000, "only %d fills", r.nfills);
	cr_assert_gt(seen.opens_short, 100, "%d", seen.opens_short);
	cr_assert_gt(seen.covers, 100, "%d", seen.covers);
	cr_assert_gt(seen.flips, 20, "%d", seen.flips);
	cr_assert_gt(seen.rest_canceled, 5, "%d", seen.rest_canceled);
	cr_assert_gt(seen.rejected, 50, "%d", seen.rejected);
	cr_assert_gt(r.ntrades, 100, "%d", r.ntrades);
	rig_close(&r);
}

Test(venue, huge_orders_before_the_first_close_do_not_overflow)
{
	struct rig r;

	/* Before any close there is no reference price, so nothing is
	 * checked on submission; what they add up to must not wrap. */
	RIG(&r, 1000 * E8, 0, 0, .shortable = { 1, 0 });
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(submit(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET,
				    INT64_MAX, 0, 0)->status,
			     TRD_ORDER_ACCEPTED);
		cr_assert_eq(submit(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET,
				    INT64_MAX, 0, 0)->status,
			     TRD_ORDER_ACCEPTED);
	}
	/* The fills are capped by the collateral at the fill price: short
	 * 10, then each order flips through zero to 10 on the other side. */
	flat(&r, 0, 0, 10000);
	cr_assert_eq(pos(&r, 0, 0)->qty, 10000);
	cr_assert_eq(r.pf.cash, 0);
	cr_assert_eq(r.nfills, 6);
	for (uint64_t id = 1; id <= 6; id++)
		cr_assert_str_eq(trd_oms_get(&r.oms, id)->reason,
				 id % 2 ? "rest canceled: insufficient "
					  "collateral to short at the fill price"
					: "rest canceled: insufficient cash at "
					  "the fill price");
	rig_close(&r);
}
