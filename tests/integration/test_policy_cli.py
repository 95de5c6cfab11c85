"""`autonomy policy check|eval|authorize|show-default` with the real
binary. The authorize answers are written out here; where the pinned
reference (tests/cedar, cedar-wasm) is installed they are also checked
against it."""
import json
import os
import shutil
import subprocess
import tarfile
import unittest

from harness import ROOT, TestCase, run

CEDAR_DIR = os.path.join(ROOT, "tests", "cedar")

POLICIES = r"""// policy0
permit (principal == User::"alice", action == Action::"read", resource)
when { context.src.isInRange(ip("10.0.0.0/8")) };

// policy1
@id("owner")
permit (principal, action, resource) when { resource.owner == principal };

// policy2: errors where context has no flag
forbid (principal, action, resource) when { context.flag };

// policy3
permit (principal == Ns::Sub::User::"q\"uote\u{e9}", action, resource);

// policy4
forbid (principal, action == Action::"delete", resource)
unless { context.amount.lessThan(decimal("10.5")) };
"""

ENTITIES = [
    {"uid": {"type": "Doc", "id": "d1"},
     "attrs": {"owner": {"__entity": {"type": "User", "id": "bob"}}},
     "parents": []},
    {"uid": {"type": "User", "id": "bob"}, "attrs": {}, "parents": []},
]

# (principal, action, resource, context, expected answer)
CASES = [
    ('User::"alice"', 'Action::"read"', 'Doc::"d1"',
     {"src": {"__extn": {"fn": "ip", "arg": "10.1.2.3"}}, "flag": False},
     {"decision": "allow", "reason": ["policy0"], "errors": []}),
    ('User::"alice"', 'Action::"read"', 'Doc::"d1"',
     {"src": {"__extn": {"fn": "ip", "arg": "192.168.0.1"}}, "flag": False},
     {"decision": "deny", "reason": [], "errors": []}),
    ('User::"bob"', 'Action::"read"', 'Doc::"d1"', {"flag": False},
     {"decision": "allow", "reason": ["policy1"], "errors": []}),
    ('User::"bob"', 'Action::"read"', 'Doc::"d1"',
     {"flag": True, "src": {"__extn": {"fn": "ip", "arg": "10.0.0.1"}}},
     {"decision": "deny", "reason": ["policy2"], "errors": []}),
    ('User::"bob"', 'Action::"read"', 'Doc::"d1"',
     {"src": {"__extn": {"fn": "ip", "arg": "10.0.0.1"}}},
     {"decision": "allow", "reason": ["policy1"],
      "errors": [{"policy": "policy2"}]}),
    ('Ns::Sub::User::"q\\"uote\\u{e9}"', 'Action::"x"', 'Doc::"nope"',
     {"flag": False},
     {"decision": "allow", "reason": ["policy3"],
      "errors": [{"policy": "policy1"}]}),
    (' Ns :: Sub::User :: "q\\"uote\u00e9" ', 'Action::"delete"',
     'Doc::"d1"',
     {"flag": False, "amount": {"__extn": {"fn": "decimal", "arg": "99.0"}},
      "who": {"__entity": {"type": "User", "id": "bob"}}},
     {"decision": "deny", "reason": ["policy4"], "errors": []}),
]


