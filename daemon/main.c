/*
 * traderd: the daemon.  One process, one libuv loop.
 *
 *   traderd -c FILE [--replay] [--source store|tape] [--speed N|max]
 *           [--from T] [--to T]
 *   traderd -n -c FILE          check the configuration and exit
 *
 * In replay mode it replays the configured instruments from the store under
 * a virtual clock and exits 0 when the data ends; with --source tape it
 * replays a recorded paper session's inputs through the same feed code.
 * In paper mode (mode: paper) it runs the strategies on the live feed
 * against the simulated venue until SIGINT/SIGTERM, records the feed on
 * the tape, adds the bars it built to the store, and writes the report.  SIGINT/SIGTERM stop it
 * cleanly; SIGHUP reloads the configuration (keys declared reloadable take
 * effect, such as replay.speed and log_level; an invalid file is reported
 * and the running configuration kept).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "admin.h"
#include "config.h"
#include "decimal.h"
#include "engine.h"
#include "errors.h"
#include "feed_live.h"
#include "feed_tape.h"
#include "log.h"
#include "host.h"
#include "metrics.h"
#include "notify.h"
#include "progress.h"
#include "replay.h"
#include "report.h"
#include "session.h"
#include "store.h"
#include "ticks.h"
#include "timefmt.h"

#include "version.h"

struct daemon {
	uv_loop_t          loop;
	struct trd_config *conf;
	const char        *params[64]; /* --param S.K=V, applied on each load */
	size_t             nparams;
	uint32_t           warmup;     /* --warmup N bars before --from */
	/* The generation the session, feed and venue were built from: they
	 * keep pointers into it (its start-only keys equal every later
	 * one's), so it lives to the end; later ones are freed as they are
	 * replaced. */
	struct trd_config *conf0;
	uint64_t           generation;
	struct trd_store  *store;
	struct trd_engine  engine;
	int                engine_init;
	struct trd_session session;
	int                session_init;
	/* The bare replay (no strategy) maps instruments itself. */
	struct trd_registry reg;
	int                reg_init;
	const char        *report_dir;  /* --report, else the config's */
	struct trd_admin  *admin;
	struct trd_admin_env env;
	struct trd_metrics *metrics;
	struct trd_notify  notify;
	int64_t            start_mono;
	int64_t            progress0;   /* virtual time the replay began */
	uv_signal_t        sig_int, sig_term, sig_hup;
	int                signals_init;
	int                done, done_status;
	int                exit_code;
	/* Command-line overrides of the config. */
	int                replay;
	int                tape;        /* --source tape */
	int                paper;
	int                have_speed, have_from, have_to;
	double             speed;
	int64_t            from_ns, to_ns;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: traderd -c FILE [--replay] [--speed N|max] [--from T] "
		"[--to T] [--report DIR]\n"
		"       traderd -n -c FILE\n"
		"\n"
		"  -c, --config FILE   configuration (YAML)\n"
		"  -n, --check         check the configuration and exit\n"
		"      --replay        replay stored history (mode: replay)\n"
		"      --source S      what a replay reads: store (bars, the "
		"default) or tape\n"
		"                      (a recorded paper session)\n"
		"      --speed N|max   replay pace: N times real time, or max\n"
		"      --from T        replay bars opening at or after T\n"
		"      --to T          ... and before T (ISO 8601 UTC or Unix "
		"seconds)\n"
		"      --report DIR    write the backtest report there (default: "
		"report_dir)\n"
		"      --param S.K=V   set param K of strategy S (repeatable; "
		"kept on reload)\n"
		"      --warmup N      replay N bars before --from into the "
		"features only\n"
		"                      (no strategy, order or report sees them)\n"
		"  -v, --version       print the version\n");
}

