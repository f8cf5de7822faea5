/*
 * The feed core (feed.c) on hostile inputs, as a tape could hold them:
 * records of [kind, what, ins, len (2 bytes LE), len bytes], each an
 * input of its kind (frames, REST answers to any request, connection
 * events, clock ticks) at increasing times.  It exercises the frame
 * parser, the REST klines/aggTrades/depth parsers, the book, backfill
 * the bar builder, exchangeInfo and the Alpaca path together.  Whatever the bytes: no crash, no leak,
 * events in time order.
 */
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "fuzz.h"

static struct trd_registry reg;
static struct trd_feed_conf conf[3];
static int64_t last_ts;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct trd_instr v[2] = { { .symbol = "NKNUSDT", .price_dp = 8,
				    .qty_dp = 8, .tick = 1, .lot = 1 },
				  { .symbol = "SYM0USDT", .price_dp = 2,
				    .qty_dp = 3, .tick = 1, .lot = 1 } };

	(void)argc;
	(void)argv;
	fz_quiet();
	if (trd_registry_init_from(&reg, v, 2) != 0)
		abort();
	/* Bars from closed klines, and bars built from trades. */
	conf[0] = (struct trd_feed_conf){ .kind = TRD_FEED_BINANCE_SPOT,
		.streams = TRD_STREAM_KLINE | TRD_STREAM_AGGTRADE |
			   TRD_STREAM_DEPTH,
		.kline_tf_s = 1, .bar_tf_s = 1, .stale_s = 5,
		.depth_limit = 1000 };
	conf[1] = (struct trd_feed_conf){ .kind = TRD_FEED_BINANCE_USDM,
		.streams = TRD_STREAM_AGGTRADE | TRD_STREAM_BOOKTICKER |
			   TRD_STREAM_DEPTH,
		.bar_tf_s = 1, .stale_s = 5, .depth_limit = 1000 };
	/* Alpaca: its messages, its minute bars. */
	conf[2] = (struct trd_feed_conf){ .kind = TRD_FEED_ALPACA_STOCKS,
		.streams = TRD_STREAM_TRADE | TRD_STREAM_BOOKTICKER |
			   TRD_STREAM_KLINE,
		.kline_tf_s = 60, .bar_tf_s = 60, .stale_s = 5 };
	return 0;
}

static void
emit(void *arg, const struct trd_event *ev)
{
	(void)arg;
	if (ev->ts_ns < last_ts || ev->sym >= reg.n)
		abort();
	last_ts = ev->ts_ns;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_feed f;
	size_t at = 1;
	int64_t ts = 1700000000000000000LL;

	if (size < 1)
		return 0;
	last_ts = 0;
	if (trd_feed_init(&f, &conf[data[0] % 3], &reg, emit, NULL, NULL) != 0)
		return 0;
	while (at + 5 <= size) {
		struct trd_feed_in in = { 0 };
		size_t n = (size_t)data[at + 3] | (size_t)data[at + 4] << 8;

		if (n > size - at - 5)
			n = size - at - 5;
		in.kind = (uint8_t)(1 + data[at] % 6);
		in.what = (uint8_t)(1 + data[at + 1] % 4); /* depth .. exchangeInfo */
		in.ins = data[at + 2] % 3; /* 2 is out of range */
		in.status = data[at + 1] & 0x80 ? 500 : 200;
		in.data = (const char *)data + at + 5;
		in.len = n;
		ts += (int64_t)(data[at] >> 3) * 50000000;
		in.ts_ns = ts;
		trd_feed_input(&f, &in);
		at += 5 + n;
	}
	trd_feed_free(&f);
	return 0;
}
