"""--image REF (issue 5): the workload runs with an image as its / in its
own mount, pid, ipc and uts namespaces, with a fresh /proc and a minimal
/dev. The images are built here, at test time: a root filesystem
directory holding a static busybox and the static sandbox probe, and an
OCI image layout (python tarfile + json + hashlib) of two layers whose
second one whites out files of the first. Every claim is checked from
inside the workload, with a positive control beside each refusal."""
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import unittest
import uuid

from harness import AUTONOMY, ROOT, TestCase, attrs, inspect, run

PROBE = os.environ.get("AUTONOMY_SANDBOX_PROBE_STATIC") or os.path.join(
    ROOT, "build", "tests", "sandbox_probe_static")
BUSYBOX = "/bin/busybox"  # Debian's busybox-static
SHIM = os.path.realpath(os.path.join(os.path.dirname(AUTONOMY), "..",
                                     "preload", "libautonomy_preload.so"))
APPLETS = ["sh", "cat", "ls", "hostname", "echo", "test", "wget", "touch",
           "sleep", "kill", "readlink", "env", "id", "pwd", "grep"]
DEV = {"fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout",
       "urandom", "zero"}


def has_sys_admin():
    with open("/proc/self/status") as f:
        eff = [l for l in f if l.startswith("CapEff:")][0].split()[1]
    return int(eff, 16) & (1 << 21)


