/*
 * Datasets, labels, purging and embargo, training and the model file
 * (daemon/dataset.c, train.c, model.c), in process:
 *
 *   labels      sign, fwd_return and triple_barrier on hand-made bars:
 *               every value, t0 and t1, and the rows dropped;
 *   splits      a hand-made series whose overlapping label intervals are
 *               known: exactly which rows each fold trains on, purges and
 *               embargoes (k-fold, walk-forward expanding and rolling);
 *               then a property over random series: no training row's
 *               interval overlaps a test row's, and every row is
 *               accounted for;
 *   lookahead   bars changed after t change no feature of a row up to t,
 *               no label whose interval ends before t, no prediction;
 *   files       determinism (bytes), round trips, and refusals of
 *               corrupt, truncated or NaN-holding files with their line
 *               or row.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "model.h"
#include "train.h"

#define MIN_NS (60 * 1000000000LL)
#define SHA                                                                \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct trd_bar
bar(size_t i, int64_t o, int64_t h, int64_t l, int64_t c)
{
	return (struct trd_bar){ .ts_ns = (int64_t)i * MIN_NS, .open = o,
				 .high = h, .low = l, .close = c,
				 .volume = 100, .tf_s = 60 };
}

static void
build(const struct trd_bar *b, size_t n, const char *const *feat, uint32_t nf,
      const char *label, struct trd_dataset *ds)
{
	char names[8][TRD_FEATURE_NAME_MAX], err[256];
	struct trd_label L;

	cr_assert(nf <= 8);
	for (uint32_t i = 0; i < nf; i++)
		snprintf(names[i], sizeof(names[i]), "%s", feat[i]);
	cr_assert_eq(trd_label_parse(label, &L, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(trd_dataset_build(b, n, 2, 0, names, nf, &L, ds, err,
				       sizeof(err)),
		     0, "%s", err);
	snprintf(ds->symbol, sizeof(ds->symbol), "TEST");
}

/* ---- labels ---- */

Test(labels, parse)
{
	struct trd_label L;
	char err[256];

	cr_assert_eq(trd_label_parse("sign(10)", &L, err, sizeof(err)), 0);
	cr_assert_eq(L.h, 10);
	cr_assert_eq(trd_label_parse("triple_barrier( 20, 50 ,40)", &L, err,
				     sizeof(err)),
		     0);
	cr_assert_str_eq(L.text, "triple_barrier(20,50,40)");
	cr_assert_eq(L.up_bps, 50);
	cr_assert_eq(L.dn_bps, 40);
	cr_assert_neq(trd_label_parse("sign(0)", &L, err, sizeof(err)), 0);
	cr_assert(strstr(err, "sign(h)") != NULL, "%s", err);
	cr_assert_neq(trd_label_parse("sign(2,3)", &L, err, sizeof(err)), 0);
	cr_assert_neq(trd_label_parse("up(2)", &L, err, sizeof(err)), 0);
	cr_assert_neq(trd_label_parse("triple_barrier(5,10,10000)", &L, err,
				      sizeof(err)),
		      0);
	cr_assert(strstr(err, "under 10000") != NULL, "%s", err);
	cr_assert_neq(trd_label_parse("fwd_return(3)x", &L, err, sizeof(err)),
		      0);
}

/* Closes 100.00 101.00 99.00 102.00 102.00 98.00 (scale 2), highs and
 * lows 0.50 around them except where a bar reaches a barrier. */
static void
six_bars(struct trd_bar *b)
{
	static const int64_t c[6] = { 10000, 10100, 9900, 10200, 10200, 9800 };

	for (size_t i = 0; i < 6; i++)
		b[i] = bar(i, i ? c[i - 1] : c[0], c[i] + 50, c[i] - 50, c[i]);
}

