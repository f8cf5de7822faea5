/* timefmt and decimal: the parsers every outside value goes through. */
#include <criterion/criterion.h>
#include <string.h>

#include "decimal.h"
#include "errors.h"
#include "timefmt.h"
#include "traderd/types.h"

#define SEC TRD_NS_PER_SEC

Test(timefmt, iso_and_unix_agree)
{
	int64_t a, b;

	cr_assert_eq(trd_time_parse("2020-01-01T00:00:00Z", &a), 0);
	cr_assert_eq(trd_time_parse("1577836800", &b), 0);
	cr_assert_eq(a, 1577836800 * SEC);
	cr_assert_eq(a, b);
	cr_assert_eq(trd_time_parse("2020-01-01", &b), 0);
	cr_assert_eq(a, b);
	cr_assert_eq(trd_time_parse("2020-01-01T00:00:00+00:00", &b), 0);
	cr_assert_eq(a, b);
	cr_assert_eq(trd_time_parse("2024-02-29T23:59:59.5Z", &a), 0);
	cr_assert_eq(a, 1709251199 * SEC + SEC / 2);
	cr_assert_eq(trd_time_parse("1577836800.25", &a), 0);
	cr_assert_eq(a, 1577836800 * SEC + SEC / 4);
	cr_assert_eq(trd_time_parse("1969-12-31T23:59:59Z", &a), 0);
	cr_assert_eq(a, -SEC);
}

Test(timefmt, rejects_bad_times)
{
	int64_t t;
	const char *bad[] = { "", "2020-13-01T00:00:00Z", "2021-02-29",
			      "2020-01-01T24:00:00Z", "2020-01-01T00:00:00",
			      "2020-01-01T00:00:00+01:00", "yesterday",
			      "12ab", "1577836800.", "99999999999999",
			      /* the seconds of 2260-03-xx: past the ISO range */
			      "9159158080", "9158400000.5",
			      "2020-01-01T00:00:00.1234567891Z" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_neq(trd_time_parse(bad[i], &t), 0, "accepted '%s'",
			      bad[i]);
}

Test(timefmt, format_roundtrip)
{
	char buf[TRD_TIME_BUFSZ];
	int64_t t;

	cr_assert_str_eq(trd_time_format(1577836800 * SEC, buf),
			 "2020-01-01T00:00:00Z");
	cr_assert_str_eq(trd_time_format(1577836800 * SEC + 1500000, buf),
			 "2020-01-01T00:00:00.0015Z");
	cr_assert_str_eq(trd_time_format_unix(1577836800 * SEC, buf),
			 "1577836800");
	cr_assert_str_eq(trd_time_format_unix(-SEC / 2, buf), "-1.5");
	for (int64_t s = -5000000000LL; s < 9000000000LL; s += 86399 * 731) {
		trd_time_format(s * SEC, buf);
		cr_assert_eq(trd_time_parse(buf, &t), 0, "%s", buf);
		cr_assert_eq(t, s * SEC, "%s", buf);
	}
	/* The last second either form reads, written back as ISO. */
	cr_assert_eq(trd_time_parse("9158400000", &t), 0);
	cr_assert_str_eq(trd_time_format(t, buf), "2260-03-21T00:00:00Z");
	cr_assert_eq(trd_time_parse(buf, &t), 0);
	cr_assert_eq(t, 9158400000LL * SEC);
}

Test(timefmt, timeframes)
{
	uint32_t s;
	char buf[16];

	cr_assert_eq(trd_timeframe_parse("1m", &s), 0);
	cr_assert_eq(s, 60);
	cr_assert_eq(trd_timeframe_parse("4h", &s), 0);
	cr_assert_eq(s, 14400);
	cr_assert_eq(trd_timeframe_parse("1d", &s), 0);
	cr_assert_eq(s, 86400);
	cr_assert_str_eq(trd_timeframe_format(900, buf), "15m");
	cr_assert_str_eq(trd_timeframe_format(86400, buf), "1d");
	cr_assert_str_eq(trd_timeframe_format(45, buf), "45s");
	cr_assert_neq(trd_timeframe_parse("1M", &s), 0); /* months vary */
	cr_assert_neq(trd_timeframe_parse("0m", &s), 0);
	cr_assert_neq(trd_timeframe_parse("m", &s), 0);
	cr_assert_neq(trd_timeframe_parse("5", &s), 0);
	cr_assert_neq(trd_timeframe_parse("1mm", &s), 0);
	cr_assert_neq(trd_timeframe_parse("9999999999s", &s), 0);
}

Test(decimal, exact_parse_and_format)
{
	int64_t v;
	char buf[32];

	cr_assert_eq(trd_dec_parse_str("7195.24000000", 8, &v), 0);
	cr_assert_eq(v, 719524000000LL);
	trd_dec_format(v, 8, buf);
	cr_assert_str_eq(buf, "7195.24000000");
	trd_dec_format_short(v, 8, buf);
	cr_assert_str_eq(buf, "7195.24");
	cr_assert_eq(trd_dec_parse_str("-0.5", 2, &v), 0);
	cr_assert_eq(v, -50);
	trd_dec_format(v, 2, buf);
	cr_assert_str_eq(buf, "-0.50");
	cr_assert_eq(trd_dec_parse_str(".5", 1, &v), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(trd_dec_parse_str("100.500000000", 8, &v), 0);
	cr_assert_eq(v, 10050000000LL);
	trd_dec_format(7, 0, buf);
	cr_assert_str_eq(buf, "7");
	trd_dec_format(5, 3, buf);
	cr_assert_str_eq(buf, "0.005");
	trd_dec_format(INT64_MIN + 1, 8, buf);
	cr_assert_str_eq(buf, "-92233720368.54775807");
}

Test(decimal, rejects)
{
	int64_t v;

	cr_assert_eq(trd_dec_parse_str("1.123456789", 8, &v), TRD_EPRECISION);
	cr_assert_eq(trd_dec_parse_str("", 8, &v), TRD_ESYNTAX);
	cr_assert_eq(trd_dec_parse_str("-", 8, &v), TRD_ESYNTAX);
	cr_assert_eq(trd_dec_parse_str(".", 8, &v), TRD_ESYNTAX);
	cr_assert_eq(trd_dec_parse_str("1e5", 8, &v), TRD_ESYNTAX);
	cr_assert_eq(trd_dec_parse_str("abc", 8, &v), TRD_ESYNTAX);
	cr_assert_eq(trd_dec_parse_str("1.2.3", 8, &v), TRD_ESYNTAX);
	cr_assert_eq(trd_dec_parse_str(" 1", 8, &v), TRD_ESYNTAX);
	cr_assert_eq(trd_dec_parse_str("nan", 8, &v), TRD_ESYNTAX);
	cr_assert_eq(trd_dec_parse_str("92233720369", 8, &v), TRD_ERANGE);
	cr_assert_eq(trd_dec_parse_str("99999999999999999999999", 0, &v),
		     TRD_ERANGE);
	cr_assert_eq(trd_dec_parse_str("92233720368.54775807", 8, &v), 0);
	cr_assert_eq(v, INT64_MAX);
}
