/*
 * report_html: report.html, one self-contained page: the run's names,
 * the figures of report.json, the risk state and rejections, and the
 * equity and drawdown charts as inline SVG with the trades marked.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "report_int.h"
#include "timefmt.h"

#define SVG_W  960.0
#define SVG_ML 110.0 /* left margin, for the value labels */
#define SVG_MR 16.0
#define SVG_MT 14.0
#define SVG_MB 26.0  /* bottom margin, for the date labels */
#define EQ_H   340.0
#define DD_H   150.0

struct plot {
	const struct chart_pt *pts;
	size_t                 n;
	double                 lo, hi; /* equity range */
};

static double
xof(const struct plot *pl, int64_t ts)
{
	int64_t t0 = pl->pts[0].ts, t1 = pl->pts[pl->n - 1].ts;
	double f = t1 > t0 ? (double)(ts - t0) / (double)(t1 - t0) : 0;

	f = f < 0 ? 0 : f > 1 ? 1 : f;
	return SVG_ML + f * (SVG_W - SVG_ML - SVG_MR);
}

static double
yof(const struct plot *pl, double eq)
{
	return SVG_MT +
	       (pl->hi - eq) / (pl->hi - pl->lo) * (EQ_H - SVG_MT - SVG_MB);
}

static double
eqd(const struct chart_pt *pt)
{
	return trd_dec_to_double(pt->eq, TRD_CASH_DP);
}

/* Equity at ts, interpolated along the plotted series. */
static double
eq_at(const struct plot *pl, int64_t ts)
{
	size_t lo = 0, hi = pl->n - 1;
	const struct chart_pt *a, *b;

	if (ts <= pl->pts[0].ts || pl->n == 1)
		return eqd(&pl->pts[0]);
	if (ts >= pl->pts[hi].ts)
		return eqd(&pl->pts[hi]);
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		*(pl->pts[mid].ts <= ts ? &lo : &hi) = mid;
	}
	a = &pl->pts[lo];
	b = &pl->pts[hi];
	return eqd(a) + (eqd(b) - eqd(a)) * (double)(ts - a->ts) /
				(double)(b->ts - a->ts);
}

/* A frame with y labels hi (top) and lo (bottom). */
static void
svg_open(struct wfile *w, const char *title, double h, const char *hi,
	 const char *lo)
{
	wf_printf(w, "<h2>%s</h2>\n<svg width=\"%.0f\" height=\"%.0f\" "
		     "viewBox=\"0 0 %.0f %.0f\">\n",
		  title, SVG_W, h, SVG_W, h);
	wf_printf(w, "<rect class=\"frame\" x=\"%.0f\" y=\"%.0f\" "
		     "width=\"%.0f\" height=\"%.0f\"/>\n",
		  SVG_ML, SVG_MT, SVG_W - SVG_ML - SVG_MR, h - SVG_MT - SVG_MB);
	wf_printf(w, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s"
		     "</text>\n<text x=\"%.0f\" y=\"%.0f\" "
		     "text-anchor=\"end\">%s</text>\n",
		  SVG_ML - 6, SVG_MT + 10, hi, SVG_ML - 6, h - SVG_MB, lo);
}

/* Entries point up from below the curve, exits down from above. */
static void
svg_marker(const struct trd_report *r, struct wfile *w, const struct plot *pl,
	   const struct mark *mk, int entry)
{
	int64_t ts = entry ? mk->entry_ns : mk->exit_ns;
	double x = xof(pl, ts), y = yof(pl, eq_at(pl, ts));
	double tip = entry ? y + 3 : y - 3, base = entry ? y + 11 : y - 11;
	char t[TRD_TIME_BUFSZ];

	wf_printf(w, "<polygon class=\"%s\" points=\"%.1f,%.1f %.1f,%.1f "
		     "%.1f,%.1f\"><title>%s %s ",
		  mk->win ? "win" : "loss", x, tip, x - 4.5, base, x + 4.5,
		  base, mk->side == TRD_SIDE_SELL ? "short" : "long",
		  entry ? "entry" : "exit");
	wf_html_str(w, instr_name(r, mk->ins));
	wf_printf(w, " %s at %.10g</title></polygon>\n",
		  trd_time_format(ts, t), entry ? mk->entry_px : mk->exit_px);
}

static void
svg_charts(const struct trd_report *r, struct wfile *w, const struct plot *pl)
{
	double ph = DD_H - SVG_MT - SVG_MB, scale = r->maxdd > 0 ? r->maxdd : 1;
	char a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ], hi[32], lo[32];

	snprintf(hi, sizeof(hi), "%.2f", pl->hi);
	snprintf(lo, sizeof(lo), "%.2f", pl->lo);
	svg_open(w, "Equity", EQ_H, hi, lo);
	wf_puts(w, "<polyline class=\"eq\" points=\"");
	for (size_t i = 0; i < pl->n; i++)
		wf_printf(w, "%s%.1f,%.1f", i ? " " : "", xof(pl, pl->pts[i].ts),
			  yof(pl, eqd(&pl->pts[i])));
	wf_puts(w, "\"/>\n");
	for (size_t i = 0; i < r->nmarks; i++) {
		svg_marker(r, w, pl, &r->marks[i], 1);
		svg_marker(r, w, pl, &r->marks[i], 0);
	}
	wf_printf(w, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n<text x=\"%.0f\" "
		     "y=\"%.0f\" text-anchor=\"end\">%s</text>\n</svg>\n",
		  SVG_ML, EQ_H - 8, trd_time_format(pl->pts[0].ts, a),
		  SVG_W - SVG_MR, EQ_H - 8,
		  trd_time_format(pl->pts[pl->n - 1].ts, b));
	if (r->ntrades > r->nmarks)
		wf_printf(w, "<p>Markers show the first %zu of %llu trades.</p>\n",
			  r->nmarks, (unsigned long long)r->ntrades);

	snprintf(lo, sizeof(lo), "-%.2f%%", r->maxdd * 100);
	svg_open(w, "Drawdown", DD_H, "0%", lo);
	wf_printf(w, "<polygon class=\"dd\" points=\"%.1f,%.1f",
		  xof(pl, pl->pts[0].ts), SVG_MT);
	for (size_t i = 0; i < pl->n; i++)
		wf_printf(w, " %.1f,%.1f", xof(pl, pl->pts[i].ts),
			  SVG_MT + pl->pts[i].dd / scale * ph);
	wf_printf(w, " %.1f,%.1f\"/>\n</svg>\n",
		  xof(pl, pl->pts[pl->n - 1].ts), SVG_MT);
}

