/*
 * The tick importer on hostile files: whatever the bytes, it returns,
 * every row it read is counted once (imported, already stored or
 * rejected), and the series reads back in (time, id) order.  The input's
 * length picks trades or quotes and whether the file is named as
 * recorded WebSocket frames (with a receive-time file beside it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "import.h"
#include "store.h"
#include "ticks.h"

static struct trd_store *store;
static struct trd_instrument ins;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct trd_instrument want = { .price_dp = 8, .qty_dp = 8,
				       .symbol = "NKNUSDT" };
	char path[512];

	(void)argc;
	(void)argv;
	fz_quiet();
	snprintf(path, sizeof(path), "%s/db", fz_dir());
	if (trd_store_open(&store, path, TRD_STORE_CREATE, NULL) != 0 ||
	    trd_store_instrument_ensure(store, &want, &ins) != 0)
		abort();
	/* Receive times for frames 1..3, as a recording has them. */
	{
		static const char rt[] = "frame_no,recv_ts_epoch_s,stream\n"
					 "1,1633998512.06,a\n2,1633998512.5,b\n"
					 "3,1633998513,c\n";
		if (fz_file("in.ws_recv_ts.csv", (const uint8_t *)rt,
			    sizeof(rt) - 1) == NULL)
			abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_import_stats st;
	struct trd_tick_cursor c;
	struct trd_tick t[64];
	int kind = size % 2 ? TRD_TICK_QUOTES : TRD_TICK_TRADES, n;
	const char *path = fz_file(size % 4 < 2 ? "in.ws_frames.jsonl"
						: "in.csv", data, size);
	int64_t pts = INT64_MIN;
	uint64_t pid = 0;

	if (!path)
		abort();
	if (trd_import_ticks_file(store, &ins, NULL, kind, path, &st) == 0 &&
	    st.imported + st.unchanged + st.rejected != st.rows)
		abort();
	if (trd_tick_cursor_open(&c, store, ins.id, kind, INT64_MIN,
				 INT64_MAX) != 0)
		abort();
	while ((n = trd_tick_cursor_read(&c, t, 64)) > 0)
		for (int i = 0; i < n; i++) {
			if (t[i].ts_ns < pts ||
			    (t[i].ts_ns == pts && t[i].id <= pid))
				abort();
			pts = t[i].ts_ns;
			pid = t[i].id;
		}
	if (n < 0)
		abort();
	trd_tick_cursor_close(&c);
	return 0;
}
