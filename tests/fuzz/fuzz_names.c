/*
 * The small parsers behind config values and command-line flags, on any
 * string: times (trd_time_parse), timeframes, feature names.  A time that
 * parses formats and parses back to itself; a feature name that expands
 * is accepted by a feature set with the same number of outputs.
 */
#include <stdlib.h>
#include <string.h>

#include "feature.h"
#include "fuzz.h"
#include "timefmt.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char outs[64][TRD_FEATURE_NAME_MAX];
	char *s = fz_str(data, size), err[256], buf[64];
	int64_t ns, back;
	uint32_t tf;
	int n;

	if (trd_time_parse(s, &ns) == 0) {
		trd_time_format(ns, buf);
		if (trd_time_parse(buf, &back) != 0 || back != ns)
			abort();
	}
	(void)trd_timeframe_parse(s, &tf);
	n = trd_feature_expand(s, outs, 64, err, sizeof(err));
	if (n > 0 && !strchr(s, '\n')) {
		struct trd_fset *fs;

		if (trd_fset_new(&fs, 2, 6, 64) != 0)
			abort();
		if (!trd_fset_add(fs, s, err, sizeof(err)) && n == 1)
			abort();
		trd_fset_free(fs);
	}
	free(s);
	return 0;
}
