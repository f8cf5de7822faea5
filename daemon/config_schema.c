/*
 * config_schema: every configuration key, declared once, and the checks
 * that span several keys.
 *
 * A row gives a key's type, bounds, default (spelled as in the file),
 * whether a reload may change it, and where it lands in struct trd_config.
 * Nothing else knows the keys: the walk (config_yaml.c), free_fields() and
 * differs() (config.c) only interpret these rows, so adding a key is adding
 * a row (a new type of value: config_int.h).
 *
 * Invariants: fields are applied in table order, so a key that others
 * depend on comes first (price_dp before tick_size, instruments before
 * strategies).  A map's check runs only when the map parsed without error
 * and may trust every member; a list's check runs whatever its elements'
 * errors, so it skips the elements that failed (an empty symbol or name).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "timefmt.h"
#include "binance.h"
#include "venue.h"

#define XSTR(x) STR_(x)
#define STR_(x) #x

#define AT(type, member)                                                 \
	.off = offsetof(type, member), .size = sizeof(((type *)0)->member)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void check_instruments(struct ctx *, yaml_node_t *, void *, size_t,
			      const char *);
static void check_strategies(struct ctx *, yaml_node_t *, void *, size_t,
			     const char *);
static void check_replay(struct ctx *, yaml_node_t *, const yaml_mark_t *,
			 void *);
static void check_store(struct ctx *, yaml_node_t *, const yaml_mark_t *,
			void *);
static void check_feed(struct ctx *, yaml_node_t *, const yaml_mark_t *,
		       void *);
static void check_access(struct ctx *, yaml_node_t *, void *, size_t,
			 const char *);
static void check_admin(struct ctx *, yaml_node_t *, const yaml_mark_t *,
			void *);
static void check_metrics(struct ctx *, yaml_node_t *, const yaml_mark_t *,
			  void *);

const struct enumval trd__config_mode_names[] = {
	{ "replay", TRD_MODE_REPLAY },
	{ "paper", TRD_MODE_PAPER },
	{ "live", TRD_MODE_LIVE },
	{ NULL, 0 },
};

static const struct enumval level_names[] = {
	{ "error", TRD_LOG_ERROR },
	{ "warn", TRD_LOG_WARN },
	{ "info", TRD_LOG_INFO },
	{ "debug", TRD_LOG_DEBUG },
	{ NULL, 0 },
};

/* The dp keys come before the decimals that are scaled by them: fields are
 * applied in table order. */
static const struct enumval bool_names[] = {
	{ "false", 0 },
	{ "true", 1 },
	{ NULL, 0 },
};

static const struct field instrument_fields[] = {
	{ .key = "symbol", .type = T_SYMBOL, .flags = F_REQUIRED,
	  AT(struct trd_instrument_conf, symbol) },
	/* A venue's spelling: Alpaca's crypto pairs carry a '/'. */
	{ .key = "venue_symbol", .type = T_NAME, .chars = "._-/:",
	  AT(struct trd_instrument_conf, venue_symbol) },
	{ .key = "price_dp", .type = T_UINT, .def = XSTR(TRD_DEFAULT_DP),
	  .min = 0, .max = TRD_MAX_DP,
	  AT(struct trd_instrument_conf, price_dp) },
	{ .key = "qty_dp", .type = T_UINT, .def = XSTR(TRD_DEFAULT_DP),
	  .min = 0, .max = TRD_MAX_DP,
	  AT(struct trd_instrument_conf, qty_dp) },
	{ .key = "tick_size", .type = T_DECIMAL, .flags = F_POSITIVE,
	  AT(struct trd_instrument_conf, tick_size),
	  .dp_off = offsetof(struct trd_instrument_conf, price_dp),
	  .dp_key = "price_dp" },
	{ .key = "lot_size", .type = T_DECIMAL, .flags = F_POSITIVE,
	  AT(struct trd_instrument_conf, lot_size),
	  .dp_off = offsetof(struct trd_instrument_conf, qty_dp),
	  .dp_key = "qty_dp" },
	{ .key = "shortable", .type = T_ENUM, .def = "false",
	  .names = bool_names, AT(struct trd_instrument_conf, shortable) },
	{ .key = "min_notional", .type = T_DECIMAL, .flags = F_RANGE,
	  .def = "0", .min = 0, .max = 1000000000000ULL, .dp = TRD_CASH_DP,
	  AT(struct trd_instrument_conf, min_notional) },
	{ .key = "max_order_qty", .type = T_DECIMAL, .flags = F_RANGE,
	  .def = "0", .min = 0, .max = 1000000000000ULL,
	  AT(struct trd_instrument_conf, max_order_qty),
	  .dp_off = offsetof(struct trd_instrument_conf, qty_dp),
	  .dp_key = "qty_dp" },
};

static const struct schema instrument_schema = {
	instrument_fields, NELEM(instrument_fields),
	sizeof(struct trd_instrument_conf), NULL, check_instruments,
};

