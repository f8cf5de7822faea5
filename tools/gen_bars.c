/*
 * gen_bars: deterministic synthetic OHLCV bars (seeded geometric random
 * walk) as generic CSV "ts,open,high,low,close,volume" on stdout.
 *
 *   gen_bars [--seed N] [--rows N] [--start T] [--timeframe 1m]
 *            [--price P] [--sigma S] [--drift D] [--dp N]
 *
 * The same arguments give the same bytes on every run: the generator is
 * xoshiro256** seeded through splitmix64, normals come from Box-Muller, and
 * prices are rounded to --dp decimals with high rounded up and low rounded
 * down so every bar stays OHLC-consistent.  --start is Unix seconds.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng[4];

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
next_u64(void)
{
	uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;

	rng[2] ^= rng[0];
	rng[3] ^= rng[1];
	rng[1] ^= rng[2];
	rng[0] ^= rng[3];
	rng[2] ^= t;
	rng[3] = rotl(rng[3], 45);
	return r;
}

/* Uniform in (0, 1). */
static double
uniform(void)
{
	return ((double)(next_u64() >> 11) + 0.5) / 9007199254740992.0;
}

static double
normal(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

static void
put_fixed(char **p, int64_t v, int dp, int64_t scale)
{
	int64_t frac = v % scale;

	*p += sprintf(*p, "%lld", (long long)(v / scale));
	if (dp > 0) {
		*(*p)++ = '.';
		for (int i = dp - 1; i >= 0; i--) {
			(*p)[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		*p += dp;
	}
}

static int
tf_seconds(const char *s, long *out)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (n <= 0 || end == s || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': *out = n; return 0;
	case 'm': *out = n * 60; return 0;
	case 'h': *out = n * 3600; return 0;
	case 'd': *out = n * 86400; return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "rows", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, 'S' },
		{ "timeframe", required_argument, NULL, 't' },
		{ "price", required_argument, NULL, 'p' },
		{ "sigma", required_argument, NULL, 'v' },
		{ "drift", required_argument, NULL, 'd' },
		{ "dp", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 1, x;
	long long rows = 1000, start = 1577836800;
	long tf = 60;
	double price = 60000, sigma = 0.001, drift = 0;
	int dp = 2, ch;
	int64_t scale;
	static char out[1 << 16];

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'n': rows = atoll(optarg); break;
		case 'S': start = atoll(optarg); break;
		case 't':
			if (tf_seconds(optarg, &tf) != 0) {
				fprintf(stderr, "gen_bars: bad timeframe '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'p': price = atof(optarg); break;
		case 'v': sigma = atof(optarg); break;
		case 'd': drift = atof(optarg); break;
		case 'D': dp = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: gen_bars [--seed N] [--rows N] "
					"[--start UNIX_S] [--timeframe 1m] "
					"[--price P] [--sigma S] [--drift D] "
					"[--dp N]\n");
			return 1;
		}
	}
	if (rows < 0 || dp < 0 || dp > 8 || !(price > 0) || !(sigma >= 0)) {
		fprintf(stderr, "gen_bars: bad arguments\n");
		return 1;
	}
	x = seed;
	for (int i = 0; i < 4; i++)
		rng[i] = splitmix64(&x);
	scale = 1;
	for (int i = 0; i < dp; i++)
		scale *= 10;
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	fputs("ts,open,high,low,close,volume\n", stdout);
	{
		double close = price;
		int64_t prev_close = llround(price * (double)scale);
		for (long long i = 0; i < rows; i++) {
			char line[160], *p = line;
			double z = normal(), hi_n = fabs(normal()),
			       lo_n = fabs(normal()), vz = normal();
			int64_t o = prev_close, c, h, l, vol;
			close *= exp(drift - 0.5 * sigma * sigma + sigma * z);
			c = llround(close * (double)scale);
			if (c < 1)
				c = 1;
			h = (int64_t)ceil((double)(o > c ? o : c) *
					  (1 + 0.5 * sigma * hi_n));
			l = (int64_t)floor((double)(o < c ? o : c) *
					   (1 - 0.5 * sigma * lo_n));
			if (l < 1)
				l = 1;
			vol = llround(exp(1.0 + 0.5 * vz) * 1000.0);
			p += sprintf(p, "%lld,", start + i * tf);
			put_fixed(&p, o, dp, scale);
			*p++ = ',';
			put_fixed(&p, h, dp, scale);
			*p++ = ',';
			put_fixed(&p, l, dp, scale);
			*p++ = ',';
			put_fixed(&p, c, dp, scale);
			*p++ = ',';
			put_fixed(&p, vol, 3, 1000);
			*p++ = '\n';
			*p = '\0';
			fputs(line, stdout);
			prev_close = c;
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
