/*
 * model_registry: the model registry, an LMDB environment of its own in
 * <data_dir>/models (beside the market-data store; readers never block
 * the writer).
 *
 *   models    sha256 (the model file's, 64 hex) -> the entry: JSON with
 *             the lineage (dataset hash, series, label, features, solver,
 *             C, class weights, seed, liblinear and traderd versions,
 *             training span and rows), the metrics of each validation
 *             fold when given, and the model file itself
 *   promoted  name -> sha256 of the model promoted under that name
 *
 * An entry holds nothing that depends on when or where it was added, so
 * the same model and validation give the same bytes.  Adding a model
 * already there with the same entry is a no-op; with other metrics it is
 * refused (a model's record does not change under it).
 */
#ifndef TRD_MODEL_REGISTRY_H
#define TRD_MODEL_REGISTRY_H

#include <stddef.h>

struct trd_registry_db;

/* Open (creating with create) <data_dir>/models.  0, or -1 with err. */
int trd_regdb_open(struct trd_registry_db **out, const char *data_dir,
		   int create, char *err, size_t errlen);
void trd_regdb_close(struct trd_registry_db *r);

/*
 * Add the model file text (len bytes) with the validation.json text (or
 * NULL).  *id gets the sha256.  0 (added), 1 (already there, the same
 * entry: nothing written), or -1 with err (a corrupt model, a validation of another dataset, a
 * different entry for the same model).
 */
int trd_regdb_add(struct trd_registry_db *r, const char *model, size_t len,
		  const char *validation, size_t vlen, char id[65], char *err,
		  size_t errlen);
/* The entry (JSON, malloc'd) of the model whose id starts with prefix
 * (at least 6 hex digits, unambiguous), its full id in id.  0, or -1. */
int trd_regdb_get(struct trd_registry_db *r, const char *prefix, char **json,
		  char id[65], char *err, size_t errlen);
/* Every entry in id order: fn(arg, id, json, promoted_as or NULL). */
int trd_regdb_each(struct trd_registry_db *r,
		   void (*fn)(void *arg, const char *id, const char *json,
			      const char *promoted_as),
		   void *arg, char *err, size_t errlen);
/* Promote id under name (1..63 of [A-Za-z0-9_.-]). */
int trd_regdb_promote(struct trd_registry_db *r, const char *name,
		      const char *id, char *err, size_t errlen);
/* The id promoted under name: 0, or -1 (none, with err). */
int trd_regdb_promoted(struct trd_registry_db *r, const char *name,
		       char id[65], char *err, size_t errlen);

#endif
