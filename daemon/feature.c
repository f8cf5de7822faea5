/*
 * feature: see feature.h.
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

#include "decimal.h"
#include "feature.h"

typedef __int128 i128;

enum src { SRC_BAR, SRC_QUOTE, SRC_TRADE };

/* ---- building blocks ---- */

/*
 * Ring of scaled integers with exact sums from an anchor.  Every value in
 * the window is kept within `bound` of the anchor, which keeps the sum of
 * squares within 2^126; a value further away moves the anchor (an O(n)
 * pass, which real prices almost never need).  A window whose own range
 * is wider than that (2^54 units at n = 100000: 29000 at 12 decimals) is
 * `wide`: its variance is then taken two-pass in long double.
 */
struct xwin {
	int64_t *d;        /* value - anchor */
	uint32_t n, filled, next;
	int      anchored, wide;
	int64_t  anchor;
	int64_t  bound;    /* floor(sqrt(2^126 / n)) */
	i128     s1, s2;
};

static int
xwin_init(struct xwin *w, uint32_t n)
{
	long double b = sqrtl(ldexpl(1, 126) / n);

	w->n = n;
	w->bound = b >= 0x1p62L ? INT64_C(1) << 62 : (int64_t)b;
	while ((i128)w->bound * w->bound * n > ((i128)1 << 126))
		w->bound--;
	w->d = calloc(n, sizeof(*w->d));
	return w->d ? 0 : -1;
}

static void
xwin_free(struct xwin *w)
{
	free(w->d);
}

/* Move the anchor to a; returns the largest |value - a| in the window. */
static i128
xwin_shift(struct xwin *w, int64_t a)
{
	i128 shift = (i128)w->anchor - a, far = 0;

	w->s1 = 0;
	w->s2 = 0;
	for (uint32_t i = 0; i < w->filled; i++) {
		i128 d = w->d[i] + shift;
		if (d > far || -d > far)
			far = d < 0 ? -d : d;
		w->d[i] = (int64_t)d;
		w->s1 += d;
		w->s2 += d * d; /* garbage if wide; unused then */
	}
	w->anchor = a;
	return far;
}

/* Re-anchor at x, or at the middle of the window's range if that keeps
 * more of it in bound; set wide if nothing does. */
