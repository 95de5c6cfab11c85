"""The helpers' own confinement: the reviewer's table (docs/confinement.md).

Each row is attacker code run from INSIDE the real, confined helper, at the
point where it handles untrusted input (common/attack.h: test builds only,
AUTONOMY_TEST_ATTACK=HELPER:ACT,...), with the exact answer asserted: an
errno, or the helper killed by SIGSYS (seccomp's KILL_PROCESS) and the run
failing closed. Every row has a positive control: the same helper, in the
same run, still does its job.

The Backstop class turns seccomp off (AUTONOMY_TEST_NO_SECCOMP=1, test
builds only) to show what the other layers stop on their own: Landlock,
the helper's own uid (the run directory's modes), NPROC 0.

On a release build (-Dtest_hooks=false, the normal suite) the hooks must
not exist: ReleaseBuild checks the binaries' bytes and that a run ignores
both variables. Identity (uids, capabilities, no_new_privs, seccomp, the
run directory's modes, the spawner's network namespace) needs no hook and
runs on every build."""
import http.server
import os
import stat
import subprocess
import sys
import threading
import unittest

from harness import AUTONOMY, Runtime, TestCase, inspect, run

BUILD = os.path.dirname(os.path.dirname(os.path.abspath(AUTONOMY)))
HELPERS = ["walwriter", "policyd", "spawner", "toolsrv", "fetcher"]
BINARIES = [AUTONOMY] + [os.path.join(BUILD, h, h)
                         for h in HELPERS + ["mavproxy"]]
HOOK_STRINGS = [b"AUTONOMY_TEST_ATTACK", b"AUTONOMY_TEST_NO_SECCOMP",
                b"attack %s", b"TEST HOOK"]
UID_BASE = 64200
UIDS = {"walwriter": UID_BASE, "policyd": UID_BASE + 1, "spawner": 0,
        "toolsrv": UID_BASE + 3, "fetcher": UID_BASE + 2,
        "mavproxy": UID_BASE + 6}
# supplementary groups: the run directory's (UID_BASE + 4), and for
# walwriter's clients theirs (UID_BASE + 5)
GROUPS = {h: [UID_BASE + 4] for h in UIDS}
GROUPS["policyd"] = GROUPS["fetcher"] = [UID_BASE + 4, UID_BASE + 5]
GROUPS["mavproxy"] = [UID_BASE + 4, UID_BASE + 5]
SIGSYS = 31
# TEST-NET-1 (RFC 5737): never routed; the connect is non-blocking anyway
FAR = "192.0.2.1:80"

# The workload: one tool call, its HTTP status on stdout.
CALL = r"""
import json, os, urllib.request, urllib.error
req = urllib.request.Request(
    os.environ["AUTONOMY_RUNTIME_URL"] + "/v1/tool",
    data=json.dumps({"kind": "tool.echo", "params": {"x": 1}}).encode(),
    headers={"Authorization": "Bearer " + os.environ["AUTONOMY_RUNTIME_TOKEN"],
             "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=20) as r:
        print("CALL %d" % r.status)
except urllib.error.HTTPError as e:
    print("CALL %d" % e.code)
except Exception as e:
    print("CALL none %r" % e)
"""

# The fetcher's workload: one tool.http_get of URL (argv[1]); prints the
# call's status and the fetched one.
HTTP_CALL = r"""
import json, os, sys, urllib.request, urllib.error
req = urllib.request.Request(
    os.environ["AUTONOMY_RUNTIME_URL"] + "/v1/tool",
    data=json.dumps({"kind": "tool.http_get",
                     "params": {"endpoint": sys.argv[1]}}).encode(),
    headers={"Authorization": "Bearer " + os.environ["AUTONOMY_RUNTIME_TOKEN"],
             "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=20) as r:
        out = json.loads(r.read())["output"]
        print("CALL %d FETCHED %s" % (r.status, out.get("status")))
except urllib.error.HTTPError as e:
    print("CALL %d" % e.code)
except Exception as e:
    print("CALL none %r" % e)
"""

