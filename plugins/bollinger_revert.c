/*
 * bollinger_revert: mean reversion on Bollinger bands.  Long, short or flat
 * on each of its symbols, with at most one order working per symbol.
 *
 * The bands are the engine's bb(n,k) feature (resolved once at init, never
 * computed here): mid is the simple moving average of the last n closes,
 * upper and lower are mid plus and minus k population standard deviations
 * of those closes.  On each bar of a symbol, once all three exist (they are
 * NaN while the window fills), with close the bar's close in price units:
 *
 *   flat    close < lower   buy: a long entry
 *           close > upper   sell: a short entry, only when `short` is true
 *                           and the venue lets the symbol go short
 *   long    close >= mid    sell the whole position
 *   short   close <= mid    buy the whole position back
 *
 * Every order is a market order, so it fills at the next bar's open.  A
 * bar that comes while an order of its symbol is working does nothing.
 * Comparisons are strict for entries and inclusive for exits, so a close
 * on a band does not enter and a close on the mid does exit.
 *
 * Params:
 *   n         integer 2..100000, the window in bars; default 20
 *   k         decimal > 0 (2, 1.5; no sign, no exponent), the band width
 *             in standard deviations; default 2
 *   sizing    all_in   (default) the free collateral: cash less twice the
 *                      value of this strategy's shorts at their last close
 *                      (short proceeds sit in cash but back the short),
 *                      over close * (1 + fee), down to the lot size
 *             fixed    quantity = qty (a decimal, e.g. 0.5)
 *             fraction quantity = equity * fraction (in (0, 1]) over
 *                      close * (1 + fee), capped like all_in
 *   short     true (default) or false: whether to take short entries
 *   regime    any (default), or range: enter only while the engine's
 *             regime(regime_n,regime_m).trend is 0 (no trend by its ADX
 *             and efficiency-ratio bands; see feature_regime.c), since
 *             reverting to the mean is a bet against a trend.  Exits are
 *             not filtered: an open position still exits at the mid.
 *   regime_n  integer 2..100000, the regime's ADX, efficiency-ratio and
 *             volatility window; default 14
 *   regime_m  integer 1..100000, its volatility-percentile window;
 *             default 500
 *
 * Longs and shorts are sized by the same rule: the venue asks the same
 * collateral of a short as the cash of a long (see daemon/venue.h).  The
 * free collateral estimate knows only this strategy's positions; a short
 * of another strategy on the same account can still get an entry refused,
 * which is logged and skipped.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traderd/plugin.h"

#define MAX_WINDOW 100000 /* the engine's largest feature window */

enum sizing { ALL_IN, FIXED, FRACTION };

struct sym_state {
	struct trd_instrument_info info;
	double        scale;     /* 10^price_dp */
	int           shortable; /* the venue lets it go short (ABI 1.1) */
	int64_t       fixed_qty; /* sizing fixed, on this symbol's scale */
	int64_t       last;      /* last close seen, price scale */
	const double *mid, *upper, *lower;
	const double *trend;     /* regime(...).trend, or NULL (regime any) */
	uint64_t      pending;   /* an open order, or 0 */
};

/* Parsed params; the text pointers are valid only during init/reload. */
struct conf {
	int         n;
	double      k;
	const char *k_text;
	enum sizing sizing;
	const char *qty_text;
	int64_t     fraction_ppm; /* fraction in millionths */
	int         allow_short;
	int         range_only;   /* regime: range */
	int         regime_n, regime_m;
};

struct state {
	struct conf       c;
	size_t            nsym;
	struct sym_state *sym;
	struct sym_state **by_sym; /* by instrument handle */
	uint32_t          nby_sym;
};

static const struct trd_host_api *host;

/* k as the feature engine reads it: digits, then optionally a point and
 * digits; > 0.  0 and the value in *k, or -1. */
static int
parse_k(const char *s, double *k)
{
	size_t i = 0, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > 31)
		return -1;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0)
		return -1;
	if (s[i] == '.') {
		size_t f = ++i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return -1;
	}
	if (s[i] != '\0')
		return -1;
	*k = strtod(s, NULL);
	return *k > 0 && isfinite(*k) ? 0 : -1;
}

