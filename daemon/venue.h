/*
 * venue: the simulated exchange, the one matching engine behind replays
 * (and, later, paper trading).
 *
 * Time.  A bar's ts_ns is its open; the engine delivers it at its close
 * (now = ts_ns + timeframe) and calls trd_venue_bar for it while the
 * instrument has listed orders.  Matching is bar-granular: an order takes
 * part in a bar only if it reached the venue by the bar's open
 * (eligible_ns <= ts_ns), so an order sent at a bar's close can fill from
 * the next bar on, never the bar it was decided on.  Fills are stamped
 * with the bar's open; other events with the time they happen.
 *
 * Submission.  With submit_latency_ns 0 an order is checked and accepted
 * or rejected at once.  Otherwise it is listed in state NEW ("in flight")
 * and reaches the venue at now + latency: it is checked then, at the first
 * delivered bar with now >= that time (before the bar is matched) or in
 * trd_venue_finish.  The checks, in order, with their enum trd_reject:
 *
 *   side, type, time in force, flags known; post-only only on a limit;
 *   GTD with an expiry after the arrival (one that passed in flight
 *   EXPIRES instead)                                      INVALID_ORDER
 *   quantity > 0                                          INVALID_QTY
 *   quantity rounded down to the lot, still > 0           LOT
 *   prices > 0 (limit, stop, stop-limit's stop and limit;
 *   a trailing stop's trail, and its first level if given) INVALID_PRICE
 *   post-only limit not crossing the last close (a buy
 *   below it, a sell above; no close yet: accepted)       POST_ONLY
 *   reduce-only: the strategy's position is on the other
 *   side and larger than its other open reduce-only
 *   orders on this side                                   REDUCE_ONLY
 *   the collateral rule below (not for reduce-only)       FUNDS
 *   sells without allow_short within the position
 *   (not for reduce-only)                                 POSITION
 *
 * Prices round to the tick against the trader: a limit (and a stop-limit's
 * limit) no better than asked, a stop (and a stop-limit's trigger, a
 * trailing level) no earlier.  Counting the strategy's other open orders,
 * an OCO pair counts once (its larger leg) and an order's own OCO partner
 * not at all: only one of two legs can trade.
 *
 * Matching, per bar, oldest order first:
 *
 *   market      fills at the bar's open
 *   limit       fills when the bar trades through the price: at the open
 *               if it opens through it, else at the limit (touching is
 *               not enough)
 *   stop        triggers when the bar touches the price: fills at the
 *               open if it opens beyond it, else at the stop price
 *   stop-limit  triggers as a stop at stop_price; if the limit is
 *               marketable at the trigger price (the stop, or the open
 *               when it gapped through: a buy's limit at or above it, a
 *               sell's at or below) it fills there; else it rests as a
 *               limit (triggered), matched as one from the next bar
 *   trailing    a stop at a level (stop_price) that starts at the given
 *               price, else the last close -/+ trail (a sell below, a
 *               buy above), else the first bar's open -/+ trail.  In each
 *               bar the level set by earlier bars is checked as a stop;
 *               if untouched it follows the bar's extreme (a sell:
 *               high - trail, rounded down; a buy: low + trail, rounded
 *               up), never moving back
 *
 * A stop or trailing stop that has triggered but not filled in full (the
 * volume cap) is a market order from the next bar: it fills the rest at
 * the opens.  Market, stop and trailing fills pay slippage (slippage_bps,
 * against the trader, on the tick); limit and stop-limit fills do not.
 * Every fill pays fee_bps of its notional.  There is no randomness.
 *
 * Volume.  With participation_ppm > 0 the orders of an instrument fill
 * together at most floor(volume * ppm / 10^6), rounded down to the lot,
 * in a bar, shared in match order (a bar of volume 0 fills nothing).  The
 * rest of a GTC or GTD order stays working (PARTIALLY_FILLED).
 *
 * Time in force.  GTC works until filled or canceled.  IOC fills what it
 * can in the first bar it takes part in; the rest EXPIRES.  FOK fills its
 * whole quantity in the first bar it takes part in (within the volume cap,
 * the money rules and a reduce-only cap) or EXPIRES with no fill.  GTD
 * takes part in the bars opening before expire_ns and EXPIRES after the
 * matching of the first delivered bar with now >= expire_ns (before the
 * matching of a bar opening at or after it, and in trd_venue_finish).
 *
 * Reduce-only fills are capped at the strategy's position on the other
 * side; when it is gone, the rest is canceled ("reduce-only: position
 * closed").
 *
 * Cancels and amends.  With cancel_latency_ns 0 a cancel is applied at
 * once; an amend too.  Otherwise each reaches the venue at now + latency
 * and changes the order only for bars opening at or after that: a bar
 * opening before it still fills the order (the cancel lost the race).  It
 * is applied before the matching of a bar opening at or after its arrival,
 * else after the matching of the first delivered bar with now >= arrival,
 * and in trd_venue_finish.  A held bracket exit and an order not routed
 * are not at the venue: canceled at once.  A cancel or amend of an order
 * from its own on_fill callback is applied right after that fill is
 * recorded.  An amend sets the quantity (>= filled, a lot multiple) and,
 * unless 0, the price: a limit's (or a triggered stop-limit's) limit, a
 * stop's or stop-limit's trigger, a trailing stop's level; rounded as on
 * submission.  If the order has filled more than the new quantity by the
 * time it arrives, it closes as FILLED.  A second amend in flight replaces
 * the first.  Amends are not checked for money (the fill-time rule still
 * holds); a post-only limit may not be amended to cross the last close.
 *
 * OCO.  Two orders whose link_id name each other.  The first fill of one
 * (even partial) cancels the other ("OCO: other leg filled"); a cancel,
 * expiry or rejection of one, by the venue or through it, cancels the
 * other ("OCO: other leg canceled/expired/rejected").  When one bar would
 * trade both legs, intrabar decides which trades first (the other is then
 * canceled, so it never fills in that bar):
 *
 *   PESSIMISTIC  the leg whose fill is worth less to the trader, valued
 *                against the bar's close (for legs on one side: the worse
 *                price, a stop-loss before a take-profit); ties: the older
 *   OPTIMISTIC   the one worth more
 *   OHLC         the one the path open -> the extreme nearer the open
 *                (ties: the high) -> the other extreme -> close reaches
 *                first; a leg through at the open trades at the open;
 *                both at the same point: as PESSIMISTIC
 *
 * Brackets.  The host creates an entry E (child_id: the take-profit) and
 * two held exits, a reduce-only limit (take-profit) and stop (stop-loss),
 * OCO-linked, parent_id E, and routes only E.  On E's first fill the venue
 * prices an exit given as an offset (offset_bps, 10^4 per bp) from E's
 * average fill (a take-profit beyond it in the trader's favour, a stop-loss
 * the other way, rounded to the tick as above: never below one tick),
 * sizes both at E's filled quantity, and lists and accepts them: they
 * match from the next bar.  Each later fill of E grows both by its
 * quantity ("amended").  If E closes (canceled, expired, rejected)
 * without a fill, both exits are canceled ("bracket entry ended
 * unfilled"); after a partial fill they stay, sized to what filled.
 * Exits that have closed are not reopened.  A held exit can be amended
 * (its price only) or canceled (which cancels the other by the OCO rule).
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
 * The rule is checked on arrival at the reference price (the limit price
 * of a limit or stop-limit; else the stop price, trailing level or last
 * close, with slippage; not before the first close), splitting the order
 * against the position less the strategy's other open orders on the same
 * side.  A refusal rejects the order with "insufficient cash: needs N, has
 * H" (a buy) or "insufficient collateral to short: needs N, has H" (a
 * sell), H being free + freed.  Open orders reserve nothing: the rule is
 * checked again on each fill, at the fill price, against the position
 * then, and a fill it no longer covers takes the closing part and the
 * largest lot multiple of the opening part that fits and cancels the rest
 * with "rest canceled: insufficient cash at the fill price" or "rest
 * canceled: insufficient collateral to short at the fill price".
 *
 * Sells on an instrument without allow_short may not exceed the position
 * (less open sells): such an order is rejected, and one that finds the
 * position smaller at fill time fills the position and cancels the rest.
 * Covering is never refused, even when free is negative (the shorts have
 * lost more than their margin): it only lowers the exposure.  Nothing
 * liquidates a position; a strategy sees its equity and decides.
 *
 * Every state change goes through the oms (and so to on_update); the
 * callbacks may submit, cancel and amend re-entrantly, so orders are
 * looked up again by id after each.  Closures the host makes itself
 * (trd_oms_reject of an order before routing it) do not follow links: the
 * host closes the linked orders.
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
	/* The order whose on_fill is running, and whether a cancel or an
	 * amend of it waits for its fill to be recorded. */
	uint64_t  busy_id;
	int       busy_cancel, busy_amend;
};

