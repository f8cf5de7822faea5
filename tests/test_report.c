/*
 * report: the files a backtest leaves behind, checked against figures
 * worked out here from the definitions in README.md; order events, reject
 * codes and kill switch trips; determinism; bounded charts; a directory
 * that cannot be created; a write that fails; an abort.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decimal.h"
#include "helpers.h"
#include "instrument.h"
#include "oms.h"
#include "report.h"
#include "timefmt.h"
#include "traderd/types.h"

#define SEC  TRD_NS_PER_SEC
#define CASH 100000000LL /* one unit of cash */
#define DAY  86400
#define T0   1577836800LL /* 2020-01-01 */

static const char *files[] = { "equity.csv",	 "fills.csv",
			       "trades.csv",	 "order_events.csv",
			       "orders.csv",	 "daily.csv",
			       "report.json",	 "report.html" };
#define NFILES (sizeof(files) / sizeof(files[0]))

/* The report reads names and scales from the instrument registry. */
static struct trd_registry reg;
static const char *const strats[] = { "sma", "rsi, fast" };

static void
setup(void)
{
	struct trd_instr v[2] = {
		{ .symbol = "BTCUSDT", .price_dp = 2, .qty_dp = 6, .tick = 1,
		  .lot = 1, .store_id = TRD_INSTR_NO_STORE },
		{ .symbol = "ETHUSDT", .price_dp = 2, .qty_dp = 4, .tick = 1,
		  .lot = 1, .store_id = TRD_INSTR_NO_STORE },
	};

	cr_assert_eq(trd_registry_init_from(&reg, v, 2), 0);
}

static void
teardown(void)
{
	trd_registry_free(&reg);
}

TestSuite(report, .init = setup, .fini = teardown);

static struct trd_report_meta
meta(const char *dir)
{
	return (struct trd_report_meta){
		.dir = dir, .initial_cash = 100 * CASH, .tf_s = DAY,
		.reg = &reg, .strategies = strats, .nstrat = 2,
	};
}

/* The order manager's client ids: <run>-<strategy>-<seq>. */
static void
client_ids(struct trd_order *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(o[i].client_id, sizeof(o[i].client_id), "bt-%u-%u",
			 o[i].strat, o[i].seq);
}

static char *
path(const char *dir, const char *name)
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static char *
slurp(const char *dir, const char *name)
{
	char *s = th_read_file(path(dir, name), NULL);

	cr_assert_not_null(s, "missing %s", name);
	return s;
}

static struct trd_order
order(uint64_t id, uint32_t strat, uint32_t ins, int side, int type,
      int64_t qty, int64_t price, int status, const char *reason)
{
	struct trd_order o = {
		.id = id, .strat = strat, .ins = ins, .side = (uint8_t)side,
		.type = (uint8_t)type, .status = (uint8_t)status, .qty = qty,
		.price = price, .submit_ns = (T0 + DAY) * SEC + (int64_t)id,
	};

	snprintf(o.reason, sizeof(o.reason), "%s", reason);
	return o;
}

/* Two kill switch trips; their reasons need escaping in json and html. */
static const struct trd_report_trip trips[] = {
	{ (T0 + 2 * DAY) * SEC + SEC / 2,
	  "drawdown 10.5% > 10% <limit> & \"stop\"" },
	{ (T0 + 3 * DAY) * SEC, "plugin \"x\": a\\b" },
};

/*
 * The hand-made run: equity 100, 110, 99, 121 on four daily closes from an
 * initial 100; two fills, a winning and a losing trade, five orders (one
 * of each final state but new), the kill switch tripped twice and still on.
 */