# mavproxy's workload: one tool.mavlink.status.
MAV_CALL = CALL.replace('"tool.echo", "params": {"x": 1}',
                        '"tool.mavlink.status", "params": {}')
MAVSIM = os.environ.get("AUTONOMY_MAVSIM") or os.path.join(
    BUILD, "mavlink", "mavsim")


class Sim:
    """mavsim on 127.0.0.1 (tcp, a random port): mavproxy's vehicle."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [MAVSIM, "--warmup", "0", "tcp:127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = int(self.proc.stdout.readline().strip().rsplit(":")[-1])
        self.endpoint = "tcp:127.0.0.1:%d" % self.port

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class Server:
    """An HTTP server on 127.0.0.1 (a random port): the fetcher's one
    allowed host in these tests (an exact entry allows loopback)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"fetched"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     self.Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def binary_has_hooks():
    with open(AUTONOMY, "rb") as f:
        return b"AUTONOMY_TEST_ATTACK" in f.read()


def hooks_build():
    """meson says which build this is; run by hand, the binary says."""
    v = os.environ.get("AUTONOMY_TEST_HOOKS_BUILD")
    return v == "1" if v is not None else binary_has_hooks()


def landlock_abi():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    v = libc.syscall(444, None, 0, 1)  # landlock_create_ruleset VERSION
    return v if v > 0 else 0


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


class Attack:
    """One `autonomy run --dir WAL -- python3 -c CALL` with the acts."""

    def __init__(self, case, helper, acts, no_seccomp=False, wal=None,
                 flags=(), call=(CALL,)):
        self.wal = wal or os.path.join(case.tmpdir(), "wal")
        env = {"AUTONOMY_TEST_ATTACK": helper + ":" + ",".join(acts)}
        if no_seccomp:
            env["AUTONOMY_TEST_NO_SECCOMP"] = "1"
        r = run(["run", "--dir", self.wal, *flags, "--", sys.executable,
                 "-c", *call], env=env)
        self.code, self.stdout, self.stderr = r.returncode, r.stdout, r.stderr
        self.results, self.tried = {}, []
        tag = "autonomy[%s]: attack " % helper
        for line in self.stderr.splitlines():
            if not line.startswith(tag):
                continue
            rest = line[len(tag):]
            if rest.endswith(": trying"):
                self.tried.append(rest[:-len(": trying")])
            elif " = " in rest:
                act, _, res = rest.rpartition(" = ")
                self.results[act] = res
        self.call = next((l for l in self.stdout.splitlines()
                          if l.startswith("CALL")), None)

    def killed_by_seccomp(self, helper):
        return ("helper %s (pid" % helper in self.stderr and
                "killed by signal %d" % SIGSYS in self.stderr)


@unittest.skipUnless(hooks_build(), "needs a -Dtest_hooks=true build "
                     "(AUTONOMY_BIN=build-hooks/supervisor/autonomy)")
