/*
 * oms: the order manager's state machine and guards, driven by reports as
 * a network venue sends them (late, repeated, out of order), its link
 * rules for a venue without native OCO, client ids, subscribers, and
 * closed orders leaving memory.  The venue here only records what it is
 * asked; the tests play its reports.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rig.h"

#define SEC 1000000000LL

/* ---- a venue that answers nothing by itself ---- */

struct call {
	char     what; /* 's'ubmit, 'c'ancel, 'a'mend */
	uint64_t id;
	unsigned flags;
	int64_t  qty, price;
	char     reason[96];
};

static struct call calls[64];
static int ncalls;

static void
record(char what, const struct trd_order *o, unsigned flags, int64_t qty,
       int64_t price, const char *reason)
{
	cr_assert_lt(ncalls, 64);
	calls[ncalls] = (struct call){ what, o->id, flags, qty, price, "" };
	if (reason)
		snprintf(calls[ncalls].reason, sizeof(calls[ncalls].reason),
			 "%s", reason);
	ncalls++;
}

static int
null_submit(struct trd_venue *v, const struct trd_order *o, unsigned flags)
{
	(void)v;
	record('s', o, flags, o->qty, o->price, NULL);
	return 0;
}

static int
null_cancel(struct trd_venue *v, const struct trd_order *o, const char *why)
{
	(void)v;
	record('c', o, 0, 0, 0, why);
	return 0;
}

static int
null_amend(struct trd_venue *v, const struct trd_order *o, int64_t qty,
	   int64_t price, unsigned flags)
{
	(void)v;
	record('a', o, flags, qty, price, NULL);
	return 0;
}

static void
null_market(struct trd_venue *v, const struct trd_event *ev)
{
	(void)v, (void)ev;
}

static void
null_tick(struct trd_venue *v, int64_t now)
{
	(void)v, (void)now;
}

static int64_t
null_next_due(const struct trd_venue *v)
{
	(void)v;
	return INT64_MAX;
}

static void
null_destroy(struct trd_venue *v)
{
	free(v);
}

static const struct trd_venue_ops null_ops = {
	.kind = "null", .submit = null_submit, .cancel = null_cancel,
	.amend = null_amend, .market = null_market, .tick = null_tick,
	.next_due = null_next_due, .finish = null_tick,
	.destroy = null_destroy,
};

static int
null_open(struct trd_venue **out, const struct trd_venue_env *env)
{
	struct trd_venue *v = calloc(1, sizeof(*v));

	*v = (struct trd_venue){ .ops = &null_ops, .report = env->report,
				 .report_arg = env->report_arg,
				 .clock = env->clock };
	*out = v;
	return 0;
}

static const struct trd_venue_class null_class = { "null", null_open };

static void
open_rig(struct rig *r)
{
	struct rig_opts o = { .venue = "null" };

	ncalls = 0;
	cr_assert_eq(trd_venue_register(&null_class), 0);
	rig_open(r, &o);
}

static void
rep(struct rig *r, int kind, uint64_t id, int64_t ts)
{
	struct trd_venue_report x = { .kind = (uint32_t)kind, .id = id,
				      .ts_ns = ts, .venue_id = "V1",
				      .qty = rig_order(r, id)->qty,
				      .price = rig_order(r, id)->price,
				      .reason = "by the venue" };
	rig_report(r, &x);
}

static void
fill(struct rig *r, uint64_t id, uint64_t exec, int64_t qty, int64_t px,
     int64_t ts)
{
	struct trd_venue_report x = { .kind = TRD_VR_FILL, .id = id,
				      .ts_ns = ts, .exec_id = exec,
				      .fill_qty = qty, .fill_price = px };
	rig_report(r, &x);
}

static uint64_t
buy(struct rig *r, int64_t qty, int64_t px)
{
	return rig_submit(r, 0, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, qty, px, SEC);
}

static int
status(struct rig *r, uint64_t id)
{
	return rig_order(r, id)->status;
}