static void
feed(const char *dir)
{
	static const int64_t eq[] = { 100, 110, 99, 121 };
	static const int64_t cash[] = { 100, 50, 40, 121 };
	struct trd_order ord[5] = {
		order(1, 0, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 1500000, 0,
		      TRD_ORDER_FILLED, ""),
		order(2, 1, 1, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 20000, 123450,
		      TRD_ORDER_REJECTED, "price, out of band"),
		order(3, 0, 0, TRD_SIDE_SELL, TRD_ORDER_STOP, 1500000, 990000,
		      TRD_ORDER_CANCELED, "said \"stop\""),
		order(4, 1, 1, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10000, 100,
		      TRD_ORDER_PARTIALLY_FILLED, ""),
		order(5, 0, 0, TRD_SIDE_SELL, TRD_ORDER_TRAILING_STOP, 1500000,
		      0, TRD_ORDER_EXPIRED, "expired"),
	};

	/* Filled in full, and in part (still open at the end): one filled,
	 * one partially filled. */
	ord[0].filled = ord[0].qty;
	ord[0].fill_value = (__int128)ord[0].qty * 720050;
	ord[3].filled = 5000;
	ord[3].fill_value = (__int128)5000 * 100;
	ord[0].seq = 1;
	ord[1].seq = 1;
	ord[1].tif = TRD_TIF_IOC;
	ord[1].flags = TRD_ORDER_POST_ONLY;
	ord[1].reject_code = TRD_REJ_PRICE_COLLAR;
	ord[2].seq = 2;
	ord[2].flags = TRD_ORDER_REDUCE_ONLY;
	ord[2].link_id = 5;
	ord[3].seq = 2;
	/* An OCO leg of a bracket: every new column set. */
	ord[4].seq = 3;
	ord[4].tif = TRD_TIF_GTD;
	ord[4].flags = TRD_ORDER_POST_ONLY | TRD_ORDER_REDUCE_ONLY;
	ord[4].stop_price = 700000;
	ord[4].trail = 5025;
	ord[4].expire_ns = (T0 + 4 * DAY) * SEC;
	ord[4].link_id = 3;
	ord[4].parent_id = 1;
	/* What finish reads of the order manager: the orders still open. */
	struct trd_oms oms = { .open_head = &ord[3] };
	struct trd_report_risk risk = { 1, trips, 2 };
	struct trd_trade_rec win = {
		.strat = 0, .ins = 0, .side = TRD_SIDE_BUY, .qty = 1500000,
		.entry_ns = (T0 + DAY) * SEC, .exit_ns = (T0 + 2 * DAY) * SEC,
		.entry_price = 720050, .exit_price = 730000,
		.pnl = 16 * CASH, .fees = CASH,
	};
	struct trd_trade_rec loss = {
		.strat = 1, .ins = 1, .side = TRD_SIDE_SELL, .qty = 10000,
		.entry_ns = (T0 + 2 * DAY) * SEC + SEC / 2,
		.exit_ns = (T0 + 3 * DAY) * SEC, .entry_price = 100,
		.exit_price = 150, .pnl = -4 * CASH, .fees = CASH,
	};
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;

	client_ids(ord, 5);
	cr_assert_eq(trd_report_open(&r, &m), 0);
	for (int i = 0; i < 5; i++) {
		ord[i].update_ns = ord[i].submit_ns + SEC;
		trd_report_order(r, &ord[i]);
	}
	for (int i = 0; i < 4; i++) {
		trd_report_sample(r, (T0 + (i + 1) * DAY) * SEC, eq[i] * CASH,
				  cash[i] * CASH + (i == 1 ? CASH / 2 : 0),
				  i == 1 || i == 2, 2);
		if (i == 0)
			trd_report_fill(r, &ord[0], 1500000, 720050, 35000000,
					(T0 + DAY) * SEC);
		if (i == 1)
			trd_report_fill(r, &ord[3], 5000, 100, 1,
					(T0 + 2 * DAY) * SEC + SEC / 4);
	}
	trd_report_trade(r, &win);
	trd_report_trade(r, &loss);
	cr_assert_eq(trd_report_finish(r, &oms, 35000001, &risk), 0);
}

/* The only entries are the final files: no temporary is left. */
static void
assert_clean_dir(const char *dir, size_t want)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		cr_assert_neq(e->d_name[0], '.', "left behind: %s", e->d_name);
		n++;
	}
	closedir(d);
	cr_assert_eq(n, want);
}

/* The text after "key": on its line, up to the trailing comma. */
static char *
json_value(const char *key, const char **after)
{
	static char val[256];
	char pat[128];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\n  \"%s\": ", key);
	p = strstr(*after, pat);
	cr_assert_not_null(p, "key %s missing or out of order", key);
	p += strlen(pat);
	e = strchr(p, '\n');
	cr_assert_not_null(e);
	if (e[-1] == ',')
		e--;
	snprintf(val, sizeof(val), "%.*s", (int)(e - p), p);
	*after = p;
	return val;
}

static void
assert_near(const char *got, double want, const char *key)
{
	double v = strtod(got, NULL);

	cr_assert(fabs(v - want) <= 1e-9 * fabs(want) + 1e-15,
		  "%s: got %s, want %.17g", key, got, want);
}

