/*
 * feed_live: the push source of a paper (or live) session.  It keeps the
 * venue's WebSocket connections up, asks REST what the feed core needs,
 * stamps each input with its receive time, records it on the tape, and
 * hands it to the feed core (feed.c), whose events go to the engine.
 *
 * Connections: the symbols are split into groups of at most 1000
 * streams (Binance allows 1024 per connection) and 1800 bytes of URL
 * (libwebsockets 4.1.6 cuts longer request paths), one connection each.
 * A connection that closes or fails is reopened after a backoff of
 * 250 ms doubling to 30 s, with +-20% jitter, reset once a connection
 * delivers data.  At feed.rotate_s of age (Binance ends connections at
 * 24 h), or on a serverShutdown event, a second connection is opened
 * beside it and the old one closed when the new one delivers its first
 * message: no gap, and the overlap's duplicates are dropped by the core.
 * A connection silent for feed.silence_s is closed and reopened.
 *
 * Time: a tick every 100 ms is an input too (TRD_FIN_TIME) and an engine
 * event (TRD_EV_TIME), so everything that happens because time passed
 * happens at a recorded point.  Receive times never go backwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "errors.h"
#include "feed.h"
#include "feed_live.h"
#include "http.h"
#include "log.h"
#include "tape.h"
#include "ticks.h"
#include "ws.h"

#define TICK_MS        100
#define FLUSH_TICKS    10
#define MAX_STREAMS    1000
#define MAX_PATH       1800 /* bytes of stream names in one URL */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000

struct group;

struct lconn {
	struct group  *g;
	struct trd_ws *ws;
	uint16_t       id;
	int            open, got;
	int            authed;     /* Alpaca: authenticated */
	const char    *drop;       /* drop it at the next tick, for this */
	int64_t        opened_mono, last_mono;
};

struct group {
	struct feed_live *l;
	size_t            from, to;  /* registry indexes */
	char             *url;
	struct lconn     *cur, *nxt;
	int               attempt;
	uv_timer_t        retry;
	uint64_t          reconnects, rotations, silences, shutdowns;
};

struct feed_live {
	struct trd_source   base;
	uv_loop_t          *loop;
	const struct trd_config *c;
	const struct trd_registry *reg;
	struct trd_engine  *e;
	struct trd_store   *store;
	struct trd_feed     feed;
	struct trd_ws_ctx  *wsx;
	struct trd_http    *http;
	struct trd_tape_w  *tape;
	struct group       *g;
	size_t              ng;
	uv_timer_t          tick;
	unsigned            ticks;
	int                 handles;   /* open uv handles (tick, retries) */
	int                 started, stopped, destroyed;
	uint16_t            next_conn;
	int64_t             last_ts;
	int64_t             recv_mono; /* the frame being handled, or 0 */
	uint64_t            rng;
	/* Per instrument: the time of its last quote and how many it had
	 * then (a stored quote's id, ticks.h). */
	struct qord { int64_t ts; uint64_t n; } *qord;
	/* Alpaca: one connection, credentials (never logged, never on the
	 * tape: only what is received is recorded), a fatal error to end
	 * the session with at the next tick. */
	int                 alpaca;
	char                ap_key[256], ap_secret[256];
	int                 fatal;
	struct trd_feed_live_stats st;
};

static int64_t
stamp(struct feed_live *l)
{
	int64_t t = trd_clock_realtime_ns();

	if (t < l->last_ts)
		t = l->last_ts;
	l->last_ts = t;
	return t;
}

static void
input(struct feed_live *l, struct trd_feed_in *in)
{
	if (l->tape)
		trd_tape_put(l->tape, in);
	trd_feed_input(&l->feed, in);
}

