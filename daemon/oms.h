/*
 * oms: the orders of a run and their state machine.
 *
 *   NEW -> ACCEPTED -> (PARTIALLY_FILLED ->)* FILLED
 *   NEW -> REJECTED            (refused before reaching the book)
 *   ACCEPTED/PARTIALLY_FILLED -> CANCELED | EXPIRED
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
	int64_t  qty, filled, price;
	__int128 fill_value;   /* sum of price * qty of fills */
	int64_t  submit_ns, update_ns;
	int64_t  eligible_ns;  /* matches only bars opening at or after this */
	uint64_t tag;
	char     reason[96];
};

struct trd_oms_open {
	uint64_t *ids;
	size_t    n, cap;
};

struct trd_oms {
	struct trd_order    *orders; /* orders[id - 1] */
	size_t               n, cap;
	struct trd_oms_open *open;   /* per instrument */
	size_t               ninstr;
	uint64_t             nfilled, nrejected, ncanceled;
	void (*on_update)(void *arg, const struct trd_order *o);
	void                *arg;
};

int trd_oms_init(struct trd_oms *oms, size_t ninstr);
void trd_oms_free(struct trd_oms *oms);

/* Create an order in state NEW.  Returns it (valid until the next create),
 * or NULL when out of memory. */
struct trd_order *trd_oms_create(struct trd_oms *oms, uint32_t strat,
				 uint32_t ins, int side, int type, int64_t qty,
				 int64_t price, uint64_t tag, int64_t now_ns);

static inline struct trd_order *
trd_oms_get(const struct trd_oms *oms, uint64_t id)
{
	return id >= 1 && id <= oms->n ? &oms->orders[id - 1] : NULL;
}

static inline int
trd_order_is_open(const struct trd_order *o)
{
	return o->status == TRD_ORDER_NEW || o->status == TRD_ORDER_ACCEPTED ||
	       o->status == TRD_ORDER_PARTIALLY_FILLED;
}

/* Transitions; each calls on_update.  reason may be NULL. */
void trd_oms_accept(struct trd_oms *oms, struct trd_order *o, int64_t now);
void trd_oms_reject(struct trd_oms *oms, struct trd_order *o,
		    const char *reason, int64_t now);
void trd_oms_cancel(struct trd_oms *oms, struct trd_order *o,
		    const char *reason, int64_t now);
/* Record a fill of qty at price; moves to PARTIALLY_FILLED or FILLED. */
void trd_oms_fill(struct trd_oms *oms, struct trd_order *o, int64_t qty,
		  int64_t price, int64_t now);

/* Average fill price (price scale), 0 before any fill. */
int64_t trd_order_avg_price(const struct trd_order *o);
/* Fill the plugin-facing view of o. */
void trd_order_info(const struct trd_order *o, struct trd_order_info *out);

const char *trd_order_status_name(int status);
const char *trd_order_type_name(int type);
const char *trd_side_name(int side);

#endif
