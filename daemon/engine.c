/*
 * engine: see engine.h.
 *
 * The replay pump runs from a uv idle handle at speed max (the loop polls
 * without blocking between slices) and from a uv timer when paced (armed for
 * the wall deadline of the next event or timer).  Only one of the two is
 * active at a time.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "engine.h"
#include "errors.h"

static void pump(struct trd_engine *e);

int
trd_engine_init(struct trd_engine *e, uv_loop_t *loop,
		enum trd_clock_kind kind, int64_t start_ns)
{
	int rc;

	*e = (struct trd_engine){ .loop = loop };
	if ((rc = trd_clock_init(&e->clock, kind, loop, start_ns)) != 0)
		return rc;
	if ((rc = uv_timer_init(loop, &e->pace)) != 0 ||
	    (rc = uv_idle_init(loop, &e->idle)) != 0) {
		trd_clock_close(&e->clock);
		return rc;
	}
	e->pace.data = e;
	e->idle.data = e;
	e->handles_init = 1;
	return 0;
}

static void
stop_push(struct trd_engine *e, int n)
{
	for (int i = n - 1; i >= 0; i--)
		if (e->push[i]->ops->stop)
			e->push[i]->ops->stop(e->push[i]);
}

void
trd_engine_close(struct trd_engine *e)
{
	if (e->src) {
		e->src->ops->destroy(e->src);
		e->src = NULL;
	}
	if (e->state == TRD_ENGINE_RUNNING && e->mode == TRD_ENGINE_LIVE)
		stop_push(e, e->npush);
	for (int i = 0; i < e->npush; i++)
		e->push[i]->ops->destroy(e->push[i]);
	e->npush = 0;
	free(e->buf);
	e->buf = NULL;
	trd_clock_close(&e->clock);
	if (e->handles_init) {
		uv_close((uv_handle_t *)&e->pace, NULL);
		uv_close((uv_handle_t *)&e->idle, NULL);
		e->handles_init = 0;
	}
}

int
trd_engine_subscribe(struct trd_engine *e, trd_event_cb fn, void *arg)
{
	if (e->nsubs == TRD_ENGINE_MAX_SUBS)
		return -ENOSPC;
	e->subs[e->nsubs].fn = fn;
	e->subs[e->nsubs].arg = arg;
	e->nsubs++;
	return 0;
}

static inline void
deliver(struct trd_engine *e, const struct trd_event *ev)
{
	for (int i = 0; i < e->nsubs; i++)
		e->subs[i].fn(e->subs[i].arg, ev);
	if (e->stats.events++ == 0)
		e->stats.first_ns = ev->ts_ns;
	e->stats.last_ns = ev->ts_ns;
}

void
trd_engine_push(struct trd_engine *e, const struct trd_event *ev)
{
	if (e->state != TRD_ENGINE_RUNNING || e->mode != TRD_ENGINE_LIVE)
		return;
	if (e->clock.kind == TRD_CLOCK_VIRTUAL) {
		/* Timers due before the event see the data before it; one due
		 * at its time runs after it, as in a replay. */
		trd_clock_advance(&e->clock, ev->ts_ns, 0);
	}
	if (ev->type != TRD_EV_TIME) {
		deliver(e, ev);
		return;
	}
	/* Counted as a replay counts it, so both report the same. */
	if (e->stats.events++ == 0)
		e->stats.first_ns = ev->ts_ns;
	e->stats.last_ns = ev->ts_ns;
}

/* Count the events delivered from the buffer since the last flush. */
static void
flush_stats(struct trd_engine *e)
{
	int n = e->ibuf - e->run0;

	if (n <= 0)
		return;
	if (e->stats.events == 0)
		e->stats.first_ns = e->buf[e->run0].ts_ns;
	e->stats.events += (uint64_t)n;
	e->stats.last_ns = e->buf[e->ibuf - 1].ts_ns;
	e->run0 = e->ibuf;
}

static void
finish(struct trd_engine *e, int status)
{
	if (e->state != TRD_ENGINE_RUNNING)
		return;
	flush_stats(e);
	uv_idle_stop(&e->idle);
	uv_timer_stop(&e->pace);
	if (e->mode == TRD_ENGINE_LIVE)
		stop_push(e, e->npush);
	e->state = TRD_ENGINE_DONE;
	e->status = status;
	e->stats.wall_end_ns = trd_clock_mono_ns();
	if (e->done_cb)
		e->done_cb(e, status);
}

static void
idle_cb(uv_idle_t *h)
{
	pump(h->data);
}

static void
pace_cb(uv_timer_t *h)
{
	pump(h->data);
}

/* Wall (monotonic) time at which virtual time t is due under the pace. */
static int64_t
wall_due(const struct trd_engine *e, int64_t t)
{
	return e->wall_anchor +
	       (int64_t)llround((double)(t - e->virt_anchor) / e->speed);
}

/* If t is not yet due, arm the pace timer for it and return 1. */
static int
wait_for(struct trd_engine *e, int64_t t)
{
	int64_t wait = wall_due(e, t) - trd_clock_mono_ns();

	if (wait <= 0)
		return 0;
	uv_timer_start(&e->pace, pace_cb,
		       (uint64_t)((wait + TRD_NS_PER_MS - 1) / TRD_NS_PER_MS),
		       0);
	return 1;
}

/*
 * Deliver the buffered events from e->ibuf up to end, unpaced, stopping
 * before one a timer must precede (a callback may arm one) or once the
 * replay is stopped.  The per-event work is only this; the counts are
 * brought up to date by flush_stats.  Returns the number delivered.
 */