/* Tick series a replay merges with the bars (a bitmask of TRD_TICK_*:
 * trades 1, quotes 2). */
static const struct enumval ticks_names[] = {
	{ "none", 0 },
	{ "trades", 1 },
	{ "quotes", 2 },
	{ "all", 3 },
	{ NULL, 0 },
};

static const struct field replay_fields[] = {
	{ .key = "from", .type = T_TIME, .absent = TRD_TIME_MIN,
	  AT(struct trd_config, replay.from_ns) },
	{ .key = "to", .type = T_TIME, .absent = TRD_TIME_MAX,
	  AT(struct trd_config, replay.to_ns) },
	{ .key = "speed", .type = T_SPEED, .flags = F_RELOAD, .def = "max",
	  .dmin = 0, .dmax = 1e6, AT(struct trd_config, replay.speed) },
	{ .key = "timeframe", .type = T_TIMEFRAME, .def = "1m",
	  AT(struct trd_config, replay.timeframe_s) },
	{ .key = "ticks", .type = T_ENUM, .def = "none", .names = ticks_names,
	  AT(struct trd_config, replay.ticks) },
};

static const struct schema replay_schema = {
	replay_fields, NELEM(replay_fields), 0, check_replay, NULL,
};

static const struct field store_fields[] = {
	{ .key = "map_size_mb", .type = T_UINT, .def = "256",
	  .min = 1, .max = 1048576, AT(struct trd_config, store.map_size_mb) },
	{ .key = "map_max_mb", .type = T_UINT, .def = "65536",
	  .min = 1, .max = 16777216, AT(struct trd_config, store.map_max_mb) },
};

static const struct schema store_schema = {
	store_fields, NELEM(store_fields), 0, check_store, NULL,
};

static const struct field features_fields[] = {
	{ .key = "history", .type = T_UINT, .def = "512", .min = 1,
	  .max = 1000000, AT(struct trd_config, features.history) },
};

static const struct schema features_schema = {
	features_fields, NELEM(features_fields), 0, NULL, NULL,
};

static const struct enumval calendar_names[] = {
	{ "24/7", TRD_CAL_CONTINUOUS },
	{ "weekdays", TRD_CAL_WEEKDAYS },
	{ NULL, 0 },
};

static const struct field report_fields[] = {
	{ .key = "equity_interval", .type = T_TIMEFRAME,
	  .flags = F_BAR, .def = "1h",
	  AT(struct trd_config, report.equity_interval_s) },
	{ .key = "calendar", .type = T_ENUM, .def = "24/7",
	  .names = calendar_names, AT(struct trd_config, report.calendar) },
	{ .key = "gap", .type = T_TIMEFRAME, .flags = F_AUTO, .def = "auto",
	  AT(struct trd_config, report.gap_s) },
};

static const struct schema report_schema = {
	report_fields, NELEM(report_fields), 0, NULL, NULL,
};

static const struct enumval venue_names[] = {
	{ "sim", TRD_VENUE_SIM },
	{ NULL, 0 },
};

static const struct enumval intrabar_names[] = {
	{ "pessimistic", TRD_INTRABAR_PESSIMISTIC },
	{ "optimistic", TRD_INTRABAR_OPTIMISTIC },
	{ "ohlc", TRD_INTRABAR_OHLC },
	{ NULL, 0 },
};

static const struct enumval trip_names[] = {
	{ "cancel", TRD_TRIP_CANCEL },
	{ "flatten", TRD_TRIP_FLATTEN },
	{ NULL, 0 },
};

/* Every limit may be changed on reload: an operator tightens them on a
 * running daemon. */
#define RISK_DEC(k, scale, hi)                                               \
	{ .key = #k, .type = T_DECIMAL, .flags = F_RANGE | F_RELOAD,         \
	  .def = "0", .min = 0, .max = (hi), .dp = (scale),                  \
	  AT(struct trd_config, risk.k) }
#define RISK_UINT(k, hi)                                                     \
	{ .key = #k, .type = T_UINT, .flags = F_RELOAD, .def = "0",          \
	  .min = 0, .max = (hi), AT(struct trd_config, risk.k) }

static const struct field risk_fields[] = {
	RISK_DEC(max_order_notional, TRD_CASH_DP, 1000000000000ULL),
	RISK_DEC(max_position_notional, TRD_CASH_DP, 1000000000000ULL),
	RISK_DEC(max_gross_exposure, TRD_CASH_DP, 1000000000000ULL),
	RISK_UINT(max_open_orders, 10000000),
	RISK_UINT(max_open_trades, 10000000),
	RISK_DEC(orders_per_second, 3, 1000000),
	RISK_DEC(orders_per_second_global, 3, 1000000),
	RISK_UINT(order_burst, 1000000),
	RISK_DEC(price_collar_pct, TRD_BPS_DP, 100),
	RISK_DEC(max_drawdown_pct, TRD_BPS_DP, 100),
	RISK_DEC(daily_loss_pct, TRD_BPS_DP, 100),
	{ .key = "on_trip", .type = T_ENUM, .flags = F_RELOAD,
	  .def = "cancel", .names = trip_names,
	  AT(struct trd_config, risk.on_trip) },
	RISK_UINT(stale_data_s, 31536000),
	RISK_UINT(max_order_age_s, 31536000),
};

