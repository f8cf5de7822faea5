/*
 * log: see log.h.  Writes are a single fputs of a formatted line so lines
 * from one process never interleave mid-line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "progress.h"

static enum trd_log_level cur_level = TRD_LOG_INFO;
static int journal = -1; /* -1 unknown, 0 no, 1 stderr goes to journald */
static struct {
	trd_log_tap_fn fn;
	void          *arg;
} taps[TRD_LOG_MAX_TAPS];
static int ntaps, in_tap;

void
trd_log_set_level(enum trd_log_level level)
{
	cur_level = level;
}

enum trd_log_level
trd_log_get_level(void)
{
	return cur_level;
}

int
trd_log_level_parse(const char *s, enum trd_log_level *out)
{
	static const struct { const char *name; enum trd_log_level lv; } t[] = {
		{ "error", TRD_LOG_ERROR }, { "warn", TRD_LOG_WARN },
		{ "info", TRD_LOG_INFO },   { "debug", TRD_LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].lv;
			return 0;
		}
	}
	return -1;
}

static const char *
level_name(enum trd_log_level level)
{
	switch (level) {
	case TRD_LOG_OFF:   break;
	case TRD_LOG_ERROR: return "error";
	case TRD_LOG_WARN:  return "warn";
	case TRD_LOG_INFO:  return "info";
	case TRD_LOG_DEBUG: return "debug";
	}
	return "?";
}

/* "daemon/feed_live.c" -> "feed"; main.c is the daemon itself; a name
 * without a path or ".c" (a plugin's, "strategy NAME") is kept. */
static const char *
subsystem(const char *where, char *buf, size_t len)
{
	const char *b = strrchr(where, '/'), *e;
	size_t n;

	b = b ? b + 1 : where;
	if ((e = strstr(b, ".c")) == NULL || e[2] != '\0')
		return where;
	n = strcspn(b, "_.");
	if (n == 4 && strncmp(b, "main", 4) == 0)
		return "traderd";
	if (n >= len)
		n = len - 1;
	memcpy(buf, b, n);
	buf[n] = '\0';
	return buf;
}

void
trd_vlog(enum trd_log_level level, const char *where, const char *fmt,
	 va_list ap)
{
	char msg[2048], line[2200], sub[32];

	if (level > cur_level)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	where = subsystem(where, sub, sizeof(sub));
	/* "feed: ..." from the feed says it once. */
	{
		size_t wl = strlen(where);
		if (strncmp(msg, where, wl) == 0 && msg[wl] == ':' &&
		    msg[wl + 1] == ' ')
			memmove(msg, msg + wl + 2, strlen(msg + wl + 2) + 1);
	}
	if (journal) {
		snprintf(line, sizeof(line), "<%d>%s: %s\n", (int)level, where,
			 msg);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d."
			 "%03ldZ %s %s: %s\n", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, level_name(level), where, msg);
	}
	trd_progress_clear();
	fputs(line, stderr);
	if (ntaps > 0 && !in_tap) {
		in_tap = 1;
		for (int i = 0; i < ntaps; i++)
			taps[i].fn(taps[i].arg, level, where, msg);
		in_tap = 0;
	}
}

int
trd_log_tap_add(trd_log_tap_fn fn, void *arg)
{
	if (ntaps == TRD_LOG_MAX_TAPS)
		return -1;
	taps[ntaps].fn = fn;
	taps[ntaps].arg = arg;
	ntaps++;
	return 0;
}

void
trd_log_tap_remove(trd_log_tap_fn fn, void *arg)
{
	for (int i = 0; i < ntaps; i++) {
		if (taps[i].fn != fn || taps[i].arg != arg)
			continue;
		memmove(&taps[i], &taps[i + 1],
			(size_t)(ntaps - i - 1) * sizeof(taps[0]));
		ntaps--;
		return;
	}
}

void
trd_log(enum trd_log_level level, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trd_vlog(level, where, fmt, ap);
	va_end(ap);
}
