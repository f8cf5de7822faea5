/*
 * feed_live: the live market-data push source (see feed_live.c): the
 * venue's WebSocket streams and REST on the loop, recorded to the tape,
 * made into events by the feed core.
 */
#ifndef TRD_FEED_LIVE_H
#define TRD_FEED_LIVE_H

#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "feed.h"
#include "instrument.h"
#include "source.h"
#include "store.h"

struct trd_feed_live_stats {
	uint64_t frames, reconnects, rotations, silences, shutdowns;
	uint64_t rest_requests, rest_failures;
	uint64_t venue_errors;  /* error messages from the venue (Alpaca) */
};

/*
 * A source for c->feed over the instruments of reg (which must outlive
 * it).  With a store, frames are recorded on its tape (feed.record) and
 * the bars built are added to it.  start_ns: the session's start, the
 * time of the tape's START record.  0 or a negative error (logged).
 */
int trd_feed_live_open(struct trd_source **out, uv_loop_t *loop,
		       const struct trd_config *c,
		       const struct trd_registry *reg,
		       struct trd_store *store, int64_t start_ns);
const struct trd_feed_live_stats *
trd_feed_live_stats(const struct trd_source *src);
const struct trd_feed *trd_feed_live_feed(const struct trd_source *src);
/* One connection group (a connection and, while it rotates, its
 * successor) of the feed, for show feeds and the metrics. */
struct trd_feed_conn_info {
	size_t      group, from, to; /* registry indexes [from, to) */
	uint16_t    id;              /* the current connection */
	const char *state;           /* open, connecting, authenticating,
				      * retrying */
	int64_t     open_age_ns;     /* -1: not open */
	int64_t     last_age_ns;     /* since its last message; -1: none */
	uint64_t    reconnects, rotations, silences;
	int         attempt;         /* reconnects in a row without data */
};
/* Connections open (state "open") now; *nconn the feed needs. */
size_t trd_feed_live_nopen(const struct trd_source *src, size_t *nconn);
/* Up to max groups into out; returns how many the feed has. */
size_t trd_feed_live_conns(const struct trd_source *src,
			   struct trd_feed_conn_info *out, size_t max);
/* While the events of a WebSocket message are delivered: the monotonic
 * time its receive callback began (for latency figures); else 0. */
int64_t trd_feed_live_recv_mono(const struct trd_source *src);

#endif
