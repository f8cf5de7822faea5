/*
 * config: loading, defaults, every class of error with its position and
 * key path, hostile files, and the reload rule.
 *
 * Errors go to stderr; load() points fd 2 at a file for the call and reads
 * it back into errs, so each test checks the exact FILE:LINE:COL: KEY text.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"
#include "helpers.h"

#define INSTR                                                            \
	"instruments:\n"                                                 \
	"  - { symbol: BTCUSDT, tick_size: 0.01, lot_size: 0.00001 }\n"

#define SEC 1000000000LL

static char *dir;
static char path[4096];
static char *errs;

static void
setup(void)
{
	dir = th_tmpdir();
	cr_assert(dir != NULL);
	snprintf(path, sizeof(path), "%s/t.yaml", dir);
}

static void
teardown(void)
{
	free(errs);
	th_rmtree(dir);
	free(dir);
}

TestSuite(config, .init = setup, .fini = teardown);

static int
load_path(const char *p, struct trd_config **out, int *nerr)
{
	char errpath[4200];
	int fd, saved, rc;

	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	fflush(stderr);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd != -1);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	rc = trd_config_load(p, out, nerr);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	free(errs);
	errs = th_read_file(errpath, NULL);
	cr_assert(errs != NULL);
	return rc;
}

static int
load_bytes(const char *buf, size_t len, struct trd_config **out, int *nerr)
{
	FILE *f = fopen(path, "wb");

	cr_assert(f != NULL);
	cr_assert(fwrite(buf, 1, len, f) == len);
	cr_assert(fclose(f) == 0);
	return load_path(path, out, nerr);
}

static int
load(const char *text, struct trd_config **out, int *nerr)
{
	cr_assert(th_write_file(path, text) == 0);
	return load_path(path, out, nerr);
}

/* A file that must load cleanly. */
static struct trd_config *
load_ok(const char *text)
{
	struct trd_config *c = NULL;
	int nerr = -1, rc = load(text, &c, &nerr);

	cr_assert_eq(rc, 0, "rc %d, stderr:\n%s", rc, errs);
	cr_assert_eq(nerr, 0);
	cr_assert_str_empty(errs);
	cr_assert(c != NULL);
	return c;
}

/* A file that must fail with exactly n errors; *out is left alone. */
static void
load_bad(const char *text, int n)
{
	struct trd_config *c = (struct trd_config *)&c;
	int nerr = -1, rc = load(text, &c, &nerr);

	cr_assert_eq(rc, TRD_ECONFIG, "rc %d", rc);
	cr_assert_eq(nerr, n, "%d errors, want %d:\n%s", nerr, n, errs);
	cr_assert(c == (struct trd_config *)&c, "*out was touched");
	cr_assert_eq(th_count_lines(errs), (size_t)n, "%s", errs);
}

/* errs has the line "error config: PATH:LINE:COL: KEY: ..."
 * (no "KEY: " when key is NULL) and that line contains frag. */
static void
has(int line, int col, const char *key, const char *frag)
{
	char want[4400], *ln;
	const char *p, *eol;

	snprintf(want, sizeof(want), "error config: %s:%d:%d: %s%s",
		 path, line, col, key ? key : "", key ? ": " : "");
	p = strstr(errs, want);
	cr_assert(p != NULL, "no \"%s\" in:\n%s", want, errs);
	eol = strchr(p, '\n');
	ln = strndup(p, eol ? (size_t)(eol - p) : strlen(p));
	cr_assert(frag == NULL || strstr(ln, frag) != NULL,
		  "no \"%s\" in \"%s\"", frag, ln);
	free(ln);
}

