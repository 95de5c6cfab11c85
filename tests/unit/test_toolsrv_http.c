/* The real toolsrv binary over real HTTP, with a fake policyd: this test
 * plays the supervisor (it binds the 127.0.0.1 listener and writes the
 * token pipe) and policyd (an nng rep server on <tmp>/policyd.sock that
 * answers canned ToolResponses chosen by the request's kind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"

#define TOKEN "test-token-0123456789abcdef"
#define AUTH "Authorization: Bearer " TOKEN "\r\n"
#define NSERVERS 4

static char tmpdir[] = "/tmp/toolsrv-test-XXXXXX";
static nng_socket rep;
static pthread_t servers[NSERVERS];
static int rep_open;
static pid_t toolsrv_pid = -1;
static int port;
static int calls; /* answered by the fake policyd */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- fake policyd ------------------------------------------------------ */

/* The fake's answer to one call into r (audit points at its storage):
 * 0, or 1 for "answer the whole request with Error", 2 for "never". */
static int answer_one(const Autonomy__ToolRequest *req,
                      Autonomy__ToolResponse *r, char *audit, size_t alen)
{
	static char *pols[] = {"demo-deny"};
	int n;

	pthread_mutex_lock(&lock);
	n = ++calls;
	pthread_mutex_unlock(&lock);
	autonomy__tool_response__init(r);
	snprintf(audit, alen, "00000000-0000-4000-8000-%012d", n);
	r->audit_id = audit;
	r->kind = req->kind;
	r->policy_ref = "test@1";
	if (strcmp(req->kind, "tool.echo") == 0) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_ALLOW;
		r->output_json = req->params_json;
	} else if (strcmp(req->kind, "tool.denied") == 0) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_DENY;
		r->layer = "policy";
		r->reason = "not on the list";
		r->n_policies = 1;
		r->policies = pols;
	} else if (strcmp(req->kind, "tool.bad") == 0) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_BAD_PARAMS;
		r->error = "params.x: missing";
	} else if (strcmp(req->kind, "tool.unavail") == 0) {
		r->outcome = AUTONOMY__OUTCOME__OUTCOME_UNAVAILABLE;
		r->audit_id = "";
		r->error = "walwriter did not ack";
	} else if (strcmp(req->kind, "tool.error") == 0) {
		return 1;
	} else {
		return 2; /* tool.hang and the rest: never answered */
	}
	return 0;
}

/* toolsrv sends ToolBatch requests (one call or several). */
static void answer(nng_ctx ctx, const Autonomy__ToolBatch *b)
{
	Envelope env = AUTONOMY__ENVELOPE__INIT;
	Autonomy__ToolBatchReply br = AUTONOMY__TOOL_BATCH_REPLY__INIT;
	Autonomy__ToolResponse r[ENV_MAX_TOOL_BATCH], *rp[ENV_MAX_TOOL_BATCH];
	char audit[ENV_MAX_TOOL_BATCH][64];
	int worst = 0;

	for (size_t i = 0; i < b->n_calls; i++) {
		int rc = answer_one(b->calls[i], &r[i], audit[i], 64);
		if (rc > worst)
			worst = rc;
		rp[i] = &r[i];
	}
	if (worst == 2)
		return;
	if (worst == 1) {
		ipc_reply_error(ctx, "malformed request");
		return;
	}
	br.n_responses = b->n_calls;
	br.responses = rp;
	env.body_case = AUTONOMY__ENVELOPE__BODY_TOOL_BATCH_REPLY;
	env.tool_batch_reply = &br;
	ipc_reply(ctx, &env);
}

static void *policyd_serve(void *arg)
{
	nng_ctx ctx;
	char err[256];

	(void)arg;
	if (nng_ctx_open(&ctx, rep) != 0)
		return NULL;
	for (;;) {
		Envelope *env;
		int pid, closed;
		if (ipc_recv(ctx, &env, &pid, &closed, err, sizeof(err)) < 0) {
			if (closed)
				break;
			continue;
		}
		if (env->body_case == AUTONOMY__ENVELOPE__BODY_TOOL_BATCH)
			answer(ctx, env->tool_batch);
		envelope_free(env);
	}
	return NULL;
}

static void policyd_stop(void)
{
	if (!rep_open)
		return;
	rep_open = 0;
	nng_close(rep);
	for (int i = 0; i < NSERVERS; i++)
		pthread_join(servers[i], NULL);
}