static void
html_names(const struct trd_report *r, struct wfile *w, const char *label,
	   size_t n, const char *(*name)(const struct trd_report *, size_t))
{
	wf_printf(w, "<p>%s: ", label);
	for (size_t i = 0; i < n; i++) {
		wf_puts(w, i ? ", " : "");
		wf_html_str(w, name(r, i));
	}
	wf_puts(w, "</p>\n");
}

/* The kill switch and its trips, then the rejected orders by code. */
static void
html_risk(struct wfile *w, const struct summary *sum)
{
	const struct trd_report_risk *risk = &sum->risk;
	char t[TRD_TIME_BUFSZ];
	int any = 0;

	wf_printf(w, "<h2>Risk</h2>\n<p>Kill switch: %s at the end of the "
		     "run; %zu trip%s.</p>\n",
		  risk->halted ? "<b>halted</b>" : "not halted", risk->ntrips,
		  risk->ntrips == 1 ? "" : "s");
	if (risk->ntrips) {
		wf_puts(w, "<table>\n<tr><th>Time</th><th>Reason</th></tr>\n");
		for (size_t i = 0; i < risk->ntrips; i++) {
			const struct trd_report_trip *tr = &risk->trips[i];

			wf_printf(w, "<tr><td>%s</td><td class=\"txt\">",
				  trd_time_format(tr->ts_ns, t));
			wf_html_str(w, tr->reason ? tr->reason : "");
			wf_puts(w, "</td></tr>\n");
		}
		wf_puts(w, "</table>\n");
	}

	wf_puts(w, "<h2>Rejected orders by reason</h2>\n");
	for (int c = TRD_REJ_NONE + 1; c < TRD_REJ_COUNT; c++) {
		if (sum->rejects[c] == 0)
			continue;
		if (!any++)
			wf_puts(w, "<table>\n");
		wf_puts(w, "<tr><th>");
		wf_html_str(w, trd_reject_name(c));
		wf_printf(w, "</th><td>%llu</td></tr>\n",
			  (unsigned long long)sum->rejects[c]);
	}
	wf_puts(w, any ? "</table>\n" : "<p>None.</p>\n");
}

/* Called once, at finish: it appends the last sample to the chart, which
 * has room for it (npts < CHART_MAX after every sample). */
void
trd__report_html(struct trd_report *r, struct wfile *w,
		 const struct summary *sum)
{
	const struct field *f = sum->f;
	struct plot pl = { r->pts, r->npts, 0, 0 };
	char buf[64];

	wf_puts(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		   "<meta charset=\"utf-8\">\n<title>traderd backtest report"
		   "</title>\n<style>\n"
		   "body{font-family:sans-serif;margin:2em;color:#222}\n"
		   "table{border-collapse:collapse}\n"
		   "th,td{padding:2px 12px;border-bottom:1px solid #ddd;"
		   "text-align:left}\ntd{text-align:right}\n"
		   "svg{display:block;font-size:11px}\n"
		   ".frame{fill:#fafafa;stroke:#bbb}\n"
		   ".eq{fill:none;stroke:#1f5fa8;stroke-width:1.5}\n"
		   ".dd{fill:#d9534f;fill-opacity:0.35;stroke:#c9302c}\n"
		   ".win{fill:#2e9e44;fill-opacity:.8}\n.loss{fill:#c9302c;fill-opacity:.8}\n"
		   "td.txt{text-align:left}\n"
		   "</style>\n</head>\n<body>\n<h1>Backtest report</h1>\n");
	html_names(r, w, "Strategies", r->nstrat, strat_name);
	html_names(r, w, "Instruments", r->ninstr, instr_name);
	wf_puts(w, "<table>\n");
	for (size_t i = 0; i < NFIELDS; i++)
		wf_printf(w, "<tr><th>%s</th><td>%s</td></tr>\n", f[i].label,
			  trd__field_text(&f[i], 0, buf));
	wf_puts(w, "</table>\n");
	html_risk(w, sum);

	if (r->n && !r->last_kept)
		r->pts[pl.n++] = r->last;
	if (pl.n == 0) {
		wf_puts(w, "<p>No equity samples.</p>\n</body>\n</html>\n");
		return;
	}
	pl.lo = pl.hi = eqd(&pl.pts[0]);
	for (size_t i = 1; i < pl.n; i++) {
		pl.lo = fmin(pl.lo, eqd(&pl.pts[i]));
		pl.hi = fmax(pl.hi, eqd(&pl.pts[i]));
	}
	if (pl.hi <= pl.lo) { /* flat: give the line a band to sit in */
		pl.lo -= 1;
		pl.hi += 1;
	}
	svg_charts(r, w, &pl);
	wf_puts(w, "</body>\n</html>\n");
}
