#include "proxy_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int refuse(int status, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

static int is_tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

ssize_t proxy_head_len(const char *data, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	for (size_t i = 3; i < n; i++)
		if (data[i] == '\n' && data[i - 1] == '\r' &&
		    data[i - 2] == '\n' && data[i - 3] == '\r')
			return (ssize_t)(i + 1);
	return len >= max ? -1 : 0;
}

/* "host:port" of a CONNECT (the port required) into u, through the one
 * URL parser so that the host is judged exactly as tool.http_get's. */
static int parse_authority(const char *a, int port_required, struct url *u,
                           char *err, size_t errlen)
{
	char url[URL_HOST_MAX + 32], uerr[URL_ERR_MAX];
	size_t n = strlen(a);
	const char *close = a[0] == '[' ? strchr(a, ']') : a;
	const char *colon;

	if (n == 0 || n > URL_HOST_MAX + 8)
		return refuse(400, err, errlen, "authority: 1 to %d bytes",
		              URL_HOST_MAX + 8);
	for (size_t i = 0; i < n; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') ||
		      (a[i] >= 'A' && a[i] <= 'Z') ||
		      (a[i] >= '0' && a[i] <= '9') ||
		      strchr(".-:[]", a[i]) != NULL))
			return refuse(400, err, errlen,
			              "authority: only host:port (a name, "
			              "a.b.c.d or [IPv6])");
	if (close == NULL)
		return refuse(400, err, errlen,
		              "authority: an IPv6 literal must be [addr]");
	colon = strchr(close, ':');
	if (port_required && colon == NULL)
		return refuse(400, err, errlen,
		              "CONNECT needs host:port (the port is required)");
	snprintf(url, sizeof(url), "http://%s/", a);
	if (url_parse(url, u, uerr, sizeof(uerr)) < 0)
		return refuse(400, err, errlen, "authority: %s", uerr);
	return 0;
}

static int has_explicit_port(const char *a)
{
	const char *close = a[0] == '[' ? strchr(a, ']') : a;

	return close != NULL && strchr(close, ':') != NULL;
}

static const char *const methods[] = {"GET",    "HEAD",  "POST",   "PUT",
                                      "DELETE", "PATCH", "OPTIONS"};

static int method_ok(const char *m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(m, methods[i]) == 0)
			return 1;
	return 0;
}

/* The request line, NUL-terminated in line. */
static int parse_request_line(char *line, struct proxy_request *r, char *err,
                              size_t errlen)
{
	char *sp1 = strchr(line, ' '), *sp2, *target, uerr[URL_ERR_MAX];
	size_t mlen;

	if (sp1 == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL ||
	    strchr(sp2 + 1, ' ') != NULL)
		return refuse(400, err, errlen,
		              "request line: METHOD SP target SP HTTP/1.x");
	mlen = (size_t)(sp1 - line);
	if (mlen == 0 || mlen > PROXY_METHOD_MAX)
		return refuse(400, err, errlen, "method: 1 to %d letters",
		              PROXY_METHOD_MAX);
	for (size_t i = 0; i < mlen; i++)
		if (line[i] < 'A' || line[i] > 'Z')
			return refuse(400, err, errlen,
			              "method: upper-case letters only");
	memcpy(r->method, line, mlen);
	r->method[mlen] = '\0';
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		r->minor = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		r->minor = 0;
	else
		return refuse(505, err, errlen,
		              "version: HTTP/1.0 or HTTP/1.1 only");
	*sp2 = '\0';
	target = sp1 + 1;
	if (*target == '\0')
		return refuse(400, err, errlen, "request line: no target");
	if (strcmp(r->method, "CONNECT") == 0) {
		r->kind = PROXY_CONNECT;
		return parse_authority(target, 1, &r->u, err, errlen);
	}
	r->kind = PROXY_HTTP;
	if (target[0] == '/')
		return refuse(400, err, errlen,
		              "not a proxy request: the target must be "
		              "absolute (http://host/path) or CONNECT "
		              "host:port");
	if (strncasecmp(target, "https://", 8) == 0)
		return refuse(400, err, errlen,
		              "https:// is not proxied in absolute form: use "
		              "CONNECT (HTTPS is tunnelled, never "
		              "intercepted)");
	if (strncasecmp(target, "http://", 7) != 0)
		return refuse(400, err, errlen,
		              "target: http://host[:port]/path or CONNECT "
		              "host:port only");
	if (url_parse(target, &r->u, uerr, sizeof(uerr)) < 0)
		return refuse(400, err, errlen, "target: %s", uerr);
	if (!method_ok(r->method))
		return refuse(405, err, errlen,
		              "method %s: only GET, HEAD, POST, PUT, DELETE, "
		              "PATCH and OPTIONS are proxied (and CONNECT)",
		              r->method);
	return 0;
}

