/*
 * sma_cross: the reference strategy.  Long or flat on each of its symbols.
 *
 * Fast and slow simple moving averages of the close.  When the fast average
 * moves above the slow one (a cross up) it buys; when it moves below (a
 * cross down) it sells the whole position.  Equal averages keep the previous
 * side, so touching is not crossing.  The first bar on which both averages
 * exist only sets the side.  The averages are compared exactly, in the
 * instrument's scaled integers: fast_sum / fast > slow_sum / slow exactly
 * when d = fast_sum * slow - slow_sum * fast > 0, and d is kept up to date
 * bar by bar (see avg_push) so a bar costs no 128-bit multiplication: in
 * 64 bits while the closes are small enough for that to be exact, in 128
 * bits from the first close that is not.
 *
 * Params:
 *   fast      integer >= 1, the fast window in bars
 *   slow      integer > fast, the slow window
 *   sizing    all_in   (default) quantity = cash / (close * (1 + fee)),
 *                      rounded down to the lot size
 *             fixed    quantity = qty (a decimal, e.g. 0.5)
 *             fraction quantity = equity * fraction / (close * (1 + fee))
 *                      with fraction in (0, 1]
 *   take_profit_bps, stop_loss_bps
 *             optional, together: each entry becomes a bracket order whose
 *             take-profit limit and stop-loss stop sit that many basis
 *             points above and below the entry's average fill (the host
 *             activates them when the entry fills).  A cross down cancels
 *             them and sells what is left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traderd/plugin.h"

#define MAX_WINDOW 100000

enum sizing { ALL_IN, FIXED, FRACTION };
enum side { UNKNOWN, BELOW, ABOVE };

/* The last `slow` closes, oldest overwritten first; the fast window is
 * the newest `fast` of them. */
struct avgs {
	int64_t *ring;
	int      fast, slow;
	int      next;   /* where the next close goes */
	int      filled; /* closes seen, up to slow */
	/* d = fast_sum * slow - slow_sum * fast, in d64 while every close
	 * seen is in [lo, hi], in wd from the first that is not (then lo >
	 * hi, so every close goes the wide way). */
	int64_t  d64, lo, hi;
	__int128 wd;
};

struct sym_state {
	struct trd_instrument_info info;
	int64_t       fixed_qty;  /* sizing fixed, on this symbol's scale */
	struct avgs   avg;
	enum side     side;
	/* ord[0]: an open order, or 0; ord[1], ord[2]: the last bracket's
	 * take-profit and stop-loss.  One array, so the host writes the
	 * bracket's ids here before any on_order about them can run. */
	uint64_t      ord[3];
};

struct state {
	int               fast, slow;
	enum sizing       sizing;
	const char       *qty_text;     /* valid only during init/reload */
	int64_t           fraction_ppm; /* fraction in millionths */
	int64_t           tp_bps, sl_bps; /* scaled 10^4; 0: no bracket */
	size_t            nsym;
	struct sym_state *sym;
	struct sym_state **by_sym; /* by instrument handle */
	uint32_t          nby_sym;
};

static const struct trd_host_api *host;

/*
 * With every close in [-L, L], |d| <= 2 * fast * slow * L and a bar moves
 * d by at most 2 * slow * L, so d and each partial sum of its update stay
 * within 2 * slow * (fast + 1) * L: in an int64 when L is at most
 * INT64_MAX over that factor (with windows of 10 and 30, closes up to
 * about 1.4e16 in the instrument's units).
 */
static int
avg_init(struct avgs *a, int fast, int slow)
{
	int64_t lim = INT64_MAX / (2 * (int64_t)slow * (fast + 1));

	*a = (struct avgs){ .fast = fast, .slow = slow, .lo = -lim,
			    .hi = lim };
	a->ring = calloc((size_t)slow, sizeof(*a->ring));
	return a->ring ? 0 : -1;
}

/* The ring slots close v pushes out of the fast and slow windows.  Until
 * a window is full the slot it would lose has never been written: the
 * ring starts zeroed, so that close counts as 0. */
static inline int
out_fast(const struct avgs *a)
{
	int j = a->next - a->fast;
	return j < 0 ? j + a->slow : j;
}