class Table(TestCase):
    """Seccomp, Landlock, uids and rlimits all on: what a reviewer gets."""

    def refused(self, helper, expect, control="CALL 200", **kw):
        a = Attack(self, helper, list(expect), **kw)
        self.assertEqual(a.results, expect, a.stderr)
        # the positive control, same run, same process: it still works
        self.assertEqual(a.call, control, a.stderr)
        self.assertEqual(a.code, 0, a.stderr)
        return a

    def killed(self, helper, act, **kw):
        a = Attack(self, helper, [act], **kw)
        self.assertEqual(a.tried, [act], a.stderr)
        self.assertNotIn(act, a.results, a.stderr)  # never came back
        self.assertTrue(a.killed_by_seccomp(helper), a.stderr)
        self.assertEqual(a.code, 70, a.stderr)  # fail closed
        self.assertNotEqual(a.call, "CALL 200", a.stderr)
        return a

    # toolsrv: open any file for writing, open the WAL dir, execve, fork,
    # connect to a non-loopback address, connect to walwriter's or the
    # spawner's socket, ptrace
    def test_toolsrv_refused(self):
        wal = os.path.join(self.tmpdir(), "some-wal")
        os.mkdir(wal)
        x = os.path.join(self.tmpdir(), "x")
        self.refused("toolsrv", {
            "openw=" + x: "EACCES",
            "openr=" + wal: "EACCES",
            "unix=@/walwriter/walwriter.sock": "EPERM",
            "unix=@/spawner/spawner.sock": "EPERM",
        })
        self.assertFalse(os.path.exists(x))

    def test_toolsrv_exec(self):
        self.killed("toolsrv", "exec=/bin/true")

    def test_toolsrv_fork(self):
        self.killed("toolsrv", "fork")

    def test_toolsrv_connect_out(self):
        self.killed("toolsrv", "connect=" + FAR)

    def test_toolsrv_ptrace(self):
        self.killed("toolsrv", "ptrace")

    # policyd: execve, fork, open files after load, any network
    def test_policyd_refused(self):
        a = self.refused("policyd", {
            "openr=/etc/passwd": "EACCES",
            "openw=" + os.path.join(self.tmpdir(), "x"): "EACCES",
            "unix=@/spawner/spawner.sock": "EACCES",
        })
        # control: it decided, and the decision is in the WAL
        self.assertEqual(len(inspect(a.wal, "--kind", "policy.allow")), 1)

    def test_policyd_exec(self):
        self.killed("policyd", "exec=/bin/true")

    def test_policyd_fork(self):
        self.killed("policyd", "fork")

    def test_policyd_network(self):
        self.killed("policyd", "connect=" + FAR)
        self.killed("policyd", "udp=" + FAR)

    # walwriter: execve, any network, open any path outside the WAL dir
    def test_walwriter_refused(self):
        a = self.refused("walwriter", {
            "openr=/etc/passwd": "EACCES",
            "openw=" + os.path.join(self.tmpdir(), "x"): "EACCES",
            "openr=@/policyd": "EACCES",
        })
        # control: it wrote the run, and the chain verifies
        v = run(["wal", "verify", "--dir", a.wal])
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertTrue(inspect(a.wal, "--kind", "run.end"))

    def test_walwriter_exec(self):
        self.killed("walwriter", "exec=/bin/true")

    def test_walwriter_network(self):
        self.killed("walwriter", "connect=" + FAR)
        self.killed("walwriter", "udp=" + FAR)

    # fetcher: execve, files; it reaches only allowed hosts. The attack
    # runs in a worker when the first hop arrives (an allowed
    # tool.http_get of our server, its one allowed domain); the call
    # itself is the positive control.
    def fetcher_run(self, how, *args, srv=None, **kw):
        if srv is None:
            srv = Server()
            self.addCleanup(srv.close)
        port = srv.port
        kw.setdefault("flags", ["--allow-domain", "127.0.0.1:%d" % port])
        kw["call"] = (HTTP_CALL, "http://127.0.0.1:%d/x" % port)
        return how("fetcher", *args, **kw), port

    def test_fetcher_refused(self):
        x = os.path.join(self.tmpdir(), "x")
        expect = {
            "openr=/etc/passwd": "EACCES",                  # seccomp
            "openw=" + x: "EACCES",                         # seccomp
            "unix=@/spawner/spawner.sock": "EACCES",        # uid
            "unix=@/policyd/policyd.sock": "EACCES",        # uid
            # the gap, stated: the resolver's UDP is not per address
            "udp=192.0.2.1:53": "OK",
        }
        if landlock_abi() >= 4:
            expect["connect=" + FAR] = "EACCES"  # LL net: not its port
        (a, port) = self.fetcher_run(self.refused, expect,
                                     control="CALL 200 FETCHED 200")
        self.assertFalse(os.path.exists(x))
        # control: both layers recorded the hop under one audit id
        allow = inspect(a.wal, "--kind", "runtime.allow")
        self.assertEqual(len(allow), 1, allow)
        self.assertEqual(allow[0]["origin"], "fetcher")

    @unittest.skipUnless(landlock_abi() >= 4, "Landlock net needs ABI 4")
    def test_fetcher_allowed_port_other_address(self):
        # the other gap, stated: Landlock's TCP rules are per port, so a
        # compromised fetcher reaches another address on an allowed port
        # (the fetcher's own code refuses it: fetch.c pins the address)
        srv = Server()
        self.addCleanup(srv.close)
        a, _ = self.fetcher_run(
            self.refused, {"connect=192.0.2.1:%d" % srv.port: "EINPROGRESS"},
            srv=srv, control="CALL 200 FETCHED 200")

    def test_fetcher_exec(self):
        self.fetcher_run(self.killed, "exec=/bin/true")

    def test_fetcher_fork(self):
        self.fetcher_run(self.killed, "fork")

    def test_fetcher_ptrace(self):
        self.fetcher_run(self.killed, "ptrace")

    def test_fetcher_bind(self):
        self.fetcher_run(self.killed, "bind=0")

    # mavproxy: execve, files, other network. The attack runs in a
    # worker when policyd's first request arrives (the facts of a
    # tool.mavlink.status); the status itself is the positive control.
    def mavproxy_run(self, how, *args, **kw):
        sim = Sim()
        self.addCleanup(sim.close)
        kw["flags"] = ["--mavlink-endpoint", sim.endpoint,
                       "--mavlink-environment", "sitl"]
        # the vehicle's first HEARTBEAT, before the call
        kw["call"] = ("import time; time.sleep(1.5)\n" + MAV_CALL,)
        return how("mavproxy", *args, **kw), sim.port

    def test_mavproxy_refused(self):
        x = os.path.join(self.tmpdir(), "x")
        expect = {
            "openr=/etc/passwd": "EACCES",                  # seccomp
            "openw=" + x: "EACCES",                         # seccomp
            "openr=/dev/ttyS0": "EACCES",                   # seccomp
            "unix=@/spawner/spawner.sock": "EACCES",        # uid
            "unix=@/policyd/policyd.sock": "EACCES",        # uid
            "unix=@/fetcher/fetcher.sock": "EACCES",        # uid
        }
        if landlock_abi() >= 4:
            expect["connect=" + FAR] = "EACCES"  # LL net: not its port
        a, _ = self.mavproxy_run(self.refused, expect)
        self.assertFalse(os.path.exists(x))
        allow = inspect(a.wal, "--kind", "runtime.allow")
        self.assertEqual([r["origin"] for r in allow], ["mavproxy"])

    @unittest.skipUnless(landlock_abi() >= 4, "Landlock net needs ABI 4")
    def test_mavproxy_link_port_other_address(self):
        # the gap, stated: Landlock's TCP rules are per port, so a
        # compromised mavproxy reaches another address on the link's port
        sim = Sim()
        self.addCleanup(sim.close)
        a = self.refused(
            "mavproxy", {"connect=192.0.2.1:%d" % sim.port: "EINPROGRESS"},
            flags=["--mavlink-endpoint", sim.endpoint,
                   "--mavlink-environment", "sitl"],
            call=("import time; time.sleep(1.5)\n" + MAV_CALL,))

    def test_mavproxy_exec(self):
        self.mavproxy_run(self.killed, "exec=/bin/true")

    def test_mavproxy_fork(self):
        self.mavproxy_run(self.killed, "fork")

    def test_mavproxy_ptrace(self):
        self.mavproxy_run(self.killed, "ptrace")

    def test_mavproxy_bind(self):
        self.mavproxy_run(self.killed, "bind=0")

    def test_mavproxy_udp_on_a_tcp_link(self):
        # a tcp link holds no datagram socket right at all
        self.mavproxy_run(self.killed, "udp=" + FAR)

    # spawner: any network (its own empty network namespace)
    @unittest.skipUnless(os.geteuid() == 0, "the namespace needs root")
    def test_spawner_network(self):
        a = self.refused("spawner", {
            "connect=" + FAR: "ENETUNREACH",
            "connect=127.0.0.1:22": "ENETUNREACH",
            "udp=" + FAR: "ENETUNREACH",
        })
        # control: the workload it spawned made its call (CALL 200, above)
        self.assertTrue(inspect(a.wal, "--kind", "workload.start"))


