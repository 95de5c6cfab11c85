#include "egress_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

const struct rule *egress_match(const struct rules *rs, const struct url *u,
                                char *reason, size_t len)
{
	const struct rule *m =
	    rules_match(rs, u->host, u->host_kind != URL_HOST_NAME, u->port);

	if (m == NULL)
		snprintf(reason, len,
		         "%s port %u is not an allowed host (--allow-host "
		         "HOST[:PORT])",
		         u->host, u->port);
	return m;
}

int egress_literal(const struct url *u, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (u->host_kind == URL_HOST_IPV4) {
		out->ss_family = AF_INET;
		return inet_pton(AF_INET, u->host,
		                 &((struct sockaddr_in *)out)->sin_addr) == 1;
	}
	if (u->host_kind == URL_HOST_IPV6) {
		out->ss_family = AF_INET6;
		return inet_pton(AF_INET6, u->host,
		                 &((struct sockaddr_in6 *)out)->sin6_addr) == 1;
	}
	return 0;
}

int egress_check_addrs(const struct rules *rs, const struct rule *m,
                       const struct url *u,
                       const struct sockaddr_storage *addrs, size_t n,
                       char *reason, size_t len)
{
	if (n == 0) {
		snprintf(reason, len, "%s: no address", u->host);
		return -1;
	}
	/* Every address the name has must pass, not just the one used: a
	 * name that also points inside is refused as a whole. */
	for (size_t i = 0; i < n; i++) {
		const char *why = rules_addr_refused(
		    rs, m, (const struct sockaddr *)&addrs[i], u->port);
		char a[INET6_ADDRSTRLEN] = "?";
		if (why == NULL)
			continue;
		if (addrs[i].ss_family == AF_INET)
			inet_ntop(
			    AF_INET,
			    &((const struct sockaddr_in *)&addrs[i])->sin_addr,
			    a, sizeof(a));
		else if (addrs[i].ss_family == AF_INET6)
			inet_ntop(AF_INET6,
			          &((const struct sockaddr_in6 *)&addrs[i])
			               ->sin6_addr,
			          a, sizeof(a));
		snprintf(reason, len,
		         "%s resolves to %s, a %s address: refused unless "
		         "allowed explicitly (an exact --allow-host entry for "
		         "the host or the address, not a wildcard)",
		         u->host, a, why);
		return -1;
	}
	return 0;
}
