#include "runtime_rec.h"

#include <stdio.h>

#include "log.h"

void runtime_rec_add(struct runtime_rec *r, const char *key, const char *value)
{
	if (r->n >= RUNTIME_REC_ATTRS_MAX)
		fatalx("record %s: too many attributes", r->kind);
	autonomy__attr__init(&r->a[r->n]);
	r->a[r->n].key = (char *)key;
	r->a[r->n].value = (char *)value;
	r->ap[r->n] = &r->a[r->n];
	r->n++;
}

int runtime_rec_write(nng_ctx wal, const char *audit_id, const char *tool,
                      const struct runtime_rec *r, char *err, size_t errlen)
{
	Envelope req = AUTONOMY__ENVELOPE__INIT, *resp = NULL;
	Autonomy__WalAppend a = AUTONOMY__WAL_APPEND__INIT;
	int rc;

	a.audit_id = (char *)audit_id;
	a.kind = (char *)r->kind;
	a.tool = (char *)tool;
	a.n_attrs = r->n;
	a.attrs = (Autonomy__Attr **)r->ap;
	req.body_case = AUTONOMY__ENVELOPE__BODY_WAL_APPEND;
	req.wal_append = &a;
	rc = ipc_call(wal, &req, &resp, err, errlen);
	if (rc == 0 && (resp->body_case != AUTONOMY__ENVELOPE__BODY_WAL_ACK ||
	                resp->wal_ack->refused[0] != '\0')) {
		snprintf(err, errlen, "%s",
		         resp->body_case == AUTONOMY__ENVELOPE__BODY_ERROR
		             ? resp->error->message
		             : "walwriter refused the record");
		rc = -1;
	}
	envelope_free(resp);
	return rc;
}