static void
xwin_reanchor(struct xwin *w, int64_t x)
{
	int64_t lo = x, hi = x;

	if (xwin_shift(w, x) <= w->bound) {
		w->wide = 0;
		return;
	}
	for (uint32_t i = 0; i < w->filled; i++) {
		int64_t v = (int64_t)((i128)w->d[i] + w->anchor);
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	w->wide = xwin_shift(w, (int64_t)(((i128)lo + hi) / 2)) > w->bound;
}

static void
xwin_push(struct xwin *w, int64_t x)
{
	i128 dd;
	int64_t o = 0;
	int full = w->filled == w->n;

	if (!w->anchored) {
		w->anchor = x;
		w->anchored = 1;
	}
	if (full) {
		o = w->d[w->next];
		w->s1 -= o;
		w->s2 -= (i128)o * o;
		w->filled--; /* out of the ring while we may re-anchor */
		w->d[w->next] = w->d[w->filled];
	}
	dd = (i128)x - w->anchor;
	if (dd > w->bound || dd < -w->bound || w->wide) {
		xwin_reanchor(w, x);
		dd = (i128)x - w->anchor;
	}
	/* Keep ring order: put the moved value back where it was. */
	if (full) {
		w->d[w->filled] = w->d[w->next];
		w->filled++;
	} else {
		w->filled++;
	}
	w->d[w->next] = (int64_t)dd;
	w->s1 += dd;
	w->s2 += dd * dd;
	if (++w->next == w->n)
		w->next = 0;
}

/* Mean in scaled units. */
static double
xwin_mean(const struct xwin *w)
{
	return (double)((long double)w->anchor +
			(long double)w->s1 / w->filled);
}

/* n^2 * population variance, exact, when it fits 127 bits: 1, else 0. */
static int
xwin_n2var(const struct xwin *w, i128 *out)
{
	i128 a, b;

	if (w->wide ||
	    __builtin_mul_overflow((i128)w->filled, w->s2, &a) ||
	    __builtin_mul_overflow(w->s1, w->s1, &b))
		return 0;
	*out = a - b < 0 ? 0 : a - b;
	return 1;
}

/* Population variance in scaled units squared. */
static long double
xwin_var(const struct xwin *w)
{
	long double n = w->filled, m, v = 0;
	i128 e;

	if (xwin_n2var(w, &e))
		return (long double)e / (n * n);
	m = (long double)w->s1 / n;
	if (!w->wide) {
		v = (long double)w->s2 / n - m * m;
	} else {
		for (uint32_t i = 0; i < w->filled; i++)
			v += (w->d[i] - m) * (w->d[i] - m);
		v /= n;
	}
	return v > 0 ? v : 0;
}

/* Monotonic deque: rolling max (sign 1) or min (sign -1) over n inputs. */
struct mono {
	int64_t  *val;
	uint64_t *at;
	uint32_t  n, head, len;
	int       sign;
};

static int
mono_init(struct mono *m, uint32_t n, int sign)
{
	m->n = n;
	m->sign = sign;
	m->val = calloc(n, sizeof(*m->val));
	m->at = calloc(n, sizeof(*m->at));
	return m->val && m->at ? 0 : -1;
}

static void
mono_free(struct mono *m)
{
	free(m->val);
	free(m->at);
}

/* Push x as input number t (0, 1, ...); returns the extreme of the last n. */
static int64_t
mono_push(struct mono *m, int64_t x, uint64_t t)
{
	uint32_t b;

	/* Drop from the back what x dominates. */
	while (m->len > 0) {
		b = m->head + m->len - 1;
		if (b >= m->n)
			b -= m->n;
		if (m->sign > 0 ? m->val[b] > x : m->val[b] < x)
			break;
		m->len--;
	}
	/* Drop from the front what left the window. */
	while (m->len > 0 && m->at[m->head] + m->n <= t) {
		if (++m->head == m->n)
			m->head = 0;
		m->len--;
	}
	b = m->head + m->len;
	if (b >= m->n)
		b -= m->n;
	m->val[b] = x;
	m->at[b] = t;
	m->len++;
	return m->val[m->head];
}

/* Neumaier-compensated running sum. */
struct csum {
	double s, c;
};

static void
csum_add(struct csum *a, double x)
{
	double t = a->s + x;

	if (fabs(a->s) >= fabs(x))
		a->c += (a->s - t) + x;
	else
		a->c += (x - t) + a->s;
	a->s = t;
}

static double
csum_get(const struct csum *a)
{
	return a->s + a->c;
}

/* Ring of doubles with compensated sums of x and x^2 and a NaN count. */
struct dwin {
	double     *x;
	uint32_t    n, filled, next, nnan;
	struct csum s1, s2;
};

static int
dwin_init(struct dwin *w, uint32_t n)
{
	w->n = n;
	w->x = calloc(n, sizeof(*w->x));
	return w->x ? 0 : -1;
}

static void
dwin_push(struct dwin *w, double x)
{
	if (w->filled == w->n) {
		double o = w->x[w->next];
		if (isnan(o)) {
			w->nnan--;
		} else {
			csum_add(&w->s1, -o);
			csum_add(&w->s2, -o * o);
		}
	} else {
		w->filled++;
	}
	w->x[w->next] = x;
	if (isnan(x)) {
		w->nnan++;
	} else {
		csum_add(&w->s1, x);
		csum_add(&w->s2, x * x);
	}
	if (++w->next == w->n)
		w->next = 0;
}

/* Exponential average. */
struct ema {
	double   a, v, sum;
	uint32_t n;
	uint64_t cnt;
	int      first; /* seed with the first input instead of the SMA */
};

static void
ema_init(struct ema *e, uint32_t n, int first)
{
	e->n = n;
	e->a = 2.0 / ((double)n + 1);
	e->first = first;
}

/* Feed x; returns 1 once warm. */
static int
ema_push(struct ema *e, double x)
{
	e->cnt++;
	if (e->first) {
		e->v = e->cnt == 1 ? x : e->v + e->a * (x - e->v);
	} else if (e->cnt <= e->n) {
		e->sum += x;
		if (e->cnt == e->n)
			e->v = e->sum / e->n;
	} else {
		e->v += e->a * (x - e->v);
	}
	return e->cnt >= e->n;
}

/* Wilder's smoothing; seeded with the mean of the first n (or, with
 * first, with the first input). */
struct wilder {
	double   v, sum, in; /* in = 1 / n, set on the first input */
	uint32_t n;
	uint64_t cnt;
	int      first;
};

static int
wilder_push(struct wilder *w, double x)
{
	if (w->cnt++ == 0)
		w->in = 1.0 / w->n;
	if (w->first) {
		w->v = w->cnt == 1 ? x : w->v + (x - w->v) * w->in;
	} else if (w->cnt <= w->n) {
		w->sum += x;
		if (w->cnt == w->n)
			w->v = w->sum * w->in;
	} else {
		/* (v (n - 1) + x) / n, one multiply. */
		w->v += (x - w->v) * w->in;
	}
	return w->cnt >= w->n;
}

/* ---- the set ---- */

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

static void
set_nan(struct ind *x, int k)
{
	for (int i = 0; i < k; i++)
		x->out[i] = NAN;
}

/* _win(n): the exact window of n closes that sma(n), zscore(n) and every
 * bb(n,k) share.  out[0] mean, out[1] population sd (prices), out[2]
 * z-score of the close. */
struct st_xw {
	struct xwin w;
};

static int
xw_init(struct ind *x)
{
	struct st_xw *s = x->st;
	return xwin_init(&s->w, (uint32_t)x->p[0]);
}

static void
xw_free(struct ind *x)
{
	struct st_xw *s = x->st;
	xwin_free(&s->w);
}

static void
win_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_xw *s = x->st;
	i128 num, e;

	xwin_push(&s->w, b->b->close);
	if (s->w.filled < s->w.n)
		return;
	x->out[0] = xwin_mean(&s->w) / x->ps;
	/* z = (c - mean) / sd = (n dc - s1) / sqrt(n^2 var), exact up to
	 * the last roundings when n^2 var fits 127 bits. */
	num = (i128)s->w.n * ((i128)b->b->close - s->w.anchor) - s->w.s1;
	if (xwin_n2var(&s->w, &e)) {
		double r = sqrt((double)e);
		x->out[1] = r / s->w.n / x->ps;
		x->out[2] = e > 0 ? (double)num / r : NAN;
	} else {
		long double v = xwin_var(&s->w);
		x->out[1] = (double)sqrtl(v) / x->ps;
		x->out[2] = v > 0 ? (double)((long double)num / s->w.n /
					     sqrtl(v))
				  : NAN;
	}
}

static const char *const bb_fields[] = { "mid", "upper", "lower", "pctb",
					 "width", NULL };

/* bb(n,k) reads its _win(n), updated just before it. */
static void
bb_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	const struct ind *w = x->dep;
	double mid = w->out[0], sd = w->out[1], up, lo;

	if (isnan(mid))
		return;
	up = mid + x->kf * sd;
	lo = mid - x->kf * sd;
	x->out[0] = mid;
	x->out[1] = up;
	x->out[2] = lo;
	x->out[3] = up > lo ? (b->c - lo) / (up - lo) : NAN;
	x->out[4] = mid != 0 ? (up - lo) / mid : NAN;
}

struct st_ema {
	struct ema e;
};

static int
ema_init_ind(struct ind *x)
{
	struct st_ema *s = x->st;
	ema_init(&s->e, (uint32_t)x->p[0], x->first);
	return 0;
}

static void
ema_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_ema *s = x->st;

	if (ema_push(&s->e, b->c))
		x->out[0] = s->e.v;
}

/* wma: weights 1..n, the latest n; exact sums from the first close. */
struct st_wma {
	int64_t *d;
	uint32_t n, filled, next;
	int64_t  anchor;
	double   iw;       /* 1 / (n (n + 1) / 2) */
	i128     num, sum;
};

static int
wma_init(struct ind *x)
{
	struct st_wma *s = x->st;
	s->n = (uint32_t)x->p[0];
	s->iw = 2 / ((double)s->n * (s->n + 1));
	s->d = calloc(s->n, sizeof(*s->d));
	return s->d ? 0 : -1;
}

static void
wma_free(struct ind *x)
{
	struct st_wma *s = x->st;
	free(s->d);
}

