/*
 * timefmt: see timefmt.h.  The calendar arithmetic uses the well-known
 * era-based civil-date algorithm (400-year cycles of 146097 days), which is
 * exact over the whole int64 range of days we accept.
 */
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "timefmt.h"
#include "traderd/types.h"

int64_t
trd_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
trd_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits; returns -1 on a non-digit. */
static int64_t
digits(const char **p, int n)
{
	int64_t v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/* Fraction ".ddd" (1..9 digits) as nanoseconds; *p is at the '.'. */
static int
fraction(const char **p, int64_t *ns)
{
	const char *s = *p + 1;
	int64_t v = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9') {
		if (n == 9)
			return TRD_EPRECISION;
		v = v * 10 + (*s - '0');
		n++;
		s++;
	}
	if (n == 0)
		return TRD_ESYNTAX;
	while (n++ < 9)
		v *= 10;
	*ns = v;
	*p = s;
	return 0;
}

/* Days from 1970 either way a time may lie: about 1680..2260 (int64
 * nanoseconds reach 1677..2262). */
#define MAX_DAYS 106000

static int
days_in_month(int64_t y, unsigned m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return dm[m - 1] + (m == 2 && leap);
}

static int
parse_iso(const char *s, int64_t *out)
{
	int64_t y, mo, d, h = 0, mi = 0, se = 0, frac = 0, days;

	if ((y = digits(&s, 4)) < 0 || *s++ != '-' ||
	    (mo = digits(&s, 2)) < 0 || *s++ != '-' ||
	    (d = digits(&s, 2)) < 0)
		return TRD_ESYNTAX;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo))
		return TRD_ERANGE;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if ((h = digits(&s, 2)) < 0 || *s++ != ':' ||
		    (mi = digits(&s, 2)) < 0)
			return TRD_ESYNTAX;
		if (*s == ':') {
			s++;
			if ((se = digits(&s, 2)) < 0)
				return TRD_ESYNTAX;
			if (*s == '.') {
				int rc = fraction(&s, &frac);
				if (rc)
					return rc;
			}
		}
		if (h > 23 || mi > 59 || se > 59)
			return TRD_ERANGE;
		/* The operator must say UTC: a local time would be ambiguous. */
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (strncmp(s, "+00:00", 6) == 0)
			s += 6;
		else
			return TRD_ESYNTAX;
	}
	if (*s != '\0')
		return TRD_ESYNTAX;
	days = trd_days_from_civil(y, (unsigned)mo, (unsigned)d);
	if (days < -MAX_DAYS || days > MAX_DAYS)
		return TRD_ERANGE;
	*out = ((days * 24 + h) * 60 + mi) * 60 * TRD_NS_PER_SEC +
	       se * TRD_NS_PER_SEC + frac;
	return 0;
}

int
trd_time_parse(const char *s, int64_t *ns)
{
	const char *p = s;
	int64_t v = 0, frac = 0;
	int n = 0;

	if (s == NULL || *s == '\0')
		return TRD_ESYNTAX;
	if (strlen(s) >= 5 && s[4] == '-')
		return parse_iso(s, ns);
	while (*p >= '0' && *p <= '9') {
		if (++n > 11) /* beyond year 5138: surely not seconds */
			return TRD_ERANGE;
		v = v * 10 + (*p++ - '0');
	}
	if (n == 0)
		return TRD_ESYNTAX;
	if (*p == '.') {
		int rc = fraction(&p, &frac);
		if (rc)
			return rc;
	}
	if (*p != '\0')
		return TRD_ESYNTAX;
	/* The range ISO 8601 times have, so every time that parses can be
	 * written back in either form. */
	if (v > (int64_t)MAX_DAYS * 86400 ||
	    (v == (int64_t)MAX_DAYS * 86400 && frac))
		return TRD_ERANGE;
	*ns = v * TRD_NS_PER_SEC + frac;
	return 0;
}

static void
split(int64_t ns, int64_t *secs, int64_t *frac)
{
	*secs = ns / TRD_NS_PER_SEC;
	*frac = ns % TRD_NS_PER_SEC;
	if (*frac < 0) {
		*frac += TRD_NS_PER_SEC;
		(*secs)--;
	}
}

/* Appends ".ddd" with trailing zeros trimmed; nothing when frac is 0. */
static void
put_fraction(char *buf, size_t n, int64_t frac)
{
	char f[16];
	int len;

	if (frac == 0)
		return;
	len = snprintf(f, sizeof(f), ".%09lld", (long long)frac);
	while (len > 1 && f[len - 1] == '0')
		f[--len] = '\0';
	strncat(buf, f, n - strlen(buf) - 1);
}

char *
trd_time_format(int64_t ns, char *buf)
{
	int64_t secs, frac, days, rem, y;
	unsigned m, d;

	split(ns, &secs, &frac);
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	trd_civil_from_days(days, &y, &m, &d);
	snprintf(buf, TRD_TIME_BUFSZ, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
		 (long long)y, m, d, (long long)(rem / 3600),
		 (long long)(rem / 60 % 60), (long long)(rem % 60));
	put_fraction(buf, TRD_TIME_BUFSZ, frac);
	strncat(buf, "Z", TRD_TIME_BUFSZ - strlen(buf) - 1);
	return buf;
}

char *
trd_time_format_unix(int64_t ns, char *buf)
{
	int64_t secs, frac;

	split(ns, &secs, &frac);
	snprintf(buf, TRD_TIME_BUFSZ, "%lld", (long long)secs);
	put_fraction(buf, TRD_TIME_BUFSZ, frac);
	return buf;
}

int
trd_timeframe_parse(const char *s, uint32_t *seconds)
{
	uint64_t n = 0, mul;
	int nd = 0;

	if (s == NULL)
		return TRD_ESYNTAX;
	while (*s >= '0' && *s <= '9') {
		if (++nd > 9)
			return TRD_ERANGE;
		n = n * 10 + (uint64_t)(*s++ - '0');
	}
	if (nd == 0 || s[0] == '\0' || s[1] != '\0')
		return TRD_ESYNTAX;
	switch (s[0]) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 7 * 86400; break;
	default: return TRD_ESYNTAX; /* includes 'M': months vary in length */
	}
	if (n == 0 || n * mul > 366u * 86400)
		return TRD_ERANGE;
	*seconds = (uint32_t)(n * mul);
	return 0;
}

char *
trd_timeframe_format(uint32_t s, char *buf)
{
	if (s % (7 * 86400) == 0)
		snprintf(buf, 16, "%uw", s / (7 * 86400));
	else if (s % 86400 == 0)
		snprintf(buf, 16, "%ud", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, 16, "%uh", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, 16, "%um", s / 60);
	else
		snprintf(buf, 16, "%us", s);
	return buf;
}
