/*
 * admin_show: the show commands.  They read the session, the engine and
 * the feed and change nothing.  Money is shown exactly (decimals as
 * strings, in JSON too); times are ISO 8601 UTC; ages are seconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_int.h"
#include "engine.h"
#include "feature.h"
#include "feed.h"
#include "feed_live.h"
#include "host.h"
#include "session.h"
#include "version.h"

static int
no_args(struct cmd *c, int argc, const char *usage)
{
	if (argc == 0)
		return 1;
	trd__admin_err(c, "BAD_ARGUMENT", "usage: %s", usage);
	return 0;
}

static double
age_s(int64_t ns)
{
	return ns < 0 ? NAN : (double)ns / 1e9;
}

/* Largest age since the last message over the feed's connections, and
 * how many are open. */
static void
feed_summary(struct trd_source *f, size_t *open, size_t *n, double *worst)
{
	struct trd_feed_conn_info ci[64];
	size_t k = trd_feed_live_conns(f, ci, 64);

	*open = 0;
	*n = k;
	*worst = NAN;
	for (size_t i = 0; i < k && i < 64; i++) {
		double a = age_s(ci[i].last_age_ns);
		*open += strcmp(ci[i].state, "open") == 0;
		if (!isnan(a) && (isnan(*worst) || a > *worst))
			*worst = a;
	}
}

void
trd__admin_show_info(struct cmd *c, int argc, char **argv)
{
	struct trd_admin_env *env = c->env;
	struct trd_engine *e = env->engine;
	struct trd_session *t = env->session;
	int64_t now = trd_clock_mono_ns();

	(void)argv;
	if (!no_args(c, argc, "show info"))
		return;
	trd_out_str(&c->o, "version", trd_version);
	trd_out_str(&c->o, "build", trd_build);
	trd_out_str(&c->o, "mode", env->mode);
	trd_out_int(&c->o, "pid", (int64_t)getpid());
	trd_out_time(&c->o, "started", env->start_wall_ns);
	trd_out_dbl(&c->o, "uptime_s",
		    (double)((now - env->start_mono_ns) / 1000000) / 1e3);
	trd_out_str(&c->o, "config", env->conf->path);
	trd_out_uint(&c->o, "generation", env->conf->generation);
	trd_out_uint(&c->o, "reloads", env->reloads);
	trd_out_uint(&c->o, "reload_failures", env->reload_failures);
	trd_out_time(&c->o, "last_reload", env->reload_wall_ns);
	trd_out_str(&c->o, "last_reload_error",
		    env->reload_error[0] ? env->reload_error : NULL);
	if (e) {
		trd_out_time(&c->o, "clock", trd_clock_now(&e->clock));
		trd_out_str(&c->o, "engine",
			    e->state == TRD_ENGINE_RUNNING ? "running"
			    : e->state == TRD_ENGINE_DONE  ? "done"
							   : "idle");
		trd_out_uint(&c->o, "events", e->stats.events);
		if (e->mode == TRD_ENGINE_REPLAY) {
			char sp[32];
			if (e->speed == 0)
				snprintf(sp, sizeof(sp), "max");
			else
				snprintf(sp, sizeof(sp), "%gx", e->speed);
			trd_out_str(&c->o, "speed", sp);
		}
	}
	if (env->feed) {
		size_t open, n;
		double worst;
		feed_summary(env->feed, &open, &n, &worst);
		trd_out_str(&c->o, "feed", trd_feed_live_feed(env->feed)->c
						   ->ws_url);
		trd_out_str(&c->o, "feed_state",
			    open == n && n > 0 ? "connected"
			    : open > 0	      ? "partly connected"
					      : "disconnected");
		trd_out_uint(&c->o, "feed_connections", n);
		trd_out_uint(&c->o, "feed_open", open);
		trd_out_dbl(&c->o, "feed_last_message_age_s", worst);
	}
	trd_out_uint(&c->o, "instruments", env->conf->ninstruments);
	trd_out_uint(&c->o, "strategies", t ? t->nstrat : 0);
	trd_out_bool(&c->o, "halted", t && t->risk.halted);
	trd_out_str(&c->o, "metrics", env->metrics_addr[0] ? env->metrics_addr
							   : NULL);
	trd_out_uint(&c->o, "admin_clients", c->a ? trd_admin_nclients(c->a)
						  : 0);
}

