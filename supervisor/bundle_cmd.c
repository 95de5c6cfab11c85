/* `autonomy bundle pack DIR -o FILE.tar`, `bundle import FILE.tar`,
 * `bundle ls`: the bundle's way into the cache. Each validates the whole
 * bundle first (bundle.h); nothing is written for an invalid one. */
#include "bundle_cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bundle.h"
#include "bundle_cache.h"
#include "log.h"

#define EXIT_INVALID 1
#define EXIT_USAGE 64

static const char usage_text[] =
    "usage: autonomy bundle pack DIR -o FILE.tar\n"
    "       autonomy bundle import FILE.tar [--cache-dir DIR]\n"
    "       autonomy bundle ls [--cache-dir DIR] [--json]\n"
    "\n"
    "  pack     validate the bundle directory DIR and write it as a\n"
    "           reproducible tar (the same files give the same bytes)\n"
    "  import   validate FILE.tar and store it in the cache under\n"
    "           name:version (content-addressed; importing it again is a\n"
    "           no-op; new content for a name:version replaces it)\n"
    "  ls       list the cache's bundles: name, version, channel, digest\n"
    "\n"
    "The cache is $XDG_DATA_HOME/autonomy/cache (default\n"
    "~/.local/share/autonomy/cache) unless --cache-dir is given. See\n"
    "docs/bundles.md.\n";

#define usage_error(...)                                                       \
	usage_errorf("autonomy bundle", usage_text, __VA_ARGS__)

int cli_flag_value(int argc, char **argv, int *i, const char *name,
                   const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
	} else {
		if (*i + 1 >= argc)
			return -1;
		*val = argv[++*i];
	}
	return **val != '\0' ? 1 : -1;
}

static void print_warnings(const struct bundle *b)
{
	for (size_t i = 0; i < b->n_warnings; i++)
		fprintf(stderr, "autonomy bundle: warning: %s\n",
		        b->warnings[i]);
}

static int cmd_pack(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL, *v;
	char err[BUNDLE_ERR_MAX];
	struct bundle *b;
	int r;

	for (int i = 2; i < argc; i++) {
		if ((r = cli_flag_value(argc, argv, &i, "--output", &v)) != 0 ||
		    (r = cli_flag_value(argc, argv, &i, "-o", &v)) != 0) {
			if (r < 0)
				return usage_error("pack: -o needs a file");
			out = v;
		} else if (argv[i][0] == '-') {
			return usage_error("pack: unknown flag %s", argv[i]);
		} else if (dir == NULL) {
			dir = argv[i];
		} else {
			return usage_error("pack: one DIR only (%s)", argv[i]);
		}
	}
	if (dir == NULL || out == NULL)
		return usage_error("pack needs DIR and -o FILE.tar");
	if ((b = bundle_load_path(dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "autonomy bundle pack: %s\n", err);
		return EXIT_INVALID;
	}
	print_warnings(b);
	if (bundle_pack(b, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy bundle pack: %s\n", err);
		bundle_free(b);
		return EXIT_INVALID;
	}
	printf("packed %s (%zu policies in %zu files) %s -> %s\n",
	       b->policy_ref, b->n_cedar_policies, b->n_policies, b->digest,
	       out);
	bundle_free(b);
	return 0;
}

static int cache_flag(int argc, char **argv, int *i, const char **cache_dir,
                      int *rc)
{
	const char *v;
	int r = cli_flag_value(argc, argv, i, "--cache-dir", &v);

	if (r < 0)
		*rc = usage_error("%s: --cache-dir needs a directory", argv[1]);
	else if (r > 0)
		*cache_dir = v;
	return r;
}

static int cmd_import(int argc, char **argv)
{
	const char *file = NULL, *cache_dir = NULL;
	char err[BUNDLE_ERR_MAX], old[BUNDLE_DIGEST_LEN + 1];
	struct bundle *b;
	int rc = 0, r;

	for (int i = 2; i < argc; i++) {
		if ((r = cache_flag(argc, argv, &i, &cache_dir, &rc)) != 0) {
			if (r < 0)
				return rc;
		} else if (argv[i][0] == '-') {
			return usage_error("import: unknown flag %s", argv[i]);
		} else if (file == NULL) {
			file = argv[i];
		} else {
			return usage_error("import: one FILE.tar only (%s)",
			                   argv[i]);
		}
	}
	if (file == NULL)
		return usage_error("import needs FILE.tar");
	if ((b = bundle_load_path(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "autonomy bundle import: %s\n", err);
		return EXIT_INVALID;
	}
	print_warnings(b);
	r = bundle_cache_import(cache_dir, b, old, err, sizeof(err));
	switch (r) {
	case BUNDLE_IMPORT_NEW:
		printf("imported %s:%s %s\n", b->name, b->version, b->digest);
		break;
	case BUNDLE_IMPORT_SAME:
		printf("%s:%s %s is already in the cache\n", b->name,
		       b->version, b->digest);
		break;
	case BUNDLE_IMPORT_REPLACED:
		printf("replaced %s:%s: %s -> %s\n", b->name, b->version, old,
		       b->digest);
		break;
	default:
		fprintf(stderr, "autonomy bundle import: %s\n", err);
		rc = EXIT_INVALID;
	}
	bundle_free(b);
	return rc;
}

static int cmd_ls(int argc, char **argv)
{
	const char *cache_dir = NULL;
	struct bundle_cache_entry *v;
	char err[BUNDLE_ERR_MAX];
	int json = 0, rc = 0, r;
	size_t n;

	for (int i = 2; i < argc; i++) {
		if ((r = cache_flag(argc, argv, &i, &cache_dir, &rc)) != 0) {
			if (r < 0)
				return rc;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else {
			return usage_error("ls: unexpected argument %s",
			                   argv[i]);
		}
	}
	if (bundle_cache_list(cache_dir, &v, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "autonomy bundle ls: %s\n", err);
		return EXIT_INVALID;
	}
	if (json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++) {
			json_t *o =
			    json_pack("{s:s, s:s, s:s, s:s}", "name", v[i].name,
			              "version", v[i].version, "channel",
			              v[i].channel, "digest", v[i].digest);
			if (v[i].problem[0])
				json_object_set_new(o, "problem",
				                    json_string(v[i].problem));
			json_array_append_new(arr, o);
		}
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	} else if (n > 0) {
		printf("%-24s %-16s %-10s %s\n", "NAME", "VERSION", "CHANNEL",
		       "DIGEST");
		for (size_t i = 0; i < n; i++)
			printf("%-24s %-16s %-10s %s\n", v[i].name,
			       v[i].version, v[i].channel,
			       v[i].problem[0] ? "DAMAGED" : v[i].digest);
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].problem[0]) {
			fprintf(stderr, "autonomy bundle ls: %s:%s: %s\n",
			        v[i].name, v[i].version, v[i].problem);
			rc = EXIT_INVALID;
		}
	free(v);
	return rc;
}

int bundle_cmd_main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing subcommand");
	if (strcmp(argv[1], "pack") == 0)
		return cmd_pack(argc, argv);
	if (strcmp(argv[1], "import") == 0)
		return cmd_import(argc, argv);
	if (strcmp(argv[1], "ls") == 0)
		return cmd_ls(argc, argv);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	return usage_error("unknown subcommand '%s'", argv[1]);
}
