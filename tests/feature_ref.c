/*
 * The shared half of the feature-engine suites (see feature_ref.h):
 * exact bar series, running the engine, tallies, and the plain
 * recomputations.  Inputs are scaled integers parsed exactly from the text
 * (trd_dec_parse at a scale wide enough for every value of the file),
 * never through double.  TRD_TEST_VERBOSE=1 prints the worst error of
 * every comparison.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "feature.h"
#include "helpers.h"
#include "feature_ref.h"

/* ------------------------------------------------------------------ */
/* Small utilities                                                     */
/* ------------------------------------------------------------------ */

uint64_t
rnd(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [lo, hi]. */
int64_t
rnd_in(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

long double
pow10l_(int dp)
{
	long double p = 1;

	for (int i = 0; i < dp; i++)
		p *= 10;
	return p;
}

int
verbose(void)
{
	const char *v = getenv("TRD_TEST_VERBOSE");

	return v != NULL && *v != '\0' && *v != '0';
}

/* Digits after the point once trailing zeros are dropped ("48.700" -> 1). */
int
frac_digits(const char *s)
{
	const char *dot = strchr(s, '.');
	int n;

	if (dot == NULL)
		return 0;
	n = (int)strlen(dot + 1);
	while (n > 0 && dot[n] == '0')
		n--;
	return n;
}

/* The exact scaled value of decimal text at dp places. */
int64_t
scaled(const char *s, int dp)
{
	int64_t v = 0;
	int rc = trd_dec_parse_str(s, dp, &v);

	cr_assert_eq(rc, 0, "cannot parse '%s' exactly at %d decimals (%d)", s,
		     dp, rc);
	return v;
}

/* ------------------------------------------------------------------ */
/* CSV tables (LF or CRLF, blank cells, trailing empty columns)        */
/* ------------------------------------------------------------------ */

static char empty_cell[1];

/* Split one line in place into cells; missing cells are "". */
int
split_cells(char *p, char **cells)
{
	int nc = 0;

	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		cr_assert_lt(nc, MAXCOL, "too many columns");
		cells[nc++] = p;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	for (int i = nc; i < MAXCOL; i++)
		cells[i] = empty_cell;
	return nc;
}

void
table_load(struct table *t, const char *rel, int has_header)
{
	const char *path = th_shared(rel);
	char *p;

	memset(t, 0, sizeof(*t));
	cr_assert_not_null(path, "test data tests/data/shared/%s is missing",
			   rel);
	t->buf = th_read_file(path, NULL);
	cr_assert_not_null(t->buf, "cannot read %s", path);
	t->row = calloc(th_count_lines(t->buf) + 2, sizeof(*t->row));
	cr_assert_not_null(t->row);
	for (int i = 0; i < MAXCOL; i++)
		t->head[i] = empty_cell;
	p = t->buf;
	while (*p) {
		char *eol = strchr(p, '\n'), *next;
		size_t len;

		if (eol) {
			*eol = '\0';
			next = eol + 1;
		} else {
			next = p + strlen(p);
		}
		len = strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			p[--len] = '\0';
		if (len > 0) {
			if (has_header) {
				t->nhead = split_cells(p, t->head);
				has_header = 0;
			} else {
				split_cells(p, t->row[t->nrow++]);
			}
		}
		p = next;
	}
}

void
table_free(struct table *t)
{
	free(t->buf);
	free(t->row);
}

/* Index of the column headed name (exact; "" for an empty header cell). */
int
tcol(const struct table *t, const char *name)
{
	for (int i = 0; i < t->nhead; i++)
		if (strcmp(t->head[i], name) == 0)
			return i;
	cr_assert_fail("no column '%s'", name);
	return -1;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The sheets write dates three ways: 14-Dec-09, 27/11/2010, 2010-01-07. */
int64_t
parse_date(const char *s)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr",
					   "May", "Jun", "Jul", "Aug",
					   "Sep", "Oct", "Nov", "Dec" };
	int y = 0, m = 0, d = 0;
	char ms[4] = "";

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		cr_assert_eq(sscanf(s, "%d-%d-%d", &y, &m, &d), 3, "%s", s);
	} else if (strchr(s, '/')) {
		cr_assert_eq(sscanf(s, "%d/%d/%d", &d, &m, &y), 3, "%s", s);
	} else {
		cr_assert_eq(sscanf(s, "%d-%3[A-Za-z]-%d", &d, ms, &y), 3,
			     "date '%s'", s);
		for (int i = 0; i < 12; i++)
			if (strcmp(ms, mon[i]) == 0)
				m = i + 1;
		y += y < 100 ? 2000 : 0;
	}
	cr_assert(m >= 1 && m <= 12 && d >= 1 && d <= 31 && y > 1990,
		  "date '%s'", s);
	return days_from_civil(y, m, d) * 86400 * INT64_C(1000000000);
}

