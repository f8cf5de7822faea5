/*
 * report: see report.h.
 *
 * Memory is fixed at open: one buffer per streamed file, CHART_MAX chart
 * points and MARK_MAX trade markers, whatever the length of the run.
 * trd_report_sample() runs once per bar, so it formats by hand into a big
 * buffer written with write(2) in large chunks.  A write error is sticky:
 * it is logged once, that file stops writing, and trd_report_finish()
 * returns it after removing every temporary file.  The buffered files are
 * wfile.c's; report.html is written by report_html.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decimal.h"
#include "instrument.h"
#include "log.h"
#include "report_int.h"
#include "timefmt.h"
#include "traderd/types.h"

/* Scales beyond TRD_MAX_DP cannot come from a valid config; the default
 * is used rather than reading past the powers of ten. */
static int
instr_dp(const struct trd_report *r, size_t i, int qty)
{
	int dp = i >= r->ninstr ? -1
		 : qty		? r->reg->v[i].qty_dp : r->reg->v[i].price_dp;

	return dp >= 0 && dp <= TRD_MAX_DP ? dp : TRD_DEFAULT_DP;
}

/*
 * Hand formatting, for the hot path.  Everything is inlined so a constant
 * scale (cash) turns its divisions into multiplies: left to itself the
 * compiler kept one generic copy with a 64-bit div that cost more than the
 * rest of a sample.  Digits are made eight at a time in a 64-bit word and
 * stored 8 bytes wide, so up to 7 bytes past a number may be overwritten:
 * every caller reserves LINE_MAX_B.

 */
#define HOT static inline __attribute__((always_inline))

/* Local powers of ten: unlike trd_pow10, their values are known here. */
static const uint64_t pw10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL,
};

/*
 * The eight digits of v < 10^8 as byte values, the most significant in the
 * low byte: v splits into two 4-digit lanes, each into two 2-digit lanes,
 * each into two digits, by multiply-and-shift divisions that run in all
 * lanes at once (checked against printf for every v).
 */
HOT uint64_t
swar8(uint64_t v)
{
	uint64_t x = v / 10000 | (v % 10000) << 32;
	uint64_t q = ((x * 10486) >> 20) & 0x0000007F0000007FULL;

	x = q | (x - q * 100) << 16;
	q = ((x * 103) >> 10) & 0x000F000F000F000FULL;
	return q | (x - q * 10) << 8;
}

HOT void
store8(char *p, uint64_t digits)
{
	digits += 0x3030303030303030ULL;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	digits = __builtin_bswap64(digits);
#endif
	memcpy(p, &digits, 8);
}

/* v in decimal.  The leading group is stored first so the full groups
 * after it overwrite its spill.  The digit count is the bit length times
 * log10(2), corrected by one compare (v | 1 has as many digits as v). */
HOT char *
put_u64(char *p, uint64_t v)
{
	int t = ((64 - __builtin_clzll(v | 1)) * 1233) >> 12;
	int nd = t + ((v | 1) >= pw10[t]);

	if (nd <= 8) {
		store8(p, swar8(v) >> (8 * (8 - nd)));
	} else if (nd <= 16) {
		store8(p, swar8(v / 100000000) >> (8 * (16 - nd)));
		store8(p + nd - 8, swar8(v % 100000000));
	} else {
		store8(p, swar8(v / 10000000000000000ULL) >> (8 * (24 - nd)));
		store8(p + nd - 16, swar8(v / 100000000 % 100000000));
		store8(p + nd - 8, swar8(v % 100000000));
	}
	return p + nd;
}

/* ".ddd": f (0 < f < 10^nd, nd <= 16) as nd digits, trailing zeros
 * trimmed.  They are the high bytes of a digit word: counting its leading
 * zero bits trims without a loop. */
HOT char *
put_frac(char *p, uint64_t f, int nd)
{
	uint64_t hi, lo;

	*p++ = '.';
	if (nd <= 8) {
		store8(p, hi = swar8(f) >> (8 * (8 - nd)));
		return p + 8 - __builtin_clzll(hi) / 8;
	}
	store8(p, hi = swar8(f / 100000000) >> (8 * (16 - nd)));
	store8(p + nd - 8, lo = swar8(f % 100000000));
	if (lo != 0)
		return p + nd - __builtin_clzll(lo) / 8;
	return p + 8 - __builtin_clzll(hi) / 8;
}

/* Same text as trd_dec_format_short(). */
HOT char *
put_dec(char *p, int64_t v, int dp)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	*p = '-';
	p = put_u64(p + (v < 0), u / pw10[dp]);
	return u % pw10[dp] ? put_frac(p, u % pw10[dp], dp) : p;
}

/* Same text as trd_time_format_unix(). */
HOT char *
put_unix(char *p, int64_t ns)
{
	int64_t s = ns / TRD_NS_PER_SEC, f = ns % TRD_NS_PER_SEC;

	if (f < 0) {
		f += TRD_NS_PER_SEC;
		s--;
	}
	*p = '-';
	p = put_u64(p + (s < 0), s < 0 ? (uint64_t)0 - (uint64_t)s
				       : (uint64_t)s);
	return f ? put_frac(p, (uint64_t)f, 9) : p;
}

/* A drawdown: >= 0, at most 10 decimals.  Past 1e8 (equity hugely
 * negative) the figure means nothing and must not overflow. */
