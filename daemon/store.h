/*
 * store: the LMDB environment holding instruments and bars.
 *
 * Layout (named databases in one environment under data_dir):
 *   meta         "format" -> u32 store format version, "created" -> ns
 *   instruments  symbol -> struct trd_instrument record (versioned)
 *   bars         key (sym u32 BE, tf_s u32 BE, ts_ns u64 BE) -> bar record
 *
 * Big-endian keys make LMDB's byte order walk (symbol, timeframe, time) in
 * order.  Every value starts with its record format version; a reader that
 * meets a version it does not know refuses with TRD_EVERSION rather than
 * guessing.  Prices and volumes are stored as the instrument's scaled
 * integers, so what is read back is exactly what was written.
 *
 * Concurrency is LMDB's: one writer at a time, readers never block it and
 * see a consistent snapshot.  The map starts at map_size and doubles when a
 * write transaction fills it, up to map_max; past that a write fails with
 * TRD_EFULL and a message naming the limit, and nothing already committed
 * is touched.
 */
#ifndef TRD_STORE_H
#define TRD_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "traderd/types.h"

#define TRD_STORE_FORMAT    1   /* environment layout version */
#define TRD_BAR_REC_VERSION 1
#define TRD_INSTR_REC_VERSION 1
#define TRD_BAR_KEY_SIZE    16
#define TRD_BAR_REC_SIZE    48

enum {
	TRD_STORE_RDONLY = 1 << 0,
	TRD_STORE_CREATE = 1 << 1, /* create data_dir if missing (writers) */
};

struct trd_instrument {
	uint32_t id;
	uint8_t  price_dp;
	uint8_t  qty_dp;
	int64_t  tick_size; /* price scale; 0 when unknown */
	int64_t  lot_size;  /* quantity scale; 0 when unknown */
	char     symbol[TRD_SYMBOL_MAX + 1];
};

struct trd_store {
	MDB_env *env;
	MDB_dbi  dbi_meta, dbi_instr, dbi_bars;
	int      flags;
	size_t   map_size, map_max;
	void    *map_addr;  /* LMDB's data.mdb mapping, found lazily */
	size_t   map_len;
	char     dir[4096];
};

struct trd_store_opts {
	size_t map_size; /* initial map size in bytes; 0 for the default */
	size_t map_max;  /* ceiling for growth; 0 for the default */
};

#define TRD_STORE_MAP_DEFAULT ((size_t)256 << 20)
#define TRD_STORE_MAX_DEFAULT ((size_t)64 << 30)

/*
 * Open (and with TRD_STORE_CREATE, create) the store in dir.  Errors are
 * logged with the directory and reason; returns 0 or a negative code.  On
 * failure *out is untouched and nothing needs closing.
 */
int trd_store_open(struct trd_store **out, const char *dir, int flags,
		   const struct trd_store_opts *opts);
void trd_store_close(struct trd_store *s);

/* Symbol syntax: 1..TRD_SYMBOL_MAX of [A-Za-z0-9._-]. Returns 1 if valid. */
int trd_symbol_valid(const char *sym);

/* Look an instrument up by symbol (TRD_ENOTFOUND if absent) or id. */
int trd_store_instrument_get(struct trd_store *s, const char *sym,
			     struct trd_instrument *out);
int trd_store_instrument_by_id(struct trd_store *s, uint32_t id,
			       struct trd_instrument *out);
/* trd_store_instrument_get for a configured instrument that must have
 * data: logs "instrument SYM: no data in data store DIR (import it ...)"
 * or the store error when it fails. */
int trd_store_instrument_need(struct trd_store *s, const char *sym,
			      struct trd_instrument *out);
/*
 * Return the stored instrument for in->symbol, creating it with in's scales
 * when absent.  An existing instrument keeps its scales (changing them would
 * reinterpret every stored bar); tick and lot sizes are updated if given.
 */
int trd_store_instrument_ensure(struct trd_store *s,
				const struct trd_instrument *in,
				struct trd_instrument *out);
/* All instruments in symbol order.  *out is malloc'd; caller frees. */
int trd_store_instruments(struct trd_store *s, struct trd_instrument **out,
			  size_t *n);

/* Key and record codecs (exposed for the replay cursor and the tests). */
void trd_bar_key(uint8_t key[TRD_BAR_KEY_SIZE], uint32_t sym, uint32_t tf_s,
		 int64_t ts_ns);
int trd_bar_decode(const MDB_val *k, const MDB_val *v, struct trd_bar *out);

/*
 * Write batch: one LMDB write transaction.  Puts are insert-only: a bar
 * whose key exists is compared, and reported as unchanged when equal or as
 * TRD_ECONFLICT when different (the stored bar is kept).
 */
struct trd_store_batch {
	struct trd_store *store;
	MDB_txn          *txn;
	MDB_cursor       *cur;
};

enum trd_put_result {
	TRD_PUT_INSERTED,
	TRD_PUT_UNCHANGED,
};

int trd_store_batch_begin(struct trd_store *s, struct trd_store_batch *b);
/* 0 with *res set, TRD_ECONFLICT, or an LMDB error (MDB_MAP_FULL means:
 * abort, call trd_store_grow() and redo the batch). */
int trd_store_batch_put(struct trd_store_batch *b, const struct trd_bar *bar,
			enum trd_put_result *res);
int trd_store_batch_commit(struct trd_store_batch *b);
void trd_store_batch_abort(struct trd_store_batch *b);

/* Double the map size (no transaction of this process may be open).
 * Returns 0, or TRD_EFULL when already at map_max. */
int trd_store_grow(struct trd_store *s);

/* Grow the map ahead of a write of about bytes more data, so a large
 * import is not redone after every doubling.  Best effort: stops at
 * map_max (the write itself then reports TRD_EFULL). */
void trd_store_reserve(struct trd_store *s, size_t bytes);

/*
 * Read cursor over one (symbol, timeframe) in time order, bars with open
 * time in [from_ns, to_ns).  Uses its own read transaction.  Bars are
 * decoded into the caller's memory, so nothing returned points into the map.
 */
struct trd_bar_cursor {
	struct trd_store *store;
	MDB_txn          *txn;
	MDB_cursor       *cur;
	uint32_t          sym, tf_s;
	int64_t           next_ns, to_ns;
	int               done;
	int               at_next; /* the cursor sits on the next bar */
	uint64_t          since_renew;
};

int trd_bar_cursor_open(struct trd_bar_cursor *c, struct trd_store *s,
			uint32_t sym, uint32_t tf_s, int64_t from_ns,
			int64_t to_ns);
/* Fill up to max bars; returns the count (0 at the end) or a negative
 * error (TRD_EVERSION for an unknown record). */
int trd_bar_cursor_read(struct trd_bar_cursor *c, struct trd_bar *out,
			int max);
void trd_bar_cursor_close(struct trd_bar_cursor *c);

/* Per (symbol, timeframe) summary, for `traderctl db stat`. */
struct trd_series_stat {
	uint32_t sym, tf_s;
	uint64_t count;
	int64_t  first_ns, last_ns;
};
/* *out is malloc'd; caller frees. */
int trd_store_stat(struct trd_store *s, struct trd_series_stat **out,
		   size_t *n);

#endif