def static_busybox():
    try:
        with open(BUSYBOX, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    # a static binary has no PT_INTERP, hence no loader path
    return b"ld-linux" not in head


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def make_rootfs(d, mount_points=True):
    """A root filesystem: busybox and its applets, the static probe,
    /etc/marker, /tmp (and /proc, /dev unless told not to)."""
    os.makedirs(os.path.join(d, "bin"))
    shutil.copy(BUSYBOX, os.path.join(d, "bin", "busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(d, "bin", a))
    shutil.copy(PROBE, os.path.join(d, "bin", "probe"))
    write(os.path.join(d, "etc", "marker"), "image\n")
    for sub in ["tmp"] + (["proc", "dev"] if mount_points else []):
        os.makedirs(os.path.join(d, sub))
    return d


class Layout:
    """An OCI image layout, written blob by blob."""

    def __init__(self, d):
        self.dir = d
        os.makedirs(os.path.join(d, "blobs", "sha256"))
        write(os.path.join(d, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data):
        h = hashlib.sha256(data).hexdigest()
        write(os.path.join(self.dir, "blobs", "sha256", h), data)
        return {"digest": "sha256:" + h, "size": len(data)}

    def finish(self, layers, tag="v1", config=None):
        """layers: [(tar bytes, gzip?)]; config: the image config's
        "config" object. Returns the manifest digest."""
        descs = []
        for data, gz in layers:
            d = self.blob(data)
            d["mediaType"] = ("application/vnd.oci.image.layer.v1.tar" +
                              ("+gzip" if gz else ""))
            descs.append(d)
        config = self.blob(json.dumps({
            "architecture": "amd64", "os": "linux", "config": config or {},
            "rootfs": {"type": "layers", "diff_ids": []}}).encode())
        config["mediaType"] = "application/vnd.oci.image.config.v1+json"
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config, "layers": descs}).encode()
        m = self.blob(manifest)
        m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
        m["annotations"] = {"org.opencontainers.image.ref.name": tag}
        write(os.path.join(self.dir, "index.json"),
              json.dumps({"schemaVersion": 2, "manifests": [m]}))
        return m["digest"]


def tar_of(entries, gz=False):
    """entries: (name, bytes | None for a directory | ("link", target))."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            if data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            elif isinstance(data, tuple):
                ti.type, ti.linkname = tarfile.SYMTYPE, data[1]
                t.addfile(ti)
            else:
                ti.size, ti.mode = len(data), 0o755
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def tar_tree(d):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        t.add(d, arcname=".")
    return buf.getvalue()


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid) as f:
            return f.read().replace("\0", " ")
    except OSError:
        return ""


def child_named(pid, ppid, comm):
    """pid is named comm (and a child of ppid unless None)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    name = st[st.index("(") + 1:st.rindex(")")]
    parent = int(st[st.rindex(")") + 2:].split()[1])
    return name == comm and (ppid is None or parent == ppid)


def ns(pid, kind):
    return os.readlink("/proc/%s/ns/%s" % (pid, kind))


@unittest.skipUnless(has_sys_admin(), "needs CAP_SYS_ADMIN (root)")
@unittest.skipUnless(static_busybox(), "needs a static /bin/busybox "
                     "(busybox-static; scripts/install-deps.sh)")
class Image(TestCase):
    def setUp(self):
        super().setUp()
        self.tmp = self.tmpdir()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.root = make_rootfs(os.path.join(self.tmp, "root"))
        self.cache = os.path.join(self.tmp, "cache")
        self.name = "autonomy-img-" + uuid.uuid4().hex[:12]

    def wal(self):
        return os.path.join(self.tmpdir(), "wal")

    def sh(self, script, flags=(), image=None, code=0, waldir=None):
        """Runs /bin/sh -c SCRIPT in the image; its stdout lines."""
        args = ["run"] + (["--dir", waldir] if waldir else [])
        args += ["--image", image or self.root, "--cache-dir", self.cache]
        r = run(args + list(flags) + ["--", "/bin/sh", "-c", script])
        self.assertEqual(r.returncode, code, r.stderr)
        return r.stdout.splitlines(), r.stderr

    def probe(self, calls, **kw):
        out, _ = self.sh("exec /bin/probe " + " ".join(calls), **kw)
        return dict(line.split("=", 1) for line in out)

    def image_record(self, d):
        recs = inspect(d)
        kinds = [x["kind"] for x in recs]
        start = kinds.index("workload.start")
        img = [(i, x) for i, x in enumerate(recs)
               if x["kind"] == "sandbox.layer" and
               attrs(x)["layer"] == "image"]
        self.assertEqual(len(img), 1, recs)
        i, x = img[0]
        self.assertLess(i, start)
        self.assertEqual(x["origin"], "spawner")
        return attrs(x)

    # ---- a root filesystem directory ---------------------------------

    def test_rootfs_is_the_workloads_root(self):
        host_only = "/tmp/" + self.name
        write(host_only, "host\n")
        self.addCleanup(os.unlink, host_only)
        d = self.wal()
        out = self.probe(["read:/etc/marker", "read:" + host_only,
                          "read:/bin/busybox", "read:" + AUTONOMY], waldir=d)
        self.assertEqual(out["read:/etc/marker"], "0")  # the image's file
        self.assertEqual(out["read:/bin/busybox"], "0")
        self.assertEqual(out["read:" + host_only], "ENOENT")  # not the host
        self.assertEqual(out["read:" + AUTONOMY], "ENOENT")
        a = self.image_record(d)
        self.assertEqual(a["ref"], self.root)
        self.assertEqual(a["kind"], "rootfs")
        self.assertEqual(a["rootfs"], os.path.realpath(self.root))
        self.assertNotIn("digest", a)
        self.assertEqual(a["namespaces"],
                         "mount,pid,ipc,uts (network: the host's)")
        self.assertEqual(a["hostname"], "autonomy")
        # the root stays writable without --read-only-rootfs (a
        # directory of the user's), the control for the EROFS below
        out = self.probe(["write:/etc/" + self.name])
        self.assertEqual(out["write:/etc/" + self.name], "0")
        self.assertTrue(os.path.exists(
            os.path.join(self.root, "etc", self.name)))

    def test_pid_namespace_and_proc(self):
        script = ("echo self=$$; for p in /proc/[0-9]*; do "
                  "echo pid=${p#/proc/}; done; cat /proc/1/comm")
        out, _ = self.sh(script)
        self.assertEqual(out[-1], "autonomy-init")
        pids = {int(l[4:]) for l in out if l.startswith("pid=")}
        self.assertIn("self=2", out)  # pid 1 is the namespace's init
        self.assertEqual(pids, {1, 2})  # /proc shows only the workload's
        self.assertNotIn(os.getpid(), pids)

    def test_namespaces_and_hostname(self):
        kinds = ["mnt", "pid", "ipc", "uts", "net"]
        out, _ = self.sh("hostname; for k in %s; do readlink "
                         "/proc/self/ns/$k; done" % " ".join(kinds))
        self.assertEqual(out[0], "autonomy")
        self.assertNotEqual(socket.gethostname(), "autonomy")
        for k, inside in zip(kinds, out[1:]):
            if k == "net":  # the host's network, by default
                self.assertEqual(inside, ns("self", k))
            else:
                self.assertNotEqual(inside, ns("self", k), k)
        self.assertNotEqual(socket.gethostname(), "autonomy")

    def test_minimal_dev(self):
        out, _ = self.sh("ls /dev; echo x > /dev/null && echo null=ok; "
                         "exec /bin/probe read:/dev/mem read:/dev/sda "
                         "read:/dev/kmsg read:/dev/urandom read:/dev/zero "
                         "write:/dev/" + self.name)
        names = set(out[:out.index("null=ok")])
        self.assertEqual(names - {"tty"}, DEV)
        res = dict(l.split("=", 1) for l in out[out.index("null=ok") + 1:])
        for dev in ("/dev/mem", "/dev/sda", "/dev/kmsg"):
            self.assertEqual(res["read:" + dev], "ENOENT", dev)
        self.assertEqual(res["read:/dev/urandom"], "0")  # the control
        self.assertEqual(res["read:/dev/zero"], "0")
        # /dev is read-only: no node or file can be made there
        self.assertEqual(res["write:/dev/" + self.name], "EROFS")

    def test_runtime_reachable_from_inside(self):
        out, _ = self.sh('wget -qO- "$AUTONOMY_RUNTIME_URL/v1/health"; '
                         'echo')
        self.assertEqual(json.loads(out[0]), {"status": "ok"})

    def test_net_none_inside_the_image(self):
        # both namespaces at once: the image's root and a network of
        # its own (loopback only), the runtime still answering in it
        out, _ = self.sh('sed -n "3,\$p" /proc/net/dev | cut -d: -f1 | '
                         'tr -d " "; '
                         'wget -qO- "$AUTONOMY_RUNTIME_URL/v1/health"; echo',
                         flags=["--net", "none"])
        self.assertEqual(out[0], "lo")
        self.assertEqual(json.loads(out[1]), {"status": "ok"})
        # the control: without --net none the host's interfaces show
        out, _ = self.sh('sed -n "3,\$p" /proc/net/dev | cut -d: -f1 | '
                         'tr -d " "')
        self.assertGreater(len(out), 1)

    def test_read_only_rootfs_and_tmpfs_inside(self):
        d = self.wal()
        out = self.probe(["write:/etc/" + self.name,
                          "write:/tmp/" + self.name],
                         flags=["--read-only-rootfs", "--tmpfs", "/tmp"],
                         waldir=d)
        self.assertEqual(out["write:/etc/" + self.name], "EROFS")
        self.assertEqual(out["write:/tmp/" + self.name], "0")
        # the tmpfs was the image's /tmp, in the workload's namespace
        self.assertEqual(os.listdir(os.path.join(self.root, "tmp")), [])
        self.assertFalse(os.path.exists("/tmp/" + self.name))
        self.assertFalse(os.path.exists(
            os.path.join(self.root, "etc", self.name)))
        recs = [attrs(x) for x in inspect(d) if x["kind"] == "sandbox.layer"]
        # the order the child applies them: net (joined first), image
        # (the new root), then the mounts inside it
        self.assertEqual([a["layer"] for a in recs][:3],
                         ["net", "image", "mounts"])
        self.assertEqual(recs[2]["tmpfs.0"],
                         "/tmp nosuid,nodev,noexec,size=64m,mode=1777")

    def test_writable_mount_inside(self):
        host = self.tmpdir()
        self.addCleanup(shutil.rmtree, host, True)
        os.makedirs(os.path.join(self.root, "data"))
        out = self.probe(["write:/data/" + self.name],
                         flags=["--read-only-rootfs", "--writable-mount",
                                host + ":/data"])
        self.assertEqual(out["write:/data/" + self.name], "0")
        self.assertTrue(os.path.exists(os.path.join(host, self.name)))

    # ---- exit status and signals -------------------------------------

    def test_exit_status(self):
        self.sh("exit 7", code=7)
        self.sh("kill -TERM $$", code=128 + signal.SIGTERM)
        r = run(["run", "--image", self.root, "--", "/bin/" + self.name])
        self.assertEqual(r.returncode, 127, r.stderr)
        self.assertIn("/bin/" + self.name, r.stderr)

    def signalled(self, sig):
        p = subprocess.Popen(
            [AUTONOMY, "run", "--image", self.root, "--", "/bin/sh", "-c",
             "ulimit -c 0; echo ready; exec sleep 60"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(p.stdout.readline(), "ready\n")
            time.sleep(0.2)  # sh has exec'd sleep
            p.send_signal(sig)
            _, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        return p.returncode, err

    def test_signals_reach_the_workload(self):
        # autonomy forwards to pid 1, which forwards to the workload
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP,
                    signal.SIGQUIT):
            code, err = self.signalled(sig)
            self.assertEqual(code, 128 + sig, "%s: %s" % (sig, err))

    def test_fail_closed_stops_the_namespace(self):
        # policyd dies: autonomy stops the workload through pid 1 and
        # exits 70; nothing of the namespace is left
        p = subprocess.Popen(
            [AUTONOMY, "run", "--image", self.root, "--", "/bin/sh", "-c",
             "echo ready; exec sleep 61"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(p.stdout.readline(), "ready\n")
            policyd = [int(d) for d in os.listdir("/proc") if d.isdigit()
                       and child_named(int(d), p.pid, "policyd")]
            self.assertEqual(len(policyd), 1)
            os.kill(policyd[0], signal.SIGKILL)
            _, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 70, err)
        self.assertIn("stopping the workload", err)
        self.assertFalse(any(child_named(int(d), None, "sleep")
                             for d in os.listdir("/proc") if d.isdigit()
                             and "sleep 61" in cmdline(int(d))))

    # ---- an OCI image layout -----------------------------------------

    def layout(self):
        """Layer 1: the root filesystem (no /proc or /dev: unpacking adds
        them), /etc/gone, /etc/keep, /opt/old/a. Layer 2 (gzip): whiteout
        of /etc/gone, /opt/old made opaque, /opt/old/b, /etc/added."""
        base = make_rootfs(os.path.join(self.tmp, "base"), False)
        write(os.path.join(base, "etc", "gone"), "gone\n")
        write(os.path.join(base, "etc", "keep"), "keep\n")
        write(os.path.join(base, "opt", "old", "a"), "a\n")
        lo = Layout(os.path.join(self.tmp, "layout"))
        top = tar_of([("etc/.wh.gone", b""), ("etc/added", b"added\n"),
                      ("opt/old/.wh..wh..opq", b""),
                      ("opt/old/b", b"b\n")], gz=True)
        digest = lo.finish([(tar_tree(base), False), (top, True)])
        return lo.dir, digest

    def test_oci_layout_whiteouts_and_cache_reuse(self):
        ref, digest = self.layout()
        d = self.wal()
        files = ["/etc/keep", "/etc/added", "/opt/old/b", "/etc/gone",
                 "/opt/old/a", "/etc/marker"]
        out = self.probe(["read:" + f for f in files] +
                         ["write:/etc/" + self.name], image=ref, waldir=d)
        for f in ("/etc/keep", "/etc/added", "/opt/old/b", "/etc/marker"):
            self.assertEqual(out["read:" + f], "0", f)
        # whited out by layer 2 (a file; an opaque directory's content)
        self.assertEqual(out["read:/etc/gone"], "ENOENT")
        self.assertEqual(out["read:/opt/old/a"], "ENOENT")
        # the cache is never the workload's to change
        self.assertEqual(out["write:/etc/" + self.name], "EROFS")
        tree = os.path.join(self.cache, "images", "v1", digest[7:])
        self.assertTrue(os.path.isdir(os.path.join(tree, "proc")))
        a = self.image_record(d)
        self.assertEqual(a["kind"], "oci-layout")
        self.assertEqual(a["digest"], digest)
        self.assertEqual(a["rootfs"], tree)
        self.assertEqual(a["ref"], ref)
        self.assertTrue(a["root"].startswith("read-only"))
        self.assertEqual([n for n in os.listdir(os.path.dirname(tree))
                          if ".partial." in n], [])
        # The second run uses the cached tree: the layers are gone from
        # the layout and a file put into the tree is there.
        write(os.path.join(tree, "etc", "cached"), "yes\n")
        with open(os.path.join(ref, "index.json")) as f:
            mdesc = json.load(f)["manifests"][0]["digest"][7:]
        with open(os.path.join(ref, "blobs", "sha256", mdesc)) as f:
            for layer in json.load(f)["layers"]:
                os.unlink(os.path.join(ref, "blobs", "sha256",
                                       layer["digest"][7:]))
        out = self.probe(["read:/etc/cached"], image=ref + ":v1")
        self.assertEqual(out["read:/etc/cached"], "0")

    def test_oci_layout_tmpfs_and_mount_points_in_the_image(self):
        ref, _ = self.layout()
        out = self.probe(["write:/tmp/" + self.name],
                         flags=["--tmpfs", "/tmp"], image=ref)
        self.assertEqual(out["write:/tmp/" + self.name], "0")
        # /srv exists on the host, not in the image: refused by name
        if os.path.isdir("/srv"):
            r = run(["run", "--image", ref, "--cache-dir", self.cache,
                     "--tmpfs", "/srv", "--", "/bin/true"])
            self.assertEqual(r.returncode, 64, r.stderr)
            self.assertIn("--tmpfs /srv: the mount point does not exist "
                          "in the image", r.stderr)

    # ---- the image config: User, WorkingDir, Env -----------------------

    PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
              "# a comment line\n"
              "app:x:1234:2345:the app:/home/app:/bin/sh\n"
              "first:x:1500:1500::/:/bin/sh\n")
    GROUP = ("root:x:0:\n"
             "app:x:2345:\n"
             "wheel:x:10:root,app\n"
             "audio:x:29:app,first\n"
             "other:x:30:root\n")

    def config_image(self, config, etc=True, name="cfg", passwd=None):
        """An image layout of the test root filesystem (with the image's
        own /etc/passwd and /etc/group unless etc is false) and config
        as its image config."""
        base = make_rootfs(os.path.join(self.tmp, name + "-base"), False)
        if etc:
            write(os.path.join(base, "etc", "passwd"), passwd or self.PASSWD)
            write(os.path.join(base, "etc", "group"), self.GROUP)
        os.makedirs(os.path.join(base, "srv", "work"))
        os.makedirs(os.path.join(base, "imgbin"))
        write(os.path.join(base, "imgbin", "fromimg"),
              "#!/bin/sh\necho from-the-image-path\n", 0o755)
        lo = Layout(os.path.join(self.tmp, name + "-layout"))
        lo.finish([(tar_tree(base), False)], config=config)
        return lo.dir

    def root_owned_dir(self):
        """A host directory owned by root, 0755, holding a root-owned
        0644 file: for --writable-mount."""
        d = self.tmpdir()
        self.addCleanup(shutil.rmtree, d, True)
        os.chown(d, 0, 0)
        os.chmod(d, 0o755)
        write(os.path.join(d, "rootfile"), "root\n", 0o644)
        os.chown(os.path.join(d, "rootfile"), 0, 0)
        return d

    def test_config_user_numeric(self):
        ref = self.config_image({"User": "1000:1000"})
        data = self.root_owned_dir()
        d = self.wal()
        flags = ["--tmpfs", "/tmp", "--writable-mount", data + ":/srv/work"]
        out, err = self.sh(
            "id -u; id -g; grep '^Groups:' /proc/self/status; "
            "echo x >> /srv/work/rootfile 2>/dev/null && echo append=0 || "
            "echo append=EACCES; "
            "exec /bin/probe write:/srv/work/" + self.name +
            " write:/tmp/" + self.name,
            image=ref, flags=flags, waldir=d)
        self.assertEqual(out[:3], ["1000", "1000", "Groups:\t "], err)
        self.assertEqual(out[3], "append=EACCES")
        res = dict(line.split("=", 1) for line in out[4:])
        # root's directory refuses the uid; its own tmpfs does not
        self.assertEqual(res["write:/srv/work/" + self.name], "EACCES")
        self.assertEqual(res["write:/tmp/" + self.name], "0")
        with open(os.path.join(data, "rootfile")) as f:
            self.assertEqual(f.read(), "root\n")
        a = self.image_record(d)
        self.assertEqual(a["user"], "1000:1000")
        self.assertIn("setresuid", a["user_switch"])
        self.assertEqual(a["workdir"], "/ (no WorkingDir in the image config)")
        # the control: the same run without User is root and writes
        ref0 = self.config_image({}, name="root")
        out, _ = self.sh("id -u; id -g; echo x >> /srv/work/rootfile && "
                         "echo append=0", image=ref0, flags=flags,
                         waldir=self.wal())
        self.assertEqual(out, ["0", "0", "append=0"])

    def test_config_user_named_from_the_images_etc(self):
        # the names exist in the image only, never on the host
        ref = self.config_image({"User": "app"})
        d = self.wal()
        out, err = self.sh("id -u; id -g; grep '^Groups:' /proc/self/status",
                           image=ref, waldir=d)
        # app's gid from /etc/passwd; wheel and audio list it
        self.assertEqual(out, ["1234", "2345", "Groups:\t10 29 "], err)
        self.assertEqual(self.image_record(d)["user"], "app")
        # USER:GROUP: the group's gid, no supplementary groups (Docker)
        ref = self.config_image({"User": "app:wheel"}, name="appwheel")
        out, err = self.sh("id -u; id -g; grep '^Groups:' /proc/self/status",
                           image=ref)
        self.assertEqual(out, ["1234", "10", "Groups:\t "], err)
        # a numeric uid with a passwd entry: that entry's gid and groups
        ref = self.config_image({"User": "1500"}, name="uid1500")
        out, err = self.sh("id -u; id -g; grep '^Groups:' /proc/self/status",
                           image=ref)
        self.assertEqual(out, ["1500", "1500", "Groups:\t29 "], err)

    def test_config_user_refused_before_the_workload(self):
        marker = os.path.join(self.tmp, "ran")
        cases = [
            ({"User": "nosuch"}, True,
             'image config User "nosuch": no such user in the image\'s '
             '/etc/passwd'),
            ({"User": "app:nogroup"}, True,
             'image config User "app:nogroup": no such group in the '
             'image\'s /etc/group'),
            ({"User": "app"}, False,
             'image config User "app": the image has no /etc/passwd to '
             'look the name up in'),
            ({"User": "4294967296"}, True,
             'image config User "4294967296": an id is out of range (0 '
             'to 2147483647)'),
        ]
        for i, (config, etc, words) in enumerate(cases):
            ref = self.config_image(config, etc=etc, name="bad%d" % i)
            d = os.path.join(self.tmp, "wal%d" % i)
            r = run(["run", "--dir", d, "--image", ref, "--cache-dir",
                     self.cache, "--", "/bin/touch", "/tmp/ran"])
            self.assertEqual(r.returncode, 127, r.stderr)
            want = ("autonomy run: cannot start /bin/touch in its image: " +
                    words)
            if "out of range" in words:  # refused by the spawner's check
                want = ("autonomy run: spawner: --image %s: " % ref +
                        words)
            self.assertIn(want + "\n", r.stderr)
            kinds = [x["kind"] for x in inspect(d)]
            self.assertNotIn("workload.start", kinds)
            self.assertFalse(os.path.exists(marker))

    def test_config_user_malformed_passwd(self):
        # a line of six fields, after the user's: the whole file counts
        ref = self.config_image({"User": "app"}, name="malformed",
                                passwd=self.PASSWD + "broken:x:1:1:/:/bin/sh\n")
        r = run(["run", "--image", ref, "--cache-dir", self.cache, "--",
                 "/bin/true"])
        self.assertEqual(r.returncode, 127, r.stderr)
        self.assertIn('autonomy run: cannot start /bin/true in its image: '
                      'image config User "app": the image\'s /etc/passwd is '
                      'malformed at line 5\n', r.stderr)

    def test_config_workdir(self):
        ref = self.config_image({"WorkingDir": "/srv/work"})
        d = self.wal()
        out, _ = self.sh("pwd", image=ref, waldir=d)
        self.assertEqual(out, ["/srv/work"])
        self.assertEqual(self.image_record(d)["workdir"], "/srv/work")
        out, _ = self.sh("pwd", image=self.config_image({}, name="nowd"))
        self.assertEqual(out, ["/"])  # the control
        ref = self.config_image({"WorkingDir": "/nowhere"}, name="missing")
        d = os.path.join(self.tmp, "wal-missing")
        r = run(["run", "--dir", d, "--image", ref, "--cache-dir",
                 self.cache, "--", "/bin/true"])
        self.assertEqual(r.returncode, 127, r.stderr)
        self.assertIn("autonomy run: cannot start /bin/true in its image: "
                      "image config WorkingDir /nowhere: chdir: No such file "
                      "or directory\n", r.stderr)
        self.assertNotIn("workload.start", [x["kind"] for x in inspect(d)])

    def test_config_env(self):
        ref = self.config_image({"Env": [
            "PATH=/imgbin:/bin", "IMAGE_VAR=from the image",
            "HOME=/image-home", "AUTONOMY_RUNTIME_URL=http://evil.invalid",
            "AUTONOMY_RUNTIME_TOKEN=stolen"]})
        env = {"HOME": "/host-home", "HOST_ONLY": "kept",
               "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        r = run(["run", "--image", ref, "--cache-dir", self.cache, "--",
                 "fromimg"], env=env)
        # argv[0] found in the image's PATH, not the host's
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "from-the-image-path\n")
        r = run(["run", "--image", ref, "--cache-dir", self.cache, "--",
                 "/bin/sh", "-c",
                 'echo "$PATH"; echo "$IMAGE_VAR"; echo "$HOME"; '
                 'echo "$HOST_ONLY"; echo "$AUTONOMY_RUNTIME_URL"; '
                 'echo "$AUTONOMY_RUNTIME_TOKEN"; '
                 'env | grep -c "^AUTONOMY_RUNTIME_URL="; '
                 'wget -qO- "$AUTONOMY_RUNTIME_URL/v1/health"; echo'],
                env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.splitlines()
        self.assertEqual(out[:4], ["/imgbin:/bin", "from the image",
                                   "/image-home", "kept"])
        self.assertTrue(out[4].startswith("http://127.0.0.1:"), out[4])
        self.assertNotEqual(out[5], "stolen")
        self.assertGreater(len(out[5]), 16)
        self.assertEqual(out[6], "1")  # once, the runtime's
        self.assertEqual(json.loads(out[7]), {"status": "ok"})

    # ---- refusals ------------------------------------------------------

    def test_bad_ref_refused_before_anything(self):
        t = self.tmp
        plain = os.path.join(t, "plain")
        write(plain, "x")
        half = os.path.join(t, "half")
        write(os.path.join(half, "index.json"), "{}")
        empty = os.path.join(t, "empty")
        os.makedirs(empty)
        noproc = make_rootfs(os.path.join(t, "noproc"), False)
        ref, _ = self.layout()
        bad = os.path.join(t, "bad")
        shutil.copytree(ref, bad)
        with open(os.path.join(bad, "index.json")) as f:
            mdesc = json.load(f)["manifests"][0]["digest"][7:]
        with open(os.path.join(bad, "blobs", "sha256", mdesc)) as f:
            layer = json.load(f)["layers"][1]["digest"][7:]
        with open(os.path.join(bad, "blobs", "sha256", layer), "r+b") as f:
            f.write(b"\0")  # no longer its digest
        cases = [
            (os.path.join(t, "missing"), ["No such file or directory"]),
            (plain, ["Not a directory"]),
            (half, ["index.json but no oci-layout"]),
            (empty, ["neither an OCI image layout", "nor a root "
                     "filesystem"]),
            (noproc, ["has no /proc directory"]),
            ("/", ["the host's own root"]),
            (ref + ":nosuchtag", ["nosuchtag"]),
            (bad, ["layer 2", layer]),
        ]
        marker = os.path.join(t, "ran")
        for image, words in cases:
            d = os.path.join(t, "wal")
            r = run(["run", "--dir", d, "--image", image, "--cache-dir",
                     self.cache, "--", "/bin/touch", marker])
            self.assertEqual(r.returncode, 64, "%s: %s" % (image, r.stderr))
            self.assertIn(image.split(":")[0], r.stderr)  # REF named
            for w in words:
                self.assertIn(w, r.stderr, image)
            self.assertIn("nothing was run", r.stderr)
            self.assertFalse(os.path.exists(d), image)
            self.assertFalse(os.path.exists(marker), image)
        v1 = os.path.join(self.cache, "images", "v1")
        self.assertEqual([n for n in os.listdir(v1) if ".partial." in n], [])

    @unittest.skipUnless(shutil.which("setpriv"), "needs setpriv")
    def test_refused_without_cap_sys_admin(self):
        d = os.path.join(self.tmp, "wal")
        marker = os.path.join(self.tmp, "ran")
        r = subprocess.run(
            ["setpriv", "--bounding-set", "-sys_admin", AUTONOMY, "run",
             "--dir", d, "--image", self.root, "--", "/bin/touch", marker],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("--image: needs CAP_SYS_ADMIN", r.stderr)
        self.assertFalse(os.path.exists(d))
        self.assertFalse(os.path.exists(marker))

    def test_ld_preload_is_a_path_in_the_image(self):
        lib = os.path.join(self.root, "lib")
        os.makedirs(lib)
        shutil.copy(SHIM, os.path.join(lib, "shim.so"))
        os.symlink(SHIM, os.path.join(lib, "out.so"))  # the host's file
        os.symlink("shim.so", os.path.join(lib, "in.so"))
        d = self.wal()
        out, _ = self.sh("echo $LD_PRELOAD", waldir=d,
                         flags=["--ld-preload", "/lib/shim.so"])
        self.assertEqual(out, ["/lib/shim.so"])
        pre = [attrs(x) for x in inspect(d) if x["kind"] == "sandbox.layer"
               and attrs(x)["layer"] == "preload"]
        self.assertEqual(pre[0]["path"], "/lib/shim.so")
        self.sh("true", flags=["--ld-preload", "/lib/in.so"])
        cases = [
            (SHIM, "No such file or directory in the image"),  # host's
            ("/lib/out.so", "leaves the image"),
            ("/lib/../lib/shim.so", '".."'),
            ("/lib", "not a regular file in the image"),
        ]
        marker = os.path.join(self.tmp, "ran")
        for path, words in cases:
            r = run(["run", "--image", self.root, "--ld-preload", path,
                     "--", "/bin/touch", marker])
            self.assertEqual(r.returncode, 64, "%s: %s" % (path, r.stderr))
            self.assertIn("--ld-preload " + path, r.stderr)
            self.assertIn(words, r.stderr, path)
            self.assertFalse(os.path.exists(marker))


if __name__ == "__main__":
    unittest.main()