Test(config, full_file)
{
	struct trd_config *c = load_ok(
		"mode: paper\n"
		"data_dir: /srv/trd/db\n"
		"report_dir: \"/srv/trd/report\"\n"
		"log_level: debug\n"
		"instruments:\n"
		"  - symbol: BTCUSDT\n"
		"    price_dp: 2\n"
		"    qty_dp: 5\n"
		"    tick_size: 0.01\n"
		"    lot_size: 0.00001\n"
		"  - { symbol: ETH-USD.p, tick_size: \"0.05\", lot_size: 1 }\n"
		"replay:\n"
		"  from: 2020-01-01T00:00:00Z\n"
		"  to: 1577923200\n"
		"  speed: 60.5\n"
		"  timeframe: 15m\n"
		"store: { map_size_mb: 1024, map_max_mb: 2048 }\n"
		"plugin_dir: /opt/trd/plugins\n"
		"account: { cash: 2500.5 }\n"
		"venue:\n"
		"  kind: sim\n"
		"  fee_bps: 7.5\n"
		"  slippage_bps: 0.0001\n"
		"  seed: 18446744073709551615\n"
		"strategies:\n"
		"  - name: trend.1\n"
		"    plugin: sma_cross\n"
		"    symbols: [BTCUSDT, ETH-USD.p]\n"
		"    params:\n"
		"      fast: 10\n"
		"      sizing: \"all_in\"\n"
		"      fraction: 0.50\n"
		"  - { name: b, plugin: my-plug_2, symbols: [ETH-USD.p] }\n");
	const struct trd_instrument_conf *in;
	const struct trd_strategy_conf *st;

	cr_assert_str_eq(c->path, path);
	cr_assert_eq(c->mode, TRD_MODE_PAPER);
	cr_assert_str_eq(trd_mode_name(c->mode), "paper");
	cr_assert_str_eq(c->data_dir, "/srv/trd/db");
	cr_assert_str_eq(c->report_dir, "/srv/trd/report");
	cr_assert_eq(c->log_level, TRD_LOG_DEBUG);
	cr_assert_eq(c->ninstruments, 2);
	in = &c->instruments[0];
	cr_assert_str_eq(in->symbol, "BTCUSDT");
	cr_assert_eq(in->price_dp, 2);
	cr_assert_eq(in->qty_dp, 5);
	cr_assert_eq(in->tick_size, 1);
	cr_assert_eq(in->lot_size, 1);
	in = trd_config_instrument(c, "ETH-USD.p");
	cr_assert(in == &c->instruments[1]);
	cr_assert_eq(in->price_dp, 8);
	cr_assert_eq(in->qty_dp, 8);
	cr_assert_eq(in->tick_size, 5000000);
	cr_assert_eq(in->lot_size, 100000000);
	cr_assert_null(trd_config_instrument(c, "XRPUSDT"));
	cr_assert_eq(c->replay.from_ns, 1577836800 * SEC);
	cr_assert_eq(c->replay.to_ns, 1577923200 * SEC);
	cr_assert_eq(c->replay.speed, 60.5);
	cr_assert_eq(c->replay.timeframe_s, 900);
	cr_assert_eq(c->store.map_size_mb, 1024);
	cr_assert_eq(c->store.map_max_mb, 2048);
	cr_assert_str_eq(c->plugin_dir, "/opt/trd/plugins");
	cr_assert_eq(c->account.cash, 250050000000);
	cr_assert_eq(c->venue.kind, TRD_VENUE_SIM);
	cr_assert_eq(c->venue.fee_bps, 75000);
	cr_assert_eq(c->venue.slippage_bps, 1);
	cr_assert_eq(c->venue.seed, UINT64_MAX);
	cr_assert_eq(c->nstrategies, 2);
	st = &c->strategies[0];
	cr_assert_str_eq(st->name, "trend.1");
	cr_assert_str_eq(st->plugin, "sma_cross");
	cr_assert_eq(st->line, 26);
	cr_assert_eq(st->nsymbols, 2);
	cr_assert_str_eq(st->symbols[0], "BTCUSDT");
	cr_assert_str_eq(st->symbols[1], "ETH-USD.p");
	cr_assert_eq(st->nparams, 3);
	cr_assert_str_eq(st->params[0].key, "fast");
	cr_assert_str_eq(st->params[0].value, "10");
	cr_assert_eq(st->params[0].line, 30);
	cr_assert_str_eq(st->params[1].key, "sizing");
	cr_assert_str_eq(st->params[1].value, "all_in");
	cr_assert_eq(st->params[1].line, 31);
	/* The text as written: the plugin parses it. */
	cr_assert_str_eq(st->params[2].value, "0.50");
	st = &c->strategies[1];
	cr_assert_str_eq(st->name, "b");
	cr_assert_str_eq(st->plugin, "my-plug_2");
	cr_assert_eq(st->line, 33);
	cr_assert_eq(st->nsymbols, 1);
	cr_assert_eq(st->nparams, 0);
	cr_assert_null(st->params);
	trd_config_free(c);
}

Test(config, equity_interval)
{
	struct trd_config *c = load_ok(INSTR "report: { equity_interval: bar }\n");

	cr_assert_eq(c->report.equity_interval_s, 0);
	trd_config_free(c);
	c = load_ok(INSTR "report: { equity_interval: 1d }\n");
	cr_assert_eq(c->report.equity_interval_s, 86400);
	trd_config_free(c);
	load_bad(INSTR "report: { equity_interval: hourly }\n", 1);
	has(3, 28, "report.equity_interval", "expected a timeframe such as "
	    "1m, 15m, 4h or 1d, or bar, found");
}

Test(config, defaults)
{
	struct trd_config *c = load_ok(INSTR);

	cr_assert_eq(c->mode, TRD_MODE_REPLAY);
	/* Relative paths resolve against the config file's directory. */
	cr_assert(c->data_dir[0] == '/' && strstr(c->data_dir, "/var/db") &&
		  strcmp(strstr(c->data_dir, "/var/db"), "/var/db") == 0,
		  "%s", c->data_dir);
	cr_assert(c->report_dir[0] == '/' &&
		  strcmp(c->report_dir + strlen(c->report_dir) - 11,
			 "/var/report") == 0, "%s", c->report_dir);
	cr_assert_eq(c->log_level, TRD_LOG_INFO);
	cr_assert_eq(c->instruments[0].price_dp, 8);
	cr_assert_eq(c->instruments[0].qty_dp, 8);
	cr_assert_eq(c->instruments[0].tick_size, 1000000);
	cr_assert_eq(c->instruments[0].lot_size, 1000);
	cr_assert_eq(c->replay.from_ns, TRD_TIME_MIN);
	cr_assert_eq(c->replay.to_ns, TRD_TIME_MAX);
	cr_assert_eq(c->replay.speed, 0);
	cr_assert_eq(c->replay.timeframe_s, 60);
	cr_assert_eq(c->store.map_size_mb, 256);
	cr_assert_eq(c->store.map_max_mb, 65536);
	cr_assert(strcmp(c->plugin_dir + strlen(c->plugin_dir) - 14,
			 "/build/plugins") == 0, "%s", c->plugin_dir);
	cr_assert_eq(c->account.cash, 10000000000000);
	cr_assert_eq(c->venue.kind, TRD_VENUE_SIM);
	cr_assert_eq(c->venue.fee_bps, 0);
	cr_assert_eq(c->venue.slippage_bps, 0);
	cr_assert_eq(c->venue.seed, 1);
	cr_assert_eq(c->report.equity_interval_s, 3600);
	cr_assert_eq(c->nstrategies, 0);
	cr_assert_null(c->strategies);
	trd_config_free(c);

	/* A null map is an empty one. */
	c = load_ok(INSTR "replay:\nstore: ~\naccount:\nvenue: ~\n"
		    "strategies: []\n");
	cr_assert_eq(c->replay.timeframe_s, 60);
	cr_assert_eq(c->store.map_max_mb, 65536);
	cr_assert_eq(c->account.cash, 10000000000000);
	cr_assert_eq(c->venue.seed, 1);
	cr_assert_eq(c->nstrategies, 0);
	trd_config_free(c);

	c = load_ok(INSTR "strategies:\n"
		    "  - { name: a, plugin: p, symbols: [BTCUSDT], params: }\n");
	cr_assert_eq(c->strategies[0].nparams, 0);
	cr_assert_null(c->strategies[0].params);
	trd_config_free(c);
}

