/*
 * notify: see notify.h.  libsystemd's sd_notify does the talking; it
 * returns 0 without NOTIFY_SOCKET, so outside systemd nothing happens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"
#include "notify.h"

void
trd_notify_init(struct trd_notify *n)
{
	uint64_t usec = 0;

	memset(n, 0, sizeof(*n));
	n->on = getenv("NOTIFY_SOCKET") != NULL;
	if (n->on && sd_watchdog_enabled(0, &usec) > 0)
		n->wd_usec = usec;
}

void
trd_notify_ready(struct trd_notify *n, const char *status)
{
	if (n->ready)
		return;
	n->ready = 1;
	snprintf(n->status, sizeof(n->status), "%s", status);
	if (n->on)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
trd_notify_reloading(struct trd_notify *n)
{
	if (n->on)
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
			   (unsigned long long)(trd_clock_mono_ns() / 1000));
}

void
trd_notify_stopping(struct trd_notify *n, const char *status)
{
	if (n->on)
		sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status);
}

void
trd_notify_status(struct trd_notify *n, const char *status)
{
	if (strcmp(status, n->status) == 0)
		return;
	snprintf(n->status, sizeof(n->status), "%s", status);
	if (n->on)
		sd_notifyf(0, "STATUS=%s", status);
}

void
trd_notify_tick(struct trd_notify *n, int alive)
{
	int64_t now;

	if (!n->on || n->wd_usec == 0 || !alive)
		return;
	now = trd_clock_mono_ns();
	/* Four pings per interval: one late timer does not trip it. */
	if (now - n->last_ping < (int64_t)n->wd_usec * 1000 / 4)
		return;
	n->last_ping = now;
	sd_notify(0, "WATCHDOG=1");
}

void
trd_notify_reloaded(struct trd_notify *n, const char *status)
{
	snprintf(n->status, sizeof(n->status), "%s", status);
	if (n->on && n->ready)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}
