/*
 * Order types, time in force, flags, OCO, brackets, partial fills, latency
 * and amends: the order manager and the simulator behind the venue
 * interface, without the engine (tests/rig.h).  OCO pairs and brackets are
 * linked by the order manager's own calls (trd_oms_link_oco,
 * trd_oms_link_bracket, trd_oms_bracket_check), the ones the session
 * makes for a strategy; test_session.c drives them from a plugin through
 * the host.  The accounting identity is asserted after every fill and
 * every order update.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oms.h"
#include "portfolio.h"
#include "rig.h"
#include "venue.h"

#define E8     100000000LL
#define TF     (60 * 1000000000LL) /* bar timeframe: one minute */
#define SEC    1000000000LL
#define BIGVOL 1000000000000LL     /* a volume no cap bites on */

/* Bar k opens at T(k) and is delivered at T(k + 1). */
static int64_t
T(int64_t k)
{
	return k * TF;
}

/* Two strategies, two instruments with 2 price and 3 quantity decimals,
 * tick 0.01 and lot 0.001 unless told; instrument 1 may go short,
 * instrument 0 not.  Options: rig_opts fields (.participation, ...). */
#define RIG(r, cash_, fee_, slip_, ...)                                    \
	rig_open(r, &(struct rig_opts){ .cash = (cash_), .fee_bps = (fee_),  \
					.slip_bps = (slip_),                 \
					.shortable = { 0, 1 }, __VA_ARGS__ })

#define O(r, id) rig_order(r, id)

/* A NEW order of strategy 0, not routed; its id. */
static uint64_t
mk_on(struct rig *r, uint32_t ins, int side, int type, int64_t qty,
      int64_t price, int64_t now)
{
	return rig_new(r, 0, ins, side, type, qty, price, now);
}

static uint64_t
mk(struct rig *r, int side, int type, int64_t qty, int64_t price, int64_t now)
{
	return mk_on(r, 0, side, type, qty, price, now);
}

static void
route(struct rig *r, uint64_t id, int64_t now)
{
	rig_route(r, id, now);
}

static uint64_t
sub(struct rig *r, int side, int type, int64_t qty, int64_t price,
    int64_t now)
{
	uint64_t id = mk(r, side, type, qty, price, now);

	route(r, id, now);
	return id;
}

/* Bar k of ins, delivered at its close as the session does. */
static void
barv(struct rig *r, uint32_t ins, int64_t k, int64_t o, int64_t h, int64_t l,
     int64_t c, int64_t vol)
{
	rig_bar(r, ins, T(k), 60, o, h, l, c, vol);
}

static void
bar(struct rig *r, int64_t k, int64_t o, int64_t h, int64_t l, int64_t c)
{
	barv(r, 0, k, o, h, l, c, BIGVOL);
}

static void
flat(struct rig *r, uint32_t ins, int64_t k, int64_t p)
{
	barv(r, ins, k, p, p, p, p, BIGVOL);
}

static int64_t
pos(const struct rig *r, uint32_t ins)
{
	return trd_portfolio_pos(&r->pf, 0, ins)->qty;
}

static void
assert_state(struct rig *r, uint64_t id, int status, int64_t filled,
	     const char *reason)
{
	const struct trd_order *o = O(r, id);

	cr_assert_eq(o->status, status, "order %llu: status %s, not %s (%s)",
		     (unsigned long long)id, trd_order_status_name(o->status),
		     trd_order_status_name(status), o->reason);
	cr_assert_eq(o->filled, filled, "order %llu: filled %lld",
		     (unsigned long long)id, (long long)o->filled);
	if (reason)
		cr_assert_str_eq(o->reason, reason);
	cr_assert_eq(o->listed, trd_order_is_open(o) && o->routed);
}

/* Long qty at 100.00 on instrument 0 after bar 1 (bar 0 sets the close). */
static void
go_long(struct rig *r, int64_t qty)
{
	flat(r, 0, 0, 10000);
	sub(r, TRD_SIDE_BUY, TRD_ORDER_MARKET, qty, 0, T(1));
	flat(r, 0, 1, 10000);
	cr_assert_eq(pos(r, 0), qty);
}

/* An OCO pair as the session places one: linked by the order manager,
 * then a, then b unless a's outcome has closed it. */
static void
oco(struct rig *r, uint64_t a, uint64_t b, int64_t now)
{
	trd_oms_link_oco(&r->oms, O(r, a), O(r, b));
	route(r, a, now);
	if (O(r, b)->status == TRD_ORDER_NEW && !O(r, b)->routed)
		route(r, b, now);
}

/* A bracket as the session builds one: entry, take-profit limit and
 * stop-loss stop (ids e, e + 1, e + 2), linked by the order manager, the
 * exit prices checked, and only the entry routed. */
static uint64_t
bracket_tif(struct rig *r, int tif, uint32_t ins, int side, int type,
	    int64_t qty, int64_t price, int64_t tp, int64_t tp_bps, int64_t sl,
	    int64_t sl_bps, int64_t now)
{
	int x = side == TRD_SIDE_BUY ? TRD_SIDE_SELL : TRD_SIDE_BUY;
	uint64_t e = mk_on(r, ins, side, type, qty, price, now);
	uint64_t t = mk_on(r, ins, x, TRD_ORDER_LIMIT, 0, tp, now);
	uint64_t s = mk_on(r, ins, x, TRD_ORDER_STOP, 0, sl, now);
	const char *why = NULL;
	int code;

	/* The venue takes the order as routed: its fields are set first. */
	O(r, e)->tif = (uint8_t)tif;
	trd_oms_link_bracket(&r->oms, O(r, e), O(r, t), O(r, s), tp_bps,
			     sl_bps);
	cr_assert(O(r, t)->held && O(r, s)->held);
	cr_assert_eq(O(r, t)->flags, TRD_ORDER_REDUCE_ONLY);
	cr_assert_eq(O(r, t)->link_id, s);
	code = trd_oms_bracket_check(side, r->reg.v[ins].tick, tp, tp_bps, sl,
				     sl_bps, &why);
	if (code != 0)
		trd_oms_reject(&r->oms, O(r, e), code, why, now);
	else
		route(r, e, now);
	return e;
}

static uint64_t
bracket(struct rig *r, uint32_t ins, int side, int type, int64_t qty,
	int64_t price, int64_t tp, int64_t tp_bps, int64_t sl, int64_t sl_bps,
	int64_t now)
{
	return bracket_tif(r, TRD_TIF_GTC, ins, side, type, qty, price, tp,
			   tp_bps, sl, sl_bps, now);
}

/* --- order types --- */

Test(orders, market_limit_and_stop)
{
	struct rig r;
	uint64_t a, b, c;

	RIG(&r, 1000000 * E8, 0, 0);
	flat(&r, 0, 0, 10000);
	a = sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T(1));
	b = sub(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9900, T(1));
	c = sub(&r, TRD_SIDE_BUY, TRD_ORDER_STOP, 1000, 10200, T(1));
	/* The limit is touched, not traded through; the stop is touched. */
	bar(&r, 1, 10010, 10200, 9900, 10100);
	assert_state(&r, a, TRD_ORDER_FILLED, 1000, "");
	cr_assert_eq(trd_order_avg_price(O(&r, a)), 10010);
	assert_state(&r, b, TRD_ORDER_ACCEPTED, 0, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, c)), 10200);
	/* A gap through the limit fills at the better open. */
	bar(&r, 2, 9850, 9900, 9840, 9860);
	assert_state(&r, b, TRD_ORDER_FILLED, 1000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, b)), 9850);
	cr_assert_eq(pos(&r, 0), 3000);
	cr_assert_eq(r.oms.stats.filled, 3);
	cr_assert_eq(r.oms.nlisted, 0);
	rig_close(&r);
}

