/*
 * report_html: report.html, one self-contained page (no script, no
 * network): the headline figures, equity against the benchmark, the
 * underwater drawdown, a price chart per instrument with the trades,
 * returns by month, PnL attribution, trade statistics and a trade list,
 * the deepest drawdowns, risk figures of the daily returns and the worst
 * days, every figure of report.json, the risk state and the run's record.
 * It reflows from a phone to a wide screen; wide tables scroll in their
 * own box.  Money is shown to 2 decimals (report.json and the CSVs have
 * it exact).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "report_int.h"
#include "report_svg.h"
#include "timefmt.h"

#define EQ_H    260.0
#define DD_H    160.0
#define PX_H    220.0
#define SM_H    120.0
#define PX_SHOWN 8   /* price charts drawn; the rest are in report.json */
#define LIST_MAX 100 /* trades listed */
#define EQ_MARKS 150 /* trades marked on the equity chart, at most */
#define DAY_NS  ((int64_t)86400 * TRD_NS_PER_SEC)

static const char css[] =
	"*{box-sizing:border-box}\n"
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:0;color:#1d2433;background:#f6f7f9;line-height:1.4}\n"
	"main{max-width:1180px;margin:0 auto;padding:12px}\n"
	"h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.15em;margin:1.4em 0 "
	".4em;border-bottom:1px solid #d8dce3}\n"
	".sub{color:#5a6475;margin:.2em 0}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(150px,1fr));gap:8px;margin:10px 0}\n"
	".card{background:#fff;border:1px solid #d8dce3;border-radius:6px;"
	"padding:8px}.card b{display:block;font-size:1.25em}"
	".card span{color:#5a6475;font-size:.85em}\n"
	".two{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(320px,1fr));gap:12px}\n"
	".box{background:#fff;border:1px solid #d8dce3;border-radius:6px;"
	"padding:6px;overflow-x:auto;max-width:100%}\n"
	"svg{display:block;width:100%;height:auto;font-size:11px}\n"
	"table{border-collapse:collapse;font-size:.9em}\n"
	"th,td{padding:3px 8px;border-bottom:1px solid #e4e7ec;text-align:right;"
	"white-space:nowrap}th{text-align:left;font-weight:600}\n"
	"td.txt{text-align:left;white-space:normal}\n"
	".pos{color:#17803d}.neg{color:#c0262d}\n"
	".caveat{background:#fff6db;border:1px solid #e8c660;padding:6px 10px;"
	"border-radius:6px}\n"
	".frame{fill:#fff;stroke:#c4cad4}.grid{stroke:#eceef2}"
	".gap{stroke:#8a94a6;stroke-dasharray:4 3}\n"
	".yl{text-anchor:end;fill:#5a6475}.xl{text-anchor:middle;fill:#5a6475}\n"
	".eq{fill:none;stroke:#1f5fa8;stroke-width:1.6}"
	".bm{fill:none;stroke:#9aa3b2;stroke-width:1.3;stroke-dasharray:5 3}\n"
	".dd{fill:#d9534f;fill-opacity:.3;stroke:#c9302c;stroke-width:1}\n"
	".px{stroke:#b8c2d3;stroke-width:1}.pc{fill:none;stroke:#33415c;"
	"stroke-width:1.1}.rs{fill:none;stroke:#7b4fa8;stroke-width:1.3}"
	".ex{fill:#5b8bd0;fill-opacity:.45}\n"
	".win{fill:#17803d}.loss{fill:#c0262d}\n"
	/* Narrow screens: the charts shrink with their box, so their text
	 * and lines (in viewBox units) grow to stay readable. */
	"@media (max-width:640px){svg{font-size:19px}.eq,.pc,.rs{stroke-width:"
	"2.4}main{padding:6px}th,td{padding:3px 5px}}\n"
	".legend{font-size:.85em;color:#5a6475;margin:4px 0}\n"
	".legend i{display:inline-block;width:18px;height:0;border-top:2px "
	"solid #1f5fa8;vertical-align:middle;margin:0 4px 0 10px}\n"
	".legend i.b{border-top:2px dashed #9aa3b2}\n"
	".legend i.g{border-top:2px dashed #8a94a6}\n";

/* money with thousands separators and 2 decimals, cash scale in. */
static char *
money(__int128 v, char *b)
{
	char t[48];
	double d = (double)v / 1e8;
	int n, neg = d < 0, k = 0, len;

	snprintf(t, sizeof(t), "%.2f", neg ? -d : d);
	len = (int)strlen(t);
	n = len - 3; /* digits before the point */
	if (neg)
		b[k++] = '-';
	for (int i = 0; i < len; i++) {
		if (i < n && i > 0 && (n - i) % 3 == 0)
			b[k++] = ',';
		b[k++] = t[i];
	}
	b[k] = '\0';
	return b;
}

static const char *
sign_cls(double v)
{
	return v > 0 ? "pos" : v < 0 ? "neg" : "";
}

