/* libFuzzer: the /v1/tool body parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *kind, *params;
	int status;

	status = request_parse_body((const char *)data, size, &kind, &params,
	                            err, sizeof(err));
	if (status == 0) {
		/* what reaches policyd is always a valid kind and an object */
		if (!request_kind_valid(kind) || params[0] != '{')
			abort();
		free(kind);
		free(params);
	} else if (status != 400 && status != 413 && status != 500) {
		abort();
	} else if (kind != NULL || params != NULL) {
		abort();
	}
	return 0;
}
