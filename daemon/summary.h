/*
 * summary: what was read of one series of bars, gathered by the store's
 * cursor in the loop that decodes them (a hash step and a few compares
 * per bar): the record of the data behind a run and its price chart.
 * Buckets are spans of equal time, the first starting at the first bar,
 * with their high, low and last close; they double in width whenever
 * TRD_SUMMARY_BUCKETS would not hold them.
 */
#ifndef TRD_SUMMARY_H
#define TRD_SUMMARY_H

#include <stdint.h>

#include "traderd/types.h"

#define TRD_SUMMARY_BUCKETS 480

struct trd_bar_bucket {
	int64_t t;       /* start (a bar open time) */
	int64_t h, l, c;
};

struct trd_series_summary {
	uint32_t sym;              /* the registry handle */
	uint64_t nbars;
	uint64_t hash;             /* of every field of every bar, in order */
	int64_t  first_ns, last_ns; /* bar opens; 0: no bar */
	int64_t  first_open, last_close;
	int64_t  w, cur_end;       /* bucket width (> 0); end of the last */
	uint32_t nb;
	struct trd_bar_bucket b[TRD_SUMMARY_BUCKETS];
};

/* b opens at or past the end of the last bucket (or is the first bar):
 * start a bucket for it, widening them all if full. */
void trd_summary_bucket(struct trd_series_summary *m, const struct trd_bar *b);

#endif
