#ifndef AUTONOMY_WALWRITER_SANDBOX_H
#define AUTONOMY_WALWRITER_SANDBOX_H

/* No-new-privs, no capabilities, rlimits, then walwriter's seccomp
 * allow-list (sandbox.c). 0 on success; the caller exits on failure. */
int walwriter_confine(void);

#endif
