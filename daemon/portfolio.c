/*
 * portfolio: see portfolio.h for the accounting identity this keeps.
 */
#include <errno.h>
#include <stdlib.h>

#include "decimal.h"
#include "portfolio.h"

/* v / d rounded as asked; d > 0. */
static i128
div_round(i128 v, i128 d, enum trd_round r)
{
	i128 q = v / d, rem = v % d;

	if (rem == 0)
		return q;
	switch (r) {
	case TRD_ROUND_DOWN:
		return v < 0 ? q - 1 : q;
	case TRD_ROUND_UP:
		return v > 0 ? q + 1 : q;
	case TRD_ROUND_NEAREST:
		if (2 * (rem < 0 ? -rem : rem) >= d)
			return v < 0 ? q - 1 : q + 1;
		return q;
	}
	return q;
}

/*
 * div_round for a divisor below 2^63 whose rounded quotient fits in
 * int64: the same result, without the generic signed 128-bit division
 * (one unsigned 64-bit division when |v| fits in 64 bits).  Returns -1,
 * leaving *out alone, when the quotient does not fit.
 */
static int
div_round_small(i128 v, uint64_t d, enum trd_round r, int64_t *out)
{
	int neg = v < 0;
	unsigned __int128 u = neg ? -(unsigned __int128)v
				  : (unsigned __int128)v;
	uint64_t q, rem;

	if ((uint64_t)(u >> 64) >= d)
		return -1; /* |quotient| >= 2^64 */
	if ((u >> 64) == 0) {
		q = (uint64_t)u / d;
		rem = (uint64_t)u % d;
	} else {
		q = (uint64_t)(u / d);
		rem = (uint64_t)u - q * d; /* exact: the remainder < d */
	}
	/* Round the magnitude: q is it truncated toward zero. */
	if (rem != 0 &&
	    ((r == TRD_ROUND_DOWN && neg) || (r == TRD_ROUND_UP && !neg) ||
	     (r == TRD_ROUND_NEAREST && rem >= d - rem)))
		q++;
	if (q > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	*out = neg ? (int64_t)(0 - q) : (int64_t)q;
	return 0;
}

static i128
pow10_128(int n)
{
	i128 v = 1;

	while (n-- > 0)
		v *= 10;
	return v;
}

int
trd_portfolio_init(struct trd_portfolio *pf, int64_t cash, size_t nstrat,
		   size_t ninstr, const uint8_t *price_dp, const uint8_t *qty_dp)
{
	size_t npos;

	*pf = (struct trd_portfolio){ .initial_cash = cash, .cash = cash,
				      .nstrat = nstrat, .ninstr = ninstr };
	npos = nstrat * ninstr;
	pf->pos = calloc(npos > 0 ? npos : 1, sizeof(*pf->pos));
	pf->ins = calloc(ninstr ? ninstr : 1, sizeof(*pf->ins));
	if (pf->pos == NULL || pf->ins == NULL) {
		trd_portfolio_free(pf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ninstr; i++) {
		int shift = price_dp[i] + qty_dp[i] - TRD_CASH_DP;
		pf->ins[i].price_dp = price_dp[i];
		pf->ins[i].qty_dp = qty_dp[i];
		if (shift >= 0 && shift <= 18)
			pf->ins[i].div = (int64_t)pow10_128(shift);
		else if (shift < 0 && shift >= -18)
			pf->ins[i].mul = (int64_t)pow10_128(-shift);
	}
	return 0;
}

void
trd_portfolio_free(struct trd_portfolio *pf)
{
	free(pf->pos);
	free(pf->ins);
	pf->pos = NULL;
	pf->ins = NULL;
}

int64_t
trd_portfolio_notional(const struct trd_portfolio *pf, size_t ins,
		       int64_t price, int64_t qty, enum trd_round r)
{
	const struct trd_pf_instr *in = &pf->ins[ins];
	int shift = in->price_dp + in->qty_dp - TRD_CASH_DP;
	i128 v = (i128)price * qty;
	int64_t m;

	/* Marking runs on every bar of a held position: no generic 128-bit
	 * division when the quotient fits in 64 bits. */
	if (in->div != 0 && div_round_small(v, (uint64_t)in->div, r, &m) == 0)
		return m;
	if (in->mul != 0 && v >= INT64_MIN && v <= INT64_MAX &&
	    !__builtin_mul_overflow((int64_t)v, in->mul, &m))
		return m;
	if (shift >= 0)
		return trd_sat64(div_round(v, pow10_128(shift), r));
	/* Scaling up: anything already beyond int64 saturates, and the
	 * product must not overflow 128 bits first. */
	if (v > INT64_MAX || v < INT64_MIN)
		return v > 0 ? INT64_MAX : INT64_MIN;
	return trd_sat64(v * pow10_128(-shift));
}

int64_t
trd_fee(int64_t notional, int64_t fee_bps)
{
	/* fee_bps is scaled by 10^4, so the rate is fee_bps / 10^8. */
	i128 v = ((i128)notional < 0 ? -(i128)notional : (i128)notional) *
		 fee_bps;
	int64_t f;

	if (div_round_small(v, 100000000, TRD_ROUND_UP, &f) == 0)
		return f;
	return trd_sat64(div_round(v, (i128)100000000, TRD_ROUND_UP));
}

/* A volume-weighted price from a cash value and a quantity. */
static int64_t
vwap_price(const struct trd_pf_instr *in, int64_t value, int64_t qty)
{
	int shift = in->price_dp + in->qty_dp - TRD_CASH_DP;
	i128 v = (i128)value;

	if (qty == 0)
		return 0;
	if (shift >= 0)
		v *= pow10_128(shift);
	else
		v = div_round(v, pow10_128(-shift), TRD_ROUND_NEAREST);
	return trd_sat64(div_round(v, qty, TRD_ROUND_NEAREST));
}

void
trd_portfolio_remark(struct trd_portfolio *pf, size_t ins)
{
	struct trd_pf_instr *in = &pf->ins[ins];
	int64_t mtm = in->net_qty == 0
			      ? 0
			      : trd_portfolio_notional(pf, ins, in->last,
						       in->net_qty,
						       TRD_ROUND_NEAREST);

	pf->mtm_sum += mtm - in->mtm;
	in->mtm = mtm;
}


static void
trip_close(struct trd_portfolio *pf, size_t strat, size_t ins,
	   struct trd_position *p, int64_t ts)
{
	struct trd_trip *t = &p->trip;
	struct trd_trade_rec rec = {
		.strat = (uint32_t)strat, .ins = (uint32_t)ins, .side = t->side,
		.qty = t->entry_qty, .entry_ns = t->entry_ns, .exit_ns = ts,
		.entry_price = vwap_price(&pf->ins[ins], t->entry_value,
					  t->entry_qty),
		.exit_price = vwap_price(&pf->ins[ins], t->exit_value,
					 t->exit_qty),
		.pnl = p->realized - t->realized0, .fees = t->fees,
	};

	t->open = 0;
	if (pf->on_trade)
		pf->on_trade(pf->arg, &rec);
}

static void
trip_open(struct trd_position *p, int side, int64_t ts)
{
	p->trip = (struct trd_trip){ .open = 1, .side = side, .entry_ns = ts,
				     .realized0 = p->realized };
}

void
trd_portfolio_fill(struct trd_portfolio *pf, size_t strat, size_t ins,
		   int side, int64_t qty, int64_t price, int64_t fee,
		   int64_t ts_ns)
{
	struct trd_position *p = trd_portfolio_pos(pf, strat, ins);
	int buy = side == TRD_SIDE_BUY;
	int64_t d = buy ? qty : -qty;
	int64_t short0 = p->qty < 0 ? -p->qty : 0;
	/* Round the notional against the trader, once; every book entry
	 * below uses this same number. */
	int64_t n = trd_portfolio_notional(pf, ins, price, qty,
					   buy ? TRD_ROUND_UP : TRD_ROUND_DOWN);
	int64_t fee_close = 0;

	pf->cash += buy ? -n : n;
	pf->cash -= fee;
	pf->fees += fee;
	p->fees += fee;

	if (p->qty == 0 || (p->qty > 0) == (d > 0)) {
		/* Opening or adding. */
		if (p->qty == 0)
			trip_open(p, side, ts_ns);
		p->qty += d;
		p->cost += buy ? n : -n;
		p->trip.entry_qty += qty;
		p->trip.entry_value += n;
		p->trip.fees += fee;
	} else {
		int64_t held = p->qty < 0 ? -p->qty : p->qty;
		int64_t k = qty < held ? qty : held;
		int64_t n_close = k == qty ? n
				  : trd_sat64((i128)n * k / qty);
		int64_t removed = trd_sat64((i128)p->cost * k / held);

		fee_close = k == qty ? fee : trd_sat64((i128)fee * k / qty);
		p->realized += (buy ? -n_close : n_close) - removed;
		p->cost -= removed;
		p->qty += buy ? k : -k;
		p->trip.exit_qty += k;
		p->trip.exit_value += n_close;
		p->trip.fees += fee_close;
		if (p->qty == 0)
			trip_close(pf, strat, ins, p, ts_ns);
		if (qty > k) {
			/* Flipped through zero: the rest opens a new trip. */
			int64_t n_open = n - n_close;
			trip_open(p, side, ts_ns);
			p->qty = buy ? qty - k : -(qty - k);
			p->cost = buy ? n_open : -n_open;
			p->trip.entry_qty = qty - k;
			p->trip.entry_value = n_open;
			p->trip.fees = fee - fee_close;
		}
	}
	/* The money rules ask for the shorts on every check: kept here. */
	{
		struct trd_pf_instr *in = &pf->ins[ins];
		int64_t s1 = p->qty < 0 ? -p->qty : 0;
		if (s1 != short0) {
			int was = in->short_qty != 0;
			in->short_qty = trd_sat64((__int128)in->short_qty + s1 -
						  short0);
			pf->nshorted += (in->short_qty != 0) - was;
		}
	}
	/* Kept here so the per-bar exposure question is O(1). */
	if (pf->ins[ins].net_qty == 0)
		pf->nexposed++;
	pf->ins[ins].net_qty += d;
	if (pf->ins[ins].net_qty == 0)
		pf->nexposed--;
	if (pf->ins[ins].last == 0)
		pf->ins[ins].last = price;
	trd_portfolio_remark(pf, ins);
}

void
trd_portfolio_pnl(const struct trd_portfolio *pf, int64_t *realized,
		  int64_t *unrealized)
{
	i128 r = 0, cost = 0;

	for (size_t i = 0; i < pf->nstrat * pf->ninstr; i++) {
		r += pf->pos[i].realized;
		cost += pf->pos[i].cost;
	}
	*realized = trd_sat64(r);
	*unrealized = trd_sat64((i128)pf->mtm_sum - cost);
}
