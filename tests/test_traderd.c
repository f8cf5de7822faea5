/*
 * traderd end to end, as an operator runs it: config check, a replay of the
 * sample data, pacing at a given speed, and signals (SIGHUP with a bad and
 * a good config, SIGTERM).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(traderd, check_config_ok_and_errors)
{
	char *out;

	cr_assert_eq(th_run(&out, "%s -n -c conf/backtest.yaml", th_bin("traderd")), 0,
		     "%s", out);
	cr_assert_str_eq(out, "configuration OK\n");
	free(out);

	write_conf("bad.yaml", "bogus_key: 1\n",
		   "{ speed: fast, timeframe: 1m }");
	cr_assert_neq(th_run(&out, "%s -n -c %s/bad.yaml", th_bin("traderd"), dir), 0);
	cr_assert(strstr(out, "bad.yaml:4:") && strstr(out, "bogus_key"), "%s", out);
	cr_assert(strstr(out, "bad.yaml:7:") && strstr(out, "replay.speed"), "%s", out);
	cr_assert(strstr(out, "configuration OK") == NULL);
	free(out);
}

Test(traderd, replays_sample_data_and_exits_zero)
{
	char *out, cmd[4400];

	snprintf(cmd, sizeof(cmd), "%s --data-dir %s/db import --symbol BTCUSDT "
		 "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-0[123].csv",
		 th_bin("traderctl"), dir);
	cr_assert_eq(th_run(NULL, "%s", cmd), 0);
	write_conf("c.yaml", "", "{ from: 2020-01-01T00:00:00Z, to: "
		   "2020-01-04T00:00:00Z, speed: max, timeframe: 1m }");
	cr_assert_eq(th_run(&out, "%s -c %s/c.yaml --replay", th_bin("traderd"), dir), 0,
		     "%s", out);
	cr_assert(strstr(out, "replay: 4320 bars, 2020-01-01T00:01:00Z .. "
			      "2020-01-04T00:00:00Z"), "%s", out);
	free(out);
	/* --from/--to override the config. */
	cr_assert_eq(th_run(&out, "%s -c %s/c.yaml --replay --from 2020-01-02T00:00:00Z "
			    "--to 1577923500", th_bin("traderd"), dir), 0);
	cr_assert(strstr(out, "replay: 5 bars"), "%s", out);
	free(out);
	/* An instrument with no data is a clear start-up error. */
	write_conf("x.yaml", "", "{ speed: max }");
	th_run(NULL, "sed -i 's/BTCUSDT/ETHUSDT/' %s/x.yaml", dir);
	cr_assert_eq(th_run(&out, "%s -c %s/x.yaml", th_bin("traderd"), dir), 1);
	cr_assert(strstr(out, "instrument ETHUSDT: no data"), "%s", out);
	free(out);
}

Test(traderd, one_hour_at_speed_1800_takes_two_seconds)
{
	char *out;
	double t0, wall;

	/* 60 one-minute bars: one hour of history. */
	cr_assert_eq(th_run(NULL, "%s --rows 60 --start 1599999960 > %s/h.csv",
			    th_bin("gen_bars"), dir), 0);
	cr_assert_eq(th_run(&out, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m %s/h.csv", th_bin("traderctl"), dir, dir), 0,
		     "%s", out);
	free(out);
	write_conf("c.yaml", "", "{ speed: max }");
	t0 = now_s();
	cr_assert_eq(th_run(&out, "%s -c %s/c.yaml --replay --speed 1800 "
			    "--from 1599999960 --to 1600003560", th_bin("traderd"), dir), 0);
	wall = now_s() - t0;
	cr_assert(strstr(out, "replay: 60 bars"), "%s", out);
	cr_assert(wall >= 2.0 * 0.98 && wall <= 2.0 * 1.02,
		  "1 h at 1800x took %.3f s, want 2 s +/- 2%%", wall);
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
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "STILL-RUNNING-1"), "%s", out);
	cr_assert(strstr(out, "run.yaml:6:") && strstr(out, "replay.speed"), "%s", out);
	cr_assert(strstr(out, "keeping configuration generation 1"), "%s", out);
	cr_assert(strstr(out, "STILL-RUNNING-2"), "%s", out);
	cr_assert(strstr(out, "'replay.timeframe' cannot change while running"), "%s", out);
	cr_assert(strstr(out, "configuration generation 2 in effect"), "%s", out);
	cr_assert(strstr(out, "replay: 600 bars"), "%s", out);
	cr_assert(strstr(out, "EXIT=0"), "%s", out);
	free(out);
}