static const struct schema risk_schema = {
	risk_fields, NELEM(risk_fields), 0, NULL, NULL,
};

static const struct field account_fields[] = {
	{ .key = "cash", .type = T_DECIMAL, .flags = F_POSITIVE,
	  .def = "100000", .dp = TRD_CASH_DP,
	  AT(struct trd_config, account.cash) },
};

static const struct schema account_schema = {
	account_fields, NELEM(account_fields), 0, NULL, NULL,
};

static const struct field venue_fields[] = {
	{ .key = "kind", .type = T_ENUM, .def = "sim", .names = venue_names,
	  AT(struct trd_config, venue.kind) },
	{ .key = "fee_bps", .type = T_DECIMAL, .flags = F_RANGE, .def = "0",
	  .min = 0, .max = 10000, .dp = TRD_BPS_DP,
	  AT(struct trd_config, venue.fee_bps) },
	{ .key = "slippage_bps", .type = T_DECIMAL, .flags = F_RANGE,
	  .def = "0", .min = 0, .max = 10000, .dp = TRD_BPS_DP,
	  AT(struct trd_config, venue.slippage_bps) },
	/* Reserved: nothing reads venue.seed (the venue has no randomness).
	 * Still accepted and range-checked, because configs in the wild
	 * carry it and an unknown key is an error. */
	{ .key = "seed", .type = T_UINT, .def = "1", .min = 0,
	  .max = UINT64_MAX, AT(struct trd_config, venue.seed) },
	{ .key = "participation", .type = T_DECIMAL, .flags = F_RANGE,
	  .def = "0", .min = 0, .max = 1, .dp = 6,
	  AT(struct trd_config, venue.participation) },
	{ .key = "submit_latency_ms", .type = T_UINT, .def = "0", .min = 0,
	  .max = 3600000, AT(struct trd_config, venue.submit_latency_ms) },
	{ .key = "cancel_latency_ms", .type = T_UINT, .def = "0", .min = 0,
	  .max = 3600000, AT(struct trd_config, venue.cancel_latency_ms) },
	{ .key = "intrabar", .type = T_ENUM, .def = "pessimistic",
	  .names = intrabar_names, AT(struct trd_config, venue.intrabar) },
};

static const struct schema venue_schema = {
	venue_fields, NELEM(venue_fields), 0, NULL, NULL,
};

static const struct enumval feed_names[] = {
	{ "binance_spot", TRD_FEED_BINANCE_SPOT },
	{ "binance_usdm", TRD_FEED_BINANCE_USDM },
	{ "alpaca_stocks", TRD_FEED_ALPACA_STOCKS },
	{ "alpaca_crypto", TRD_FEED_ALPACA_CRYPTO },
	{ NULL, 0 },
};

/* Which feed and how to stay connected: all start-only. */
static const struct field feed_fields[] = {
	{ .key = "kind", .type = T_ENUM, .def = "binance_spot",
	  .names = feed_names, AT(struct trd_config, feed.kind) },
	{ .key = "ws_url", .type = T_STRING, AT(struct trd_config, feed.ws_url) },
	{ .key = "rest_url", .type = T_STRING,
	  AT(struct trd_config, feed.rest_url) },
	{ .key = "ca_file", .type = T_STRING, .flags = F_PATH,
	  AT(struct trd_config, feed.ca_file) },
	{ .key = "streams", .type = T_NAMELIST, .min = 1, .max = 8,
	  .chars = "_", AT(struct trd_config, feed.stream_names),
	  .count_off = offsetof(struct trd_config, feed.nstream_names) },
	{ .key = "bar_timeframe", .type = T_TIMEFRAME, .def = "1m",
	  AT(struct trd_config, feed.bar_tf_s) },
	{ .key = "record", .type = T_ENUM, .def = "true", .names = bool_names,
	  AT(struct trd_config, feed.record) },
	{ .key = "retention_h", .type = T_UINT, .def = "168", .min = 0,
	  .max = 87600, AT(struct trd_config, feed.retention_h) },
	{ .key = "ping_s", .type = T_UINT, .def = "30", .min = 2, .max = 600,
	  AT(struct trd_config, feed.ping_s) },
	{ .key = "silence_s", .type = T_UINT, .def = "30", .min = 1,
	  .max = 3600, AT(struct trd_config, feed.silence_s) },
	/* Binance closes a connection at 24 h: replace it 10 min before. */
	{ .key = "rotate_s", .type = T_UINT, .def = "85800", .min = 2,
	  .max = 86400, AT(struct trd_config, feed.rotate_s) },
	{ .key = "stale_s", .type = T_UINT, .def = "60", .min = 1,
	  .max = 86400, AT(struct trd_config, feed.stale_s) },
	{ .key = "depth_limit", .type = T_UINT, .def = "1000", .min = 5,
	  .max = 5000, AT(struct trd_config, feed.depth_limit) },
};