Test(config, shipped_backtest_yaml)
{
	struct trd_config *c = NULL;
	int nerr = -1;

	cr_assert_eq(load_path("conf/backtest.yaml", &c, &nerr), 0, "%s",
		     errs);
	cr_assert_eq(c->mode, TRD_MODE_REPLAY);
	cr_assert_eq(c->ninstruments, 1);
	cr_assert_str_eq(c->instruments[0].symbol, "BTCUSDT");
	cr_assert_eq(c->instruments[0].tick_size, 1000000);
	cr_assert_eq(c->instruments[0].lot_size, 1000);
	cr_assert_eq(c->replay.from_ns, 1577836800 * SEC);
	cr_assert_eq(c->replay.to_ns, (1577836800 + 3 * 86400) * SEC);
	cr_assert_eq(c->replay.speed, 0);
	cr_assert_eq(c->replay.timeframe_s, 60);
	cr_assert(strcmp(c->plugin_dir + strlen(c->plugin_dir) - 14,
			 "/build/plugins") == 0, "%s", c->plugin_dir);
	cr_assert_eq(c->account.cash, 10000000000000);
	cr_assert_eq(c->venue.kind, TRD_VENUE_SIM);
	cr_assert_eq(c->venue.fee_bps, 100000);
	cr_assert_eq(c->venue.slippage_bps, 0);
	cr_assert_eq(c->venue.seed, 1);
	cr_assert_eq(c->nstrategies, 1);
	cr_assert_str_eq(c->strategies[0].name, "demo");
	cr_assert_str_eq(c->strategies[0].plugin, "sma_cross");
	cr_assert_eq(c->strategies[0].nsymbols, 1);
	cr_assert_str_eq(c->strategies[0].symbols[0], "BTCUSDT");
	cr_assert_eq(c->strategies[0].nparams, 3);
	cr_assert_str_eq(c->strategies[0].params[0].key, "fast");
	cr_assert_str_eq(c->strategies[0].params[0].value, "10");
	cr_assert_str_eq(c->strategies[0].params[1].key, "slow");
	cr_assert_str_eq(c->strategies[0].params[1].value, "30");
	cr_assert_str_eq(c->strategies[0].params[2].key, "sizing");
	cr_assert_str_eq(c->strategies[0].params[2].value, "all_in");
	cr_assert_eq(c->strategies[0].params[2].line,
		     c->strategies[0].line + 3);
	trd_config_free(c);
}

Test(config, speed)
{
	static const struct { const char *text; double v; } ok[] = {
		{ "max", 0 }, { "500", 500 }, { "\"500\"", 500 },
		{ "0.25", 0.25 }, { "1e6", 1e6 }, { "'max'", 0 },
	};
	static const char *bad[] = {
		"0", "-1", "1000001", "fast", "inf", ".nan", "0x10", "''",
		"1e", "[1]",
	};
	char text[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), INSTR "replay: { speed: %s }\n",
			 ok[i].text);
		struct trd_config *c = load_ok(text);
		cr_assert_eq(c->replay.speed, ok[i].v, "%s", ok[i].text);
		trd_config_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), INSTR "replay: { speed: %s }\n",
			 bad[i]);
		load_bad(text, 1);
		has(3, 18, "replay.speed",
		    "expected a number > 0 and <= 1000000, or max, found");
	}
}

Test(config, unknown_keys)
{
	load_bad(INSTR "modee: live\nreplay:\n  spede: 10\n", 2);
	has(3, 1, "modee", "unknown key (expected one of mode, data_dir, "
	    "report_dir, report, log_level, instruments, replay, store, plugin_dir, "
	    "housekeeping_ms, "
	    "account, venue, risk, feed, features, strategies, admin, metrics)");
	has(5, 3, "replay.spede", "unknown key (expected one of from, to, "
	    "speed, timeframe, ticks)");

	load_bad("instruments:\n  - { symbol: A, tick_size: 1, lot_size: 1, "
		 "tick: 1 }\n", 1);
	has(2, 45, "instruments[0].tick", "unknown key");
}