/* v falls outside the 64-bit range: d goes to 128 bits for good. */
static void __attribute__((noinline))
avg_push_wide(struct avgs *a, int64_t v)
{
	if (a->lo <= a->hi) {
		a->wd = a->d64;
		a->lo = INT64_MAX;
		a->hi = INT64_MIN;
	}
	a->wd += (__int128)v * (a->slow - a->fast) -
		 (__int128)a->ring[out_fast(a)] * a->slow +
		 (__int128)a->ring[a->next] * a->fast;
}

/* The common case: both windows full (or filling), v in the 64-bit
 * range, which avg_narrow says. */
static inline int
avg_narrow(const struct avgs *a, int64_t v)
{
	return v >= a->lo && v <= a->hi;
}

/*
 * Add close v.  It enters both windows; the fast window loses the close
 * `fast` bars back and the slow one the close `slow` bars back (once they
 * are full).  d moves by (v - out_fast) * slow - (v - out_slow) * fast.
 * avg_step is the whole of it for a narrow v; avg_push for any v, and
 * it returns 1 once the slow window is full.
 */
static inline void
avg_step(struct avgs *a, int64_t v, int wide)
{
	int next = a->next;

	if (wide)
		avg_push_wide(a, v);
	else
		a->d64 += v * (a->slow - a->fast) -
			  a->ring[out_fast(a)] * a->slow +
			  a->ring[next] * a->fast;
	a->ring[next] = v;
	if (++next == a->slow) /* not %: a division per bar */
		next = 0;
	a->next = next;
}

static inline int
avg_push(struct avgs *a, int64_t v)
{
	avg_step(a, v, !avg_narrow(a, v));
	if (a->filled < a->slow)
		return ++a->filled == a->slow;
	return 1;
}

/* The sign of d: 1 when the fast average is above the slow one. */
static inline int
avg_sign(const struct avgs *a)
{
	if (__builtin_expect(a->lo > a->hi, 0))
		return (a->wd > 0) - (a->wd < 0);
	return (a->d64 > 0) - (a->d64 < 0);
}

static int
configure(struct state *st, const struct trd_params *p, char *err,
	  size_t errlen)
{
	static const char *known[] = { "fast", "slow", "sizing", "qty",
				       "fraction", "take_profit_bps",
				       "stop_loss_bps" };
	const size_t nknown = sizeof(known) / sizeof(known[0]);
	const char *sizing, *frac, *tp, *sl;

	for (size_t i = 0; i < p->n; i++) {
		size_t k = 0;
		while (k < nknown && strcmp(p->items[i].key, known[k]) != 0)
			k++;
		if (k == nknown) {
			snprintf(err, errlen, "unknown param '%s' (known: "
				 "fast, slow, sizing, qty, fraction, "
				 "take_profit_bps, stop_loss_bps)",
				 p->items[i].key);
			return -1;
		}
	}
	tp = trd_param_get(p, "take_profit_bps");
	sl = trd_param_get(p, "stop_loss_bps");
	st->tp_bps = st->sl_bps = 0;
	if ((tp == NULL) != (sl == NULL)) {
		snprintf(err, errlen, "take_profit_bps and stop_loss_bps go "
			 "together");
		return -1;
	}
	if (tp != NULL) {
		/* bps scaled by 10^4, as the host's bracket wants them; a
		 * stop 100% (10000 bps) away would be no stop. */
		if (trd_param_dec(tp, 4, &st->tp_bps) != 0 || st->tp_bps <= 0 ||
		    st->tp_bps > 1000000000 ||
		    trd_param_dec(sl, 4, &st->sl_bps) != 0 || st->sl_bps <= 0 ||
		    st->sl_bps >= 100000000) {
			snprintf(err, errlen, "take_profit_bps must be in "
				 "(0, 100000] and stop_loss_bps in (0, 10000), "
				 "with at most 4 decimals");
			return -1;
		}
		if (host->size < offsetof(struct trd_host_api, submit_bracket) +
					 sizeof(host->submit_bracket)) {
			snprintf(err, errlen, "brackets need a host with "
				 "plugin ABI 1.2");
			return -1;
		}
	}
	st->fast = (int)trd_param_int(trd_param_get(p, "fast"), 1, MAX_WINDOW);
	st->slow = (int)trd_param_int(trd_param_get(p, "slow"), 1, MAX_WINDOW);
	if (st->fast <= 0 || st->slow <= 0) {
		snprintf(err, errlen, "fast and slow must be integers in "
			 "1..%d", MAX_WINDOW);
		return -1;
	}
	if (st->fast >= st->slow) {
		snprintf(err, errlen, "fast (%d) must be less than slow (%d)",
			 st->fast, st->slow);
		return -1;
	}
	sizing = trd_param_get(p, "sizing");
	st->qty_text = trd_param_get(p, "qty");
	frac = trd_param_get(p, "fraction");
	if (sizing == NULL || strcmp(sizing, "all_in") == 0) {
		st->sizing = ALL_IN;
	} else if (strcmp(sizing, "fixed") == 0) {
		st->sizing = FIXED;
	} else if (strcmp(sizing, "fraction") == 0) {
		int64_t ppm;
		st->sizing = FRACTION;
		if (trd_param_dec(frac, 6, &ppm) != 0 || ppm <= 0 ||
		    ppm > 1000000) {
			snprintf(err, errlen, "sizing fraction needs "
				 "fraction in (0, 1] with at most 6 decimals");
			return -1;
		}
		st->fraction_ppm = ppm;
	} else {
		snprintf(err, errlen, "sizing must be all_in, fixed or "
			 "fraction, not '%s'", sizing);
		return -1;
	}
	if ((st->sizing == FIXED) != (st->qty_text != NULL)) {
		snprintf(err, errlen, st->sizing == FIXED
			 ? "sizing fixed needs qty"
			 : "qty is only for sizing fixed");
		return -1;
	}
	if (st->sizing != FRACTION && frac != NULL) {
		snprintf(err, errlen, "fraction is only for sizing fraction");
		return -1;
	}
	return 0;
}

