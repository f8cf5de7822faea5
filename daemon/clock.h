/*
 * clock: the only source of time in traderd.
 *
 * Two kinds share one interface.  The wall clock reads CLOCK_REALTIME and
 * fires timers from a libuv timer.  The virtual clock's time is whatever the
 * engine last set it to (the time of the event being processed); its timers
 * fire when the engine advances time past them, in due order, interleaved
 * with data events.  Code that needs "now" calls trd_clock_now() and nothing
 * else: that is what lets one loop run a live day or a replayed year.
 *
 * Timer ordering is total and deterministic: by due time, then by the order
 * timers were armed.  A timer callback may stop or re-arm any timer,
 * including itself.
 *
 * Invariants: virtual time never goes backwards; a timer is in the heap iff
 * its heap_idx != TRD_TIMER_IDLE.
 */
#ifndef TRD_CLOCK_H
#define TRD_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum trd_clock_kind {
	TRD_CLOCK_WALL,
	TRD_CLOCK_VIRTUAL,
};

struct trd_timer;
typedef void (*trd_timer_cb)(struct trd_timer *t, void *arg);

#define TRD_TIMER_IDLE ((size_t)-1)

/* Caller-owned; must stay valid while armed.  Zero-init then trd_timer_init. */
struct trd_timer {
	int64_t            due_ns;
	int64_t            period_ns; /* 0 for one-shot */
	uint64_t           seq;       /* arming order, breaks due-time ties */
	size_t             heap_idx;
	trd_timer_cb       cb;
	void              *arg;
	struct trd_clock  *clock;
};

struct trd_clock {
	enum trd_clock_kind kind;
	uv_loop_t          *loop;
	int64_t             virt_ns;  /* virtual: current time */
	struct trd_timer  **heap;
	size_t              nheap, capheap;
	uint64_t            seq;
	uv_timer_t          uvt;      /* wall: armed for the earliest timer */
	int                 uvt_init;
};

/* Set up a clock on loop (loop may be NULL for a virtual clock used without
 * a loop, as the tests and tools do).  Returns 0 or -errno. */
int trd_clock_init(struct trd_clock *c, enum trd_clock_kind kind,
		   uv_loop_t *loop, int64_t start_ns);
/* Stops every timer.  For a wall clock the uv handle is closed, so the loop
 * must be run once more before it can be closed. */
void trd_clock_close(struct trd_clock *c);

/* Current time in ns since the epoch (UTC). */
int64_t trd_clock_now(const struct trd_clock *c);

void trd_timer_init(struct trd_timer *t, struct trd_clock *c, trd_timer_cb cb,
		    void *arg);
/* Arm t to fire at due_ns, then every period_ns if period_ns > 0.  A due
 * time in the past fires at the next opportunity.  Re-arming an armed timer
 * moves it.  Returns 0, or -EINVAL for a negative period. */
int trd_timer_start(struct trd_timer *t, int64_t due_ns, int64_t period_ns);
void trd_timer_stop(struct trd_timer *t);
static inline int
trd_timer_active(const struct trd_timer *t)
{
	return t->heap_idx != TRD_TIMER_IDLE;
}

/* Virtual clock: due time of the earliest armed timer, or INT64_MAX. */
static inline int64_t
trd_clock_next_due(const struct trd_clock *c)
{
	return c->nheap ? c->heap[0]->due_ns : INT64_MAX;
}

/*
 * Virtual clock: fire, in order, every timer due before limit_ns (or at it,
 * when inclusive), setting the time to each one's due time as it fires, then
 * set the time to limit_ns.  A limit earlier than the current time leaves the
 * time where it is.
 */
void trd_clock_advance(struct trd_clock *c, int64_t limit_ns, int inclusive);

/* Virtual clock: set the time to t (the time of the event being
 * delivered), never backwards; timers are not fired (the engine fires
 * those due first with trd_clock_advance). */
static inline void
trd_clock_set(struct trd_clock *c, int64_t t)
{
	if (t > c->virt_ns)
		c->virt_ns = t;
}

/* Monotonic wall time in ns, for pacing and for measuring elapsed time
 * only; never for anything a strategy sees. */
int64_t trd_clock_mono_ns(void);


/* CLOCK_REALTIME in ns.  Only for wall clocks and tools that stamp files. */
int64_t trd_clock_realtime_ns(void);

#endif
