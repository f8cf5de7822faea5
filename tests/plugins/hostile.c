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

/* ABI 1.2: order types, flags, links, amend, sizing. */
static void
abuse_1_2(struct trd_strategy *s, const struct trd_bar *bar, int64_t lot)
{
	int64_t tick = host->instrument(s, 0)->tick_size;
	struct trd_order_req r = { .size = sizeof(r), .sym = bar->sym,
				   .side = TRD_SIDE_BUY,
				   .type = TRD_ORDER_LIMIT, .qty = lot,
				   .price = bar->close - 1 };
	struct trd_order_req bad = r;
	struct trd_bracket_req br = { .size = sizeof(br), .entry = &r,
				      .tp_price = bar->close + 100 * tick,
				      .tp_bps = 100, .sl_bps = 100 };
	struct trd_sizing z = { .size = sizeof(z), .sym = bar->sym,
				.method = TRD_SIZE_FRACTION,
				.fraction = __builtin_nan("") };
	uint64_t id, ids[3];

	host->submit(s, &r, &id);              /* off the tick */
	r.price = bar->close;
	r.qty = lot + 1;
	host->submit(s, &r, &id);              /* off the lot */
	r.qty = INT64_MIN;                     /* what (int64_t)NaN gives */
	host->submit(s, &r, &id);
	r.qty = lot;
	r.type = TRD_ORDER_MARKET;
	r.price = 0;
	r.flags = TRD_ORDER_REDUCE_ONLY;
	host->submit(s, &r, &id);              /* reduce-only, flat: grows */
	r.flags = TRD_ORDER_POST_ONLY;
	host->submit(s, &r, &id);              /* post-only market */
	r.flags = 0x80;
	host->submit(s, &r, &id);              /* unknown flag */
	r.flags = 0;
	r.tif = 99;
	host->submit(s, &r, &id);              /* unknown time in force */
	r.tif = TRD_TIF_GTD;
	r.expire_ns = host->now(s) - 1;
	host->submit(s, &r, &id);              /* expiry in the past */
	r.tif = TRD_TIF_GTC;
	r.expire_ns = 0;
	r.type = TRD_ORDER_STOP_LIMIT;
	r.price = bar->close;
	host->submit(s, &r, &id);              /* stop-limit without a stop */
	r.type = TRD_ORDER_TRAILING_STOP;
	r.price = 0;
	r.trail = -tick;
	host->submit(s, &r, &id);              /* negative trail */
	r.trail = 0;
	r.type = TRD_ORDER_LIMIT;
	r.price = bar->close;
	host->submit_bracket(s, NULL, ids);    /* -EINVAL */
	host->submit_bracket(s, &br, ids);     /* tp both price and bps */
	br.tp_price = 0;
	br.sl_bps = 100000000;
	host->submit_bracket(s, &br, ids);     /* stop 100% away */
	bad.qty = 0;
	host->submit_oco(s, &r, &bad, ids);    /* one bad leg: both refused */
	host->submit_oco(s, NULL, &r, ids);    /* -EINVAL */
	host->amend(s, 0, lot, 0);             /* unknown order */
	host->amend(s, 123456789, -1, -1);
	host->size_qty(s, NULL);
	host->size_qty(s, &z);                 /* NaN fraction: 0 */
	z.method = TRD_SIZE_VOL_TARGET;
	z.vol_target = __builtin_inf();
	z.vol_n = 20;
	host->size_qty(s, &z);
	z.method = 99;
	host->size_qty(s, &z);
	host->halted(s);
}

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
	r.price = 0;
	r.qty = 0;
	host->submit(s, &r, &id);              /* zero qty */
	r.qty = -3;
	host->submit(s, &r, &id);              /* negative qty */
	r.qty = INT64_MAX - INT64_MAX % lot;
	host->submit(s, &r, &id);              /* absurd qty, on the lot */
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
	if (host->size >= offsetof(struct trd_host_api, halted) +
			     sizeof(host->halted))
		abuse_1_2(s, bar, lot);
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