Test(config, wrong_types)
{
	load_bad("mode: { a: 1 }\n" INSTR, 1);
	has(1, 7, "mode", "expected one of replay, paper, live, found a map");

	load_bad(INSTR "store:\n  map_size_mb: lots\n", 1);
	has(4, 16, "store.map_size_mb",
	    "expected an integer from 1 to 1048576, found \"lots\"");

	load_bad(INSTR "replay: [1, 2]\n", 1);
	has(3, 9, "replay", "expected a map, found a list");

	load_bad(INSTR "data_dir: [a]\nreport_dir:\nlog_level: \"\"\n", 3);
	has(3, 11, "data_dir", "expected a non-empty string");
	has(4, 12, "report_dir", "found null");
	has(5, 12, "log_level", "expected one of error, warn, info, debug, "
	    "found \"\"");

	load_bad("instruments: { symbol: BTCUSDT }\n", 1);
	has(1, 14, "instruments", "expected a list of 1 to 4096 maps, "
	    "found a map");

	load_bad("instruments:\n  - BTCUSDT\n", 1);
	has(2, 5, "instruments[0]", "expected a map, found \"BTCUSDT\"");

	load_bad(INSTR "? [a, b]\n: 1\n", 1);
	has(3, 3, NULL, "expected a key, found a list");

	load_bad(INSTR "store: { map_size_mb: -5, map_max_mb: 1.5 }\n", 2);
	has(3, 23, "store.map_size_mb", "found \"-5\"");
	has(3, 39, "store.map_max_mb", "found \"1.5\"");
}

Test(config, out_of_range)
{
	load_bad("instruments:\n"
		 "  - { symbol: A, price_dp: 13, tick_size: 1, lot_size: 1 }\n"
		 "store: { map_max_mb: 0 }\n"
		 "replay: { speed: 2000000 }\n", 3);
	has(2, 28, "instruments[0].price_dp",
	    "expected an integer from 0 to 12, found \"13\"");
	has(3, 22, "store.map_max_mb",
	    "expected an integer from 1 to 16777216, found \"0\"");
	has(4, 18, "replay.speed", "found \"2000000\"");

	load_bad(INSTR "store: { map_size_mb: 99999999999999999999999 }\n",
		 1);
	has(3, 23, "store.map_size_mb", "found \"99999999999999999999999\"");
}

Test(config, bad_times_timeframes_enums)
{
	load_bad(INSTR
		 "mode: backtest\n"
		 "replay:\n"
		 "  from: 2020-13-01\n"
		 "  to: yesterday\n"
		 "  timeframe: 1M\n", 4);
	has(3, 7, "mode", "expected one of replay, paper, live, "
	    "found \"backtest\"");
	has(5, 9, "replay.from", "expected an ISO 8601 UTC time "
	    "(2020-01-01T00:00:00Z) or Unix seconds, found \"2020-13-01\"");
	has(6, 7, "replay.to", "found \"yesterday\"");
	has(7, 14, "replay.timeframe", "expected a timeframe such as 1m, "
	    "15m, 4h or 1d, found \"1M\"");
}

Test(config, from_not_before_to)
{
	load_bad(INSTR "replay:\n"
		 "  from: 2020-01-04T00:00:00Z\n"
		 "  to: 2020-01-01\n", 1);
	has(5, 7, "replay.to", "expected a time after replay.from "
	    "(2020-01-04T00:00:00Z), found 2020-01-01T00:00:00Z");

	load_bad(INSTR "replay: { from: 1577836800, to: 1577836800 }\n", 1);
	has(3, 33, "replay.to", "expected a time after replay.from");

	/* Only one bound: nothing to compare. */
	trd_config_free(load_ok(INSTR "replay: { to: 1 }\n"));
}

Test(config, store_size_above_max)
{
	load_bad(INSTR "store:\n  map_size_mb: 4096\n  map_max_mb: 1024\n", 1);
	has(4, 16, "store.map_size_mb",
	    "expected at most store.map_max_mb (1024), found 4096");

	load_bad(INSTR "store: { map_max_mb: 100 }\n", 1);
	has(3, 8, "store.map_size_mb", "(100), found 256");
}

Test(config, missing_required)
{
	load_bad("mode: replay\n", 1);
	has(1, 1, "instruments", "required key missing");

	load_bad("mode: replay\ninstruments:\n"
		 "  - { symbol: X, lot_size: 1 }\n"
		 "  - tick_size: 1\n"
		 "    lot_size: 1\n", 2);
	has(3, 5, "instruments[0].tick_size", "required key missing");
	has(4, 5, "instruments[1].symbol", "required key missing");

	load_bad("instruments: []\n", 1);
	has(1, 14, "instruments", "expected a list of 1 to 4096 maps, found 0");

	load_bad("instruments:\n", 1);
	has(1, 13, "instruments", "found null");
}

Test(config, duplicate_keys)
{
	load_bad("mode: paper\n" INSTR "mode: live\n", 1);
	has(4, 1, "mode", "duplicate key (first given at line 1)");

	load_bad("instruments:\n"
		 "  - { symbol: A, tick_size: 1, lot_size: 1, lot_size: 2 }\n",
		 1);
	has(2, 45, "instruments[0].lot_size",
	    "duplicate key (first given at line 2)");
}

