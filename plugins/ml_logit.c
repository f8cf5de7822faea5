/*
 * ml_logit: trades a trained model's probability that the label is 1
 * (up), from `traderctl train`.  On each bar of a symbol, with p = P(up)
 * from the model over the engine's current feature values (NaN until
 * every feature has warmed up: nothing happens then):
 *
 *   flat    p >= enter              buy (long entry)
 *           p <= 1 - enter          sell short, when `short` is true and
 *                                   the venue lets the symbol go short
 *   long    p < exit                sell the whole position
 *   short   p > 1 - exit            buy the whole position back
 *
 * and with trend_filter: regime, no long entry while the engine's
 * regime(trend_n,trend_m).trend is -1 and no short entry while it is +1.
 * Every order is a market order (it fills at the next bar's open), at
 * most one working per symbol.
 *
 * A shadow model (param shadow) runs beside the trading one on the same
 * rules without orders: for both, the decisions and a hypothetical
 * equity (fully invested at the next bar's open, fee_bps per side) are
 * recorded through host->record into the report and the metrics:
 * model_hyp_return, shadow_hyp_return, shadow_agreement (share of bars
 * whose decided position was the same), model_p and shadow_p (the last
 * probabilities), model_changes and shadow_changes (position changes).
 * Promoting the shadow is a reload with model set to its file (and
 * shadow to the next candidate, or none): the files are loaded anew.
 *
 * Params:
 *   model            the model file (required)
 *   shadow           a second model file, or none
 *   enter            P(up) to enter long, in (0.5, 1); default 0.55
 *   exit             P(up) under which a long exits, in (0, enter];
 *                    default 0.5
 *   short            false (default) or true
 *   trend_filter     none (default) or regime; trend_n (14), trend_m (500)
 *   sizing           kelly (default): the host's half-Kelly from this
 *                    strategy's closed trades, capped at kelly_cap (0.5),
 *                    equity x fraction until kelly_min_trades (20) trades;
 *                    fraction: equity x fraction (default 0.5)
 *   features         the features the model must have been trained on,
 *                    in canonical form, separated by ';' or by ',' as
 *                    traderctl dataset --features takes them (default:
 *                    any)
 *   fee_bps          for the hypothetical equity (default 10)
 *   log_predictions  true: log every prediction ("p T P", T the bar's
 *                    close in Unix seconds) at info
 *   drift_psi        a PSI (e.g. 0.25): every 60 bars the model's worst
 *                    PSI (its features and score over the last 1440
 *                    predictions against the training rows) is recorded
 *                    as drift_psi_max; past the threshold a warning is
 *                    logged when it crosses, and with drift_action: flat
 *                    the strategy exits and enters nothing until it is
 *                    back under (default 0: not checked)
 *   drift_action     log (default) or flat
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traderd/plugin.h"

struct hyp {
	int    pos, want;  /* -1, 0, 1: held, decided at the last close */
	double eq;         /* hypothetical equity, 1 at the start */
	double last;       /* last close, price units */
	long   changes;
};

struct sym_state {
	struct trd_instrument_info info;
	double        scale;
	int           shortable;
	int           model, shadow; /* handles; shadow -1: none */
	const double *trend;
	uint64_t      pending;
	struct hyp    hm, hs;
	long          nbar;
	int           drifting;
};

struct conf {
	const char *model, *shadow, *features;
	double      enter, exit, fraction, kelly_cap, fee;
	int         allow_short, trend_filter, trend_n, trend_m, kelly;
	int         log_p;
	uint32_t    kelly_min;
	double      drift_psi;
	int         drift_flat;
};

struct state {
	struct conf       c;
	size_t            nsym;
	struct sym_state *sym;
	long              bars, agree;
};

static const struct trd_host_api *host;

static int
parse_prob(const char *v, double lo, double hi, double *out)
{
	char *e;

	if (v == NULL)
		return 0;
	*out = strtod(v, &e);
	return e != v && *e == '\0' && *out > lo && *out < hi ? 0 : -1;
}

