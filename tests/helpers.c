#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

char *
th_tmpdir(void)
{
	char tmpl[] = "/tmp/trd-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

void
th_rmtree(const char *dir)
{
	char cmd[4200];

	if (dir == NULL || strncmp(dir, "/tmp/trd-test-", 14) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'",
		 dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "th_rmtree: could not remove %s\n", dir);
}

const char *
th_bin(const char *name)
{
	static char path[8192];
	char cwd[4096];
	const char *d = getenv("TRD_BIN_DIR");

	/* Absolute, so tests may cd elsewhere before running it. */
	if (d == NULL)
		d = "build";
	if (d[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(path, sizeof(path), "%s/%s", d, name);
	else
		snprintf(path, sizeof(path), "%s/%s/%s", cwd, d, name);
	return path;
}

const char *
th_shared(const char *rel)
{
	static char path[4096];

	/* The slice the repo carries first (CI runs on a bare clone), then
	 * the full shared data beside the checkout. */
	snprintf(path, sizeof(path), "tests/data/shared/%s", rel);
	if (access(path, R_OK) == 0)
		return path;
	snprintf(path, sizeof(path), "../shared/data/%s", rel);
	return access(path, R_OK) == 0 ? path : NULL;
}

int
th_run(char **out, const char *fmt, ...)
{
	char cmd[16384], *buf = NULL;
	size_t len = 0, cap = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len - 1, p);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	st = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
th_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(content, f);
	return fclose(f) == 0 ? 0 : -1;
}

char *
th_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (lenp)
		*lenp = (size_t)n;
	return buf;
}

size_t
th_count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}