/* ---- a tiny HTTP/1.1 client ------------------------------------------- */

struct resp {
	int status;
	char headers[4096];
	char *body;
	size_t body_len;
	int closed; /* the server closed the connection afterwards */
};

static int dial(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the server may close early (413) */
		p += n;
		len -= (size_t)n;
	}
}

/* Value of header name in r (case-insensitive), or NULL. */
static const char *header(struct resp *r, const char *name, char *out,
                          size_t outlen)
{
	size_t nl = strlen(name);

	for (char *line = strstr(r->headers, "\r\n"); line != NULL;
	     line = strstr(line + 2, "\r\n")) {
		char *l = line + 2, *end;
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			l += nl + 1;
			while (*l == ' ')
				l++;
			end = strstr(l, "\r\n");
			snprintf(out, outlen, "%.*s",
			         (int)(end ? end - l : (long)strlen(l)), l);
			return out;
		}
	}
	return NULL;
}

static void assert_toolsrv_alive(void)
{
	int st = 0;

	if (waitpid(toolsrv_pid, &st, WNOHANG) != 0) {
		toolsrv_pid = -1;
		fail_msg("toolsrv is gone: %s %d",
		         WIFSIGNALED(st) ? "signal" : "exit",
		         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
}

/* Reads one response from fd. */
static void read_resp(int fd, struct resp *r)
{
	char buf[8192];
	size_t have = 0, need;
	char *eoh = NULL, cl[32];
	ssize_t n;

	memset(r, 0, sizeof(*r));
	while (eoh == NULL) {
		n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0) {
			usleep(300 * 1000); /* let a dying toolsrv be reaped */
			assert_toolsrv_alive();
			fail_msg("connection ended before the headers");
		}
		have += (size_t)n;
		buf[have] = '\0';
		eoh = strstr(buf, "\r\n\r\n");
	}
	snprintf(r->headers, sizeof(r->headers), "%.*s", (int)(eoh - buf + 2),
	         buf);
	assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &r->status), 1);
	assert_non_null(header(r, "Content-Length", cl, sizeof(cl)));
	need = (size_t)atol(cl);
	r->body = calloc(1, need + 1);
	r->body_len = have - (size_t)(eoh + 4 - buf);
	assert_true(r->body_len <= need);
	memcpy(r->body, eoh + 4, r->body_len);
	while (r->body_len < need) {
		n = recv(fd, r->body + r->body_len, need - r->body_len, 0);
		if (n <= 0)
			fail_msg("connection ended inside the body");
		r->body_len += (size_t)n;
	}
	if (header(r, "Connection", cl, sizeof(cl)) &&
	    strcasecmp(cl, "close") == 0)
		r->closed = 1;
}

static void request_on(int fd, const char *method, const char *path,
                       const char *extra_headers, const char *body,
                       struct resp *r)
{
	char head[2048], cl[64] = "";
	size_t blen = body ? strlen(body) : 0;

	/* like real clients: no Content-Length on a request without body */
	if (body != NULL)
		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", blen);
	snprintf(head, sizeof(head),
	         "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s\r\n", method, path,
	         extra_headers ? extra_headers : "", cl);
	send_all(fd, head, strlen(head));
	send_all(fd, body, blen);
	read_resp(fd, r);
}

static void request_once(const char *method, const char *path,
                         const char *extra_headers, const char *body,
                         struct resp *r)
{
	int fd = dial();

	request_on(fd, method, path, extra_headers, body, r);
	close(fd);
}

