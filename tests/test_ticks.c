/*
 * Trades and quotes in the store: traderctl import --kind trades|quotes
 * of every layout, traderctl ticks, and the recorded Binance sessions
 * played by exsim into a paper session whose stored ticks and bars must
 * be exactly what the frames say.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binance.h"
#include "decimal.h"
#include "helpers.h"
#include "instrument.h"
#include "timefmt.h"

static char *
ctl(int want, const char *dir, const char *args)
{
	char *out = NULL;
	int rc = strncmp(args, "-c ", 3) == 0
			 ? th_run(&out, "%s %s 2>&1", th_bin("traderctl"), args)
			 : th_run(&out, "%s --data-dir %s/db %s 2>&1",
				  th_bin("traderctl"), dir, args);

	th_assert_outf(rc == want, out, "traderctl %s: exit %d, want %d", args,
		       rc, want);
	return out;
}

/* The first n data lines of the futures aggTrades file. */
static char *
agg_head(int n, size_t *len)
{
	const char *f = th_shared("binance_futures_trades/"
				  "BTCUSD_PERP-aggTrades-2026-05-08.csv");
	char *all, *p;
	int k = 0;

	cr_assert(f);
	all = th_read_file(f, len);
	cr_assert(all);
	for (p = all; *p && k <= n; p++)
		if (*p == '\n')
			k++;
	*p = '\0';
	*len = (size_t)(p - all);
	return all;
}

/* The USD-M file with its header, and as spot writes it: no header, an
 * eighth column, times in µs: the same trades either way. */
Test(ticks, binance_aggtrades_both_layouts)
{
	char *dir = th_tmpdir(), path[600], *text, *spot, *a, *b, *out;
	size_t len, o = 0;

	text = agg_head(300, &len);
	snprintf(path, sizeof(path), "%s/um.csv", dir);
	cr_assert_eq(th_write_file(path, text), 0);
	spot = malloc(len * 2);
	for (char *line = strchr(text, '\n') + 1; *line;) {
		char *nl = strchr(line, '\n'), *f[7];
		int k = 0;
		*nl = '\0';
		for (char *p = line; k < 7; k++) {
			f[k] = p;
			p = strchr(p, ',');
			if (p)
				*p++ = '\0';
		}
		o += (size_t)sprintf(spot + o, "%s,%s,%s,%s,%s,%s000,%s,True\n",
				     f[0], f[1], f[2], f[3], f[4], f[5],
				     strcmp(f[6], "true") == 0 ? "True"
							       : "False");
		line = nl + 1;
	}
	free(text);
	snprintf(path, sizeof(path), "%s/spot.csv", dir);
	cr_assert_eq(th_write_file(path, spot), 0);
	free(spot);

	snprintf(path, sizeof(path), "import --kind trades --symbol A %s/um.csv",
		 dir);
	free(ctl(0, dir, path));
	out = ctl(0, dir, path);
	th_assert_out(strstr(out, "binance aggTrades (ms): 300 rows read, 0 "
				  "imported, 300 already stored") != NULL,
		      out);
	free(out);
	snprintf(path, sizeof(path), "import --kind trades --symbol B "
		 "%s/spot.csv", dir);
	out = ctl(0, dir, path);
	th_assert_out(strstr(out, "binance aggTrades (us): 300 rows read, 300 "
				  "imported") != NULL, out);
	free(out);
	a = ctl(0, dir, "ticks --kind trades --symbol A");
	b = ctl(0, dir, "ticks --kind trades --symbol B");
	cr_assert_eq(th_count_lines(a), 301);
	cr_assert_str_eq(a, b);
	/* The first row as the file has it: buyer not maker, a buy. */
	th_assert_out(strstr(a, "ts,price,qty,side,id\n1778198400.02,"
				"79972.8,542,buy,480537903\n") == a, a);
	free(a);
	free(b);
	th_rmtree(dir);
	free(dir);
}

/* Printed ticks import back unchanged; bad rows are named, the rest
 * lands; the wrong --kind is refused before anything is stored. */
