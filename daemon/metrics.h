/*
 * metrics: the Prometheus endpoint, on the daemon's loop.
 *
 * metrics.listen (ADDRESS:PORT) serves, over HTTP/1.1 parsed with llhttp:
 *
 *   GET /metrics   the text exposition format 0.0.4: events, feed frames,
 *                  bytes, reconnects, gaps, resyncs and message ages,
 *                  orders by state and strategy, rejects by reason,
 *                  fills, fees, equity, cash, positions, drawdown, the
 *                  day's PnL, the kill switch, latency histograms (loop
 *                  lag, frame to strategy, order round trip), the config
 *                  generation and reloads.  Names are in base units,
 *                  counters end in _total.
 *   GET /healthz   200 "ok" when trading is possible; 503 and the reason
 *                  (halted, stale, disconnected, not running) otherwise.
 *
 * Anything else is 404 (405 for a method other than GET or HEAD).  At most
 * TRD_METRICS_MAX_CONNS connections; a request head over the parser's
 * limit or one that llhttp refuses gets 400 and the connection closed; an
 * idle connection is closed after 60 s.
 */
#ifndef TRD_METRICS_H
#define TRD_METRICS_H

#include <uv.h>

#include "admin.h"
#include "hist.h"
#include "wfile.h"

#define TRD_METRICS_MAX_CONNS 16

struct trd_http_msg;
struct trd_session;

/* What the registry counts itself (the rest is read from the subsystems
 * at each scrape). */
struct trd_metrics {
	uv_loop_t            *loop;
	struct trd_admin_env *env;
	struct trd_session   *session;
	struct trd_hist       loop_lag, order_rtt;
	uint64_t              rejects[64];   /* by enum trd_reject */
	uint64_t              scrapes;
	int64_t               lag_due;       /* the lag timer's next due time */
	uv_timer_t            lag;
	uv_tcp_t              server;
	int                   server_open, lag_open, closing, handles;
	struct mconn         *conns;
	size_t                nconns;
	/* systemd's watchdog: the lag timer pings it (daemon/notify.c). */
	void                (*on_tick)(void *arg);
	void                 *tick_arg;
};

/*
 * Start the loop-lag timer and, when metrics.listen is set, the listener.
 * 0 or a negative error (logged).  *out is set either way on success.
 */
int trd_metrics_open(struct trd_metrics **out, uv_loop_t *loop,
		     struct trd_admin_env *env);
/* Follow the session's orders (rejects, round trips). */
void trd_metrics_attach(struct trd_metrics *m, struct trd_session *t);
void trd_metrics_close(struct trd_metrics *m);

/* The exposition text (tests, the fuzz harness). */
void trd_metrics_render(struct trd_metrics *m, struct wfile *w);
/* Whether trading is possible; if not, the reason in why. */
int trd_metrics_healthy(struct trd_metrics *m, char *why, size_t len);
/*
 * The response to request msg (status line, headers, body) into w; head
 * says whether it was HEAD.  Returns the HTTP status.
 */
int trd_metrics_respond(struct trd_metrics *m, const struct trd_http_msg *msg,
			struct wfile *w);

#endif