Test(orders, stop_limit_fills_at_the_trigger_without_slippage)
{
	struct rig r;
	uint64_t a, b;

	/* 10 bps of slippage, which a stop-limit's fill does not pay. */
	RIG(&r, 1000000 * E8, 0, 100000);
	go_long(&r, 5000);
	a = mk(&r, TRD_SIDE_BUY, TRD_ORDER_STOP_LIMIT, 1000, 10150, T(2));
	O(&r, a)->stop_price = 10100;
	route(&r, a, T(2));
	cr_assert_eq(O(&r, a)->status, TRD_ORDER_ACCEPTED, "%s",
		     O(&r, a)->reason);
	/* A sell stop-limit on the long: stop 100.00, limit 99.50. */
	b = mk(&r, TRD_SIDE_SELL, TRD_ORDER_STOP_LIMIT, 1000, 9950, T(2));
	O(&r, b)->stop_price = 10000;
	route(&r, b, T(2));
	bar(&r, 2, 10050, 10200, 10040, 10150);
	assert_state(&r, a, TRD_ORDER_FILLED, 1000, NULL);
	/* Filled at the trigger, not the limit: it was triggered. */
	cr_assert_eq(trd_order_avg_price(O(&r, a)), 10100);
	assert_state(&r, b, TRD_ORDER_ACCEPTED, 0, NULL);
	/* Gapped through the stop but not the limit: at the open. */
	bar(&r, 3, 9980, 9990, 9900, 9950);
	assert_state(&r, b, TRD_ORDER_FILLED, 1000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, b)), 9980);
	rig_close(&r);
}

Test(orders, stop_limit_gapped_past_its_limit_rests_then_fills)
{
	struct rig r;
	uint64_t a;

	RIG(&r, 1000000 * E8, 0, 0);
	flat(&r, 0, 0, 10000);
	a = mk(&r, TRD_SIDE_BUY, TRD_ORDER_STOP_LIMIT, 1000, 10150, T(1));
	O(&r, a)->stop_price = 10100;
	route(&r, a, T(1));
	/* Opens at 103.00, past the limit of 101.50: triggered, no fill. */
	bar(&r, 1, 10300, 10400, 10250, 10300);
	assert_state(&r, a, TRD_ORDER_ACCEPTED, 0, NULL);
	cr_assert_eq(r.nfills, 0);
	/* Now a limit (triggered is the simulator's own state; the bars
	 * show it): touching 101.50 is not enough... */
	bar(&r, 2, 10200, 10250, 10150, 10200);
	cr_assert_eq(r.nfills, 0);
	/* ...trading through it is. */
	bar(&r, 3, 10180, 10190, 10100, 10120);
	assert_state(&r, a, TRD_ORDER_FILLED, 1000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, a)), 10150);
	cr_assert_eq(r.fills[0].ts, T(3));
	rig_close(&r);
}

Test(orders, trailing_stop_ratchets_never_back_and_triggers)
{
	struct rig r;
	uint64_t a, b;

	RIG(&r, 1000000 * E8, 0, 0);
	go_long(&r, 10000);
	/* Trail 2.00 below the last close of 100.00. */
	a = mk(&r, TRD_SIDE_SELL, TRD_ORDER_TRAILING_STOP, 10000, 0, T(2));
	O(&r, a)->trail = 200;
	route(&r, a, T(2));
	cr_assert_eq(O(&r, a)->status, TRD_ORDER_ACCEPTED, "%s",
		     O(&r, a)->reason);
	cr_assert_eq(O(&r, a)->stop_price, 9800);
	bar(&r, 2, 10000, 10300, 9900, 10200); /* up: 103 - 2 */
	cr_assert_eq(O(&r, a)->stop_price, 10100);
	bar(&r, 3, 10150, 10200, 10120, 10150); /* 102 - 2 < 101: stays */
	cr_assert_eq(O(&r, a)->stop_price, 10100);
	cr_assert_eq(r.nfills, 1);
	bar(&r, 4, 10150, 10160, 10050, 10080); /* touches 101 */
	assert_state(&r, a, TRD_ORDER_FILLED, 10000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, a)), 10100);
	cr_assert_eq(pos(&r, 0), 0);

	/* A buy trailing stop with no close yet: the first bar's open sets
	 * the level (50.00 + 1.00), then it follows the low. */
	b = mk_on(&r, 1, TRD_SIDE_BUY, TRD_ORDER_TRAILING_STOP, 1000, 0, 0);
	O(&r, b)->trail = 100;
	route(&r, b, 0);
	cr_assert_eq(O(&r, b)->stop_price, 0);
	barv(&r, 1, 0, 5000, 5050, 4900, 4950, BIGVOL);
	cr_assert_eq(O(&r, b)->stop_price, 5000);
	barv(&r, 1, 1, 4980, 5000, 4970, 4990, BIGVOL);
	assert_state(&r, b, TRD_ORDER_FILLED, 1000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, b)), 5000);
	rig_close(&r);
}

/* --- time in force --- */

Test(orders, ioc_fills_what_it_can_then_the_rest_expires)
{
	struct rig r;
	uint64_t a, b;

	RIG(&r, 1000000 * E8, 0, 0, .participation = 100000); /* 10% */
	flat(&r, 0, 0, 10000);
	a = mk(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 2000, 0, T(1));
	O(&r, a)->tif = TRD_TIF_IOC;
	route(&r, a, T(1));
	barv(&r, 0, 1, 10000, 10000, 10000, 10000, 5000); /* cap 0.500 */
	assert_state(&r, a, TRD_ORDER_EXPIRED, 500,
		     "IOC: rest expired after the first bar it met");
	cr_assert_eq(rig_count_ev(&r, a, TRD_ORDER_PARTIALLY_FILLED, NULL), 1);
	cr_assert_eq(r.oms.stats.expired, 1);
	b = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9000, T(2));
	O(&r, b)->tif = TRD_TIF_IOC;
	route(&r, b, T(2));
	bar(&r, 2, 10000, 10050, 9950, 10000);
	assert_state(&r, b, TRD_ORDER_EXPIRED, 0,
		     "IOC: not filled in the first bar it met");
	cr_assert_eq(rig_last_ev(&r, b)->ts, T(2));
	rig_close(&r);
}

