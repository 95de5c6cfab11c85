"""The workload's seccomp, capability and filesystem layers (issue 5):
each refused call is made by a real workload (tests/sandbox_probe.c)
under `autonomy run`, with the same call succeeding when the layer is
off, so that every EPERM (EROFS, EACCES) is shown to come from the
layer."""
import os
import sys
import unittest
import uuid

from harness import AUTONOMY, ROOT, TestCase, attrs, inspect, run

PROBE = os.environ.get("AUTONOMY_SANDBOX_PROBE") or os.path.join(
    ROOT, "build", "tests", "sandbox_probe")
DOCKER = os.path.join(ROOT, "tests", "data", "docker-seccomp-default.json")
DENIED = ["unshare_user", "unshare_user_i386", "mount", "io_uring_setup",
          "ptrace_traceme", "keyctl"]
ORDINARY = ["write_tmp", "fork"]
WARNING = "Audit event: seccomp-opt-out"


def probe(test, flags, calls, waldir=None):
    """Runs the probe under `autonomy run FLAGS`; {call: "0"|"EPERM"|...}
    and the run's stderr."""
    args = ["run"] + (["--dir", waldir] if waldir else []) + flags
    r = run(args + ["--", PROBE] + calls)
    test.assertEqual(r.returncode, 0, r.stderr)
    out = dict(line.split("=", 1) for line in r.stdout.split())
    test.assertEqual(sorted(out), sorted(calls), r.stdout)
    return out, r.stderr


def is_root_with_caps():
    with open("/proc/self/status") as f:
        eff = [l for l in f if l.startswith("CapEff:")][0].split()[1]
    return os.geteuid() == 0 and int(eff, 16) & (1 << 13)


