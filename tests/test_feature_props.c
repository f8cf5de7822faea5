/*
 * The feature engine's properties: no lookahead (bars, quotes, trades),
 * isolation between instances, long-run exactness, bad and canonical
 * names, warm-up and the history rings.  The references themselves are
 * test_features.c; what both use is feature_ref.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "feature.h"
#include "helpers.h"
#include "feature_ref.h"

/* ------------------------------------------------------------------ */
/* 3. No lookahead                                                     */
/* ------------------------------------------------------------------ */

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* The values up to bar k do not depend on anything after it: replay with
 * the future replaced (another walk), perturbed (the same bars, prices and
 * volumes nudged), extended, or cut off. */
Test(properties, no_lookahead_bars)
{
	const char *names[NRDEFS];
	struct series base, alt;
	struct rng r = { 4242 };
	double *v0;
	const size_t n = 900;

	for (size_t f = 0; f < NRDEFS; f++)
		names[f] = rdefs[f].name;
	make_synthetic(&base, n, 99, 1);
	v0 = run_bars(&base, names, NRDEFS);
	for (int trial = 0; trial < 8; trial++) {
		size_t k = 60 + (size_t)(rnd(&r) % (n - 120));
		struct series fut;
		double *v1;

		memset(&alt, 0, sizeof(alt));
		alt.pdp = alt.qdp = 8;
		for (size_t i = 0; i <= k; i++)
			series_push(&alt, base.b[i].open, base.b[i].high,
				    base.b[i].low, base.b[i].close,
				    base.b[i].volume);
		make_synthetic(&fut, n + 300, 1000 + (uint64_t)trial, 1);
		for (size_t i = k + 1; i < n + (trial % 4 == 2 ? 300 : 0);
		     i++) {
			struct trd_bar b = trial % 4 == 1 ? base.b[i] : fut.b[i];
			if (trial % 4 == 1) {
				int64_t d = rnd_in(&r, -5000000, 5000000);
				b.close += d;
				b.high += d + rnd_in(&r, 0, 1000);
				b.low += d - rnd_in(&r, 0, 1000);
				b.volume = rnd_in(&r, 0, 100000000);
			}
			if (trial % 4 == 3)
				break; /* cut at k */
			series_push(&alt, b.open, b.high, b.low, b.close,
				    b.volume);
		}
		series_finish(&alt);
		v1 = run_bars(&alt, names, NRDEFS);
		for (size_t i = 0; i <= k; i++)
			for (size_t f = 0; f < NRDEFS; f++)
				cr_assert(same_bits(v0[i * NRDEFS + f],
						    v1[i * NRDEFS + f]),
					  "trial %d, cut %zu: %s at bar %zu "
					  "changed from %.17g to %.17g", trial,
					  k, names[f], i, v0[i * NRDEFS + f],
					  v1[i * NRDEFS + f]);
		free(v1);
		series_free(&fut);
		series_free(&alt);
	}
	free(v0);
	series_free(&base);
}

/* Quotes and trades: the same, with the microstructure features. */
Test(properties, no_lookahead_quotes_trades)
{
	static const char *const tnames[] = { "trade_imbalance(1)",
					      "trade_imbalance(7)",
					      "trade_imbalance(50)" };
	const size_t n = 600;
	struct rng r = { 31337 };
	struct trd_quote *q0 = calloc(n, sizeof(*q0)), *q1 = calloc(n, sizeof(*q1));
	struct trd_trade *t0 = calloc(n, sizeof(*t0)), *t1 = calloc(n, sizeof(*t1));
	double *vq = malloc(n * NQNAMES * sizeof(double));
	double *vt = malloc(n * 3 * sizeof(double));

	cr_assert(q0 && q1 && t0 && t1 && vq && vt);
	for (size_t i = 0; i < n; i++) {
		int64_t b = 100000 + rnd_in(&r, -30, 30);
		q0[i] = (struct trd_quote){ .size = sizeof(struct trd_quote),
					    .bid = b,
					    .ask = b + rnd_in(&r, 1, 4),
					    .bid_qty = rnd_in(&r, 0, 5000),
					    .ask_qty = rnd_in(&r, 0, 5000) };
		t0[i] = (struct trd_trade){ .size = sizeof(struct trd_trade),
					    .price = b,
					    .qty = rnd_in(&r, 0, 900),
					    .aggressor = (uint32_t)rnd_in(&r, 0, 2) };
	}
	for (int trial = -1; trial < 8; trial++) {
		size_t k = trial < 0 ? n - 1 : 20 + (size_t)(rnd(&r) % (n - 40));
		struct trd_fset *fs = NULL;
		const double *pq[NQNAMES], *pt[3];

		memcpy(q1, q0, n * sizeof(*q1));
		memcpy(t1, t0, n * sizeof(*t1));
		for (size_t i = k + 1; i < n; i++) {
			q1[i].bid += rnd_in(&r, -20, 20);
			q1[i].ask = q1[i].bid + rnd_in(&r, 1, 9);
			q1[i].bid_qty = rnd_in(&r, 0, 9000);
			t1[i].qty = rnd_in(&r, 0, 9000);
			t1[i].aggressor = (uint32_t)rnd_in(&r, 0, 2);
		}
		cr_assert_eq(trd_fset_new(&fs, 2, 0, 4), 0);
		for (size_t f = 0; f < NQNAMES; f++)
			pq[f] = add_ok(fs, qnames[f]);
		for (size_t f = 0; f < 3; f++)
			pt[f] = add_ok(fs, tnames[f]);
		for (size_t i = 0; i < n; i++) {
			trd_fset_quote(fs, &q1[i]);
			trd_fset_trade(fs, &t1[i]);
			for (size_t f = 0; f < NQNAMES; f++) {
				if (trial < 0)
					vq[i * NQNAMES + f] = *pq[f];
				else if (i <= k)
					cr_assert(same_bits(vq[i * NQNAMES + f],
							    *pq[f]),
						  "%s changed at %zu (cut %zu)",
						  qnames[f], i, k);
			}
			for (size_t f = 0; f < 3; f++) {
				if (trial < 0)
					vt[i * 3 + f] = *pt[f];
				else if (i <= k)
					cr_assert(same_bits(vt[i * 3 + f], *pt[f]),
						  "%s changed at %zu (cut %zu)",
						  tnames[f], i, k);
			}
		}
		trd_fset_free(fs);
	}
	free(q0);
	free(q1);
	free(t0);
	free(t1);
	free(vq);
	free(vt);
}