Test(orders, fok_fills_whole_or_expires_whole)
{
	struct rig r;
	uint64_t a, b, c, d;

	RIG(&r, 1000000 * E8, 0, 0, .participation = 100000);
	flat(&r, 0, 0, 10000);
	a = mk(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 400, 0, T(1));
	O(&r, a)->tif = TRD_TIF_FOK;
	route(&r, a, T(1));
	barv(&r, 0, 1, 10000, 10000, 10000, 10000, 5000);
	assert_state(&r, a, TRD_ORDER_FILLED, 400, "");
	/* 0.600 against a cap of 0.500: nothing fills, and the cap is
	 * left to the next order. */
	b = mk(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 600, 0, T(2));
	O(&r, b)->tif = TRD_TIF_FOK;
	route(&r, b, T(2));
	c = sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 500, 0, T(2));
	barv(&r, 0, 2, 10000, 10000, 10000, 10000, 5000);
	assert_state(&r, b, TRD_ORDER_EXPIRED, 0, "FOK: could not fill the "
		     "whole quantity in the first bar it met");
	assert_state(&r, c, TRD_ORDER_FILLED, 500, NULL);
	/* A price the bar does not reach. */
	d = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 100, 9000, T(3));
	O(&r, d)->tif = TRD_TIF_FOK;
	route(&r, d, T(3));
	bar(&r, 3, 10000, 10100, 9900, 10000);
	assert_state(&r, d, TRD_ORDER_EXPIRED, 0,
		     "FOK: not filled in the first bar it met");
	rig_close(&r);

	/* Money: 1000 pays for 10.000 at 100.00, but the bar opens at
	 * 110.00, where it pays for 9.090 only: no fill at all. */
	RIG(&r, 1000 * E8, 0, 0);
	flat(&r, 0, 0, 10000);
	a = mk(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, T(1));
	O(&r, a)->tif = TRD_TIF_FOK;
	route(&r, a, T(1));
	cr_assert_eq(O(&r, a)->status, TRD_ORDER_ACCEPTED);
	flat(&r, 0, 1, 11000);
	assert_state(&r, a, TRD_ORDER_EXPIRED, 0, NULL);
	cr_assert_eq(r.pf.cash, 1000 * E8);
	rig_close(&r);
}

Test(orders, gtd_fills_before_expiry_and_expires_on_the_clock)
{
	struct rig r;
	uint64_t a, b, c, d, e;

	RIG(&r, 1000000 * E8, 0, 0);
	flat(&r, 0, 0, 10000);
	a = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9800, T(1));
	b = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9900, T(1));
	O(&r, a)->tif = O(&r, b)->tif = TRD_TIF_GTD;
	O(&r, a)->expire_ns = O(&r, b)->expire_ns = T(3);
	route(&r, a, T(1));
	route(&r, b, T(1));
	bar(&r, 1, 10000, 10050, 9950, 10000);
	cr_assert_eq(r.nfills, 0);
	/* Bar 2 opens before the expiry: it fills b; a expires once bar 2
	 * is delivered, at T(3). */
	bar(&r, 2, 10000, 10050, 9850, 10000);
	assert_state(&r, b, TRD_ORDER_FILLED, 1000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, b)), 9900);
	assert_state(&r, a, TRD_ORDER_EXPIRED, 0,
		     "GTD: expired at its expiry time");
	cr_assert_eq(O(&r, a)->update_ns, T(3));
	/* An expiry that is not in the future. */
	c = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9800, T(3));
	O(&r, c)->tif = TRD_TIF_GTD;
	O(&r, c)->expire_ns = T(3);
	route(&r, c, T(3));
	assert_state(&r, c, TRD_ORDER_REJECTED, 0, NULL);
	cr_assert_eq(O(&r, c)->reject_code, TRD_REJ_INVALID_ORDER);
	/* No bar until one opening after the expiry: it does not take part
	 * in it, although it trades through. */
	d = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9900, T(3));
	O(&r, d)->tif = TRD_TIF_GTD;
	O(&r, d)->expire_ns = T(5) + 1;
	route(&r, d, T(3));
	bar(&r, 6, 9500, 9600, 9400, 9500);
	assert_state(&r, d, TRD_ORDER_EXPIRED, 0, NULL);
	cr_assert_eq(O(&r, d)->update_ns, T(5) + 1);
	cr_assert_eq(r.nfills, 1);
	/* With no bar at all, the end of the run expires it. */
	e = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9000, T(7));
	O(&r, e)->tif = TRD_TIF_GTD;
	O(&r, e)->expire_ns = T(10);
	route(&r, e, T(7));
	rig_finish(&r, T(10) - 1);
	assert_state(&r, e, TRD_ORDER_ACCEPTED, 0, NULL);
	rig_finish(&r, T(10));
	assert_state(&r, e, TRD_ORDER_EXPIRED, 0, NULL);
	cr_assert_eq(r.oms.stats.expired, 2 + 0 + 1);
	rig_close(&r);
}

/* --- flags --- */

Test(orders, post_only_crossing_rejected_resting_accepted)
{
	struct rig r;
	uint64_t a, b, c, d;

	RIG(&r, 1000000 * E8, 0, 0);
	go_long(&r, 5000);
	a = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 10000, T(2));
	b = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9999, T(2));
	c = mk(&r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 1000, 10000, T(2));
	d = mk(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T(2));
	O(&r, a)->flags = O(&r, b)->flags = O(&r, c)->flags =
		O(&r, d)->flags = TRD_ORDER_POST_ONLY;
	route(&r, a, T(2));
	route(&r, b, T(2));
	route(&r, c, T(2));
	route(&r, d, T(2));
	assert_state(&r, a, TRD_ORDER_REJECTED, 0,
		     "post-only limit would cross the last close");
	cr_assert_eq(O(&r, a)->reject_code, TRD_REJ_POST_ONLY);
	assert_state(&r, b, TRD_ORDER_ACCEPTED, 0, NULL);
	cr_assert_eq(O(&r, c)->reject_code, TRD_REJ_POST_ONLY);
	assert_state(&r, d, TRD_ORDER_REJECTED, 0,
		     "post-only applies to limit orders only");
	cr_assert_eq(O(&r, d)->reject_code, TRD_REJ_INVALID_ORDER);
	/* The resting one fills as a limit, at its price. */
	bar(&r, 2, 10000, 10010, 9990, 10000);
	assert_state(&r, b, TRD_ORDER_FILLED, 1000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, b)), 9999);
	rig_close(&r);
}