const char *proxy_header(const struct proxy_request *r, const char *name)
{
	for (size_t i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return r->h[i].value;
	return NULL;
}

/* Content-Length: digits only, at most 15 of them. */
static int parse_length(const char *v, uint64_t *out)
{
	size_t n = strlen(v);
	uint64_t x = 0;

	if (n == 0 || n > 15 || strspn(v, "0123456789") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		x = x * 10 + (uint64_t)(v[i] - '0');
	*out = x;
	return 0;
}

/* The headers' meaning for framing and the target. */
static int check_headers(struct proxy_request *r, char *err, size_t errlen)
{
	int ncl = 0, nte = 0, nhost = 0;
	const char *host = NULL;

	for (size_t i = 0; i < r->nh; i++) {
		const char *n = r->h[i].name, *v = r->h[i].value;
		uint64_t cl;
		if (strcasecmp(n, "content-length") == 0) {
			if (parse_length(v, &cl) < 0)
				return refuse(400, err, errlen,
				              "Content-Length: digits only (at "
				              "most 15)");
			if (ncl++ > 0 && cl != r->content_length)
				return refuse(400, err, errlen,
				              "Content-Length: two different "
				              "values");
			r->content_length = cl;
		} else if (strcasecmp(n, "transfer-encoding") == 0) {
			if (nte++ > 0 || strcasecmp(v, "chunked") != 0)
				return refuse(501, err, errlen,
				              "Transfer-Encoding: only one, "
				              "\"chunked\"");
		} else if (strcasecmp(n, "host") == 0) {
			nhost++;
			host = v;
		} else if (strcasecmp(n, "expect") == 0) {
			if (strcasecmp(v, "100-continue") != 0)
				return refuse(417, err, errlen,
				              "Expect: only 100-continue");
			r->expect_continue = 1;
		}
	}
	if (ncl > 0 && nte > 0)
		return refuse(400, err, errlen,
		              "Content-Length and Transfer-Encoding together "
		              "(ambiguous framing)");
	if (nte > 0 && r->minor == 0)
		return refuse(400, err, errlen,
		              "Transfer-Encoding in an HTTP/1.0 request");
	if (nhost > 1)
		return refuse(400, err, errlen, "Host: more than one");
	if (nhost == 0 && r->minor == 1 && r->kind == PROXY_HTTP)
		return refuse(400, err, errlen, "Host: missing (HTTP/1.1)");
	if (host != NULL) {
		struct url hu;
		char herr[PROXY_ERR_MAX];
		if (parse_authority(host, 0, &hu, herr, sizeof(herr)) != 0)
			return refuse(400, err, errlen, "Host: %s", herr);
		if (strcmp(hu.host, r->u.host) != 0 ||
		    ((r->kind == PROXY_HTTP || has_explicit_port(host)) &&
		     hu.port != r->u.port))
			return refuse(400, err, errlen,
			              "Host: %.253s differs from the target's "
			              "authority",
			              host);
	}
	if (r->kind == PROXY_HTTP)
		r->body = nte > 0   ? PROXY_BODY_CHUNKED
		          : ncl > 0 ? PROXY_BODY_LENGTH
		                    : PROXY_BODY_NONE;
	else if (ncl > 0 || nte > 0)
		return refuse(400, err, errlen, "CONNECT with a body");
	return 0;
}

/* One header line (NUL-terminated, without CRLF) into r->h. */
static int parse_header_line(char *line, struct proxy_header *h, char *err,
                             size_t errlen)
{
	char *colon = strchr(line, ':'), *v, *end;

	if (line[0] == ' ' || line[0] == '\t')
		return refuse(400, err, errlen,
		              "headers: line folding (obs-fold) is refused");
	if (colon == NULL || colon == line)
		return refuse(400, err, errlen, "headers: NAME: value");
	if ((size_t)(colon - line) > PROXY_HEADER_NAME_MAX)
		return refuse(400, err, errlen,
		              "headers: a name longer than %d",
		              PROXY_HEADER_NAME_MAX);
	for (char *p = line; p < colon; p++)
		if (!is_tchar(*p))
			return refuse(400, err, errlen,
			              "headers: a name must be an HTTP token "
			              "(no space before ':')");
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c != '\t' && (c < 0x20 || c >= 0x7f))
			return refuse(400, err, errlen,
			              "headers: %.64s: the value must be "
			              "printable ASCII",
			              line);
	}
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	h->name = line;
	h->value = v;
	return 0;
}

