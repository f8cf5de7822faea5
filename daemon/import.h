/*
 * import: CSV bar files into the store.
 *
 * Two formats.  Binance kline CSV: 12 columns (open_time, open, high, low,
 * close, volume, close_time, quote_volume, count, taker_buy_base,
 * taker_buy_quote, ignore), with or without the futures header row, times in
 * ms or (spot files from 2025) µs.  Generic CSV: header
 * "ts,open,high,low,close,volume", ts in s, ms, µs or ns told apart by
 * magnitude.  Every row is checked (column count, numbers, signs, OHLC
 * consistency, alignment to the timeframe, increasing time, one time unit
 * per file, Binance close_time against the timeframe); bad rows are
 * rejected with their line number and reason, good rows are stored.
 *
 * A file is imported in one write transaction: it lands whole or not at
 * all, so a failure (disk full, map at its ceiling) never leaves half a
 * file.  Puts never overwrite: re-importing a file changes nothing, and a
 * row that differs from the stored bar at its time is rejected, keeping
 * the stored one.
 */
#ifndef TRD_IMPORT_H
#define TRD_IMPORT_H

#include <stdint.h>

#include "store.h"

enum trd_import_format {
	TRD_FMT_AUTO,
	TRD_FMT_BINANCE,
	TRD_FMT_CSV,
};

#define TRD_IMPORT_MAX_REPORTS 10

struct trd_import_issue {
	uint64_t line;
	char     reason[160];
};

struct trd_import_stats {
	enum trd_import_format format;   /* detected (bars) */
	const char            *layout;   /* ticks: the layout detected, as
					  * "binance aggTrades" */
	const char            *unit;     /* "s", "ms", "us", "ns" */
	uint64_t rows;        /* data rows read (blank lines not counted) */
	uint64_t imported;    /* newly stored */
	uint64_t unchanged;   /* already stored, identical */
	uint64_t rejected;
	uint64_t gaps;        /* missing-bar gaps between accepted rows */
	uint64_t gap_bars;    /* bars missing in those gaps */
	int      nissues;     /* first rejected rows (<= MAX_REPORTS) */
	struct trd_import_issue issues[TRD_IMPORT_MAX_REPORTS];
	int      ngap_reports;
	struct trd_import_issue gap_reports[TRD_IMPORT_MAX_REPORTS];
};

/* Parse "auto", "binance", "csv"; returns 0 or -1. */
int trd_import_format_parse(const char *s, enum trd_import_format *out);
const char *trd_import_format_name(enum trd_import_format f);

/*
 * Import path as bars of instrument in at timeframe tf_s.  Returns 0 when
 * the file was read and its good rows committed (st says how many were
 * rejected), or a negative error for a file that could not be processed
 * at all (unreadable, empty, unknown format, store failure); the error is
 * logged with the file name and nothing from the file is stored.
 */
int trd_import_file(struct trd_store *s, const struct trd_instrument *in,
		    uint32_t tf_s, enum trd_import_format fmt,
		    const char *path, struct trd_import_stats *st);

/*
 * Import path as ticks of instrument in: kind TRD_TICK_TRADES or
 * TRD_TICK_QUOTES (ticks.h), from Binance aggTrades or trades CSV, a
 * trades or quotes CSV, or a recorded session's WebSocket frames (see
 * import_ticks.c for the layouts).  venue_symbol names the instrument in
 * frames (NULL: its symbol).  Returns as trd_import_file; st->layout
 * names the layout found.
 */
int trd_import_ticks_file(struct trd_store *s, const struct trd_instrument *in,
			  const char *venue_symbol, int kind, const char *path,
			  struct trd_import_stats *st);

#endif
