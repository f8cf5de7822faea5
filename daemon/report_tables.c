/*
 * report_tables: the report's analytics (report_stats) as report.json's
 * sections and daily.csv, and the tables report_html shows: PnL
 * attribution per strategy and symbol, returns by month and year.
 * Definitions are in README ("Report metrics").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "report_int.h"
#include "timefmt.h"

#define DAY_NS ((int64_t)86400 * TRD_NS_PER_SEC)

static int
pdp_of(const struct trd_report *r, size_t i)
{
	return i < r->ninstr ? r->reg->v[i].price_dp : TRD_DEFAULT_DP;
}

static int
qdp_of(const struct trd_report *r, size_t i)
{
	return i < r->ninstr ? r->reg->v[i].qty_dp : TRD_DEFAULT_DP;
}

/* Strategy k (or every one: k < 0) on instrument i (every one: i < 0).
 * Open positions are marked at the instrument's last close. */
void
trd__attr(const struct trd_report *r, long k, long i, struct attr *a)
{
	const struct rstats *rs = &r->rs;

	memset(a, 0, sizeof(*a));
	for (size_t s = 0; s < rs->nstrat; s++) {
		if (k >= 0 && (size_t)k != s)
			continue;
		for (size_t j = 0; j < rs->ninstr; j++) {
			const struct rs_cell *c = &rs->cell[s * rs->ninstr + j];
			__int128 g;

			if (i >= 0 && (size_t)i != j)
				continue;
			g = c->flow + rs_value(rs->ins[j].last_close, c->pos,
					       pdp_of(r, j), qdp_of(r, j),
					       TRD_ROUND_NEAREST);
			a->gross += g + c->slip;
			a->slip += c->slip;
			a->fees += c->fees;
			a->net += g - c->fees;
			a->fills += c->fills;
			a->trades += c->trades;
			a->wins += c->wins;
			a->open += c->pos != 0;
		}
	}
}

/* Returns by month (yearly 0) or year: the period's last daily equity
 * against the previous period's (the initial cash for the first).
 * *out is malloc'd; returns the count or -1. */
long
trd__periods(const struct trd_report *r, int yearly, struct period **out)
{
	const struct rstats *rs = &r->rs;
	struct period *p = calloc(rs->ndays ? rs->ndays : 1, sizeof(*p));
	double start = (double)r->initial;
	long n = 0;

	*out = p;
	if (p == NULL)
		return -1;
	for (size_t i = 0; i < rs->ndays; i++) {
		int64_t y;
		unsigned m, d;
		int key;

		trd_civil_from_days(rs->days[i].day, &y, &m, &d);
		key = yearly ? (int)y * 100 : (int)y * 100 + (int)m;
		if (n == 0 || p[n - 1].key != key) {
			if (n)
				start = (double)rs->days[i - 1].eq;
			p[n++] = (struct period){ key, (int)y, (int)m, 0, 0 };
		}
		p[n - 1].ret = start > 0 ? (double)rs->days[i].eq / start - 1
					 : NAN;
		p[n - 1].days++;
	}
	return n;
}

static void
num(struct wfile *w, double v)
{
	if (isfinite(v))
		wf_printf(w, "%.10g", v);
	else
		wf_puts(w, "null");
}

static void
money(struct wfile *w, __int128 v)
{
	char b[48];

	trd_dec_format_short128(v, TRD_CASH_DP, b);
	wf_puts(w, b);
}

