/* `autonomy demo mavlink-sitl`: a governed flight, start to end, on one
 * machine. We start mavsim (the simulated vehicle, found beside the
 * helpers like them: libexec/autonomy/mavsim, or mavlink/mavsim in the
 * build tree) on 127.0.0.1 with a port of its choosing, read the port
 * from its first line, then run ourselves as
 *   autonomy run --mavlink-endpoint tcp:127.0.0.1:PORT
 *                --mavlink-environment sitl -- python3 -c AGENT
 * with the embedded examples/drone_agent.py, so its decisions and the
 * footprint panel appear as in any run. mavsim is stopped by its pidfd
 * when the run ends. */
#include "demo_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern const char demo_drone_agent_py[];

static const char demo_usage[] =
    "usage: autonomy demo mavlink-sitl [--speedup F] [--keep]\n"
    "\n"
    "Starts the simulated vehicle (mavsim) on 127.0.0.1 and runs the\n"
    "example drone agent under autonomy run --mavlink-endpoint\n"
    "tcp:127.0.0.1:PORT --mavlink-environment sitl, with the embedded\n"
    "MAVLink demo policy and its geofence (150 m around home, 40 m up).\n"
    "The agent arms, takes off, flies inside the fence, tries a goto\n"
    "outside it (denied) and lands. --speedup F: simulated time F times\n"
    "the wall clock (default 4). --keep: keep the WAL.\n";

/* Beside us: <prefix>/libexec/autonomy/mavsim, or the build tree's
 * mavlink/mavsim. From /proc/self/exe only, never the environment. */
static int mavsim_path(char *out, size_t len)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;

	if (n < 0)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -1;
	*slash = '\0';
	n = snprintf(out, len, "%s/../libexec/autonomy/mavsim", self);
	if (n > 0 && (size_t)n < len && stat(out, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return 0;
	n = snprintf(out, len, "%s/../mavlink/mavsim", self);
	if (n > 0 && (size_t)n < len && stat(out, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return 0;
	return -1;
}

/* mavsim's "mavsim: listening on tcp:127.0.0.1:PORT" line. */
static int read_port(int fd)
{
	char line[256];
	size_t n = 0;
	const char *colon;

	while (n < sizeof(line) - 1) {
		ssize_t r = read(fd, line + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	if (strstr(line, "listening on tcp:127.0.0.1:") == NULL ||
	    (colon = strrchr(line, ':')) == NULL)
		return -1;
	return atoi(colon + 1);
}

static pid_t start_mavsim(const char *path, const char *speedup, int *port)
{
	int out[2];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		const char *argv[] = {
		    path, "--speedup",       speedup, "--warmup",
		    "3",  "tcp:127.0.0.1:0", NULL};
		dup2(out[1], STDOUT_FILENO);
		/* quiet: the run's output is the show */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	*port = read_port(out[0]);
	close(out[0]);
	return pid;
}

int demo_cmd_main(int argc, char **argv)
{
	const char *speedup = "4";
	char sim[PATH_MAX], self[PATH_MAX], endpoint[64];
	int keep = 0, port = -1, status = 0, pidfd;
	pid_t simpid, runpid;
	ssize_t n;
	char *end;

	if (argc < 2 || strcmp(argv[1], "mavlink-sitl") != 0) {
		fputs(demo_usage, argc >= 2 && (strcmp(argv[1], "--help") == 0)
		                      ? stdout
		                      : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 64;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--keep") == 0) {
			keep = 1;
		} else if (strcmp(argv[i], "--speedup") == 0 && i + 1 < argc &&
		           strtod(argv[i + 1], &end) > 0 && *end == '\0' &&
		           strtod(argv[i + 1], NULL) <= 100) {
			speedup = argv[++i];
		} else {
			fprintf(stderr,
			        "autonomy demo: %s: unknown or bad flag "
			        "(--speedup F with 0 < F <= 100, "
			        "--keep)\n",
			        argv[i]);
			return 64;
		}
	}
	if (mavsim_path(sim, sizeof(sim)) < 0) {
		fprintf(stderr, "autonomy demo: cannot find mavsim beside this "
		                "binary (libexec/autonomy/mavsim)\n");
		return 70;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return 70;
	self[n] = '\0';
	if ((simpid = start_mavsim(sim, speedup, &port)) < 0 ||
	    (pidfd = pidfd_open(simpid, 0)) < 0) {
		fprintf(stderr, "autonomy demo: cannot start mavsim\n");
		return 70;
	}
	if (port <= 0) {
		fprintf(stderr, "autonomy demo: mavsim did not say its port\n");
		pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		waitpid(simpid, NULL, 0);
		return 70;
	}
	snprintf(endpoint, sizeof(endpoint), "tcp:127.0.0.1:%d", port);
	printf("demo: simulated vehicle (mavsim, %sx) on %s\n"
	       "demo: autonomy run --mavlink-endpoint %s "
	       "--mavlink-environment sitl -- python3 drone_agent.py\n"
	       "demo: policy mavlink-demo@0.1.0 (embedded); geofence 150 m "
	       "around home, 40 m up\n\n",
	       speedup, endpoint, endpoint);
	fflush(stdout);
	runpid = fork();
	if (runpid < 0)
		return 70;
	if (runpid == 0) {
		const char *rargv[] = {self,
		                       "run",
		                       "--mavlink-endpoint",
		                       endpoint,
		                       "--mavlink-environment",
		                       "sitl",
		                       keep ? "--keep" : "--",
		                       keep ? "--" : "python3",
		                       keep ? "python3" : "-c",
		                       keep ? "-c" : demo_drone_agent_py,
		                       keep ? demo_drone_agent_py : NULL,
		                       NULL};
		execv(self, (char *const *)rargv);
		_exit(127);
	}
	/* Ctrl-C goes to the run (our process group): we wait for it */
	signal(SIGINT, SIG_IGN);
	while (waitpid(runpid, &status, 0) < 0 && errno == EINTR)
		;
	pidfd_send_signal(pidfd, SIGTERM, NULL, 0);
	waitpid(simpid, NULL, 0);
	close(pidfd);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