static void
emit_cb(void *arg, const struct trd_event *ev)
{
	struct feed_live *l = arg;

	if (l->stopped || l->e == NULL)
		return;
	if (l->tape && l->reg->v[ev->sym].store_id != TRD_INSTR_NO_STORE) {
		uint32_t sid = l->reg->v[ev->sym].store_id;
		struct trd_tick t;
		if (ev->type == TRD_EV_BAR) {
			struct trd_bar b = ev->u.bar;
			b.sym = sid;
			trd_tape_bar(l->tape, &b);
		} else if (ev->type == TRD_EV_TRADE) {
			trd_tick_from_trade(&t, &ev->u.trade);
			trd_tape_tick(l->tape, sid, TRD_TICK_TRADES, &t);
		} else if (ev->type == TRD_EV_QUOTE) {
			struct qord *q = &l->qord[ev->sym];
			q->n = q->ts == ev->u.quote.ts_ns ? q->n + 1 : 0;
			q->ts = ev->u.quote.ts_ns;
			trd_tick_from_quote(&t, &ev->u.quote, q->n);
			trd_tape_tick(l->tape, sid, TRD_TICK_QUOTES, &t);
		}
	}
	trd_engine_push(l->e, ev);
}

/* ---- REST ---- */

struct rreq {
	struct feed_live *l;
	int               what;
	uint32_t          ins;
	uint64_t          arg;
};

static void
rest_cb(void *arg, int err, const struct trd_http_msg *m, const char *why)
{
	struct rreq *r = arg;
	struct feed_live *l = r->l;
	struct trd_feed_in in = { .kind = TRD_FIN_REST };

	if (l->stopped) {
		free(r);
		return;
	}
	in.ts_ns = stamp(l);
	in.what = (uint8_t)r->what;
	in.ins = r->ins;
	in.arg = r->arg;
	if (err == 0) {
		in.status = m->status;
		in.data = m->body;
		in.len = m->blen;
		if (m->status != 200)
			log_warn("feed: REST %s answered %d: %.200s",
				 r->what == TRD_FREQ_DEPTH ? "depth"
				 : r->what == TRD_FREQ_KLINES ? "klines"
				 : r->what == TRD_FREQ_INFO ? "exchangeInfo"
				 : "aggTrades", m->status, m->body);
	} else {
		l->st.rest_failures++;
		log_warn("feed: REST request failed: %s", why);
		in.data = why;
		in.len = strlen(why);
	}
	free(r);
	input(l, &in);
}

static void
req_cb(void *arg, int what, uint32_t ins, uint64_t from)
{
	struct feed_live *l = arg;
	const struct trd_instr *in = &l->reg->v[ins];
	const char *sym = in->venue_symbol[0] ? in->venue_symbol : in->symbol;
	const char *base = l->c->feed.kind == TRD_FEED_BINANCE_USDM
			   ? "/fapi/v1" : "/api/v3";
	struct rreq *r;
	char target[4096], iv[16];

	if (l->stopped || l->http == NULL || (r = malloc(sizeof(*r))) == NULL)
		return;
	*r = (struct rreq){ l, what, ins, from };
	if (what == TRD_FREQ_DEPTH)
		snprintf(target, sizeof(target), "%s/depth?symbol=%s&limit=%"
			 PRIu64, base, sym, from);
	else if (what == TRD_FREQ_KLINES)
		snprintf(target, sizeof(target), "%s/klines?symbol=%s&interval="
			 "%s&startTime=%" PRIu64 "&limit=1000", base, sym,
			 trd_feed_interval(l->c->feed.kline_tf_s, iv),
			 from / 1000000);
	else if (what == TRD_FREQ_AGGTRADES)
		snprintf(target, sizeof(target), "%s/aggTrades?symbol=%s&"
			 "fromId=%" PRIu64 "&limit=1000", base, sym, from);
	else {
		/* Spot's whole answer is near 2 MB: name the symbols when the
		 * URL stays short (USD-M's has no such parameter). */
		size_t n = (size_t)snprintf(target, sizeof(target),
					    "%s/exchangeInfo", base);
		if (l->c->feed.kind == TRD_FEED_BINANCE_SPOT) {
			size_t at = n;
			n += (size_t)snprintf(target + n, sizeof(target) - n,
					      "?symbols=%%5B");
			for (size_t i = 0; i < l->reg->n && n < sizeof(target);
			     i++) {
				const struct trd_instr *v = &l->reg->v[i];
				n += (size_t)snprintf(target + n,
						      sizeof(target) - n,
						      "%s%%22%s%%22", i ? "%2C" : "",
						      v->venue_symbol);
			}
			if (n + 4 < sizeof(target))
				snprintf(target + n, sizeof(target) - n, "%%5D");
			else
				target[at] = '\0'; /* too many: all of it */
		}
	}
	l->st.rest_requests++;
	if (trd_http_request(l->http, "GET", target, NULL, NULL, 0, rest_cb,
			     r) != 0) {
		free(r);
		l->st.rest_failures++;
	}
}

