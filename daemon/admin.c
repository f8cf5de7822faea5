/*
 * admin: the sockets, their clients, the limits that keep a client from
 * hurting the loop, and the event streams (see admin.h).
 *
 * Every client is a uv_pipe_t on the loop.  Bytes read go through one
 * shared buffer into the client's partial line; each whole line is
 * parsed, run and answered before the next is looked at.  When a client's
 * unread answers pass ADMIN_HIGH_WATER, the rest of what it sent waits
 * (its reading stops) until they drain below ADMIN_LOW_WATER; past
 * admin.max_output_kb it is dropped.  A client struct is freed only in
 * its close callback, so a walk over the list (publishing an event) may
 * close clients as it goes.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin_int.h"
#include "decimal.h"
#include "host.h"
#include "log.h"
#include "session.h"
#include "timefmt.h"

#define ADMIN_HIGH_WATER (64 * 1024)
#define ADMIN_LOW_WATER  (16 * 1024)
#define ADMIN_READ_BUF   (64 * 1024)
#define ADMIN_MAX_GROUPS 64

struct admin_client {
	struct trd_admin      *a;
	uv_pipe_t              pipe;
	int                    sock;       /* index into a->sock */
	struct trd_admin_sess  ss;
	int                    max_level;  /* from the credentials */
	uint32_t               uid, pid;
	uint32_t               gids[ADMIN_MAX_GROUPS];
	int                    ngids;
	char                  *line;       /* the partial line */
	size_t                 nline;
	char                  *pend;       /* read, not yet looked at */
	size_t                 npend, opend;
	size_t                 queued;     /* written, not yet sent */
	int                    reading, eof, closing, counted;
	int64_t                last_mono;
	struct admin_client   *next, *prev;
};

struct wreq {
	uv_write_t           req;
	struct admin_client *cl;
	size_t               len;
	char                 data[];
};

static char rbuf[ADMIN_READ_BUF]; /* one loop thread: one read at a time */

static void client_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b);
static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b);

/* A handle of a closed; the last one frees a. */
static void
handle_gone(struct trd_admin *a)
{
	if (--a->handles == 0 && a->closing)
		free(a);
}

static void
client_close_cb(uv_handle_t *h)
{
	struct admin_client *cl = h->data;
	struct trd_admin *a = cl->a;

	if (cl->prev)
		cl->prev->next = cl->next;
	else
		a->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	if (cl->counted) {
		a->sock[cl->sock].nclients--;
		a->nclients--;
	}
	free(cl->line);
	free(cl->pend);
	free(cl);
	handle_gone(a);
}

static void
client_close(struct admin_client *cl)
{
	if (cl->closing)
		return;
	cl->closing = 1;
	cl->ss.subs = 0;
	uv_close((uv_handle_t *)&cl->pipe, client_close_cb);
}

/* Close once everything queued has been sent (at once if nothing is). */
static void
client_finish(struct admin_client *cl)
{
	cl->eof = 1;
	if (cl->reading) {
		uv_read_stop((uv_stream_t *)&cl->pipe);
		cl->reading = 0;
	}
	if (cl->queued == 0)
		client_close(cl);
}

static void process(struct admin_client *cl);

static void
write_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct admin_client *cl = w->cl;

	cl->queued -= w->len;
	free(w);
	if (cl->closing)
		return;
	if (status < 0) {
		client_close(cl);
		return;
	}
	if (cl->eof) {
		if (cl->queued == 0)
			client_close(cl);
		return;
	}
	if (!cl->reading && cl->queued < ADMIN_LOW_WATER) {
		process(cl);
		if (!cl->closing && !cl->eof && cl->queued < ADMIN_HIGH_WATER &&
		    !cl->reading &&
		    uv_read_start((uv_stream_t *)&cl->pipe, alloc_cb,
				  client_read_cb) == 0)
			cl->reading = 1;
	}
}

