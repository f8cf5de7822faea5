/*
 * traderd strategy plugin ABI.
 *
 * A strategy is a shared object exporting one function, TRD_PLUGIN_ENTRY:
 *
 *     const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *host);
 *
 * The host loads it with dlopen(RTLD_NOW | RTLD_LOCAL), calls the entry
 * point once, and checks the returned descriptor: abi_major must equal the
 * host's TRD_PLUGIN_ABI_MAJOR, and size must cover the fields the host uses.
 * The host keeps `host` valid until after the last callback (fini); the
 * plugin keeps its descriptor valid until it is unloaded.
 *
 * Versioning rules:
 *   - Adding a callback at the end of struct trd_plugin, a host call at the
 *     end of struct trd_host_api, a field at the end of a struct that starts
 *     with `size`, or an enum value, is a MINOR change.
 *   - Anything else (removing, reordering, changing a type or a meaning) is
 *     a MAJOR change.
 *   - Structs crossing the boundary start with `uint32_t size` (set by their
 *     writer to sizeof as it knows it); readers use only fields that lie
 *     within size.  A NULL callback means "not interested".
 *
 * Threading and re-entrancy: everything runs on the daemon's single loop
 * thread.  Host calls may be made from any callback, including submitting or
 * cancelling orders from on_order and on_fill.  No callback is ever made
 * from inside a host call: what a call causes (an order rejected at once,
 * a fill) is delivered after the callback that made the call has
 * returned, in the order it happened (the libuv rule).
 *
 * Instruments: `sym` in bars, quotes, trades, orders and host calls is the
 * session's instrument handle (struct trd_instrument_info.sym), the same
 * in replay, paper and live trading.  It is not a store id and says
 * nothing about the symbol's name; use host->instrument for that.
 * Handles are small: the session numbers its instruments 0, 1, 2 ... in
 * the config's order, so a plugin may index a table by them (sized by the
 * largest handle of its own instruments).
 *
 * Money: prices and quantities are scaled int64 (see traderd/types.h and
 * struct trd_instrument_info for the scales); cash, equity, fees and PnL are
 * scaled by 10^TRD_CASH_DP.
 *
 * Pointers passed to callbacks (bars, orders, fills, params, strings) are
 * valid only during that callback; copy what must be kept.
 *
 * Changelog:
 *   1.0  2026-11-20  first version: init/on_bar/on_quote/on_trade/on_order/
 *                    on_fill/on_timer/on_reload/fini; submit, cancel,
 *                    position, account, open orders, now, timers, log,
 *                    per-strategy state, instrument info, params,
 *                    max_buy_qty (sizing with the venue's rounding).
 *   1.1  2026-11-20  features: host->feature (indicator values by name,
 *                    resolved once) and host->bar_at (recent bars);
 *                    trd_instrument_info.shortable.
 *   1.2  2026-11-21  orders: stop-limit and trailing-stop types, time in
 *                    force (GTC/IOC/FOK/GTD), post-only and reduce-only
 *                    flags (trd_order_req grows); host->amend, submit_oco,
 *                    submit_bracket, size_qty (sizing), halt, halted;
 *                    trd_order_info grows (tif, flags, stop, link, parent,
 *                    client id, reject code); trd_account_info grows
 *                    (free collateral, halted); enum trd_reject.
 *   2.0  2026-12-06  MAJOR: `sym` is the session's instrument handle, no
 *                    longer the id of the instrument in the bar store (an
 *                    instrument now exists without stored bars: live feeds
 *                    fill it), so a plugin that took it for a store id is
 *                    wrong.  on_order/on_fill are no longer called from
 *                    inside host calls but after the calling callback
 *                    returns (a rejection at once reaches on_order after
 *                    submit has returned).  client_id is at most 36
 *                    characters of [A-Za-z0-9_-], unique across restarts
 *                    of an account ("<run>-<strategy>-<n>"); the venue's
 *                    order id is given too.  trd_instrument_info gains
 *                    venue_symbol, min_notional and max_order_qty;
 *                    trd_trade gains the venue's trade id.
 *   2.1  2026-12-07  hot swap: save_state and restore_state at the end of
 *                    struct trd_plugin (see there).
 *   2.2  2026-12-07  models: host->model_load, model_predict, model_info,
 *                    model_unload, model_psi (a trained model over the
 *                    engine's features, and its drift) and
 *                    host->record (named figures into the report and the
 *                    metrics).
 */
