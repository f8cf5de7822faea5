/*
 * feature: see feature.h.  This file holds the sets; the kinds are in
 * feature_kinds.c, the names in feature_name.c, the blocks in
 * feature_win.h.
 *
 * Each indicator kind is a row of the kinds[] table: its parameters, its
 * output fields, what feeds it (bars, quotes or trades), and an update
 * function over its own state.  The building blocks below keep that state
 * O(1) per input:
 *
 *   xwin   a ring of scaled integers with exact 128-bit sums of the values
 *          and of their squares, taken from an anchor (the first value), so
 *          means, variances and z-scores have no rounding drift at all:
 *          the only rounding is the final conversion to double.
 *   mono   a monotonic deque: rolling maximum or minimum, amortised O(1).
 *   cci    a sorted copy of its window (its mean deviation, the sum of
 *          |x - mean|, needs the values on either side of a moving mean).
 *   csum   a compensated (Neumaier) running sum for double inputs (log
 *          returns, %K, volume-weighted prices).
 *   ema    exponential average seeded with the SMA of its first n inputs
 *          (TA-Lib, StockCharts) or with its first input (pandas
 *          ewm(adjust=False), the bukosabino/ta spreadsheets): seed=first.
 *   wilder Wilder's smoothing, (prev * (n - 1) + x) / n, SMA-seeded.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature_int.h"

struct trd_fset {
	uint8_t      price_dp, qty_dp;
	double       ps, qs;
	struct ind **all;
	size_t       nall, cap;
	struct ind **on[3];  /* by source */
	size_t       non[3];
	/* Recent data. */
	struct trd_bar   *bars;
	struct trd_quote *quotes;
	struct trd_trade *trades;
	uint32_t          hist;
	uint64_t          nbars, nquotes, ntrades;
	uint32_t          ibar, iquote, itrade; /* next slot of each ring */
};


int
trd_fset_new(struct trd_fset **out, uint8_t price_dp, uint8_t qty_dp,
	     uint32_t history)
{
	struct trd_fset *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		return -ENOMEM;
	fs->price_dp = price_dp;
	fs->qty_dp = qty_dp;
	fs->ps = pow(10, price_dp);
	fs->qs = pow(10, qty_dp);
	fs->hist = history ? history : 1;
	fs->bars = calloc(fs->hist, sizeof(*fs->bars));
	fs->quotes = calloc(fs->hist, sizeof(*fs->quotes));
	fs->trades = calloc(fs->hist, sizeof(*fs->trades));
	if (fs->bars == NULL || fs->quotes == NULL || fs->trades == NULL) {
		trd_fset_free(fs);
		return -ENOMEM;
	}
	*out = fs;
	return 0;
}

static void
ind_free(struct ind *x)
{
	if (x == NULL)
		return;
	if (x->k->fini && x->st)
		x->k->fini(x);
	free(x->st);
	free(x);
}

void
trd_fset_free(struct trd_fset *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->nall; i++)
		ind_free(fs->all[i]);
	free(fs->all);
	for (int i = 0; i < 3; i++)
		free(fs->on[i]);
	free(fs->bars);
	free(fs->quotes);
	free(fs->trades);
	free(fs);
}

static struct ind *
ind_new(struct trd_fset *fs, const struct spec *sp)
{
	struct ind *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->k = sp->ik;
	memcpy(x->name, sp->inst, sizeof(x->name));
	memcpy(x->p, sp->p, sizeof(x->p));
	x->kf = sp->kf;
	x->first = sp->first;
	x->ps = fs->ps;
	x->qs = fs->qs;
	set_nan(x, TRD_FEATURE_MAX_OUT);
	x->st = calloc(1, sp->ik->ssize);
	if (x->st == NULL || (sp->ik->init && sp->ik->init(x) != 0)) {
		ind_free(x);
		return NULL;
	}
	return x;
}

/* The instance sp names: found, or created (after the shared instance it
 * reads, if any, so that one updates first). */
static struct ind *
inst_get(struct trd_fset *fs, const struct spec *sp, struct ind *dep,
	 const char *name, char *err, size_t errlen)
{
	struct ind *x, **a, **b;
	size_t src = sp->ik->src;

	for (size_t i = 0; i < fs->nall; i++)
		if (strcmp(fs->all[i]->name, sp->inst) == 0)
			return fs->all[i];
	if (sp->ik->dep && dep == NULL) {
		struct spec ds = { .p = { sp->p[0] }, .field = -1 };
		ds.k = ds.ik = trd__kind_find(sp->ik->dep);
		snprintf(ds.inst, sizeof(ds.inst), "%s(%lld)", ds.k->name,
			 (long long)sp->p[0]);
		memcpy(ds.base, ds.inst, sizeof(ds.base));
		if ((dep = inst_get(fs, &ds, NULL, name, err, errlen)) == NULL)
			return NULL;
	}
	if (fs->nall >= TRD_FEATURE_MAX_SET) {
		snprintf(err, errlen, "feature \"%s\": this instrument already "
			 "has %d indicators, the most a set holds", name,
			 TRD_FEATURE_MAX_SET);
		return NULL;
	}
	if ((x = ind_new(fs, sp)) == NULL)
		goto nomem;
	x->dep = dep;
	a = realloc(fs->all, (fs->nall + 1) * sizeof(*a));
	if (a == NULL) {
		ind_free(x);
		goto nomem;
	}
	fs->all = a;
	b = realloc(fs->on[src], (fs->non[src] + 1) * sizeof(*b));
	if (b == NULL) {
		ind_free(x);
		goto nomem;
	}
	fs->on[src] = b;
	fs->all[fs->nall++] = x;
	fs->on[src][fs->non[src]++] = x;
	return x;
nomem:
	snprintf(err, errlen, "feature \"%s\": out of memory", name);
	return NULL;
}

