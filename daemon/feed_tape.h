/*
 * feed_tape: a pull source replaying a recorded live session (the tape)
 * through the same feed core, book and bar builder, under the virtual
 * clock: the strategies see the events, at the times, of the session
 * that was recorded.
 */
#ifndef TRD_FEED_TAPE_H
#define TRD_FEED_TAPE_H

#include <stdint.h>

#include "config.h"
#include "instrument.h"
#include "source.h"
#include "store.h"

/*
 * Tape records with from_ns <= ts < to_ns of the store, read under the
 * config's feed settings and instruments (reg must outlive the source).
 * A session on the tape recorded with other symbols is refused, naming
 * both lists.  start_ns is the first record's time.  0, TRD_ENOTFOUND
 * (no tape, or nothing in the range), or another error (logged).
 */
int trd_feed_tape_open(struct trd_source **out, const struct trd_config *c,
		       const struct trd_registry *reg, struct trd_store *s,
		       int64_t from_ns, int64_t to_ns);

#endif
