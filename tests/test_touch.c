/*
 * The simulator on an instrument with quotes: market orders fill at the
 * touch with the size shown, limits when the opposite touch crosses them
 * or a trade prints through; stops stay on bars; an instrument without
 * quotes still fills on bars.  Prices have 2 decimals, quantities 3.
 */
#include <criterion/criterion.h>

#include "oms.h"
#include "portfolio.h"
#include "rig.h"

#define E8  100000000LL
#define SEC 1000000000LL

#define RIG(r, ...)                                                        \
	rig_open(r, &(struct rig_opts){ .cash = 1000000 * E8,              \
					.shortable = { 0, 1 }, __VA_ARGS__ })

static uint64_t
order(struct rig *r, uint32_t ins, int side, int type, int64_t qty,
      int64_t price, int tif, int64_t now)
{
	uint64_t id = rig_new(r, 0, ins, side, type, qty, price, now);

	if (tif)
		rig_order(r, id)->tif = (uint8_t)tif;
	rig_route(r, id, now);
	return id;
}

static void
state(struct rig *r, uint64_t id, int status, int64_t filled)
{
	const struct trd_order *o = rig_order(r, id);

	cr_assert_eq(o->status, status, "order %llu: %s, not %s (%s)",
		     (unsigned long long)id, trd_order_status_name(o->status),
		     trd_order_status_name(status), o->reason);
	cr_assert_eq(o->filled, filled, "order %llu: filled %lld",
		     (unsigned long long)id, (long long)o->filled);
}

Test(touch, market_fills_at_the_touch_with_the_size_shown)
{
	struct rig r;
	uint64_t b, s;

	RIG(&r);
	rig_quote(&r, 0, 1 * SEC, 10000, 5000, 10010, 1500);
	b = order(&r, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 4000, 0, 0, 2 * SEC);
	/* No fill before a quote or trade comes after it. */
	state(&r, b, TRD_ORDER_ACCEPTED, 0);
	/* A bar does not fill it: the instrument has quotes. */
	rig_bar(&r, 0, 0, 1, 9000, 9000, 9000, 9000, 1000000000);
	state(&r, b, TRD_ORDER_ACCEPTED, 0);
	rig_quote(&r, 0, 3 * SEC, 10000, 5000, 10020, 1500);
	state(&r, b, TRD_ORDER_PARTIALLY_FILLED, 1500);
	cr_assert_eq(r.fills[0].price, 10020);
	cr_assert_eq(r.fills[0].ts, 3 * SEC);
	rig_quote(&r, 0, 4 * SEC, 10000, 5000, 10030, 9000);
	state(&r, b, TRD_ORDER_FILLED, 4000);
	cr_assert_eq(r.fills[1].price, 10030);
	cr_assert_eq(r.fills[1].qty, 2500);
	/* A sell takes the bid. */
	s = order(&r, 0, TRD_SIDE_SELL, TRD_ORDER_MARKET, 1000, 0, 0, 5 * SEC);
	rig_quote(&r, 0, 6 * SEC, 10005, 5000, 10030, 9000);
	state(&r, s, TRD_ORDER_FILLED, 1000);
	cr_assert_eq(r.fills[2].price, 10005);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->qty, 3000);
	rig_close(&r);
}

Test(touch, limits_cross_the_touch_or_are_printed_through)
{
	struct rig r;
	uint64_t a, b, c;

	RIG(&r);
	rig_quote(&r, 0, 1 * SEC, 10000, 5000, 10010, 5000);
	/* Marketable when it arrives: it takes the better ask. */
	a = order(&r, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1000, 10050, 0, 2 * SEC);
	rig_quote(&r, 0, 3 * SEC, 10000, 5000, 10010, 5000);
	state(&r, a, TRD_ORDER_FILLED, 1000);
	cr_assert_eq(r.fills[0].price, 10010);
	/* Resting below the ask; a trade at the limit does not fill it, one
	 * below does, at the limit, up to the trade's size. */
	b = order(&r, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 3000, 9990, 0, 4 * SEC);
	rig_quote(&r, 0, 5 * SEC, 9980, 5000, 10000, 5000);
	state(&r, b, TRD_ORDER_ACCEPTED, 0);
	rig_trade(&r, 0, 6 * SEC, 9990, 7000);
	state(&r, b, TRD_ORDER_ACCEPTED, 0);
	rig_trade(&r, 0, 7 * SEC, 9985, 1000);
	state(&r, b, TRD_ORDER_PARTIALLY_FILLED, 1000);
	cr_assert_eq(r.fills[1].price, 9990);
	/* The ask comes down through it: the rest at its limit. */
	rig_quote(&r, 0, 8 * SEC, 9970, 5000, 9980, 5000);
	state(&r, b, TRD_ORDER_FILLED, 3000);
	cr_assert_eq(r.fills[2].price, 9990);
	cr_assert_eq(r.fills[2].qty, 2000);
	/* An IOC limit that is not marketable at the first quote expires. */
	c = order(&r, 0, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 1000, 10000,
		  TRD_TIF_IOC, 9 * SEC);
	rig_quote(&r, 0, 10 * SEC, 9970, 5000, 9980, 5000);
	state(&r, c, TRD_ORDER_EXPIRED, 0);
	cr_assert_str_eq(rig_order(&r, c)->reason,
			 "IOC: not filled in the first quote it met");
	rig_close(&r);
}

Test(touch, stops_stay_on_bars_and_no_quotes_means_bars)
{
	struct rig r;
	uint64_t st, m;

	RIG(&r);
	rig_quote(&r, 0, 1 * SEC, 10000, 5000, 10010, 5000);
	order(&r, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 2000, 0, 0, 2 * SEC);
	rig_quote(&r, 0, 3 * SEC, 10000, 5000, 10010, 5000);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->qty, 2000);
	/* A sell stop at 99.00 triggers on the bar touching it. */
	st = order(&r, 0, TRD_SIDE_SELL, TRD_ORDER_STOP, 2000, 9900, 0,
		   4 * SEC);
	rig_quote(&r, 0, 5 * SEC, 9890, 5000, 9895, 5000);
	state(&r, st, TRD_ORDER_ACCEPTED, 0);
	rig_bar(&r, 0, 60 * SEC, 60, 9950, 9960, 9880, 9890, 1000000000);
	state(&r, st, TRD_ORDER_FILLED, 2000);
	/* Instrument 1 never had a quote: its market order fills at the
	 * next bar's open, as without ticks. */
	m = order(&r, 1, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1000, 0, 0,
		  180 * SEC);
	rig_trade(&r, 1, 181 * SEC, 5000, 100000);
	state(&r, m, TRD_ORDER_ACCEPTED, 0);
	rig_bar(&r, 1, 180 * SEC, 60, 5010, 5020, 5000, 5015, 1000000000);
	state(&r, m, TRD_ORDER_FILLED, 1000);
	cr_assert_eq(trd_order_avg_price(rig_order(&r, m)), 5010);
	rig_close(&r);
}
