/*
 * exsim_alpaca: the Alpaca market-data stream protocol for exsim
 * (--alpaca stocks|crypto): on connect [{"T":"success","msg":"connected"}];
 * an auth message within 10 s ({"action":"auth","key":..,"secret":..},
 * checked against --alpaca-key/--alpaca-secret: 402 "auth failed" and the
 * connection closed otherwise, 404 "auth timeout" when none came);
 * subscribe/unsubscribe of trades, quotes and bars (401 before auth),
 * answered with the subscription; at most --alpaca-max-conns connections
 * at once (406 "connection limit exceeded" and closed past that); then
 * the synthetic market as Alpaca's t, q and b messages.  Stock messages
 * carry no taker side; crypto trades carry tks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exsim_alpaca.h"

#define AP_MAX_SYMS 512

struct ap_conn {
	void           *c;
	int             authed, dead;
	int64_t         opened_ms;
	/* per channel (trades, quotes, bars), the symbols subscribed */
	char          (*subs[3])[24];
	int             nsubs[3];
	struct ap_conn *next;
};

static struct {
	const char     *key, *secret;
	int             max_conns, crypto;
	ap_send_fn      send;
	ap_close_fn     close;
	struct ap_conn *conns;
	int             nconns;
	uint64_t        auth_fail, limit_refused, sent;
} A;

void
ap_configure(int crypto, const char *key, const char *secret, int max_conns,
	     ap_send_fn send, ap_close_fn close)
{
	A.crypto = crypto;
	A.key = key;
	A.secret = secret;
	A.max_conns = max_conns;
	A.send = send;
	A.close = close;
}

int
ap_path_ok(const char *target)
{
	static const char *const stocks[] = { "/v2/iex", "/v2/sip", "/v2/test" };
	size_t n = strcspn(target, "?");

	if (A.crypto)
		return n == 18 && strncmp(target, "/v1beta3/crypto/us", 18) == 0;
	for (int i = 0; i < 3; i++)
		if (n == strlen(stocks[i]) && strncmp(target, stocks[i], n) == 0)
			return 1;
	return 0;
}

static void
say(struct ap_conn *a, const char *msg)
{
	A.send(a->c, msg, strlen(msg));
	A.sent++;
}

static void
drop(struct ap_conn *a, const char *msg)
{
	say(a, msg);
	a->dead = 1;
	A.close(a->c);
}

struct ap_conn *
ap_open(void *c, int64_t now_ms)
{
	struct ap_conn *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->c = c;
	a->opened_ms = now_ms;
	for (int k = 0; k < 3; k++)
		if ((a->subs[k] = calloc(AP_MAX_SYMS, 24)) == NULL) {
			for (int j = 0; j < k; j++)
				free(a->subs[j]);
			free(a);
			return NULL;
		}
	a->next = A.conns;
	A.conns = a;
	A.nconns++;
	if (A.max_conns > 0 && A.nconns > A.max_conns) {
		A.limit_refused++;
		fprintf(stderr, "exsim: alpaca: connection limit (%d) "
			"exceeded\n", A.max_conns);
		drop(a, "[{\"T\":\"error\",\"code\":406,\"msg\":\"connection "
			"limit exceeded\"}]");
		return a;
	}
	say(a, "[{\"T\":\"success\",\"msg\":\"connected\"}]");
	return a;
}