void
trd__admin_show_positions(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t;
	const struct trd_portfolio *pf;

	(void)argv;
	if (!no_args(c, argc, "show positions") ||
	    (t = trd__admin_session(c)) == NULL)
		return;
	pf = &t->pf;
	trd_out_list(&c->o, "positions");
	for (size_t k = 0; k < t->nstrat; k++) {
		for (size_t i = 0; i < t->ninstr; i++) {
			const struct trd_position *p = trd_portfolio_pos(pf, k,
									 i);
			const struct trd_instr *in = &t->reg.v[i];
			int64_t value;
			if (p->qty == 0)
				continue;
			value = trd_portfolio_notional(pf, i, pf->ins[i].last,
						       p->qty,
						       TRD_ROUND_NEAREST);
			trd_out_rec(&c->o);
			trd_out_str(&c->o, "strategy", t->strats[k].name);
			trd_out_str(&c->o, "symbol", in->symbol);
			trd_out_dec(&c->o, "qty", p->qty, in->qty_dp);
			trd_out_dec(&c->o, "last", pf->ins[i].last,
				    in->price_dp);
			trd_out_dec(&c->o, "cost", p->cost, TRD_CASH_DP);
			trd_out_dec(&c->o, "value", value, TRD_CASH_DP);
			trd_out_dec(&c->o, "unrealized", value - p->cost,
				    TRD_CASH_DP);
			trd_out_dec(&c->o, "realized", p->realized,
				    TRD_CASH_DP);
		}
	}
	trd_out_list_end(&c->o);
}

static void
order_rec(struct cmd *c, const struct trd_session *t,
	  const struct trd_order *o, int64_t now)
{
	const struct trd_instr *in = &t->reg.v[o->ins];

	trd_out_rec(&c->o);
	trd_out_uint(&c->o, "id", o->id);
	trd_out_str(&c->o, "client_id", o->client_id);
	trd_out_str(&c->o, "strategy", t->strats[o->strat].name);
	trd_out_str(&c->o, "symbol", in->symbol);
	trd_out_str(&c->o, "side", trd__admin_side(o->side));
	trd_out_str(&c->o, "type", trd__admin_type(o->type));
	trd_out_dec(&c->o, "qty", o->qty, in->qty_dp);
	trd_out_dec(&c->o, "filled", o->filled, in->qty_dp);
	if (o->type == TRD_ORDER_MARKET || o->type == TRD_ORDER_STOP ||
	    o->type == TRD_ORDER_TRAILING_STOP)
		trd_out_str(&c->o, "price", NULL);
	else
		trd_out_dec(&c->o, "price", o->price, in->price_dp);
	trd_out_str(&c->o, "status", trd__admin_status(o->status));
	trd_out_dbl(&c->o, "age_s",
		    (double)((now - o->submit_ns) / 1000000) / 1e3);
	trd_out_str(&c->o, "reason", o->reason[0] ? o->reason : NULL);
}

void
trd__admin_show_orders(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t;
	int all = 0;
	int64_t ins = -1, now;

	if ((t = trd__admin_session(c)) == NULL)
		return;
	if (argc > 0 && (strcmp(argv[0], "open") == 0 ||
			 strcmp(argv[0], "all") == 0)) {
		all = strcmp(argv[0], "all") == 0;
		argc--;
		argv++;
	}
	if (argc > 1) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: show orders "
			       "[open|all] [SYMBOL]");
		return;
	}
	if (argc == 1 && (ins = trd__admin_instr(c, argv[0])) < 0)
		return;
	now = trd_clock_now(&t->engine->clock);
	trd_out_list(&c->o, "orders");
	/* Closed ones first (oldest first), then the open ones. */
	for (const struct trd_order *o = all ? t->oms.retired_head : NULL; o;
	     o = o->next_open)
		if (ins < 0 || o->ins == (uint64_t)ins)
			order_rec(c, t, o, now);
	for (const struct trd_order *o = t->oms.open_head; o; o = o->next_open)
		if (ins < 0 || o->ins == (uint64_t)ins)
			order_rec(c, t, o, now);
	trd_out_list_end(&c->o);
}

