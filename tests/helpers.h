/*
 * Test helpers shared by the Criterion suites.  Tests run from the
 * repository root (make check does this); the built binaries are found
 * through TRD_BIN_DIR.
 */
#ifndef TRD_TEST_HELPERS_H
#define TRD_TEST_HELPERS_H

#include <stddef.h>

/* A fresh directory under /tmp; returns a malloc'd path, removed by
 * th_rmtree(). */
char *th_tmpdir(void);
void th_rmtree(const char *dir);

/* Path of a built binary ("traderd", "traderctl", "gen_bars");
 * static buffer, valid until the next call. */
const char *th_bin(const char *name);

/* Path of ../shared/data/REL if it exists, else NULL (static buffer). */
const char *th_shared(const char *rel);

/*
 * Run a shell command, capturing stdout+stderr into a malloc'd string
 * (*out, caller frees; may be NULL).  Returns the exit status, or -1 if it
 * did not exit normally.
 */
int th_run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write a file with the given content; returns 0 or -1. */
int th_write_file(const char *path, const char *content);
/* Read a whole file into a malloc'd NUL-terminated string, or NULL. */
char *th_read_file(const char *path, size_t *len);

/* Number of lines in s. */
size_t th_count_lines(const char *s);

#endif
