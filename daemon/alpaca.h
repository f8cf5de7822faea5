/*
 * alpaca: Alpaca's market-data stream messages (stocks v2/iex, v2/sip,
 * v2/test; crypto v1beta3) parsed into traderd's terms, as binance.h does
 * for Binance.  A WebSocket message is a JSON array of objects, each with
 * a type "T":
 *
 *   success       {"T":"success","msg":"connected"|"authenticated"}
 *   error         {"T":"error","code":402,"msg":"auth failed"}
 *   subscription  {"T":"subscription","trades":[..],"quotes":[..],..}
 *   t             trade: S symbol, i id, p price, s size, t time (RFC 3339
 *                 with up to 9 decimals), crypto tks taker side B|S
 *   q             quote: S, bp, bs, ap, as, t
 *   b             minute bar: S, o, h, l, c, v, t (the minute's start)
 *   others        (daily and updated bars, statuses, orderbooks, lulds,
 *                 corrections) are skipped
 *
 * Prices and sizes are JSON numbers: their text is converted exactly to
 * the instrument's scale (an exponent shifts the digits; more decimals
 * than the scale holds is refused, never rounded).  One bad element is
 * refused with a reason and counted; the others of the message still
 * count.
 */
#ifndef TRD_ALPACA_H
#define TRD_ALPACA_H

#include <stddef.h>
#include <stdint.h>

#include "instrument.h"
#include "traderd/plugin.h"
#include "traderd/types.h"

enum trd_ap_kind {
	TRD_AP_SUCCESS = 1, /* ctl.msg */
	TRD_AP_ERROR,       /* ctl.code, ctl.msg */
	TRD_AP_SUBSCRIPTION,
	TRD_AP_TRADE,       /* trade */
	TRD_AP_QUOTE,       /* quote (ts_ns: its t) */
	TRD_AP_BAR,         /* bar (ts_ns: the minute's start; tf_s 60) */
};

struct trd_ap_msg {
	int      kind;    /* enum trd_ap_kind */
	uint32_t ins;     /* registry handle (data messages) */
	union {
		struct trd_trade trade;
		struct trd_quote quote;
		struct trd_bar   bar;
		struct {
			int  code;
			char msg[96];
		} ctl;
	} u;
};

struct trd_ap {
	const struct trd_registry *reg;
	void                      *tok;   /* jsmntok_t[ntok] */
	size_t                     ntok;
	struct trd_ap_msg         *out;
	size_t                     capout;
	uint64_t                   frames, refused;
	char                       err[160]; /* why the last refusal */
};

void trd_ap_init(struct trd_ap *p, const struct trd_registry *reg);
void trd_ap_free(struct trd_ap *p);

/*
 * Parse one message.  0 with *msgs (owned by p, valid until the next
 * call) and *n the elements understood; elements refused are counted in
 * p->refused (the last reason in p->err).  -1 when the message is not a
 * JSON array of objects at all (p->err says why; counted).
 */
int trd_ap_frame(struct trd_ap *p, const char *frame, size_t len,
		 struct trd_ap_msg **msgs, size_t *n);

/* An exact decimal from a JSON number's text at dp decimals: 0,
 * TRD_ESYNTAX, TRD_ERANGE or TRD_EPRECISION. */
int trd_ap_number(const char *s, size_t len, int dp, int64_t *out);

#endif
