/*
 * Binance market data: the recorded sessions (spot, Binance.US, USD-M;
 * tests/data/shared/binance_ws_recorded) parse frame for frame with
 * exact values; the local order book built from their snapshots and
 * diffs agrees with the exchange's own bookTicker at every update id
 * both carry; a gap discards the book until a new snapshot; hostile
 * frames are refused with a reason and counted.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binance.h"
#include "book.h"
#include "decimal.h"
#include "helpers.h"
#include "instrument.h"

#define DIR "tests/data/shared/binance_ws_recorded/"

static void
registry(struct trd_registry *reg, const char *const *syms, size_t n)
{
	struct trd_instr v[8];

	memset(v, 0, sizeof(v));
	for (size_t i = 0; i < n; i++) {
		snprintf(v[i].symbol, sizeof(v[i].symbol), "%s", syms[i]);
		v[i].price_dp = v[i].qty_dp = 8;
		v[i].tick = v[i].lot = 1;
	}
	cr_assert_eq(trd_registry_init_from(reg, v, n), 0);
}

struct session {
	const char *prefix;
	const char *syms[4];
	int         rules;
	size_t      depth, ticker, agg, kline; /* frames of each kind */
	size_t      closed;                    /* closed klines among them */
};

static const struct session sessions[] = {
	{ "binance_spot", { "NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR" },
	  TRD_BOOK_SPOT, 177, 84, 2, 2, 0 },
	{ "binanceus_spot", { "CRVUSDT", "COMPUSDT", "OMGBUSD", "ZRXUSDT" },
	  TRD_BOOK_SPOT, 336, 128, 11, 5, 1 },
	{ "binance_usdm_futures",
	  { "SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT" }, TRD_BOOK_USDM,
	  764, 613, 91, 67, 4 },
};

static char **
lines(const char *path, size_t *n)
{
	char *s = th_read_file(path, NULL), **v = NULL, *save, *l;
	size_t cap = 0;

	cr_assert_not_null(s, "%s", path);
	*n = 0;
	for (l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 512;
			v = realloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = strdup(l);
	}
	free(s);
	return v;
}

static void
lines_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

Test(binance, recorded_sessions_parse_whole)
{
	for (size_t k = 0; k < sizeof(sessions) / sizeof(sessions[0]); k++) {
		const struct session *se = &sessions[k];
		struct trd_registry reg;
		struct trd_bn p;
		struct trd_bn_msg m;
		size_t n, cnt[8] = { 0 }, closed = 0;
		char path[256], **f;

		registry(&reg, se->syms, 4);
		trd_bn_init(&p, &reg);
		snprintf(path, sizeof(path), DIR "%s.ws_frames.jsonl", se->prefix);
		f = lines(path, &n);
		for (size_t i = 0; i < n; i++) {
			int rc = trd_bn_frame(&p, f[i], strlen(f[i]), &m);
			cr_assert_eq(rc, 0, "%s frame %zu: %s", se->prefix,
				     i + 1, p.err);
			cnt[m.kind]++;
			if (m.kind == TRD_BN_KLINE)
				closed += m.u.kline.closed;
		}
		cr_expect_eq(cnt[TRD_BN_DEPTH], se->depth, "%s", se->prefix);
		cr_expect_eq(cnt[TRD_BN_BOOKTICKER], se->ticker, "%s", se->prefix);
		cr_expect_eq(cnt[TRD_BN_AGGTRADE], se->agg, "%s", se->prefix);
		cr_expect_eq(cnt[TRD_BN_KLINE], se->kline, "%s", se->prefix);
		cr_expect_eq(p.refused, 0);
		/* Only x: true is a bar; the rest are in-progress updates. */
		cr_expect_eq(closed, se->closed, "%s: %zu closed klines",
			     se->prefix, closed);
		lines_free(f, n);
		trd_bn_free(&p);
		trd_registry_free(&reg);
	}
}

