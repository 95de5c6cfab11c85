#ifndef AUTONOMY_POLICYD_SANDBOX_H
#define AUTONOMY_POLICYD_SANDBOX_H

/* Confines policyd for good: see sandbox.c. 0 on success. */
int policyd_sandbox(void);

#endif