HOT char *
put_dd(char *p, double dd)
{
	uint64_t q = (uint64_t)((dd > 1e8 ? 1e8 : dd > 0 ? dd : 0) * 1e10 + 0.5);

	p = put_u64(p, q / 10000000000ULL);
	return q % 10000000000ULL ? put_frac(p, q % 10000000000ULL, 10) : p;
}

HOT char *
put_mem(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* s[0..n) as a CSV field, quoted when it needs to be. */
HOT char *
put_field(char *p, const char *s, size_t n)
{
	size_t plain = 0;

	while (plain < n && s[plain] != ',' && s[plain] != '"' &&
	       s[plain] != '\r' && s[plain] != '\n')
		plain++;
	if (plain == n)
		return put_mem(p, s, n);
	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	*p++ = '"';
	return p;
}

/* s as a CSV field (see struct csv_name), quoted as put_field does;
 * 0 or -ENOMEM. */
static int
csv_name_make(struct csv_name *c, const char *s)
{
	size_t n = strlen(s);

	if ((c->text = malloc(2 * n + 2)) == NULL)
		return -ENOMEM;
	c->len = (size_t)(put_field(c->text, s, n) - c->text);
	/* Only a quoted field starts with a quote: keep it open. */
	c->quoted = n > 0 && c->text[0] == '"';
	c->len -= (size_t)c->quoted;
	return 0;
}

static const struct csv_name *
csv_name_at(const struct csv_name *c, size_t n, size_t i)
{
	return &c[i < n ? i : n];
}

/* ---- open and stream ---- */

int
trd_report_open(struct trd_report **out, const struct trd_report_meta *m)
{
	struct trd_report *r;
	int rc;

	*out = NULL;
	if (m->dir == NULL || m->dir[0] == '\0') {
		log_error("report dir not set");
		return -EINVAL;
	}
	if ((rc = trd_mkdir_p(m->dir, 0755)) != 0) {
		log_error("report dir %s: cannot create it: %s", m->dir,
			  strerror(-rc));
		return rc;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->eq.fd = r->fills.fd = r->trades.fd = r->events.fd = r->orders.fd = -1;
	r->run_json.fd = r->run_html.fd = -1;
	r->dir = strdup(m->dir);
	r->strat = calloc(m->nstrat + 1, sizeof(*r->strat));
	if (r->dir == NULL || r->strat == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (m->nstrat)
		memcpy(r->strat, m->strategies, m->nstrat * sizeof(*r->strat));
	r->reg = m->reg;
	r->ninstr = m->reg->n;
	r->nstrat = m->nstrat;
	r->strat_csv = calloc(r->nstrat + 1, sizeof(*r->strat_csv));
	r->instr_csv = calloc(r->ninstr + 1, sizeof(*r->instr_csv));
	if (r->strat_csv == NULL || r->instr_csv == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i <= r->nstrat; i++)
		if ((rc = csv_name_make(&r->strat_csv[i],
					strat_name(r, i))) != 0)
			goto fail;
	for (size_t i = 0; i <= r->ninstr; i++)
		if ((rc = csv_name_make(&r->instr_csv[i],
					instr_name(r, i))) != 0)
			goto fail;
	r->initial = r->prev = r->peak = m->initial_cash;
	r->tf_s = m->tf_s;
	/* Never finer than a bar; 0 writes every sample. */
	if (m->equity_interval_s)
		r->eq_every_ns = (int64_t)(m->equity_interval_s > m->tf_s
						   ? m->equity_interval_s
						   : m->tf_s) * TRD_NS_PER_SEC;
	r->stride = r->skip = 1;
	r->conf = m->conf;
	r->wall_ns = -1;
	if (trd__run_render(m->conf, &r->run_json, &r->run_html) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = rs_init(&r->rs, r->ninstr, r->nstrat, m->tf_s,
			  m->conf ? m->conf->report.calendar : 0,
			  m->conf ? m->conf->report.gap_s : 0)) != 0)
		goto fail;
	/* A gap is at least an equity.csv interval: a shorter pause would
	 * hide inside the flat shortcut, which only checks that interval
	 * (and the day). */
	if (r->eq_every_ns && r->rs.gap_ns < r->eq_every_ns)
		r->rs.gap_ns = r->eq_every_ns;
	/* A streamed row: fixed columns, the strategy name twice (column
	 * and client id), the symbol, and an order's reason quoted. */
	{
		size_t ms = 0, mi = 0, cap;
		for (size_t i = 0; i <= r->nstrat; i++)
			if (r->strat_csv[i].len > ms)
				ms = r->strat_csv[i].len;
		for (size_t i = 0; i <= r->ninstr; i++)
			if (r->instr_csv[i].len > mi)
				mi = r->instr_csv[i].len;
		r->row_max = ROW_FIXED_B + 2 * ms + mi +
			     2 * sizeof(((struct trd_order *)0)->reason) + 16;
		/* orders.csv, at finish, takes the same size. */
		cap = 4 * r->row_max > CSV_BUFSZ ? 4 * r->row_max : CSV_BUFSZ;
		if ((rc = wf_open(&r->eq, r->dir, "equity.csv", EQ_BUFSZ)) != 0 ||
		    (rc = wf_open(&r->fills, r->dir, "fills.csv", cap)) != 0 ||
		    (rc = wf_open(&r->trades, r->dir, "trades.csv", cap)) != 0 ||
		    (rc = wf_open(&r->events, r->dir, "order_events.csv",
				  cap)) != 0 ||
		    (rc = wf_open(&r->orders, r->dir, "orders.csv", cap)) != 0)
			goto fail;
	}
	wf_puts(&r->eq, "ts,equity,cash,drawdown\n");
	wf_puts(&r->fills, "order_id,strategy,symbol,side,quantity,price,fee,"
			   "ts,ref_price\n");
	wf_puts(&r->trades, "strategy,symbol,side,quantity,entry_ts,"
			    "entry_price,exit_ts,exit_price,pnl,fees,net_pnl\n");
	wf_puts(&r->events, "ts,id,client_id,strategy,symbol,side,type,status,"
			    "quantity,filled_qty,price,reject_code,reason\n");
	/* The first ten columns are those of earlier reports, unchanged, so
	 * readers that take columns by position keep working. */
	wf_puts(&r->orders, "id,strategy,symbol,side,type,quantity,price,"
			    "submit_ts,status,reason,tif,flags,stop_price,"
			    "trail,expire_ts,link_id,parent_id,client_id,"
			    "filled_qty,avg_price,reject_code\n");
	*out = r;
	return 0;
fail:
	trd_report_abort(r);
	return rc;
}

static void
eq_row_write(struct trd_report *r)
{
	char *p;

	if ((p = wf_reserve(&r->eq, LINE_MAX_B)) == NULL)
		return;
	p = put_unix(p, r->last.ts);
	*p++ = ',';
	p = put_dec(p, r->last.eq, TRD_CASH_DP);
	*p++ = ',';
	p = put_dec(p, r->last_cash, TRD_CASH_DP);
	*p++ = ',';
	p = put_dd(p, r->last.dd);
	*p++ = '\n';
	r->eq.len = (size_t)(p - r->eq.buf);
}

/* Count the flat run's samples (see flat_left) as sample_full would
 * have: each a zero return, under the same peak and drawdown, no chart
 * point. */
static void
settle(struct trd_report *r)
{
	uint64_t k = r->flat_grant - r->flat_left;

	if (k == 0)
		return;
	r->n += k;
	r->nret += k;
	r->skip -= k;
	/* The run's equity is prev, and the peak has not moved since. */
	if (r->prev >= r->peak) /* at the peak: still at it */
		r->peak_ns = r->last.ts;
	r->last_kept = 0;
	r->flat_grant = r->flat_left;
}

/* The whole sample; trd_report_sample takes the flat book's shortcut
 * first.  Out of line, so that shortcut needs no registers saved. */
static __attribute__((noinline)) void
sample_full(struct trd_report *r, int64_t ts_ns, int64_t equity,
	    int64_t cash, int exposed, uint64_t bars)
{
	double dd = 0;
	int64_t day_end;

	settle(r);
	day_end = rs_sample(&r->rs, r->last.ts, r->last.eq, r->n, r->nexposed,
			    ts_ns);
	/* The previous sample ends its equity.csv interval. */
	if (r->eq_every_ns == 0) {
		if (r->n)
			eq_row_write(r);
	} else if (r->n == 0 || ts_ns > r->eq_end) {
		if (r->n)
			eq_row_write(r);
		/* Samples are at bar closes: the interval is
		 * ((k-1)*every, k*every], so rows fall on round times. */
		int64_t m = ts_ns % r->eq_every_ns;
		if (m < 0)
			m += r->eq_every_ns;
		r->eq_end = m ? ts_ns + r->eq_every_ns - m : ts_ns;
	}
	if (r->n++ == 0) {
		r->first_ns = ts_ns;
		/* The initial cash stands as a sample one bar before the
		 * first: returns and drawdowns count from it. */
		r->peak_ns = ts_ns - (int64_t)r->tf_s * TRD_NS_PER_SEC;
	}
	r->nexposed += exposed != 0;
	r->bars += bars;

	/* A return from a non-positive equity has no meaning. */
	if (r->prev > 0) {
		/* Flat books are common: no division for them. */
		double x = equity == r->prev
				   ? 0 : (double)equity / (double)r->prev - 1;
		double d;

		if (r->nret++ == 0)
			r->shift = x;
		d = x - r->shift;
		r->s1 += d;
		r->s2 += d * d;
		if (x < 0) {
			r->nneg++;
			r->down2 += x * x;
		}
	}
	r->prev = equity;

	if (equity >= r->peak) {
		if (r->under) {
			/* In market time: a data gap is not a drawdown. */
			int64_t dur = rs_mkt(&r->rs, ts_ns) -
				      rs_mkt(&r->rs, r->peak_ns);
			if (dur > r->maxdur_ns)
				r->maxdur_ns = dur;
			rs_recovered(&r->rs, r->peak_ns, ts_ns);
		}
		r->under = 0;
		r->peak = equity;
		r->peak_ns = ts_ns;
	} else if (equity == r->last.eq && r->n > 1) {
		/* Under water and unchanged (a flat book): same peak, same
		 * drawdown, and the maximum has seen it. */
		dd = r->last.dd;
	} else {
		r->under = 1;
		if (r->peak > 0)
			dd = ((double)r->peak - (double)equity) /
			     (double)r->peak;
		if (dd > r->maxdd)
			r->maxdd = dd;
		rs_under(&r->rs, dd, ts_ns);
	}

	r->last = (struct chart_pt){ ts_ns, equity, dd };
	r->last_kept = --r->skip == 0;
	if (r->last_kept) {
		r->pts[r->npts++] = r->last;
		r->skip = r->stride;
		/* Full: keep every other point, so the kept points stay
		 * evenly spaced at twice the stride. */
		if (r->npts == CHART_MAX) {
			for (size_t i = 0; i < CHART_MAX / 2; i++)
				r->pts[i] = r->pts[2 * i];
			r->npts = CHART_MAX / 2;
			r->stride *= 2;
		}
	}

	r->last_cash = cash;

	/* The samples that may follow with this equity and add exactly
	 * nothing: a zero return (shift 0, so not even a rounding), no
	 * equity.csv row due (checked per sample against eq_end) and no
	 * chart point until skip reaches 1. */
	r->flat_left = r->nret != 0 && r->shift == 0 && r->prev > 0 &&
				       r->eq_every_ns != 0 && r->skip > 1
			       ? r->skip - 1 : 0;
	r->flat_grant = r->flat_left;
	/* Nor may a flat run cross a day (the daily record). */
	r->flat_end = r->eq_end < day_end ? r->eq_end : day_end;
}

void
trd_report_sample(struct trd_report *r, int64_t ts_ns, int64_t equity,
		  int64_t cash, int exposed, uint64_t bars)
{
	/* A flat book, the common case: equity as at the last sample and
	 * a flat run still open (see flat_left).  The rest of the state
	 * such a sample moves is settled later, all at once. */
	if (equity == r->prev && r->flat_left != 0 && ts_ns <= r->flat_end) {
		r->flat_left--;
		r->nexposed += exposed != 0;
		r->bars += bars;
		r->last.ts = ts_ns; /* same equity, same drawdown */
		r->last_cash = cash;
		return;
	}
	sample_full(r, ts_ns, equity, cash, exposed, bars);
}

/*
 * Streamed rows (fills, trades, order events) are written straight into
 * the file buffer: one reserve of r->row_max, then copies and the hand
 * formatters, no per-field calls.
 */
HOT char *
put_str(char *p, const char *s)
{
	return put_mem(p, s, strlen(s));
}

/* A name column (see struct csv_name), then the byte after. */
HOT char *
put_name(char *p, const struct csv_name *c, char after)
{
	p = put_mem(p, c->text, c->len);
	if (c->quoted)
		*p++ = '"';
	*p++ = after;
	return p;
}

/* The strategy and symbol columns, each followed by a comma. */
HOT char *
put_names(char *p, const struct trd_report *r, uint32_t strat, uint32_t ins)
{
	p = put_name(p, csv_name_at(r->strat_csv, r->nstrat, strat), ',');
	return put_name(p, csv_name_at(r->instr_csv, r->ninstr, ins), ',');
}

/* The client id (only [A-Za-z0-9_-]: no quoting), then a comma. */
HOT char *
put_client_id(char *p, const struct trd_order *o)
{
	p = put_mem(p, o->client_id, strnlen(o->client_id,
					     sizeof(o->client_id)));
	*p++ = ',';
	return p;
}

static void
fill_row(struct trd_report *r, const struct trd_order *o, int64_t qty,
	 int64_t price, int64_t ref, int64_t fee, int64_t ts_ns)
{
	struct wfile *w = &r->fills;
	char *p;

	rs_fill(&r->rs, o->strat, o->ins, o->side, qty, price, ref, fee,
		instr_dp(r, o->ins, 0), instr_dp(r, o->ins, 1));
	if ((p = wf_reserve(w, r->row_max)) == NULL)
		return;
	p = put_u64(p, o->id);
	*p++ = ',';
	p = put_names(p, r, o->strat, o->ins);
	p = put_str(p, trd_side_name(o->side));
	*p++ = ',';
	p = put_dec(p, qty, instr_dp(r, o->ins, 1));
	*p++ = ',';
	p = put_dec(p, price, instr_dp(r, o->ins, 0));
	*p++ = ',';
	p = put_dec(p, fee, TRD_CASH_DP);
	*p++ = ',';
	p = put_unix(p, ts_ns);
	*p++ = ',';
	p = put_dec(p, ref, instr_dp(r, o->ins, 0));
	*p++ = '\n';
	w->len = (size_t)(p - w->buf);
}

void
trd_report_fill(struct trd_report *r, const struct trd_order *o, int64_t qty,
		int64_t price, int64_t fee, int64_t ts_ns)
{
	fill_row(r, o, qty, price, price, fee, ts_ns);
}

void
trd_report_day_marks(struct trd_report *r, int64_t ts_ns,
		     const int64_t *marks, size_t stride)
{
	(void)rs_day_marks(&r->rs, ts_ns, marks, stride);
}

void
trd_report_data_hash(struct trd_report *r, uint64_t h)
{
	r->rs.hash = h;
	r->rs.have_hash = 1;
}

void
trd_report_series(struct trd_report *r, uint32_t ins, uint64_t nbars,
		  int64_t first_ns, int64_t last_ns, int64_t first_open,
		  int64_t last_close, const int64_t *buckets, size_t nb,
		  int64_t w)
{
	rs_series(&r->rs, ins, nbars, first_ns, last_ns, first_open,
		  last_close, buckets, nb, w);
}

void
trd_report_wall(struct trd_report *r, int64_t ns)
{
	r->wall_ns = ns;
}

int
trd_report_recorded(struct trd_report *r, const struct trd_report_value *v,
		    size_t n)
{
	size_t len = 0, off = 0;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i].strategy) + strlen(v[i].name) + 2;
	free(r->rec);
	free(r->recbuf);
	r->nrec = 0;
	r->rec = malloc((n ? n : 1) * sizeof(*r->rec));
	r->recbuf = malloc(len ? len : 1);
	if (r->rec == NULL || r->recbuf == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t a = strlen(v[i].strategy) + 1, b = strlen(v[i].name) + 1;
		memcpy(r->recbuf + off, v[i].strategy, a);
		memcpy(r->recbuf + off + a, v[i].name, b);
		r->rec[i] = (struct trd_report_value){ r->recbuf + off,
						       r->recbuf + off + a,
						       v[i].v };
		off += a + b;
	}
	r->nrec = n;
	return 0;
}

