/* Per-call cost of libautonomy_preload.so: the same calls timed in this
 * process (no shim) and in a copy of it started with LD_PRELOAD=<shim>
 * and allow-lists set, in one run. Usage: preload_bench SHIM.so [N]
 * Rows:
 *   connect() UDP to 127.0.0.1 (loopback: allowed before any list scan)
 *   connect() TCP to a closed 127.0.0.1 port (ECONNREFUSED)
 *   connect() UDP to 192.0.2.1:9, allowed by the last of 256 entries
 *   execve() of a non-executable file that is not listed: EPERM from
 *     the shim (resolve + compare + stderr line, to /dev/null) against
 *     EACCES from the kernel without the shim
 *     (the shim remembers the last 8 files it refused, so this is a
 *     retry's cost)
 *   execve() of a non-executable file that is listed: the shim's allow
 *     check, then EACCES from the kernel in both
 *   execve() of 16 unlisted files in turn: every refusal names the file
 *     through /proc (the first refusal of a file)
 * Each figure is the best of 15 rounds of N calls, in ns per call. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define NROWS 6
#define COLD_FILES 16 /* more than the shim remembers refusing (8) */
#define ROUNDS 15

static const char *const row_names[NROWS] = {
    "connect UDP 127.0.0.1 (loopback)",
    "connect TCP 127.0.0.1 closed port",
    "connect UDP 192.0.2.1 (256-entry list, last)",
    "execve unlisted file (deny path)",
    "execve listed non-exec file (allow path)",
    "execve unlisted, 16 files in turn (cold deny)",
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct sockaddr_in addr4(const char *ip, uint16_t port)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
	                         .sin_port = htons(port)};

	inet_pton(AF_INET, ip, &in.sin_addr);
	return in;
}

/* One row: ns per call (best round) and the errno of the last call. */
static double time_row(int row, long n, const char *const *file,
                       int *last_errno)
{
	struct sockaddr_in lo = addr4("127.0.0.1", 9),
	                   closed = addr4("127.0.0.1", 1),
	                   net = addr4("192.0.2.1", 9);
	char *argv[] = {(char *)"x", NULL}, *envp[] = {NULL};
	double best = 0, t;
	int fd = -1, r = 0;

	if (row == 0 || row == 2)
		fd = socket(AF_INET, SOCK_DGRAM, 0);
	else if (row == 1)
		fd = socket(AF_INET, SOCK_STREAM, 0);
	for (int round = 0; round < ROUNDS; round++) {
		t = now_ns();
		for (long i = 0; i < n; i++) {
			switch (row) {
			case 0:
				r = connect(fd, (struct sockaddr *)&lo,
				            sizeof(lo));
				break;
			case 1:
				r = connect(fd, (struct sockaddr *)&closed,
				            sizeof(closed));
				break;
			case 2:
				r = connect(fd, (struct sockaddr *)&net,
				            sizeof(net));
				break;
			case 3:
			case 4:
				r = execve(file[row - 3], argv, envp);
				break;
			default:
				r = execve(file[2 + i % COLD_FILES], argv,
				           envp);
				break;
			}
		}
		t = (now_ns() - t) / (double)n;
		if (round == 0 || t < best)
			best = t;
	}
	*last_errno = r == 0 ? 0 : errno;
	if (fd >= 0)
		close(fd);
	return best;
}

static void remove_cold(const char *dir)
{
	char p[64];

	for (int i = 0; i < COLD_FILES; i++) {
		snprintf(p, sizeof(p), "%s/%d", dir, i);
		unlink(p);
	}
	rmdir(dir);
}

static void measure(long n, const char *const *file, double *ns, int *err)
{
	/* One unmeasured pass first: caches, page faults, CPU clocks. */
	for (int row = 0; row < NROWS; row++)
		time_row(row, n / 10, file, &err[row]);
	for (int row = 0; row < NROWS; row++)
		ns[row] = time_row(row, row >= 3 ? n / 10 : n, file, &err[row]);
}

