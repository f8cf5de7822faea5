/*
 * venue_sim: the simulated exchange behind replays (and paper trading),
 * one implementation of venue.h.  It keeps its own book of the orders it
 * holds, matches them against the market data it is shown, and reports
 * like an exchange.  It runs OCO pairs natively (TRD_VENUE_CAP_OCO) and
 * places contingent orders (bracket exits) without latency.  Its money
 * rules are margin.h's, read off the session's portfolio.
 *
 * Time.  A bar's ts_ns is its open; the engine delivers it at its close
 * (now = ts_ns + timeframe).  Matching is bar-granular: an order takes
 * part in a bar only if it reached the venue by the bar's open
 * (eligible_ns <= ts_ns), so an order sent at a bar's close can fill from
 * the next bar on, never the bar it was decided on.  Fills are stamped
 * with the bar's open; other events with the time they happen.  Time-only
 * work (arrivals, cancels, amends, GTD expiries) is applied when a bar of
 * the instrument is delivered, as below, or by the housekeeping tick once
 * one timeframe has passed since it fell due (no bar opening before it
 * can still come then), so a silent feed still expires orders.
 *
 * Submission.  With submit_latency_ms 0 an order is checked and accepted
 * or rejected at once.  Otherwise it is "in flight" and reaches the venue
 * at now + latency: it is checked then, at the first delivered bar with
 * now >= that time (before the bar is matched), by the tick, or at finish.
 * The checks, in order, with their enum trd_reject:
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
 *   the collateral rule of margin.h (not for reduce-only) FUNDS
 *   sells without shortable within the position
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
 * Volume.  With participation > 0 the orders of an instrument fill
 * together at most floor(volume * participation), rounded down to the lot,
 * in a bar, shared in match order (a bar of volume 0 fills nothing).  The
 * rest of a GTC or GTD order stays working (PARTIALLY_FILLED).
 *
 * Time in force.  GTC works until filled or canceled.  IOC fills what it
 * can in the first bar it takes part in; the rest EXPIRES.  FOK fills its
 * whole quantity in the first bar it takes part in (within the volume cap,
 * the money rules and a reduce-only cap) or EXPIRES with no fill.  GTD
 * takes part in the bars opening before expire_ns and EXPIRES after the
 * matching of the first delivered bar with now >= expire_ns (before the
 * matching of a bar opening at or after it, and at finish).
 *
 * Reduce-only fills are capped at the strategy's position on the other
 * side; when it is gone, the rest is canceled ("reduce-only: position
 * closed").
 *
 * Cancels and amends.  With cancel_latency_ms 0 a cancel is applied at
 * once; an amend too.  Otherwise each reaches the venue at now + latency
 * and changes the order only for bars opening at or after that: a bar
 * opening before it still fills the order (the cancel lost the race).  It
 * is applied before the matching of a bar opening at or after its arrival,
 * else after the matching of the first delivered bar with now >= arrival,
 * by the tick, and at finish.  An amend sets the quantity (>= filled, a lot
 * multiple) and, unless 0, the price: a limit's (or a triggered
 * stop-limit's) limit, a stop's or stop-limit's trigger, a trailing stop's
 * level; rounded as on submission.  If the order has filled more than the
 * new quantity by the time it arrives, it closes as FILLED.  A second amend
 * in flight replaces the first.  Amends are not checked for money (the
 * fill-time rule still holds); a post-only limit may not be amended to
 * cross the last close.  Contingent orders and amends (a bracket's exits
 * and their growth, TRD_VENUE_CONTINGENT) take effect at once.
 *
 * OCO (native).  Two orders whose link_id name each other.  The first fill
 * of one (even partial) cancels the other ("OCO: other leg filled"); a
 * cancel, expiry or rejection of one cancels the other ("OCO: other leg
 * canceled/expired/rejected").  When one bar would trade both legs,
 * intrabar decides which trades first (the other is then canceled, so it
 * never fills in that bar):
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
 * Money: margin.h's rule, checked on arrival at the reference price (the
 * limit price of a limit or stop-limit; else the stop price, trailing
 * level or last close, with slippage; not before the first close),
 * splitting the order against the position less the strategy's other open
 * orders on the same side.  A refusal rejects the order with "insufficient
 * cash: needs N, has H" (a buy) or "insufficient collateral to short:
 * needs N, has H" (a sell), H being free + freed.  Open orders reserve
 * nothing: the rule is checked again on each fill, at the fill price,
 * against the position then, and a fill it no longer covers takes the
 * closing part and the largest lot multiple of the opening part that fits
 * and cancels the rest with "rest canceled: insufficient cash at the fill
 * price" or "rest canceled: insufficient collateral to short at the fill
 * price".  Sells on an instrument that is not shortable may not exceed the
 * position (less open sells): such an order is rejected, and one that
 * finds the position smaller at fill time fills the position and cancels
 * the rest.  Covering is never refused, even when free is negative.
 * Nothing liquidates a position; a strategy sees its equity and decides.
 *
 * Quotes.  Once an instrument has had a quote (bid and ask > 0, bid below
 * ask: the touch), its market and limit orders match against its quotes
 * and trades instead of its bars; stops, stop-limits and trailing stops
 * still trigger and fill on bars.  An order takes part in the quotes and
 * trades at or after its arrival (with submit latency 0: from the next
 * one on, never the one it was decided on):
 *
 *   market      fills at the touch of the next quote, a buy at the ask
 *               up to the ask size, a sell at the bid up to the bid size;
 *               the rest at the quotes after it
 *   limit       marketable at the first quote it meets (a buy's limit at
 *               or above the ask): takes the touch like a market order;
 *               after that it rests and fills at its limit when a quote's
 *               opposite touch reaches it (up to that side's size) or a
 *               trade prints through it (strictly beyond the limit, up to
 *               the trade's size)
 *
 * The sizes of one quote or trade are shared by the orders in match
 * order, rounded down to the lot.  No slippage is added: the touch is the
 * price.  IOC fills what the first quote or trade it meets allows, FOK all
 * of it there or nothing; the money and reduce-only rules are the bar
 * path's.  An instrument with no quote keeps the bar rules above.
 *
 * Settings (config venue.*): fee_bps, slippage_bps, participation,
 * submit_latency_ms, cancel_latency_ms, intrabar.
 */
#ifndef TRD_VENUE_SIM_H
#define TRD_VENUE_SIM_H

#include "venue.h"

extern const struct trd_venue_class trd_venue_sim_class;

#endif
