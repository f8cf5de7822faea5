/*
 * model: a trained linear model, as a file and in memory.
 *
 * A model scores a row of feature values x (in its feature order):
 *   z_i   = (x_i - mean_i) / sd_i     the standardisation fitted on the
 *                                     training rows only
 *   score = bias + sum_i w_i z_i
 *   P(1)  = 1 / (1 + exp(-score))     logistic-regression solvers only;
 *                                     the SVM solvers give a score whose
 *                                     sign is the class, no probability
 * Class 1 is the label's "up" (sign(h) = 1, the upper barrier).
 *
 * The file is text, one "key value" per line, numbers as the shortest
 * decimal that reads back exactly, so the same training gives the same
 * bytes; its SHA-256 is the model's id.  It carries its lineage: the
 * dataset's hash, series, label, feature list, solver, C, class weights,
 * seed, and the liblinear and traderd versions; and the deciles of each
 * feature and of the score on the training rows, with the share of those
 * rows in each bin (the reference that the
 * daemon's drift, PSI, is measured against).  trd_model_parse
 * refuses anything else with the line and what is wrong.
 */
#ifndef TRD_MODEL_H
#define TRD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "feature.h"
#include "traderd/types.h"

#define TRD_MODEL_MAX_FEATURES 256
#define TRD_MODEL_QN           9   /* decile cut points */

struct trd_model {
	uint32_t nfeat;
	char   (*names)[TRD_FEATURE_NAME_MAX];
	double  *mean, *sd, *w;
	double  *isd;      /* 1 / sd, for scoring */
	/* Drift reference: the deciles (9 cut points, rising) of each
	 * feature and, last, of the score on the training rows; PSI bins
	 * are [-inf, q1), [q1, q2), ... [q9, inf). */
	double (*q)[TRD_MODEL_QN];
	double (*qe)[TRD_MODEL_QN + 1]; /* the training rows' share per bin
					 * (a tenth each, but for ties) */
	double   bias;
	int      solver;   /* liblinear's solver_type */
	int      prob;     /* scores are log-odds: P(1) is defined */
	double   C;
	double   weight[2]; /* class weights of 0 and 1 */
	uint64_t seed;
	char     label[64];
	char     symbol[TRD_SYMBOL_MAX + 1];
	uint32_t tf_s;
	char     dataset_sha256[65];
	uint64_t train_rows;
	int64_t  train_from_ns, train_to_ns; /* first t0, last t1 */
	char     liblinear[16], traderd[32];
};

/* The solvers by name: lr_l2 (0), lr_l1 (6), lr_l2_dual (7) give
 * probabilities; svm_l2 (2), svm_l2_dual (1), svm_l1_dual (3),
 * svm_l1 (5) do not.  0 with *solver set, or -1. */
int trd_solver_parse(const char *name, int *solver);
const char *trd_solver_name(int solver);
int trd_solver_has_prob(int solver);

/* Allocate the arrays for nfeat features (0 or -ENOMEM). */
int trd_model_alloc(struct trd_model *m, uint32_t nfeat);
void trd_model_free(struct trd_model *m);

/* The model file (malloc'd text). */
char *trd_model_format(const struct trd_model *m);
/* Parse a model file's bytes.  0, or -1 with "line N: what" in err. */
int trd_model_parse(const char *buf, size_t len, struct trd_model *m,
		    char *err, size_t errlen);

/* Score of one row (x in the model's feature order). */
static inline double
trd_model_score(const struct trd_model *m, const double *x)
{
	double s = m->bias;

	for (uint32_t i = 0; i < m->nfeat; i++)
		s += m->w[i] * ((x[i] - m->mean[i]) * m->isd[i]);
	return s;
}

/* The same over pointers to the values (the feature engine's outputs,
 * resolved once): what the daemon calls on each bar. */
static inline double
trd_model_score_ptr(const struct trd_model *m, const double *const *x)
{
	double s = m->bias;

	for (uint32_t i = 0; i < m->nfeat; i++)
		s += m->w[i] * ((*x[i] - m->mean[i]) * m->isd[i]);
	return s;
}

/* The decile bin (0..9) of v against cut points q. */
static inline int
trd_model_bin(const double *q, double v)
{
	int b = 0;

	while (b < TRD_MODEL_QN && v >= q[b])
		b++;
	return b;
}

/* Population stability index of counts[10] (n observations) against the
 * reference shares e[10]: sum (a - e) ln(a / e), a share under 0.0001
 * (an empty bin) counted as 0.0001. */
double trd_psi(const uint32_t *counts, uint32_t n, const double *e);

/* Fill m->q from the rows (x row-major, stride nfeat; rows given, or all
 * n when rows is NULL): 0 or -ENOMEM. */
int trd_model_quantiles(struct trd_model *m, const double *x, uint32_t stride,
			const uint32_t *cols, const uint32_t *rows, size_t n);

/* P(1) = 1 / (1 + exp(-score)). */
double trd_sigmoid(double score);

/* P(1) for a probability model, else the score. */
double trd_model_predict(const struct trd_model *m, const double *x);

#endif
