"""The workload's Landlock layer (issue 5): the kernel-side backing of the
shim's exec and connect allow-lists. The workload is a STATIC probe making
raw system calls (tests/landlock_probe.c), so the shim never sees them:
every EACCES is the kernel's, and the same call succeeds without the
allow-list (or with --no-landlock), so it is shown to come from the
layer."""
import ctypes
import shutil
import tempfile
import os
import socket
import subprocess
import unittest

from harness import AUTONOMY, TestCase, attrs, inspect, run

BUILD = os.path.dirname(os.path.dirname(AUTONOMY))
PROBE = os.environ.get("AUTONOMY_LANDLOCK_PROBE") or os.path.join(
    BUILD, "tests", "landlock_probe")
NO_LANDLOCK = os.environ.get("AUTONOMY_NO_LANDLOCK") or os.path.join(
    BUILD, "tests", "no_landlock")
SHIM = os.path.realpath(os.path.join(BUILD, "preload",
                                     "libautonomy_preload.so"))
WARNING = "Audit event: landlock-opt-out"
LISTED = "/usr/bin/true"
UNLISTED = "/bin/echo"


def kernel_abi():
    libc = ctypes.CDLL(None, use_errno=True)
    # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
    return libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))


ABI = kernel_abi()


def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s, s.getsockname()[1]


def run_under(wrapper, args):
    """`WRAPPER... autonomy ARGS`, e.g. under tests/no_landlock.c."""
    e = dict(os.environ)
    e.pop("AUTONOMY_RUN_WAL_DIR", None)
    return subprocess.run(list(wrapper) + [AUTONOMY] + args, env=e,
                          capture_output=True, text=True, timeout=60)


def outputs(stdout):
    return dict(line.split("=", 1) for line in stdout.split())


