/*
 * oms: the orders of a run and their state machine.
 *
 *   NEW -> ACCEPTED -> (PARTIALLY_FILLED ->)* FILLED
 *   NEW -> REJECTED            (refused before reaching the book)
 *   NEW/ACCEPTED/PARTIALLY_FILLED -> CANCELED | EXPIRED
 *
 * NEW is an order on its way to the venue (submit latency) or a bracket
 * exit held until its entry fills.  An order is "listed" (in the open list
 * of its instrument, seen by the venue's matching) from the moment it is
 * routed to the venue, in flight or working, until it is closed.  An amend
 * is not a state: it is reported as an update of the same state with the
 * reason "amended".
 *
 * Ids are 1, 2, 3... in submission order, so the same run gives the same
 * ids.  An order is never removed: the report lists every one.  Each
 * transition is passed to the on_update hook (the plugin host forwards it
 * to the owning strategy's on_order).  Open orders are also indexed per
 * instrument for the venue's matching.
 */
#ifndef TRD_OMS_H
#define TRD_OMS_H

#include <stddef.h>
#include <stdint.h>

#include "traderd/plugin.h"

struct trd_order {
	uint64_t id;
	uint32_t strat, ins;   /* strategy and instrument indexes */
	uint8_t  side, type, status;
	uint8_t  tif;          /* enum trd_tif */
	uint8_t  flags;        /* TRD_ORDER_POST_ONLY | TRD_ORDER_REDUCE_ONLY */
	uint8_t  held;         /* bracket exit waiting for its entry's fill */
	uint8_t  listed;       /* in its instrument's open list */
	uint8_t  triggered;    /* STOP_LIMIT: stop touched, now a limit */
	uint16_t reject_code;  /* enum trd_reject when REJECTED */
	uint32_t seq;          /* n-th order of its strategy: the client id */
	int64_t  qty, filled, price;
	int64_t  stop_price;   /* STOP_LIMIT trigger; TRAILING_STOP: the
				* current stop level (0 until set) */
	int64_t  trail;        /* TRAILING_STOP distance, price scale */
	int64_t  expire_ns;    /* GTD expiry; 0 otherwise */
	__int128 fill_value;   /* sum of price * qty of fills */
	int64_t  submit_ns, update_ns;
	int64_t  eligible_ns;  /* reaches the venue then: matches only bars
				* opening at or after this */
	int64_t  cancel_ns;    /* a cancel reaches the venue then; 0 until
				* one is sent (kept non-zero after) */
	int64_t  amend_ns;     /* a pending amend reaches the venue then */
	int64_t  amend_qty, amend_price;
	uint8_t  cancel_pending; /* a cancel is on its way (cancel_ns) */
	uint8_t  amend_pending;  /* an amend is on its way (amend_ns) */
	uint64_t link_id;      /* OCO partner, or 0 */
	uint64_t parent_id;    /* bracket exit: its entry; else 0 */
	uint64_t child_id;     /* bracket entry: its take-profit exit (whose
				* link_id is the stop-loss); else 0 */
	int64_t  offset_bps;   /* bracket exit priced at activation from the
				* entry's average fill (scaled 10^4); 0:
				* price given */
	uint64_t tag;
	char     reason[96];
	char     cancel_reason[96]; /* the pending cancel's reason */
};

struct trd_oms_open {
	uint64_t *ids;
	size_t    n, cap;
};

/*
 * Orders live in chunks of TRD_OMS_CHUNK and never move: the table grows
 * by a chunk, copying nothing however many orders a long run keeps, and
 * a pointer to an order stays valid as long as the table.
 */
#define TRD_OMS_CHUNK_SHIFT 10
#define TRD_OMS_CHUNK       ((size_t)1 << TRD_OMS_CHUNK_SHIFT)

struct trd_oms {
	struct trd_order   **chunks; /* id i: trd_oms_get(oms, i) */
	size_t               n, nchunks, capchunks;
	struct trd_oms_open *open;   /* per instrument */
	size_t               ninstr;
	uint64_t             nfilled, nrejected, ncanceled, nexpired;
	uint64_t             nlisted; /* orders in every open list */
	void (*on_update)(void *arg, const struct trd_order *o);
	void                *arg;
};

int trd_oms_init(struct trd_oms *oms, size_t ninstr);
void trd_oms_free(struct trd_oms *oms);

/* Create an order in state NEW.  A side or type out of range is stored as
 * 0, so the venue refuses it rather than see it truncated.  Returns it,
 * or NULL when out of memory. */
struct trd_order *trd_oms_create(struct trd_oms *oms, uint32_t strat,
				 uint32_t ins, int side, int type, int64_t qty,
				 int64_t price, uint64_t tag, int64_t now_ns);

static inline struct trd_order *
trd_oms_get(const struct trd_oms *oms, uint64_t id)
{
	if (id < 1 || id > oms->n)
		return NULL;
	id--;
	return &oms->chunks[id >> TRD_OMS_CHUNK_SHIFT]
			   [id & (TRD_OMS_CHUNK - 1)];
}

static inline int
trd_order_is_open(const struct trd_order *o)
{
	return o->status == TRD_ORDER_NEW || o->status == TRD_ORDER_ACCEPTED ||
	       o->status == TRD_ORDER_PARTIALLY_FILLED;
}

/* Put a NEW order in its instrument's open list (routed to the venue, in
 * flight).  No state change, no on_update.  Accepting lists it too; closing
 * takes it off.  Lists stay in id (submission) order.  No-op if listed. */
void trd_oms_list(struct trd_oms *oms, struct trd_order *o);

/*
 * Transitions; each calls on_update.  reason (copied, may be NULL: none) is
 * what the update shows; an update without one clears the previous.  The
 * oms does not follow links (OCO partners, bracket exits): the venue and
 * the host close linked orders themselves, each for the closures it makes.
 */
void trd_oms_accept(struct trd_oms *oms, struct trd_order *o, int64_t now);
/* code: enum trd_reject (not TRD_REJ_NONE). */
void trd_oms_reject(struct trd_oms *oms, struct trd_order *o, int code,
		    const char *reason, int64_t now);
/* Cancel or expire an open order (NEW included); no-op if closed. */
void trd_oms_cancel(struct trd_oms *oms, struct trd_order *o,
		    const char *reason, int64_t now);
void trd_oms_expire(struct trd_oms *oms, struct trd_order *o,
		    const char *reason, int64_t now);
/* Report an applied amend (qty, prices already changed): on_update with
 * the same state and reason "amended", or FILLED (same reason) when the
 * quantity is now no more than what has filled. */
void trd_oms_amended(struct trd_oms *oms, struct trd_order *o, int64_t now);
/* Record a fill of qty at price; moves to PARTIALLY_FILLED or FILLED. */
void trd_oms_fill(struct trd_oms *oms, struct trd_order *o, int64_t qty,
		  int64_t price, int64_t now);

/* Average fill price (price scale), 0 before any fill. */
int64_t trd_order_avg_price(const struct trd_order *o);
/* Fill the plugin-facing view of o. */
void trd_order_info(const struct trd_order *o, struct trd_order_info *out);

const char *trd_order_status_name(int status);
/* The report's name of an enum trd_reject ("max_open_orders"...). */
const char *trd_reject_name(int code);
const char *trd_tif_name(int tif);
const char *trd_order_type_name(int type);
const char *trd_side_name(int side);

#endif