static int
configure(struct conf *c, const struct trd_params *p, char *err,
	  size_t errlen)
{
	static const char *known[] = { "n", "k", "sizing", "qty", "fraction",
				       "short", "regime", "regime_n",
				       "regime_m" };
	const size_t nknown = sizeof(known) / sizeof(known[0]);
	const char *v, *sizing, *frac;

	for (size_t i = 0; i < p->n; i++) {
		size_t k = 0;
		while (k < nknown && strcmp(p->items[i].key, known[k]) != 0)
			k++;
		if (k == nknown) {
			snprintf(err, errlen, "unknown param '%s' (known: n, "
				 "k, sizing, qty, fraction, short, regime, "
				 "regime_n, regime_m)",
				 p->items[i].key);
			return -1;
		}
	}
	*c = (struct conf){ .n = 20, .k = 2, .k_text = "2", .allow_short = 1,
			    .regime_n = 14, .regime_m = 500 };
	if ((v = trd_param_get(p, "n")) != NULL &&
	    (c->n = (int)trd_param_int(v, 2, MAX_WINDOW)) < 0) {
		snprintf(err, errlen, "n must be an integer in 2..%d, not "
			 "'%s'", MAX_WINDOW, v);
		return -1;
	}
	if ((v = trd_param_get(p, "k")) != NULL) {
		if (parse_k(v, &c->k) != 0) {
			snprintf(err, errlen, "k must be a decimal > 0 (like 2 "
				 "or 1.5), not '%s'", v);
			return -1;
		}
		c->k_text = v;
	}
	if ((v = trd_param_get(p, "short")) != NULL) {
		if (strcmp(v, "true") == 0) {
			c->allow_short = 1;
		} else if (strcmp(v, "false") == 0) {
			c->allow_short = 0;
		} else {
			snprintf(err, errlen, "short must be true or false, "
				 "not '%s'", v);
			return -1;
		}
	}
	if ((v = trd_param_get(p, "regime")) != NULL) {
		if (strcmp(v, "range") == 0) {
			c->range_only = 1;
		} else if (strcmp(v, "any") != 0) {
			snprintf(err, errlen, "regime must be any or range, "
				 "not '%s'", v);
			return -1;
		}
	}
	if ((v = trd_param_get(p, "regime_n")) != NULL &&
	    (c->regime_n = (int)trd_param_int(v, 2, MAX_WINDOW)) < 0) {
		snprintf(err, errlen, "regime_n must be an integer in 2..%d, "
			 "not '%s'", MAX_WINDOW, v);
		return -1;
	}
	if ((v = trd_param_get(p, "regime_m")) != NULL &&
	    (c->regime_m = (int)trd_param_int(v, 1, MAX_WINDOW)) < 0) {
		snprintf(err, errlen, "regime_m must be an integer in 1..%d, "
			 "not '%s'", MAX_WINDOW, v);
		return -1;
	}
	sizing = trd_param_get(p, "sizing");
	c->qty_text = trd_param_get(p, "qty");
	frac = trd_param_get(p, "fraction");
	if (sizing == NULL || strcmp(sizing, "all_in") == 0) {
		c->sizing = ALL_IN;
	} else if (strcmp(sizing, "fixed") == 0) {
		c->sizing = FIXED;
	} else if (strcmp(sizing, "fraction") == 0) {
		c->sizing = FRACTION;
		if (trd_param_dec(frac, 6, &c->fraction_ppm) != 0 ||
		    c->fraction_ppm <= 0 || c->fraction_ppm > 1000000) {
			snprintf(err, errlen, "sizing fraction needs fraction "
				 "in (0, 1] with at most 6 decimals, not '%s'",
				 frac ? frac : "(none)");
			return -1;
		}
	} else {
		snprintf(err, errlen, "sizing must be all_in, fixed or "
			 "fraction, not '%s'", sizing);
		return -1;
	}
	if ((c->sizing == FIXED) != (c->qty_text != NULL)) {
		snprintf(err, errlen, c->sizing == FIXED
			 ? "sizing fixed needs qty"
			 : "qty is only for sizing fixed");
		return -1;
	}
	if (c->sizing != FRACTION && frac != NULL) {
		snprintf(err, errlen, "fraction is only for sizing fraction");
		return -1;
	}
	return 0;
}

/* Parse the fixed qty for one symbol (on its scale). */
static int
parse_fixed(const char *text, const struct trd_instrument_info *in,
	    int64_t *q, char *err, size_t errlen)
{
	if (trd_param_dec(text, in->qty_dp, q) != 0 || *q <= 0 ||
	    *q % in->lot_size != 0) {
		snprintf(err, errlen, "qty '%s' must be a positive multiple "
			 "of %s's lot size", text, in->symbol);
		return -1;
	}
	return 0;
}

static void
state_free(struct state *st)
{
	free(st->sym);
	free(st->by_sym);
	free(st);
}

