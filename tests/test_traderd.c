/*
 * traderd end to end, as an operator runs it: config check, a replay of the
 * sample data, pacing at a given speed, and signals (SIGHUP with a bad and
 * a good config, SIGTERM).
 */
#include <criterion/criterion.h>
#include <math.h>
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

TestSuite(traderd, .init = setup, .fini = teardown, .timeout = 60);

static void
write_conf(const char *name, const char *extra, const char *replay)
{
	char path[4200], body[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(body, sizeof(body),
		 "mode: replay\n"
		 "data_dir: %s/db\n"
		 "report_dir: %s/report\n"
		 "%s"
		 "instruments:\n"
		 "  - { symbol: BTCUSDT, tick_size: 0.01, lot_size: 0.00001 }\n"
		 "replay: %s\n", dir, dir, extra, replay);
	cr_assert_eq(th_write_file(path, body), 0);
}

Test(traderd, check_config_ok_and_errors)
{
	char *out;
	int rc;

	/* The shipped config, with this build's plugins (-n loads them). */
	char *pd = strdup(th_bin("plugins"));
	rc = th_run(&out, "sed 's|^plugin_dir: .*|plugin_dir: %s|' "
		    "conf/backtest.yaml > %s/ok.yaml && %s -n -c %s/ok.yaml", pd,
		    dir, th_bin("traderd"), dir);
	free(pd);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strcmp(out, "configuration OK\n") == 0, out);
	free(out);

	write_conf("bad.yaml", "bogus_key: 1\n",
		   "{ speed: fast, timeframe: 1m }");
	rc = th_run(&out, "%s -n -c %s/bad.yaml", th_bin("traderd"), dir);
	th_assert_out(rc != 0, out);
	th_assert_out(strstr(out, "bad.yaml:4:") && strstr(out, "bogus_key"), out);
	th_assert_out(strstr(out, "bad.yaml:7:") && strstr(out, "replay.speed"), out);
	th_assert_out(strstr(out, "configuration OK") == NULL, out);
	free(out);
}

/* -n checks everything start-up checks but the data: each of these
 * passed the config's own checks and failed only when trading started. */
Test(traderd, check_loads_plugins_and_checks_params_and_mode)
{
	static const struct {
		const char *strat, *extra, *want;
	} bad[] = {
		{ "{ name: s, plugin: nosuch, symbols: [BTCUSDT] }", "",
		  "nosuch.so: No such file or directory" },
		{ "{ name: s, plugin: sma_cross, symbols: [BTCUSDT], "
		  "params: { fast: 30, slow: 10 } }", "",
		  "fast (30) must be less than slow (10)" },
		{ "{ name: s, plugin: sma_cross, symbols: [BTCUSDT], "
		  "params: { fast: 10, slow: 30, sizing: allin } }", "",
		  "sizing must be all_in, fixed or fraction, not 'allin'" },
		{ "{ name: s, plugin: sma_cross, symbols: [BTCUSDT] }",
		  "live", "mode 'live' is not available" },
	};
	char pd[4096], extra[8192], *out;
	int rc;

	snprintf(pd, sizeof(pd), "%s", th_bin("plugins"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(extra, sizeof(extra), "plugin_dir: %s\n"
			 "strategies:\n  - %s\n", pd, bad[i].strat);
		/* replay: comes last; the strategies are before it. */
		write_conf("n.yaml", extra, "{ timeframe: 1m }");
		if (*bad[i].extra)
			th_run(NULL, "sed -i 's/^mode: replay/mode: %s/' "
			       "%s/n.yaml", bad[i].extra, dir);
		rc = th_run(&out, "%s -n -c %s/n.yaml", th_bin("traderd"), dir);
		th_assert_outf(rc == 1, out, "case %zu: exit %d", i, rc);
		th_assert_outf(strstr(out, bad[i].want) != NULL, out,
			       "case %zu: want '%s'", i, bad[i].want);
		th_assert_out(strstr(out, "configuration OK") == NULL, out);
		free(out);
	}
	/* The same with good params passes, and says only that. */
	snprintf(extra, sizeof(extra), "plugin_dir: %s\nstrategies:\n  - "
		 "{ name: s, plugin: sma_cross, symbols: [BTCUSDT], params: "
		 "{ fast: 10, slow: 30 } }\n", pd);
	write_conf("n.yaml", extra, "{ timeframe: 1m }");
	rc = th_run(&out, "%s -n -c %s/n.yaml", th_bin("traderd"), dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strcmp(out, "configuration OK\n") == 0, out);
	free(out);
}

Test(traderd, replays_sample_data_and_exits_zero)
{
	char *out, cmd[4400];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s --data-dir %s/db import --symbol BTCUSDT "
		 "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-0[123].csv",
		 th_bin("traderctl"), dir);
	cr_assert_eq(th_run(NULL, "%s", cmd), 0);
	write_conf("c.yaml", "", "{ from: 2020-01-01T00:00:00Z, to: "
		   "2020-01-04T00:00:00Z, speed: max, timeframe: 1m }");
	rc = th_run(&out, "%s -c %s/c.yaml --replay", th_bin("traderd"), dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "replay: 4320 bars, 2020-01-01T00:01:00Z .. "
				  "2020-01-04T00:00:00Z"), out);
	free(out);
	/* --from/--to override the config. */
	rc = th_run(&out, "%s -c %s/c.yaml --replay --from 2020-01-02T00:00:00Z "
		    "--to 1577923500", th_bin("traderd"), dir);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "replay: 5 bars"), out);
	free(out);
	/* An instrument with no data is a clear start-up error. */
	write_conf("x.yaml", "", "{ speed: max }");
	th_run(NULL, "sed -i 's/BTCUSDT/ETHUSDT/' %s/x.yaml", dir);
	rc = th_run(&out, "%s -c %s/x.yaml", th_bin("traderd"), dir);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "instrument ETHUSDT: no data"), out);
	free(out);
}

