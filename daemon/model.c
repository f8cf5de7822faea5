/*
 * model: see model.h.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "model.h"
#include "store.h"
#include "timefmt.h"
#include "wfile.h"

static const struct {
	const char *name;
	int         solver, prob;
} solvers[] = {
	{ "lr_l2", 0, 1 },       { "svm_l2_dual", 1, 0 }, { "svm_l2", 2, 0 },
	{ "svm_l1_dual", 3, 0 }, { "svm_l1", 5, 0 },      { "lr_l1", 6, 1 },
	{ "lr_l2_dual", 7, 1 },
};
#define NSOLVERS (sizeof(solvers) / sizeof(solvers[0]))

int
trd_solver_parse(const char *name, int *solver)
{
	for (size_t i = 0; name && i < NSOLVERS; i++)
		if (strcmp(name, solvers[i].name) == 0) {
			*solver = solvers[i].solver;
			return 0;
		}
	return -1;
}

const char *
trd_solver_name(int solver)
{
	for (size_t i = 0; i < NSOLVERS; i++)
		if (solvers[i].solver == solver)
			return solvers[i].name;
	return NULL;
}

int
trd_solver_has_prob(int solver)
{
	for (size_t i = 0; i < NSOLVERS; i++)
		if (solvers[i].solver == solver)
			return solvers[i].prob;
	return 0;
}

int
trd_model_alloc(struct trd_model *m, uint32_t nfeat)
{
	size_t n = nfeat ? nfeat : 1;

	m->nfeat = nfeat;
	m->names = calloc(n, sizeof(*m->names));
	m->mean = calloc(n, sizeof(double));
	m->sd = calloc(n, sizeof(double));
	m->w = calloc(n, sizeof(double));
	m->isd = calloc(n, sizeof(double));
	m->q = calloc(n + 1, sizeof(*m->q));
	m->qe = calloc(n + 1, sizeof(*m->qe));
	if (m->names && m->mean && m->sd && m->w && m->isd && m->q && m->qe)
		return 0;
	trd_model_free(m);
	return -ENOMEM;
}

void
trd_model_free(struct trd_model *m)
{
	free(m->names);
	free(m->mean);
	free(m->sd);
	free(m->w);
	free(m->isd);
	free(m->q);
	free(m->qe);
	m->q = NULL;
	m->qe = NULL;
	m->names = NULL;
	m->mean = m->sd = m->w = m->isd = NULL;
	m->nfeat = 0;
}

double
trd_sigmoid(double score)
{
	/* Either form is exact where it does not overflow. */
	if (score >= 0)
		return 1 / (1 + exp(-score));
	return exp(score) / (1 + exp(score));
}

double
trd_psi(const uint32_t *counts, uint32_t n, const double *ref)
{
	double psi = 0;

	if (n == 0)
		return NAN;
	for (int b = 0; b <= TRD_MODEL_QN; b++) {
		double a = (double)counts[b] / n, e = ref[b];
		if (a < 1e-4)
			a = 1e-4;
		if (e < 1e-4)
			e = 1e-4;
		psi += (a - e) * log(a / e);
	}
	return psi;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void
deciles(double *v, size_t n, double *q, double *e)
{
	size_t cnt[TRD_MODEL_QN + 1] = { 0 };

	qsort(v, n, sizeof(*v), cmp_dbl);
	for (int k = 1; k <= TRD_MODEL_QN; k++)
		q[k - 1] = v[(size_t)((double)n * k / (TRD_MODEL_QN + 1))];
	for (size_t i = 0; i < n; i++)
		cnt[trd_model_bin(q, v[i])]++;
	for (int b = 0; b <= TRD_MODEL_QN; b++)
		e[b] = n ? (double)cnt[b] / (double)n : 0;
}

int
trd_model_quantiles(struct trd_model *m, const double *x, uint32_t stride,
		    const uint32_t *cols, const uint32_t *rows, size_t n)
{
	double *v = malloc((n ? n : 1) * sizeof(*v)), r[TRD_MODEL_MAX_FEATURES];

	if (v == NULL)
		return -ENOMEM;
	for (uint32_t f = 0; f <= m->nfeat; f++) {
		for (size_t i = 0; i < n; i++) {
			size_t row = rows ? rows[i] : i;
			if (f < m->nfeat) {
				v[i] = x[row * stride + (cols ? cols[f] : f)];
				continue;
			}
			for (uint32_t k = 0; k < m->nfeat; k++)
				r[k] = x[row * stride + (cols ? cols[k] : k)];
			v[i] = trd_model_score(m, r);
		}
		deciles(v, n, m->q[f], m->qe[f]);
	}
	free(v);
	return 0;
}

double
trd_model_predict(const struct trd_model *m, const double *x)
{
	double s = trd_model_score(m, x);

	return m->prob ? trd_sigmoid(s) : s;
}

/* ---- the file ---- */

struct out {
	char  *p;
	size_t len, cap;
	int    err;
};

static void __attribute__((format(printf, 2, 3)))
outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	for (;;) {
		size_t room = o->cap - o->len;
		va_start(ap, fmt);
		n = vsnprintf(o->p ? o->p + o->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->err = 1;
			return;
		}
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap ? o->cap * 2 : 4096;
		while (cap - o->len <= (size_t)n)
			cap *= 2;
		char *q = realloc(o->p, cap);
		if (q == NULL) {
			o->err = 1;
			return;
		}
		o->p = q;
		o->cap = cap;
	}
}

