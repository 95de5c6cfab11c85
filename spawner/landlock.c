/* The workload's Landlock layer. See landlock.h; the rules and their
 * limits are in docs/processes.md. */
#include "landlock.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "allowlist.h"
#include "log.h"

/* Debian 12's <linux/landlock.h> predates ABI 4: the network half of the
 * kernel's interface, as the kernel defines it. */
struct ruleset_attr_net {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};
struct net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};
#define RULE_NET_PORT 2
#define ACCESS_NET_CONNECT_TCP (1ULL << 1)

#define FLAG_EXEC "--preload-exec-allowlist"
#define FLAG_CONNECT "--preload-connect-allowlist"

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	                   LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

/* One --preload-exec-allowlist value ("A,B") with the shim's parser,
 * which takes ':'-joined paths. */
static int parse_exec_value(const char *v, struct preload_paths *out, char *err,
                            size_t errlen)
{
	char msg[PRELOAD_ERR_MAX], *s;
	int rc;

	if (strchr(v, ':') != NULL)
		return errorf(err, errlen,
		              FLAG_EXEC " %s: a path with ':' cannot be given "
		                        "(separate paths with ',')",
		              v);
	if ((s = strdup(v)) == NULL)
		return errorf(err, errlen, FLAG_EXEC ": %s", strerror(ENOMEM));
	for (char *p = s; *p; p++)
		if (*p == ',')
			*p = ':';
	if ((rc = preload_parse_exec_list(s, out, msg, sizeof(msg))) < 0)
		errorf(err, errlen, FLAG_EXEC " %s: %s", v, msg);
	free(s);
	return rc;
}

static int parse_connect_value(const char *v, struct preload_nets *out,
                               char *err, size_t errlen)
{
	char msg[PRELOAD_ERR_MAX];

	if (preload_parse_connect_list(v, out, msg, sizeof(msg)) < 0)
		return errorf(err, errlen, FLAG_CONNECT " %s: %s", v, msg);
	return 0;
}

/* A listed file must exist and be a regular file: Landlock grants
 * EXECUTE on a file, and a path that does not resolve grants nothing. */
