#ifndef AUTONOMY_DEMO_CMD_H
#define AUTONOMY_DEMO_CMD_H

/* `autonomy demo mavlink-sitl [--speedup F] [--keep]`: our simulated
 * vehicle (mavsim) on a loopback port, and the example drone agent run
 * under `autonomy run --mavlink-endpoint tcp:127.0.0.1:PORT
 * --mavlink-environment sitl`. Returns the run's exit status. */
int demo_cmd_main(int argc, char **argv);

#endif
