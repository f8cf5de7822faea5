/*
 * traderctl_ml: see traderctl_ml.h.
 *
 *   dataset   bars from the store -> features (the daemon's code) and
 *             labels -> FILE and FILE.manifest.json
 *   train     a dataset -> a model file (liblinear, seeded)
 *   predict   a model over a dataset's rows -> CSV t0,score,p
 *   validate  walk-forward or purged k-fold: per fold a model trained on
 *             the fold's training rows, its scores on the test rows, and
 *             optionally the out-of-sample backtests of a strategy driven
 *             by that model and of a baseline strategy, each a replay of
 *             the test span by traderd -> DIR/validation.{json,html}
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "dataset.h"
#include "errors.h"
#include "model.h"
#include "store.h"
#include "timefmt.h"
#include "traderctl_ml.h"
#include "train.h"
#include "wfile.h"

extern char **environ;

#define MAX_FILE ((size_t)4 << 30)

const char trd_ctl_ml_usage[] =
	"model commands:\n"
	"  dataset --symbol SYM --timeframe TF --features 'rsi(14),bb(20,2).pctb,...'\n"
	"          --label sign(h)|fwd_return(h)|triple_barrier(h,up_bps,down_bps)\n"
	"          [--from T] [--to T] [--format bin|csv] -o FILE\n"
	"        rows of features (the daemon's code) and labels from later bars,\n"
	"        and FILE.manifest.json (rows, span, drops, SHA-256)\n"
	"  train --dataset FILE [--solver lr_l2|lr_l1|lr_l2_dual|svm_l2|...]\n"
	"        [--C X] [--class-weight balanced|W0,W1] [--seed N] [--from T]\n"
	"        [--to T] -o MODEL\n"
	"        liblinear on the rows (t0 in [from, to)), standardised on them\n"
	"  predict --model MODEL --dataset FILE\n"
	"        CSV t0,score,p for every row (p empty without probabilities)\n"
	"  score --model MODEL --dataset FILE [--from T] [--to T]\n"
	"        log loss, AUC, accuracy on the rows (t0 in [from, to)), and\n"
	"        whether the model was trained on any of them\n"
	"  search --symbol SYM --timeframe TF --features 'SET|SET...'\n"
	"         --label 'L|L...' [--solvers S,S] [--Cs C,C] [--enters P,P]\n"
	"         --cv SPEC [--eta N] [--backtest CONF ...] -o DIR\n"
	"        grid (or successive halving by eta) over those, scored by the\n"
	"        folds' mean log loss (or the backtests' mean Sharpe)\n"
	"  validate --dataset FILE --cv walk_forward:train=N,test=N[,step=N]\n"
	"           [,rolling] | purged_kfold:k=N[,embargo=N] [train options]\n"
	"           [--backtest CONF [--model-param STRAT.KEY] [--baseline CONF]\n"
	"           [--warmup N]] -o DIR\n"
	"        per fold: a model, its out-of-sample log loss, AUC, accuracy,\n"
	"        and replays of the test span; DIR/validation.json and .html\n"
	"  sweep -c FILE --grid 'fast=5..20,slow=20..60/10' [--strategy NAME]\n"
	"        [--results DIR] --emit JOBS.txt\n"
	"        one replay command per combination (run them with GNU parallel)\n"
	"  models add MODEL [--validation FILE] | list | show ID | diff A B |\n"
	"         promote ID --name NAME [--to FILE]\n"
	"        the model registry (LMDB, DATA_DIR/models): lineage and\n"
	"        validation metrics by the model's SHA-256\n"
	"  sweep --merge RESULTS_DIR [-o PREFIX]\n"
	"        their report.json files in one table, best Sharpe first\n";

struct ml {
	const char *cmd;
	const char *conf_path, *data_dir;
	const char *symbol, *timeframe, *features, *label, *format;
	const char *out, *dataset, *model, *cv;
	const char *backtest, *baseline, *model_param, *traderd;
	int64_t     from_ns, to_ns;
	struct trd_train_opts topt;
	uint32_t    warmup;
	/* search: the alternatives, and what a validation hands back */
	const char *Cs, *solvers, *enters, *extra_param;
	int         eta;        /* successive halving; 0: a full grid */
	size_t      last_folds; /* validate only the last N folds (0: all) */
	double      score_ll, score_sharpe;
	int         quiet;
};

int
trd_ctl_is_ml(const char *cmd)
{
	return strcmp(cmd, "dataset") == 0 || strcmp(cmd, "train") == 0 ||
	       strcmp(cmd, "predict") == 0 || strcmp(cmd, "validate") == 0 ||
	       strcmp(cmd, "score") == 0 || strcmp(cmd, "search") == 0;
}

