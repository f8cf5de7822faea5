/*
 * import_ticks: trade and quote files into the tick store (ticks.h).
 *
 * Layouts, told apart by the first line:
 *
 *   Binance aggTrades  agg_trade_id,price,quantity,first_trade_id,
 *                      last_trade_id,transact_time,is_buyer_maker: USD-M
 *                      files with that header, spot files without one and
 *                      with an eighth column (is_best_match)
 *   Binance trades     id,price,qty,quote_qty,time,is_buyer_maker: USD-M
 *                      with the header, spot without it and with a
 *                      seventh column
 *   trades CSV         header ts,price,qty,side,id (side buy, sell or
 *                      empty; id empty: none), what traderctl ticks prints
 *   quotes CSV         header ts,bid,bid_qty,ask,ask_qty
 *   WebSocket frames   a recorded session's *.ws_frames.jsonl, one frame
 *                      a line: the instrument's aggTrade and trade frames
 *                      (trades) or bookTicker frames (quotes); other
 *                      symbols and streams are skipped
 *
 * Binance times are in ms, or µs (spot files from 2025), by magnitude;
 * CSV times in s, ms, µs or ns likewise.  A buyer-maker trade was sold
 * into: its aggressor is the seller.  Rows are checked (columns, numbers,
 * prices and sizes > 0, time never going back, Binance ids increasing) and
 * rejected with their line; the file lands in one write transaction.
 * A bookTicker frame carries no time on spot: its time is the receive time
 * of the session's *.ws_recv_ts.csv beside the frames (frame_no,
 * recv_ts_epoch_s, stream), which must then be there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "binance.h"
#include "decimal.h"
#include "errors.h"
#include "import.h"
#include "import_int.h"
#include "instrument.h"
#include "log.h"
#include "progress.h"
#include "ticks.h"
#include "timefmt.h"

enum layout {
	L_NONE,
	L_BN_AGG,    /* 7 or 8 columns */
	L_BN_TRADES, /* 6 or 7 columns */
	L_CSV_TRADES,
	L_CSV_QUOTES,
	L_FRAMES,
};

static const char *const layout_names[] = {
	[L_NONE] = "?",
	[L_BN_AGG] = "binance aggTrades",
	[L_BN_TRADES] = "binance trades",
	[L_CSV_TRADES] = "trades csv",
	[L_CSV_QUOTES] = "quotes csv",
	[L_FRAMES] = "ws frames",
};

struct tparser {
	const char                  *path;
	const struct trd_instrument *in;
	int                          kind;
	enum layout                  lay;
	int                          ncols;    /* Binance: 6, 7 or 8 */
	int64_t                      unit_ns;  /* 0 until the first row */
	uint64_t                     unit_line;
	int64_t                      prev_ts;
	uint64_t                     prev_id, prev_line;
	uint64_t                     ordinal;  /* of ticks at prev_ts */
	struct trd_import_stats     *st;
	/* frames */
	struct trd_registry          reg;
	struct trd_bn                bn;
	int64_t                     *recv_ns;  /* by frame number - 1 */
	size_t                       nrecv;
	char                         prefix[TRD_SYMBOL_MAX + 16];
	size_t                       nprefix;
};

#define REJECT(p, line, ...)                                             \
	do {                                                             \
		(p)->st->rejected++;                                     \
		trd__import_issue((p)->st->issues, &(p)->st->nissues,    \
				  (line), __VA_ARGS__);                  \
		return 1;                                                \
	} while (0)

#define SHOW(f) (int)((f).len > 40 ? 40 : (f).len), (f).s

static const char *
unit_name(int64_t u)
{
	return u == TRD_NS_PER_SEC ? "s" : u == TRD_NS_PER_MS ? "ms"
	       : u == TRD_NS_PER_US ? "us" : "ns";
}

static int64_t
unit_of(const struct tparser *p, int64_t v)
{
	if (p->lay == L_BN_AGG || p->lay == L_BN_TRADES)
		return v >= 100000000000000LL ? TRD_NS_PER_US : TRD_NS_PER_MS;
	if (v < 100000000000LL)
		return TRD_NS_PER_SEC;
	if (v < 100000000000000LL)
		return TRD_NS_PER_MS;
	if (v < 100000000000000000LL)
		return TRD_NS_PER_US;
	return 1;
}