/* "recorded": the strategies' own figures, finite ones as numbers. */
static void
json_recorded(const struct trd_report *r, struct wfile *w)
{
	char b[40];

	wf_puts(w, "  \"recorded\": [");
	for (size_t i = 0; i < r->nrec; i++) {
		const struct trd_report_value *v = &r->rec[i];
		wf_puts(w, i ? ",\n    { \"strategy\": " : "\n    { \"strategy\": ");
		wf_json_str(w, v->strategy);
		wf_puts(w, ", \"name\": ");
		wf_json_str(w, v->name);
		if (isfinite(v->v)) {
			trd_dtoa(v->v, b, sizeof(b));
		} else {
			snprintf(b, sizeof(b), "null");
		}
		wf_printf(w, ", \"value\": %s }", b);
	}
	wf_puts(w, r->nrec ? "\n  ],\n" : "],\n");
}

void
trd_report_trade(struct trd_report *r, const struct trd_trade_rec *t)
{
	struct wfile *w = &r->trades;
	int64_t net = t->pnl - t->fees;
	int pdp = instr_dp(r, t->ins, 0);
	char *p;

	rs_trade(&r->rs, t);
	r->ntrades++;
	if (net > 0) {
		r->nwins++;
		r->gross_profit += net;
	} else {
		r->gross_loss -= net;
	}
	if (r->nmarks < MARK_MAX)
		r->marks[r->nmarks++] = (struct mark){
			t->entry_ns, t->exit_ns,
			trd_dec_to_double(t->entry_price, pdp),
			trd_dec_to_double(t->exit_price, pdp), t->qty, net,
			t->ins, t->strat, (uint8_t)t->side, net > 0
		};
	if ((p = wf_reserve(w, r->row_max)) == NULL)
		return;
	p = put_names(p, r, t->strat, t->ins);
	p = put_str(p, t->side == TRD_SIDE_SELL ? "short," : "long,");
	p = put_dec(p, t->qty, instr_dp(r, t->ins, 1));
	*p++ = ',';
	p = put_unix(p, t->entry_ns);
	*p++ = ',';
	p = put_dec(p, t->entry_price, pdp);
	*p++ = ',';
	p = put_unix(p, t->exit_ns);
	*p++ = ',';
	p = put_dec(p, t->exit_price, pdp);
	*p++ = ',';
	p = put_dec(p, t->pnl, TRD_CASH_DP);
	*p++ = ',';
	p = put_dec(p, t->fees, TRD_CASH_DP);
	*p++ = ',';
	p = put_dec(p, net, TRD_CASH_DP);
	*p++ = '\n';
	w->len = (size_t)(p - w->buf);
}

