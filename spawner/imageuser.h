/* --image: the image config's User, applied in the spawner's child
 * (docs/processes.md, "The workload's image layer"). The child resolves
 * it once it is inside the image's root (so /etc/passwd and /etc/group
 * are the image's, never the host's), and switches to it in the
 * workload's process, before the capability, no_new_privs, Landlock and
 * seccomp layers. System calls only (the spawner has nng's threads):
 * the files are read into static buffers and parsed by etcpasswd.h. */
#ifndef AUTONOMY_SPAWNER_IMAGEUSER_H
#define AUTONOMY_SPAWNER_IMAGEUSER_H

#include <stddef.h>

#include "etcpasswd.h"

/* What imageuser_switch() was doing when it failed (after the
 * enum etcpasswd_error codes of imageuser_resolve()). */
enum imageuser_stage {
	IMAGEUSER_CAPGET = 100,
	IMAGEUSER_KEEPCAPS,  /* PR_SET_KEEPCAPS */
	IMAGEUSER_SETGROUPS, /* setgroups */
	IMAGEUSER_SETGID,    /* setresgid */
	IMAGEUSER_SETUID,    /* setresuid */
	IMAGEUSER_CHECK,     /* getresuid/getresgid/getgroups disagree */
	IMAGEUSER_CAPSET,    /* the effective set back, for the layers */
};

/* In the child, inside the image's root: reads /etc/passwd and
 * /etc/group and resolves spec. 0, or -1 with *what (an
 * enum etcpasswd_error), *line (a malformed line) and errno (a read). */
int imageuser_resolve(const char *spec, struct etcpasswd_ids *ids, int *what,
                      size_t *line);

/* In the workload's process: setgroups, setresgid, setresuid, checked
 * with getresuid/getresgid/getgroups. The capabilities are kept across
 * the switch (PR_SET_KEEPCAPS, effective set restored), for the layers
 * that drop them; exec as a uid other than 0 then clears them all. 0, or
 * -1 with *what (enum imageuser_stage) and errno. */
int imageuser_switch(const struct etcpasswd_ids *ids, int *what);

/* A failure of either, for the spawner's message. */
const char *imageuser_error_text(int what);

#endif
