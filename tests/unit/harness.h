/* Test harness for the helper binaries (policyd, spawner): a fake
 * walwriter that records every WalAppend and answers as told, and a
 * launcher that runs a real helper binary with --rundir/--ready-fd. */
#ifndef AUTONOMY_TEST_HARNESS_H
#define AUTONOMY_TEST_HARNESS_H

#include <stddef.h>
#include <nng/nng.h>
#include <sys/types.h>

#include "envelope.h"

enum fake_wal_mode {
	FAKE_WAL_ACK,         /* WalAck for every append */
	FAKE_WAL_ERROR,       /* Error "disk on fire" */
	FAKE_WAL_REFUSE_LAST, /* a batch's last record refused, as walwriter
	                       does for a kind its origin may not write */
	FAKE_WAL_SILENT,      /* receives and never answers */
	FAKE_WAL_SLOW, /* WalAck, each FAKE_WAL_SLOW_MS after the request */
};
#define FAKE_WAL_SLOW_MS 300

struct fake_wal;

/* Listens on <rundir>/walwriter.sock in a thread of its own. */
struct fake_wal *fake_wal_start(const char *rundir);
void fake_wal_set_mode(struct fake_wal *fw, enum fake_wal_mode mode);
size_t fake_wal_count(struct fake_wal *fw);
/* Requests answered so far (counted as each reply is sent). */
size_t fake_wal_answered(struct fake_wal *fw);
/* Waits until at least n appends arrived: 0, or -1 after timeout_ms. */
int fake_wal_wait_count(struct fake_wal *fw, size_t n, int timeout_ms);
/* The i-th append received (valid until fake_wal_stop). */
const Autonomy__WalAppend *fake_wal_get(struct fake_wal *fw, size_t i);
/* Number of appends with that kind (and audit id, unless NULL). */
size_t fake_wal_count_kind(struct fake_wal *fw, const char *kind,
                           const char *audit_id);
/* The first append with that kind, or NULL. */
const Autonomy__WalAppend *fake_wal_find(struct fake_wal *fw, const char *kind);
/* Peer pid of the connection the i-th append came on. */
int fake_wal_pid(struct fake_wal *fw, size_t i);
void fake_wal_stop(struct fake_wal *fw);

/* The value of an attribute, or NULL. */
const char *wal_attr(const Autonomy__WalAppend *a, const char *key);

/* A private run directory like the supervisor's (0700). */
char *harness_rundir(void);
void harness_rmdir(char *dir);

/* Runs `binary --rundir DIR --ready-fd 3` and waits (10 s) for its ready
 * byte. Returns its pid, or -1. */
pid_t harness_start_helper(const char *binary, const char *rundir);
/* SIGTERMs pid and returns its wait status. */
int harness_stop_helper(pid_t pid);

/* 1 if /proc/<pid>/status has a line starting with `line`. */
int harness_status_has(pid_t pid, const char *line);

/* A req socket on <rundir>/<name>, receive timeout timeout_ms. */
int harness_dial(const char *rundir, const char *name, int timeout_ms,
                 nng_socket *s);

/* One helper under test: its run directory, a fake walwriter in it, the
 * helper itself and a req socket dialed to the helper's socket `name`. */
struct helper_fixture {
	char *rundir;
	struct fake_wal *wal;
	pid_t pid;
	nng_socket client;
};

/* Sets all of the above up; NULL (everything undone) on failure. */
struct helper_fixture *harness_fixture_up(const char *binary, const char *name);
/* Tears it down. -1 unless the helper stopped cleanly on our SIGTERM
 * (exit 0, or the signal itself; not, say, its own seccomp filter). */
int harness_fixture_down(struct helper_fixture *f);

#endif