/* The price column of orders.csv and order_events.csv: a market order
 * has no price, nor has a trailing stop given none (its level is in
 * stop_price). */
static int
has_price(const struct trd_order *o)
{
	return o->type != TRD_ORDER_MARKET &&
	       !(o->type == TRD_ORDER_TRAILING_STOP && o->price == 0);
}

/* The reject code's name, "" unless the order was rejected with one. */
static const char *
reject_text(const struct trd_order *o)
{
	return o->status == TRD_ORDER_REJECTED && o->reject_code != TRD_REJ_NONE
		       ? trd_reject_name(o->reject_code) : "";
}

static const char *
flags_text(unsigned flags)
{
	flags &= TRD_ORDER_POST_ONLY | TRD_ORDER_REDUCE_ONLY;
	return flags == (TRD_ORDER_POST_ONLY | TRD_ORDER_REDUCE_ONLY)
		       ? "post_only|reduce_only"
	       : flags == TRD_ORDER_POST_ONLY	? "post_only"
	       : flags == TRD_ORDER_REDUCE_ONLY ? "reduce_only" : "";
}

/* One row of orders.csv: o as it ended (or stands at the end). */
static void
order_row(struct trd_report *r, const struct trd_order *o)
{
	struct wfile *w = &r->orders;
	int qdp = instr_dp(r, o->ins, 1), pdp = instr_dp(r, o->ins, 0);
	/* The average is empty before any fill, as a price not set. */
	int64_t avg = trd_order_avg_price(o);
	char *p = wf_reserve(w, r->row_max);

	if (p == NULL)
		return;
	p = put_u64(p, o->id);
	*p++ = ',';
	p = put_names(p, r, o->strat, o->ins);
	p = put_str(p, trd_side_name(o->side));
	*p++ = ',';
	p = put_str(p, trd_order_type_name(o->type));
	*p++ = ',';
	p = put_dec(p, o->qty, qdp);
	*p++ = ',';
	if (has_price(o))
		p = put_dec(p, o->price, pdp);
	*p++ = ',';
	p = put_unix(p, o->submit_ns);
	*p++ = ',';
	p = put_str(p, trd_order_status_name(o->status));
	*p++ = ',';
	p = put_field(p, o->reason, strnlen(o->reason, sizeof(o->reason)));
	*p++ = ',';
	p = put_str(p, trd_tif_name(o->tif));
	*p++ = ',';
	p = put_str(p, flags_text(o->flags));
	*p++ = ',';
	if (o->stop_price)
		p = put_dec(p, o->stop_price, pdp);
	*p++ = ',';
	if (o->trail)
		p = put_dec(p, o->trail, pdp);
	*p++ = ',';
	if (o->expire_ns)
		p = put_unix(p, o->expire_ns);
	*p++ = ',';
	if (o->link_id)
		p = put_u64(p, o->link_id);
	*p++ = ',';
	if (o->parent_id)
		p = put_u64(p, o->parent_id);
	*p++ = ',';
	p = put_client_id(p, o);
	p = put_dec(p, o->filled, qdp);
	*p++ = ',';
	if (avg)
		p = put_dec(p, avg, pdp);
	*p++ = ',';
	p = put_str(p, reject_text(o));
	*p++ = '\n';
	w->len = (size_t)(p - w->buf);
}