static void
day_text(int64_t day, char *b)
{
	int64_t y;
	unsigned m, d;

	trd_civil_from_days(day, &y, &m, &d);
	snprintf(b, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

static void
attr_json(struct wfile *w, const struct attr *a)
{
	wf_puts(w, "\"gross_pnl\": ");
	money(w, a->gross);
	wf_puts(w, ", \"slippage\": ");
	money(w, a->slip);
	wf_puts(w, ", \"fees\": ");
	money(w, a->fees);
	wf_puts(w, ", \"net_pnl\": ");
	money(w, a->net);
	wf_printf(w, ", \"fills\": %llu, \"trades\": %llu, \"wins\": %llu, "
		     "\"open_positions\": %llu }",
		  (unsigned long long)a->fills, (unsigned long long)a->trades,
		  (unsigned long long)a->wins, (unsigned long long)a->open);
}

static void
json_attribution(const struct trd_report *r, struct wfile *w)
{
	struct attr a;

	wf_puts(w, "  \"attribution\": {\n    \"total\": { ");
	trd__attr(r, -1, -1, &a);
	attr_json(w, &a);
	wf_puts(w, ",\n    \"strategies\": [");
	for (size_t k = 0; k < r->nstrat; k++) {
		trd__attr(r, (long)k, -1, &a);
		wf_puts(w, k ? ",\n      { \"name\": " : "\n      { \"name\": ");
		wf_json_str(w, strat_name(r, k));
		wf_puts(w, ", ");
		attr_json(w, &a);
	}
	wf_puts(w, r->nstrat ? "\n    ],\n    \"symbols\": [" : "],\n    \"symbols\": [");
	for (size_t i = 0; i < r->ninstr; i++) {
		trd__attr(r, -1, (long)i, &a);
		wf_puts(w, i ? ",\n      { \"symbol\": " : "\n      { \"symbol\": ");
		wf_json_str(w, instr_name(r, i));
		wf_puts(w, ", ");
		attr_json(w, &a);
	}
	wf_puts(w, r->ninstr ? "\n    ]\n  },\n" : "]\n  },\n");
}

static void
json_trade(const struct trd_report *r, struct wfile *w, const char *key,
	   const struct trd_trade_rec *t)
{
	char a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ];

	wf_printf(w, "    \"%s\": { \"strategy\": ", key);
	wf_json_str(w, strat_name(r, t->strat));
	wf_puts(w, ", \"symbol\": ");
	wf_json_str(w, instr_name(r, t->ins));
	wf_printf(w, ", \"side\": \"%s\", \"entry\": \"%s\", \"exit\": \"%s\", "
		     "\"net_pnl\": ",
		  t->side == TRD_SIDE_SELL ? "short" : "long",
		  trd_time_format(t->entry_ns, a), trd_time_format(t->exit_ns, b));
	money(w, (__int128)t->pnl - t->fees);
	wf_puts(w, " }");
}

static double
ratio(__int128 a, __int128 b)
{
	return b != 0 ? (double)a / (double)b : NAN;
}

static void
json_trades(const struct trd_report *r, struct wfile *w, const struct rs_out *o)
{
	const struct rs_trades *t = &r->rs.tr;
	uint64_t losses = t->n - t->wins;
	double aw = t->wins ? (double)t->win_sum / (double)t->wins / 1e8 : NAN;
	double al = losses ? (double)t->loss_sum / (double)losses / 1e8 : NAN;

	wf_printf(w, "  \"trade_stats\": {\n    \"count\": %llu,\n    "
		     "\"wins\": %llu,\n    \"losses\": %llu,\n    \"win_rate\": ",
		  (unsigned long long)t->n, (unsigned long long)t->wins,
		  (unsigned long long)losses);
	num(w, t->n ? (double)t->wins / (double)t->n : NAN);
	wf_puts(w, ",\n    \"average_win\": ");
	num(w, aw);
	wf_puts(w, ",\n    \"average_loss\": ");
	num(w, al);
	wf_puts(w, ",\n    \"expectancy\": ");
	num(w, t->n ? (double)(t->win_sum + t->loss_sum) / (double)t->n / 1e8
		    : NAN);
	wf_puts(w, ",\n    \"payoff_ratio\": ");
	num(w, isfinite(aw) && isfinite(al) && al < 0 ? aw / -al : NAN);
	wf_puts(w, ",\n    \"profit_factor\": ");
	num(w, t->loss_sum < 0 ? ratio(t->win_sum, -t->loss_sum) : NAN);
	wf_printf(w, ",\n    \"longest_winning_streak\": %llu,\n    "
		     "\"longest_losing_streak\": %llu,\n    "
		     "\"average_holding_s\": ",
		  (unsigned long long)t->max_win_streak,
		  (unsigned long long)t->max_loss_streak);
	num(w, t->nhold ? o->hold_mean / 1e9 : NAN);
	wf_puts(w, ",\n    \"median_holding_s\": ");
	num(w, t->nhold ? o->hold_median / 1e9 : NAN);
	wf_printf(w, ",\n    \"long\": { \"count\": %llu, \"wins\": %llu, "
		     "\"net_pnl\": ",
		  (unsigned long long)t->long_n, (unsigned long long)t->long_wins);
	money(w, t->long_net);
	wf_printf(w, " },\n    \"short\": { \"count\": %llu, \"wins\": %llu, "
		     "\"net_pnl\": ",
		  (unsigned long long)t->short_n,
		  (unsigned long long)t->short_wins);
	money(w, t->short_net);
	wf_puts(w, " }");
	if (t->have) {
		wf_puts(w, ",\n");
		json_trade(r, w, "best", &t->best);
		wf_puts(w, ",\n");
		json_trade(r, w, "worst", &t->worst);
	}
	wf_puts(w, "\n  },\n");
}

static void
json_periods(const struct trd_report *r, struct wfile *w)
{
	for (int yearly = 0; yearly < 2; yearly++) {
		struct period *p;
		long n = trd__periods(r, yearly, &p);

		wf_printf(w, "    \"%s\": [", yearly ? "yearly" : "monthly");
		for (long i = 0; i < n; i++) {
			if (yearly)
				wf_printf(w, "%s\n      { \"year\": %d, \"return\": ",
					  i ? "," : "", p[i].y);
			else
				wf_printf(w, "%s\n      { \"month\": \"%04d-%02d\", "
					     "\"return\": ",
					  i ? "," : "", p[i].y, p[i].m);
			num(w, p[i].ret);
			wf_printf(w, ", \"days\": %d }", p[i].days);
		}
		wf_puts(w, n > 0 ? "\n    ]" : "]");
		wf_puts(w, yearly ? "\n" : ",\n");
		free(p);
	}
}

static void
json_time(struct wfile *w, int64_t ns)
{
	char t[TRD_TIME_BUFSZ];

	if (ns == 0)
		wf_puts(w, "null");
	else
		wf_printf(w, "\"%s\"", trd_time_format(ns, t));
}

void
trd__stats_json(const struct trd_report *r, struct wfile *w,
		const struct rs_out *o)
{
	const struct rstats *rs = &r->rs;
	char d[16];

	wf_printf(w, "  \"span\": {\n    \"days_with_data\": %zu,\n    "
		     "\"market_days\": ", o->ndays);
	num(w, (double)o->mkt_ns / (double)DAY_NS);
	wf_printf(w, ",\n    \"calendar\": \"%s\",\n    \"gap_s\": %lld,\n    "
		     "\"gaps\": %llu,\n    \"annualised_from_short_span\": %s\n"
		     "  },\n",
		  rs->calendar == TRD_CAL_WEEKDAYS ? "weekdays" : "24/7",
		  (long long)(rs->gap_ns / TRD_NS_PER_SEC),
		  (unsigned long long)(rs->ngaps + rs->gaps_dropped),
		  o->caveat ? "true" : "false");

	wf_puts(w, "  \"benchmark\": {\n    \"kind\": \"equal-weight buy and "
		   "hold of every instrument\",\n    \"total_return\": ");
	num(w, o->bench_total);
	wf_puts(w, ",\n    \"excess_return\": ");
	num(w, o->excess);
	wf_puts(w, ",\n    \"alpha\": ");
	num(w, o->alpha);
	wf_puts(w, ",\n    \"beta\": ");
	num(w, o->beta);
	wf_puts(w, ",\n    \"correlation\": ");
	num(w, o->corr);
	wf_puts(w, ",\n    \"information_ratio\": ");
	num(w, o->ir);
	wf_puts(w, ",\n    \"instruments\": [");
	for (size_t i = 0; i < rs->ninstr; i++) {
		const struct rs_ins *in = &rs->ins[i];
		wf_puts(w, i ? ",\n      { \"symbol\": " : "\n      { \"symbol\": ");
		wf_json_str(w, instr_name(r, i));
		wf_puts(w, ", \"buy_and_hold_return\": ");
		num(w, in->first_px > 0 ? (double)in->last_close /
							 (double)in->first_px -
						     1
					   : NAN);
		wf_puts(w, " }");
	}
	wf_puts(w, rs->ninstr ? "\n    ]\n  },\n" : "]\n  },\n");

	json_attribution(r, w);
	json_trades(r, w, o);

	wf_puts(w, "  \"returns\": {\n");
	json_periods(r, w);
	wf_puts(w, "  },\n  \"drawdowns\": [");
	for (size_t i = 0; i < rs->ntop; i++) {
		const struct rs_dd *dd = &rs->top[i];
		wf_puts(w, i ? ",\n    { \"start\": " : "\n    { \"start\": ");
		json_time(w, dd->peak_ns);
		wf_puts(w, ", \"trough\": ");
		json_time(w, dd->trough_ns);
		wf_puts(w, ", \"recovery\": ");
		json_time(w, dd->end_ns);
		wf_puts(w, ", \"depth\": ");
		num(w, dd->depth);
		wf_printf(w, ", \"length_s\": %lld }",
			  (long long)(dd->len_ns / TRD_NS_PER_SEC));
	}
	wf_puts(w, rs->ntop ? "\n  ],\n" : "],\n");

	wf_printf(w, "  \"daily\": {\n    \"days\": %zu,\n    "
		     "\"volatility\": ", o->ndays);
	num(w, o->vol);
	wf_puts(w, ",\n    \"skew\": ");
	num(w, o->skew);
	wf_puts(w, ",\n    \"kurtosis\": ");
	num(w, o->kurt);
	wf_puts(w, ",\n    \"var_95\": ");
	num(w, o->var95);
	wf_puts(w, ",\n    \"cvar_95\": ");
	num(w, o->cvar95);
	wf_puts(w, ",\n    \"var_99\": ");
	num(w, o->var99);
	wf_puts(w, ",\n    \"cvar_99\": ");
	num(w, o->cvar99);
	wf_puts(w, ",\n    \"worst_days\": [");
	for (size_t i = 0; i < o->nworst; i++) {
		day_text(rs->days[o->worst[i]].day, d);
		wf_printf(w, "%s\n      { \"date\": \"%s\", \"return\": ",
			  i ? "," : "", d);
		num(w, o->ret[o->worst[i]]);
		wf_puts(w, ", \"benchmark\": ");
		num(w, o->bret[o->worst[i]]);
		wf_puts(w, " }");
	}
	wf_printf(w, "%s,\n    \"benchmark_worst_%d_days\": [",
		  o->nworst ? "\n    ]" : "]", RS_WINDOW);
	for (size_t i = 0; i < o->nbwin; i++) {
		size_t e = o->bwin[i];
		char d2[16];

		day_text(rs->days[e + 1 - RS_WINDOW].day, d);
		day_text(rs->days[e].day, d2);
		wf_printf(w, "%s\n      { \"from\": \"%s\", \"to\": \"%s\", "
			     "\"benchmark\": ",
			  i ? "," : "", d, d2);
		num(w, o->bwin_bench[i]);
		wf_puts(w, ", \"return\": ");
		num(w, o->bwin_ret[i]);
		wf_puts(w, " }");
	}
	wf_puts(w, o->nbwin ? "\n    ]\n  },\n" : "]\n  },\n");
}

void
trd__daily_csv(const struct trd_report *r, struct wfile *w,
	       const struct rs_out *o)
{
	const struct rstats *rs = &r->rs;
	char d[16], e[48];

	wf_puts(w, "date,equity,return,benchmark,benchmark_return,drawdown,"
		   "exposure,rolling_sharpe\n");
	for (size_t i = 0; i < rs->ndays; i++) {
		day_text(rs->days[i].day, d);
		trd_dec_format_short(rs->days[i].eq, TRD_CASH_DP, e);
		const double v[] = { o->ret[i], rs->days[i].bench, o->bret[i],
				     o->dd[i], rs->days[i].exposure,
				     o->roll[i] };
		wf_puts(w, d);
		wf_puts(w, ",");
		wf_puts(w, e);
		for (size_t k = 0; k < 6; k++) {
			wf_puts(w, ",");
			if (isfinite(v[k]))
				wf_fixed(w, v[k], 10);
		}
		wf_puts(w, "\n");
	}
}

/* The run's record, with what only finish knows: the data read and the
 * wall time (last, on a line of its own, so a comparison of two runs can
 * leave it out). */
void
trd__run_json(const struct trd_report *r, struct wfile *w)
{
	const struct rstats *rs = &r->rs;

	wf_puts(w, "  \"run\": {\n");
	wf_write(w, r->run_json.buf, r->run_json.len);
	wf_puts(w, ",\n    \"data\": [");
	for (size_t i = 0; i < rs->ninstr; i++) {
		const struct rs_ins *in = &rs->ins[i];
		wf_puts(w, i ? ",\n      { \"symbol\": " : "\n      { \"symbol\": ");
		wf_json_str(w, instr_name(r, i));
		wf_printf(w, ", \"bars\": %llu, \"first\": ",
			  (unsigned long long)in->nbars);
		json_time(w, in->first_ts);
		wf_puts(w, ", \"last\": ");
		json_time(w, in->last_ts);
		wf_puts(w, " }");
	}
	wf_puts(w, rs->ninstr ? "\n    ],\n    \"data_hash\": "
			      : "],\n    \"data_hash\": ");
	if (rs->have_hash)
		wf_printf(w, "\"%016llx\"", (unsigned long long)rs->hash);
	else
		wf_puts(w, "null");
	if (r->wall_ns >= 0)
		wf_printf(w, ",\n    \"wall_s\": %.3f",
			  (double)r->wall_ns / TRD_NS_PER_SEC);
	wf_puts(w, "\n  },\n");
}
