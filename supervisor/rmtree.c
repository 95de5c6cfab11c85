#include "rmtree.h"

#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int type,
                  struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) < 0)
		return -1;
	return 0;
}

int rmtree(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
