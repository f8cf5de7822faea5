/*
 * ticks: trade and quote series in the store, beside the bars.
 *
 * The store's "ticks" database (store.h) has one key per series, (sym u32
 * BE, kind u32 BE), and the series' ticks as its sorted fixed-size
 * duplicates, 48 bytes each:
 *
 *   ts_ns + 2^63 u64 BE, id u64 BE, then four i64 LE:
 *     trades  price, qty, aggressor (enum trd_side, 0 unknown), 0
 *     quotes  bid, bid_qty, ask, ask_qty
 *
 * so LMDB's byte order is (time, id) order.  A trade's id is the venue's
 * trade id (an aggTrade's aggregate id); a quote's is its ordinal among the
 * quotes of its series at the same time (0, 1, ...), and so is a trade's
 * when the venue gave none.  (ts, id) is a tick's identity: writing one
 * that is stored changes nothing when it is equal and is refused with
 * TRD_ECONFLICT when it differs (the stored one is kept), as with bars.
 * Prices and sizes are the instrument's scaled integers.
 */
#ifndef TRD_TICKS_H
#define TRD_TICKS_H

#include <stdint.h>

#include "store.h"
#include "traderd/plugin.h"

#define TRD_TICK_REC_SIZE 48

enum trd_tick_kind {
	TRD_TICK_TRADES = 1,
	TRD_TICK_QUOTES = 2,
};

/* One decoded tick.  v: price, qty, aggressor, 0 (trades) or bid,
 * bid_qty, ask, ask_qty (quotes). */
struct trd_tick {
	int64_t  ts_ns;
	uint64_t id;
	int64_t  v[4];
};

/* "trades" / "quotes"; NULL for another value. */
const char *trd_tick_kind_name(int kind);
/* Parse "trades" or "quotes"; 0 or -1. */
int trd_tick_kind_parse(const char *s, int *kind);

/*
 * Write batch: one LMDB write transaction, as trd_store_batch (store.h).
 * Ticks after their series' last one are gathered and appended a run at a
 * time; others are looked up first.  An LMDB error (MDB_MAP_FULL: grow
 * and redo) may surface at a later put or at commit.
 */
struct trd_tick_batch {
	struct trd_store *store;
	MDB_txn          *txn;
	MDB_cursor       *cur;
	uint8_t           last_key[8];
	uint8_t           last_rec[16]; /* (ts, id) of the series' last */
	int               have_last;
	uint8_t          *run;
	uint32_t          nrun;
};

int trd_tick_batch_begin(struct trd_store *s, struct trd_tick_batch *b);
int trd_tick_batch_put(struct trd_tick_batch *b, uint32_t sym, int kind,
		       const struct trd_tick *t, enum trd_put_result *res);
int trd_tick_batch_commit(struct trd_tick_batch *b);
void trd_tick_batch_abort(struct trd_tick_batch *b);

/*
 * Read cursor over one series, ticks with from_ns <= ts < to_ns in (ts, id)
 * order, in its own read transaction.  A store without ticks reads as
 * empty.
 */
struct trd_tick_cursor {
	struct trd_store *store;
	MDB_txn          *txn;
	MDB_cursor       *cur;
	uint8_t           key[8];
	int64_t           from_ns, to_ns;
	int               started, done;
	const uint8_t    *page;
	uint32_t          page_n, page_i;
};

int trd_tick_cursor_open(struct trd_tick_cursor *c, struct trd_store *s,
			 uint32_t sym, int kind, int64_t from_ns,
			 int64_t to_ns);
/* Up to max ticks; the count, 0 at the end, or a negative error
 * (TRD_EVERSION for a record of another size). */
int trd_tick_cursor_read(struct trd_tick_cursor *c, struct trd_tick *out,
			 int max);
void trd_tick_cursor_close(struct trd_tick_cursor *c);

/* Per series: count and first/last time, for `traderctl db stat`.  *out
 * malloc'd (sym, tf_s = kind); a store without ticks gives none. */
int trd_ticks_stat(struct trd_store *s, struct trd_series_stat **out,
		   size_t *n);

/* The ticks as plugin events (sym is the caller's handle). */
void trd_tick_to_trade(const struct trd_tick *t, uint32_t sym,
		       struct trd_trade *out);
void trd_tick_to_quote(const struct trd_tick *t, uint32_t sym,
		       struct trd_quote *out);
void trd_tick_from_trade(struct trd_tick *t, const struct trd_trade *tr);
void trd_tick_from_quote(struct trd_tick *t, const struct trd_quote *q,
			 uint64_t ordinal);

#endif
