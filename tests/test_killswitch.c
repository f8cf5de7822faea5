/*
 * The kill switch end to end: traderd replays LINKUSDT and AVAXUSDT futures
 * bars with two strategies (sma_cross with bracket orders on both symbols,
 * bollinger_revert long/short on one) in one account, and a drawdown cap
 * trips.  Checked from the report alone, with no engine code:
 *
 *   - report.json says halted, and when and why;
 *   - every order open at the trip is canceled at the next event, before
 *     any further fill;
 *   - after the trip no order that opens or grows a position is accepted
 *     (each accepted one sells a long or covers a short, no more than it
 *     holds), none fills, and refused entries carry the code halted;
 *   - with on_trip flatten, every position is closed at the end.
 *
 * The short runs replay the first three days of each month with a 1.5%
 * cap; the full months of conf/risk.yaml run as configured.  All of it
 * ships in tests/data/shared.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"

/* In tests/data/shared (th_shared): the months of conf/risk.yaml, and
 * their first three days (4320 bars each) for the short runs. */
#define SHARED     "tests/data/shared/"
#define UM         "binance_futures_klines/um/"
#define LINK_MONTH UM "LINKUSDT-1m-2023-02.csv"
#define AVAX_MONTH UM "AVAXUSDT-1m-2024-02.csv"
#define LINK_DAYS  UM "LINKUSDT-1m-2023-02-01_03.csv"
#define AVAX_DAYS  UM "AVAXUSDT-1m-2024-02-01_03.csv"

static char *dir;

/* Split a CSV line in place into at most max fields (quotes honoured,
 * "" inside quotes left doubled: the tests only compare prefixes). */
static int
split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	while (n < max) {
		int q = *p == '"';
		f[n++] = q ? ++p : p;
		while (*p && (q ? !(*p == '"' && p[1] != '"') : *p != ',')) {
			if (q && *p == '"')
				p++; /* a doubled quote */
			p++;
		}
		if (q && *p == '"')
			*p++ = '\0';
		if (*p != ',') {
			*p = '\0';
			break;
		}
		*p++ = '\0';
	}
	return n;
}

/* A decimal quantity as an integer of 10^-8 units. */
static int64_t
units(const char *s)
{
	return (int64_t)llround(strtod(s, NULL) * 1e8);
}

struct fill {
	char    key[64]; /* strategy/symbol */
	int64_t qty;     /* signed: buys positive */
	double  ts;
};

struct event {
	double   ts;
	uint64_t id;
	char     key[64], side[8], status[24], code[32], reason[160];
	int64_t  qty;
};

struct run {
	struct fill  *fills;
	size_t        nfills;
	struct event *ev;
	size_t        nev;
	double        trip;
	char          json[1 << 16];
};

static char *
read_report(const char *name)
{
	char path[4200];
	char *s;

	snprintf(path, sizeof(path), "%s/report/%s", dir, name);
	s = th_read_file(path, NULL);
	cr_assert_not_null(s, "no %s", path);
	return s;
}

static void
load(struct run *r)
{
	char *s = read_report("fills.csv"), *line, *save;
	char *f[16];
	size_t cap = 0;

	memset(r, 0, sizeof(*r));
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "order_id,", 9) == 0)
			continue;
		cr_assert_eq(split(line, f, 16), 9, "fills row");
		if (r->nfills == cap) {
			cap = cap ? 2 * cap : 1024;
			r->fills = realloc(r->fills, cap * sizeof(*r->fills));
		}
		snprintf(r->fills[r->nfills].key, 64, "%s/%s", f[1], f[2]);
		r->fills[r->nfills].qty = (strcmp(f[3], "buy") == 0 ? 1 : -1) *
					  units(f[4]);
		r->fills[r->nfills].ts = strtod(f[7], NULL);
		r->nfills++;
	}
	free(s);
	s = read_report("order_events.csv");
	cap = 0;
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct event *e;
		if (strncmp(line, "ts,", 3) == 0)
			continue;
		cr_assert_eq(split(line, f, 16), 13, "order_events row");
		if (r->nev == cap) {
			cap = cap ? 2 * cap : 4096;
			r->ev = realloc(r->ev, cap * sizeof(*r->ev));
		}
		e = &r->ev[r->nev++];
		e->ts = strtod(f[0], NULL);
		e->id = strtoull(f[1], NULL, 10);
		snprintf(e->key, sizeof(e->key), "%s/%s", f[3], f[4]);
		snprintf(e->side, sizeof(e->side), "%s", f[5]);
		snprintf(e->status, sizeof(e->status), "%s", f[7]);
		e->qty = units(f[8]);
		snprintf(e->code, sizeof(e->code), "%s", f[11]);
		snprintf(e->reason, sizeof(e->reason), "%s", f[12]);
	}
	free(s);
	s = read_report("report.json");
	snprintf(r->json, sizeof(r->json), "%s", s);
	free(s);
}

