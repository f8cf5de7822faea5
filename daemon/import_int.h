/*
 * import_int: what the bar importer (import.c) and the tick importer
 * (import_ticks.c) share: splitting a line in place, integer fields, the
 * reports of rejected rows, and mapping a file.
 */
#ifndef TRD_IMPORT_INT_H
#define TRD_IMPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "errors.h"
#include "import.h"

#define TRD_IMPORT_MAX_FIELDS 16

struct trd_field {
	const char *s;
	size_t      len;
};

/* Split s at commas into f (at most TRD_IMPORT_MAX_FIELDS kept); returns
 * the number of fields in the line. */
static inline int
trd__import_split(const char *s, size_t len, struct trd_field *f)
{
	int n = 0;
	const char *end = s + len;

	for (;;) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		if (n < TRD_IMPORT_MAX_FIELDS) {
			f[n].s = s;
			f[n].len = (size_t)((c ? c : end) - s);
		}
		n++;
		if (c == NULL)
			return n;
		s = c + 1;
	}
}

/*
 * Non-negative integer field into *out: 0, TRD_ESYNTAX if it is not
 * digits only, TRD_ERANGE if it is above INT64_MAX.
 */
static inline int
trd__import_uint(const struct trd_field *f, int64_t *out)
{
	uint64_t v = 0;

	if (f->len == 0 || f->len > 19) {
		if (f->len == 0)
			return TRD_ESYNTAX;
		for (size_t i = 0; i < f->len; i++)
			if (f->s[i] < '0' || f->s[i] > '9')
				return TRD_ESYNTAX;
		return TRD_ERANGE;
	}
	for (size_t i = 0; i < f->len; i++) {
		uint64_t d = (uint64_t)(unsigned char)(f->s[i] - '0');
		if (d > 9)
			return TRD_ESYNTAX;
		v = v * 10 + d;
	}
	if (v > (uint64_t)INT64_MAX)
		return TRD_ERANGE;
	*out = (int64_t)v;
	return 0;
}

/* Why trd__import_uint refused a field. */
static inline const char *
trd__import_uint_error(int rc)
{
	return rc == TRD_ERANGE ? "is too large (at most 9223372036854775807)"
				: "is not a non-negative integer";
}

/* Add a report to arr (up to TRD_IMPORT_MAX_REPORTS). */
void trd__import_issue(struct trd_import_issue *arr, int *n, uint64_t line,
		       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Map path read-only: 0 with *data and *size, or a negative error
 * (logged with the file name: unreadable, not a regular file, empty). */
int trd__import_map(const char *path, const char **data, size_t *size);
void trd__import_unmap(const char *data, size_t size);

#endif
