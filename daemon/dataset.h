/*
 * dataset: rows for the models, made by the feature engine from bars.
 *
 * Row i is bar i of the series: its features are the values the engine
 * holds after that bar (what a strategy sees when the bar closes), its
 * label comes from later bars only, and its label interval [t0, t1] runs
 * from that bar's close (t0, when the decision is made) to the close of
 * the bar the label is known at (t1).  Rows with a feature not warmed up
 * (NaN) are dropped and counted, and so are the last rows, whose label
 * would need bars past the end.  Labels:
 *
 *   sign(h)                 1 if close[i+h] > close[i], else 0
 *   fwd_return(h)           close[i+h] / close[i] - 1 (for regression)
 *   triple_barrier(h,u,d)   the first of bars i+1..i+h whose high reaches
 *                           close[i] (1 + u/10000) gives 1, whose low
 *                           reaches close[i] (1 - d/10000) gives 0 (both
 *                           in one bar: 0, the conservative reading); if
 *                           neither by bar i+h, sign(h).  t1 is the close
 *                           of the bar that decided.  u, d integer bps.
 *
 * Files: a binary file (magic "TRDDSET1", little-endian; see dataset.c)
 * or CSV (t0,t1,label,features...; t0/t1 Unix seconds), and beside it a
 * manifest FILE.manifest.json: series, features, label, row count, time
 * span, drop counts, label counts and the SHA-256 of the dataset file.
 * Nothing in either depends on when or where it was made.
 */
#ifndef TRD_DATASET_H
#define TRD_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "feature.h"
#include "traderd/types.h"

#define TRD_DS_MAX_FEATURES 256
#define TRD_DS_LABEL_MAX    64

enum trd_label_kind { TRD_LABEL_SIGN, TRD_LABEL_FWD_RETURN,
		      TRD_LABEL_TRIPLE_BARRIER };

struct trd_label {
	enum trd_label_kind kind;
	uint32_t            h;             /* horizon in bars, 1..100000 */
	uint32_t            up_bps, dn_bps; /* triple_barrier, 1..100000 */
	char                text[TRD_DS_LABEL_MAX]; /* canonical */
};

struct trd_dataset {
	char      symbol[TRD_SYMBOL_MAX + 1];
	uint32_t  tf_s;
	struct trd_label label;
	uint32_t  nfeat;
	char    (*names)[TRD_FEATURE_NAME_MAX];
	size_t    nrows;
	int64_t  *t0, *t1;  /* ns */
	double   *y;
	double   *x;        /* nrows x nfeat, row-major */
	/* How it was made (0 for a loaded file's unknowns). */
	uint64_t  nbars, dropped_not_ready, dropped_no_label;
	int64_t   from_ns, to_ns; /* as asked; TRD_TIME_MIN/MAX: open */
};

/* Parse "sign(10)", "fwd_return(5)", "triple_barrier(20,50,50)".  0, or -1
 * with a message in err. */
int trd_label_parse(const char *s, struct trd_label *out, char *err,
		    size_t errlen);

/*
 * Rows from n bars of one series in time order (one timeframe tf_s, the
 * instrument's scales), with the named feature outputs (canonical output
 * names, as trd_feature_expand gives them).  0, or -1 with the reason in
 * err.  ds is freed with trd_dataset_free.
 */
int trd_dataset_build(const struct trd_bar *bars, size_t n, uint8_t price_dp,
		      uint8_t qty_dp, char (*names)[TRD_FEATURE_NAME_MAX],
		      uint32_t nfeat, const struct trd_label *label,
		      struct trd_dataset *ds, char *err, size_t errlen);
void trd_dataset_free(struct trd_dataset *ds);

/* The dataset file in memory: binary (csv 0) or CSV.  0 or -ENOMEM;
 * *buf is malloc'd. */
int trd_dataset_encode(const struct trd_dataset *ds, int csv, char **buf,
		       size_t *len);
/* Parse a binary dataset file's bytes.  0, or -1 with what is wrong (and
 * where) in err: a bad magic, a truncated file, a NaN or infinity in a
 * row, a name that is not a feature, times out of order. */
int trd_dataset_decode(const void *buf, size_t len, struct trd_dataset *ds,
		       char *err, size_t errlen);
/* The manifest (JSON text, malloc'd) of ds, whose file is file_name with
 * the given SHA-256 (hex). */
char *trd_dataset_manifest(const struct trd_dataset *ds, const char *file_name,
			   const char *sha256_hex);

/* Check a manifest (its JSON text, len bytes) against the dataset it
 * describes: the format, the SHA-256 of the dataset file (sha256_hex),
 * the row count, the label and the features.  0, or -1 with the first
 * difference (or what is malformed) in err. */
int trd_manifest_check(const char *json, size_t len,
		       const struct trd_dataset *ds, const char *sha256_hex,
		       char *err, size_t errlen);

/* SHA-256 of buf as 64 hex digits and a NUL. */
void trd_sha256_hex(const void *buf, size_t len, char out[65]);

/* Read a whole file (at most max bytes): 0, or a negative errno (-EFBIG
 * past max). */
int trd_file_read(const char *path, size_t max, char **buf, size_t *len);
/* Write a whole file under a temporary name, fsync'd, renamed into place,
 * its directory made first if missing (traderctl's -o paths): 0 or a
 * negative errno. */
int trd_file_write(const char *path, const void *buf, size_t len);

#endif
