/* autonomy: the supervisor and command-line front end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "bundle_cmd.h"
#include "flags.h"
#include "log.h"
#include "policy_cmd.h"
#include "run.h"
#include "wal_cmd.h"

static const char usage[] =
    "usage: autonomy <command> [args]\n"
    "\n"
    "  run [flags] CMD [ARGS...]   run CMD under policy governance\n"
    "  wal inspect --dir PATH      print the WAL's records\n"
    "  wal verify --dir PATH       check the WAL's hash chain\n"
    "  bundle pack DIR -o FILE.tar write a bundle as a reproducible tar\n"
    "  bundle import FILE.tar      store a bundle in the local cache\n"
    "  bundle ls                   list the cached bundles\n"
    "  policy check BUNDLE         parse and validate a bundle\n"
    "  policy eval BUNDLE --kind T [--params JSON]\n"
    "                              decide one tool call, run nothing\n"
    "  policy authorize ...        a general Cedar request (--help)\n"
    "  policy show-default [--mavlink]  print the embedded policy\n"
    "  version                     print the version\n"
    "\n"
    "'autonomy run --help' for run's flags; 'autonomy bundle --help',\n"
    "'autonomy policy --help' for theirs.\n";

/* `autonomy run --policy B`: B is resolved and validated in full before
 * anything starts; a bad bundle is a usage error (64) and nothing runs.
 * Handing the bundle to policyd (an inherited fd carrying
 * bundle_serialize()) is not wired yet, so a bundle other than the
 * embedded demo policy is refused rather than silently replaced by the
 * demo (fail closed); run.c takes this over when the handoff lands. */
static int run_policy_preflight(int argc, char **argv)
{
	struct run_opts o;
	struct bundle *b;
	char err[BUNDLE_ERR_MAX];
	int demo;

	if (run_parse_flags(argc, argv, getenv("AUTONOMY_RUN_WAL_DIR"), &o, err,
	                    sizeof(err)) < 0 ||
	    o.help || o.policy == NULL)
		return 0; /* run_main reports flag errors and prints help */
	if ((b = bundle_resolve(o.policy, o.cache_dir, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "autonomy run: --policy: %s\n", err);
		fprintf(stderr, "autonomy run: nothing was run\n");
		return 64;
	}
	demo = strcmp(b->policy_ref, POLICY_DEMO_REF) == 0;
	if (!demo)
		fprintf(stderr,
		        "autonomy run: --policy %s: bundle %s (%s) is valid, "
		        "but this build cannot hand a bundle to policyd yet; "
		        "refusing rather than deciding with the demo policy. "
		        "Nothing was run\n",
		        o.policy, b->policy_ref, b->digest);
	bundle_free(b);
	return demo ? 0 : 64;
}

int main(int argc, char **argv)
{
	log_init("supervisor");
	if (argc < 2) {
		fputs(usage, stderr);
		return 64;
	}
	if (strcmp(argv[1], "run") == 0) {
		int rc = run_policy_preflight(argc - 1, argv + 1);
		return rc != 0 ? rc : run_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "wal") == 0)
		return wal_cmd_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "bundle") == 0)
		return bundle_cmd_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "policy") == 0)
		return policy_cmd_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("autonomy %s\n", AUTONOMY_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	fprintf(stderr, "autonomy: unknown command '%s'\n\n%s", argv[1], usage);
	return 64;
}
