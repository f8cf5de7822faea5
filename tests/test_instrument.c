/*
 * instrument: the registry.  Handles are config order; lookups by symbol;
 * an instrument needs no stored bars; the store mapping checks scales;
 * run-time updates leave the scales alone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "helpers.h"
#include "instrument.h"
#include "store.h"

static struct trd_instr
ins(const char *sym, int pdp, int qdp)
{
	struct trd_instr v = { .price_dp = (uint8_t)pdp,
			       .qty_dp = (uint8_t)qdp, .tick = 1, .lot = 1 };

	strcpy(v.symbol, sym);
	return v;
}

Test(instrument, handles_lookups_and_duplicates)
{
	struct trd_instr v[3] = { ins("BTCUSDT", 2, 5), ins("ETHUSDT", 2, 4),
				  ins("SOLUSDT", 3, 2) };
	struct trd_registry r;

	v[1].tick = 0; /* unknown yet: 1 */
	cr_assert_eq(trd_registry_init_from(&r, v, 3), 0);
	cr_assert_eq(r.n, 3);
	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(r.v[i].id, i);
		cr_assert_eq(trd_registry_find(&r, v[i].symbol), &r.v[i]);
		cr_assert_str_eq(r.v[i].venue_symbol, v[i].symbol);
	}
	cr_assert_eq(r.v[1].tick, 1);
	cr_assert_null(trd_registry_find(&r, "XRPUSDT"));
	cr_assert_null(trd_registry_find(&r, NULL));
	cr_assert_null(trd_registry_get(&r, 3));
	/* exchangeInfo: tick, lot and minimum change; scales do not. */
	trd_registry_update(&r, 2, 5, 10, 500000000);
	cr_assert_eq(r.v[2].tick, 5);
	cr_assert_eq(r.v[2].lot, 10);
	cr_assert_eq(r.v[2].min_notional, 500000000);
	trd_registry_update(&r, 2, 0, 0, 0);
	cr_assert_eq(r.v[2].tick, 5, "0 keeps the field");
	trd_registry_update(&r, 99, 1, 1, 1); /* out of range: ignored */
	trd_registry_free(&r);

	v[2] = ins("BTCUSDT", 2, 5);
	cr_assert_eq(trd_registry_init_from(&r, v, 3), -EEXIST);
}

Test(instrument, store_mapping_is_optional_and_checks_scales)
{
	char *dir = th_tmpdir();
	struct trd_store *s;
	struct trd_instrument a = { .price_dp = 2, .qty_dp = 5 }, got;
	struct trd_instr v[2] = { ins("BTCUSDT", 2, 5), ins("ETHUSDT", 2, 4) };
	struct trd_registry r;

	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_CREATE, NULL), 0);
	strcpy(a.symbol, "BTCUSDT");
	cr_assert_eq(trd_store_instrument_ensure(s, &a, &got), 0);
	cr_assert_eq(trd_registry_init_from(&r, v, 2), 0);
	cr_assert_eq(trd_registry_map_store(&r, s), 0);
	cr_assert_eq(r.v[0].store_id, got.id);
	cr_assert_eq(r.v[1].store_id, TRD_INSTR_NO_STORE,
		     "an instrument exists without stored bars");
	trd_registry_free(&r);
	/* The store keeps BTCUSDT at other scales: every bar would be
	 * misread, so the mapping refuses. */
	v[0].qty_dp = 8;
	cr_assert_eq(trd_registry_init_from(&r, v, 2), 0);
	cr_assert_eq(trd_registry_map_store(&r, s), TRD_ECONFIG);
	trd_registry_free(&r);
	trd_store_close(s);
	th_rmtree(dir);
	free(dir);
}
