/*
 * Paper trading as a user runs it: traderd with mode: paper against
 * tools/exsim on 127.0.0.1, stopped with SIGTERM, then its tape replayed
 * with --replay --source tape.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static void
write_conf(const char *path, const char *dir, int port, const char *mode,
	   const char *report, const char *pdir, const char *strategies,
	   const char *extra)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "mode: %s\n"
		 "data_dir: %s/db\n"
		 "report_dir: %s/%s\n"
		 "log_level: info\n"
		 "report: { equity_interval: 1s }\n"
		 "plugin_dir: %s/%s\n"
		 "instruments:\n"
		 "  - { symbol: SYM0USDT, price_dp: 2, qty_dp: 3, tick_size: "
		 "0.01, lot_size: 0.001, shortable: true }\n"
		 "  - { symbol: SYM1USDT, price_dp: 2, qty_dp: 3, tick_size: "
		 "0.01, lot_size: 0.001, shortable: true }\n"
		 "  - { symbol: SYM2USDT, price_dp: 2, qty_dp: 3, tick_size: "
		 "0.01, lot_size: 0.001, shortable: true }\n"
		 "feed:\n"
		 "  kind: binance_spot\n"
		 "  ws_url: ws://127.0.0.1:%d\n"
		 "  rest_url: http://127.0.0.1:%d\n"
		 "  streams: [aggTrade, bookTicker, depth]\n"
		 "  bar_timeframe: 1s\n"
		 "account: { cash: 100000 }\n"
		 "venue: { kind: sim, fee_bps: 5 }\n"
		 "%s"
		 "strategies:\n%s",
		 mode, dir, dir, report, getenv("TRD_BIN_DIR"), pdir, port, port,
		 extra, strategies);
	cr_assert_eq(th_write_file(path, buf), 0);
}

/* A paper session, SIGTERM after secs (timeout(1) sends it). */
static void
paper(const char *conf, unsigned secs)
{
	char *out = NULL;
	int rc = th_run(&out, "timeout -s TERM %u %s -c %s", secs,
			th_bin("traderd"), conf);

	/* timeout exits 124 when it had to send the signal; traderd itself
	 * then exits 0 after writing the report. */
	th_assert_outf(rc == 124 || rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "paper session stopped") != NULL, out);
	th_assert_out(strstr(out, "report: ") != NULL, out);
	free(out);
}

static char *
file(const char *dir, const char *sub, const char *name)
{
	char p[1024];
	char *s;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	s = th_read_file(p, NULL);
	cr_assert(s, "%s missing", p);
	return s;
}

/* The exchange goes silent for 4 s: with stale_data_s 1 risk refuses
 * every order on it until data comes back, then accepts them again. */
Test(paper, stall_marks_stale_and_risk_refuses)
{
	char *dir = th_tmpdir(), conf[600], *orders, *line, *save = NULL;
	int port, before = 0, stale = 0, after = 0;
	int x = th_exsim(dir, "--symbols 3 --rate 20 --seed 2 --stall-at 3 "
			"--stall-for 4", &port);

	snprintf(conf, sizeof(conf), "%s/paper.yaml", dir);
	write_conf(conf, dir, port, "paper", "paper", "tests/plugins",
		   "  - { name: pulse, plugin: pulse, symbols: [SYM0USDT] }\n",
		   "risk: { stale_data_s: 1 }\n");
	paper(conf, 12);
	th_exsim_stop(x);
	orders = file(dir, "paper", "orders.csv");
	/* orders.csv: ...,submit_ts (8th),status (9th),reason (10th)...;
	 * rows are not in time order (rejects are written at once). */
	double lo = 1e300, hi = -1e300;
	double ts[512];
	int st[512], n = 0;
	for (line = strtok_r(orders, "\n", &save); line && n < 512;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[11];
		int k = 0;
		for (char *p = line; k < 11; k++) {
			f[k] = p;
			if ((p = strchr(p, ',')) == NULL)
				break;
			*p++ = '\0';
		}
		if (k < 10 || strcmp(f[0], "id") == 0)
			continue;
		ts[n] = strtod(f[7], NULL);
		/* 1: let through by risk (filled, or accepted and waiting
		 * for its bar when the session ended) */
		st[n] = strcmp(f[8], "rejected") != 0 ? 1
			: strstr(f[9], "stale") ? 2 : 0;
		if (st[n] == 2) {
			stale++;
			lo = ts[n] < lo ? ts[n] : lo;
			hi = ts[n] > hi ? ts[n] : hi;
		}
		n++;
	}
	for (int i = 0; i < n; i++) {
		if (st[i] == 1 && ts[i] < lo)
			before++;
		if (st[i] == 1 && ts[i] > hi)
			after++;
		/* Nothing got through in the middle of the silence. */
		cr_assert(!(st[i] == 1 && ts[i] > lo && ts[i] < hi),
			  "an order let through at %.3f while stale", ts[i]);
	}
	cr_assert_gt(before, 2, "orders went through before the stall");
	cr_assert_gt(stale, 3, "%d refused while stale", stale);
	cr_assert_gt(after, 2, "orders went through once data returned");
	free(orders);
	th_rmtree(dir);
	free(dir);
}