#ifndef TRADERD_PLUGIN_H
#define TRADERD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "traderd/types.h"

#define TRD_PLUGIN_ABI_MAJOR 2
#define TRD_PLUGIN_ABI_MINOR 2

#define TRD_PLUGIN_ENTRY "trd_plugin_entry"

struct trd_strategy; /* opaque: one configured strategy instance */

enum trd_side {
	TRD_SIDE_BUY = 1,
	TRD_SIDE_SELL = 2,
};

enum trd_order_type {
	TRD_ORDER_MARKET = 1,
	TRD_ORDER_LIMIT = 2,
	TRD_ORDER_STOP = 3,
	/* 1.2 */
	TRD_ORDER_STOP_LIMIT = 4,    /* stop_price triggers a limit at price */
	TRD_ORDER_TRAILING_STOP = 5, /* a stop that follows the market by trail */
};

/* 1.2: time in force. */
enum trd_tif {
	TRD_TIF_GTC = 0, /* until filled or canceled */
	TRD_TIF_IOC = 1, /* what fills in the first bar it meets; rest canceled */
	TRD_TIF_FOK = 2, /* all in the first bar it meets, or canceled */
	TRD_TIF_GTD = 3, /* like GTC until expire_ns, then EXPIRED */
};

/* 1.2: order flags. */
#define TRD_ORDER_POST_ONLY   0x1u /* a limit that would cross is rejected */
#define TRD_ORDER_REDUCE_ONLY 0x2u /* may only bring the position to zero */

/*
 * 1.2: why an order was rejected (trd_order_info.reject_code; report.json
 * counts them in rejects_by_reason under the names in the comments).
 */
enum trd_reject {
	TRD_REJ_NONE = 0,
	TRD_REJ_INVALID_ORDER,      /* invalid_order: bad type/tif/flags mix */
	TRD_REJ_INVALID_QTY,        /* invalid_quantity: zero, negative */
	TRD_REJ_INVALID_PRICE,      /* invalid_price: zero, negative, missing */
	TRD_REJ_LOT,                /* lot_size: not a multiple of the lot */
	TRD_REJ_TICK,               /* tick_size: not a multiple of the tick */
	TRD_REJ_MIN_NOTIONAL,       /* min_notional */
	TRD_REJ_UNKNOWN_SYMBOL,     /* unknown_symbol */
	TRD_REJ_MAX_ORDER_QTY,      /* max_order_qty */
	TRD_REJ_MAX_ORDER_NOTIONAL, /* max_order_notional */
	TRD_REJ_MAX_POSITION,       /* max_position_notional */
	TRD_REJ_MAX_GROSS,          /* max_gross_exposure */
	TRD_REJ_MAX_OPEN_ORDERS,    /* max_open_orders */
	TRD_REJ_RATE_STRATEGY,      /* rate_limit_strategy */
	TRD_REJ_RATE_GLOBAL,        /* rate_limit_global */
	TRD_REJ_PRICE_COLLAR,       /* price_collar */
	TRD_REJ_MAX_OPEN_TRADES,    /* max_open_trades */
	TRD_REJ_HALTED,             /* halted: kill switch, entries refused */
	TRD_REJ_STALE_DATA,         /* stale_data */
	TRD_REJ_NO_MARKET_DATA,     /* no_market_data: no price to check at */
	TRD_REJ_REDUCE_ONLY,        /* reduce_only: would grow the position */
	TRD_REJ_POST_ONLY,          /* post_only: would cross */
	TRD_REJ_FUNDS,              /* insufficient_funds: cash, collateral */
	TRD_REJ_POSITION,           /* insufficient_position: no shorting */
	TRD_REJ_COUNT
};