class Seccomp(TestCase):
    def test_starter_denies_and_allows(self):
        d = os.path.join(self.tmpdir(), "wal")
        out, _ = probe(self, [], DENIED + ORDINARY, d)
        for c in DENIED:
            self.assertEqual(out[c], "EPERM", c)
        for c in ORDINARY:
            self.assertEqual(out[c], "0", c)
        recs = inspect(d)
        kinds = [x["kind"] for x in recs]
        start = kinds.index("workload.start")
        layers = [attrs(x) for x in recs[:start]
                  if x["kind"] == "sandbox.layer"]
        sc = [a for a in layers if a["layer"] == "seccomp"]
        self.assertEqual(len(sc), 1, layers)
        self.assertEqual(sc[0]["profile"], "starter")
        self.assertEqual(sc[0]["default_action"], "SCMP_ACT_ALLOW")
        self.assertEqual(sc[0]["arches"], "x86_64,x86,x32")
        self.assertIn("no_new_privs", [a["layer"] for a in layers])
        # every sandbox.layer record comes before the workload starts
        self.assertNotIn("sandbox.layer", kinds[start:])
        self.assertNotIn("seccomp-opt-out", kinds)

    def test_no_seccomp_lets_the_same_calls_through(self):
        d = os.path.join(self.tmpdir(), "wal")
        calls = ["unshare_user", "unshare_user_i386", "mount",
                 "io_uring_setup", "ptrace_traceme"] + ORDINARY
        out, err = probe(self, ["--no-seccomp"], calls, d)
        self.assertEqual(out["unshare_user"], "0")
        self.assertEqual(out["unshare_user_i386"], "0")
        self.assertEqual(out["ptrace_traceme"], "0")
        self.assertEqual(out["mount"], "ENOENT")  # reached the kernel
        self.assertNotEqual(out["io_uring_setup"], "EPERM")
        self.assertIn(WARNING, err)
        self.assertIn("WARNING", err)
        recs = inspect(d)
        kinds = [x["kind"] for x in recs]
        self.assertIn("seccomp-opt-out", kinds)
        marker = recs[kinds.index("seccomp-opt-out")]
        self.assertEqual(marker["origin"], "supervisor")
        self.assertLess(kinds.index("seccomp-opt-out"),
                        kinds.index("workload.start"))
        layers = [attrs(x)["layer"] for x in recs
                  if x["kind"] == "sandbox.layer"]
        self.assertNotIn("seccomp", layers)

    def test_no_seccomp_excludes_a_profile(self):
        marker = os.path.join(self.tmpdir(), "ran")
        d = os.path.join(self.tmpdir(), "wal")
        r = run(["run", "--dir", d, "--no-seccomp", "--seccomp-profile",
                 DOCKER, "touch", marker])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("--no-seccomp", r.stderr)
        self.assertNotIn(WARNING, r.stderr)
        self.assertFalse(os.path.exists(marker))
        self.assertFalse(os.path.exists(d))

    def test_docker_default_profile(self):
        d = os.path.join(self.tmpdir(), "wal")
        # Docker's profile allows unshare/mount only to a holder of
        # CAP_SYS_ADMIN (includes.caps), evaluated against the workload's
        # set after --cap-drop: without it they are refused (EPERM,
        # defaultErrnoRet 1), which a root workload would otherwise get.
        out, _ = probe(self, ["--seccomp-profile", DOCKER, "--cap-drop",
                              "SYS_ADMIN"],
                       ["unshare_user", "unshare_user_i386", "mount"] +
                       ORDINARY, d)
        self.assertEqual(out["unshare_user"], "EPERM")
        self.assertEqual(out["unshare_user_i386"], "EPERM")
        self.assertEqual(out["mount"], "EPERM")
        for c in ORDINARY:
            self.assertEqual(out[c], "0", c)
        sc = [attrs(x) for x in inspect(d, "--kind", "sandbox.layer")
              if attrs(x)["layer"] == "seccomp"]
        self.assertEqual(sc[0]["profile"], "docker-seccomp-default.json")
        self.assertEqual(sc[0]["default_action"], "SCMP_ACT_ERRNO(1)")

    @unittest.skipUnless(is_root_with_caps(), "needs root with CAP_SYS_ADMIN")
    def test_docker_profile_follows_caps(self):
        # With CAP_SYS_ADMIN kept, Docker's profile allows unshare.
        out, _ = probe(self, ["--seccomp-profile", DOCKER],
                       ["unshare_user"])
        self.assertEqual(out["unshare_user"], "0")

    def test_malformed_profile_refused_before_anything(self):
        tmp = self.tmpdir()
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ['
                    '{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"},'
                    '{"names": ["mount", "no_such_call"],'
                    ' "action": "SCMP_ACT_ERRNO"}]}')
        marker = os.path.join(tmp, "ran")
        d = os.path.join(tmp, "wal")
        r = run(["run", "--dir", d, "--seccomp-profile", bad, "touch",
                 marker])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("bad.json", r.stderr)
        self.assertIn("syscalls[1].names[1]", r.stderr)
        self.assertIn("no_such_call", r.stderr)
        self.assertFalse(os.path.exists(marker))
        self.assertFalse(os.path.exists(d), "a WAL dir was created")
        # syntax errors and a missing file too
        with open(bad, "w") as f:
            f.write('{"defaultAction": ')
        r = run(["run", "--dir", d, "--seccomp-profile", bad, "touch",
                 marker])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("bad.json", r.stderr)
        r = run(["run", "--dir", d, "--seccomp-profile",
                 os.path.join(tmp, "missing.json"), "touch", marker])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("missing.json", r.stderr)
        self.assertFalse(os.path.exists(marker))
        self.assertFalse(os.path.exists(d))


def status_caps():
    return ["sh", "-c", "grep -E '^Cap(Eff|Prm|Bnd|Inh|Amb)' "
            "/proc/self/status"]


