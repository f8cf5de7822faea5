/*
 * clock: timer ordering in virtual time, periodic and re-armed timers, the
 * wall clock on a real loop, and the engine's interleaving of timers with
 * data events.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine.h"
#include "helpers.h"
#include "timefmt.h"

#define SEC TRD_NS_PER_SEC

struct rec {
	char    log[64][48];
	int     n;
	struct trd_clock *clock;
};

static void
note(struct rec *r, const char *what, int64_t t)
{
	cr_assert_lt(r->n, 64);
	snprintf(r->log[r->n++], sizeof(r->log[0]), "%s@%lld", what,
		 (long long)(t / SEC));
}

struct named_timer {
	struct trd_timer t;
	const char      *name;
	struct rec      *rec;
	int              stop_after; /* stop itself after this many fires */
	int              fired;
};

static void
named_cb(struct trd_timer *t, void *arg)
{
	struct named_timer *nt = arg;

	note(nt->rec, nt->name, trd_clock_now(t->clock));
	if (++nt->fired == nt->stop_after)
		trd_timer_stop(t);
}

Test(clock, virtual_timers_fire_in_due_then_arming_order)
{
	struct trd_clock c;
	struct rec r = { 0 };
	struct named_timer a = { .name = "a", .rec = &r },
			   b = { .name = "b", .rec = &r },
			   cc = { .name = "c", .rec = &r };

	cr_assert_eq(trd_clock_init(&c, TRD_CLOCK_VIRTUAL, NULL, 100 * SEC), 0);
	cr_assert_eq(trd_clock_now(&c), 100 * SEC);
	trd_timer_init(&a.t, &c, named_cb, &a);
	trd_timer_init(&b.t, &c, named_cb, &b);
	trd_timer_init(&cc.t, &c, named_cb, &cc);
	trd_timer_start(&a.t, 130 * SEC, 0);
	trd_timer_start(&b.t, 110 * SEC, 0);
	trd_timer_start(&cc.t, 130 * SEC, 0); /* same due as a, armed later */
	trd_clock_advance(&c, 130 * SEC, 0);  /* exclusive: only b */
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.log[0], "b@110");
	cr_assert_eq(trd_clock_now(&c), 130 * SEC);
	trd_clock_advance(&c, 130 * SEC, 1);
	cr_assert_eq(r.n, 3);
	cr_assert_str_eq(r.log[1], "a@130");
	cr_assert_str_eq(r.log[2], "c@130");
	/* Time never goes back. */
	trd_clock_advance(&c, 120 * SEC, 1);
	cr_assert_eq(trd_clock_now(&c), 130 * SEC);
	trd_clock_close(&c);
}

Test(clock, periodic_timer_and_self_stop)
{
	struct trd_clock c;
	struct rec r = { 0 };
	struct named_timer p = { .name = "p", .rec = &r, .stop_after = 3 };

	trd_clock_init(&c, TRD_CLOCK_VIRTUAL, NULL, 0);
	trd_timer_init(&p.t, &c, named_cb, &p);
	cr_assert_eq(trd_timer_start(&p.t, 10 * SEC, 10 * SEC), 0);
	trd_clock_advance(&c, 1000 * SEC, 1);
	cr_assert_eq(r.n, 3);
	cr_assert_str_eq(r.log[0], "p@10");
	cr_assert_str_eq(r.log[1], "p@20");
	cr_assert_str_eq(r.log[2], "p@30");
	cr_assert_not(trd_timer_active(&p.t));
	cr_assert_eq(trd_timer_start(&p.t, 5, -1), -EINVAL);
	trd_clock_close(&c);
}

Test(clock, stop_and_rearm_before_due)
{
	struct trd_clock c;
	struct rec r = { 0 };
	struct named_timer a = { .name = "a", .rec = &r },
			   b = { .name = "b", .rec = &r };

	trd_clock_init(&c, TRD_CLOCK_VIRTUAL, NULL, 0);
	trd_timer_init(&a.t, &c, named_cb, &a);
	trd_timer_init(&b.t, &c, named_cb, &b);
	trd_timer_start(&a.t, 5 * SEC, 0);
	trd_timer_start(&b.t, 6 * SEC, 0);
	trd_timer_stop(&a.t);
	trd_timer_start(&b.t, 3 * SEC, 0); /* moved earlier */
	trd_clock_advance(&c, 10 * SEC, 1);
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.log[0], "b@3");
	trd_clock_close(&c);
}

