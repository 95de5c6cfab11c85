/* The tools that run inside policyd once a call is allowed (DESIGN.md
 * §2 step 5). tool.echo runs here; tool.http_get belongs to the fetcher
 * (policyd/httpget.h sends it there). */
#ifndef AUTONOMY_TOOLS_H
#define AUTONOMY_TOOLS_H

#include <jansson.h>

#define TOOL_ECHO_MAX_BYTES 65536 /* compact JSON of the params */
#define TOOL_ECHO_MAX_DEPTH 16

enum tool_status {
	TOOL_RUNTIME_DENY = 0, /* zero: nothing ran */
	TOOL_OK,
	TOOL_BAD_PARAMS,
};

struct tool_result {
	enum tool_status status;
	char *output_json; /* TOOL_OK only; malloc'd */
	char reason[256];  /* runtime deny reason, or which limit was hit */
};

/* Runs an allowed tool call. Never fails silently: an unknown kind is a
 * runtime deny "no runtime for <kind>". */
void tool_run(const char *kind, const json_t *params, struct tool_result *res);
void tool_result_clear(struct tool_result *res);

/* "ok" / "bad_params" for the tool.result record. */
const char *tool_status_name(enum tool_status s);

#endif
