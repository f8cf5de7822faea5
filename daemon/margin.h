/*
 * margin: the account's money rules, shared by the simulated venue (which
 * checks orders against them), the strategy host (which sizes orders with
 * them) and, later, the pre-checks of a live venue.  Pure functions of
 * the portfolio and the fee model: nothing here keeps state.
 *
 * No leverage.  The account's free collateral is
 *
 *   free = cash - 2 * S
 *
 * where S is the value (rounded up) of every short position in the
 * portfolio, whichever strategy holds it, at the last mark; for the
 * instrument an order trades, at the higher of the last mark and the
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
 * opens or adds to one.  The opening part, valued at px, must satisfy
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
 * Money is exact: 128-bit intermediates, rounding against the trader.
 */
#ifndef TRD_MARGIN_H
#define TRD_MARGIN_H

#include <stddef.h>
#include <stdint.h>

#include "decimal.h"
#include "portfolio.h"

/* The venue's costs, as the account model sees them (bps scaled 10^4). */
struct trd_fee_model {
	int64_t fee_bps;  /* of each fill's notional */
	int64_t slip_bps; /* market, stop and trailing fills, against the
			   * trader */
};

/* A positive price on a multiple of tick, rounded up or down (a price
 * too close to INT64_MAX to round up rounds down). */
int64_t trd_margin_to_tick(int64_t price, int64_t tick, int up);

/* A computed price level (a trailing stop's, a bracket exit's) on the
 * tick, rounded up or down, and kept within one tick and INT64_MAX: a
 * level at or below zero could never trigger a sell and would read as
 * "not set". */
int64_t trd_margin_level(__int128 v, int64_t tick, int up);

/* px moved against side by slip_bps, on the tick (rounded up for a buy):
 * the price a market or stop order fills at when the bar opens at px. */
int64_t trd_margin_slipped(int64_t slip_bps, int64_t tick, int side,
			   int64_t px);

/* trd_portfolio_notional, saturated before a product beyond int64 can
 * overflow 128 bits (when price_dp + qty_dp < TRD_CASH_DP the portfolio
 * multiplies it by a power of ten). */
int64_t trd_margin_notional(const struct trd_portfolio *pf, size_t ins,
			    int64_t price, int64_t qty, enum trd_round r);

/* Largest multiple of lot (<= max_qty) whose cost plus fee at price fits
 * in cash; 0 for non-positive inputs. */
int64_t trd_margin_affordable(const struct trd_portfolio *pf, size_t ins,
			      int64_t cash, int64_t price, int64_t fee_bps,
			      int64_t lot, int64_t max_qty);

/* S above, rounded up, with instrument ins valued at max(mark, px) (px 0:
 * the marks alone). */
__int128 trd_margin_short_value(const struct trd_portfolio *pf, size_t ins,
				int64_t px);

/* free above, for an order on ins checked at px. */
static inline __int128
trd_margin_free(const struct trd_portfolio *pf, size_t ins, int64_t px)
{
	return (__int128)pf->cash - 2 * trd_margin_short_value(pf, ins, px);
}

/* The account's free collateral at the marks, saturated to int64. */
int64_t trd_margin_free_collateral(const struct trd_portfolio *pf);

/* The part of an order of qty on side that closes a position of pos, less
 * pending (what the strategy's other orders on that side already close). */
int64_t trd_margin_closing_qty(int side, int64_t pos, __int128 pending,
			       int64_t qty);

/*
 * The rule above for an order on side closing c and opening o at px:
 * *need = n_o + fee, *have = free + freed; whether need <= have.
 */
int trd_margin_covered(const struct trd_portfolio *pf, int64_t fee_bps,
		       size_t ins, int side, int64_t px, int64_t c, int64_t o,
		       __int128 free, __int128 *need, __int128 *have);

/* Largest multiple of lot, at most omax, that the rule lets open beside
 * closing c (a bisection over lots; the whole of omax is tried first). */
int64_t trd_margin_max_open(const struct trd_portfolio *pf, int64_t fee_bps,
			    size_t ins, int side, int64_t px, int64_t c,
			    int64_t omax, int64_t lot, __int128 free);

#endif