@unittest.skipUnless(hooks_build(), "needs a -Dtest_hooks=true build")
@unittest.skipUnless(os.geteuid() == 0, "own uids need root")
class Backstop(TestCase):
    """Seccomp off (test hook): each act is still refused, by the layer
    named in docs/confinement.md's Backstop column."""

    def setUp(self):
        self.abi = landlock_abi()
        if self.abi < 4:
            self.skipTest("needs Landlock ABI >= 4 (TCP rules); have %d"
                          % self.abi)

    def backstop(self, helper, expect, wal=None, control="CALL 200", **kw):
        a = Attack(self, helper, list(expect), no_seccomp=True, wal=wal,
                   **kw)
        self.assertIn("TEST HOOK: seccomp filter not loaded", a.stderr)
        self.assertEqual(a.results, expect, a.stderr)
        self.assertEqual(a.call, control, a.stderr)
        self.assertEqual(a.code, 0, a.stderr)
        return a

    def test_toolsrv(self):
        wal = os.path.join(self.tmpdir(), "some-wal")
        os.mkdir(wal)
        self.backstop("toolsrv", {
            "openw=" + os.path.join(self.tmpdir(), "x"): "EACCES",  # LL
            "openr=" + wal: "EACCES",                               # LL
            "exec=/bin/true": "EACCES",                             # LL
            "fork": "EAGAIN",                                       # NPROC
            "thread": "EAGAIN",                                     # NPROC
            "connect=" + FAR: "EACCES",                             # LL net
            "bind=0": "EACCES",                                     # LL net
            "unix=@/walwriter/walwriter.sock": "EACCES",            # uid
            "unix=@/spawner/spawner.sock": "EACCES",                # uid
            "ptrace": "EPERM",                                      # uid, LL
            "unix=@/policyd/policyd.sock": "OK",  # control: its one peer
        })

    def test_policyd(self):
        self.backstop("policyd", {
            "openr=/etc/passwd": "EACCES",
            "exec=/bin/true": "EACCES",
            "fork": "EAGAIN",
            "connect=" + FAR: "EACCES",
            "bind=0": "EACCES",
            "unix=@/spawner/spawner.sock": "EACCES",
            "unix=@/walwriter/walwriter.sock": "OK",  # control: its peer
        })

    def test_fetcher(self):
        srv = Server()
        self.addCleanup(srv.close)
        x = os.path.join(self.tmpdir(), "x")
        self.backstop("fetcher", {
            "openr=/etc/passwd": "EACCES",                  # LL
            "openw=" + x: "EACCES",                         # LL
            "exec=/bin/true": "EACCES",                     # LL
            "fork": "EAGAIN",                               # NPROC
            "thread": "EAGAIN",                             # NPROC
            "connect=" + FAR: "EACCES",                     # LL net
            "bind=0": "EACCES",                             # LL net
            "ptrace": "EPERM",                              # uid, LL
            "unix=@/spawner/spawner.sock": "EACCES",        # uid
            "unix=@/policyd/policyd.sock": "EACCES",        # uid
            "unix=@/walwriter/walwriter.sock": "OK",  # control: its peer
        }, control="CALL 200 FETCHED 200",
            flags=["--allow-domain", "127.0.0.1:%d" % srv.port],
            call=(HTTP_CALL, "http://127.0.0.1:%d/x" % srv.port))
        self.assertFalse(os.path.exists(x))

    def test_mavproxy(self):
        sim = Sim()
        self.addCleanup(sim.close)
        x = os.path.join(self.tmpdir(), "x")
        self.backstop("mavproxy", {
            "openr=/etc/passwd": "EACCES",                  # LL
            "openw=" + x: "EACCES",                         # LL
            "exec=/bin/true": "EACCES",                     # LL
            "fork": "EAGAIN",                               # NPROC
            "thread": "EAGAIN",                             # NPROC
            "connect=" + FAR: "EACCES",                     # LL net
            "bind=0": "EACCES",                             # LL net
            "ptrace": "EPERM",                              # uid, LL
            "unix=@/spawner/spawner.sock": "EACCES",        # uid
            "unix=@/policyd/policyd.sock": "EACCES",        # uid
            "unix=@/walwriter/walwriter.sock": "OK",  # control: its peer
        }, flags=["--mavlink-endpoint", sim.endpoint,
                  "--mavlink-environment", "sitl"],
            call=("import time; time.sleep(1.5)\n" + MAV_CALL,))
        self.assertFalse(os.path.exists(x))

    def test_walwriter(self):
        wal = os.path.join(self.tmpdir(), "wal")
        self.backstop("walwriter", {
            "openr=/etc/passwd": "EACCES",
            "openr=@/policyd": "EACCES",
            "exec=/bin/true": "EACCES",
            "connect=" + FAR: "EACCES",
            "fork": "EAGAIN",
            # the WAL dir (its cwd: the path's parents may be closed to
            # its uid): its files yes (the control), a new file no
            "openr=data.mdb": "OK",
            "openw=new": "EACCES",
        }, wal=wal)
        self.assertFalse(os.path.exists(wal + "/new"))


