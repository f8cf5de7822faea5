/*
 * config: see config.h.
 *
 * The file is read whole (at most CONF_MAX_BYTES), scanned once as a stream
 * of events to reject what the schema never needs and what makes a YAML
 * document expensive or ambiguous (aliases, a second document, nesting
 * deeper than CONF_MAX_DEPTH), each with its exact position, then loaded as
 * a document and walked against the schema tables below.  Only the schema
 * decides which nodes are visited, so the walk is bounded by the schema, not
 * by the file.
 *
 * Scalars are read as text whatever their quoting style: `speed: "500"` is
 * `speed: 500`, and quoting a decimal (`tick_size: "0.01"`) is allowed.
 * A plain empty value, `~` or `null` is null: it means "empty map" where a
 * map is expected and is an error everywhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "feature.h"
#include "venue.h"
#include "decimal.h"
#include "errors.h"
#include "store.h"
#include "timefmt.h"

#define CONF_MAX_BYTES  (16u << 20) /* no sane config comes near this */
#define CONF_MAX_DEPTH  32          /* nesting of maps and lists */
#define CONF_MAX_ERRORS 100         /* logged; the rest are only counted */
#define CONF_MAX_FIELDS 32          /* keys in one schema map */
#define CONF_STR_MAX    4095        /* bytes in a string value (a path) */
#define CONF_MAX_PARAMS 64          /* in one strategy's params */
#define CONF_NAME_MAX   63          /* a strategy parameter's name */
#define QUOTE_SZ        200         /* quote() output: 40 bytes escaped */
#define KEY_SZ          256         /* a dotted key path */

#define XSTR(x) STR_(x)
#define STR_(x) #x

/* An error, kept so they can be logged in file order. */
struct msg {
	size_t line, col, seq;
	char  *text;
};

struct ctx {
	const char      *file;
	yaml_document_t *doc;
	/* The generation being filled, for checks against keys parsed
	 * earlier (strategies' symbols against instruments). */
	const struct trd_config *cf;
	int              nerr;
	struct msg       msgs[CONF_MAX_ERRORS];
};

/*
 * Value types.  To add one (a double with bounds, a free-form "raw map"
 * kept as a yaml-independent tree for strategy params), add it here, to
 * describe(), to set_scalar() or parse_value(), and to free_fields() and
 * differs() if it owns memory or cannot be compared with memcmp().
 */
enum ftype {
	T_STRING,    /* char *, 1..CONF_STR_MAX bytes, no control chars */
	T_SYMBOL,    /* char[.size], passes trd_symbol_valid() */
	T_ENUM,      /* an enum (int-sized) named in .names */
	T_UINT,      /* unsigned integer of .size bytes in [.min, .max] */
	T_TIME,      /* int64_t ns via trd_time_parse(); .absent if missing */
	T_TIMEFRAME, /* uint32_t seconds via trd_timeframe_parse() */
	T_SPEED,     /* double in (.dmin, .dmax], or "max" stored as 0 */
	T_DECIMAL,   /* int64_t scaled by 10^(uint8_t member at .dp_off), or
		      * by 10^.dp when .dp_key is NULL */
	T_NAME,      /* char[.size] of [A-Za-z0-9] and the bytes in .chars */
	T_MAP,       /* nested map .sub; its offsets share the parent's base */
	T_LIST,      /* list of maps .sub: array at .off, size_t at .count_off;
		      * each element is the base of its own offsets.  Without
		      * F_RELOAD its length is fixed and its elements' keys
		      * follow their own F_RELOAD. */
	T_SYMLIST,   /* char ** at .off, size_t at .count_off: .min to .max
		      * distinct symbols */
	T_FEATLIST,  /* like T_SYMLIST, of feature names (feature.h) */
	T_PARAMS,    /* struct trd_param_kv * at .off, size_t at .count_off:
		      * a map of names to scalars, kept as text */
};

#define F_REQUIRED 0x1 /* no default: missing is an error */
#define F_RELOAD   0x2 /* may differ between generations (SIGHUP) */
#define F_POSITIVE 0x4 /* T_DECIMAL: must be > 0 */
#define F_RANGE    0x8 /* T_DECIMAL: in [.min, .max] (whole units) */
#define F_BAR      0x10 /* T_TIMEFRAME: also "bar", stored as 0 */

struct enumval {
	const char *name;
	int         value;
};

struct schema;

struct field {
	const char           *key;
	enum ftype            type;
	unsigned              flags;
	size_t                off;       /* offsetof() into the base */
	size_t                size;      /* sizeof the member */
	const char           *def;       /* default, spelled as in the file */
	int64_t               absent;    /* T_TIME: value when missing */
	uint64_t              min, max;  /* T_UINT value; T_LIST length */
	double                dmin, dmax;
	const struct enumval *names;     /* T_ENUM, NULL-terminated */
	size_t                dp_off;    /* T_DECIMAL: its scale member ... */
	const char           *dp_key;    /* ... and that member's key */
	int                   dp;        /* ... or a fixed scale */
	const char           *chars;     /* T_NAME: allowed besides alnum */
	size_t                count_off; /* T_LIST */
	const struct schema  *sub;       /* T_MAP, T_LIST */
};

struct schema {
	const struct field *fields;
	size_t              nfields;
	size_t              elem_size; /* as a T_LIST element */
	/* Cross-key checks, run after the map parsed without error. */
	void (*check)(struct ctx *, yaml_node_t *map, const yaml_mark_t *,
		      void *base);
	/* Checks across the elements of a list, always run. */
	void (*check_list)(struct ctx *, yaml_node_t *seq, void *elems,
			   size_t n, const char *path);
};

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

