/*
 * session: one trading session.  It owns the instrument registry, the
 * portfolio, the order manager, the venue, the risk checks, the feature
 * sets and the strategies, and wires the engine's events through them in
 * the data flow's order:
 *
 *   source -> clock -> (venue matching) -> features -> strategy -> risk
 *          -> OMS -> venue -> (fills) -> portfolio
 *
 * For each bar event, in this order: the venue matches that instrument's
 * open orders against the bar (fills at its open, as placed during earlier
 * bars); the portfolio marks the instrument at the bar's close; the
 * features update; then each strategy trading the instrument gets on_bar,
 * in config order.  Quotes and trades go to the venue, the features (mid,
 * spread, imbalances, ofi) and the strategies' on_quote / on_trade; a
 * trade also marks its instrument.  Equity is sampled once per distinct
 * bar time, after every event at that time, and the sample is what the
 * post-trade risk checks (drawdown, daily loss) see: a trip cancels the
 * open orders before the next bar is matched.  Orders older than
 * risk.max_order_age_s are canceled before their instrument's next bar is
 * matched.
 *
 * Strategies' on_order and on_fill are queued as the order manager
 * reports and delivered after the step that caused them (the venue's
 * matching of a bar, a strategy callback, a timer), never from inside a
 * host call.
 *
 * Housekeeping.  A tick on the session's clock, at multiples of
 * housekeeping_ms, runs the work that falls due with time alone: the
 * venue's (arrivals, cancels, GTD expiries), order-age cancels, and in a
 * live session the kill switch on the current marks and the per-symbol
 * stale flags.  A tick with nothing to do is skipped, so a replay arms it
 * only while such work is pending and stays deterministic; a live session
 * ticks every period, so a silent feed still expires orders and trips the
 * kill switch.
 *
 * The strategy host calls the narrow API of session_api.h; it never
 * touches the session's members (and this header is not for it).
 */
#ifndef TRD_SESSION_H
#define TRD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "hist.h"
#include "instrument.h"
#include "oms.h"
#include "portfolio.h"
#include "report.h"
#include "risk.h"
#include "session_api.h"
#include "source.h"
#include "store.h"
#include "venue.h"

struct trd_strategy;
struct trd_fset;
struct trd_cb_entry;

/* A plugin callback resolved once at load, so the per-event loop chases
 * no pointers. */
struct trd_sub {
	void (*fn)(struct trd_strategy *, const void *);
	struct trd_strategy *s;
};

struct trd_session_instr {
	struct trd_fset *fs;      /* its features and recent data */
	struct trd_sub  *bar_subs, *quote_subs, *trade_subs;
	size_t           nbar_subs, nquote_subs, ntrade_subs;
};

/* Queued on_order / on_fill deliveries (a ring). */
struct trd_cbq {
	struct trd_cb_entry *v;
	size_t               head, n, cap;
	int                  flushing;
};

enum {
	TRD_SESSION_CHECK = 1 << 0, /* traderd -n: no report, no trading */
	TRD_SESSION_LIVE = 1 << 1,  /* housekeeping every period */
};

#define TRD_HOUSEKEEPING_DEFAULT_MS 1000

struct trd_session {
	struct trd_engine        *engine;
	const struct trd_config  *conf;
	int64_t                   wall0_ns; /* monotonic, at init: the
					     * report's wall time */
	int64_t                   day_end;  /* of the last event's UTC day */
	int                       flags;
	struct trd_registry       reg;
	struct trd_session_instr *ins;
	size_t                    ninstr;
	struct trd_portfolio      pf;
	struct trd_oms            oms;
	struct trd_venue         *venue;
	struct trd_risk           risk;
	struct trd_strategy      *strats;
	size_t                    nstrat;
	struct trd_report        *report;
	char                     *report_dir;
	const char              **report_names; /* kept for the report */
	uint32_t                  tf_s;
	int64_t                   sample_ts;
	uint64_t                  bars, bars_sampled;
	int                       have_sample;
	struct trd_cbq            q;
	/* Housekeeping. */
	struct trd_timer          hk;
	int64_t                   hk_period_ns;
	int64_t                   grace_ns;   /* one bar: see the tick */
	int64_t                   marked_eq;  /* equity the risk last saw */
	int                       marked;
	/* Bars opening before this only warm the features up (traderd
	 * --warmup): no strategy, order, portfolio or report sees them. */
	int64_t                   warm_until_ns;
	uint64_t                  warm_bars;
	/* Events by type (TRD_EV_*), for the metrics. */
	uint64_t                  nev[8];
	/* Live: when the feed message being handled arrived (monotonic; 0
	 * outside one), and the latency from there to the strategies. */
	int64_t                 (*recv_mono)(const void *arg);
	const void               *recv_arg;
	struct trd_hist           frame_lat;
	/* The operator's surface (admin) hears of halts and resumes. */
	void                    (*notify)(void *arg, const char *what,
					  const char *text);
	void                     *notify_arg;
};

/*
 * Build the session for conf: the registry (instruments exist without
 * stored bars; store, when not NULL, maps them to its series), portfolio,
 * order manager, venue (conf->venue.kind), risk, strategies (plugins
 * loaded and initialised), report (report_dir, or conf->report_dir when
 * NULL; none with TRD_SESSION_CHECK).  Subscribes to the engine.
 * run_prefix makes client ids unique across runs ("bt" in a replay).
 * Returns 0, or -1 with every reason logged (and everything released).
 */
int trd_session_init(struct trd_session *t, struct trd_engine *e,
		     const struct trd_config *conf, struct trd_store *store,
		     const char *report_dir, const char *run_prefix, int flags);
/* End of the run: last equity sample, the venue's pending work applied,
 * plugins' fini, report written.  Returns 0 or -1 if the report could not
 * be written. */
int trd_session_finish(struct trd_session *t);
/* Free everything (after finish, or instead of it on error paths). */
void trd_session_free(struct trd_session *t);
/*
 * Apply a new generation's risk limits and strategy params, and hot-swap
 * the plugins whose file changed (host.h).  A strategy that refuses its
 * params keeps the old ones; one whose new plugin cannot take over keeps
 * the running one.  Returns how many strategies kept something, with the
 * reasons in why (whylen bytes); all of it is logged.
 */
int trd_session_reload(struct trd_session *t, const struct trd_config *conf,
		       char *why, size_t whylen);

/*
 * The operator's orders (admin.c).  cancel_all cancels the open orders on
 * instrument ins (-1: all) and returns how many it asked to cancel;
 * cancel_id one order by id (0 or -ENOENT: not open); flatten closes the
 * positions on ins (-1: all) with reduce-only market orders in each
 * holding strategy's name and returns the orders sent.  A paused strategy
 * gets no bars, quotes, trades or timers (its order updates and fills
 * still reach it); its orders stay.
 */
size_t trd_session_cancel_all(struct trd_session *t, int64_t ins,
			      const char *why);
int trd_session_cancel_id(struct trd_session *t, uint64_t id,
			  const char *why);
size_t trd_session_flatten(struct trd_session *t, int64_t ins);
void trd_session_pause(struct trd_session *t, size_t k, int paused);

/* Turn the kill switch off (trd_session_halt, session_api.h, turns it on);
 * the caps then measure from the equity at that moment. */
void trd_session_resume(struct trd_session *t);

#endif