void
ap_closed(struct ap_conn *a)
{
	struct ap_conn **pp;

	if (a == NULL)
		return;
	for (pp = &A.conns; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	A.nconns--;
	for (int k = 0; k < 3; k++)
		free(a->subs[k]);
	free(a);
}

/* The string value of "key" in the message, copied to out (no escapes:
 * keys and symbols have none). */
static int
str_of(const char *p, size_t n, const char *key, char *out, size_t outlen)
{
	char pat[32];
	const char *v, *e;
	size_t len;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((v = memmem(p, n, pat, strlen(pat))) == NULL)
		return -1;
	v += strlen(pat);
	if ((e = memchr(v, '"', (size_t)(p + n - v))) == NULL)
		return -1;
	len = (size_t)(e - v);
	if (len >= outlen)
		return -1;
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

static void
subscribe(struct ap_conn *a, const char *p, size_t n, int add)
{
	static const char *const ch[] = { "trades", "quotes", "bars" };
	char buf[16384];
	size_t o;

	for (int k = 0; k < 3; k++) {
		char pat[32];
		const char *v, *e = p + n;
		snprintf(pat, sizeof(pat), "\"%s\":[", ch[k]);
		if ((v = memmem(p, n, pat, strlen(pat))) == NULL)
			continue;
		v += strlen(pat);
		while (v < e && *v != ']') {
			const char *s = memchr(v, '"', (size_t)(e - v)), *q;
			size_t len;
			if (s == NULL || (q = memchr(s + 1, '"', (size_t)(e - s - 1))) == NULL)
				break;
			len = (size_t)(q - s - 1);
			if (len > 0 && len < 24) {
				int i;
				for (i = 0; i < a->nsubs[k]; i++)
					if (strlen(a->subs[k][i]) == len &&
					    memcmp(a->subs[k][i], s + 1, len) == 0)
						break;
				if (add && i == a->nsubs[k] &&
				    a->nsubs[k] < AP_MAX_SYMS) {
					memcpy(a->subs[k][a->nsubs[k]], s + 1, len);
					a->subs[k][a->nsubs[k]++][len] = '\0';
				} else if (!add && i < a->nsubs[k]) {
					memcpy(a->subs[k][i],
					       a->subs[k][--a->nsubs[k]], 24);
				}
			}
			v = q + 1;
			while (v < e && (*v == ',' || *v == ' '))
				v++;
		}
	}
	o = (size_t)snprintf(buf, sizeof(buf), "[{\"T\":\"subscription\"");
	for (int k = 0; k < 3; k++) {
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, ",\"%s\":[",
				      ch[k]);
		for (int i = 0; i < a->nsubs[k] && o < sizeof(buf) - 64; i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
					      "%s\"%s\"", i ? "," : "",
					      a->subs[k][i]);
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "]");
	}
	snprintf(buf + o, sizeof(buf) - o, "}]");
	say(a, buf);
}

void
ap_input(struct ap_conn *a, const char *p, size_t n)
{
	char action[32], key[256], secret[256];

	if (a == NULL || a->dead)
		return;
	if (str_of(p, n, "action", action, sizeof(action)) != 0) {
		say(a, "[{\"T\":\"error\",\"code\":400,\"msg\":\"invalid "
		       "syntax\"}]");
		return;
	}
	if (strcmp(action, "auth") == 0) {
		if (a->authed) {
			say(a, "[{\"T\":\"error\",\"code\":403,\"msg\":"
			       "\"already authenticated\"}]");
			return;
		}
		if (str_of(p, n, "key", key, sizeof(key)) != 0 ||
		    str_of(p, n, "secret", secret, sizeof(secret)) != 0 ||
		    strcmp(key, A.key) != 0 || strcmp(secret, A.secret) != 0) {
			A.auth_fail++;
			fprintf(stderr, "exsim: alpaca: auth failed\n");
			drop(a, "[{\"T\":\"error\",\"code\":402,\"msg\":\"auth "
				"failed\"}]");
			return;
		}
		a->authed = 1;
		fprintf(stderr, "exsim: alpaca: authenticated\n");
		say(a, "[{\"T\":\"success\",\"msg\":\"authenticated\"}]");
		return;
	}
	if (strcmp(action, "subscribe") == 0 ||
	    strcmp(action, "unsubscribe") == 0) {
		if (!a->authed) {
			say(a, "[{\"T\":\"error\",\"code\":401,\"msg\":\"not "
			       "authenticated\"}]");
			return;
		}
		subscribe(a, p, n, action[0] == 's');
		return;
	}
	say(a, "[{\"T\":\"error\",\"code\":400,\"msg\":\"invalid syntax\"}]");
}