/* One feature's values do not depend on the others in the set, on the
 * order they were added, or on quotes and trades arriving between bars. */
Test(properties, isolation)
{
	const char *names[NRDEFS];
	struct series s;
	double *all;
	struct rng r = { 5 };

	for (size_t f = 0; f < NRDEFS; f++)
		names[f] = rdefs[f].name;
	make_synthetic(&s, 700, 123, 1);
	all = run_bars(&s, names, NRDEFS);
	/* Each alone, in a set that also gets quotes and trades. */
	for (size_t f = 0; f < NRDEFS; f++) {
		struct trd_fset *fs = NULL;
		const double *p, *o1, *o2;
		char err[256];

		cr_assert_eq(trd_fset_new(&fs, 8, 8, 4), 0);
		o1 = trd_fset_add(fs, "ofi(3)", err, sizeof(err));
		p = trd_fset_add(fs, names[f], err, sizeof(err));
		o2 = trd_fset_add(fs, "trade_imbalance(3)", err, sizeof(err));
		cr_assert(p && o1 && o2);
		for (size_t i = 0; i < s.n; i++) {
			struct trd_quote q = { .size = sizeof(q),
					       .bid = s.b[i].low,
					       .ask = s.b[i].high,
					       .bid_qty = rnd_in(&r, 1, 99),
					       .ask_qty = rnd_in(&r, 1, 99) };
			struct trd_trade t = { .size = sizeof(t),
					       .price = s.b[i].close,
					       .qty = rnd_in(&r, 1, 99),
					       .aggressor = TRD_SIDE_BUY };
			trd_fset_quote(fs, &q);
			trd_fset_trade(fs, &t);
			trd_fset_bar(fs, &s.b[i]);
			cr_assert(same_bits(*p, all[i * NRDEFS + f]),
				  "%s at bar %zu: %.17g alone, %.17g in the "
				  "full set", names[f], i, *p,
				  all[i * NRDEFS + f]);
		}
		trd_fset_free(fs);
	}
	free(all);
	series_free(&s);
}

/* ------------------------------------------------------------------ */
/* 4. Long-run exactness of the rolling variance and z-score            */
/* ------------------------------------------------------------------ */

/*
 * 10M bars of a random walk near 60000 at 8 decimals (steps up to 20.00,
 * reflected into [55000, 65000]; o = h = l = c, random volumes).  At every
 * 100,000th bar, the first few and the last 10, values are recomputed from
 * a ring of the last closes and volumes and must agree within 1e-9
 * relative:
 *   bb(20,2): the deviation (upper - mid) / 2 and mid, two-pass (exact
 *   integer sum, long double squares); zscore(20) the same way; sma(20);
 *   and, as the other rolling variances, vol(20) (log returns, two-pass in
 *   long double) and vwap_z(20) (exact integer sums, two-pass).
 * It takes about 4 s under AddressSanitizer and 1 s without, so the full
 * 10M run everywhere; STAB_BARS may be lowered with -D if a slower
 * sanitizer ever needs it.
 */
#ifndef STAB_BARS
#define STAB_BARS 10000000
#endif
#define STAB_N 20

