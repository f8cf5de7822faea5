/*
 * http_parse: llhttp behind a small interface (see http_parse.h).
 *
 * llhttp hands data in pieces that may be split anywhere, even inside a
 * header name, across feeds; every piece is appended to the current
 * field, and a field is closed in its *_complete callback.  Header names
 * and values go to one arena (head) as NUL-terminated strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <llhttp.h>

#include "http_parse.h"

struct trd_httpp {
	llhttp_t          parser;
	llhttp_settings_t settings;
	int               request;
	int               done;
	int               begun;
	size_t            max_body;
	struct trd_http_msg msg;
	char              head[TRD_HTTP_MAX_HEAD];
	size_t            hlen;
	size_t            field0; /* where the open field starts in head */
	size_t            tlen;   /* of target */
	char             *body;
	size_t            bcap;
	char              err[160];
};

static struct trd_httpp *
of(llhttp_t *h)
{
	return (struct trd_httpp *)((char *)h - offsetof(struct trd_httpp,
							 parser));
}

static int
fail(struct trd_httpp *p, const char *what)
{
	snprintf(p->err, sizeof(p->err), "%s", what);
	return HPE_USER;
}

static int
on_begin(llhttp_t *h)
{
	of(h)->begun = 1;
	return 0;
}

static int
append(struct trd_httpp *p, const char *at, size_t n)
{
	if (n >= sizeof(p->head) - p->hlen)
		return fail(p, "headers longer than 16384 bytes");
	memcpy(p->head + p->hlen, at, n);
	p->hlen += n;
	return 0;
}

static int
close_field(struct trd_httpp *p)
{
	if (p->hlen >= sizeof(p->head))
		return fail(p, "headers longer than 16384 bytes");
	p->head[p->hlen++] = '\0';
	return 0;
}

static int
on_url(llhttp_t *h, const char *at, size_t n)
{
	struct trd_httpp *p = of(h);

	if (n >= sizeof(p->msg.target) - p->tlen)
		return fail(p, "request target longer than 16383 bytes");
	memcpy(p->msg.target + p->tlen, at, n);
	p->tlen += n;
	p->msg.target[p->tlen] = '\0';
	return 0;
}

static int
on_field(llhttp_t *h, const char *at, size_t n)
{
	struct trd_httpp *p = of(h);

	if (p->field0 == (size_t)-1) {
		if (p->msg.nhdr == TRD_HTTP_MAX_HEADERS)
			return fail(p, "more than 48 headers");
		p->field0 = p->hlen;
	}
	return append(p, at, n);
}

static int
on_field_done(llhttp_t *h)
{
	struct trd_httpp *p = of(h);
	int rc;

	if (p->field0 == (size_t)-1) /* an empty name */
		p->field0 = p->hlen;
	if ((rc = close_field(p)) != 0)
		return rc;
	p->msg.hdr[p->msg.nhdr].name = p->head + p->field0;
	p->msg.hdr[p->msg.nhdr].value = "";
	p->field0 = (size_t)-1;
	return 0;
}

static int
on_value(llhttp_t *h, const char *at, size_t n)
{
	struct trd_httpp *p = of(h);

	if (p->field0 == (size_t)-1)
		p->field0 = p->hlen;
	return append(p, at, n);
}

static int
on_value_done(llhttp_t *h)
{
	struct trd_httpp *p = of(h);
	int rc;

	if (p->field0 == (size_t)-1)
		p->field0 = p->hlen;
	if ((rc = close_field(p)) != 0)
		return rc;
	p->msg.hdr[p->msg.nhdr++].value = p->head + p->field0;
	p->field0 = (size_t)-1;
	return 0;
}

static int
on_headers_done(llhttp_t *h)
{
	struct trd_httpp *p = of(h);

	p->msg.status = llhttp_get_status_code(h);
	if (p->request)
		snprintf(p->msg.method, sizeof(p->msg.method), "%s",
			 llhttp_method_name(llhttp_get_method(h)));
	return 0;
}

