/*
 * plugin: see plugin.h.  The host calls below are the only way a plugin
 * reaches the engine; each one checks what it is given.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "feature.h"
#include "log.h"
#include "plugin.h"
#include "trading.h"

/* Deepest chain of submits from within callbacks of submits (a strategy
 * that resubmits from on_order on every rejection would otherwise recurse
 * until the stack runs out). */
#define MAX_SUBMIT_DEPTH 8

static int64_t
host_now(struct trd_strategy *s)
{
	return trd_clock_now(&s->trading->engine->clock);
}

/* The session instrument index of sym if the strategy trades it. */
static int
strategy_ins(const struct trd_strategy *s, uint32_t sym, size_t *ins)
{
	for (size_t i = 0; i < s->ninstr; i++) {
		if (s->instr[i].sym == sym) {
			*ins = s->ins_idx[i];
			return 0;
		}
	}
	return -1;
}

/* Copy a plugin's request into a full 1.2 struct: fields past its size
 * are zero (GTC, no flags).  -EINVAL for a malformed one. */
static int
read_req(const struct trd_order_req *req, struct trd_order_req *out)
{
	if (req == NULL || req->size < offsetof(struct trd_order_req, tag))
		return -EINVAL;
	*out = (struct trd_order_req){ 0 };
	memcpy(out, req, req->size < sizeof(*out) ? req->size : sizeof(*out));
	if ((out->side != TRD_SIDE_BUY && out->side != TRD_SIDE_SELL) ||
	    out->type < TRD_ORDER_MARKET || out->type > TRD_ORDER_TRAILING_STOP)
		return -EINVAL;
	return 0;
}

/* A NEW order of s from rq; *ins_ok says whether the symbol is one of the
 * strategy's.  NULL when out of memory.  The pointer is valid until the
 * next order is created. */
static struct trd_order *
make_order(struct trd_strategy *s, const struct trd_order_req *rq,
	   int64_t now, int *ins_ok)
{
	struct trd_trading *t = s->trading;
	struct trd_order *o;
	size_t ins = 0;

	*ins_ok = strategy_ins(s, rq->sym, &ins) == 0;
	o = trd_oms_create(&t->oms, (uint32_t)s->idx, (uint32_t)ins,
			   (int)rq->side, (int)rq->type, rq->qty, rq->price,
			   rq->tag, now);
	if (o == NULL)
		return NULL;
	/* Out-of-range values stay out of range in the narrower fields, so
	 * the checks refuse them rather than see them truncated. */
	o->tif = (uint8_t)(rq->tif > 0xff ? 0xff : rq->tif);
	o->flags = (uint8_t)(rq->flags > 0xff ? 0xff : rq->flags);
	o->stop_price = rq->stop_price;
	o->trail = rq->trail;
	o->expire_ns = rq->expire_ns;
	o->seq = ++s->norders;
	return o;
}

/* The host's checks of a NEW order: its symbol, then risk.  0 when it may
 * go to the venue; else it has been rejected (and its code returned). */
static int
screen(struct trd_strategy *s, struct trd_order *o, int ins_ok, int64_t now)
{
	struct trd_trading *t = s->trading;
	char why[160];
	int code;

	if (!ins_ok) {
		trd_oms_reject(&t->oms, o, TRD_REJ_UNKNOWN_SYMBOL, "symbol is "
			       "not one of the strategy's", now);
		return TRD_REJ_UNKNOWN_SYMBOL;
	}
	code = trd_risk_check(&t->risk, o, now, why, sizeof(why));
	if (code != 0)
		trd_oms_reject(&t->oms, o, code, why, now);
	return code;
}

static int
host_submit(struct trd_strategy *s, const struct trd_order_req *req,
	    uint64_t *id)
{
	struct trd_trading *t = s->trading;
	struct trd_order_req rq;
	struct trd_order *o;
	int64_t now = host_now(s);
	int ok;

	if (read_req(req, &rq) != 0)
		return -EINVAL;
	/* Every answer to a submit (even a rejection) is an on_order
	 * callback, from which the plugin may submit again: bound it. */
	if (s->depth >= MAX_SUBMIT_DEPTH)
		return -EAGAIN;
	if ((o = make_order(s, &rq, now, &ok)) == NULL)
		return -ENOMEM;
	if (id)
		*id = o->id;
	s->depth++;
	if (screen(s, o, ok, now) == 0)
		trd_venue_submit(&t->venue, o, now);
	s->depth--;
	return 0;
}

