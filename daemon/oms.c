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
	free(oms->orders);
	*oms = (struct trd_oms){ 0 };
}

static void
open_add(struct trd_oms *oms, const struct trd_order *o)
{
	struct trd_oms_open *l = &oms->open[o->ins];

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		uint64_t *ids = realloc(l->ids, cap * sizeof(*ids));
		if (ids == NULL)
			abort(); /* a few bytes; nothing sane to do */
		l->ids = ids;
		l->cap = cap;
	}
	l->ids[l->n++] = o->id;
}

static void
open_remove(struct trd_oms *oms, const struct trd_order *o)
{
	struct trd_oms_open *l = &oms->open[o->ins];

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

	if (oms->n == oms->cap) {
		size_t cap = oms->cap ? oms->cap * 2 : 256;
		struct trd_order *a = realloc(oms->orders, cap * sizeof(*a));
		if (a == NULL)
			return NULL;
		oms->orders = a;
		oms->cap = cap;
	}
	o = &oms->orders[oms->n++];
	*o = (struct trd_order){ .id = oms->n, .strat = strat, .ins = ins,
				 .side = (uint8_t)side, .type = (uint8_t)type,
				 .status = TRD_ORDER_NEW, .qty = qty,
				 .price = price, .submit_ns = now_ns,
				 .update_ns = now_ns, .eligible_ns = now_ns,
				 .tag = tag };
	return o;
}

static void
set_status(struct trd_oms *oms, struct trd_order *o, int status,
	   const char *reason, int64_t now)
{
	int was_open = trd_order_is_open(o) && o->status != TRD_ORDER_NEW;

	o->status = (uint8_t)status;
	o->update_ns = now;
	if (reason)
		snprintf(o->reason, sizeof(o->reason), "%s", reason);
	if (status == TRD_ORDER_ACCEPTED)
		open_add(oms, o);
	else if (was_open && !trd_order_is_open(o))
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
	}
	return "?";
}

const char *
trd_side_name(int side)
{
	return side == TRD_SIDE_BUY ? "buy" : side == TRD_SIDE_SELL ? "sell"
								   : "?";
}

/* TODO(venue helper): implement. */
void
trd_oms_list(struct trd_oms *oms, struct trd_order *o)
{
	(void)oms;
	(void)o;
}

void
trd_oms_expire(struct trd_oms *oms, struct trd_order *o, const char *reason,
	       int64_t now)
{
	trd_oms_cancel(oms, o, reason, now);
}

void
trd_oms_amended(struct trd_oms *oms, struct trd_order *o, int64_t now)
{
	(void)oms;
	(void)o;
	(void)now;
}

const char *
trd_reject_name(int code)
{
	(void)code;
	return "?";
}

const char *
trd_tif_name(int tif)
{
	(void)tif;
	return "?";
}