static int
on_body(llhttp_t *h, const char *at, size_t n)
{
	struct trd_httpp *p = of(h);

	if (n > p->max_body - p->msg.blen)
		return fail(p, "body larger than the limit");
	if (p->msg.blen + n + 1 > p->bcap) {
		size_t cap = p->bcap ? p->bcap : 4096;
		char *b;
		while (cap < p->msg.blen + n + 1)
			cap *= 2;
		if ((b = realloc(p->body, cap)) == NULL)
			return fail(p, "out of memory for the body");
		p->body = b;
		p->bcap = cap;
	}
	memcpy(p->body + p->msg.blen, at, n);
	p->msg.blen += n;
	return 0;
}

static int
on_done(llhttp_t *h)
{
	struct trd_httpp *p = of(h);

	p->msg.keep_alive = llhttp_should_keep_alive(h);
	p->done = 1;
	return HPE_PAUSED;
}

struct trd_httpp *
trd_httpp_new(int request, size_t max_body)
{
	struct trd_httpp *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->request = request;
	p->max_body = max_body;
	llhttp_settings_init(&p->settings);
	p->settings.on_message_begin = on_begin;
	p->settings.on_url = on_url;
	p->settings.on_header_field = on_field;
	p->settings.on_header_field_complete = on_field_done;
	p->settings.on_header_value = on_value;
	p->settings.on_header_value_complete = on_value_done;
	p->settings.on_headers_complete = on_headers_done;
	p->settings.on_body = on_body;
	p->settings.on_message_complete = on_done;
	trd_httpp_reset(p);
	return p;
}

void
trd_httpp_free(struct trd_httpp *p)
{
	if (p == NULL)
		return;
	free(p->body);
	free(p);
}

void
trd_httpp_reset(struct trd_httpp *p)
{
	llhttp_init(&p->parser, p->request ? HTTP_REQUEST : HTTP_RESPONSE,
		    &p->settings);
	memset(&p->msg, 0, sizeof(p->msg));
	p->hlen = 0;
	p->tlen = 0;
	p->field0 = (size_t)-1;
	p->done = 0;
	p->begun = 0;
	p->err[0] = '\0';
}

static int
finish_msg(struct trd_httpp *p)
{
	if (p->body == NULL && (p->body = malloc(1)) != NULL)
		p->bcap = 1;
	if (p->body == NULL) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		return -1;
	}
	p->body[p->msg.blen] = '\0';
	p->msg.body = p->body;
	return TRD_HTTPP_DONE;
}

int
trd_httpp_feed(struct trd_httpp *p, const char *buf, size_t n, size_t *used)
{
	llhttp_errno_t e;

	*used = 0;
	if (p->done || p->err[0])
		return -1;
	e = llhttp_execute(&p->parser, buf, n);
	if (e == HPE_OK) {
		*used = n;
		return TRD_HTTPP_MORE;
	}
	if (e == HPE_PAUSED && p->done) {
		*used = (size_t)(llhttp_get_error_pos(&p->parser) - buf);
		return finish_msg(p);
	}
	if (p->err[0] == '\0')
		snprintf(p->err, sizeof(p->err), "%s: %s", llhttp_errno_name(e),
			 llhttp_get_error_reason(&p->parser));
	return -1;
}

int
trd_httpp_eof(struct trd_httpp *p)
{
	llhttp_errno_t e;

	if (p->done)
		return TRD_HTTPP_DONE;
	if (!p->begun)
		return TRD_HTTPP_MORE;
	e = llhttp_finish(&p->parser);
	if ((e == HPE_OK || e == HPE_PAUSED) && p->done)
		return finish_msg(p);
	snprintf(p->err, sizeof(p->err), "connection closed inside a message"
		 "%s%s", e == HPE_OK ? "" : ": ",
		 e == HPE_OK ? "" : llhttp_get_error_reason(&p->parser));
	return -1;
}

const struct trd_http_msg *
trd_httpp_msg(const struct trd_httpp *p)
{
	return &p->msg;
}

const char *
trd_httpp_error(const struct trd_httpp *p)
{
	return p->err;
}

const char *
trd_http_header(const struct trd_http_msg *m, const char *name)
{
	for (int i = 0; i < m->nhdr; i++)
		if (strcasecmp(m->hdr[i].name, name) == 0)
			return m->hdr[i].value;
	return NULL;
}
