/*
 * A plugin that abuses the host API on every bar: bad sizes and enums,
 * foreign symbols, zero/negative/huge quantities, unknown ids, timers out
 * of range, and resubmitting from every rejection.  The daemon must refuse
 * each with a reason and keep running.
 */
#include <stddef.h>
#include <string.h>

#include "traderd/plugin.h"

static const struct trd_host_api *host;

static void
on_bar(struct trd_strategy *s, const struct trd_bar *bar)
{
	int64_t lot = host->instrument(s, 0)->lot_size;
	struct trd_order_req r = { .size = sizeof(r), .sym = bar->sym,
				   .side = TRD_SIDE_BUY,
				   .type = TRD_ORDER_MARKET, .qty = lot };
	uint64_t id;

	host->instrument(s, 12345);            /* past the end: NULL */
	r.size = 3;
	host->submit(s, &r, &id);              /* too small: -EINVAL */
	r.size = sizeof(r);
	r.side = 7;
	host->submit(s, &r, &id);              /* bad side */
	r.side = TRD_SIDE_BUY;
	r.type = 99;
	host->submit(s, &r, &id);              /* bad type */
	r.type = TRD_ORDER_LIMIT;
	r.price = -5;
	host->submit(s, &r, &id);              /* negative price */
	r.type = TRD_ORDER_MARKET;
	r.qty = 0;
	host->submit(s, &r, &id);              /* zero qty */
	r.qty = -3;
	host->submit(s, &r, &id);              /* negative qty */
	r.qty = INT64_MAX;
	host->submit(s, &r, &id);              /* absurd qty */
	r.qty = lot;
	r.sym = 999999;
	host->submit(s, &r, &id);              /* not its symbol */
	r.sym = bar->sym;
	r.side = TRD_SIDE_SELL;
	r.qty = 1000 * lot;
	host->submit(s, &r, &id);              /* sell what it lacks */
	host->submit(s, NULL, &id);
	host->cancel(s, 0);
	host->cancel(s, 123456789);
	host->timer_start(s, 1, 0, -1);
	host->position(s, 424242);
	host->open_orders(s, NULL, 0);
	host->log(s, 99, "%s", "odd level");
	host->max_buy_qty(s, 424242, 100, 100);  /* not its symbol */
	host->max_buy_qty(s, bar->sym, -1, -1);  /* nonsense inputs */
	if (host->size >= offsetof(struct trd_host_api, bar_at) +
			     sizeof(host->bar_at)) {
		char err[8];
		struct trd_bar b;
		host->feature(s, 424242, "rsi(14)", err, sizeof(err));
		host->feature(s, bar->sym, NULL, NULL, 0);
		host->feature(s, bar->sym, "bb(20)", err, 0);
		host->feature(s, bar->sym, "rsi(99999999999999999999)", err,
			      sizeof(err)); /* tiny err: truncated */
		host->feature(s, bar->sym, "((((", NULL, 5);
		host->bar_at(s, bar->sym, (size_t)-1, &b);
		host->bar_at(s, bar->sym, 0, NULL);
		host->bar_at(s, 424242, 0, &b);
	}
}

static void
on_order(struct trd_strategy *s, const struct trd_order_info *o)
{
	/* Resubmit on every rejection: the host must bound the recursion. */
	if (o->status == TRD_ORDER_REJECTED) {
		struct trd_order_req r = { .size = sizeof(r), .sym = 999999,
					   .side = TRD_SIDE_BUY,
					   .type = TRD_ORDER_MARKET, .qty = 1 };
		uint64_t id;
		host->submit(s, &r, &id);
	}
}

static const struct trd_plugin p = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "hostile",
	.on_bar = on_bar,
	.on_order = on_order,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	host = h;
	return &p;
}
