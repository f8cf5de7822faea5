/*
 * The dataset loader (trd_dataset_decode) and the manifest check
 * (trd_manifest_check) on any bytes.  A dataset that decodes has only
 * finite values and rising times, and encodes to a file that decodes to
 * the same rows; the same bytes, read as a manifest of a small fixed
 * dataset, are refused with a message or accepted only when they
 * describe it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "fuzz.h"

static struct trd_dataset small;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char names[2][TRD_FEATURE_NAME_MAX] = { "rsi(14)",
						       "bb(20,2).pctb" };
	static int64_t t0[1] = { 60000000000 }, t1[1] = { 120000000000 };
	static double y[1] = { 1 }, x[2] = { 50, 0.5 };
	char err[160];

	(void)argc;
	(void)argv;
	fz_quiet();
	small = (struct trd_dataset){ .symbol = "BTCUSDT", .tf_s = 60,
				      .nfeat = 2, .names = names, .nrows = 1,
				      .t0 = t0, .t1 = t1, .y = y, .x = x };
	if (trd_label_parse("sign(1)", &small.label, err, sizeof(err)) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_dataset ds, back;
	char err[320], *buf;
	size_t len;

	if (trd_manifest_check((const char *)data, size, &small,
			       "00000000000000000000000000000000"
			       "00000000000000000000000000000000",
			       err, sizeof(err)) != 0 &&
	    err[0] == '\0')
		abort();
	if (trd_dataset_decode(data, size, &ds, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	for (size_t i = 0; i < ds.nrows; i++) {
		if (!isfinite(ds.y[i]) || ds.t1[i] <= ds.t0[i] ||
		    (i && ds.t0[i] <= ds.t0[i - 1]))
			abort();
		for (uint32_t f = 0; f < ds.nfeat; f++)
			if (!isfinite(ds.x[i * ds.nfeat + f]))
				abort();
	}
	if (trd_dataset_encode(&ds, 0, &buf, &len) != 0)
		abort();
	if (trd_dataset_decode(buf, len, &back, err, sizeof(err)) != 0 ||
	    back.nrows != ds.nrows || back.nfeat != ds.nfeat ||
	    memcmp(back.x, ds.x, ds.nrows * ds.nfeat * sizeof(double)) != 0 ||
	    memcmp(back.t1, ds.t1, ds.nrows * sizeof(int64_t)) != 0)
		abort();
	free(buf);
	trd_dataset_free(&back);
	trd_dataset_free(&ds);
	return 0;
}
