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

/* Each test's directory, removed by teardown (or by the runner if the
 * test crashes: helpers.c). */
static char *dir;

static void
setup(void)
{
	dir = th_tmpdir();
	cr_assert_not_null(dir);
}

static void
teardown(void)
{
	th_rmtree(dir);
	free(dir);
}

TestSuite(store, .init = setup, .fini = teardown);

static struct trd_store *
open_new(const char *path, size_t map, size_t max)
{
	struct trd_store *s = NULL;
	struct trd_store_opts o = { map, max };

	cr_assert_eq(trd_store_open(&s, path, TRD_STORE_CREATE, &o), 0);
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
}

Test(store, puts_are_insert_only_and_cursor_reads_in_order)
{
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
}

Test(store, grows_map_then_stops_at_ceiling_keeping_data)
{
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
		/* A full map shows at a put or, for a gathered run, at
		 * commit (which then aborts). */
		if (rc == 0 && (rc = trd_store_batch_commit(&b)) == 0) {
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
}

Test(store, refuses_newer_format)
{
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
}

Test(store, missing_and_unusable_dirs)
{
	char path[4200];
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
}

/* Bar i of the scrambled series below: prices from its time. */
static struct trd_bar
scr_bar(uint32_t sym, int64_t minute)
{
	return (struct trd_bar){ .ts_ns = minute * 60 * TRD_NS_PER_SEC,
				 .open = 1000 + minute, .high = 2000 + minute,
				 .low = -5 - minute, .close = 1500 + minute,
				 .volume = 7 * minute, .sym = sym, .tf_s = 60 };
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Bars put in any order (runs that extend a series, bars before and
 * between stored ones, times before 1970, two series interleaved in one
 * batch, a repeat of a bar still waiting in a run) read back in time order
 * however the reads are cut, across the pages LMDB packs them in.
 */
Test(store, any_put_order_reads_back_sorted_across_pages)
{
	struct trd_store *s = open_new(dir, 0, 0);
	struct trd_instrument a = mkinstr(s, "AAA"), b = mkinstr(s, "BBB");
	enum { N = 3000 };
	static int64_t mins[N], sorted[N];
	static struct trd_bar out[N + 1];
	struct trd_store_batch bt;
	enum trd_put_result res;
	struct trd_bar_cursor cur;
	uint32_t rng = 12345;
	int n;

	/* Minutes -1000.. in steps of 3, then shuffled in blocks: long
	 * ascending runs with jumps back in between. */
	for (int i = 0; i < N; i++)
		mins[i] = -1000 + 3 * (int64_t)i;
	for (int i = N - 1; i > 0; i -= 1 + (int)(rng % 200)) {
		rng = rng * 1103515245 + 12345;
		int j = (int)(rng % (uint32_t)(i + 1));
		int64_t t = mins[i];
		mins[i] = mins[j];
		mins[j] = t;
	}
	cr_assert_eq(trd_store_batch_begin(s, &bt), 0);
	for (int i = 0; i < N; i++) {
		struct trd_bar x = scr_bar(a.id, mins[i]);
		cr_assert_eq(trd_store_batch_put(&bt, &x, &res), 0);
		cr_assert_eq(res, TRD_PUT_INSERTED, "bar %d", i);
		if (i % 500 == 0) { /* the other series, in between */
			struct trd_bar y = scr_bar(b.id, i);
			cr_assert_eq(trd_store_batch_put(&bt, &y, &res), 0);
		}
		if (i == N / 2) {
			/* The bar just put sits in the gathered run: a repeat is
			 * unchanged, other prices a conflict. */
			cr_assert_eq(trd_store_batch_put(&bt, &x, &res), 0);
			cr_assert_eq(res, TRD_PUT_UNCHANGED);
			x.close++;
			cr_assert_eq(trd_store_batch_put(&bt, &x, &res),
				     TRD_ECONFLICT);
		}
	}
	cr_assert_eq(trd_store_batch_commit(&bt), 0);

	memcpy(sorted, mins, sizeof(mins));
	qsort(sorted, N, sizeof(sorted[0]), cmp_i64);
	static const int cuts[] = { 1, 7, 85, 86, 128, N + 1 };
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		int total = 0;
		cr_assert_eq(trd_bar_cursor_open(&cur, s, a.id, 60, INT64_MIN,
						 INT64_MAX), 0);
		while ((n = trd_bar_cursor_read(&cur, out, cuts[c])) > 0) {
			for (int i = 0; i < n; i++) {
				struct trd_bar want =
					scr_bar(a.id, sorted[total + i]);
				cr_assert(memcmp(&out[i], &want,
						 sizeof(want)) == 0,
					  "cut %d: bar %d", cuts[c], total + i);
			}
			total += n;
		}
		cr_assert_eq(n, 0);
		cr_assert_eq(total, N, "cut %d: %d bars", cuts[c], total);
		trd_bar_cursor_close(&cur);
	}

	/* [from, to) inside pages, from on no bar, before 1970. */
	cr_assert_eq(trd_bar_cursor_open(&cur, s, a.id, 60,
					 -998 * 60 * TRD_NS_PER_SEC,
					 5000 * 60 * TRD_NS_PER_SEC), 0);
	n = trd_bar_cursor_read(&cur, out, N + 1);
	cr_assert_eq(trd_bar_cursor_read(&cur, out + n, N + 1), 0);
	trd_bar_cursor_close(&cur);
	cr_assert_eq(n, 1999, "[-998, 5000) holds 1999 bars, read %d", n);
	cr_assert_eq(out[0].ts_ns, -997 * 60 * TRD_NS_PER_SEC);
	cr_assert_eq(out[n - 1].ts_ns, 4997 * 60 * TRD_NS_PER_SEC);

	/* The other series: 6 bars, and one of a single bar. */
	struct trd_instrument c1 = mkinstr(s, "CCC");
	put_bars(s, c1.id, 42, 1, 9);
	cr_assert_eq(trd_bar_cursor_open(&cur, s, c1.id, 60, INT64_MIN,
					 INT64_MAX), 0);
	cr_assert_eq(trd_bar_cursor_read(&cur, out, 10), 1);
	cr_assert_eq(out[0].ts_ns, 42 * TRD_NS_PER_SEC);
	cr_assert_eq(out[0].close, 10);
	trd_bar_cursor_close(&cur);

	struct trd_series_stat *st;
	size_t ns;
	cr_assert_eq(trd_store_stat(s, &st, &ns), 0);
	cr_assert_eq(ns, 3);
	cr_assert_eq(st[0].count, N);
	cr_assert_eq(st[0].first_ns, -1000 * 60 * TRD_NS_PER_SEC);
	cr_assert_eq(st[0].last_ns, (-1000 + 3 * (N - 1)) * 60 * TRD_NS_PER_SEC);
	cr_assert_eq(st[1].count, 6);
	cr_assert_eq(st[2].count, 1);
	cr_assert_eq(st[2].first_ns, st[2].last_ns);
	free(st);
	trd_store_close(s);
}

/*
 * Rewrite the store in dir as format 1 (one record per bar in "bars"),
 * the layout before 2026-11, with nbars bars of sym; version is the
 * records' version byte (1 is the real one).
 */
static void
make_format1(const char *path, uint32_t sym, int nbars, uint8_t version)
{
	struct trd_store *s = open_new(path, 0, 0);
	MDB_txn *txn;
	MDB_dbi series, bars;
	MDB_val k = { 6, "format" }, v;
	uint8_t fmt[4] = { 1, 0, 0, 0 };

	cr_assert_eq(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "series", 0, &series), 0);
	cr_assert_eq(mdb_drop(txn, series, 1), 0);
	cr_assert_eq(mdb_dbi_open(txn, "bars", MDB_CREATE, &bars), 0);
	for (int i = 0; i < nbars; i++) {
		struct trd_bar b = scr_bar(sym, i - 10);
		uint8_t key[16], rec[48] = { version };
		uint64_t t = (uint64_t)b.ts_ns ^ (1ULL << 63);
		int64_t px[5] = { b.open, b.high, b.low, b.close, b.volume };
		key[0] = (uint8_t)(sym >> 24);
		key[1] = (uint8_t)(sym >> 16);
		key[2] = (uint8_t)(sym >> 8);
		key[3] = (uint8_t)sym;
		key[4] = key[5] = key[6] = 0;
		key[7] = 60;
		for (int j = 0; j < 8; j++)
			key[8 + j] = (uint8_t)(t >> (56 - 8 * j));
		for (int f = 0; f < 5; f++)
			for (int j = 0; j < 8; j++)
				rec[8 + 8 * f + j] =
					(uint8_t)((uint64_t)px[f] >> (8 * j));
		MDB_val bk = { 16, key }, bv = { 48, rec };
		cr_assert_eq(mdb_put(txn, bars, &bk, &bv, 0), 0);
	}
	v = (MDB_val){ 4, fmt };
	cr_assert_eq(mdb_put(txn, s->dbi_meta, &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	trd_store_close(s);
}

/* How many records format 1's "bars" holds (-1: no "bars" at all). */
static int
format1_count(const char *path)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi bars;
	MDB_stat st;
	int n = -1;

	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
	cr_assert_eq(mdb_env_open(env, path, MDB_RDONLY, 0640), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	if (mdb_dbi_open(txn, "bars", 0, &bars) == 0 &&
	    mdb_stat(txn, bars, &st) == 0)
		n = (int)st.ms_entries;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return n;
}

Test(store, format_1_is_refused_by_readers_and_upgraded_by_writers)
{
	struct trd_store *s = open_new(dir, 0, 0);
	struct trd_instrument a = mkinstr(s, "AAA");
	struct trd_bar_cursor cur;
	struct trd_bar out[400];
	int n;

	trd_store_close(s);
	/* An older traderd opens "bars" before it checks the format. */
	cr_assert_eq(format1_count(dir), 0, "a new store keeps \"bars\" empty");
	make_format1(dir, a.id, 300, 1);
	s = NULL;
	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_RDONLY, NULL),
		     TRD_EVERSION);
	cr_assert_null(s);
	cr_assert_eq(format1_count(dir), 300, "a refusal changes nothing");

	/* A writer converts every bar, in one transaction, and drops the
	 * old records; the map (64 KiB) has to grow on the way. */
	struct trd_store_opts o = { 64 << 10, 0 };
	cr_assert_eq(trd_store_open(&s, dir, 0, &o), 0);
	cr_assert_eq(s->upgraded, 300);
	cr_assert_eq(trd_bar_cursor_open(&cur, s, a.id, 60, INT64_MIN,
					 INT64_MAX), 0);
	n = trd_bar_cursor_read(&cur, out, 400);
	trd_bar_cursor_close(&cur);
	cr_assert_eq(n, 300);
	for (int i = 0; i < n; i++) {
		struct trd_bar want = scr_bar(a.id, i - 10);
		cr_assert(memcmp(&out[i], &want, sizeof(want)) == 0, "bar %d",
			  i);
	}
	trd_store_close(s);
	cr_assert_eq(format1_count(dir), 0, "converted bars leave \"bars\"");
	/* Upgraded once: readers open it, writers have nothing to do. */
	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_RDONLY, NULL), 0);
	trd_store_close(s);
	cr_assert_eq(trd_store_open(&s, dir, 0, NULL), 0);
	cr_assert_eq(s->upgraded, 0);
	trd_store_close(s);
}

