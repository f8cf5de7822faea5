/*
 * session_api: what the strategy host (host.c) may ask of the session,
 * and all it may: the clock, the account's books and fee model, the
 * feature sets, the order calls (which pass the risk checks on the way to
 * the order manager), the kill switch, and the delivery of queued
 * callbacks.  The session (session.c) implements it; the host includes
 * only this, so the two do not depend on each other's internals.
 */
#ifndef TRD_SESSION_API_H
#define TRD_SESSION_API_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "margin.h"
#include "portfolio.h"
#include "traderd/plugin.h"

struct trd_session;
struct trd_strategy;
struct trd_fset;

/* ins of an order on a symbol the strategy does not trade. */
#define TRD_SESSION_NO_INSTR UINT32_MAX


int64_t trd_session_now(const struct trd_session *t);
struct trd_clock *trd_session_clock(struct trd_session *t);
const struct trd_portfolio *trd_session_portfolio(const struct trd_session *t);
const struct trd_fee_model *trd_session_fees(const struct trd_session *t);
struct trd_fset *trd_session_fset(struct trd_session *t, uint32_t ins);
/* The bar timeframe in seconds. */
uint32_t trd_session_tf(const struct trd_session *t);
/* The configuration file the session was built from (for paths in
 * params, which resolve against its directory). */
const char *trd_session_conf_path(const struct trd_session *t);

/*
 * Orders of strategy s.  ins is the request's instrument when s trades
 * it, else TRD_SESSION_NO_INSTR (the order is created and rejected,
 * unknown_symbol).  Each request passes the risk checks, then goes to the
 * order manager; ids receive the new orders' ids.  Returns 0 (the outcome
 * reaches on_order later) or -ENOMEM.
 */
int trd_session_submit(struct trd_session *t, struct trd_strategy *s,
		       const struct trd_order_req *rq, uint32_t ins,
		       uint64_t *id);
int trd_session_submit_oco(struct trd_session *t, struct trd_strategy *s,
			   const struct trd_order_req *a, uint32_t ia,
			   const struct trd_order_req *b, uint32_t ib,
			   uint64_t ids[2]);
int trd_session_submit_bracket(struct trd_session *t, struct trd_strategy *s,
			       const struct trd_order_req *entry, uint32_t ins,
			       const struct trd_bracket_req *b,
			       uint64_t ids[3]);
/* Cancel / amend an open order of s.  0, -ENOENT (not an open order of
 * s), -EINVAL (bad values), -EPERM (an amend the risk checks refuse). */
int trd_session_cancel(struct trd_session *t, struct trd_strategy *s,
		       uint64_t id, const char *reason);
int trd_session_amend(struct trd_session *t, struct trd_strategy *s,
		      uint64_t id, int64_t qty, int64_t price);
/* Copy up to max of s's open orders; returns how many it has. */
size_t trd_session_open_orders(struct trd_session *t, struct trd_strategy *s,
			       struct trd_order_info *out, size_t max);
/* Deliver the queued on_order / on_fill callbacks (after a step that may
 * have caused some). */
void trd_session_flush(struct trd_session *t);

/*
 * The kill switch (risk.h): record the trip (reason copied), cancel every
 * open order, and with on_trip flatten close every position with market
 * orders.  A no-op if already halted.
 */
void trd_session_halt(struct trd_session *t, const char *reason);
int trd_session_halted(const struct trd_session *t);

#endif