static int
configure(struct conf *c, const struct trd_params *p, char *err,
	  size_t errlen)
{
	static const char *known[] = { "model", "shadow", "enter", "exit",
				       "short", "trend_filter", "trend_n",
				       "trend_m", "sizing", "fraction",
				       "kelly_cap", "kelly_min_trades",
				       "features", "fee_bps",
				       "log_predictions", "drift_psi",
				       "drift_action" };
	const size_t nknown = sizeof(known) / sizeof(known[0]);
	const char *v;

	for (size_t i = 0; i < p->n; i++) {
		size_t k = 0;
		while (k < nknown && strcmp(p->items[i].key, known[k]) != 0)
			k++;
		if (k == nknown) {
			snprintf(err, errlen, "unknown param '%s' (known: "
				 "model, shadow, enter, exit, short, "
				 "trend_filter, trend_n, trend_m, sizing, "
				 "fraction, kelly_cap, kelly_min_trades, "
				 "features, fee_bps, log_predictions, "
				 "drift_psi, drift_action)",
				 p->items[i].key);
			return -1;
		}
	}
	*c = (struct conf){ .enter = 0.55, .exit = 0.5, .fraction = 0.5,
			    .kelly_cap = 0.5, .kelly_min = 20, .kelly = 1,
			    .trend_n = 14, .trend_m = 500, .fee = 0.001 };
	if ((c->model = trd_param_get(p, "model")) == NULL ||
	    *c->model == '\0') {
		snprintf(err, errlen, "model (a file from traderctl train) is "
			 "required");
		return -1;
	}
	c->shadow = trd_param_get(p, "shadow");
	if (c->shadow && strcmp(c->shadow, "none") == 0)
		c->shadow = NULL;
	c->features = trd_param_get(p, "features");
	if (parse_prob(trd_param_get(p, "enter"), 0.5, 1, &c->enter) != 0) {
		snprintf(err, errlen, "enter must be a probability in "
			 "(0.5, 1)");
		return -1;
	}
	if (parse_prob(trd_param_get(p, "exit"), 0, 1, &c->exit) != 0 ||
	    c->exit > c->enter) {
		snprintf(err, errlen, "exit must be a probability in (0, "
			 "enter]");
		return -1;
	}
	if ((v = trd_param_get(p, "short")) != NULL) {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			snprintf(err, errlen, "short must be true or false");
			return -1;
		}
		c->allow_short = strcmp(v, "true") == 0;
	}
	if ((v = trd_param_get(p, "log_predictions")) != NULL) {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			snprintf(err, errlen, "log_predictions must be true or "
				 "false");
			return -1;
		}
		c->log_p = strcmp(v, "true") == 0;
	}
	if ((v = trd_param_get(p, "trend_filter")) != NULL) {
		if (strcmp(v, "regime") == 0) {
			c->trend_filter = 1;
		} else if (strcmp(v, "none") != 0) {
			snprintf(err, errlen, "trend_filter must be none or "
				 "regime, not '%s'", v);
			return -1;
		}
	}
	if ((v = trd_param_get(p, "trend_n")) != NULL &&
	    (c->trend_n = (int)trd_param_int(v, 2, 100000)) < 0) {
		snprintf(err, errlen, "trend_n must be an integer in 2..100000");
		return -1;
	}
	if ((v = trd_param_get(p, "trend_m")) != NULL &&
	    (c->trend_m = (int)trd_param_int(v, 1, 100000)) < 0) {
		snprintf(err, errlen, "trend_m must be an integer in 1..100000");
		return -1;
	}
	if ((v = trd_param_get(p, "sizing")) != NULL) {
		if (strcmp(v, "fraction") == 0) {
			c->kelly = 0;
		} else if (strcmp(v, "kelly") != 0) {
			snprintf(err, errlen, "sizing must be kelly or "
				 "fraction, not '%s'", v);
			return -1;
		}
	}
	if (parse_prob(trd_param_get(p, "fraction"), 0, 1.0000001,
		       &c->fraction) != 0) {
		snprintf(err, errlen, "fraction must be in (0, 1]");
		return -1;
	}
	if (parse_prob(trd_param_get(p, "kelly_cap"), 0, 1.0000001,
		       &c->kelly_cap) != 0) {
		snprintf(err, errlen, "kelly_cap must be in (0, 1]");
		return -1;
	}
	if ((v = trd_param_get(p, "kelly_min_trades")) != NULL) {
		int64_t n = trd_param_int(v, 0, 1000000);
		if (n < 0) {
			snprintf(err, errlen, "kelly_min_trades must be an "
				 "integer in 0..1000000");
			return -1;
		}
		c->kelly_min = (uint32_t)n;
	}
	if ((v = trd_param_get(p, "drift_psi")) != NULL) {
		char *e;
		c->drift_psi = strtod(v, &e);
		if (e == v || *e || !(c->drift_psi > 0) || c->drift_psi > 100) {
			snprintf(err, errlen, "drift_psi must be a number in "
				 "(0, 100], not '%s'", v);
			return -1;
		}
	}
	if ((v = trd_param_get(p, "drift_action")) != NULL) {
		if (strcmp(v, "flat") == 0) {
			c->drift_flat = 1;
		} else if (strcmp(v, "log") != 0) {
			snprintf(err, errlen, "drift_action must be log or flat, "
				 "not '%s'", v);
			return -1;
		}
	}
	if ((v = trd_param_get(p, "fee_bps")) != NULL) {
		int64_t n = trd_param_int(v, 0, 10000);
		if (n < 0) {
			snprintf(err, errlen, "fee_bps must be an integer in "
				 "0..10000");
			return -1;
		}
		c->fee = (double)n / 10000;
	}
	return 0;
}