@unittest.skipUnless(is_root_with_caps(), "needs root (CAP_NET_RAW held)")
class Capabilities(TestCase):
    def test_cap_drop_net_raw(self):
        out, _ = probe(self, [], ["raw_socket"])
        self.assertEqual(out["raw_socket"], "0")  # the control
        d = os.path.join(self.tmpdir(), "wal")
        out, _ = probe(self, ["--cap-drop", "NET_RAW"],
                       ["raw_socket"] + ORDINARY, d)
        self.assertEqual(out["raw_socket"], "EPERM")
        for c in ORDINARY:
            self.assertEqual(out[c], "0", c)
        recs = inspect(d)
        kinds = [x["kind"] for x in recs]
        caps = [attrs(x) for x in recs if x["kind"] == "sandbox.layer" and
                attrs(x)["layer"] == "capabilities"]
        self.assertEqual(len(caps), 1)
        self.assertEqual(caps[0]["dropped"], "CAP_NET_RAW")
        self.assertFalse(int(caps[0]["bounding"], 16) & (1 << 13))
        idx = [i for i, x in enumerate(recs) if x["kind"] == "sandbox.layer"
               and attrs(x)["layer"] == "capabilities"][0]
        self.assertLess(idx, kinds.index("workload.start"))

    def test_cap_drop_all(self):
        r = run(["run", "--cap-drop", "ALL", "--"] + status_caps())
        self.assertEqual(r.returncode, 0, r.stderr)
        got = dict(line.split(":") for line in r.stdout.split("\n") if line)
        self.assertEqual(len(got), 5, r.stdout)
        for k, v in got.items():
            self.assertEqual(int(v, 16), 0, "%s %s" % (k, v))
        # the control: without --cap-drop root keeps its sets
        r = run(["run", "--"] + status_caps())
        got = dict(line.split(":") for line in r.stdout.split("\n") if line)
        self.assertNotEqual(int(got["CapEff"], 16), 0)
        self.assertNotEqual(int(got["CapBnd"], 16), 0)

    def test_cap_drop_forms_and_unknown(self):
        r = run(["run", "--cap-drop", "cap_net_raw,Chown", "--cap-drop",
                 "SYS_ADMIN", "--"] + status_caps())
        self.assertEqual(r.returncode, 0, r.stderr)
        got = dict(line.split(":") for line in r.stdout.split("\n") if line)
        bnd = int(got["CapBnd"], 16)
        for cap in (0, 13, 21):
            self.assertFalse(bnd & (1 << cap), cap)
        self.assertTrue(bnd & (1 << 1))  # DAC_OVERRIDE kept
        marker = os.path.join(self.tmpdir(), "ran")
        r = run(["run", "--cap-drop", "NET_RAW,CAP_NOPE", "touch", marker])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("CAP_NOPE", r.stderr)
        self.assertFalse(os.path.exists(marker))


def has_sys_admin():
    with open("/proc/self/status") as f:
        eff = [l for l in f if l.startswith("CapEff:")][0].split()[1]
    return int(eff, 16) & (1 << 21)


def mountinfo():
    with open("/proc/self/mountinfo") as f:
        return f.read()


def scratch_mount_point():
    """An existing, otherwise unused directory of the host to mount over
    (in the workload's namespace only)."""
    for d in ("/media", "/srv", "/mnt", "/opt"):
        if os.path.isdir(d) and not os.path.islink(d):
            return d
    raise unittest.SkipTest("no /media, /srv, /mnt or /opt")