static void
pct_td(struct wfile *w, double v)
{
	if (isfinite(v))
		wf_printf(w, "<td class=\"%s\">%.2f%%</td>", sign_cls(v), v * 100);
	else
		wf_puts(w, "<td>n/a</td>");
}

static void
num_td(struct wfile *w, double v, int dp)
{
	if (isfinite(v))
		wf_printf(w, "<td>%.*f</td>", dp, v);
	else
		wf_puts(w, "<td>n/a</td>");
}

static void
money_td(struct wfile *w, __int128 v)
{
	char b[64];

	wf_printf(w, "<td class=\"%s\">%s</td>", sign_cls((double)v),
		  money(v, b));
}

static char *
when(int64_t ns, char *b) /* 2023-02-01 12:34 */
{
	char t[TRD_TIME_BUFSZ];

	trd_time_format(ns, t);
	snprintf(b, 20, "%.10s %.5s", t, t + 11);
	return b;
}

static void
days_td(struct wfile *w, double ns)
{
	double d = ns / (double)DAY_NS;

	if (!isfinite(d))
		wf_puts(w, "<td>n/a</td>");
	else if (d >= 1)
		wf_printf(w, "<td>%.2f d</td>", d);
	else
		wf_printf(w, "<td>%.2f h</td>", d * 24);
}

static void
card(struct wfile *w, const char *label, const char *val, const char *cls)
{
	wf_printf(w, "<div class=\"card\"><span>%s</span><b class=\"%s\">%s</b>"
		     "</div>\n", label, cls, val);
}

/* ---- charts ---- */

/* Daily series are drawn every k-th day: at most about 1000 points. */
static size_t
day_step(size_t ndays)
{
	return ndays / 1000 + 1;
}

/* The run's equity points, the last sample included. */
static size_t
points(struct trd_report *r)
{
	if (r->n && !r->last_kept)
		r->pts[r->npts++] = r->last;
	r->last_kept = 1;
	return r->npts;
}

static void
marker(struct svg *g, const struct mark *mk, int entry, double y)
{
	int64_t ts = entry ? mk->entry_ns : mk->exit_ns;
	double x = svg_x(g, ts);
	double tip = entry ? y + 2 : y - 2, base = entry ? y + 9 : y - 9;

	wf_printf(g->w, "<polygon class=\"%s\" points=\"%.1f,%.1f %.1f,%.1f "
			"%.1f,%.1f\"><title>%s %s at %.10g</title></polygon>\n",
		  mk->win ? "win" : "loss", x, tip, x - 3.5, base, x + 3.5, base,
		  mk->side == TRD_SIDE_SELL ? "short" : "long",
		  entry ? "entry" : "exit", entry ? mk->entry_px : mk->exit_px);
}

/* Equity at ts along the kept points. */
static double
eq_at(const struct trd_report *r, int64_t ts)
{
	size_t lo = 0, hi = r->npts - 1;

	if (ts <= r->pts[0].ts || r->npts == 1)
		return (double)r->pts[0].eq / 1e8;
	if (ts >= r->pts[hi].ts)
		return (double)r->pts[hi].eq / 1e8;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		*(r->pts[mid].ts <= ts ? &lo : &hi) = mid;
	}
	return (double)r->pts[lo].eq / 1e8;
}

static void
chart_equity(struct trd_report *r, struct wfile *w)
{
	const struct rstats *rs = &r->rs;
	int64_t t0 = r->pts[0].ts, t1 = r->pts[r->npts - 1].ts;
	double lo = INFINITY, hi = -INFINITY, init = (double)r->initial / 1e8;
	struct svg g;

	for (size_t i = 0; i < r->npts; i++) {
		double v = (double)r->pts[i].eq / 1e8;
		lo = fmin(lo, v);
		hi = fmax(hi, v);
	}
	for (size_t i = 0; i < rs->ndays; i++) {
		lo = fmin(lo, rs->days[i].bench * init);
		hi = fmax(hi, rs->days[i].bench * init);
	}
	wf_puts(w, "<h2>Equity and benchmark</h2>\n<div class=\"box\">\n");
	svg_frame(&g, w, rs, t0, t1, lo - (hi - lo) * 0.04,
		  hi + (hi - lo) * 0.04, EQ_H);
	svg_yticks(&g, 0, 2);
	svg_xticks(&g);
	svg_gaps(&g);
	svg_path_begin(&g, "bm");
	svg_path_pt(&g, t0, init);
	for (size_t i = 0, k = day_step(rs->ndays); i < rs->ndays; i++) {
		int64_t t = (rs->days[i].day + 1) * DAY_NS;
		if (i % k == 0 || i + 1 == rs->ndays)
			svg_path_pt(&g, t < t1 ? t : t1,
				    rs->days[i].bench * init);
	}
	svg_path_end(&g);
	svg_path_begin(&g, "eq");
	for (size_t i = 0; i < r->npts; i++)
		svg_path_pt(&g, r->pts[i].ts, (double)r->pts[i].eq / 1e8);
	svg_path_end(&g);
	/* More would hide the curve: the price charts have them all. */
	for (size_t i = 0; r->nmarks <= EQ_MARKS && i < r->nmarks; i++) {
		marker(&g, &r->marks[i], 1, svg_y(&g, eq_at(r, r->marks[i].entry_ns)));
		marker(&g, &r->marks[i], 0, svg_y(&g, eq_at(r, r->marks[i].exit_ns)));
	}
	svg_close(&g);
	wf_puts(w, "<p class=\"legend\"><i></i>equity<i class=\"b\"></i>"
		   "benchmark: buy and hold, equal weight<i class=\"g\"></i>"
		   "data gap (closed up) &#9650; entry &#9660; exit, "
		   "<span class=\"pos\">green</span> winning trade, "
		   "<span class=\"neg\">red</span> losing</p>\n");
	if (r->nmarks > EQ_MARKS)
		wf_printf(w, "<p class=\"legend\">%llu trades: too many to "
			     "mark here; the price charts show them.</p>\n",
			  (unsigned long long)r->ntrades);
	wf_puts(w, "</div>\n");
}