Test(oms, every_transition)
{
	struct rig r;
	uint64_t a, b, c, d, e;

	open_rig(&r);
	a = buy(&r, 10, 100);
	cr_assert_eq(status(&r, a), TRD_ORDER_NEW);
	cr_assert(rig_order(&r, a)->routed && rig_order(&r, a)->listed);
	rep(&r, TRD_VR_ACCEPTED, a, 2 * SEC);
	cr_assert_eq(status(&r, a), TRD_ORDER_ACCEPTED);
	cr_assert_str_eq(rig_order(&r, a)->venue_id, "V1");
	fill(&r, a, 1, 4, 100, 3 * SEC);
	cr_assert_eq(status(&r, a), TRD_ORDER_PARTIALLY_FILLED);
	fill(&r, a, 2, 6, 99, 4 * SEC);
	cr_assert_eq(status(&r, a), TRD_ORDER_FILLED);
	cr_assert_eq(rig_order(&r, a)->filled, 10);
	cr_assert_eq(trd_order_avg_price(rig_order(&r, a)), 99); /* 99.4 */
	cr_assert(!rig_order(&r, a)->listed);

	b = buy(&r, 10, 100);
	rep(&r, TRD_VR_REJECTED, b, 2 * SEC);
	cr_assert_eq(status(&r, b), TRD_ORDER_REJECTED);
	c = buy(&r, 10, 100);
	rep(&r, TRD_VR_ACCEPTED, c, 2 * SEC);
	rep(&r, TRD_VR_CANCELED, c, 3 * SEC);
	cr_assert_eq(status(&r, c), TRD_ORDER_CANCELED);
	cr_assert_str_eq(rig_order(&r, c)->reason, "by the venue");
	d = buy(&r, 10, 100);
	rep(&r, TRD_VR_ACCEPTED, d, 2 * SEC);
	fill(&r, d, 3, 5, 100, 3 * SEC);
	rep(&r, TRD_VR_EXPIRED, d, 4 * SEC);
	cr_assert_eq(status(&r, d), TRD_ORDER_EXPIRED);
	cr_assert_eq(rig_order(&r, d)->filled, 5);
	/* Not routed: canceled here, the venue never hears of it. */
	e = rig_new(&r, 0, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10, 100, SEC);
	ncalls = 0;
	cr_assert_eq(rig_cancel(&r, e, "mine", SEC), 0);
	cr_assert_eq(status(&r, e), TRD_ORDER_CANCELED);
	cr_assert_eq(ncalls, 0);
	cr_assert_eq(rig_cancel(&r, e, "again", SEC), -ENOENT);
	cr_assert_eq(r.oms.stats.filled, 1);
	cr_assert_eq(r.oms.stats.rejected, 1);
	cr_assert_eq(r.oms.stats.canceled, 2);
	cr_assert_eq(r.oms.stats.expired, 1);
	cr_assert_eq(r.oms.stats.partial, 1);
	cr_assert_eq(r.oms.nlisted, 0);
	cr_assert_eq(r.oms.nopen, 0);
	rig_close(&r);
}

Test(oms, closed_orders_never_reopen)
{
	struct rig r;
	uint64_t a;
	int nev;

	open_rig(&r);
	a = buy(&r, 10, 100);
	rep(&r, TRD_VR_ACCEPTED, a, 2 * SEC);
	rep(&r, TRD_VR_CANCELED, a, 3 * SEC);
	nev = r.nev;
	/* A late ack, a second cancel, an expiry, an amend: ignored. */
	rep(&r, TRD_VR_ACCEPTED, a, 4 * SEC);
	rep(&r, TRD_VR_CANCELED, a, 4 * SEC);
	rep(&r, TRD_VR_EXPIRED, a, 4 * SEC);
	rep(&r, TRD_VR_AMENDED, a, 4 * SEC);
	cr_assert_eq(status(&r, a), TRD_ORDER_CANCELED);
	cr_assert_eq(r.oms.stats.late, 4);
	/* A fill on the closed order: refused, the books untouched. */
	fill(&r, a, 9, 5, 100, 5 * SEC);
	cr_assert_eq(rig_order(&r, a)->filled, 0);
	cr_assert_eq(r.oms.stats.refused_closed, 1);
	cr_assert_eq(r.nfills, 0);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->qty, 0);
	cr_assert_eq(r.nev, nev, "no update for refused or ignored reports");
	rig_close(&r);
}

