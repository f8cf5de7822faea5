/*
 * http: see http.h.  One struct conn per TCP connection; a request is
 * either queued on the client or in flight on exactly one connection.
 *
 * Memory: the client lives until trd_http_free() and every connection's
 * handles have closed (refs counts the open connections plus one for the
 * owner and one per callback being run, so a callback may free the
 * client).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "errors.h"
#include "http.h"
#include "log.h"

#define DEF_CONNS   2
#define DEF_TIMEOUT 10000
#define DEF_BODY    (32u << 20)

struct trd_http_req {
	struct trd_http_req *next;
	char        *wire;   /* the whole request, ready to send */
	size_t       wlen;
	int          idempotent;
	int          retried;
	int          err;    /* deferred answer: the error */
	char         why[200];
	trd_http_cb  cb;
	void        *arg;
	int64_t      deadline_mono;
};

enum { C_RESOLVING, C_CONNECTING, C_HANDSHAKE, C_IDLE, C_BUSY, C_CLOSING };

struct conn {
	struct trd_http     *c;
	struct conn         *next;
	int                  state;
	uv_getaddrinfo_t     gai;
	uv_connect_t         creq;
	uv_tcp_t             tcp;
	uv_timer_t           timer;
	int                  tcp_init, gai_busy;
	int                  pending; /* handles and requests not yet back */
	SSL                 *ssl;
	BIO                 *rbio, *wbio;
	struct trd_httpp    *pp;
	struct trd_http_req *req;
	int                  reused;
	size_t               got; /* response bytes for req */
};

struct trd_http {
	uv_loop_t           *loop;
	struct trd_url       url;
	char                 origin[300];
	struct trd_http_opts o;
	SSL_CTX             *ssl_ctx;
	struct trd_http_req *head, *tail; /* queued */
	struct trd_http_req *failed;      /* deferred answers */
	uv_timer_t           defer;
	struct conn         *conns;
	int                  nconns;
	int                  refs;
	int                  freed;
	int64_t              blocked_until;
	struct trd_http_stats st;
};

static void pump(struct trd_http *c);
static void conn_fail(struct conn *k, int err, const char *why);

int
trd_url_parse(const char *url, struct trd_url *u, char *err, size_t errlen)
{
	const char *p, *host, *end, *colon;
	size_t hl;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "https://", 8) == 0 || strncmp(url, "wss://", 6) == 0)
		u->tls = 1;
	else if (strncmp(url, "http://", 7) != 0 &&
		 strncmp(url, "ws://", 5) != 0) {
		snprintf(err, errlen, "expected http://, https://, ws:// or "
			 "wss:// at the start of \"%.80s\"", url);
		return -1;
	}
	host = strstr(url, "://") + 3;
	end = host + strcspn(host, "/?#");
	colon = memchr(host, ':', (size_t)(end - host));
	hl = (size_t)((colon ? colon : end) - host);
	if (hl == 0 || hl >= sizeof(u->host)) {
		snprintf(err, errlen, "no host (or one too long) in \"%.80s\"",
			 url);
		return -1;
	}
	memcpy(u->host, host, hl);
	for (size_t i = 0; i < hl; i++)
		if (!((u->host[i] >= 'a' && u->host[i] <= 'z') ||
		      (u->host[i] >= 'A' && u->host[i] <= 'Z') ||
		      (u->host[i] >= '0' && u->host[i] <= '9') ||
		      u->host[i] == '.' || u->host[i] == '-')) {
			snprintf(err, errlen, "bad character in the host of "
				 "\"%.80s\"", url);
			return -1;
		}
	u->port = u->tls ? 443 : 80;
	if (colon) {
		unsigned long v = 0;
		for (p = colon + 1; p < end; p++) {
			if (*p < '0' || *p > '9' || v > 65535)
				break;
			v = v * 10 + (unsigned long)(*p - '0');
		}
		if (p != end || p == colon + 1 || v == 0 || v > 65535) {
			snprintf(err, errlen, "bad port in \"%.80s\"", url);
			return -1;
		}
		u->port = (uint16_t)v;
	}
	if (*end == '/') {
		size_t pl = strcspn(end, "?#");
		while (pl > 0 && end[pl - 1] == '/')
			pl--;
		if (pl >= sizeof(u->path)) {
			snprintf(err, errlen, "path too long in \"%.80s\"", url);
			return -1;
		}
		memcpy(u->path, end, pl);
	} else if (*end != '\0') {
		snprintf(err, errlen, "unexpected \"%.20s\" after the host in "
			 "\"%.80s\"", end, url);
		return -1;
	}
	return 0;
}

