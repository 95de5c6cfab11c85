/* The fetcher's runtime layer for tool.http_get: AllowedDomains and the
 * address checks (DESIGN.md §2 step 5). Pure: no I/O, unit-tested.
 *
 * An entry is an exact host ("api.example.com", "localhost",
 * "10.0.0.1") or "*." plus at least two labels ("*.example.com" matches
 * every name below example.com, not example.com itself), optionally
 * ":PORT". Without a port it matches any port. The grammar is the
 * manifest's runtime.allowed_domains (docs/bundles.md) and --allow-domain.
 *
 * Addresses: a host may be connected to only at addresses that are not
 * loopback, private, shared (CGNAT), link-local, multicast, unspecified
 * or reserved (IPv4 and IPv6, IPv4-mapped, -compatible, NAT64 and 6to4
 * forms judged by the IPv4 address inside; Teredo refused) -- unless the
 * host was allowed by an exact entry (not a wildcard), or an exact entry
 * names that very IPv4 address (with a matching port). */
#ifndef AUTONOMY_FETCHER_RULES_H
#define AUTONOMY_FETCHER_RULES_H

#include <stddef.h>
#include <sys/socket.h>

#define RULES_MAX 512 /* --allow-domain flags and manifest entries */
#define RULE_TEXT_MAX 264

struct rule {
	char text[RULE_TEXT_MAX]; /* as given, for the WAL */
	char host[254];           /* without "*." */
	int wildcard;
	unsigned port; /* 0: any */
};

struct rules {
	size_t n;
	struct rule r[RULES_MAX];
};

/* Adds one entry; -1 with why in err. A duplicate is accepted once. */
int rules_add(struct rules *rs, const char *entry, char *err, size_t errlen);

/* The entry allowing host:port (an exact one before a wildcard), or
 * NULL. host is url_parse()'s: lowercase, an IPv6 literal unbracketed
 * (only exact IPv4 and name entries exist, so it never matches). */
const struct rule *rules_match(const struct rules *rs, const char *host,
                               int host_is_ip, unsigned port);

/* The class of a special address ("loopback", "private", ...), or NULL
 * for an ordinary public one. */
const char *addr_special(const struct sockaddr *sa);

/* NULL if sa may be connected to for host:port allowed by rule m;
 * otherwise the address class that refuses it. */
const char *rules_addr_refused(const struct rules *rs, const struct rule *m,
                               const struct sockaddr *sa, unsigned port);

#endif