Test(config, duplicate_symbols)
{
	load_bad("instruments:\n"
		 "  - { symbol: BTCUSDT, tick_size: 0.01, lot_size: 1 }\n"
		 "  - { symbol: ETHUSDT, tick_size: 0.01, lot_size: 1 }\n"
		 "  - symbol: BTCUSDT\n"
		 "    tick_size: 1\n"
		 "    lot_size: 1\n", 1);
	has(4, 13, "instruments[2].symbol", "duplicate symbol BTCUSDT, "
	    "already given at line 2 (instruments[0])");
}

Test(config, decimals)
{
	struct trd_config *c;

	load_bad("instruments:\n"
		 "  - { symbol: A, price_dp: 2, tick_size: 0.001, lot_size: 1 }\n"
		 "  - { symbol: B, tick_size: 0, lot_size: -0.1 }\n"
		 "  - { symbol: C, tick_size: 1e-2, lot_size: 0.1.2 }\n"
		 "  - { symbol: D, qty_dp: 0, tick_size: 1, lot_size: 0.5 }\n"
		 "  - { symbol: E, tick_size: 99999999999999, lot_size: 1 }\n",
		 7);
	has(2, 42, "instruments[0].tick_size", "expected a decimal number > 0 "
	    "with at most 2 decimals (price_dp), found \"0.001\"");
	has(3, 29, "instruments[1].tick_size", "found \"0\"");
	has(3, 42, "instruments[1].lot_size", "found \"-0.1\"");
	has(4, 29, "instruments[2].tick_size", "found \"1e-2\"");
	has(4, 45, "instruments[2].lot_size", "found \"0.1.2\"");
	has(5, 53, "instruments[3].lot_size",
	    "with at most 0 decimals (qty_dp), found \"0.5\"");
	has(6, 29, "instruments[4].tick_size", "found \"99999999999999\"");

	/* Trailing zeros beyond dp are exact, so they are fine. */
	c = load_ok("instruments:\n"
		    "  - { symbol: A, price_dp: 2, tick_size: 0.0100, "
		    "lot_size: 3, qty_dp: 0 }\n");
	cr_assert_eq(c->instruments[0].tick_size, 1);
	cr_assert_eq(c->instruments[0].lot_size, 3);
	trd_config_free(c);
}

Test(config, bad_symbols)
{
	char text[512], sym[64];

	memset(sym, 'A', 32);
	sym[32] = '\0';
	snprintf(text, sizeof(text), "instruments:\n"
		 "  - { symbol: BTC/USDT, tick_size: 1, lot_size: 1 }\n"
		 "  - { symbol: %s, tick_size: 1, lot_size: 1 }\n"
		 "  - { symbol: \"\", tick_size: 1, lot_size: 1 }\n"
		 "  - { symbol: \"A\\0B\", tick_size: 1, lot_size: 1 }\n", sym);
	load_bad(text, 4);
	has(2, 15, "instruments[0].symbol", "expected a symbol of 1 to 31 "
	    "characters from [A-Za-z0-9._-], found \"BTC/USDT\"");
	has(3, 15, "instruments[1].symbol", "found \"AAAA");
	has(4, 15, "instruments[2].symbol", "found \"\"");
	has(5, 15, "instruments[3].symbol", "found \"A\\x00B\"");

	/* 31 characters is the limit. */
	sym[31] = '\0';
	snprintf(text, sizeof(text), "instruments:\n"
		 "  - { symbol: %s, tick_size: 1, lot_size: 1 }\n", sym);
	trd_config_free(load_ok(text));
}

Test(config, yaml_syntax_error)
{
	load_bad(INSTR "replay: { speed: 5\nstore: {}\n", 1);
	has(4, 6, NULL, "YAML: did not find expected ',' or '}' while "
	    "parsing a flow mapping at line 3, column 9");

	load_bad("mode: replay\n  data_dir: x\n", 1);
	has(2, 11, NULL, "YAML: mapping values are not allowed");

	load_bad("mode: \"replay\n", 1);
	has(2, 1, NULL, "YAML: found unexpected end of stream");
}

Test(config, empty_and_not_a_map)
{
	static const char *empty[] = { "", "# nothing\n\n", "---\n", "~\n" };

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		load_bad(empty[i], 1);
		cr_assert(strstr(errs, "found an empty file") != NULL, "%s",
			  errs);
	}
	load_bad("- mode\n- replay\n", 1);
	has(1, 1, NULL, "expected a map of keys at the top level, "
	    "found a list");
	load_bad("\n\nhello\n", 1);
	has(3, 1, NULL, "found \"hello\"");
}

