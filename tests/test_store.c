/*
 * store: instruments, insert-only puts, read cursors, format versions, map
 * growth and the full-map ceiling, and bad data directories.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "helpers.h"
#include "store.h"

static struct trd_store *
open_new(const char *dir, size_t map, size_t max)
{
	struct trd_store *s = NULL;
	struct trd_store_opts o = { map, max };

	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_CREATE, &o), 0);
	return s;
}

static struct trd_instrument
mkinstr(struct trd_store *s, const char *sym)
{
	struct trd_instrument in = { .price_dp = 8, .qty_dp = 8 }, out;

	strcpy(in.symbol, sym);
	cr_assert_eq(trd_store_instrument_ensure(s, &in, &out), 0);
	return out;
}

static void
put_bars(struct trd_store *s, uint32_t sym, int64_t t0, int n, int64_t px)
{
	struct trd_store_batch b;
	enum trd_put_result res;

	cr_assert_eq(trd_store_batch_begin(s, &b), 0);
	for (int i = 0; i < n; i++) {
		struct trd_bar bar = { .ts_ns = (t0 + i * 60) * TRD_NS_PER_SEC,
				       .open = px + i, .high = px + i + 5,
				       .low = px + i - 5, .close = px + i + 1,
				       .volume = 1000 + i, .sym = sym,
				       .tf_s = 60 };
		cr_assert_eq(trd_store_batch_put(&b, &bar, &res), 0);
	}
	cr_assert_eq(trd_store_batch_commit(&b), 0);
}

Test(store, instruments_get_ids_and_keep_scales)
{
	char *dir = th_tmpdir();
	struct trd_store *s = open_new(dir, 0, 0);
	struct trd_instrument a = mkinstr(s, "BTCUSDT"), b = mkinstr(s, "ETHUSDT"),
			      again, got, in = { .price_dp = 2, .qty_dp = 3 };

	cr_assert_neq(a.id, b.id);
	strcpy(in.symbol, "BTCUSDT");
	cr_assert_eq(trd_store_instrument_ensure(s, &in, &again), 0);
	cr_assert_eq(again.id, a.id);
	cr_assert_eq(again.price_dp, 8, "existing scales must not change");
	cr_assert_eq(trd_store_instrument_get(s, "ETHUSDT", &got), 0);
	cr_assert_eq(got.id, b.id);
	cr_assert_eq(trd_store_instrument_get(s, "XRPUSDT", &got), TRD_ENOTFOUND);
	strcpy(in.symbol, "BAD SYMBOL");
	cr_assert_eq(trd_store_instrument_ensure(s, &in, &got), TRD_ESYNTAX);
	trd_store_close(s);
	th_rmtree(dir);
	free(dir);
}

Test(store, puts_are_insert_only_and_cursor_reads_in_order)
{
	char *dir = th_tmpdir();
	struct trd_store *s = open_new(dir, 0, 0);
	struct trd_instrument a = mkinstr(s, "AAA"), b = mkinstr(s, "BBB");
	struct trd_store_batch bt;
	struct trd_bar_cursor cur;
	struct trd_bar out[100], dup;
	enum trd_put_result res;
	int n;

	put_bars(s, b.id, 1000 * 60, 50, 500);
	put_bars(s, a.id, 1000 * 60, 50, 100);
	/* Same bar again: unchanged; different values: conflict, kept. */
	dup = (struct trd_bar){ .ts_ns = 1000 * 60 * TRD_NS_PER_SEC, .open = 100,
				.high = 105, .low = 95, .close = 101,
				.volume = 1000, .sym = a.id, .tf_s = 60 };
	cr_assert_eq(trd_store_batch_begin(s, &bt), 0);
	cr_assert_eq(trd_store_batch_put(&bt, &dup, &res), 0);
	cr_assert_eq(res, TRD_PUT_UNCHANGED);
	dup.close = 999;
	cr_assert_eq(trd_store_batch_put(&bt, &dup, &res), TRD_ECONFLICT);
	cr_assert_eq(trd_store_batch_commit(&bt), 0);

	cr_assert_eq(trd_bar_cursor_open(&cur, s, a.id, 60,
					 (1000 * 60 + 600) * TRD_NS_PER_SEC,
					 (1000 * 60 + 1200) * TRD_NS_PER_SEC), 0);
	n = trd_bar_cursor_read(&cur, out, 100);
	cr_assert_eq(n, 10, "[from, to) must select 10 bars, got %d", n);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(out[i].sym, a.id);
		cr_assert_eq(out[i].open, 110 + i);
		cr_assert_eq(out[i].volume, 1010 + i);
	}
	cr_assert_eq(trd_bar_cursor_read(&cur, out, 100), 0);
	trd_bar_cursor_close(&cur);

	/* Reading in small pieces resumes where it left off. */
	cr_assert_eq(trd_bar_cursor_open(&cur, s, a.id, 60, INT64_MIN,
					 INT64_MAX), 0);
	int total = 0;
	while ((n = trd_bar_cursor_read(&cur, out, 7)) > 0) {
		for (int i = 0; i < n; i++)
			cr_assert_eq(out[i].close, 101 + total + i);
		total += n;
	}
	cr_assert_eq(total, 50);
	trd_bar_cursor_close(&cur);

	struct trd_series_stat *st;
	size_t ns;
	cr_assert_eq(trd_store_stat(s, &st, &ns), 0);
	cr_assert_eq(ns, 2);
	cr_assert_eq(st[0].count, 50);
	cr_assert_eq(st[0].first_ns, 1000 * 60 * TRD_NS_PER_SEC);
	free(st);
	trd_store_close(s);
	th_rmtree(dir);
	free(dir);
}

