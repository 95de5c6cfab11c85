"""Bundles with the real binary: pack -> import -> ls -> eval, the cache's
tamper check, the tar reader's refusals, and `run --policy` refusing a
bad bundle before anything starts."""
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import unittest

from harness import Runtime, TestCase, attrs, inspect, run

MANIFEST = {
    "kind": "bundle",
    "schema_version": "1.0",
    "name": "acme-tools",
    "version": "1.0.0",
    "channel": "stable",
    "min_adk_version": "0.1.0",
    "runtime": {"allowed_domains": ["api.example.com", "*.example.org"]},
}

ALLOW = """@id("allow-echo")
permit (principal, action == Action::"tool.echo", resource);
"""

FORBID = """@id("no-prod")
forbid (principal, action, resource)
when { context.runtime has environment &&
       context.runtime.environment == "prod" };
"""


def make_bundle(root, manifest=None, policies=None, name="b"):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "policies"))
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest or MANIFEST, f, indent=2)
    for fn, text in (policies or {"allow.cedar": ALLOW,
                                  "forbid.cedar": FORBID}).items():
        with open(os.path.join(d, "policies", fn), "w") as f:
            f.write(text)
    return d


def slurp(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def digest_of(text):
    m = re.search(r"sha256:[0-9a-f]{64}", text)
    assert m, text
    return m.group(0)


class Bundle(TestCase):
    def setUp(self):
        self.root = self.tmpdir()
        self.cache = os.path.join(self.root, "cache")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def cli(self, *args, **kw):
        return run(list(args), **kw)

    def pack(self, d, out):
        r = self.cli("bundle", "pack", d, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return digest_of(r.stdout)

    def test_pack_import_ls_eval(self):
        d = make_bundle(self.root)
        t1 = os.path.join(self.root, "one.tar")
        t2 = os.path.join(self.root, "two.tar")
        dg = self.pack(d, t1)
        os.utime(os.path.join(d, "policies", "allow.cedar"), (1, 1))
        self.assertEqual(self.pack(d, t2), dg)
        b1, b2 = slurp(t1, "rb"), slurp(t2, "rb")
        self.assertEqual(b1, b2, "packing twice gives identical bytes")
        self.assertEqual("sha256:" + hashlib.sha256(b1).hexdigest(), dg)
        with tarfile.open(t1) as tf:
            self.assertEqual(tf.getnames(), [
                "manifest.json", "policies/allow.cedar",
                "policies/forbid.cedar"])
            for m in tf.getmembers():
                self.assertEqual((m.mtime, m.uid, m.gid, m.mode),
                                 (0, 0, 0, 0o644))

        r = self.cli("bundle", "import", t1, "--cache-dir", self.cache)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported acme-tools:1.0.0 " + dg, r.stdout)
        r = self.cli("bundle", "import", t1, "--cache-dir", self.cache)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already in the cache", r.stdout)
        # an OCI image layout
        layout = json.loads(slurp(os.path.join(self.cache, "oci-layout")))
        self.assertEqual(layout, {"imageLayoutVersion": "1.0.0"})
        index = json.loads(slurp(os.path.join(self.cache, "index.json")))
        self.assertEqual(index["schemaVersion"], 2)
        [entry] = index["manifests"]
        self.assertEqual(
            entry["annotations"]["org.opencontainers.image.ref.name"],
            "acme-tools:1.0.0")
        mpath = os.path.join(self.cache, "blobs", "sha256",
                             entry["digest"][7:])
        manifest = json.loads(slurp(mpath))
        self.assertEqual(manifest["layers"][0]["digest"], dg)
        self.assertTrue(os.path.exists(os.path.join(
            self.cache, "blobs", "sha256", manifest["config"]["digest"][7:])))

        r = self.cli("bundle", "ls", "--cache-dir", self.cache)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"acme-tools\s+1\.0\.0\s+stable\s+" + dg)
        r = self.cli("bundle", "ls", "--cache-dir", self.cache, "--json")
        self.assertEqual(json.loads(r.stdout), [{
            "name": "acme-tools", "version": "1.0.0", "channel": "stable",
            "digest": dg}])

        for ref in ("acme-tools:1.0.0", "acme-tools@" + dg):
            r = self.cli("policy", "eval", ref, "--cache-dir", self.cache,
                         "--kind", "tool.echo", "--params", '{"m": "hi"}',
                         "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout)
            self.assertEqual(out["decision"], "allow")
            self.assertEqual(out["policies"], ["allow-echo"])
            self.assertEqual(out["policy_ref"], "acme-tools@1.0.0")
            self.assertEqual(out["digest"], dg)
        r = self.cli("policy", "eval", "acme-tools:1.0.0", "--cache-dir",
                     self.cache, "--kind", "tool.echo", "--runtime",
                     '{"environment": "prod"}')
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("decision: deny", r.stdout)
        self.assertIn('forbidden by policy "no-prod"', r.stdout)

    def test_replace_and_default_cache(self):
        d = make_bundle(self.root)
        t = os.path.join(self.root, "b.tar")
        old = self.pack(d, t)
        env = {"XDG_DATA_HOME": os.path.join(self.root, "xdg")}
        r = self.cli("bundle", "import", t, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(os.path.join(
            self.root, "xdg", "autonomy", "cache", "index.json")))
        with open(os.path.join(d, "policies", "allow.cedar"), "a") as f:
            f.write("// changed\n")
        new = self.pack(d, t)
        self.assertNotEqual(old, new)
        r = self.cli("bundle", "import", t, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("replaced acme-tools:1.0.0: %s -> %s" % (old, new),
                      r.stdout)
        r = self.cli("bundle", "ls", "--json", env=env)
        self.assertEqual([e["digest"] for e in json.loads(r.stdout)], [new])
        r = self.cli("policy", "check", "acme-tools@" + old, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not in the cache", r.stderr)

    def test_tampered_blob_refused(self):
        d = make_bundle(self.root)
        t = os.path.join(self.root, "b.tar")
        dg = self.pack(d, t)
        self.cli("bundle", "import", t, "--cache-dir", self.cache)
        blob = os.path.join(self.cache, "blobs", "sha256", dg[7:])
        data = bytearray(slurp(blob, "rb"))
        i = data.find(b"tool.echo")
        data[i] ^= 0x20
        with open(blob, "wb") as f:
            f.write(bytes(data))
        r = self.cli("policy", "eval", "acme-tools:1.0.0", "--cache-dir",
                     self.cache, "--kind", "tool.echo")
        self.assertEqual(r.returncode, 2)
        self.assertIn("does not match its digest", r.stderr)
        self.assertEqual(r.stdout, "")
        r = self.cli("bundle", "ls", "--cache-dir", self.cache)
        self.assertEqual(r.returncode, 1)
        self.assertIn("DAMAGED", r.stdout)
        r = self.cli("run", "--policy", "acme-tools:1.0.0", "--cache-dir",
                     self.cache, "true")
        self.assertEqual(r.returncode, 64)
        self.assertIn("does not match its digest", r.stderr)

    def tar_with(self, entries):
        """entries: (TarInfo fields, data) pairs."""
        path = os.path.join(self.root, "evil.tar")
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
            mf = json.dumps(MANIFEST).encode()
            ti = tarfile.TarInfo("manifest.json")
            ti.size = len(mf)
            tf.addfile(ti, io.BytesIO(mf))
            for fields, data in entries:
                ti = tarfile.TarInfo(fields.pop("name"))
                for k, v in fields.items():
                    setattr(ti, k, v)
                if data is not None:
                    ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data) if data else None)
        return path

    def test_tar_refusals(self):
        cases = [
            ([({"name": "../../etc/x.cedar"}, b"x")],
             "../../etc/x.cedar: path leaves the bundle"),
            ([({"name": "/policies/a.cedar"}, b"x")], "absolute path"),
            ([({"name": "policies/a.cedar", "type": tarfile.SYMTYPE,
                "linkname": "/etc/passwd"}, None)],
             "policies/a.cedar: a symlink (refused)"),
            ([({"name": "policies/a.cedar", "type": tarfile.LNKTYPE,
                "linkname": "manifest.json"}, None)], "a hard link"),
            ([({"name": "policies/a.cedar", "type": tarfile.CHRTYPE},
               None)], "a character device"),
            ([({"name": "policies/a.cedar"}, ALLOW.encode()),
              ({"name": "policies/a.cedar"}, ALLOW.encode())],
             "policies/a.cedar: appears twice"),
            ([({"name": "policies/a.cedar"}, ALLOW.encode()),
              ({"name": "run.sh"}, b"#!/bin/sh")],
             "run.sh: unexpected file"),
            ([({"name": "policies/a.cedar"}, b"x" * (1024 * 1024 + 1))],
             "more than 1048576"),
        ]
        for entries, want in cases:
            t = self.tar_with(entries)
            r = self.cli("bundle", "import", t, "--cache-dir", self.cache)
            self.assertEqual(r.returncode, 1, (want, r.stdout))
            self.assertIn(t + ": ", r.stderr)
            self.assertIn(want, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.cache,
                                                     "index.json")))

    def test_manifest_errors_name_file_and_field(self):
        bad = dict(MANIFEST, schema_version="1.9")
        d = make_bundle(self.root, manifest=bad)
        r = self.cli("bundle", "pack", d, "-o", os.path.join(self.root,
                                                             "x.tar"))
        self.assertEqual(r.returncode, 1)
        self.assertIn(d + "/manifest.json: schema_version: \"1.9\" is not "
                      "supported", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "x.tar")))
        bad = dict(MANIFEST, runtime={"allowed_domains": ["*"]})
        d = make_bundle(self.root, manifest=bad, name="c")
        r = self.cli("policy", "check", d)
        self.assertEqual(r.returncode, 1)
        self.assertIn("manifest.json: runtime.allowed_domains[0]: \"*\"",
                      r.stderr)
        bad = dict(MANIFEST, surprise=1)
        d = make_bundle(self.root, manifest=bad, name="e")
        r = self.cli("policy", "check", d)
        self.assertIn("manifest.json: surprise: unknown field", r.stderr)
        ok = dict(MANIFEST, runtime={"future_knob": 1})
        d = make_bundle(self.root, manifest=ok, name="f")
        r = self.cli("policy", "check", d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: " + d + "/manifest.json: runtime.future_knob"
                      ": unknown runtime setting", r.stderr)

    def test_run_refuses_bad_bundle_before_starting(self):
        bad = dict(MANIFEST, channel="Not A Channel")
        d = make_bundle(self.root, manifest=bad)
        marker = os.path.join(self.root, "ran")
        wal = os.path.join(self.root, "wal")
        r = run(["run", "--dir", wal, "--policy", d, "--", "touch", marker])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("--policy: " + d + "/manifest.json: channel:",
                      r.stderr)
        self.assertIn("nothing was run", r.stderr)
        self.assertFalse(os.path.exists(marker))
        self.assertFalse(os.path.exists(wal), "nothing started")
        r = run(["run", "--policy", "nope:1.0.0", "--cache-dir", self.cache,
                 "--", "touch", marker])
        self.assertEqual(r.returncode, 64)
        self.assertIn("nope:1.0.0: not in the cache", r.stderr)
        self.assertFalse(os.path.exists(marker))
        r = run(["run", "--cache-dir", self.cache, "true"])
        self.assertEqual(r.returncode, 64)
        self.assertIn("--cache-dir is only used with --policy", r.stderr)
        # the embedded demo is what runs without --policy: allowed
        r = run(["run", "--policy", "builtin:demo", "--", "touch", marker])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(marker))

    def test_run_decides_with_the_bundle(self):
        # policyd takes the bundle from the supervisor (a sealed memfd)
        # and decides with it: its permits, its forbids, its errors.
        guarded = """@id("needs-n")
forbid (principal, action == Action::"tool.echo", resource)
when { context.n > 5 };
"""
        d = make_bundle(self.root, policies={"allow.cedar": ALLOW,
                                             "guard.cedar": guarded})
        tar = os.path.join(self.root, "b.tar")
        digest = self.pack(d, tar)
        r = self.cli("bundle", "import", tar, "--cache-dir", self.cache)
        self.assertEqual(r.returncode, 0, r.stderr)
        wal = os.path.join(self.root, "wal")
        rt = Runtime(["--dir", wal, "--policy", "acme-tools:1.0.0",
                      "--cache-dir", self.cache])
        st, body, _ = rt.tool("tool.echo", {"n": 1})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["policy_ref"], "acme-tools@1.0.0")
        st, body, _ = rt.tool("tool.echo", {"n": 9})
        self.assertEqual(st, 403, body)
        self.assertEqual(body["policies"], ["needs-n"])
        self.assertIn('forbidden by policy "needs-n"', body["reason"])
        # n missing: the forbid errors (and is named), the permit allows
        st, body, _ = rt.tool("tool.echo", {})
        self.assertEqual(st, 200, body)
        # the demo policy would allow tool.http_get; this bundle does not
        st, body, _ = rt.tool("tool.http_get", {"endpoint": "http://x/"})
        self.assertEqual(st, 403, body)
        self.assertEqual(body["policies"], [])
        self.assertEqual(rt.finish(), 0, rt.stderr)
        self.assertIn("policy       acme-tools@1.0.0 (" + digest, rt.stderr)
        start = inspect(wal, "--kind", "run.start")[0]
        self.assertEqual(attrs(start)["policy_ref"], "acme-tools@1.0.0")
        self.assertEqual(attrs(start)["policy_digest"], digest)
        errs = [attrs(x).get("errors", "")
                for x in inspect(wal, "--kind", "policy.allow")]
        self.assertTrue(any(e.startswith("needs-n: ") for e in errs), errs)

    def test_run_with_a_bundle_directory_and_an_error_in_a_deny(self):
        # a deny whose forbid-guard errored names it in the 403 body
        only_guard = """@id("guarded-permit")
permit (principal, action == Action::"tool.echo", resource)
when { context.level >= 3 };
"""
        d = make_bundle(self.root, policies={"p.cedar": only_guard})
        rt = Runtime(["--policy", d])
        st, body, _ = rt.tool("tool.echo", {})
        self.assertEqual(st, 403, body)
        self.assertEqual(len(body["errors"]), 1)
        self.assertTrue(body["errors"][0].startswith("guarded-permit: "),
                        body)
        st, body, _ = rt.tool("tool.echo", {"level": 3})
        self.assertEqual(st, 200, body)
        self.assertEqual(rt.finish(), 0, rt.stderr)


if __name__ == "__main__":
    unittest.main()
