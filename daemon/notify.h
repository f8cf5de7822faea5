/*
 * notify: systemd's service protocol (sd_notify), a no-op without systemd.
 *
 * With Type=notify the manager is told READY=1 once the session runs and,
 * in paper mode, the feed's connections are open; RELOADING=1 (with
 * MONOTONIC_USEC, which systemd 253's notify-reload needs and 252
 * ignores) and READY=1 around a reload; STOPPING=1 at a stop; and a
 * STATUS= line an operator reads in `systemctl status`.  With
 * WatchdogSec= the ping (WATCHDOG=1) goes out from the loop's own timer
 * and only while the engine runs: a loop that stalls, or a run that has
 * ended but not exited, stops the pings and systemd restarts the unit.
 */
#ifndef TRD_NOTIFY_H
#define TRD_NOTIFY_H

#include <stdint.h>

struct trd_notify {
	int      on;           /* NOTIFY_SOCKET is set */
	uint64_t wd_usec;      /* watchdog interval; 0: none */
	int64_t  last_ping, last_status;
	int      ready;
	char     status[256];
};

void trd_notify_init(struct trd_notify *n);
void trd_notify_ready(struct trd_notify *n, const char *status);
void trd_notify_reloading(struct trd_notify *n);
/* READY=1 again after a reload (if READY was sent before). */
void trd_notify_reloaded(struct trd_notify *n, const char *status);
void trd_notify_stopping(struct trd_notify *n, const char *status);
/* A STATUS= line, sent when it changed. */
void trd_notify_status(struct trd_notify *n, const char *status);
/* From the loop's periodic timer: ping the watchdog when due, if the
 * engine runs (alive). */
void trd_notify_tick(struct trd_notify *n, int alive);

#endif
