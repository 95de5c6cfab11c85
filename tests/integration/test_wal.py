"""`autonomy wal inspect` and `wal verify` on a real run's WAL."""
import glob
import os
import unittest

from harness import Runtime, TestCase, attrs, inspect, run


class Wal(TestCase):
    def make_wal(self):
        wal = os.path.join(self.tmpdir(), "wal")
        rt = Runtime(["--dir", wal])
        _, a, _ = rt.tool("tool.echo", {"m": 1})
        _, d, _ = rt.tool("tool.nope", {})
        self.assertEqual(rt.finish(), 0, rt.stderr)
        return wal, a["audit_id"], d["audit_id"]

    def test_inspect_filters(self):
        wal, allow_id, deny_id = self.make_wal()
        recs = inspect(wal)
        for r in recs:
            for k in ("seq", "time", "audit_id", "kind", "origin", "tool",
                      "attrs", "prev_hash", "hash"):
                self.assertIn(k, r)
        self.assertEqual([r["kind"] for r in inspect(wal, "--audit-id",
                                                     deny_id)],
                         ["policy.deny"])
        allows = inspect(wal, "--kind", "policy.allow")
        self.assertEqual([r["audit_id"] for r in allows], [allow_id])
        self.assertEqual(attrs(allows[0])["policy_ref"], "demo@0.1.0")
        self.assertTrue(all(r["tool"] == "tool.nope"
                            for r in inspect(wal, "--tool", "tool.nope")))
        origins = {r["kind"]: r["origin"] for r in recs}
        self.assertEqual(origins["run.start"], "supervisor")
        self.assertEqual(origins["policy.allow"], "policyd")
        self.assertEqual(origins["workload.start"], "spawner")
        table = run(["wal", "inspect", "--dir", wal])
        self.assertEqual(table.returncode, 0)
        self.assertIn("policy.deny", table.stdout)
        self.assertIn(deny_id, table.stdout)

    def test_verify_detects_flipped_byte(self):
        wal, _, _ = self.make_wal()
        ok = run(["wal", "verify", "--dir", wal])
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertRegex(ok.stdout, r"OK \d+ records")
        # flip one byte of the run.start record (it holds the WAL path)
        path = os.path.join(wal, "data.mdb")
        data = bytearray(open(path, "rb").read())
        needle = wal.encode()
        i = data.find(needle)
        self.assertGreater(i, 0)
        while i >= 0:
            data[i + len(needle) - 1] ^= 0x01
            i = data.find(needle, i + 1)
        open(path, "wb").write(bytes(data))
        bad = run(["wal", "verify", "--dir", wal])
        self.assertEqual(bad.returncode, 1, bad.stdout + bad.stderr)
        self.assertRegex(bad.stdout + bad.stderr, r"\b1\b")

    def test_results_recorded_before_run_end(self):
        # tool.result is written after the answer leaves policyd; a run
        # that ends right after its calls must still hold every result,
        # each after its decision, and run.end last.
        import threading
        wal = os.path.join(self.tmpdir(), "wal")
        rt = Runtime(["--dir", wal])
        ids, errs = [], []

        def burst():
            try:
                for i in range(25):
                    st, body, _ = rt.tool("tool.echo", {"i": i})
                    if st != 200:
                        errs.append((st, body))
                    else:
                        ids.append(body["audit_id"])
            except Exception as e:  # noqa: BLE001 - reported below
                errs.append(e)
        ts = [threading.Thread(target=burst) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errs, [])
        self.assertEqual(rt.finish(), 0, rt.stderr)
        recs = inspect(wal)
        self.assertEqual(recs[-1]["kind"], "run.end")
        pos = {}
        for i, r in enumerate(recs):
            pos.setdefault((r["audit_id"], r["kind"]), i)
        self.assertEqual(len(ids), 200)
        for a in ids:
            self.assertLess(pos[(a, "policy.allow")], pos[(a, "tool.result")])

    def test_verify_missing_dir(self):
        r = run(["wal", "verify", "--dir", "/nonexistent/wal-xyz"])
        self.assertNotIn(r.returncode, (0, 1))
        self.assertIn("/nonexistent/wal-xyz", r.stderr)


if __name__ == "__main__":
    unittest.main()
