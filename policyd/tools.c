#include "tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

static void tool_echo(const json_t *params, struct tool_result *res)
{
	char *out;

	if (params_depth(params) > TOOL_ECHO_MAX_DEPTH) {
		res->status = TOOL_BAD_PARAMS;
		snprintf(res->reason, sizeof(res->reason),
		         "tool.echo: params nest deeper than %d levels",
		         TOOL_ECHO_MAX_DEPTH);
		return;
	}
	out = json_dumps(params, JSON_COMPACT);
	if (out == NULL || strlen(out) > TOOL_ECHO_MAX_BYTES) {
		free(out);
		res->status = TOOL_BAD_PARAMS;
		snprintf(res->reason, sizeof(res->reason),
		         "tool.echo: params exceed %d bytes",
		         TOOL_ECHO_MAX_BYTES);
		return;
	}
	res->status = TOOL_OK;
	res->output_json = out;
}

void tool_run(const char *kind, const json_t *params, struct tool_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = TOOL_RUNTIME_DENY;

	if (strcmp(kind, "tool.echo") == 0)
		tool_echo(params, res);
	else if (strcmp(kind, "tool.http_get") == 0)
		/* Its runtime layer (AllowedDomains) is the fetcher's, which
		 * policyd reaches itself (httpget.h): never run here. */
		snprintf(res->reason, sizeof(res->reason),
		         "tool.http_get runs in the fetcher");
	else if (strncmp(kind, "tool.mavlink.", 13) == 0)
		/* With a link, mavproxy runs these (main.c never comes
		 * here); without one, fail closed. */
		snprintf(res->reason, sizeof(res->reason),
		         "mavlink not configured: no autopilot link in this "
		         "run (autonomy run --mavlink-endpoint ENDPOINT "
		         "--mavlink-environment sitl|real)");
	else
		snprintf(res->reason, sizeof(res->reason),
		         "no runtime for %.200s", kind);
}

void tool_result_clear(struct tool_result *res)
{
	free(res->output_json);
	memset(res, 0, sizeof(*res));
}

const char *tool_status_name(enum tool_status s)
{
	switch (s) {
	case TOOL_OK:
		return "ok";
	case TOOL_BAD_PARAMS:
		return "bad_params";
	case TOOL_RUNTIME_DENY:
		break;
	}
	return "runtime_deny";
}
