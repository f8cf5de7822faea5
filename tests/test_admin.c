/*
 * The admin socket: its line parser, then the real traderd driven through
 * it with traderctl and raw sockets, in a paper session against
 * tools/exsim and in a paced replay.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

#include "admin.h"
#include "helpers.h"

/* ---- the parser ---- */

static struct trd_admin_line pl;

static int
parse(const char *s, char *err)
{
	return trd_admin_parse(s, strlen(s), &pl, err, 160);
}

Test(admin_parse, words_commands_quotes_escapes)
{
	char err[160];

	cr_assert_eq(parse("  show   orders open BTCUSDT ", err), 0);
	cr_assert_eq(pl.ncmd, 1);
	cr_assert_eq(pl.cmd[0].argc, 4);
	cr_assert_str_eq(pl.cmd[0].argv[3], "BTCUSDT");
	cr_assert_eq(parse("show info; halt \"fat finger\";;show pnl", err), 0);
	cr_assert_eq(pl.ncmd, 3);
	cr_assert_eq(pl.cmd[1].argc, 2);
	cr_assert_str_eq(pl.cmd[1].argv[1], "fat finger");
	cr_assert_str_eq(pl.cmd[2].argv[1], "pnl");
	cr_assert_eq(parse("halt a\\;b \"x;y\" \"\"", err), 0);
	cr_assert_eq(pl.ncmd, 1);
	cr_assert_eq(pl.cmd[0].argc, 4);
	cr_assert_str_eq(pl.cmd[0].argv[1], "a;b");
	cr_assert_str_eq(pl.cmd[0].argv[2], "x;y");
	cr_assert_str_eq(pl.cmd[0].argv[3], "");
	cr_assert_eq(parse("   ;  ; ", err), 0);
	cr_assert_eq(pl.ncmd, 0);
}

Test(admin_parse, refuses_bad_lines)
{
	char err[160], big[TRD_ADMIN_LINE_MAX + 2];
	char many[4096];
	size_t o = 0;

	cr_assert_eq(parse("halt \"open", err), -1);
	cr_assert(strstr(err, "unterminated quote"), "%s", err);
	cr_assert_eq(parse("halt x\\", err), -1);
	cr_assert(strstr(err, "'\\'"), "%s", err);
	cr_assert_eq(parse("show\x01info", err), -1);
	cr_assert(strstr(err, "control byte 0x01 at column 5"), "%s", err);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(parse(big, err), -1);
	cr_assert(strstr(err, "longer than"), "%s", err);
	for (int i = 0; i < 20; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "w%d ", i);
	cr_assert_eq(parse(many, err), -1);
	cr_assert(strstr(err, "more than 16 words"), "%s", err);
	o = 0;
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "a;");
	cr_assert_eq(parse(many, err), -1);
	cr_assert(strstr(err, "more than 32 commands"), "%s", err);
}

static void
write_paper_conf(const char *path, const char *dir, int port,
		 const char *extra)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "mode: paper\n"
		 "data_dir: %s/db\n"
		 "report_dir: %s/report\n"
		 "log_level: info\n"
		 "plugin_dir: %s/tests/plugins\n"
		 "instruments:\n"
		 "  - { symbol: SYM0USDT, price_dp: 2, qty_dp: 3, tick_size: "
		 "0.01, lot_size: 0.001 }\n"
		 "  - { symbol: SYM1USDT, price_dp: 2, qty_dp: 3, tick_size: "
		 "0.01, lot_size: 0.001 }\n"
		 "feed:\n"
		 "  kind: binance_spot\n"
		 "  ws_url: ws://127.0.0.1:%d\n"
		 "  rest_url: http://127.0.0.1:%d\n"
		 "  streams: [aggTrade, bookTicker]\n"
		 "  bar_timeframe: 1s\n"
		 "account: { cash: 100000 }\n"
		 "venue: { kind: sim, fee_bps: 5 }\n"
		 "admin:\n"
		 "  socket: %s/traderd.sock\n"
		 "  socket_group: nogroup\n"
		 "  max_clients: 8\n"
		 "  max_output_kb: 64\n"
		 "  access:\n"
		 "    - { group: nogroup, level: operator }\n"
		 "%s"
		 "strategies:\n"
		 "  - { name: pulse, plugin: pulse, symbols: [SYM0USDT] }\n"
		 "  - { name: rest, plugin: resting, symbols: [SYM1USDT] }\n",
		 dir, dir, getenv("TRD_BIN_DIR"), port, port, dir, extra);
	cr_assert_eq(th_write_file(path, buf), 0);
}

