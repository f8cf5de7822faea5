/*
 * oms: see oms.h.  This file holds the table (orders by id in a uthash
 * index, open orders in id order, listed ones per instrument, the ring of
 * recent closed ones), the state machine and its guards, and the venue's
 * report handler.  The link rules are in oms_links.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "oms_int.h"
#include "venue.h"

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

struct trd_oms_node {
	struct trd_order o;
	UT_hash_handle   hh;
};

int
trd_oms_init(struct trd_oms *oms, const struct trd_registry *reg,
	     size_t ninstr)
{
	*oms = (struct trd_oms){ .reg = reg, .ninstr = ninstr,
				 .keep_closed = TRD_OMS_KEEP_CLOSED };
	memcpy(oms->prefix, "bt", 3);
	oms->open = calloc(ninstr ? ninstr : 1, sizeof(*oms->open));
	return oms->open ? 0 : -ENOMEM;
}

static void
node_free(struct trd_oms *oms, struct trd_oms_node *n)
{
	HASH_DEL(oms->by_id, n);
	free(n->o.exec_more);
	free(n);
}

void
trd_oms_free(struct trd_oms *oms)
{
	struct trd_oms_node *n, *tmp;

	HASH_ITER(hh, oms->by_id, n, tmp)
		node_free(oms, n);
	for (size_t i = 0; oms->open && i < oms->ninstr; i++)
		free(oms->open[i].v);
	free(oms->open);
	*oms = (struct trd_oms){ 0 };
}

void
trd_oms_set_venue(struct trd_oms *oms, struct trd_venue *v)
{
	oms->venue = v;
	oms->caps = v ? v->ops->caps : 0;
}

int
trd_oms_set_prefix(struct trd_oms *oms, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;

	if (n == 0 || n > TRD_RUN_PREFIX_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((prefix[i] >= '0' && prefix[i] <= '9') ||
		      (prefix[i] >= 'a' && prefix[i] <= 'z') ||
		      (prefix[i] >= 'A' && prefix[i] <= 'Z')))
			return -EINVAL;
	memcpy(oms->prefix, prefix, n + 1);
	return 0;
}

char *
trd_oms_run_prefix(uint64_t n, char *buf)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char d[16];
	int k = 0;

	/* Past 36^7 the prefix would not fit: wrap (runs that far apart
	 * have no order open together). */
	n %= 78364164096ULL;
	do
		d[k++] = digits[n % 36];
	while ((n /= 36) != 0);
	buf[0] = 'r';
	for (int i = 0; i < k; i++)
		buf[1 + i] = d[k - 1 - i];
	buf[1 + k] = '\0';
	return buf;
}

int
trd_oms_subscribe(struct trd_oms *oms, trd_oms_cb fn, void *arg)
{
	if (oms->nsubs == TRD_OMS_MAX_SUBS)
		return -ENOSPC;
	oms->subs[oms->nsubs].fn = fn;
	oms->subs[oms->nsubs].arg = arg;
	oms->nsubs++;
	return 0;
}

void
trd_oms_unsubscribe(struct trd_oms *oms, trd_oms_cb fn, void *arg)
{
	for (int i = 0; i < oms->nsubs; i++) {
		if (oms->subs[i].fn != fn || oms->subs[i].arg != arg)
			continue;
		memmove(&oms->subs[i], &oms->subs[i + 1],
			(size_t)(oms->nsubs - i - 1) * sizeof(oms->subs[0]));
		oms->nsubs--;
		return;
	}
}

static void
notify(struct trd_oms *oms, const struct trd_order *o,
       const struct trd_oms_fill *f)
{
	for (int i = 0; i < oms->nsubs; i++)
		oms->subs[i].fn(oms->subs[i].arg, o, f);
}

struct trd_order *
trd_oms_get(const struct trd_oms *oms, uint64_t id)
{
	struct trd_oms_node *n = NULL;

	HASH_FIND(hh, oms->by_id, &id, sizeof(id), n);
	return n ? &n->o : NULL;
}

/* ---- listed orders, per instrument ---- */

/* Put o in its instrument's list, in id order: the venue matches older
 * orders first and risk counts what is working.  Bracket exits are listed
 * when their entry fills, after younger orders: the search from the end
 * is short. */
static int
list_add(struct trd_oms *oms, struct trd_order *o)
{
	struct trd_oms_open *l = &oms->open[o->ins];
	size_t at;

	if (o->listed)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct trd_order **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	for (at = l->n; at > 0 && l->v[at - 1]->id > o->id; at--)
		;
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(*l->v));
	l->v[at] = o;
	l->n++;
	o->listed = 1;
	oms->nlisted++;
	return 0;
}

