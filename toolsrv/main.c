/* toolsrv: the untrusted HTTP/JSON front (DESIGN.md §1, docs/processes.md).
 *
 *   toolsrv --rundir D --listen-fd L --token-fd T --ready-fd N
 *
 * Reads the bearer token from T, dials policyd, confines itself, and only
 * then starts libmicrohttpd on the listener L the supervisor bound for it.
 * Confining first means no code that parses network bytes exists in this
 * process before the filter does: MHD_start_daemon() itself only needs
 * threads, poll and an eventfd, all in the allow-list. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"
#include "confine.h"
#include "helper.h"
#include "ipc.h"
#include "log.h"
#include "pclient.h"
#include "toolsrv.h"

static char token_buf[REQUEST_MAX_TOKEN + 1];

static void usage(void)
{
	fatalx("usage: toolsrv --rundir DIR --listen-fd L --token-fd T "
	       "--ready-fd N");
}

/* The token: everything on fd up to EOF, 1..128 visible ASCII bytes (one
 * trailing newline is tolerated). It never appears on argv or in logs. */
static size_t read_token(int fd)
{
	size_t len = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, token_buf + len, sizeof(token_buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("token fd %d", fd);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(token_buf))
			fatalx("token on fd %d is longer than %d bytes", fd,
			       REQUEST_MAX_TOKEN);
	}
	close(fd);
	if (len > 0 && token_buf[len - 1] == '\n')
		len--;
	if (len == 0)
		fatalx("token fd %d: empty token", fd);
	for (size_t i = 0; i < len; i++)
		if (token_buf[i] < 0x21 || token_buf[i] > 0x7e)
			fatalx("token fd %d: token must be visible ASCII", fd);
	token_buf[len] = '\0';
	return len;
}

static void check_listener(int fd)
{
	struct stat st;
	int on = 0;
	socklen_t sl = sizeof(on);

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		fatalx("--listen-fd %d is not a socket", fd);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &sl) < 0 || !on)
		fatalx("--listen-fd %d is not listening", fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rundir", required_argument, NULL, 'r'},
	    {"listen-fd", required_argument, NULL, 'l'},
	    {"token-fd", required_argument, NULL, 't'},
	    {"ready-fd", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0}};
	static struct toolsrv ts;
	const char *rundir = NULL;
	int listen_fd = -1, token_fd = -1, ready_fd = -1, c, sig, abi;
	char url[256];
	sigset_t stop;

	helper_init("toolsrv");
	/* Every thread (nng's, MHD's) inherits this mask; only main waits
	 * for the supervisor's SIGTERM. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
		fatalx("cannot block SIGTERM");

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rundir = optarg;
			break;
		case 'l':
			listen_fd = helper_parse_fd(optarg);
			break;
		case 't':
			token_fd = helper_parse_fd(optarg);
			break;
		case 'n':
			ready_fd = helper_parse_fd(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || rundir == NULL || listen_fd < 0 || token_fd < 0 ||
	    ready_fd < 0)
		usage();
	attack_init(rundir);

	ts.token.len = read_token(token_fd);
	ts.token.value = token_buf;
	ts.call_timeout_ms = TOOLSRV_CALL_TIMEOUT_MS;
	ts.send_timeout_ms = TOOLSRV_SEND_TIMEOUT_MS;
#ifdef AUTONOMY_TEST_HOOKS
	/* Tests exercise the timeout path without waiting 10 s. */
	{
		const char *t = getenv("AUTONOMY_TOOLSRV_TIMEOUT_MS");
		if (t != NULL && atoi(t) > 0) {
			ts.call_timeout_ms = atoi(t);
			if (ts.send_timeout_ms > ts.call_timeout_ms)
				ts.send_timeout_ms = ts.call_timeout_ms;
		}
	}
#endif
	check_listener(listen_fd);

	/* jansson seeds its hash function from /dev/urandom on first use;
	 * do it now, while open() is still allowed. */
	json_object_seed(0);
	/* libmicrohttpd's Date header goes through gmtime_r, which loads
	 * /etc/localtime on first use: load it now too. */
	tzset();
	/* Landlock before the first nng socket starts nng's threads: no
	 * file, no TCP bind or connect from here on. */
	if (confine_landlock(NULL, NULL, &abi) < 0)
		fatalx("cannot confine toolsrv (Landlock)");

	if (ipc_url(url, sizeof(url), rundir, IPC_POLICYD) < 0)
		fatalx("--rundir %s: socket path too long", rundir);
	/* Connected before confinement: from then on toolsrv may create
	 * no socket, so this pipe is its only way to policyd. */
	if (ipc_dial_req_connected(&ts.policyd, url, ts.call_timeout_ms) < 0)
		fatalx("cannot connect to policyd at %s", url);
	if ((ts.pclient = pclient_open(ts.policyd, ts.send_timeout_ms,
	                               ts.call_timeout_ms)) == NULL)
		fatalx("cannot set up the policyd client");

	if (sandbox_confine() < 0)
		fatalx("cannot confine toolsrv");
	if (http_start(&ts, listen_fd) < 0)
		fatalx("cannot serve HTTP");
	/* MHD's thread was the last one we will have. */
	if (confine_no_more_threads() < 0)
		fatalx("cannot confine toolsrv (NPROC)");
	helper_ready(ready_fd);
	log_debug("serving");

	while (sigwait(&stop, &sig) != 0)
		;
	log_debug("signal %d: exiting", sig);
	/* Connection threads may be waiting on policyd; the kernel closes
	 * everything, nothing here needs flushing. */
	_exit(0);
}
