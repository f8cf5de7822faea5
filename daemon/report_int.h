/*
 * report_int: what the report's writers share (report.c streams the
 * CSV files and writes report.json; report_html.c writes report.html).
 * Private to the report module.
 */
#ifndef TRD_REPORT_INT_H
#define TRD_REPORT_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "instrument.h"
#include "report.h"
#include "report_stats.h"
#include "traderd/types.h"
#include "wfile.h"

#define CHART_MAX  2048 /* equity chart points kept */
#define MARK_MAX   1000 /* trades drawn on the chart */
#define EQ_BUFSZ   (256 * 1024)
#define CSV_BUFSZ  (32 * 1024)
#define LINE_MAX_B 256  /* reserved for one hand-formatted line */
#define ROW_FIXED_B 640 /* an orders.csv row but its names and reason */
#define YEAR_S     (365.25 * 86400)
#define NSTREAMED  5    /* eq, fills, trades, events, orders */

struct chart_pt {
	int64_t ts, eq;
	double  dd;
};

struct mark {
	int64_t  entry_ns, exit_ns;
	double   entry_px, exit_px;
	int64_t  qty, net;  /* quantity scale; net PnL, cash scale */
	uint32_t ins, strat;
	uint8_t  side, win;
};

/* A name as a CSV field, quoted once at open: text is the field without
 * its closing quote when quoted (client ids put "-<seq>" before it). */
struct csv_name {
	char   *text;
	size_t  len;
	int     quoted;
};

struct trd_report {
	char                    *dir;
	int64_t                  initial;
	uint32_t                 tf_s;
	const struct trd_registry *reg;
	size_t                   ninstr;
	const char             **strat;
	size_t                   nstrat;
	/* [n] is "?", for an index out of range. */
	struct csv_name         *strat_csv, *instr_csv;
	size_t                   row_max; /* room a streamed CSV row needs */
	/* Streamed from open; the first NSTREAMED files of finish. */
	struct wfile             eq, fills, trades, events, orders;
	/* Orders by final status, counted as they close (and at finish for
	 * those still open), and rejections by reason. */
	uint64_t                 norders, nfilled, npartial, nrejected,
				 ncanceled, nexpired;
	uint64_t                 rejects[TRD_REJ_COUNT];
	/* equity.csv: the last sample (last, last_cash) is the row of its
	 * interval, ending at eq_end; it is written when a sample falls
	 * past eq_end, or at finish. */
	int64_t                  eq_every_ns, eq_end, last_cash;

	/* Online statistics over the equity samples. */
	uint64_t                 n, nexposed, bars, nret, nneg;
	/* Returns as sums shifted by the first return (stable, and no
	 * division in the per-bar dependency chain, unlike Welford). */
	double                   shift, s1, s2, down2, maxdd;
	int64_t                  prev, peak, peak_ns, first_ns;
	int64_t                  maxdur_ns;
	int                      under;

	/* Chart: every stride-th sample; skip counts down to the next. */
	struct chart_pt          pts[CHART_MAX];
	size_t                   npts;
	uint64_t                 stride, skip;
	struct chart_pt          last;
	int                      last_kept;
	/* A flat run: samples whose equity equals the last one's take
	 * trd_report_sample's shortcut, which records only what differs
	 * between them (time, cash, exposure, bars).  flat_left more may
	 * take it (set by sample_full; 0 when the shortcut does not hold);
	 * settle() counts the flat_grant - flat_left taken into n, nret,
	 * skip and the peak time before anything reads those. */
	uint64_t                 flat_left, flat_grant;

	/* A flat run ends at the end of its equity.csv interval or of its
	 * day, whichever comes first. */
	int64_t                  flat_end;
	const struct trd_config *conf;    /* NULL: none given */
	int64_t                  wall_ns; /* -1: not given */
	struct trd_report_value *rec;     /* strings owned: recbuf */
	char                    *recbuf;
	size_t                   nrec;
	struct rstats            rs;
	/* The run's record (report_run.c), made at open. */
	struct wfile             run_json, run_html;

	uint64_t                 ntrades, nwins;
	__int128                 gross_profit, gross_loss;
	struct mark              marks[MARK_MAX];
	size_t                   nmarks;
};

/* One figure of report.json (key) and of the html table (label). */
enum fkind { F_UINT, F_MONEY, F_RATIO, F_PCT, F_DUR, F_TIME };

struct field {
	const char *key, *label;
	enum fkind  kind;
	uint64_t    u;    /* F_UINT */
	int64_t     i;    /* F_MONEY, F_DUR, F_TIME (ns) */
	double      d;    /* F_RATIO, F_PCT; NAN: not defined for this run */
	int         none; /* F_TIME: no samples */
};

#define NFIELDS 23

/* What report.json and the html show: the figures, rejected orders by
 * reject code, and the risk state (ntrips is 0 whenever trips is NULL). */
struct summary {
	struct field           f[NFIELDS];
	uint64_t               rejects[TRD_REJ_COUNT];
	struct trd_report_risk risk;
};

static inline const char *
strat_name(const struct trd_report *r, size_t i)
{
	return i < r->nstrat && r->strat[i] ? r->strat[i] : "?";
}

static inline const char *
instr_name(const struct trd_report *r, size_t i)
{
	return i < r->ninstr ? r->reg->v[i].symbol : "?";
}

/* PnL of a strategy on a symbol, or summed (report_tables.c). */
struct attr {
	__int128 gross, slip, fees, net; /* gross at the reference prices */
	uint64_t fills, trades, wins, open;
};

/* A month (m 1..12) or a year (m 0) of returns. */
struct period {
	int    key, y, m, days;
	double ret;
};

void trd__attr(const struct trd_report *r, long k, long i, struct attr *a);
long trd__periods(const struct trd_report *r, int yearly, struct period **out);
void trd__stats_json(const struct trd_report *r, struct wfile *w,
		     const struct rs_out *o);
void trd__daily_csv(const struct trd_report *r, struct wfile *w,
		    const struct rs_out *o);
void trd__run_json(const struct trd_report *r, struct wfile *w);
/* Make r->run_json and r->run_html from the config (NULL: the version
 * only); 0 or -1. */
int trd__run_render(const struct trd_config *c, struct wfile *j,
		    struct wfile *h);

/* The value as report.json (json) or the html table shows it.  buf holds
 * at least 64 bytes; returns buf. */
const char *trd__field_text(const struct field *f, int json, char *buf);
/* report.html from the figures and the chart.  Called once, at finish: it
 * appends the last sample to the chart, which has room for it (npts <
 * CHART_MAX after every sample). */
void trd__report_html(struct trd_report *r, struct wfile *w,
		      const struct summary *sum, const struct rs_out *o);

#endif
