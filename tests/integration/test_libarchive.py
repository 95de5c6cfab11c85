"""libarchive is loaded at first need, not linked (common/archive_dl.h):
a start that reads no tar does not pay for its dozen libraries. What
needs it (a tar bundle, a bundle's digest, an image layer) loads it, and
where it cannot be loaded fails closed, naming the library, what needed
it and the package. The library is taken away for real: /dev/null bound
over it in a private mount namespace."""
import os
import shutil
import subprocess
import unittest

from harness import AUTONOMY, TestCase, run
from test_bundle import make_bundle
from test_image import Layout, tar_of

SONAME = "libarchive.so.13"
HINT = "install the libarchive13 package"


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True,
                         text=True, check=True).stdout
    return [l.split("[", 1)[1].rstrip("]") for l in out.splitlines()
            if "(NEEDED)" in l]


def library_path():
    """Where the dynamic loader finds SONAME (ldconfig's cache)."""
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True,
                             text=True).stdout
    except OSError:
        return None
    for l in out.splitlines():
        if l.strip().startswith(SONAME + " ") and "x86-64" in l:
            return os.path.realpath(l.split("=>")[1].strip())
    return None


def loads_it(args):
    """Whether `autonomy ARGS` (or a process it starts) loads SONAME, as
    the dynamic loader tells (LD_DEBUG=files)."""
    r = run(args, env={"LD_DEBUG": "files"})
    return any("file=" + SONAME in l for l in r.stderr.splitlines()), r


class Base(TestCase):
    def setUp(self):
        self.root = self.tmpdir()
        self.bundle = make_bundle(self.root)
        self.tar = os.path.join(self.root, "b.tar")
        r = run(["bundle", "pack", self.bundle, "-o", self.tar])
        self.assertEqual(r.returncode, 0, r.stderr)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Lazy(Base):
    def test_not_linked(self):
        libs = needed(AUTONOMY)
        self.assertIn("libc.so.6", libs)
        self.assertFalse([l for l in libs if "libarchive" in l], libs)

    def test_loaded_only_when_a_tar_is(self):
        got, r = loads_it(["run", "--", "true"])
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertFalse(got, "run -- true loaded " + SONAME)
        got, r = loads_it(["policy", "check", self.tar])
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertTrue(got, "policy check FILE.tar did not load " + SONAME)


@unittest.skipUnless(os.geteuid() == 0, "the bind mount needs root")
@unittest.skipUnless(shutil.which("unshare"), "needs unshare(1)")
class Missing(Base):
    def setUp(self):
        super().setUp()
        self.lib = library_path()
        if self.lib is None:
            self.skipTest("ldconfig does not know " + SONAME)
        self.marker = os.path.join(self.root, "marker")

    def without(self, *args):
        """`autonomy ARGS` with /dev/null where libarchive was."""
        return subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             'mount --bind /dev/null "$0" && exec "$@"', self.lib, AUTONOMY,
             *args], capture_output=True, text=True, timeout=60)

    def refused(self, r, where, need, code):
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertIn("%s: %s cannot be loaded (" % (where, SONAME), r.stderr)
        self.assertIn("): %s needs it; %s\n" % (need, HINT), r.stderr)

    def test_what_needs_none_still_works(self):
        r = self.without("run", "--", "touch", self.marker)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(self.marker))
        self.assertEqual(self.without("version").returncode, 0)

    def test_tar_bundle(self):
        self.refused(self.without("policy", "check", self.tar), self.tar,
                     "reading a tar bundle", 1)
        r = self.without("run", "--policy", self.tar, "--", "touch",
                         self.marker)
        self.refused(r, "--policy: " + self.tar, "reading a tar bundle", 64)
        self.assertIn("nothing was run", r.stderr)
        self.assertFalse(os.path.exists(self.marker))

    def test_bundle_directory(self):
        # a directory is hashed as its canonical tar
        r = self.without("run", "--policy", self.bundle, "--", "touch",
                         self.marker)
        self.refused(r, "--policy",
                     "computing a bundle's digest (its canonical tar)", 64)
        self.assertIn("nothing was run", r.stderr)
        self.assertFalse(os.path.exists(self.marker))

    def test_image_layout(self):
        lo = Layout(os.path.join(self.root, "layout"))
        lo.finish([(tar_of([("bin", None), ("etc/marker", b"x\n")]),
                    False)])
        cache = os.path.join(self.root, "cache")
        r = self.without("run", "--image", lo.dir, "--cache-dir", cache,
                         "--", "touch", self.marker)
        self.refused(r, "--image " + lo.dir, "unpacking an image layer", 64)
        self.assertIn("nothing was run", r.stderr)
        self.assertFalse(os.path.exists(self.marker))
        # the unpacker never started: nothing in the cache
        self.assertFalse(os.path.exists(os.path.join(cache, "images", "v1")))


if __name__ == "__main__":
    unittest.main()