/* Many timers at random dues fire in sorted order. */
Test(clock, heap_order_many)
{
	struct trd_clock c;
	struct trd_timer t[500];
	int64_t last = -1;
	int fired = 0;
	unsigned seed = 7;

	trd_clock_init(&c, TRD_CLOCK_VIRTUAL, NULL, 0);
	for (int i = 0; i < 500; i++) {
		trd_timer_init(&t[i], &c, NULL, NULL);
		seed = seed * 1103515245 + 12345;
		trd_timer_start(&t[i], (int64_t)(seed % 1000), 0);
	}
	for (int i = 0; i < 500; i += 3)
		trd_timer_stop(&t[i]);
	while (trd_clock_next_due(&c) != INT64_MAX) {
		int64_t due = trd_clock_next_due(&c);
		cr_assert_geq(due, last);
		last = due;
		/* Pop without a callback: stop the minimum. */
		for (int i = 0; i < 500; i++)
			if (trd_timer_active(&t[i]) && t[i].heap_idx == 0) {
				trd_timer_stop(&t[i]);
				fired++;
				break;
			}
	}
	cr_assert_eq(fired, 500 - 167);
	trd_clock_close(&c);
}

/* --- the engine: timers interleaved with data in virtual time --- */

struct vec_source {
	struct trd_source base;
	struct trd_event *ev;
	int n, i;
};

static int
vec_pull(struct trd_source *s, struct trd_event *out, int max)
{
	struct vec_source *v = (struct vec_source *)s;
	int n = 0;

	/* Deliberately small batches to cross batch boundaries. */
	if (max > 3)
		max = 3;
	while (n < max && v->i < v->n)
		out[n++] = v->ev[v->i++];
	return n;
}

static void
vec_destroy(struct trd_source *s)
{
	(void)s;
}

static const struct trd_source_ops vec_ops = {
	.kind = "vec", .pull = vec_pull, .destroy = vec_destroy };

static void
bar_cb(void *arg, const struct trd_event *ev)
{
	struct rec *r = arg;

	cr_assert_eq(trd_clock_now(r->clock), ev->ts_ns,
		     "clock must read the event's time while it runs");
	note(r, "bar", ev->ts_ns);
}

static void
done_cb(struct trd_engine *e, int status)
{
	cr_assert_eq(status, 0);
	trd_engine_close(e);
}

static struct trd_event
mkbar(int64_t open_s, uint32_t tf)
{
	struct trd_event ev = { .ts_ns = (open_s + tf) * SEC,
				.type = TRD_EV_BAR };
	ev.u.bar.ts_ns = open_s * SEC;
	ev.u.bar.tf_s = tf;
	return ev;
}

