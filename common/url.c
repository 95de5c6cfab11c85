#include "url.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int errorf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A strict dotted quad: four decimal parts 0..255, no leading zeros. */
static int strict_ipv4(const char *h)
{
	int parts = 0;

	for (const char *p = h;; p++) {
		size_t n = strspn(p, "0123456789");
		unsigned v = 0;

		if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
			return 0;
		for (size_t i = 0; i < n; i++)
			v = v * 10 + (unsigned)(p[i] - '0');
		if (v > 255)
			return 0;
		parts++;
		p += n;
		if (*p == '\0')
			return parts == 4;
		if (*p != '.' || parts == 4)
			return 0;
	}
}

/* A host name: labels of a-z 0-9 '-' (1..63, no '-' at either end). A
 * name whose last label looks numeric is an address to a resolver, so it
 * must be a strict dotted quad (checked by the caller). */
static int check_name(const char *h, char *err, size_t errlen)
{
	const char *label = h;

	for (const char *p = h;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t n = (size_t)(p - label);
			if (n == 0 || n > 63)
				return errorf(err, errlen,
				              "host: a label must be 1 to 63 "
				              "characters");
			if (label[0] == '-' || p[-1] == '-')
				return errorf(err, errlen,
				              "host: a label may not start or "
				              "end with '-'");
			if (*p == '\0')
				return 0;
			label = p + 1;
			continue;
		}
		if (!(is_digit(*p) || (*p >= 'a' && *p <= 'z') || *p == '-'))
			return errorf(err, errlen,
			              "host: only a-z, 0-9, '-' and '.' (no "
			              "percent-encoding, no IDN: give the "
			              "xn-- form)");
	}
}

/* The last label is all digits, or 0x...: a resolver would read the
 * name as an IPv4 address (inet_aton). */
static int numeric_last_label(const char *h)
{
	const char *last = strrchr(h, '.');

	last = last ? last + 1 : h;
	if (strncmp(last, "0x", 2) == 0)
		return 1;
	return *last != '\0' && strspn(last, "0123456789") == strlen(last);
}

static int parse_host(const char *a, size_t n, struct url *u, char *err,
                      size_t errlen)
{
	char buf[URL_HOST_MAX + 2];

	if (n == 0)
		return errorf(err, errlen, "host: empty");
	if (a[0] == '[') {
		struct in6_addr a6;
		char lit[INET6_ADDRSTRLEN + 1];
		if (a[n - 1] != ']' || n - 2 > INET6_ADDRSTRLEN || n < 3)
			return errorf(err, errlen,
			              "host: an IPv6 literal must be [addr]");
		memcpy(lit, a + 1, n - 2);
		lit[n - 2] = '\0';
		if (strchr(lit, '%') != NULL)
			return errorf(err, errlen,
			              "host: an IPv6 zone is not accepted");
		if (inet_pton(AF_INET6, lit, &a6) != 1)
			return errorf(err, errlen, "host: not an IPv6 address");
		inet_ntop(AF_INET6, &a6, u->host, sizeof(u->host));
		u->host_kind = URL_HOST_IPV6;
		return 0;
	}
	if (n > URL_HOST_MAX + 1)
		return errorf(err, errlen, "host: longer than %d",
		              URL_HOST_MAX);
	for (size_t i = 0; i < n; i++)
		buf[i] =
		    (a[i] >= 'A' && a[i] <= 'Z') ? (char)(a[i] + 32) : a[i];
	buf[n] = '\0';
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n > URL_HOST_MAX)
		return errorf(err, errlen, "host: longer than %d",
		              URL_HOST_MAX);
	if (check_name(buf, err, errlen) < 0)
		return -1;
	if (numeric_last_label(buf)) {
		if (!strict_ipv4(buf))
			return errorf(err, errlen,
			              "host: a numeric host must be a "
			              "dotted quad a.b.c.d (no octal, hex or "
			              "short forms)");
		u->host_kind = URL_HOST_IPV4;
	} else {
		u->host_kind = URL_HOST_NAME;
	}
	memcpy(u->host, buf, n + 1);
	return 0;
}

/* The path's characters: a '%' starts %XX; no '\'. */
static int check_path_chars(const char *p, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\')
			return errorf(err, errlen, "path: '\\' is refused");
		if (p[i] == '%' &&
		    !(i + 2 < n && is_hex(p[i + 1]) && is_hex(p[i + 2])))
			return errorf(err, errlen,
			              "path: '%%' must start a %%XX escape");
	}
	return 0;
}

/* RFC 3986 5.2.4 on in[0..n) (a path starting with '/'), into out. */
static size_t remove_dot_segments(const char *in, size_t n, char *out)
{
	size_t o = 0, i = 0;

	while (i < n) {
		/* in[i] == '/' here: one segment "/seg" */
		size_t j = i + 1;
		while (j < n && in[j] != '/')
			j++;
		size_t len = j - i - 1;
		const char *seg = in + i + 1;
		if (len == 1 && seg[0] == '.') {
			if (j == n)
				out[o++] = '/';
		} else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the '/' before the removed segment */
			if (j == n)
				out[o++] = '/';
		} else {
			memcpy(out + o, in + i, j - i);
			o += j - i;
		}
		i = j;
	}
	if (o == 0)
		out[o++] = '/';
	return o;
}

