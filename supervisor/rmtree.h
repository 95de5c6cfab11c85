#ifndef AUTONOMY_RMTREE_H
#define AUTONOMY_RMTREE_H

/* Removes a directory tree we created (runtime dir, temporary WAL).
 * Does not follow symlinks. */
int rmtree(const char *path);

#endif
