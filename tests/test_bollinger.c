/*
 * bollinger_revert end to end through traderd on a month of AVAXUSDT 1m
 * futures bars, long and short: every trade checked against Bollinger
 * bands recomputed here from the CSV (plain two-pass population standard
 * deviation, no engine code), byte-identical reruns, and refused params.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature.h"
#include "helpers.h"

#define MONTH "binance_futures_klines/um/AVAXUSDT-1m-2024-02.csv"
#define MONTH_ROWS 41760
#define N 20
#define K 2.0

/* The month and the bands recomputed from it, freed by teardown (so also
 * when an assertion fails). */
static struct series {
	int64_t *ts;            /* open time, Unix seconds */
	double  *open, *high, *low, *close;
	double  *mid, *upper, *lower; /* NaN before the window fills */
	size_t   n;
} bars;

static char *dir;

static void
series_free(struct series *sr)
{
	free(sr->ts);
	free(sr->open);
	free(sr->high);
	free(sr->low);
	free(sr->close);
	free(sr->mid);
	free(sr->upper);
	free(sr->lower);
}

static void
setup(void)
{
	dir = th_tmpdir();
}

static void
teardown(void)
{
	th_rmtree(dir);
	free(dir);
	series_free(&bars);
}

TestSuite(bollinger, .init = setup, .fini = teardown, .timeout = 120);

/* --- the month, and the bands recomputed from it --- */

static void
load(struct series *sr, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t cap = 0;

	cr_assert_not_null(f, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		char *fld[5], *p = line;
		if (line[0] < '0' || line[0] > '9')
			continue; /* the futures header */
		for (int i = 0; i < 5; i++) {
			fld[i] = p;
			p = strchr(p, ',');
			cr_assert_not_null(p, "short row: %s", line);
			*p++ = '\0';
		}
		if (sr->n == cap) {
			cap = cap ? cap * 2 : 65536;
			sr->ts = realloc(sr->ts, cap * sizeof(*sr->ts));
			sr->open = realloc(sr->open, cap * sizeof(double));
			sr->high = realloc(sr->high, cap * sizeof(double));
			sr->low = realloc(sr->low, cap * sizeof(double));
			sr->close = realloc(sr->close, cap * sizeof(double));
		}
		sr->ts[sr->n] = strtoll(fld[0], NULL, 10) / 1000;
		sr->open[sr->n] = strtod(fld[1], NULL);
		sr->high[sr->n] = strtod(fld[2], NULL);
		sr->low[sr->n] = strtod(fld[3], NULL);
		sr->close[sr->n] = strtod(fld[4], NULL);
		sr->n++;
	}
	fclose(f);
}

static void
bands(struct series *sr, int n, double k)
{
	sr->mid = malloc(sr->n * sizeof(double));
	sr->upper = malloc(sr->n * sizeof(double));
	sr->lower = malloc(sr->n * sizeof(double));
	for (size_t t = 0; t < sr->n; t++) {
		double m = 0, v = 0;
		if (t + 1 < (size_t)n) {
			sr->mid[t] = sr->upper[t] = sr->lower[t] = NAN;
			continue;
		}
		for (size_t i = t + 1 - (size_t)n; i <= t; i++)
			m += sr->close[i];
		m /= n;
		for (size_t i = t + 1 - (size_t)n; i <= t; i++)
			v += (sr->close[i] - m) * (sr->close[i] - m);
		v = sqrt(v / n);
		sr->mid[t] = m;
		sr->upper[t] = m + k * v;
		sr->lower[t] = m - k * v;
	}
}

/*
 * Three-way comparison of a close with a band, with the doubles of two
 * different computations: within a few ulps they cannot be told apart
 * (a close exactly on the mean is common with 3-decimal prices), and the
 * caller accepts either answer there.
 */
enum cmp { BELOW, NEAR, ABOVE };

static enum cmp
cmp(double close, double band)
{
	if (fabs(close - band) <= 1e-9 * fabs(close))
		return NEAR;
	return close < band ? BELOW : ABOVE;
}

/* --- running traderd --- */

