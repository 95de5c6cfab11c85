/* fetcher: tool.http_get's runtime layer and its only way out
 * (DESIGN.md §1, §2 step 5).
 *
 *   fetcher --rundir DIR --ready-fd N --client-pid P
 *           [--config-fd C] [--ca-fd A]
 *
 * C holds the run's allowed domains (one "allow-domain ENTRY" line each:
 * --allow-domain flags and the bundle's runtime.allowed_domains, merged
 * by the supervisor); A the --ca-file bytes (PEM). Both are read to the
 * end and closed before confinement, as are the system CA store (without
 * A), /etc/hosts and /etc/resolv.conf (resolve.h).
 *
 * Listens (rep) on DIR/fetcher.sock and serves HttpGetRequests from pid P
 * (policyd) only; dials (req) DIR/walwriter.sock. Each hop: parse the URL
 * again, the allowed domains, resolve, check every address, write
 * runtime.allow or runtime.deny under the call's audit id and wait for it
 * to be durable, and only then fetch, pinned to the checked address. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "confine.h"
#include "envelope.h"
#include "fetch.h"
#include "helper.h"
#include "ipc.h"
#include "log.h"
#include "proxy.h"
#include "resolve.h"
#include "rules.h"
#include "runtime_rec.h"
#include "sandbox.h"
#include "url.h"

/* Hops served at once: each worker blocks in its fetch. */
#define FETCHER_WORKERS 16
#define FETCHER_WAL_TIMEOUT_MS 5000
#define CONFIG_MAX (256 * 1024)
#define CA_MAX (4 * 1024 * 1024)

static struct rules rules;
static struct resolver *resolver;
static nng_socket rep, walsock;
static int client_pid = -1;

struct worker {
	int id;
	pthread_t thread;
	struct fetch_worker *fw;
	nng_ctx ctx, wal;
};

/* ---- one hop ----------------------------------------------------------- */

struct hop {
	const Autonomy__HttpGetRequest *req;
	struct url u;
	char port[8], hopno[8], address[INET6_ADDRSTRLEN];
	char reason[512];
	struct sockaddr_storage addr;
	const struct rule *rule;
};

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		          out, (socklen_t)len);
	else
		inet_ntop(AF_INET6,
		          &((const struct sockaddr_in6 *)ss)->sin6_addr, out,
		          (socklen_t)len);
}

/* The runtime layer: 1 allow (h->addr, h->rule set), 0 deny (h->reason). */
static int runtime_decide(struct worker *w, struct hop *h)
{
	struct sockaddr_storage addrs[RESOLVE_MAX_ADDRS];
	int n = 1;
	char err[256];

	if (rules.n == 0) {
		snprintf(h->reason, sizeof(h->reason), "%s",
		         RUNTIME_NO_DOMAINS_REASON);
		return 0;
	}
	h->rule = rules_match(&rules, h->u.host,
	                      h->u.host_kind != URL_HOST_NAME, h->u.port);
	if (h->rule == NULL) {
		snprintf(h->reason, sizeof(h->reason),
		         "%s port %u is not in the allowed domains", h->u.host,
		         h->u.port);
		return 0;
	}
	memset(addrs, 0, sizeof(addrs));
	if (h->u.host_kind == URL_HOST_IPV4) {
		addrs[0].ss_family = AF_INET;
		inet_pton(AF_INET, h->u.host,
		          &((struct sockaddr_in *)&addrs[0])->sin_addr);
	} else if (h->u.host_kind == URL_HOST_IPV6) {
		addrs[0].ss_family = AF_INET6;
		inet_pton(AF_INET6, h->u.host,
		          &((struct sockaddr_in6 *)&addrs[0])->sin6_addr);
	} else if ((n = resolver_lookup(resolver, w->id, h->u.host, addrs,
	                                RESOLVE_MAX_ADDRS, err, sizeof(err))) <
	           0) {
		snprintf(h->reason, sizeof(h->reason), "%s", err);
		return 0;
	}
	/* Every address the name has must pass, not just the one used: a
	 * name that also points inside is refused as a whole. */
	for (int i = 0; i < n; i++) {
		const char *why = rules_addr_refused(
		    &rules, h->rule, (struct sockaddr *)&addrs[i], h->u.port);
		if (why != NULL) {
			char a[INET6_ADDRSTRLEN];
			addr_text(&addrs[i], a, sizeof(a));
			snprintf(h->reason, sizeof(h->reason),
			         "%s resolves to %s, a %s address: refused "
			         "unless allowed explicitly (an exact "
			         "--allow-domain entry for the host or the "
			         "address, not a wildcard)",
			         h->u.host, a, why);
			return 0;
		}
	}
	h->addr = addrs[0];
	addr_text(&addrs[0], h->address, sizeof(h->address));
	return 1;
}