static void
list_remove(struct trd_oms *oms, struct trd_order *o)
{
	struct trd_oms_open *l = &oms->open[o->ins];

	if (!o->listed)
		return;
	o->listed = 0;
	oms->nlisted--;
	for (size_t i = l->n; i-- > 0;) {
		if (l->v[i] == o) {
			memmove(&l->v[i], &l->v[i + 1],
				(l->n - i - 1) * sizeof(*l->v));
			l->n--;
			return;
		}
	}
}

/* Closed: off the open list, onto the tail of the recent ring (which
 * reuses the same links). */
static void
retire(struct trd_oms *oms, struct trd_order *o)
{
	if (o->prev_open)
		o->prev_open->next_open = o->next_open;
	else
		oms->open_head = o->next_open;
	if (o->next_open)
		o->next_open->prev_open = o->prev_open;
	else
		oms->open_tail = o->prev_open;
	oms->nopen--;
	o->next_open = o->prev_open = NULL;
	if (oms->retired_tail)
		oms->retired_tail->next_open = o;
	else
		oms->retired_head = o;
	oms->retired_tail = o;
	oms->nretired++;
}

void
trd_oms_gc(struct trd_oms *oms)
{
	while (oms->nretired > oms->keep_closed) {
		struct trd_order *o = oms->retired_head;
		oms->retired_head = o->next_open;
		if (oms->retired_head == NULL)
			oms->retired_tail = NULL;
		oms->nretired--;
		/* o is the first member of its node. */
		node_free(oms, (struct trd_oms_node *)(void *)o);
	}
}

/* ---- creation ---- */

/* "<prefix>-<strat>-<seq>" without printf (it runs per order): at most
 * 8 + 1 + 10 + 1 + 10 characters, within TRD_CLIENT_ID_MAX. */
static char *
put_uint(char *p, uint64_t v)
{
	char d[20];
	int k = 0;

	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (k > 0)
		*p++ = d[--k];
	return p;
}

static void
client_id(const struct trd_oms *oms, struct trd_order *o)
{
	char *p = o->client_id;
	size_t n = strlen(oms->prefix);

	memcpy(p, oms->prefix, n);
	p += n;
	*p++ = '-';
	p = put_uint(p, o->strat);
	*p++ = '-';
	p = put_uint(p, o->seq);
	*p = '\0';
}

struct trd_order *
trd_oms_create(struct trd_oms *oms, const struct trd_order_spec *sp,
	       int64_t now)
{
	/* Not calloc: an order is large (its texts), and only their first
	 * bytes need setting. */
	struct trd_oms_node *n = malloc(sizeof(*n));
	struct trd_order *o;
	int oom = 0;

	if (n == NULL)
		return NULL;
	o = &n->o;
	memset(o, 0, offsetof(struct trd_order, reason));
	o->reason[0] = o->venue_id[0] = '\0';
	o->next_open = o->prev_open = NULL;
	o->id = oms->last_id + 1;
	o->strat = sp->strat;
	o->ins = sp->ins;
	o->status = TRD_ORDER_NEW;
	o->qty = sp->qty;
	o->price = sp->price;
	o->stop_price = sp->stop_price;
	o->trail = sp->trail;
	o->expire_ns = sp->expire_ns;
	o->submit_ns = o->update_ns = now;
	o->tag = sp->tag;
	o->seq = sp->seq;
	/* Out of range: a value no check accepts, not a truncation that
	 * could look valid. */
	o->side = sp->side == TRD_SIDE_BUY || sp->side == TRD_SIDE_SELL
			  ? (uint8_t)sp->side : 0;
	o->type = sp->type >= TRD_ORDER_MARKET &&
			  sp->type <= TRD_ORDER_TRAILING_STOP
		  ? (uint8_t)sp->type : 0;
	o->tif = (uint8_t)(sp->tif > 0xff ? 0xff : sp->tif);
	o->flags = (uint8_t)(sp->flags > 0xff ? 0xff : sp->flags);
	client_id(oms, o);
#undef uthash_nonfatal_oom
#define uthash_nonfatal_oom(e) (oom = 1)
	HASH_ADD(hh, oms->by_id, o.id, sizeof(uint64_t), n);
	if (oom) {
		free(n);
		return NULL;
	}
	oms->last_id++;
	oms->stats.created++;
	o->prev_open = oms->open_tail;
	if (oms->open_tail)
		oms->open_tail->next_open = o;
	else
		oms->open_head = o;
	oms->open_tail = o;
	oms->nopen++;
	return o;
}