static void
write_conf(const char *name, const char *shortable, const char *params,
	   const char *report)
{
	char path[4200], body[8192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(body, sizeof(body),
		 "data_dir: %s/db\n"
		 "report_dir: %s/%s\n"
		 "plugin_dir: %s\n"
		 "log_level: warn\n"
		 "instruments:\n"
		 "  - { symbol: AVAXUSDT, tick_size: 0.001, lot_size: 1, "
		 "shortable: %s }\n"
		 "replay: { speed: max, timeframe: 1m }\n"
		 "account: { cash: 100000 }\n"
		 "venue: { kind: sim, fee_bps: 10, slippage_bps: 0 }\n"
		 "strategies:\n"
		 "  - name: bb\n"
		 "    plugin: bollinger_revert\n"
		 "    symbols: [AVAXUSDT]\n"
		 "    params: %s\n",
		 dir, dir, report, th_bin("plugins"), shortable, params);
	cr_assert_eq(th_write_file(path, body), 0);
}

/* Import the month (it ships in tests/data/shared: missing, the test
 * fails) and load it for the reference. */
static void
import_month(void)
{
	const char *csv = th_shared(MONTH);

	cr_assert_not_null(csv, "tests/data/shared/" MONTH " is missing");
	th_expect(0, "%s --data-dir %s/db import --symbol AVAXUSDT --timeframe 1m "
		  "tests/data/shared/" MONTH, th_bin("traderctl"), dir);
	load(&bars, "tests/data/shared/" MONTH);
	cr_assert_eq(bars.n, MONTH_ROWS);
	bands(&bars, N, K);
}

static char *
report_file(const char *report, const char *file)
{
	char path[4200];
	char *s;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, report, file);
	s = th_read_file(path, NULL);
	cr_assert_not_null(s, "%s", path);
	return s;
}

static double
json_number(const char *json, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	p = strstr(json, k);
	cr_assert_not_null(p, "no %s in report.json", key);
	return strtod(p + strlen(k), NULL);
}

static long
fills_rows(const char *report)
{
	char *s = report_file(report, "fills.csv");
	long n = (long)th_count_lines(s) - 1;

	free(s);
	return n;
}

struct trade {
	int     is_short;
	int64_t entry_ts, exit_ts;
	double  entry_price, exit_price;
};

/* trades.csv: strategy,symbol,side,quantity,entry_ts,entry_price,exit_ts,
 * exit_price,pnl,fees,net_pnl */
static size_t
parse_trades(char *csv, struct trade **out)
{
	size_t n = 0, cap = 0;
	char *line = strchr(csv, '\n');

	*out = NULL;
	while (line && line[1]) {
		char *fld[8], *p = line + 1;
		line = strchr(p, '\n');
		if (line)
			*line = '\0';
		for (int i = 0; i < 8; i++) {
			fld[i] = p;
			p = strchr(p, ',');
			cr_assert_not_null(p, "short trades.csv row");
			*p++ = '\0';
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			*out = realloc(*out, cap * sizeof(**out));
		}
		cr_assert(strcmp(fld[2], "long") == 0 ||
			  strcmp(fld[2], "short") == 0, "side %s", fld[2]);
		(*out)[n++] = (struct trade){
			.is_short = strcmp(fld[2], "short") == 0,
			.entry_ts = strtoll(fld[4], NULL, 10),
			.entry_price = strtod(fld[5], NULL),
			.exit_ts = strtoll(fld[6], NULL, 10),
			.exit_price = strtod(fld[7], NULL),
		};
	}
	return n;
}

static size_t
bar_of(const struct series *sr, int64_t ts)
{
	/* A gapless month: the index follows from the time. */
	size_t i = (size_t)((ts - sr->ts[0]) / 60);

	cr_assert_lt(i, sr->n, "time %lld is outside the data", (long long)ts);
	cr_assert_eq(sr->ts[i], ts, "no bar opens at %lld", (long long)ts);
	return i;
}

struct verdict {
	size_t decisions, near;
};

/* The decision the rules take at bar t for a position that is flat (0),
 * long (1) or short (-1): 1 if they act, 0 if not, -1 if the bands are
 * too close to the close to tell. */
static int
acts(const struct series *sr, size_t t, int held, int shortable,
     struct verdict *v)
{
	enum cmp a, b;

