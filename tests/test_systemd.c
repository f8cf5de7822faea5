/*
 * systemd: the shipped units pass systemd-analyze verify and score 2.0 or
 * lower in systemd-analyze security --offline=yes; and the daemon speaks
 * the notify protocol as systemd would see it (a datagram socket in
 * NOTIFY_SOCKET stands in for the manager): READY=1 with a STATUS= line,
 * watchdog pings while the engine runs, RELOADING=1 with MONOTONIC_USEC
 * then READY=1 around a SIGHUP, STOPPING=1 at SIGTERM.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/* unit.in with @BINDIR@ filled in, written to dir; its path. */
static const char *
unit(const char *dir, const char *name)
{
	static char path[700];
	char in[256];

	snprintf(in, sizeof(in), "systemd/%s.in", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	th_expect(0, "sed 's#@BINDIR@#%s#' %s > %s", getenv("TRD_BIN_DIR"), in,
		  path);
	return path;
}

static double
exposure(const char *path)
{
	char *out = NULL, *p;
	double v = 99;

	th_run(&out, "cd %.*s && systemd-analyze security --offline=yes "
	       "--threshold=20 ./%s", (int)(strrchr(path, '/') - path), path,
	       strrchr(path, '/') + 1);
	p = out ? strstr(out, "Overall exposure level for ") : NULL;
	th_assert_out(p != NULL, out);
	p = strstr(p, ": ");
	th_assert_out(p && sscanf(p + 2, "%lf", &v) == 1, out);
	free(out);
	return v;
}

Test(systemd, units_verify_and_are_hardened)
{
	char *dir = th_tmpdir();
	const char *u;

	u = unit(dir, "traderd.service");
	th_expect(0, "MANPATH=%s/man systemd-analyze verify %s 2>&1",
		  getenv("TRD_BIN_DIR"), u);
	cr_assert_leq(exposure(u), 2.0);
	u = unit(dir, "traderd@.service");
	th_expect(0, "cp %s %s/traderd@paper.service", u, dir);
	th_expect(0, "cd %s && MANPATH=%s/man systemd-analyze verify "
		  "./traderd@paper.service 2>&1", dir, getenv("TRD_BIN_DIR"));
	{
		char p[700];
		snprintf(p, sizeof(p), "%s/traderd@paper.service", dir);
		cr_assert_leq(exposure(p), 2.0);
	}
	/* The retraining job and its timer. */
	u = unit(dir, "traderd-retrain@.service");
	th_expect(0, "cp %s %s/traderd-retrain@paper.service && cp "
		  "systemd/traderd-retrain@.timer "
		  "%s/traderd-retrain@paper.timer", u, dir, dir);
	th_expect(0, "cd %s && MANPATH=%s/man systemd-analyze verify "
		  "./traderd-retrain@paper.service ./traderd-retrain@paper.timer "
		  "2>&1", dir, getenv("TRD_BIN_DIR"));
	{
		char p[700];
		snprintf(p, sizeof(p), "%s/traderd-retrain@paper.service", dir);
		cr_assert_leq(exposure(p), 2.0);
	}
	th_rmtree(dir);
	free(dir);
}

/* Datagrams received in the next ms, appended to buf, one per line. */
static void
collect(int fd, char *buf, size_t cap, int ms)
{
	struct timespec t0, t;
	size_t n = strlen(buf);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t k;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 +
			     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || n + 2 >= cap || poll(&p, 1, (int)left) <= 0)
			return;
		if ((k = recv(fd, buf + n, cap - n - 2, 0)) <= 0)
			return;
		n += (size_t)k;
		buf[n++] = '\n';
		buf[n] = '\0';
	}
}

Test(systemd, notify_protocol, .timeout = 120)
{
	char *dir = th_tmpdir(), conf[600], sock[700], buf[4096];
	static char got[1 << 16];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0), status;
	pid_t pid;

	th_expect(0, "%s --rows 50000 --seed 3 --start 1704067200 > %s/b.csv",
		  th_bin("gen_bars"), dir);
	snprintf(buf, sizeof(buf),
		 "data_dir: %s/db\nreport_dir: %s/report\n"
		 "plugin_dir: %s/plugins\n"
		 "instruments:\n"
		 "  - { symbol: BTCUSDT, price_dp: 2, qty_dp: 3, tick_size: "
		 "0.01, lot_size: 0.001 }\n"
		 "replay: { speed: 1000 }\n"
		 "strategies:\n"
		 "  - { name: x, plugin: sma_cross, symbols: [BTCUSDT], "
		 "params: { fast: 5, slow: 20 } }\n",
		 dir, dir, getenv("TRD_BIN_DIR"));
	snprintf(conf, sizeof(conf), "%s/r.yaml", dir);
	cr_assert_eq(th_write_file(conf, buf), 0);
	th_expect(0, "%s -c %s import --symbol BTCUSDT --timeframe 1m %s/b.csv",
		  th_bin("traderctl"), conf, dir);
	snprintf(sock, sizeof(sock), "%s/notify", dir);
	cr_assert_lt(strlen(sock), sizeof(sa.sun_path));
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	got[0] = '\0';
	if ((pid = fork()) == 0) {
		setenv("NOTIFY_SOCKET", sock, 1);
		setenv("WATCHDOG_USEC", "400000", 1);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execl(th_bin("traderd"), "traderd", "-c", conf, (char *)NULL);
		_exit(127);
	}
	collect(fd, got, sizeof(got), 1500);
	cr_assert(strstr(got, "READY=1\nSTATUS=replay: 1 instrument(s), 1 "
			      "strategy"), "%s", got);
	cr_assert(strstr(got, "WATCHDOG=1"), "%s", got);
	kill(pid, SIGHUP);
	collect(fd, got, sizeof(got), 800);
	cr_assert(strstr(got, "RELOADING=1\nMONOTONIC_USEC="), "%s", got);
	cr_assert(strstr(strstr(got, "RELOADING=1"), "READY=1\nSTATUS="
		  "reloaded"), "%s", got);
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	collect(fd, got, sizeof(got), 200);
	cr_assert(strstr(got, "STOPPING=1"), "%s", got);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	th_rmtree(dir);
	free(dir);
}