static const struct schema feed_schema = {
	feed_fields, NELEM(feed_fields), 0, check_feed, NULL,
};

/* Params (the plugin gets them in on_reload) and features may change on
 * reload. */
static const struct field strategy_fields[] = {
	{ .key = "name", .type = T_NAME, .flags = F_REQUIRED, .chars = "_.-",
	  AT(struct trd_strategy_conf, name) },
	/* No '/' or '.': it names <plugin_dir>/<plugin>.so. */
	{ .key = "plugin", .type = T_NAME, .flags = F_REQUIRED, .chars = "_-",
	  AT(struct trd_strategy_conf, plugin) },
	{ .key = "symbols", .type = T_SYMLIST, .flags = F_REQUIRED,
	  .min = 1, .max = 4096, AT(struct trd_strategy_conf, symbols),
	  .count_off = offsetof(struct trd_strategy_conf, nsymbols) },
	/* Reloadable: features added on reload start cold (not ready until
	 * their window fills); ones dropped keep being computed. */
	{ .key = "features", .type = T_FEATLIST, .flags = F_RELOAD,
	  .min = 0, .max = 256, AT(struct trd_strategy_conf, features),
	  .count_off = offsetof(struct trd_strategy_conf, nfeatures) },
	{ .key = "params", .type = T_PARAMS, .flags = F_RELOAD,
	  AT(struct trd_strategy_conf, params),
	  .count_off = offsetof(struct trd_strategy_conf, nparams) },
};

static const struct schema strategy_schema = {
	strategy_fields, NELEM(strategy_fields),
	sizeof(struct trd_strategy_conf), NULL, check_strategies,
};

static const struct enumval level_names_admin[] = {
	{ "user", TRD_LEVEL_USER },
	{ "operator", TRD_LEVEL_OPERATOR },
	{ "admin", TRD_LEVEL_ADMIN },
	{ NULL, 0 },
};

/* Who gets which level on the admin socket: all reloadable. */
static const struct field access_fields[] = {
	{ .key = "user", .type = T_STRING, .flags = F_RELOAD,
	  AT(struct trd_admin_access, user) },
	{ .key = "group", .type = T_STRING, .flags = F_RELOAD,
	  AT(struct trd_admin_access, group) },
	{ .key = "level", .type = T_ENUM, .flags = F_REQUIRED | F_RELOAD,
	  .names = level_names_admin, AT(struct trd_admin_access, level) },
};

static const struct schema access_schema = {
	access_fields, NELEM(access_fields), sizeof(struct trd_admin_access),
	NULL, check_access,
};

/* The sockets are start-only (they are bound once); who may do what on
 * them, and the limits, change on reload. */
static const struct field admin_fields[] = {
	{ .key = "socket", .type = T_STRING, .flags = F_PATH,
	  AT(struct trd_config, admin.socket) },
	{ .key = "socket_ro", .type = T_STRING, .flags = F_PATH,
	  AT(struct trd_config, admin.socket_ro) },
	{ .key = "socket_group", .type = T_STRING,
	  AT(struct trd_config, admin.socket_group) },
	{ .key = "access", .type = T_LIST, .flags = F_RELOAD, .min = 0,
	  .max = 256, .sub = &access_schema, AT(struct trd_config, admin.access),
	  .count_off = offsetof(struct trd_config, admin.naccess) },
	{ .key = "default_level", .type = T_ENUM, .flags = F_RELOAD,
	  .def = "user", .names = level_names_admin,
	  AT(struct trd_config, admin.default_level) },
	{ .key = "max_clients", .type = T_UINT, .flags = F_RELOAD,
	  .def = "64", .min = 1, .max = 10000,
	  AT(struct trd_config, admin.max_clients) },
	{ .key = "idle_timeout_s", .type = T_UINT, .flags = F_RELOAD,
	  .def = "300", .min = 0, .max = 86400,
	  AT(struct trd_config, admin.idle_timeout_s) },
	{ .key = "max_output_kb", .type = T_UINT, .flags = F_RELOAD,
	  .def = "4096", .min = 64, .max = 1048576,
	  AT(struct trd_config, admin.max_output_kb) },
};

static const struct schema admin_schema = {
	admin_fields, NELEM(admin_fields), 0, check_admin, NULL,
};

static const struct field metrics_fields[] = {
	{ .key = "listen", .type = T_STRING,
	  AT(struct trd_config, metrics.listen) },
};

static const struct schema metrics_schema = {
	metrics_fields, NELEM(metrics_fields), 0, check_metrics, NULL,
};