	v->decisions++;
	if (held == 0) {
		a = cmp(sr->close[t], sr->lower[t]);
		b = shortable ? cmp(sr->close[t], sr->upper[t]) : BELOW;
		if (a == BELOW || b == ABOVE)
			return 1;
		if (a == NEAR || b == NEAR)
			goto near;
		return 0;
	}
	a = cmp(sr->close[t], sr->mid[t]);
	if (a == NEAR)
		goto near;
	return held > 0 ? a == ABOVE : a == BELOW;
near:
	v->near++;
	return -1;
}

/*
 * Walk the month with the engine's trades: each entry was decided on the
 * bar before its fill, flat, with the close beyond the band on its side;
 * each exit on the bar before its fill, with the close back at the mid;
 * and on every other bar the rules would have done nothing, so no signal
 * was missed.  Market orders fill at the next open.
 */
static void
verify_trades(const struct series *sr, const struct trade *tr, size_t ntr,
	      long nfills, int shortable, struct verdict *v)
{
	size_t t = N - 1; /* first bar with bands */
	int tail = 0;

	for (size_t i = 0; i < ntr; i++) {
		size_t in = bar_of(sr, tr[i].entry_ts);
		size_t out = bar_of(sr, tr[i].exit_ts);
		int held = tr[i].is_short ? -1 : 1;

		cr_assert_geq(in, t + 1, "trade %zu entered at bar %zu, "
			      "before bar %zu", i, in, t + 1);
		/* Flat from t (a decision right at the previous exit's
		 * fill) to the signal bar in - 1. */
		for (; t < in - 1; t++)
			cr_assert_neq(acts(sr, t, 0, shortable, v), 1,
				      "flat at bar %zu (ts %lld): an entry "
				      "was missed", t, (long long)sr->ts[t]);
		cr_assert_neq(acts(sr, in - 1, 0, shortable, v), 0,
			      "trade %zu entered without a signal at bar "
			      "%zu (ts %lld)", i, in - 1,
			      (long long)sr->ts[in - 1]);
		if (cmp(sr->close[in - 1], tr[i].is_short ? sr->upper[in - 1]
							  : sr->lower[in - 1])
		    != NEAR)
			cr_assert(tr[i].is_short
				  ? sr->close[in - 1] > sr->upper[in - 1]
				  : sr->close[in - 1] < sr->lower[in - 1],
				  "trade %zu is %s but the close %.4f is on "
				  "the other side", i,
				  tr[i].is_short ? "short" : "long",
				  sr->close[in - 1]);
		cr_assert(fabs(tr[i].entry_price - sr->open[in]) < 1e-9,
			  "trade %zu entry %.4f, next open %.4f", i,
			  tr[i].entry_price, sr->open[in]);
		cr_assert(fabs(tr[i].exit_price - sr->open[out]) < 1e-9,
			  "trade %zu exit %.4f, next open %.4f", i,
			  tr[i].exit_price, sr->open[out]);
		cr_assert_gt(out, in);
		/* Held from the entry's fill to the exit's signal. */
		for (t = in; t < out - 1; t++)
			cr_assert_neq(acts(sr, t, held, shortable, v), 1,
				      "held at bar %zu: an exit was missed",
				      t);
		cr_assert_neq(acts(sr, out - 1, held, shortable, v), 0,
			      "trade %zu exited without a signal at bar %zu",
			      i, out - 1);
		t = out;
	}
	/* After the last closed trade: flat until an entry, if any.  A
	 * position still open at the end is not in trades.csv but its
	 * entry is in fills.csv (an order placed on the last bar never
	 * fills). */
	for (; t + 1 < sr->n; t++)
		if ((tail = acts(sr, t, 0, shortable, v)) != 0)
			break;
	if (tail != -1)
		cr_assert_eq(nfills, 2 * (long)ntr + tail, "%ld fills for %zu "
			     "trades%s", nfills, ntr, tail ? " and an open "
			     "position" : "");
}