/* The first trip's time, from report.json's ISO 8601 UTC. */
static double
trip_time(const struct run *r)
{
	const char *p = strstr(r->json, "\"trips\": [");
	struct tm tm = { 0 };

	cr_assert_not_null(p, "%s", r->json);
	p = strstr(p, "\"ts\": \"");
	cr_assert_not_null(p, "no trip in %s", r->json);
	cr_assert_not_null(strptime(p + 7, "%Y-%m-%dT%H:%M:%SZ", &tm));
	return (double)timegm(&tm);
}

/* Signed position of key from the fills stamped before ts (a fill carries
 * its bar's open time; orders placed at ts see every bar up to ts). */
static int64_t
position(const struct run *r, const char *key, double ts)
{
	int64_t q = 0;

	for (size_t i = 0; i < r->nfills && r->fills[i].ts < ts; i++)
		if (strcmp(r->fills[i].key, key) == 0)
			q += r->fills[i].qty;
	return q;
}

static int
open_status(const char *s)
{
	return strcmp(s, "new") == 0 || strcmp(s, "accepted") == 0 ||
	       strcmp(s, "partially_filled") == 0;
}

static void
check_trip(struct run *r, const char *why, int require_open)
{
	double T;
	size_t open_at_trip = 0, refused = 0, exits = 0;

	load(r);
	cr_assert(strstr(r->json, "\"halted\": true"), "%s", r->json);
	cr_assert(strstr(r->json, why), "no '%s' in %s", why, r->json);
	T = trip_time(r);

	/* Orders open at the trip: their next event is a cancel, and all of
	 * them at one time (the next event after the trip). */
	for (size_t i = 0; i < r->nev; i++) {
		const struct event *e = &r->ev[i], *next = NULL;
		int last_before = e->ts <= T;
		if (!last_before || !open_status(e->status))
			continue;
		for (size_t j = i + 1; j < r->nev; j++) {
			if (r->ev[j].id != e->id)
				continue;
			if (r->ev[j].ts <= T) {
				last_before = 0; /* not its last state */
				break;
			}
			next = &r->ev[j];
			break;
		}
		if (!last_before)
			continue;
		open_at_trip++;
		cr_assert_not_null(next, "order %llu open at the trip and never "
				   "closed", (unsigned long long)e->id);
		cr_assert_str_eq(next->status, "canceled", "order %llu: %s after "
				 "the trip", (unsigned long long)e->id, next->status);
		cr_assert_lt(next->ts, T + 61, "canceled within the next bar");
	}
	if (require_open)
		cr_assert_gt(open_at_trip, 0, "nothing was open at the trip: "
			     "the test proves nothing");

	/* After the trip: refused entries say halted; an accepted order is
	 * an exit no larger than the position it reduces. */
	for (size_t i = 0; i < r->nev; i++) {
		const struct event *e = &r->ev[i];
		int64_t pos;
		if (e->ts <= T)
			continue;
		if (strcmp(e->status, "rejected") == 0 &&
		    strcmp(e->code, "halted") == 0)
			refused++;
		if (strcmp(e->status, "accepted") != 0)
			continue;
		pos = position(r, e->key, e->ts);
		cr_assert(strcmp(e->side, "sell") == 0 ? pos > 0 : pos < 0,
			  "order %llu (%s %s) accepted after the trip with "
			  "position %lld", (unsigned long long)e->id, e->side,
			  e->key, (long long)pos);
		cr_assert_leq(e->qty, pos < 0 ? -pos : pos, "order %llu flips",
			      (unsigned long long)e->id);
		exits++;
	}
	cr_assert_gt(refused + exits, 0, "no order after the trip");
	/* And no fill after the trip grows a position. */
	for (size_t i = 0; i < r->nfills; i++) {
		const struct fill *f = &r->fills[i];
		int64_t before, after;
		if (f->ts <= T)
			continue;
		before = position(r, f->key, f->ts);
		after = before + f->qty;
		cr_assert(llabs(after) <= llabs(before) &&
			  (before >= 0 ? after >= 0 : after <= 0),
			  "a fill after the trip grows %s: %lld -> %lld",
			  f->key, (long long)before, (long long)after);
	}
}