enum trd_order_status {
	TRD_ORDER_NEW = 1,       /* created, not yet acknowledged by the
				  * venue (in flight), or a bracket exit
				  * held until its entry fills */
	TRD_ORDER_ACCEPTED,      /* working at the venue */
	TRD_ORDER_PARTIALLY_FILLED,
	TRD_ORDER_FILLED,
	TRD_ORDER_CANCELED,
	TRD_ORDER_REJECTED,
	TRD_ORDER_EXPIRED,
};

/* Log levels for host->log (syslog priorities). */
enum trd_plugin_log {
	TRD_PLOG_ERROR = 3,
	TRD_PLOG_WARN = 4,
	TRD_PLOG_INFO = 6,
	TRD_PLOG_DEBUG = 7,
};

struct trd_instrument_info {
	uint32_t    size;
	uint32_t    sym;       /* the handle used in bars, orders, calls */
	const char *symbol;
	uint8_t     price_dp;  /* prices are scaled by 10^price_dp */
	uint8_t     qty_dp;    /* quantities by 10^qty_dp */
	int64_t     tick_size; /* price scale */
	int64_t     lot_size;  /* quantity scale */
	/* 1.1: whether the venue lets a position go below zero. */
	uint8_t     shortable;
	/* ---- 2.0 ---- */
	const char *venue_symbol;  /* the venue's name for it */
	int64_t     min_notional;  /* cash scale; 0: none */
	int64_t     max_order_qty; /* quantity scale; 0: no limit */
};

struct trd_order_req {
	uint32_t size;
	uint32_t sym;
	uint32_t side;  /* enum trd_side */
	uint32_t type;  /* enum trd_order_type */
	int64_t  qty;   /* > 0, a multiple of lot_size */
	int64_t  price; /* limit price (LIMIT, STOP_LIMIT), trigger (STOP);
			 * TRAILING_STOP: 0, or the first stop level */
	uint64_t tag;   /* free for the plugin; echoed in trd_order_info */
	/* ---- 1.2 (a smaller size means GTC, no flags) ---- */
	uint32_t tif;        /* enum trd_tif */
	uint32_t flags;      /* TRD_ORDER_POST_ONLY | TRD_ORDER_REDUCE_ONLY */
	int64_t  stop_price; /* STOP_LIMIT: the trigger; else 0 */
	int64_t  trail;      /* TRAILING_STOP: distance in price scale; else 0 */
	int64_t  expire_ns;  /* GTD: expiry on the engine's clock; else 0 */
};

/*
 * 1.2: a bracket: an entry whose first fill activates a take-profit limit
 * and a stop-loss stop, as an OCO pair closing what the entry filled.  Each
 * exit's price is given either absolutely (tp_price, sl_price) or as an
 * offset in basis points from the entry's average fill price at activation
 * (tp_bps, sl_bps, scaled by 10^4: 150 bps = 1500000); exactly one of each
 * pair is > 0.
 */
struct trd_bracket_req {
	uint32_t                    size;
	const struct trd_order_req *entry;
	int64_t                     tp_price, sl_price;
	int64_t                     tp_bps, sl_bps;
};

/* 1.2: the methods of host->size_qty. */
enum trd_sizing_method {
	TRD_SIZE_FIXED = 1,      /* qty */
	TRD_SIZE_FRACTION = 2,   /* fraction of equity */
	TRD_SIZE_VOL_TARGET = 3, /* vol_target / vol(vol_n) of equity */
	TRD_SIZE_KELLY = 4,      /* half Kelly from the strategy's trades */
};

