/*
 * Test helpers shared by the Criterion suites.  Tests run from the
 * repository root (make check does this); the built binaries are found
 * through TRD_BIN_DIR.
 */
#ifndef TRD_TEST_HELPERS_H
#define TRD_TEST_HELPERS_H

#include <stddef.h>

/* A fresh directory under /tmp; returns a malloc'd path, or NULL.
 * th_rmtree() removes it; if the test does not get there (a failed
 * assertion, a crash, a timeout), the runner does when the test is over
 * (helpers.c). */
char *th_tmpdir(void);
void th_rmtree(const char *dir);

/* Path of a built binary ("traderd", "traderctl", "gen_bars");
 * static buffer, valid until the next call. */
const char *th_bin(const char *name);

/* Path of tests/data/shared/REL (the slice of ../shared/data the repo
 * carries) if it is there, else NULL: fail the test then, the data ships
 * with the repo.  Static buffer, valid until the next call. */
const char *th_shared(const char *rel);

/*
 * Run a shell command, capturing stdout+stderr into a malloc'd string
 * (*out, caller frees; may be NULL).  Returns the exit status, or -1 if it
 * did not exit normally.
 */
int th_run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Assertions on an output of th_run that free it before they fail.
 * Criterion leaves a test at its first failed assertion, so a plain
 * cr_assert(..., "%s", out) that fails leaks out, and LeakSanitizer's
 * report of it buries the failure.  If cond is false, out is freed (and
 * set to NULL) and the test fails with the condition, the message (for
 * th_assert_outf: a printf format and its arguments) and out's text;
 * if it holds, out is left alone for the next check (free it at the end).
 */
#define th_assert_outf(cond, out, ...)                                     \
	do {                                                               \
		if (!(cond)) {                                             \
			const char *th_m_ = th_msg(__VA_ARGS__);           \
			const char *th_o_ = th_take(&(out));               \
			cr_assert_fail("%s%s%s\n%s", #cond, *th_m_ ? ": " : "", \
				       th_m_, th_o_);                      \
		}                                                          \
	} while (0)
#define th_assert_out(cond, out) th_assert_outf(cond, out, "%s", "")

/* Run a command (th_run's format and arguments) and fail the test,
 * showing its output, unless it exits with status want. */
#define th_expect(want, ...)                                               \
	do {                                                               \
		char *th_out_;                                             \
		int th_rc_ = th_run(&th_out_, __VA_ARGS__);                \
		th_assert_outf(th_rc_ == (want), th_out_, "exit %d, want %d", \
			       th_rc_, (want));                            \
		free(th_out_);                                             \
	} while (0)

/* For the macros above.  th_msg formats into a static buffer; th_take
 * copies *out (its first and last 8 KiB if longer) into another, frees it
 * and sets it to NULL.  Each is valid until its next call. */
const char *th_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *th_take(char **out);

/* Write a file with the given content; returns 0 or -1. */
int th_write_file(const char *path, const char *content);
/* Remove, in place, every line of s that contains needle (the report's
 * wall time, before two runs are compared). */
void th_drop_lines(char *s, const char *needle);
/* Read a whole file into a malloc'd NUL-terminated string, or NULL. */
char *th_read_file(const char *path, size_t *len);

/* Start tools/exsim (built beside traderd) with args on a port the kernel
 * picks, its output in dir/exsim.log; returns its pid once it listens and
 * sets *port.  th_exsim_stop() ends it (SIGTERM, then waits). */
int th_exsim(const char *dir, const char *args, int *port);
void th_exsim_stop(int pid);

/* Number of lines in s. */
size_t th_count_lines(const char *s);

/*
 * traderd -c conf in the background (output in dir/traderd.log, its admin
 * socket dir/traderd.sock, which it waits for); it gets SIGTERM if the
 * test process dies.  th_daemon_stop sends SIGTERM and returns the exit
 * status (-1: killed after 60 s).
 */
#include <sys/types.h>
struct th_daemon {
	pid_t pid;
	char  sock[256], log[512];
};
void th_daemon_start(struct th_daemon *d, const char *dir, const char *conf);
int th_daemon_stop(struct th_daemon *d);
/* traderctl -s SOCK ARGS (args as for a shell): output and status. */
int th_ctl(const struct th_daemon *d, char **out, const char *args);
/* The answer contains want and the status is rc, or the test fails. */
void th_ctl_expect(const struct th_daemon *d, int rc, const char *args,
		   const char *want);
/* Ask until the answer contains want (at most secs). */
void th_ctl_until(const struct th_daemon *d, const char *args,
		  const char *want, int secs);
/* A connected AF_UNIX stream socket, or -1. */
int th_unix_connect(const char *path);
/* What fd sends in the next ms (or until it closes), up to cap-1 bytes;
 * NUL-terminated. */
size_t th_sock_read(int fd, char *buf, size_t cap, int ms);

#endif