/* Reject o, if still NEW, because its linked order was refused. */
static void
reject_linked(struct trd_trading *t, uint64_t id, int code, const char *why,
	      int64_t now)
{
	struct trd_order *o = trd_oms_get(&t->oms, id);

	if (o->status == TRD_ORDER_NEW)
		trd_oms_reject(&t->oms, o, code, why, now);
}

static int
host_submit_oco(struct trd_strategy *s, const struct trd_order_req *a,
		const struct trd_order_req *b, uint64_t ids[2])
{
	struct trd_trading *t = s->trading;
	struct trd_order_req ra, rb;
	struct trd_order *o;
	int64_t now = host_now(s);
	uint64_t ia, ib;
	int oka, okb, ca, cb;

	if (read_req(a, &ra) != 0 || read_req(b, &rb) != 0)
		return -EINVAL;
	if (s->depth >= MAX_SUBMIT_DEPTH)
		return -EAGAIN;
	if ((o = make_order(s, &ra, now, &oka)) == NULL)
		return -ENOMEM;
	ia = o->id;
	if ((o = make_order(s, &rb, now, &okb)) == NULL) {
		trd_oms_reject(&t->oms, trd_oms_get(&t->oms, ia),
			       TRD_REJ_INVALID_ORDER, "out of memory", now);
		return -ENOMEM;
	}
	ib = o->id;
	o->link_id = ia;
	trd_oms_get(&t->oms, ia)->link_id = ib;
	if (ids) {
		ids[0] = ia;
		ids[1] = ib;
	}
	s->depth++;
	/* Both legs pass the checks before either goes out: a pair is
	 * placed whole or not at all. */
	ca = screen(s, trd_oms_get(&t->oms, ia), oka, now);
	if (ca != 0)
		reject_linked(t, ib, ca, "OCO: the other leg was rejected",
			      now);
	else if ((cb = screen(s, trd_oms_get(&t->oms, ib), okb, now)) != 0)
		reject_linked(t, ia, cb, "OCO: the other leg was rejected",
			      now);
	else {
		trd_venue_submit(&t->venue, trd_oms_get(&t->oms, ia), now);
		/* The venue may have closed b already (a refused at once
		 * cancels its partner). */
		o = trd_oms_get(&t->oms, ib);
		if (o->status == TRD_ORDER_NEW && !o->listed)
			trd_venue_submit(&t->venue, o, now);
	}
	s->depth--;
	return 0;
}

/* Check a bracket exit's price: absolute (on the tick) or an offset in
 * bps; exactly one.  0 or a reject code with why. */
