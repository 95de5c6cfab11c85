/* `autonomy bundle pack|import|ls` (docs/bundles.md). */
#ifndef AUTONOMY_BUNDLE_CMD_H
#define AUTONOMY_BUNDLE_CMD_H

/* argv[0] is "bundle". Returns the exit status: 0 ok, 1 the bundle or
 * the cache is invalid (or a cache entry failed verification: ls), 64
 * usage error. */
int bundle_cmd_main(int argc, char **argv);

/* Matches argv[*i] as "--name VALUE" or "--name=VALUE" (the CLI's valued
 * flags): 1 with *val set and *i past the value, 0 when argv[*i] is
 * another argument, -1 when the value is missing or empty. */
int cli_flag_value(int argc, char **argv, int *i, const char *name,
                   const char **val);

#endif