/* The shortest decimal that reads back as v. */
static const char *
num(double v, char *b, size_t cap)
{
	return trd_dtoa(v, b, cap);
}

char *
trd_model_format(const struct trd_model *m)
{
	struct out o = { 0 };
	char a[40], b[40], c[40], tf[16];

	outf(&o, "traderd-model 1\n");
	outf(&o, "symbol %s\n", m->symbol);
	outf(&o, "timeframe %s\n", trd_timeframe_format(m->tf_s, tf));
	outf(&o, "label %s\n", m->label);
	outf(&o, "solver %s\n", trd_solver_name(m->solver));
	outf(&o, "C %s\n", num(m->C, a, sizeof(a)));
	outf(&o, "class_weight %s %s\n", num(m->weight[0], a, sizeof(a)),
	     num(m->weight[1], b, sizeof(b)));
	outf(&o, "seed %llu\n", (unsigned long long)m->seed);
	outf(&o, "dataset_sha256 %s\n", m->dataset_sha256);
	outf(&o, "train_rows %llu\n", (unsigned long long)m->train_rows);
	outf(&o, "train_span %s %s\n", trd_time_format(m->train_from_ns, a),
	     trd_time_format(m->train_to_ns, b));
	outf(&o, "liblinear %s\n", m->liblinear);
	outf(&o, "traderd %s\n", m->traderd);
	outf(&o, "features %u\n", m->nfeat);
	for (uint32_t i = 0; i < m->nfeat; i++)
		outf(&o, "f %s %s %s %s\n", m->names[i],
		     num(m->mean[i], a, sizeof(a)), num(m->sd[i], b, sizeof(b)),
		     num(m->w[i], c, sizeof(c)));
	outf(&o, "bias %s\n", num(m->bias, a, sizeof(a)));
	for (uint32_t i = 0; i <= m->nfeat; i++) {
		outf(&o, "q %s", i < m->nfeat ? m->names[i] : "score");
		for (int k = 0; k < TRD_MODEL_QN; k++)
			outf(&o, " %s", num(m->q[i][k], a, sizeof(a)));
		for (int k = 0; k <= TRD_MODEL_QN; k++)
			outf(&o, " %s", num(m->qe[i][k], a, sizeof(a)));
		outf(&o, "\n");
	}
	outf(&o, "end\n");
	if (o.err) {
		free(o.p);
		return NULL;
	}
	return o.p;
}

struct in {
	const char *p, *end;
	int         line;
	char        buf[512];
	char       *err;
	size_t      errlen;
};

static int __attribute__((format(printf, 2, 3)))
bad(struct in *in, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(in->err, in->errlen, "line %d: %s", in->line, msg);
	return -1;
}

/* The next line, whose first word must be key; the rest in *rest. */
static int
next(struct in *in, const char *key, char **rest)
{
	const char *nl;
	size_t n, k = strlen(key);

	in->line++;
	if (in->p >= in->end)
		return bad(in, "the file ends before '%s' (truncated?)", key);
	nl = memchr(in->p, '\n', (size_t)(in->end - in->p));
	if (nl == NULL)
		return bad(in, "no newline at the end (truncated?)");
	n = (size_t)(nl - in->p);
	if (n >= sizeof(in->buf))
		return bad(in, "longer than %zu bytes", sizeof(in->buf) - 1);
	memcpy(in->buf, in->p, n);
	in->buf[n] = '\0';
	in->p = nl + 1;
	if (memchr(in->buf, '\0', n) != NULL)
		return bad(in, "a NUL byte");
	if (strncmp(in->buf, key, k) != 0 ||
	    (in->buf[k] != ' ' && in->buf[k] != '\0'))
		return bad(in, "expected '%s'", key);
	*rest = in->buf + k + (in->buf[k] == ' ');
	return 0;
}

