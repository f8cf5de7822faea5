/*
 * venue: see venue.h for the fill model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "venue.h"

typedef __int128 i128;

int
trd_venue_init(struct trd_venue *v, struct trd_oms *oms,
	       struct trd_portfolio *pf, const struct trd_venue_instr *ins,
	       size_t ninstr, int64_t fee_bps, int64_t slip_bps)
{
	*v = (struct trd_venue){ .oms = oms, .pf = pf, .ins = ins,
				 .ninstr = ninstr, .fee_bps = fee_bps,
				 .slip_bps = slip_bps };
	return 0;
}

void
trd_venue_free(struct trd_venue *v)
{
	free(v->scratch);
	v->scratch = NULL;
}

/* Round price to a multiple of tick, up or down. */
static int64_t
to_tick(int64_t price, int64_t tick, int up)
{
	int64_t r;

	if (tick <= 1)
		return price;
	r = price % tick;
	if (r == 0)
		return price;
	return up ? price - r + tick : price - r;
}

/* Price after slippage, against the trader, on the tick. */
static int64_t
slipped(const struct trd_venue *v, size_t ins, int side, int64_t px)
{
	int buy = side == TRD_SIDE_BUY;
	i128 p = (i128)px * (100000000 + (buy ? v->slip_bps : -v->slip_bps));
	int64_t q = (int64_t)(p / 100000000);

	if (buy && p % 100000000 != 0)
		q++; /* round up for a buy */
	return to_tick(q, v->ins[ins].tick, buy);
}

int64_t
trd_affordable_qty(const struct trd_portfolio *pf, size_t ins, int64_t cash,
		   int64_t price, int64_t fee_bps, int64_t lot, int64_t max_qty)
{
	const struct trd_pf_instr *in = &pf->ins[ins];
	int shift = in->price_dp + in->qty_dp - TRD_CASH_DP;
	i128 num, den, q;

	if (cash <= 0 || price <= 0 || lot <= 0)
		return 0;
	/* qty = cash * 10^shift / (price * (1 + fee)), fee = fee_bps/10^8. */
	num = (i128)cash * 100000000;
	den = (i128)price * (100000000 + fee_bps);
	for (int i = 0; i < shift; i++)
		num *= 10;
	for (int i = shift; i < 0; i++)
		den *= 10;
	q = num / den;
	if (q > max_qty)
		q = max_qty;
	q -= q % lot;
	/* Rounding of the notional and fee can cost a unit: step down until
	 * it fits exactly. */
	while (q > 0) {
		int64_t n = trd_portfolio_notional(pf, ins, price, (int64_t)q,
						   TRD_ROUND_UP);
		if ((__int128)n + trd_fee(n, fee_bps) <= cash)
			break;
		q -= lot;
	}
	return (int64_t)q;
}

/* Quantity of open sell orders not yet filled, for the position check. */
static int64_t
pending_sells(const struct trd_venue *v, const struct trd_order *self)
{
	const struct trd_oms_open *l = &v->oms->open[self->ins];
	int64_t sum = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct trd_order *o = trd_oms_get(v->oms, l->ids[i]);
		if (o->strat == self->strat && o->side == TRD_SIDE_SELL)
			sum += o->qty - o->filled;
	}
	return sum;
}

void
trd_venue_submit(struct trd_venue *v, struct trd_order *o, int64_t now)
{
	const struct trd_venue_instr *in = &v->ins[o->ins];
	int buy = o->side == TRD_SIDE_BUY;
	char why[96];
	int64_t ref;

	if (o->qty <= 0) {
		trd_oms_reject(v->oms, o, "quantity must be positive", now);
		return;
	}
	o->qty -= o->qty % in->lot;
	if (o->qty == 0) {
		trd_oms_reject(v->oms, o, "quantity is below the lot size", now);
		return;
	}
	if (o->type == TRD_ORDER_MARKET) {
		o->price = 0;
	} else {
		if (o->price <= 0) {
			trd_oms_reject(v->oms, o, "price must be positive", now);
			return;
		}
		/* A limit rounds to a tick no better than asked; a stop to
		 * one no earlier than asked. */
		o->price = to_tick(o->price, in->tick,
				   o->type == TRD_ORDER_LIMIT ? !buy : buy);
	}
	ref = o->price ? o->price : v->pf->ins[o->ins].last;
	if (buy && ref > 0) {
		int64_t px = o->type == TRD_ORDER_LIMIT
				     ? ref : slipped(v, o->ins, o->side, ref);
		int64_t n = trd_portfolio_notional(v->pf, o->ins, px, o->qty,
						   TRD_ROUND_UP);
		/* 128 bits: a saturated notional plus its fee must not wrap. */
		__int128 need = (__int128)n + trd_fee(n, v->fee_bps);
		if (need > v->pf->cash) {
			char a[32], b[32];
			trd_dec_format_short(need > INT64_MAX ? INT64_MAX
							      : (int64_t)need,
					     TRD_CASH_DP, a);
			trd_dec_format_short(v->pf->cash, TRD_CASH_DP, b);
			snprintf(why, sizeof(why), "insufficient cash: needs "
				 "%s%s, has %s", need > INT64_MAX ? ">" : "",
				 a, b);
			trd_oms_reject(v->oms, o, why, now);
			return;
		}
	}
	if (!buy && !in->allow_short) {
		int64_t pos = trd_portfolio_pos(v->pf, o->strat, o->ins)->qty;
		if (o->qty > pos - pending_sells(v, o)) {
			trd_oms_reject(v->oms, o, "insufficient position "
				       "(short selling is not enabled)", now);
			return;
		}
	}
	/* It can match bars that open from now on: the next bar. */
	o->eligible_ns = now;
	trd_oms_accept(v->oms, o, now);
}