Test(ticks, csv_round_trip_and_bad_rows)
{
	char *dir = th_tmpdir(), path[600], cmd[800], *out, *back;

	snprintf(path, sizeof(path), "%s/q.csv", dir);
	cr_assert_eq(th_write_file(path,
		"ts,bid,bid_qty,ask,ask_qty\n"
		"1700000000,100.5,2,100.6,3\n"
		"1700000000,100.5,1,100.6,3\n"
		"1700000000.25,100.4,1,100.7,3\n"
		"1700000001,100.7,1,100.6,3\n"
		"1700000002,100.5,x,100.6,3\n"
		"1699999999,100.5,1,100.6,3\n"
		"1700000003,100.5,1,100.6\n"), 0);
	snprintf(cmd, sizeof(cmd), "import --kind quotes --symbol Q %s", path);
	out = ctl(2, dir, cmd);
	th_assert_out(strstr(out, "7 rows read, 3 imported, 0 already stored, "
				  "4 rejected") != NULL, out);
	th_assert_out(strstr(out, "line 5: bid 100.7 is not below ask 100.6"),
		      out);
	th_assert_out(strstr(out, "line 6: bid_qty 'x'"), out);
	th_assert_out(strstr(out, "line 7: time 2023-11-14T22:13:19Z goes "
				  "back"), out);
	th_assert_out(strstr(out, "line 8: 4 columns, expected 5"), out);
	free(out);
	out = ctl(0, dir, "ticks --kind quotes --symbol Q");
	cr_assert_str_eq(out, "ts,bid,bid_qty,ask,ask_qty\n"
			      "1700000000,100.5,2,100.6,3\n"
			      "1700000000,100.5,1,100.6,3\n"
			      "1700000000.25,100.4,1,100.7,3\n");
	snprintf(path, sizeof(path), "%s/back.csv", dir);
	cr_assert_eq(th_write_file(path, out), 0);
	free(out);
	snprintf(cmd, sizeof(cmd), "import --kind quotes --symbol Q %s", path);
	out = ctl(0, dir, cmd);
	th_assert_out(strstr(out, "3 rows read, 0 imported, 3 already stored"),
		      out);
	free(out);
	snprintf(cmd, sizeof(cmd), "import --kind trades --symbol Q %s", path);
	out = ctl(1, dir, cmd);
	th_assert_out(strstr(out, "quotes csv are quotes, not trades: use "
				  "--kind quotes"), out);
	free(out);
	back = ctl(0, dir, "ticks --kind quotes --symbol Q --from 1700000000.1");
	cr_assert_str_eq(back, "ts,bid,bid_qty,ask,ask_qty\n"
			       "1700000000.25,100.4,1,100.7,3\n");
	free(back);
	th_rmtree(dir);
	free(dir);
}

/* ---- the recorded sessions ---- */

struct session {
	const char *base;  /* under binance_ws_recorded/ */
	const char *syms[4];
	int         usdm;
	int         trades; /* in the frames, all symbols */
};

static const struct session sessions[] = {
	{ "binance_spot", { "BLZETH", "LRCBTC", "NKNUSDT", "RUNEEUR" }, 0, 2 },
	{ "binanceus_spot", { "COMPUSDT", "CRVUSDT", "OMGBUSD", "ZRXUSDT" }, 0,
	  11 },
	{ "binance_usdm_futures", { "AKROUSDT", "CTKUSDT", "KEEPUSDT",
				    "SUSHIUSDT" }, 1, 91 },
};

/* What the frames say, as traderctl prints it: per symbol, trades CSV
 * lines, bar CSV lines (closed klines), quote bid/ask lines. */
struct expect {
	char  *trades[4], *bars[4], *quotes[4];
	size_t nt[4], nb[4], nq[4];
};

static void
add(char **s, const char *line)
{
	size_t n = *s ? strlen(*s) : 0;

	*s = realloc(*s, n + strlen(line) + 1);
	strcpy(*s + n, line);
}

