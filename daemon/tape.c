/*
 * tape: see tape.h.
 *
 * The writer keeps two buffers: the loop appends to fill while the worker
 * commits work.  A flush swaps them when the worker is idle.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "tape.h"
#include "ticks.h"

struct tick {
	uint32_t        sym;  /* store id */
	int             kind; /* TRD_TICK_* */
	struct trd_tick t;
};

struct buf {
	unsigned char *p;
	size_t         n, cap;
	struct trd_bar *bars;
	size_t         nbars, capbars;
	struct tick    *ticks;
	size_t         nticks, capticks;
};

struct trd_tape_w {
	uv_loop_t        *loop;
	struct trd_store *s;
	MDB_dbi           dbi;
	uint32_t          retention_h;
	int               record;
	uint64_t          seq;
	struct buf        fill, work;
	uv_work_t         req;
	int               busy;
	int               closing;
	int               rc;        /* the worker's result */
	int64_t           newest;    /* newest ts kept (retention) */
	int64_t           work_newest; /* ... as of the batch in work */
	struct trd_tape_stats st;
};

static void
be64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static uint64_t
rd_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
rd_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int
open_dbi(struct trd_store *s, int create, MDB_dbi *dbi)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, create ? 0 : MDB_RDONLY,
				&txn)) != 0)
		return rc;
	/* Committed even when read-only: an aborted transaction would close
	 * the handle it opened. */
	rc = mdb_dbi_open(txn, "tape", create ? MDB_CREATE : 0, dbi);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	return rc == MDB_NOTFOUND ? TRD_ENOTFOUND : rc;
}

int
trd_tape_writer_new(struct trd_tape_w **out, uv_loop_t *loop,
		    struct trd_store *s, uint32_t retention_h, int record)
{
	struct trd_tape_w *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (w == NULL)
		return -ENOMEM;
	w->loop = loop;
	w->s = s;
	w->retention_h = retention_h;
	w->record = record;
	if ((rc = open_dbi(s, 1, &w->dbi)) != 0) {
		log_error("tape: cannot open it in %s: %s", s->dir,
			  trd_strerror(rc));
		free(w);
		return rc;
	}
	/* Continue the sequence after what is stored. */
	{
		MDB_txn *txn;
		MDB_cursor *c;
		MDB_val k, v;
		if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == 0) {
			if (mdb_cursor_open(txn, w->dbi, &c) == 0) {
				if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 &&
				    k.mv_size == TRD_TAPE_KEY)
					w->seq = rd_be64((unsigned char *)
							 k.mv_data + 8) + 1;
				mdb_cursor_close(c);
			}
			mdb_txn_abort(txn);
		}
	}
	w->req.data = w;
	*out = w;
	return 0;
}

