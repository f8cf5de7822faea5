/*
 * train: see train.h.
 */
#include <errno.h>
#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"
#include "version.h"

static void
quiet(const char *s)
{
	(void)s;
}

int
trd_train(const struct trd_dataset *ds, const uint32_t *rows, size_t nrows,
	  const struct trd_train_opts *o, const char *dataset_sha256,
	  struct trd_model *m, char *err, size_t errlen)
{
	uint32_t nf = ds->nfeat;
	struct feature_node *pool = NULL, **xs = NULL;
	struct problem prob = { 0 };
	struct parameter par = { 0 };
	struct model *lm = NULL;
	double *y = NULL;
	int labels[2] = { 0 }, lab_idx1 = -1, wl[2] = { 0, 1 };
	double wt[2];
	size_t n1 = 0;
	const char *msg;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (ds->label.kind == TRD_LABEL_FWD_RETURN) {
		snprintf(err, errlen, "label %s is a return, not a class: "
			 "train on sign(h) or triple_barrier(h,u,d)",
			 ds->label.text);
		return -1;
	}
	if (nrows == 0 && rows == NULL)
		nrows = ds->nrows;
	if (nrows < 2) {
		snprintf(err, errlen, "%zu training rows: too few", nrows);
		return -1;
	}
	if (!(o->C > 0) || !isfinite(o->C)) {
		snprintf(err, errlen, "C must be a number > 0");
		return -1;
	}
	if (trd_model_alloc(m, nf) != 0)
		goto nomem;
	/* Standardisation from the training rows only: exact-order sums in
	 * long double, two passes. */
	for (uint32_t f = 0; f < nf; f++) {
		long double s = 0, v = 0;
		for (size_t r = 0; r < nrows; r++)
			s += ds->x[(size_t)(rows ? rows[r] : r) * nf + f];
		s /= (long double)nrows;
		for (size_t r = 0; r < nrows; r++) {
			long double d =
				ds->x[(size_t)(rows ? rows[r] : r) * nf + f] - s;
			v += d * d;
		}
		m->mean[f] = (double)s;
		m->sd[f] = (double)sqrtl(v / (long double)nrows);
		if (!(m->sd[f] > 0) || !isfinite(1 / m->sd[f]))
			m->sd[f] = 1; /* a constant feature */
		m->isd[f] = 1 / m->sd[f];
		memcpy(m->names[f], ds->names[f], TRD_FEATURE_NAME_MAX);
	}
	pool = malloc(nrows * (nf + 2) * sizeof(*pool));
	xs = malloc(nrows * sizeof(*xs));
	y = malloc(nrows * sizeof(*y));
	if (pool == NULL || xs == NULL || y == NULL)
		goto nomem;
	for (size_t r = 0; r < nrows; r++) {
		size_t row = rows ? rows[r] : r;
		struct feature_node *p = pool + r * (nf + 2);
		xs[r] = p;
		for (uint32_t f = 0; f < nf; f++)
			p[f] = (struct feature_node){
				(int)f + 1,
				(ds->x[row * nf + f] - m->mean[f]) * m->isd[f]
			};
		p[nf] = (struct feature_node){ (int)nf + 1, 1.0 }; /* bias */
		p[nf + 1] = (struct feature_node){ -1, 0 };
		y[r] = ds->y[row] == 1 ? 1 : 0;
		n1 += ds->y[row] == 1;
	}
	if (n1 == 0 || n1 == nrows) {
		snprintf(err, errlen, "the %zu training rows hold one class "
			 "only (%s)", nrows, n1 ? "all 1" : "all 0");
		goto out;
	}
	prob = (struct problem){ .l = (int)nrows, .n = (int)nf + 1, .y = y,
				 .x = xs, .bias = 1 };
	wt[0] = o->balanced ? (double)nrows / (2.0 * (double)(nrows - n1))
			    : o->weight[0] > 0 ? o->weight[0] : 1;
	wt[1] = o->balanced ? (double)nrows / (2.0 * (double)n1)
			    : o->weight[1] > 0 ? o->weight[1] : 1;
	par = (struct parameter){
		.solver_type = o->solver,
		.eps = o->eps > 0 ? o->eps
		       : o->solver == L2R_LR || o->solver == L2R_L2LOSS_SVC
			       ? 0.01
		       : o->solver == L1R_L2LOSS_SVC || o->solver == L1R_LR
			       ? 0.01
			       : 0.1,
		.C = o->C,
		.nr_weight = 2,
		.weight_label = wl,
		.weight = wt,
		.p = 0.1,
	};
	if (trd_solver_name(o->solver) == NULL) {
		snprintf(err, errlen, "solver %d is not a classifier this "
			 "version trains", o->solver);
		goto out;
	}
	if ((msg = check_parameter(&prob, &par)) != NULL) {
		snprintf(err, errlen, "liblinear: %s", msg);
		goto out;
	}
	set_print_string_function(quiet);
	srand((unsigned)o->seed);
	if ((lm = train(&prob, &par)) == NULL)
		goto nomem;
	if (get_nr_class(lm) != 2)
		goto fail_classes;
	get_labels(lm, labels);
	for (int k = 0; k < 2; k++)
		if (labels[k] == 1)
			lab_idx1 = k;
	if (lab_idx1 < 0)
		goto fail_classes;
	/* Class 1's decision function: > 0 means 1. */
	for (uint32_t f = 0; f < nf; f++)
		m->w[f] = get_decfun_coef(lm, (int)f + 1, lab_idx1);
	m->bias = get_decfun_bias(lm, lab_idx1);
	m->solver = o->solver;
	m->prob = trd_solver_has_prob(o->solver);
	m->C = o->C;
	m->weight[0] = wt[0];
	m->weight[1] = wt[1];
	m->seed = o->seed;
	memcpy(m->label, ds->label.text, sizeof(m->label));
	memcpy(m->symbol, ds->symbol, sizeof(m->symbol));
	m->tf_s = ds->tf_s;
	snprintf(m->dataset_sha256, sizeof(m->dataset_sha256), "%s",
		 dataset_sha256 ? dataset_sha256 : "");
	m->train_rows = nrows;
	m->train_from_ns = ds->t0[rows ? rows[0] : 0];
	m->train_to_ns = ds->t1[rows ? rows[nrows - 1] : nrows - 1];
	if (trd_model_quantiles(m, ds->x, nf, NULL, rows, nrows) != 0)
		goto nomem;
	snprintf(m->liblinear, sizeof(m->liblinear), "%d", LIBLINEAR_VERSION);
	snprintf(m->traderd, sizeof(m->traderd), "%s", trd_version);
	rc = 0;
	goto out;
fail_classes:
	snprintf(err, errlen, "liblinear did not return the two classes");
	goto out;
nomem:
	snprintf(err, errlen, "out of memory (%zu rows x %u features)", nrows,
		 nf);
out:
	if (lm)
		free_and_destroy_model(&lm);
	free(pool);
	free(xs);
	free(y);
	if (rc != 0)
		trd_model_free(m);
	return rc;
}

