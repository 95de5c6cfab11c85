/* libFuzzer target: everything tool.http_get parses from outside the
 * process before any decision -- the endpoint URL (and the canonical
 * form's fixed point), request headers ("name: value"), allowed-domain
 * entries, and hosts(5) text. The proxy's request parser (issue 7 part
 * 2) belongs here too once it exists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "rules.h"
#include "url.h"

static struct rules rs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[URL_ERR_MAX], *colon;
	struct url u, again;
	struct hosts h;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (url_parse(s, &u, err, sizeof(err)) == 0) {
		/* the canonical form parses to itself */
		if (url_parse(u.canonical, &again, err, sizeof(err)) != 0 ||
		    strcmp(again.canonical, u.canonical) != 0)
			abort();
	}
	if ((colon = strchr(s, ':')) != NULL) {
		*colon = '\0';
		(void)http_header_check(s, colon + 1, err, sizeof(err));
		*colon = ':';
	}
	if (rs.n >= RULES_MAX)
		memset(&rs, 0, sizeof(rs));
	if (rules_add(&rs, s, err, sizeof(err)) == 0 &&
	    url_parse(s, &u, err, sizeof(err)) == 0)
		(void)rules_match(&rs, u.host, u.host_kind != URL_HOST_NAME,
		                  u.port);
	if (hosts_parse((const char *)data, size, &h) == 0) {
		struct sockaddr_storage out[4];
		(void)hosts_lookup(&h, "localhost", out, 4);
		hosts_free(&h);
	}
	free(s);
	return 0;
}