Test(report, files_and_metrics)
{
	char *dir = th_tmpdir(), *json, *s;
	const char *at;
	double ret[4] = { 0, 0.1, 99.0 / 110 - 1, 121.0 / 99 - 1 };
	double mean = 0, var = 0, down = 0, P = 365.25, years;

	feed(dir);
	for (size_t i = 0; i < NFILES; i++)
		cr_assert_eq(access(path(dir, files[i]), R_OK), 0, "%s",
			     files[i]);
	assert_clean_dir(dir, NFILES);

	for (int i = 0; i < 4; i++)
		mean += ret[i] / 4;
	for (int i = 0; i < 4; i++) {
		var += (ret[i] - mean) * (ret[i] - mean) / 3;
		down += ret[i] < 0 ? ret[i] * ret[i] / 4 : 0;
	}
	years = (3.0 * DAY + DAY) / (365.25 * DAY);

	json = slurp(dir, "report.json");
	at = json;
	cr_assert_eq(json[0], '{');
	cr_assert_str_eq(json_value("bars", &at), "8");
	cr_assert_str_eq(json_value("orders_submitted", &at), "5");
	cr_assert_str_eq(json_value("orders_filled", &at), "1");
	cr_assert_str_eq(json_value("orders_partially_filled", &at), "1");
	cr_assert_str_eq(json_value("orders_rejected", &at), "1");
	cr_assert_str_eq(json_value("orders_canceled", &at), "1");
	cr_assert_str_eq(json_value("orders_expired", &at), "1");
	cr_assert_str_eq(json_value("trades", &at), "2");
	cr_assert_str_eq(json_value("initial_cash", &at), "100");
	cr_assert_str_eq(json_value("final_equity", &at), "121");
	assert_near(json_value("total_return", &at), 0.21,
		    "total_return");
	assert_near(json_value("cagr", &at), pow(1.21, 1 / years) - 1,
		    "cagr");
	assert_near(json_value("sharpe", &at),
		    mean / sqrt(var) * sqrt(P), "sharpe");
	assert_near(json_value("sortino", &at),
		    mean / sqrt(down) * sqrt(P), "sortino");
	cr_assert_str_eq(json_value("max_drawdown", &at), "0.1");
	/* Peak 110 on day 2, regained on day 4. */
	cr_assert_str_eq(json_value("max_drawdown_duration_s", &at),
			 "172800");
	cr_assert_str_eq(json_value("win_rate", &at), "0.5");
	cr_assert_str_eq(json_value("profit_factor", &at), "3");
	cr_assert_str_eq(json_value("fees_paid", &at), "0.35000001");
	cr_assert_str_eq(json_value("exposure", &at), "0.5");
	cr_assert_str_eq(json_value("start", &at),
			 "\"2020-01-02T00:00:00Z\"");
	cr_assert_str_eq(json_value("end", &at),
			 "\"2020-01-05T00:00:00Z\"");
	cr_assert_str_eq(json_value("timeframe_s", &at), "86400");
	cr_assert_not_null(strstr(at, "\n  \"rejects_by_reason\": {\n"
				      "    \"price_collar\": 1\n  },\n"
				      "  \"risk\": {\n    \"halted\": true,\n"
				      "    \"trips\": [\n"
				      "      { \"ts\": \"2020-01-03T00:00:00.5Z\", "
				      "\"reason\": \"drawdown 10.5% > 10% <limit> "
				      "& \\\"stop\\\"\" },\n"
				      "      { \"ts\": \"2020-01-04T00:00:00Z\", "
				      "\"reason\": \"plugin \\\"x\\\": a\\\\b\" }\n"
				      "    ]\n  },\n"), "%s", json);
	cr_assert_not_null(strstr(at, "  \"strategies\": [\n    \"sma\",\n"
				      "    \"rsi, fast\"\n  ],\n"
				      "  \"instruments\": [\n"
				      "    \"BTCUSDT\",\n    \"ETHUSDT\"\n"
				      "  ]\n}\n"),
			   "%s", json);
	free(json);

	s = slurp(dir, "equity.csv");
	cr_assert_str_eq(s, "ts,equity,cash,drawdown\n"
			    "1577923200,100,100,0\n"
			    "1578009600,110,50.5,0\n"
			    "1578096000,99,40,0.1\n"
			    "1578182400,121,121,0\n");
	free(s);

	/* The first ten columns as before 1.2; then the new ones, empty
	 * where not set.  Rows as the orders closed, then those still open
	 * (order 4) in id order. */
	s = slurp(dir, "orders.csv");
	cr_assert_str_eq(s, "id,strategy,symbol,side,type,quantity,price,"
			    "submit_ts,status,reason,tif,flags,stop_price,"
			    "trail,expire_ts,link_id,parent_id,client_id,"
			    "filled_qty,avg_price,reject_code\n"
			    "1,sma,BTCUSDT,buy,market,1.5,,"
			    "1577923200.000000001,filled,,"
			    "gtc,,,,,,,bt-0-1,1.5,7200.5,\n"
			    "2,\"rsi, fast\",ETHUSDT,sell,limit,2,1234.5,"
			    "1577923200.000000002,rejected,"
			    "\"price, out of band\","
			    "ioc,post_only,,,,,,bt-1-1,0,,"
			    "price_collar\n"
			    "3,sma,BTCUSDT,sell,stop,1.5,9900,"
			    "1577923200.000000003,canceled,"
			    "\"said \"\"stop\"\"\","
			    "gtc,reduce_only,,,,5,,bt-0-2,0,,\n"
			    "5,sma,BTCUSDT,sell,trailing_stop,1.5,,"
			    "1577923200.000000005,expired,expired,"
			    "gtd,post_only|reduce_only,7000,50.25,1578182400,"
			    "3,1,bt-0-3,0,,\n"
			    "4,\"rsi, fast\",ETHUSDT,buy,limit,1,1,"
			    "1577923200.000000004,partially_filled,,"
			    "gtc,,,,,,,bt-1-2,0.5,1,\n");
	free(s);

	s = slurp(dir, "fills.csv");
	cr_assert_str_eq(s, "order_id,strategy,symbol,side,quantity,price,"
			    "fee,ts,ref_price\n"
			    "1,sma,BTCUSDT,buy,1.5,7200.5,0.35,1577923200,"
			    "7200.5\n"
			    "4,\"rsi, fast\",ETHUSDT,buy,0.5,1,0.00000001,"
			    "1578009600.25,1\n");
	free(s);

	s = slurp(dir, "trades.csv");
	cr_assert_str_eq(s, "strategy,symbol,side,quantity,entry_ts,"
			    "entry_price,exit_ts,exit_price,pnl,fees,"
			    "net_pnl\n"
			    "sma,BTCUSDT,long,1.5,1577923200,7200.5,"
			    "1578009600,7300,16,1,15\n"
			    "\"rsi, fast\",ETHUSDT,short,1,1578009600.5,1,"
			    "1578096000,1.5,-4,1,-5\n");
	free(s);

	s = slurp(dir, "report.html");
	cr_assert_not_null(strstr(s, "<svg"));
	cr_assert_not_null(strstr(s, "<path class=\"eq\""));
	cr_assert_not_null(strstr(s, "class=\"win\""));
	cr_assert_not_null(strstr(s, "class=\"loss\""));
	cr_assert_not_null(strstr(s, "2020-01-02 00:00"));
	cr_assert_not_null(strstr(s, "rsi, fast"));
	cr_assert_null(strstr(s, "http"));
	cr_assert_null(strstr(s, "<script"));
	/* The risk section: the state, each trip escaped, the rejects. */
	cr_assert_not_null(strstr(s, "<h2>Kill switch and rejections</h2>\n"
				     "<p>Kill switch: "
				     "<b>halted</b> at the end of the run; "
				     "2 trips.</p>\n"), "%s", s);
	cr_assert_not_null(strstr(s, "<tr><td>2020-01-03T00:00:00.5Z</td>"
				     "<td class=\"txt\">drawdown 10.5% &gt; "
				     "10% &lt;limit&gt; &amp; &quot;stop&quot;"
				     "</td></tr>\n"
				     "<tr><td>2020-01-04T00:00:00Z</td>"
				     "<td class=\"txt\">plugin &quot;x&quot;: "
				     "a\\b</td></tr>\n"), "%s", s);
	cr_assert_null(strstr(s, "<limit>"));
	cr_assert_not_null(strstr(s, "<tr><th>price_collar</th><td>1</td>"
				     "</tr>\n"));
	cr_assert_not_null(strstr(s, "<tr><th>Orders expired</th><td>1</td>"
				     "</tr>\n"));
	free(s);
	th_rmtree(dir);
	free(dir);
}

