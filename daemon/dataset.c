/*
 * dataset: see dataset.h.
 *
 * The binary file, all integers little-endian:
 *   "TRDDSET1"                 8 bytes
 *   nfeat u32, tf_s u32, nrows u64
 *   symbol                     32 bytes, NUL-padded
 *   label                      64 bytes, NUL-padded (canonical text)
 *   names                      nfeat x 80 bytes, NUL-padded
 *   rows                       nrows x (t0 i64, t1 i64, y f64, x f64[nfeat])
 * and nothing after the last row.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dataset.h"
#include "wfile.h"
#include "store.h"
#include "timefmt.h"
#include "version.h"

#define MAGIC     "TRDDSET1"
#define HDR_FIXED (8 + 4 + 4 + 8 + 32 + TRD_DS_LABEL_MAX)

/* ---- labels ---- */

int
trd_label_parse(const char *s, struct trd_label *out, char *err,
		size_t errlen)
{
	static const struct {
		const char         *name;
		enum trd_label_kind k;
		int                 nargs;
	} kinds[] = {
		{ "sign", TRD_LABEL_SIGN, 1 },
		{ "fwd_return", TRD_LABEL_FWD_RETURN, 1 },
		{ "triple_barrier", TRD_LABEL_TRIPLE_BARRIER, 3 },
	};
	long long a[3] = { 0 };
	const char *p;
	size_t len;
	int k = -1, n = 0;

	*out = (struct trd_label){ 0 };
	if (s == NULL || (p = strchr(s, '(')) == NULL)
		goto bad;
	len = (size_t)(p - s);
	for (int i = 0; i < 3; i++)
		if (strlen(kinds[i].name) == len &&
		    memcmp(kinds[i].name, s, len) == 0)
			k = i;
	if (k < 0)
		goto bad;
	for (p++; n < 3; n++) {
		char *e;
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		a[n] = strtoll(p, &e, 10);
		if (errno != 0 || a[n] < 1 || a[n] > 100000)
			goto bad;
		p = e;
		while (*p == ' ')
			p++;
		if (*p == ')') {
			n++;
			break;
		}
		if (*p++ != ',')
			goto bad;
	}
	if (*p != ')' || p[1] != '\0' || n != kinds[k].nargs)
		goto bad;
	out->kind = kinds[k].k;
	out->h = (uint32_t)a[0];
	out->up_bps = (uint32_t)a[1];
	out->dn_bps = (uint32_t)a[2];
	if (out->kind == TRD_LABEL_TRIPLE_BARRIER && out->dn_bps >= 10000) {
		snprintf(err, errlen, "label '%s': the lower barrier must be "
			 "under 10000 bps (100%%)", s);
		return -1;
	}
	if (out->kind == TRD_LABEL_TRIPLE_BARRIER)
		snprintf(out->text, sizeof(out->text), "%s(%u,%u,%u)",
			 kinds[k].name, out->h, out->up_bps, out->dn_bps);
	else
		snprintf(out->text, sizeof(out->text), "%s(%u)",
			 kinds[k].name, out->h);
	return 0;
bad:
	snprintf(err, errlen, "label '%s': expected sign(h), fwd_return(h) "
		 "or triple_barrier(h,up_bps,down_bps), integers 1..100000",
		 s ? s : "(none)");
	return -1;
}

static int64_t
close_ns(const struct trd_bar *b)
{
	return b->ts_ns + (int64_t)b->tf_s * TRD_NS_PER_SEC;
}

