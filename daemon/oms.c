/*
 * oms: see oms.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms.h"

int
trd_oms_init(struct trd_oms *oms, size_t ninstr)
{
	*oms = (struct trd_oms){ .ninstr = ninstr };
	oms->open = calloc(ninstr ? ninstr : 1, sizeof(*oms->open));
	return oms->open ? 0 : -ENOMEM;
}

void
trd_oms_free(struct trd_oms *oms)
{
	for (size_t i = 0; oms->open && i < oms->ninstr; i++)
		free(oms->open[i].ids);
	free(oms->open);
	for (size_t i = 0; i < oms->nchunks; i++)
		free(oms->chunks[i]);
	free(oms->chunks);
	*oms = (struct trd_oms){ 0 };
}

/* Put o in its instrument's list, in id order: the venue matches older
 * orders first.  Orders are listed in id order but for bracket exits,
 * listed when their entry fills, so the search from the end is short. */
static void
open_add(struct trd_oms *oms, struct trd_order *o)
{
	struct trd_oms_open *l = &oms->open[o->ins];
	size_t at;

	if (o->listed)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		uint64_t *ids = realloc(l->ids, cap * sizeof(*ids));
		if (ids == NULL)
			abort(); /* a few bytes; nothing sane to do */
		l->ids = ids;
		l->cap = cap;
	}
	for (at = l->n; at > 0 && l->ids[at - 1] > o->id; at--)
		;
	memmove(&l->ids[at + 1], &l->ids[at], (l->n - at) * sizeof(*l->ids));
	l->ids[at] = o->id;
	l->n++;
	o->listed = 1;
	oms->nlisted++;
}

static void
open_remove(struct trd_oms *oms, struct trd_order *o)
{
	struct trd_oms_open *l = &oms->open[o->ins];

	if (!o->listed)
		return;
	o->listed = 0;
	oms->nlisted--;
	/* Keep submission order: the venue matches older orders first. */
	for (size_t i = 0; i < l->n; i++) {
		if (l->ids[i] == o->id) {
			memmove(&l->ids[i], &l->ids[i + 1],
				(l->n - i - 1) * sizeof(*l->ids));
			l->n--;
			return;
		}
	}
}

struct trd_order *
trd_oms_create(struct trd_oms *oms, uint32_t strat, uint32_t ins, int side,
	       int type, int64_t qty, int64_t price, uint64_t tag,
	       int64_t now_ns)
{
	struct trd_order *o;

	if (oms->n == oms->nchunks * TRD_OMS_CHUNK) {
		if (oms->nchunks == oms->capchunks) {
			size_t cap = oms->capchunks ? oms->capchunks * 2 : 16;
			struct trd_order **a = realloc(oms->chunks,
						       cap * sizeof(*a));
			if (a == NULL)
				return NULL;
			oms->chunks = a;
			oms->capchunks = cap;
		}
		if ((oms->chunks[oms->nchunks] = malloc(
			     TRD_OMS_CHUNK * sizeof(struct trd_order))) == NULL)
			return NULL;
		oms->nchunks++;
	}
	/* Out of range: 0, which no check accepts. */
	if (side != TRD_SIDE_BUY && side != TRD_SIDE_SELL)
		side = 0;
	if (type < TRD_ORDER_MARKET || type > TRD_ORDER_TRAILING_STOP)
		type = 0;
	o = trd_oms_get(oms, ++oms->n);
	*o = (struct trd_order){ .id = oms->n, .strat = strat, .ins = ins,
				 .side = (uint8_t)side, .type = (uint8_t)type,
				 .status = TRD_ORDER_NEW, .qty = qty,
				 .price = price, .submit_ns = now_ns,
				 .update_ns = now_ns, .eligible_ns = now_ns,
				 .tag = tag };
	return o;
}

/* snprintf(dst, cap, "%s", src) without printf: it runs on every order
 * transition.  NULL copies as "". */
static void
copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static void
set_status(struct trd_oms *oms, struct trd_order *o, int status,
	   const char *reason, int64_t now)
{
	o->status = (uint8_t)status;
	o->update_ns = now;
	/* The reason belongs to this update: a fill after an amend must not
	 * still say "amended". */
	copy_text(o->reason, sizeof(o->reason), reason);
	if (status == TRD_ORDER_ACCEPTED)
		open_add(oms, o);
	else if (!trd_order_is_open(o))
		open_remove(oms, o);
	if (oms->on_update)
		oms->on_update(oms->arg, o);
}

void
trd_oms_accept(struct trd_oms *oms, struct trd_order *o, int64_t now)
{
	set_status(oms, o, TRD_ORDER_ACCEPTED, NULL, now);
}

void
trd_oms_reject(struct trd_oms *oms, struct trd_order *o, int code,
	       const char *reason, int64_t now)
{
	if (!trd_order_is_open(o))
		return;
	oms->nrejected++;
	o->reject_code = (uint16_t)code;
	set_status(oms, o, TRD_ORDER_REJECTED, reason, now);
}

void
trd_oms_cancel(struct trd_oms *oms, struct trd_order *o, const char *reason,
	       int64_t now)
{
	if (!trd_order_is_open(o))
		return;
	oms->ncanceled++;
	set_status(oms, o, TRD_ORDER_CANCELED, reason, now);
}

void
trd_oms_fill(struct trd_oms *oms, struct trd_order *o, int64_t qty,
	     int64_t price, int64_t now)
{
	o->filled += qty;
	o->fill_value += (__int128)price * qty;
	if (o->filled >= o->qty)
		oms->nfilled++;
	set_status(oms, o, o->filled >= o->qty ? TRD_ORDER_FILLED
					       : TRD_ORDER_PARTIALLY_FILLED,
		   NULL, now);
}

