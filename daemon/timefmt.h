/*
 * timefmt: parsing and printing of times and timeframes.  Pure functions:
 * nothing here reads the system time (that is the clock's job).
 */
#ifndef TRD_TIMEFMT_H
#define TRD_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a time given by an operator: ISO 8601 UTC ("2020-01-01T00:00:00Z",
 * optional fraction, "Z" or "+00:00"; a bare date means midnight UTC) or
 * Unix seconds ("1577836800", optional fraction).  Returns 0 and sets *ns,
 * or TRD_ESYNTAX / TRD_ERANGE.
 */
int trd_time_parse(const char *s, int64_t *ns);

/* Format ns as ISO 8601 UTC, with a fraction only when it is non-zero.
 * buf must hold TRD_TIME_BUFSZ bytes.  Returns buf. */
#define TRD_TIME_BUFSZ 40
char *trd_time_format(int64_t ns, char *buf);

/* Unix seconds with up to 9 decimals, trailing zeros trimmed ("1577836800",
 * "1577836800.5").  buf must hold TRD_TIME_BUFSZ bytes.  Returns buf. */
char *trd_time_format_unix(int64_t ns, char *buf);

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t trd_days_from_civil(int64_t y, unsigned m, unsigned d);
void trd_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/*
 * Timeframes: "<n><unit>" with unit s, m, h, d or w ("1m", "15m", "4h",
 * "1d").  Months ("1M") are rejected: they have no fixed length.  Returns 0
 * and sets *seconds, or TRD_ESYNTAX / TRD_ERANGE.
 */
int trd_timeframe_parse(const char *s, uint32_t *seconds);
/* Shortest spelling of a timeframe ("60" -> "1m").  buf >= 16 bytes. */
char *trd_timeframe_format(uint32_t seconds, char *buf);

#endif