/* ---- transitions ---- */

/* snprintf(dst, cap, "%s", src) without printf: it runs on every order
 * transition.  NULL copies as "". */
static void
copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void
trd__oms_set_status(struct trd_oms *oms, struct trd_order *o, int status,
		    const char *reason, int64_t now)
{
	o->status = (uint8_t)status;
	o->update_ns = now;
	/* The reason belongs to this update: a fill after an amend must not
	 * still say "amended". */
	copy_text(o->reason, sizeof(o->reason), reason);
	if (!trd_order_is_open(o)) {
		list_remove(oms, o);
		switch (status) {
		case TRD_ORDER_FILLED: oms->stats.filled++; break;
		case TRD_ORDER_REJECTED: oms->stats.rejected++; break;
		case TRD_ORDER_CANCELED: oms->stats.canceled++; break;
		case TRD_ORDER_EXPIRED: oms->stats.expired++; break;
		}
		oms->stats.partial += o->filled > 0 &&
				      status != TRD_ORDER_FILLED;
	}
	notify(oms, o, NULL);
	if (!trd_order_is_open(o))
		retire(oms, o);
}

void
trd__oms_close(struct trd_oms *oms, struct trd_order *o, int how, int code,
	       const char *reason, int64_t now)
{
	if (o == NULL || !trd_order_is_open(o))
		return;
	if (how == TRD__CLOSE_REJECT)
		o->reject_code = (uint16_t)code;
	trd__oms_set_status(oms, o,
			    how == TRD__CLOSE_REJECT   ? TRD_ORDER_REJECTED
			    : how == TRD__CLOSE_EXPIRE ? TRD_ORDER_EXPIRED
						       : TRD_ORDER_CANCELED,
			    reason, now);
	trd__oms_links_closed(oms, o, how, now);
}

/* A NEW, unrouted order refused with code: no links followed. */
static void
reject_one(struct trd_oms *oms, struct trd_order *o, int code,
	   const char *reason, int64_t now)
{
	if (o == NULL || o->status != TRD_ORDER_NEW || o->routed)
		return;
	o->reject_code = (uint16_t)code;
	trd__oms_set_status(oms, o, TRD_ORDER_REJECTED, reason, now);
}

/*
 * The host's checks refused o before it was routed.  Whatever is linked to
 * it was never placed either, so it is refused with the same code: a
 * bracket's held exits ("bracket entry rejected"), an OCO partner not yet
 * routed ("OCO: the other leg was rejected"), so a pair or a bracket is
 * placed whole or not at all.
 */
void
trd_oms_reject(struct trd_oms *oms, struct trd_order *o, int code,
	       const char *reason, int64_t now)
{
	struct trd_order *p;

	if (o->status != TRD_ORDER_NEW || o->routed)
		return;
	reject_one(oms, o, code, reason, now);
	if (o->child_id != 0) {
		struct trd_order *tp = trd_oms_get(oms, o->child_id);
		p = tp ? trd_oms_get(oms, tp->link_id) : NULL;
		if (tp && tp->parent_id == o->id)
			reject_one(oms, tp, code, "bracket entry rejected",
				   now);
		if (p && p->parent_id == o->id)
			reject_one(oms, p, code, "bracket entry rejected", now);
	} else if (o->link_id != 0) {
		p = trd_oms_get(oms, o->link_id);
		if (p && p->link_id == o->id)
			reject_one(oms, p, code,
				   "OCO: the other leg was rejected", now);
	}
}

int
trd__oms_route(struct trd_oms *oms, struct trd_order *o, unsigned flags,
	       int64_t now)
{
	int rc;

	if (o->status != TRD_ORDER_NEW || o->routed || o->held ||
	    oms->venue == NULL)
		return -EINVAL;
	if (o->ins >= oms->ninstr) {
		trd__oms_close(oms, o, TRD__CLOSE_REJECT,
			       TRD_REJ_UNKNOWN_SYMBOL, "unknown instrument",
			       now);
		return 0;
	}
	o->routed = 1;
	oms->stats.routed++;
	if (list_add(oms, o) != 0) {
		trd__oms_close(oms, o, TRD__CLOSE_REJECT, TRD_REJ_INVALID_ORDER,
			       "out of memory", now);
		return 0;
	}
	/* The venue may answer from inside the call; o stays valid (it is
	 * freed only by trd_oms_gc). */
	rc = oms->venue->ops->submit(oms->venue, o, flags);
	if (rc != 0 && trd_order_is_open(o)) {
		char why[64];
		snprintf(why, sizeof(why), "the venue refused the order (%d)",
			 rc);
		o->routed = 0;
		trd__oms_close(oms, o, TRD__CLOSE_REJECT,
			       TRD_REJ_INVALID_ORDER, why, now);
	}
	return 0;
}