Test(store, grows_map_then_stops_at_ceiling_keeping_data)
{
	char *dir = th_tmpdir();
	struct trd_store *s = open_new(dir, 64 << 10, 1 << 20);
	struct trd_instrument a = mkinstr(s, "AAA");
	struct trd_store_batch b;
	enum trd_put_result res;
	int64_t t = 0;
	int rc = 0, committed = 0;

	/* Commit 2000-bar batches until the 1 MiB ceiling is hit. */
	while (rc == 0) {
		int64_t batch_start = t;
		cr_assert_eq(trd_store_batch_begin(s, &b), 0);
		for (int i = 0; i < 2000 && rc == 0; i++, t++) {
			struct trd_bar bar = { .ts_ns = t * 60 * TRD_NS_PER_SEC,
					       .open = 1, .high = 1, .low = 1,
					       .close = 1, .sym = a.id,
					       .tf_s = 60 };
			rc = trd_store_batch_put(&b, &bar, &res);
		}
		if (rc == 0) {
			cr_assert_eq(trd_store_batch_commit(&b), 0);
			committed += 2000;
			continue;
		}
		cr_assert_eq(rc, MDB_MAP_FULL);
		trd_store_batch_abort(&b);
		t = batch_start;
		rc = trd_store_grow(s);
	}
	cr_assert_eq(rc, TRD_EFULL);
	cr_assert_gt(committed, 2000, "the map must have grown first");
	trd_store_close(s);

	/* Everything committed before the ceiling is intact. */
	struct trd_series_stat *st;
	size_t ns;
	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_RDONLY, NULL), 0);
	cr_assert_eq(trd_store_stat(s, &st, &ns), 0);
	cr_assert_eq(ns, 1);
	cr_assert_eq(st[0].count, (uint64_t)committed);
	free(st);
	trd_store_close(s);
	th_rmtree(dir);
	free(dir);
}

Test(store, refuses_newer_format)
{
	char *dir = th_tmpdir();
	struct trd_store *s = open_new(dir, 0, 0);
	MDB_txn *txn;
	MDB_val k = { 6, "format" }, v;
	uint8_t ver[4] = { 99, 0, 0, 0 };

	cr_assert_eq(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	v = (MDB_val){ 4, ver };
	cr_assert_eq(mdb_put(txn, s->dbi_meta, &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	trd_store_close(s);
	s = NULL;
	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_RDONLY, NULL),
		     TRD_EVERSION);
	cr_assert_null(s);
	th_rmtree(dir);
	free(dir);
}

Test(store, missing_and_unusable_dirs)
{
	char *dir = th_tmpdir(), path[4200];
	struct trd_store *s = NULL;

	snprintf(path, sizeof(path), "%s/nope", dir);
	cr_assert_eq(trd_store_open(&s, path, TRD_STORE_RDONLY, NULL), -ENOENT);
	snprintf(path, sizeof(path), "%s/file", dir);
	th_write_file(path, "x");
	cr_assert_eq(trd_store_open(&s, path, TRD_STORE_RDONLY, NULL), -ENOTDIR);
	/* An empty directory has no store to read. */
	snprintf(path, sizeof(path), "%s/empty", dir);
	mkdir(path, 0755);
	cr_assert_neq(trd_store_open(&s, path, TRD_STORE_RDONLY, NULL), 0);
	cr_assert_null(s);
	th_rmtree(dir);
	free(dir);
}