static void reply_env(struct worker *w, Envelope *env)
{
	if (ipc_reply(w->ctx, env) < 0)
		log_warnx("cannot send a reply");
}

static void reply_hop(struct worker *w, Autonomy__Outcome o, const char *reason,
                      const char *output, const char *location,
                      const char *error)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__HttpGetReply r = AUTONOMY__HTTP_GET_REPLY__INIT;

	r.outcome = o;
	r.reason = (char *)(reason ? reason : "");
	r.output_json = (char *)(output ? output : "");
	r.location = (char *)(location ? location : "");
	r.error = (char *)(error ? error : "");
	env.body_case = AUTONOMY__ENVELOPE__BODY_HTTP_GET_REPLY;
	env.http_get_reply = &r;
	reply_env(w, &env);
}

/* runtime.deny, durable, then the deny (or unavailable). */
static void deny(struct worker *w, struct hop *h, const char *url,
                 const char *hopno)
{
	struct runtime_rec r = {.kind = "runtime.deny"};
	char err[320];

	runtime_rec_add(&r, "layer", "allowed_domains");
	runtime_rec_add(&r, "reason", h->reason);
	runtime_rec_add(&r, "url", url);
	runtime_rec_add(&r, "hop", hopno);
	if (runtime_rec_write(w->wal, h->req->audit_id, "tool.http_get", &r,
	                      err, sizeof(err)) < 0) {
		log_warnx("call %s: runtime.deny not recorded: %s",
		          h->req->audit_id, err);
		reply_hop(w, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE, NULL, NULL,
		          NULL, "the runtime decision could not be recorded");
		return;
	}
	reply_hop(w, AUTONOMY__OUTCOME__OUTCOME_DENY, h->reason, NULL, NULL,
	          NULL);
}

/* The hop was fetched and answered with a redirect: the next hop is
 * policyd's to decide, unless it is one too many or not a URL we fetch
 * (then the runtime layer refuses it here, recorded as hop+1). */
static void redirect(struct worker *w, struct hop *h, struct fetch_out *o)
{
	struct url next;
	char err[URL_ERR_MAX], hopno[8];

	snprintf(hopno, sizeof(hopno), "%u", h->req->hop + 1);
	if (h->req->hop >= ENV_MAX_HTTP_HOPS) {
		snprintf(h->reason, sizeof(h->reason),
		         "more than %d redirects (status %ld to %.300s)",
		         ENV_MAX_HTTP_HOPS, o->status, o->location);
		deny(w, h, o->location, hopno);
		return;
	}
	if (url_parse(o->location, &next, err, sizeof(err)) < 0) {
		snprintf(h->reason, sizeof(h->reason),
		         "redirect (status %ld) to a URL that is refused: %s",
		         o->status, err);
		deny(w, h, o->location, hopno);
		return;
	}
	reply_hop(w, AUTONOMY__OUTCOME__OUTCOME_ALLOW, NULL, o->output_json,
	          next.canonical, NULL);
}