static void
wma_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_wma *s = x->st;
	int64_t d;

	if (x->nin == 0)
		s->anchor = b->b->close;
	/* Prices are positive scaled integers; the anchor is one of them, so
	 * d fits, and n(n+1)/2 * |d| fits in 127 bits for n <= 10^5. */
	d = b->b->close - s->anchor;
	if (s->filled == s->n) {
		/* Every weight drops by one (the oldest falls to 0). */
		s->num += (i128)s->n * d - s->sum;
		s->sum += d - s->d[s->next];
	} else {
		s->filled++;
		s->num += (i128)s->filled * d;
		s->sum += d;
	}
	s->d[s->next] = d;
	if (++s->next == s->n)
		s->next = 0;
	if (s->filled == s->n)
		x->out[0] = ((double)s->anchor + (double)s->num * s->iw) /
			    x->ps;
}

/* rsi: Wilder averages of gains and losses. */
struct st_rsi {
	struct wilder g, l;
	int64_t       prev;
};

static int
rsi_init(struct ind *x)
{
	struct st_rsi *s = x->st;
	s->g.n = s->l.n = (uint32_t)x->p[0];
	s->g.first = s->l.first = x->first;
	return 0;
}

static void
rsi_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_rsi *s = x->st;
	double ch, ag, al;
	int ready;

	if (x->nin == 0) {
		s->prev = b->b->close;
		/* seed=first counts the first bar as no change (pandas'
		 * diff().where() turns its NaN into 0). */
		if (x->first) {
			wilder_push(&s->g, 0);
			wilder_push(&s->l, 0);
		}
		return;
	}
	/* In scaled units: the ratio of the averages has no scale. */
	ch = (double)(b->b->close - s->prev);
	s->prev = b->b->close;
	wilder_push(&s->g, ch > 0 ? ch : 0);
	ready = wilder_push(&s->l, ch < 0 ? -ch : 0);
	if (!ready || x->nin < (uint64_t)x->p[0])
		return;
	ag = s->g.v;
	al = s->l.v;
	x->out[0] = al == 0 ? (ag == 0 ? 50 : 100) : 100 - 100 / (1 + ag / al);
}

/* macd */
static const char *const macd_fields[] = { "line", "signal", "hist", NULL };

struct st_macd {
	struct ema f, s, g;
};

static int
macd_init(struct ind *x)
{
	struct st_macd *s = x->st;
	ema_init(&s->f, (uint32_t)x->p[0], x->first);
	ema_init(&s->s, (uint32_t)x->p[1], x->first);
	ema_init(&s->g, (uint32_t)x->p[2], x->first);
	return 0;
}

static void
macd_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_macd *s = x->st;
	int fr = ema_push(&s->f, b->c), sr = ema_push(&s->s, b->c);
	double line;

	/* With seed=first the line exists from the first bar, and the signal
	 * averages it from there (as pandas does); with the SMA seed the
	 * signal starts once the line is warm. */
	if (!(x->first || (fr && sr)))
		return;
	line = s->f.v - s->s.v;
	if (ema_push(&s->g, line) && fr && sr) {
		x->out[0] = line;
		x->out[1] = s->g.v;
		x->out[2] = line - s->g.v;
	} else if (fr && sr) {
		x->out[0] = line;
	}
}

/* roc: the close n bars back. */
struct st_roc {
	int64_t *c;
	uint32_t n, next;
};

static int
roc_init(struct ind *x)
{
	struct st_roc *s = x->st;
	s->n = (uint32_t)x->p[0] + 1;
	s->c = calloc(s->n, sizeof(*s->c));
	return s->c ? 0 : -1;
}

static void
roc_free(struct ind *x)
{
	struct st_roc *s = x->st;
	free(s->c);
}

static void
roc_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_roc *s = x->st;
	int64_t old;

	s->c[s->next] = b->b->close;
	if (++s->next == s->n)
		s->next = 0;
	if (x->nin + 1 < s->n)
		return;
	old = s->c[s->next]; /* the oldest of the n + 1 kept */
	x->out[0] = old != 0 ? 100.0 * (double)(b->b->close - old) /
				       (double)old
			     : NAN;
}

/* cci: typical price as 3 tp = h + l + c, exact.  The mean deviation
 * needs the window's values on either side of its moving mean: they are
 * kept sorted (binary search and a move of at most n values per bar), and
 * the sum of the k smallest, k the count below the mean, is kept as k
 * moves (by one or two places a bar, the mean moving slowly).  No
 * arithmetic over the window. */
struct st_cci {
	int64_t *d;      /* ring, arrival order */
	int64_t *sorted; /* the same values, ascending */
	uint32_t n, next, m, k;
	int64_t  anchor;
	i128     sum, sum_lo; /* of all; of sorted[0..k) */
};

static int
cci_init(struct ind *x)
{
	struct st_cci *s = x->st;
	s->n = (uint32_t)x->p[0];
	s->d = calloc(s->n, sizeof(*s->d));
	s->sorted = calloc(s->n, sizeof(*s->sorted));
	return s->d && s->sorted ? 0 : -1;
}

static void
cci_free(struct ind *x)
{
	struct st_cci *s = x->st;
	free(s->d);
	free(s->sorted);
}

/* First index in sorted[0..m) whose value is >= v (or > v with upper).
 * Branch-free: the comparisons of a search over moving prices do not
 * predict. */
static inline uint32_t
bsearch_pos(const int64_t *a, uint32_t m, int64_t v, int upper)
{
	const int64_t *b = a;

	if (m == 0)
		return 0;
	while (m > 1) {
		uint32_t h = m / 2;
		b = (upper ? b[h] <= v : b[h] < v) ? b + h : b;
		m -= h;
	}
	return (uint32_t)(b - a) + (upper ? *b <= v : *b < v);
}

