/*
 * binance: see binance.h.
 */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binance.h"
#include "decimal.h"

#define TOK_MIN    256
#define TOK_MAX    (1u << 20) /* a frame needing more is refused */

struct doc {
	const char     *js;
	const jsmntok_t *t;
	int             n;
};

static int
fail(struct trd_bn *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->refused++;
	return -1;
}

void
trd_bn_init(struct trd_bn *p, const struct trd_registry *reg)
{
	memset(p, 0, sizeof(*p));
	p->reg = reg;
}

void
trd_bn_free(struct trd_bn *p)
{
	free(p->tok);
	free(p->lv);
	free(p->out);
	memset(p, 0, sizeof(*p));
}

/* Tokenise js[0..len), growing the buffer as needed; the count or -1. */
static int
tokenise_as(struct trd_bn *p, const char *js, size_t len, struct doc *d,
	    int type)
{
	for (;;) {
		jsmn_parser jp;
		int n;

		if (p->ntok == 0) {
			if ((p->tok = malloc(TOK_MIN * sizeof(jsmntok_t))) == NULL)
				return fail(p, "out of memory");
			p->ntok = TOK_MIN;
		}
		jsmn_init(&jp);
		n = jsmn_parse(&jp, js, len, p->tok, (unsigned)p->ntok);
		if (n == JSMN_ERROR_NOMEM) {
			void *nt;
			if (p->ntok >= TOK_MAX)
				return fail(p, "message too large (over %u JSON "
					       "values)", TOK_MAX);
			nt = realloc(p->tok, 2 * p->ntok * sizeof(jsmntok_t));
			if (nt == NULL)
				return fail(p, "out of memory");
			p->tok = nt;
			p->ntok *= 2;
			continue;
		}
		if (n < 1)
			return fail(p, n == JSMN_ERROR_PART ? "truncated JSON"
							   : "not JSON");
		d->js = js;
		d->t = p->tok;
		d->n = n;
		if ((int)d->t[0].type != type)
			return fail(p, type == JSMN_OBJECT ? "not a JSON object"
							   : "not a JSON array");
		return n;
	}
}

static int
tokenise(struct trd_bn *p, const char *js, size_t len, struct doc *d)
{
	return tokenise_as(p, js, len, d, JSMN_OBJECT);
}

/* The index after the value at i: the first token that starts past its
 * end (no recursion: a hostile frame may nest a million deep). */
static int
skip(const struct doc *d, int i)
{
	int end = d->t[i].end;

	for (i++; i < d->n && d->t[i].start < end; i++)
		;
	return i;
}

static int
tok_is(const struct doc *d, int i, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(d->t[i].end - d->t[i].start) == n &&
	       memcmp(d->js + d->t[i].start, s, n) == 0;
}

/* The value of key in the object at o, or -1. */
static int
member(const struct doc *d, int o, const char *key)
{
	int i = o + 1;

	if (o < 0 || d->t[o].type != JSMN_OBJECT)
		return -1;
	for (int k = 0; k < d->t[o].size && i < d->n; k++) {
		if (d->t[i].type == JSMN_STRING && tok_is(d, i, key))
			return i + 1 < d->n ? i + 1 : -1;
		i = skip(d, i + 1);
	}
	return -1;
}

static int
get_u64(const struct doc *d, int i, uint64_t *out)
{
	uint64_t v = 0;

	if (i < 0 || d->t[i].type != JSMN_PRIMITIVE ||
	    d->t[i].end == d->t[i].start)
		return -1;
	for (int k = d->t[i].start; k < d->t[i].end; k++) {
		unsigned c = (unsigned char)d->js[k] - '0';
		if (c > 9 || v > (UINT64_MAX - c) / 10)
			return -1;
		v = v * 10 + c;
	}
	*out = v;
	return 0;
}

/* Milliseconds since 1970 as ns (at most year 2262). */
static int
get_ms(const struct doc *d, int i, int64_t *ns)
{
	uint64_t ms;

	if (get_u64(d, i, &ms) != 0 ||
	    ms > (uint64_t)INT64_MAX / TRD_NS_PER_MS)
		return -1;
	*ns = (int64_t)ms * TRD_NS_PER_MS;
	return 0;
}

