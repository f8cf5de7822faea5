/*
 * venue: see venue.h for the fill model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "venue.h"

typedef __int128 i128;

int
trd_venue_init(struct trd_venue *v, struct trd_oms *oms,
	       struct trd_portfolio *pf, const struct trd_venue_instr *ins,
	       size_t ninstr, int64_t fee_bps, int64_t slip_bps)
{
	*v = (struct trd_venue){ .oms = oms, .pf = pf, .ins = ins,
				 .ninstr = ninstr, .fee_bps = fee_bps,
				 .slip_bps = slip_bps };
	return 0;
}

void
trd_venue_free(struct trd_venue *v)
{
	free(v->scratch);
	v->scratch = NULL;
}

static int64_t
sat64(i128 v)
{
	return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN
							 : (int64_t)v;
}

/* a + b for times (now + latency) without wrapping. */
static int64_t
add_ns(int64_t a, int64_t b)
{
	return sat64((i128)a + b);
}

/* Round a positive price to a multiple of tick, up or down; a price too
 * close to INT64_MAX to round up rounds down (it is absurd either way,
 * but must not wrap). */
static int64_t
to_tick(int64_t price, int64_t tick, int up)
{
	int64_t r;

	if (tick <= 1 || price <= 0)
		return price;
	r = price % tick;
	if (r == 0)
		return price;
	return up && price - r <= INT64_MAX - tick ? price - r + tick
						   : price - r;
}

/* A computed price level (a trailing stop's, a bracket exit's) on the
 * tick, rounded up or down, and kept within one tick and INT64_MAX: a
 * level at or below zero could never trigger a sell and would read as
 * "not set". */
static int64_t
level_tick(i128 v, int64_t tick, int up)
{
	int64_t t = tick > 1 ? tick : 1, p;

	p = to_tick(v < 1 ? 1 : sat64(v), t, up);
	return p < t ? t : p;
}

static int64_t
lot_of(const struct trd_venue_instr *in)
{
	return in->lot > 1 ? in->lot : 1;
}

/* Price after slippage, against the trader, on the tick. */
int64_t
trd_venue_slipped(const struct trd_venue *v, size_t ins, int side, int64_t px)
{
	int buy = side == TRD_SIDE_BUY;
	i128 p = (i128)px * (100000000 + (buy ? v->slip_bps : -v->slip_bps));
	i128 q = p / 100000000;

	if (buy && p % 100000000 != 0)
		q++; /* round up for a buy */
	return to_tick(sat64(q), v->ins[ins].tick, buy);
}

/*
 * trd_portfolio_notional, saturated before it can overflow: when the
 * scales make the portfolio multiply price * qty by a power of ten (price_dp
 * + qty_dp < TRD_CASH_DP), a product beyond int64 would only grow, and two
 * absurd values (an order's price and quantity, as a plugin may send them)
 * could overflow even 128 bits there.
 */
static int64_t
notional(const struct trd_portfolio *pf, size_t ins, int64_t price,
	 int64_t qty, enum trd_round r)
{
	const struct trd_pf_instr *in = &pf->ins[ins];
	i128 p = (i128)price * qty;

	if (in->price_dp + in->qty_dp < TRD_CASH_DP &&
	    (p > INT64_MAX || p < INT64_MIN))
		return p > 0 ? INT64_MAX : INT64_MIN;
	return trd_portfolio_notional(pf, ins, price, qty, r);
}

int64_t
trd_affordable_qty(const struct trd_portfolio *pf, size_t ins, int64_t cash,
		   int64_t price, int64_t fee_bps, int64_t lot, int64_t max_qty)
{
	const struct trd_pf_instr *in = &pf->ins[ins];
	int shift = in->price_dp + in->qty_dp - TRD_CASH_DP;
	i128 num, den, q;

	if (cash <= 0 || price <= 0 || lot <= 0)
		return 0;
	/* qty = cash * 10^shift / (price * (1 + fee)), fee = fee_bps/10^8. */
	num = (i128)cash * 100000000;
	den = (i128)price * (100000000 + fee_bps);
	for (int i = 0; i < shift; i++)
		num *= 10;
	for (int i = shift; i < 0; i++)
		den *= 10;
	q = num / den;
	if (q > max_qty)
		q = max_qty;
	q -= q % lot;
	/* Rounding of the notional and fee can cost a unit: step down until
	 * it fits exactly. */
	while (q > 0) {
		int64_t n = notional(pf, ins, price, (int64_t)q,
						   TRD_ROUND_UP);
		if ((__int128)n + trd_fee(n, fee_bps) <= cash)
			break;
		q -= lot;
	}
	return (int64_t)q;
}

/* Whether o counts in pending_qty for self: another working order of the
 * strategy on side at the venue (in flight ones have not arrived), not
 * self's OCO partner (the two are alternatives), reduce-only if asked. */
static int
pends(const struct trd_order *o, const struct trd_order *self, int side,
      int ro_only)
{
	return o != NULL && o != self && o->listed &&
	       o->status != TRD_ORDER_NEW && trd_order_is_open(o) &&
	       o->ins == self->ins && o->strat == self->strat &&
	       o->side == side && o->id != self->link_id &&
	       (!ro_only || (o->flags & TRD_ORDER_REDUCE_ONLY));
}

/* Quantity of the strategy's other open orders on side not yet filled (in
 * 128 bits: orders accepted before the first close were not checked).  An
 * OCO pair on that side counts once, as its larger leg: only one of the
 * two can trade. */
