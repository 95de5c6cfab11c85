/* The fetcher resolves host names itself, so that the address it checks
 * is the address it connects to (fetch.c pins the connection to it).
 * Everything it needs is read before confinement: /etc/hosts (a snapshot,
 * consulted first, as nsswitch's "files dns") and /etc/resolv.conf
 * (res_ninit, one resolver state per worker). Afterwards no file is
 * opened: a name not in the snapshot is asked of the name servers with
 * res_nquery (A and AAAA, no search list). */
#ifndef AUTONOMY_FETCHER_RESOLVE_H
#define AUTONOMY_FETCHER_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

#define RESOLVE_MAX_ADDRS 16
#define HOSTS_MAX_ENTRIES 4096
#define HOSTS_MAX_BYTES (1024 * 1024)

struct hosts_entry {
	char name[254];
	struct sockaddr_storage addr;
};

struct hosts {
	size_t n;
	struct hosts_entry *e;
};

/* Parses hosts(5) text (bounded: HOSTS_MAX_ENTRIES, names longer than
 * 253 skipped). Never fails on content; -1 only without memory. */
int hosts_parse(const char *text, size_t len, struct hosts *h);
void hosts_free(struct hosts *h);

/* Every address of name in h (n returned; 0: not there). */
size_t hosts_lookup(const struct hosts *h, const char *name,
                    struct sockaddr_storage *out, size_t max);

struct resolver;

/* Reads /etc/hosts and /etc/resolv.conf now; nworkers resolver states. */
struct resolver *resolver_open(int nworkers);

/* The addresses of name (a host name, not a literal), worker w's state.
 * Returns how many (>0), or -1 with why in err. */
int resolver_lookup(struct resolver *r, int w, const char *name,
                    struct sockaddr_storage *out, size_t max, char *err,
                    size_t errlen);

#endif
