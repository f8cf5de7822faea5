/*
 * trading: one trading session, wiring the engine's events to the venue,
 * the portfolio, the strategies and the report.
 *
 * For each bar event, in this order: the venue matches that instrument's
 * open orders against the bar (fills at its open, as placed during earlier
 * bars); the portfolio marks the instrument at the bar's close; then each
 * strategy trading the instrument gets on_bar, in config order.  Equity is
 * sampled once per distinct event time, after every event at that time,
 * and the sample is what the post-trade risk checks (drawdown, daily loss)
 * see: a trip cancels the open orders before the next bar is matched.
 * Orders older than risk.max_order_age_s are canceled before their
 * instrument's next bar is matched.
 */
#ifndef TRD_TRADING_H
#define TRD_TRADING_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "oms.h"
#include "plugin.h"
#include "portfolio.h"
#include "report.h"
#include "risk.h"
#include "source.h"
#include "store.h"
#include "venue.h"

struct trd_session_instr {
	char     symbol[TRD_SYMBOL_MAX + 1];
	struct trd_fset *fs; /* its features and recent bars */
	uint32_t store_id;
	uint8_t  price_dp, qty_dp;
	int64_t  tick, lot;
	int      shortable;
	size_t  *strats;  /* strategies trading it, config order */
	size_t   nstrats;
	/* Their on_bar callbacks, resolved once at load (NULL ones left
	 * out): the per-bar loop chases no pointers. */
	struct trd_bar_sub {
		void (*fn)(struct trd_strategy *, const struct trd_bar *);
		struct trd_strategy *s;
	}       *bar_subs;
	size_t   nbar_subs;
};

struct trd_trading {
	struct trd_engine        *engine;
	struct trd_session_instr *ins;
	size_t                    ninstr;
	uint32_t                 *ins_by_id; /* store id -> index, or UINT32_MAX */
	uint32_t                 *ids;       /* store ids in config order */
	uint32_t                  max_id;
	struct trd_venue_instr   *vins;
	struct trd_portfolio      pf;
	struct trd_oms            oms;
	struct trd_venue          venue;
	struct trd_risk           risk;
	struct trd_strategy      *strats;
	size_t                    nstrat;
	struct trd_report        *report;
	char                     *report_dir;
	const char              **report_names; /* kept for the report */
	struct trd_report_instr  *report_instr;
	uint32_t                  tf_s;
	int64_t                   sample_ts;
	uint64_t                  bars, bars_sampled;
	int                       have_sample;
};

/*
 * Build the session for conf: instruments (looked up in store), portfolio,
 * venue, strategies (plugins loaded and initialised), report (report_dir,
 * or conf->report_dir when NULL).  Subscribes to the engine.  Returns 0, or
 * -1 with every reason logged (and everything released).
 */
int trd_trading_init(struct trd_trading *t, struct trd_engine *e,
		     const struct trd_config *conf, struct trd_store *store,
		     const char *report_dir);
/* End of the replay: last equity sample, report written, plugins' fini.
 * Returns 0 or -1 if the report could not be written. */
int trd_trading_finish(struct trd_trading *t);
/* Free everything (after finish, or instead of it on error paths). */
void trd_trading_free(struct trd_trading *t);
/* Apply a new generation's strategy params (on_reload).  Logs and keeps
 * the old params of any strategy that refuses. */
void trd_trading_reload(struct trd_trading *t, const struct trd_config *conf);

/*
 * The kill switch (risk.h): record the trip (reason copied), cancel every
 * open order, and with on_trip flatten close every position with market
 * orders.  A no-op if already halted.  trd_trading_resume turns it off.
 */
void trd_trading_halt(struct trd_trading *t, const char *reason);
void trd_trading_resume(struct trd_trading *t);

/* Store ids of the session's instruments, in config order (for the replay
 * source).  Valid until trd_trading_free. */
const uint32_t *trd_trading_ids(struct trd_trading *t);

#endif
