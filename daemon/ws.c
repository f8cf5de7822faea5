/*
 * ws: see ws.h.
 *
 * States of a connection: RESOLVING (uv_getaddrinfo), CONNECTING (lws has
 * the wsi), OPEN, and detached (the user closed it: w->cbs cleared; the
 * struct is freed by whichever of the lookup or lws lets go last).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "clock.h"
#include "http.h"
#include "log.h"
#include "ws.h"

struct msgq {
	struct msgq *next;
	size_t       len;
	unsigned char buf[]; /* LWS_PRE bytes, then the text */
};

struct trd_ws_ctx {
	uv_loop_t          *loop;
	struct lws_context *lws;
	uv_timer_t          t;
	int                 step;
	int                 nconns;
};

enum { W_RESOLVING, W_CONNECTING, W_OPEN, W_DONE };

struct trd_ws {
	struct trd_ws_ctx  *x;
	struct trd_url      url;
	char                path[2048];
	struct trd_ws_cbs   cbs;
	void               *arg;
	int                 state;
	int                 detached;
	int                 user_gone; /* the user's reference dropped */
	int                 refs;     /* lookup, lws wsi */
	struct lws         *wsi;
	uv_getaddrinfo_t    gai;
	uv_timer_t          start;    /* lookup starts from the loop */
	int                 start_open;
	char                addr[64];
	lws_retry_bo_t      retry;
	struct msgq        *qh, *qt;
	char               *rx;
	size_t              rxlen, rxcap, max_msg;
	char                why[400];
};

static void
ws_unref(struct trd_ws *w)
{
	if (--w->refs > 0)
		return;
	while (w->qh) {
		struct msgq *m = w->qh;
		w->qh = m->next;
		free(m);
	}
	free(w->rx);
	w->x->nconns--;
	free(w);
}

/* Report the end once (unless detached), then let go of the user's
 * reference as on_close promises; the caller still holds its own. */
static void
ws_end(struct trd_ws *w, const char *why)
{
	if (w->state == W_DONE)
		return;
	w->state = W_DONE;
	if (!w->detached && w->cbs.on_close)
		w->cbs.on_close(w->arg, why);
	w->detached = 1;
	if (!w->user_gone) {
		w->user_gone = 1;
		ws_unref(w);
	}
}

static int
cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
   size_t len)
{
	struct trd_ws *w = wsi ? lws_get_opaque_user_data(wsi) : NULL;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (w == NULL)
			break;
		lws_set_opaque_user_data(wsi, NULL);
		snprintf(w->why, sizeof(w->why), "connection failed: %s",
			 in ? (const char *)in : "unknown error");
		w->wsi = NULL;
		ws_end(w, w->why);
		ws_unref(w);
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (w == NULL || w->detached)
			break;
		w->state = W_OPEN;
		if (w->cbs.on_open)
			w->cbs.on_open(w->arg);
		if (w->qh && !w->detached)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE: {
		int64_t now = trd_clock_realtime_ns();

		if (w == NULL || w->detached)
			break;
		if (w->rxlen + len > w->max_msg) {
			snprintf(w->why, sizeof(w->why), "message larger than "
				 "%zu bytes", w->max_msg);
			return -1;
		}
		if (!(w->rxlen == 0 && lws_is_final_fragment(wsi) &&
		      lws_remaining_packet_payload(wsi) == 0)) {
			if (w->rxlen + len + 1 > w->rxcap) {
				size_t cap = w->rxcap ? w->rxcap * 2 : 8192;
				char *n;
				while (cap < w->rxlen + len + 1)
					cap *= 2;
				if ((n = realloc(w->rx, cap)) == NULL)
					return -1;
				w->rx = n;
				w->rxcap = cap;
			}
			memcpy(w->rx + w->rxlen, in, len);
			w->rxlen += len;
			if (!lws_is_final_fragment(wsi) ||
			    lws_remaining_packet_payload(wsi) > 0)
				break;
			in = w->rx;
			len = w->rxlen;
		}
		w->rxlen = 0;
		w->cbs.on_message(w->arg, now, in, len);
		break;
	}
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		struct msgq *m;
		if (w == NULL || w->detached)
			return -1;
		if ((m = w->qh) == NULL)
			break;
		if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) <
		    (int)m->len)
			return -1;
		if ((w->qh = m->next) == NULL)
			w->qt = NULL;
		free(m);
		if (w->qh)
			lws_callback_on_writable(wsi);
		break;
	}
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (w && len >= 2) {
			const unsigned char *p = in;
			snprintf(w->why, sizeof(w->why), "closed by the server "
				 "(code %u)", (unsigned)(p[0] << 8 | p[1]));
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (w == NULL)
			break;
		lws_set_opaque_user_data(wsi, NULL);
		w->wsi = NULL;
		ws_end(w, w->why[0] ? w->why : "closed");
		ws_unref(w);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "traderd-ws", cb, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void
lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_warn("libwebsockets: %.*s", (int)n, line);
	else
		log_debug("libwebsockets: %.*s", (int)n, line);
}

