/*
 * rig: the order path without the engine, for the order, venue and risk
 * suites: an instrument registry, a portfolio, the order manager and a
 * venue opened by kind (the simulator unless told otherwise), on a
 * virtual clock the test sets.  Fills reach the portfolio as the session
 * books them (an OMS subscriber), and the accounting identity is asserted
 * after every fill and every order update.
 *
 * Two strategies and two instruments, prices with 2 decimals and
 * quantities with 3 unless the options say otherwise.
 */
#ifndef TRD_TEST_RIG_H
#define TRD_TEST_RIG_H

#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "instrument.h"
#include "oms.h"
#include "portfolio.h"
#include "risk.h"
#include "venue.h"

#define RIG_NINS   2
#define RIG_NSTRAT 2
#define RIG_MAXEV  512
#define RIG_MAXFILL 64

struct rig_ev {
	uint64_t id;
	int      status;
	int64_t  ts, qty, filled, price, stop_price;
	char     reason[TRD_OMS_REASON_MAX];
};

struct rig_fill {
	uint64_t id, exec_id;
	int64_t  qty, price, fee, ts;
};

struct rig_opts {
	int64_t     cash;             /* default 1,000,000 */
	int64_t     fee_bps, slip_bps; /* scaled 10^4 */
	int64_t     participation;    /* scaled 10^6; 0: no cap */
	uint32_t    submit_ms, cancel_ms;
	int         intrabar;
	int64_t     tick[RIG_NINS], lot[RIG_NINS]; /* default 1 */
	int         shortable[RIG_NINS];
	const char *venue;            /* default "sim" */
};

struct rig {
	struct trd_config   conf;
	struct trd_registry reg;
	struct trd_portfolio pf;
	struct trd_oms      oms;
	struct trd_venue   *v;
	struct trd_clock    clock;
	int                 nev, nfills, ntrades;
	struct rig_ev       ev[RIG_MAXEV];
	struct rig_fill     fills[RIG_MAXFILL];
	struct trd_trade_rec trades[16]; /* the first 16 closed trips */
	/* Optional checks of a test, called from the subscriber (they must
	 * not call into the OMS: act after the step instead). */
	void (*on_fill)(struct rig *r, const struct trd_order *o,
			const struct trd_oms_fill *f);
	void (*on_update)(struct rig *r, const struct trd_order *o);
	void               *data;
};

/* Open everything; rig_close releases it (asserting the identity). */
void rig_open(struct rig *r, const struct rig_opts *o);
void rig_close(struct rig *r);

/* cash + marked positions == initial + realized + unrealized - fees */
void rig_check_books(const struct rig *r);

/* Set the clock (the venue reads time from it only).  Tests may go
 * back; the daemon never does. */
void rig_at(struct rig *r, int64_t now);

/* A NEW order of strat on ins, not routed; its id. */
uint64_t rig_new(struct rig *r, uint32_t strat, uint32_t ins, int side,
		 int type, int64_t qty, int64_t price, int64_t now);
/* The order (open or recently closed); asserts it exists. */
struct trd_order *rig_order(const struct rig *r, uint64_t id);
/* Route a NEW order at now. */
void rig_route(struct rig *r, uint64_t id, int64_t now);
/* Create and route; its id. */
uint64_t rig_submit(struct rig *r, uint32_t strat, uint32_t ins, int side,
		    int type, int64_t qty, int64_t price, int64_t now);
int rig_cancel(struct rig *r, uint64_t id, const char *reason, int64_t now);
int rig_amend(struct rig *r, uint64_t id, int64_t qty, int64_t price,
	      int64_t now);

/* The bar of ins opening at open_ns (timeframe tf_s), delivered at its
 * close as the session does: the venue matches it, the portfolio marks
 * the close. */
void rig_bar(struct rig *r, uint32_t ins, int64_t open_ns, uint32_t tf_s,
	     int64_t o, int64_t h, int64_t l, int64_t c, int64_t vol);
/* Time alone reaches now (the session's housekeeping tick). */
/* A quote (always shown to the venue, as the session does) and a trade
 * (shown while ins has open orders; marks the position) at ts_ns. */
void rig_quote(struct rig *r, uint32_t ins, int64_t ts_ns, int64_t bid,
	       int64_t bid_qty, int64_t ask, int64_t ask_qty);
void rig_trade(struct rig *r, uint32_t ins, int64_t ts_ns, int64_t price,
	       int64_t qty);
void rig_tick(struct rig *r, int64_t now);
/* The end of a run at now. */
void rig_finish(struct rig *r, int64_t now);

/* The last recorded update of order id (asserts there is one), and how
 * many updates of id had status and (unless NULL) reason. */
const struct rig_ev *rig_last_ev(const struct rig *r, uint64_t id);
int rig_count_ev(const struct rig *r, uint64_t id, int status,
		 const char *reason);

/* A report straight to the order manager, as a network venue would send
 * it (for the OMS suite). */
void rig_report(struct rig *r, const struct trd_venue_report *rep);

#endif