class PolicyCli(TestCase):
    def setUp(self):
        self.root = self.tmpdir()
        self.pol = os.path.join(self.root, "p.cedar")
        self.ents = os.path.join(self.root, "e.json")
        with open(self.pol, "w") as f:
            f.write(POLICIES)
        with open(self.ents, "w") as f:
            json.dump(ENTITIES, f)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def authorize(self, p, a, r, ctx, *extra):
        return run(["policy", "authorize", "--policies", self.pol,
                    "--entities", self.ents, "--principal", p, "--action",
                    a, "--resource", r, "--context", json.dumps(ctx)] +
                   list(extra))

    def test_authorize_json(self):
        for p, a, r, ctx, want in CASES:
            res = self.authorize(p, a, r, ctx, "--json")
            self.assertEqual(res.returncode,
                             0 if want["decision"] == "allow" else 1,
                             (p, res.stdout, res.stderr))
            got = json.loads(res.stdout)
            self.assertEqual(set(got), {"decision", "reason", "errors"})
            for e in got["errors"]:
                self.assertIsInstance(e["message"], str)
                self.assertTrue(e["message"])
            got["errors"] = [{"policy": e["policy"]} for e in got["errors"]]
            self.assertEqual(got, want, p)

    def test_authorize_text(self):
        p, a, r, ctx, _ = CASES[4]
        res = self.authorize(p, a, r, ctx)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("decision: allow", res.stdout)
        self.assertIn('reason: policy1 (@id "owner")', res.stdout)
        self.assertIn("error: policy2: ", res.stdout)

    def test_authorize_refusals(self):
        bad = [
            # parsed by the engine: flag:line:col: message
            (['--principal', 'User:"a"'],
             "--principal:1:1: expected an entity uid"),
            (['--principal', 'User::"a\\q"'], "is not a valid escape"),
            (['--principal', 'User::"a"; x'],
             "--principal:1:10: unexpected `;`"),
            (['--principal', 'User::"a", action, resource); permit(x'],
             "expected the end after the uid"),
            (['--principal', '9x::"a"'], "unexpected `9`"),
            (['--context', '[1]'], "--context: must be a JSON object"),
            (['--context', '{"a": '], "--context: invalid JSON"),
        ]
        base = {"--principal": 'User::"a"', "--action": 'Action::"a"',
                "--resource": 'R::"r"'}
        for over, want in bad:
            args = dict(base)
            args.update({over[0]: over[1]})
            flat = ["policy", "authorize", "--policies", self.pol]
            for k, v in args.items():
                flat += [k, v]
            res = run(flat)
            self.assertEqual(res.returncode, 2, (over, res.stdout))
            self.assertIn(want, res.stderr)
        with open(self.pol, "a") as f:
            f.write("\npermit(principal, action, resource) when { ;\n")
        res = run(["policy", "authorize", "--policies", self.pol,
                   "--principal", 'User::"a"', "--action", 'Action::"a"',
                   "--resource", 'R::"r"', "--json"])
        self.assertEqual(res.returncode, 2)
        self.assertRegex(res.stderr, self.pol.replace(".", r"\.") +
                         r":\d+:\d+: ")
        res = run(["policy", "authorize", "--policies", self.pol])
        self.assertEqual(res.returncode, 64)

    @unittest.skipUnless(
        os.path.isdir(os.path.join(CEDAR_DIR, "node_modules",
                                   "@cedar-policy")) and
        shutil.which("node"),
        "the reference is not installed (tests/cedar/setup.sh)")
    def test_authorize_matches_reference(self):
        lines = []
        for i, (p, a, r, ctx, _) in enumerate(CASES):
            # the uid text, decoded as the CLI decodes it, in JSON form
            uids = [uid_json(x) for x in (p, a, r)]
            lines.append(json.dumps({
                "id": str(i), "policies": POLICIES, "entities": ENTITIES,
                "principal": uids[0], "action": uids[1],
                "resource": uids[2], "context": ctx}))
        ref = subprocess.run(
            ["node", os.path.join(CEDAR_DIR, "reference.js")],
            input="\n".join(lines) + "\n", capture_output=True, text=True,
            timeout=120)
        self.assertEqual(ref.returncode, 0, ref.stderr)
        answers = [json.loads(x) for x in ref.stdout.splitlines()]
        for (p, a, r, ctx, _), want in zip(CASES, answers):
            self.assertIsNone(want.get("failure"), want)
            res = self.authorize(p, a, r, ctx, "--json")
            got = json.loads(res.stdout)
            self.assertEqual(got["decision"], want["decision"], p)
            self.assertEqual(sorted(got["reason"]), sorted(want["reason"]))
            self.assertEqual(sorted(e["policy"] for e in got["errors"]),
                             sorted(want["errors"]))

    def make_bundle(self, files, manifest=None):
        d = os.path.join(self.root, "bundle")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "policies"))
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump(manifest or {
                "kind": "bundle", "schema_version": "1.0", "name": "t",
                "version": "0.1.0", "channel": "dev",
                "min_adk_version": "0.1.0"}, f)
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        return d

    def test_check_errors_have_file_line_col(self):
        d = self.make_bundle({
            "policies/a.cedar": 'permit(principal, action, resource);\n',
            "policies/b.cedar": '\n\npermit(principal, action, resource)'
                                '\n  when { context.x == };\n'})
        r = run(["policy", "check", d])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, "^autonomy policy check: " + d +
                         r"/policies/b\.cedar:4:\d+: ")
        tar = os.path.join(self.root, "b.tar")
        with tarfile.open(tar, "w") as tf:
            tf.add(d, arcname=".")
        r = run(["policy", "check", tar])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, tar + r": policies/b\.cedar:4:\d+: ")
        r = run(["policy", "check", os.path.join(d, "policies", "b.cedar")])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"policies/b\.cedar:4:\d+: ")
        r = run(["policy", "check", os.path.join(d, "policies", "a.cedar")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 policies", r.stdout)
        # entities.json errors name the file
        d = self.make_bundle({
            "policies/a.cedar": 'permit(principal, action, resource);\n',
            "entities.json": '[{"uid": {"type": "A", "id": "x"}, '
                             '"attrs": {}, "parents": [], "parents": []}]'})
        r = run(["policy", "check", d])
        self.assertEqual(r.returncode, 1)
        self.assertIn(d + "/entities.json", r.stderr)
        # a template can never be linked in a bundle: refused
        d = self.make_bundle({
            "policies/t.cedar":
                'permit(principal == ?principal, action, resource);\n'})
        r = run(["policy", "check", d])
        self.assertEqual(r.returncode, 1)
        self.assertIn("template", r.stderr)

    def test_check_ok(self):
        d = self.make_bundle({
            "policies/a.cedar": 'permit(principal, action, resource);\n'
                                'forbid(principal, action, resource) '
                                'when { false };\n',
            "entities.json": '[]'})
        r = run(["policy", "check", d])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^ok: t@0\.1\.0 sha256:[0-9a-f]{64}: "
                         r"2 policies in 1 files, entities\.json")

    def test_eval_as_policyd(self):
        d = self.make_bundle({"policies/a.cedar": r"""
@id("sitl-only")
permit (principal == Agent::"drone", action == Action::"tool.mavlink.arm",
        resource)
when { context.runtime.environment == "sitl" && context.alt < 100 };
"""})
        base = ["policy", "eval", d, "--kind", "tool.mavlink.arm",
                "--agent", "drone"]
        r = run(base + ["--params", '{"alt": 50, "speed": 1.5}',
                        "--runtime", '{"environment": "sitl"}'])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("decision: allow", r.stdout)
        self.assertIn("policy: sitl-only", r.stdout)
        self.assertIn("omitted: speed", r.stdout)
        self.assertIn("bundle: t@0.1.0 sha256:", r.stdout)
        r = run(base + ["--params", '{"alt": 50}', "--runtime",
                        '{"environment": "real"}', "--json"])
        self.assertEqual(r.returncode, 1)
        out = json.loads(r.stdout)
        self.assertEqual(out["decision"], "deny")
        self.assertIn("default deny", out["reason"])
        r = run(base + ["--params", '{}', "--runtime",
                        '{"environment": "sitl"}', "--json"])
        self.assertEqual(r.returncode, 1)
        out = json.loads(r.stdout)
        self.assertEqual(len(out["errors"]), 1)
        self.assertIn("sitl-only", out["errors"][0])
        # params may not set runtime: refused, as toolsrv refuses it
        r = run(base + ["--params", '{"runtime": {"environment": "sitl"}}'])
        self.assertEqual(r.returncode, 2)
        self.assertIn('"runtime" is reserved', r.stderr)
        r = run(base + ["--params", "[1]"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--params: must be a JSON object", r.stderr)
        r = run(["policy", "eval", d])
        self.assertEqual(r.returncode, 64)
        # the embedded policies, exactly as policyd has them
        r = run(["policy", "eval", "builtin:demo", "--kind", "tool.echo"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("policy: demo-allow-tools", r.stdout)
        self.assertIn("bundle: demo@0.1.0", r.stdout)
        r = run(["policy", "eval", "builtin:demo", "--kind", "tool.exec"])
        self.assertEqual(r.returncode, 1)
        r = run(["policy", "eval", "builtin:mavlink-demo", "--kind",
                 "tool.mavlink.arm", "--runtime", '{"environment": "real"}'])
        self.assertEqual(r.returncode, 1)
        r = run(["policy", "eval", "builtin:mavlink-demo", "--kind",
                 "tool.exec", "--json"])
        self.assertEqual(json.loads(r.stdout)["policies"],
                         ["mavlink-forbid-other"])

    def test_show_default(self):
        for flags, fn, marker in (([], "demo.cedar", "demo-allow-tools"),
                                  (["--mavlink"], "mavlink_demo.cedar",
                                   "mavlink-telemetry")):
            r = run(["policy", "show-default"] + flags)
            self.assertEqual(r.returncode, 0)
            self.assertIn(marker, r.stdout)
            with open(os.path.join(ROOT, "policies", fn)) as f:
                self.assertEqual(r.stdout, f.read())
        self.assertEqual(run(["policy", "show-default", "--x"]).returncode,
                         64)
        self.assertEqual(run(["policy", "nope"]).returncode, 64)


def uid_json(text):
    """T::"id" as {"type", "id"} for the cases above (their escapes only)."""
    t, _, rest = text.strip().rpartition("::")
    t = "::".join(p.strip() for p in t.split("::"))
    s = rest.strip()[1:-1]
    s = s.replace('\\"', '"').replace("\\u{e9}", "\u00e9")
    return {"type": t, "id": s}


if __name__ == "__main__":
    unittest.main()
