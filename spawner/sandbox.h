#ifndef AUTONOMY_SPAWNER_SANDBOX_H
#define AUTONOMY_SPAWNER_SANDBOX_H

/* Confines the spawner (and, by inheritance, the workload): sandbox.c. */
int spawner_sandbox(void);

#endif
