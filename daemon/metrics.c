/*
 * metrics: see metrics.h.
 *
 * There is no second copy of the numbers: a scrape reads the session, the
 * order manager, the portfolio, risk and the feed where they keep their
 * counts, and renders them.  Only what nobody else counts lives here: the
 * loop's lag, the orders' round trips and the rejects by reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "engine.h"
#include "feed.h"
#include "feed_live.h"
#include "host.h"
#include "http_parse.h"
#include "log.h"
#include "metrics.h"
#include "oms.h"
#include "session.h"
#include "version.h"

#define LAG_PERIOD_MS 100
#define IDLE_MS       60000

struct mconn {
	struct trd_metrics *m;
	uv_tcp_t            tcp;
	uv_timer_t          idle;
	struct trd_httpp   *pp;
	int                 closing, close_after, nclosed;
	size_t              queued;      /* answers not yet sent */
	struct mconn       *next, *prev;
};

/* ---- rendering ---- */

static void
head(struct wfile *w, const char *name, const char *type, const char *help)
{
	wf_printf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format asks. */
static void
label_val(struct wfile *w, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			wf_write(w, "\\", 1);
		if (*s == '\n') {
			wf_puts(w, "\\n");
			continue;
		}
		wf_write(w, s, 1);
	}
}

static void
num(struct wfile *w, double v)
{
	if (isnan(v))
		wf_puts(w, "NaN");
	else if (isinf(v))
		wf_puts(w, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		wf_printf(w, "%.0f", v);
	else
		wf_printf(w, "%.9g", v);
}

/* name{k="v"} value; k NULL: no labels. */
static void
sample1(struct wfile *w, const char *name, const char *k, const char *v,
	double val)
{
	wf_puts(w, name);
	if (k) {
		wf_printf(w, "{%s=\"", k);
		label_val(w, v);
		wf_puts(w, "\"}");
	}
	wf_puts(w, " ");
	num(w, val);
	wf_puts(w, "\n");
}

/* Models in the loop: drift (PSI) of each feature and of the score, and
 * what strategies recorded (host->record). */
static void
models(struct wfile *w, const struct trd_session *t)
{
	head(w, "traderd_model_psi", "gauge",
	     "Population stability index of a model's input or score over "
	     "its last 1440 predictions against its training rows (NaN "
	     "until the window is full).");
	for (size_t k = 0; k < t->nstrat; k++) {
		const struct trd_strategy *s = &t->strats[k];
		for (size_t h = 0; h < s->nmodels; h++) {
			const struct trd_strategy_model *sm = &s->models[h];
			for (uint32_t i = 0; sm->m.nfeat && i <= sm->m.nfeat;
			     i++) {
				wf_puts(w, "traderd_model_psi{strategy=\"");
				label_val(w, s->name);
				wf_printf(w, "\",model=\"%.12s\",feature=\"",
					  sm->sha256);
				label_val(w, i < sm->m.nfeat ? sm->m.names[i]
							     : "score");
				wf_puts(w, "\"} ");
				num(w, trd_host_model_psi(sm, i));
				wf_puts(w, "\n");
			}
		}
	}
	head(w, "traderd_strategy_value", "gauge",
	     "Figures strategies record (a shadow model's hypothetical "
	     "return, its agreement with the trading model).");
	for (size_t k = 0; k < t->nstrat; k++) {
		const struct trd_strategy *s = &t->strats[k];
		for (size_t i = 0; i < s->nrec; i++) {
			wf_puts(w, "traderd_strategy_value{strategy=\"");
			label_val(w, s->name);
			wf_printf(w, "\",name=\"%s\"} ", s->rec[i].name);
			num(w, s->rec[i].v);
			wf_puts(w, "\n");
		}
	}
}

static void
one(struct wfile *w, const char *name, const char *type, const char *help,
    double v)
{
	head(w, name, type, help);
	sample1(w, name, NULL, NULL, v);
}

static void
hist(struct wfile *w, const char *name, const char *help,
     const struct trd_hist *h)
{
	uint64_t cum = 0;

	head(w, name, "histogram", help);
	for (int i = 0; i < TRD_HIST_NB; i++) {
		cum += h->n[i];
		wf_printf(w, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
			  (double)trd_hist_le[i] / 1e9, cum);
	}
	wf_printf(w, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	wf_printf(w, "%s_sum ", name);
	num(w, (double)h->sum_ns / 1e9);
	wf_printf(w, "\n%s_count %" PRIu64 "\n", name, h->count);
}

static double
cash(int64_t v)
{
	return (double)v / 1e8;
}

static void
render_session(struct trd_metrics *m, struct wfile *w)
{
	struct trd_session *t = m->session;
	static const char *const evn[] = { "?", "bar", "quote", "trade",
					   "time" };
	static const char *const stn[] = { "?", "new", "accepted",
					   "partially_filled" };
	const struct trd_oms_stats *os = &t->oms.stats;
	uint64_t bystate[4] = { 0 };
	int64_t eq = trd_portfolio_equity(&t->pf);

	head(w, "traderd_events_total", "counter",
	     "Market-data events handled by the session, by type.");
	for (int k = 1; k <= 4; k++)
		sample1(w, "traderd_events_total", "type", evn[k],
			(double)t->nev[k]);
	for (const struct trd_order *o = t->oms.open_head; o; o = o->next_open)
		if (o->status >= 1 && o->status <= 3)
			bystate[o->status]++;
	head(w, "traderd_open_orders", "gauge",
	     "Open orders, by state.");
	for (int k = 1; k <= 3; k++)
		sample1(w, "traderd_open_orders", "state", stn[k],
			(double)bystate[k]);
	head(w, "traderd_orders_closed_total", "counter",
	     "Orders that reached a final state, by state.");
	sample1(w, "traderd_orders_closed_total", "state", "filled",
		(double)os->filled);
	sample1(w, "traderd_orders_closed_total", "state", "canceled",
		(double)os->canceled);
	sample1(w, "traderd_orders_closed_total", "state", "rejected",
		(double)os->rejected);
	sample1(w, "traderd_orders_closed_total", "state", "expired",
		(double)os->expired);
	one(w, "traderd_orders_created_total", "counter",
	    "Orders created by strategies, the kill switch and the operator.",
	    (double)os->created);
	head(w, "traderd_strategy_orders_total", "counter",
	     "Orders created, by strategy.");
	for (size_t k = 0; k < t->nstrat; k++)
		sample1(w, "traderd_strategy_orders_total", "strategy",
			t->strats[k].name, (double)t->strats[k].norders);
	head(w, "traderd_strategy_paused", "gauge",
	     "1 while the operator has paused the strategy.");
	for (size_t k = 0; k < t->nstrat; k++)
		sample1(w, "traderd_strategy_paused", "strategy",
			t->strats[k].name, t->strats[k].paused);
	models(w, t);
	head(w, "traderd_rejects_total", "counter",
	     "Orders rejected, by reason.");
	for (int k = 1; k < TRD_REJ_COUNT && k < 64; k++)
		sample1(w, "traderd_rejects_total", "reason",
			trd_reject_name(k), (double)m->rejects[k]);
	one(w, "traderd_fills_total", "counter", "Fills applied.",
	    (double)os->fills);
	one(w, "traderd_fees_total", "counter",
	    "Fees paid, in the account's currency.", cash(t->pf.fees));
	one(w, "traderd_equity", "gauge",
	    "Account equity, marked at the last prices.", cash(eq));
	one(w, "traderd_cash", "gauge", "Account cash.", cash(t->pf.cash));
	head(w, "traderd_position_notional", "gauge",
	     "Net position value by symbol, signed, at the last price.");
	for (size_t i = 0; i < t->ninstr; i++)
		sample1(w, "traderd_position_notional", "symbol",
			t->reg.v[i].symbol, cash(t->pf.ins[i].mtm));
	one(w, "traderd_drawdown_ratio", "gauge",
	    "Drop of equity from its peak (0.05 is 5%).",
	    t->risk.have_eq && t->risk.peak > 0 && eq < t->risk.peak
		    ? (double)(t->risk.peak - eq) / (double)t->risk.peak
		    : 0.0);
	one(w, "traderd_max_drawdown_ratio", "gauge",
	    "risk.max_drawdown_pct as a ratio; 0: no limit.",
	    (double)t->risk.c.max_drawdown_pct / 1e6);
	one(w, "traderd_daily_pnl", "gauge",
	    "Equity change since the UTC day's first sample.",
	    t->risk.have_eq ? cash(eq - t->risk.day_start) : 0.0);
	one(w, "traderd_halted", "gauge",
	    "1 while the kill switch is on.", t->risk.halted);
	one(w, "traderd_risk_trips_total", "counter",
	    "Kill-switch trips (risk limits and halts).",
	    (double)t->risk.ntrips);
	hist(w, "traderd_frame_to_strategy_seconds",
	     "From a feed message's arrival to its strategies being done.",
	     &t->frame_lat);
}

static void
render_feed(struct trd_metrics *m, struct wfile *w)
{
	struct trd_source *src = m->env->feed;
	const struct trd_feed *f = trd_feed_live_feed(src);
	const struct trd_feed_live_stats *ls = trd_feed_live_stats(src);
	size_t n, open = trd_feed_live_nopen(src, &n);
	int64_t now = trd_clock_realtime_ns();

	one(w, "traderd_feed_frames_total", "counter",
	    "WebSocket messages received.", (double)f->st.frames);
	one(w, "traderd_feed_bytes_total", "counter",
	    "Bytes of WebSocket messages received.", (double)f->st.bytes);
	one(w, "traderd_feed_refused_total", "counter",
	    "Messages refused as malformed.", (double)f->st.refused);
	one(w, "traderd_feed_reconnects_total", "counter",
	    "Connections replaced after a failure or silence.",
	    (double)ls->reconnects);
	head(w, "traderd_feed_gaps_total", "counter",
	     "Gaps found in the data (then filled over REST), by kind.");
	sample1(w, "traderd_feed_gaps_total", "kind", "trade",
		(double)f->st.trade_gaps);
	sample1(w, "traderd_feed_gaps_total", "kind", "bar",
		(double)f->st.bar_gaps);
	one(w, "traderd_feed_book_resyncs_total", "counter",
	    "Order books resynchronised from a snapshot.",
	    (double)f->st.book_resyncs);
	one(w, "traderd_feed_connections", "gauge",
	    "WebSocket connections the feed needs.", (double)n);
	one(w, "traderd_feed_connections_open", "gauge",
	    "WebSocket connections open now.", (double)open);
	head(w, "traderd_feed_last_message_age_seconds", "gauge",
	     "Time since the symbol's last data (NaN: none yet).");
	for (size_t i = 0; i < f->n; i++)
		sample1(w, "traderd_feed_last_message_age_seconds", "symbol",
			f->reg->v[i].symbol,
			f->s[i].last_data_ns
				? (double)(now - f->s[i].last_data_ns) / 1e9
				: NAN);
	head(w, "traderd_feed_stale", "gauge",
	     "1 while the symbol is flagged stale.");
	for (size_t i = 0; i < f->n; i++)
		sample1(w, "traderd_feed_stale", "symbol", f->reg->v[i].symbol,
			f->s[i].stale);
}

void
trd_metrics_render(struct trd_metrics *m, struct wfile *w)
{
	struct trd_admin_env *env = m->env;
	struct trd_engine *e = env->engine;

	wf_puts(w, "# HELP traderd_build_info The running build.\n"
		   "# TYPE traderd_build_info gauge\n"
		   "traderd_build_info{version=\"");
	label_val(w, trd_version);
	wf_puts(w, "\",build=\"");
	label_val(w, trd_build);
	wf_puts(w, "\",mode=\"");
	label_val(w, env->mode ? env->mode : "?");
	wf_puts(w, "\"} 1\n");
	one(w, "traderd_start_time_seconds", "gauge",
	    "When the daemon started, Unix time.",
	    (double)(env->start_wall_ns / 1000000) / 1e3);
	one(w, "traderd_config_generation", "gauge",
	    "The configuration generation in effect.",
	    (double)env->conf->generation);
	one(w, "traderd_reloads_total", "counter",
	    "Configuration reloads put in effect.", (double)env->reloads);
	one(w, "traderd_reload_failures_total", "counter",
	    "Configuration reloads refused (the old generation kept).",
	    (double)env->reload_failures);
	one(w, "traderd_engine_running", "gauge",
	    "1 while the engine runs (a replay or the live feed).",
	    e && e->state == TRD_ENGINE_RUNNING);
	if (e)
		one(w, "traderd_engine_events_total", "counter",
		    "Events the engine dispatched.", (double)e->stats.events);
	hist(w, "traderd_loop_lag_seconds",
	     "How late the loop ran a 100 ms timer.", &m->loop_lag);
	hist(w, "traderd_order_roundtrip_seconds",
	     "From an order's submission to the venue's first answer.",
	     &m->order_rtt);
	one(w, "traderd_metrics_scrapes_total", "counter",
	    "Scrapes of this page.", (double)m->scrapes);
	if (m->session)
		render_session(m, w);
	if (env->feed)
		render_feed(m, w);
}

int
trd_metrics_healthy(struct trd_metrics *m, char *why, size_t len)
{
	struct trd_admin_env *env = m->env;
	struct trd_session *t = m->session;
	struct trd_engine *e = env->engine;

	if (e == NULL || e->state != TRD_ENGINE_RUNNING) {
		snprintf(why, len, "not running");
		return 0;
	}
	if (t && t->risk.halted) {
		snprintf(why, len, "halted: %s", t->risk.ntrips
			 ? t->risk.trips[t->risk.ntrips - 1].reason : "?");
		return 0;
	}
	if (env->feed) {
		const struct trd_feed *f = trd_feed_live_feed(env->feed);
		size_t n, open = trd_feed_live_nopen(env->feed, &n);
		if (open < n) {
			snprintf(why, len, "disconnected: %zu of %zu feed "
				 "connection(s) open", open, n);
			return 0;
		}
		for (size_t i = 0; i < f->n; i++) {
			if (!f->s[i].stale && f->s[i].last_data_ns)
				continue;
			snprintf(why, len, "stale: %s %s",
				 f->reg->v[i].symbol, f->s[i].last_data_ns
				 ? "has had no data for feed.stale_s"
				 : "has had no data yet");
			return 0;
		}
	}
	snprintf(why, len, "ok");
	return 1;
}

int
trd_metrics_respond(struct trd_metrics *m, const struct trd_http_msg *msg,
		    struct wfile *w)
{
	struct wfile body;
	const char *ctype = "text/plain; charset=utf-8", *reason = "OK";
	int status = 200, is_head = strcmp(msg->method, "HEAD") == 0;
	char path[64];
	size_t plen = strcspn(msg->target, "?");

	if (wf_mem_open(&body) != 0)
		return 500;
	snprintf(path, sizeof(path), "%.*s", plen < 63 ? (int)plen : 63,
		 msg->target);
	if (strcmp(msg->method, "GET") != 0 && !is_head) {
		status = 405;
		reason = "Method Not Allowed";
		wf_puts(&body, "only GET and HEAD\n");
	} else if (strcmp(path, "/metrics") == 0 && plen == 8) {
		m->scrapes++;
		ctype = "text/plain; version=0.0.4; charset=utf-8";
		trd_metrics_render(m, &body);
	} else if (strcmp(path, "/healthz") == 0 && plen == 8) {
		char why[256];
		if (!trd_metrics_healthy(m, why, sizeof(why))) {
			status = 503;
			reason = "Service Unavailable";
		}
		wf_printf(&body, "%s\n", why);
	} else {
		status = 404;
		reason = "Not Found";
		wf_puts(&body, "not found: try /metrics or /healthz\n");
	}
	wf_printf(w, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		  "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n",
		  status, reason, ctype, body.len,
		  msg->keep_alive ? "" : "Connection: close\r\n");
	if (!is_head)
		wf_write(w, body.buf, body.len);
	wf_discard(&body);
	return status;
}

/* ---- the server ---- */

static void
handle_gone(struct trd_metrics *m)
{
	if (--m->handles == 0 && m->closing)
		free(m);
}

static void
conn_closed(uv_handle_t *h)
{
	struct mconn *c = h->data;
	struct trd_metrics *m = c->m;

	if (++c->nclosed < 2)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	m->nconns--;
	trd_httpp_free(c->pp);
	free(c);
	handle_gone(m);
}

static void
conn_close(struct mconn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
	uv_close((uv_handle_t *)&c->idle, conn_closed);
}

struct mwrite {
	uv_write_t    req;
	struct mconn *c;
	char         *buf;
	size_t        len;
};

#define MAX_QUEUED (8u << 20) /* a client that pipelines and never reads */

static void
write_done(uv_write_t *req, int status)
{
	struct mwrite *mw = (struct mwrite *)req;
	struct mconn *c = mw->c;

	c->queued -= mw->len;
	free(mw->buf);
	free(mw);
	if (!c->closing && (status < 0 || c->close_after))
		conn_close(c);
}

static void
send_wfile(struct mconn *c, struct wfile *w)
{
	struct mwrite *mw;
	uv_buf_t b;

	if (w->err || (mw = malloc(sizeof(*mw))) == NULL) {
		wf_discard(w);
		conn_close(c);
		return;
	}
	mw->c = c;
	mw->buf = w->buf;
	mw->len = w->len;
	w->buf = NULL;
	b = uv_buf_init(mw->buf, (unsigned)mw->len);
	wf_discard(w);
	c->queued += mw->len;
	if (c->queued > MAX_QUEUED ||
	    uv_write(&mw->req, (uv_stream_t *)&c->tcp, &b, 1, write_done) != 0) {
		c->queued -= mw->len;
		free(mw->buf);
		free(mw);
		conn_close(c);
	}
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void
conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[16384];

	(void)h;
	(void)hint;
	*b = uv_buf_init(buf, sizeof(buf));
}

static void
bad_request(struct mconn *c, const char *why)
{
	struct wfile w;

	if (wf_mem_open(&w) != 0) {
		conn_close(c);
		return;
	}
	wf_printf(&w, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain"
		  "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
		  strlen(why) + 1, why);
	c->close_after = 1;
	uv_read_stop((uv_stream_t *)&c->tcp);
	send_wfile(c, &w);
}

static void
conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct mconn *c = s->data;
	const char *p = b->base;
	size_t left = n > 0 ? (size_t)n : 0;

	if (n < 0) {
		conn_close(c);
		return;
	}
	uv_timer_again(&c->idle);
	/* Requests in order; answers queue behind each other (a client
	 * that pipelines without reading is closed past MAX_QUEUED). */
	while (left > 0 && !c->closing && !c->close_after) {
		size_t used = 0;
		int rc = trd_httpp_feed(c->pp, p, left, &used);
		struct wfile w;
		if (rc < 0) {
			bad_request(c, trd_httpp_error(c->pp));
			return;
		}
		p += used;
		left -= used;
		if (rc != TRD_HTTPP_DONE)
			break;
		if (wf_mem_open(&w) != 0) {
			conn_close(c);
			return;
		}
		trd_metrics_respond(c->m, trd_httpp_msg(c->pp), &w);
		if (!trd_httpp_msg(c->pp)->keep_alive)
			c->close_after = 1;
		trd_httpp_reset(c->pp);
		send_wfile(c, &w);
		if (left > 0 && !c->close_after)
			continue;
	}
}

static void
idle_fired(uv_timer_t *t)
{
	conn_close(t->data);
}

static void
on_conn(uv_stream_t *server, int status)
{
	struct trd_metrics *m = server->data;
	struct mconn *c;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->m = m;
	c->tcp.data = c->idle.data = c;
	uv_tcp_init(m->loop, &c->tcp);
	uv_timer_init(m->loop, &c->idle);
	m->handles++;
	c->next = m->conns;
	if (m->conns)
		m->conns->prev = c;
	m->conns = c;
	m->nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    m->nconns > TRD_METRICS_MAX_CONNS ||
	    (c->pp = trd_httpp_new(1, 0)) == NULL) {
		conn_close(c);
		return;
	}
	uv_unref((uv_handle_t *)&c->tcp);
	uv_unref((uv_handle_t *)&c->idle);
	uv_timer_start(&c->idle, idle_fired, IDLE_MS, IDLE_MS);
	if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read) != 0)
		conn_close(c);
}

