/*
 * config_yaml: reading a config file and walking it against a schema.
 *
 * The file is read whole (at most CONF_MAX_BYTES), scanned once as a stream
 * of events to reject what the schema never needs and what makes a YAML
 * document expensive or ambiguous (aliases, a second document, nesting
 * deeper than CONF_MAX_DEPTH), each with its exact position, then loaded as
 * a document and walked against the schema tables (config_schema.c).  Only
 * the schema decides which nodes are visited, so the walk is bounded by the
 * schema, not by the file.
 *
 * Scalars are read as text whatever their quoting style: `speed: "500"` is
 * `speed: 500`, and quoting a decimal (`tick_size: "0.01"`) is allowed.
 * A plain empty value, `~` or `null` is null: it means "empty map" where a
 * map is expected and is an error everywhere else.
 *
 * Invariants: an error is never logged where it is found.  It is kept in
 * the struct ctx with its position, and trd__config_flush_errors() logs
 * them all at the end in file order, so the operator fixes the file in one
 * pass.  Whatever the walk allocates is hung on the generation as soon as
 * it exists, so free_fields() releases it whether or not the walk
 * succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config_int.h"
#include "decimal.h"
#include "errors.h"
#include "feature.h"
#include "store.h"
#include "timefmt.h"

#define CONF_MAX_BYTES  (16u << 20) /* no sane config comes near this */
#define CONF_MAX_DEPTH  32          /* nesting of maps and lists */
#define CONF_MAX_PARAMS 64          /* in one strategy's params */
#define CONF_NAME_MAX   63          /* a strategy parameter's name */

/*
 * Reporting.  Every error goes through trd__config_err_at() so they all
 * read FILE:LINE:COL: KEY.PATH: message (libyaml marks are 0-based), or
 * FILE: message for the file as a whole.  They are found in schema order
 * and logged by trd__config_flush_errors() in file order.
 */