Test(report, deterministic)
{
	char *a = th_tmpdir(), *b = th_tmpdir();

	feed(a);
	feed(b);
	for (size_t i = 0; i < NFILES; i++) {
		size_t la, lb;
		char *x = th_read_file(path(a, files[i]), &la);
		char *y = th_read_file(path(b, files[i]), &lb);

		cr_assert(x && y && la == lb && memcmp(x, y, la) == 0,
			  "%s differs between runs", files[i]);
		free(x);
		free(y);
	}
	th_rmtree(a);
	th_rmtree(b);
	free(a);
	free(b);
}

/* equity.csv at an interval: one row per interval of bar time, the last
 * sample in it, on round times; metrics still see every sample. */
Test(report, equity_interval)
{
	char *dir = th_tmpdir(), *s, *json;
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;

	m.tf_s = 60;
	m.equity_interval_s = 3600;
	cr_assert_eq(trd_report_open(&r, &m), 0);
	/* Bars close at 00:01 .. 02:30: rows at 01:00, 02:00 and 02:30.
	 * Equity peaks at 106 and falls to 100 (a 6/106 drawdown) between
	 * rows, which only the metrics see. */
	for (int i = 1; i <= 150; i++)
		trd_report_sample(r, (T0 + 60 * i) * SEC,
				  (100 + (i == 60 ? 5 : i % 7)) * CASH,
				  100 * CASH, 0, 1);
	cr_assert_eq(trd_report_finish(r, NULL, 0, NULL), 0);
	s = slurp(dir, "equity.csv");
	cr_assert_str_eq(s, "ts,equity,cash,drawdown\n"
			 "1577840400,105,100,0.0094339623\n"
			 "1577844000,101,100,0.0471698113\n"
			 "1577845800,103,100,0.0283018868\n");
	json = slurp(dir, "report.json");
	cr_assert(strstr(json, "\"bars\": 150,") != NULL, "%s", json);
	cr_assert(strstr(json, "\"max_drawdown\": 0.05660377358") != NULL,
		  "%s", json);
	free(s);
	free(json);
	th_rmtree(dir);
	free(dir);
}

