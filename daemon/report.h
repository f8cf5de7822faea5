/*
 * report: the backtest report, written to report_dir when a replay ends.
 *
 * The engine feeds it as the replay runs: one equity sample per distinct
 * event time (after every event at that time has been processed), each
 * fill, each order transition, each closed round trip.  Nothing grows
 * with the number of bars or of orders:
 * equity.csv is streamed to a temporary file (one row per equity_interval_s
 * of bar time: the last sample in it), the metrics are accumulated
 * online (returns, drawdown, exposure), and the chart keeps a bounded,
 * evenly thinned series.  order_events.csv (every order state transition,
 * in the order they happen) and orders.csv (each order as it closes) are
 * streamed the same way.  trd_report_finish() writes report.json and
 * report.html,
 * each to a temporary name, and renames every file into place only once
 * all are whole, so a report directory never holds half a report.
 *
 * Output is deterministic: the same run gives byte-identical files (no wall
 * times, fixed number formats).
 */
#ifndef TRD_REPORT_H
#define TRD_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "instrument.h"
#include "oms.h"
#include "portfolio.h"

struct trd_report_meta {
	const char                    *dir;         /* created if missing */
	int64_t                        initial_cash; /* cash scale */
	uint32_t                       tf_s;        /* bar timeframe: annualisation */
	uint32_t                       equity_interval_s; /* equity.csv rows; 0: all */
	const struct trd_registry     *reg;         /* instruments: names,
						     * scales */
	const char *const             *strategies;  /* names, by strategy index */
	size_t                         nstrat;
	/* The run's settings, for its record in the report (never a
	 * secret: see README) and report.calendar and report.gap; NULL:
	 * defaults, no record. */
	const struct trd_config       *conf;
};

struct trd_report;

/* Open the report (creates dir, starts equity.csv).  The meta's strings
 * must outlive the report.  Returns 0 or a negative error (logged). */
int trd_report_open(struct trd_report **out, const struct trd_report_meta *m);

/*
 * One equity sample at time ts_ns (the close of the bars just processed):
 * equity and cash in cash scale, exposed = whether any position was open.
 * Samples arrive in non-decreasing time; bars counts the bar events since
 * the previous sample.
 */
void trd_report_sample(struct trd_report *r, int64_t ts_ns, int64_t equity,
		       int64_t cash, int exposed, uint64_t bars);
void trd_report_fill(struct trd_report *r, const struct trd_order *o,
		     int64_t qty, int64_t price, int64_t fee, int64_t ts_ns);
void trd_report_trade(struct trd_report *r, const struct trd_trade_rec *t);
/* The last price of every instrument (marks[i * stride bytes], price
 * scale; 0: none yet) at the end of the UTC day of ts_ns (a bar close at
 * midnight ends the day before): the benchmark.  Called before the first
 * event of a later day moves them, and at the end. */
void trd_report_day_marks(struct trd_report *r, int64_t ts_ns,
			  const int64_t *marks, size_t stride);
/* How long the run took on the wall clock, for the record only (it is
 * the one figure two runs differ by). */
void trd_report_wall(struct trd_report *r, int64_t ns);

/* A figure a strategy recorded (host->record): the last value of each
 * name, in the order first recorded. */
struct trd_report_value {
	const char *strategy, *name;
	double      v;
};
/* Keep n values for report.json's "recorded" (copied; 0 or -ENOMEM). */
int trd_report_recorded(struct trd_report *r,
			const struct trd_report_value *v, size_t n);
/* A hash of the data the run read (trd_replay_data_hash), for the
 * record. */
void trd_report_data_hash(struct trd_report *r, uint64_t h);
/* What the source read of instrument ins (trd_series_summary): bars,
 * first and last close times (0 when none), the first open and last
 * close, and nb price buckets as (start, high, low, close), w wide. */
void trd_report_series(struct trd_report *r, uint32_t ins, uint64_t nbars,
		       int64_t first_ns, int64_t last_ns, int64_t first_open,
		       int64_t last_close, const int64_t *buckets, size_t nb,
		       int64_t w);
/*
 * One row of order_events.csv: o just changed state (or was amended), o's
 * fields are those after the change and o->update_ns is the event time;
 * and when o has closed, its row of orders.csv.  Called from the order
 * manager's subscription (trd_report_on_order), so rows keep the order of
 * the transitions.  o is read during the call only.
 */
void trd_report_order(struct trd_report *r, const struct trd_order *o);
/* The order manager's subscriber (trd_oms_cb): fills and transitions. */
void trd_report_on_order(void *arg, const struct trd_order *o,
			 const struct trd_oms_fill *fill);

/* A kill switch trip: when, and the reason given to halt. */
struct trd_report_trip {
	int64_t     ts_ns;
	const char *reason; /* NULL reads as "" */
};

/* The risk state at the end of the run, for report.json and the html.
 * halted: the kill switch is still on; trips in the order they happened. */
struct trd_report_risk {
	int                           halted;
	const struct trd_report_trip *trips;
	size_t                        ntrips;
};

/*
 * Write every file.  orders.csv has had a row for each order as it
 * closed; the orders of oms still open are added, in id order.  fees is
 * the portfolio's total; risk (may be NULL: not halted, no trips) is read
 * during the call only.  Returns 0 or a negative error (logged; the
 * temporary files are removed, so the directory never holds a partial
 * report).  The report is freed either way.  Orders are counted by final
 * status: orders_filled those that filled in full, orders_partially_filled
 * those that traded but not all (the rest canceled, expired or still
 * working).
 */
int trd_report_finish(struct trd_report *r, const struct trd_oms *oms,
		      int64_t fees, const struct trd_report_risk *risk);
/* Free without writing (error paths). */
void trd_report_abort(struct trd_report *r);

#endif
