/*
 * traderctl report diff A B: two report directories side by side: the
 * figures of report.json, net PnL per strategy and per symbol, and where
 * the trades (trades.csv, in the order they closed) first diverge.  Exit
 * status as diff(1): 0 the same, 1 different, 2 trouble (a file missing
 * or not what traderd writes: named, with the line).
 */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "report_diff.h"

#define MAX_JSON (64u << 20)

static char *
slurp(const char *dir, const char *name, char *path, size_t plen)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	snprintf(path, plen, "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "traderctl report diff: %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	do {
		if (cap - len < 65536) {
			char *nb = cap < MAX_JSON ? realloc(buf, cap + 65537)
						  : NULL;
			if (nb == NULL) {
				fprintf(stderr, "traderctl report diff: %s: too "
						"large\n", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static cJSON *
load_json(const char *dir)
{
	char path[4200], *s = slurp(dir, "report.json", path, sizeof(path));
	cJSON *j;

	if (s == NULL)
		return NULL;
	j = cJSON_Parse(s);
	if (j == NULL || !cJSON_IsObject(j)) {
		const char *at = cJSON_GetErrorPtr();
		size_t line = 1;
		for (const char *p = s; at && p < at && *p; p++)
			line += *p == '\n';
		fprintf(stderr, "traderctl report diff: %s: not a report "
				"(JSON error near line %zu)\n", path, line);
		cJSON_Delete(j);
		j = NULL;
	}
	free(s);
	return j;
}

static const char *
num_text(const cJSON *v, char *b, size_t n)
{
	if (v == NULL)
		snprintf(b, n, "-");
	else if (cJSON_IsNumber(v))
		snprintf(b, n, "%.15g", v->valuedouble);
	else if (cJSON_IsString(v))
		snprintf(b, n, "%s", v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(b, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNull(v))
		snprintf(b, n, "null");
	else
		snprintf(b, n, "(%s)", cJSON_IsArray(v) ? "list" : "object");
	return b;
}

static int
same(const cJSON *a, const cJSON *b)
{
	return a && b && cJSON_Compare(a, b, 1);
}

/* One row: the figure in A and B and, for numbers, B - A. */
static int
row(FILE *out, const char *label, const cJSON *a, const cJSON *b)
{
	char x[64], y[64], d[64] = "";
	int eq = same(a, b);

	if (!eq && cJSON_IsNumber(a) && cJSON_IsNumber(b))
		snprintf(d, sizeof(d), "%+.15g", b->valuedouble - a->valuedouble);
	fprintf(out, "%c %-34s %20s %20s %16s\n", eq ? ' ' : '*', label,
		num_text(a, x, sizeof(x)), num_text(b, y, sizeof(y)), d);
	return !eq;
}

/* The scalar members of two objects, in A's order (then B's own). */
static int
scalars(FILE *out, const char *prefix, const cJSON *a, const cJSON *b)
{
	char label[128];
	int diff = 0;
	const cJSON *v;

	cJSON_ArrayForEach(v, a) {
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(b, v->string);
		if (cJSON_IsObject(v) || cJSON_IsArray(v) ||
		    !strcmp(v->string, "kind"))
			continue;
		snprintf(label, sizeof(label), "%s%s", prefix, v->string);
		diff |= row(out, label, v, w);
	}
	cJSON_ArrayForEach(v, b) {
		if (cJSON_IsObject(v) || cJSON_IsArray(v) ||
		    cJSON_GetObjectItemCaseSensitive(a, v->string))
			continue;
		snprintf(label, sizeof(label), "%s%s", prefix, v->string);
		diff |= row(out, label, NULL, v);
	}
	return diff;
}

/* attribution.strategies or .symbols: net PnL by name. */
static int
by_name(FILE *out, const char *title, const cJSON *a, const cJSON *b,
	const char *key)
{
	const cJSON *v;
	int diff = 0;

	fprintf(out, "\nnet PnL by %s\n", title);
	cJSON_ArrayForEach(v, a) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, key), *w;
		const cJSON *match = NULL;
		if (!cJSON_IsString(n))
			continue;
		cJSON_ArrayForEach(w, b) {
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(w, key);
			if (cJSON_IsString(m) && !strcmp(m->valuestring,
							 n->valuestring))
				match = w;
		}
		diff |= row(out, n->valuestring,
			    cJSON_GetObjectItemCaseSensitive(v, "net_pnl"),
			    match ? cJSON_GetObjectItemCaseSensitive(match,
								     "net_pnl")
				  : NULL);
	}
	cJSON_ArrayForEach(v, b) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, key), *w;
		int found = 0;
		if (!cJSON_IsString(n))
			continue;
		cJSON_ArrayForEach(w, a) {
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(w, key);
			found |= cJSON_IsString(m) &&
				 !strcmp(m->valuestring, n->valuestring);
		}
		if (!found)
			diff |= row(out, n->valuestring, NULL,
				    cJSON_GetObjectItemCaseSensitive(v, "net_pnl"));
	}
	return diff;
}

struct lines {
	char  *text;
	char **v;
	size_t n;
};

/* trades.csv as lines after its header (which must be traderd's). */
static int
load_trades(const char *dir, struct lines *l)
{
	static const char head[] = "strategy,symbol,side,quantity,entry_ts,";
	char path[4200], *s = slurp(dir, "trades.csv", path, sizeof(path));
	size_t cap = 0, lineno = 1;

	memset(l, 0, sizeof(*l));
	if (s == NULL)
		return -1;
	if (strncmp(s, head, sizeof(head) - 1) != 0) {
		fprintf(stderr, "traderctl report diff: %s:1: not traderd's "
				"trades.csv header\n", path);
		free(s);
		return -1;
	}
	l->text = s;
	for (char *p = strchr(s, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		char *f[16], copy[1024];
		size_t len;

		lineno++;
		*p = '\0';
		len = strcspn(p + 1, "\n");
		if (len >= sizeof(copy)) {
			fprintf(stderr, "traderctl report diff: %s:%zu: line "
					"too long\n", path, lineno);
			return -1;
		}
		memcpy(copy, p + 1, len);
		copy[len] = '\0';
		if (trd_csv_split(copy, f, 16) != 11) {
			fprintf(stderr, "traderctl report diff: %s:%zu: not a "
					"trades.csv row (11 fields)\n", path,
				lineno);
			return -1;
		}
		if (l->n == cap) {
			char **nv;
			cap = cap ? cap * 2 : 1024;
			if ((nv = realloc(l->v, cap * sizeof(*nv))) == NULL)
				return -1;
			l->v = nv;
		}
		l->v[l->n++] = p + 1;
	}
	for (size_t i = 0; i < l->n; i++) {
		char *nl = strchr(l->v[i], '\n');
		if (nl)
			*nl = '\0';
	}
	return 0;
}

static void
lines_free(struct lines *l)
{
	free(l->text);
	free(l->v);
}

int
trd_report_diff(const char *da, const char *db, FILE *out)
{
	cJSON *a = load_json(da), *b = a ? load_json(db) : NULL;
	struct lines ta, tb;
	const char *sec[] = { "benchmark", "trade_stats", "daily", "span",
			      NULL };
	int diff = 0, rc = 2;
	size_t k = 0;

	memset(&ta, 0, sizeof(ta));
	memset(&tb, 0, sizeof(tb));
	if (a == NULL || b == NULL)
		goto out;
	if (load_trades(da, &ta) != 0 || load_trades(db, &tb) != 0)
		goto out;
	fprintf(out, "  %-34s %20s %20s %16s\n", "figure", "A", "B", "B - A");
	diff |= scalars(out, "", a, b);
	for (size_t i = 0; sec[i]; i++)
		diff |= scalars(out, sec[i][0] == 'b' ? "benchmark." :
				     sec[i][0] == 't' ? "trade_stats." :
				     sec[i][0] == 'd' ? "daily." : "span.",
				cJSON_GetObjectItemCaseSensitive(a, sec[i]),
				cJSON_GetObjectItemCaseSensitive(b, sec[i]));
	{
		const cJSON *aa = cJSON_GetObjectItemCaseSensitive(a, "attribution");
		const cJSON *ab = cJSON_GetObjectItemCaseSensitive(b, "attribution");
		diff |= by_name(out, "strategy",
				cJSON_GetObjectItemCaseSensitive(aa, "strategies"),
				cJSON_GetObjectItemCaseSensitive(ab, "strategies"),
				"name");
		diff |= by_name(out, "symbol",
				cJSON_GetObjectItemCaseSensitive(aa, "symbols"),
				cJSON_GetObjectItemCaseSensitive(ab, "symbols"),
				"symbol");
	}
	while (k < ta.n && k < tb.n && strcmp(ta.v[k], tb.v[k]) == 0)
		k++;
	if (k == ta.n && k == tb.n) {
		fprintf(out, "\ntrades: the same %zu\n", ta.n);
	} else {
		diff = 1;
		fprintf(out, "\ntrades: A has %zu, B %zu; the first %zu are the "
			     "same, then (strategy,symbol,side,quantity,entry_ts,"
			     "entry_price,exit_ts,exit_price,pnl,fees,net_pnl):\n"
			     "  A #%zu: %s\n  B #%zu: %s\n",
			ta.n, tb.n, k, k + 1, k < ta.n ? ta.v[k] : "(none)",
			k + 1, k < tb.n ? tb.v[k] : "(none)");
	}
	rc = diff ? 1 : 0;
	fprintf(out, "\n%s\n", diff ? "the reports differ (rows marked *)"
				    : "the reports are the same");
out:
	lines_free(&ta);
	lines_free(&tb);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return rc;
}