/* The equity path of flat_runs: plateaus at the peak, under water and
 * at the end, exposure on and off, one bar or two per sample.  Returns
 * report.json and report.html of the run. */
static void
run_plateaus(const char *dir, uint32_t interval_s, char **json, char **html)
{
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;
	int64_t ts = T0 * SEC, eq = 100 * CASH;

	m.tf_s = 60;
	m.equity_interval_s = interval_s;
	cr_assert_eq(trd_report_open(&r, &m), 0);
	/* Enough samples for the chart's stride to grow: the shortcut
	 * only runs between its points. */
	for (int i = 0; i < 20000; i++) {
		/* 37-sample plateaus (not a multiple of the chart's
		 * stride, so runs end between its points) from the initial cash on (a first
		 * return of 0, as a strategy that waits for its windows
		 * has); every third one a step up to a new peak, the others
		 * down or back up under it. */
		if (i > 0 && i % 37 == 0)
			eq += (i / 37) % 3 == 0 ? 7 * CASH
			      : (i / 37) % 3 == 1 ? -5 * CASH : 2 * CASH;
		ts += 60 * SEC;
		trd_report_sample(r, ts, eq, eq - 50 * CASH, (i / 100) % 2,
				  1 + (uint64_t)(i % 3 == 0));
	}
	cr_assert_eq(trd_report_finish(r, NULL, 0, NULL), 0);
	*json = slurp(dir, "report.json");
	*html = slurp(dir, "report.html");
}

/* A flat book takes trd_report_sample's shortcut only when equity.csv
 * rows are grouped (equity_interval_s); with a row per sample every
 * sample goes the full way.  The metrics and the chart must not tell
 * the two apart. */
Test(report, flat_runs_count_as_full_samples)
{
	char *d1 = th_tmpdir(), *d2 = th_tmpdir();
	char *j1, *h1, *j2, *h2;

	run_plateaus(d1, 0, &j1, &h1);
	run_plateaus(d2, 3600, &j2, &h2);
	cr_assert_str_eq(j1, j2);
	cr_assert_str_eq(h1, h2);
	free(j1);
	free(h1);
	free(j2);
	free(h2);
	th_rmtree(d1);
	th_rmtree(d2);
	free(d1);
	free(d2);
}

/* The hand formatting of the hot path prints what the library's
 * formatters print, over awkward values. */
Test(report, equity_lines_match_formatters)
{
	char *dir = th_tmpdir(), *s, *line, *save = NULL;
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;
	int64_t ts[2000], eq[2000], cash[2000];
	uint64_t x = 88172645463325252ULL;
	int n = 0;

	cr_assert_eq(trd_report_open(&r, &m), 0);
	for (int i = 0; i < 2000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ts[i] = (int64_t)(x % 4000000000ULL) * SEC / 2 - 1000 * SEC +
			(i % 3 ? (int64_t)(x % 1000000000) : 0);
		eq[i] = (int64_t)(x >> 20) % (1000000 * CASH) + 1;
		cash[i] = i == 0 ? INT64_MIN : i == 1 ? INT64_MAX
				 : (int64_t)(x >> 3) - (int64_t)(x >> 4) * 2;
		trd_report_sample(r, ts[i], eq[i], cash[i], 0, 1);
	}
	cr_assert_eq(trd_report_finish(r, NULL, 0, NULL), 0);

	s = slurp(dir, "equity.csv");
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		char want[128], t[TRD_TIME_BUFSZ], e[32], c[32];
		double dd;

		if (n == 0)
			continue;
		trd_time_format_unix(ts[n - 1], t);
		trd_dec_format_short(eq[n - 1], TRD_CASH_DP, e);
		trd_dec_format_short(cash[n - 1], TRD_CASH_DP, c);
		snprintf(want, sizeof(want), "%s,%s,%s,", t, e, c);
		cr_assert(strncmp(line, want, strlen(want)) == 0,
			  "line %d: %s, want %s...", n, line, want);
		dd = strtod(line + strlen(want), NULL);
		cr_assert(dd >= 0 && dd < 1, "line %d: %s", n, line);
	}
	cr_assert_eq(n, 2001);
	free(s);
	th_rmtree(dir);
	free(dir);
}

