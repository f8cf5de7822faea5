/*
 * venue: the interface every venue implements (the simulated exchange of
 * backtests and paper trading, and the broker APIs of live trading).
 *
 * A venue is an ops table.  The order manager (oms.h) is its only caller:
 * it sends orders, cancels and amends, and the venue answers through the
 * report callback, asynchronously: a network venue answers from its own
 * loop callbacks, the simulator either at once (no latency) or when the
 * clock reaches the arrival.  What a venue reports is what an exchange
 * reports: accepted (with its order id), rejected (with a reason code),
 * a fill (quantity, price, fee and an execution id), canceled, expired,
 * amended, and for a trailing stop the level it has moved to.  Reports
 * may come late, twice or out of order (a fill before the ack, a cancel
 * ack after the last fill): the order manager guards against that, not
 * the venue.
 *
 * Calls follow the libuv rule: a call that returns an error produced no
 * report and will produce none.  A call that returns 0 may have reported
 * already (from inside the call) or will report later.  The venue may be
 * called again from inside its own report callback (the order manager
 * activates bracket exits from a fill, for instance) and must stay
 * consistent when it is.
 *
 * Time comes from the clock only (the venue is handed it), so the same
 * venue runs under a replay's virtual clock and a paper session's wall
 * clock.  Nothing outside venue_sim.c names the simulator: sessions open
 * a venue by kind (trd_venue_open).
 */
#ifndef TRD_VENUE_H
#define TRD_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "margin.h"
#include "source.h"

struct trd_order;
struct trd_portfolio;
struct trd_registry;
struct trd_config;

/* Which leg of an OCO pair fills when one bar touches both (the
 * simulator's intrabar assumption). */
enum trd_intrabar {
	TRD_INTRABAR_PESSIMISTIC = 0, /* the worse price for the trader (the
				       * stop-loss) */
	TRD_INTRABAR_OPTIMISTIC,      /* the better one */
	TRD_INTRABAR_OHLC,            /* open, the nearer of high and low,
				       * the other, close: first touched */
};

/* What a venue can do itself; the order manager emulates the rest. */
#define TRD_VENUE_CAP_OCO 0x1u /* linked pairs: the venue cancels the other
				* leg on the first fill or on a close of
				* one, and decides which leg trades first */

/* Flags of submit and amend. */
#define TRD_VENUE_CONTINGENT 0x1u /* an order the venue places itself on a
				   * fill of another (a bracket's exits,
				   * their growth): no submit or cancel
				   * latency, like an exchange's OTO */

enum trd_venue_report_kind {
	TRD_VR_ACCEPTED = 1, /* venue_id, qty, price, stop_price as held */
	TRD_VR_REJECTED,     /* code, reason */
	TRD_VR_FILL,         /* exec_id, fill_qty, fill_price, fee */
	TRD_VR_CANCELED,     /* reason */
	TRD_VR_EXPIRED,      /* reason */
	TRD_VR_AMENDED,      /* qty, price, stop_price as held now */
	TRD_VR_LEVEL,        /* a trailing stop's level moved: stop_price */
};

struct trd_venue_report {
	uint32_t    kind;      /* enum trd_venue_report_kind */
	uint64_t    id;        /* the order manager's order id */
	int64_t     ts_ns;     /* when it happened at the venue */
	const char *venue_id;  /* ACCEPTED: the venue's order id */
	int         code;      /* REJECTED: enum trd_reject */
	const char *reason;    /* REJECTED, CANCELED, EXPIRED; may be NULL */
	int64_t     qty, price, stop_price; /* ACCEPTED, AMENDED, LEVEL */
	uint64_t    exec_id;   /* FILL: unique per fill at the venue */
	int64_t     fill_qty, fill_price, fee; /* FILL (fee in cash scale) */
	/* FILL: the price the fill is measured against for slippage: the
	 * simulator's price before its slippage (the bar's open, stop
	 * level or limit); a network venue's touch at submit for market
	 * and stop orders, the limit for limits.  0: none (fill_price). */
	int64_t     ref_price;
};

typedef void (*trd_venue_report_cb)(void *arg,
				    const struct trd_venue_report *r);

struct trd_venue;

struct trd_venue_ops {
	const char *kind;
	unsigned    caps;   /* TRD_VENUE_CAP_* */
	/*
	 * Send a new order (its fields as the order manager holds them; the
	 * venue copies what it needs).  flags: TRD_VENUE_CONTINGENT.  0 (the
	 * outcome is reported), or -EINVAL for an order it cannot take at
	 * all (nothing reported).
	 */
	int  (*submit)(struct trd_venue *v, const struct trd_order *o,
		       unsigned flags);
	/* Cancel (reason is echoed in the report).  -ENOENT if the venue
	 * does not hold it open or a cancel of it is already on its way. */
	int  (*cancel)(struct trd_venue *v, const struct trd_order *o,
		       const char *reason);
	/* Change quantity (> 0, >= filled, a lot multiple) and price (0
	 * keeps it).  -ENOENT (not held open, a cancel on its way),
	 * -EINVAL (bad values). */
	int  (*amend)(struct trd_venue *v, const struct trd_order *o,
		      int64_t qty, int64_t price, unsigned flags);
	/* Market data of ins, as the session receives it (the simulator
	 * matches against it; a broker ignores it).  Bars and trades only
	 * while the order manager has open orders on ins; every quote (the
	 * simulator keeps the touch for the orders to come). */
	void (*market)(struct trd_venue *v, const struct trd_event *ev);
	/* Work that falls due with time alone (arrivals, cancels, expiries)
	 * up to now; and the earliest time such work is due (INT64_MAX:
	 * none), for the session's housekeeping tick. */
	void (*tick)(struct trd_venue *v, int64_t now);
	int64_t (*next_due)(const struct trd_venue *v);
	/* End of the run at now: apply what has arrived by then. */
	void (*finish)(struct trd_venue *v, int64_t now);
	void (*destroy)(struct trd_venue *v);
};

struct trd_venue {
	const struct trd_venue_ops *ops;
	/* The account model of this venue: fees and the slippage the
	 * strategy host sizes orders with. */
	struct trd_fee_model        fees;
	trd_venue_report_cb         report;
	void                       *report_arg;
	struct trd_clock           *clock;
};

/* What a venue is built from. */
struct trd_venue_env {
	const struct trd_config   *conf;  /* venue.* keys */
	const struct trd_registry *reg;   /* instruments: tick, lot, short */
	const struct trd_portfolio *pf;   /* the account (the sim's money
					   * rules read it) */
	struct trd_clock          *clock;
	trd_venue_report_cb        report;
	void                      *report_arg;
};

/* A venue class: a kind's name and constructor (0 or a negative error, logged). */
struct trd_venue_class {
	const char *name;
	int (*open)(struct trd_venue **out, const struct trd_venue_env *env);
};

/*
 * Open a venue of kind (a name the config accepts, "sim"), reporting to
 * env->report.  0 or a negative error (logged: unknown kind, bad
 * settings).  Close with v->ops->destroy.
 */
int trd_venue_open(struct trd_venue **out, const char *kind,
		   const struct trd_venue_env *env);

/* Make a kind available to trd_venue_open (tests add fake venues). 0 or
 * -ENOSPC. */
int trd_venue_register(const struct trd_venue_class *k);

/* Emit a report (for venue implementations). */
static inline void
trd_venue_emit(struct trd_venue *v, const struct trd_venue_report *r)
{
	v->report(v->report_arg, r);
}

#endif