static i128
pending_qty(const struct trd_venue *v, const struct trd_order *self, int side,
	    int ro_only)
{
	const struct trd_oms_open *l = &v->oms->open[self->ins];
	i128 sum = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct trd_order *o = trd_oms_get(v->oms, l->ids[i]);
		int64_t rest;
		if (!pends(o, self, side, ro_only))
			continue;
		rest = o->qty - o->filled;
		if (o->link_id != 0) {
			const struct trd_order *p = trd_oms_get(v->oms,
								o->link_id);
			if (pends(p, self, side, ro_only) &&
			    p->link_id == o->id) {
				if (p->id < o->id)
					continue; /* counted with p */
				if (p->qty - p->filled > rest)
					rest = p->qty - p->filled;
			}
		}
		sum += rest;
	}
	return sum;
}

/*
 * S of venue.h, rounded up: per instrument, the strategies' short
 * quantities summed and valued at the last close, or for instrument ins at
 * the higher of its last close and px (pass px 0 for the marks alone).
 */
static i128
short_value(const struct trd_portfolio *pf, size_t ins, int64_t px)
{
	i128 sum = 0;

	for (size_t i = 0; i < pf->ninstr; i++) {
		int64_t at = pf->ins[i].last;
		i128 q = 0;
		for (size_t s = 0; s < pf->nstrat; s++) {
			int64_t p = trd_portfolio_pos(pf, s, i)->qty;
			if (p < 0)
				q -= p;
		}
		if (q == 0)
			continue;
		/* Only absurd books get here; valued at the saturated
		 * notional they are far beyond any cash anyway. */
		if (q > INT64_MAX)
			q = INT64_MAX;
		if (i == ins && px > at)
			at = px;
		sum += notional(pf, i, at, (int64_t)q,
					      TRD_ROUND_UP);
	}
	return sum;
}

static i128
free_collateral(const struct trd_venue *v, size_t ins, int64_t px)
{
	return (i128)v->pf->cash - 2 * short_value(v->pf, ins, px);
}

int64_t
trd_venue_free_collateral(const struct trd_venue *v)
{
	i128 f = free_collateral(v, 0, 0);

	return f > INT64_MAX ? INT64_MAX : f < INT64_MIN ? INT64_MIN
							 : (int64_t)f;
}

/* The part of an order of qty on side that closes a position of pos (less
 * pending, what the strategy's other orders on that side already close). */
static int64_t
closing_qty(int side, int64_t pos, i128 pending, int64_t qty)
{
	i128 held = side == TRD_SIDE_BUY ? -(i128)pos : (i128)pos;

	held -= pending;
	if (held <= 0)
		return 0;
	return held < qty ? (int64_t)held : qty;
}

/*
 * The collateral rule of venue.h for an order on side trading c to close
 * and o to open at px: sets *need = n_o + fee and *have = free + what the
 * closing part frees, and returns whether need <= have.  The fee is the
 * whole order's, rounded once as the portfolio will book it.
 */
static int
covered(const struct trd_venue *v, size_t ins, int side, int64_t px,
	int64_t c, int64_t o, i128 free, i128 *need, i128 *have)
{
	int buy = side == TRD_SIDE_BUY;
	int64_t n = notional(v->pf, ins, px, c + o,
					   buy ? TRD_ROUND_UP : TRD_ROUND_DOWN);
	int64_t n_o = notional(v->pf, ins, px, o, TRD_ROUND_UP);
	int64_t at = v->pf->ins[ins].last > px ? v->pf->ins[ins].last : px;
	/* A sale frees its proceeds.  A cover frees the collateral its
	 * short held in free (twice its value as S counts it, rounded down
	 * here as S rounds up) and costs its notional. */
	i128 freed = (i128)n - n_o;

	if (buy && c > 0)
		freed = 2 * (i128)notional(v->pf, ins, at, c,
							 TRD_ROUND_DOWN) -
			freed;
	*need = (i128)n_o + trd_fee(n, v->fee_bps);
	*have = free + freed;
	return *need <= *have;
}

/* Largest multiple of lot, at most omax, that the rule lets open beside
 * closing c.  The need grows with the quantity, so a bisection over lots
 * finds it; only quantities that passed are ever returned.  Most orders
 * were sized to fit: the whole of omax is tried first. */
