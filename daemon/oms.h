/*
 * oms: the order manager.  It owns every order's lifecycle: the state
 * machine, the links between orders (OCO pairs, brackets), the ids, and
 * the fan-out of order events.  Venues only report what happened (venue.h);
 * the OMS decides what that does to an order.
 *
 * States (the plugin ABI's enum trd_order_status):
 *
 *   NEW -> ACCEPTED -> (PARTIALLY_FILLED ->)* FILLED
 *   NEW -> REJECTED            (refused by the host's checks or the venue)
 *   NEW/ACCEPTED/PARTIALLY_FILLED -> CANCELED | EXPIRED
 *   NEW -> PARTIALLY_FILLED | FILLED   (a fill before the ack: implied ack)
 *
 * NEW is an order on its way to the venue, or a bracket exit held here
 * until its entry fills (held: it is not at the venue).  Transitions are
 * guarded: a closed order never reopens; a fill on a closed order, a fill
 * past the quantity and a repeated execution id are refused, logged and
 * counted; a late ack (after a fill) or a late cancel ack (after the last
 * fill) is ignored and counted.  So a network venue's duplicate, late and
 * out-of-order reports cannot corrupt an order.  An amend is not a state:
 * it is an update of the same state with the reason "amended".
 *
 * Links.  An OCO pair: the first fill of one leg, or its cancellation,
 * expiry or rejection, cancels the other.  A bracket: an entry whose first
 * fill activates two held exits (a take-profit limit and a stop-loss
 * stop, an OCO pair, reduce-only), priced from the entry's average fill
 * when given as offsets, sized at what the entry filled and grown with
 * each later fill; exits of an entry that ends unfilled are canceled.
 * The OMS runs these rules itself for any venue; a venue that has native
 * OCO (TRD_VENUE_CAP_OCO) is given the pair and closes the other leg of a
 * routed pair itself.  Bracket exits are placed as contingent orders
 * (TRD_VENUE_CONTINGENT).  See oms_links.c.
 *
 * Ids are 1, 2, 3... in creation order, so a replay gives the same ids.
 * Client ids, "<run>-<strategy>-<seq>", are at most 36 characters of
 * [A-Za-z0-9_-] (Binance's rule): the run prefix makes them unique across
 * restarts of an account, and is fixed in a replay.
 *
 * Memory.  Open orders stay in the table; closed ones move to a ring of
 * recent orders (keep_closed, for late reports and the admin shell) and
 * are freed by trd_oms_gc, which the session calls at a safe time (never
 * inside a callback chain).  A daemon that places orders for months does
 * not grow with them: subscribers (the report) take what they need as
 * orders close.  A pointer to an order stays valid until the order has
 * closed and a trd_oms_gc has run.
 */
#ifndef TRD_OMS_H
#define TRD_OMS_H

#include <stddef.h>
#include <stdint.h>

#include "traderd/plugin.h"

struct trd_venue;
struct trd_venue_report;
struct trd_registry;

#define TRD_CLIENT_ID_MAX  36
#define TRD_RUN_PREFIX_MAX 8
#define TRD_OMS_REASON_MAX 96
#define TRD_OMS_EXEC_INLINE 4
#define TRD_OMS_MAX_SUBS   8

struct trd_order {
	uint64_t id;
	uint32_t strat, ins;   /* strategy and instrument indexes */
	uint8_t  side, type, status;
	uint8_t  tif;          /* enum trd_tif */
	uint8_t  flags;        /* TRD_ORDER_POST_ONLY | TRD_ORDER_REDUCE_ONLY */
	uint8_t  held;         /* bracket exit waiting for its entry's fill */
	uint8_t  routed;       /* sent to the venue */
	uint8_t  listed;       /* in its instrument's open list: routed and
				* open */
	uint8_t  cancel_sent;  /* a cancel is on its way to the venue */
	uint16_t reject_code;  /* enum trd_reject when REJECTED */
	uint32_t seq;          /* n-th order of its strategy */
	int64_t  qty, filled, price;
	int64_t  stop_price;   /* STOP_LIMIT trigger; TRAILING_STOP: the
				* current stop level (0 until set) */
	int64_t  trail;        /* TRAILING_STOP distance, price scale */
	int64_t  expire_ns;    /* GTD expiry; 0 otherwise */
	__int128 fill_value;   /* sum of price * qty of fills */
	int64_t  submit_ns, update_ns;
	uint64_t link_id;      /* OCO partner, or 0 */
	uint64_t parent_id;    /* bracket exit: its entry; else 0 */
	uint64_t child_id;     /* bracket entry: its take-profit exit (whose
				* link_id is the stop-loss); else 0 */
	int64_t  offset_bps;   /* bracket exit priced at activation from the
				* entry's average fill (scaled 10^4); 0:
				* price given */
	uint64_t tag;
	uint32_t nexec;        /* fills applied */
	uint64_t exec[TRD_OMS_EXEC_INLINE]; /* their execution ids ... */
	uint64_t *exec_more;   /* ... past the first few */
	char     reason[TRD_OMS_REASON_MAX];
	char     client_id[TRD_CLIENT_ID_MAX + 1];
	char     venue_id[48]; /* the venue's order id, "" until acked */
	struct trd_order *next_open; /* the OMS's list of open orders, or of
				      * recent closed ones */
	struct trd_order *prev_open;
};