static void serve_hop(struct worker *w, const Autonomy__HttpGetRequest *req)
{
	struct hop *h = calloc(1, sizeof(*h));
	struct fetch_out *o = calloc(1, sizeof(*o));
	const char *names[ENV_MAX_ATTRS], *values[ENV_MAX_ATTRS];
	struct fetch_hop fh;
	struct runtime_rec r = {.kind = "runtime.allow"};
	char err[URL_ERR_MAX + 64];

	if (h == NULL || o == NULL) {
		reply_hop(w, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE, NULL, NULL,
		          NULL, "fetcher: out of memory");
		goto out;
	}
	h->req = req;
	/* policyd sends the canonical form it decided on; anything else
	 * means policyd and we would not fetch the same thing. */
	if (url_parse(req->url, &h->u, err, sizeof(err)) < 0 ||
	    strcmp(h->u.canonical, req->url) != 0) {
		log_warnx("refused a hop of %s: url not canonical",
		          req->audit_id);
		ipc_reply_error(w->ctx, "url: not a canonical http(s) URL");
		goto out;
	}
	if (req->n_headers > HTTP_HEADERS_MAX) {
		ipc_reply_error(w->ctx, "headers: too many");
		goto out;
	}
	for (size_t i = 0; i < req->n_headers; i++) {
		if (http_header_check(req->headers[i]->key,
		                      req->headers[i]->value, err,
		                      sizeof(err)) < 0) {
			ipc_reply_error(w->ctx, err);
			goto out;
		}
		names[i] = req->headers[i]->key;
		values[i] = req->headers[i]->value;
	}
	snprintf(h->port, sizeof(h->port), "%u", h->u.port);
	snprintf(h->hopno, sizeof(h->hopno), "%u", req->hop);

	if (!runtime_decide(w, h)) {
		deny(w, h, h->u.canonical, h->hopno);
		goto out;
	}
	runtime_rec_add(&r, "layer", "allowed_domains");
	runtime_rec_add(&r, "rule", h->rule->text);
	runtime_rec_add(&r, "url", h->u.canonical);
	runtime_rec_add(&r, "host", h->u.host);
	runtime_rec_add(&r, "port", h->port);
	runtime_rec_add(&r, "address", h->address);
	runtime_rec_add(&r, "hop", h->hopno);
	if (runtime_rec_write(w->wal, req->audit_id, "tool.http_get", &r, err,
	                      sizeof(err)) < 0) {
		/* no record, no fetch */
		log_warnx("call %s: runtime.allow not recorded: %s",
		          req->audit_id, err);
		reply_hop(w, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE, NULL, NULL,
		          NULL, "the runtime decision could not be recorded");
		goto out;
	}

	memset(&fh, 0, sizeof(fh));
	fh.u = &h->u;
	fh.hdr_names = names;
	fh.hdr_values = values;
	fh.nhdr = req->n_headers;
	fh.timeout_ms = req->timeout_ms;
	fh.max_bytes = req->max_bytes;
	fh.addr = h->addr;
	if (fetch_run(w->fw, &fh, o) < 0) {
		reply_hop(w, AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE, NULL, NULL,
		          NULL, "fetcher: out of memory");
		goto out;
	}
	log_debug("call %s hop %u: %s -> %ld", req->audit_id, req->hop,
	          h->u.canonical, o->status);
	if (o->location[0] != '\0')
		redirect(w, h, o);
	else
		reply_hop(w, AUTONOMY__OUTCOME__OUTCOME_ALLOW, NULL,
		          o->output_json, NULL, NULL);
out:
	if (o != NULL)
		free(o->output_json);
	free(o);
	free(h);
}

static void serve_request(void *arg, const Envelope *req)
{
	serve_hop(arg, req->http_get_request);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	helper_serve(w->ctx, client_pid, "the fetcher",
	             AUTONOMY__ENVELOPE__BODY_HTTP_GET_REQUEST,
	             "HttpGetRequest", serve_request, w);
	return NULL;
}

/* ---- start-up ---------------------------------------------------------- */