int trd_venue_init(struct trd_venue *v, struct trd_oms *oms,
		   struct trd_portfolio *pf, const struct trd_venue_instr *ins,
		   size_t ninstr, int64_t fee_bps, int64_t slip_bps);
void trd_venue_free(struct trd_venue *v);

/*
 * Route a NEW order (its fields set, links included) to the venue.  With no
 * submit latency it is checked and accepted or rejected now; otherwise it
 * is listed in flight and checked when it arrives (now + latency).  Held
 * bracket exits are not routed: the venue activates them.  Ignored for an
 * order that is not NEW, already listed, or held (an OCO leg whose partner
 * was refused at once is already canceled).  o may move (callbacks): look
 * it up again by id after the call.
 */
void trd_venue_submit(struct trd_venue *v, struct trd_order *o, int64_t now);
/* Cancel an open order (reason, copied, shown on it).  With no cancel
 * latency it is canceled now (with its OCO partner, or a bracket entry's
 * exits when it had no fill); otherwise the cancel arrives at now +
 * latency (cancel_ns, non-zero from then on), and bars opening before that
 * can still fill it.  Returns 0 or -ENOENT if it is not open (or a cancel
 * is already on its way). */
int trd_venue_cancel(struct trd_venue *v, struct trd_order *o,
		     const char *reason, int64_t now);
/* Amend an open order's quantity (> 0, >= filled, a lot multiple) and
 * price (0 keeps it; rounded as on submission; see above for which price),
 * arriving after the cancel latency.  A held bracket exit takes only the
 * price, at once.  0, -ENOENT (not open, not routed, or a cancel on its
 * way), -EINVAL (bad values, a price for a market order, a post-only limit
 * crossing the last close). */
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
