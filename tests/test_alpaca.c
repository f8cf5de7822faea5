/*
 * Alpaca market data: the message parser on the documentation's examples
 * and on hostile input, and paper sessions against exsim --alpaca: keys
 * from the environment or $CREDENTIALS_DIRECTORY (never in the output or
 * on the tape), trades and quotes exactly as sent, 402 fatal with a clear
 * message, 406 backed off until the connection is free.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alpaca.h"
#include "helpers.h"
#include "instrument.h"

static void
registry(struct trd_registry *reg)
{
	struct trd_instr v[3] = {
		{ .symbol = "AAPL", .price_dp = 4, .qty_dp = 0 },
		{ .symbol = "SPY", .price_dp = 4, .qty_dp = 0 },
		{ .symbol = "BTCUSD", .venue_symbol = "BTC/USD", .price_dp = 2,
		  .qty_dp = 8 },
	};

	cr_assert_eq(trd_registry_init_from(reg, v, 3), 0);
}

static struct trd_ap_msg *
one(struct trd_ap *p, const char *s)
{
	struct trd_ap_msg *m;
	size_t n;

	cr_assert_eq(trd_ap_frame(p, s, strlen(s), &m, &n), 0, "%s", p->err);
	cr_assert_eq(n, 1, "%s: %zu messages (%s)", s, n, p->err);
	return m;
}

Test(alpaca, documented_messages_exactly)
{
	struct trd_registry reg;
	struct trd_ap p;
	struct trd_ap_msg *m;
	size_t n;

	registry(&reg);
	trd_ap_init(&p, &reg);
	m = one(&p, "[{\"T\":\"t\",\"i\":96921,\"S\":\"AAPL\",\"x\":\"D\","
		    "\"p\":126.55,\"s\":1,\"t\":\"2021-02-22T15:51:44.208Z\","
		    "\"c\":[\"@\",\"I\"],\"z\":\"C\"}]");
	cr_assert_eq(m->kind, TRD_AP_TRADE);
	cr_assert_eq(m->ins, 0);
	cr_assert_eq(m->u.trade.id, 96921);
	cr_assert_eq(m->u.trade.price, 1265500);
	cr_assert_eq(m->u.trade.qty, 1);
	cr_assert_eq(m->u.trade.ts_ns, 1614009104208000000LL);
	cr_assert_eq(m->u.trade.aggressor, 0);
	m = one(&p, "[{\"T\":\"q\",\"S\":\"SPY\",\"bx\":\"U\",\"bp\":87.66,"
		    "\"bs\":1,\"ax\":\"Q\",\"ap\":87.68,\"as\":4,\"t\":"
		    "\"2021-02-22T15:51:45.335689322Z\",\"c\":[\"R\"],"
		    "\"z\":\"C\"}]");
	cr_assert_eq(m->kind, TRD_AP_QUOTE);
	cr_assert_eq(m->ins, 1);
	cr_assert_eq(m->u.quote.bid, 876600);
	cr_assert_eq(m->u.quote.ask, 876800);
	cr_assert_eq(m->u.quote.bid_qty, 1);
	cr_assert_eq(m->u.quote.ask_qty, 4);
	cr_assert_eq(m->u.quote.ts_ns, 1614009105335689322LL);
	m = one(&p, "[{\"T\":\"b\",\"S\":\"SPY\",\"o\":388.985,\"h\":389.13,"
		    "\"l\":388.975,\"c\":389.12,\"v\":49378,\"t\":"
		    "\"2021-02-22T19:15:00Z\"}]");
	cr_assert_eq(m->kind, TRD_AP_BAR);
	cr_assert_eq(m->u.bar.open, 3889850);
	cr_assert_eq(m->u.bar.low, 3889750);
	cr_assert_eq(m->u.bar.volume, 49378);
	cr_assert_eq(m->u.bar.ts_ns, 1614021300000000000LL);
	/* Crypto: the venue's "BTC/USD", a size with an exponent, the
	 * taker side. */
	m = one(&p, "[{\"T\":\"t\",\"S\":\"BTC/USD\",\"p\":61234.5,"
		    "\"s\":1.5e-05,\"t\":\"2024-03-01T00:00:00.1Z\","
		    "\"i\":18446744073709551615,\"tks\":\"S\"}]");
	cr_assert_eq(m->ins, 2);
	cr_assert_eq(m->u.trade.qty, 1500);
	cr_assert_eq(m->u.trade.price, 6123450);
	cr_assert_eq(m->u.trade.id, UINT64_MAX);
	cr_assert_eq(m->u.trade.aggressor, TRD_SIDE_SELL);
	/* Control messages, several in one array, types not used skipped. */
	{
		const char *ctl = "[{\"T\":\"success\",\"msg\":\"connected\"},"
				  "{\"T\":\"error\",\"code\":406,\"msg\":"
				  "\"connection limit exceeded\"},{\"T\":\"s\","
				  "\"S\":\"AAPL\"},{\"T\":\"subscription\","
				  "\"trades\":[\"AAPL\"]}]";
		cr_assert_eq(trd_ap_frame(&p, ctl, strlen(ctl), &m, &n), 0,
			     "%s", p.err);
	}
	cr_assert_eq(n, 3);
	cr_assert_eq(m[0].kind, TRD_AP_SUCCESS);
	cr_assert_str_eq(m[0].u.ctl.msg, "connected");
	cr_assert_eq(m[1].kind, TRD_AP_ERROR);
	cr_assert_eq(m[1].u.ctl.code, 406);
	cr_assert_eq(m[2].kind, TRD_AP_SUBSCRIPTION);
	cr_assert_eq(p.refused, 0);
	trd_ap_free(&p);
	trd_registry_free(&reg);
}

