/*
 * report_stats: see report_stats.h.  The gathering half (bars, samples,
 * fills, trades) runs during the replay and is kept cheap: the per-bar
 * hook is a few compares and stores; everything else happens once a day,
 * once a fill or once a trade.  The deriving half (rs_derive) runs at
 * finish.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decimal.h"
#include "report_stats.h"
#include "timefmt.h"

#define DAY_NS ((int64_t)86400 * TRD_NS_PER_SEC)

/* The UTC day a sample at ts (a bar close) belongs to: a bar closing at
 * midnight is the previous day's last. */
static int64_t
day_of(int64_t ts)
{
	int64_t t = ts - 1;

	return t >= 0 ? t / DAY_NS : -((-t + DAY_NS - 1) / DAY_NS);
}

/* Calendar time: market seconds since 1970 (in ns) by the calendar.  For
 * weekdays, Saturdays and Sundays (UTC) do not count. */
static int64_t
cal(const struct rstats *rs, int64_t t)
{
	int64_t d, rem, weeks, left, wd, n;

	if (rs->calendar != TRD_CAL_WEEKDAYS)
		return t;
	d = t >= 0 ? t / DAY_NS : -((-t + DAY_NS - 1) / DAY_NS);
	rem = t - d * DAY_NS;
	/* 1970-01-01 was a Thursday: day d's weekday is (d + 3) mod 7 with
	 * Monday 0.  Whole weeks from day 0 have five market days each. */
	weeks = d >= 0 ? d / 7 : -((-d + 6) / 7);
	left = d - weeks * 7; /* 0..6 days from a Thursday */
	n = weeks * 5;
	for (int64_t i = 0; i < left; i++)
		n += (3 + i) % 7 < 5;
	wd = ((d + 3) % 7 + 7) % 7;
	return n * DAY_NS + (wd < 5 ? rem : 0);
}

int
rs_init(struct rstats *rs, size_t ninstr, size_t nstrat, uint32_t tf_s,
	int calendar, uint32_t gap_s)
{
	memset(rs, 0, sizeof(*rs));
	rs->calendar = calendar;
	rs->tf_ns = (int64_t)tf_s * TRD_NS_PER_SEC;
	/* Auto: sixty bars, but at least an hour. */
	if (gap_s == 0)
		gap_s = tf_s * 60 > 3600 ? tf_s * 60 : 3600;
	rs->gap_ns = (int64_t)gap_s * TRD_NS_PER_SEC;
	rs->ninstr = ninstr;
	rs->nstrat = nstrat;
	rs->cur_day = INT64_MIN;
	rs->ins = calloc(ninstr ? ninstr : 1, sizeof(*rs->ins));
	rs->cell = calloc((nstrat + 1) * (ninstr + 1), sizeof(*rs->cell));
	rs->gaps = malloc(RS_GAPS_MAX * sizeof(*rs->gaps));
	if (rs->ins == NULL || rs->cell == NULL || rs->gaps == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ninstr; i++)
		if ((rs->ins[i].b = malloc(PX_MAX * sizeof(*rs->ins[i].b))) ==
		    NULL)
			return -ENOMEM;
	return 0;
}

void
rs_free(struct rstats *rs)
{
	for (size_t i = 0; rs->ins && i < rs->ninstr; i++)
		free(rs->ins[i].b);
	free(rs->ins);
	free(rs->marks);
	free(rs->cell);
	free(rs->gaps);
	free(rs->days);
	free(rs->tr.hold);
	memset(rs, 0, sizeof(*rs));
}

/* ---- market time ---- */

