/*
 * exsim's REST side: what traderd's Binance adapter asks over HTTP
 * (/api/v3 and, for USD-M, /fapi/v1: time, exchangeInfo, klines, depth,
 * aggTrades), with the request weight Binance reports, and the depth
 * snapshot of the book exsim has sent diffs for.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exsim_int.h"

/* ---- the book a client may ask for ---- */

static char *
snapshot_json(struct sym *y, size_t limit)
{
	struct trd_book *b = &y->book;
	size_t cap = 128 + 64 * (b->bid.n + b->ask.n), n, k;
	char *o = malloc(cap);
	int pdp = S.nsynth ? PDP : 8, qdp = S.nsynth ? QDP : 8;

	if (o == NULL)
		return NULL;
	n = (size_t)sprintf(o, "{\"lastUpdateId\":%" PRIu64 ",", b->id);
	if (S.usdm)
		n += (size_t)sprintf(o + n, "\"E\":%" PRId64 ",\"T\":%" PRId64
				     ",", now_ms(), now_ms());
	n += (size_t)sprintf(o + n, "\"bids\":[");
	k = 0;
	for (size_t i = b->bid.n; i-- > 0 && k < limit; k++) {
		if (k)
			o[n++] = ',';
		o[n++] = '[';
		o[n++] = '"';
		n += (size_t)fmt_dec(o + n, b->bid.v[i].px, pdp);
		n += (size_t)sprintf(o + n, "\",\"");
		n += (size_t)fmt_dec(o + n, b->bid.v[i].qty, qdp);
		n += (size_t)sprintf(o + n, "\"]");
	}
	n += (size_t)sprintf(o + n, "],\"asks\":[");
	k = 0;
	for (size_t i = 0; i < b->ask.n && k < limit; i++, k++) {
		if (k)
			o[n++] = ',';
		o[n++] = '[';
		o[n++] = '"';
		n += (size_t)fmt_dec(o + n, b->ask.v[i].px, pdp);
		n += (size_t)sprintf(o + n, "\",\"");
		n += (size_t)fmt_dec(o + n, b->ask.v[i].qty, qdp);
		n += (size_t)sprintf(o + n, "\"]");
	}
	n += (size_t)sprintf(o + n, "]}");
	(void)cap;
	return o;
}

/* ---- REST ---- */

static const char *
qparam(const char *target, const char *key, char *out, size_t outlen)
{
	const char *q = strchr(target, '?');
	size_t kl = strlen(key);

	if (q == NULL)
		return NULL;
	for (q++; *q;) {
		size_t n = strcspn(q, "&");
		if (n > kl && q[kl] == '=' && strncmp(q, key, kl) == 0) {
			size_t vl = n - kl - 1;
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, q + kl + 1, vl);
			out[vl] = '\0';
			return out;
		}
		q += n;
		if (*q == '&')
			q++;
	}
	return NULL;
}

static void
respond(struct client *c, int status, const char *body, size_t blen,
	int keep)
{
	char head[512];
	int64_t min = now_ms() / 60000;
	int n;

	if (min != S.weight_min) {
		S.weight_min = min;
		S.weight = 0;
	}
	S.weight += 2;
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n"
		     "X-MBX-USED-WEIGHT-1M: %d\r\n%s\r\n", status,
		     status == 200 ? "OK" : status == 404 ? "Not Found"
		     : "Bad Request", blen, S.weight,
		     keep ? "" : "Connection: close\r\n");
	send_bytes(c, head, (size_t)n);
	send_bytes(c, body, blen);
}

void
rest_error(struct client *c, int status, int code, const char *msg, int keep)
{
	char b[256];
	int n = snprintf(b, sizeof(b), "{\"code\":%d,\"msg\":\"%s\"}", code,
			 msg);

	respond(c, status, b, (size_t)n, keep);
}