Test(orders, reduce_only_rejected_when_it_would_grow_and_capped_at_fill)
{
	struct rig r;
	uint64_t a, b, c, d, f, g;

	RIG(&r, 1000000 * E8, 0, 0);
	flat(&r, 0, 0, 10000);
	a = mk(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, T(1));
	O(&r, a)->flags = TRD_ORDER_REDUCE_ONLY;
	route(&r, a, T(1));
	assert_state(&r, a, TRD_ORDER_REJECTED, 0,
		     "reduce-only order would not reduce the position");
	cr_assert_eq(O(&r, a)->reject_code, TRD_REJ_REDUCE_ONLY);
	sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 5000, 0, T(1));
	flat(&r, 0, 1, 10000);
	b = mk(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T(2));
	O(&r, b)->flags = TRD_ORDER_REDUCE_ONLY;
	route(&r, b, T(2));
	cr_assert_eq(O(&r, b)->reject_code, TRD_REJ_REDUCE_ONLY);
	/* Larger than the long of 5: accepted, capped when it fills. */
	c = mk(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 8000, 0, T(2));
	O(&r, c)->flags = TRD_ORDER_REDUCE_ONLY;
	route(&r, c, T(2));
	assert_state(&r, c, TRD_ORDER_ACCEPTED, 0, NULL);
	/* c already reduces all of it. */
	d = mk(&r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 1000, 20000, T(2));
	O(&r, d)->flags = TRD_ORDER_REDUCE_ONLY;
	route(&r, d, T(2));
	cr_assert_eq(O(&r, d)->reject_code, TRD_REJ_REDUCE_ONLY);
	flat(&r, 0, 2, 10000);
	assert_state(&r, c, TRD_ORDER_CANCELED, 5000,
		     "reduce-only: position closed");
	cr_assert_eq(pos(&r, 0), 0);
	/* The position goes before the reduce-only order fills. */
	sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 3000, 0, T(3));
	flat(&r, 0, 3, 10000);
	f = sub(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 3000, 0, T(4));
	g = mk(&r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 3000, 9000, T(4));
	O(&r, g)->flags = TRD_ORDER_REDUCE_ONLY;
	route(&r, g, T(4));
	assert_state(&r, g, TRD_ORDER_ACCEPTED, 0, NULL);
	flat(&r, 0, 4, 10000);
	assert_state(&r, f, TRD_ORDER_FILLED, 3000, NULL);
	assert_state(&r, g, TRD_ORDER_CANCELED, 0,
		     "reduce-only: position closed");
	rig_close(&r);
}

/* --- OCO --- */

/* Long 10 at 100.00; a take-profit sell limit at 105.00 and a stop-loss
 * sell stop at 95.00, both reduce-only, as an OCO pair.  Ids 3 and 4. */
static void
oco_setup(struct rig *r, int intrabar)
{
	uint64_t tp, sl;

	RIG(r, 1000000 * E8, 0, 0, .intrabar = intrabar);
	go_long(r, 10000);
	tp = mk(r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 10000, 10500, T(2));
	sl = mk(r, TRD_SIDE_SELL, TRD_ORDER_STOP, 10000, 9500, T(2));
	cr_assert_eq(tp, 2);
	cr_assert_eq(sl, 3);
	O(r, tp)->flags = O(r, sl)->flags = TRD_ORDER_REDUCE_ONLY;
	oco(r, tp, sl, T(2));
	/* Neither counts the other against the position. */
	assert_state(r, tp, TRD_ORDER_ACCEPTED, 0, NULL);
	assert_state(r, sl, TRD_ORDER_ACCEPTED, 0, NULL);
}

Test(orders, oco_take_profit_hit_cancels_the_stop)
{
	struct rig r;

	oco_setup(&r, TRD_INTRABAR_PESSIMISTIC);
	bar(&r, 2, 10100, 10600, 10000, 10550);
	assert_state(&r, 2, TRD_ORDER_FILLED, 10000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, 2)), 10500);
	assert_state(&r, 3, TRD_ORDER_CANCELED, 0, "OCO: other leg filled");
	cr_assert_eq(pos(&r, 0), 0);
	rig_close(&r);
}

Test(orders, oco_stop_loss_hit_cancels_the_take_profit)
{
	struct rig r;

	oco_setup(&r, TRD_INTRABAR_PESSIMISTIC);
	bar(&r, 2, 10000, 10100, 9400, 9450);
	assert_state(&r, 3, TRD_ORDER_FILLED, 10000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, 3)), 9500);
	assert_state(&r, 2, TRD_ORDER_CANCELED, 0, "OCO: other leg filled");
	rig_close(&r);
}

Test(orders, oco_cancel_or_reject_of_one_cancels_the_other)
{
	struct rig r;
	uint64_t a, b;

	oco_setup(&r, TRD_INTRABAR_PESSIMISTIC);
	cr_assert_eq(rig_cancel(&r, 2, "canceled by the "
				      "strategy", T(2)), 0);
	assert_state(&r, 2, TRD_ORDER_CANCELED, 0, "canceled by the strategy");
	assert_state(&r, 3, TRD_ORDER_CANCELED, 0, "OCO: other leg canceled");
	cr_assert_eq(rig_cancel(&r, 3, "again", T(2)),
		     -ENOENT);
	/* A leg the venue refuses takes the other down before it is
	 * routed. */
	a = mk(&r, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 1000, 9000, T(2));
	b = mk(&r, TRD_SIDE_SELL, TRD_ORDER_STOP, 1000, 9000, T(2));
	O(&r, a)->flags = TRD_ORDER_POST_ONLY;
	oco(&r, a, b, T(2));
	assert_state(&r, a, TRD_ORDER_REJECTED, 0, NULL);
	assert_state(&r, b, TRD_ORDER_CANCELED, 0, "OCO: other leg rejected");
	rig_close(&r);
}

/* Which leg of the OCO pair fills in a bar that trades both; the other
 * must be canceled with no fill. */
static uint64_t
oco_both(int intrabar, int64_t o, int64_t h, int64_t l, int64_t c)
{
	struct rig r;
	uint64_t won, lost;

	oco_setup(&r, intrabar);
	bar(&r, 2, o, h, l, c);
	won = O(&r, 2)->status == TRD_ORDER_FILLED ? 2 : 3;
	lost = won == 2 ? 3 : 2;
	assert_state(&r, won, TRD_ORDER_FILLED, 10000, NULL);
	assert_state(&r, lost, TRD_ORDER_CANCELED, 0, "OCO: other leg filled");
	cr_assert_eq(r.nfills, 2); /* go_long's and this one */
	cr_assert_eq(pos(&r, 0), 0);
	rig_close(&r);
	return won;
}

Test(orders, oco_both_touched_in_one_bar_follow_the_intrabar_rule)
{
	/* Both legs inside 94..106. */
	cr_assert_eq(oco_both(TRD_INTRABAR_PESSIMISTIC, 10000, 10600, 9400,
			      10000), 3);
	cr_assert_eq(oco_both(TRD_INTRABAR_OPTIMISTIC, 10000, 10600, 9400,
			      10000), 2);
	/* OHLC: the high is nearer the open (6 against 7): the TP first. */
	cr_assert_eq(oco_both(TRD_INTRABAR_OHLC, 10000, 10600, 9300, 10000),
		     2);
	/* The low is nearer: the SL first. */
	cr_assert_eq(oco_both(TRD_INTRABAR_OHLC, 10000, 10700, 9400, 10000),
		     3);
	/* As near: the high first. */
	cr_assert_eq(oco_both(TRD_INTRABAR_OHLC, 10000, 10600, 9400, 10000),
		     2);
	/* Through the stop at the open: the SL, at the open. */
	cr_assert_eq(oco_both(TRD_INTRABAR_OHLC, 9400, 10600, 9300, 10000),
		     3);
}

/* --- brackets --- */