size_t
rs_gaps_before(const struct rstats *rs, int64_t t)
{
	size_t lo = 0, hi = rs->ngaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rs->gaps[mid].to <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int64_t
rs_mkt(const struct rstats *rs, int64_t t)
{
	size_t k = rs_gaps_before(rs, t);

	/* Inside gap k the clock runs for one bar, then stops until the
	 * gap ends (where the formula below takes over, continuously). */
	if (k < rs->ngaps && rs->gaps[k].from < t) {
		int64_t f = rs->gaps[k].from, d = cal(rs, t) - cal(rs, f);
		return rs_mkt(rs, f) + (d < rs->tf_ns ? d : rs->tf_ns);
	}
	{
		__int128 m = (__int128)cal(rs, t) - rs->mkt_origin -
			     (k ? rs->gaps[k - 1].cum : 0);
		return m > INT64_MAX ? INT64_MAX : m < INT64_MIN ? INT64_MIN
								 : (int64_t)m;
	}
}

int
rs_in_gap(const struct rstats *rs, int64_t t)
{
	size_t k = rs_gaps_before(rs, t);

	return k < rs->ngaps && rs->gaps[k].from < t;
}

/* ---- prices: day-end marks, and the source's summary ---- */

/* The closes at the end of the day of ts (the session calls this before
 * the first bar of a later day moves them). */
int
rs_day_marks(struct rstats *rs, int64_t ts, const int64_t *marks,
	     size_t stride)
{
	int64_t *m;

	if (rs->nmarkd == rs->markd_cap) {
		size_t cap = rs->markd_cap ? rs->markd_cap * 2 : 64;
		int64_t *nm = realloc(rs->marks, cap * (rs->ninstr + 1) *
						 sizeof(*nm));
		if (nm == NULL)
			return -ENOMEM;
		rs->marks = nm;
		rs->markd_cap = cap;
	}
	m = rs->marks + rs->nmarkd++ * (rs->ninstr + 1);
	m[0] = day_of(ts);
	for (size_t i = 0; i < rs->ninstr; i++)
		m[i + 1] = *(const int64_t *)((const char *)marks + i * stride);
	return 0;
}

void
rs_series(struct rstats *rs, uint32_t ins, uint64_t nbars, int64_t first_ns,
	  int64_t last_ns, int64_t first_open, int64_t last_close,
	  const int64_t *bk, size_t nb, int64_t w)
{
	struct rs_ins *in;

	if (ins >= rs->ninstr)
		return;
	in = &rs->ins[ins];
	in->nbars = nbars;
	in->first_ts = first_ns;
	in->last_ts = last_ns;
	in->first_px = first_open;
	in->last_close = last_close;
	in->w = w;
	in->nb = nb < PX_MAX ? (uint32_t)nb : PX_MAX;
	for (uint32_t j = 0; j < in->nb; j++)
		in->b[j] = (struct rs_bucket){ bk[4 * j], bk[4 * j + 1],
					       bk[4 * j + 2], bk[4 * j + 3] };
}

/* The basket at the end of the day whose marks are m: each instrument's
 * close against its first open (1, as cash, before its first bar). */
static double
basket_of(const struct rstats *rs, const int64_t *m)
{
	double s = 0;

	if (rs->ninstr == 0)
		return 1;
	for (size_t i = 0; i < rs->ninstr; i++) {
		const struct rs_ins *in = &rs->ins[i];
		s += in->first_px > 0 && m[i + 1] > 0
			     ? (double)m[i + 1] / (double)in->first_px
			     : 1;
	}
	return s / (double)rs->ninstr;
}

/* ---- days, gaps ---- */

static int
day_push(struct rstats *rs, int64_t eq, uint64_t n, uint64_t nexposed)
{
	struct rs_day *d;
	uint64_t k = n - rs->day_n0;

	if (rs->ndays == rs->days_cap) {
		size_t cap = rs->days_cap ? rs->days_cap * 2 : 256;
		struct rs_day *nd = realloc(rs->days, cap * sizeof(*nd));
		if (nd == NULL)
			return -ENOMEM;
		rs->days = nd;
		rs->days_cap = cap;
	}
	d = &rs->days[rs->ndays++];
	*d = (struct rs_day){ rs->cur_day, eq, 1,
			      k ? (double)(nexposed - rs->day_x0) / (double)k
				: 0 };
	rs->day_n0 = n;
	rs->day_x0 = nexposed;
	return 0;
}

/*
 * A sample at ts, before it is counted: prev_ts and prev_eq are the last
 * sample's (n samples so far, nexposed of them with a position).  Closes
 * the previous day when ts starts a new one, and records a gap.  Returns
 * the end of ts's day (the flat shortcut must not cross it).
 */
int64_t
rs_sample(struct rstats *rs, int64_t prev_ts, int64_t prev_eq, uint64_t n,
	  uint64_t nexposed, int64_t ts)
{
	int64_t day = day_of(ts);

	if (n == 0) {
		/* The initial cash stands one bar before the first sample. */
		rs->mkt_origin = cal(rs, ts - rs->tf_ns);
		rs->cur_day = day;
		rs->day_end = (day + 1) * DAY_NS;
		return rs->day_end;
	}
	if (day != rs->cur_day) {
		(void)day_push(rs, prev_eq, n, nexposed);
		rs->cur_day = day;
		rs->day_end = (day + 1) * DAY_NS;
	}
	if ((__int128)cal(rs, ts) - cal(rs, prev_ts) > rs->gap_ns) {
		if (rs->ngaps < RS_GAPS_MAX) {
			__int128 cut = (__int128)cal(rs, ts) - cal(rs, prev_ts) -
				       rs->tf_ns +
				       (rs->ngaps ? rs->gaps[rs->ngaps - 1].cum : 0);
			struct rs_gap *g = &rs->gaps[rs->ngaps];

			*g = (struct rs_gap){ prev_ts, ts,
					      cut > INT64_MAX ? INT64_MAX
							      : (int64_t)cut };
			rs->ngaps++;
		} else {
			rs->gaps_dropped++;
		}
	}
	return rs->day_end;
}

/* ---- drawdowns ---- */

void
rs_under(struct rstats *rs, double dd, int64_t ts)
{
	if (dd > rs->cur_depth) {
		rs->cur_depth = dd;
		rs->cur_trough = ts;
	}
}

static void
dd_insert(struct rstats *rs, const struct rs_dd *d)
{
	size_t i = rs->ntop < RS_TOP ? rs->ntop++ : RS_TOP;

	if (i == RS_TOP) {
		if (d->depth <= rs->top[RS_TOP - 1].depth)
			return;
		i = RS_TOP - 1;
	}
	/* Deepest first; ties keep the earlier first. */
	while (i > 0 && rs->top[i - 1].depth < d->depth) {
		rs->top[i] = rs->top[i - 1];
		i--;
	}
	rs->top[i] = *d;
}

/* The equity is back at its peak (set at peak_ns) at ts. */
void
rs_recovered(struct rstats *rs, int64_t peak_ns, int64_t ts)
{
	struct rs_dd d = { peak_ns, rs->cur_trough, ts, rs->cur_depth,
			   rs_mkt(rs, ts) - rs_mkt(rs, peak_ns) };

	if (rs->cur_depth > 0)
		dd_insert(rs, &d);
	rs->cur_depth = 0;
}

/* ---- fills and trades ---- */

__int128
rs_value(int64_t price, int64_t qty, int pdp, int qdp, enum trd_round rnd)
{
	__int128 v = (__int128)price * qty, d = 1, q, r;
	int shift = pdp + qdp - TRD_CASH_DP;

	if (shift <= 0) {
		while (shift++ < 0)
			v *= 10;
		return v;
	}
	while (shift-- > 0)
		d *= 10;
	q = v / d;
	r = v % d;
	if (r == 0)
		return q;
	if (rnd == TRD_ROUND_NEAREST)
		return 2 * (r < 0 ? -r : r) >= d ? q + (v < 0 ? -1 : 1) : q;
	if (rnd == TRD_ROUND_UP ? v > 0 : v < 0)
		q += rnd == TRD_ROUND_UP ? 1 : -1;
	return q;
}

void
rs_fill(struct rstats *rs, uint32_t strat, uint32_t ins, int side,
	int64_t qty, int64_t price, int64_t ref, int64_t fee, int pdp, int qdp)
{
	struct rs_cell *c;
	int buy = side == TRD_SIDE_BUY;
	enum trd_round rnd = buy ? TRD_ROUND_UP : TRD_ROUND_DOWN;
	__int128 n = rs_value(price, qty, pdp, qdp, rnd);
	__int128 at_ref = rs_value(ref ? ref : price, qty, pdp, qdp, rnd);

	if (strat >= rs->nstrat || ins >= rs->ninstr)
		return;
	c = &rs->cell[strat * rs->ninstr + ins];
	c->flow += buy ? -n : n;
	/* What the trader paid beyond the reference (negative: better). */
	c->slip += buy ? n - at_ref : at_ref - n;
	c->fees += fee;
	c->pos += buy ? qty : -qty;
	c->fills++;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void
rs_trade(struct rstats *rs, const struct trd_trade_rec *t)
{
	struct rs_trades *tr = &rs->tr;
	int64_t net = t->pnl - t->fees;
	int win = net > 0;

	if (t->strat < rs->nstrat && t->ins < rs->ninstr) {
		struct rs_cell *c = &rs->cell[t->strat * rs->ninstr + t->ins];
		c->trades++;
		c->wins += win;
		c->trade_net += net;
	}
	tr->n++;
	tr->wins += win;
	if (win)
		tr->win_sum += net;
	else
		tr->loss_sum += net;
	if (t->side == TRD_SIDE_SELL) {
		tr->short_n++;
		tr->short_wins += win;
		tr->short_net += net;
	} else {
		tr->long_n++;
		tr->long_wins += win;
		tr->long_net += net;
	}
	tr->streak = tr->n > 1 && win == tr->last_win ? tr->streak + 1 : 1;
	tr->last_win = win;
	if (win && tr->streak > tr->max_win_streak)
		tr->max_win_streak = tr->streak;
	if (!win && tr->streak > tr->max_loss_streak)
		tr->max_loss_streak = tr->streak;
	/* The first of equals stays best or worst. */
	if (!tr->have || net > tr->best.pnl - tr->best.fees)
		tr->best = *t;
	if (!tr->have || net < tr->worst.pnl - tr->worst.fees)
		tr->worst = *t;
	tr->have = 1;
	if (tr->nhold == tr->hold_cap) {
		size_t cap = tr->hold_cap ? tr->hold_cap * 2 : 256;
		int64_t *nh = realloc(tr->hold, cap * sizeof(*nh));
		if (nh == NULL)
			return;
		tr->hold = nh;
		tr->hold_cap = cap;
	}
	tr->hold[tr->nhold++] = rs_mkt(rs, t->exit_ns) - rs_mkt(rs, t->entry_ns);
}

/* ---- at finish ---- */

/* Sample statistics of x[0..n): mean, standard deviation (n - 1),
 * skewness (g1) and excess kurtosis (g2), from central moments. */
static void
moments(const double *x, size_t n, double *mean, double *sd, double *skew,
	double *kurt)
{
	double m = 0, m2 = 0, m3 = 0, m4 = 0;

	*mean = *sd = *skew = *kurt = NAN;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		m += x[i];
	m /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - m;
		m2 += d * d;
		m3 += d * d * d;
		m4 += d * d * d * d;
	}
	*mean = m;
	if (n < 2)
		return;
	*sd = sqrt(m2 / (double)(n - 1));
	m2 /= (double)n;
	m3 /= (double)n;
	m4 /= (double)n;
	if (m2 > 0) {
		*skew = m3 / pow(m2, 1.5);
		*kurt = m4 / (m2 * m2) - 3;
	}
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Historical VaR and CVaR at level a (0.95): with the returns sorted
 * ascending, the k = ceil((1 - a) n) worst; VaR is minus the k-th, CVaR
 * minus their mean.  Both as positive losses. */
static void
var_cvar(const double *sorted, size_t n, double a, double *var, double *cvar)
{
	size_t k = (size_t)ceil((1 - a) * (double)n - 1e-9);
	double s = 0;

	*var = *cvar = NAN;
	if (n == 0)
		return;
	if (k < 1)
		k = 1;
	for (size_t i = 0; i < k; i++)
		s += sorted[i];
	*var = -sorted[k - 1];
	*cvar = -s / (double)k;
}

/* The k lowest of v[0..n) by value, their indices in idx (ascending
 * value, the earlier first among equals); returns how many. */
static size_t
lowest(const double *v, size_t n, size_t k, size_t *idx)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (!isfinite(v[i]))
			continue;
		if (m == k && v[i] >= v[idx[k - 1]])
			continue;
		j = m < k ? m++ : k - 1;
		while (j > 0 && v[idx[j - 1]] > v[i]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return m;
}

int
rs_derive(struct rstats *rs, int64_t last_eq, uint64_t n, uint64_t nexposed,
	  int64_t initial, int under, int64_t peak_ns, int64_t last_ts,
	  struct rs_out *o)
{
	size_t nd;
	double *ret, *bret, *sorted, P, mb, sb, sk, ku, cov = 0, mr;

	memset(o, 0, sizeof(*o));
	/* The last day, and the drawdown still under way. */
	if (n && day_push(rs, last_eq, n, nexposed) != 0)
		return -ENOMEM;
	/* The basket at each day's end, from the marks of that day (a day
	 * without marks keeps the previous value). */
	{
		size_t k = 0;
		double bv = 1;
		for (size_t i = 0; i < rs->ndays; i++) {
			while (k < rs->nmarkd &&
			       rs->marks[k * (rs->ninstr + 1)] <= rs->days[i].day) {
				if (rs->marks[k * (rs->ninstr + 1)] ==
				    rs->days[i].day)
					bv = basket_of(rs, rs->marks + k * (rs->ninstr + 1));
				k++;
			}
			rs->days[i].bench = bv;
		}
	}
	if (n && under && rs->cur_depth > 0) {
		struct rs_dd d = { peak_ns, rs->cur_trough, 0, rs->cur_depth,
				   rs_mkt(rs, last_ts) - rs_mkt(rs, peak_ns) };
		dd_insert(rs, &d);
	}
	nd = rs->ndays;
	o->ndays = nd;
	P = rs->calendar == TRD_CAL_WEEKDAYS ? 252 : 365;
	o->periods = P;
	o->mkt_ns = n ? rs_mkt(rs, last_ts) : 0;
	o->caveat = (double)o->mkt_ns < RS_SHORT_DAYS * (double)DAY_NS;
	o->ret = ret = calloc(nd ? nd : 1, sizeof(double));
	o->bret = bret = calloc(nd ? nd : 1, sizeof(double));
	o->roll = calloc(nd ? nd : 1, sizeof(double));
	o->dd = calloc(nd ? nd : 1, sizeof(double));
	sorted = calloc(nd ? nd : 1, sizeof(double));
	if (!ret || !bret || !o->roll || !o->dd || !sorted) {
		free(sorted);
		return -ENOMEM;
	}
	{
		double prev = (double)initial, pb = 1, peak = (double)initial;
		for (size_t i = 0; i < nd; i++) {
			double e = (double)rs->days[i].eq;
			ret[i] = prev > 0 ? e / prev - 1 : NAN;
			bret[i] = rs->days[i].bench / pb - 1;
			prev = e;
			pb = rs->days[i].bench;
			peak = e > peak ? e : peak;
			o->dd[i] = peak > 0 ? (peak - e) / peak : 0;
		}
	}
	/* Risk figures of the daily returns. */
	moments(ret, nd, &mr, &o->vol, &o->skew, &o->kurt);
	o->vol *= sqrt(P);
	memcpy(sorted, ret, nd * sizeof(double));
	qsort(sorted, nd, sizeof(double), cmp_dbl);
	var_cvar(sorted, nd, 0.95, &o->var95, &o->cvar95);
	var_cvar(sorted, nd, 0.99, &o->var99, &o->cvar99);
	free(sorted);
	/* Rolling Sharpe over RS_ROLL days with data, annualised. */
	for (size_t i = 0; i < nd; i++) {
		double m, s, a, b;
		o->roll[i] = NAN;
		if (i + 1 < RS_ROLL)
			continue;
		moments(ret + i + 1 - RS_ROLL, RS_ROLL, &m, &s, &a, &b);
		if (s > 0)
			o->roll[i] = m / s * sqrt(P);
	}
	/* Against the basket. */
	moments(bret, nd, &mb, &sb, &sk, &ku);
	o->bench_total = nd ? rs->days[nd - 1].bench - 1 : 0;
	o->excess = (initial > 0 ? (double)last_eq / (double)initial - 1 : NAN) -
		    o->bench_total;
	o->alpha = o->beta = o->corr = o->ir = NAN;
	if (nd >= 2) {
		double vs = 0, vb = 0, te = 0, md = mr - mb;
		for (size_t i = 0; i < nd; i++) {
			double d = (ret[i] - mr), e = (bret[i] - mb);
			double x = ret[i] - bret[i] - md;
			cov += d * e;
			vs += d * d;
			vb += e * e;
			te += x * x;
		}
		if (vb > 0) {
			o->beta = cov / vb;
			o->alpha = (mr - o->beta * mb) * P;
		}
		if (vb > 0 && vs > 0)
			o->corr = cov / sqrt(vs * vb);
		if (te > 0)
			o->ir = md / sqrt(te / (double)(nd - 1)) * sqrt(P);
	}
	/* Worst days, and the basket's worst RS_WINDOW-day windows (by
	 * days with data; windows do not overlap). */
	o->nworst = lowest(ret, nd, RS_TOP, o->worst);
	{
		double *w = calloc(nd ? nd : 1, sizeof(double));
		if (w == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < nd; i++)
			w[i] = i + 1 >= RS_WINDOW
				       ? rs->days[i].bench /
						 (i + 1 == RS_WINDOW
							  ? 1
							  : rs->days[i - RS_WINDOW]
								    .bench) -
					 1
				       : NAN;
		o->nbwin = 0;
		while (o->nbwin < RS_TOP) {
			size_t k;
			if (lowest(w, nd, 1, &k) == 0)
				break;
			{
				size_t s0 = k + 1 - RS_WINDOW;
				double base = s0 ? (double)rs->days[s0 - 1].eq
						 : (double)initial;
				double bb = s0 ? rs->days[s0 - 1].bench : 1;
				o->bwin_bench[o->nbwin] = rs->days[k].bench / bb - 1;
				o->bwin_ret[o->nbwin] =
					base > 0 ? (double)rs->days[k].eq / base - 1
						 : NAN;
			}
			o->bwin[o->nbwin++] = k;
			for (size_t j = k + 1 >= RS_WINDOW ? k + 1 - RS_WINDOW : 0;
			     j < nd && j < k + RS_WINDOW; j++)
				w[j] = NAN;
		}
		free(w);
	}
	/* Trades: the median holding time. */
	if (rs->tr.nhold) {
		int64_t *h = rs->tr.hold;
		__int128 s = 0;
		qsort(h, rs->tr.nhold, sizeof(*h), cmp_i64);
		for (size_t i = 0; i < rs->tr.nhold; i++)
			s += h[i];
		o->hold_mean = (double)s / (double)rs->tr.nhold;
		o->hold_median = rs->tr.nhold % 2
			? (double)h[rs->tr.nhold / 2]
			: ((double)h[rs->tr.nhold / 2 - 1] +
			   (double)h[rs->tr.nhold / 2]) / 2;
	}
	return 0;
}

void
rs_out_free(struct rs_out *o)
{
	free(o->ret);
	free(o->bret);
	free(o->roll);
	free(o->dd);
	memset(o, 0, sizeof(*o));
}