static void
run_free(struct run *r)
{
	free(r->fills);
	free(r->ev);
}

/* The run a test reads, freed by teardown (so also when an assertion
 * fails). */
static struct run *rep;

static void
setup(void)
{
	dir = th_tmpdir();
	rep = calloc(1, sizeof(*rep));
	cr_assert_not_null(rep);
}

static void
teardown(void)
{
	th_rmtree(dir);
	free(dir);
	run_free(rep);
	free(rep);
}

TestSuite(killswitch, .init = setup, .fini = teardown, .timeout = 120);

/*
 * Bracket exits the trip canceled: orders.csv rows with a parent_id whose
 * final status is canceled with the kill switch's reason ("kill switch:
 * <the trip's reason>"), canceled in order_events.csv at the first event
 * after the trip T.  Returns how many.
 */
static size_t
bracket_exits_canceled_by_trip(const struct run *r, double T)
{
	char *s = read_report("orders.csv"), *line, *save, *f[24];
	size_t n = 0;
	int nf;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t id;
		if (strncmp(line, "id,", 3) == 0)
			continue;
		/* id,strategy,symbol,side,type,quantity,price,submit_ts,
		 * status,reason,tif,flags,stop_price,trail,expire_ts,link_id,
		 * parent_id,client_id,filled_qty,avg_price,reject_code */
		if ((nf = split(line, f, 24)) != 21) {
			free(s);
			cr_assert_fail("orders.csv row with %d fields, not 21", nf);
		}
		if (f[16][0] == '\0' || strcmp(f[8], "canceled") != 0 ||
		    strncmp(f[9], "kill switch: ", 13) != 0)
			continue;
		id = strtoull(f[0], NULL, 10);
		for (size_t i = 0; i < r->nev; i++) {
			const struct event *e = &r->ev[i];
			if (e->id == id && strcmp(e->status, "canceled") == 0 &&
			    strncmp(e->reason, "kill switch: ", 13) == 0 &&
			    e->ts > T && e->ts < T + 61) {
				n++;
				break;
			}
		}
	}
	free(s);
	return n;
}

/* The slices ship with the tests: missing, the test fails. */
static void
need_slices(void)
{
	cr_assert_not_null(th_shared(LINK_DAYS), "tests/data/shared/" LINK_DAYS
			   " is missing");
	cr_assert_not_null(th_shared(AVAX_DAYS), "tests/data/shared/" AVAX_DAYS
			   " is missing");
}

/* Import the two files and write a config from conf/risk.yaml with the
 * given replacements (sed expressions). */
static void
prepare(const char *link, const char *avax, const char *sed)
{
	th_expect(0, "sed 's|../var/db-futures|%s/db|; s|../var/report-risk|%s/report|; "
		  "s|plugin_dir: ../build/plugins|plugin_dir: %s|; %s' conf/risk.yaml > %s/r.yaml",
		  dir, dir, th_bin("plugins"), sed, dir);
	th_expect(0, "%s -c %s/r.yaml import --symbol LINKUSDT --timeframe 1m %s",
		  th_bin("traderctl"), dir, link);
	th_expect(0, "%s -c %s/r.yaml import --symbol AVAXUSDT --timeframe 1m %s",
		  th_bin("traderctl"), dir, avax);
}

/* Run the replay; returns its output (caller frees). */
static char *
replay(void)
{
	char *out;
	int rc = th_run(&out, "%s -c %s/r.yaml --replay", th_bin("traderd"), dir);

	th_assert_outf(rc == 0, out, "exit %d", rc);
	return out;
}

