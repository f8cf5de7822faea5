/*
 * oms_links: the rules of linked orders, OCO pairs and brackets, as oms.h
 * states them.  They run here whatever the venue: an order not at the
 * venue (a held bracket exit, an OCO leg not yet routed) is closed here;
 * a routed one through the venue, unless the venue runs OCO itself
 * (TRD_VENUE_CAP_OCO), which then closes the other leg of a routed pair
 * and says so in its reports.
 */
#include <errno.h>
#include <string.h>

#include "decimal.h"
#include "instrument.h"
#include "margin.h"
#include "oms_int.h"
#include "venue.h"

static int
open_partner(const struct trd_order *o, const struct trd_order *p)
{
	return p != NULL && trd_order_is_open(p) && p->link_id == o->id &&
	       p->filled == 0;
}

/* Close leg p of a pair whose other leg has filled or closed: here if it
 * is not at the venue, else through it unless the venue does it. */
static void
close_partner(struct trd_oms *oms, struct trd_order *p, const char *reason,
	      int64_t now)
{
	if (p->held || !p->routed)
		trd__oms_close(oms, p, TRD__CLOSE_CANCEL, 0, reason, now);
	else if (!(oms->caps & TRD_VENUE_CAP_OCO))
		trd_oms_cancel(oms, p, reason, now);
}

/* Why an OCO leg is canceled when its partner closed (how) unfilled. */
static const char *
oco_reason(const struct trd_oms *oms, const struct trd_order *leg, int how)
{
	const struct trd_order *e = leg->parent_id
					    ? trd_oms_get(oms, leg->parent_id)
					    : NULL;

	if (e != NULL && !trd_order_is_open(e) && e->filled == 0)
		return "bracket entry ended unfilled";
	return how == TRD__CLOSE_EXPIRE	  ? "OCO: other leg expired"
	       : how == TRD__CLOSE_REJECT ? "OCO: other leg rejected"
					  : "OCO: other leg canceled";
}

void
trd__oms_links_closed(struct trd_oms *oms, struct trd_order *o, int how,
		      int64_t now)
{
	uint64_t child = o->filled == 0 ? o->child_id : 0, link;
	struct trd_order *p = o->link_id ? trd_oms_get(oms, o->link_id)
					 : NULL;

	if (open_partner(o, p))
		close_partner(oms, p, oco_reason(oms, p, how), now);
	/* A bracket entry that never filled: its exits (held, never placed)
	 * go with it; after a partial fill they stay, sized to it. */
	p = child ? trd_oms_get(oms, child) : NULL;
	if (p != NULL && p->parent_id == o->id) {
		link = p->link_id;
		trd__oms_close(oms, p, TRD__CLOSE_CANCEL, 0,
			       "bracket entry ended unfilled", now);
		p = trd_oms_get(oms, link);
		if (p != NULL && p->parent_id == o->id)
			trd__oms_close(oms, p, TRD__CLOSE_CANCEL, 0,
				       "bracket entry ended unfilled", now);
	}
}

/* The price of exit x at activation, from entry e: an offset from e's
 * average fill (a take-profit beyond it in the exit's favour, a stop-loss
 * the other way, rounded the same way: the first no better than asked,
 * the second no earlier), or its own price on the tick.  0 if neither. */
static int64_t
exit_price(const struct trd_oms *oms, const struct trd_order *e,
	   const struct trd_order *x)
{
	const struct trd_instr *in = trd_registry_get(oms->reg, x->ins);
	int64_t tick = in ? in->tick : 1;
	int buy = x->side == TRD_SIDE_BUY;
	int up = x->type == TRD_ORDER_LIMIT ? !buy : buy;

	if (x->offset_bps > 0) {
		i128 f = up ? (i128)100000000 + x->offset_bps
			    : (i128)100000000 - x->offset_bps;
		i128 num = (i128)trd_order_avg_price(e) * f;
		i128 q = num / 100000000, r = num % 100000000;
		if (up && r > 0)
			q++;
		else if (!up && r < 0)
			q--;
		return trd_margin_level(q, tick, up);
	}
	if (x->price > 0 && (x->type == TRD_ORDER_LIMIT ||
			     x->type == TRD_ORDER_STOP))
		return trd_margin_to_tick(x->price, tick, up);
	return 0;
}

/* Entry e filled qty: its exits are placed on the first fill (priced,
 * sized at what it filled, as contingent orders), and grow with each
 * later one ("amended").  Exits that have closed stay closed. */
