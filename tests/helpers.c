#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/*
 * Temporary directories.  Criterion runs each test in a process of its
 * own, and one that crashes or times out never reaches its .fini, nor
 * the cleanup a failed assertion skips.  So the runner process owns
 * them: before any test it makes the run's directory (TRD_TEST_TMP,
 * /tmp/trd-test-XXXXXX, inherited by the workers), th_tmpdir makes each
 * test's directories in <run>/<suite>.<test>/, and the runner removes
 * that when the test is over, however it ended, and the run's directory
 * at the end.
 */
#define RUN_ENV "TRD_TEST_TMP"

static void
rmtree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'",
		 dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "helpers: could not remove %s\n", dir);
}

/* <run>/<suite>.<test>, or "" outside a run. */
static void
test_root(char *buf, size_t size, const char *suite, const char *test)
{
	const char *run = getenv(RUN_ENV);

	if (run == NULL || strncmp(run, "/tmp/trd-test-", 14) != 0)
		buf[0] = '\0';
	else
		snprintf(buf, size, "%s/%s.%s", run, suite, test);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char tmpl[] = "/tmp/trd-test-XXXXXX";

	(void)set;
	/* Searchable by all: some tests run a binary as nobody in a
	 * directory of theirs. */
	if (mkdtemp(tmpl) == NULL || chmod(tmpl, 0755) == -1)
		fprintf(stderr, "helpers: %s: %s\n", tmpl, strerror(errno));
	else
		setenv(RUN_ENV, tmpl, 1);
}

static void
test_over(struct criterion_test_stats *st)
{
	char root[4096];

	test_root(root, sizeof(root), st->test->category, st->test->name);
	if (root[0] && access(root, F_OK) == 0)
		rmtree(root);
}

/* A test ends with POST_FINI (passed, failed or timed out) or with
 * TEST_CRASH (no POST_FINI follows). */
ReportHook(POST_FINI)(struct criterion_test_stats *st)
{
	test_over(st);
}

ReportHook(TEST_CRASH)(struct criterion_test_stats *st)
{
	test_over(st);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	const char *run = getenv(RUN_ENV);

	(void)st;
	if (run != NULL && strncmp(run, "/tmp/trd-test-", 14) == 0)
		rmtree(run);
}

char *
th_tmpdir(void)
{
	char root[4096], path[4200];

	test_root(root, sizeof(root), criterion_current_suite->name,
		  criterion_current_test->name);
	if (root[0] == '\0') {
		/* Not under a runner that made the run's directory. */
		snprintf(path, sizeof(path), "/tmp/trd-test-XXXXXX");
	} else {
		if (mkdir(root, 0755) == -1 && errno != EEXIST)
			return NULL;
		snprintf(path, sizeof(path), "%s/XXXXXX", root);
	}
	return mkdtemp(path) ? strdup(path) : NULL;
}

