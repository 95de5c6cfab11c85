/* Allow-list parsers and matchers for the LD_PRELOAD shim. No malloc:
 * every list lives in the caller's struct, bounded by PRELOAD_MAX_*. */
#include "allowlist.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* An entry quoted for an error message, cut so one bad entry cannot
 * flood the message. */
#define SHOWN 64
static const char *shown(const char *s, size_t len, char *buf)
{
	size_t i, n = len < SHOWN ? len : SHOWN;

	for (i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > SHOWN) {
		memcpy(buf + n, "...", 4);
	} else
		buf[n] = '\0';
	return buf;
}

/* A path component list without `.`, `..`, empty components or a
 * trailing slash: the form realpath() produces, so the lists compare
 * with what the shim resolves. */
static const char *path_problem(const char *p, size_t len)
{
	size_t i = 0, start;

	while (i < len) {
		if (p[i] != '/')
			return "is not absolute";
		start = ++i;
		while (i < len && p[i] != '/')
			i++;
		if (i == start)
			return len == 1 ? NULL
			                : "has an empty component or "
			                  "a trailing slash";
		if ((i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return "has a . or .. component";
	}
	return NULL;
}

static int has_control(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 1;
	return 0;
}

static int parse_paths(const char *s, struct preload_paths *out, int bare_names,
                       const char *what, char *err, size_t errlen)
{
	char show[SHOWN + 4];
	size_t len, off = 0;
	const char *p, *e, *why;

	out->n = 0;
	if (s == NULL)
		return fail(err, errlen, "%s: no value", what);
	len = strlen(s);
	if (len > PRELOAD_MAX_LIST_LEN)
		return fail(err, errlen, "%s: longer than %d bytes", what,
		            PRELOAD_MAX_LIST_LEN);
	if (len == 0)
		return 0;
	for (p = s;; p = e + 1) {
		size_t n;

		e = strchr(p, ':');
		if (e == NULL)
			e = s + len;
		n = (size_t)(e - p);
		if (n == 0)
			return fail(err, errlen,
			            "%s: empty entry (entry %zu; write no "
			            "'::' and no leading or trailing ':')",
			            what, out->n + 1);
		if (n > PRELOAD_MAX_PATH)
			return fail(err, errlen,
			            "%s: entry %zu \"%s\" is longer than %d "
			            "bytes",
			            what, out->n + 1, shown(p, n, show),
			            PRELOAD_MAX_PATH);
		if (out->n == PRELOAD_MAX_ENTRIES)
			return fail(err, errlen, "%s: more than %d entries",
			            what, PRELOAD_MAX_ENTRIES);
		if (has_control(p, n))
			why = "has a control character";
		else if (bare_names && memchr(p, '/', n) == NULL)
			why = (n == 1 && p[0] == '.') ||
			              (n == 2 && p[0] == '.' && p[1] == '.')
			          ? "is . or .."
			          : NULL;
		else
			why = path_problem(p, n);
		if (why != NULL)
			return fail(err, errlen,
			            "%s: entry %zu \"%s\" %s (write the "
			            "canonical absolute path%s)",
			            what, out->n + 1, shown(p, n, show), why,
			            bare_names ? " or a bare library name"
			                       : "");
		memcpy(out->buf + off, p, n);
		out->buf[off + n] = '\0';
		out->path[out->n] = out->canon[out->n] = out->buf + off;
		out->n++;
		off += n + 1;
		if (*e == '\0')
			break;
	}
	return 0;
}

int preload_parse_exec_list(const char *s, struct preload_paths *out, char *err,
                            size_t errlen)
{
	return parse_paths(s, out, 0, "AUTONOMY_PRELOAD_EXEC_ALLOWLIST", err,
	                   errlen);
}

int preload_parse_dlopen_list(const char *s, struct preload_paths *out,
                              char *err, size_t errlen)
{
	return parse_paths(s, out, 1, "AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST", err,
	                   errlen);
}

int preload_paths_canonicalize(struct preload_paths *l, char *err,
                               size_t errlen)
{
	char rp[PATH_MAX];
	size_t i, off = 0, n;

	for (i = 0; i < l->n; i++) {
		l->canon[i] = l->path[i];
		if (l->path[i][0] != '/' || realpath(l->path[i], rp) == NULL)
			continue;
		n = strlen(rp);
		if (off + n + 1 > sizeof(l->cbuf))
			return fail(err, errlen,
			            "canonical paths exceed %zu bytes",
			            sizeof(l->cbuf));
		memcpy(l->cbuf + off, rp, n + 1);
		l->canon[i] = l->cbuf + off;
		off += n + 1;
	}
	return 0;
}

/* Decimal without sign or leading zeros, at most max. */
static int parse_uint(const char *p, size_t n, unsigned long max,
                      unsigned long *v)
{
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && p[0] == '0'))
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned long)(p[i] - '0');
	}
	return *v <= max ? 0 : -1;
}

