"""The fault tests' load: `autonomy run --dir WAL -- loadgen ... -l LOG`.

bench/loadgen is the workload (it reads AUTONOMY_RUNTIME_URL/TOKEN like
any agent) and writes one line per answer as it arrives, so even a kill -9
of everything keeps what the client was told:
    SENT_NS DONE_NS STATUS AUDIT_ID [BODY]     or     SENT_NS DONE_NS ERR WHAT
(CLOCK_MONOTONIC, the clock of time.monotonic_ns() here). bench/faults.sh
uses the same class for its figures."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from harness import AUTONOMY, ROOT, inspect, run

LOADGEN = os.environ.get("AUTONOMY_LOADGEN") or os.path.join(
    ROOT, "build", "bench", "loadgen")

# Calls alternate between an allowed and a denied kind: 200s and 403s.
KINDS = "tool.echo,tool.nope"


# A workload that ignores SIGTERM (SIG_IGN survives execve): the
# supervisor's polite stop does not end it, only its SIGKILL after the
# grace period; until then it keeps calling.
STUBBORN = (sys.executable, "-c",
            "import os, signal, sys\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "os.execv(sys.argv[1], sys.argv[1:])")


class Call:
    __slots__ = ("sent", "done", "status", "audit_id", "body")

    def __init__(self, line):
        f = line.rstrip("\n").split(" ", 4)
        self.sent, self.done = int(f[0]), int(f[1])
        self.status = None if f[2] == "ERR" else int(f[2])
        self.audit_id = f[3] if self.status is not None and f[3] != "-" \
            else None
        self.body = f[4] if len(f) > 4 else (f[3] if f[2] == "ERR" else "")

    def answered(self):
        """A decision the client was given: allowed or denied."""
        return self.status in (200, 403)


def proc_table():
    """pid -> (ppid, comm, state) for every process."""
    t = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        rest = st[st.rindex(")") + 2:].split()
        t[int(d)] = (int(rest[1]), comm, rest[0])
    return t


def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def stopped(pid):
    """Every thread of pid stopped (a group stop reaches each thread on
    its way out of the kernel: one in fdatasync still runs for a while)."""
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return False
    for t in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                if f.read().rsplit(")", 1)[1].split()[0] not in "Tt":
                    return False
        except OSError:
            pass
    return True


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


class Load:
    """One `autonomy run` with loadgen as its workload."""

    def __init__(self, wal=None, flags=(), conns=8, secs=60, kinds=KINDS,
                 prefix=(), env=None, stubborn=False):
        self.tmp = tempfile.mkdtemp(prefix="autonomy-faults.")
        self.wal = wal or os.path.join(self.tmp, "wal")
        self.log = os.path.join(self.tmp, "calls.log")
        self.errpath = os.path.join(self.tmp, "stderr")
        self.rundir = None
        e = dict(os.environ)
        e.pop("AUTONOMY_RUN_WAL_DIR", None)
        e.update(env or {})
        with open(self.errpath, "w") as err:
            # stderr to a file: nothing may block on a full pipe
            self.proc = subprocess.Popen(
                [*prefix, AUTONOMY, "run", "--dir", self.wal, *flags, "--",
                 *(STUBBORN if stubborn else ()), LOADGEN, "-c", str(conns), "-T", "1", "-d", str(secs),
                 "-k", kinds, "-l", self.log],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=err, env=e)

    # -- what the client saw -------------------------------------------
    def calls(self):
        try:
            with open(self.log) as f:
                return [Call(x) for x in f if x.endswith("\n")]
        except FileNotFoundError:
            return []

    def ncalls(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().count(b"\n")
        except FileNotFoundError:
            return 0

    def wait_calls(self, n, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if self.ncalls() >= n:
                return
            if self.proc.poll() is not None:
                raise AssertionError("autonomy exited early (%s): %s" %
                                     (self.proc.returncode, self.stderr()))
            time.sleep(0.02)
        raise AssertionError("no load after %ds: %s" % (timeout,
                                                        self.stderr()))

    def stderr(self):
        with open(self.errpath, errors="replace") as f:
            return f.read()

    # -- the process tree ----------------------------------------------
    def descendants(self, table=None):
        t = table or proc_table()
        kids = {}
        for pid, (ppid, _, _) in t.items():
            kids.setdefault(ppid, []).append(pid)
        out, todo = [], [self.proc.pid]
        while todo:
            p = todo.pop()
            for k in kids.get(p, []):
                out.append(k)
                todo.append(k)
        return out

    def helper_pids(self):
        """name -> pid of autonomy's helper children."""
        t = proc_table()
        return {c: p for p, (pp, c, _) in t.items() if pp == self.proc.pid}

    def find_rundir(self):
        """The run's private directory (from walwriter's command line)."""
        for pid in self.descendants():
            a = cmdline(pid)
            if b"--rundir" in a:
                return a[a.index(b"--rundir") + 1].decode()
        return None

    def workload_alive(self):
        """Is loadgen (this run's: its -l LOG) still running?"""
        log = self.log.encode()
        for d in os.listdir("/proc"):
            if d.isdigit() and log in cmdline(int(d)) and \
                    state(int(d)) not in (None, "Z"):
                return True
        return False

    def kill_tree(self):
        """kill -9 of autonomy, every helper and the workload, at once."""
        self.rundir = self.rundir or self.find_rundir()
        for _ in range(50):
            pids = [self.proc.pid] + self.descendants()
            pids = [p for p in pids if state(p) not in (None, "Z")]
            if not pids:
                break
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        self.proc.wait(timeout=10)
        # As after a power cut, the run's directory stays behind.
        if self.rundir and os.path.isdir(self.rundir):
            shutil.rmtree(self.rundir, ignore_errors=True)

    def wait(self, timeout=30):
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            self.kill_tree()
        shutil.rmtree(self.tmp, ignore_errors=True)


def wal_kinds(wal):
    """audit_id -> set of record kinds, from `wal inspect --json`."""
    out = {}
    for r in inspect(wal):
        out.setdefault(r["audit_id"], set()).add(r["kind"])
    return out


def missing_from_wal(calls, kinds):
    """Calls answered 200/403 whose decision record is not in the WAL."""
    bad = []
    for c in calls:
        if c.status == 200:
            ok = "policy.allow" in kinds.get(c.audit_id, ())
        elif c.status == 403:
            ok = kinds.get(c.audit_id, set()) & {"policy.deny",
                                                 "runtime.deny"}
        else:
            continue
        if not c.audit_id or not ok:
            bad.append(c)
    return bad


def rate(calls, t0, t1):
    """Decisions (200/403) per second completed in [t0, t1) ns (from the
    first answer on, if that came later)."""
    t0 = max(t0, min((c.done for c in calls), default=t0))
    if t1 <= t0:
        return 0.0
    n = sum(1 for c in calls if c.answered() and t0 <= c.done < t1)
    return n / ((t1 - t0) / 1e9)


def verify(wal):
    v = run(["wal", "verify", "--dir", wal])
    return v.returncode, v.stdout + v.stderr
