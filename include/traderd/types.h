/*
 * traderd public value types: time, scaled decimals, bars.
 *
 * Plugins and tools may include this header.  Everything here is plain data;
 * nothing owns memory.
 *
 * Time is a signed 64-bit count of nanoseconds since the Unix epoch (UTC),
 * which covers 1677..2262.  Prices and quantities are signed 64-bit integers
 * scaled by 10^dp, where dp is the instrument's price or quantity precision
 * (TRD_DEFAULT_DP unless the instrument says otherwise).
 */
#ifndef TRADERD_TYPES_H
#define TRADERD_TYPES_H

#include <stdint.h>

#define TRD_NS_PER_US  1000LL
#define TRD_NS_PER_MS  1000000LL
#define TRD_NS_PER_SEC 1000000000LL

/* Decimal places stored for prices and quantities unless configured. */
#define TRD_DEFAULT_DP 8
#define TRD_MAX_DP     12

/* Decimal places of cash, equity, fees and PnL. */
#define TRD_CASH_DP 8

/* Longest symbol name accepted anywhere (bytes, without the NUL). */
#define TRD_SYMBOL_MAX 31

/*
 * One OHLCV bar.  ts_ns is the bar's open time; the bar covers
 * [ts_ns, ts_ns + tf_s seconds) and becomes known at its close, which is the
 * time the engine delivers it at.  Prices use the instrument's price scale,
 * volume its quantity scale.
 */
struct trd_bar {
	int64_t  ts_ns;
	int64_t  open;
	int64_t  high;
	int64_t  low;
	int64_t  close;
	int64_t  volume;
	uint32_t sym;   /* instrument handle (the session's; see plugin.h) */
	uint32_t tf_s;  /* timeframe in seconds */
};

#endif
