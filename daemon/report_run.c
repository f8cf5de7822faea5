/*
 * report_run: the record of what produced a report (traderd's version and
 * build, the config file, the settings that shape results: account,
 * venue model, risk limits, instruments, strategies and their params),
 * made once at open as report.json's "run" members and the page's rows.
 * A config holds no secret today; a strategy param whose name says it is
 * one (key, secret, token, password) is written as "(redacted)" anyway.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "decimal.h"
#include "report_int.h"
#include "timefmt.h"
#include "version.h"

static int
secret_name(const char *k)
{
	static const char *const words[] = { "key", "secret", "token",
					     "passw", "passphrase", NULL };
	char low[128];
	size_t n = 0;

	for (; *k && n + 1 < sizeof(low); k++)
		low[n++] = (char)tolower((unsigned char)*k);
	low[n] = '\0';
	for (size_t i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

/* One setting: "key": value in the JSON (raw: already JSON), a row in
 * the html. */
struct out {
	struct wfile *j, *h;
	const char   *sep;
};

static void
item(struct out *o, const char *key, const char *val, int quote)
{
	wf_printf(o->j, "%s    \"%s\": ", o->sep, key);
	if (quote)
		wf_json_str(o->j, val);
	else
		wf_puts(o->j, val);
	o->sep = ",\n";
	wf_printf(o->h, "<tr><th>%s</th><td class=\"txt\">", key);
	wf_html_str(o->h, val);
	wf_puts(o->h, "</td></tr>\n");
}

static void
dec_item(struct out *o, const char *key, int64_t v, int dp)
{
	char b[48];

	trd_dec_format_short(v, dp, b);
	item(o, key, b, 0);
}

static void
time_item(struct out *o, const char *key, int64_t ns, int unset)
{
	char b[TRD_TIME_BUFSZ];

	if (unset)
		item(o, key, "null", 0);
	else
		item(o, key, trd_time_format(ns, b), 1);
}

/* Instruments and strategies: JSON arrays of objects, one html row each. */
static void
instruments(struct out *o, const struct trd_config *c)
{
	char t[48], l[48], m[48];

	wf_printf(o->j, "%s    \"instruments\": [", o->sep);
	for (size_t i = 0; i < c->ninstruments; i++) {
		const struct trd_instrument_conf *in = &c->instruments[i];

		trd_dec_format_short(in->tick_size, in->price_dp, t);
		trd_dec_format_short(in->lot_size, in->qty_dp, l);
		trd_dec_format_short(in->min_notional, TRD_CASH_DP, m);
		wf_puts(o->j, i ? ",\n      { \"symbol\": " : "\n      { \"symbol\": ");
		wf_json_str(o->j, in->symbol);
		wf_puts(o->j, ", \"venue_symbol\": ");
		wf_json_str(o->j, in->venue_symbol[0] ? in->venue_symbol
						      : in->symbol);
		wf_printf(o->j, ", \"tick_size\": %s, \"lot_size\": %s, "
			  "\"min_notional\": %s, \"shortable\": %s }",
			  t, l, m, in->shortable ? "true" : "false");
		wf_puts(o->h, "<tr><th>instrument</th><td class=\"txt\">");
		wf_html_str(o->h, in->symbol);
		wf_printf(o->h, ": tick %s, lot %s, min notional %s%s</td></tr>\n",
			  t, l, m, in->shortable ? ", shortable" : "");
	}
	wf_puts(o->j, c->ninstruments ? "\n    ]" : "]");
	o->sep = ",\n";
}

static void
strategies(struct out *o, const struct trd_config *c)
{
	wf_printf(o->j, "%s    \"strategies\": [", o->sep);
	for (size_t k = 0; k < c->nstrategies; k++) {
		const struct trd_strategy_conf *s = &c->strategies[k];

		wf_puts(o->j, k ? ",\n      { \"name\": " : "\n      { \"name\": ");
		wf_json_str(o->j, s->name);
		wf_puts(o->j, ", \"plugin\": ");
		wf_json_str(o->j, s->plugin);
		wf_puts(o->j, ", \"symbols\": [");
		wf_puts(o->h, "<tr><th>strategy</th><td class=\"txt\">");
		wf_html_str(o->h, s->name);
		wf_puts(o->h, " (");
		wf_html_str(o->h, s->plugin);
		wf_puts(o->h, ") on ");
		for (size_t i = 0; i < s->nsymbols; i++) {
			wf_puts(o->j, i ? ", " : "");
			wf_json_str(o->j, s->symbols[i]);
			wf_puts(o->h, i ? ", " : "");
			wf_html_str(o->h, s->symbols[i]);
		}
		wf_puts(o->j, "], \"params\": {");
		wf_puts(o->h, s->nparams ? "; " : "");
		for (size_t i = 0; i < s->nparams; i++) {
			const char *v = secret_name(s->params[i].key)
						? "(redacted)"
						: s->params[i].value;
			wf_puts(o->j, i ? ", " : " ");
			wf_json_str(o->j, s->params[i].key);
			wf_puts(o->j, ": ");
			wf_json_str(o->j, v);
			wf_puts(o->h, i ? ", " : "");
			wf_html_str(o->h, s->params[i].key);
			wf_puts(o->h, ": ");
			wf_html_str(o->h, v);
		}
		wf_puts(o->j, s->nparams ? " } }" : "} }");
		wf_puts(o->h, "</td></tr>\n");
	}
	wf_puts(o->j, c->nstrategies ? "\n    ]" : "]");
	o->sep = ",\n";
}