/* ---- answering ---- */

static void
unref(struct trd_http *c)
{
	if (--c->refs > 0)
		return;
	if (c->ssl_ctx)
		SSL_CTX_free(c->ssl_ctx);
	free(c);
}

static void
req_free(struct trd_http_req *r)
{
	free(r->wire);
	free(r);
}

static void
answer(struct trd_http *c, struct trd_http_req *r, int err,
       const struct trd_http_msg *m, const char *why)
{
	if (err != 0)
		c->st.errors++;
	else
		c->st.responses++;
	c->refs++;
	r->cb(r->arg, err, m, why);
	req_free(r);
	unref(c);
}

static void
defer_cb(uv_timer_t *t)
{
	struct trd_http *c = t->data;

	while (c->failed) {
		struct trd_http_req *r = c->failed;
		c->failed = r->next;
		answer(c, r, r->err, NULL, r->why);
	}
}

static void
defer_close_cb(uv_handle_t *h)
{
	unref(h->data);
}

static void
fail_later(struct trd_http *c, struct trd_http_req *r, int err,
	   const char *why)
{
	struct trd_http_req **pp = &c->failed;

	r->err = err;
	snprintf(r->why, sizeof(r->why), "%s", why);
	r->next = NULL;
	while (*pp)
		pp = &(*pp)->next;
	*pp = r;
	uv_timer_start(&c->defer, defer_cb, 0, 0);
}

/* ---- connections ---- */

static void
conn_release(struct conn *k)
{
	struct trd_http *c = k->c;

	if (--k->pending > 0)
		return;
	trd_httpp_free(k->pp);
	if (k->ssl)
		SSL_free(k->ssl); /* frees the BIOs */
	free(k);
	unref(c);
}

static void
conn_closed(uv_handle_t *h)
{
	conn_release(h->data);
}

