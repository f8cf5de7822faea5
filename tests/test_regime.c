/*
 * Regime features (daemon/feature_regime.c) against recomputations written
 * here: er(n) from its definition at every bar (exact integer sums),
 * vol_pct(n,m) by counting, at every bar, over the engine's own vol(n)
 * outputs (vol(n) itself is checked against its reference in
 * test_features), and regime(n,m) by replaying the documented bands and
 * hysteresis over er(n), adx(n) and vol_pct(n,m).  Then the labels on
 * series whose regime is known by construction, and no lookahead.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature.h"

#define DP 4
#define PS 10000.0

struct rng {
	uint64_t s;
};

static int64_t
rnd(struct rng *r, int64_t lo, int64_t hi)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return lo + (int64_t)((r->s * 0x2545F4914F6CDD1DULL) %
			      (uint64_t)(hi - lo + 1));
}

/*
 * n bars: a random walk with a drift per bar (scaled units) that changes
 * every `seg` bars through drifts[], flat stretches (a repeated close) and
 * volatility bursts, so percentiles see ties and every regime occurs.
 */
static struct trd_bar *
make_bars(size_t n, uint64_t seed, const int64_t *drifts, size_t ndrifts,
	  size_t seg)
{
	struct trd_bar *b = calloc(n, sizeof(*b));
	struct rng r = { seed };
	int64_t c = 10000000; /* 1000.0000 */

	cr_assert_not_null(b);
	for (size_t i = 0; i < n; i++) {
		int64_t d = drifts[(i / seg) % ndrifts];
		int64_t amp = (i / 97) % 3 == 0 ? 4000 : 800;
		int64_t o = c;

		if ((i / 53) % 7 != 3) /* else a flat stretch */
			c += d + rnd(&r, -amp, amp);
		if (c < 1000)
			c = 1000;
		b[i] = (struct trd_bar){
			.ts_ns = (int64_t)i * 60 * 1000000000LL,
			.open = o,
			.high = (o > c ? o : c) + rnd(&r, 0, amp / 2),
			.low = (o < c ? o : c) - rnd(&r, 0, amp / 2),
			.close = c,
			.volume = rnd(&r, 1, 100000),
			.tf_s = 60,
		};
	}
	return b;
}

/* Run the bars through one set; out[i * nf + f] is name f after bar i. */
static double *
run(const struct trd_bar *b, size_t n, const char *const *names, size_t nf)
{
	struct trd_fset *fs;
	const double *v[16];
	double *out = calloc(n * nf, sizeof(*out));
	char err[256];

	cr_assert_not_null(out);
	cr_assert(nf <= 16);
	cr_assert_eq(trd_fset_new(&fs, DP, 0, 1), 0);
	for (size_t f = 0; f < nf; f++) {
		v[f] = trd_fset_add(fs, names[f], err, sizeof(err));
		cr_assert_not_null(v[f], "%s: %s", names[f], err);
	}
	for (size_t i = 0; i < n; i++) {
		trd_fset_bar(fs, &b[i]);
		for (size_t f = 0; f < nf; f++)
			out[i * nf + f] = *v[f];
	}
	trd_fset_free(fs);
	return out;
}

static int
same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static const int64_t mixed[] = { 0, 900, 0, -900, 150, -150, 2500, -2500 };

Test(regime, er_by_definition)
{
	const size_t N = 3000;
	const int ns[] = { 1, 10, 30 };
	struct trd_bar *b = make_bars(N, 7, mixed, 8, 300);

	for (size_t k = 0; k < 3; k++) {
		char name[32];
		const char *names[1] = { name };
		int n = ns[k];
		double *v;

		snprintf(name, sizeof(name), "er(%d)", n);
		v = run(b, N, names, 1);
		for (size_t i = 0; i < N; i++) {
			int64_t path = 0, mv;
			double want;

			if (i < (size_t)n) {
				cr_assert(isnan(v[i]), "%s at %zu", name, i);
				continue;
			}
			for (size_t j = i - (size_t)n + 1; j <= i; j++)
				path += llabs(b[j].close - b[j - 1].close);
			mv = llabs(b[i].close - b[i - (size_t)n].close);
			want = path ? (double)mv / (double)path : NAN;
			cr_assert(same(v[i], want), "%s at bar %zu: %.17g, want "
				  "%.17g", name, i, v[i], want);
			cr_assert(isnan(want) || (want >= 0 && want <= 1));
		}
		free(v);
	}
	free(b);
}