/* ---- connections ---- */

static void conn_open(struct group *g, int standby);

static void
retry_cb(uv_timer_t *t)
{
	struct group *g = t->data;

	if (!g->l->stopped && g->cur == NULL)
		conn_open(g, 0);
}

static void
schedule(struct group *g)
{
	struct feed_live *l = g->l;
	uint64_t d = BACKOFF_MIN_MS;
	double j;

	for (int i = 0; i < g->attempt && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	/* Jitter only spreads reconnects out; nothing downstream sees it. */
	l->rng = l->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	j = 0.8 + 0.4 * (double)(l->rng >> 11) / 9007199254740992.0;
	d = (uint64_t)((double)d * j);
	g->attempt++;
	log_info("feed: reconnecting in %" PRIu64 " ms (attempt %d)", d,
		 g->attempt);
	uv_timer_start(&g->retry, retry_cb, d, 0);
}

static void
conn_drop(struct lconn *k, const char *why, int record)
{
	struct group *g = k->g;
	struct feed_live *l = g->l;

	if (record && !l->stopped) {
		struct trd_feed_in in = { .kind = TRD_FIN_CLOSE,
					  .ts_ns = stamp(l), .conn = k->id,
					  .data = why, .len = strlen(why) };
		input(l, &in);
	}
	if (k->ws)
		trd_ws_close(k->ws);
	if (g->cur == k)
		g->cur = NULL;
	if (g->nxt == k)
		g->nxt = NULL;
	free(k);
}

static void
promote(struct group *g)
{
	struct lconn *old = g->cur;

	g->cur = g->nxt;
	g->nxt = NULL;
	if (old) {
		log_info("feed: connection %u replaced by %u", old->id,
			 g->cur->id);
		conn_drop(old, "replaced by a new connection", 1);
	}
}

/* ---- Alpaca ---- */

#define AP_AUTH_S 10 /* the venue's deadline for the auth message */

/* One credential: the environment's name, else the file of that name in
 * $CREDENTIALS_DIRECTORY (systemd's LoadCredential=).  0, or -1 logged
 * (naming where it was looked for, never the value). */
static int
credential(const char *name, char *out, size_t outlen)
{
	const char *v = getenv(name), *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[4096];
	size_t n;
	FILE *f;

	out[0] = '\0';
	if (v && *v) {
		snprintf(out, outlen, "%s", v);
	} else if (dir && *dir) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((f = fopen(path, "re")) != NULL) {
			n = fread(out, 1, outlen - 1, f);
			out[n] = '\0';
			fclose(f);
			while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' ||
					 out[n - 1] == ' '))
				out[--n] = '\0';
		}
	}
	if (out[0] == '\0') {
		log_error("feed: Alpaca needs %s: set it in the environment or "
			  "as a credential in $CREDENTIALS_DIRECTORY (systemd "
			  "LoadCredential=)", name);
		return -1;
	}
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == '"' || *p == '\\') {
			log_error("feed: %s has a character no key has (a "
				  "space, quote, backslash or control)", name);
			out[0] = '\0';
			return -1;
		}
	return 0;
}

static struct lconn *
conn_by_id(struct feed_live *l, uint16_t id)
{
	for (size_t i = 0; i < l->ng; i++) {
		if (l->g[i].cur && l->g[i].cur->id == id)
			return l->g[i].cur;
		if (l->g[i].nxt && l->g[i].nxt->id == id)
			return l->g[i].nxt;
	}
	return NULL;
}