static const struct enumval mode_names[] = {
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
	{ .key = "price_dp", .type = T_UINT, .def = XSTR(TRD_DEFAULT_DP),
	  .min = 0, .max = TRD_MAX_DP,
	  AT(struct trd_instrument_conf, price_dp) },
	{ .key = "qty_dp", .type = T_UINT, .def = XSTR(TRD_DEFAULT_DP),
	  .min = 0, .max = TRD_MAX_DP,
	  AT(struct trd_instrument_conf, qty_dp) },
	{ .key = "tick_size", .type = T_DECIMAL,
	  .flags = F_REQUIRED | F_POSITIVE,
	  AT(struct trd_instrument_conf, tick_size),
	  .dp_off = offsetof(struct trd_instrument_conf, price_dp),
	  .dp_key = "price_dp" },
	{ .key = "lot_size", .type = T_DECIMAL,
	  .flags = F_REQUIRED | F_POSITIVE,
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

static const struct field replay_fields[] = {
	{ .key = "from", .type = T_TIME, .absent = TRD_TIME_MIN,
	  AT(struct trd_config, replay.from_ns) },
	{ .key = "to", .type = T_TIME, .absent = TRD_TIME_MAX,
	  AT(struct trd_config, replay.to_ns) },
	{ .key = "speed", .type = T_SPEED, .flags = F_RELOAD, .def = "max",
	  .dmin = 0, .dmax = 1e6, AT(struct trd_config, replay.speed) },
	{ .key = "timeframe", .type = T_TIMEFRAME, .def = "1m",
	  AT(struct trd_config, replay.timeframe_s) },
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

static const struct field report_fields[] = {
	{ .key = "equity_interval", .type = T_TIMEFRAME,
	  .flags = F_BAR, .def = "1h",
	  AT(struct trd_config, report.equity_interval_s) },
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

/* Only params may change on reload: the plugin gets them in on_reload. */
static const struct field strategy_fields[] = {
	{ .key = "name", .type = T_NAME, .flags = F_REQUIRED, .chars = "_.-",
	  AT(struct trd_strategy_conf, name) },
	/* No '/' or '.': it names <plugin_dir>/<plugin>.so. */
	{ .key = "plugin", .type = T_NAME, .flags = F_REQUIRED, .chars = "_-",
	  AT(struct trd_strategy_conf, plugin) },
	{ .key = "symbols", .type = T_SYMLIST, .flags = F_REQUIRED,
	  .min = 1, .max = 4096, AT(struct trd_strategy_conf, symbols),
	  .count_off = offsetof(struct trd_strategy_conf, nsymbols) },
	{ .key = "features", .type = T_FEATLIST, .min = 0, .max = 256,
	  AT(struct trd_strategy_conf, features),
	  .count_off = offsetof(struct trd_strategy_conf, nfeatures) },
	{ .key = "params", .type = T_PARAMS, .flags = F_RELOAD,
	  AT(struct trd_strategy_conf, params),
	  .count_off = offsetof(struct trd_strategy_conf, nparams) },
};

static const struct schema strategy_schema = {
	strategy_fields, NELEM(strategy_fields),
	sizeof(struct trd_strategy_conf), NULL, check_strategies,
};

/* strategies comes after instruments: its symbols are checked against
 * them. */
static const struct field config_fields[] = {
	{ .key = "mode", .type = T_ENUM, .def = "replay", .names = mode_names,
	  AT(struct trd_config, mode) },
	{ .key = "data_dir", .type = T_STRING, .def = "var/db",
	  AT(struct trd_config, data_dir) },
	{ .key = "report_dir", .type = T_STRING, .flags = F_RELOAD,
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
	{ .key = "plugin_dir", .type = T_STRING, .def = "build/plugins",
	  AT(struct trd_config, plugin_dir) },
	{ .key = "account", .type = T_MAP, .sub = &account_schema },
	{ .key = "venue", .type = T_MAP, .sub = &venue_schema },
	{ .key = "risk", .type = T_MAP, .sub = &risk_schema },
	{ .key = "features", .type = T_MAP, .sub = &features_schema },
	{ .key = "strategies", .type = T_LIST, .min = 0, .max = 256,
	  .sub = &strategy_schema, AT(struct trd_config, strategies),
	  .count_off = offsetof(struct trd_config, nstrategies) },
};

static const struct schema config_schema = {
	config_fields, NELEM(config_fields), 0, NULL, NULL,
};

/* parse_map() keeps one slot per key of a map on its stack. */
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

/*
 * Reporting.  Every error goes through err_at() so they all read
 * FILE:LINE:COL: KEY.PATH: message (libyaml marks are 0-based), or
 * FILE: message for the file as a whole.  They are found in schema order
 * and logged by flush_errors() in file order.
 */
static void __attribute__((format(printf, 4, 5)))
err_at(struct ctx *c, const yaml_mark_t *m, const char *key,
       const char *fmt, ...)
{
	struct msg *e;
	char msg[1024], line[2048];
	va_list ap;

	if (c->nerr >= CONF_MAX_ERRORS) {
		c->nerr++;
		return;
	}
	e = &c->msgs[c->nerr++];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->line = m ? m->line + 1 : 0;
	e->col = m ? m->column + 1 : 0;
	e->seq = (size_t)c->nerr;
	if (m == NULL)
		snprintf(line, sizeof(line), "%s: %s", c->file, msg);
	else if (key == NULL || *key == '\0')
		snprintf(line, sizeof(line), "%s:%zu:%zu: %s", c->file,
			 e->line, e->col, msg);
	else
		snprintf(line, sizeof(line), "%s:%zu:%zu: %s: %s", c->file,
			 e->line, e->col, key, msg);
	e->text = strdup(line);
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
flush_errors(struct ctx *c)
{
	int n = c->nerr < CONF_MAX_ERRORS ? c->nerr : CONF_MAX_ERRORS;

	qsort(c->msgs, (size_t)n, sizeof(c->msgs[0]), msg_cmp);
	for (int i = 0; i < n; i++) {
		trd_log(TRD_LOG_ERROR, "trd_config_load", "%s",
			c->msgs[i].text ? c->msgs[i].text : "out of memory");
		free(c->msgs[i].text);
	}
	if (c->nerr > CONF_MAX_ERRORS)
		trd_log(TRD_LOG_ERROR, "trd_config_load", "%s: %d more errors "
			"not shown", c->file, c->nerr - CONF_MAX_ERRORS);
}

/* s[0..len) quoted for a message: escaped, cut after 40 bytes.  buf holds
 * QUOTE_SZ bytes. */
static const char *
quote(char *buf, const char *s, size_t len)
{
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; i < len && i < 40; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, 3, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	if (i < len)
		snprintf(buf + o, QUOTE_SZ - o, "... (%zu bytes)", len);
	return buf;
}

/* dst = path.key, with key cut and made printable (it may be hostile). */
static void
join(char *dst, const char *path, const char *key, size_t klen)
{
	size_t o = 0, i;

	if (*path)
		o = (size_t)snprintf(dst, KEY_SZ / 2, "%s.", path);
	if (o >= KEY_SZ / 2)
		o = KEY_SZ / 2 - 1;
	for (i = 0; i < klen && o < KEY_SZ - 4; i++) {
		unsigned char ch = (unsigned char)key[i];
		dst[o++] = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (i < klen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

static int
is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* What the file has at n, for "found ...".  buf holds QUOTE_SZ bytes. */
static const char *
found(char *buf, const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a map";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (is_null(n))
		return "null";
	return quote(buf, (const char *)n->data.scalar.value,
		     n->data.scalar.length);
}

/* What f accepts, for "expected ...". */
static const char *
describe(char *buf, size_t len, const struct field *f, const void *base)
{
	size_t o = 0;

	switch (f->type) {
	case T_STRING:
		snprintf(buf, len, "a non-empty string of at most %d bytes "
			 "without control characters", CONF_STR_MAX);
		break;
	case T_SYMBOL:
		snprintf(buf, len, "a symbol of 1 to %zu characters from "
			 "[A-Za-z0-9._-]", f->size - 1);
		break;
	case T_ENUM:
		o = (size_t)snprintf(buf, len, "one of");
		for (const struct enumval *e = f->names; e->name && o < len;
		     e++)
			o += (size_t)snprintf(buf + o, len - o, "%s %s",
					      e == f->names ? "" : ",", e->name);
		break;
	case T_UINT:
		snprintf(buf, len, "an integer from %llu to %llu",
			 (unsigned long long)f->min,
			 (unsigned long long)f->max);
		break;
	case T_TIME:
		snprintf(buf, len, "an ISO 8601 UTC time "
			 "(2020-01-01T00:00:00Z) or Unix seconds");
		break;
	case T_TIMEFRAME:
		snprintf(buf, len, "a timeframe such as 1m, 15m, 4h or 1d%s",
			 f->flags & F_BAR ? ", or bar" : "");
		break;
	case T_SPEED:
		snprintf(buf, len, "a number > %.15g and <= %.15g, or max",
			 f->dmin, f->dmax);
		break;
	case T_DECIMAL: {
		unsigned dp = f->dp_key ? *((const uint8_t *)base + f->dp_off)
					: (unsigned)f->dp;
		o = (size_t)snprintf(buf, len, "a decimal number%s",
				     f->flags & F_POSITIVE ? " > 0" : "");
		if ((f->flags & F_RANGE) && o < len)
			o += (size_t)snprintf(buf + o, len - o,
					      " from %llu to %llu",
					      (unsigned long long)f->min,
					      (unsigned long long)f->max);
		if (o < len)
			snprintf(buf + o, len - o, " with at most %u decimals"
				 "%s%s%s", dp, f->dp_key ? " (" : "",
				 f->dp_key ? f->dp_key : "",
				 f->dp_key ? ")" : "");
		break;
	}
	case T_NAME:
		snprintf(buf, len, "a name of 1 to %zu characters from "
			 "[A-Za-z0-9%s]", f->size - 1, f->chars);
		break;
	case T_MAP:
		snprintf(buf, len, "a map");
		break;
	case T_LIST:
	case T_SYMLIST:
	case T_FEATLIST:
		snprintf(buf, len, "a list of %llu to %llu %s",
			 (unsigned long long)f->min,
			 (unsigned long long)f->max,
			 f->type == T_LIST ? "maps"
			 : f->type == T_FEATLIST ? "feature names" : "symbols");
		break;
	case T_PARAMS:
		snprintf(buf, len, "a map of parameter names to scalar values");
		break;
	}
	return buf;
}

static void
bad_value(struct ctx *c, const struct field *f, const void *base,
	  const yaml_node_t *n, const char *path)
{
	char d[256], q[QUOTE_SZ];

	err_at(c, &n->start_mark, path, "expected %s, found %s",
	       describe(d, sizeof(d), f, base), found(q, n));
}

/* Digits only: YAML's 0x, 0o, signs and underscores are not numbers here. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return *s == '\0' ? 0 : -1;
}

/* A decimal number with an optional exponent; strtod() alone would also
 * take "inf", "nan", hex and leading spaces. */
static int
parse_double(const char *s, double *out)
{
	const char *p = s;
	char *end;
	int nd = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		nd++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			nd++;
	if (nd == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		if (*++p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end == p ? 0 : -1;
}

/* 1..max bytes, each alphanumeric or one of punct. */
static int
name_valid(const char *s, size_t max, const char *punct)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9') || strchr(punct, s[n])))
			return 0;
	return n > 0 && n <= max;
}

/*
 * Store text s into f's member under base.  Returns 0, -1 if s is not
 * acceptable (the caller reports it), or -ENOMEM.
 */
static int
set_scalar(const struct field *f, void *base, const char *s)
{
	char *p = (char *)base + f->off;
	uint64_t u;
	int64_t i64;
	uint32_t u32;
	double d;
	size_t n = strlen(s);

	switch (f->type) {
	case T_STRING: {
		char *dup;
		if (n == 0 || n > CONF_STR_MAX)
			return -1;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return -1;
		if ((dup = strdup(s)) == NULL)
			return -ENOMEM;
		free(*(char **)p);
		*(char **)p = dup;
		return 0;
	}
	case T_SYMBOL:
		if (n >= f->size || !trd_symbol_valid(s))
			return -1;
		memcpy(p, s, n + 1);
		return 0;
	case T_ENUM:
		for (const struct enumval *e = f->names; e->name; e++) {
			if (strcmp(s, e->name) == 0) {
				memcpy(p, &e->value, sizeof(int));
				return 0;
			}
		}
		return -1;
	case T_UINT:
		if (parse_u64(s, &u) || u < f->min || u > f->max)
			return -1;
		switch (f->size) {
		case 1: *(uint8_t *)p = (uint8_t)u; break;
		case 2: *(uint16_t *)p = (uint16_t)u; break;
		case 4: *(uint32_t *)p = (uint32_t)u; break;
		default: *(uint64_t *)p = u; break;
		}
		return 0;
	case T_TIME:
		if (trd_time_parse(s, &i64) != 0)
			return -1;
		memcpy(p, &i64, sizeof(i64));
		return 0;
	case T_TIMEFRAME:
		if ((f->flags & F_BAR) && strcmp(s, "bar") == 0)
			u32 = 0;
		else if (trd_timeframe_parse(s, &u32) != 0)
			return -1;
		memcpy(p, &u32, sizeof(u32));
		return 0;
	case T_SPEED:
		if (strcmp(s, "max") == 0)
			d = 0;
		else if (parse_double(s, &d) || !(d > f->dmin && d <= f->dmax))
			return -1;
		memcpy(p, &d, sizeof(d));
		return 0;
	case T_DECIMAL: {
		int dp = f->dp_key ? *((uint8_t *)base + f->dp_off) : f->dp;
		if (trd_dec_parse_str(s, dp, &i64) != 0 ||
		    ((f->flags & F_POSITIVE) && i64 <= 0) ||
		    ((f->flags & F_RANGE) &&
		     (i64 < (__int128)f->min * trd_pow10[dp] ||
		      i64 > (__int128)f->max * trd_pow10[dp])))
			return -1;
		memcpy(p, &i64, sizeof(i64));
		return 0;
	}
	case T_NAME:
		if (n >= f->size || !name_valid(s, f->size - 1, f->chars))
			return -1;
		memcpy(p, s, n + 1);
		return 0;
	case T_MAP:
	case T_LIST:
	case T_SYMLIST:
	case T_FEATLIST:
	case T_PARAMS:
		break;
	}
	return -1;
}

static yaml_node_t *
node(struct ctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

/* The value under key in map, or NULL. */
static yaml_node_t *
map_get(struct ctx *c, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pr;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(c, pr->key);
		if (k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return node(c, pr->value);
	}
	return NULL;
}

static void parse_map(struct ctx *, yaml_node_t *, const yaml_mark_t *,
		      const struct schema *, void *, const char *);

static void
parse_list(struct ctx *c, const struct field *f, yaml_node_t *seq,
	   void *base, const char *path)
{
	const struct schema *s = f->sub;
	char d[256], sub[KEY_SZ + 24];
	size_t n;
	char *elems;

	if (seq->type != YAML_SEQUENCE_NODE) {
		bad_value(c, f, base, seq, path);
		return;
	}
	n = (size_t)(seq->data.sequence.items.top -
		     seq->data.sequence.items.start);
	if (n < f->min || n > f->max) {
		err_at(c, &seq->start_mark, path, "expected %s, found %zu",
		       describe(d, sizeof(d), f, base), n);
		return;
	}
	if (n == 0)
		return;
	if ((elems = calloc(n, s->elem_size)) == NULL) {
		err_at(c, &seq->start_mark, path, "out of memory");
		return;
	}
	/* Owned by base from here on, so free_fields() finds it. */
	*(char **)((char *)base + f->off) = elems;
	*(size_t *)((char *)base + f->count_off) = n;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = node(c, seq->data.sequence.items.start[i]);
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (e->type != YAML_MAPPING_NODE) {
			char q[QUOTE_SZ];
			err_at(c, &e->start_mark, sub,
			       "expected a map, found %s", found(q, e));
			continue;
		}
		parse_map(c, e, &e->start_mark, s, elems + i * s->elem_size,
			  sub);
	}
	if (s->check_list)
		s->check_list(c, seq, elems, n, path);
}

/* T_SYMLIST: a list of distinct symbols.  A bad element is reported and
 * left NULL; the others are kept so later checks still see them. */
static void
parse_symlist(struct ctx *c, const struct field *f, yaml_node_t *seq,
	      void *base, const char *path)
{
	yaml_node_item_t *it = seq->data.sequence.items.start;
	char d[256], q[QUOTE_SZ], sub[KEY_SZ + 24];
	char **syms;
	size_t n, i, j;

	if (seq->type != YAML_SEQUENCE_NODE) {
		bad_value(c, f, base, seq, path);
		return;
	}
	n = (size_t)(seq->data.sequence.items.top - it);
	if (n < f->min || n > f->max) {
		err_at(c, &seq->start_mark, path, "expected %s, found %zu",
		       describe(d, sizeof(d), f, base), n);
		return;
	}
	if (n == 0)
		return;
	if ((syms = calloc(n, sizeof(*syms))) == NULL) {
		err_at(c, &seq->start_mark, path, "out of memory");
		return;
	}
	/* Owned by base from here on, so free_fields() finds it. */
	*(char ***)((char *)base + f->off) = syms;
	*(size_t *)((char *)base + f->count_off) = n;
	for (i = 0; i < n; i++) {
		yaml_node_t *e = node(c, it[i]);
		const char *v = (const char *)e->data.scalar.value;

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (f->type == T_FEATLIST) {
			char ferr[256];
			if (e->type != YAML_SCALAR_NODE || is_null(e) ||
			    strlen(v) != e->data.scalar.length) {
				err_at(c, &e->start_mark, sub, "expected a "
				       "feature name such as rsi(14), found %s",
				       found(q, e));
				continue;
			}
			if (trd_feature_expand(v, NULL, 0, ferr,
					       sizeof(ferr)) < 0) {
				err_at(c, &e->start_mark, sub, "%s", ferr);
				continue;
			}
		} else if (e->type != YAML_SCALAR_NODE || is_null(e) ||
		    strlen(v) != e->data.scalar.length ||
		    !trd_symbol_valid(v)) {
			err_at(c, &e->start_mark, sub, "expected a symbol of 1 "
			       "to %d characters from [A-Za-z0-9._-], found %s",
			       TRD_SYMBOL_MAX, found(q, e));
			continue;
		}
		for (j = 0; j < i; j++)
			if (syms[j] && strcmp(syms[j], v) == 0)
				break;
		if (j < i)
			err_at(c, &e->start_mark, sub, "duplicate %s %s, "
			       "already given at line %zu (%s[%zu])",
			       f->type == T_FEATLIST ? "feature" : "symbol", v,
			       node(c, it[j])->start_mark.line + 1, path, j);
		else if ((syms[i] = strdup(v)) == NULL)
			err_at(c, &e->start_mark, sub, "out of memory");
	}
}

/* T_PARAMS: free-form, so only the shape is checked here (names, scalar
 * values, no duplicates, at most CONF_MAX_PARAMS); the plugin checks the
 * values.  A null map is an empty one. */
static void
parse_params(struct ctx *c, const struct field *f, yaml_node_t *map,
	     void *base, const char *path)
{
	yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	char q[QUOTE_SZ], sub[KEY_SZ];
	struct trd_param_kv *kv;
	size_t n, i, j;

	if (is_null(map))
		return;
	if (map->type != YAML_MAPPING_NODE) {
		bad_value(c, f, base, map, path);
		return;
	}
	n = (size_t)(map->data.mapping.pairs.top - pr);
	if (n > CONF_MAX_PARAMS) {
		err_at(c, &map->start_mark, path, "expected at most %d "
		       "parameters, found %zu", CONF_MAX_PARAMS, n);
		return;
	}
	if (n == 0)
		return;
	if ((kv = calloc(n, sizeof(*kv))) == NULL) {
		err_at(c, &map->start_mark, path, "out of memory");
		return;
	}
	*(struct trd_param_kv **)((char *)base + f->off) = kv;
	*(size_t *)((char *)base + f->count_off) = n;
	for (i = 0; i < n; i++) {
		yaml_node_t *k = node(c, pr[i].key), *v = node(c, pr[i].value);
		const char *name = (const char *)k->data.scalar.value;
		const char *val = (const char *)v->data.scalar.value;

		if (k->type != YAML_SCALAR_NODE) {
			err_at(c, &k->start_mark, path, "expected a key, "
			       "found %s", found(q, k));
			continue;
		}
		join(sub, path, name, k->data.scalar.length);
		if (strlen(name) != k->data.scalar.length ||
		    !name_valid(name, CONF_NAME_MAX, "_")) {
			err_at(c, &k->start_mark, path, "expected a parameter "
			       "name of 1 to %d characters from [A-Za-z0-9_], "
			       "found %s", CONF_NAME_MAX,
			       quote(q, name, k->data.scalar.length));
			continue;
		}
		for (j = 0; j < i; j++) {
			yaml_node_t *kj = node(c, pr[j].key);
			if (kj->type == YAML_SCALAR_NODE &&
			    strcmp((char *)kj->data.scalar.value, name) == 0)
				break;
		}
		if (j < i) {
			err_at(c, &k->start_mark, sub, "duplicate key (first "
			       "given at line %zu)",
			       node(c, pr[j].key)->start_mark.line + 1);
			continue;
		}
		if (v->type != YAML_SCALAR_NODE || is_null(v)) {
			err_at(c, &v->start_mark, sub, "expected a scalar "
			       "value, found %s", found(q, v));
			continue;
		}
		for (j = 0; j < v->data.scalar.length; j++)
			if ((unsigned char)val[j] < 0x20 || val[j] == 0x7f)
				break;
		if (j < v->data.scalar.length) {
			err_at(c, &v->start_mark, sub, "expected a scalar "
			       "value without control characters, found %s",
			       found(q, v));
			continue;
		}
		kv[i].line = (int)v->start_mark.line + 1;
		if ((kv[i].key = strdup(name)) == NULL ||
		    (kv[i].value = strdup(val)) == NULL)
			err_at(c, &v->start_mark, sub, "out of memory");
	}
}

/* Apply f to the value v (k is its key), or its default when v is NULL. */
static void
parse_value(struct ctx *c, const struct field *f, yaml_node_t *k,
	    yaml_node_t *v, void *base, const char *path)
{
	int rc;

	if (f->type == T_MAP) {
		if (v != NULL && v->type == YAML_MAPPING_NODE)
			parse_map(c, v, &v->start_mark, f->sub, base, path);
		else if (v == NULL || is_null(v))
			parse_map(c, NULL, &k->start_mark, f->sub, base, path);
		else
			bad_value(c, f, base, v, path);
		return;
	}
	if (f->type == T_LIST || f->type == T_SYMLIST ||
	    f->type == T_FEATLIST || f->type == T_PARAMS) {
		if (v == NULL)
			return;
		if (f->type == T_LIST)
			parse_list(c, f, v, base, path);
		else if (f->type == T_SYMLIST || f->type == T_FEATLIST)
			parse_symlist(c, f, v, base, path);
		else
			parse_params(c, f, v, base, path);
		return;
	}
	if (v == NULL) {
		if (f->type == T_TIME)
			memcpy((char *)base + f->off, &f->absent,
			       sizeof(int64_t));
		else if (f->def && set_scalar(f, base, f->def) == -ENOMEM)
			err_at(c, &k->start_mark, path, "out of memory");
		return;
	}
	/* A NUL inside the value ("\0" in a double-quoted string) would
	 * silently cut it short. */
	if (v->type != YAML_SCALAR_NODE || is_null(v) ||
	    strlen((char *)v->data.scalar.value) != v->data.scalar.length) {
		bad_value(c, f, base, v, path);
		return;
	}
	rc = set_scalar(f, base, (char *)v->data.scalar.value);
	if (rc == -ENOMEM)
		err_at(c, &v->start_mark, path, "out of memory");
	else if (rc != 0)
		bad_value(c, f, base, v, path);
}

/*
 * Fill base from map (NULL: an absent or null map, reported at mark) by
 * schema s: defaults first, then the file's values, then missing required
 * keys, then s->check.
 */
static void
parse_map(struct ctx *c, yaml_node_t *map, const yaml_mark_t *mark,
	  const struct schema *s, void *base, const char *path)
{
	yaml_node_t *keys[CONF_MAX_FIELDS] = { 0 }, *vals[CONF_MAX_FIELDS];
	char sub[KEY_SZ], q[QUOTE_SZ];
	int nerr = c->nerr;
	size_t i;

	for (i = 0; map != NULL && i < (size_t)(map->data.mapping.pairs.top -
						map->data.mapping.pairs.start);
	     i++) {
		yaml_node_pair_t *pr = map->data.mapping.pairs.start + i;
		yaml_node_t *k = node(c, pr->key);
		const char *name;
		size_t j, len;

		if (k->type != YAML_SCALAR_NODE) {
			err_at(c, &k->start_mark, path, "expected a key, "
			       "found %s", found(q, k));
			continue;
		}
		name = (const char *)k->data.scalar.value;
		len = k->data.scalar.length;
		join(sub, path, name, len);
		for (j = 0; j < s->nfields; j++)
			if (strlen(s->fields[j].key) == len &&
			    memcmp(s->fields[j].key, name, len) == 0)
				break;
		if (j == s->nfields) {
			char list[512];
			size_t o = 0;
			for (j = 0; j < s->nfields && o < sizeof(list); j++)
				o += (size_t)snprintf(list + o,
						      sizeof(list) - o, "%s%s",
						      j ? ", " : "",
						      s->fields[j].key);
			err_at(c, &k->start_mark, sub,
			       "unknown key (expected one of %s)", list);
		} else if (keys[j] != NULL) {
			err_at(c, &k->start_mark, sub, "duplicate key (first "
			       "given at line %zu)",
			       keys[j]->start_mark.line + 1);
		} else {
			keys[j] = k;
			vals[j] = node(c, pr->value);
		}
	}
	for (i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		yaml_node_t k = { .start_mark = *mark };

		join(sub, path, f->key, strlen(f->key));
		if (keys[i] == NULL && (f->flags & F_REQUIRED))
			err_at(c, mark, sub, "required key missing");
		else if (keys[i] == NULL)
			parse_value(c, f, &k, NULL, base, sub);
		else {
			/* The default first, so a bad dp still leaves a
			 * sane scale for the decimals after it. */
			if (f->type != T_MAP && f->type != T_LIST)
				parse_value(c, f, keys[i], NULL, base, sub);
			parse_value(c, f, keys[i], vals[i], base, sub);
		}
	}
	if (s->check && c->nerr == nerr)
		s->check(c, map, mark, base);
}

static void
check_instruments(struct ctx *c, yaml_node_t *seq, void *elems, size_t n,
		  const char *path)
{
	struct trd_instrument_conf *in = elems;
	yaml_node_item_t *it = seq->data.sequence.items.start;
	char sub[KEY_SZ + 32];

	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; in[i].symbol[0] && j < i; j++) {
			yaml_node_t *a, *b;
			if (strcmp(in[i].symbol, in[j].symbol) != 0)
				continue;
			a = map_get(c, node(c, it[j]), "symbol");
			b = map_get(c, node(c, it[i]), "symbol");
			snprintf(sub, sizeof(sub), "%s[%zu].symbol", path, i);
			err_at(c, &b->start_mark, sub, "duplicate symbol %s, "
			       "already given at line %zu (%s[%zu])",
			       in[i].symbol, a->start_mark.line + 1, path, j);
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
			if (strcmp(st[i].name, st[j].name) != 0)
				continue;
			snprintf(sub, sizeof(sub), "%s[%zu].name", path, i);
			err_at(c, &map_get(c, e, "name")->start_mark, sub,
			       "duplicate strategy name %s, already given at "
			       "line %zu (%s[%zu])", st[i].name,
			       map_get(c, node(c, it[j]), "name")
				       ->start_mark.line + 1, path, j);
			break;
		}
		if (!known || (syms = map_get(c, e, "symbols")) == NULL)
			continue;
		for (size_t k = 0; k < st[i].nsymbols; k++) {
			if (st[i].symbols[k] == NULL ||
			    trd_config_instrument(c->cf, st[i].symbols[k]))
				continue;
			snprintf(sub, sizeof(sub), "%s[%zu].symbols[%zu]", path,
				 i, k);
			err_at(c, &node(c, syms->data.sequence.items.start[k])
					   ->start_mark, sub,
			       "unknown symbol \"%s\": not in instruments",
			       st[i].symbols[k]);
		}
	}
}

static void
check_replay(struct ctx *c, yaml_node_t *map, const yaml_mark_t *mark,
	     void *base)
{
	struct trd_config *cf = base;
	char a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ];
	yaml_node_t *to = map_get(c, map, "to");

	if (cf->replay.from_ns == TRD_TIME_MIN ||
	    cf->replay.to_ns == TRD_TIME_MAX ||
	    cf->replay.from_ns < cf->replay.to_ns)
		return;
	err_at(c, to ? &to->start_mark : mark, "replay.to",
	       "expected a time after replay.from (%s), found %s",
	       trd_time_format(cf->replay.from_ns, a),
	       trd_time_format(cf->replay.to_ns, b));
}

static void
check_store(struct ctx *c, yaml_node_t *map, const yaml_mark_t *mark,
	    void *base)
{
	struct trd_config *cf = base;
	yaml_node_t *n = map_get(c, map, "map_size_mb");

	if (cf->store.map_size_mb <= cf->store.map_max_mb)
		return;
	err_at(c, n ? &n->start_mark : mark, "store.map_size_mb",
	       "expected at most store.map_max_mb (%llu), found %llu",
	       (unsigned long long)cf->store.map_max_mb,
	       (unsigned long long)cf->store.map_size_mb);
}

/* A libyaml error, at the best position libyaml gives. */
static void
yaml_error(struct ctx *c, const yaml_parser_t *p, const unsigned char *buf,
	   size_t len)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR) {
		err_at(c, NULL, NULL, "out of memory");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* The reader gives a byte offset, not a mark. */
		memset(&m, 0, sizeof(m));
		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			if (buf[i] == '\n')
				m.line++, m.column = 0;
			else
				m.column++;
		}
		if (p->problem_value != -1) {
			err_at(c, &m, NULL, "YAML: %s (byte 0x%02x)", problem,
			       (unsigned)p->problem_value & 0xff);
			return;
		}
	}
	if (p->context)
		err_at(c, &m, NULL, "YAML: %s %s at line %zu, column %zu",
		       problem, p->context, p->context_mark.line + 1,
		       p->context_mark.column + 1);
	else
		err_at(c, &m, NULL, "YAML: %s", problem);
}

/*
 * First pass: syntax errors, aliases, a second document and nesting deeper
 * than CONF_MAX_DEPTH, each reported where it is.  Returns 0 if the file
 * may be loaded, TRD_ECONFIG or -ENOMEM.
 */
static int
prescan(struct ctx *c, const unsigned char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, ndocs = 0, nerr = c->nerr, done = 0;
	char q[QUOTE_SZ];

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_error(c, &p, buf, len);
			break;
		}
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			err_at(c, &ev.start_mark, NULL, "YAML aliases are "
			       "not supported (*%s): write the value out",
			       quote(q, (char *)ev.data.alias.anchor,
				     strlen((char *)ev.data.alias.anchor)));
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				err_at(c, &ev.start_mark, NULL, "expected one "
				       "YAML document, found a second one");
				done = 1;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > CONF_MAX_DEPTH) {
				err_at(c, &ev.start_mark, NULL, "expected at "
				       "most %d levels of nesting",
				       CONF_MAX_DEPTH);
				done = 1;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return c->nerr == nerr ? 0 : TRD_ECONFIG;
}

/* Read path whole into *buf.  Returns 0, -errno, or TRD_ECONFIG. */
static int
slurp(struct ctx *c, const char *path, unsigned char **buf, size_t *len)
{
	size_t cap = 0, n = 0;
	unsigned char *b = NULL, *nb;
	ssize_t r;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = -errno;
		err_at(c, NULL, NULL, "%s", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > CONF_MAX_BYTES + 1)
				cap = CONF_MAX_BYTES + 1;
			if (n == cap) {
				err_at(c, NULL, NULL, "expected at most %u "
				       "bytes, the file is larger",
				       CONF_MAX_BYTES);
				rc = TRD_ECONFIG;
				break;
			}
			if ((nb = realloc(b, cap)) == NULL) {
				rc = -ENOMEM;
				err_at(c, NULL, NULL, "out of memory");
				break;
			}
			b = nb;
		}
		if ((r = read(fd, b + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			err_at(c, NULL, NULL, "%s", strerror(-rc));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc != 0) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

int
trd_config_load(const char *path, struct trd_config **out, int *nerrors)
{
	struct ctx c = { .file = path };
	struct trd_config *cf = NULL;
	unsigned char *buf = NULL;
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t len = 0;
	char q[QUOTE_SZ];
	int rc, have_doc = 0;

	if ((rc = slurp(&c, path, &buf, &len)) != 0 ||
	    (rc = prescan(&c, buf, len)) != 0)
		goto out;
	if (!yaml_parser_initialize(&p)) {
		rc = -ENOMEM;
		goto out;
	}
	yaml_parser_set_input_string(&p, buf, len);
	if (!yaml_parser_load(&p, &doc))
		yaml_error(&c, &p, buf, len);
	else
		have_doc = 1;
	yaml_parser_delete(&p);
	if (!have_doc)
		goto out;
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || is_null(root)) {
		yaml_mark_t m = { 0, 0, 0 };
		err_at(&c, root ? &root->start_mark : &m, NULL, "expected a "
		       "map of keys (mode, instruments, ...), found an empty "
		       "file");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		err_at(&c, &root->start_mark, NULL, "expected a map of keys "
		       "at the top level, found %s", found(q, root));
		goto out;
	}
	if ((cf = calloc(1, sizeof(*cf))) == NULL ||
	    (cf->path = strdup(path)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	c.cf = cf;
	parse_map(&c, root, &root->start_mark, &config_schema, cf, "");
out:
	if (have_doc)
		yaml_document_delete(&doc);
	free(buf);
	if (rc == 0 && c.nerr > 0)
		rc = TRD_ECONFIG;
	if (rc == -ENOMEM && c.nerr == 0)
		err_at(&c, NULL, NULL, "out of memory");
	flush_errors(&c);
	if (nerrors != NULL)
		*nerrors = c.nerr;
	if (rc == 0)
		*out = cf;
	else
		trd_config_free(cf);
	return rc;
}

static void
free_fields(const struct schema *s, void *base)
{
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		char **p = (char **)((char *)base + f->off);

		if (f->type == T_STRING) {
			free(*p);
			*p = NULL;
		} else if (f->type == T_MAP) {
			free_fields(f->sub, base);
		} else if ((f->type == T_SYMLIST || f->type == T_FEATLIST) &&
			   *p != NULL) {
			size_t *n = (size_t *)((char *)base + f->count_off);
			char **syms = *(char ***)p;
			for (size_t j = 0; j < *n; j++)
				free(syms[j]);
			free(*p);
			*p = NULL;
			*n = 0;
		} else if (f->type == T_PARAMS && *p != NULL) {
			size_t *n = (size_t *)((char *)base + f->count_off);
			struct trd_param_kv *kv = *(struct trd_param_kv **)p;
			for (size_t j = 0; j < *n; j++) {
				free(kv[j].key);
				free(kv[j].value);
			}
			free(*p);
			*p = NULL;
			*n = 0;
		} else if (f->type == T_LIST && *p != NULL) {
			size_t *n = (size_t *)((char *)base + f->count_off);
			for (size_t j = 0; j < *n; j++)
				free_fields(f->sub,
					    *p + j * f->sub->elem_size);
			free(*p);
			*p = NULL;
			*n = 0;
		}
	}
}

void
trd_config_free(struct trd_config *c)
{
	if (c == NULL)
		return;
	free_fields(&config_schema, c);
	free(c->path);
	free(c);
}

/*
 * Whether a and b differ in a key of s that may not be reloaded.  Writes
 * the first such key to key.
 */
static int
differs(const struct schema *s, const char *a, const char *b,
	const char *path, char *key, size_t keylen)
{
	char sub[KEY_SZ];

	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		const char *pa = a + f->off, *pb = b + f->off;
		int d = 0;

		join(sub, path, f->key, strlen(f->key));
		if (f->type == T_MAP) {
			if (differs(f->sub, a, b, sub, key, keylen))
				return 1;
			continue;
		}
		if (f->flags & F_RELOAD)
			continue;
		switch (f->type) {
		case T_STRING: {
			const char *sa = *(char *const *)pa;
			const char *sb = *(char *const *)pb;
			d = strcmp(sa ? sa : "", sb ? sb : "") != 0;
			break;
		}
		case T_SYMBOL:
		case T_NAME:
			d = strcmp(pa, pb) != 0;
			break;
		case T_SYMLIST:
		case T_FEATLIST: {
			size_t na = *(const size_t *)(a + f->count_off);
			char *const *xa = *(char **const *)pa;
			char *const *xb = *(char **const *)pb;

			d = na != *(const size_t *)(b + f->count_off);
			for (size_t j = 0; !d && j < na; j++)
				d = strcmp(xa[j], xb[j]) != 0;
			break;
		}
		case T_PARAMS: {
			size_t na = *(const size_t *)(a + f->count_off);
			const struct trd_param_kv *xa =
				*(struct trd_param_kv *const *)pa;
			const struct trd_param_kv *xb =
				*(struct trd_param_kv *const *)pb;

			d = na != *(const size_t *)(b + f->count_off);
			for (size_t j = 0; !d && j < na; j++)
				d = strcmp(xa[j].key, xb[j].key) != 0 ||
				    strcmp(xa[j].value, xb[j].value) != 0;
			break;
		}
		case T_LIST: {
			size_t na = *(const size_t *)(a + f->count_off);
			size_t nb = *(const size_t *)(b + f->count_off);
			const char *ea = *(char *const *)pa;
			const char *eb = *(char *const *)pb;
			size_t sz = f->sub->elem_size;
			char el[KEY_SZ + 24];

			d = na != nb;
			for (size_t j = 0; !d && j < na; j++) {
				snprintf(el, sizeof(el), "%s[%zu]", sub, j);
				if (differs(f->sub, ea + j * sz, eb + j * sz,
					    el, key, keylen))
					return 1;
			}
			break;
		}
		default:
			/* Scalars: the members are integers, or doubles
			 * that are never NaN. */
			d = memcmp(pa, pb, f->size) != 0;
			break;
		}
		if (d) {
			snprintf(key, keylen, "%s", sub);
			return 1;
		}
	}
	return 0;
}

int
trd_config_reloadable(const struct trd_config *cur,
		      const struct trd_config *next, char *key, size_t keylen)
{
	if (differs(&config_schema, (const char *)cur, (const char *)next,
		    "", key, keylen))
		return 0;
	if (keylen > 0)
		key[0] = '\0';
	return 1;
}

const struct trd_instrument_conf *
trd_config_instrument(const struct trd_config *c, const char *symbol)
{
	for (size_t i = 0; i < c->ninstruments; i++)
		if (strcmp(c->instruments[i].symbol, symbol) == 0)
			return &c->instruments[i];
	return NULL;
}

const char *
trd_mode_name(enum trd_mode m)
{
	for (const struct enumval *e = mode_names; e->name; e++)
		if (e->value == (int)m)
			return e->name;
	return "?";
}