Test(traderd, sigterm_stops_a_replay_cleanly)
{
	char *out;

	cr_assert_eq(th_run(NULL, "%s --rows 600 --start 1599999960 > %s/h.csv",
			    th_bin("gen_bars"), dir), 0);
	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m %s/h.csv", th_bin("traderctl"), dir, dir), 0);
	write_conf("c.yaml", "", "{ speed: 60 }");
	cr_assert_eq(th_run(&out, "cd %s && { %s -c c.yaml --replay & pid=$!; "
			    "sleep 0.5; kill -TERM $pid; wait $pid; echo EXIT=$?; }",
			    dir, th_bin("traderd")), 0);
	cr_assert(strstr(out, "replay stopped at"), "%s", out);
	cr_assert(strstr(out, "EXIT=0"), "%s", out);
	free(out);
}

Test(traderd, bad_command_lines)
{
	char *out;

	cr_assert_eq(th_run(&out, "%s -c conf/backtest.yaml --speed fast", th_bin("traderd")), 1);
	cr_assert(strstr(out, "--speed must be"), "%s", out);
	free(out);
	cr_assert_eq(th_run(&out, "%s -c conf/backtest.yaml --from yesterday", th_bin("traderd")), 1);
	cr_assert(strstr(out, "--from 'yesterday'"), "%s", out);
	free(out);
	cr_assert_eq(th_run(&out, "%s -c /nonexistent.yaml", th_bin("traderd")), 1);
	cr_assert(strstr(out, "/nonexistent.yaml"), "%s", out);
	free(out);
}

/* traderctl features over the sample data: one column per output, empty
 * until warm, values equal to a plain recomputation from `traderctl bars`,
 * and bad names refused with the reason. */
Test(traderd, traderctl_features_from_stored_bars)
{
	char *bars = NULL, *feat = NULL, *out = NULL, *save1 = NULL,
	     *save2 = NULL, *lb, *lf;
	double closes[4320];
	int n = 0;

	cr_assert_eq(th_run(NULL, "%s --data-dir %s/db import --symbol BTCUSDT "
			    "--timeframe 1m tests/data/BTCUSDT-1m-2020-01-01.csv",
			    th_bin("traderctl"), dir), 0);
	cr_assert_eq(th_run(&bars, "%s --data-dir %s/db bars --symbol BTCUSDT "
			    "--timeframe 1m", th_bin("traderctl"), dir), 0);
	cr_assert_eq(th_run(&feat, "%s --data-dir %s/db features --symbol "
			    "BTCUSDT --timeframe 1m --set 'sma(3), bb(20, 2.0),"
			    "rsi(14)'", th_bin("traderctl"), dir), 0, "%s", feat);
	lb = strtok_r(bars, "\n", &save1);
	lf = strtok_r(feat, "\n", &save2);
	cr_assert_str_eq(lf, "ts,sma(3),bb(20,2).mid,bb(20,2).upper,"
			 "bb(20,2).lower,bb(20,2).pctb,bb(20,2).width,rsi(14)");
	while ((lb = strtok_r(NULL, "\n", &save1)) != NULL) {
		char ts[32], fts[32];
		double o, h, l, c, v, sma;

		lf = strtok_r(NULL, "\n", &save2);
		cr_assert_not_null(lf, "features stopped at row %d", n);
		cr_assert_eq(sscanf(lb, "%31[^,],%lf,%lf,%lf,%lf,%lf", ts, &o, &h,
				    &l, &c, &v), 6);
		closes[n] = c;
		cr_assert_eq(sscanf(lf, "%31[^,],", fts), 1);
		cr_assert_str_eq(ts, fts);
		if (n < 2) {
			cr_assert_eq(strncmp(lf + strlen(fts), ",,", 2), 0,
				     "row %d: %s", n, lf);
		} else {
			cr_assert_eq(sscanf(lf + strlen(fts), ",%lf", &sma), 1);
			cr_assert_float_eq(sma, (closes[n] + closes[n - 1] +
						 closes[n - 2]) / 3, 1e-9,
					   "row %d", n);
		}
		/* rsi(14) is empty for 14 rows, then set. */
		cr_assert_eq(lf[strlen(lf) - 1] == ',', n < 14, "row %d: %s", n,
			     lf);
		n++;
	}
	cr_assert_eq(n, 1440);

	cr_assert_eq(th_run(&out, "%s --data-dir %s/db features --symbol "
			    "BTCUSDT --timeframe 1m --set 'sma(20),rsi(0)' 2>&1",
			    th_bin("traderctl"), dir), 1);
	cr_assert(strstr(out, "--set item 2: feature \"rsi(0)\": parameter 1 of "
			 "rsi (n) must be an integer from 1 to 100000") != NULL,
		  "%s", out);
	free(bars);
	free(feat);
	free(out);
}