Test(properties, long_run_variance_zscore, .timeout = 300)
{
	static const char *const names[] = { "bb(20,2).mid", "bb(20,2).upper",
					     "zscore(20)", "sma(20)",
					     "vol(20)", "vwap_z(20)" };
	struct trd_fset *fs = NULL;
	const double *p[6];
	struct rng r = { 0x60000 };
	int64_t ring[STAB_N + 1], vring[STAB_N], c = 6000000000000LL;
	const int64_t lo = 5500000000000LL, hi = 6500000000000LL;
	struct tally t_sd, t_mid, t_z, t_sma, t_vol, t_vz;

	cr_assert_eq(trd_fset_new(&fs, 8, 8, 4), 0);
	for (int f = 0; f < 6; f++)
		p[f] = add_ok(fs, names[f]);
	tally_init(&t_sd, "%d bars: bb(20,2) sd", STAB_BARS);
	tally_init(&t_mid, "%d bars: bb(20,2).mid", STAB_BARS);
	tally_init(&t_z, "%d bars: zscore(20)", STAB_BARS);
	tally_init(&t_sma, "%d bars: sma(20)", STAB_BARS);
	tally_init(&t_vol, "%d bars: vol(20)", STAB_BARS);
	tally_init(&t_vz, "%d bars: vwap_z(20)", STAB_BARS);
	for (size_t i = 0; i < STAB_BARS; i++) {
		struct trd_bar b = { .tf_s = 60 };

		c += rnd_in(&r, -2000000000, 2000000000);
		if (c > hi)
			c = 2 * hi - c;
		if (c < lo)
			c = 2 * lo - c;
		b.open = b.high = b.low = b.close = c;
		b.volume = rnd_in(&r, 1, 1000000000);
		ring[i % (STAB_N + 1)] = c;
		vring[i % STAB_N] = b.volume;
		trd_fset_bar(fs, &b);
		if (i >= STAB_N &&
		    (i % 100000 == 99999 || i + 10 >= STAB_BARS ||
		     i < STAB_N + 5)) {
			i128 S = 0, V = 0, S3 = 0;
			long double q = 0, qv = 0, m = 0, qr = 0, sd, z;
			/* The last 20 closes: bars i-19..i. */
			for (size_t j = i + 1 - STAB_N; j <= i; j++) {
				S += ring[j % (STAB_N + 1)];
				V += vring[j % STAB_N];
				S3 += (i128)3 * ring[j % (STAB_N + 1)] *
				      vring[j % STAB_N];
			}
			for (size_t j = i + 1 - STAB_N; j <= i; j++) {
				int64_t x = ring[j % (STAB_N + 1)];
				long double d = (long double)((i128)STAB_N * x - S);
				long double e = (long double)(3 * x * V - S3);
				q += d * d;
				qv += (long double)vring[j % STAB_N] * e * e;
				m += logl((long double)x /
					  (long double)ring[(j - 1) % (STAB_N + 1)]);
			}
			m /= STAB_N;
			for (size_t j = i + 1 - STAB_N; j <= i; j++) {
				long double rr = logl(
					(long double)ring[j % (STAB_N + 1)] /
					(long double)ring[(j - 1) % (STAB_N + 1)]) - m;
				qr += rr * rr;
			}
			q /= STAB_N;
			sd = sqrtl(q) / STAB_N / 1e8L;
			z = q > 0 ? (long double)((i128)STAB_N * c - S) / sqrtl(q)
				  : NAN_L;
			tally_add(&t_sd, i, (*p[1] - *p[0]) / 2, sd, 1e-9, 0);
			tally_add(&t_mid, i, *p[0],
				  (long double)S / STAB_N / 1e8L, 1e-9, 0);
			tally_add(&t_sma, i, *p[3],
				  (long double)S / STAB_N / 1e8L, 1e-9, 0);
			tally_add(&t_z, i, *p[2], z, 1e-9, 1e-12);
			tally_add(&t_vol, i, *p[4], sqrtl(qr / (STAB_N - 1)),
				  1e-9, 0);
			tally_add(&t_vz, i, *p[5],
				  qv > 0 ? (long double)(3 * (i128)c * V - S3) /
						   sqrtl(qv / (long double)V)
					 : NAN_L,
				  1e-9, 1e-12);
		}
	}
	tally_expect(&t_sd);
	tally_expect(&t_mid);
	tally_expect(&t_z);
	tally_expect(&t_sma);
	tally_expect(&t_vol);
	tally_expect(&t_vz);
	trd_fset_free(fs);
}

/*
 * The exact window at the documented limits: a 100,000-bar window
 * (TRD_FEATURE_MAX_N) at 12 decimals (TRD_MAX_DP), on an ordinary drift
 * (2000 -> 2400 over 150,000 bars, an ETH-like month of minutes).  The
 * window's values span 400 units = 4e14 scaled; its sums must stay exact.
 * sma, bb's deviation and zscore against a two-pass recomputation every
 * 10,000 bars, 1e-9 relative.  (Fails as the engine stands: after a
 * re-anchor the window's offsets exceed the bound the sums were sized for;
 * xwin's int64 s1 overflows, an abort under UBSan and, without it,
 * sma(100000) = 2318.30 for 2133.83.)
 */
#define WIDE_N 100000
#define WIDE_BARS 150000

