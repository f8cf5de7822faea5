/*
 * The bar importer on hostile files: whatever the bytes, trd_import_file
 * returns, every row it read is counted once (imported, already stored
 * or rejected), and the store still reads back afterwards.  The input's
 * length picks the format and the timeframe, so seeds are plain files.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "import.h"
#include "store.h"

static struct trd_store *store;
static struct trd_instrument ins;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct trd_instrument want = { .price_dp = 8, .qty_dp = 8,
				       .symbol = "FZ" };
	char path[512];

	(void)argc;
	(void)argv;
	fz_quiet();
	snprintf(path, sizeof(path), "%s/db", fz_dir());
	if (trd_store_open(&store, path, TRD_STORE_CREATE, NULL) != 0 ||
	    trd_store_instrument_ensure(store, &want, &ins) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t tfs[] = { 60, 1, 300, 3600, 86400 };
	static const enum trd_import_format fmts[] = {
		TRD_FMT_AUTO, TRD_FMT_BINANCE, TRD_FMT_CSV };
	struct trd_import_stats st;
	struct trd_instrument back;
	const char *path;
	unsigned sel = (unsigned)(size % 15);

	path = fz_file("in.csv", data, size);
	if (!path)
		abort();
	if (trd_import_file(store, &ins, tfs[sel / 3], fmts[sel % 3],
			    path, &st) == 0 &&
	    st.imported + st.unchanged + st.rejected != st.rows)
		abort();
	if (trd_store_instrument_get(store, "FZ", &back) != 0 ||
	    back.id != ins.id)
		abort();
	return 0;
}
