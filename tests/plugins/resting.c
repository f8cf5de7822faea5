/*
 * A plugin that leaves orders resting: on its first bar a GTC buy limit at
 * half the close and a GTD buy limit 120 s out at the same price, neither
 * ever reachable.  The daemon's order-age limit and the GTD expiry must
 * close them on the clock.
 */
#include "traderd/plugin.h"

static const struct trd_host_api *host;
static int placed;

static void
on_bar(struct trd_strategy *s, const struct trd_bar *bar)
{
	int64_t tick = host->instrument(s, 0)->tick_size;
	struct trd_order_req r = { .size = sizeof(r), .sym = bar->sym,
				   .side = TRD_SIDE_BUY,
				   .type = TRD_ORDER_LIMIT,
				   .qty = host->instrument(s, 0)->lot_size,
				   .price = bar->close / 2 / tick * tick };
	uint64_t id;

	if (placed++)
		return;
	host->submit(s, &r, &id);
	r.tif = TRD_TIF_GTD;
	r.expire_ns = host->now(s) + 120 * 1000000000LL;
	host->submit(s, &r, &id);
}

static const struct trd_plugin p = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "resting",
	.on_bar = on_bar,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	host = h;
	return &p;
}