static int64_t
max_open(const struct trd_venue *v, size_t ins, int side, int64_t px,
	 int64_t c, int64_t omax, int64_t lot, i128 free)
{
	int64_t lo = 0, hi = omax / lot;
	i128 need, have;

	if (hi > 0 && covered(v, ins, side, px, c, hi * lot, free, &need,
			      &have))
		return hi * lot;
	if (hi > 0)
		hi--;
	while (lo < hi) {
		/* The upper middle, without overflowing at INT64_MAX. */
		int64_t mid = lo + (hi - lo) / 2 + (hi - lo) % 2;
		if (covered(v, ins, side, px, c, mid * lot, free, &need, &have))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo * lot;
}


static int
refuse(char *why, size_t len, int code, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return code;
}

/* A trailing stop's level trail away from ref: below for a sell (rounded
 * down), above for a buy (rounded up), so it never triggers early. */
static int64_t
trail_from(const struct trd_venue *v, const struct trd_order *o, int64_t ref)
{
	int buy = o->side == TRD_SIDE_BUY;

	return level_tick(buy ? (i128)ref + o->trail : (i128)ref - o->trail,
			  v->ins[o->ins].tick, buy);
}

/* vet() for a GTD order whose expiry passed while it was in flight. */
#define VET_EXPIRED (-1)

/*
 * The venue's checks of an order reaching it at `at` (venue.h), rounding
 * its quantity and prices on the way.  0 when it may be accepted, else an
 * enum trd_reject with the reason in why (or VET_EXPIRED).
 */
static int
vet(struct trd_venue *v, struct trd_order *o, int64_t at, char *why,
    size_t len)
{
	const struct trd_venue_instr *in = &v->ins[o->ins];
	int buy = o->side == TRD_SIDE_BUY;
	int64_t last = v->pf->ins[o->ins].last, ref, pos, c;

	if (o->side != TRD_SIDE_BUY && o->side != TRD_SIDE_SELL)
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "unknown order side");
	if (o->type < TRD_ORDER_MARKET || o->type > TRD_ORDER_TRAILING_STOP)
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "unknown order type");
	if (o->tif > TRD_TIF_GTD)
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "unknown time in force");
	if (o->flags & ~(TRD_ORDER_POST_ONLY | TRD_ORDER_REDUCE_ONLY))
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "unknown order flags");
	if ((o->flags & TRD_ORDER_POST_ONLY) && o->type != TRD_ORDER_LIMIT)
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "post-only applies to limit orders only");
	if (o->qty <= 0)
		return refuse(why, len, TRD_REJ_INVALID_QTY,
			      "quantity must be positive");
	o->qty -= o->qty % lot_of(in);
	if (o->qty == 0)
		return refuse(why, len, TRD_REJ_LOT,
			      "quantity is below the lot size");
	if (o->type != TRD_ORDER_STOP_LIMIT &&
	    o->type != TRD_ORDER_TRAILING_STOP)
		o->stop_price = 0;
	if (o->type != TRD_ORDER_TRAILING_STOP)
		o->trail = 0;
	switch (o->type) {
	case TRD_ORDER_MARKET:
		o->price = 0;
		break;
	case TRD_ORDER_STOP_LIMIT:
		if (o->stop_price <= 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "stop price must be positive");
		if (o->price <= 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "limit price must be positive");
		o->stop_price = to_tick(o->stop_price, in->tick, buy);
		o->price = to_tick(o->price, in->tick, !buy);
		break;
	case TRD_ORDER_TRAILING_STOP:
		if (o->trail <= 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "trail must be positive");
		if (o->price < 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "price must be positive");
		/* Without a first level or a close to start from, the
		 * first bar's open sets it. */
		if (o->price > 0)
			o->stop_price = o->price = to_tick(o->price, in->tick,
							   buy);
		else
			o->stop_price = last > 0 ? trail_from(v, o, last) : 0;
		break;
	default: /* limit, stop */
		if (o->price <= 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "price must be positive");
		/* A limit rounds to a tick no better than asked; a stop to
		 * one no earlier than asked. */
		o->price = to_tick(o->price, in->tick,
				   o->type == TRD_ORDER_LIMIT ? !buy : buy);
	}
	if (o->tif != TRD_TIF_GTD)
		o->expire_ns = 0;
	else if (o->expire_ns <= at)
		return o->expire_ns > o->submit_ns
			       ? VET_EXPIRED
			       : refuse(why, len, TRD_REJ_INVALID_ORDER,
					"good-till-date order needs an expiry "
					"time in the future");
	if ((o->flags & TRD_ORDER_POST_ONLY) && last > 0 &&
	    (buy ? o->price >= last : o->price <= last))
		return refuse(why, len, TRD_REJ_POST_ONLY,
			      "post-only limit would cross the last close");
	pos = trd_portfolio_pos(v->pf, o->strat, o->ins)->qty;
	if (o->flags & TRD_ORDER_REDUCE_ONLY) {
		i128 held = buy ? -(i128)pos : (i128)pos;
		if (held - pending_qty(v, o, o->side, 1) <= 0)
			return refuse(why, len, TRD_REJ_REDUCE_ONLY,
				      "reduce-only order would not reduce "
				      "the position");
		/* Its fills are capped at the position: it never opens
		 * one, so the money rules have nothing to check. */
		return 0;
	}
	c = closing_qty(o->side, pos, pending_qty(v, o, o->side, 0), o->qty);
	ref = o->type == TRD_ORDER_TRAILING_STOP ? o->stop_price : o->price;
	if (ref == 0)
		ref = last;
	if ((buy || in->allow_short) && c < o->qty && ref > 0) {
		int64_t px = o->type == TRD_ORDER_LIMIT ||
					     o->type == TRD_ORDER_STOP_LIMIT
				     ? ref
				     : trd_venue_slipped(v, o->ins, o->side,
							 ref);
		i128 need, have;
		if (!covered(v, o->ins, o->side, px, c, o->qty - c,
			     free_collateral(v, o->ins, px), &need, &have)) {
			char a[32], b[32];
			trd_dec_format_short128(need, TRD_CASH_DP, a);
			trd_dec_format_short128(have, TRD_CASH_DP, b);
			/* 128 bits: a saturated notional plus its fee must
			 * not wrap; say so when it does not fit. */
			snprintf(why, len, "insufficient %s: needs %s%s, "
				 "has %s", buy ? "cash" : "collateral to short",
				 need > INT64_MAX ? ">" : "", a, b);
			return TRD_REJ_FUNDS;
		}
	}
	if (!buy && !in->allow_short && c < o->qty)
		return refuse(why, len, TRD_REJ_POSITION,
			      "insufficient position (short selling is not "
			      "enabled)");
	return 0;
}

/* ---- closing, and what it does to linked orders ---- */

enum close_how { CLOSE_CANCEL, CLOSE_EXPIRE, CLOSE_REJECT };

static void close_order(struct trd_venue *v, uint64_t id, int how, int code,
			const char *reason, int64_t at);

/* Why an OCO leg is canceled when its partner closed (how) unfilled. */
static const char *
oco_reason(const struct trd_venue *v, const struct trd_order *leg, int how)
{
	const struct trd_order *e = trd_oms_get(v->oms, leg->parent_id);

	if (e != NULL && !trd_order_is_open(e) && e->filled == 0)
		return "bracket entry ended unfilled";
	return how == CLOSE_EXPIRE   ? "OCO: other leg expired"
	       : how == CLOSE_REJECT ? "OCO: other leg rejected"
				     : "OCO: other leg canceled";
}

