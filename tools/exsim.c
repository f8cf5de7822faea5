/*
 * exsim: a local exchange simulator for traderd's tests and for trying a
 * paper session without a network.
 *
 * It serves, on one loopback port, what traderd's Binance feed uses:
 *   WebSocket  /stream?streams=a/b/c (combined) and /ws/<stream> (raw),
 *              live SUBSCRIBE/UNSUBSCRIBE, ping/pong;
 *   REST       /api/v3/{time,exchangeInfo,klines,depth,aggTrades} (and
 *              the same under /fapi/v1 for USD-M), in exsim_rest.c.
 *
 * Market data comes from a recorded session (--frames FILE.ws_frames.jsonl,
 * with --recv-ts for the original timing, times --speed, or as fast as it
 * can without; --snapshots for the REST depth snapshots), played once from
 * when the first client subscribes, or from a seeded synthetic market (--symbols N
 * --rate R): trades, book tickers, depth diffs from a book it keeps, and
 * klines of 1s and 1m that close on the wall clock.  The book it serves as
 * a snapshot is the one it has sent diffs for, so a client that resyncs
 * gets a snapshot consistent with the stream.
 *
 * Faults (each off unless given):
 *   --drop-every S     cut each connection S seconds after it opened
 *   --max-age S        close each connection (close frame) at age S
 *   --malformed P      replace a fraction P of data frames with broken JSON
 *   --depth-gap N      do not send every Nth depth diff (a sequence gap;
 *                      never among a recording's last 20 frames)
 *   --stall-at S --stall-for D   send no data from S to S+D seconds
 *   --shutdown-at S    send a serverShutdown event at S seconds
 *   --slow B           write each frame in pieces of B bytes, 1 per ms
 *   --in-rate N        hang up on a client sending more than N msgs/s
 *
 * With --alpaca stocks|crypto it speaks Alpaca's market-data stream
 * protocol instead, over the synthetic market (exsim_alpaca.c): auth with
 * --alpaca-key/--alpaca-secret (default testkey/testsecret), at most
 * --alpaca-max-conns connections (default 1), the numbered errors.
 *
 * It prints "exsim: listening on 127.0.0.1:PORT" (and writes the port to
 * --port-file) once it accepts connections, and runs until SIGTERM/SIGINT
 * or --duration seconds.  Everything it generates follows from --seed.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "clock.h"
#include "exsim_alpaca.h"
#include "exsim_int.h"

struct exsim S;

static uint64_t
rnd(void)
{
	/* xorshift64*: a seeded, portable stream */
	S.rng ^= S.rng >> 12;
	S.rng ^= S.rng << 25;
	S.rng ^= S.rng >> 27;
	return S.rng * 2685821657736338717ULL;
}

static double
rnd01(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double
elapsed_s(void)
{
	return (double)(trd_clock_mono_ns() - S.start_mono) / 1e9;
}

int64_t
now_ms(void)
{
	return trd_clock_realtime_ns() / 1000000;
}

static void
die(const char *fmt, const char *a)
{
	fprintf(stderr, "exsim: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(2);
}

/* ---- writing ---- */

struct wr {
	uv_write_t w;
	size_t     len;
	char       data[];
};

static void client_close(struct client *c);

static void
wr_cb(uv_write_t *w, int status)
{
	(void)status;
	free(w);
}

void
send_bytes(struct client *c, const void *p, size_t n)
{
	struct wr *w;
	uv_buf_t b;

	if (c->closing || n == 0)
		return;
	/* A client that does not read is cut off, as venues do. */
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) >
	    (64u << 20)) {
		fprintf(stderr, "exsim: client %" PRIu64 " is not reading; "
			"cut off\n", c->id);
		client_close(c);
		return;
	}
	if ((w = malloc(sizeof(*w) + n)) == NULL)
		return;
	memcpy(w->data, p, n);
	w->len = n;
	b = uv_buf_init(w->data, (unsigned)n);
	if (uv_write(&w->w, (uv_stream_t *)&c->tcp, &b, 1, wr_cb) < 0)
		free(w);
}

struct slow {
	uv_timer_t t;
	struct client *c;
	size_t     off, len;
	char       data[];
};

static void
slow_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
slow_cb(uv_timer_t *t)
{
	struct slow *s = t->data;
	size_t n = s->len - s->off;

	if (n > (size_t)S.slow)
		n = (size_t)S.slow;
	send_bytes(s->c, s->data + s->off, n);
	s->off += n;
	if (s->off >= s->len || s->c->closing) {
		uv_timer_stop(t);
		uv_close((uv_handle_t *)t, slow_closed);
	}
}

