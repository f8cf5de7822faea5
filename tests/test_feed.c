/*
 * The live feed against the local exchange simulator (tools/exsim) on
 * 127.0.0.1: the WebSocket client on the loop, the feed core, backfill,
 * rotation, books, malformed frames.  Each test starts its own exsim on a
 * port of the kernel's choosing and runs the feed in-process under the
 * engine, collecting what strategies would see.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binance.h"
#include "config.h"
#include "engine.h"
#include "feed.h"
#include "feed_live.h"
#include "helpers.h"
#include "http.h"
#include "instrument.h"

/* ---- exsim ---- */

struct exsim {
	int pid;
	int port;
};

static void
exsim_start(struct exsim *x, const char *dir, const char *args)
{
	x->pid = th_exsim(dir, args, &x->port);
}

static void
exsim_stop(struct exsim *x)
{
	th_exsim_stop(x->pid);
	x->pid = 0;
}

/* ---- the feed under the engine ---- */

struct got {
	struct trd_bar   bars[4][4096];
	size_t           nbars[4];
	struct trd_trade trades[4][20000];
	size_t           ntrades[4];
	size_t           nquotes[4];
	int64_t          last_ts;
	int              order_ok;
};

struct run {
	uv_loop_t           loop;
	struct trd_engine   e;
	struct trd_config  *c;
	struct trd_registry reg;
	struct trd_source  *src;
	uv_timer_t          stop;
	struct trd_feed_stats fs;
	struct trd_feed_live_stats ls;
	struct got         *got;
	/* books at the end, for the depth test */
	struct trd_book     books[4];
	size_t              nbooks;
};

static void
collect(void *arg, const struct trd_event *ev)
{
	struct got *g = arg;

	if (ev->ts_ns < g->last_ts)
		g->order_ok = 0;
	g->last_ts = ev->ts_ns;
	if (ev->sym > 3)
		return;
	if (ev->type == TRD_EV_BAR && g->nbars[ev->sym] < 4096)
		g->bars[ev->sym][g->nbars[ev->sym]++] = ev->u.bar;
	else if (ev->type == TRD_EV_TRADE && g->ntrades[ev->sym] < 20000)
		g->trades[ev->sym][g->ntrades[ev->sym]++] = ev->u.trade;
	else if (ev->type == TRD_EV_QUOTE)
		g->nquotes[ev->sym]++;
}

static void
stop_cb(uv_timer_t *t)
{
	struct run *r = t->data;
	const struct trd_feed *f = trd_feed_live_feed(r->src);

	r->fs = f->st;
	r->ls = *trd_feed_live_stats(r->src);
	/* Keep copies of the books (their arrays) before the feed goes. */
	r->nbooks = f->n < 4 ? f->n : 4;
	for (size_t i = 0; i < r->nbooks; i++) {
		const struct trd_book *b = &f->s[i].book;
		struct trd_book *o = &r->books[i];
		trd_book_init(o, b->rules);
		o->synced = b->synced;
		o->id = b->id;
		o->bid.n = o->bid.cap = b->bid.n;
		o->ask.n = o->ask.cap = b->ask.n;
		o->bid.v = malloc((b->bid.n + 1) * sizeof(*o->bid.v));
		o->ask.v = malloc((b->ask.n + 1) * sizeof(*o->ask.v));
		if (b->bid.n)
			memcpy(o->bid.v, b->bid.v, b->bid.n * sizeof(*o->bid.v));
		if (b->ask.n)
			memcpy(o->ask.v, b->ask.v, b->ask.n * sizeof(*o->ask.v));
	}
	trd_engine_stop(&r->e);
	uv_close((uv_handle_t *)&r->stop, NULL);
}