/* {"action":"subscribe","trades":[..],"quotes":[..],"bars":[..]} */
static void
ap_subscribe(struct feed_live *l, struct lconn *k)
{
	static const struct { uint32_t bit; const char *name; } ch[] = {
		{ TRD_STREAM_TRADE, "trades" },
		{ TRD_STREAM_BOOKTICKER, "quotes" },
		{ TRD_STREAM_KLINE, "bars" },
	};
	size_t cap = 64, n;
	char *m;

	for (size_t i = 0; i < l->reg->n; i++)
		cap += 3 * (strlen(l->reg->v[i].venue_symbol) + 3);
	if ((m = malloc(cap + 64)) == NULL)
		return;
	n = (size_t)sprintf(m, "{\"action\":\"subscribe\"");
	for (size_t c = 0; c < 3; c++) {
		if (!(l->c->feed.streams & ch[c].bit))
			continue;
		n += (size_t)sprintf(m + n, ",\"%s\":[", ch[c].name);
		for (size_t i = 0; i < l->reg->n; i++)
			n += (size_t)sprintf(m + n, "%s\"%s\"", i ? "," : "",
					     l->reg->v[i].venue_symbol);
		m[n++] = ']';
	}
	m[n++] = '}';
	trd_ws_send(k->ws, m, n);
	free(m);
}

static void
ctl_cb(void *arg, uint16_t conn, int kind, int code, const char *msg)
{
	struct feed_live *l = arg;
	struct lconn *k = conn_by_id(l, conn);
	char buf[640];

	if (k == NULL || k->ws == NULL || l->stopped)
		return;
	if (kind == TRD_AP_SUCCESS && strcmp(msg, "connected") == 0) {
		int n = snprintf(buf, sizeof(buf), "{\"action\":\"auth\","
				 "\"key\":\"%s\",\"secret\":\"%s\"}",
				 l->ap_key, l->ap_secret);
		trd_ws_send(k->ws, buf, (size_t)n);
		explicit_bzero(buf, sizeof(buf));
		return;
	}
	if (kind == TRD_AP_SUCCESS && strcmp(msg, "authenticated") == 0) {
		k->authed = 1;
		log_info("feed: connection %u authenticated; subscribing", k->id);
		ap_subscribe(l, k);
		return;
	}
	if (kind == TRD_AP_SUBSCRIPTION) {
		log_info("feed: connection %u subscribed", k->id);
		k->g->attempt = 0;
		return;
	}
	if (kind != TRD_AP_ERROR)
		return;
	l->st.venue_errors++;
	switch (code) {
	case 402:
		log_error("feed: Alpaca refused the credentials (402 %s): check "
			  "APCA_API_KEY_ID and APCA_API_SECRET_KEY; stopping", msg);
		l->fatal = TRD_EAUTH;
		break;
	case 405:
	case 409:
		log_error("feed: Alpaca: %d %s (the account's plan does not "
			  "allow this subscription: fewer symbols, or the iex "
			  "feed); stopping", code, msg);
		l->fatal = TRD_ECONFIG;
		break;
	case 406:
		/* One connection per endpoint: another session (or the last
		 * one, not yet gone) holds it.  Wait longer before trying. */
		log_warn("feed: Alpaca: 406 %s: another connection holds the "
			 "account's only one; backing off", msg);
		k->drop = "connection limit exceeded (406)";
		if (k->g->attempt < 4)
			k->g->attempt = 4;
		break;
	case 404:
	case 407:
	case 500:
		log_warn("feed: Alpaca: %d %s; reconnecting", code, msg);
		k->drop = code == 404 ? "auth timeout (404)"
			  : code == 407 ? "slow client (407)"
					: "internal error (500)";
		break;
	default:
		log_warn("feed: Alpaca: error %d %s", code, msg);
		break;
	}
}

static void
on_open(void *arg)
{
	struct lconn *k = arg;
	struct feed_live *l = k->g->l;
	struct trd_feed_in in = { .kind = TRD_FIN_OPEN };

	k->open = 1;
	k->opened_mono = k->last_mono = trd_clock_mono_ns();
	in.ts_ns = stamp(l);
	in.conn = k->id;
	log_info("feed: connection %u open (%zu symbols)", k->id,
		 k->g->to - k->g->from);
	input(l, &in);
}

