/*
 * trading: see trading.h for the order of work on each event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "feature.h"
#include "log.h"
#include "trading.h"

/* "<name>-<seq>" into buf (96 bytes; names are at most 63), without
 * printf: it runs on every order transition. */
static void
client_id(char *buf, const char *name, uint32_t seq)
{
	size_t n = strlen(name);
	char digits[10];
	int k = 0;

	memcpy(buf, name, n);
	buf[n++] = '-';
	do
		digits[k++] = (char)('0' + seq % 10);
	while ((seq /= 10) != 0);
	while (k > 0)
		buf[n++] = digits[--k];
	buf[n] = '\0';
}

static void
order_update_cb(void *arg, const struct trd_order *o)
{
	struct trd_trading *t = arg;
	struct trd_strategy *s = &t->strats[o->strat];
	struct trd_order_info info;
	char cid[96];

	if (t->report)
		trd_report_order(t->report, o);
	if (s->p == NULL || s->p->on_order == NULL || !s->initialised)
		return;
	trd_order_info(o, &info);
	info.sym = t->ins[o->ins].store_id;
	client_id(cid, s->name, o->seq);
	info.client_id = cid;
	s->p->on_order(s, &info);
}

static void
fill_cb(void *arg, const struct trd_order *o, int64_t qty, int64_t price,
	int64_t fee, int64_t ts_ns)
{
	struct trd_trading *t = arg;
	struct trd_strategy *s = &t->strats[o->strat];
	struct trd_fill f = { .size = sizeof(f), .order_id = o->id,
			      .sym = t->ins[o->ins].store_id, .side = o->side,
			      .qty = qty, .price = price, .fee = fee,
			      .ts_ns = ts_ns, .tag = o->tag };

	trd_report_fill(t->report, o, qty, price, fee, ts_ns);
	if (s->p && s->p->on_fill && s->initialised)
		s->p->on_fill(s, &f);
}

static void
trade_cb(void *arg, const struct trd_trade_rec *tr)
{
	struct trd_trading *t = arg;
	struct trd_strategy *s = &t->strats[tr->strat];
	double net = (double)tr->pnl - (double)tr->fees;

	trd_report_trade(t->report, tr);
	/* For Kelly sizing: wins and losses net of fees. */
	if (net > 0) {
		s->nwins++;
		s->sum_win += net;
	} else {
		s->nlosses++;
		s->sum_loss -= net;
	}
}

static void carry_out_trip(struct trd_trading *t);

static __attribute__((noinline)) void
risk_mark(struct trd_trading *t, int64_t eq)
{
	if (trd_risk_mark(&t->risk, t->sample_ts, eq))
		carry_out_trip(t);
}

static inline void
sample(struct trd_trading *t)
{
	int64_t eq = trd_portfolio_equity(&t->pf);

	trd_report_sample(t->report, t->sample_ts, eq, t->pf.cash,
			  t->pf.nexposed != 0, t->bars - t->bars_sampled);
	t->bars_sampled = t->bars;
	if (t->risk.post_trade)
		risk_mark(t, eq);
}

/*
 * Cancel the orders listed for instrument ins (with reason why), those
 * submitted before `before` only, bracket exits left alone when
 * keep_exits.  A cancel without latency takes the order off the list, and
 * callbacks may add orders: walk by index and step on only when the list
 * did not shrink.  An order whose cancel is already on its way is left to
 * it (trd_venue_cancel refuses a second one).
 */
static void
cancel_listed(struct trd_trading *t, size_t ins, const char *why,
	      int64_t now, int64_t before, int keep_exits)
{
	const struct trd_oms_open *l = &t->oms.open[ins];

	for (size_t i = 0; i < l->n;) {
		struct trd_order *o = trd_oms_get(&t->oms, l->ids[i]);
		size_t n = l->n;
		if (o->submit_ns < before && !(keep_exits && o->parent_id))
			trd_venue_cancel(&t->venue, o, why, now);
		if (l->n == n)
			i++;
	}
}

/* The bar reaches ins's open orders.  Out of line: most bars find none,
 * and event_cb then needs fewer registers saved. */
