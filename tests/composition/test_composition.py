"""Bypass resistance of the workload sandbox as a whole (issue 5): one
deliberately malicious workload (malicious_workload.c) under every layer at
once, then the same workload with layers removed, one (or where defence in
depth needs it, a few) at a time. Every run's stdout is asserted in full,
so each variant shows the vectors its layer stops getting through and
every other line unchanged. README.md beside this file explains each
vector, the layer that stops it, and each variant.

No packet can leave the machine: every run happens inside a network (and
pid) namespace this test creates, with loopback and an interface that
routes 192.0.2.0/24 (TEST-NET-1) to nowhere; with --net none the workload
is in a namespace of its own inside that one."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from harness import AUTONOMY, ROOT, TestCase, attrs, inspect  # noqa: E402
from test_bundle import MANIFEST, make_bundle  # noqa: E402
from test_landlock import ABI  # noqa: E402
from test_net import can_unshare_net, has_sys_admin  # noqa: E402

BUILD = os.path.dirname(os.path.dirname(os.path.realpath(AUTONOMY)))
WORKLOAD = os.environ.get("AUTONOMY_MALICIOUS_WORKLOAD") or os.path.join(
    BUILD, "tests", "malicious_workload")
NOSHIM = os.environ.get("AUTONOMY_COMPOSITION_NOSHIM") or os.path.join(
    BUILD, "tests", "libcomposition_noshim.so")
PROBE = os.environ.get("AUTONOMY_LANDLOCK_PROBE") or os.path.join(
    BUILD, "tests", "landlock_probe")
SHIM = os.path.realpath(os.path.join(BUILD, "preload",
                                     "libautonomy_preload.so"))
IP = shutil.which("ip", path=os.environ.get("PATH", "") +
                  ":/usr/sbin:/sbin:/usr/bin:/bin")
LISTED = "/usr/bin/true"
UNLISTED = "/bin/echo"
LIBDIR = "/usr/lib/x86_64-linux-gnu"
LISTED_LIB = LIBDIR + "/libm.so.6"     # the bundle's dlopen_allowlist
UNLISTED_LIB = LIBDIR + "/libz.so.1"   # what dlopen_unlisted tries
# Landlock grants TCP connect to this port (and the runtime's); the
# connect vectors go to 192.0.2.1:80, a port it does not grant.
CONNECT_LIST = "192.0.2.10:443"

# memfd_exec_bypass: Landlock does not see a memfd (a kernel-internal
# mount); the backing is vm.memfd_noexec=2, set in a pid namespace above
# the workload's whenever the exec allow-list has its Landlock ruleset
# (--no-landlock drops both). The workload first tries to write the
# sysctl back to 0 (with --lower-memfd-noexec), which once worked when
# the value was set in its own namespace (README.md, memfd_exec_bypass).

VECTORS = [
    ("execve_unlisted", "DENIED EPERM"),             # shim
    ("dlopen_unlisted", "DENIED EPERM"),             # shim
    ("connect_unlisted", "DENIED EPERM"),            # shim
    ("mount_seccomp", "DENIED EPERM"),               # seccomp
    ("raw_socket_cap", "DENIED EPERM"),              # --cap-drop NET_RAW
    ("root_write_rofs", "DENIED EROFS"),             # --read-only-rootfs
    ("static_exec_bypass", "DENIED EACCES"),         # Landlock EXECUTE
    ("raw_syscall_connect_bypass", "DENIED EACCES"),  # Landlock port rule
    ("io_uring_bypass", "DENIED EPERM"),             # seccomp
    ("memfd_exec_bypass", "DENIED EACCES"),          # vm.memfd_noexec=2
    ("udp_sendto_bypass", "DENIED ENETUNREACH"),     # network namespace
    ("ptrace_attach", "DENIED EPERM"),               # seccomp
]
POSITIVES = ["tmpfs_write", "loopback_passthrough", "allowlisted_exec"]

# The test's own network namespace: lo, and 192.0.2.2/24 on an interface
# that goes nowhere, so that with --net host a connect to 192.0.2.1 is
# routed (EINPROGRESS) and a UDP sendto returns its byte count, and
# nothing leaves. A dummy interface where the kernel has one, else a veth
# pair whose peer stays down in the same throw-away namespace.
NETNS_SETUP = r"""
set -e
"$IP" link set lo up
"$IP" link add d0 type dummy 2>/dev/null ||
  "$IP" link add d0 type veth peer name d1