static int check_listed(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errorf(err, errlen,
		              FLAG_EXEC " %s: %s (Landlock grants EXECUTE on "
		                        "existing files only: list the file "
		                        "the workload runs)",
		              path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errorf(err, errlen,
		              FLAG_EXEC " %s: not a regular file (list the "
		                        "files the workload may exec)",
		              path);
	return 0;
}

/* The kernel feature missing for what flag asks, or 0. */
static int check_kernel(const char *flag, int want_net, char *err,
                        size_t errlen)
{
	int abi = landlock_abi();

	if (abi == -EOPNOTSUPP)
		return errorf(err, errlen,
		              "%s: Landlock is built into this kernel but not "
		              "enabled (add landlock to the lsm= boot "
		              "parameter), so the allow-list cannot be "
		              "enforced against static binaries and raw system "
		              "calls; pass --no-landlock to run with the shim "
		              "alone (audited)",
		              flag);
	if (abi < 0)
		return errorf(err, errlen,
		              "%s: this kernel has no Landlock "
		              "(landlock_create_ruleset: %s; needs Linux 5.13+ "
		              "with CONFIG_SECURITY_LANDLOCK), so the "
		              "allow-list cannot be enforced against static "
		              "binaries and raw system calls; pass "
		              "--no-landlock to run with the shim alone "
		              "(audited)",
		              flag, strerror(-abi));
	if (strcmp(flag, FLAG_EXEC) == 0 &&
	    access(LANDLOCK_MEMFD_SYSCTL, W_OK) != 0)
		return errorf(err, errlen,
		              FLAG_EXEC
		              ": Landlock does not check memfd files, "
		              "so the exec allow-list is backed there by "
		              "vm.memfd_noexec=2 in the workload's pid "
		              "namespace, and %s cannot be written (%s; it "
		              "exists from Linux 6.3). Pass --no-landlock to "
		              "run with the shim alone (audited)",
		              LANDLOCK_MEMFD_SYSCTL, strerror(errno));
	if (want_net && abi < LANDLOCK_ABI_NET)
		return errorf(err, errlen,
		              FLAG_CONNECT
		              ": TCP connect rules need Landlock "
		              "ABI %d (Linux 6.7); this kernel has "
		              "ABI %d. Pass --no-landlock to run "
		              "with the shim alone (audited)",
		              LANDLOCK_ABI_NET, abi);
	return 0;
}

/* Whether the connect values hold a '*' port (Landlock cannot say "any
 * port": net is then not handled). -1 on a parse error. */
static int connect_wildcard(const char *const *connect, size_t n,
                            struct preload_nets *nets, char *err, size_t errlen)
{
	int wild = 0;

	for (size_t i = 0; i < n; i++) {
		if (parse_connect_value(connect[i], nets, err, errlen) < 0)
			return -1;
		for (size_t k = 0; k < nets->n; k++)
			wild |= nets->e[k].port < 0;
	}
	return wild;
}

int landlock_check(const char *const *exec, size_t nexec,
                   const char *const *connect, size_t nconnect, char *err,
                   size_t errlen)
{
	struct preload_paths *paths = malloc(sizeof(*paths));
	struct preload_nets *nets = malloc(sizeof(*nets));
	int rc = -1, wild = 0;

	if (paths == NULL || nets == NULL) {
		errorf(err, errlen, "landlock: %s", strerror(ENOMEM));
		goto out;
	}
	for (size_t i = 0; i < nexec; i++) {
		if (parse_exec_value(exec[i], paths, err, errlen) < 0)
			goto out;
		for (size_t k = 0; k < paths->n; k++)
			if (check_listed(paths->path[k], err, errlen) < 0)
				goto out;
	}
	if ((wild = connect_wildcard(connect, nconnect, nets, err, errlen)) < 0)
		goto out;
	if (nexec == 0 && (nconnect == 0 || wild)) {
		rc = 0; /* nothing for the kernel to handle */
		goto out;
	}
	rc = check_kernel(nexec > 0 ? FLAG_EXEC : FLAG_CONNECT,
	                  nconnect > 0 && !wild, err, errlen);
out:
	free(paths);
	free(nets);
	return rc;
}

void landlock_init(struct landlock_layer *l)
{
	memset(l, 0, sizeof(*l));
	l->ruleset_fd = -1;
}

/* ---- the interpreter a file needs ----------------------------------- */

/* PT_INTERP of the ELF file fd (its first n bytes in h), in out. */
static int elf_interp(int fd, const unsigned char *h, size_t n, char *out,
                      size_t outlen)
{
	int is64 = h[EI_CLASS] == ELFCLASS64;
	uint64_t phoff;
	size_t phnum, phent, want;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (h[EI_DATA] != ELFDATA2LSB)
		return 0;
#else
	if (h[EI_DATA] != ELFDATA2MSB)
		return 0;
#endif
	if (is64 && n >= sizeof(Elf64_Ehdr)) {
		const Elf64_Ehdr *e = (const Elf64_Ehdr *)h;
		phoff = e->e_phoff;
		phnum = e->e_phnum;
		phent = e->e_phentsize;
		want = sizeof(Elf64_Phdr);
	} else if (h[EI_CLASS] == ELFCLASS32 && n >= sizeof(Elf32_Ehdr)) {
		const Elf32_Ehdr *e = (const Elf32_Ehdr *)h;
		phoff = e->e_phoff;
		phnum = e->e_phnum;
		phent = e->e_phentsize;
		want = sizeof(Elf32_Phdr);
	} else {
		return 0;
	}
	if (phent != want || phnum > 1024)
		return 0;
	for (size_t i = 0; i < phnum; i++) {
		union {
			Elf64_Phdr p64;
			Elf32_Phdr p32;
		} p;
		uint64_t off, sz;

		if (pread(fd, &p, phent, (off_t)(phoff + i * phent)) !=
		    (ssize_t)phent)
			return 0;
		if ((is64 ? p.p64.p_type : p.p32.p_type) != PT_INTERP)
			continue;
		off = is64 ? p.p64.p_offset : p.p32.p_offset;
		sz = is64 ? p.p64.p_filesz : p.p32.p_filesz;
		if (sz < 2 || sz > outlen ||
		    pread(fd, out, sz, (off_t)off) != (ssize_t)sz ||
		    out[sz - 1] != '\0' || strlen(out) != sz - 1)
			return 0;
		return 1;
	}
	return 0; /* static: nothing else to load */
}

/* The interpreter of a `#!` line (its first 256 bytes, as the kernel
 * reads it). Only an absolute one: a relative one would be looked up
 * from whatever directory the exec happens in. */
static int script_interp(const unsigned char *h, size_t n, char *out,
                         size_t outlen)
{
	size_t i = 2, start;

	while (i < n && (h[i] == ' ' || h[i] == '\t'))
		i++;
	start = i;
	while (i < n && h[i] != ' ' && h[i] != '\t' && h[i] != '\n' &&
	       h[i] != '\0')
		i++;
	if (i == n || i == start || h[start] != '/' || i - start >= outlen)
		return 0;
	memcpy(out, h + start, i - start);
	out[i - start] = '\0';
	return 1;
}

/* What the kernel loads to run path (the file st describes): 1 with its
 * path in out, 0 when nothing (a static ELF, an unreadable file, a file
 * changed since st). */
static int read_interpreter(const char *path, const struct stat *st, char *out,
                            size_t outlen)
{
	unsigned char h[256];
	struct stat now;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0;
	if (fstat(fd, &now) == 0 && now.st_dev == st->st_dev &&
	    now.st_ino == st->st_ino && (n = pread(fd, h, sizeof(h), 0)) > 4) {
		if (h[0] == '#' && h[1] == '!')
			rc = script_interp(h, (size_t)n, out, outlen);
		else if (memcmp(h, ELFMAG, SELFMAG) == 0)
			rc = elf_interp(fd, h, (size_t)n, out, outlen);
	}
	close(fd);
	return rc;
}

/* ---- the rules ------------------------------------------------------ */

static int granted(const struct landlock_layer *l, const struct stat *st)
{
	for (size_t i = 0; i < l->ngrants; i++)
		if (l->grant[i].dev == st->st_dev &&
		    l->grant[i].ino == st->st_ino)
			return 1;
	return 0;
}

/* EXECUTE on the file at path (an O_PATH descriptor of the file itself,
 * so the rule is on its inode: a symlink's target), then on its
 * interpreter. A listed file must exist; an interpreter or argv[0] that
 * does not grants nothing (its exec fails anyway). */
static int grant_file(struct landlock_layer *l, const char *path,
                      const char *why, int depth, char *err, size_t errlen)
{
	struct landlock_path_beneath_attr rule = {LANDLOCK_ACCESS_FS_EXECUTE,
	                                          -1};
	int listed = strcmp(why, "listed") == 0;
	char interp[PATH_MAX];
	struct stat st;
	int fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return listed ? check_listed(path, err, errlen) : 0;
	}
	if (granted(l, &st)) {
		close(fd);
		return 0;
	}
	if (l->ngrants >= LANDLOCK_MAX_GRANTS) {
		close(fd);
		return errorf(err, errlen,
		              "spawner: landlock: more than %d files to grant "
		              "EXECUTE (%s)",
		              LANDLOCK_MAX_GRANTS, path);
	}
	rule.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, l->ruleset_fd,
	            LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0) {
		errorf(err, errlen,
		       "spawner: landlock: grant EXECUTE on %s: %s", path,
		       strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	l->grant[l->ngrants] =
	    (struct landlock_grant){strdup(path), why, st.st_dev, st.st_ino};
	if (l->grant[l->ngrants++].path == NULL)
		return errorf(err, errlen, "spawner: %s", strerror(ENOMEM));
	if (depth < LANDLOCK_MAX_SCRIPT_DEPTH &&
	    read_interpreter(path, &st, interp, sizeof(interp)))
		return grant_file(l, interp, "interpreter", depth + 1, err,
		                  errlen);
	return 0;
}

/* The request's variable name, or NULL. */
static const char *req_env(const Autonomy__SpawnRequest *req, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < req->n_env; i++)
		if (strncmp(req->env[i], name, n) == 0 && req->env[i][n] == '=')
			return req->env[i] + n + 1;
	return NULL;
}

