/*
 * config: the YAML configuration, declared once and parsed into a
 * generation object.
 *
 * Every key is declared in one schema table in config_schema.c (key, type,
 * bounds,
 * default, whether it may change on reload, where it lands in struct
 * trd_config).  Loading parses the whole file into a new struct trd_config,
 * validates all of it, and reports every error as
 *   FILE:LINE:COL: KEY.PATH: message
 * so an operator fixes the file in one pass.  A generation is immutable once
 * loaded: a reload (SIGHUP) loads a new one and swaps it in only if it is
 * valid and differs from the running one only in keys that may change at
 * runtime (trd_config_reloadable()).  Otherwise the old one keeps running.
 */
#ifndef TRD_CONFIG_H
#define TRD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "traderd/types.h"

enum trd_mode {
	TRD_MODE_REPLAY,
	TRD_MODE_PAPER,
	TRD_MODE_LIVE,
};

struct trd_instrument_conf {
	char     symbol[TRD_SYMBOL_MAX + 1];
	char     venue_symbol[TRD_SYMBOL_MAX + 1]; /* the venue's name for
						   * it; "" = symbol */
	uint8_t  price_dp;  /* decimals stored for prices (default 8) */
	uint8_t  qty_dp;    /* decimals stored for quantities (default 8) */
	int64_t  tick_size; /* scaled by 10^price_dp; > 0 */
	int64_t  lot_size;  /* scaled by 10^qty_dp; > 0 */
	int      shortable; /* the venue lets positions go below zero */
	int64_t  min_notional;  /* cash scale; orders worth less are refused */
	int64_t  max_order_qty; /* quantity scale; 0: no limit */
};

enum trd_calendar {
	TRD_CAL_CONTINUOUS, /* 24/7 */
	TRD_CAL_WEEKDAYS,   /* Saturdays and Sundays (UTC) are not market time */
};

enum trd_on_trip {
	TRD_TRIP_CANCEL,  /* cancel every open order */
	TRD_TRIP_FLATTEN, /* and close every position at the market */
};

/* Pre- and post-trade risk limits (risk.h).  0 means "no limit" for each
 * one; percentages are scaled by 10^TRD_BPS_DP like bps. */
struct trd_risk_conf {
	int64_t  max_order_notional;    /* cash scale */
	int64_t  max_position_notional; /* per symbol, account-wide */
	int64_t  max_gross_exposure;    /* sum of |position| values */
	uint32_t max_open_orders;       /* account-wide */
	uint32_t max_open_trades;       /* positions open at once */
	int64_t  orders_per_second;     /* per strategy, scaled 10^3 */
	int64_t  orders_per_second_global; /* scaled 10^3 */
	uint32_t order_burst;           /* bucket depth; 0: max(1, rate) */
	int64_t  price_collar_pct;      /* limit within this of the last */
	int64_t  max_drawdown_pct;      /* from the equity peak: trips */
	int64_t  daily_loss_pct;        /* from the UTC day's first equity */
	enum trd_on_trip on_trip;
	uint32_t stale_data_s;          /* refuse orders on older data */
	uint32_t max_order_age_s;       /* cancel orders open this long */
};

/* Basis-point settings (fees, slippage) are stored scaled by 10^4. */
#define TRD_BPS_DP 4

enum trd_venue_kind {
	TRD_VENUE_SIM,
};

/* One strategy parameter as written in the config: params are free-form
 * (the plugin validates them), so values are kept as their scalar text. */
struct trd_param_kv {
	char *key;
	char *value;
	int   line; /* in the config file, for messages */
};

struct trd_strategy_conf {
	char                 name[64];   /* unique among strategies */
	char                 plugin[64]; /* loads <plugin_dir>/<plugin>.so */
	char               **symbols;    /* each one of instruments[] */
	size_t               nsymbols;
	char               **features;   /* computed on each of its symbols */
	size_t               nfeatures;
	struct trd_param_kv *params;
	size_t               nparams;
	int                  line;       /* of the list element */
};