void
trd__admin_show_fills(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t;
	struct trd_admin *a = c->a;
	unsigned long n = 20;
	uint64_t have;

	if ((t = trd__admin_session(c)) == NULL)
		return;
	if (argc > 1 || (argc == 1 && (trd_param_int(argv[0], 1, 1000000) <
				       0))) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: show fills [N], N "
			       "from 1");
		return;
	}
	if (argc == 1)
		n = (unsigned long)trd_param_int(argv[0], 1, 1000000);
	have = a ? (a->nfills < TRD_ADMIN_FILLS ? a->nfills : TRD_ADMIN_FILLS)
		 : 0;
	if (n > have)
		n = (unsigned long)have;
	trd_out_list(&c->o, "fills");
	for (uint64_t j = a ? a->nfills - n : 0; a && j < a->nfills; j++) {
		const struct trd_admin_fill *f = &a->fills[j % TRD_ADMIN_FILLS];
		const struct trd_instr *in = &t->reg.v[f->ins];
		trd_out_rec(&c->o);
		trd_out_time(&c->o, "time", f->ts_ns);
		trd_out_uint(&c->o, "order", f->order_id);
		trd_out_str(&c->o, "strategy", t->strats[f->strat].name);
		trd_out_str(&c->o, "symbol", in->symbol);
		trd_out_str(&c->o, "side", trd__admin_side(f->side));
		trd_out_dec(&c->o, "qty", f->qty, in->qty_dp);
		trd_out_dec(&c->o, "price", f->price, in->price_dp);
		trd_out_dec(&c->o, "fee", f->fee, TRD_CASH_DP);
	}
	trd_out_list_end(&c->o);
}

/* A strategy's realized, fees and unrealized (marked at the last). */
static void
strategy_pnl(const struct trd_session *t, size_t k, int64_t *real,
	     int64_t *fees, int64_t *open)
{
	*real = *fees = *open = 0;
	for (size_t i = 0; i < t->ninstr; i++) {
		const struct trd_position *p = trd_portfolio_pos(&t->pf, k, i);
		*real += p->realized;
		*fees += p->fees;
		if (p->qty != 0)
			*open += trd_portfolio_notional(&t->pf, i,
							t->pf.ins[i].last,
							p->qty,
							TRD_ROUND_NEAREST) -
				 p->cost;
	}
}

/* Percent of a drop from ref to v (0 when ref <= 0). */
static double
drop_pct(int64_t ref, int64_t v)
{
	return ref > 0 && v < ref ? 100.0 * (double)(ref - v) / (double)ref
				  : 0.0;
}

void
trd__admin_show_pnl(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t;
	int64_t eq, real = 0, fees = 0, open = 0;

	(void)argv;
	if (!no_args(c, argc, "show pnl") ||
	    (t = trd__admin_session(c)) == NULL)
		return;
	eq = trd_portfolio_equity(&t->pf);
	for (size_t k = 0; k < t->nstrat; k++) {
		int64_t r, f, u;
		strategy_pnl(t, k, &r, &f, &u);
		real += r;
		fees += f;
		open += u;
	}
	trd_out_dec(&c->o, "equity", eq, TRD_CASH_DP);
	trd_out_dec(&c->o, "cash", t->pf.cash, TRD_CASH_DP);
	trd_out_dec(&c->o, "initial_cash", t->pf.initial_cash, TRD_CASH_DP);
	trd_out_dec(&c->o, "return", eq - t->pf.initial_cash, TRD_CASH_DP);
	trd_out_dec(&c->o, "realized", real, TRD_CASH_DP);
	trd_out_dec(&c->o, "unrealized", open, TRD_CASH_DP);
	trd_out_dec(&c->o, "fees", fees, TRD_CASH_DP);
	trd_out_dec(&c->o, "peak_equity", t->risk.have_eq ? t->risk.peak : eq,
		    TRD_CASH_DP);
	trd_out_dbl(&c->o, "drawdown_pct",
		    t->risk.have_eq ? drop_pct(t->risk.peak, eq) : 0.0);
	trd_out_dec(&c->o, "day_start_equity",
		    t->risk.have_eq ? t->risk.day_start : eq, TRD_CASH_DP);
	trd_out_dec(&c->o, "day_pnl",
		    t->risk.have_eq ? eq - t->risk.day_start : 0, TRD_CASH_DP);
	trd_out_list(&c->o, "strategies");
	for (size_t k = 0; k < t->nstrat; k++) {
		int64_t r, f, u;
		strategy_pnl(t, k, &r, &f, &u);
		trd_out_rec(&c->o);
		trd_out_str(&c->o, "strategy", t->strats[k].name);
		trd_out_dec(&c->o, "realized", r, TRD_CASH_DP);
		trd_out_dec(&c->o, "unrealized", u, TRD_CASH_DP);
		trd_out_dec(&c->o, "fees", f, TRD_CASH_DP);
		trd_out_dec(&c->o, "net", r + u - f, TRD_CASH_DP);
	}
	trd_out_list_end(&c->o);
}

