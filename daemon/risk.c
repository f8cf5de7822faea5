/*
 * risk: see risk.h for the checks and their order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "risk.h"

#define DAY_NS (86400 * TRD_NS_PER_SEC)

int
trd_risk_init(struct trd_risk *r, const struct trd_risk_conf *c,
	      const struct trd_portfolio *pf, const struct trd_oms *oms,
	      const struct trd_registry *reg, size_t nstrat)
{
	*r = (struct trd_risk){ .pf = pf, .oms = oms, .reg = reg,
				.ninstr = reg->n, .nstrat = nstrat };
	r->ins = calloc(reg->n ? reg->n : 1, sizeof(*r->ins));
	r->strat = calloc(nstrat ? nstrat : 1, sizeof(*r->strat));
	if (r->ins == NULL || r->strat == NULL) {
		trd_risk_free(r);
		return -ENOMEM;
	}
	trd_risk_set(r, c);
	return 0;
}

void
trd_risk_free(struct trd_risk *r)
{
	free(r->ins);
	free(r->strat);
	free(r->trips);
	r->ins = NULL;
	r->strat = NULL;
	r->trips = NULL;
	r->ntrips = r->ctrips = 0;
}

void
trd_risk_set(struct trd_risk *r, const struct trd_risk_conf *c)
{
	r->c = *c;
	r->post_trade = c->max_drawdown_pct > 0 || c->daily_loss_pct > 0;
}

/* Bucket depth in thousandths of an order. */
static int64_t
depth(const struct trd_risk *r, int64_t rate)
{
	int64_t d = r->c.order_burst;

	if (d == 0)
		d = rate < 1000 ? 1 : (rate + 999) / 1000; /* the rate, up */
	return d * 1000;
}

/* Refill b at rate (thousandths of an order per second) up to now and take
 * one order.  Returns 0, or -1 when the bucket is empty. */
static int
take(const struct trd_risk *r, struct trd_risk_bucket *b, int64_t rate,
     int64_t now)
{
	int64_t cap = depth(r, rate);

	if (!b->started || now < b->at_ns) {
		/* Full at the first order (and if the clock went back,
		 * which a virtual clock never does: restart). */
		b->tokens = cap;
		b->at_ns = now;
		b->started = 1;
	} else if (now > b->at_ns) {
		i128 add = (i128)(now - b->at_ns) * rate / TRD_NS_PER_SEC;
		/* Keep the fraction of a token the division dropped: move
		 * the refill time only by what was credited. */
		if (add > 0) {
			i128 t = b->tokens + add;
			b->tokens = t > cap ? cap : (int64_t)t;
			b->at_ns = t > cap ? now
					   : b->at_ns + (int64_t)(add *
						TRD_NS_PER_SEC / rate);
		}
	}
	if (b->tokens > cap)
		b->tokens = cap; /* a reload made the bucket smaller */
	if (b->tokens < 1000)
		return -1;
	b->tokens -= 1000;
	return 0;
}

int64_t
trd_risk_opening_qty(int side, int64_t pos, int64_t qty)
{
	int64_t held = side == TRD_SIDE_BUY ? (pos < 0 ? pos : 0)
					    : (pos > 0 ? -pos : 0);

	/* held is minus what the order can close; qty > 0 here. */
	if ((i128)qty + held <= 0)
		return 0;
	return (int64_t)((i128)qty + held);
}

static void
money(i128 v, char *buf)
{
	trd_dec_format_short128(v, TRD_CASH_DP, buf);
}