static void
cci_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_cci *s = x->st;
	i128 v3 = (i128)b->b->high + b->b->low + b->b->close, n = s->n, dev;
	int64_t d;
	uint32_t p, lo, hi;

	if (x->nin == 0)
		s->anchor = (int64_t)(v3 / 3);
	d = (int64_t)(v3 - 3 * (i128)s->anchor);
	if (s->m == s->n) {
		int64_t o = s->d[s->next];
		p = bsearch_pos(s->sorted, s->m, o, 0);
		if (p < s->k) {
			s->sum_lo -= o;
			s->k--;
		}
		memmove(&s->sorted[p], &s->sorted[p + 1],
			(s->m - p - 1) * sizeof(*s->sorted));
		s->m--;
		s->sum -= o;
	}
	p = bsearch_pos(s->sorted, s->m, d, 1);
	memmove(&s->sorted[p + 1], &s->sorted[p],
		(s->m - p) * sizeof(*s->sorted));
	s->sorted[p] = d;
	s->m++;
	if (p < s->k) {
		s->sum_lo += d;
		s->k++;
	}
	s->d[s->next] = d;
	s->sum += d;
	if (++s->next == s->n)
		s->next = 0;
	if (s->m < s->n)
		return;
	/* Move k to the count of values with n v < S. */
	for (;;) {
		if (s->k < s->m && n * s->sorted[s->k] < s->sum) {
			s->sum_lo += s->sorted[s->k++];
		} else if (s->k > 0 && n * s->sorted[s->k - 1] >= s->sum) {
			s->sum_lo -= s->sorted[--s->k];
		} else {
			break;
		}
	}
	lo = s->k;
	hi = s->m - s->k;
	/* X = sum |n d_i - S| = S lo - n s_lo + n (S - s_lo) - S hi. */
	dev = s->sum * lo - n * s->sum_lo + n * (s->sum - s->sum_lo) -
	      s->sum * hi;
	/* cci = (tp - sma) / (0.015 md) = (n d - S) n / (0.015 X). */
	x->out[0] = dev > 0 ? (double)((n * d - s->sum) * n) /
				      (0.015 * (double)dev)
			    : NAN;
}

/* atr: true range (the first bar's is its high - low), Wilder. */
struct st_atr {
	struct wilder w;
	int64_t       prev;
};

/* True range in scaled units. */
static double
true_range_s(const struct trd_bar *b, int64_t prev, int have_prev)
{
	int64_t hi = b->high, lo = b->low;

	if (have_prev) {
		if (prev > hi)
			hi = prev;
		if (prev < lo)
			lo = prev;
	}
	return (double)(hi - lo);
}

static double
true_range(const struct ind *x, const struct trd_bar *b, int64_t prev,
	   int have_prev)
{
	return true_range_s(b, prev, have_prev) / x->ps;
}

static int
atr_init(struct ind *x)
{
	struct st_atr *s = x->st;
	s->w.n = (uint32_t)x->p[0];
	return 0;
}

static void
atr_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_atr *s = x->st;
	double tr = true_range(x, b->b, s->prev, x->nin > 0);

	s->prev = b->b->close;
	if (wilder_push(&s->w, tr))
		x->out[0] = s->w.v;
}

/* adx (Wilder, as StockCharts): sums TR14, +DM14, -DM14 from the second
 * bar, smoothed S - S / n + x; DX; ADX the mean of the first n DX, then
 * Wilder. */
static const char *const adx_fields[] = { "adx", "plus_di", "minus_di", NULL };

struct st_adx {
	int64_t  ph, pl, pc;
	double   tr, pdm, mdm; /* running Wilder sums */
	double   adx, dxsum, in;
	uint32_t n;
};

static int
adx_init(struct ind *x)
{
	struct st_adx *s = x->st;
	s->n = (uint32_t)x->p[0];
	s->in = 1.0 / s->n;
	return 0;
}

static void
adx_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_adx *s = x->st;
	uint64_t k = x->nin; /* this bar's index */
	double tr, up, dn, pdm, mdm, pdi, mdi, dx;

	if (k == 0)
		goto keep;
	/* Scaled units throughout: DI and DX are ratios. */
	tr = true_range_s(b->b, s->pc, 1);
	up = (double)(b->b->high - s->ph);
	dn = (double)(s->pl - b->b->low);
	pdm = up > dn && up > 0 ? up : 0;
	mdm = dn > up && dn > 0 ? dn : 0;
	if (k <= s->n) {
		s->tr += tr;
		s->pdm += pdm;
		s->mdm += mdm;
	} else {
		s->tr = s->tr - s->tr * s->in + tr;
		s->pdm = s->pdm - s->pdm * s->in + pdm;
		s->mdm = s->mdm - s->mdm * s->in + mdm;
	}
	if (k < s->n)
		goto keep;
	{
		double itr = s->tr > 0 ? 100 / s->tr : NAN;
		pdi = s->pdm * itr;
		mdi = s->mdm * itr;
	}
	x->out[1] = pdi;
	x->out[2] = mdi;
	dx = pdi + mdi > 0 ? 100 * fabs(pdi - mdi) / (pdi + mdi) : 0;
	if (isnan(dx))
		dx = 0;
	if (k < 2 * (uint64_t)s->n - 1) {
		s->dxsum += dx;
	} else if (k == 2 * (uint64_t)s->n - 1) {
		s->adx = (s->dxsum + dx) * s->in;
		x->out[0] = s->adx;
	} else {
		s->adx += (dx - s->adx) * s->in;
		x->out[0] = s->adx;
	}
keep:
	s->ph = b->b->high;
	s->pl = b->b->low;
	s->pc = b->b->close;
}

/* _hl(n): the rolling highest high and lowest low that donchian(n),
 * stoch(n,d) and willr(n) share. */
struct st_hl {
	struct mono hi, lo;
	int64_t     hh, ll;
	int         ready;
};

static int
hl_init(struct ind *x)
{
	struct st_hl *s = x->st;
	uint32_t n = (uint32_t)x->p[0];

	return mono_init(&s->hi, n, 1) || mono_init(&s->lo, n, -1) ? -1 : 0;
}

static void
hl_free(struct ind *x)
{
	struct st_hl *s = x->st;
	mono_free(&s->hi);
	mono_free(&s->lo);
}

static void
hl_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_hl *s = x->st;

	s->hh = mono_push(&s->hi, b->b->high, x->nin);
	s->ll = mono_push(&s->lo, b->b->low, x->nin);
	s->ready = x->nin + 1 >= (uint64_t)x->p[0];
}

static const char *const dc_fields[] = { "upper", "lower", "mid", NULL };

static void
donchian_upd(struct ind *x, const void *in)
{
	const struct st_hl *s = x->dep->st;

	(void)in;
	if (!s->ready)
		return;
	x->out[0] = (double)s->hh / x->ps;
	x->out[1] = (double)s->ll / x->ps;
	x->out[2] = ((double)s->hh + (double)s->ll) / 2 / x->ps;
}

static const char *const stoch_fields[] = { "k", "d", NULL };

struct st_stoch {
	struct dwin d; /* %D */
};

static int
stoch_init(struct ind *x)
{
	struct st_stoch *s = x->st;
	return dwin_init(&s->d, (uint32_t)x->p[1]);
}

