#include "footprint.h"

void footprint_print(FILE *f, const struct footprint *fp)
{
	fprintf(f, "\n== System footprint ==================================="
	           "=========\n");
	fprintf(f, "  WAL          %s\n", fp->wal_dir[0] ? fp->wal_dir : "-");
	fprintf(f, "  WAL kept     %s\n",
	        fp->wal_pinned ? "yes (pinned directory, never removed)"
	        : fp->wal_kept ? "yes (--keep)"
	                       : "no (removed at exit; use --keep or --dir)");
	if (fp->stats_known) {
		fprintf(f, "  records      %llu written this run\n",
		        (unsigned long long)fp->records);
		fprintf(f, "  decisions    %llu allowed, %llu denied\n",
		        (unsigned long long)fp->allowed,
		        (unsigned long long)fp->denied);
	} else {
		fprintf(f, "  records      unknown (walwriter unavailable)\n");
	}
	fprintf(f, "  helpers     ");
	for (int i = 0; i < fp->nhelpers; i++)
		fprintf(f, " %s=%d", fp->helper_names[i],
		        (int)fp->helper_pids[i]);
	fprintf(f, "\n");
	fprintf(f, "  runtime URL  %s%s\n", fp->url[0] ? fp->url : "-",
	        fp->url_in_netns ? " (inside the workload's network "
	                           "namespace only)"
	                         : "");
	if (fp->sandbox != NULL && fp->sandbox[0] != '\0')
		fprintf(f, "  sandbox      %s\n", fp->sandbox);
	if (fp->policy_ref != NULL)
		fprintf(f, "  policy       %s (%s)\n", fp->policy_ref,
		        fp->policy_digest ? fp->policy_digest : "embedded");
	fprintf(f, "  wall time    %.3f s\n", fp->wall_s);
	fprintf(f, "  exit status  %d\n", fp->exit_code);
	if (fp->opts && fp->opts->nmisplaced > 0) {
		char fixed[4096];
		fprintf(f, "  NOTE         ");
		for (int i = 0; i < fp->opts->nmisplaced; i++)
			fprintf(f, "%s%s", i ? ", " : "",
			        fp->opts->misplaced[i]);
		fprintf(f, " came after the command, so the workload got "
		           "them, not autonomy.\n");
		if (run_corrected_invocation(fp->opts, fixed, sizeof(fixed)) ==
		    0)
			fprintf(f, "               did you mean: %s\n", fixed);
	}
	fprintf(f, "==========================================================="
	           "=\n");
}