Test(properties, wide_window_12_decimals, .timeout = 120)
{
	static const char *const names[] = { "sma(100000)",
					     "bb(100000,2).mid",
					     "bb(100000,2).upper",
					     "zscore(100000)" };
	struct trd_fset *fs = NULL;
	const double *p[4];
	int64_t *ring = calloc(WIDE_N, sizeof(*ring));
	struct rng r = { 12 };
	struct tally t_sma, t_sd, t_z;
	const long double P = 1e12L;

	cr_assert_not_null(ring);
	cr_assert_eq(trd_fset_new(&fs, 12, 8, 4), 0);
	for (int f = 0; f < 4; f++)
		p[f] = add_ok(fs, names[f]);
	tally_init(&t_sma, "12 dp: sma(100000)");
	tally_init(&t_sd, "12 dp: bb(100000,2) sd");
	tally_init(&t_z, "12 dp: zscore(100000)");
	for (size_t i = 0; i < WIDE_BARS; i++) {
		/* 2000 + 400 i / WIDE_BARS, plus up to 1.0 of noise. */
		int64_t c = 2000000000000000LL +
			    (int64_t)(400000000000000LL / WIDE_BARS) *
				    (int64_t)i +
			    rnd_in(&r, 0, 1000000000000LL);
		struct trd_bar b = { .open = c, .high = c, .low = c,
				     .close = c, .volume = 1, .tf_s = 60 };

		ring[i % WIDE_N] = c;
		trd_fset_bar(fs, &b);
		if (i + 1 >= WIDE_N &&
		    (i % 10000 == 0 || i + 1 == WIDE_N || i + 1 == WIDE_BARS)) {
			i128 S = 0;
			long double q = 0;
			for (size_t j = 0; j < WIDE_N; j++)
				S += ring[j];
			for (size_t j = 0; j < WIDE_N; j++) {
				long double d =
					(long double)((i128)WIDE_N * ring[j] - S);
				q += d * d;
			}
			q /= WIDE_N;
			tally_add(&t_sma, i, *p[0],
				  (long double)S / WIDE_N / P, 1e-9, 0);
			tally_add(&t_sd, i, (*p[2] - *p[1]) / 2,
				  sqrtl(q) / WIDE_N / P, 1e-9, 0);
			tally_add(&t_z, i, *p[3],
				  (long double)((i128)WIDE_N * c - S) / sqrtl(q),
				  1e-9, 1e-12);
		}
	}
	tally_expect(&t_sma);
	tally_expect(&t_sd);
	tally_expect(&t_z);
	trd_fset_free(fs);
	free(ring);
}

/*
 * vwap_z when the price has moved away from the first bar the set saw (a
 * daemon that has been running since BTC was at 7000): one bar at 7000.00,
 * then 5,000 bars near 60000.00 moving by up to 5 cents, random volumes.
 * Each value against the exact two-pass z-score of the window, 1e-9
 * relative.  (A one-pass variance taken about a fixed, distant origin
 * loses (distance / window deviation)^2 ulps.)
 */
Test(properties, vwap_z_far_from_first_bar)
{
	struct series s;
	struct rng r = { 9 };
	static const struct rdef d = { "vwap_z(14)", K_VWAPZ, 14, 0, 0, 0, 0,
				       0, 1e-12, 0 };
	const char *names[] = { "vwap_z(14)" };
	double *val;
	struct tally t;

	memset(&s, 0, sizeof(s));
	s.pdp = 2;
	s.qdp = 8;
	series_push(&s, 700000, 700000, 700000, 700000, 100000000);
	for (int i = 0; i < 5000; i++) {
		int64_t c = 6000000 + rnd_in(&r, -5, 5);
		series_push(&s, c, c, c, c, rnd_in(&r, 1, 100000000));
	}
	series_finish(&s);
	val = run_bars(&s, names, 1);
	tally_init(&t, "far from the first bar: vwap_z(14)");
	for (size_t i = 0; i < s.n; i++)
		tally_add(&t, i, val[i], ref_value(&s, i, &d), 1e-9, 1e-12);
	tally_expect(&t);
	free(val);
	series_free(&s);
}

/* ------------------------------------------------------------------ */
/* 5. Names                                                            */
/* ------------------------------------------------------------------ */

/* A bad name: NULL from trd_fset_add and -1 from trd_feature_expand, the
 * same message, naming the feature as written and saying what is wrong;
 * no instance created. */
static void
expect_bad(const char *name, const char *what)
{
	struct trd_fset *fs = NULL;
	char err[512] = "", err2[512] = "", quoted[128];
	const double *p;

	cr_assert_eq(trd_fset_new(&fs, 8, 8, 4), 0);
	p = trd_fset_add(fs, name, err, sizeof(err));
	cr_expect_null(p, "'%s' was accepted", name);
	cr_expect_eq(trd_fset_count(fs), 0, "'%s' created an instance", name);
	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	cr_expect(strstr(err, quoted) != NULL,
		  "'%s': message does not name it: %s", name, err);
	cr_expect(strstr(err, what) != NULL,
		  "'%s': message lacks \"%s\": %s", name, what, err);
	trd_fset_free(fs);
	/* What add says, expand says too (fields aside: expand accepts a
	 * multi-output name). */
	if (strcmp(name, "bb(20,2)") != 0) {
		cr_expect_eq(trd_feature_expand(name, NULL, 0, err2,
						sizeof(err2)),
			     -1, "expand accepted '%s'", name);
		cr_expect_str_eq(err2, err);
	}
}