static void
chart_drawdown(struct trd_report *r, struct wfile *w)
{
	struct svg g;
	double lo = -(r->maxdd > 0 ? r->maxdd : 0.01) * 1.05;

	wf_puts(w, "<h2>Drawdown</h2>\n<div class=\"box\">\n");
	svg_frame(&g, w, &r->rs, r->pts[0].ts, r->pts[r->npts - 1].ts, lo, 0,
		  DD_H);
	svg_yticks(&g, 1, 2);
	svg_xticks(&g);
	svg_gaps(&g);
	{
		double *v = malloc(r->npts * sizeof(*v));
		if (v) {
			for (size_t i = 0; i < r->npts; i++)
				v[i] = -r->pts[i].dd;
			svg_area(&g, "dd", &r->pts[0].ts, v, r->npts,
				 sizeof(r->pts[0]), sizeof(*v), 0);
			free(v);
		}
	}
	svg_close(&g);
	wf_puts(w, "</div>\n");
}

static void
chart_prices(struct trd_report *r, struct wfile *w)
{
	const struct rstats *rs = &r->rs;
	size_t shown = 0;

	wf_puts(w, "<h2>Prices and trades</h2>\n<p class=\"legend\">Each "
		   "vertical line is a time bucket's low to high, the line its "
		   "close; &#9650; entries and &#9660; exits.</p>\n"
		   "<div class=\"two\">\n");
	for (size_t i = 0; i < rs->ninstr && shown < PX_SHOWN; i++) {
		const struct rs_ins *in = &rs->ins[i];
		int dp = r->reg->v[i].price_dp;
		double sc = (double)trd_pow10[dp], lo = INFINITY, hi = -INFINITY;
		struct svg g;

		if (in->nb == 0)
			continue;
		shown++;
		for (uint32_t j = 0; j < in->nb; j++) {
			lo = fmin(lo, (double)in->b[j].l / sc);
			hi = fmax(hi, (double)in->b[j].h / sc);
		}
		wf_puts(w, "<div class=\"box\"><b>");
		wf_html_str(w, instr_name(r, i));
		wf_puts(w, "</b>\n");
		svg_frame(&g, w, rs, in->b[0].t, in->b[in->nb - 1].t + in->w,
			  lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05, PX_H);
		svg_yticks(&g, 0, dp);
		svg_xticks(&g);
		svg_gaps(&g);
		wf_puts(w, "<path class=\"px\" d=\"");
		for (uint32_t j = 0; j < in->nb; j++) {
			wf_puts(w, "M");
			wf_fixed(w, svg_x(&g, in->b[j].t + in->w / 2), 1);
			wf_puts(w, " ");
			wf_fixed(w, svg_y(&g, (double)in->b[j].h / sc), 1);
			wf_puts(w, "V");
			wf_fixed(w, svg_y(&g, (double)in->b[j].l / sc), 1);
		}
		wf_puts(w, "\"/>\n");
		svg_path_begin(&g, "pc");
		for (uint32_t j = 0; j < in->nb; j++)
			svg_path_pt(&g, in->b[j].t + in->w / 2,
				    (double)in->b[j].c / sc);
		svg_path_end(&g);
		for (size_t k = 0; k < r->nmarks; k++) {
			const struct mark *mk = &r->marks[k];
			if (mk->ins != i)
				continue;
			marker(&g, mk, 1, svg_y(&g, mk->entry_px));
			marker(&g, mk, 0, svg_y(&g, mk->exit_px));
		}
		svg_close(&g);
		if (r->ntrades > r->nmarks)
			wf_printf(w, "<p class=\"legend\">Markers: the first "
				     "%zu trades of %llu.</p>\n", r->nmarks,
				  (unsigned long long)r->ntrades);
		wf_puts(w, "</div>\n");
	}
	wf_puts(w, "</div>\n");
	if (shown < rs->ninstr)
		wf_printf(w, "<p class=\"legend\">The first %zu instruments with "
			     "data are drawn.</p>\n", shown);
}

