/* A plugin built for a future ABI major: the host must refuse it. */
#include "traderd/plugin.h"

static const struct trd_plugin p = {
	.size = sizeof(struct trd_plugin),
	.abi_major = TRD_PLUGIN_ABI_MAJOR + 1,
	.abi_minor = 0,
	.name = "bad_abi",
};

const struct trd_plugin *trd_plugin_entry(const struct trd_host_api *h);

const struct trd_plugin *
trd_plugin_entry(const struct trd_host_api *h)
{
	(void)h;
	return &p;
}
