#include "version.h"

#include "build_id.h" /* TRD_BUILD_ID, written by the Makefile */

const char trd_version[] = TRD_VERSION;
const char trd_build[] = TRD_BUILD_ID;
