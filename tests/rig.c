/*
 * rig: see rig.h.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rig.h"

void
rig_check_books(const struct rig *r)
{
	int64_t realized, unrealized;

	trd_portfolio_pnl(&r->pf, &realized, &unrealized);
	cr_assert_eq(trd_portfolio_equity(&r->pf),
		     r->pf.initial_cash + realized + unrealized - r->pf.fees,
		     "accounting identity broken");
}

static void
trade_cb(void *arg, const struct trd_trade_rec *t)
{
	struct rig *r = arg;

	if (r->ntrades < 16)
		r->trades[r->ntrades] = *t;
	r->ntrades++;
}

/* What the session does with an order event, and the rig's records. */
static void
sub_cb(void *arg, const struct trd_order *o, const struct trd_oms_fill *f)
{
	struct rig *r = arg;

	if (f != NULL) {
		trd_portfolio_fill(&r->pf, o->strat, o->ins, o->side, f->qty,
				   f->price, f->fee, f->ts_ns);
		rig_check_books(r);
		if (r->nfills < RIG_MAXFILL)
			r->fills[r->nfills] = (struct rig_fill){
				o->id, f->exec_id, f->qty, f->price, f->fee,
				f->ts_ns };
		r->nfills++;
		if (r->on_fill)
			r->on_fill(r, o, f);
		return;
	}
	rig_check_books(r);
	cr_assert(o->status >= TRD_ORDER_NEW && o->status <= TRD_ORDER_EXPIRED);
	/* A refused or unrouted order keeps the raw values it was sent
	 * with; any other is within bounds. */
	cr_assert(o->status == TRD_ORDER_REJECTED || o->held ||
			  o->status == TRD_ORDER_NEW ||
			  (o->filled >= 0 && o->filled <= o->qty) ||
			  (o->status == TRD_ORDER_CANCELED && o->filled == 0),
		  "order %llu filled %lld of %lld", (unsigned long long)o->id,
		  (long long)o->filled, (long long)o->qty);
	if (r->nev < RIG_MAXEV) {
		struct rig_ev *e = &r->ev[r->nev];
		*e = (struct rig_ev){ o->id, o->status, o->update_ns, o->qty,
				      o->filled, o->price, o->stop_price, "" };
		memcpy(e->reason, o->reason, sizeof(e->reason));
	}
	r->nev++;
	if (r->on_update)
		r->on_update(r, o);
}

void
rig_open(struct rig *r, const struct rig_opts *op)
{
	struct rig_opts d = { 0 };
	struct trd_instr v[RIG_NINS];
	struct trd_venue_env env;
	uint8_t pdp[RIG_NINS], qdp[RIG_NINS];

	if (op == NULL)
		op = &d;
	memset(r, 0, sizeof(*r));
	memset(v, 0, sizeof(v));
	for (int i = 0; i < RIG_NINS; i++) {
		snprintf(v[i].symbol, sizeof(v[i].symbol), "SYM%d", i);
		v[i].price_dp = pdp[i] = 2;
		v[i].qty_dp = qdp[i] = 3;
		v[i].tick = op->tick[i] ? op->tick[i] : 1;
		v[i].lot = op->lot[i] ? op->lot[i] : 1;
		v[i].shortable = op->shortable[i];
		v[i].store_id = TRD_INSTR_NO_STORE;
	}
	cr_assert_eq(trd_registry_init_from(&r->reg, v, RIG_NINS), 0);
	r->conf.venue.fee_bps = op->fee_bps;
	r->conf.venue.slippage_bps = op->slip_bps;
	r->conf.venue.participation = op->participation;
	r->conf.venue.submit_latency_ms = op->submit_ms;
	r->conf.venue.cancel_latency_ms = op->cancel_ms;
	r->conf.venue.intrabar = op->intrabar;
	r->conf.replay.timeframe_s = 60;
	cr_assert_eq(trd_clock_init(&r->clock, TRD_CLOCK_VIRTUAL, NULL, 0), 0);
	cr_assert_eq(trd_portfolio_init(&r->pf, op->cash ? op->cash
							: 1000000LL * 100000000,
					RIG_NSTRAT, RIG_NINS, pdp, qdp), 0);
	r->pf.on_trade = trade_cb;
	r->pf.arg = r;
	cr_assert_eq(trd_oms_init(&r->oms, &r->reg, RIG_NINS), 0);
	/* Every order of a test stays readable after it closes. */
	r->oms.keep_closed = SIZE_MAX;
	env = (struct trd_venue_env){ .conf = &r->conf, .reg = &r->reg,
				      .pf = &r->pf, .clock = &r->clock,
				      .report = trd_oms_on_report,
				      .report_arg = &r->oms };
	cr_assert_eq(trd_venue_open(&r->v, op->venue ? op->venue : "sim",
				    &env), 0);
	trd_oms_set_venue(&r->oms, r->v);
	cr_assert_eq(trd_oms_subscribe(&r->oms, sub_cb, r), 0);
}

void
rig_close(struct rig *r)
{
	rig_check_books(r);
	r->v->ops->destroy(r->v);
	trd_oms_free(&r->oms);
	trd_portfolio_free(&r->pf);
	trd_clock_close(&r->clock);
	trd_registry_free(&r->reg);
}

