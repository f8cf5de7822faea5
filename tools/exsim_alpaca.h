/*
 * exsim_alpaca: Alpaca's market-data stream protocol for exsim (see
 * exsim_alpaca.c).  exsim hands it each upgraded connection and each text
 * message, and the synthetic market's trades, quotes and minute bars;
 * it answers through send and ends connections through close.
 */
#ifndef EXSIM_ALPACA_H
#define EXSIM_ALPACA_H

#include <stddef.h>
#include <stdint.h>

struct ap_conn;
typedef void (*ap_send_fn)(void *c, const char *p, size_t n);
typedef void (*ap_close_fn)(void *c);

void ap_configure(int crypto, const char *key, const char *secret,
		  int max_conns, ap_send_fn send, ap_close_fn close);
/* The stream path is one of this kind's (v2/iex|sip|test, or
 * v1beta3/crypto/us). */
int ap_path_ok(const char *target);
struct ap_conn *ap_open(void *c, int64_t now_ms);
void ap_input(struct ap_conn *a, const char *p, size_t n);
void ap_closed(struct ap_conn *a);
/* Auth deadlines. */
void ap_tick(int64_t now_ms);
/* Market data: prices and sizes as decimal text. */
void ap_trade(const char *sym, int64_t id, const char *px, const char *qty,
	      int64_t t_ms, int seller_taker);
void ap_quote(const char *sym, const char *bp, const char *bs, const char *ap,
	      const char *as, int64_t t_ms);
void ap_bar(const char *sym, const char *o, const char *h, const char *l,
	    const char *c, const char *v, int64_t open_ms);
void ap_stats(uint64_t *sent, uint64_t *auth_fail, uint64_t *limit_refused);

#endif