/*
 * Order id has just closed unfilled or partly filled (not by a fill):
 * cancel its OCO partner, unless that one has filled (its first fill
 * canceled this one) or is in the middle of its own fill; and if it is a
 * bracket entry that never filled, its exits.
 */
static void
linked_closed(struct trd_venue *v, uint64_t id, int how, int64_t at)
{
	const struct trd_order *o = trd_oms_get(v->oms, id), *p;
	uint64_t link = o->link_id, child = o->filled == 0 ? o->child_id : 0;

	p = link ? trd_oms_get(v->oms, link) : NULL;
	if (p != NULL && p->link_id == id && p->filled == 0 &&
	    p->id != v->busy_id)
		close_order(v, link, CLOSE_CANCEL, 0, oco_reason(v, p, how),
			    at);
	p = child ? trd_oms_get(v->oms, child) : NULL;
	if (p != NULL && p->parent_id == id) {
		link = p->link_id;
		close_order(v, child, CLOSE_CANCEL, 0,
			    "bracket entry ended unfilled", at);
		p = trd_oms_get(v->oms, link);
		if (p != NULL && p->parent_id == id)
			close_order(v, link, CLOSE_CANCEL, 0,
				    "bracket entry ended unfilled", at);
	}
}

/* Cancel, expire or reject an open order (every closure but a fill goes
 * through here), then follow its links.  No-op if it is closed. */
static void
close_order(struct trd_venue *v, uint64_t id, int how, int code,
	    const char *reason, int64_t at)
{
	struct trd_order *o = trd_oms_get(v->oms, id);

	if (o == NULL || !trd_order_is_open(o))
		return;
	if (how == CLOSE_REJECT)
		trd_oms_reject(v->oms, o, code, reason, at);
	else if (how == CLOSE_EXPIRE)
		trd_oms_expire(v->oms, o, reason, at);
	else
		trd_oms_cancel(v->oms, o, reason, at);
	linked_closed(v, id, how, at);
}

/* ---- arrival, cancels, amends ---- */

static void
arrive(struct trd_venue *v, uint64_t id, int64_t at)
{
	struct trd_order *o = trd_oms_get(v->oms, id);
	/* Longer than an order's reason: snprintf truncates into it. */
	char why[128];
	int code = vet(v, o, at, why, sizeof(why));

	if (code == VET_EXPIRED) {
		close_order(v, id, CLOSE_EXPIRE, 0,
			    "GTD: expired before it reached the venue", at);
	} else if (code != 0) {
		close_order(v, id, CLOSE_REJECT, code, why, at);
	} else {
		/* It can match bars that open from now on. */
		o->eligible_ns = at;
		trd_oms_accept(v->oms, o, at);
	}
}

void
trd_venue_submit(struct trd_venue *v, struct trd_order *o, int64_t now)
{
	if (o == NULL || o->status != TRD_ORDER_NEW || o->listed || o->held)
		return;
	if (o->ins >= v->ninstr) {
		close_order(v, o->id, CLOSE_REJECT, TRD_REJ_UNKNOWN_SYMBOL,
			    "unknown instrument", now);
		return;
	}
	if (v->submit_latency_ns > 0) {
		o->eligible_ns = add_ns(now, v->submit_latency_ns);
		trd_oms_list(v->oms, o);
		return;
	}
	arrive(v, o->id, now);
}

/* The price an amend's price sets, and whether it rounds up: a limit's
 * (or a triggered stop-limit's) limit, else the trigger or stop level. */
static int64_t *
amend_target(struct trd_order *o, int *up)
{
	int buy = o->side == TRD_SIDE_BUY;

	switch (o->type) {
	case TRD_ORDER_LIMIT:
		*up = !buy;
		return &o->price;
	case TRD_ORDER_STOP:
		*up = buy;
		return &o->price;
	case TRD_ORDER_STOP_LIMIT:
		*up = o->triggered ? !buy : buy;
		return o->triggered ? &o->price : &o->stop_price;
	case TRD_ORDER_TRAILING_STOP:
		*up = buy;
		return &o->stop_price;
	}
	return NULL;
}

static void
apply_amend(struct trd_venue *v, uint64_t id, int64_t at)
{
	struct trd_order *o = trd_oms_get(v->oms, id);
	int64_t *px;
	int up;

	o->amend_pending = 0;
	if (!trd_order_is_open(o))
		return;
	/* It may have filled past the new quantity meanwhile: then what
	 * has filled is all it does (and it closes as FILLED). */
	o->qty = o->amend_qty > o->filled ? o->amend_qty : o->filled;
	if (o->amend_price > 0 && (px = amend_target(o, &up)) != NULL)
		*px = to_tick(o->amend_price, v->ins[o->ins].tick, up);
	trd_oms_amended(v->oms, o, at);
}

static void
apply_cancel(struct trd_venue *v, uint64_t id, int64_t at)
{
	struct trd_order *o = trd_oms_get(v->oms, id);
	char why[sizeof(o->cancel_reason)];

	o->cancel_pending = 0;
	memcpy(why, o->cancel_reason, sizeof(why));
	close_order(v, id, CLOSE_CANCEL, 0, why, at);
}

/*
 * Apply what reaches the venue for order id by upto, in time order: a
 * pending amend (once the order itself has arrived), a pending cancel, the
 * expiry of a GTD order at the venue; ties in that order.  Each is stamped
 * with its own time.
 */
