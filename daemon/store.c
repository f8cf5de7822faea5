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
 * Keys hold ts + 2^63 so that negative (pre-1970) times still sort first
 * under unsigned byte order.
 */
void
trd_bar_key(uint8_t key[TRD_BAR_KEY_SIZE], uint32_t sym, uint32_t tf_s,
	    int64_t ts_ns)
{
	put_be32(key, sym);
	put_be32(key + 4, tf_s);
	put_be64(key + 8, (uint64_t)ts_ns ^ (1ULL << 63));
}

static void
bar_encode(uint8_t rec[TRD_BAR_REC_SIZE], const struct trd_bar *b)
{
	memset(rec, 0, 8);
	rec[0] = TRD_BAR_REC_VERSION;
	put_le64(rec + 8, (uint64_t)b->open);
	put_le64(rec + 16, (uint64_t)b->high);
	put_le64(rec + 24, (uint64_t)b->low);
	put_le64(rec + 32, (uint64_t)b->close);
	put_le64(rec + 40, (uint64_t)b->volume);
}

int
trd_bar_decode(const MDB_val *k, const MDB_val *v, struct trd_bar *out)
{
	const uint8_t *key = k->mv_data, *rec = v->mv_data;

	if (k->mv_size != TRD_BAR_KEY_SIZE || v->mv_size < TRD_BAR_REC_SIZE ||
	    rec[0] != TRD_BAR_REC_VERSION)
		return TRD_EVERSION;
	out->sym = get_be32(key);
	out->tf_s = get_be32(key + 4);
	out->ts_ns = (int64_t)(get_be64(key + 8) ^ (1ULL << 63));
	out->open = (int64_t)get_le64(rec + 8);
	out->high = (int64_t)get_le64(rec + 16);
	out->low = (int64_t)get_le64(rec + 24);
	out->close = (int64_t)get_le64(rec + 32);
	out->volume = (int64_t)get_le64(rec + 40);
	return 0;
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

static int
mkdir_p(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) == -1 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0750) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Checks and, for a writer, records the environment's format version. */
static int
check_format(struct trd_store *s, MDB_txn *txn)
{
	MDB_val k = { 6, "format" }, v;
	uint8_t buf[4];
	int rc;

	rc = mdb_get(txn, s->dbi_meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		if (s->flags & TRD_STORE_RDONLY)
			return 0; /* empty store: nothing to misread */
		put_le32(buf, TRD_STORE_FORMAT);
		v = (MDB_val){ 4, buf };
		return mdb_put(txn, s->dbi_meta, &k, &v, 0);
	}
	if (rc != 0)
		return rc;
	if (v.mv_size != 4 || get_le32(v.mv_data) > TRD_STORE_FORMAT) {
		log_error("data store '%s' has format %u; this traderd reads "
			  "format %d or older",
			  s->dir, v.mv_size == 4 ? get_le32(v.mv_data) : 0,
			  TRD_STORE_FORMAT);
		return TRD_EVERSION;
	}
	return 0;
}

static int
open_dbis(struct trd_store *s)
{
	unsigned int f = (s->flags & TRD_STORE_RDONLY) ? 0 : MDB_CREATE;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(s->env, NULL,
			   (s->flags & TRD_STORE_RDONLY) ? MDB_RDONLY : 0, &txn);
	if (rc != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, "meta", f, &s->dbi_meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "instruments", f, &s->dbi_instr)) != 0 ||
	    (rc = mdb_dbi_open(txn, "bars", f, &s->dbi_bars)) != 0 ||
	    (rc = check_format(s, txn)) != 0) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND) {
			log_error("data store '%s' is empty: import data first "
				  "(traderctl import)", s->dir);
			return TRD_ENOTFOUND;
		}
		return rc;
	}
	return mdb_txn_commit(txn);
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
	if ((flags & TRD_STORE_CREATE) && (rc = mkdir_p(dir)) != 0) {
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

int
trd_store_batch_begin(struct trd_store *s, struct trd_store_batch *b)
{
	int rc;

	b->store = s;
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &b->txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(b->txn, s->dbi_bars, &b->cur)) != 0) {
		mdb_txn_abort(b->txn);
		b->txn = NULL;
	}
	return rc;
}

int
trd_store_batch_put(struct trd_store_batch *b, const struct trd_bar *bar,
		    enum trd_put_result *res)
{
	uint8_t key[TRD_BAR_KEY_SIZE], rec[TRD_BAR_REC_SIZE];
	MDB_val k = { sizeof(key), key }, v = { sizeof(rec), rec };
	int rc;

