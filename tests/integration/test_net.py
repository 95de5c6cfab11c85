"""The workload's network layer (issue 5): --net none|host,
--allow-landlock-only, and --preload-connect-allowlist implying --net
none. Every claim is checked from inside a real workload under `autonomy
run` (the errno it gets), with a control where the same call gets through;
the kernel that refuses namespaces is tests/nsdeny.c (a seccomp filter,
like a container's)."""
import errno
import os
import socket
import subprocess
import sys
import tempfile
import unittest

from harness import (AUTONOMY, ROOT, Runtime, TestCase, attrs, inspect, run,
                     wait_for)

NSDENY = os.environ.get("AUTONOMY_NSDENY") or os.path.join(
    ROOT, "build", "tests", "nsdeny")
BUILD = os.path.dirname(os.path.dirname(os.path.realpath(AUTONOMY)))
SPAWNER = os.path.join(BUILD, "spawner", "spawner")
SHIM = os.path.join(BUILD, "preload", "libautonomy_preload.so")
REFUSED = "unshare(CLONE_NEWNET): Operation not permitted"
CLONE_NEWNET = 0x40000000

# The workload: one "name=result" line per probe named on its command
# line; a result is "0" or the errno's name. With "wait:FILE" it then
# writes its results and URL to FILE and waits for its stdin to close, so
# the test can try the runtime from the host meanwhile.
AGENT = r"""
import ctypes, errno, json, os, socket, sys, urllib.request

def err(f):
    try:
        r = f()
        return "0" if r is None else str(r)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e))

def tcp(host, port):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect((host, int(port)))
    finally:
        s.close()

def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", (host, int(port)))
    finally:
        s.close()

def http(method, path, body=None):
    req = urllib.request.Request(
        os.environ["AUTONOMY_RUNTIME_URL"] + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Bearer " +
                 os.environ["AUTONOMY_RUNTIME_TOKEN"],
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        data = json.loads(r.read() or "null")
        return "%d%s" % (r.status, "" if body is None else
                         ":" + json.dumps(data.get("output"),
                                          sort_keys=True,
                                          separators=(",", ":")))

def setns_host():
    # the supervisor, our grandparent, stays on the host's network (the
    # spawner, our parent, lives in an empty namespace of its own)
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/%d/stat" % os.getppid()) as f:
        sup = int(f.read().rsplit(")", 1)[1].split()[1])
    fd = os.open("/proc/%d/ns/net" % sup, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    finally:
        os.close(fd)

def proc_net_dev():
    with open("/proc/net/dev") as f:
        return ",".join(sorted(l.split(":")[0].strip()
                               for l in f.readlines()[2:]))

out = []
wait = None
for p in sys.argv[1:]:
    name, _, arg = p.partition(":")
    if name == "wait":
        wait = arg
        continue
    if name == "ifaces":
        v = ",".join(sorted(n for _, n in socket.if_nameindex()))
    elif name == "procnetdev":
        v = proc_net_dev()
    elif name == "netns":
        v = str(os.stat("/proc/self/ns/net").st_ino)
    elif name == "tcp":
        v = err(lambda: tcp(*arg.split(":")))
    elif name == "udp":
        v = err(lambda: udp(*arg.split(":")))
    elif name == "health":
        v = err(lambda: http("GET", "/v1/health"))
    elif name == "echo":
        v = err(lambda: http("POST", "/v1/tool",
                             {"kind": "tool.echo", "params": {"n": 7}}))
    elif name == "setns_host":
        v = err(setns_host)
    out.append("%s=%s" % (p, v))
print("\n".join(out), flush=True)
if wait:
    with open(wait + ".tmp", "w") as f:
        f.write(os.environ["AUTONOMY_RUNTIME_URL"] + "\n")
    os.rename(wait + ".tmp", wait)
    sys.stdin.read()
"""

NONE_PROBES = ["ifaces", "procnetdev", "netns", "tcp:192.0.2.1:80",
               "udp:192.0.2.1:53", "health", "echo"]


