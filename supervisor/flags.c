#include "flags.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

const char run_usage[] =
    "usage: autonomy run [--dir PATH] [--keep] [--] CMD [ARGS...]\n"
    "\n"
    "Runs CMD under policy governance. CMD gets AUTONOMY_RUNTIME_URL and\n"
    "AUTONOMY_RUNTIME_TOKEN; every POST /v1/tool it makes is decided by\n"
    "the policy and written ahead to the WAL.\n"
    "\n"
    "  --dir PATH   keep the WAL in PATH (created if missing; never\n"
    "               removed). Also AUTONOMY_RUN_WAL_DIR; the flag wins.\n"
    "  --keep       keep the temporary WAL directory at exit\n"
    "  --           end of autonomy's flags (optional: flags end at CMD)\n"
    "\n"
    "Exit status: CMD's, 128+N if CMD died of signal N, 64 usage error,\n"
    "70 the runtime failed (a helper died: fail closed), 127 CMD could\n"
    "not be executed.\n";

static int is_own_flag(const char *a)
{
	return strcmp(a, "--keep") == 0 || strcmp(a, "--dir") == 0 ||
	       strncmp(a, "--dir=", 6) == 0;
}

int run_parse_flags(int argc, char **argv, const char *env_wal_dir,
                    struct run_opts *o, char *err, size_t errlen)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; /* the workload's command */
		if (strcmp(a, "--keep") == 0) {
			o->keep = 1;
		} else if (strcmp(a, "--dir") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0')
				return errorf(err, errlen,
				              "--dir needs a directory path");
			o->wal_dir = argv[++i];
		} else if (strncmp(a, "--dir=", 6) == 0) {
			if (a[6] == '\0')
				return errorf(err, errlen,
				              "--dir needs a directory path");
			o->wal_dir = a + 6;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->help = 1;
			return 0;
		} else {
			return errorf(
			    err, errlen,
			    "unknown flag %s (see 'autonomy run --help')", a);
		}
	}
	if (i >= argc)
		return errorf(err, errlen,
		              "missing the command to run "
		              "(usage: autonomy run [flags] CMD [ARGS...])");
	o->cmd = &argv[i];
	o->ncmd = argc - i;
	if (o->wal_dir == NULL && env_wal_dir != NULL && *env_wal_dir) {
		o->wal_dir = env_wal_dir;
		o->wal_dir_from_env = 1;
	}
	for (int j = 1; j < o->ncmd && o->nmisplaced < RUN_MAX_MISPLACED; j++)
		if (is_own_flag(o->cmd[j]))
			o->misplaced[o->nmisplaced++] = o->cmd[j];
	return 0;
}

static void append(char *buf, size_t len, size_t *off, const char *s)
{
	int n;

	if (*off >= len)
		return;
	n = snprintf(buf + *off, len - *off, "%s", s);
	if (n > 0)
		*off += (size_t)n;
}

/* Quotes an argument for a POSIX shell when it needs it. */
static void append_arg(char *buf, size_t len, size_t *off, const char *a)
{
	append(buf, len, off, " ");
	if (*a != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyz"
	                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                            "-_./=:,+@%") == strlen(a)) {
		append(buf, len, off, a);
		return;
	}
	append(buf, len, off, "'");
	for (const char *p = a; *p; p++) {
		char c[2] = {*p, 0};
		append(buf, len, off, *p == '\'' ? "'\\''" : c);
	}
	append(buf, len, off, "'");
}

int run_corrected_invocation(const struct run_opts *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	append(buf, len, &off, "autonomy run");
	for (int j = 1; j < o->ncmd; j++) {
		if (!is_own_flag(o->cmd[j]))
			continue;
		append_arg(buf, len, &off, o->cmd[j]);
		if (strcmp(o->cmd[j], "--dir") == 0 && j + 1 < o->ncmd)
			append_arg(buf, len, &off, o->cmd[++j]);
	}
	append(buf, len, &off, " --");
	for (int j = 0; j < o->ncmd; j++) {
		if (j > 0 && is_own_flag(o->cmd[j])) {
			if (strcmp(o->cmd[j], "--dir") == 0 && j + 1 < o->ncmd)
				j++;
			continue;
		}
		append_arg(buf, len, &off, o->cmd[j]);
	}
	return off < len ? 0 : -1;
}