/* The values of one frame, to the last digit, and 64-bit ids. */
Test(binance, exact_values_and_ids)
{
	static const char *const syms[] = { "BTCUSDT" };
	struct trd_registry reg;
	struct trd_bn p;
	struct trd_bn_msg m;
	const char *agg = "{\"stream\":\"btcusdt@aggTrade\",\"data\":{\"e\":"
			  "\"aggTrade\",\"E\":1633998512068,\"s\":\"BTCUSDT\","
			  "\"a\":18446744073709551615,\"p\":\"57231.12345678\","
			  "\"q\":\"0.00000001\",\"f\":9007199254740993,\"l\":"
			  "9007199254740995,\"T\":1633998512067,\"m\":true,"
			  "\"M\":true}}";
	const char *kl = "{\"e\":\"kline\",\"E\":1,\"s\":\"BTCUSDT\",\"k\":{"
			 "\"t\":1633998480000,\"T\":1633998539999,\"s\":"
			 "\"BTCUSDT\",\"i\":\"1m\",\"o\":\"2.5\",\"c\":\"3\","
			 "\"h\":\"3.25\",\"l\":\"2\",\"v\":\"10.12\",\"n\":7,"
			 "\"x\":true}}";

	registry(&reg, syms, 1);
	trd_bn_init(&p, &reg);
	cr_assert_eq(trd_bn_frame(&p, agg, strlen(agg), &m), 0, "%s", p.err);
	cr_assert_eq(m.kind, TRD_BN_AGGTRADE);
	cr_assert_eq(m.u.trade.t.id, UINT64_MAX);
	cr_assert_eq(m.u.trade.first_id, 9007199254740993ULL); /* 2^53 + 1 */
	cr_assert_eq(m.u.trade.last_id, 9007199254740995ULL);
	cr_assert_eq(m.u.trade.t.price, 5723112345678LL);
	cr_assert_eq(m.u.trade.t.qty, 1);
	cr_assert_eq(m.u.trade.t.ts_ns, 1633998512067LL * 1000000);
	cr_assert_eq(m.u.trade.t.aggressor, TRD_SIDE_SELL);
	cr_assert_eq(trd_bn_frame(&p, kl, strlen(kl), &m), 0, "%s", p.err);
	cr_assert_eq(m.kind, TRD_BN_KLINE);
	cr_assert(m.u.kline.closed);
	cr_assert_eq(m.u.kline.tf_s, 60);
	cr_assert_eq(m.u.kline.bar.ts_ns, 1633998480000LL * 1000000);
	cr_assert_eq(m.u.kline.bar.high, 325000000);
	cr_assert_eq(m.u.kline.bar.volume, 1012000000);
	cr_assert_eq(m.u.kline.ntrades, 7);
	trd_bn_free(&p);
	trd_registry_free(&reg);
}

/* frame_no,recv_ts,stream of a session: the receive times. */
static double *
recv_times(const char *prefix, size_t n)
{
	char path[256], **l;
	size_t k;
	double *t = calloc(n + 1, sizeof(*t));

	snprintf(path, sizeof(path), DIR "%s.ws_recv_ts.csv", prefix);
	l = lines(path, &k);
	for (size_t i = 1; i < k; i++) {
		size_t no = strtoul(l[i], NULL, 10);
		if (no >= 1 && no <= n)
			t[no - 1] = strtod(strchr(l[i], ',') + 1, NULL);
	}
	lines_free(l, k);
	return t;
}

/*
 * Each session's books, from its REST snapshots (applied when they were
 * received) and diffs, against the exchange's bookTicker: its "u" is the
 * book's update id, so whenever the book stands at that id its best bid
 * and ask must be the ticker's, price and size.
 */
