/*
 * model_registry: see model_registry.h.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset.h"
#include "model.h"
#include "model_registry.h"
#include "timefmt.h"
#include "wfile.h"

struct trd_registry_db {
	MDB_env *env;
	MDB_dbi  models, promoted;
};

static int
lmdb_fail(int rc, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "model registry: %s: %s", what,
		 mdb_strerror(rc));
	return -1;
}

int
trd_regdb_open(struct trd_registry_db **out, const char *data_dir, int create,
	       char *err, size_t errlen)
{
	struct trd_registry_db *r = calloc(1, sizeof(*r));
	char path[4200];
	MDB_txn *txn;
	int rc;

	if (r == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/models", data_dir) >=
	    sizeof(path)) {
		free(r);
		return snprintf(err, errlen, "data_dir too long"), -1;
	}
	if (create && (rc = trd_mkdir_p(path, 0755)) != 0) {
		snprintf(err, errlen, "model registry %s: %s", path,
			 strerror(-rc));
		free(r);
		return -1;
	}
	if ((rc = mdb_env_create(&r->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(r->env, 4)) != 0 ||
	    (rc = mdb_env_set_mapsize(r->env, (size_t)1 << 30)) != 0 ||
	    (rc = mdb_env_open(r->env, path, create ? 0 : MDB_RDONLY, 0644)) !=
		    0) {
		if (r->env)
			mdb_env_close(r->env);
		free(r);
		if (rc == ENOENT)
			return snprintf(err, errlen, "no model registry in %s "
					"(traderctl models add makes it)",
					data_dir), -1;
		return lmdb_fail(rc, path, err, errlen);
	}
	rc = mdb_txn_begin(r->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "models", create ? MDB_CREATE : 0,
				  &r->models);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "promoted", create ? MDB_CREATE : 0,
				  &r->promoted);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else if (txn)
		mdb_txn_abort(txn);
	if (rc != 0) {
		mdb_env_close(r->env);
		free(r);
		return lmdb_fail(rc, "open", err, errlen);
	}
	*out = r;
	return 0;
}

void
trd_regdb_close(struct trd_registry_db *r)
{
	if (r == NULL)
		return;
	mdb_env_close(r->env);
	free(r);
}

/* The fold metrics of a validation.json, for the entry. */
static cJSON *
fold_metrics(const cJSON *v)
{
	static const char *keep[] = { "fold", "test_from", "test_to",
				      "test_rows", "train_rows", "purged",
				      "embargoed", "logloss", "auc",
				      "accuracy", "base_rate", "backtest",
				      "baseline" };
	const cJSON *folds = cJSON_GetObjectItemCaseSensitive(v, "folds"), *f;
	cJSON *out = cJSON_CreateArray();

	cJSON_ArrayForEach(f, folds) {
		cJSON *o = cJSON_CreateObject();
		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
			const cJSON *x = cJSON_GetObjectItemCaseSensitive(
				f, keep[k]);
			if (x)
				cJSON_AddItemToObject(o, keep[k],
						      cJSON_Duplicate(x, 1));
		}
		cJSON_AddItemToArray(out, o);
	}
	return out;
}

