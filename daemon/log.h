/*
 * log: leveled logging to stderr, one line per message.
 *
 * Every line names the subsystem that wrote it (the source file's name up
 * to its first '_': feed_live.c and feed.c are "feed", main.c is
 * "traderd").  Under systemd (JOURNAL_STREAM set) a line is "<N>subsystem:
 * message", the <N> syslog priority telling journald the level (journald
 * adds the time); otherwise "2026-12-07T16:50:01.123Z level subsystem:
 * message", the time UTC to the millisecond.  Log lines go to stderr,
 * never into reports, so their times do not touch a run's results.
 *
 * Secrets must never be passed to these functions; callers log key names,
 * never key values.
 */
#ifndef TRD_LOG_H
#define TRD_LOG_H

#include <stdarg.h>

enum trd_log_level {
	TRD_LOG_OFF   = 0, /* nothing is printed */
	TRD_LOG_ERROR = 3,
	TRD_LOG_WARN  = 4,
	TRD_LOG_INFO  = 6,
	TRD_LOG_DEBUG = 7,
};

void trd_log_set_level(enum trd_log_level level);
enum trd_log_level trd_log_get_level(void);
/* Parse "error|warn|info|debug"; returns 0 or -1. */
int trd_log_level_parse(const char *s, enum trd_log_level *out);

/*
 * Taps see every line that is printed (its level, where, and the message
 * without the prefix): the admin socket's `subscribe log`, a reload
 * collecting its errors.  A tap must not block; lines it logs itself are
 * not tapped again.  At most TRD_LOG_MAX_TAPS; add returns -1 past that.
 */
#define TRD_LOG_MAX_TAPS 8
typedef void (*trd_log_tap_fn)(void *arg, enum trd_log_level level,
			       const char *where, const char *msg);
int trd_log_tap_add(trd_log_tap_fn fn, void *arg);
void trd_log_tap_remove(trd_log_tap_fn fn, void *arg);

void trd_log(enum trd_log_level level, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void trd_vlog(enum trd_log_level level, const char *where, const char *fmt,
	      va_list ap) __attribute__((format(printf, 3, 0)));

#define log_error(...) trd_log(TRD_LOG_ERROR, __FILE__, __VA_ARGS__)
#define log_warn(...)  trd_log(TRD_LOG_WARN, __FILE__, __VA_ARGS__)
#define log_info(...)  trd_log(TRD_LOG_INFO, __FILE__, __VA_ARGS__)
#define log_debug(...)                                                   \
	do {                                                             \
		if (trd_log_get_level() >= TRD_LOG_DEBUG)                \
			trd_log(TRD_LOG_DEBUG, __FILE__, __VA_ARGS__);   \
	} while (0)

#endif