/* ------------------------------------------------------------------ */
/* Bar series: scaled integers plus the same values in long double     */
/* ------------------------------------------------------------------ */

void
series_push(struct series *s, int64_t o, int64_t h, int64_t l, int64_t c,
	    int64_t v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->b = realloc(s->b, s->cap * sizeof(*s->b));
		cr_assert_not_null(s->b);
	}
	s->b[s->n] = (struct trd_bar){ .ts_ns = (int64_t)s->n * 60000000000LL,
				       .open = o, .high = h, .low = l,
				       .close = c, .volume = v, .tf_s = 60 };
	s->n++;
}

/* Fill the long double views once the integers are final. */
void
series_finish(struct series *s)
{
	s->P = pow10l_(s->pdp);
	s->Q = pow10l_(s->qdp);
	s->h = calloc(s->n + 1, sizeof(long double));
	s->l = calloc(s->n + 1, sizeof(long double));
	s->c = calloc(s->n + 1, sizeof(long double));
	s->v = calloc(s->n + 1, sizeof(long double));
	cr_assert(s->h && s->l && s->c && s->v);
	s->level = 0;
	for (size_t i = 0; i < s->n; i++) {
		s->h[i] = (long double)s->b[i].high / s->P;
		s->l[i] = (long double)s->b[i].low / s->P;
		s->c[i] = (long double)s->b[i].close / s->P;
		s->v[i] = (long double)s->b[i].volume / s->Q;
		if (s->c[i] > s->level)
			s->level = s->c[i];
	}
}

