/*
 * feature_int: what the feature set (feature.c), the indicator kinds
 * (feature_kinds.c) and the name parser (feature_name.c) share.  Private
 * to the feature module.
 */
#ifndef TRD_FEATURE_INT_H
#define TRD_FEATURE_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "feature.h"

enum src { SRC_BAR, SRC_QUOTE, SRC_TRADE };

struct trd_bar_in {
	const struct trd_bar *b;
	double o, h, l, c, v; /* natural units */
};

struct kind;

struct ind {
	const struct kind *k;
	char       name[64]; /* canonical name(params) */
	int64_t    p[4];     /* integer parameters */
	double     kf;       /* decimal parameter */
	int        first;    /* seed=first */
	double     out[TRD_FEATURE_MAX_OUT];
	uint64_t   nin;      /* inputs seen */
	struct ind *dep;     /* the shared instance this one reads, or NULL */
	double     ps, qs;   /* 10^price_dp, 10^qty_dp */
	void      *st;
};

typedef int (*init_fn)(struct ind *);
typedef void (*free_fn)(struct ind *);
typedef void (*upd_fn)(struct ind *, const void *in);

#define P_N   'n' /* integer 1..TRD_FEATURE_MAX_N */
#define P_K   'k' /* decimal > 0 */

struct kind {
	const char        *name;
	const char        *params;   /* required, in order */
	const char        *opt;      /* optional integer params after them */
	const char        *pnames;   /* for messages: "n,k" */
	int                seedable;
	enum src           src;
	const char *const *fields;   /* NULL: one unnamed output */
	size_t             ssize;    /* state size */
	init_fn            init;
	free_fn            fini;
	upd_fn             update;
	/* An alias is another output of an instance of kind `alias` with
	 * the same params (vwap_z(n) is out[1] of vwap(n)): computed once. */
	const char        *alias;
	int                alias_out;
	/* A derived kind reads the shared instance dep(n) (n its first
	 * param), created and updated before it. */
	const char        *dep;
};

static inline void
set_nan(struct ind *x, int k)
{
	for (int i = 0; i < k; i++)
		x->out[i] = NAN;
}

/* The kinds tables (feature_kinds.c, feature_regime.c): internal kinds
 * start with '_'.  Read them through trd__kind_at and trd__kind_find. */
extern const struct kind trd__kinds[];
extern const size_t trd__nkinds;
extern const struct kind trd__regime_kinds[];
extern const size_t trd__nregime_kinds;

/* The i-th kind of all tables, or NULL past the last. */
static inline const struct kind *
trd__kind_at(size_t i)
{
	if (i < trd__nkinds)
		return &trd__kinds[i];
	i -= trd__nkinds;
	return i < trd__nregime_kinds ? &trd__regime_kinds[i] : NULL;
}

/* The kind named name (internal ones included), or NULL. */
static inline const struct kind *
trd__kind_find(const char *name)
{
	const struct kind *k;

	for (size_t i = 0; (k = trd__kind_at(i)) != NULL; i++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* A parsed feature name: its kind and parameters, the output it names,
 * and the instance that computes it (an alias's target kind). */
struct spec {
	const struct kind *k;
	int64_t            p[4];
	double             kf;
	char               ktext[32]; /* k, canonical (trd_dec_format_short) */
	int                first;
	int                field;     /* index, or -1 for none */
	char               base[64];  /* name(params), canonical */
	char               inst[64];  /* the instance's name (alias target) */
	const struct kind *ik;        /* the instance's kind */
	int                out;       /* the output index in the instance */
};

/* Parse name (see feature.h for the grammar) into sp.  Returns 0, or -1
 * with a message naming the feature in err (errlen 0: no message). */
int trd__parse_name(const char *name, struct spec *sp, char *err,
		    size_t errlen);
/* How many outputs kind k has (1 if unnamed). */
int trd__nfields(const struct kind *k);

#endif