static int
exit_price_ok(const struct trd_session_instr *in, int64_t price, int64_t bps,
	      int stop, const char **why)
{
	if ((price > 0) == (bps > 0) || price < 0 || bps < 0) {
		*why = "a bracket exit needs exactly one of a price and an "
		       "offset in bps, positive";
		return TRD_REJ_INVALID_PRICE;
	}
	if (price % in->tick != 0) {
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

static int
host_submit_bracket(struct trd_strategy *s, const struct trd_bracket_req *b,
		    uint64_t ids[3])
{
	struct trd_trading *t = s->trading;
	struct trd_order_req re, rx;
	struct trd_order *e, *tp, *sl;
	int64_t now = host_now(s);
	uint64_t ie, itp, isl;
	const char *why = NULL;
	int ok, code = 0;

	if (b == NULL || b->size < sizeof(*b) || read_req(b->entry, &re) != 0)
		return -EINVAL;
	if (s->depth >= MAX_SUBMIT_DEPTH)
		return -EAGAIN;
	if ((e = make_order(s, &re, now, &ok)) == NULL)
		return -ENOMEM;
	ie = e->id;
	/* The exits: reduce-only, opposite side, held until the entry
	 * fills, quantity set then. */
	rx = (struct trd_order_req){ .size = sizeof(rx), .sym = re.sym,
				     .side = re.side == TRD_SIDE_BUY
						     ? TRD_SIDE_SELL
						     : TRD_SIDE_BUY,
				     .type = TRD_ORDER_LIMIT,
				     .price = b->tp_price, .tag = re.tag,
				     .flags = TRD_ORDER_REDUCE_ONLY };
	if ((tp = make_order(s, &rx, now, &ok)) == NULL)
		return -ENOMEM;
	itp = tp->id;
	rx.type = TRD_ORDER_STOP;
	rx.price = b->sl_price;
	if ((sl = make_order(s, &rx, now, &ok)) == NULL)
		return -ENOMEM;
	isl = sl->id;
	e = trd_oms_get(&t->oms, ie);
	tp = trd_oms_get(&t->oms, itp);
	e->child_id = itp;
	tp->parent_id = sl->parent_id = ie;
	tp->link_id = isl;
	sl->link_id = itp;
	tp->held = sl->held = 1;
	tp->qty = sl->qty = 0;
	tp->offset_bps = b->tp_bps;
	sl->offset_bps = b->sl_bps;
	if (ids) {
		ids[0] = ie;
		ids[1] = itp;
		ids[2] = isl;
	}
	s->depth++;
	if (ok) {
		const struct trd_session_instr *in = &t->ins[e->ins];
		code = exit_price_ok(in, b->tp_price, b->tp_bps, 0, &why);
		if (code == 0)
			code = exit_price_ok(in, b->sl_price, b->sl_bps, 1,
					     &why);
		if (code == 0 && b->tp_price > 0 && b->sl_price > 0 &&
		    (re.side == TRD_SIDE_BUY ? b->tp_price <= b->sl_price
					     : b->tp_price >= b->sl_price)) {
			why = "a bracket's take-profit must lie beyond its "
			      "stop-loss";
			code = TRD_REJ_INVALID_PRICE;
		}
		if (code != 0)
			trd_oms_reject(&t->oms, e, code, why, now);
	}
	if (code == 0)
		code = screen(s, trd_oms_get(&t->oms, ie), ok, now);
	if (code != 0) {
		reject_linked(t, itp, code, "bracket entry rejected", now);
		reject_linked(t, isl, code, "bracket entry rejected", now);
	} else {
		trd_venue_submit(&t->venue, trd_oms_get(&t->oms, ie), now);
	}
	s->depth--;
	return 0;
}

static int
host_cancel(struct trd_strategy *s, uint64_t id)
{
	struct trd_order *o = trd_oms_get(&s->trading->oms, id);

	if (o == NULL || o->strat != s->idx)
		return -ENOENT;
	return trd_venue_cancel(&s->trading->venue, o, "canceled by the strategy",
				host_now(s));
}

static int
host_amend(struct trd_strategy *s, uint64_t id, int64_t qty, int64_t price)
{
	struct trd_trading *t = s->trading;
	struct trd_order *o = trd_oms_get(&t->oms, id), tmp;
	int64_t now = host_now(s);
	char why[160];
	int code;

	if (o == NULL || o->strat != s->idx || !trd_order_is_open(o))
		return -ENOENT;
	if (qty <= 0 || qty < o->filled || price < 0)
		return -EINVAL;
	/* The order as it would be, through the same checks. */
	tmp = *o;
	tmp.qty = qty;
	if (price > 0)
		tmp.price = price;
	if (!o->held) {
		code = trd_risk_check(&t->risk, &tmp, now, why, sizeof(why));
		if (code != 0) {
			log_warn("strategy %s: amend of order %llu refused: "
				 "%s (%s)", s->name, (unsigned long long)id,
				 why, trd_reject_name(code));
			return -EPERM;
		}
	}
	return trd_venue_amend(&t->venue, o, qty, price, now);
}

static int64_t
host_position(struct trd_strategy *s, uint32_t sym)
{
	size_t ins;

	if (strategy_ins(s, sym, &ins) != 0)
		return 0;
	return trd_portfolio_pos(&s->trading->pf, s->idx, ins)->qty;
}

static int
host_account(struct trd_strategy *s, struct trd_account_info *out)
{
	const struct trd_portfolio *pf = &s->trading->pf;
	struct trd_account_info a = {
		.size = sizeof(a), .cash = pf->cash,
		.equity = trd_portfolio_equity(pf), .fees = pf->fees,
		.fee_bps = s->trading->venue.fee_bps,
		.free_collateral = trd_venue_free_collateral(&s->trading->venue),
		.halted = s->trading->risk.halted,
	};

	if (out == NULL || out->size < sizeof(uint32_t))
		return -EINVAL;
	/* Copy only what the plugin's struct has room for. */
	memcpy((char *)out + sizeof(uint32_t), (char *)&a + sizeof(uint32_t),
	       (out->size < sizeof(a) ? out->size : sizeof(a)) -
		       sizeof(uint32_t));
	return 0;
}

static size_t
host_open_orders(struct trd_strategy *s, struct trd_order_info *out,
		 size_t max)
{
	const struct trd_oms *oms = &s->trading->oms;
	size_t n = 0;

	for (size_t i = 0; i < oms->ninstr; i++) {
		for (size_t j = 0; j < oms->open[i].n; j++) {
			const struct trd_order *o =
				trd_oms_get(oms, oms->open[i].ids[j]);
			if (o->strat != s->idx)
				continue;
			if (out && n < max) {
				trd_order_info(o, &out[n]);
				out[n].sym = s->trading->ins[o->ins].store_id;
			}
			n++;
		}
	}
	return n;
}

static void
timer_cb(struct trd_timer *t, void *arg)
{
	struct trd_strategy_timer *st = arg;

	(void)t;
	if (st->s->p->on_timer)
		st->s->p->on_timer(st->s, st->id);
}

static int
host_timer_start(struct trd_strategy *s, int id, int64_t due_ns,
		 int64_t period_ns)
{
	struct trd_strategy_timer *free_slot = NULL;

	if (period_ns < 0)
		return -EINVAL;
	for (int i = 0; i < TRD_STRATEGY_TIMERS; i++) {
		struct trd_strategy_timer *st = &s->timers[i];
		if (st->used && st->id == id)
			return trd_timer_start(&st->t, due_ns, period_ns);
		if (!st->used && free_slot == NULL)
			free_slot = st;
	}
	if (free_slot == NULL)
		return -ENOSPC;
	free_slot->used = 1;
	free_slot->id = id;
	free_slot->s = s;
	trd_timer_init(&free_slot->t, &s->trading->engine->clock, timer_cb,
		       free_slot);
	return trd_timer_start(&free_slot->t, due_ns, period_ns);
}

static void
host_timer_stop(struct trd_strategy *s, int id)
{
	for (int i = 0; i < TRD_STRATEGY_TIMERS; i++) {
		if (s->timers[i].used && s->timers[i].id == id) {
			trd_timer_stop(&s->timers[i].t);
			s->timers[i].used = 0;
		}
	}
}

static void __attribute__((format(printf, 3, 4)))
host_log(struct trd_strategy *s, int level, const char *fmt, ...)
{
	char where[80];
	va_list ap;

	if (level < TRD_PLOG_ERROR || level > TRD_PLOG_DEBUG)
		level = TRD_PLOG_INFO;
	if (fmt == NULL)
		return;
	snprintf(where, sizeof(where), "strategy %s", s->name);
	va_start(ap, fmt);
	trd_vlog((enum trd_log_level)level, where, fmt, ap);
	va_end(ap);
}

static void
host_set_state(struct trd_strategy *s, void *state)
{
	s->state = state;
}

static void *
host_state(struct trd_strategy *s)
{
	return s->state;
}

static const struct trd_instrument_info *
host_instrument(struct trd_strategy *s, size_t i)
{
	return i < s->ninstr ? &s->instr[i] : NULL;
}

static const char *
host_name(struct trd_strategy *s)
{
	return s->name;
}

static int64_t
host_max_buy_qty(struct trd_strategy *s, uint32_t sym, int64_t price,
		 int64_t money)
{
	struct trd_trading *t = s->trading;
	size_t ins;

	if (strategy_ins(s, sym, &ins) != 0 || price <= 0)
		return 0;
	/* A market buy is checked, and fills, at the slipped price: size
	 * at it too, or an all-in order is refused whenever slippage > 0. */
	price = trd_venue_slipped(&t->venue, ins, TRD_SIDE_BUY, price);
	return trd_affordable_qty(&t->pf, ins, money, price, t->venue.fee_bps,
				  t->ins[ins].lot, INT64_MAX);
}

static const double *
host_feature(struct trd_strategy *s, uint32_t sym, const char *name,
	     char *err, size_t errlen)
{
	struct trd_trading *t = s->trading;
	char tmp[1];
	size_t ins;

	if (err == NULL || errlen == 0) {
		err = tmp;
		errlen = sizeof(tmp);
	}
	if (strategy_ins(s, sym, &ins) != 0) {
		snprintf(err, errlen, "symbol id %u is not one of strategy "
			 "%s's symbols", sym, s->name);
		return NULL;
	}
	if (name == NULL) {
		snprintf(err, errlen, "no feature name");
		return NULL;
	}
	return trd_fset_add(t->ins[ins].fs, name, err, errlen);
}

static int
host_bar_at(struct trd_strategy *s, uint32_t sym, size_t k,
	    struct trd_bar *out)
{
	size_t ins;

	if (out == NULL || strategy_ins(s, sym, &ins) != 0)
		return -ENOENT;
	return trd_fset_bar_at(s->trading->ins[ins].fs, k, out);
}

static int64_t
host_size_qty(struct trd_strategy *s, const struct trd_sizing *z)
{
	struct trd_trading *t = s->trading;
	int64_t price, equity, free, money, q, cap;
	struct trd_size_stats st;
	double f, vol = NAN;
	size_t ins;

	if (z == NULL || z->size < sizeof(*z) ||
	    strategy_ins(s, z->sym, &ins) != 0)
		return 0;
	price = z->price > 0 ? z->price : t->pf.ins[ins].last;
	if (price <= 0 || z->price < 0)
		return 0;
	/* As a market order is checked and fills: at the slipped price. */
	price = trd_venue_slipped(&t->venue, ins, TRD_SIDE_BUY, price);
	free = trd_venue_free_collateral(&t->venue);
	cap = trd_affordable_qty(&t->pf, ins, free, price, t->venue.fee_bps,
				 t->ins[ins].lot, INT64_MAX);
	if (z->method == TRD_SIZE_FIXED) {
		q = z->qty - (z->qty > 0 ? z->qty % t->ins[ins].lot : 0);
		return q <= 0 ? 0 : q < cap ? q : cap;
	}
	if (z->method == TRD_SIZE_VOL_TARGET && z->vol_n >= 2 &&
	    z->vol_n <= 100000) {
		char name[32], err[8];
		const double *v;
		snprintf(name, sizeof(name), "vol(%u)", z->vol_n);
		v = trd_fset_add(t->ins[ins].fs, name, err, sizeof(err));
		vol = v ? *v : NAN;
	}
	st = (struct trd_size_stats){ s->nwins, s->nlosses, s->sum_win,
				      s->sum_loss };
	if ((f = trd_size_fraction(z, &st, vol)) <= 0)
		return 0;
	equity = trd_portfolio_equity(&t->pf);
	if (equity <= 0)
		return 0;
	/* A sizing decision, not accounting: a double is exact enough, and
	 * the venue's rounding applies from here on. */
	money = (int64_t)((double)equity * f);
	q = trd_affordable_qty(&t->pf, ins, money, price, t->venue.fee_bps,
			       t->ins[ins].lot, INT64_MAX);
	return q < cap ? q : cap;
}

static void
host_halt(struct trd_strategy *s, const char *reason)
{
	char why[TRD_RISK_REASON_MAX];

	snprintf(why, sizeof(why), "strategy %s: %s", s->name,
		 reason && *reason ? reason : "halted");
	trd_trading_halt(s->trading, why);
}

static int
host_halted(struct trd_strategy *s)
{
	return s->trading->risk.halted;
}

const struct trd_host_api trd_host_api = {
	.size = sizeof(struct trd_host_api),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.now = host_now,
	.submit = host_submit,
	.cancel = host_cancel,
	.position = host_position,
	.account = host_account,
	.open_orders = host_open_orders,
	.timer_start = host_timer_start,
	.timer_stop = host_timer_stop,
	.log = host_log,
	.set_state = host_set_state,
	.state = host_state,
	.instrument = host_instrument,
	.name = host_name,
	.max_buy_qty = host_max_buy_qty,
	.feature = host_feature,
	.bar_at = host_bar_at,
	.amend = host_amend,
	.submit_oco = host_submit_oco,
	.submit_bracket = host_submit_bracket,
	.size_qty = host_size_qty,
	.halt = host_halt,
	.halted = host_halted,
};

int
trd_plugin_load(struct trd_strategy *s)
{
	const struct trd_plugin *p;
	trd_plugin_entry_fn entry;
	struct stat st;
	void *dl;

	if (stat(s->path, &st) == -1) {
		log_error("strategy %s: plugin %s: %s", s->name, s->path,
			  strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("strategy %s: plugin %s is not a regular file",
			  s->name, s->path);
		return -1;
	}
	if ((dl = dlopen(s->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_error("strategy %s: cannot load plugin %s: %s", s->name,
			  s->path, dlerror());
		return -1;
	}
	*(void **)&entry = dlsym(dl, TRD_PLUGIN_ENTRY);
	if (entry == NULL) {
		log_error("strategy %s: plugin %s has no entry point %s()",
			  s->name, s->path, TRD_PLUGIN_ENTRY);
		goto fail;
	}
	if ((p = entry(&trd_host_api)) == NULL) {
		log_error("strategy %s: plugin %s: %s() returned NULL",
			  s->name, s->path, TRD_PLUGIN_ENTRY);
		goto fail;
	}
	if (p->abi_major != TRD_PLUGIN_ABI_MAJOR) {
		log_error("strategy %s: plugin %s was built for plugin ABI "
			  "%u.%u; this traderd provides %d.%d (rebuild it)",
			  s->name, s->path, p->abi_major, p->abi_minor,
			  TRD_PLUGIN_ABI_MAJOR, TRD_PLUGIN_ABI_MINOR);
		goto fail;
	}
	if (p->size < offsetof(struct trd_plugin, fini) + sizeof(p->fini)) {
		log_error("strategy %s: plugin %s: descriptor of %u bytes is "
			  "smaller than ABI %d.0's", s->name, s->path, p->size,
			  TRD_PLUGIN_ABI_MAJOR);
		goto fail;
	}
	s->dl = dl;
	s->p = p;
	log_info("strategy %s: loaded %s (%s %s, ABI %u.%u)", s->name, s->path,
		 p->name ? p->name : "?", p->version ? p->version : "?",
		 p->abi_major, p->abi_minor);
	return 0;
fail:
	dlclose(dl);
	return -1;
}

int
trd_plugin_init(struct trd_strategy *s)
{
	struct trd_params params = { sizeof(params), s->nparams, s->params };
	char err[256] = "";

	if (s->p->init && s->p->init(s, &params, err, sizeof(err)) != 0) {
		err[sizeof(err) - 1] = '\0';
		log_error("strategy %s: init of %s failed: %s", s->name,
			  s->path, err[0] ? err : "(no reason given)");
		return -1;
	}
	s->initialised = 1;
	return 0;
}

void
trd_params_free(struct trd_param *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free((char *)p[i].key);
		free((char *)p[i].value);
	}
	free(p);
}

int
trd_params_dup(const struct trd_param_kv *kv, size_t n, struct trd_param **out)
{
	struct trd_param *p = calloc(n ? n : 1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		p[i].key = strdup(kv[i].key);
		p[i].value = strdup(kv[i].value);
		if (p[i].key == NULL || p[i].value == NULL) {
			trd_params_free(p, i + 1);
			return -ENOMEM;
		}
	}
	*out = p;
	return 0;
}

void
trd_plugin_unload(struct trd_strategy *s)
{
	for (int i = 0; i < TRD_STRATEGY_TIMERS; i++)
		if (s->timers[i].used)
			trd_timer_stop(&s->timers[i].t);
	if (s->initialised && s->p->fini)
		s->p->fini(s);
	s->initialised = 0;
	if (s->dl)
		dlclose(s->dl);
	s->dl = NULL;
	s->p = NULL;
	trd_params_free(s->params, s->nparams);
	s->params = NULL;
	s->nparams = 0;
}
