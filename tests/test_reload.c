/*
 * Reloads of a running daemon: 1000 of them during a paced replay,
 * cycling through a valid config and broken ones (invalid YAML, an
 * unknown key, an out-of-range value, a deleted file, a changed
 * start-only key), each bad one refused with its reason, the daemon never
 * stopping, and the report equal to a run without reloads; then a plugin
 * rebuilt with another default hot-swapped mid-run, its state carried
 * over, and one that cannot take over refused.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static void
make_data(const char *dir, int rows)
{
	th_expect(0, "%s --rows %d --seed 11 --start 1704067200 > %s/b.csv",
		  th_bin("gen_bars"), rows, dir);
}

/* The replay config: strategy block strat, plugin_dir pdir, extra keys. */
static char *
conf_text(const char *dir, const char *pdir, const char *strat,
	  const char *speed, const char *extra)
{
	char *buf = malloc(8192);

	snprintf(buf, 8192,
		 "mode: replay\n"
		 "data_dir: %s/db\n"
		 "report_dir: %s/report\n"
		 "plugin_dir: %s\n"
		 "log_level: info\n"
		 "instruments:\n"
		 "  - { symbol: BTCUSDT, price_dp: 2, qty_dp: 3, tick_size: "
		 "0.01, lot_size: 0.001 }\n"
		 "replay: { speed: %s }\n"
		 "risk: { max_open_orders: 10 }\n"
		 "admin: { socket: %s/traderd.sock }\n"
		 "%s"
		 "strategies:\n%s",
		 dir, dir, pdir, speed, dir, extra, strat);
	return buf;
}

/* One command on an open connection: its answer (to the empty line). */
static char *
ask(int fd, const char *cmd)
{
	static char buf[65536];
	size_t n = 0;

	cr_assert_eq(send(fd, cmd, strlen(cmd), MSG_NOSIGNAL),
		     (ssize_t)strlen(cmd));
	while (n + 1 < sizeof(buf)) {
		ssize_t k = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
		cr_assert_gt(k, 0, "the daemon closed the connection");
		n += (size_t)k;
		buf[n] = '\0';
		if (n >= 2 && buf[n - 1] == '\n' && buf[n - 2] == '\n')
			break;
	}
	return buf;
}

static const char *const report_files[] = {
	"orders.csv", "fills.csv", "trades.csv", "equity.csv", "report.json",
};