static void
stoch_free(struct ind *x)
{
	struct st_stoch *s = x->st;
	free(s->d.x);
}

static void
stoch_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	const struct st_hl *h = x->dep->st;
	struct st_stoch *s = x->st;
	double k;

	if (!h->ready)
		return;
	k = h->hh > h->ll ? 100.0 * (double)(b->b->close - h->ll) /
				    (double)(h->hh - h->ll)
			  : NAN;
	x->out[0] = k;
	dwin_push(&s->d, k);
	if (s->d.filled == s->d.n)
		x->out[1] = s->d.nnan ? NAN : csum_get(&s->d.s1) / s->d.n;
}

static void
willr_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	const struct st_hl *h = x->dep->st;

	if (!h->ready)
		return;
	x->out[0] = h->hh > h->ll ? -100.0 * (double)(h->hh - b->b->close) /
					    (double)(h->hh - h->ll)
				  : NAN;
}

/* vol: sample standard deviation of the last n log returns. */
struct st_vol {
	struct dwin w;
	int64_t     prev;
};

static int
vol_init(struct ind *x)
{
	struct st_vol *s = x->st;
	return dwin_init(&s->w, (uint32_t)x->p[0]);
}

static void
vol_free(struct ind *x)
{
	struct st_vol *s = x->st;
	free(s->w.x);
}

static void
vol_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_vol *s = x->st;
	double r, n, s1, var;

	if (x->nin > 0) {
		r = s->prev > 0 && b->b->close > 0
			    ? log((double)b->b->close / (double)s->prev)
			    : NAN;
		dwin_push(&s->w, r);
	}
	s->prev = b->b->close;
	if (s->w.filled < s->w.n)
		return;
	if (s->w.nnan) {
		x->out[0] = NAN;
		return;
	}
	n = s->w.n;
	s1 = csum_get(&s->w.s1);
	var = (csum_get(&s->w.s2) - s1 * s1 / n) / (n - 1);
	x->out[0] = sqrt(var > 0 ? var : 0);
}

/*
 * vwap, vwap_z: volume-weighted typical price over n bars.  Typical prices
 * are kept exactly as 3 tp = h + l + c, relative to an anchor; the sums of
 * v, v d and v d^2 are long doubles (64-bit mantissa).  The anchor follows
 * the vwap: when the window's mean drifts far from it relative to the
 * spread (which is what costs a one-pass variance its digits), the sums
 * are rebuilt around the current vwap, an O(n) pass that trending prices
 * need rarely.  A window whose typical prices are all equal (counted
 * exactly, as the number of changes between neighbours) has no spread:
 * vwap_z is NaN there, not a rounding residue.
 */
struct st_vwap {
	int64_t    *v, *d;  /* volume; 3 tp - anchor */
	uint8_t    *chg;    /* 3 tp differs from the previous bar's */
	uint32_t    n, filled, next, nchg;
	int64_t     anchor, prev;
	long double sv, s1, s2;
};

static int
vwap_init(struct ind *x)
{
	struct st_vwap *s = x->st;
	s->n = (uint32_t)x->p[0];
	s->v = calloc(s->n, sizeof(*s->v));
	s->d = calloc(s->n, sizeof(*s->d));
	s->chg = calloc(s->n, 1);
	return s->v && s->d && s->chg ? 0 : -1;
}

static void
vwap_free(struct ind *x)
{
	struct st_vwap *s = x->st;
	free(s->v);
	free(s->d);
	free(s->chg);
}

static void
vwap_rebuild(struct st_vwap *s, int64_t a)
{
	i128 shift = (i128)s->anchor - a;

	s->sv = s->s1 = s->s2 = 0;
	for (uint32_t i = 0; i < s->filled; i++) {
		long double v = (long double)s->v[i];
		s->d[i] = (int64_t)(s->d[i] + shift);
		s->sv += v;
		s->s1 += v * s->d[i];
		s->s2 += v * s->d[i] * (long double)s->d[i];
	}
	s->anchor = a;
}

/* out[0] vwap(n), out[1] vwap_z(n): one instance serves both names. */
static void
vwap_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_vwap *s = x->st;
	i128 t3 = (i128)b->b->high + b->b->low + b->b->close;
	int64_t tp3 = t3 > INT64_MAX ? INT64_MAX : (int64_t)t3, d;
	long double v = (long double)b->b->volume, m, var;

	if (x->nin == 0) {
		s->anchor = tp3;
		s->prev = tp3;
	}
	if (s->filled == s->n) {
		long double ov = (long double)s->v[s->next];
		int64_t od = s->d[s->next];
		s->sv -= ov;
		s->s1 -= ov * od;
		s->s2 -= ov * od * (long double)od;
		/* The next oldest loses its link to the one leaving. */
		s->nchg -= s->chg[s->next + 1 == s->n ? 0 : s->next + 1];
	} else {
		s->filled++;
	}
	d = (int64_t)((i128)tp3 - s->anchor);
	s->v[s->next] = b->b->volume;
	s->d[s->next] = d;
	s->chg[s->next] = x->nin > 0 && tp3 != s->prev;
	s->nchg += s->chg[s->next];
	s->prev = tp3;
	s->sv += v;
	s->s1 += v * d;
	s->s2 += v * d * (long double)d;
	if (++s->next == s->n)
		s->next = 0;
	if (s->filled < s->n)
		return;
	if (!(s->sv > 0)) {
		x->out[0] = x->out[1] = NAN;
		return;
	}
	m = s->s1 / s->sv;
	var = s->s2 / s->sv - m * m;
	if (s->nchg > 0 && m * m > 1e4L * (var > 0 ? var : 0)) {
		/* Far from the anchor for this spread: rebuild at the vwap. */
		vwap_rebuild(s, (int64_t)((long double)s->anchor + m));
		m = s->s1 / s->sv;
		var = s->s2 / s->sv - m * m;
	}
	x->out[0] = (double)(((long double)s->anchor + m) / 3 / x->ps);
	x->out[1] = s->nchg > 0 && var > 0
			    ? (double)(((long double)3 * b->b->close -
					s->anchor - m) / sqrtl(var))
			    : NAN;
}

/* keltner: EMA(n) mid, bands at k ATR(m). */
static const char *const kc_fields[] = { "mid", "upper", "lower", NULL };

struct st_kc {
	struct ema    e;
	struct wilder w;
	int64_t       prev;
};