void
th_rmtree(const char *dir)
{
	if (dir != NULL && strncmp(dir, "/tmp/trd-test-", 14) == 0)
		rmtree(dir);
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

	/* Only the slice the repo carries: a bare clone (CI) has nothing
	 * else, so a test that found its data elsewhere would pass here
	 * and do nothing there. */
	snprintf(path, sizeof(path), "tests/data/shared/%s", rel);
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

const char *
th_msg(const char *fmt, ...)
{
	static char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

const char *
th_take(char **out)
{
	enum { HALF = 8192 };
	static char buf[2 * HALF + 64];
	size_t n;

	if (*out == NULL)
		return "(no output)";
	n = strlen(*out);
	if (n < sizeof(buf))
		memcpy(buf, *out, n + 1);
	else
		snprintf(buf, sizeof(buf), "%.*s\n[... %zu bytes ...]\n%s", HALF,
			 *out, n - 2 * HALF, *out + n - HALF);
	free(*out);
	*out = NULL;
	return buf;
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

void
th_drop_lines(char *s, const char *needle)
{
	char *w = s;

	for (char *line = s; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		char save = line[n];

		line[n] = '\0';
		if (strstr(line, needle) == NULL) {
			memmove(w, line, n);
			w += n;
		}
		line[n] = save;
		line += n;
	}
	*w = '\0';
}

int
th_exsim(const char *dir, const char *args, int *port)
{
	char cmd[4096], pf[1024];
	pid_t pid;

	snprintf(pf, sizeof(pf), "%s/exsim.port", dir);
	snprintf(cmd, sizeof(cmd), "exec %s --port-file %s %s > %s/exsim.log "
		 "2>&1", th_bin("exsim"), pf, args, dir);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* A failed test (its process gone) does not leave it running;
		 * exec keeps the setting (sh execs exsim). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(pf, "r");
		if (f) {
			int ok = fscanf(f, "%d", port) == 1 && *port > 0;
			fclose(f);
			if (ok)
				return (int)pid;
		}
		usleep(10000);
	}
	cr_assert_fail("exsim did not start (%s)", args);
	return -1;
}

void
th_exsim_stop(int pid)
{
	int st;

	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGTERM);
	waitpid((pid_t)pid, &st, 0);
}

/* ---- a traderd in the background, driven through its admin socket ---- */


void
th_daemon_start(struct th_daemon *d, const char *dir, const char *conf)
{
	struct stat st;

	snprintf(d->sock, sizeof(d->sock), "%s/traderd.sock", dir);
	snprintf(d->log, sizeof(d->log), "%s/traderd.log", dir);
	d->pid = fork();
	cr_assert_neq(d->pid, -1);
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		/* A failed test does not leave it running. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(th_bin("traderd"), "traderd", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600; i++) {
		if (stat(d->sock, &st) == 0)
			return;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			char *log = th_read_file(d->log, NULL);
			cr_assert_fail("traderd exited before its socket "
				       "appeared:\n%s", log ? log : "");
		}
		usleep(50000);
	}
	cr_assert_fail("no admin socket at %s after 30 s", d->sock);
}

/* SIGTERM and its exit status (-1: killed after 60 s). */
int
th_daemon_stop(struct th_daemon *d)
{
	int st;

	kill(d->pid, SIGTERM);
	for (int i = 0; i < 1200; i++) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(50000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &st, 0);
	return -1;
}

/* traderctl -s SOCK ARGS: its output (caller frees) and status. */
int
th_ctl(const struct th_daemon *d, char **out, const char *args)
{
	return th_run(out, "%s -s %s %s", th_bin("traderctl"), d->sock, args);
}

/* The answer must contain want (and the status be rc). */
void
th_ctl_expect(const struct th_daemon *d, int rc, const char *args, const char *want)
{
	char *out = NULL;
	int got = th_ctl(d, &out, args);

	th_assert_outf(got == rc, out, "traderctl %s: exit %d, want %d", args,
		       got, rc);
	th_assert_outf(strstr(out, want) != NULL, out, "traderctl %s: no '%s'",
		       args, want);
	free(out);
}

/* Poll args until its answer contains want (at most secs). */
void
th_ctl_until(const struct th_daemon *d, const char *args, const char *want, int secs)
{
	char *out = NULL;

	for (int i = 0; i < secs * 10; i++) {
		th_ctl(d, &out, args);
		if (out && strstr(out, want)) {
			free(out);
			return;
		}
		free(out);
		out = NULL;
		usleep(100000);
	}
	th_ctl(d, &out, args);
	th_assert_outf(0, out, "traderctl %s: no '%s' after %d s", args, want,
		       secs);
}

int
th_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_neq(fd, -1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What fd sends within ms, up to cap-1 bytes (or until it closes). */
size_t
th_sock_read(int fd, char *buf, size_t cap, int ms)
{
	struct timespec t0, t;
	size_t n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;
		long left;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 +
			     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		if ((k = recv(fd, buf + n, cap - 1 - n, 0)) <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return n;
}