/* Queue len bytes to cl; a client too far behind is dropped. */
static void
client_send(struct admin_client *cl, const char *data, size_t len)
{
	struct trd_admin *a = cl->a;
	size_t max = (size_t)a->env->conf->admin.max_output_kb * 1024;
	struct wreq *w;
	uv_buf_t b;

	if (cl->closing || len == 0)
		return;
	if (cl->queued + len > max) {
		log_warn("admin: dropping client (uid %u, pid %u): %zu bytes "
			 "unread, more than admin.max_output_kb", cl->uid,
			 cl->pid, cl->queued);
		client_close(cl);
		return;
	}
	if ((w = malloc(sizeof(*w) + len)) == NULL) {
		client_close(cl);
		return;
	}
	w->cl = cl;
	w->len = len;
	memcpy(w->data, data, len);
	b = uv_buf_init(w->data, (unsigned)len);
	cl->queued += len;
	if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &b, 1, write_cb) != 0) {
		cl->queued -= len;
		free(w);
		client_close(cl);
	}
}

static void
send_str(struct admin_client *cl, const char *s)
{
	client_send(cl, s, strlen(s));
}

/* What a's subscribers want, after a client's settings changed. */
static void
update_subs(struct trd_admin *a)
{
	unsigned any = 0;

	for (struct admin_client *cl = a->clients; cl; cl = cl->next)
		if (!cl->closing)
			any |= cl->ss.subs;
	a->subs_any = any;
}

static void
run_line(struct admin_client *cl, const char *line, size_t len)
{
	struct trd_admin *a = cl->a;
	static struct trd_admin_line pl; /* one loop thread */
	struct wfile out;
	char err[160];

	while (len > 0 && line[len - 1] == '\r')
		len--;
	if (wf_mem_open(&out) != 0) {
		client_close(cl);
		return;
	}
	if (trd_admin_parse(line, len, &pl, err, sizeof(err)) != 0) {
		if (cl->ss.json) {
			wf_puts(&out, "{\"error\":\"BAD_ARGUMENT\",\"message\":");
			wf_json_str(&out, err);
			wf_puts(&out, "}\n\n");
		} else {
			wf_printf(&out, "ERR BAD_ARGUMENT %s\n\n", err);
		}
	}
	for (int i = 0; i < pl.ncmd && !cl->ss.quit; i++)
		trd_admin_exec(a, a->env, &cl->ss, pl.cmd[i].argc,
			       pl.cmd[i].argv, &out);
	if (out.err == 0)
		client_send(cl, out.buf, out.len);
	wf_discard(&out);
	update_subs(a);
	if (cl->ss.quit)
		client_finish(cl);
}

/*
 * Look at what cl sent (its pending bytes), line by line, until it runs
 * out or cl's unread answers pass the high-water mark; what is left stays
 * pending.
 */
static void
process(struct admin_client *cl)
{
	while (cl->opend < cl->npend && !cl->closing && !cl->eof &&
	       cl->queued < ADMIN_HIGH_WATER) {
		const char *p = cl->pend + cl->opend;
		size_t n = cl->npend - cl->opend;
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		if (cl->nline + take > TRD_ADMIN_LINE_MAX) {
			/* A hostile line is not kept whole: answer and go. */
			send_str(cl, cl->ss.json
				 ? "{\"error\":\"LINE_TOO_LONG\",\"message\":"
				   "\"a line has at most 16384 bytes\"}\n\n"
				 : "ERR LINE_TOO_LONG a line has at most 16384 "
				   "bytes\n\n");
			client_finish(cl);
			return;
		}
		if (cl->line == NULL &&
		    (cl->line = malloc(TRD_ADMIN_LINE_MAX + 1)) == NULL) {
			client_close(cl);
			return;
		}
		memcpy(cl->line + cl->nline, p, take);
		cl->nline += take;
		cl->opend += take + (nl != NULL);
		if (nl) {
			size_t len = cl->nline;
			cl->nline = 0;
			run_line(cl, cl->line, len);
		}
	}
	if (cl->opend == cl->npend)
		cl->opend = cl->npend = 0;
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	*b = uv_buf_init(rbuf, sizeof(rbuf));
}