static int
refuse(char *why, size_t len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
refuse(char *why, size_t len, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return code;
}

/* Validity of the order's fields; see risk.h. */
static int
check_fields(const struct trd_risk *r, const struct trd_order *o, int64_t now,
	     char *why, size_t len)
{
	const struct trd_instr *in = &r->reg->v[o->ins];

	if (o->tif > TRD_TIF_GTD)
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "unknown time in force %u", o->tif);
	if (o->flags & ~(TRD_ORDER_POST_ONLY | TRD_ORDER_REDUCE_ONLY))
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "unknown flags 0x%x", o->flags);
	if ((o->flags & TRD_ORDER_POST_ONLY) && o->type != TRD_ORDER_LIMIT)
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "post-only applies to limit orders only");
	if ((o->flags & TRD_ORDER_POST_ONLY) &&
	    (o->tif == TRD_TIF_IOC || o->tif == TRD_TIF_FOK))
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "post-only cannot be IOC or FOK");
	if (o->tif == TRD_TIF_GTD && o->expire_ns <= now)
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "GTD expiry is not in the future");
	if (o->tif != TRD_TIF_GTD && o->expire_ns != 0)
		return refuse(why, len, TRD_REJ_INVALID_ORDER,
			      "an expiry needs time in force GTD");
	if (o->qty <= 0)
		return refuse(why, len, TRD_REJ_INVALID_QTY,
			      "quantity must be positive");
	if (o->qty % in->lot != 0)
		return refuse(why, len, TRD_REJ_LOT,
			      "quantity is not a multiple of the lot size");
	if (o->type == TRD_ORDER_MARKET) {
		if (o->price != 0 || o->stop_price != 0 || o->trail != 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "a market order takes no price");
		return 0;
	}
	if (o->type == TRD_ORDER_TRAILING_STOP) {
		if (o->trail <= 0 || o->price < 0 || o->stop_price != 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "a trailing stop needs trail > 0 (and "
				      "price >= 0, no stop_price)");
		if (o->trail % in->tick != 0 || o->price % in->tick != 0)
			return refuse(why, len, TRD_REJ_TICK, "trail or price "
				      "is not a multiple of the tick size");
		return 0;
	}
	if (o->price <= 0)
		return refuse(why, len, TRD_REJ_INVALID_PRICE,
			      "price must be positive");
	if (o->price % in->tick != 0)
		return refuse(why, len, TRD_REJ_TICK,
			      "price is not a multiple of the tick size");
	if (o->trail != 0 || (o->type != TRD_ORDER_STOP_LIMIT &&
			      o->stop_price != 0))
		return refuse(why, len, TRD_REJ_INVALID_PRICE,
			      "stop_price and trail do not apply to a %s "
			      "order", trd_order_type_name(o->type));
	if (o->type == TRD_ORDER_STOP_LIMIT) {
		if (o->stop_price <= 0)
			return refuse(why, len, TRD_REJ_INVALID_PRICE,
				      "a stop-limit needs stop_price > 0");
		if (o->stop_price % in->tick != 0)
			return refuse(why, len, TRD_REJ_TICK, "stop_price is "
				      "not a multiple of the tick size");
	}
	return 0;
}

/* Quantity of the account's open orders on ins and side not yet filled. */
static i128
open_side_qty(const struct trd_risk *r, const struct trd_order *self)
{
	const struct trd_oms_open *l = &r->oms->open[self->ins];
	i128 sum = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct trd_order *o = l->v[i];
		if (o->id != self->id && o->side == self->side)
			sum += o->qty - o->filled;
	}
	return sum;
}

/* The value of the account's positions at their last close. */
static i128
gross_exposure(const struct trd_portfolio *pf)
{
	i128 g = 0;

	for (size_t i = 0; i < pf->ninstr; i++) {
		int64_t m = pf->ins[i].mtm;
		g += m < 0 ? -(i128)m : m;
	}
	return g;
}

static size_t
open_trades(const struct trd_portfolio *pf)
{
	size_t n = 0;

	for (size_t i = 0; i < pf->nstrat * pf->ninstr; i++)
		n += pf->pos[i].qty != 0;
	return n;
}