int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
	const char *p, *auth, *end, *colon = NULL, *path, *query, *frag;
	size_t len = strlen(s), hlen, off, plen, qlen, n;
	char norm[URL_MAX + 2];

	memset(u, 0, sizeof(*u));
	if (len == 0)
		return errorf(err, errlen, "empty URL");
	if (len > URL_MAX)
		return errorf(err, errlen, "URL longer than %d bytes", URL_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return errorf(err, errlen,
			              "URL: byte %zu is not printable ASCII "
			              "(spaces and controls must be "
			              "percent-encoded)",
			              i);
	if (strncasecmp(s, "http://", 7) == 0) {
		snprintf(u->scheme, sizeof(u->scheme), "http");
		auth = s + 7;
	} else if (strncasecmp(s, "https://", 8) == 0) {
		snprintf(u->scheme, sizeof(u->scheme), "https");
		auth = s + 8;
	} else {
		return errorf(err, errlen,
		              "only http:// and https:// URLs are fetched");
	}
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			return errorf(err, errlen,
			              "URL: user info (user@host) is refused");
	/* the port's ':' is after any IPv6 literal's ']' */
	p = auth < end && auth[0] == '['
	        ? memchr(auth, ']', (size_t)(end - auth))
	        : auth;
	if (p == NULL)
		return errorf(err, errlen,
		              "host: an IPv6 literal must be "
		              "[addr]");
	for (; p < end; p++)
		if (*p == ':')
			colon = p;
	hlen = (size_t)((colon ? colon : end) - auth);
	if (parse_host(auth, hlen, u, err, errlen) < 0)
		return -1;
	u->port = u->scheme[4] == 's' ? 443 : 80;
	if (colon != NULL) {
		size_t k = (size_t)(end - colon - 1);
		unsigned v = 0;
		if (k == 0 || k > 5 || colon[1] == '0' ||
		    strspn(colon + 1, "0123456789") < k)
			return errorf(err, errlen,
			              "port: must be 1 to 65535 (no leading "
			              "zero)");
		for (size_t i = 1; i <= k; i++)
			v = v * 10 + (unsigned)(colon[i] - '0');
		if (v > 65535)
			return errorf(err, errlen,
			              "port: must be 1 to 65535 (no leading "
			              "zero)");
		u->port = v;
	}
	path = end;
	frag = strchr(path, '#');
	n = frag ? (size_t)(frag - path) : strlen(path);
	query = memchr(path, '?', n);
	plen = query ? (size_t)(query - path) : n;
	qlen = n - plen;
	if (check_path_chars(path, n, err, errlen) < 0)
		return -1;
	/* an empty path is "/" */
	if (plen == 0) {
		norm[0] = '/';
		plen = 1;
	} else {
		plen = remove_dot_segments(path, plen, norm);
	}

	if (u->host_kind == URL_HOST_IPV6)
		off = (size_t)snprintf(u->canonical, sizeof(u->canonical),
		                       "%s://[%s]", u->scheme, u->host);
	else
		off = (size_t)snprintf(u->canonical, sizeof(u->canonical),
		                       "%s://%s", u->scheme, u->host);
	if (u->port != (u->scheme[4] == 's' ? 443u : 80u))
		off += (size_t)snprintf(u->canonical + off,
		                        sizeof(u->canonical) - off, ":%u",
		                        u->port);
	if (off + plen + qlen > URL_MAX)
		return errorf(err, errlen, "URL longer than %d bytes", URL_MAX);
	u->path_off = off;
	memcpy(u->canonical + off, norm, plen);
	memcpy(u->canonical + off + plen, query ? query : "", qlen);
	u->canonical[off + plen + qlen] = '\0';
	return 0;
}

static int is_tchar(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int http_header_check(const char *name, const char *value, char *err,
                      size_t errlen)
{
	static const char *const owned[] = {
	    "host",       "content-length", "transfer-encoding",
	    "connection", "upgrade",        "te",
	    "trailer",    "keep-alive",     "expect"};
	size_t n = strlen(name), vn = strlen(value);

	if (n == 0 || n > HTTP_HEADER_NAME_MAX)
		return errorf(err, errlen,
		              "headers: a name must be 1 to %d characters",
		              HTTP_HEADER_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (!is_tchar(name[i]))
			return errorf(err, errlen,
			              "headers: \"%.64s\" is not a header "
			              "name (an HTTP token)",
			              name);
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strcasecmp(name, owned[i]) == 0)
			return errorf(err, errlen,
			              "headers: %s is set by the runtime, not "
			              "the caller",
			              name);
	if (strncasecmp(name, "proxy-", 6) == 0)
		return errorf(err, errlen,
		              "headers: %.64s is set by the runtime, not the "
		              "caller",
		              name);
	if (vn > HTTP_HEADER_VALUE_MAX)
		return errorf(err, errlen,
		              "headers: %.64s: value longer than %d bytes",
		              name, HTTP_HEADER_VALUE_MAX);
	for (size_t i = 0; i < vn; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c != '\t' && (c < 0x20 || c >= 0x7f))
			return errorf(err, errlen,
			              "headers: %.64s: the value must be "
			              "printable ASCII (no CR, LF or NUL)",
			              name);
	}
	return 0;
}

int http_header_is_credential(const char *name)
{
	return strcasecmp(name, "authorization") == 0 ||
	       strcasecmp(name, "cookie") == 0;
}