/* Run the feed of config text yaml (PORT replaced) for ms milliseconds. */
static void
run_feed(struct run *r, const char *dir, const char *yaml, int port,
	 unsigned ms)
{
	char path[600], *text, *p;
	size_t n = strlen(yaml) + 64;
	int nerr = 0;

	text = malloc(n * 2);
	text[0] = '\0';
	for (const char *s = yaml; *s;) {
		if ((p = strstr(s, "PORT")) == NULL) {
			strcat(text, s);
			break;
		}
		strncat(text, s, (size_t)(p - s));
		sprintf(text + strlen(text), "%d", port);
		s = p + 4;
	}
	snprintf(path, sizeof(path), "%s/feed.yaml", dir);
	cr_assert_eq(th_write_file(path, text), 0);
	free(text);
	cr_assert_eq(trd_config_load(path, &r->c, &nerr), 0, "config: %d",
		     nerr);
	cr_assert_eq(uv_loop_init(&r->loop), 0);
	cr_assert_eq(trd_registry_init(&r->reg, r->c), 0);
	cr_assert_eq(trd_engine_init(&r->e, &r->loop, TRD_CLOCK_VIRTUAL,
				     trd_clock_realtime_ns()), 0);
	r->got = calloc(1, sizeof(*r->got));
	r->got->order_ok = 1;
	trd_engine_subscribe(&r->e, collect, r->got);
	cr_assert_eq(trd_feed_live_open(&r->src, &r->loop, r->c, &r->reg, NULL,
					trd_clock_realtime_ns()), 0);
	cr_assert_eq(trd_engine_live(&r->e, &r->src, 1, NULL), 0);
	uv_timer_init(&r->loop, &r->stop);
	r->stop.data = r;
	uv_timer_start(&r->stop, stop_cb, ms, 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	trd_engine_close(&r->e);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&r->loop), 0, "handles left on the loop");
}

static void
run_free(struct run *r)
{
	for (size_t i = 0; i < r->nbooks; i++)
		trd_book_free(&r->books[i]);
	trd_registry_free(&r->reg);
	trd_config_free(r->c);
	free(r->got);
}

/* ---- exsim's REST, read with our own client ---- */

struct fetch {
	struct trd_http *h;
	char *body;
	size_t len;
	int status;
};

static void
fetch_cb(void *arg, int err, const struct trd_http_msg *m, const char *why)
{
	struct fetch *f = arg;

	(void)why;
	if (err == 0) {
		f->status = m->status;
		f->body = malloc(m->blen + 1);
		memcpy(f->body, m->body, m->blen + 1);
		f->len = m->blen;
	}
	/* An idle kept-alive connection would hold the loop open. */
	trd_http_free(f->h);
}