static void
ws_send(struct client *c, int op, const char *p, size_t n)
{
	unsigned char h[10];
	size_t hl;
	char *buf;

	h[0] = (unsigned char)(0x80 | op);
	if (n < 126) {
		h[1] = (unsigned char)n;
		hl = 2;
	} else if (n < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (S.slow <= 0 || op != 1) {
		if ((buf = malloc(hl + n)) == NULL)
			return;
		memcpy(buf, h, hl);
		memcpy(buf + hl, p, n);
		send_bytes(c, buf, hl + n);
		free(buf);
		return;
	}
	{
		struct slow *s = malloc(sizeof(*s) + hl + n);
		if (s == NULL)
			return;
		memcpy(s->data, h, hl);
		memcpy(s->data + hl, p, n);
		s->c = c;
		s->off = 0;
		s->len = hl + n;
		uv_timer_init(S.loop, &s->t);
		s->t.data = s;
		uv_timer_start(&s->t, slow_cb, 0, 1);
	}
}

static void
client_closed(uv_handle_t *h)
{
	struct client *c = h->data;

	if (--c->timers > 0)
		return;
	ap_closed(c->ap);
	trd_httpp_free(c->pp);
	free(c->in);
	free(c);
}

static void
client_close(struct client *c)
{
	struct client **pp;

	if (c->closing)
		return;
	c->closing = 1;
	for (pp = &S.clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->timers = 3;
	uv_close((uv_handle_t *)&c->drop, client_closed);
	uv_close((uv_handle_t *)&c->age, client_closed);
	uv_close((uv_handle_t *)&c->tcp, client_closed);
}

/* ---- market data to clients ---- */

static int
subscribed(const struct client *c, const char *stream, size_t len)
{
	for (int i = 0; i < c->nsubs; i++)
		if (strlen(c->subs[i]) == len &&
		    memcmp(c->subs[i], stream, len) == 0)
			return 1;
	return 0;
}

static int
stalled(void)
{
	double t = elapsed_s();

	return S.stall_for > 0 && t >= S.stall_at &&
	       t < S.stall_at + S.stall_for;
}

/* Send a combined-stream message {"stream":..,"data":..} to everyone
 * subscribed to its stream. */
static void
broadcast(const char *stream, const char *data, size_t dlen)
{
	size_t slen = strlen(stream);
	char *msg = NULL;
	size_t mlen = 0;
	int bad = 0;

	if (stalled())
		return;
	if (S.malformed > 0 && rnd01() < S.malformed)
		bad = 1;
	for (struct client *c = S.clients; c; c = c->next) {
		const char *out;
		size_t olen;
		if (!c->ws || c->closing || !subscribed(c, stream, slen))
			continue;
		if (c->raw) {
			out = data;
			olen = dlen;
		} else {
			if (msg == NULL) {
				msg = malloc(dlen + slen + 32);
				if (msg == NULL)
					return;
				mlen = (size_t)sprintf(msg, "{\"stream\":\"%s\","
						       "\"data\":", stream);
				memcpy(msg + mlen, data, dlen);
				mlen += dlen;
				msg[mlen++] = '}';
			}
			out = msg;
			olen = mlen;
		}
		if (bad) {
			/* Cut short, or one number spoiled. */
			static const char junk[] =
				"{\"stream\":\"x\",\"data\":{\"e\":\"aggTrade\","
				"\"s\":\"??\",\"p\":\"1.2.3\"}";
			if (rnd() & 1)
				ws_send(c, 1, out, olen / 2);
			else
				ws_send(c, 1, junk, sizeof(junk) - 1);
		} else {
			ws_send(c, 1, out, olen);
		}
		S.sent++;
	}
	if (bad)
		S.malformed_sent++;
	free(msg);
}

/* ---- numbers ---- */

int
fmt_dec(char *out, int64_t v, int dp)
{
	int64_t p = 1;
	int neg = v < 0;

	for (int i = 0; i < dp; i++)
		p *= 10;
	if (neg)
		v = -v;
	if (dp == 0)
		return sprintf(out, "%s%" PRId64, neg ? "-" : "", v);
	return sprintf(out, "%s%" PRId64 ".%0*" PRId64, neg ? "-" : "",
		       v / p, dp, v % p);
}

/* ---- the synthetic market ---- */

const int64_t tf_ms[2] = { 1000, 60000 };
const char *const tf_name[2] = { "1s", "1m" };

static void
kline_json(char *out, const struct sym *y, int k, const struct kl *b,
	   int closed)
{
	char o[32], h[32], l[32], c[32], v[32], q[40];

	fmt_dec(o, b->o, PDP);
	fmt_dec(h, b->h, PDP);
	fmt_dec(l, b->l, PDP);
	fmt_dec(c, b->c, PDP);
	fmt_dec(v, b->v, QDP);
	fmt_dec(q, b->q, PDP + QDP);
	sprintf(out, "{\"e\":\"kline\",\"E\":%" PRId64 ",\"s\":\"%s\",\"k\":"
		"{\"t\":%" PRId64 ",\"T\":%" PRId64 ",\"s\":\"%s\",\"i\":\"%s\","
		"\"f\":%" PRId64 ",\"L\":%" PRId64 ",\"o\":\"%s\",\"c\":\"%s\","
		"\"h\":\"%s\",\"l\":\"%s\",\"v\":\"%s\",\"n\":%" PRId64 ","
		"\"x\":%s,\"q\":\"%s\",\"V\":\"0\",\"Q\":\"0\",\"B\":\"0\"}}",
		now_ms(), y->name, b->t, b->t + tf_ms[k] - 1, y->name,
		tf_name[k], b->n ? b->first : -1, b->n ? b->last : -1, o, c, h,
		l, v, b->n, closed ? "true" : "false", q);
}

static void
push_hist(struct sym *y, int k, const struct kl *b)
{
	if (y->nhist[k] == y->caphist[k]) {
		size_t cap = y->caphist[k] ? y->caphist[k] * 2 : 256;
		struct kl *n;
		if (y->nhist[k] == KEEP_KLINE) {
			memmove(y->hist[k], y->hist[k] + KEEP_KLINE / 2,
				(KEEP_KLINE / 2) * sizeof(struct kl));
			y->nhist[k] = KEEP_KLINE / 2;
		} else {
			if ((n = realloc(y->hist[k], cap * sizeof(*n))) == NULL)
				return;
			y->hist[k] = n;
			y->caphist[k] = cap;
		}
	}
	y->hist[k][y->nhist[k]++] = *b;
}

/* The symbol as Alpaca names it: SYM0USDT, or SYM0/USD for crypto. */
static const char *
ap_name(const struct sym *y)
{
	static char b[32];
	size_t n = strlen(y->name);

	if (S.alpaca != 2 || n < 5 || strcmp(y->name + n - 4, "USDT") != 0)
		return y->name;
	snprintf(b, sizeof(b), "%.*s/USD", (int)(n - 4), y->name);
	return b;
}

static void
close_klines(struct sym *y, int64_t t)
{
	char buf[1024], stream[64];

	for (int k = 0; k < 2; k++) {
		struct kl *b = &y->cur[k];
		int64_t open = t - t % tf_ms[k];
		if (b->open && b->t == open)
			continue;
		if (b->open && S.alpaca && k == 1 && b->n > 0) {
			char o[32], h[32], l[32], c[32], v[32];
			fmt_dec(o, b->o, PDP);
			fmt_dec(h, b->h, PDP);
			fmt_dec(l, b->l, PDP);
			fmt_dec(c, b->c, PDP);
			fmt_dec(v, b->v, QDP);
			ap_bar(ap_name(y), o, h, l, c, v, b->t);
		}
		if (b->open) {
			kline_json(buf, y, k, b, 1);
			snprintf(stream, sizeof(stream), "%s@kline_%s",
				 y->lower, tf_name[k]);
			broadcast(stream, buf, strlen(buf));
			push_hist(y, k, b);
		}
		*b = (struct kl){ .t = open, .o = y->px, .h = y->px,
				  .l = y->px, .c = y->px, .open = 1 };
	}
}

static void
synth_step(struct sym *y)
{
	char buf[2048], stream[64], p[32], q[32], bp[32], bq[32], ap[32],
	     aq[32];
	int64_t t = now_ms(), qty, step;
	int maker;
	struct trade tr;

	close_klines(y, t);
	step = (int64_t)(rnd() % 7) - 3;
	if (y->px + step > 100)
		y->px += step;
	qty = 1 + (int64_t)(rnd() % 2000);
	maker = (int)(rnd() & 1);
	y->agg_id++;
	tr = (struct trade){ y->agg_id, y->px, qty, t, maker };
	if (y->ntr == y->captr) {
		if (y->ntr == KEEP_TRADE) {
			memmove(y->tr, y->tr + KEEP_TRADE / 2,
				(KEEP_TRADE / 2) * sizeof(*y->tr));
			y->ntr = KEEP_TRADE / 2;
		} else {
			size_t cap = y->captr ? y->captr * 2 : 1024;
			struct trade *n = realloc(y->tr, cap * sizeof(*n));
			if (n == NULL)
				return;
			y->tr = n;
			y->captr = cap;
		}
	}
	y->tr[y->ntr++] = tr;
	for (int k = 0; k < 2; k++) {
		struct kl *b = &y->cur[k];
		if (b->n == 0) {
			b->o = b->h = b->l = y->px;
			b->first = tr.id;
		}
		b->c = y->px;
		if (y->px > b->h)
			b->h = y->px;
		if (y->px < b->l)
			b->l = y->px;
		b->v += qty;
		b->q += y->px * qty;
		b->n++;
		b->last = tr.id;
	}
	fmt_dec(p, y->px, PDP);
	fmt_dec(q, qty, QDP);
	sprintf(buf, "{\"e\":\"aggTrade\",\"E\":%" PRId64 ",\"s\":\"%s\","
		"\"a\":%" PRId64 ",\"p\":\"%s\",\"q\":\"%s\",\"f\":%" PRId64
		",\"l\":%" PRId64 ",\"T\":%" PRId64 ",\"m\":%s,\"M\":true}",
		t, y->name, tr.id, p, q, tr.id, tr.id, t,
		maker ? "true" : "false");
	snprintf(stream, sizeof(stream), "%s@aggTrade", y->lower);
	broadcast(stream, buf, strlen(buf));
	if (S.alpaca)
		ap_trade(ap_name(y), tr.id, p, q, t, maker);

	/* The book moves around the price: the touch one tick either side,
	 * levels through the price removed, a few sizes changed. */
	{
		struct trd_bn_level lv[64];
		size_t nb = 0, na = 0;
		struct trd_book *bk = &y->book;
		struct trd_bn_msg m = { .kind = TRD_BN_DEPTH };
		size_t nlv;

		for (size_t i = 0; i < bk->bid.n && nb < 20; i++)
			if (bk->bid.v[i].px >= y->px)
				lv[nb++] = (struct trd_bn_level){ bk->bid.v[i].px, 0 };
		lv[nb++] = (struct trd_bn_level){ y->px - 1,
						  1 + (int64_t)(rnd() % 5000) };
		for (int j = 0; j < 2; j++)
			lv[nb++] = (struct trd_bn_level){
				y->px - 2 - (int64_t)(rnd() % 20),
				(int64_t)(rnd() % 4) ? 1 + (int64_t)(rnd() % 9000)
						     : 0 };
		for (size_t i = 0; i < bk->ask.n && na < 20; i++)
			if (bk->ask.v[i].px <= y->px)
				lv[nb + na++] = (struct trd_bn_level){
					bk->ask.v[i].px, 0 };
		lv[nb + na++] = (struct trd_bn_level){
			y->px + 1, 1 + (int64_t)(rnd() % 5000) };
		for (int j = 0; j < 2; j++)
			lv[nb + na++] = (struct trd_bn_level){
				y->px + 2 + (int64_t)(rnd() % 20),
				(int64_t)(rnd() % 4) ? 1 + (int64_t)(rnd() % 9000)
						     : 0 };
		nlv = nb + na;
		m.u.depth.first_id = bk->id + 1;
		m.u.depth.last_id = bk->id + 1 + (rnd() % 3);
		m.u.depth.prev_id = bk->id;
		m.u.depth.has_prev = S.usdm;
		m.u.depth.nbids = nb;
		m.u.depth.nasks = na;
		trd_book_diff(bk, &m, lv);
		{
			size_t n = (size_t)sprintf(buf, "{\"e\":\"depthUpdate\","
				"\"E\":%" PRId64 ",\"s\":\"%s\",\"U\":%" PRIu64
				",\"u\":%" PRIu64, t, y->name,
				m.u.depth.first_id, m.u.depth.last_id);
			if (S.usdm)
				n += (size_t)sprintf(buf + n, ",\"pu\":%" PRIu64,
						     m.u.depth.prev_id);
			for (int side = 0; side < 2; side++) {
				size_t from = side ? nb : 0,
				       to = side ? nlv : nb;
				n += (size_t)sprintf(buf + n, ",\"%c\":[",
						     side ? 'a' : 'b');
				for (size_t i = from; i < to; i++) {
					fmt_dec(p, lv[i].px, PDP);
					fmt_dec(q, lv[i].qty, QDP);
					n += (size_t)sprintf(buf + n,
						"%s[\"%s\",\"%s\"]",
						i > from ? "," : "", p, q);
				}
				buf[n++] = ']';
			}
			buf[n++] = '}';
			buf[n] = '\0';
			snprintf(stream, sizeof(stream), "%s@depth@100ms",
				 y->lower);
			S.depth_count++;
			if (S.depth_gap > 0 &&
			    S.depth_count % (uint64_t)S.depth_gap == 0)
				S.gaps_made++;
			else {
				broadcast(stream, buf, n);
				snprintf(stream, sizeof(stream), "%s@depth",
					 y->lower);
				broadcast(stream, buf, n);
			}
		}
		{
			int64_t b0 = 0, bq0 = 0, a0 = 0, aq0 = 0;
			trd_book_top(bk, &b0, &bq0, &a0, &aq0);
			fmt_dec(bp, b0, PDP);
			fmt_dec(bq, bq0, QDP);
			fmt_dec(ap, a0, PDP);
			fmt_dec(aq, aq0, QDP);
			sprintf(buf, "{\"u\":%" PRIu64 ",\"s\":\"%s\",\"b\":"
				"\"%s\",\"B\":\"%s\",\"a\":\"%s\",\"A\":\"%s\"}",
				bk->id, y->name, bp, bq, ap, aq);
			snprintf(stream, sizeof(stream), "%s@bookTicker",
				 y->lower);
			broadcast(stream, buf, strlen(buf));
			if (S.alpaca)
				ap_quote(ap_name(y), bp, bq, ap, aq, t);
		}
	}
	for (int k = 0; k < 2; k++) {
		kline_json(buf, y, k, &y->cur[k], 0);
		snprintf(stream, sizeof(stream), "%s@kline_%s", y->lower,
			 tf_name[k]);
		broadcast(stream, buf, strlen(buf));
	}
}

static void
ap_send_cb(void *c, const char *p, size_t n)
{
	ws_send(c, 1, p, n);
}

static void
ap_close_cb(void *c)
{
	client_close(c);
}

static void
faults_tick(void)
{
	if (S.shutdown_at > 0 && !S.shutdown_sent &&
	    elapsed_s() >= S.shutdown_at) {
		char buf[128];
		S.shutdown_sent = 1;
		for (struct client *c = S.clients; c; c = c->next) {
			int n;
			if (!c->ws)
				continue;
			n = sprintf(buf, "{\"stream\":\"!serverShutdown\","
				    "\"data\":{\"e\":\"serverShutdown\",\"E\":%"
				    PRId64 "}}", now_ms());
			ws_send(c, 1, buf, (size_t)n);
		}
		fprintf(stderr, "exsim: serverShutdown sent\n");
	}
}

static void
synth_tick(uv_timer_t *t)
{
	(void)t;
	faults_tick();
	if (S.alpaca)
		ap_tick(now_ms());
	for (int i = 0; i < S.nsyms; i++)
		synth_step(&S.syms[i]);
}

/* ---- recorded frames ---- */

struct sym *
sym_find(const char *name, size_t len)
{
	for (int i = 0; i < S.nsyms; i++)
		if (strlen(S.syms[i].name) == len &&
		    strncasecmp(S.syms[i].name, name, len) == 0)
			return &S.syms[i];
	return NULL;
}

static struct sym *
sym_add(const char *name, size_t len)
{
	struct sym *y = sym_find(name, len);

	if (y)
		return y;
	if (S.nsyms == MAX_SYMS || len >= sizeof(y->name))
		die("too many symbols (or a long name) near %s", name);
	y = &S.syms[S.nsyms++];
	memset(y, 0, sizeof(*y));
	for (size_t i = 0; i < len; i++) {
		y->name[i] = (char)(name[i] >= 'a' && name[i] <= 'z'
				    ? name[i] - 32 : name[i]);
		y->lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
				     ? name[i] + 32 : name[i]);
	}
	return y;
}

/* Extract "key":"value" (a string) from a line; 0 or -1. */
static int
field(const char *line, const char *key, const char **v, size_t *len)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(line, pat)) == NULL)
		return -1;
	p += strlen(pat);
	*v = p;
	*len = strcspn(p, "\"");
	return 0;
}