Test(labels, sign_and_fwd_return)
{
	struct trd_bar b[6];
	struct trd_dataset ds;
	const char *f[] = { "sma(1)" };

	six_bars(b);
	build(b, 6, f, 1, "sign(2)", &ds);
	/* Rows 0..3 have a label; 4 and 5 would need bars 6 and 7. */
	cr_assert_eq(ds.nrows, 4);
	cr_assert_eq(ds.dropped_no_label, 2);
	cr_assert_eq(ds.dropped_not_ready, 0);
	/* c2 > c0? 99 > 100 no; c3 > c1 yes; c4 > c2 yes; c5 > c3 no. */
	cr_assert(ds.y[0] == 0 && ds.y[1] == 1 && ds.y[2] == 1 && ds.y[3] == 0);
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(ds.t0[i], (int64_t)(i + 1) * MIN_NS,
			     "t0 is the close of bar %zu", i);
		cr_assert_eq(ds.t1[i], (int64_t)(i + 3) * MIN_NS,
			     "t1 is the close of bar %zu", i + 2);
		cr_assert(ds.x[i] == b[i].close / 100.0);
	}
	trd_dataset_free(&ds);
	build(b, 6, f, 1, "fwd_return(1)", &ds);
	cr_assert_eq(ds.nrows, 5);
	cr_assert(ds.y[0] == 100.0 / 10000, "%.17g", ds.y[0]);
	cr_assert(ds.y[1] == -200.0 / 10100);
	cr_assert(ds.y[3] == 0);
	trd_dataset_free(&ds);
}

Test(labels, triple_barrier)
{
	struct trd_bar b[6];
	struct trd_dataset ds;
	const char *f[] = { "sma(1)" };

	six_bars(b);
	/* 150 bps barriers from each close, 3 bars ahead. */
	build(b, 6, f, 1, "triple_barrier(3,150,150)", &ds);
	cr_assert_eq(ds.nrows, 3);
	/* Row 0 (100.00): up 101.50, down 98.50.  Bar 1 high 101.50
	 * touches the upper barrier: 1, decided at bar 1's close. */
	cr_assert(ds.y[0] == 1);
	cr_assert_eq(ds.t1[0], 2 * MIN_NS);
	/* Row 1 (101.00): up 102.515, down 99.485; bar 2 low 98.50: 0 at
	 * bar 2. */
	cr_assert(ds.y[1] == 0);
	cr_assert_eq(ds.t1[1], 3 * MIN_NS);
	/* Row 2 (99.00): up 100.485 (bar 3 high 102.50), down 97.515: 1 at
	 * bar 3. */
	cr_assert(ds.y[2] == 1);
	cr_assert_eq(ds.t1[2], 4 * MIN_NS);
	trd_dataset_free(&ds);
	/* Both barriers inside one bar: 0, the conservative reading. */
	b[1].high = 10300;
	b[1].low = 9700;
	build(b, 6, f, 1, "triple_barrier(3,150,150)", &ds);
	cr_assert(ds.y[0] == 0);
	trd_dataset_free(&ds);
	/* Barriers out of reach: the sign at the horizon, t1 its close. */
	build(b, 6, f, 1, "triple_barrier(2,9000,9000)", &ds);
	cr_assert(ds.y[1] == 1 && ds.t1[1] == 4 * MIN_NS); /* 102 > 101 */
	trd_dataset_free(&ds);
}

Test(labels, rows_with_a_cold_feature_are_dropped)
{
	struct trd_bar b[40];
	struct trd_dataset ds;
	const char *f[] = { "sma(5)", "rsi(14)" };

	for (size_t i = 0; i < 40; i++)
		b[i] = bar(i, 1000, 1010 + (int64_t)i, 990, 1000 + (int64_t)i % 7);
	build(b, 40, f, 2, "sign(1)", &ds);
	/* rsi(14) is ready from bar 14 on; bar 39 has no label. */
	cr_assert_eq(ds.dropped_not_ready, 14);
	cr_assert_eq(ds.dropped_no_label, 1);
	cr_assert_eq(ds.nrows, 25);
	cr_assert_eq(ds.t0[0], 15 * MIN_NS);
	trd_dataset_free(&ds);
}

/* ---- splits ---- */

/* 12 rows a minute apart, t1 = t0 + 2 min, but row 3's runs to t0 + 6
 * (it envelops the start of the next fold). */