static json_t *json_of(struct resp *r)
{
	char ct[128];
	json_t *j;

	assert_non_null(header(r, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "application/json");
	j = json_loadb(r->body, r->body_len, 0, NULL);
	if (j == NULL)
		fail_msg("body is not JSON: %s", r->body);
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("no string \"%s\"", key);
	return json_string_value(v);
}

/* A decision: the header equals the body's audit id. */
static void assert_decision(struct resp *r, int status, const char *decision)
{
	char hdr[128];
	json_t *j;

	assert_int_equal(r->status, status);
	j = json_of(r);
	assert_string_equal(jstr(j, "decision"), decision);
	assert_non_null(header(r, "X-Autonomy-Audit-Id", hdr, sizeof(hdr)));
	assert_string_equal(hdr, jstr(j, "audit_id"));
	assert_true(strlen(hdr) > 0);
	json_decref(j);
}

/* An error: {"error": ...} and no audit id. */
static void assert_error(struct resp *r, int status)
{
	char hdr[128];
	json_t *j;

	assert_int_equal(r->status, status);
	j = json_of(r);
	assert_true(json_is_string(json_object_get(j, "error")));
	assert_null(json_object_get(j, "decision"));
	assert_null(header(r, "X-Autonomy-Audit-Id", hdr, sizeof(hdr)));
	json_decref(j);
}

static void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- set-up: the supervisor's part ------------------------------------ */

static int start_all(void **state)
{
	char url[256];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int lfd, tok[2], ready[2];
	const char *bin = getenv("TOOLSRV");
	struct pollfd pfd;
	char b;

	(void)state;
	if (bin == NULL) {
		fprintf(stderr, "TOOLSRV not set\n");
		return -1;
	}
	if (mkdtemp(tmpdir) == NULL || ipc_make_dirs(tmpdir) < 0)
		return -1;
	if (ipc_url(url, sizeof(url), tmpdir, IPC_POLICYD) < 0 ||
	    ipc_listen_rep(&rep, url) < 0)
		return -1;
	rep_open = 1;
	for (int i = 0; i < NSERVERS; i++)
		pthread_create(&servers[i], NULL, policyd_serve, NULL);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 128) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	port = ntohs(sa.sin_port);
	if (pipe(tok) < 0 || pipe(ready) < 0)
		return -1;
	if (write(tok[1], TOKEN, strlen(TOKEN)) != (ssize_t)strlen(TOKEN))
		return -1;
	close(tok[1]);

	toolsrv_pid = fork();
	if (toolsrv_pid == 0) {
		char l[16], t[16], n[16], path[512];
		int logfd;
		close(ready[0]);
		snprintf(l, sizeof(l), "%d", lfd);
		snprintf(t, sizeof(t), "%d", tok[0]);
		snprintf(n, sizeof(n), "%d", ready[1]);
		/* stderr is a regular file: toolsrv runs with RLIMIT_FSIZE 0
		 * and must survive logging there (SIGXFSZ). */
		snprintf(path, sizeof(path), "%s/toolsrv.log", tmpdir);
		if ((logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >=
		    0)
			dup2(logfd, 2);
		setenv("AUTONOMY_TOOLSRV_TIMEOUT_MS", "1500", 1);
		execl(bin, "toolsrv", "--rundir", tmpdir, "--listen-fd", l,
		      "--token-fd", t, "--ready-fd", n, (char *)NULL);
		_exit(127);
	}
	close(lfd);
	close(tok[0]);
	close(ready[1]);
	pfd.fd = ready[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(ready[0], &b, 1) != 1) {
		fprintf(stderr, "toolsrv did not report ready\n");
		return -1;
	}
	close(ready[0]);
	return 0;
}

static int stop_all(void **state)
{
	int st = 0;
	char path[512];

	(void)state;
	if (toolsrv_pid > 0) {
		kill(toolsrv_pid, SIGTERM);
		waitpid(toolsrv_pid, &st, 0);
	}
	policyd_stop();
	snprintf(path, sizeof(path), "%s/%s", tmpdir, IPC_POLICYD);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, IPC_DIR_POLICYD);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, IPC_DIR_WALWRITER);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, IPC_DIR_SPAWNER);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/toolsrv.log", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	/* a clean exit on SIGTERM, not a crash or a seccomp kill */
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* ---- tests ------------------------------------------------------------- */

static void test_confined(void **state)
{
	char path[64], line[256];
	int seccomp = -1, nnp = -1, filters = -1;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)toolsrv_pid);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Seccomp: %d", &seccomp);
		sscanf(line, "NoNewPrivs: %d", &nnp);
		sscanf(line, "Seccomp_filters: %d", &filters);
	}
	fclose(f);
	assert_int_equal(seccomp, 2);
	assert_int_equal(nnp, 1);
	/* the allow-list and the no-new-sockets filter (sandbox.c) */
	assert_int_equal(filters, 2);
}