/* A fill as the OMS applied it (subscribers see it before the order's
 * own state change). */
struct trd_oms_fill {
	uint64_t exec_id;
	int64_t  qty, price, fee, ts_ns;
	int64_t  ref_price; /* for slippage: see trd_venue_report */
};

/*
 * A subscriber: called for every transition of every order (fill NULL;
 * o's fields are those after the change, o->update_ns is the event time)
 * and, before the transition a fill causes, for the fill itself.  o is
 * read during the call only.  Subscribers must not call back into the
 * OMS (queue what they want to do).
 */
typedef void (*trd_oms_cb)(void *arg, const struct trd_order *o,
			   const struct trd_oms_fill *fill);

struct trd_oms_open {
	struct trd_order **v;  /* in id order: the venue matches older first */
	size_t             n, cap;
};

/* What the guards refused or ignored, for logs, the report and metrics. */
struct trd_oms_stats {
	uint64_t created, routed;
	uint64_t filled, rejected, canceled, expired; /* final statuses */
	uint64_t partial;          /* closed with part of it filled */
	uint64_t fills;
	uint64_t refused_closed;   /* fills on closed orders */
	uint64_t refused_overfill; /* fills past the quantity */
	uint64_t refused_dup;      /* repeated execution ids */
	uint64_t late;             /* acks, cancels, expiries of orders that
				    * had moved on */
	uint64_t unknown;          /* reports of ids the OMS does not know */
};

struct trd_oms_node;

struct trd_oms {
	struct trd_venue          *venue;
	const struct trd_registry *reg;
	unsigned                   caps;   /* the venue's TRD_VENUE_CAP_* */
	struct trd_oms_node       *by_id;  /* every order not yet freed */
	struct trd_order          *open_head, *open_tail; /* open, id order */
	struct trd_oms_open       *open;   /* listed, per instrument */
	size_t                     ninstr;
	uint64_t                   nlisted; /* orders in every open list */
	uint64_t                   nopen;
	uint64_t                   last_id;
	/* Closed orders not yet freed, oldest first (linked through
	 * next_open, which a closed order no longer needs). */
	struct trd_order          *retired_head, *retired_tail;
	size_t                     nretired;
	size_t                     keep_closed;
	char                       prefix[TRD_RUN_PREFIX_MAX + 1];
	struct {
		trd_oms_cb fn;
		void      *arg;
	}                          subs[TRD_OMS_MAX_SUBS];
	int                        nsubs;
	struct trd_oms_stats       stats;
};

/* The recent closed orders kept by default. */
#define TRD_OMS_KEEP_CLOSED 1024

/* For ninstr instruments of reg.  0 or -ENOMEM.  The venue is attached
 * with trd_oms_set_venue before any order is sent. */
int trd_oms_init(struct trd_oms *oms, const struct trd_registry *reg,
		 size_t ninstr);
void trd_oms_free(struct trd_oms *oms);
void trd_oms_set_venue(struct trd_oms *oms, struct trd_venue *v);
/* The run prefix of client ids: 1..8 of [A-Za-z0-9].  0 or -EINVAL. */
/* The prefix of run n of an account ("r" and n in base 36: 7 characters
 * for any 32-bit n; "bt" is a replay's); buf holds 9 bytes.  Returns buf. */
char *trd_oms_run_prefix(uint64_t n, char *buf);
int trd_oms_set_prefix(struct trd_oms *oms, const char *prefix);
/* Add a subscriber (called in subscription order).  0 or -ENOSPC. */
int trd_oms_subscribe(struct trd_oms *oms, trd_oms_cb fn, void *arg);
/* Remove a subscription (fn and arg as given); a no-op if absent. */
void trd_oms_unsubscribe(struct trd_oms *oms, trd_oms_cb fn, void *arg);

