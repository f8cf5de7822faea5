/*
 * sizing: see sizing.h.
 */
#include <math.h>

#include "sizing.h"

double
trd_size_fraction(const struct trd_sizing *z, const struct trd_size_stats *st,
		  double vol)
{
	switch (z->method) {
	case TRD_SIZE_FRACTION:
		break;
	case TRD_SIZE_VOL_TARGET:
		if (!(z->vol_target > 0) || !isfinite(z->vol_target) ||
		    z->vol_n < 2 || z->vol_n > 100000)
			return -1;
		if (!(vol > 0))
			return 0; /* not warm (NaN), or a flat window */
		return z->vol_target >= vol ? 1 : z->vol_target / vol;
	case TRD_SIZE_KELLY: {
		double cap = z->kelly_cap == 0 ? 0.01 : z->kelly_cap, p, b, f;
		uint64_t n = st->nwins + st->nlosses;
		if (!(cap > 0 && cap <= 1))
			return -1;
		if (n < z->kelly_min_trades || n == 0)
			break; /* the fixed-fraction fallback */
		p = (double)st->nwins / (double)n;
		if (st->nlosses == 0 || !(st->sum_loss > 0))
			f = p; /* b is infinite */
		else if (st->nwins == 0)
			return 0;
		else {
			b = (st->sum_win / (double)st->nwins) /
			    (st->sum_loss / (double)st->nlosses);
			f = p - (1 - p) / b;
		}
		f *= 0.5;
		return f <= 0 ? 0 : f > cap ? cap : f;
	}
	default:
		return -1;
	}
	if (!(z->fraction > 0 && z->fraction <= 1))
		return -1; /* NaN fails too */
	return z->fraction;
}
