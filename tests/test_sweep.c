/*
 * traderctl sweep: a grid of sma_cross params on three days of AVAXUSDT,
 * 60 jobs emitted, run with GNU parallel (two at a time) and again one by
 * one in reverse order into another directory; both merges are the same
 * bytes, and the table is what the jobs' reports say, best Sharpe first.
 * Then the grid and merge refusals.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define DAYS "binance_futures_klines/um/AVAXUSDT-1m-2024-02-01_03.csv"

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

TestSuite(sweep, .init = setup, .fini = teardown, .timeout = 300);

static void
write_conf(void)
{
	char path[4200], body[4096];

	snprintf(path, sizeof(path), "%s/sma.yaml", dir);
	snprintf(body, sizeof(body),
		 "data_dir: %s/db\nreport_dir: %s/report\nplugin_dir: %s\n"
		 "log_level: warn\n"
		 "instruments:\n"
		 "  - { symbol: AVAXUSDT, tick_size: 0.001, lot_size: 1 }\n"
		 "replay: { speed: max, timeframe: 1m }\n"
		 "account: { cash: 100000 }\n"
		 "venue: { kind: sim, fee_bps: 5, slippage_bps: 1 }\n"
		 "strategies:\n"
		 "  - name: sma\n    plugin: sma_cross\n"
		 "    symbols: [AVAXUSDT]\n"
		 "    params: { fast: 10, slow: 30, sizing: fraction, "
		 "fraction: 0.5 }\n",
		 dir, dir, th_bin("plugins"));
	cr_assert_eq(th_write_file(path, body), 0);
}

Test(sweep, parallel_and_serial_merge_to_the_same_table)
{
	char *a, *b, *jobs, *out;
	double prev = 1e300;
	size_t n;
	int rc;

	th_expect(0, "%s --data-dir %s/db import --symbol AVAXUSDT "
		  "--timeframe 1m %s", th_bin("traderctl"), dir,
		  th_shared(DAYS));
	write_conf();
	/* 12 x 5 = 60 jobs. */
	for (int k = 0; k < 2; k++)
		th_expect(0, "%s sweep -c %s/sma.yaml --grid "
			  "'fast=4..15,slow=20..60/10' --results %s/r%d "
			  "--emit %s/j/jobs%d.txt", th_bin("traderctl"), dir, dir,
			  k, dir, k);
	jobs = th_read_file(th_msg("%s/j/jobs0.txt", dir), NULL);
	cr_assert_not_null(jobs);
	cr_assert_eq(th_count_lines(jobs), 60);
	cr_assert(strstr(jobs, "--param 'sma.fast=4' --param 'sma.slow=20'"));
	cr_assert(strstr(jobs, "--param 'sma.fast=15' --param 'sma.slow=60'"));
	free(jobs);
	rc = th_run(&out, "parallel --will-cite -j2 < %s/j/jobs0.txt", dir);
	th_assert_out(rc == 0, out);
	free(out);
	rc = th_run(&out, "tac %s/j/jobs1.txt | sh", dir);
	th_assert_out(rc == 0, out);
	free(out);
	th_expect(0, "%s sweep --merge %s/r0", th_bin("traderctl"), dir);
	th_expect(0, "%s sweep --merge %s/r1 -o %s/new/m1", th_bin("traderctl"),
		  dir, dir);
	a = th_read_file(th_msg("%s/r0/merged.csv", dir), NULL);
	b = th_read_file(th_msg("%s/new/m1.csv", dir), NULL);
	cr_assert(a && b);
	cr_assert_str_eq(a, b, "the merge depends on how the jobs ran");
	cr_assert_eq(th_count_lines(a), 61);
	/* Counts print as counts (a trade count of 880 once read 8.8e+02). */
	cr_assert(strstr(a, "e+") == NULL, "%s", a);
	/* Best first: Sharpe does not rise down the table. */
	n = 0;
	for (char *l = strchr(a, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		char *f = l;
		double sh;
		for (int k = 0; k < 7; k++)
			f = strchr(f, ',') + 1; /* rank,job,4 params,return */
		sh = strtod(f, NULL);
		cr_assert_leq(sh, prev, "row %zu: Sharpe %g after %g", n, sh,
			      prev);
		prev = sh;
		n++;
	}
	cr_assert_eq(n, 60);
	free(a);
	free(b);
	a = th_read_file(th_msg("%s/r0/merged.html", dir), NULL);
	b = th_read_file(th_msg("%s/new/m1.html", dir), NULL);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

Test(sweep, bad_grids_and_missing_jobs_are_refused)
{
	char *out;
	int rc;

	th_expect(0, "%s --data-dir %s/db import --symbol AVAXUSDT "
		  "--timeframe 1m %s", th_bin("traderctl"), dir,
		  th_shared(DAYS));
	write_conf();
	rc = th_run(&out, "%s sweep -c %s/sma.yaml --grid 'fast=9..5' "
		    "--emit %s/j.txt", th_bin("traderctl"), dir, dir);
	th_assert_outf(rc == 1 && strstr(out, "A <= B"), out, "exit %d", rc);
	free(out);
	rc = th_run(&out, "%s sweep -c %s/sma.yaml --grid 'fast' --emit "
		    "%s/j.txt", th_bin("traderctl"), dir, dir);
	th_assert_outf(rc == 1 && strstr(out, "is not key="), out, "%d", rc);
	free(out);
	rc = th_run(&out, "%s sweep -c %s/sma.yaml --strategy nope --grid "
		    "'fast=5' --emit %s/j.txt", th_bin("traderctl"), dir, dir);
	th_assert_outf(rc == 1 && strstr(out, "no strategy 'nope'"), out,
		       "%d", rc);
	free(out);
	/* A job that failed (fast >= slow) leaves no report: no merge. */
	th_expect(0, "%s sweep -c %s/sma.yaml --grid 'fast=20|40,slow=30' "
		  "--results %s/r --emit %s/j.txt", th_bin("traderctl"), dir,
		  dir, dir);
	rc = th_run(&out, "sh %s/j.txt", dir);
	free(out);
	rc = th_run(&out, "%s sweep --merge %s/r", th_bin("traderctl"), dir);
	th_assert_outf(rc == 1 && strstr(out, "job-00002/report.json") &&
		       strstr(out, "nothing merged"),
		       out, "exit %d", rc);
	free(out);
}