int
trd_risk_check(struct trd_risk *r, const struct trd_order *o, int64_t now,
	       char *why, size_t len)
{
	const struct trd_risk_conf *c = &r->c;
	const struct trd_risk_instr *rs = &r->ins[o->ins];
	const struct trd_instr *in = &r->reg->v[o->ins];
	const struct trd_portfolio *pf = r->pf;
	int64_t last = pf->ins[o->ins].last, px, pos, opening;
	char a[32], b[32];
	int rc;

	if (c->orders_per_second > 0 &&
	    take(r, &r->strat[o->strat], c->orders_per_second, now) != 0)
		return refuse(why, len, TRD_REJ_RATE_STRATEGY,
			      "order rate above the strategy's limit");
	if (c->orders_per_second_global > 0 &&
	    take(r, &r->global, c->orders_per_second_global, now) != 0)
		return refuse(why, len, TRD_REJ_RATE_GLOBAL,
			      "order rate above the account's limit");
	if ((rc = check_fields(r, o, now, why, len)) != 0)
		return rc;
	if (c->max_open_orders > 0 && r->oms->nlisted >= c->max_open_orders)
		return refuse(why, len, TRD_REJ_MAX_OPEN_ORDERS,
			      "%u orders already open (max_open_orders)",
			      c->max_open_orders);
	if (c->stale_data_s > 0 &&
	    (rs->last_data_ns == 0 ||
	     now - rs->last_data_ns > (int64_t)c->stale_data_s *
					      TRD_NS_PER_SEC))
		return refuse(why, len, TRD_REJ_STALE_DATA,
			      "market data older than %us (stale_data_s)",
			      c->stale_data_s);
	/* The price the order is valued at. */
	px = o->type == TRD_ORDER_STOP_LIMIT || o->type == TRD_ORDER_LIMIT ||
			     o->type == TRD_ORDER_STOP
		     ? o->price
		     : last;
	if (o->type == TRD_ORDER_TRAILING_STOP && o->price > 0)
		px = o->price;
	if (c->price_collar_pct > 0 &&
	    (o->type == TRD_ORDER_LIMIT || o->type == TRD_ORDER_STOP_LIMIT)) {
		i128 d = (i128)o->price - last;
		if (last <= 0)
			return refuse(why, len, TRD_REJ_NO_MARKET_DATA,
				      "no last price to check the collar at");
		/* |price - last| / last > pct / 100, pct scaled 10^4. */
		if ((d < 0 ? -d : d) * 1000000 > (i128)last * c->price_collar_pct)
			return refuse(why, len, TRD_REJ_PRICE_COLLAR,
				      "limit price more than the price "
				      "collar from the last price");
	}
	if (in->min_notional > 0) {
		if (px <= 0)
			return refuse(why, len, TRD_REJ_NO_MARKET_DATA,
				      "no price to value the order at");
		if (trd_portfolio_notional(pf, o->ins, px, o->qty,
					   TRD_ROUND_DOWN) < in->min_notional) {
			money(in->min_notional, a);
			return refuse(why, len, TRD_REJ_MIN_NOTIONAL,
				      "notional below the minimum of %s", a);
		}
	}

	pos = trd_portfolio_pos(pf, o->strat, o->ins)->qty;
	opening = trd_risk_opening_qty(o->side, pos, o->qty);
	if (opening == 0)
		return 0; /* it only reduces: nothing below applies */
	if (r->halted)
		return refuse(why, len, TRD_REJ_HALTED, "trading is halted "
			      "(kill switch): only exits are accepted");
	if (in->max_order_qty > 0 && o->qty > in->max_order_qty)
		return refuse(why, len, TRD_REJ_MAX_ORDER_QTY,
			      "quantity above max_order_qty");
	if (c->max_order_notional > 0 || c->max_position_notional > 0 ||
	    c->max_gross_exposure > 0) {
		i128 n;
		if (px <= 0)
			return refuse(why, len, TRD_REJ_NO_MARKET_DATA,
				      "no price to value the order at");
		n = trd_portfolio_notional(pf, o->ins, px, o->qty,
					   TRD_ROUND_UP);
		if (c->max_order_notional > 0 && n > c->max_order_notional) {
			money(n, a);
			money(c->max_order_notional, b);
			return refuse(why, len, TRD_REJ_MAX_ORDER_NOTIONAL,
				      "notional %s above max_order_notional "
				      "%s", a, b);
		}
		if (c->max_position_notional > 0) {
			/* The account's net position if this order and
			 * every open one on its side filled. */
			i128 q = (i128)pf->ins[o->ins].net_qty, v;
			i128 add = open_side_qty(r, o) + o->qty;
			q += o->side == TRD_SIDE_BUY ? add : -add;
			if (q < 0)
				q = -q;
			v = q > INT64_MAX ? (i128)INT64_MAX * 2
					  : trd_portfolio_notional(
						    pf, o->ins, px, (int64_t)q,
						    TRD_ROUND_UP);
			if (v > c->max_position_notional) {
				money(v, a);
				money(c->max_position_notional, b);
				return refuse(why, len, TRD_REJ_MAX_POSITION,
					      "position would be worth %s, "
					      "above max_position_notional "
					      "%s", a, b);
			}
		}
		if (c->max_gross_exposure > 0) {
			i128 g = gross_exposure(pf) +
				 trd_portfolio_notional(pf, o->ins, px,
							opening, TRD_ROUND_UP);
			if (g > c->max_gross_exposure) {
				money(g, a);
				money(c->max_gross_exposure, b);
				return refuse(why, len, TRD_REJ_MAX_GROSS,
					      "gross exposure would be %s, "
					      "above max_gross_exposure %s",
					      a, b);
			}
		}
	}
	if (c->max_open_trades > 0 && pos == 0 &&
	    open_trades(pf) >= c->max_open_trades)
		return refuse(why, len, TRD_REJ_MAX_OPEN_TRADES,
			      "%u positions already open (max_open_trades)",
			      c->max_open_trades);
	return 0;
}