/* dir/name, relative to the request's cwd (the child's) when dir is. */
static int cmd_path(const Autonomy__SpawnRequest *req, const char *dir,
                    size_t dirlen, const char *name, char *out, size_t len)
{
	int rel = dirlen == 0 || dir[0] != '/';
	int n = snprintf(out, len, "%s%s%.*s%s%s",
	                 rel && req->cwd[0] ? req->cwd : "",
	                 rel && req->cwd[0] ? "/" : "", (int)dirlen, dir,
	                 dirlen ? "/" : "", name);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* The file the child's execvpe() will run for argv[0]: the first
 * executable regular file on the request's PATH (glibc's default without
 * one), or argv[0] itself when it has a '/'. 0: none found. */
static int find_command(const Autonomy__SpawnRequest *req, char *out,
                        size_t len)
{
	const char *a = req->argv[0], *path = req_env(req, "PATH");
	struct stat st;

	if (strchr(a, '/') != NULL)
		return a[0] == '/' ? snprintf(out, len, "%s", a) < (int)len
		                   : cmd_path(req, "", 0, a, out, len) == 0;
	if (path == NULL)
		path = "/bin:/usr/bin";
	for (const char *p = path;; p++) {
		size_t dl = strcspn(p, ":");

		if (cmd_path(req, p, dl, a, out, len) == 0 &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 0111))
			return 1;
		p += dl;
		if (*p == '\0')
			return 0;
	}
}