static void
rest_klines(struct client *c, const char *target, int keep)
{
	char sym[32], iv[8], tmp[32];
	struct sym *y;
	int k;
	int64_t start = INT64_MIN, end = INT64_MAX;
	long limit = 500;
	char *out;
	size_t n = 0, cap;

	if (!qparam(target, "symbol", sym, sizeof(sym)) ||
	    (y = sym_find(sym, strlen(sym))) == NULL) {
		rest_error(c, 400, -1121, "Invalid symbol.", keep);
		return;
	}
	if (!qparam(target, "interval", iv, sizeof(iv)) ||
	    (k = strcmp(iv, "1s") == 0 ? 0 : strcmp(iv, "1m") == 0 ? 1 : -1) < 0) {
		rest_error(c, 400, -1120, "Invalid interval.", keep);
		return;
	}
	if (qparam(target, "startTime", tmp, sizeof(tmp)))
		start = strtoll(tmp, NULL, 10);
	if (qparam(target, "endTime", tmp, sizeof(tmp)))
		end = strtoll(tmp, NULL, 10);
	if (qparam(target, "limit", tmp, sizeof(tmp)))
		limit = strtol(tmp, NULL, 10);
	if (limit < 1 || limit > 1000)
		limit = 500;
	cap = 64 + (size_t)limit * 256;
	out = malloc(cap);
	if (out == NULL) {
		rest_error(c, 500, -1000, "Out of memory.", keep);
		return;
	}
	out[n++] = '[';
	for (size_t i = 0, m = 0; i < y->nhist[k] && m < (size_t)limit; i++) {
		const struct kl *b = &y->hist[k][i];
		char o[32], h[32], l[32], cl[32], v[32], q[40];
		if (b->t < start || b->t > end)
			continue;
		fmt_dec(o, b->o, PDP);
		fmt_dec(h, b->h, PDP);
		fmt_dec(l, b->l, PDP);
		fmt_dec(cl, b->c, PDP);
		fmt_dec(v, b->v, QDP);
		fmt_dec(q, b->q, PDP + QDP);
		n += (size_t)sprintf(out + n, "%s[%" PRId64 ",\"%s\",\"%s\","
				     "\"%s\",\"%s\",\"%s\",%" PRId64 ",\"%s\",%"
				     PRId64 ",\"0\",\"0\",\"0\"]", m ? "," : "",
				     b->t, o, h, l, cl, v,
				     b->t + tf_ms[k] - 1, q, b->n);
		m++;
	}
	out[n++] = ']';
	respond(c, 200, out, n, keep);
	free(out);
}

static void
rest_aggtrades(struct client *c, const char *target, int keep)
{
	char sym[32], tmp[32];
	struct sym *y;
	int64_t from = -1;
	long limit = 500;
	char *out;
	size_t n = 0, i = 0;

	if (!qparam(target, "symbol", sym, sizeof(sym)) ||
	    (y = sym_find(sym, strlen(sym))) == NULL) {
		rest_error(c, 400, -1121, "Invalid symbol.", keep);
		return;
	}
	if (qparam(target, "fromId", tmp, sizeof(tmp)))
		from = strtoll(tmp, NULL, 10);
	if (qparam(target, "limit", tmp, sizeof(tmp)))
		limit = strtol(tmp, NULL, 10);
	if (limit < 1 || limit > 1000)
		limit = 500;
	out = malloc(64 + (size_t)limit * 200);
	if (out == NULL) {
		rest_error(c, 500, -1000, "Out of memory.", keep);
		return;
	}
	out[n++] = '[';
	if (from >= 0) {
		while (i < y->ntr && y->tr[i].id < from)
			i++;
	} else if (y->ntr > (size_t)limit) {
		i = y->ntr - (size_t)limit;
	}
	for (long m = 0; i < y->ntr && m < limit; i++, m++) {
		const struct trade *t = &y->tr[i];
		char p[32], q[32];
		fmt_dec(p, t->px, PDP);
		fmt_dec(q, t->qty, QDP);
		n += (size_t)sprintf(out + n, "%s{\"a\":%" PRId64 ",\"p\":\"%s\","
				     "\"q\":\"%s\",\"f\":%" PRId64 ",\"l\":%"
				     PRId64 ",\"T\":%" PRId64 ",\"m\":%s,"
				     "\"M\":true}", m ? "," : "", t->id, p, q,
				     t->id, t->id, t->t,
				     t->maker ? "true" : "false");
	}
	out[n++] = ']';
	respond(c, 200, out, n, keep);
	free(out);
}

