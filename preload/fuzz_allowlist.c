/* libFuzzer target for the shim's allow-list parsers and the
 * derive-allowlist line parser. The first byte picks the parser; the
 * rest is the value. Whatever parses must be within bounds, and its
 * entries must parse again one by one (what the supervisor relies on
 * when it passes a list on). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "allowlist.h"
#include "derive.h"

static struct preload_paths paths, one;
static struct preload_nets nets;

static void check_paths(int dl)
{
	char err[PRELOAD_ERR_MAX];
	size_t i;

	if (paths.n > PRELOAD_MAX_ENTRIES)
		abort();
	for (i = 0; i < paths.n; i++) {
		if (strlen(paths.path[i]) > PRELOAD_MAX_PATH)
			abort();
		if ((dl ? preload_parse_dlopen_list(paths.path[i], &one, err,
		                                    sizeof(err))
		        : preload_parse_exec_list(paths.path[i], &one, err,
		                                  sizeof(err))) != 0 ||
		    one.n != 1)
			abort();
		if (dl ? !preload_dlopen_allowed(&paths, paths.path[i])
		       : !preload_exec_allowed(&paths, paths.path[i]))
			abort();
	}
}

static void check_nets(const uint8_t *data, size_t size)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	size_t i;

	if (nets.n > PRELOAD_MAX_ENTRIES)
		abort();
	for (i = 0; i < nets.n; i++) {
		const struct preload_net *e = &nets.e[i];

		if ((e->family != AF_INET && e->family != AF_INET6) ||
		    e->prefix > (e->family == AF_INET ? 32u : 128u) ||
		    e->port < -1 || e->port > 65535)
			abort();
		/* Every entry matches its own network address. */
		if (e->family == AF_INET) {
			memcpy(&in.sin_addr, e->addr, 4);
			in.sin_port =
			    htons(e->port < 0 ? 1 : (uint16_t)e->port);
			if (!preload_connect_allowed(
			        &nets, (struct sockaddr *)&in, sizeof(in)))
				abort();
		} else {
			memcpy(&in6.sin6_addr, e->addr, 16);
			in6.sin6_port =
			    htons(e->port < 0 ? 1 : (uint16_t)e->port);
			if (!preload_connect_allowed(
			        &nets, (struct sockaddr *)&in6, sizeof(in6)))
				abort();
		}
	}
	/* And arbitrary addresses do not crash the matcher. */
	if (size >= 18) {
		memcpy(&in6.sin6_addr, data, 16);
		memcpy(&in6.sin6_port, data + 16, 2);
		preload_connect_allowed(&nets, (struct sockaddr *)&in6,
		                        sizeof(in6));
		memcpy(&in.sin_addr, data, 4);
		preload_connect_allowed(&nets, (struct sockaddr *)&in,
		                        sizeof(in));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PRELOAD_ERR_MAX], *s, *name;

	if (size < 1 || size > PRELOAD_MAX_LIST_LEN + 2)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		if (preload_parse_exec_list(s, &paths, err, sizeof(err)) == 0)
			check_paths(0);
		else if (strlen(err) == 0)
			abort();
		break;
	case 1:
		if (preload_parse_dlopen_list(s, &paths, err, sizeof(err)) == 0)
			check_paths(1);
		else if (strlen(err) == 0)
			abort();
		break;
	case 2:
		if (preload_parse_connect_list(s, &nets, err, sizeof(err)) == 0)
			check_nets(data + 1, size - 1);
		else if (strlen(err) == 0)
			abort();
		break;
	default:
		free(preload_derive_parse_line(s));
		if ((name = preload_derive_parse_line(s)) != NULL &&
		    strlen(name) > strlen(s))
			abort();
		free(name);
		break;
	}
	free(s);
	return 0;
}