/* Resolve the symbol's three bands; the engine canonicalises the name. */
static int
resolve_bands(struct trd_strategy *s, const struct conf *c,
	      struct sym_state *ss, char *err, size_t errlen)
{
	static const char *field[3] = { "mid", "upper", "lower" };
	const double **out[3] = { &ss->mid, &ss->upper, &ss->lower };
	char name[96];

	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "bb(%d,%s).%s", c->n, c->k_text,
			 field[i]);
		*out[i] = host->feature(s, ss->info.sym, name, err, errlen);
		if (*out[i] == NULL)
			return -1; /* err says why */
	}
	if (!c->range_only)
		return 0;
	snprintf(name, sizeof(name), "regime(%d,%d).trend", c->regime_n,
		 c->regime_m);
	ss->trend = host->feature(s, ss->info.sym, name, err, errlen);
	return ss->trend ? 0 : -1;
}

static int
br_init(struct trd_strategy *s, const struct trd_params *p, char *err,
	size_t errlen)
{
	struct state *st;
	const struct trd_instrument_info *in;

	if (host->size < offsetof(struct trd_host_api, feature) +
				 sizeof(host->feature) ||
	    host->feature == NULL) {
		snprintf(err, errlen, "needs a traderd with plugin ABI 1.1 "
			 "or later (host feature calls); this one has %u.%u",
			 host->abi_major, host->abi_minor);
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
	st->sym = calloc(st->nsym ? st->nsym : 1, sizeof(*st->sym));
	if (st->sym == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < st->nsym; i++) {
		struct sym_state *ss = &st->sym[i];
		in = host->instrument(s, i);
		/* Copy what the host's struct has; a 1.0 host has no
		 * shortable, which then reads as 0. */
		memcpy(&ss->info, in, in->size < sizeof(ss->info)
					      ? in->size : sizeof(ss->info));
		ss->shortable = in->size >= offsetof(struct trd_instrument_info,
						     shortable) +
						    sizeof(in->shortable) &&
				in->shortable;
		ss->scale = 1;
		for (int k = 0; k < in->price_dp; k++)
			ss->scale *= 10; /* exact: 10^k is a double up to 22 */
		if (st->c.sizing == FIXED &&
		    parse_fixed(st->c.qty_text, in, &ss->fixed_qty, err,
				errlen) != 0)
			goto fail;
		if (resolve_bands(s, &st->c, ss, err, errlen) != 0)
			goto fail;
	}
	/* Handles are small (plugin.h): a table from handle to state. */
	for (size_t i = 0; i < st->nsym; i++)
		if (st->sym[i].info.sym >= st->nby_sym)
			st->nby_sym = st->sym[i].info.sym + 1;
	if (st->nby_sym > (1u << 20) ||
	    (st->by_sym = calloc(st->nby_sym ? st->nby_sym : 1,
				 sizeof(*st->by_sym))) == NULL) {
		snprintf(err, errlen, "out of memory (instrument handles up "
			 "to %u)", st->nby_sym);
		goto fail;
	}
	for (size_t i = 0; i < st->nsym; i++)
		st->by_sym[st->sym[i].info.sym] = &st->sym[i];
	st->c.k_text = st->c.qty_text = NULL;
	host->set_state(s, st);
	return 0;
fail:
	state_free(st);
	return -1;
}

static struct sym_state *
find(struct state *st, uint32_t sym)
{
	/* Handles are small integers (plugin.h): one load, not a search
	 * of every symbol on each bar. */
	return sym < st->nby_sym ? st->by_sym[sym] : NULL;
}

/* Value of this strategy's shorts at their last close, cash scale, rounded
 * up as the venue rounds it. */
static __int128
own_shorts(struct trd_strategy *s, const struct state *st)
{
	__int128 sum = 0;

	for (size_t i = 0; i < st->nsym; i++) {
		const struct sym_state *ss = &st->sym[i];
		int64_t pos = host->position(s, ss->info.sym);
		int shift = ss->info.price_dp + ss->info.qty_dp - TRD_CASH_DP;
		__int128 v, d = 1;

		if (pos >= 0)
			continue;
		v = (__int128)-pos * ss->last;
		for (int k = 0; k < shift; k++)
			d *= 10;
		for (int k = shift; k < 0; k++)
			v *= 10;
		sum += (v + d - 1) / d;
	}
	return sum;
}

/* Quantity to enter with at price, long or short, per the sizing rule. */
static int64_t
entry_qty(struct trd_strategy *s, struct state *st, struct sym_state *ss,
	  int64_t price)
{
	struct trd_account_info a = { .size = sizeof(a) };
	__int128 free, money;

	if (st->c.sizing == FIXED)
		return ss->fixed_qty;
	if (host->account(s, &a) != 0)
		return 0;
	free = (__int128)a.cash - 2 * own_shorts(s, st);
	money = st->c.sizing == ALL_IN
			? free
			: (__int128)a.equity * st->c.fraction_ppm / 1000000;
	if (money > free)
		money = free;
	if (money <= 0)
		return 0;
	return host->max_buy_qty(s, ss->info.sym, price,
				 money > INT64_MAX ? INT64_MAX
						   : (int64_t)money);
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

static void
br_on_bar(struct trd_strategy *s, const struct trd_bar *bar)
{
	struct state *st = host->state(s);
	struct sym_state *ss = find(st, bar->sym);
	double close, mid, upper, lower;
	int64_t pos;

	if (ss == NULL)
		return;
	ss->last = bar->close;
	mid = *ss->mid;
	upper = *ss->upper;
	lower = *ss->lower;
	if (isnan(mid) || isnan(upper) || isnan(lower) || ss->pending)
		return;
	close = (double)bar->close / ss->scale;
	pos = host->position(s, bar->sym);
	/* A trend (or a regime not known yet) keeps it out. */
	if (pos == 0 && ss->trend != NULL && !(*ss->trend == 0))
		return;
	if (pos == 0) {
		if (close < lower)
			submit(s, ss, TRD_SIDE_BUY,
			       entry_qty(s, st, ss, bar->close));
		else if (close > upper && st->c.allow_short && ss->shortable)
			submit(s, ss, TRD_SIDE_SELL,
			       entry_qty(s, st, ss, bar->close));
	} else if (pos > 0 && close >= mid) {
		submit(s, ss, TRD_SIDE_SELL, pos);
	} else if (pos < 0 && close <= mid) {
		submit(s, ss, TRD_SIDE_BUY, -pos);
	}
}

static void
br_on_order(struct trd_strategy *s, const struct trd_order_info *o)
{
	struct state *st = host->state(s);
	struct sym_state *ss;

	if (st == NULL || (ss = find(st, o->sym)) == NULL)
		return;
	if (o->status == TRD_ORDER_FILLED || o->status == TRD_ORDER_CANCELED ||
	    o->status == TRD_ORDER_REJECTED || o->status == TRD_ORDER_EXPIRED) {
		/* Under the kill switch every entry is refused: the
		 * host has said why once, so only debug each one. */
		int halted = trd_order_reject_code(o) == TRD_REJ_HALTED;
		if (o->status == TRD_ORDER_REJECTED)
			host->log(s, halted ? TRD_PLOG_DEBUG : TRD_PLOG_WARN,
				  "order %llu rejected: %s",
				  (unsigned long long)o->id, o->reason);
		/* submit writes the id before the venue answers, so even a
		 * rejection at once finds it recorded. */
		if (ss->pending == o->id)
			ss->pending = 0;
	}
}

static int
br_on_reload(struct trd_strategy *s, const struct trd_params *p, char *err,
	     size_t errlen)
{
	struct state *st = host->state(s);
	struct conf c;
	int64_t q[64];

	if (configure(&c, p, err, errlen) != 0)
		return -1;
	if (c.n != st->c.n || c.k != st->c.k) {
		snprintf(err, errlen, "n and k cannot change while running "
			 "(the bands would restart)");
		return -1;
	}
	if (c.range_only != st->c.range_only || c.regime_n != st->c.regime_n ||
	    c.regime_m != st->c.regime_m) {
		snprintf(err, errlen, "regime, regime_n and regime_m cannot "
			 "change while running (the regime would restart)");
		return -1;
	}
	if (c.sizing == FIXED) {
		if (st->nsym > 64) {
			snprintf(err, errlen, "too many symbols to resize");
			return -1;
		}
		for (size_t i = 0; i < st->nsym; i++)
			if (parse_fixed(c.qty_text, &st->sym[i].info, &q[i],
					err, errlen) != 0)
				return -1;
		for (size_t i = 0; i < st->nsym; i++)
			st->sym[i].fixed_qty = q[i];
	}
	/* From the next entry on; open positions still exit at the mid. */
	st->c.sizing = c.sizing;
	st->c.fraction_ppm = c.fraction_ppm;
	st->c.allow_short = c.allow_short;
	return 0;
}

static void
br_fini(struct trd_strategy *s)
{
	struct state *st = host->state(s);

	if (st)
		state_free(st);
	host->set_state(s, NULL);
}

static const struct trd_plugin bollinger_revert = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "bollinger_revert",
	.version = "1.0",
	.init = br_init,
	.on_bar = br_on_bar,
	.on_order = br_on_order,
	.on_reload = br_on_reload,
	.fini = br_fini,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	host = h;
	return &bollinger_revert;
}