Test(admin, paper_session_through_the_socket, .timeout = 300)
{
	char *dir = th_tmpdir(), conf[600], *out = NULL;
	struct th_daemon d;
	int port, x;

	/* nobody must reach the socket: the directory is traversable. */
	chmod(dir, 0755);
	x = th_exsim(dir, "--symbols 2 --rate 20 --seed 3", &port);
	snprintf(conf, sizeof(conf), "%s/paper.yaml", dir);
	write_paper_conf(conf, dir, port, "");
	th_daemon_start(&d, dir, conf);

	th_ctl_until(&d, "show info", "feed_state: connected", 20);
	th_ctl_expect(&d, 0, "show info", "mode: paper");
	th_ctl_expect(&d, 0, "show feeds", "state");
	/* The unchanged file reloads: a paper session runs on the feed's
	 * bars (feed.bar_timeframe), which is not a change of
	 * replay.timeframe. */
	th_ctl_expect(&d, 0, "reload", "OK configuration generation 2 in effect");
	th_ctl_expect(&d, 0, "show models", "(none)");
	th_ctl_until(&d, "show feeds", "live", 20);
	th_ctl_expect(&d, 0, "show symbols", "SYM1USDT");
	th_ctl_expect(&d, 0, "--json show info", "\"mode\":\"paper\"");
	/* The resting strategy's two limits rest; pulse buys. */
	th_ctl_until(&d, "show orders open SYM1USDT", "accepted", 20);
	th_ctl_until(&d, "show positions", "pulse", 20);
	th_ctl_until(&d, "show fills 5", "SYM0USDT", 20);
	th_ctl_expect(&d, 0, "show pnl", "equity:");
	th_ctl_expect(&d, 0, "show risk", "max_open_orders");
	th_ctl_expect(&d, 0, "show strategies", "running");
	th_ctl_expect(&d, 0, "show features SYM0USDT", "symbol: SYM0USDT");

	/* Bad commands. */
	th_ctl_expect(&d, 1, "bogus", "ERR UNKNOWN_COMMAND");
	th_ctl_expect(&d, 1, "show nothing", "ERR UNKNOWN_COMMAND");
	th_ctl_expect(&d, 1, "show features NOPE", "ERR BAD_ARGUMENT unknown symbol");
	th_ctl_expect(&d, 1, "cancel 999999", "ERR BAD_ARGUMENT");
	th_ctl_expect(&d, 1, "speed 10", "ERR NOT_AVAILABLE");
	th_ctl_expect(&d, 1, "--json bogus", "{\"error\":\"UNKNOWN_COMMAND\"");
	th_ctl_expect(&d, 0, "level operator \\; level", "OK level operator");
	th_ctl_expect(&d, 1, "level operator \\; halt", "ERR PERMISSION");

	/* nobody (group nogroup: operator) may look and pause, not halt. */
	th_ctl_expect(&d, 0, "show info", "mode: paper");
	{
		char cmd[1200];
		snprintf(cmd, sizeof(cmd), "setpriv --reuid=nobody "
			 "--regid=nogroup --clear-groups %s -s %s",
			 th_bin("traderctl"), d.sock);
		th_expect(0, "%s show info", cmd);
		th_expect(1, "%s halt 2>&1 | grep -q 'ERR PERMISSION' && "
			  "exit 1", cmd);
		th_run(&out, "%s halt", cmd);
		th_assert_out(strstr(out, "ERR PERMISSION 'halt' needs the "
				      "admin level; this session has "
				      "operator"), out);
		free(out);
		th_expect(0, "%s strategy pause pulse", cmd);
		th_expect(0, "%s strategy resume pulse", cmd);
		th_expect(1, "%s flatten", cmd);
	}

	/* A subscriber sees the orders the halt cancels and the refusals
	 * after it. */
	int sub = th_unix_connect(d.sock);
	cr_assert_neq(sub, -1);
	cr_assert_eq(send(sub, "subscribe orders risk\n", 22, 0), 22);
	char ev[65536];
	th_sock_read(sub, ev, sizeof(ev), 300);
	cr_assert(strstr(ev, "OK subscribed"), "%s", ev);

	th_ctl_expect(&d, 0, "halt \"test halt\"", "OK halted (test halt)");
	th_ctl_expect(&d, 0, "show orders open", "(none)");
	th_ctl_expect(&d, 0, "show risk", "test halt");
	th_ctl_expect(&d, 0, "show info", "halted: yes");
	/* pulse keeps trying: refused while halted. */
	th_ctl_until(&d, "show orders all SYM0USDT", "trading is halted", 10);
	th_sock_read(sub, ev, sizeof(ev), 1500);
	cr_assert(strstr(ev, "EVENT risk halt test halt"), "%s", ev);
	cr_assert(strstr(ev, "status=canceled"), "%s", ev);
	cr_assert(strstr(ev, "status=rejected reason=trading is halted"),
		  "%s", ev);
	close(sub);

	th_ctl_expect(&d, 0, "resume", "OK trading resumed");
	th_ctl_expect(&d, 0, "show info", "halted: no");

	/* Paused, pulse sends nothing; flatten closes its position. */
	th_ctl_expect(&d, 0, "strategy pause pulse", "OK strategy pulse paused");
	th_ctl_expect(&d, 0, "show strategies", "paused");
	th_ctl_expect(&d, 0, "flatten SYM0USDT", "closing order(s) sent");
	th_ctl_until(&d, "show positions", "(none)", 10);
	{
		char *a = NULL, *b = NULL;
		th_ctl(&d, &a, "--json show strategies");
		sleep(2);
		th_ctl(&d, &b, "--json show strategies");
		th_assert_outf(strcmp(a, b) == 0, a, "paused, yet it ordered:"
			       " %s", b);
		free(a);
		free(b);
	}
	th_ctl_expect(&d, 0, "strategy resume pulse", "resumed");
	th_ctl_until(&d, "show positions", "pulse", 10);

	/* A line of 1 MB is refused and the connection closed; the daemon
	 * answers the next client. */
	{
		int fd = th_unix_connect(d.sock);
		char *big = malloc(1 << 20);
		memset(big, 'x', 1 << 20);
		send(fd, big, 1 << 20, MSG_NOSIGNAL);
		free(big);
		th_sock_read(fd, ev, sizeof(ev), 2000);
		cr_assert(strstr(ev, "ERR LINE_TOO_LONG"), "%s", ev);
		close(fd);
	}
	th_ctl_expect(&d, 0, "show info", "mode: paper");

	/* More clients than max_clients (8): the rest are told BUSY; the
	 * daemon still answers once they leave. */
	{
		int fds[40], busy = 0;
		for (int i = 0; i < 40; i++)
			fds[i] = th_unix_connect(d.sock);
		for (int i = 0; i < 40; i++) {
			if (fds[i] < 0)
				continue;
			th_sock_read(fds[i], ev, sizeof(ev), i < 8 ? 50 : 500);
			busy += strstr(ev, "ERR BUSY") != NULL;
		}
		cr_assert_geq(busy, 32 - 2, "%d told busy", busy);
		for (int i = 0; i < 40; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	th_ctl_until(&d, "show info", "admin_clients: 1", 10);

	/* A subscriber that never reads is dropped (max_output_kb 64);
	 * the session goes on. */
	{
		int fd = th_unix_connect(d.sock);
		int rcv = 4096;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		send(fd, "subscribe log orders fills\n", 27, 0);
		for (int i = 0; i < 400; i++)
			send(fd, "show orders all\n", 16, MSG_NOSIGNAL);
		th_ctl_until(&d, "show info", "admin_clients: 1", 20);
		close(fd);
	}
	th_ctl_expect(&d, 0, "show info", "engine: running");

	cr_assert_eq(th_daemon_stop(&d), 0);
	{
		char *log = th_read_file(d.log, NULL);
		cr_assert(log && strstr(log, "dropping client"), "%s", log);
		cr_assert(strstr(log, "paper session stopped"), "%s", log);
		free(log);
	}
	th_exsim_stop(x);
	th_rmtree(dir);
	free(dir);
}

/* A paced replay: speed from the socket, reload refused with its
 * reason, then accepted; the socket file is removed at exit. */
Test(admin, paced_replay_speed_and_reload, .timeout = 300)
{
	char *dir = th_tmpdir(), conf[600], buf[4096], *good;
	struct th_daemon d;
	struct stat st;

	th_expect(0, "%s --rows 20000 --seed 9 --start 1704067200 "
		  "> %s/bars.csv", th_bin("gen_bars"), dir);
	snprintf(buf, sizeof(buf),
		 "mode: replay\n"
		 "data_dir: %s/db\n"
		 "report_dir: %s/report\n"
		 "plugin_dir: %s/plugins\n"
		 "instruments:\n"
		 "  - { symbol: BTCUSDT, price_dp: 2, qty_dp: 3, tick_size: "
		 "0.01, lot_size: 0.001 }\n"
		 "replay: { speed: 600 }\n"
		 "admin: { socket: %s/traderd.sock }\n"
		 "strategies:\n"
		 "  - { name: x, plugin: sma_cross, symbols: [BTCUSDT], "
		 "params: { fast: 5, slow: 20 } }\n",
		 dir, dir, getenv("TRD_BIN_DIR"), dir);
	good = strdup(buf);
	snprintf(conf, sizeof(conf), "%s/replay.yaml", dir);
	cr_assert_eq(th_write_file(conf, buf), 0);
	th_expect(0, "%s -c %s import --symbol BTCUSDT --timeframe 1m %s/bars.csv",
		  th_bin("traderctl"), conf, dir);
	th_daemon_start(&d, dir, conf);
	th_ctl_expect(&d, 0, "show info", "speed: 600x");
	th_ctl_expect(&d, 0, "speed 1200", "OK replay speed 1200x");
	th_ctl_expect(&d, 0, "show info", "speed: 1200x");
	th_ctl_expect(&d, 1, "speed fast", "ERR BAD_ARGUMENT");
	/* A changed start-only key is refused, with its name. */
	snprintf(buf, sizeof(buf), "%s", good);
	*strstr(buf, "speed: 600") = '\0';
	strcat(buf, "speed: 600, timeframe: 5m }\n");
	strcat(buf, strstr(good, "admin:"));
	cr_assert_eq(th_write_file(conf, buf), 0);
	th_ctl_expect(&d, 1, "reload", "ERR FAILED 'replay.timeframe' cannot change");
	th_ctl_expect(&d, 0, "show info", "last_reload_error: 'replay.timeframe'");
	/* Invalid YAML: the parser's message. */
	cr_assert_eq(th_write_file(conf, "mode: [\n"), 0);
	th_ctl_expect(&d, 1, "reload", "ERR FAILED");
	th_ctl_expect(&d, 0, "show info", "reload_failures: 2");
	cr_assert_eq(th_write_file(conf, good), 0);
	th_ctl_expect(&d, 0, "reload", "OK configuration generation 2 in effect");
	th_ctl_expect(&d, 0, "show info", "generation: 2");
	/* A strategy's features reload: the new one is computed (cold). */
	{
		char *f = strdup(good), *at = strstr(f, "params: {");
		char nb[4096];
		*at = '\0';
		snprintf(nb, sizeof(nb), "%sfeatures: [\"rsi(14)\"], %s", f,
			 strstr(good, "params: {"));
		free(f);
		cr_assert_eq(th_write_file(conf, nb), 0);
		th_ctl_expect(&d, 0, "reload", "generation 3 in effect");
		th_ctl_expect(&d, 0, "show features BTCUSDT", "rsi(14)");
		cr_assert_eq(th_write_file(conf, good), 0);
		th_ctl_expect(&d, 0, "reload", "generation 4 in effect");
	}
	th_ctl_expect(&d, 0, "speed max", "OK replay speed max");
	/* At max it finishes soon and exits 0 by itself. */
	for (int i = 0; i < 600 && stat(d.sock, &st) == 0; i++)
		usleep(100000);
	cr_assert_neq(stat(d.sock, &st), 0, "the socket file stayed");
	{
		int status;
		cr_assert_eq(waitpid(d.pid, &status, 0), d.pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	free(good);
	th_rmtree(dir);
	free(dir);
}