Test(oms, overfills_and_repeated_executions_are_refused)
{
	struct rig r;
	uint64_t a;

	open_rig(&r);
	a = buy(&r, 10, 100);
	rep(&r, TRD_VR_ACCEPTED, a, 2 * SEC);
	fill(&r, a, 1, 4, 100, 3 * SEC);
	fill(&r, a, 1, 4, 100, 3 * SEC); /* the same execution again */
	cr_assert_eq(rig_order(&r, a)->filled, 4);
	cr_assert_eq(r.oms.stats.refused_dup, 1);
	fill(&r, a, 2, 7, 100, 4 * SEC); /* 4 + 7 > 10 */
	cr_assert_eq(rig_order(&r, a)->filled, 4);
	cr_assert_eq(r.oms.stats.refused_overfill, 1);
	fill(&r, a, 3, 0, 100, 4 * SEC); /* nonsense */
	fill(&r, a, 4, 1, -5, 4 * SEC);
	cr_assert_eq(r.oms.stats.refused_overfill, 3);
	/* Many executions: each remembered (past the inline few). */
	for (uint64_t x = 10; x < 16; x++)
		fill(&r, a, x, 1, 100, 5 * SEC);
	cr_assert_eq(rig_order(&r, a)->filled, 10);
	cr_assert_eq(status(&r, a), TRD_ORDER_FILLED);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->qty, 10);
	cr_assert_eq(r.nfills, 7);
	rig_close(&r);
}

Test(oms, duplicates_found_past_the_inline_ids)
{
	struct rig r;
	uint64_t a;

	open_rig(&r);
	a = buy(&r, 100, 100);
	for (uint64_t x = 1; x <= 20; x++)
		fill(&r, a, x, 1, 100, 5 * SEC);
	/* Replays of an old and of a recent one, after a reconnect. */
	fill(&r, a, 2, 1, 100, 6 * SEC);
	fill(&r, a, 19, 1, 100, 6 * SEC);
	cr_assert_eq(rig_order(&r, a)->filled, 20);
	cr_assert_eq(r.oms.stats.refused_dup, 2);
	rig_close(&r);
}

Test(oms, out_of_order_reports)
{
	struct rig r;
	uint64_t a, b, c;

	open_rig(&r);
	/* A fill before the ack: the ack is implied; the late one changes
	 * nothing but records the venue's id. */
	a = buy(&r, 10, 100);
	fill(&r, a, 1, 3, 100, 2 * SEC);
	cr_assert_eq(status(&r, a), TRD_ORDER_PARTIALLY_FILLED);
	rep(&r, TRD_VR_ACCEPTED, a, 3 * SEC);
	cr_assert_eq(status(&r, a), TRD_ORDER_PARTIALLY_FILLED);
	cr_assert_str_eq(rig_order(&r, a)->venue_id, "V1");
	cr_assert_eq(r.oms.stats.late, 1);
	/* A cancel ack after the last fill: the order stays filled. */
	b = buy(&r, 10, 100);
	rep(&r, TRD_VR_ACCEPTED, b, 2 * SEC);
	cr_assert_eq(rig_cancel(&r, b, "wanted out", 3 * SEC), 0);
	cr_assert(rig_order(&r, b)->cancel_sent);
	cr_assert_eq(rig_cancel(&r, b, "twice", 3 * SEC), -ENOENT);
	fill(&r, b, 2, 10, 100, 4 * SEC);
	rep(&r, TRD_VR_CANCELED, b, 5 * SEC);
	cr_assert_eq(status(&r, b), TRD_ORDER_FILLED);
	cr_assert_eq(r.oms.stats.late, 2);
	/* A cancel ack after a partial fill: canceled, the fill kept. */
	c = buy(&r, 10, 100);
	fill(&r, c, 3, 4, 100, 2 * SEC);
	rep(&r, TRD_VR_CANCELED, c, 3 * SEC);
	cr_assert_eq(status(&r, c), TRD_ORDER_CANCELED);
	cr_assert_eq(rig_order(&r, c)->filled, 4);
	/* A rejection after a fill cannot be: ignored. */
	a = buy(&r, 10, 100);
	fill(&r, a, 4, 1, 100, 2 * SEC);
	rep(&r, TRD_VR_REJECTED, a, 3 * SEC);
	cr_assert_eq(status(&r, a), TRD_ORDER_PARTIALLY_FILLED);
	/* An id the OMS never gave out. */
	rig_report(&r, &(struct trd_venue_report){ .kind = TRD_VR_FILL,
						   .id = 424242,
						   .fill_qty = 1,
						   .fill_price = 1 });
	cr_assert_eq(r.oms.stats.unknown, 1);
	cr_assert_eq(trd_portfolio_pos(&r.pf, 0, 0)->qty, 3 + 10 + 4 + 1);
	rig_close(&r);
}

