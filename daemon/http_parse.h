/*
 * http_parse: HTTP/1.1 messages from bytes, with llhttp.
 *
 * One parser per connection, for responses (the REST client) or requests
 * (the local exchange simulator, later the metrics endpoint).  Bytes are
 * fed as they arrive, in pieces of any size; when a whole message has
 * been read the parser stops there and says so, leaving the rest of the
 * buffer (a pipelined next message) to the caller.  The message's status
 * or method and target, the headers and the body are kept until reset.
 *
 * llhttp's header clashes with libwebsockets.h (both define
 * HTTP_STATUS_*), so it is included by http_parse.c alone; nothing of it
 * shows here.
 *
 * Limits: at most TRD_HTTP_MAX_HEADERS headers of TRD_HTTP_MAX_HEAD bytes
 * in all, a body of at most the max_body given; more is an error, as is
 * anything llhttp refuses.  The error text names what was wrong.
 */
#ifndef TRD_HTTP_PARSE_H
#define TRD_HTTP_PARSE_H

#include <stddef.h>

#define TRD_HTTP_MAX_HEADERS 48
#define TRD_HTTP_MAX_HEAD    16384

enum {
	TRD_HTTPP_MORE = 0, /* every byte used, the message is not whole */
	TRD_HTTPP_DONE = 1, /* a whole message; *used says how far */
};

struct trd_http_msg {
	int    status;       /* responses */
	char   method[12];   /* requests: "GET", ... */
	char   target[16384]; /* requests: the path and query */
	int    keep_alive;   /* the connection may carry another message */
	int    nhdr;
	struct {
		const char *name, *value;
	} hdr[TRD_HTTP_MAX_HEADERS];
	char  *body;         /* NUL-terminated, blen bytes */
	size_t blen;
};

struct trd_httpp;

/* A parser for requests (request != 0) or responses.  NULL on ENOMEM. */
struct trd_httpp *trd_httpp_new(int request, size_t max_body);
void trd_httpp_free(struct trd_httpp *p);

/*
 * Feed n bytes.  Returns TRD_HTTPP_MORE, TRD_HTTPP_DONE (the message is in
 * trd_httpp_msg(); *used bytes of buf belong to it), or -1 with the reason
 * in trd_httpp_error().  After DONE or an error, trd_httpp_reset() before
 * feeding again.
 */
int trd_httpp_feed(struct trd_httpp *p, const char *buf, size_t n,
		   size_t *used);
/* The peer closed: a response whose body runs to the close is whole now
 * (DONE), one cut short is an error (-1), nothing begun is MORE. */
int trd_httpp_eof(struct trd_httpp *p);
void trd_httpp_reset(struct trd_httpp *p);
const struct trd_http_msg *trd_httpp_msg(const struct trd_httpp *p);
const char *trd_httpp_error(const struct trd_httpp *p);

/* A header's value by name (ASCII case-insensitive), or NULL. */
const char *trd_http_header(const struct trd_http_msg *m, const char *name);

#endif