/* An order's final status (or its status at the end), counted. */
static void
order_count(struct trd_report *r, const struct trd_order *o)
{
	r->norders++;
	r->nfilled += o->status == TRD_ORDER_FILLED;
	r->nrejected += o->status == TRD_ORDER_REJECTED;
	r->ncanceled += o->status == TRD_ORDER_CANCELED;
	r->nexpired += o->status == TRD_ORDER_EXPIRED;
	/* Traded, but not all of it: the rest canceled or expired, or still
	 * working at the end. */
	r->npartial += o->filled > 0 && o->status != TRD_ORDER_FILLED;
	/* A code the host never sets (none, or past the enum) has no name
	 * to count under; the order still counts as rejected. */
	if (o->status == TRD_ORDER_REJECTED && o->reject_code != TRD_REJ_NONE &&
	    o->reject_code < TRD_REJ_COUNT)
		r->rejects[o->reject_code]++;
}

/* Runs once per order transition: fixed formats, no allocation, no
 * printf (a strategy trading every few bars makes this hot).  A closed
 * order's orders.csv row is written as it closes, so the report keeps
 * nothing per order. */
void
trd_report_order(struct trd_report *r, const struct trd_order *o)
{
	struct wfile *w = &r->events;
	int qdp = instr_dp(r, o->ins, 1);
	char *p = wf_reserve(w, r->row_max);

	if (p != NULL) {
		p = put_unix(p, o->update_ns);
		*p++ = ',';
		p = put_u64(p, o->id);
		*p++ = ',';
		p = put_client_id(p, o);
		p = put_names(p, r, o->strat, o->ins);
		p = put_str(p, trd_side_name(o->side));
		*p++ = ',';
		p = put_str(p, trd_order_type_name(o->type));
		*p++ = ',';
		p = put_str(p, trd_order_status_name(o->status));
		*p++ = ',';
		p = put_dec(p, o->qty, qdp);
		*p++ = ',';
		p = put_dec(p, o->filled, qdp);
		*p++ = ',';
		if (has_price(o))
			p = put_dec(p, o->price, instr_dp(r, o->ins, 0));
		*p++ = ',';
		p = put_str(p, reject_text(o));
		*p++ = ',';
		p = put_field(p, o->reason,
			      strnlen(o->reason, sizeof(o->reason)));
		*p++ = '\n';
		w->len = (size_t)(p - w->buf);
	}
	if (!trd_order_is_open(o)) {
		order_row(r, o);
		order_count(r, o);
	}
}