static const char *
intrabar_name(int v)
{
	return v == 1 ? "optimistic" : v == 2 ? "ohlc" : "pessimistic";
}

int
trd__run_render(const struct trd_config *c, struct wfile *j, struct wfile *h)
{
	struct out o = { j, h, "" };
	char b[64];
	const struct trd_risk_conf *rk;

	if (wf_mem_open(j) != 0 || wf_mem_open(h) != 0)
		return -1;
	item(&o, "traderd", trd_version, 1);
	item(&o, "build", trd_build, 1);
	if (c == NULL)
		return j->err || h->err ? -1 : 0;
	item(&o, "config", c->path ? c->path : "", 1);
	item(&o, "mode", trd_mode_name(c->mode), 1);
	time_item(&o, "from", c->replay.from_ns,
		  c->replay.from_ns == TRD_TIME_MIN);
	time_item(&o, "to", c->replay.to_ns, c->replay.to_ns == TRD_TIME_MAX);
	snprintf(b, sizeof(b), "%u", c->replay.timeframe_s);
	item(&o, "timeframe_s", b, 0);
	dec_item(&o, "cash", c->account.cash, TRD_CASH_DP);
	dec_item(&o, "fee_bps", c->venue.fee_bps, TRD_BPS_DP);
	dec_item(&o, "slippage_bps", c->venue.slippage_bps, TRD_BPS_DP);
	dec_item(&o, "participation", c->venue.participation, 6);
	snprintf(b, sizeof(b), "%u", c->venue.submit_latency_ms);
	item(&o, "submit_latency_ms", b, 0);
	snprintf(b, sizeof(b), "%u", c->venue.cancel_latency_ms);
	item(&o, "cancel_latency_ms", b, 0);
	item(&o, "intrabar", intrabar_name(c->venue.intrabar), 1);
	snprintf(b, sizeof(b), "%llu", (unsigned long long)c->venue.seed);
	item(&o, "seed", b, 0);
	item(&o, "calendar",
	     c->report.calendar == TRD_CAL_WEEKDAYS ? "weekdays" : "24/7", 1);
	rk = &c->risk;
	/* The limits set (0 is none). */
	if (rk->max_order_notional)
		dec_item(&o, "risk.max_order_notional", rk->max_order_notional,
			 TRD_CASH_DP);
	if (rk->max_position_notional)
		dec_item(&o, "risk.max_position_notional",
			 rk->max_position_notional, TRD_CASH_DP);
	if (rk->max_gross_exposure)
		dec_item(&o, "risk.max_gross_exposure", rk->max_gross_exposure,
			 TRD_CASH_DP);
	if (rk->max_drawdown_pct)
		dec_item(&o, "risk.max_drawdown_pct", rk->max_drawdown_pct,
			 TRD_BPS_DP);
	if (rk->daily_loss_pct)
		dec_item(&o, "risk.daily_loss_pct", rk->daily_loss_pct,
			 TRD_BPS_DP);
	if (rk->max_open_orders) {
		snprintf(b, sizeof(b), "%u", rk->max_open_orders);
		item(&o, "risk.max_open_orders", b, 0);
	}
	if (rk->max_open_trades) {
		snprintf(b, sizeof(b), "%u", rk->max_open_trades);
		item(&o, "risk.max_open_trades", b, 0);
	}
	if (rk->price_collar_pct)
		dec_item(&o, "risk.price_collar_pct", rk->price_collar_pct,
			 TRD_BPS_DP);
	instruments(&o, c);
	strategies(&o, c);
	return j->err || h->err ? -1 : 0;
}
