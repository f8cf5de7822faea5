/*
 * What the feature-engine suites share (test_features.c, the references;
 * test_feature_props.c, the properties): exact bar series from the shipped
 * data, the engine run over them, tolerance tallies, and the plain
 * recomputations of every indicator (ref_value over rdefs), which share no
 * code with daemon/feature*.c.
 */
#ifndef TRD_TESTS_FEATURE_REF_H
#define TRD_TESTS_FEATURE_REF_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "feature.h"

typedef __int128 i128;

struct rng {
	uint64_t s;
};

#define MAXCOL 20

struct table {
	char   *buf;
	char   *head[MAXCOL];
	int     nhead;
	size_t  nrow;
	char *(*row)[MAXCOL];
};

struct series {
	size_t          n, cap;
	struct trd_bar *b;
	int             pdp, qdp;
	long double     P, Q;        /* 10^pdp, 10^qdp */
	long double    *h, *l, *c, *v; /* natural units */
	long double     level;       /* largest close */
};

struct tally {
	char        what[160];
	size_t      n, bad, first, worst;
	double      first_got, worst_got, worst_ratio;
	long double first_want, worst_want;
};

enum rkind {
	K_SMA, K_EMA, K_WMA, K_RSI, K_MACD, K_ROC, K_CCI, K_BB, K_ATR, K_ADX,
	K_STOCH, K_WILLR, K_VOL, K_Z, K_VWAP, K_VWAPZ, K_DC, K_KC, K_OBV
};

struct rdef {
	const char *name;  /* engine output */
	enum rkind  k;
	int         n, m, g; /* periods (macd: f, s, g; stoch: n, d;
			      * keltner: n, m) */
	int         first; /* seed=first */
	int         field; /* output, in the kind's order */
	double      kf;    /* bb, keltner */
	double      abs;   /* absolute floor near zero */
	int         absp;  /* abs is a fraction of the series' price level */
};

#define NAN_L ((long double)NAN)

/* The BTCUSDT 1m days of tests/data/shared/binance_spot_klines. */
extern const char *const btc_files[3];
/* The quote features the references check. */
#define NQNAMES 6
extern const char *const qnames[NQNAMES];
/* Every engine output the references check, and how. */
#define NRDEFS 57
extern const struct rdef rdefs[];

uint64_t rnd(struct rng *r);

int64_t rnd_in(struct rng *r, int64_t lo, int64_t hi);

long double pow10l_(int dp);

int verbose(void);

int frac_digits(const char *s);

int64_t scaled(const char *s, int dp);

int split_cells(char *p, char **cells);

void table_load(struct table *t, const char *rel, int has_header);

void table_free(struct table *t);

int tcol(const struct table *t, const char *name);

int64_t days_from_civil(int y, int m, int d);

int64_t parse_date(const char *s);

void series_push(struct series *s, int64_t o, int64_t h, int64_t l, int64_t c,
	    int64_t v);

void series_finish(struct series *s);

void series_free(struct series *s);

void load_klines(struct series *s, const char *const *files, size_t nfiles);

void make_synthetic(struct series *s, size_t n, uint64_t seed, int degenerate);

const double *add_ok(struct trd_fset *fs, const char *name);

double *run_bars(const struct series *s, const char *const *names, size_t nf);

void tally_init(struct tally *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void tally_add(struct tally *t, size_t at, double got, long double want,
	  double rel, double abs);

void tally_expect(const struct tally *t);

long double ref_ema(const struct series *s, size_t i, int n, int first);

long double true_range(const struct series *s, size_t j);

long double ref_atr(const struct series *s, size_t i, int n);

long double ref_rsi(const struct series *s, size_t i, int n, int first);

long double ref_macd(const struct series *s, size_t i, int f, int sl, int g, int first,
	 int field);

long double ref_adx(const struct series *s, size_t i, int n, int field);

void hh_ll(const struct series *s, size_t i, int n, int64_t *hh, int64_t *ll);

long double ref_stoch_k(const struct series *s, size_t i, int n);

long double n2var_closes(const struct series *s, size_t i, int n, i128 *sum);

long double ref_vwap(const struct series *s, size_t i, int n, int z);

long double ref_value(const struct series *s, size_t i, const struct rdef *d);

void check_references(const struct series *s, const char *label);

#endif
