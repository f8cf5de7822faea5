/*
 * host: see host.h.  The host calls below are the only way a plugin
 * reaches the engine; each one checks what it is given, then asks the
 * session (session.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dataset.h"
#include "feature.h"
#include "host.h"
#include "log.h"
#include "margin.h"
#include "session_api.h"
#include "sizing.h"
#include "timefmt.h"

static int64_t
host_now(struct trd_strategy *s)
{
	return trd_session_now(s->session);
}

/* The instrument handle sym, if the strategy trades it, else
 * TRD_SESSION_NO_INSTR (the session rejects orders on it). */
static uint32_t
strategy_ins(const struct trd_strategy *s, uint32_t sym)
{
	return trd_host_trades(s, sym) ? sym : TRD_SESSION_NO_INSTR;
}

/* Copy a plugin's request into a full struct: fields past its size are
 * zero (GTC, no flags).  -EINVAL for a malformed one. */
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

static int
host_submit(struct trd_strategy *s, const struct trd_order_req *req,
	    uint64_t *id)
{
	struct trd_order_req rq;

	if (s->retiring)
		return -EPERM;

	if (read_req(req, &rq) != 0)
		return -EINVAL;
	/* Every answer to a submit (even a rejection) is an on_order
	 * callback, from which the plugin may submit again: bound it. */
	if (s->depth >= TRD_MAX_SUBMIT_DEPTH)
		return -EAGAIN;
	return trd_session_submit(s->session, s, &rq, strategy_ins(s, rq.sym),
				  id);
}

static int
host_submit_oco(struct trd_strategy *s, const struct trd_order_req *a,
		const struct trd_order_req *b, uint64_t ids[2])
{
	struct trd_order_req ra, rb;

	if (s->retiring)
		return -EPERM;

	if (read_req(a, &ra) != 0 || read_req(b, &rb) != 0)
		return -EINVAL;
	if (s->depth >= TRD_MAX_SUBMIT_DEPTH)
		return -EAGAIN;
	return trd_session_submit_oco(s->session, s, &ra,
				      strategy_ins(s, ra.sym), &rb,
				      strategy_ins(s, rb.sym), ids);
}

static int
host_submit_bracket(struct trd_strategy *s, const struct trd_bracket_req *b,
		    uint64_t ids[3])
{
	struct trd_order_req re;

	if (s->retiring)
		return -EPERM;

	if (b == NULL || b->size < sizeof(*b) || read_req(b->entry, &re) != 0)
		return -EINVAL;
	if (s->depth >= TRD_MAX_SUBMIT_DEPTH)
		return -EAGAIN;
	return trd_session_submit_bracket(s->session, s, &re,
					  strategy_ins(s, re.sym), b, ids);
}

static int
host_cancel(struct trd_strategy *s, uint64_t id)
{
	if (s->retiring)
		return -EPERM;
	return trd_session_cancel(s->session, s, id,
				  "canceled by the strategy");
}

static int
host_amend(struct trd_strategy *s, uint64_t id, int64_t qty, int64_t price)
{
	if (s->retiring)
		return -EPERM;
	return trd_session_amend(s->session, s, id, qty, price);
}

static int64_t
host_position(struct trd_strategy *s, uint32_t sym)
{
	if (!trd_host_trades(s, sym))
		return 0;
	return trd_portfolio_pos(trd_session_portfolio(s->session), s->idx,
				 sym)->qty;
}

