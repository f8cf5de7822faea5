/*
 * book: see book.h.  Each side is a sorted array: a level is found by
 * binary search and inserted or removed with a move (books are a few
 * thousand levels deep; a diff touches a few).
 */
#include <stdlib.h>
#include <string.h>

#include "book.h"

void
trd_book_init(struct trd_book *b, int rules)
{
	memset(b, 0, sizeof(*b));
	b->rules = rules;
}

void
trd_book_free(struct trd_book *b)
{
	free(b->bid.v);
	free(b->ask.v);
	free(b->pend);
	free(b->lv);
	memset(b, 0, sizeof(*b));
}

/* Set (or with qty 0 remove) the level at px. */
static int
side_set(struct trd_book_side *s, int64_t px, int64_t qty)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].px < px)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->v[lo].px == px) {
		if (qty == 0)
			memmove(&s->v[lo], &s->v[lo + 1],
				(s->n-- - lo - 1) * sizeof(s->v[0]));
		else
			s->v[lo].qty = qty;
		return 0;
	}
	if (qty == 0)
		return 0; /* an unknown level removed: normal */
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct trd_bn_level *nv = realloc(s->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		s->v = nv;
		s->cap = cap;
	}
	memmove(&s->v[lo + 1], &s->v[lo], (s->n - lo) * sizeof(s->v[0]));
	s->v[lo] = (struct trd_bn_level){ px, qty };
	s->n++;
	return 0;
}

static int
apply(struct trd_book *b, const struct trd_bn_level *lv, size_t nb, size_t na,
      uint64_t last_id)
{
	for (size_t i = 0; i < nb; i++)
		if (side_set(&b->bid, lv[i].px, lv[i].qty) != 0)
			return TRD_BOOK_NOMEM;
	for (size_t i = 0; i < na; i++)
		if (side_set(&b->ask, lv[nb + i].px, lv[nb + i].qty) != 0)
			return TRD_BOOK_NOMEM;
	b->id = last_id;
	b->applied++;
	b->fresh = 0;
	return TRD_BOOK_APPLIED;
}

static int
buffer(struct trd_book *b, uint64_t first, uint64_t last, uint64_t prev,
       int has_prev, const struct trd_bn_level *lv, size_t nb, size_t na)
{
	if (b->npend == b->cap_pend) {
		size_t cap = b->cap_pend ? b->cap_pend * 2 : 64;
		struct trd_book_pending *np = realloc(b->pend, cap * sizeof(*np));
		if (np == NULL)
			return TRD_BOOK_NOMEM;
		b->pend = np;
		b->cap_pend = cap;
	}
	if (b->nlv + nb + na > b->cap_lv) {
		size_t cap = b->cap_lv ? b->cap_lv : 256;
		struct trd_bn_level *nl;
		while (cap < b->nlv + nb + na)
			cap *= 2;
		if ((nl = realloc(b->lv, cap * sizeof(*nl))) == NULL)
			return TRD_BOOK_NOMEM;
		b->lv = nl;
		b->cap_lv = cap;
	}
	if (nb + na > 0) /* (a diff with no levels: lv may be NULL) */
		memcpy(b->lv + b->nlv, lv, (nb + na) * sizeof(*lv));
	b->pend[b->npend++] = (struct trd_book_pending){
		first, last, prev, has_prev, b->nlv, nb, na };
	b->nlv += nb + na;
	return TRD_BOOK_BUFFERED;
}

/* Does a diff [first, last] (prev) follow the book? */
static int
follows(const struct trd_book *b, uint64_t first, uint64_t last,
	uint64_t prev, int has_prev)
{
	if (b->rules == TRD_BOOK_USDM) {
		if (b->fresh) /* the first after the snapshot straddles it */
			return first <= b->id && b->id <= last;
		return has_prev && prev == b->id;
	}
	if (b->fresh)
		return first <= b->id + 1 && b->id + 1 <= last;
	return first == b->id + 1;
}

static int
is_old(const struct trd_book *b, uint64_t last)
{
	return b->rules == TRD_BOOK_USDM ? last < b->id : last <= b->id;
}

static void
discard(struct trd_book *b)
{
	b->synced = b->fresh = 0;
	b->bid.n = b->ask.n = 0;
	b->npend = b->nlv = 0;
}

int
trd_book_diff(struct trd_book *b, const struct trd_bn_msg *m,
	      const struct trd_bn_level *lv)
{
	uint64_t U = m->u.depth.first_id, u = m->u.depth.last_id;
	uint64_t pu = m->u.depth.prev_id;
	int hp = m->u.depth.has_prev;

	if (!b->synced)
		return buffer(b, U, u, pu, hp, lv, m->u.depth.nbids,
			      m->u.depth.nasks);
	if (is_old(b, u)) {
		b->old++;
		return TRD_BOOK_OLD;
	}
	if (!follows(b, U, u, pu, hp)) {
		int rc;
		b->gaps++;
		discard(b);
		rc = buffer(b, U, u, pu, hp, lv, m->u.depth.nbids,
			    m->u.depth.nasks);
		return rc == TRD_BOOK_NOMEM ? rc : TRD_BOOK_GAP;
	}
	return apply(b, lv, m->u.depth.nbids, m->u.depth.nasks, u);
}

int
trd_book_snapshot(struct trd_book *b, uint64_t last_id,
		  const struct trd_bn_level *lv, size_t nb, size_t na)
{
	size_t k = 0;

	/* Older than the first diff kept: the diffs between are lost. */
	if (b->npend && (b->rules == TRD_BOOK_USDM
				 ? last_id < b->pend[0].first_id
				 : last_id + 1 < b->pend[0].first_id))
		return TRD_BOOK_RETRY;
	b->bid.n = b->ask.n = 0;
	for (size_t i = 0; i < nb + na; i++)
		if (side_set(i < nb ? &b->bid : &b->ask, lv[i].px,
			     lv[i].qty) != 0)
			return TRD_BOOK_NOMEM;
	b->id = last_id;
	b->synced = b->fresh = 1;
	b->snapshots++;
	for (; k < b->npend; k++) {
		const struct trd_book_pending *p = &b->pend[k];
		if (is_old(b, p->last_id))
			continue;
		if (!follows(b, p->first_id, p->last_id, p->prev_id,
			     p->has_prev)) {
			b->gaps++;
			discard(b);
			return TRD_BOOK_RETRY;
		}
		if (apply(b, b->lv + p->off, p->nbids, p->nasks,
			  p->last_id) != TRD_BOOK_APPLIED)
			return TRD_BOOK_NOMEM;
	}
	b->npend = b->nlv = 0;
	return TRD_BOOK_APPLIED;
}

int
trd_book_top(const struct trd_book *b, int64_t *bid, int64_t *bid_qty,
	     int64_t *ask, int64_t *ask_qty)
{
	if (!b->synced)
		return -1;
	*bid = b->bid.n ? b->bid.v[b->bid.n - 1].px : 0;
	*bid_qty = b->bid.n ? b->bid.v[b->bid.n - 1].qty : 0;
	*ask = b->ask.n ? b->ask.v[0].px : 0;
	*ask_qty = b->ask.n ? b->ask.v[0].qty : 0;
	return 0;
}