static int host_bits_clear(const uint8_t *a, unsigned prefix, unsigned bits)
{
	unsigned i;

	for (i = prefix; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* One entry, p[0..n). Returns NULL or what is wrong with it. */
static const char *parse_net(const char *p, size_t n, struct preload_net *e)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *hs, *he, *colon, *slash;
	unsigned long v;
	unsigned bits;
	int v6 = p[0] == '[';

	if (v6) {
		hs = p + 1;
		he = memchr(p, ']', n);
		if (he == NULL)
			return "has '[' without ']'";
		colon = he + 1;
		if (colon >= p + n || *colon != ':')
			return "needs ':port' after ']'";
	} else {
		hs = p;
		colon = memchr(p, ':', n);
		if (colon == NULL)
			return "needs ':port' (a port number or *)";
		if (memchr(colon + 1, ':', (size_t)(p + n - colon - 1)))
			return "has more than one ':' (write IPv6 as "
			       "[addr]:port)";
		he = colon;
	}
	slash = memchr(hs, '/', (size_t)(he - hs));
	if ((size_t)((slash ? slash : he) - hs) >= sizeof(host))
		return "has an address that is too long";
	memcpy(host, hs, (size_t)((slash ? slash : he) - hs));
	host[(slash ? slash : he) - hs] = '\0';
	memset(e, 0, sizeof(*e));
	if (!v6 && inet_pton(AF_INET, host, e->addr) == 1) {
		e->family = AF_INET;
		bits = 32;
	} else if (v6 && inet_pton(AF_INET6, host, e->addr) == 1) {
		e->family = AF_INET6;
		bits = 128;
	} else
		return v6 ? "has no valid IPv6 address (host names are "
		            "not allowed)"
		          : "has no valid IPv4 address (host names are "
		            "not allowed)";
	e->prefix = bits;
	if (slash != NULL) {
		if (parse_uint(slash + 1, (size_t)(he - slash - 1), bits, &v))
			return bits == 32 ? "has a prefix length that is not "
			                    "0..32"
			                  : "has a prefix length that is not "
			                    "0..128";
		e->prefix = (unsigned)v;
	}
	if (!host_bits_clear(e->addr, e->prefix, bits))
		return "has address bits set beyond the prefix length";
	if ((size_t)(p + n - colon - 1) == 1 && colon[1] == '*')
		e->port = -1;
	else if (parse_uint(colon + 1, (size_t)(p + n - colon - 1), 65535,
	                    &v) == 0)
		e->port = (int)v;
	else
		return "has a port that is not 0..65535 or *";
	/* v4-mapped entries are compared as IPv4, like the addresses. */
	if (e->family == AF_INET6 && e->prefix >= 96 &&
	    memcmp(e->addr, v4mapped, 12) == 0) {
		memmove(e->addr, e->addr + 12, 4);
		memset(e->addr + 4, 0, 12);
		e->family = AF_INET;
		e->prefix -= 96;
	}
	return NULL;
}

int preload_parse_connect_list(const char *s, struct preload_nets *out,
                               char *err, size_t errlen)
{
	static const char what[] = "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST";
	char show[SHOWN + 4];
	const char *p, *e, *why;
	size_t len, n;

	out->n = 0;
	if (s == NULL)
		return fail(err, errlen, "%s: no value", what);
	len = strlen(s);
	if (len > PRELOAD_MAX_LIST_LEN)
		return fail(err, errlen, "%s: longer than %d bytes", what,
		            PRELOAD_MAX_LIST_LEN);
	if (len == 0)
		return 0;
	for (p = s;; p = e + 1) {
		e = strchr(p, ',');
		if (e == NULL)
			e = s + len;
		n = (size_t)(e - p);
		if (n == 0)
			return fail(err, errlen,
			            "%s: empty entry (entry %zu; write no ',,' "
			            "and no leading or trailing ',')",
			            what, out->n + 1);
		if (out->n == PRELOAD_MAX_ENTRIES)
			return fail(err, errlen, "%s: more than %d entries",
			            what, PRELOAD_MAX_ENTRIES);
		if ((why = parse_net(p, n, &out->e[out->n])) != NULL)
			return fail(err, errlen,
			            "%s: entry %zu \"%s\" %s (expected "
			            "a.b.c.d[/len]:port or [v6[/len]]:port, "
			            "port a number or *)",
			            what, out->n + 1, shown(p, n, show), why);
		out->n++;
		if (*e == '\0')
			break;
	}
	return 0;
}

int preload_exec_allowed(const struct preload_paths *l, const char *canonical)
{
	size_t i;

	if (canonical == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->canon[i], canonical) == 0)
			return 1;
	return 0;
}

int preload_dlopen_allowed(const struct preload_paths *l, const char *name)
{
	size_t i;

	if (name == NULL)
		return 1;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->canon[i], name) == 0 ||
		    (strchr(name, '/') == NULL &&
		     strcmp(l->path[i], name) == 0))
			return 1;
	return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[whole] ^ net[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int preload_connect_allowed(const struct preload_nets *l,
                            const struct sockaddr *sa, socklen_t len)
{
	uint8_t addr[16];
	int family, port;
	size_t i;

	if (sa == NULL || len < (socklen_t)sizeof(sa_family_t))
		return 0;
	if (sa->sa_family == AF_UNIX || sa->sa_family == AF_UNSPEC)
		return 1;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		if (len < (socklen_t)sizeof(*in))
			return 0;
		family = AF_INET;
		memcpy(addr, &in->sin_addr, 4);
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		if (len < (socklen_t)sizeof(*in6))
			return 0;
		family = AF_INET6;
		memcpy(addr, &in6->sin6_addr, 16);
		port = ntohs(in6->sin6_port);
		if (memcmp(addr, v4mapped, 12) == 0) {
			family = AF_INET;
			memmove(addr, addr + 12, 4);
		}
	} else
		return 0;
	if (family == AF_INET && addr[0] == 127)
		return 1;
	if (family == AF_INET6 && memcmp(addr, &in6addr_loopback, 16) == 0)
		return 1;
	for (i = 0; i < l->n; i++) {
		const struct preload_net *e = &l->e[i];

		if (e->family == family && (e->port < 0 || e->port == port) &&
		    prefix_match(addr, e->addr, e->prefix))
			return 1;
	}
	return 0;
}