static int
host_account(struct trd_strategy *s, struct trd_account_info *out)
{
	const struct trd_portfolio *pf = trd_session_portfolio(s->session);
	struct trd_account_info a = {
		.size = sizeof(a), .cash = pf->cash,
		.equity = trd_portfolio_equity(pf), .fees = pf->fees,
		.fee_bps = trd_session_fees(s->session)->fee_bps,
		.free_collateral = trd_margin_free_collateral(pf),
		.halted = trd_session_halted(s->session),
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
	return trd_session_open_orders(s->session, s, out, max);
}

static void
timer_cb(struct trd_timer *t, void *arg)
{
	struct trd_strategy_timer *st = arg;

	(void)t;
	if (st->s->p->on_timer && !st->s->paused)
		st->s->p->on_timer(st->s, st->id);
	trd_session_flush(st->s->session);
}

static int
host_timer_start(struct trd_strategy *s, int id, int64_t due_ns,
		 int64_t period_ns)
{
	struct trd_strategy_timer *free_slot = NULL;

	if (s->retiring)
		return -EPERM;
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
	trd_timer_init(&free_slot->t, trd_session_clock(s->session), timer_cb,
		       free_slot);
	return trd_timer_start(&free_slot->t, due_ns, period_ns);
}

static void
host_timer_stop(struct trd_strategy *s, int id)
{
	/* The new plugin keeps the timers the old one set. */
	if (s->retiring)
		return;
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
	if (s->retiring)
		return;
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

static const struct trd_instrument_info *
info_of(const struct trd_strategy *s, uint32_t sym)
{
	for (size_t i = 0; i < s->ninstr; i++)
		if (s->instr[i].sym == sym)
			return &s->instr[i];
	return NULL;
}

static int64_t
host_max_buy_qty(struct trd_strategy *s, uint32_t sym, int64_t price,
		 int64_t money)
{
	const struct trd_instrument_info *in = info_of(s, sym);
	const struct trd_fee_model *fm = trd_session_fees(s->session);

	if (in == NULL || price <= 0)
		return 0;
	/* A market buy is checked, and fills, at the slipped price: size
	 * at it too, or an all-in order is refused whenever slippage > 0. */
	price = trd_margin_slipped(fm->slip_bps, in->tick_size, TRD_SIDE_BUY,
				   price);
	return trd_margin_affordable(trd_session_portfolio(s->session), sym,
				     money, price, fm->fee_bps, in->lot_size,
				     INT64_MAX);
}

static const double *
host_feature(struct trd_strategy *s, uint32_t sym, const char *name,
	     char *err, size_t errlen)
{
	char tmp[1];

	if (err == NULL || errlen == 0) {
		err = tmp;
		errlen = sizeof(tmp);
	}
	if (!trd_host_trades(s, sym)) {
		snprintf(err, errlen, "instrument %u is not one of strategy "
			 "%s's symbols", sym, s->name);
		return NULL;
	}
	if (name == NULL) {
		snprintf(err, errlen, "no feature name");
		return NULL;
	}
	return trd_fset_add(trd_session_fset(s->session, sym), name, err,
			    errlen);
}

static int
host_bar_at(struct trd_strategy *s, uint32_t sym, size_t k,
	    struct trd_bar *out)
{
	if (out == NULL || !trd_host_trades(s, sym))
		return -ENOENT;
	return trd_fset_bar_at(trd_session_fset(s->session, sym), k, out);
}

static int64_t
host_size_qty(struct trd_strategy *s, const struct trd_sizing *z)
{
	const struct trd_portfolio *pf = trd_session_portfolio(s->session);
	const struct trd_fee_model *fm = trd_session_fees(s->session);
	const struct trd_instrument_info *in;
	int64_t price, equity, free, money, q, cap, lot;
	struct trd_size_stats st;
	double f, vol = NAN;

	if (z == NULL || z->size < sizeof(*z) ||
	    (in = info_of(s, z->sym)) == NULL)
		return 0;
	lot = in->lot_size;
	price = z->price > 0 ? z->price : pf->ins[z->sym].last;
	if (price <= 0 || z->price < 0)
		return 0;
	/* As a market order is checked and fills: at the slipped price. */
	price = trd_margin_slipped(fm->slip_bps, in->tick_size, TRD_SIDE_BUY,
				   price);
	free = trd_margin_free_collateral(pf);
	cap = trd_margin_affordable(pf, z->sym, free, price, fm->fee_bps, lot,
				    INT64_MAX);
	if (z->method == TRD_SIZE_FIXED) {
		q = z->qty - (z->qty > 0 ? z->qty % lot : 0);
		return q <= 0 ? 0 : q < cap ? q : cap;
	}
	if (z->method == TRD_SIZE_VOL_TARGET && z->vol_n >= 2 &&
	    z->vol_n <= 100000) {
		char name[32], err[8];
		const double *v;
		snprintf(name, sizeof(name), "vol(%u)", z->vol_n);
		v = trd_fset_add(trd_session_fset(s->session, z->sym), name,
				 err, sizeof(err));
		vol = v ? *v : NAN;
	}
	st = (struct trd_size_stats){ s->nwins, s->nlosses, s->sum_win,
				      s->sum_loss };
	if ((f = trd_size_fraction(z, &st, vol)) <= 0)
		return 0;
	equity = trd_portfolio_equity(pf);
	if (equity <= 0)
		return 0;
	/* A sizing decision, not accounting: a double is exact enough, and
	 * the venue's rounding applies from here on. */
	money = (int64_t)((double)equity * f);
	q = trd_margin_affordable(pf, z->sym, money, price, fm->fee_bps, lot,
				  INT64_MAX);
	return q < cap ? q : cap;
}

static void
host_halt(struct trd_strategy *s, const char *reason)
{
	char why[160];

	if (s->retiring)
		return;
	snprintf(why, sizeof(why), "strategy %s: %s", s->name,
		 reason && *reason ? reason : "halted");
	trd_session_halt(s->session, why);
}

static int
host_halted(struct trd_strategy *s)
{
	return trd_session_halted(s->session);
}

/* ---- 2.2: models and recorded figures ---- */

static void
model_free(struct trd_strategy_model *sm)
{
	trd_model_free(&sm->m);
	free(sm->v);
	free(sm->fnames);
	free(sm->ring);
	free(sm->cnt);
	memset(sm, 0, sizeof(*sm));
}

static int
host_model_load(struct trd_strategy *s, uint32_t sym, const char *path,
		char *err, size_t errlen)
{
	struct trd_strategy_model *sm;
	struct trd_label lab;
	char tmp[1], e2[256], *buf, full[4096];
	const char *file;
	size_t len, slot;
	int rc;

	if (err == NULL || errlen == 0) {
		err = tmp;
		errlen = sizeof(tmp);
	}
	if (s->retiring)
		return -1;
	if (!trd_host_trades(s, sym)) {
		snprintf(err, errlen, "instrument %u is not one of strategy "
			 "%s's symbols", sym, s->name);
		return -1;
	}
	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "no model file");
		return -1;
	}
	for (slot = 0; slot < s->nmodels; slot++)
		if (s->models[slot].m.nfeat == 0)
			break;
	if (slot == TRD_STRATEGY_MODELS) {
		snprintf(err, errlen, "at most %d models per strategy",
			 TRD_STRATEGY_MODELS);
		return -1;
	}
	sm = &s->models[slot];
	/* A relative path is the config file's directory's, as every path
	 * in the config. */
	file = path;
	if (path[0] != '/') {
		const char *cp = trd_session_conf_path(s->session), *sl;
		sl = cp ? strrchr(cp, '/') : NULL;
		if (sl && (size_t)snprintf(full, sizeof(full), "%.*s/%s",
					   (int)(sl - cp), cp, path) <
				  sizeof(full))
			file = full;
	}
	if ((rc = trd_file_read(file, 64 << 20, &buf, &len)) != 0) {
		snprintf(err, errlen, "model %s: %s", path, strerror(-rc));
		return -1;
	}
	rc = trd_model_parse(buf, len, &sm->m, e2, sizeof(e2));
	if (rc == 0)
		trd_sha256_hex(buf, len, sm->sha256);
	free(buf);
	if (rc != 0) {
		snprintf(err, errlen, "model %s: %s", path, e2);
		return -1;
	}
	if (sm->m.tf_s != trd_session_tf(s->session)) {
		char a[16], b[16];
		snprintf(err, errlen, "model %s was trained on %s bars; this "
			 "session runs %s bars", path,
			 trd_timeframe_format(sm->m.tf_s, a),
			 trd_timeframe_format(trd_session_tf(s->session), b));
		goto fail;
	}
	if (trd_label_parse(sm->m.label, &lab, e2, sizeof(e2)) != 0) {
		snprintf(err, errlen, "model %s: %s", path, e2);
		goto fail;
	}
	sm->horizon = lab.h;
	sm->sym = sym;
	sm->v = calloc(sm->m.nfeat, sizeof(*sm->v));
	sm->fnames = calloc(sm->m.nfeat, sizeof(*sm->fnames));
	sm->ring = calloc((size_t)TRD_DRIFT_WINDOW * (sm->m.nfeat + 1), 1);
	sm->cnt = calloc(sm->m.nfeat + 1, sizeof(*sm->cnt));
	if (sm->v == NULL || sm->fnames == NULL || sm->ring == NULL ||
	    sm->cnt == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < sm->m.nfeat; i++) {
		sm->fnames[i] = sm->m.names[i];
		sm->v[i] = trd_fset_add(trd_session_fset(s->session, sym),
					sm->m.names[i], e2, sizeof(e2));
		if (sm->v[i] == NULL) {
			snprintf(err, errlen, "model %s: %s", path, e2);
			goto fail;
		}
	}
	if (slot == s->nmodels)
		s->nmodels++;
	return (int)slot;
fail:
	model_free(sm);
	return -1;
}

