/*
 * traderd: the daemon.  One process, one libuv loop.
 *
 *   traderd -c FILE [--replay] [--speed N|max] [--from T] [--to T]
 *   traderd -n -c FILE          check the configuration and exit
 *
 * In replay mode it replays the configured instruments from the store under
 * a virtual clock and exits 0 when the data ends.  SIGINT/SIGTERM stop it
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

#include "config.h"
#include "engine.h"
#include "errors.h"
#include "log.h"
#include "replay.h"
#include "store.h"
#include "timefmt.h"
#include "trading.h"
#include "decimal.h"

#define TRADERD_VERSION "0.1.0"

struct daemon {
	uv_loop_t          loop;
	struct trd_config *conf;
	uint64_t           generation;
	struct trd_store  *store;
	struct trd_engine  engine;
	int                engine_init;
	struct trd_trading trading;
	int                trading_init;
	const char        *report_dir;  /* --report, else the config's */
	uv_signal_t        sig_int, sig_term, sig_hup;
	int                signals_init;
	int                exit_code;
	/* Command-line overrides of the config. */
	int                replay;
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
		"      --speed N|max   replay pace: N times real time, or max\n"
		"      --from T        replay bars opening at or after T\n"
		"      --to T          ... and before T (ISO 8601 UTC or Unix "
		"seconds)\n"
		"      --report DIR    write the backtest report there (default: "
		"report_dir)\n"
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
shutdown_daemon(struct daemon *d)
{
	if (d->signals_init) {
		uv_close((uv_handle_t *)&d->sig_int, NULL);
		uv_close((uv_handle_t *)&d->sig_term, NULL);
		uv_close((uv_handle_t *)&d->sig_hup, NULL);
		d->signals_init = 0;
	}
	if (d->trading_init) {
		trd_trading_free(&d->trading);
		d->trading_init = 0;
	}
	if (d->engine_init) {
		trd_engine_close(&d->engine);
		d->engine_init = 0;
	}
}

static long
peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static void
replay_done_cb(struct trd_engine *e, int status)
{
	struct daemon *d = e->data;
	const struct trd_engine_stats *st = &e->stats;
	double wall = (double)(st->wall_end_ns - st->wall_start_ns) / 1e9;
	char a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ];

	if (status == TRD_ESTOPPED) {
		log_warn("replay stopped at %s after %llu events",
			 trd_time_format(trd_clock_now(&e->clock), a),
			 (unsigned long long)st->events);
	} else if (status != 0) {
		log_error("replay failed: %s", trd_strerror(status));
		d->exit_code = 1;
	}
	if (st->events == 0)
		printf("replay: no bars in the selected range\n");
	else
		printf("replay: %llu bars, %s .. %s, %.3f s wall, %.0f bars/s, "
		       "peak RSS %.1f MiB\n",
		       (unsigned long long)st->events,
		       trd_time_format(st->first_ns, a),
		       trd_time_format(st->last_ns, b), wall,
		       wall > 0 ? (double)st->events / wall : 0.0,
		       (double)peak_rss_kib() / 1024.0);
	if (d->trading_init) {
		struct trd_trading *t = &d->trading;
		int64_t eq = trd_portfolio_equity(&t->pf), ret;
		char a1[32], a2[32], a3[32];
		uint64_t filled = 0, rejected = t->oms.nrejected;

		for (size_t i = 0; i < t->oms.n; i++)
			filled += trd_oms_get(&t->oms, i + 1)->filled > 0;

		d->trading_init = 0;
		if (trd_trading_finish(t) != 0)
			d->exit_code = 1;
		ret = eq - t->pf.initial_cash;
		trd_dec_format_short(eq, TRD_CASH_DP, a1);
		trd_dec_format_short(ret, TRD_CASH_DP, a2);
		trd_dec_format_short(t->pf.fees, TRD_CASH_DP, a3);
		printf("result: final equity %s (%s%s, %+.4f%%), %llu orders "
		       "(%llu filled, %llu rejected), fees %s\n", a1,
		       ret >= 0 ? "+" : "", a2,
		       100.0 * (double)ret / (double)t->pf.initial_cash,
		       (unsigned long long)t->oms.n,
		       (unsigned long long)filled,
		       (unsigned long long)rejected, a3);
		if (d->exit_code == 0)
			printf("report: %s/report.html\n", t->report_dir);
		trd_trading_free(t);
	}
	fflush(stdout);
	shutdown_daemon(d);
}

static void
reload(struct daemon *d)
{
	struct trd_config *next;
	char key[128];
	int nerr = 0;

	log_info("SIGHUP: reloading %s", d->conf->path);
	if (trd_config_load(d->conf->path, &next, &nerr) != 0) {
		log_error("reload of %s failed (%d error(s)); keeping "
			  "configuration generation %llu", d->conf->path, nerr,
			  (unsigned long long)d->generation);
		return;
	}
	if (!trd_config_reloadable(d->conf, next, key, sizeof(key))) {
		log_error("reload of %s refused: '%s' cannot change while "
			  "running (restart traderd); keeping generation %llu",
			  d->conf->path, key,
			  (unsigned long long)d->generation);
		trd_config_free(next);
		return;
	}
	if (d->trading_init)
		trd_trading_reload(&d->trading, next);
	if (next->replay.speed != d->conf->replay.speed && d->engine_init) {
		char sp[32];
		trd_engine_set_speed(&d->engine, next->replay.speed);
		log_info("replay speed now %s", speed_name(next->replay.speed, sp));
	}
	trd_log_set_level(next->log_level);
	next->generation = ++d->generation;
	trd_config_free(d->conf);
	d->conf = next;
	log_info("configuration generation %llu in effect",
		 (unsigned long long)d->generation);
}