int
trd_venue_cancel(struct trd_venue *v, struct trd_order *o, int64_t now)
{
	if (!trd_order_is_open(o))
		return -ENOENT;
	trd_oms_cancel(v->oms, o, "canceled by the strategy", now);
	return 0;
}

/* The price o trades at in bar b, or 0 if it does not trade. */
static int64_t
match_price(const struct trd_order *o, const struct trd_bar *b)
{
	int buy = o->side == TRD_SIDE_BUY;

	switch (o->type) {
	case TRD_ORDER_MARKET:
		return b->open;
	case TRD_ORDER_LIMIT:
		if (buy)
			return b->open < o->price ? b->open
			       : b->low < o->price ? o->price : 0;
		return b->open > o->price ? b->open
		       : b->high > o->price ? o->price : 0;
	case TRD_ORDER_STOP:
		if (buy)
			return b->open >= o->price ? b->open
			       : b->high >= o->price ? o->price : 0;
		return b->open <= o->price ? b->open
		       : b->low <= o->price ? o->price : 0;
	}
	return 0;
}

static void
execute(struct trd_venue *v, struct trd_order *o, const struct trd_bar *b)
{
	const struct trd_venue_instr *in = &v->ins[o->ins];
	int buy = o->side == TRD_SIDE_BUY;
	int64_t px = match_price(o, b), want, qty, n, fee;
	int64_t now = b->ts_ns;
	uint64_t id = o->id;
	const char *short_of = NULL;

	if (px == 0)
		return;
	if (o->type != TRD_ORDER_LIMIT)
		px = slipped(v, o->ins, o->side, px);
	want = qty = o->qty - o->filled;
	if (buy) {
		qty = trd_affordable_qty(v->pf, o->ins, v->pf->cash, px,
					 v->fee_bps, in->lot, want);
		short_of = "insufficient cash at the fill price";
	} else if (!in->allow_short) {
		int64_t pos = trd_portfolio_pos(v->pf, o->strat, o->ins)->qty;
		if (qty > pos)
			qty = pos > 0 ? pos : 0;
		short_of = "insufficient position at fill time";
	}
	if (qty <= 0) {
		trd_oms_cancel(v->oms, o, short_of, now);
		return;
	}
	n = trd_portfolio_notional(v->pf, o->ins, px, qty,
				   buy ? TRD_ROUND_UP : TRD_ROUND_DOWN);
	fee = trd_fee(n, v->fee_bps);
	trd_portfolio_fill(v->pf, o->strat, o->ins, o->side, qty, px, fee, now);
	/* Callbacks may submit orders, which can move the order table:
	 * look the order up again after each one. */
	if (v->on_fill)
		v->on_fill(v->arg, o, qty, px, fee, now);
	o = trd_oms_get(v->oms, id);
	trd_oms_fill(v->oms, o, qty, px, now);
	o = trd_oms_get(v->oms, id);
	if (qty < want) {
		char why[128];
		snprintf(why, sizeof(why), "rest canceled: %s", short_of);
		trd_oms_cancel(v->oms, o, why, now);
	}
}

void
trd_venue_bar(struct trd_venue *v, size_t ins, const struct trd_bar *bar)
{
	const struct trd_oms_open *l = &v->oms->open[ins];
	size_t n = l->n;

	if (n == 0)
		return;
	/* Callbacks may submit or cancel orders, changing the list: work on
	 * a copy, and skip what is no longer open. */
	if (n > v->nscratch) {
		uint64_t *s = realloc(v->scratch, n * sizeof(*s));
		if (s == NULL)
			abort();
		v->scratch = s;
		v->nscratch = n;
	}
	memcpy(v->scratch, l->ids, n * sizeof(*l->ids));
	for (size_t i = 0; i < n; i++) {
		struct trd_order *o = trd_oms_get(v->oms, v->scratch[i]);
		if (trd_order_is_open(o) && o->eligible_ns <= bar->ts_ns)
			execute(v, o, bar);
	}
}