int main(int argc, char **argv)
{
	char file[] = "/tmp/preload-bench-XXXXXX", nbuf[32];
	char listed[] = "/tmp/preload-bench-XXXXXX";
	char cold[] = "/tmp/preload-bench-XXXXXX", coldf[COLD_FILES][64];
	const char *files[2 + COLD_FILES] = {file, listed};
	char preload[4096], list[256 * 24 + 64], xlist[128];
	double base[NROWS], shim[NROWS];
	int berr[NROWS], serr[NROWS], pipefd[2], st, devnull;
	long n;
	size_t off;
	pid_t pid;
	FILE *f;

	if (argc >= 6 && strcmp(argv[1], "--child") == 0) {
		/* Under the shim: the denial lines go to /dev/null. */
		n = atol(argv[2]);
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		files[0] = argv[3];
		files[1] = argv[4];
		for (int i = 0; i < COLD_FILES; i++) {
			snprintf(coldf[i], sizeof(coldf[i]), "%s/%d", argv[5],
			         i);
			files[2 + i] = coldf[i];
		}
		measure(n, files, shim, serr);
		for (int row = 0; row < NROWS; row++)
			printf("%.1f %d\n", shim[row], serr[row]);
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: preload_bench SHIM.so [N]\n");
		return 2;
	}
	n = argc > 2 ? atol(argv[2]) : 200000;
	if (n < 10)
		n = 10;
	/* A non-executable file: the kernel refuses it (EACCES) without the
	 * shim, so the baseline never execs. */
	if (mkstemp(file) < 0 || mkstemp(listed) < 0 || mkdtemp(cold) == NULL)
		return 1;
	for (int i = 0; i < COLD_FILES; i++) {
		int fd;
		snprintf(coldf[i], sizeof(coldf[i]), "%s/%d", cold, i);
		if ((fd = open(coldf[i], O_CREAT | O_WRONLY, 0600)) < 0)
			return 1;
		close(fd);
		files[2 + i] = coldf[i];
	}
	measure(n, files, base, berr);
	snprintf(xlist, sizeof(xlist),
	         "AUTONOMY_PRELOAD_EXEC_ALLOWLIST=/usr/bin/true:%s", listed);

	off = (size_t)snprintf(list, sizeof(list),
	                       "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST=");
	for (int i = 0; i < 255; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
		                        "198.51.%d.%d:443,", i / 256, i % 256);
	snprintf(list + off, sizeof(list) - off, "192.0.2.0/24:9");
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", argv[1]);
	snprintf(nbuf, sizeof(nbuf), "%ld", n);
	if (pipe(pipefd) != 0 || (pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		char *cargv[] = {
		    argv[0], (char *)"--child", nbuf, file, listed, cold, NULL};
		char *cenv[] = {preload, list, xlist, NULL};

		dup2(pipefd[1], 1);
		execve("/proc/self/exe", cargv, cenv);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	for (int row = 0; row < NROWS; row++)
		if (f == NULL ||
		    fscanf(f, "%lf %d", &shim[row], &serr[row]) != 2) {
			fprintf(stderr, "preload_bench: the child under the "
			                "shim did not report\n");
			unlink(file);
			unlink(listed);
			remove_cold(cold);
			return 1;
		}
	fclose(f);
	waitpid(pid, &st, 0);
	unlink(file);
	unlink(listed);
	remove_cold(cold);

	printf("%-46s %10s %10s %10s %7s  %s\n", "call", "no shim", "shim",
	       "overhead", "ratio", "errno (no shim / shim)");
	for (int row = 0; row < NROWS; row++)
		printf("%-46s %8.1fns %8.1fns %8.1fns %6.2fx  %s / %s\n",
		       row_names[row], base[row], shim[row],
		       shim[row] - base[row], shim[row] / base[row],
		       berr[row] ? strerror(berr[row]) : "ok",
		       serr[row] ? strerror(serr[row]) : "ok");
	return 0;
}