void
trd__config_err_at(struct ctx *c, const yaml_mark_t *m, const char *key,
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

void
trd__config_flush_errors(struct ctx *c)
{
	int n = c->nerr < CONF_MAX_ERRORS ? c->nerr : CONF_MAX_ERRORS;

	qsort(c->msgs, (size_t)n, sizeof(c->msgs[0]), msg_cmp);
	for (int i = 0; i < n; i++) {
		trd_log(TRD_LOG_ERROR, "config", "%s",
			c->msgs[i].text ? c->msgs[i].text : "out of memory");
		free(c->msgs[i].text);
	}
	if (c->nerr > CONF_MAX_ERRORS)
		trd_log(TRD_LOG_ERROR, "config", "%s: %d more errors "
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
void
trd__config_join(char *dst, const char *path, const char *key, size_t klen)
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

int
trd__config_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* What the file has at n, for "found ...".  buf holds QUOTE_SZ bytes. */
const char *
trd__config_found(char *buf, const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a map";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (trd__config_is_null(n))
		return "null";
	return quote(buf, (const char *)n->data.scalar.value,
		     n->data.scalar.length);
}

/* What f accepts, for "expected ..." (and the man page: base NULL). */
const char *
trd__config_describe(char *buf, size_t len, const struct field *f,
		     const void *base)
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
			 f->flags & F_BAR    ? ", or bar"
			 : f->flags & F_AUTO ? ", or auto"
					     : "");
		break;
	case T_SPEED:
		snprintf(buf, len, "a number > %.15g and <= %.15g, or max",
			 f->dmin, f->dmax);
		break;
	case T_DECIMAL: {
		unsigned dp = f->dp_key && base
				      ? *((const uint8_t *)base + f->dp_off)
				      : (unsigned)f->dp;
		o = (size_t)snprintf(buf, len, "a decimal number%s",
				     f->flags & F_POSITIVE ? " > 0" : "");
		if (f->dp_key && base == NULL) {
			snprintf(buf + o, len - o, " with at most %s decimals",
				 f->dp_key);
			break;
		}
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
	case T_NAMELIST:
		snprintf(buf, len, "a list of %llu to %llu %s",
			 (unsigned long long)f->min,
			 (unsigned long long)f->max,
			 f->type == T_LIST ? "maps"
			 : f->type == T_FEATLIST ? "feature names"
			 : f->type == T_NAMELIST ? "names" : "symbols");
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

	trd__config_err_at(c, &n->start_mark, path, "expected %s, found %s",
			   trd__config_describe(d, sizeof(d), f, base),
			   trd__config_found(q, n));
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
		if (((f->flags & F_BAR) && strcmp(s, "bar") == 0) ||
		    ((f->flags & F_AUTO) && strcmp(s, "auto") == 0))
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
	case T_NAMELIST:
	case T_PARAMS:
		break;
	}
	return -1;
}

/* The value under key in map, or NULL. */
yaml_node_t *
trd__config_map_get(struct ctx *c, yaml_node_t *map, const char *key)
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
		trd__config_err_at(c, &seq->start_mark, path,
				   "expected %s, found %zu",
				   trd__config_describe(d, sizeof(d), f, base), n);
		return;
	}
	if (n == 0)
		return;
	if ((elems = calloc(n, s->elem_size)) == NULL) {
		trd__config_err_at(c, &seq->start_mark, path, "out of memory");
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
			trd__config_err_at(c, &e->start_mark, sub,
					   "expected a map, found %s",
					   trd__config_found(q, e));
			continue;
		}
		trd__config_parse_map(c, e, &e->start_mark, s,
				      elems + i * s->elem_size, sub);
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
		trd__config_err_at(c, &seq->start_mark, path,
				   "expected %s, found %zu",
				   trd__config_describe(d, sizeof(d), f, base), n);
		return;
	}
	if (n == 0)
		return;
	if ((syms = calloc(n, sizeof(*syms))) == NULL) {
		trd__config_err_at(c, &seq->start_mark, path, "out of memory");
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
			if (e->type != YAML_SCALAR_NODE ||
			    trd__config_is_null(e) ||
			    strlen(v) != e->data.scalar.length) {
				trd__config_err_at(c, &e->start_mark, sub,
						   "expected a feature name "
						   "such as rsi(14), found %s",
						   trd__config_found(q, e));
				continue;
			}
			if (trd_feature_expand(v, NULL, 0, ferr,
					       sizeof(ferr)) < 0) {
				trd__config_err_at(c, &e->start_mark, sub, "%s",
						   ferr);
				continue;
			}
		} else if (f->type == T_NAMELIST) {
			if (e->type != YAML_SCALAR_NODE ||
			    trd__config_is_null(e) ||
			    strlen(v) != e->data.scalar.length ||
			    strlen(v) > 63 || !name_valid(v, 63, f->chars)) {
				trd__config_err_at(c, &e->start_mark, sub,
						   "expected a name from "
						   "[A-Za-z0-9%s], found %s",
						   f->chars,
						   trd__config_found(q, e));
				continue;
			}
		} else if (e->type != YAML_SCALAR_NODE ||
		    trd__config_is_null(e) ||
		    strlen(v) != e->data.scalar.length ||
		    !trd_symbol_valid(v)) {
			trd__config_err_at(c, &e->start_mark, sub,
					   "expected a symbol of 1 to %d "
					   "characters from [A-Za-z0-9._-], "
					   "found %s", TRD_SYMBOL_MAX,
					   trd__config_found(q, e));
			continue;
		}
		for (j = 0; j < i; j++)
			if (syms[j] && strcmp(syms[j], v) == 0)
				break;
		if (j < i)
			trd__config_err_at(c, &e->start_mark, sub,
					   "duplicate %s %s, already given at "
					   "line %zu (%s[%zu])",
					   f->type == T_FEATLIST ? "feature"
					   : f->type == T_NAMELIST ? "name"
					   : "symbol", v,
					   node(c, it[j])->start_mark.line + 1,
					   path, j);
		else if ((syms[i] = strdup(v)) == NULL)
			trd__config_err_at(c, &e->start_mark, sub,
					   "out of memory");
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

	if (trd__config_is_null(map))
		return;
	if (map->type != YAML_MAPPING_NODE) {
		bad_value(c, f, base, map, path);
		return;
	}
	n = (size_t)(map->data.mapping.pairs.top - pr);
	if (n > CONF_MAX_PARAMS) {
		trd__config_err_at(c, &map->start_mark, path,
				   "expected at most %d parameters, "
				   "found %zu", CONF_MAX_PARAMS, n);
		return;
	}
	if (n == 0)
		return;
	if ((kv = calloc(n, sizeof(*kv))) == NULL) {
		trd__config_err_at(c, &map->start_mark, path,
				   "out of memory");
		return;
	}
	*(struct trd_param_kv **)((char *)base + f->off) = kv;
	*(size_t *)((char *)base + f->count_off) = n;
	for (i = 0; i < n; i++) {
		yaml_node_t *k = node(c, pr[i].key), *v = node(c, pr[i].value);
		const char *name = (const char *)k->data.scalar.value;
		const char *val = (const char *)v->data.scalar.value;

		if (k->type != YAML_SCALAR_NODE) {
			trd__config_err_at(c, &k->start_mark, path,
					   "expected a key, found %s",
					   trd__config_found(q, k));
			continue;
		}
		trd__config_join(sub, path, name, k->data.scalar.length);
		if (strlen(name) != k->data.scalar.length ||
		    !name_valid(name, CONF_NAME_MAX, "_")) {
			trd__config_err_at(c, &k->start_mark, path,
					   "expected a parameter name of 1 "
					   "to %d characters from "
					   "[A-Za-z0-9_], found %s",
					   CONF_NAME_MAX,
					   quote(q, name,
						 k->data.scalar.length));
			continue;
		}
		for (j = 0; j < i; j++) {
			yaml_node_t *kj = node(c, pr[j].key);
			if (kj->type == YAML_SCALAR_NODE &&
			    strcmp((char *)kj->data.scalar.value, name) == 0)
				break;
		}
		if (j < i) {
			trd__config_err_at(c, &k->start_mark, sub,
					   "duplicate key (first given at "
					   "line %zu)",
					   node(c, pr[j].key)
						   ->start_mark.line + 1);
			continue;
		}
		if (v->type != YAML_SCALAR_NODE || trd__config_is_null(v)) {
			trd__config_err_at(c, &v->start_mark, sub,
					   "expected a scalar value, found %s",
					   trd__config_found(q, v));
			continue;
		}
		for (j = 0; j < v->data.scalar.length; j++)
			if ((unsigned char)val[j] < 0x20 || val[j] == 0x7f)
				break;
		if (j < v->data.scalar.length) {
			trd__config_err_at(c, &v->start_mark, sub,
					   "expected a scalar value without "
					   "control characters, found %s",
					   trd__config_found(q, v));
			continue;
		}
		kv[i].line = (int)v->start_mark.line + 1;
		if ((kv[i].key = strdup(name)) == NULL ||
		    (kv[i].value = strdup(val)) == NULL)
			trd__config_err_at(c, &v->start_mark, sub,
					   "out of memory");
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
			trd__config_parse_map(c, v, &v->start_mark, f->sub,
					      base, path);
		else if (v == NULL || trd__config_is_null(v))
			trd__config_parse_map(c, NULL, &k->start_mark, f->sub,
					      base, path);
		else
			bad_value(c, f, base, v, path);
		return;
	}
	if (f->type == T_LIST || f->type == T_SYMLIST ||
	    f->type == T_FEATLIST || f->type == T_NAMELIST ||
	    f->type == T_PARAMS) {
		if (v == NULL)
			return;
		if (f->type == T_LIST)
			parse_list(c, f, v, base, path);
		else if (f->type == T_SYMLIST || f->type == T_FEATLIST ||
			 f->type == T_NAMELIST)
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
			trd__config_err_at(c, &k->start_mark, path,
					   "out of memory");
		return;
	}
	/* A NUL inside the value ("\0" in a double-quoted string) would
	 * silently cut it short. */
	if (v->type != YAML_SCALAR_NODE || trd__config_is_null(v) ||
	    strlen((char *)v->data.scalar.value) != v->data.scalar.length) {
		bad_value(c, f, base, v, path);
		return;
	}
	rc = set_scalar(f, base, (char *)v->data.scalar.value);
	if (rc == -ENOMEM)
		trd__config_err_at(c, &v->start_mark, path, "out of memory");
	else if (rc != 0)
		bad_value(c, f, base, v, path);
}

