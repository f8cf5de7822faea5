/*
 * The model file loader (trd_model_parse) on any bytes: refused with a
 * message, or a model whose file (trd_model_format) parses back to the
 * same text, and whose scores are numbers or NaN, never a crash.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model.h"

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
	struct trd_model m, b;
	double x[TRD_MODEL_MAX_FEATURES] = { 0 };
	char err[320], *text, *again;

	if (trd_model_parse((const char *)data, size, &m, err, sizeof(err)) !=
	    0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	text = trd_model_format(&m);
	if (text == NULL ||
	    trd_model_parse(text, strlen(text), &b, err, sizeof(err)) != 0)
		abort();
	again = trd_model_format(&b);
	if (again == NULL || strcmp(text, again) != 0)
		abort();
	(void)trd_model_predict(&m, x);
	free(text);
	free(again);
	trd_model_free(&m);
	trd_model_free(&b);
	return 0;
}