int
trd_oms_send(struct trd_oms *oms, struct trd_order *o, int64_t now)
{
	return trd__oms_route(oms, o, 0, now);
}

int
trd_oms_cancel(struct trd_oms *oms, struct trd_order *o, const char *reason,
	       int64_t now)
{
	int rc;

	if (o == NULL || !trd_order_is_open(o) || o->cancel_sent)
		return -ENOENT;
	if (o->held || !o->routed) {
		/* Not at the venue: now. */
		trd__oms_close(oms, o, TRD__CLOSE_CANCEL, 0,
			       reason ? reason : "canceled", now);
		return 0;
	}
	rc = oms->venue->ops->cancel(oms->venue, o,
				     reason ? reason : "canceled");
	if (rc == 0 && trd_order_is_open(o))
		o->cancel_sent = 1;
	return rc;
}

int
trd_oms_amend(struct trd_oms *oms, struct trd_order *o, int64_t qty,
	      int64_t price, int64_t now)
{
	if (o == NULL || !trd_order_is_open(o) || o->cancel_sent)
		return -ENOENT;
	if (o->held)
		return trd__oms_amend_held(oms, o, price, now);
	if (!o->routed)
		return -ENOENT;
	return oms->venue->ops->amend(oms->venue, o, qty, price, 0);
}

/* ---- the venue's reports ---- */

static int
seen_exec(const struct trd_order *o, uint64_t x)
{
	uint32_t k = o->nexec < TRD_OMS_EXEC_INLINE ? o->nexec
						     : TRD_OMS_EXEC_INLINE;

	for (uint32_t i = 0; i < k; i++)
		if (o->exec[i] == x)
			return 1;
	for (uint32_t i = TRD_OMS_EXEC_INLINE; i < o->nexec; i++)
		if (o->exec_more[i - TRD_OMS_EXEC_INLINE] == x)
			return 1;
	return 0;
}

/* Remember x; 0 or -ENOMEM (the fill is then still applied: losing the
 * memory of an id is better than losing a fill). */
static int
note_exec(struct trd_order *o, uint64_t x)
{
	uint32_t i = o->nexec;

	if (i < TRD_OMS_EXEC_INLINE) {
		o->exec[i] = x;
	} else {
		uint32_t j = i - TRD_OMS_EXEC_INLINE;
		/* Grown at powers of two: j == 0, 1, 2, 4, 8 ... */
		if ((j & (j - 1)) == 0) {
			uint32_t cap = j ? 2 * j : 1;
			uint64_t *m = realloc(o->exec_more, cap * sizeof(*m));
			if (m == NULL)
				return -ENOMEM;
			o->exec_more = m;
		}
		o->exec_more[j] = x;
	}
	o->nexec++;
	return 0;
}

static void
on_fill(struct trd_oms *oms, struct trd_order *o,
	const struct trd_venue_report *r)
{
	struct trd_oms_fill f = { r->exec_id, r->fill_qty, r->fill_price,
				  r->fee, r->ts_ns,
				  r->ref_price ? r->ref_price : r->fill_price };
	int first = o->filled == 0;

	if (!trd_order_is_open(o)) {
		oms->stats.refused_closed++;
		log_warn("order %llu (%s): fill of %lld refused: the order is "
			 "%s", (unsigned long long)o->id, o->client_id,
			 (long long)r->fill_qty,
			 trd_order_status_name(o->status));
		return;
	}
	if (r->exec_id != 0 && seen_exec(o, r->exec_id)) {
		oms->stats.refused_dup++;
		log_warn("order %llu (%s): execution %llu reported again; "
			 "ignored", (unsigned long long)o->id, o->client_id,
			 (unsigned long long)r->exec_id);
		return;
	}
	if (r->fill_qty <= 0 || r->fill_price <= 0 || r->fee < 0 ||
	    r->fill_qty > o->qty - o->filled) {
		oms->stats.refused_overfill++;
		log_warn("order %llu (%s): fill of %lld at %lld refused: %lld "
			 "of %lld already filled", (unsigned long long)o->id,
			 o->client_id, (long long)r->fill_qty,
			 (long long)r->fill_price, (long long)o->filled,
			 (long long)o->qty);
		return;
	}
	if (r->exec_id != 0 && note_exec(o, r->exec_id) != 0)
		log_warn("order %llu: out of memory recording execution ids",
			 (unsigned long long)o->id);
	o->filled += r->fill_qty;
	o->fill_value += (__int128)r->fill_price * r->fill_qty;
	notify(oms, o, &f);
	trd__oms_set_status(oms, o,
			    o->filled >= o->qty ? TRD_ORDER_FILLED
						: TRD_ORDER_PARTIALLY_FILLED,
			    NULL, r->ts_ns);
	trd__oms_links_filled(oms, o, r->fill_qty, first, r->ts_ns);
}

