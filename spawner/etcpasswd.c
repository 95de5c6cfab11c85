/* User and group lookup in an image's /etc/passwd and /etc/group. See
 * etcpasswd.h. Lines are checked strictly: passwd has exactly seven
 * fields, group four; names are printable ASCII without ':' or ','; ids
 * are decimal digits. Empty lines and lines starting with '#' are
 * skipped (as glibc does). */
#include "etcpasswd.h"

#include <string.h>

/* Bytes not NUL-terminated: a part of a line. */
struct span {
	const char *p;
	size_t n;
};

static int span_eq(struct span s, struct span t)
{
	return s.n == t.n && memcmp(s.p, t.p, s.n) == 0;
}

static int name_valid(struct span s)
{
	if (s.n == 0 || s.n > ETCPASSWD_MAX_NAME)
		return 0;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c <= 0x20 || c >= 0x7f || c == ':' || c == ',')
			return 0;
	}
	return 1;
}

static int all_digits(struct span s)
{
	if (s.n == 0)
		return 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
	return 1;
}

/* Decimal digits, at most UINT32_MAX (leading zeros allowed). */
static int parse_id(struct span s, uint32_t *out)
{
	uint64_t v = 0;

	if (!all_digits(s))
		return -1;
	for (size_t i = 0; i < s.n; i++) {
		v = v * 10 + (uint64_t)(s.p[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Exactly nf fields at ':'. */
static int split(struct span line, struct span *f, size_t nf)
{
	size_t k = 0;
	const char *p = line.p, *end = line.p + line.n;

	for (;;) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		if (k == nf)
			return -1;
		f[k].p = p;
		f[k].n = (size_t)((c ? c : end) - p);
		k++;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return k == nf ? 0 : -1;
}

/* Line by line over a file's bytes; a last line without '\n' counts. */
struct lines {
	const char *p, *end;
	size_t no;
};

/* The next line that is not empty or a comment: 1, or 0 at the end; -1
 * for a line holding NUL. */
static int next_line(struct lines *it, struct span *line)
{
	while (it->p < it->end) {
		const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
		const char *e = nl ? nl : it->end;

		line->p = it->p;
		line->n = (size_t)(e - it->p);
		it->p = nl ? nl + 1 : it->end;
		it->no++;
		if (memchr(line->p, '\0', line->n) != NULL)
			return -1;
		if (line->n > 0 && line->p[0] != '#')
			return 1;
	}
	return 0;
}

struct pw_entry {
	struct span name;
	uint32_t uid, gid;
};

struct gr_entry {
	struct span name, members;
	uint32_t gid;
};

static int pw_parse(struct span line, struct pw_entry *e)
{
	struct span f[7];

	if (split(line, f, 7) < 0 || !name_valid(f[0]) ||
	    parse_id(f[2], &e->uid) < 0 || parse_id(f[3], &e->gid) < 0)
		return -1;
	e->name = f[0];
	return 0;
}

/* members: names at ',', empty items allowed (a trailing ','). */
static int members_valid(struct span m)
{
	const char *p = m.p, *end = m.p + m.n;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		struct span s = {p, (size_t)((c ? c : end) - p)};
		if (s.n > 0 && !name_valid(s))
			return 0;
		p = c ? c + 1 : end;
	}
	return 1;
}

static int gr_parse(struct span line, struct gr_entry *e)
{
	struct span f[4];

	if (split(line, f, 4) < 0 || !name_valid(f[0]) ||
	    parse_id(f[2], &e->gid) < 0 || !members_valid(f[3]))
		return -1;
	e->name = f[0];
	e->members = f[3];
	return 0;
}

static int is_member(struct span members, struct span name)
{
	const char *p = members.p, *end = members.p + members.n;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		struct span s = {p, (size_t)((c ? c : end) - p)};
		if (span_eq(s, name))
			return 1;
		p = c ? c + 1 : end;
	}
	return 0;
}

/* USER and GROUP (n 0 when absent) of spec. */
static int spec_split(const char *spec, struct span *user, struct span *group)
{
	size_t n = strnlen(spec, ETCPASSWD_MAX_SPEC + 1);
	const char *c;

	if (n == 0 || n > ETCPASSWD_MAX_SPEC)
		return -1;
	c = memchr(spec, ':', n);
	user->p = spec;
	user->n = c ? (size_t)(c - spec) : n;
	group->p = c ? c + 1 : spec + n;
	group->n = c ? n - user->n - 1 : 0;
	if (!name_valid(*user) || (c != NULL && !name_valid(*group)))
		return -1;
	return 0;
}

/* A numeric USER or GROUP: its value, which must be in range. */
static int spec_id(struct span s, uint32_t *id)
{
	if (parse_id(s, id) < 0 || *id > ETCPASSWD_MAX_ID)
		return -1;
	return 0;
}

int etcpasswd_check_spec(const char *spec)
{
	struct span user, group;
	uint32_t id;

	if (spec_split(spec, &user, &group) < 0)
		return ETCPW_SPEC;
	if (all_digits(user) && spec_id(user, &id) < 0)
		return ETCPW_ID_RANGE;
	if (all_digits(group) && spec_id(group, &id) < 0)
		return ETCPW_ID_RANGE;
	return ETCPW_OK;
}

/* The user: the first passwd entry with its uid (numeric) or name. */
static int find_user(struct span user, const char *passwd, size_t plen,
                     struct etcpasswd_ids *ids, struct span *matched,
                     size_t *line)
{
	int numeric = all_digits(user), found = 0, r;
	struct lines it;
	struct span l;
	uint32_t want = 0;

	matched->p = NULL;
	matched->n = 0;
	if (numeric && spec_id(user, &want) < 0)
		return ETCPW_ID_RANGE;
	if (passwd == NULL) {
		if (!numeric)
			return ETCPW_NO_PASSWD;
		ids->uid = want;
		ids->gid = 0;
		return ETCPW_OK;
	}
	it.p = passwd;
	it.end = passwd + plen;
	it.no = 0;
	/* The whole file is checked, also past the match. */
	while ((r = next_line(&it, &l)) != 0) {
		struct pw_entry e;

		if (r < 0 || pw_parse(l, &e) < 0) {
			*line = it.no;
			return ETCPW_PASSWD_LINE;
		}
		if (found || !(numeric ? e.uid == want : span_eq(e.name, user)))
			continue;
		found = 1;
		ids->uid = e.uid;
		ids->gid = e.gid;
		*matched = e.name;
	}
	if (!found) {
		if (!numeric)
			return ETCPW_NO_USER;
		ids->uid = want;
		ids->gid = 0;
	}
	if (ids->uid > ETCPASSWD_MAX_ID || ids->gid > ETCPASSWD_MAX_ID)
		return ETCPW_ID_RANGE;
	return ETCPW_OK;
}

static int add_group(struct etcpasswd_ids *ids, uint32_t gid)
{
	for (size_t i = 0; i < ids->ngroups; i++)
		if (ids->groups[i] == gid)
			return ETCPW_OK;
	if (ids->ngroups == ETCPASSWD_MAX_GROUPS)
		return ETCPW_TOO_MANY_GROUPS;
	ids->groups[ids->ngroups++] = gid;
	return ETCPW_OK;
}

/* GROUP given: the first group with its gid (numeric) or name. Else,
 * for a user found by name: every group listing it. */
static int find_groups(struct span group, struct span matched, const char *grp,
                       size_t glen, struct etcpasswd_ids *ids, size_t *line)
{
	int numeric = all_digits(group), found = 0, r;
	struct lines it;
	struct span l;
	uint32_t want = 0;

	if (group.n == 0 && matched.n == 0)
		return ETCPW_OK;
	if (numeric && spec_id(group, &want) < 0)
		return ETCPW_ID_RANGE;
	if (grp == NULL) {
		if (group.n > 0 && !numeric)
			return ETCPW_NO_GROUP_FILE;
		if (group.n > 0)
			ids->gid = want;
		return ETCPW_OK;
	}
	it.p = grp;
	it.end = grp + glen;
	it.no = 0;
	while ((r = next_line(&it, &l)) != 0) {
		struct gr_entry e;

		if (r < 0 || gr_parse(l, &e) < 0) {
			*line = it.no;
			return ETCPW_GROUP_LINE;
		}
		if (group.n == 0) {
			if (!is_member(e.members, matched))
				continue;
			if (e.gid > ETCPASSWD_MAX_ID)
				return ETCPW_ID_RANGE;
			if ((r = add_group(ids, e.gid)) != ETCPW_OK)
				return r;
		} else if (!found &&
		           (numeric ? e.gid == want : span_eq(e.name, group))) {
			found = 1;
			ids->gid = e.gid;
		}
	}
	if (group.n > 0 && !found) {
		if (!numeric)
			return ETCPW_NO_GROUP;
		ids->gid = want;
	}
	if (ids->gid > ETCPASSWD_MAX_ID)
		return ETCPW_ID_RANGE;
	return ETCPW_OK;
}

int etcpasswd_resolve(const char *spec, const char *passwd, size_t plen,
                      const char *group, size_t glen, struct etcpasswd_ids *ids,
                      size_t *line)
{
	struct span user, grp, matched;
	int rc;

	memset(ids, 0, sizeof(*ids));
	*line = 0;
	if ((rc = etcpasswd_check_spec(spec)) != ETCPW_OK)
		return rc;
	spec_split(spec, &user, &grp);
	if ((rc = find_user(user, passwd, plen, ids, &matched, line)) !=
	    ETCPW_OK)
		return rc;
	return find_groups(grp, matched, group, glen, ids, line);
}

const char *etcpasswd_error_text(int e)
{
	switch (e) {
	case ETCPW_OK:
		return "resolved";
	case ETCPW_SPEC:
		return "not USER or USER:GROUP (a name or a decimal id each)";
	case ETCPW_ID_RANGE:
		return "an id is out of range (0 to 2147483647)";
	case ETCPW_NO_PASSWD:
		return "the image has no /etc/passwd to look the name up in";
	case ETCPW_NO_USER:
		return "no such user in the image's /etc/passwd";
	case ETCPW_NO_GROUP_FILE:
		return "the image has no /etc/group to look the group up in";
	case ETCPW_NO_GROUP:
		return "no such group in the image's /etc/group";
	case ETCPW_PASSWD_LINE:
		return "the image's /etc/passwd is malformed";
	case ETCPW_GROUP_LINE:
		return "the image's /etc/group is malformed";
	case ETCPW_TOO_MANY_GROUPS:
		return "the user is in more than 256 groups of the image's "
		       "/etc/group";
	case ETCPW_PASSWD_READ:
		return "cannot read the image's /etc/passwd";
	case ETCPW_GROUP_READ:
		return "cannot read the image's /etc/group";
	case ETCPW_PASSWD_BIG:
		return "the image's /etc/passwd is larger than 262144 bytes";
	case ETCPW_GROUP_BIG:
		return "the image's /etc/group is larger than 262144 bytes";
	case ETCPW_PASSWD_TYPE:
		return "the image's /etc/passwd is not a regular file";
	case ETCPW_GROUP_TYPE:
		return "the image's /etc/group is not a regular file";
	}
	return "cannot resolve it";
}