static void
expect_of(const struct session *ss, const char *frames, struct expect *x)
{
	struct trd_instr v[4];
	struct trd_registry reg;
	struct trd_bn bn;
	char *text, *p;
	size_t len;

	memset(x, 0, sizeof(*x));
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 4; i++) {
		snprintf(v[i].symbol, sizeof(v[i].symbol), "%s", ss->syms[i]);
		v[i].price_dp = v[i].qty_dp = 8;
		v[i].tick = v[i].lot = 1;
		add(&x->trades[i], "ts,price,qty,side,id\n");
		add(&x->bars[i], "ts,open,high,low,close,volume\n");
		add(&x->quotes[i], "");
	}
	cr_assert_eq(trd_registry_init_from(&reg, v, 4), 0);
	trd_bn_init(&bn, &reg);
	text = th_read_file(frames, &len);
	cr_assert(text);
	for (p = text; *p;) {
		char *e = strchr(p, '\n'), line[512], a[5][32], t[64];
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct trd_bn_msg m;

		cr_assert_eq(trd_bn_frame(&bn, p, n, &m), 0, "%s", bn.err);
		if (m.kind == TRD_BN_AGGTRADE) {
			const struct trd_trade *g = &m.u.trade.t;
			trd_dec_format_short(g->price, 8, a[0]);
			trd_dec_format_short(g->qty, 8, a[1]);
			snprintf(line, sizeof(line), "%s,%s,%s,%s,%llu\n",
				 trd_time_format_unix(g->ts_ns, t), a[0], a[1],
				 g->aggressor == 1 ? "buy" : "sell",
				 (unsigned long long)g->id);
			add(&x->trades[m.ins], line);
			x->nt[m.ins]++;
		} else if (m.kind == TRD_BN_KLINE && m.u.kline.closed) {
			const struct trd_bar *b = &m.u.kline.bar;
			trd_dec_format(b->open, 8, a[0]);
			trd_dec_format(b->high, 8, a[1]);
			trd_dec_format(b->low, 8, a[2]);
			trd_dec_format(b->close, 8, a[3]);
			trd_dec_format(b->volume, 8, a[4]);
			snprintf(line, sizeof(line), "%s,%s,%s,%s,%s,%s\n",
				 trd_time_format_unix(b->ts_ns, t), a[0], a[1],
				 a[2], a[3], a[4]);
			add(&x->bars[m.ins], line);
			x->nb[m.ins]++;
		} else if (m.kind == TRD_BN_BOOKTICKER) {
			const struct trd_quote *q = &m.u.ticker.q;
			trd_dec_format_short(q->bid, 8, a[0]);
			trd_dec_format_short(q->bid_qty, 8, a[1]);
			trd_dec_format_short(q->ask, 8, a[2]);
			trd_dec_format_short(q->ask_qty, 8, a[3]);
			snprintf(line, sizeof(line), "%s,%s,%s,%s\n", a[0],
				 a[1], a[2], a[3]);
			add(&x->quotes[m.ins], line);
			x->nq[m.ins]++;
		}
		p = e ? e + 1 : p + n;
	}
	free(text);
	trd_bn_free(&bn);
	trd_registry_free(&reg);
}

static void
expect_free(struct expect *x)
{
	for (int i = 0; i < 4; i++) {
		free(x->trades[i]);
		free(x->bars[i]);
		free(x->quotes[i]);
	}
}

/* Quotes as printed, less their time (spot's bookTicker has none: the
 * receive time stands in). */
static char *
strip_ts(char *s)
{
	char *o = s, *r = strchr(s, '\n') + 1;

	while (*r) {
		char *c = strchr(r, ','), *nl = strchr(r, '\n');
		size_t n = (size_t)(nl - c);
		memmove(o, c + 1, n);
		o += n;
		r = nl + 1;
	}
	*o = '\0';
	return s;
}