Test(orders, bracket_exits_activate_at_offsets_then_take_profit)
{
	struct rig r;
	uint64_t e;

	RIG(&r, 1000000 * E8, 0, 0, .tick = { 5, 1 });
	flat(&r, 0, 0, 10000);
	/* TP 5% above the average fill, SL 2% below. */
	e = bracket(&r, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10000, 10010, 0,
		    5000000, 0, 2000000, T(1));
	assert_state(&r, e, TRD_ORDER_ACCEPTED, 0, NULL);
	assert_state(&r, e + 1, TRD_ORDER_NEW, 0, NULL);
	cr_assert(O(&r, e + 1)->held && !O(&r, e + 1)->listed);
	/* The entry fills at the open 100.03; the exits, active from the
	 * next bar, do not take part in this one (it crosses both). */
	bar(&r, 1, 10003, 10600, 9700, 10050);
	assert_state(&r, e, TRD_ORDER_FILLED, 10000, NULL);
	/* 100.03 * 1.05 = 105.0315 -> 105.05 (no better than asked);
	 * 100.03 * 0.98 = 98.0294 -> 98.00 (no earlier). */
	assert_state(&r, e + 1, TRD_ORDER_ACCEPTED, 0, NULL);
	assert_state(&r, e + 2, TRD_ORDER_ACCEPTED, 0, NULL);
	cr_assert_eq(O(&r, e + 1)->price, 10505);
	cr_assert_eq(O(&r, e + 2)->price, 9800);
	cr_assert_eq(O(&r, e + 1)->qty, 10000);
	cr_assert_eq(O(&r, e + 2)->qty, 10000);
	cr_assert_eq(r.nfills, 1);
	bar(&r, 2, 10100, 10510, 10000, 10500);
	assert_state(&r, e + 1, TRD_ORDER_FILLED, 10000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, e + 1)), 10505);
	assert_state(&r, e + 2, TRD_ORDER_CANCELED, 0, "OCO: other leg filled");
	cr_assert_eq(pos(&r, 0), 0);
	rig_close(&r);
}

Test(orders, bracket_stop_loss_hit)
{
	struct rig r;
	uint64_t e;

	RIG(&r, 1000000 * E8, 0, 0);
	flat(&r, 0, 0, 10000);
	e = bracket(&r, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10000, 0, 11000, 0,
		    0, 3000000, T(1));
	/* A held exit takes a new price at once (its quantity comes from
	 * the entry): the stop-loss moves from 3% below to 97.50. */
	cr_assert_eq(rig_amend(&r, e + 2, 1, 9750, T(1)), 0);
	assert_state(&r, e + 2, TRD_ORDER_NEW, 0, "amended");
	cr_assert_eq(O(&r, e + 2)->offset_bps, 0);
	flat(&r, 0, 1, 10000);
	cr_assert_eq(O(&r, e + 1)->price, 11000);
	cr_assert_eq(O(&r, e + 2)->price, 9750);
	bar(&r, 2, 9900, 9950, 9600, 9650);
	assert_state(&r, e + 2, TRD_ORDER_FILLED, 10000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, e + 2)), 9750);
	assert_state(&r, e + 1, TRD_ORDER_CANCELED, 0, "OCO: other leg filled");
	cr_assert_eq(pos(&r, 0), 0);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->realized, -25 * E8);
	rig_close(&r);
}

Test(orders, bracket_entry_partly_filled_then_canceled_keeps_sized_exits)
{
	struct rig r;
	uint64_t e;

	RIG(&r, 1000000 * E8, 0, 0, .participation = 100000);
	flat(&r, 0, 0, 10000);
	e = bracket(&r, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10000, 10000, 11000,
		    0, 0, 5000000, T(1));
	barv(&r, 0, 1, 9990, 10000, 9980, 9990, 30000); /* cap 3.000 */
	assert_state(&r, e, TRD_ORDER_PARTIALLY_FILLED, 3000, NULL);
	cr_assert_eq(O(&r, e + 1)->qty, 3000);
	cr_assert_eq(O(&r, e + 2)->qty, 3000);
	cr_assert_eq(O(&r, e + 2)->price, 9490); /* 99.90 * 0.95 = 94.905 */
	barv(&r, 0, 2, 9995, 10000, 9980, 9990, 20000); /* cap 2.000 */
	assert_state(&r, e, TRD_ORDER_PARTIALLY_FILLED, 5000, NULL);
	cr_assert_eq(O(&r, e + 1)->qty, 5000);
	cr_assert_eq(O(&r, e + 2)->qty, 5000);
	cr_assert_eq(rig_count_ev(&r, e + 1, TRD_ORDER_ACCEPTED, "amended"), 1);
	cr_assert_eq(O(&r, e + 2)->price, 9490, "priced once");
	cr_assert_eq(rig_cancel(&r, e, "canceled by the "
				      "strategy", T(3)), 0);
	assert_state(&r, e, TRD_ORDER_CANCELED, 5000, NULL);
	assert_state(&r, e + 1, TRD_ORDER_ACCEPTED, 0, NULL);
	assert_state(&r, e + 2, TRD_ORDER_ACCEPTED, 0, NULL);
	barv(&r, 0, 3, 10500, 11100, 10400, 11000, BIGVOL);
	assert_state(&r, e + 1, TRD_ORDER_FILLED, 5000, NULL);
	assert_state(&r, e + 2, TRD_ORDER_CANCELED, 0, "OCO: other leg filled");
	cr_assert_eq(pos(&r, 0), 0);
	rig_close(&r);
}

Test(orders, bracket_entry_ending_unfilled_cancels_the_exits)
{
	struct rig r;
	uint64_t e;

	RIG(&r, 1000 * E8, 0, 0);
	flat(&r, 0, 0, 10000);
	e = bracket(&r, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9000, 0,
		    1000000, 0, 1000000, T(1));
	cr_assert_eq(rig_cancel(&r, e, "canceled by the "
				      "strategy", T(1)), 0);
	assert_state(&r, e, TRD_ORDER_CANCELED, 0, "canceled by the strategy");
	assert_state(&r, e + 1, TRD_ORDER_CANCELED, 0,
		     "bracket entry ended unfilled");
	assert_state(&r, e + 2, TRD_ORDER_CANCELED, 0,
		     "bracket entry ended unfilled");
	/* Refused by the venue (cash): the same. */
	e = bracket(&r, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 100000, 0, 0,
		    1000000, 0, 1000000, T(1));
	cr_assert_eq(O(&r, e)->reject_code, TRD_REJ_FUNDS);
	assert_state(&r, e + 1, TRD_ORDER_CANCELED, 0,
		     "bracket entry ended unfilled");
	assert_state(&r, e + 2, TRD_ORDER_CANCELED, 0,
		     "bracket entry ended unfilled");
	/* Expired (IOC) with no fill: the same. */
	e = bracket_tif(&r, TRD_TIF_IOC, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT,
			1000, 9000, 0, 1000000, 0, 1000000, T(1));
	flat(&r, 0, 1, 10000);
	assert_state(&r, e, TRD_ORDER_EXPIRED, 0, NULL);
	assert_state(&r, e + 2, TRD_ORDER_CANCELED, 0,
		     "bracket entry ended unfilled");
	/* Canceling a held exit cancels the other. */
	e = bracket(&r, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9000, 0,
		    1000000, 0, 1000000, T(2));
	cr_assert_eq(rig_cancel(&r, e + 2, "canceled by the "
				      "strategy", T(2)), 0);
	assert_state(&r, e + 1, TRD_ORDER_CANCELED, 0,
		     "OCO: other leg canceled");
	assert_state(&r, e, TRD_ORDER_ACCEPTED, 0, NULL);
	rig_close(&r);
}

