/*
 * summary: see summary.h.  The per-bar part is in the store's cursor
 * (store.c); this is the rare part, once per bucket.
 */
#include "summary.h"

/* Twice as wide: merge neighbours. */
static void
widen(struct trd_series_summary *m)
{
	int64_t t0 = m->b[0].t;
	uint32_t k = 0;

	m->w *= 2;
	for (uint32_t j = 0; j < m->nb; j++) {
		struct trd_bar_bucket b = m->b[j];

		b.t = t0 + (b.t - t0) / m->w * m->w;
		if (k && m->b[k - 1].t == b.t) {
			struct trd_bar_bucket *p = &m->b[k - 1];
			p->h = b.h > p->h ? b.h : p->h;
			p->l = b.l < p->l ? b.l : p->l;
			p->c = b.c;
		} else {
			m->b[k++] = b;
		}
	}
	m->nb = k;
	m->cur_end = m->b[k - 1].t + m->w;
}

void
trd_summary_bucket(struct trd_series_summary *m, const struct trd_bar *b)
{
	int64_t t0;

	if (m->nb == 0) {
		m->b[m->nb++] = (struct trd_bar_bucket){ b->ts_ns, b->high,
							 b->low, b->close };
		m->cur_end = b->ts_ns + m->w;
		return;
	}
	while (m->nb == TRD_SUMMARY_BUCKETS && b->ts_ns >= m->cur_end)
		widen(m);
	if (b->ts_ns < m->cur_end) /* widened onto it */
		return;
	t0 = m->b[0].t;
	m->b[m->nb] = (struct trd_bar_bucket){
		t0 + (b->ts_ns - t0) / m->w * m->w, b->high, b->low, b->close };
	m->cur_end = m->b[m->nb].t + m->w;
	m->nb++;
}