"$IP" addr add 192.0.2.2/24 dev d0
"$IP" link set d0 up
"$@"
"""

SHIM_LINES = [
    "autonomy-preload: execve(%s) denied by AUTONOMY_PRELOAD_EXEC_ALLOWLIST"
    % UNLISTED,
    "autonomy-preload: dlopen(%s) denied by AUTONOMY_PRELOAD_DLOPEN_ALLOWLIST"
    % UNLISTED_LIB,
    "autonomy-preload: connect(192.0.2.1:80) denied by "
    "AUTONOMY_PRELOAD_CONNECT_ALLOWLIST",
]


def expected_stdout(changes, memfd_backed=True):
    """The full run's lines with `changes` ({vector: outcome}) applied;
    memfd_backed: the run has the exec list's memfd backing."""
    lines = ["WORKLOAD_START"]
    for name, outcome in VECTORS:
        if name == "memfd_exec_bypass" and not memfd_backed:
            outcome = "ALLOWED"
        outcome = changes.get(name, outcome)
        lines.append("VECTOR %s: %s" % (name, outcome))
    lines += ["POSITIVE %s: OK" % p for p in POSITIVES]
    lines.append("WORKLOAD_END")
    return "\n".join(lines) + "\n"


def io_uring_disabled():
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            return int(f.read()) != 0
    except OSError:
        return False


def can_unshare_pid():
    return subprocess.run(["unshare", "--pid", "--fork", "true"],
                          capture_output=True).returncode == 0


def missing():
    """Why this machine cannot run the proof, or None."""
    for path in (WORKLOAD, NOSHIM, PROBE, SHIM, LISTED, UNLISTED,
                 LISTED_LIB, UNLISTED_LIB):
        if not os.path.exists(path):
            return "no " + path
    if IP is None:
        return "no ip (iproute2)"
    if not (has_sys_admin() and can_unshare_net() and can_unshare_pid()):
        return "needs root where network and pid namespaces are allowed"
    if ABI < 4:
        return "needs Landlock ABI 4 (Linux 6.7)"
    return None


