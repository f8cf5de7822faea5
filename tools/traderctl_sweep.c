/*
 * traderctl sweep: parameter sweeps as independent replay jobs.
 *
 *   traderctl sweep -c FILE --grid 'fast=5..20,slow=20..60/10'
 *                   [--strategy NAME] [--results DIR] --emit jobs.txt
 *   traderctl sweep --merge RESULTS_DIR [-o PREFIX]
 *
 * --emit writes one shell command per line, every combination of the grid
 * in order (the first key varies slowest): traderd on the config with the
 * combination as --param overrides, its report in RESULTS_DIR/job-NNNNN.
 * A line depends on nothing but the files it names (absolute paths): run
 * them in any order, on any machine that sees the same paths (GNU
 * parallel, parallel --sshloginfile, a Slurm array; see tools/).  A grid
 * dimension is key=A..B[/STEP] (integers) or key=V1|V2|... (any values).
 *
 * --merge reads every RESULTS_DIR/job-NNNNN/report.json, and writes
 * PREFIX.csv and PREFIX.html (default RESULTS_DIR/merged): one row per
 * job, its params and figures, best first (Sharpe, then total return,
 * then the job's name), from nothing that depends on the machine or the
 * order the jobs ran in.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dataset.h"
#include "traderctl_ml.h"
#include "wfile.h"

#define MAX_DIMS 8
#define MAX_VALS 1000
#define MAX_JOBS 100000

struct dim {
	char  key[64];
	char *v[MAX_VALS];
	int   n;
};

static int
bad(const char *fmt, const char *a)
{
	fprintf(stderr, "traderctl sweep: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return -1;
}

/* "PATH: why" after a failed open, in a static buffer. */
static const char *
path_err(const char *path)
{
	static char buf[PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s: %s", path, strerror(errno));
	return buf;
}

/* An output file, its directory made first. */
static FILE *
open_out(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int e;

	if (slash && slash > path &&
	    (size_t)(slash - path) < sizeof(dir)) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if ((e = trd_mkdir_p(dir, 0755)) != 0) {
			errno = -e;
			return NULL;
		}
	}
	return fopen(path, "w");
}

/* One dimension: key=A..B[/S] or key=V1|V2. */
static int
parse_dim(char *s, struct dim *d)
{
	char *eq = strchr(s, '='), *dots, *e;

	if (eq == NULL || eq == s || (size_t)(eq - s) >= sizeof(d->key))
		return bad("--grid: '%s' is not key=A..B[/STEP] or "
			   "key=V1|V2", s);
	memcpy(d->key, s, (size_t)(eq - s));
	d->key[eq - s] = '\0';
	if (strspn(d->key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			   "WXYZ0123456789_") != strlen(d->key))
		return bad("--grid: bad param name '%s'", d->key);
	s = eq + 1;
	if ((dots = strstr(s, "..")) != NULL) {
		long a, b, st = 1;
		errno = 0;
		a = strtol(s, &e, 10);
		if (e != dots || errno)
			return bad("--grid: '%s' is not A..B[/STEP] (integers)",
				   s);
		b = strtol(dots + 2, &e, 10);
		if (*e == '/')
			st = strtol(e + 1, &e, 10);
		if (*e != '\0' || errno || st < 1 || b < a ||
		    (b - a) / st + 1 > MAX_VALS)
			return bad("--grid: '%s' is not A..B[/STEP] with A <= "
				   "B, STEP >= 1, at most 1000 values", s);
		for (long v = a; v <= b; v += st) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%ld", v);
			if ((d->v[d->n++] = strdup(buf)) == NULL)
				return bad("%s", "out of memory");
		}
		return 0;
	}
	for (char *save = NULL, *t = strtok_r(s, "|", &save); t;
	     t = strtok_r(NULL, "|", &save)) {
		if (d->n == MAX_VALS || *t == '\0' || strpbrk(t, " '\"\\$`"))
			return bad("--grid: a value list holds at most 1000 "
				   "values without spaces or quotes (%s)", s);
		if ((d->v[d->n++] = strdup(t)) == NULL)
			return bad("%s", "out of memory");
	}
	return d->n ? 0 : bad("--grid: '%s' has no values", s);
}

