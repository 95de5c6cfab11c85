/* The one URL parser of tool.http_get (policyd decides on what it
 * returns, the fetcher parses the same text again and fetches exactly
 * the canonical form). Deliberately strict, so that the host a policy
 * sees is the host that is connected to:
 *
 *   - http or https only (any case); printable ASCII only, at most
 *     URL_MAX bytes; no user info ("user@host" is refused);
 *   - the host is a name (a-z 0-9 - and '.', lowercased, one trailing
 *     '.' dropped), a strict dotted-quad IPv4 address (no octal, hex or
 *     shortened forms: "127.1", "0x7f.1" and "2130706433" are refused,
 *     since resolvers read them as addresses), or a bracketed IPv6
 *     address without a zone; no percent-encoding;
 *   - the port 1..65535 (no leading zero), else the scheme's default;
 *   - the path's dot segments are removed (RFC 3986 5.2.4); a '%' must
 *     start a %XX escape; no '\'; the fragment is dropped.
 *
 * The canonical form is scheme://host[:port]/path[?query], the port
 * only when it is not the scheme's default, an IPv6 host in its
 * inet_ntop form. Parsing a canonical form gives it back unchanged. */
#ifndef AUTONOMY_URL_H
#define AUTONOMY_URL_H

#include <stddef.h>

#define URL_MAX 8192
#define URL_HOST_MAX 253
#define URL_ERR_MAX 256

enum url_host_kind { URL_HOST_NAME, URL_HOST_IPV4, URL_HOST_IPV6 };

struct url {
	char scheme[6]; /* "http" or "https" */
	char host[URL_HOST_MAX + 1];
	enum url_host_kind host_kind;
	unsigned port;
	size_t path_off; /* the path (and query) in canonical */
	char canonical[URL_MAX + 1];
};

/* 0, or -1 with why in err (naming what is wrong, not echoing it all). */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);

static inline const char *url_path(const struct url *u)
{
	return u->canonical + u->path_off;
}

/* Request headers an agent may send with tool.http_get. The name is an
 * HTTP token of at most 64 characters and not one the runtime owns
 * (Host, Content-Length, Transfer-Encoding, Connection, Upgrade, TE,
 * Trailer, Keep-Alive, Expect, Proxy-*); the value printable ASCII or
 * tab, at most HTTP_HEADER_VALUE_MAX bytes. */
#define HTTP_HEADER_NAME_MAX 64
#define HTTP_HEADER_VALUE_MAX 4096
#define HTTP_HEADERS_MAX 32
int http_header_check(const char *name, const char *value, char *err,
                      size_t errlen);

/* Headers that carry credentials: not sent on to another host when a
 * redirect leaves the endpoint's host (curl does the same). */
int http_header_is_credential(const char *name);

#endif