static int
reserve(struct buf *b, size_t more)
{
	if (b->n + more > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		unsigned char *p;
		while (cap < b->n + more)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	return 0;
}

void
trd_tape_put(struct trd_tape_w *w, const struct trd_feed_in *in)
{
	struct buf *b = &w->fill;
	unsigned char *p;
	size_t vlen = TRD_TAPE_HDR + in->len;

	if (!w->record)
		return;
	if (reserve(b, TRD_TAPE_KEY + 4 + vlen) != 0) {
		w->st.errors++;
		return;
	}
	p = b->p + b->n;
	be64(p, (uint64_t)in->ts_ns ^ (1ULL << 63));
	be64(p + 8, w->seq++);
	le(p + 16, vlen, 4);
	p += TRD_TAPE_KEY + 4;
	memset(p, 0, TRD_TAPE_HDR);
	p[0] = TRD_TAPE_VERSION;
	p[1] = in->kind;
	p[2] = in->what;
	le(p + 4, in->conn, 2);
	le(p + 8, in->ins, 4);
	le(p + 12, (uint32_t)in->status, 4);
	le(p + 16, in->arg, 8);
	if (in->len)
		memcpy(p + TRD_TAPE_HDR, in->data, in->len);
	b->n += TRD_TAPE_KEY + 4 + vlen;
	w->st.records++;
	w->st.bytes += in->len;
	if (in->ts_ns > w->newest)
		w->newest = in->ts_ns;
}

void
trd_tape_bar(struct trd_tape_w *w, const struct trd_bar *bar)
{
	struct buf *b = &w->fill;

	if (b->nbars == b->capbars) {
		size_t cap = b->capbars ? b->capbars * 2 : 256;
		struct trd_bar *n = realloc(b->bars, cap * sizeof(*n));
		if (n == NULL) {
			w->st.errors++;
			return;
		}
		b->bars = n;
		b->capbars = cap;
	}
	b->bars[b->nbars++] = *bar;
}

void
trd_tape_tick(struct trd_tape_w *w, uint32_t sym, int kind,
	      const struct trd_tick *t)
{
	struct buf *b = &w->fill;

	if (!w->record)
		return;
	if (b->nticks == b->capticks) {
		size_t cap = b->capticks ? b->capticks * 2 : 1024;
		struct tick *n = realloc(b->ticks, cap * sizeof(*n));
		if (n == NULL) {
			w->st.errors++;
			return;
		}
		b->ticks = n;
		b->capticks = cap;
	}
	b->ticks[b->nticks++] = (struct tick){ sym, kind, *t };
}

/* ---- the worker: one LMDB write transaction per batch ---- */

static int
write_records(struct trd_tape_w *w, const struct buf *b, int64_t newest)
{
	MDB_txn *txn;
	MDB_cursor *c;
	size_t off = 0;
	int rc;

	if ((rc = mdb_txn_begin(w->s->env, NULL, 0, &txn)) != 0)
		return rc;
	while (off < b->n) {
		MDB_val k = { TRD_TAPE_KEY, b->p + off };
		uint32_t vlen = (uint32_t)rd_le(b->p + off + TRD_TAPE_KEY, 4);
		MDB_val v = { vlen, b->p + off + TRD_TAPE_KEY + 4 };
		rc = mdb_put(txn, w->dbi, &k, &v, MDB_APPEND);
		if (rc == MDB_KEYEXIST) /* an older time than the last key */
			rc = mdb_put(txn, w->dbi, &k, &v, 0);
		if (rc != 0) {
			mdb_txn_abort(txn);
			return rc;
		}
		off += TRD_TAPE_KEY + 4 + vlen;
	}
	/* Retention: the oldest records go, a bounded number per batch. */
	if (w->retention_h > 0 && newest > 0 &&
	    mdb_cursor_open(txn, w->dbi, &c) == 0) {
		int64_t cut = newest - (int64_t)w->retention_h * 3600 *
				       1000000000LL;
		MDB_val k, v;
		int n = 0;
		while (n < 100000 &&
		       mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0 &&
		       k.mv_size == TRD_TAPE_KEY &&
		       (int64_t)(rd_be64(k.mv_data) ^ (1ULL << 63)) < cut) {
			if (mdb_cursor_del(c, 0) != 0)
				break;
			n++;
		}
		w->st.deleted += (uint64_t)n;
		mdb_cursor_close(c);
	}
	return mdb_txn_commit(txn);
}

static int
write_bars(struct trd_tape_w *w, const struct buf *b)
{
	struct trd_store_batch sb;
	int rc;

	if (b->nbars == 0)
		return 0;
	if ((rc = trd_store_batch_begin(w->s, &sb)) != 0)
		return rc;
	for (size_t i = 0; i < b->nbars; i++) {
		enum trd_put_result res;
		rc = trd_store_batch_put(&sb, &b->bars[i], &res);
		if (rc == TRD_ECONFLICT)
			continue; /* a stored bar differs: it is kept */
		if (rc != 0) {
			trd_store_batch_abort(&sb);
			return rc;
		}
	}
	return trd_store_batch_commit(&sb);
}

static int
write_ticks(struct trd_tape_w *w, const struct buf *b)
{
	struct trd_tick_batch tb;
	int rc;

	if (b->nticks == 0)
		return 0;
	if ((rc = trd_tick_batch_begin(w->s, &tb)) != 0)
		return rc;
	for (size_t i = 0; i < b->nticks; i++) {
		enum trd_put_result res;
		rc = trd_tick_batch_put(&tb, b->ticks[i].sym, b->ticks[i].kind,
					&b->ticks[i].t, &res);
		if (rc == TRD_ECONFLICT)
			continue; /* a stored tick differs: it is kept */
		if (rc != 0) {
			trd_tick_batch_abort(&tb);
			return rc;
		}
	}
	return trd_tick_batch_commit(&tb);
}

static int
commit(struct trd_tape_w *w, const struct buf *b, int64_t newest)
{
	int rc;

	for (int tries = 0; tries < 8; tries++) {
		rc = b->n ? write_records(w, b, newest) : 0;
		if (rc == 0)
			rc = write_bars(w, b);
		if (rc == 0)
			rc = write_ticks(w, b);
		if (rc != MDB_MAP_FULL)
			return rc;
		if ((rc = trd_store_grow(w->s)) != 0)
			return rc;
	}
	return rc;
}

static void
work_cb(uv_work_t *req)
{
	struct trd_tape_w *w = req->data;

	w->rc = commit(w, &w->work, w->work_newest);
	/* What the commit walked need not stay resident in the daemon. */
	trd_store_drop_pages(w->s);
}

static void
note(struct trd_tape_w *w, int rc)
{
	if (rc == 0) {
		w->st.commits++;
		w->st.bars += w->work.nbars;
		w->st.ticks += w->work.nticks;
	} else {
		w->st.errors++;
		if (w->st.errors <= 5 || w->st.errors % 100 == 0)
			log_error("tape: commit to %s failed: %s (%zu bytes "
				  "and %zu bars lost)", w->s->dir,
				  trd_strerror(rc), w->work.n,
				  w->work.nbars);
	}
	w->work.n = 0;
	w->work.nbars = 0;
	w->work.nticks = 0;
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	free(b->bars);
	free(b->ticks);
}

static void
finish(struct trd_tape_w *w)
{
	struct buf t = w->work;

	w->work = w->fill;
	w->fill = t;
	note(w, commit(w, &w->work, w->newest));
	buf_free(&w->fill);
	buf_free(&w->work);
	free(w);
}

static void
after_cb(uv_work_t *req, int status)
{
	struct trd_tape_w *w = req->data;

	(void)status;
	w->busy = 0;
	note(w, w->rc);
	if (w->closing)
		finish(w);
}

void
trd_tape_flush(struct trd_tape_w *w)
{
	struct buf t;

	if (w->busy ||
	    (w->fill.n == 0 && w->fill.nbars == 0 && w->fill.nticks == 0))
		return;
	t = w->work;
	w->work = w->fill;
	w->fill = t;
	w->work_newest = w->newest;
	w->busy = 1;
	if (uv_queue_work(w->loop, &w->req, work_cb, after_cb) != 0) {
		w->busy = 0;
		note(w, commit(w, &w->work, w->newest));
	}
}

void
trd_tape_writer_close(struct trd_tape_w *w)
{
	if (w == NULL)
		return;
	w->closing = 1;
	if (!w->busy)
		finish(w);
}

const struct trd_tape_stats *
trd_tape_stats(const struct trd_tape_w *w)
{
	return &w->st;
}

/* ---- reading ---- */

int
trd_tape_open(struct trd_tape_r *r, struct trd_store *s, int64_t from_ns,
	      int64_t to_ns)
{
	MDB_dbi dbi;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = open_dbi(s, 0, &dbi)) != 0)
		return rc;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &r->txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(r->txn, dbi, &r->cur)) != 0) {
		mdb_txn_abort(r->txn);
		return rc;
	}
	r->s = s;
	r->from_ns = from_ns;
	r->to_ns = to_ns;
	return 0;
}