Test(oms, closed_orders_leave_memory)
{
	struct rig r;
	uint64_t ids[6];

	open_rig(&r);
	r.oms.keep_closed = 2;
	for (int i = 0; i < 6; i++)
		ids[i] = buy(&r, 10, 100);
	for (int i = 0; i < 5; i++)
		rep(&r, TRD_VR_CANCELED, ids[i], 2 * SEC);
	/* Closed orders stay readable until the session's safe time. */
	cr_assert_not_null(trd_oms_get(&r.oms, ids[0]));
	trd_oms_gc(&r.oms);
	for (int i = 0; i < 3; i++)
		cr_assert_null(trd_oms_get(&r.oms, ids[i]));
	cr_assert_not_null(trd_oms_get(&r.oms, ids[3]));
	cr_assert_not_null(trd_oms_get(&r.oms, ids[4]));
	cr_assert_not_null(trd_oms_get(&r.oms, ids[5]), "open orders stay");
	cr_assert_eq(r.oms.nretired, 2);
	/* A report for a freed order is an unknown id, counted. */
	rep(&r, TRD_VR_ACCEPTED, ids[5], 2 * SEC);
	rig_report(&r, &(struct trd_venue_report){ .kind = TRD_VR_CANCELED,
						   .id = ids[0] });
	cr_assert_eq(r.oms.stats.unknown, 1);
	rig_close(&r);
}

struct seen {
	int     n;
	uint64_t ids[16];
	int      statuses[16];
};

static void
seen_cb(void *arg, const struct trd_order *o, const struct trd_oms_fill *f)
{
	struct seen *s = arg;

	if (f == NULL && s->n < 16) {
		s->ids[s->n] = o->id;
		s->statuses[s->n++] = o->status;
	}
}

Test(oms, subscribers_and_client_ids)
{
	struct rig r;
	struct seen one = { 0 }, two = { 0 };
	struct trd_order_spec sp = { .strat = 255, .ins = 1,
				     .seq = UINT32_MAX, .side = TRD_SIDE_BUY,
				     .type = TRD_ORDER_MARKET, .qty = 1 };
	struct trd_order *o;
	uint64_t a;

	open_rig(&r);
	cr_assert_eq(trd_oms_subscribe(&r.oms, seen_cb, &one), 0);
	cr_assert_eq(trd_oms_subscribe(&r.oms, seen_cb, &two), 0);
	a = buy(&r, 10, 100);
	rep(&r, TRD_VR_ACCEPTED, a, 2 * SEC);
	fill(&r, a, 1, 10, 100, 3 * SEC);
	cr_assert_eq(one.n, 2);
	cr_assert(memcmp(&one, &two, sizeof(one)) == 0,
		  "both subscribers see every transition, in order");
	cr_assert_eq(one.statuses[0], TRD_ORDER_ACCEPTED);
	cr_assert_eq(one.statuses[1], TRD_ORDER_FILLED);
	/* "<run>-<strategy>-<seq>": at most 36 of [A-Za-z0-9_-]. */
	cr_assert_eq(trd_oms_set_prefix(&r.oms, "r2f9x0q1"), 0);
	cr_assert_eq(trd_oms_set_prefix(&r.oms, "toolong12"), -EINVAL);
	cr_assert_eq(trd_oms_set_prefix(&r.oms, "a-b"), -EINVAL);
	o = trd_oms_create(&r.oms, &sp, SEC);
	cr_assert_str_eq(o->client_id, "r2f9x0q1-255-4294967295");
	/* Run n's prefix: "r" and n in base 36, at most 8 characters. */
	{
		char p[TRD_RUN_PREFIX_MAX + 1];
		cr_assert_str_eq(trd_oms_run_prefix(1, p), "r1");
		cr_assert_str_eq(trd_oms_run_prefix(36 * 36 + 35, p), "r10z");
		cr_assert_str_eq(trd_oms_run_prefix(UINT32_MAX, p), "r1z141z3");
		cr_assert_eq(trd_oms_set_prefix(&r.oms, p), 0);
		cr_assert_leq(strlen(trd_oms_run_prefix(UINT64_MAX, p)), 8);
	}
	cr_assert_leq(strlen(o->client_id), TRD_CLIENT_ID_MAX);
	for (const char *p = o->client_id; *p; p++)
		cr_assert(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
				 "TUVWXYZ0123456789_-", *p) != NULL);
	rig_close(&r);
}

