/*
 * feature_regime: market-regime indicators, for rules and models alike.
 *
 *   er(n)          Kaufman's efficiency ratio: |c[t] - c[t-n]| over the sum
 *                  of the n bar-to-bar |c[i] - c[i-1]|, in [0, 1]; exact
 *                  (scaled integers).  NaN while the closes did not move.
 *   vol_pct(n,m)   the percentile of realised volatility vol(n) among its
 *                  own last m values (the current one included), by mid
 *                  rank: (#below + #equal / 2) / m, in (0, 1].
 *   regime(n,m)    both, with adx(n), and three labels:
 *     .vol_pct .er .adx   as above
 *     .trend   +1 trending up, -1 trending down, 0 ranging.  A trend
 *              starts when adx >= 25 and er >= 0.3, and lasts until adx
 *              < 20 or er < 0.2 (hysteresis: a regime does not flicker
 *              on a band); its direction is the sign of c[t] - c[t-n].
 *     .vol     0 low (vol_pct < 0.25), 1 normal, 2 high (> 0.75)
 *     .label   the combined regime, 3 (trend + 1) + vol, 0..8:
 *              0 down/low 1 down/normal 2 down/high 3 range/low
 *              4 range/normal 5 range/high 6 up/low 7 up/normal 8 up/high
 *
 * regime(n,m) is NaN in every field until adx(n) and vol_pct(n,m) are both
 * ready.  Each keeps its own copy of what it reads (adx and vol run as
 * private sub-instances of their kinds), so names stay independent.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feature_int.h"

#define TREND_ADX_ON   25.0
#define TREND_ADX_OFF  20.0
#define TREND_ER_ON    0.3
#define TREND_ER_OFF   0.2
#define VOL_LOW        0.25
#define VOL_HIGH       0.75

/* A private instance of another kind, updated by its owner. */
static int
sub_init(struct ind *sub, const struct ind *owner, const char *kind,
	 int64_t n)
{
	const struct kind *k = trd__kind_find(kind);

	if (k == NULL)
		return -1;
	*sub = (struct ind){ .k = k, .p = { n }, .ps = owner->ps,
			     .qs = owner->qs };
	set_nan(sub, TRD_FEATURE_MAX_OUT);
	if ((sub->st = calloc(1, k->ssize)) == NULL)
		return -1;
	return k->init ? k->init(sub) : 0;
}

static void
sub_free(struct ind *sub)
{
	if (sub->st != NULL && sub->k->fini != NULL)
		sub->k->fini(sub);
	free(sub->st);
	sub->st = NULL;
}

static void
sub_upd(struct ind *sub, const void *in)
{
	sub->k->update(sub, in);
	sub->nin++;
}

/* ---- er(n): a ring of n + 1 closes and the exact sum of |steps| ---- */

struct er {
	int64_t *c;
	uint32_t n, filled, next; /* filled counts closes, up to n + 1 */
	int64_t  path;            /* sum of the last n |c[i] - c[i-1]| */
};

static int
er_init(struct er *e, uint32_t n)
{
	e->n = n;
	e->c = calloc((size_t)n + 1, sizeof(*e->c));
	return e->c ? 0 : -1;
}

/* Push a close; the ratio, or NaN before n steps or on a flat path.
 * *move gets c[t] - c[t-n]. */
static double
er_push(struct er *e, int64_t c, int64_t *move)
{
	uint32_t m = e->n + 1, prev = (e->next + m - 1) % m;

	if (e->filled > 0)
		e->path += llabs(c - e->c[prev]);
	if (e->filled == m) {
		/* c[next] leaves; the step after it leaves with it. */
		int64_t o = e->c[e->next], o1 = e->c[(e->next + 1) % m];
		e->path -= llabs(o1 - o);
	} else {
		e->filled++;
	}
	e->c[e->next] = c;
	e->next = (e->next + 1) % m;
	if (e->filled < m)
		return NAN;
	/* The oldest close kept is c[t-n]. */
	*move = c - e->c[e->next];
	return e->path > 0 ? (double)llabs(*move) / (double)e->path : NAN;
}

struct st_er {
	struct er e;
};

static int
er_ind_init(struct ind *x)
{
	struct st_er *s = x->st;
	return er_init(&s->e, (uint32_t)x->p[0]);
}

static void
er_ind_free(struct ind *x)
{
	struct st_er *s = x->st;
	free(s->e.c);
}

static void
er_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_er *s = x->st;
	int64_t mv;

	x->out[0] = er_push(&s->e, b->b->close, &mv);
}

/* ---- vol_pct(n,m): vol(n) and a sorted copy of its last m values ---- */

struct pct {
	struct ind vol;
	double    *ring, *sorted;
	uint32_t   m, filled, next;
};

static int
pct_init(struct pct *p, const struct ind *owner, int64_t n, int64_t m)
{
	p->m = (uint32_t)m;
	p->ring = calloc(p->m, sizeof(*p->ring));
	p->sorted = calloc(p->m, sizeof(*p->sorted));
	if (p->ring == NULL || p->sorted == NULL)
		return -1;
	return sub_init(&p->vol, owner, "vol", n);
}

