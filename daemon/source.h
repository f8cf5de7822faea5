/*
 * source: how market data reaches the engine.
 *
 * A source is either pulled or pushes.  Historical sources (the LMDB replay)
 * are pulled: the engine asks for the next batch of events, already in
 * delivery order, and paces them against its virtual clock.  Live sources
 * (WebSocket feeds, the tests' push sources) push: the engine starts them,
 * and they call trd_engine_push() from their own libuv callbacks as data
 * arrives, under the wall clock, until the engine stops them.  Both hand
 * the engine the same struct trd_event, so everything downstream is the
 * same code in a replay and in live trading.
 *
 * Events carry the session's instrument handle (sym), never a store id:
 * a source maps whatever it reads (a store series, a venue symbol) to the
 * instrument registry's index.
 */
#ifndef TRD_SOURCE_H
#define TRD_SOURCE_H

#include <stdint.h>

#include "traderd/plugin.h"
#include "traderd/types.h"

enum trd_event_type {
	TRD_EV_BAR = 1,   /* a closed bar, delivered at its close */
	TRD_EV_QUOTE = 2, /* best bid and ask */
	TRD_EV_TRADE = 3, /* a print */
	/* Time passed with nothing to say: the engine advances its clock
	 * (firing the timers due before it) and delivers nothing.  A live
	 * feed sends one on each tick of the wall clock and records it, so
	 * a replay of the recording fires the same timers at the same
	 * points. */
	TRD_EV_TIME = 4,
};

/*
 * One market-data event.  The union members are the plugin ABI's own
 * structs, so they are handed to strategies as they are; their sym equals
 * the event's.  72 bytes: a replay buffer of them stays in L1.
 */
struct trd_event {
	int64_t  ts_ns; /* when the event is known: the clock time it runs at */
	uint32_t type;  /* enum trd_event_type */
	uint32_t sym;   /* instrument handle (registry index) */
	union {
		struct trd_bar   bar;
		struct trd_quote quote;
		struct trd_trade trade;
	} u;
};

struct trd_source;
struct trd_engine;

struct trd_source_ops {
	const char *kind;
	/*
	 * Pull sources: fill up to max events in non-decreasing ts_ns order
	 * (continuing the order across calls).  Returns the count, 0 at the
	 * end of the data, or a negative error (the source has logged it).
	 * NULL for a push source.
	 */
	int (*pull)(struct trd_source *src, struct trd_event *out, int max);
	/*
	 * Push sources: start delivering to e with trd_engine_push() from
	 * the loop's callbacks (never from inside start); 0 or a negative
	 * error (logged; stop is then not called).  stop ends delivery: no
	 * push after it returns.  NULL for a pull source.
	 */
	int (*start)(struct trd_source *src, struct trd_engine *e);
	void (*stop)(struct trd_source *src);
	/* Release everything the source owns, including src itself.  A push
	 * source is stopped first; handles it closes may need one more turn
	 * of the loop. */
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