static void
on_message(void *arg, int64_t recv_ns, const char *data, size_t len)
{
	struct lconn *k = arg;
	struct group *g = k->g;
	struct feed_live *l = g->l;
	struct trd_feed_in in = { .kind = TRD_FIN_FRAME };

	(void)recv_ns;
	if (l->stopped)
		return;
	k->last_mono = l->recv_mono = trd_clock_mono_ns();
	if (!k->got) {
		k->got = 1;
		g->attempt = 0;
		if (g->nxt == k) {
			promote(g);
			k = g->cur;
		}
	}
	in.ts_ns = stamp(l);
	in.conn = k->id;
	in.data = data;
	in.len = len;
	l->st.frames++;
	input(l, &in);
	l->recv_mono = 0;
	if (len < 160 && memmem(data, len, "serverShutdown", 14) &&
	    g->cur == k && g->nxt == NULL) {
		g->shutdowns++;
		l->st.shutdowns++;
		log_info("feed: serverShutdown on connection %u: opening its "
			 "replacement", k->id);
		conn_open(g, 1);
	}
}

static void
on_close(void *arg, const char *why)
{
	struct lconn *k = arg;
	struct group *g = k->g;
	struct feed_live *l = g->l;
	int was_cur = g->cur == k;

	k->ws = NULL; /* freed by ws after this returns */
	if (l->stopped) {
		conn_drop(k, why, 0);
		return;
	}
	log_warn("feed: connection %u: %s", k->id, why);
	conn_drop(k, why, 1);
	if (!was_cur)
		return;
	g->reconnects++;
	l->st.reconnects++;
	if (g->nxt) {
		g->cur = g->nxt; /* the standby carries on */
		g->nxt = NULL;
		return;
	}
	schedule(g);
}

static void
conn_open(struct group *g, int standby)
{
	struct feed_live *l = g->l;
	struct lconn *k = calloc(1, sizeof(*k));
	static const struct trd_ws_cbs cbs = { on_open, on_message, on_close };

	if (k == NULL)
		return;
	k->g = g;
	k->id = ++l->next_conn;
	if (standby)
		g->nxt = k;
	else
		g->cur = k;
	k->opened_mono = k->last_mono = trd_clock_mono_ns();
	if ((k->ws = trd_ws_open(l->wsx, g->url, &cbs, k, l->c->feed.ping_s,
				 4u << 20)) == NULL) {
		if (standby)
			g->nxt = NULL;
		else
			g->cur = NULL;
		free(k);
		if (!standby)
			schedule(g);
	}
}

static void
tick_cb(uv_timer_t *t)
{
	struct feed_live *l = t->data;
	const struct trd_feed_conf *fc = &l->c->feed;
	int64_t mono = trd_clock_mono_ns();
	struct trd_feed_in in = { .kind = TRD_FIN_TIME };
	struct trd_event ev = { .type = TRD_EV_TIME };

	if (l->stopped)
		return;
	in.ts_ns = ev.ts_ns = stamp(l);
	input(l, &in);
	if (!l->stopped && l->e)
		trd_engine_push(l->e, &ev);
	if (l->stopped)
		return;
	if (l->fatal) {
		int rc = l->fatal;
		l->fatal = 0;
		trd_engine_fail(l->e, rc);
		return;
	}
	for (size_t i = 0; i < l->ng; i++) {
		struct group *g = &l->g[i];
		struct lconn *k = g->cur;
		if (k == NULL || !k->open)
			continue;
		if (l->alpaca && !k->drop && !k->authed &&
		    mono - k->opened_mono > (int64_t)AP_AUTH_S * 1000000000)
			k->drop = "not authenticated within 10 s";
		if (k->drop) {
			log_warn("feed: connection %u: %s", k->id, k->drop);
			conn_drop(k, k->drop, 1);
			g->reconnects++;
			l->st.reconnects++;
			schedule(g);
			continue;
		}
		if (mono - k->last_mono > (int64_t)fc->silence_s * 1000000000) {
			g->silences++;
			l->st.silences++;
			log_warn("feed: connection %u silent for %us; "
				 "reconnecting", k->id, fc->silence_s);
			conn_drop(k, "silent", 1);
			g->reconnects++;
			l->st.reconnects++;
			if (g->nxt) {
				g->cur = g->nxt;
				g->nxt = NULL;
			} else {
				g->attempt = 0;
				schedule(g);
			}
			continue;
		}
		/* Alpaca allows one connection: no overlap to rotate with. */
		if (g->nxt == NULL && !l->alpaca &&
		    mono - k->opened_mono > (int64_t)fc->rotate_s * 1000000000) {
			g->rotations++;
			l->st.rotations++;
			log_info("feed: connection %u is %us old: opening its "
				 "replacement", k->id, fc->rotate_s);
			conn_open(g, 1);
		}
	}
	if (l->tape && ++l->ticks % FLUSH_TICKS == 0)
		trd_tape_flush(l->tape);
}