/* The first line of s that starts with prefix, or NULL. */
static const char *
line_starting(const char *s, const char *prefix)
{
	for (;;) {
		if (strncmp(s, prefix, strlen(prefix)) == 0)
			return s;
		if ((s = strchr(s, '\n')) == NULL)
			return NULL;
		s++;
	}
}

/*
 * The pacing promise: at --speed 1800 an hour of bars takes two seconds.
 * Timed by the daemon's own figure ("X s wall": from the first pull to
 * the end of the data), not around the process, whose start-up and exit
 * under the sanitizers are no part of the promise.  The pacer anchors
 * every due time to the start, so the run cannot end before 2 s (1.96
 * allows for the figure's rounding; unpaced it takes milliseconds) and
 * a late wake-up does not carry over to the next: only the last one's
 * lateness adds to the total.  The upper bound gives a loaded 2-core CI
 * machine a second for it, and still fails a pacer running at two
 * thirds of the speed asked or slower.
 */
Test(traderd, one_hour_at_speed_1800_takes_two_seconds)
{
	char *out;
	const char *p;
	double wall = -1;
	int rc, bars = 0, n;

	/* 60 one-minute bars: one hour of history. */
	cr_assert_eq(th_run(NULL, "%s --rows 60 --start 1599999960 > %s/h.csv",
			    th_bin("gen_bars"), dir), 0);
	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m %s/h.csv", th_bin("traderctl"), dir,
			    dir), 0);
	write_conf("c.yaml", "", "{ speed: max }");
	rc = th_run(&out, "%s -c %s/c.yaml --replay --speed 1800 --from "
		    "1599999960 --to 1600003560", th_bin("traderd"), dir);
	/* The summary line, not the log's "start_replay: replaying". */
	p = line_starting(out, "replay: ");
	n = p ? sscanf(p, "replay: %d bars, %*s .. %*[^,], %lf s wall", &bars,
		       &wall) : 0;
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_outf(n == 2, out, "no \"replay: N bars, ... X s wall\" line");
	th_assert_out(bars == 60, out);
	th_assert_outf(wall >= 1.96 && wall <= 3.0, out, "1 h at 1800x took "
		       "%.3f s of the daemon's time, want 2 s (at least 1.96, "
		       "at most 3)", wall);
	free(out);
}

