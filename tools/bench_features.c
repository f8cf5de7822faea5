/*
 * bench_features: per-bar cost of the feature engine.
 *
 *   bench_features FILE.csv [RUNS]
 *
 * Reads generic CSV bars (ts,open,high,low,close,volume, as gen_bars
 * writes), then feeds them through one instrument's feature set holding
 * the default set (21 outputs) and then the full set (every bar
 * indicator, 32 outputs), RUNS times each (default 5) on a fresh set, and
 * prints the median nanoseconds per bar.  The bars are in memory: this
 * measures the engine, not the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "feature.h"

/* The default set: the common trend, momentum, band and volatility
 * features, 21 outputs. */
static const char *const default_set[] = {
	"sma(20)", "ema(20)", "rsi(14)", "macd(12,26,9)", "roc(10)",
	"bb(20,2)", "atr(14)", "adx(14)", "stoch(14,3)", "willr(14)",
	"zscore(20)", "obv",
};

/* Every bar indicator, 32 outputs. */
static const char *const full_set[] = {
	"sma(20)", "ema(20)", "wma(20)", "rsi(14)", "macd(12,26,9)", "roc(10)",
	"cci(20)", "bb(20,2)", "atr(14)", "adx(14)", "stoch(14,3)",
	"willr(14)", "vol(20)", "zscore(20)", "vwap(20)", "vwap_z(20)",
	"donchian(20)", "keltner(20,2)", "obv",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Feed every bar through a fresh set of these features, runs times;
 * print the median cost per bar. */
static int
run(const char *label, const char *const *set, size_t nset,
    const struct trd_bar *bars, size_t n, int runs)
{
	char names[TRD_FEATURE_MAX_OUT][TRD_FEATURE_NAME_MAX], err[256];
	int64_t *ns = calloc((size_t)runs, sizeof(*ns));
	size_t nout = 0;
	double sink = 0;

	if (ns == NULL)
		return -1;
	for (int r = 0; r < runs; r++) {
		struct trd_fset *fs;
		const double *first = NULL;
		int64_t t0;

		if (trd_fset_new(&fs, 8, 8, 512) != 0)
			return -1;
		nout = 0;
		for (size_t i = 0; i < nset; i++) {
			int k = trd_feature_expand(set[i], names,
						   TRD_FEATURE_MAX_OUT, err,
						   sizeof(err));
			for (int j = 0; j < k; j++, nout++)
				if ((first = trd_fset_add(fs, names[j], err,
							  sizeof(err))) == NULL) {
					fprintf(stderr, "%s\n", err);
					return -1;
				}
		}
		t0 = trd_clock_mono_ns();
		for (size_t i = 0; i < n; i++)
			trd_fset_bar(fs, &bars[i]);
		ns[r] = trd_clock_mono_ns() - t0;
		sink += *first;
		trd_fset_free(fs);
	}
	qsort(ns, (size_t)runs, sizeof(*ns), cmp_i64);
	printf("features %-8s %zu bars, %2zu indicators, %2zu outputs: %6.1f "
	       "ns per bar (median of %d)%s\n", label, n, nset, nout,
	       (double)ns[runs / 2] / (double)n, runs,
	       sink == 12345.678 ? " " : "");
	free(ns);
	return 0;
}

int
main(int argc, char **argv)
{
	char line[512];
	struct trd_bar *bars = NULL;
	size_t n = 0, cap = 0;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	FILE *f;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: bench_features FILE.csv [RUNS]\n");
		return 1;
	}
	if ((f = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *fld[6], *p = line;
		int64_t v[6];
		int k = 0;

		if (n == 0 && strncmp(line, "ts,", 3) == 0)
			continue;
		while (k < 6 && (fld[k] = strsep(&p, ",\n")) != NULL)
			k++;
		if (k < 6 || trd_dec_parse_str(fld[0], 0, &v[0]) != 0) {
			fprintf(stderr, "%s: bad line %zu\n", argv[1], n + 2);
			return 1;
		}
		for (int i = 1; i < 6; i++)
			if (trd_dec_parse_str(fld[i], 8, &v[i]) != 0) {
				fprintf(stderr, "%s: bad line %zu\n", argv[1],
					n + 2);
				return 1;
			}
		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			if ((bars = realloc(bars, cap * sizeof(*bars))) == NULL)
				return 1;
		}
		bars[n++] = (struct trd_bar){ v[0] * TRD_NS_PER_SEC, v[1], v[2],
					      v[3], v[4], v[5], 1, 60 };
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "%s: no bars\n", argv[1]);
		return 1;
	}
	if (run("default", default_set, NELEM(default_set), bars, n, runs) ||
	    run("full", full_set, NELEM(full_set), bars, n, runs))
		return 1;
	free(bars);
	return 0;
}
