/*
 * risk: the pre-trade checks every order from every strategy passes before
 * it reaches the venue, and the post-trade kill switch.
 *
 * Pre-trade (trd_risk_check), in this order, the first failure giving the
 * order's reject code (enum trd_reject):
 *
 *   rate           a token bucket per strategy, then one for the account
 *                  (orders_per_second[_global], order_burst deep; every
 *                  order asked for spends a token, refused ones included,
 *                  so a plugin flooding garbage is throttled too)
 *   validity       quantity > 0 and a lot multiple; each price the type
 *                  needs > 0 and a tick multiple (trail too); GTD expiry
 *                  in the future; post-only only on limits
 *   max_open_orders  orders working or in flight, account-wide
 *   stale_data     the symbol's last bar arrived more than stale_data_s ago
 *                  (or none has): no order at all on it
 *   price_collar   a limit price more than price_collar_pct from the last
 *                  close (every limit, exits too: a fat finger hurts both
 *                  ways)
 *   min_notional   the order's notional below the instrument's minimum
 *
 * The rest concern what the order opens: the part of it beyond what closes
 * the strategy's own position.  An order that only reduces a position is
 * never refused by them, so no limit can trap a trader in a position:
 *
 *   halted         the kill switch is on: entries refused, exits allowed
 *   max_order_qty, max_order_notional   the whole order
 *   max_position_notional  |account net position + this order + the
 *                  account's open orders on the same side| at the price
 *   max_gross_exposure     the account's |positions| at their last close
 *                  plus what the order opens
 *   max_open_trades        positions (strategy, symbol) open at once, for
 *                  an order opening a new one
 *
 * Notionals are valued at the order's price (limit, stop trigger), else the
 * last close; with none yet, a check that needs a price refuses with
 * no_market_data.
 *
 * Post-trade (trd_risk_mark, once per equity sample): a drawdown from the
 * equity peak of max_drawdown_pct, or a loss since the UTC day began (the
 * last equity before the day's first event) of daily_loss_pct, trips the
 * kill switch.  It stays on until the operator resumes (trd_risk_resume),
 * which also restarts the peak and the day at the equity then, so the caps
 * measure from the resumption.  The session carries out the trip (cancel
 * every open order, flatten if on_trip says so).
 *
 * Money is compared exactly, in 128-bit integers.  Time comes only from
 * the callers (the engine's clock).
 */
#ifndef TRD_RISK_H
#define TRD_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "instrument.h"
#include "oms.h"
#include "portfolio.h"

#define TRD_RISK_REASON_MAX 160

struct trd_risk_instr {
	int64_t last_data_ns;  /* when its last data arrived; 0: none yet */
	int     stale;         /* flagged stale by the housekeeping tick */
};

struct trd_risk_trip {
	int64_t ts_ns;
	char    reason[TRD_RISK_REASON_MAX];
};

struct trd_risk_bucket {
	int64_t tokens; /* in thousandths of an order */
	int64_t at_ns;  /* last refill */
	int     started;
};

struct trd_risk {
	struct trd_risk_conf         c;
	const struct trd_portfolio  *pf;
	const struct trd_oms        *oms;
	const struct trd_registry   *reg;   /* tick, lot, limits */
	struct trd_risk_instr       *ins;   /* owned, per instrument */
	size_t                       ninstr, nstrat;
	struct trd_risk_bucket      *strat; /* per strategy; owned */
	struct trd_risk_bucket       global;
	int                          halted;
	int64_t                      peak, day_start, last_eq;
	int64_t                      day;   /* UTC day number of last_eq */
	int                          have_eq;
	struct trd_risk_trip        *trips; /* owned */
	size_t                       ntrips, ctrips;
	/* Whether any check needs the per-submit scans or marks at all:
	 * with every limit off a check is the validity tests alone. */
	int                          post_trade;
};

/* Set up for nstrat strategies and the instruments of reg (their tick,
 * lot, minimum notional and largest order are read from it).  0 or
 * -ENOMEM. */
int trd_risk_init(struct trd_risk *r, const struct trd_risk_conf *c,
		  const struct trd_portfolio *pf, const struct trd_oms *oms,
		  const struct trd_registry *reg, size_t nstrat);
void trd_risk_free(struct trd_risk *r);
/* New limits (a reload); buckets keep their tokens, capped at the new
 * depth. */
void trd_risk_set(struct trd_risk *r, const struct trd_risk_conf *c);

/*
 * Check a NEW order o (strategy, instrument, side, type, quantity, prices,
 * flags, tif set) at time now.  Returns 0, or an enum trd_reject code with
 * the reason in why (whylen bytes).  Spends a rate token.
 */
int trd_risk_check(struct trd_risk *r, const struct trd_order *o, int64_t now,
		   char *why, size_t whylen);

/* Data of ins (a bar, quote or trade) arrived at now (for stale_data). */
static inline void
trd_risk_data(struct trd_risk *r, size_t ins, int64_t now)
{
	r->ins[ins].last_data_ns = now;
}

/*
 * Post-trade: the equity at now.  Returns 1 when this trips the kill switch
 * (the trip is recorded and r->halted set; the caller carries it out),
 * else 0.
 */
int trd_risk_mark(struct trd_risk *r, int64_t now, int64_t equity);

/* Trip the kill switch by hand (operator, plugin).  Returns 1 if it was
 * off (the trip is recorded), 0 if already on. */
int trd_risk_halt(struct trd_risk *r, int64_t now, const char *reason);
/* Turn it off; the caps restart from equity. */
void trd_risk_resume(struct trd_risk *r, int64_t equity);

/* The part of an order of qty on side that opens or adds to a position of
 * pos (signed): qty less what closes pos. */
int64_t trd_risk_opening_qty(int side, int64_t pos, int64_t qty);

/*
 * Housekeeping: whether ins has had no data for longer than stale_data_s
 * at now (never with stale_data_s 0).  Sets the instrument's flag and
 * returns 1 when it changes (the caller logs it), else 0.
 */
int trd_risk_stale_update(struct trd_risk *r, size_t ins, int64_t now);

#endif