static int
num_in(struct in *in, char **s, double *v, const char *what)
{
	char *e;

	while (**s == ' ')
		(*s)++;
	errno = 0;
	*v = strtod(*s, &e);
	if (e == *s || errno == ERANGE || !isfinite(*v) ||
	    (*e != ' ' && *e != '\0'))
		return bad(in, "%s is not a finite number", what);
	*s = e;
	return 0;
}

static int
u64_in(struct in *in, const char *s, uint64_t max, uint64_t *v,
       const char *what)
{
	char *e;

	errno = 0;
	if (*s < '0' || *s > '9' ||
	    (*v = strtoull(s, &e, 10), errno != 0) || *e != '\0' || *v > max)
		return bad(in, "%s must be an integer in 0..%llu", what,
			   (unsigned long long)max);
	return 0;
}

static int
word_in(struct in *in, const char *s, char *out, size_t cap, const char *what)
{
	size_t n = strlen(s);

	if (n == 0 || n >= cap || strchr(s, ' ') != NULL)
		return bad(in, "bad %s", what);
	memcpy(out, s, n + 1);
	return 0;
}

int
trd_model_parse(const char *buf, size_t len, struct trd_model *m, char *err,
		size_t errlen)
{
	struct in in = { .p = buf, .end = buf + len, .err = err,
			 .errlen = errlen };
	char *r, sp[2][40];
	uint64_t u;
	double d;

	memset(m, 0, sizeof(*m));
	if (next(&in, "traderd-model", &r) != 0)
		goto fail;
	if (strcmp(r, "1") != 0) {
		bad(&in, "format '%s' is not 1 (a newer traderd's model?)", r);
		goto fail;
	}
	if (next(&in, "symbol", &r) != 0 ||
	    word_in(&in, r, m->symbol, sizeof(m->symbol), "symbol") != 0)
		goto fail;
	if (!trd_symbol_valid(m->symbol)) {
		bad(&in, "bad symbol");
		goto fail;
	}
	if (next(&in, "timeframe", &r) != 0)
		goto fail;
	if (trd_timeframe_parse(r, &m->tf_s) != 0) {
		bad(&in, "bad timeframe");
		goto fail;
	}
	if (next(&in, "label", &r) != 0 ||
	    word_in(&in, r, m->label, sizeof(m->label), "label") != 0)
		goto fail;
	if (next(&in, "solver", &r) != 0)
		goto fail;
	if (trd_solver_parse(r, &m->solver) != 0) {
		bad(&in, "unknown solver '%.40s'", r);
		goto fail;
	}
	m->prob = trd_solver_has_prob(m->solver);
	if (next(&in, "C", &r) != 0 || num_in(&in, &r, &m->C, "C") != 0)
		goto fail;
	if (!(m->C > 0) || *r) {
		bad(&in, "C must be one number > 0");
		goto fail;
	}
	if (next(&in, "class_weight", &r) != 0 ||
	    num_in(&in, &r, &m->weight[0], "class weight") != 0 ||
	    num_in(&in, &r, &m->weight[1], "class weight") != 0)
		goto fail;
	if (*r || !(m->weight[0] > 0) || !(m->weight[1] > 0)) {
		bad(&in, "class_weight: two numbers > 0");
		goto fail;
	}
	if (next(&in, "seed", &r) != 0 ||
	    u64_in(&in, r, UINT64_MAX, &m->seed, "seed") != 0)
		goto fail;
	if (next(&in, "dataset_sha256", &r) != 0)
		goto fail;
	if (strlen(r) != 64 || strspn(r, "0123456789abcdef") != 64) {
		bad(&in, "dataset_sha256 is not 64 hex digits");
		goto fail;
	}
	memcpy(m->dataset_sha256, r, 65);
	if (next(&in, "train_rows", &r) != 0 ||
	    u64_in(&in, r, UINT64_MAX, &m->train_rows, "train_rows") != 0)
		goto fail;
	if (next(&in, "train_span", &r) != 0)
		goto fail;
	if (sscanf(r, "%39s %39s", sp[0], sp[1]) != 2 ||
	    trd_time_parse(sp[0], &m->train_from_ns) != 0 ||
	    trd_time_parse(sp[1], &m->train_to_ns) != 0) {
		bad(&in, "train_span: two ISO 8601 times");
		goto fail;
	}
	if (next(&in, "liblinear", &r) != 0 ||
	    word_in(&in, r, m->liblinear, sizeof(m->liblinear),
		    "liblinear version") != 0 ||
	    next(&in, "traderd", &r) != 0 ||
	    word_in(&in, r, m->traderd, sizeof(m->traderd),
		    "traderd version") != 0)
		goto fail;
	if (next(&in, "features", &r) != 0 ||
	    u64_in(&in, r, TRD_MODEL_MAX_FEATURES, &u, "features") != 0)
		goto fail;
	if (u == 0) {
		bad(&in, "a model needs at least one feature");
		goto fail;
	}
	if (trd_model_alloc(m, (uint32_t)u) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < m->nfeat; i++) {
		char name[TRD_FEATURE_NAME_MAX], canon[1][TRD_FEATURE_NAME_MAX];
		char e2[200], *sp1;
		if (next(&in, "f", &r) != 0)
			goto fail;
		if ((sp1 = strchr(r, ' ')) == NULL ||
		    (size_t)(sp1 - r) >= sizeof(name)) {
			bad(&in, "f NAME MEAN SD WEIGHT");
			goto fail;
		}
		memcpy(name, r, (size_t)(sp1 - r));
		name[sp1 - r] = '\0';
		if (trd_feature_expand(name, canon, 1, e2, sizeof(e2)) != 1 ||
		    strcmp(canon[0], name) != 0) {
			bad(&in, "'%s' is not one feature output in canonical "
			    "form", name);
			goto fail;
		}
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(m->names[j], name) == 0) {
				bad(&in, "feature %s twice", name);
				goto fail;
			}
		memcpy(m->names[i], name, sizeof(name));
		r = sp1;
		if (num_in(&in, &r, &m->mean[i], "mean") != 0 ||
		    num_in(&in, &r, &m->sd[i], "sd") != 0 ||
		    num_in(&in, &r, &m->w[i], "weight") != 0)
			goto fail;
		if (*r || !(m->sd[i] > 0)) {
			bad(&in, "f NAME MEAN SD WEIGHT, sd > 0");
			goto fail;
		}
		m->isd[i] = 1 / m->sd[i];
		if (!isfinite(m->isd[i])) {
			bad(&in, "sd too small");
			goto fail;
		}
	}
	if (next(&in, "bias", &r) != 0 || num_in(&in, &r, &d, "bias") != 0)
		goto fail;
	if (*r) {
		bad(&in, "bias: one number");
		goto fail;
	}
	m->bias = d;
	for (uint32_t i = 0; i <= m->nfeat; i++) {
		const char *want = i < m->nfeat ? m->names[i] : "score";
		size_t wl = strlen(want);
		if (next(&in, "q", &r) != 0)
			goto fail;
		if (strncmp(r, want, wl) != 0 || r[wl] != ' ') {
			bad(&in, "expected the deciles of %s", want);
			goto fail;
		}
		r += wl;
		for (int k = 0; k < TRD_MODEL_QN; k++) {
			if (num_in(&in, &r, &m->q[i][k], "a decile") != 0)
				goto fail;
			if (k && m->q[i][k] < m->q[i][k - 1]) {
				bad(&in, "deciles must not fall");
				goto fail;
			}
		}
		for (int k = 0; k <= TRD_MODEL_QN; k++) {
			if (num_in(&in, &r, &m->qe[i][k], "a bin share") != 0)
				goto fail;
			if (m->qe[i][k] < 0 || m->qe[i][k] > 1) {
				bad(&in, "a bin share is in [0, 1]");
				goto fail;
			}
		}
		if (*r) {
			bad(&in, "q NAME, 9 deciles and 10 bin shares");
			goto fail;
		}
	}
	if (next(&in, "end", &r) != 0)
		goto fail;
	if (*r || in.p != in.end) {
		bad(&in, "data after 'end'");
		goto fail;
	}
	return 0;
fail:
	trd_model_free(m);
	return -1;
}
