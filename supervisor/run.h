#ifndef AUTONOMY_RUN_H
#define AUTONOMY_RUN_H

/* `autonomy run`: argv[0] == "run". Returns the process exit status. */
int run_main(int argc, char **argv);

#endif