int proxy_parse_request(const char *head, size_t len, struct proxy_request *r,
                        char *err, size_t errlen)
{
	char *p, *eol;
	int rc, first = 1;

	memset(r, 0, offsetof(struct proxy_request, text));
	r->text[0] = '\0';
	if (len < 4 || len > PROXY_HEAD_MAX ||
	    memcmp(head + len - 4, "\r\n\r\n", 4) != 0)
		return refuse(400, err, errlen,
		              "the request head must end with an empty line "
		              "and fit %d bytes",
		              PROXY_HEAD_MAX);
	memcpy(r->text, head, len);
	r->text[len] = '\0';
	if (memchr(r->text, '\0', len) != NULL)
		return refuse(400, err, errlen, "a NUL byte in the request");
	for (p = r->text; (eol = strstr(p, "\r\n")) != NULL; p = eol + 2) {
		*eol = '\0';
		if (strchr(p, '\r') != NULL || strchr(p, '\n') != NULL)
			return refuse(400, err, errlen,
			              "a bare CR or LF (lines end with CRLF)");
		if (first) {
			if ((rc = parse_request_line(p, r, err, errlen)) != 0)
				return rc;
			first = 0;
			continue;
		}
		if (*p == '\0')
			break; /* the empty line */
		if (r->nh >= PROXY_HEADERS_MAX)
			return refuse(431, err, errlen, "more than %d headers",
			              PROXY_HEADERS_MAX);
		if ((rc = parse_header_line(p, &r->h[r->nh], err, errlen)) != 0)
			return rc;
		r->nh++;
	}
	return check_headers(r, err, errlen);
}

/* Whether name is one of the comma-separated tokens of list. */
static int in_token_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t k;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		k = strcspn(p, ", \t");
		if (k == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += k;
	}
	return 0;
}

static const char *const hop_headers[] = {"connection", "proxy-connection",
                                          "keep-alive", "proxy-authorization",
                                          "te",         "proxy-authenticate",
                                          "trailer",    "upgrade",
                                          "expect",     "host"};

static int hop_named(const char *name, const struct proxy_header *h, size_t nh)
{
	for (size_t i = 0; i < sizeof(hop_headers) / sizeof(hop_headers[0]);
	     i++)
		if (strcasecmp(name, hop_headers[i]) == 0)
			return 1;
	for (size_t i = 0; i < nh; i++)
		if ((strcasecmp(h[i].name, "connection") == 0 ||
		     strcasecmp(h[i].name, "proxy-connection") == 0) &&
		    in_token_list(h[i].value, name))
			return 1;
	return 0;
}

int proxy_hop_by_hop(const struct proxy_request *r, const char *name)
{
	return hop_named(name, r->h, r->nh);
}

