#include "resolve.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

struct resolver {
	struct hosts hosts;
	int nstates;
	struct __res_state *states;
	int dns_ok;
};

static int addr_from_text(const char *t, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, t, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, t, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

int hosts_parse(const char *text, size_t len, struct hosts *h)
{
	size_t cap = 0;

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < len;) {
		size_t eol = i;
		char line[1024], *tok, *save = NULL;
		struct sockaddr_storage ss;

		while (eol < len && text[eol] != '\n')
			eol++;
		if (eol - i < sizeof(line)) {
			memcpy(line, text + i, eol - i);
			line[eol - i] = '\0';
		} else {
			line[0] = '\0'; /* an absurd line is skipped */
		}
		i = eol + 1;
		*strchrnul(line, '#') = '\0';
		if ((tok = strtok_r(line, " \t\r", &save)) == NULL ||
		    addr_from_text(tok, &ss) < 0)
			continue;
		while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL) {
			struct hosts_entry *e;
			size_t n = strlen(tok);
			if (n > 253 || h->n >= HOSTS_MAX_ENTRIES)
				continue;
			if (h->n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				e = realloc(h->e, nc * sizeof(*e));
				if (e == NULL)
					return -1;
				h->e = e;
				cap = nc;
			}
			e = &h->e[h->n++];
			for (size_t k = 0; k <= n; k++)
				e->name[k] = (tok[k] >= 'A' && tok[k] <= 'Z')
				                 ? (char)(tok[k] + 32)
				                 : tok[k];
			if (n > 1 && e->name[n - 1] == '.')
				e->name[n - 1] = '\0';
			e->addr = ss;
		}
	}
	return 0;
}

void hosts_free(struct hosts *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

size_t hosts_lookup(const struct hosts *h, const char *name,
                    struct sockaddr_storage *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n && n < max; i++)
		if (strcmp(h->e[i].name, name) == 0)
			out[n++] = h->e[i].addr;
	return n;
}

static char *read_small_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	*len = 0;
	if (fd < 0)
		return NULL;
	if ((buf = malloc(HOSTS_MAX_BYTES)) == NULL) {
		close(fd);
		return NULL;
	}
	while (*len < HOSTS_MAX_BYTES &&
	       (n = read(fd, buf + *len, HOSTS_MAX_BYTES - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	return buf;
}

struct resolver *resolver_open(int nworkers)
{
	struct resolver *r = calloc(1, sizeof(*r));
	size_t len;
	char *text;

	if (r == NULL)
		return NULL;
	if ((text = read_small_file("/etc/hosts", &len)) != NULL) {
		if (hosts_parse(text, len, &r->hosts) < 0)
			fatalx("/etc/hosts: out of memory");
		free(text);
	}
	r->nstates = nworkers;
	r->states = calloc((size_t)nworkers, sizeof(*r->states));
	if (r->states == NULL)
		fatalx("resolver: out of memory");
	r->dns_ok = 1;
	for (int i = 0; i < nworkers; i++)
		if (res_ninit(&r->states[i]) != 0)
			r->dns_ok = 0;
	if (!r->dns_ok)
		log_warnx("res_ninit failed: names not in /etc/hosts will "
		          "not resolve");
	log_debug("resolver: %zu /etc/hosts entries, %d name servers",
	          r->hosts.n, r->dns_ok ? r->states[0].nscount : 0);
	return r;
}

/* A and AAAA answers of one query appended to out. */
static size_t dns_query(res_state st, const char *name, int type,
                        struct sockaddr_storage *out, size_t n, size_t max)
{
	unsigned char ans[4096];
	int len = res_nquery(st, name, ns_c_in, type, ans, sizeof(ans));
	ns_msg msg;
	ns_rr rr;

	if (len < 0 || ns_initparse(ans, len, &msg) < 0)
		return n;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an) && n < max; i++) {
		struct sockaddr_storage *ss = &out[n];
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			break;
		memset(ss, 0, sizeof(*ss));
		if (ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, ns_rr_rdata(rr), 4);
			n++;
		} else if (ns_rr_type(rr) == ns_t_aaaa &&
		           ns_rr_rdlen(rr) == 16) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, ns_rr_rdata(rr), 16);
			n++;
		}
	}
	return n;
}

int resolver_lookup(struct resolver *r, int w, const char *name,
                    struct sockaddr_storage *out, size_t max, char *err,
                    size_t errlen)
{
	size_t n = hosts_lookup(&r->hosts, name, out, max);

	if (n > 0)
		return (int)n;
	if (!r->dns_ok || w < 0 || w >= r->nstates) {
		snprintf(err, errlen, "cannot resolve %s (no name server)",
		         name);
		return -1;
	}
	n = dns_query(&r->states[w], name, ns_t_a, out, 0, max);
	n = dns_query(&r->states[w], name, ns_t_aaaa, out, n, max);
	if (n == 0) {
		snprintf(err, errlen, "cannot resolve %s", name);
		return -1;
	}
	return (int)n;
}