/*
 * Fill base from map (NULL: an absent or null map, reported at mark) by
 * schema s: defaults first, then the file's values, then missing required
 * keys, then s->check.
 */
void
trd__config_parse_map(struct ctx *c, yaml_node_t *map,
		      const yaml_mark_t *mark, const struct schema *s,
		      void *base, const char *path)
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
			trd__config_err_at(c, &k->start_mark, path,
					   "expected a key, found %s",
					   trd__config_found(q, k));
			continue;
		}
		name = (const char *)k->data.scalar.value;
		len = k->data.scalar.length;
		trd__config_join(sub, path, name, len);
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
			trd__config_err_at(c, &k->start_mark, sub,
					   "unknown key (expected one of %s)",
					   list);
		} else if (keys[j] != NULL) {
			trd__config_err_at(c, &k->start_mark, sub,
					   "duplicate key (first given at "
					   "line %zu)",
					   keys[j]->start_mark.line + 1);
		} else {
			keys[j] = k;
			vals[j] = node(c, pr->value);
		}
	}
	for (i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		yaml_node_t k = { .start_mark = *mark };

		trd__config_join(sub, path, f->key, strlen(f->key));
		if (keys[i] == NULL && (f->flags & F_REQUIRED))
			trd__config_err_at(c, mark, sub,
					   "required key missing");
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

/* A libyaml error, at the best position libyaml gives. */
void
trd__config_yaml_error(struct ctx *c, const yaml_parser_t *p,
		       const unsigned char *buf, size_t len)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR) {
		trd__config_err_at(c, NULL, NULL, "out of memory");
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
			trd__config_err_at(c, &m, NULL,
					   "YAML: %s (byte 0x%02x)", problem,
					   (unsigned)p->problem_value & 0xff);
			return;
		}
	}
	if (p->context)
		trd__config_err_at(c, &m, NULL,
				   "YAML: %s %s at line %zu, column %zu",
				   problem, p->context,
				   p->context_mark.line + 1,
				   p->context_mark.column + 1);
	else
		trd__config_err_at(c, &m, NULL, "YAML: %s", problem);
}