static void
fetch(int port, const char *target, struct fetch *f)
{
	uv_loop_t loop;
	struct trd_http *h;
	char url[64];

	memset(f, 0, sizeof(*f));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(trd_http_new(&h, &loop, url, NULL), 0);
	f->h = h;
	cr_assert_eq(trd_http_request(h, "GET", target, NULL, NULL, 0,
				      fetch_cb, f), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	cr_assert_eq(f->status, 200, "GET %s", target);
}

/* The bars got for ins equal exsim's closed 1s klines over their span:
 * each interval once, in order, with the same prices and volume. */
static void
check_bars_complete(const struct run *r, int port, uint32_t ins)
{
	const struct trd_bar *got = r->got->bars[ins];
	size_t n = r->got->nbars[ins], k = 0, nk;
	struct trd_bar *want;
	struct trd_bn bn;
	struct fetch f;
	char target[128];

	cr_assert_gt(n, 2, "only %zu bars for %u", n, ins);
	snprintf(target, sizeof(target), "/api/v3/klines?symbol=%s&interval=1s"
		 "&limit=1000", r->reg.v[ins].symbol);
	fetch(port, target, &f);
	trd_bn_init(&bn, &r->reg);
	cr_assert_eq(trd_bn_klines(&bn, ins, 1, f.body, f.len, &want, &nk), 0,
		     "%s", bn.err);
	while (k < nk && want[k].ts_ns < got[0].ts_ns)
		k++;
	for (size_t i = 0; i < n; i++, k++) {
		cr_assert_lt(k, nk, "bar %zu (at %lld) is not in exsim's klines",
			     i, (long long)got[i].ts_ns);
		cr_assert_eq(got[i].ts_ns, want[k].ts_ns,
			     "bar %zu opens at %lld, exsim's next at %lld", i,
			     (long long)got[i].ts_ns, (long long)want[k].ts_ns);
		cr_assert(got[i].open == want[k].open &&
			  got[i].high == want[k].high &&
			  got[i].low == want[k].low &&
			  got[i].close == want[k].close &&
			  got[i].volume == want[k].volume,
			  "bar %zu differs from exsim's kline", i);
	}
	trd_bn_free(&bn);
	free(f.body);
}

static void
check_trades_complete(const struct run *r, uint32_t ins)
{
	const struct trd_trade *t = r->got->trades[ins];
	size_t n = r->got->ntrades[ins];

	cr_assert_gt(n, 10, "only %zu trades", n);
	for (size_t i = 1; i < n; i++)
		cr_assert_eq(t[i].id, t[i - 1].id + 1,
			     "trade %zu: id %llu after %llu", i,
			     (unsigned long long)t[i].id,
			     (unsigned long long)t[i - 1].id);
}

#define SYNTH_CONF                                                          \
	"mode: paper\n"                                                     \
	"instruments:\n"                                                    \
	"  - { symbol: SYM0USDT, price_dp: 2, qty_dp: 3, tick_size: 0.01, " \
	"lot_size: 0.001 }\n"                                               \
	"  - { symbol: SYM1USDT, price_dp: 2, qty_dp: 3, tick_size: 0.01, " \
	"lot_size: 0.001 }\n"                                               \
	"log_level: warn\n"                                                 \
	"feed:\n"                                                           \
	"  kind: binance_spot\n"                                            \
	"  ws_url: ws://127.0.0.1:PORT\n"                                   \
	"  rest_url: http://127.0.0.1:PORT\n"

Test(feed, closed_klines_are_bars_once)
{
	char *dir = th_tmpdir();
	struct exsim x = { 0 };
	struct run r = { 0 };

	exsim_start(&x, dir, "--symbols 2 --rate 20 --seed 3");
	run_feed(&r, dir, SYNTH_CONF
		 "  streams: [kline_1s]\n"
		 "  bar_timeframe: 1s\n", x.port, 4500);
	/* In-progress updates came (20 a second) and none was a bar. */
	cr_assert_gt(r.fs.klines_open, 40, "%llu in-progress klines",
		     (unsigned long long)r.fs.klines_open);
	cr_assert_eq(r.fs.bars_dup, 0);
	cr_assert_eq(r.fs.refused, 0, "%s", r.fs.last_refusal);
	cr_assert(r.got->order_ok, "event times went backwards");
	for (uint32_t i = 0; i < 2; i++) {
		cr_assert_geq(r.got->nbars[i], 3);
		check_bars_complete(&r, x.port, i);
	}
	exsim_stop(&x);
	run_free(&r);
	th_rmtree(dir);
	free(dir);
}

Test(feed, drops_are_backfilled)
{
	char *dir = th_tmpdir();
	struct exsim x = { 0 };
	struct run r = { 0 };

	exsim_start(&x, dir, "--symbols 2 --rate 20 --seed 5 --drop-every 1.2");
	run_feed(&r, dir, SYNTH_CONF
		 "  streams: [kline_1s, aggTrade]\n"
		 "  bar_timeframe: 1s\n", x.port, 7000);
	cr_assert_geq(r.ls.reconnects, 3, "%llu reconnects",
		      (unsigned long long)r.ls.reconnects);
	cr_assert_gt(r.fs.trades_backfilled, 0, "nothing was backfilled");
	cr_assert(r.got->order_ok, "event times went backwards");
	for (uint32_t i = 0; i < 2; i++) {
		check_bars_complete(&r, x.port, i);
		check_trades_complete(&r, i);
	}
	exsim_stop(&x);
	run_free(&r);
	th_rmtree(dir);
	free(dir);
}

/* exsim closes each connection at 3 s; the feed replaces it at 2 s: no
 * reconnect, no hole, the overlap's duplicates dropped. */
Test(feed, rotation_leaves_no_gap)
{
	char *dir = th_tmpdir();
	struct exsim x = { 0 };
	struct run r = { 0 };

	exsim_start(&x, dir, "--symbols 2 --rate 20 --seed 7 --max-age 3");
	run_feed(&r, dir, SYNTH_CONF
		 "  streams: [aggTrade, bookTicker]\n"
		 "  bar_timeframe: 1s\n"
		 "  rotate_s: 2\n", x.port, 7000);
	cr_assert_geq(r.ls.rotations, 2, "%llu rotations",
		      (unsigned long long)r.ls.rotations);
	cr_assert_eq(r.ls.reconnects, 0, "a rotation fell back on a "
		     "reconnect");
	cr_assert_eq(r.fs.trades_backfilled, 0, "a rotation left a hole");
	for (uint32_t i = 0; i < 2; i++) {
		check_trades_complete(&r, i);
		check_bars_complete(&r, x.port, i);
	}
	exsim_stop(&x);
	run_free(&r);
	th_rmtree(dir);
	free(dir);
}

/* A serverShutdown event: the replacement opens at once and takes over
 * before the old connection goes; nothing is lost. */
Test(feed, server_shutdown_is_a_seamless_switch)
{
	char *dir = th_tmpdir();
	struct exsim x = { 0 };
	struct run r = { 0 };

	exsim_start(&x, dir, "--symbols 2 --rate 20 --seed 8 --shutdown-at 1.5");
	run_feed(&r, dir, SYNTH_CONF
		 "  streams: [aggTrade, bookTicker]\n"
		 "  bar_timeframe: 1s\n", x.port, 4000);
	cr_assert_eq(r.ls.shutdowns, 1, "%llu serverShutdown events handled",
		     (unsigned long long)r.ls.shutdowns);
	cr_assert_eq(r.ls.reconnects, 0);
	cr_assert_eq(r.fs.trades_backfilled, 0, "the switch left a hole");
	for (uint32_t i = 0; i < 2; i++)
		check_trades_complete(&r, i);
	exsim_stop(&x);
	run_free(&r);
	th_rmtree(dir);
	free(dir);
}

Test(feed, malformed_frames_are_counted_and_skipped)
{
	char *dir = th_tmpdir();
	struct exsim x = { 0 };
	struct run r = { 0 };

	exsim_start(&x, dir, "--symbols 2 --rate 20 --seed 9 --malformed 0.05");
	run_feed(&r, dir, SYNTH_CONF
		 "  streams: [aggTrade, bookTicker]\n"
		 "  bar_timeframe: 1s\n", x.port, 4000);
	cr_assert_gt(r.fs.refused, 3, "%llu refused",
		     (unsigned long long)r.fs.refused);
	cr_assert_gt(r.fs.frames, 200);
	cr_assert_eq(r.ls.reconnects, 0, "a bad frame cost the connection");
	/* A lost trade frame is a hole in the ids, filled from REST. */
	for (uint32_t i = 0; i < 2; i++) {
		check_trades_complete(&r, i);
		cr_assert_gt(r.got->nquotes[i], 20);
	}
	exsim_stop(&x);
	run_free(&r);
	th_rmtree(dir);
	free(dir);
}

/* The recorded spot session with every 5th depth diff withheld (of 177,
 * about 30 over 4 symbols): each gap
 * is seen, the book resynced from a snapshot, and at the end every book
 * equals the one tests/tools/book_rebuild.py builds independently from
 * the recorded frames and snapshots. */
Test(feed, depth_gaps_resync_to_the_independent_book)
{
	char *dir = th_tmpdir(), *out = NULL, args[2048], *line, *save;
	const char *frames = th_shared("binance_ws_recorded/"
				       "binance_spot.ws_frames.jsonl");
	char snaps[1024];
	struct exsim x = { 0 };
	struct run r = { 0 };
	size_t strlen_out;
	int rc;

	cr_assert(frames);
	snprintf(snaps, sizeof(snaps), "%.*s.rest_depth_snapshots.jsonl",
		 (int)(strlen(frames) - strlen(".ws_frames.jsonl")), frames);
	/* At 10 times the recorded pace: 30 s in 3. */
	snprintf(args, sizeof(args), "--frames %s --snapshots %s --recv-ts "
		 "%.*s.ws_recv_ts.csv --speed 10 --depth-gap 5", frames, snaps,
		 (int)(strlen(frames) - strlen(".ws_frames.jsonl")), frames);
	exsim_start(&x, dir, args);
	run_feed(&r, dir,
		 "mode: paper\nlog_level: warn\ninstruments:\n"
		 "  - { symbol: NKNUSDT, tick_size: 0.0001, lot_size: 0.1 }\n"
		 "  - { symbol: BLZETH, tick_size: 0.00000001, lot_size: 1 }\n"
		 "  - { symbol: LRCBTC, tick_size: 0.00000001, lot_size: 1 }\n"
		 "  - { symbol: RUNEEUR, tick_size: 0.001, lot_size: 0.1 }\n"
		 "feed:\n  ws_url: ws://127.0.0.1:PORT\n"
		 "  rest_url: http://127.0.0.1:PORT\n"
		 "  streams: [depth, aggTrade]\n  bar_timeframe: 1m\n",
		 x.port, 4500);
	exsim_stop(&x);
	cr_assert_geq(r.fs.book_resyncs, 10, "%llu resyncs",
		     (unsigned long long)r.fs.book_resyncs);
	rc = th_run(&out, "python3 tests/tools/book_rebuild.py %s %s", frames,
		    snaps);
	th_assert_out(rc == 0, out);
	strlen_out = strlen(out);
	for (uint32_t i = 0; i < 4; i++) {
		const struct trd_book *bk = &r.books[i];
		const char *sym = r.reg.v[i].symbol;
		size_t nb = 0, na = 0;
		int seen_id = 0;

		cr_assert(bk->synced, "%s: not synced at the end", sym);
		for (line = strtok_r(out, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char s2[32], side[4];
			long long a, b = 0;
			const struct trd_bn_level *l;
			if (sscanf(line, "%31s %3s %lld %lld", s2, side, &a,
				   &b) < 3 || strcmp(s2, sym) != 0)
				continue;
			if (strcmp(side, "id") == 0) {
				seen_id = 1;
				cr_assert_eq(bk->id, (uint64_t)a, "%s: at update "
					     "%llu, want %lld", sym,
					     (unsigned long long)bk->id, a);
				continue;
			}
			if (side[0] == 'b') {
				cr_assert_lt(nb, bk->bid.n, "%s: fewer bids", sym);
				l = &bk->bid.v[bk->bid.n - 1 - nb++];
			} else {
				cr_assert_lt(na, bk->ask.n, "%s: fewer asks", sym);
				l = &bk->ask.v[na++];
			}
			cr_assert(l->px == a && l->qty == b, "%s: %s level is "
				  "%lld x %lld, want %lld x %lld", sym, side,
				  (long long)l->px, (long long)l->qty, a, b);
		}
		cr_assert(seen_id, "%s: not in the rebuild", sym);
		cr_assert_eq(nb, bk->bid.n, "%s: %zu bids, want %zu", sym,
			     bk->bid.n, nb);
		cr_assert_eq(na, bk->ask.n, "%s: %zu asks, want %zu", sym,
			     bk->ask.n, na);
		/* strtok_r cut out; make it whole for the next symbol */
		for (char *q = out; q < out + strlen_out; q++)
			if (*q == '\0')
				*q = '\n';
	}
	free(out);
	run_free(&r);
	th_rmtree(dir);
	free(dir);
}

/* The recorded USD-M session played by exsim: what reaches the engine is
 * exactly what the frames say, parsed here independently of the feed:
 * every aggTrade (id, price, size, side) and every closed kline as a bar,
 * nothing else as a bar. */
Test(feed, recorded_session_arrives_exactly)
{
	char *dir = th_tmpdir(), args[2048], *text, *p;
	const char *frames = th_shared("binance_ws_recorded/"
				       "binance_usdm_futures.ws_frames.jsonl");
	struct exsim x = { 0 };
	struct run r = { 0 };
	struct trd_bn bn;
	size_t nt[4] = { 0 }, nb[4] = { 0 }, len;

	cr_assert(frames);
	snprintf(args, sizeof(args), "--usdm --frames %s --snapshots "
		 "%.*s.rest_depth_snapshots.jsonl", frames,
		 (int)(strlen(frames) - strlen(".ws_frames.jsonl")), frames);
	exsim_start(&x, dir, args);
	run_feed(&r, dir,
		 "mode: paper\nlog_level: warn\ninstruments:\n"
		 "  - { symbol: SUSHIUSDT, tick_size: 0.001, lot_size: 1 }\n"
		 "  - { symbol: AKROUSDT, tick_size: 0.00001, lot_size: 1 }\n"
		 "  - { symbol: CTKUSDT, tick_size: 0.001, lot_size: 1 }\n"
		 "  - { symbol: KEEPUSDT, tick_size: 0.0001, lot_size: 1 }\n"
		 "feed:\n  kind: binance_usdm\n  ws_url: ws://127.0.0.1:PORT\n"
		 "  rest_url: http://127.0.0.1:PORT\n"
		 "  streams: [kline_1m, aggTrade, bookTicker, depth]\n"
		 "  bar_timeframe: 1m\n", x.port, 2500);
	exsim_stop(&x);
	cr_assert_eq(r.fs.refused, 0, "%s", r.fs.last_refusal);
	text = th_read_file(frames, &len);
	cr_assert(text);
	trd_bn_init(&bn, &r.reg);
	for (p = text; *p;) {
		char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct trd_bn_msg m;
		cr_assert_eq(trd_bn_frame(&bn, p, n, &m), 0, "%s", bn.err);
		if (m.kind == TRD_BN_AGGTRADE) {
			const struct trd_trade *g;
			cr_assert_lt(nt[m.ins], r.got->ntrades[m.ins],
				     "%s: fewer trades than frames",
				     r.reg.v[m.ins].symbol);
			g = &r.got->trades[m.ins][nt[m.ins]++];
			cr_assert(g->id == m.u.trade.t.id &&
				  g->price == m.u.trade.t.price &&
				  g->qty == m.u.trade.t.qty &&
				  g->aggressor == m.u.trade.t.aggressor &&
				  g->ts_ns == m.u.trade.t.ts_ns,
				  "%s: trade %llu differs", r.reg.v[m.ins].symbol,
				  (unsigned long long)m.u.trade.t.id);
		} else if (m.kind == TRD_BN_KLINE && m.u.kline.closed) {
			const struct trd_bar *g;
			cr_assert_lt(nb[m.ins], r.got->nbars[m.ins]);
			g = &r.got->bars[m.ins][nb[m.ins]++];
			cr_assert(g->ts_ns == m.u.kline.bar.ts_ns &&
				  g->open == m.u.kline.bar.open &&
				  g->high == m.u.kline.bar.high &&
				  g->low == m.u.kline.bar.low &&
				  g->close == m.u.kline.bar.close &&
				  g->volume == m.u.kline.bar.volume &&
				  g->tf_s == 60, "%s: bar differs",
				  r.reg.v[m.ins].symbol);
		}
		p = e ? e + 1 : p + n;
	}
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(nt[i], r.got->ntrades[i], "%s: %zu trades, frames "
			     "have %zu", r.reg.v[i].symbol, r.got->ntrades[i],
			     nt[i]);
		cr_assert_eq(nb[i], r.got->nbars[i], "%s: %zu bars, closed "
			     "klines %zu", r.reg.v[i].symbol, r.got->nbars[i],
			     nb[i]);
	}
	cr_assert_eq(nb[0] + nb[1] + nb[2] + nb[3], 4);
	cr_assert_eq(nt[0] + nt[1] + nt[2] + nt[3], 91);
	trd_bn_free(&bn);
	free(text);
	run_free(&r);
	th_rmtree(dir);
	free(dir);
}

/* Instruments without tick_size, lot_size or min_notional in the config
 * take them from exchangeInfo (exsim: 0.01, 0.001, 0.05); one given is
 * kept. */
Test(feed, filters_come_from_exchange_info)
{
	char *dir = th_tmpdir();
	struct exsim x = { 0 };
	struct run r = { 0 };

	exsim_start(&x, dir, "--symbols 2 --rate 5 --seed 3");
	run_feed(&r, dir,
		 "mode: paper\nlog_level: warn\ninstruments:\n"
		 "  - { symbol: SYM0USDT, price_dp: 4, qty_dp: 5 }\n"
		 "  - { symbol: SYM1USDT, price_dp: 4, qty_dp: 5, "
		 "tick_size: 0.05 }\n"
		 "feed:\n  kind: binance_spot\n  ws_url: ws://127.0.0.1:PORT\n"
		 "  rest_url: http://127.0.0.1:PORT\n"
		 "  streams: [aggTrade]\n  bar_timeframe: 1s\n", x.port, 1500);
	cr_assert_eq(r.reg.v[0].tick, 100);
	cr_assert_eq(r.reg.v[0].lot, 100);
	cr_assert_eq(r.reg.v[0].min_notional, 5000000);
	cr_assert_eq(r.reg.v[1].tick, 500, "the config's tick is kept");
	cr_assert_eq(r.reg.v[1].lot, 100);
	exsim_stop(&x);
	run_free(&r);
	th_rmtree(dir);
	free(dir);
}
