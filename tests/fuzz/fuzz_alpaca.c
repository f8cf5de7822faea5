/*
 * The Alpaca message parser on hostile messages: each line of the input
 * is one WebSocket message.  Whatever the bytes: no crash, no leak; a
 * message or element refused has a reason; what is accepted is sane (a
 * trade's price and size above zero, a bar's high and low containing it).
 */
#include <stdlib.h>
#include <string.h>

#include "alpaca.h"
#include "fuzz.h"

static struct trd_registry reg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct trd_instr v[3] = { { .symbol = "AAPL", .price_dp = 4,
				    .qty_dp = 0, .tick = 1, .lot = 1 },
				  { .symbol = "SPY", .price_dp = 4,
				    .qty_dp = 0, .tick = 1, .lot = 1 },
				  { .symbol = "BTCUSD", .venue_symbol = "BTC/USD",
				    .price_dp = 2, .qty_dp = 8, .tick = 1,
				    .lot = 1 } };

	(void)argc;
	(void)argv;
	if (trd_registry_init_from(&reg, v, 3) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_ap p;
	struct trd_ap_msg *m;
	size_t at = 0, n;
	uint64_t refused;

	trd_ap_init(&p, &reg);
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) : size - at;

		refused = p.refused;
		if (trd_ap_frame(&p, (const char *)data + at, len, &m, &n) != 0 &&
		    p.err[0] == '\0')
			abort();
		if (p.refused != refused && p.err[0] == '\0')
			abort();
		for (size_t i = 0; i < n; i++) {
			if (m[i].kind == TRD_AP_TRADE &&
			    (m[i].u.trade.price <= 0 || m[i].u.trade.qty <= 0))
				abort();
			if (m[i].kind == TRD_AP_BAR &&
			    (m[i].u.bar.low > m[i].u.bar.open ||
			     m[i].u.bar.high < m[i].u.bar.close))
				abort();
		}
		at += len + 1;
	}
	trd_ap_free(&p);
	return 0;
}