static void test_health(void **state)
{
	struct resp r;
	json_t *j;

	(void)state;
	request_once("GET", "/v1/health", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	j = json_of(&r);
	assert_string_equal(jstr(j, "status"), "ok");
	json_decref(j);
	resp_free(&r);
}

static void test_allow(void **state)
{
	struct resp r;
	json_t *j, *out;

	(void)state;
	request_once("POST", "/v1/tool", AUTH,
	             "{\"kind\":\"tool.echo\",\"params\":{\"msg\":\"hi\"}}",
	             &r);
	assert_decision(&r, 200, "allow");
	j = json_of(&r);
	assert_string_equal(jstr(j, "kind"), "tool.echo");
	assert_string_equal(jstr(j, "policy_ref"), "test@1");
	out = json_object_get(j, "output");
	assert_true(json_is_object(out));
	assert_string_equal(jstr(out, "msg"), "hi");
	json_decref(j);
	resp_free(&r);
}

static void test_deny_and_bad_params(void **state)
{
	struct resp r;
	json_t *j;

	(void)state;
	request_once("POST", "/v1/tool", AUTH, "{\"kind\":\"tool.denied\"}",
	             &r);
	assert_decision(&r, 403, "deny");
	j = json_of(&r);
	assert_string_equal(jstr(j, "layer"), "policy");
	assert_string_equal(jstr(j, "reason"), "not on the list");
	assert_int_equal(json_array_size(json_object_get(j, "policies")), 1);
	json_decref(j);
	resp_free(&r);

	request_once("POST", "/v1/tool", AUTH, "{\"kind\":\"tool.bad\"}", &r);
	assert_decision(&r, 400, "allow");
	j = json_of(&r);
	assert_string_equal(jstr(j, "error"), "params.x: missing");
	json_decref(j);
	resp_free(&r);
}

static void test_auth_routes_methods(void **state)
{
	struct resp r;
	char allow[64], www[64];
	const char *body = "{\"kind\":\"tool.echo\"}";

	(void)state;
	request_once("POST", "/v1/tool", NULL, body, &r);
	assert_error(&r, 401);
	assert_non_null(header(&r, "WWW-Authenticate", www, sizeof(www)));
	resp_free(&r);
	request_once("POST", "/v1/tool", "Authorization: Bearer nope\r\n", body,
	             &r);
	assert_error(&r, 401);
	resp_free(&r);
	request_once("POST", "/v1/other", AUTH, body, &r);
	assert_error(&r, 404);
	resp_free(&r);
	request_once("GET", "/v1/tool", AUTH, NULL, &r);
	assert_error(&r, 405);
	assert_non_null(header(&r, "Allow", allow, sizeof(allow)));
	assert_string_equal(allow, "POST");
	resp_free(&r);
	request_once("POST", "/v1/tool", AUTH, "{\"kind\":\"tool.echo\",}", &r);
	assert_error(&r, 400);
	resp_free(&r);
	request_once("POST", "/v1/tool", AUTH,
	             "{\"kind\":\"tool.echo\",\"x\":1}", &r);
	assert_error(&r, 400);
	assert_non_null(strstr(r.body, "unknown field"));
	resp_free(&r);
}

/* A declared 2 MiB body is refused from the headers: the answer arrives
 * although we never send a byte of it. */
static void test_too_large(void **state)
{
	const char *head = "POST /v1/tool HTTP/1.1\r\nHost: x\r\n" AUTH
	                   "Content-Length: 2097152\r\n\r\n";
	const char *cont = "POST /v1/tool HTTP/1.1\r\nHost: x\r\n" AUTH
	                   "Expect: 100-continue\r\n"
	                   "Content-Length: 2097152\r\n\r\n";
	static char body[2097152];
	struct resp r;
	int fd;

	(void)state;
	/* A client that sends its whole body before reading gets the 413
	 * (the body is read and dropped, not buffered), and the connection
	 * still serves the next request. */
	memset(body, ' ', sizeof(body));
	fd = dial();
	send_all(fd, head, strlen(head));
	send_all(fd, body, sizeof(body));
	read_resp(fd, &r);
	assert_error(&r, 413);
	resp_free(&r);
	request_on(fd, "GET", "/v1/health", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	close(fd);

	/* One that waits for "100 Continue" gets the 413 at once. */
	fd = dial();
	send_all(fd, cont, strlen(cont));
	read_resp(fd, &r);
	assert_error(&r, 413);
	resp_free(&r);
	close(fd);
}

/* The same without a declared length: chunks beyond 1 MiB get a 413. */
static void test_too_large_chunked(void **state)
{
	const char *head = "POST /v1/tool HTTP/1.1\r\nHost: x\r\n" AUTH
	                   "Transfer-Encoding: chunked\r\n\r\n";
	static char chunk[65536 + 32];
	struct resp r;
	int fd, n;

	(void)state;
	fd = dial();
	send_all(fd, head, strlen(head));
	n = sprintf(chunk, "10000\r\n");
	memset(chunk + n, ' ', 65536);
	memcpy(chunk + n + 65536, "\r\n", 2);
	/* 17 x 64 KiB > 1 MiB; the server may stop reading early, which
	 * send_all tolerates. */
	for (int i = 0; i < 17; i++)
		send_all(fd, chunk, (size_t)n + 65536 + 2);
	send_all(fd, "0\r\n\r\n", 5);
	read_resp(fd, &r);
	assert_error(&r, 413);
	resp_free(&r);
	close(fd);
	assert_toolsrv_alive();
}

static void test_keepalive(void **state)
{
	struct resp r;
	char first[128], hdr[128];
	int fd;

	(void)state;
	fd = dial();
	request_on(fd, "POST", "/v1/tool", AUTH,
	           "{\"kind\":\"tool.echo\",\"params\":{\"i\":1}}", &r);
	assert_decision(&r, 200, "allow");
	assert_false(r.closed);
	header(&r, "X-Autonomy-Audit-Id", first, sizeof(first));
	resp_free(&r);
	request_on(fd, "POST", "/v1/tool", AUTH, "{\"kind\":\"tool.denied\"}",
	           &r);
	assert_decision(&r, 403, "deny");
	header(&r, "X-Autonomy-Audit-Id", hdr, sizeof(hdr));
	assert_string_not_equal(hdr, first); /* one id per call */
	resp_free(&r);
	request_on(fd, "POST", "/v1/tool", AUTH, "not json", &r);
	assert_error(&r, 400);
	assert_false(r.closed);
	resp_free(&r);
	request_on(fd, "GET", "/v1/health", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_false(r.closed);
	resp_free(&r);
	/* a refusal without a body keeps the connection too */
	request_on(fd, "GET", "/v1/tool", AUTH, NULL, &r);
	assert_error(&r, 405);
	assert_false(r.closed);
	resp_free(&r);
	for (int i = 0; i < 20; i++) {
		request_on(fd, "POST", "/v1/tool", AUTH,
		           "{\"kind\":\"tool.echo\"}", &r);
		assert_decision(&r, 200, "allow");
		resp_free(&r);
	}
	close(fd);
}

static void test_unavailable(void **state)
{
	struct resp r;
	struct timespec t0, t1;

	(void)state;
	request_once("POST", "/v1/tool", AUTH, "{\"kind\":\"tool.unavail\"}",
	             &r);
	assert_error(&r, 503);
	resp_free(&r);
	request_once("POST", "/v1/tool", AUTH, "{\"kind\":\"tool.error\"}", &r);
	assert_error(&r, 503);
	resp_free(&r);
#ifdef AUTONOMY_TEST_HOOKS
	/* policyd never answers: the call times out (1.5 s in this test;
	 * only test builds can shorten toolsrv's 10 s timeout) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	request_once("POST", "/v1/tool", AUTH, "{\"kind\":\"tool.hang\"}", &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_error(&r, 503);
	assert_true(t1.tv_sec - t0.tv_sec < 8);
	resp_free(&r);
#else
	(void)t0;
	(void)t1;
#endif
	assert_toolsrv_alive();
}

/* Last: policyd goes away. Calls fail closed with 503, never 200, and
 * toolsrv itself stays up (its redial is refused by its own filter). */
static void test_policyd_gone(void **state)
{
	struct resp r;

	(void)state;
	policyd_stop();
	for (int i = 0; i < 2; i++) {
		request_once("POST", "/v1/tool", AUTH,
		             "{\"kind\":\"tool.echo\"}", &r);
		assert_error(&r, 503);
		resp_free(&r);
	}
	request_once("GET", "/v1/health", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_toolsrv_alive();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_confined),
	    cmocka_unit_test(test_health),
	    cmocka_unit_test(test_allow),
	    cmocka_unit_test(test_deny_and_bad_params),
	    cmocka_unit_test(test_auth_routes_methods),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_too_large_chunked),
	    cmocka_unit_test(test_keepalive),
	    cmocka_unit_test(test_unavailable),
	    cmocka_unit_test(test_policyd_gone),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start_all, stop_all);
}