Test(orders, bracket_of_a_short_entry)
{
	struct rig r;
	uint64_t e;

	RIG(&r, 1000 * E8, 0, 0);
	flat(&r, 1, 0, 10000);
	e = bracket(&r, 1, TRD_SIDE_SELL, TRD_ORDER_MARKET, 5000, 0, 0,
		    5000000, 0, 2000000, T(1));
	assert_state(&r, e, TRD_ORDER_ACCEPTED, 0, NULL);
	flat(&r, 1, 1, 10000);
	cr_assert_eq(pos(&r, 1), -5000);
	/* A buy limit 5% below, a buy stop 2% above. */
	cr_assert_eq(O(&r, e + 1)->side, TRD_SIDE_BUY);
	cr_assert_eq(O(&r, e + 1)->price, 9500);
	cr_assert_eq(O(&r, e + 2)->price, 10200);
	barv(&r, 1, 2, 10000, 10250, 9900, 10200, BIGVOL);
	assert_state(&r, e + 2, TRD_ORDER_FILLED, 5000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, e + 2)), 10200);
	assert_state(&r, e + 1, TRD_ORDER_CANCELED, 0, "OCO: other leg filled");
	cr_assert_eq(pos(&r, 1), 0);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 1)->realized, -10 * E8);
	rig_close(&r);
}

/* --- partial fills --- */

Test(orders, participation_cap_is_shared_and_spread_over_bars)
{
	struct rig r;
	uint64_t a, b;

	RIG(&r, 1000000 * E8, 0, 0, .participation = 100000);
	flat(&r, 0, 0, 10000);
	a = sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 800, 0, T(1));
	b = sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 800, 0, T(1));
	barv(&r, 0, 1, 10000, 10000, 10000, 10000, 10000); /* cap 1.000 */
	assert_state(&r, a, TRD_ORDER_FILLED, 800, NULL);
	assert_state(&r, b, TRD_ORDER_PARTIALLY_FILLED, 200, NULL);
	barv(&r, 0, 2, 10100, 10100, 10100, 10100, 5000); /* cap 0.500 */
	assert_state(&r, b, TRD_ORDER_PARTIALLY_FILLED, 700, NULL);
	barv(&r, 0, 3, 10200, 10200, 10200, 10200, 0); /* no volume */
	assert_state(&r, b, TRD_ORDER_PARTIALLY_FILLED, 700, NULL);
	barv(&r, 0, 4, 10300, 10300, 10300, 10300, 1999); /* cap 0.199 */
	assert_state(&r, b, TRD_ORDER_FILLED, 800, NULL);
	/* At the opens: (200 * 100 + 500 * 101 + 100 * 103) / 800. */
	cr_assert_eq(trd_order_avg_price(O(&r, b)), 10100);
	cr_assert_eq(r.nfills, 4);
	cr_assert_eq(r.fills[2].price, 10100);
	cr_assert_eq(r.fills[3].price, 10300);
	cr_assert_eq(r.fills[3].qty, 100);
	cr_assert_eq(r.fills[3].ts, T(4));
	cr_assert_eq(pos(&r, 0), 1600);
	rig_close(&r);
}

/* --- latency --- */

Test(orders, order_in_flight_misses_the_bar_opening_before_it_arrives)
{
	struct rig r;
	uint64_t a, b;

	RIG(&r, 1000000 * E8, 0, 0, .submit_ms = 5000);
	flat(&r, 0, 0, 10000);
	a = sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T(1));
	assert_state(&r, a, TRD_ORDER_NEW, 0, NULL);
	cr_assert(O(&r, a)->routed, "on its way to the venue");
	cr_assert_eq(r.oms.nlisted, 1);
	/* Time alone brings its arrival: the ack is stamped then. */
	rig_tick(&r, T(1) + 5 * SEC - 1);
	assert_state(&r, a, TRD_ORDER_NEW, 0, NULL);
	/* Bar 1 opened at T(1), before the order arrived: no fill; it is
	 * accepted (at its arrival) when bar 1 is delivered. */
	bar(&r, 1, 10100, 10100, 10100, 10100);
	assert_state(&r, a, TRD_ORDER_ACCEPTED, 0, NULL);
	cr_assert_eq(O(&r, a)->update_ns, T(1) + 5 * SEC);
	cr_assert_eq(r.nfills, 0);
	/* Checked when it arrives: a sale of nothing. */
	b = sub(&r, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, T(2));
	assert_state(&r, b, TRD_ORDER_NEW, 0, NULL);
	bar(&r, 2, 10200, 10200, 10200, 10200);
	assert_state(&r, a, TRD_ORDER_FILLED, 1000, NULL);
	cr_assert_eq(trd_order_avg_price(O(&r, a)), 10200);
	assert_state(&r, b, TRD_ORDER_REJECTED, 0, NULL);
	cr_assert_eq(O(&r, b)->reject_code, TRD_REJ_POSITION);
	cr_assert_eq(O(&r, b)->update_ns, T(2) + 5 * SEC);
	/* In flight at the end: arrives in finish if due. */
	a = sub(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9000, T(3));
	rig_finish(&r, T(3) + 5 * SEC);
	assert_state(&r, a, TRD_ORDER_ACCEPTED, 0, NULL);
	rig_close(&r);
}

Test(orders, cancel_that_loses_the_race_and_one_that_wins)
{
	struct rig r;
	uint64_t a, b, c;

	RIG(&r, 1000000 * E8, 0, 0, .cancel_ms = 5000);
	flat(&r, 0, 0, 10000);
	a = sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T(1));
	assert_state(&r, a, TRD_ORDER_ACCEPTED, 0, NULL);
	cr_assert_eq(rig_cancel(&r, a, "canceled by the "
				      "strategy", T(1)), 0);
	cr_assert(O(&r, a)->cancel_sent);
	cr_assert_eq(rig_cancel(&r, a, "again", T(1)),
		     -ENOENT, "a cancel is already on its way");
	/* Bar 1 opens before the cancel arrives: it fills. */
	flat(&r, 0, 1, 10000);
	assert_state(&r, a, TRD_ORDER_FILLED, 1000, "");
	cr_assert_eq(r.oms.stats.canceled, 0);
	/* This one the bar does not fill: canceled after it, at the
	 * cancel's arrival. */
	b = sub(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9000, T(2));
	cr_assert_eq(rig_cancel(&r, b, "canceled by the "
				      "strategy", T(2)), 0);
	bar(&r, 2, 10000, 10050, 9950, 10000);
	assert_state(&r, b, TRD_ORDER_CANCELED, 0, "canceled by the strategy");
	cr_assert_eq(O(&r, b)->update_ns, T(2) + 5 * SEC);
	/* The next bar opens after the cancel arrived: canceled before it
	 * is matched, though it trades through the limit. */
	c = sub(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 9900, T(3));
	cr_assert_eq(rig_cancel(&r, c, "canceled by the "
				      "strategy", T(3)), 0);
	bar(&r, 5, 9800, 9850, 9700, 9800);
	assert_state(&r, c, TRD_ORDER_CANCELED, 0, NULL);
	cr_assert_eq(O(&r, c)->update_ns, T(3) + 5 * SEC);
	cr_assert_eq(r.nfills, 1);
	rig_close(&r);
}

