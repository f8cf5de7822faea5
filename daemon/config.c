/*
 * config: the generation lifecycle (see config.h).
 *
 * trd_config_load() owns one load from start to end: the file is read and
 * checked as YAML (config_yaml.c), walked against the schema tables
 * (config_schema.c) into a new struct trd_config, and every error found is
 * flushed in file order.  The same tables drive free_fields() and
 * differs(), so a key declared once is parsed, freed and compared for
 * reload with no code of its own.
 *
 * Invariants: a generation is handed out only if no error was found, and
 * is not changed afterwards; on any failure everything allocated for it is
 * freed and *out is left alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_int.h"
#include "errors.h"

/* dir of file (up to its last '/') joined with rel; NULL on ENOMEM. */
static char *
join_dir(const char *file, const char *rel)
{
	const char *slash = strrchr(file, '/');
	size_t dl = slash ? (size_t)(slash - file) + 1 : 0;
	size_t rl = strlen(rel);
	char *p;

	if ((p = malloc(dl + rl + 1)) == NULL)
		return NULL;
	memcpy(p, file, dl);
	memcpy(p + dl, rel, rl + 1);
	return p;
}

/*
 * Every F_PATH string that is relative is made relative to the directory
 * of the config file instead of the working directory, so traderd -c
 * /etc/traderd/x.yaml reads the same files wherever it is started.
 */