static int
emit(const char *conf_path, const char *grid, const char *strategy,
     const char *results, const char *out)
{
	struct trd_config *conf = NULL;
	struct dim dims[MAX_DIMS];
	int nd = 0, rc = 1, idx[MAX_DIMS] = { 0 };
	char cabs[PATH_MAX], rabs[PATH_MAX], exe[PATH_MAX], *g = NULL;
	size_t jobs = 1;
	ssize_t n;
	FILE *f = NULL;

	memset(dims, 0, sizeof(dims));
	if (trd_config_load(conf_path, &conf, NULL) != 0)
		return 1;
	if (strategy == NULL) {
		if (conf->nstrategies == 0) {
			bad("%s has no strategy to sweep", conf_path);
			goto out;
		}
		strategy = conf->strategies[0].name;
	} else {
		size_t i = 0;
		while (i < conf->nstrategies &&
		       strcmp(conf->strategies[i].name, strategy) != 0)
			i++;
		if (i == conf->nstrategies) {
			bad("no strategy '%s' in the config", strategy);
			goto out;
		}
	}
	if ((g = strdup(grid)) == NULL)
		goto out;
	/* Dimensions are split at the commas outside a value list. */
	for (char *p = g, *start = g;; p++) {
		if (*p == ',' || *p == '\0') {
			int end = *p == '\0';
			*p = '\0';
			if (nd == MAX_DIMS) {
				bad("--grid: at most %s dimensions", "8");
				goto out;
			}
			if (parse_dim(start, &dims[nd]) != 0)
				goto out;
			jobs *= (size_t)dims[nd].n;
			nd++;
			if (jobs > MAX_JOBS) {
				bad("--grid: more than %s jobs", "100000");
				goto out;
			}
			if (end)
				break;
			start = p + 1;
		}
	}
	if (realpath(conf_path, cabs) == NULL) {
		bad("%s: cannot resolve its path", conf_path);
		goto out;
	}
	if (trd_mkdir_p(results, 0755) != 0 || realpath(results, rabs) == NULL) {
		bad("%s: cannot create or resolve it", results);
		goto out;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
	if (n <= 0 || strrchr(exe, '/') == NULL)
		goto out;
	exe[n] = '\0';
	strcpy(strrchr(exe, '/') + 1, "traderd");
	if ((f = open_out(out)) == NULL) {
		bad("%s", path_err(out));
		goto out;
	}
	for (size_t j = 0; j < jobs; j++) {
		fprintf(f, "'%s' -c '%s' --replay --speed max", exe, cabs);
		for (int d = 0; d < nd; d++)
			fprintf(f, " --param '%s.%s=%s'", strategy, dims[d].key,
				dims[d].v[idx[d]]);
		fprintf(f, " --report '%s/job-%05zu' > '%s/job-%05zu.log' "
			"2>&1\n", rabs, j + 1, rabs, j + 1);
		for (int d = nd - 1; d >= 0; d--) {
			if (++idx[d] < dims[d].n)
				break;
			idx[d] = 0;
		}
	}
	if (fclose(f) != 0) {
		f = NULL;
		bad("%s: write failed", out);
		goto out;
	}
	f = NULL;
	printf("sweep: %zu jobs of %s in %s; results in %s\n", jobs, strategy,
	       out, rabs);
	rc = 0;
out:
	if (f)
		fclose(f);
	for (int d = 0; d < MAX_DIMS; d++)
		for (int i = 0; i < dims[d].n; i++)
			free(dims[d].v[i]);
	free(g);
	trd_config_free(conf);
	return rc;
}

/* ---- merge ---- */

static const char *const figs[] = { "total_return", "sharpe", "sortino",
				    "max_drawdown", "trades", "win_rate",
				    "profit_factor", "fees_paid",
				    "final_equity" };
#define NFIGS (sizeof(figs) / sizeof(figs[0]))

struct row {
	char   name[32];
	char **pv;     /* by column */
	double f[NFIGS];
};

static char **cols;
static size_t ncols;

static int
col_of(const char *name)
{
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(cols[i], name) == 0)
			return (int)i;
	return -1;
}