/* Appends s to out at *off; -1 when it does not fit. */
static int put(char *out, size_t outlen, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *off, outlen - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

ssize_t proxy_upstream_head(const struct proxy_request *r, char *out,
                            size_t outlen)
{
	size_t off = 0;
	const char *authority = r->u.canonical + strlen("http://");
	size_t alen = r->u.path_off - strlen("http://");

	if (put(out, outlen, &off, "%s %s HTTP/1.%d\r\nHost: %.*s\r\n",
	        r->method, r->u.canonical + r->u.path_off, r->minor, (int)alen,
	        authority) < 0)
		return -1;
	for (size_t i = 0; i < r->nh; i++)
		if (!proxy_hop_by_hop(r, r->h[i].name) &&
		    put(out, outlen, &off, "%s: %s\r\n", r->h[i].name,
		        r->h[i].value) < 0)
			return -1;
	if (put(out, outlen, &off, "Connection: close\r\n\r\n") < 0)
		return -1;
	return (ssize_t)off;
}

/* ---- responses --------------------------------------------------------- */

int proxy_parse_response(const char *head, size_t len, struct proxy_response *r,
                         char *err, size_t errlen)
{
	char *p, *eol;
	int first = 1;

	memset(r, 0, offsetof(struct proxy_response, text));
	if (len == 0 || len > PROXY_RESPONSE_HEAD_MAX)
		return refuse(-1, err, errlen, "response head: 1 to %d bytes",
		              PROXY_RESPONSE_HEAD_MAX);
	memcpy(r->text, head, len);
	r->text[len] = '\0';
	if (memchr(r->text, '\0', len) != NULL)
		return refuse(-1, err, errlen, "response: a NUL byte");
	for (p = r->text; (eol = strchr(p, '\n')) != NULL; p = eol + 1) {
		char *c;
		*eol = '\0';
		if (eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		if (strchr(p, '\r') != NULL)
			return refuse(-1, err, errlen, "response: a bare CR");
		if (first) {
			if (strncmp(p, "HTTP/1.", 7) != 0 ||
			    (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
			    p[9] < '1' || p[9] > '5' || p[10] < '0' ||
			    p[10] > '9' || p[11] < '0' || p[11] > '9' ||
			    (p[12] != ' ' && p[12] != '\0'))
				return refuse(
				    -1, err, errlen,
				    "response: status line \"HTTP/1.x "
				    "DDD reason\" expected");
			r->minor = p[7] - '0';
			r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 +
			            (p[11] - '0');
			first = 0;
			continue;
		}
		if (*p == '\0')
			return 0;
		if (r->nh >= PROXY_HEADERS_MAX)
			return refuse(-1, err, errlen,
			              "response: more than %d headers",
			              PROXY_HEADERS_MAX);
		if ((c = strchr(p, ':')) == NULL || c == p)
			return refuse(-1, err, errlen,
			              "response: a header without ':'");
		for (char *q = p; q < c; q++)
			if (!is_tchar(*q))
				return refuse(-1, err, errlen,
				              "response: a header name is not "
				              "a token");
		*c++ = '\0';
		while (*c == ' ' || *c == '\t')
			c++;
		for (char *q = c + strlen(c);
		     q > c && (q[-1] == ' ' || q[-1] == '\t');)
			*--q = '\0';
		r->h[r->nh].name = p;
		r->h[r->nh].value = c;
		if (strcasecmp(p, "transfer-encoding") == 0 &&
		    in_token_list(c, "chunked"))
			r->chunked = 1;
		r->nh++;
	}
	return refuse(-1, err, errlen, "response: no empty line");
}

ssize_t proxy_client_head(const struct proxy_response *r, char *out,
                          size_t outlen)
{
	size_t off = 0;
	const char *reason = r->text + 12;

	if (put(out, outlen, &off, "HTTP/1.%d %03d%s%s\r\n", r->minor,
	        r->status, *reason ? " " : "", *reason ? reason + 1 : "") < 0)
		return -1;
	for (size_t i = 0; i < r->nh; i++) {
		const char *n = r->h[i].name;
		if (strcasecmp(n, "connection") == 0 ||
		    strcasecmp(n, "keep-alive") == 0 ||
		    strcasecmp(n, "proxy-connection") == 0)
			continue;
		int named = 0;
		for (size_t k = 0; k < r->nh; k++)
			if (strcasecmp(r->h[k].name, "connection") == 0 &&
			    in_token_list(r->h[k].value, n))
				named = 1;
		if (!named &&
		    put(out, outlen, &off, "%s: %s\r\n", n, r->h[i].value) < 0)
			return -1;
	}
	if (put(out, outlen, &off, "Connection: close\r\n\r\n") < 0)
		return -1;
	return (ssize_t)off;
}

/* ---- chunked ----------------------------------------------------------- */

enum {
	CK_SIZE,
	CK_EXT,
	CK_SIZE_LF,
	CK_DATA,
	CK_DATA_CR,
	CK_DATA_LF,
	CK_TRAILER_START,
	CK_TRAILER_LINE,
	CK_TRAILER_LF,
	CK_END_LF,
	CK_DONE
};

#define CHUNK_EXT_MAX 1024
#define CHUNK_TRAILER_MAX 8192

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int chunk_done(const struct chunk_dec *d)
{
	return d->state == CK_DONE;
}

ssize_t chunk_feed(struct chunk_dec *d, const char *p, size_t n,
                   void (*data)(void *, const char *, size_t), void *arg)
{
	size_t i = 0;

	while (i < n && d->state != CK_DONE) {
		char c = p[i];
		int h;
		switch (d->state) {
		case CK_SIZE:
			if ((h = hexval(c)) >= 0) {
				if (++d->ndig > 15)
					return -1; /* at most 2^60 - 1 */
				d->left = d->left * 16 + (uint64_t)h;
			} else if (d->ndig == 0) {
				return -1;
			} else if (c == ';') {
				d->state = CK_EXT;
				d->linelen = 0;
			} else if (c == '\r') {
				d->state = CK_SIZE_LF;
			} else {
				return -1;
			}
			i++;
			break;
		case CK_EXT:
			if (c == '\r')
				d->state = CK_SIZE_LF;
			else if (c == '\n' || ++d->linelen > CHUNK_EXT_MAX ||
			         (unsigned char)c < 0x20 ||
			         (unsigned char)c >= 0x7f)
				return -1;
			i++;
			break;
		case CK_SIZE_LF:
			if (c != '\n')
				return -1;
			i++;
			d->ndig = 0;
			d->state = d->left == 0 ? CK_TRAILER_START : CK_DATA;
			break;
		case CK_DATA: {
			size_t k = n - i;
			if ((uint64_t)k > d->left)
				k = (size_t)d->left;
			if (data != NULL)
				data(arg, p + i, k);
			d->left -= k;
			i += k;
			if (d->left == 0)
				d->state = CK_DATA_CR;
			break;
		}
		case CK_DATA_CR:
			if (c != '\r')
				return -1;
			d->state = CK_DATA_LF;
			i++;
			break;
		case CK_DATA_LF:
			if (c != '\n')
				return -1;
			d->state = CK_SIZE;
			i++;
			break;
		case CK_TRAILER_START:
			if (c == '\r') {
				d->state = CK_END_LF;
			} else {
				d->state = CK_TRAILER_LINE;
				continue; /* the line's first byte */
			}
			i++;
			break;
		case CK_TRAILER_LINE:
			if (c == '\r')
				d->state = CK_TRAILER_LF;
			else if (c == '\n' || (unsigned char)c >= 0x7f ||
			         ((unsigned char)c < 0x20 && c != '\t'))
				return -1;
			if (++d->trailer > CHUNK_TRAILER_MAX)
				return -1;
			i++;
			break;
		case CK_TRAILER_LF:
			if (c != '\n')
				return -1;
			d->state = CK_TRAILER_START;
			i++;
			break;
		case CK_END_LF:
			if (c != '\n')
				return -1;
			d->state = CK_DONE;
			i++;
			break;
		}
	}
	return (ssize_t)i;
}

/* ---- refusals ---------------------------------------------------------- */

static const char *status_text(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 417:
		return "Expectation Failed";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Error";
}

size_t proxy_refusal(int status, const char *why, const char *audit_id,
                     char *out, size_t outlen)
{
	char body[512], id[96] = "";
	int bn, n;

	if (audit_id != NULL && *audit_id != '\0')
		snprintf(id, sizeof(id), " (audit id %.64s)", audit_id);
	bn = snprintf(body, sizeof(body),
	              "autonomy egress proxy: %d %s: %.380s%s\n", status,
	              status_text(status), why, id);
	if (bn < 0)
		bn = 0;
	if ((size_t)bn >= sizeof(body))
		bn = sizeof(body) - 1;
	n = snprintf(out, outlen,
	             "HTTP/1.1 %d %s\r\nContent-Type: text/plain; "
	             "charset=utf-8\r\nContent-Length: %d\r\n%s%.64s%s"
	             "Connection: close\r\n\r\n%s",
	             status, status_text(status), bn,
	             id[0] ? "X-Autonomy-Audit-Id: " : "",
	             id[0] ? audit_id : "", id[0] ? "\r\n" : "", body);
	if (n < 0)
		return 0;
	return (size_t)n < outlen ? (size_t)n : outlen - 1;
}
