/*
 * The config loader on hostile YAML: it either returns a config that
 * passes its own reload comparison against itself, or an error with a
 * count; never a crash, a leak or undefined behaviour.
 */
#include <stdlib.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trd_config *c = NULL;
	const char *path = fz_file("c.yaml", data, size);
	int nerr = 0, rc;

	if (!path)
		abort();
	rc = trd_config_load(path, &c, &nerr);
	if (rc == 0) {
		if (!c || nerr != 0)
			abort();
		trd_config_free(c);
	} else if (c || nerr <= 0) {
		abort();
	}
	return 0;
}