/* One limit: its setting (0: none) and what is used of it now. */
static void
limit_rec(struct cmd *c, const char *name, int64_t limit, int64_t used,
	  int dp)
{
	trd_out_rec(&c->o);
	trd_out_str(&c->o, "limit", name);
	if (limit == 0)
		trd_out_str(&c->o, "setting", NULL);
	else
		trd_out_dec(&c->o, "setting", limit, dp);
	trd_out_dec(&c->o, "used", used, dp);
	trd_out_dbl(&c->o, "used_pct",
		    limit > 0 ? 100.0 * (double)used / (double)limit : NAN);
}

void
trd__admin_show_risk(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t;
	const struct trd_risk_conf *rc;
	int64_t gross = 0, maxpos = 0, eq, dd_bps = 0, day_bps = 0;
	uint64_t stale = 0;

	(void)argv;
	if (!no_args(c, argc, "show risk") ||
	    (t = trd__admin_session(c)) == NULL)
		return;
	rc = &t->risk.c;
	for (size_t i = 0; i < t->ninstr; i++) {
		int64_t v = t->pf.ins[i].mtm < 0 ? -t->pf.ins[i].mtm
						  : t->pf.ins[i].mtm;
		gross += v;
		if (v > maxpos)
			maxpos = v;
		stale += t->risk.ins[i].stale != 0;
	}
	eq = trd_portfolio_equity(&t->pf);
	if (t->risk.have_eq) {
		dd_bps = (int64_t)(drop_pct(t->risk.peak, eq) * 1e4);
		day_bps = (int64_t)(drop_pct(t->risk.day_start, eq) * 1e4);
	}
	trd_out_bool(&c->o, "halted", t->risk.halted);
	trd_out_str(&c->o, "on_trip", rc->on_trip == TRD_TRIP_FLATTEN
					      ? "flatten" : "cancel");
	trd_out_uint(&c->o, "stale_symbols", stale);
	trd_out_list(&c->o, "limits");
	limit_rec(c, "max_open_orders", rc->max_open_orders,
		  (int64_t)t->oms.nopen, 0);
	limit_rec(c, "max_order_notional", rc->max_order_notional, 0,
		  TRD_CASH_DP);
	limit_rec(c, "max_position_notional", rc->max_position_notional,
		  maxpos, TRD_CASH_DP);
	limit_rec(c, "max_gross_exposure", rc->max_gross_exposure, gross,
		  TRD_CASH_DP);
	limit_rec(c, "max_open_trades", rc->max_open_trades,
		  (int64_t)t->pf.nexposed, 0);
	limit_rec(c, "max_drawdown_pct", rc->max_drawdown_pct, dd_bps,
		  TRD_BPS_DP);
	limit_rec(c, "daily_loss_pct", rc->daily_loss_pct, day_bps,
		  TRD_BPS_DP);
	limit_rec(c, "orders_per_second", rc->orders_per_second, 0, 3);
	limit_rec(c, "stale_data_s", rc->stale_data_s, 0, 0);
	limit_rec(c, "max_order_age_s", rc->max_order_age_s, 0, 0);
	trd_out_list_end(&c->o);
	trd_out_list(&c->o, "trips");
	for (size_t i = 0; i < t->risk.ntrips; i++) {
		trd_out_rec(&c->o);
		trd_out_time(&c->o, "time", t->risk.trips[i].ts_ns);
		trd_out_str(&c->o, "reason", t->risk.trips[i].reason);
	}
	trd_out_list_end(&c->o);
}

