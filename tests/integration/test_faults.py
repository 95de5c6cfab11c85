"""Fault tests under load (issue 6, "fail closed and lose nothing").

Each test runs `autonomy run -- loadgen` (faultload.py): the workload
makes tool calls in a loop (allowed tool.echo and denied tool.nope
alternately) and logs every answer with its audit id. Then a fault, and
the same two checks every time:
  - nothing allowed after the fault (no 200 for a call sent after it);
  - every call that got a 200 or a 403 has its decision record in the
    WAL (matched by audit id against `autonomy wal inspect --json`), and
    the WAL passes `autonomy wal verify`.
Figures (decisions/s before and after) are printed to stderr; meson
keeps them in the test log."""
import os
import signal
import socket
import struct
import sys
import time
import unittest

from faultload import (Load, cmdline, missing_from_wal, rate, stopped,
                       verify, wal_kinds)
from harness import TestCase, inspect, run, wait_for

# Between a helper's death and the moment the supervisor has shut the
# front door (toolsrv), a call already on its way may still be decided.
# A call *sent* later than this after the kill must not be allowed.
REACT_MS = 250

# The documented bounds for a hung helper (docs/processes.md): policyd
# answers a call 503 when walwriter has not acknowledged its record
# within POLICYD_WAL_TIMEOUT_MS (policyd/main.c), toolsrv when policyd has
# not answered within TOOLSRV_CALL_TIMEOUT_MS (toolsrv/toolsrv.h).
POLICYD_WAL_TIMEOUT_MS = 5000
TOOLSRV_CALL_TIMEOUT_MS = 10000


# nng's ipc transport (SP over a stream socket): an 8-byte handshake
# naming the protocol (req 0x30, rep 0x31), then frames of 0x01, a
# 64-bit big-endian length and the message; a req message starts with a
# 32-bit request id (high bit set).
ENVELOPE_MAX_BYTES = 2 * 1024 * 1024