/* ---- validation ---- */

static int
kv_size(const char *v, size_t *out)
{
	char *e;
	unsigned long long n;

	if (v == NULL || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &e, 10);
	if (errno != 0 || *e != '\0' || n > 100000000ULL)
		return -1;
	*out = (size_t)n;
	return 0;
}

int
trd_cv_parse(const char *s, struct trd_cv_opts *o, char *err, size_t errlen)
{
	char buf[256], *save = NULL, *tok, *args;
	size_t v;

	*o = (struct trd_cv_opts){ 0 };
	if (s == NULL || strlen(s) >= sizeof(buf))
		goto bad;
	memcpy(buf, s, strlen(s) + 1);
	args = strchr(buf, ':');
	if (args)
		*args++ = '\0';
	if (strcmp(buf, "walk_forward") == 0)
		o->kind = TRD_CV_WALK_FORWARD;
	else if (strcmp(buf, "purged_kfold") == 0)
		o->kind = TRD_CV_PURGED_KFOLD;
	else
		goto bad;
	for (tok = args ? strtok_r(args, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		if (strcmp(tok, "rolling") == 0 && !eq &&
		    o->kind == TRD_CV_WALK_FORWARD) {
			o->rolling = 1;
			continue;
		}
		if (kv_size(val, &v) != 0) {
			snprintf(err, errlen, "--cv %s: '%s' needs an integer "
				 "value (%s=N)", s, tok, tok);
			return -1;
		}
		if (strcmp(tok, "embargo") == 0)
			o->embargo = v;
		else if (o->kind == TRD_CV_PURGED_KFOLD && strcmp(tok, "k") == 0)
			o->k = (uint32_t)v;
		else if (o->kind == TRD_CV_WALK_FORWARD &&
			 strcmp(tok, "train") == 0)
			o->train = v;
		else if (o->kind == TRD_CV_WALK_FORWARD &&
			 strcmp(tok, "test") == 0)
			o->test = v;
		else if (o->kind == TRD_CV_WALK_FORWARD &&
			 strcmp(tok, "step") == 0)
			o->step = v;
		else
			goto bad;
	}
	if (o->kind == TRD_CV_PURGED_KFOLD && (o->k < 2 || o->k > 1000)) {
		snprintf(err, errlen, "--cv %s: k must be 2..1000", s);
		return -1;
	}
	if (o->kind == TRD_CV_WALK_FORWARD && (o->train == 0 || o->test == 0)) {
		snprintf(err, errlen, "--cv %s: walk_forward needs train=N "
			 "and test=N (rows)", s);
		return -1;
	}
	if (o->step == 0)
		o->step = o->test;
	return 0;
bad:
	snprintf(err, errlen, "--cv '%s': expected walk_forward:train=N,"
		 "test=N[,step=N][,rolling][,embargo=N] or purged_kfold:k=N"
		 "[,embargo=N]", s ? s : "");
	return -1;
}

void
trd_folds_free(struct trd_fold *folds, size_t n)
{
	for (size_t i = 0; folds && i < n; i++)
		free(folds[i].train);
	free(folds);
}

/* Training rows for the test fold [lo, hi) among candidates [a, b): all
 * but the fold, the purged and the embargoed. */
static int
fill_train(const struct trd_dataset *ds, struct trd_fold *f, size_t a,
	   size_t b, size_t embargo)
{
	int64_t span0 = ds->t0[f->test_lo], span1 = ds->t1[f->test_lo];

	for (size_t i = f->test_lo; i < f->test_hi; i++)
		if (ds->t1[i] > span1)
			span1 = ds->t1[i];
	f->train = malloc((b - a ? b - a : 1) * sizeof(*f->train));
	if (f->train == NULL)
		return -1;
	for (size_t i = a; i < b; i++) {
		if (i >= f->test_lo && i < f->test_hi)
			continue;
		if (i >= f->test_hi && i < f->test_hi + embargo) {
			f->embargoed++;
			continue;
		}
		/* Closed intervals overlap unless one ends before the other
		 * starts. */
		if (!(ds->t1[i] < span0 || ds->t0[i] > span1)) {
			f->purged++;
			continue;
		}
		f->train[f->ntrain++] = (uint32_t)i;
	}
	return 0;
}

int
trd_cv_split(const struct trd_dataset *ds, const struct trd_cv_opts *o,
	     struct trd_fold **out, size_t *nout, char *err, size_t errlen)
{
	struct trd_fold *f = NULL;
	size_t n = ds->nrows, nf = 0;

	*out = NULL;
	*nout = 0;
	if (n > UINT32_MAX) {
		snprintf(err, errlen, "%zu rows: too many", n);
		return -1;
	}
	if (o->kind == TRD_CV_PURGED_KFOLD) {
		size_t lo = 0;
		if (n < o->k) {
			snprintf(err, errlen, "%zu rows for %u folds", n, o->k);
			return -1;
		}
		if ((f = calloc(o->k, sizeof(*f))) == NULL)
			goto nomem;
		for (uint32_t k = 0; k < o->k; k++) {
			size_t len = n / o->k + (k < n % o->k);
			f[k].test_lo = lo;
			f[k].test_hi = lo + len;
			lo += len;
			nf++;
			if (fill_train(ds, &f[k], 0, n, o->embargo) != 0)
				goto nomem;
		}
	} else {
		size_t cap = 0;
		for (size_t lo = o->train; lo + o->test <= n; lo += o->step) {
			struct trd_fold *t;
			size_t a = o->rolling ? lo - o->train : 0;
			if (nf == cap) {
				cap = cap ? cap * 2 : 16;
				if ((t = realloc(f, cap * sizeof(*f))) == NULL)
					goto nomem;
				f = t;
			}
			f[nf] = (struct trd_fold){ .test_lo = lo,
						   .test_hi = lo + o->test };
			nf++;
			if (fill_train(ds, &f[nf - 1], a, lo, 0) != 0)
				goto nomem;
		}
		if (nf == 0) {
			snprintf(err, errlen, "%zu rows: not enough for a "
				 "training window of %zu and a test window of "
				 "%zu", n, o->train, o->test);
			free(f);
			return -1;
		}
	}
	*out = f;
	*nout = nf;
	return 0;
nomem:
	trd_folds_free(f, nf);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
trd_model_columns(const struct trd_model *m, const struct trd_dataset *ds,
		  uint32_t *cols, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < m->nfeat; i++) {
		uint32_t c = 0;
		while (c < ds->nfeat && strcmp(ds->names[c], m->names[i]) != 0)
			c++;
		if (c == ds->nfeat) {
			snprintf(err, errlen, "the model's feature %s is not "
				 "in the dataset", m->names[i]);
			return -1;
		}
		cols[i] = c;
	}
	return 0;
}

struct ranked {
	double s;
	int    y;
};

static int
by_score(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->y - y->y;
}

void
trd_score_rows(const struct trd_model *m, const struct trd_dataset *ds,
	       size_t lo, size_t hi, struct trd_scores *out)
{
	uint32_t cols[TRD_MODEL_MAX_FEATURES];
	double x[TRD_MODEL_MAX_FEATURES], ll = 0;
	struct ranked *r = malloc((hi > lo ? hi - lo : 1) * sizeof(*r));
	size_t n = hi - lo, n1 = 0, right = 0;
	char err[160];

	*out = (struct trd_scores){ .n = n, .logloss = NAN, .auc = NAN,
				    .accuracy = NAN, .base_rate = NAN };
	if (r == NULL || n == 0 ||
	    trd_model_columns(m, ds, cols, err, sizeof(err)) != 0) {
		free(r);
		return;
	}
	for (size_t i = lo; i < hi; i++) {
		int y = ds->y[i] == 1;
		double s, p;
		for (uint32_t f = 0; f < m->nfeat; f++)
			x[f] = ds->x[i * ds->nfeat + cols[f]];
		s = trd_model_score(m, x);
		p = trd_sigmoid(s);
		if (p < 1e-15)
			p = 1e-15;
		if (p > 1 - 1e-15)
			p = 1 - 1e-15;
		ll -= y ? log(p) : log(1 - p);
		right += (s >= 0) == y;
		n1 += y;
		r[i - lo] = (struct ranked){ s, y };
	}
	out->accuracy = (double)right / (double)n;
	out->base_rate = (double)n1 / (double)n;
	if (m->prob)
		out->logloss = ll / (double)n;
	if (n1 > 0 && n1 < n) {
		/* Mann-Whitney: the rank sum of the 1s, ties at mid rank. */
		long double rs = 0;
		qsort(r, n, sizeof(*r), by_score);
		for (size_t i = 0; i < n;) {
			size_t j = i, ones = 0;
			while (j < n && r[j].s == r[i].s)
				ones += r[j++].y;
			rs += (long double)ones * ((long double)(i + j + 1) / 2);
			i = j;
		}
		out->auc = (double)((rs - (long double)n1 * (n1 + 1) / 2) /
				    ((long double)n1 * (long double)(n - n1)));
	}
	free(r);
}