/* Parse the fixed qty for every symbol into q[] (on each symbol's scale). */
static int
parse_fixed(const struct state *st, const struct trd_instrument_info *in,
	    int64_t *q, char *err, size_t errlen)
{
	if (trd_param_dec(st->qty_text, in->qty_dp, q) != 0 || *q <= 0 ||
	    *q % in->lot_size != 0) {
		snprintf(err, errlen, "qty '%s' must be a positive multiple "
			 "of %s's lot size", st->qty_text, in->symbol);
		return -1;
	}
	return 0;
}

static void
state_free(struct state *st)
{
	for (size_t i = 0; st->sym && i < st->nsym; i++) {
		free(st->sym[i].avg.ring);
	}
	free(st->sym);
	free(st->by_sym);
	free(st);
}

static int
sma_init(struct trd_strategy *s, const struct trd_params *p, char *err,
	 size_t errlen)
{
	struct state *st = calloc(1, sizeof(*st));
	const struct trd_instrument_info *in;

	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (configure(st, p, err, errlen) != 0)
		goto fail;
	while (host->instrument(s, st->nsym) != NULL)
		st->nsym++;
	st->sym = calloc(st->nsym, sizeof(*st->sym));
	if (st->sym == NULL)
		goto oom;
	for (size_t i = 0; i < st->nsym; i++) {
		struct sym_state *ss = &st->sym[i];
		in = host->instrument(s, i);
		ss->info = *in;
		if (st->sizing == FIXED &&
		    parse_fixed(st, in, &ss->fixed_qty, err, errlen) != 0)
			goto fail;
		if (avg_init(&ss->avg, st->fast, st->slow) != 0)
			goto oom;
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
	st->qty_text = NULL;
	host->set_state(s, st);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
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

/* Quantity to buy at price, per the sizing rule, on the lot.  The host
 * sizes against the venue's own rounding of notional and fee, so an
 * all_in order is never refused for a unit of rounding. */
static int64_t
buy_qty(struct trd_strategy *s, struct state *st, struct sym_state *ss,
	int64_t price)
{
	struct trd_account_info a = { .size = sizeof(a) };
	int64_t money;

	if (st->sizing == FIXED)
		return ss->fixed_qty;
	if (host->account(s, &a) != 0)
		return 0;
	money = st->sizing == ALL_IN
			? a.cash
			: (int64_t)((__int128)a.equity * st->fraction_ppm /
				    1000000);
	return host->max_buy_qty(s, ss->info.sym, price, money);
}

/* A cross to side: enter or leave.  Out of line: it runs on a few bars in
 * a hundred, and its order structs would weigh on every bar's frame. */
static void __attribute__((noinline))
on_cross(struct trd_strategy *s, struct state *st, struct sym_state *ss,
	 const struct trd_bar *bar, enum side side)
{
	int64_t pos;

	if (ss->ord[0])
		return; /* an order is still working */
	pos = host->position(s, bar->sym);
	if (side == ABOVE && pos == 0) {
		struct trd_order_req r = { .size = sizeof(r), .sym = bar->sym,
					   .side = TRD_SIDE_BUY,
					   .type = TRD_ORDER_MARKET };
		r.qty = buy_qty(s, st, ss, bar->close);
		if (r.qty <= 0)
			return;
		if (st->tp_bps > 0) {
			struct trd_bracket_req b = {
				.size = sizeof(b), .entry = &r,
				.tp_bps = st->tp_bps, .sl_bps = st->sl_bps };
			host->submit_bracket(s, &b, ss->ord);
		} else {
			host->submit(s, &r, &ss->ord[0]);
		}
	} else if (side == BELOW && pos > 0) {
		struct trd_order_req r = { .size = sizeof(r), .sym = bar->sym,
					   .side = TRD_SIDE_SELL,
					   .type = TRD_ORDER_MARKET, .qty = pos,
					   .flags = TRD_ORDER_REDUCE_ONLY };
		/* The bracket's exits go first: the sale replaces them. */
		for (int i = 1; i < 3; i++)
			if (ss->ord[i]) {
				host->cancel(s, ss->ord[i]);
				ss->ord[i] = 0;
			}
		host->submit(s, &r, &ss->ord[0]);
	}
}

/* The side the sign of d puts the averages on; a change after the
 * first side is known is a cross. */
static inline void
decide(struct trd_strategy *s, struct state *st, struct sym_state *ss,
       const struct trd_bar *bar, int64_t sign)
{
	enum side was = ss->side;
	enum side side = sign > 0 ? ABOVE : sign < 0 ? BELOW : was;

	ss->side = side;
	if (side != was && was != UNKNOWN)
		on_cross(s, st, ss, bar, side);
}

/* A bar while the slow window fills, or with d in 128 bits. */
static void __attribute__((noinline))
on_bar_slow(struct trd_strategy *s, struct state *st, struct sym_state *ss,
	    const struct trd_bar *bar)
{
	if (avg_push(&ss->avg, bar->close))
		decide(s, st, ss, bar, avg_sign(&ss->avg));
}

/* Most bars: the windows full and d in 64 bits, nothing out of line
 * called unless the averages cross. */
static void
sma_on_bar(struct trd_strategy *s, const struct trd_bar *bar)
{
	struct state *st = host->state(s);
	struct sym_state *ss = find(st, bar->sym);
	struct avgs *a;

	if (ss == NULL)
		return;
	a = &ss->avg;
	if (__builtin_expect(a->filled < a->slow ||
			     !avg_narrow(a, bar->close), 0)) {
		on_bar_slow(s, st, ss, bar);
		return;
	}
	avg_step(a, bar->close, 0);
	decide(s, st, ss, bar, a->d64);
}

static void
sma_on_order(struct trd_strategy *s, const struct trd_order_info *o)
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
		if (ss->ord[0] == o->id)
			ss->ord[0] = 0;
	}
}

