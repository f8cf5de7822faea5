/*
 * train: liblinear on dataset rows, and the validation around it.
 *
 * Training standardises each feature with the mean and population
 * standard deviation of the training rows only (a constant feature gets
 * sd 1), calls liblinear with a bias term, and seeds C's rand() with the
 * model's seed immediately before the call: liblinear's dual and L1
 * solvers permute coordinates with rand(), so the same rows, options and
 * seed give the same model, bit for bit.  Training is single-threaded
 * (rand() is process state).
 *
 * Validation splits rows by time, never shuffled:
 *   walk-forward   test windows of `test` rows every `step` rows after a
 *                  first training window of `train` rows; the training
 *                  window grows (expanding) or keeps `train` rows
 *                  (rolling).  Training rows come before the test window.
 *   purged k-fold  k contiguous test folds (the first n % k one row
 *                  longer); training rows are all the others.
 * In both, every training row whose label interval [t0, t1] overlaps the
 * test fold's span [first t0, last t1] is purged, and the `embargo` rows
 * right after the test fold are removed too (k-fold; in walk-forward no
 * training row comes after its test window).
 */
#ifndef TRD_TRAIN_H
#define TRD_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "model.h"

struct trd_train_opts {
	int      solver;     /* liblinear solver_type (trd_solver_parse) */
	double   C;          /* > 0 */
	double   eps;        /* stopping tolerance; 0: liblinear's default */
	int      balanced;   /* class weights n / (2 n_c) */
	double   weight[2];  /* else these (0: 1) */
	uint64_t seed;
};

/* Train on rows[0..nrows) of ds (rows NULL: all of them, in order).
 * 0, or -1 with the reason in err.  m is freed with trd_model_free. */
int trd_train(const struct trd_dataset *ds, const uint32_t *rows,
	      size_t nrows, const struct trd_train_opts *o,
	      const char *dataset_sha256, struct trd_model *m, char *err,
	      size_t errlen);

enum trd_cv_kind { TRD_CV_WALK_FORWARD, TRD_CV_PURGED_KFOLD };

struct trd_cv_opts {
	enum trd_cv_kind kind;
	uint32_t k;          /* purged k-fold: folds, 2..1000 */
	size_t   train;      /* walk-forward: first (or rolling) window */
	size_t   test, step; /* walk-forward: test window, step (0: test) */
	int      rolling;    /* walk-forward: keep `train` rows */
	size_t   embargo;    /* rows removed after each test fold */
};

struct trd_fold {
	size_t    test_lo, test_hi;  /* test rows [lo, hi) */
	uint32_t *train;             /* training row indexes, rising */
	size_t    ntrain;
	size_t    purged, embargoed; /* rows removed from training */
};

/* Parse "walk_forward:train=N,test=N[,step=N][,rolling]" or
 * "purged_kfold:k=N[,embargo=N]" (walk_forward also takes embargo=N,
 * which has no rows to remove).  0, or -1 with a message. */
int trd_cv_parse(const char *s, struct trd_cv_opts *o, char *err,
		 size_t errlen);

/* The folds of ds under o: *folds malloc'd (trd_folds_free).  0, or -1
 * with the reason (too few rows for the windows) in err. */
int trd_cv_split(const struct trd_dataset *ds, const struct trd_cv_opts *o,
		 struct trd_fold **folds, size_t *nfolds, char *err,
		 size_t errlen);
void trd_folds_free(struct trd_fold *folds, size_t n);

/* Scores of a model on rows [lo, hi) of ds. */
struct trd_scores {
	size_t n;
	double logloss;  /* NaN for a model without probabilities */
	double auc;      /* NaN when the rows hold one class */
	double accuracy; /* P >= 0.5 (or score >= 0) predicts 1 */
	double base_rate; /* share of label 1 */
};
void trd_score_rows(const struct trd_model *m, const struct trd_dataset *ds,
		    size_t lo, size_t hi, struct trd_scores *out);

/* The model's feature columns of ds: cols[i] is the dataset column of
 * model feature i.  0, or -1 naming the first feature ds lacks. */
int trd_model_columns(const struct trd_model *m, const struct trd_dataset *ds,
		      uint32_t *cols, char *err, size_t errlen);

#endif
