/*
 * http: an HTTP/1.1 client on the daemon's loop, for venues' REST APIs.
 *
 * One client talks to one origin (scheme, host, port): names are resolved
 * with uv_getaddrinfo (never blocking the loop), bytes move over uv_tcp,
 * TLS is OpenSSL through memory BIOs (SNI, the peer's certificate checked
 * against the system's CAs or a given CA file, and its name against the
 * host), and responses are parsed by http_parse (llhttp).
 *
 * Requests queue in order and go out over at most max_conns keep-alive
 * connections, one request at a time on each (no pipelining: a venue's
 * answer to an order must never wait behind a slow market-data request).
 * Each request has a deadline; a connection that fails or times out is
 * closed and its request answered with the error, never retried here
 * (retrying an order is the caller's decision: it knows whether the
 * request was idempotent).
 *
 * A 429 or 418 answer with Retry-After blocks the client until then:
 * queued and new requests fail at once with TRD_ERATELIMIT, so a caller
 * cannot dig deeper into a ban.  The last X-MBX-USED-WEIGHT-* header is
 * kept (Binance's request weight).
 */
#ifndef TRD_HTTP_H
#define TRD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http_parse.h"

/* An http:// or https:// or ws:// or wss:// URL's parts. */
struct trd_url {
	int      tls;
	char     host[256];
	uint16_t port;
	char     path[512]; /* "" or "/..." without a trailing '/' */
};

/* 0, or -1 with why in err. */
int trd_url_parse(const char *url, struct trd_url *u, char *err,
		  size_t errlen);

struct trd_http_opts {
	const char *ca_file;     /* NULL: the system CAs */
	int         max_conns;   /* 0: 2 */
	uint32_t    timeout_ms;  /* per request, connect included; 0: 10000 */
	size_t      max_body;    /* 0: 32 MiB */
};

struct trd_http_req;
struct trd_http;

/* err 0: m is the response (any status).  Otherwise m is NULL and err a
 * negative code; why says what failed, naming the origin. */
typedef void (*trd_http_cb)(void *arg, int err, const struct trd_http_msg *m,
			    const char *why);

struct trd_http_stats {
	uint64_t requests, responses, errors, timeouts, connects, reused;
	uint64_t rate_limited;
	int64_t  used_weight;   /* the last X-MBX-USED-WEIGHT-* seen, or -1 */
};

/* Returns 0 or a negative error (bad URL: TRD_ECONFIG, TLS set-up). */
int trd_http_new(struct trd_http **out, uv_loop_t *loop, const char *url,
		 const struct trd_http_opts *o);
/*
 * Queue a request: method "GET" etc., target the path and query (the
 * URL's path is put before it), headers already formatted ("Name:
 * value\r\n" each, or NULL), body of blen bytes (or NULL).  The callback
 * runs exactly once, from a loop callback, never from inside this call.
 * Returns 0, or -ENOMEM.
 */
int trd_http_request(struct trd_http *c, const char *method,
		     const char *target, const char *headers,
		     const char *body, size_t blen, trd_http_cb cb, void *arg);
/* Answer every queued request with TRD_ESTOPPED, close the connections;
 * the memory goes once the loop has closed the handles. */
void trd_http_free(struct trd_http *c);
const struct trd_http_stats *trd_http_stats(const struct trd_http *c);
/* Monotonic ns until which the venue asked us to wait; 0 if not. */
int64_t trd_http_blocked_until(const struct trd_http *c);

#endif
