/*
 * Backtests end to end through traderd: sma_cross against an independent
 * reference loop, byte-identical reruns, and bad plugins and params.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static char *dir;

/* The bars a test loads for the reference, freed by teardown (so also
 * when an assertion fails). */
static struct series {
	int64_t *open, *close; /* scaled by 1e8 */
	size_t   n;
} bars;

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
	free(bars.open);
	free(bars.close);
}

TestSuite(backtest, .init = setup, .fini = teardown, .timeout = 120);

/* --- the reference: same rules, plain arrays, no engine code --- */

/* Exact decimal text to 1e8 units. */
static int64_t
fixed8(const char *s)
{
	int64_t ip = 0, fp = 0;
	int nf = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		ip = ip * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && nf < 8; s++, nf++)
			fp = fp * 10 + (*s - '0');
	while (nf++ < 8)
		fp *= 10;
	return ip * 100000000 + fp;
}

/* Start of field k (0-based) of the CSV line at line, or NULL if the line
 * ends first. */
static const char *
field(const char *line, int k)
{
	for (; k > 0; k--) {
		line += strcspn(line, ",\n");
		if (*line != ',')
			return NULL;
		line++;
	}
	return line;
}

/*
 * Append the open and close of every row of path to sr.  The file is read
 * whole and the arrays grown once: growing them a row at a time copies
 * them on every row under ASan (its realloc always moves), which took
 * minutes for 100k rows.
 */
static void
load(struct series *sr, const char *path)
{
	char *s = th_read_file(path, NULL);
	const char *line, *next, *o, *c;
	size_t rows;

	cr_assert_not_null(s, "%s", path);
	rows = sr->n + th_count_lines(s) + 1; /* + a last line without \n */
	sr->open = realloc(sr->open, rows * sizeof(int64_t));
	sr->close = realloc(sr->close, rows * sizeof(int64_t));
	cr_assert(sr->open && sr->close);
	for (line = s; *line; line = next) {
		next = line + strcspn(line, "\n");
		next += *next == '\n';
		if (*line < '0' || *line > '9')
			continue; /* header */
		o = field(line, 1);
		c = field(line, 4);
		if (o == NULL || c == NULL) {
			free(s);
			cr_assert_fail("%s: row %zu has fewer than 5 fields", path,
				       sr->n + 1);
		}
		sr->open[sr->n] = fixed8(o);
		sr->close[sr->n] = fixed8(c);
		sr->n++;
	}
	free(s);
}

struct ref_result {
	long   fills, trades;
	double equity;
};

static struct ref_result
reference(const struct series *sr, int fast, int slow, double cash,
	  double fee, double lot)
{
	struct ref_result r = { 0 };
	double pos = 0;
	int side = 0, pending = 0; /* side: 0 unknown, 1 above, -1 below */
	double pending_qty = 0;

	for (size_t t = 0; t < sr->n; t++) {
		double open = (double)sr->open[t] / 1e8;
		/* An order placed on bar t-1 fills at bar t's open. */
		if (pending == 1) {
			double afford = floor(cash / (open * (1 + fee)) / lot + 1e-9) * lot;
			double q = pending_qty < afford ? pending_qty : afford;
			if (q > 0) {
				cash -= q * open * (1 + fee);
				pos += q;
				r.fills++;
			}
		} else if (pending == -1) {
			cash += pos * open * (1 - fee);
			pos = 0;
			r.fills++;
			r.trades++;
		}
		pending = 0;
		if ((int)t + 1 < slow)
			continue;
		__int128 fs = 0, ss = 0;
		for (int k = 0; k < fast; k++)
			fs += sr->close[t - k];
		for (int k = 0; k < slow; k++)
			ss += sr->close[t - k];
		__int128 lhs = fs * slow, rhs = ss * fast;
		int now = lhs > rhs ? 1 : lhs < rhs ? -1 : side;
		if (side == 0 || now == side) {
			side = now;
			continue;
		}
		side = now;
		double close = (double)sr->close[t] / 1e8;
		if (now == 1 && pos == 0) {
			double q = floor(cash / (close * (1 + fee)) / lot) * lot;
			if (q > 0) {
				pending = 1;
				pending_qty = q;
			}
		} else if (now == -1 && pos > 0) {
			pending = -1;
		}
	}
	r.equity = cash + pos * (double)sr->close[sr->n - 1] / 1e8;
	return r;
}