static void
play_session(const struct session *ss)
{
	char *dir = th_tmpdir(), conf[600], buf[4096], args[4096], *out;
	char frames[1024], base[512];
	struct expect x;
	int port, pid, rc, nt = 0;

	snprintf(base, sizeof(base), "%s",
		 th_shared("binance_ws_recorded/binance_spot.ws_frames.jsonl"));
	*strrchr(base, '/') = '\0';
	snprintf(frames, sizeof(frames), "%s/%s.ws_frames.jsonl", base,
		 ss->base);
	expect_of(ss, frames, &x);
	snprintf(args, sizeof(args), "%s--frames %s --recv-ts %s/%s.ws_recv_ts"
		 ".csv --snapshots %s/%s.rest_depth_snapshots.jsonl --speed 10",
		 ss->usdm ? "--usdm " : "", frames, base, ss->base, base,
		 ss->base);
	pid = th_exsim(dir, args, &port);
	snprintf(conf, sizeof(conf), "%s/paper.yaml", dir);
	snprintf(buf, sizeof(buf),
		 "mode: paper\ndata_dir: %s/db\nreport_dir: %s/report\n"
		 "log_level: info\ninstruments:\n"
		 "  - { symbol: %s, tick_size: 0.00000001, lot_size: 0.00000001 }\n"
		 "  - { symbol: %s, tick_size: 0.00000001, lot_size: 0.00000001 }\n"
		 "  - { symbol: %s, tick_size: 0.00000001, lot_size: 0.00000001 }\n"
		 "  - { symbol: %s, tick_size: 0.00000001, lot_size: 0.00000001 }\n"
		 "feed:\n  kind: %s\n  ws_url: ws://127.0.0.1:%d\n"
		 "  rest_url: http://127.0.0.1:%d\n"
		 "  streams: [kline_1m, aggTrade, bookTicker]\n"
		 "  bar_timeframe: 1m\n"
		 "account: { cash: 100000 }\nstrategies: []\n",
		 dir, dir, ss->syms[0], ss->syms[1], ss->syms[2], ss->syms[3],
		 ss->usdm ? "binance_usdm" : "binance_spot", port, port);
	cr_assert_eq(th_write_file(conf, buf), 0);
	/* 30 s of recording at 10 times: played in 3. */
	rc = th_run(&out, "timeout -s TERM 7 %s -c %s", th_bin("traderd"),
		    conf);
	th_assert_outf(rc == 124 || rc == 0, out, "exit %d", rc);
	th_assert_out(strstr(out, "paper session stopped") != NULL, out);
	free(out);
	th_exsim_stop(pid);
	for (int i = 0; i < 4; i++) {
		char cmd[256], *got;
		snprintf(cmd, sizeof(cmd), "ticks --kind trades --symbol %s",
			 ss->syms[i]);
		got = ctl(0, dir, cmd);
		cr_assert_str_eq(got, x.trades[i], "%s %s: stored trades "
				 "differ from the frames", ss->base,
				 ss->syms[i]);
		free(got);
		snprintf(cmd, sizeof(cmd), "bars --symbol %s --timeframe 1m",
			 ss->syms[i]);
		got = ctl(0, dir, cmd);
		cr_assert_str_eq(got, x.bars[i], "%s %s: stored bars differ "
				 "from the closed klines", ss->base,
				 ss->syms[i]);
		free(got);
		snprintf(cmd, sizeof(cmd), "ticks --kind quotes --symbol %s",
			 ss->syms[i]);
		got = strip_ts(ctl(0, dir, cmd));
		cr_assert_str_eq(got, x.quotes[i], "%s %s: stored quotes "
				 "differ from the bookTicker frames",
				 ss->base, ss->syms[i]);
		free(got);
		nt += (int)x.nt[i];
	}
	cr_assert_eq(nt, ss->trades);
	expect_free(&x);
	th_rmtree(dir);
	free(dir);
}

Test(ticks, recorded_spot_session_stored_exactly, .timeout = 60)
{
	play_session(&sessions[0]);
}

Test(ticks, recorded_binanceus_session_stored_exactly, .timeout = 60)
{
	play_session(&sessions[1]);
}

Test(ticks, recorded_usdm_session_stored_exactly, .timeout = 60)
{
	play_session(&sessions[2]);
}

/* ---- replay with ticks ---- */

/* Five minutes of bars and a quote every second (at .25 s, ask rising a
 * cent a second); pulse buys a lot every 500 ms.  With replay.ticks:
 * quotes every buy fills at the ask of the first quote after it, at that
 * quote's time, and a second run gives the same fills byte for byte. */
