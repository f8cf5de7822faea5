/*
 * replay: the historical source.  Merges bars of several instruments from
 * the store into one stream ordered by delivery time (k-way merge over one
 * LMDB cursor per series).  Ties (bars of several symbols closing at the
 * same instant) go in the order the symbols were given, so a replay is the
 * same every run.  It streams: memory is a fixed buffer per symbol whatever
 * the length of the history.
 *
 * A bar with open time t and timeframe tf is delivered at t + tf, its close:
 * that is when a live feed would know it, so a strategy never sees a bar
 * before it could have in real time.
 */
#ifndef TRD_REPLAY_H
#define TRD_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "instrument.h"
#include "source.h"
#include "summary.h"
#include "store.h"

/*
 * Create a replay source over the instruments of reg at timeframe tf_s,
 * bars with open time in [from_ns, to_ns), each read from the store
 * series reg maps it to and delivered with the registry handle as its sym.
 * Every instrument must be in the store (store_id set): one that is not
 * is an error naming it.  ticks (TRD_TICK_TRADES | TRD_TICK_QUOTES, or 0)
 * adds the stored trades and quotes of every instrument in [from_ns,
 * to_ns), each delivered at its time, merged with the bars: at one time
 * bars come first (they closed then), then quotes, then trades, each in
 * the order the symbols were given, and a series in its stored (time, id)
 * order.  The source's start_ns is from_ns when given,
 * else the earliest first bar's open time.  Returns 0 or a negative error
 * (logged).  The store and the registry must outlive the source.
 */
int trd_replay_open(struct trd_source **out, struct trd_store *store,
		    const struct trd_registry *reg, uint32_t tf_s,
		    int64_t from_ns, int64_t to_ns, int ticks);

/* Series i of src (a replay; NULL past the last): what it read so far. */
const struct trd_series_summary *trd_replay_summary(const struct trd_source *src,
						    size_t i);
/* A hash of every series' bars (their hashes and counts, in order). */
uint64_t trd_replay_data_hash(const struct trd_source *src);

#endif
