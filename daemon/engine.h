/*
 * engine: the one loop's event dispatcher, replay pacer and live driver.
 *
 * The engine owns the clock and hands every market-data event to its
 * subscribers (the session: venue, features, strategies) in order.  It
 * runs in one of two modes, with the same subscribers:
 *
 *   replay  under a virtual clock it pulls events from a source and paces
 *           them (below), and ends at the end of the data;
 *   live    it starts push sources (feeds), which deliver events with
 *           trd_engine_push() from their own loop callbacks as data
 *           arrives, until the engine is stopped.  Under the wall clock
 *           the events carry the time they were received.
 *
 * In a replay, at speed N, virtual
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
/* Called once when a run ends: a replay with status 0 at the end of the
 * data, TRD_ESTOPPED when stopped early, or the source's error; a live
 * run with TRD_ESTOPPED when stopped. */
typedef void (*trd_engine_done_cb)(struct trd_engine *e, int status);

enum trd_engine_state {
	TRD_ENGINE_IDLE,
	TRD_ENGINE_RUNNING,
	TRD_ENGINE_DONE,
};

enum trd_engine_mode {
	TRD_ENGINE_REPLAY,
	TRD_ENGINE_LIVE,
};

#define TRD_ENGINE_MAX_PUSH 16 /* push sources of a live run */

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

	enum trd_engine_mode mode;
	struct trd_source  *src;         /* replay */
	struct trd_source  *push[TRD_ENGINE_MAX_PUSH]; /* live */
	int                 npush;
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
/* End a running replay or live run: live sources are stopped, then
 * done_cb(TRD_ESTOPPED) runs at once. */
void trd_engine_stop(struct trd_engine *e);
/* End the run with a negative error (a source that cannot go on: the
 * venue refused its credentials); the done callback gets it. */
void trd_engine_fail(struct trd_engine *e, int status);

/*
 * Start a live run over the push sources srcs[0..n) (n <= 16; the engine
 * takes ownership of every one, and destroys them all if this fails).
 * Each is started in turn; done_cb runs when trd_engine_stop ends the run.
 * Returns 0, -EINVAL (not idle, too many sources, a pull source), or the
 * first start error (the sources started before it are stopped).
 */
int trd_engine_live(struct trd_engine *e, struct trd_source **srcs, int n,
		    trd_engine_done_cb done_cb);

/*
 * A push source delivers one event (ignored unless a live run is
 * running).  Under the wall clock ev->ts_ns should be the receive time
 * (trd_clock_now); under a virtual clock (tests, recorded sessions) the
 * clock is first advanced to it, firing the timers due before it.
 */
void trd_engine_push(struct trd_engine *e, const struct trd_event *ev);

#endif
