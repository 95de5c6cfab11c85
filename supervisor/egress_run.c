#include "egress_run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autonomy.pb-c.h"
#include "config_fd.h"
#include "log.h"
#include "rules.h"

#define EGRESS_MAX_BODY_DEFAULT 32768

static const char *const proxy_vars[] = {
    "HTTP_PROXY",  "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
    "https_proxy", "all_proxy",   "NO_PROXY",  "no_proxy"};

/* The listener on 127.0.0.1:0 inside the workload's namespace: we enter
 * it for the one socket() and come back to ours, taken beforehand from a
 * socket of our own (SIOCGSKNS, no /proc path). Not coming back would
 * leave every helper without the host's network: fatal. */
static int listener_in(int ns_fd, char *err, size_t errlen)
{
	int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int home = probe < 0 ? -1 : ioctl(probe, SIOCGSKNS), fd, e;

	if (probe >= 0)
		close(probe);
	if (home < 0)
		return errorf(err, errlen,
		              "--allow-host: cannot take our own network "
		              "namespace (SIOCGSKNS): %s",
		              strerror(errno));
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		e = errno;
		close(home);
		return errorf(err, errlen,
		              "--allow-host: cannot enter the workload's "
		              "network namespace: %s",
		              strerror(e));
	}
	fd = netns_loopback_listener();
	e = errno;
	if (setns(home, CLONE_NEWNET) < 0)
		fatal("--allow-host: cannot return to our network namespace");
	close(home);
	if (fd < 0)
		return errorf(err, errlen,
		              "--allow-host: listen on 127.0.0.1:0 in the "
		              "workload's namespace: %s",
		              strerror(e));
	return fd;
}

static int open_log(const char *path, char *err, size_t errlen)
{
	int fd = open(
	    path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	struct stat st;

	if (fd < 0)
		return errorf(err, errlen, "--egress-audit-log %s: %s", path,
		              strerror(errno));
	if (fstat(fd, &st) < 0 ||
	    !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) ||
	      S_ISCHR(st.st_mode))) {
		close(fd);
		return errorf(err, errlen,
		              "--egress-audit-log %s: not a file, FIFO or "
		              "character device",
		              path);
	}
	return fd;
}

static int make_config(const struct run_opts *o, struct egress_conf *ec,
                       char *err, size_t errlen)
{
	struct rules *rs = calloc(1, sizeof(*rs));
	char msg[320], line[64];
	int k;

	if (rs == NULL)
		return errorf(err, errlen, "out of memory");
	for (int i = 0; i < o->nallow_host; i++)
		if (rules_add(rs, o->allow_host[i], msg, sizeof(msg)) < 0) {
			free(rs);
			return errorf(err, errlen,
			              "--allow-host %s (exact host, *.domain "
			              "or a.b.c.d, optional :PORT)",
			              msg);
		}
	ec->config_fd = config_fd_open("autonomy-egress");
	if (ec->config_fd < 0) {
		free(rs);
		return errorf(err, errlen, "memfd_create: %s", strerror(errno));
	}
	if (config_fd_write_rules(ec->config_fd, "allow-host", rs, ec->joined,
	                          sizeof(ec->joined)) < 0) {
		free(rs);
		return errorf(err, errlen, "memfd: %s", strerror(errno));
	}
	free(rs);
	k = snprintf(line, sizeof(line), "max-body-bytes %ld\n", ec->max_body);
	if (config_fd_write(ec->config_fd, line, (size_t)k) < 0 ||
	    config_fd_seal(ec->config_fd) < 0)
		return errorf(err, errlen, "memfd: %s", strerror(errno));
	return 0;
}

int egress_prepare(const struct run_opts *o, const struct netns *n,
                   struct egress_conf *ec, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);

	memset(ec, 0, sizeof(*ec));
	ec->listen_fd = ec->config_fd = ec->log_fd = -1;
	ec->max_body = o->egress_max_body >= 0 ? o->egress_max_body
	                                       : EGRESS_MAX_BODY_DEFAULT;
	if (o->nallow_host == 0)
		return 0;
	if (n->mode != AUTONOMY__NET_MODE__NET_NONE || n->ns_fd < 0)
		return errorf(err, errlen,
		              "--allow-host: the egress proxy needs the "
		              "workload's own network namespace (--net none), "
		              "and there is none%s%s%s; without it the proxy "
		              "would not be the only way out, so nothing runs",
		              n->refused[0] ? " (" : "", n->refused,
		              n->refused[0] ? ")" : "");
	if (make_config(o, ec, err, errlen) < 0)
		goto fail;
	if ((ec->listen_fd = listener_in(n->ns_fd, err, errlen)) < 0)
		goto fail;
	if (getsockname(ec->listen_fd, (struct sockaddr *)&sa, &slen) < 0) {
		errorf(err, errlen, "--allow-host: getsockname: %s",
		       strerror(errno));
		goto fail;
	}
	ec->port = ntohs(sa.sin_port);
	snprintf(ec->url, sizeof(ec->url), "http://127.0.0.1:%u", ec->port);
	/* last: the only side effect outside this process */
	if (o->egress_audit_log != NULL &&
	    (ec->log_fd = open_log(o->egress_audit_log, err, errlen)) < 0)
		goto fail;
	return 0;
fail:
	egress_conf_close(ec);
	return -1;
}

int egress_env_is_ours(const char *e)
{
	for (size_t i = 0; i < EGRESS_ENV_N; i++) {
		size_t n = strlen(proxy_vars[i]);
		if (strncmp(e, proxy_vars[i], n) == 0 && e[n] == '=')
			return 1;
	}
	return 0;
}

int egress_env(const struct egress_conf *ec, char **env, size_t *k)
{
	for (size_t i = 0; i < EGRESS_ENV_N; i++) {
		/* NO_PROXY: the workload's own loopback, where the runtime's
		 * URL answers, is not proxied */
		const char *v = strcasecmp(proxy_vars[i], "no_proxy") == 0
		                    ? "127.0.0.1,localhost"
		                    : ec->url;
		if (asprintf(&env[*k], "%s=%s", proxy_vars[i], v) < 0)
			return -1;
		(*k)++;
	}
	return 0;
}

void egress_conf_close(struct egress_conf *ec)
{
	if (ec->listen_fd >= 0)
		close(ec->listen_fd);
	if (ec->config_fd >= 0)
		close(ec->config_fd);
	if (ec->log_fd >= 0)
		close(ec->log_fd);
	ec->listen_fd = ec->config_fd = ec->log_fd = -1;
}
