/*
 * The metrics endpoint's HTTP requests on hostile bytes: fed to the
 * request parser in pieces (the first byte of the input sets the piece
 * size), and every whole request answered as the endpoint answers it.
 * Whatever the bytes: no crash, no leak; an error has a reason; every
 * answer is an HTTP/1.1 response whose Content-Length is its body's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "http_parse.h"
#include "metrics.h"

static struct trd_config *conf;
static struct trd_admin_env env;
static struct trd_metrics m;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char yaml[] =
		"instruments:\n"
		"  - { symbol: BTCUSDT, tick_size: 0.01, lot_size: 0.001 }\n";
	const char *p;

	(void)argc;
	(void)argv;
	fz_quiet();
	if ((p = fz_file("metrics.yaml", (const uint8_t *)yaml,
			 sizeof(yaml) - 1)) == NULL ||
	    trd_config_load(p, &conf, NULL) != 0)
		abort();
	conf->generation = 1;
	env = (struct trd_admin_env){ .conf = conf, .mode = "paper" };
	m.env = &env;
	return 0;
}

static void
check_response(const struct wfile *w)
{
	const char *hdr_end, *cl;
	size_t body;

	if (w->len < 12 || memcmp(w->buf, "HTTP/1.1 ", 9) != 0)
		abort();
	hdr_end = memmem(w->buf, w->len, "\r\n\r\n", 4);
	cl = memmem(w->buf, w->len, "Content-Length: ", 16);
	if (hdr_end == NULL || cl == NULL || cl > hdr_end)
		abort();
	body = w->len - (size_t)(hdr_end + 4 - w->buf);
	/* HEAD answers carry the length without the body. */
	if (strtoul(cl + 16, NULL, 10) != body && body != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_httpp *pp;
	size_t piece, at = 1;

	if (size < 1)
		return 0;
	piece = (size_t)(data[0] % 64) + 1;
	if ((pp = trd_httpp_new(1, 0)) == NULL)
		abort();
	while (at < size) {
		size_t n = size - at < piece ? size - at : piece, used = 0;
		int rc = trd_httpp_feed(pp, (const char *)data + at, n, &used);
		if (rc < 0) {
			if (trd_httpp_error(pp)[0] == '\0')
				abort();
			break;
		}
		if (used > n)
			abort();
		at += used;
		if (rc == TRD_HTTPP_DONE) {
			struct wfile w;
			if (wf_mem_open(&w) != 0)
				abort();
			trd_metrics_respond(&m, trd_httpp_msg(pp), &w);
			check_response(&w);
			wf_discard(&w);
			trd_httpp_reset(pp);
		} else if (used < n) {
			abort();
		}
	}
	trd_httpp_free(pp);
	return 0;
}
