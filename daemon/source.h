/*
 * source: how market data reaches the engine.
 *
 * A source is either pulled or pushes.  Historical sources (the LMDB replay)
 * are pulled: the engine asks for the next batch of events, already in
 * delivery order, and paces them against its clock.  Live sources (the
 * WebSocket feeds to come) push: they call trd_engine_dispatch() from their
 * own libuv callbacks as frames arrive, under the wall clock.  Both hand the
 * engine the same struct trd_event, so everything downstream is the same.
 */
#ifndef TRD_SOURCE_H
#define TRD_SOURCE_H

#include <stdint.h>

#include "traderd/types.h"

enum trd_event_type {
	TRD_EV_BAR = 1,
};

struct trd_event {
	int64_t  ts_ns; /* when the event is known: the clock time it runs at */
	uint32_t type;
	uint32_t sym;
	union {
		struct trd_bar bar;
	} u;
};

struct trd_source;

struct trd_source_ops {
	const char *kind;
	/*
	 * Pull sources: fill up to max events in non-decreasing ts_ns order
	 * (continuing the order across calls).  Returns the count, 0 at the
	 * end of the data, or a negative error (the source has logged it).
	 */
	int (*pull)(struct trd_source *src, struct trd_event *out, int max);
	/* Release everything the source owns, including src itself. */
	void (*destroy)(struct trd_source *src);
};

struct trd_source {
	const struct trd_source_ops *ops;
	/* Start of the span the source covers (the virtual clock starts
	 * here), or TRD_TIME_UNSET when it only knows once data arrives. */
	int64_t start_ns;
};

#define TRD_TIME_UNSET INT64_MIN

#endif