/* strategies comes after instruments: its symbols are checked against
 * them. */
static const struct field config_fields[] = {
	{ .key = "mode", .type = T_ENUM, .def = "replay",
	  .names = trd__config_mode_names, AT(struct trd_config, mode) },
	{ .key = "data_dir", .type = T_STRING, .flags = F_PATH, .def = "var/db",
	  AT(struct trd_config, data_dir) },
	/* Start-only: the report's files are written there from the start
	 * (renamed into place at the end), so a new directory mid-run would
	 * split one report in two. */
	{ .key = "report_dir", .type = T_STRING, .flags = F_PATH,
	  .def = "var/report", AT(struct trd_config, report_dir) },
	{ .key = "report", .type = T_MAP, .sub = &report_schema },
	{ .key = "log_level", .type = T_ENUM, .flags = F_RELOAD,
	  .def = "info", .names = level_names,
	  AT(struct trd_config, log_level) },
	{ .key = "instruments", .type = T_LIST, .flags = F_REQUIRED,
	  .min = 1, .max = 4096, .sub = &instrument_schema,
	  AT(struct trd_config, instruments),
	  .count_off = offsetof(struct trd_config, ninstruments) },
	{ .key = "replay", .type = T_MAP, .sub = &replay_schema },
	{ .key = "store", .type = T_MAP, .sub = &store_schema },
	{ .key = "plugin_dir", .type = T_STRING, .flags = F_PATH,
	  .def = "build/plugins",
	  AT(struct trd_config, plugin_dir) },
	{ .key = "housekeeping_ms", .type = T_UINT, .def = "1000", .min = 10,
	  .max = 60000, AT(struct trd_config, housekeeping_ms) },
	{ .key = "account", .type = T_MAP, .sub = &account_schema },
	{ .key = "venue", .type = T_MAP, .sub = &venue_schema },
	{ .key = "risk", .type = T_MAP, .sub = &risk_schema },
	{ .key = "feed", .type = T_MAP, .sub = &feed_schema },
	{ .key = "features", .type = T_MAP, .sub = &features_schema },
	{ .key = "strategies", .type = T_LIST, .min = 0, .max = 256,
	  .sub = &strategy_schema, AT(struct trd_config, strategies),
	  .count_off = offsetof(struct trd_config, nstrategies) },
	{ .key = "admin", .type = T_MAP, .sub = &admin_schema },
	{ .key = "metrics", .type = T_MAP, .sub = &metrics_schema },
};

const struct schema trd__config_schema = {
	config_fields, NELEM(config_fields), 0, NULL, NULL,
};

/* trd__config_parse_map() keeps one slot per key of a map on its stack. */
_Static_assert(NELEM(config_fields) <= CONF_MAX_FIELDS, "config_fields");
_Static_assert(NELEM(instrument_fields) <= CONF_MAX_FIELDS, "instruments");
_Static_assert(NELEM(replay_fields) <= CONF_MAX_FIELDS, "replay_fields");
_Static_assert(NELEM(store_fields) <= CONF_MAX_FIELDS, "store_fields");
_Static_assert(NELEM(account_fields) <= CONF_MAX_FIELDS, "account_fields");
_Static_assert(NELEM(venue_fields) <= CONF_MAX_FIELDS, "venue_fields");
_Static_assert(NELEM(risk_fields) <= CONF_MAX_FIELDS, "risk_fields");
_Static_assert(NELEM(report_fields) <= CONF_MAX_FIELDS, "report_fields");
_Static_assert(NELEM(features_fields) <= CONF_MAX_FIELDS, "features");
_Static_assert(NELEM(strategy_fields) <= CONF_MAX_FIELDS, "strategies");
_Static_assert(NELEM(feed_fields) <= CONF_MAX_FIELDS, "feed_fields");
_Static_assert(NELEM(admin_fields) <= CONF_MAX_FIELDS, "admin_fields");

static void
check_instruments(struct ctx *c, yaml_node_t *seq, void *elems, size_t n,
		  const char *path)
{
	struct trd_instrument_conf *in = elems;
	yaml_node_item_t *it = seq->data.sequence.items.start;
	char sub[KEY_SZ + 32];

	/* tick_size and lot_size may be left out only where the venue tells
	 * them: a paper session (on a Binance feed: check_feed). */
	for (size_t i = 0; i < n && c->cf->mode != TRD_MODE_PAPER; i++) {
		yaml_node_t *e = node(c, it[i]);
		const char *k;
		if (e == NULL || e->type != YAML_MAPPING_NODE)
			continue;
		k = !trd__config_map_get(c, e, "tick_size")  ? "tick_size"
		    : !trd__config_map_get(c, e, "lot_size") ? "lot_size"
							     : NULL;
		if (k == NULL)
			continue;
		snprintf(sub, sizeof(sub), "%s[%zu].%s", path, i, k);
		trd__config_err_at(c, &e->start_mark, sub,
				   "required key missing");
	}
	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; in[i].symbol[0] && j < i; j++) {
			yaml_node_t *a, *b;
			if (strcmp(in[i].symbol, in[j].symbol) != 0)
				continue;
			a = trd__config_map_get(c, node(c, it[j]), "symbol");
			b = trd__config_map_get(c, node(c, it[i]), "symbol");
			snprintf(sub, sizeof(sub), "%s[%zu].symbol", path, i);
			trd__config_err_at(c, &b->start_mark, sub,
					   "duplicate symbol %s, already "
					   "given at line %zu (%s[%zu])",
					   in[i].symbol,
					   a->start_mark.line + 1, path, j);
			break;
		}
	}
}

