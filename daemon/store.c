/*
 * store: see store.h for the layout and the guarantees.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdio.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "store.h"
#include "wfile.h"

/*
 * Explicit little-endian and big-endian codecs: the on-disk format does not
 * depend on the host.  memcpy plus a byte swap compiles to one load (and a
 * bswap) on the hot replay path.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TO_LE64(v) (v)
#define TO_LE32(v) (v)
#define TO_BE64(v) __builtin_bswap64(v)
#define TO_BE32(v) __builtin_bswap32(v)
#else
#define TO_LE64(v) __builtin_bswap64(v)
#define TO_LE32(v) __builtin_bswap32(v)
#define TO_BE64(v) (v)
#define TO_BE32(v) (v)
#endif

static inline void
put_le64(uint8_t *p, uint64_t v)
{
	v = TO_LE64(v);
	memcpy(p, &v, 8);
}

static inline uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return TO_LE64(v);
}

static inline void
put_le32(uint8_t *p, uint32_t v)
{
	v = TO_LE32(v);
	memcpy(p, &v, 4);
}

static inline uint32_t
get_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return TO_LE32(v);
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
	v = TO_BE32(v);
	memcpy(p, &v, 4);
}

static inline uint32_t
get_be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return TO_BE32(v);
}

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	v = TO_BE64(v);
	memcpy(p, &v, 8);
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return TO_BE64(v);
}

/*
 * Series keys are (sym, tf) big-endian.  A bar record starts with its time
 * + 2^63, big-endian, so that byte order is time order (negative, pre-1970
 * times included); the prices follow little-endian.
 */
static inline void
series_key(uint8_t key[TRD_SERIES_KEY_SIZE], uint32_t sym, uint32_t tf_s)
{
	put_be32(key, sym);
	put_be32(key + 4, tf_s);
}

static inline void
put_ts(uint8_t *p, int64_t ts_ns)
{
	put_be64(p, (uint64_t)ts_ns ^ (1ULL << 63));
}

static inline int64_t
get_ts(const uint8_t *p)
{
	return (int64_t)(get_be64(p) ^ (1ULL << 63));
}

static void
bar_encode(uint8_t rec[TRD_BAR_REC_SIZE], const struct trd_bar *b)
{
	put_ts(rec, b->ts_ns);
	put_le64(rec + 8, (uint64_t)b->open);
	put_le64(rec + 16, (uint64_t)b->high);
	put_le64(rec + 24, (uint64_t)b->low);
	put_le64(rec + 32, (uint64_t)b->close);
	put_le64(rec + 40, (uint64_t)b->volume);
}

static inline void
bar_decode(const uint8_t *rec, uint32_t sym, uint32_t tf_s,
	   struct trd_bar *out)
{
	out->sym = sym;
	out->tf_s = tf_s;
	out->ts_ns = get_ts(rec);
	out->open = (int64_t)get_le64(rec + 8);
	out->high = (int64_t)get_le64(rec + 16);
	out->low = (int64_t)get_le64(rec + 24);
	out->close = (int64_t)get_le64(rec + 32);
	out->volume = (int64_t)get_le64(rec + 40);
}

/*
 * Decode n records into dst (stride bytes apart) and add them to m: one
 * hash step (the xor of the fields, then a multiply-add that makes the
 * order count) and the last bucket's high and low, kept in registers.
 */
static void
decode_summarised(struct trd_series_summary *m, const uint8_t *rec,
		  uint32_t n, uint32_t sym, uint32_t tf_s, char *dst,
		  size_t stride)
{
	uint64_t h = m->hash;
	int64_t hi, lo, end;
	const struct trd_bar *o = NULL;

	if (n == 0)
		return;
	if (m->nbars == 0) {
		bar_decode(rec, sym, tf_s, (struct trd_bar *)dst);
		o = (const struct trd_bar *)dst;
		m->first_ns = o->ts_ns;
		m->first_open = o->open;
		trd_summary_bucket(m, o);
	}
	hi = m->b[m->nb - 1].h;
	lo = m->b[m->nb - 1].l;
	end = m->cur_end;
	for (uint32_t j = 0; j < n; j++) {
		struct trd_bar *b = (struct trd_bar *)(dst + j * stride);

		bar_decode(rec + (size_t)j * TRD_BAR_REC_SIZE, sym, tf_s, b);
		h = h * 0x100000001b3ULL +
		    (uint64_t)(b->ts_ns ^ b->open ^ b->high ^ b->low ^
			       b->close ^ b->volume);
		if (__builtin_expect(b->ts_ns >= end, 0)) {
			struct trd_bar_bucket *p = &m->b[m->nb - 1];
			p->h = hi;
			p->l = lo;
			if (o != NULL && o != b)
				p->c = o->close;
			trd_summary_bucket(m, b);
			hi = m->b[m->nb - 1].h;
			lo = m->b[m->nb - 1].l;
			end = m->cur_end;
		}
		hi = b->high > hi ? b->high : hi;
		lo = b->low < lo ? b->low : lo;
		o = b;
	}
	m->b[m->nb - 1].h = hi;
	m->b[m->nb - 1].l = lo;
	m->b[m->nb - 1].c = o->close;
	m->hash = h;
	m->nbars += n;
	m->last_ns = o->ts_ns;
	m->last_close = o->close;
}