Test(orders, amend_applies_after_the_latency)
{
	struct rig r;
	uint64_t a;

	RIG(&r, 1000000 * E8, 0, 0, .cancel_ms = 5000);
	flat(&r, 0, 0, 10000);
	a = sub(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 2000, 9900, T(1));
	cr_assert_eq(rig_amend(&r, a, 1000, 10050, T(1)), 0);
	cr_assert_eq(O(&r, a)->price, 9900);
	cr_assert_eq(O(&r, a)->qty, 2000);
	/* The bar opening before the amend arrives sees the old order;
	 * at 100.50 it would have filled. */
	bar(&r, 1, 10000, 10020, 9950, 10000);
	cr_assert_eq(r.nfills, 0);
	assert_state(&r, a, TRD_ORDER_ACCEPTED, 0, "amended");
	cr_assert_eq(O(&r, a)->price, 10050);
	cr_assert_eq(O(&r, a)->qty, 1000);
	cr_assert_eq(O(&r, a)->update_ns, T(1) + 5 * SEC);
	bar(&r, 2, 10000, 10020, 9950, 10000);
	assert_state(&r, a, TRD_ORDER_FILLED, 1000, "");
	cr_assert_eq(trd_order_avg_price(O(&r, a)), 10000);
	rig_close(&r);
}

/* --- amend --- */

Test(orders, amend_changes_price_and_quantity)
{
	struct rig r;
	uint64_t a, m, s;

	RIG(&r, 1000000 * E8, 0, 0, .lot = { 10, 1 }, .participation = 100000);
	flat(&r, 0, 0, 10000);
	a = sub(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10000, 9900, T(1));
	cr_assert_eq(rig_amend(&r, a, 5000, 9800, T(1)), 0);
	assert_state(&r, a, TRD_ORDER_ACCEPTED, 0, "amended");
	cr_assert_eq(O(&r, a)->qty, 5000);
	cr_assert_eq(O(&r, a)->price, 9800);
	cr_assert_eq(rig_amend(&r, a, 5005, 0, T(1)), -EINVAL);
	cr_assert_eq(rig_amend(&r, a, 5000, -1, T(1)), -EINVAL);
	cr_assert_eq(rig_amend(&r, a, 0, 0, T(1)), -EINVAL);
	barv(&r, 0, 1, 9700, 9750, 9700, 9700, 30000); /* cap 3.000 */
	assert_state(&r, a, TRD_ORDER_PARTIALLY_FILLED, 3000, "");
	cr_assert_eq(rig_amend(&r, a, 2000, 0, T(2)), -EINVAL,
		     "below what has filled");
	/* Down to what has filled: done. */
	cr_assert_eq(rig_amend(&r, a, 3000, 0, T(2)), 0);
	assert_state(&r, a, TRD_ORDER_FILLED, 3000, "amended");
	cr_assert_eq(rig_amend(&r, a, 3000, 0, T(2)), -ENOENT);
	rig_close(&r);
	/* A market order has no price to amend; a stop's is its trigger,
	 * rounded as a stop (tick 0.05). */
	RIG(&r, 1000000 * E8, 0, 0, .tick = { 5, 1 });
	flat(&r, 0, 1, 10000);
	m = sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, T(2));
	cr_assert_eq(rig_amend(&r, m, 1000, 10000, T(2)),
		     -EINVAL);
	s = sub(&r, TRD_SIDE_BUY, TRD_ORDER_STOP, 1000, 10500, T(2));
	cr_assert_eq(rig_amend(&r, s, 2000, 10601, T(2)), 0);
	cr_assert_eq(O(&r, s)->price, 10605);
	cr_assert_eq(O(&r, s)->qty, 2000);
	rig_close(&r);
}

/* --- re-entrancy --- */

/*
 * The order manager calls the venue from inside the venue's own reports
 * (a fill activates bracket exits, an OCO fill cancels the other leg),
 * while the simulator is matching its book.  Strategies do not: their
 * callbacks are delivered by the session after the event, so a cancel
 * "from on_fill" reaches the order manager after the bar.
 */
Test(orders, venue_reentered_from_its_own_reports)
{
	struct rig r;
	uint64_t a, e[300];

	RIG(&r, 1000000 * E8, 0, 0, .participation = 100000);
	flat(&r, 0, 0, 10000);
	/* Canceled on its fill, as a strategy's on_fill does: the fill
	 * counts, then the cancel. */
	a = sub(&r, TRD_SIDE_BUY, TRD_ORDER_MARKET, 2000, 0, T(1));
	barv(&r, 0, 1, 10000, 10000, 10000, 10000, 5000);
	cr_assert_eq(r.nfills, 1);
	cr_assert_eq(rig_cancel(&r, a, "canceled by the strategy", T(2)), 0);
	assert_state(&r, a, TRD_ORDER_CANCELED, 500,
		     "canceled by the strategy");
	cr_assert_eq(rig_count_ev(&r, a, TRD_ORDER_PARTIALLY_FILLED, NULL),
		     1);
	rig_close(&r);

	/* 300 bracket entries fill in one bar: 600 exits are submitted to
	 * the simulator while it matches that bar (its book grows under
	 * it), and every one is activated, priced and resting. */
	RIG(&r, 1000000 * E8, 0, 0);
	flat(&r, 0, 0, 10000);
	for (int i = 0; i < 300; i++)
		e[i] = bracket(&r, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10, 0, 0,
			       1000000, 0, 1000000, T(1));
	flat(&r, 0, 1, 10000);
	for (int i = 0; i < 300; i++) {
		assert_state(&r, e[i], TRD_ORDER_FILLED, 10, NULL);
		assert_state(&r, e[i] + 1, TRD_ORDER_ACCEPTED, 0, NULL);
		assert_state(&r, e[i] + 2, TRD_ORDER_ACCEPTED, 0, NULL);
		cr_assert_eq(O(&r, e[i] + 1)->price, 10100);
		cr_assert_eq(O(&r, e[i] + 2)->price, 9900);
		cr_assert_eq(O(&r, e[i] + 2)->qty, 10);
	}
	cr_assert_eq(r.oms.open[0].n, 600);
	cr_assert_eq(pos(&r, 0), 3000);
	/* The next bar trades through every take-profit, which cancels
	 * every stop. */
	bar(&r, 2, 10000, 10200, 10000, 10150);
	cr_assert_eq(pos(&r, 0), 0);
	cr_assert_eq(r.oms.open[0].n, 0);
	for (int i = 0; i < 300; i++)
		assert_state(&r, e[i] + 2, TRD_ORDER_CANCELED, 0,
			     "OCO: other leg filled");
	rig_close(&r);
}

/* --- hostile values --- */

static const int64_t hostile[] = { 0, -1, 1, INT64_MIN, INT64_MAX,
				   INT64_MAX - 1, 99 };
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* One order of type with hostile values picked by i and j, routed and
 * amended: refused with a code, or accepted with sane values, or (on the
 * second pass, with a submit latency) in flight. */