void
trd_report_on_order(void *arg, const struct trd_order *o,
		    const struct trd_oms_fill *f)
{
	struct trd_report *r = arg;

	if (f != NULL)
		fill_row(r, o, f->qty, f->price, f->ref_price, f->fee,
			 f->ts_ns);
	else
		trd_report_order(r, o);
}

/* ---- finish: report.json, report.html ---- */


/* Every figure, in report.json's order.  The definitions are in README. */
static void
compute(struct trd_report *r, int64_t fees, struct summary *sum)
{
	double P = YEAR_S / r->tf_s, years, growth, undef = NAN;
	int64_t final = r->n ? r->last.eq : r->initial;
	double n = (double)r->nret, mean = 0, m2 = 0;

	if (r->nret) {
		mean = r->shift + r->s1 / n;
		m2 = r->s2 - r->s1 * r->s1 / n;
	}
	if (r->under && r->n &&
	    rs_mkt(&r->rs, r->last.ts) - rs_mkt(&r->rs, r->peak_ns) >
		    r->maxdur_ns)
		r->maxdur_ns = rs_mkt(&r->rs, r->last.ts) -
			       rs_mkt(&r->rs, r->peak_ns);
	memcpy(sum->rejects, r->rejects, sizeof(sum->rejects));
	growth = r->initial > 0 ? (double)final / (double)r->initial : undef;
	years = ((double)(r->last.ts - r->first_ns) / TRD_NS_PER_SEC +
		 r->tf_s) / YEAR_S;
	struct field t[NFIELDS] = {
		{ "bars", "Bars", F_UINT, .u = r->bars },
		{ "orders_submitted", "Orders submitted", F_UINT,
		  .u = r->norders },
		{ "orders_filled", "Orders filled", F_UINT, .u = r->nfilled },
		{ "orders_partially_filled", "Orders partially filled", F_UINT,
		  .u = r->npartial },
		{ "orders_rejected", "Orders rejected", F_UINT,
		  .u = r->nrejected },
		{ "orders_canceled", "Orders canceled", F_UINT,
		  .u = r->ncanceled },
		{ "orders_expired", "Orders expired", F_UINT, .u = r->nexpired },
		{ "trades", "Trades", F_UINT, .u = r->ntrades },
		{ "initial_cash", "Initial cash", F_MONEY, .i = r->initial },
		{ "final_equity", "Final equity", F_MONEY, .i = final },
		{ "total_return", "Total return", F_PCT, .d = growth - 1 },
		{ "cagr", "CAGR", F_PCT,
		  .d = r->n && years > 0 ? pow(growth, 1 / years) - 1 : undef },
		{ "sharpe", "Sharpe ratio", F_RATIO,
		  .d = r->nret >= 2 && m2 > 0
			       ? mean / sqrt(m2 / (double)(r->nret - 1)) *
					 sqrt(P)
			       : undef },
		{ "sortino", "Sortino ratio", F_RATIO,
		  .d = r->nneg ? mean / sqrt(r->down2 / (double)r->nret) *
					 sqrt(P)
			       : undef },
		{ "max_drawdown", "Max drawdown", F_PCT, .d = r->maxdd },
		{ "max_drawdown_duration_s", "Max drawdown duration", F_DUR,
		  .i = r->maxdur_ns },
		{ "win_rate", "Win rate", F_PCT,
		  .d = r->ntrades ? (double)r->nwins / (double)r->ntrades
				  : undef },
		{ "profit_factor", "Profit factor", F_RATIO,
		  .d = r->gross_loss > 0 ? (double)r->gross_profit /
						   (double)r->gross_loss
					 : undef },
		{ "fees_paid", "Fees paid", F_MONEY, .i = fees },
		{ "exposure", "Exposure", F_PCT,
		  .d = r->n ? (double)r->nexposed / (double)r->n : undef },
		{ "start", "Start", F_TIME, .i = r->first_ns, .none = !r->n },
		{ "end", "End", F_TIME, .i = r->last.ts, .none = !r->n },
		{ "timeframe_s", "Timeframe (s)", F_UINT, .u = r->tf_s },
	};

	memcpy(sum->f, t, sizeof(t));
}

