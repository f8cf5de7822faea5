/*
 * import, through traderctl as an operator runs it: the sample files, the
 * round trip through `traderctl bars`, re-import, and every kind of bad
 * input leaving stored data intact.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static char *dir;

static void
setup(void)
{
	dir = th_tmpdir();
	cr_assert_not_null(dir);
}

static void
teardown(void)
{
	th_rmtree(dir);
	free(dir);
}

TestSuite(import, .init = setup, .fini = teardown);

#define SAMPLES "tests/data/BTCUSDT-1m-2020-01-01.csv " \
		"tests/data/BTCUSDT-1m-2020-01-02.csv " \
		"tests/data/BTCUSDT-1m-2020-01-03.csv"

static int
ctl(char **out, const char *args)
{
	return th_run(out, "%s --data-dir %s/db %s", th_bin("traderctl"), dir,
		      args);
}

/* The count column of `db stat` for SYM, or -1. */
static long
stored(const char *sym)
{
	char *out, *p;
	long n = -1;

	if (ctl(&out, "db stat") != 0) {
		free(out);
		return -1;
	}
	if ((p = strstr(out, sym)) != NULL)
		sscanf(p + strlen(sym), " %*s %ld", &n);
	free(out);
	return n;
}

Test(import, sample_files_import_as_4320_and_reimport_changes_nothing)
{
	char *out;
	int rc;

	rc = ctl(&out, "import --symbol BTCUSDT --timeframe 1m " SAMPLES);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "total: 4320 rows read, 4320 imported, 0 already "
				  "stored, 0 rejected") != NULL, out);
	free(out);
	cr_assert_eq(stored("BTCUSDT"), 4320);
	rc = ctl(&out, "import --symbol BTCUSDT --timeframe 1m " SAMPLES);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "total: 4320 rows read, 0 imported, 4320 already "
				  "stored, 0 rejected") != NULL, out);
	free(out);
	cr_assert_eq(stored("BTCUSDT"), 4320);
}

Test(import, bars_prints_back_exactly_what_was_imported)
{
	char *out, *want = NULL;
	size_t wl = 0;
	FILE *w;
	int rc, same;

	cr_assert_eq(ctl(NULL, "import --symbol BTCUSDT --timeframe 1m " SAMPLES), 0);
	w = open_memstream(&want, &wl);
	cr_assert_not_null(w);
	/* Build the expected CSV from the Binance files' first six columns,
	 * with open_time in seconds. */
	fputs("ts,open,high,low,close,volume\n", w);
	for (int d = 1; d <= 3; d++) {
		char path[64], line[512];
		snprintf(path, sizeof(path), "tests/data/BTCUSDT-1m-2020-01-0%d.csv", d);
		FILE *f = fopen(path, "r");
		cr_assert_not_null(f);
		while (fgets(line, sizeof(line), f)) {
			long long ms;
			char o[32], h[32], l[32], c[32], v[32];
			cr_assert_eq(sscanf(line, "%lld,%31[^,],%31[^,],%31[^,],%31[^,],%31[^,],",
					    &ms, o, h, l, c, v), 6);
			fprintf(w, "%lld,%s,%s,%s,%s,%s\n", ms / 1000, o, h, l, c, v);
		}
		fclose(f);
	}
	fclose(w);
	rc = ctl(&out, "bars --symbol BTCUSDT --timeframe 1m");
	same = rc == 0 && strlen(out) == wl && strcmp(out, want) == 0;
	free(out);
	free(want);
	cr_assert(same, "bars output (exit %d) differs from the files", rc);

	/* A range: [from, to) in either time syntax. */
	rc = ctl(&out, "bars --symbol BTCUSDT --timeframe 1m --from "
		       "2020-01-02T00:00:00Z --to 1577923260");
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strcmp(out, "ts,open,high,low,close,volume\n"
				  "1577923200,7200.77000000,7200.99000000,"
				  "7193.11000000,7194.87000000,13.10971500\n")
		      == 0, out);
	free(out);
}

#define US_1H  "binance_spot_klines/BTCUSDT-1h-2026-05-08.csv"
#define FUT_1H "binance_futures_klines/um/ETHUSDT-1h-2022-08-24.csv"