#define INSTR_REC_SIZE 24

static void
instr_encode(uint8_t rec[INSTR_REC_SIZE], const struct trd_instrument *in)
{
	rec[0] = TRD_INSTR_REC_VERSION;
	rec[1] = in->price_dp;
	rec[2] = in->qty_dp;
	rec[3] = 0;
	put_le32(rec + 4, in->id);
	put_le64(rec + 8, (uint64_t)in->tick_size);
	put_le64(rec + 16, (uint64_t)in->lot_size);
}

static int
instr_decode(const MDB_val *k, const MDB_val *v, struct trd_instrument *out)
{
	const uint8_t *rec = v->mv_data;

	if (v->mv_size < INSTR_REC_SIZE || rec[0] != TRD_INSTR_REC_VERSION ||
	    k->mv_size == 0 || k->mv_size > TRD_SYMBOL_MAX ||
	    rec[1] > TRD_MAX_DP || rec[2] > TRD_MAX_DP)
		return TRD_EVERSION;
	memset(out, 0, sizeof(*out));
	memcpy(out->symbol, k->mv_data, k->mv_size);
	out->price_dp = rec[1];
	out->qty_dp = rec[2];
	out->id = get_le32(rec + 4);
	out->tick_size = (int64_t)get_le64(rec + 8);
	out->lot_size = (int64_t)get_le64(rec + 16);
	return 0;
}

