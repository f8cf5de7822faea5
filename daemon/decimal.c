/*
 * decimal: see decimal.h.  This is on the import hot path, so it parses in
 * one pass with no library calls.
 */
#include <string.h>

#include "decimal.h"
#include "errors.h"

const int64_t trd_pow10[19] = {
	1LL,
	10LL,
	100LL,
	1000LL,
	10000LL,
	100000LL,
	1000000LL,
	10000000LL,
	100000000LL,
	1000000000LL,
	10000000000LL,
	100000000000LL,
	1000000000000LL,
	10000000000000LL,
	100000000000000LL,
	1000000000000000LL,
	10000000000000000LL,
	100000000000000000LL,
	1000000000000000000LL,
};

int
trd_dec_parse(const char *s, size_t len, int dp, int64_t *out)
{
	const char *p = s, *end = s + len;
	uint64_t ip = 0, fp = 0;
	int neg = 0, nint = 0, nfrac = 0, nonzero_extra = 0;

	if (dp < 0 || dp > 18)
		return TRD_ERANGE;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end && *p >= '0' && *p <= '9'; p++, nint++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return TRD_ERANGE;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, nfrac++) {
			if (nfrac < dp)
				fp = fp * 10 + (uint64_t)(*p - '0');
			else if (*p != '0')
				nonzero_extra = 1;
		}
	}
	if (p != end || nint + nfrac == 0)
		return TRD_ESYNTAX;
	if (nonzero_extra)
		return TRD_EPRECISION;
	for (int i = nfrac; i < dp; i++)
		fp *= 10;
	if (ip > (uint64_t)INT64_MAX / (uint64_t)trd_pow10[dp])
		return TRD_ERANGE;
	ip = ip * (uint64_t)trd_pow10[dp] + fp;
	if (ip > (uint64_t)INT64_MAX)
		return TRD_ERANGE;
	*out = neg ? -(int64_t)ip : (int64_t)ip;
	return 0;
}

int
trd_dec_parse_str(const char *s, int dp, int64_t *out)
{
	return trd_dec_parse(s, strlen(s), dp, out);
}

int
trd_dec_format(int64_t v, int dp, char *buf)
{
	char tmp[32];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int n = 0, len = 0;

	/* Digits backwards, with the point after dp of them. */
	do {
		if (n == dp && dp > 0)
			tmp[len++] = '.';
		tmp[len++] = (char)('0' + u % 10);
		u /= 10;
		n++;
	} while (u != 0 || n <= dp);
	if (v < 0)
		tmp[len++] = '-';
	for (int i = 0; i < len; i++)
		buf[i] = tmp[len - 1 - i];
	buf[len] = '\0';
	return len;
}

int
trd_dec_format_short(int64_t v, int dp, char *buf)
{
	int len = trd_dec_format(v, dp, buf);

	if (dp == 0)
		return len;
	while (buf[len - 1] == '0')
		buf[--len] = '\0';
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	return len;
}

int
trd_dec_format_short128(__int128 v, int dp, char *buf)
{
	return trd_dec_format_short(v > INT64_MAX   ? INT64_MAX
				    : v < INT64_MIN ? INT64_MIN
						    : (int64_t)v,
				    dp, buf);
}
