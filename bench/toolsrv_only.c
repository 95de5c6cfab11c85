/* toolsrv_only: toolsrv with an instant fake policyd, to tell toolsrv's
 * own cost apart from the decision path (policyd + durable WAL append).
 * It plays the supervisor (binds 127.0.0.1:0, writes the token pipe,
 * starts TOOLSRV) and policyd (answers every call of a ToolBatch with an allow
 * whose output is the params), prints "url=URL token=TOKEN" and serves
 * until killed.
 *
 *   toolsrv_only PATH/TO/toolsrv
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"

#define TOKEN "bench-token"
#define WORKERS 64

static nng_socket rep;

static void *serve(void *arg)
{
	nng_ctx ctx;
	char err[256];

	(void)arg;
	if (nng_ctx_open(&ctx, rep) != 0)
		return NULL;
	for (;;) {
		Envelope *req, env = AUTONOMY__ENVELOPE__INIT;
		int pid, closed;
		if (ipc_recv(ctx, &req, &pid, &closed, err, sizeof(err)) < 0) {
			if (closed)
				return NULL;
			continue;
		}
		if (req->body_case != AUTONOMY__ENVELOPE__BODY_TOOL_BATCH) {
			ipc_reply_error(ctx, "not a tool batch");
			envelope_free(req);
			continue;
		}
		{
			const Autonomy__ToolBatch *b = req->tool_batch;
			Autonomy__ToolResponse r[ENV_MAX_TOOL_BATCH];
			Autonomy__ToolResponse *rp[ENV_MAX_TOOL_BATCH];
			Autonomy__ToolBatchReply br =
			    AUTONOMY__TOOL_BATCH_REPLY__INIT;
			for (size_t i = 0; i < b->n_calls; i++) {
				autonomy__tool_response__init(&r[i]);
				r[i].outcome = AUTONOMY__OUTCOME__OUTCOME_ALLOW;
				r[i].audit_id =
				    "00000000-0000-4000-8000-000000000000";
				r[i].kind = b->calls[i]->kind;
				r[i].policy_ref = "bench";
				r[i].output_json = b->calls[i]->params_json;
				rp[i] = &r[i];
			}
			br.n_responses = b->n_calls;
			br.responses = rp;
			env.body_case =
			    AUTONOMY__ENVELOPE__BODY_TOOL_BATCH_REPLY;
			env.tool_batch_reply = &br;
			ipc_reply(ctx, &env);
		}
		envelope_free(req);
	}
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/toolsrv-bench-XXXXXX", url[256];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int lfd, tok[2], ready[2], st;
	pthread_t th;
	struct pollfd pfd;
	pid_t pid;
	char b;
	sigset_t set;
	int sig;

	/* blocked before any thread exists, so sigwait below gets it */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (argc != 2) {
		fprintf(stderr, "usage: toolsrv_only PATH/TO/toolsrv\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL || ipc_make_dirs(dir) < 0 ||
	    ipc_url(url, sizeof(url), dir, IPC_POLICYD) < 0 ||
	    ipc_listen_rep(&rep, url) < 0)
		return 1;
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&th, NULL, serve, NULL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0 ||
	    pipe(tok) < 0 || pipe(ready) < 0)
		return 1;
	if (write(tok[1], TOKEN, strlen(TOKEN)) < 0)
		return 1;
	close(tok[1]);
	if ((pid = fork()) == 0) {
		char l[16], t[16], n[16];
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		snprintf(l, sizeof(l), "%d", lfd);
		snprintf(t, sizeof(t), "%d", tok[0]);
		snprintf(n, sizeof(n), "%d", ready[1]);
		execl(argv[1], "toolsrv", "--rundir", dir, "--listen-fd", l,
		      "--token-fd", t, "--ready-fd", n, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	pfd.fd = ready[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(ready[0], &b, 1) != 1) {
		fprintf(stderr, "toolsrv_only: toolsrv did not start\n");
		return 1;
	}
	printf("url=http://127.0.0.1:%d token=%s\n", ntohs(sa.sin_port), TOKEN);
	fflush(stdout);
	/* Until killed: then take toolsrv down with us. */
	sigwait(&set, &sig);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	snprintf(url, sizeof(url), "%s/policyd.sock", dir);
	unlink(url);
	rmdir(dir);
	return 0;
}