/* The next name of a features list at p: its length, up to a ';' or a
 * ',' outside parentheses (bb(20,2).pctb keeps its comma), blanks around
 * it skipped; *next is past the separator.  0 at the end. */
static size_t
next_feature(const char **p, const char **next)
{
	const char *s = *p, *e;
	int depth = 0;

	while (*s == ' ')
		s++;
	for (e = s; *e && *e != ';' && (*e != ',' || depth > 0); e++)
		depth += (*e == '(') - (*e == ')');
	*p = s;
	*next = *e ? e + 1 : e;
	while (e > s && e[-1] == ' ')
		e--;
	return (size_t)(e - s);
}

/* The model's features against the `features` param. */
static int
check_features(const struct conf *c, const struct trd_model_info *mi,
	       const char *path, char *err, size_t errlen)
{
	size_t want = 0, n;
	const char *p, *next;

	if (c->features == NULL)
		return 0;
	for (p = c->features; *p; p = next)
		if (next_feature(&p, &next) > 0)
			want++;
	for (uint32_t i = 0; i < mi->nfeat; i++) {
		const char *f = mi->features[i];
		size_t nl = strlen(f);
		int found = 0;

		for (p = c->features; *p; p = next) {
			n = next_feature(&p, &next);
			if (n == nl && memcmp(p, f, n) == 0)
				found = 1;
		}
		if (!found) {
			snprintf(err, errlen, "model %s uses feature %s, which "
				 "is not among the strategy's features (%s)",
				 path, f, c->features);
			return -1;
		}
	}
	if (want != mi->nfeat) {
		snprintf(err, errlen, "model %s has %u features; the strategy "
			 "expects %zu (%s)", path, mi->nfeat, want,
			 c->features);
		return -1;
	}
	return 0;
}