/* The runtime's TCP port from AUTONOMY_RUNTIME_URL
 * (scheme://host[:port][/...]), so that the workload still reaches it.
 * 0: no URL. */
static int runtime_port(const Autonomy__SpawnRequest *req, uint16_t *port,
                        char *err, size_t errlen)
{
	const char *url = req_env(req, "AUTONOMY_RUNTIME_URL"), *h, *c;
	char *end;
	unsigned long v;

	if (url == NULL)
		return 0;
	if ((h = strstr(url, "://")) == NULL)
		goto bad;
	h += 3;
	if (*h == '[' && (h = strchr(h, ']')) == NULL)
		goto bad;
	c = h + strcspn(h, ":/");
	if (*c != ':') {
		*port = strncmp(url, "https:", 6) == 0 ? 443 : 80;
		return 1;
	}
	v = strtoul(c + 1, &end, 10);
	if (end == c + 1 || (*end != '\0' && *end != '/') || v == 0 ||
	    v > 65535)
		goto bad;
	*port = (uint16_t)v;
	return 1;
bad:
	return errorf(err, errlen,
	              "spawner: AUTONOMY_RUNTIME_URL %.200s: no TCP port to "
	              "allow the workload",
	              url);
}

static int allow_port(struct landlock_layer *l, long port, char *err,
                      size_t errlen)
{
	struct net_port_attr rule = {ACCESS_NET_CONNECT_TCP, (uint64_t)port};

	for (size_t i = 0; i < l->nports; i++)
		if (l->port[i] == port)
			return 0;
	if (l->nports >= LANDLOCK_MAX_PORTS)
		return errorf(err, errlen, "spawner: landlock: too many ports");
	if (syscall(SYS_landlock_add_rule, l->ruleset_fd, RULE_NET_PORT, &rule,
	            0) < 0)
		return errorf(
		    err, errlen,
		    "spawner: landlock: allow connect to port %ld: %s", port,
		    strerror(errno));
	l->port[l->nports++] = (uint16_t)port;
	return 0;
}