Test(names, bad_names)
{
	expect_bad("rsx(14)", "unknown feature 'rsx'");
	expect_bad("rsi(0)", "must be an integer from 1 to 100000, found '0'");
	expect_bad("rsi(100001)", "found '100001'");
	expect_bad("rsi(-3)", "found '-3'");
	expect_bad("rsi(+3)", "found '+3'");
	expect_bad("rsi(1e3)", "found '1e3'");
	expect_bad("bb(20)", "bb takes 2 parameters (n,k), found 1");
	expect_bad("bb(20,2,3)", "found more");
	expect_bad("sma(a)", "found 'a'");
	expect_bad("sma()", "empty parameter 1");
	expect_bad("sma", "sma takes 1 parameter (n), found 0");
	expect_bad("sma(20", "missing ')'");
	expect_bad("sma(20)x", "unexpected 'x'");
	expect_bad("sma(20).mid", "one output and no fields");
	expect_bad("macd(26,12,9)", "fast period must be below the slow");
	expect_bad("macd(12,12,9)", "fast period must be below the slow");
	expect_bad("bb(20,2).top", "unknown field 'top'");
	expect_bad("bb(20,0)", "must be a decimal > 0, found '0'");
	expect_bad("bb(20,-2)", "must be a decimal > 0");
	expect_bad("bb(20,2e0)", "must be a decimal > 0");
	expect_bad("bb(20,2)", "several outputs");
	expect_bad("ema(20,seed=foo)", "seed must be sma or first, found 'foo'");
	expect_bad("sma(20,seed=first)", "sma takes no seed option");
	expect_bad("keltner(20,2,10,5)",
		   "keltner takes at most 3 parameters (n,k[,m]), found more");
	expect_bad("vol(1)", "vol needs n >= 2");
	expect_bad("obv(3)", "obv takes no parameters: write obv");
	expect_bad("obv()", "obv takes no parameters");
	expect_bad("sma(                                                  "
		   "          20)",
		   "longer than 63 bytes");
}

/* The message for a field lists the fields; the one for several outputs
 * names them. */
Test(names, bad_field_lists_fields)
{
	struct trd_fset *fs = NULL;
	char err[512];

	cr_assert_eq(trd_fset_new(&fs, 8, 8, 4), 0);
	cr_assert_null(trd_fset_add(fs, "bb(20,2).top", err, sizeof(err)));
	for (const char *const *f = (const char *const[]){ "mid", "upper",
							   "lower", "pctb",
							   "width", NULL };
	     *f; f++)
		cr_expect(strstr(err, *f) != NULL, "no %s in: %s", *f, err);
	cr_assert_null(trd_fset_add(fs, "macd(12,26,9)", err, sizeof(err)));
	cr_expect(strstr(err, "line") && strstr(err, "signal") &&
			  strstr(err, "hist"),
		  "%s", err);
	trd_fset_free(fs);
}

/* Errors into small, NULL or empty buffers do not overflow. */
Test(names, small_error_buffers)
{
	struct trd_fset *fs = NULL;
	char small[8];

	cr_assert_eq(trd_fset_new(&fs, 8, 8, 4), 0);
	memset(small, 'x', sizeof(small));
	cr_expect_null(trd_fset_add(fs, "nosuchfeature(1)", small, sizeof(small)));
	cr_expect_eq(small[7], '\0');
	cr_expect_null(trd_fset_add(fs, "bb(20,2)", small, sizeof(small)));
	cr_expect_null(trd_fset_add(fs, "rsi(0)", NULL, 0));
	cr_expect_null(trd_fset_add(fs, "", NULL, 0));
	cr_expect_null(trd_fset_add(fs, NULL, small, sizeof(small)));
	cr_expect_eq(trd_feature_expand("bb(20,2).top", NULL, 0, NULL, 0), -1);
	cr_expect_eq(trd_fset_count(fs), 0);
	trd_fset_free(fs);
}

static void
expect_expand(const char *name, const char *const *want, int nwant)
{
	char out[8][TRD_FEATURE_NAME_MAX], err[256] = "";
	int n;

	memset(out, 0, sizeof(out));
	n = trd_feature_expand(name, out, 8, err, sizeof(err));
	cr_assert_eq(n, nwant, "'%s': %d outputs (%s)", name, n, err);
	for (int i = 0; i < n; i++)
		cr_expect_str_eq(out[i], want[i], "'%s' output %d", name, i);
}