static int
load(struct trd_strategy *s, const struct conf *c, struct sym_state *ss,
     const char *path, int *h, char *err, size_t errlen)
{
	struct trd_model_info mi = { .size = sizeof(mi) };

	if ((*h = host->model_load(s, ss->info.sym, path, err, errlen)) < 0)
		return -1;
	host->model_info(s, *h, &mi);
	if (!mi.prob) {
		snprintf(err, errlen, "model %s gives no probabilities (an "
			 "SVM solver); ml_logit needs lr_l2, lr_l1 or "
			 "lr_l2_dual", path);
		return -1;
	}
	return check_features(c, &mi, path, err, errlen);
}

static int
ml_init(struct trd_strategy *s, const struct trd_params *p, char *err,
	size_t errlen)
{
	struct state *st;

	if (host->size < offsetof(struct trd_host_api, model_psi) +
				 sizeof(host->model_psi) ||
	    host->model_load == NULL) {
		snprintf(err, errlen, "needs a traderd with plugin ABI 2.2 "
			 "(models); this one has %u.%u", host->abi_major,
			 host->abi_minor);
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (configure(&st->c, p, err, errlen) != 0)
		goto fail;
	while (host->instrument(s, st->nsym) != NULL)
		st->nsym++;
	if ((st->sym = calloc(st->nsym ? st->nsym : 1, sizeof(*st->sym))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < st->nsym; i++) {
		const struct trd_instrument_info *in = host->instrument(s, i);
		struct sym_state *ss = &st->sym[i];
		char name[64];

		memcpy(&ss->info, in, in->size < sizeof(ss->info)
					      ? in->size : sizeof(ss->info));
		ss->shortable = in->shortable;
		ss->scale = 1;
		for (int k = 0; k < in->price_dp; k++)
			ss->scale *= 10;
		ss->shadow = -1;
		ss->hm.eq = ss->hs.eq = 1;
		if (load(s, &st->c, ss, st->c.model, &ss->model, err,
			 errlen) != 0)
			goto fail;
		if (st->c.shadow &&
		    load(s, &st->c, ss, st->c.shadow, &ss->shadow, err,
			 errlen) != 0)
			goto fail;
		if (st->c.trend_filter) {
			snprintf(name, sizeof(name), "regime(%d,%d).trend",
				 st->c.trend_n, st->c.trend_m);
			if ((ss->trend = host->feature(s, in->sym, name, err,
						       errlen)) == NULL)
				goto fail;
		}
	}
	/* The texts belong to the params, valid during init only. */
	st->c.model = st->c.shadow = st->c.features = NULL;
	host->set_state(s, st);
	return 0;
fail:
	free(st->sym);
	free(st);
	return -1;
}

/* The position the rules want at p, from pos. */
static int
decide(const struct conf *c, const struct sym_state *ss, int pos, double p)
{
	double tr = ss->trend ? *ss->trend : 0;

	if (pos > 0)
		return p < c->exit ? 0 : 1;
	if (pos < 0)
		return p > 1 - c->exit ? 0 : -1;
	if (p >= c->enter && !(tr < 0))
		return 1;
	if (p <= 1 - c->enter && c->allow_short && ss->shortable && !(tr > 0))
		return -1;
	return 0;
}

/* A bar for a hypothetical book: the position decided at the last close
 * is taken at this bar's open, then marked at its close. */
static void
hyp_bar(struct hyp *h, double open, double close, double fee)
{
	if (h->want != h->pos) {
		if (h->last > 0)
			h->eq *= 1 + h->pos * (open - h->last) / h->last;
		h->eq *= 1 - fee * abs(h->want - h->pos);
		h->pos = h->want;
		h->changes++;
		if (open > 0)
			h->eq *= 1 + h->pos * (close - open) / open;
	} else if (h->last > 0) {
		h->eq *= 1 + h->pos * (close - h->last) / h->last;
	}
	h->last = close;
}

static int64_t
entry_qty(struct trd_strategy *s, const struct state *st,
	  const struct sym_state *ss, int64_t price)
{
	struct trd_sizing z = {
		.size = sizeof(z), .sym = ss->info.sym,
		.method = st->c.kelly ? TRD_SIZE_KELLY : TRD_SIZE_FRACTION,
		.price = price, .fraction = st->c.fraction,
		.kelly_cap = st->c.kelly_cap,
		.kelly_min_trades = st->c.kelly_min,
	};
	return host->size_qty(s, &z);
}

static void
submit(struct trd_strategy *s, struct sym_state *ss, int side, int64_t qty)
{
	struct trd_order_req r = { .size = sizeof(r), .sym = ss->info.sym,
				   .side = (uint32_t)side,
				   .type = TRD_ORDER_MARKET, .qty = qty };

	if (qty > 0 && host->submit(s, &r, &ss->pending) != 0)
		ss->pending = 0;
}

/* The worst PSI of the trading model, against the threshold. */
static void
check_drift(struct trd_strategy *s, const struct state *st,
	    struct sym_state *ss)
{
	struct trd_model_info mi = { .size = sizeof(mi) };
	double worst = NAN;
	int wi = -2;

	host->model_info(s, ss->model, &mi);
	for (int i = -1; i < (int)mi.nfeat; i++) {
		double v = host->model_psi(s, ss->model, i);
		if (!isnan(v) && (isnan(worst) || v > worst)) {
			worst = v;
			wi = i;
		}
	}
	if (isnan(worst))
		return;
	host->record(s, "drift_psi_max", worst);
	if (worst > st->c.drift_psi && !ss->drifting)
		host->log(s, TRD_PLOG_WARN, "%s: model drift: PSI %.3f of %s "
			  "is past %g%s", ss->info.symbol, worst,
			  wi < 0 ? "the score" : mi.features[wi],
			  st->c.drift_psi,
			  st->c.drift_flat ? "; going flat" : "");
	else if (worst <= st->c.drift_psi && ss->drifting)
		host->log(s, TRD_PLOG_INFO, "%s: model drift back under %g "
			  "(PSI %.3f)", ss->info.symbol, st->c.drift_psi, worst);
	ss->drifting = worst > st->c.drift_psi;
}

static void
ml_on_bar(struct trd_strategy *s, const struct trd_bar *bar)
{
	struct state *st = host->state(s);
	struct sym_state *ss = NULL;
	double p, ps = NAN, open, close;
	int64_t pos;
	int want;

	for (size_t i = 0; i < st->nsym; i++)
		if (st->sym[i].info.sym == bar->sym)
			ss = &st->sym[i];
	if (ss == NULL)
		return;
	open = (double)bar->open / ss->scale;
	close = (double)bar->close / ss->scale;
	hyp_bar(&ss->hm, open, close, st->c.fee);
	if (ss->shadow >= 0)
		hyp_bar(&ss->hs, open, close, st->c.fee);
	p = host->model_predict(s, ss->model);
	if (isnan(p))
		return;
	if (st->c.log_p)
		host->log(s, TRD_PLOG_INFO, "p %lld %.17g",
			  (long long)(bar->ts_ns / 1000000000 + bar->tf_s), p);
	ss->hm.want = decide(&st->c, ss, ss->hm.want, p);
	host->record(s, "model_p", p);
	host->record(s, "model_hyp_return", ss->hm.eq - 1);
	host->record(s, "model_changes", (double)ss->hm.changes);
	if (ss->shadow >= 0 && !isnan(ps = host->model_predict(s, ss->shadow))) {
		ss->hs.want = decide(&st->c, ss, ss->hs.want, ps);
		st->bars++;
		st->agree += ss->hs.want == ss->hm.want;
		host->record(s, "shadow_p", ps);
		host->record(s, "shadow_hyp_return", ss->hs.eq - 1);
		host->record(s, "shadow_changes", (double)ss->hs.changes);
		host->record(s, "shadow_agreement",
			     (double)st->agree / (double)st->bars);
	}
	if (st->c.drift_psi > 0 && ++ss->nbar % 60 == 0)
		check_drift(s, st, ss);
	if (ss->pending)
		return;
	pos = host->position(s, bar->sym);
	want = decide(&st->c, ss, pos > 0 ? 1 : pos < 0 ? -1 : 0, p);
	if (ss->drifting && st->c.drift_flat)
		want = 0;
	if (pos > 0 && want <= 0)
		submit(s, ss, TRD_SIDE_SELL, pos);
	else if (pos < 0 && want >= 0)
		submit(s, ss, TRD_SIDE_BUY, -pos);
	else if (pos == 0 && want != 0)
		submit(s, ss, want > 0 ? TRD_SIDE_BUY : TRD_SIDE_SELL,
		       entry_qty(s, st, ss, bar->close));
}

static void
ml_on_order(struct trd_strategy *s, const struct trd_order_info *o)
{
	struct state *st = host->state(s);

	if (st == NULL)
		return;
	if (o->status != TRD_ORDER_FILLED && o->status != TRD_ORDER_CANCELED &&
	    o->status != TRD_ORDER_REJECTED && o->status != TRD_ORDER_EXPIRED)
		return;
	if (o->status == TRD_ORDER_REJECTED)
		host->log(s, trd_order_reject_code(o) == TRD_REJ_HALTED
				     ? TRD_PLOG_DEBUG : TRD_PLOG_WARN,
			  "order %llu rejected: %s", (unsigned long long)o->id,
			  o->reason);
	for (size_t i = 0; i < st->nsym; i++)
		if (st->sym[i].pending == o->id)
			st->sym[i].pending = 0;
}

/* Promotion, new thresholds: the models are loaded anew (a changed file
 * too); the hypothetical books go on.  On any error nothing changes. */
static int
ml_on_reload(struct trd_strategy *s, const struct trd_params *p, char *err,
	     size_t errlen)
{
	struct state *st = host->state(s);
	struct conf c;
	int hm[64], hs[64];
	size_t i;

	if (configure(&c, p, err, errlen) != 0)
		return -1;
	if (c.trend_filter != st->c.trend_filter ||
	    c.trend_n != st->c.trend_n || c.trend_m != st->c.trend_m) {
		snprintf(err, errlen, "trend_filter, trend_n and trend_m "
			 "cannot change while running");
		return -1;
	}
	if (st->nsym > 64) {
		snprintf(err, errlen, "too many symbols to reload");
		return -1;
	}
	for (i = 0; i < st->nsym; i++) {
		struct sym_state *ss = &st->sym[i];
		hs[i] = -1;
		if (load(s, &c, ss, c.model, &hm[i], err, errlen) != 0)
			goto undo;
		if (c.shadow &&
		    load(s, &c, ss, c.shadow, &hs[i], err, errlen) != 0) {
			host->model_unload(s, hm[i]);
			goto undo;
		}
	}
	for (i = 0; i < st->nsym; i++) {
		struct sym_state *ss = &st->sym[i];
		host->model_unload(s, ss->model);
		if (ss->shadow >= 0)
			host->model_unload(s, ss->shadow);
		ss->model = hm[i];
		ss->shadow = hs[i];
	}
	c.model = c.shadow = c.features = NULL;
	st->c = c;
	return 0;
undo:
	while (i-- > 0) {
		host->model_unload(s, hm[i]);
		if (hs[i] >= 0)
			host->model_unload(s, hs[i]);
	}
	return -1;
}

static void
ml_fini(struct trd_strategy *s)
{
	struct state *st = host->state(s);

	if (st) {
		free(st->sym);
		free(st);
	}
	host->set_state(s, NULL);
}

static const struct trd_plugin ml_logit = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "ml_logit",
	.version = "1.0",
	.init = ml_init,
	.on_bar = ml_on_bar,
	.on_order = ml_on_order,
	.on_reload = ml_on_reload,
	.fini = ml_fini,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	host = h;
	return &ml_logit;
}