void
trd__admin_show_strategies(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t;

	(void)argv;
	if (!no_args(c, argc, "show strategies") ||
	    (t = trd__admin_session(c)) == NULL)
		return;
	trd_out_list(&c->o, "strategies");
	for (size_t k = 0; k < t->nstrat; k++) {
		const struct trd_strategy *s = &t->strats[k];
		uint64_t nt = s->nwins + s->nlosses;
		int64_t r, f, u;
		strategy_pnl(t, k, &r, &f, &u);
		trd_out_rec(&c->o);
		trd_out_str(&c->o, "name", s->name);
		trd_out_str(&c->o, "plugin", s->p ? s->p->name : NULL);
		trd_out_str(&c->o, "version", s->p ? s->p->version : NULL);
		trd_out_str(&c->o, "state", !s->initialised ? "stopped"
					    : s->paused	    ? "paused"
							    : "running");
		trd_out_uint(&c->o, "symbols", s->ninstr);
		trd_out_uint(&c->o, "orders", s->norders);
		trd_out_uint(&c->o, "trades", nt);
		trd_out_dbl(&c->o, "win_rate_pct",
			    nt ? 100.0 * (double)s->nwins / (double)nt : NAN);
		trd_out_dec(&c->o, "net", r + u - f, TRD_CASH_DP);
	}
	trd_out_list_end(&c->o);
}

void
trd__admin_show_features(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t;
	const struct trd_config *cf = c->env->conf;
	const char *seen[512];
	size_t nseen = 0;
	int ins;

	if ((t = trd__admin_session(c)) == NULL)
		return;
	if (argc != 1) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: show features SYMBOL");
		return;
	}
	if ((ins = trd__admin_instr(c, argv[0])) < 0)
		return;
	trd_out_str(&c->o, "symbol", argv[0]);
	trd_out_list(&c->o, "features");
	/* The features the session's strategies asked for on it: the
	 * session was built from the same strategies' config. */
	for (size_t k = 0; k < t->nstrat && k < cf->nstrategies; k++) {
		const struct trd_strategy_conf *sc = &cf->strategies[k];
		int trades = 0;
		for (size_t j = 0; j < sc->nsymbols; j++)
			trades |= strcmp(sc->symbols[j], argv[0]) == 0;
		for (size_t j = 0; trades && j < sc->nfeatures; j++) {
			const double *v;
			char err[256];
			size_t m;
			for (m = 0; m < nseen; m++)
				if (strcmp(seen[m], sc->features[j]) == 0)
					break;
			if (m < nseen || nseen == 512)
				continue;
			seen[nseen++] = sc->features[j];
			/* Already in the set: this finds it, adds nothing. */
			v = trd_fset_add(t->ins[ins].fs, sc->features[j], err,
					 sizeof(err));
			trd_out_rec(&c->o);
			trd_out_str(&c->o, "feature", sc->features[j]);
			trd_out_dbl(&c->o, "value", v ? *v : NAN);
			trd_out_str(&c->o, "strategy", sc->name);
		}
	}
	trd_out_list_end(&c->o);
}

void
trd__admin_show_feeds(struct cmd *c, int argc, char **argv)
{
	struct trd_source *f = c->env->feed;
	struct trd_feed_conn_info ci[256];
	const struct trd_feed *fd;
	const struct trd_feed_live_stats *ls;
	int64_t now;
	size_t n;

	(void)argv;
	if (!no_args(c, argc, "show feeds"))
		return;
	if (f == NULL) {
		trd__admin_err(c, "NOT_AVAILABLE", "no live feed (mode %s)",
			       c->env->mode);
		return;
	}
	fd = trd_feed_live_feed(f);
	ls = trd_feed_live_stats(f);
	trd_out_str(&c->o, "url", fd->c->ws_url);
	trd_out_uint(&c->o, "frames", fd->st.frames);
	trd_out_uint(&c->o, "bytes", fd->st.bytes);
	trd_out_uint(&c->o, "refused", fd->st.refused);
	trd_out_uint(&c->o, "reconnects", ls->reconnects);
	trd_out_uint(&c->o, "rest_requests", ls->rest_requests);
	trd_out_uint(&c->o, "rest_failures", ls->rest_failures);
	trd_out_uint(&c->o, "book_resyncs", fd->st.book_resyncs);
	trd_out_uint(&c->o, "trade_gaps", fd->st.trade_gaps);
	trd_out_uint(&c->o, "bar_gaps", fd->st.bar_gaps);
	trd_out_str(&c->o, "last_refusal",
		    fd->st.last_refusal[0] ? fd->st.last_refusal : NULL);
	n = trd_feed_live_conns(f, ci, 256);
	trd_out_list(&c->o, "connections");
	for (size_t i = 0; i < n && i < 256; i++) {
		trd_out_rec(&c->o);
		trd_out_uint(&c->o, "group", ci[i].group);
		trd_out_uint(&c->o, "conn", ci[i].id);
		trd_out_uint(&c->o, "symbols", ci[i].to - ci[i].from);
		trd_out_str(&c->o, "state", ci[i].state);
		trd_out_dbl(&c->o, "open_s", age_s(ci[i].open_age_ns));
		trd_out_dbl(&c->o, "last_msg_age_s", age_s(ci[i].last_age_ns));
		trd_out_uint(&c->o, "reconnects", ci[i].reconnects);
		trd_out_uint(&c->o, "rotations", ci[i].rotations);
		trd_out_uint(&c->o, "silences", ci[i].silences);
	}
	trd_out_list_end(&c->o);
	now = trd_clock_realtime_ns();
	trd_out_list(&c->o, "symbols");
	for (size_t i = 0; i < fd->n; i++) {
		const struct trd_feed_sym *s = &fd->s[i];
		trd_out_rec(&c->o);
		trd_out_str(&c->o, "symbol", fd->reg->v[i].symbol);
		trd_out_str(&c->o, "state", s->last_data_ns == 0 ? "waiting"
					    : s->stale	       ? "stale"
							       : "live");
		trd_out_dbl(&c->o, "last_data_age_s",
			    s->last_data_ns ? age_s(now - s->last_data_ns)
					    : NAN);
		trd_out_time(&c->o, "last_bar", s->last_bar_ns);
		trd_out_str(&c->o, "book", s->book_want ? "resyncing" : "ok");
	}
	trd_out_list_end(&c->o);
}

