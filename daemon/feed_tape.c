/*
 * feed_tape: see feed_tape.h.  Each record goes into the feed core as it
 * went in live; the events the core emits for it are queued and handed to
 * the engine in order.  A TIME record is also a TRD_EV_TIME event, as the
 * live source pushed one after each tick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "feed.h"
#include "feed_tape.h"
#include "log.h"
#include "tape.h"

struct feed_tape {
	struct trd_source  base;
	const struct trd_config *c;
	const struct trd_registry *reg;
	struct trd_tape_r  r;
	struct trd_feed    feed;
	struct trd_event  *q;
	size_t             nq, capq, iq;
	int                err, eof;
	char              *symlist;   /* the config's, as START records it */
	uint64_t           records;
};

static void
emit_cb(void *arg, const struct trd_event *ev)
{
	struct feed_tape *t = arg;

	if (t->nq == t->capq) {
		size_t cap = t->capq ? t->capq * 2 : 256;
		struct trd_event *n = realloc(t->q, cap * sizeof(*n));
		if (n == NULL) {
			t->err = -ENOMEM;
			return;
		}
		t->q = n;
		t->capq = cap;
	}
	t->q[t->nq++] = *ev;
}

/* A START record: the symbols must be the config's, in its order. */
static int
check_start(struct feed_tape *t, const struct trd_feed_in *in)
{
	const char *p = memmem(in->data, in->len, "symbols=", 8);
	size_t n;

	if (p == NULL) {
		log_error("tape: a session start without its symbols");
		return TRD_EVERSION;
	}
	p += 8;
	n = in->len - (size_t)(p - in->data);
	if (n != strlen(t->symlist) || memcmp(p, t->symlist, n) != 0) {
		log_error("tape: the session recorded at %lld had symbols "
			  "%.*s; this config has %s (replay a tape with the "
			  "config it was recorded with)", (long long)in->ts_ns,
			  (int)(n > 400 ? 400 : n), p, t->symlist);
		return TRD_ECONFIG;
	}
	return 0;
}

static int
tape_pull(struct trd_source *src, struct trd_event *out, int max)
{
	struct feed_tape *t = (struct feed_tape *)src;
	int n = 0;

	while (n < max) {
		struct trd_feed_in in;
		int rc;

		if (t->iq < t->nq) {
			size_t k = t->nq - t->iq;
			if (k > (size_t)(max - n))
				k = (size_t)(max - n);
			memcpy(out + n, t->q + t->iq, k * sizeof(*out));
			t->iq += k;
			n += (int)k;
			continue;
		}
		t->iq = t->nq = 0;
		if (t->err)
			return t->err;
		if (t->eof)
			break;
		if ((rc = trd_tape_next(&t->r, &in)) <= 0) {
			if (rc < 0) {
				log_error("tape: cannot read record after %llu:"
					  " %s", (unsigned long long)t->records,
					  trd_strerror(rc));
				return rc;
			}
			t->eof = 1;
			break;
		}
		t->records++;
		if (in.kind == TRD_FIN_START && (rc = check_start(t, &in)) != 0)
			return rc;
		trd_feed_input(&t->feed, &in);
		if (in.kind == TRD_FIN_TIME) {
			struct trd_event ev = { .ts_ns = in.ts_ns,
						.type = TRD_EV_TIME };
			emit_cb(t, &ev);
		}
	}
	return n;
}

static void
tape_destroy(struct trd_source *src)
{
	struct feed_tape *t = (struct feed_tape *)src;

	trd_tape_close(&t->r);
	trd_feed_free(&t->feed);
	free(t->q);
	free(t->symlist);
	free(t);
}

static const struct trd_source_ops tape_ops = {
	.kind = "tape",
	.pull = tape_pull,
	.destroy = tape_destroy,
};

int
trd_feed_tape_open(struct trd_source **out, const struct trd_config *c,
		   const struct trd_registry *reg, struct trd_store *s,
		   int64_t from_ns, int64_t to_ns)
{
	struct feed_tape *t = calloc(1, sizeof(*t));
	struct trd_tape_r probe;
	struct trd_feed_in in;
	size_t cap = 1, n = 0;
	int rc;

	*out = NULL;
	if (t == NULL)
		return -ENOMEM;
	t->base.ops = &tape_ops;
	t->c = c;
	t->reg = reg;
	for (size_t i = 0; i < reg->n; i++)
		cap += strlen(reg->v[i].symbol) + 1;
	if ((t->symlist = malloc(cap)) == NULL) {
		free(t);
		return -ENOMEM;
	}
	t->symlist[0] = '\0';
	for (size_t i = 0; i < reg->n; i++)
		n += (size_t)sprintf(t->symlist + n, "%s%s", i ? "," : "",
				     reg->v[i].symbol);
	/* The first record's time starts the clock. */
	if ((rc = trd_tape_open(&probe, s, from_ns, to_ns)) != 0) {
		if (rc == TRD_ENOTFOUND)
			log_error("tape: none in %s (a paper session with "
				  "feed.record: true writes one)", s->dir);
		free(t->symlist);
		free(t);
		return rc;
	}
	rc = trd_tape_next(&probe, &in);
	trd_tape_close(&probe);
	if (rc <= 0) {
		log_error("tape: no records in %s in the range given", s->dir);
		free(t->symlist);
		free(t);
		return rc < 0 ? rc : TRD_ENOTFOUND;
	}
	if (in.kind != TRD_FIN_START)
		log_warn("tape: the range starts inside a session: books and "
			 "bars rebuild from there");
	t->base.start_ns = in.ts_ns;
	if ((rc = trd_tape_open(&t->r, s, from_ns, to_ns)) != 0 ||
	    (rc = trd_feed_init(&t->feed, &c->feed, reg, emit_cb, NULL, t))
	    != 0) {
		trd_tape_close(&t->r);
		free(t->symlist);
		free(t);
		return rc;
	}
	*out = &t->base;
	return 0;
}