static void
conn_close(struct conn *k)
{
	struct trd_http *c = k->c;
	struct conn **pp;

	if (k->state == C_CLOSING)
		return;
	k->state = C_CLOSING;
	for (pp = &c->conns; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	c->nconns--;
	if (k->gai_busy)
		uv_cancel((uv_req_t *)&k->gai); /* its callback releases k */
	uv_close((uv_handle_t *)&k->timer, conn_closed);
	if (k->tcp_init)
		uv_close((uv_handle_t *)&k->tcp, conn_closed);
	conn_release(k); /* the open connection's own count */
}

struct wreq {
	uv_write_t w;
	char       data[];
};

static void
write_cb(uv_write_t *w, int status)
{
	struct conn *k = w->data;

	free(w);
	if (status < 0 && status != UV_ECANCELED && k->state != C_CLOSING)
		conn_fail(k, status, "write failed");
}

static int
send_raw(struct conn *k, const char *buf, size_t n)
{
	struct wreq *w;
	uv_buf_t b;
	int rc;

	if (n == 0)
		return 0;
	if ((w = malloc(sizeof(*w) + n)) == NULL)
		return -ENOMEM;
	memcpy(w->data, buf, n);
	w->w.data = k;
	b = uv_buf_init(w->data, (unsigned)n);
	if ((rc = uv_write(&w->w, (uv_stream_t *)&k->tcp, &b, 1, write_cb)) < 0)
		free(w);
	return rc;
}

/* Send what OpenSSL has written to its output BIO. */
static int
flush_tls(struct conn *k)
{
	char buf[16384];
	int n, rc;

	while ((n = BIO_read(k->wbio, buf, sizeof(buf))) > 0)
		if ((rc = send_raw(k, buf, (size_t)n)) < 0)
			return rc;
	return 0;
}

static int
send_bytes(struct conn *k, const char *buf, size_t n)
{
	if (k->ssl == NULL)
		return send_raw(k, buf, n);
	while (n > 0) {
		int w = SSL_write(k->ssl, buf, n > 65536 ? 65536 : (int)n);
		if (w <= 0)
			return TRD_ETLS;
		buf += w;
		n -= (size_t)w;
	}
	return flush_tls(k);
}

static void
timer_cb(uv_timer_t *t)
{
	struct conn *k = t->data;

	k->c->st.timeouts++;
	conn_fail(k, -ETIMEDOUT, "no answer in time");
}

static void
start_req(struct conn *k)
{
	struct trd_http *c = k->c;
	struct trd_http_req *r = k->req;
	int64_t left = (r->deadline_mono - trd_clock_mono_ns()) / 1000000;
	int rc;

	k->state = C_BUSY;
	k->got = 0;
	uv_timer_start(&k->timer, timer_cb, left > 0 ? (uint64_t)left : 0, 0);
	c->st.requests++;
	if ((rc = send_bytes(k, r->wire, r->wlen)) < 0)
		conn_fail(k, rc, "could not send the request");
}

/* Hand the next queued request to k, or leave it idle. */
static void
conn_next(struct conn *k)
{
	struct trd_http *c = k->c;

	k->req = NULL;
	if (c->head == NULL) {
		k->state = C_IDLE;
		uv_timer_stop(&k->timer);
		return;
	}
	k->req = c->head;
	if ((c->head = k->req->next) == NULL)
		c->tail = NULL;
	k->reused = 1;
	c->st.reused++;
	start_req(k);
}

static void
conn_fail(struct conn *k, int err, const char *why)
{
	struct trd_http *c = k->c;
	struct trd_http_req *r = k->req;
	char msg[512];

	k->req = NULL;
	conn_close(k);
	if (r == NULL)
		return;
	/* A kept-alive connection the server closed as we reused it: an
	 * idempotent request that got no byte back goes again, once. */
	if (k->reused && k->got == 0 && r->idempotent && !r->retried &&
	    err != -ETIMEDOUT && !c->freed) {
		r->retried = 1;
		r->next = c->head;
		c->head = r;
		if (c->tail == NULL)
			c->tail = r;
		pump(c);
		return;
	}
	snprintf(msg, sizeof(msg), "%s: %s (%s)", c->origin, why,
		 trd_strerror(err));
	answer(c, r, err, NULL, msg);
	if (!c->freed)
		pump(c);
}

static void
note_headers(struct trd_http *c, const struct trd_http_msg *m)
{
	for (int i = 0; i < m->nhdr; i++)
		if (strncasecmp(m->hdr[i].name, "x-mbx-used-weight-", 18) == 0)
			c->st.used_weight = strtoll(m->hdr[i].value, NULL, 10);
	if (m->status == 429 || m->status == 418) {
		const char *ra = trd_http_header(m, "retry-after");
		long s = ra ? strtol(ra, NULL, 10) : 0;
		if (s <= 0)
			s = 1;
		c->blocked_until = trd_clock_mono_ns() +
				   (int64_t)s * 1000000000;
		c->st.rate_limited++;
		log_warn("%s answered %d: requests held for %lds", c->origin,
			 m->status, s);
	}
}

/* Bytes of the answer, or (eof) the close that ended an answer whose
 * body runs to it, already found whole by trd_httpp_eof(). */
static void
on_plain(struct conn *k, const char *buf, size_t n, int eof)
{
	struct trd_http *c = k->c;

	while (n > 0 || eof) {
		size_t used = 0;
		int rc;

		if (k->state != C_BUSY) {
			conn_fail(k, TRD_EPROTO, "bytes sent with no request");
			return;
		}
		k->got += n;
		if (eof) {
			rc = TRD_HTTPP_DONE;
			eof = 0;
		} else {
			rc = trd_httpp_feed(k->pp, buf, n, &used);
		}
		if (rc == TRD_HTTPP_MORE)
			return;
		if (rc < 0) {
			char why[200];
			snprintf(why, sizeof(why), "bad response: %s",
				 trd_httpp_error(k->pp));
			conn_fail(k, TRD_EPROTO, why);
			return;
		}
		{
			const struct trd_http_msg *m = trd_httpp_msg(k->pp);
			struct trd_http_req *r = k->req;
			int keep = m->keep_alive && used == n && n > 0;

			note_headers(c, m);
			uv_timer_stop(&k->timer);
			k->req = NULL;
			c->refs++;
			answer(c, r, 0, m, NULL);
			if (c->freed || k->state == C_CLOSING) {
				unref(c);
				return;
			}
			unref(c);
			trd_httpp_reset(k->pp);
			if (!keep) {
				conn_close(k);
				pump(c);
				return;
			}
			buf += used;
			n -= used;
			conn_next(k);
		}
	}
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
tls_error(struct conn *k, const char *stage)
{
	char why[200];
	long v = k->ssl ? SSL_get_verify_result(k->ssl) : X509_V_OK;
	unsigned long e = ERR_get_error();

	if (v != X509_V_OK)
		snprintf(why, sizeof(why), "%s: certificate: %s", stage,
			 X509_verify_cert_error_string(v));
	else
		snprintf(why, sizeof(why), "%s: %s", stage,
			 e ? ERR_reason_error_string(e) : "closed");
	ERR_clear_error();
	conn_fail(k, TRD_ETLS, why);
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *k = s->data;
	char plain[16384];

	if (n == 0)
		return;
	if (n < 0) {
		if (k->state == C_IDLE) {
			conn_close(k);
			return;
		}
		if (n == UV_EOF && k->state == C_BUSY) {
			int rc = trd_httpp_eof(k->pp);
			if (rc == TRD_HTTPP_DONE) {
				on_plain(k, "", 0, 1);
				return;
			}
		}
		conn_fail(k, (int)n, n == UV_EOF ? "closed by the server"
				     : "read failed");
		return;
	}
	if (k->ssl == NULL) {
		on_plain(k, b->base, (size_t)n, 0);
		return;
	}
	BIO_write(k->rbio, b->base, (int)n);
	if (k->state == C_HANDSHAKE) {
		int r = SSL_do_handshake(k->ssl);
		if (flush_tls(k) < 0) {
			conn_fail(k, -EIO, "write failed");
			return;
		}
		if (r != 1) {
			if (SSL_get_error(k->ssl, r) == SSL_ERROR_WANT_READ)
				return;
			tls_error(k, "TLS handshake");
			return;
		}
		start_req(k);
		if (k->state != C_BUSY)
			return;
	}
	for (;;) {
		int r = SSL_read(k->ssl, plain, sizeof(plain));
		if (r <= 0) {
			int e = SSL_get_error(k->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				break;
			if (e == SSL_ERROR_ZERO_RETURN && k->state == C_BUSY &&
			    trd_httpp_eof(k->pp) == TRD_HTTPP_DONE) {
				on_plain(k, "", 0, 1);
				return;
			}
			if (k->state == C_IDLE)
				conn_close(k);
			else
				tls_error(k, "TLS read");
			return;
		}
		on_plain(k, plain, (size_t)r, 0);
		if (k->state == C_CLOSING || k->c->freed)
			return;
	}
	flush_tls(k);
}

static int
is_ip(const char *h)
{
	unsigned char b[16];

	return uv_inet_pton(AF_INET, h, b) == 0 ||
	       uv_inet_pton(AF_INET6, h, b) == 0;
}

static void
connect_cb(uv_connect_t *cr, int status)
{
	struct conn *k = cr->data;
	struct trd_http *c = k->c;
	int rc;

	if (k->state == C_CLOSING)
		return;
	if (status < 0) {
		conn_fail(k, status, "connect failed");
		return;
	}
	c->st.connects++;
	if ((rc = uv_read_start((uv_stream_t *)&k->tcp, alloc_cb, read_cb)) < 0) {
		conn_fail(k, rc, "read failed");
		return;
	}
	if (!c->url.tls) {
		start_req(k);
		return;
	}
	if ((k->ssl = SSL_new(c->ssl_ctx)) == NULL ||
	    (k->rbio = BIO_new(BIO_s_mem())) == NULL ||
	    (k->wbio = BIO_new(BIO_s_mem())) == NULL) {
		BIO_free(k->rbio);
		k->rbio = NULL;
		tls_error(k, "TLS set-up");
		return;
	}
	SSL_set_bio(k->ssl, k->rbio, k->wbio);
	SSL_set_connect_state(k->ssl);
	if (!is_ip(c->url.host))
		SSL_set_tlsext_host_name(k->ssl, c->url.host);
	SSL_set1_host(k->ssl, c->url.host);
	k->state = C_HANDSHAKE;
	SSL_do_handshake(k->ssl);
	if (flush_tls(k) < 0)
		conn_fail(k, -EIO, "write failed");
}

static void
gai_cb(uv_getaddrinfo_t *g, int status, struct addrinfo *ai)
{
	struct conn *k = g->data;
	int rc;

	k->gai_busy = 0;
	if (status == UV_ECANCELED || k->state == C_CLOSING) {
		uv_freeaddrinfo(ai);
		conn_release(k);
		return;
	}
	k->pending--; /* the lookup is back; k is still open */
	if (status < 0 || ai == NULL) {
		uv_freeaddrinfo(ai);
		conn_fail(k, status ? status : -ENOENT, "name not resolved");
		return;
	}
	k->state = C_CONNECTING;
	if ((rc = uv_tcp_init(k->c->loop, &k->tcp)) == 0) {
		k->tcp_init = 1;
		k->pending++;
		k->tcp.data = k;
		uv_tcp_nodelay(&k->tcp, 1);
		k->creq.data = k;
		rc = uv_tcp_connect(&k->creq, &k->tcp, ai->ai_addr,
				    connect_cb);
	}
	uv_freeaddrinfo(ai);
	if (rc < 0)
		conn_fail(k, rc, "connect failed");
}

static int
conn_open(struct trd_http *c, struct trd_http_req *r)
{
	struct conn *k = calloc(1, sizeof(*k));
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	char port[8];
	int rc;

	if (k == NULL || (k->pp = trd_httpp_new(0, c->o.max_body)) == NULL) {
		free(k);
		return -ENOMEM;
	}
	k->c = c;
	k->req = r;
	k->state = C_RESOLVING;
	k->pending = 2; /* the connection, its timer */
	uv_timer_init(c->loop, &k->timer);
	k->timer.data = k;
	k->gai.data = k;
	k->next = c->conns;
	c->conns = k;
	c->nconns++;
	c->refs++;
	{
		int64_t left = (r->deadline_mono - trd_clock_mono_ns()) /
			       1000000;
		uv_timer_start(&k->timer, timer_cb,
			       left > 0 ? (uint64_t)left : 0, 0);
	}
	snprintf(port, sizeof(port), "%u", c->url.port);
	k->gai_busy = 1;
	k->pending++;
	if ((rc = uv_getaddrinfo(c->loop, &k->gai, gai_cb, c->url.host, port,
				 &hints)) < 0) {
		k->gai_busy = 0;
		k->pending--;
		k->req = NULL;
		conn_close(k);
		return rc;
	}
	return 0;
}

static void
pump(struct trd_http *c)
{
	while (c->head && !c->freed) {
		struct trd_http_req *r = c->head;
		struct conn *k;
		int rc;

		if (c->blocked_until > trd_clock_mono_ns()) {
			c->head = r->next;
			if (c->head == NULL)
				c->tail = NULL;
			fail_later(c, r, TRD_ERATELIMIT,
				   "held: the venue asked us to wait");
			continue;
		}
		for (k = c->conns; k; k = k->next)
			if (k->state == C_IDLE)
				break;
		if (k) {
			conn_next(k);
			continue;
		}
		if (c->nconns >= c->o.max_conns)
			return;
		c->head = r->next;
		if (c->head == NULL)
			c->tail = NULL;
		if ((rc = conn_open(c, r)) < 0)
			fail_later(c, r, rc, "could not start a connection");
	}
}

int
trd_http_new(struct trd_http **out, uv_loop_t *loop, const char *url,
	     const struct trd_http_opts *o)
{
	struct trd_http *c = calloc(1, sizeof(*c));
	char err[160];

	*out = NULL;
	if (c == NULL)
		return -ENOMEM;
	if (trd_url_parse(url, &c->url, err, sizeof(err)) != 0) {
		log_error("%s", err);
		free(c);
		return TRD_ECONFIG;
	}
	c->loop = loop;
	c->o = o ? *o : (struct trd_http_opts){ 0 };
	if (c->o.max_conns <= 0)
		c->o.max_conns = DEF_CONNS;
	if (c->o.timeout_ms == 0)
		c->o.timeout_ms = DEF_TIMEOUT;
	if (c->o.max_body == 0)
		c->o.max_body = DEF_BODY;
	c->st.used_weight = -1;
	snprintf(c->origin, sizeof(c->origin), "%s://%s:%u",
		 c->url.tls ? "https" : "http", c->url.host, c->url.port);
	if (c->url.tls) {
		if ((c->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			goto tls;
		SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
		if (c->o.ca_file && c->o.ca_file[0]
		    ? SSL_CTX_load_verify_locations(c->ssl_ctx, c->o.ca_file,
						    NULL) != 1
		    : SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1) {
			log_error("%s: cannot load the CA certificates%s%s",
				  c->origin, c->o.ca_file ? " from " : "",
				  c->o.ca_file ? c->o.ca_file : "");
			SSL_CTX_free(c->ssl_ctx);
			free(c);
			return TRD_ETLS;
		}
	}
	uv_timer_init(loop, &c->defer);
	c->defer.data = c;
	c->refs = 2; /* the owner, the defer timer */
	*out = c;
	return 0;
tls:
	log_error("%s: TLS set-up failed", c->origin);
	free(c);
	return TRD_ETLS;
}

int
trd_http_request(struct trd_http *c, const char *method, const char *target,
		 const char *headers, const char *body, size_t blen,
		 trd_http_cb cb, void *arg)
{
	struct trd_http_req *r = calloc(1, sizeof(*r));
	int n;
	size_t cap;

	if (r == NULL)
		return -ENOMEM;
	cap = strlen(method) + strlen(c->url.path) + strlen(target) +
	      strlen(c->url.host) + (headers ? strlen(headers) : 0) + blen +
	      160;
	if ((r->wire = malloc(cap)) == NULL) {
		free(r);
		return -ENOMEM;
	}
	n = snprintf(r->wire, cap, "%s %s%s HTTP/1.1\r\nHost: %s", method,
		     c->url.path, target, c->url.host);
	if (c->url.port != (c->url.tls ? 443 : 80))
		n += snprintf(r->wire + n, cap - (size_t)n, ":%u", c->url.port);
	n += snprintf(r->wire + n, cap - (size_t)n,
		      "\r\nUser-Agent: traderd\r\n%s", headers ? headers : "");
	if (body || strcmp(method, "GET") != 0)
		n += snprintf(r->wire + n, cap - (size_t)n,
			      "Content-Length: %zu\r\n", blen);
	n += snprintf(r->wire + n, cap - (size_t)n, "\r\n");
	if (blen)
		memcpy(r->wire + n, body, blen);
	r->wlen = (size_t)n + blen;
	r->idempotent = strcmp(method, "GET") == 0;
	r->cb = cb;
	r->arg = arg;
	r->deadline_mono = trd_clock_mono_ns() +
			   (int64_t)c->o.timeout_ms * 1000000;
	if (c->tail)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	/* Never answer inside the call: connect from the loop. */
	uv_timer_start(&c->defer, defer_cb, 0, 0);
	pump(c);
	return 0;
}

void
trd_http_free(struct trd_http *c)
{
	if (c == NULL || c->freed)
		return;
	c->freed = 1;
	c->refs++;
	while (c->conns) {
		struct conn *k = c->conns;
		struct trd_http_req *r = k->req;
		k->req = NULL;
		conn_close(k);
		if (r)
			answer(c, r, TRD_ESTOPPED, NULL, "client closed");
	}
	while (c->head) {
		struct trd_http_req *r = c->head;
		c->head = r->next;
		answer(c, r, TRD_ESTOPPED, NULL, "client closed");
	}
	c->tail = NULL;
	while (c->failed) {
		struct trd_http_req *r = c->failed;
		c->failed = r->next;
		answer(c, r, r->err, NULL, r->why);
	}
	uv_close((uv_handle_t *)&c->defer, defer_close_cb);
	unref(c); /* the owner's */
	unref(c);
}

const struct trd_http_stats *
trd_http_stats(const struct trd_http *c)
{
	return &c->st;
}

int64_t
trd_http_blocked_until(const struct trd_http *c)
{
	return c->blocked_until > trd_clock_mono_ns() ? c->blocked_until : 0;
}
