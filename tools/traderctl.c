/*
 * traderctl: the operator's command.
 *
 * Offline subcommands work on the data store directly (LMDB allows them
 * beside a running traderd: readers never block its writer):
 *   import   CSV bar files into the store
 *   bars     print stored bars as CSV
 *   db stat  per-series bar counts and time ranges
 *   db upgrade  rewrite a store from an older format (one transaction)
 * The store is named by --data-dir DIR, or by -c FILE (the config's
 * data_dir, and its instruments' scales and tick/lot sizes).
 *
 * Exit status: 0 success, 1 error, 2 import finished but rejected rows.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "decimal.h"
#include "errors.h"
#include "feature.h"
#include "import.h"
#include "log.h"
#include "progress.h"
#include "report_diff.h"
#include "store.h"
#include "tape.h"
#include "ticks.h"
#include "timefmt.h"
#include "traderctl_client.h"
#include "traderctl_ml.h"
#include "version.h"
#include "wfile.h"

struct ctl {
	const char        *data_dir;
	const char        *conf_path;
	struct trd_config *conf;
	const char        *symbol;
	const char        *timeframe;
	uint32_t           tf_s;
	int64_t            from_ns, to_ns;
	enum trd_import_format fmt;
	const char        *set;  /* features --set */
	int                kind; /* import/ticks --kind: 0 bars, TRD_TICK_* */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: traderctl [--data-dir DIR | -c FILE] COMMAND [ARGS]\n"
		"       traderctl [-s SOCKET | -c FILE] [--json] ADMIN-COMMAND...\n"
		"       traderctl [-s SOCKET | -c FILE] [--json] shell\n"
		"\n"
		"Admin commands go to a running traderd's admin socket (-s, else\n"
		"the config's admin.socket with -c, else $TRADERD_SOCKET, else\n"
		"%s): show info|positions|orders|fills|pnl|risk|\n"
		"strategies|features|feeds|symbols, halt, resume, cancel, flatten,\n"
		"strategy pause|resume, speed, reload, subscribe; 'traderctl help'\n"
		"lists them.  Exit status: 0, 1 when the daemon answers an error,\n"
		"2 when it cannot be reached.\n"
		"\n"
		"offline commands (on the store):\n"
		"  import --symbol SYM --timeframe TF [--format auto|binance|csv] FILE...\n"
		"        import CSV bars (Binance klines or ts,open,high,low,close,volume)\n"
		"  import --kind trades|quotes --symbol SYM FILE...\n"
		"        import ticks: Binance aggTrades or trades CSV, ts,price,qty,side,id,\n"
		"        ts,bid,bid_qty,ask,ask_qty, or a recorded *.ws_frames.jsonl\n"
		"  ticks --kind trades|quotes --symbol SYM [--from T] [--to T]\n"
		"        print stored trades (ts,price,qty,side,id) or quotes\n"
		"        (ts,bid,bid_qty,ask,ask_qty) as CSV, ts in Unix seconds\n"
		"  bars --symbol SYM --timeframe TF [--from T] [--to T]\n"
		"        print stored bars as CSV (ts in Unix seconds)\n"
		"  features --symbol SYM --timeframe TF --set 'sma(20),rsi(14),...'\n"
		"           [--from T] [--to T]\n"
		"        print features computed from stored bars as CSV, by the\n"
		"        daemon's own code (empty: not warmed up yet)\n"
		"  report diff DIR_A DIR_B\n"
		"        two reports side by side: figures, net PnL per strategy\n"
		"        and symbol, the first trade where they diverge (exit 0\n"
		"        the same, 1 different, 2 unreadable)\n"
		"  tape [--from T] [--to T]\n"
		"        print the recorded feed inputs of paper sessions as\n"
		"        JSON lines (receive time, kind, connection, bytes)\n"
		"  db stat\n"
		"        bar count and first/last time per symbol and timeframe\n"
		"  db upgrade\n"
		"        rewrite a store from an older traderd in this one's\n"
		"        format (one transaction: all of it or nothing)\n"
		"\n"
		"\n%s\n"
		"T is ISO 8601 UTC (2020-01-01T00:00:00Z) or Unix seconds; --to is\n"
		"exclusive.  TF is 1m, 5m, 1h, 1d...\n", TRD_CTL_DEFAULT_SOCKET,
		trd_ctl_ml_usage);
}