/*
 * First pass: syntax errors, aliases, a second document and nesting deeper
 * than CONF_MAX_DEPTH, each reported where it is.  Returns 0 if the file
 * may be loaded, TRD_ECONFIG or -ENOMEM.
 */
int
trd__config_prescan(struct ctx *c, const unsigned char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, ndocs = 0, nerr = c->nerr, done = 0;
	const char *anchor;
	char q[QUOTE_SZ];

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			trd__config_yaml_error(c, &p, buf, len);
			break;
		}
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			anchor = (const char *)ev.data.alias.anchor;
			trd__config_err_at(c, &ev.start_mark, NULL,
					   "YAML aliases are not supported "
					   "(*%s): write the value out",
					   quote(q, anchor, strlen(anchor)));
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				trd__config_err_at(c, &ev.start_mark, NULL,
						   "expected one YAML "
						   "document, found a "
						   "second one");
				done = 1;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > CONF_MAX_DEPTH) {
				trd__config_err_at(c, &ev.start_mark, NULL,
						   "expected at most %d "
						   "levels of nesting",
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
int
trd__config_slurp(struct ctx *c, const char *path, unsigned char **buf,
		  size_t *len)
{
	size_t cap = 0, n = 0;
	unsigned char *b = NULL, *nb;
	ssize_t r;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = -errno;
		trd__config_err_at(c, NULL, NULL, "%s", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > CONF_MAX_BYTES + 1)
				cap = CONF_MAX_BYTES + 1;
			if (n == cap) {
				trd__config_err_at(c, NULL, NULL,
						   "expected at most %u "
						   "bytes, the file is larger",
						   CONF_MAX_BYTES);
				rc = TRD_ECONFIG;
				break;
			}
			if ((nb = realloc(b, cap)) == NULL) {
				rc = -ENOMEM;
				trd__config_err_at(c, NULL, NULL,
						   "out of memory");
				break;
			}
			b = nb;
		}
		if ((r = read(fd, b + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			trd__config_err_at(c, NULL, NULL, "%s",
					   strerror(-rc));
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
