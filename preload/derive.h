/* `autonomy preload derive-allowlist`: see derive.c. */
#ifndef AUTONOMY_PRELOAD_DERIVE_H
#define AUTONOMY_PRELOAD_DERIVE_H

/* argv[0] is the subcommand ("derive-allowlist"); returns the exit
 * status (0, 1 on error, 2 on usage). */
int preload_derive_main(int argc, char **argv);

/* The file name of an `autonomy-preload-audit: dlopen(...,
 * result=loaded)` line, unescaped and malloc'd; NULL for other lines. */
char *preload_derive_parse_line(const char *line);

#endif
