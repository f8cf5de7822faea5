/*
 * The HTTP message parser (llhttp behind http_parse.h) on hostile bytes:
 * the first byte picks requests or responses and the size of the pieces
 * the rest is fed in (a peer decides how its bytes are split), the rest
 * is the stream.  Pipelined messages are parsed one after the other.
 * Whatever the bytes: no crash, no leak, a failure has a reason, a whole
 * message has its body NUL-terminated at its length.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http_parse.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_httpp *p;
	size_t at = 1, piece;

	if (size < 1)
		return 0;
	piece = 1 + (data[0] >> 1);
	if ((p = trd_httpp_new(data[0] & 1, 1 << 16)) == NULL)
		return 0;
	while (at < size) {
		size_t n = size - at < piece ? size - at : piece, used;
		int rc = trd_httpp_feed(p, (const char *)data + at, n, &used);

		if (rc < 0) {
			if (trd_httpp_error(p)[0] == '\0')
				abort();
			break;
		}
		if (used > n)
			abort();
		if (rc == TRD_HTTPP_DONE) {
			const struct trd_http_msg *m = trd_httpp_msg(p);
			if (m->body == NULL || m->body[m->blen] != '\0')
				abort();
			(void)trd_http_header(m, "content-length");
			trd_httpp_reset(p);
		}
		at += used;
	}
	if (at >= size && trd_httpp_eof(p) < 0 && trd_httpp_error(p)[0] == '\0')
		abort();
	trd_httpp_free(p);
	return 0;
}
