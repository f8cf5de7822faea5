/*
 * The CSV record splitter (traderctl report diff reads trades.csv with
 * it) on any line: it returns a count within bounds or -1, every field
 * lies inside the line, and a line that split joins back (quoting each
 * field) into one that splits the same.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size), *f[32], *g[32], *again, *p;
	size_t len = strlen(s);
	int n = trd_csv_split(s, f, 32), m;

	if (n < -1 || n > 32 || n == 0)
		abort();
	if (n > 0) {
		again = malloc(2 * len + 3 * 32 + 1);
		if (again == NULL)
			abort();
		p = again;
		for (int i = 0; i < n; i++) {
			if (f[i] < s || f[i] > s + len)
				abort();
			*p++ = '"';
			for (const char *q = f[i]; *q; q++) {
				if (*q == '"')
					*p++ = '"';
				*p++ = *q;
			}
			*p++ = '"';
			*p++ = i + 1 < n ? ',' : '\0';
		}
		m = trd_csv_split(again, g, 32);
		if (m != n)
			abort();
		for (int i = 0; i < n; i++)
			if (strcmp(f[i], g[i]) != 0)
				abort();
		free(again);
	}
	free(s);
	return 0;
}