Test(import, microsecond_and_header_and_generic_formats)
{
	char *out, path[4200];
	int rc;

	/* Binance spot files from 2025 on give times in microseconds; the
	 * futures files have a header.  Both ship in tests/data/shared: a
	 * missing one fails the test. */
	cr_assert_not_null(th_shared(US_1H), "tests/data/shared/" US_1H " is missing");
	rc = ctl(&out, "import --symbol BTCUSDT --timeframe 1h tests/data/shared/" US_1H);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "binance (us): 24 rows read, 24 imported"), out);
	free(out);
	cr_assert_not_null(th_shared(FUT_1H), "tests/data/shared/" FUT_1H " is missing");
	rc = ctl(&out, "import --symbol ETHUSDT --timeframe 1h tests/data/shared/" FUT_1H);
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "binance (ms): 24 rows read, 24 imported"), out);
	free(out);
	/* The first bar of each, at its open time in seconds. */
	rc = ctl(&out, "bars --symbol BTCUSDT --timeframe 1h --to 1778202000");
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strcmp(out, "ts,open,high,low,close,volume\n"
				  "1778198400,80006.00000000,80142.84000000,"
				  "79729.72000000,79831.99000000,958.06006000\n")
		      == 0, out);
	free(out);
	rc = ctl(&out, "bars --symbol ETHUSDT --timeframe 1h --to 1661302800");
	th_assert_outf(rc == 0, out, "exit %d", rc);
	th_assert_out(strcmp(out, "ts,open,high,low,close,volume\n"
				  "1661299200,1664.19000000,1665.31000000,"
				  "1631.72000000,1639.63000000,415521.60200000\n")
		      == 0, out);
	free(out);
	/* Generic CSV in seconds, milliseconds and microseconds. */
	const char *units[] = { "", "000", "000000" };
	for (int u = 0; u < 3; u++) {
		char body[512], sym[16];
		snprintf(path, sizeof(path), "%s/g%d.csv", dir, u);
		snprintf(body, sizeof(body),
			 "ts,open,high,low,close,volume\n"
			 "1599999960%s,10,11,9,10.5,100\n"
			 "1600000020%s,10.5,12,10,11,50.25\n", units[u], units[u]);
		th_write_file(path, body);
		snprintf(sym, sizeof(sym), "G%d", u);
		char cmd[4400];
		snprintf(cmd, sizeof(cmd), "import --symbol %s --timeframe 1m %s", sym, path);
		rc = ctl(&out, cmd);
		th_assert_outf(rc == 0, out, "exit %d", rc);
		free(out);
		snprintf(cmd, sizeof(cmd), "bars --symbol %s --timeframe 1m", sym);
		rc = ctl(&out, cmd);
		th_assert_outf(rc == 0, out, "exit %d", rc);
		th_assert_out(strcmp(out, "ts,open,high,low,close,volume\n"
					  "1599999960,10.00000000,11.00000000,9.00000000,10.50000000,100.00000000\n"
					  "1600000020,10.50000000,12.00000000,10.00000000,11.00000000,50.25000000\n")
			      == 0, out);
		free(out);
	}
}

/* Imports the good sample day, then a bad file; checks the report and that
 * the 1440 stored bars are untouched (same `bars` output). */
static void
bad_file(const char *name, const char *body, const char *expect_line,
	 const char *expect_reason, int expect_imported)
{
	char *before, *after, *out, path[4200], cmd[4400], why[512] = "";
	int rc, same;

	cr_assert_eq(ctl(NULL, "import --symbol BTCUSDT --timeframe 1m "
			       "tests/data/BTCUSDT-1m-2020-01-01.csv"), 0);
	rc = ctl(&before, "bars --symbol BTCUSDT --timeframe 1m");
	th_assert_outf(rc == 0, before, "exit %d", rc);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	th_write_file(path, body);
	snprintf(cmd, sizeof(cmd), "import --symbol BTCUSDT --timeframe 1m %s", path);
	rc = ctl(&out, cmd);
	if (rc == 0)
		snprintf(why, sizeof(why), "a bad file must not exit 0");
	else if (expect_line && strstr(out, expect_line) == NULL)
		snprintf(why, sizeof(why), "want '%s'", expect_line);
	else if (expect_reason && strstr(out, expect_reason) == NULL)
		snprintf(why, sizeof(why), "want '%s'", expect_reason);
	else if (expect_imported >= 0) {
		char want[64];
		snprintf(want, sizeof(want), "%d imported", expect_imported);
		if (strstr(out, want) == NULL)
			snprintf(why, sizeof(why), "want '%s'", want);
	}
	if (why[0])
		free(before); /* the assertion below fails */
	th_assert_outf(!why[0], out, "%s", why);
	free(out);
	rc = ctl(&after, "bars --symbol BTCUSDT --timeframe 1m --to 1577923200");
	same = rc == 0 && strncmp(after, before, strlen(before)) == 0;
	free(before);
	free(after);
	cr_assert(same, "stored bars changed after a bad import");
}

