/*
 * The report a trader reads (report.json's analytics, daily.csv and the
 * page), end to end through traderd: every figure recomputed from the
 * report's own CSVs and the bars by an independent program
 * (tests/report_check.py), two runs identical but for the wall time,
 * data gaps drawn as breaks and not counted as drawdowns, a short run's
 * annualised figures marked, and a page that needs nothing outside it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static char *dir;

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
}

TestSuite(tearsheet, .init = setup, .fini = teardown, .timeout = 120);

/* Two synthetic symbols over 70 days, two strategies (brackets, shorts),
 * every sample in equity.csv. */
static void
synthetic_run(const char *report)
{
	char path[4200], body[4096];

	th_expect(0, "%s --seed 7 --rows 100000 --start 1672531200 --price 100 "
		  "> %s/a.csv", th_bin("gen_bars"), dir);
	th_expect(0, "%s --seed 8 --rows 100000 --start 1672531200 --price 50 "
		  "> %s/b.csv", th_bin("gen_bars"), dir);
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	snprintf(body, sizeof(body),
		 "data_dir: %s/db\nreport_dir: %s/report\nplugin_dir: %s/plugins\n"
		 "log_level: warn\nreport: { equity_interval: bar }\n"
		 "instruments:\n"
		 "  - { symbol: AAA, tick_size: 0.01, lot_size: 0.001, "
		 "shortable: true }\n"
		 "  - { symbol: BBB, tick_size: 0.01, lot_size: 0.001, "
		 "shortable: true }\n"
		 "replay: { speed: max, timeframe: 1m }\n"
		 "account: { cash: 100000 }\n"
		 "venue: { kind: sim, fee_bps: 1, slippage_bps: 1 }\n"
		 "strategies:\n"
		 "  - { name: trend, plugin: sma_cross, symbols: [AAA, BBB],\n"
		 "      params: { fast: 20, slow: 90, sizing: fraction, "
		 "fraction: 0.05, take_profit_bps: 150, stop_loss_bps: 80 } }\n"
		 "  - { name: revert, plugin: bollinger_revert, symbols: [BBB],\n"
		 "      params: { n: 30, k: 2.5, sizing: fraction, "
		 "fraction: 0.05 } }\n",
		 dir, dir, th_bin("."));
	cr_assert_eq(th_write_file(path, body), 0);
	th_expect(0, "%s -c %s/c.yaml import --symbol AAA --timeframe 1m "
		  "%s/a.csv", th_bin("traderctl"), dir, dir);
	th_expect(0, "%s -c %s/c.yaml import --symbol BBB --timeframe 1m "
		  "%s/b.csv", th_bin("traderctl"), dir, dir);
	th_expect(0, "%s -c %s/c.yaml --replay --report %s/%s",
		  th_bin("traderd"), dir, dir, report);
}

Test(tearsheet, figures_match_an_independent_computation)
{
	char *out;
	int rc;

	synthetic_run("r1");
	rc = th_run(&out, "python3 tests/report_check.py %s/r1 60 100000 "
		    "AAA=%s/a.csv BBB=%s/b.csv", dir, dir, dir);
	th_assert_outf(rc == 0, out, "report_check exit %d", rc);
	th_assert_out(strstr(out, "every recomputed figure matches (70 days"),
		      out);
	free(out);
}

Test(tearsheet, two_runs_give_identical_files_but_the_wall_time)
{
	static const char *const files[] = {
		"daily.csv",  "equity.csv",	  "fills.csv",
		"orders.csv", "order_events.csv", "trades.csv",
		"report.json", "report.html",
	};

	synthetic_run("r1");
	th_expect(0, "%s -c %s/c.yaml --replay --report %s/r2",
		  th_bin("traderd"), dir, dir);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		th_expect(0, "grep -v -e '\"wall_s\"' -e 'Wall time' %s/r1/%s "
			  "> %s/x1; grep -v -e '\"wall_s\"' -e 'Wall time' "
			  "%s/r2/%s > %s/x2; cmp %s/x1 %s/x2", dir, files[i],
			  dir, dir, files[i], dir, dir, dir);
	/* And the wall time is there, on one line each. */
	th_expect(0, "test $(grep -c '\"wall_s\"' %s/r1/report.json) = 1 -a "
		  "$(grep -c 'Wall time' %s/r1/report.html) = 1", dir, dir);
}

