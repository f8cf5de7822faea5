/*
 * wfile: see wfile.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "wfile.h"

int
wf_open(struct wfile *w, const char *dir, const char *name, size_t cap)
{
	size_t n = strlen(dir) + strlen(name) + 8;

	*w = (struct wfile){ .fd = -1, .cap = cap };
	w->buf = malloc(cap);
	w->tmp = malloc(n);
	w->path = malloc(n);
	if (w->buf == NULL || w->tmp == NULL || w->path == NULL) {
		log_error("%s/%s: out of memory", dir, name);
		return w->err = -ENOMEM;
	}
	snprintf(w->tmp, n, "%s/.%s.tmp", dir, name);
	snprintf(w->path, n, "%s/%s", dir, name);
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd == -1) {
		w->err = -errno;
		log_error("%s: %s", w->tmp, strerror(errno));
	}
	return w->err;
}

int
wf_mem_open(struct wfile *w)
{
	*w = (struct wfile){ .fd = WF_MEM, .cap = 4096 };
	if ((w->buf = malloc(w->cap)) == NULL)
		return w->err = -ENOMEM;
	return 0;
}

void
wf_fail(struct wfile *w, int err)
{
	if (w->err == 0)
		log_error("%s: %s", w->tmp ? w->tmp : "(memory)",
			  strerror(-err));
	w->err = err;
	w->len = 0;
}

void
wf_flush(struct wfile *w)
{
	size_t off = 0;

	if (w->fd == WF_MEM) { /* grow instead */
		char *nb = w->err ? NULL : realloc(w->buf, w->cap * 2);
		if (nb == NULL) {
			if (w->err == 0)
				wf_fail(w, -ENOMEM);
			return;
		}
		w->buf = nb;
		w->cap *= 2;
		return;
	}
	while (w->err == 0 && off < w->len) {
		ssize_t k = write(w->fd, w->buf + off, w->len - off);
		if (k == -1 && errno != EINTR)
			wf_fail(w, -errno);
		else if (k == 0)
			wf_fail(w, -EIO);
		else if (k > 0)
			off += (size_t)k;
	}
	w->len = 0;
}


void
wf_write(struct wfile *w, const char *s, size_t n)
{
	while (n > 0 && w->err == 0) {
		size_t k = w->cap - w->len < n ? w->cap - w->len : n;

		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
		if (w->len == w->cap)
			wf_flush(w);
	}
}

/* Short, fixed-shape output only: text of unbounded length goes through
 * wf_write and the escapers. */
void
wf_printf(struct wfile *w, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		wf_fail(w, -EOVERFLOW);
	else
		wf_write(w, tmp, (size_t)n);
}

void
wf_fixed(struct wfile *w, double v, int dp)
{
	static const double sc[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
				     1e8, 1e9, 1e10 };
	char buf[48], *e = buf + sizeof(buf), *p = e;
	uint64_t u, ip, fp, f;
	int neg = v < 0;

	if (dp < 0 || dp > 10 || !(fabs(v) < 1e8)) {
		wf_printf(w, "%.*f", dp < 0 ? 0 : dp > 10 ? 10 : dp, v);
		return;
	}
	u = (uint64_t)llround(fabs(v) * sc[dp]);
	f = (uint64_t)sc[dp];
	ip = u / f;
	fp = u % f;
	for (int i = 0; i < dp; i++) {
		*--p = (char)('0' + fp % 10);
		fp /= 10;
	}
	if (dp)
		*--p = '.';
	do {
		*--p = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip);
	if (neg && u)
		*--p = '-';
	wf_write(w, p, (size_t)(e - p));
}

/* Flush and close; returns the file's error, if any. */
int
wf_close(struct wfile *w)
{
	if (w->fd == -1 || w->fd == WF_MEM)
		return w->err;
	wf_flush(w);
	if (close(w->fd) == -1 && w->err == 0)
		wf_fail(w, -errno);
	w->fd = -1;
	return w->err;
}

/* Close, remove the temporary file if still there (after its rename it
 * is not), free. */
void
wf_discard(struct wfile *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp != NULL)
		unlink(w->tmp);
	free(w->buf);
	free(w->tmp);
	free(w->path);
	*w = (struct wfile){ .fd = -1 };
}

/* s as a JSON string, quoted. */
void
wf_json_str(struct wfile *w, const char *s)
{
	wf_write(w, "\"", 1);
	while (*s) {
		size_t n = 0;

		/* The longest run that needs no escape, in one write. */
		while (s[n] && (unsigned char)s[n] >= 0x20 && s[n] != '"' &&
		       s[n] != '\\')
			n++;
		wf_write(w, s, n);
		s += n;
		if (*s == '\0')
			break;
		if ((unsigned char)*s < 0x20)
			wf_printf(w, "\\u%04x", (unsigned char)*s);
		else
			wf_printf(w, "\\%c", *s);
		s++;
	}
	wf_write(w, "\"", 1);
}

/* s as HTML text (attribute-safe). */
void
wf_html_str(struct wfile *w, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "&<>\"");
		const char *e;

		wf_write(w, s, n);
		s += n;
		if (*s == '\0')
			break;
		e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;"
		  : *s == '>' ? "&gt;" : "&quot;";
		wf_write(w, e, strlen(e));
		s++;
	}
}

const char *
trd_dtoa(double v, char *b, size_t cap)
{
	for (int p = 15; p <= 17; p++) {
		snprintf(b, cap, "%.*g", p, v);
		if (strtod(b, NULL) == v)
			break;
	}
	return b;
}

void
trd_fputs_html(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

void
trd_fputs_csv(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* mkdir -p dir, each missing component with mode; 0, or a negative errno
 * (-ENOTDIR when dir exists but is not a directory).  Logs nothing: the
 * caller names what the directory was for. */
int
trd_mkdir_p(const char *dir, mode_t mode)
{
	char path[4096];
	size_t n = strlen(dir);
	struct stat st;

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) == -1 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) == -1 && errno != EEXIST)
		return -errno;
	if (stat(path, &st) == -1)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