void
rig_at(struct rig *r, int64_t now)
{
	r->clock.virt_ns = now;
}

uint64_t
rig_new(struct rig *r, uint32_t strat, uint32_t ins, int side, int type,
	int64_t qty, int64_t price, int64_t now)
{
	static uint32_t seq;
	struct trd_order_spec sp = { .strat = strat, .ins = ins, .seq = ++seq,
				     .side = side, .type = type, .qty = qty,
				     .price = price };
	struct trd_order *o;

	rig_at(r, now);
	o = trd_oms_create(&r->oms, &sp, now);
	cr_assert_not_null(o);
	return o->id;
}

struct trd_order *
rig_order(const struct rig *r, uint64_t id)
{
	struct trd_order *o = trd_oms_get(&r->oms, id);

	cr_assert_not_null(o, "no order %llu", (unsigned long long)id);
	return o;
}

void
rig_route(struct rig *r, uint64_t id, int64_t now)
{
	rig_at(r, now);
	trd_oms_send(&r->oms, rig_order(r, id), now);
}

uint64_t
rig_submit(struct rig *r, uint32_t strat, uint32_t ins, int side, int type,
	   int64_t qty, int64_t price, int64_t now)
{
	uint64_t id = rig_new(r, strat, ins, side, type, qty, price, now);

	rig_route(r, id, now);
	return id;
}

int
rig_cancel(struct rig *r, uint64_t id, const char *reason, int64_t now)
{
	struct trd_order *o = trd_oms_get(&r->oms, id);

	rig_at(r, now);
	return o ? trd_oms_cancel(&r->oms, o, reason, now) : -ENOENT;
}

int
rig_amend(struct rig *r, uint64_t id, int64_t qty, int64_t price, int64_t now)
{
	struct trd_order *o = trd_oms_get(&r->oms, id);

	rig_at(r, now);
	return o ? trd_oms_amend(&r->oms, o, qty, price, now) : -ENOENT;
}

void
rig_bar(struct rig *r, uint32_t ins, int64_t open_ns, uint32_t tf_s,
	int64_t o, int64_t h, int64_t l, int64_t c, int64_t vol)
{
	struct trd_event ev = {
		.ts_ns = open_ns + (int64_t)tf_s * TRD_NS_PER_SEC,
		.type = TRD_EV_BAR, .sym = ins,
		.u.bar = { .ts_ns = open_ns, .open = o, .high = h, .low = l,
			   .close = c, .volume = vol, .sym = ins,
			   .tf_s = tf_s } };

	rig_at(r, ev.ts_ns);
	if (r->oms.open[ins].n != 0)
		r->v->ops->market(r->v, &ev);
	trd_portfolio_mark(&r->pf, ins, c);
	rig_check_books(r);
}

void
rig_quote(struct rig *r, uint32_t ins, int64_t ts_ns, int64_t bid,
	  int64_t bid_qty, int64_t ask, int64_t ask_qty)
{
	struct trd_event ev = {
		.ts_ns = ts_ns, .type = TRD_EV_QUOTE, .sym = ins,
		.u.quote = { .size = sizeof(struct trd_quote), .sym = ins,
			     .ts_ns = ts_ns, .bid = bid, .ask = ask,
			     .bid_qty = bid_qty, .ask_qty = ask_qty } };

	rig_at(r, ts_ns);
	r->v->ops->market(r->v, &ev);
	rig_check_books(r);
}

void
rig_trade(struct rig *r, uint32_t ins, int64_t ts_ns, int64_t price,
	  int64_t qty)
{
	struct trd_event ev = {
		.ts_ns = ts_ns, .type = TRD_EV_TRADE, .sym = ins,
		.u.trade = { .size = sizeof(struct trd_trade), .sym = ins,
			     .ts_ns = ts_ns, .price = price, .qty = qty } };

	rig_at(r, ts_ns);
	if (r->oms.open[ins].n != 0)
		r->v->ops->market(r->v, &ev);
	trd_portfolio_mark(&r->pf, ins, price);
	rig_check_books(r);
}

void
rig_tick(struct rig *r, int64_t now)
{
	rig_at(r, now);
	r->v->ops->tick(r->v, now);
}

void
rig_finish(struct rig *r, int64_t now)
{
	rig_at(r, now);
	r->v->ops->finish(r->v, now);
}

const struct rig_ev *
rig_last_ev(const struct rig *r, uint64_t id)
{
	for (int i = (r->nev < RIG_MAXEV ? r->nev : RIG_MAXEV) - 1; i >= 0;
	     i--)
		if (r->ev[i].id == id)
			return &r->ev[i];
	cr_assert_fail("no update of order %llu", (unsigned long long)id);
	return NULL;
}

int
rig_count_ev(const struct rig *r, uint64_t id, int status, const char *reason)
{
	int n = 0;

	for (int i = 0; i < (r->nev < RIG_MAXEV ? r->nev : RIG_MAXEV); i++)
		if (r->ev[i].id == id && r->ev[i].status == status &&
		    (reason == NULL || strcmp(r->ev[i].reason, reason) == 0))
			n++;
	return n;
}

void
rig_report(struct rig *r, const struct trd_venue_report *rep)
{
	trd_oms_on_report(&r->oms, rep);
}