/* ---- the source ---- */

static void
handle_closed(uv_handle_t *h)
{
	struct feed_live *l = h->data;

	if (--l->handles == 0 && l->destroyed) {
		free(l->g);
		free(l->qord);
		free(l);
	}
}

static void
group_closed(uv_handle_t *h)
{
	struct group *g = h->data;
	struct feed_live *l = g->l;

	h->data = l;
	handle_closed(h);
}

static int
live_start(struct trd_source *src, struct trd_engine *e)
{
	struct feed_live *l = (struct feed_live *)src;
	const struct trd_feed_conf *fc = &l->c->feed;
	struct trd_http_opts ho = { .ca_file = fc->ca_file };
	struct trd_feed_in in = { .kind = TRD_FIN_START };
	char head[512];
	int rc, n;
	char *syms;
	size_t cap = 64;

	if (l->alpaca && (credential("APCA_API_KEY_ID", l->ap_key,
				     sizeof(l->ap_key)) != 0 ||
			  credential("APCA_API_SECRET_KEY", l->ap_secret,
				     sizeof(l->ap_secret)) != 0))
		return TRD_ECONFIG;
	l->e = e;
	if ((rc = trd_ws_ctx_new(&l->wsx, l->loop, fc->ca_file)) != 0)
		return rc;
	if ((rc = trd_http_new(&l->http, l->loop, fc->rest_url, &ho)) != 0)
		return rc;
	/* The session's identity, first on the tape. */
	for (size_t i = 0; i < l->reg->n; i++)
		cap += strlen(l->reg->v[i].symbol) + 1;
	if ((syms = malloc(cap + sizeof(head))) == NULL)
		return -ENOMEM;
	n = snprintf(syms, sizeof(head), "traderd-tape 1 kind=%d streams=%u "
		     "kline_tf=%u bar_tf=%u symbols=", fc->kind, fc->streams,
		     fc->kline_tf_s, fc->bar_tf_s);
	for (size_t i = 0; i < l->reg->n; i++)
		n += sprintf(syms + n, "%s%s", i ? "," : "",
			     l->reg->v[i].symbol);
	in.ts_ns = l->base.start_ns;
	in.data = syms;
	in.len = (size_t)n;
	input(l, &in);
	free(syms);
	l->started = 1;
	for (size_t i = 0; i < l->ng; i++)
		conn_open(&l->g[i], 0);
	uv_timer_start(&l->tick, tick_cb, TICK_MS, TICK_MS);
	return 0;
}

static void
live_stop(struct trd_source *src)
{
	struct feed_live *l = (struct feed_live *)src;

	if (l->stopped)
		return;
	l->stopped = 1;
	uv_timer_stop(&l->tick);
	for (size_t i = 0; i < l->ng; i++) {
		struct group *g = &l->g[i];
		uv_timer_stop(&g->retry);
		if (g->nxt)
			conn_drop(g->nxt, "stopped", 0);
		if (g->cur)
			conn_drop(g->cur, "stopped", 0);
	}
	if (l->http) {
		trd_http_free(l->http);
		l->http = NULL;
	}
	if (l->tape)
		trd_tape_flush(l->tape);
	/* lws lets go of the loop's handles in two steps from here, so the
	 * loop can run dry after a stop. */
	trd_ws_ctx_free(l->wsx);
	l->wsx = NULL;
}