int64_t
trd_order_avg_price(const struct trd_order *o)
{
	if (o->filled == 0)
		return 0;
	/* Nearest, half away from zero; prices are positive. */
	return (int64_t)((o->fill_value + o->filled / 2) / o->filled);
}

void
trd_order_info(const struct trd_order *o, struct trd_order_info *out)
{
	*out = (struct trd_order_info){
		.size = sizeof(*out), .id = o->id, .sym = 0, .side = o->side,
		.type = o->type, .status = o->status, .qty = o->qty,
		.filled_qty = o->filled, .price = o->price,
		.avg_fill_price = trd_order_avg_price(o),
		.submit_ns = o->submit_ns, .update_ns = o->update_ns,
		.tag = o->tag, .reason = o->reason,
		.tif = o->tif, .flags = o->flags,
		.reject_code = o->reject_code, .stop_price = o->stop_price,
		.trail = o->trail, .expire_ns = o->expire_ns,
		.link_id = o->link_id, .parent_id = o->parent_id,
	};
}

const char *
trd_order_status_name(int status)
{
	switch (status) {
	case TRD_ORDER_NEW: return "new";
	case TRD_ORDER_ACCEPTED: return "accepted";
	case TRD_ORDER_PARTIALLY_FILLED: return "partially_filled";
	case TRD_ORDER_FILLED: return "filled";
	case TRD_ORDER_CANCELED: return "canceled";
	case TRD_ORDER_REJECTED: return "rejected";
	case TRD_ORDER_EXPIRED: return "expired";
	}
	return "?";
}

const char *
trd_order_type_name(int type)
{
	switch (type) {
	case TRD_ORDER_MARKET: return "market";
	case TRD_ORDER_LIMIT: return "limit";
	case TRD_ORDER_STOP: return "stop";
	case TRD_ORDER_STOP_LIMIT: return "stop_limit";
	case TRD_ORDER_TRAILING_STOP: return "trailing_stop";
	}
	return "?";
}

const char *
trd_side_name(int side)
{
	return side == TRD_SIDE_BUY ? "buy" : side == TRD_SIDE_SELL ? "sell"
								   : "?";
}

void
trd_oms_list(struct trd_oms *oms, struct trd_order *o)
{
	if (o->status == TRD_ORDER_NEW)
		open_add(oms, o);
}

void
trd_oms_expire(struct trd_oms *oms, struct trd_order *o, const char *reason,
	       int64_t now)
{
	if (!trd_order_is_open(o))
		return;
	oms->nexpired++;
	set_status(oms, o, TRD_ORDER_EXPIRED, reason, now);
}

void
trd_oms_amended(struct trd_oms *oms, struct trd_order *o, int64_t now)
{
	if (!trd_order_is_open(o))
		return;
	/* Cut down to what has filled: nothing is left to work. */
	if (o->filled > 0 && o->filled >= o->qty) {
		oms->nfilled++;
		set_status(oms, o, TRD_ORDER_FILLED, "amended", now);
		return;
	}
	set_status(oms, o, o->status, "amended", now);
}

const char *
trd_reject_name(int code)
{
	/* The names report.json counts rejections under (plugin.h). */
	static const char *const names[TRD_REJ_COUNT] = {
		[TRD_REJ_NONE] = "none",
		[TRD_REJ_INVALID_ORDER] = "invalid_order",
		[TRD_REJ_INVALID_QTY] = "invalid_quantity",
		[TRD_REJ_INVALID_PRICE] = "invalid_price",
		[TRD_REJ_LOT] = "lot_size",
		[TRD_REJ_TICK] = "tick_size",
		[TRD_REJ_MIN_NOTIONAL] = "min_notional",
		[TRD_REJ_UNKNOWN_SYMBOL] = "unknown_symbol",
		[TRD_REJ_MAX_ORDER_QTY] = "max_order_qty",
		[TRD_REJ_MAX_ORDER_NOTIONAL] = "max_order_notional",
		[TRD_REJ_MAX_POSITION] = "max_position_notional",
		[TRD_REJ_MAX_GROSS] = "max_gross_exposure",
		[TRD_REJ_MAX_OPEN_ORDERS] = "max_open_orders",
		[TRD_REJ_RATE_STRATEGY] = "rate_limit_strategy",
		[TRD_REJ_RATE_GLOBAL] = "rate_limit_global",
		[TRD_REJ_PRICE_COLLAR] = "price_collar",
		[TRD_REJ_MAX_OPEN_TRADES] = "max_open_trades",
		[TRD_REJ_HALTED] = "halted",
		[TRD_REJ_STALE_DATA] = "stale_data",
		[TRD_REJ_NO_MARKET_DATA] = "no_market_data",
		[TRD_REJ_REDUCE_ONLY] = "reduce_only",
		[TRD_REJ_POST_ONLY] = "post_only",
		[TRD_REJ_FUNDS] = "insufficient_funds",
		[TRD_REJ_POSITION] = "insufficient_position",
	};

	return code >= 0 && code < TRD_REJ_COUNT ? names[code] : "?";
}

const char *
trd_tif_name(int tif)
{
	switch (tif) {
	case TRD_TIF_GTC: return "gtc";
	case TRD_TIF_IOC: return "ioc";
	case TRD_TIF_FOK: return "fok";
	case TRD_TIF_GTD: return "gtd";
	}
	return "?";
}
