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

/* Round price to a multiple of tick, up or down. */
static int64_t
to_tick(int64_t price, int64_t tick, int up)
{
	int64_t r;

	if (tick <= 1)
		return price;
	r = price % tick;
	if (r == 0)
		return price;
	return up ? price - r + tick : price - r;
}

/* Price after slippage, against the trader, on the tick. */
int64_t
trd_venue_slipped(const struct trd_venue *v, size_t ins, int side, int64_t px)
{
	int buy = side == TRD_SIDE_BUY;
	i128 p = (i128)px * (100000000 + (buy ? v->slip_bps : -v->slip_bps));
	int64_t q = (int64_t)(p / 100000000);

	if (buy && p % 100000000 != 0)
		q++; /* round up for a buy */
	return to_tick(q, v->ins[ins].tick, buy);
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
		int64_t n = trd_portfolio_notional(pf, ins, price, (int64_t)q,
						   TRD_ROUND_UP);
		if ((__int128)n + trd_fee(n, fee_bps) <= cash)
			break;
		q -= lot;
	}
	return (int64_t)q;
}

/* Quantity of the strategy's other open orders on side not yet filled (in
 * 128 bits: orders accepted before the first close were not checked). */
static i128
pending_qty(const struct trd_venue *v, const struct trd_order *self, int side)
{
	const struct trd_oms_open *l = &v->oms->open[self->ins];
	i128 sum = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct trd_order *o = trd_oms_get(v->oms, l->ids[i]);
		if (o != self && o->strat == self->strat && o->side == side)
			sum += o->qty - o->filled;
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
		sum += trd_portfolio_notional(pf, i, at, (int64_t)q,
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
	int64_t n = trd_portfolio_notional(v->pf, ins, px, c + o,
					   buy ? TRD_ROUND_UP : TRD_ROUND_DOWN);
	int64_t n_o = trd_portfolio_notional(v->pf, ins, px, o, TRD_ROUND_UP);
	int64_t at = v->pf->ins[ins].last > px ? v->pf->ins[ins].last : px;
	/* A sale frees its proceeds.  A cover frees the collateral its
	 * short held in free (twice its value as S counts it, rounded down
	 * here as S rounds up) and costs its notional. */
	i128 freed = (i128)n - n_o;

	if (buy && c > 0)
		freed = 2 * (i128)trd_portfolio_notional(v->pf, ins, at, c,
							 TRD_ROUND_DOWN) -
			freed;
	*need = (i128)n_o + trd_fee(n, v->fee_bps);
	*have = free + freed;
	return *need <= *have;
}

/* Largest multiple of lot, at most omax, that the rule lets open beside
 * closing c.  The need grows with the quantity, so a bisection over lots
 * finds it; only quantities that passed are ever returned. */
static int64_t
max_open(const struct trd_venue *v, size_t ins, int side, int64_t px,
	 int64_t c, int64_t omax, int64_t lot, i128 free)
{
	int64_t lo = 0, hi = omax / lot;
	i128 need, have;

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

static void
format_money(i128 v, char *buf)
{
	trd_dec_format_short(v > INT64_MAX ? INT64_MAX
			     : v < INT64_MIN ? INT64_MIN : (int64_t)v,
			     TRD_CASH_DP, buf);
}

void
trd_venue_submit(struct trd_venue *v, struct trd_order *o, int64_t now)
{
	const struct trd_venue_instr *in = &v->ins[o->ins];
	int buy = o->side == TRD_SIDE_BUY;
	int64_t ref, pos, c;
	/* Longer than an order's reason: snprintf truncates into it. */
	char why[128];

	if (o->qty <= 0) {
		trd_oms_reject(v->oms, o, TRD_REJ_INVALID_ORDER, "quantity must be positive", now);
		return;
	}
	o->qty -= o->qty % in->lot;
	if (o->qty == 0) {
		trd_oms_reject(v->oms, o, TRD_REJ_INVALID_ORDER, "quantity is below the lot size", now);
		return;
	}
	if (o->type == TRD_ORDER_MARKET) {
		o->price = 0;
	} else {
		if (o->price <= 0) {
			trd_oms_reject(v->oms, o, TRD_REJ_INVALID_ORDER, "price must be positive", now);
			return;
		}
		/* A limit rounds to a tick no better than asked; a stop to
		 * one no earlier than asked. */
		o->price = to_tick(o->price, in->tick,
				   o->type == TRD_ORDER_LIMIT ? !buy : buy);
	}
	pos = trd_portfolio_pos(v->pf, o->strat, o->ins)->qty;
	c = closing_qty(o->side, pos, pending_qty(v, o, o->side), o->qty);
	ref = o->price ? o->price : v->pf->ins[o->ins].last;
	if ((buy || in->allow_short) && c < o->qty && ref > 0) {
		int64_t px = o->type == TRD_ORDER_LIMIT
				     ? ref : trd_venue_slipped(v, o->ins, o->side, ref);
		i128 need, have;
		if (!covered(v, o->ins, o->side, px, c, o->qty - c,
			     free_collateral(v, o->ins, px), &need, &have)) {
			char a[32], b[32];
			format_money(need, a);
			format_money(have, b);
			/* 128 bits: a saturated notional plus its fee must
			 * not wrap; say so when it does not fit. */
			snprintf(why, sizeof(why), "insufficient %s: needs "
				 "%s%s, has %s",
				 buy ? "cash" : "collateral to short",
				 need > INT64_MAX ? ">" : "", a, b);
			trd_oms_reject(v->oms, o, TRD_REJ_INVALID_ORDER, why, now);
			return;
		}
	}
	if (!buy && !in->allow_short && c < o->qty) {
		trd_oms_reject(v->oms, o, TRD_REJ_INVALID_ORDER, "insufficient position "
			       "(short selling is not enabled)", now);
		return;
	}
	/* It can match bars that open from now on: the next bar. */
	o->eligible_ns = now;
	trd_oms_accept(v->oms, o, now);
}

int
trd_venue_cancel(struct trd_venue *v, struct trd_order *o, const char *reason,
		 int64_t now)
{
	if (!trd_order_is_open(o))
		return -ENOENT;
	trd_oms_cancel(v->oms, o, reason, now);
	return 0;
}

int
trd_venue_amend(struct trd_venue *v, struct trd_order *o, int64_t qty,
		int64_t price, int64_t now)
{
	(void)v; (void)o; (void)qty; (void)price; (void)now;
	return -EINVAL;
}

void
trd_venue_finish(struct trd_venue *v, int64_t now)
{
	(void)v;
	(void)now;
}

/* The price o trades at in bar b, or 0 if it does not trade. */
static int64_t
match_price(const struct trd_order *o, const struct trd_bar *b)
{
	int buy = o->side == TRD_SIDE_BUY;

	switch (o->type) {
	case TRD_ORDER_MARKET:
		return b->open;
	case TRD_ORDER_LIMIT:
		if (buy)
			return b->open < o->price ? b->open
			       : b->low < o->price ? o->price : 0;
		return b->open > o->price ? b->open
		       : b->high > o->price ? o->price : 0;
	case TRD_ORDER_STOP:
		if (buy)
			return b->open >= o->price ? b->open
			       : b->high >= o->price ? o->price : 0;
		return b->open <= o->price ? b->open
		       : b->low <= o->price ? o->price : 0;
	}
	return 0;
}

static void
execute(struct trd_venue *v, struct trd_order *o, const struct trd_bar *b)
{
	const struct trd_venue_instr *in = &v->ins[o->ins];
	int buy = o->side == TRD_SIDE_BUY;
	int64_t px = match_price(o, b), want, qty, pos, c, n, fee;
	int64_t now = b->ts_ns;
	uint64_t id = o->id;
	const char *short_of = NULL;

	if (px == 0)
		return;
	if (o->type != TRD_ORDER_LIMIT)
		px = trd_venue_slipped(v, o->ins, o->side, px);
	want = qty = o->qty - o->filled;
	pos = trd_portfolio_pos(v->pf, o->strat, o->ins)->qty;
	c = closing_qty(o->side, pos, 0, want);
	if (!buy && !in->allow_short) {
		qty = c;
		short_of = "insufficient position at fill time";
	} else if (c < want) {
		qty = c + max_open(v, o->ins, o->side, px, c, want - c,
				   in->lot, free_collateral(v, o->ins, px));
		short_of = buy ? "insufficient cash at the fill price"
			       : "insufficient collateral to short at the "
				 "fill price";
	}
	if (qty <= 0) {
		trd_oms_cancel(v->oms, o, short_of, now);
		return;
	}
	n = trd_portfolio_notional(v->pf, o->ins, px, qty,
				   buy ? TRD_ROUND_UP : TRD_ROUND_DOWN);
	fee = trd_fee(n, v->fee_bps);
	trd_portfolio_fill(v->pf, o->strat, o->ins, o->side, qty, px, fee, now);
	/* Callbacks may submit orders, which can move the order table:
	 * look the order up again after each one. */
	if (v->on_fill)
		v->on_fill(v->arg, o, qty, px, fee, now);
	o = trd_oms_get(v->oms, id);
	trd_oms_fill(v->oms, o, qty, px, now);
	o = trd_oms_get(v->oms, id);
	if (qty < want) {
		char why[128];
		snprintf(why, sizeof(why), "rest canceled: %s", short_of);
		trd_oms_cancel(v->oms, o, why, now);
	}
}

void
trd_venue_bar(struct trd_venue *v, size_t ins, const struct trd_bar *bar,
	      int64_t now)
{
	(void)now;
	const struct trd_oms_open *l = &v->oms->open[ins];
	size_t n = l->n;

	if (n == 0)
		return;
	/* Callbacks may submit or cancel orders, changing the list: work on
	 * a copy, and skip what is no longer open. */
	if (n > v->nscratch) {
		uint64_t *s = realloc(v->scratch, n * sizeof(*s));
		if (s == NULL)
			abort();
		v->scratch = s;
		v->nscratch = n;
	}
	memcpy(v->scratch, l->ids, n * sizeof(*l->ids));
	for (size_t i = 0; i < n; i++) {
		struct trd_order *o = trd_oms_get(v->oms, v->scratch[i]);
		if (trd_order_is_open(o) && o->eligible_ns <= bar->ts_ns)
			execute(v, o, bar);
	}
}