static int
run(struct trd_engine *e, int end)
{
	const struct trd_event *buf = e->buf;
	int i = e->ibuf, start = i;

	while (i < end) {
		const struct trd_event *ev = &buf[i];
		if (ev->ts_ns > trd_clock_next_due(&e->clock))
			break;
		trd_clock_set(&e->clock, ev->ts_ns);
		e->ibuf = ++i;
		if (__builtin_expect(ev->type == TRD_EV_TIME, 0))
			continue;
		for (int k = 0; k < e->nsubs; k++)
			e->subs[k].fn(e->subs[k].arg, ev);
		if (e->state != TRD_ENGINE_RUNNING)
			break;
	}
	return i - start;
}

static void
pump(struct trd_engine *e)
{
	int budget = e->speed > 0 ? TRD_ENGINE_BATCH : TRD_ENGINE_SLICE;

	while (e->state == TRD_ENGINE_RUNNING && budget > 0) {
		const struct trd_event *ev;
		int64_t due;

		if (e->ibuf == e->nbuf) {
			int n;
			flush_stats(e);
			n = e->src->ops->pull(e->src, e->buf, TRD_ENGINE_BATCH);
			if (n <= 0) {
				/* Timers due at the last event's time still
				 * see it. */
				if (n == 0)
					trd_clock_advance(&e->clock,
							  trd_clock_now(&e->clock), 1);
				finish(e, n);
				return;
			}
			e->nbuf = n;
			e->ibuf = e->run0 = 0;
		}
		ev = &e->buf[e->ibuf];
		due = trd_clock_next_due(&e->clock);
		if (due < ev->ts_ns) {
			/* A timer comes first. */
			if (e->speed > 0 && wait_for(e, due))
				return;
			trd_clock_advance(&e->clock, due, 1);
			budget--;
			continue;
		}
		if (e->speed > 0) {
			/* Paced: one event at a time, each at its due. */
			if (wait_for(e, ev->ts_ns))
				return;
			budget -= run(e, e->ibuf + 1);
		} else {
			budget -= run(e, e->nbuf - e->ibuf < budget
					 ? e->nbuf : e->ibuf + budget);
		}
	}
	flush_stats(e);
	/* Slice used up: at speed max the idle handle brings us back after
	 * the loop has polled; paced, come back on the next loop turn. */
	if (e->state == TRD_ENGINE_RUNNING && e->speed > 0)
		uv_timer_start(&e->pace, pace_cb, 0, 0);
}

int
trd_engine_replay(struct trd_engine *e, struct trd_source *src, double speed,
		  trd_engine_done_cb done_cb)
{
	if (e->clock.kind != TRD_CLOCK_VIRTUAL || e->state != TRD_ENGINE_IDLE ||
	    !(speed >= 0) || isinf(speed) || e->src != NULL ||
	    src->ops->pull == NULL) {
		src->ops->destroy(src);
		return -EINVAL;
	}
	if ((e->buf = malloc(TRD_ENGINE_BATCH * sizeof(*e->buf))) == NULL) {
		src->ops->destroy(src);
		return -ENOMEM;
	}
	e->src = src;
	e->mode = TRD_ENGINE_REPLAY;
	e->done_cb = done_cb;
	e->state = TRD_ENGINE_RUNNING;
	if (src->start_ns != TRD_TIME_UNSET)
		trd_clock_set(&e->clock, src->start_ns);
	e->stats.wall_start_ns = trd_clock_mono_ns();
	e->speed = -1; /* force set_speed to arm the right handle */
	trd_engine_set_speed(e, speed);
	return 0;
}

void
trd_engine_set_speed(struct trd_engine *e, double speed)
{
	if (!(speed >= 0) || isinf(speed) || speed == e->speed)
		return;
	e->speed = speed;
	e->virt_anchor = e->clock.virt_ns;
	e->wall_anchor = trd_clock_mono_ns();
	if (e->state != TRD_ENGINE_RUNNING)
		return;
	if (speed == 0) {
		uv_timer_stop(&e->pace);
		uv_idle_start(&e->idle, idle_cb);
	} else {
		uv_idle_stop(&e->idle);
		uv_timer_start(&e->pace, pace_cb, 0, 0);
	}
}

void
trd_engine_stop(struct trd_engine *e)
{
	finish(e, TRD_ESTOPPED);
}

void
trd_engine_fail(struct trd_engine *e, int status)
{
	finish(e, status);
}

int
trd_engine_live(struct trd_engine *e, struct trd_source **srcs, int n,
		trd_engine_done_cb done_cb)
{
	int rc = 0;

	if (e->state != TRD_ENGINE_IDLE || e->src != NULL || e->npush != 0 ||
	    n < 0 || n > TRD_ENGINE_MAX_PUSH)
		rc = -EINVAL;
	for (int i = 0; rc == 0 && i < n; i++)
		if (srcs[i]->ops->start == NULL)
			rc = -EINVAL;
	if (rc != 0) {
		for (int i = 0; i < n; i++)
			srcs[i]->ops->destroy(srcs[i]);
		return rc;
	}
	for (int i = 0; i < n; i++)
		e->push[i] = srcs[i];
	e->npush = n;
	e->mode = TRD_ENGINE_LIVE;
	e->done_cb = done_cb;
	e->state = TRD_ENGINE_RUNNING;
	e->stats.wall_start_ns = trd_clock_mono_ns();
	for (int i = 0; i < n; i++) {
		if ((rc = srcs[i]->ops->start(srcs[i], e)) != 0) {
			stop_push(e, i);
			for (int k = 0; k < n; k++)
				srcs[k]->ops->destroy(srcs[k]);
			e->npush = 0;
			e->state = TRD_ENGINE_IDLE;
			return rc;
		}
	}
	return 0;
}
