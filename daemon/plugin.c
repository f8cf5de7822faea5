/*
 * plugin: see plugin.h.  The host calls below are the only way a plugin
 * reaches the engine; each one checks what it is given.
 */
#include <dlfcn.h>
#include <errno.h>
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

static int
host_submit(struct trd_strategy *s, const struct trd_order_req *req,
	    uint64_t *id)
{
	struct trd_trading *t = s->trading;
	struct trd_order *o;
	int64_t now = host_now(s);
	size_t ins = 0;

	if (req == NULL || req->size < offsetof(struct trd_order_req, tag) ||
	    (req->side != TRD_SIDE_BUY && req->side != TRD_SIDE_SELL) ||
	    req->type < TRD_ORDER_MARKET || req->type > TRD_ORDER_STOP)
		return -EINVAL;
	/* Every answer to a submit (even a rejection) is an on_order
	 * callback, from which the plugin may submit again: bound it. */
	if (s->depth >= MAX_SUBMIT_DEPTH)
		return -EAGAIN;
	o = trd_oms_create(&t->oms, (uint32_t)s->idx, 0, (int)req->side,
			   (int)req->type, req->qty, req->price,
			   req->size >= sizeof(*req) ? req->tag : 0, now);
	if (o == NULL)
		return -ENOMEM;
	if (id)
		*id = o->id;
	s->depth++;
	if (strategy_ins(s, req->sym, &ins) != 0) {
		trd_oms_reject(&t->oms, o, TRD_REJ_UNKNOWN_SYMBOL, "symbol is not one of the "
			       "strategy's", now);
	} else {
		o->ins = (uint32_t)ins;
		trd_venue_submit(&t->venue, o, now);
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