@unittest.skipUnless(has_sys_admin(), "needs CAP_SYS_ADMIN (root)")
class Mounts(TestCase):
    def setUp(self):
        super().setUp()
        # whatever the workload mounts stays in its namespace
        before = mountinfo()
        self.addCleanup(lambda: self.assertEqual(mountinfo(), before))
        self.name = "autonomy-mnt-" + uuid.uuid4().hex[:12]

    def layer_records(self, d):
        """The mounts layer and the writable_mount_declared records, each
        checked to come before workload.start."""
        recs = inspect(d)
        kinds = [x["kind"] for x in recs]
        start = kinds.index("workload.start")
        layers = [attrs(x) for x in recs if x["kind"] == "sandbox.layer"
                  and attrs(x)["layer"] == "mounts"]
        self.assertEqual(len(layers), 1, recs)
        decl = [x for x in recs if x["kind"] == "writable_mount_declared"]
        for i, x in enumerate(recs):
            if x["kind"] in ("writable_mount_declared", "sandbox.layer"):
                self.assertLess(i, start, x)
                self.assertEqual(x["origin"], "spawner")
        return layers[0], [attrs(x) for x in decl]

    def test_read_only_rootfs_with_tmpfs(self):
        d = os.path.join(self.tmpdir(), "wal")
        etc, usr, tmp = ("/etc/" + self.name, "/usr/" + self.name,
                         "/tmp/" + self.name)
        self.addCleanup(lambda: [os.path.exists(p) and os.unlink(p)
                                 for p in (etc, usr, tmp)])
        out, _ = probe(self, ["--read-only-rootfs", "--tmpfs", "/tmp"],
                       ["write:" + etc, "write:" + usr, "write:" + tmp,
                        "exec_in:/tmp", "fork"], d)
        self.assertEqual(out["write:" + etc], "EROFS")
        self.assertEqual(out["write:" + usr], "EROFS")
        self.assertEqual(out["write:" + tmp], "0")  # the positive control
        self.assertEqual(out["exec_in:/tmp"], "EACCES")  # noexec
        self.assertEqual(out["fork"], "0")
        for p in (etc, usr, tmp):
            self.assertFalse(os.path.exists(p), p + " reached the host")
        layer, decl = self.layer_records(d)
        self.assertEqual(decl, [])
        self.assertTrue(layer["read_only_rootfs"].startswith("yes"))
        self.assertEqual(layer["tmpfs"], "1")
        self.assertEqual(layer["tmpfs.0"],
                         "/tmp nosuid,nodev,noexec,size=64m,mode=1777")
        self.assertEqual(layer["writable"], "0")

    def test_tmpfs_exec_suffix(self):
        out, _ = probe(self, ["--tmpfs", "/tmp:exec"],
                       ["exec_in:/tmp", "write_tmp"])
        self.assertEqual(out["exec_in:/tmp"], "0")
        self.assertEqual(out["write_tmp"], "0")

    def test_cwd_under_a_tmpfs_is_explained(self):
        # run from a directory that --tmpfs hides: 127, and the message
        # says why (the tmpfs starts empty) and what to do
        cwd = os.path.join(self.tmpdir(), "work")
        os.makedirs(cwd)
        self.assertTrue(cwd.startswith("/tmp/"), cwd)
        r = run(["run", "--tmpfs", "/tmp", "--", "true"], cwd=cwd)
        self.assertEqual(r.returncode, 127, r.stderr)
        self.assertIn("chdir %s: No such file or directory (it is under "
                      "--tmpfs /tmp, which starts empty: run autonomy "
                      "from another directory)" % cwd, r.stderr)
        # the control: from / it runs
        self.assertEqual(run(["run", "--tmpfs", "/tmp", "--", "true"],
                             cwd="/").returncode, 0)

    def test_root_stays_writable_without_the_flag(self):
        # the control: a mount namespace (--tmpfs) without
        # --read-only-rootfs leaves the host's root writable
        etc = "/etc/" + self.name
        self.addCleanup(lambda: os.path.exists(etc) and os.unlink(etc))
        d = os.path.join(self.tmpdir(), "wal")
        out, _ = probe(self, ["--tmpfs", "/tmp"], ["write:" + etc], d)
        self.assertEqual(out["write:" + etc], "0")
        self.assertTrue(os.path.exists(etc))
        layer, _ = self.layer_records(d)
        self.assertEqual(layer["read_only_rootfs"], "no")

    def test_writable_mount(self):
        host = self.tmpdir()
        mp = scratch_mount_point()
        d = os.path.join(self.tmpdir(), "wal")
        etc = "/etc/" + self.name
        self.addCleanup(lambda: os.path.exists(etc) and os.unlink(etc))
        out, _ = probe(self, ["--read-only-rootfs", "--writable-mount",
                              host + ":" + mp],
                       ["write:%s/%s" % (mp, self.name),
                        "write:/etc/" + self.name], d)
        self.assertEqual(out["write:%s/%s" % (mp, self.name)], "0")
        self.assertEqual(out["write:/etc/" + self.name], "EROFS")
        self.assertTrue(os.path.exists(os.path.join(host, self.name)))
        self.assertFalse(os.path.exists(os.path.join(mp, self.name)))
        layer, decl = self.layer_records(d)
        self.assertEqual(decl, [{"host": host, "container": mp,
                                 "mode": "rw"}])
        self.assertEqual(layer["writable"], "1")
        self.assertEqual(layer["writable.0"], "%s:%s:rw" % (host, mp))

    def test_writable_mount_read_only(self):
        host = self.tmpdir()
        mp = scratch_mount_point()
        d = os.path.join(self.tmpdir(), "wal")
        out, _ = probe(self, ["--writable-mount", host + ":" + mp + ":ro"],
                       ["write:%s/%s" % (mp, self.name)], d)
        self.assertEqual(out["write:%s/%s" % (mp, self.name)], "EROFS")
        self.assertEqual(os.listdir(host), [])
        _, decl = self.layer_records(d)
        self.assertEqual(decl, [{"host": host, "container": mp,
                                 "mode": "ro"}])

    def test_refusals_before_anything(self):
        tmp = self.tmpdir()
        host = os.path.join(tmp, "host")
        os.mkdir(host)
        marker = os.path.join(tmp, "ran")
        d = os.path.join(tmp, "wal")
        mp = scratch_mount_point()
        cases = [
            (["--tmpfs", "tmp"], ["--tmpfs tmp", "absolute"]),
            (["--tmpfs", "/tmp,/var/../tmp"], ["/var/../tmp", '".."']),
            (["--tmpfs", "/tmp:suid"], ["/tmp:suid"]),
            (["--writable-mount", "host:" + mp], ["HOST host", "absolute"]),
            (["--writable-mount", host + ":" + mp + "/../etc"], ['".."']),
            (["--writable-mount", tmp + "/missing:" + mp],
             ["HOST " + tmp + "/missing"]),
            (["--read-only-rootfs", "--writable-mount",
              host + ":/nonexistent-" + self.name],
             ["/nonexistent-" + self.name, "does not exist", "read-only"]),
            (["--writable-mount", host + ":" + mp, "--writable-mount",
              tmp + ":" + mp + "/"], ["twice"]),
            (["--writable-mount", host + ":" + mp + ":rx"], ["ro or rw"]),
        ]
        for flags, words in cases:
            r = run(["run", "--dir", d] + flags + ["touch", marker])
            self.assertEqual(r.returncode, 64, "%s: %s" % (flags, r.stderr))
            for w in words:
                self.assertIn(w, r.stderr, flags)
            self.assertIn(flags[-2], r.stderr)  # the flag named
            self.assertFalse(os.path.exists(marker), flags)
            self.assertFalse(os.path.exists(d), flags)
        self.assertEqual(os.listdir(host), [])


