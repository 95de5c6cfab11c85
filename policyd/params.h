/* The one parser for what toolsrv forwards (it may be compromised, so
 * policyd checks again): the tool kind and the params JSON text. */
#ifndef AUTONOMY_PARAMS_H
#define AUTONOMY_PARAMS_H

#include <jansson.h>
#include <stddef.h>

/* Deepest nesting policyd lets jansson parse (checked on the text first,
 * so the parser's recursion is bounded by us, not by the input). */
#define PARAMS_MAX_DEPTH 64

/* 1 if kind matches ^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$, else 0. */
int params_kind_valid(const char *kind);

/* Parses len bytes of text into a JSON object: duplicate keys, NUL
 * escapes, trailing bytes and nesting deeper than PARAMS_MAX_DEPTH are
 * refused. Returns the object or NULL with why in err. */
json_t *params_parse(const char *text, size_t len, char *err, size_t errlen);

/* For tool.mavlink.*: the first top-level key of params that names a
 * fact the runtime injects (common/facts.h), or NULL. */
const char *params_runtime_fact(const json_t *params);

/* Nesting depth of a value: scalars 0, an empty or flat object 1. */
int params_depth(const json_t *v);

#endif
