/*
 * venue: the simulated exchange, the one matching engine behind replays
 * (and, later, paper trading).
 *
 * Orders are checked on submission (quantity rounded down to the lot size,
 * limit and stop prices rounded to the tick away from the trader's favour,
 * cash for buys at the reference price, position for sells) and then
 * matched against the bars of their instrument that open at or after the
 * submission time, oldest order first:
 *
 *   market      fills at the next bar's open
 *   limit       fills when a later bar trades through the price: at the
 *               open if it opens through it, else at the limit
 *   stop        triggers when a bar touches the price: fills at the open
 *               if it opens beyond it, else at the stop price
 *
 * Market and stop fills pay slippage (slippage_bps, against the trader,
 * rounded to the tick); every fill pays fee_bps of its notional.  A buy
 * that the cash no longer covers at the fill price fills the largest lot
 * multiple it covers and cancels the rest ("insufficient cash"); a sell
 * larger than the position fills the position and cancels the rest.  There
 * is no randomness in this model; the venue seed is kept for the ones to
 * come (latency, partial fills).
 */
#ifndef TRD_VENUE_H
#define TRD_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "oms.h"
#include "portfolio.h"

struct trd_venue_instr {
	int64_t tick, lot;    /* price and quantity scales */
	int     allow_short;
};

struct trd_venue {
	struct trd_oms               *oms;
	struct trd_portfolio         *pf;
	const struct trd_venue_instr *ins;
	size_t                        ninstr;
	int64_t                       fee_bps, slip_bps; /* scaled 10^4 */
	/* Called after the portfolio has taken a fill, before the order's
	 * state changes. */
	void (*on_fill)(void *arg, const struct trd_order *o, int64_t qty,
			int64_t price, int64_t fee, int64_t ts_ns);
	void *arg;
	uint64_t *scratch;   /* copy of an open list while matching */
	size_t    nscratch;
};

int trd_venue_init(struct trd_venue *v, struct trd_oms *oms,
		   struct trd_portfolio *pf, const struct trd_venue_instr *ins,
		   size_t ninstr, int64_t fee_bps, int64_t slip_bps);
void trd_venue_free(struct trd_venue *v);

/* Check a NEW order and accept or reject it (reason in the order). */
void trd_venue_submit(struct trd_venue *v, struct trd_order *o, int64_t now);
/* Cancel an open order.  Returns 0 or -ENOENT if it is not open. */
int trd_venue_cancel(struct trd_venue *v, struct trd_order *o, int64_t now);
/* Match the open orders of instrument ins against bar; fills are stamped
 * with the bar's open time. */
void trd_venue_bar(struct trd_venue *v, size_t ins, const struct trd_bar *bar);

/* Largest multiple of lot (<= max_qty) whose cost plus fee at price fits in
 * cash (fee_bps scaled 10^4).  Exposed for strategies' sizing and tests. */
int64_t trd_affordable_qty(const struct trd_portfolio *pf, size_t ins,
			   int64_t cash, int64_t price, int64_t fee_bps,
			   int64_t lot, int64_t max_qty);

#endif