static void
apply_due(struct trd_venue *v, uint64_t id, int64_t upto)
{
	for (;;) {
		const struct trd_order *o = trd_oms_get(v->oms, id);
		int64_t t = INT64_MAX;
		int what = 0;

		if (o == NULL || !trd_order_is_open(o))
			return;
		if (o->amend_pending && o->status != TRD_ORDER_NEW &&
		    o->amend_ns <= upto) {
			t = o->amend_ns;
			what = 1;
		}
		if (o->cancel_pending && o->cancel_ns <= upto &&
		    (what == 0 || o->cancel_ns < t)) {
			t = o->cancel_ns;
			what = 2;
		}
		if (o->tif == TRD_TIF_GTD && o->status != TRD_ORDER_NEW &&
		    o->expire_ns <= upto && (what == 0 || o->expire_ns < t)) {
			t = o->expire_ns;
			what = 3;
		}
		if (what == 0)
			return;
		if (what == 1)
			apply_amend(v, id, t);
		else if (what == 2)
			apply_cancel(v, id, t);
		else
			close_order(v, id, CLOSE_EXPIRE, 0,
				    "GTD: expired at its expiry time", t);
	}
}

int
trd_venue_cancel(struct trd_venue *v, struct trd_order *o, const char *reason,
		 int64_t now)
{
	if (o == NULL || !trd_order_is_open(o) || o->cancel_pending)
		return -ENOENT;
	if (o->held || !o->listed || v->cancel_latency_ns <= 0) {
		/* Not at the venue (a held exit, an order not routed), or no
		 * latency: now.  But not inside the order's own fill
		 * callback, before the fill is recorded: right after it. */
		if (o->id != v->busy_id) {
			close_order(v, o->id, CLOSE_CANCEL, 0, reason, now);
			return 0;
		}
		v->busy_cancel = 1;
		o->cancel_ns = now;
	} else {
		o->cancel_ns = add_ns(now, v->cancel_latency_ns);
	}
	o->cancel_pending = 1;
	snprintf(o->cancel_reason, sizeof(o->cancel_reason), "%s",
		 reason ? reason : "canceled");
	return 0;
}

int
trd_venue_amend(struct trd_venue *v, struct trd_order *o, int64_t qty,
		int64_t price, int64_t now)
{
	const struct trd_venue_instr *in;
	int64_t *px, last;
	int up = 0;

	if (o == NULL || !trd_order_is_open(o) || o->cancel_pending ||
	    o->ins >= v->ninstr)
		return -ENOENT;
	in = &v->ins[o->ins];
	px = amend_target(o, &up);
	if (price < 0 || (price > 0 && px == NULL))
		return -EINVAL;
	if (price > 0)
		price = to_tick(price, in->tick, up);
	if (o->held) {
		/* A held exit's quantity is its entry's fills, set when
		 * they come: only its price changes (no longer an offset). */
		if (price > 0) {
			*px = price;
			o->offset_bps = 0;
		}
		trd_oms_amended(v->oms, o, now);
		return 0;
	}
	if (!o->listed)
		return -ENOENT;
	if (qty <= 0 || qty < o->filled || qty % lot_of(in) != 0)
		return -EINVAL;
	last = v->pf->ins[o->ins].last;
	if ((o->flags & TRD_ORDER_POST_ONLY) && o->type == TRD_ORDER_LIMIT &&
	    price > 0 && last > 0 &&
	    (o->side == TRD_SIDE_BUY ? price >= last : price <= last))
		return -EINVAL;
	o->amend_qty = qty;
	o->amend_price = price;
	if (v->cancel_latency_ns <= 0 && o->status != TRD_ORDER_NEW &&
	    o->id != v->busy_id) {
		apply_amend(v, o->id, now);
		return 0;
	}
	/* On its way; or, without latency, waiting for the order to arrive
	 * or for its own fill to be recorded. */
	if (v->cancel_latency_ns <= 0 && o->id == v->busy_id)
		v->busy_amend = 1;
	o->amend_pending = 1;
	o->amend_ns = v->cancel_latency_ns > 0
			      ? add_ns(now, v->cancel_latency_ns) : now;
	return 0;
}

/* ---- matching ---- */

/* How an order trades in a bar, found without changing it. */
struct hit {
	int64_t raw;    /* price before slippage; 0: it does not trade */
	int64_t level;  /* the price that makes it trade (for OHLC) */
	int     slip;   /* pays slippage: market, stop, trailing stop */
	int     rests;  /* a stop-limit triggered beyond its limit */
	int     up;     /* trades when the price rises to level */
	int     strict; /* only through level (a limit), not at it */
	int     at_open;
};

static int64_t
stop_touch(int buy, int64_t s, const struct trd_bar *b)
{
	if (buy)
		return b->open >= s ? b->open : b->high >= s ? s : 0;
	return b->open <= s ? b->open : b->low <= s ? s : 0;
}

static int64_t
limit_through(int buy, int64_t l, const struct trd_bar *b)
{
	if (buy)
		return b->open < l ? b->open : b->low < l ? l : 0;
	return b->open > l ? b->open : b->high > l ? l : 0;
}

static void
probe(const struct trd_venue *v, const struct trd_order *o,
      const struct trd_bar *b, struct hit *h)
{
	int buy = o->side == TRD_SIDE_BUY;
	int64_t s;

	*h = (struct hit){ 0 };
	if (o->type == TRD_ORDER_MARKET ||
	    (o->triggered && (o->type == TRD_ORDER_STOP ||
			      o->type == TRD_ORDER_TRAILING_STOP))) {
		/* A triggered stop is a market order. */
		*h = (struct hit){ .raw = b->open, .slip = 1, .at_open = 1 };
	} else if (o->type == TRD_ORDER_STOP ||
		   o->type == TRD_ORDER_TRAILING_STOP) {
		s = o->type == TRD_ORDER_STOP ? o->price
		    : o->stop_price	      ? o->stop_price
					      : trail_from(v, o, b->open);
		*h = (struct hit){ .raw = stop_touch(buy, s, b), .level = s,
				   .slip = 1, .up = buy };
	} else if (o->type == TRD_ORDER_STOP_LIMIT && !o->triggered) {
		s = stop_touch(buy, o->stop_price, b);
		if (s == 0)
			return;
		/* At the trigger price the limit either is marketable (a
		 * fill there, as a limit: no slippage) or is not (it rests
		 * as a limit from the next bar on). */
		if (buy ? s <= o->price : s >= o->price)
			*h = (struct hit){ .raw = s, .level = o->stop_price,
					   .up = buy };
		else
			h->rests = 1;
	} else if (o->type == TRD_ORDER_LIMIT ||
		   o->type == TRD_ORDER_STOP_LIMIT) {
		*h = (struct hit){ .raw = limit_through(buy, o->price, b),
				   .level = o->price, .up = !buy,
				   .strict = 1 };
	}
}

