/* libFuzzer target (-Dfuzz=true): mavproxy's parsers of outside input,
 * a call's kind and params (from the workload, through policyd), the
 * runtime.mavlink settings (a bundle's manifest) and --mavlink-endpoint.
 * The first byte picks the parser; the rest is its input. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, err[512];
	struct mav_call c;
	struct mav_settings s;
	struct mav_endpoint e;
	json_t *j;
	int unknown;
	double d;

	if (size < 1 || (text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		mav_call_parse("tool.mavlink.goto", text, &c, &unknown, err,
		               sizeof(err));
		mav_call_parse(text, "{}", &c, &unknown, err, sizeof(err));
		break;
	case 1:
		if ((j = json_loads(text, JSON_DECODE_ANY, NULL)) != NULL) {
			if (mav_settings_parse(j, &s, err, sizeof(err)) == 0)
				mav_fence_contains(&s, 47.4, 8.5, &d);
			json_decref(j);
		}
		break;
	default:
		mav_endpoint_parse(text, &e, err, sizeof(err));
	}
	free(text);
	return 0;
}