/* The time field f into *ts (ns), its unit settled by the first row. */
static int
parse_time(struct tparser *p, const struct trd_field *f, uint64_t line,
	   const char *name, int64_t *ts)
{
	int64_t v, unit;
	int rc;

	/* Unix seconds with a fraction, as traderctl ticks prints them. */
	if (memchr(f->s, '.', f->len) != NULL &&
	    (p->lay == L_CSV_TRADES || p->lay == L_CSV_QUOTES)) {
		rc = trd_dec_parse(f->s, f->len, 9, &v);
		if (rc != 0 || v < 0)
			REJECT(p, line, "%s '%.*s' is not Unix seconds%s", name,
			       SHOW(*f), rc == TRD_EPRECISION
						 ? " (finer than 1 ns)" : "");
		p->st->unit = "s";
		*ts = v;
		return 0;
	}
	if ((rc = trd__import_uint(f, &v)) != 0)
		REJECT(p, line, "%s '%.*s' %s", name, SHOW(*f),
		       trd__import_uint_error(rc));
	unit = unit_of(p, v);
	/* Whole seconds mix with fractional ones (that is how they print). */
	if (unit == TRD_NS_PER_SEC && p->lay != L_BN_AGG &&
	    p->lay != L_BN_TRADES && (p->unit_ns == 0 ||
				      p->unit_ns == TRD_NS_PER_SEC)) {
		if (v > INT64_MAX / TRD_NS_PER_SEC)
			REJECT(p, line, "%s %lld out of range", name,
			       (long long)v);
		p->st->unit = "s";
		*ts = v * TRD_NS_PER_SEC;
		return 0;
	}
	if (p->unit_ns == 0) {
		p->unit_ns = unit;
		p->unit_line = line;
		p->st->unit = unit_name(unit);
	} else if (unit != p->unit_ns) {
		REJECT(p, line, "%s %lld looks like %s but the file's times "
		       "are in %s (line %llu): mixed units", name,
		       (long long)v, unit_name(unit), unit_name(p->unit_ns),
		       (unsigned long long)p->unit_line);
	}
	if (v > INT64_MAX / p->unit_ns)
		REJECT(p, line, "%s %lld out of range", name, (long long)v);
	*ts = v * p->unit_ns;
	return 0;
}

/* A price or size > 0 at scale dp. */
static int
parse_pos(struct tparser *p, const struct trd_field *f, int dp,
	  uint64_t line, const char *name, int64_t *out)
{
	int rc = trd_dec_parse(f->s, f->len, dp, out);

	if (rc != 0)
		REJECT(p, line, "%s '%.*s': %s%s", name, SHOW(*f),
		       trd_strerror(rc),
		       rc == TRD_EPRECISION ? " for the instrument's scale"
					    : "");
	if (*out <= 0)
		REJECT(p, line, "%s '%.*s' is not above zero", name, SHOW(*f));
	return 0;
}