static void
host_model_unload(struct trd_strategy *s, int h)
{
	if (h >= 0 && (size_t)h < s->nmodels)
		model_free(&s->models[h]);
}

/* One prediction into the drift window: each value's decile bin. */
void
trd_host_drift_add(struct trd_strategy_model *sm, double score)
{
	uint32_t nf = sm->m.nfeat, w = nf + 1;
	uint8_t *slot = sm->ring + (size_t)sm->next * w;

	if (sm->filled == TRD_DRIFT_WINDOW)
		for (uint32_t i = 0; i < w; i++)
			sm->cnt[i][slot[i]]--;
	else
		sm->filled++;
	for (uint32_t i = 0; i < w; i++) {
		double v = i < nf ? *sm->v[i] : score;
		slot[i] = (uint8_t)trd_model_bin(sm->m.q[i], v);
		sm->cnt[i][slot[i]]++;
	}
	if (++sm->next == TRD_DRIFT_WINDOW)
		sm->next = 0;
}

double
trd_host_model_psi(const struct trd_strategy_model *sm, uint32_t i)
{
	if (sm->m.nfeat == 0 || i > sm->m.nfeat ||
	    sm->filled < TRD_DRIFT_WINDOW)
		return NAN;
	return trd_psi(sm->cnt[i], sm->filled, sm->m.qe[i]);
}

