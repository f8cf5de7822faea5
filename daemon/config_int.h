/*
 * config_int: what the three config files share.  Private to config.
 *
 *   config.c         the generation: load, free, the reload rule, lookups.
 *   config_schema.c  every key (the tables) and the cross-key checks.
 *   config_yaml.c    reading the file and walking it against a schema,
 *                    and collecting the errors found on the way.
 *
 * A schema is data: the walk in config_yaml.c, free_fields() and
 * differs() in config.c all interpret the same tables, so a key declared
 * once is parsed, freed and compared for reload with no code of its own.
 */
#ifndef TRD_CONFIG_INT_H
#define TRD_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config.h"

#define CONF_MAX_ERRORS 100         /* logged; the rest are only counted */
#define CONF_MAX_FIELDS 32          /* keys in one schema map */
#define CONF_STR_MAX    4095        /* bytes in a string value (a path) */
#define QUOTE_SZ        200         /* quote() output: 40 bytes escaped */
#define KEY_SZ          256         /* a dotted key path */

/* An error, kept so they can be logged in file order. */
struct msg {
	size_t line, col, seq;
	char  *text;
};

/* One load: the file's name for messages, the document being walked and
 * the errors found so far. */
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
 * describe() and to set_scalar() or parse_value() (config_yaml.c), and to
 * free_fields() and differs() (config.c) if it owns memory or cannot be
 * compared with memcmp().
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
	T_NAMELIST,  /* like T_SYMLIST, of names from [A-Za-z0-9] and
		      * .chars (the map's check gives them meaning) */
	T_PARAMS,    /* struct trd_param_kv * at .off, size_t at .count_off:
		      * a map of names to scalars, kept as text */
};

#define F_REQUIRED 0x1 /* no default: missing is an error */
#define F_RELOAD   0x2 /* may differ between generations (SIGHUP) */
#define F_POSITIVE 0x4 /* T_DECIMAL: must be > 0 */
#define F_RANGE    0x8 /* T_DECIMAL: in [.min, .max] (whole units) */
#define F_BAR      0x10 /* T_TIMEFRAME: also "bar", stored as 0 */
#define F_AUTO     0x20 /* T_TIMEFRAME: also "auto", stored as 0 */
#define F_PATH     0x40 /* T_STRING: a file name; relative ones resolve
			 * against the config file's directory */

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

/* Node i of the document being walked (an index from a pair or item). */
static inline yaml_node_t *
node(struct ctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

/* The schema (config_schema.c): the top level, every key of struct
 * trd_config, and mode's names for trd_mode_name(). */
extern const struct schema trd__config_schema;
extern const struct enumval trd__config_mode_names[];

/*
 * Errors (config_yaml.c).  Every error goes through trd__config_err_at()
 * so they all read FILE:LINE:COL: KEY.PATH: message, or FILE: message for
 * the file as a whole (m NULL); key NULL or "" leaves the key out.  The
 * first CONF_MAX_ERRORS are kept, the rest only counted in c->nerr.
 * trd__config_flush_errors() logs the kept ones in file order and frees
 * them.
 */
void trd__config_err_at(struct ctx *c, const yaml_mark_t *m, const char *key,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void trd__config_flush_errors(struct ctx *c);
/* dst (KEY_SZ bytes) = path.key, with key cut and made printable. */
void trd__config_join(char *dst, const char *path, const char *key,
		      size_t klen);
/* Whether n is null: a plain (unquoted) scalar that is empty, ~, null,
 * Null or NULL.  A quoted "" is an empty string, not null. */
int trd__config_is_null(const yaml_node_t *n);
/* What the file has at n, for "found ...": "a map", "a list", "null" or
 * the scalar quoted into buf (QUOTE_SZ bytes).  Valid as long as buf. */
const char *trd__config_found(char *buf, const yaml_node_t *n);

/* What f accepts, in words, into buf (base NULL: in general). */
const char *trd__config_describe(char *buf, size_t len, const struct field *f,
				 const void *base);

/* The document (config_yaml.c). */
/* The value under key in map (NULL: none, or map is not a map). */
yaml_node_t *trd__config_map_get(struct ctx *c, yaml_node_t *map,
				 const char *key);
/*
 * Fill base from map (NULL: an absent or null map, reported at mark) by
 * schema s, path being the key path to map ("" at the top): defaults
 * first, then the file's values, then missing required keys, then
 * s->check.  Errors are collected in c; whatever was allocated is owned by
 * base (free_fields()) even when some keys failed.
 */
void trd__config_parse_map(struct ctx *c, yaml_node_t *map,
			   const yaml_mark_t *mark, const struct schema *s,
			   void *base, const char *path);

/* Input (config_yaml.c). */
/* Read path whole into *buf (caller frees).  0, -errno, or TRD_ECONFIG
 * (larger than the limit); every failure is reported in c. */
int trd__config_slurp(struct ctx *c, const char *path, unsigned char **buf,
		      size_t *len);
/*
 * First pass over buf: syntax errors, aliases, a second document and
 * nesting deeper than the limit, each reported where it is.  Returns 0 if
 * the file may be loaded, TRD_ECONFIG or -ENOMEM.
 */
int trd__config_prescan(struct ctx *c, const unsigned char *buf, size_t len);
/* Report parser p's error (buf[0..len) is its input, for positions). */
void trd__config_yaml_error(struct ctx *c, const yaml_parser_t *p,
			    const unsigned char *buf, size_t len);

#endif