static int
sma_on_reload(struct trd_strategy *s, const struct trd_params *p, char *err,
	      size_t errlen)
{
	struct state *st = host->state(s), tmp = { 0 };
	int64_t q[64];

	if (configure(&tmp, p, err, errlen) != 0)
		return -1;
	if (tmp.fast != st->fast || tmp.slow != st->slow) {
		snprintf(err, errlen, "fast and slow cannot change while "
			 "running (the averages would restart)");
		return -1;
	}
	if (tmp.sizing == FIXED) {
		if (st->nsym > 64) {
			snprintf(err, errlen, "too many symbols to resize");
			return -1;
		}
		for (size_t i = 0; i < st->nsym; i++)
			if (parse_fixed(&tmp, &st->sym[i].info, &q[i], err,
					errlen) != 0)
				return -1;
		for (size_t i = 0; i < st->nsym; i++)
			st->sym[i].fixed_qty = q[i];
	}
	/* Sizing applies from the next entry on. */
	st->sizing = tmp.sizing;
	st->fraction_ppm = tmp.fraction_ppm;
	return 0;
}

static void
sma_fini(struct trd_strategy *s)
{
	struct state *st = host->state(s);

	if (st)
		state_free(st);
	host->set_state(s, NULL);
}

static const struct trd_plugin sma_cross = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "sma_cross",
	.version = "1.0",
	.init = sma_init,
	.on_bar = sma_on_bar,
	.on_order = sma_on_order,
	.on_reload = sma_on_reload,
	.fini = sma_fini,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	host = h;
	return &sma_cross;
}