static int
parse_bool(const struct trd_field *f, int *out)
{
	if (f->len == 4 && strncasecmp(f->s, "true", 4) == 0)
		*out = 1;
	else if (f->len == 5 && strncasecmp(f->s, "false", 5) == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* Order: time never goes back; Binance ids increase.  Sets the id of a
 * tick without one (its ordinal at its time). */
static int
check_order(struct tparser *p, uint64_t line, struct trd_tick *t, int has_id)
{
	char a[TRD_TIME_BUFSZ];

	if (p->prev_line && t->ts_ns < p->prev_ts)
		REJECT(p, line, "time %s goes back (line %llu is later)",
		       trd_time_format(t->ts_ns, a),
		       (unsigned long long)p->prev_line);
	if (has_id && p->prev_line && t->id <= p->prev_id &&
	    (p->lay == L_BN_AGG || p->lay == L_BN_TRADES))
		REJECT(p, line, "trade id %llu does not follow %llu (line "
		       "%llu): ids must increase",
		       (unsigned long long)t->id,
		       (unsigned long long)p->prev_id,
		       (unsigned long long)p->prev_line);
	if (p->prev_line && t->ts_ns == p->prev_ts)
		p->ordinal++;
	else
		p->ordinal = 0;
	if (!has_id)
		t->id = p->ordinal;
	p->prev_ts = t->ts_ns;
	p->prev_id = t->id;
	p->prev_line = line;
	return 0;
}

/* One CSV row: 0 with *t, 1 rejected. */
static int
parse_csv_row(struct tparser *p, const char *s, size_t len, uint64_t line,
	      struct trd_tick *t)
{
	struct trd_field f[TRD_IMPORT_MAX_FIELDS];
	int n = trd__import_split(s, len, f), bm, rc, has_id = 1;
	int pdp = p->in->price_dp, qdp = p->in->qty_dp;
	int64_t id;

	*t = (struct trd_tick){ 0 };
	switch (p->lay) {
	case L_BN_AGG:
	case L_BN_TRADES: {
		int ti = p->lay == L_BN_AGG ? 5 : 4;
		if (n != p->ncols)
			REJECT(p, line, "%d columns, expected %d%s", n,
			       p->ncols, n < p->ncols ? " (truncated line?)"
						      : "");
		if ((rc = trd__import_uint(&f[0], &id)) != 0)
			REJECT(p, line, "id '%.*s' %s", SHOW(f[0]),
			       trd__import_uint_error(rc));
		t->id = (uint64_t)id;
		if (parse_pos(p, &f[1], pdp, line, "price", &t->v[0]) ||
		    parse_pos(p, &f[2], qdp, line, "quantity", &t->v[1]) ||
		    parse_time(p, &f[ti], line, "time", &t->ts_ns))
			return 1;
		if (parse_bool(&f[ti + 1], &bm) != 0)
			REJECT(p, line, "is_buyer_maker '%.*s' is not true or "
			       "false", SHOW(f[ti + 1]));
		t->v[2] = bm ? TRD_SIDE_SELL : TRD_SIDE_BUY;
		break;
	}
	case L_CSV_TRADES:
		if (n != 5)
			REJECT(p, line, "%d columns, expected 5 "
			       "(ts,price,qty,side,id)", n);
		if (parse_time(p, &f[0], line, "ts", &t->ts_ns) ||
		    parse_pos(p, &f[1], pdp, line, "price", &t->v[0]) ||
		    parse_pos(p, &f[2], qdp, line, "qty", &t->v[1]))
			return 1;
		if (f[3].len == 3 && strncasecmp(f[3].s, "buy", 3) == 0)
			t->v[2] = TRD_SIDE_BUY;
		else if (f[3].len == 4 && strncasecmp(f[3].s, "sell", 4) == 0)
			t->v[2] = TRD_SIDE_SELL;
		else if (f[3].len != 0)
			REJECT(p, line, "side '%.*s' is not buy, sell or empty",
			       SHOW(f[3]));
		if (f[4].len == 0) {
			has_id = 0;
		} else if ((rc = trd__import_uint(&f[4], &id)) != 0) {
			REJECT(p, line, "id '%.*s' %s", SHOW(f[4]),
			       trd__import_uint_error(rc));
		} else {
			t->id = (uint64_t)id;
		}
		break;
	case L_CSV_QUOTES:
		if (n != 5)
			REJECT(p, line, "%d columns, expected 5 "
			       "(ts,bid,bid_qty,ask,ask_qty)", n);
		if (parse_time(p, &f[0], line, "ts", &t->ts_ns) ||
		    parse_pos(p, &f[1], pdp, line, "bid", &t->v[0]) ||
		    parse_pos(p, &f[2], qdp, line, "bid_qty", &t->v[1]) ||
		    parse_pos(p, &f[3], pdp, line, "ask", &t->v[2]) ||
		    parse_pos(p, &f[4], qdp, line, "ask_qty", &t->v[3]))
			return 1;
		if (t->v[0] >= t->v[2])
			REJECT(p, line, "bid %.*s is not below ask %.*s",
			       SHOW(f[1]), SHOW(f[3]));
		has_id = 0;
		break;
	default:
		return 1;
	}
	return check_order(p, line, t, has_id);
}

/* ---- frames ---- */

/* The receive times beside the frames: BASE.ws_recv_ts.csv.  0, or
 * TRD_ENOTFOUND when there is none (frames with their own times need
 * none). */
static int
load_recv(struct tparser *p)
{
	const char *suffix = ".ws_frames.jsonl";
	size_t n = strlen(p->path), ls = strlen(suffix), cap = 0;
	char path[4096], line[256];
	FILE *f;
	uint64_t ln = 0;

	if (n < ls || strcmp(p->path + n - ls, suffix) != 0 ||
	    n - ls + 32 > sizeof(path))
		return TRD_ENOTFOUND;
	snprintf(path, sizeof(path), "%.*s.ws_recv_ts.csv", (int)(n - ls),
		 p->path);
	if ((f = fopen(path, "re")) == NULL)
		return TRD_ENOTFOUND;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long no;
		long long sec;
		char frac[16] = "";
		int64_t ns;
		int k;

		ln++;
		if (ln == 1 && strncmp(line, "frame_no,", 9) == 0)
			continue;
		if (sscanf(line, "%llu,%lld.%15[0-9],", &no, &sec, frac) < 2 ||
		    no == 0 || no > 100000000 || sec < 0 ||
		    sec > INT64_MAX / TRD_NS_PER_SEC - 1) {
			log_error("%s:%llu: expected frame_no,recv_ts_epoch_s,"
				  "stream", path, (unsigned long long)ln);
			fclose(f);
			return TRD_ESYNTAX;
		}
		ns = (int64_t)sec * TRD_NS_PER_SEC;
		for (k = 0; k < 9; k++)
			ns += (frac[k] ? frac[k] - '0' : 0) * trd_pow10[8 - k];
		if (no > cap) {
			size_t nc = cap ? cap * 2 : 1024;
			int64_t *v;
			while (nc < no)
				nc *= 2;
			if ((v = realloc(p->recv_ns, nc * sizeof(*v))) == NULL) {
				fclose(f);
				return -ENOMEM;
			}
			memset(v + cap, 0, (nc - cap) * sizeof(*v));
			p->recv_ns = v;
			cap = nc;
		}
		p->recv_ns[no - 1] = ns;
		if (no > p->nrecv)
			p->nrecv = no;
	}
	fclose(f);
	return 0;
}

static int
frames_init(struct tparser *p, const char *venue_symbol)
{
	struct trd_instr ins = { .price_dp = p->in->price_dp,
				 .qty_dp = p->in->qty_dp,
				 .tick = p->in->tick_size,
				 .lot = p->in->lot_size };
	int rc;

	snprintf(ins.symbol, sizeof(ins.symbol), "%s", p->in->symbol);
	snprintf(ins.venue_symbol, sizeof(ins.venue_symbol), "%s",
		 venue_symbol && *venue_symbol ? venue_symbol
					       : p->in->symbol);
	if ((rc = trd_registry_init_from(&p->reg, &ins, 1)) != 0)
		return rc;
	trd_bn_init(&p->bn, &p->reg);
	/* Combined-stream frames name their stream first: "sym@...". */
	p->nprefix = (size_t)snprintf(p->prefix, sizeof(p->prefix),
				      "{\"stream\":\"%s@", ins.venue_symbol);
	for (size_t i = 11; i < p->nprefix; i++)
		if (p->prefix[i] >= 'A' && p->prefix[i] <= 'Z')
			p->prefix[i] = (char)(p->prefix[i] - 'A' + 'a');
	rc = load_recv(p);
	return rc == TRD_ENOTFOUND ? 0 : rc;
}

static void
frames_free(struct tparser *p)
{
	if (p->lay != L_FRAMES)
		return;
	trd_bn_free(&p->bn);
	trd_registry_free(&p->reg);
	free(p->recv_ns);
}

/* One frame: 0 with *t, 1 rejected, 2 not a tick of this file's kind. */
static int
parse_frame(struct tparser *p, const char *s, size_t len, uint64_t line,
	    struct trd_tick *t)
{
	struct trd_bn_msg m;

	if (len > 11 && memcmp(s, "{\"stream\":\"", 11) == 0 &&
	    (len < p->nprefix || memcmp(s, p->prefix, p->nprefix) != 0))
		return 2; /* another symbol's stream */
	if (trd_bn_frame(&p->bn, s, len, &m) != 0) {
		if (strstr(p->bn.err, "is not configured"))
			return 2;
		REJECT(p, line, "%s", p->bn.err);
	}
	if (p->kind == TRD_TICK_TRADES &&
	    (m.kind == TRD_BN_AGGTRADE || m.kind == TRD_BN_TRADE)) {
		if (m.u.trade.t.price <= 0 || m.u.trade.t.qty <= 0)
			REJECT(p, line, "trade with a price or size not above "
			       "zero");
		trd_tick_from_trade(t, &m.u.trade.t);
		/* Frames of a session overlap after reconnects: a trade
		 * already had is a duplicate, not an error. */
		if (p->prev_line && t->id <= p->prev_id &&
		    t->ts_ns <= p->prev_ts) {
			p->st->rows++;
			p->st->unchanged++;
			return 2;
		}
		return check_order(p, line, t, 1);
	}
	if (p->kind == TRD_TICK_QUOTES && m.kind == TRD_BN_BOOKTICKER) {
		struct trd_quote q = m.u.ticker.q;
		if (q.ts_ns == 0 && m.event_ns)
			q.ts_ns = m.event_ns;
		if (q.ts_ns == 0) {
			if (line > p->nrecv || p->recv_ns[line - 1] == 0)
				REJECT(p, line, "bookTicker without a time, "
				       "and no receive time for frame %llu "
				       "in the session's .ws_recv_ts.csv",
				       (unsigned long long)line);
			q.ts_ns = p->recv_ns[line - 1];
		}
		if (q.bid <= 0 || q.ask <= 0 || q.bid >= q.ask)
			REJECT(p, line, "bookTicker with bid not below ask or "
			       "not above zero");
		if (p->prev_line && q.ts_ns < p->prev_ts) {
			/* Receive times of two connections may cross: a
			 * quote is kept at the latest time seen. */
			q.ts_ns = p->prev_ts;
		}
		trd_tick_from_quote(t, &q, 0);
		return check_order(p, line, t, 0);
	}
	return 2;
}

/* ---- the file ---- */

static int
header_is(const char *s, size_t len, const char *cols)
{
	size_t n = strlen(cols);

	return len == n && strncasecmp(s, cols, n) == 0;
}

/* The first line: 1 a header, 0 data, <0 an error (logged). */
static int
detect(struct tparser *p, const char *s, size_t len)
{
	struct trd_field f[TRD_IMPORT_MAX_FIELDS];
	int n, b;

	if (len > 0 && s[0] == '{') {
		p->lay = L_FRAMES;
		return 0;
	}
	if (header_is(s, len, "agg_trade_id,price,quantity,first_trade_id,"
			      "last_trade_id,transact_time,is_buyer_maker")) {
		p->lay = L_BN_AGG;
		p->ncols = 7;
		return 1;
	}
	if (header_is(s, len, "id,price,qty,quote_qty,time,is_buyer_maker")) {
		p->lay = L_BN_TRADES;
		p->ncols = 6;
		return 1;
	}
	if (header_is(s, len, "ts,price,qty,side,id")) {
		p->lay = L_CSV_TRADES;
		return 1;
	}
	if (header_is(s, len, "ts,bid,bid_qty,ask,ask_qty")) {
		p->lay = L_CSV_QUOTES;
		return 1;
	}
	if (len > 0 && s[0] >= '0' && s[0] <= '9') {
		n = trd__import_split(s, len, f);
		if (n == 8 || (n == 7 && parse_bool(&f[5], &b) != 0))
			p->lay = L_BN_AGG;
		else if (n == 7 || n == 6)
			p->lay = L_BN_TRADES;
		if (p->lay != L_NONE) {
			p->ncols = n;
			return 0;
		}
	}
	log_error("%s:1: unrecognised first line '%.*s' (expected Binance "
		  "aggTrades or trades, a header ts,price,qty,side,id or "
		  "ts,bid,bid_qty,ask,ask_qty, or WebSocket frames)", p->path,
		  (int)(len > 60 ? 60 : len), s);
	return TRD_ESYNTAX;
}

static int
check_kind(struct tparser *p)
{
	int trades = p->lay != L_CSV_QUOTES;

	if (p->lay == L_FRAMES || trades == (p->kind == TRD_TICK_TRADES))
		return 0;
	log_error("%s: %s are %s, not %s: use --kind %s", p->path,
		  layout_names[p->lay], trades ? "trades" : "quotes",
		  trd_tick_kind_name(p->kind), trades ? "trades" : "quotes");
	return TRD_ESYNTAX;
}

static int
import_pass(struct trd_store *s, struct tparser *p, const char *data,
	    size_t size, const char *venue_symbol)
{
	struct trd_tick_batch b;
	const char *cur = data, *end = data + size;
	uint64_t line = 0;
	int rc, first = 1;

	if ((rc = trd_tick_batch_begin(s, &b)) != 0)
		return rc;
	while (cur < end) {
		const char *nl = memchr(cur, '\n', (size_t)(end - cur));
		if ((line & 65535) == 0)
			trd_progress_set((double)(cur - data) / 1e6);
		const char *eol = nl ? nl : end;
		size_t len = (size_t)(eol - cur);
		struct trd_tick t;
		enum trd_put_result res;

		line++;
		if (len > 0 && cur[len - 1] == '\r')
			len--;
		if (len == 0)
			goto next;
		if (first) {
			first = 0;
			if ((rc = detect(p, cur, len)) < 0 ||
			    check_kind(p) != 0) {
				rc = rc < 0 ? rc : TRD_ESYNTAX;
				goto fail;
			}
			p->st->layout = layout_names[p->lay];
			if (p->lay == L_FRAMES &&
			    (rc = frames_init(p, venue_symbol)) != 0)
				goto fail;
			if (rc == 1)
				goto next;
		}
		if (p->lay == L_FRAMES) {
			rc = parse_frame(p, cur, len, line, &t);
			if (rc == 2)
				goto next;
			p->st->rows++;
		} else {
			p->st->rows++;
			rc = parse_csv_row(p, cur, len, line, &t);
		}
		if (rc != 0)
			goto next;
		rc = trd_tick_batch_put(&b, p->in->id, p->kind, &t, &res);
		if (rc == TRD_ECONFLICT) {
			char a[TRD_TIME_BUFSZ];
			p->st->rejected++;
			trd__import_issue(p->st->issues, &p->st->nissues, line,
					  "differs from the tick already stored "
					  "at %s with id %llu (stored one kept)",
					  trd_time_format(t.ts_ns, a),
					  (unsigned long long)t.id);
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
	return trd_tick_batch_commit(&b);
fail:
	trd_tick_batch_abort(&b);
	return rc;
}

int
trd_import_ticks_file(struct trd_store *s, const struct trd_instrument *in,
		      const char *venue_symbol, int kind, const char *path,
		      struct trd_import_stats *st)
{
	const char *map;
	size_t size;
	int rc;

	if (kind != TRD_TICK_TRADES && kind != TRD_TICK_QUOTES)
		return -EINVAL;
	if ((rc = trd__import_map(path, &map, &size)) != 0)
		return rc;
	trd_store_reserve(s, size * 2);
	for (;;) {
		struct tparser p = { .path = path, .in = in, .kind = kind,
				     .st = st };
		memset(st, 0, sizeof(*st));
		rc = import_pass(s, &p, map, size, venue_symbol);
		frames_free(&p);
		if (rc != MDB_MAP_FULL)
			break;
		if ((rc = trd_store_grow(s)) != 0)
			break;
	}
	trd__import_unmap(map, size);
	if (rc != 0 && rc != TRD_ESYNTAX && rc != TRD_EFULL)
		log_error("%s: import failed, nothing stored: %s", path,
			  trd_strerror(rc));
	return rc;
}