/*
 * lws loads its libuv glue as a plugin and unloads it when a context is
 * destroyed, while close callbacks it gave the loop may still be pending:
 * the loop would then jump into unmapped code.  Loaded here first with
 * RTLD_NODELETE, it stays mapped for the life of the process.
 */
static int
pin_evlib(void)
{
	static int done;
	void *h;

	if (done)
		return 0;
	h = dlopen(LWS_INSTALL_LIBDIR "/libwebsockets-evlib_uv.so",
		   RTLD_NOW | RTLD_NODELETE);
	if (h == NULL) {
		log_error("cannot load %s/libwebsockets-evlib_uv.so (install "
			  "the libwebsockets-evlib-uv package): %s",
			  LWS_INSTALL_LIBDIR, dlerror());
		return -1;
	}
	done = 1;
	return 0;
}

int
trd_ws_ctx_new(struct trd_ws_ctx **out, uv_loop_t *loop, const char *ca_file)
{
	struct trd_ws_ctx *x = calloc(1, sizeof(*x));
	struct lws_context_creation_info info;
	void *loops[1] = { loop };

	*out = NULL;
	if (x == NULL)
		return -ENOMEM;
	if (pin_evlib() != 0) {
		free(x);
		return -ENOENT;
	}
	lws_set_log_level(LLL_ERR, lws_log);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = loops;
	info.client_ssl_ca_filepath = ca_file && ca_file[0] ? ca_file : NULL;
	info.connect_timeout_secs = 10;
	/* The combined-stream URL of many symbols is long (lws keeps 1 KiB of
	 * headers by default). */
	info.max_http_header_data = 32768;
	info.timeout_secs = 10;
	x->loop = loop;
	if ((x->lws = lws_create_context(&info)) == NULL) {
		log_error("cannot start libwebsockets on the loop (is the "
			  "libwebsockets-evlib-uv package installed?)");
		free(x);
		return -EIO;
	}
	uv_timer_init(loop, &x->t);
	x->t.data = x;
	*out = x;
	return 0;
}

static void
ctx_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Step 1 starts lws's close of its handles; step 2, a loop turn later
 * and outside every lws callback, finishes it. */
static void
ctx_step(uv_timer_t *t)
{
	struct trd_ws_ctx *x = t->data;

	if (x->step == 0) {
		lws_context_destroy(x->lws);
		x->step = 1;
		uv_timer_start(&x->t, ctx_step, 1, 0);
		return;
	}
	lws_context_destroy(x->lws);
	uv_close((uv_handle_t *)&x->t, ctx_closed);
}

void
trd_ws_ctx_free(struct trd_ws_ctx *x)
{
	if (x == NULL)
		return;
	uv_timer_start(&x->t, ctx_step, 0, 0);
}