Test(traderd, sighup_bad_config_keeps_running_good_one_changes_speed)
{
	char *out;

	cr_assert_eq(th_run(NULL, "%s --rows 600 --start 1599999960 > %s/h.csv",
			    th_bin("gen_bars"), dir), 0);
	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m %s/h.csv", th_bin("traderctl"), dir, dir), 0);
	/* 600 bars at 60x would take 10 minutes. */
	write_conf("c.yaml", "", "{ speed: 60 }");
	write_conf("bad.yaml", "", "{ speed: -4 }");
	write_conf("fast.yaml", "", "{ speed: max }");
	write_conf("moved.yaml", "", "{ speed: max, timeframe: 5m }");
	int rc = th_run(&out,
		"cd %s && cp c.yaml run.yaml && "
		"{ %s -c run.yaml --replay & pid=$!; sleep 0.5; "
		"cp bad.yaml run.yaml; kill -HUP $pid; sleep 0.3; "
		"kill -0 $pid && echo STILL-RUNNING-1; "
		"cp moved.yaml run.yaml; kill -HUP $pid; sleep 0.3; "
		"kill -0 $pid && echo STILL-RUNNING-2; "
		"cp fast.yaml run.yaml; kill -HUP $pid; "
		"wait $pid; echo EXIT=$?; }",
		dir, th_bin("traderd"));
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "STILL-RUNNING-1"), out);
	th_assert_out(strstr(out, "run.yaml:6:") && strstr(out, "replay.speed"), out);
	th_assert_out(strstr(out, "keeping configuration generation 1"), out);
	th_assert_out(strstr(out, "STILL-RUNNING-2"), out);
	th_assert_out(strstr(out, "'replay.timeframe' cannot change while running"), out);
	th_assert_out(strstr(out, "configuration generation 2 in effect"), out);
	th_assert_out(strstr(out, "replay: 600 bars"), out);
	th_assert_out(strstr(out, "EXIT=0"), out);
	free(out);
}

Test(traderd, sigterm_stops_a_replay_cleanly)
{
	char *out;
	int rc;

	cr_assert_eq(th_run(NULL, "%s --rows 600 --start 1599999960 > %s/h.csv",
			    th_bin("gen_bars"), dir), 0);
	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m %s/h.csv", th_bin("traderctl"), dir, dir), 0);
	write_conf("c.yaml", "", "{ speed: 60 }");
	rc = th_run(&out, "cd %s && { %s -c c.yaml --replay & pid=$!; "
		    "sleep 0.5; kill -TERM $pid; wait $pid; echo EXIT=$?; }",
		    dir, th_bin("traderd"));
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "replay stopped at"), out);
	th_assert_out(strstr(out, "EXIT=0"), out);
	free(out);
}

Test(traderd, bad_command_lines)
{
	char *out;
	int rc;

	rc = th_run(&out, "%s -c conf/backtest.yaml --speed fast", th_bin("traderd"));
	th_assert_out(rc == 1 && strstr(out, "--speed must be"), out);
	free(out);
	rc = th_run(&out, "%s -c conf/backtest.yaml --from yesterday", th_bin("traderd"));
	th_assert_out(rc == 1 && strstr(out, "--from 'yesterday'"), out);
	free(out);
	rc = th_run(&out, "%s -c /nonexistent.yaml", th_bin("traderd"));
	th_assert_out(rc == 1 && strstr(out, "/nonexistent.yaml"), out);
	free(out);
}

/* traderctl features over the sample data: one column per output, empty
 * until warm, values equal to a plain recomputation from `traderctl bars`,
 * and bad names refused with the reason.  The outputs are compared row by
 * row into why (the first difference), and freed before asserting. */
