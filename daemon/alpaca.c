/*
 * alpaca: see alpaca.h.
 */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alpaca.h"
#include "decimal.h"
#include "errors.h"
#include "timefmt.h"

#define TOK_MIN 256
#define TOK_MAX (1u << 20)

struct doc {
	const char      *js;
	const jsmntok_t *t;
	int              n;
};

static int
refuse(struct trd_ap *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
refuse(struct trd_ap *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->refused++;
	return -1;
}

void
trd_ap_init(struct trd_ap *p, const struct trd_registry *reg)
{
	*p = (struct trd_ap){ .reg = reg };
}

void
trd_ap_free(struct trd_ap *p)
{
	free(p->tok);
	free(p->out);
	*p = (struct trd_ap){ 0 };
}

/* The first token after the value at i (no recursion). */
static int
skip(const struct doc *d, int i)
{
	int end = d->t[i].end;

	for (i++; i < d->n && d->t[i].start < end; i++)
		;
	return i;
}

static int
is(const struct doc *d, int i, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(d->t[i].end - d->t[i].start) == n &&
	       memcmp(d->js + d->t[i].start, s, n) == 0;
}

static int
member(const struct doc *d, int o, const char *key)
{
	int i = o + 1;

	for (int k = 0; k < d->t[o].size && i + 1 < d->n; k++) {
		if (d->t[i].type == JSMN_STRING && is(d, i, key))
			return i + 1;
		i = skip(d, i + 1);
	}
	return -1;
}

int
trd_ap_number(const char *s, size_t len, int dp, int64_t *out)
{
	const char *e = NULL;
	char buf[96], *o = buf;
	size_t i, mlen;
	long ex = 0;
	int neg = 0, point = -1, nd = 0;
	char dig[64];

	for (i = 0; i < len; i++)
		if (s[i] == 'e' || s[i] == 'E') {
			e = s + i;
			break;
		}
	if (e == NULL)
		return trd_dec_parse(s, len, dp, out);
	mlen = (size_t)(e - s);
	/* The exponent: [+-]digits, small. */
	{
		size_t k = mlen + 1;
		int eneg = 0;
		if (k < len && (s[k] == '+' || s[k] == '-'))
			eneg = s[k++] == '-';
		if (k == len || len - k > 3)
			return TRD_ESYNTAX;
		for (; k < len; k++) {
			if (s[k] < '0' || s[k] > '9')
				return TRD_ESYNTAX;
			ex = ex * 10 + (s[k] - '0');
		}
		if (eneg)
			ex = -ex;
	}
	/* The mantissa's digits and where its point is. */
	i = 0;
	if (i < mlen && s[i] == '-')
		neg = 1, i++;
	for (; i < mlen; i++) {
		if (s[i] == '.' && point < 0)
			point = nd;
		else if (s[i] >= '0' && s[i] <= '9' && nd < (int)sizeof(dig))
			dig[nd++] = s[i];
		else
			return TRD_ESYNTAX;
	}
	if (nd == 0)
		return TRD_ESYNTAX;
	if (point < 0)
		point = nd;
	point += (int)ex;
	/* Written out without the exponent, then parsed exactly. */
	if (neg)
		*o++ = '-';
	if (point <= 0) {
		if (-point + nd + 4 > (int)sizeof(buf))
			return TRD_EPRECISION;
		*o++ = '0';
		*o++ = '.';
		for (int k = 0; k < -point; k++)
			*o++ = '0';
		memcpy(o, dig, (size_t)nd);
		o += nd;
	} else {
		if (point + nd + 4 > (int)sizeof(buf))
			return TRD_ERANGE;
		for (int k = 0; k < point; k++)
			*o++ = k < nd ? dig[k] : '0';
		if (point < nd) {
			*o++ = '.';
			memcpy(o, dig + point, (size_t)(nd - point));
			o += nd - point;
		}
	}
	return trd_dec_parse(buf, (size_t)(o - buf), dp, out);
}

/* The instrument named by the string at i, or NULL. */
static const struct trd_instr *
instrument(const struct trd_ap *p, const struct doc *d, int i)
{
	size_t n;

	if (i < 0 || d->t[i].type != JSMN_STRING || p->reg == NULL)
		return NULL;
	n = (size_t)(d->t[i].end - d->t[i].start);
	for (size_t k = 0; k < p->reg->n; k++) {
		const struct trd_instr *r = &p->reg->v[k];
		const char *name = r->venue_symbol[0] ? r->venue_symbol
						      : r->symbol;
		if (strlen(name) == n && memcmp(name, d->js + d->t[i].start,
						n) == 0)
			return r;
	}
	return NULL;
}

/* A number field at the scale dp, > 0 unless zero_ok. */
static int
field_num(struct trd_ap *p, const struct doc *d, int o, const char *key,
	  int dp, int zero_ok, int64_t *v)
{
	int i = member(d, o, key), rc;

	if (i < 0)
		return refuse(p, "no \"%s\"", key);
	if (d->t[i].type != JSMN_PRIMITIVE)
		return refuse(p, "\"%s\" is not a number", key);
	rc = trd_ap_number(d->js + d->t[i].start,
			   (size_t)(d->t[i].end - d->t[i].start), dp, v);
	if (rc != 0)
		return refuse(p, "\"%s\" is not a number at %d decimals (%s)",
			      key, dp, trd_strerror(rc));
	if (*v < 0 || (*v == 0 && !zero_ok))
		return refuse(p, "\"%s\" is not above zero", key);
	return 0;
}

static int
field_time(struct trd_ap *p, const struct doc *d, int o, int64_t *ts)
{
	int i = member(d, o, "t");
	char buf[48];
	size_t n;

	if (i < 0 || d->t[i].type != JSMN_STRING)
		return refuse(p, "no time \"t\"");
	n = (size_t)(d->t[i].end - d->t[i].start);
	if (n >= sizeof(buf))
		return refuse(p, "\"t\" is not an RFC 3339 time");
	memcpy(buf, d->js + d->t[i].start, n);
	buf[n] = '\0';
	if (n < 20 || buf[10] != 'T' || trd_time_parse(buf, ts) != 0)
		return refuse(p, "\"t\" is not an RFC 3339 time: %.40s", buf);
	return 0;
}

static int
element(struct trd_ap *p, const struct doc *d, int o, struct trd_ap_msg *m)
{
	int ti = member(d, o, "T"), i;
	const struct trd_instr *in;

	if (ti < 0 || d->t[ti].type != JSMN_STRING)
		return refuse(p, "an element without \"T\"");
	memset(m, 0, sizeof(*m));
	if (is(d, ti, "success") || is(d, ti, "error")) {
		m->kind = is(d, ti, "success") ? TRD_AP_SUCCESS : TRD_AP_ERROR;
		if ((i = member(d, o, "msg")) >= 0 &&
		    d->t[i].type == JSMN_STRING)
			snprintf(m->u.ctl.msg, sizeof(m->u.ctl.msg), "%.*s",
				 d->t[i].end - d->t[i].start,
				 d->js + d->t[i].start);
		if ((i = member(d, o, "code")) >= 0 &&
		    d->t[i].type == JSMN_PRIMITIVE)
			m->u.ctl.code = atoi(d->js + d->t[i].start);
		if (m->u.ctl.code < 0 || m->u.ctl.code > 999)
			m->u.ctl.code = 0;
		return 0;
	}
	if (is(d, ti, "subscription")) {
		m->kind = TRD_AP_SUBSCRIPTION;
		return 0;
	}
	if (!is(d, ti, "t") && !is(d, ti, "q") && !is(d, ti, "b"))
		return 1; /* a type we do not use */
	if ((in = instrument(p, d, member(d, o, "S"))) == NULL) {
		i = member(d, o, "S");
		if (i < 0 || d->t[i].type != JSMN_STRING)
			return refuse(p, "no symbol \"S\"");
		return refuse(p, "symbol \"%.*s\" is not configured",
			      d->t[i].end - d->t[i].start > 32
				      ? 32 : d->t[i].end - d->t[i].start,
			      d->js + d->t[i].start);
	}
	m->ins = in->id;
	if (is(d, ti, "t")) {
		struct trd_trade *t = &m->u.trade;
		uint64_t id = 0;
		m->kind = TRD_AP_TRADE;
		t->size = sizeof(*t);
		t->sym = in->id;
		if ((i = member(d, o, "i")) >= 0) {
			const char *s = d->js + d->t[i].start;
			int len = d->t[i].end - d->t[i].start;
			if (d->t[i].type != JSMN_PRIMITIVE || len > 20 || len < 1)
				return refuse(p, "\"i\" is not an id");
			for (int k = 0; k < len; k++) {
				uint64_t dg = (uint64_t)(s[k] - '0');
				if (s[k] < '0' || s[k] > '9' ||
				    id > (UINT64_MAX - dg) / 10)
					return refuse(p, "\"i\" is not an id");
				id = id * 10 + dg;
			}
		}
		t->id = id;
		if (field_num(p, d, o, "p", in->price_dp, 0, &t->price) ||
		    field_num(p, d, o, "s", in->qty_dp, 0, &t->qty) ||
		    field_time(p, d, o, &t->ts_ns))
			return -1;
		if ((i = member(d, o, "tks")) >= 0 &&
		    d->t[i].type == JSMN_STRING)
			t->aggressor = is(d, i, "B") ? TRD_SIDE_BUY
				       : is(d, i, "S") ? TRD_SIDE_SELL : 0;
		return 0;
	}
	if (is(d, ti, "q")) {
		struct trd_quote *q = &m->u.quote;
		m->kind = TRD_AP_QUOTE;
		q->size = sizeof(*q);
		q->sym = in->id;
		if (field_num(p, d, o, "bp", in->price_dp, 1, &q->bid) ||
		    field_num(p, d, o, "bs", in->qty_dp, 1, &q->bid_qty) ||
		    field_num(p, d, o, "ap", in->price_dp, 1, &q->ask) ||
		    field_num(p, d, o, "as", in->qty_dp, 1, &q->ask_qty) ||
		    field_time(p, d, o, &q->ts_ns))
			return -1;
		return 0;
	}
	{
		struct trd_bar *b = &m->u.bar;
		m->kind = TRD_AP_BAR;
		b->sym = in->id;
		b->tf_s = 60;
		if (field_num(p, d, o, "o", in->price_dp, 0, &b->open) ||
		    field_num(p, d, o, "h", in->price_dp, 0, &b->high) ||
		    field_num(p, d, o, "l", in->price_dp, 0, &b->low) ||
		    field_num(p, d, o, "c", in->price_dp, 0, &b->close) ||
		    field_num(p, d, o, "v", in->qty_dp, 1, &b->volume) ||
		    field_time(p, d, o, &b->ts_ns))
			return -1;
		if (b->high < b->open || b->high < b->close ||
		    b->low > b->open || b->low > b->close)
			return refuse(p, "bar high/low do not contain its open "
				      "and close");
		if (b->ts_ns % (60 * TRD_NS_PER_SEC) != 0)
			return refuse(p, "bar time is not the start of a minute");
		return 0;
	}
}

int
trd_ap_frame(struct trd_ap *p, const char *js, size_t len,
	     struct trd_ap_msg **msgs, size_t *nout)
{
	struct doc d = { .js = js };
	jsmn_parser jp;
	int n, i, k;
	size_t cnt = 0;

	p->frames++;
	*msgs = NULL;
	*nout = 0;
	for (;;) {
		if (p->ntok == 0) {
			if ((p->tok = malloc(TOK_MIN * sizeof(jsmntok_t))) == NULL)
				return refuse(p, "out of memory");
			p->ntok = TOK_MIN;
		}
		jsmn_init(&jp);
		n = jsmn_parse(&jp, js, len, p->tok, (unsigned)p->ntok);
		if (n == JSMN_ERROR_NOMEM) {
			void *nt;
			if (p->ntok >= TOK_MAX)
				return refuse(p, "message too large");
			if ((nt = realloc(p->tok, 2 * p->ntok *
							  sizeof(jsmntok_t))) == NULL)
				return refuse(p, "out of memory");
			p->tok = nt;
			p->ntok *= 2;
			continue;
		}
		break;
	}
	if (n < 1)
		return refuse(p, n == JSMN_ERROR_PART ? "truncated JSON"
						     : "not JSON");
	d.t = p->tok;
	d.n = n;
	if (d.t[0].type != JSMN_ARRAY)
		return refuse(p, "not a JSON array");
	if ((size_t)d.t[0].size > p->capout) {
		size_t cap = (size_t)d.t[0].size;
		void *no = realloc(p->out, cap * sizeof(*p->out));
		if (no == NULL)
			return refuse(p, "out of memory");
		p->out = no;
		p->capout = cap;
	}
	for (i = 1, k = 0; k < d.t[0].size && i < d.n; k++) {
		int next = skip(&d, i);
		if (d.t[i].type != JSMN_OBJECT)
			refuse(p, "an element is not an object");
		else if (element(p, &d, i, &p->out[cnt]) == 0)
			cnt++;
		i = next;
	}
	*msgs = p->out;
	*nout = cnt;
	return 0;
}
