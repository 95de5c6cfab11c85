/* libFuzzer target: everything the egress proxy parses from outside the
 * process -- the workload's request head (and the head it becomes
 * upstream), the upstream's response head (and the head the workload
 * gets), and chunked bodies (fed whole and split at a point the input
 * chooses: the same payload and the same end either way). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_parse.h"

static struct proxy_request req;
static struct proxy_response resp;

struct sum {
	uint64_t n, h;
};

static void add(void *arg, const char *p, size_t n)
{
	struct sum *s = arg;

	for (size_t i = 0; i < n; i++)
		s->h = s->h * 31 + (unsigned char)p[i];
	s->n += n;
}

/* No line of a head we write may end other than in CRLF. */
static void check_head(const char *h, size_t n)
{
	if (n < 4 || memcmp(h + n - 4, "\r\n\r\n", 4) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((h[i] == '\n' && (i == 0 || h[i - 1] != '\r')) ||
		    (h[i] == '\r' && (i + 1 >= n || h[i + 1] != '\n')) ||
		    h[i] == '\0')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char err[PROXY_ERR_MAX], *out = malloc(PROXY_RESPONSE_HEAD_MAX + 64);
	ssize_t hl, n;

	if (out == NULL)
		return 0;
	hl = proxy_head_len(s, size, PROXY_HEAD_MAX);
	if (hl > 0 &&
	    proxy_parse_request(s, (size_t)hl, &req, err, sizeof(err)) == 0 &&
	    req.kind == PROXY_HTTP) {
		n = proxy_upstream_head(&req, out, PROXY_HEAD_MAX + 256);
		if (n > 0)
			check_head(out, (size_t)n);
	}
	if (size <= PROXY_RESPONSE_HEAD_MAX &&
	    proxy_parse_response(s, size, &resp, err, sizeof(err)) == 0) {
		n = proxy_client_head(&resp, out, PROXY_RESPONSE_HEAD_MAX + 64);
		if (n > 0)
			check_head(out, (size_t)n);
	}
	if (size > 0) {
		struct chunk_dec a, b;
		struct sum sa = {0, 0}, sb = {0, 0};
		size_t cut = data[0] % size;
		ssize_t ra, rb1, rb2 = 0;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		ra = chunk_feed(&a, s + 1, size - 1, add, &sa);
		rb1 = chunk_feed(&b, s + 1, cut ? cut - 1 : 0, add, &sb);
		if (rb1 >= 0 && !chunk_done(&b))
			rb2 = chunk_feed(&b, s + 1 + rb1,
			                 size - 1 - (size_t)rb1, add, &sb);
		if ((ra < 0) != (rb1 < 0 || rb2 < 0))
			abort();
		if (ra >= 0 &&
		    (ra != rb1 + rb2 || sa.n != sb.n || sa.h != sb.h ||
		     chunk_done(&a) != chunk_done(&b)))
			abort();
	}
	free(out);
	return 0;
}