static __attribute__((noinline)) void
orders_bar(struct trd_trading *t, uint32_t ins, const struct trd_event *ev)
{
	/* Bracket exits protect a position: they are meant to wait, so age
	 * does not cancel them. */
	if (t->risk.c.max_order_age_s)
		cancel_listed(t, ins, "older than max_order_age_s", ev->ts_ns,
			      ev->ts_ns + 1 - (int64_t)t->risk.c.max_order_age_s *
						      TRD_NS_PER_SEC, 1);
	trd_venue_bar(&t->venue, ins, &ev->u.bar, ev->ts_ns);
}

static void
event_cb(void *arg, const struct trd_event *ev)
{
	struct trd_trading *t = arg;
	const struct trd_bar *bar = &ev->u.bar;
	struct trd_session_instr *in;
	uint32_t ins;

	if (ev->type != TRD_EV_BAR || ev->sym > t->max_id ||
	    (ins = t->ins_by_id[ev->sym]) == UINT32_MAX)
		return;
	/* Nothing has happened since the last event: the books are still as
	 * the previous time left them, which is when that sample is due. */
	if (t->have_sample && ev->ts_ns != t->sample_ts)
		sample(t);
	t->sample_ts = ev->ts_ns;
	t->have_sample = 1;
	t->bars++;
	trd_risk_data(&t->risk, ins, ev->ts_ns);
	if (t->oms.open[ins].n != 0)
		orders_bar(t, ins, ev);
	trd_portfolio_mark(&t->pf, ins, bar->close);
	in = &t->ins[ins];
	/* Features first: strategies read them in on_bar. */
	trd_fset_bar(in->fs, bar);
	for (size_t i = 0; i < in->nbar_subs; i++)
		in->bar_subs[i].fn(in->bar_subs[i].s, bar);
}