	trd_bar_key(key, bar->sym, bar->tf_s, bar->ts_ns);
	bar_encode(rec, bar);
	rc = mdb_cursor_put(b->cur, &k, &v, MDB_NOOVERWRITE);
	if (rc == 0) {
		*res = TRD_PUT_INSERTED;
		return 0;
	}
	if (rc != MDB_KEYEXIST)
		return rc;
	/* v now holds the stored record: equal means a re-import. */
	if (v.mv_size == sizeof(rec) && memcmp(v.mv_data, rec, sizeof(rec)) == 0) {
		*res = TRD_PUT_UNCHANGED;
		return 0;
	}
	return TRD_ECONFLICT;
}

int
trd_store_batch_commit(struct trd_store_batch *b)
{
	int rc;

	mdb_cursor_close(b->cur);
	rc = mdb_txn_commit(b->txn);
	b->txn = NULL;
	b->cur = NULL;
	return rc;
}

void
trd_store_batch_abort(struct trd_store_batch *b)
{
	if (b->txn == NULL)
		return;
	mdb_cursor_close(b->cur);
	mdb_txn_abort(b->txn);
	b->txn = NULL;
	b->cur = NULL;
}

/* Bars per read transaction before it is renewed: bounds how long a replay
 * pins old pages (which would make a concurrent import grow the file) and
 * how much of the map stays resident. */
#define CURSOR_RENEW_BARS (1u << 17)

static int
cursor_seek(struct trd_bar_cursor *c, MDB_val *k, MDB_val *v)
{
	uint8_t key[TRD_BAR_KEY_SIZE];

	trd_bar_key(key, c->sym, c->tf_s, c->next_ns);
	*k = (MDB_val){ sizeof(key), key };
	return mdb_cursor_get(c->cur, k, v, MDB_SET_RANGE);
}

int
trd_bar_cursor_open(struct trd_bar_cursor *c, struct trd_store *s,
		    uint32_t sym, uint32_t tf_s, int64_t from_ns, int64_t to_ns)
{
	int rc;

	*c = (struct trd_bar_cursor){ .store = s, .sym = sym, .tf_s = tf_s,
				      .next_ns = from_ns, .to_ns = to_ns };
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &c->txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(c->txn, s->dbi_bars, &c->cur)) != 0) {
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
	c->at_next = 0;
	return 0;
}

int
trd_bar_cursor_read(struct trd_bar_cursor *c, struct trd_bar *out, int max)
{
	uint8_t prefix[TRD_BAR_KEY_SIZE];
	MDB_val k, v;
	int n = 0, rc;

	if (c->done || max <= 0)
		return 0;
	if (c->since_renew >= CURSOR_RENEW_BARS &&
	    (rc = cursor_renew(c)) != 0)
		return rc;
	trd_bar_key(prefix, c->sym, c->tf_s, 0);
	/* Within one read transaction the cursor stays where the last read
	 * left it: no B-tree descent per batch. */
	rc = c->at_next ? mdb_cursor_get(c->cur, &k, &v, MDB_GET_CURRENT)
			: cursor_seek(c, &k, &v);
	c->at_next = 0;
	while (rc == 0 && n < max) {
		if (k.mv_size != TRD_BAR_KEY_SIZE ||
		    memcmp(k.mv_data, prefix, 8) != 0)
			break;
		if ((rc = trd_bar_decode(&k, &v, &out[n])) != 0)
			return rc;
		if (out[n].ts_ns >= c->to_ns)
			break;
		n++;
		rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (n < max)
		c->done = 1;
	else
		c->at_next = rc == 0;
	if (n > 0)
		c->next_ns = out[n - 1].ts_ns + 1;
	c->since_renew += (uint64_t)n;
	return n;
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
	struct trd_series_stat *arr = NULL, *tmp, *cur_st = NULL;
	size_t cnt = 0, cap = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct trd_bar bar;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi_bars, &cur)) != 0)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((rc = trd_bar_decode(&k, &v, &bar)) != 0)
			break;
		if (cur_st == NULL || cur_st->sym != bar.sym ||
		    cur_st->tf_s != bar.tf_s) {
			if (cnt == cap) {
				cap = cap ? cap * 2 : 16;
				tmp = realloc(arr, cap * sizeof(*arr));
				if (tmp == NULL) {
					rc = -ENOMEM;
					break;
				}
				arr = tmp;
			}
			cur_st = &arr[cnt++];
			*cur_st = (struct trd_series_stat){
				.sym = bar.sym, .tf_s = bar.tf_s,
				.first_ns = bar.ts_ns };
		}
		cur_st->count++;
		cur_st->last_ns = bar.ts_ns;
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