/* What an order is created with. */
struct trd_order_spec {
	uint32_t strat, ins, seq;
	int      side, type;
	uint32_t tif, flags;
	int64_t  qty, price, stop_price, trail, expire_ns;
	uint64_t tag;
};

/* Create an order in state NEW, neither routed nor held.  A side, type,
 * tif or flags out of range is stored so that the checks refuse it (0 or
 * 0xff) rather than see it truncated.  NULL when out of memory. */
struct trd_order *trd_oms_create(struct trd_oms *oms,
				 const struct trd_order_spec *sp, int64_t now);

/* Find an order (open, or closed and not yet freed), or NULL. */
struct trd_order *trd_oms_get(const struct trd_oms *oms, uint64_t id);

static inline int
trd_order_is_open(const struct trd_order *o)
{
	return o->status == TRD_ORDER_NEW || o->status == TRD_ORDER_ACCEPTED ||
	       o->status == TRD_ORDER_PARTIALLY_FILLED;
}

/* Refuse a NEW order that has not been routed (the host's checks); code:
 * enum trd_reject.  Links follow (an OCO partner, bracket exits). */
void trd_oms_reject(struct trd_oms *oms, struct trd_order *o, int code,
		    const char *reason, int64_t now);
/* Route a NEW, unrouted, unheld order to the venue.  0, or -EINVAL (not
 * such an order; or the venue refused the call: the order is then
 * rejected here). */
int trd_oms_send(struct trd_oms *oms, struct trd_order *o, int64_t now);
/* Cancel an open order: a held exit or an unrouted order at once (links
 * follow), a routed one through the venue.  0, or -ENOENT (closed, or a
 * cancel already on its way). */
int trd_oms_cancel(struct trd_oms *oms, struct trd_order *o,
		   const char *reason, int64_t now);
/* Change an open order's quantity and price (0 keeps it).  A held exit
 * takes only a price, at once (no longer an offset).  0, -ENOENT, or
 * -EINVAL (bad values; a price for a market order). */
int trd_oms_amend(struct trd_oms *oms, struct trd_order *o, int64_t qty,
		  int64_t price, int64_t now);

/* Link two NEW orders as an OCO pair (before routing either). */
void trd_oms_link_oco(struct trd_oms *oms, struct trd_order *a,
		      struct trd_order *b);
/*
 * Make e a bracket entry with exits tp (a limit) and sl (a stop), all NEW
 * and unrouted, created by the caller on e's instrument and opposite
 * side: the exits become reduce-only, held, an OCO pair, sized at
 * activation; tp_bps / sl_bps (scaled 10^4; 0: the exit's own price) price
 * them from e's average fill.
 */
void trd_oms_link_bracket(struct trd_oms *oms, struct trd_order *e,
			  struct trd_order *tp, struct trd_order *sl,
			  int64_t tp_bps, int64_t sl_bps);
/*
 * Check a bracket's exit prices before creating it: each exit has exactly
 * one of a price (a multiple of tick) and an offset in bps (> 0); a
 * stop-loss offset below 100%; absolute prices with the take-profit beyond
 * the stop-loss for the entry's side.  0, or an enum trd_reject with why.
 */
int trd_oms_bracket_check(int side, int64_t tick, int64_t tp_price,
			  int64_t tp_bps, int64_t sl_price, int64_t sl_bps,
			  const char **why);

/* The venue's report callback (venue.h): arg is the OMS. */
void trd_oms_on_report(void *arg, const struct trd_venue_report *r);

/* Free the closed orders past the keep_closed most recent.  Call when no
 * pointer to an order is held (the session does, after each event). */
void trd_oms_gc(struct trd_oms *oms);

/* Average fill price (price scale), 0 before any fill. */
int64_t trd_order_avg_price(const struct trd_order *o);
/* Fill the plugin-facing view of o (strings point into o). */
void trd_order_info(const struct trd_order *o, struct trd_order_info *out);

const char *trd_order_status_name(int status);
/* The report's name of an enum trd_reject ("max_open_orders"...). */
const char *trd_reject_name(int code);
const char *trd_tif_name(int tif);
const char *trd_order_type_name(int type);
const char *trd_side_name(int side);

#endif