static char *read_fd(int fd, size_t max, size_t *len, const char *what)
{
	size_t cap = 4096;
	char *buf = malloc(cap + 1);
	ssize_t n;

	*len = 0;
	for (;;) {
		if (buf == NULL)
			fatalx("%s: out of memory", what);
		if (*len == cap) {
			if (cap >= max)
				fatalx("%s on fd %d: over %zu bytes", what, fd,
				       max);
			cap *= 2;
			buf = realloc(buf, cap + 1);
			continue;
		}
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("%s: fd %d", what, fd);
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	buf[*len] = '\0';
	return buf;
}

/* "allow-domain ENTRY" lines; anything else is a defect of the
 * supervisor's, and fatal: the fetcher never guesses its rules. */
static void load_config(int fd)
{
	size_t len;
	char *text = read_fd(fd, CONFIG_MAX, &len, "config"), *save = NULL;
	char err[320];

	if (strlen(text) != len)
		fatalx("config: a NUL byte");
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "allow-domain ", 13) != 0)
			fatalx("config: unknown line \"%.64s\"", line);
		if (rules_add(&rules, line + 13, err, sizeof(err)) < 0)
			fatalx("config: allow-domain %s", err);
	}
	free(text);
}

/* The TCP ports the fetcher may connect to, for Landlock: every allowed
 * domain's port (and with the egress proxy every allowed host's), and 53
 * when a name must be resolved (the resolver falls
 * back to TCP for a truncated answer). CONFINE_ANY_PORT when an entry
 * allows any port; none at all without allowed domains. */
static size_t connect_ports(unsigned *ports, size_t max, int proxy)
{
	const struct rules *set[2] = {&rules, proxy ? proxy_hosts() : NULL};
	size_t n = 0;
	int names = 0;

	for (size_t s = 0; s < 2 && set[s] != NULL; s++)
		for (size_t i = 0; i < set[s]->n; i++) {
			const struct rule *r = &set[s]->r[i];
			struct in_addr a;
			int dup = 0;

			if (r->port == 0)
				return CONFINE_ANY_PORT;
			names |=
			    r->wildcard || inet_pton(AF_INET, r->host, &a) != 1;
			for (size_t k = 0; k < n; k++)
				dup |= ports[k] == r->port;
			if (!dup && n < max)
				ports[n++] = r->port;
		}
	if (names && n < max)
		ports[n++] = 53;
	return n;
}

