#include "capdrop.h"

#include <cap-ng.h>
#include <ctype.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define CAPDROP_MAX_NAME 64

/* One name: ALL, or a libcap-ng name with or without CAP_. */
static int capdrop_name(const char *name, size_t len, uint64_t *mask, char *err,
                        size_t errlen)
{
	char buf[CAPDROP_MAX_NAME];
	const char *n = buf;
	int cap;

	if (len == 0)
		return errorf(err, errlen,
		              "--cap-drop: empty capability name (give "
		              "CAP[,CAP...] or ALL)");
	if (len >= sizeof(buf))
		return errorf(err, errlen,
		              "--cap-drop: \"%.*s...\" is not a capability", 32,
		              name);
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (strcasecmp(buf, "ALL") == 0) {
		*mask = CAPDROP_ALL;
		return 0;
	}
	if (strncasecmp(buf, "CAP_", 4) == 0)
		n += 4;
	/* libcap-ng knows names without CAP_ and compares them in any
	 * case; it also refuses numbers, which we want. */
	if (*n == '\0' || (cap = capng_name_to_capability(n)) < 0 || cap > 63)
		return errorf(err, errlen,
		              "--cap-drop: \"%s\" is not a capability "
		              "libcap-ng knows (e.g. NET_RAW, CAP_SYS_ADMIN, "
		              "ALL)",
		              buf);
	*mask |= 1ULL << cap;
	return 0;
}

int capdrop_parse(const char *list, uint64_t *mask, char *err, size_t errlen)
{
	const char *p = list;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (capdrop_name(p, len, mask, err, errlen) < 0)
			return -1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

void capdrop_format(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (mask == CAPDROP_ALL) {
		snprintf(buf, len, "ALL");
		return;
	}
	for (int c = 0; c < 64 && off < len; c++) {
		const char *name;
		int n;

		if (!(mask & (1ULL << c)))
			continue;
		name = capng_capability_to_name((unsigned)c);
		n = snprintf(buf + off, len - off, "%sCAP_", off ? "," : "");
		if (n < 0)
			return;
		off += (size_t)n;
		for (; name && *name && off + 1 < len; name++)
			buf[off++] = (char)toupper((unsigned char)*name);
		if (off < len)
			buf[off] = '\0';
	}
}

uint64_t caps_effective(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &hdr, d) < 0)
		return 0;
	return (uint64_t)d[1].effective << 32 | d[0].effective;
}