Test(names, canonical)
{
	expect_expand("bb(20, 2.0)",
		      (const char *const[]){ "bb(20,2).mid", "bb(20,2).upper",
					     "bb(20,2).lower", "bb(20,2).pctb",
					     "bb(20,2).width" },
		      5);
	expect_expand("bb( 020 ,2.50).upper",
		      (const char *const[]){ "bb(20,2.5).upper" }, 1);
	expect_expand("bb(20,0.5).lower",
		      (const char *const[]){ "bb(20,0.5).lower" }, 1);
	expect_expand("macd(12, 26, 9)",
		      (const char *const[]){ "macd(12,26,9).line",
					     "macd(12,26,9).signal",
					     "macd(12,26,9).hist" },
		      3);
	expect_expand("macd(12,26,9,seed=first).hist",
		      (const char *const[]){ "macd(12,26,9,seed=first).hist" },
		      1);
	expect_expand("ema(20,seed=sma)", (const char *const[]){ "ema(20)" }, 1);
	expect_expand("rsi(seed=first, 14)",
		      (const char *const[]){ "rsi(14,seed=first)" }, 1);
	expect_expand("keltner(20,2,20).mid",
		      (const char *const[]){ "keltner(20,2).mid" }, 1);
	expect_expand("keltner(20,2.0,10,seed=first).upper",
		      (const char *const[]){ "keltner(20,2,10,seed=first).upper" },
		      1);
	expect_expand("adx(14)",
		      (const char *const[]){ "adx(14).adx", "adx(14).plus_di",
					     "adx(14).minus_di" },
		      3);
	expect_expand("stoch(14,3)",
		      (const char *const[]){ "stoch(14,3).k", "stoch(14,3).d" },
		      2);
	expect_expand("donchian(20)",
		      (const char *const[]){ "donchian(20).upper",
					     "donchian(20).lower",
					     "donchian(20).mid" },
		      3);
	expect_expand("obv", (const char *const[]){ "obv" }, 1);
	expect_expand("sma(007)", (const char *const[]){ "sma(7)" }, 1);
	expect_expand("ofi( 10 )", (const char *const[]){ "ofi(10)" }, 1);

	/* max bounds what is written; the count is still the whole. */
	{
		char out[3][TRD_FEATURE_NAME_MAX], err[64];
		memset(out, 'z', sizeof(out));
		cr_expect_eq(trd_feature_expand("bb(20,2)", out, 2, err,
						sizeof(err)),
			     5);
		cr_expect_str_eq(out[1], "bb(20,2).upper");
		cr_expect_eq(out[2][0], 'z', "wrote past max");
		cr_expect_eq(trd_feature_expand("bb(20,2)", NULL, 0, err,
						sizeof(err)),
			     5);
	}
}

/* The same indicator, however it is spelled, is one instance: its outputs
 * share it and the same output is the same pointer. */
Test(names, shared_instances)
{
	struct trd_fset *fs = NULL;
	char err[256];
	const double *a, *b;

#define ADD(nm) add_ok(fs, nm)
	cr_assert_eq(trd_fset_new(&fs, 8, 8, 4), 0);
	a = ADD("bb(20,2).upper");
	b = ADD("bb( 20 , 2.0 ).upper");
	cr_expect_eq(a, b);
	ADD("bb(020,2.00).mid");
	ADD("bb(20,2).width");
	/* bb(20,2) and the window of 20 closes it shares. */
	cr_expect_eq(trd_fset_count(fs), 2);
	ADD("bb(20,2.5).mid"); /* another k, the same window */
	cr_expect_eq(trd_fset_count(fs), 3);
	a = ADD("ema(20)");
	b = ADD("ema(20,seed=sma)");
	cr_expect_eq(a, b);
	cr_expect_eq(trd_fset_count(fs), 4);
	b = ADD("ema(20,seed=first)");
	cr_expect_neq(a, b);
	cr_expect_eq(trd_fset_count(fs), 5);
	a = ADD("keltner(20,2).mid");
	b = ADD("keltner(20,2,20).mid");
	cr_expect_eq(a, b);
	ADD("keltner(20,2,10).mid");
	cr_expect_eq(trd_fset_count(fs), 7);
	a = ADD("rsi(14)");
	b = ADD("rsi( 14 )");
	cr_expect_eq(a, b);
	ADD("macd(12,26,9).line");
	ADD("macd(12, 26, 9).hist");
	ADD("sma(20)"); /* not ema(20); bb(20,k)'s window */
	ADD("zscore(20)"); /* the same window again */
	cr_expect_eq(trd_fset_count(fs), 9);
	/* stoch, willr and donchian of one n share a rolling high/low. */
	ADD("stoch(14,3).k");
	ADD("willr(14)");
	ADD("donchian(14).upper");
	cr_expect_eq(trd_fset_count(fs), 13);
	/* Refused names leave the count alone. */
	cr_expect_null(trd_fset_add(fs, "bb(20,2)", err, sizeof(err)));
	cr_expect_null(trd_fset_add(fs, "rsi(0)", err, sizeof(err)));
	cr_expect_null(trd_fset_add(fs, "_win(20)", err, sizeof(err)));
	cr_expect_eq(trd_fset_count(fs), 13);
#undef ADD
	trd_fset_free(fs);
}

