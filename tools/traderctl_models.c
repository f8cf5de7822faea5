/*
 * traderctl models: the model registry (daemon/model_registry.h) of a
 * store's data_dir.
 *
 *   models add MODEL [--validation DIR/validation.json]
 *   models list
 *   models show ID
 *   models promote ID --name NAME [--to FILE]
 *   models diff ID_A ID_B
 *
 * IDs are the models' SHA-256, or an unambiguous prefix of 6 or more hex
 * digits.  promote --to writes the model file where a strategy's config
 * reads it (atomically), for a reload to take it up.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dataset.h"
#include "model.h"
#include "model_registry.h"
#include "traderctl_ml.h"

static int
fail(const char *fmt, const char *a)
{
	fputs("traderctl models: ", stderr);
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return 1;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double
num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The mean of a fold metric (NaN without folds). */
static double
mean_fold(const cJSON *e, const char *k, const char *sub)
{
	const cJSON *f, *folds = cJSON_GetObjectItemCaseSensitive(e, "folds");
	double s = 0;
	int n = 0;

	cJSON_ArrayForEach(f, folds) {
		const cJSON *o = sub ? cJSON_GetObjectItemCaseSensitive(f, sub)
				     : f;
		double v = num(o, k);
		if (!isnan(v)) {
			s += v;
			n++;
		}
	}
	return n ? s / n : NAN;
}

/* v with fmt, or "-" without it (a model registered without folds). */
static const char *
fig(char *b, size_t cap, const char *fmt, double v)
{
	if (isnan(v))
		snprintf(b, cap, "-");
	else
		snprintf(b, cap, fmt, v);
	return b;
}

static void
list_one(void *arg, const char *id, const char *json, const char *promoted)
{
	cJSON *e = cJSON_Parse(json);
	char feat[32], auc[32], ret[32];

	(void)arg;
	if (e == NULL)
		return;
	snprintf(feat, sizeof(feat), "%d",
		 cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e,
								     "features")));
	printf("%-12.12s %-10s %-4s %-26s %-11s %8g %5s %9.0f %6s %8s  %s\n",
	       id, str(e, "symbol"), str(e, "timeframe"), str(e, "label"),
	       str(e, "solver"), num(e, "C"), feat, num(e, "train_rows"),
	       fig(auc, sizeof(auc), "%.4f", mean_fold(e, "auc", NULL)),
	       fig(ret, sizeof(ret), "%.2f",
		   mean_fold(e, "total_return", "backtest") * 100),
	       promoted ? promoted : "");
	cJSON_Delete(e);
}

/* Lineage fields of two entries side by side, then the weights. */
static void
diff(const cJSON *a, const cJSON *b, const char *ia, const char *ib)
{
	static const char *keys[] = { "symbol", "timeframe", "label", "solver",
				      "C", "class_weight_0", "class_weight_1",
				      "seed", "dataset_sha256", "train_rows",
				      "train_from", "train_to", "liblinear",
				      "traderd", "validation_cv" };
	struct trd_model ma, mb;
	char err[256];
	const char *ta = str(a, "model"), *tb = str(b, "model");
	int same = 1;

	printf("%-16s %-30.12s %-30.12s\n", "", ia, ib);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, keys[k]);
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, keys[k]);
		char *sx = x ? cJSON_PrintUnformatted(x) : strdup("-");
		char *sy = y ? cJSON_PrintUnformatted(y) : strdup("-");
		if (sx && sy && strcmp(sx, sy) != 0) {
			/* Side by side when both fit, else one a line. */
			if (strlen(sx) <= 30 && strlen(sy) <= 30)
				printf("%-16s %-30s %-30s\n", keys[k], sx, sy);
			else
				printf("%-16s %s\n%-16s %s\n", keys[k], sx, "",
				       sy);
			same = 0;
		}
		free(sx);
		free(sy);
	}
	{
		char x[32], y[32];
		printf("%-16s %-30s %-30s\n", "mean AUC",
		       fig(x, sizeof(x), "%.4f", mean_fold(a, "auc", NULL)),
		       fig(y, sizeof(y), "%.4f", mean_fold(b, "auc", NULL)));
	}
	if (trd_model_parse(ta, strlen(ta), &ma, err, sizeof(err)) != 0)
		return;
	if (trd_model_parse(tb, strlen(tb), &mb, err, sizeof(err)) != 0) {
		trd_model_free(&ma);
		return;
	}
	printf("\n%-28s %14s %14s\n", "weight (standardised)", "a", "b");
	for (uint32_t i = 0; i < ma.nfeat; i++) {
		double wb = NAN;
		for (uint32_t j = 0; j < mb.nfeat; j++)
			if (strcmp(ma.names[i], mb.names[j]) == 0)
				wb = mb.w[j];
		printf("%-28s %14.6g %14.6g\n", ma.names[i], ma.w[i], wb);
	}
	for (uint32_t j = 0; j < mb.nfeat; j++) {
		int found = 0;
		for (uint32_t i = 0; i < ma.nfeat; i++)
			found |= strcmp(ma.names[i], mb.names[j]) == 0;
		if (!found)
			printf("%-28s %14s %14.6g\n", mb.names[j], "-",
			       mb.w[j]);
	}
	printf("%-28s %14.6g %14.6g\n", "bias", ma.bias, mb.bias);
	if (same)
		printf("(same lineage)\n");
	trd_model_free(&ma);
	trd_model_free(&mb);
}

