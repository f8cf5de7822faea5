/*
 * book: a local L2 order book kept from a REST snapshot and the diff
 * depth stream, by Binance's rules ("How to manage a local order book
 * correctly"), spot and USD-M alike:
 *
 *   - before a snapshot, diffs are buffered;
 *   - the snapshot (lastUpdateId L) must not be older than the first
 *     buffered diff (spot: L >= its U - 1), else fetch another; buffered
 *     diffs it already holds are dropped (spot u <= L, USD-M u < L); the
 *     first applied must straddle it (spot U <= L + 1 <= u; USD-M U <= L <=
 *     u);
 *   - then each diff must follow the last one (spot: U = previous u + 1,
 *     older ones ignored; USD-M: pu = previous u), else the book is
 *     discarded and a new snapshot is needed: a gap, counted;
 *   - a quantity of 0 removes the level (removing an unknown one is
 *     normal).
 *
 * The best bid and ask are the top-of-book quote.
 */
#ifndef TRD_BOOK_H
#define TRD_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "binance.h"

enum trd_book_rules {
	TRD_BOOK_SPOT,
	TRD_BOOK_USDM,
};

enum trd_book_result {
	TRD_BOOK_APPLIED = 0,  /* the book moved */
	TRD_BOOK_BUFFERED,     /* no snapshot yet: kept for it */
	TRD_BOOK_OLD,          /* already in the book: ignored */
	TRD_BOOK_GAP,          /* out of sequence: book discarded, the diff
				* buffered; fetch a snapshot */
	TRD_BOOK_RETRY,        /* snapshot older than the diffs: fetch again */
	TRD_BOOK_NOMEM,
};

struct trd_book_side {
	struct trd_bn_level *v; /* ascending price */
	size_t               n, cap;
};

struct trd_book_pending {
	uint64_t first_id, last_id, prev_id;
	int      has_prev;
	size_t   off, nbids, nasks; /* into lv */
};

struct trd_book {
	int                      rules;   /* enum trd_book_rules */
	int                      synced;
	int                      fresh;   /* synced, no diff applied yet */
	uint64_t                 id;      /* last update applied */
	struct trd_book_side     bid, ask;
	struct trd_book_pending *pend;    /* buffered diffs */
	size_t                   npend, cap_pend;
	struct trd_bn_level     *lv;      /* their levels */
	size_t                   nlv, cap_lv;
	uint64_t                 applied, old, gaps, snapshots;
};

void trd_book_init(struct trd_book *b, int rules);
void trd_book_free(struct trd_book *b);
/* A diff (m from trd_bn_frame, its levels lv: bids then asks). */
int trd_book_diff(struct trd_book *b, const struct trd_bn_msg *m,
		  const struct trd_bn_level *lv);
/* A snapshot: bids lv[0..nb), asks lv[nb..nb+na). */
int trd_book_snapshot(struct trd_book *b, uint64_t last_id,
		      const struct trd_bn_level *lv, size_t nb, size_t na);
/* The best bid and ask (0 on an empty side); 0, or -1 if not synced. */
int trd_book_top(const struct trd_book *b, int64_t *bid, int64_t *bid_qty,
		 int64_t *ask, int64_t *ask_qty);

#endif
