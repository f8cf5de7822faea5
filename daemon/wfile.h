/*
 * wfile: an output file written through a fixed buffer under a temporary
 * name (.NAME.tmp), renamed into place by its owner once whole.  A write
 * error is sticky: logged once with the file's name, and the file writes
 * nothing more; wf_close returns it.
 */
#ifndef TRD_WFILE_H
#define TRD_WFILE_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* A file written under a temporary name and renamed at finish. */
struct wfile {
	int    fd;  /* -1 when closed */
	int    err; /* first error, negative errno; sticky */
	size_t len, cap;
	char  *buf, *tmp, *path;
};

/* fd of a wfile kept in memory (wf_mem_open): its buffer grows instead
 * of being written; buf[0..len) is the text. */
#define WF_MEM (-2)

/* Open dir/.name.tmp with a cap-byte buffer; 0 or a negative errno
 * (logged; wf_discard still frees what was allocated). */
int wf_open(struct wfile *w, const char *dir, const char *name, size_t cap);
/* A wfile in memory, for text made before the file it goes in (0 or
 * -ENOMEM); wf_discard frees it. */
int wf_mem_open(struct wfile *w);
/* Record err (negative errno) as the file's error, logged if first. */
void wf_fail(struct wfile *w, int err);
void wf_flush(struct wfile *w);

/* Room for n bytes (n <= cap), or NULL once the file has failed. */
static inline char *
wf_reserve(struct wfile *w, size_t n)
{
	if (w->cap - w->len < n)
		wf_flush(w);
	return w->err ? NULL : w->buf + w->len;
}

void wf_write(struct wfile *w, const char *s, size_t n);
#define wf_puts(w, s) wf_write(w, s, strlen(s))
/* Short, fixed-shape output only (at most 511 bytes, else the file fails
 * with EOVERFLOW): text of unbounded length goes through wf_write and
 * the escapers. */
void wf_printf(struct wfile *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Flush and close; returns the file's error, if any. */
int wf_close(struct wfile *w);
/* Close, remove the temporary file if still there (after its rename it
 * is not), free. */
void wf_discard(struct wfile *w);
void wf_json_str(struct wfile *w, const char *s);
/* v with dp (0..10) decimals, as printf's %.*f gives it, fast (the
 * report writes many). */
void wf_fixed(struct wfile *w, double v, int dp);
void wf_html_str(struct wfile *w, const char *s);

/* The shortest decimal of 15 to 17 significant digits that reads back
 * as v (880 as "880", 0.1 as "0.1"), in b; returns b.  NaN and the
 * infinities come out as printf spells them. */
const char *trd_dtoa(double v, char *b, size_t cap);
/* s into f with & < > " escaped, for HTML text and attributes. */
void trd_fputs_html(FILE *f, const char *s);
/* s into f as one RFC 4180 CSV field: quoted, its quotes doubled, when it
 * holds a comma, a quote or a line break (feature names do:
 * "bb(20,2).mid"), as it is otherwise. */
void trd_fputs_csv(FILE *f, const char *s);

/* mkdir -p dir (missing components get mode); 0 or a negative errno,
 * -ENOTDIR if dir is not a directory.  Logs nothing. */
int trd_mkdir_p(const char *dir, mode_t mode);

#endif