Test(engine, timer_fires_between_bars_in_virtual_time)
{
	/* Bars open 10:00, 10:01, 10:02 and are delivered at their close:
	 * 10:01, 10:02, 10:03.  A timer at 10:01:30 must run between the
	 * bar delivered at 10:01 and the one delivered at 10:02, and timers
	 * due exactly at an event's time run after it. */
	int64_t t0 = 36000; /* 10:00 */
	struct trd_event evs[3] = { mkbar(t0, 60), mkbar(t0 + 60, 60),
				    mkbar(t0 + 120, 60) };
	struct vec_source src = { { &vec_ops, t0 * SEC }, evs, 3, 0 };
	uv_loop_t loop;
	struct trd_engine e;
	struct rec r = { 0 };
	struct named_timer a = { .name = "t", .rec = &r },
			   b = { .name = "eq", .rec = &r },
			   late = { .name = "late", .rec = &r };

	uv_loop_init(&loop);
	cr_assert_eq(trd_engine_init(&e, &loop, TRD_CLOCK_VIRTUAL, 0), 0);
	r.clock = &e.clock;
	trd_engine_subscribe(&e, bar_cb, &r);
	trd_timer_init(&a.t, &e.clock, named_cb, &a);
	trd_timer_init(&b.t, &e.clock, named_cb, &b);
	trd_timer_init(&late.t, &e.clock, named_cb, &late);
	trd_timer_start(&a.t, (t0 + 90) * SEC, 0);
	trd_timer_start(&b.t, (t0 + 120) * SEC, 0);
	trd_timer_start(&late.t, (t0 + 3600) * SEC, 0); /* after the data */
	cr_assert_eq(trd_engine_replay(&e, &src.base, 0, done_cb), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(r.n, 5);
	cr_assert_str_eq(r.log[0], "bar@36060");
	cr_assert_str_eq(r.log[1], "t@36090");
	cr_assert_str_eq(r.log[2], "bar@36120");
	cr_assert_str_eq(r.log[3], "eq@36120");
	cr_assert_str_eq(r.log[4], "bar@36180");
	cr_assert_eq(uv_loop_close(&loop), 0, "loop must close cleanly");
}

/* A subscriber that, on the first bar, arms a timer 30 s on. */
struct arming {
	struct rec         r;
	struct named_timer t;
	int                armed;
};

static void
arming_bar_cb(void *arg, const struct trd_event *ev)
{
	struct arming *a = arg;

	bar_cb(&a->r, ev);
	if (!a->armed++)
		trd_timer_start(&a->t.t, ev->ts_ns + 30 * SEC, 0);
}

static void
count_done_cb(struct trd_engine *e, int status)
{
	cr_assert_eq(status, 0);
	/* Every event counted, across pulls, the first and last times
	 * kept. */
	cr_assert_eq(e->stats.events, 4);
	cr_assert_eq(e->stats.first_ns, 36060 * SEC);
	cr_assert_eq(e->stats.last_ns, 36240 * SEC);
	trd_engine_close(e);
}

Test(engine, timer_armed_by_a_bar_fires_before_the_next_bar)
{
	/* The first three bars come in one pull; the first arms a timer
	 * due before the second is delivered.  At speed max the engine
	 * hands a pull's events on in one run, which must stop for it. */
	int64_t t0 = 36000;
	struct trd_event evs[4] = { mkbar(t0, 60), mkbar(t0 + 60, 60),
				    mkbar(t0 + 120, 60), mkbar(t0 + 180, 60) };
	struct vec_source src = { { &vec_ops, t0 * SEC }, evs, 4, 0 };
	uv_loop_t loop;
	struct trd_engine e;
	struct arming a = { .t = { .name = "armed" } };

	a.t.rec = &a.r;
	uv_loop_init(&loop);
	cr_assert_eq(trd_engine_init(&e, &loop, TRD_CLOCK_VIRTUAL, 0), 0);
	a.r.clock = &e.clock;
	trd_engine_subscribe(&e, arming_bar_cb, &a);
	trd_timer_init(&a.t.t, &e.clock, named_cb, &a.t);
	cr_assert_eq(trd_engine_replay(&e, &src.base, 0, count_done_cb), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(a.r.n, 5);
	cr_assert_str_eq(a.r.log[0], "bar@36060");
	cr_assert_str_eq(a.r.log[1], "armed@36090");
	cr_assert_str_eq(a.r.log[2], "bar@36120");
	cr_assert_str_eq(a.r.log[3], "bar@36180");
	cr_assert_str_eq(a.r.log[4], "bar@36240");
	cr_assert_eq(uv_loop_close(&loop), 0);
}

/* Records when (monotonic) each bar of a paced replay is delivered. */
struct paced {
	struct rec r;
	int64_t    at[10];
};

static void
paced_bar_cb(void *arg, const struct trd_event *ev)
{
	struct paced *p = arg;

	cr_assert_lt(p->r.n, 10);
	p->at[p->r.n] = trd_clock_mono_ns();
	bar_cb(&p->r, ev);
}

/*
 * 10 bars of 60 s at speed 1200: bar i is due (i + 1) * 50 ms after the
 * start, 0.5 s in all.  The pacer anchors every due time to the start, so
 * no bar may come before its time, however fast the machine (that is
 * what proves pacing), and a late wake-up does not carry over to the
 * next bar: only the last one's lateness adds to the total.  The upper
 * bound gives a loaded machine half a second for it, and still fails a
 * pacer running at half the speed asked or slower.
 */
Test(engine, paced_replay_keeps_virtual_time_in_step_with_wall)
{
	struct trd_event evs[10];
	struct vec_source src = { { &vec_ops, 0 }, evs, 10, 0 };
	uv_loop_t loop;
	struct trd_engine e;
	struct paced p = { 0 };
	const double speed = 1200;
	int64_t t0;
	double wall;

	for (int i = 0; i < 10; i++)
		evs[i] = mkbar(i * 60, 60);
	uv_loop_init(&loop);
	trd_engine_init(&e, &loop, TRD_CLOCK_VIRTUAL, 0);
	p.r.clock = &e.clock;
	trd_engine_subscribe(&e, paced_bar_cb, &p);
	t0 = trd_clock_mono_ns();
	cr_assert_eq(trd_engine_replay(&e, &src.base, speed, done_cb), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	wall = (double)(trd_clock_mono_ns() - t0) / 1e9;
	cr_assert_eq(p.r.n, 10);
	for (int i = 0; i < 10; i++) {
		double due = (double)evs[i].ts_ns / speed / 1e9;
		double at = (double)(p.at[i] - t0) / 1e9;
		cr_assert_geq(at, due, "bar %d delivered at %.4f s, due at "
			      "%.4f s", i, at, due);
	}
	cr_assert_leq(wall, 1.0, "wall %.4f s for 0.5 s of paced replay",
		      wall);
	cr_assert_eq(uv_loop_close(&loop), 0);
}

struct wall_ctx {
	uv_loop_t *loop;
	int        fired;
	int64_t    due;
};

static void
wall_cb(struct trd_timer *t, void *arg)
{
	struct wall_ctx *w = arg;

	cr_assert_geq(trd_clock_now(t->clock), w->due,
		      "wall timer fired early");
	w->fired++;
	trd_clock_close(t->clock);
}

Test(clock, wall_timer_on_loop)
{
	uv_loop_t loop;
	struct trd_clock c;
	struct trd_timer t;
	struct wall_ctx w = { &loop, 0, 0 };

	uv_loop_init(&loop);
	cr_assert_eq(trd_clock_init(&c, TRD_CLOCK_WALL, &loop, 0), 0);
	trd_timer_init(&t, &c, wall_cb, &w);
	w.due = trd_clock_now(&c) + 20 * TRD_NS_PER_MS;
	trd_timer_start(&t, w.due, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(w.fired, 1);
	cr_assert_eq(uv_loop_close(&loop), 0);
}