static char *
make_entry(const struct trd_model *m, const char *text, const cJSON *val)
{
	cJSON *e = cJSON_CreateObject(), *f;
	char tf[16], a[TRD_TIME_BUFSZ];
	char *s;

	cJSON_AddStringToObject(e, "format", "traderd-model-entry-1");
	cJSON_AddStringToObject(e, "symbol", m->symbol);
	cJSON_AddStringToObject(e, "timeframe",
				trd_timeframe_format(m->tf_s, tf));
	cJSON_AddStringToObject(e, "label", m->label);
	f = cJSON_AddArrayToObject(e, "features");
	for (uint32_t i = 0; i < m->nfeat; i++)
		cJSON_AddItemToArray(f, cJSON_CreateString(m->names[i]));
	cJSON_AddStringToObject(e, "solver", trd_solver_name(m->solver));
	cJSON_AddNumberToObject(e, "C", m->C);
	cJSON_AddNumberToObject(e, "class_weight_0", m->weight[0]);
	cJSON_AddNumberToObject(e, "class_weight_1", m->weight[1]);
	cJSON_AddNumberToObject(e, "seed", (double)m->seed);
	cJSON_AddStringToObject(e, "dataset_sha256", m->dataset_sha256);
	cJSON_AddNumberToObject(e, "train_rows", (double)m->train_rows);
	cJSON_AddStringToObject(e, "train_from",
				trd_time_format(m->train_from_ns, a));
	cJSON_AddStringToObject(e, "train_to",
				trd_time_format(m->train_to_ns, a));
	cJSON_AddStringToObject(e, "liblinear", m->liblinear);
	cJSON_AddStringToObject(e, "traderd", m->traderd);
	if (val) {
		const cJSON *cv = cJSON_GetObjectItemCaseSensitive(val, "cv");
		cJSON_AddStringToObject(e, "validation_cv",
					cJSON_IsString(cv) ? cv->valuestring
							   : "");
		cJSON_AddItemToObject(e, "folds", fold_metrics(val));
	}
	cJSON_AddStringToObject(e, "model", text);
	s = cJSON_Print(e);
	cJSON_Delete(e);
	return s;
}

int
trd_regdb_add(struct trd_registry_db *r, const char *model, size_t len,
	      const char *validation, size_t vlen, char id[65], char *err,
	      size_t errlen)
{
	struct trd_model m;
	cJSON *val = NULL;
	char *text = NULL, *entry = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int rc, ret = -1;

	if (trd_model_parse(model, len, &m, err, errlen) != 0)
		return -1;
	if ((text = malloc(len + 1)) == NULL)
		goto nomem;
	memcpy(text, model, len);
	text[len] = '\0';
	trd_sha256_hex(model, len, id);
	if (validation) {
		const cJSON *ds;
		val = cJSON_ParseWithLength(validation, vlen);
		ds = cJSON_GetObjectItemCaseSensitive(val, "dataset_sha256");
		if (val == NULL || !cJSON_IsString(ds) ||
		    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(val,
								    "folds"))) {
			snprintf(err, errlen, "the validation is not a "
				 "traderctl validate validation.json");
			goto out;
		}
		if (strcmp(ds->valuestring, m.dataset_sha256) != 0) {
			snprintf(err, errlen, "the validation is of dataset "
				 "%.12s, the model was trained on %.12s",
				 ds->valuestring, m.dataset_sha256);
			goto out;
		}
	}
	if ((entry = make_entry(&m, text, val)) == NULL)
		goto nomem;
	if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)) != 0) {
		lmdb_fail(rc, "begin", err, errlen);
		goto out;
	}
	k = (MDB_val){ 64, id };
	rc = mdb_get(txn, r->models, &k, &v);
	if (rc == 0) {
		if (v.mv_size == strlen(entry) &&
		    memcmp(v.mv_data, entry, v.mv_size) == 0) {
			ret = 1; /* there already, the same */
			goto out;
		}
		snprintf(err, errlen, "model %.12s is registered already with "
			 "another record (other validation metrics?)", id);
		goto out;
	}
	v = (MDB_val){ strlen(entry), entry };
	if ((rc = mdb_put(txn, r->models, &k, &v, 0)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		lmdb_fail(rc, "write", err, errlen);
		goto out;
	}
	txn = NULL;
	ret = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	if (txn)
		mdb_txn_abort(txn);
	cJSON_Delete(val);
	free(entry);
	free(text);
	trd_model_free(&m);
	return ret;
}