Test(config, aliases_rejected)
{
	load_bad(INSTR "replay: { speed: &s 5 }\n"
		 "store: { map_size_mb: *s, map_max_mb: *s }\n", 2);
	has(4, 23, NULL, "YAML aliases are not supported (*\"s\")");
	has(4, 39, NULL, "YAML aliases are not supported");

	/* The "billion laughs" shape is refused before anything expands. */
	load_bad("a: &a [x, x, x, x, x, x, x, x, x]\n"
		 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
		 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n", 16);
}

Test(config, two_documents)
{
	load_bad("---\n" INSTR "---\nmode: live\n", 1);
	has(4, 1, NULL, "expected one YAML document, found a second one");
}

Test(config, nul_bytes_and_control_characters)
{
	static const char nul[] = "mode: re\0play\n" INSTR;

	cr_assert_eq(load_bytes(nul, sizeof(nul) - 1, NULL, NULL),
		     TRD_ECONFIG);
	has(1, 9, NULL, "YAML: control characters are not allowed "
	    "(byte 0x00)");

	load_bad(INSTR "data_dir: \"var\\0db\"\n", 1);
	has(3, 11, "data_dir", "found \"var\\x00db\"");

	load_bad(INSTR "data_dir: \"a\\x01\\nb\"\n", 1);
	has(3, 11, "data_dir", "without control characters, "
	    "found \"a\\x01\\x0ab\"");
}

Test(config, deep_nesting)
{
	size_t n = 100000;
	char *buf = malloc(2 * n + 64);

	cr_assert(buf != NULL);
	strcpy(buf, "x: ");
	memset(buf + 3, '[', n);
	memset(buf + 3 + n, ']', n);
	strcpy(buf + 3 + 2 * n, "\n");
	load_bad(buf, 1);
	has(1, 35, NULL, "expected at most 32 levels of nesting");
	free(buf);
}

Test(config, huge_values)
{
	size_t n = 1 << 20;
	char *buf = malloc(n + 256);
	int o;

	cr_assert(buf != NULL);
	o = sprintf(buf, "instruments:\n  - { symbol: ");
	memset(buf + o, 'S', n);
	strcpy(buf + o + n, ", tick_size: 1, lot_size: 1 }\ndata_dir: ");
	load_bad(buf, 2);
	has(2, 15, "instruments[0].symbol",
	    "found \"SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS\"... "
	    "(1048576 bytes)");
	has(3, 10, "data_dir", "found null");
	cr_assert_lt(strlen(errs), 1024);

	/* A long key is cut in the key path (YAML itself refuses plain keys
	 * over 1024 characters). */
	memset(buf, 'k', 1000);
	strcpy(buf + 1000, ": 1\n" INSTR);
	load_bad(buf, 1);
	cr_assert(strstr(errs, "kkk...: unknown key") != NULL, "%s", errs);
	cr_assert_lt(strlen(errs), 1024);
	memset(buf, 'k', n);
	strcpy(buf + n, ": 1\n" INSTR);
	load_bad(buf, 1);
	has(1, (int)n + 1, NULL, "YAML: mapping values are not allowed");
	free(buf);
}

Test(config, file_too_large)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert(fd != -1);
	cr_assert(ftruncate(fd, (16 << 20) + 1) == 0);
	close(fd);
	cr_assert_eq(load_path(path, NULL, NULL), TRD_ECONFIG);
	cr_assert(strstr(errs, ": expected at most 16777216 bytes") != NULL,
		  "%s", errs);
}

Test(config, many_errors_are_capped)
{
	size_t n = 1000;
	char *buf = malloc(n * 16 + 256), *p = buf;
	int nerr = 0;

	p += sprintf(p, INSTR);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "k%zu: 1\n", i);
	cr_assert_eq(load(buf, NULL, &nerr), TRD_ECONFIG);
	cr_assert_eq(nerr, 1000);
	cr_assert_eq(th_count_lines(errs), 101);
	cr_assert(strstr(errs, ": 900 more errors not shown") != NULL);
	free(buf);
}

Test(config, unreadable_file)
{
	char missing[4200], key[4400];
	struct trd_config *c = (struct trd_config *)&c;
	int nerr = -1;

	snprintf(missing, sizeof(missing), "%s/nope.yaml", dir);
	cr_assert_eq(load_path(missing, &c, &nerr), -ENOENT);
	cr_assert_eq(nerr, 1);
	cr_assert(c == (struct trd_config *)&c);
	snprintf(key, sizeof(key), " error config: %s: No such file "
		 "or directory\n", missing);
	/* After the line's timestamp: the whole of it. */
	cr_assert(strlen(errs) > 24 && errs[23] == 'Z' &&
		  strcmp(errs + 24, key) == 0, "%s", errs);

	cr_assert_eq(load_path(dir, &c, &nerr), -EISDIR);
	cr_assert_eq(nerr, 1);
	cr_assert(strstr(errs, ": Is a directory") != NULL, "%s", errs);
}

Test(config, several_errors_all_reported)
{
	load_bad("mode: fast\n"
		 "log_level: loud\n"
		 "instruments:\n"
		 "  - { symbol: BTCUSDT, tick_size: 0, lot_size: 0.00001 }\n"
		 "  - { symbol: \"bad sym\", tick_size: 0.01, lot_size: 1, "
		 "bogus: 1 }\n"
		 "replay: { speed: 0, timeframe: 1M }\n"
		 "extra: 1\n", 8);
	has(1, 7, "mode", "found \"fast\"");
	has(2, 12, "log_level", "found \"loud\"");
	has(4, 35, "instruments[0].tick_size", "found \"0\"");
	has(5, 15, "instruments[1].symbol", "found \"bad sym\"");
	has(5, 56, "instruments[1].bogus", "unknown key");
	has(6, 18, "replay.speed", "found \"0\"");
	has(6, 32, "replay.timeframe", "found \"1M\"");
	has(7, 1, "extra", "unknown key");
}

#define STRAT1 INSTR "strategies:\n"

Test(config, strategy_unknown_symbol)
{
	load_bad(STRAT1
		 "  - { name: a, plugin: p, symbols: [BTCUSDT, XRPUSDT] }\n", 1);
	has(4, 46, "strategies[0].symbols[1]",
	    "unknown symbol \"XRPUSDT\": not in instruments");

	/* No instruments: that one error, not one per symbol. */
	load_bad("strategies:\n"
		 "  - { name: a, plugin: p, symbols: [BTCUSDT] }\n", 1);
	has(1, 1, "instruments", "required key missing");
}