static void
pct_free(struct pct *p)
{
	sub_free(&p->vol);
	free(p->ring);
	free(p->sorted);
}

/* First index in a[0..k) with a[i] >= v (upper: > v). */
static uint32_t
dpos(const double *a, uint32_t k, double v, int upper)
{
	uint32_t lo = 0, hi = k;

	while (lo < hi) {
		uint32_t h = lo + (hi - lo) / 2;
		if (upper ? a[h] <= v : a[h] < v)
			lo = h + 1;
		else
			hi = h;
	}
	return lo;
}

/* Take the bar; the percentile, or NaN while vol or the window fills. */
static double
pct_push(struct pct *p, const void *in)
{
	double v, *s = p->sorted;
	uint32_t k, lo, hi;

	sub_upd(&p->vol, in);
	v = p->vol.out[0];
	if (isnan(v))
		return NAN;
	if (p->filled == p->m) {
		double o = p->ring[p->next];
		k = dpos(s, p->m, o, 0);
		memmove(s + k, s + k + 1, (p->m - 1 - k) * sizeof(*s));
	} else {
		p->filled++;
	}
	p->ring[p->next] = v;
	p->next = p->next + 1 == p->m ? 0 : p->next + 1;
	k = dpos(s, p->filled - 1, v, 0);
	memmove(s + k + 1, s + k, (p->filled - 1 - k) * sizeof(*s));
	s[k] = v;
	if (p->filled < p->m)
		return NAN;
	lo = dpos(s, p->m, v, 0);
	hi = dpos(s, p->m, v, 1);
	return (lo + (hi - lo) / 2.0) / p->m;
}

struct st_pct {
	struct pct p;
};

static int
pct_ind_init(struct ind *x)
{
	struct st_pct *s = x->st;
	return pct_init(&s->p, x, x->p[0], x->p[1]);
}

static void
pct_ind_free(struct ind *x)
{
	struct st_pct *s = x->st;
	pct_free(&s->p);
}

static void
pct_upd(struct ind *x, const void *in)
{
	struct st_pct *s = x->st;
	x->out[0] = pct_push(&s->p, in);
}

/* ---- regime(n,m) ---- */

static const char *const regime_fields[] = { "vol_pct", "er", "adx", "trend",
					     "vol", "label", NULL };

struct st_regime {
	struct pct p;
	struct er  e;
	struct ind adx;
	int        trending;
};

static int
regime_init(struct ind *x)
{
	struct st_regime *s = x->st;

	if (pct_init(&s->p, x, x->p[0], x->p[1]) != 0 ||
	    er_init(&s->e, (uint32_t)x->p[0]) != 0)
		return -1;
	return sub_init(&s->adx, x, "adx", x->p[0]);
}

static void
regime_free(struct ind *x)
{
	struct st_regime *s = x->st;

	pct_free(&s->p);
	free(s->e.c);
	sub_free(&s->adx);
}

static void
regime_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_regime *s = x->st;
	double pct, er, adx;
	int64_t mv = 0;
	int trend, vol;

	pct = pct_push(&s->p, in);
	er = er_push(&s->e, b->b->close, &mv);
	sub_upd(&s->adx, in);
	adx = s->adx.out[0];
	if (isnan(pct) || isnan(adx) || s->e.filled <= s->e.n) {
		set_nan(x, 6);
		return;
	}
	/* A flat path (er NaN) is no trend. */
	if (isnan(er) || adx < TREND_ADX_OFF || er < TREND_ER_OFF)
		s->trending = 0;
	else if (adx >= TREND_ADX_ON && er >= TREND_ER_ON)
		s->trending = 1;
	trend = s->trending ? (mv > 0) - (mv < 0) : 0;
	vol = pct < VOL_LOW ? 0 : pct > VOL_HIGH ? 2 : 1;
	x->out[0] = pct;
	x->out[1] = er;
	x->out[2] = adx;
	x->out[3] = trend;
	x->out[4] = vol;
	x->out[5] = 3 * (trend + 1) + vol;
}

#define KR(nm, pr, pn, f, st, in, fi, up)                                  \
	{ nm, pr, "", pn, 0, SRC_BAR, f, sizeof(st), in, fi, up, NULL, 0,   \
	  NULL }

const struct kind trd__regime_kinds[] = {
	KR("er", "n", "n", NULL, struct st_er, er_ind_init, er_ind_free,
	   er_upd),
	KR("vol_pct", "nn", "n,m", NULL, struct st_pct, pct_ind_init,
	   pct_ind_free, pct_upd),
	KR("regime", "nn", "n,m", regime_fields, struct st_regime, regime_init,
	   regime_free, regime_upd),
};
const size_t trd__nregime_kinds =
	sizeof(trd__regime_kinds) / sizeof(trd__regime_kinds[0]);
