/*
 * portfolio: cash, positions, PnL and fees, in exact scaled integers.
 *
 * One portfolio holds one cash balance and a position per (strategy,
 * instrument), so strategies sharing an account still see their own
 * positions and trades.  Cash, fees and PnL are scaled by 10^TRD_CASH_DP;
 * quantities and prices by the instrument's qty_dp and price_dp.  Products
 * are computed in 128 bits and rounded once, against the trader (a buy's
 * notional rounds up, a sell's down, fees up), so the books always satisfy
 *
 *   cash + marked positions == initial cash + realized + unrealized - fees
 *
 * exactly, where unrealized is marked value minus cost basis.
 *
 * A round trip (trade) runs from a flat position to flat again (or to a
 * flip through zero); each closed one is passed to the on_trade hook.
 */
#ifndef TRD_PORTFOLIO_H
#define TRD_PORTFOLIO_H

#include <stddef.h>
#include <stdint.h>

#include "traderd/plugin.h"

struct trd_trip {
	int      open;
	int      side;        /* TRD_SIDE_BUY: long, TRD_SIDE_SELL: short */
	int64_t  entry_ns, exit_ns;
	int64_t  entry_qty, exit_qty;     /* quantity scale */
	int64_t  entry_value, exit_value; /* cash scale */
	int64_t  realized0;   /* position's realized PnL when the trip began */
	int64_t  fees;        /* fees paid within the trip */
};

struct trd_position {
	int64_t         qty;      /* signed */
	int64_t         cost;     /* cost basis of qty, cash scale, signed */
	int64_t         realized; /* gross of fees */
	int64_t         fees;
	struct trd_trip trip;
};

/* A closed round trip. */
struct trd_trade_rec {
	uint32_t strat, ins;
	int      side;
	int64_t  qty;          /* largest entry quantity: the sum of entries */
	int64_t  entry_ns, exit_ns;
	int64_t  entry_price, exit_price; /* volume-weighted, price scale */
	int64_t  pnl;          /* gross, cash scale */
	int64_t  fees;
};

struct trd_pf_instr {
	uint8_t  price_dp, qty_dp;
	/* Notional in 64 bits when it fits: price * qty divided by div
	 * (10^shift, shift = price_dp + qty_dp - cash dp in 0..18) or
	 * multiplied by mul (10^-shift, shift in -18..-1); else 0. */
	int64_t  div, mul;
	int64_t  last;       /* last mark price */
	int64_t  net_qty;    /* over all strategies */
	int64_t  short_qty;  /* the strategies' short positions, summed
			      * (each |qty| of a qty < 0) */
	int64_t  mtm;        /* net_qty * last, cash scale */
};

struct trd_portfolio {
	int64_t              initial_cash;
	int64_t              cash;
	int64_t              fees;
	int64_t              mtm_sum;   /* sum of instruments' mtm */
	size_t               nexposed;  /* instruments with net_qty != 0 */
	size_t               nshorted;  /* instruments with short_qty != 0 */
	size_t               nstrat, ninstr;
	struct trd_position *pos;       /* [strat * ninstr + ins] */
	struct trd_pf_instr *ins;
	void (*on_trade)(void *arg, const struct trd_trade_rec *t);
	void                *arg;
};

/* Returns 0 or -ENOMEM.  price_dp/qty_dp give each instrument's scales. */
int trd_portfolio_init(struct trd_portfolio *pf, int64_t cash, size_t nstrat,
		       size_t ninstr, const uint8_t *price_dp,
		       const uint8_t *qty_dp);
void trd_portfolio_free(struct trd_portfolio *pf);

enum trd_round {
	TRD_ROUND_DOWN,    /* toward -inf */
	TRD_ROUND_UP,      /* toward +inf */
	TRD_ROUND_NEAREST, /* half away from zero */
};

/* price * qty of instrument ins in cash scale, rounded as asked.  Saturates
 * at INT64_MIN/MAX rather than wrapping. */
int64_t trd_portfolio_notional(const struct trd_portfolio *pf, size_t ins,
			       int64_t price, int64_t qty, enum trd_round r);
/* Fee of a notional at fee_bps (scaled 10^4), rounded up. */
int64_t trd_fee(int64_t notional, int64_t fee_bps);

/* Apply a fill: side TRD_SIDE_BUY/SELL, qty > 0, fee >= 0. */
void trd_portfolio_fill(struct trd_portfolio *pf, size_t strat, size_t ins,
			int side, int64_t qty, int64_t price, int64_t fee,
			int64_t ts_ns);
/* Mark instrument ins at price (its latest close); remark recomputes its
 * marked value from the last price. */
void trd_portfolio_remark(struct trd_portfolio *pf, size_t ins);
static inline void
trd_portfolio_mark(struct trd_portfolio *pf, size_t ins, int64_t price)
{
	pf->ins[ins].last = price;
	if (pf->ins[ins].net_qty != 0)
		trd_portfolio_remark(pf, ins);
}

static inline int64_t
trd_portfolio_equity(const struct trd_portfolio *pf)
{
	return pf->cash + pf->mtm_sum;
}

static inline struct trd_position *
trd_portfolio_pos(const struct trd_portfolio *pf, size_t strat, size_t ins)
{
	return &pf->pos[strat * pf->ninstr + ins];
}

/* Sums over every position: realized PnL and unrealized (mtm - cost). */
void trd_portfolio_pnl(const struct trd_portfolio *pf, int64_t *realized,
		       int64_t *unrealized);

#endif
