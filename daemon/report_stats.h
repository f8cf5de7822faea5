/*
 * report_stats: the report's analytics beyond the running metrics of
 * report.c, gathered as the run goes and derived at finish:
 *
 *   - a day by day record (equity at each UTC day's last sample, the
 *     benchmark basket, the share of samples with a position open), for
 *     daily returns, returns by month and year, risk figures and the
 *     rolling Sharpe; days without data have no record;
 *   - data gaps (no sample for longer than report.gap) and market time by
 *     report.calendar, so a gap is neither a drawdown nor a holding time;
 *   - the five deepest drawdowns;
 *   - per instrument: the first and last close (buy and hold), a price
 *     series bucketed by time with each bucket's high and low, a count
 *     and a hash of the bars read;
 *   - PnL attribution per strategy and symbol (from the fills) and trade
 *     statistics (from the closed round trips).
 *
 * Memory: fixed per instrument and per strategy-symbol pair, plus one
 * record per day with data and one duration per closed trade.
 */
#ifndef TRD_REPORT_STATS_H
#define TRD_REPORT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "portfolio.h"
#include "traderd/types.h"

#define RS_TOP      5    /* drawdowns, worst days and windows listed */
#define RS_GAPS_MAX 4096 /* gaps recorded; later ones count as market time */
#define PX_MAX      480  /* price buckets per instrument */
#define RS_ROLL     30   /* rolling Sharpe window, in days with data */
#define RS_WINDOW   7    /* the benchmark's worst windows, in days */
#define RS_SHORT_DAYS 30 /* annualised figures from fewer days: caveat */

struct rs_day {
	int64_t day;      /* days since 1970-01-01, UTC */
	int64_t eq;       /* equity at the day's last sample, cash scale */
	double  bench;    /* the equal-weight basket then (1 at the start) */
	double  exposure; /* share of the day's samples with a position */
};

struct rs_gap {
	int64_t from, to;  /* the samples either side, ns */
	int64_t cum;       /* market time removed by this and earlier gaps */
};

struct rs_dd {
	int64_t peak_ns, trough_ns, end_ns; /* end_ns 0: not recovered */
	double  depth;
	int64_t len_ns;   /* market time from the peak to the recovery (or
			   * to the end of the run) */
};

struct rs_bucket {
	int64_t t;          /* start of the bucket */
	int64_t h, l, c;    /* price scale */
};

/* What the source read of an instrument (rs_series, at the end); all 0
 * when it did not say. */
struct rs_ins {
	uint64_t          nbars;
	int64_t           first_ts, last_ts; /* bar closes */
	int64_t           first_px;  /* the first bar's open */
	int64_t           last_close;
	int64_t           w;         /* bucket width */
	struct rs_bucket *b;
	uint32_t          nb;
};

/* One strategy on one symbol (and, summed, per strategy and symbol). */
struct rs_cell {
	__int128 flow;   /* cash from its fills: sells less buys */
	__int128 slip;   /* what slippage cost against the reference */
	__int128 fees;
	int64_t  pos;    /* quantity scale */
	uint64_t fills, trades, wins;
	__int128 trade_net;
};

struct rs_trades {
	uint64_t         n, wins, long_n, long_wins, short_n, short_wins;
	__int128         win_sum, loss_sum, long_net, short_net;
	uint64_t         streak, max_win_streak, max_loss_streak;
	int              last_win;
	int              have;
	struct trd_trade_rec best, worst;
	int64_t         *hold;  /* market-time holding durations, ns */
	size_t           nhold, hold_cap;
};