static void
late(struct trd_oms *oms, const struct trd_order *o,
     const struct trd_venue_report *r)
{
	static const char *const what[] = {
		[TRD_VR_ACCEPTED] = "ack", [TRD_VR_REJECTED] = "rejection",
		[TRD_VR_CANCELED] = "cancel", [TRD_VR_EXPIRED] = "expiry",
		[TRD_VR_AMENDED] = "amend",
	};

	oms->stats.late++;
	log_debug("order %llu (%s): late %s ignored: the order is %s",
		  (unsigned long long)o->id, o->client_id,
		  r->kind < sizeof(what) / sizeof(what[0]) && what[r->kind]
			  ? what[r->kind] : "report",
		  trd_order_status_name(o->status));
}

void
trd_oms_on_report(void *arg, const struct trd_venue_report *r)
{
	struct trd_oms *oms = arg;
	struct trd_order *o = trd_oms_get(oms, r->id);

	if (o == NULL) {
		oms->stats.unknown++;
		log_warn("venue report for unknown order %llu ignored",
			 (unsigned long long)r->id);
		return;
	}
	if (r->kind == TRD_VR_FILL) {
		on_fill(oms, o, r);
		return;
	}
	if (!trd_order_is_open(o)) {
		if (r->kind != TRD_VR_LEVEL)
			late(oms, o, r);
		return;
	}
	switch (r->kind) {
	case TRD_VR_ACCEPTED:
		if (r->venue_id)
			copy_text(o->venue_id, sizeof(o->venue_id),
				  r->venue_id);
		if (o->status != TRD_ORDER_NEW) {
			late(oms, o, r); /* after a fill: implied already */
			return;
		}
		/* The order as the venue holds it (its levels). */
		if (r->qty > 0)
			o->qty = r->qty;
		o->price = r->price;
		o->stop_price = r->stop_price;
		trd__oms_set_status(oms, o, TRD_ORDER_ACCEPTED, NULL, r->ts_ns);
		break;
	case TRD_VR_REJECTED:
		if (o->status != TRD_ORDER_NEW) {
			late(oms, o, r);
			return;
		}
		trd__oms_close(oms, o, TRD__CLOSE_REJECT, r->code, r->reason,
			       r->ts_ns);
		break;
	case TRD_VR_CANCELED:
	case TRD_VR_EXPIRED:
		trd__oms_close(oms, o,
			       r->kind == TRD_VR_EXPIRED ? TRD__CLOSE_EXPIRE
							 : TRD__CLOSE_CANCEL,
			       0, r->reason, r->ts_ns);
		break;
	case TRD_VR_AMENDED:
		o->qty = r->qty > o->filled ? r->qty : o->filled;
		o->price = r->price;
		o->stop_price = r->stop_price;
		/* Cut down to what has filled: nothing is left to work. */
		trd__oms_set_status(oms, o,
				    o->filled > 0 && o->filled >= o->qty
					    ? TRD_ORDER_FILLED : o->status,
				    "amended", r->ts_ns);
		break;
	case TRD_VR_LEVEL:
		o->stop_price = r->stop_price;
		break;
	default:
		oms->stats.unknown++;
		log_warn("order %llu: venue report of unknown kind %u ignored",
			 (unsigned long long)o->id, r->kind);
	}
}

/* ---- views and names ---- */

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
		.size = sizeof(*out), .id = o->id, .sym = o->ins,
		.side = o->side, .type = o->type, .status = o->status,
		.qty = o->qty, .filled_qty = o->filled, .price = o->price,
		.avg_fill_price = trd_order_avg_price(o),
		.submit_ns = o->submit_ns, .update_ns = o->update_ns,
		.tag = o->tag, .reason = o->reason,
		.tif = o->tif, .flags = o->flags,
		.reject_code = o->reject_code, .stop_price = o->stop_price,
		.trail = o->trail, .expire_ns = o->expire_ns,
		.link_id = o->link_id, .parent_id = o->parent_id,
		.client_id = o->client_id, .venue_order_id = o->venue_id,
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
