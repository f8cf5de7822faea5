/*
 * report_svg: the page's charts as inline SVG, no script: a frame with
 * gridlines, y ticks at round values and x ticks at round dates, time
 * drawn in market time (data gaps closed up and marked with a dashed
 * line), and series broken at the gaps.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"
#include "report_svg.h"
#include "timefmt.h"

#define HOUR ((int64_t)3600 * TRD_NS_PER_SEC)
#define DAYN (24 * HOUR)

void
svg_frame(struct svg *g, struct wfile *w, const struct rstats *rs, int64_t t0,
	  int64_t t1, double lo, double hi, double h)
{
	*g = (struct svg){ .w = w, .rs = rs, .t0 = t0, .t1 = t1,
			   .m0 = rs_mkt(rs, t0), .m1 = rs_mkt(rs, t1),
			   .lo = lo, .hi = hi, .h = h };
	if (g->m1 <= g->m0)
		g->m1 = g->m0 + 1;
	if (!(g->hi > g->lo)) {
		double c = isfinite(lo) ? lo : 0, d = fabs(c) * 0.01 + 1e-9;
		g->lo = c - d;
		g->hi = c + d;
	}
	wf_printf(w, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", SVG_W, h);
	wf_printf(w, "<rect class=\"frame\" x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" "
		     "height=\"%.0f\"/>\n",
		  SVG_ML, SVG_MT, SVG_W - SVG_ML - SVG_MR, h - SVG_MT - SVG_MB);
}

double
svg_x(const struct svg *g, int64_t t)
{
	double f = (double)(rs_mkt(g->rs, t) - g->m0) / (double)(g->m1 - g->m0);

	f = f < 0 ? 0 : f > 1 ? 1 : f;
	return SVG_ML + f * (SVG_W - SVG_ML - SVG_MR);
}

double
svg_y(const struct svg *g, double v)
{
	double f = (g->hi - v) / (g->hi - g->lo);

	f = f < 0 ? 0 : f > 1 ? 1 : f;
	return SVG_MT + f * (g->h - SVG_MT - SVG_MB);
}

/* A round step (1, 2 or 5 times a power of ten) giving about n ticks. */
static double
nice_step(double span, int n)
{
	double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

void
svg_yticks(struct svg *g, int pct, int dp)
{
	/* About one label per 50 units of height: short charts get fewer. */
	double step = nice_step(g->hi - g->lo, g->h >= 250 ? 5 : g->h >= 150 ? 3 : 2);
	double v = ceil(g->lo / step - 1e-9) * step;
	double big = fmax(fabs(g->lo), fabs(g->hi));
	/* Labels stay short enough for the margin: 115k, 2.5M. */
	double div = pct || big < 1e4 ? 1 : big < 1e7 ? 1e3 : 1e6;
	const char *suf = div == 1 ? "" : div == 1e3 ? "k" : "M";
	int prec = step / div >= 1 ? 0
				   : (int)ceil(-log10(step / div) - 1e-9);

	if (!pct && div == 1 && prec > dp)
		prec = dp;
	for (int i = 0; v <= g->hi + step * 1e-9 && i < 20; v += step, i++) {
		double y = svg_y(g, v);
		wf_printf(g->w, "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" "
				"x2=\"%.0f\" y2=\"%.1f\"/>",
			  SVG_ML, y, SVG_W - SVG_MR, y);
		if (pct)
			wf_printf(g->w, "<text x=\"%.0f\" y=\"%.1f\" "
					"class=\"yl\">%.*f%%</text>\n",
				  SVG_ML - 4, y + 4, prec > 2 ? 2 : prec,
				  fabs(v) < step * 1e-9 ? 0 : v * 100);
		else
			wf_printf(g->w, "<text x=\"%.0f\" y=\"%.1f\" "
					"class=\"yl\">%.*f%s</text>\n",
				  SVG_ML - 4, y + 4, prec,
				  fabs(v) < step * 1e-9 ? 0 : v / div, suf);
	}
}

/* Round dates: hours, days, weeks (Mondays), months, years. */
static const struct {
	int64_t step;
	int     months;
} steps[] = {
	{ HOUR, 0 },	   { 3 * HOUR, 0 }, { 6 * HOUR, 0 }, { 12 * HOUR, 0 },
	{ DAYN, 0 },	   { 2 * DAYN, 0 }, { 7 * DAYN, 0 }, { 14 * DAYN, 0 },
	{ 0, 1 },	   { 0, 3 },	    { 0, 6 },	     { 0, 12 },
	{ 0, 24 },	   { 0, 60 },	    { 0, 120 },
};

static int64_t
month_start(int64_t y, int64_t m) /* m 0-based, may exceed 11 */
{
	y += m / 12;
	m %= 12;
	return trd_days_from_civil(y, (unsigned)m + 1, 1) * DAYN;
}

void
svg_xticks(struct svg *g)
{
	int64_t span = g->m1 - g->m0, t, y;
	unsigned mo, d;
	size_t k = 0, n = sizeof(steps) / sizeof(steps[0]);
	int drawn = 0;

	/* The first step giving at most 6 ticks over the market span. */
	for (; k + 1 < n; k++) {
		int64_t s = steps[k].step ? steps[k].step
					  : (int64_t)steps[k].months * 30 * DAYN;
		if (span / s <= 6)
			break;
	}
	trd_civil_from_days(g->t0 / DAYN, &y, &mo, &d);
	if (steps[k].months) {
		int64_t m = (y * 12 + (int64_t)mo - 1);
		m = (m + steps[k].months - 1) / steps[k].months * steps[k].months;
		t = month_start(0, m);
	} else if (steps[k].step == 7 * DAYN || steps[k].step == 14 * DAYN) {
		/* Mondays: 1970-01-05 was one. */
		int64_t d0 = 4 * DAYN;
		t = d0 + ((g->t0 - d0) / steps[k].step + 1) * steps[k].step;
	} else {
		t = (g->t0 / steps[k].step + 1) * steps[k].step;
	}
	for (int i = 0; t <= g->t1 && i < 400; i++) {
		char lab[32], b[TRD_TIME_BUFSZ];
		int64_t next;

		/* A tick inside a gap has no place on a market-time axis. */
		if (t > g->t0 && !rs_in_gap(g->rs, t) && drawn < 12) {
			double x = svg_x(g, t);
			trd_time_format(t, b);
			if (steps[k].months >= 12)
				snprintf(lab, sizeof(lab), "%.4s", b);
			else if (steps[k].months)
				snprintf(lab, sizeof(lab), "%.7s", b);
			else if (steps[k].step >= DAYN)
				snprintf(lab, sizeof(lab), "%.10s", b);
			else
				snprintf(lab, sizeof(lab), "%.5s %.5s", b + 5,
					 b + 11);
			wf_printf(g->w, "<line class=\"grid\" x1=\"%.1f\" "
					"y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\"/>"
					"<text x=\"%.1f\" y=\"%.1f\" "
					"class=\"xl\">%s</text>\n",
				  x, SVG_MT, x, g->h - SVG_MB, x,
				  g->h - SVG_MB + 14, lab);
			drawn++;
		}
		if (steps[k].months) {
			trd_civil_from_days(t / DAYN, &y, &mo, &d);
			next = month_start(y, (int64_t)mo - 1 + steps[k].months);
		} else {
			next = t + steps[k].step;
		}
		t = next;
	}
}

void
svg_gaps(struct svg *g)
{
	const struct rstats *rs = g->rs;
	size_t a = rs_gaps_before(rs, g->t0), b = rs_gaps_before(rs, g->t1);
	char f[TRD_TIME_BUFSZ], t[TRD_TIME_BUFSZ];

	for (size_t i = a; i < b && i < a + 50; i++) {
		double x = svg_x(g, rs->gaps[i].to);
		wf_printf(g->w, "<line class=\"gap\" x1=\"%.1f\" y1=\"%.0f\" "
				"x2=\"%.1f\" y2=\"%.1f\"><title>no data from "
				"%s to %s</title></line>\n",
			  x, SVG_MT, x, g->h - SVG_MB,
			  trd_time_format(rs->gaps[i].from, f),
			  trd_time_format(rs->gaps[i].to, t));
	}
}

void
svg_path_begin(struct svg *g, const char *cls)
{
	wf_printf(g->w, "<path class=\"%s\" d=\"", cls);
	g->pen = 0;
}

void
svg_path_pt(struct svg *g, int64_t t, double v)
{
	size_t k = rs_gaps_before(g->rs, t);

	if (!isfinite(v)) {
		g->pen = 0;
		return;
	}
	/* Lift the pen across a gap. */
	wf_puts(g->w, g->pen && k == g->pen_gaps ? " L" : " M");
	wf_fixed(g->w, svg_x(g, t), 1);
	wf_puts(g->w, " ");
	wf_fixed(g->w, svg_y(g, v), 1);
	g->pen = 1;
	g->pen_gaps = k;
}

void
svg_path_end(struct svg *g)
{
	wf_puts(g->w, "\"/>\n");
}

void
svg_area(struct svg *g, const char *cls, const int64_t *t, const double *v,
	 size_t n, size_t stride_t, size_t stride_v, double base)
{
	if (n == 0)
		return;
	wf_printf(g->w, "<path class=\"%s\" d=\"M%.1f %.1f", cls,
		  svg_x(g, t[0]), svg_y(g, base));
	for (size_t i = 0; i < n; i++) {
		const int64_t *ti = (const int64_t *)((const char *)t +
						      i * stride_t);
		const double *vi = (const double *)((const char *)v +
						    i * stride_v);
		if (isfinite(*vi)) {
			wf_puts(g->w, " L");
			wf_fixed(g->w, svg_x(g, *ti), 1);
			wf_puts(g->w, " ");
			wf_fixed(g->w, svg_y(g, *vi), 1);
		}
	}
	wf_printf(g->w, " L%.1f %.1fZ\"/>\n",
		  svg_x(g, *(const int64_t *)((const char *)t +
					       (n - 1) * stride_t)),
		  svg_y(g, base));
}

void
svg_close(struct svg *g)
{
	wf_puts(g->w, "</svg>\n");
}