static int
open_store(struct ctl *c, int flags, struct trd_store **s)
{
	struct trd_store_opts o = { 0 };

	if (c->conf) {
		o.map_size = (size_t)c->conf->store.map_size_mb << 20;
		o.map_max = (size_t)c->conf->store.map_max_mb << 20;
	}
	return trd_store_open(s, c->data_dir, flags, &o) == 0 ? 0 : -1;
}

static int
need_series(struct ctl *c, const char *cmd)
{
	int rc;

	if (c->symbol == NULL || c->timeframe == NULL) {
		fprintf(stderr, "traderctl %s: --symbol and --timeframe are "
				"required\n", cmd);
		return -1;
	}
	if (!trd_symbol_valid(c->symbol)) {
		fprintf(stderr, "traderctl %s: invalid symbol '%s' (1-%d of "
				"A-Z a-z 0-9 . _ -)\n", cmd, c->symbol,
			TRD_SYMBOL_MAX);
		return -1;
	}
	if ((rc = trd_timeframe_parse(c->timeframe, &c->tf_s)) != 0) {
		fprintf(stderr, "traderctl %s: invalid timeframe '%s': %s "
				"(use e.g. 1m, 15m, 1h, 1d)\n", cmd,
			c->timeframe, trd_strerror(rc));
		return -1;
	}
	return 0;
}

static int
need_symbol(struct ctl *c, const char *cmd)
{
	if (c->symbol == NULL) {
		fprintf(stderr, "traderctl %s: --symbol is required\n", cmd);
		return -1;
	}
	if (!trd_symbol_valid(c->symbol)) {
		fprintf(stderr, "traderctl %s: invalid symbol '%s' (1-%d of "
				"A-Z a-z 0-9 . _ -)\n", cmd, c->symbol,
			TRD_SYMBOL_MAX);
		return -1;
	}
	return 0;
}

static void
print_issues(const char *what, const struct trd_import_issue *is, int n,
	     uint64_t total)
{
	for (int i = 0; i < n; i++)
		printf("  %s line %llu: %s\n", what,
		       (unsigned long long)is[i].line, is[i].reason);
	if (total > (uint64_t)n)
		printf("  ... and %llu more\n",
		       (unsigned long long)(total - (uint64_t)n));
}

