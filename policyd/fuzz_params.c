/* libFuzzer target for what a compromised toolsrv controls in policyd:
 * the kind and the params text, through re-validation, the policy
 * request, the decision and tool.echo. Input: kind, NUL, params. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "policy.h"
#include "tools.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	char kind[129], err[256];
	struct policy_request req;
	struct policy_decision d;
	struct tool_result r;
	size_t klen;
	json_t *params;

	if (nul == NULL || (klen = (size_t)(nul - data)) >= sizeof(kind))
		return 0;
	memcpy(kind, data, klen);
	kind[klen] = '\0';
	if (!params_kind_valid(kind))
		return 0;
	params = params_parse((const char *)nul + 1, size - klen - 1, err,
	                      sizeof(err));
	if (params == NULL)
		return 0;
	if (policy_request_for_tool(&req, kind, params, NULL, NULL) == 0) {
		policy_decide(policy_demo(), &req, &d);
		policy_request_clear(&req);
		if (d.effect == POLICY_ALLOW) {
			tool_run(kind, params, &r);
			tool_result_clear(&r);
		}
	}
	json_decref(params);
	return 0;
}