static void
hostile_order(struct rig *r, int pass, int type, size_t i, size_t j)
{
	uint64_t id = mk_on(r, (uint32_t)(j % 2),
			    i % 3 ? TRD_SIDE_BUY : TRD_SIDE_SELL, type,
			    hostile[i], hostile[j], 0);
	struct trd_order *o = O(r, id);

	o->stop_price = hostile[(i + j) % NHOSTILE];
	o->trail = hostile[(i + 2 * j) % NHOSTILE];
	o->expire_ns = hostile[(2 * i + j) % NHOSTILE];
	o->tif = (uint8_t)(j % 5);
	o->flags = (uint8_t)(i % 4);
	route(r, id, 0);
	o = O(r, id);
	cr_assert(o->status == TRD_ORDER_ACCEPTED ||
		  o->status == TRD_ORDER_REJECTED ||
		  (pass && o->status == TRD_ORDER_NEW));
	if (o->status == TRD_ORDER_REJECTED)
		cr_assert(o->reject_code > 0 && o->reject_code < TRD_REJ_COUNT);
	else if (o->status == TRD_ORDER_ACCEPTED)
		cr_assert(o->qty > 0 && o->price >= 0);
	/* Amends of every kind: refused or applied, never a crash. */
	rig_amend(r, id, hostile[j], hostile[i], 0);
}

Test(orders, hostile_values_are_refused_without_overflow)
{
	struct rig r;
	int types[] = { 0, TRD_ORDER_MARKET, TRD_ORDER_LIMIT, TRD_ORDER_STOP,
			TRD_ORDER_STOP_LIMIT, TRD_ORDER_TRAILING_STOP, 6, 255,
			257, -1 };

	/* The second pass has a last close (bars first), orders in flight
	 * for a millisecond and cancels for the config's limit (an hour). */
	for (int pass = 0; pass < 2; pass++) {
		RIG(&r, 1000 * E8, 100000, 50000, .tick = { 7, 3 },
		    .participation = INT64_MAX, .submit_ms = pass ? 1 : 0,
		    .cancel_ms = pass ? 3600000 : 0);
		if (pass) {
			barv(&r, 0, 0, 10000, 10100, 9900, 10000, INT64_MAX);
			barv(&r, 1, 0, 5000, 5100, 4900, 5000, INT64_MAX);
		}
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			for (size_t i = 0; i < NHOSTILE; i++)
				for (size_t j = 0; j < NHOSTILE; j++)
					hostile_order(&r, pass, types[t], i, j);
		/* Bad enums by hand: no crash, clear refusals (checked
		 * after the bars: in flight on the second pass). */
		uint64_t bad = mk(&r, 99, TRD_ORDER_MARKET, 1000, 0, 0), id;
		route(&r, bad, 0);
		route(&r, mk(&r, TRD_SIDE_BUY, 99, 1000, 100, 0), 0);
		id = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 100, 0);
		O(&r, id)->tif = 200;
		route(&r, id, 0);
		id = mk(&r, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 100, 0);
		O(&r, id)->flags = 0x80;
		route(&r, id, 0);
		/* A bracket with absurd offsets. */
		id = bracket(&r, 1, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 5000,
			     0, INT64_MAX, 0, INT64_MAX, 0);
		/* Bars: bad ones trade nothing; huge volume; then sane. */
		barv(&r, 0, 2 * pass, -5, 10, -10, 0, INT64_MAX);
		barv(&r, 1, 2 * pass, 0, 0, 0, 0, INT64_MIN);
		barv(&r, 0, 2 * pass + 1, 10000, 10100, 9900, 10000, INT64_MAX);
		barv(&r, 1, 2 * pass + 1, 5000, 5100, 4900, 5000, INT64_MAX);
		cr_assert_str_eq(O(&r, bad)->reason, "unknown order side");
		cr_assert_str_eq(O(&r, bad + 1)->reason, "unknown order type");
		cr_assert_str_eq(O(&r, bad + 2)->reason,
				 "unknown time in force");
		cr_assert_str_eq(O(&r, bad + 3)->reason, "unknown order flags");
		cr_assert_eq(O(&r, bad + 3)->reject_code,
			     TRD_REJ_INVALID_ORDER);
		if (O(&r, id + 1)->status == TRD_ORDER_ACCEPTED) {
			cr_assert_gt(O(&r, id + 1)->price, 0);
			cr_assert_gt(O(&r, id + 2)->price, 0);
		}
		for (uint64_t k = 1; k <= r.oms.last_id; k++) {
			const struct trd_order *o = O(&r, k);
			if (trd_order_is_open(o) && o->listed)
				rig_cancel(&r, k, "end", INT64_MAX);
		}
		rig_finish(&r, INT64_MAX);
		cr_assert_geq(r.pf.cash, 0);
		rig_close(&r);
	}
}

/* --- names and the plugin view --- */

Test(orders, names_and_order_info)
{
	struct rig r;
	struct trd_order_info info;
	uint64_t a;

	cr_assert_str_eq(trd_reject_name(TRD_REJ_NONE), "none");
	cr_assert_str_eq(trd_reject_name(TRD_REJ_MAX_OPEN_ORDERS),
			 "max_open_orders");
	cr_assert_str_eq(trd_reject_name(TRD_REJ_FUNDS), "insufficient_funds");
	cr_assert_str_eq(trd_reject_name(TRD_REJ_POSITION),
			 "insufficient_position");
	cr_assert_str_eq(trd_reject_name(TRD_REJ_MAX_POSITION),
			 "max_position_notional");
	cr_assert_str_eq(trd_reject_name(TRD_REJ_COUNT), "?");
	cr_assert_str_eq(trd_reject_name(-1), "?");
	for (int c = 0; c < TRD_REJ_COUNT; c++)
		cr_assert_neq(strcmp(trd_reject_name(c), "?"), 0);
	cr_assert_str_eq(trd_tif_name(TRD_TIF_GTC), "gtc");
	cr_assert_str_eq(trd_tif_name(TRD_TIF_IOC), "ioc");
	cr_assert_str_eq(trd_tif_name(TRD_TIF_FOK), "fok");
	cr_assert_str_eq(trd_tif_name(TRD_TIF_GTD), "gtd");
	cr_assert_str_eq(trd_tif_name(9), "?");
	cr_assert_str_eq(trd_order_type_name(TRD_ORDER_STOP_LIMIT),
			 "stop_limit");
	cr_assert_str_eq(trd_order_type_name(TRD_ORDER_TRAILING_STOP),
			 "trailing_stop");

	RIG(&r, 1000000 * E8, 0, 0);
	go_long(&r, 1000);
	a = mk(&r, TRD_SIDE_SELL, TRD_ORDER_STOP_LIMIT, 1000, 9000, T(2));
	O(&r, a)->stop_price = 9500;
	O(&r, a)->tif = TRD_TIF_GTD;
	O(&r, a)->expire_ns = T(9);
	O(&r, a)->flags = TRD_ORDER_REDUCE_ONLY;
	route(&r, a, T(2));
	trd_order_info(O(&r, a), &info);
	cr_assert_eq(info.tif, TRD_TIF_GTD);
	cr_assert_eq(info.flags, TRD_ORDER_REDUCE_ONLY);
	cr_assert_eq(info.stop_price, 9500);
	cr_assert_eq(info.price, 9000);
	cr_assert_eq(info.expire_ns, T(9));
	cr_assert_eq(info.status, TRD_ORDER_ACCEPTED);
	cr_assert_eq(info.reject_code, 0);
	cr_assert_eq(info.link_id, 0);
	rig_close(&r);
}
