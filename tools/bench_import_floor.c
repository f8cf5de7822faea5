/*
 * bench_import_floor: the least an importer of a CSV file must do, to
 * measure traderctl import against: map the file, split each line at its
 * commas, and convert every numeric field with strtod in place (fields
 * that do not start like a number, as true/false, are skipped).  No
 * checks, no store.
 *
 *   bench_import_floor FILE [RUNS]
 *
 * Prints the median rows per second of RUNS passes (default 3), timed
 * like traderctl times its import: from opening the file to the end.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One pass: rows converted, their numbers summed into *sink. */
static long
pass(const char *path, double *sink)
{
	struct stat st;
	const char *p, *end;
	char *map, field[64];
	long rows = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		exit(1);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	end = map + st.st_size;
	for (p = map; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		int numeric = 0;

		while (p < eol) {
			const char *c = memchr(p, ',', (size_t)(eol - p));
			size_t n = (size_t)((c ? c : eol) - p);
			if (n > 0 && n < sizeof(field) &&
			    ((*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) {
				/* strtod stops at the comma or line break; only
				 * a last field without one is copied. */
				if (p + n < end) {
					*sink += strtod(p, NULL);
				} else {
					memcpy(field, p, n);
					field[n] = '\0';
					*sink += strtod(field, NULL);
				}
				numeric = 1;
			}
			p = c ? c + 1 : eol;
		}
		rows += numeric;
		p = nl ? nl + 1 : end;
	}
	munmap(map, (size_t)st.st_size);
	return rows;
}

int
main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	double rate[64], sink = 0;

	if (argc < 2 || runs < 1 || runs > 64) {
		fprintf(stderr, "usage: bench_import_floor FILE [RUNS]\n");
		return 2;
	}
	for (int i = 0; i < runs; i++) {
		double t0 = now();
		long rows = pass(argv[1], &sink);
		rate[i] = (double)rows / (now() - t0);
	}
	qsort(rate, (size_t)runs, sizeof(rate[0]), cmp);
	printf("%.0f rows/s (sum %g)\n", rate[runs / 2], sink);
	return 0;
}