Test(report, chart_stays_bounded)
{
	char *dir = th_tmpdir(), *s, *p, *e;
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;
	size_t len, pts = 1;
	const int n = 1000000;
	char last[TRD_TIME_BUFSZ];

	m.tf_s = 60;
	cr_assert_eq(trd_report_open(&r, &m), 0);
	for (int i = 0; i < n; i++)
		trd_report_sample(r, (T0 + 60 * (int64_t)i) * SEC,
				  (100 + i % 1000 - (i / 1000) % 7) * CASH,
				  0, i % 2, 1);
	cr_assert_eq(trd_report_finish(r, NULL, 0, NULL), 0);

	s = th_read_file(path(dir, "report.html"), &len);
	cr_assert_not_null(s);
	cr_assert_lt(len, 200000, "html is %zu bytes", len);
	p = strstr(s, "<path class=\"eq\" d=\"");
	cr_assert_not_null(p);
	e = strchr(p + 20, '"');
	/* Each point is " M" (the first) or " L" and its coordinates. */
	for (; p + 1 < e; p++)
		pts += p[0] == ' ' && (p[1] == 'L' || p[1] == 'M');
	cr_assert(pts > 1000 && pts <= 2048, "%zu points", pts);
	/* The page says where the run ends: the last sample. */
	trd_time_format((T0 + 60 * (int64_t)(n - 1)) * SEC, last);
	last[16] = '\0';
	last[10] = ' ';
	cr_assert_not_null(strstr(s, last), "%s", last);
	free(s);

	s = th_read_file(path(dir, "equity.csv"), &len);
	cr_assert_eq(th_count_lines(s), (size_t)n + 1);
	free(s);
	th_rmtree(dir);
	free(dir);
}

Test(report, empty_run)
{
	char *dir = th_tmpdir(), *s;
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;
	const char *at;

	m.nstrat = 0;
	cr_assert_eq(trd_report_open(&r, &m), 0);
	cr_assert_eq(trd_report_finish(r, NULL, 0, NULL), 0);
	assert_clean_dir(dir, NFILES);
	s = slurp(dir, "report.json");
	at = s;
	cr_assert_str_eq(json_value("final_equity", &at), "100");
	cr_assert_str_eq(json_value("total_return", &at), "0");
	cr_assert_str_eq(json_value("cagr", &at), "null");
	cr_assert_str_eq(json_value("sharpe", &at), "null");
	cr_assert_str_eq(json_value("sortino", &at), "null");
	cr_assert_str_eq(json_value("win_rate", &at), "null");
	cr_assert_str_eq(json_value("profit_factor", &at), "null");
	cr_assert_str_eq(json_value("exposure", &at), "null");
	cr_assert_str_eq(json_value("start", &at), "null");
	cr_assert_str_eq(json_value("end", &at), "null");
	cr_assert_not_null(strstr(s, "\n  \"rejects_by_reason\": {},\n"
				     "  \"risk\": {\n    \"halted\": false,\n"
				     "    \"trips\": []\n  },\n"), "%s", s);
	cr_assert_not_null(strstr(s, "\n  \"strategies\": [],\n"), "%s", s);
	cr_assert_not_null(strstr(s, "\"trade_stats\": {\n    \"count\": 0,"),
			   "%s", s);
	free(s);
	s = slurp(dir, "report.html");
	cr_assert_null(strstr(s, "<svg"));
	cr_assert_not_null(strstr(s, "<p>Kill switch: not halted at the end "
				     "of the run; 0 trips.</p>\n"));
	cr_assert_null(strstr(s, "<th>Reason</th>"));
	free(s);
	s = slurp(dir, "orders.csv");
	cr_assert_str_eq(s, "id,strategy,symbol,side,type,quantity,price,"
			    "submit_ts,status,reason,tif,flags,stop_price,"
			    "trail,expire_ts,link_id,parent_id,client_id,"
			    "filled_qty,avg_price,reject_code\n");
	free(s);
	s = slurp(dir, "order_events.csv");
	cr_assert_str_eq(s, "ts,id,client_id,strategy,symbol,side,type,status,"
			    "quantity,filled_qty,price,reject_code,reason\n");
	free(s);
	th_rmtree(dir);
	free(dir);
}

/* Never regained: the drawdown lasts until the last sample. */
Test(report, drawdown_never_regained)
{
	char *dir = th_tmpdir(), *s;
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;
	const char *at;

	cr_assert_eq(trd_report_open(&r, &m), 0);
	trd_report_sample(r, (T0 + DAY) * SEC, 90 * CASH, 0, 1, 1);
	trd_report_sample(r, (T0 + 2 * DAY) * SEC, 80 * CASH, 0, 1, 1);
	trd_report_sample(r, (T0 + 3 * DAY) * SEC, 95 * CASH, 0, 1, 1);
	cr_assert_eq(trd_report_finish(r, NULL, 0, NULL), 0);
	s = slurp(dir, "report.json");
	at = s;
	/* The initial 100 stands one bar before the first sample. */
	cr_assert_str_eq(json_value("max_drawdown", &at), "0.2");
	cr_assert_str_eq(json_value("max_drawdown_duration_s", &at),
			 "259200");
	free(s);
	th_rmtree(dir);
	free(dir);
}