/* Whether every instrument parsed, so a strategy's symbols can be checked
 * against them without repeating their errors. */
static int
instruments_ok(const struct trd_config *cf)
{
	for (size_t i = 0; i < cf->ninstruments; i++)
		if (cf->instruments[i].symbol[0] == '\0')
			return 0;
	return cf->ninstruments > 0;
}

/* Records each strategy's line; names unique, symbols in instruments. */
static void
check_strategies(struct ctx *c, yaml_node_t *seq, void *elems, size_t n,
		 const char *path)
{
	struct trd_strategy_conf *st = elems;
	yaml_node_item_t *it = seq->data.sequence.items.start;
	int known = instruments_ok(c->cf);
	char sub[KEY_SZ + 48];

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = node(c, it[i]), *syms;

		st[i].line = (int)e->start_mark.line + 1;
		for (size_t j = 0; st[i].name[0] && j < i; j++) {
			yaml_node_t *a, *b;
			if (strcmp(st[i].name, st[j].name) != 0)
				continue;
			a = trd__config_map_get(c, node(c, it[j]), "name");
			b = trd__config_map_get(c, e, "name");
			snprintf(sub, sizeof(sub), "%s[%zu].name", path, i);
			trd__config_err_at(c, &b->start_mark, sub,
					   "duplicate strategy name %s, "
					   "already given at line %zu "
					   "(%s[%zu])", st[i].name,
					   a->start_mark.line + 1, path, j);
			break;
		}
		if (!known ||
		    (syms = trd__config_map_get(c, e, "symbols")) == NULL)
			continue;
		for (size_t k = 0; k < st[i].nsymbols; k++) {
			yaml_node_t *sym;
			if (st[i].symbols[k] == NULL ||
			    trd_config_instrument(c->cf, st[i].symbols[k]))
				continue;
			sym = node(c, syms->data.sequence.items.start[k]);
			snprintf(sub, sizeof(sub), "%s[%zu].symbols[%zu]", path,
				 i, k);
			trd__config_err_at(c, &sym->start_mark, sub,
					   "unknown symbol \"%s\": not in "
					   "instruments", st[i].symbols[k]);
		}
	}
}

static void
check_replay(struct ctx *c, yaml_node_t *map, const yaml_mark_t *mark,
	     void *base)
{
	struct trd_config *cf = base;
	char a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ];
	yaml_node_t *to = trd__config_map_get(c, map, "to");

	if (cf->replay.from_ns == TRD_TIME_MIN ||
	    cf->replay.to_ns == TRD_TIME_MAX ||
	    cf->replay.from_ns < cf->replay.to_ns)
		return;
	trd__config_err_at(c, to ? &to->start_mark : mark, "replay.to",
			   "expected a time after replay.from (%s), found %s",
			   trd_time_format(cf->replay.from_ns, a),
			   trd_time_format(cf->replay.to_ns, b));
}

static void
check_store(struct ctx *c, yaml_node_t *map, const yaml_mark_t *mark,
	    void *base)
{
	struct trd_config *cf = base;
	yaml_node_t *n = trd__config_map_get(c, map, "map_size_mb");

	if (cf->store.map_size_mb <= cf->store.map_max_mb)
		return;
	trd__config_err_at(c, n ? &n->start_mark : mark, "store.map_size_mb",
			   "expected at most store.map_max_mb (%llu), "
			   "found %llu",
			   (unsigned long long)cf->store.map_max_mb,
			   (unsigned long long)cf->store.map_size_mb);
}

/* The venues' own addresses, when the config names none. */
static const char *const default_ws[] = {
	[TRD_FEED_BINANCE_SPOT] = "wss://stream.binance.com:9443",
	[TRD_FEED_BINANCE_USDM] = "wss://fstream.binance.com",
	[TRD_FEED_ALPACA_STOCKS] = "wss://stream.data.alpaca.markets/v2/iex",
	[TRD_FEED_ALPACA_CRYPTO] =
		"wss://stream.data.alpaca.markets/v1beta3/crypto/us",
};
static const char *const default_rest[] = {
	[TRD_FEED_BINANCE_SPOT] = "https://api.binance.com",
	[TRD_FEED_BINANCE_USDM] = "https://fapi.binance.com",
	[TRD_FEED_ALPACA_STOCKS] = "https://data.alpaca.markets",
	[TRD_FEED_ALPACA_CRYPTO] = "https://data.alpaca.markets",
};

