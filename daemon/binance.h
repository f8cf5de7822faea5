/*
 * binance: Binance's market-data messages (spot and USD-M futures
 * WebSocket streams, raw or combined, and the REST depth snapshot) parsed
 * into traderd's terms: prices and quantities as exact scaled integers at
 * the instrument's scales (text with more decimals than the scale holds
 * is refused, never rounded), ids as full 64-bit integers from the token
 * text, times in nanoseconds.  JSON is tokenised by jsmn (Debian's
 * libjsmn-dev), which gives each value's exact text.
 *
 * Every message from outside is hostile until checked: a frame that is
 * not what Binance sends is refused with a reason naming the field.
 */
#ifndef TRD_BINANCE_H
#define TRD_BINANCE_H

#include <stddef.h>
#include <stdint.h>

#include "instrument.h"
#include "traderd/plugin.h"
#include "traderd/types.h"

enum trd_bn_kind {
	TRD_BN_KLINE = 1,   /* kline: bar (closed says whether it is one) */
	TRD_BN_AGGTRADE,    /* aggTrade: trade */
	TRD_BN_TRADE,       /* trade: trade */
	TRD_BN_BOOKTICKER,  /* bookTicker: quote */
	TRD_BN_DEPTH,       /* depthUpdate: depth, levels */
	TRD_BN_SHUTDOWN,    /* serverShutdown: reconnect now */
	TRD_BN_REPLY,       /* {"result":..,"id":..}: a control reply */
};

/* One price level: qty 0 removes it. */
struct trd_bn_level {
	int64_t px, qty;
};

struct trd_bn_msg {
	int      kind;       /* enum trd_bn_kind */
	uint32_t ins;        /* the registry handle of the symbol */
	int64_t  event_ns;   /* E; 0 when the message has none */
	union {
		struct {
			struct trd_bar bar; /* ts_ns: the open (t) */
			int      closed;    /* x */
			uint32_t tf_s;      /* i, in seconds */
			uint64_t ntrades;   /* n */
		} kline;
		struct {
			struct trd_trade t; /* ts_ns: the trade time (T) */
			uint64_t first_id, last_id; /* aggTrade: f, l */
		} trade;
		struct {
			struct trd_quote q; /* ts_ns: E, or 0 */
			uint64_t update_id; /* u */
		} ticker;
		struct {
			uint64_t first_id, last_id; /* U, u */
			uint64_t prev_id;           /* pu (USD-M), else 0 */
			int      has_prev;
			size_t   nbids, nasks;      /* levels[0..nbids), then asks */
		} depth;
		struct {
			uint64_t id;
			int      error;  /* the reply carries an error object */
		} reply;
	} u;
};

/* A parser: its token buffer grows with the largest message seen. */
struct trd_bn {
	const struct trd_registry *reg;
	void                      *tok;   /* jsmntok_t[ntok] */
	size_t                     ntok;
	struct trd_bn_level       *lv;    /* depth levels */
	void                      *out;   /* REST answers' bars or trades */
	size_t                     nout;  /* capacity, in elements */
	size_t                     nlv;
	uint64_t                   frames, refused;
	char                       err[160]; /* why the last one was refused */
};

void trd_bn_init(struct trd_bn *p, const struct trd_registry *reg);
void trd_bn_free(struct trd_bn *p);

/*
 * Parse one WebSocket text frame.  Returns 0 and fills *m (depth levels
 * in p->lv, valid until the next call), or -1 with p->err saying why (an
 * unknown symbol, a missing or malformed field, a price finer than the
 * instrument's scale, a frame too large); p->refused counts those.
 */
int trd_bn_frame(struct trd_bn *p, const char *frame, size_t len,
		 struct trd_bn_msg *m);

/*
 * Parse a REST depth snapshot body ({"lastUpdateId":..,"bids":[[p,q],..],
 * "asks":..}) for instrument ins: 0 with *last_id, *nbids, *nasks and the
 * levels in p->lv (bids first, then asks), or -1 with p->err.
 */
int trd_bn_snapshot(struct trd_bn *p, uint32_t ins, const char *body,
		    size_t len, uint64_t *last_id, size_t *nbids,
		    size_t *nasks);

/*
 * REST answers (backfill).  GET klines: the bars of interval tf_s, in the
 * answer's order, in an array the parser owns until its next call.
 * GET aggTrades: TRD_BN_AGGTRADE messages likewise.  0, or -1 with why
 * in p->err.
 */
int trd_bn_klines(struct trd_bn *p, uint32_t ins, uint32_t tf_s,
		  const char *body, size_t len, struct trd_bar **bars,
		  size_t *n);
int trd_bn_aggtrades(struct trd_bn *p, uint32_t ins, const char *body,
		     size_t len, struct trd_bn_msg **msgs, size_t *n);

/*
 * GET exchangeInfo: per instrument of the registry (out has reg->n
 * entries, indexed by handle) whether the answer lists it and its filters:
 * PRICE_FILTER tickSize at the price scale, LOT_SIZE stepSize at the
 * quantity scale (-1: finer than the scale holds), NOTIONAL or
 * MIN_NOTIONAL minNotional in cash scale (0: none).  0, or -1 with why.
 */
struct trd_bn_filters {
	int     found;
	int64_t tick, lot, min_notional;
};
int trd_bn_exchange_info(struct trd_bn *p, const char *body, size_t len,
			 struct trd_bn_filters *out);

/* Binance's interval names ("1s", "1m", "4h", "1d", "1w"; "1M" has no
 * fixed length and is refused) in seconds; 0 if not one. */
uint32_t trd_bn_interval(const char *s, size_t len);

#endif