static int
kc_init(struct ind *x)
{
	struct st_kc *s = x->st;
	ema_init(&s->e, (uint32_t)x->p[0], x->first);
	s->w.n = (uint32_t)x->p[1];
	return 0;
}

static void
kc_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_kc *s = x->st;
	double tr = true_range(x, b->b, s->prev, x->nin > 0);
	int er = ema_push(&s->e, b->c), ar = wilder_push(&s->w, tr);

	s->prev = b->b->close;
	if (!er || !ar)
		return;
	x->out[0] = s->e.v;
	x->out[1] = s->e.v + x->kf * s->w.v;
	x->out[2] = s->e.v - x->kf * s->w.v;
}

/* obv: from 0 at the first bar; volume added on an up close, taken away on
 * a down close, in quantity units (exact). */
struct st_obv {
	int64_t prev;
	i128    obv;
};

static void
obv_upd(struct ind *x, const void *in)
{
	const struct trd_bar_in *b = in;
	struct st_obv *s = x->st;

	if (x->nin > 0) {
		if (b->b->close > s->prev)
			s->obv += b->b->volume;
		else if (b->b->close < s->prev)
			s->obv -= b->b->volume;
	}
	s->prev = b->b->close;
	x->out[0] = (double)s->obv / x->qs;
}

/* ---- microstructure ---- */

static void
mid_upd(struct ind *x, const void *in)
{
	const struct trd_quote *q = in;

	x->out[0] = q->bid > 0 && q->ask > 0
			    ? ((double)q->bid + (double)q->ask) / 2 / x->ps
			    : NAN;
}

static void
spread_upd(struct ind *x, const void *in)
{
	const struct trd_quote *q = in;
	double mid = ((double)q->bid + (double)q->ask) / 2;

	x->out[0] = q->bid > 0 && q->ask > 0
			    ? ((double)q->ask - (double)q->bid) / mid * 1e4
			    : NAN;
}

static void
book_upd(struct ind *x, const void *in)
{
	const struct trd_quote *q = in;
	double t = (double)q->bid_qty + (double)q->ask_qty;

	x->out[0] = q->bid_qty >= 0 && q->ask_qty >= 0 && t > 0
			    ? ((double)q->bid_qty - (double)q->ask_qty) / t
			    : NAN;
}

/* An exact ring sum of integers (signed trade volume, OFI terms). */
struct st_isum {
	int64_t *v, *w;  /* signed value, weight (total volume) */
	uint32_t n, filled, next;
	i128     sv, sw;
	struct trd_quote prev;
};

static int
isum_init(struct ind *x)
{
	struct st_isum *s = x->st;
	s->n = (uint32_t)x->p[0];
	s->v = calloc(s->n, sizeof(*s->v));
	s->w = calloc(s->n, sizeof(*s->w));
	return s->v && s->w ? 0 : -1;
}

static void
isum_free(struct ind *x)
{
	struct st_isum *s = x->st;
	free(s->v);
	free(s->w);
}

static void
isum_push(struct st_isum *s, int64_t v, int64_t w)
{
	if (s->filled == s->n) {
		s->sv -= s->v[s->next];
		s->sw -= s->w[s->next];
	} else {
		s->filled++;
	}
	s->v[s->next] = v;
	s->w[s->next] = w;
	s->sv += v;
	s->sw += w;
	if (++s->next == s->n)
		s->next = 0;
}

static void
timb_upd(struct ind *x, const void *in)
{
	const struct trd_trade *t = in;
	struct st_isum *s = x->st;
	int64_t q = t->qty > 0 ? t->qty : 0;

	isum_push(s, t->aggressor == TRD_SIDE_BUY ? q
		     : t->aggressor == TRD_SIDE_SELL ? -q : 0, q);
	if (s->filled == s->n)
		x->out[0] = s->sw > 0 ? (double)s->sv / (double)s->sw : NAN;
}

/* OFI term of one quote update against the previous quote (Cont,
 * Kukanov and Stoikov 2014). */
static void
ofi_upd(struct ind *x, const void *in)
{
	const struct trd_quote *q = in, *p;
	struct st_isum *s = x->st;
	int64_t e = 0;

	if (x->nin == 0) {
		s->prev = *q;
		return;
	}
	p = &s->prev;
	if (q->bid >= p->bid)
		e += q->bid_qty;
	if (q->bid <= p->bid)
		e -= p->bid_qty;
	if (q->ask <= p->ask)
		e -= q->ask_qty;
	if (q->ask >= p->ask)
		e += p->ask_qty;
	s->prev = *q;
	isum_push(s, e, 0);
	if (s->filled == s->n)
		x->out[0] = (double)s->sv / x->qs;
}

/* ---- the kinds ---- */

#define K(nm, pr, op, pn, sd, src, f, st, in, fi, up)                      \
	{ nm, pr, op, pn, sd, src, f, sizeof(st), in, fi, up, NULL, 0, NULL }

struct st_none {
	char unused;
};