@unittest.skipIf(missing(), missing())
class Composition(TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="autonomy-composition.")
        with open(os.path.join(ROOT, "policies", "demo.cedar")) as f:
            demo = f.read()
        cls.bundle = make_bundle(
            cls.root, dict(MANIFEST, name="composition",
                           schema_version="1.5",
                           dlopen_allowlist={"paths": [LISTED_LIB]}),
            policies={"demo.cedar": demo}, name="bundle")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        super().setUp()
        # root_write_rofs writes here: a directory of the test's on the
        # host's root filesystem (not /tmp, which the workload's tmpfs
        # hides), removed afterwards.
        self.host_dir = tempfile.mkdtemp(prefix="autonomy-composition.",
                                         dir="/var/tmp")
        self.addCleanup(shutil.rmtree, self.host_dir, True)
        self.wal = os.path.join(tempfile.mkdtemp(
            prefix="autonomy-composition.", dir=self.root), "wal")

    def flags(self, seccomp=True, caps=True, rofs=True, shim=SHIM,
              landlock=True, net=None):
        """`autonomy run` flags: every layer unless told otherwise.
        shim=None gives no --ld-preload and so none of the list flags
        either (they need it)."""
        f = []
        if not seccomp:
            f.append("--no-seccomp")
        if caps:
            f += ["--cap-drop", "NET_RAW,SYS_PTRACE"]
        if rofs:
            f.append("--read-only-rootfs")
        f += ["--tmpfs", "/tmp"]
        if shim:
            f += ["--ld-preload", shim,
                  "--preload-exec-allowlist", LISTED + "," + PROBE,
                  "--preload-connect-allowlist", CONNECT_LIST,
                  "--dlopen-allowlist-from-bundle", self.bundle]
        if not landlock:
            f.append("--no-landlock")
        if net:
            f += ["--net", net]
        return f

    def run_workload(self, flags, lower_memfd_noexec=True):
        e = dict(os.environ)
        e.pop("AUTONOMY_RUN_WAL_DIR", None)
        e["IP"] = IP
        cmd = ["unshare", "--net", "--pid", "--fork", "--",
               "sh", "-c", NETNS_SETUP, "sh",
               AUTONOMY, "run", "--dir", self.wal] + flags + [
               "--", WORKLOAD, "--static-probe", PROBE,
               "--unlisted-exec", UNLISTED, "--listed-exec", LISTED,
               "--unlisted-lib", UNLISTED_LIB, "--host-dir", self.host_dir]
        if lower_memfd_noexec:
            cmd.append("--lower-memfd-noexec")
        # cwd /: the spawner enters the caller's cwd in the workload's
        # tree, where a directory under /tmp is hidden by the tmpfs
        r = subprocess.run(cmd, env=e, cwd="/", capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def layers(self):
        """[(layer, net mode)] in WAL order, and the opt-out kinds."""
        recs = inspect(self.wal)
        kinds = [x["kind"] for x in recs]
        start = kinds.index("workload.start")
        got = [(attrs(x)["layer"], attrs(x).get("mode"))
               for x in recs[:start] if x["kind"] == "sandbox.layer"]
        self.assertNotIn("sandbox.layer", kinds[start:])
        return got, [k for k in kinds if k.endswith("-opt-out")]

    def check(self, changes, lower_memfd_noexec=True, **layers):
        """Runs the workload with `layers` (flags() keywords) and asserts
        its whole stdout, the layers recorded, the shim's lines and the
        host directory."""
        flags = self.flags(**layers)
        shim = layers.get("shim", SHIM)
        # an exec list with its Landlock ruleset brings the memfd backing
        landlock = layers.get("landlock", True) and shim is not None
        r = self.run_workload(flags, lower_memfd_noexec)
        self.assertEqual(r.stdout, expected_stdout(changes, landlock),
                         "flags: %s\nstderr:\n%s" % (flags, r.stderr))
        # the layers in force were the ones asked for
        net = layers.get("net") or ("none" if shim else "host")
        want = ([("preload", None)] if shim else []) + [("net", net)]
        if landlock:
            want += [("pid", None), ("memfd_noexec", None)]
        want += [("mounts", None)]
        want += [("capabilities", None)] if layers.get("caps", True) else []
        want += [("no_new_privs", None)]
        want += [("landlock", None)] if landlock else []
        want += [("seccomp", None)] if layers.get("seccomp", True) else []
        opt_outs = []
        if not layers.get("seccomp", True):
            opt_outs.append("seccomp-opt-out")
        if not layers.get("landlock", True):
            opt_outs.append("landlock-opt-out")
        got, got_opt_outs = self.layers()
        self.assertEqual(got, want)
        self.assertEqual(sorted(got_opt_outs), sorted(opt_outs))
        # the EPERMs of the first three vectors are the shim's own
        for line in SHIM_LINES:
            if shim == SHIM:
                self.assertIn(line, r.stderr.splitlines())
        if shim != SHIM:
            self.assertNotIn("autonomy-preload:", r.stderr)
        # root_write_rofs: on the host exactly when it got through
        written = os.path.join(self.host_dir, "root-write")
        if changes.get("root_write_rofs") == "ALLOWED":
            with open(written) as f:
                self.assertEqual(f.read(), "x")
        else:
            self.assertFalse(os.path.exists(written))
        return r

    # ---- every layer -----------------------------------------------------

    def test_all_layers(self):
        self.check({})

    # ---- seccomp -----------------------------------------------------------

    @unittest.skipIf(io_uring_disabled(), "kernel.io_uring_disabled is set")
    def test_without_seccomp(self):
        # mount stays EPERM: a Landlock domain forbids any change to the
        # mount topology (the exec ruleset is a filesystem ruleset), so
        # Landlock backs seccomp there; the pair below shows it
        self.check({"io_uring_bypass": "ALLOWED",
                    "ptrace_attach": "ALLOWED"}, seccomp=False)

    @unittest.skipIf(io_uring_disabled(), "kernel.io_uring_disabled is set")
    def test_without_seccomp_and_landlock(self):
        self.check({"mount_seccomp": "ALLOWED",
                    "io_uring_bypass": "ALLOWED",
                    "ptrace_attach": "ALLOWED",
                    "static_exec_bypass": "ALLOWED",
                    "raw_syscall_connect_bypass": "DENIED ENETUNREACH"},
                   seccomp=False, landlock=False)

    # ---- capabilities ------------------------------------------------------

    def test_without_cap_drop(self):
        self.check({"raw_socket_cap": "ALLOWED"}, caps=False)

    # ---- read-only root ----------------------------------------------------

    def test_without_read_only_rootfs(self):
        # the write lands in the host directory (check() reads it back);
        # /proc is writable too: the workload's write of
        # vm.memfd_noexec=0 fails (EINVAL: its parent namespace's 2 is
        # the floor) and the memfd stays refused
        self.check({"root_write_rofs": "ALLOWED"}, rofs=False)

    def test_without_read_only_rootfs_memfd_sysctl_untouched(self):
        # the same run without the workload's write of vm.memfd_noexec=0:
        # the backing is in force, and only that write defeats it
        self.check({"root_write_rofs": "ALLOWED"}, lower_memfd_noexec=False,
                   rofs=False)

    # ---- the shim ----------------------------------------------------------

    def test_without_the_shim(self):
        # a preload library that wraps nothing instead of the shim: the
        # list flags (and so Landlock and the namespace) stay. Landlock
        # now refuses the exec and the connect (EACCES, not the shim's
        # EPERM); nothing else checks dlopen
        self.check({"execve_unlisted": "DENIED EACCES",
                    "dlopen_unlisted": "ALLOWED",
                    "connect_unlisted": "DENIED EACCES"}, shim=NOSHIM)

    def test_without_the_shim_and_landlock(self):
        self.check({"execve_unlisted": "ALLOWED",
                    "dlopen_unlisted": "ALLOWED",
                    "connect_unlisted": "DENIED ENETUNREACH",
                    "static_exec_bypass": "ALLOWED",
                    "raw_syscall_connect_bypass": "DENIED ENETUNREACH"},
                   shim=NOSHIM, landlock=False)

    def test_without_the_shim_landlock_and_namespace(self):
        # the connect the shim refused first gets through only with all
        # three of its layers gone
        self.check({"execve_unlisted": "ALLOWED",
                    "dlopen_unlisted": "ALLOWED",
                    "connect_unlisted": "ALLOWED",
                    "static_exec_bypass": "ALLOWED",
                    "raw_syscall_connect_bypass": "ALLOWED",
                    "udp_sendto_bypass": "ALLOWED"},
                   shim=NOSHIM, landlock=False, net="host")

    def test_without_ld_preload(self):
        # the literal removal: no --ld-preload, hence no list flags, hence
        # no Landlock ruleset and no implied --net none (given here): the
        # same outcome as the shim and Landlock both removed
        self.check({"execve_unlisted": "ALLOWED",
                    "dlopen_unlisted": "ALLOWED",
                    "connect_unlisted": "DENIED ENETUNREACH",
                    "static_exec_bypass": "ALLOWED",
                    "raw_syscall_connect_bypass": "DENIED ENETUNREACH"},
                   shim=None, net="none")

    # ---- Landlock ----------------------------------------------------------

    def test_without_landlock(self):
        # the raw connect then meets the namespace (no route)
        self.check({"static_exec_bypass": "ALLOWED",
                    "raw_syscall_connect_bypass": "DENIED ENETUNREACH"},
                   landlock=False)

    # ---- network namespace -------------------------------------------------

    def test_on_the_host_network(self):
        # --net host: the test's namespace, where 192.0.2.1 is routed;
        # the raw connect is still refused by Landlock's port rule
        self.check({"udp_sendto_bypass": "ALLOWED"}, net="host")

    def test_on_the_host_network_without_landlock(self):
        self.check({"static_exec_bypass": "ALLOWED",
                    "raw_syscall_connect_bypass": "ALLOWED",
                    "udp_sendto_bypass": "ALLOWED"},
                   net="host", landlock=False)


if __name__ == "__main__":
    unittest.main()