const double *
trd_fset_add(struct trd_fset *fs, const char *name, char *err, size_t errlen)
{
	struct spec sp;
	struct ind *x;

	if (trd__parse_name(name, &sp, err, errlen) != 0)
		return NULL;
	if (sp.field < 0 && sp.k->fields != NULL) {
		char f[256];
		size_t o = 0;
		for (int i = 0; sp.k->fields[i] && o < sizeof(f); i++)
			o += (size_t)snprintf(f + o, sizeof(f) - o, "%s.%s",
					      i ? ", " : "", sp.k->fields[i]);
		snprintf(err, errlen, "feature \"%s\": %s has several "
			 "outputs; name one of %s", name, sp.k->name, f);
		return NULL;
	}
	if ((x = inst_get(fs, &sp, NULL, name, err, errlen)) == NULL)
		return NULL;
	return &x->out[sp.out];
}

/* The set's bar indicators take the bar.  Out of line, so a set without
 * any keeps trd_fset_bar to the history copy. */
static __attribute__((noinline)) void
fset_bar_update(struct trd_fset *fs, const struct trd_bar *bar)
{
	struct trd_bar_in in;
	struct ind **on = fs->on[SRC_BAR];
	size_t n = fs->non[SRC_BAR];

	in = (struct trd_bar_in){
		.b = bar, .o = (double)bar->open / fs->ps,
		.h = (double)bar->high / fs->ps,
		.l = (double)bar->low / fs->ps,
		.c = (double)bar->close / fs->ps,
		.v = (double)bar->volume / fs->qs,
	};
	for (size_t i = 0; i < n; i++) {
		on[i]->k->update(on[i], &in);
		on[i]->nin++;
	}
}

void
trd_fset_bar(struct trd_fset *fs, const struct trd_bar *bar)
{
	fs->bars[fs->ibar] = *bar;
	if (++fs->ibar == fs->hist)
		fs->ibar = 0;
	fs->nbars++;
	if (fs->non[SRC_BAR] != 0)
		fset_bar_update(fs, bar);
}

void
trd_fset_quote(struct trd_fset *fs, const struct trd_quote *q)
{
	struct ind **on = fs->on[SRC_QUOTE];

	fs->quotes[fs->iquote] = *q;
	if (++fs->iquote == fs->hist)
		fs->iquote = 0;
	fs->nquotes++;
	for (size_t i = 0, n = fs->non[SRC_QUOTE]; i < n; i++) {
		on[i]->k->update(on[i], q);
		on[i]->nin++;
	}
}

void
trd_fset_trade(struct trd_fset *fs, const struct trd_trade *t)
{
	struct ind **on = fs->on[SRC_TRADE];

	fs->trades[fs->itrade] = *t;
	if (++fs->itrade == fs->hist)
		fs->itrade = 0;
	fs->ntrades++;
	for (size_t i = 0, n = fs->non[SRC_TRADE]; i < n; i++) {
		on[i]->k->update(on[i], t);
		on[i]->nin++;
	}
}

int
trd_fset_bar_at(const struct trd_fset *fs, size_t k, struct trd_bar *out)
{
	if (k >= fs->hist || k >= fs->nbars)
		return -ENOENT;
	*out = fs->bars[(fs->nbars - 1 - k) % fs->hist];
	return 0;
}

int
trd_fset_quote_at(const struct trd_fset *fs, size_t k, struct trd_quote *out)
{
	if (k >= fs->hist || k >= fs->nquotes)
		return -ENOENT;
	*out = fs->quotes[(fs->nquotes - 1 - k) % fs->hist];
	return 0;
}

int
trd_fset_trade_at(const struct trd_fset *fs, size_t k, struct trd_trade *out)
{
	if (k >= fs->hist || k >= fs->ntrades)
		return -ENOENT;
	*out = fs->trades[(fs->ntrades - 1 - k) % fs->hist];
	return 0;
}

size_t
trd_fset_count(const struct trd_fset *fs)
{
	return fs->nall;
}