Test(config, strategy_features)
{
	struct trd_config *c = load_ok(
		"instruments:\n"
		"  - { symbol: BTCUSDT, tick_size: 0.01, lot_size: 0.00001,"
		" shortable: true }\n"
		"features: { history: 64 }\n"
		"strategies:\n"
		"  - { name: a, plugin: p, symbols: [BTCUSDT],"
		" features: [\"rsi(14)\", \"bb(20, 2)\"] }\n");

	cr_assert_eq(c->instruments[0].shortable, 1);
	cr_assert_eq(c->features.history, 64);
	cr_assert_eq(c->strategies[0].nfeatures, 2);
	cr_assert_str_eq(c->strategies[0].features[1], "bb(20, 2)");
	trd_config_free(c);

	c = load_ok(INSTR);
	cr_assert_eq(c->instruments[0].shortable, 0);
	cr_assert_eq(c->features.history, 512);
	trd_config_free(c);

	/* Each bad name is reported with its place and the reason. */
	load_bad(STRAT1
		 "  - name: a\n"
		 "    plugin: p\n"
		 "    symbols: [BTCUSDT]\n"
		 "    features: [ \"rsi(0)\", \"bb(20)\", \"sma(a)\","
		 " \"rsi(14)\", \"rsi(14)\", 7 ]\n", 5);
	has(7, 17, "strategies[0].features[0]", "feature \"rsi(0)\": "
	    "parameter 1 of rsi (n) must be an integer from 1 to 100000, "
	    "found '0'");
	has(7, 27, "strategies[0].features[1]", "feature \"bb(20)\": bb "
	    "takes 2 parameters (n,k), found 1");
	has(7, 37, "strategies[0].features[2]", "feature \"sma(a)\": "
	    "parameter 1 of sma (n) must be an integer");
	has(7, 58, "strategies[0].features[4]", "duplicate feature rsi(14)");
	has(7, 69, "strategies[0].features[5]", "feature \"7\": not a "
	    "feature name (expected name(params)[.field]");
}

Test(config, strategy_duplicate_names)
{
	load_bad(STRAT1
		 "  - name: demo\n"
		 "    plugin: a\n"
		 "    symbols: [BTCUSDT]\n"
		 "  - { name: x, plugin: a, symbols: [BTCUSDT] }\n"
		 "  - { name: demo, plugin: b, symbols: [BTCUSDT] }\n", 1);
	has(8, 13, "strategies[2].name", "duplicate strategy name demo, "
	    "already given at line 4 (strategies[0])");
}

Test(config, strategy_bad_plugin_names)
{
	load_bad(STRAT1
		 "  - { name: a, plugin: ../evil, symbols: [BTCUSDT] }\n"
		 "  - { name: b, plugin: a/b, symbols: [BTCUSDT] }\n"
		 "  - { name: c, plugin: a.so, symbols: [BTCUSDT] }\n"
		 "  - { name: d/e, plugin: ok, symbols: [BTCUSDT] }\n", 4);
	has(4, 24, "strategies[0].plugin", "expected a name of 1 to 63 "
	    "characters from [A-Za-z0-9_-], found \"../evil\"");
	has(5, 24, "strategies[1].plugin", "found \"a/b\"");
	has(6, 24, "strategies[2].plugin", "found \"a.so\"");
	has(7, 13, "strategies[3].name", "expected a name of 1 to 63 "
	    "characters from [A-Za-z0-9_.-], found \"d/e\"");
}

Test(config, strategy_shapes)
{
	load_bad(STRAT1
		 "  - { name: e }\n"
		 "  - { name: f, plugin: p, symbols: [] }\n"
		 "  - { name: g, plugin: p, symbols: BTCUSDT }\n"
		 "  - { name: h, plugin: p, symbols: [BTCUSDT, BTCUSDT], "
		 "bogus: 1 }\n"
		 "  - nope\n", 7);
	has(4, 5, "strategies[0].plugin", "required key missing");
	has(4, 5, "strategies[0].symbols", "required key missing");
	has(5, 36, "strategies[1].symbols",
	    "expected a list of 1 to 4096 symbols, found 0");
	has(6, 36, "strategies[2].symbols", "found \"BTCUSDT\"");
	has(7, 46, "strategies[3].symbols[1]", "duplicate symbol BTCUSDT, "
	    "already given at line 7 (strategies[3].symbols[0])");
	has(7, 56, "strategies[3].bogus", "unknown key");
	has(8, 5, "strategies[4]", "expected a map, found \"nope\"");
}