int
trd_symbol_valid(const char *sym)
{
	size_t n = 0;

	for (; sym[n]; n++) {
		char c = sym[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return n > 0 && n <= TRD_SYMBOL_MAX;
}

#define SERIES_FLAGS (MDB_DUPSORT | MDB_DUPFIXED)

/* The store's format number, 0 when none is recorded (a new store). */
static int
read_format(struct trd_store *s, MDB_txn *txn, uint32_t *fmt)
{
	MDB_val k = { 6, "format" }, v;
	int rc = mdb_get(txn, s->dbi_meta, &k, &v);

	if (rc == MDB_NOTFOUND) {
		*fmt = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (v.mv_size != 4) {
		log_error("data store '%s': its format record is %zu bytes, "
			  "not 4; not a store this traderd can read",
			  s->dir, v.mv_size);
		return TRD_EVERSION;
	}
	*fmt = get_le32(v.mv_data);
	return 0;
}

static int
write_format(struct trd_store *s, MDB_txn *txn)
{
	MDB_val k = { 6, "format" }, v;
	uint8_t buf[4];

	put_le32(buf, TRD_STORE_FORMAT);
	v = (MDB_val){ 4, buf };
	return mdb_put(txn, s->dbi_meta, &k, &v, 0);
}

static int batch_init(struct trd_store_batch *b, struct trd_store *s,
		      MDB_txn *txn);
static int batch_flush(struct trd_store_batch *b);
static void batch_release(struct trd_store_batch *b);

/*
 * Format 1 kept one record per bar in "bars": key (sym u32 BE, tf u32 BE,
 * ts + 2^63 u64 BE), value (version 1, 7 bytes zero, open, high, low,
 * close, volume i64 LE).  Rewrite them as format 2 series inside txn and
 * empty "bars"; the caller commits, so the conversion is all or nothing.
 */
static int
upgrade_v1(struct trd_store *s, MDB_txn *txn)
{
	struct trd_store_batch b;
	MDB_cursor *old = NULL;
	MDB_dbi bars;
	MDB_val k, v;
	uint64_t n = 0;
	int rc;

	rc = mdb_dbi_open(txn, "bars", 0, &bars);
	if (rc == MDB_NOTFOUND)
		return 0; /* a format 1 store without bars */
	if (rc != 0)
		return rc;
	if ((rc = batch_init(&b, s, txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, bars, &old)) != 0)
		goto out;
	for (rc = mdb_cursor_get(old, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(old, &k, &v, MDB_NEXT)) {
		const uint8_t *key = k.mv_data, *val = v.mv_data;
		uint8_t rec[TRD_BAR_REC_SIZE];
		enum trd_put_result res;
		struct trd_bar bar;

		if (k.mv_size != 16 || v.mv_size < 48 || val[0] != 1) {
			log_error("data store '%s': format 1 bar record %llu "
				  "is not one this traderd knows (key %zu "
				  "bytes, value %zu bytes, version %u); "
				  "nothing was changed", s->dir,
				  (unsigned long long)n + 1, k.mv_size,
				  v.mv_size, v.mv_size ? val[0] : 0);
			rc = TRD_EVERSION;
			goto out;
		}
		memcpy(rec, key + 8, 8);
		memcpy(rec + 8, val + 8, 40);
		bar_decode(rec, get_be32(key), get_be32(key + 4), &bar);
		if ((rc = trd_store_batch_put(&b, &bar, &res)) != 0)
			goto out;
		n++;
	}
	if (rc != MDB_NOTFOUND || (rc = batch_flush(&b)) != 0)
		goto out;
	mdb_cursor_close(old);
	old = NULL;
	if ((rc = mdb_drop(txn, bars, 0)) == 0) /* emptied, kept: see below */
		s->upgraded = n;
out:
	if (old)
		mdb_cursor_close(old);
	batch_release(&b);
	return rc;
}

/* Open the databases in txn; checks the format, and for a writer records
 * it (upgrading a format 1 store). */
static int
open_dbis_txn(struct trd_store *s, MDB_txn *txn)
{
	int rdonly = s->flags & TRD_STORE_RDONLY;
	unsigned int f = rdonly ? 0 : MDB_CREATE;
	uint32_t fmt;
	int rc;

	if ((rc = mdb_dbi_open(txn, "meta", f, &s->dbi_meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "instruments", f, &s->dbi_instr)) != 0 ||
	    (rc = read_format(s, txn, &fmt)) != 0)
		return rc;
	if (fmt > TRD_STORE_FORMAT) {
		log_error("data store '%s' has format %u; this traderd reads "
			  "format %d or older", s->dir, fmt, TRD_STORE_FORMAT);
		return TRD_EVERSION;
	}
	if (fmt == 1 && rdonly) {
		log_error("data store '%s' has format 1 (from an older "
			  "traderd); this one reads format %d: upgrade it "
			  "with 'traderctl --data-dir %s db upgrade' (one "
			  "transaction; stop readers of the old version "
			  "first)", s->dir, TRD_STORE_FORMAT, s->dir);
		return TRD_EVERSION;
	}
	if ((rc = mdb_dbi_open(txn, "series", f | SERIES_FLAGS,
			       &s->dbi_series)) != 0)
		return rc;
	/* Trades and quotes (ticks.h): a store from before them has none,
	 * which a reader takes as empty. */
	rc = mdb_dbi_open(txn, "ticks", f | SERIES_FLAGS, &s->dbi_ticks);
	if (rc == MDB_NOTFOUND && rdonly)
		rc = 0;
	else if (rc != 0)
		return rc;
	else
		s->have_ticks = 1;
	if (fmt == 1 && (rc = upgrade_v1(s, txn)) != 0)
		return rc;
	if (fmt != TRD_STORE_FORMAT && !rdonly) {
		/* Format 1's "bars" stays, empty: a traderd from before
		 * format 2 opens it, reaches its format check and names the
		 * format, instead of calling the store empty. */
		MDB_dbi bars;
		if ((rc = mdb_dbi_open(txn, "bars", MDB_CREATE, &bars)) != 0)
			return rc;
		rc = write_format(s, txn);
	}
	return rc;
}

static int
open_dbis(struct trd_store *s)
{
	int rdonly = s->flags & TRD_STORE_RDONLY;
	MDB_txn *txn;
	int rc;

	for (;;) {
		s->upgraded = 0;
		rc = mdb_txn_begin(s->env, NULL, rdonly ? MDB_RDONLY : 0, &txn);
		if (rc != 0)
			return rc;
		if ((rc = open_dbis_txn(s, txn)) == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		/* An upgrade may need a bigger map: grow and redo it. */
		if (rc != MDB_MAP_FULL || rdonly)
			break;
		if ((rc = trd_store_grow(s)) != 0)
			return rc;
	}
	if (rc == MDB_NOTFOUND) {
		log_error("data store '%s' is empty: import data first "
			  "(traderctl import)", s->dir);
		return TRD_ENOTFOUND;
	}
	if (rc == 0 && s->upgraded)
		log_info("data store '%s': upgraded to format %d (%llu bars "
			 "rewritten)", s->dir, TRD_STORE_FORMAT,
			 (unsigned long long)s->upgraded);
	return rc;
}

int
trd_store_open(struct trd_store **out, const char *dir, int flags,
	       const struct trd_store_opts *opts)
{
	struct trd_store *s;
	struct stat st;
	unsigned int envf = MDB_NOTLS;
	int rc;

	if (strlen(dir) >= sizeof(s->dir)) {
		log_error("data dir path too long");
		return -ENAMETOOLONG;
	}
	if ((flags & TRD_STORE_CREATE) && (rc = trd_mkdir_p(dir, 0750)) != 0) {
		log_error("cannot create data dir '%s': %s", dir,
			  trd_strerror(rc));
		return rc;
	}
	if (stat(dir, &st) == -1) {
		rc = -errno;
		log_error("data dir '%s': %s%s", dir, trd_strerror(rc),
			  rc == -ENOENT ? " (import data first with "
					  "'traderctl import')" : "");
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("data dir '%s' is not a directory", dir);
		return -ENOTDIR;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	strcpy(s->dir, dir);
	s->flags = flags;
	s->map_size = opts && opts->map_size ? opts->map_size
					     : TRD_STORE_MAP_DEFAULT;
	s->map_max = opts && opts->map_max ? opts->map_max
					   : TRD_STORE_MAX_DEFAULT;
	if (s->map_size > s->map_max)
		s->map_size = s->map_max;
	if (flags & TRD_STORE_RDONLY)
		envf |= MDB_RDONLY;
	if ((rc = mdb_env_create(&s->env)) != 0)
		goto fail;
	if ((rc = mdb_env_set_maxdbs(s->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, s->map_size)) != 0)
		goto fail;
	if ((rc = mdb_env_open(s->env, dir, envf, 0640)) != 0) {
		if (rc > 0)
			rc = -rc; /* LMDB returns errno values positive */
		if (rc == -ENOENT && (flags & TRD_STORE_RDONLY)) {
			log_error("no data store in '%s' (import data first "
				  "with 'traderctl import')", dir);
			goto fail_logged;
		}
		log_error("cannot open data store '%s'%s: %s%s", dir,
			  (flags & TRD_STORE_RDONLY) ? "" : " for writing",
			  trd_strerror(rc),
			  rc == -EACCES ? " (readers too need write access "
					  "to its lock.mdb)" : "");
		goto fail_logged;
	}
	{
		/* An existing store may already be larger than map_size. */
		MDB_envinfo info;
		mdb_env_info(s->env, &info);
		if (info.me_mapsize > s->map_size)
			s->map_size = info.me_mapsize;
	}
	if ((rc = open_dbis(s)) != 0)
		goto fail;
	*out = s;
	return 0;

fail:
	if (rc != TRD_ENOTFOUND && rc != TRD_EVERSION)
		log_error("data store '%s': %s", dir, trd_strerror(rc));
fail_logged:
	if (s->env)
		mdb_env_close(s->env);
	free(s);
	return rc;
}

void
trd_store_close(struct trd_store *s)
{
	if (s == NULL)
		return;
	mdb_env_close(s->env);
	free(s);
}

static int find_map(struct trd_store *s);

void
trd_store_drop_pages(struct trd_store *s)
{
	/* (mdb_env_info's me_mapaddr is only set for a fixed map.) */
	if (find_map(s) == 0)
		madvise(s->map_addr, s->map_len, MADV_DONTNEED);
}

int
trd_store_grow(struct trd_store *s)
{
	size_t want;
	int rc;

	if (s->map_size >= s->map_max) {
		log_error("data store '%s' is full at %zu MiB (store.map_max); "
			  "raise store.map_max in the config",
			  s->dir, s->map_max >> 20);
		return TRD_EFULL;
	}
	want = s->map_size * 2 > s->map_max ? s->map_max : s->map_size * 2;
	if ((rc = mdb_env_set_mapsize(s->env, want)) != 0) {
		log_error("data store '%s': cannot grow map to %zu MiB: %s",
			  s->dir, want >> 20, trd_strerror(rc));
		return rc;
	}
	log_info("data store '%s': map grown to %zu MiB", s->dir, want >> 20);
	s->map_size = want;
	s->map_addr = NULL; /* LMDB may have moved it */
	return 0;
}

void
trd_store_reserve(struct trd_store *s, size_t bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	size_t used;

	if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0)
		return;
	used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	while (used + bytes > s->map_size && s->map_size < s->map_max)
		if (trd_store_grow(s) != 0)
			return;
}

/*
 * Find where LMDB mapped data.mdb in this process.  mdb_env_info() reports
 * the address only for MDB_FIXEDMAP environments, so look the mapping up
 * by the file's device and inode in /proc/self/maps.
 */
static int
find_map(struct trd_store *s)
{
	struct stat st;
	FILE *f;
	char line[512];
	int fd;

	if (s->map_addr)
		return 0;
	if (mdb_env_get_fd(s->env, &fd) != 0 || fstat(fd, &st) == -1 ||
	    (f = fopen("/proc/self/maps", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino;
		unsigned maj, mnr;
		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &lo, &hi, &maj,
			   &mnr, &ino) != 5)
			continue;
		if (ino == st.st_ino && makedev(maj, mnr) == st.st_dev) {
			s->map_addr = (void *)lo;
			s->map_len = hi - lo;
			break;
		}
	}
	fclose(f);
	return s->map_addr ? 0 : -1;
}

static int
instr_get_txn(struct trd_store *s, MDB_txn *txn, const char *sym,
	      struct trd_instrument *out)
{
	MDB_val k = { strlen(sym), (void *)sym }, v;
	int rc;

	if ((rc = mdb_get(txn, s->dbi_instr, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? TRD_ENOTFOUND : rc;
	return instr_decode(&k, &v, out);
}

int
trd_store_instrument_get(struct trd_store *s, const char *sym,
			 struct trd_instrument *out)
{
	MDB_txn *txn;
	int rc;

	if (!trd_symbol_valid(sym))
		return TRD_ESYNTAX;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	rc = instr_get_txn(s, txn, sym, out);
	mdb_txn_abort(txn);
	return rc;
}

int
trd_store_instrument_need(struct trd_store *s, const char *sym,
			  struct trd_instrument *out)
{
	int rc = trd_store_instrument_get(s, sym, out);

	if (rc != 0)
		log_error("instrument %s: %s in data store '%s' (import it "
			  "with traderctl import)", sym,
			  rc == TRD_ENOTFOUND ? "no data" : trd_strerror(rc),
			  s->dir);
	return rc;
}

int
trd_store_instruments(struct trd_store *s, struct trd_instrument **out,
		      size_t *n)
{
	struct trd_instrument *arr = NULL, *tmp;
	size_t cnt = 0, cap = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi_instr, &cur)) != 0)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((tmp = realloc(arr, cap * sizeof(*arr))) == NULL) {
				rc = -ENOMEM;
				break;
			}
			arr = tmp;
		}
		if ((rc = instr_decode(&k, &v, &arr[cnt])) != 0)
			break;
		cnt++;
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	mdb_txn_abort(txn);
	if (rc != 0) {
		free(arr);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int
trd_store_instrument_by_id(struct trd_store *s, uint32_t id,
			   struct trd_instrument *out)
{
	struct trd_instrument *all;
	size_t n;
	int rc = trd_store_instruments(s, &all, &n);

	if (rc != 0)
		return rc;
	rc = TRD_ENOTFOUND;
	for (size_t i = 0; i < n; i++) {
		if (all[i].id == id) {
			*out = all[i];
			rc = 0;
			break;
		}
	}
	free(all);
	return rc;
}

/* One attempt at ensure; MDB_MAP_FULL is handled by the caller. */
static int
instr_ensure_txn(struct trd_store *s, const struct trd_instrument *in,
		 struct trd_instrument *out)
{
	MDB_txn *txn;
	MDB_val k = { 7, "next_id" }, v;
	struct trd_instrument cur;
	uint8_t idbuf[4], rec[INSTR_REC_SIZE];
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return rc;
	rc = instr_get_txn(s, txn, in->symbol, &cur);
	if (rc == 0) {
		int dirty = 0;
		if (in->tick_size && in->tick_size != cur.tick_size &&
		    in->price_dp == cur.price_dp) {
			cur.tick_size = in->tick_size;
			dirty = 1;
		}
		if (in->lot_size && in->lot_size != cur.lot_size &&
		    in->qty_dp == cur.qty_dp) {
			cur.lot_size = in->lot_size;
			dirty = 1;
		}
		if (!dirty) {
			mdb_txn_abort(txn);
			*out = cur;
			return 0;
		}
	} else if (rc == TRD_ENOTFOUND) {
		cur = *in;
		rc = mdb_get(txn, s->dbi_meta, &k, &v);
		if (rc == MDB_NOTFOUND)
			cur.id = 1;
		else if (rc == 0 && v.mv_size == 4)
			cur.id = get_le32(v.mv_data);
		else
			goto fail;
		put_le32(idbuf, cur.id + 1);
		v = (MDB_val){ 4, idbuf };
		if ((rc = mdb_put(txn, s->dbi_meta, &k, &v, 0)) != 0)
			goto fail;
	} else {
		goto fail;
	}
	instr_encode(rec, &cur);
	k = (MDB_val){ strlen(cur.symbol), cur.symbol };
	v = (MDB_val){ sizeof(rec), rec };
	if ((rc = mdb_put(txn, s->dbi_instr, &k, &v, 0)) != 0)
		goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0)
		return rc;
	*out = cur;
	return 0;
fail:
	mdb_txn_abort(txn);
	return rc;
}

int
trd_store_next_run(struct trd_store *s, uint64_t *run)
{
	MDB_val k = { 7, "run_seq" }, v;
	uint8_t buf[8];
	uint64_t n = 0;
	MDB_txn *txn;
	int rc;

	if (s->flags & TRD_STORE_RDONLY)
		return -EROFS;
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
			break;
		rc = mdb_get(txn, s->dbi_meta, &k, &v);
		if (rc == 0 && v.mv_size == 8) {
			n = get_le64(v.mv_data);
		} else if (rc != MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			if (rc == 0)
				rc = TRD_EVERSION;
			break;
		}
		put_le64(buf, ++n);
		v = (MDB_val){ 8, buf };
		if ((rc = mdb_put(txn, s->dbi_meta, &k, &v, 0)) != 0) {
			mdb_txn_abort(txn);
		} else if ((rc = mdb_txn_commit(txn)) == 0) {
			*run = n;
			return 0;
		}
		if (rc != MDB_MAP_FULL || trd_store_grow(s) != 0)
			break;
	}
	log_error("data store '%s': cannot record a new run: %s", s->dir,
		  trd_strerror(rc));
	return rc;
}

int
trd_store_instrument_ensure(struct trd_store *s,
			    const struct trd_instrument *in,
			    struct trd_instrument *out)
{
	int rc;

	if (!trd_symbol_valid(in->symbol) || in->price_dp > TRD_MAX_DP ||
	    in->qty_dp > TRD_MAX_DP)
		return TRD_ESYNTAX;
	while ((rc = instr_ensure_txn(s, in, out)) == MDB_MAP_FULL)
		if ((rc = trd_store_grow(s)) != 0)
			return rc;
	return rc;
}

/* Bars gathered before they are appended in one MDB_MULTIPLE put. */
#define BATCH_RUN 1024

static int
batch_init(struct trd_store_batch *b, struct trd_store *s, MDB_txn *txn)
{
	int rc;

	*b = (struct trd_store_batch){ .store = s, .txn = txn };
	if ((b->run = malloc(BATCH_RUN * TRD_BAR_REC_SIZE)) == NULL)
		return -ENOMEM;
	if ((rc = mdb_cursor_open(txn, s->dbi_series, &b->cur)) != 0) {
		free(b->run);
		b->run = NULL;
	}
	return rc;
}

static void
batch_release(struct trd_store_batch *b)
{
	if (b->cur)
		mdb_cursor_close(b->cur);
	free(b->run);
	b->cur = NULL;
	b->run = NULL;
	b->nrun = 0;
}

/* Append the gathered run to its series. */
static int
batch_flush(struct trd_store_batch *b)
{
	MDB_val k = { TRD_SERIES_KEY_SIZE, b->last_key };
	MDB_val d[2] = { { TRD_BAR_REC_SIZE, b->run }, { b->nrun, NULL } };
	int rc;

	if (b->nrun == 0)
		return 0;
	rc = mdb_cursor_put(b->cur, &k, d, MDB_MULTIPLE | MDB_APPENDDUP);
	if (rc == 0 && d[1].mv_size != b->nrun)
		rc = -EIO; /* LMDB stored part of the run */
	b->nrun = 0;
	return rc;
}

int
trd_store_batch_begin(struct trd_store *s, struct trd_store_batch *b)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = batch_init(b, s, txn)) != 0) {
		mdb_txn_abort(txn);
		b->txn = NULL;
	}
	return rc;
}

/*
 * A series holds one bar per time, but LMDB's duplicates are whole
 * records: a bar with a stored time and other prices would go in beside
 * it.  So a put first looks for the time (the smallest record at or after
 * (ts, zeros)), unless the bar comes after the series' last one, the common
 * case of an import in time order: those are gathered into a run and
 * appended together without a search.
 */
int
trd_store_batch_put(struct trd_store_batch *b, const struct trd_bar *bar,
		    enum trd_put_result *res)
{
	uint8_t key[TRD_SERIES_KEY_SIZE], rec[TRD_BAR_REC_SIZE];
	uint8_t probe[TRD_BAR_REC_SIZE] = { 0 };
	MDB_val k = { sizeof(key), key }, v = { sizeof(rec), rec }, p;
	int rc;

	series_key(key, bar->sym, bar->tf_s);
	if (b->have_last && bar->ts_ns > b->last_ts &&
	    memcmp(key, b->last_key, sizeof(key)) == 0) {
		if (b->nrun == BATCH_RUN && (rc = batch_flush(b)) != 0)
			return rc;
		bar_encode(b->run + (size_t)b->nrun++ * TRD_BAR_REC_SIZE, bar);
		b->last_ts = bar->ts_ns;
		*res = TRD_PUT_INSERTED;
		return 0;
	}
	if ((rc = batch_flush(b)) != 0)
		return rc;
	bar_encode(rec, bar);
	put_ts(probe, bar->ts_ns);
	p = (MDB_val){ sizeof(probe), probe };
	rc = mdb_cursor_get(b->cur, &k, &p, MDB_GET_BOTH_RANGE);
	if (rc == 0 && p.mv_size == sizeof(rec) &&
	    memcmp(p.mv_data, rec, 8) == 0) {
		/* The time is stored: equal means a re-import. */
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
	/* Learn where the series now ends, for the appends that follow. */
	if ((rc = mdb_cursor_get(b->cur, &k, &p, MDB_LAST_DUP)) != 0)
		return rc;
	memcpy(b->last_key, key, sizeof(key));
	b->last_ts = get_ts(p.mv_data);
	b->have_last = 1;
	*res = TRD_PUT_INSERTED;
	return 0;
}

int
trd_store_batch_commit(struct trd_store_batch *b)
{
	int rc = batch_flush(b);

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
trd_store_batch_abort(struct trd_store_batch *b)
{
	if (b->txn == NULL)
		return;
	batch_release(b);
	mdb_txn_abort(b->txn);
	b->txn = NULL;
}

/* Bars per read transaction before it is renewed: bounds how long a replay
 * pins old pages (which would make a concurrent import grow the file) and
 * how much of the map stays resident. */
#define CURSOR_RENEW_BARS (1u << 17)

int
trd_bar_cursor_open(struct trd_bar_cursor *c, struct trd_store *s,
		    uint32_t sym, uint32_t tf_s, int64_t from_ns, int64_t to_ns)
{
	int rc;

	*c = (struct trd_bar_cursor){ .store = s, .next_ns = from_ns,
				      .to_ns = to_ns };
	series_key(c->key, sym, tf_s);
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &c->txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(c->txn, s->dbi_series, &c->cur)) != 0) {
		mdb_txn_abort(c->txn);
		c->txn = NULL;
	}
	return rc;
}

/*
 * Renew the read transaction and drop this process's mapping of pages it
 * has walked past.  MADV_DONTNEED on LMDB's read-only shared file mapping
 * only unmaps pages from this process; they stay in the page cache and are
 * faulted back on the next touch, so it is safe with other readers open.
 * This is what keeps a replay's RSS flat however long the history.
 */
static int
cursor_renew(struct trd_bar_cursor *c)
{
	int rc;

	mdb_txn_reset(c->txn);
	if (find_map(c->store) == 0)
		madvise(c->store->map_addr, c->store->map_len, MADV_DONTNEED);
	if ((rc = mdb_txn_renew(c->txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_renew(c->txn, c->cur)) != 0)
		return rc;
	c->since_renew = 0;
	c->page = NULL;
	return 0;
}

/* Take the page of records v (from MDB_GET_MULTIPLE or NEXT_MULTIPLE). */
static int
cursor_take_page(struct trd_bar_cursor *c, const MDB_val *v)
{
	if (v->mv_size == 0 || v->mv_size % TRD_BAR_REC_SIZE != 0)
		return TRD_EVERSION;
	c->page = v->mv_data;
	c->page_n = (uint32_t)(v->mv_size / TRD_BAR_REC_SIZE);
	c->page_i = 0;
	return 0;
}

/* Position on the first bar at or after next_ns and take its page.
 * Returns 0, MDB_NOTFOUND at the end of the series, or an error. */
static int
cursor_seek(struct trd_bar_cursor *c)
{
	uint8_t probe[TRD_BAR_REC_SIZE] = { 0 };
	MDB_val k = { sizeof(c->key), c->key }, v = { sizeof(probe), probe };
	MDB_val m = { 0, NULL };
	int rc;

	put_ts(probe, c->next_ns);
	if ((rc = mdb_cursor_get(c->cur, &k, &v, MDB_GET_BOTH_RANGE)) != 0)
		return rc;
	if (v.mv_size != TRD_BAR_REC_SIZE)
		return TRD_EVERSION;
	/* A series of one bar has no duplicates page: the record is it. */
	if ((rc = mdb_cursor_get(c->cur, &k, &m, MDB_GET_MULTIPLE)) != 0)
		return rc;
	if ((rc = cursor_take_page(c, m.mv_size ? &m : &v)) != 0)
		return rc;
	/* MDB_GET_MULTIPLE hands over the whole page: skip to next_ns. */
	while (c->page_i < c->page_n &&
	       get_ts(c->page + (size_t)c->page_i * TRD_BAR_REC_SIZE) <
		       c->next_ns)
		c->page_i++;
	return 0;
}

int
trd_bar_cursor_read_strided(struct trd_bar_cursor *c, struct trd_bar *out,
			    size_t stride, int max)
{
	uint32_t sym = get_be32(c->key), tf_s = get_be32(c->key + 4);
	char *dst = (char *)out;
	int n = 0, rc = 0;

	if (c->done || max <= 0)
		return 0;
	if (c->since_renew >= CURSOR_RENEW_BARS &&
	    (rc = cursor_renew(c)) != 0)
		return rc;
	if (c->page == NULL)
		rc = cursor_seek(c);
	while (rc == 0 && n < max) {
		const uint8_t *rec;
		uint32_t take;

		if (c->page_i == c->page_n) {
			MDB_val k, v;
			rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT_MULTIPLE);
			if (rc == 0)
				rc = cursor_take_page(c, &v);
			continue;
		}
		take = c->page_n - c->page_i;
		if (take > (uint32_t)(max - n))
			take = (uint32_t)(max - n);
		rec = c->page + (size_t)c->page_i * TRD_BAR_REC_SIZE;
		/* The page is sorted: if its last bar taken is before to_ns,
		 * all are; else stop at the first that is not. */
		if (get_ts(rec + (size_t)(take - 1) * TRD_BAR_REC_SIZE) >=
		    c->to_ns) {
			uint32_t k = 0;
			while (get_ts(rec + (size_t)k * TRD_BAR_REC_SIZE) <
			       c->to_ns)
				k++;
			take = k;
			rc = MDB_NOTFOUND;
		}
		if (c->sum)
			decode_summarised(c->sum, rec, take, sym, tf_s, dst,
					  stride);
		else
			for (uint32_t j = 0; j < take; j++)
				bar_decode(rec + (size_t)j * TRD_BAR_REC_SIZE,
					   sym, tf_s,
					   (struct trd_bar *)(dst + j * stride));
		dst += take * stride;
		n += (int)take;
		c->page_i += take;
	}
	if (rc == MDB_NOTFOUND)
		c->done = 1;
	else if (rc != 0)
		return rc;
	if (n > 0)
		c->next_ns = ((const struct trd_bar *)(dst - stride))->ts_ns + 1;
	c->since_renew += (uint64_t)n;
	return n;
}

int
trd_bar_cursor_read(struct trd_bar_cursor *c, struct trd_bar *out, int max)
{
	return trd_bar_cursor_read_strided(c, out, sizeof(*out), max);
}

void
trd_bar_cursor_close(struct trd_bar_cursor *c)
{
	if (c->cur)
		mdb_cursor_close(c->cur);
	if (c->txn)
		mdb_txn_abort(c->txn);
	c->cur = NULL;
	c->txn = NULL;
}

int
trd_store_stat(struct trd_store *s, struct trd_series_stat **out, size_t *n)
{
	return trd_store_stat_dbi(s, s->dbi_series, TRD_BAR_REC_SIZE, out, n);
}

int
trd_store_stat_dbi(struct trd_store *s, MDB_dbi dbi, size_t rec_size,
		   struct trd_series_stat **out, size_t *n)
{
	struct trd_series_stat *arr = NULL, *tmp;
	size_t cnt = 0, cap = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		goto out;
	/* One step per series: the count is LMDB's, the ends its first and
	 * last duplicates. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
		struct trd_series_stat *st;
		size_t count;

		if (k.mv_size != TRD_SERIES_KEY_SIZE || v.mv_size != rec_size) {
			rc = TRD_EVERSION;
			break;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((tmp = realloc(arr, cap * sizeof(*arr))) == NULL) {
				rc = -ENOMEM;
				break;
			}
			arr = tmp;
		}
		st = &arr[cnt++];
		st->sym = get_be32(k.mv_data);
		st->tf_s = get_be32((const uint8_t *)k.mv_data + 4);
		st->first_ns = get_ts(v.mv_data);
		if ((rc = mdb_cursor_count(cur, &count)) != 0 ||
		    (rc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP)) != 0)
			break;
		st->count = count;
		st->last_ns = get_ts(v.mv_data);
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	mdb_txn_abort(txn);
	if (rc != 0) {
		free(arr);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return 0;
}