static int
by_rank(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double sx = isnan(x->f[1]) ? -INFINITY : x->f[1];
	double sy = isnan(y->f[1]) ? -INFINITY : y->f[1];

	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (x->f[0] != y->f[0] && !isnan(x->f[0]) && !isnan(y->f[0]))
		return x->f[0] > y->f[0] ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
put_num(FILE *f, double v)
{
	char b[40];

	if (!isnan(v))
		fputs(trd_dtoa(v, b, sizeof(b)), f);
}

/* The params of every strategy of a report, as "strategy.key" cells. */
static int
read_params(const cJSON *r, char ***kv, size_t *n)
{
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(r, "run");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(run, "strategies");
	const cJSON *s, *p;

	*n = 0;
	cJSON_ArrayForEach(s, st) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(s, "name");
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s,
								       "params")) {
			char k[200];
			char **t;
			if (!cJSON_IsString(nm) || !cJSON_IsString(p))
				continue;
			snprintf(k, sizeof(k), "%s.%s", nm->valuestring,
				 p->string);
			if ((t = realloc(*kv, (*n + 2) * sizeof(*t))) == NULL)
				return -1;
			*kv = t;
			t[(*n)++] = strdup(k);
			t[(*n)++] = strdup(p->valuestring);
		}
	}
	return 0;
}

