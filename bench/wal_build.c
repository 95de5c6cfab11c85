/* Writes a WAL of N records quickly, for `autonomy wal verify` figures
 * (bench/faults.sh): walwriter's own wal_append(), many records per
 * transaction, records shaped like policyd's policy.allow (seven attrs,
 * a UUID audit id), so the chain is exactly what a run would leave.
 *
 * usage: wal_build DIR N   (DIR must exist and hold no WAL yet) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wal.h"

#define PER_TXN 10000
#define N_ATTRS 7

int main(int argc, char **argv)
{
	static struct wal_entry ent[PER_TXN];
	static struct wal_entry *p[PER_TXN];
	static char ids[PER_TXN][37];
	static const char *const kv[N_ATTRS][2] = {
	    {"policy_ref", "demo@0.1.0"},
	    {"policies", "allow-echo"},
	    {"reason", "permitted by policy allow-echo"},
	    {"params_sha256", "5f70bf18a086007016e948b04aed3b82103a36bea41755b6"
	                      "cddfaf10ace3c6ef"},
	    {"params_bytes", "15"},
	    {"agent", "workload"},
	    {"environment", "bench"}};
	Autonomy__Attr attr[N_ATTRS], *attrp[N_ATTRS];
	struct wal *w;
	struct timespec ts;
	char err[512];
	unsigned long long n, done = 0;

	if (argc != 3 || (n = strtoull(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: wal_build DIR N\n");
		return 64;
	}
	if (wal_open(&w, argv[1], WAL_WRITE, err, sizeof(err)) < 0) {
		fprintf(stderr, "wal_build: %s\n", err);
		return 1;
	}
	for (int i = 0; i < N_ATTRS; i++) {
		autonomy__attr__init(&attr[i]);
		attr[i].key = (char *)kv[i][0];
		attr[i].value = (char *)kv[i][1];
		attrp[i] = &attr[i];
	}
	while (done < n) {
		size_t k = n - done < PER_TXN ? (size_t)(n - done) : PER_TXN;
		for (size_t i = 0; i < k; i++) {
			unsigned long long id = done + i;
			snprintf(ids[i], sizeof(ids[i]),
			         "%08llx-0000-4000-8000-%012llx", id >> 32,
			         id & 0xffffffffffffULL);
			autonomy__wal_record__init(&ent[i].rec);
			ent[i].rec.audit_id = ids[i];
			ent[i].rec.kind =
			    i % 2 ? "policy.deny" : "policy.allow";
			ent[i].rec.origin = "policyd";
			ent[i].rec.tool = i % 2 ? "tool.nope" : "tool.echo";
			ent[i].rec.n_attrs = N_ATTRS;
			ent[i].rec.attrs = attrp;
			p[i] = &ent[i];
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		if (wal_append(w, p, k,
		               (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
		               err, sizeof(err)) < 0) {
			fprintf(stderr, "wal_build: %s\n", err);
			return 1;
		}
		done += k;
	}
	wal_close(w);
	printf("wal_build: %llu records in %s\n", done, argv[1]);
	return 0;
}
