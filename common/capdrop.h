/* --cap-drop values (DESIGN.md §5): parsed the same way by the supervisor,
 * which refuses a bad name before anything starts, and by the spawner,
 * which never trusts the supervisor's parse. */
#ifndef AUTONOMY_CAPDROP_H
#define AUTONOMY_CAPDROP_H

#include <stddef.h>
#include <stdint.h>

/* Every bit: ALL (the spawner limits it to the running kernel's caps). */
#define CAPDROP_ALL UINT64_MAX

/* One --cap-drop value: CAP[,CAP...], each a libcap-ng name with or
 * without CAP_, any case, or ALL. ORs the caps into *mask. -1 with the
 * name at fault in err (an unknown name, an empty item). */
int capdrop_parse(const char *list, uint64_t *mask, char *err, size_t errlen);

/* "ALL" or "CAP_NET_RAW,CAP_SYS_ADMIN" (for the WAL). */
void capdrop_format(uint64_t mask, char *buf, size_t len);

/* This process's effective capability set (capget), bit n = cap n; 0
 * when it cannot be read. */
uint64_t caps_effective(void);

#endif