static void
lag_cb(uv_timer_t *t)
{
	struct trd_metrics *m = t->data;
	int64_t now = trd_clock_mono_ns();

	trd_hist_observe(&m->loop_lag, now - m->lag_due);
	m->lag_due = now + LAG_PERIOD_MS * 1000000LL;
	if (m->on_tick)
		m->on_tick(m->tick_arg);
}

static void
any_closed(uv_handle_t *h)
{
	handle_gone(h->data);
}

static int
listen_on(struct trd_metrics *m, const char *spec)
{
	struct sockaddr_storage sa;
	char host[64];
	uint16_t port;
	int rc;

	if (trd_config_hostport(spec, host, &port) != 0)
		return -EINVAL;
	if (strchr(host, ':'))
		rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa);
	else
		rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&sa);
	if (rc != 0)
		return rc;
	if ((rc = uv_tcp_init(m->loop, &m->server)) != 0)
		return rc;
	m->handles++;
	m->server_open = 1;
	m->server.data = m;
	if ((rc = uv_tcp_bind(&m->server, (struct sockaddr *)&sa, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&m->server, 64, on_conn)) != 0) {
		log_error("metrics: cannot listen on %s: %s", spec,
			  uv_strerror(rc));
		return rc;
	}
	uv_unref((uv_handle_t *)&m->server);
	{
		struct sockaddr_storage b = { 0 };
		int blen = sizeof(b);
		char ip[64] = "?";
		int bport = 0;
		if (uv_tcp_getsockname(&m->server, (struct sockaddr *)&b,
				       &blen) == 0) {
			if (b.ss_family == AF_INET6) {
				uv_ip6_name((struct sockaddr_in6 *)&b, ip,
					    sizeof(ip));
				bport = ntohs(((struct sockaddr_in6 *)&b)
						      ->sin6_port);
			} else {
				uv_ip4_name((struct sockaddr_in *)&b, ip,
					    sizeof(ip));
				bport = ntohs(((struct sockaddr_in *)&b)
						      ->sin_port);
			}
		}
		snprintf(m->env->metrics_addr, sizeof(m->env->metrics_addr),
			 b.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip,
			 bport);
	}
	log_info("metrics: serving /metrics and /healthz on %s",
		 m->env->metrics_addr);
	return 0;
}

