/*
 * ticks: see ticks.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ticks.h"
#include "traderd/plugin.h"

#define RUN_MAX 1024

static inline void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static inline uint64_t
rd_be64(const uint8_t *p)
{
	return (uint64_t)rd_be32(p) << 32 | rd_be32(p + 4);
}

static inline void
le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t
rd_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline int64_t
rec_ts(const uint8_t *rec)
{
	return (int64_t)(rd_be64(rec) ^ (1ULL << 63));
}

static void
tick_key(uint8_t key[8], uint32_t sym, int kind)
{
	be32(key, sym);
	be32(key + 4, (uint32_t)kind);
}

static void
tick_encode(uint8_t rec[TRD_TICK_REC_SIZE], const struct trd_tick *t)
{
	be64(rec, (uint64_t)t->ts_ns ^ (1ULL << 63));
	be64(rec + 8, t->id);
	for (int i = 0; i < 4; i++)
		le64(rec + 16 + 8 * i, (uint64_t)t->v[i]);
}

static void
tick_decode(const uint8_t *rec, struct trd_tick *t)
{
	t->ts_ns = rec_ts(rec);
	t->id = rd_be64(rec + 8);
	for (int i = 0; i < 4; i++)
		t->v[i] = (int64_t)rd_le64(rec + 16 + 8 * i);
}

const char *
trd_tick_kind_name(int kind)
{
	return kind == TRD_TICK_TRADES ? "trades"
	       : kind == TRD_TICK_QUOTES ? "quotes" : NULL;
}

int
trd_tick_kind_parse(const char *s, int *kind)
{
	if (strcmp(s, "trades") == 0)
		*kind = TRD_TICK_TRADES;
	else if (strcmp(s, "quotes") == 0)
		*kind = TRD_TICK_QUOTES;
	else
		return -1;
	return 0;
}

/* ---- writing ---- */

int
trd_tick_batch_begin(struct trd_store *s, struct trd_tick_batch *b)
{
	int rc;

	*b = (struct trd_tick_batch){ .store = s };
	if (!s->have_ticks)
		return -EROFS; /* a read-only store from before ticks */
	if ((b->run = malloc((size_t)RUN_MAX * TRD_TICK_REC_SIZE)) == NULL)
		return -ENOMEM;
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &b->txn)) != 0)
		goto fail;
	if ((rc = mdb_cursor_open(b->txn, s->dbi_ticks, &b->cur)) != 0) {
		mdb_txn_abort(b->txn);
		goto fail;
	}
	return 0;
fail:
	free(b->run);
	*b = (struct trd_tick_batch){ 0 };
	return rc;
}

static int
flush_run(struct trd_tick_batch *b)
{
	MDB_val k = { sizeof(b->last_key), b->last_key };
	MDB_val d[2] = { { TRD_TICK_REC_SIZE, b->run }, { b->nrun, NULL } };
	int rc;

	if (b->nrun == 0)
		return 0;
	rc = mdb_cursor_put(b->cur, &k, d, MDB_MULTIPLE | MDB_APPENDDUP);
	if (rc == 0 && d[1].mv_size != b->nrun)
		rc = -EIO;
	b->nrun = 0;
	return rc;
}

int
trd_tick_batch_put(struct trd_tick_batch *b, uint32_t sym, int kind,
		   const struct trd_tick *t, enum trd_put_result *res)
{
	uint8_t key[8], rec[TRD_TICK_REC_SIZE], probe[TRD_TICK_REC_SIZE];
	MDB_val k = { sizeof(key), key }, v = { sizeof(rec), rec }, p;
	int rc;

	tick_key(key, sym, kind);
	tick_encode(rec, t);
	/* After the series' last tick: gathered into the run. */
	if (b->have_last && memcmp(key, b->last_key, sizeof(key)) == 0 &&
	    memcmp(rec, b->last_rec, sizeof(b->last_rec)) > 0) {
		if (b->nrun == RUN_MAX && (rc = flush_run(b)) != 0)
			return rc;
		memcpy(b->run + (size_t)b->nrun++ * TRD_TICK_REC_SIZE, rec,
		       sizeof(rec));
		memcpy(b->last_rec, rec, sizeof(b->last_rec));
		*res = TRD_PUT_INSERTED;
		return 0;
	}
	if ((rc = flush_run(b)) != 0)
		return rc;
	memset(probe, 0, sizeof(probe));
	memcpy(probe, rec, 16);
	p = (MDB_val){ sizeof(probe), probe };
	rc = mdb_cursor_get(b->cur, &k, &p, MDB_GET_BOTH_RANGE);
	if (rc == 0 && p.mv_size == sizeof(rec) &&
	    memcmp(p.mv_data, rec, 16) == 0) {
		if (memcmp(p.mv_data, rec, sizeof(rec)) != 0)
			return TRD_ECONFLICT;
		*res = TRD_PUT_UNCHANGED;
		return 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	k = (MDB_val){ sizeof(key), key };
	if ((rc = mdb_cursor_put(b->cur, &k, &v, MDB_NODUPDATA)) != 0)
		return rc;
	if ((rc = mdb_cursor_get(b->cur, &k, &p, MDB_LAST_DUP)) != 0)
		return rc;
	if (p.mv_size != TRD_TICK_REC_SIZE)
		return TRD_EVERSION;
	memcpy(b->last_key, key, sizeof(key));
	memcpy(b->last_rec, p.mv_data, sizeof(b->last_rec));
	b->have_last = 1;
	*res = TRD_PUT_INSERTED;
	return 0;
}

static void
batch_release(struct trd_tick_batch *b)
{
	if (b->cur)
		mdb_cursor_close(b->cur);
	free(b->run);
	b->cur = NULL;
	b->run = NULL;
	b->nrun = 0;
}

int
trd_tick_batch_commit(struct trd_tick_batch *b)
{
	int rc = flush_run(b);

	batch_release(b);
	if (rc != 0) {
		mdb_txn_abort(b->txn);
		b->txn = NULL;
		return rc;
	}
	rc = mdb_txn_commit(b->txn);
	b->txn = NULL;
	return rc;
}

void
trd_tick_batch_abort(struct trd_tick_batch *b)
{
	if (b->txn == NULL)
		return;
	batch_release(b);
	mdb_txn_abort(b->txn);
	b->txn = NULL;
}

/* ---- reading ---- */

int
trd_tick_cursor_open(struct trd_tick_cursor *c, struct trd_store *s,
		     uint32_t sym, int kind, int64_t from_ns, int64_t to_ns)
{
	int rc;

	*c = (struct trd_tick_cursor){ .store = s, .from_ns = from_ns,
				       .to_ns = to_ns };
	tick_key(c->key, sym, kind);
	if (!s->have_ticks) {
		c->done = 1;
		return 0;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &c->txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(c->txn, s->dbi_ticks, &c->cur)) != 0) {
		mdb_txn_abort(c->txn);
		c->txn = NULL;
	}
	return rc;
}