/*
 * 1.2: a request to host->size_qty.  The answer is a quantity of sym (a
 * lot multiple) for an order at price (0: the last close), never more than
 * the account can pay for (as max_buy_qty), or 0.
 *
 *   FIXED       qty
 *   FRACTION    equity * fraction / price
 *   VOL_TARGET  equity * min(1, vol_target / vol(vol_n)) / price, with
 *               vol_target a per-bar standard deviation of log returns, as
 *               vol(n) measures (0 while vol(vol_n) is not warm)
 *   KELLY       equity * min(kelly_cap, 0.5 * f) / price, f = p - (1-p)/b
 *               from the strategy's closed trades (p: share of winners,
 *               b: mean win / mean loss, net of fees); 0 when f <= 0;
 *               while it has fewer than kelly_min_trades trades (or none
 *               lost), equity * fraction / price.  kelly_cap 0 means 0.01.
 */
struct trd_sizing {
	uint32_t size;
	uint32_t sym;
	uint32_t method;  /* enum trd_sizing_method */
	uint32_t vol_n;
	int64_t  price;
	int64_t  qty;
	double   fraction, vol_target, kelly_cap;
	uint32_t kelly_min_trades;
};

struct trd_order_info {
	uint32_t    size;
	uint64_t    id;        /* unique, deterministic within a run */
	uint32_t    sym;
	uint32_t    side;
	uint32_t    type;
	uint32_t    status;    /* enum trd_order_status */
	int64_t     qty;
	int64_t     filled_qty;
	int64_t     price;
	int64_t     avg_fill_price; /* price scale; 0 before any fill */
	int64_t     submit_ns;
	int64_t     update_ns;
	uint64_t    tag;
	const char *reason;    /* why it was rejected/canceled, else "" */
	/* ---- 1.2 ---- */
	uint32_t    tif, flags;
	uint32_t    reject_code; /* enum trd_reject when REJECTED */
	int64_t     stop_price;  /* STOP_LIMIT trigger; TRAILING_STOP: the
				  * current stop level (0 before the first) */
	int64_t     trail;
	int64_t     expire_ns;
	uint64_t    link_id;     /* the other leg of an OCO pair, or 0 */
	uint64_t    parent_id;   /* a bracket exit's entry, or 0 */
	const char *client_id;   /* 2.0: "<run>-<strategy>-<n>", at most 36
				  * of [A-Za-z0-9_-]: unique across
				  * restarts of the account, the same in
				  * every replay of the same data */
	/* ---- 2.0 ---- */
	const char *venue_order_id; /* the venue's id, "" until acked */
};

struct trd_fill {
	uint32_t size;
	uint64_t order_id;
	uint32_t sym;
	uint32_t side;
	int64_t  qty;
	int64_t  price;
	int64_t  fee;   /* cash scale */
	int64_t  ts_ns;
	uint64_t tag;
};

struct trd_account_info {
	uint32_t size;
	int64_t  cash;     /* cash scale */
	int64_t  equity;   /* cash + positions marked at the last close */
	int64_t  fees;     /* paid so far */
	int64_t  fee_bps;  /* venue fee, scaled by 10^4 (10 bps = 100000) */
	/* ---- 1.2 ---- */
	int64_t  free_collateral; /* cash - 2 x shorts: what new positions
				   * may use (the venue's rule) */
	int32_t  halted;          /* the kill switch is on: entries refused */
};

/* Strategy parameters as written in the config, in file order. */
struct trd_param {
	const char *key;
	const char *value;
};

struct trd_params {
	uint32_t                size;
	size_t                  n;
	const struct trd_param *items;
};

/* Quotes (best bid and ask) and trades (prints), from live feeds and
 * from replays of recorded ticks. */
struct trd_quote {
	uint32_t size;
	uint32_t sym;
	int64_t  ts_ns;
	int64_t  bid, ask, bid_qty, ask_qty;
};

struct trd_trade {
	uint32_t size;
	uint32_t sym;
	int64_t  ts_ns;
	int64_t  price, qty;
	uint32_t aggressor; /* enum trd_side of the taker, 0 if unknown */
	/* ---- 2.0 ---- */
	uint64_t id;        /* the venue's trade id, 0 if unknown */
};