static int
cmd_import(struct ctl *c, int argc, char **argv)
{
	struct trd_store *s;
	struct trd_instrument want = { .price_dp = TRD_DEFAULT_DP,
				       .qty_dp = TRD_DEFAULT_DP }, in;
	const struct trd_instrument_conf *ic = NULL;
	uint64_t rows = 0, imported = 0, unchanged = 0, rejected = 0;
	int64_t t0;
	double secs;
	int status = 0, rc;

	if (c->kind ? need_symbol(c, "import") != 0
		    : need_series(c, "import") != 0)
		return 1;
	if (argc == 0) {
		fprintf(stderr, "traderctl import: no files given\n");
		return 1;
	}
	if (c->conf && (ic = trd_config_instrument(c->conf, c->symbol))) {
		want.price_dp = ic->price_dp;
		want.qty_dp = ic->qty_dp;
		want.tick_size = ic->tick_size;
		want.lot_size = ic->lot_size;
	}
	strcpy(want.symbol, c->symbol);
	if (open_store(c, TRD_STORE_CREATE, &s) != 0)
		return 1;
	if ((rc = trd_store_instrument_ensure(s, &want, &in)) != 0) {
		fprintf(stderr, "traderctl import: instrument %s: %s\n",
			c->symbol, trd_strerror(rc));
		trd_store_close(s);
		return 1;
	}
	if (ic && (in.price_dp != ic->price_dp || in.qty_dp != ic->qty_dp))
		log_warn("%s is stored with price_dp %u, qty_dp %u; the "
			 "config's %u, %u are ignored for stored bars",
			 in.symbol, in.price_dp, in.qty_dp, ic->price_dp,
			 ic->qty_dp);
	t0 = trd_clock_mono_ns();
	for (int i = 0; i < argc; i++) {
		struct trd_import_stats st;
		struct stat fst;
		trd_progress_begin(argv[i], "MB", stat(argv[i], &fst) == 0
				   ? (double)fst.st_size / 1e6 : 0);
		if (c->kind)
			rc = trd_import_ticks_file(s, &in,
						   ic ? ic->venue_symbol : NULL,
						   c->kind, argv[i], &st);
		else
			rc = trd_import_file(s, &in, c->tf_s, c->fmt, argv[i],
					     &st);
		trd_progress_end();
		if (rc != 0) {
			printf("%s: FAILED, nothing imported from this file\n",
			       argv[i]);
			status = 1;
			continue;
		}
		printf("%s: %s (%s): %llu rows read, %llu imported, %llu "
		       "already stored, %llu rejected",
		       argv[i], c->kind ? st.layout
					: trd_import_format_name(st.format),
		       st.unit ? st.unit : "-", (unsigned long long)st.rows,
		       (unsigned long long)st.imported,
		       (unsigned long long)st.unchanged,
		       (unsigned long long)st.rejected);
		if (st.gaps)
			printf(", %llu gap(s) (%llu bars missing)",
			       (unsigned long long)st.gaps,
			       (unsigned long long)st.gap_bars);
		printf("\n");
		print_issues("rejected", st.issues, st.nissues, st.rejected);
		print_issues("gap at", st.gap_reports, st.ngap_reports,
			     st.gaps);
		rows += st.rows;
		imported += st.imported;
		unchanged += st.unchanged;
		rejected += st.rejected;
		if (st.rejected && status == 0)
			status = 2;
	}
	secs = (double)(trd_clock_mono_ns() - t0) / 1e9;
	printf("total: %llu rows read, %llu imported, %llu already stored, "
	       "%llu rejected in %.3f s (%.0f rows/s)\n",
	       (unsigned long long)rows, (unsigned long long)imported,
	       (unsigned long long)unchanged, (unsigned long long)rejected,
	       secs, secs > 0 ? (double)rows / secs : 0.0);
	trd_store_close(s);
	return status;
}

/* A JSON string of n bytes: quotes, backslashes and control bytes
 * escaped; other bytes as they are. */
