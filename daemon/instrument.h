/*
 * instrument: the registry of the instruments a session trades.
 *
 * One table, read by everyone (venue, risk, portfolio, report, features,
 * the strategy host): symbol, the venue's symbol, price and quantity
 * scales, tick, lot, minimum notional, largest order, whether it may be
 * sold short.  An instrument's handle is its index in the table, in the
 * config's order; it is what events, orders and plugins carry (the ABI's
 * `sym`).  The bar store's id of an instrument is only a mapping kept
 * here (store_id): an instrument exists without stored bars, as a live
 * feed's instruments do on a fresh store.
 *
 * The table is built once, before the subsystems that read it, and never
 * grows afterwards, so pointers into it stay valid for the session's
 * life.  Fields a venue tells at run time (exchangeInfo: tick, lot,
 * minimum notional) are changed in place by trd_registry_update.
 */
#ifndef TRD_INSTRUMENT_H
#define TRD_INSTRUMENT_H

#include <stddef.h>
#include <stdint.h>

#include "traderd/types.h"

struct trd_config;
struct trd_store;

#define TRD_INSTR_NO_STORE UINT32_MAX

struct trd_instr {
	uint32_t id;            /* the handle: index in the registry */
	char     symbol[TRD_SYMBOL_MAX + 1];
	char     venue_symbol[TRD_SYMBOL_MAX + 1];
	uint8_t  price_dp, qty_dp;
	int64_t  tick;          /* price scale, > 0 */
	int64_t  lot;           /* quantity scale, > 0 */
	int64_t  min_notional;  /* cash scale; 0: none */
	int64_t  max_order_qty; /* quantity scale; 0: no limit */
	int      shortable;     /* positions may go below zero */
	uint32_t store_id;      /* in the bar store, or TRD_INSTR_NO_STORE */
	uint8_t  unset;         /* TRD_INSTR_UNSET_*: what the config left
				 * to the venue (tick and lot are the
				 * smallest unit until it tells them) */
};

#define TRD_INSTR_UNSET_TICK     0x1
#define TRD_INSTR_UNSET_LOT      0x2
#define TRD_INSTR_UNSET_NOTIONAL 0x4

struct trd_instr_key; /* the symbol index */

struct trd_registry {
	struct trd_instr     *v;
	size_t                n;
	struct trd_instr_key *keys, *by_symbol;
};

/* Build the registry from the config's instruments (the config checked
 * every field).  0, or -ENOMEM / -EEXIST (a duplicate symbol; logged). */
int trd_registry_init(struct trd_registry *r, const struct trd_config *c);
/* The same from a table of n instruments (tests, tools); ids are set to
 * the indexes. */
int trd_registry_init_from(struct trd_registry *r, const struct trd_instr *v,
			   size_t n);
void trd_registry_free(struct trd_registry *r);

static inline const struct trd_instr *
trd_registry_get(const struct trd_registry *r, uint32_t id)
{
	return id < r->n ? &r->v[id] : NULL;
}

/* By symbol; NULL if none. */
const struct trd_instr *trd_registry_find(const struct trd_registry *r,
					  const char *symbol);

/*
 * Map the instruments to the bar store: each one the store holds gets its
 * store_id, after checking that the store keeps it at the same scales
 * (a mismatch would misread every bar: an error naming both).  Those the
 * store lacks keep TRD_INSTR_NO_STORE.  0 or a negative error (logged).
 */
int trd_registry_map_store(struct trd_registry *r, struct trd_store *s);

/* What a venue says about an instrument at run time; a 0 keeps the field.
 * Scales never change (positions and prices are kept in them). */
void trd_registry_update(struct trd_registry *r, uint32_t id, int64_t tick,
			 int64_t lot, int64_t min_notional);

#endif
