/*
 * import: see import.h.  The file is mapped and walked once; each line is
 * split in place (no copies, no allocation per row), numbers are parsed
 * exactly by trd_dec_parse, and rows go straight into one LMDB write
 * transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decimal.h"
#include "errors.h"
#include "import.h"
#include "import_int.h"
#include "log.h"
#include "progress.h"
#include "timefmt.h"


struct parser {
	const char                  *path;
	const struct trd_instrument *in;
	enum trd_import_format       fmt;
	int64_t                      tf_ns;
	int64_t                      unit_ns;   /* 0 until the first row */
	uint64_t                     unit_line;
	int64_t                      prev_ts;
	uint64_t                     prev_line; /* 0: no accepted row yet */
	struct trd_import_stats     *st;
};

int
trd_import_format_parse(const char *s, enum trd_import_format *out)
{
	if (strcmp(s, "auto") == 0)
		*out = TRD_FMT_AUTO;
	else if (strcmp(s, "binance") == 0)
		*out = TRD_FMT_BINANCE;
	else if (strcmp(s, "csv") == 0)
		*out = TRD_FMT_CSV;
	else
		return -1;
	return 0;
}

const char *
trd_import_format_name(enum trd_import_format f)
{
	switch (f) {
	case TRD_FMT_AUTO: return "auto";
	case TRD_FMT_BINANCE: return "binance";
	case TRD_FMT_CSV: return "csv";
	}
	return "?";
}

static const char *
unit_name(int64_t unit_ns)
{
	switch (unit_ns) {
	case TRD_NS_PER_SEC: return "s";
	case TRD_NS_PER_MS: return "ms";
	case TRD_NS_PER_US: return "us";
	case 1: return "ns";
	}
	return "?";
}

void
trd__import_issue(struct trd_import_issue *arr, int *n, uint64_t line,
		  const char *fmt, ...)
{
	va_list ap;

	if (*n >= TRD_IMPORT_MAX_REPORTS)
		return;
	arr[*n].line = line;
	va_start(ap, fmt);
	vsnprintf(arr[*n].reason, sizeof(arr[*n].reason), fmt, ap);
	va_end(ap);
	(*n)++;
}

#define REJECT(p, line, ...)                                             \
	do {                                                             \
		(p)->st->rejected++;                                     \
		trd__import_issue((p)->st->issues, &(p)->st->nissues, (line),    \
			  __VA_ARGS__);                                  \
		return 1;                                                \
	} while (0)

static int64_t
unit_of(const struct parser *p, int64_t v)
{
	if (p->fmt == TRD_FMT_BINANCE)
		return v >= 100000000000000LL ? TRD_NS_PER_US : TRD_NS_PER_MS;
	if (v < 100000000000LL)
		return TRD_NS_PER_SEC;
	if (v < 100000000000000LL)
		return TRD_NS_PER_MS;
	if (v < 100000000000000000LL)
		return TRD_NS_PER_US;
	return 1;
}

static const char *const col_names[] = { "ts", "open", "high", "low",
					 "close", "volume" };

/*
 * Parse and check one row.  Returns 0 with *bar filled, or 1 when the row
 * was rejected (counted, and reported if among the first).
 */
static int
parse_row(struct parser *p, const char *s, size_t len, uint64_t line,
	  struct trd_bar *bar)
{
	struct trd_field f[TRD_IMPORT_MAX_FIELDS];
	int want = p->fmt == TRD_FMT_BINANCE ? 12 : 6;
	int n = trd__import_split(s, len, f), rc;
	int64_t ts, unit, v[5];