static void
trip(struct trd_risk *r, int64_t now, const char *reason)
{
	if (r->ntrips == r->ctrips) {
		size_t n = r->ctrips ? r->ctrips * 2 : 4;
		struct trd_risk_trip *t = realloc(r->trips, n * sizeof(*t));
		if (t == NULL)
			abort(); /* a few bytes; nothing sane to do */
		r->trips = t;
		r->ctrips = n;
	}
	r->trips[r->ntrips].ts_ns = now;
	snprintf(r->trips[r->ntrips].reason, TRD_RISK_REASON_MAX, "%s", reason);
	r->ntrips++;
	r->halted = 1;
}

static int64_t
utc_day(int64_t ns)
{
	return ns >= 0 ? ns / DAY_NS : -((-ns + DAY_NS - 1) / DAY_NS);
}

int
trd_risk_mark(struct trd_risk *r, int64_t now, int64_t equity)
{
	int64_t day = utc_day(now);
	char why[TRD_RISK_REASON_MAX], a[32], b[32];

	if (!r->have_eq) {
		/* Before the first sample the books hold the initial cash:
		 * that is the first peak and the first day's start. */
		r->peak = r->day_start = r->last_eq = r->pf->initial_cash;
		r->day = day;
		r->have_eq = 1;
	}
	if (day != r->day) {
		r->day_start = r->last_eq;
		r->day = day;
	}
	r->last_eq = equity;
	if (equity > r->peak)
		r->peak = equity;
	if (r->halted)
		return 0;
	/* (peak - equity) / peak >= pct / 100, pct scaled 10^4. */
	if (r->c.max_drawdown_pct > 0 && r->peak > 0 &&
	    ((i128)r->peak - equity) * 1000000 >=
		    (i128)r->peak * r->c.max_drawdown_pct) {
		trd_dec_format_short(r->c.max_drawdown_pct, 4, a);
		money(r->peak, b);
		snprintf(why, sizeof(why), "max drawdown %s%% from the equity "
			 "peak %s reached", a, b);
		trip(r, now, why);
		return 1;
	}
	if (r->c.daily_loss_pct > 0 && r->day_start > 0 &&
	    ((i128)r->day_start - equity) * 1000000 >=
		    (i128)r->day_start * r->c.daily_loss_pct) {
		trd_dec_format_short(r->c.daily_loss_pct, 4, a);
		money(r->day_start, b);
		snprintf(why, sizeof(why), "daily loss %s%% from the day's "
			 "starting equity %s reached", a, b);
		trip(r, now, why);
		return 1;
	}
	return 0;
}

int
trd_risk_halt(struct trd_risk *r, int64_t now, const char *reason)
{
	if (r->halted)
		return 0;
	trip(r, now, reason && *reason ? reason : "halted");
	return 1;
}

void
trd_risk_resume(struct trd_risk *r, int64_t equity)
{
	r->halted = 0;
	r->peak = r->day_start = r->last_eq = equity;
	r->have_eq = 1;
}

int
trd_risk_stale_update(struct trd_risk *r, size_t ins, int64_t now)
{
	struct trd_risk_instr *rs = &r->ins[ins];
	int stale = r->c.stale_data_s > 0 &&
		    (rs->last_data_ns == 0 ||
		     now - rs->last_data_ns > (int64_t)r->c.stale_data_s *
						      TRD_NS_PER_SEC);

	if (stale == rs->stale)
		return 0;
	rs->stale = stale;
	return 1;
}
