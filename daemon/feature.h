/*
 * feature: the feature engine.  Per-instrument state (a ring of recent
 * bars) and incremental technical and microstructure indicators.
 *
 * One struct trd_fset holds everything computed for one instrument.  Each
 * indicator instance, named name(params) in canonical form, is created once
 * and shared by every output and every caller asking for it; it updates
 * from its own running state when a bar, quote or trade arrives: O(1),
 * amortised O(1) for the rolling extremes, and for cci a binary search
 * plus a move of its sorted window.  Nothing recomputes a window.  An
 * indicator created after data has started warms up from that point.
 *
 * Names follow `name(params)[.field]`:
 *   sma(n) ema(n) wma(n) rsi(n) macd(f,s,g).line|signal|hist roc(n) cci(n)
 *   bb(n,k).mid|upper|lower|pctb|width atr(n) adx(n).adx|plus_di|minus_di
 *   stoch(n,d).k|d willr(n) vol(n) zscore(n) vwap(n) vwap_z(n)
 *   donchian(n).upper|lower|mid keltner(n,k).mid|upper|lower obv
 *   er(n) vol_pct(n,m) regime(n,m).vol_pct|er|adx|trend|vol|label
 *   mid spread_bps book_imbalance trade_imbalance(n) ofi(n)
 * Integers n, f, s, g, d, m are 1..TRD_FEATURE_MAX_N; k is a decimal > 0.
 * keltner takes an optional ATR period m (default n): keltner(20,2,10).
 * ema, macd, rsi and keltner take an optional seed=first: seed the
 * averages with the first input, as pandas' ewm(adjust=False) does,
 * instead of the SMA of the first n (TA-Lib, StockCharts; the default).
 * The README defines each one.
 *
 * Values are doubles in natural units (prices as prices, not scaled
 * integers).  A value is NaN until its indicator has warmed up, and stays
 * NaN when it is undefined at a bar (a zero range, a zero volume).
 *
 * The same code runs in the daemon, in `traderctl features` and in the
 * tests: training and live trading see identical values.
 */
#ifndef TRD_FEATURE_H
#define TRD_FEATURE_H

#include <stddef.h>
#include <stdint.h>

#include "traderd/plugin.h"
#include "traderd/types.h"

#define TRD_FEATURE_NAME_MAX 80     /* longest output name, with the NUL
				     * (names as written: at most 63) */
#define TRD_FEATURE_MAX_N    100000 /* largest window */
#define TRD_FEATURE_MAX_OUT  8      /* most outputs of one indicator */
#define TRD_FEATURE_MAX_SET  1024   /* most indicators per instrument */

struct trd_fset;

/*
 * A set for one instrument whose prices are scaled by 10^price_dp and
 * quantities by 10^qty_dp, keeping the last `history` bars (>= 1).
 * Returns 0 or -ENOMEM.
 */
int trd_fset_new(struct trd_fset **out, uint8_t price_dp, uint8_t qty_dp,
		 uint32_t history);
void trd_fset_free(struct trd_fset *fs);

/*
 * Resolve one output ("rsi(14)", "bb(20,2).upper", "obv"), creating its
 * indicator if this set does not have it yet.  Returns a pointer to the
 * value, stable until trd_fset_free(); NULL on a bad name, with a message
 * naming it in err.  An indicator with several outputs needs a field.
 */
const double *trd_fset_add(struct trd_fset *fs, const char *name, char *err,
			   size_t errlen);

/*
 * Check a name without a set.  With outputs != NULL, also write the
 * canonical output names it stands for (up to max; "bb(20,2)" stands for its
 * five fields, "bb(20, 2).upper" for "bb(20,2).upper").  Returns the number
 * of outputs, or -1 with a message naming it in err.
 */
int trd_feature_expand(const char *name,
		       char (*outputs)[TRD_FEATURE_NAME_MAX], size_t max,
		       char *err, size_t errlen);

/* Feed the instrument's data, in time order.  Bars update the bar
 * indicators and the ring; quotes and trades the microstructure ones. */
void trd_fset_bar(struct trd_fset *fs, const struct trd_bar *bar);
void trd_fset_quote(struct trd_fset *fs, const struct trd_quote *q);
void trd_fset_trade(struct trd_fset *fs, const struct trd_trade *t);

/* The k-th most recent bar (0: the latest).  0, or -ENOENT when fewer than
 * k + 1 bars are kept. */
int trd_fset_bar_at(const struct trd_fset *fs, size_t k, struct trd_bar *out);
int trd_fset_quote_at(const struct trd_fset *fs, size_t k,
		      struct trd_quote *out);
int trd_fset_trade_at(const struct trd_fset *fs, size_t k,
		      struct trd_trade *out);

/* Indicator instances in the set (outputs of one share an instance; so do
 * sma(n), zscore(n) and bb(n,k), which read one shared window of n closes,
 * and stoch(n,d), willr(n) and donchian(n), one rolling high/low: each
 * shared window counts as an instance). */
size_t trd_fset_count(const struct trd_fset *fs);

#endif