# The shim beside the binary under test: build/supervisor/autonomy ->
# build/preload/libautonomy_preload.so.
SHIM = os.path.realpath(os.path.join(os.path.dirname(AUTONOMY), "..",
                                     "preload", "libautonomy_preload.so"))
EXEC_DENIED = ("autonomy-preload: execve(/bin/sh) denied by "
               "AUTONOMY_PRELOAD_EXEC_ALLOWLIST")
CONNECT_DENIED = ("autonomy-preload: connect(192.0.2.1:80) denied by "
                  "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST")

# The workload: /usr/bin/true (listed), then exec /bin/sh (not listed);
# prints "true=N" and "exec=ERRNO" (or sh prints "exec=0").
EXEC_AGENT = r"""
import errno, os, subprocess
print("true=%d" % subprocess.run(["/usr/bin/true"]).returncode, flush=True)
try:
    os.execv("/bin/sh", ["sh", "-c", "echo exec=0"])
except OSError as e:
    print("exec=" + errno.errorcode[e.errno])
"""

# connect to TEST-NET-1 (not listed), then the runtime's own loopback URL.
CONNECT_AGENT = r"""
import errno, os, socket, urllib.request
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("192.0.2.1", 80))
    print("connect=0")
except OSError as e:
    print("connect=" + errno.errorcode.get(e.errno, str(e)))
with urllib.request.urlopen(os.environ["AUTONOMY_RUNTIME_URL"] +
                            "/v1/health", timeout=10) as r:
    print("health=%d" % r.status)
"""