static int
reached(const struct hit *h, int64_t p)
{
	if (h->at_open)
		return 1;
	if (h->up)
		return h->strict ? p > h->level : p >= h->level;
	return h->strict ? p < h->level : p <= h->level;
}

/* When h trades on the path open -> the extreme nearer the open (ties:
 * the high) -> the other -> close: the leg k of the path and how far into
 * it (the price distance; legs are monotonic, so it orders the points). */
static void
path_time(const struct hit *h, const struct trd_bar *b, int *k, i128 *dist)
{
	int high_first = (i128)b->high - b->open <= (i128)b->open - b->low;
	int64_t pt[4] = { b->open, high_first ? b->high : b->low,
			  high_first ? b->low : b->high, b->close };

	for (*k = 0; *k < 4; ++*k) {
		if (reached(h, pt[*k])) {
			*dist = *k == 0 ? 0 : (i128)h->level - pt[*k - 1];
			if (*dist < 0)
				*dist = -*dist;
			return;
		}
	}
	*dist = 0;
}

/* What a fill of h is worth to the trader against the bar's close. */
static i128
hit_value(const struct trd_venue *v, const struct trd_order *o,
	  const struct hit *h, const struct trd_bar *b)
{
	int64_t px = h->slip ? trd_venue_slipped(v, o->ins, o->side, h->raw)
			     : h->raw;

	return o->side == TRD_SIDE_BUY ? (i128)b->close - px
				       : (i128)px - b->close;
}

/* Whether p rather than o trades first when bar b trades both legs of an
 * OCO pair (venue.h, enum trd_intrabar); ties go to o, the older. */
static int
partner_first(const struct trd_venue *v, const struct trd_order *o,
	      const struct hit *ho, const struct trd_order *p,
	      const struct hit *hp, const struct trd_bar *b)
{
	i128 vo = hit_value(v, o, ho, b), vp = hit_value(v, p, hp, b);

	if (v->intrabar == TRD_INTRABAR_OHLC) {
		int ko, kp;
		i128 d_o, d_p;
		path_time(ho, b, &ko, &d_o);
		path_time(hp, b, &kp, &d_p);
		if (ko != kp)
			return kp < ko;
		if (d_o != d_p)
			return d_p < d_o;
		/* The same point of the path: as PESSIMISTIC. */
	} else if (v->intrabar == TRD_INTRABAR_OPTIMISTIC) {
		return vp > vo;
	}
	return vp < vo;
}

/* Move a trailing stop's level with bar b's extreme, never back. */
static void
ratchet(const struct trd_venue *v, struct trd_order *o,
	const struct trd_bar *b)
{
	if (o->side == TRD_SIDE_BUY) {
		int64_t l = trail_from(v, o, b->low);
		if (l < o->stop_price)
			o->stop_price = l;
	} else {
		int64_t l = trail_from(v, o, b->high);
		if (l > o->stop_price)
			o->stop_price = l;
	}
}

/* Bracket exit xid of entry eid becomes active after the entry's first
 * fill, in the bar delivered at now: priced, sized, listed and accepted,
 * matching from the next bar on. */
static void
activate(struct trd_venue *v, uint64_t eid, uint64_t xid, int64_t now)
{
	const struct trd_order *e = trd_oms_get(v->oms, eid);
	struct trd_order *x = trd_oms_get(v->oms, xid);
	int buy = x->side == TRD_SIDE_BUY;
	/* A take-profit (limit) lies beyond the entry in the exit's favour
	 * (a sell above), a stop-loss the other way; rounding the same way
	 * keeps the first no better than asked, the second no earlier. */
	int up = x->type == TRD_ORDER_LIMIT ? !buy : buy;
	int64_t tick = v->ins[x->ins].tick;

	if (x->offset_bps > 0) {
		i128 f = up ? (i128)100000000 + x->offset_bps
			    : (i128)100000000 - x->offset_bps;
		i128 num = (i128)trd_order_avg_price(e) * f;
		i128 q = num / 100000000, r = num % 100000000;
		if (up && r > 0)
			q++;
		else if (!up && r < 0)
			q--;
		x->price = level_tick(q, tick, up);
	} else if (x->price > 0 && (x->type == TRD_ORDER_LIMIT ||
				    x->type == TRD_ORDER_STOP)) {
		x->price = to_tick(x->price, tick, up);
	} else {
		close_order(v, xid, CLOSE_REJECT, TRD_REJ_INVALID_PRICE,
			    "bracket exit has no valid price", now);
		return;
	}
	x->qty = e->filled;
	x->held = 0;
	x->eligible_ns = now;
	trd_oms_accept(v->oms, x, now);
}

/* Entry eid filled q: activate its exits on the first fill, grow them on
 * later ones.  Exits that have closed stay closed. */
