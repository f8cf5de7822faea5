/* A plugin whose init refuses, with a reason. */
#include <stdio.h>

#include "traderd/plugin.h"

static int
init(struct trd_strategy *s, const struct trd_params *params, char *err,
     size_t errlen)
{
	(void)s;
	(void)params;
	snprintf(err, errlen, "the model file is missing");
	return -1;
}

static const struct trd_plugin p = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR,
	.abi_minor = TRD_PLUGIN_ABI_MINOR,
	.name = "init_fails",
	.init = init,
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	(void)h;
	return &p;
}