static int
setup_instruments(struct trd_trading *t, const struct trd_config *c,
		  struct trd_store *store)
{
	t->ninstr = c->ninstruments;
	t->ins = calloc(t->ninstr, sizeof(*t->ins));
	t->vins = calloc(t->ninstr, sizeof(*t->vins));
	t->ids = calloc(t->ninstr, sizeof(*t->ids));
	if (t->ins == NULL || t->vins == NULL || t->ids == NULL)
		return -1;
	for (size_t i = 0; i < t->ninstr; i++) {
		const struct trd_instrument_conf *ic = &c->instruments[i];
		struct trd_instrument st;
		if (trd_store_instrument_need(store, ic->symbol, &st) != 0)
			return -1;
		if (st.price_dp != ic->price_dp || st.qty_dp != ic->qty_dp) {
			log_error("instrument %s: the store holds it with "
				  "price_dp %u, qty_dp %u but the config says "
				  "%u, %u", ic->symbol, st.price_dp, st.qty_dp,
				  ic->price_dp, ic->qty_dp);
			return -1;
		}
		strcpy(t->ins[i].symbol, ic->symbol);
		t->ins[i].store_id = st.id;
		t->ins[i].price_dp = ic->price_dp;
		t->ins[i].qty_dp = ic->qty_dp;
		t->ins[i].tick = ic->tick_size;
		t->ins[i].lot = ic->lot_size;
		t->ins[i].shortable = ic->shortable;
		t->vins[i].tick = ic->tick_size;
		t->vins[i].lot = ic->lot_size;
		t->vins[i].allow_short = ic->shortable;
		if (trd_fset_new(&t->ins[i].fs, ic->price_dp, ic->qty_dp,
				 c->features.history) != 0)
			return -1;
		t->ids[i] = st.id;
		if (st.id > t->max_id)
			t->max_id = st.id;
	}
	t->ins_by_id = malloc(((size_t)t->max_id + 1) * sizeof(uint32_t));
	if (t->ins_by_id == NULL)
		return -1;
	memset(t->ins_by_id, 0xff, ((size_t)t->max_id + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < t->ninstr; i++)
		t->ins_by_id[t->ins[i].store_id] = (uint32_t)i;
	return 0;
}

static int
setup_risk(struct trd_trading *t, const struct trd_config *c)
{
	struct trd_risk_instr *ri = calloc(t->ninstr ? t->ninstr : 1,
					   sizeof(*ri));
	int rc;

	if (ri == NULL)
		return -1;
	for (size_t i = 0; i < t->ninstr; i++)
		ri[i] = (struct trd_risk_instr){
			.tick = t->ins[i].tick, .lot = t->ins[i].lot,
			.min_notional = c->instruments[i].min_notional,
			.max_order_qty = c->instruments[i].max_order_qty };
	rc = trd_risk_init(&t->risk, &c->risk, &t->pf, &t->oms, ri, t->ninstr,
			   t->nstrat ? t->nstrat : 1);
	free(ri);
	return rc == 0 ? 0 : -1;
}

static size_t
instr_index(const struct trd_trading *t, const char *sym)
{
	for (size_t i = 0; i < t->ninstr; i++)
		if (strcmp(t->ins[i].symbol, sym) == 0)
			return i;
	return SIZE_MAX; /* the config checked every symbol */
}

static int
setup_strategy(struct trd_trading *t, const struct trd_config *c, size_t k)
{
	const struct trd_strategy_conf *sc = &c->strategies[k];
	struct trd_strategy *s = &t->strats[k];

	s->trading = t;
	s->idx = k;
	snprintf(s->name, sizeof(s->name), "%s", sc->name);
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/%s.so",
			     c->plugin_dir, sc->plugin) >= sizeof(s->path)) {
		log_error("strategy %s: plugin path too long", s->name);
		return -1;
	}
	s->ninstr = sc->nsymbols;
	s->instr = calloc(s->ninstr, sizeof(*s->instr));
	s->ins_idx = calloc(s->ninstr, sizeof(*s->ins_idx));
	if (s->instr == NULL || s->ins_idx == NULL ||
	    trd_params_dup(sc->params, sc->nparams, &s->params) != 0)
		return -1;
	s->nparams = sc->nparams;
	if (trd_plugin_load(s) != 0)
		return -1;
	for (size_t j = 0; j < sc->nsymbols; j++) {
		size_t i = instr_index(t, sc->symbols[j]);
		struct trd_session_instr *in;
		size_t *subs;
		if (i == SIZE_MAX)
			return -1;
		in = &t->ins[i];
		s->ins_idx[j] = (uint32_t)i;
		s->instr[j] = (struct trd_instrument_info){
			.size = sizeof(s->instr[j]), .sym = in->store_id,
			.symbol = in->symbol, .price_dp = in->price_dp,
			.qty_dp = in->qty_dp, .tick_size = in->tick,
			.lot_size = in->lot, .shortable = (uint8_t)in->shortable };
		/* The strategy's configured features, on each of its
		 * symbols; shared with any other strategy asking. */
		for (size_t f = 0; f < sc->nfeatures; f++) {
			char err[256];
			if (trd_fset_add(in->fs, sc->features[f], err,
					 sizeof(err)) == NULL) {
				log_error("strategy %s (line %d): %s", s->name,
					  sc->line, err);
				return -1;
			}
		}
		subs = realloc(in->strats, (in->nstrats + 1) * sizeof(*subs));
		if (subs == NULL)
			return -1;
		in->strats = subs;
		in->strats[in->nstrats++] = k;
		if (s->p->on_bar != NULL) {
			struct trd_bar_sub *b = realloc(
				in->bar_subs,
				(in->nbar_subs + 1) * sizeof(*b));
			if (b == NULL)
				return -1;
			in->bar_subs = b;
			b[in->nbar_subs++] = (struct trd_bar_sub){
				s->p->on_bar, s };
		}
	}
	return 0;
}

