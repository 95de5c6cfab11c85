/* libFuzzer: routing, auth and the body parser together, with a fake
 * policyd whose reply is also taken from the input. Input layout:
 *   byte 0: method, byte 1: path, byte 2: authorization choice,
 *   byte 3: reply outcome/shape, then up to 255 bytes of reply text
 *   (length in byte 4), then the body. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct tool_token token = {"fuzz-token", 10};

struct fake {
	uint8_t shape;
	char text[256];
};

static Envelope *fake_call(void *arg, const char *kind, const char *params_json,
                           char *err, size_t errlen)
{
	struct fake *f = arg;
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolResponse r = AUTONOMY__TOOL_RESPONSE__INIT;
	Autonomy__Error e = AUTONOMY__ERROR__INIT;
	char *pols[1] = {f->text};
	uint8_t *buf;
	size_t len;
	Envelope *out;

	if (f->shape % 7 == 6) {
		snprintf(err, errlen, "receive: Timed out");
		return NULL;
	}
	if (f->shape % 7 == 5) {
		e.message = f->text;
		env.body_case = AUTONOMY__ENVELOPE__BODY_ERROR;
		env.error = &e;
	} else {
		r.outcome = (Autonomy__Outcome)(f->shape % 5);
		r.audit_id = (f->shape & 0x80) ? f->text : "id-1";
		r.kind = (f->shape & 0x40) ? f->text : (char *)kind;
		r.layer = (f->shape & 0x20) ? f->text : "runtime";
		r.reason = f->text;
		r.policy_ref = f->text;
		r.output_json =
		    (f->shape & 0x10) ? f->text : (char *)params_json;
		r.error = f->text;
		r.n_policies = 1;
		r.policies = pols;
		env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_RESPONSE;
		env.tool_response = &r;
	}
	if (envelope_pack(&env, &buf, &len) < 0)
		return NULL;
	out = envelope_unpack(buf, len, err, errlen);
	free(buf);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *methods[] = {"POST", "GET", "PUT", "HEAD"};
	static const char *paths[] = {"/v1/tool", "/v1/health", "/",
	                              "/v1/tools"};
	static const char *auths[] = {"Bearer fuzz-token", NULL, "Bearer fuzz",
	                              "bearer fuzz-token"};
	struct fake f;
	struct tool_backend be = {fake_call, &f};
	struct http_reply r;
	size_t tlen;

	if (size < 5)
		return 0;
	f.shape = data[3];
	tlen = data[4];
	if (tlen > size - 5)
		tlen = size - 5;
	memcpy(f.text, data + 5, tlen);
	f.text[tlen] = '\0';
	memset(&r, 0, sizeof(r));
	request_handle(methods[data[0] % 4], paths[data[1] % 4],
	               auths[data[2] % 4], (const char *)data + 5 + tlen,
	               size - 5 - tlen, &token, &be, &r);
	/* Invariants: always a JSON body; a 200 on /v1/tool is an allow
	 * with an audit id; an audit id header only with a decision. */
	if (r.body == NULL || r.status < 200 || r.status > 599)
		abort();
	if (r.status == 200 && paths[data[1] % 4][4] == 't' &&
	    (r.audit_id[0] == '\0' || strstr(r.body, "\"allow\"") == NULL))
		abort();
	http_reply_free(&r);
	return 0;
}
