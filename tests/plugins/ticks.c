/*
 * A plugin that writes what it sees of quotes and trades to the file named
 * by its param `out`, one line each, with the microstructure features of
 * its first symbol as they stand in the callback:
 *
 *   q <sym> <bid> <ask> <bid_qty> <ask_qty> <mid> <spread_bps> <book_imb> <ofi(2)>
 *   t <sym> <price> <qty> <aggressor> <id> <trade_imbalance(3)>
 *
 * The session tests compare the lines with values computed by hand.
 */
#include <stdio.h>
#include <stdlib.h>

#include "traderd/plugin.h"

static const struct trd_host_api *host;

struct st {
	FILE         *f;
	const double *mid, *spread, *bimb, *ofi, *timb;
};

static int
init(struct trd_strategy *s, const struct trd_params *p, char *err,
     size_t errlen)
{
	const char *out = trd_param_get(p, "out");
	uint32_t sym = host->instrument(s, 0)->sym;
	struct st *st;

	if (out == NULL || (st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "needs param out");
		return -1;
	}
	if ((st->f = fopen(out, "w")) == NULL) {
		snprintf(err, errlen, "cannot write %s", out);
		free(st);
		return -1;
	}
	st->mid = host->feature(s, sym, "mid", err, errlen);
	st->spread = host->feature(s, sym, "spread_bps", err, errlen);
	st->bimb = host->feature(s, sym, "book_imbalance", err, errlen);
	st->ofi = host->feature(s, sym, "ofi(2)", err, errlen);
	st->timb = host->feature(s, sym, "trade_imbalance(3)", err, errlen);
	if (!st->mid || !st->spread || !st->bimb || !st->ofi || !st->timb) {
		fclose(st->f);
		free(st);
		return -1;
	}
	host->set_state(s, st);
	return 0;
}

static void
on_quote(struct trd_strategy *s, const struct trd_quote *q)
{
	struct st *st = host->state(s);

	fprintf(st->f, "q %u %lld %lld %lld %lld %.6f %.6f %.6f %.6f\n",
		q->sym, (long long)q->bid, (long long)q->ask,
		(long long)q->bid_qty, (long long)q->ask_qty, *st->mid,
		*st->spread, *st->bimb, *st->ofi);
}

static void
on_trade(struct trd_strategy *s, const struct trd_trade *t)
{
	struct st *st = host->state(s);

	fprintf(st->f, "t %u %lld %lld %u %llu %.6f\n", t->sym,
		(long long)t->price, (long long)t->qty, t->aggressor,
		(unsigned long long)t->id, *st->timb);
}

static void
fini(struct trd_strategy *s)
{
	struct st *st = host->state(s);

	if (st) {
		fclose(st->f);
		free(st);
	}
}

static const struct trd_plugin p = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "ticks",
	.init = init,
	.on_quote = on_quote,
	.on_trade = on_trade,
	.fini = fini,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	host = h;
	return &p;
}