@unittest.skipUnless(ABI >= 4, "needs Landlock ABI 4 (Linux 6.7)")
@unittest.skipUnless(os.path.isfile(SHIM), "no shim at " + SHIM)
class Landlock(TestCase):
    def setUp(self):
        super().setUp()
        self.tmp = self.tmpdir()
        self.wal = os.path.join(self.tmp, "wal")

    def probe(self, flags, calls, cmd=None, env=None, runner=()):
        args = ["run", "--dir", self.wal] + flags + ["--", cmd or PROBE]
        if runner:
            r = run_under(runner, args + calls)
        else:
            r = run(args + calls, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = outputs(r.stdout)
        self.assertEqual(sorted(out), sorted(calls), r.stdout)
        return out, r.stderr

    def landlock_record(self):
        """The landlock layer, checked to be the spawner's, after
        no_new_privs, before seccomp and before workload.start."""
        recs = inspect(self.wal)
        kinds = [x["kind"] for x in recs]
        layers = [(i, attrs(x)["layer"], x) for i, x in enumerate(recs)
                  if x["kind"] == "sandbox.layer"]
        ll = [(i, x) for i, name, x in layers if name == "landlock"]
        self.assertEqual(len(ll), 1, recs)
        i, x = ll[0]
        self.assertEqual(x["origin"], "spawner")
        self.assertLess(i, kinds.index("workload.start"))
        order = [name for _, name, x in layers if x["origin"] == "spawner"]
        self.assertEqual(order[order.index("landlock") - 1], "no_new_privs")
        self.assertEqual(order[order.index("landlock") + 1], "seccomp")
        a = attrs(x)
        self.assertEqual(a["abi"], str(ABI))
        return a

    def layer_names(self):
        return [attrs(x)["layer"]
                for x in inspect(self.wal, "--kind", "sandbox.layer")]

    # ---- exec ----------------------------------------------------------

    def test_exec_bypass_refused_by_the_kernel(self):
        w = os.path.join(self.tmp, "written")
        out, _ = self.probe(["--ld-preload", SHIM, "--preload-exec-allowlist",
                             LISTED],
                            ["exec:" + LISTED, "exec:" + UNLISTED,
                             "exec:/usr/bin/env", "read:/etc/passwd",
                             "write:" + w])
        self.assertEqual(out["exec:" + LISTED], "0")  # positive control
        self.assertEqual(out["exec:" + UNLISTED], "EACCES")
        self.assertEqual(out["exec:/usr/bin/env"], "EACCES")
        # EXECUTE only: reads and writes are not handled
        self.assertEqual(out["read:/etc/passwd"], "0")
        self.assertEqual(out["write:" + w], "0")
        a = self.landlock_record()
        self.assertTrue(a["exec"].startswith("on (EXECUTE only"), a)
        files = a["exec_files"].split(",")
        self.assertIn(LISTED + " (listed)", files)
        self.assertIn(PROBE + " (argv[0])", files)
        # /usr/bin/true is dynamic: its loader is granted too; the
        # static probe needs none
        interp = [f for f in files if f.endswith(" (interpreter)")]
        self.assertEqual(len(interp), 1, files)
        self.assertIn("ld-linux", interp[0])
        self.assertEqual(a["exec_rules"], str(len(files)))
        self.assertEqual(a["net"], "off")
        self.assertNotIn("net_reason", a)
        self.assertIn("memfd", a["exec_not_covered"])

    def test_exec_without_the_allowlist(self):
        # the control: the same exec runs with the shim alone
        out, _ = self.probe(["--ld-preload", SHIM], ["exec:" + UNLISTED])
        self.assertEqual(out["exec:" + UNLISTED], "0")
        self.assertNotIn("landlock", self.layer_names())

    def test_script_runs_with_its_interpreter(self):
        script = os.path.join(self.tmp, "tool.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(script, 0o755)
        out, _ = self.probe(["--ld-preload", SHIM, "--preload-exec-allowlist",
                             script], ["exec:" + script, "exec:" + UNLISTED])
        self.assertEqual(out["exec:" + script], "0")
        self.assertEqual(out["exec:" + UNLISTED], "EACCES")
        files = self.landlock_record()["exec_files"].split(",")
        self.assertIn(script + " (listed)", files)
        self.assertIn("/bin/sh (interpreter)", files)

    def test_argv0_found_on_path(self):
        # CMD by name: the file execvpe will run, on the request's PATH
        out, _ = self.probe(["--ld-preload", SHIM, "--preload-exec-allowlist",
                             LISTED], ["exec:" + LISTED],
                            cmd=os.path.basename(PROBE),
                            env={"PATH": os.path.dirname(PROBE) +
                                 ":/usr/bin:/bin"})
        self.assertEqual(out["exec:" + LISTED], "0")
        self.assertIn(PROBE + " (argv[0])",
                      self.landlock_record()["exec_files"].split(","))

    def test_memfd_exec(self):
        # memfd files live on a kernel-internal mount Landlock does not
        # check; the exec list's backing there is vm.memfd_noexec=2 in a
        # pid namespace of the workload's own: a plain memfd is sealed
        # non-executable, an executable one is refused
        # (the workload first tries to write the sysctl back to 0: it
        # was set one pid namespace above its own, so 2 is its floor)
        calls = ["memfd_lower", "memfd_exec", "memfd_mfd_exec",
                 "memfd_chmod", "getpid"]
        out, _ = self.probe(["--ld-preload", SHIM, "--preload-exec-allowlist",
                             LISTED], calls)
        self.assertEqual(out, {"memfd_lower": "EINVAL",
                               "memfd_exec": "EACCES",
                               "memfd_mfd_exec": "EACCES",
                               "memfd_chmod": "EPERM", "getpid": "0"})
        layers = [attrs(x) for x in inspect(self.wal, "--kind",
                                            "sandbox.layer")]
        names = [a["layer"] for a in layers]
        self.assertLess(names.index("pid"), names.index("memfd_noexec"))
        memfd = layers[names.index("memfd_noexec")]
        self.assertEqual(memfd["sysctl"], "vm.memfd_noexec=2")
        # the control: without the exec list, no pid namespace, and a
        # memfd runs
        out, _ = self.probe(["--ld-preload", SHIM], calls[1:])
        self.assertEqual(out, {"memfd_exec": "0", "memfd_mfd_exec": "0",
                               "memfd_chmod": "0", "getpid": "ESRCH"})
        # (the same --dir: still only the first run's record)
        self.assertEqual([attrs(x)["layer"] for x in
                          inspect(self.wal, "--kind", "sandbox.layer")
                          ].count("memfd_noexec"), 1)

    # ---- connect -------------------------------------------------------

    def test_connect_ports(self):
        a, pa = listener()
        b, pb = listener()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        # --net host: the listeners are the host's (a connect list
        # alone implies a namespace of the workload's own, test_net.py)
        out, _ = self.probe(["--net", "host", "--ld-preload", SHIM,
                             "--preload-connect-allowlist",
                             "127.0.0.1:%d" % pa],
                            ["connect:%d" % pa, "connect:%d" % pb,
                             "connect_runtime"])
        self.assertEqual(out["connect:%d" % pa], "0")
        self.assertEqual(out["connect:%d" % pb], "EACCES")
        self.assertEqual(out["connect_runtime"], "0")
        rec = self.landlock_record()
        url = attrs(inspect(self.wal, "--kind", "run.start")[0])["url"]
        self.assertEqual(rec["net"], "on (CONNECT_TCP by port)")
        self.assertEqual(rec["ports"],
                         "%d,%s" % (pa, url.rsplit(":", 1)[1]))
        self.assertEqual(rec["exec"], "off")
        self.assertIn("shim", rec["addresses"])

    def test_connect_without_the_allowlist(self):
        # the control: the same connect goes through with the shim alone
        b, pb = listener()
        self.addCleanup(b.close)
        out, _ = self.probe(["--ld-preload", SHIM], ["connect:%d" % pb])
        self.assertEqual(out["connect:%d" % pb], "0")

    def test_wildcard_port_leaves_net_unhandled(self):
        b, pb = listener()
        self.addCleanup(b.close)
        out, _ = self.probe(["--net", "host", "--ld-preload", SHIM,
                             "--preload-connect-allowlist", "10.0.0.0/8:*",
                             "--preload-exec-allowlist", LISTED],
                            ["connect:%d" % pb, "exec:" + UNLISTED])
        self.assertEqual(out["connect:%d" % pb], "0")
        self.assertEqual(out["exec:" + UNLISTED], "EACCES")
        rec = self.landlock_record()
        self.assertEqual(rec["net"], "off")
        self.assertEqual(rec["net_reason"], "wildcard-port")
        self.assertNotIn("ports", rec)

    def test_wildcard_port_alone_needs_no_ruleset(self):
        # nothing for Landlock to handle: recorded, no ruleset, and so no
        # kernel support needed either
        out, _ = self.probe(["--ld-preload", SHIM,
                             "--preload-connect-allowlist", "10.0.0.0/8:*"],
                            ["exec:" + UNLISTED],
                            runner=[NO_LANDLOCK, "ENOSYS"])
        self.assertEqual(out["exec:" + UNLISTED], "0")
        rec = attrs([x for x in inspect(self.wal, "--kind", "sandbox.layer")
                     if attrs(x)["layer"] == "landlock"][0])
        self.assertEqual(rec["ruleset"], "none (nothing to handle)")
        self.assertEqual(rec["abi"], "none (Function not implemented)")
        self.assertEqual(rec["net_reason"], "wildcard-port")

    # ---- --no-landlock and refusals ------------------------------------

    def test_no_landlock_opt_out(self):
        b, pb = listener()
        self.addCleanup(b.close)
        out, err = self.probe(["--no-landlock", "--net", "host",
                               "--ld-preload", SHIM,
                               "--preload-exec-allowlist", LISTED,
                               "--preload-connect-allowlist",
                               "127.0.0.1:1"],
                              ["exec:" + UNLISTED, "connect:%d" % pb,
                               "memfd_exec"])
        # the bypasses the layer stops now succeed (its memfd backing
        # goes with it)
        self.assertEqual(out["exec:" + UNLISTED], "0")
        self.assertEqual(out["memfd_exec"], "0")
        self.assertEqual(out["connect:%d" % pb], "0")
        self.assertIn("WARNING: --no-landlock", err)
        self.assertIn(WARNING, err)
        recs = inspect(self.wal)
        kinds = [x["kind"] for x in recs]
        marker = recs[kinds.index("landlock-opt-out")]
        self.assertEqual(marker["origin"], "supervisor")
        self.assertEqual(attrs(marker), {"flag": "--no-landlock",
                                         "layer": "landlock"})
        self.assertLess(kinds.index("run.start"),
                        kinds.index("landlock-opt-out"))
        self.assertLess(kinds.index("landlock-opt-out"),
                        kinds.index("workload.start"))
        self.assertNotIn("landlock", self.layer_names())

    def test_refused_when_the_kernel_cannot(self):
        marker = os.path.join(self.tmp, "ran")
        cases = [
            ("ENOSYS", ["--preload-exec-allowlist", LISTED],
             ["--preload-exec-allowlist: this kernel has no Landlock "
              "(landlock_create_ruleset: Function not implemented",
              "pass --no-landlock"]),
            ("EOPNOTSUPP", ["--preload-connect-allowlist", "127.0.0.1:80"],
             ["--preload-connect-allowlist: Landlock is built into this "
              "kernel but not enabled", "lsm=", "pass --no-landlock"]),
        ]
        for errno_name, flags, words in cases:
            r = run_under([NO_LANDLOCK, errno_name],
                          ["run", "--dir", self.wal, "--ld-preload", SHIM] +
                          flags + ["touch", marker])
            self.assertEqual(r.returncode, 64, r.stderr)
            for w in words:
                self.assertIn(w, r.stderr, errno_name)
            self.assertIn("nothing was run", r.stderr)
            self.assertFalse(os.path.exists(marker))
            self.assertFalse(os.path.exists(self.wal), "a WAL dir was made")
        # the explicit opt-out runs it, loudly, and the bypass works
        out, err = self.probe(["--no-landlock", "--net", "host",
                               "--ld-preload", SHIM,
                               "--preload-exec-allowlist", LISTED],
                              ["exec:" + UNLISTED],
                              runner=[NO_LANDLOCK, "ENOSYS"])
        self.assertEqual(out["exec:" + UNLISTED], "0")
        self.assertIn(WARNING, err)

    def test_refused_without_memfd_noexec(self):
        # a kernel (or a /proc) where vm.memfd_noexec cannot be set: the
        # exec list's memfd backing is missing, refused before anything
        # (here: the sysctl made read-only in a mount namespace)
        d = tempfile.mkdtemp(prefix="autonomy-ll.")
        self.addCleanup(shutil.rmtree, d, True)
        script = ("mount --bind -o ro /proc/sys/vm/memfd_noexec "
                  "/proc/sys/vm/memfd_noexec && exec \"$@\"")
        args = ["unshare", "-m", "sh", "-c", script, "sh", AUTONOMY, "run",
                "--dir", os.path.join(d, "wal"), "--ld-preload", SHIM,
                "--preload-exec-allowlist", LISTED, "--", PROBE, "getpid"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("vm.memfd_noexec", r.stderr)
        self.assertIn("--no-landlock", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "wal")))
        # the control: --no-landlock runs there, without the backing
        args[args.index("--ld-preload"):args.index("--ld-preload")] = [
            "--no-landlock"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "getpid=ESRCH")

    def test_listed_path_must_exist(self):
        marker = os.path.join(self.tmp, "ran")
        missing = os.path.join(self.tmp, "missing")
        cases = [
            ([LISTED + "," + missing],
             "--preload-exec-allowlist %s: No such file or directory "
             "(Landlock grants EXECUTE on existing files only" % missing),
            ([self.tmp],
             "--preload-exec-allowlist %s: not a regular file" % self.tmp),
        ]
        for vals, words in cases:
            r = run(["run", "--dir", self.wal, "--ld-preload", SHIM,
                     "--preload-exec-allowlist", vals[0], "touch", marker])
            self.assertEqual(r.returncode, 64, r.stderr)
            self.assertIn(words, r.stderr)
            self.assertIn("nothing was run", r.stderr)
            self.assertFalse(os.path.exists(marker))
            self.assertFalse(os.path.exists(self.wal))
        # with --no-landlock the shim's own rule holds: a path that does
        # not exist is listed as written
        r = run(["run", "--dir", self.wal, "--no-landlock", "--ld-preload",
                 SHIM, "--preload-exec-allowlist", missing, "true"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(WARNING, r.stderr)


if __name__ == "__main__":
    unittest.main()