/* The page must open with no network and run no code. */
Test(tearsheet, page_is_self_contained_and_reflows)
{
	char path[4200], *html;

	synthetic_run("r1");
	snprintf(path, sizeof(path), "%s/r1/report.html", dir);
	html = th_read_file(path, NULL);
	cr_assert_not_null(html);
	cr_assert_null(strstr(html, "<script"), "a script in the page");
	cr_assert_null(strstr(html, "http://"), "a link out of the page");
	cr_assert_null(strstr(html, "https://"), "a link out of the page");
	cr_assert_null(strstr(html, "src="), "an external resource");
	cr_assert_null(strstr(html, "url("), "an external resource");
	cr_assert_not_null(strstr(html, "name=\"viewport\""));
	/* Every section a trader looks for. */
	cr_assert_not_null(strstr(html, "<h2>Equity and benchmark</h2>"));
	cr_assert_not_null(strstr(html, "<h2>Drawdown</h2>"));
	cr_assert_not_null(strstr(html, "<h2>Prices and trades</h2>"));
	cr_assert_not_null(strstr(html, "<h2>Returns by month</h2>"));
	cr_assert_not_null(strstr(html, "<h2>PnL attribution</h2>"));
	cr_assert_not_null(strstr(html, "<h2>Trades</h2>"));
	cr_assert_not_null(strstr(html, "<h2>Deepest drawdowns</h2>"));
	cr_assert_not_null(strstr(html, "<h2>Risk of the daily returns</h2>"));
	cr_assert_not_null(strstr(html, "<h2>Run</h2>"));
	/* 70 days: no caveat on the annualised figures. */
	cr_assert_null(strstr(html, "class=\"caveat\""));
	free(html);
}

/*
 * Three days of LINKUSDT in February 2023 and three of AVAXUSDT a year
 * later: the year between has no data.  It is one gap, closed up on the
 * charts and left out of market time, so the drawdown that spans it
 * lasts days, not a year; and six days of data get the caveat.
 */
Test(tearsheet, data_gaps_are_breaks_not_drawdowns)
{
	char path[4200], body[4096], *json, *html, *p;
	double dur, mdays;
	long gaps;

	cr_assert_not_null(th_shared("binance_futures_klines/um/"
				     "LINKUSDT-1m-2023-02-01_03.csv"));
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	snprintf(body, sizeof(body),
		 "data_dir: %s/db\nreport_dir: %s/report\nplugin_dir: %s/plugins\n"
		 "log_level: warn\n"
		 "instruments:\n"
		 "  - { symbol: LINKUSDT, tick_size: 0.001, lot_size: 0.01 }\n"
		 "  - { symbol: AVAXUSDT, tick_size: 0.001, lot_size: 1 }\n"
		 "replay: { speed: max, timeframe: 1m }\n"
		 "account: { cash: 100000 }\n"
		 "venue: { kind: sim, fee_bps: 5 }\n"
		 "strategies:\n"
		 "  - { name: trend, plugin: sma_cross, symbols: [LINKUSDT, "
		 "AVAXUSDT], params: { fast: 30, slow: 120, sizing: fraction, "
		 "fraction: 0.3 } }\n",
		 dir, dir, th_bin("."));
	cr_assert_eq(th_write_file(path, body), 0);
	th_expect(0, "%s -c %s/c.yaml import --symbol LINKUSDT --timeframe 1m "
		  "tests/data/shared/binance_futures_klines/um/"
		  "LINKUSDT-1m-2023-02-01_03.csv", th_bin("traderctl"), dir);
	th_expect(0, "%s -c %s/c.yaml import --symbol AVAXUSDT --timeframe 1m "
		  "tests/data/shared/binance_futures_klines/um/"
		  "AVAXUSDT-1m-2024-02-01_03.csv", th_bin("traderctl"), dir);
	th_expect(0, "%s -c %s/c.yaml --replay", th_bin("traderd"), dir);

	snprintf(path, sizeof(path), "%s/report/report.json", dir);
	json = th_read_file(path, NULL);
	cr_assert_not_null(json);
	p = strstr(json, "\"gaps\": ");
	cr_assert_not_null(p, "%s", json);
	gaps = strtol(p + 8, NULL, 10);
	cr_assert_eq(gaps, 1, "gaps %ld", gaps);
	p = strstr(json, "\"market_days\": ");
	cr_assert_not_null(p);
	mdays = strtod(p + 15, NULL);
	cr_assert(mdays > 5.9 && mdays < 6.1, "market days %g", mdays);
	p = strstr(json, "\"max_drawdown_duration_s\": ");
	cr_assert_not_null(p);
	dur = strtod(p + 27, NULL);
	cr_assert(dur <= 6.1 * 86400, "drawdown of %g days across the gap",
		  dur / 86400);
	cr_assert_not_null(strstr(json, "\"annualised_from_short_span\": true"));
	free(json);

	snprintf(path, sizeof(path), "%s/report/report.html", dir);
	html = th_read_file(path, NULL);
	cr_assert_not_null(html);
	cr_assert_not_null(strstr(html, "class=\"gap\""), "no gap marked");
	cr_assert_not_null(strstr(html, "no data from 2023-02-04T00:00:00Z "
					"to 2024-02-01T00:01:00Z"));
	cr_assert_not_null(strstr(html, "class=\"caveat\""));
	free(html);
}