/* A set holds at most TRD_FEATURE_MAX_SET indicators; past that, a new one
 * is refused by name, an existing one is still found. */
Test(names, set_limit)
{
	struct trd_fset *fs = NULL;
	char name[32], err[256];

	cr_assert_eq(trd_fset_new(&fs, 8, 8, 4), 0);
	for (int i = 1; i <= TRD_FEATURE_MAX_SET; i++) {
		snprintf(name, sizeof(name), "roc(%d)", i);
		add_ok(fs, name);
	}
	cr_expect_eq(trd_fset_count(fs), TRD_FEATURE_MAX_SET);
	cr_expect_null(trd_fset_add(fs, "sma(3)", err, sizeof(err)));
	cr_expect(strstr(err, "\"sma(3)\"") != NULL, "%s", err);
	cr_expect_not_null(trd_fset_add(fs, "roc( 7 )", err, sizeof(err)));
	cr_expect_eq(trd_fset_count(fs), TRD_FEATURE_MAX_SET);
	trd_fset_free(fs);
}

/* ------------------------------------------------------------------ */
/* 6. Warm-up                                                          */
/* ------------------------------------------------------------------ */

struct warm {
	const char *name;
	size_t      first; /* first bar (quote, trade) with a value */
};

/*
 * The first value comes exactly when the definition has its inputs:
 * a window of n bars at bar n-1; anything over changes (rsi, roc, vol) at
 * bar n; EMAs after n inputs whatever the seed (seed=first changes the
 * values, not the warm-up); MACD's line with the slow EMA (s-1), its
 * SMA-seeded signal g-1 lines later; ADX's DI at n (n changes) and ADX at
 * 2n-1 (n DX); %D d-1 bars after %K; keltner when both its EMA and ATR are
 * warm; obv, mid, spread and book at once; ofi(n) after n changes (quote
 * n); trade_imbalance(n) after n trades.
 */
static const struct warm warm_bars[] = {
	{ "sma(20)", 19 }, { "sma(1)", 0 }, { "ema(20)", 19 },
	{ "ema(20,seed=first)", 19 }, { "ema(1)", 0 }, { "wma(20)", 19 },
	{ "wma(1)", 0 }, { "rsi(14)", 14 }, { "rsi(14,seed=first)", 14 },
	{ "rsi(1)", 1 }, { "macd(12,26,9).line", 25 },
	{ "macd(12,26,9).signal", 33 }, { "macd(12,26,9).hist", 33 },
	{ "macd(12,26,9,seed=first).line", 25 },
	{ "macd(12,26,9,seed=first).signal", 25 },
	{ "macd(12,26,9,seed=first).hist", 25 },
	{ "macd(1,2,1).signal", 1 }, { "roc(12)", 12 }, { "roc(1)", 1 },
	{ "cci(20)", 19 }, { "cci(2)", 1 }, { "bb(20,2).mid", 19 },
	{ "bb(20,2).upper", 19 }, { "bb(20,2).lower", 19 },
	{ "bb(20,2).pctb", 19 }, { "bb(20,2).width", 19 }, { "atr(14)", 13 },
	{ "atr(1)", 0 }, { "adx(14).plus_di", 14 }, { "adx(14).minus_di", 14 },
	{ "adx(14).adx", 27 }, { "adx(1).adx", 1 }, { "stoch(14,3).k", 13 },
	{ "stoch(14,3).d", 15 }, { "stoch(1,1).d", 0 }, { "willr(14)", 13 },
	{ "vol(20)", 20 }, { "vol(2)", 2 }, { "zscore(20)", 19 },
	{ "zscore(2)", 1 }, { "vwap(14)", 13 }, { "vwap(1)", 0 },
	{ "vwap_z(14)", 13 }, { "donchian(20).upper", 19 },
	{ "donchian(20).lower", 19 }, { "donchian(20).mid", 19 },
	{ "donchian(1).mid", 0 }, { "keltner(20,2).mid", 19 },
	{ "keltner(20,2).upper", 19 }, { "keltner(20,2,10).lower", 19 },
	{ "keltner(10,2,20).upper", 19 },
	{ "keltner(20,2,10,seed=first).mid", 19 }, { "obv", 0 },
};
#define NWARM (sizeof(warm_bars) / sizeof(warm_bars[0]))