/* The value as report.json (json) or the html table shows it.  buf holds
 * at least 64 bytes; returns buf. */
const char *
trd__field_text(const struct field *f, int json, char *buf)
{
	char t[TRD_TIME_BUFSZ];

	switch (f->kind) {
	case F_UINT:
		snprintf(buf, 64, "%llu", (unsigned long long)f->u);
		break;
	case F_MONEY:
		trd_dec_format_short(f->i, TRD_CASH_DP, buf);
		break;
	case F_RATIO:
	case F_PCT:
		if (!isfinite(f->d))
			snprintf(buf, 64, "%s", json ? "null" : "n/a");
		else if (json)
			snprintf(buf, 64, "%.10g", f->d);
		else if (f->kind == F_PCT)
			snprintf(buf, 64, "%.2f%%", f->d * 100);
		else
			snprintf(buf, 64, "%.3f", f->d);
		break;
	case F_DUR:
		if (json)
			snprintf(buf, 64, "%s", trd_time_format_unix(f->i, t));
		else
			snprintf(buf, 64, "%.2f days",
				 (double)f->i / TRD_NS_PER_SEC / 86400);
		break;
	case F_TIME:
		if (f->none)
			snprintf(buf, 64, "%s", json ? "null" : "n/a");
		else
			snprintf(buf, 64, json ? "\"%s\"" : "%s",
				 trd_time_format(f->i, t));
		break;
	}
	return buf;
}

static void
json_names(const struct trd_report *r, struct wfile *w, const char *key,
	   size_t n, const char *(*name)(const struct trd_report *, size_t))
{
	wf_printf(w, "  \"%s\": [%s", key, n ? "\n" : "");
	for (size_t i = 0; i < n; i++) {
		wf_puts(w, "    ");
		wf_json_str(w, name(r, i));
		wf_puts(w, i + 1 < n ? ",\n" : "\n  ");
	}
	wf_puts(w, "]");
}

/* rejects_by_reason: only the codes that occurred, in enum order, so the
 * object's shape does not depend on the order of the rejections. */
static void
json_rejects(struct wfile *w, const struct summary *sum)
{
	const char *sep = "\n";

	wf_puts(w, "  \"rejects_by_reason\": {");
	for (int c = TRD_REJ_NONE + 1; c < TRD_REJ_COUNT; c++) {
		if (sum->rejects[c] == 0)
			continue;
		wf_printf(w, "%s    ", sep);
		wf_json_str(w, trd_reject_name(c));
		wf_printf(w, ": %llu", (unsigned long long)sum->rejects[c]);
		sep = ",\n";
	}
	wf_puts(w, sep[0] == ',' ? "\n  },\n" : "},\n");
}