static void
rec_send(const char *line)
{
	const char *st, *data, *end;
	size_t slen;
	char stream[96];
	struct trd_bn_msg m;

	if (field(line, "stream", &st, &slen) != 0 || slen >= sizeof(stream))
		return;
	memcpy(stream, st, slen);
	stream[slen] = '\0';
	if ((data = strstr(line, "\"data\":")) == NULL)
		return;
	data += 7;
	end = line + strlen(line);
	while (end > data && (end[-1] == '\n' || end[-1] == '\r' ||
			      end[-1] == ' '))
		end--;
	if (end > data && end[-1] == '}')
		end--; /* the wrapper's own brace */
	/* Keep the book the snapshots are served from. */
	if (trd_bn_frame(&S.bn, line, strlen(line), &m) == 0 &&
	    m.kind == TRD_BN_DEPTH) {
		struct sym *y = &S.syms[m.ins];
		trd_book_diff(&y->book, &m, S.bn.lv);
		S.depth_count++;
		/* Never in the last frames: a gap there would go unseen. */
		if (S.depth_gap > 0 && S.iline + 20 < S.nlines &&
		    S.depth_count % (uint64_t)S.depth_gap == 0) {
			S.gaps_made++;
			return;
		}
	}
	broadcast(stream, data, (size_t)(end - data));
}

