/* `autonomy preload derive-allowlist LOG [--manifest]`: turn the audit
 * lines a workload wrote under AUTONOMY_PRELOAD_DLOPEN_AUDIT=1 into a
 * dlopen allow-list: the sorted unique names that loaded, one a line, or
 * a bundle manifest snippet. Lines that are not audit lines are skipped
 * (the log is usually the workload's whole stderr). */
#include "derive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "allowlist.h"

#define AUDIT_PREFIX "autonomy-preload-audit: dlopen(filename=\""
#define DERIVE_MAX_NAMES 65536

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The file name of a result=loaded audit line, unescaped into out
 * (malloc'd), or NULL for any other line. */
char *preload_derive_parse_line(const char *line)
{
	const char *p = strstr(line, AUDIT_PREFIX);
	char *out, *o;
	int hi, lo;

	if (p == NULL)
		return NULL;
	p += strlen(AUDIT_PREFIX);
	if ((out = malloc(strlen(p) + 1)) == NULL)
		return NULL;
	for (o = out; *p != '"'; p++) {
		if (*p == '\0')
			goto bad;
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		p++;
		if (*p == '"' || *p == '\\')
			*o++ = *p;
		else if (*p == 'x' && (hi = hexval(p[1])) >= 0 &&
		         (lo = hexval(p[2])) >= 0 && (hi | lo) != 0) {
			*o++ = (char)(hi << 4 | lo);
			p += 2;
		} else
			goto bad;
	}
	*o = '\0';
	p++;
	if (strncmp(p, ", flags=0x", 10) != 0)
		goto bad;
	p += 10;
	if (hexval(*p) < 0)
		goto bad;
	while (hexval(*p) >= 0)
		p++;
	if (strncmp(p, ", result=loaded)", 16) != 0)
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int usage(void)
{
	fprintf(stderr, "usage: autonomy preload derive-allowlist LOG "
	                "[--manifest]\n"
	                "  LOG: stderr of a run with "
	                "AUTONOMY_PRELOAD_DLOPEN_AUDIT=1 ('-' for stdin)\n");
	return 2;
}

static int print_manifest(char **names, size_t n)
{
	json_t *paths = json_array(), *root;
	size_t i;
	int r;

	if (paths == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (json_array_append_new(paths, json_string(names[i])) != 0) {
			json_decref(paths);
			return -1;
		}
	root = json_pack("{s:{s:o}}", "dlopen_allowlist", "paths", paths);
	if (root == NULL)
		return -1;
	r = json_dumpf(root, stdout, JSON_INDENT(2));
	json_decref(root);
	if (r == 0)
		putchar('\n');
	return r;
}

int preload_derive_main(int argc, char **argv)
{
	struct preload_paths *check;
	char err[PRELOAD_ERR_MAX], **names = NULL, *line = NULL, *name;
	const char *log = NULL;
	size_t n = 0, cap = 0, linecap = 0, i, kept;
	int manifest = 0, bad = 0, i_arg;
	FILE *f;

	for (i_arg = 1; i_arg < argc; i_arg++) {
		if (strcmp(argv[i_arg], "--manifest") == 0)
			manifest = 1;
		else if (log == NULL &&
		         (argv[i_arg][0] != '-' || argv[i_arg][1] == '\0'))
			log = argv[i_arg];
		else
			return usage();
	}
	if (log == NULL)
		return usage();
	if (strcmp(log, "-") == 0)
		f = stdin;
	else if ((f = fopen(log, "r")) == NULL) {
		fprintf(stderr, "autonomy: derive-allowlist: %s: %s\n", log,
		        strerror(errno));
		return 1;
	}
	if ((check = malloc(sizeof(*check))) == NULL) {
		fprintf(stderr, "autonomy: derive-allowlist: out of memory\n");
		return 1;
	}
	while (getline(&line, &linecap, f) >= 0) {
		if ((name = preload_derive_parse_line(line)) == NULL)
			continue;
		/* Only what the shim would accept back as a list entry. */
		if (strchr(name, ':') != NULL ||
		    preload_parse_dlopen_list(name, check, err, sizeof(err))) {
			fprintf(stderr,
			        "autonomy: derive-allowlist: %s: cannot be "
			        "listed (%s)\n",
			        log,
			        strchr(name, ':') ? "the name contains ':'"
			                          : err);
			free(name);
			bad = 1;
			continue;
		}
		if (n == cap) {
			char **nn;

			if (cap == DERIVE_MAX_NAMES) {
				fprintf(stderr,
				        "autonomy: derive-allowlist: %s: more "
				        "than %d names\n",
				        log, DERIVE_MAX_NAMES);
				free(name);
				bad = 1;
				break;
			}
			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL) {
				free(name);
				bad = 1;
				break;
			}
			names = nn;
		}
		names[n++] = name;
	}
	free(line);
	free(check);
	if (f != stdin)
		fclose(f);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0, kept = 0; i < n; i++) {
		if (kept > 0 && strcmp(names[kept - 1], names[i]) == 0) {
			free(names[i]);
			continue;
		}
		names[kept++] = names[i];
	}
	if (manifest) {
		if (print_manifest(names, kept) != 0) {
			fprintf(stderr, "autonomy: derive-allowlist: cannot "
			                "write the manifest snippet\n");
			bad = 1;
		}
	} else
		for (i = 0; i < kept; i++)
			printf("%s\n", names[i]);
	for (i = 0; i < kept; i++)
		free(names[i]);
	free(names);
	if (fflush(stdout) != 0)
		bad = 1;
	return bad ? 1 : 0;
}
