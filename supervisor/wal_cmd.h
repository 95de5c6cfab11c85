/* `autonomy wal inspect|verify`: read-only views of a WAL directory
 * (DESIGN.md §3). Built from walwriter/meson.build as wal_cmd_dep. */
#ifndef AUTONOMY_WAL_CMD_H
#define AUTONOMY_WAL_CMD_H

/* argv[0] is "wal". Returns the process exit status: 0 ok, 1 the WAL is
 * corrupt (verify) or a record does not decode, 2 the directory cannot be
 * read or is not a WAL, 64 usage error. */
int wal_cmd_main(int argc, char **argv);

#endif