int
trd_regdb_get(struct trd_registry_db *r, const char *prefix, char **json,
	      char id[65], char *err, size_t errlen)
{
	size_t pl = prefix ? strlen(prefix) : 0;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = { pl, (void *)prefix }, v;
	int rc, n = 0;

	if (pl < 6 || pl > 64 || strspn(prefix, "0123456789abcdef") != pl) {
		snprintf(err, errlen, "'%s' is not a model id (6 to 64 hex "
			 "digits)", prefix ? prefix : "");
		return -1;
	}
	if ((rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(rc, "begin", err, errlen);
	if ((rc = mdb_cursor_open(txn, r->models, &c)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(rc, "cursor", err, errlen);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == 64 && memcmp(k.mv_data, prefix, pl) == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (n++ == 0) {
			memcpy(id, k.mv_data, 64);
			id[64] = '\0';
			*json = strndup(v.mv_data, v.mv_size);
		}
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (n == 1 && *json)
		return 0;
	if (n > 1)
		free(*json);
	snprintf(err, errlen, n ? "model id %s is ambiguous (%d models)"
				: "no model %s in the registry", prefix, n);
	return -1;
}

int
trd_regdb_each(struct trd_registry_db *r,
	       void (*fn)(void *, const char *, const char *, const char *),
	       void *arg, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_cursor *c, *pc;
	MDB_val k, v, pk, pv;
	int rc;

	if ((rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(rc, "begin", err, errlen);
	if ((rc = mdb_cursor_open(txn, r->models, &c)) != 0 ||
	    (rc = mdb_cursor_open(txn, r->promoted, &pc)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(rc, "cursor", err, errlen);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		char id[65], *js = strndup(v.mv_data, v.mv_size), name[64] = "";
		int prc;
		memcpy(id, k.mv_data, k.mv_size < 64 ? k.mv_size : 64);
		id[k.mv_size < 64 ? k.mv_size : 64] = '\0';
		for (prc = mdb_cursor_get(pc, &pk, &pv, MDB_FIRST); prc == 0;
		     prc = mdb_cursor_get(pc, &pk, &pv, MDB_NEXT))
			if (pv.mv_size == 64 && memcmp(pv.mv_data, id, 64) == 0 &&
			    pk.mv_size < sizeof(name)) {
				memcpy(name, pk.mv_data, pk.mv_size);
				name[pk.mv_size] = '\0';
				break;
			}
		if (js)
			fn(arg, id, js, name[0] ? name : NULL);
		free(js);
	}
	mdb_cursor_close(c);
	mdb_cursor_close(pc);
	mdb_txn_abort(txn);
	return 0;
}

int
trd_regdb_promote(struct trd_registry_db *r, const char *name, const char *id,
		  char *err, size_t errlen)
{
	size_t n = name ? strlen(name) : 0;
	MDB_txn *txn;
	MDB_val k = { n, (void *)name }, v = { 64, (void *)id }, x;
	int rc;

	if (n == 0 || n > 63 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") != n) {
		snprintf(err, errlen, "promote: a name is 1 to 63 of "
			 "[A-Za-z0-9_.-]");
		return -1;
	}
	if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(rc, "begin", err, errlen);
	x = (MDB_val){ 64, (void *)id };
	if ((rc = mdb_get(txn, r->models, &x, &x)) != 0) {
		mdb_txn_abort(txn);
		snprintf(err, errlen, "no model %.12s in the registry", id);
		return -1;
	}
	if ((rc = mdb_put(txn, r->promoted, &k, &v, 0)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(rc, "write", err, errlen);
	return 0;
}

int
trd_regdb_promoted(struct trd_registry_db *r, const char *name, char id[65],
		   char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc;

	if ((rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(rc, "begin", err, errlen);
	rc = mdb_get(txn, r->promoted, &k, &v);
	if (rc == 0 && v.mv_size == 64) {
		memcpy(id, v.mv_data, 64);
		id[64] = '\0';
	}
	mdb_txn_abort(txn);
	if (rc != 0) {
		snprintf(err, errlen, "nothing promoted as '%s'", name);
		return -1;
	}
	return 0;
}