def raw(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        x = s.recv(n - len(b))
        if not x:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += x
    return b


def sp_connect(path):
    s = raw(path)
    s.sendall(b"\0SP\0\x00\x30\0\0")
    assert recv_exact(s, 8) == b"\0SP\0\x00\x31\0\0"
    return s


def sp_call(s, body, rid=0x80000001):
    payload = struct.pack(">I", rid) + body
    s.sendall(b"\x01" + struct.pack(">Q", len(payload)) + payload)
    hdr = recv_exact(s, 9)
    data = recv_exact(s, struct.unpack(">Q", hdr[1:])[0])
    assert data[:4] == struct.pack(">I", rid)
    return data[4:]


def dropped(s):
    """The peer closes the connection (after its own handshake, if any)."""
    try:
        while s.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    finally:
        s.close()


# Just enough protobuf to write envelopes by hand.
def varint(n):
    out = b""
    while True:
        if n < 0x80:
            return out + bytes([n])
        out += bytes([(n & 0x7f) | 0x80])
        n >>= 7


def pb(field, n):
    return varint(field << 3) + varint(n)


def pb_str(field, b):
    return varint(field << 3 | 2) + varint(len(b)) + b


pb_msg = pb_str


def is_error(env):
    """An Envelope of version 1 whose body is an Error (field 22)."""
    return env.startswith(pb(1, 1) + varint(22 << 3 | 2))


def note(*a):
    print(*a, file=sys.stderr, flush=True)


class Faults(TestCase):
    def load(self, **kw):
        ld = Load(**kw)
        self.addCleanup(ld.close)
        return ld

    def assert_durable(self, ld, calls):
        code, out = verify(ld.wal)
        self.assertEqual(code, 0, out)
        bad = missing_from_wal(calls, wal_kinds(ld.wal))
        self.assertEqual(bad, [], "acknowledged but not in the WAL: %s" %
                         [(c.status, c.audit_id) for c in bad[:5]])
        return sum(1 for c in calls if c.answered())

    # -- kill -9 of one helper -----------------------------------------
    def kill_helper(self, name, flags=()):
        ld = self.load(stubborn=True, flags=flags)
        ld.wait_calls(1000)
        pid = ld.helper_pids()[name]
        t_kill = time.monotonic_ns()
        os.kill(pid, signal.SIGKILL)
        code = ld.wait(30)
        t_exit = time.monotonic_ns()
        err = ld.stderr()
        calls = ld.calls()
        self.assertEqual(code, 70, err)
        self.assertIn("helper %s (pid %d) killed by signal 9" % (name, pid),
                      err)
        self.assertFalse(ld.workload_alive(), "workload not stopped")
        late = [c for c in calls if c.status == 200 and c.sent > t_kill]
        last = max((c.done for c in calls if c.status == 200), default=0)
        note("kill %s: %.0f decisions/s before; after: %d answered "
             "(%d allowed, sent after the kill), last 200 %+.1f ms, "
             "autonomy exited %.1f ms after the kill" % (
                 name, rate(calls, t_kill - 10**9, t_kill),
                 sum(1 for c in calls if c.answered() and c.sent > t_kill),
                 len(late), (last - t_kill) / 1e6, (t_exit - t_kill) / 1e6))
        too_late = [c for c in late if c.sent > t_kill + REACT_MS * 10**6]
        self.assertEqual(too_late, [], "allowed %.1f ms after the kill" %
                         ((too_late[0].sent - t_kill) / 1e6
                          if too_late else 0))
        n = self.assert_durable(ld, calls)
        self.assertGreater(n, 300)
        # the runtime no longer answers at all
        self.assertFalse(ld.workload_alive())
        return ld

    def test_kill_toolsrv(self):
        self.kill_helper("toolsrv")

    def test_kill_policyd(self):
        self.kill_helper("policyd")

    def test_kill_walwriter(self):
        self.kill_helper("walwriter")

    def test_kill_spawner(self):
        self.kill_helper("spawner")

    def test_kill_fetcher(self):
        # not on tool.echo's path, yet running whenever the run has an
        # allowed domain (tool.http_get's runtime layer): its death too
        # stops every call
        self.kill_helper("fetcher", flags=["--allow-domain", "127.0.0.1:1"])

    # -- the WAL's filesystem fills up --------------------------------
    def disk_full(self, kinds):
        """--dir on a 1 MiB tmpfs, mounted in a private mount namespace
        (gone with the run, nothing to clean up); a second run on the
        full tmpfs, then the WAL is copied out before the namespace
        goes."""
        out = self.tmpdir()
        mnt = os.path.join(out, "mnt")
        os.mkdir(mnt)
        script = (
            'mnt=$1 out=$2; shift 2\n'
            'mount -t tmpfs -o size=1m,mode=0700 tmpfs "$mnt" || exit 99\n'
            '"$@"; rc=$?\n'
            '"$1" run --dir "$mnt/wal" -- true 2>"$out/second.err"\n'
            'echo $? >"$out/second.rc"\n'
            'cp -a "$mnt/wal" "$out/wal"\n'
            'exit $rc\n')
        ld = self.load(wal=os.path.join(mnt, "wal"), kinds=kinds, prefix=(
            "unshare", "--mount", "--propagation", "private",
            "sh", "-c", script, "sh", mnt, out))
        code = ld.wait(60)
        err = ld.stderr()
        self.assertNotEqual(code, 99, "cannot mount a tmpfs: " + err)
        ld.wal = os.path.join(out, "wal")
        calls = ld.calls()
        self.assertEqual(code, 70, err)
        self.assertRegex(err, r"helper walwriter \(pid \d+\) exited with "
                         r"status 70 \(the WAL directory \S+ has no space "
                         r"left")
        self.assertIn("filesystem full", err)
        # the run stopped at the first refusal, and nothing was allowed
        # once the WAL could no longer record
        refused = [c for c in calls if c.status == 503]
        for c in refused:
            self.assertIn("the decision could not be recorded", c.body)
        if refused:
            first = min(c.done for c in refused)
            self.assertEqual([c for c in calls if c.status == 200 and
                              c.sent > first], [])
        n = self.assert_durable(ld, calls)
        note("disk full (%s): %d decisions acknowledged, all in the WAL; "
             "%d calls refused (503)" % (kinds, n, len(refused)))
        self.assertGreater(n, 100)
        # A second run on the same full filesystem: LMDB reuses the pages
        # the failed transaction left free, so it may fit; if it does not,
        # the run fails closed where the WAL stopped taking records: before
        # the workload ("nothing was run") or at its end (run.end), the
        # reason is named and the exit status is 70 (it was 127, "could
        # not be executed", when the spawner's layer records were the ones
        # that did not fit). Either way the WAL, copied after it, verified
        # above, chain included.
        with open(os.path.join(out, "second.rc")) as f:
            rc2 = f.read().strip()
        with open(os.path.join(out, "second.err")) as f:
            err2 = f.read()
        self.assertIn(rc2, ("0", "70"), err2)
        if rc2 == "70":
            self.assertTrue("nothing was run" in err2 or
                            "WAL append run.end failed" in err2, err2)
            self.assertIn("filesystem full", err2)
        return refused

    def test_disk_full(self):
        """Allowed and denied calls: every 200 and 403 is in the WAL."""
        self.disk_full("tool.echo,tool.nope")

    def test_disk_full_reason(self):
        """Denied calls only, so every commit holds decisions of waiting
        calls (no tool.result): the commit that fails refuses calls, and
        they are told why."""
        refused = self.disk_full("tool.nope")
        # The supervisor stops toolsrv as soon as walwriter is gone (no
        # call may be answered by a runtime that cannot record), so on a
        # loaded machine the refusals can be cut off before they reach a
        # caller; those that do reach one say why. (disk_full() has
        # checked autonomy's own message names the full WAL filesystem.)
        # A call refused by the commit that failed is told the
        # filesystem is full; one whose batch was still on its way when
        # walwriter exited is told walwriter went away. Both are "the
        # decision could not be recorded" (checked by disk_full()).
        for c in refused:
            self.assertTrue(("WAL commit failed" in c.body and
                             "filesystem full" in c.body) or
                            "walwriter did not acknowledge" in c.body,
                            c.body)

    # -- a helper that hangs (SIGSTOP) ---------------------------------
    def hang(self, name, bound_ms):
        """Stops NAME for bound_ms + 2 s: every call in flight or sent
        meanwhile is answered, never with a 200, within bound_ms (plus
        slack for a loaded machine); after SIGCONT the run serves again."""
        slack_ms = 1500
        ld = self.load(conns=32)
        ld.wait_calls(1000)
        pid = ld.helper_pids()[name]
        os.kill(pid, signal.SIGSTOP)
        try:
            wait_for(lambda: stopped(pid), what="the stop")
            t_stop = time.monotonic_ns()
            time.sleep((bound_ms + slack_ms + 500) / 1000)
            t_cont = time.monotonic_ns()
        finally:
            os.kill(pid, signal.SIGCONT)
        ld.wait_calls(ld.ncalls() + 500)
        # end the workload: the run then ends normally
        for p in ld.descendants():
            if ld.log.encode() in cmdline(p):
                os.kill(p, signal.SIGTERM)
        code = ld.wait(30)
        self.assertEqual(code, 128 + signal.SIGTERM, ld.stderr())
        calls = ld.calls()
        # calls in flight at the stop or sent while stopped, early enough
        # for their bound to expire before SIGCONT
        limit = (bound_ms + slack_ms) * 10**6
        during = [c for c in calls
                  if c.done >= t_stop and c.sent < t_cont - limit]
        self.assertTrue(during)
        allowed = [c for c in calls if c.status == 200 and
                   t_stop < c.sent and c.done < t_cont]
        self.assertEqual(allowed, [], "allowed while %s was stopped: %s" % (
            name, [((c.sent - t_stop) / 1e6, (c.done - t_stop) / 1e6)
                   for c in allowed]))
        waited = [(c.done - max(c.sent, t_stop)) / 1e6 for c in during]
        late = [w for w in waited if w > bound_ms + slack_ms]
        note("SIGSTOP %s: %d calls answered while stopped (%s), waited at "
             "most %.0f ms (bound %d ms)" % (
                 name, len(during),
                 ", ".join(sorted({str(c.status) if c.status else "ERR"
                                   for c in during})),
                 max(waited), bound_ms))
        self.assertEqual(late, [], "answered after %.0f ms" % max(waited))
        after = [c for c in calls if c.sent > t_cont and c.status == 200]
        self.assertTrue(after, "no call allowed after SIGCONT")
        self.assert_durable(ld, calls)

    def test_hang_walwriter(self):
        self.hang("walwriter", POLICYD_WAL_TIMEOUT_MS)

    def test_hang_policyd(self):
        self.hang("policyd", TOOLSRV_CALL_TIMEOUT_MS)

    # -- garbage on the ipc sockets ------------------------------------
    def test_garbage_on_ipc_sockets(self):
        """As root (the run directory is 0700 root), connect to each
        helper's socket and send what no peer would: random bytes, a bad
        handshake, oversize frames (nng drops the connection before any
        of our code sees a byte), and well-framed but malformed envelopes,
        a wrong version, a message the helper does not serve (answered
        with an Error and logged). Every helper keeps serving: tool calls
        are allowed afterwards and the run ends normally (the spawner
        still answers the supervisor's WaitRequest)."""
        ld = self.load(conns=4, flags=["--allow-domain", "127.0.0.1:1"])
        ld.wait_calls(300)
        rundir = ld.find_rundir()
        self.assertTrue(rundir)
        me = os.getpid()
        wrong_version = pb(1, 2) + pb_msg(12, pb_str(2, b"run.start"))
        not_served = pb(1, 1) + pb_msg(21, b"")  # an Ack
        forbidden = pb(1, 1) + pb_msg(12, pb_str(2, b"policy.allow") +
                                      pb_str(1, b"forged-audit-id"))
        for sock in ("walwriter/walwriter.sock", "policyd/policyd.sock",
                     "spawner/spawner.sock", "fetcher/fetcher.sock"):
            path = os.path.join(rundir, sock)
            # transport-level garbage: dropped by nng
            s = raw(path)
            s.sendall(os.urandom(64))
            self.assertTrue(dropped(s), sock + ": random bytes")
            s = raw(path)
            s.sendall(b"\0SP\0\x00\x31\0\0")  # a rep talking to a rep
            self.assertTrue(dropped(s), sock + ": wrong protocol")
            for n in (1 << 40, ENVELOPE_MAX_BYTES + 1):
                s = sp_connect(path)
                s.sendall(b"\x01" + struct.pack(">Q", n) + b"\x80\0\0\1")
                self.assertTrue(dropped(s), "%s: frame of %d" % (sock, n))
            # envelope-level garbage: an Error reply, logged
            s = sp_connect(path)
            for body in (os.urandom(200), b"", b"\xff" * 16, wrong_version,
                         not_served):
                self.assertTrue(is_error(sp_call(s, body)),
                                "%s: %r" % (sock, body[:16]))
            s.close()
        # a stranger's append of a policyd kind: refused, and recorded
        s = sp_connect(os.path.join(rundir, "walwriter", "walwriter.sock"))
        self.assertTrue(is_error(sp_call(s, forbidden)))
        s.close()

        n = ld.ncalls()
        t = time.monotonic_ns()
        ld.wait_calls(n + 300)
        self.assertTrue([c for c in ld.calls() if c.sent > t and
                         c.status == 200], "no call allowed afterwards")
        for p in ld.descendants():
            if ld.log.encode() in cmdline(p):
                os.kill(p, signal.SIGTERM)
        code = ld.wait(30)
        err = ld.stderr()
        self.assertEqual(code, 128 + signal.SIGTERM, err)
        for helper, what in (("walwriter", "bad request from pid %d: "),
                             ("policyd", "request from pid %d: "),
                             ("spawner", "request from pid %d: "),
                             ("fetcher", "request from pid %d: ")):
            self.assertIn("autonomy[%s]: %senvelope version 2, expected 1"
                          % (helper, what % me), err)
        self.assertIn("autonomy[spawner]: refused Ack from pid %d (not the "
                      "supervisor)" % me, err)
        self.assertIn("autonomy[fetcher]: request from pid %d refused: the "
                      "fetcher serves policyd" % me, err)
        self.assertIn("autonomy[walwriter]: refused policy.allow from "
                      "unknown pid %d" % me, err)
        refused = [r for r in inspect(ld.wal, "--kind", "wal.refused")]
        self.assertTrue([r for r in refused
                         if r["attrs"]["peer_pid"] == str(me) and
                         r["attrs"]["kind"] == "policy.allow" and
                         r["origin"] == "walwriter"], refused)
        self.assertEqual(inspect(ld.wal, "--audit-id", "forged-audit-id")[0]
                         ["kind"], "wal.refused")
        self.assert_durable(ld, ld.calls())

    # -- kill -9 of everything, then a second run on the same --dir ----
    def test_kill_tree_then_continue(self):
        ld = self.load()
        ld.wait_calls(1000)
        t_kill = time.monotonic_ns()
        ld.kill_tree()
        calls = ld.calls()
        note("kill tree: %.0f decisions/s before" %
             rate(calls, t_kill - 10**9, t_kill))
        self.assertGreater(self.assert_durable(ld, calls), 500)
        first = inspect(ld.wal)
        self.assertNotIn("run.end", {r["kind"] for r in first})

        ld2 = self.load(wal=ld.wal, secs=0.5, kinds="tool.echo")
        code = ld2.wait(30)
        self.assertEqual(code, 0, ld2.stderr())
        self.assert_durable(ld2, ld2.calls())
        both = inspect(ld.wal)
        self.assertEqual(both[:len(first)], first)
        nxt = both[len(first)]
        self.assertEqual(nxt["kind"], "run.start")
        self.assertEqual(nxt["seq"], first[-1]["seq"] + 1)
        self.assertEqual(nxt["prev_hash"], first[-1]["hash"])
        self.assertEqual(both[-1]["kind"], "run.end")
        code, out = verify(ld.wal)
        self.assertEqual(code, 0, out)
        self.assertIn("OK %d records" % len(both), out)


if __name__ == "__main__":
    unittest.main()