static double
host_model_predict(struct trd_strategy *s, int h)
{
	struct trd_strategy_model *sm;
	double sc;

	if (h < 0 || (size_t)h >= s->nmodels || s->models[h].m.nfeat == 0)
		return NAN;
	sm = &s->models[h];
	sc = trd_model_score_ptr(&sm->m, sm->v);
	/* A feature not warmed up is NaN, and so is the score. */
	if (isnan(sc))
		return NAN;
	trd_host_drift_add(sm, sc);
	return sm->m.prob ? trd_sigmoid(sc) : sc;
}

static double
host_model_psi(struct trd_strategy *s, int h, int i)
{
	if (h < 0 || (size_t)h >= s->nmodels || i < -1)
		return NAN;
	return trd_host_model_psi(&s->models[h],
				  i < 0 ? s->models[h].m.nfeat : (uint32_t)i);
}

static int
host_model_info(struct trd_strategy *s, int h, struct trd_model_info *out)
{
	struct trd_model_info i;
	const struct trd_strategy_model *sm;

	if (h < 0 || (size_t)h >= s->nmodels || out == NULL ||
	    s->models[h].m.nfeat == 0)
		return -ENOENT;
	sm = &s->models[h];
	i = (struct trd_model_info){
		.size = sizeof(i), .nfeat = sm->m.nfeat, .prob = sm->m.prob,
		.horizon = sm->horizon, .label = sm->m.label,
		.sha256 = sm->sha256, .features = sm->fnames };
	memcpy(out, &i, out->size < sizeof(i) ? out->size : sizeof(i));
	out->size = out->size < sizeof(i) ? out->size : sizeof(i);
	return 0;
}