Test(alpaca, hostile_messages_are_refused_with_a_reason)
{
	static const struct { const char *msg, *why; } bad[] = {
		{ "{\"T\":\"t\"}", "not a JSON array" },
		{ "[{\"T\":\"t\"", "truncated" },
		{ "[{\"T\":\"t\",\"S\":\"MSFT\",\"p\":1,\"s\":1}]",
		  "\"MSFT\" is not configured" },
		{ "[{\"T\":\"t\",\"S\":\"AAPL\",\"p\":1.00001,\"s\":1,"
		  "\"t\":\"2021-02-22T15:51:44Z\"}]", "\"p\" is not a number at 4" },
		{ "[{\"T\":\"t\",\"S\":\"AAPL\",\"p\":-1,\"s\":1,"
		  "\"t\":\"2021-02-22T15:51:44Z\"}]", "\"p\" is not above zero" },
		{ "[{\"T\":\"t\",\"S\":\"AAPL\",\"p\":\"1\",\"s\":1}]",
		  "\"p\" is not a number" },
		{ "[{\"T\":\"t\",\"S\":\"AAPL\",\"p\":1e999,\"s\":1}]",
		  "\"p\" is not a number" },
		{ "[{\"T\":\"q\",\"S\":\"AAPL\",\"bp\":1,\"bs\":1,\"ap\":2,"
		  "\"as\":1,\"t\":\"yesterday\"}]", "not an RFC 3339 time" },
		{ "[{\"T\":\"b\",\"S\":\"SPY\",\"o\":2,\"h\":1,\"l\":1,\"c\":1,"
		  "\"v\":1,\"t\":\"2021-02-22T19:15:00Z\"}]", "high/low" },
		{ "[{\"T\":\"t\",\"S\":\"AAPL\",\"i\":-3,\"p\":1,\"s\":1}]",
		  "\"i\" is not an id" },
		{ "[7]", "not an object" },
	};
	struct trd_registry reg;
	struct trd_ap p;
	struct trd_ap_msg *m;
	size_t n;

	registry(&reg);
	trd_ap_init(&p, &reg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = p.refused;
		trd_ap_frame(&p, bad[i].msg, strlen(bad[i].msg), &m, &n);
		cr_expect_eq(n, 0, "accepted %s", bad[i].msg);
		cr_expect_eq(p.refused, before + 1, "%s", bad[i].msg);
		cr_expect_not_null(strstr(p.err, bad[i].why), "%s: said '%s'",
				   bad[i].msg, p.err);
	}
	trd_ap_free(&p);
	trd_registry_free(&reg);
}