/* Where a paper (or live) session's market data comes from. */
enum trd_feed_kind {
	TRD_FEED_NONE,
	TRD_FEED_BINANCE_SPOT,
	TRD_FEED_BINANCE_USDM,
	TRD_FEED_ALPACA_STOCKS,
	TRD_FEED_ALPACA_CRYPTO,
};

/* feed.streams, as a set. */
enum {
	TRD_STREAM_KLINE      = 1 << 0, /* kline_<feed.kline_tf_s> */
	TRD_STREAM_AGGTRADE   = 1 << 1,
	TRD_STREAM_TRADE      = 1 << 2,
	TRD_STREAM_BOOKTICKER = 1 << 3,
	TRD_STREAM_DEPTH      = 1 << 4,
};

struct trd_feed_conf {
	int       kind;         /* enum trd_feed_kind */
	char     *ws_url;       /* default: the venue's */
	char     *rest_url;
	char     *ca_file;      /* NULL: the system CAs */
	char    **stream_names; /* as written */
	size_t    nstream_names;
	uint32_t  streams;      /* TRD_STREAM_* */
	uint32_t  kline_tf_s;   /* the kline stream's interval */
	uint32_t  bar_tf_s;     /* bars: closed klines of this timeframe
				 * when streams has them, else built from
				 * trades */
	int       record;       /* every frame to the tape */
	uint32_t  retention_h;  /* tape records kept; 0: forever */
	uint32_t  ping_s;       /* ping after this long without a pong */
	uint32_t  silence_s;    /* reconnect after this long without data */
	uint32_t  rotate_s;     /* replace a connection at this age */
	uint32_t  stale_s;      /* a symbol without data this long is stale */
	uint32_t  depth_limit;  /* levels asked of a REST snapshot */
};

/* Access levels of the admin socket (admin.c), lowest first. */
enum trd_admin_level {
	TRD_LEVEL_USER = 1,     /* show, help, subscribe */
	TRD_LEVEL_OPERATOR = 2, /* pause/resume a strategy, speed, reload */
	TRD_LEVEL_ADMIN = 3,    /* halt, resume trading, cancel, flatten */
};

/* admin.access: a user or a group and the level it gets.  The names are
 * resolved when the config loads; a peer gets the highest level of the
 * entries that match its uid or any of its groups. */
struct trd_admin_access {
	char    *user;  /* a name or a numeric uid; NULL with group */
	char    *group; /* a name or a numeric gid; NULL with user */
	int      level; /* enum trd_admin_level */
	uint32_t uid, gid; /* resolved; (uint32_t)-1 when not given */
};

/* Sentinels for an unset replay.from / replay.to. */
#define TRD_TIME_MIN INT64_MIN
#define TRD_TIME_MAX INT64_MAX

struct trd_config {
	char              *path;       /* the file this came from */
	uint64_t           generation; /* set by the caller that installs it */

	enum trd_mode      mode;
	char              *data_dir;
	char              *report_dir;
	struct {
		/* equity.csv: one row per interval of bar time (the last
		 * sample in it); 0 = every sample.  Metrics use every bar. */
		uint32_t equity_interval_s;
		/* Market time for durations and annualisation: every hour
		 * (crypto) or Monday to Friday (UTC). */
		int      calendar;    /* enum trd_calendar */
		/* A pause in the data longer than this is a gap: drawn as a
		 * break, not counted as market time; 0 = auto, 60 bars but
		 * at least 1h. */
		uint32_t gap_s;
	} report;
	enum trd_log_level log_level;

	struct trd_instrument_conf *instruments;
	size_t                      ninstruments;

	struct {
		int64_t  from_ns;     /* TRD_TIME_MIN when unset */
		int64_t  to_ns;       /* TRD_TIME_MAX when unset; exclusive */
		double   speed;       /* 0 means "max" (unpaced) */
		uint32_t timeframe_s; /* bar timeframe to replay */
		int      ticks;       /* stored trades (1) and quotes (2)
				       * merged with the bars */
	} replay;

	struct {
		uint64_t map_size_mb; /* initial LMDB map size */
		uint64_t map_max_mb;  /* growth ceiling */
	} store;

	char              *plugin_dir;  /* default "build/plugins" */