Test(import, truncated_file)
{
	bad_file("trunc.csv",
		 "1577923200000,7176.47000000,7177.18000000,7171.31000000,7171.55000000,10.02102400,1577923259999,71890.4,123,5.0,35000.0,0\n"
		 "1577923260000,7171.43000000,7174.99000000,7170.",
		 "line 2: 4 columns, expected 12 (truncated line?)", NULL, 1);
}

Test(import, wrong_column_count)
{
	bad_file("cols.csv",
		 "ts,open,high,low,close,volume\n"
		 "1577923200,1,2,0.5,1.5,10\n"
		 "1577923260,1,2,0.5,1.5,10,99\n",
		 "line 3: 7 columns, expected 6", NULL, 1);
}

Test(import, garbage_numbers_and_negative_values)
{
	bad_file("garbage.csv",
		 "ts,open,high,low,close,volume\n"
		 "1577923200,1,2,0.5,1.5,10\n"
		 "1577923260,abc,2,0.5,1.5,10\n"
		 "1577923320,1,2,0.5,1.5,-3\n"
		 "1577923380,1,2,0.5,1.5,1e5\n"
		 "15779x3440,1,2,0.5,1.5,1\n"
		 "1577923500,1,2,0.5,1.5,0.000000001\n"
		 "1577923560,1,2,0.5,1.5,7\n",
		 "line 3: open 'abc': malformed value", "line 4: volume is negative", 2);
}

/*
 * Times of 19 and 20 digits do not fit a signed 64-bit integer: each such
 * row is rejected with its line number and why, and the others are
 * stored; generic ts here, Binance open_time and close_time below.
 * (Parsed into an int64_t they overflowed, and the UBSan build of
 * traderctl aborted on the row.)
 */
Test(import, timestamps_too_large_for_64_bits)
{
	bad_file("big.csv",
		 "ts,open,high,low,close,volume\n"
		 "1577923200,1,2,0.5,1.5,10\n"
		 "12345678901234567890,1,2,0.5,1.5,10\n"
		 "9999999999999999999,1,2,0.5,1.5,10\n"
		 "1577923260,1,2,0.5,1.5,10\n",
		 "line 3: ts '12345678901234567890' is too large (at most "
		 "9223372036854775807)",
		 "line 4: ts '9999999999999999999' is too large (at most "
		 "9223372036854775807)", 2);
}

Test(import, binance_times_too_large_for_64_bits)
{
	bad_file("bigbin.csv",
		 "1577923500000,1,2,0.5,1.5,10,1577923559999,0,1,0,0,0\n"
		 "99999999999999999999,1,2,0.5,1.5,10,1577923619999,0,1,0,0,0\n"
		 "1577923620000,1,2,0.5,1.5,10,9999999999999999999,0,1,0,0,0\n"
		 "1577923680000,1,2,0.5,1.5,10,1577923739999,0,1,0,0,0\n",
		 "line 2: open_time '99999999999999999999' is too large",
		 "line 3: close_time '9999999999999999999' is too large", 2);
}

Test(import, mixed_ms_and_us_timestamps)
{
	bad_file("mixed.csv",
		 "1577923200000,1,2,0.5,1.5,10,1577923259999,0,1,0,0,0\n"
		 "1577923260000000,1,2,0.5,1.5,10,1577923319999999,0,1,0,0,0\n"
		 "1577923320000,1,2,0.5,1.5,10,1577923379999,0,1,0,0,0\n",
		 "line 2: timestamp 1577923260000000 looks like us but the file's "
		 "timestamps are in ms (line 1): mixed units", NULL, 2);
}

Test(import, ohlc_order_and_alignment_checks)
{
	bad_file("ohlc.csv",
		 "ts,open,high,low,close,volume\n"
		 "1577923200,1,2,0.5,1.5,10\n"
		 "1577923260,1,0.9,0.5,0.8,10\n"   /* high < open */
		 "1577923320,1,2,1.2,1.5,10\n"     /* low > open */
		 "1577923380,1,2,0.5,1.5,10\n"
		 "1577923380,1,2,0.5,1.5,10\n"     /* duplicate */
		 "1577923320,1,2,0.5,1.5,10\n"     /* backwards */
		 "1577923450,1,2,0.5,1.5,10\n"     /* not aligned */
		 "1577923680,1,2,0.5,1.5,10\n",    /* gap of 4 bars: kept */
		 "line 3: high is below open, low or close", "line 6: duplicate timestamp", 3);
	char *out;
	char cmd[4400];
	snprintf(cmd, sizeof(cmd), "import --symbol X --timeframe 1m %s/ohlc.csv", dir);
	ctl(&out, cmd);
	th_assert_out(strstr(out, "line 4: low is above open or close"), out);
	th_assert_out(strstr(out, "line 7: timestamp 1577923320 goes back in time"), out);
	th_assert_out(strstr(out, "line 8: time 1577923450 is not aligned"), out);
	th_assert_out(strstr(out, "2 gap(s) (6 bars missing)"), out);
	free(out);
}