Test(ticks, replay_fills_market_orders_at_the_touch, .timeout = 60)
{
	char *dir = th_tmpdir(), path[600], cmd[1200], *csv, *fills, *again;
	char *line, *save = NULL;
	int64_t t0 = 1700000040;
	size_t o = 0;
	int n = 0;

	csv = malloc(1 << 16);
	o = (size_t)sprintf(csv, "ts,open,high,low,close,volume\n");
	for (int k = 0; k < 5; k++)
		o += (size_t)sprintf(csv + o, "%lld,100,110,90,100,1000\n",
				     (long long)(t0 + 60 * k));
	snprintf(path, sizeof(path), "%s/bars.csv", dir);
	cr_assert_eq(th_write_file(path, csv), 0);
	o = (size_t)sprintf(csv, "ts,bid,bid_qty,ask,ask_qty\n");
	for (int s = 0; s < 300; s++)
		o += (size_t)sprintf(csv + o, "%lld.25,%d.%02d,10,%d.%02d,10\n",
				     (long long)(t0 + s), 99 + s / 100,
				     s % 100, 100 + s / 100, s % 100);
	snprintf(path, sizeof(path), "%s/quotes.csv", dir);
	cr_assert_eq(th_write_file(path, csv), 0);
	free(csv);
	snprintf(path, sizeof(path), "%s/conf.yaml", dir);
	snprintf(cmd, sizeof(cmd),
		 "mode: replay\ndata_dir: %s/db\nreport_dir: %s/report\n"
		 "plugin_dir: %s/tests/plugins\n"
		 "replay: { timeframe: 1m, ticks: quotes }\n"
		 "instruments:\n  - { symbol: SYM, price_dp: 2, qty_dp: 3, "
		 "tick_size: 0.01, lot_size: 0.001 }\n"
		 "account: { cash: 1000000 }\n"
		 "strategies:\n  - { name: p, plugin: pulse, symbols: [SYM] }\n",
		 dir, dir, getenv("TRD_BIN_DIR"));
	cr_assert_eq(th_write_file(path, cmd), 0);
	snprintf(cmd, sizeof(cmd), "-c %s/conf.yaml import --symbol SYM "
		 "--timeframe 1m %s/bars.csv", dir, dir);
	free(ctl(0, dir, cmd));
	snprintf(cmd, sizeof(cmd), "-c %s/conf.yaml import --kind quotes "
		 "--symbol SYM %s/quotes.csv", dir, dir);
	free(ctl(0, dir, cmd));
	th_expect(0, "%s -c %s/conf.yaml", th_bin("traderd"), dir);
	snprintf(path, sizeof(path), "%s/report/fills.csv", dir);
	fills = th_read_file(path, NULL);
	cr_assert(fills);
	th_expect(0, "%s -c %s/conf.yaml", th_bin("traderd"), dir);
	again = th_read_file(path, NULL);
	cr_assert(again);
	cr_assert_str_eq(fills, again, "a second replay filled differently");
	for (line = strtok_r(fills, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[9], want[32];
		int k = 0;
		long long sec;
		for (char *p = line; k < 9; k++) {
			f[k] = p;
			if ((p = strchr(p, ',')) == NULL)
				break;
			*p++ = '\0';
		}
		if (strcmp(f[0], "order_id") == 0)
			continue;
		cr_assert_eq(k, 8, "fills.csv row with %d columns", k + 1);
		sec = strtoll(f[7], NULL, 10) - t0;
		cr_assert(strstr(f[7], ".25") != NULL, "fill at %s, not at a "
			  "quote", f[7]);
		snprintf(want, sizeof(want), "%lld.%02lld", 100 + sec / 100,
			 sec % 100);
		cr_assert_eq(llround(strtod(f[5], NULL) * 100), 10000 + sec,
			     "fill at %s: price %s, the ask then was %s", f[7],
			     f[5], want);
		n++;
	}
	/* A buy every 500 ms for about five minutes. */
	cr_assert_gt(n, 500, "%d fills", n);
	free(fills);
	free(again);
	th_rmtree(dir);
	free(dir);
}