void
series_free(struct series *s)
{
	free(s->b);
	free(s->h);
	free(s->l);
	free(s->c);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Binance spot klines (no header, 8-decimal prices and quantities),
 * several contiguous files. */
void
load_klines(struct series *s, const char *const *files, size_t nfiles)
{
	memset(s, 0, sizeof(*s));
	s->pdp = s->qdp = 8;
	for (size_t f = 0; f < nfiles; f++) {
		struct table t;

		table_load(&t, files[f], 0);
		for (size_t r = 0; r < t.nrow; r++) {
			char **c = t.row[r];
			series_push(s, scaled(c[1], 8), scaled(c[2], 8),
				    scaled(c[3], 8), scaled(c[4], 8),
				    scaled(c[5], 8));
		}
		table_free(&t);
	}
	series_finish(s);
}

const char *const btc_files[3] = {
	"binance_spot_klines/BTCUSDT-1m-2020-01-01.csv",
	"binance_spot_klines/BTCUSDT-1m-2020-01-02.csv",
	"binance_spot_klines/BTCUSDT-1m-2020-01-03.csv",
};

/*
 * A synthetic series at 8 decimals around 100, with what real data rarely
 * has: flat stretches of identical zero-range bars (a halted market, long
 * enough to zero every window below), closes repeating, zero-volume bars
 * and gaps.
 */
void
make_synthetic(struct series *s, size_t n, uint64_t seed, int degenerate)
{
	struct rng r = { seed };
	int64_t c = 10000000000LL; /* 100.00000000 */
	size_t flat = 0;
	int halted = 0;

	memset(s, 0, sizeof(*s));
	s->pdp = s->qdp = 8;
	for (size_t i = 0; i < n; i++) {
		int64_t o = c, h, l, v;

		if (degenerate && flat == 0 && rnd(&r) % 100 == 0) {
			flat = 25 + rnd(&r) % 10;
			halted = rnd(&r) % 2 == 0; /* no volume at all */
		}
		if (flat > 0) {
			flat--;
			v = halted || rnd(&r) % 3 == 0
				    ? 0
				    : rnd_in(&r, 1, 500000000);
			series_push(s, c, c, c, c, v);
			continue;
		}
		if (degenerate && rnd(&r) % 10 == 0) {
			/* unchanged close */
		} else if (rnd(&r) % 50 == 0) {
			c += rnd_in(&r, -800000000, 800000000); /* gap */
		} else {
			c += rnd_in(&r, -60000000, 60000000);
		}
		if (c < 100000000)
			c = 100000000 + rnd_in(&r, 0, 1000000);
		h = (o > c ? o : c) + rnd_in(&r, 0, 30000000);
		l = (o < c ? o : c) - rnd_in(&r, 0, 30000000);
		if (degenerate && rnd(&r) % 40 == 0)
			h = l = o = c; /* zero range */
		v = degenerate && rnd(&r) % 20 == 0
			    ? 0
			    : rnd_in(&r, 1, 2000000000);
		series_push(s, o, h, l, c, v);
	}
	series_finish(s);
}

/* ------------------------------------------------------------------ */
/* Running the engine                                                  */
/* ------------------------------------------------------------------ */

/* trd_fset_add that must succeed. */
const double *
add_ok(struct trd_fset *fs, const char *name)
{
	char err[256];
	const double *p = trd_fset_add(fs, name, err, sizeof(err));

	cr_assert_not_null(p, "%s: %s", name, err);
	return p;
}

/* Feed every bar; returns out[i * nf + f], the value of names[f] after
 * bar i. */
double *
run_bars(const struct series *s, const char *const *names, size_t nf)
{
	struct trd_fset *fs = NULL;
	const double **p = calloc(nf, sizeof(*p));
	double *out = malloc((s->n ? s->n : 1) * nf * sizeof(double));
	char err[256];

	cr_assert(p && out);
	cr_assert_eq(trd_fset_new(&fs, (uint8_t)s->pdp, (uint8_t)s->qdp, 4),
		     0);
	for (size_t f = 0; f < nf; f++) {
		p[f] = trd_fset_add(fs, names[f], err, sizeof(err));
		cr_assert_not_null(p[f], "%s: %s", names[f], err);
	}
	for (size_t i = 0; i < s->n; i++) {
		trd_fset_bar(fs, &s->b[i]);
		for (size_t f = 0; f < nf; f++)
			out[i * nf + f] = *p[f];
	}
	trd_fset_free(fs);
	free(p);
	return out;
}

/* ------------------------------------------------------------------ */
/* Comparing                                                           */
/* ------------------------------------------------------------------ */

void
tally_init(struct tally *t, const char *fmt, ...)
{
	va_list ap;

	memset(t, 0, sizeof(*t));
	va_start(ap, fmt);
	vsnprintf(t->what, sizeof(t->what), fmt, ap);
	va_end(ap);
	t->worst_ratio = -1;
}

/* A NaN want needs a NaN; otherwise |got - want| <= max(rel |want|, abs). */
void
tally_add(struct tally *t, size_t at, double got, long double want,
	  double rel, double abs)
{
	double ratio;
	int ok;

	t->n++;
	if (isnan(want)) {
		ok = isnan(got);
		ratio = ok ? 0 : INFINITY;
	} else if (!isfinite(got)) {
		ok = 0;
		ratio = INFINITY;
	} else {
		long double err = fabsl((long double)got - want);
		long double tol = fmaxl((long double)rel * fabsl(want), abs);
		ok = err <= tol;
		ratio = tol > 0 ? (double)(err / tol) : (err > 0 ? INFINITY : 0);
	}
	if (!ok && t->bad++ == 0) {
		t->first = at;
		t->first_got = got;
		t->first_want = want;
	}
	if (ratio > t->worst_ratio) {
		t->worst_ratio = ratio;
		t->worst = at;
		t->worst_got = got;
		t->worst_want = want;
	}
}

void
tally_expect(const struct tally *t)
{
	if (verbose())
		fprintf(stderr, "  %-44s n=%-6zu bad=%-5zu worst %.3g x tol "
			"(at %zu: got %.17g want %.17Lg)\n", t->what, t->n,
			t->bad, t->worst_ratio, t->worst, t->worst_got,
			t->worst_want);
	cr_expect_gt(t->n, 0, "%s: nothing compared", t->what);
	cr_expect_eq(t->bad, 0,
		     "%s: %zu of %zu values off; first at %zu: got %.17g, "
		     "want %.17Lg; worst at %zu: got %.17g, want %.17Lg "
		     "(%.3g x tolerance)", t->what, t->bad, t->n, t->first,
		     t->first_got, t->first_want, t->worst, t->worst_got,
		     t->worst_want, t->worst_ratio);
}

/* ------------------------------------------------------------------ */
/* 2. Plain recomputations                                             */
/* ------------------------------------------------------------------ */

/* Exponential average of the closes 0..i: SMA of the first n as the seed,
 * or the first close (first); NaN before n closes. */
long double
ref_ema(const struct series *s, size_t i, int n, int first)
{
	long double a = 2.0L / (n + 1), e = 0;

	if (i + 1 < (size_t)n)
		return NAN_L;
	if (first) {
		e = s->c[0];
		for (size_t j = 1; j <= i; j++)
			e += a * (s->c[j] - e);
		return e;
	}
	for (size_t j = 0; j < (size_t)n; j++)
		e += s->c[j];
	e /= n;
	for (size_t j = (size_t)n; j <= i; j++)
		e += a * (s->c[j] - e);
	return e;
}

/* In scaled integers, so ties stay ties. */
long double
true_range(const struct series *s, size_t j)
{
	int64_t hi = s->b[j].high, lo = s->b[j].low;

	if (j > 0) {
		if (s->b[j - 1].close > hi)
			hi = s->b[j - 1].close;
		if (s->b[j - 1].close < lo)
			lo = s->b[j - 1].close;
	}
	return (long double)(hi - lo) / s->P;
}

/* Wilder's ATR, seeded with the mean of the first n true ranges (the first
 * bar's is its high - low). */
long double
ref_atr(const struct series *s, size_t i, int n)
{
	long double a = 0;

	if (i + 1 < (size_t)n)
		return NAN_L;
	for (size_t j = 0; j < (size_t)n; j++)
		a += true_range(s, j);
	a /= n;
	for (size_t j = (size_t)n; j <= i; j++)
		a = (a * (n - 1) + true_range(s, j)) / n;
	return a;
}

/* Wilder's RSI; seed=first starts both averages at 0 on bar 0. */
long double
ref_rsi(const struct series *s, size_t i, int n, int first)
{
	long double ag = 0, al = 0;

	if (i < (size_t)n)
		return NAN_L;
	for (size_t j = 1; j <= i; j++) {
		long double ch = (long double)(s->b[j].close -
					       s->b[j - 1].close) / s->P;
		long double g = ch > 0 ? ch : 0, l = ch < 0 ? -ch : 0;
		if (!first && j <= (size_t)n) {
			ag += g / n;
			al += l / n;
		} else {
			ag = (ag * (n - 1) + g) / n;
			al = (al * (n - 1) + l) / n;
		}
	}
	if (al == 0)
		return ag == 0 ? 50 : 100;
	return 100 - 100 / (1 + ag / al);
}

/* MACD: line from the slow EMA's n-th bar; the signal averages the line
 * from there (SMA seed), or from bar 0 (seed=first: everything first-value
 * seeded, reported from the slow EMA's n-th bar). */
long double
ref_macd(const struct series *s, size_t i, int f, int sl, int g, int first,
	 int field)
{
	long double af = 2.0L / (f + 1), as = 2.0L / (sl + 1),
		    ag = 2.0L / (g + 1);
	long double ef = 0, es = 0, sig = 0, line = 0;
	size_t ng = 0;

	if (i + 1 < (size_t)sl)
		return NAN_L;
	for (size_t j = 0; j <= i; j++) {
		long double x = s->c[j];
		if (first) {
			ef = j ? ef + af * (x - ef) : x;
			es = j ? es + as * (x - es) : x;
		} else {
			if (j < (size_t)f)
				ef += x / f;
			else
				ef += af * (x - ef);
			if (j < (size_t)sl)
				es += x / sl;
			else
				es += as * (x - es);
			if (j + 1 < (size_t)sl)
				continue;
		}
		line = ef - es;
		ng++;
		if (first)
			sig = ng == 1 ? line : sig + ag * (line - sig);
		else if (ng <= (size_t)g)
			sig += line / g;
		else
			sig += ag * (line - sig);
	}
	if (field == 0)
		return line;
	if (ng < (size_t)g)
		return NAN_L;
	return field == 1 ? sig : line - sig;
}

/* Wilder's ADX as StockCharts: TR, +DM, -DM summed over bars 1..n, then
 * S - S/n + x; DI from bar n; ADX the mean of the first n DX (bars n..2n-1),
 * then Wilder.  DX is 0 when both DI are 0 (or undefined). */
long double
ref_adx(const struct series *s, size_t i, int n, int field)
{
	long double tr = 0, pdm = 0, mdm = 0, adx = 0, pdi = 0, mdi = 0;

	if (i < (size_t)n || (field == 0 && i < 2 * (size_t)n - 1))
		return NAN_L;
	for (size_t k = 1; k <= i; k++) {
		/* Compared as integers: equal moves give no DM at all. */
		int64_t up = s->b[k].high - s->b[k - 1].high;
		int64_t dn = s->b[k - 1].low - s->b[k].low;
		long double p = up > dn && up > 0 ? (long double)up / s->P : 0;
		long double m = dn > up && dn > 0 ? (long double)dn / s->P : 0;
		long double dx;

		if (k <= (size_t)n) {
			tr += true_range(s, k);
			pdm += p;
			mdm += m;
		} else {
			tr = tr - tr / n + true_range(s, k);
			pdm = pdm - pdm / n + p;
			mdm = mdm - mdm / n + m;
		}
		if (k < (size_t)n)
			continue;
		pdi = tr > 0 ? 100 * pdm / tr : NAN_L;
		mdi = tr > 0 ? 100 * mdm / tr : NAN_L;
		dx = pdi + mdi > 0 ? 100 * fabsl(pdi - mdi) / (pdi + mdi) : 0;
		if (k <= 2 * (size_t)n - 1)
			adx += dx / n;
		else
			adx = (adx * (n - 1) + dx) / n;
	}
	return field == 0 ? adx : field == 1 ? pdi : mdi;
}

/* Highest high and lowest low of bars i-n+1..i (scaled). */
void
hh_ll(const struct series *s, size_t i, int n, int64_t *hh, int64_t *ll)
{
	*hh = s->b[i].high;
	*ll = s->b[i].low;
	for (size_t j = i + 1 - (size_t)n; j < i; j++) {
		if (s->b[j].high > *hh)
			*hh = s->b[j].high;
		if (s->b[j].low < *ll)
			*ll = s->b[j].low;
	}
}

long double
ref_stoch_k(const struct series *s, size_t i, int n)
{
	int64_t hh, ll;

	if (i + 1 < (size_t)n)
		return NAN_L;
	hh_ll(s, i, n, &hh, &ll);
	if (hh == ll)
		return NAN_L;
	return 100.0L * (long double)(s->b[i].close - ll) /
	       (long double)(hh - ll);
}

/* Sum and n * sum of squared deviations of the closes i-n+1..i, exact:
 * dev_j = n x_j - S.  Returns sum_j dev_j^2 / n (= n^2 var). */
long double
n2var_closes(const struct series *s, size_t i, int n, i128 *sum)
{
	i128 S = 0;
	long double q = 0;

	for (size_t j = i + 1 - (size_t)n; j <= i; j++)
		S += s->b[j].close;
	for (size_t j = i + 1 - (size_t)n; j <= i; j++) {
		long double d = (long double)((i128)n * s->b[j].close - S);
		q += d * d;
	}
	*sum = S;
	return q / n;
}

/* VWAP and VWAP z-score over bars i-n+1..i, with 3 tp = h + l + c exact:
 * dev_j = 3 tp_j V - S3 where V = sum v, S3 = sum v 3tp. */
long double
ref_vwap(const struct series *s, size_t i, int n, int z)
{
	i128 V = 0, S3 = 0;
	long double q = 0;

	if (i + 1 < (size_t)n)
		return NAN_L;
	for (size_t j = i + 1 - (size_t)n; j <= i; j++) {
		i128 t3 = (i128)s->b[j].high + s->b[j].low + s->b[j].close;
		V += s->b[j].volume;
		S3 += t3 * s->b[j].volume;
	}
	if (V <= 0)
		return NAN_L;
	if (!z)
		return (long double)S3 / (long double)V / 3 / s->P;
	for (size_t j = i + 1 - (size_t)n; j <= i; j++) {
		i128 t3 = (i128)s->b[j].high + s->b[j].low + s->b[j].close;
		long double d = (long double)(t3 * V - S3);
		q += (long double)s->b[j].volume * d * d;
	}
	/* var(tp) = q / V^3 / 9; c - vwap = (3 c V - S3) / (3 V). */
	if (q == 0)
		return NAN_L;
	return (long double)(3 * (i128)s->b[i].close * V - S3) /
	       sqrtl(q / (long double)V);
}

long double
ref_value(const struct series *s, size_t i, const struct rdef *d)
{
	int n = d->n;

	switch (d->k) {
	case K_SMA: {
		i128 S = 0;
		if (i + 1 < (size_t)n)
			return NAN_L;
		for (size_t j = i + 1 - (size_t)n; j <= i; j++)
			S += s->b[j].close;
		return (long double)S / n / s->P;
	}
	case K_EMA:
		return ref_ema(s, i, n, d->first);
	case K_WMA: {
		i128 S = 0;
		if (i + 1 < (size_t)n)
			return NAN_L;
		for (int k = 1; k <= n; k++)
			S += (i128)k * s->b[i + (size_t)k - (size_t)n].close;
		return (long double)S / ((long double)n * (n + 1) / 2) / s->P;
	}
	case K_RSI:
		return ref_rsi(s, i, n, d->first);
	case K_MACD:
		return ref_macd(s, i, n, d->m, d->g, d->first, d->field);
	case K_ROC:
		if (i < (size_t)n)
			return NAN_L;
		return 100.0L * (long double)(s->b[i].close -
					      s->b[i - (size_t)n].close) /
		       (long double)s->b[i - (size_t)n].close;
	case K_CCI: {
		i128 S = 0, X = 0, t;
		if (i + 1 < (size_t)n)
			return NAN_L;
		for (size_t j = i + 1 - (size_t)n; j <= i; j++)
			S += (i128)s->b[j].high + s->b[j].low + s->b[j].close;
		for (size_t j = i + 1 - (size_t)n; j <= i; j++) {
			t = (i128)n * ((i128)s->b[j].high + s->b[j].low +
				       s->b[j].close) - S;
			X += t < 0 ? -t : t;
		}
		if (X == 0)
			return NAN_L;
		t = (i128)n * ((i128)s->b[i].high + s->b[i].low +
			       s->b[i].close) - S;
		/* (tp - mean) / (0.015 * mean |tp - mean|) */
		return (long double)t * n / (0.015L * (long double)X);
	}
	case K_BB:
	case K_Z: {
		i128 S;
		long double q, mid, sd, k = (long double)d->kf;
		if (i + 1 < (size_t)n)
			return NAN_L;
		q = n2var_closes(s, i, n, &S);
		if (d->k == K_Z)
			return q > 0 ? (long double)((i128)n * s->b[i].close -
						     S) / sqrtl(q)
				     : NAN_L;
		mid = (long double)S / n / s->P;
		sd = sqrtl(q) / n / s->P;
		switch (d->field) {
		case 0: return mid;
		case 1: return mid + k * sd;
		case 2: return mid - k * sd;
		case 3: return sd > 0 ? (s->c[i] - (mid - k * sd)) /
						(2 * k * sd)
				      : NAN_L;
		default: return 2 * k * sd / mid;
		}
	}
	case K_ATR:
		return ref_atr(s, i, n);
	case K_ADX:
		return ref_adx(s, i, n, d->field);
	case K_STOCH: {
		long double sum = 0;
		if (d->field == 0)
			return ref_stoch_k(s, i, n);
		if (i + 2 < (size_t)n + (size_t)d->m)
			return NAN_L;
		for (size_t j = i + 1 - (size_t)d->m; j <= i; j++)
			sum += ref_stoch_k(s, j, n);
		return sum / d->m;
	}
	case K_WILLR: {
		int64_t hh, ll;
		if (i + 1 < (size_t)n)
			return NAN_L;
		hh_ll(s, i, n, &hh, &ll);
		if (hh == ll)
			return NAN_L;
		return -100.0L * (long double)(hh - s->b[i].close) /
		       (long double)(hh - ll);
	}
	case K_VOL: {
		long double m = 0, q = 0;
		if (i < (size_t)n)
			return NAN_L;
		for (size_t j = i + 1 - (size_t)n; j <= i; j++)
			m += logl((long double)s->b[j].close /
				  (long double)s->b[j - 1].close);
		m /= n;
		for (size_t j = i + 1 - (size_t)n; j <= i; j++) {
			long double r = logl((long double)s->b[j].close /
					     (long double)s->b[j - 1].close);
			q += (r - m) * (r - m);
		}
		return sqrtl(q / (n - 1));
	}
	case K_VWAP:
		return ref_vwap(s, i, n, 0);
	case K_VWAPZ:
		return ref_vwap(s, i, n, 1);
	case K_DC: {
		int64_t hh, ll;
		if (i + 1 < (size_t)n)
			return NAN_L;
		hh_ll(s, i, n, &hh, &ll);
		return d->field == 0   ? (long double)hh / s->P
		       : d->field == 1 ? (long double)ll / s->P
				       : ((long double)hh + ll) / 2 / s->P;
	}
	case K_KC: {
		long double mid = ref_ema(s, i, n, d->first),
			    atr = ref_atr(s, i, d->m);
		if (isnan(mid) || isnan(atr))
			return NAN_L;
		return d->field == 0   ? mid
		       : d->field == 1 ? mid + (long double)d->kf * atr
				       : mid - (long double)d->kf * atr;
	}
	case K_OBV: {
		i128 o = 0;
		for (size_t j = 1; j <= i; j++)
			o += s->b[j].close > s->b[j - 1].close   ? s->b[j].volume
			     : s->b[j].close < s->b[j - 1].close ? -s->b[j].volume
								 : 0;
		return (long double)o / s->Q;
	}
	}
	return NAN_L;
}

/*
 * Every output is compared at 1e-9 relative.  The absolute floors only
 * matter at or near zero: none for prices; 1e-15 where the engine divides
 * exact integers (roc, vol, width, obv); 1e-12 where a double near a price
 * is subtracted first (pctb, cci, stoch, willr, zscore); 1e-10 for the
 * double recursions on 0..100 scales (rsi, adx); 1e-13 of the price level
 * (about 100 ulps of a price) for price differences (macd, atr); 1e-9 for
 * vwap_z (a z-score).
 */
const char *const qnames[NQNAMES] = { "mid", "spread_bps", "book_imbalance",
				       "ofi(1)", "ofi(5)", "ofi(50)" };

const struct rdef rdefs[] = {
	{ "sma(1)", K_SMA, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "sma(20)", K_SMA, 20, 0, 0, 0, 0, 0, 0, 0 },
	{ "sma(200)", K_SMA, 200, 0, 0, 0, 0, 0, 0, 0 },
	{ "ema(1)", K_EMA, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "ema(20)", K_EMA, 20, 0, 0, 0, 0, 0, 0, 0 },
	{ "ema(50)", K_EMA, 50, 0, 0, 0, 0, 0, 0, 0 },
	{ "ema(20,seed=first)", K_EMA, 20, 0, 0, 1, 0, 0, 0, 0 },
	{ "ema(50,seed=first)", K_EMA, 50, 0, 0, 1, 0, 0, 0, 0 },
	{ "wma(1)", K_WMA, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "wma(9)", K_WMA, 9, 0, 0, 0, 0, 0, 0, 0 },
	{ "wma(30)", K_WMA, 30, 0, 0, 0, 0, 0, 0, 0 },
	{ "rsi(14)", K_RSI, 14, 0, 0, 0, 0, 0, 1e-10, 0 },
	{ "rsi(2)", K_RSI, 2, 0, 0, 0, 0, 0, 1e-10, 0 },
	{ "rsi(14,seed=first)", K_RSI, 14, 0, 0, 1, 0, 0, 1e-10, 0 },
	{ "macd(12,26,9).line", K_MACD, 12, 26, 9, 0, 0, 0, 1e-13, 1 },
	{ "macd(12,26,9).signal", K_MACD, 12, 26, 9, 0, 1, 0, 1e-13, 1 },
	{ "macd(12,26,9).hist", K_MACD, 12, 26, 9, 0, 2, 0, 1e-13, 1 },
	{ "macd(3,5,2).hist", K_MACD, 3, 5, 2, 0, 2, 0, 1e-13, 1 },
	{ "macd(12,26,9,seed=first).line", K_MACD, 12, 26, 9, 1, 0, 0, 1e-13,
	  1 },
	{ "macd(12,26,9,seed=first).signal", K_MACD, 12, 26, 9, 1, 1, 0,
	  1e-13, 1 },
	{ "macd(12,26,9,seed=first).hist", K_MACD, 12, 26, 9, 1, 2, 0, 1e-13,
	  1 },
	{ "roc(1)", K_ROC, 1, 0, 0, 0, 0, 0, 1e-15, 0 },
	{ "roc(12)", K_ROC, 12, 0, 0, 0, 0, 0, 1e-15, 0 },
	{ "cci(20)", K_CCI, 20, 0, 0, 0, 0, 0, 1e-12, 0 },
	{ "cci(5)", K_CCI, 5, 0, 0, 0, 0, 0, 1e-12, 0 },
	{ "bb(20,2).mid", K_BB, 20, 0, 0, 0, 0, 2, 0, 0 },
	{ "bb(20,2).upper", K_BB, 20, 0, 0, 0, 1, 2, 0, 0 },
	{ "bb(20,2).lower", K_BB, 20, 0, 0, 0, 2, 2, 0, 0 },
	{ "bb(20,2).pctb", K_BB, 20, 0, 0, 0, 3, 2, 1e-12, 0 },
	{ "bb(20,2).width", K_BB, 20, 0, 0, 0, 4, 2, 1e-15, 0 },
	{ "bb(10,1.5).pctb", K_BB, 10, 0, 0, 0, 3, 1.5, 1e-12, 0 },
	{ "atr(14)", K_ATR, 14, 0, 0, 0, 0, 0, 1e-13, 1 },
	{ "atr(1)", K_ATR, 1, 0, 0, 0, 0, 0, 1e-13, 1 },
	{ "adx(14).adx", K_ADX, 14, 0, 0, 0, 0, 0, 1e-10, 0 },
	{ "adx(14).plus_di", K_ADX, 14, 0, 0, 0, 1, 0, 1e-10, 0 },
	{ "adx(14).minus_di", K_ADX, 14, 0, 0, 0, 2, 0, 1e-10, 0 },
	{ "adx(5).adx", K_ADX, 5, 0, 0, 0, 0, 0, 1e-10, 0 },
	{ "stoch(14,3).k", K_STOCH, 14, 3, 0, 0, 0, 0, 1e-12, 0 },
	{ "stoch(14,3).d", K_STOCH, 14, 3, 0, 0, 1, 0, 1e-12, 0 },
	{ "stoch(5,1).d", K_STOCH, 5, 1, 0, 0, 1, 0, 1e-12, 0 },
	{ "willr(14)", K_WILLR, 14, 0, 0, 0, 0, 0, 1e-12, 0 },
	{ "vol(20)", K_VOL, 20, 0, 0, 0, 0, 0, 1e-15, 0 },
	{ "vol(2)", K_VOL, 2, 0, 0, 0, 0, 0, 1e-15, 0 },
	{ "zscore(20)", K_Z, 20, 0, 0, 0, 0, 0, 1e-12, 0 },
	{ "zscore(3)", K_Z, 3, 0, 0, 0, 0, 0, 1e-12, 0 },
	{ "vwap(14)", K_VWAP, 14, 0, 0, 0, 0, 0, 0, 0 },
	{ "vwap(1)", K_VWAP, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "vwap_z(14)", K_VWAPZ, 14, 0, 0, 0, 0, 0, 1e-9, 0 },
	{ "donchian(20).upper", K_DC, 20, 0, 0, 0, 0, 0, 0, 0 },
	{ "donchian(20).lower", K_DC, 20, 0, 0, 0, 1, 0, 0, 0 },
	{ "donchian(20).mid", K_DC, 20, 0, 0, 0, 2, 0, 0, 0 },
	{ "keltner(20,2).mid", K_KC, 20, 20, 0, 0, 0, 2, 0, 0 },
	{ "keltner(20,2).upper", K_KC, 20, 20, 0, 0, 1, 2, 0, 0 },
	{ "keltner(20,2).lower", K_KC, 20, 20, 0, 0, 2, 2, 0, 0 },
	{ "keltner(10,1.5,20).lower", K_KC, 10, 20, 0, 0, 2, 1.5, 0, 0 },
	{ "keltner(20,2,10,seed=first).upper", K_KC, 20, 10, 0, 1, 1, 2, 0,
	  0 },
	{ "obv", K_OBV, 0, 0, 0, 0, 0, 0, 1e-15, 0 },
};

/* Every output of rdefs at every bar against ref_value, 1e-9 relative. */
void
check_references(const struct series *s, const char *label)
{
	const char *names[NRDEFS];
	double *val;

	for (size_t f = 0; f < NRDEFS; f++)
		names[f] = rdefs[f].name;
	val = run_bars(s, names, NRDEFS);
	for (size_t f = 0; f < NRDEFS; f++) {
		const struct rdef *d = &rdefs[f];
		double abs = d->absp ? d->abs * (double)s->level : d->abs;
		struct tally t;

		tally_init(&t, "%s: %s", label, d->name);
		for (size_t i = 0; i < s->n; i++)
			tally_add(&t, i, val[i * NRDEFS + f], ref_value(s, i, d),
				  1e-9, abs);
		tally_expect(&t);
	}
	free(val);
}

_Static_assert(sizeof(rdefs) / sizeof(rdefs[0]) == NRDEFS,
	       "NRDEFS in feature_ref.h");
