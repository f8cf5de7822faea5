/*
 * instrument: see instrument.h.  The symbol index is uthash's (Debian's
 * uthash-dev), over keys allocated with the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "errors.h"
#include "instrument.h"
#include "log.h"
#include "store.h"

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

struct trd_instr_key {
	const char    *symbol;
	uint32_t       id;
	UT_hash_handle hh;
};

static int
index_all(struct trd_registry *r)
{
	int oom = 0;

	if (r->n == 0)
		return 0;
	if ((r->keys = calloc(r->n, sizeof(*r->keys))) == NULL)
		return -ENOMEM;
#undef uthash_nonfatal_oom
#define uthash_nonfatal_oom(e) (oom = 1)
	for (size_t i = 0; i < r->n; i++) {
		struct trd_instr_key *k = &r->keys[i], *dup = NULL;
		k->symbol = r->v[i].symbol;
		k->id = (uint32_t)i;
		HASH_FIND_STR(r->by_symbol, k->symbol, dup);
		if (dup != NULL) {
			log_error("instrument %s is listed twice", k->symbol);
			return -EEXIST;
		}
		HASH_ADD_KEYPTR(hh, r->by_symbol, k->symbol, strlen(k->symbol),
				k);
		if (oom)
			return -ENOMEM;
	}
	return 0;
}

int
trd_registry_init_from(struct trd_registry *r, const struct trd_instr *v,
		       size_t n)
{
	int rc;

	*r = (struct trd_registry){ 0 };
	if ((r->v = calloc(n ? n : 1, sizeof(*r->v))) == NULL)
		return -ENOMEM;
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		r->v[i] = v[i];
		r->v[i].id = (uint32_t)i;
		if (r->v[i].venue_symbol[0] == '\0')
			memcpy(r->v[i].venue_symbol, r->v[i].symbol,
			       sizeof(r->v[i].symbol));
		if (r->v[i].tick <= 0)
			r->v[i].tick = 1;
		if (r->v[i].lot <= 0)
			r->v[i].lot = 1;
	}
	if ((rc = index_all(r)) != 0)
		trd_registry_free(r);
	return rc;
}

int
trd_registry_init(struct trd_registry *r, const struct trd_config *c)
{
	struct trd_instr *v = calloc(c->ninstruments ? c->ninstruments : 1,
				     sizeof(*v));
	int rc;

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->ninstruments; i++) {
		const struct trd_instrument_conf *ic = &c->instruments[i];
		v[i] = (struct trd_instr){
			.price_dp = ic->price_dp, .qty_dp = ic->qty_dp,
			.tick = ic->tick_size, .lot = ic->lot_size,
			.min_notional = ic->min_notional,
			.max_order_qty = ic->max_order_qty,
			.shortable = ic->shortable,
			.store_id = TRD_INSTR_NO_STORE,
			.unset = (ic->tick_size ? 0 : TRD_INSTR_UNSET_TICK) |
				 (ic->lot_size ? 0 : TRD_INSTR_UNSET_LOT) |
				 (ic->min_notional ? 0
						   : TRD_INSTR_UNSET_NOTIONAL),
		};
		memcpy(v[i].symbol, ic->symbol, sizeof(v[i].symbol));
		memcpy(v[i].venue_symbol, ic->venue_symbol,
		       sizeof(v[i].venue_symbol));
	}
	rc = trd_registry_init_from(r, v, c->ninstruments);
	free(v);
	return rc;
}

void
trd_registry_free(struct trd_registry *r)
{
	HASH_CLEAR(hh, r->by_symbol);
	free(r->keys);
	free(r->v);
	*r = (struct trd_registry){ 0 };
}

const struct trd_instr *
trd_registry_find(const struct trd_registry *r, const char *symbol)
{
	struct trd_instr_key *k = NULL;

	if (symbol == NULL)
		return NULL;
	HASH_FIND_STR(r->by_symbol, symbol, k);
	return k ? &r->v[k->id] : NULL;
}

int
trd_registry_map_store(struct trd_registry *r, struct trd_store *s)
{
	for (size_t i = 0; i < r->n; i++) {
		struct trd_instr *in = &r->v[i];
		struct trd_instrument st;
		int rc = trd_store_instrument_get(s, in->symbol, &st);

		in->store_id = TRD_INSTR_NO_STORE;
		if (rc == TRD_ENOTFOUND)
			continue;
		if (rc != 0) {
			log_error("instrument %s: %s", in->symbol,
				  trd_strerror(rc));
			return rc;
		}
		if (st.price_dp != in->price_dp || st.qty_dp != in->qty_dp) {
			log_error("instrument %s: the store holds it with "
				  "price_dp %u, qty_dp %u but the config says "
				  "%u, %u", in->symbol, st.price_dp, st.qty_dp,
				  in->price_dp, in->qty_dp);
			return TRD_ECONFIG;
		}
		in->store_id = st.id;
	}
	return 0;
}

void
trd_registry_update(struct trd_registry *r, uint32_t id, int64_t tick,
		    int64_t lot, int64_t min_notional)
{
	struct trd_instr *in = id < r->n ? &r->v[id] : NULL;

	if (in == NULL)
		return;
	if (tick > 0)
		in->tick = tick;
	if (lot > 0)
		in->lot = lot;
	if (min_notional > 0)
		in->min_notional = min_notional;
}