	if (n != want)
		REJECT(p, line, "%d columns, expected %d%s", n, want,
		       n < want ? " (truncated line?)" : "");
	if ((rc = trd__import_uint(&f[0], &ts)) != 0)
		REJECT(p, line, "%s '%.*s' %s",
		       p->fmt == TRD_FMT_BINANCE ? "open_time" : "ts",
		       (int)(f[0].len > 40 ? 40 : f[0].len), f[0].s,
		       trd__import_uint_error(rc));
	unit = unit_of(p, ts);
	if (p->unit_ns == 0) {
		p->unit_ns = unit;
		p->unit_line = line;
		p->st->unit = unit_name(unit);
	} else if (unit != p->unit_ns) {
		REJECT(p, line, "timestamp %lld looks like %s but the file's "
		       "timestamps are in %s (line %llu): mixed units",
		       (long long)ts, unit_name(unit), unit_name(p->unit_ns),
		       (unsigned long long)p->unit_line);
	}
	if (ts > INT64_MAX / p->unit_ns)
		REJECT(p, line, "timestamp %lld out of range", (long long)ts);
	bar->ts_ns = ts * p->unit_ns;
	for (int i = 0; i < 5; i++) {
		int dp = i == 4 ? p->in->qty_dp : p->in->price_dp;
		rc = trd_dec_parse(f[i + 1].s, f[i + 1].len, dp, &v[i]);
		if (rc != 0)
			REJECT(p, line, "%s '%.*s': %s%s", col_names[i + 1],
			       (int)(f[i + 1].len > 40 ? 40 : f[i + 1].len),
			       f[i + 1].s, trd_strerror(rc),
			       rc == TRD_EPRECISION ? " for the instrument's "
						      "scale" : "");
		if (v[i] < 0)
			REJECT(p, line, "%s is negative", col_names[i + 1]);
	}
	bar->open = v[0];
	bar->high = v[1];
	bar->low = v[2];
	bar->close = v[3];
	bar->volume = v[4];
	if (bar->high < bar->open || bar->high < bar->close ||
	    bar->high < bar->low)
		REJECT(p, line, "high is below open, low or close");
	if (bar->low > bar->open || bar->low > bar->close)
		REJECT(p, line, "low is above open or close");
	if (bar->ts_ns % p->tf_ns != 0)
		REJECT(p, line, "time %lld is not aligned to the %llds "
		       "timeframe", (long long)ts,
		       (long long)(p->tf_ns / TRD_NS_PER_SEC));
	if (p->fmt == TRD_FMT_BINANCE) {
		int64_t ct, tf_units = p->tf_ns / p->unit_ns;
		if ((rc = trd__import_uint(&f[6], &ct)) != 0)
			REJECT(p, line, "close_time '%.*s' %s",
			       (int)(f[6].len > 40 ? 40 : f[6].len), f[6].s,
			       trd__import_uint_error(rc));
		if (ct != ts + tf_units - 1)
			REJECT(p, line, "close_time '%.*s' does not match "
			       "open_time + timeframe (expected %lld): wrong "
			       "--timeframe?",
			       (int)(f[6].len > 40 ? 40 : f[6].len), f[6].s,
			       (long long)(ts + tf_units - 1));
	}
	if (p->prev_line) {
		if (bar->ts_ns == p->prev_ts)
			REJECT(p, line, "duplicate timestamp %lld (also at "
			       "line %llu)", (long long)ts,
			       (unsigned long long)p->prev_line);
		if (bar->ts_ns < p->prev_ts)
			REJECT(p, line, "timestamp %lld goes back in time "
			       "(line %llu is later)", (long long)ts,
			       (unsigned long long)p->prev_line);
		if (bar->ts_ns - p->prev_ts > p->tf_ns) {
			int64_t missing = (bar->ts_ns - p->prev_ts) / p->tf_ns - 1;
			char a[TRD_TIME_BUFSZ];
			p->st->gaps++;
			p->st->gap_bars += (uint64_t)missing;
			trd__import_issue(p->st->gap_reports, &p->st->ngap_reports,
				  line, "%lld missing bar(s) after %s",
				  (long long)missing,
				  trd_time_format(p->prev_ts + p->tf_ns, a));
		}
	}
	p->prev_ts = bar->ts_ns;
	p->prev_line = line;
	return 0;
}

/* Lower-cased comparison of a header line against a column list. */
static int
header_is(const char *s, size_t len, const char *cols)
{
	size_t n = strlen(cols);

	return len >= n && strncasecmp(s, cols, n) == 0 &&
	       (len == n || s[n] == ',');
}

/*
 * Look at the first line: returns 1 if it is a header to skip, 0 if it is
 * data, or a negative error (logged).  Settles p->fmt when it was auto.
 */
static int
detect(struct parser *p, const char *s, size_t len)
{
	struct trd_field f[TRD_IMPORT_MAX_FIELDS];
	int n, is_bin_hdr, is_csv_hdr;

	is_bin_hdr = header_is(s, len, "open_time,open,high,low,close,volume,"
				       "close_time");
	is_csv_hdr = (len == 29 && header_is(s, len, "ts,open,high,low,"
						     "close,volume")) ||
		     (len == 36 && header_is(s, len, "timestamp,open,high,low,"
						     "close,volume"));
	if (is_bin_hdr || is_csv_hdr) {
		enum trd_import_format f2 = is_bin_hdr ? TRD_FMT_BINANCE
						       : TRD_FMT_CSV;
		if (p->fmt != TRD_FMT_AUTO && p->fmt != f2) {
			log_error("%s:1: header is %s but --format %s was "
				  "given", p->path, trd_import_format_name(f2),
				  trd_import_format_name(p->fmt));
			return TRD_ESYNTAX;
		}
		p->fmt = f2;
		return 1;
	}
	if (len > 0 && s[0] >= '0' && s[0] <= '9') {
		if (p->fmt != TRD_FMT_AUTO)
			return 0;
		n = trd__import_split(s, len, f);
		if (n == 12 || n == 6) {
			p->fmt = n == 12 ? TRD_FMT_BINANCE : TRD_FMT_CSV;
			return 0;
		}
		log_error("%s:1: cannot tell the format: %d columns (Binance "
			  "klines have 12, generic CSV 6); use --format", p->path,
			  n);
		return TRD_ESYNTAX;
	}
	log_error("%s:1: unrecognised header '%.*s' (expected "
		  "ts,open,high,low,close,volume or Binance kline columns)",
		  p->path, (int)(len > 60 ? 60 : len), s);
	return TRD_ESYNTAX;
}

