/*
 * feature_win: the O(1) rolling building blocks the indicator kinds keep
 * their state in (see feature.c's top comment for what each one is).
 * Header-only so every indicator's update inlines them.
 */
#ifndef TRD_FEATURE_WIN_H
#define TRD_FEATURE_WIN_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"


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

static inline int
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

static inline void
xwin_free(struct xwin *w)
{
	free(w->d);
}

/* Move the anchor to a; returns the largest |value - a| in the window. */
static inline i128
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
static inline void
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

static inline void
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
static inline double
xwin_mean(const struct xwin *w)
{
	return (double)((long double)w->anchor +
			(long double)w->s1 / w->filled);
}

/* n^2 * population variance, exact, when it fits 127 bits: 1, else 0. */
static inline int
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
static inline long double
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

static inline int
mono_init(struct mono *m, uint32_t n, int sign)
{
	m->n = n;
	m->sign = sign;
	m->val = calloc(n, sizeof(*m->val));
	m->at = calloc(n, sizeof(*m->at));
	return m->val && m->at ? 0 : -1;
}

static inline void
mono_free(struct mono *m)
{
	free(m->val);
	free(m->at);
}

/* Push x as input number t (0, 1, ...); returns the extreme of the last n. */
static inline int64_t
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

static inline void
csum_add(struct csum *a, double x)
{
	double t = a->s + x;

	if (fabs(a->s) >= fabs(x))
		a->c += (a->s - t) + x;
	else
		a->c += (x - t) + a->s;
	a->s = t;
}

static inline double
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

static inline int
dwin_init(struct dwin *w, uint32_t n)
{
	w->n = n;
	w->x = calloc(n, sizeof(*w->x));
	return w->x ? 0 : -1;
}

static inline void
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

static inline void
ema_init(struct ema *e, uint32_t n, int first)
{
	e->n = n;
	e->a = 2.0 / ((double)n + 1);
	e->first = first;
}

/* Feed x; returns 1 once warm. */
static inline int
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

static inline int
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

#endif