static int
take_page(struct trd_tick_cursor *c, const MDB_val *v)
{
	if (v->mv_size == 0 || v->mv_size % TRD_TICK_REC_SIZE != 0)
		return TRD_EVERSION;
	c->page = v->mv_data;
	c->page_n = (uint32_t)(v->mv_size / TRD_TICK_REC_SIZE);
	c->page_i = 0;
	return 0;
}

static int
seek(struct trd_tick_cursor *c)
{
	uint8_t probe[TRD_TICK_REC_SIZE] = { 0 };
	MDB_val k = { sizeof(c->key), c->key }, v = { sizeof(probe), probe };
	MDB_val m = { 0, NULL };
	int rc;

	be64(probe, (uint64_t)c->from_ns ^ (1ULL << 63));
	if ((rc = mdb_cursor_get(c->cur, &k, &v, MDB_GET_BOTH_RANGE)) != 0)
		return rc;
	if (v.mv_size != TRD_TICK_REC_SIZE)
		return TRD_EVERSION;
	if ((rc = mdb_cursor_get(c->cur, &k, &m, MDB_GET_MULTIPLE)) != 0)
		return rc;
	if ((rc = take_page(c, m.mv_size ? &m : &v)) != 0)
		return rc;
	while (c->page_i < c->page_n &&
	       rec_ts(c->page + (size_t)c->page_i * TRD_TICK_REC_SIZE) <
		       c->from_ns)
		c->page_i++;
	return 0;
}

int
trd_tick_cursor_read(struct trd_tick_cursor *c, struct trd_tick *out, int max)
{
	int n = 0, rc = 0;

	if (c->done || max <= 0)
		return 0;
	if (!c->started) {
		c->started = 1;
		rc = seek(c);
	}
	while (rc == 0 && n < max) {
		const uint8_t *rec;

		if (c->page_i == c->page_n) {
			MDB_val k, v;
			rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT_MULTIPLE);
			if (rc == 0)
				rc = take_page(c, &v);
			continue;
		}
		rec = c->page + (size_t)c->page_i * TRD_TICK_REC_SIZE;
		if (rec_ts(rec) >= c->to_ns) {
			rc = MDB_NOTFOUND;
			break;
		}
		tick_decode(rec, &out[n++]);
		c->page_i++;
	}
	if (rc == MDB_NOTFOUND)
		c->done = 1;
	else if (rc != 0)
		return rc;
	return n;
}

void
trd_tick_cursor_close(struct trd_tick_cursor *c)
{
	if (c->cur)
		mdb_cursor_close(c->cur);
	if (c->txn)
		mdb_txn_abort(c->txn);
	c->cur = NULL;
	c->txn = NULL;
}

int
trd_ticks_stat(struct trd_store *s, struct trd_series_stat **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!s->have_ticks)
		return 0;
	return trd_store_stat_dbi(s, s->dbi_ticks, TRD_TICK_REC_SIZE, out, n);
}

/* ---- conversions ---- */

void
trd_tick_to_trade(const struct trd_tick *t, uint32_t sym,
		  struct trd_trade *out)
{
	*out = (struct trd_trade){ .size = sizeof(*out), .sym = sym,
				   .ts_ns = t->ts_ns, .price = t->v[0],
				   .qty = t->v[1],
				   .aggressor = (uint32_t)t->v[2], .id = t->id };
}

void
trd_tick_to_quote(const struct trd_tick *t, uint32_t sym,
		  struct trd_quote *out)
{
	*out = (struct trd_quote){ .size = sizeof(*out), .sym = sym,
				   .ts_ns = t->ts_ns, .bid = t->v[0],
				   .bid_qty = t->v[1], .ask = t->v[2],
				   .ask_qty = t->v[3] };
}

void
trd_tick_from_trade(struct trd_tick *t, const struct trd_trade *tr)
{
	*t = (struct trd_tick){ .ts_ns = tr->ts_ns, .id = tr->id,
				.v = { tr->price, tr->qty,
				       (int64_t)tr->aggressor, 0 } };
}

void
trd_tick_from_quote(struct trd_tick *t, const struct trd_quote *q,
		    uint64_t ordinal)
{
	*t = (struct trd_tick){ .ts_ns = q->ts_ns, .id = ordinal,
				.v = { q->bid, q->bid_qty, q->ask,
				       q->ask_qty } };
}