/* One pass over the mapped file into one write transaction. */
static int
import_pass(struct trd_store *s, struct parser *p, const char *data,
	    size_t size)
{
	struct trd_store_batch b;
	const char *cur = data, *end = data + size;
	uint64_t line = 0;
	int rc, first = 1;

	if ((rc = trd_store_batch_begin(s, &b)) != 0)
		return rc;
	while (cur < end) {
		const char *nl = memchr(cur, '\n', (size_t)(end - cur));
		if ((line & 65535) == 0)
			trd_progress_set((double)(cur - data) / 1e6);
		const char *eol = nl ? nl : end;
		size_t len = (size_t)(eol - cur);
		struct trd_bar bar;
		enum trd_put_result res;

		line++;
		if (len > 0 && cur[len - 1] == '\r')
			len--;
		if (len == 0)
			goto next;
		if (first) {
			first = 0;
			if ((rc = detect(p, cur, len)) < 0)
				goto fail;
			if (rc == 1)
				goto next;
		}
		p->st->rows++;
		if (parse_row(p, cur, len, line, &bar) != 0)
			goto next;
		bar.sym = p->in->id;
		bar.tf_s = (uint32_t)(p->tf_ns / TRD_NS_PER_SEC);
		rc = trd_store_batch_put(&b, &bar, &res);
		if (rc == TRD_ECONFLICT) {
			char a[TRD_TIME_BUFSZ];
			p->st->rejected++;
			trd__import_issue(p->st->issues, &p->st->nissues, line,
				  "differs from the bar already stored at %s "
				  "(stored bar kept)",
				  trd_time_format(bar.ts_ns, a));
		} else if (rc != 0) {
			goto fail;
		} else if (res == TRD_PUT_INSERTED) {
			p->st->imported++;
		} else {
			p->st->unchanged++;
		}
next:
		cur = nl ? nl + 1 : end;
	}
	if (first) {
		log_error("%s: no data rows", p->path);
		rc = TRD_ESYNTAX;
		goto fail;
	}
	return trd_store_batch_commit(&b);
fail:
	trd_store_batch_abort(&b);
	return rc;
}

int
trd__import_map(const char *path, const char **data, size_t *size)
{
	struct stat sb;
	void *map;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = -errno;
		log_error("%s: %s", path, trd_strerror(rc));
		return rc;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		log_error("%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (sb.st_size == 0) {
		log_error("%s: empty file", path);
		close(fd);
		return TRD_ESYNTAX;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		rc = -errno;
		log_error("%s: mmap: %s", path, trd_strerror(rc));
		return rc;
	}
	madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
	*data = map;
	*size = (size_t)sb.st_size;
	return 0;
}

void
trd__import_unmap(const char *data, size_t size)
{
	munmap((void *)(uintptr_t)data, size);
}

int
trd_import_file(struct trd_store *s, const struct trd_instrument *in,
		uint32_t tf_s, enum trd_import_format fmt, const char *path,
		struct trd_import_stats *st)
{
	const char *map;
	size_t size;
	int rc;

	if ((rc = trd__import_map(path, &map, &size)) != 0)
		return rc;
	/* A stored bar takes about twice its CSV line: grow the map once
	 * up front rather than redoing the file after each doubling. */
	trd_store_reserve(s, size * 2);
	for (;;) {
		struct parser p = { .path = path, .in = in, .fmt = fmt,
				    .tf_ns = (int64_t)tf_s * TRD_NS_PER_SEC,
				    .st = st };
		memset(st, 0, sizeof(*st));
		rc = import_pass(s, &p, map, size);
		st->format = p.fmt;
		if (rc != MDB_MAP_FULL)
			break;
		/* The whole file is redone in a bigger map: one transaction
		 * per file keeps a failed import from leaving half of it. */
		if ((rc = trd_store_grow(s)) != 0)
			break;
	}
	trd__import_unmap(map, size);
	if (rc != 0 && rc != TRD_ESYNTAX && rc != TRD_EFULL)
		log_error("%s: import failed, nothing stored: %s", path,
			  trd_strerror(rc));
	return rc;
}