Test(bollinger, month_replay_follows_the_bands_long_and_short)
{
	struct trade *tr;
	struct verdict v = { 0 };
	char *out, *json, *trades, *a[2], *b[2];
	size_t ntr, nlong = 0, nshort = 0;
	int rc;

	import_month();
	/* k written as 2.0: the engine canonicalises the feature name. */
	write_conf("bb.yaml", "true", "{ n: 20, k: 2.0, sizing: all_in }", "r0");
	rc = th_run(&out, "%s -c %s/bb.yaml --replay --speed max",
		    th_bin("traderd"), dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "replay: 41760 bars"), out);
	free(out);

	json = report_file("r0", "report.json");
	cr_assert_eq(json_number(json, "bars"), MONTH_ROWS);
	cr_assert_eq(json_number(json, "orders_rejected"), 0);
	trades = report_file("r0", "trades.csv");
	ntr = parse_trades(trades, &tr);
	for (size_t i = 0; i < ntr; i++)
		*(tr[i].is_short ? &nshort : &nlong) += 1;
	cr_assert_eq((double)ntr, json_number(json, "trades"));
	cr_assert_gt(nlong, 100, "%zu long trades", nlong);
	cr_assert_gt(nshort, 100, "%zu short trades", nshort);
	verify_trades(&bars, tr, ntr, fills_rows("r0"), 1, &v);
	cr_log_info("%zu long and %zu short trades, %zu decisions checked, "
		    "%zu too close to call", nlong, nshort, v.decisions, v.near);
	/* The check means something only if it could decide nearly
	 * everywhere. */
	cr_assert_gt(v.decisions, MONTH_ROWS - 100, "%zu", v.decisions);
	cr_assert_lt(v.near * 1000, v.decisions, "%zu of %zu too close to "
		     "call", v.near, v.decisions);
	free(tr);

	/* A second run gives the same bytes. */
	cr_assert_eq(th_run(NULL, "%s -c %s/bb.yaml --replay --report %s/r1",
			    th_bin("traderd"), dir, dir), 0);
	a[0] = json;
	a[1] = report_file("r0", "trades.csv"); /* parse_trades cut it up */
	b[0] = report_file("r1", "report.json");
	b[1] = report_file("r1", "trades.csv");
	th_drop_lines(a[0], "\"wall_s\"");
	th_drop_lines(b[0], "\"wall_s\"");
	cr_assert_str_eq(a[0], b[0], "report.json differs between runs");
	cr_assert_str_eq(a[1], b[1], "trades.csv differs between runs");
	for (int i = 0; i < 2; i++) {
		free(a[i]);
		free(b[i]);
	}
	free(trades);
}

Test(bollinger, no_short_entries_unless_allowed_and_shortable)
{
	struct trade *tr;
	struct verdict v = { 0 };
	const char *params[2] = { "{ short: false }", "{ short: true }" };
	const char *shortable[2] = { "true", "false" };
	char *trades, *json;

	import_month();
	/* Param short false on a shortable instrument, and the default
	 * (true) on one the venue does not let go short: longs only. */
	for (int i = 0; i < 2; i++) {
		size_t ntr;
		write_conf("bb.yaml", shortable[i], params[i], "r");
		th_expect(0, "%s -c %s/bb.yaml --replay", th_bin("traderd"), dir);
		/* Not even tried: a short sell the venue refuses would be
		 * rejected. */
		json = report_file("r", "report.json");
		cr_assert_eq(json_number(json, "orders_rejected"), 0);
		free(json);
		trades = report_file("r", "trades.csv");
		ntr = parse_trades(trades, &tr);
		cr_assert_gt(ntr, 100);
		for (size_t k = 0; k < ntr; k++)
			cr_assert(!tr[k].is_short, "a short trade at %lld",
				  (long long)tr[k].entry_ts);
		verify_trades(&bars, tr, ntr, fills_rows("r"), 0, &v);
		free(tr);
		free(trades);
	}
}

/*
 * regime: range enters only while the regime feature says no trend: the
 * signal bar of every entry has regime(14,500).trend 0, computed here
 * with the engine's feature code on the month's bars, and trends do keep
 * some band signals out.
 */