static void
hand_series(struct trd_dataset *ds, int64_t *t0, int64_t *t1, double *y,
	    double *x)
{
	static char names[1][TRD_FEATURE_NAME_MAX] = { "sma(1)" };

	for (int i = 0; i < 12; i++) {
		t0[i] = i * MIN_NS;
		t1[i] = (i + (i == 3 ? 6 : 2)) * MIN_NS;
		y[i] = i % 2;
		x[i] = i;
	}
	*ds = (struct trd_dataset){ .nfeat = 1, .names = names, .nrows = 12,
				    .t0 = t0, .t1 = t1, .y = y, .x = x,
				    .tf_s = 60 };
}

static void
expect_fold(const struct trd_fold *f, size_t lo, size_t hi,
	    const uint32_t *train, size_t ntrain, size_t purged,
	    size_t embargoed)
{
	cr_assert_eq(f->test_lo, lo);
	cr_assert_eq(f->test_hi, hi);
	cr_assert_eq(f->ntrain, ntrain, "fold [%zu,%zu): %zu training rows, "
		     "want %zu", lo, hi, f->ntrain, ntrain);
	for (size_t i = 0; i < ntrain; i++)
		cr_assert_eq(f->train[i], train[i], "fold [%zu,%zu) training "
			     "row %zu is %u, want %u", lo, hi, i, f->train[i],
			     train[i]);
	cr_assert_eq(f->purged, purged, "fold [%zu,%zu) purged %zu, want %zu",
		     lo, hi, f->purged, purged);
	cr_assert_eq(f->embargoed, embargoed, "fold [%zu,%zu) embargoed %zu",
		     lo, hi, f->embargoed);
}