/* ---- against exsim --alpaca ---- */

static void
conf(const char *path, const char *dir, int port, const char *kind,
     const char *stream, const char *venue)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "mode: paper\ndata_dir: %s/db\nreport_dir: %s/report\n"
		 "log_level: info\ninstruments:\n"
		 "  - { symbol: SYM0USDT, venue_symbol: \"%s\", price_dp: 2, "
		 "qty_dp: 3, tick_size: 0.01, lot_size: 0.001 }\n"
		 "feed:\n  kind: %s\n  ws_url: ws://127.0.0.1:%d/%s\n"
		 "  streams: [trades, quotes, bars]\n  bar_timeframe: 1s\n"
		 "account: { cash: 100000 }\nstrategies: []\n",
		 dir, dir, venue, kind, port, stream);
	cr_assert_eq(th_write_file(path, buf), 0);
}

/* Stocks with the keys in the environment, crypto with them as systemd
 * credentials: every trade exsim sent (its log says how many it sent is
 * not known, but the store's are checked for shape) stored, the secret
 * nowhere in the output or on the tape. */
static void
session(const char *kind, const char *stream, const char *venue, int cred)
{
	char *dir = th_tmpdir(), path[600], *out, *ticks, *tape;
	int port, x;

	x = th_exsim(dir, strcmp(kind, "alpaca_crypto") == 0
			   ? "--alpaca crypto --symbols 2 --rate 20 "
			     "--alpaca-key k3y --alpaca-secret s3cr3tvalue"
			   : "--alpaca stocks --symbols 2 --rate 20 "
			     "--alpaca-key k3y --alpaca-secret s3cr3tvalue",
		     &port);
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	conf(path, dir, port, kind, stream, venue);
	if (cred) {
		char c[700];
		snprintf(c, sizeof(c), "%s/cred/APCA_API_KEY_ID", dir);
		th_run(NULL, "mkdir -p %s/cred", dir);
		cr_assert_eq(th_write_file(c, "k3y\n"), 0);
		snprintf(c, sizeof(c), "%s/cred/APCA_API_SECRET_KEY", dir);
		cr_assert_eq(th_write_file(c, "s3cr3tvalue\n"), 0);
		th_run(&out, "env -u APCA_API_KEY_ID -u APCA_API_SECRET_KEY "
		       "CREDENTIALS_DIRECTORY=%s/cred timeout -s TERM 4 %s -c %s",
		       dir, th_bin("traderd"), path);
	} else {
		th_run(&out, "APCA_API_KEY_ID=k3y APCA_API_SECRET_KEY=s3cr3tvalue "
		       "timeout -s TERM 4 %s -c %s", th_bin("traderd"), path);
	}
	th_assert_out(strstr(out, "authenticated; subscribing") != NULL, out);
	th_assert_out(strstr(out, "paper session stopped") != NULL, out);
	th_assert_out(strstr(out, "s3cr3tvalue") == NULL, out);
	free(out);
	th_exsim_stop(x);
	th_run(&ticks, "%s --data-dir %s/db ticks --kind trades --symbol SYM0USDT",
	       th_bin("traderctl"), dir);
	/* A couple of seconds at 20 a second. */
	th_assert_outf(th_count_lines(ticks) > 20, ticks, "%zu lines",
		       th_count_lines(ticks));
	if (strcmp(kind, "alpaca_crypto") == 0)
		th_assert_out(strstr(ticks, ",buy,") || strstr(ticks, ",sell,"),
			      ticks);
	free(ticks);
	th_run(&tape, "%s --data-dir %s/db tape", th_bin("traderctl"), dir);
	th_assert_out(strstr(tape, "\\\"T\\\":\\\"t\\\"") != NULL, tape);
	th_assert_out(strstr(tape, "s3cr3tvalue") == NULL, tape);
	free(tape);
	/* The tape replays to the same trades. */
	th_expect(0, "%s -c %s --replay --source tape", th_bin("traderd"), path);
	th_rmtree(dir);
	free(dir);
}