static void
signal_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP) {
		reload(d);
		return;
	}
	log_info("%s: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
	if (d->engine_init && d->engine.state == TRD_ENGINE_RUNNING)
		trd_engine_stop(&d->engine);
	else
		shutdown_daemon(d);
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
	}
	d->signals_init = 1;
	return 0;
}

/*
 * With strategies: the engine first (its clock starts at the span's start,
 * so strategies' init sees the right time), then the trading session, then
 * the replay source over the session's instruments.
 */
static int
start_trading(struct daemon *d, int64_t from, int64_t to, double speed)
{
	struct trd_config *c = d->conf;
	struct trd_source *src;
	char a[TRD_TIME_BUFSZ], sp[32];

	if (trd_engine_init(&d->engine, &d->loop, TRD_CLOCK_VIRTUAL,
			    from == TRD_TIME_MIN ? 0 : from) != 0)
		return -1;
	d->engine_init = 1;
	d->engine.data = d;
	if (trd_trading_init(&d->trading, &d->engine, c, d->store,
			     d->report_dir) != 0)
		return -1;
	d->trading_init = 1;
	if (trd_replay_open(&src, d->store, trd_trading_ids(&d->trading),
			    c->ninstruments, c->replay.timeframe_s, from,
			    to) != 0)
		return -1;
	if (src->start_ns != TRD_TIME_UNSET &&
	    src->start_ns > d->engine.clock.virt_ns)
		d->engine.clock.virt_ns = src->start_ns;
	if (trd_engine_replay(&d->engine, src, speed, replay_done_cb) != 0)
		return -1;
	log_info("replaying %zu instrument(s) with %zu strateg%s from %s at "
		 "speed %s", c->ninstruments, c->nstrategies,
		 c->nstrategies == 1 ? "y" : "ies",
		 src->start_ns == TRD_TIME_UNSET
			 ? "(no data)" : trd_time_format(src->start_ns, a),
		 speed_name(speed, sp));
	return 0;
}

static int
start_replay(struct daemon *d)
{
	struct trd_config *c = d->conf;
	struct trd_store_opts so = {
		.map_size = (size_t)c->store.map_size_mb << 20,
		.map_max = (size_t)c->store.map_max_mb << 20,
	};
	uint32_t *ids;
	struct trd_source *src;
	int64_t from = d->have_from ? d->from_ns : c->replay.from_ns;
	int64_t to = d->have_to ? d->to_ns : c->replay.to_ns;
	double speed = d->have_speed ? d->speed : c->replay.speed;
	int rc;

	if (from != TRD_TIME_MIN && to != TRD_TIME_MAX && from >= to) {
		log_error("replay range is empty: from is not before to");
		return -1;
	}
	if (trd_store_open(&d->store, c->data_dir, TRD_STORE_RDONLY, &so) != 0)
		return -1;
	if (c->nstrategies > 0)
		return start_trading(d, from, to, speed);
	if ((ids = calloc(c->ninstruments, sizeof(*ids))) == NULL)
		return -1;
	for (size_t i = 0; i < c->ninstruments; i++) {
		struct trd_instrument in;
		const struct trd_instrument_conf *ic = &c->instruments[i];
		if (trd_store_instrument_need(d->store, ic->symbol, &in) != 0) {
			free(ids);
			return -1;
		}
		ids[i] = in.id;
	}
	rc = trd_replay_open(&src, d->store, ids, c->ninstruments,
			     c->replay.timeframe_s, from, to);
	free(ids);
	if (rc != 0)
		return -1;
	if (trd_engine_init(&d->engine, &d->loop, TRD_CLOCK_VIRTUAL,
			    src->start_ns == TRD_TIME_UNSET ? 0
							    : src->start_ns) != 0) {
		src->ops->destroy(src);
		return -1;
	}
	d->engine_init = 1;
	d->engine.data = d;
	if (trd_engine_replay(&d->engine, src, speed, replay_done_cb) != 0)
		return -1;
	{
		char a[TRD_TIME_BUFSZ], sp[32];
		log_info("replaying %zu instrument(s) from %s at speed %s",
			 c->ninstruments,
			 src->start_ns == TRD_TIME_UNSET
				 ? "(no data)"
				 : trd_time_format(src->start_ns, a),
			 speed_name(speed, sp));
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
		{ "speed", required_argument, NULL, 'S' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "report", required_argument, NULL, 'r' },
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
		case 'v': printf("traderd %s\n", TRADERD_VERSION); return 0;
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
	d.conf->generation = d.generation = 1;
	if (check) {
		printf("configuration OK\n");
		trd_config_free(d.conf);
		return 0;
	}
	trd_log_set_level(d.conf->log_level);
	if (!d.replay && d.conf->mode != TRD_MODE_REPLAY) {
		log_error("mode '%s' is not available in this version; use "
			  "mode: replay or --replay",
			  trd_mode_name(d.conf->mode));
		trd_config_free(d.conf);
		return 1;
	}
	if ((rc = uv_loop_init(&d.loop)) != 0) {
		log_error("uv_loop_init: %s", uv_strerror(rc));
		trd_config_free(d.conf);
		return 1;
	}
	if (start_signals(&d) != 0 || start_replay(&d) != 0) {
		d.exit_code = 1;
		shutdown_daemon(&d);
	}
	uv_run(&d.loop, UV_RUN_DEFAULT);
	/* Every handle is closed by now; make sure, then close the loop. */
	uv_walk(&d.loop, close_walk_cb, NULL);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d.loop) != 0)
		log_warn("event loop did not close cleanly");
	trd_store_close(d.store);
	trd_config_free(d.conf);
	return d.exit_code;
}
