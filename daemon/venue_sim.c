/*
 * venue_sim: see venue_sim.h for the fill model.
 *
 * The book: one record per order the venue holds open (in flight or
 * working), indexed by the order manager's id and listed per instrument in
 * id order (older orders match first).  A record is freed when its order
 * closes.  Every report may call back into the venue (the order manager
 * places bracket exits from a fill), so a record is looked up again by id
 * after each report, and matching walks a copy of the instrument's list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decimal.h"
#include "instrument.h"
#include "log.h"
#include "margin.h"
#include "oms.h"
#include "portfolio.h"
#include "venue_sim.h"

#define HASH_NONFATAL_OOM 1
/* Keys are 64-bit ids: one multiply mixes them well enough, where
 * uthash's default byte-wise hash costs ~100 instructions a lookup. */
#define HASH_FUNCTION(keyptr, keylen, hashv)                              \
	do {                                                              \
		uint64_t k_;                                              \
		memcpy(&k_, (keyptr), sizeof(k_));                        \
		(hashv) = (unsigned)((k_ * 0x9E3779B97F4A7C15ULL) >> 32); \
	} while (0)
#include <uthash.h>

struct sim_order {
	uint64_t id;              /* the order manager's */
	uint32_t strat, ins;
	uint8_t  side, type, tif, flags;
	uint8_t  arrived;         /* at the venue (else in flight) */
	uint8_t  triggered;       /* a stop has triggered; a stop-limit
				   * rests as a limit */
	uint8_t  cancel_pending;  /* a cancel is on its way (cancel_ns) */
	uint8_t  amend_pending;   /* an amend is on its way (amend_ns) */
	uint8_t  met;             /* has met a quote or trade since it
				   * arrived: a limit now rests */
	int64_t  qty, filled, price;
	int64_t  stop_price;      /* STOP_LIMIT trigger; TRAILING_STOP: the
				   * current level (0 until set) */
	int64_t  trail, expire_ns, submit_ns;
	int64_t  eligible_ns;     /* arrives then; matches only bars opening
				   * at or after it */
	int64_t  cancel_ns, amend_ns, amend_qty, amend_price;
	uint64_t link_id;         /* OCO partner, or 0 */
	char     cancel_reason[TRD_OMS_REASON_MAX];
	UT_hash_handle hh;
};

struct sim_book {
	struct sim_order **v;
	size_t             n, cap;
};

struct sim {
	struct trd_venue            base;
	const struct trd_registry  *reg;
	const struct trd_portfolio *pf;
	int64_t                     participation_ppm;
	int64_t                     submit_latency_ns, cancel_latency_ns;
	int                         intrabar;
	int64_t                     grace_ns; /* one timeframe: see the tick */
	struct sim_book            *book;     /* per instrument */
	struct sim_touch {
		int64_t bid, bid_qty, ask, ask_qty;
		int     have;          /* a quote with both sides seen */
	}                          *touch;    /* per instrument */
	size_t                      ninstr;
	struct sim_order           *by_id;
	uint64_t                   *scratch;  /* a book's ids while matching */
	size_t                      nscratch;
	uint64_t                    next_exec, next_vid;
};

static int64_t
sim_now(const struct sim *s)
{
	return trd_clock_now(s->base.clock);
}

/* a + b for times (now + latency) without wrapping. */
static int64_t
add_ns(int64_t a, int64_t b)
{
	return trd_sat64((i128)a + b);
}

static const struct trd_instr *
instr(const struct sim *s, uint32_t ins)
{
	return &s->reg->v[ins];
}

static int64_t
lot_of(const struct sim *s, uint32_t ins)
{
	return instr(s, ins)->lot > 1 ? instr(s, ins)->lot : 1;
}

static int64_t
slipped(const struct sim *s, uint32_t ins, int side, int64_t px)
{
	return trd_margin_slipped(s->base.fees.slip_bps, instr(s, ins)->tick,
				  side, px);
}

static struct sim_order *
find(const struct sim *s, uint64_t id)
{
	struct sim_order *r = NULL;

	if (id != 0)
		HASH_FIND(hh, s->by_id, &id, sizeof(id), r);
	return r;
}

/* ---- the book ---- */

