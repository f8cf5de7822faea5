/*
 * host: the strategy host.  Loads strategy plugins (dlopen RTLD_NOW |
 * RTLD_LOCAL from plugin_dir), checks their ABI, gives them the host call
 * table (include/traderd/plugin.h) and runs their callbacks.
 *
 * A plugin that cannot be loaded (missing file, not a shared object, no
 * entry point, wrong ABI major, a descriptor too small) or whose init
 * refuses its params stops start-up with a message naming the strategy,
 * the file and the reason.  Callbacks run on the loop thread; a plugin's
 * host calls are checked like any outside input (bad enums, sizes, ids and
 * symbols are refused) and then handed to the session's narrow API
 * (session.h), which routes orders through risk to the order manager.
 * The host never reaches into the session's members.
 */
#ifndef TRD_HOST_H
#define TRD_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "model.h"
#include "traderd/plugin.h"

struct trd_session;

#define TRD_STRATEGY_TIMERS 16
/* Deepest chain of callbacks of submits made from callbacks (a strategy
 * that resubmits from on_order on every rejection would never stop). */
#define TRD_MAX_SUBMIT_DEPTH 8

struct trd_strategy_timer {
	struct trd_timer      t;
	struct trd_strategy  *s;
	int                   id;
	int                   used;
};

/* Which file a plugin was loaded from (a rebuilt .so is another). */
struct trd_plugin_file {
	uint64_t dev, ino;
	int64_t  size, mtime_ns;
};

/* A model a strategy loaded (host->model_load). */
struct trd_strategy_model {
	struct trd_model m;
	const double   **v;      /* the features' values, model order */
	const char     **fnames; /* into m.names */
	uint32_t         sym;
	uint32_t         horizon;
	char             sha256[65];
	/* Drift: the decile bin of each feature and of the score (last) for
	 * the last TRD_DRIFT_WINDOW predictions, and their counts. */
	uint8_t         *ring;      /* window x (nfeat + 1) */
	uint32_t       (*cnt)[TRD_MODEL_QN + 1];
	uint32_t         filled, next;
};

/* Predictions in the live window PSI compares with the training rows. */
#define TRD_DRIFT_WINDOW 1440

/* One prediction (score, and the values *sm->v) into the drift window:
 * what host->model_predict does after scoring. */
void trd_host_drift_add(struct trd_strategy_model *sm, double score);
/* PSI of a model's feature i (i == nfeat: its score) over the window;
 * NaN until the window is full. */
double trd_host_model_psi(const struct trd_strategy_model *sm, uint32_t i);

#define TRD_STRATEGY_MODELS   8
#define TRD_STRATEGY_RECORDED 32

struct trd_recorded {
	char   name[48];
	double v;
};

struct trd_strategy {
	struct trd_session               *session;
	size_t                            idx;
	char                              name[64];
	char                              path[4096];
	void                             *dl;
	const struct trd_plugin          *p;
	void                             *state;
	struct trd_instrument_info       *instr;   /* the strategy's symbols */
	size_t                            ninstr;
	struct trd_param                 *params;  /* owned copies */
	size_t                            nparams;
	struct trd_strategy_timer         timers[TRD_STRATEGY_TIMERS];
	int                               depth;   /* link of the callback
						    * chain being delivered */
	uint32_t                          norders; /* client ids: seq */
	/* Closed trades, net of fees, for Kelly sizing. */
	uint64_t                          nwins, nlosses;
	double                            sum_win, sum_loss;
	int                               initialised;
	int                               paused;  /* by the operator */
	/* Hot swap: the file loaded, the in-memory copy a swapped-in plugin
	 * was loaded from (-1: none), and, while the old code's fini runs
	 * after a hand-over, retiring (its host calls that would act are
	 * ignored). */
	struct trd_plugin_file            file;
	int                               memfd;
	int                               retiring;
	/* ABI 2.2: models loaded, figures recorded. */
	struct trd_strategy_model         models[TRD_STRATEGY_MODELS];
	size_t                            nmodels;
	struct trd_recorded               rec[TRD_STRATEGY_RECORDED];
	size_t                            nrec;
};

extern const struct trd_host_api trd_host_calls;

/*
 * Load s->path and check it.  Returns 0, or -1 with the reason logged
 * (naming the strategy and file).  On failure nothing stays loaded.
 */
int trd_host_load(struct trd_strategy *s);
/* Whether s->path is no longer the file that was loaded. */
int trd_host_changed(const struct trd_strategy *s);
/*
 * Hot swap: load the changed s->path beside the running plugin, have the
 * running one save its state (save_state) and the new one restore it
 * with params (restore_state); then the old one's fini and dlclose.  The
 * caller rebinds the session's callbacks after success.  On any failure
 * (no such calls, a load error, a refusal) the running plugin stays as
 * it was: -1, logged.
 */
int trd_host_swap(struct trd_strategy *s, const struct trd_param *params,
		  size_t nparams);
/* Call init with s->params; -1 (logged) if it refuses. */
int trd_host_init(struct trd_strategy *s);
/* fini (if initialised), timers stopped, dlclose, params freed. */
void trd_host_unload(struct trd_strategy *s);
/* Whether sym is one of the strategy's instruments. */
static inline int
trd_host_trades(const struct trd_strategy *s, uint32_t sym)
{
	for (size_t i = 0; i < s->ninstr; i++)
		if (s->instr[i].sym == sym)
			return 1;
	return 0;
}

/* Copies of the config's params for a plugin (*out malloc'd, free with
 * trd_params_free); returns 0 or -ENOMEM. */
struct trd_param_kv;
int trd_params_dup(const struct trd_param_kv *kv, size_t n,
		   struct trd_param **out);
void trd_params_free(struct trd_param *p, size_t n);

#endif
