/*
 * decimal: exact conversion between decimal text and scaled int64.
 *
 * A value v with dp decimal places is stored as v * 10^dp.  Parsing never
 * rounds: digits beyond dp are accepted only when they are zeros, so what is
 * printed back equals what was read.
 */
#ifndef TRD_DECIMAL_H
#define TRD_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* Exact intermediate products of scaled integers (price x qty x 10^k). */
typedef __int128 i128;

extern const int64_t trd_pow10[19];

/*
 * Parse s[0..len) ("-12.345", "+7", "0.5", ".5" and "5." are accepted; no
 * exponent, no spaces).  Returns 0 and sets *out, or TRD_ESYNTAX,
 * TRD_ERANGE (does not fit int64 at this scale) or TRD_EPRECISION.
 */
int trd_dec_parse(const char *s, size_t len, int dp, int64_t *out);

/* Same, for a NUL-terminated string. */
int trd_dec_parse_str(const char *s, int dp, int64_t *out);

/* Print v with exactly dp decimals ("7195.24000000").  buf >= 32 bytes.
 * Returns the length written. */
int trd_dec_format(int64_t v, int dp, char *buf);

/* Print with trailing zeros trimmed ("7195.24", "3").  buf >= 32. */
int trd_dec_format_short(int64_t v, int dp, char *buf);
/* The same for a 128-bit intermediate (a need, a sum of notionals),
 * saturated at the int64 range first. */
int trd_dec_format_short128(__int128 v, int dp, char *buf);

/* v clamped to the int64 range: money saturates rather than wraps. */
static inline int64_t
trd_sat64(__int128 v)
{
	return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN
							 : (int64_t)v;
}

/* Convert a scaled value to a double (for statistics, never for money). */
static inline double
trd_dec_to_double(int64_t v, int dp)
{
	return (double)v / (double)trd_pow10[dp];
}

#endif