/* --- running traderd --- */

static void
write_conf_tick(const char *name, const char *symbol, const char *tick,
		const char *lot, const char *strategies, const char *extra)
{
	char path[4200], body[8192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(body, sizeof(body),
		 "data_dir: %s/db\n"
		 "report_dir: %s/report\n"
		 "plugin_dir: %s\n"
		 "log_level: warn\n"
		 "instruments:\n"
		 "  - { symbol: %s, tick_size: %s, lot_size: %s }\n"
		 "replay: { speed: max, timeframe: 1m }\n"
		 "account: { cash: 100000 }\n"
		 "venue: { kind: sim, fee_bps: 10, slippage_bps: 0 }\n"
		 "%s"
		 "strategies:\n%s",
		 dir, dir, th_bin("plugins"), symbol, tick, lot, extra,
		 strategies);
	cr_assert_eq(th_write_file(path, body), 0);
}

static void
write_conf(const char *name, const char *symbol, const char *lot,
	   const char *strategies, const char *extra)
{
	write_conf_tick(name, symbol, "0.01", lot, strategies, extra);
}

#define SMA_DEMO "  - name: demo\n    plugin: sma_cross\n    symbols: [%s]\n" \
		 "    params: { fast: %d, slow: %d, sizing: all_in }\n"

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
csv_rows(const char *file)
{
	char path[4200];
	char *s;
	long n;

	snprintf(path, sizeof(path), "%s/report/%s", dir, file);
	s = th_read_file(path, NULL);
	cr_assert_not_null(s, "%s", path);
	n = (long)th_count_lines(s) - 1;
	free(s);
	return n;
}

/* sma_cross with windows fast and slow on symbol (tick and lot as
 * decimal text) against the reference, on sr as imported. */
static void
check_against_reference(const struct series *sr, const char *symbol,
			const char *tick, const char *lot, int fast, int slow)
{
	char strat[512], path[4200], *json;
	struct ref_result ref = reference(sr, fast, slow, 100000, 0.001,
					  strtod(lot, NULL));

	snprintf(strat, sizeof(strat), SMA_DEMO, symbol, fast, slow);
	write_conf_tick("bt.yaml", symbol, tick, lot, strat, "");
	th_expect(0, "%s -c %s/bt.yaml --replay", th_bin("traderd"), dir);
	snprintf(path, sizeof(path), "%s/report/report.json", dir);
	json = th_read_file(path, NULL);
	cr_assert_not_null(json);
	double eq = json_number(json, "final_equity");
	free(json);
	cr_assert_eq(csv_rows("fills.csv"), ref.fills, "fills: engine %ld, "
		     "reference %ld", csv_rows("fills.csv"), ref.fills);
	cr_assert_eq(csv_rows("trades.csv"), ref.trades, "trades: engine %ld, "
		     "reference %ld", csv_rows("trades.csv"), ref.trades);
	cr_assert(fabs(eq - ref.equity) / ref.equity < 1e-6,
		  "final equity: engine %.8f, reference %.8f", eq, ref.equity);
	cr_assert_gt(ref.trades, 10, "the test needs trades to mean anything");
}

Test(backtest, sma_cross_matches_reference_on_sample_data)
{
	for (int d = 1; d <= 3; d++) {
		char p[64];
		snprintf(p, sizeof(p), "tests/data/BTCUSDT-1m-2020-01-0%d.csv", d);
		load(&bars, p);
	}
	cr_assert_eq(bars.n, 4320);
	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-0[123].csv",
			    th_bin("traderctl"), dir), 0);
	check_against_reference(&bars, "BTCUSDT", "0.01", "0.00001", 10, 30);
}

/* Bars from gen_bars ARGS, loaded for the reference and imported as
 * symbol. */