Test(traderd, traderctl_features_from_stored_bars)
{
	char *bars = NULL, *feat = NULL, *out = NULL, *save1 = NULL,
	     *save2 = NULL, *lb, *lf, why[512] = "";
	double closes[4320];
	int n = 0, rc;

	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-01.csv",
			    th_bin("traderctl"), dir), 0);
	rc = th_run(&bars, "%s --data-dir %s/db bars --symbol BTCUSDT "
		    "--timeframe 1m", th_bin("traderctl"), dir);
	th_assert_outf(rc == 0, bars, "exit %d", rc);
	rc = th_run(&feat, "%s --data-dir %s/db features --symbol BTCUSDT "
		    "--timeframe 1m --set 'sma(3), bb(20, 2.0),rsi(14)'",
		    th_bin("traderctl"), dir);
	if (rc != 0)
		free(bars);
	th_assert_outf(rc == 0, feat, "exit %d", rc);
	lb = strtok_r(bars, "\n", &save1);
	lf = strtok_r(feat, "\n", &save2);
	/* Names with commas are quoted (RFC 4180; read back by a real CSV
	 * parser in the next test). */
	if (strcmp(lf, "ts,sma(3),\"bb(20,2).mid\",\"bb(20,2).upper\","
		   "\"bb(20,2).lower\",\"bb(20,2).pctb\",\"bb(20,2).width\","
		   "rsi(14)") != 0)
		snprintf(why, sizeof(why), "header: %s", lf);
	while (!why[0] && (lb = strtok_r(NULL, "\n", &save1)) != NULL) {
		char ts[32], fts[32];
		double o, h, l, c, v, sma, want;
		int empty;

		if ((lf = strtok_r(NULL, "\n", &save2)) == NULL) {
			snprintf(why, sizeof(why), "features stopped at row %d", n);
			break;
		}
		if (n >= 4320 ||
		    sscanf(lb, "%31[^,],%lf,%lf,%lf,%lf,%lf", ts, &o, &h, &l, &c,
			   &v) != 6 || sscanf(lf, "%31[^,],", fts) != 1 ||
		    strcmp(ts, fts) != 0) {
			snprintf(why, sizeof(why), "row %d: bars %.100s, features "
				 "%.300s", n, lb, lf);
			break;
		}
		closes[n] = c;
		if (n < 2) {
			if (strncmp(lf + strlen(fts), ",,", 2) != 0)
				snprintf(why, sizeof(why), "row %d: sma(3) set "
					 "before it is warm: %.300s", n, lf);
		} else {
			want = (closes[n] + closes[n - 1] + closes[n - 2]) / 3;
			if (sscanf(lf + strlen(fts), ",%lf", &sma) != 1 ||
			    fabs(sma - want) > 1e-9)
				snprintf(why, sizeof(why), "row %d: sma(3) want "
					 "%.9f in %.300s", n, want, lf);
		}
		/* rsi(14) is empty for 14 rows, then set. */
		empty = lf[strlen(lf) - 1] == ',';
		if (!why[0] && empty != (n < 14))
			snprintf(why, sizeof(why), "row %d: rsi(14) %s: %.300s",
				 n, empty ? "empty" : "set before it is warm", lf);
		n++;
	}
	free(bars);
	free(feat);
	cr_assert(!why[0], "%s", why);
	cr_assert_eq(n, 1440);

	rc = th_run(&out, "%s --data-dir %s/db features --symbol BTCUSDT "
		    "--timeframe 1m --set 'sma(20),rsi(0)' 2>&1",
		    th_bin("traderctl"), dir);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "--set item 2: feature \"rsi(0)\": parameter "
			      "1 of rsi (n) must be an integer from 1 to "
			      "100000") != NULL, out);
	free(out);
}

/*
 * What a CSV reader (pandas.read_csv, Python's csv module, a spreadsheet)
 * sees in traderctl features: feature names hold commas, so unquoted
 * they split into several columns.  Read back with Python's csv module,
 * which pandas follows: one column per output, named as asked, and every
 * row as wide as the header.
 */
Test(traderd, traderctl_features_csv_reads_back_with_a_csv_parser)
{
	char *out;
	int rc;

	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-01.csv",
			    th_bin("traderctl"), dir), 0);
	th_expect(0, "%s --data-dir %s/db features --symbol BTCUSDT --timeframe "
		  "1m --set 'sma(3), bb(20, 2.0),rsi(14),macd(12,26,9)' > %s/f.csv",
		  th_bin("traderctl"), dir, dir);
	rc = th_run(&out, "python3 -c '"
		    "import csv, sys\n"
		    "with open(sys.argv[1], newline=\"\") as f:\n"
		    "    rows = list(csv.reader(f))\n"
		    "print(len(rows[0]))\n"
		    "for name in rows[0]:\n"
		    "    print(name)\n"
		    "print(len(rows) - 1, \"rows,\", sum(len(r) != len(rows[0]) "
		    "for r in rows), \"of another width\")\n"
		    "' %s/f.csv", dir);
	th_assert_outf(rc == 0, out, "python3 exit %d", rc);
	th_assert_out(strcmp(out, "11\n"
				  "ts\n"
				  "sma(3)\n"
				  "bb(20,2).mid\n"
				  "bb(20,2).upper\n"
				  "bb(20,2).lower\n"
				  "bb(20,2).pctb\n"
				  "bb(20,2).width\n"
				  "rsi(14)\n"
				  "macd(12,26,9).line\n"
				  "macd(12,26,9).signal\n"
				  "macd(12,26,9).hist\n"
				  "1440 rows, 0 of another width\n") == 0, out);
	free(out);
}
