#include "egress_log.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

void capture_init(struct capture *c, size_t max)
{
	memset(c, 0, sizeof(*c));
	c->max = max;
}

void capture_add(struct capture *c, const char *p, size_t n)
{
	size_t k;

	c->total += n;
	if (c->len >= c->max || n == 0)
		return;
	if (c->buf == NULL && (c->buf = malloc(c->max)) == NULL) {
		c->max = 0; /* without memory the log says body_bytes only */
		return;
	}
	k = n < c->max - c->len ? n : c->max - c->len;
	memcpy(c->buf + c->len, p, k);
	c->len += k;
}

void capture_free(struct capture *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

int egress_header_redacted(const char *name)
{
	return strcasecmp(name, "authorization") == 0 ||
	       strcasecmp(name, "proxy-authorization") == 0 ||
	       strcasecmp(name, "cookie") == 0 ||
	       strcasecmp(name, "set-cookie") == 0;
}

static json_t *headers_json(const struct proxy_header *h, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(
		    a, json_pack("[ss]", h[i].name,
		                 egress_header_redacted(h[i].name)
		                     ? EGRESS_REDACTED
		                     : h[i].value));
	return a;
}

/* The body as text when it is valid UTF-8 (jansson checks), else base64;
 * with its whole size and whether it was cut. */
static void body_json(json_t *o, const struct capture *c)
{
	json_t *v = NULL;

	if (c == NULL)
		return;
	json_object_set_new(o, "body_bytes",
	                    json_integer((json_int_t)c->total));
	json_object_set_new(o, "body_truncated",
	                    json_boolean(c->total > c->len));
	if (c->len > 0)
		v = json_stringn(c->buf, c->len);
	else
		v = json_string("");
	if (v != NULL) {
		json_object_set_new(o, "body", v);
		return;
	}
	char *b64 = malloc(4 * ((c->len + 2) / 3) + 1);
	if (b64 == NULL)
		return;
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)c->buf,
	                (int)c->len);
	json_object_set_new(o, "body_base64", json_string(b64));
	free(b64);
}

static json_t *str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

char *egress_audit_json(const struct egress_audit *a)
{
	json_t *o = json_object(), *req, *resp;
	char *line, *out;
	size_t n;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "time_ns", json_integer(a->time_ns));
	json_object_set_new(o, "audit_id", str_or_null(a->audit_id));
	json_object_set_new(o, "decision", json_string(a->decision));
	json_object_set_new(o, "reason", str_or_null(a->reason));
	json_object_set_new(o, "method", str_or_null(a->method));
	json_object_set_new(o, "target", str_or_null(a->target));
	json_object_set_new(o, "host", str_or_null(a->host));
	json_object_set_new(o, "port",
	                    a->port ? json_integer(a->port) : json_null());
	json_object_set_new(o, "address", str_or_null(a->address));
	json_object_set_new(o, "rule", str_or_null(a->rule));
	json_object_set_new(o, "tunnel", json_boolean(a->tunnel));
	json_object_set_new(o, "bytes_up",
	                    json_integer((json_int_t)a->bytes_up));
	json_object_set_new(o, "bytes_down",
	                    json_integer((json_int_t)a->bytes_down));
	json_object_set_new(o, "duration_ms",
	                    json_integer((json_int_t)a->duration_ms));
	if (a->req != NULL) {
		req = json_object();
		json_object_set_new(req, "headers",
		                    headers_json(a->req->h, a->req->nh));
		if (!a->tunnel)
			body_json(req, a->req_body);
		json_object_set_new(o, "request", req);
	}
	if (a->resp != NULL) {
		resp = json_object();
		json_object_set_new(resp, "status",
		                    json_integer(a->resp->status));
		json_object_set_new(resp, "headers",
		                    headers_json(a->resp->h, a->resp->nh));
		body_json(resp, a->resp_body);
		json_object_set_new(o, "response", resp);
	}
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (line == NULL)
		return NULL;
	n = strlen(line);
	if ((out = realloc(line, n + 2)) == NULL) {
		free(line);
		return NULL;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	return out;
}

int egress_audit_id(char out[EGRESS_AUDIT_ID_LEN])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, EGRESS_AUDIT_ID_LEN,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	         b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}