Test(binance, book_agrees_with_the_exchange_ticker)
{
	for (size_t k = 0; k < sizeof(sessions) / sizeof(sessions[0]); k++) {
		const struct session *se = &sessions[k];
		struct trd_registry reg;
		struct trd_bn p;
		struct trd_book book[4];
		struct trd_bn_msg m;
		size_t n, ns, snap = 0, agree = 0, applied = 0;
		char path[256], **f, **s;
		double *rt;

		registry(&reg, se->syms, 4);
		trd_bn_init(&p, &reg);
		for (int i = 0; i < 4; i++)
			trd_book_init(&book[i], se->rules);
		snprintf(path, sizeof(path), DIR "%s.ws_frames.jsonl", se->prefix);
		f = lines(path, &n);
		snprintf(path, sizeof(path), DIR "%s.rest_depth_snapshots.jsonl",
			 se->prefix);
		s = lines(path, &ns);
		rt = recv_times(se->prefix, n);
		for (size_t i = 0; i <= n; i++) {
			/* Snapshots received before this frame. */
			while (snap < ns) {
				char *at = strstr(s[snap], "\"recv_ts_epoch_s\":");
				char *body = strstr(s[snap], "\"body\":");
				char *sym = strstr(s[snap], "symbol=");
				char name[32] = "";
				uint64_t last;
				size_t nb, na;
				const struct trd_instr *in;

				cr_assert(at && body && sym);
				if (i < n && strtod(at + 18, NULL) > rt[i])
					break;
				sscanf(sym + 7, "%31[A-Z0-9]", name);
				in = trd_registry_find(&reg, name);
				cr_assert_not_null(in, "%s", name);
				body += 7;
				cr_assert_eq(trd_bn_snapshot(&p, in->id, body,
							     strlen(body) - 1,
							     &last, &nb, &na),
					     0, "%s", p.err);
				cr_assert_eq(trd_book_snapshot(&book[in->id], last,
							       p.lv, nb, na),
					     TRD_BOOK_APPLIED, "%s snapshot %s",
					     se->prefix, name);
				snap++;
			}
			if (i == n)
				break;
			cr_assert_eq(trd_bn_frame(&p, f[i], strlen(f[i]), &m), 0);
			if (m.kind == TRD_BN_DEPTH) {
				int rc = trd_book_diff(&book[m.ins], &m, p.lv);
				cr_assert(rc == TRD_BOOK_APPLIED ||
					  rc == TRD_BOOK_BUFFERED ||
					  rc == TRD_BOOK_OLD,
					  "%s frame %zu: %d", se->prefix, i + 1,
					  rc);
				applied += rc == TRD_BOOK_APPLIED;
			} else if (m.kind == TRD_BN_BOOKTICKER &&
				   book[m.ins].synced &&
				   book[m.ins].id == m.u.ticker.update_id) {
				int64_t b, bq, a, aq;
				const struct trd_quote *q = &m.u.ticker.q;
				trd_book_top(&book[m.ins], &b, &bq, &a, &aq);
				cr_assert(b == q->bid && bq == q->bid_qty &&
					  a == q->ask && aq == q->ask_qty,
					  "%s frame %zu: book %lld x %lld / %lld "
					  "x %lld, ticker %lld x %lld / %lld x "
					  "%lld", se->prefix, i + 1,
					  (long long)b, (long long)bq,
					  (long long)a, (long long)aq,
					  (long long)q->bid, (long long)q->bid_qty,
					  (long long)q->ask, (long long)q->ask_qty);
				agree++;
			}
		}
		for (int i = 0; i < 4; i++)
			cr_expect_eq(book[i].gaps, 0, "%s %s: %llu gaps",
				     se->prefix, se->syms[i],
				     (unsigned long long)book[i].gaps);
		cr_log_info("%s: %zu diffs applied, %zu tickers matched the book",
			    se->prefix, applied, agree);
		cr_expect_gt(applied, 50, "%s", se->prefix);
		/* Every book that got a snapshot ends synced and uncrossed. */
		for (int i = 0; i < 4; i++) {
			int64_t b, bq, a, aq;
			if (book[i].snapshots == 0)
				continue;
			cr_expect(book[i].synced, "%s %s", se->prefix,
				  se->syms[i]);
			trd_book_top(&book[i], &b, &bq, &a, &aq);
			cr_expect(b > 0 && a > b, "%s %s: %lld / %lld", se->prefix,
				  se->syms[i], (long long)b, (long long)a);
		}
		for (int i = 0; i < 4; i++)
			trd_book_free(&book[i]);
		free(rt);
		lines_free(f, n);
		lines_free(s, ns);
		trd_bn_free(&p);
		trd_registry_free(&reg);
	}
}

static int
diff(struct trd_book *b, struct trd_bn *p, uint64_t U, uint64_t u,
     const char *px, const char *qty)
{
	char fr[512];
	struct trd_bn_msg m;

	snprintf(fr, sizeof(fr), "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\","
		 "\"U\":%llu,\"u\":%llu,\"b\":[[\"%s\",\"%s\"]],\"a\":[]}",
		 (unsigned long long)U, (unsigned long long)u, px, qty);
	cr_assert_eq(trd_bn_frame(p, fr, strlen(fr), &m), 0, "%s", p->err);
	return trd_book_diff(b, &m, p->lv);
}

/* A missing diff: the book is discarded and waits for a snapshot; one
 * older than the diffs kept is refused. */