Test(warmup, bars)
{
	const char *names[NWARM];
	struct series s;
	double *val;

	for (size_t f = 0; f < NWARM; f++)
		names[f] = warm_bars[f].name;
	/* No flat windows, no zero volume: nothing is undefined once warm. */
	make_synthetic(&s, 200, 2024, 0);
	val = run_bars(&s, names, NWARM);
	for (size_t f = 0; f < NWARM; f++) {
		size_t first = s.n;
		for (size_t i = 0; i < s.n && first == s.n; i++)
			if (!isnan(val[i * NWARM + f]))
				first = i;
		cr_expect_eq(first, warm_bars[f].first,
			     "%s: first value at bar %zu, expected %zu",
			     names[f], first, warm_bars[f].first);
		for (size_t i = first; i < s.n; i++)
			cr_expect(!isnan(val[i * NWARM + f]),
				  "%s: NaN again at bar %zu", names[f], i);
	}
	free(val);
	series_free(&s);
}

Test(warmup, quotes_trades)
{
	static const struct warm wq[] = {
		{ "mid", 0 }, { "spread_bps", 0 }, { "book_imbalance", 0 },
		{ "ofi(1)", 1 }, { "ofi(5)", 5 },
	};
	static const struct warm wt[] = {
		{ "trade_imbalance(1)", 0 }, { "trade_imbalance(5)", 4 },
	};
	struct trd_fset *fs = NULL;
	const double *pq[5], *pt[2];
	size_t fq[5], ft[2];

	cr_assert_eq(trd_fset_new(&fs, 2, 0, 4), 0);
	for (int f = 0; f < 5; f++) {
		pq[f] = add_ok(fs, wq[f].name);
		fq[f] = SIZE_MAX;
	}
	for (int f = 0; f < 2; f++) {
		pt[f] = add_ok(fs, wt[f].name);
		ft[f] = SIZE_MAX;
	}
	for (size_t i = 0; i < 20; i++) {
		struct trd_quote q = { .size = sizeof(q),
				       .bid = 10000 + (int64_t)i,
				       .ask = 10002 + (int64_t)i,
				       .bid_qty = 5 + (int64_t)i,
				       .ask_qty = 7 };
		struct trd_trade t = { .size = sizeof(t), .price = 10001,
				       .qty = 3, .aggressor = TRD_SIDE_SELL };
		trd_fset_quote(fs, &q);
		trd_fset_trade(fs, &t);
		for (int f = 0; f < 5; f++)
			if (fq[f] == SIZE_MAX && !isnan(*pq[f]))
				fq[f] = i;
		for (int f = 0; f < 2; f++)
			if (ft[f] == SIZE_MAX && !isnan(*pt[f]))
				ft[f] = i;
	}
	for (int f = 0; f < 5; f++)
		cr_expect_eq(fq[f], wq[f].first, "%s: first at %zu, expected %zu",
			     wq[f].name, fq[f], wq[f].first);
	for (int f = 0; f < 2; f++)
		cr_expect_eq(ft[f], wt[f].first, "%s: first at %zu, expected %zu",
			     wt[f].name, ft[f], wt[f].first);
	trd_fset_free(fs);
}

/* ------------------------------------------------------------------ */
/* The kept history                                                    */
/* ------------------------------------------------------------------ */

Test(history, rings)
{
	struct trd_fset *fs = NULL;
	struct trd_bar b;
	struct trd_quote q;
	struct trd_trade t;

	cr_assert_eq(trd_fset_new(&fs, 2, 2, 3), 0);
	cr_expect_eq(trd_fset_bar_at(fs, 0, &b), -ENOENT);
	cr_expect_eq(trd_fset_quote_at(fs, 0, &q), -ENOENT);
	cr_expect_eq(trd_fset_trade_at(fs, 0, &t), -ENOENT);
	for (int64_t i = 1; i <= 5; i++) {
		struct trd_bar x = { .ts_ns = i, .open = i, .high = i,
				     .low = i, .close = i, .volume = i };
		struct trd_quote y = { .size = sizeof(y), .ts_ns = i, .bid = i,
				       .ask = i + 1 };
		struct trd_trade z = { .size = sizeof(z), .ts_ns = i,
				       .price = i, .qty = 1 };
		trd_fset_bar(fs, &x);
		trd_fset_quote(fs, &y);
		trd_fset_trade(fs, &z);
		if (i == 2) {
			cr_expect_eq(trd_fset_bar_at(fs, 1, &b), 0);
			cr_expect_eq(b.close, 1);
			cr_expect_eq(trd_fset_bar_at(fs, 2, &b), -ENOENT);
		}
	}
	for (size_t k = 0; k < 3; k++) {
		cr_expect_eq(trd_fset_bar_at(fs, k, &b), 0);
		cr_expect_eq(b.close, 5 - (int64_t)k);
		cr_expect_eq(trd_fset_quote_at(fs, k, &q), 0);
		cr_expect_eq(q.bid, 5 - (int64_t)k);
		cr_expect_eq(trd_fset_trade_at(fs, k, &t), 0);
		cr_expect_eq(t.price, 5 - (int64_t)k);
	}
	cr_expect_eq(trd_fset_bar_at(fs, 3, &b), -ENOENT);
	cr_expect_eq(trd_fset_quote_at(fs, 3, &q), -ENOENT);
	cr_expect_eq(trd_fset_trade_at(fs, 3, &t), -ENOENT);
	trd_fset_free(fs);
}
