/* autonomy: the supervisor and command-line front end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "bundle_cmd.h"
#include "flags.h"
#include "log.h"
#include "policy_cmd.h"
#include "demo_cmd.h"
#include "derive.h"
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
    "  preload derive-allowlist LOG [--manifest]\n"
    "                              dlopen allow-list from a shim audit log\n"
    "  demo mavlink-sitl           a governed flight of a simulated\n"
    "                              vehicle (mavsim) by an example agent\n"
    "  version                     print the version\n"
    "\n"
    "'autonomy run --help' for run's flags; 'autonomy bundle --help',\n"
    "'autonomy policy --help' for theirs.\n";

int main(int argc, char **argv)
{
	log_init("supervisor");
	if (argc < 2) {
		fputs(usage, stderr);
		return 64;
	}
	if (strcmp(argv[1], "run") == 0)
		return run_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "wal") == 0)
		return wal_cmd_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "bundle") == 0)
		return bundle_cmd_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "policy") == 0)
		return policy_cmd_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "preload") == 0) {
		if (argc >= 3 && strcmp(argv[2], "derive-allowlist") == 0)
			return preload_derive_main(argc - 2, argv + 2);
		fprintf(stderr, "usage: autonomy preload derive-allowlist LOG "
		                "[--manifest]\n");
		return 64;
	}
	if (strcmp(argv[1], "demo") == 0)
		return demo_cmd_main(argc - 1, argv + 1);
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