Test(store, format_1_with_an_unknown_record_is_left_untouched)
{
	struct trd_store *s = open_new(dir, 0, 0);
	struct trd_instrument a = mkinstr(s, "AAA");

	trd_store_close(s);
	make_format1(dir, a.id, 50, 7);
	s = NULL;
	cr_assert_eq(trd_store_open(&s, dir, 0, NULL), TRD_EVERSION);
	cr_assert_null(s);
	cr_assert_eq(format1_count(dir), 50);
	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_RDONLY, NULL),
		     TRD_EVERSION, "still format 1");
}

/* The operator's view: readers say what to run, `db upgrade` runs it. */
Test(store, traderctl_db_upgrade)
{
	char *out = NULL;
	struct trd_store *s = open_new(dir, 0, 0);
	struct trd_instrument a = mkinstr(s, "AAA");
	const char *ctl = th_bin("traderctl");
	int rc;

	trd_store_close(s);
	make_format1(dir, a.id, 120, 1);
	rc = th_run(&out, "%s --data-dir %s db stat", ctl, dir);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "has format 1"), out);
	th_assert_out(strstr(out, "db upgrade"), out);
	free(out);
	rc = th_run(&out, "%s --data-dir %s db upgrade", ctl, dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "upgraded to format 2, 120 bars rewritten"), out);
	free(out);
	rc = th_run(&out, "%s --data-dir %s db stat", ctl, dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "AAA"), out);
	th_assert_out(strstr(out, " 120 "), out);
	free(out);
	rc = th_run(&out, "%s --data-dir %s db upgrade", ctl, dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "already format 2"), out);
	free(out);

	/* Nothing to upgrade makes no store; bad subcommands are named. */
	char empty[4200], data[4300];
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	cr_assert_eq(mkdir(empty, 0750), 0);
	rc = th_run(&out, "%s --data-dir %s db upgrade", ctl, empty);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "no data store in"), out);
	free(out);
	snprintf(data, sizeof(data), "%s/data.mdb", empty);
	cr_assert_neq(access(data, F_OK), 0, "upgrade created a store");
	rc = th_run(&out, "%s --data-dir %s db upgrade now", ctl, dir);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "unexpected argument 'now'"), out);
	free(out);
	rc = th_run(&out, "%s --data-dir %s db compact", ctl, dir);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "expected 'stat' or 'upgrade', not 'compact'"),
		      out);
	free(out);
}

/* Run numbers make client ids unique across restarts: each open of the
 * account's store takes the next, and a reader cannot take one. */
Test(store, run_numbers_survive_restarts)
{
	struct trd_store *s;
	uint64_t a = 0, b = 0, c = 0;

	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_CREATE, NULL), 0);
	cr_assert_eq(trd_store_next_run(s, &a), 0);
	cr_assert_eq(trd_store_next_run(s, &b), 0);
	trd_store_close(s);
	cr_assert_eq(trd_store_open(&s, dir, 0, NULL), 0);
	cr_assert_eq(trd_store_next_run(s, &c), 0);
	trd_store_close(s);
	cr_assert(a == 1 && b == 2 && c == 3, "%llu %llu %llu",
		  (unsigned long long)a, (unsigned long long)b,
		  (unsigned long long)c);
	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_RDONLY, NULL), 0);
	cr_assert_eq(trd_store_next_run(s, &c), -EROFS);
	trd_store_close(s);
}