static const struct kind kinds[] = {
	/* Shared internal instances: not names users can write. */
	K("_win", "n", "", "n", 0, SRC_BAR, NULL, struct st_xw, xw_init,
	  xw_free, win_upd),
	K("_hl", "n", "", "n", 0, SRC_BAR, NULL, struct st_hl, hl_init,
	  hl_free, hl_upd),
	{ "sma", "n", "", "n", 0, SRC_BAR, NULL, sizeof(struct st_xw), xw_init,
	  xw_free, win_upd, "_win", 0, NULL },
	K("ema", "n", "", "n", 1, SRC_BAR, NULL, struct st_ema, ema_init_ind,
	  NULL, ema_upd),
	K("wma", "n", "", "n", 0, SRC_BAR, NULL, struct st_wma, wma_init,
	  wma_free, wma_upd),
	K("rsi", "n", "", "n", 1, SRC_BAR, NULL, struct st_rsi, rsi_init, NULL,
	  rsi_upd),
	K("macd", "nnn", "", "f,s,g", 1, SRC_BAR, macd_fields, struct st_macd,
	  macd_init, NULL, macd_upd),
	K("roc", "n", "", "n", 0, SRC_BAR, NULL, struct st_roc, roc_init,
	  roc_free, roc_upd),
	K("cci", "n", "", "n", 0, SRC_BAR, NULL, struct st_cci, cci_init,
	  cci_free, cci_upd),
	{ "bb", "nk", "", "n,k", 0, SRC_BAR, bb_fields, sizeof(struct st_none),
	  NULL, NULL, bb_upd, NULL, 0, "_win" },
	K("atr", "n", "", "n", 0, SRC_BAR, NULL, struct st_atr, atr_init, NULL,
	  atr_upd),
	K("adx", "n", "", "n", 0, SRC_BAR, adx_fields, struct st_adx, adx_init,
	  NULL, adx_upd),
	{ "stoch", "nn", "", "n,d", 0, SRC_BAR, stoch_fields,
	  sizeof(struct st_stoch), stoch_init, stoch_free, stoch_upd, NULL, 0,
	  "_hl" },
	{ "willr", "n", "", "n", 0, SRC_BAR, NULL, sizeof(struct st_none), NULL,
	  NULL, willr_upd, NULL, 0, "_hl" },
	K("vol", "n", "", "n", 0, SRC_BAR, NULL, struct st_vol, vol_init,
	  vol_free, vol_upd),
	{ "zscore", "n", "", "n", 0, SRC_BAR, NULL, sizeof(struct st_xw),
	  xw_init, xw_free, win_upd, "_win", 2, NULL },
	K("vwap", "n", "", "n", 0, SRC_BAR, NULL, struct st_vwap, vwap_init,
	  vwap_free, vwap_upd),
	{ "vwap_z", "n", "", "n", 0, SRC_BAR, NULL, sizeof(struct st_vwap),
	  vwap_init, vwap_free, vwap_upd, "vwap", 1, NULL },
	{ "donchian", "n", "", "n", 0, SRC_BAR, dc_fields,
	  sizeof(struct st_none), NULL, NULL, donchian_upd, NULL, 0, "_hl" },
	K("keltner", "nk", "n", "n,k[,m]", 1, SRC_BAR, kc_fields, struct st_kc,
	  kc_init, NULL, kc_upd),
	K("obv", "", "", "", 0, SRC_BAR, NULL, struct st_obv, NULL, NULL,
	  obv_upd),
	K("mid", "", "", "", 0, SRC_QUOTE, NULL, struct st_none, NULL, NULL,
	  mid_upd),
	K("spread_bps", "", "", "", 0, SRC_QUOTE, NULL, struct st_none, NULL,
	  NULL, spread_upd),
	K("book_imbalance", "", "", "", 0, SRC_QUOTE, NULL, struct st_none,
	  NULL, NULL, book_upd),
	K("trade_imbalance", "n", "", "n", 0, SRC_TRADE, NULL, struct st_isum,
	  isum_init, isum_free, timb_upd),
	K("ofi", "n", "", "n", 0, SRC_QUOTE, NULL, struct st_isum, isum_init,
	  isum_free, ofi_upd),
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- names ---- */

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

static int
nfields(const struct kind *k)
{
	int n = 0;

	if (k->fields == NULL)
		return 1;
	while (k->fields[n])
		n++;
	return n;
}

#define FAIL(...)                                                          \
	do {                                                               \
		if (errlen) {                                              \
			int o_ = snprintf(err, errlen, "feature \"%s\": ",  \
					  name);                           \
			if (o_ >= 0 && (size_t)o_ < errlen)                \
				snprintf(err + o_, errlen - (size_t)o_,    \
					 __VA_ARGS__);                     \
		}                                                          \
		return -1;                                                 \
	} while (0)

/* k: digits with an optional fraction (no sign, exponent, or bare point),
 * at most 12 decimals, > 0; canon is its shortest spelling ("2.50" and
 * "02.5" give "2.5"), so equal k name one instance. */
#define K_DP 12
static int
parse_k(const char *s, size_t len, double *out, char *canon)
{
	int64_t v;

	if (len == 0 || s[0] < '0' || s[0] > '9' || s[len - 1] < '0' ||
	    s[len - 1] > '9' || trd_dec_parse(s, len, K_DP, &v) != 0 || v <= 0)
		return -1;
	*out = trd_dec_to_double(v, K_DP);
	trd_dec_format_short(v, K_DP, canon);
	return 0;
}

static int
parse_name(const char *name, struct spec *sp, char *err, size_t errlen)
{
	const char *s = name, *e;
	size_t len, np = 0, nreq, nopt;
	char pb[TRD_FEATURE_NAME_MAX], known[512];
	int o;

	memset(sp, 0, sizeof(*sp));
	sp->field = -1;
	if (name == NULL || *name == '\0') {
		snprintf(err, errlen, "empty feature name");
		return -1;
	}
	if (strlen(name) >= sizeof(sp->base))
		FAIL("longer than %zu bytes", sizeof(sp->base) - 1);
	for (e = s; (*e >= 'a' && *e <= 'z') || *e == '_'; e++)
		;
	len = (size_t)(e - s);
	if (len == 0)
		FAIL("not a feature name (expected name(params)[.field], "
		     "e.g. rsi(14) or bb(20,2).upper)");
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].name[0] != '_' && strlen(kinds[i].name) == len &&
		    memcmp(kinds[i].name, s, len) == 0)
			sp->k = &kinds[i];
	if (sp->k == NULL) {
		size_t ko = 0;
		for (size_t i = 0; i < NKINDS && ko < sizeof(known); i++)
			if (kinds[i].name[0] != '_')
				ko += (size_t)snprintf(known + ko,
						       sizeof(known) - ko,
						       "%s%s", ko ? ", " : "",
						       kinds[i].name);
		FAIL("unknown feature '%.*s' (known: %s)", (int)len, s, known);
	}
	nreq = strlen(sp->k->params);
	nopt = strlen(sp->k->opt);
	s = e;
	if (*s == '(' && nreq + nopt == 0 && !sp->k->seedable)
		FAIL("%s takes no parameters: write %s", sp->k->name,
		     sp->k->name);
	if (*s == '(') {
		const char *q = ++s;
		for (;;) {
			const char *c = q, *t;
			size_t l;
			while (*c == ' ')
				c++;
			t = c;
			while (*t && *t != ',' && *t != ')')
				t++;
			if (*t == '\0')
				FAIL("missing ')'");
			l = (size_t)(t - c);
			while (l > 0 && c[l - 1] == ' ')
				l--;
			if (l == 0)
				FAIL("empty parameter %zu", np + 1);
			if (l >= sizeof(pb))
				FAIL("parameter %zu too long", np + 1);
			memcpy(pb, c, l);
			pb[l] = '\0';
			if (strncmp(pb, "seed=", 5) == 0) {
				if (!sp->k->seedable)
					FAIL("%s takes no seed option",
					     sp->k->name);
				if (strcmp(pb + 5, "first") == 0)
					sp->first = 1;
				else if (strcmp(pb + 5, "sma") != 0)
					FAIL("seed must be sma or first, "
					     "found '%s'", pb + 5);
			} else {
				char ty;
				if (np >= nreq + nopt)
					FAIL("%s takes %s%zu parameter%s (%s), "
					     "found more", sp->k->name,
					     nopt ? "at most " : "",
					     nreq + nopt,
					     nreq + nopt == 1 ? "" : "s",
					     sp->k->pnames);
				ty = np < nreq ? sp->k->params[np]
					       : sp->k->opt[np - nreq];
				if (ty == P_K) {
					if (parse_k(pb, l, &sp->kf,
						    sp->ktext) != 0)
						FAIL("parameter %zu of %s (%s) "
						     "must be a decimal > 0, "
						     "found '%s'", np + 1,
						     sp->k->name,
						     sp->k->pnames, pb);
					sp->p[np] = 0;
				} else {
					char *end;
					long long v;
					errno = 0;
					v = strtoll(pb, &end, 10);
					if (*end != '\0' || errno ||
					    pb[0] == '+' || pb[0] == '-' ||
					    v < 1 || v > TRD_FEATURE_MAX_N)
						FAIL("parameter %zu of %s (%s) "
						     "must be an integer from "
						     "1 to %d, found '%s'",
						     np + 1, sp->k->name,
						     sp->k->pnames,
						     TRD_FEATURE_MAX_N, pb);
					sp->p[np] = v;
				}
				np++;
			}
			q = t + 1;
			if (*t == ')')
				break;
		}
		s = q;
	}
	if (np < nreq)
		FAIL("%s takes %zu parameter%s (%s), found %zu", sp->k->name,
		     nreq, nreq == 1 ? "" : "s", sp->k->pnames, np);
	if (*s == '.') {
		const char *f = ++s;
		int nf = nfields(sp->k);
		if (sp->k->fields == NULL)
			FAIL("%s has one output and no fields", sp->k->name);
		for (int i = 0; i < nf; i++)
			if (strcmp(sp->k->fields[i], f) == 0)
				sp->field = i;
		if (sp->field < 0) {
			size_t ko = 0;
			for (int i = 0; i < nf; i++)
				ko += (size_t)snprintf(known + ko,
						       sizeof(known) - ko,
						       "%s.%s", i ? ", " : "",
						       sp->k->fields[i]);
			FAIL("unknown field '%s' (%s has %s)", f, sp->k->name,
			     known);
		}
	} else if (*s != '\0') {
		FAIL("unexpected '%s'", s);
	}
	/* Cross-parameter rules. */
	if (sp->k->update == macd_upd && sp->p[0] >= sp->p[1])
		FAIL("the fast period must be below the slow one");
	if (sp->k->update == vol_upd && sp->p[0] < 2)
		FAIL("vol needs n >= 2 (a sample deviation)");
	if (sp->k->update == kc_upd && np == 2)
		sp->p[1] = sp->p[0]; /* ATR period defaults to n */
	else if (sp->k->update == kc_upd)
		sp->p[1] = sp->p[2];
	/* Canonical base name. */
	o = snprintf(sp->base, sizeof(sp->base), "%s", sp->k->name);
	if (nreq + nopt > 0) {
		o += snprintf(sp->base + o, sizeof(sp->base) - (size_t)o, "(");
		for (size_t i = 0; i < nreq; i++) {
			if (sp->k->params[i] == P_K)
				o += snprintf(sp->base + o,
					      sizeof(sp->base) - (size_t)o,
					      "%s%s", i ? "," : "", sp->ktext);
			else
				o += snprintf(sp->base + o,
					      sizeof(sp->base) - (size_t)o,
					      "%s%lld", i ? "," : "",
					      (long long)sp->p[i]);
		}
		/* keltner's ATR period only when it differs from n. */
		if (sp->k->update == kc_upd && sp->p[1] != sp->p[0])
			o += snprintf(sp->base + o,
				      sizeof(sp->base) - (size_t)o, ",%lld",
				      (long long)sp->p[1]);
		if (sp->first)
			o += snprintf(sp->base + o,
				      sizeof(sp->base) - (size_t)o,
				      ",seed=first");
		snprintf(sp->base + o, sizeof(sp->base) - (size_t)o, ")");
	}
	if (sp->k->update == kc_upd)
		sp->p[2] = 0;
	sp->ik = sp->k;
	sp->out = sp->field < 0 ? 0 : sp->field;
	memcpy(sp->inst, sp->base, sizeof(sp->inst));
	if (sp->k->alias) {
		const char *paren = strchr(sp->base, '(');
		for (size_t i = 0; i < NKINDS; i++)
			if (strcmp(kinds[i].name, sp->k->alias) == 0)
				sp->ik = &kinds[i];
		sp->out = sp->k->alias_out;
		snprintf(sp->inst, sizeof(sp->inst), "%s%s", sp->ik->name,
			 paren ? paren : "");
	}
	return 0;
}