void
ap_tick(int64_t now_ms)
{
	struct ap_conn *a, *next;

	for (a = A.conns; a; a = next) {
		next = a->next;
		if (!a->dead && !a->authed && now_ms - a->opened_ms > 10000) {
			fprintf(stderr, "exsim: alpaca: auth timeout\n");
			drop(a, "[{\"T\":\"error\",\"code\":404,\"msg\":\"auth "
				"timeout\"}]");
		}
	}
}

static int
wants(const struct ap_conn *a, int k, const char *sym)
{
	for (int i = 0; i < a->nsubs[k]; i++)
		if (strcmp(a->subs[k][i], sym) == 0 ||
		    strcmp(a->subs[k][i], "*") == 0)
			return 1;
	return 0;
}

/* RFC 3339 with milliseconds. */
static void
rfc3339(int64_t ms, char *out, size_t n)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void
fan_out(int k, const char *sym, const char *msg)
{
	for (struct ap_conn *a = A.conns; a; a = a->next)
		if (!a->dead && a->authed && wants(a, k, sym))
			say(a, msg);
}

void
ap_trade(const char *sym, int64_t id, const char *px, const char *qty,
	 int64_t t_ms, int seller_taker)
{
	char buf[512], t[40];

	rfc3339(t_ms, t, sizeof(t));
	if (A.crypto)
		snprintf(buf, sizeof(buf), "[{\"T\":\"t\",\"S\":\"%s\",\"p\":%s,"
			 "\"s\":%s,\"t\":\"%s\",\"i\":%" PRId64 ",\"tks\":\"%s\"}]",
			 sym, px, qty, t, id, seller_taker ? "S" : "B");
	else
		snprintf(buf, sizeof(buf), "[{\"T\":\"t\",\"i\":%" PRId64 ",\"S\":"
			 "\"%s\",\"x\":\"V\",\"p\":%s,\"s\":%s,\"c\":[\"@\"],\"t\":"
			 "\"%s\",\"z\":\"C\"}]", id, sym, px, qty, t);
	fan_out(0, sym, buf);
}

void
ap_quote(const char *sym, const char *bp, const char *bs, const char *ap,
	 const char *as, int64_t t_ms)
{
	char buf[512], t[40];

	rfc3339(t_ms, t, sizeof(t));
	snprintf(buf, sizeof(buf), "[{\"T\":\"q\",\"S\":\"%s\",\"bx\":\"V\","
		 "\"bp\":%s,\"bs\":%s,\"ax\":\"V\",\"ap\":%s,\"as\":%s,\"t\":"
		 "\"%s\",\"c\":[\"R\"],\"z\":\"C\"}]", sym, bp, bs, ap, as, t);
	fan_out(1, sym, buf);
}

void
ap_bar(const char *sym, const char *o, const char *h, const char *l,
       const char *c, const char *v, int64_t open_ms)
{
	char buf[512], t[40];

	rfc3339(open_ms - open_ms % 60000, t, sizeof(t));
	/* Alpaca prints a whole minute without the fraction. */
	strcpy(t + 19, "Z");
	snprintf(buf, sizeof(buf), "[{\"T\":\"b\",\"S\":\"%s\",\"o\":%s,\"h\":%s,"
		 "\"l\":%s,\"c\":%s,\"v\":%s,\"t\":\"%s\"}]", sym, o, h, l, c, v,
		 t);
	fan_out(2, sym, buf);
}

void
ap_stats(uint64_t *sent, uint64_t *auth_fail, uint64_t *limit_refused)
{
	*sent = A.sent;
	*auth_fail = A.auth_fail;
	*limit_refused = A.limit_refused;
}
