/* What every harness shares: a scratch directory made once per process
 * (removed at exit) and a copy of the input as a NUL-terminated string. */
#ifndef TRD_FUZZ_H
#define TRD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The scratch directory, made on first use under $TMPDIR (or /tmp). */
const char *fz_dir(void);
/* Write data to fz_dir()/name; returns the path (static) or NULL. */
const char *fz_file(const char *name, const uint8_t *data, size_t size);
/* data as a string (malloc'd; the caller frees). */
char *fz_str(const uint8_t *data, size_t size);
/* Logging off: the parsers' error lines are the expected result. */
void fz_quiet(void);

#endif
