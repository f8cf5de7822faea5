/*
 * version: what this build is, for --version and the report's record of
 * the run.  trd_build is the source revision (git describe, "-dirty" for
 * uncommitted changes; "unknown" outside a git checkout).
 */
#ifndef TRD_VERSION_H
#define TRD_VERSION_H

#define TRD_VERSION "0.3.0-dev"

extern const char trd_version[];
extern const char trd_build[];

#endif