void
trd__admin_show_symbols(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t = c->env->session;
	const struct trd_config *cf = c->env->conf;

	(void)argv;
	if (!no_args(c, argc, "show symbols"))
		return;
	trd_out_list(&c->o, "symbols");
	for (size_t i = 0; i < cf->ninstruments; i++) {
		const struct trd_instrument_conf *ic = &cf->instruments[i];
		const struct trd_instr *in = t && i < t->ninstr ? &t->reg.v[i]
								: NULL;
		trd_out_rec(&c->o);
		trd_out_str(&c->o, "symbol", ic->symbol);
		if (in) {
			trd_out_dec(&c->o, "tick", in->tick, in->price_dp);
			trd_out_dec(&c->o, "lot", in->lot, in->qty_dp);
			trd_out_dec(&c->o, "last", t->pf.ins[i].last,
				    in->price_dp);
		} else {
			trd_out_dec(&c->o, "tick", ic->tick_size, ic->price_dp);
			trd_out_dec(&c->o, "lot", ic->lot_size, ic->qty_dp);
			trd_out_str(&c->o, "last", NULL);
		}
	}
	trd_out_list_end(&c->o);
}

/* Each strategy's models: what they are and their drift. */
void
trd__admin_show_models(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t;

	(void)argv;
	if (!no_args(c, argc, "show models") ||
	    (t = trd__admin_session(c)) == NULL)
		return;
	trd_out_list(&c->o, "models");
	for (size_t k = 0; k < t->nstrat; k++) {
		const struct trd_strategy *s = &t->strats[k];
		for (size_t h = 0; h < s->nmodels; h++) {
			const struct trd_strategy_model *sm = &s->models[h];
			double worst = NAN;
			const char *wn = NULL;
			char id[13];
			if (sm->m.nfeat == 0)
				continue;
			for (uint32_t i = 0; i < sm->m.nfeat; i++) {
				double p = trd_host_model_psi(sm, i);
				if (!isnan(p) && (isnan(worst) || p > worst)) {
					worst = p;
					wn = sm->m.names[i];
				}
			}
			snprintf(id, sizeof(id), "%.12s", sm->sha256);
			trd_out_rec(&c->o);
			trd_out_str(&c->o, "strategy", s->name);
			trd_out_str(&c->o, "model", id);
			trd_out_str(&c->o, "symbol",
				    t->reg.v[sm->sym].symbol);
			trd_out_str(&c->o, "label", sm->m.label);
			trd_out_uint(&c->o, "features", sm->m.nfeat);
			trd_out_uint(&c->o, "window", sm->filled);
			trd_out_dbl(&c->o, "psi_score",
				    trd_host_model_psi(sm, sm->m.nfeat));
			trd_out_dbl(&c->o, "psi_max", worst);
			trd_out_str(&c->o, "psi_max_feature", wn);
		}
	}
	trd_out_list_end(&c->o);
}
