#include "rules.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int errorf(char *err, size_t errlen, const char *what, const char *e)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "\"%.*s\": %s", 200, e, what);
	return -1;
}

static int check_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return -1;
	return 0;
}

int rules_add(struct rules *rs, const char *entry, char *err, size_t errlen)
{
	struct rule r;
	const char *colon = strrchr(entry, ':'), *h, *dot;
	size_t hlen = colon ? (size_t)(colon - entry) : strlen(entry);
	int labels = 0;

	memset(&r, 0, sizeof(r));
	if (strlen(entry) >= sizeof(r.text))
		return errorf(err, errlen, "longer than 263 characters", entry);
	snprintf(r.text, sizeof(r.text), "%s", entry);
	if (colon != NULL) {
		const char *p = colon + 1;
		size_t k = strspn(p, "0123456789");
		unsigned v = 0;
		if (k == 0 || k > 5 || p[k] != '\0' || p[0] == '0')
			return errorf(err, errlen,
			              "the port must be 1 to 65535", entry);
		for (size_t i = 0; i < k; i++)
			v = v * 10 + (unsigned)(p[i] - '0');
		if (v > 65535)
			return errorf(err, errlen,
			              "the port must be 1 to 65535", entry);
		r.port = v;
	}
	h = entry;
	if (hlen >= 2 && strncmp(h, "*.", 2) == 0) {
		r.wildcard = 1;
		h += 2;
		hlen -= 2;
	}
	if (hlen == 0 || hlen > 253)
		return errorf(err, errlen,
		              "the host must be 1 to 253 characters", entry);
	memcpy(r.host, h, hlen);
	r.host[hlen] = '\0';
	for (const char *l = r.host;; l = dot + 1) {
		dot = strchr(l, '.');
		if (check_label(l, dot ? (size_t)(dot - l) : strlen(l)) < 0)
			return errorf(err, errlen,
			              "labels are 1 to 63 of a-z 0-9 '-', not "
			              "starting or ending with '-' (a wildcard "
			              "only as the whole first label)",
			              entry);
		labels++;
		if (dot == NULL)
			break;
	}
	if (r.wildcard && labels < 2)
		return errorf(err, errlen,
		              "a wildcard needs at least two labels after it",
		              entry);
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->r[i].text, r.text) == 0)
			return 0;
	if (rs->n >= RULES_MAX)
		return errorf(err, errlen, "too many allowed domains", entry);
	rs->r[rs->n++] = r;
	return 0;
}

static int port_ok(const struct rule *r, unsigned port)
{
	return r->port == 0 || r->port == port;
}

const struct rule *rules_match(const struct rules *rs, const char *host,
                               int host_is_ip, unsigned port)
{
	size_t hl = strlen(host);

	for (size_t i = 0; i < rs->n; i++)
		if (!rs->r[i].wildcard && port_ok(&rs->r[i], port) &&
		    strcmp(rs->r[i].host, host) == 0)
			return &rs->r[i];
	if (host_is_ip)
		return NULL; /* a wildcard names names, not addresses */
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		size_t rl = strlen(r->host);
		if (r->wildcard && port_ok(r, port) && hl > rl + 1 &&
		    host[hl - rl - 1] == '.' &&
		    strcmp(host + hl - rl, r->host) == 0)
			return r;
	}
	return NULL;
}

static int in4(uint32_t a, uint32_t net, int len)
{
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);

	return (a & mask) == (net & mask);
}

static const char *v4_special(uint32_t a)
{
	if (in4(a, 0x00000000, 8))
		return "unspecified";
	if (in4(a, 0x7f000000, 8))
		return "loopback";
	if (in4(a, 0x0a000000, 8) || in4(a, 0xac100000, 12) ||
	    in4(a, 0xc0a80000, 16))
		return "private";
	if (in4(a, 0x64400000, 10))
		return "shared (CGNAT)";
	if (in4(a, 0xa9fe0000, 16))
		return "link-local";
	if (in4(a, 0xc0000000, 24) || in4(a, 0xc6120000, 15))
		return "reserved";
	if (in4(a, 0xe0000000, 4))
		return "multicast";
	if (in4(a, 0xf0000000, 4))
		return "reserved"; /* 240/4, broadcast included */
	return NULL;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static const char *v6_special(const uint8_t *b)
{
	static const uint8_t zero[12];

	if (memcmp(b, zero, 12) == 0) {
		uint32_t tail = be32(b + 12);
		if (tail == 0)
			return "unspecified";
		if (tail == 1)
			return "loopback";
		return "IPv4-compatible"; /* deprecated; never routed */
	}
	if (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff)
		return v4_special(be32(b + 12)); /* IPv4-mapped */
	if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
	    memcmp(b + 4, zero, 8) == 0)
		return v4_special(be32(b + 12)); /* NAT64 */
	if (b[0] == 0x20 && b[1] == 0x02)
		return v4_special(be32(b + 2)); /* 6to4 */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
		return "Teredo";
	if ((b[0] & 0xfe) == 0xfc)
		return "private (unique local)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "link-local";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return "site-local";
	if (b[0] == 0xff)
		return "multicast";
	return NULL;
}

const char *addr_special(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		return v4_special(ntohl(s4->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		return v6_special(s6->sin6_addr.s6_addr);
	}
	return "not an IP address";
}

const char *rules_addr_refused(const struct rules *rs, const struct rule *m,
                               const struct sockaddr *sa, unsigned port)
{
	const char *why = addr_special(sa);
	char text[INET6_ADDRSTRLEN];

	if (why == NULL || (m != NULL && !m->wildcard))
		return NULL; /* ordinary, or the host itself allowed exactly */
	if (sa->sa_family != AF_INET)
		return why;
	inet_ntop(AF_INET,
	          &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
	          text, sizeof(text));
	for (size_t i = 0; i < rs->n; i++)
		if (!rs->r[i].wildcard && port_ok(&rs->r[i], port) &&
		    strcmp(rs->r[i].host, text) == 0)
			return NULL;
	return why;
}
