/*
 * venue_kinds: the table of venue kinds a session can open (venue.h:
 * trd_venue_open, trd_venue_register).  The simulator is built in; the
 * live venues join it here; tests register fake venues to drive the order
 * manager with a network venue's late and out-of-order reports.  The only
 * place that names a venue implementation.
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "venue.h"
#include "venue_sim.h"

#define MAX_KINDS 8

static const struct trd_venue_class *kinds[MAX_KINDS] = {
	&trd_venue_sim_class,
};
static int nkinds = 1;

int
trd_venue_register(const struct trd_venue_class *k)
{
	for (int i = 0; i < nkinds; i++)
		if (strcmp(kinds[i]->name, k->name) == 0) {
			kinds[i] = k;
			return 0;
		}
	if (nkinds == MAX_KINDS)
		return -ENOSPC;
	kinds[nkinds++] = k;
	return 0;
}

int
trd_venue_open(struct trd_venue **out, const char *kind,
	       const struct trd_venue_env *env)
{
	for (int i = 0; i < nkinds; i++)
		if (strcmp(kinds[i]->name, kind) == 0)
			return kinds[i]->open(out, env);
	log_error("venue kind '%s' is not available", kind);
	return -ENOENT;
}