static void
generate_and_import(struct series *sr, const char *args, const char *symbol)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s.csv", dir, symbol);
	cr_assert_eq(th_run(NULL, "%s %s > %s", th_bin("gen_bars"), args, path),
		     0);
	load(sr, path);
	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol %s "
			    "--timeframe 1m %s", th_bin("traderctl"), dir,
			    symbol, path), 0);
}

Test(backtest, sma_cross_matches_reference_on_100k_synthetic_bars)
{
	generate_and_import(&bars, "--seed 7 --rows 100000", "SYN");
	cr_assert_eq(bars.n, 100000);
	check_against_reference(&bars, "SYN", "0.01", "0.001", 10, 30);
}

/*
 * sma_cross keeps its averages' difference in 64 bits while that is exact
 * (closes up to about 1.4e16 units with windows of 10 and 30) and in 128
 * bits from the first close past that.  Prices of 1.3e8 to 1.8e8 at 8
 * decimals cross the line at about bar 8950 of 20000: the crosses on
 * both sides of it, and the switch itself, must match the reference.
 */
Test(backtest, sma_cross_exact_past_64_bits)
{
	generate_and_import(&bars, "--seed 11 --rows 20000 --price 130000000 "
			    "--drift 0.00002 --dp 8", "BIG");
	cr_assert_eq(bars.n, 20000);
	cr_assert_lt(bars.close[0], INT64_MAX / (2 * 30 * 11),
		     "the series must start in the 64-bit range");
	cr_assert_gt(bars.close[bars.n - 1], INT64_MAX / (2 * 30 * 11),
		     "and leave it");
	check_against_reference(&bars, "BIG", "0.00000001", "0.00000001", 10, 30);
}

Test(backtest, two_runs_are_byte_identical)
{
	char strat[512], *a[3], *b[3], path[4200];
	const char *files[3] = { "report.json", "orders.csv", "trades.csv" };

	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-0[123].csv",
			    th_bin("traderctl"), dir), 0);
	snprintf(strat, sizeof(strat), SMA_DEMO, "BTCUSDT", 10, 30);
	write_conf("bt.yaml", "BTCUSDT", "0.00001", strat, "");
	for (int run = 0; run < 2; run++) {
		cr_assert_eq(th_run(NULL, "%s -c %s/bt.yaml --replay --report %s/r%d",
				    th_bin("traderd"), dir, dir, run), 0);
		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/r%d/%s", dir, run, files[i]);
			(run ? b : a)[i] = th_read_file(path, NULL);
			cr_assert_not_null((run ? b : a)[i], "%s", path);
		}
	}
	/* The wall time is the one line that may differ. */
	th_drop_lines(a[0], "\"wall_s\"");
	th_drop_lines(b[0], "\"wall_s\"");
	for (int i = 0; i < 3; i++) {
		int same = strcmp(a[i], b[i]) == 0;
		free(a[i]);
		free(b[i]);
		cr_assert(same, "%s differs between runs", files[i]);
	}
}

/* Runs traderd on a config with the given strategy block; expects failure
 * at start-up with want in the output. */
static void
bad_start(const char *strategy, const char *want)
{
	char *out;

	write_conf("bad.yaml", "BTCUSDT", "0.00001", strategy, "");
	int rc = th_run(&out, "%s -c %s/bad.yaml --replay", th_bin("traderd"), dir);
	th_assert_outf(rc == 1, out, "want exit 1, got %d", rc);
	th_assert_outf(strstr(out, want) != NULL, out, "want '%s'", want);
	free(out);
}

Test(backtest, bad_plugins_stop_startup_with_the_reason)
{
	char path[4200];

	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-01.csv",
			    th_bin("traderctl"), dir), 0);
	/* Test plugins live in tests/plugins of the build: point at them. */
	char *tp = strdup(th_bin("tests/plugins")); /* th_bin's buffer is reused */
	char strat[1024];