/* A small daily series chart (rolling Sharpe, exposure). */
static void
chart_daily(struct trd_report *r, struct wfile *w, const char *title,
	    const double *v, int pct, const char *cls, int area)
{
	const struct rstats *rs = &r->rs;
	double lo = INFINITY, hi = -INFINITY;
	size_t first = rs->ndays;
	struct svg g;

	for (size_t i = 0; i < rs->ndays; i++)
		if (isfinite(v[i])) {
			first = first < i ? first : i;
			lo = fmin(lo, v[i]);
			hi = fmax(hi, v[i]);
		}
	if (first == rs->ndays)
		return;
	if (area)
		lo = fmin(lo, 0);
	wf_printf(w, "<div class=\"box\"><b>%s</b>\n", title);
	svg_frame(&g, w, rs, rs->days[0].day * DAY_NS,
		  (rs->days[rs->ndays - 1].day + 1) * DAY_NS, lo, hi, SM_H);
	svg_yticks(&g, pct, 2);
	svg_xticks(&g);
	svg_gaps(&g);
	svg_path_begin(&g, cls);
	for (size_t i = first, k = day_step(rs->ndays); i < rs->ndays; i++)
		if ((i - first) % k == 0 || i + 1 == rs->ndays)
			svg_path_pt(&g, (rs->days[i].day + 1) * DAY_NS, v[i]);
	svg_path_end(&g);
	svg_close(&g);
	wf_puts(w, "</div>\n");
}

/* ---- tables ---- */

static void
table_open(struct wfile *w, const char *head)
{
	wf_printf(w, "<div class=\"box\"><table>\n<tr>%s</tr>\n", head);
}

static void
table_close(struct wfile *w)
{
	wf_puts(w, "</table></div>\n");
}

