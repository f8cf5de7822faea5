/*
 * sizing: how much of its equity a strategy's host->size_qty request asks
 * for (plugin.h, struct trd_sizing).  Pure: the strategy host turns the
 * share into a quantity with the account's money rules (margin.h).
 */
#ifndef TRD_SIZING_H
#define TRD_SIZING_H

#include <stdint.h>

#include "traderd/plugin.h"

/* A strategy's closed trades, net of fees, for Kelly sizing. */
struct trd_size_stats {
	uint64_t nwins, nlosses;
	double   sum_win, sum_loss; /* both >= 0 */
};

/*
 * The share of equity, in [0, 1], a host->size_qty request asks for
 * (plugin.h, struct trd_sizing): FRACTION its fraction; VOL_TARGET
 * min(1, vol_target / vol), 0 while vol (the vol(vol_n) feature) is NaN or
 * zero; KELLY min(cap, 0.5 (p - (1 - p) / b)), 0 when that is <= 0, the
 * fraction while fewer than kelly_min_trades trades have closed.  -1 for an
 * invalid request (unknown method, NaN or out-of-range inputs).  FIXED is
 * not a share: -1.
 */
double trd_size_fraction(const struct trd_sizing *z,
			 const struct trd_size_stats *st, double vol);

#endif