@unittest.skipIf(hooks_build(), "a test-hooks build has the hooks")
class ReleaseBuild(TestCase):
    """A release build carries no hook: not in the bytes, not in effect."""

    def test_no_hook_strings_in_release_binaries(self):
        for b in BINARIES:
            with open(b, "rb") as f:
                data = f.read()
            for s in HOOK_STRINGS:
                self.assertNotIn(s, data, "%s contains %r" % (b, s))

    def test_release_run_ignores_the_hooks(self):
        wal = os.path.join(self.tmpdir(), "wal")
        r = run(["run", "--dir", wal, "--", sys.executable, "-c", CALL],
                env={"AUTONOMY_TEST_ATTACK": "toolsrv:exec=/bin/true",
                     "AUTONOMY_TEST_NO_SECCOMP": "1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("CALL 200", r.stdout)
        self.assertNotIn("attack", r.stderr)
        self.assertNotIn("TEST HOOK", r.stderr)


class Identity(TestCase):
    """What each helper runs as, seen from outside (any build)."""

    def test_helpers_confined(self):
        # an allowed domain, so the fetcher runs too
        rt = Runtime(["--allow-domain", "127.0.0.1:1"])
        try:
            pids = rt.helper_pids()
            sup_ns = os.readlink("/proc/%d/ns/net" % rt.proc.pid)
            for h in HELPERS:
                st = proc_status(pids[h])
                self.assertEqual(st["NoNewPrivs"], "1", h)
                self.assertEqual(st["Seccomp"], "2", h)
                if h == "spawner":
                    continue  # keeps its capabilities (docs)
                self.assertEqual(int(st["CapEff"], 16), 0, h)
                self.assertEqual(int(st["CapPrm"], 16), 0, h)
                if os.geteuid() == 0:
                    uid = str(UIDS[h])
                    self.assertEqual(st["Uid"].split(), [uid] * 4, h)
                    self.assertEqual(st["Gid"].split(), [uid] * 4, h)
                    self.assertEqual(st["Groups"].split(),
                                     [str(g) for g in GROUPS[h]], h)
                    self.assertEqual(int(st["CapBnd"], 16), 0, h)
            if os.geteuid() == 0:
                # the spawner lives in an empty network namespace; the
                # workload is back on the host's (--net host)
                self.assertNotEqual(
                    os.readlink("/proc/%d/ns/net" % pids["spawner"]), sup_ns)
                self.assertEqual(
                    os.readlink("/proc/%d/ns/net" % rt.workload_pid), sup_ns)
                self.check_rundir(pids)
            st, _, _ = rt.tool("tool.echo", {"x": 1})
            self.assertEqual(st, 200)
        finally:
            rt.finish()
        self.assertEqual(rt.proc.returncode, 0, rt.stderr)

    def check_rundir(self, pids):
        with open("/proc/%d/cmdline" % pids["policyd"], "rb") as f:
            argv = f.read().split(b"\0")
        rundir = argv[argv.index(b"--rundir") + 1].decode()

        def mode(p):
            s = os.stat(os.path.join(rundir, p))
            return (s.st_uid, s.st_gid, stat.S_IMODE(s.st_mode))
        b = UID_BASE
        self.assertEqual(mode("."), (0, b + 4, 0o710))
        self.assertEqual(mode("walwriter"), (b, b + 5, 0o2750))
        self.assertEqual(mode("policyd"), (b + 1, b + 3, 0o2750))
        self.assertEqual(mode("fetcher"), (b + 2, b + 1, 0o2750))
        self.assertEqual(mode("spawner"), (0, 0, 0o700))
        self.assertEqual(mode("walwriter/walwriter.sock"), (b, b + 5, 0o660))
        self.assertEqual(mode("policyd/policyd.sock"), (b + 1, b + 3, 0o660))
        self.assertEqual(mode("fetcher/fetcher.sock"), (b + 2, b + 1, 0o660))
        # made in every run, used with --mavlink-endpoint only
        self.assertEqual(mode("mavproxy"), (b + 6, b + 1, 0o2750))

    def test_mavproxy_confined(self):
        sim = Sim()
        self.addCleanup(sim.close)
        rt = Runtime(["--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "sitl"])
        try:
            st = proc_status(rt.helper_pids()["mavproxy"])
            self.assertEqual(st["NoNewPrivs"], "1")
            self.assertEqual(st["Seccomp"], "2")
            self.assertEqual(int(st["CapEff"], 16), 0)
            if os.geteuid() == 0:
                uid = str(UIDS["mavproxy"])
                self.assertEqual(st["Uid"].split(), [uid] * 4)
                self.assertEqual(st["Groups"].split(),
                                 [str(g) for g in GROUPS["mavproxy"]])
                self.assertEqual(int(st["CapBnd"], 16), 0)
        finally:
            rt.finish()
        self.assertEqual(rt.proc.returncode, 0, rt.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "lending needs root")
    def test_wal_dir_given_back(self):
        wal = os.path.join(self.tmpdir(), "wal")
        r = run(["run", "--dir", wal, "--", "true"])
        self.assertEqual(r.returncode, 0, r.stderr)
        for p in [wal, wal + "/data.mdb", wal + "/lock.mdb"]:
            self.assertEqual(os.stat(p).st_uid, 0, p)

    @unittest.skipUnless(os.geteuid() == 0, "only as root")
    def test_uid_base_known_to_the_system_refused(self):
        r = run(["run", "--helper-uid-base", "1", "--", "true"])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("--helper-uid-base 1: id 1 is user", r.stderr)
        self.assertIn("nothing was run", r.stderr)
        r = run(["run", "--helper-uid-base", "65533", "--", "true"])
        self.assertEqual(r.returncode, 64, r.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "only as root")
    def test_uid_base_none_keeps_root(self):
        rt = Runtime(["--helper-uid-base", "none"])
        try:
            pids = rt.helper_pids()
            self.assertEqual(proc_status(pids["toolsrv"])["Uid"].split()[0],
                             "0")
        finally:
            rt.finish()
        self.assertEqual(rt.proc.returncode, 0, rt.stderr)


if __name__ == "__main__":
    unittest.main()