int
trd_trading_init(struct trd_trading *t, struct trd_engine *e,
		 const struct trd_config *c, struct trd_store *store,
		 const char *report_dir)
{
	uint8_t *pdp = NULL, *qdp = NULL;
	const char **names = NULL;
	struct trd_report_instr *ri = NULL;
	int rc = -1;

	*t = (struct trd_trading){ .engine = e, .tf_s = c->replay.timeframe_s };
	if (setup_instruments(t, c, store) != 0)
		goto out;
	pdp = calloc(t->ninstr, 1);
	qdp = calloc(t->ninstr, 1);
	if (pdp == NULL || qdp == NULL)
		goto out;
	for (size_t i = 0; i < t->ninstr; i++) {
		pdp[i] = t->ins[i].price_dp;
		qdp[i] = t->ins[i].qty_dp;
	}
	t->nstrat = c->nstrategies;
	if (trd_portfolio_init(&t->pf, c->account.cash, t->nstrat ? t->nstrat : 1,
			       t->ninstr, pdp, qdp) != 0 ||
	    trd_oms_init(&t->oms, t->ninstr) != 0 ||
	    trd_venue_init(&t->venue, &t->oms, &t->pf, t->vins, t->ninstr,
			   c->venue.fee_bps, c->venue.slippage_bps) != 0)
		goto out;
	t->venue.participation_ppm = c->venue.participation;
	t->venue.submit_latency_ns =
		(int64_t)c->venue.submit_latency_ms * TRD_NS_PER_MS;
	t->venue.cancel_latency_ns =
		(int64_t)c->venue.cancel_latency_ms * TRD_NS_PER_MS;
	t->venue.intrabar = c->venue.intrabar;
	if (setup_risk(t, c) != 0)
		goto out;
	t->pf.on_trade = trade_cb;
	t->pf.arg = t;
	t->oms.on_update = order_update_cb;
	t->oms.arg = t;
	t->venue.on_fill = fill_cb;
	t->venue.arg = t;

	t->strats = calloc(t->nstrat ? t->nstrat : 1, sizeof(*t->strats));
	if (t->strats == NULL)
		goto out;
	for (size_t k = 0; k < t->nstrat; k++)
		if (setup_strategy(t, c, k) != 0)
			goto out;

	/* The report exists before init so orders placed there are kept. */
	names = calloc(t->nstrat ? t->nstrat : 1, sizeof(*names));
	ri = calloc(t->ninstr, sizeof(*ri));
	t->report_dir = strdup(report_dir ? report_dir : c->report_dir);
	if (names == NULL || ri == NULL || t->report_dir == NULL)
		goto out;
	for (size_t k = 0; k < t->nstrat; k++)
		names[k] = t->strats[k].name;
	for (size_t i = 0; i < t->ninstr; i++)
		ri[i] = (struct trd_report_instr){ t->ins[i].symbol,
						   t->ins[i].price_dp,
						   t->ins[i].qty_dp };
	{
		struct trd_report_meta m = {
			.dir = t->report_dir, .initial_cash = c->account.cash,
			.tf_s = t->tf_s,
			.equity_interval_s = c->report.equity_interval_s,
			.instr = ri, .ninstr = t->ninstr,
			.strategies = names, .nstrat = t->nstrat };
		if (trd_report_open(&t->report, &m) != 0)
			goto out;
	}
	for (size_t k = 0; k < t->nstrat; k++)
		if (trd_plugin_init(&t->strats[k]) != 0)
			goto out;
	if (trd_engine_subscribe(e, event_cb, t) != 0)
		goto out;
	rc = 0;
out:
	free(pdp);
	free(qdp);
	if (rc != 0) {
		trd_trading_free(t);
		free(names);
		free(ri);
	} else {
		/* The report keeps pointers to these until it finishes. */
		t->report_names = names;
		t->report_instr = ri;
	}
	return rc;
}

int
trd_trading_finish(struct trd_trading *t)
{
	int rc;

	struct trd_report_trip *trips;
	struct trd_report_risk risk;

	if (t->have_sample)
		sample(t);
	/* What has reached the venue by the end (cancels, expiries) is
	 * applied, so the report shows the orders as they stand. */
	trd_venue_finish(&t->venue, trd_clock_now(&t->engine->clock));
	for (size_t k = 0; k < t->nstrat; k++)
		trd_plugin_unload(&t->strats[k]);
	trips = calloc(t->risk.ntrips ? t->risk.ntrips : 1, sizeof(*trips));
	if (trips == NULL) {
		trd_report_abort(t->report);
		t->report = NULL;
		return -1;
	}
	for (size_t i = 0; i < t->risk.ntrips; i++)
		trips[i] = (struct trd_report_trip){ t->risk.trips[i].ts_ns,
						     t->risk.trips[i].reason };
	risk = (struct trd_report_risk){ t->risk.halted, trips,
					 t->risk.ntrips };
	rc = trd_report_finish(t->report, &t->oms, t->pf.fees, &risk);
	free(trips);
	t->report = NULL;
	return rc == 0 ? 0 : -1;
}

