/*
 * feature_kinds: the indicator kinds, one row each in trd__kinds[]: its
 * parameters, outputs, source, state and update function.  Their state is
 * built from feature_win.h's blocks, O(1) per input.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feature_int.h"
#include "feature_win.h"


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

const struct kind trd__kinds[] = {
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
const size_t trd__nkinds = sizeof(trd__kinds) / sizeof(trd__kinds[0]);