static void
json_str(FILE *f, const char *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static int
cmd_tape(struct ctl *c)
{
	static const char *const kinds[] = { "?", "start", "open", "close",
					     "frame", "rest", "time" };
	static const char *const reqs[] = { "?", "depth", "klines",
					    "aggTrades" };
	static char out[1 << 16];
	struct trd_store *s;
	struct trd_tape_r r;
	struct trd_feed_in in;
	int rc;

	if (open_store(c, TRD_STORE_RDONLY, &s) != 0)
		return 1;
	if ((rc = trd_tape_open(&r, s, c->from_ns, c->to_ns)) != 0) {
		fprintf(stderr, "traderctl tape: %s\n", rc == TRD_ENOTFOUND
			? "no tape in this store (a paper session with "
			  "feed.record: true writes one)" : trd_strerror(rc));
		trd_store_close(s);
		return 1;
	}
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	while ((rc = trd_tape_next(&r, &in)) > 0) {
		char t[TRD_TIME_BUFSZ];
		printf("{\"ts\":\"%s\",\"ts_ns\":%lld,\"kind\":\"%s\"",
		       trd_time_format(in.ts_ns, t), (long long)in.ts_ns,
		       in.kind < 7 ? kinds[in.kind] : "?");
		if (in.kind == TRD_FIN_REST)
			printf(",\"request\":\"%s\",\"ins\":%u,\"arg\":%llu,"
			       "\"status\":%d", in.what < 4 ? reqs[in.what] : "?",
			       in.ins, (unsigned long long)in.arg, in.status);
		else if (in.kind != TRD_FIN_TIME && in.kind != TRD_FIN_START)
			printf(",\"conn\":%u", in.conn);
		if (in.len) {
			fputs(",\"data\":", stdout);
			json_str(stdout, in.data, in.len);
		}
		fputs("}\n", stdout);
	}
	fflush(stdout);
	trd_tape_close(&r);
	trd_store_close(s);
	if (rc < 0) {
		fprintf(stderr, "traderctl tape: %s\n", trd_strerror(rc));
		return 1;
	}
	return 0;
}

static int
cmd_bars(struct ctl *c)
{
	struct trd_store *s;
	struct trd_instrument in;
	struct trd_bar_cursor cur;
	static struct trd_bar buf[4096];
	static char out[1 << 16];
	int n, rc, status = 0;

	if (need_series(c, "bars") != 0)
		return 1;
	if (open_store(c, TRD_STORE_RDONLY, &s) != 0)
		return 1;
	if ((rc = trd_store_instrument_get(s, c->symbol, &in)) != 0) {
		fprintf(stderr, "traderctl bars: %s: %s\n", c->symbol,
			rc == TRD_ENOTFOUND ? "no such symbol in the store"
					    : trd_strerror(rc));
		trd_store_close(s);
		return 1;
	}
	if ((rc = trd_bar_cursor_open(&cur, s, in.id, c->tf_s, c->from_ns,
				      c->to_ns)) != 0) {
		fprintf(stderr, "traderctl bars: %s\n", trd_strerror(rc));
		trd_store_close(s);
		return 1;
	}
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	fputs("ts,open,high,low,close,volume\n", stdout);
	while ((n = trd_bar_cursor_read(&cur, buf, 4096)) > 0) {
		for (int i = 0; i < n; i++) {
			char t[TRD_TIME_BUFSZ], v[5][32];
			trd_dec_format(buf[i].open, in.price_dp, v[0]);
			trd_dec_format(buf[i].high, in.price_dp, v[1]);
			trd_dec_format(buf[i].low, in.price_dp, v[2]);
			trd_dec_format(buf[i].close, in.price_dp, v[3]);
			trd_dec_format(buf[i].volume, in.qty_dp, v[4]);
			fprintf(stdout, "%s,%s,%s,%s,%s,%s\n",
				trd_time_format_unix(buf[i].ts_ns, t), v[0],
				v[1], v[2], v[3], v[4]);
		}
	}
	if (n < 0) {
		fprintf(stderr, "traderctl bars: %s\n", trd_strerror(n));
		status = 1;
	}
	trd_bar_cursor_close(&cur);
	trd_store_close(s);
	if (fflush(stdout) != 0)
		status = 1;
	return status;
}

static int
cmd_ticks(struct ctl *c)
{
	static struct trd_tick buf[4096];
	static char out[1 << 16];
	struct trd_store *s;
	struct trd_instrument in;
	struct trd_tick_cursor cur;
	int n, rc, status = 0;

	if (c->kind == 0) {
		fprintf(stderr, "traderctl ticks: --kind trades or --kind "
				"quotes is required\n");
		return 1;
	}
	if (need_symbol(c, "ticks") != 0)
		return 1;
	if (open_store(c, TRD_STORE_RDONLY, &s) != 0)
		return 1;
	if ((rc = trd_store_instrument_get(s, c->symbol, &in)) != 0) {
		fprintf(stderr, "traderctl ticks: %s: %s\n", c->symbol,
			rc == TRD_ENOTFOUND ? "no such symbol in the store"
					    : trd_strerror(rc));
		trd_store_close(s);
		return 1;
	}
	if ((rc = trd_tick_cursor_open(&cur, s, in.id, c->kind, c->from_ns,
				       c->to_ns)) != 0) {
		fprintf(stderr, "traderctl ticks: %s\n", trd_strerror(rc));
		trd_store_close(s);
		return 1;
	}
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	fputs(c->kind == TRD_TICK_TRADES ? "ts,price,qty,side,id\n"
					  : "ts,bid,bid_qty,ask,ask_qty\n",
	      stdout);
	while ((n = trd_tick_cursor_read(&cur, buf, 4096)) > 0) {
		for (int i = 0; i < n; i++) {
			const struct trd_tick *k = &buf[i];
			char t[TRD_TIME_BUFSZ], v[4][32];
			trd_time_format_unix(k->ts_ns, t);
			trd_dec_format_short(k->v[0], in.price_dp, v[0]);
			trd_dec_format_short(k->v[1], in.qty_dp, v[1]);
			if (c->kind == TRD_TICK_TRADES) {
				fprintf(stdout, "%s,%s,%s,%s,%llu\n", t, v[0],
					v[1],
					k->v[2] == TRD_SIDE_BUY    ? "buy"
					: k->v[2] == TRD_SIDE_SELL ? "sell"
								   : "",
					(unsigned long long)k->id);
				continue;
			}
			trd_dec_format_short(k->v[2], in.price_dp, v[2]);
			trd_dec_format_short(k->v[3], in.qty_dp, v[3]);
			fprintf(stdout, "%s,%s,%s,%s,%s\n", t, v[0], v[1],
				v[2], v[3]);
		}
	}
	if (n < 0) {
		fprintf(stderr, "traderctl ticks: %s\n", trd_strerror(n));
		status = 1;
	}
	trd_tick_cursor_close(&cur);
	trd_store_close(s);
	if (fflush(stdout) != 0)
		status = 1;
	return status;
}

/* The shortest decimal that reads back as v; empty for NaN. */
static void
put_double(double v, FILE *f)
{
	char b[40];

	if (!isnan(v))
		fputs(trd_dtoa(v, b, sizeof(b)), f);
}

/* Split --set at the commas outside parentheses. */
static int
split_set(const char *set, char ***out, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0;
	const char *p = set, *start = set;
	int depth = 0;

	for (;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if (*p == '\0' || (*p == ',' && depth == 0)) {
			const char *a = start, *b = p;
			char **t;
			while (a < b && *a == ' ')
				a++;
			while (b > a && b[-1] == ' ')
				b--;
			if ((t = realloc(v, (cnt + 1) * sizeof(*v))) == NULL)
				goto fail;
			v = t;
			if ((v[cnt] = strndup(a, (size_t)(b - a))) == NULL)
				goto fail;
			cnt++;
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
fail:
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	return -1;
}

static int
cmd_features(struct ctl *c)
{
	struct trd_store *s = NULL;
	struct trd_instrument in;
	struct trd_bar_cursor cur;
	struct trd_fset *fs = NULL;
	static struct trd_bar buf[4096];
	static char out[1 << 16];
	char **items = NULL, (*names)[TRD_FEATURE_NAME_MAX] = NULL, err[256];
	const double **vals = NULL;
	size_t nitems = 0, nout = 0;
	int n, rc, status = 1, cur_open = 0;

	if (need_series(c, "features") != 0)
		return 1;
	if (c->set == NULL || *c->set == '\0') {
		fprintf(stderr, "traderctl features: --set is required, e.g. "
				"--set 'sma(20),rsi(14),macd(12,26,9)'\n");
		return 1;
	}
	if (split_set(c->set, &items, &nitems) != 0) {
		fprintf(stderr, "traderctl features: out of memory\n");
		return 1;
	}
	/* Check every name before touching the store. */
	for (size_t i = 0; i < nitems; i++) {
		int k = trd_feature_expand(items[i], NULL, 0, err, sizeof(err));
		if (k < 0) {
			fprintf(stderr, "traderctl features: --set item %zu: "
					"%s\n", i + 1, err);
			goto out;
		}
		nout += (size_t)k;
	}
	names = calloc(nout ? nout : 1, sizeof(*names));
	vals = calloc(nout ? nout : 1, sizeof(*vals));
	if (names == NULL || vals == NULL) {
		fprintf(stderr, "traderctl features: out of memory\n");
		goto out;
	}
	nout = 0;
	for (size_t i = 0; i < nitems; i++)
		nout += (size_t)trd_feature_expand(items[i], names + nout,
						   TRD_FEATURE_MAX_OUT, err,
						   sizeof(err));
	if (open_store(c, TRD_STORE_RDONLY, &s) != 0)
		goto out;
	if ((rc = trd_store_instrument_get(s, c->symbol, &in)) != 0) {
		fprintf(stderr, "traderctl features: %s: %s\n", c->symbol,
			rc == TRD_ENOTFOUND ? "no such symbol in the store"
					    : trd_strerror(rc));
		goto out;
	}
	if (trd_fset_new(&fs, in.price_dp, in.qty_dp, 1) != 0) {
		fprintf(stderr, "traderctl features: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < nout; i++)
		if ((vals[i] = trd_fset_add(fs, names[i], err,
					    sizeof(err))) == NULL) {
			fprintf(stderr, "traderctl features: %s\n", err);
			goto out;
		}
	if ((rc = trd_bar_cursor_open(&cur, s, in.id, c->tf_s, c->from_ns,
				      c->to_ns)) != 0) {
		fprintf(stderr, "traderctl features: %s\n", trd_strerror(rc));
		goto out;
	}
	cur_open = 1;
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	/* The values are numbers (or empty); the names need quoting. */
	fputs("ts", stdout);
	for (size_t i = 0; i < nout; i++) {
		fputc(',', stdout);
		trd_fputs_csv(stdout, names[i]);
	}
	fputc('\n', stdout);
	while ((n = trd_bar_cursor_read(&cur, buf, 4096)) > 0) {
		for (int i = 0; i < n; i++) {
			char t[TRD_TIME_BUFSZ];
			trd_fset_bar(fs, &buf[i]);
			fputs(trd_time_format_unix(buf[i].ts_ns, t), stdout);
			for (size_t j = 0; j < nout; j++) {
				fputc(',', stdout);
				put_double(*vals[j], stdout);
			}
			fputc('\n', stdout);
		}
	}
	if (n < 0) {
		fprintf(stderr, "traderctl features: %s\n", trd_strerror(n));
		goto out;
	}
	status = fflush(stdout) != 0;
out:
	if (cur_open)
		trd_bar_cursor_close(&cur);
	if (s)
		trd_store_close(s);
	trd_fset_free(fs);
	for (size_t i = 0; i < nitems; i++)
		free(items[i]);
	free(items);
	free(names);
	free(vals);
	return status;
}

static int
cmd_db_stat(struct ctl *c)
{
	struct trd_store *s;
	struct trd_series_stat *st;
	struct trd_instrument *ins;
	size_t n, nins;

	if (open_store(c, TRD_STORE_RDONLY, &s) != 0)
		return 1;
	if (trd_store_stat(s, &st, &n) != 0 ||
	    trd_store_instruments(s, &ins, &nins) != 0) {
		fprintf(stderr, "traderctl db stat: cannot read the store\n");
		trd_store_close(s);
		return 1;
	}
	printf("%-16s %-4s %12s  %-20s  %-20s\n", "symbol", "tf", "bars",
	       "first", "last");
	for (size_t i = 0; i < n; i++) {
		const char *sym = "?";
		char tf[16], a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ];
		for (size_t j = 0; j < nins; j++)
			if (ins[j].id == st[i].sym)
				sym = ins[j].symbol;
		printf("%-16s %-4s %12llu  %-20s  %-20s\n", sym,
		       trd_timeframe_format(st[i].tf_s, tf),
		       (unsigned long long)st[i].count,
		       trd_time_format(st[i].first_ns, a),
		       trd_time_format(st[i].last_ns, b));
	}
	if (n == 0)
		printf("(no bars stored)\n");
	free(st);
	if (trd_ticks_stat(s, &st, &n) == 0 && n > 0) {
		printf("\n%-16s %-6s %12s  %-20s  %-20s\n", "symbol", "ticks",
		       "count", "first", "last");
		for (size_t i = 0; i < n; i++) {
			const char *sym = "?", *k = trd_tick_kind_name(
						       (int)st[i].tf_s);
			char a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ];
			for (size_t j = 0; j < nins; j++)
				if (ins[j].id == st[i].sym)
					sym = ins[j].symbol;
			printf("%-16s %-6s %12llu  %-20s  %-20s\n", sym,
			       k ? k : "?", (unsigned long long)st[i].count,
			       trd_time_format(st[i].first_ns, a),
			       trd_time_format(st[i].last_ns, b));
		}
		free(st);
	}
	free(ins);
	trd_store_close(s);
	return 0;
}

/* Opening a store for writing upgrades it (see store.h); this says so. */
static int
cmd_db_upgrade(struct ctl *c)
{
	struct trd_store *s;
	char path[4200];

	/* A writer would create a store where there is none: there is
	 * nothing to upgrade in a directory without one. */
	snprintf(path, sizeof(path), "%s/data.mdb", c->data_dir);
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "traderctl db upgrade: no data store in '%s'\n",
			c->data_dir);
		return 1;
	}
	if (open_store(c, 0, &s) != 0)
		return 1;
	if (s->upgraded)
		printf("data store '%s': upgraded to format %d, %llu bars "
		       "rewritten\n", c->data_dir, TRD_STORE_FORMAT,
		       (unsigned long long)s->upgraded);
	else
		printf("data store '%s': already format %d, nothing to do\n",
		       c->data_dir, TRD_STORE_FORMAT);
	trd_store_close(s);
	return 0;
}

static int
offline_command(const char *cmd)
{
	static const char *const names[] = { "import", "bars", "ticks",
					     "features", "tape", "db",
					     "report" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(cmd, names[i]) == 0)
			return 1;
	return 0;
}

/* The socket: -s, the config's admin.socket, $TRADERD_SOCKET, the
 * default. */
static int
admin_command(const char *sock, const char *conf_path, int json, int argc,
	      char **argv)
{
	struct trd_config *conf = NULL;
	int rc;

	if (sock == NULL && conf_path != NULL) {
		if (trd_config_load(conf_path, &conf, NULL) != 0)
			return 2;
		sock = conf->admin.socket;
		if (sock == NULL) {
			fprintf(stderr, "traderctl: %s sets no admin.socket\n",
				conf_path);
			trd_config_free(conf);
			return 2;
		}
	}
	if (sock == NULL)
		sock = getenv("TRADERD_SOCKET");
	if (sock == NULL)
		sock = TRD_CTL_DEFAULT_SOCKET;
	if (strcmp(argv[0], "shell") == 0 && argc == 1)
		rc = trd_ctl_shell(sock, json);
	else
		rc = trd_ctl_command(sock, json, argc, argv);
	trd_config_free(conf);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "symbol", required_argument, NULL, 's' },
		{ "timeframe", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "set", required_argument, NULL, 'S' },
		{ "kind", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'J' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL;
	int json = 0;
	struct ctl c = { .from_ns = TRD_TIME_MIN, .to_ns = TRD_TIME_MAX };
	const char *cmd;
	int ch, rc;

	/* "+" stops at the command word; options may also follow it. */
	while ((ch = getopt_long(argc, argv, "+d:c:s:hv", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.data_dir = optarg; break;
		case 'c': c.conf_path = optarg; break;
		case 's':
		case 'A': sock = optarg; break;
		case 'J': json = 1; break;
		case 'h': usage(stdout); return 0;
		case 'v':
		case 'V':
			printf("traderctl %s (%s)\n", trd_version, trd_build);
			return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "sweep") == 0 || strcmp(cmd, "models") == 0) {
		int (*fn)(int, char **) = cmd[0] == 's' ? trd_ctl_sweep
							 : trd_ctl_models;
		if (c.conf_path || c.data_dir) {
			/* -c before the command: pass it on. */
			char *av[64];
			int n = 0;
			av[n++] = argv[optind];
			av[n++] = c.conf_path ? (char *)"-c"
					      : (char *)"--data-dir";
			av[n++] = (char *)(c.conf_path ? c.conf_path
						       : c.data_dir);
			for (int i = optind + 1; i < argc && n < 63; i++)
				av[n++] = argv[i];
			av[n] = NULL;
			return fn(n, av);
		}
		return fn(argc - optind, argv + optind);
	}
	if (trd_ctl_is_ml(cmd)) {
		/* Their own options; -c and --data-dir may come first. */
		char *av[64];
		int n = 0;
		av[n++] = argv[optind];
		if (c.conf_path) {
			av[n++] = (char *)"-c";
			av[n++] = (char *)c.conf_path;
		}
		if (c.data_dir) {
			av[n++] = (char *)"--data-dir";
			av[n++] = (char *)c.data_dir;
		}
		for (int i = optind + 1; i < argc && n < 63; i++)
			av[n++] = argv[i];
		if (argc - optind - 1 > 63 - 5) {
			fprintf(stderr, "traderctl %s: too many arguments\n",
				cmd);
			return 1;
		}
		av[n] = NULL;
		return trd_ctl_ml(n, av);
	}
	if (!offline_command(cmd))
		return admin_command(sock, c.conf_path, json, argc - optind,
				     argv + optind);
	argc -= optind;
	argv += optind;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:c:s:t:f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.data_dir = optarg; break;
		case 'c': c.conf_path = optarg; break;
		case 's': c.symbol = optarg; break;
		case 't': c.timeframe = optarg; break;
		case 'S': c.set = optarg; break;
		case 'K':
			if (strcmp(optarg, "bars") == 0) {
				c.kind = 0;
			} else if (trd_tick_kind_parse(optarg, &c.kind) != 0) {
				fprintf(stderr, "traderctl: --kind must be "
						"bars, trades or quotes, not "
						"'%s'\n", optarg);
				return 1;
			}
			break;
		case 'f':
			if (trd_import_format_parse(optarg, &c.fmt) != 0) {
				fprintf(stderr, "traderctl: --format must be "
						"auto, binance or csv, not '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'F':
		case 'T':
			if ((rc = trd_time_parse(optarg, ch == 'F' ? &c.from_ns
								   : &c.to_ns)) != 0) {
				fprintf(stderr, "traderctl: --%s '%s': %s "
						"(use ISO 8601 UTC like "
						"2020-01-01T00:00:00Z or Unix "
						"seconds)\n",
					ch == 'F' ? "from" : "to", optarg,
					trd_strerror(rc));
				return 1;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	/* Reads report directories, not a store. */
	if (strcmp(cmd, "report") == 0) {
		if (argc - optind != 3 || strcmp(argv[optind], "diff") != 0) {
			fprintf(stderr, "traderctl report: usage: traderctl "
					"report diff DIR_A DIR_B\n");
			return 2;
		}
		return trd_report_diff(argv[optind + 1], argv[optind + 2],
				       stdout);
	}
	if (c.conf_path && c.data_dir) {
		fprintf(stderr, "traderctl: give --data-dir or -c, not both\n");
		return 1;
	}
	if (c.conf_path) {
		if (trd_config_load(c.conf_path, &c.conf, NULL) != 0)
			return 1;
		c.data_dir = c.conf->data_dir;
	}
	if (c.data_dir == NULL) {
		fprintf(stderr, "traderctl: no store given: use --data-dir DIR "
				"or -c FILE\n");
		return 1;
	}
	if (strcmp(cmd, "import") == 0)
		rc = cmd_import(&c, argc - optind, argv + optind);
	else if (strcmp(cmd, "bars") == 0)
		rc = cmd_bars(&c);
	else if (strcmp(cmd, "ticks") == 0)
		rc = cmd_ticks(&c);
	else if (strcmp(cmd, "features") == 0)
		rc = cmd_features(&c);
	else if (strcmp(cmd, "tape") == 0)
		rc = cmd_tape(&c);
	else if (strcmp(cmd, "db") == 0) {
		const char *sub = optind < argc ? argv[optind] : "";
		if (optind + 1 < argc) {
			fprintf(stderr, "traderctl db %s: unexpected argument "
					"'%s'\n", sub, argv[optind + 1]);
			rc = 1;
		} else if (strcmp(sub, "stat") == 0) {
			rc = cmd_db_stat(&c);
		} else if (strcmp(sub, "upgrade") == 0) {
			rc = cmd_db_upgrade(&c);
		} else {
			fprintf(stderr, "traderctl db: expected 'stat' or "
					"'upgrade', not '%s'\n", sub);
			rc = 1;
		}
	} else {
		fprintf(stderr, "traderctl: unknown command '%s'\n", cmd);
		usage(stderr);
		rc = 1;
	}
	trd_config_free(c.conf);
	return rc;
}
