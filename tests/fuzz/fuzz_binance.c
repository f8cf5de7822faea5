/*
 * The Binance message parser and the order book on hostile frames: each
 * line of the input is a frame; parsed depth diffs go through a book.
 * Whatever the bytes: no crash, no leak, a refusal has a reason.
 */
#include <stdlib.h>
#include <string.h>

#include "binance.h"
#include "book.h"
#include "fuzz.h"

static struct trd_registry reg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct trd_instr v[2] = { { .symbol = "NKNUSDT", .price_dp = 8,
				    .qty_dp = 8, .tick = 1, .lot = 1 },
				  { .symbol = "SUSHIUSDT", .price_dp = 4,
				    .qty_dp = 0, .tick = 1, .lot = 1 } };

	(void)argc;
	(void)argv;
	if (trd_registry_init_from(&reg, v, 2) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_bn p;
	struct trd_book b;
	struct trd_bn_msg m;
	size_t at = 0;

	trd_bn_init(&p, &reg);
	trd_book_init(&b, size % 2 ? TRD_BOOK_USDM : TRD_BOOK_SPOT);
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t n = nl ? (size_t)(nl - (data + at)) : size - at;

		if (trd_bn_frame(&p, (const char *)data + at, n, &m) == 0) {
			if (m.kind == TRD_BN_DEPTH)
				(void)trd_book_diff(&b, &m, p.lv);
		} else if (p.err[0] == '\0') {
			abort();
		}
		at += n + 1;
	}
	trd_book_free(&b);
	trd_bn_free(&p);
	return 0;
}
