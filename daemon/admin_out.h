/*
 * admin_out: an admin answer, written once and rendered as text or JSON.
 *
 * A command's handler describes its answer as fields, records and lists;
 * the same calls give the text an operator reads and the JSON a script
 * parses:
 *
 *   text  a top-level field is "name: value" on its own line; a list is a
 *         table, a header of the field names then one row per record,
 *         columns aligned;
 *   json  one object on one line: {"name":value,...,"list":[{...},...]}.
 *
 * Values are strings, integers, exact decimals (scaled int64) or doubles;
 * a NULL string or a NaN is null in JSON and "-" in text.  Text values
 * never hold a newline (it would end the answer early): control bytes are
 * shown as '?'.  Nothing here writes the empty line that ends an answer;
 * the caller does.
 */
#ifndef TRD_ADMIN_OUT_H
#define TRD_ADMIN_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "wfile.h"

#define TRD_OUT_MAX_COLS 24

struct trd_out_row {
	char *v[TRD_OUT_MAX_COLS];
};

struct trd_out {
	struct wfile *w;
	int           json;
	int           nfields; /* top-level fields written (JSON commas) */
	/* The list being written (one at a time, not nested). */
	int           in_list, in_rec;
	int           ncols, nrec_fields;
	const char   *cols[TRD_OUT_MAX_COLS];
	struct trd_out_row *rows;
	size_t        nrows, caprows;
	int           err;     /* -ENOMEM: the answer is incomplete */
};

void trd_out_init(struct trd_out *o, struct wfile *w, int json);
/* Close the JSON object (text: nothing); frees the rows. */
void trd_out_end(struct trd_out *o);

/* A field of the answer, or of the current record inside a list. */
void trd_out_str(struct trd_out *o, const char *key, const char *v);
void trd_out_int(struct trd_out *o, const char *key, int64_t v);
void trd_out_uint(struct trd_out *o, const char *key, uint64_t v);
void trd_out_dec(struct trd_out *o, const char *key, int64_t v, int dp);
void trd_out_dbl(struct trd_out *o, const char *key, double v);
void trd_out_bool(struct trd_out *o, const char *key, int v);
/* A time in ns as ISO 8601 (0 or TRD_TIME_UNSET: null). */
void trd_out_time(struct trd_out *o, const char *key, int64_t ns);

void trd_out_list(struct trd_out *o, const char *key);
void trd_out_rec(struct trd_out *o);     /* start a record */
void trd_out_list_end(struct trd_out *o);

/* A line of free text (text mode only, and not empty: help). */
void trd_out_text(struct trd_out *o, const char *line);

#endif
