/*
 * The metrics endpoint of a real paper session against tools/exsim:
 * /metrics passes promtool check metrics and holds every metric the
 * shipped Grafana dashboard queries; /healthz follows the kill switch;
 * the shipped alert rules pass promtool check rules.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

/* GET (or another method) path from addr "127.0.0.1:PORT": the whole
 * response, malloc'd. */
static char *
http(const char *addr, const char *method, const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[512], *buf = malloc(1 << 20);
	const char *colon = strrchr(addr, ':');
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t n;

	cr_assert(colon && buf);
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "connect %s", addr);
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\n"
		 "Connection: close\r\n\r\n", method, path);
	cr_assert_eq(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	n = th_sock_read(fd, buf, 1 << 20, 5000);
	close(fd);
	cr_assert_gt(n, 0);
	return buf;
}

/* The metrics address from show info. */
static void
metrics_addr(const struct th_daemon *d, char *addr, size_t len)
{
	char *out = NULL, *p;

	th_ctl_until(d, "show info", "metrics: 127.0.0.1:", 20);
	th_ctl(d, &out, "show info");
	p = strstr(out, "metrics: ");
	cr_assert(p);
	sscanf(p + 9, "%63s", addr);
	(void)len;
	free(out);
}

Test(metrics, paper_session_page_health_dashboard_alerts, .timeout = 300)
{
	char *dir = th_tmpdir(), conf[600], buf[8192], addr[64], path[700];
	char *r;
	struct th_daemon d;
	int port, x = th_exsim(dir, "--symbols 2 --rate 20 --seed 5", &port);

	snprintf(buf, sizeof(buf),
		 "mode: paper\n"
		 "data_dir: %s/db\n"
		 "report_dir: %s/report\n"
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
		 "risk: { max_drawdown_pct: 20, max_open_orders: 2 }\n"
		 "admin: { socket: %s/traderd.sock }\n"
		 "metrics: { listen: \"127.0.0.1:0\" }\n"
		 "strategies:\n"
		 "  - { name: pulse, plugin: pulse, symbols: [SYM0USDT] }\n"
		 "  - { name: rest, plugin: resting, symbols: [SYM1USDT] }\n",
		 dir, dir, getenv("TRD_BIN_DIR"), port, port, dir);
	snprintf(conf, sizeof(conf), "%s/paper.yaml", dir);
	cr_assert_eq(th_write_file(conf, buf), 0);
	th_daemon_start(&d, dir, conf);
	metrics_addr(&d, addr, sizeof(addr));
	th_ctl_until(&d, "show info", "feed_state: connected", 20);
	th_ctl_until(&d, "show feeds", "live", 20);
	th_ctl_until(&d, "show fills", "SYM0USDT", 20);

	r = http(addr, "GET", "/healthz");
	cr_assert(strstr(r, "HTTP/1.1 200 OK"), "%s", r);
	cr_assert(strstr(r, "\r\n\r\nok\n"), "%s", r);
	free(r);

	r = http(addr, "GET", "/metrics");
	cr_assert(strstr(r, "HTTP/1.1 200 OK"), "%s", r);
	cr_assert(strstr(r, "Content-Type: text/plain; version=0.0.4"), "%s",
		  r);
	{
		char *body = strstr(r, "\r\n\r\n") + 4;
		snprintf(path, sizeof(path), "%s/metrics.txt", dir);
		cr_assert_eq(th_write_file(path, body), 0);
		cr_assert(strstr(body, "traderd_feed_frames_total "), "%s", body);
		cr_assert(strstr(body, "traderd_events_total{type=\"trade\"}"),
			  "%s", body);
		cr_assert(strstr(body, "traderd_rejects_total{reason="), "%s",
			  body);
		cr_assert(strstr(body, "traderd_frame_to_strategy_seconds_bucket"
				       "{le=\"+Inf\"}"), "%s", body);
	}
	free(r);
	th_expect(0, "promtool check metrics < %s", path);
	th_expect(0, "python3 tests/check_dashboard.py conf/grafana/traderd.json "
		  "%s", path);
	th_expect(0, "promtool check rules conf/alerts.yml");

	/* Halted: 503 with the reason; resumed: 200 again. */
	th_ctl_expect(&d, 0, "halt \"metrics test\"", "OK halted");
	r = http(addr, "GET", "/healthz");
	cr_assert(strstr(r, "HTTP/1.1 503 Service Unavailable"), "%s", r);
	cr_assert(strstr(r, "halted: metrics test"), "%s", r);
	free(r);
	r = http(addr, "GET", "/metrics");
	cr_assert(strstr(r, "\ntraderd_halted 1\n"), "%s", r);
	free(r);
	th_ctl_expect(&d, 0, "resume", "OK");
	r = http(addr, "GET", "/healthz");
	cr_assert(strstr(r, "200 OK"), "%s", r);
	free(r);

	/* Other paths and methods. */
	r = http(addr, "GET", "/nope");
	cr_assert(strstr(r, "HTTP/1.1 404 Not Found"), "%s", r);
	free(r);
	r = http(addr, "DELETE", "/metrics");
	cr_assert(strstr(r, "HTTP/1.1 405"), "%s", r);
	free(r);
	r = http(addr, "GET", "/metrics\x01");
	cr_assert(strstr(r, "HTTP/1.1 400 Bad Request"), "%s", r);
	free(r);

	/* The exchange goes away: disconnected, 503. */
	th_exsim_stop(x);
	for (int i = 0; i < 100; i++) {
		r = http(addr, "GET", "/healthz");
		if (strstr(r, "503"))
			break;
		free(r);
		r = NULL;
		usleep(100000);
	}
	cr_assert(r && strstr(r, "disconnected"), "%s", r ? r : "(none)");
	free(r);
	cr_assert_eq(th_daemon_stop(&d), 0);
	th_rmtree(dir);
	free(dir);
}