def outputs(stdout):
    return dict(line.split("=", 1) for line in stdout.split())


@unittest.skipUnless(os.path.isfile(SHIM),
                     "no shim at %s (build preload/ first)" % SHIM)
class Preload(TestCase):
    def run_agent(self, flags, agent, d=None):
        args = ["run"] + (["--dir", d] if d else []) + flags
        r = run(args + ["--", sys.executable, "-c", agent])
        self.assertEqual(r.returncode, 0, r.stderr)
        return outputs(r.stdout), r.stderr.splitlines()

    def preload_record(self, d):
        """The preload layer, checked to come before workload.start."""
        recs = inspect(d)
        kinds = [x["kind"] for x in recs]
        start = kinds.index("workload.start")
        pre = [(i, x) for i, x in enumerate(recs)
               if x["kind"] == "sandbox.layer" and
               attrs(x)["layer"] == "preload"]
        self.assertEqual(len(pre), 1, recs)
        i, x = pre[0]
        self.assertLess(i, start)
        self.assertEqual(x["origin"], "supervisor")
        return attrs(x)

    def test_exec_allowlist(self):
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.run_agent(["--ld-preload", SHIM,
                                   "--preload-exec-allowlist",
                                   "/usr/bin/true"], EXEC_AGENT, d)
        self.assertEqual(out, {"true": "0", "exec": "EPERM"})
        self.assertIn(EXEC_DENIED, err)
        rec = self.preload_record(d)
        self.assertEqual(rec["path"], SHIM)
        self.assertEqual(rec["ld_preload"], SHIM)
        self.assertEqual(rec["exec_allowlist"], "/usr/bin/true")
        self.assertEqual(rec["connect_allowlist"], "unset (not enforced)")
        self.assertEqual(rec["dlopen_allowlist"], "unset (not enforced)")
        self.assertEqual(rec["dlopen_source"], "none")

    def test_exec_without_the_shim(self):
        # the control: the same exec runs without --ld-preload
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.run_agent([], EXEC_AGENT, d)
        self.assertEqual(out, {"true": "0", "exec": "0"})
        self.assertNotIn(EXEC_DENIED, err)
        layers = [attrs(x)["layer"] for x in inspect(d, "--kind",
                                                     "sandbox.layer")]
        self.assertNotIn("preload", layers)

    def test_users_ld_preload_comes_after_the_shim(self):
        agent = "import os; print('ld=' + os.environ['LD_PRELOAD'])"
        libc = "/lib/x86_64-linux-gnu/libc.so.6"
        if not os.path.exists(libc):
            self.skipTest("no " + libc)
        r = run(["run", "--ld-preload", SHIM, "--", sys.executable, "-c",
                 agent], env={"LD_PRELOAD": libc,
                              "AUTONOMY_PRELOAD_EXEC_ALLOWLIST": "/x"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(outputs(r.stdout)["ld"], SHIM + ":" + libc)

    def test_connect_allowlist(self):
        d = os.path.join(self.tmpdir(), "wal")
        out, err = self.run_agent(["--ld-preload", SHIM,
                                   "--preload-connect-allowlist",
                                   "10.0.0.0/8:443,[2001:db8::/32]:*"],
                                  CONNECT_AGENT, d)
        self.assertEqual(out["connect"], "EPERM")
        self.assertIn(CONNECT_DENIED, err)
        # loopback (the runtime's own URL) is always allowed
        self.assertEqual(out["health"], "200")
        rec = self.preload_record(d)
        self.assertEqual(rec["connect_allowlist"],
                         "10.0.0.0/8:443,[2001:db8::/32]:*")
        self.assertEqual(rec["exec_allowlist"], "unset (not enforced)")

    def test_dlopen_allowlist_from_bundles(self):
        from test_bundle import MANIFEST, make_bundle
        root = self.tmpdir()
        libm = "/usr/lib/x86_64-linux-gnu/libm.so.6"
        pol = make_bundle(root, dict(MANIFEST, schema_version="1.5",
                                     dlopen_allowlist={"paths": [libm]}),
                          name="pol")
        other = make_bundle(root, dict(
            MANIFEST, name="libs", schema_version="1.5",
            dlopen_allowlist={"paths": ["/opt/a/libx.so.1",
                                        "/opt/b/liby.so"]}), name="libs")
        bare = make_bundle(root, name="bare")
        # --policy alone: its manifest's list
        d = os.path.join(root, "wal1")
        r = run(["run", "--dir", d, "--policy", pol, "--ld-preload", SHIM,
                 "true"])
        self.assertEqual(r.returncode, 0, r.stderr)
        rec = self.preload_record(d)
        self.assertEqual(rec["dlopen_allowlist"], libm)
        self.assertTrue(rec["dlopen_source"].startswith(
            "--policy " + pol + " (acme-tools@1.0.0, sha256:"), rec)
        # the explicit flag wins
        d = os.path.join(root, "wal2")
        r = run(["run", "--dir", d, "--policy", pol, "--ld-preload", SHIM,
                 "--dlopen-allowlist-from-bundle", other, "true"])
        self.assertEqual(r.returncode, 0, r.stderr)
        rec = self.preload_record(d)
        self.assertEqual(rec["dlopen_allowlist"],
                         "/opt/a/libx.so.1:/opt/b/liby.so")
        self.assertTrue(rec["dlopen_source"].startswith(
            "--dlopen-allowlist-from-bundle " + other + " (libs@1.0.0"))
        # a bundle without a list: nothing from --policy, refused for
        # the explicit flag
        d = os.path.join(root, "wal3")
        r = run(["run", "--dir", d, "--policy", bare, "--ld-preload", SHIM,
                 "true"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.preload_record(d)["dlopen_allowlist"],
                         "unset (not enforced)")
        d = os.path.join(root, "wal4")
        r = run(["run", "--dir", d, "--ld-preload", SHIM,
                 "--dlopen-allowlist-from-bundle", bare, "true"])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("--dlopen-allowlist-from-bundle " + bare +
                      ": its manifest has no dlopen_allowlist", r.stderr)
        self.assertFalse(os.path.exists(d))

    def test_refusals_before_anything(self):
        tmp = self.tmpdir()
        marker = os.path.join(tmp, "ran")
        d = os.path.join(tmp, "wal")
        cases = [
            (["--preload-exec-allowlist", "/usr/bin/true"],
             "--preload-exec-allowlist needs --ld-preload PATH (the shim "
             "that enforces it)"),
            (["--preload-connect-allowlist", "10.0.0.1:80"],
             "--preload-connect-allowlist needs --ld-preload PATH"),
            (["--dlopen-allowlist-from-bundle", "builtin:demo"],
             "--dlopen-allowlist-from-bundle needs --ld-preload PATH"),
            (["--ld-preload", SHIM, "--preload-connect-allowlist",
              "example.com:443"],
             '--preload-connect-allowlist example.com:443: '),
            (["--ld-preload", SHIM, "--preload-exec-allowlist",
              "/usr/bin/true,sh"],
             'entry 2 "sh" is not absolute'),
            (["--ld-preload", "build/preload/libautonomy_preload.so"],
             "--ld-preload build/preload/libautonomy_preload.so: must be "
             "an absolute path"),
            (["--ld-preload", tmp + "/missing.so"],
             "--ld-preload " + tmp + "/missing.so: No such file"),
            (["--ld-preload", tmp], "not a regular file"),
            (["--ld-preload", SHIM, "--dlopen-allowlist-from-bundle",
              tmp + "/nobundle"], "--dlopen-allowlist-from-bundle: "),
        ]
        for flags, words in cases:
            r = run(["run", "--dir", d] + flags + ["touch", marker])
            self.assertEqual(r.returncode, 64, "%s: %s" % (flags, r.stderr))
            self.assertIn(words, r.stderr, flags)
            self.assertFalse(os.path.exists(marker), flags)
            self.assertFalse(os.path.exists(d), flags)
        r = run(["run", "--ld-preload", SHIM, "--preload-connect-allowlist",
                 "example.com:443", "true"])
        self.assertIn("host names are not allowed", r.stderr)


if __name__ == "__main__":
    unittest.main()