static int
resolve_paths(const struct schema *s, void *base, const char *file)
{
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		char **p, *abs;
		if (f->type == T_MAP) {
			if (resolve_paths(f->sub, base, file) != 0)
				return -ENOMEM;
			continue;
		}
		if (f->type == T_LIST) {
			char *v = *(char **)((char *)base + f->off);
			size_t n = *(size_t *)((char *)base + f->count_off);
			for (size_t j = 0; j < n; j++)
				if (resolve_paths(f->sub,
						  v + j * f->sub->elem_size,
						  file) != 0)
					return -ENOMEM;
			continue;
		}
		if (f->type != T_STRING || !(f->flags & F_PATH))
			continue;
		p = (char **)((char *)base + f->off);
		if (*p == NULL || **p == '/' || strchr(file, '/') == NULL)
			continue;
		if ((abs = join_dir(file, *p)) == NULL)
			return -ENOMEM;
		free(*p);
		*p = abs;
	}
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

	if ((rc = trd__config_slurp(&c, path, &buf, &len)) != 0 ||
	    (rc = trd__config_prescan(&c, buf, len)) != 0)
		goto out;
	if (!yaml_parser_initialize(&p)) {
		rc = -ENOMEM;
		goto out;
	}
	yaml_parser_set_input_string(&p, buf, len);
	if (!yaml_parser_load(&p, &doc))
		trd__config_yaml_error(&c, &p, buf, len);
	else
		have_doc = 1;
	yaml_parser_delete(&p);
	if (!have_doc)
		goto out;
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || trd__config_is_null(root)) {
		yaml_mark_t m = { 0, 0, 0 };
		trd__config_err_at(&c, root ? &root->start_mark : &m, NULL,
				   "expected a map of keys (mode, "
				   "instruments, ...), found an empty file");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		trd__config_err_at(&c, &root->start_mark, NULL,
				   "expected a map of keys at the top "
				   "level, found %s",
				   trd__config_found(q, root));
		goto out;
	}
	if ((cf = calloc(1, sizeof(*cf))) == NULL ||
	    (cf->path = strdup(path)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	c.cf = cf;
	trd__config_parse_map(&c, root, &root->start_mark,
			      &trd__config_schema, cf, "");
	if (c.nerr == 0 &&
	    (rc = resolve_paths(&trd__config_schema, cf, path)) != 0)
		goto out;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	free(buf);
	if (rc == 0 && c.nerr > 0)
		rc = TRD_ECONFIG;
	if (rc == -ENOMEM && c.nerr == 0)
		trd__config_err_at(&c, NULL, NULL, "out of memory");
	trd__config_flush_errors(&c);
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
		} else if ((f->type == T_SYMLIST || f->type == T_FEATLIST ||
			    f->type == T_NAMELIST) &&
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
	free_fields(&trd__config_schema, c);
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

		trd__config_join(sub, path, f->key, strlen(f->key));
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
		case T_FEATLIST:
		case T_NAMELIST: {
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
	if (differs(&trd__config_schema, (const char *)cur,
		    (const char *)next, "", key, keylen))
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

static void
walk_keys(const struct schema *s, const char *prefix, int reload_parent,
	  void (*fn)(void *arg, const struct trd_config_key *k), void *arg)
{
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		char path[KEY_SZ], what[512];
		int reload = reload_parent || (f->flags & F_RELOAD);
		struct trd_config_key k = {
			.path = path, .what = what, .def = f->def,
			.reload = reload, .required = !!(f->flags & F_REQUIRED),
			.section = f->type == T_MAP || f->type == T_LIST,
		};
		snprintf(path, sizeof(path), "%s%s%s", prefix,
			 *prefix ? "." : "", f->key);
		trd__config_describe(what, sizeof(what), f, NULL);
		fn(arg, &k);
		if (f->type == T_MAP || f->type == T_LIST) {
			char sub[KEY_SZ + 2];
			snprintf(sub, sizeof(sub), "%s%s", path,
				 f->type == T_LIST ? "[]" : "");
			walk_keys(f->sub, sub, f->type == T_LIST && reload, fn,
				  arg);
		}
	}
}

void
trd_config_keys(void (*fn)(void *arg, const struct trd_config_key *k),
		void *arg)
{
	walk_keys(&trd__config_schema, "", 0, fn, arg);
}

int
trd_config_hostport(const char *s, char *host, uint16_t *port)
{
	const char *colon, *h = s, *he;
	unsigned char addr[16];
	char *end;
	unsigned long v;
	int v6 = 0;

	if (*s == '[') {
		h = s + 1;
		if ((he = strchr(h, ']')) == NULL || he[1] != ':')
			return -1;
		colon = he + 1;
		v6 = 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		he = colon;
	}
	if (he - h <= 0 || he - h >= 64)
		return -1;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		return -1;
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || *end || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

const char *
trd_mode_name(enum trd_mode m)
{
	for (const struct enumval *e = trd__config_mode_names; e->name; e++)
		if (e->value == (int)m)
			return e->name;
	return "?";
}

int
trd_config_set_param(struct trd_config *c, const char *spec, char *err,
		     size_t errlen)
{
	const char *dot = strchr(spec, '.'), *eq = strchr(spec, '=');
	struct trd_strategy_conf *st = NULL;
	struct trd_param_kv *kv;
	size_t nlen, klen;
	char *key, *val;

	if (dot == NULL || eq == NULL || dot > eq || dot == spec ||
	    eq == dot + 1) {
		snprintf(err, errlen, "--param '%s': expected "
			 "STRATEGY.KEY=VALUE", spec);
		return -1;
	}
	nlen = (size_t)(dot - spec);
	klen = (size_t)(eq - dot - 1);
	for (size_t i = 0; i < c->nstrategies; i++)
		if (strlen(c->strategies[i].name) == nlen &&
		    memcmp(c->strategies[i].name, spec, nlen) == 0)
			st = &c->strategies[i];
	if (st == NULL) {
		snprintf(err, errlen, "--param '%s': no strategy '%.*s' in %s",
			 spec, (int)nlen, spec, c->path ? c->path : "the config");
		return -1;
	}
	for (size_t i = 0; i < klen; i++) {
		char ch = dot[1 + i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_') || klen > 63) {
			snprintf(err, errlen, "--param '%s': a parameter name "
				 "is 1 to 63 of [A-Za-z0-9_]", spec);
			return -1;
		}
	}
	for (const char *v = eq + 1; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f) {
			snprintf(err, errlen, "--param: control character in "
				 "the value");
			return -1;
		}
	if ((key = strndup(dot + 1, klen)) == NULL ||
	    (val = strdup(eq + 1)) == NULL) {
		free(key);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < st->nparams; i++)
		if (strcmp(st->params[i].key, key) == 0) {
			free(key);
			free(st->params[i].value);
			st->params[i].value = val;
			st->params[i].line = 0;
			return 0;
		}
	if (st->nparams >= 64 ||
	    (kv = realloc(st->params, (st->nparams + 1) * sizeof(*kv))) ==
		    NULL) {
		free(key);
		free(val);
		snprintf(err, errlen, "--param '%s': too many params", spec);
		return -1;
	}
	st->params = kv;
	kv[st->nparams++] = (struct trd_param_kv){ key, val, 0 };
	return 0;
}