static void
json_risk(struct wfile *w, const struct trd_report_risk *risk)
{
	char t[TRD_TIME_BUFSZ];

	wf_printf(w, "  \"risk\": {\n    \"halted\": %s,\n    \"trips\": [%s",
		  risk->halted ? "true" : "false", risk->ntrips ? "\n" : "");
	for (size_t i = 0; i < risk->ntrips; i++) {
		const struct trd_report_trip *tr = &risk->trips[i];

		wf_printf(w, "      { \"ts\": \"%s\", \"reason\": ",
			  trd_time_format(tr->ts_ns, t));
		wf_json_str(w, tr->reason ? tr->reason : "");
		wf_puts(w, i + 1 < risk->ntrips ? " },\n" : " }\n    ");
	}
	wf_puts(w, "]\n  },\n");
}

static void
write_json(const struct trd_report *r, struct wfile *w,
	   const struct summary *sum, const struct rs_out *o)
{
	char buf[64];

	wf_puts(w, "{\n");
	for (size_t i = 0; i < NFIELDS; i++)
		wf_printf(w, "  \"%s\": %s,\n", sum->f[i].key,
			  trd__field_text(&sum->f[i], 1, buf));
	json_rejects(w, sum);
	json_risk(w, &sum->risk);
	json_recorded(r, w);
	trd__stats_json(r, w, o);
	trd__run_json(r, w);
	json_names(r, w, "strategies", r->nstrat, strat_name);
	wf_puts(w, ",\n");
	json_names(r, w, "instruments", r->ninstr, instr_name);
	wf_puts(w, "\n}\n");
}


int
trd_report_finish(struct trd_report *r, const struct trd_oms *oms,
		  int64_t fees, const struct trd_report_risk *risk)
{
	struct wfile json = { .fd = -1 }, html = { .fd = -1 },
		     daily = { .fd = -1 };
	struct wfile *all[] = { &r->eq, &r->fills, &r->trades, &r->events,
				&r->orders, &daily, &json, &html };
	const size_t nall = sizeof(all) / sizeof(all[0]);
	struct summary sum = { .risk = { 0 } };
	struct rs_out ro;
	int rc = 0;

	/* A count of trips without the trips is shown as none. */
	if (risk != NULL) {
		sum.risk = *risk;
		if (risk->trips == NULL)
			sum.risk.ntrips = 0;
	}
	settle(r);
	if (r->n)
		eq_row_write(r);
	/* The orders still open at the end, in id order, after those that
	 * closed (in the order they closed). */
	for (const struct trd_order *o = oms ? oms->open_head : NULL; o;
	     o = o->next_open) {
		order_row(r, o);
		order_count(r, o);
	}
	compute(r, fees, &sum);
	if (rs_derive(&r->rs, r->n ? r->last.eq : r->initial, r->n,
		      r->nexposed, r->initial, r->under, r->peak_ns, r->last.ts,
		      &ro) != 0)
		rc = -ENOMEM;
	for (size_t i = 0; i < NSTREAMED && rc == 0; i++)
		rc = wf_close(all[i]);
	if (rc == 0 && (rc = wf_open(&daily, r->dir, "daily.csv",
				     CSV_BUFSZ)) == 0) {
		trd__daily_csv(r, &daily, &ro);
		rc = wf_close(&daily);
	}
	if (rc == 0 && (rc = wf_open(&json, r->dir, "report.json",
				     CSV_BUFSZ)) == 0) {
		write_json(r, &json, &sum, &ro);
		rc = wf_close(&json);
	}
	if (rc == 0 && (rc = wf_open(&html, r->dir, "report.html",
				     CSV_BUFSZ)) == 0) {
		trd__report_html(r, &html, &sum, &ro);
		rc = wf_close(&html);
	}
	rs_out_free(&ro);
	/* Renamed only once every file is whole, so a failure never leaves
	 * this report's files beside an older report's. */
	for (size_t i = 0; i < nall && rc == 0; i++) {
		if (rename(all[i]->tmp, all[i]->path) == -1) {
			rc = -errno;
			log_error("%s: rename to %s: %s", all[i]->tmp,
				  all[i]->path, strerror(errno));
		}
	}
	for (size_t i = NSTREAMED; i < nall; i++)
		wf_discard(all[i]);
	trd_report_abort(r);
	return rc;
}

void
trd_report_abort(struct trd_report *r)
{
	if (r == NULL)
		return;
	wf_discard(&r->eq);
	wf_discard(&r->fills);
	wf_discard(&r->trades);
	wf_discard(&r->events);
	wf_discard(&r->orders);
	wf_discard(&r->run_json);
	wf_discard(&r->run_html);
	free(r->dir);
	for (size_t i = 0; r->strat_csv && i <= r->nstrat; i++)
		free(r->strat_csv[i].text);
	for (size_t i = 0; r->instr_csv && i <= r->ninstr; i++)
		free(r->instr_csv[i].text);
	free(r->strat_csv);
	free(r->instr_csv);
	free(r->strat);
	free(r->rec);
	free(r->recbuf);
	rs_free(&r->rs);
	free(r);
}