Test(bollinger, regime_range_enters_only_without_a_trend)
{
	struct trd_fset *fs;
	const double *trend;
	double *tv;
	struct trade *tr;
	char err[256], *json, *trades;
	size_t ntr, nall, ntrend = 0;

	import_month();
	cr_assert_eq(trd_fset_new(&fs, 3, 0, 1), 0);
	trend = trd_fset_add(fs, "regime(14,500).trend", err, sizeof(err));
	cr_assert_not_null(trend, "%s", err);
	tv = malloc(bars.n * sizeof(*tv));
	cr_assert_not_null(tv);
	for (size_t i = 0; i < bars.n; i++) {
		struct trd_bar b = {
			.ts_ns = bars.ts[i] * 1000000000LL,
			.open = llround(bars.open[i] * 1000),
			.high = llround(bars.high[i] * 1000),
			.low = llround(bars.low[i] * 1000),
			.close = llround(bars.close[i] * 1000),
			.tf_s = 60,
		};
		trd_fset_bar(fs, &b);
		tv[i] = *trend;
		ntrend += *trend != 0 && !isnan(*trend);
	}
	trd_fset_free(fs);
	cr_assert_gt(ntrend, bars.n / 10, "the month has trends (%zu bars)",
		     ntrend);

	write_conf("bb.yaml", "true", "{}", "r0");
	th_expect(0, "%s -c %s/bb.yaml --replay", th_bin("traderd"), dir);
	trades = report_file("r0", "trades.csv");
	nall = parse_trades(trades, &tr);
	free(tr);
	free(trades);

	write_conf("bb.yaml", "true", "{ regime: range, regime_n: 14, "
		   "regime_m: 500 }", "r1");
	th_expect(0, "%s -c %s/bb.yaml --replay", th_bin("traderd"), dir);
	json = report_file("r1", "report.json");
	cr_assert_eq(json_number(json, "orders_rejected"), 0);
	free(json);
	trades = report_file("r1", "trades.csv");
	ntr = parse_trades(trades, &tr);
	cr_log_info("%zu trades with regime range, %zu without", ntr, nall);
	cr_assert_gt(ntr, 50, "%zu trades", ntr);
	cr_assert_lt(ntr, nall, "the filter keeps some entries out");
	for (size_t i = 0; i < ntr; i++) {
		size_t in = bar_of(&bars, tr[i].entry_ts);
		cr_assert(tv[in - 1] == 0, "trade %zu entered on bar %zu, whose "
			  "regime trend is %g", i, in - 1, tv[in - 1]);
	}
	free(tr);
	free(trades);
	free(tv);
}

/* traderd must refuse to start, naming the param. */
static void
bad_start(const char *params, const char *want)
{
	char *out;
	int rc;

	write_conf("bad.yaml", "true", params, "r");
	rc = th_run(&out, "%s -c %s/bad.yaml --replay", th_bin("traderd"), dir);
	th_assert_outf(rc == 1, out, "%s: want exit 1, got %d", params, rc);
	th_assert_outf(strstr(out, "strategy bb: init of") && strstr(out, want),
		       out, "%s: want '%s'", params, want);
	free(out);
}

Test(bollinger, bad_params_stop_startup_naming_the_param)
{
	/* One day is enough: init runs before any bar. */
	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol AVAXUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-01.csv",
			    th_bin("traderctl"), dir), 0);
	bad_start("{ n: 1 }", "n must be an integer in 2..100000, not '1'");
	bad_start("{ n: 20.5 }", "n must be an integer in 2..100000, not '20.5'");
	bad_start("{ n: 100001 }", "n must be an integer");
	bad_start("{ k: 0 }", "k must be a decimal > 0 (like 2 or 1.5), not '0'");
	bad_start("{ k: -1 }", "k must be a decimal > 0");
	bad_start("{ k: 1e1 }", "k must be a decimal > 0");
	bad_start("{ k: .5 }", "k must be a decimal > 0");
	bad_start("{ short: maybe }", "short must be true or false, not 'maybe'");
	bad_start("{ width: 2 }", "unknown param 'width'");
	bad_start("{ sizing: yolo }", "sizing must be all_in, fixed or fraction");
	bad_start("{ sizing: fixed }", "sizing fixed needs qty");
	bad_start("{ sizing: fixed, qty: 0.5 }",
		  "qty '0.5' must be a positive multiple of AVAXUSDT's lot size");
	bad_start("{ sizing: fraction, fraction: 0 }", "fraction in (0, 1]");
	bad_start("{ qty: 1 }", "qty is only for sizing fixed");
	bad_start("{ regime: trend }", "regime must be any or range, not "
		  "'trend'");
	bad_start("{ regime: range, regime_n: 1 }",
		  "regime_n must be an integer in 2..100000");
	bad_start("{ regime_m: 0 }", "regime_m must be an integer in "
		  "1..100000");
}
