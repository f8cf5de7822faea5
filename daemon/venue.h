/*
 * venue: the simulated exchange, the one matching engine behind replays
 * (and, later, paper trading).
 *
 * Orders are checked on submission (quantity rounded down to the lot size,
 * limit and stop prices rounded to the tick away from the trader's favour,
 * collateral for what opens a position, see below; position for sells
 * where shorting is not allowed) and then
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
 * rounded to the tick); every fill pays fee_bps of its notional.  There is
 * no randomness in this model; the venue seed is kept for the ones to come
 * (latency, partial fills).
 *
 * Money: no leverage.  The account's free collateral is
 *
 *   free = cash - 2 * S
 *
 * where S is the value (rounded up) of every short position in the
 * portfolio, whichever strategy holds it, at the last close; for the
 * instrument an order trades, at the higher of the last close and the
 * price the order is checked at, so that in a bar that gaps up the
 * proceeds of one short cannot back the next at the stale close.  Short
 * proceeds are credited to cash, so free is the equity less the gross
 * exposure (long value plus short value): it stays >= 0 while the longs
 * and shorts together are worth no more than the equity.  Without shorts
 * it is the cash.  (cash - S would not do: it is the equity less the
 * longs, which opening a short leaves unchanged, so each short's proceeds
 * would back the next one without end.)
 *
 * An order splits into the part that closes the strategy's position (a
 * sell of a long, a buy covering a short: never checked) and the part that
 * opens or adds to one (a buy going long; a sell going short, only on
 * instruments with allow_short).  The opening part, valued at px, the
 * price the order is checked at, must satisfy
 *
 *   n_o + fee <= free + freed
 *
 * with n_o its notional (rounded up), fee the whole order's fee, and freed
 * what the closing part frees: the proceeds n_c of a sale, or for a cover
 * the collateral it releases, twice its value as S counts it, less what it
 * costs (2 m_c - n_c).  So a flip spends what its closing part frees, and
 * once an order passes, the equity still covers the new position valued
 * at px and the others as S values them.
 *
 * The rule is checked on submission at the reference price (the limit
 * price, else the last close with slippage; not before the first close),
 * splitting the order against the position less the strategy's other open
 * orders on the same side.  A refusal rejects the order with "insufficient
 * cash: needs N, has H" (a buy) or "insufficient collateral to short:
 * needs N, has H" (a sell), H being free + freed.  Open orders reserve
 * nothing: the rule is checked again on each fill, at the fill price,
 * against the position then, and a fill it no longer covers takes the
 * closing part and the largest lot multiple of the opening part that fits
 * and cancels the rest with "rest canceled: insufficient cash at the fill
 * price" or "rest canceled: insufficient collateral to short at the fill
 * price".
 *
 * Sells on an instrument without allow_short may not exceed the position
 * (less open sells): such an order is rejected, and one that finds the
 * position smaller at fill time fills the position and cancels the rest.
 * Covering is never refused, even when free is negative (the shorts have
 * lost more than their margin): it only lowers the exposure.  Nothing
 * liquidates a position; a strategy sees its equity and decides.
 */
#ifndef TRD_VENUE_H
#define TRD_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "oms.h"
#include "portfolio.h"

struct trd_venue_instr {
	int64_t tick, lot;    /* price and quantity scales */
	int     allow_short;  /* sells may take a position below zero */
};

/* Which leg of an OCO pair fills when one bar touches both. */
enum trd_intrabar {
	TRD_INTRABAR_PESSIMISTIC = 0, /* the worse price for the trader (the
				       * stop-loss) */
	TRD_INTRABAR_OPTIMISTIC,      /* the better one */
	TRD_INTRABAR_OHLC,            /* open, the nearer of high and low,
				       * the other, close: first touched */
};

struct trd_venue {
	struct trd_oms               *oms;
	struct trd_portfolio         *pf;
	const struct trd_venue_instr *ins;
	size_t                        ninstr;
	int64_t                       fee_bps, slip_bps; /* scaled 10^4 */
	/* Set after init (all 0 by default: no cap, no latency). */
	int64_t  participation_ppm; /* share of a bar's volume an instrument's
				     * orders may fill in it, in millionths;
				     * 0: no cap */
	int64_t  submit_latency_ns; /* an order reaches the venue this late */
	int64_t  cancel_latency_ns; /* a cancel or amend reaches it this late */
	int      intrabar;          /* enum trd_intrabar */
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

/*
 * Route a NEW order (its fields set, links included) to the venue.  With no
 * submit latency it is checked and accepted or rejected now; otherwise it
 * is listed in flight and checked when it arrives (now + latency).  Held
 * bracket exits are not routed: the venue activates them.
 */
void trd_venue_submit(struct trd_venue *v, struct trd_order *o, int64_t now);
/* Cancel an open order (reason shown on it).  With no cancel latency it is
 * canceled now; otherwise the cancel arrives at now + latency, and bars
 * opening before that can still fill it.  Returns 0 or -ENOENT if it is
 * not open (or a cancel is already on its way). */
int trd_venue_cancel(struct trd_venue *v, struct trd_order *o,
		     const char *reason, int64_t now);
/* Amend an open order's quantity (>= filled, a lot multiple) and price
 * (0 keeps it; rounded as on submission), arriving after the cancel
 * latency.  0, -ENOENT (not open), -EINVAL (bad values). */
int trd_venue_amend(struct trd_venue *v, struct trd_order *o, int64_t qty,
		    int64_t price, int64_t now);
/* The bar of instrument ins was delivered at now: arrivals, matching (fills
 * stamped with the bar's open time), expiries, pending cancels. */
void trd_venue_bar(struct trd_venue *v, size_t ins, const struct trd_bar *bar,
		   int64_t now);
/* End of the run at now: apply what has arrived by then (cancels, amends,
 * arrivals, expiries).  Orders still open stay open. */
void trd_venue_finish(struct trd_venue *v, int64_t now);

/* The account's free collateral, cash - 2 * S with every short at its last
 * close (see above), in cash scale; negative when the shorts have lost more
 * than their margin. */
int64_t trd_venue_free_collateral(const struct trd_venue *v);

/* Largest multiple of lot (<= max_qty) whose cost plus fee at price fits in
 * cash (fee_bps scaled 10^4).  Exposed for strategies' sizing and tests. */
int64_t trd_affordable_qty(const struct trd_portfolio *pf, size_t ins,
			   int64_t cash, int64_t price, int64_t fee_bps,
			   int64_t lot, int64_t max_qty);

/* px moved against a side by the venue's slippage, on the tick (the price
 * a market or stop order of that side fills at when the bar opens at px). */
int64_t trd_venue_slipped(const struct trd_venue *v, size_t ins, int side,
			  int64_t px);

#endif