/* "max" -> 0, else a number in (0, 1e6]. */
static int
parse_speed(const char *s, double *out)
{
	char *end;
	double v;

	if (strcmp(s, "max") == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

/* "max" or "500x"; buf >= 32 bytes. */
static const char *
speed_name(double speed, char *buf)
{
	if (speed == 0)
		return strcpy(buf, "max");
	snprintf(buf, 32, "%gx", speed);
	return buf;
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
close_signals(struct daemon *d)
{
	if (d->signals_init) {
		uv_close((uv_handle_t *)&d->sig_int, NULL);
		uv_close((uv_handle_t *)&d->sig_term, NULL);
		uv_close((uv_handle_t *)&d->sig_hup, NULL);
		d->signals_init = 0;
	}
}

static void
shutdown_daemon(struct daemon *d)
{
	close_signals(d);
	trd_admin_close(d->admin);
	d->admin = NULL;
	trd_metrics_close(d->metrics);
	d->metrics = NULL;
	d->env.session = NULL;
	d->env.engine = NULL;
	d->env.feed = NULL;
	if (d->session_init) {
		trd_session_free(&d->session);
		d->session_init = 0;
	}
	if (d->engine_init) {
		trd_engine_close(&d->engine);
		d->engine_init = 0;
	}
	if (d->reg_init) {
		trd_registry_free(&d->reg);
		d->reg_init = 0;
	}
}

static long
peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

/*
 * The replay has ended.  Nothing is written or freed here, inside the
 * engine's own callback: the loop runs dry (signals do not hold it), and
 * main finishes the run after uv_run returns (a safe time).
 */
static void
replay_done_cb(struct trd_engine *e, int status)
{
	struct daemon *d = e->data;

	d->done = 1;
	d->done_status = status;
}

/* The end of a run: the summary, the session's report. */

/* A decimal string cut to two places (the table's money). */
static char *
two_dp(char *s)
{
	char *dot = strchr(s, '.');

	if (dot && strlen(dot) > 3)
		dot[3] = '\0';
	return s;
}

/* One line per strategy: orders, closed trades, their win rate, realized
 * PnL, fees, open positions marked at the last price, and net. */
static void
print_strategies(const struct trd_session *t)
{
	char r[32], f[32], u[32], n[32];

	if (t->nstrat == 0)
		return;
	printf("%-16s %7s %7s %8s %14s %12s %12s %14s\n", "strategy", "orders",
	       "trades", "win rate", "realized", "fees", "open", "net");
	for (size_t k = 0; k < t->nstrat; k++) {
		const struct trd_strategy *s = &t->strats[k];
		int64_t real = 0, fees = 0, open = 0;
		uint64_t nt = s->nwins + s->nlosses;

		for (size_t i = 0; i < t->ninstr; i++) {
			const struct trd_position *p =
				trd_portfolio_pos(&t->pf, k, i);
			real += p->realized;
			fees += p->fees;
			if (p->qty != 0)
				open += trd_portfolio_notional(&t->pf, i,
							       t->pf.ins[i].last,
							       p->qty,
							       TRD_ROUND_NEAREST) -
					p->cost;
		}
		trd_dec_format(real, TRD_CASH_DP, r);
		trd_dec_format(fees, TRD_CASH_DP, f);
		trd_dec_format(open, TRD_CASH_DP, u);
		trd_dec_format(real + open - fees, TRD_CASH_DP, n);
		printf("%-16.16s %7u %7llu %7.1f%% %14.14s %12.12s %12.12s "
		       "%14.14s\n", s->name, s->norders, (unsigned long long)nt,
		       nt ? 100.0 * (double)s->nwins / (double)nt : 0.0,
		       two_dp(r), two_dp(f), two_dp(u), two_dp(n));
	}
}

static void
finish_run(struct daemon *d)
{
	struct trd_engine *e = &d->engine;
	const struct trd_engine_stats *st = &e->stats;
	double wall = (double)(st->wall_end_ns - st->wall_start_ns) / 1e9;
	char a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ];

	trd_progress_end();
	if (d->done_status == TRD_ESTOPPED && d->paper) {
		log_info("paper session stopped at %s after %llu events",
			 trd_time_format(trd_clock_now(&e->clock), a),
			 (unsigned long long)st->events);
	} else if (d->done_status == TRD_ESTOPPED) {
		log_warn("replay stopped at %s after %llu events",
			 trd_time_format(trd_clock_now(&e->clock), a),
			 (unsigned long long)st->events);
	} else if (d->done_status != 0) {
		log_error("%s failed: %s", d->paper ? "paper session" : "replay",
			  trd_strerror(d->done_status));
		d->exit_code = 1;
	}
	if (st->events == 0)
		printf("%s: no %s in the selected range\n",
		       d->paper ? "paper" : "replay",
		       d->paper || d->tape ? "events" : "bars");
	else
		printf("%s: %llu %s, %s .. %s, %.3f s wall, %.0f %s/s, "
		       "peak RSS %.1f MiB\n", d->paper ? "paper" : "replay",
		       (unsigned long long)st->events,
		       d->paper || d->tape ? "events" : "bars",
		       trd_time_format(st->first_ns, a),
		       trd_time_format(st->last_ns, b), wall,
		       wall > 0 ? (double)st->events / wall : 0.0,
		       d->paper || d->tape ? "events" : "bars",
		       (double)peak_rss_kib() / 1024.0);
	if (d->session_init) {
		struct trd_session *t = &d->session;
		const struct trd_oms_stats *os = &t->oms.stats;
		uint64_t partial = os->partial;
		int64_t eq, ret;
		char a1[32], a2[32], a3[32];

		if (t->report && d->engine.src && !d->tape) {
			const struct trd_series_summary *m;
			int64_t tf = (int64_t)t->tf_s * TRD_NS_PER_SEC;
			for (size_t i = 0; (m = trd_replay_summary(
						    d->engine.src, i)); i++)
				trd_report_series(t->report, m->sym, m->nbars,
						  m->nbars ? m->first_ns + tf : 0,
						  m->nbars ? m->last_ns + tf : 0,
						  m->first_open, m->last_close,
						  (const int64_t *)m->b, m->nb,
						  m->w);
			trd_report_data_hash(t->report,
					     trd_replay_data_hash(d->engine.src));
		}
		if (trd_session_finish(t) != 0)
			d->exit_code = 1;
		for (const struct trd_order *o = t->oms.open_head; o;
		     o = o->next_open)
			partial += o->filled > 0;
		eq = trd_portfolio_equity(&t->pf);
		ret = eq - t->pf.initial_cash;
		trd_dec_format_short(eq, TRD_CASH_DP, a1);
		trd_dec_format_short(ret, TRD_CASH_DP, a2);
		trd_dec_format_short(t->pf.fees, TRD_CASH_DP, a3);
		printf("result: final equity %s (%s%s, %+.4f%%), %llu orders "
		       "(%llu filled, %llu partially filled, %llu rejected), "
		       "fees %s\n", a1, ret >= 0 ? "+" : "", a2,
		       100.0 * (double)ret / (double)t->pf.initial_cash,
		       (unsigned long long)os->created,
		       (unsigned long long)os->filled,
		       (unsigned long long)partial,
		       (unsigned long long)os->rejected, a3);
		print_strategies(t);
		if (d->exit_code == 0)
			printf("report: %s/report.html\n", t->report_dir);
	}
	fflush(stdout);
}

/* While a reload loads the file: its first errors, for show info. */
static void
reload_tap(void *arg, enum trd_log_level level, const char *where,
	   const char *msg)
{
	struct trd_admin_env *env = arg;
	size_t n = strlen(env->reload_error);

	(void)where;
	if (level != TRD_LOG_ERROR || n + 4 >= sizeof(env->reload_error))
		return;
	snprintf(env->reload_error + n, sizeof(env->reload_error) - n, "%s%s",
		 n ? "; " : "", msg);
}

/* The --param overrides, on every configuration loaded (so a reload keeps
 * them).  0, or -1 with the reason logged. */
static int
apply_params(struct daemon *d, struct trd_config *c)
{
	char err[320];

	for (size_t i = 0; i < d->nparams; i++)
		if (trd_config_set_param(c, d->params[i], err, sizeof(err)) !=
		    0) {
			log_error("%s", err);
			return -1;
		}
	return 0;
}

/*
 * Load the config file again and put it in effect, or keep the running
 * generation: SIGHUP and the admin socket's reload.  0, or -1 with the
 * reason logged and in d->env.reload_error.
 */
static int
reload(struct daemon *d)
{
	struct trd_admin_env *env = &d->env;
	struct trd_config *next;
	char key[128];
	int nerr = 0, rc;

	log_info("reloading %s", d->conf->path);
	trd_notify_reloading(&d->notify);
	env->reload_wall_ns = trd_clock_realtime_ns();
	env->reload_error[0] = '\0';
	trd_log_tap_add(reload_tap, env);
	rc = trd_config_load(d->conf->path, &next, &nerr);
	/* Paper sessions and their tapes run on the feed's bars, as the
	 * start generation was set up (start_paper, start_tape). */
	if (rc == 0 && (d->paper || d->tape))
		next->replay.timeframe_s = next->feed.bar_tf_s;
	if (rc == 0 && apply_params(d, next) != 0) {
		trd_config_free(next);
		rc = TRD_ECONFIG;
		nerr = 1;
	}
	trd_log_tap_remove(reload_tap, env);
	if (rc != 0) {
		if (env->reload_error[0] == '\0')
			snprintf(env->reload_error, sizeof(env->reload_error),
				 "%s: %s", d->conf->path, trd_strerror(rc));
		log_error("reload of %s failed (%d error(s)); keeping "
			  "configuration generation %llu", d->conf->path, nerr,
			  (unsigned long long)d->generation);
		env->reload_failures++;
		trd_notify_reloaded(&d->notify, "reload failed; the running "
				    "configuration is kept");
		return -1;
	}
	if (!trd_config_reloadable(d->conf, next, key, sizeof(key))) {
		snprintf(env->reload_error, sizeof(env->reload_error),
			 "'%s' cannot change while running (restart traderd)",
			 key);
		log_error("reload of %s refused: '%s' cannot change while "
			  "running (restart traderd); keeping generation %llu",
			  d->conf->path, key,
			  (unsigned long long)d->generation);
		trd_config_free(next);
		env->reload_failures++;
		trd_notify_reloaded(&d->notify, "reload refused; the running "
				    "configuration is kept");
		return -1;
	}
	if (d->session_init &&
	    trd_session_reload(&d->session, next, env->reload_error,
			       sizeof(env->reload_error)) > 0)
		log_warn("reload: in effect, but %s", env->reload_error);
	if (next->replay.speed != d->conf->replay.speed && d->engine_init) {
		char sp[32];
		trd_engine_set_speed(&d->engine, next->replay.speed);
		log_info("replay speed now %s", speed_name(next->replay.speed, sp));
	}
	trd_log_set_level(next->log_level);
	next->generation = ++d->generation;
	if (d->conf != d->conf0)
		trd_config_free(d->conf);
	d->conf = next;
	env->conf = next;
	env->reloads++;
	trd_admin_reconfigure(d->admin);
	log_info("configuration generation %llu in effect",
		 (unsigned long long)d->generation);
	trd_notify_reloaded(&d->notify, "reloaded");
	return 0;
}

static int
reload_cb(void *arg)
{
	return reload(arg);
}

static void
signal_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP) {
		log_info("SIGHUP");
		reload(d);
		return;
	}
	log_info("%s: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
	trd_notify_stopping(&d->notify, "stopping: writing the report");
	if (d->engine_init && d->engine.state == TRD_ENGINE_RUNNING)
		trd_engine_stop(&d->engine);
	else
		log_info("already stopping");
}

static int
start_signals(struct daemon *d)
{
	uv_signal_t *hs[] = { &d->sig_int, &d->sig_term, &d->sig_hup };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	for (int i = 0; i < 3; i++) {
		int rc;
		if ((rc = uv_signal_init(&d->loop, hs[i])) != 0)
			return rc;
		hs[i]->data = d;
		if ((rc = uv_signal_start(hs[i], signal_cb, sigs[i])) != 0)
			return rc;
		/* Watching signals never keeps the loop running; they stay
		 * caught to the end, so a second SIGTERM (timeout(1) and
		 * process managers signal the whole group) cannot kill the
		 * daemon while it writes its report. */
		uv_unref((uv_handle_t *)hs[i]);
	}
	d->signals_init = 1;
	return 0;
}

/* The store of the config's data_dir, with its map sizes. */
static int
open_store(struct daemon *d, int flags)
{
	const struct trd_config *c = d->conf;
	struct trd_store_opts so = {
		.map_size = (size_t)c->store.map_size_mb << 20,
		.map_max = (size_t)c->store.map_max_mb << 20,
	};

	return trd_store_open(&d->store, c->data_dir, flags, &so);
}

/* The session (with strategies) or a bare registry; prefix names its
 * client ids. */
static int
start_session(struct daemon *d, const char *prefix,
	      const struct trd_registry **reg)
{
	struct trd_config *c = d->conf;

	if (c->nstrategies > 0) {
		if (trd_session_init(&d->session, &d->engine, c, d->store,
				     d->report_dir, prefix, 0) != 0)
			return -1;
		d->session_init = 1;
		*reg = &d->session.reg;
		return 0;
	}
	if (trd_registry_init(&d->reg, c) != 0) {
		log_error("out of memory");
		return -1;
	}
	d->reg_init = 1;
	if (trd_registry_map_store(&d->reg, d->store) != 0)
		return -1;
	*reg = &d->reg;
	return 0;
}

/* Without replay.from: the earliest stored bar (or tick, when the replay
 * merges them) of the configured instruments, where the replay will
 * start; 0 if there is none (the replay then says so). */
static int64_t
data_start(struct daemon *d)
{
	const struct trd_config *c = d->conf;
	int64_t t = INT64_MAX;

	for (size_t i = 0; i < c->ninstruments; i++) {
		struct trd_instrument in;
		struct trd_bar_cursor bc;
		struct trd_bar b;
		if (trd_store_instrument_get(d->store, c->instruments[i].symbol,
					     &in) != 0)
			continue;
		if (trd_bar_cursor_open(&bc, d->store, in.id,
					c->replay.timeframe_s, TRD_TIME_MIN,
					TRD_TIME_MAX) == 0 &&
		    trd_bar_cursor_read(&bc, &b, 1) == 1 && b.ts_ns < t)
			t = b.ts_ns;
		trd_bar_cursor_close(&bc);
		for (int k = TRD_TICK_TRADES; k <= TRD_TICK_QUOTES; k++) {
			struct trd_tick_cursor tc;
			struct trd_tick tk;
			if (!(c->replay.ticks & k))
				continue;
			if (trd_tick_cursor_open(&tc, d->store, in.id, k,
						 TRD_TIME_MIN, TRD_TIME_MAX) == 0 &&
			    trd_tick_cursor_read(&tc, &tk, 1) == 1 &&
			    tk.ts_ns < t)
				t = tk.ts_ns;
			trd_tick_cursor_close(&tc);
		}
	}
	return t == INT64_MAX ? 0 : t;
}

/*
 * The engine first (its clock starts at the span's start, so strategies'
 * init sees the right time), then the session (with strategies) or a
 * registry of the instruments (a bare replay), then the replay source.
 */
static int
start_replay(struct daemon *d)
{
	struct trd_config *c = d->conf;
	int64_t from = d->have_from ? d->from_ns : c->replay.from_ns;
	int64_t to = d->have_to ? d->to_ns : c->replay.to_ns;
	int64_t trading_from = INT64_MIN;
	double speed = d->have_speed ? d->speed : c->replay.speed;
	const struct trd_registry *reg;
	struct trd_source *src;
	char a[TRD_TIME_BUFSZ], sp[32];

	if (from != TRD_TIME_MIN && to != TRD_TIME_MAX && from >= to) {
		log_error("replay range is empty: from is not before to");
		return -1;
	}
	if (d->warmup && from == TRD_TIME_MIN) {
		log_error("--warmup needs a start: --from or replay.from");
		return -1;
	}
	if (d->warmup) {
		trading_from = from;
		from -= (int64_t)d->warmup * c->replay.timeframe_s *
			TRD_NS_PER_SEC;
	}
	if (open_store(d, TRD_STORE_RDONLY) != 0)
		return -1;
	if (trd_engine_init(&d->engine, &d->loop, TRD_CLOCK_VIRTUAL,
			    from == TRD_TIME_MIN ? data_start(d) : from) != 0) {
		log_error("out of memory");
		return -1;
	}
	d->engine_init = 1;
	d->engine.data = d;
	if (start_session(d, "bt", &reg) != 0)
		return -1;
	if (d->session_init)
		d->session.warm_until_ns = trading_from;
	if (trd_replay_open(&src, d->store, reg, c->replay.timeframe_s, from,
			    to, c->replay.ticks) != 0)
		return -1;
	if (trd_engine_replay(&d->engine, src, speed, replay_done_cb) != 0) {
		log_error("cannot start the replay");
		return -1;
	}
	d->progress0 = src->start_ns == TRD_TIME_UNSET ? 0 : src->start_ns;
	trd_progress_begin("replay", "days",
			   to != TRD_TIME_MAX && d->progress0
				   ? (double)(to - d->progress0) / 86400e9 : 0);
	log_info("replaying %zu instrument(s) with %zu strateg%s from %s at "
		 "speed %s", c->ninstruments, c->nstrategies,
		 c->nstrategies == 1 ? "y" : "ies",
		 src->start_ns == TRD_TIME_UNSET
			 ? "(no data)" : trd_time_format(src->start_ns, a),
		 speed_name(speed, sp));
	return 0;
}

/* Every configured instrument has a place in the store for the bars a
 * paper session builds. */
static int
ensure_instruments(struct daemon *d)
{
	for (size_t i = 0; i < d->conf->ninstruments; i++) {
		const struct trd_instrument_conf *ic = &d->conf->instruments[i];
		struct trd_instrument in = { .price_dp = ic->price_dp,
					     .qty_dp = ic->qty_dp,
					     .tick_size = ic->tick_size,
					     .lot_size = ic->lot_size }, out;
		snprintf(in.symbol, sizeof(in.symbol), "%s", ic->symbol);
		if (trd_store_instrument_ensure(d->store, &in, &out) != 0) {
			log_error("instrument %s: cannot add it to the store "
				  "in %s", ic->symbol, d->conf->data_dir);
			return -1;
		}
	}
	return 0;
}

/*
 * Paper trading: the live feed under an event-time virtual clock.  Time
 * is the receive time of what the feed delivers (and of its 100 ms
 * ticks), so the session and its tape replay see the same clock.  Client
 * ids carry "pp" in both.
 */
static int
start_paper(struct daemon *d)
{
	struct trd_config *c = d->conf;
	const struct trd_registry *reg;
	struct trd_source *src;
	int64_t t0 = trd_clock_realtime_ns();
	int rc;

	d->paper = 1;
	c->replay.timeframe_s = c->feed.bar_tf_s;
	if (open_store(d, TRD_STORE_CREATE) != 0)
		return -1;
	if (ensure_instruments(d) != 0)
		return -1;
	if (trd_engine_init(&d->engine, &d->loop, TRD_CLOCK_VIRTUAL, t0) != 0) {
		log_error("out of memory");
		return -1;
	}
	d->engine_init = 1;
	d->engine.data = d;
	if (start_session(d, "pp", &reg) != 0)
		return -1;
	if ((rc = trd_feed_live_open(&src, &d->loop, c, reg, d->store, t0)) != 0) {
		log_error("cannot set up the feed: %s", trd_strerror(rc));
		return -1;
	}
	if ((rc = trd_engine_live(&d->engine, &src, 1, replay_done_cb)) != 0) {
		log_error("cannot start the feed: %s", trd_strerror(rc));
		return -1;
	}
	log_info("paper trading %zu instrument(s) with %zu strateg%s on %s "
		 "(bars of %us%s)", c->ninstruments, c->nstrategies,
		 c->nstrategies == 1 ? "y" : "ies", c->feed.ws_url,
		 c->feed.bar_tf_s, c->feed.record ? ", recording" : "");
	return 0;
}

/* traderd --replay --source tape: the recorded session again. */
static int
start_tape(struct daemon *d)
{
	struct trd_config *c = d->conf;
	int64_t from = d->have_from ? d->from_ns : c->replay.from_ns;
	int64_t to = d->have_to ? d->to_ns : c->replay.to_ns;
	double speed = d->have_speed ? d->speed : c->replay.speed;
	const struct trd_registry *reg;
	struct trd_source *src;
	struct trd_registry probe;
	char a[TRD_TIME_BUFSZ], sp[32];
	int rc;

	c->replay.timeframe_s = c->feed.bar_tf_s;
	if (open_store(d, TRD_STORE_RDONLY) != 0)
		return -1;
	/* The source's first record sets the clock before the session
	 * starts: open it over a registry of the same instruments. */
	if (trd_registry_init(&probe, c) != 0)
		return -1;
	rc = trd_feed_tape_open(&src, c, &probe, d->store, from, to);
	if (rc != 0) {
		trd_registry_free(&probe);
		return -1;
	}
	if (trd_engine_init(&d->engine, &d->loop, TRD_CLOCK_VIRTUAL,
			    src->start_ns) != 0) {
		src->ops->destroy(src);
		trd_registry_free(&probe);
		return -1;
	}
	d->engine_init = 1;
	d->engine.data = d;
	src->ops->destroy(src);
	trd_registry_free(&probe);
	if (start_session(d, "pp", &reg) != 0)
		return -1;
	if (trd_feed_tape_open(&src, c, reg, d->store, from, to) != 0)
		return -1;
	if (trd_engine_replay(&d->engine, src, speed, replay_done_cb) != 0) {
		log_error("cannot start the replay");
		return -1;
	}
	log_info("replaying the tape from %s at speed %s",
		 trd_time_format(src->start_ns, a), speed_name(speed, sp));
	return 0;
}

/*
 * traderd -n: everything start-up checks but the data.  The config (done
 * by the caller), the mode, and a session built as for trading without a
 * report: each plugin loaded and its init given its params, then
 * unloaded.  0 when all of it passed (errors are logged).
 */
static int
check_config(struct trd_config *c)
{
	enum trd_log_level level = trd_log_get_level();
	struct trd_engine e;
	struct trd_session t;
	uv_loop_t loop;
	int rc = 0;

	if (c->mode == TRD_MODE_LIVE) {
		log_error("mode 'live' is not available in this version; use "
			  "mode: paper or replay");
		return -1;
	}
	if (uv_loop_init(&loop) != 0)
		return -1;
	/* Only what is wrong: a check that passes prints one line. */
	if (level > TRD_LOG_WARN)
		trd_log_set_level(TRD_LOG_WARN);
	if (trd_engine_init(&e, &loop, TRD_CLOCK_VIRTUAL,
			    c->replay.from_ns == TRD_TIME_MIN
				    ? 0 : c->replay.from_ns) != 0) {
		uv_loop_close(&loop);
		return -1;
	}
	if (trd_session_init(&t, &e, c, NULL, NULL, "bt",
			     TRD_SESSION_CHECK) != 0)
		rc = -1;
	else if (trd_session_finish(&t) != 0)
		rc = -1;
	if (rc == 0)
		trd_session_free(&t);
	trd_engine_close(&e);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	trd_log_set_level(level);
	return rc;
}

static int64_t
recv_mono(const void *feed)
{
	return trd_feed_live_recv_mono(feed);
}

/* A line for systemctl status: what runs, how it is doing. */
static void
status_line(struct daemon *d, char *buf, size_t len, int *connected)
{
	struct trd_admin_env *env = &d->env;
	char eq[48] = "-", feed[96] = "";

	*connected = 1;
	if (env->feed) {
		size_t n, open = trd_feed_live_nopen(env->feed, &n);
		*connected = n > 0 && open == n;
		snprintf(feed, sizeof(feed), ", feed %zu/%zu connected", open,
			 n);
	}
	if (d->session_init)
		trd_dec_format_short(trd_portfolio_equity(&d->session.pf),
				     TRD_CASH_DP, eq);
	snprintf(buf, len, "%s: %zu instrument(s), %zu strateg%s%s, equity "
		 "%s, %llu open order(s)%s, generation %llu", env->mode,
		 d->conf->ninstruments, d->conf->nstrategies,
		 d->conf->nstrategies == 1 ? "y" : "ies", feed, eq,
		 d->session_init ? (unsigned long long)d->session.oms.nopen : 0,
		 d->session_init && d->session.risk.halted ? ", HALTED" : "",
		 (unsigned long long)d->generation);
}

/* Every 100 ms on the loop: the watchdog, READY once the feed is up,
 * the status line. */
static void
tick_cb(void *arg)
{
	struct daemon *d = arg;
	int64_t now = trd_clock_mono_ns();
	int alive = d->engine_init && d->engine.state == TRD_ENGINE_RUNNING;
	int connected;
	char st[256];

	trd_notify_tick(&d->notify, alive);
	if (alive && d->engine.mode == TRD_ENGINE_REPLAY)
		trd_progress_set((double)(trd_clock_now(&d->engine.clock) -
					  d->progress0) / 86400e9);
	if (!d->notify.on)
		return;
	if (!d->notify.ready || now - d->notify.last_status > 2000000000LL) {
		d->notify.last_status = now;
		status_line(d, st, sizeof(st), &connected);
		/* A paper session is ready with its feed; after 30 s without
		 * it, ready anyway (the feed keeps trying; STATUS says so). */
		if (!d->notify.ready &&
		    (connected || now - d->start_mono > 30000000000LL))
			trd_notify_ready(&d->notify, st);
		else
			trd_notify_status(&d->notify, st);
	}
}

/* The admin socket, once the run is set up: it acts on the session. */
static int
start_admin(struct daemon *d)
{
	struct trd_admin_env *env = &d->env;
	int rc;

	env->mode = d->tape ? "tape" : d->paper ? "paper" : "replay";
	env->engine = d->engine_init ? &d->engine : NULL;
	env->session = d->session_init ? &d->session : NULL;
	env->feed = d->paper && d->engine.npush > 0 ? d->engine.push[0] : NULL;
	if ((rc = trd_admin_open(&d->admin, &d->loop, env)) != 0) {
		log_error("cannot open the admin socket: %s", trd_strerror(rc));
		return -1;
	}
	trd_admin_attach(d->admin, env->session);
	if ((rc = trd_metrics_open(&d->metrics, &d->loop, env)) != 0) {
		log_error("cannot serve the metrics: %s", trd_strerror(rc));
		return -1;
	}
	trd_metrics_attach(d->metrics, env->session);
	d->metrics->on_tick = tick_cb;
	d->metrics->tick_arg = d;
	if (env->feed && d->session_init) {
		d->session.recv_mono = recv_mono;
		d->session.recv_arg = env->feed;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "replay", no_argument, NULL, 'R' },
		{ "source", required_argument, NULL, 's' },
		{ "speed", required_argument, NULL, 'S' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "report", required_argument, NULL, 'r' },
		{ "param", required_argument, NULL, 'P' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { 0 };
	const char *conf_path = NULL;
	int check = 0, ch, rc, nerr = 0;

	while ((ch = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'n': check = 1; break;
		case 'R': d.replay = 1; break;
		case 's':
			if (strcmp(optarg, "tape") == 0)
				d.tape = 1;
			else if (strcmp(optarg, "store") != 0) {
				fprintf(stderr, "traderd: --source must be "
						"store or tape, not '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'S':
			if (parse_speed(optarg, &d.speed) != 0) {
				fprintf(stderr, "traderd: --speed must be a "
						"number in (0, 1000000] or "
						"'max', not '%s'\n", optarg);
				return 1;
			}
			d.have_speed = 1;
			break;
		case 'F':
		case 'T':
			rc = trd_time_parse(optarg, ch == 'F' ? &d.from_ns
							      : &d.to_ns);
			if (rc != 0) {
				fprintf(stderr, "traderd: --%s '%s': %s (use "
						"ISO 8601 UTC like "
						"2020-01-01T00:00:00Z or Unix "
						"seconds)\n",
					ch == 'F' ? "from" : "to", optarg,
					trd_strerror(rc));
				return 1;
			}
			if (ch == 'F')
				d.have_from = 1;
			else
				d.have_to = 1;
			break;
		case 'r': d.report_dir = optarg; break;
		case 'W': {
			char *e;
			unsigned long v = strtoul(optarg, &e, 10);
			if (*optarg < '0' || *optarg > '9' || *e != '\0' ||
			    v > 1000000) {
				fprintf(stderr, "traderd: --warmup must be a "
						"number of bars in 0..1000000, "
						"not '%s'\n", optarg);
				return 1;
			}
			d.warmup = (uint32_t)v;
			break;
		}
		case 'P':
			if (d.nparams == sizeof(d.params) / sizeof(d.params[0])) {
				fprintf(stderr, "traderd: at most %zu --param\n",
					sizeof(d.params) / sizeof(d.params[0]));
				return 1;
			}
			d.params[d.nparams++] = optarg;
			break;
		case 'v': printf("traderd %s (%s)\n", trd_version, trd_build); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc || conf_path == NULL) {
		usage(stderr);
		return 1;
	}
	if (trd_config_load(conf_path, &d.conf, &nerr) != 0) {
		if (nerr > 0)
			fprintf(stderr, "%s: %d error(s)\n", conf_path, nerr);
		return 1;
	}
	if (apply_params(&d, d.conf) != 0) {
		trd_config_free(d.conf);
		return 1;
	}
	d.conf->generation = d.generation = 1;
	d.conf0 = d.conf;
	trd_log_set_level(d.conf->log_level);
	if (check) {
		rc = check_config(d.conf);
		if (rc == 0)
			printf("configuration OK\n");
		trd_config_free(d.conf);
		return rc == 0 ? 0 : 1;
	}
	if (!d.replay && d.conf->mode == TRD_MODE_LIVE) {
		log_error("mode 'live' is not available in this version; use "
			  "mode: paper, mode: replay or --replay");
		trd_config_free(d.conf);
		return 1;
	}
	if (d.tape && !d.replay && d.conf->mode != TRD_MODE_REPLAY) {
		log_error("--source tape is for a replay: add --replay");
		trd_config_free(d.conf);
		return 1;
	}
	if ((rc = uv_loop_init(&d.loop)) != 0) {
		log_error("uv_loop_init: %s", uv_strerror(rc));
		trd_config_free(d.conf);
		return 1;
	}
	trd_notify_init(&d.notify);
	d.start_mono = trd_clock_mono_ns();
	d.env = (struct trd_admin_env){
		.conf = d.conf, .start_wall_ns = trd_clock_realtime_ns(),
		.start_mono_ns = trd_clock_mono_ns(), .reload = reload_cb,
		.reload_arg = &d,
	};
	if (start_signals(&d) != 0 ||
	    (d.tape ? start_tape(&d)
	     : !d.replay && d.conf->mode == TRD_MODE_PAPER ? start_paper(&d)
	     : start_replay(&d)) != 0 ||
	    start_admin(&d) != 0) {
		d.exit_code = 1;
		shutdown_daemon(&d);
	}
	uv_run(&d.loop, UV_RUN_DEFAULT);
	if (d.done)
		finish_run(&d);
	shutdown_daemon(&d);
	/* Every handle is closed by now; make sure, then close the loop. */
	uv_walk(&d.loop, close_walk_cb, NULL);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d.loop) != 0)
		log_warn("event loop did not close cleanly");
	trd_store_close(d.store);
	if (d.conf != d.conf0)
		trd_config_free(d.conf);
	trd_config_free(d.conf0);
	return d.exit_code;
}