static void
rest_info(struct client *c, int keep)
{
	size_t n = 0;
	char *out;

	if (S.info_body) {
		respond(c, 200, S.info_body, strlen(S.info_body), keep);
		return;
	}
	out = malloc(256 + (size_t)S.nsyms * 512);
	if (out == NULL) {
		rest_error(c, 500, -1000, "Out of memory.", keep);
		return;
	}
	n = (size_t)sprintf(out, "{\"timezone\":\"UTC\",\"serverTime\":%" PRId64
			    ",\"rateLimits\":[{\"rateLimitType\":"
			    "\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
			    "\"intervalNum\":1,\"limit\":6000}],\"symbols\":[",
			    now_ms());
	for (int i = 0; i < S.nsyms; i++)
		n += (size_t)sprintf(out + n, "%s{\"symbol\":\"%s\",\"status\":"
				     "\"TRADING\",\"baseAsset\":\"%.*s\","
				     "\"quoteAsset\":\"USDT\",\"filters\":["
				     "{\"filterType\":\"PRICE_FILTER\","
				     "\"minPrice\":\"0.01\",\"maxPrice\":"
				     "\"1000000.00\",\"tickSize\":\"0.01000000\"},"
				     "{\"filterType\":\"LOT_SIZE\",\"minQty\":"
				     "\"0.001\",\"maxQty\":\"9000.000\","
				     "\"stepSize\":\"0.00100000\"},"
				     "{\"filterType\":\"NOTIONAL\","
				     "\"minNotional\":\"0.05000000\"}]}",
				     i ? "," : "", S.syms[i].name,
				     (int)strlen(S.syms[i].name) - 4,
				     S.syms[i].name);
	n += (size_t)sprintf(out + n, "]}");
	respond(c, 200, out, n, keep);
	free(out);
}

void
exsim_rest(struct client *c, const struct trd_http_msg *m)
{
	const char *t = m->target, *p;
	int keep = m->keep_alive;
	char path[256], sym[32], tmp[16];
	size_t pl = strcspn(t, "?");

	if (pl >= sizeof(path))
		pl = sizeof(path) - 1;
	memcpy(path, t, pl);
	path[pl] = '\0';
	p = strncmp(path, "/api/v3/", 8) == 0 ? path + 8
	    : strncmp(path, "/fapi/v1/", 9) == 0 ? path + 9 : NULL;
	if (strcmp(m->method, "GET") != 0 || p == NULL) {
		rest_error(c, 404, -1000, "Unknown endpoint.", keep);
		return;
	}
	if (strcmp(p, "time") == 0 || strcmp(p, "ping") == 0) {
		char b[64];
		int n = strcmp(p, "ping") == 0
			? sprintf(b, "{}")
			: sprintf(b, "{\"serverTime\":%" PRId64 "}", now_ms());
		respond(c, 200, b, (size_t)n, keep);
	} else if (strcmp(p, "exchangeInfo") == 0) {
		rest_info(c, keep);
	} else if (strcmp(p, "klines") == 0) {
		rest_klines(c, t, keep);
	} else if (strcmp(p, "aggTrades") == 0) {
		rest_aggtrades(c, t, keep);
	} else if (strcmp(p, "depth") == 0) {
		struct sym *y;
		char *b;
		long limit = 1000;
		if (!qparam(t, "symbol", sym, sizeof(sym)) ||
		    (y = sym_find(sym, strlen(sym))) == NULL) {
			rest_error(c, 400, -1121, "Invalid symbol.", keep);
			return;
		}
		if (qparam(t, "limit", tmp, sizeof(tmp)))
			limit = strtol(tmp, NULL, 10);
		if (limit < 1 || limit > 5000)
			limit = 100;
		if (!y->book.synced && y->snap) {
			respond(c, 200, y->snap, strlen(y->snap), keep);
			return;
		}
		if ((b = snapshot_json(y, (size_t)limit)) == NULL) {
			rest_error(c, 500, -1000, "Out of memory.", keep);
			return;
		}
		respond(c, 200, b, strlen(b), keep);
		free(b);
	} else {
		rest_error(c, 404, -1000, "Unknown endpoint.", keep);
	}
}
