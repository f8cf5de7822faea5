/*
 * A plugin that can be hot-swapped (plugin ABI 2.1): it counts the bars
 * it has seen and, every 50, logs the count with its version and its
 * step parameter.  Built twice (tests/plugins/swapper.so with VERSION 1
 * and step default 1, swapper2.so with VERSION 2 and default 2), so a
 * test can replace one by the other under a running daemon and see the
 * count carried over and the new default in effect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traderd/plugin.h"

#ifndef SWAPPER_VERSION
#define SWAPPER_VERSION 1
#endif
#define STR_(x) #x
#define STR(x)  STR_(x)

struct state {
	uint64_t bars;
	long     step;
};

static const struct trd_host_api *host;

static long
step_of(const struct trd_params *p)
{
	const char *v = trd_param_get(p, "step");

	return v ? trd_param_int(v, 1, 1000) : SWAPPER_VERSION;
}

static int
init(struct trd_strategy *s, const struct trd_params *p, char *err,
     size_t errlen)
{
	struct state *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->step = step_of(p)) < 0) {
		snprintf(err, errlen, "step must be an integer in 1..1000");
		free(st);
		return -1;
	}
	host->set_state(s, st);
	return 0;
}

static void
on_bar(struct trd_strategy *s, const struct trd_bar *bar)
{
	struct state *st = host->state(s);

	(void)bar;
	st->bars++;
	if (st->bars % 50 == 0)
		host->log(s, 6, "swapper v%d: %llu bars, step %ld",
			  SWAPPER_VERSION, (unsigned long long)st->bars,
			  st->step);
}

/* The state on the wire: the count only (the step is the params'). */
static size_t
save_state(struct trd_strategy *s, void *buf, size_t cap)
{
	struct state *st = host->state(s);

	if (buf && cap >= sizeof(st->bars))
		memcpy(buf, &st->bars, sizeof(st->bars));
	return sizeof(st->bars);
}

static int
restore_state(struct trd_strategy *s, const struct trd_params *p,
	      const void *buf, size_t len, char *err, size_t errlen)
{
	struct state *st;

	if (len != sizeof(st->bars)) {
		snprintf(err, errlen, "expected %zu bytes of state, got %zu",
			 sizeof(st->bars), len);
		return -1;
	}
	if (init(s, p, err, errlen) != 0)
		return -1;
	st = host->state(s);
	memcpy(&st->bars, buf, sizeof(st->bars));
	host->log(s, 6, "swapper v%d: took over at %llu bars, step %ld",
		  SWAPPER_VERSION, (unsigned long long)st->bars, st->step);
	return 0;
}

static void
fini(struct trd_strategy *s)
{
	free(host->state(s));
}

static const struct trd_plugin p = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "swapper",
	.version = STR(SWAPPER_VERSION),
	.init = init,
	.on_bar = on_bar,
	.fini = fini,
	.save_state = save_state,
	.restore_state = restore_state,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	host = h;
	return &p;
}
