/*
 * clock: see clock.h.  Both kinds keep armed timers in one binary min-heap
 * ordered by (due_ns, seq).  The wall clock keeps a single uv timer armed
 * for the heap's minimum; the virtual clock is driven by the engine through
 * trd_clock_advance().
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "traderd/types.h"

static int
before(const struct trd_timer *a, const struct trd_timer *b)
{
	return a->due_ns < b->due_ns ||
	       (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void
heap_set(struct trd_clock *c, size_t i, struct trd_timer *t)
{
	c->heap[i] = t;
	t->heap_idx = i;
}

static void
sift_up(struct trd_clock *c, size_t i)
{
	struct trd_timer *t = c->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(t, c->heap[p]))
			break;
		heap_set(c, i, c->heap[p]);
		i = p;
	}
	heap_set(c, i, t);
}

static void
sift_down(struct trd_clock *c, size_t i)
{
	struct trd_timer *t = c->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct trd_timer *best = t;
		if (l < c->nheap && before(c->heap[l], best)) {
			m = l;
			best = c->heap[l];
		}
		if (r < c->nheap && before(c->heap[r], best))
			m = r;
		if (m == i)
			break;
		heap_set(c, i, c->heap[m]);
		i = m;
	}
	heap_set(c, i, t);
}

static void
heap_remove(struct trd_clock *c, struct trd_timer *t)
{
	size_t i = t->heap_idx;
	struct trd_timer *last = c->heap[--c->nheap];

	t->heap_idx = TRD_TIMER_IDLE;
	if (last == t)
		return;
	heap_set(c, i, last);
	sift_up(c, i);
	sift_down(c, last->heap_idx);
}

int64_t
trd_clock_mono_ns(void)
{
	return (int64_t)uv_hrtime();
}

int64_t
trd_clock_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * TRD_NS_PER_SEC + ts.tv_nsec;
}

int64_t
trd_clock_now(const struct trd_clock *c)
{
	return c->kind == TRD_CLOCK_VIRTUAL ? c->virt_ns
					    : trd_clock_realtime_ns();
}

static void wall_arm(struct trd_clock *c);

/* Pops and runs the heap's minimum; periodic timers are re-armed first so
 * the callback may stop them. */
static void
fire_min(struct trd_clock *c)
{
	struct trd_timer *t = c->heap[0];

	heap_remove(c, t);
	if (t->period_ns > 0) {
		t->due_ns += t->period_ns;
		t->seq = c->seq++;
		c->heap[c->nheap] = t;
		t->heap_idx = c->nheap++;
		sift_up(c, t->heap_idx);
	}
	t->cb(t, t->arg);
}

static void
wall_timer_cb(uv_timer_t *h)
{
	struct trd_clock *c = h->data;
	int64_t now = trd_clock_realtime_ns();

	while (c->nheap && c->heap[0]->due_ns <= now)
		fire_min(c);
	wall_arm(c);
}

static void
wall_arm(struct trd_clock *c)
{
	int64_t wait_ns;
	uint64_t ms;

	if (c->kind != TRD_CLOCK_WALL || !c->uvt_init)
		return;
	if (c->nheap == 0) {
		uv_timer_stop(&c->uvt);
		return;
	}
	wait_ns = c->heap[0]->due_ns - trd_clock_realtime_ns();
	/* Round up so the callback never runs before the due time. */
	ms = wait_ns <= 0 ? 0 : (uint64_t)((wait_ns + TRD_NS_PER_MS - 1) /
					    TRD_NS_PER_MS);
	uv_timer_start(&c->uvt, wall_timer_cb, ms, 0);
}

int
trd_clock_init(struct trd_clock *c, enum trd_clock_kind kind, uv_loop_t *loop,
	       int64_t start_ns)
{
	*c = (struct trd_clock){ .kind = kind, .loop = loop,
				 .virt_ns = start_ns };
	if (kind == TRD_CLOCK_WALL) {
		int rc;
		if (loop == NULL)
			return -EINVAL;
		if ((rc = uv_timer_init(loop, &c->uvt)) != 0)
			return rc;
		c->uvt.data = c;
		c->uvt_init = 1;
	}
	return 0;
}

void
trd_clock_close(struct trd_clock *c)
{
	while (c->nheap)
		heap_remove(c, c->heap[0]);
	free(c->heap);
	c->heap = NULL;
	c->capheap = 0;
	if (c->uvt_init) {
		uv_close((uv_handle_t *)&c->uvt, NULL);
		c->uvt_init = 0;
	}
}

void
trd_timer_init(struct trd_timer *t, struct trd_clock *c, trd_timer_cb cb,
	       void *arg)
{
	*t = (struct trd_timer){ .heap_idx = TRD_TIMER_IDLE, .cb = cb,
				 .arg = arg, .clock = c };
}

int
trd_timer_start(struct trd_timer *t, int64_t due_ns, int64_t period_ns)
{
	struct trd_clock *c = t->clock;

	if (period_ns < 0)
		return -EINVAL;
	if (trd_timer_active(t))
		heap_remove(c, t);
	if (c->nheap == c->capheap) {
		size_t cap = c->capheap ? c->capheap * 2 : 16;
		struct trd_timer **h = realloc(c->heap, cap * sizeof(*h));
		if (h == NULL)
			return -ENOMEM;
		c->heap = h;
		c->capheap = cap;
	}
	t->due_ns = due_ns;
	t->period_ns = period_ns;
	t->seq = c->seq++;
	c->heap[c->nheap] = t;
	t->heap_idx = c->nheap++;
	sift_up(c, t->heap_idx);
	if (c->heap[0] == t)
		wall_arm(c);
	return 0;
}

void
trd_timer_stop(struct trd_timer *t)
{
	if (!trd_timer_active(t))
		return;
	heap_remove(t->clock, t);
	if (t->clock->kind == TRD_CLOCK_WALL)
		wall_arm(t->clock);
}

void
trd_clock_advance(struct trd_clock *c, int64_t limit_ns, int inclusive)
{
	while (c->nheap) {
		int64_t due = c->heap[0]->due_ns;
		if (due > limit_ns || (due == limit_ns && !inclusive))
			break;
		if (due > c->virt_ns)
			c->virt_ns = due;
		fire_min(c);
	}
	if (limit_ns > c->virt_ns)
		c->virt_ns = limit_ns;
}
