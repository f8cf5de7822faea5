/*
 * engine: the one loop's event dispatcher and replay pacer.
 *
 * The engine owns the clock and hands every market-data event to its
 * subscribers (strategies, features, the venue) in order.  Under a virtual
 * clock it pulls events from a source and paces them: at speed N, virtual
 * time advances N times faster than wall time; at speed 0 ("max") it runs
 * unpaced, returning to the loop every TRD_ENGINE_SLICE events so signals
 * and sockets are still served.  Timers of the virtual clock fire in
 * virtual-time order between data events; an event at time t goes before a
 * timer due at t (data known at t is visible to a timer at t).
 *
 * Speed may be changed while running: the pace is re-anchored at the
 * current virtual time, so nothing jumps.
 */
#ifndef TRD_ENGINE_H
#define TRD_ENGINE_H

#include <stdint.h>
#include <uv.h>

#include "clock.h"
#include "errors.h"
#include "source.h"

#define TRD_ENGINE_MAX_SUBS 16
#define TRD_ENGINE_SLICE    65536 /* events per loop turn at speed max */
#define TRD_ENGINE_BATCH    128   /* events pulled from a source at once */

struct trd_engine;
typedef void (*trd_event_cb)(void *arg, const struct trd_event *ev);
/* Called once when a replay ends: status 0 at the end of the data,
 * TRD_ESTOPPED when stopped early, or the source's error. */
typedef void (*trd_engine_done_cb)(struct trd_engine *e, int status);

enum trd_engine_state {
	TRD_ENGINE_IDLE,
	TRD_ENGINE_RUNNING,
	TRD_ENGINE_DONE,
};

struct trd_engine_stats {
	uint64_t events;
	int64_t  first_ns, last_ns; /* virtual times of first and last event */
	int64_t  wall_start_ns, wall_end_ns; /* monotonic */
};

struct trd_engine {
	uv_loop_t          *loop;
	struct trd_clock    clock;
	struct {
		trd_event_cb fn;
		void        *arg;
	} subs[TRD_ENGINE_MAX_SUBS];
	int                 nsubs;

	struct trd_source  *src;
	struct trd_event   *buf;
	int                 nbuf, ibuf;
	int                 run0;        /* first event not yet counted */
	double              speed;       /* 0 = max */
	int64_t             virt_anchor, wall_anchor;
	uv_timer_t          pace;
	uv_idle_t           idle;
	int                 handles_init;
	enum trd_engine_state state;
	int                 status;
	trd_engine_done_cb  done_cb;
	void               *data;        /* for the owner */
	struct trd_engine_stats stats;
};

/* Set up on loop with a clock of the given kind starting at start_ns
 * (virtual) — wall clocks ignore it.  Returns 0 or -errno. */
int trd_engine_init(struct trd_engine *e, uv_loop_t *loop,
		    enum trd_clock_kind kind, int64_t start_ns);
/* Closes handles and destroys the source; run the loop once more after. */
void trd_engine_close(struct trd_engine *e);

/* Add a subscriber; called in subscription order.  Returns 0 or -ENOSPC. */
int trd_engine_subscribe(struct trd_engine *e, trd_event_cb fn, void *arg);

/*
 * Start replaying src (the engine takes ownership) at speed (0 = max).
 * Requires a virtual clock.  done_cb runs when it ends.  Returns 0 or
 * -EINVAL (and then src is destroyed and done_cb never called).
 */
int trd_engine_replay(struct trd_engine *e, struct trd_source *src,
		      double speed, trd_engine_done_cb done_cb);
/* Change the pace of a running replay (0 = max). */
void trd_engine_set_speed(struct trd_engine *e, double speed);
/* End a running replay early: done_cb(TRD_ESTOPPED) at once. */
void trd_engine_stop(struct trd_engine *e);

/* Push sources deliver one event now (wall clock). */
void trd_engine_dispatch(struct trd_engine *e, const struct trd_event *ev);

#endif