static int
merge(const char *dir, const char *prefix)
{
	struct row *rows = NULL;
	size_t nrows = 0, cap = 0, missing = 0;
	struct dirent **ents = NULL;
	char path[PATH_MAX + 64], out[PATH_MAX + 16];
	int nents, rc = 1;
	FILE *f;

	nents = scandir(dir, &ents, NULL, alphasort);
	if (nents < 0) {
		bad("--merge %s: cannot read the directory", dir);
		return 1;
	}
	for (int i = 0; i < nents; i++) {
		const char *nm = ents[i]->d_name;
		char *json, **kv = NULL;
		size_t len, nkv = 0;
		cJSON *r;
		int e;

		if (strncmp(nm, "job-", 4) != 0 || strchr(nm, '.') ||
		    strlen(nm) >= sizeof(rows->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/report.json", dir, nm);
		if ((e = trd_file_read(path, 256 << 20, &json, &len)) != 0) {
			fprintf(stderr, "traderctl sweep: %s: %s (did the job "
				"fail? see %s/%s.log)\n", path, strerror(-e),
				dir, nm);
			missing++;
			continue;
		}
		r = cJSON_ParseWithLength(json, len);
		free(json);
		if (r == NULL) {
			fprintf(stderr, "traderctl sweep: %s: not JSON\n", path);
			missing++;
			continue;
		}
		if (nrows == cap) {
			struct row *t;
			cap = cap ? cap * 2 : 64;
			if ((t = realloc(rows, cap * sizeof(*rows))) == NULL) {
				cJSON_Delete(r);
				goto out;
			}
			rows = t;
		}
		memset(&rows[nrows], 0, sizeof(rows[nrows]));
		snprintf(rows[nrows].name, sizeof(rows[nrows].name), "%s", nm);
		for (size_t k = 0; k < NFIGS; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(
				r, figs[k]);
			rows[nrows].f[k] = cJSON_IsNumber(v) ? v->valuedouble
							     : NAN;
		}
		e = read_params(r, &kv, &nkv);
		cJSON_Delete(r);
		if (e != 0)
			goto out;
		for (size_t k = 0; k < nkv; k += 2)
			if (col_of(kv[k]) < 0) {
				char **t = realloc(cols, (ncols + 1) *
							   sizeof(*t));
				if (t == NULL)
					goto out;
				cols = t;
				cols[ncols++] = strdup(kv[k]);
			}
		/* Keep the pairs, NULL-terminated; cells are matched to
		 * columns below. */
		{
			char **t = realloc(kv, (nkv + 1) * sizeof(*t));
			if (t == NULL)
				goto out;
			t[nkv] = NULL;
			rows[nrows].pv = t;
		}
		nrows++;
	}
	if (missing) {
		fprintf(stderr, "traderctl sweep: %zu job(s) without a "
			"report; nothing merged\n", missing);
		goto out;
	}
	if (nrows == 0) {
		bad("--merge %s: no job-NNNNN/report.json there", dir);
		goto out;
	}
	qsort(cols, ncols, sizeof(*cols), by_str);
	qsort(rows, nrows, sizeof(*rows), by_rank);
	snprintf(out, sizeof(out), "%s.csv", prefix);
	if ((f = open_out(out)) == NULL) {
		bad("%s", path_err(out));
		goto out;
	}
	fputs("rank,job", f);
	for (size_t c = 0; c < ncols; c++) {
		fputc(',', f);
		trd_fputs_csv(f, cols[c]);
	}
	for (size_t k = 0; k < NFIGS; k++)
		fprintf(f, ",%s", figs[k]);
	fputc('\n', f);
	for (size_t i = 0; i < nrows; i++) {
		fprintf(f, "%zu,%s", i + 1, rows[i].name);
		for (size_t c = 0; c < ncols; c++) {
			fputc(',', f);
			for (char **p = rows[i].pv; p && *p; p += 2)
				if (strcmp(p[0], cols[c]) == 0)
					trd_fputs_csv(f, p[1]);
		}
		for (size_t k = 0; k < NFIGS; k++) {
			fputc(',', f);
			put_num(f, rows[i].f[k]);
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		goto out;
	snprintf(out, sizeof(out), "%s.html", prefix);
	if ((f = open_out(out)) == NULL) {
		bad("%s", path_err(out));
		goto out;
	}
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\">"
	      "<title>traderd sweep</title><style>body{font:14px system-ui,"
	      "sans-serif;margin:1.5em}table{border-collapse:collapse;"
	      "font-variant-numeric:tabular-nums}td,th{padding:.3em .6em;"
	      "border-bottom:1px solid #ddd;text-align:right}th{background:"
	      "#f4f4f4}.wrap{overflow-x:auto}</style></head><body>\n", f);
	fprintf(f, "<h1>Sweep</h1><p>%zu jobs, best Sharpe first</p>\n"
		"<div class=\"wrap\"><table><tr><th>rank</th><th>job</th>",
		nrows);
	for (size_t c = 0; c < ncols; c++) {
		fputs("<th>", f);
		trd_fputs_html(f, cols[c]);
		fputs("</th>", f);
	}
	for (size_t k = 0; k < NFIGS; k++)
		fprintf(f, "<th>%s</th>", figs[k]);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < nrows; i++) {
		fprintf(f, "<tr><td>%zu</td><td>%s</td>", i + 1, rows[i].name);
		for (size_t c = 0; c < ncols; c++) {
			fputs("<td>", f);
			for (char **p = rows[i].pv; p && *p; p += 2)
				if (strcmp(p[0], cols[c]) == 0)
					trd_fputs_html(f, p[1]);
			fputs("</td>", f);
		}
		for (size_t k = 0; k < NFIGS; k++) {
			fputs("<td>", f);
			put_num(f, rows[i].f[k]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div></body></html>\n", f);
	if (fclose(f) != 0)
		goto out;
	printf("sweep: %zu jobs merged into %s.csv and %s.html\n", nrows,
	       prefix, prefix);
	rc = 0;
out:
	for (int i = 0; i < nents; i++)
		free(ents[i]);
	free(ents);
	for (size_t i = 0; i < nrows; i++) {
		for (char **p = rows[i].pv; p && *p; p++)
			free(*p);
		free(rows[i].pv);
	}
	free(rows);
	for (size_t c = 0; c < ncols; c++)
		free(cols[c]);
	free(cols);
	cols = NULL;
	ncols = 0;
	return rc;
}

int
trd_ctl_sweep(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "grid", required_argument, NULL, 'g' },
		{ "strategy", required_argument, NULL, 's' },
		{ "results", required_argument, NULL, 'r' },
		{ "emit", required_argument, NULL, 'e' },
		{ "merge", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *grid = NULL, *strat = NULL, *results = NULL,
		   *em = NULL, *mg = NULL, *out = NULL;
	char prefix[PATH_MAX + 8];
	int ch;

	optind = 0; /* a full re-initialisation of getopt */
	while ((ch = getopt_long(argc, argv, "c:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'g': grid = optarg; break;
		case 's': strat = optarg; break;
		case 'r': results = optarg; break;
		case 'e': em = optarg; break;
		case 'm': mg = optarg; break;
		case 'o': out = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc || (em == NULL) == (mg == NULL))
		goto usage;
	if (mg) {
		snprintf(prefix, sizeof(prefix), "%s", out ? out : mg);
		if (out == NULL)
			snprintf(prefix, sizeof(prefix), "%s/merged", mg);
		return merge(mg, prefix);
	}
	if (conf == NULL || grid == NULL)
		goto usage;
	return emit(conf, grid, strat, results ? results : "sweep-results",
		    em);
usage:
	fputs("usage: traderctl sweep -c FILE --grid 'k=A..B[/S],k2=V1|V2' "
	      "[--strategy NAME]\n"
	      "                       [--results DIR] --emit JOBS.txt\n"
	      "       traderctl sweep --merge RESULTS_DIR [-o PREFIX]\n",
	      stderr);
	return 1;
}
