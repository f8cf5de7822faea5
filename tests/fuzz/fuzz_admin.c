/*
 * The admin socket's command lines on hostile input: each line of the
 * input is parsed as the socket parses it, and every command it holds is
 * run at each level, with and without JSON, against a daemon that has a
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
	size_t at = 0;
	char err[160];

	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) : size - at;

		if (trd_admin_parse((const char *)data + at, len, &pl, err,
				    sizeof(err)) == 0) {
			for (int lv = TRD_LEVEL_USER; lv <= TRD_LEVEL_ADMIN;
			     lv++) {
				for (int js = 0; js < 2; js++) {
					struct trd_admin_sess ss = {
						.level = lv, .json = js };
					struct wfile w;
					if (wf_mem_open(&w) != 0)
						abort();
					for (int i = 0; i < pl.ncmd; i++) {
						size_t from = w.len;
						trd_admin_exec(NULL, &env, &ss,
							       pl.cmd[i].argc,
							       pl.cmd[i].argv,
							       &w);
						check_answer(&w, from);
						if (ss.level > lv)
							abort();
					}
					wf_discard(&w);
				}
			}
		} else if (err[0] == '\0') {
			abort();
		}
		at += len + 1;
	}
	return 0;
}