/*
 * Live-replay parity: a paper session (TRD_PARITY_S seconds, 300 unless
 * set) of three symbols on 1 s bars built from trades, sma_cross trading
 * them, and the replay of its tape give identical orders, fills and
 * trades; the bars it built are in the store.
 */
Test(paper, tape_replay_reproduces_the_session, .timeout = 900)
{
	char *dir = th_tmpdir(), conf[600], rconf[600], *out = NULL;
	const char *env = getenv("TRD_PARITY_S");
	unsigned secs = env ? (unsigned)atoi(env) : 300;
	static const char *const files[] = { "orders.csv", "fills.csv",
					     "trades.csv", "order_events.csv" };
	const char *strat =
		"  - { name: trend, plugin: sma_cross, symbols: [SYM0USDT, "
		"SYM1USDT, SYM2USDT],\n"
		"      params: { fast: 5, slow: 20, sizing: fraction, "
		"fraction: 0.05 } }\n";
	int port, rc;
	int x = th_exsim(dir, "--symbols 3 --rate 20 --seed 4", &port);

	snprintf(conf, sizeof(conf), "%s/paper.yaml", dir);
	snprintf(rconf, sizeof(rconf), "%s/replay.yaml", dir);
	write_conf(conf, dir, port, "paper", "paper", "plugins", strat, "");
	write_conf(rconf, dir, port, "replay", "replay", "plugins", strat, "");
	paper(conf, secs);
	th_exsim_stop(x);
	rc = th_run(&out, "%s -c %s --replay --source tape", th_bin("traderd"),
		    rconf);
	th_assert_outf(rc == 0, out, "replay exit %d", rc);
	free(out);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *a = file(dir, "paper", files[i]);
		char *b = file(dir, "replay", files[i]);
		if (i == 0)
			cr_assert_gt(th_count_lines(a), secs >= 300 ? 10 : 2,
				     "the strategy "
				     "hardly traded: %zu lines of orders",
				     th_count_lines(a));
		cr_assert_str_eq(a, b, "%s differs between the paper session "
				 "and its replay", files[i]);
		free(a);
		free(b);
	}
	/* traderctl tape: one JSON line per input; the frames are the
	 * exchange's JSON, byte for byte. */
	rc = th_run(&out, "%s -c %s tape | python3 -c 'import sys, json\n"
		    "n = {}\n"
		    "for l in sys.stdin:\n"
		    "    r = json.loads(l); n[r[\"kind\"]] = n.get(r[\"kind\"], 0) + 1\n"
		    "    if r[\"kind\"] == \"frame\": json.loads(r[\"data\"])\n"
		    "assert n[\"start\"] == 1 and n[\"frame\"] > %u, n\n"
		    "print(n)'", th_bin("traderctl"), conf, secs * 20);
	th_assert_outf(rc == 0, out, "traderctl tape exit %d", rc);
	free(out);
	/* The 1 s bars the session built were added to the store. */
	rc = th_run(&out, "%s -c %s bars --symbol SYM1USDT --timeframe 1s",
		    th_bin("traderctl"), conf);
	th_assert_outf(rc == 0 && th_count_lines(out) > secs / 2, out,
		       "exit %d, %zu lines", rc, th_count_lines(out));
	free(out);
	th_rmtree(dir);
	free(dir);
}