int
trd_ctl_models(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "validation", required_argument, NULL, 'v' },
		{ "name", required_argument, NULL, 'n' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = NULL, *data_dir = NULL, *valp = NULL,
		   *name = NULL, *to = NULL, *sub;
	struct trd_config *conf = NULL;
	struct trd_registry_db *r = NULL;
	char err[320], id[65], id2[65];
	int ch, rc = 1;

	optind = 0; /* a full re-initialisation of getopt */
	while ((ch = getopt_long(argc, argv, "c:d:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'v': valp = optarg; break;
		case 'n': name = optarg; break;
		case 't': to = optarg; break;
		default: goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	sub = argv[optind++];
	if (conf_path) {
		if (trd_config_load(conf_path, &conf, NULL) != 0)
			return 1;
		data_dir = conf->data_dir;
	}
	if (data_dir == NULL) {
		fail("%s", "no store given: use --data-dir DIR or -c FILE");
		goto out;
	}
	if (trd_regdb_open(&r, data_dir, strcmp(sub, "add") == 0 ||
						 strcmp(sub, "promote") == 0,
			   err, sizeof(err)) != 0) {
		fail("%s", err);
		goto out;
	}
	if (strcmp(sub, "add") == 0 && optind + 1 == argc) {
		char *m, *v = NULL;
		size_t ml, vl = 0;
		int e;
		if ((e = trd_file_read(argv[optind], 64 << 20, &m, &ml)) != 0) {
			fprintf(stderr, "traderctl models: %s: %s\n",
				argv[optind], strerror(-e));
			goto out;
		}
		if (valp && (e = trd_file_read(valp, 64 << 20, &v, &vl)) != 0) {
			fprintf(stderr, "traderctl models: %s: %s\n", valp,
				strerror(-e));
			free(m);
			goto out;
		}
		e = trd_regdb_add(r, m, ml, v, vl, id, err, sizeof(err));
		free(m);
		free(v);
		if (e < 0) {
			fprintf(stderr, "traderctl models: %s: %s\n",
				argv[optind], err);
			goto out;
		}
		printf(e ? "model %s registered already (the same entry; "
			   "nothing changed)\n" : "model %s registered\n", id);
		rc = 0;
	} else if (strcmp(sub, "list") == 0 && optind == argc) {
		printf("%-12s %-10s %-4s %-26s %-11s %8s %5s %9s %6s %8s  %s\n",
		       "id", "symbol", "tf", "label", "solver", "C", "feat",
		       "rows", "AUC", "bt ret%", "promoted");
		rc = trd_regdb_each(r, list_one, NULL, err, sizeof(err));
		if (rc != 0)
			fail("%s", err);
	} else if (strcmp(sub, "show") == 0 && optind + 1 == argc) {
		char *js;
		if (trd_regdb_get(r, argv[optind], &js, id, err,
				  sizeof(err)) != 0) {
			fail("%s", err);
			goto out;
		}
		printf("id: %s\n%s\n", id, js);
		free(js);
		rc = 0;
	} else if (strcmp(sub, "promote") == 0 && optind + 1 == argc) {
		char *js;
		cJSON *e;
		if (name == NULL) {
			fail("%s", "promote needs --name NAME");
			goto out;
		}
		if (trd_regdb_get(r, argv[optind], &js, id, err,
				  sizeof(err)) != 0) {
			fail("%s", err);
			goto out;
		}
		e = cJSON_Parse(js);
		free(js);
		if (to) {
			const char *t = str(e, "model");
			int w = trd_file_write(to, t, strlen(t));
			if (w != 0) {
				fprintf(stderr, "traderctl models: %s: %s\n",
					to, strerror(-w));
				cJSON_Delete(e);
				goto out;
			}
		}
		cJSON_Delete(e);
		if (trd_regdb_promote(r, name, id, err, sizeof(err)) != 0) {
			fail("%s", err);
			goto out;
		}
		printf("model %.12s promoted as %s%s%s%s\n", id, name,
		       to ? "; written to " : "", to ? to : "",
		       to ? " (traderctl reload takes it up)" : "");
		rc = 0;
	} else if (strcmp(sub, "diff") == 0 && optind + 2 == argc) {
		char *ja, *jb;
		cJSON *a, *b;
		if (trd_regdb_get(r, argv[optind], &ja, id, err,
				  sizeof(err)) != 0 ||
		    trd_regdb_get(r, argv[optind + 1], &jb, id2, err,
				  sizeof(err)) != 0) {
			fail("%s", err);
			goto out;
		}
		a = cJSON_Parse(ja);
		b = cJSON_Parse(jb);
		diff(a, b, id, id2);
		cJSON_Delete(a);
		cJSON_Delete(b);
		free(ja);
		free(jb);
		rc = 0;
	} else {
		goto usage;
	}
out:
	trd_regdb_close(r);
	trd_config_free(conf);
	return rc;
usage:
	trd_regdb_close(r);
	trd_config_free(conf);
	fputs("usage: traderctl [-c FILE | --data-dir DIR] models add MODEL "
	      "[--validation FILE]\n"
	      "       traderctl ... models list | show ID | diff ID_A ID_B\n"
	      "       traderctl ... models promote ID --name NAME [--to FILE]\n",
	      stderr);
	return 1;
}
