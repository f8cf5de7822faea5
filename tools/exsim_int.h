/*
 * exsim's parts (exsim.c: the loop, the connections, WebSocket and the
 * markets; exsim_rest.c: the REST endpoints and the depth snapshot).
 * Internal to the tool.
 */
#ifndef EXSIM_INT_H
#define EXSIM_INT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "binance.h"
#include "book.h"
#include "http_parse.h"
#include "instrument.h"

#define MAX_SYMS   512
#define MAX_SUBS   1024 /* Binance allows 1024 streams a connection */
#define KEEP_KLINE 20000 /* closed klines kept per symbol and interval */
#define KEEP_TRADE 200000

struct kl {
	int64_t t;       /* open, ms */
	int64_t o, h, l, c, v, q; /* price dp / qty dp / quote */
	int64_t first, last;
	int64_t n;
	int     open;
};

struct trade {
	int64_t id, px, qty, t;
	int     maker;
};

struct sym {
	char         name[24];   /* BTCUSDT */
	char         lower[24];
	struct trd_book book;
	uint64_t     book_id;
	int64_t      px;         /* synthetic: last price in ticks */
	int64_t      agg_id, trade_id;
	struct kl    cur[2];     /* 1s, 1m */
	struct kl   *hist[2];
	size_t       nhist[2], caphist[2];
	struct trade *tr;
	size_t       ntr, captr;
	int64_t      depth_seq;
	char        *snap;       /* recorded snapshot body */
};

struct client {
	uv_tcp_t          tcp;
	struct trd_httpp *pp;
	int               ws;         /* upgraded */
	int               raw;        /* /ws/<stream>: data only */
	int               closing;
	char              subs[MAX_SUBS][64];
	int               nsubs;
	unsigned char    *in;         /* WS input */
	size_t            inlen, incap;
	int64_t           opened_ms;
	uv_timer_t        drop, age;
	int               timers;
	int               in_count;
	int64_t           in_window;
	struct client    *next;
	uint64_t          id;
	struct ap_conn   *ap;         /* --alpaca: its protocol state */
};

/* Everything exsim knows: its options, its clients, its market. */
struct exsim {
	uv_loop_t   *loop;
	uv_tcp_t     srv;
	uv_timer_t   tick, stop;
	uv_signal_t  sigterm, sigint;
	struct client *clients;
	uint64_t     nclients;
	struct sym   syms[MAX_SYMS];
	int          nsyms;
	struct trd_registry reg;
	struct trd_bn bn;
	int          usdm;
	/* options */
	int          port;
	const char  *port_file;
	const char  *frames_path, *recv_path, *snap_path, *info_path;
	double       speed;
	int          nsynth;
	double       rate;
	uint64_t     seed;
	double       duration;
	double       drop_every, max_age, malformed, stall_at, stall_for;
	double       shutdown_at;
	int          depth_gap, slow, in_rate;
	int          alpaca;       /* 0, 1 stocks, 2 crypto */
	const char  *ap_key, *ap_secret;
	int          ap_max_conns;
	int          shutdown_sent;
	/* recorded */
	char       **lines;
	double      *line_ts;
	size_t       nlines, iline;
	double       rec_t0;
	double       rec_start;   /* when playback began, or -1 */
	int64_t      start_mono;
	uint64_t     rng;
	uint64_t     depth_count;
	uint64_t     sent, malformed_sent, gaps_made;
	int          weight;
	int64_t      weight_min;
	char        *info_body;
};
extern struct exsim S;

/* Synthetic instruments: prices with 2 decimals, quantities with 3. */
#define PDP 2
#define QDP 3

/* exsim.c */
/* The kline intervals exsim makes: 1s and 1m. */
extern const int64_t tf_ms[2];
extern const char *const tf_name[2];
int64_t now_ms(void);
int fmt_dec(char *out, int64_t v, int dp);
void send_bytes(struct client *c, const void *p, size_t n);
struct sym *sym_find(const char *name, size_t len);

/* exsim_rest.c: answer one HTTP request that is not an upgrade. */
void exsim_rest(struct client *c, const struct trd_http_msg *m);
/* A Binance-style error {"code":..,"msg":..}; keep: keep-alive. */
void rest_error(struct client *c, int status, int code, const char *msg,
		int keep);

#endif