static void
bracket_fill(struct trd_oms *oms, struct trd_order *e, int64_t qty,
	     int64_t now)
{
	const struct trd_order *tp = trd_oms_get(oms, e->child_id);
	uint64_t ids[2];

	if (tp == NULL || tp->parent_id != e->id)
		return;
	ids[0] = tp->id;
	ids[1] = tp->link_id;
	for (int k = 0; k < 2; k++) {
		struct trd_order *x = trd_oms_get(oms, ids[k]);
		if (x == NULL || x->parent_id != e->id || !trd_order_is_open(x))
			continue;
		if (x->held) {
			int64_t px = exit_price(oms, e, x);
			if (px <= 0) {
				x->held = 0;
				trd__oms_close(oms, x, TRD__CLOSE_REJECT,
					       TRD_REJ_INVALID_PRICE,
					       "bracket exit has no valid "
					       "price", now);
				continue;
			}
			x->price = px;
			x->qty = e->filled;
			x->held = 0;
			trd__oms_route(oms, x, TRD_VENUE_CONTINGENT, now);
		} else if (x->routed) {
			oms->venue->ops->amend(oms->venue, x,
					       trd_sat64((i128)x->qty + qty), 0,
					       TRD_VENUE_CONTINGENT);
		}
	}
}

void
trd__oms_links_filled(struct trd_oms *oms, struct trd_order *o, int64_t qty,
		      int first, int64_t now)
{
	if (first && o->link_id != 0) {
		struct trd_order *p = trd_oms_get(oms, o->link_id);
		if (open_partner(o, p))
			close_partner(oms, p, "OCO: other leg filled", now);
	}
	o = trd_oms_get(oms, o->id);
	if (o != NULL && o->child_id != 0)
		bracket_fill(oms, o, qty, now);
}

int
trd__oms_amend_held(struct trd_oms *oms, struct trd_order *o, int64_t price,
		    int64_t now)
{
	const struct trd_instr *in = trd_registry_get(oms->reg, o->ins);
	int buy = o->side == TRD_SIDE_BUY;

	if (price < 0 || (price > 0 && o->type != TRD_ORDER_LIMIT &&
			  o->type != TRD_ORDER_STOP))
		return -EINVAL;
	/* Its quantity is its entry's fills, set when they come: only its
	 * price changes, no longer an offset. */
	if (price > 0) {
		o->price = trd_margin_to_tick(price, in ? in->tick : 1,
					      o->type == TRD_ORDER_LIMIT ? !buy
									 : buy);
		o->offset_bps = 0;
	}
	trd__oms_set_status(oms, o, o->status, "amended", now);
	return 0;
}

void
trd_oms_link_oco(struct trd_oms *oms, struct trd_order *a, struct trd_order *b)
{
	(void)oms;
	a->link_id = b->id;
	b->link_id = a->id;
}

void
trd_oms_link_bracket(struct trd_oms *oms, struct trd_order *e,
		     struct trd_order *tp, struct trd_order *sl, int64_t tp_bps,
		     int64_t sl_bps)
{
	(void)oms;
	e->child_id = tp->id;
	tp->parent_id = sl->parent_id = e->id;
	tp->link_id = sl->id;
	sl->link_id = tp->id;
	tp->held = sl->held = 1;
	tp->qty = sl->qty = 0;
	tp->flags = sl->flags = TRD_ORDER_REDUCE_ONLY;
	tp->offset_bps = tp_bps;
	sl->offset_bps = sl_bps;
}

static int
exit_ok(int64_t tick, int64_t price, int64_t bps, int stop, const char **why)
{
	if ((price > 0) == (bps > 0) || price < 0 || bps < 0) {
		*why = "a bracket exit needs exactly one of a price and an "
		       "offset in bps, positive";
		return TRD_REJ_INVALID_PRICE;
	}
	if (tick > 0 && price % tick != 0) {
		*why = "a bracket exit price is not a multiple of the tick "
		       "size";
		return TRD_REJ_TICK;
	}
	/* A stop-loss 100% away is no stop at all (and the price would
	 * reach zero). */
	if (stop && bps >= 100000000) {
		*why = "a bracket stop-loss offset must be below 100%";
		return TRD_REJ_INVALID_PRICE;
	}
	return 0;
}

int
trd_oms_bracket_check(int side, int64_t tick, int64_t tp_price,
		      int64_t tp_bps, int64_t sl_price, int64_t sl_bps,
		      const char **why)
{
	int code = exit_ok(tick, tp_price, tp_bps, 0, why);

	if (code == 0)
		code = exit_ok(tick, sl_price, sl_bps, 1, why);
	if (code == 0 && tp_price > 0 && sl_price > 0 &&
	    (side == TRD_SIDE_BUY ? tp_price <= sl_price
				  : tp_price >= sl_price)) {
		*why = "a bracket's take-profit must lie beyond its stop-loss";
		code = TRD_REJ_INVALID_PRICE;
	}
	return code;
}