def outputs(stdout):
    return dict(line.split("=", 1) for line in stdout.split("\n") if line)


def own_netns():
    return str(os.stat("/proc/self/ns/net").st_ino)


def has_sys_admin():
    with open("/proc/self/status") as f:
        eff = [l for l in f if l.startswith("CapEff:")][0].split()[1]
    return int(eff, 16) & (1 << 21)


def can_unshare_net():
    return subprocess.run(["unshare", "-n", "true"],
                          capture_output=True).returncode == 0


class NetCase(TestCase):
    def agent(self, flags, probes, d=None, prefix=(), code=0):
        args = ["run"] + (["--dir", d] if d else []) + flags
        e = dict(os.environ)
        e.pop("AUTONOMY_RUN_WAL_DIR", None)
        r = subprocess.run(list(prefix) + [AUTONOMY] + args +
                           ["--", sys.executable, "-c", AGENT] + probes,
                           env=e, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, code, r.stderr)
        return outputs(r.stdout), r.stderr

    def net_record(self, d):
        """The one layer=net record: from the spawner, before
        workload.start, the first layer it applies."""
        recs = inspect(d)
        kinds = [x["kind"] for x in recs]
        start = kinds.index("workload.start")
        layers = [(i, x) for i, x in enumerate(recs)
                  if x["kind"] == "sandbox.layer" and
                  x["origin"] == "spawner"]
        net = [(i, x) for i, x in layers if attrs(x)["layer"] == "net"]
        self.assertEqual(len(net), 1, recs)
        i, x = net[0]
        self.assertLess(i, start)
        self.assertEqual(x["origin"], "spawner")
        self.assertEqual(layers[0][0], i, "net is the first layer")
        return attrs(x)


@unittest.skipUnless(has_sys_admin() and can_unshare_net(),
                     "needs root where network namespaces are allowed")