Test(binance, gap_discards_the_book_until_a_new_snapshot)
{
	static const char *const syms[] = { "BTCUSDT" };
	struct trd_registry reg;
	struct trd_bn p;
	struct trd_book b;
	struct trd_bn_level snap[2] = { { 100, 5 }, { 200, 7 } };
	int64_t bid, bq, ask, aq;

	registry(&reg, syms, 1);
	trd_bn_init(&p, &reg);
	trd_book_init(&b, TRD_BOOK_SPOT);
	cr_assert_eq(diff(&b, &p, 98, 101, "0.000001", "1"), TRD_BOOK_BUFFERED);
	cr_assert_eq(diff(&b, &p, 102, 103, "0.0000011", "2"), TRD_BOOK_BUFFERED);
	cr_assert_eq(trd_book_snapshot(&b, 100, snap, 1, 1), TRD_BOOK_APPLIED);
	cr_assert_eq(b.id, 103);
	trd_book_top(&b, &bid, &bq, &ask, &aq);
	cr_assert_eq(bid, 110);
	cr_assert_eq(bq, 200000000);
	cr_assert_eq(diff(&b, &p, 90, 103, "0.000001", "9"), TRD_BOOK_OLD);
	cr_assert_eq(diff(&b, &p, 106, 107, "0.000001", "9"), TRD_BOOK_GAP);
	cr_assert(!b.synced);
	cr_assert_eq(trd_book_top(&b, &bid, &bq, &ask, &aq), -1);
	cr_assert_eq(b.gaps, 1);
	/* Older than the diff now kept (106): fetch another. */
	cr_assert_eq(trd_book_snapshot(&b, 104, snap, 1, 1), TRD_BOOK_RETRY);
	cr_assert_eq(trd_book_snapshot(&b, 106, snap, 1, 1), TRD_BOOK_APPLIED);
	cr_assert(b.synced);
	cr_assert_eq(b.id, 107);
	trd_book_top(&b, &bid, &bq, &ask, &aq);
	cr_assert_eq(bid, 100);
	cr_assert_eq(bq, 900000000);
	trd_book_free(&b);
	trd_bn_free(&p);
	trd_registry_free(&reg);
}

Test(binance, hostile_frames_are_refused_with_a_reason)
{
	static const char *const syms[] = { "BTCUSDT" };
	static const struct { const char *frame, *why; } bad[] = {
		{ "", "not JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"e\":\"aggTrade\"", "truncated" },
		{ "{\"e\":\"aggTrade\",\"s\":\"ETHUSDT\"}", "ETHUSDT\" is not "
		  "configured" },
		{ "{\"e\":\"aggTrade\",\"s\":\"BTCUSDT\",\"a\":1,\"p\":\"1.123456789\","
		  "\"q\":\"1\",\"f\":1,\"l\":1,\"T\":1,\"m\":true}",
		  "\"p\" is not a price at 8 decimals" },
		{ "{\"e\":\"aggTrade\",\"s\":\"BTCUSDT\",\"a\":-1}",
		  "\"a\" is not an id" },
		{ "{\"e\":\"aggTrade\",\"s\":\"BTCUSDT\",\"a\":184467440737095516160}",
		  "\"a\" is not an id" },
		{ "{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1e5\"}",
		  "\"p\" is not a price" },
		{ "{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"U\":5,\"u\":4}",
		  "\"u\" is not an id at or after \"U\"" },
		{ "{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":"
		  "[[\"1\"]],\"a\":[]}", "\"b\" level 1" },
		{ "{\"e\":\"kline\",\"s\":\"BTCUSDT\",\"k\":{\"t\":0,\"T\":59999,"
		  "\"i\":\"1M\"}}", "\"i\" is not an interval" },
		{ "{\"e\":\"mystery\",\"s\":\"BTCUSDT\"}", "unknown event" },
	};
	struct trd_registry reg;
	struct trd_bn p;
	struct trd_bn_msg m;

	registry(&reg, syms, 1);
	trd_bn_init(&p, &reg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(trd_bn_frame(&p, bad[i].frame, strlen(bad[i].frame),
					  &m), -1, "accepted %s", bad[i].frame);
		cr_expect_not_null(strstr(p.err, bad[i].why), "%s: said '%s'",
				   bad[i].frame, p.err);
	}
	cr_assert_eq(p.refused, sizeof(bad) / sizeof(bad[0]));
	/* Nested 200000 deep inside a trade (the feed takes frames up to
	 * 4 MiB): refused for its fields, without recursing that deep. */
	{
		size_t depth = 200000, n = 0;
		char *deep = malloc(2 * depth + 64);
		n += (size_t)sprintf(deep, "{\"e\":\"trade\",\"x\":");
		memset(deep + n, '[', depth);
		memset(deep + n + depth, ']', depth);
		n += 2 * depth;
		strcpy(deep + n, ",\"s\":\"BTCUSDT\"}");
		cr_expect_eq(trd_bn_frame(&p, deep, strlen(deep), &m), -1);
		free(deep);
	}
	trd_bn_free(&p);
	trd_registry_free(&reg);
}