static void
bracket_fill(struct trd_venue *v, uint64_t eid, int64_t q, int64_t now)
{
	const struct trd_order *e = trd_oms_get(v->oms, eid);
	const struct trd_order *tp = trd_oms_get(v->oms, e->child_id);
	uint64_t ids[2];

	if (tp == NULL || tp->parent_id != eid)
		return;
	ids[0] = tp->id;
	ids[1] = tp->link_id;
	for (int k = 0; k < 2; k++) {
		struct trd_order *x = trd_oms_get(v->oms, ids[k]);
		if (x == NULL || x->parent_id != eid || !trd_order_is_open(x))
			continue;
		if (x->held) {
			activate(v, eid, ids[k], now);
		} else {
			x->qty = sat64((i128)x->qty + q);
			trd_oms_amended(v->oms, x, now);
		}
	}
}

static const char RO_CLOSED[] = "reduce-only: position closed";

/*
 * How much of want (> 0) order o may fill at px now: capped by a
 * reduce-only order's position, the bar's budget, then the money rules.
 * *why says what makes the rest close (NULL: it waits for later bars).
 * -1: a reduce-only order whose position is gone.
 */
static int64_t
allowed(const struct trd_venue *v, const struct trd_order *o, int64_t px,
	int64_t want, int64_t budget, const char **why)
{
	const struct trd_venue_instr *in = &v->ins[o->ins];
	int buy = o->side == TRD_SIDE_BUY;
	int64_t pos = trd_portfolio_pos(v->pf, o->strat, o->ins)->qty;
	int64_t q = want, c, f;

	*why = NULL;
	if (o->flags & TRD_ORDER_REDUCE_ONLY) {
		i128 held = buy ? -(i128)pos : (i128)pos;
		if (held <= 0)
			return -1;
		if (held < q) {
			q = (int64_t)held;
			*why = RO_CLOSED;
		}
	}
	if (q > budget) {
		q = budget;
		*why = NULL; /* the rest waits for later bars */
	}
	if (q <= 0)
		return 0;
	c = closing_qty(o->side, pos, 0, q);
	f = q;
	if (!buy && !in->allow_short)
		f = c;
	else if (c < q)
		f = c + max_open(v, o->ins, o->side, px, c, q - c, lot_of(in),
				 free_collateral(v, o->ins, px));
	if (f < q) {
		*why = !buy && !in->allow_short
			       ? "insufficient position at fill time"
			       : buy ? "insufficient cash at the fill price"
				     : "insufficient collateral to short at "
				       "the fill price";
	}
	return f;
}

/*
 * Order id has just filled q of the want it had, in bar b delivered at
 * now: its OCO partner, its bracket exits, a cancel or amend its own
 * on_fill asked for, and the rest (closed for why, expired for an IOC, or
 * left working).
 */
static void
after_fill(struct trd_venue *v, uint64_t id, int first, int64_t q,
	   int64_t want, const char *why, int64_t ts, int64_t now)
{
	const struct trd_order *o = trd_oms_get(v->oms, id);

	if (first && o->link_id != 0) {
		const struct trd_order *p = trd_oms_get(v->oms, o->link_id);
		if (p != NULL && p->link_id == id && p->filled == 0)
			close_order(v, o->link_id, CLOSE_CANCEL, 0,
				    "OCO: other leg filled", ts);
	}
	if (trd_oms_get(v->oms, id)->child_id != 0)
		bracket_fill(v, id, q, now);
	if (v->busy_amend) {
		v->busy_amend = 0;
		if (trd_oms_get(v->oms, id)->amend_pending)
			apply_amend(v, id, ts);
	}
	if (v->busy_cancel) {
		v->busy_cancel = 0;
		if (trd_oms_get(v->oms, id)->cancel_pending)
			apply_cancel(v, id, ts);
	}
	o = trd_oms_get(v->oms, id);
	if (!trd_order_is_open(o) || q >= want) {
		return;
	} else if (why == RO_CLOSED) {
		close_order(v, id, CLOSE_CANCEL, 0, RO_CLOSED, ts);
	} else if (why) {
		char buf[128];
		snprintf(buf, sizeof(buf), "rest canceled: %s", why);
		close_order(v, id, CLOSE_CANCEL, 0, buf, ts);
	} else if (o->tif == TRD_TIF_IOC) {
		close_order(v, id, CLOSE_EXPIRE, 0, "IOC: rest expired after "
			    "the first bar it met", ts);
	}
}

/*
 * Order id takes part in bar b (delivered at now): trigger, price, the
 * quantity it may fill (allowed), the fill, and what follows (after_fill).
 */