Test(killswitch, drawdown_cap_trips_on_two_symbols)
{
	char *out;
	struct run *r = rep;

	need_slices();
	/* Three days lose less than the month: a 1.5% cap trips in them. */
	prepare(SHARED LINK_DAYS, SHARED AVAX_DAYS,
		"s|max_drawdown_pct: 10|max_drawdown_pct: 1.5|");
	out = replay();
	th_assert_out(strstr(out, "kill switch: max drawdown 1.5% from the equity "
			      "peak"), out);
	free(out);
	check_trip(r, "max drawdown 1.5% from the equity peak", 1);
	/* Both symbols and both strategies traded. */
	{
		int seen[3] = { 0 };
		for (size_t i = 0; i < r->nfills; i++) {
			seen[0] |= strcmp(r->fills[i].key, "trend/LINKUSDT") == 0;
			seen[1] |= strcmp(r->fills[i].key, "trend/AVAXUSDT") == 0;
			seen[2] |= strcmp(r->fills[i].key, "revert/AVAXUSDT") == 0;
		}
		cr_assert(seen[0] && seen[1] && seen[2], "a strategy or symbol "
			  "never traded");
	}
	/* The bracket exits were among what the trip canceled. */
	cr_assert_gt(bracket_exits_canceled_by_trip(r, trip_time(r)), 0,
		     "no bracket exit (an order with a parent_id) was canceled "
		     "by the kill switch at the trip");

	/* Twice: byte-identical. */
	{
		char *a = read_report("order_events.csv"), *b;
		out = replay();
		free(out);
		b = read_report("order_events.csv");
		int same = strcmp(a, b) == 0;
		free(a);
		free(b);
		cr_assert(same, "order_events.csv differs between runs");
	}
}

Test(killswitch, flatten_closes_every_position)
{
	char *out;
	struct run *r = rep;
	size_t flat = 0;
	double T;

	need_slices();
	prepare(SHARED LINK_DAYS, SHARED AVAX_DAYS,
		"s|max_drawdown_pct: 10|max_drawdown_pct: 1.5|; "
		"s|on_trip: cancel|on_trip: flatten|");
	out = replay();
	th_assert_out(strstr(out, "and closing every position"), out);
	free(out);
	check_trip(r, "max drawdown 1.5%", 1);
	T = trip_time(r);
	/* Each position is closed, or its symbol has had no bar since the
	 * trip (LINKUSDT's days end a year before AVAXUSDT's) and its
	 * closing market order is still waiting, open, at the end. */
	for (int k = 0; k < 3; k++) {
		static const char *keys[] = { "trend/LINKUSDT", "trend/AVAXUSDT",
					      "revert/AVAXUSDT" };
		int64_t pos = position(r, keys[k], INFINITY);
		int waiting = 0;
		for (size_t i = 0; pos != 0 && i < r->nev; i++) {
			const struct event *e = &r->ev[i];
			int last = 1;
			if (e->ts <= T || strcmp(e->key, keys[k]) != 0 ||
			    strcmp(e->status, "accepted") != 0 ||
			    e->qty != (pos < 0 ? -pos : pos))
				continue;
			for (size_t j = i + 1; j < r->nev; j++)
				last &= r->ev[j].id != e->id;
			waiting |= last;
		}
		cr_assert(pos == 0 || waiting, "%s still open (%lld) with no "
			  "closing order waiting", keys[k], (long long)pos);
		flat += pos == 0;
	}
	cr_assert_geq(flat, 2, "the AVAXUSDT positions were closed");
}

Test(killswitch, full_months_of_conf_risk)
{
	char *out;
	struct run *r = rep;

	cr_assert_not_null(th_shared(LINK_MONTH), "tests/data/shared/" LINK_MONTH
			   " is missing");
	cr_assert_not_null(th_shared(AVAX_MONTH), "tests/data/shared/" AVAX_MONTH
			   " is missing");
	prepare(SHARED LINK_MONTH, SHARED AVAX_MONTH, "");
	out = replay();
	free(out);
	/* Whether an order is open at this trip depends on the data: the
	 * slices above make sure of it. */
	check_trip(r, "max drawdown 10% from the equity peak", 0);
}