/* Row i's label and t1 from bars i+1..i+h; -1 past the end. */
static int
label_of(const struct trd_bar *b, size_t n, size_t i,
	 const struct trd_label *L, double *y, int64_t *t1)
{
	size_t j = i + L->h;
	int64_t c = b[i].close;

	if (j >= n)
		return -1;
	if (L->kind == TRD_LABEL_TRIPLE_BARRIER) {
		__int128 up = (__int128)c * (10000 + L->up_bps);
		__int128 dn = (__int128)c * (10000 - L->dn_bps);
		for (size_t k = i + 1; k <= j; k++) {
			int lo = (__int128)b[k].low * 10000 <= dn;
			int hi = (__int128)b[k].high * 10000 >= up;
			if (lo || hi) {
				*y = lo ? 0 : 1;
				*t1 = close_ns(&b[k]);
				return 0;
			}
		}
	}
	*t1 = close_ns(&b[j]);
	if (L->kind == TRD_LABEL_FWD_RETURN)
		*y = c > 0 ? (double)(b[j].close - c) / (double)c : NAN;
	else
		*y = b[j].close > c;
	return 0;
}

void
trd_dataset_free(struct trd_dataset *ds)
{
	free(ds->names);
	free(ds->t0);
	free(ds->t1);
	free(ds->y);
	free(ds->x);
	memset(ds, 0, sizeof(*ds));
}

static int
ds_alloc(struct trd_dataset *ds, size_t rows)
{
	ds->names = calloc(ds->nfeat ? ds->nfeat : 1, sizeof(*ds->names));
	ds->t0 = malloc((rows ? rows : 1) * sizeof(int64_t));
	ds->t1 = malloc((rows ? rows : 1) * sizeof(int64_t));
	ds->y = malloc((rows ? rows : 1) * sizeof(double));
	ds->x = malloc((rows ? rows : 1) * (ds->nfeat ? ds->nfeat : 1) *
		       sizeof(double));
	return ds->names && ds->t0 && ds->t1 && ds->y && ds->x ? 0 : -1;
}

int
trd_dataset_build(const struct trd_bar *bars, size_t n, uint8_t price_dp,
		  uint8_t qty_dp, char (*names)[TRD_FEATURE_NAME_MAX],
		  uint32_t nfeat, const struct trd_label *label,
		  struct trd_dataset *ds, char *err, size_t errlen)
{
	struct trd_fset *fs = NULL;
	const double **v = NULL;
	int rc = -1;

	memset(ds, 0, sizeof(*ds));
	ds->from_ns = TRD_TIME_MIN;
	ds->to_ns = TRD_TIME_MAX;
	if (nfeat == 0 || nfeat > TRD_DS_MAX_FEATURES) {
		snprintf(err, errlen, "a dataset needs 1..%d features, not %u",
			 TRD_DS_MAX_FEATURES, nfeat);
		return -1;
	}
	ds->nfeat = nfeat;
	ds->label = *label;
	ds->nbars = n;
	if (n > 0)
		ds->tf_s = bars[0].tf_s;
	if (ds_alloc(ds, n) != 0 || (v = calloc(nfeat, sizeof(*v))) == NULL ||
	    trd_fset_new(&fs, price_dp, qty_dp, 1) != 0) {
		snprintf(err, errlen, "out of memory (%zu bars)", n);
		goto out;
	}
	for (uint32_t f = 0; f < nfeat; f++) {
		memcpy(ds->names[f], names[f], TRD_FEATURE_NAME_MAX);
		if ((v[f] = trd_fset_add(fs, names[f], err, errlen)) == NULL)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		double *x = ds->x + ds->nrows * nfeat, y;
		int64_t t1;
		int ready = 1;

		trd_fset_bar(fs, &bars[i]);
		for (uint32_t f = 0; f < nfeat; f++) {
			x[f] = *v[f];
			ready &= isfinite(x[f]);
		}
		if (label_of(bars, n, i, label, &y, &t1) != 0) {
			ds->dropped_no_label++;
			continue;
		}
		if (!ready || !isfinite(y)) {
			ds->dropped_not_ready++;
			continue;
		}
		ds->t0[ds->nrows] = close_ns(&bars[i]);
		ds->t1[ds->nrows] = t1;
		ds->y[ds->nrows] = y;
		ds->nrows++;
	}
	rc = 0;
out:
	trd_fset_free(fs);
	free(v);
	if (rc != 0)
		trd_dataset_free(ds);
	return rc;
}