static void
live_destroy(struct trd_source *src)
{
	struct feed_live *l = (struct feed_live *)src;

	live_stop(src);
	explicit_bzero(l->ap_key, sizeof(l->ap_key));
	explicit_bzero(l->ap_secret, sizeof(l->ap_secret));
	{
		const struct trd_feed_stats *fs = &l->feed.st;
		log_info("feed: %" PRIu64 " frames (%" PRIu64 " refused), %"
			 PRIu64 " bars (%" PRIu64 " backfilled, %" PRIu64
			 " duplicates dropped), %" PRIu64 " trades (%" PRIu64
			 " backfilled, %" PRIu64 " duplicates), %" PRIu64
			 " quotes, %" PRIu64 " book resyncs, %" PRIu64
			 " reconnects, %" PRIu64 " rotations",
			 fs->frames, fs->refused, fs->bars, fs->bars_backfilled,
			 fs->bars_dup, fs->trades, fs->trades_backfilled,
			 fs->trades_dup, fs->quotes, fs->book_resyncs,
			 l->st.reconnects, l->st.rotations);
	}
	if (l->tape) {
		const struct trd_tape_stats *ts = trd_tape_stats(l->tape);
		log_info("tape: %" PRIu64 " records (%" PRIu64 " bytes), %"
			 PRIu64 " bars and %" PRIu64 " ticks stored",
			 ts->records, ts->bytes, ts->bars, ts->ticks);
		trd_tape_writer_close(l->tape);
		l->tape = NULL;
	}
	for (size_t i = 0; i < l->ng; i++)
		free(l->g[i].url);
	trd_feed_free(&l->feed);
	l->destroyed = 1;
	uv_close((uv_handle_t *)&l->tick, handle_closed);
	for (size_t i = 0; i < l->ng; i++)
		uv_close((uv_handle_t *)&l->g[i].retry, group_closed);
}

static const struct trd_source_ops live_ops = {
	.kind = "feed",
	.start = live_start,
	.stop = live_stop,
	.destroy = live_destroy,
};

int
trd_feed_live_open(struct trd_source **out, uv_loop_t *loop,
		   const struct trd_config *c, const struct trd_registry *reg,
		   struct trd_store *store, int64_t start_ns)
{
	struct feed_live *l = calloc(1, sizeof(*l));
	const struct trd_feed_conf *fc = &c->feed;
	int per, rc;

