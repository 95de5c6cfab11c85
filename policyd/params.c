#include "params.h"

#include "facts.h"

#include <stdio.h>
#include <string.h>

static int is_lower_digit_us(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int params_kind_valid(const char *kind)
{
	const char *p = kind;
	int segments = 0;

	if (*p < 'a' || *p > 'z')
		return 0;
	while (is_lower_digit_us(*p))
		p++;
	while (*p == '.') {
		const char *seg = ++p;
		while (is_lower_digit_us(*p))
			p++;
		if (p == seg)
			return 0;
		segments++;
	}
	return *p == '\0' && segments > 0;
}

/* Deepest bracket nesting of JSON text, outside strings. Stops counting
 * once past limit, so the answer is min(depth, limit + 1). */
static int text_depth(const char *s, size_t len, int limit)
{
	int depth = 0, max = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > max && (max = depth) > limit)
				return max;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return max;
}

json_t *params_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *v;

	if (text_depth(text, len, PARAMS_MAX_DEPTH) > PARAMS_MAX_DEPTH) {
		snprintf(err, errlen, "params nest deeper than %d levels",
		         PARAMS_MAX_DEPTH);
		return NULL;
	}
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		snprintf(err, errlen, "params are not JSON: %s (at byte %d)",
		         jerr.text, jerr.position);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		snprintf(err, errlen, "params are not a JSON object");
		return NULL;
	}
	return v;
}

int params_depth(const json_t *v)
{
	int max = 0, d;
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
		{
			if ((d = params_depth(child)) > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
		{
			if ((d = params_depth(child)) > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}

const char *params_runtime_fact(const json_t *params)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)params, k, v)
	{
		if (runtime_fact_name(k))
			return k;
	}
	return NULL;
}
