/*
 * The admin socket's command lines on hostile input: the first byte sets
 * the session's level and JSON mode, each further line is parsed as the
 * socket parses it, and every command it holds is run, against a daemon
 * that has a
 * configuration but no session (replays with strategies are covered by
 * the integration tests).  Whatever the bytes: no crash, no leak, every
 * answer ends with its empty line and holds no other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "config.h"
#include "fuzz.h"

static struct trd_config *conf;
static struct trd_admin_env env;
static struct trd_admin_line pl;

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
	if ((p = fz_file("admin.yaml", (const uint8_t *)yaml,
			 sizeof(yaml) - 1)) == NULL ||
	    trd_config_load(p, &conf, NULL) != 0)
		abort();
	conf->generation = 1;
	env = (struct trd_admin_env){ .conf = conf, .mode = "replay" };
	return 0;
}

/* An answer ends with "\n\n" and has no other empty line. */
static void
check_answer(const struct wfile *w, size_t from)
{
	const char *s = w->buf + from;
	size_t n = w->len - from;

	if (n < 2 || s[n - 1] != '\n' || s[n - 2] != '\n')
		abort();
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == '\n' && s[i + 1] == '\n')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_admin_sess ss;
	struct wfile w;
	size_t at = 1;
	char err[160];
	int lv;

	if (size < 1)
		return 0;
	/* The first byte: the session's level and whether it is JSON. */
	lv = TRD_LEVEL_USER + data[0] % 3;
	ss = (struct trd_admin_sess){ .level = lv, .json = (data[0] >> 2) & 1 };
	/* One buffer for the input's answers, emptied after each line. */
	if (wf_mem_open(&w) != 0)
		abort();
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) : size - at;

		if (trd_admin_parse((const char *)data + at, len, &pl, err,
				    sizeof(err)) == 0) {
			for (int i = 0; i < pl.ncmd; i++) {
				size_t from = w.len;
				trd_admin_exec(NULL, &env, &ss, pl.cmd[i].argc,
					       pl.cmd[i].argv, &w);
				check_answer(&w, from);
				if (ss.level > lv)
					abort();
			}
			if (w.err != 0)
				abort();
			w.len = 0;
		} else if (err[0] == '\0') {
			abort();
		}
		at += len + 1;
	}
	wf_discard(&w);
	return 0;
}