/* Alpaca's channels: trades, quotes, bars (its minute bars).  Bars of
 * feed.bar_timeframe are its bars at 1m, else built from trades. */
static void
check_alpaca_streams(struct ctx *c, struct trd_feed_conf *f, yaml_node_t *sn,
		     const yaml_mark_t *mark)
{
	char sub[64];

	if (f->nstream_names == 0) {
		f->streams = TRD_STREAM_TRADE | TRD_STREAM_BOOKTICKER;
		if (f->bar_tf_s == 60)
			f->streams |= TRD_STREAM_KLINE;
	}
	for (size_t i = 0; i < f->nstream_names; i++) {
		const char *s = f->stream_names[i];
		yaml_node_t *e = sn ? node(c, sn->data.sequence.items.start[i])
				    : NULL;
		snprintf(sub, sizeof(sub), "feed.streams[%zu]", i);
		if (s == NULL)
			continue;
		if (strcmp(s, "trades") == 0)
			f->streams |= TRD_STREAM_TRADE;
		else if (strcmp(s, "quotes") == 0)
			f->streams |= TRD_STREAM_BOOKTICKER;
		else if (strcmp(s, "bars") == 0)
			f->streams |= TRD_STREAM_KLINE;
		else
			trd__config_err_at(c, e ? &e->start_mark : mark, sub,
					   "expected one of trades, quotes, bars "
					   "(Alpaca's channels), found %s", s);
	}
	if (f->streams & TRD_STREAM_KLINE)
		f->kline_tf_s = 60;
	if (!(f->streams & TRD_STREAM_KLINE && f->bar_tf_s == 60) &&
	    !(f->streams & TRD_STREAM_TRADE))
		trd__config_err_at(c, sn ? &sn->start_mark : mark,
				   "feed.streams", "bars of feed.bar_timeframe "
				   "(%us) need Alpaca's bars (1m only) or trades "
				   "to build them from", f->bar_tf_s);
}

/* streams: known names, kline_<interval> once; the bar timeframe is
 * either the kline interval or built from a trade stream. */
static void
check_feed(struct ctx *c, yaml_node_t *map, const yaml_mark_t *mark,
	   void *base)
{
	struct trd_config *cf = base;
	struct trd_feed_conf *f = &cf->feed;
	yaml_node_t *sn = trd__config_map_get(c, map, "streams");
	char sub[64];

	if (f->ws_url == NULL && (f->ws_url = strdup(default_ws[f->kind])) ==
				 NULL)
		return;
	if (f->rest_url == NULL &&
	    (f->rest_url = strdup(default_rest[f->kind])) == NULL)
		return;
	if (f->kind == TRD_FEED_ALPACA_STOCKS ||
	    f->kind == TRD_FEED_ALPACA_CRYPTO) {
		check_alpaca_streams(c, f, sn, mark);
		/* Alpaca's stream does not tell tick and lot. */
		for (size_t i = 0; i < cf->ninstruments; i++)
			if (cf->instruments[i].tick_size == 0 ||
			    cf->instruments[i].lot_size == 0)
				trd__config_err_at(c, mark, "feed.kind",
						   "instruments[%zu] (%s) needs "
						   "tick_size and lot_size with "
						   "an Alpaca feed", i,
						   cf->instruments[i].symbol);
		return;
	}
	if (f->nstream_names == 0) {
		f->streams = TRD_STREAM_AGGTRADE | TRD_STREAM_BOOKTICKER;
		if (f->bar_tf_s >= 60 && f->bar_tf_s % 60 == 0) {
			f->streams |= TRD_STREAM_KLINE;
			f->kline_tf_s = f->bar_tf_s;
		}
		return;
	}
	for (size_t i = 0; i < f->nstream_names; i++) {
		const char *s = f->stream_names[i];
		yaml_node_t *e = sn ? node(c, sn->data.sequence.items.start[i])
				    : NULL;
		const yaml_mark_t *m = e ? &e->start_mark : mark;
		uint32_t bit = 0;

		snprintf(sub, sizeof(sub), "feed.streams[%zu]", i);
		if (s == NULL)
			continue;
		if (strcmp(s, "aggTrade") == 0)
			bit = TRD_STREAM_AGGTRADE;
		else if (strcmp(s, "trade") == 0)
			bit = TRD_STREAM_TRADE;
		else if (strcmp(s, "bookTicker") == 0)
			bit = TRD_STREAM_BOOKTICKER;
		else if (strcmp(s, "depth") == 0)
			bit = TRD_STREAM_DEPTH;
		else if (strncmp(s, "kline_", 6) == 0) {
			uint32_t tf = trd_bn_interval(s + 6, strlen(s + 6));
			if (tf == 0) {
				trd__config_err_at(c, m, sub, "expected a kline "
						   "interval such as kline_1m, "
						   "found %s", s);
				continue;
			}
			if (f->streams & TRD_STREAM_KLINE) {
				trd__config_err_at(c, m, sub, "only one kline "
						   "stream may be given");
				continue;
			}
			f->kline_tf_s = tf;
			bit = TRD_STREAM_KLINE;
		} else {
			trd__config_err_at(c, m, sub, "expected one of "
					   "kline_<interval>, aggTrade, trade, "
					   "bookTicker, depth, found %s", s);
			continue;
		}
		f->streams |= bit;
	}
	if (!(f->streams & TRD_STREAM_KLINE && f->kline_tf_s == f->bar_tf_s) &&
	    !(f->streams & (TRD_STREAM_AGGTRADE | TRD_STREAM_TRADE)))
		trd__config_err_at(c, sn ? &sn->start_mark : mark,
				   "feed.streams", "bars of feed.bar_timeframe "
				   "(%us) need kline_ of that interval or a "
				   "trade stream (aggTrade, trade) to build them "
				   "from", f->bar_tf_s);
}