Test(report, unwritable_dir)
{
	char *dir = th_tmpdir(), sub[4200];
	struct trd_report_meta m;
	struct trd_report *r = (struct trd_report *)1;

	cr_assert_eq(th_write_file(path(dir, "file"), "x"), 0);
	snprintf(sub, sizeof(sub), "%s/file/sub", dir);
	m = meta(sub);
	cr_assert_eq(trd_report_open(&r, &m), -ENOTDIR);
	cr_assert_null(r);
	snprintf(sub, sizeof(sub), "%s/file", dir);
	m = meta(sub);
	cr_assert_eq(trd_report_open(&r, &m), -ENOTDIR);
	cr_assert_null(r);
	th_rmtree(dir);
	free(dir);
}

/* A full disk, played by a file size limit: the error comes back from
 * finish and nothing of the report is left, final or temporary. */
Test(report, write_failure_removes_everything)
{
	char *dir = th_tmpdir();
	struct trd_report_meta m = meta(dir);
	struct rlimit rl = { 64 * 1024, 64 * 1024 };
	struct trd_report *r;

	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_eq(trd_report_open(&r, &m), 0);
	for (int i = 0; i < 100000; i++)
		trd_report_sample(r, (T0 + (int64_t)i * 60) * SEC,
				  (100 + i % 10) * CASH, 0, 0, 1);
	cr_assert_eq(trd_report_finish(r, NULL, 0, NULL), -EFBIG);
	assert_clean_dir(dir, 0);
	th_rmtree(dir);
	free(dir);
}

/* The state of o after a transition at t seconds past T0. */
static void
event(struct trd_report *r, struct trd_order *o, int64_t t_ms, int status,
      int64_t filled, const char *reason)
{
	o->status = (uint8_t)status;
	o->filled = filled;
	o->update_ns = T0 * SEC + t_ms * (SEC / 1000);
	snprintf(o->reason, sizeof(o->reason), "%s", reason);
	trd_report_order(r, o);
}

/*
 * order_events.csv: one row per transition, in call order: an accepted
 * limit filled in two steps, a stop-limit canceled with a reason that needs
 * quoting, a market order rejected by a risk limit.  report.json counts
 * the rejects by code, in enum order whatever the order they came in.
 */