	*out = NULL;
	if (l == NULL)
		return -ENOMEM;
	l->base.ops = &live_ops;
	l->base.start_ns = start_ns;
	l->last_ts = start_ns;
	l->loop = loop;
	l->c = c;
	l->reg = reg;
	l->store = store;
	l->rng = (uint64_t)trd_clock_mono_ns() | 1;
	if ((l->qord = calloc(reg->n ? reg->n : 1, sizeof(*l->qord))) == NULL) {
		free(l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < reg->n; i++)
		l->qord[i].ts = INT64_MIN;
	if ((rc = trd_feed_init(&l->feed, fc, reg, emit_cb, req_cb, l)) != 0) {
		free(l->qord);
		free(l);
		return rc;
	}
	l->alpaca = l->feed.alpaca;
	l->feed.ctl = ctl_cb;
	if (l->alpaca) {
		/* Every symbol on the one connection, at the URL as given
		 * (.../v2/iex, .../v1beta3/crypto/us): channels are asked
		 * for in a message once authenticated. */
		if ((l->g = calloc(1, sizeof(*l->g))) == NULL ||
		    (l->g->url = strdup(fc->ws_url)) == NULL) {
			rc = -ENOMEM;
			l->ng = l->g ? 1 : 0;
			goto fail;
		}
		l->ng = 1;
		l->g->l = l;
		l->g->from = 0;
		l->g->to = reg->n;
		goto writer;
	}
	/* Connections by the length of their URL as much as by the
	 * stream count: libwebsockets 4.1.6 cuts a request path at 2 KiB
	 * (with a NUL in it), so each URL stays under MAX_PATH. */
	per = trd_feed_nstreams(fc);
	{
		size_t *start = calloc(reg->n + 1, sizeof(*start)), ng = 0;
		size_t used = 0, nstreams = 0;
		char one[5 * (TRD_SYMBOL_MAX + 32)];
		if (start == NULL) {
			trd_feed_free(&l->feed);
			free(l->qord);
			free(l);
			return -ENOMEM;
		}
		for (size_t i = 0; i < reg->n; i++) {
			size_t len;
			trd_feed_streams(fc, reg, i, i + 1, one, sizeof(one));
			len = strlen(one) + 1;
			if (i == 0 || used + len > MAX_PATH ||
			    nstreams + (size_t)per > MAX_STREAMS) {
				start[ng++] = i;
				used = nstreams = 0;
			}
			used += len;
			nstreams += (size_t)per;
		}
		l->ng = ng ? ng : 1;
		if ((l->g = calloc(l->ng, sizeof(*l->g))) == NULL) {
			free(start);
			trd_feed_free(&l->feed);
			free(l->qord);
			free(l);
			return -ENOMEM;
		}
		for (size_t i = 0; i < l->ng; i++) {
			l->g[i].from = ng ? start[i] : 0;
			l->g[i].to = i + 1 < ng ? start[i + 1] : reg->n;
		}
		free(start);
	}
	for (size_t i = 0; i < l->ng; i++) {
		struct group *g = &l->g[i];
		size_t ulen, n;
		g->l = l;
		/* At most 5 streams a symbol, each "sym@name" and a '/'. */
		ulen = strlen(fc->ws_url) + 32 +
		       (g->to - g->from) * 5 * (TRD_SYMBOL_MAX + 32);
		if ((g->url = malloc(ulen)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		n = (size_t)snprintf(g->url, ulen, "%s/stream?streams=",
				     fc->ws_url);
		if (trd_feed_streams(fc, reg, g->from, g->to, g->url + n,
				     ulen - n) != 0) {
			rc = -ENOSPC;
			goto fail;
		}
	}
writer:
	/* The tape writer also adds the session's bars to the store; with
	 * record off it keeps no frames. */
	if (store && (rc = trd_tape_writer_new(&l->tape, loop, store,
					       fc->retention_h,
					       fc->record)) != 0)
		goto fail;
	for (size_t i = 0; i < l->ng; i++) {
		uv_timer_init(loop, &l->g[i].retry);
		l->g[i].retry.data = &l->g[i];
		l->handles++;
	}
	uv_timer_init(loop, &l->tick);
	l->tick.data = l;
	l->handles++;
	*out = &l->base;
	return 0;
fail:
	for (size_t i = 0; i < l->ng; i++)
		free(l->g[i].url);
	free(l->g);
	trd_feed_free(&l->feed);
	free(l->qord);
	free(l);
	return rc;
}

const struct trd_feed_live_stats *
trd_feed_live_stats(const struct trd_source *src)
{
	return &((const struct feed_live *)src)->st;
}

int64_t
trd_feed_live_recv_mono(const struct trd_source *src)
{
	return ((const struct feed_live *)src)->recv_mono;
}

const struct trd_feed *
trd_feed_live_feed(const struct trd_source *src)
{
	return &((const struct feed_live *)src)->feed;
}

size_t
trd_feed_live_conns(const struct trd_source *src,
		    struct trd_feed_conn_info *out, size_t max)
{
	const struct feed_live *l = (const struct feed_live *)src;
	int64_t now = trd_clock_mono_ns();

	for (size_t i = 0; i < l->ng && i < max; i++) {
		const struct group *g = &l->g[i];
		const struct lconn *k = g->cur;
		struct trd_feed_conn_info *o = &out[i];

		*o = (struct trd_feed_conn_info){
			.group = i, .from = g->from, .to = g->to,
			.reconnects = g->reconnects,
			.rotations = g->rotations, .silences = g->silences,
			.attempt = g->attempt,
		};
		if (k == NULL) {
			o->state = "retrying";
			continue;
		}
		o->id = k->id;
		o->state = !k->open ? "connecting"
			   : l->alpaca && !k->authed ? "authenticating"
						     : "open";
		o->open_age_ns = k->open ? now - k->opened_mono : -1;
		o->last_age_ns = k->got ? now - k->last_mono : -1;
	}
	return l->ng;
}

size_t
trd_feed_live_nopen(const struct trd_source *src, size_t *nconn)
{
	const struct feed_live *l = (const struct feed_live *)src;
	size_t open = 0;

	for (size_t i = 0; i < l->ng; i++)
		open += l->g[i].cur && l->g[i].cur->open &&
			(!l->alpaca || l->g[i].cur->authed);
	*nconn = l->ng;
	return open;
}
