/*
 * A plugin that tries a small market buy of its first symbol every
 * 500 ms of the clock, whatever the data: the feed tests read in
 * orders.csv which of them risk let through and which it refused (stale
 * data while the exchange is silent).
 */
#include "traderd/plugin.h"

static const struct trd_host_api *host;

static int
init(struct trd_strategy *s, const struct trd_params *p, char *err,
     size_t errlen)
{
	(void)p;
	(void)err;
	(void)errlen;
	return host->timer_start(s, 1, host->now(s) + 500000000LL, 500000000LL);
}

static void
on_timer(struct trd_strategy *s, int id)
{
	const struct trd_instrument_info *in = host->instrument(s, 0);
	struct trd_order_req r = { .size = sizeof(r), .sym = in->sym,
				   .side = TRD_SIDE_BUY,
				   .type = TRD_ORDER_MARKET,
				   .qty = in->lot_size };
	uint64_t oid;

	(void)id;
	host->submit(s, &r, &oid);
}

static const struct trd_plugin p = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "pulse",
	.init = init,
	.on_timer = on_timer,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	host = h;
	return &p;
}