static void
rec_tick(uv_timer_t *t)
{
	double now;

	/* A recording plays from its first subscriber's arrival. */
	if (S.iline == 0 && S.rec_start < 0) {
		int any = 0;
		for (struct client *c = S.clients; c; c = c->next)
			any |= c->ws && c->nsubs > 0;
		if (!any) {
			uv_timer_start(t, rec_tick, 10, 0);
			return;
		}
		S.rec_start = elapsed_s();
	}
	now = elapsed_s() - S.rec_start;
	faults_tick();
	while (S.iline < S.nlines) {
		double due = S.speed > 0 && S.line_ts
			     ? (S.line_ts[S.iline] - S.rec_t0) / S.speed : 0;
		if (due > now) {
			uint64_t ms = (uint64_t)((due - now) * 1000.0);
			uv_timer_start(t, rec_tick, ms ? ms : 1, 0);
			return;
		}
		rec_send(S.lines[S.iline++]);
		if (S.speed <= 0 && S.iline % 64 == 0) {
			uv_timer_start(t, rec_tick, 1, 0);
			return;
		}
	}
	fprintf(stderr, "exsim: end of the recording (%zu frames)\n",
		S.nlines);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		die("cannot open %s", path);
	do {
		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((b = realloc(b, cap + 1)) == NULL)
				die("out of memory reading %s", path);
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

static void
load_recorded(void)
{
	size_t len;
	char *all = slurp(S.frames_path, &len), *p, *nl;
	struct trd_instr *v;

	for (p = all; *p; p = nl + 1) {
		const char *sv;
		size_t sl;
		int last;
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		last = *nl == '\0';
		if (nl == p) {
			if (last)
				break;
			continue;
		}
		if (S.nlines % 1024 == 0)
			S.lines = realloc(S.lines, (S.nlines + 1024) *
					  sizeof(*S.lines));
		*nl = '\0';
		S.lines[S.nlines++] = p;
		if (field(p, "s", &sv, &sl) == 0)
			sym_add(sv, sl);
		if (last)
			break;
	}
	if (S.recv_path) {
		char *r = slurp(S.recv_path, NULL), *q = strchr(r, '\n');
		size_t i = 0;
		S.line_ts = calloc(S.nlines, sizeof(double));
		while (q && i < S.nlines) {
			char *f = strchr(q + 1, ',');
			if (f == NULL)
				break;
			S.line_ts[i++] = strtod(f + 1, NULL);
			q = strchr(q + 1, '\n');
		}
		if (i != S.nlines)
			die("%s: fewer receive times than frames", S.recv_path);
		S.rec_t0 = S.line_ts[0];
	}
	v = calloc((size_t)S.nsyms, sizeof(*v));
	for (int i = 0; i < S.nsyms; i++) {
		snprintf(v[i].symbol, sizeof(v[i].symbol), "%s", S.syms[i].name);
		v[i].price_dp = v[i].qty_dp = 8;
		v[i].tick = v[i].lot = 1;
		trd_book_init(&S.syms[i].book,
			      S.usdm ? TRD_BOOK_USDM : TRD_BOOK_SPOT);
	}
	if (trd_registry_init_from(&S.reg, v, (size_t)S.nsyms) != 0)
		die("%s: cannot index the symbols", S.frames_path);
	free(v);
	trd_bn_init(&S.bn, &S.reg);
	if (S.snap_path) {
		char *sn = slurp(S.snap_path, NULL), *l = sn, *e;
		for (; *l; l = e + 1) {
			const char *u, *b;
			char *sym;
			struct sym *y;
			uint64_t last;
			size_t nb, na;
			int end;
			if ((e = strchr(l, '\n')) == NULL)
				e = l + strlen(l);
			end = *e == '\0';
			*e = '\0';
			if ((u = strstr(l, "symbol=")) == NULL ||
			    (b = strstr(l, "\"body\":")) == NULL)
				goto next;
			sym = strndup(u + 7, strcspn(u + 7, "&\""));
			y = sym_find(sym, strlen(sym));
			free(sym);
			if (y == NULL || y->snap)
				goto next;
			b += 7;
			y->snap = strndup(b, strlen(b) - 1);
			if (trd_bn_snapshot(&S.bn, (uint32_t)(y - S.syms),
					    y->snap, strlen(y->snap), &last,
					    &nb, &na) == 0)
				trd_book_snapshot(&y->book, last, S.bn.lv, nb,
						  na);
next:
			if (end)
				break;
		}
	}
}

static void
init_synth(void)
{
	for (int i = 0; i < S.nsynth; i++) {
		char name[24];
		struct sym *y;
		int n = snprintf(name, sizeof(name), "SYM%dUSDT", i);
		y = sym_add(name, (size_t)n);
		y->px = 10000 + 1000 * i + (int64_t)(rnd() % 500);
		trd_book_init(&y->book, S.usdm ? TRD_BOOK_USDM : TRD_BOOK_SPOT);
		/* An empty synced book: every diff after builds on it. */
		trd_book_snapshot(&y->book, 1000, NULL, 0, 0);
		y->agg_id = 5000000000LL + i * 1000; /* past 2^32 */
	}
}

/* ---- WebSocket server side ---- */

static void
add_sub(struct client *c, const char *s, size_t n)
{
	if (c->nsubs == MAX_SUBS || n == 0 || n >= sizeof(c->subs[0]))
		return;
	/* The symbol is lowercased; the stream name after '@' keeps its
	 * case (aggTrade, kline_1M). */
	memcpy(c->subs[c->nsubs], s, n);
	for (size_t i = 0; i < n && s[i] != '@'; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			c->subs[c->nsubs][i] = (char)(s[i] + 32);
	c->subs[c->nsubs][n] = '\0';
	c->nsubs++;
}

static void
drop_cb(uv_timer_t *t)
{
	struct client *c = t->data;

	fprintf(stderr, "exsim: dropping client %" PRIu64 "\n", c->id);
	client_close(c);
}

static void
age_cb(uv_timer_t *t)
{
	struct client *c = t->data;
	unsigned char code[2] = { 1000 >> 8, 1000 & 255 };

	fprintf(stderr, "exsim: client %" PRIu64 " reached its maximum age\n",
		c->id);
	ws_send(c, 8, (const char *)code, 2);
	uv_timer_start(&c->drop, drop_cb, 200, 0);
}

static void
upgrade(struct client *c, const struct trd_http_msg *m)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	const char *key = trd_http_header(m, "sec-websocket-key"), *q;
	unsigned char sha[SHA_DIGEST_LENGTH];
	unsigned char acc[64];
	char buf[512], cat[128];
	int n;

	if (key == NULL || strlen(key) > 60) {
		rest_error(c, 400, -1000, "Bad WebSocket handshake.", 0);
		return;
	}
	if (S.alpaca && !ap_path_ok(m->target)) {
		rest_error(c, 404, 404, "no such stream: use /v2/iex, /v2/sip, "
			   "/v2/test or /v1beta3/crypto/us", 0);
		return;
	}
	snprintf(cat, sizeof(cat), "%s%s", key, guid);
	SHA1((const unsigned char *)cat, strlen(cat), sha);
	EVP_EncodeBlock(acc, sha, SHA_DIGEST_LENGTH);
	n = snprintf(buf, sizeof(buf), "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	send_bytes(c, buf, (size_t)n);
	c->ws = 1;
	if (S.alpaca) {
		c->ap = ap_open(c, now_ms());
	} else if (strncmp(m->target, "/ws/", 4) == 0) {
		c->raw = 1;
		add_sub(c, m->target + 4, strcspn(m->target + 4, "?"));
	} else if ((q = strstr(m->target, "streams=")) != NULL) {
		q += 8;
		while (*q && *q != '&') {
			size_t l = strcspn(q, "/&");
			add_sub(c, q, l);
			q += l;
			if (*q == '/')
				q++;
		}
	}
	if (S.drop_every > 0)
		uv_timer_start(&c->drop, drop_cb,
			       (uint64_t)(S.drop_every * 1000), 0);
	if (S.max_age > 0)
		uv_timer_start(&c->age, age_cb, (uint64_t)(S.max_age * 1000), 0);
	fprintf(stderr, "exsim: client %" PRIu64 " subscribed to %d streams\n",
		c->id, c->nsubs);
}

/* A SUBSCRIBE/UNSUBSCRIBE control message. */
static void
control(struct client *c, const char *p, size_t n)
{
	char buf[128];
	const char *id = memmem(p, n, "\"id\":", 5), *par;
	long long idv = id ? strtoll(id + 5, NULL, 10) : 0;
	int sub = memmem(p, n, "\"SUBSCRIBE\"", 11) != NULL;
	int len;

	if ((par = memmem(p, n, "\"params\":[", 10)) != NULL) {
		const char *e = p + n;
		par += 10;
		while (par < e && *par != ']') {
			const char *s, *q;
			if ((s = memchr(par, '"', (size_t)(e - par))) == NULL)
				break;
			if ((q = memchr(s + 1, '"', (size_t)(e - s - 1))) == NULL)
				break;
			if (sub) {
				add_sub(c, s + 1, (size_t)(q - s - 1));
			} else {
				for (int i = 0; i < c->nsubs; i++)
					if (strlen(c->subs[i]) ==
					    (size_t)(q - s - 1) &&
					    memcmp(c->subs[i], s + 1,
						   (size_t)(q - s - 1)) == 0) {
						memcpy(c->subs[i],
						       c->subs[--c->nsubs],
						       sizeof(c->subs[i]));
						break;
					}
			}
			par = q + 1;
			while (par < e && (*par == ',' || *par == ' '))
				par++;
		}
	}
	len = snprintf(buf, sizeof(buf), "{\"result\":null,\"id\":%lld}", idv);
	ws_send(c, 1, buf, (size_t)len);
}

static void
ws_input(struct client *c)
{
	size_t off = 0;

	while (c->inlen - off >= 2) {
		unsigned char *h = c->in + off;
		int op = h[0] & 15, masked = h[1] & 128;
		uint64_t len = h[1] & 127;
		size_t hl = 2;
		unsigned char *pay;

		if (len == 126) {
			if (c->inlen - off < 4)
				break;
			len = (uint64_t)h[2] << 8 | h[3];
			hl = 4;
		} else if (len == 127) {
			if (c->inlen - off < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | h[2 + i];
			hl = 10;
		}
		if (!masked || len > 65536) {
			fprintf(stderr, "exsim: client %" PRIu64 " sent a bad "
				"frame\n", c->id);
			client_close(c);
			return;
		}
		if (c->inlen - off < hl + 4 + len)
			break;
		pay = h + hl + 4;
		for (uint64_t i = 0; i < len; i++)
			pay[i] ^= h[hl + (i & 3)];
		if (S.in_rate > 0) {
			int64_t sec = trd_clock_mono_ns() / 1000000000;
			if (sec != c->in_window) {
				c->in_window = sec;
				c->in_count = 0;
			}
			if (++c->in_count > S.in_rate) {
				fprintf(stderr, "exsim: client %" PRIu64
					" sent more than %d messages in a "
					"second; disconnected\n", c->id,
					S.in_rate);
				client_close(c);
				return;
			}
		}
		if (op == 9)
			ws_send(c, 10, (const char *)pay, len);
		else if (op == 8) {
			ws_send(c, 8, (const char *)pay, len > 2 ? 2 : len);
			client_close(c);
			return;
		} else if (op == 1 && c->ap)
			ap_input(c->ap, (const char *)pay, len);
		else if (op == 1)
			control(c, (const char *)pay, len);
		off += hl + 4 + len;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[65536];

	(void)h;
	(void)hint;
	*b = uv_buf_init(buf, sizeof(buf));
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct client *c = s->data;
	const char *p = b->base;
	size_t left;

	if (n < 0) {
		client_close(c);
		return;
	}
	left = (size_t)n;
	while (left > 0 && !c->closing) {
		size_t used;
		int rc;
		if (c->ws) {
			if (c->inlen + left > c->incap) {
				c->incap = (c->inlen + left) * 2;
				c->in = realloc(c->in, c->incap);
			}
			memcpy(c->in + c->inlen, p, left);
			c->inlen += left;
			ws_input(c);
			return;
		}
		rc = trd_httpp_feed(c->pp, p, left, &used);
		if (rc == TRD_HTTPP_MORE)
			return;
		if (rc < 0) {
			fprintf(stderr, "exsim: client %" PRIu64 ": bad request:"
				" %s\n", c->id, trd_httpp_error(c->pp));
			rest_error(c, 400, -1000, "Malformed request.", 0);
			client_close(c);
			return;
		}
		{
			const struct trd_http_msg *m = trd_httpp_msg(c->pp);
			const char *up = trd_http_header(m, "upgrade");
			if (up && strcasecmp(up, "websocket") == 0)
				upgrade(c, m);
			else
				exsim_rest(c, m);
			if (!c->ws && !m->keep_alive) {
				client_close(c);
				return;
			}
		}
		trd_httpp_reset(c->pp);
		p += used;
		left -= used;
	}
}

static void
on_conn(uv_stream_t *srv, int status)
{
	struct client *c;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	uv_tcp_init(S.loop, &c->tcp);
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
		return;
	}
	c->pp = trd_httpp_new(1, 1 << 16);
	c->tcp.data = c;
	uv_timer_init(S.loop, &c->drop);
	uv_timer_init(S.loop, &c->age);
	c->drop.data = c->age.data = c;
	c->id = ++S.nclients;
	c->opened_ms = now_ms();
	c->next = S.clients;
	S.clients = c;
	uv_tcp_nodelay(&c->tcp, 1);
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void
stop_all(void)
{
	fprintf(stderr, "exsim: stopping: %" PRIu64 " frames sent, %" PRIu64
		" malformed, %" PRIu64 " depth gaps made\n", S.sent,
		S.malformed_sent, S.gaps_made);
	uv_stop(S.loop);
}

static void
sig_cb(uv_signal_t *h, int sig)
{
	(void)h;
	(void)sig;
	stop_all();
}

static void
stop_cb(uv_timer_t *t)
{
	(void)t;
	stop_all();
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: exsim [--port N] [--port-file F] [--usdm]\n"
		"             (--frames F.jsonl [--recv-ts F.csv] [--speed X]\n"
		"              [--snapshots F.jsonl] [--exchange-info F.json]\n"
		"             | --symbols N [--rate R] [--seed S])\n"
		"             [--duration S] [--drop-every S] [--max-age S]\n"
		"             [--malformed P] [--depth-gap N] [--stall-at S\n"
		"              --stall-for D] [--shutdown-at S] [--slow B]\n"
		"             [--in-rate N]\n"
		"             [--alpaca stocks|crypto [--alpaca-key K]\n"
		"              [--alpaca-secret S] [--alpaca-max-conns N]]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a;
	struct sockaddr_storage bound;
	int blen = sizeof(bound);

	S.rate = 10;
	S.seed = 1;
	S.rec_start = -1;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(o, name) == 0 && v && ++i)
		if (OPT("--port"))
			S.port = atoi(v);
		else if (OPT("--port-file"))
			S.port_file = v;
		else if (strcmp(o, "--usdm") == 0)
			S.usdm = 1;
		else if (OPT("--frames"))
			S.frames_path = v;
		else if (OPT("--recv-ts"))
			S.recv_path = v;
		else if (OPT("--snapshots"))
			S.snap_path = v;
		else if (OPT("--exchange-info"))
			S.info_path = v;
		else if (OPT("--speed"))
			S.speed = strtod(v, NULL);
		else if (OPT("--symbols"))
			S.nsynth = atoi(v);
		else if (OPT("--rate"))
			S.rate = strtod(v, NULL);
		else if (OPT("--seed"))
			S.seed = strtoull(v, NULL, 10);
		else if (OPT("--duration"))
			S.duration = strtod(v, NULL);
		else if (OPT("--drop-every"))
			S.drop_every = strtod(v, NULL);
		else if (OPT("--max-age"))
			S.max_age = strtod(v, NULL);
		else if (OPT("--malformed"))
			S.malformed = strtod(v, NULL);
		else if (OPT("--depth-gap"))
			S.depth_gap = atoi(v);
		else if (OPT("--stall-at"))
			S.stall_at = strtod(v, NULL);
		else if (OPT("--stall-for"))
			S.stall_for = strtod(v, NULL);
		else if (OPT("--shutdown-at"))
			S.shutdown_at = strtod(v, NULL);
		else if (OPT("--slow"))
			S.slow = atoi(v);
		else if (OPT("--in-rate"))
			S.in_rate = atoi(v);
		else if (OPT("--alpaca"))
			S.alpaca = strcmp(v, "crypto") == 0   ? 2
				   : strcmp(v, "stocks") == 0 ? 1 : -1;
		else if (OPT("--alpaca-key"))
			S.ap_key = v;
		else if (OPT("--alpaca-secret"))
			S.ap_secret = v;
		else if (OPT("--alpaca-max-conns"))
			S.ap_max_conns = atoi(v);
		else
			usage();
#undef OPT
	}
	if ((S.frames_path == NULL) == (S.nsynth <= 0) || S.rate <= 0 ||
	    S.nsynth > MAX_SYMS || S.alpaca < 0 ||
	    (S.alpaca && S.frames_path))
		usage();
	if (S.alpaca)
		ap_configure(S.alpaca == 2, S.ap_key ? S.ap_key : "testkey",
			     S.ap_secret ? S.ap_secret : "testsecret",
			     S.ap_max_conns ? S.ap_max_conns : 1, ap_send_cb,
			     ap_close_cb);
	S.rng = S.seed * 0x9E3779B97F4A7C15ULL + 1;
	signal(SIGPIPE, SIG_IGN);
	S.loop = uv_default_loop();
	S.start_mono = trd_clock_mono_ns();
	if (S.frames_path)
		load_recorded();
	else
		init_synth();
	if (S.info_path)
		S.info_body = slurp(S.info_path, NULL);
	uv_tcp_init(S.loop, &S.srv);
	uv_ip4_addr("127.0.0.1", S.port, &a);
	if (uv_tcp_bind(&S.srv, (struct sockaddr *)&a, 0) != 0 ||
	    uv_listen((uv_stream_t *)&S.srv, 128, on_conn) != 0) {
		char pb[16];
		snprintf(pb, sizeof(pb), "%d", S.port);
		die("cannot listen on 127.0.0.1:%s", pb);
	}
	uv_tcp_getsockname(&S.srv, (struct sockaddr *)&bound, &blen);
	S.port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	printf("exsim: listening on 127.0.0.1:%d\n", S.port);
	fflush(stdout);
	if (S.port_file) {
		char tmp[4096];
		FILE *f;
		snprintf(tmp, sizeof(tmp), "%s.tmp", S.port_file);
		if ((f = fopen(tmp, "w")) == NULL)
			die("cannot write %s", tmp);
		fprintf(f, "%d\n", S.port);
		fclose(f);
		rename(tmp, S.port_file);
	}
	uv_timer_init(S.loop, &S.tick);
	if (S.nsynth)
		uv_timer_start(&S.tick, synth_tick, 0,
			       (uint64_t)(1000.0 / S.rate) ? (uint64_t)(1000.0 / S.rate) : 1);
	else
		uv_timer_start(&S.tick, rec_tick, 100, 0);
	uv_signal_init(S.loop, &S.sigterm);
	uv_signal_start(&S.sigterm, sig_cb, SIGTERM);
	uv_signal_init(S.loop, &S.sigint);
	uv_signal_start(&S.sigint, sig_cb, SIGINT);
	if (S.duration > 0) {
		uv_timer_init(S.loop, &S.stop);
		uv_timer_start(&S.stop, stop_cb, (uint64_t)(S.duration * 1000), 0);
	}
	uv_run(S.loop, UV_RUN_DEFAULT);
	return 0;
}