/* Carry out a trip risk has recorded: see trd_trading_halt. */
static void
carry_out_trip(struct trd_trading *t)
{
	int64_t now = trd_clock_now(&t->engine->clock);
	const struct trd_risk_trip *tr = &t->risk.trips[t->risk.ntrips - 1];
	char why[TRD_RISK_REASON_MAX + 16];

	log_warn("kill switch: %s; canceling every open order%s", tr->reason,
		 t->risk.c.on_trip == TRD_TRIP_FLATTEN
			 ? " and closing every position" : "");
	snprintf(why, sizeof(why), "kill switch: %s", tr->reason);
	for (size_t i = 0; i < t->ninstr; i++)
		cancel_listed(t, i, why, now, INT64_MAX, 0);
	if (t->risk.c.on_trip != TRD_TRIP_FLATTEN)
		return;
	for (size_t k = 0; k < t->nstrat; k++) {
		for (size_t i = 0; i < t->ninstr; i++) {
			int64_t q = trd_portfolio_pos(&t->pf, k, i)->qty;
			struct trd_order *o;
			if (q == 0)
				continue;
			/* The kill switch's own exits: reduce-only market
			 * orders, in the strategy's name, past the
			 * pre-trade checks (they only reduce). */
			o = trd_oms_create(&t->oms, (uint32_t)k, (uint32_t)i,
					   q > 0 ? TRD_SIDE_SELL : TRD_SIDE_BUY,
					   TRD_ORDER_MARKET, q > 0 ? q : -q, 0,
					   0, now);
			if (o == NULL) {
				log_error("kill switch: out of memory "
					  "flattening %s", t->ins[i].symbol);
				continue;
			}
			o->flags = TRD_ORDER_REDUCE_ONLY;
			o->seq = ++t->strats[k].norders;
			trd_venue_submit(&t->venue, o, now);
		}
	}
}

void
trd_trading_halt(struct trd_trading *t, const char *reason)
{
	if (trd_risk_halt(&t->risk, trd_clock_now(&t->engine->clock), reason))
		carry_out_trip(t);
}

void
trd_trading_resume(struct trd_trading *t)
{
	if (!t->risk.halted)
		return;
	trd_risk_resume(&t->risk, trd_portfolio_equity(&t->pf));
	log_warn("kill switch off: trading resumed by the operator");
}

void
trd_trading_reload(struct trd_trading *t, const struct trd_config *c)
{
	trd_risk_set(&t->risk, &c->risk);
	for (size_t k = 0; k < t->nstrat && k < c->nstrategies; k++) {
		struct trd_strategy *s = &t->strats[k];
		const struct trd_strategy_conf *sc = &c->strategies[k];
		struct trd_param *np;
		struct trd_params p;
		char err[256] = "";

		if (!s->initialised || s->p->on_reload == NULL ||
		    trd_params_dup(sc->params, sc->nparams, &np) != 0)
			continue;
		p = (struct trd_params){ sizeof(p), sc->nparams, np };
		if (s->p->on_reload(s, &p, err, sizeof(err)) != 0) {
			err[sizeof(err) - 1] = '\0';
			log_error("strategy %s refused the new params: %s; "
				  "keeping the old ones", s->name,
				  err[0] ? err : "(no reason given)");
			trd_params_free(np, sc->nparams);
			continue;
		}
		trd_params_free(s->params, s->nparams);
		s->params = np;
		s->nparams = sc->nparams;
		log_info("strategy %s: new params in effect", s->name);
	}
}

const uint32_t *
trd_trading_ids(struct trd_trading *t)
{
	return t->ids;
}

void
trd_trading_free(struct trd_trading *t)
{
	if (t->strats)
		for (size_t k = 0; k < t->nstrat; k++) {
			trd_plugin_unload(&t->strats[k]);
			free(t->strats[k].instr);
			free(t->strats[k].ins_idx);
		}
	free(t->strats);
	if (t->report)
		trd_report_abort(t->report);
	for (size_t i = 0; t->ins && i < t->ninstr; i++) {
		free(t->ins[i].strats);
		free(t->ins[i].bar_subs);
		trd_fset_free(t->ins[i].fs);
	}
	free(t->ins);
	free(t->vins);
	free(t->ids);
	free(t->ins_by_id);
	free(t->report_dir);
	free(t->report_names);
	free(t->report_instr);
	trd_venue_free(&t->venue);
	trd_risk_free(&t->risk);
	trd_oms_free(&t->oms);
	trd_portfolio_free(&t->pf);
	*t = (struct trd_trading){ 0 };
}