static int
host_record(struct trd_strategy *s, const char *name, double value)
{
	size_t n, i;

	if (name == NULL || (n = strlen(name)) == 0 || n > 47 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return -EINVAL;
	if (s->retiring)
		return 0;
	for (i = 0; i < s->nrec; i++)
		if (strcmp(s->rec[i].name, name) == 0)
			break;
	if (i == s->nrec) {
		if (s->nrec == TRD_STRATEGY_RECORDED)
			return -ENOSPC;
		memcpy(s->rec[i].name, name, n + 1);
		s->nrec++;
	}
	s->rec[i].v = value;
	return 0;
}

const struct trd_host_api trd_host_calls = {
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
	.model_load = host_model_load,
	.model_predict = host_model_predict,
	.model_info = host_model_info,
	.record = host_record,
	.model_unload = host_model_unload,
	.model_psi = host_model_psi,
};

/* The identity of the file at path, to tell when it was replaced. */
static int
file_id(const char *path, struct trd_plugin_file *f)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	*f = (struct trd_plugin_file){
		.dev = (uint64_t)st.st_dev, .ino = (uint64_t)st.st_ino,
		.size = (int64_t)st.st_size,
		.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			    st.st_mtim.tv_nsec,
	};
	return S_ISREG(st.st_mode) ? 0 : 1;
}

/*
 * dlopen open_path (s->path, or a copy of it) and check its descriptor.
 * 0 with *dlp and *pp, or -1 logged (nothing stays loaded).
 */