Test(import, conflicting_values_keep_the_stored_bar)
{
	bad_file("conflict.csv",
		 "ts,open,high,low,close,volume\n"
		 "1577836800,1,2,0.5,1.5,10\n",
		 "line 2: differs from the bar already stored at "
		 "2020-01-01T00:00:00Z (stored bar kept)", NULL, 0);
}

Test(import, wrong_timeframe_is_caught_by_close_time)
{
	char *out;
	int rc = ctl(&out, "import --symbol BTCUSDT --timeframe 5m "
			   "tests/data/BTCUSDT-1m-2020-01-01.csv");

	th_assert_outf(rc != 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "does not match open_time + timeframe"), out);
	free(out);
}

Test(import, unusable_files_and_args)
{
	char *out, path[4200], cmd[4400];
	int rc;

	rc = ctl(&out, "import --symbol BTCUSDT --timeframe 1m /nonexistent.csv");
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "/nonexistent.csv: No such file or directory"), out);
	free(out);
	snprintf(path, sizeof(path), "%s/empty.csv", dir);
	th_write_file(path, "");
	snprintf(cmd, sizeof(cmd), "import --symbol BTCUSDT --timeframe 1m %s", path);
	rc = ctl(&out, cmd);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "empty file"), out);
	free(out);
	snprintf(path, sizeof(path), "%s/hdr.csv", dir);
	th_write_file(path, "date,price\n2020-01-01,5\n");
	snprintf(cmd, sizeof(cmd), "import --symbol BTCUSDT --timeframe 1m %s", path);
	rc = ctl(&out, cmd);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, ":1: unrecognised header 'date,price'"), out);
	free(out);
	rc = ctl(&out, "import --symbol 'BTC USDT' --timeframe 1m x");
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "invalid symbol"), out);
	free(out);
	rc = ctl(&out, "import --symbol BTCUSDT --timeframe 1M x");
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "invalid timeframe '1M'"), out);
	free(out);
	rc = ctl(&out, "bars --symbol NOPE --timeframe 1m");
	th_assert_outf(rc == 1, out, "exit %d", rc);
	free(out);
}

Test(import, missing_data_dir_for_readers)
{
	char *out;
	int rc = th_run(&out, "%s --data-dir %s/none db stat", th_bin("traderctl"),
			dir);

	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "data dir '") &&
		      strstr(out, "No such file or directory"), out);
	free(out);
}

Test(import, read_only_data_dir)
{
	char *out, *before, *after;
	int same;

	cr_assert_eq(ctl(NULL, "import --symbol BTCUSDT --timeframe 1m "
			       "tests/data/BTCUSDT-1m-2020-01-01.csv"), 0);
	int rc = ctl(&before, "db stat");
	th_assert_outf(rc == 0, before, "exit %d", rc);
	/* root ignores permissions, so run the writer as nobody. */
	th_run(NULL, "chmod -R a+rX %s && chmod -R a-w %s/db", dir, dir);
	rc = th_run(&out, "%s %s %s --data-dir %s/db import --symbol BTCUSDT "
		    "--timeframe 1m %s/tests/data/BTCUSDT-1m-2020-01-02.csv",
		    geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "",
		    th_bin("traderctl"), "", dir, getcwd((char[4096]){ 0 }, 4096));
	same = rc == 1 && strstr(out, "cannot open data store") &&
	       strstr(out, "Permission denied");
	if (!same)
		free(before); /* the assertion below fails */
	th_assert_outf(same, out, "exit %d, want 1 and a refusal", rc);
	free(out);
	th_run(NULL, "chmod -R u+w %s/db", dir);
	rc = ctl(&after, "db stat");
	same = rc == 0 && strcmp(after, before) == 0;
	free(before);
	free(after);
	cr_assert(same, "db stat changed (or failed: exit %d) after a refused "
		  "import", rc);
}