static int
get_bool(const struct doc *d, int i, int *out)
{
	if (i < 0 || d->t[i].type != JSMN_PRIMITIVE)
		return -1;
	if (tok_is(d, i, "true"))
		*out = 1;
	else if (tok_is(d, i, "false"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* A decimal string ("0.35130000") at scale dp. */
static int
get_dec(const struct doc *d, int i, int dp, int64_t *out)
{
	if (i < 0 || d->t[i].type != JSMN_STRING)
		return -1;
	return trd_dec_parse(d->js + d->t[i].start,
			     (size_t)(d->t[i].end - d->t[i].start), dp, out) ==
			       0
		       ? 0
		       : -1;
}

static const struct trd_instr *
instrument(const struct trd_bn *p, const struct doc *d, int i)
{
	char sym[TRD_SYMBOL_MAX + 1];
	size_t n;

	if (i < 0 || d->t[i].type != JSMN_STRING || p->reg == NULL)
		return NULL;
	n = (size_t)(d->t[i].end - d->t[i].start);
	if (n == 0 || n > TRD_SYMBOL_MAX)
		return NULL;
	memcpy(sym, d->js + d->t[i].start, n);
	sym[n] = '\0';
	for (size_t k = 0; k < p->reg->n; k++) {
		const struct trd_instr *r = &p->reg->v[k];
		/* Frames carry the venue's name for it. */
		if (strcmp(r->venue_symbol[0] ? r->venue_symbol : r->symbol,
			   sym) == 0)
			return r;
	}
	return NULL;
}

/* A field that must be there: its index, or -1 after naming it. */
#define NEED(idx, obj, key)                                              \
	do {                                                             \
		if (((idx) = member(d, (obj), (key))) < 0)               \
			return fail(p, "no \"%s\"", (key));              \
	} while (0)

uint32_t
trd_bn_interval(const char *s, size_t len)
{
	uint64_t n = 0;
	size_t i = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9' && n < 100000; i++)
		n = n * 10 + (uint64_t)(s[i] - '0');
	if (i == 0 || i + 1 != len || n == 0)
		return 0;
	switch (s[i]) {
	case 's': return (uint32_t)n;
	case 'm': return (uint32_t)(n * 60);
	case 'h': return (uint32_t)(n * 3600);
	case 'd': return (uint32_t)(n * 86400);
	case 'w': return (uint32_t)(n * 604800);
	}
	return 0;
}

static int
kline(struct trd_bn *p, const struct doc *d, int o, const struct trd_instr *in,
      struct trd_bn_msg *m)
{
	int k, i;
	int64_t close_ns;

	NEED(k, o, "k");
	m->kind = TRD_BN_KLINE;
	NEED(i, k, "t");
	if (get_ms(d, i, &m->u.kline.bar.ts_ns) != 0)
		return fail(p, "kline \"t\" is not a time in ms");
	NEED(i, k, "T");
	if (get_ms(d, i, &close_ns) != 0)
		return fail(p, "kline \"T\" is not a time in ms");
	NEED(i, k, "i");
	m->u.kline.tf_s = trd_bn_interval(d->js + d->t[i].start,
					  (size_t)(d->t[i].end - d->t[i].start));
	if (d->t[i].type != JSMN_STRING || m->u.kline.tf_s == 0)
		return fail(p, "kline \"i\" is not an interval");
	/* The close time is the open plus the interval, less 1 ms. */
	if (close_ns != m->u.kline.bar.ts_ns +
				(int64_t)m->u.kline.tf_s * TRD_NS_PER_SEC -
				TRD_NS_PER_MS)
		return fail(p, "kline \"T\" does not end its interval");
	NEED(i, k, "o");
	if (get_dec(d, i, in->price_dp, &m->u.kline.bar.open) != 0)
		return fail(p, "kline \"o\" is not a price at %u decimals",
			    in->price_dp);
	NEED(i, k, "h");
	if (get_dec(d, i, in->price_dp, &m->u.kline.bar.high) != 0)
		return fail(p, "kline \"h\" is not a price at %u decimals",
			    in->price_dp);
	NEED(i, k, "l");
	if (get_dec(d, i, in->price_dp, &m->u.kline.bar.low) != 0)
		return fail(p, "kline \"l\" is not a price at %u decimals",
			    in->price_dp);
	NEED(i, k, "c");
	if (get_dec(d, i, in->price_dp, &m->u.kline.bar.close) != 0)
		return fail(p, "kline \"c\" is not a price at %u decimals",
			    in->price_dp);
	NEED(i, k, "v");
	if (get_dec(d, i, in->qty_dp, &m->u.kline.bar.volume) != 0 ||
	    m->u.kline.bar.volume < 0)
		return fail(p, "kline \"v\" is not a quantity at %u decimals",
			    in->qty_dp);
	NEED(i, k, "x");
	if (get_bool(d, i, &m->u.kline.closed) != 0)
		return fail(p, "kline \"x\" is not true or false");
	i = member(d, k, "n");
	if (i >= 0 && get_u64(d, i, &m->u.kline.ntrades) != 0)
		return fail(p, "kline \"n\" is not a count");
	{
		const struct trd_bar *b = &m->u.kline.bar;
		if (b->low <= 0 || b->high < b->low || b->open < b->low ||
		    b->open > b->high || b->close < b->low ||
		    b->close > b->high)
			return fail(p, "kline prices out of order (low %lld, "
				       "high %lld)", (long long)b->low,
				    (long long)b->high);
	}
	m->u.kline.bar.sym = m->ins;
	m->u.kline.bar.tf_s = m->u.kline.tf_s;
	return 0;
}

static int
trade(struct trd_bn *p, const struct doc *d, int o, const struct trd_instr *in,
      struct trd_bn_msg *m, int agg)
{
	struct trd_trade *t = &m->u.trade.t;
	int i, maker;

	m->kind = agg ? TRD_BN_AGGTRADE : TRD_BN_TRADE;
	t->size = sizeof(*t);
	t->sym = m->ins;
	NEED(i, o, agg ? "a" : "t");
	if (get_u64(d, i, &t->id) != 0)
		return fail(p, "\"%s\" is not an id", agg ? "a" : "t");
	NEED(i, o, "p");
	if (get_dec(d, i, in->price_dp, &t->price) != 0 || t->price <= 0)
		return fail(p, "\"p\" is not a price at %u decimals",
			    in->price_dp);
	NEED(i, o, "q");
	if (get_dec(d, i, in->qty_dp, &t->qty) != 0 || t->qty < 0)
		return fail(p, "\"q\" is not a quantity at %u decimals",
			    in->qty_dp);
	NEED(i, o, "T");
	if (get_ms(d, i, &t->ts_ns) != 0)
		return fail(p, "\"T\" is not a time in ms");
	NEED(i, o, "m");
	if (get_bool(d, i, &maker) != 0)
		return fail(p, "\"m\" is not true or false");
	/* The buyer was the maker: the taker sold. */
	t->aggressor = maker ? TRD_SIDE_SELL : TRD_SIDE_BUY;
	if (agg) {
		NEED(i, o, "f");
		if (get_u64(d, i, &m->u.trade.first_id) != 0)
			return fail(p, "\"f\" is not an id");
		NEED(i, o, "l");
		if (get_u64(d, i, &m->u.trade.last_id) != 0 ||
		    m->u.trade.last_id < m->u.trade.first_id)
			return fail(p, "\"l\" is not an id at or after \"f\"");
	}
	return 0;
}

static int
ticker(struct trd_bn *p, const struct doc *d, int o, const struct trd_instr *in,
       struct trd_bn_msg *m)
{
	struct trd_quote *q = &m->u.ticker.q;
	int i;

	m->kind = TRD_BN_BOOKTICKER;
	q->size = sizeof(*q);
	q->sym = m->ins;
	q->ts_ns = m->event_ns;
	NEED(i, o, "u");
	if (get_u64(d, i, &m->u.ticker.update_id) != 0)
		return fail(p, "\"u\" is not an id");
	NEED(i, o, "b");
	if (get_dec(d, i, in->price_dp, &q->bid) != 0 || q->bid < 0)
		return fail(p, "\"b\" is not a price at %u decimals",
			    in->price_dp);
	NEED(i, o, "B");
	if (get_dec(d, i, in->qty_dp, &q->bid_qty) != 0 || q->bid_qty < 0)
		return fail(p, "\"B\" is not a quantity at %u decimals",
			    in->qty_dp);
	NEED(i, o, "a");
	if (get_dec(d, i, in->price_dp, &q->ask) != 0 || q->ask < 0)
		return fail(p, "\"a\" is not a price at %u decimals",
			    in->price_dp);
	NEED(i, o, "A");
	if (get_dec(d, i, in->qty_dp, &q->ask_qty) != 0 || q->ask_qty < 0)
		return fail(p, "\"A\" is not a quantity at %u decimals",
			    in->qty_dp);
	return 0;
}

/* The [[price, qty], ...] array at i into p->lv[at..); the count or -1. */
static long
levels(struct trd_bn *p, const struct doc *d, int i, const struct trd_instr *in,
       size_t at, const char *name)
{
	int n, j = i + 1;

	if (i < 0 || d->t[i].type != JSMN_ARRAY)
		return fail(p, "\"%s\" is not a list of levels", name);
	n = d->t[i].size;
	if (at + (size_t)n > p->nlv) {
		size_t cap = p->nlv ? p->nlv : 64;
		void *nl;
		while (cap < at + (size_t)n)
			cap *= 2;
		if ((nl = realloc(p->lv, cap * sizeof(*p->lv))) == NULL)
			return fail(p, "out of memory");
		p->lv = nl;
		p->nlv = cap;
	}
	for (int k = 0; k < n; k++) {
		struct trd_bn_level *l = &p->lv[at + (size_t)k];

		if (j + 2 >= d->n || d->t[j].type != JSMN_ARRAY ||
		    d->t[j].size != 2 ||
		    get_dec(d, j + 1, in->price_dp, &l->px) != 0 ||
		    get_dec(d, j + 2, in->qty_dp, &l->qty) != 0 || l->px <= 0 ||
		    l->qty < 0)
			return fail(p, "\"%s\" level %d is not [price, "
				       "quantity] at %u and %u decimals",
				    name, k + 1, in->price_dp, in->qty_dp);
		j += 3;
	}
	return n;
}

static int
depth(struct trd_bn *p, const struct doc *d, int o, const struct trd_instr *in,
      struct trd_bn_msg *m)
{
	int i;
	long nb, na;

	m->kind = TRD_BN_DEPTH;
	NEED(i, o, "U");
	if (get_u64(d, i, &m->u.depth.first_id) != 0)
		return fail(p, "\"U\" is not an id");
	NEED(i, o, "u");
	if (get_u64(d, i, &m->u.depth.last_id) != 0 ||
	    m->u.depth.last_id < m->u.depth.first_id)
		return fail(p, "\"u\" is not an id at or after \"U\"");
	i = member(d, o, "pu");
	m->u.depth.has_prev = i >= 0;
	if (i >= 0 && get_u64(d, i, &m->u.depth.prev_id) != 0)
		return fail(p, "\"pu\" is not an id");
	NEED(i, o, "b");
	if ((nb = levels(p, d, i, in, 0, "b")) < 0)
		return -1;
	NEED(i, o, "a");
	if ((na = levels(p, d, i, in, (size_t)nb, "a")) < 0)
		return -1;
	m->u.depth.nbids = (size_t)nb;
	m->u.depth.nasks = (size_t)na;
	return 0;
}

int
trd_bn_frame(struct trd_bn *p, const char *frame, size_t len,
	     struct trd_bn_msg *m)
{
	struct doc doc, *d = &doc;
	const struct trd_instr *in;
	int o = 0, e, i;

	memset(m, 0, sizeof(*m));
	p->frames++;
	if (tokenise(p, frame, len, d) < 0)
		return -1;
	/* A combined stream wraps the message: {"stream":..,"data":{..}}. */
	if ((i = member(d, 0, "data")) >= 0 && member(d, 0, "stream") >= 0) {
		if (d->t[i].type != JSMN_OBJECT)
			return fail(p, "\"data\" is not an object");
		o = i;
	}
	if ((i = member(d, o, "result")) >= 0 || member(d, o, "error") >= 0) {
		m->kind = TRD_BN_REPLY;
		m->u.reply.error = i < 0;
		i = member(d, o, "id");
		if (i >= 0 && get_u64(d, i, &m->u.reply.id) != 0 &&
		    !tok_is(d, i, "null"))
			return fail(p, "\"id\" is not an id");
		return 0;
	}
	e = member(d, o, "e");
	if (e >= 0 && d->t[e].type == JSMN_STRING &&
	    tok_is(d, e, "serverShutdown")) {
		m->kind = TRD_BN_SHUTDOWN;
		(void)get_ms(d, member(d, o, "E"), &m->event_ns);
		return 0;
	}
	i = member(d, o, "E");
	if (i >= 0 && get_ms(d, i, &m->event_ns) != 0)
		return fail(p, "\"E\" is not a time in ms");
	NEED(i, o, "s");
	if ((in = instrument(p, d, i)) == NULL)
		return fail(p, "symbol \"%.*s\" is not configured",
			    d->t[i].end - d->t[i].start > 40
				    ? 40 : d->t[i].end - d->t[i].start,
			    d->js + d->t[i].start);
	m->ins = in->id;
	if (e < 0) /* spot bookTicker has no event type */
		return ticker(p, d, o, in, m);
	if (d->t[e].type != JSMN_STRING)
		return fail(p, "\"e\" is not a string");
	if (tok_is(d, e, "kline"))
		return kline(p, d, o, in, m);
	if (tok_is(d, e, "aggTrade"))
		return trade(p, d, o, in, m, 1);
	if (tok_is(d, e, "trade"))
		return trade(p, d, o, in, m, 0);
	if (tok_is(d, e, "bookTicker"))
		return ticker(p, d, o, in, m);
	if (tok_is(d, e, "depthUpdate"))
		return depth(p, d, o, in, m);
	return fail(p, "unknown event \"%.*s\"",
		    d->t[e].end - d->t[e].start > 40
			    ? 40 : d->t[e].end - d->t[e].start,
		    d->js + d->t[e].start);
}

int
trd_bn_snapshot(struct trd_bn *p, uint32_t ins, const char *body, size_t len,
		uint64_t *last_id, size_t *nbids, size_t *nasks)
{
	struct doc doc, *d = &doc;
	const struct trd_instr *in = p->reg ? trd_registry_get(p->reg, ins)
					    : NULL;
	int i;
	long nb, na;

	if (in == NULL)
		return fail(p, "no instrument %u", ins);
	if (tokenise(p, body, len, d) < 0)
		return -1;
	NEED(i, 0, "lastUpdateId");
	if (get_u64(d, i, last_id) != 0)
		return fail(p, "\"lastUpdateId\" is not an id");
	NEED(i, 0, "bids");
	if ((nb = levels(p, d, i, in, 0, "bids")) < 0)
		return -1;
	NEED(i, 0, "asks");
	if ((na = levels(p, d, i, in, (size_t)nb, "asks")) < 0)
		return -1;
	*nbids = (size_t)nb;
	*nasks = (size_t)na;
	return 0;
}

/* The array element after index i (i is an element of the array). */
static int
next_elem(const struct doc *d, int i)
{
	return skip(d, i);
}

/* An exact decimal string, or (klines' numbers) a bare number token. */
static int
get_dec_any(const struct doc *d, int i, int dp, int64_t *out)
{
	if (i < 0 || (d->t[i].type != JSMN_STRING &&
		      d->t[i].type != JSMN_PRIMITIVE))
		return -1;
	return trd_dec_parse(d->js + d->t[i].start,
			     (size_t)(d->t[i].end - d->t[i].start), dp,
			     out) == 0 ? 0 : -1;
}

static int
grow_out(struct trd_bn *p, size_t need, size_t each)
{
	void *n;
	size_t cap;

	if (need <= p->nout)
		return 0;
	cap = p->nout ? p->nout : 64;
	while (cap < need)
		cap *= 2;
	if ((n = realloc(p->out, cap * each)) == NULL)
		return -1;
	p->out = n;
	p->nout = cap;
	return 0;
}

int
trd_bn_klines(struct trd_bn *p, uint32_t ins, uint32_t tf_s, const char *body,
	      size_t len, struct trd_bar **bars, size_t *n)
{
	struct doc doc, *d = &doc;
	const struct trd_instr *in = p->reg ? trd_registry_get(p->reg, ins)
					    : NULL;
	int i;

	*n = 0;
	if (in == NULL)
		return fail(p, "no instrument %u", ins);
	if (tokenise_as(p, body, len, d, JSMN_ARRAY) < 0)
		return -1;
	if (grow_out(p, (size_t)d->t[0].size + 1, sizeof(struct trd_bar)) != 0)
		return fail(p, "klines: out of memory");
	i = 1;
	for (int k = 0; k < d->t[0].size; k++, i = next_elem(d, i)) {
		struct trd_bar *b = (struct trd_bar *)p->out + *n;
		int64_t *f[5] = { &b->open, &b->high, &b->low, &b->close,
				  &b->volume };
		int e = i + 1, ms;

		if (i >= d->n || d->t[i].type != JSMN_ARRAY ||
		    d->t[i].size < 6)
			return fail(p, "klines[%d]: expected an array of at "
				    "least 6", k);
		memset(b, 0, sizeof(*b));
		if (get_ms(d, e, &b->ts_ns) != 0)
			return fail(p, "klines[%d][0] is not a time in ms", k);
		for (ms = 0; ms < 5; ms++) {
			e = next_elem(d, e);
			if (get_dec_any(d, e, ms < 4 ? in->price_dp : in->qty_dp,
					f[ms]) != 0)
				return fail(p, "klines[%d][%d] is not a decimal "
					    "at %u decimals", k, ms + 1,
					    ms < 4 ? in->price_dp : in->qty_dp);
		}
		if (b->low <= 0 || b->high < b->low || b->open < b->low ||
		    b->open > b->high || b->close < b->low ||
		    b->close > b->high || b->volume < 0)
			return fail(p, "klines[%d]: prices out of order", k);
		b->sym = ins;
		b->tf_s = tf_s;
		(*n)++;
	}
	*bars = p->out;
	return 0;
}

int
trd_bn_aggtrades(struct trd_bn *p, uint32_t ins, const char *body, size_t len,
		 struct trd_bn_msg **msgs, size_t *n)
{
	struct doc doc, *d = &doc;
	const struct trd_instr *in = p->reg ? trd_registry_get(p->reg, ins)
					    : NULL;
	int i;

	*n = 0;
	if (in == NULL)
		return fail(p, "no instrument %u", ins);
	if (tokenise_as(p, body, len, d, JSMN_ARRAY) < 0)
		return -1;
	if (grow_out(p, (size_t)d->t[0].size + 1,
		     sizeof(struct trd_bn_msg)) != 0)
		return fail(p, "aggTrades: out of memory");
	i = 1;
	for (int k = 0; k < d->t[0].size; k++, i = next_elem(d, i)) {
		struct trd_bn_msg *m = (struct trd_bn_msg *)p->out + *n;

		if (i >= d->n || d->t[i].type != JSMN_OBJECT)
			return fail(p, "aggTrades[%d]: expected an object", k);
		memset(m, 0, sizeof(*m));
		m->ins = ins;
		if (trade(p, d, i, in, m, 1) != 0)
			return -1;
		(*n)++;
	}
	*msgs = p->out;
	return 0;
}

int
trd_bn_exchange_info(struct trd_bn *p, const char *body, size_t len,
		     struct trd_bn_filters *out)
{
	struct doc doc, *d = &doc;
	int syms, i;

	if (p->reg == NULL)
		return fail(p, "no instruments");
	for (size_t k = 0; k < p->reg->n; k++)
		out[k] = (struct trd_bn_filters){ 0 };
	if (tokenise(p, body, len, d) < 0)
		return -1;
	if ((syms = member(d, 0, "symbols")) < 0 ||
	    d->t[syms].type != JSMN_ARRAY)
		return fail(p, "exchangeInfo: no \"symbols\" array");
	i = syms + 1;
	for (int k = 0; k < d->t[syms].size && i < d->n; k++, i = skip(d, i)) {
		const struct trd_instr *in;
		struct trd_bn_filters *f;
		int fl, j;

		if (d->t[i].type != JSMN_OBJECT)
			continue;
		if ((in = instrument(p, d, member(d, i, "symbol"))) == NULL)
			continue;
		f = &out[in->id];
		f->found = 1;
		if ((fl = member(d, i, "filters")) < 0 ||
		    d->t[fl].type != JSMN_ARRAY)
			continue;
		j = fl + 1;
		for (int m = 0; m < d->t[fl].size && j < d->n;
		     m++, j = skip(d, j)) {
			int t = member(d, j, "filterType");
			if (d->t[j].type != JSMN_OBJECT || t < 0)
				continue;
			if (tok_is(d, t, "PRICE_FILTER") &&
			    get_dec(d, member(d, j, "tickSize"), in->price_dp,
				    &f->tick) != 0)
				f->tick = -1; /* finer than the scale */
			else if (tok_is(d, t, "LOT_SIZE") &&
				 get_dec(d, member(d, j, "stepSize"), in->qty_dp,
					 &f->lot) != 0)
				f->lot = -1;
			else if (tok_is(d, t, "NOTIONAL") ||
				 tok_is(d, t, "MIN_NOTIONAL")) {
				/* Spot says minNotional, USD-M notional. */
				int v = member(d, j, "minNotional");
				if (v < 0)
					v = member(d, j, "notional");
				if (get_dec(d, v, TRD_CASH_DP,
					    &f->min_notional) != 0)
					f->min_notional = 0;
			}
		}
	}
	return 0;
}