static void
monthly(const struct trd_report *r, struct wfile *w)
{
	static const char *mn[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct period *m, *y;
	long nm = trd__periods(r, 0, &m), ny = trd__periods(r, 1, &y);

	wf_puts(w, "<h2>Returns by month</h2>\n<div class=\"box\"><table>\n"
		   "<tr><th>Year</th>");
	for (int i = 0; i < 12; i++)
		wf_printf(w, "<th>%s</th>", mn[i]);
	wf_puts(w, "<th>Year</th></tr>\n");
	for (long k = 0, j = 0; k < ny; k++) {
		wf_printf(w, "<tr><th>%d</th>", y[k].y);
		for (int mo = 1; mo <= 12; mo++) {
			if (j < nm && m[j].y == y[k].y && m[j].m == mo) {
				double v = m[j].ret;
				double a = isfinite(v) ? fmin(fabs(v) / 0.1, 1) : 0;
				wf_printf(w, "<td style=\"background:rgba(%s,%.2f)\">"
					     "%.2f%%</td>",
					  v >= 0 ? "23,128,61" : "192,38,45",
					  0.08 + 0.5 * a, v * 100);
				j++;
			} else {
				wf_puts(w, "<td></td>");
			}
		}
		pct_td(w, y[k].ret);
		wf_puts(w, "</tr>\n");
	}
	wf_puts(w, "</table></div>\n<p class=\"legend\">Each month's last "
		   "daily equity against the previous month's (the initial "
		   "cash for the first).</p>\n");
	free(m);
	free(y);
}

static void
attribution(const struct trd_report *r, struct wfile *w)
{
	static const char head[] =
		"<th></th><th>Gross</th><th>Slippage</th><th>Fees</th>"
		"<th>Net</th><th>Trades</th><th>Win rate</th>";
	struct attr a;

	wf_puts(w, "<h2>PnL attribution</h2>\n<p class=\"legend\">Gross is "
		   "at the prices the orders were decided on (before "
		   "slippage); net = gross &minus; slippage &minus; fees. Open "
		   "positions are marked at the last close.</p>\n");
	for (int by = 0; by < 2; by++) {
		size_t n = by ? r->ninstr : r->nstrat;
		table_open(w, head);
		for (size_t i = 0; i <= n; i++) {
			if (i == n)
				trd__attr(r, -1, -1, &a);
			else if (by)
				trd__attr(r, -1, (long)i, &a);
			else
				trd__attr(r, (long)i, -1, &a);
			wf_puts(w, "<tr><th>");
			if (i == n)
				wf_puts(w, "All");
			else
				wf_html_str(w, by ? instr_name(r, i)
						  : strat_name(r, i));
			wf_puts(w, "</th>");
			money_td(w, a.gross);
			money_td(w, -a.slip);
			money_td(w, -a.fees);
			money_td(w, a.net);
			wf_printf(w, "<td>%llu</td>", (unsigned long long)a.trades);
			pct_td(w, a.trades ? (double)a.wins / (double)a.trades
					   : NAN);
			wf_puts(w, "</tr>\n");
		}
		table_close(w);
	}
}

static void
trades(const struct trd_report *r, struct wfile *w, const struct rs_out *o)
{
	const struct rs_trades *t = &r->rs.tr;
	uint64_t losses = t->n - t->wins;
	double aw = t->wins ? (double)t->win_sum / (double)t->wins : NAN;
	double al = losses ? (double)t->loss_sum / (double)losses : NAN;
	char b[64], c[24], d[24];
	size_t n = r->nmarks < LIST_MAX ? r->nmarks : LIST_MAX;

	wf_puts(w, "<h2>Trades</h2>\n<div class=\"two\">\n<div class=\"box\">"
		   "<table>\n");
	wf_printf(w, "<tr><th>Trades</th><td>%llu</td></tr>\n",
		  (unsigned long long)t->n);
	wf_puts(w, "<tr><th>Win rate</th>");
	pct_td(w, t->n ? (double)t->wins / (double)t->n : NAN);
	wf_puts(w, "</tr>\n<tr><th>Average win</th>");
	money_td(w, isfinite(aw) ? (__int128)aw : 0);
	wf_puts(w, "</tr>\n<tr><th>Average loss</th>");
	money_td(w, isfinite(al) ? (__int128)al : 0);
	wf_puts(w, "</tr>\n<tr><th>Expectancy (per trade)</th>");
	money_td(w, t->n ? (t->win_sum + t->loss_sum) / (__int128)t->n : 0);
	wf_puts(w, "</tr>\n<tr><th>Profit factor</th>");
	num_td(w, t->loss_sum < 0 ? (double)t->win_sum / (double)-t->loss_sum
				  : NAN, 2);
	wf_puts(w, "</tr>\n<tr><th>Payoff ratio</th>");
	num_td(w, isfinite(aw) && isfinite(al) && al < 0 ? aw / -al : NAN, 2);
	wf_printf(w, "</tr>\n<tr><th>Longest winning / losing streak</th>"
		     "<td>%llu / %llu</td></tr>\n",
		  (unsigned long long)t->max_win_streak,
		  (unsigned long long)t->max_loss_streak);
	wf_puts(w, "<tr><th>Average / median holding time</th>");
	days_td(w, t->nhold ? o->hold_mean : NAN);
	days_td(w, t->nhold ? o->hold_median : NAN);
	wf_puts(w, "</tr>\n</table></div>\n<div class=\"box\"><table>\n"
		   "<tr><th></th><th>Count</th><th>Win rate</th><th>Net</th>"
		   "</tr>\n");
	wf_printf(w, "<tr><th>Long</th><td>%llu</td>",
		  (unsigned long long)t->long_n);
	pct_td(w, t->long_n ? (double)t->long_wins / (double)t->long_n : NAN);
	money_td(w, t->long_net);
	wf_printf(w, "</tr>\n<tr><th>Short</th><td>%llu</td>",
		  (unsigned long long)t->short_n);
	pct_td(w, t->short_n ? (double)t->short_wins / (double)t->short_n
			     : NAN);
	money_td(w, t->short_net);
	wf_puts(w, "</tr>\n");
	if (t->have) {
		for (int k = 0; k < 2; k++) {
			const struct trd_trade_rec *x = k ? &t->worst : &t->best;
			wf_printf(w, "<tr><th>%s</th><td class=\"txt\" "
				     "colspan=\"2\">",
				  k ? "Worst trade" : "Best trade");
			wf_html_str(w, instr_name(r, x->ins));
			wf_printf(w, " %s, %s</td>",
				  x->side == TRD_SIDE_SELL ? "short" : "long",
				  when(x->entry_ns, c));
			money_td(w, (__int128)x->pnl - x->fees);
			wf_puts(w, "</tr>\n");
		}
	}
	wf_puts(w, "</table></div>\n</div>\n");
	if (n == 0)
		return;
	wf_printf(w, "<p class=\"legend\">The first %zu of %llu trades (all "
		     "in trades.csv):</p>\n", n, (unsigned long long)r->ntrades);
	table_open(w, "<th>Strategy</th><th>Symbol</th><th>Side</th>"
		      "<th>Entry</th><th>Entry price</th><th>Exit</th>"
		      "<th>Exit price</th><th>Net</th>");
	for (size_t i = 0; i < n; i++) {
		const struct mark *mk = &r->marks[i];
		wf_puts(w, "<tr><td class=\"txt\">");
		wf_html_str(w, strat_name(r, mk->strat));
		wf_puts(w, "</td><td class=\"txt\">");
		wf_html_str(w, instr_name(r, mk->ins));
		wf_printf(w, "</td><td class=\"txt\">%s</td><td>%s</td>"
			     "<td>%.10g</td><td>%s</td><td>%.10g</td>",
			  mk->side == TRD_SIDE_SELL ? "short" : "long",
			  when(mk->entry_ns, c), mk->entry_px,
			  when(mk->exit_ns, d), mk->exit_px);
		money_td(w, mk->net);
		wf_puts(w, "</tr>\n");
	}
	table_close(w);
	(void)b;
}

static void
drawdowns(const struct trd_report *r, struct wfile *w)
{
	const struct rstats *rs = &r->rs;
	char a[24], b[24], c[24];

	wf_puts(w, "<h2>Deepest drawdowns</h2>\n");
	if (rs->ntop == 0) {
		wf_puts(w, "<p>None.</p>\n");
		return;
	}
	table_open(w, "<th>Depth</th><th>Peak</th><th>Trough</th>"
		      "<th>Recovered</th><th>Length (market time)</th>");
	for (size_t i = 0; i < rs->ntop; i++) {
		const struct rs_dd *d = &rs->top[i];
		wf_printf(w, "<tr><td class=\"neg\">-%.2f%%</td><td>%s</td>"
			     "<td>%s</td><td>%s</td>",
			  d->depth * 100, when(d->peak_ns, a),
			  when(d->trough_ns, b),
			  d->end_ns ? when(d->end_ns, c) : "not yet");
		days_td(w, (double)d->len_ns);
		wf_puts(w, "</tr>\n");
	}
	table_close(w);
}

static void
risk_figures(struct trd_report *r, struct wfile *w, const struct rs_out *o)
{
	const struct rstats *rs = &r->rs;
	char d[24];

	wf_printf(w, "<h2>Risk of the daily returns</h2>\n<div class=\"two\">\n"
		     "<div class=\"box\"><table>\n<tr><th>Days with data</th>"
		     "<td>%zu</td></tr>\n<tr><th>Volatility (annualised, "
		     "&radic;%.0f)</th>",
		  o->ndays, o->periods);
	pct_td(w, o->vol);
	wf_puts(w, "</tr>\n<tr><th>VaR 95% / CVaR 95%</th>");
	pct_td(w, -o->var95);
	pct_td(w, -o->cvar95);
	wf_puts(w, "</tr>\n<tr><th>VaR 99% / CVaR 99%</th>");
	pct_td(w, -o->var99);
	pct_td(w, -o->cvar99);
	wf_puts(w, "</tr>\n<tr><th>Skew</th>");
	num_td(w, o->skew, 3);
	wf_puts(w, "</tr>\n<tr><th>Excess kurtosis</th>");
	num_td(w, o->kurt, 3);
	wf_puts(w, "</tr>\n</table></div>\n<div class=\"box\"><table>\n"
		   "<tr><th>Worst days</th><th>Run</th><th>Benchmark</th></tr>\n");
	for (size_t i = 0; i < o->nworst; i++) {
		int64_t y;
		unsigned m, dd;
		trd_civil_from_days(rs->days[o->worst[i]].day, &y, &m, &dd);
		snprintf(d, sizeof(d), "%04lld-%02u-%02u", (long long)y, m, dd);
		wf_printf(w, "<tr><th>%s</th>", d);
		pct_td(w, o->ret[o->worst[i]]);
		pct_td(w, o->bret[o->worst[i]]);
		wf_puts(w, "</tr>\n");
	}
	wf_printf(w, "<tr><th>Benchmark's worst %d days</th><th>Run</th>"
		     "<th>Benchmark</th></tr>\n", RS_WINDOW);
	for (size_t i = 0; i < o->nbwin; i++) {
		size_t e = o->bwin[i];
		int64_t y;
		unsigned m, dd;
		trd_civil_from_days(rs->days[e].day, &y, &m, &dd);
		wf_printf(w, "<tr><th>to %04lld-%02u-%02u</th>", (long long)y, m,
			  dd);
		pct_td(w, o->bwin_ret[i]);
		pct_td(w, o->bwin_bench[i]);
		wf_puts(w, "</tr>\n");
	}
	wf_puts(w, "</table></div>\n");
	chart_daily(r, w, "Rolling Sharpe (30 days with data)", o->roll, 0,
		    "rs", 0);
	{
		double ex[1];
		double *e = rs->ndays ? calloc(rs->ndays, sizeof(double)) : ex;
		if (e) {
			for (size_t i = 0; i < rs->ndays; i++)
				e[i] = rs->days[i].exposure;
			chart_daily(r, w, "Exposure (share of each day with a "
					  "position)", e, 1, "rs", 1);
			if (e != ex)
				free(e);
		}
	}
	wf_puts(w, "</div>\n");
}

static void
benchmark(const struct trd_report *r, struct wfile *w, const struct rs_out *o)
{
	const struct rstats *rs = &r->rs;

	wf_puts(w, "<h2>Against the benchmark</h2>\n<div class=\"two\">\n"
		   "<div class=\"box\"><table>\n<tr><th>Benchmark return "
		   "(equal weight)</th>");
	pct_td(w, o->bench_total);
	wf_puts(w, "</tr>\n<tr><th>Excess return</th>");
	pct_td(w, o->excess);
	wf_puts(w, "</tr>\n<tr><th>Alpha (annualised)</th>");
	pct_td(w, o->alpha);
	wf_puts(w, "</tr>\n<tr><th>Beta</th>");
	num_td(w, o->beta, 3);
	wf_puts(w, "</tr>\n<tr><th>Correlation</th>");
	num_td(w, o->corr, 3);
	wf_puts(w, "</tr>\n<tr><th>Information ratio</th>");
	num_td(w, o->ir, 3);
	wf_puts(w, "</tr>\n</table></div>\n");
	table_open(w, "<th>Buy and hold</th><th>Return</th>");
	for (size_t i = 0; i < rs->ninstr; i++) {
		const struct rs_ins *in = &rs->ins[i];
		wf_puts(w, "<tr><th>");
		wf_html_str(w, instr_name(r, i));
		wf_puts(w, "</th>");
		pct_td(w, in->first_px > 0 ? (double)in->last_close /
							(double)in->first_px -
						    1
					  : NAN);
		wf_puts(w, "</tr>\n");
	}
	table_close(w);
	wf_puts(w, "</div>\n");
}

static void
html_risk(struct wfile *w, const struct summary *sum)
{
	const struct trd_report_risk *risk = &sum->risk;
	char t[TRD_TIME_BUFSZ];
	int any = 0;

	wf_printf(w, "<h2>Kill switch and rejections</h2>\n<p>Kill switch: %s "
		     "at the end of the run; %zu trip%s.</p>\n",
		  risk->halted ? "<b>halted</b>" : "not halted", risk->ntrips,
		  risk->ntrips == 1 ? "" : "s");
	if (risk->ntrips) {
		table_open(w, "<th>Time</th><th>Reason</th>");
		for (size_t i = 0; i < risk->ntrips; i++) {
			const struct trd_report_trip *tr = &risk->trips[i];

			wf_printf(w, "<tr><td>%s</td><td class=\"txt\">",
				  trd_time_format(tr->ts_ns, t));
			wf_html_str(w, tr->reason ? tr->reason : "");
			wf_puts(w, "</td></tr>\n");
		}
		table_close(w);
	}
	for (int c = TRD_REJ_NONE + 1; c < TRD_REJ_COUNT; c++) {
		if (sum->rejects[c] == 0)
			continue;
		if (!any++)
			table_open(w, "<th>Rejected orders by reason</th><th></th>");
		wf_puts(w, "<tr><th>");
		wf_html_str(w, trd_reject_name(c));
		wf_printf(w, "</th><td>%llu</td></tr>\n",
			  (unsigned long long)sum->rejects[c]);
	}
	if (any)
		table_close(w);
	else
		wf_puts(w, "<p>No order was rejected.</p>\n");
}

/* What the strategies recorded (host->record), e.g. ml_logit's model
 * and shadow side by side. */
static void
recorded(const struct trd_report *r, struct wfile *w)
{
	if (r->nrec == 0)
		return;
	wf_puts(w, "<h2>Recorded by the strategies</h2>\n<p class=\"legend\">"
		   "Each strategy's own figures, last value of the run. "
		   "ml_logit: <code>model_hyp_return</code> and "
		   "<code>shadow_hyp_return</code> are a fully invested book on each "
		   "model's decided positions (next bar's open, fees per side); "
		   "<code>shadow_agreement</code> the share of bars both decided the "
		   "same.</p>\n");
	table_open(w, "<th>Strategy</th><th>Figure</th><th>Value</th>");
	for (size_t i = 0; i < r->nrec; i++) {
		const struct trd_report_value *v = &r->rec[i];

		wf_puts(w, "<tr><td class=\"txt\">");
		wf_html_str(w, v->strategy);
		wf_puts(w, "</td><td class=\"txt\">");
		wf_html_str(w, v->name);
		if (isfinite(v->v))
			wf_printf(w, "</td><td>%.6g</td></tr>\n", v->v);
		else
			wf_puts(w, "</td><td>n/a</td></tr>\n");
	}
	table_close(w);
}

static void
run_record(const struct trd_report *r, struct wfile *w)
{
	const struct rstats *rs = &r->rs;
	char a[24], b[24];

	wf_puts(w, "<h2>Run</h2>\n<div class=\"box\"><table>\n");
	wf_write(w, r->run_html.buf, r->run_html.len);
	for (size_t i = 0; i < rs->ninstr; i++) {
		const struct rs_ins *in = &rs->ins[i];
		wf_puts(w, "<tr><th>data</th><td class=\"txt\">");
		wf_html_str(w, instr_name(r, i));
		if (in->nbars)
			wf_printf(w, ": %llu bars, %s to %s", (unsigned long long)
				  in->nbars, when(in->first_ts, a),
				  when(in->last_ts, b));
		else
			wf_puts(w, ": no bars");
		wf_puts(w, "</td></tr>\n");
	}
	if (rs->have_hash)
		wf_printf(w, "<tr><th>data hash</th><td class=\"txt\">%016llx"
			     "</td></tr>\n", (unsigned long long)rs->hash);
	wf_puts(w, "</table></div>\n");
	/* Last, on its own line: the one thing two runs differ by. */
	if (r->wall_ns >= 0)
		wf_printf(w, "<p class=\"legend\">Wall time: %.3f s</p>\n",
			  (double)r->wall_ns / TRD_NS_PER_SEC);
}

/* Called once, at finish: it appends the last sample to the chart, which
 * has room for it (npts < CHART_MAX after every sample). */
void
trd__report_html(struct trd_report *r, struct wfile *w,
		 const struct summary *sum, const struct rs_out *o)
{
	const struct field *f = sum->f;
	struct attr all;
	char buf[64], s0[24], s1[24];
	double ret = f[10].d;

	wf_puts(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		   "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		   "content=\"width=device-width,initial-scale=1\">\n"
		   "<title>traderd backtest report</title>\n<style>\n");
	wf_puts(w, css);
	wf_puts(w, "</style>\n</head>\n<body>\n<main>\n<h1>Backtest report</h1>\n"
		   "<p class=\"sub\">");
	for (size_t i = 0; i < r->nstrat; i++) {
		wf_puts(w, i ? ", " : "Strategies: ");
		wf_html_str(w, strat_name(r, i));
	}
	for (size_t i = 0; i < r->ninstr; i++) {
		wf_puts(w, i ? ", " : (r->nstrat ? " &middot; on " : "On "));
		wf_html_str(w, instr_name(r, i));
	}
	if (r->n)
		wf_printf(w, " &middot; %s to %s &middot; %zu days with data, "
			     "%.1f market days%s",
			  when(r->first_ns, s0), when(r->last.ts, s1), o->ndays,
			  (double)o->mkt_ns / (double)DAY_NS,
			  r->rs.ngaps ? ", gaps closed up" : "");
	wf_puts(w, "</p>\n");
	if (o->caveat && r->n)
		wf_printf(w, "<p class=\"caveat\">&#9888; Only %.1f days of "
			     "market time: CAGR, Sharpe, Sortino and the other "
			     "annualised figures (marked &dagger;) extrapolate "
			     "from too short a span to mean much.</p>\n",
			  (double)o->mkt_ns / (double)DAY_NS);

	trd__attr(r, -1, -1, &all);
	wf_puts(w, "<div class=\"cards\">\n");
	card(w, "Net PnL", money(all.net, buf), sign_cls((double)all.net));
	snprintf(buf, sizeof(buf), "%.2f%%", ret * 100);
	card(w, "Total return", isfinite(ret) ? buf : "n/a", sign_cls(ret));
	snprintf(buf, sizeof(buf), "%.2f%%", o->bench_total * 100);
	card(w, "Benchmark (buy and hold)", buf, sign_cls(o->bench_total));
	snprintf(buf, sizeof(buf), "-%.2f%%", r->maxdd * 100);
	card(w, "Max drawdown", buf, r->maxdd > 0 ? "neg" : "");
	snprintf(buf, sizeof(buf), "%.2f%s", f[12].d, o->caveat ? " &dagger;" : "");
	card(w, "Sharpe", isfinite(f[12].d) ? buf : "n/a", "");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->ntrades);
	card(w, "Trades", buf, "");
	card(w, "Gross PnL", money(all.gross, buf), sign_cls((double)all.gross));
	{
		char t[64];
		snprintf(t, sizeof(t), "%s", money(-all.fees - all.slip, buf));
		card(w, "Fees and slippage", t, "neg");
	}
	wf_puts(w, "</div>\n");

	if (points(r) > 0) {
		chart_equity(r, w);
		chart_drawdown(r, w);
	} else {
		wf_puts(w, "<p>No equity samples.</p>\n");
	}
	chart_prices(r, w);
	benchmark(r, w, o);
	monthly(r, w);
	attribution(r, w);
	recorded(r, w);
	trades(r, w, o);
	drawdowns(r, w);
	risk_figures(r, w, o);

	wf_puts(w, "<h2>Every figure</h2>\n<div class=\"box\"><table>\n");
	for (size_t i = 0; i < NFIELDS; i++) {
		int ann = o->caveat && (!strcmp(f[i].key, "cagr") ||
					!strcmp(f[i].key, "sharpe") ||
					!strcmp(f[i].key, "sortino"));
		wf_printf(w, "<tr><th>%s%s</th><td>%s</td></tr>\n", f[i].label,
			  ann ? " &dagger;" : "", trd__field_text(&f[i], 0, buf));
	}
	wf_puts(w, "</table></div>\n");
	html_risk(w, sum);
	run_record(r, w);
	wf_puts(w, "</main>\n</body>\n</html>\n");
}