Test(config, strategy_params)
{
	char *buf = malloc(4096), *p = buf;

	load_bad(STRAT1
		 "  - name: a\n"
		 "    plugin: p\n"
		 "    symbols: [BTCUSDT]\n"
		 "    params:\n"
		 "      nested: { x: 1 }\n"
		 "      list: [1]\n"
		 "      fast:\n"
		 "      bad-key: 1\n"
		 "      slow: 1\n"
		 "      slow: 2\n", 5);
	has(8, 15, "strategies[0].params.nested",
	    "expected a scalar value, found a map");
	has(9, 13, "strategies[0].params.list",
	    "expected a scalar value, found a list");
	has(10, 12, "strategies[0].params.fast",
	    "expected a scalar value, found null");
	has(11, 7, "strategies[0].params", "expected a parameter name of 1 "
	    "to 63 characters from [A-Za-z0-9_], found \"bad-key\"");
	has(13, 7, "strategies[0].params.slow",
	    "duplicate key (first given at line 12)");

	load_bad(STRAT1 "  - { name: a, plugin: p, symbols: [BTCUSDT], "
		 "params: [1] }\n", 1);
	has(4, 55, "strategies[0].params", "expected a map of parameter "
	    "names to scalar values, found a list");

	cr_assert(buf != NULL);
	p += sprintf(p, STRAT1 "  - { name: a, plugin: p, symbols: [BTCUSDT], "
		     "params: {");
	for (int i = 0; i < 65; i++)
		p += sprintf(p, "%sp%d: %d", i ? ", " : " ", i, i);
	strcpy(p, " } }\n");
	load_bad(buf, 1);
	has(4, 55, "strategies[0].params",
	    "expected at most 64 parameters, found 65");
	free(buf);
}

Test(config, account_and_venue)
{
	struct trd_config *c;

	load_bad(INSTR "account: { cash: 0 }\n"
		 "venue: { kind: live, fee_bps: -1, slippage_bps: 10001 }\n",
		 4);
	has(3, 18, "account.cash", "expected a decimal number > 0 with at "
	    "most 8 decimals, found \"0\"");
	has(4, 16, "venue.kind", "expected one of sim, found \"live\"");
	has(4, 31, "venue.fee_bps", "expected a decimal number from 0 to "
	    "10000 with at most 4 decimals, found \"-1\"");
	has(4, 49, "venue.slippage_bps", "found \"10001\"");

	load_bad(INSTR "account: { cash: -5 }\nvenue: { fee_bps: 0.00001 }\n",
		 2);
	has(3, 18, "account.cash", "found \"-5\"");
	has(4, 19, "venue.fee_bps", "with at most 4 decimals, "
	    "found \"0.00001\"");

	load_bad(INSTR "venue: { seed: 18446744073709551616 }\n", 1);
	has(3, 16, "venue.seed", "expected an integer from 0 to "
	    "18446744073709551615, found \"18446744073709551616\"");

	c = load_ok(INSTR "venue: { fee_bps: 10000, slippage_bps: 0.0001, "
		    "seed: 0 }\n");
	cr_assert_eq(c->venue.fee_bps, 100000000);
	cr_assert_eq(c->venue.slippage_bps, 1);
	cr_assert_eq(c->venue.seed, 0);
	trd_config_free(c);
}

#define STRAT(plugin, syms, params)                                      \
	INSTR "  - { symbol: ETHUSDT, tick_size: 1, lot_size: 1 }\n"     \
	"strategies:\n  - { name: s, plugin: " plugin ", symbols: [" syms \
	"], params: " params " }\n"

Test(config, reloadable_strategies)
{
	struct trd_config *a = load_ok(STRAT("p", "BTCUSDT", "{ fast: 10 }"));
	struct trd_config *b;
	char key[64];

	b = load_ok(STRAT("p", "BTCUSDT", "{ fast: 12, slow: 30 }"));
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 1);
	cr_assert_str_empty(key);
	trd_config_free(b);

	b = load_ok(STRAT("q", "BTCUSDT", "{ fast: 10 }"));
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "strategies[0].plugin");
	trd_config_free(b);

	b = load_ok(STRAT("p", "BTCUSDT, ETHUSDT", "{ fast: 10 }"));
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "strategies[0].symbols");
	trd_config_free(b);

	b = load_ok(STRAT("p", "BTCUSDT", "{ fast: 10 }")
		    "  - { name: t, plugin: p, symbols: [BTCUSDT] }\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "strategies");
	trd_config_free(b);

	b = load_ok(STRAT("p", "BTCUSDT", "{ fast: 10 }")
		    "venue: { fee_bps: 1 }\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "venue.fee_bps");
	trd_config_free(b);
	trd_config_free(a);
}

Test(config, reloadable)
{
	struct trd_config *a = load_ok(INSTR "replay: { speed: max }\n");
	struct trd_config *b;
	char key[64];

	b = load_ok(INSTR "replay: { speed: 500 }\nlog_level: debug\n"
		    "admin: { default_level: operator }\n");
	strcpy(key, "junk");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 1);
	cr_assert_str_empty(key);
	trd_config_free(b);

	/* The report is written from the start: its directory stays. */
	b = load_ok(INSTR "report_dir: /tmp/r\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "report_dir");
	trd_config_free(b);

	b = load_ok(INSTR "data_dir: /elsewhere\nreplay: { speed: 5 }\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "data_dir");
	trd_config_free(b);

	b = load_ok(INSTR "replay: { timeframe: 5m }\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "replay.timeframe");
	trd_config_free(b);

	b = load_ok("instruments:\n"
		    "  - { symbol: BTCUSDT, tick_size: 0.1, lot_size: 0.00001 }\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "instruments[0].tick_size");
	trd_config_free(b);

	b = load_ok(INSTR "  - { symbol: ETHUSDT, tick_size: 1, lot_size: 1 }\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "instruments");
	trd_config_free(b);

	b = load_ok(INSTR "mode: live\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "mode");
	trd_config_free(b);

	b = load_ok(INSTR "store: { map_max_mb: 1024 }\n");
	cr_assert_eq(trd_config_reloadable(a, b, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "store.map_max_mb");
	trd_config_free(b);
	trd_config_free(a);
}