int
trd_metrics_open(struct trd_metrics **out, uv_loop_t *loop,
		 struct trd_admin_env *env)
{
	struct trd_metrics *m;
	int rc;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -ENOMEM;
	m->loop = loop;
	m->env = env;
	if ((rc = uv_timer_init(loop, &m->lag)) != 0) {
		free(m);
		return rc;
	}
	m->handles++;
	m->lag_open = 1;
	m->lag.data = m;
	m->lag_due = trd_clock_mono_ns() + LAG_PERIOD_MS * 1000000LL;
	uv_timer_start(&m->lag, lag_cb, LAG_PERIOD_MS, LAG_PERIOD_MS);
	uv_unref((uv_handle_t *)&m->lag);
	if (env->conf->metrics.listen &&
	    (rc = listen_on(m, env->conf->metrics.listen)) != 0) {
		trd_metrics_close(m);
		return rc;
	}
	*out = m;
	return 0;
}

static void
oms_cb(void *arg, const struct trd_order *o, const struct trd_oms_fill *f)
{
	struct trd_metrics *m = arg;

	if (f != NULL)
		return;
	if (o->status == TRD_ORDER_REJECTED) {
		m->rejects[o->reject_code < 64 ? o->reject_code : 0]++;
		if (o->routed)
			trd_hist_observe(&m->order_rtt,
					 o->update_ns - o->submit_ns);
	} else if (o->status == TRD_ORDER_ACCEPTED &&
		   strcmp(o->reason, "amended") != 0) {
		/* The venue's acknowledgement: the round trip. */
		trd_hist_observe(&m->order_rtt, o->update_ns - o->submit_ns);
	}
}

void
trd_metrics_attach(struct trd_metrics *m, struct trd_session *t)
{
	if (m == NULL || t == NULL || m->session == t)
		return;
	m->session = t;
	if (trd_oms_subscribe(&t->oms, oms_cb, m) != 0)
		log_warn("metrics: cannot follow the orders (too many "
			 "subscribers)");
}

void
trd_metrics_close(struct trd_metrics *m)
{
	if (m == NULL)
		return;
	m->closing = 1;
	if (m->session) {
		trd_oms_unsubscribe(&m->session->oms, oms_cb, m);
		m->session = NULL;
	}
	for (struct mconn *c = m->conns; c; c = c->next)
		conn_close(c);
	if (m->server_open)
		uv_close((uv_handle_t *)&m->server, any_closed);
	if (m->lag_open)
		uv_close((uv_handle_t *)&m->lag, any_closed);
	m->server_open = m->lag_open = 0;
	if (m->handles == 0)
		free(m);
}
