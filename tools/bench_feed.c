/*
 * bench_feed: frames per second through traderd's feed core (the frame
 * parser, the order book, dedupe and backfill bookkeeping, the bar
 * builder) on one core, for the bookTicker, aggTrade and depth frames of
 * a recorded Binance session, beside a floor program that only splits
 * the same frames into numbers and converts each with strtod.
 *
 *   bench_feed FRAMES.jsonl SNAPSHOTS.jsonl [PASSES]
 *
 * Each pass starts a fresh session (a START input and a REST snapshot per
 * symbol, not timed), then feeds every frame of the kind once; the figure
 * is the best of the passes.  Features and strategies are not in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "feed.h"

struct line {
	const char *p;
	size_t      n;
};

#define T0 2000000000000000000LL /* 2033 */

static volatile double sink;

static void
emit(void *arg, const struct trd_event *ev)
{
	(void)arg;
	sink += (double)ev->ts_ns;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *b;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		exit(2);
	rewind(f);
	if ((b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	b[n] = '\0';
	fclose(f);
	return b;
}

/* The floor: every number (quoted or not) converted with strtod. */
static double
floor_frame(const char *p, size_t n)
{
	const char *e = p + n;
	double s = 0;

	while (p < e) {
		if ((*p >= '0' && *p <= '9') || *p == '-') {
			char *end;
			s += strtod(p, &end);
			p = end > p ? end : p + 1;
		} else {
			p++;
		}
	}
	return s;
}

int
main(int argc, char **argv)
{
	static const char *const kinds[] = { "bookTicker", "aggTrade",
					     "depthUpdate" };
	char *frames, *snaps, *p;
	struct line *lv = NULL, *sv = NULL;
	size_t nl = 0, ns = 0;
	int passes = argc > 3 ? atoi(argv[3]) : 20;
	char syms[64][16];
	size_t nsym = 0;
	struct trd_instr inst[64];
	struct trd_registry reg;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_feed FRAMES SNAPSHOTS [PASSES]\n");
		return 2;
	}
	frames = slurp(argv[1]);
	snaps = slurp(argv[2]);
	for (p = frames; *p;) {
		char *e = strchr(p, '\n'), *s;
		size_t n = e ? (size_t)(e - p) : strlen(p);
		lv = realloc(lv, (nl + 1) * sizeof(*lv));
		lv[nl++] = (struct line){ p, n };
		if ((s = strstr(p, "\"s\":\"")) && s < p + n) {
			size_t k = strcspn(s + 5, "\"");
			size_t i;
			for (i = 0; i < nsym; i++)
				if (strlen(syms[i]) == k &&
				    memcmp(syms[i], s + 5, k) == 0)
					break;
			if (i == nsym && nsym < 64 && k < 16) {
				memcpy(syms[nsym], s + 5, k);
				syms[nsym++][k] = '\0';
			}
		}
		p = e ? e + 1 : p + n;
	}
	for (p = snaps; *p;) {
		char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		sv = realloc(sv, (ns + 1) * sizeof(*sv));
		sv[ns++] = (struct line){ p, n };
		p = e ? e + 1 : p + n;
	}
	memset(inst, 0, sizeof(inst));
	for (size_t i = 0; i < nsym; i++) {
		snprintf(inst[i].symbol, sizeof(inst[i].symbol), "%s", syms[i]);
		inst[i].price_dp = inst[i].qty_dp = 8;
		inst[i].tick = inst[i].lot = 1;
	}
	if (trd_registry_init_from(&reg, inst, nsym) != 0)
		return 2;
	printf("%-12s %8s %14s %14s %7s\n", "frames", "count", "feed/s",
	       "floor/s", "ratio");
	for (int k = 0; k < 3; k++) {
		struct trd_feed_conf c = {
			.kind = strstr(argv[1], "usdm") ? TRD_FEED_BINANCE_USDM
							: TRD_FEED_BINANCE_SPOT,
			.streams = k == 0 ? TRD_STREAM_BOOKTICKER
				 : k == 1 ? TRD_STREAM_AGGTRADE
				 : TRD_STREAM_DEPTH,
			.bar_tf_s = 1, .stale_s = 60, .depth_limit = 1000 };
		struct line *sel = malloc(nl * sizeof(*sel));
		size_t n = 0;
		double best = 0, bestf = 0;

		for (size_t i = 0; i < nl; i++)
			if (strstr(lv[i].p, kinds[k]) &&
			    strstr(lv[i].p, kinds[k]) < lv[i].p + lv[i].n)
				sel[n++] = lv[i];
		if (n == 0) {
			free(sel);
			continue;
		}
		for (int r = 0; r < passes; r++) {
			struct trd_feed f;
			/* Receive times after every recorded one (a trade
			 * timed past the receive clock is refused). */
			struct trd_feed_in in = { .ts_ns = T0, .kind = TRD_FIN_START };
			int64_t t0, t1;
			double fs = 0;

			trd_feed_init(&f, &c, &reg, emit, NULL, NULL);
			trd_feed_input(&f, &in);
			in.kind = TRD_FIN_OPEN;
			trd_feed_input(&f, &in);
			for (size_t i = 0; k == 2 && i < ns; i++) {
				const char *b = strstr(sv[i].p, "\"body\":");
				const char *u = strstr(sv[i].p, "symbol=");
				const struct trd_instr *ins;
				char sym[16];
				size_t m;
				if (!b || !u)
					continue;
				m = strcspn(u + 7, "&\"");
				snprintf(sym, sizeof(sym), "%.*s", (int)m, u + 7);
				if ((ins = trd_registry_find(&reg, sym)) == NULL)
					continue;
				in = (struct trd_feed_in){ .ts_ns = T0 + 1,
					.kind = TRD_FIN_REST,
					.what = TRD_FREQ_DEPTH, .ins = ins->id,
					.status = 200, .data = b + 7,
					.len = (size_t)(sv[i].p + sv[i].n - b - 8) };
				trd_feed_input(&f, &in);
			}
			t0 = trd_clock_mono_ns();
			for (size_t i = 0; i < n; i++) {
				in = (struct trd_feed_in){ .ts_ns = T0 + 2 + (int64_t)i,
					.kind = TRD_FIN_FRAME, .data = sel[i].p,
					.len = sel[i].n };
				trd_feed_input(&f, &in);
			}
			t1 = trd_clock_mono_ns();
			if ((double)n * 1e9 / (double)(t1 - t0) > best)
				best = (double)n * 1e9 / (double)(t1 - t0);
			if (f.st.refused)
				fprintf(stderr, "bench_feed: %s refused\n",
					f.st.last_refusal);
			trd_feed_free(&f);
			t0 = trd_clock_mono_ns();
			for (size_t i = 0; i < n; i++)
				fs += floor_frame(sel[i].p, sel[i].n);
			t1 = trd_clock_mono_ns();
			sink += fs;
			if ((double)n * 1e9 / (double)(t1 - t0) > bestf)
				bestf = (double)n * 1e9 / (double)(t1 - t0);
		}
		printf("%-12s %8zu %14.0f %14.0f %7.2f\n", kinds[k], n, best,
		       bestf, best / bestf);
		free(sel);
	}
	trd_registry_free(&reg);
	free(lv);
	free(sv);
	free(frames);
	free(snaps);
	return 0;
}