/* ---- the file ---- */

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
putd(uint8_t *p, double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	put64(p, u);
}

static double
getd(const uint8_t *p)
{
	uint64_t u = get64(p);
	double d;
	memcpy(&d, &u, 8);
	return d;
}

struct buf {
	char  *p;
	size_t len, cap;
	int    err;
};

static void
bput(struct buf *b, const void *s, size_t n)
{
	if (b->err)
		return;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 4096;
		char *q;
		while (cap - b->len < n)
			cap *= 2;
		if ((q = realloc(b->p, cap)) == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
csv_name(struct buf *b, const char *s)
{
	if (strpbrk(s, ",\"") == NULL) {
		bput(b, s, strlen(s));
		return;
	}
	bput(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			bput(b, "\"", 1);
		bput(b, s, 1);
	}
	bput(b, "\"", 1);
}

static void
encode_csv(const struct trd_dataset *ds, struct buf *b)
{
	char t[64];

	bput(b, "t0,t1,label", 11);
	for (uint32_t f = 0; f < ds->nfeat; f++) {
		bput(b, ",", 1);
		csv_name(b, ds->names[f]);
	}
	bput(b, "\n", 1);
	for (size_t i = 0; i < ds->nrows; i++) {
		const double *x = ds->x + i * ds->nfeat;
		/* Formatted first: strlen(t) as the same call's argument
		 * may be evaluated before t is written. */
		trd_time_format_unix(ds->t0[i], t);
		bput(b, t, strlen(t));
		bput(b, ",", 1);
		trd_time_format_unix(ds->t1[i], t);
		bput(b, t, strlen(t));
		bput(b, ",", 1);
		trd_dtoa(ds->y[i], t, sizeof(t));
		bput(b, t, strlen(t));
		for (uint32_t f = 0; f < ds->nfeat; f++) {
			bput(b, ",", 1);
			trd_dtoa(x[f], t, sizeof(t));
			bput(b, t, strlen(t));
		}
		bput(b, "\n", 1);
	}
}

int
trd_dataset_encode(const struct trd_dataset *ds, int csv, char **out,
		   size_t *len)
{
	struct buf b = { 0 };
	uint8_t h[HDR_FIXED] = { 0 }, name[TRD_FEATURE_NAME_MAX], row[8];

	if (csv) {
		encode_csv(ds, &b);
	} else {
		memcpy(h, MAGIC, 8);
		put32(h + 8, ds->nfeat);
		put32(h + 12, ds->tf_s);
		put64(h + 16, ds->nrows);
		memcpy(h + 24, ds->symbol, strnlen(ds->symbol, 31));
		memcpy(h + 56, ds->label.text,
		       strnlen(ds->label.text, TRD_DS_LABEL_MAX - 1));
		bput(&b, h, sizeof(h));
		for (uint32_t f = 0; f < ds->nfeat; f++) {
			memset(name, 0, sizeof(name));
			memcpy(name, ds->names[f],
			       strnlen(ds->names[f], sizeof(name) - 1));
			bput(&b, name, sizeof(name));
		}
		for (size_t i = 0; i < ds->nrows; i++) {
			put64(row, (uint64_t)ds->t0[i]);
			bput(&b, row, 8);
			put64(row, (uint64_t)ds->t1[i]);
			bput(&b, row, 8);
			putd(row, ds->y[i]);
			bput(&b, row, 8);
			for (uint32_t f = 0; f < ds->nfeat; f++) {
				putd(row, ds->x[i * ds->nfeat + f]);
				bput(&b, row, 8);
			}
		}
	}
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int
trd_dataset_decode(const void *data, size_t len, struct trd_dataset *ds,
		   char *err, size_t errlen)
{
	const uint8_t *p = data;
	uint64_t nrows, rowsz;
	size_t hdr;
	char lab[TRD_DS_LABEL_MAX];

	memset(ds, 0, sizeof(*ds));
	if (len < HDR_FIXED || memcmp(p, MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a traderd dataset (no %s header)",
			 MAGIC);
		return -1;
	}
	ds->nfeat = get32(p + 8);
	ds->tf_s = get32(p + 12);
	nrows = get64(p + 16);
	if (ds->nfeat == 0 || ds->nfeat > TRD_DS_MAX_FEATURES) {
		snprintf(err, errlen, "header: %u features (1..%d)", ds->nfeat,
			 TRD_DS_MAX_FEATURES);
		ds->nfeat = 0;
		return -1;
	}
	hdr = HDR_FIXED + (size_t)ds->nfeat * TRD_FEATURE_NAME_MAX;
	rowsz = 24 + 8 * (uint64_t)ds->nfeat;
	if (len < hdr || nrows > (len - hdr) / rowsz ||
	    (len - hdr) != nrows * rowsz) {
		snprintf(err, errlen, "truncated or padded: %zu bytes for "
			 "%llu rows of %u features", len,
			 (unsigned long long)nrows, ds->nfeat);
		ds->nfeat = 0;
		return -1;
	}
	memcpy(ds->symbol, p + 24, 32);
	ds->symbol[TRD_SYMBOL_MAX] = '\0';
	if (memchr(p + 24, '\0', 32) == NULL ||
	    (ds->symbol[0] && !trd_symbol_valid(ds->symbol))) {
		snprintf(err, errlen, "header: bad symbol");
		ds->nfeat = 0;
		return -1;
	}
	memcpy(lab, p + 56, sizeof(lab));
	if (memchr(lab, '\0', sizeof(lab)) == NULL ||
	    trd_label_parse(lab, &ds->label, err, errlen) != 0 ||
	    strcmp(lab, ds->label.text) != 0) {
		if (memchr(lab, '\0', sizeof(lab)) == NULL ||
		    strcmp(lab, ds->label.text) != 0)
			snprintf(err, errlen, "header: bad label");
		ds->nfeat = 0;
		return -1;
	}
	ds->nrows = (size_t)nrows;
	if (ds_alloc(ds, ds->nrows) != 0) {
		snprintf(err, errlen, "out of memory (%zu rows)", ds->nrows);
		trd_dataset_free(ds);
		return -1;
	}
	for (uint32_t f = 0; f < ds->nfeat; f++) {
		const uint8_t *n = p + HDR_FIXED + f * TRD_FEATURE_NAME_MAX;
		char canon[1][TRD_FEATURE_NAME_MAX], e2[160];
		if (memchr(n, '\0', TRD_FEATURE_NAME_MAX) == NULL) {
			snprintf(err, errlen, "feature %u: name not "
				 "terminated", f + 1);
			goto fail;
		}
		memcpy(ds->names[f], n, TRD_FEATURE_NAME_MAX);
		if (trd_feature_expand(ds->names[f], canon, 1, e2,
				       sizeof(e2)) != 1 ||
		    strcmp(canon[0], ds->names[f]) != 0) {
			snprintf(err, errlen, "feature %u: '%.80s' is not one "
				 "feature output in canonical form", f + 1,
				 ds->names[f]);
			goto fail;
		}
	}
	p += hdr;
	for (size_t i = 0; i < ds->nrows; i++, p += rowsz) {
		ds->t0[i] = (int64_t)get64(p);
		ds->t1[i] = (int64_t)get64(p + 8);
		ds->y[i] = getd(p + 16);
		if (ds->t1[i] <= ds->t0[i] || (i && ds->t0[i] <= ds->t0[i - 1])) {
			snprintf(err, errlen, "row %zu: label interval out of "
				 "order (t0 must rise, t1 > t0)", i + 1);
			goto fail;
		}
		if (!isfinite(ds->y[i])) {
			snprintf(err, errlen, "row %zu: the label is %s", i + 1,
				 isnan(ds->y[i]) ? "NaN" : "infinite");
			goto fail;
		}
		for (uint32_t f = 0; f < ds->nfeat; f++) {
			double x = getd(p + 24 + 8 * f);
			if (!isfinite(x)) {
				snprintf(err, errlen, "row %zu: feature %s is "
					 "%s", i + 1, ds->names[f],
					 isnan(x) ? "NaN" : "infinite");
				goto fail;
			}
			ds->x[i * ds->nfeat + f] = x;
		}
	}
	ds->from_ns = TRD_TIME_MIN;
	ds->to_ns = TRD_TIME_MAX;
	return 0;
fail:
	trd_dataset_free(ds);
	return -1;
}

static cJSON *
json_time(int64_t ns)
{
	char t[TRD_TIME_BUFSZ];

	if (ns == TRD_TIME_MIN || ns == TRD_TIME_MAX)
		return cJSON_CreateNull();
	return cJSON_CreateString(trd_time_format(ns, t));
}

char *
trd_dataset_manifest(const struct trd_dataset *ds, const char *file_name,
		     const char *sha256_hex)
{
	cJSON *m = cJSON_CreateObject(), *f, *lc;
	char tf[16], *s;
	size_t n1 = 0;

	if (m == NULL)
		return NULL;
	cJSON_AddStringToObject(m, "format", "traderd-dataset-1");
	cJSON_AddStringToObject(m, "file", file_name);
	cJSON_AddStringToObject(m, "sha256", sha256_hex);
	cJSON_AddStringToObject(m, "symbol", ds->symbol);
	cJSON_AddStringToObject(m, "timeframe",
				trd_timeframe_format(ds->tf_s, tf));
	f = cJSON_AddArrayToObject(m, "features");
	for (uint32_t i = 0; f && i < ds->nfeat; i++)
		cJSON_AddItemToArray(f, cJSON_CreateString(ds->names[i]));
	cJSON_AddStringToObject(m, "label", ds->label.text);
	cJSON_AddStringToObject(m, "label_interval",
				"[t0, t1]: t0 the close of the row's bar, t1 "
				"the close of the bar its label is known at "
				"(columns t0 and t1 of every row)");
	cJSON_AddItemToObject(m, "from", json_time(ds->from_ns));
	cJSON_AddItemToObject(m, "to", json_time(ds->to_ns));
	cJSON_AddNumberToObject(m, "bars", (double)ds->nbars);
	cJSON_AddNumberToObject(m, "rows", (double)ds->nrows);
	cJSON_AddNumberToObject(m, "dropped_not_ready",
				(double)ds->dropped_not_ready);
	cJSON_AddNumberToObject(m, "dropped_no_label",
				(double)ds->dropped_no_label);
	cJSON_AddItemToObject(m, "first_t0",
			      json_time(ds->nrows ? ds->t0[0] : TRD_TIME_MIN));
	cJSON_AddItemToObject(m, "last_t1",
			      json_time(ds->nrows ? ds->t1[ds->nrows - 1]
						  : TRD_TIME_MIN));
	if (ds->label.kind != TRD_LABEL_FWD_RETURN) {
		for (size_t i = 0; i < ds->nrows; i++)
			n1 += ds->y[i] == 1;
		lc = cJSON_AddObjectToObject(m, "label_counts");
		cJSON_AddNumberToObject(lc, "0", (double)(ds->nrows - n1));
		cJSON_AddNumberToObject(lc, "1", (double)n1);
	}
	cJSON_AddStringToObject(m, "traderd_version", trd_version);
	s = cJSON_Print(m);
	cJSON_Delete(m);
	return s;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
trd_manifest_check(const char *json, size_t len, const struct trd_dataset *ds,
		   const char *sha256_hex, char *err, size_t errlen)
{
	cJSON *m = cJSON_ParseWithLength(json, len);
	const cJSON *rows, *f, *it;
	const char *v;
	uint32_t i = 0;
	int rc = -1;

	if (m == NULL || !cJSON_IsObject(m)) {
		snprintf(err, errlen, "manifest: not a JSON object");
		goto out;
	}
	if ((v = jstr(m, "format")) == NULL ||
	    strcmp(v, "traderd-dataset-1") != 0) {
		snprintf(err, errlen, "manifest: format is not "
			 "traderd-dataset-1");
		goto out;
	}
	if ((v = jstr(m, "sha256")) == NULL || strcmp(v, sha256_hex) != 0) {
		snprintf(err, errlen, "manifest: the dataset's SHA-256 is %s, "
			 "the manifest says %.64s (changed since it was "
			 "made?)", sha256_hex, v ? v : "nothing");
		goto out;
	}
	rows = cJSON_GetObjectItemCaseSensitive(m, "rows");
	if (!cJSON_IsNumber(rows) || rows->valuedouble != (double)ds->nrows) {
		snprintf(err, errlen, "manifest: rows is not %zu", ds->nrows);
		goto out;
	}
	if ((v = jstr(m, "label")) == NULL || strcmp(v, ds->label.text) != 0) {
		snprintf(err, errlen, "manifest: label is not %s",
			 ds->label.text);
		goto out;
	}
	f = cJSON_GetObjectItemCaseSensitive(m, "features");
	if (!cJSON_IsArray(f)) {
		snprintf(err, errlen, "manifest: no features list");
		goto out;
	}
	cJSON_ArrayForEach(it, f) {
		if (!cJSON_IsString(it) || i >= ds->nfeat ||
		    strcmp(it->valuestring, ds->names[i]) != 0) {
			snprintf(err, errlen, "manifest: feature %u differs "
				 "from the dataset's", i + 1);
			goto out;
		}
		i++;
	}
	if (i != ds->nfeat) {
		snprintf(err, errlen, "manifest: %u features, the dataset has "
			 "%u", i, ds->nfeat);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(m);
	return rc;
}

void
trd_sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int
trd_file_read(const char *path, size_t max, char **buf, size_t *len)
{
	struct stat st;
	char *b;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd == -1)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		e = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return e;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r <= 0) {
			e = r == 0 ? -EIO : -errno;
			free(b);
			close(fd);
			return e;
		}
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

int
trd_file_write(const char *path, const void *buf, size_t len)
{
	size_t n = strlen(path) + 16, off = 0;
	char *tmp = malloc(n);
	const char *slash;
	int fd, e = 0;

	if (tmp == NULL)
		return -ENOMEM;
	slash = strrchr(path, '/');
	if (slash && slash > path) {
		/* -o var/ml/x.bin where var/ml is not there yet: made. */
		snprintf(tmp, n, "%.*s", (int)(slash - path), path);
		if ((e = trd_mkdir_p(tmp, 0755)) != 0) {
			free(tmp);
			return e;
		}
	}
	if (slash)
		snprintf(tmp, n, "%.*s/.%s.tmp", (int)(slash - path), path,
			 slash + 1);
	else
		snprintf(tmp, n, ".%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		e = -errno;
		free(tmp);
		return e;
	}
	while (off < len && e == 0) {
		ssize_t w = write(fd, (const char *)buf + off, len - off);
		if (w < 0)
			e = -errno;
		else
			off += (size_t)w;
	}
	if (e == 0 && fsync(fd) != 0)
		e = -errno;
	if (close(fd) != 0 && e == 0)
		e = -errno;
	if (e == 0 && rename(tmp, path) != 0)
		e = -errno;
	if (e != 0)
		unlink(tmp);
	free(tmp);
	return e;
}