/* A venue without native OCO: the OMS cancels the other leg itself. */
Test(oms, oco_emulated_for_a_venue_without_it)
{
	struct rig r;
	uint64_t a, b, c, d;

	open_rig(&r);
	a = rig_new(&r, 0, 0, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 10, 110, SEC);
	b = rig_new(&r, 0, 0, TRD_SIDE_SELL, TRD_ORDER_STOP, 10, 90, SEC);
	trd_oms_link_oco(&r.oms, rig_order(&r, a), rig_order(&r, b));
	rig_route(&r, a, SEC);
	rig_route(&r, b, SEC);
	rep(&r, TRD_VR_ACCEPTED, a, 2 * SEC);
	rep(&r, TRD_VR_ACCEPTED, b, 2 * SEC);
	ncalls = 0;
	fill(&r, a, 1, 4, 110, 3 * SEC);
	cr_assert_eq(ncalls, 1);
	cr_assert_eq(calls[0].what, 'c');
	cr_assert_eq(calls[0].id, b);
	cr_assert_str_eq(calls[0].reason, "OCO: other leg filled");
	fill(&r, a, 2, 6, 110, 3 * SEC);
	cr_assert_eq(ncalls, 1, "only the first fill cancels the other leg");
	/* A leg the venue rejects takes the other with it. */
	c = rig_new(&r, 0, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10, 90, SEC);
	d = rig_new(&r, 0, 0, TRD_SIDE_BUY, TRD_ORDER_STOP, 10, 110, SEC);
	trd_oms_link_oco(&r.oms, rig_order(&r, c), rig_order(&r, d));
	rig_route(&r, c, SEC);
	rig_route(&r, d, SEC);
	ncalls = 0;
	rep(&r, TRD_VR_REJECTED, c, 2 * SEC);
	cr_assert_eq(ncalls, 1);
	cr_assert_eq(calls[0].id, d);
	cr_assert_str_eq(calls[0].reason, "OCO: other leg rejected");
	rig_close(&r);
}

/* A bracket on a venue that reports only what it is told: exits priced
 * from the entry's average fill, placed as contingent orders on its first
 * fill, grown by amends on later ones. */