Test(reload, thousand_reloads_during_a_paced_replay, .timeout = 600)
{
	char *dir = th_tmpdir(), conf[600], path[700];
	char pdir[512], *good, *alt, *bad[5], *a, *b;
	const char *strat = "  - { name: x, plugin: sma_cross, symbols: "
			    "[BTCUSDT], params: { fast: 5, slow: 20 } }\n";
	const char *want[5] = { "FAILED", "unknown key", "expected",
				"No such file", "cannot change while running" };
	struct th_daemon d;
	int fd, refused[5] = { 0 }, ok = 0;

	snprintf(pdir, sizeof(pdir), "%s/plugins", getenv("TRD_BIN_DIR"));
	make_data(dir, 100000);
	snprintf(conf, sizeof(conf), "%s/r.yaml", dir);
	good = conf_text(dir, pdir, strat, "100000", "");
	/* Valid, equal in effect: the log level and admin access differ. */
	alt = conf_text(dir, pdir, strat, "100000",
			"# a comment\n");
	alt = realloc(alt, 8192);
	{
		char *lv = strstr(alt, "log_level: info");
		memcpy(lv, "log_level: warn", 15);
	}
	bad[0] = strdup("mode: [replay\n  data_dir: {\n");
	bad[1] = conf_text(dir, pdir, strat, "100000", "risk_limits: {}\n");
	bad[2] = conf_text(dir, pdir, strat, "100000",
			   "housekeeping_ms: 5\n");
	bad[3] = NULL; /* the file deleted */
	bad[4] = conf_text(dir, pdir, strat, "100000",
			   "features: { history: 600 }\n");
	cr_assert_eq(th_write_file(conf, good), 0);
	th_expect(0, "%s -c %s import --symbol BTCUSDT --timeframe 1m %s/b.csv",
		  th_bin("traderctl"), conf, dir);
	th_daemon_start(&d, dir, conf);
	fd = th_unix_connect(d.sock);
	cr_assert_geq(fd, 0);
	for (int i = 0; i < 1000; i++) {
		int k = i % 7; /* 0, 1: valid; 2..6: the bad ones */
		char *ans;
		if (k < 2) {
			cr_assert_eq(th_write_file(conf, k ? alt : good), 0);
		} else if (bad[k - 2]) {
			cr_assert_eq(th_write_file(conf, bad[k - 2]), 0);
		} else {
			unlink(conf);
		}
		/* Some by signal, as systemctl reload does. */
		if (i % 50 == 0) {
			char *out = NULL;
			kill(d.pid, SIGHUP);
			usleep(100000);
			th_ctl(&d, &out, "show info");
			th_assert_out(strstr(out, "engine: running"), out);
			free(out);
			continue;
		}
		ans = ask(fd, "reload\n");
		if (k < 2) {
			cr_assert(strncmp(ans, "OK configuration generation", 27)
				  == 0, "reload %d: %s", i, ans);
			ok++;
		} else {
			cr_assert(strncmp(ans, "ERR FAILED ", 11) == 0,
				  "reload %d: %s", i, ans);
			cr_assert(strstr(ans, want[k - 2]), "reload %d "
				  "(kind %d): %s", i, k - 2, ans);
			refused[k - 2]++;
		}
	}
	for (int k = 0; k < 5; k++)
		cr_assert_gt(refused[k], 100, "kind %d refused %d times", k,
			     refused[k]);
	cr_assert_eq(th_write_file(conf, good), 0);
	a = ask(fd, "reload; show info; speed max\n");
	cr_assert(strstr(a, "engine: running"), "%s", a);
	cr_assert(strstr(a, "reload_failures: "), "%s", a);
	close(fd);
	{
		int status;
		cr_assert_eq(waitpid(d.pid, &status, 0), d.pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* The same replay without reloads, unpaced. */
	th_expect(0, "%s -c %s --speed max --report %s/plain 2>&1",
		  th_bin("traderd"), conf, dir);
	for (size_t i = 0; i < sizeof(report_files) / sizeof(*report_files);
	     i++) {
		int same;
		snprintf(path, sizeof(path), "%s/report/%s", dir,
			 report_files[i]);
		a = th_read_file(path, NULL);
		snprintf(path, sizeof(path), "%s/plain/%s", dir,
			 report_files[i]);
		b = th_read_file(path, NULL);
		cr_assert(a && b, "%s", path);
		th_drop_lines(a, "\"wall_s\"");
		th_drop_lines(b, "\"wall_s\"");
		same = strcmp(a, b) == 0;
		free(a);
		free(b);
		cr_assert(same, "%s differs from the run without reloads",
			  report_files[i]);
	}
	cr_assert_gt(ok, 200);
	free(good);
	free(alt);
	for (int k = 0; k < 5; k++)
		free(bad[k]);
	th_rmtree(dir);
	free(dir);
}

Test(reload, plugin_hot_swap_carries_state, .timeout = 300)
{
	char *dir = th_tmpdir(), conf[600], pdir[600], *text, *log;
	const char *strat = "  - { name: sw, plugin: swapper, symbols: "
			    "[BTCUSDT] }\n";
	struct th_daemon d;
	const char *tp = getenv("TRD_BIN_DIR");

	snprintf(pdir, sizeof(pdir), "%s/p", dir);
	th_expect(0, "mkdir %s && cp %s/tests/plugins/swapper.so %s/", pdir, tp,
		  pdir);
	make_data(dir, 100000);
	snprintf(conf, sizeof(conf), "%s/r.yaml", dir);
	text = conf_text(dir, pdir, strat, "30000", "");
	cr_assert_eq(th_write_file(conf, text), 0);
	free(text);
	th_expect(0, "%s -c %s import --symbol BTCUSDT --timeframe 1m %s/b.csv",
		  th_bin("traderctl"), conf, dir);
	th_daemon_start(&d, dir, conf);
	th_ctl_expect(&d, 0, "show strategies", "swapper");
	th_ctl_until(&d, "show strategies", "running", 10);
	/* Let it count some bars, then replace the file (a new inode, as
	 * install(1) or mv do) with the rebuilt plugin. */
	for (int i = 0; i < 100; i++) {
		log = th_read_file(d.log, NULL);
		int seen = log && strstr(log, "swapper v1: 100 bars");
		free(log);
		if (seen)
			break;
		usleep(100000);
	}
	th_expect(0, "cp %s/tests/plugins/swapper2.so %s/.new && mv %s/.new "
		  "%s/swapper.so", tp, pdir, pdir, pdir);
	th_ctl_expect(&d, 0, "reload", "OK configuration generation 2");
	th_ctl_expect(&d, 0, "show strategies", " 2 ");
	/* A rebuilt plugin that cannot take over: the running one stays. */
	th_expect(0, "cp %s/tests/plugins/pulse.so %s/.new && mv %s/.new "
		  "%s/swapper.so", tp, pdir, pdir, pdir);
	th_ctl_expect(&d, 0, "reload", "OK configuration generation 3");
	th_ctl_expect(&d, 0, "show strategies", "swapper");
	th_ctl_expect(&d, 0, "show info", "kept its running plugin");
	usleep(500000);
	th_ctl_expect(&d, 0, "speed max", "OK");
	{
		int status;
		cr_assert_eq(waitpid(d.pid, &status, 0), d.pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	log = th_read_file(d.log, NULL);
	cr_assert(log);
	{
		const char *t = strstr(log, "swapper v2: took over at ");
		unsigned long long at = 0, later = 0;
		long step = 0;
		const char *v2;
		th_assert_out(t != NULL, log);
		sscanf(t, "swapper v2: took over at %llu bars, step %ld", &at,
		       &step);
		th_assert_outf(at >= 100, log, "took over at %llu", at);
		/* The new default is in effect. */
		th_assert_outf(step == 2, log, "step %ld", step);
		/* It goes on counting from there. */
		v2 = strstr(t, "swapper v2: ");
		v2 = strstr(v2 + 12, "swapper v2: ");
		th_assert_out(v2 != NULL, log);
		sscanf(v2, "swapper v2: %llu bars", &later);
		th_assert_outf(later > at && later <= at + 50, log,
			       "after %llu: %llu", at, later);
		th_assert_out(strstr(log, "cannot take over the running state"),
			      log);
		th_assert_out(strstr(log, "swapper v1: 50 bars, step 1"), log);
	}
	free(log);
	th_rmtree(dir);
	free(dir);
}