/* Mid rank of v[i] among v[i-m+1..i], or NaN when one is not ready. */
static double
pct_ref(const double *vol, size_t stride, size_t i, size_t m, size_t *ready)
{
	size_t below = 0, equal = 0;
	double x = vol[i * stride];

	if (isnan(x))
		return NAN;
	if (++*ready < m)
		return NAN;
	for (size_t j = i + 1 - m; j <= i; j++) {
		double y = vol[j * stride];
		below += y < x;
		equal += y == x;
	}
	return (below + equal / 2.0) / (double)m;
}

Test(regime, vol_pct_by_counting)
{
	const size_t N = 4000;
	struct trd_bar *b = make_bars(N, 11, mixed, 8, 250);
	const char *names[] = { "vol(20)", "vol_pct(20,200)", "vol(3)",
				"vol_pct(3,1)", "vol_pct(3,50)" };
	double *v = run(b, N, names, 5);
	size_t r1 = 0, r2 = 0, r3 = 0, ties = 0;

	for (size_t i = 0; i < N; i++) {
		double w1 = pct_ref(v, 5, i, 200, &r1);
		double w2 = pct_ref(v + 2, 5, i, 1, &r2);
		double w3 = pct_ref(v + 2, 5, i, 50, &r3);

		cr_assert(same(v[i * 5 + 1], w1), "vol_pct(20,200) at %zu: "
			  "%.17g, want %.17g", i, v[i * 5 + 1], w1);
		cr_assert(same(v[i * 5 + 3], w2), "vol_pct(3,1) at %zu", i);
		cr_assert(same(v[i * 5 + 4], w3), "vol_pct(3,50) at %zu: "
			  "%.17g, want %.17g", i, v[i * 5 + 4], w3);
		/* Flat stretches give vol(3) = 0 several bars running. */
		ties += !isnan(w3) && v[i * 5 + 2] == 0;
	}
	cr_assert_eq(r1, N - 20, "vol(20) is defined from bar 20 on");
	cr_assert_gt(ties, 10, "the series has ties (%zu)", ties);
	cr_assert(isnan(v[(20 + 198) * 5 + 1]) && !isnan(v[(20 + 199) * 5 + 1]),
		  "ready after vol(20) (bar 20) and 200 of its values");
	free(v);
	free(b);
}

Test(regime, labels_by_the_documented_bands)
{
	const size_t N = 6000;
	struct trd_bar *b = make_bars(N, 3, mixed, 8, 400);
	const char *names[] = { "regime(14,100).vol_pct", "regime(14,100).er",
				"regime(14,100).adx", "regime(14,100).trend",
				"regime(14,100).vol", "regime(14,100).label",
				"vol_pct(14,100)", "er(14)", "adx(14).adx" };
	double *v = run(b, N, names, 9);
	int trending = 0, seen[9] = { 0 };
	size_t first = 0;

	for (size_t i = 0; i < N; i++) {
		const double *r = v + i * 9;
		double pct = r[6], er = r[7], adx = r[8];
		int trend, vol;

		if (isnan(pct) || isnan(adx) || i < 14) {
			for (int f = 0; f < 6; f++)
				cr_assert(isnan(r[f]), "%s at %zu not NaN",
					  names[f], i);
			continue;
		}
		if (first == 0)
			first = i;
		cr_assert(r[0] == pct && r[2] == adx && same(r[1], er),
			  "regime's fields equal the standalone kinds at %zu",
			  i);
		if (isnan(er) || adx < 20 || er < 0.2)
			trending = 0;
		else if (adx >= 25 && er >= 0.3)
			trending = 1;
		trend = 0;
		if (trending) {
			int64_t mv = b[i].close - b[i - 14].close;
			trend = (mv > 0) - (mv < 0);
		}
		vol = pct < 0.25 ? 0 : pct > 0.75 ? 2 : 1;
		cr_assert_eq(r[3], trend, "trend at %zu", i);
		cr_assert_eq(r[4], vol, "vol at %zu", i);
		cr_assert_eq(r[5], 3 * (trend + 1) + vol, "label at %zu", i);
		seen[3 * (trend + 1) + vol]++;
	}
	cr_assert_gt(first, 0);
	for (int l = 0; l < 9; l++)
		cr_assert_gt(seen[l], 0, "label %d occurs on the series", l);
	free(v);
	free(b);
}