Test(report, order_events)
{
	char *dir = th_tmpdir(), *s;
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;
	struct trd_order ord[5] = {
		order(1, 0, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 1500000, 720050,
		      TRD_ORDER_NEW, ""),
		order(2, 1, 1, TRD_SIDE_SELL, TRD_ORDER_STOP_LIMIT, 20000,
		      123450, TRD_ORDER_NEW, ""),
		order(3, 0, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 250000, 0,
		      TRD_ORDER_NEW, ""),
		order(4, 0, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 250000, 0,
		      TRD_ORDER_NEW, ""),
		order(5, 0, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 250000, 0,
		      TRD_ORDER_NEW, ""),
	};
	ord[0].seq = 1;
	ord[1].seq = 1;
	ord[1].stop_price = 124000;
	ord[2].seq = 2;
	ord[2].reject_code = TRD_REJ_FUNDS;
	ord[3].seq = 3;
	ord[3].reject_code = TRD_REJ_MAX_OPEN_ORDERS;
	ord[4].seq = 4;
	ord[4].reject_code = TRD_REJ_FUNDS;
	client_ids(ord, 5);
	cr_assert_eq(trd_report_open(&r, &m), 0);
	event(r, &ord[0], 10000, TRD_ORDER_ACCEPTED, 0, "");
	event(r, &ord[1], 15000, TRD_ORDER_ACCEPTED, 0, "");
	event(r, &ord[0], 20500, TRD_ORDER_PARTIALLY_FILLED, 500000, "");
	event(r, &ord[0], 30000, TRD_ORDER_FILLED, 1500000, "");
	event(r, &ord[1], 40000, TRD_ORDER_CANCELED, 0,
	      "said \"stop\", twice");
	event(r, &ord[2], 50000, TRD_ORDER_REJECTED, 0,
	      "cash 10 < cost 20");
	event(r, &ord[3], 50001, TRD_ORDER_REJECTED, 0,
	      "max open orders: 4");
	event(r, &ord[4], 50002, TRD_ORDER_REJECTED, 0,
	      "cash 10 < cost 20");
	/* Every order has closed: none left open for finish to add. */
	cr_assert_eq(trd_report_finish(r, NULL, 0, NULL), 0);
	assert_clean_dir(dir, NFILES);

	s = slurp(dir, "order_events.csv");
	cr_assert_str_eq(s, "ts,id,client_id,strategy,symbol,side,type,status,"
			    "quantity,filled_qty,price,reject_code,reason\n"
			    "1577836810,1,bt-0-1,sma,BTCUSDT,buy,limit,"
			    "accepted,1.5,0,7200.5,,\n"
			    "1577836815,2,bt-1-1,\"rsi, fast\","
			    "ETHUSDT,sell,stop_limit,accepted,2,0,1234.5,,\n"
			    "1577836820.5,1,bt-0-1,sma,BTCUSDT,buy,limit,"
			    "partially_filled,1.5,0.5,7200.5,,\n"
			    "1577836830,1,bt-0-1,sma,BTCUSDT,buy,limit,"
			    "filled,1.5,1.5,7200.5,,\n"
			    "1577836840,2,bt-1-1,\"rsi, fast\","
			    "ETHUSDT,sell,stop_limit,canceled,2,0,1234.5,,"
			    "\"said \"\"stop\"\", twice\"\n"
			    "1577836850,3,bt-0-2,sma,BTCUSDT,buy,market,"
			    "rejected,0.25,0,,insufficient_funds,"
			    "cash 10 < cost 20\n"
			    "1577836850.001,4,bt-0-3,sma,BTCUSDT,buy,market,"
			    "rejected,0.25,0,,max_open_orders,"
			    "max open orders: 4\n"
			    "1577836850.002,5,bt-0-4,sma,BTCUSDT,buy,market,"
			    "rejected,0.25,0,,insufficient_funds,"
			    "cash 10 < cost 20\n");
	free(s);

	s = slurp(dir, "report.json");
	cr_assert_not_null(strstr(s, "\n  \"orders_rejected\": 3,\n"
				     "  \"orders_canceled\": 1,\n"
				     "  \"orders_expired\": 0,\n"), "%s", s);
	cr_assert_not_null(strstr(s, "\n  \"rejects_by_reason\": {\n"
				     "    \"max_open_orders\": 1,\n"
				     "    \"insufficient_funds\": 2\n  },\n"
				     "  \"risk\": {\n    \"halted\": false,\n"
				     "    \"trips\": []\n  },\n"), "%s", s);
	free(s);
	s = slurp(dir, "report.html");
	cr_assert_not_null(strstr(s, "<tr><th>max_open_orders</th><td>1</td>"
				     "</tr>\n<tr><th>insufficient_funds</th>"
				     "<td>2</td></tr>\n</table></div>\n"), "%s", s);
	free(s);
	th_rmtree(dir);
	free(dir);
}

/* Not halted at the end, after a trip the operator resumed from; a trip
 * with no reason. */
Test(report, risk_resumed)
{
	char *dir = th_tmpdir(), *s;
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;
	struct trd_report_trip one = { T0 * SEC, NULL };
	struct trd_report_risk risk = { 0, &one, 1 };

	cr_assert_eq(trd_report_open(&r, &m), 0);
	cr_assert_eq(trd_report_finish(r, NULL, 0, &risk), 0);
	s = slurp(dir, "report.json");
	cr_assert_not_null(strstr(s, "\n  \"risk\": {\n"
				     "    \"halted\": false,\n"
				     "    \"trips\": [\n"
				     "      { \"ts\": \"2020-01-01T00:00:00Z\", "
				     "\"reason\": \"\" }\n    ]\n  },\n"),
			   "%s", s);
	free(s);
	s = slurp(dir, "report.html");
	cr_assert_not_null(strstr(s, "<p>Kill switch: not halted at the end "
				     "of the run; 1 trip.</p>\n<div class=\"box\">"
				     "<table>\n"
				     "<tr><th>Time</th><th>Reason</th></tr>\n"
				     "<tr><td>2020-01-01T00:00:00Z</td>"
				     "<td class=\"txt\"></td></tr>\n"),
			   "%s", s);
	cr_assert_not_null(strstr(s, "<p>No order was rejected.</p>\n"));
	free(s);
	th_rmtree(dir);
	free(dir);
}

/* An aborted report leaves nothing, streamed order events included. */
Test(report, abort_leaves_nothing)
{
	char *dir = th_tmpdir();
	struct trd_report_meta m = meta(dir);
	struct trd_report *r;
	struct trd_order o = order(1, 0, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET,
				   100, 0, TRD_ORDER_ACCEPTED, "");

	cr_assert_eq(trd_report_open(&r, &m), 0);
	for (int i = 0; i < 10000; i++) {
		o.update_ns = (T0 + i) * SEC;
		trd_report_order(r, &o);
	}
	trd_report_abort(r);
	cr_assert_neq(access(path(dir, "order_events.csv"), F_OK), 0);
	assert_clean_dir(dir, 0);
	th_rmtree(dir);
	free(dir);
}