static int
book_add(struct sim *s, struct sim_order *r)
{
	struct sim_book *b = &s->book[r->ins];
	size_t at;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct sim_order **v = realloc(b->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	for (at = b->n; at > 0 && b->v[at - 1]->id > r->id; at--)
		;
	memmove(&b->v[at + 1], &b->v[at], (b->n - at) * sizeof(*b->v));
	b->v[at] = r;
	b->n++;
	return 0;
}

/* Take r off the book and free it: its order has closed. */
static void
release(struct sim *s, struct sim_order *r)
{
	struct sim_book *b = &s->book[r->ins];

	for (size_t i = b->n; i-- > 0;) {
		if (b->v[i] == r) {
			memmove(&b->v[i], &b->v[i + 1],
				(b->n - i - 1) * sizeof(*b->v));
			b->n--;
			break;
		}
	}
	HASH_DEL(s->by_id, r);
	free(r);
}

static void
emit(struct sim *s, const struct trd_venue_report *rep)
{
	trd_venue_emit(&s->base, rep);
}

/* How r stands, for ACCEPTED, AMENDED and LEVEL reports. */
static void
emit_state(struct sim *s, const struct sim_order *r, int kind, int64_t at)
{
	char vid[32], d[20];
	struct trd_venue_report rep = {
		.kind = (uint32_t)kind, .id = r->id, .ts_ns = at,
		.qty = r->qty, .price = r->price, .stop_price = r->stop_price,
	};

	if (kind == TRD_VR_ACCEPTED) {
		/* "sim-<n>", without printf: it runs per order. */
		uint64_t v = ++s->next_vid;
		int k = 0;
		char *p = vid + 4;
		memcpy(vid, "sim-", 4);
		do
			d[k++] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		while (k > 0)
			*p++ = d[--k];
		*p = '\0';
		rep.venue_id = vid;
	}
	emit(s, &rep);
}

/* ---- checks on arrival ---- */

/* Whether o counts in pending_qty for self: another working order of the
 * strategy on side at the venue (in flight ones have not arrived), not
 * self's OCO partner (the two are alternatives), reduce-only if asked. */
static int
pends(const struct sim_order *o, const struct sim_order *self, int side,
      int ro_only)
{
	return o != NULL && o != self && o->arrived && o->ins == self->ins &&
	       o->strat == self->strat && o->side == side &&
	       o->id != self->link_id &&
	       (!ro_only || (o->flags & TRD_ORDER_REDUCE_ONLY));
}

/* Quantity of the strategy's other open orders on side not yet filled (in
 * 128 bits: orders accepted before the first close were not checked).  An
 * OCO pair on that side counts once, as its larger leg: only one of the
 * two can trade. */
static i128
pending_qty(const struct sim *s, const struct sim_order *self, int side,
	    int ro_only)
{
	const struct sim_book *b = &s->book[self->ins];
	i128 sum = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct sim_order *o = b->v[i];
		int64_t rest;
		if (!pends(o, self, side, ro_only))
			continue;
		rest = o->qty - o->filled;
		if (o->link_id != 0) {
			const struct sim_order *p = find(s, o->link_id);
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

static int
refuse(char *why, size_t len, int code, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return code;
}

/* A trailing stop's level trail away from ref: below for a sell (rounded
 * down), above for a buy (rounded up), so it never triggers early. */
static int64_t
trail_from(const struct sim *s, const struct sim_order *o, int64_t ref)
{
	int buy = o->side == TRD_SIDE_BUY;

	return trd_margin_level(buy ? (i128)ref + o->trail
				    : (i128)ref - o->trail,
				instr(s, o->ins)->tick, buy);
}

/* vet() for a GTD order whose expiry passed while it was in flight. */
#define VET_EXPIRED (-1)

/*
 * The venue's checks of an order reaching it at `at` (venue_sim.h),
 * rounding the venue's copy of its quantity and prices on the way.  0
 * when it may be accepted, else an enum trd_reject with the reason in why
 * (or VET_EXPIRED).
 */
static int
vet(struct sim *s, struct sim_order *o, int64_t at, char *why, size_t len)
{
	const struct trd_instr *in = instr(s, o->ins);
	const struct trd_portfolio *pf = s->pf;
	int buy = o->side == TRD_SIDE_BUY;
	int64_t last = pf->ins[o->ins].last, ref, pos, c;

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
	o->qty -= o->qty % lot_of(s, o->ins);
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
		o->stop_price = trd_margin_to_tick(o->stop_price, in->tick,
						   buy);
		o->price = trd_margin_to_tick(o->price, in->tick, !buy);
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
			o->stop_price = o->price =
				trd_margin_to_tick(o->price, in->tick, buy);
		else
			o->stop_price = last > 0 ? trail_from(s, o, last) : 0;
		break;
	default: /* limit, stop */
		if (o->price <= 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "price must be positive");
		/* A limit rounds to a tick no better than asked; a stop to
		 * one no earlier than asked. */
		o->price = trd_margin_to_tick(o->price, in->tick,
					      o->type == TRD_ORDER_LIMIT ? !buy
									 : buy);
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
	pos = trd_portfolio_pos(pf, o->strat, o->ins)->qty;
	if (o->flags & TRD_ORDER_REDUCE_ONLY) {
		i128 held = buy ? -(i128)pos : (i128)pos;
		if (held - pending_qty(s, o, o->side, 1) <= 0)
			return refuse(why, len, TRD_REJ_REDUCE_ONLY,
				      "reduce-only order would not reduce "
				      "the position");
		/* Its fills are capped at the position: it never opens
		 * one, so the money rules have nothing to check. */
		return 0;
	}
	c = trd_margin_closing_qty(o->side, pos,
				   pending_qty(s, o, o->side, 0), o->qty);
	ref = o->type == TRD_ORDER_TRAILING_STOP ? o->stop_price : o->price;
	if (ref == 0)
		ref = last;
	if ((buy || in->shortable) && c < o->qty && ref > 0) {
		int64_t px = o->type == TRD_ORDER_LIMIT ||
					     o->type == TRD_ORDER_STOP_LIMIT
				     ? ref
				     : slipped(s, o->ins, o->side, ref);
		i128 need, have;
		if (!trd_margin_covered(pf, s->base.fees.fee_bps, o->ins,
					o->side, px, c, o->qty - c,
					trd_margin_free(pf, o->ins, px), &need,
					&have)) {
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
	if (!buy && !in->shortable && c < o->qty)
		return refuse(why, len, TRD_REJ_POSITION,
			      "insufficient position (short selling is not "
			      "enabled)");
	return 0;
}

/* ---- closing, and the OCO partner ---- */

enum close_how { CLOSE_CANCEL, CLOSE_EXPIRE, CLOSE_REJECT };

static void close_order(struct sim *s, uint64_t id, int how, int code,
			const char *reason, int64_t at);

static const char *
oco_reason(int how)
{
	return how == CLOSE_EXPIRE   ? "OCO: other leg expired"
	       : how == CLOSE_REJECT ? "OCO: other leg rejected"
				     : "OCO: other leg canceled";
}

/*
 * Cancel, expire or reject an open order (every closure but a fill goes
 * through here), then its OCO partner here, unless that one has filled
 * (its first fill canceled this one).  No-op if the venue does not hold
 * it.
 */
static void
close_order(struct sim *s, uint64_t id, int how, int code, const char *reason,
	    int64_t at)
{
	struct sim_order *r = find(s, id), *p;
	uint64_t link;
	struct trd_venue_report rep = {
		.kind = how == CLOSE_REJECT   ? TRD_VR_REJECTED
			: how == CLOSE_EXPIRE ? TRD_VR_EXPIRED
					      : TRD_VR_CANCELED,
		.id = id, .ts_ns = at, .code = code, .reason = reason,
	};

	if (r == NULL)
		return;
	link = r->link_id;
	release(s, r);
	emit(s, &rep);
	p = find(s, link);
	if (p != NULL && p->link_id == id && p->filled == 0)
		close_order(s, link, CLOSE_CANCEL, 0, oco_reason(how), at);
}

/* ---- arrival, cancels, amends ---- */

static void
arrive(struct sim *s, uint64_t id, int64_t at)
{
	struct sim_order *r = find(s, id);
	/* Longer than an order's reason: snprintf truncates into it. */
	char why[128];
	int code = vet(s, r, at, why, sizeof(why));

	if (code == VET_EXPIRED) {
		close_order(s, id, CLOSE_EXPIRE, 0,
			    "GTD: expired before it reached the venue", at);
	} else if (code != 0) {
		close_order(s, id, CLOSE_REJECT, code, why, at);
	} else {
		/* It can match bars that open from now on. */
		r->eligible_ns = at;
		r->arrived = 1;
		emit_state(s, r, TRD_VR_ACCEPTED, at);
	}
}

static int
sim_submit(struct trd_venue *v, const struct trd_order *o, unsigned flags)
{
	struct sim *s = (struct sim *)v;
	int64_t now = sim_now(s);
	struct sim_order *r;
	int oom = 0;

	if (find(s, o->id) != NULL)
		return -EINVAL;
	if (o->ins >= s->ninstr) {
		struct trd_venue_report rep = {
			.kind = TRD_VR_REJECTED, .id = o->id, .ts_ns = now,
			.code = TRD_REJ_UNKNOWN_SYMBOL,
			.reason = "unknown instrument" };
		emit(s, &rep);
		return 0;
	}
	/* Every field is set below (cancel_reason when a cancel is sent). */
	if ((r = malloc(sizeof(*r))) == NULL)
		return -ENOMEM;
	*r = (struct sim_order){
		.id = o->id, .strat = o->strat, .ins = o->ins,
		.side = o->side, .type = o->type, .tif = o->tif,
		.flags = o->flags, .qty = o->qty, .price = o->price,
		.stop_price = o->stop_price, .trail = o->trail,
		.expire_ns = o->expire_ns, .submit_ns = o->submit_ns,
		.eligible_ns = now, .link_id = o->link_id,
	};
#undef uthash_nonfatal_oom
#define uthash_nonfatal_oom(e) (oom = 1)
	HASH_ADD(hh, s->by_id, id, sizeof(uint64_t), r);
	if (oom) {
		free(r);
		return -ENOMEM;
	}
	if (book_add(s, r) != 0) {
		HASH_DEL(s->by_id, r);
		free(r);
		return -ENOMEM;
	}
	if (s->submit_latency_ns > 0 && !(flags & TRD_VENUE_CONTINGENT)) {
		r->eligible_ns = add_ns(now, s->submit_latency_ns);
		return 0;
	}
	arrive(s, r->id, now);
	return 0;
}

/* The price an amend's price sets, and whether it rounds up: a limit's
 * (or a triggered stop-limit's) limit, else the trigger or stop level. */
static int64_t *
amend_target(struct sim_order *o, int *up)
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

/* The amended order, reported; one cut to what has filled is done. */
static void
amended(struct sim *s, struct sim_order *r, int64_t at)
{
	emit_state(s, r, TRD_VR_AMENDED, at);
	if ((r = find(s, r->id)) != NULL && r->filled > 0 &&
	    r->filled >= r->qty)
		release(s, r);
}

static void
apply_amend(struct sim *s, uint64_t id, int64_t at)
{
	struct sim_order *r = find(s, id);
	int64_t *px;
	int up;

	r->amend_pending = 0;
	/* It may have filled past the new quantity meanwhile: then what
	 * has filled is all it does (and it closes as FILLED). */
	r->qty = r->amend_qty > r->filled ? r->amend_qty : r->filled;
	if (r->amend_price > 0 && (px = amend_target(r, &up)) != NULL)
		*px = trd_margin_to_tick(r->amend_price, instr(s, r->ins)->tick,
					 up);
	amended(s, r, at);
}

static void
apply_cancel(struct sim *s, uint64_t id, int64_t at)
{
	struct sim_order *r = find(s, id);
	char why[sizeof(r->cancel_reason)];

	r->cancel_pending = 0;
	memcpy(why, r->cancel_reason, sizeof(why));
	close_order(s, id, CLOSE_CANCEL, 0, why, at);
}

/*
 * Apply what reaches the venue for order id by upto, in time order: a
 * pending amend (once the order itself has arrived), a pending cancel, the
 * expiry of a GTD order at the venue; ties in that order.  Each is stamped
 * with its own time.
 */
static void
apply_due(struct sim *s, uint64_t id, int64_t upto)
{
	for (;;) {
		const struct sim_order *r = find(s, id);
		int64_t t = INT64_MAX;
		int what = 0;

		if (r == NULL)
			return;
		if (r->amend_pending && r->arrived && r->amend_ns <= upto) {
			t = r->amend_ns;
			what = 1;
		}
		if (r->cancel_pending && r->cancel_ns <= upto &&
		    (what == 0 || r->cancel_ns < t)) {
			t = r->cancel_ns;
			what = 2;
		}
		if (r->tif == TRD_TIF_GTD && r->arrived &&
		    r->expire_ns <= upto && (what == 0 || r->expire_ns < t)) {
			t = r->expire_ns;
			what = 3;
		}
		if (what == 0)
			return;
		if (what == 1)
			apply_amend(s, id, t);
		else if (what == 2)
			apply_cancel(s, id, t);
		else
			close_order(s, id, CLOSE_EXPIRE, 0,
				    "GTD: expired at its expiry time", t);
	}
}

static int
sim_cancel(struct trd_venue *v, const struct trd_order *o, const char *reason)
{
	struct sim *s = (struct sim *)v;
	struct sim_order *r = find(s, o->id);
	int64_t now = sim_now(s);

	if (r == NULL || r->cancel_pending)
		return -ENOENT;
	if (s->cancel_latency_ns <= 0) {
		close_order(s, r->id, CLOSE_CANCEL, 0, reason, now);
		return 0;
	}
	r->cancel_ns = add_ns(now, s->cancel_latency_ns);
	r->cancel_pending = 1;
	snprintf(r->cancel_reason, sizeof(r->cancel_reason), "%s",
		 reason ? reason : "canceled");
	return 0;
}

static int
sim_amend(struct trd_venue *v, const struct trd_order *o, int64_t qty,
	  int64_t price, unsigned flags)
{
	struct sim *s = (struct sim *)v;
	struct sim_order *r = find(s, o->id);
	int contingent = (flags & TRD_VENUE_CONTINGENT) != 0;
	int64_t *px, last, now = sim_now(s);
	int up = 0;

	if (r == NULL || (r->cancel_pending && !contingent))
		return -ENOENT;
	px = amend_target(r, &up);
	if (price < 0 || (price > 0 && px == NULL))
		return -EINVAL;
	if (price > 0)
		price = trd_margin_to_tick(price, instr(s, r->ins)->tick, up);
	if (qty <= 0 || qty < r->filled || qty % lot_of(s, r->ins) != 0)
		return -EINVAL;
	if (contingent) {
		/* The venue's own change (a bracket exit growing with its
		 * entry's fills): at once. */
		r->qty = qty;
		if (price > 0)
			*px = price;
		amended(s, r, now);
		return 0;
	}
	last = s->pf->ins[r->ins].last;
	if ((r->flags & TRD_ORDER_POST_ONLY) && r->type == TRD_ORDER_LIMIT &&
	    price > 0 && last > 0 &&
	    (r->side == TRD_SIDE_BUY ? price >= last : price <= last))
		return -EINVAL;
	r->amend_qty = qty;
	r->amend_price = price;
	if (s->cancel_latency_ns <= 0 && r->arrived) {
		apply_amend(s, r->id, now);
		return 0;
	}
	/* On its way; or, without latency, waiting for the order to
	 * arrive. */
	r->amend_pending = 1;
	r->amend_ns = s->cancel_latency_ns > 0
			      ? add_ns(now, s->cancel_latency_ns) : now;
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
probe(const struct sim *s, const struct sim_order *o, const struct trd_bar *b,
      struct hit *h)
{
	int buy = o->side == TRD_SIDE_BUY;
	int64_t p;

	*h = (struct hit){ 0 };
	if (o->type == TRD_ORDER_MARKET ||
	    (o->triggered && (o->type == TRD_ORDER_STOP ||
			      o->type == TRD_ORDER_TRAILING_STOP))) {
		/* A triggered stop is a market order. */
		*h = (struct hit){ .raw = b->open, .slip = 1, .at_open = 1 };
	} else if (o->type == TRD_ORDER_STOP ||
		   o->type == TRD_ORDER_TRAILING_STOP) {
		p = o->type == TRD_ORDER_STOP ? o->price
		    : o->stop_price	      ? o->stop_price
					      : trail_from(s, o, b->open);
		*h = (struct hit){ .raw = stop_touch(buy, p, b), .level = p,
				   .slip = 1, .up = buy };
	} else if (o->type == TRD_ORDER_STOP_LIMIT && !o->triggered) {
		p = stop_touch(buy, o->stop_price, b);
		if (p == 0)
			return;
		/* At the trigger price the limit either is marketable (a
		 * fill there, as a limit: no slippage) or is not (it rests
		 * as a limit from the next bar on). */
		if (buy ? p <= o->price : p >= o->price)
			*h = (struct hit){ .raw = p, .level = o->stop_price,
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
hit_value(const struct sim *s, const struct sim_order *o, const struct hit *h,
	  const struct trd_bar *b)
{
	int64_t px = h->slip ? slipped(s, o->ins, o->side, h->raw) : h->raw;

	return o->side == TRD_SIDE_BUY ? (i128)b->close - px
				       : (i128)px - b->close;
}

/* Whether p rather than o trades first when bar b trades both legs of an
 * OCO pair (venue.h, enum trd_intrabar); ties go to o, the older. */
static int
partner_first(const struct sim *s, const struct sim_order *o,
	      const struct hit *ho, const struct sim_order *p,
	      const struct hit *hp, const struct trd_bar *b)
{
	i128 vo = hit_value(s, o, ho, b), vp = hit_value(s, p, hp, b);

	if (s->intrabar == TRD_INTRABAR_OHLC) {
		int ko, kp;
		i128 d_o, d_p;
		path_time(ho, b, &ko, &d_o);
		path_time(hp, b, &kp, &d_p);
		if (ko != kp)
			return kp < ko;
		if (d_o != d_p)
			return d_p < d_o;
		/* The same point of the path: as PESSIMISTIC. */
	} else if (s->intrabar == TRD_INTRABAR_OPTIMISTIC) {
		return vp > vo;
	}
	return vp < vo;
}

/* A trailing stop's level, reported when it moves. */
static void
set_level(struct sim *s, struct sim_order *o, int64_t level, int64_t at)
{
	if (level == o->stop_price)
		return;
	o->stop_price = level;
	emit_state(s, o, TRD_VR_LEVEL, at);
}

/* Move a trailing stop's level with bar b's extreme, never back. */
static void
ratchet(struct sim *s, struct sim_order *o, const struct trd_bar *b)
{
	int64_t l = trail_from(s, o, o->side == TRD_SIDE_BUY ? b->low
							    : b->high);

	if (o->side == TRD_SIDE_BUY ? l < o->stop_price : l > o->stop_price)
		set_level(s, o, l, b->ts_ns);
}

static const char RO_CLOSED[] = "reduce-only: position closed";

/*
 * How much of want (> 0) order o may fill at px now: capped by a
 * reduce-only order's position, the bar's budget, then the money rules.
 * *why says what makes the rest close (NULL: it waits for later bars).
 * -1: a reduce-only order whose position is gone.
 */
static int64_t
allowed(const struct sim *s, const struct sim_order *o, int64_t px,
	int64_t want, int64_t budget, const char **why)
{
	const struct trd_instr *in = instr(s, o->ins);
	int buy = o->side == TRD_SIDE_BUY;
	int64_t pos = trd_portfolio_pos(s->pf, o->strat, o->ins)->qty;
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
	c = trd_margin_closing_qty(o->side, pos, 0, q);
	f = q;
	if (!buy && !in->shortable)
		f = c;
	else if (c < q)
		f = c + trd_margin_max_open(s->pf, s->base.fees.fee_bps,
					    o->ins, o->side, px, c, q - c,
					    lot_of(s, o->ins),
					    trd_margin_free(s->pf, o->ins, px));
	if (f < q) {
		*why = !buy && !in->shortable
			       ? "insufficient position at fill time"
			       : buy ? "insufficient cash at the fill price"
				     : "insufficient collateral to short at "
				       "the fill price";
	}
	return f;
}

/*
 * Order id has just filled q of the want it had, in a bar opening at ts:
 * its OCO partner, and the rest (closed for why, expired for an IOC, or
 * left working).  A record that filled in full is released here.
 */
static void
after_fill(struct sim *s, uint64_t id, int first, int64_t q, int64_t want,
	   const char *why, int64_t ts, const char *where)
{
	struct sim_order *r = find(s, id), *p;

	if (r == NULL)
		return;
	if (first && r->link_id != 0) {
		p = find(s, r->link_id);
		if (p != NULL && p->link_id == id && p->filled == 0)
			close_order(s, r->link_id, CLOSE_CANCEL, 0,
				    "OCO: other leg filled", ts);
		if ((r = find(s, id)) == NULL)
			return;
	}
	if (r->filled >= r->qty) {
		release(s, r);
	} else if (q >= want) {
		return;
	} else if (why == RO_CLOSED) {
		close_order(s, id, CLOSE_CANCEL, 0, RO_CLOSED, ts);
	} else if (why) {
		char buf[128];
		snprintf(buf, sizeof(buf), "rest canceled: %s", why);
		close_order(s, id, CLOSE_CANCEL, 0, buf, ts);
	} else if (r->tif == TRD_TIF_IOC) {
		char buf[80];
		snprintf(buf, sizeof(buf), "IOC: rest expired after the first "
			 "%s it met", where);
		close_order(s, id, CLOSE_EXPIRE, 0, buf, ts);
	}
}

static void unmet(struct sim *s, uint64_t id, int64_t ts, const char *where);
static void fill(struct sim *s, uint64_t id, int64_t px, int64_t ref,
		 int64_t *budget, int64_t ts, const char *where);

/*
 * Order id takes part in bar b: trigger, price, the quantity it may fill
 * (allowed), the fill, and what follows (after_fill).
 */
static void
execute(struct sim *s, uint64_t id, const struct trd_bar *b, int64_t *budget)
{
	struct sim_order *o = find(s, id);
	int64_t ts = b->ts_ns, px;
	struct hit h;

	if (o->type == TRD_ORDER_TRAILING_STOP && o->stop_price == 0)
		set_level(s, o, trail_from(s, o, b->open), ts);
	probe(s, o, b, &h);
	if (h.raw == 0) {
		if (h.rests)
			o->triggered = 1;
		else if (o->type == TRD_ORDER_TRAILING_STOP && !o->triggered)
			ratchet(s, o, b);
		unmet(s, id, ts, "bar");
		return;
	}
	if (o->type != TRD_ORDER_MARKET && o->type != TRD_ORDER_LIMIT)
		o->triggered = 1;
	px = h.slip ? slipped(s, o->ins, o->side, h.raw) : h.raw;
	fill(s, id, px, h.raw, budget, ts, "bar");
}

/* The first bar or quote order id met did not fill it: an IOC or FOK
 * expires. */
static void
unmet(struct sim *s, uint64_t id, int64_t ts, const char *where)
{
	const struct sim_order *o = find(s, id);
	char buf[80];

	if (o == NULL || (o->tif != TRD_TIF_IOC && o->tif != TRD_TIF_FOK))
		return;
	snprintf(buf, sizeof(buf), "%s: not filled in the first %s it met",
		 o->tif == TRD_TIF_IOC ? "IOC" : "FOK", where);
	close_order(s, id, CLOSE_EXPIRE, 0, buf, ts);
}

/*
 * Order id fills at px (ref: the price before slippage) at ts, up to
 * *budget: the quantity it may (allowed), FOK, the report, and what
 * follows (after_fill).  where names what it met ("bar", "quote",
 * "trade") in the messages.
 */
static void
fill(struct sim *s, uint64_t id, int64_t px, int64_t ref, int64_t *budget,
     int64_t ts, const char *where)
{
	struct sim_order *o = find(s, id);
	int buy = o->side == TRD_SIDE_BUY, first;
	int64_t want, q, n, fee;
	const char *why;

	want = o->qty - o->filled;
	q = allowed(s, o, px, want, *budget, &why);
	if (q < 0) {
		close_order(s, id, CLOSE_CANCEL, 0, RO_CLOSED, ts);
		return;
	}
	if (o->tif == TRD_TIF_FOK && q < want) {
		char buf[96];
		snprintf(buf, sizeof(buf), "FOK: could not fill the whole "
			 "quantity in the first %s it met", where);
		close_order(s, id, CLOSE_EXPIRE, 0, buf, ts);
		return;
	}
	if (q == 0) {
		if (why)
			close_order(s, id, CLOSE_CANCEL, 0, why, ts);
		else
			unmet(s, id, ts, where);
		return;
	}
	*budget -= q;
	n = trd_margin_notional(s->pf, o->ins, px, q,
				buy ? TRD_ROUND_UP : TRD_ROUND_DOWN);
	fee = trd_fee(n, s->base.fees.fee_bps);
	first = o->filled == 0;
	o->filled += q;
	{
		struct trd_venue_report rep = {
			.kind = TRD_VR_FILL, .id = id, .ts_ns = ts,
			.exec_id = ++s->next_exec, .fill_qty = q,
			.fill_price = px, .fee = fee, .ref_price = ref };
		/* The order manager books it (the portfolio with it) and
		 * may place orders from here: look o up again after. */
		emit(s, &rep);
	}
	after_fill(s, id, first, q, want, why, ts, where);
}

/* Copy instrument ins's book to the scratch buffer: reports may add or
 * close orders, changing the book. */
static size_t
snapshot(struct sim *s, size_t ins)
{
	const struct sim_book *b = &s->book[ins];

	if (b->n > s->nscratch) {
		uint64_t *p = realloc(s->scratch, b->n * sizeof(*p));
		if (p == NULL)
			abort(); /* a few bytes; nothing sane to do */
		s->scratch = p;
		s->nscratch = b->n;
	}
	for (size_t i = 0; i < b->n; i++)
		s->scratch[i] = b->v[i]->id;
	return b->n;
}

/* Market and limit orders of an instrument with quotes match against
 * its quotes and trades (tick_match), not its bars. */
static int
on_ticks(const struct sim *s, const struct sim_order *o)
{
	return s->touch[o->ins].have &&
	       (o->type == TRD_ORDER_MARKET || o->type == TRD_ORDER_LIMIT);
}

static int
takes_part(const struct sim *s, const struct sim_order *o, size_t ins,
	   const struct trd_bar *b)
{
	return o != NULL && o->arrived && o->ins == ins &&
	       o->eligible_ns <= b->ts_ns && !on_ticks(s, o);
}

/* What the orders of ins may fill together in bar b (lot multiple). */
static int64_t
bar_budget(const struct sim *s, size_t ins, const struct trd_bar *b)
{
	int64_t lot = lot_of(s, (uint32_t)ins), c;

	if (s->participation_ppm <= 0)
		return INT64_MAX;
	if (b->volume <= 0)
		return 0;
	c = trd_sat64((i128)b->volume * s->participation_ppm / 1000000);
	return c - c % lot;
}

static void
match(struct sim *s, size_t ins, const struct trd_bar *b)
{
	int64_t budget = bar_budget(s, ins, b);
	size_t n = snapshot(s, ins);

	for (size_t i = 0; i < n; i++) {
		uint64_t id = s->scratch[i], pid;
		const struct sim_order *o = find(s, id), *p;
		struct hit ho, hp;
		size_t j;

		if (!takes_part(s, o, ins, b))
			continue;
		/* An OCO partner later in the list that this bar trades
		 * too: the intrabar rule says which leg goes first (the
		 * OCO rule then cancels the other). */
		pid = o->link_id;
		p = find(s, pid);
		if (takes_part(s, p, ins, b) && p->link_id == id) {
			for (j = i + 1; j < n && s->scratch[j] != pid; j++)
				;
			probe(s, o, b, &ho);
			probe(s, p, b, &hp);
			if (j < n && ho.raw != 0 && hp.raw != 0 &&
			    partner_first(s, o, &ho, p, &hp, b)) {
				s->scratch[j] = 0;
				execute(s, pid, b, &budget);
				if (!takes_part(s, find(s, id), ins, b))
					continue;
			}
		}
		execute(s, id, b, &budget);
	}
}

/* Arrivals by now (checked when they arrive), then what else is due by
 * upto, for every order on ins. */
static void
due(struct sim *s, size_t ins, int64_t now, int64_t upto)
{
	size_t n = snapshot(s, ins);

	for (size_t i = 0; i < n; i++) {
		const struct sim_order *r = find(s, s->scratch[i]);
		if (r != NULL && !r->arrived && r->eligible_ns <= now)
			arrive(s, r->id, r->eligible_ns);
		apply_due(s, s->scratch[i], upto);
	}
}

/*
 * A quote or trade of an instrument with quotes reaches its market and
 * limit orders (see venue_sim.h), oldest first, sharing the size shown.
 */
static void
tick_match(struct sim *s, size_t ins, const struct trd_event *ev)
{
	const struct sim_touch *t = &s->touch[ins];
	int quote = ev->type == TRD_EV_QUOTE;
	const char *where = quote ? "quote" : "trade";
	int64_t buys = quote ? t->ask_qty : ev->u.trade.qty;
	int64_t sells = quote ? t->bid_qty : ev->u.trade.qty;
	int64_t lot = lot_of(s, (uint32_t)ins);
	size_t n = snapshot(s, ins);

	buys -= buys % lot;
	sells -= sells % lot;
	for (size_t i = 0; i < n; i++) {
		uint64_t id = s->scratch[i];
		struct sim_order *o = find(s, id);
		int buy, met;
		int64_t px = 0, *budget;

		if (o == NULL || !o->arrived || o->eligible_ns > ev->ts_ns ||
		    !on_ticks(s, o))
			continue;
		buy = o->side == TRD_SIDE_BUY;
		budget = buy ? &buys : &sells;
		met = o->met;
		o->met = 1;
		if (quote) {
			int64_t touch = buy ? t->ask : t->bid;
			if (o->type == TRD_ORDER_MARKET)
				px = touch;
			else if (buy ? touch <= o->price : touch >= o->price)
				/* Marketable on arrival: it takes the touch;
				 * resting, it is taken at its limit. */
				px = met ? o->price : touch;
		} else if (o->type == TRD_ORDER_LIMIT &&
			   (buy ? ev->u.trade.price < o->price
				: ev->u.trade.price > o->price)) {
			px = o->price; /* printed through */
		} else if (o->type == TRD_ORDER_MARKET) {
			o->met = met; /* waits for a quote */
			continue;
		}
		if (px == 0)
			unmet(s, id, ev->ts_ns, where);
		else
			fill(s, id, px, px, budget, ev->ts_ns, where);
	}
}

static void
sim_market(struct trd_venue *v, const struct trd_event *ev)
{
	struct sim *s = (struct sim *)v;
	const struct trd_bar *bar = &ev->u.bar;

	if (ev->sym >= s->ninstr)
		return;
	if (ev->type == TRD_EV_QUOTE) {
		const struct trd_quote *q = &ev->u.quote;
		struct sim_touch *t = &s->touch[ev->sym];
		if (q->bid <= 0 || q->ask <= 0 || q->bid >= q->ask)
			return; /* one-sided or crossed: not a touch */
		*t = (struct sim_touch){ q->bid, q->bid_qty, q->ask,
					 q->ask_qty, 1 };
	}
	if (s->book[ev->sym].n == 0)
		return;
	if (ev->type != TRD_EV_BAR) {
		if (!s->touch[ev->sym].have ||
		    (ev->type == TRD_EV_TRADE && ev->u.trade.price <= 0))
			return;
		due(s, ev->sym, ev->ts_ns, ev->ts_ns);
		tick_match(s, ev->sym, ev);
		return;
	}
	/* Before the bar: arrivals, and what reached the venue by its open
	 * (cancels, amends, expiries). */
	due(s, ev->sym, ev->ts_ns, bar->ts_ns);
	/* A bar without positive prices (bad data) trades nothing. */
	if (bar->open > 0 && bar->high > 0 && bar->low > 0 && bar->close > 0 &&
	    bar->low <= bar->high)
		match(s, ev->sym, bar);
	/* After it: what reached the venue during the bar. */
	due(s, ev->sym, ev->ts_ns, ev->ts_ns);
}

/*
 * Time alone: what fell due more than one timeframe ago.  By then every
 * bar opening before it has been delivered if the feed is alive (the bar
 * path above has applied it, in its place among the fills); if the feed
 * is silent, this applies it, stamped with its own time.
 */
static void
sim_tick(struct trd_venue *v, int64_t now)
{
	struct sim *s = (struct sim *)v;
	int64_t upto = now - s->grace_ns;

	for (size_t ins = 0; ins < s->ninstr; ins++)
		if (s->book[ins].n)
			due(s, ins, upto, upto);
}

static int64_t
sim_next_due(const struct trd_venue *v)
{
	const struct sim *s = (const struct sim *)v;
	int64_t t = INT64_MAX;

	for (size_t ins = 0; ins < s->ninstr; ins++) {
		for (size_t i = 0; i < s->book[ins].n; i++) {
			const struct sim_order *r = s->book[ins].v[i];
			if (!r->arrived && r->eligible_ns < t)
				t = r->eligible_ns;
			if (r->cancel_pending && r->cancel_ns < t)
				t = r->cancel_ns;
			if (r->amend_pending && r->amend_ns < t)
				t = r->amend_ns;
			if (r->tif == TRD_TIF_GTD && r->expire_ns > 0 &&
			    r->expire_ns < t)
				t = r->expire_ns;
		}
	}
	return t == INT64_MAX ? t : add_ns(t, s->grace_ns);
}

static void
sim_finish(struct trd_venue *v, int64_t now)
{
	struct sim *s = (struct sim *)v;

	for (size_t ins = 0; ins < s->ninstr; ins++)
		due(s, ins, now, now);
}

static void
sim_destroy(struct trd_venue *v)
{
	struct sim *s = (struct sim *)v;
	struct sim_order *r, *tmp;

	if (s == NULL)
		return;
	HASH_ITER(hh, s->by_id, r, tmp) {
		HASH_DEL(s->by_id, r);
		free(r);
	}
	for (size_t i = 0; s->book && i < s->ninstr; i++)
		free(s->book[i].v);
	free(s->book);
	free(s->touch);
	free(s->scratch);
	free(s);
}

static const struct trd_venue_ops sim_ops = {
	.kind = "sim",
	.caps = TRD_VENUE_CAP_OCO,
	.submit = sim_submit,
	.cancel = sim_cancel,
	.amend = sim_amend,
	.market = sim_market,
	.tick = sim_tick,
	.next_due = sim_next_due,
	.finish = sim_finish,
	.destroy = sim_destroy,
};

static int
sim_open(struct trd_venue **out, const struct trd_venue_env *env)
{
	const struct trd_config *c = env->conf;
	struct sim *s = calloc(1, sizeof(*s));

	if (s == NULL ||
	    (s->book = calloc(env->reg->n ? env->reg->n : 1,
			      sizeof(*s->book))) == NULL ||
	    (s->touch = calloc(env->reg->n ? env->reg->n : 1,
			       sizeof(*s->touch))) == NULL) {
		if (s)
			free(s->book);
		free(s);
		log_error("out of memory");
		return -ENOMEM;
	}
	s->base = (struct trd_venue){
		.ops = &sim_ops,
		.fees = { c->venue.fee_bps, c->venue.slippage_bps },
		.report = env->report, .report_arg = env->report_arg,
		.clock = env->clock,
	};
	s->reg = env->reg;
	s->pf = env->pf;
	s->ninstr = env->reg->n;
	s->participation_ppm = c->venue.participation;
	s->submit_latency_ns =
		(int64_t)c->venue.submit_latency_ms * TRD_NS_PER_MS;
	s->cancel_latency_ns =
		(int64_t)c->venue.cancel_latency_ms * TRD_NS_PER_MS;
	s->intrabar = c->venue.intrabar;
	s->grace_ns = (int64_t)(c->replay.timeframe_s ? c->replay.timeframe_s
						      : 60) * TRD_NS_PER_SEC;
	*out = &s->base;
	return 0;
}

const struct trd_venue_class trd_venue_sim_class = { "sim", sim_open };