static void
client_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct admin_client *cl = s->data;

	if (n == UV_EOF) {
		cl->reading = 0;
		uv_read_stop(s);
		/* A last line without its newline still counts. */
		if (cl->nline > 0 && !cl->closing) {
			size_t len = cl->nline;
			cl->nline = 0;
			run_line(cl, cl->line, len);
		}
		/* A subscriber that only half-closed (echo subscribe ... |
		 * socat) still reads its stream until it leaves. */
		if (!cl->closing && cl->ss.subs == 0)
			client_finish(cl);
		return;
	}
	if (n < 0) {
		client_close(cl);
		return;
	}
	if (n == 0)
		return;
	cl->last_mono = trd_clock_mono_ns();
	/* Pending bytes are what is left of earlier reads; reading stops
	 * while there are any, so there are none here. */
	if ((cl->pend = cl->pend ? cl->pend : malloc(ADMIN_READ_BUF)) == NULL) {
		client_close(cl);
		return;
	}
	memcpy(cl->pend, b->base, (size_t)n);
	cl->npend = (size_t)n;
	cl->opend = 0;
	process(cl);
	if (!cl->closing && cl->reading &&
	    (cl->npend > 0 || cl->queued >= ADMIN_HIGH_WATER)) {
		uv_read_stop(s);
		cl->reading = 0;
	}
}

/* The level cl's credentials give under the current generation. */
static int
level_of(const struct trd_admin *a, const struct admin_client *cl)
{
	const struct trd_config *c = a->env->conf;
	int lv = 0;

	if (a->sock[cl->sock].ro)
		return TRD_LEVEL_USER;
	if (cl->uid == 0 || cl->uid == (uint32_t)geteuid())
		return TRD_LEVEL_ADMIN;
	for (size_t i = 0; i < c->admin.naccess; i++) {
		const struct trd_admin_access *e = &c->admin.access[i];
		int match = e->user && e->uid == cl->uid;
		for (int g = 0; !match && e->group && g < cl->ngids; g++)
			match = e->gid == cl->gids[g];
		if (match && e->level > lv)
			lv = e->level;
	}
	return lv ? lv : c->admin.default_level;
}

static void
peer_creds(struct admin_client *cl)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t g[ADMIN_MAX_GROUPS];
	uv_os_fd_t fd;

	cl->uid = UINT32_MAX;
	if (uv_fileno((uv_handle_t *)&cl->pipe, &fd) != 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
		cl->uid = uc.uid;
		cl->pid = (uint32_t)uc.pid;
		cl->gids[cl->ngids++] = uc.gid;
	}
	len = sizeof(g);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0)
		for (size_t i = 0; i < len / sizeof(gid_t) &&
				   cl->ngids < ADMIN_MAX_GROUPS; i++)
			cl->gids[cl->ngids++] = g[i];
}

static void
connection_cb(uv_stream_t *server, int status)
{
	struct trd_admin *a = server->data;
	int k = (uv_pipe_t *)server == &a->sock[0].pipe ? 0 : 1;
	struct admin_client *cl;
	uint32_t max = a->env->conf->admin.max_clients;

	if (status < 0) {
		log_warn("admin: accept on %s: %s", a->sock[k].path,
			 uv_strerror(status));
		return;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return;
	cl->a = a;
	cl->sock = k;
	cl->pipe.data = cl;
	if (uv_pipe_init(a->loop, &cl->pipe, 0) != 0) {
		free(cl);
		return;
	}
	a->handles++;
	cl->next = a->clients;
	if (a->clients)
		a->clients->prev = cl;
	a->clients = cl;
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) != 0) {
		client_close(cl);
		return;
	}
	if (a->sock[k].nclients >= max) {
		/* Told why, then closed; a flood of them is not answered. */
		if (a->nclients < 4 * (size_t)max + 64)
			send_str(cl, "ERR BUSY too many clients "
				     "(admin.max_clients)\n\n");
		client_finish(cl);
		return;
	}
	cl->counted = 1;
	a->sock[k].nclients++;
	a->nclients++;
	peer_creds(cl);
	cl->max_level = cl->ss.level = level_of(a, cl);
	cl->last_mono = trd_clock_mono_ns();
	if (uv_read_start((uv_stream_t *)&cl->pipe, alloc_cb,
			  client_read_cb) != 0) {
		client_close(cl);
		return;
	}
	cl->reading = 1;
	/* A client never keeps the daemon running: a replay ends at the end
	 * of its data whoever is connected. */
	uv_unref((uv_handle_t *)&cl->pipe);
}

static void
idle_cb(uv_timer_t *t)
{
	struct trd_admin *a = t->data;
	uint32_t idle = a->env->conf->admin.idle_timeout_s;
	int64_t now = trd_clock_mono_ns();

	if (idle == 0)
		return;
	for (struct admin_client *cl = a->clients; cl; cl = cl->next) {
		if (cl->closing || cl->ss.subs || cl->queued > 0 ||
		    now - cl->last_mono < (int64_t)idle * 1000000000)
			continue;
		send_str(cl, "ERR TIMEOUT idle for admin.idle_timeout_s\n\n");
		client_finish(cl);
	}
}

