/*
 * margin: see margin.h for the rules.
 */
#include "margin.h"

int64_t
trd_margin_to_tick(int64_t price, int64_t tick, int up)
{
	int64_t r;

	if (tick <= 1 || price <= 0)
		return price;
	r = price % tick;
	if (r == 0)
		return price;
	return up && price - r <= INT64_MAX - tick ? price - r + tick
						   : price - r;
}

int64_t
trd_margin_level(i128 v, int64_t tick, int up)
{
	int64_t t = tick > 1 ? tick : 1, p;

	p = trd_margin_to_tick(v < 1 ? 1 : trd_sat64(v), t, up);
	return p < t ? t : p;
}

int64_t
trd_margin_slipped(int64_t slip_bps, int64_t tick, int side, int64_t px)
{
	int buy = side == TRD_SIDE_BUY;
	i128 p = (i128)px * (100000000 + (buy ? slip_bps : -slip_bps));
	i128 q = p / 100000000;

	if (buy && p % 100000000 != 0)
		q++; /* round up for a buy */
	return trd_margin_to_tick(trd_sat64(q), tick, buy);
}

int64_t
trd_margin_notional(const struct trd_portfolio *pf, size_t ins, int64_t price,
		    int64_t qty, enum trd_round r)
{
	const struct trd_pf_instr *in = &pf->ins[ins];
	i128 p = (i128)price * qty;

	if (in->price_dp + in->qty_dp < TRD_CASH_DP &&
	    (p > INT64_MAX || p < INT64_MIN))
		return p > 0 ? INT64_MAX : INT64_MIN;
	return trd_portfolio_notional(pf, ins, price, qty, r);
}

int64_t
trd_margin_affordable(const struct trd_portfolio *pf, size_t ins, int64_t cash,
		      int64_t price, int64_t fee_bps, int64_t lot,
		      int64_t max_qty)
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
		int64_t n = trd_margin_notional(pf, ins, price, (int64_t)q,
						TRD_ROUND_UP);
		if ((i128)n + trd_fee(n, fee_bps) <= cash)
			break;
		q -= lot;
	}
	return (int64_t)q;
}

i128
trd_margin_short_value(const struct trd_portfolio *pf, size_t ins, int64_t px)
{
	i128 sum = 0;

	/* Most books hold no short at all: nothing to walk. */
	for (size_t i = 0; pf->nshorted != 0 && i < pf->ninstr; i++) {
		int64_t at = pf->ins[i].last, q = pf->ins[i].short_qty;
		if (q == 0)
			continue;
		if (i == ins && px > at)
			at = px;
		sum += trd_margin_notional(pf, i, at, q, TRD_ROUND_UP);
	}
	return sum;
}

int64_t
trd_margin_free_collateral(const struct trd_portfolio *pf)
{
	return trd_sat64(trd_margin_free(pf, 0, 0));
}

int64_t
trd_margin_closing_qty(int side, int64_t pos, i128 pending, int64_t qty)
{
	i128 held = side == TRD_SIDE_BUY ? -(i128)pos : (i128)pos;

	held -= pending;
	if (held <= 0)
		return 0;
	return held < qty ? (int64_t)held : qty;
}

int
trd_margin_covered(const struct trd_portfolio *pf, int64_t fee_bps, size_t ins,
		   int side, int64_t px, int64_t c, int64_t o, i128 free,
		   i128 *need, i128 *have)
{
	int buy = side == TRD_SIDE_BUY;
	int64_t n = trd_margin_notional(pf, ins, px, c + o,
					buy ? TRD_ROUND_UP : TRD_ROUND_DOWN);
	int64_t n_o = trd_margin_notional(pf, ins, px, o, TRD_ROUND_UP);
	int64_t at = pf->ins[ins].last > px ? pf->ins[ins].last : px;
	/* A sale frees its proceeds.  A cover frees the collateral its
	 * short held in free (twice its value as S counts it, rounded down
	 * here as S rounds up) and costs its notional. */
	i128 freed = (i128)n - n_o;

	if (buy && c > 0)
		freed = 2 * (i128)trd_margin_notional(pf, ins, at, c,
						      TRD_ROUND_DOWN) -
			freed;
	*need = (i128)n_o + trd_fee(n, fee_bps);
	*have = free + freed;
	return *need <= *have;
}

int64_t
trd_margin_max_open(const struct trd_portfolio *pf, int64_t fee_bps,
		    size_t ins, int side, int64_t px, int64_t c, int64_t omax,
		    int64_t lot, i128 free)
{
	int64_t lo = 0, hi = omax / lot;
	i128 need, have;

	if (hi > 0 && trd_margin_covered(pf, fee_bps, ins, side, px, c,
					 hi * lot, free, &need, &have))
		return hi * lot;
	if (hi > 0)
		hi--;
	while (lo < hi) {
		/* The upper middle, without overflowing at INT64_MAX. */
		int64_t mid = lo + (hi - lo) / 2 + (hi - lo) % 2;
		if (trd_margin_covered(pf, fee_bps, ins, side, px, c,
				       mid * lot, free, &need, &have))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo * lot;
}
