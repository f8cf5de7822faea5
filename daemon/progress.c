/*
 * progress: see progress.h.  The wall clock here only paces the drawing
 * and estimates the time left; nothing it computes reaches a result.
 * (It reads CLOCK_MONOTONIC itself: clock.c logs, and log.c clears the
 * progress line, so including clock.h would make an include cycle.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct {
	int     on, drawn;
	char    what[64], unit[16];
	double  total, done;
	int64_t t0, last;
} pg;

void
trd_progress_begin(const char *what, const char *unit, double total)
{
	memset(&pg, 0, sizeof(pg));
	pg.on = isatty(STDERR_FILENO) && getenv("JOURNAL_STREAM") == NULL;
	snprintf(pg.what, sizeof(pg.what), "%s", what);
	snprintf(pg.unit, sizeof(pg.unit), "%s", unit);
	pg.total = total;
	pg.t0 = mono_ns();
}

static void
fmt_dur(char *b, size_t n, double s)
{
	if (s >= 3600)
		snprintf(b, n, "%dh%02dm", (int)(s / 3600), (int)s % 3600 / 60);
	else
		snprintf(b, n, "%d:%02d", (int)(s / 60), (int)s % 60);
}

static void
draw(void)
{
	double el = (double)(mono_ns() - pg.t0) / 1e9;
	double rate = el > 0 ? pg.done / el : 0;
	char left[32] = "", line[256];

	if (pg.total > 0 && rate > 0 && pg.done < pg.total) {
		char d[16];
		fmt_dur(d, sizeof(d), (pg.total - pg.done) / rate);
		snprintf(left, sizeof(left), ", %s left", d);
	}
	if (pg.total > 0)
		snprintf(line, sizeof(line), "\r%s: %5.1f%% %.1f/%.1f %s, "
			 "%.1f %s/s%s\033[K", pg.what,
			 100.0 * pg.done / pg.total, pg.done, pg.total, pg.unit,
			 rate, pg.unit, left);
	else
		snprintf(line, sizeof(line), "\r%s: %.1f %s, %.1f %s/s\033[K",
			 pg.what, pg.done, pg.unit, rate, pg.unit);
	fputs(line, stderr);
	pg.drawn = 1;
}

void
trd_progress_set(double done)
{
	int64_t now;

	if (!pg.on)
		return;
	pg.done = done;
	now = mono_ns();
	if (now - pg.last < 250000000)
		return;
	pg.last = now;
	draw();
}

void
trd_progress_clear(void)
{
	if (pg.on && pg.drawn) {
		fputs("\r\033[K", stderr);
		pg.drawn = 0;
		pg.last = 0;
	}
}

void
trd_progress_end(void)
{
	trd_progress_clear();
	pg.on = 0;
}