/* Whether something answers on path (a running traderd). */
static int
socket_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static int
open_socket(struct trd_admin *a, int k, const char *path, int ro)
{
	const struct trd_config *c = a->env->conf;
	struct stat st;
	int rc;

	if (strlen(path) >= sizeof(a->sock[k].path)) {
		log_error("admin: socket path %s is longer than 107 bytes",
			  path);
		return -ENAMETOOLONG;
	}
	snprintf(a->sock[k].path, sizeof(a->sock[k].path), "%s", path);
	a->sock[k].ro = ro;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("admin: %s exists and is not a socket; not "
				  "replacing it", path);
			return -EEXIST;
		}
		if (socket_alive(path)) {
			log_error("admin: %s: another process answers on it "
				  "(is traderd already running?)", path);
			return -EADDRINUSE;
		}
		unlink(path); /* left by a crash */
	}
	if ((rc = uv_pipe_init(a->loop, &a->sock[k].pipe, 0)) != 0)
		return rc;
	a->handles++;
	a->sock[k].open = 1;
	a->sock[k].pipe.data = a;
	if ((rc = uv_pipe_bind(&a->sock[k].pipe, path)) != 0) {
		log_error("admin: cannot bind %s: %s", path, uv_strerror(rc));
		return rc;
	}
	if (chmod(path, ro ? 0666 : 0660) != 0) {
		rc = -errno;
		log_error("admin: chmod %s: %s", path, strerror(errno));
		return rc;
	}
	if (!ro && c->admin.socket_group &&
	    chown(path, (uid_t)-1, (gid_t)c->admin.socket_gid) != 0) {
		rc = -errno;
		log_error("admin: chown %s to group %s: %s", path,
			  c->admin.socket_group, strerror(errno));
		return rc;
	}
	if ((rc = uv_listen((uv_stream_t *)&a->sock[k].pipe, 128,
			    connection_cb)) != 0) {
		log_error("admin: listen on %s: %s", path, uv_strerror(rc));
		return rc;
	}
	/* The sockets never keep the loop alive: the run does. */
	uv_unref((uv_handle_t *)&a->sock[k].pipe);
	log_info("admin: listening on %s%s", path, ro ? " (read-only)" : "");
	return 0;
}

/* ---- events ---- */

/* Send an event to the clients subscribed to topic, each in its form. */
static void
publish(struct trd_admin *a, unsigned topic, const char *text,
	const char *json)
{
	for (struct admin_client *cl = a->clients; cl; cl = cl->next)
		if (!cl->closing && (cl->ss.subs & topic))
			send_str(cl, cl->ss.json ? json : text);
}

static void
order_event(struct trd_admin *a, const struct trd_order *o)
{
	const struct trd_session *t = a->session;
	const struct trd_instr *in = &t->reg.v[o->ins];
	struct wfile tx, js;
	char ts[TRD_TIME_BUFSZ], q[48], f[48], p[48];

	trd_time_format(o->update_ns, ts);
	trd_dec_format(o->qty, in->qty_dp, q);
	trd_dec_format(o->filled, in->qty_dp, f);
	trd_dec_format(o->price, in->price_dp, p);
	if (wf_mem_open(&tx) != 0)
		return;
	if (wf_mem_open(&js) != 0) {
		wf_discard(&tx);
		return;
	}
	wf_printf(&tx, "EVENT order %s id=%" PRIu64 " client_id=%s "
		  "strategy=%s symbol=%s side=%s type=%s qty=%s filled=%s "
		  "price=%s status=%s", ts, o->id, o->client_id,
		  t->strats[o->strat].name, in->symbol,
		  trd__admin_side(o->side), trd__admin_type(o->type), q, f, p,
		  trd__admin_status(o->status));
	if (o->reason[0]) {
		wf_puts(&tx, " reason=");
		for (const char *r = o->reason; *r; r++)
			wf_write(&tx, (unsigned char)*r < 0x20 ? "?" : r, 1);
	}
	wf_puts(&tx, "\n");
	wf_printf(&js, "{\"event\":\"order\",\"time\":\"%s\",\"id\":%" PRIu64
		  ",\"client_id\":", ts, o->id);
	wf_json_str(&js, o->client_id);
	wf_puts(&js, ",\"strategy\":");
	wf_json_str(&js, t->strats[o->strat].name);
	wf_printf(&js, ",\"symbol\":\"%s\",\"side\":\"%s\",\"type\":\"%s\","
		  "\"qty\":\"%s\",\"filled\":\"%s\",\"price\":\"%s\","
		  "\"status\":\"%s\",\"reason\":", in->symbol,
		  trd__admin_side(o->side), trd__admin_type(o->type), q, f, p,
		  trd__admin_status(o->status));
	wf_json_str(&js, o->reason);
	wf_puts(&js, "}\n");
	if (tx.err == 0 && js.err == 0) {
		wf_write(&tx, "", 1);
		wf_write(&js, "", 1);
		publish(a, TRD_ADMIN_SUB_ORDERS, tx.buf, js.buf);
	}
	wf_discard(&tx);
	wf_discard(&js);
}