static int __attribute__((format(printf, 2, 3)))
fail(const struct ml *m, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "traderctl %s: ", m->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Split a feature list at the commas outside parentheses and expand each
 * item to its canonical outputs. */
static int
expand_features(const struct ml *m, const char *list,
		char (**out)[TRD_FEATURE_NAME_MAX], uint32_t *n)
{
	char (*v)[TRD_FEATURE_NAME_MAX] =
		calloc(TRD_DS_MAX_FEATURES, sizeof(*v));
	char item[256], err[256];
	const char *p = list, *start = list;
	int depth = 0;

	*n = 0;
	if (v == NULL)
		return fail(m, "out of memory");
	for (;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if (*p == '\0' || (*p == ',' && depth == 0)) {
			const char *a = start, *b = p;
			int k;
			while (a < b && *a == ' ')
				a++;
			while (b > a && b[-1] == ' ')
				b--;
			if ((size_t)(b - a) >= sizeof(item))
				goto toolong;
			memcpy(item, a, (size_t)(b - a));
			item[b - a] = '\0';
			k = trd_feature_expand(item, v + *n,
					       TRD_DS_MAX_FEATURES - *n, err,
					       sizeof(err));
			if (k < 0) {
				free(v);
				return fail(m, "--features: %s", err);
			}
			for (int i = 0; i < k; i++)
				for (uint32_t j = 0; j < *n; j++)
					if (strcmp(v[j], v[*n + i]) == 0) {
						fail(m, "--features: %s is "
						     "given twice", v[j]);
						free(v);
						return 1;
					}
			*n += (uint32_t)k;
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	*out = v;
	return 0;
toolong:
	free(v);
	return fail(m, "--features: an item is too long");
}

static int
read_dataset(const struct ml *m, const char *path, struct trd_dataset *ds,
	     char sha[65])
{
	char *buf, err[320], mpath[PATH_MAX + 16];
	size_t len;
	int rc;

	if ((rc = trd_file_read(path, MAX_FILE, &buf, &len)) != 0)
		return fail(m, "%s: %s", path, strerror(-rc));
	trd_sha256_hex(buf, len, sha);
	rc = trd_dataset_decode(buf, len, ds, err, sizeof(err));
	free(buf);
	if (rc != 0)
		return fail(m, "%s: %s%s", path, err,
			    strncmp(err, "not a traderd", 13) == 0
				    ? " (CSV datasets are for reading; "
				      "train reads the binary format)"
				    : "");
	/* Its manifest, when it is there, must describe it; without one,
	 * nothing says where the rows came from: said, not refused. */
	snprintf(mpath, sizeof(mpath), "%s.manifest.json", path);
	rc = trd_file_read(mpath, 64 << 20, &buf, &len);
	if (rc == -ENOENT) {
		if (!m->quiet)
			fprintf(stderr, "traderctl %s: warning: %s has no "
				"manifest (%s): nothing checks that it is the "
				"dataset traderctl dataset wrote\n", m->cmd,
				path, mpath);
		return 0;
	}
	if (rc == 0) {
		rc = trd_manifest_check(buf, len, ds, sha, err, sizeof(err));
		free(buf);
		if (rc == 0)
			return 0;
		fail(m, "%s: %s", mpath, err);
	} else {
		fail(m, "%s: %s", mpath, strerror(-rc));
	}
	trd_dataset_free(ds);
	return 1;
}

static int
read_model(const struct ml *m, const char *path, struct trd_model *md)
{
	char *buf, err[320];
	size_t len;
	int rc;

	if ((rc = trd_file_read(path, 64 << 20, &buf, &len)) != 0)
		return fail(m, "%s: %s", path, strerror(-rc));
	rc = trd_model_parse(buf, len, md, err, sizeof(err));
	free(buf);
	if (rc != 0)
		return fail(m, "%s: %s", path, err);
	return 0;
}

/* ---- dataset ---- */

static int
cmd_dataset(struct ml *m)
{
	struct trd_config *conf = NULL;
	struct trd_store *s = NULL;
	struct trd_store_opts so = { 0 };
	struct trd_instrument in;
	struct trd_bar_cursor cur;
	struct trd_bar *bars = NULL;
	struct trd_dataset ds = { 0 };
	struct trd_label lab;
	char (*names)[TRD_FEATURE_NAME_MAX] = NULL, err[320], sha[65];
	char mpath[PATH_MAX], *buf = NULL, *man = NULL, a[TRD_TIME_BUFSZ],
		b[TRD_TIME_BUFSZ];
	const char *base;
	size_t nb = 0, cap = 0, len;
	uint32_t tf, nf;
	int rc, status = 1, csv;

	if (m->symbol == NULL || m->timeframe == NULL || m->features == NULL ||
	    m->label == NULL || m->out == NULL)
		return fail(m, "--symbol, --timeframe, --features, --label and "
			    "-o are required");
	if (trd_timeframe_parse(m->timeframe, &tf) != 0)
		return fail(m, "bad timeframe '%s' (1m, 5m, 1h, 1d...)",
			    m->timeframe);
	if (m->format && strcmp(m->format, "bin") != 0 &&
	    strcmp(m->format, "csv") != 0)
		return fail(m, "--format must be bin or csv");
	csv = m->format && strcmp(m->format, "csv") == 0;
	if (trd_label_parse(m->label, &lab, err, sizeof(err)) != 0)
		return fail(m, "%s", err);
	if (expand_features(m, m->features, &names, &nf) != 0)
		return 1;
	if (m->conf_path) {
		if (trd_config_load(m->conf_path, &conf, NULL) != 0)
			goto out;
		m->data_dir = conf->data_dir;
		so.map_size = (size_t)conf->store.map_size_mb << 20;
		so.map_max = (size_t)conf->store.map_max_mb << 20;
	}
	if (m->data_dir == NULL) {
		fail(m, "no store given: use --data-dir DIR or -c FILE");
		goto out;
	}
	if (trd_store_open(&s, m->data_dir, TRD_STORE_RDONLY, &so) != 0)
		goto out;
	if ((rc = trd_store_instrument_get(s, m->symbol, &in)) != 0) {
		fail(m, "%s: %s", m->symbol, rc == TRD_ENOTFOUND
			     ? "no such symbol in the store"
			     : trd_strerror(rc));
		goto out;
	}
	if ((rc = trd_bar_cursor_open(&cur, s, in.id, tf, m->from_ns,
				      m->to_ns)) != 0) {
		fail(m, "%s", trd_strerror(rc));
		goto out;
	}
	for (;;) {
		if (nb + 4096 > cap) {
			struct trd_bar *t;
			cap = cap ? cap * 2 : 65536;
			if ((t = realloc(bars, cap * sizeof(*bars))) == NULL) {
				trd_bar_cursor_close(&cur);
				fail(m, "out of memory");
				goto out;
			}
			bars = t;
		}
		rc = trd_bar_cursor_read(&cur, bars + nb, 4096);
		if (rc <= 0)
			break;
		nb += (size_t)rc;
	}
	trd_bar_cursor_close(&cur);
	if (rc < 0) {
		fail(m, "%s", trd_strerror(rc));
		goto out;
	}
	if (nb == 0) {
		fail(m, "no %s bars of %s in the store for that span",
		     m->timeframe, m->symbol);
		goto out;
	}
	if (trd_dataset_build(bars, nb, in.price_dp, in.qty_dp, names, nf,
			      &lab, &ds, err, sizeof(err)) != 0) {
		fail(m, "%s", err);
		goto out;
	}
	snprintf(ds.symbol, sizeof(ds.symbol), "%s", m->symbol);
	ds.tf_s = tf;
	ds.from_ns = m->from_ns;
	ds.to_ns = m->to_ns;
	if (ds.nrows == 0) {
		fail(m, "no rows: every one of the %zu bars lacks a feature "
		     "or a label (a series shorter than the windows?)", nb);
		goto out;
	}
	if (trd_dataset_encode(&ds, csv, &buf, &len) != 0) {
		fail(m, "out of memory");
		goto out;
	}
	trd_sha256_hex(buf, len, sha);
	base = strrchr(m->out, '/') ? strrchr(m->out, '/') + 1 : m->out;
	if ((man = trd_dataset_manifest(&ds, base, sha)) == NULL ||
	    (size_t)snprintf(mpath, sizeof(mpath), "%s.manifest.json",
			     m->out) >= sizeof(mpath)) {
		fail(m, "out of memory");
		goto out;
	}
	if ((rc = trd_file_write(m->out, buf, len)) != 0 ||
	    (rc = trd_file_write(mpath, man, strlen(man))) != 0) {
		fail(m, "%s: %s", rc ? m->out : mpath, strerror(-rc));
		goto out;
	}
	if (!m->quiet)
	printf("dataset %s: %zu rows x %u features, label %s, %s .. %s\n"
	       "  dropped: %llu not ready, %llu without a label (of %zu bars)\n"
	       "  sha256 %s\n",
	       m->out, ds.nrows, nf, lab.text, trd_time_format(ds.t0[0], a),
	       trd_time_format(ds.t1[ds.nrows - 1], b),
	       (unsigned long long)ds.dropped_not_ready,
	       (unsigned long long)ds.dropped_no_label, nb, sha);
	status = 0;
out:
	free(buf);
	free(man);
	free(bars);
	free(names);
	trd_dataset_free(&ds);
	if (s)
		trd_store_close(s);
	trd_config_free(conf);
	return status;
}

/* ---- train ---- */

/* Rows whose t0 is in [from, to). */
static uint32_t *
select_rows(const struct trd_dataset *ds, int64_t from, int64_t to, size_t *n)
{
	uint32_t *r = malloc((ds->nrows ? ds->nrows : 1) * sizeof(*r));

	*n = 0;
	for (size_t i = 0; r && i < ds->nrows; i++)
		if (ds->t0[i] >= from && ds->t0[i] < to)
			r[(*n)++] = (uint32_t)i;
	return r;
}

static int
write_model(const struct ml *m, const struct trd_model *md, const char *path,
	    char sha[65])
{
	char *text = trd_model_format(md);
	int rc;

	if (text == NULL)
		return fail(m, "out of memory");
	trd_sha256_hex(text, strlen(text), sha);
	rc = trd_file_write(path, text, strlen(text));
	free(text);
	if (rc != 0)
		return fail(m, "%s: %s", path, strerror(-rc));
	return 0;
}

static int
cmd_train(struct ml *m)
{
	struct trd_dataset ds;
	struct trd_model md;
	struct trd_scores sc;
	char sha[65], msha[65], err[320];
	uint32_t *rows;
	size_t n;
	int status = 1;

	if (m->dataset == NULL || m->out == NULL)
		return fail(m, "--dataset and -o are required");
	if (read_dataset(m, m->dataset, &ds, sha) != 0)
		return 1;
	if ((rows = select_rows(&ds, m->from_ns, m->to_ns, &n)) == NULL) {
		trd_dataset_free(&ds);
		return fail(m, "out of memory");
	}
	if (trd_train(&ds, rows, n, &m->topt, sha, &md, err, sizeof(err)) !=
	    0) {
		fail(m, "%s: %s", m->dataset, err);
		goto out;
	}
	if (write_model(m, &md, m->out, msha) != 0)
		goto model;
	trd_score_rows(&md, &ds, rows[0], rows[n - 1] + 1, &sc);
	printf("model %s: %s, C %g, %zu rows, %u features, seed %llu\n"
	       "  in-sample: log loss %.6f, AUC %.6f, accuracy %.6f\n"
	       "  sha256 %s\n",
	       m->out, trd_solver_name(md.solver), md.C, n, md.nfeat,
	       (unsigned long long)md.seed, sc.logloss, sc.auc, sc.accuracy,
	       msha);
	status = 0;
model:
	trd_model_free(&md);
out:
	free(rows);
	trd_dataset_free(&ds);
	return status;
}

/* ---- predict ---- */

/* --model and --dataset, both read and checked: 0, or 1 said. */
static int
read_model_and_dataset(const struct ml *m, struct trd_model *md,
		       struct trd_dataset *ds, char sha[65])
{
	if (m->dataset == NULL || m->model == NULL)
		return fail(m, "--model and --dataset are required");
	if (read_model(m, m->model, md) != 0)
		return 1;
	if (read_dataset(m, m->dataset, ds, sha) != 0) {
		trd_model_free(md);
		return 1;
	}
	return 0;
}

static void
put_num(double v, FILE *f)
{
	char b[40];

	fputs(trd_dtoa(v, b, sizeof(b)), f);
}

static int
cmd_predict(struct ml *m)
{
	struct trd_dataset ds;
	struct trd_model md;
	uint32_t cols[TRD_MODEL_MAX_FEATURES];
	double x[TRD_MODEL_MAX_FEATURES];
	char sha[65], err[320], t[TRD_TIME_BUFSZ];
	int status = 1;

	if (read_model_and_dataset(m, &md, &ds, sha) != 0)
		return 1;
	if (trd_model_columns(&md, &ds, cols, err, sizeof(err)) != 0) {
		fail(m, "%s: %s", m->dataset, err);
		goto out;
	}
	fputs("t0,score,p\n", stdout);
	for (size_t i = 0; i < ds.nrows; i++) {
		double s;
		for (uint32_t f = 0; f < md.nfeat; f++)
			x[f] = ds.x[i * ds.nfeat + cols[f]];
		s = trd_model_score(&md, x);
		fputs(trd_time_format_unix(ds.t0[i], t), stdout);
		fputc(',', stdout);
		put_num(s, stdout);
		fputc(',', stdout);
		if (md.prob)
			put_num(trd_sigmoid(s), stdout);
		fputc('\n', stdout);
	}
	status = fflush(stdout) != 0;
out:
	trd_model_free(&md);
	trd_dataset_free(&ds);
	return status;
}

/* ---- score ---- */

/* A model on the rows of a dataset with t0 in [from, to): one line of
 * key=value pairs, for scripts (tools/traderd-retrain). */
static int
cmd_score(struct ml *m)
{
	struct trd_dataset ds;
	struct trd_model md;
	struct trd_scores sc;
	char sha[65], a[TRD_TIME_BUFSZ];
	size_t lo = 0, hi;

	if (read_model_and_dataset(m, &md, &ds, sha) != 0)
		return 1;
	while (lo < ds.nrows && ds.t0[lo] < m->from_ns)
		lo++;
	for (hi = lo; hi < ds.nrows && ds.t0[hi] < m->to_ns; hi++)
		;
	trd_score_rows(&md, &ds, lo, hi, &sc);
	printf("rows=%zu logloss=%.17g auc=%.17g accuracy=%.17g "
	       "train_to=%s overlaps=%d\n",
	       sc.n, sc.logloss, sc.auc, sc.accuracy,
	       trd_time_format(md.train_to_ns, a),
	       lo < hi && md.train_to_ns >= ds.t0[lo]);
	trd_model_free(&md);
	trd_dataset_free(&ds);
	return sc.n ? 0 : fail(m, "no rows in that span");
}

/* ---- validate ---- */

struct bt {
	int    ran;
	double ret, sharpe, maxdd, trades;
};

struct fold_out {
	struct trd_scores sc;
	struct bt         model, base;
	char              sha[65];
};

/* traderd beside this traderctl, unless --traderd says. */
static const char *
traderd_path(const struct ml *m, char *buf, size_t cap)
{
	ssize_t n;
	char *slash;

	if (m->traderd)
		return m->traderd;
	n = readlink("/proc/self/exe", buf, cap - 16);
	if (n <= 0)
		return "traderd";
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return "traderd";
	strcpy(slash + 1, "traderd");
	return buf;
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Replay conf over [from, to) with the report in dir; the figures. */
static int
backtest(const struct ml *m, const char *conf, const char *param,
	 const char *param2, int64_t from, int64_t to, const char *dir,
	 const char *log, struct bt *out)
{
	char exe[PATH_MAX], f[TRD_TIME_BUFSZ], t[TRD_TIME_BUFSZ], w[16],
		path[PATH_MAX], *json;
	const char *argv[20];
	posix_spawn_file_actions_t fa;
	size_t len;
	cJSON *r;
	pid_t pid;
	int k = 0, st, rc;

	argv[k++] = traderd_path(m, exe, sizeof(exe));
	argv[k++] = "-c";
	argv[k++] = conf;
	argv[k++] = "--replay";
	argv[k++] = "--from";
	argv[k++] = trd_time_format(from, f);
	argv[k++] = "--to";
	argv[k++] = trd_time_format(to, t);
	argv[k++] = "--report";
	argv[k++] = dir;
	if (m->warmup) {
		snprintf(w, sizeof(w), "%u", m->warmup);
		argv[k++] = "--warmup";
		argv[k++] = w;
	}
	if (param) {
		argv[k++] = "--param";
		argv[k++] = param;
	}
	if (param2) {
		argv[k++] = "--param";
		argv[k++] = param2;
	}
	argv[k] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log,
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, (char **)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return fail(m, "cannot run %s: %s", argv[0], strerror(rc));
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return fail(m, "the replay of %s from %s failed; see %s", conf,
			    f, log);
	snprintf(path, sizeof(path), "%s/report.json", dir);
	if ((rc = trd_file_read(path, 64 << 20, &json, &len)) != 0)
		return fail(m, "%s: %s", path, strerror(-rc));
	r = cJSON_Parse(json);
	free(json);
	if (r == NULL)
		return fail(m, "%s: not JSON", path);
	*out = (struct bt){ 1, jnum(r, "total_return"), jnum(r, "sharpe"),
			    jnum(r, "max_drawdown"), jnum(r, "trades") };
	cJSON_Delete(r);
	return 0;
}

static cJSON *
jbt(const struct bt *b)
{
	cJSON *o;

	if (!b->ran)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "total_return", b->ret);
	cJSON_AddNumberToObject(o, "sharpe", b->sharpe);
	cJSON_AddNumberToObject(o, "max_drawdown", b->maxdd);
	cJSON_AddNumberToObject(o, "trades", b->trades);
	return o;
}

/* A replay's Sharpe for means and scores: one that never traded has
 * none (flat equity) and counts as 0, not NaN, so a search ranks
 * standing aside above losing, as a trader would. */
static double
bt_sharpe(const struct bt *b)
{
	return isnan(b->sharpe) && b->trades == 0 ? 0 : b->sharpe;
}

/* The mean of every figure over the validated folds (a search may leave
 * some out), and in how many of them the model's replay returned more
 * than the baseline's. */
static size_t
fold_mean(const struct fold_out *r, size_t nf, struct fold_out *avg,
	  size_t *beat)
{
	size_t n = 0;

	memset(avg, 0, sizeof(*avg));
	*beat = 0;
	for (size_t i = 0; i < nf; i++) {
		if (r[i].sha[0] == '\0')
			continue;
		n++;
		avg->sc.logloss += r[i].sc.logloss;
		avg->sc.auc += r[i].sc.auc;
		avg->sc.accuracy += r[i].sc.accuracy;
		avg->sc.base_rate += r[i].sc.base_rate;
		avg->model.ret += r[i].model.ret;
		avg->model.sharpe += bt_sharpe(&r[i].model);
		avg->model.maxdd += r[i].model.maxdd;
		avg->model.trades += r[i].model.trades;
		avg->base.ret += r[i].base.ret;
		avg->base.sharpe += bt_sharpe(&r[i].base);
		avg->base.maxdd += r[i].base.maxdd;
		avg->base.trades += r[i].base.trades;
		avg->model.ran = r[i].model.ran;
		avg->base.ran = r[i].base.ran;
		if (r[i].model.ran && r[i].base.ran &&
		    r[i].model.ret > r[i].base.ret)
			(*beat)++;
	}
	if (n == 0)
		return 0;
	avg->sc.logloss /= (double)n;
	avg->sc.auc /= (double)n;
	avg->sc.accuracy /= (double)n;
	avg->sc.base_rate /= (double)n;
	avg->model.ret /= (double)n;
	avg->model.sharpe /= (double)n;
	avg->model.maxdd /= (double)n;
	avg->model.trades /= (double)n;
	avg->base.ret /= (double)n;
	avg->base.sharpe /= (double)n;
	avg->base.maxdd /= (double)n;
	avg->base.trades /= (double)n;
	return n;
}

static void
html_num(FILE *f, double v, const char *fmt)
{
	if (isnan(v))
		fputs("<td>-</td>", f);
	else {
		fputs("<td>", f);
		fprintf(f, fmt, v);
		fputs("</td>", f);
	}
}

static int
write_html(const struct ml *m, const char *path, const struct trd_dataset *ds,
	   const struct trd_fold *fo, const struct fold_out *r, size_t nf,
	   const char *cvtext)
{
	char tmp[PATH_MAX + 48], a[TRD_TIME_BUFSZ], b[TRD_TIME_BUFSZ];
	struct fold_out avg;
	size_t beat, nval;
	FILE *f;
	int bt = nf && r[nf - 1].model.ran, base = nf && r[nf - 1].base.ran;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return fail(m, "%s: %s", tmp, strerror(errno));
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\">"
	      "<title>traderd validation</title><style>"
	      "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}"
	      "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
	      "td,th{padding:.3em .6em;border-bottom:1px solid #ddd;"
	      "text-align:right;white-space:nowrap}th{background:#f4f4f4;"
	      "white-space:normal}tr.mean td{font-weight:600;"
	      "border-top:2px solid #999}"
	      ".wrap{overflow-x:auto}</style></head><body>\n", f);
	fputs("<h1>Validation</h1>\n<p>", f);
	trd_fputs_html(f, ds->symbol);
	fputs(" &middot; label ", f);
	trd_fputs_html(f, ds->label.text);
	fputs(" &middot; ", f);
	trd_fputs_html(f, cvtext);
	fprintf(f, " &middot; solver %s, C %g, seed %llu &middot; %zu rows, "
		"%u features</p>\n<div class=\"wrap\"><table><tr><th>fold</th>"
		"<th>test from</th><th>test to</th><th>test rows</th>"
		"<th>train rows</th><th>purged</th><th>embargoed</th>"
		"<th>log loss</th><th>AUC</th><th>accuracy</th>"
		"<th>base rate</th>",
		trd_solver_name(m->topt.solver), m->topt.C,
		(unsigned long long)m->topt.seed, ds->nrows, ds->nfeat);
	if (bt)
		fputs("<th>model return</th><th>model Sharpe</th>"
		      "<th>model max DD</th><th>model trades</th>", f);
	if (base)
		fputs("<th>baseline return</th><th>baseline Sharpe</th>"
		      "<th>baseline max DD</th><th>baseline trades</th>", f);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < nf; i++) {
		if (r[i].sha[0] == '\0')
			continue; /* not validated (search budget) */
		fprintf(f, "<tr><td>%zu</td><td>%s</td><td>%s</td><td>%zu</td>"
			"<td>%zu</td><td>%zu</td><td>%zu</td>", i + 1,
			trd_time_format(ds->t0[fo[i].test_lo], a),
			trd_time_format(ds->t1[fo[i].test_hi - 1], b),
			fo[i].test_hi - fo[i].test_lo, fo[i].ntrain,
			fo[i].purged, fo[i].embargoed);
		html_num(f, r[i].sc.logloss, "%.4f");
		html_num(f, r[i].sc.auc, "%.4f");
		html_num(f, r[i].sc.accuracy, "%.4f");
		html_num(f, r[i].sc.base_rate, "%.4f");
		if (bt) {
			html_num(f, r[i].model.ret * 100, "%.2f%%");
			html_num(f, r[i].model.sharpe, "%.2f");
			html_num(f, r[i].model.maxdd * 100, "%.2f%%");
			html_num(f, r[i].model.trades, "%.0f");
		}
		if (base) {
			html_num(f, r[i].base.ret * 100, "%.2f%%");
			html_num(f, r[i].base.sharpe, "%.2f");
			html_num(f, r[i].base.maxdd * 100, "%.2f%%");
			html_num(f, r[i].base.trades, "%.0f");
		}
		fputs("</tr>\n", f);
	}
	nval = fold_mean(r, nf, &avg, &beat);
	if (nval > 1) {
		fputs("<tr class=\"mean\"><td>mean</td><td></td><td></td>"
		      "<td></td><td></td><td></td><td></td>", f);
		html_num(f, avg.sc.logloss, "%.4f");
		html_num(f, avg.sc.auc, "%.4f");
		html_num(f, avg.sc.accuracy, "%.4f");
		html_num(f, avg.sc.base_rate, "%.4f");
		if (bt) {
			html_num(f, avg.model.ret * 100, "%.2f%%");
			html_num(f, avg.model.sharpe, "%.2f");
			html_num(f, avg.model.maxdd * 100, "%.2f%%");
			html_num(f, avg.model.trades, "%.1f");
		}
		if (base) {
			html_num(f, avg.base.ret * 100, "%.2f%%");
			html_num(f, avg.base.sharpe, "%.2f");
			html_num(f, avg.base.maxdd * 100, "%.2f%%");
			html_num(f, avg.base.trades, "%.1f");
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	if (bt && base)
		fprintf(f, "<p>The model's replay returned more than the "
			"baseline's in %zu of %zu folds.</p>\n", beat, nval);
	fputs("<p>Each fold's model is trained on its training "
	      "rows only (standardised on them), after purging every row whose "
	      "label interval overlaps the test fold and the embargo after it. "
	      "The backtests replay the test span through traderd.</p>\n"
	      "</body></html>\n", f);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return fail(m, "%s: %s", path, strerror(errno));
	}
	return 0;
}

static int
cmd_validate(struct ml *m)
{
	struct trd_dataset ds;
	struct trd_cv_opts cv;
	struct trd_fold *fo = NULL;
	struct fold_out *res = NULL;
	size_t nf = 0;
	char absout[PATH_MAX];
	char sha[65], err[320], path[PATH_MAX + 32], dir[PATH_MAX], log[PATH_MAX + 8],
		param[PATH_MAX + 128], a[TRD_TIME_BUFSZ];
	cJSON *root = NULL, *folds;
	char *text = NULL;
	int status = 1, nscored = 0, mk;

	m->score_ll = m->score_sharpe = 0;
	if (m->dataset == NULL || m->cv == NULL || m->out == NULL)
		return fail(m, "--dataset, --cv and -o are required");
	if (m->baseline && !m->backtest)
		return fail(m, "--baseline goes with --backtest");
	if (trd_cv_parse(m->cv, &cv, err, sizeof(err)) != 0)
		return fail(m, "%s", err);
	if (read_dataset(m, m->dataset, &ds, sha) != 0)
		return 1;
	if (trd_cv_split(&ds, &cv, &fo, &nf, err, sizeof(err)) != 0) {
		fail(m, "%s: %s", m->dataset, err);
		goto out;
	}
	if ((mk = trd_mkdir_p(m->out, 0755)) != 0) {
		fail(m, "%s: %s", m->out, strerror(-mk));
		goto out;
	}
	/* The replays get absolute paths: traderd resolves a relative one
	 * against its config's directory. */
	if (realpath(m->out, absout) == NULL) {
		fail(m, "%s: %s", m->out, strerror(errno));
		goto out;
	}
	if ((res = calloc(nf, sizeof(*res))) == NULL) {
		fail(m, "out of memory");
		goto out;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", "traderd-validation-1");
	cJSON_AddStringToObject(root, "dataset_sha256", sha);
	cJSON_AddStringToObject(root, "symbol", ds.symbol);
	cJSON_AddStringToObject(root, "label", ds.label.text);
	cJSON_AddStringToObject(root, "cv", m->cv);
	cJSON_AddStringToObject(root, "solver",
				trd_solver_name(m->topt.solver));
	cJSON_AddNumberToObject(root, "C", m->topt.C);
	cJSON_AddNumberToObject(root, "seed", (double)m->topt.seed);
	cJSON_AddNumberToObject(root, "rows", (double)ds.nrows);
	folds = cJSON_AddArrayToObject(root, "folds");
	for (size_t i = 0; i < nf; i++) {
		struct trd_model md;
		struct trd_fold *f = &fo[i];
		int64_t from, to;
		cJSON *j;

		if (m->last_folds && i + m->last_folds < nf)
			continue; /* search: a smaller budget */
		if (trd_train(&ds, f->train, f->ntrain, &m->topt, sha, &md, err,
			      sizeof(err)) != 0) {
			fail(m, "fold %zu: %s", i + 1, err);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/fold-%02zu.model", absout,
			 i + 1);
		if (write_model(m, &md, path, res[i].sha) != 0) {
			trd_model_free(&md);
			goto out;
		}
		trd_score_rows(&md, &ds, f->test_lo, f->test_hi, &res[i].sc);
		trd_model_free(&md);
		/* The test rows' bars: from the first one's open to the
		 * last one's close. */
		from = ds.t0[f->test_lo] - (int64_t)ds.tf_s * TRD_NS_PER_SEC;
		to = ds.t0[f->test_hi - 1];
		if (m->backtest) {
			snprintf(dir, sizeof(dir), "%s/fold-%02zu-model", m->out,
				 i + 1);
			snprintf(log, sizeof(log), "%s.log", dir);
			snprintf(param, sizeof(param), "%s=%s",
				 m->model_param ? m->model_param : "ml.model",
				 path);
			if (backtest(m, m->backtest, param, m->extra_param,
				     from, to, dir, log, &res[i].model) != 0)
				goto out;
		}
		if (m->baseline) {
			snprintf(dir, sizeof(dir), "%s/fold-%02zu-baseline",
				 m->out, i + 1);
			snprintf(log, sizeof(log), "%s.log", dir);
			if (backtest(m, m->baseline, NULL, NULL, from, to, dir,
				     log, &res[i].base) != 0)
				goto out;
		}
		j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "fold", (double)(i + 1));
		cJSON_AddStringToObject(j, "test_from",
					trd_time_format(ds.t0[f->test_lo], a));
		cJSON_AddStringToObject(j, "test_to",
					trd_time_format(ds.t1[f->test_hi - 1],
							a));
		cJSON_AddNumberToObject(j, "test_rows",
					(double)(f->test_hi - f->test_lo));
		cJSON_AddNumberToObject(j, "train_rows", (double)f->ntrain);
		cJSON_AddNumberToObject(j, "purged", (double)f->purged);
		cJSON_AddNumberToObject(j, "embargoed", (double)f->embargoed);
		cJSON_AddStringToObject(j, "model_sha256", res[i].sha);
		cJSON_AddNumberToObject(j, "logloss", res[i].sc.logloss);
		cJSON_AddNumberToObject(j, "auc", res[i].sc.auc);
		cJSON_AddNumberToObject(j, "accuracy", res[i].sc.accuracy);
		cJSON_AddNumberToObject(j, "base_rate", res[i].sc.base_rate);
		cJSON_AddItemToObject(j, "backtest", jbt(&res[i].model));
		cJSON_AddItemToObject(j, "baseline", jbt(&res[i].base));
		cJSON_AddItemToArray(folds, j);
		m->score_ll += res[i].sc.logloss;
		m->score_sharpe += bt_sharpe(&res[i].model);
		nscored++;
		if (!m->quiet)
			fprintf(stderr, "fold %zu/%zu: %zu train rows (%zu purged, %zu "
			"embargoed), %zu test rows: log loss %.4f, AUC %.4f\n",
			i + 1, nf, f->ntrain, f->purged, f->embargoed,
			f->test_hi - f->test_lo, res[i].sc.logloss,
			res[i].sc.auc);
	}
	m->score_ll /= nscored ? nscored : 1;
	m->score_sharpe /= nscored ? nscored : 1;
	{
		struct fold_out avg;
		size_t beat;
		cJSON *j = cJSON_CreateObject();

		fold_mean(res, nf, &avg, &beat);
		cJSON_AddNumberToObject(j, "folds", nscored);
		cJSON_AddNumberToObject(j, "logloss", avg.sc.logloss);
		cJSON_AddNumberToObject(j, "auc", avg.sc.auc);
		cJSON_AddNumberToObject(j, "accuracy", avg.sc.accuracy);
		cJSON_AddNumberToObject(j, "base_rate", avg.sc.base_rate);
		cJSON_AddItemToObject(j, "backtest", jbt(&avg.model));
		cJSON_AddItemToObject(j, "baseline", jbt(&avg.base));
		if (avg.model.ran && avg.base.ran)
			cJSON_AddNumberToObject(j, "model_beat_baseline",
						(double)beat);
		cJSON_AddItemToObject(root, "mean", j);
	}
	if ((text = cJSON_Print(root)) == NULL) {
		fail(m, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/validation.json", m->out);
	if (trd_file_write(path, text, strlen(text)) != 0) {
		fail(m, "%s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/validation.html", m->out);
	if (write_html(m, path, &ds, fo, res, nf, m->cv) != 0)
		goto out;
	if (!m->quiet)
		printf("validation %s: %zu folds; %s/validation.json, "
		       "validation.html\n", m->out, (size_t)nscored, m->out);
	status = 0;
out:
	free(text);
	cJSON_Delete(root);
	free(res);
	trd_folds_free(fo, nf);
	trd_dataset_free(&ds);
	return status;
}

static int parse_double(const struct ml *m, const char *opt, const char *v,
			double *out);

/* ---- search ---- */

#define MAX_ALT 64

/* Split s at sep (outside parentheses) into at most MAX_ALT pieces, in
 * buf (a copy). */
static int
split_alts(const struct ml *m, const char *what, const char *s, char sep,
	   char *buf, size_t cap, char **v)
{
	int n = 0, depth = 0;
	char *p;

	if (strlen(s) >= cap)
		return fail(m, "--%s is too long", what), -1;
	strcpy(buf, s);
	v[n++] = buf;
	for (p = buf; *p; p++) {
		depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		if (*p == sep && depth == 0) {
			*p = '\0';
			if (n == MAX_ALT)
				return fail(m, "--%s: at most 64 values", what),
				       -1;
			v[n++] = p + 1;
		}
	}
	return n;
}

struct cand {
	int    f, l, s, ci, e; /* indexes into the alternatives */
	int    rungs;          /* rungs it was evaluated in */
	size_t folds;          /* folds of its last evaluation */
	double score;          /* of its last evaluation: lower is better */
	double ll, sharpe;
};

static const struct cand *cand_base;

static int
by_score(const void *a, const void *b)
{
	const int *x = a, *y = b;
	const struct cand *p = &cand_base[*x], *q = &cand_base[*y];
	double u = isnan(p->score) ? INFINITY : p->score;
	double v = isnan(q->score) ? INFINITY : q->score;

	if (u != v)
		return u < v ? -1 : 1;
	return *x - *y;
}

static int
by_final(const void *a, const void *b)
{
	const struct cand *p = a, *q = b;
	double u = isnan(p->score) ? INFINITY : p->score;
	double v = isnan(q->score) ? INFINITY : q->score;

	if (p->rungs != q->rungs)
		return q->rungs - p->rungs;
	if (u != v)
		return u < v ? -1 : 1;
	return (p->f - q->f) * 1000000 + (p->l - q->l) * 10000 +
	       (p->s - q->s) * 1000 + (p->ci - q->ci) * 100 + (p->e - q->e);
}

/*
 * Grid search, or successive halving (--eta N): every candidate is
 * validated on the last folds of the budget, the best 1/eta go on to a
 * budget eta times larger, until the survivors have every fold.  Scored by
 * the mean out-of-sample log loss of the folds evaluated, or with
 * --backtest by the mean Sharpe of the model's replays (higher is better).
 * Candidates, ties and budgets are in a fixed order: the same inputs give
 * the same search.csv.
 */
static int
cmd_search(struct ml *m)
{
	char fb[4096], lb[1024], sb[256], cb[512], eb[256];
	char *fv[MAX_ALT], *lv[MAX_ALT], *sv[MAX_ALT], *cv[MAX_ALT],
		*ev[MAX_ALT];
	int nf, nl, ns, nc, ne, rc = 1, mk;
	struct cand *cs = NULL;
	int *alive = NULL, nalive, ncand, rung = 0;
	size_t folds = 0;
	char path[PATH_MAX], dsp[PATH_MAX + 64];
	FILE *f;

	if (m->features == NULL || m->label == NULL || m->cv == NULL ||
	    m->out == NULL || m->symbol == NULL || m->timeframe == NULL)
		return fail(m, "--symbol, --timeframe, --features, --label, "
			    "--cv and -o are required");
	if ((nf = split_alts(m, "features", m->features, '|', fb, sizeof(fb),
			     fv)) < 0 ||
	    (nl = split_alts(m, "label", m->label, '|', lb, sizeof(lb), lv)) <
		    0 ||
	    (ns = split_alts(m, "solvers", m->solvers ? m->solvers : "lr_l2",
			     ',', sb, sizeof(sb), sv)) < 0 ||
	    (nc = split_alts(m, "Cs", m->Cs ? m->Cs : "1", ',', cb, sizeof(cb),
			     cv)) < 0 ||
	    (ne = split_alts(m, "enters", m->enters ? m->enters : "0.55", ',',
			     eb, sizeof(eb), ev)) < 0)
		return 1;
	for (int i = 0; i < ns; i++) {
		int sol;
		if (trd_solver_parse(sv[i], &sol) != 0)
			return fail(m, "--solvers: unknown solver '%s'", sv[i]);
	}
	for (int i = 0; i < nc; i++) {
		double d;
		if (parse_double(m, "Cs", cv[i], &d) != 0)
			return 1;
	}
	if (ne > 1 && m->backtest == NULL)
		return fail(m, "%s", "--enters needs --backtest (a threshold "
			    "only shows in the backtest)");
	ncand = nf * nl * ns * nc * ne;
	if (ncand > 10000)
		return fail(m, "%d candidates: at most 10000", ncand);
	if ((mk = trd_mkdir_p(m->out, 0755)) != 0)
		return fail(m, "%s: %s", m->out, strerror(-mk));
	cs = calloc((size_t)ncand, sizeof(*cs));
	alive = calloc((size_t)ncand, sizeof(*alive));
	if (cs == NULL || alive == NULL)
		goto nomem;
	/* The datasets, one per feature set and label. */
	for (int a = 0; a < nf; a++)
		for (int b = 0; b < nl; b++) {
			struct ml d = *m;
			snprintf(dsp, sizeof(dsp), "%s/dataset-%02d-%02d.bin",
				 m->out, a + 1, b + 1);
			d.cmd = "search";
			d.features = fv[a];
			d.label = lv[b];
			d.out = dsp;
			d.quiet = 1;
			if (cmd_dataset(&d) != 0)
				goto out;
		}
	{
		struct trd_dataset ds;
		struct trd_cv_opts o;
		struct trd_fold *fo;
		char sha[65], err[320];
		snprintf(dsp, sizeof(dsp), "%s/dataset-01-01.bin", m->out);
		if (trd_cv_parse(m->cv, &o, err, sizeof(err)) != 0)
			return fail(m, "%s", err);
		if (read_dataset(m, dsp, &ds, sha) != 0)
			goto out;
		if (trd_cv_split(&ds, &o, &fo, &folds, err, sizeof(err)) != 0) {
			trd_dataset_free(&ds);
			fail(m, "%s", err);
			goto out;
		}
		trd_folds_free(fo, folds);
		trd_dataset_free(&ds);
	}
	for (int i = 0, a = 0; a < nf; a++)
		for (int b = 0; b < nl; b++)
			for (int c = 0; c < ns; c++)
				for (int d = 0; d < nc; d++)
					for (int e = 0; e < ne; e++, i++) {
						cs[i] = (struct cand){
							.f = a, .l = b, .s = c,
							.ci = d, .e = e };
						alive[i] = i;
					}
	nalive = ncand;
	cand_base = cs;
	for (;;) {
		/* This rung's budget: the folds divided by eta once per
		 * halving still to come. */
		size_t budget = folds;
		int left = 0;
		for (int n = nalive; m->eta > 1 && n > 1; n = (n + m->eta - 1) /
							     m->eta)
			left++;
		for (int k = 0; k < left && budget > 1; k++)
			budget = (budget + (size_t)m->eta - 1) / (size_t)m->eta;
		if (left == 0)
			budget = folds;
		for (int k = 0; k < nalive; k++) {
			struct cand *c = &cs[alive[k]];
			struct ml v = *m;
			char param[64];
			snprintf(dsp, sizeof(dsp), "%s/dataset-%02d-%02d.bin",
				 m->out, c->f + 1, c->l + 1);
			snprintf(path, sizeof(path), "%s/rung%d-cand%04d",
				 m->out, rung + 1, alive[k] + 1);
			snprintf(param, sizeof(param), "%s=%s",
				 m->model_param ? m->model_param : "ml.model",
				 "");
			v.cmd = "search";
			v.dataset = dsp;
			v.out = path;
			v.quiet = 1;
			v.last_folds = budget;
			trd_solver_parse(sv[c->s], &v.topt.solver);
			v.topt.C = strtod(cv[c->ci], NULL);
			snprintf(param, sizeof(param), "%.*s.enter=%s",
				 (int)strcspn(m->model_param ? m->model_param
							     : "ml.model",
					      "."),
				 m->model_param ? m->model_param : "ml.model",
				 ev[c->e]);
			v.extra_param = m->backtest ? param : NULL;
			if (cmd_validate(&v) != 0)
				goto out;
			c->rungs = rung + 1;
			c->folds = budget;
			c->ll = v.score_ll;
			c->sharpe = v.score_sharpe;
			c->score = m->backtest ? -v.score_sharpe : v.score_ll;
		}
		qsort(alive, (size_t)nalive, sizeof(*alive), by_score);
		fprintf(stderr, "search: rung %d, %d candidates on the last %zu "
			"of %zu folds; best %s %g\n", rung + 1, nalive, budget,
			folds, m->backtest ? "Sharpe" : "log loss",
			m->backtest ? cs[alive[0]].sharpe : cs[alive[0]].ll);
		if (left == 0 || nalive == 1)
			break;
		nalive = (nalive + m->eta - 1) / m->eta;
		rung++;
	}
	qsort(cs, (size_t)ncand, sizeof(*cs), by_final);
	snprintf(path, sizeof(path), "%s/search.csv", m->out);
	if ((f = fopen(path, "w")) == NULL) {
		fail(m, "%s: %s", path, strerror(errno));
		goto out;
	}
	fputs("rank,features,label,solver,C,enter,rungs,folds,logloss,"
	      "sharpe\n", f);
	for (int i = 0; i < ncand; i++) {
		const struct cand *c = &cs[i];
		fprintf(f, "%d,\"%s\",%s,%s,%s,%s,%d,%zu,", i + 1, fv[c->f],
			lv[c->l], sv[c->s], cv[c->ci], ev[c->e], c->rungs,
			c->folds);
		put_num(c->ll, f);
		fputc(',', f);
		if (m->backtest)
			put_num(c->sharpe, f);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		fail(m, "%s: write failed", path);
		goto out;
	}
	printf("search %s: %d candidates, %d rung(s); best: features %s, "
	       "label %s, solver %s, C %s, enter %s (%s %g); %s\n",
	       m->out, ncand, rung + 1, fv[cs[0].f], lv[cs[0].l], sv[cs[0].s],
	       cv[cs[0].ci], ev[cs[0].e], m->backtest ? "Sharpe" : "log loss",
	       m->backtest ? cs[0].sharpe : cs[0].ll, path);
	rc = 0;
	goto out;
nomem:
	fail(m, "%s", "out of memory");
out:
	free(cs);
	free(alive);
	return rc;
}

/* ---- options ---- */

static int
parse_double(const struct ml *m, const char *opt, const char *v, double *out)
{
	char *e;

	errno = 0;
	*out = strtod(v, &e);
	if (e == v || *e != '\0' || errno != 0 || !isfinite(*out) ||
	    !(*out > 0))
		return fail(m, "--%s must be a number > 0, not '%s'", opt, v);
	return 0;
}

int
trd_ctl_ml(int argc, char **argv)
{
	enum { O_FEAT = 256, O_LABEL, O_FORMAT, O_DATASET, O_MODEL, O_SOLVER,
	       O_C, O_CW, O_SEED, O_CV, O_EPS, O_BT, O_BASE, O_MP, O_TRADERD,
	       O_WARM, O_CS, O_SOLVERS, O_ENTERS, O_ETA };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "symbol", required_argument, NULL, 's' },
		{ "timeframe", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "features", required_argument, NULL, O_FEAT },
		{ "label", required_argument, NULL, O_LABEL },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "dataset", required_argument, NULL, O_DATASET },
		{ "model", required_argument, NULL, O_MODEL },
		{ "solver", required_argument, NULL, O_SOLVER },
		{ "C", required_argument, NULL, O_C },
		{ "class-weight", required_argument, NULL, O_CW },
		{ "seed", required_argument, NULL, O_SEED },
		{ "cv", required_argument, NULL, O_CV },
		{ "eps", required_argument, NULL, O_EPS },
		{ "backtest", required_argument, NULL, O_BT },
		{ "baseline", required_argument, NULL, O_BASE },
		{ "model-param", required_argument, NULL, O_MP },
		{ "traderd", required_argument, NULL, O_TRADERD },
		{ "warmup", required_argument, NULL, O_WARM },
		{ "Cs", required_argument, NULL, O_CS },
		{ "solvers", required_argument, NULL, O_SOLVERS },
		{ "enters", required_argument, NULL, O_ENTERS },
		{ "eta", required_argument, NULL, O_ETA },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ml m = { .cmd = argv[0], .from_ns = TRD_TIME_MIN,
			.to_ns = TRD_TIME_MAX,
			.topt = { .solver = 0, .C = 1, .seed = 1 } };
	char *e;
	int ch;

	optind = 0; /* a full re-initialisation of getopt */
	while ((ch = getopt_long(argc, argv, "c:d:s:t:o:h", opts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'c': m.conf_path = optarg; break;
		case 'd': m.data_dir = optarg; break;
		case 's': m.symbol = optarg; break;
		case 't': m.timeframe = optarg; break;
		case 'o': m.out = optarg; break;
		case O_FEAT: m.features = optarg; break;
		case O_LABEL: m.label = optarg; break;
		case O_FORMAT: m.format = optarg; break;
		case O_DATASET: m.dataset = optarg; break;
		case O_MODEL: m.model = optarg; break;
		case O_CV: m.cv = optarg; break;
		case O_BT: m.backtest = optarg; break;
		case O_BASE: m.baseline = optarg; break;
		case O_MP: m.model_param = optarg; break;
		case O_TRADERD: m.traderd = optarg; break;
		case O_CS: m.Cs = optarg; break;
		case O_SOLVERS: m.solvers = optarg; break;
		case O_ENTERS: m.enters = optarg; break;
		case O_ETA:
			m.eta = atoi(optarg);
			if (m.eta < 2 || m.eta > 10)
				return fail(&m, "--eta must be 2..10, not "
					    "'%s'", optarg);
			break;
		case 'F':
		case 'T':
			if (trd_time_parse(optarg, ch == 'F' ? &m.from_ns
							     : &m.to_ns) != 0)
				return fail(&m, "--%s '%s': use ISO 8601 UTC "
					    "or Unix seconds",
					    ch == 'F' ? "from" : "to", optarg);
			break;
		case O_SOLVER:
			if (trd_solver_parse(optarg, &m.topt.solver) != 0)
				return fail(&m, "--solver must be lr_l2, lr_l1, "
					    "lr_l2_dual (probabilities), "
					    "svm_l2, svm_l2_dual, svm_l1_dual "
					    "or svm_l1, not '%s'", optarg);
			break;
		case O_C:
			if (parse_double(&m, "C", optarg, &m.topt.C) != 0)
				return 1;
			break;
		case O_EPS:
			if (parse_double(&m, "eps", optarg, &m.topt.eps) != 0)
				return 1;
			break;
		case O_CW:
			if (strcmp(optarg, "balanced") == 0) {
				m.topt.balanced = 1;
			} else if (sscanf(optarg, "%lf,%lf", &m.topt.weight[0],
					  &m.topt.weight[1]) != 2 ||
				   !(m.topt.weight[0] > 0) ||
				   !(m.topt.weight[1] > 0) ||
				   !isfinite(m.topt.weight[0] +
					     m.topt.weight[1])) {
				return fail(&m, "--class-weight must be "
					    "balanced or W0,W1 (> 0), not "
					    "'%s'", optarg);
			}
			break;
		case O_SEED:
			errno = 0;
			m.topt.seed = strtoull(optarg, &e, 10);
			if (*optarg < '0' || *optarg > '9' || *e || errno)
				return fail(&m, "--seed must be an unsigned "
					    "integer, not '%s'", optarg);
			break;
		case O_WARM:
			errno = 0;
			m.warmup = (uint32_t)strtoul(optarg, &e, 10);
			if (*optarg < '0' || *optarg > '9' || *e || errno ||
			    m.warmup > 1000000)
				return fail(&m, "--warmup must be bars in "
					    "0..1000000, not '%s'", optarg);
			break;
		case 'h': fputs(trd_ctl_ml_usage, stdout); return 0;
		default: fputs(trd_ctl_ml_usage, stderr); return 1;
		}
	}
	if (optind != argc)
		return fail(&m, "unexpected argument '%s'", argv[optind]);
	if (strcmp(m.cmd, "dataset") == 0)
		return cmd_dataset(&m);
	if (strcmp(m.cmd, "train") == 0)
		return cmd_train(&m);
	if (strcmp(m.cmd, "predict") == 0)
		return cmd_predict(&m);
	if (strcmp(m.cmd, "score") == 0)
		return cmd_score(&m);
	if (strcmp(m.cmd, "search") == 0)
		return cmd_search(&m);
	return cmd_validate(&m);
}
