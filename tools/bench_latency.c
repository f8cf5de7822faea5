/*
 * bench_latency: how long after a WebSocket message reaches the receive
 * callback its quote or trade has been through the whole session: the
 * engine, the simulated venue, features, risk and the strategies' on_quote
 * and on_trade.  Measured in-process over loopback against tools/exsim:
 * the feed notes the monotonic time its receive callback began, and an
 * engine subscriber placed after the session reads the clock when the
 * event reaches it (so each sample bounds the time to the plugin's
 * callback from above).
 *
 *   bench_latency EXSIM CONFIG SECONDS
 *
 * CONFIG is a paper config whose feed URLs say PORT; it is rewritten with
 * exsim's port.  exsim sends 20 steps a second (LAT_RATE in the
 * environment changes it), each a trade and a book ticker per symbol.  Prints p50, p99, p99.9 and the maximum in microseconds,
 * and a log2 histogram.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "feed_live.h"
#include "session.h"

static struct trd_source *src;
static int64_t *lat, *idle, *hot; /* all samples; after a pause; others */
static size_t nlat, caplat, nidle, nhot;
static int64_t prev_t0;
static struct trd_engine eng;
static uv_timer_t stop_t;

static void
sample(void *arg, const struct trd_event *ev)
{
	int64_t t0 = trd_feed_live_recv_mono(src);

	(void)arg;
	if (t0 == 0 || (ev->type != TRD_EV_QUOTE && ev->type != TRD_EV_TRADE))
		return;
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 1 << 16;
		lat = realloc(lat, caplat * sizeof(*lat));
		idle = realloc(idle, caplat * sizeof(*idle));
		hot = realloc(hot, caplat * sizeof(*hot));
	}
	lat[nlat] = trd_clock_mono_ns() - t0;
	/* The first message after 1 ms without any: the loop was asleep,
	 * and its caches went cold while it was. */
	if (prev_t0 && t0 != prev_t0 && t0 - prev_t0 > 1000000)
		idle[nidle++] = lat[nlat];
	else
		hot[nhot++] = lat[nlat];
	if (t0 != prev_t0)
		prev_t0 = t0;
	nlat++;
}

static void
stop_cb(uv_timer_t *t)
{
	(void)t;
	trd_engine_stop(&eng);
	uv_close((uv_handle_t *)&stop_t, NULL);
}

static int
cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	char cmd[1024], pf[] = "/tmp/bench_latency.port.XXXXXX", path[64];
	char *text, *out, *p;
	struct trd_config *c;
	struct trd_session t;
	uv_loop_t loop;
	FILE *f;
	long n;
	int port = 0, fd, nerr;
	pid_t pid;

	if (argc != 4)
		return fprintf(stderr, "usage: bench_latency EXSIM CONFIG "
			       "SECONDS\n"), 2;
	if ((fd = mkstemp(pf)) < 0)
		return 2;
	close(fd);
	unlink(pf);
	snprintf(cmd, sizeof(cmd), "exec %s --symbols 20 --rate %s --seed 1 "
		 "--port-file %s 2>/dev/null", argv[1], getenv("LAT_RATE") ? getenv("LAT_RATE") : "20", pf);
	if ((pid = fork()) == 0) {
		/* The exchange runs on the other cores: on the bench's own
		 * (make bench pins it to one) its bursts would preempt the
		 * path being measured, which no real exchange does. */
		cpu_set_t mine, rest;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		if (sched_getaffinity(0, sizeof(mine), &mine) == 0 && ncpu > 1) {
			CPU_ZERO(&rest);
			for (long k = 0; k < ncpu && k < CPU_SETSIZE; k++)
				if (!CPU_ISSET(k, &mine))
					CPU_SET(k, &rest);
			if (CPU_COUNT(&rest) > 0)
				sched_setaffinity(0, sizeof(rest), &rest);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && port == 0; i++) {
		if ((f = fopen(pf, "r"))) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		usleep(10000);
	}
	unlink(pf);
	if ((f = fopen(argv[2], "r")) == NULL || fseek(f, 0, SEEK_END) ||
	    (n = ftell(f)) < 0)
		return 2;
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	out = calloc(1, (size_t)n * 2 + 64);
	if (fread(text, 1, (size_t)n, f) != (size_t)n)
		return 2;
	fclose(f);
	for (char *s = text; *s;) {
		if ((p = strstr(s, "PORT")) == NULL) {
			strcat(out, s);
			break;
		}
		strncat(out, s, (size_t)(p - s));
		sprintf(out + strlen(out), "%d", port);
		s = p + 4;
	}
	snprintf(path, sizeof(path), "/tmp/bench_latency.%d.yaml", (int)getpid());
	f = fopen(path, "w");
	fputs(out, f);
	fclose(f);
	if (trd_config_load(path, &c, &nerr) != 0)
		return 2;
	unlink(path);
	c->replay.timeframe_s = c->feed.bar_tf_s;
	uv_loop_init(&loop);
	trd_engine_init(&eng, &loop, TRD_CLOCK_VIRTUAL, trd_clock_realtime_ns());
	if (trd_session_init(&t, &eng, c, NULL, NULL, "pp", 0) != 0)
		return 2;
	trd_engine_subscribe(&eng, sample, NULL);
	if (trd_feed_live_open(&src, &loop, c, &t.reg, NULL,
			       trd_clock_realtime_ns()) != 0 ||
	    trd_engine_live(&eng, &src, 1, NULL) != 0)
		return 2;
	uv_timer_init(&loop, &stop_t);
	uv_timer_start(&stop_t, stop_cb, (uint64_t)atoi(argv[3]) * 1000, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	if (nlat == 0) {
		fprintf(stderr, "bench_latency: no samples\n");
		return 1;
	}
	qsort(lat, nlat, sizeof(*lat), cmp);
	printf("samples %zu  p50 %.2f us  p99 %.2f us  p99.9 %.2f us  max "
	       "%.2f us\n", nlat, lat[nlat / 2] / 1e3,
	       lat[nlat * 99 / 100] / 1e3, lat[nlat * 999 / 1000] / 1e3,
	       lat[nlat - 1] / 1e3);
	if (nidle > 0 && nhot > 0) {
		qsort(idle, nidle, sizeof(*idle), cmp);
		qsort(hot, nhot, sizeof(*hot), cmp);
		printf("  %zu in a stream (the loop busy): p50 %.2f us  p99 "
		       "%.2f us  p99.9 %.2f us\n", nhot, hot[nhot / 2] / 1e3,
		       hot[nhot * 99 / 100] / 1e3, hot[nhot * 999 / 1000] / 1e3);
		printf("  %zu first after over 1 ms idle (caches cold): p50 "
		       "%.2f us  p99 %.2f us\n", nidle, idle[nidle / 2] / 1e3,
		       idle[nidle * 99 / 100] / 1e3);
	}
	for (int b = 0; b < 24; b++) {
		size_t k = 0;
		for (size_t i = 0; i < nlat; i++)
			if (lat[i] >= (1LL << b) * 100 &&
			    lat[i] < (1LL << (b + 1)) * 100)
				k++;
		if (k)
			printf("  [%7.1f, %7.1f) us %8zu\n", (1 << b) / 10.0,
			       (1 << (b + 1)) / 10.0, k);
	}
	trd_session_finish(&t);
	trd_session_free(&t);
	trd_engine_close(&eng);
	uv_run(&loop, UV_RUN_DEFAULT);
	trd_config_free(c);
	free(lat);
	free(idle);
	free(hot);
	free(text);
	free(out);
	return 0;
}