#undef FAIL

int
trd_feature_expand(const char *name, char (*outputs)[TRD_FEATURE_NAME_MAX],
		   size_t max, char *err, size_t errlen)
{
	struct spec sp;
	int nf;

	if (parse_name(name, &sp, err, errlen) != 0)
		return -1;
	if (sp.field >= 0 || sp.k->fields == NULL) {
		if (outputs && max > 0) {
			if (sp.field >= 0)
				snprintf(outputs[0], TRD_FEATURE_NAME_MAX,
					 "%s.%s", sp.base,
					 sp.k->fields[sp.field]);
			else
				snprintf(outputs[0], TRD_FEATURE_NAME_MAX,
					 "%s", sp.base);
		}
		return 1;
	}
	nf = nfields(sp.k);
	for (int i = 0; outputs && i < nf && (size_t)i < max; i++)
		snprintf(outputs[i], TRD_FEATURE_NAME_MAX, "%s.%s", sp.base,
			 sp.k->fields[i]);
	return nf;
}

/* ---- sets ---- */

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
		for (size_t i = 0; i < NKINDS; i++)
			if (strcmp(kinds[i].name, sp->ik->dep) == 0)
				ds.k = ds.ik = &kinds[i];
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

	if (parse_name(name, &sp, err, errlen) != 0)
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