class NetNone(NetCase):
    def test_only_loopback_no_route_runtime_reachable(self):
        d = os.path.join(self.tmpdir(), "wal")
        out, _ = self.agent(["--net", "none"], NONE_PROBES, d)
        self.assertEqual(out["ifaces"], "lo")
        self.assertEqual(out["procnetdev"], "lo")
        self.assertNotEqual(out["netns"], own_netns())
        # no packet can leave: there is no route
        self.assertEqual(out["tcp:192.0.2.1:80"], "ENETUNREACH")
        self.assertEqual(out["udp:192.0.2.1:53"], "ENETUNREACH")
        # the positive control: the runtime answers inside
        self.assertEqual(out["health"], "200")
        self.assertEqual(out["echo"], '200:{"n":7}')
        rec = self.net_record(d)
        self.assertEqual(rec["mode"], "none")
        self.assertEqual(rec["source"], "--net none")
        self.assertEqual(rec["netns"], "net:[%s]" % out["netns"])
        decided = [x for x in inspect(d) if x["kind"] == "policy.allow"]
        self.assertEqual(len(decided), 1)

    def test_footprint_says_where_the_url_answers(self):
        r = run(["run", "--net", "none", "--", "true"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"runtime URL  http://127\.0\.0\.1:\d+ "
                         r"\(inside the workload's network namespace only\)")
        self.assertIn("sandbox      seccomp=starter net=none", r.stderr)
        # the control: on the host's network, no such note
        r = run(["run", "--", "true"])
        self.assertRegex(r.stderr, r"runtime URL  http://127\.0\.0\.1:\d+\n")
        self.assertIn("sandbox      seccomp=starter net=host\n", r.stderr)

    def test_opt_in_reduces_nothing_where_namespaces_work(self):
        # --allow-landlock-only only permits running without a namespace
        # the kernel refuses; here it is not refused, so --net none holds
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.agent(["--net", "none", "--allow-landlock-only"],
                              ["ifaces", "health"], d)
        self.assertEqual(out, {"ifaces": "lo", "health": "200"})
        self.assertNotIn("WARNING", err)
        self.assertEqual(self.net_record(d)["mode"], "none")

    def test_host_cannot_reach_the_runtime(self):
        info = os.path.join(self.tmpdir(), "info")
        e = dict(os.environ)
        e.pop("AUTONOMY_RUN_WAL_DIR", None)
        p = subprocess.Popen(
            [AUTONOMY, "run", "--net", "none", "--", sys.executable, "-c",
             AGENT, "health", "wait:" + info],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=e)
        try:
            wait_for(lambda: os.path.exists(info) or p.poll() is not None,
                     what="the workload")
            self.assertIsNone(p.poll(), p.stderr.read() if p.poll() else "")
            with open(info) as f:
                url = f.read().strip()
            port = int(url.rsplit(":", 1)[1])
            # the listener lives in the workload's namespace: nothing
            # listens on the host's 127.0.0.1 at that port
            s = socket.socket()
            s.settimeout(5)
            with self.assertRaises(ConnectionRefusedError):
                s.connect(("127.0.0.1", port))
            s.close()
        finally:
            out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(outputs(out)["health"], "200")  # the control

    def test_cannot_setns_back_to_the_host(self):
        out, _ = self.agent(["--net", "none"], ["setns_host", "ifaces"])
        self.assertEqual(out["setns_host"], "EPERM")  # the starter
        self.assertEqual(out["ifaces"], "lo")
        out, _ = self.agent(["--net", "none", "--cap-drop", "SYS_ADMIN",
                             "--no-seccomp"], ["setns_host", "ifaces"])
        self.assertEqual(out["setns_host"], "EPERM")  # no CAP_SYS_ADMIN
        self.assertEqual(out["ifaces"], "lo")
        # the control: a root workload with neither layer gets through,
        # so the EPERMs above came from them (docs/processes.md)
        out, _ = self.agent(["--net", "none", "--no-seccomp"],
                            ["setns_host", "ifaces"])
        self.assertEqual(out["setns_host"], "0")
        self.assertNotEqual(out["ifaces"], "lo")

    @unittest.skipUnless(os.path.isfile(SHIM), "no shim at " + SHIM)
    def test_connect_allowlist_implies_none(self):
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.agent(["--ld-preload", SHIM,
                               "--preload-connect-allowlist",
                               "10.0.0.0/8:443"],
                              ["ifaces", "tcp:10.1.2.3:443",
                               "tcp:192.0.2.1:80", "health"], d)
        self.assertEqual(out["ifaces"], "lo")
        # listed, so the shim lets it through: the namespace refuses it
        self.assertEqual(out["tcp:10.1.2.3:443"], "ENETUNREACH")
        self.assertEqual(out["tcp:192.0.2.1:80"], "EPERM")  # the shim
        self.assertEqual(out["health"], "200")
        self.assertIn("--preload-connect-allowlist implies --net none", err)
        self.assertNotIn("WARNING", err)
        rec = self.net_record(d)
        self.assertEqual(rec["mode"], "none")
        self.assertEqual(rec["source"],
                         "--preload-connect-allowlist (implies --net none)")

    @unittest.skipUnless(os.path.isfile(SHIM), "no shim at " + SHIM)
    def test_connect_allowlist_with_net_host(self):
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.agent(["--ld-preload", SHIM,
                               "--preload-connect-allowlist",
                               "10.0.0.0/8:443", "--net", "host"],
                              ["netns", "tcp:192.0.2.1:80", "health"], d)
        self.assertEqual(out["netns"], own_netns())
        self.assertEqual(out["tcp:192.0.2.1:80"], "EPERM")  # the shim
        self.assertEqual(out["health"], "200")
        self.assertIn("WARNING: --net host with --preload-connect-allowlist:"
                      " addresses other than loopback are enforced by the "
                      "shim", err)
        rec = self.net_record(d)
        self.assertEqual(rec["mode"], "host")
        self.assertTrue(rec["source"].startswith(
            "--net host (explicit, with --preload-connect-allowlist"), rec)


class NetHost(NetCase):
    def test_host_network_visible(self):
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.agent(["--net", "host"], ["ifaces", "netns",
                                                  "health"], d)
        self.assertEqual(out["netns"], own_netns())
        self.assertEqual(out["ifaces"], ",".join(sorted(
            n for _, n in socket.if_nameindex())))
        self.assertEqual(out["health"], "200")
        self.assertNotIn("WARNING", err)
        rec = self.net_record(d)
        self.assertEqual(rec["mode"], "host")
        self.assertEqual(rec["source"], "--net host")

    def test_default_is_host_and_the_harness_reaches_it(self):
        # the harness plays the agent from the host's 127.0.0.1
        rt = Runtime()
        try:
            status, _, _ = rt.request("GET", "/v1/health")
            self.assertEqual(status, 200)
            status, data, _ = rt.tool("tool.echo", {"x": 1})
            self.assertEqual(status, 200, data)
        except BaseException:
            rt.kill()
            raise
        self.assertEqual(rt.finish(), 0, rt.stderr)
        d = os.path.join(self.tmpdir(), "wal")
        out, _ = self.agent([], ["netns"], d)
        self.assertEqual(out["netns"], own_netns())
        rec = self.net_record(d)
        self.assertEqual(rec["mode"], "host")
        self.assertEqual(rec["source"], "default")

    def test_bad_values_refused_before_anything(self):
        tmp = self.tmpdir()
        marker = os.path.join(tmp, "ran")
        d = os.path.join(tmp, "wal")
        cases = [
            (["--net", "bridge"], "--net bridge: unknown value (give none"),
            (["--net", "NONE"], "--net NONE: unknown value"),
            (["--net=private"], "--net private: unknown value"),
            (["--net="], "--net needs none or host"),
        ]
        for flags, words in cases:
            r = run(["run", "--dir", d] + flags + ["touch", marker])
            self.assertEqual(r.returncode, 64, "%s: %s" % (flags, r.stderr))
            self.assertIn(words, r.stderr, flags)
            self.assertFalse(os.path.exists(marker), flags)
            self.assertFalse(os.path.exists(d), flags)
        r = run(["run", "--net"])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("--net needs none or host", r.stderr)

    def test_usage_names_the_flags(self):
        r = run(["run", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("--net none|host", r.stdout)
        self.assertIn("--allow-landlock-only", r.stdout)


@unittest.skipUnless(os.path.isfile(NSDENY), "no " + NSDENY)
class NoNamespaces(NetCase):
    """Nested in a container that forbids namespaces (nsdeny)."""

    def test_nsdeny_refuses_unshare(self):
        # the helper itself: unshare is EPERM under it, not without it
        code = ("import ctypes, os; l = ctypes.CDLL(None, use_errno=True);"
                "print(l.unshare(0x40000000), ctypes.get_errno())")
        r = subprocess.run([NSDENY, sys.executable, "-c", code],
                           capture_output=True, text=True)
        self.assertEqual(r.stdout.split(), ["-1", str(errno.EPERM)])
        if has_sys_admin() and can_unshare_net():
            r = subprocess.run([sys.executable, "-c", code],
                               capture_output=True, text=True)
            self.assertEqual(r.stdout.split()[0], "0")

    def test_net_none_refused_naming_the_opt_in(self):
        tmp = self.tmpdir()
        marker = os.path.join(tmp, "ran")
        d = os.path.join(tmp, "wal")
        cases = [(["--net", "none"], "--net none: the kernel refuses")]
        if os.path.isfile(SHIM):
            cases.append((["--ld-preload", SHIM,
                           "--preload-connect-allowlist", "10.0.0.1:80"],
                          "--preload-connect-allowlist (implies --net "
                          "none): the kernel refuses"))
        for flags, words in cases:
            r = subprocess.run([NSDENY, AUTONOMY, "run", "--dir", d] +
                               flags + ["touch", marker],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 64, "%s: %s" % (flags, r.stderr))
            self.assertIn(words, r.stderr)
            self.assertIn(REFUSED, r.stderr)
            self.assertIn("--allow-landlock-only", r.stderr)
            self.assertIn("nothing was run", r.stderr)
            self.assertFalse(os.path.exists(marker), flags)
            self.assertFalse(os.path.exists(d), flags)

    def test_host_network_runs(self):
        # the control: without --net none nothing needs a namespace
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.agent([], ["health"], d, prefix=[NSDENY])
        self.assertEqual(out["health"], "200")
        self.assertEqual(self.net_record(d)["mode"], "host")

    def test_allow_landlock_only(self):
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.agent(["--net", "none", "--allow-landlock-only"],
                              ["netns", "ifaces", "health", "echo"], d,
                              prefix=[NSDENY])
        self.assertIn("WARNING: --allow-landlock-only: the kernel refuses a "
                      "network namespace (" + REFUSED + "), so --net none "
                      "is NOT applied", err)
        # honest: the workload is on the host's network
        self.assertEqual(out["netns"], own_netns())
        self.assertEqual(out["health"], "200")
        self.assertEqual(out["echo"], '200:{"n":7}')
        rec = self.net_record(d)
        self.assertEqual(rec["mode"], "landlock-only")
        self.assertEqual(rec["reason"], REFUSED)
        self.assertEqual(rec["source"], "--net none")
        # the other layers are still there
        layers = [attrs(x)["layer"] for x in inspect(d, "--kind",
                                                     "sandbox.layer")]
        self.assertIn("seccomp", layers)
        self.assertIn("no_new_privs", layers)

    def test_mount_flags_refused_even_with_the_opt_in(self):
        tmp = self.tmpdir()
        marker = os.path.join(tmp, "ran")
        d = os.path.join(tmp, "wal")
        for flags in (["--read-only-rootfs"], ["--tmpfs", "/tmp"]):
            r = subprocess.run([NSDENY, AUTONOMY, "run", "--dir", d,
                                "--allow-landlock-only"] + flags +
                               ["touch", marker],
                               capture_output=True, text=True, timeout=60)
            if "needs CAP_SYS_ADMIN" in r.stderr:
                self.skipTest("not root")
            self.assertEqual(r.returncode, 64, "%s: %s" % (flags, r.stderr))
            self.assertIn(flags[0] + ": the kernel refuses the workload a "
                          "mount namespace (unshare(CLONE_NEWNS): Operation "
                          "not permitted", r.stderr)
            self.assertIn("also with --allow-landlock-only", r.stderr)
            self.assertFalse(os.path.exists(marker), flags)
            self.assertFalse(os.path.exists(d), flags)


@unittest.skipUnless(has_sys_admin() and can_unshare_net(),
                     "needs root where network namespaces are allowed")
class SpawnerNetnsFd(TestCase):
    """The spawner checks --netns-fd itself before it serves."""

    def start(self, fd):
        rundir = tempfile.mkdtemp(prefix="autonomy-it.")
        r, w = os.pipe()
        try:
            return subprocess.run(
                [SPAWNER, "--rundir", rundir, "--netns-fd", str(fd),
                 "--ready-fd", str(w)], pass_fds=(fd, w),
                capture_output=True, text=True, timeout=20)
        finally:
            os.close(r)
            os.close(w)

    def test_refuses_what_is_not_the_workloads_namespace(self):
        with open(__file__) as f:
            p = self.start(f.fileno())
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not a network namespace", p.stderr)
        fd = os.open("/proc/self/ns/mnt", os.O_RDONLY)
        try:
            p = self.start(fd)
        finally:
            os.close(fd)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("another kind of namespace", p.stderr)
        # the host's (its own) network namespace: --net none would not be
        fd = os.open("/proc/self/ns/net", os.O_RDONLY)
        try:
            p = self.start(fd)
        finally:
            os.close(fd)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("the spawner's own network namespace", p.stderr)


if __name__ == "__main__":
    unittest.main()