static void
fill_event(struct trd_admin *a, const struct trd_admin_fill *fl)
{
	const struct trd_session *t = a->session;
	const struct trd_instr *in = &t->reg.v[fl->ins];
	char ts[TRD_TIME_BUFSZ], q[48], p[48], fee[48];
	char tx[512], js[640];

	trd_time_format(fl->ts_ns, ts);
	trd_dec_format(fl->qty, in->qty_dp, q);
	trd_dec_format(fl->price, in->price_dp, p);
	trd_dec_format(fl->fee, TRD_CASH_DP, fee);
	/* Names are [A-Za-z0-9._-]: nothing to escape. */
	snprintf(tx, sizeof(tx), "EVENT fill %s order=%" PRIu64 " strategy=%s "
		 "symbol=%s side=%s qty=%s price=%s fee=%s\n", ts, fl->order_id,
		 t->strats[fl->strat].name, in->symbol,
		 trd__admin_side(fl->side), q, p, fee);
	snprintf(js, sizeof(js), "{\"event\":\"fill\",\"time\":\"%s\","
		 "\"order\":%" PRIu64 ",\"strategy\":\"%s\",\"symbol\":\"%s\","
		 "\"side\":\"%s\",\"qty\":\"%s\",\"price\":\"%s\","
		 "\"fee\":\"%s\"}\n", ts, fl->order_id,
		 t->strats[fl->strat].name, in->symbol,
		 trd__admin_side(fl->side), q, p, fee);
	publish(a, TRD_ADMIN_SUB_FILLS, tx, js);
}

static void
oms_cb(void *arg, const struct trd_order *o, const struct trd_oms_fill *f)
{
	struct trd_admin *a = arg;

	if (f != NULL) {
		struct trd_admin_fill *fl = &a->fills[a->nfills++ %
						      TRD_ADMIN_FILLS];
		*fl = (struct trd_admin_fill){
			.ts_ns = f->ts_ns, .order_id = o->id,
			.exec_id = f->exec_id, .strat = o->strat,
			.ins = o->ins, .side = o->side, .qty = f->qty,
			.price = f->price, .fee = f->fee,
		};
		if (a->subs_any & TRD_ADMIN_SUB_FILLS)
			fill_event(a, fl);
		return;
	}
	if (a->subs_any & TRD_ADMIN_SUB_ORDERS)
		order_event(a, o);
}

