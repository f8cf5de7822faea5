/*
 * tape: every input of a live feed, byte for byte, in LMDB, so a session
 * can be replayed exactly (feed_tape.c) and inspected (traderctl tape).
 *
 * Records live in the store's environment, in the named database "tape":
 *   key    ts_ns + 2^63 (u64 BE), seq (u64 BE): time order, then arrival
 *   value  u8 version (1), u8 kind, u8 what, u8 0, u16 conn LE, u16 0,
 *          u32 ins LE, i32 status LE, u64 arg LE, then the bytes
 * (struct trd_feed_in, feed.h).  ins is a registry index: a START record
 * carries the session's symbols, and a replay under a config whose
 * symbols differ is refused.
 *
 * The writer never blocks the loop on the disk: records (and the bars,
 * trades and quotes a paper session adds to the store) gather in memory and are committed by
 * a worker thread about once a second, one batch at a time; a crash loses
 * at most the batch not yet committed, never what was committed before.
 * Records older than the retention are deleted as new ones are written.
 */
#ifndef TRD_TAPE_H
#define TRD_TAPE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "feed.h"
#include "store.h"

#define TRD_TAPE_VERSION 1
#define TRD_TAPE_HDR     24
#define TRD_TAPE_KEY     16

struct trd_tape_w;

struct trd_tape_stats {
	uint64_t records, bytes, bars, ticks, commits, errors, deleted;
	size_t   pending;   /* bytes not yet committed */
};

int trd_tape_writer_new(struct trd_tape_w **out, uv_loop_t *loop,
			struct trd_store *s, uint32_t retention_h, int record);
/* Keep one input (copied) / one bar for the store (sym = store id). */
void trd_tape_put(struct trd_tape_w *w, const struct trd_feed_in *in);
void trd_tape_bar(struct trd_tape_w *w, const struct trd_bar *bar);
/* Keep one trade or quote for the tick store (ticks.h; sym = store id),
 * when recording. */
struct trd_tick;
void trd_tape_tick(struct trd_tape_w *w, uint32_t sym, int kind,
		   const struct trd_tick *t);
/* Start committing what is kept (if no commit is under way). */
void trd_tape_flush(struct trd_tape_w *w);
/* Commit everything (waiting for the worker), then free. */
void trd_tape_writer_close(struct trd_tape_w *w);
const struct trd_tape_stats *trd_tape_stats(const struct trd_tape_w *w);

/* Reading, in key order, records with from_ns <= ts < to_ns. */
struct trd_tape_r {
	struct trd_store *s;
	MDB_txn          *txn;
	MDB_cursor       *cur;
	int64_t           to_ns;
	int               started;
	int64_t           from_ns;
	uint64_t          seq;
};

/* 0, TRD_ENOTFOUND (no tape in this store), or a store error (logged). */
int trd_tape_open(struct trd_tape_r *r, struct trd_store *s, int64_t from_ns,
		  int64_t to_ns);
/* 1 with *in set (its data valid until the next call), 0 at the end, or a
 * negative error (a record this version cannot read: TRD_EVERSION). */
int trd_tape_next(struct trd_tape_r *r, struct trd_feed_in *in);
void trd_tape_close(struct trd_tape_r *r);

#endif
