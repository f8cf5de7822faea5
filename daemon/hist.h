/*
 * hist: a fixed-bucket latency histogram, cheap enough for the per-event
 * path (a few compares, no allocation).  Buckets are upper bounds in ns,
 * the same for every histogram, so the metrics page (metrics.c) renders
 * them as Prometheus histograms in seconds.
 */
#ifndef TRD_HIST_H
#define TRD_HIST_H

#include <stdint.h>

#define TRD_HIST_NB 22

/* Upper bounds, ns: 1 us .. 10 s. */
static const int64_t trd_hist_le[TRD_HIST_NB] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
	250000000, 500000000, 1000000000, 2500000000, 5000000000,
	10000000000,
};

struct trd_hist {
	uint64_t n[TRD_HIST_NB + 1]; /* per bucket (not cumulative); the
				      * last counts what is above 10 s */
	uint64_t count;
	int64_t  sum_ns;
};

static inline void
trd_hist_observe(struct trd_hist *h, int64_t ns)
{
	int i = 0;

	if (ns < 0)
		ns = 0;
	while (i < TRD_HIST_NB && ns > trd_hist_le[i])
		i++;
	h->n[i]++;
	h->count++;
	h->sum_ns += ns;
}

#endif
