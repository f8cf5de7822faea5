/*
 * admin_out: see admin_out.h.
 *
 * JSON values are written at once; text fields at the top level too.  A
 * text table has to know its column widths, so its rows are kept (as
 * strings) until the list ends, then printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_out.h"
#include "decimal.h"
#include "source.h"
#include "timefmt.h"

void
trd_out_init(struct trd_out *o, struct wfile *w, int json)
{
	memset(o, 0, sizeof(*o));
	o->w = w;
	o->json = json;
	if (json)
		wf_puts(w, "{");
}

static void
free_rows(struct trd_out *o)
{
	for (size_t r = 0; r < o->nrows; r++)
		for (int c = 0; c < TRD_OUT_MAX_COLS; c++)
			free(o->rows[r].v[c]);
	free(o->rows);
	o->rows = NULL;
	o->nrows = o->caprows = 0;
}

void
trd_out_end(struct trd_out *o)
{
	if (o->in_list)
		trd_out_list_end(o);
	if (o->json)
		wf_puts(o->w, "}\n");
	free_rows(o);
}

/* Text: control bytes (a newline would end the answer) become '?'. */
static void
put_clean(struct wfile *w, const char *s)
{
	while (*s) {
		size_t n = 0;

		while (s[n] && (unsigned char)s[n] >= 0x20 && s[n] != 0x7f)
			n++;
		wf_write(w, s, n);
		s += n;
		if (*s) {
			wf_write(w, "?", 1);
			s++;
		}
	}
}

/* n spaces, in runs. */
static void
put_pad(struct wfile *w, size_t n)
{
	static const char sp[] = "                                ";

	while (n > 0) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;
		wf_write(w, sp, k);
		n -= k;
	}
}

static void
json_key(struct trd_out *o, const char *key)
{
	int first = o->in_list ? o->nrec_fields == 0 : o->nfields == 0;

	if (!first)
		wf_puts(o->w, ",");
	wf_json_str(o->w, key);
	wf_puts(o->w, ":");
}

/* A field whose text is s (NULL: null), json_raw says whether JSON shows
 * it bare (a number) or quoted. */
static void
field(struct trd_out *o, const char *key, const char *s, int json_raw)
{
	if (o->json) {
		json_key(o, key);
		if (s == NULL)
			wf_puts(o->w, "null");
		else if (json_raw)
			wf_puts(o->w, s);
		else
			wf_json_str(o->w, s);
	} else if (o->in_list) {
		int c;
		struct trd_out_row *row;
		if (!o->in_rec || o->nrows == 0)
			return;
		for (c = 0; c < o->ncols; c++)
			if (strcmp(o->cols[c], key) == 0)
				break;
		if (c == o->ncols) {
			/* Columns are those of the first record. */
			if (o->nrows > 1 || c == TRD_OUT_MAX_COLS)
				return;
			o->cols[o->ncols++] = key;
		}
		row = &o->rows[o->nrows - 1];
		free(row->v[c]);
		if ((row->v[c] = strdup(s ? s : "-")) == NULL)
			o->err = -ENOMEM;
	} else {
		wf_puts(o->w, key);
		wf_puts(o->w, ": ");
		put_clean(o->w, s ? s : "-");
		wf_puts(o->w, "\n");
	}
	if (o->in_list)
		o->nrec_fields++;
	else
		o->nfields++;
}

void
trd_out_str(struct trd_out *o, const char *key, const char *v)
{
	field(o, key, v, 0);
}

void
trd_out_int(struct trd_out *o, const char *key, int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRId64, v);
	field(o, key, b, 1);
}

void
trd_out_uint(struct trd_out *o, const char *key, uint64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	field(o, key, b, 1);
}

/* Decimals are exact strings in JSON too ("12.50"): a double would not
 * keep money exact. */
void
trd_out_dec(struct trd_out *o, const char *key, int64_t v, int dp)
{
	char b[48];

	trd_dec_format(v, dp, b);
	field(o, key, b, 0);
}

void
trd_out_dbl(struct trd_out *o, const char *key, double v)
{
	char b[48];

	if (!isfinite(v)) {
		field(o, key, NULL, 1);
		return;
	}
	snprintf(b, sizeof(b), "%.10g", v);
	field(o, key, b, 1);
}

void
trd_out_bool(struct trd_out *o, const char *key, int v)
{
	field(o, key, o->json ? (v ? "true" : "false") : (v ? "yes" : "no"),
	      1);
}

void
trd_out_time(struct trd_out *o, const char *key, int64_t ns)
{
	char b[TRD_TIME_BUFSZ];

	if (ns == 0 || ns == TRD_TIME_UNSET) {
		field(o, key, NULL, 1);
		return;
	}
	field(o, key, trd_time_format(ns, b), 0);
}

void
trd_out_list(struct trd_out *o, const char *key)
{
	if (o->in_list)
		trd_out_list_end(o);
	o->in_list = 1;
	o->in_rec = 0;
	o->ncols = 0;
	if (o->json) {
		int first = o->nfields == 0;
		if (!first)
			wf_puts(o->w, ",");
		wf_json_str(o->w, key);
		wf_puts(o->w, ":[");
	} else if (o->nfields > 0) {
		/* Below other fields a table is named. */
		wf_puts(o->w, key);
		wf_puts(o->w, ":\n");
	}
	o->nfields++;
}

void
trd_out_rec(struct trd_out *o)
{
	if (!o->in_list)
		return;
	if (o->json) {
		wf_puts(o->w, o->in_rec ? "},{" : "{");
	} else {
		if (o->nrows == o->caprows) {
			size_t cap = o->caprows ? 2 * o->caprows : 16;
			struct trd_out_row *v = realloc(o->rows,
							cap * sizeof(*v));
			if (v == NULL) {
				o->err = -ENOMEM;
				return;
			}
			o->rows = v;
			o->caprows = cap;
		}
		memset(&o->rows[o->nrows++], 0, sizeof(o->rows[0]));
	}
	o->in_rec = 1;
	o->nrec_fields = 0;
}

void
trd_out_list_end(struct trd_out *o)
{
	size_t width[TRD_OUT_MAX_COLS];

	if (!o->in_list)
		return;
	o->in_list = 0;
	if (o->json) {
		wf_puts(o->w, o->in_rec ? "}]" : "]");
		o->in_rec = 0;
		return;
	}
	o->in_rec = 0;
	if (o->nrows == 0) {
		wf_puts(o->w, "(none)\n");
		return;
	}
	for (int c = 0; c < o->ncols; c++) {
		width[c] = strlen(o->cols[c]);
		for (size_t r = 0; r < o->nrows; r++) {
			const char *v = o->rows[r].v[c];
			size_t n = v ? strlen(v) : 1;
			if (n > width[c])
				width[c] = n;
		}
	}
	for (size_t r = 0; r <= o->nrows; r++) {
		for (int c = 0; c < o->ncols; c++) {
			const char *v = r == 0 ? o->cols[c]
					       : o->rows[r - 1].v[c];
			size_t n;
			if (v == NULL)
				v = "-";
			n = strlen(v);
			put_clean(o->w, v);
			if (c + 1 < o->ncols)
				put_pad(o->w, width[c] + 2 - n);
		}
		wf_puts(o->w, "\n");
	}
	free_rows(o);
}

void
trd_out_text(struct trd_out *o, const char *line)
{
	/* An empty line would end the answer. */
	if (o->json || *line == '\0')
		return;
	put_clean(o->w, line);
	wf_puts(o->w, "\n");
}