static noreturn void usage(void)
{
	fprintf(stderr, "usage: fetcher --rundir DIR --ready-fd N "
	                "--client-pid P [--config-fd C] [--ca-fd A]\n"
	                "               [--proxy-fd L --egress-config-fd E "
	                "[--egress-log-fd G]]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rundir", required_argument, NULL, 'r'},
	    {"ready-fd", required_argument, NULL, 'f'},
	    {"client-pid", required_argument, NULL, 'p'},
	    {"config-fd", required_argument, NULL, 'c'},
	    {"ca-fd", required_argument, NULL, 'a'},
	    /* the workload's egress proxy (--allow-host; proxy.h) */
	    {"proxy-fd", required_argument, NULL, 'L'},
	    {"egress-config-fd", required_argument, NULL, 'E'},
	    {"egress-log-fd", required_argument, NULL, 'G'},
	    {NULL, 0, NULL, 0},
	};
	static struct worker workers[FETCHER_WORKERS];
	static unsigned ports[RULES_MAX + 1];
	const char *rundir = NULL;
	int ready_fd = -1, config_fd = -1, ca_fd = -1, ch, rv, sig, abi;
	int proxy_fd = -1, egress_config_fd = -1, egress_log_fd = -1;
	char url[128], walurl[128], sockdir[128], err[256], *ca = NULL;
	size_t ca_len = 0, nports;
	sigset_t stop;

	helper_init("fetcher");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			rundir = optarg;
		else if (ch == 'f' && (ready_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'c' &&
		         (config_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'a' && (ca_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'p' && (client_pid = atoi(optarg)) > 0)
			continue;
		else if (ch == 'L' && (proxy_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'E' &&
		         (egress_config_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else if (ch == 'G' &&
		         (egress_log_fd = helper_parse_fd(optarg)) >= 0)
			continue;
		else
			usage();
	}
	if (optind != argc || rundir == NULL || ready_fd < 0 ||
	    client_pid <= 0 || (proxy_fd >= 0) != (egress_config_fd >= 0) ||
	    (egress_log_fd >= 0 && proxy_fd < 0))
		usage();
	attack_init(rundir);
	if (ipc_url(url, sizeof(url), rundir, IPC_FETCHER) < 0 ||
	    ipc_url(walurl, sizeof(walurl), rundir, IPC_WALWRITER) < 0 ||
	    (size_t)snprintf(sockdir, sizeof(sockdir), "%s/%s", rundir,
	                     IPC_DIR_FETCHER) >= sizeof(sockdir))
		fatalx("--rundir %s: path too long for a socket", rundir);

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
		fatalx("pthread_sigmask");

	/* Everything from files, now: afterwards we open none. */
	if (config_fd >= 0)
		load_config(config_fd);
	if (ca_fd >= 0)
		ca = read_fd(ca_fd, CA_MAX, &ca_len, "--ca-file");
	if (fetch_init(ca, ca_len, rules.n > 0, err, sizeof(err)) < 0)
		fatalx("%s", err);
	free(ca);
	if ((resolver = resolver_open(FETCHER_WORKERS)) == NULL)
		fatalx("resolver: out of memory");
	log_debug("%zu allowed domains", rules.n);
	if (proxy_fd >= 0)
		proxy_load(proxy_fd, egress_config_fd, egress_log_fd);

	/* Landlock before the first nng socket starts nng's threads: no
	 * file at all from here on, only our own socket to make; TCP
	 * connect only to the allowed domains' ports, never bind. */
	nports = connect_ports(ports, sizeof(ports) / sizeof(ports[0]),
	                       proxy_fd >= 0);
	if (confine_landlock_net(NULL, sockdir, ports, nports, &abi) < 0)
		fatalx("cannot confine the fetcher (Landlock)");
	if (abi >= 4 && nports == CONFINE_ANY_PORT)
		log_debug("landlock: an allowed domain has no port: TCP "
		          "connect is not limited by port");
	if (ipc_listen_rep(&rep, url) < 0)
		fatalx("cannot listen on %s", url);
	if (ipc_dial_req(&walsock, walurl, FETCHER_WAL_TIMEOUT_MS) < 0)
		fatalx("cannot dial %s", walurl);
	for (int i = 0; i < FETCHER_WORKERS; i++) {
		workers[i].id = i;
		if ((workers[i].fw = fetch_worker_new()) == NULL)
			fatalx("curl: cannot make a handle");
		if ((rv = nng_ctx_open(&workers[i].ctx, rep)) != 0 ||
		    (rv = nng_ctx_open(&workers[i].wal, walsock)) != 0)
			fatalx("nng ctx: %s", nng_strerror(rv));
	}

	if (proxy_fd >= 0)
		proxy_attach(walsock);

	if (fetcher_sandbox(rules.n > 0 || proxy_fd >= 0, egress_log_fd >= 0) <
	    0)
		fatalx("cannot confine the fetcher");
	/* Workers start after the filter: no request is read before. */
	for (int i = 0; i < FETCHER_WORKERS; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main,
		                   &workers[i]) != 0)
			fatalx("pthread_create");
	if (proxy_fd >= 0)
		proxy_start();
	/* Every thread we will have exists now. */
	if (confine_no_more_threads() < 0)
		fatalx("cannot confine the fetcher (NPROC)");
	helper_ready(ready_fd);
	log_debug("serving on %s for pid %d", url, client_pid);
	while (sigwait(&stop, &sig) != 0)
		;
	/* A hop in flight is abandoned: policyd, stopped before us, no
	 * longer waits for it. */
	_exit(0);
}