	/* The session's housekeeping tick: expiries, age cancels, the kill
	 * switch and stale flags on the clock (session.h). */
	uint32_t           housekeeping_ms;

	struct {
		int64_t cash;         /* scaled by 10^TRD_CASH_DP; > 0 */
	} account;

	struct {
		enum trd_venue_kind kind;
		int64_t  fee_bps;      /* scaled by 10^TRD_BPS_DP; 0..10000 bps */
		int64_t  slippage_bps; /* scaled by 10^TRD_BPS_DP; 0..10000 bps */
		uint64_t seed;         /* reserved: accepted, ignored */
		int64_t  participation; /* of a bar's volume, scaled 10^6;
					 * 0: no cap */
		uint32_t submit_latency_ms, cancel_latency_ms;
		int      intrabar;     /* enum trd_intrabar (venue.h) */
	} venue;

	struct trd_risk_conf risk;

	struct trd_feed_conf feed;

	struct {
		uint32_t history; /* recent bars kept per instrument */
	} features;

	struct trd_strategy_conf *strategies;
	size_t                    nstrategies;
	struct {
		char    *socket;     /* NULL: none; created 0660 */
		char    *socket_ro;  /* NULL: none; 0666, user level only */
		char    *socket_group; /* the socket's group; NULL: ours */
		uint32_t socket_gid;   /* resolved */
		struct trd_admin_access *access;
		size_t   naccess;
		int      default_level; /* a peer no entry names */
		uint32_t max_clients;   /* per socket */
		uint32_t idle_timeout_s; /* 0: none; a subscriber never idles */
		uint32_t max_output_kb; /* queued to one client before it is
					 * dropped as too slow */
	} admin;
	struct {
		char    *listen;     /* HOST:PORT, NULL: no endpoint */
	} metrics;
};

/*
 * Load and validate path.  On success returns 0 and *out (caller frees with
 * trd_config_free).  On failure logs every error (file:line:col: key:
 * message) at error level, returns TRD_ECONFIG (or -errno when the file
 * cannot be read) and leaves *out untouched.  If nerrors is not NULL it
 * receives the number of errors found.
 */
int trd_config_load(const char *path, struct trd_config **out,
		    int *nerrors);
void trd_config_free(struct trd_config *c);

/*
 * Set one strategy parameter from the command line: "NAME.KEY=VALUE" sets
 * (or replaces) KEY in the params of the strategy called NAME, as if the
 * file said so.  0, or -1 with the reason in err (no such strategy, a bad
 * key or value).
 */
int trd_config_set_param(struct trd_config *c, const char *spec, char *err,
			 size_t errlen);

/*
 * Whether next may replace cur at runtime: 1 if every key that differs is
 * declared reloadable; 0 otherwise, with the first offending key's name
 * written to key (size keylen).
 */
int trd_config_reloadable(const struct trd_config *cur,
			  const struct trd_config *next, char *key,
			  size_t keylen);

/* Find an instrument by symbol, or NULL. */
const struct trd_instrument_conf *
trd_config_instrument(const struct trd_config *c, const char *symbol);

/* "127.0.0.1:9464" or "[::1]:9464" into host (64 bytes, the address
 * without brackets) and port (0: any); 0 or -1. */
int trd_config_hostport(const char *s, char *host, uint16_t *port);
/* One key of the schema, for the man page (tools/gen_man.c). */
struct trd_config_key {
	const char *path;     /* "risk.max_order_notional", "strategies[].name" */
	const char *what;     /* what it accepts, in words */
	const char *def;      /* default as written, or NULL */
	int         reload;   /* may change on SIGHUP */
	int         required;
	int         section;  /* a map or list of maps: its keys follow */
};
/* Every key in schema order. */
void trd_config_keys(void (*fn)(void *arg, const struct trd_config_key *k),
		     void *arg);
/* The documentation of a key path, or NULL (config_doc.c). */
const char *trd_config_doc(const char *path);
/* The documented paths (up to max); returns how many there are. */
size_t trd_config_docs(const char **paths, size_t max);
/* "replay", "paper", "live". */
const char *trd_mode_name(enum trd_mode m);

#endif
