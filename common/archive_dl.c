/* See archive_dl.h. */
#define ARCHIVE_DL_TABLE
#include "archive_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

/* The unit tests build this file a second time with a soname that does
 * not exist, for the failure's message. */
#ifndef ARCHIVE_DL_SONAME
#define ARCHIVE_DL_SONAME "libarchive.so.13"
#endif

_Static_assert(sizeof(struct archive_dl) == ARCHIVE_DL_PAGE,
               "the libarchive table outgrew its page");

struct archive_dl archive_dl __attribute__((aligned(ARCHIVE_DL_PAGE)));

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512]; /* empty: loaded */

static void load(void)
{
	struct archive_dl t;
	const char *e;
	void *h, *sym;
	long page = sysconf(_SC_PAGESIZE);

	memset(&t, 0, sizeof(t));
	if ((h = dlopen(ARCHIVE_DL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		snprintf(load_error, sizeof(load_error),
		         ARCHIVE_DL_SONAME " cannot be loaded (%s)",
		         e ? e : "dlopen failed");
		return;
	}
#define ARCHIVE_DL_RESOLVE(name)                                               \
	if ((sym = dlsym(h, #name)) == NULL) {                                 \
		e = dlerror();                                                 \
		snprintf(load_error, sizeof(load_error),                       \
		         ARCHIVE_DL_SONAME " cannot be loaded (%s)",           \
		         e ? e : "no " #name);                                 \
		dlclose(h);                                                    \
		return;                                                        \
	}                                                                      \
	t.name = (__typeof__(t.name))sym;
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_RESOLVE)
#undef ARCHIVE_DL_RESOLVE
	archive_dl = t;
	/* Where the page is larger than the table's, its neighbours would
	 * be frozen too: the table stays writable there. */
	if (page == ARCHIVE_DL_PAGE &&
	    mprotect(&archive_dl, sizeof(archive_dl), PROT_READ) < 0)
		snprintf(load_error, sizeof(load_error),
		         ARCHIVE_DL_SONAME " loaded, but its table cannot be "
		                           "made read-only (%s)",
		         strerror(errno));
}

int archive_dl_load(const char *need, char *err, size_t errlen)
{
	if (pthread_once(&load_once, load) == 0 && load_error[0] == '\0')
		return 0;
	return errorf(
	    err, errlen, "%s: %s needs it; install the libarchive13 package",
	    load_error[0] ? load_error : ARCHIVE_DL_SONAME " cannot be loaded",
	    need);
}