/* A loaded model (ABI 2.2). */
struct trd_model_info {
	uint32_t    size;     /* sizeof, set by the caller */
	uint32_t    nfeat;
	int         prob;     /* model_predict gives P(1) */
	uint32_t    horizon;  /* the label's horizon in bars */
	const char *label;    /* "sign(10)", "triple_barrier(20,50,50)" */
	const char *sha256;   /* the file's, hex: the model's id */
	const char *const *features; /* nfeat canonical output names */
};

/*
 * Calls the host offers.  Every call takes the strategy handle the callback
 * received.  Return codes: 0 or a negative error; a refused order is not an
 * error of the call: it is reported through on_order with status REJECTED
 * and a reason.
 */
struct trd_host_api {
	uint32_t size;
	uint32_t abi_major, abi_minor;

	/* Current time of the engine's clock (virtual in a replay). */
	int64_t (*now)(struct trd_strategy *s);
	/* Submit an order; *id receives its id (also for orders the host
	 * rejects at once: that rejection reaches on_order after the
	 * calling callback returns).  Returns 0, or -EINVAL for a malformed
	 * request (bad size, unknown enum) and -EAGAIN from an on_order or
	 * on_fill that is the 8th link of a chain of callbacks of earlier
	 * submits (a strategy resubmitting on every rejection would
	 * otherwise never stop); neither creates an order. */
	int (*submit)(struct trd_strategy *s, const struct trd_order_req *req,
		      uint64_t *id);
	/* Request cancellation; the outcome arrives through on_order.
	 * Returns 0, or a negative error for an unknown or closed order. */
	int (*cancel)(struct trd_strategy *s, uint64_t id);
	/* Signed position in quantity scale. */
	int64_t (*position)(struct trd_strategy *s, uint32_t sym);
	int (*account)(struct trd_strategy *s, struct trd_account_info *out);
	/* Copy up to max of this strategy's open orders; returns how many
	 * are open (may exceed max). */
	size_t (*open_orders)(struct trd_strategy *s, struct trd_order_info *out,
			      size_t max);
	/* Timers: fire on_timer(id) at due_ns and then every period_ns (0:
	 * once).  Re-arming an id moves it.  Up to 16 ids per strategy. */
	int (*timer_start)(struct trd_strategy *s, int id, int64_t due_ns,
			   int64_t period_ns);
	void (*timer_stop)(struct trd_strategy *s, int id);
	void (*log)(struct trd_strategy *s, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* Per-strategy state pointer, owned by the plugin (free it in fini). */
	void (*set_state)(struct trd_strategy *s, void *state);
	void *(*state)(struct trd_strategy *s);
	/* The strategy's instruments, in config order; NULL past the end.
	 * Valid until fini. */
	const struct trd_instrument_info *(*instrument)(struct trd_strategy *s,
							size_t i);
	/* The strategy's configured name.  Valid until fini. */
	const char *(*name)(struct trd_strategy *s);
	/* Largest quantity (a lot multiple) of sym whose cost at price plus
	 * the venue fee fits in money (cash scale), rounded exactly as the
	 * venue rounds; 0 for an unknown symbol or non-positive inputs.  The
	 * price is first moved by the venue's slippage, as a market buy is
	 * checked and filled (so a limit buy sized with it is conservative).
	 * It sizes a short sale the same way. */
	int64_t (*max_buy_qty)(struct trd_strategy *s, uint32_t sym,
			       int64_t price, int64_t money);

	/* ---- 1.1 ---- */
	/* A feature of sym by name ("rsi(14)", "bb(20,2).upper"; the README
	 * lists them): a pointer to its value, resolved once, so nothing is
	 * looked up per bar.  The value is updated before each on_bar of sym
	 * and is NaN until the indicator has warmed up (or when undefined at
	 * that bar).  Features named in the strategy's config, and any asked
	 * for by several strategies, are computed once per symbol.  The
	 * pointer stays valid until fini.  NULL for an unknown symbol or a
	 * bad name, with the reason in err. */
	const double *(*feature)(struct trd_strategy *s, uint32_t sym,
				 const char *name, char *err, size_t errlen);
	/* The k-th most recent bar of sym (0: the latest delivered), from the
	 * ring of config features.history bars.  0, or -ENOENT. */
	int (*bar_at)(struct trd_strategy *s, uint32_t sym, size_t k,
		      struct trd_bar *out);

	/* ---- 1.2 ---- */
	/* Change an open order's quantity (>= what has filled, a lot
	 * multiple) and price (limit, or stop trigger; 0 keeps it).  The
	 * amend passes the same risk checks as a new order; it takes effect
	 * after the venue's cancel latency and is reported through on_order
	 * (same state, reason "amended").  0; -ENOENT (not an open order of
	 * the strategy); -EINVAL (bad values); -EPERM (refused by the risk
	 * checks: the order is unchanged and the reason logged). */
	int (*amend)(struct trd_strategy *s, uint64_t id, int64_t qty,
		     int64_t price);
	/* Two orders linked one-cancels-other: the first fill of either, or
	 * its cancellation, expiry or rejection, cancels the other.  ids
	 * receives both ids.  Returns as submit. */
	int (*submit_oco)(struct trd_strategy *s, const struct trd_order_req *a,
			  const struct trd_order_req *b, uint64_t ids[2]);
	/* A bracket (see struct trd_bracket_req); ids receives entry,
	 * take-profit and stop-loss ids.  The exits wait in state NEW until
	 * the entry fills, grow with each entry fill, and are canceled if the
	 * entry ends without a fill.  Returns as submit. */
	int (*submit_bracket)(struct trd_strategy *s,
			      const struct trd_bracket_req *b, uint64_t ids[3]);
	/* A quantity by a sizing method (struct trd_sizing); 0 when it cannot
	 * be sized (unknown symbol, no price, NaN or out-of-range inputs). */
	int64_t (*size_qty)(struct trd_strategy *s, const struct trd_sizing *z);
	/* Trip the kill switch (for every strategy): open orders canceled,
	 * entries refused, the configured on_trip action.  Only the operator
	 * resumes (traderctl).  reason is copied into the report. */
	void (*halt)(struct trd_strategy *s, const char *reason);
	int (*halted)(struct trd_strategy *s);

	/* ---- 2.2 ---- */
	/* Load a model file (traderctl train) for sym, one of the
	 * strategy's symbols: its features are resolved once on sym's
	 * feature set (created there if new, warming up from now).  A
	 * handle >= 0, valid until fini; -1 with the reason in err (the
	 * file unreadable, corrupt or truncated; a feature the engine does
	 * not know; a model of another timeframe than the session's). */
	int (*model_load)(struct trd_strategy *s, uint32_t sym,
			  const char *path, char *err, size_t errlen);
	/* P(1) of the model from sym's current feature values (the score,
	 * for a model without probabilities); NaN while a feature is not
	 * warmed up or for a bad handle.  Allocates nothing. */
	double (*model_predict)(struct trd_strategy *s, int handle);
	/* What a model is: 0, or -ENOENT for a bad handle. */
	int (*model_info)(struct trd_strategy *s, int handle,
			  struct trd_model_info *out);
	/* Record a named figure of this strategy (a shadow model's
	 * hypothetical PnL, a hit rate): the last value of each name goes
	 * into report.json ("recorded", per strategy) and /metrics
	 * (traderd_strategy_value{strategy,name}).  Names are 1..47 of
	 * [a-z0-9_]; at most 32 per strategy.  0, -EINVAL or -ENOSPC. */
	int (*record)(struct trd_strategy *s, const char *name, double value);
	/* Free a model (its handle may be given out again). */
	void (*model_unload)(struct trd_strategy *s, int handle);
	/* Drift: the population stability index of the model's feature i
	 * (-1: of its score) over its last 1440 predictions against the
	 * training rows' deciles (model_predict feeds the window; call it
	 * once per bar).  NaN until the window is full. */
	double (*model_psi)(struct trd_strategy *s, int handle, int i);
};


/*
 * What a plugin exports.  Callbacks may be NULL.  init and on_reload write a
 * reason into err (errlen bytes) and return non-zero to refuse: a refused
 * init stops start-up with that reason; a refused reload keeps the old
 * parameters.
 */
struct trd_plugin {
	uint32_t    size;
	uint32_t    abi_major, abi_minor;
	const char *name;    /* the plugin's own name */
	const char *version;