Test(alpaca, stocks_session_keys_from_the_environment, .timeout = 60)
{
	session("alpaca_stocks", "v2/iex", "SYM0USDT", 0);
}

Test(alpaca, crypto_session_keys_from_credentials, .timeout = 60)
{
	session("alpaca_crypto", "v1beta3/crypto/us", "SYM0/USD", 1);
}

Test(alpaca, bad_keys_stop_with_402_and_no_keys_refuse_to_start,
     .timeout = 60)
{
	char *dir = th_tmpdir(), path[600], *out;
	int port, x = th_exsim(dir, "--alpaca stocks --symbols 1", &port), rc;

	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	conf(path, dir, port, "alpaca_stocks", "v2/iex", "SYM0USDT");
	rc = th_run(&out, "APCA_API_KEY_ID=nope APCA_API_SECRET_KEY=wrongone "
		    "timeout -s TERM 20 %s -c %s", th_bin("traderd"), path);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "Alpaca refused the credentials (402 auth "
				  "failed): check APCA_API_KEY_ID") != NULL, out);
	th_assert_out(strstr(out, "wrongone") == NULL, out);
	free(out);
	rc = th_run(&out, "env -u APCA_API_KEY_ID -u APCA_API_SECRET_KEY -u "
		    "CREDENTIALS_DIRECTORY %s -c %s", th_bin("traderd"), path);
	th_assert_outf(rc == 1, out, "exit %d", rc);
	th_assert_out(strstr(out, "Alpaca needs APCA_API_KEY_ID: set it in the "
				  "environment or as a credential") != NULL,
		      out);
	free(out);
	th_exsim_stop(x);
	th_rmtree(dir);
	free(dir);
}

/* One connection per account: a second session is refused with 406,
 * backs off, and gets the connection once the first has gone. */
Test(alpaca, connection_limit_backs_off_until_free, .timeout = 90)
{
	char *dir = th_tmpdir(), a[600], b[600], *out;
	int port, x = th_exsim(dir, "--alpaca stocks --symbols 1 "
			       "--alpaca-key testkey --alpaca-secret testsecret",
			       &port);

	snprintf(a, sizeof(a), "%s/a.yaml", dir);
	conf(a, dir, port, "alpaca_stocks", "v2/iex", "SYM0USDT");
	th_run(NULL, "mkdir -p %s/b && sed 's|%s/db|%s/b/db|; s|%s/report|"
	       "%s/b/report|' %s > %s/b.yaml", dir, dir, dir, dir, dir, a, dir);
	snprintf(b, sizeof(b), "%s/b.yaml", dir);
	th_run(&out, "( export APCA_API_KEY_ID=testkey APCA_API_SECRET_KEY="
	       "testsecret; timeout -s TERM 3 %s -c %s > %s/a.log 2>&1 & "
	       "sleep 1; timeout -s TERM 12 %s -c %s; wait )",
	       th_bin("traderd"), a, dir, th_bin("traderd"), b);
	th_assert_out(strstr(out, "406 connection limit exceeded") != NULL, out);
	th_assert_out(strstr(out, "backing off") != NULL, out);
	th_assert_out(strstr(out, "authenticated; subscribing") != NULL, out);
	free(out);
	th_exsim_stop(x);
	th_rmtree(dir);
	free(dir);
}