/* A climb with noise is an up trend; its mirror a down trend; a
 * triangle wave around a level is a range. */
Test(regime, known_regimes)
{
	const size_t N = 1500;
	const int64_t up[] = { 3000 }, down[] = { -3000 }, flat[] = { 0 };
	const int64_t *d[] = { up, down, flat };
	const int want[] = { 1, -1, 0 };
	const char *names[] = { "regime(14,200).trend" };

	for (int k = 0; k < 3; k++) {
		struct trd_bar *b = make_bars(N, 5, d[k], 1, N);
		size_t hit = 0, ready = 0;
		double *v;

		/* The range: a triangle wave of period 10 around 1000. */
		for (size_t i = 0; k == 2 && i < N; i++) {
			int64_t ph = (int64_t)(i % 10);
			b[i].close = 10000000 + 1000 * (ph < 5 ? ph : 10 - ph);
			b[i].open = i ? b[i - 1].close : b[i].close;
			b[i].high = b[i].close + 300;
			b[i].low = b[i].close - 300;
		}
		v = run(b, N, names, 1);

		for (size_t i = 400; i < N; i++) {
			ready += !isnan(v[i]);
			hit += v[i] == want[k];
		}
		cr_assert_eq(ready, N - 400);
		/* The trends pause in the flat stretches; the range never
		 * trends. */
		cr_assert_gt(hit, k == 2 ? N - 401 : (N - 400) * 3 / 4,
			     "case %d: %zu of %zu bars in regime %d", k, hit,
			     N - 400, want[k]);
		free(v);
		free(b);
	}
}

/* Changing every bar after t changes nothing up to t. */
Test(regime, no_lookahead)
{
	const size_t N = 2000, T = 1200;
	struct trd_bar *a = make_bars(N, 9, mixed, 8, 200);
	struct trd_bar *b = make_bars(N, 9, mixed, 8, 200);
	const char *names[] = { "regime(10,50).label", "regime(10,50).vol_pct",
				"er(10)", "vol_pct(10,50)" };
	double *va, *vb;

	for (size_t i = T + 1; i < N; i++) {
		b[i].close = b[i].close * 3 + 17;
		b[i].high = b[i].close + 99;
		b[i].low = b[i].close / 2;
	}
	va = run(a, N, names, 4);
	vb = run(b, N, names, 4);
	for (size_t i = 0; i <= T; i++)
		for (size_t f = 0; f < 4; f++)
			cr_assert(same(va[i * 4 + f], vb[i * 4 + f]),
				  "%s at %zu", names[f], i);
	free(va);
	free(vb);
	free(a);
	free(b);
}

Test(regime, names)
{
	char err[256], out[8][TRD_FEATURE_NAME_MAX];
	struct trd_fset *fs;

	cr_assert_eq(trd_feature_expand("regime(14, 100)", out, 8, err,
					sizeof(err)),
		     6);
	cr_assert_str_eq(out[5], "regime(14,100).label");
	cr_assert_eq(trd_feature_expand("regime(14)", NULL, 0, err,
					sizeof(err)),
		     -1);
	cr_assert(strstr(err, "regime") != NULL, "%s", err);
	cr_assert_eq(trd_fset_new(&fs, DP, 0, 1), 0);
	cr_assert_null(trd_fset_add(fs, "regime(14,100)", err, sizeof(err)));
	cr_assert(strstr(err, "label") != NULL, "%s", err);
	cr_assert_null(trd_fset_add(fs, "vol_pct(0,10)", err, sizeof(err)));
	cr_assert_null(trd_fset_add(fs, "nosuch(3)", err, sizeof(err)));
	cr_assert(strstr(err, "regime") != NULL, "known kinds listed: %s",
		  err);
	trd_fset_free(fs);
}