	int  (*init)(struct trd_strategy *s, const struct trd_params *params,
		     char *err, size_t errlen);
	void (*on_bar)(struct trd_strategy *s, const struct trd_bar *bar);
	void (*on_quote)(struct trd_strategy *s, const struct trd_quote *q);
	void (*on_trade)(struct trd_strategy *s, const struct trd_trade *t);
	/* Every state change of this strategy's orders. */
	void (*on_order)(struct trd_strategy *s, const struct trd_order_info *o);
	void (*on_fill)(struct trd_strategy *s, const struct trd_fill *f);
	void (*on_timer)(struct trd_strategy *s, int id);
	int  (*on_reload)(struct trd_strategy *s, const struct trd_params *params,
			  char *err, size_t errlen);
	void (*fini)(struct trd_strategy *s);
	/*
	 * ABI 2.1, hot swap.  When the plugin's .so is rebuilt and the
	 * daemon reloads, the new code is loaded beside the running one.
	 * The running one's save_state serialises its state into buf (cap
	 * bytes; buf NULL, cap 0: just say how many) and returns its size;
	 * the new one's restore_state (called instead of init, with the new
	 * generation's params) rebuilds its state from it, or refuses with
	 * a reason and the running plugin stays.  Then the old one's fini
	 * frees its own state (its host calls that would act are ignored
	 * then) and it is unloaded.  Timers and orders carry over.  A plugin
	 * without both is never swapped (a restart changes it).
	 */
	size_t (*save_state)(struct trd_strategy *s, void *buf, size_t cap);
	int  (*restore_state)(struct trd_strategy *s,
			      const struct trd_params *params, const void *buf,
			      size_t len, char *err, size_t errlen);
};

typedef const struct trd_plugin *(*trd_plugin_entry_fn)(
	const struct trd_host_api *host);

/* Helper for plugins: the value of key in params, or NULL. */
static inline const char *
trd_param_get(const struct trd_params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++) {
		const char *a = p->items[i].key, *b = key;
		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (*a == *b)
			return p->items[i].value;
	}
	return NULL;
}

/* The reject code of an order update (enum trd_reject), or TRD_REJ_NONE
 * when the host's struct predates it (ABI 1.1) or it was not rejected. */
static inline uint32_t
trd_order_reject_code(const struct trd_order_info *o)
{
	return o->size >= offsetof(struct trd_order_info, reject_code) +
				  sizeof(o->reject_code)
		       ? o->reject_code
		       : TRD_REJ_NONE;
}

/* Parse an integer param in lo..hi (digits only, no sign or spaces);
 * -1 if it is not one (lo >= 0). */
static inline long
trd_param_int(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= lo && v <= hi ? v : -1;
}

/* Parse a non-negative decimal param into a value scaled by 10^dp,
 * exactly (digits past dp must be zeros).  0, or -1. */
static inline int
trd_param_dec(const char *s, int dp, int64_t *out)
{
	__int128 v = 0;
	int frac = -1;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (frac >= 0 && ++frac > dp) {
			if (*s != '0')
				return -1; /* finer than the scale */
			continue;
		}
		v = v * 10 + (*s - '0');
		if (v > INT64_MAX)
			return -1;
	}
	for (int i = frac < 0 ? 0 : frac; i < dp; i++)
		v *= 10;
	if (v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

#endif