#define ONE(plugin) "  - name: s1\n    plugin: " plugin "\n    symbols: [BTCUSDT]\n"
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	write_conf("bad.yaml", "BTCUSDT", "0.00001", ONE("bad_abi"), "");
	th_run(NULL, "sed -i 's|^plugin_dir: .*|plugin_dir: %s|' %s", tp, path);
	char *out;
	int rc = th_run(&out, "%s -c %s --replay", th_bin("traderd"), path);
	th_assert_out(rc == 1, out);
	th_assert_out(strstr(out, "strategy s1: plugin") && strstr(out, "bad_abi.so "
		      "was built for plugin ABI 3.0; this traderd provides 2.2"),
		      out);
	free(out);

	th_run(NULL, "sed -i 's|plugin: bad_abi|plugin: no_entry|' %s", path);
	rc = th_run(&out, "%s -c %s --replay", th_bin("traderd"), path);
	th_assert_out(rc == 1, out);
	th_assert_out(strstr(out, "no_entry.so has no entry point "
			      "trd_plugin_entry()"), out);
	free(out);

	th_run(NULL, "sed -i 's|plugin: no_entry|plugin: init_fails|' %s", path);
	rc = th_run(&out, "%s -c %s --replay", th_bin("traderd"), path);
	th_assert_out(rc == 1, out);
	th_assert_out(strstr(out, "strategy s1: init of") &&
		      strstr(out, "failed: the model file is missing"), out);
	free(out);

	/* A file that is not a shared object. */
	th_run(NULL, "mkdir -p %s/p && echo 'not an ELF' > %s/p/text.so && "
	       "sed -i 's|^plugin_dir: .*|plugin_dir: %s/p|; s|plugin: init_fails|plugin: text|' %s",
	       dir, dir, dir, path);
	rc = th_run(&out, "%s -c %s --replay", th_bin("traderd"), path);
	th_assert_out(rc == 1, out);
	th_assert_out(strstr(out, "strategy s1: cannot load plugin") &&
		      strstr(out, "text.so"), out);
	free(out);

	/* A missing one. */
	th_run(NULL, "sed -i 's|plugin: text|plugin: nope|' %s", path);
	rc = th_run(&out, "%s -c %s --replay", th_bin("traderd"), path);
	th_assert_out(rc == 1, out);
	th_assert_out(strstr(out, "nope.so: No such file or directory"), out);
	free(out);
	free(tp);
	(void)strat;
}

Test(backtest, bad_sma_cross_params)
{
	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-01.csv",
			    th_bin("traderctl"), dir), 0);
#define SMA(params) "  - name: s1\n    plugin: sma_cross\n    symbols: [BTCUSDT]\n" \
		    "    params: " params "\n"
	bad_start(SMA("{ fast: 30, slow: 10 }"), "fast (30) must be less than slow (10)");
	bad_start(SMA("{ fast: 10, slow: 10 }"), "fast (10) must be less than slow (10)");
	bad_start(SMA("{ fast: -1, slow: 10 }"), "fast and slow must be integers");
	bad_start(SMA("{ fast: 0, slow: 10 }"), "fast and slow must be integers");
	bad_start(SMA("{ fast: 5, slow: 10, speed: 3 }"), "unknown param 'speed'");
	bad_start(SMA("{ fast: 5, slow: 10, sizing: yolo }"), "sizing must be all_in, fixed or fraction");
	bad_start(SMA("{ fast: 5, slow: 10, sizing: fixed }"), "sizing fixed needs qty");
	bad_start(SMA("{ fast: 5, slow: 10, sizing: fixed, qty: 0.000001 }"),
		  "must be a positive multiple of BTCUSDT's lot size");
	bad_start(SMA("{ fast: 5, slow: 10, sizing: fraction, fraction: 1.5 }"),
		  "fraction in (0, 1]");
	bad_start(SMA("{ fast: 5, slow: 10, qty: 1 }"), "qty is only for sizing fixed");
}