static void
gai_cb(uv_getaddrinfo_t *g, int status, struct addrinfo *ai)
{
	struct trd_ws *w = g->data;
	struct lws_client_connect_info ci;

	if (w->detached || status < 0 || ai == NULL) {
		if (!w->detached) {
			snprintf(w->why, sizeof(w->why), "%s: name not "
				 "resolved (%s)", w->url.host,
				 uv_strerror(status ? status : UV_ENOENT));
			ws_end(w, w->why);
		}
		uv_freeaddrinfo(ai);
		ws_unref(w);
		return;
	}
	if (ai->ai_family == AF_INET6)
		uv_ip6_name((struct sockaddr_in6 *)ai->ai_addr, w->addr,
			    sizeof(w->addr));
	else
		uv_ip4_name((struct sockaddr_in *)ai->ai_addr, w->addr,
			    sizeof(w->addr));
	uv_freeaddrinfo(ai);
	memset(&ci, 0, sizeof(ci));
	ci.context = w->x->lws;
	ci.address = w->addr;
	ci.port = w->url.port;
	ci.path = w->path;
	ci.host = w->url.host;
	ci.origin = w->url.host;
	ci.protocol = NULL;
	ci.ssl_connection = w->url.tls ? LCCSCF_USE_SSL : 0;
	ci.ssl_connection |= LCCSCF_PRIORITIZE_READS;
	ci.retry_and_idle_policy = &w->retry;
	ci.opaque_user_data = w;
	ci.local_protocol_name = protocols[0].name;
	w->state = W_CONNECTING;
	/* The lookup's reference passes to lws's wsi; hold one more over
	 * the call, whose error callback may end w. */
	w->refs++;
	if ((w->wsi = lws_client_connect_via_info(&ci)) == NULL) {
		/* Either lws already reported CONNECTION_ERROR (and let go
		 * of w) or it failed before: only then is w still ours. */
		if (w->state != W_DONE) {
			snprintf(w->why, sizeof(w->why), "%s:%u: connect "
				 "failed", w->url.host, w->url.port);
			ws_end(w, w->why);
			ws_unref(w);
		}
	}
	ws_unref(w);
}

static void
start_closed(uv_handle_t *h)
{
	ws_unref(h->data);
}

static void
start_cb(uv_timer_t *t)
{
	struct trd_ws *w = t->data;
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	char port[8];
	int rc;

	uv_close((uv_handle_t *)&w->start, start_closed);
	if (w->detached)
		return;
	snprintf(port, sizeof(port), "%u", w->url.port);
	w->refs++;
	w->gai.data = w;
	if ((rc = uv_getaddrinfo(w->x->loop, &w->gai, gai_cb, w->url.host,
				 port, &hints)) < 0) {
		snprintf(w->why, sizeof(w->why), "%s: cannot resolve (%s)",
			 w->url.host, uv_strerror(rc));
		ws_end(w, w->why);
		ws_unref(w);
	}
}

struct trd_ws *
trd_ws_open(struct trd_ws_ctx *x, const char *url,
	    const struct trd_ws_cbs *cbs, void *arg, unsigned ping_s,
	    size_t max_msg)
{
	struct trd_ws *w = calloc(1, sizeof(*w));
	const char *q;
	char err[160];

	if (w == NULL)
		return NULL;
	if (trd_url_parse(url, &w->url, err, sizeof(err)) != 0) {
		log_error("%s", err);
		free(w);
		return NULL;
	}
	q = strchr(url, '?');
	snprintf(w->path, sizeof(w->path), "%s%s", w->url.path[0] ?
		 w->url.path : "/", q ? q : "");
	w->x = x;
	w->cbs = *cbs;
	w->arg = arg;
	w->max_msg = max_msg ? max_msg : (1u << 20);
	w->retry.secs_since_valid_ping = (uint16_t)(ping_s ? ping_s : 30);
	w->retry.secs_since_valid_hangup = (uint16_t)(2 * (ping_s ? ping_s : 30));
	w->refs = 2; /* the user's handle, the start timer */
	x->nconns++;
	uv_timer_init(x->loop, &w->start);
	w->start.data = w;
	uv_timer_start(&w->start, start_cb, 0, 0);
	return w;
}

int
trd_ws_send(struct trd_ws *w, const char *text, size_t len)
{
	struct msgq *m;

	if (w->state != W_OPEN || w->wsi == NULL)
		return -ENOTCONN;
	if ((m = malloc(sizeof(*m) + LWS_PRE + len)) == NULL)
		return -ENOMEM;
	m->next = NULL;
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	if (w->qt)
		w->qt->next = m;
	else
		w->qh = m;
	w->qt = m;
	lws_callback_on_writable(w->wsi);
	return 0;
}

void
trd_ws_close(struct trd_ws *w)
{
	if (w == NULL || w->user_gone)
		return;
	w->user_gone = 1;
	w->detached = 1;
	if (w->wsi) {
		lws_set_opaque_user_data(w->wsi, NULL);
		lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
		w->wsi = NULL;
		ws_unref(w); /* lws's */
	}
	ws_unref(w); /* the user's */
}
