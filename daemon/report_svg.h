/*
 * report_svg: chart primitives for report_html (see report_svg.c).
 * Coordinates are in a 640-wide viewBox; the svg scales to its box.
 */
#ifndef TRD_REPORT_SVG_H
#define TRD_REPORT_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "report_stats.h"
#include "wfile.h"

#define SVG_W  640.0
#define SVG_ML 62.0 /* left margin: the y labels */
#define SVG_MR 10.0
#define SVG_MT 8.0
#define SVG_MB 22.0 /* bottom margin: the date labels */

struct svg {
	struct wfile        *w;
	const struct rstats *rs;
	int64_t              t0, t1; /* the time axis, wall ns */
	int64_t              m0, m1; /* the same in market time */
	double               lo, hi, h;
	int                  pen;
	size_t               pen_gaps;
};

/* Open an svg of height h for times t0..t1 and values lo..hi. */
void svg_frame(struct svg *g, struct wfile *w, const struct rstats *rs,
	       int64_t t0, int64_t t1, double lo, double hi, double h);
double svg_x(const struct svg *g, int64_t t);
double svg_y(const struct svg *g, double v);
/* Gridlines and labels at round values (pct: as percentages; dp: at
 * most that many decimals) and at round dates; dashed lines at gaps. */
void svg_yticks(struct svg *g, int pct, int dp);
void svg_xticks(struct svg *g);
void svg_gaps(struct svg *g);
/* A polyline as a path, broken at gaps and at non-finite values. */
void svg_path_begin(struct svg *g, const char *cls);
void svg_path_pt(struct svg *g, int64_t t, double v);
void svg_path_end(struct svg *g);
/* A filled area between the series and base: times t and values v, n
 * of them, stride_t and stride_v bytes apart. */
void svg_area(struct svg *g, const char *cls, const int64_t *t,
	      const double *v, size_t n, size_t stride_t, size_t stride_v,
	      double base);
void svg_close(struct svg *g);

#endif
