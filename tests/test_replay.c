/*
 * replay: the k-way merge delivers every stored bar of every symbol exactly
 * once, in delivery-time order with deterministic ties, over any range.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "helpers.h"
#include "instrument.h"
#include "replay.h"
#include "store.h"
#include "config.h"

/* The test's store directory, removed by teardown (or by the runner if
 * the test crashes: helpers.c). */
static char *dir;

static void
setup(void)
{
	dir = th_tmpdir();
	cr_assert_not_null(dir);
}

static void
teardown(void)
{
	th_rmtree(dir);
	free(dir);
}

TestSuite(replay, .init = setup, .fini = teardown);

#define SEC TRD_NS_PER_SEC

struct seen {
	struct trd_event *ev;
	size_t n, cap;
};

static void
record_cb(void *arg, const struct trd_event *ev)
{
	struct seen *s = arg;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->ev = realloc(s->ev, s->cap * sizeof(*s->ev));
	}
	s->ev[s->n++] = *ev;
}

static void
done_cb(struct trd_engine *e, int status)
{
	cr_assert_eq(status, 0);
	trd_engine_close(e);
}

/* Symbol k has bars every step_k minutes starting at start_k, n_k bars. */
static void
fill(struct trd_store *s, uint32_t sym, int64_t start, int step, int n)
{
	struct trd_store_batch b;
	enum trd_put_result r;

	cr_assert_eq(trd_store_batch_begin(s, &b), 0);
	for (int i = 0; i < n; i++) {
		int64_t ts = (start + (int64_t)i * step * 60) * SEC;
		struct trd_bar bar = { .ts_ns = ts, .open = sym * 1000 + i,
				       .high = sym * 1000 + i, .low = sym * 1000 + i,
				       .close = sym * 1000 + i, .volume = i,
				       .sym = sym, .tf_s = 60 };
		cr_assert_eq(trd_store_batch_put(&b, &bar, &r), 0);
	}
	/* A different timeframe must never leak into a 1m replay. */
	struct trd_bar other = { .ts_ns = start * SEC, .sym = sym, .tf_s = 3600 };
	cr_assert_eq(trd_store_batch_put(&b, &other, &r), 0);
	cr_assert_eq(trd_store_batch_commit(&b), 0);
}

/* Replay the symbols names[0..n) (registry handles 0..n-1, in that
 * order) from the store. */
static struct seen
run(struct trd_store *s, const char *const *names, size_t n, int64_t from,
    int64_t to)
{
	uv_loop_t loop;
	struct trd_engine e;
	struct trd_source *src;
	struct seen seen = { 0 };
	struct trd_instr v[4] = { 0 };
	struct trd_registry reg;

	for (size_t i = 0; i < n; i++) {
		strcpy(v[i].symbol, names[i]);
		v[i].price_dp = v[i].qty_dp = 8;
	}
	cr_assert_eq(trd_registry_init_from(&reg, v, n), 0);
	cr_assert_eq(trd_registry_map_store(&reg, s), 0);
	uv_loop_init(&loop);
	cr_assert_eq(trd_replay_open(&src, s, &reg, 60, from, to, 0), 0);
	cr_assert_eq(trd_engine_init(&e, &loop, TRD_CLOCK_VIRTUAL,
				     src->start_ns == TRD_TIME_UNSET ? 0 : src->start_ns), 0);
	trd_engine_subscribe(&e, record_cb, &seen);
	cr_assert_eq(trd_engine_replay(&e, src, 0, done_cb), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	trd_registry_free(&reg);
	return seen;
}

Test(replay, two_symbols_every_bar_once_in_order)
{
	struct trd_store *s;
	struct trd_instrument a = { .price_dp = 8, .qty_dp = 8 }, b = a, ia, ib;

	cr_assert_eq(trd_store_open(&s, dir, TRD_STORE_CREATE, NULL), 0);
	strcpy(a.symbol, "AAA");
	strcpy(b.symbol, "BBB");
	trd_store_instrument_ensure(s, &a, &ia);
	trd_store_instrument_ensure(s, &b, &ib);
	/* A: every minute for 3000 bars; B: every 3 minutes, starting 1 h
	 * later, 1500 bars (overlapping and outlasting A; ties every 3rd). */
	fill(s, ia.id, 1600000020 - 1600000020 % 60, 1, 3000);
	fill(s, ib.id, 1600000020 - 1600000020 % 60 + 3600, 3, 1500);

	/* Ties go in the order the symbols are listed: try both orders. */
	for (int order = 0; order < 2; order++) {
		const char *names[2] = { order ? "BBB" : "AAA",
					 order ? "AAA" : "BBB" };
		/* The handles the bars of A and B carry. */
		uint32_t ha = order ? 1 : 0, hb = order ? 0 : 1;
		struct seen seen = run(s, names, 2, TRD_TIME_MIN, TRD_TIME_MAX);
		size_t na = 0, nb = 0;

		cr_assert_eq(seen.n, 4500);
		for (size_t i = 0; i < seen.n; i++) {
			const struct trd_event *ev = &seen.ev[i];
			cr_assert_eq(ev->ts_ns, ev->u.bar.ts_ns + 60 * SEC,
				     "a bar is delivered at its close");
			cr_assert_eq(ev->sym, ev->u.bar.sym);
			if (ev->sym == ha)
				cr_assert_eq(ev->u.bar.close, (int64_t)(ia.id * 1000 + na++),
					     "A bars skipped or repeated");
			else
				cr_assert(ev->sym == hb &&
					  ev->u.bar.close == (int64_t)(ib.id * 1000 + nb++),
					  "B bars skipped or repeated");
			if (i > 0) {
				const struct trd_event *p = &seen.ev[i - 1];
				cr_assert_geq(ev->ts_ns, p->ts_ns, "out of order at %zu", i);
				if (ev->ts_ns == p->ts_ns)
					cr_assert_eq(p->sym, 0,
						     "tie must go to the first-listed symbol");
			}
		}
		cr_assert_eq(na, 3000);
		cr_assert_eq(nb, 1500);
		free(seen.ev);
	}

	/* A range selects bars by open time, [from, to). */
	const char *names[2] = { "AAA", "BBB" };
	int64_t t0 = (1600000020 - 1600000020 % 60) * SEC;
	struct seen seen = run(s, names, 2, t0 + 3600 * SEC, t0 + 7200 * SEC);
	cr_assert_eq(seen.n, 60 + 20);
	cr_assert_eq(seen.ev[0].u.bar.ts_ns, t0 + 3600 * SEC);
	cr_assert_eq(seen.ev[seen.n - 1].u.bar.ts_ns, t0 + 7140 * SEC);
	free(seen.ev);

	/* An empty range ends at once, cleanly. */
	seen = run(s, names, 2, 0, SEC);
	cr_assert_eq(seen.n, 0);
	free(seen.ev);
	trd_store_close(s);
}