static int create_ruleset(struct landlock_layer *l, char *err, size_t errlen)
{
	struct ruleset_attr_net attr = {0, 0};
	size_t size = sizeof(attr.handled_access_fs);

	if (l->exec_on)
		attr.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE;
	if (l->net_on) {
		attr.handled_access_net = ACCESS_NET_CONNECT_TCP;
		size = sizeof(attr); /* older ABIs know the fs half only */
	}
	l->ruleset_fd =
	    (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (l->ruleset_fd < 0)
		return errorf(err, errlen,
		              "spawner: landlock_create_ruleset: %s",
		              strerror(errno));
	return 0;
}

static int grant_exec(const Autonomy__SpawnRequest *req,
                      struct landlock_layer *l, struct preload_paths *paths,
                      char *err, size_t errlen)
{
	char cmd[PATH_MAX];

	for (size_t i = 0; i < req->n_landlock_exec; i++) {
		if (parse_exec_value(req->landlock_exec[i], paths, err,
		                     errlen) < 0)
			return -1;
		for (size_t k = 0; k < paths->n; k++)
			if (grant_file(l, paths->path[k], "listed", 0, err,
			               errlen) < 0)
				return -1;
	}
	/* The user asked to run it: it and its interpreters. */
	if (req->n_argv > 0 && find_command(req, cmd, sizeof(cmd)))
		return grant_file(l, cmd, "argv[0]", 0, err, errlen);
	return 0;
}

static int allow_ports(const Autonomy__SpawnRequest *req,
                       struct landlock_layer *l, struct preload_nets *nets,
                       char *err, size_t errlen)
{
	uint16_t rt = 0;
	int r;

	for (size_t i = 0; i < req->n_landlock_connect; i++) {
		if (parse_connect_value(req->landlock_connect[i], nets, err,
		                        errlen) < 0)
			return -1;
		for (size_t k = 0; k < nets->n; k++)
			if (allow_port(l, nets->e[k].port, err, errlen) < 0)
				return -1;
	}
	if ((r = runtime_port(req, &rt, err, errlen)) < 0)
		return -1;
	return r ? allow_port(l, rt, err, errlen) : 0;
}

int landlock_prepare(const Autonomy__SpawnRequest *req,
                     struct landlock_layer *l, char *err, size_t errlen)
{
	struct preload_paths *paths = NULL;
	struct preload_nets *nets = NULL;
	int wild, rc = -1;

	if (req->n_landlock_exec == 0 && req->n_landlock_connect == 0)
		return 0;
	l->on = 1;
	l->connect_asked = req->n_landlock_connect > 0;
	if (landlock_check((const char *const *)req->landlock_exec,
	                   req->n_landlock_exec,
	                   (const char *const *)req->landlock_connect,
	                   req->n_landlock_connect, err, errlen) < 0)
		return -1;
	paths = malloc(sizeof(*paths));
	nets = malloc(sizeof(*nets));
	l->grant = calloc(LANDLOCK_MAX_GRANTS, sizeof(*l->grant));
	if (paths == NULL || nets == NULL || l->grant == NULL) {
		errorf(err, errlen, "spawner: %s", strerror(ENOMEM));
		goto out;
	}
	if ((wild = connect_wildcard((const char *const *)req->landlock_connect,
	                             req->n_landlock_connect, nets, err,
	                             errlen)) < 0)
		goto out;
	l->abi = landlock_abi();
	l->exec_on = req->n_landlock_exec > 0;
	l->net_on = l->connect_asked && !wild;
	if (l->connect_asked && wild)
		l->net_off = "wildcard-port";
	if (!l->exec_on && !l->net_on) {
		rc = 0; /* recorded, nothing to handle */
		goto out;
	}
	if (create_ruleset(l, err, errlen) < 0 ||
	    (l->exec_on && grant_exec(req, l, paths, err, errlen) < 0) ||
	    (l->net_on && allow_ports(req, l, nets, err, errlen) < 0))
		goto out;
	rc = 0;
out:
	free(paths);
	free(nets);
	return rc;
}

int landlock_apply(const struct landlock_layer *l)
{
	if (l->ruleset_fd < 0)
		return 0;
	return (int)syscall(SYS_landlock_restrict_self, l->ruleset_fd, 0);
}

/* ---- the record ----------------------------------------------------- */

/* Appends to buf at *off; the value starts at the returned pointer. */
static const char *put(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static const char *put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	char *start = buf + *off;
	va_list ap;
	int n;

	if (*off >= len)
		return "";
	va_start(ap, fmt);
	n = vsnprintf(start, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	*off += (size_t)n + 1 > len - *off ? len - *off : (size_t)n + 1;
	return start;
}

/* "PATH (why),..." for as many files as fit in 6 KiB, then how many
 * were left out. */
static const char *files_attr(const struct landlock_layer *l, char *buf,
                              size_t len, size_t *off)
{
	char *start = buf + *off;
	size_t room = len - *off < 6144 ? len - *off : 6144, used = 0, i;

	if (room == 0)
		return "";
	start[0] = '\0';
	for (i = 0; i < l->ngrants; i++) {
		int n =
		    snprintf(start + used, room - used, "%s%s (%s)",
		             i ? "," : "", l->grant[i].path, l->grant[i].why);
		if (n < 0 || (size_t)n >= room - used - 32) {
			start[used] = '\0';
			snprintf(start + used, room - used, "%s... (%zu more)",
			         i ? "," : "", l->ngrants - i);
			break;
		}
		used += (size_t)n;
	}
	*off += strlen(start) + 1;
	return start;
}

/* The allowed ports, ','-joined. */
static const char *ports_attr(const struct landlock_layer *l, char *buf,
                              size_t len, size_t *off)
{
	char *start = buf + *off;
	size_t room = len - *off, used = 0;

	if (room == 0)
		return "";
	start[0] = '\0';
	for (size_t i = 0; i < l->nports; i++) {
		int n = snprintf(start + used, room - used, "%s%u",
		                 i ? "," : "", (unsigned)l->port[i]);
		if (n < 0 || (size_t)n >= room - used)
			break;
		used += (size_t)n;
	}
	*off += used + 1;
	return start;
}

void landlock_attrs(const struct landlock_layer *l, const char **kv, size_t max,
                    char *buf, size_t buflen)
{
	size_t n = 0, off = 0;

#define KV(k, v)                                                               \
	do {                                                                   \
		if (n + 2 < max) {                                             \
			kv[n++] = (k);                                         \
			kv[n++] = (v);                                         \
		}                                                              \
	} while (0)
	KV("layer", "landlock");
	KV("abi", l->abi > 0
	              ? put(buf, buflen, &off, "%d", l->abi)
	              : put(buf, buflen, &off, "none (%s)", strerror(-l->abi)));
	KV("ruleset", l->ruleset_fd >= 0 ? "restrict_self after no_new_privs"
	                                 : "none (nothing to handle)");
	KV("exec", l->exec_on ? "on (EXECUTE only; reads and writes are "
	                        "not handled)"
	                      : "off");
	if (l->exec_on) {
		KV("exec_rules", put(buf, buflen, &off, "%zu", l->ngrants));
		KV("exec_files", files_attr(l, buf, buflen, &off));
		/* Said where it is read: what EXECUTE rules cannot stop. */
		KV("exec_not_covered",
		   "memfd files (kernel-internal: Landlock does not check "
		   "them; backed by vm.memfd_noexec=2, layer=memfd_noexec); "
		   "code loaded without execve (ld.so FILE, mmap)");
	}
	KV("net", l->net_on ? "on (CONNECT_TCP by port)" : "off");
	if (l->net_on) {
		KV("ports", ports_attr(l, buf, buflen, &off));
		KV("addresses", "not restricted by Landlock (per port only): "
		                "the shim's connect allow-list");
	} else if (l->net_off != NULL) {
		KV("net_reason", l->net_off);
	}
	kv[n] = NULL;
#undef KV
}

void landlock_free(struct landlock_layer *l)
{
	if (l->ruleset_fd >= 0)
		close(l->ruleset_fd);
	l->ruleset_fd = -1;
	for (size_t i = 0; l->grant != NULL && i < l->ngrants; i++)
		free(l->grant[i].path);
	free(l->grant);
	l->grant = NULL;
	l->ngrants = 0;
}
