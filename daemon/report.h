/*
 * report: the backtest report, written to report_dir when a replay ends.
 *
 * The engine feeds it as the replay runs: one equity sample per distinct
 * event time (after every event at that time has been processed), each
 * fill, each closed round trip.  Nothing grows with the number of bars:
 * equity.csv is streamed to a temporary file (one row per equity_interval_s
 * of bar time: the last sample in it), the metrics are accumulated
 * online (returns, drawdown, exposure), and the chart keeps a bounded,
 * evenly thinned series.  trd_report_finish() writes report.json,
 * orders.csv, fills.csv, trades.csv and report.html, each to a temporary
 * name renamed into place, so a report directory never holds half a report.
 *
 * Output is deterministic: the same run gives byte-identical files (no wall
 * times, fixed number formats).
 */
#ifndef TRD_REPORT_H
#define TRD_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "oms.h"
#include "portfolio.h"

struct trd_report_instr {
	const char *symbol;
	uint8_t     price_dp, qty_dp;
};

struct trd_report_meta {
	const char                    *dir;         /* created if missing */
	int64_t                        initial_cash; /* cash scale */
	uint32_t                       tf_s;        /* bar timeframe: annualisation */
	uint32_t                       equity_interval_s; /* equity.csv rows; 0: all */
	const struct trd_report_instr *instr;       /* indexed like orders' ins */
	size_t                         ninstr;
	const char *const             *strategies;  /* names, by strategy index */
	size_t                         nstrat;
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

/*
 * Write every file.  oms holds every order of the run (orders.csv lists
 * each with its final state); fees is the portfolio's total.  Returns 0 or
 * a negative error (logged; the temporary files are removed, so the
 * directory never holds a partial report).  The report is freed either
 * way.  orders_filled counts orders that traded at all (a partly filled
 * order whose rest was canceled included).
 */
int trd_report_finish(struct trd_report *r, const struct trd_oms *oms,
		      int64_t fees);
/* Free without writing (error paths). */
void trd_report_abort(struct trd_report *r);

#endif