int
trd_tape_next(struct trd_tape_r *r, struct trd_feed_in *in)
{
	MDB_val k, v;
	const unsigned char *p;
	int rc;

	if (!r->started) {
		unsigned char key[TRD_TAPE_KEY];
		be64(key, (uint64_t)r->from_ns ^ (1ULL << 63));
		memset(key + 8, 0, 8);
		k.mv_size = sizeof(key);
		k.mv_data = key;
		r->started = 1;
		rc = mdb_cursor_get(r->cur, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(r->cur, &k, &v, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (k.mv_size != TRD_TAPE_KEY || v.mv_size < TRD_TAPE_HDR)
		return TRD_EVERSION;
	p = v.mv_data;
	if (p[0] != TRD_TAPE_VERSION)
		return TRD_EVERSION;
	memset(in, 0, sizeof(*in));
	in->ts_ns = (int64_t)(rd_be64(k.mv_data) ^ (1ULL << 63));
	if (in->ts_ns >= r->to_ns)
		return 0;
	r->seq = rd_be64((const unsigned char *)k.mv_data + 8);
	in->kind = p[1];
	in->what = p[2];
	in->conn = (uint16_t)rd_le(p + 4, 2);
	in->ins = (uint32_t)rd_le(p + 8, 4);
	in->status = (int32_t)(uint32_t)rd_le(p + 12, 4);
	in->arg = rd_le(p + 16, 8);
	in->data = (const char *)p + TRD_TAPE_HDR;
	in->len = v.mv_size - TRD_TAPE_HDR;
	return 1;
}

void
trd_tape_close(struct trd_tape_r *r)
{
	if (r->cur)
		mdb_cursor_close(r->cur);
	if (r->txn)
		mdb_txn_abort(r->txn);
	memset(r, 0, sizeof(*r));
}