/* traderctl report diff: the same report, one with other fees, and what
 * is not a report. */
Test(tearsheet, report_diff_shows_figures_and_the_first_divergent_trade)
{
	char *out;
	int rc;

	synthetic_run("r1");
	th_expect(0, "sed 's/fee_bps: 1,/fee_bps: 2,/' %s/c.yaml > %s/d.yaml",
		  dir, dir);
	th_expect(0, "%s -c %s/d.yaml --replay --report %s/r2",
		  th_bin("traderd"), dir, dir);
	rc = th_run(&out, "%s report diff %s/r1 %s/r1", th_bin("traderctl"),
		    dir, dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "the reports are the same"), out);
	free(out);
	rc = th_run(&out, "%s report diff %s/r1 %s/r2", th_bin("traderctl"),
		    dir, dir);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "* final_equity"), out);
	th_assert_out(strstr(out, "* fees_paid"), out);
	th_assert_out(strstr(out, "net PnL by strategy\n* trend"), out);
	th_assert_out(strstr(out, "trades: A has "), out);
	th_assert_out(strstr(out, "the first 0 are the same"), out);
	th_assert_out(strstr(out, "  A #1: revert,BBB,long,"), out);
	free(out);
	/* Not a report: named, exit 2. */
	th_expect(0, "mkdir %s/bad && echo '{\"bars\": ' > %s/bad/report.json",
		  dir, dir);
	rc = th_run(&out, "%s report diff %s/r1 %s/bad", th_bin("traderctl"),
		    dir, dir);
	th_assert_outf(rc == 2, out, "exit %d", rc);
	th_assert_out(strstr(out, "bad/report.json: not a report"), out);
	free(out);
	rc = th_run(&out, "%s report diff %s/r1 %s/none", th_bin("traderctl"),
		    dir, dir);
	th_assert_outf(rc == 2, out, "exit %d", rc);
	th_assert_out(strstr(out, "none/report.json: No such file"), out);
	free(out);
}

/* make demo's job, on the shipped config pointed at this test's
 * directories: both months imported, two strategies traded, a table per
 * strategy and the report's path printed. */
Test(tearsheet, demo_replays_two_months_with_two_strategies)
{
	char *out, path[4200];
	size_t len;
	int rc;

	th_expect(0, "sed -e 's#^data_dir: .*#data_dir: %s/db#' "
		  "-e 's#^report_dir: .*#report_dir: %s/report#' "
		  "-e 's#^plugin_dir: .*#plugin_dir: %s/plugins#' "
		  "conf/demo.yaml > %s/demo.yaml", dir, dir, th_bin("."), dir);
	rc = th_run(&out, "tools/demo.sh %s %s/demo.yaml", th_bin("."), dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "replay: 82080 bars, 2023-02-01T00:01:00Z .. "
				  "2024-03-01T00:00:00Z"), out);
	th_assert_out(strstr(out, "\nstrategy          orders  trades win rate"),
		      out);
	th_assert_out(strstr(out, "\ntrend  "), out);
	th_assert_out(strstr(out, "\nrevert  "), out);
	th_assert_out(strstr(out, "/report/report.html\n"), out);
	free(out);
	snprintf(path, sizeof(path), "%s/report/report.html", dir);
	out = th_read_file(path, &len);
	cr_assert_not_null(out);
	cr_assert_lt(len, 2u << 20, "report.html is %zu bytes", len);
	free(out);
}
