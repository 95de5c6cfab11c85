/* libarchive, loaded at first need instead of linked: it drags a dozen
 * libraries (libxml2, ICU, libstdc++, lzma, zstd, ...) into every start
 * of the supervisor, which needs it only for a tar bundle, the canonical
 * tar (a bundle's digest) and an image layer.
 *
 * Include this instead of <archive.h>, call archive_dl_load() before the
 * first archive_*() call, and call archive_*() as usual: each name used
 * below is a macro for its entry in a table that archive_dl_load() fills
 * with dlsym, all or nothing, then makes read-only. A function missing
 * from the table shows up as an undefined reference when the supervisor
 * is linked (it does not link libarchive). */
#ifndef AUTONOMY_ARCHIVE_DL_H
#define AUTONOMY_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>

/* The functions the tree calls (supervisor/bundle.c,
 * spawner/image/layer.c). */
#define ARCHIVE_DL_FUNCS(X)                                                    \
	X(archive_entry_filetype)                                              \
	X(archive_entry_free)                                                  \
	X(archive_entry_gid)                                                   \
	X(archive_entry_hardlink)                                              \
	X(archive_entry_new)                                                   \
	X(archive_entry_pathname)                                              \
	X(archive_entry_perm)                                                  \
	X(archive_entry_set_filetype)                                          \
	X(archive_entry_set_gid)                                               \
	X(archive_entry_set_mtime)                                             \
	X(archive_entry_set_pathname)                                          \
	X(archive_entry_set_perm)                                              \
	X(archive_entry_set_size)                                              \
	X(archive_entry_set_uid)                                               \
	X(archive_entry_size)                                                  \
	X(archive_entry_size_is_set)                                           \
	X(archive_entry_sparse_count)                                          \
	X(archive_entry_symlink)                                               \
	X(archive_entry_uid)                                                   \
	X(archive_error_string)                                                \
	X(archive_read_data)                                                   \
	X(archive_read_data_block)                                             \
	X(archive_read_free)                                                   \
	X(archive_read_new)                                                    \
	X(archive_read_next_header)                                            \
	X(archive_read_open)                                                   \
	X(archive_read_open_memory)                                            \
	X(archive_read_support_filter_gzip)                                    \
	X(archive_read_support_filter_zstd)                                    \
	X(archive_read_support_format_gnutar)                                  \
	X(archive_read_support_format_tar)                                     \
	X(archive_set_error)                                                   \
	X(archive_write_add_filter_none)                                       \
	X(archive_write_close)                                                 \
	X(archive_write_data)                                                  \
	X(archive_write_free)                                                  \
	X(archive_write_header)                                                \
	X(archive_write_new)                                                   \
	X(archive_write_open)                                                  \
	X(archive_write_set_format_ustar)

/* The table fills a page of its own, so that it can be made read-only
 * after loading like the GOT entries it replaces (-z relro,now). */
#define ARCHIVE_DL_PAGE 4096

#define ARCHIVE_DL_MEMBER(name) __typeof__(name) *name;
struct archive_dl {
	union {
		struct {
			ARCHIVE_DL_FUNCS(ARCHIVE_DL_MEMBER)
		};
		char page[ARCHIVE_DL_PAGE];
	};
};
#undef ARCHIVE_DL_MEMBER

extern struct archive_dl archive_dl;

/* Loads libarchive.so.13 once (thread-safe; later calls return the first
 * call's result). 0, or -1 with err naming the library, the dlerror,
 * what needs it ("reading a tar bundle") and the package to install.
 * Call it before a fork into a confined child: the child then only uses
 * what is already mapped. */
int archive_dl_load(const char *need, char *err, size_t errlen);

/* archive_dl.c itself names the table's members. */
#ifndef ARCHIVE_DL_TABLE
#define archive_entry_filetype (archive_dl.archive_entry_filetype)
#define archive_entry_free (archive_dl.archive_entry_free)
#define archive_entry_gid (archive_dl.archive_entry_gid)
#define archive_entry_hardlink (archive_dl.archive_entry_hardlink)
#define archive_entry_new (archive_dl.archive_entry_new)
#define archive_entry_pathname (archive_dl.archive_entry_pathname)
#define archive_entry_perm (archive_dl.archive_entry_perm)
#define archive_entry_set_filetype (archive_dl.archive_entry_set_filetype)
#define archive_entry_set_gid (archive_dl.archive_entry_set_gid)
#define archive_entry_set_mtime (archive_dl.archive_entry_set_mtime)
#define archive_entry_set_pathname (archive_dl.archive_entry_set_pathname)
#define archive_entry_set_perm (archive_dl.archive_entry_set_perm)
#define archive_entry_set_size (archive_dl.archive_entry_set_size)
#define archive_entry_set_uid (archive_dl.archive_entry_set_uid)
#define archive_entry_size (archive_dl.archive_entry_size)
#define archive_entry_size_is_set (archive_dl.archive_entry_size_is_set)
#define archive_entry_sparse_count (archive_dl.archive_entry_sparse_count)
#define archive_entry_symlink (archive_dl.archive_entry_symlink)
#define archive_entry_uid (archive_dl.archive_entry_uid)
#define archive_error_string (archive_dl.archive_error_string)
#define archive_read_data (archive_dl.archive_read_data)
#define archive_read_data_block (archive_dl.archive_read_data_block)
#define archive_read_free (archive_dl.archive_read_free)
#define archive_read_new (archive_dl.archive_read_new)
#define archive_read_next_header (archive_dl.archive_read_next_header)
#define archive_read_open (archive_dl.archive_read_open)
#define archive_read_open_memory (archive_dl.archive_read_open_memory)
#define archive_read_support_filter_gzip                                       \
	(archive_dl.archive_read_support_filter_gzip)
#define archive_read_support_filter_zstd                                       \
	(archive_dl.archive_read_support_filter_zstd)
#define archive_read_support_format_gnutar                                     \
	(archive_dl.archive_read_support_format_gnutar)
#define archive_read_support_format_tar                                        \
	(archive_dl.archive_read_support_format_tar)
#define archive_set_error (archive_dl.archive_set_error)
#define archive_write_add_filter_none (archive_dl.archive_write_add_filter_none)
#define archive_write_close (archive_dl.archive_write_close)
#define archive_write_data (archive_dl.archive_write_data)
#define archive_write_free (archive_dl.archive_write_free)
#define archive_write_header (archive_dl.archive_write_header)
#define archive_write_new (archive_dl.archive_write_new)
#define archive_write_open (archive_dl.archive_write_open)
#define archive_write_set_format_ustar                                         \
	(archive_dl.archive_write_set_format_ustar)
#endif

#endif