Test(splits, purged_kfold_removes_exactly_the_overlaps_and_the_embargo)
{
	int64_t t0[12], t1[12];
	double y[12], x[12];
	struct trd_dataset ds;
	struct trd_cv_opts o;
	struct trd_fold *f;
	size_t n;
	char err[256];
	static const uint32_t f1[] = { 10, 11 }, f2[] = { 0, 1, 10, 11 },
			      f3[] = { 0, 1, 2, 4, 5 };

	hand_series(&ds, t0, t1, y, x);
	cr_assert_eq(trd_cv_parse("purged_kfold:k=3,embargo=1", &o, err,
				  sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(trd_cv_split(&ds, &o, &f, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 3);
	/* Fold 1, rows 0-3, spans minutes 0..9 (row 3 ends at 9): row 4 is
	 * embargoed, rows 5-9 start inside the span. */
	expect_fold(&f[0], 0, 4, f1, 2, 5, 1);
	/* Fold 2, rows 4-7, spans 4..9: rows 2 and 3 end inside it, row 8
	 * is embargoed, row 9 starts at its end. */
	expect_fold(&f[1], 4, 8, f2, 4, 3, 1);
	/* Fold 3, rows 8-11, spans 8..13: rows 3, 6, 7 end inside it. */
	expect_fold(&f[2], 8, 12, f3, 5, 3, 0);
	trd_folds_free(f, n);
}

Test(splits, walk_forward_trains_on_the_past_without_overlaps)
{
	int64_t t0[12], t1[12];
	double y[12], x[12];
	struct trd_dataset ds;
	struct trd_cv_opts o;
	struct trd_fold *f;
	size_t n;
	char err[256];
	static const uint32_t a1[] = { 0, 1 }, a2[] = { 0, 1, 2, 4, 5 },
			      r2[] = { 4, 5 };

	hand_series(&ds, t0, t1, y, x);
	cr_assert_eq(trd_cv_parse("walk_forward:train=4,test=4", &o, err,
				  sizeof(err)),
		     0);
	cr_assert_eq(trd_cv_split(&ds, &o, &f, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 2);
	expect_fold(&f[0], 4, 8, a1, 2, 2, 0);
	expect_fold(&f[1], 8, 12, a2, 5, 3, 0);
	trd_folds_free(f, n);
	cr_assert_eq(trd_cv_parse("walk_forward:train=4,test=4,rolling", &o,
				  err, sizeof(err)),
		     0);
	cr_assert_eq(trd_cv_split(&ds, &o, &f, &n, err, sizeof(err)), 0);
	expect_fold(&f[1], 8, 12, r2, 2, 2, 0);
	trd_folds_free(f, n);
	/* Step 2: test windows [4,8) and [6,10); [8,12) too. */
	cr_assert_eq(trd_cv_parse("walk_forward:train=4,test=4,step=2", &o,
				  err, sizeof(err)),
		     0);
	cr_assert_eq(trd_cv_split(&ds, &o, &f, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(f[1].test_lo, 6);
	trd_folds_free(f, n);
	cr_assert_neq(trd_cv_parse("walk_forward:test=4", &o, err,
				   sizeof(err)),
		      0);
	cr_assert_neq(trd_cv_parse("purged_kfold:k=1", &o, err, sizeof(err)),
		      0);
	cr_assert_neq(trd_cv_parse("kfold:k=3", &o, err, sizeof(err)), 0);
	cr_assert_eq(trd_cv_parse("walk_forward:train=40,test=40", &o, err,
				  sizeof(err)),
		     0);
	cr_assert_neq(trd_cv_split(&ds, &o, &f, &n, err, sizeof(err)), 0);
	cr_assert(strstr(err, "not enough") != NULL, "%s", err);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* On random series and random splits: no training row's label interval
 * overlaps any test row's, and the test, training, purged and embargoed
 * rows account for every candidate exactly once. */
Test(splits, no_training_interval_overlaps_a_test_interval)
{
	static char names[1][TRD_FEATURE_NAME_MAX] = { "sma(1)" };
	uint64_t seed = 12345;
	size_t checked = 0, purged = 0;

	for (int round = 0; round < 300; round++) {
		size_t n = 50 + rnd(&seed) % 350, nf;
		int64_t *t0 = malloc(n * sizeof(*t0)), *t1 = malloc(n * 8);
		double *y = calloc(n, 8), *x = calloc(n, 8);
		struct trd_dataset ds = { .nfeat = 1, .names = names,
					  .nrows = n, .t0 = t0, .t1 = t1,
					  .y = y, .x = x };
		struct trd_cv_opts o = { 0 };
		struct trd_fold *f;
		char err[256];
		int64_t t = 0;

		for (size_t i = 0; i < n; i++) {
			t += (int64_t)(1 + rnd(&seed) % 3);
			t0[i] = t;
			t1[i] = t + 1 + (int64_t)(rnd(&seed) % 40);
		}
		if (round % 2) {
			o.kind = TRD_CV_PURGED_KFOLD;
			o.k = 2 + (uint32_t)(rnd(&seed) % 9);
		} else {
			o.kind = TRD_CV_WALK_FORWARD;
			o.train = 10 + rnd(&seed) % (n / 3);
			o.test = 5 + rnd(&seed) % (n / 4);
			o.step = 1 + rnd(&seed) % o.test;
			o.rolling = (int)(rnd(&seed) % 2);
		}
		o.embargo = rnd(&seed) % 12;
		cr_assert_eq(trd_cv_split(&ds, &o, &f, &nf, err, sizeof(err)),
			     0, "round %d: %s", round, err);
		for (size_t k = 0; k < nf; k++) {
			const struct trd_fold *fo = &f[k];
			size_t cand = o.kind == TRD_CV_PURGED_KFOLD
					      ? n - (fo->test_hi - fo->test_lo)
					      : (o.rolling ? o.train
							   : fo->test_lo);
			cr_assert_eq(fo->ntrain + fo->purged + fo->embargoed,
				     cand, "round %d fold %zu: rows lost",
				     round, k);
			for (size_t a = 0; a < fo->ntrain; a++) {
				size_t i = fo->train[a];
				cr_assert(i < fo->test_lo || i >= fo->test_hi);
				cr_assert(a == 0 || fo->train[a - 1] < i);
				for (size_t j = fo->test_lo; j < fo->test_hi;
				     j++)
					cr_assert(t1[i] < t0[j] ||
						  t0[i] > t1[j],
						  "round %d fold %zu: train "
						  "row %zu [%lld,%lld] overlaps "
						  "test row %zu [%lld,%lld]",
						  round, k, i,
						  (long long)t0[i],
						  (long long)t1[i], j,
						  (long long)t0[j],
						  (long long)t1[j]);
				checked++;
			}
			purged += fo->purged;
		}
		trd_folds_free(f, nf);
		free(t0);
		free(t1);
		free(y);
		free(x);
	}
	cr_assert_gt(checked, 10000);
	cr_assert_gt(purged, 1000, "the series overlap (%zu purged)", purged);
}

/* ---- lookahead ---- */

static struct trd_bar *
walk(size_t n, uint64_t seed)
{
	struct trd_bar *b = calloc(n, sizeof(*b));
	int64_t c = 100000;

	for (size_t i = 0; i < n; i++) {
		int64_t o = c;
		c += (int64_t)(rnd(&seed) % 401) - 200;
		b[i] = bar(i, o, (o > c ? o : c) + (int64_t)(rnd(&seed) % 90),
			   (o < c ? o : c) - (int64_t)(rnd(&seed) % 90), c);
		b[i].volume = 1 + (int64_t)(rnd(&seed) % 1000);
	}
	return b;
}

static int
same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

Test(lookahead, changing_bars_after_t_changes_nothing_up_to_t)
{
	const size_t N = 4000, K = 2500; /* bars after K are changed */
	const char *f[] = { "rsi(14)", "bb(20,2).pctb", "regime(14,200).label",
			    "vol_pct(20,300)", "macd(12,26,9).hist",
			    "vwap_z(30)" };
	const char *labels[] = { "sign(10)", "fwd_return(5)",
				 "triple_barrier(20,80,60)" };
	struct trd_bar *a = walk(N, 77), *b = walk(N, 77);
	int64_t T = a[K].ts_ns + 60 * 1000000000LL; /* bar K's close */
	struct trd_train_opts to = { .solver = 0, .C = 1, .seed = 1 };
	char err[256];

	for (size_t i = K + 1; i < N; i++) {
		b[i].close = b[i].close * 2 + 7;
		b[i].high = b[i].close + 500;
		b[i].low = b[i].close / 3;
		b[i].volume *= 9;
	}
	for (int l = 0; l < 3; l++) {
		struct trd_dataset da, db;
		struct trd_model m;
		size_t same_rows = 0, labels_kept = 0;

		build(a, N, f, 6, labels[l], &da);
		build(b, N, f, 6, labels[l], &db);
		if (l != 1)
			cr_assert_eq(trd_train(&da, NULL, 0, &to, "", &m, err,
					       sizeof(err)),
				     0, "%s", err);
		for (size_t i = 0; i < da.nrows && da.t0[i] <= T; i++) {
			cr_assert_eq(db.t0[i], da.t0[i]);
			for (uint32_t k = 0; k < 6; k++)
				cr_assert(same(da.x[i * 6 + k], db.x[i * 6 + k]),
					  "%s at row %zu changed", f[k], i);
			if (da.t1[i] < T) {
				cr_assert(da.y[i] == db.y[i] &&
					  da.t1[i] == db.t1[i],
					  "%s of row %zu (ends before t) "
					  "changed", labels[l], i);
				labels_kept++;
			}
			if (l != 1)
				cr_assert(trd_model_predict(&m, da.x + i * 6) ==
					  trd_model_predict(&m, db.x + i * 6));
			same_rows++;
		}
		cr_assert_gt(same_rows, 1500);
		cr_assert_gt(labels_kept, 1500);
		/* The change is seen after t. */
		cr_assert(memcmp(da.x + (da.nrows - 1) * 6,
				 db.x + (db.nrows - 1) * 6, 6 * 8) != 0);
		if (l != 1)
			trd_model_free(&m);
		trd_dataset_free(&da);
		trd_dataset_free(&db);
	}
	free(a);
	free(b);
}

/* ---- files ---- */

static void
small_dataset(struct trd_dataset *ds)
{
	struct trd_bar *b = walk(3000, 5);
	const char *f[] = { "rsi(14)", "zscore(30)", "roc(10)", "er(20)" };

	build(b, 3000, f, 4, "sign(5)", ds);
	ds->tf_s = 60;
	free(b);
}

/* The CSV form: a header, then every row's t0, t1 (Unix seconds), label
 * and features, each reading back as the value. */
Test(files, csv_rows_read_back)
{
	struct trd_dataset d;
	char *out, *line, *next;
	size_t len, i = 0;

	small_dataset(&d);
	cr_assert_eq(trd_dataset_encode(&d, 1, &out, &len), 0);
	cr_assert_eq(strlen(out), len, "a NUL byte in the CSV");
	line = out;
	next = strchr(line, '\n');
	cr_assert_not_null(next);
	*next = '\0';
	cr_assert_str_eq(line, "t0,t1,label,rsi(14),zscore(30),roc(10),er(20)");
	for (line = next + 1; *line; line = next + 1, i++) {
		char *p = line, *e;

		next = strchr(line, '\n');
		cr_assert_not_null(next);
		*next = '\0';
		cr_assert_lt(i, d.nrows);
		cr_assert_eq(strtoll(p, &e, 10) * 1000000000LL, d.t0[i],
			     "row %zu: %s", i, line);
		cr_assert_eq(*e, ',', "row %zu: %s", i, line);
		cr_assert_eq(strtoll(e + 1, &e, 10) * 1000000000LL, d.t1[i],
			     "row %zu: %s", i, line);
		cr_assert_eq(strtod(e + 1, &e), d.y[i], "row %zu: %s", i, line);
		for (uint32_t f = 0; f < d.nfeat; f++) {
			cr_assert_eq(*e, ',', "row %zu: %s", i, line);
			cr_assert_eq(strtod(e + 1, &e), d.x[i * d.nfeat + f],
				     "row %zu feature %u: %s", i, f, line);
		}
		cr_assert_eq(*e, '\0', "row %zu: %s", i, line);
	}
	cr_assert_eq(i, d.nrows);
	free(out);
	trd_dataset_free(&d);
}

Test(files, same_inputs_same_bytes)
{
	struct trd_dataset d1, d2, back;
	struct trd_train_opts o = { .solver = 7, .C = 0.5, .seed = 42 };
	struct trd_model m1, m2;
	char *a, *b, *ma, *mb, err[256];
	size_t la, lb;

	small_dataset(&d1);
	small_dataset(&d2);
	cr_assert_eq(trd_dataset_encode(&d1, 0, &a, &la), 0);
	cr_assert_eq(trd_dataset_encode(&d2, 0, &b, &lb), 0);
	cr_assert(la == lb && memcmp(a, b, la) == 0, "datasets differ");
	cr_assert_eq(trd_dataset_decode(a, la, &back, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(back.nrows, d1.nrows);
	cr_assert(memcmp(back.x, d1.x, d1.nrows * d1.nfeat * 8) == 0);
	cr_assert_str_eq(back.label.text, "sign(5)");
	/* The dual solver shuffles with rand(): seeded, it repeats. */
	cr_assert_eq(trd_train(&d1, NULL, 0, &o, SHA, &m1, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(trd_train(&back, NULL, 0, &o, SHA, &m2, err,
			       sizeof(err)),
		     0);
	ma = trd_model_format(&m1);
	mb = trd_model_format(&m2);
	cr_assert_str_eq(ma, mb);
	trd_model_free(&m2);
	cr_assert_eq(trd_model_parse(ma, strlen(ma), &m2, err, sizeof(err)),
		     0, "%s", err);
	for (size_t i = 0; i < d1.nrows; i += 97)
		cr_assert(trd_model_predict(&m1, d1.x + i * 4) ==
			  trd_model_predict(&m2, d1.x + i * 4),
			  "the file keeps every bit");
	free(ma);
	free(mb);
	free(a);
	free(b);
	trd_model_free(&m1);
	trd_model_free(&m2);
	trd_dataset_free(&d1);
	trd_dataset_free(&d2);
	trd_dataset_free(&back);
}

static void
expect_model_error(const char *text, const char *want)
{
	struct trd_model m;
	char err[320];

	cr_assert_neq(trd_model_parse(text, strlen(text), &m, err,
				      sizeof(err)),
		      0, "accepted: %s", text);
	cr_assert(strstr(err, want) != NULL, "'%s' not in '%s'", want, err);
}

Test(files, bad_models_are_refused_with_the_line)
{
	struct trd_dataset ds;
	struct trd_train_opts o = { .solver = 0, .C = 1, .seed = 1 };
	struct trd_model m;
	char err[320], *t, *p, *bad;

	small_dataset(&ds);
	cr_assert_eq(trd_train(&ds, NULL, 0, &o,
			       "0123456789abcdef0123456789abcdef"
			       "0123456789abcdef0123456789abcdef",
			       &m, err, sizeof(err)),
		     0, "%s", err);
	t = trd_model_format(&m);
	trd_model_free(&m);
	/* Truncated anywhere: refused. */
	for (size_t n = 0; n < strlen(t); n += 7) {
		cr_assert_neq(trd_model_parse(t, n, &m, err, sizeof(err)), 0,
			      "a %zu-byte prefix was accepted", n);
		cr_assert(strstr(err, "line ") != NULL, "%s", err);
	}
	expect_model_error("traderd-model 2\n", "format '2'");
	expect_model_error("hello\n", "line 1: expected 'traderd-model'");
	bad = strdup(t);
	p = strstr(bad, "f rsi(14)");
	memcpy(p, "f rsx(14)", 9);
	expect_model_error(bad, "not one feature output");
	free(bad);
	bad = strdup(t);
	p = strstr(bad, "\nbias ");
	p[6] = 'x';
	expect_model_error(bad, "bias is not a finite number");
	free(bad);
	bad = malloc(strlen(t) + 8);
	sprintf(bad, "%sjunk\n", t);
	expect_model_error(bad, "data after 'end'");
	free(bad);
	free(t);
	trd_dataset_free(&ds);
}

Test(files, a_dataset_with_nan_or_damage_is_refused)
{
	struct trd_dataset ds, back;
	char *buf, err[320];
	size_t len, hdr;
	double nan = NAN;

	small_dataset(&ds);
	cr_assert_eq(trd_dataset_encode(&ds, 0, &buf, &len), 0);
	hdr = 8 + 4 + 4 + 8 + 32 + 64 + 4 * TRD_FEATURE_NAME_MAX;
	/* Row 3, feature 2 (zscore(30)): t0, t1, y, then x. */
	memcpy(buf + hdr + 2 * (24 + 32) + 24 + 8, &nan, 8);
	cr_assert_neq(trd_dataset_decode(buf, len, &back, err, sizeof(err)),
		      0);
	cr_assert_str_eq(err, "row 3: feature zscore(30) is NaN");
	cr_assert_neq(trd_dataset_decode(buf, len - 5, &back, err,
					 sizeof(err)),
		      0);
	cr_assert(strstr(err, "truncated") != NULL, "%s", err);
	cr_assert_neq(trd_dataset_decode("t0,t1,label\n", 12, &back, err,
					 sizeof(err)),
		      0);
	cr_assert(strstr(err, "not a traderd dataset") != NULL, "%s", err);
	free(buf);
	trd_dataset_free(&ds);
}

Test(files, manifest_describes_its_dataset)
{
	struct trd_dataset ds;
	char *buf, *man, sha[65], err[320];
	size_t len;

	small_dataset(&ds);
	cr_assert_eq(trd_dataset_encode(&ds, 0, &buf, &len), 0);
	trd_sha256_hex(buf, len, sha);
	man = trd_dataset_manifest(&ds, "x.bin", sha);
	cr_assert_not_null(man);
	cr_assert_eq(trd_manifest_check(man, strlen(man), &ds, sha, err,
					sizeof(err)),
		     0, "%s", err);
	cr_assert(strstr(man, "\"rows\":\t2976") != NULL ||
		  strstr(man, "\"rows\"") != NULL);
	buf[len - 1] ^= 1;
	trd_sha256_hex(buf, len, sha);
	cr_assert_neq(trd_manifest_check(man, strlen(man), &ds, sha, err,
					 sizeof(err)),
		      0);
	cr_assert(strstr(err, "changed since") != NULL, "%s", err);
	cr_assert_neq(trd_manifest_check("{", 1, &ds, sha, err, sizeof(err)),
		      0);
	free(man);
	free(buf);
	trd_dataset_free(&ds);
}

Test(files, scores_on_known_rows)
{
	/* A model with w = (1), mean 0, sd 1, bias 0 on x = score. */
	static char names[1][TRD_FEATURE_NAME_MAX] = { "sma(1)" };
	int64_t t0[4] = { 1, 2, 3, 4 }, t1[4] = { 2, 3, 4, 5 };
	double y[4] = { 0, 1, 0, 1 }, x[4] = { -2, -1, 1, 2 };
	struct trd_dataset ds = { .nfeat = 1, .names = names, .nrows = 4,
				  .t0 = t0, .t1 = t1, .y = y, .x = x };
	struct trd_model m = { 0 };
	struct trd_scores sc;

	cr_assert_eq(trd_model_alloc(&m, 1), 0);
	memcpy(m.names[0], "sma(1)", 7);
	m.sd[0] = m.isd[0] = 1;
	m.w[0] = 1;
	m.prob = 1;
	trd_score_rows(&m, &ds, 0, 4, &sc);
	/* Ranks of the 1s: 2 and 4 -> AUC (6 - 3) / 4. */
	cr_assert_float_eq(sc.auc, 0.75, 1e-15);
	cr_assert_float_eq(sc.accuracy, 0.5, 1e-15);
	cr_assert_float_eq(sc.logloss,
			   -(log(1 - 1 / (1 + exp(2))) +
			     log(1 / (1 + exp(1))) + log(1 - 1 / (1 + exp(-1))) +
			     log(1 / (1 + exp(-2)))) / 4,
			   1e-12);
	trd_model_free(&m);
}

Test(files, psi_of_known_counts)
{
	const double tenth[10] = { .1, .1, .1, .1, .1, .1, .1, .1, .1, .1 };
	const double tied[10] = { .2, 0, .1, .1, .1, .1, .1, .1, .1, .1 };
	uint32_t same[10] = { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 };
	uint32_t shift[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 50, 50 };
	double want = 8 * (1e-4 - .1) * log(1e-4 / .1) +
		      2 * (.5 - .1) * log(.5 / .1);

	cr_assert_float_eq(trd_psi(same, 100, tenth), 0, 1e-15);
	cr_assert_float_eq(trd_psi(shift, 100, tenth), want, 1e-12);
	/* Against tied deciles: the empty reference bin is no drift. */
	same[0] = 20;
	same[1] = 0;
	cr_assert_float_eq(trd_psi(same, 100, tied), 0, 1e-15);
	cr_assert(isnan(trd_psi(same, 0, tenth)));
	cr_assert_eq(trd_model_bin(tied, -1), 0);
}

Test(files, deciles_of_the_training_rows_are_saved)
{
	struct trd_dataset ds;
	struct trd_train_opts o = { .solver = 0, .C = 1, .seed = 1 };
	struct trd_model m;
	char err[256];

	small_dataset(&ds);
	cr_assert_eq(trd_train(&ds, NULL, 0, &o, SHA, &m, err, sizeof(err)), 0);
	for (uint32_t f = 0; f <= m.nfeat; f++) {
		uint32_t cnt[10] = { 0 };
		double sum = 0;
		for (size_t i = 0; i < ds.nrows; i++) {
			double v = f < m.nfeat ? ds.x[i * 4 + f]
					       : trd_model_score(&m, ds.x + i * 4);
			cnt[trd_model_bin(m.q[f], v)]++;
		}
		for (int b = 0; b < 10; b++) {
			cr_assert_float_eq(m.qe[f][b],
					   (double)cnt[b] / ds.nrows, 1e-15);
			sum += m.qe[f][b];
		}
		cr_assert_float_eq(sum, 1, 1e-12);
		/* The training rows against themselves: no drift. */
		cr_assert_float_eq(trd_psi(cnt, (uint32_t)ds.nrows, m.qe[f]), 0,
				   1e-12);
	}
	trd_model_free(&m);
	trd_dataset_free(&ds);
}
