/*
 * ws: WebSocket client connections on the daemon's libuv loop, with
 * libwebsockets.
 *
 * One context per process runs lws on our loop (a foreign loop: lws adds
 * its handles to it and installs no signal handlers).  Names are
 * resolved with uv_getaddrinfo before lws is asked to connect, with the
 * numeric address and the real host name (for SNI, the certificate check
 * and the Host header): lws 4.1.6 would resolve them itself with a
 * blocking getaddrinfo() on the loop.
 *
 * A connection delivers whole messages (fragments are joined), each with
 * the wall-clock time its last fragment reached the receive callback.  It
 * pings after ping_s seconds without a pong and hangs up if none comes
 * within ping_s more.  Reconnecting is not done here: the feed decides
 * when and how (backoff, rotation), and knows what to resubscribe.
 *
 * Teardown: trd_ws_close() detaches a connection at once (no callback
 * after it returns, even from inside one of its callbacks); lws closes
 * the socket later.  trd_ws_ctx_free() destroys the context in the two
 * steps lws 4.1.6 needs on a foreign loop, each from a timer of its own
 * (never inside an lws callback); run the loop until it has no handles.
 */
#ifndef TRD_WS_H
#define TRD_WS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct trd_ws_ctx;
struct trd_ws;

struct trd_ws_cbs {
	void (*on_open)(void *arg);
	void (*on_message)(void *arg, int64_t recv_ns, const char *data,
			   size_t len);
	/* The connection is over (never opened, closed by either side, or
	 * failed); why says so.  The handle is freed after this returns. */
	void (*on_close)(void *arg, const char *why);
};

int trd_ws_ctx_new(struct trd_ws_ctx **out, uv_loop_t *loop,
		   const char *ca_file);
void trd_ws_ctx_free(struct trd_ws_ctx *x);

/*
 * Connect to url (ws:// or wss://, with its path and query).  The
 * callbacks start from the loop, never inside this call.  max_msg bounds
 * a message's size (a bigger one closes the connection).  NULL on a bad
 * URL (logged) or ENOMEM.
 */
struct trd_ws *trd_ws_open(struct trd_ws_ctx *x, const char *url,
			   const struct trd_ws_cbs *cbs, void *arg,
			   unsigned ping_s, size_t max_msg);
/* Queue a text message; 0, -ENOMEM, or -ENOTCONN before on_open. */
int trd_ws_send(struct trd_ws *w, const char *text, size_t len);
void trd_ws_close(struct trd_ws *w);

#endif
