/*
 * bench_ml: the model workflow's costs.
 *
 *   bench_ml [ROWS] [RUNS]
 *
 *   train     trd_train (liblinear lr_l2, C 1, standardisation included)
 *             on ROWS rows (default 1000000) x 20 features of a synthetic
 *             logistic problem, beside a floor: one pass over the same
 *             rows computing every row's dot product (what one gradient
 *             evaluation at least costs), so the ratio says how many
 *             passes training took.  Median of RUNS (default 3).
 *   predict   ns per prediction of the in-loop call (host->model_predict
 *             is trd_model_score_ptr over the engine's 20 feature values,
 *             then the sigmoid), the values changing between calls as
 *             bars change them, beside a floor: a plain dot product of the
 *             same 20 values.  Median of RUNS over 10M calls.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dataset.h"
#include "host.h"
#include "model.h"
#include "train.h"

#define NF 20

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static double
unif(uint64_t *s)
{
	return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	size_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	static char names[NF][TRD_FEATURE_NAME_MAX];
	double beta[NF], tt[16], tf[16], tp[16], td[16], tw[16], sink = 0;
	struct trd_dataset ds = { 0 };
	struct trd_train_opts o = { .solver = 0, .C = 1, .seed = 1 };
	struct trd_model m;
	uint64_t s = 42;
	char err[256];

	if (runs < 1 || runs > 15 || rows < 100) {
		fprintf(stderr, "usage: bench_ml [ROWS >= 100] [RUNS 1..15]\n");
		return 1;
	}
	for (int f = 0; f < NF; f++) {
		snprintf(names[f], sizeof(names[f]), "sma(%d)", f + 1);
		beta[f] = unif(&s) - 0.5;
	}
	ds = (struct trd_dataset){ .nfeat = NF, .names = names, .nrows = rows,
				   .tf_s = 60 };
	ds.t0 = malloc(rows * 8);
	ds.t1 = malloc(rows * 8);
	ds.y = malloc(rows * 8);
	ds.x = malloc(rows * NF * 8);
	if (!ds.t0 || !ds.t1 || !ds.y || !ds.x)
		return 1;
	trd_label_parse("sign(1)", &ds.label, err, sizeof(err));
	for (size_t i = 0; i < rows; i++) {
		double z = 0;
		for (int f = 0; f < NF; f++) {
			/* Roughly normal, features on different scales. */
			double v = unif(&s) + unif(&s) + unif(&s) - 1.5;
			ds.x[i * NF + f] = v * (f + 1) + f;
			z += beta[f] * v;
		}
		ds.t0[i] = (int64_t)i * 60000000000LL;
		ds.t1[i] = ds.t0[i] + 60000000000LL;
		ds.y[i] = z + (unif(&s) - 0.5) * 2 > 0;
	}
	for (int r = 0; r < runs; r++) {
		int64_t a = trd_clock_mono_ns(), b;
		if (trd_train(&ds, NULL, 0, &o, "", &m, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_ml: %s\n", err);
			return 1;
		}
		b = trd_clock_mono_ns();
		tt[r] = (double)(b - a) / 1e9;
		/* The floor: one pass of dot products. */
		a = trd_clock_mono_ns();
		for (size_t i = 0; i < rows; i++) {
			double d = 0;
			for (int f = 0; f < NF; f++)
				d += m.w[f] * ds.x[i * NF + f];
			sink += d;
		}
		b = trd_clock_mono_ns();
		tf[r] = (double)(b - a) / 1e9;
		if (r + 1 < runs)
			trd_model_free(&m);
	}
	{
		double t = median(tt, runs), f = median(tf, runs);
		printf("train      %zu rows x %d features (lr_l2, C 1): %.3f s; "
		       "one data pass %.4f s (x%.0f)\n",
		       rows, NF, t, f, t / f);
	}
	/* Prediction: 20 values the "bars" change, read through pointers
	 * as the engine's outputs are. */
	{
		double vals[NF];
		const double *ptr[NF];
		const long n = 10000000;

		for (int f = 0; f < NF; f++) {
			vals[f] = ds.x[f];
			ptr[f] = &vals[f];
		}
		for (int r = 0; r < runs; r++) {
			int64_t a = trd_clock_mono_ns(), b;
			for (long k = 0; k < n; k++) {
				vals[k % NF] += 1e-9;
				sink += trd_sigmoid(trd_model_score_ptr(&m, ptr));
			}
			b = trd_clock_mono_ns();
			tp[r] = (double)(b - a) / (double)n;
			a = trd_clock_mono_ns();
			for (long k = 0; k < n; k++) {
				double d = 0;
				vals[k % NF] += 1e-9;
				for (int f = 0; f < NF; f++)
					d += m.w[f] * *ptr[f];
				sink += d;
			}
			b = trd_clock_mono_ns();
			td[r] = (double)(b - a) / (double)n;
			/* With the drift window, as the host does it. */
			{
				struct trd_strategy_model sm = { .m = m };
				sm.v = ptr;
				sm.ring = calloc((size_t)TRD_DRIFT_WINDOW *
							 (NF + 1), 1);
				sm.cnt = calloc(NF + 1, sizeof(*sm.cnt));
				a = trd_clock_mono_ns();
				for (long k = 0; k < n; k++) {
					double sc;
					vals[k % NF] += 1e-9;
					sc = trd_model_score_ptr(&m, ptr);
					trd_host_drift_add(&sm, sc);
					sink += trd_sigmoid(sc);
				}
				b = trd_clock_mono_ns();
				tw[r] = (double)(b - a) / (double)n;
				free(sm.ring);
				free(sm.cnt);
			}
		}
		printf("predict    %d features: %.1f ns per prediction "
		       "(standardise, dot, sigmoid), %.1f ns with the drift "
		       "window (host->model_predict); floor %.1f ns (plain dot "
		       "product)\n",
		       NF, median(tp, runs), median(tw, runs), median(td, runs));
	}
	if (sink == 12345.678)
		printf("%g\n", sink);
	trd_model_free(&m);
	free(ds.t0);
	free(ds.t1);
	free(ds.y);
	free(ds.x);
	return 0;
}
