/*
 * store: the LMDB environment holding instruments and bars.
 *
 * Layout (named databases in one environment under data_dir), format 2:
 *   meta         "format" -> u32 store format version, "next_id" -> u32,
 *                "run_seq" -> u64 LE, the last run number (client ids)
 *   instruments  symbol -> struct trd_instrument record (versioned)
 *   series       key (sym u32 BE, tf_s u32 BE), one per series; its bars are
 *                the key's sorted fixed-size duplicates (MDB_DUPSORT |
 *                MDB_DUPFIXED), each 48 bytes:
 *                  ts_ns + 2^63 u64 BE, open, high, low, close, volume
 *                  (i64 LE each)
 *   ticks        trades and quotes: the same key with a kind for tf_s, its
 *                48-byte records sorted duplicates (ticks.h)
 *
 * The big-endian time first makes LMDB's byte order the time order, and
 * DUPFIXED packs a series' bars into arrays that fill whole pages: a reader
 * takes a page of bars (85) per cursor step (MDB_GET_MULTIPLE and
 * MDB_NEXT_MULTIPLE) instead of one B-tree step per bar, and a bar costs 48
 * bytes on disk instead of 74.  The bar layout is fixed by the format
 * number in meta; a new layout is a new format.  A reader that meets a
 * format it does not know refuses with TRD_EVERSION rather than guessing.
 * Prices and volumes are stored as the instrument's scaled integers, so
 * what is read back is exactly what was written.
 *
 * Format 1 (before 2026-11) kept one record per bar in "bars", keyed by
 * (sym, tf, ts).  A writer (traderctl import, traderctl db upgrade) opening
 * a format 1 store rewrites it to format 2 in one transaction: either all
 * of it is converted or nothing changes.  A reader (traderd) refuses a
 * format 1 store and says how to upgrade it.
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

#include "summary.h"
#include "traderd/types.h"

#define TRD_STORE_FORMAT    2   /* environment layout version */
#define TRD_INSTR_REC_VERSION 1
#define TRD_SERIES_KEY_SIZE 8
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
	MDB_dbi  dbi_meta, dbi_instr, dbi_series;
	MDB_dbi  dbi_ticks;  /* ticks.h; valid when have_ticks */
	int      have_ticks;
	int      flags;
	uint64_t upgraded;  /* bars converted from format 1 at open */
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
/*
 * A new run of the account this store belongs to: 1, 2, 3 ... kept in meta
 * "run_seq", committed before it is returned, so two runs never share a
 * number (client ids are built from it: unique across restarts).  Needs a
 * writable store.  0, -EROFS, or a store error (logged).
 */
int trd_store_next_run(struct trd_store *s, uint64_t *run);

/* All instruments in symbol order.  *out is malloc'd; caller frees. */
int trd_store_instruments(struct trd_store *s, struct trd_instrument **out,
			  size_t *n);

/*
 * Write batch: one LMDB write transaction.  Puts are insert-only: a bar
 * whose time is stored is compared, and reported as unchanged when equal
 * or as TRD_ECONFLICT when different (the stored bar is kept).  Bars that
 * extend their series are gathered and written a run at a time
 * (MDB_MULTIPLE), so an LMDB error such as MDB_MAP_FULL may surface at a
 * later put or at commit; either way the batch is aborted and redone.
 */
struct trd_store_batch {
	struct trd_store *store;
	MDB_txn          *txn;
	MDB_cursor       *cur;
	/* The series last written and its latest bar time: a bar after it
	 * is appended without a search (MDB_APPENDDUP). */
	uint8_t           last_key[TRD_SERIES_KEY_SIZE];
	int64_t           last_ts;
	int               have_last;
	uint8_t          *run;   /* bars to append to last_key's series */
	uint32_t          nrun;
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

/* Drop this process's mapping of the store's pages (they stay in the page
 * cache and fault back when touched): a long-running writer's resident
 * set stays what it is using, not all it has walked.  Safe with readers
 * in this process (their pages fault back in). */
void trd_store_drop_pages(struct trd_store *s);

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
	uint8_t           key[TRD_SERIES_KEY_SIZE];
	int64_t           next_ns, to_ns;
	int               done;
	/* The page of bars the cursor is on (in the map, valid within this
	 * read transaction; NULL: seek to next_ns first). */
	const uint8_t    *page;
	uint32_t          page_n, page_i;  /* bars on it, next to return */
	uint64_t          since_renew;
	/* Set by the caller after open to have what is read summarised
	 * (summary.h); NULL: not. */
	struct trd_series_summary *sum;
};

int trd_bar_cursor_open(struct trd_bar_cursor *c, struct trd_store *s,
			uint32_t sym, uint32_t tf_s, int64_t from_ns,
			int64_t to_ns);
/* Fill up to max bars; returns the count (0 at the end) or a negative
 * error (TRD_EVERSION for an unknown record). */
int trd_bar_cursor_read(struct trd_bar_cursor *c, struct trd_bar *out,
			int max);
/* The same, bar i written at (char *)out + i * stride: straight into the
 * bar member of a caller's array of larger records. */
int trd_bar_cursor_read_strided(struct trd_bar_cursor *c, struct trd_bar *out,
				size_t stride, int max);
void trd_bar_cursor_close(struct trd_bar_cursor *c);

/* Per (symbol, timeframe) summary, for `traderctl db stat`. */
struct trd_series_stat {
	uint32_t sym, tf_s;
	uint64_t count;
	int64_t  first_ns, last_ns;
};
/* *out is malloc'd; caller frees. */
/* The same over any database keyed like series (sym, u32 BE) whose
 * sorted duplicates of rec_size bytes begin with the time (ticks.h). */
int trd_store_stat_dbi(struct trd_store *s, MDB_dbi dbi, size_t rec_size,
		       struct trd_series_stat **out, size_t *n);
int trd_store_stat(struct trd_store *s, struct trd_series_stat **out,
		   size_t *n);

#endif