Test(backtest, hostile_plugin_cannot_crash_or_bypass)
{
	char *out, path[4200], *orders;
	int rc;

	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-01.csv",
			    th_bin("traderctl"), dir), 0);
	write_conf("h.yaml", "BTCUSDT", "0.00001",
		   "  - name: evil\n    plugin: hostile\n    symbols: [BTCUSDT]\n", "");
	snprintf(path, sizeof(path), "%s/h.yaml", dir);
	th_run(NULL, "sed -i 's|^plugin_dir: .*|plugin_dir: %s|' %s",
	       th_bin("tests/plugins"), path);
	rc = th_run(&out, "%s -c %s --replay", th_bin("traderd"), path);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "replay: 1440 bars"), out);
	free(out);
	snprintf(path, sizeof(path), "%s/report/orders.csv", dir);
	orders = th_read_file(path, NULL);
	cr_assert_not_null(orders);
	/* orders.csv is shown (and freed) if one fails. */
	th_assert_outf(strstr(orders, "rejected,price must be positive"), orders,
		       "no price reject");
	th_assert_outf(strstr(orders, "rejected,quantity must be positive"), orders,
		       "no qty reject");
	th_assert_outf(strstr(orders, "rejected,symbol is not one of the "
			      "strategy's"), orders, "no symbol reject");
	th_assert_outf(strstr(orders, "rejected,insufficient position"), orders,
		       "no position reject");
	th_assert_outf(strstr(orders, "rejected,\"insufficient cash: needs"),
		       orders, "no cash reject");
	/* ABI 1.2 abuse: each refusal with its code. */
	th_assert_outf(strstr(orders, "rejected,price is not a multiple of the "
			      "tick size"), orders, "no tick reject");
	th_assert_outf(strstr(orders, "rejected,quantity is not a multiple of the "
			      "lot size"), orders, "no lot reject");
	th_assert_outf(strstr(orders, ",lot_size\n") &&
		       strstr(orders, ",tick_size\n") &&
		       strstr(orders, ",invalid_quantity\n") &&
		       strstr(orders, ",invalid_price\n") &&
		       strstr(orders, ",invalid_order\n") &&
		       strstr(orders, ",reduce_only\n") &&
		       strstr(orders, ",unknown_symbol\n"), orders,
		       "a reject code is missing");
	th_assert_outf(strstr(orders, "OCO: the other leg was rejected"), orders,
		       "OCO leg");
	th_assert_outf(strstr(orders, "bracket entry rejected"), orders,
		       "bracket exits");
	th_assert_outf(strstr(orders, ",filled,") == NULL, orders,
		       "a hostile order must never fill here");
	free(orders);
	snprintf(path, sizeof(path), "%s/report/report.json", dir);
	orders = th_read_file(path, NULL);
	cr_assert_not_null(orders, "%s", path);
	th_assert_out(strstr(orders, "\"rejects_by_reason\": {") &&
		      strstr(orders, "\"reduce_only\": 1440"), orders);
	free(orders);
}

/* Orders left resting: the GTD one expires on the clock, the GTC one is
 * canceled by risk.max_order_age_s, each at the first bar past its time. */
Test(backtest, order_age_and_gtd_expiry)
{
	char path[4200], *ev;

	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-01.csv",
			    th_bin("traderctl"), dir), 0);
	write_conf("a.yaml", "BTCUSDT", "0.00001",
		   "  - name: rest\n    plugin: resting\n    symbols: [BTCUSDT]\n",
		   "risk: { max_order_age_s: 300 }\n");
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	th_run(NULL, "sed -i 's|^plugin_dir: .*|plugin_dir: %s|' %s",
	       th_bin("tests/plugins"), path);
	th_expect(0, "%s -c %s --replay", th_bin("traderd"), path);
	snprintf(path, sizeof(path), "%s/report/order_events.csv", dir);
	ev = th_read_file(path, NULL);
	cr_assert_not_null(ev);
	/* Placed at the first bar's close, 2020-01-01T00:01:00Z
	 * (1577836860): the GTD expires at +120 s, the GTC is canceled at
	 * +300 s. */
	th_assert_out(strstr(ev, "1577836860,1,bt-0-1,rest,BTCUSDT,buy,limit,"
			      "accepted,"), ev);
	th_assert_out(strstr(ev, "1577836980,2,bt-0-2,rest,BTCUSDT,buy,limit,"
			      "expired,"), ev);
	th_assert_out(strstr(ev, "1577837160,1,bt-0-1,rest,BTCUSDT,buy,limit,"
			      "canceled,") &&
		      strstr(ev, ",older than max_order_age_s\n"), ev);
	th_assert_outf(th_count_lines(ev) == 5, ev, "header, two accepts, two "
		       "ends");
	free(ev);
}