static void
execute(struct trd_venue *v, uint64_t id, const struct trd_bar *b,
	int64_t now, int64_t *budget)
{
	struct trd_order *o = trd_oms_get(v->oms, id);
	int buy = o->side == TRD_SIDE_BUY, first;
	int64_t ts = b->ts_ns, px, want, q, n, fee;
	const char *why;
	struct hit h;

	if (o->type == TRD_ORDER_TRAILING_STOP && o->stop_price == 0)
		o->stop_price = trail_from(v, o, b->open);
	probe(v, o, b, &h);
	if (h.raw == 0) {
		if (h.rests)
			o->triggered = 1;
		else if (o->type == TRD_ORDER_TRAILING_STOP && !o->triggered)
			ratchet(v, o, b);
		if (o->tif == TRD_TIF_IOC || o->tif == TRD_TIF_FOK)
			close_order(v, id, CLOSE_EXPIRE, 0,
				    o->tif == TRD_TIF_IOC
					    ? "IOC: not filled in the first "
					      "bar it met"
					    : "FOK: not filled in the first "
					      "bar it met",
				    ts);
		return;
	}
	if (o->type != TRD_ORDER_MARKET && o->type != TRD_ORDER_LIMIT)
		o->triggered = 1;
	px = h.slip ? trd_venue_slipped(v, o->ins, o->side, h.raw) : h.raw;
	want = o->qty - o->filled;
	q = allowed(v, o, px, want, *budget, &why);
	if (q < 0) {
		close_order(v, id, CLOSE_CANCEL, 0, RO_CLOSED, ts);
		return;
	}
	if (o->tif == TRD_TIF_FOK && q < want) {
		close_order(v, id, CLOSE_EXPIRE, 0, "FOK: could not fill the "
			    "whole quantity in the first bar it met", ts);
		return;
	}
	if (q == 0) {
		if (why)
			close_order(v, id, CLOSE_CANCEL, 0, why, ts);
		else if (o->tif == TRD_TIF_IOC)
			close_order(v, id, CLOSE_EXPIRE, 0, "IOC: not filled "
				    "in the first bar it met", ts);
		return;
	}
	*budget -= q;
	n = notional(v->pf, o->ins, px, q, buy ? TRD_ROUND_UP : TRD_ROUND_DOWN);
	fee = trd_fee(n, v->fee_bps);
	first = o->filled == 0;
	trd_portfolio_fill(v->pf, o->strat, o->ins, o->side, q, px, fee, ts);
	/* Callbacks may submit orders, which can move the order table:
	 * look the order up again after each one.  A cancel or amend of
	 * this order from its own on_fill waits until the fill is
	 * recorded (busy_id). */
	if (v->on_fill) {
		v->busy_id = id;
		v->on_fill(v->arg, o, q, px, fee, ts);
		v->busy_id = 0;
	}
	trd_oms_fill(v->oms, trd_oms_get(v->oms, id), q, px, ts);
	after_fill(v, id, first, q, want, why, ts, now);
}

/* Copy instrument ins's open list to the scratch buffer: callbacks may
 * submit or cancel orders, changing the list. */
static size_t
snapshot(struct trd_venue *v, size_t ins)
{
	const struct trd_oms_open *l = &v->oms->open[ins];

	if (l->n > v->nscratch) {
		uint64_t *s = realloc(v->scratch, l->n * sizeof(*s));
		if (s == NULL)
			abort(); /* a few bytes; nothing sane to do */
		v->scratch = s;
		v->nscratch = l->n;
	}
	if (l->n > 0)
		memcpy(v->scratch, l->ids, l->n * sizeof(*l->ids));
	return l->n;
}

static int
takes_part(const struct trd_order *o, size_t ins, const struct trd_bar *b)
{
	return o != NULL && trd_order_is_open(o) && o->listed &&
	       o->status != TRD_ORDER_NEW && o->ins == ins &&
	       o->eligible_ns <= b->ts_ns;
}

/* What the orders of ins may fill together in bar b (lot multiple). */
static int64_t
bar_budget(const struct trd_venue *v, size_t ins, const struct trd_bar *b)
{
	int64_t lot = lot_of(&v->ins[ins]), c;

	if (v->participation_ppm <= 0)
		return INT64_MAX;
	if (b->volume <= 0)
		return 0;
	c = sat64((i128)b->volume * v->participation_ppm / 1000000);
	return c - c % lot;
}

static void
match(struct trd_venue *v, size_t ins, const struct trd_bar *b, int64_t now)
{
	int64_t budget = bar_budget(v, ins, b);
	size_t n = snapshot(v, ins);

	for (size_t i = 0; i < n; i++) {
		uint64_t id = v->scratch[i], pid;
		const struct trd_order *o = trd_oms_get(v->oms, id), *p;
		struct hit ho, hp;
		size_t j;

		if (!takes_part(o, ins, b))
			continue;
		/* An OCO partner later in the list that this bar trades
		 * too: the intrabar rule says which leg goes first (the
		 * OCO rule then cancels the other). */
		pid = o->link_id;
		p = pid ? trd_oms_get(v->oms, pid) : NULL;
		if (takes_part(p, ins, b) && p->link_id == id) {
			for (j = i + 1; j < n && v->scratch[j] != pid; j++)
				;
			probe(v, o, b, &ho);
			probe(v, p, b, &hp);
			if (j < n && ho.raw != 0 && hp.raw != 0 &&
			    partner_first(v, o, &ho, p, &hp, b)) {
				v->scratch[j] = 0;
				execute(v, pid, b, now, &budget);
				if (!takes_part(trd_oms_get(v->oms, id), ins,
						b))
					continue;
			}
		}
		execute(v, id, b, now, &budget);
	}
}

/* Arrivals by now (checked when they arrive), then what else is due by
 * upto, for every order listed on ins. */
static void
due(struct trd_venue *v, size_t ins, int64_t now, int64_t upto)
{
	size_t n = snapshot(v, ins);

	for (size_t i = 0; i < n; i++) {
		const struct trd_order *o = trd_oms_get(v->oms, v->scratch[i]);
		if (o->status == TRD_ORDER_NEW && o->listed &&
		    o->eligible_ns <= now)
			arrive(v, o->id, o->eligible_ns);
		apply_due(v, v->scratch[i], upto);
	}
}

void
trd_venue_bar(struct trd_venue *v, size_t ins, const struct trd_bar *bar,
	      int64_t now)
{
	if (ins >= v->ninstr || v->oms->open[ins].n == 0)
		return;
	/* Before the bar: arrivals, and what reached the venue by its open
	 * (cancels, amends, expiries). */
	due(v, ins, now, bar->ts_ns);
	/* A bar without positive prices (bad data) trades nothing. */
	if (bar->open > 0 && bar->high > 0 && bar->low > 0 && bar->close > 0 &&
	    bar->low <= bar->high)
		match(v, ins, bar, now);
	/* After it: what reached the venue during the bar. */
	due(v, ins, now, now);
}

void
trd_venue_finish(struct trd_venue *v, int64_t now)
{
	for (size_t ins = 0; ins < v->ninstr; ins++)
		due(v, ins, now, now);
}