struct rstats {
	int              calendar;   /* enum trd_calendar */
	int64_t          gap_ns, tf_ns;
	size_t           ninstr, nstrat;
	/* Days. */
	struct rs_day   *days;
	size_t           ndays, days_cap;
	int64_t          cur_day, day_end;
	uint64_t         day_n0, day_x0;
	/* Closes at each day's end: [day, close of each instrument]. */
	int64_t         *marks;
	size_t           nmarkd, markd_cap;
	/* Market time. */
	int64_t          mkt_origin;     /* calendar time of the start */
	struct rs_gap   *gaps;
	size_t           ngaps;
	uint64_t         gaps_dropped;
	/* Drawdowns: the one under way, and the deepest closed ones. */
	double           cur_depth;
	int64_t          cur_trough;
	struct rs_dd     top[RS_TOP];
	size_t           ntop;
	/* Instruments and prices. */
	struct rs_ins   *ins;
	uint64_t         hash;           /* of the data read, given at the end */
	int              have_hash;
	/* Attribution and trades. */
	struct rs_cell  *cell;           /* [strat * ninstr + ins] */
	struct rs_trades tr;
};

/* What rs_derive works out at finish (arrays by day, nday long). */
struct rs_out {
	size_t  ndays;
	double *ret, *bret;   /* daily returns of the run and the basket */
	double *roll;         /* rolling Sharpe; NAN before RS_ROLL days */
	double *dd;           /* drawdown at each day's close */
	double  periods;      /* days a year: 365, or 252 on weekdays */
	int64_t mkt_ns;       /* market time of the run */
	int     caveat;       /* under RS_SHORT_DAYS of market time */
	double  vol, skew, kurt, var95, cvar95, var99, cvar99;
	double  bench_total, excess, alpha, beta, corr, ir;
	size_t  worst[RS_TOP], nworst; /* days, worst first */
	size_t  bwin[RS_TOP], nbwin;   /* last days of the basket's worst
					* windows, worst first */
	double  bwin_bench[RS_TOP], bwin_ret[RS_TOP]; /* over each window:
							* the basket, the run */
	double  hold_mean, hold_median; /* ns */
};

int rs_init(struct rstats *rs, size_t ninstr, size_t nstrat, uint32_t tf_s,
	    int calendar, uint32_t gap_s);
void rs_free(struct rstats *rs);
int rs_day_marks(struct rstats *rs, int64_t ts, const int64_t *marks,
		 size_t stride);
/* bk: nb buckets as (start, high, low, close). */
void rs_series(struct rstats *rs, uint32_t ins, uint64_t nbars,
	       int64_t first_ns, int64_t last_ns, int64_t first_open,
	       int64_t last_close, const int64_t *bk, size_t nb, int64_t w);
int64_t rs_sample(struct rstats *rs, int64_t prev_ts, int64_t prev_eq,
		  uint64_t n, uint64_t nexposed, int64_t ts);
/* Market time from the start of the run to t (gaps and, on weekdays,
 * weekends left out). */
int64_t rs_mkt(const struct rstats *rs, int64_t t);
/* Gaps that end at or before t: two times with different counts have a
 * gap between them. */
size_t rs_gaps_before(const struct rstats *rs, int64_t t);
/* t lies strictly inside a gap. */
int rs_in_gap(const struct rstats *rs, int64_t t);
void rs_under(struct rstats *rs, double dd, int64_t ts);
void rs_recovered(struct rstats *rs, int64_t peak_ns, int64_t ts);
void rs_fill(struct rstats *rs, uint32_t strat, uint32_t ins, int side,
	     int64_t qty, int64_t price, int64_t ref, int64_t fee, int pdp,
	     int qdp);
void rs_trade(struct rstats *rs, const struct trd_trade_rec *t);
/* price * qty in cash scale, rounded as asked (as the portfolio books
 * fills: buys up, sells down; marks to the nearest). */
__int128 rs_value(int64_t price, int64_t qty, int pdp, int qdp,
		  enum trd_round rnd);
int rs_derive(struct rstats *rs, int64_t last_eq, uint64_t n,
	      uint64_t nexposed, int64_t initial, int under, int64_t peak_ns,
	      int64_t last_ts, struct rs_out *o);
void rs_out_free(struct rs_out *o);

#endif
