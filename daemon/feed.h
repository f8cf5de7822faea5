/*
 * feed: what a venue's market-data connection says, made into the
 * engine's events.  Transport-free: the live source (feed_live.c) hands
 * it what arrived over WebSocket and REST, the tape source (feed_tape.c)
 * hands it the same inputs read back from a recording, and both get the
 * same events out, in the same order, at the same times.
 *
 * Inputs (struct trd_feed_in) are the unit of recording: a WebSocket
 * message, a REST answer to a request the feed asked for, a connection
 * opening or closing, and the passing of time (a tick of the wall clock,
 * so that time-driven work - closing a bar built from trades, a stale
 * symbol, retrying a snapshot - happens at a recorded point).
 *
 * What it guarantees to the strategies:
 *   bars     one per closed kline of feed.bar_timeframe (an in-progress
 *            update is never a bar), or built from trades; in time order,
 *            each exactly once: a duplicate (a rotated connection's
 *            overlap, a REST answer covering what the stream sent) is
 *            dropped, and a hole (a reconnect) is filled from REST klines
 *            before anything after it is delivered;
 *   trades   aggTrade ids in order, each once; a hole is filled from
 *            REST aggTrades fromId before later trades go out;
 *   quotes   from bookTicker (update ids increasing), or, without it,
 *            the top of the local book kept from diff depth and REST
 *            snapshots by the venue's rules, resynced on any gap.
 * Binance: at the start, exchangeInfo, whose tick, lot and minimum
 * notional fill what the config left out (trd_registry_update; from the
 * tape in a replay, so both see the same).
 * Alpaca (stocks and crypto): bars from its minute bars ("b") or built
 * from trades, trades and quotes as they come (its trade ids are per
 * exchange, not a sequence: no id dedupe, no REST backfill); its control
 * messages go to the transport through ctl.
 * Event times are receive times, never decreasing.
 */
#ifndef TRD_FEED_H
#define TRD_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "alpaca.h"
#include "binance.h"
#include "book.h"
#include "config.h"
#include "instrument.h"
#include "source.h"

enum trd_feed_in_kind {
	TRD_FIN_START = 1, /* a session begins: data = the stream list */
	TRD_FIN_OPEN,      /* connection conn is open */
	TRD_FIN_CLOSE,     /* connection conn closed: data = why */
	TRD_FIN_FRAME,     /* a WebSocket message on conn */
	TRD_FIN_REST,      /* the answer to a request (what, ins) */
	TRD_FIN_TIME,      /* the wall clock reached ts_ns */
};

/* What the feed asks of REST. */
enum trd_feed_req {
	TRD_FREQ_DEPTH = 1, /* a depth snapshot of ins */
	TRD_FREQ_KLINES,    /* klines of ins from arg (ns) */
	TRD_FREQ_AGGTRADES, /* aggTrades of ins fromId arg */
	TRD_FREQ_INFO,      /* exchangeInfo: the instruments' filters */
};

struct trd_feed_in {
	int64_t     ts_ns;  /* receive time (wall clock) */
	uint8_t     kind;   /* enum trd_feed_in_kind */
	uint8_t     what;   /* TRD_FIN_REST: enum trd_feed_req */
	uint16_t    conn;
	uint32_t    ins;    /* TRD_FIN_REST */
	int32_t     status; /* TRD_FIN_REST: HTTP status, or 0 if it failed */
	uint64_t    arg;    /* TRD_FIN_REST: the request's argument */
	const char *data;
	size_t      len;
};

typedef void (*trd_feed_emit_fn)(void *arg, const struct trd_event *ev);
/* Ask for a REST request; its answer must come back as a TRD_FIN_REST
 * input (a tape source ignores this: the answers are on the tape). */
typedef void (*trd_feed_req_fn)(void *arg, int what, uint32_t ins,
				uint64_t from);

/* A control message of the venue's protocol (Alpaca's success, error
 * and subscription messages: enum trd_ap_kind, its code and text) for the
 * transport to act on: authenticate, subscribe, back off, give up.  A
 * tape source has none to act on. */
typedef void (*trd_feed_ctl_fn)(void *arg, uint16_t conn, int kind, int code,
				const char *msg);

struct trd_feed_stats {
	uint64_t frames, bytes, refused, opens, closes;
	uint64_t bars, bars_dup, bars_backfilled, klines_open;
	uint64_t trades, trades_dup, trades_backfilled, trade_gaps;
	uint64_t quotes, quotes_dup, book_resyncs, snapshots;
	uint64_t bar_gaps, rest_errors, stale_marks;
	char     last_refusal[160];
};

struct trd_feed_sym {
	struct trd_book book;
	int      book_want;      /* a snapshot is asked for */
	int64_t  book_retry_ns;  /* ask again at (0: not waiting) */
	int64_t  last_bar_ns;    /* open of the last bar delivered */
	int      kline_fill;     /* a klines request is out */
	int64_t  kline_retry_ns;
	struct trd_bar *kq;      /* bars held behind the fill */
	size_t   nkq, capkq;
	uint64_t last_trade;     /* id of the last trade delivered */
	int      has_trade;
	int      trade_fill;
	int64_t  trade_retry_ns;
	struct trd_trade *tq;    /* trades held behind the fill */
	size_t   ntq, captq;
	uint64_t last_tick_u;    /* bookTicker's u */
	struct trd_bar cur;      /* a bar built from trades */
	int      cur_open;
	int      cur_traded;     /* cur has a trade (else it is flat) */
	int      cur_partial;    /* cur began before the first trade seen */
	int64_t  last_data_ns;
	int      stale;
	int64_t  q_bid, q_ask, q_bq, q_aq; /* the last book quote */
};

struct trd_feed {
	const struct trd_feed_conf *c;
	const struct trd_registry  *reg;
	struct trd_bn        bn;
	struct trd_ap        ap;         /* Alpaca kinds */
	int                  alpaca;
	trd_feed_ctl_fn      ctl;        /* set after init; NULL: none */
	struct trd_feed_sym *s;
	size_t               n;
	int                  build_bars; /* bars from trades */
	int64_t              now;        /* latest input time */
	int64_t              last_frame_ns; /* latest WebSocket message */
	int64_t              tf_ns;
	trd_feed_emit_fn     emit;
	trd_feed_req_fn      req;
	void                *arg;
	struct trd_feed_stats st;
};

int trd_feed_init(struct trd_feed *f, const struct trd_feed_conf *c,
		  const struct trd_registry *reg, trd_feed_emit_fn emit,
		  trd_feed_req_fn req, void *arg);
void trd_feed_free(struct trd_feed *f);
void trd_feed_input(struct trd_feed *f, const struct trd_feed_in *in);

/* The stream names of a combined-stream URL, '/'-separated, for the
 * symbols [from, to) of the registry ("btcusdt@aggTrade/..."). */
int trd_feed_streams(const struct trd_feed_conf *c,
		     const struct trd_registry *reg, size_t from, size_t to,
		     char *out, size_t outlen);
/* Binance's name of an interval of tf seconds ("1s", "1m", "4h", "1d");
 * b holds at least 16 bytes. */
const char *trd_feed_interval(uint32_t tf, char *b);
/* Streams per symbol (a connection carries at most 1024). */
int trd_feed_nstreams(const struct trd_feed_conf *c);

#endif