static int
open_plugin(struct trd_strategy *s, const char *open_path, void **dlp,
	    const struct trd_plugin **pp)
{
	const struct trd_plugin *p;
	trd_plugin_entry_fn entry;
	void *dl;

	if ((dl = dlopen(open_path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
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
	if ((p = entry(&trd_host_calls)) == NULL) {
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
	*dlp = dl;
	*pp = p;
	return 0;
fail:
	dlclose(dl);
	return -1;
}

int
trd_host_load(struct trd_strategy *s)
{
	const struct trd_plugin *p;
	void *dl;
	int rc;

	if ((rc = file_id(s->path, &s->file)) != 0) {
		if (rc < 0)
			log_error("strategy %s: plugin %s: %s", s->name,
				  s->path, strerror(errno));
		else
			log_error("strategy %s: plugin %s is not a regular "
				  "file", s->name, s->path);
		return -1;
	}
	if (open_plugin(s, s->path, &dl, &p) != 0)
		return -1;
	s->dl = dl;
	s->p = p;
	s->memfd = -1;
	log_info("strategy %s: loaded %s (%s %s, ABI %u.%u)", s->name, s->path,
		 p->name ? p->name : "?", p->version ? p->version : "?",
		 p->abi_major, p->abi_minor);
	return 0;
}

int
trd_host_changed(const struct trd_strategy *s)
{
	struct trd_plugin_file f;

	if (file_id(s->path, &f) != 0)
		return 0; /* gone or odd: the running code stays */
	return f.dev != s->file.dev || f.ino != s->file.ino ||
	       f.size != s->file.size || f.mtime_ns != s->file.mtime_ns;
}

/* Whether p's descriptor has the hand-over calls (ABI 2.1). */
static int
can_hand_over(const struct trd_plugin *p)
{
	return p->size >= offsetof(struct trd_plugin, restore_state) +
				  sizeof(p->restore_state) &&
	       p->save_state != NULL && p->restore_state != NULL;
}

/* A private copy of s->path in memory: dlopen of the same path would give
 * back the loaded object, not the new file.  The fd stays open while the
 * copy is loaded; its /proc/self/fd name is unique meanwhile. */
static int
copy_plugin(struct trd_strategy *s, char *name, size_t len)
{
	char buf[65536];
	int in, fd;
	ssize_t n;

	if ((in = open(s->path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_error("strategy %s: plugin %s: %s", s->name, s->path,
			  strerror(errno));
		return -1;
	}
	if ((fd = memfd_create("traderd-plugin", MFD_CLOEXEC)) == -1) {
		log_error("strategy %s: memfd_create: %s", s->name,
			  strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	if (n < 0) {
		log_error("strategy %s: copying plugin %s: %s", s->name,
			  s->path, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(name, len, "/proc/self/fd/%d", fd);
	return fd;
}

int
trd_host_swap(struct trd_strategy *s, const struct trd_param *params,
	      size_t nparams)
{
	struct trd_params pr = { sizeof(pr), nparams, params };
	const struct trd_plugin *np, *op = s->p;
	struct trd_plugin_file nf;
	void *ndl, *odl = s->dl, *old_state = s->state, *new_state, *blob;
	char name[64], err[256] = "";
	size_t need;
	int fd, rc;

	if (file_id(s->path, &nf) != 0)
		return -1;
	if ((fd = copy_plugin(s, name, sizeof(name))) < 0)
		return -1;
	if (open_plugin(s, name, &ndl, &np) != 0) {
		close(fd);
		return -1;
	}
	if (!can_hand_over(op) || !can_hand_over(np)) {
		log_error("strategy %s: %s changed but %s plugin has no "
			  "save_state/restore_state (ABI 2.1): it cannot take "
			  "over the running state; keeping the running one "
			  "(restart traderd to change it)", s->name, s->path,
			  can_hand_over(op) ? "the new" : "the running");
		dlclose(ndl);
		close(fd);
		return -1;
	}
	/* The state, serialised by the running code. */
	need = op->save_state(s, NULL, 0);
	if ((blob = malloc(need ? need : 1)) == NULL ||
	    op->save_state(s, blob, need) != need) {
		log_error("strategy %s: save_state failed; keeping the running "
			  "plugin", s->name);
		free(blob);
		dlclose(ndl);
		close(fd);
		return -1;
	}
	/* The new code builds its own state from it. */
	s->p = np;
	s->state = NULL;
	rc = np->restore_state(s, &pr, blob, need, err, sizeof(err));
	free(blob);
	new_state = s->state;
	if (rc != 0) {
		err[sizeof(err) - 1] = '\0';
		log_error("strategy %s: the new %s refused the running state: "
			  "%s; keeping the running plugin", s->name, s->path,
			  err[0] ? err : "(no reason given)");
		if (new_state && np->fini) {
			s->retiring = 1;
			np->fini(s);
			s->retiring = 0;
		}
		s->p = op;
		s->state = old_state;
		dlclose(ndl);
		close(fd);
		return -1;
	}
	/* It has taken over: the old code frees its state and goes. */
	s->p = op;
	s->state = old_state;
	s->retiring = 1;
	if (op->fini)
		op->fini(s);
	s->retiring = 0;
	s->p = np;
	s->state = new_state;
	dlclose(odl);
	if (s->memfd >= 0)
		close(s->memfd);
	s->dl = ndl;
	s->memfd = fd;
	s->file = nf;
	log_info("strategy %s: hot-swapped to the new %s (%s %s), state "
		 "handed over (%zu bytes)", s->name, s->path,
		 np->name ? np->name : "?", np->version ? np->version : "?",
		 need);
	return 0;
}

int
trd_host_init(struct trd_strategy *s)
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
trd_host_unload(struct trd_strategy *s)
{
	for (int i = 0; i < TRD_STRATEGY_TIMERS; i++)
		if (s->timers[i].used)
			trd_timer_stop(&s->timers[i].t);
	if (s->initialised && s->p->fini)
		s->p->fini(s);
	s->initialised = 0;
	if (s->dl)
		dlclose(s->dl);
	if (s->dl && s->memfd >= 0)
		close(s->memfd);
	s->memfd = -1;
	s->dl = NULL;
	s->p = NULL;
	trd_params_free(s->params, s->nparams);
	s->params = NULL;
	s->nparams = 0;
	for (size_t i = 0; i < s->nmodels; i++)
		model_free(&s->models[i]);
	s->nmodels = 0;
}