Test(oms, bracket_exits_placed_and_grown_by_the_oms)
{
	struct rig r;
	struct trd_order *e, *tp, *sl;
	uint64_t ie, itp, isl;
	const char *why = NULL;

	open_rig(&r);
	ie = rig_new(&r, 0, 0, TRD_SIDE_BUY, TRD_ORDER_MARKET, 10, 0, SEC);
	itp = rig_new(&r, 0, 0, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 0, 0, SEC);
	isl = rig_new(&r, 0, 0, TRD_SIDE_SELL, TRD_ORDER_STOP, 0, 0, SEC);
	cr_assert_eq(trd_oms_bracket_check(TRD_SIDE_BUY, 1, 0, 1000000, 0,
					   500000, &why), 0);
	e = rig_order(&r, ie);
	tp = rig_order(&r, itp);
	sl = rig_order(&r, isl);
	/* 100 bps above, 50 bps below the average fill. */
	trd_oms_link_bracket(&r.oms, e, tp, sl, 1000000, 500000);
	cr_assert(tp->held && sl->held);
	cr_assert_eq(tp->flags, TRD_ORDER_REDUCE_ONLY);
	ncalls = 0;
	rig_route(&r, ie, SEC);
	cr_assert_eq(ncalls, 1, "only the entry is placed");
	rep(&r, TRD_VR_ACCEPTED, ie, 2 * SEC);
	fill(&r, ie, 1, 4, 10000, 3 * SEC);
	cr_assert_eq(ncalls, 3);
	cr_assert(calls[1].what == 's' && calls[1].id == itp &&
		  calls[1].flags == TRD_VENUE_CONTINGENT);
	cr_assert_eq(calls[1].price, 10100);
	cr_assert_eq(calls[1].qty, 4);
	cr_assert(calls[2].what == 's' && calls[2].id == isl);
	cr_assert_eq(calls[2].price, 9950);
	rep(&r, TRD_VR_ACCEPTED, itp, 3 * SEC);
	rep(&r, TRD_VR_ACCEPTED, isl, 3 * SEC);
	fill(&r, ie, 2, 6, 10000, 4 * SEC);
	cr_assert_eq(ncalls, 5);
	cr_assert(calls[3].what == 'a' && calls[3].id == itp &&
		  calls[3].qty == 10 && calls[3].flags == TRD_VENUE_CONTINGENT);
	cr_assert(calls[4].what == 'a' && calls[4].id == isl &&
		  calls[4].qty == 10);
	rig_close(&r);
}

Test(oms, bracket_entry_ending_unfilled_cancels_its_held_exits)
{
	struct rig r;
	uint64_t ie, itp, isl;

	open_rig(&r);
	ie = rig_new(&r, 0, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10, 100, SEC);
	itp = rig_new(&r, 0, 0, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 0, 120, SEC);
	isl = rig_new(&r, 0, 0, TRD_SIDE_SELL, TRD_ORDER_STOP, 0, 80, SEC);
	trd_oms_link_bracket(&r.oms, rig_order(&r, ie), rig_order(&r, itp),
			     rig_order(&r, isl), 0, 0);
	rig_route(&r, ie, SEC);
	rep(&r, TRD_VR_ACCEPTED, ie, 2 * SEC);
	ncalls = 0;
	rep(&r, TRD_VR_EXPIRED, ie, 3 * SEC);
	cr_assert_eq(status(&r, itp), TRD_ORDER_CANCELED);
	cr_assert_eq(status(&r, isl), TRD_ORDER_CANCELED);
	cr_assert_str_eq(rig_order(&r, itp)->reason,
			 "bracket entry ended unfilled");
	cr_assert_str_eq(rig_order(&r, isl)->reason,
			 "bracket entry ended unfilled");
	cr_assert_eq(ncalls, 0, "the exits were never at the venue");
	/* Refused by the host's checks before routing: all three refused
	 * with the same code. */
	ie = rig_new(&r, 0, 0, TRD_SIDE_BUY, TRD_ORDER_LIMIT, 10, 100, SEC);
	itp = rig_new(&r, 0, 0, TRD_SIDE_SELL, TRD_ORDER_LIMIT, 0, 120, SEC);
	isl = rig_new(&r, 0, 0, TRD_SIDE_SELL, TRD_ORDER_STOP, 0, 80, SEC);
	trd_oms_link_bracket(&r.oms, rig_order(&r, ie), rig_order(&r, itp),
			     rig_order(&r, isl), 0, 0);
	trd_oms_reject(&r.oms, rig_order(&r, ie), TRD_REJ_HALTED, "halted",
		       SEC);
	cr_assert_eq(status(&r, itp), TRD_ORDER_REJECTED);
	cr_assert_eq(rig_order(&r, isl)->reject_code, TRD_REJ_HALTED);
	cr_assert_str_eq(rig_order(&r, isl)->reason, "bracket entry rejected");
	rig_close(&r);
}