/* A user or group name, or a number; resolved now so a typo is an error
 * at load, not a silent lockout later. */
static int
resolve_id(const char *s, int group, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || *end || v >= UINT32_MAX)
			return -1;
		*out = (uint32_t)v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);
		if (g == NULL)
			return -1;
		*out = (uint32_t)g->gr_gid;
	} else {
		struct passwd *p = getpwnam(s);
		if (p == NULL)
			return -1;
		*out = (uint32_t)p->pw_uid;
	}
	return 0;
}

/* Each entry names a user or a group (not both), and it exists. */
static void
check_access(struct ctx *c, yaml_node_t *seq, void *elems, size_t n,
	     const char *path)
{
	struct trd_admin_access *a = elems;
	yaml_node_item_t *it = seq->data.sequence.items.start;
	char sub[KEY_SZ + 32];

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = node(c, it[i]);
		a[i].uid = a[i].gid = UINT32_MAX;
		if (e == NULL || e->type != YAML_MAPPING_NODE)
			continue;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if ((a[i].user == NULL) == (a[i].group == NULL)) {
			trd__config_err_at(c, &e->start_mark, sub,
					   "expected one of user or group");
			continue;
		}
		if (a[i].user && resolve_id(a[i].user, 0, &a[i].uid) != 0) {
			snprintf(sub, sizeof(sub), "%s[%zu].user", path, i);
			trd__config_err_at(c, &e->start_mark, sub,
					   "no such user: %s", a[i].user);
		}
		if (a[i].group && resolve_id(a[i].group, 1, &a[i].gid) != 0) {
			snprintf(sub, sizeof(sub), "%s[%zu].group", path, i);
			trd__config_err_at(c, &e->start_mark, sub,
					   "no such group: %s", a[i].group);
		}
	}
}

/* Socket paths fit a sockaddr_un and are not the same file. */
static void
check_admin(struct ctx *c, yaml_node_t *map, const yaml_mark_t *mark,
	    void *base)
{
	struct trd_config *cf = base;
	const char *keys[2] = { "admin.socket", "admin.socket_ro" };
	const char *v[2] = { cf->admin.socket, cf->admin.socket_ro };
	/* sun_path holds 108 bytes; a relative path grows by the config's
	 * directory, checked again when the socket is bound. */
	for (int i = 0; i < 2; i++) {
		yaml_node_t *n = trd__config_map_get(c, map, keys[i] + 6);
		if (v[i] && strlen(v[i]) >= 108)
			trd__config_err_at(c, n ? &n->start_mark : mark,
					   keys[i], "a socket path has at most "
					   "107 bytes, found %zu",
					   strlen(v[i]));
	}
	if (cf->admin.socket_group &&
	    resolve_id(cf->admin.socket_group, 1, &cf->admin.socket_gid) != 0)
		trd__config_err_at(c, mark, "admin.socket_group",
				   "no such group: %s", cf->admin.socket_group);
	if (v[0] && v[1] && strcmp(v[0], v[1]) == 0)
		trd__config_err_at(c, mark, "admin.socket_ro",
				   "expected a different path from "
				   "admin.socket");
}

static void
check_metrics(struct ctx *c, yaml_node_t *map, const yaml_mark_t *mark,
	      void *base)
{
	struct trd_config *cf = base;
	yaml_node_t *n = trd__config_map_get(c, map, "listen");
	char host[64];
	uint16_t port;

	if (cf->metrics.listen &&
	    trd_config_hostport(cf->metrics.listen, host, &port) != 0)
		trd__config_err_at(c, n ? &n->start_mark : mark,
				   "metrics.listen", "expected ADDRESS:PORT "
				   "with a numeric IPv4 or [IPv6] address "
				   "and a port from 0 (any free one) to "
				   "65535, found %s",
				   cf->metrics.listen);
}