static void
risk_cb(void *arg, const char *what, const char *text)
{
	struct trd_admin *a = arg;
	char tx[512], js[768];
	struct wfile w;

	if (!(a->subs_any & TRD_ADMIN_SUB_RISK))
		return;
	snprintf(tx, sizeof(tx), "EVENT risk %s %s\n", what, text);
	for (char *p = tx; p[1]; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	if (wf_mem_open(&w) != 0)
		return;
	wf_printf(&w, "{\"event\":\"risk\",\"what\":\"%s\",\"reason\":", what);
	wf_json_str(&w, text);
	wf_puts(&w, "}\n");
	wf_write(&w, "", 1);
	if (w.err == 0 && w.len < sizeof(js)) {
		memcpy(js, w.buf, w.len);
		publish(a, TRD_ADMIN_SUB_RISK, tx, js);
	}
	wf_discard(&w);
}

static void
log_cb(void *arg, enum trd_log_level level, const char *where,
       const char *msg)
{
	struct trd_admin *a = arg;
	static const char *const names[] = { "off", "?", "?", "error", "warn",
					     "?", "info", "debug" };
	struct wfile tx, js;

	if (!(a->subs_any & TRD_ADMIN_SUB_LOG) || a->closing)
		return;
	if (wf_mem_open(&tx) != 0)
		return;
	if (wf_mem_open(&js) != 0) {
		wf_discard(&tx);
		return;
	}
	wf_printf(&tx, "EVENT log %s %s: ", names[level & 7], where);
	for (const char *p = msg; *p; p++)
		wf_write(&tx, (unsigned char)*p < 0x20 ? "?" : p, 1);
	wf_puts(&tx, "\n");
	wf_write(&tx, "", 1);
	wf_printf(&js, "{\"event\":\"log\",\"level\":\"%s\",\"where\":",
		  names[level & 7]);
	wf_json_str(&js, where);
	wf_puts(&js, ",\"message\":");
	wf_json_str(&js, msg);
	wf_puts(&js, "}\n");
	wf_write(&js, "", 1);
	if (tx.err == 0 && js.err == 0)
		publish(a, TRD_ADMIN_SUB_LOG, tx.buf, js.buf);
	wf_discard(&tx);
	wf_discard(&js);
}

/* ---- lifecycle ---- */

int
trd_admin_open(struct trd_admin **out, uv_loop_t *loop,
	       struct trd_admin_env *env)
{
	const struct trd_config *c = env->conf;
	struct trd_admin *a;
	int rc;

	*out = NULL;
	if (c->admin.socket == NULL && c->admin.socket_ro == NULL)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -ENOMEM;
	a->loop = loop;
	a->env = env;
	if ((c->admin.socket &&
	     (rc = open_socket(a, 0, c->admin.socket, 0)) != 0) ||
	    (c->admin.socket_ro &&
	     (rc = open_socket(a, 1, c->admin.socket_ro, 1)) != 0)) {
		trd_admin_close(a);
		return rc;
	}
	if ((rc = uv_timer_init(loop, &a->idle)) != 0) {
		trd_admin_close(a);
		return rc;
	}
	a->handles++;
	a->idle_open = 1;
	a->idle.data = a;
	uv_timer_start(&a->idle, idle_cb, 1000, 1000);
	uv_unref((uv_handle_t *)&a->idle);
	trd_log_tap_add(log_cb, a);
	*out = a;
	return 0;
}

void
trd_admin_attach(struct trd_admin *a, struct trd_session *t)
{
	if (a == NULL || a->session == t)
		return;
	a->session = t;
	if (t == NULL)
		return;
	if (trd_oms_subscribe(&t->oms, oms_cb, a) != 0)
		log_warn("admin: cannot follow the orders (too many "
			 "subscribers): no order or fill events");
	t->notify = risk_cb;
	t->notify_arg = a;
}

void
trd_admin_reconfigure(struct trd_admin *a)
{
	if (a == NULL)
		return;
	for (struct admin_client *cl = a->clients; cl; cl = cl->next) {
		int lowered = cl->ss.level < cl->max_level;
		int lv = level_of(a, cl);
		cl->max_level = lv;
		cl->ss.level = lowered && cl->ss.level < lv ? cl->ss.level : lv;
	}
}

size_t
trd_admin_nclients(const struct trd_admin *a)
{
	return a ? a->nclients : 0;
}

static void
any_close_cb(uv_handle_t *h)
{
	handle_gone(h->data);
}

void
trd_admin_close(struct trd_admin *a)
{
	if (a == NULL)
		return;
	a->closing = 1;
	trd_log_tap_remove(log_cb, a);
	if (a->session) {
		a->session->notify = NULL;
		trd_oms_unsubscribe(&a->session->oms, oms_cb, a);
		a->session = NULL;
	}
	for (struct admin_client *cl = a->clients; cl; cl = cl->next)
		client_close(cl);
	for (int k = 0; k < 2; k++) {
		if (!a->sock[k].open)
			continue;
		uv_close((uv_handle_t *)&a->sock[k].pipe, any_close_cb);
		unlink(a->sock[k].path);
		a->sock[k].open = 0;
	}
	if (a->idle_open)
		uv_close((uv_handle_t *)&a->idle, any_close_cb);
	if (a->handles == 0)
		free(a);
}
