/* Our Cedar engine over bench/cedar's workload (see cedar_bench.sh):
 * authorizations per second and per-decision latency, one decision at a
 * time on one thread, for SECONDS.
 *
 *   cedar_bench workload.json SECONDS [--reparse]
 *
 * Default: the policy set and entities are loaded once (as policyd does)
 * and only cedar_authorize() is timed. --reparse also parses the policies
 * and loads the entities for every decision, which is what the
 * reference's stateless isAuthorized() has to do: the like-for-like row. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cedar.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int load(const char *text, const json_t *ents,
                struct cedar_policy_set **ps, struct cedar_entities **es)
{
	struct cedar_diag d;

	*ps = cedar_policy_set_new();
	if (*ps == NULL || cedar_policy_set_parse(*ps, "workload", text,
	                                          strlen(text), 0, &d) < 0) {
		fprintf(stderr, "cedar_bench: policies: %s\n", d.msg);
		return -1;
	}
	if ((*es = cedar_entities_load(ents, &d)) == NULL) {
		fprintf(stderr, "cedar_bench: entities: %s\n", d.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cedar_policy_set *ps = NULL;
	struct cedar_entities *es = NULL;
	struct cedar_authorizer *az = cedar_authorizer_new();
	json_error_t je;
	json_t *w, *reqs, *ents;
	const char *text;
	double secs, t0, end, *lat;
	size_t cap = 1 << 20, n = 0, allow = 0, nreq, total;
	int reparse;

	if (argc < 3 || az == NULL) {
		fprintf(
		    stderr,
		    "usage: cedar_bench workload.json SECONDS [--reparse]\n");
		return 2;
	}
	reparse = argc > 3 && strcmp(argv[3], "--reparse") == 0;
	secs = atof(argv[2]);
	if ((w = json_load_file(argv[1], 0, &je)) == NULL) {
		fprintf(stderr, "cedar_bench: %s: %s\n", argv[1], je.text);
		return 2;
	}
	text = json_string_value(json_object_get(w, "policies"));
	ents = json_object_get(w, "entities");
	reqs = json_object_get(w, "requests");
	nreq = json_array_size(reqs);
	if (text == NULL || nreq == 0 ||
	    (lat = malloc(cap * sizeof(*lat))) == NULL)
		return 2;
	if (!reparse && load(text, ents, &ps, &es) < 0)
		return 1;

	t0 = now_us();
	end = t0 + secs * 1e6;
	for (;;) {
		const json_t *r = json_array_get(reqs, n % nreq);
		struct cedar_request q = {json_object_get(r, "principal"),
		                          json_object_get(r, "action"),
		                          json_object_get(r, "resource"),
		                          json_object_get(r, "context")};
		struct cedar_response resp;
		struct cedar_diag d;
		double a = now_us(), b;

		if (reparse && load(text, ents, &ps, &es) < 0)
			return 1;
		if (cedar_authorize(az, ps, es, &q, &resp, &d) < 0) {
			fprintf(stderr, "cedar_bench: request %zu: %s\n",
			        n % nreq, d.msg);
			return 1;
		}
		if (reparse) {
			cedar_policy_set_free(ps);
			cedar_entities_free(es);
		}
		b = now_us();
		if (n < 100) /* the first 100 decisions are compared */
			allow += resp.decision == CEDAR_ALLOW;
		if (n < cap)
			lat[n] = b - a;
		n++;
		if (b >= end)
			break;
	}
	secs = (now_us() - t0) / 1e6;
	total = n;
	if (n > cap)
		n = cap; /* latency sample: the first cap decisions */
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("decisions=%zu secs=%.2f per_s=%.0f p50_us=%.1f p99_us=%.1f "
	       "allow_first_100=%zu\n",
	       total, secs, (double)total / secs, lat[n / 2],
	       lat[(size_t)((double)n * 0.99)], allow);
	if (!reparse) {
		cedar_policy_set_free(ps);
		cedar_entities_free(es);
	}
	cedar_authorizer_free(az);
	free(lat);
	json_decref(w);
	return 0;
}
