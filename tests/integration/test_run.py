"""`autonomy run`: exit status, environment, signals, WAL lifetime,
misplaced flags, the demo agent."""
import os
import re
import signal
import subprocess
import sys
import unittest

from harness import (AUTONOMY, ROOT, Runtime, TestCase, attrs, inspect,
                     panel_wal_dir, run, wait_for)


class ExitStatus(TestCase):
    def test_exit_status_passes_through(self):
        d = os.path.join(self.tmpdir(), "wal")
        r = run(["run", "--dir", d, "--", "sh", "-c", "exit 7"])
        self.assertEqual(r.returncode, 7, r.stderr)
        recs = inspect(d, "--kind", "run.end")
        self.assertEqual(attrs(recs[-1])["exit_status"], "7")

    def test_signal_death_is_128_plus_n(self):
        r = run(["run", "sh", "-c", "kill -9 $$"])
        self.assertEqual(r.returncode, 137, r.stderr)

    def test_first_non_flag_starts_the_command(self):
        r = run(["run", "sh", "-c", 'echo "$0 $1"', "--keep", "x"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "--keep x")

    def test_missing_command(self):
        r = run(["run", "--", "/nonexistent/prog-xyz"])
        self.assertEqual(r.returncode, 127, r.stderr)
        self.assertIn("/nonexistent/prog-xyz", r.stderr)

    def test_usage_errors(self):
        r = run(["run", "--bogus", "true"])
        self.assertEqual(r.returncode, 64)
        self.assertIn("--bogus", r.stderr)
        r = run(["run"])
        self.assertEqual(r.returncode, 64)
        r = run(["run", "--dir"])
        self.assertEqual(r.returncode, 64)
        self.assertIn("--dir", r.stderr)

    def test_runtime_env(self):
        out = []
        for _ in range(2):
            r = run(["run", "sh", "-c",
                     'echo "$AUTONOMY_RUNTIME_URL $AUTONOMY_RUNTIME_TOKEN"'],
                    env={"AUTONOMY_RUNTIME_TOKEN": "inherited"})
            self.assertEqual(r.returncode, 0, r.stderr)
            url, tok = r.stdout.split()
            self.assertRegex(url, r"^http://127\.0\.0\.1:\d+$")
            self.assertRegex(tok, r"^[0-9a-f]{64}$")
            out.append((url, tok))
        self.assertNotEqual(out[0][1], out[1][1], "token must be per run")

    def test_token_not_on_any_command_line(self):
        rt = Runtime()
        try:
            for pid in rt.helper_pids().values():
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    self.assertNotIn(rt.token.encode(), f.read())
        finally:
            rt.finish()


class HelperLogs(TestCase):
    def test_helper_logs_reach_a_file_stderr(self):
        # Confined helpers have FSIZE 0: writing to a stderr that is a
        # regular file would fail with EFBIG. Their logs go through the
        # supervisor instead, so they must all reach the file.
        path = os.path.join(self.tmpdir(), "stderr.txt")
        with open(path, "w") as f:
            p = subprocess.run([AUTONOMY, "run", "true"], stderr=f,
                               env=dict(os.environ, AUTONOMY_DEBUG="1"),
                               timeout=60)
        self.assertEqual(p.returncode, 0)
        err = open(path).read()
        for h in ("walwriter", "policyd", "toolsrv"):
            self.assertIn("autonomy[%s]" % h, err)
        self.assertIn("System footprint", err)


class Signals(TestCase):
    def loop(self, sig, code):
        rt = Runtime.__new__(Runtime)
        d = self.tmpdir()
        flag = os.path.join(d, "ready")
        p = subprocess.Popen(
            [AUTONOMY, "run", "sh", "-c",
             'trap "exit %d" %s; touch %s; while :; do sleep 0.05; done'
             % (code, sig.name[3:], flag)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        wait_for(lambda: os.path.exists(flag), what="trap installed")
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
        return p.returncode, err

    def test_sigterm_forwarded(self):
        code, err = self.loop(signal.SIGTERM, 42)
        self.assertEqual(code, 42, err)
        self.assertIn("System footprint", err)

    def test_sigint_forwarded(self):
        code, err = self.loop(signal.SIGINT, 43)
        self.assertEqual(code, 43, err)


class WalLifetime(TestCase):
    def test_temp_dir_removed_by_default(self):
        r = run(["run", "true"])
        self.assertEqual(r.returncode, 0, r.stderr)
        d = panel_wal_dir(r.stderr)
        self.assertTrue(d and d.startswith("/"), r.stderr)
        self.assertFalse(os.path.exists(d))
        self.assertIn("removed at exit", r.stderr)

    def test_keep(self):
        r = run(["run", "--keep", "true"])
        d = panel_wal_dir(r.stderr)
        self.assertTrue(os.path.isdir(d), r.stderr)
        kinds = [x["kind"] for x in inspect(d)]
        self.assertEqual(kinds[0], "run.start")
        self.assertEqual(kinds[-1], "run.end")
        self.assertIn("workload.start", kinds)
        v = run(["wal", "verify", "--dir", d])
        self.assertEqual(v.returncode, 0, v.stderr)

    def test_pinned_by_flag_and_env_flag_wins(self):
        t = self.tmpdir()
        flag, env = os.path.join(t, "flag"), os.path.join(t, "env")
        r = run(["run", "--dir", flag, "true"],
                env={"AUTONOMY_RUN_WAL_DIR": env})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isdir(flag))
        self.assertFalse(os.path.exists(env))
        self.assertEqual(panel_wal_dir(r.stderr), flag)
        r = run(["run", "true"], env={"AUTONOMY_RUN_WAL_DIR": env})
        self.assertTrue(os.path.isdir(env))
        self.assertIn("pinned", r.stderr)

    def test_pinned_dir_continues_chain(self):
        d = os.path.join(self.tmpdir(), "wal")
        run(["run", "--dir", d, "true"])
        n1 = len(inspect(d))
        run(["run", "--dir", d, "true"])
        recs = inspect(d)
        self.assertGreater(len(recs), n1)
        self.assertEqual([r["seq"] for r in recs],
                         list(range(1, len(recs) + 1)))
        v = run(["wal", "verify", "--dir", d])
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertIn("OK %d records" % len(recs), v.stdout)

    def test_dir_not_a_directory(self):
        f = os.path.join(self.tmpdir(), "file")
        open(f, "w").close()
        r = run(["run", "--dir", f, "true"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f, r.stderr)

    def test_misplaced_flags_hint(self):
        r = run(["run", "sh", "-c", "exit 0", "--keep"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("--keep came after the command", r.stderr)
        self.assertIn("did you mean: autonomy run --keep -- sh -c 'exit 0'",
                      r.stderr)
        d = panel_wal_dir(r.stderr)
        self.assertFalse(os.path.exists(d), "a misplaced --keep must not keep")


class Panel(TestCase):
    def test_footprint_panel(self):
        rt = Runtime(["--keep"])
        rt.tool("tool.echo", {"a": 1})
        rt.tool("tool.echo", {"a": 2})
        rt.tool("tool.shell", {})
        pids = rt.helper_pids()
        self.assertEqual(rt.finish(), 0, rt.stderr)
        err = rt.stderr
        self.assertIn("System footprint", err)
        self.assertRegex(err, r"decisions +2 allowed, 1 denied")
        self.assertRegex(err, r"records +\d+ written this run")
        for name in ("walwriter", "policyd", "spawner", "toolsrv"):
            self.assertIn("%s=%d" % (name, pids[name]), err)
        self.assertIn(rt.url, err)
        self.assertRegex(err, r"wall time +\d+\.\d+ s")


class Demo(TestCase):
    def test_example_agent(self):
        r = run(["run", "--keep", sys.executable,
                 os.path.join(ROOT, "examples", "agent.py")])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("tool.echo -> allow", r.stdout)
        self.assertIn("tool.shell -> deny", r.stdout)
        d = panel_wal_dir(r.stderr)
        kinds = [x["kind"] for x in inspect(d)]
        self.assertIn("policy.allow", kinds)
        self.assertIn("policy.deny", kinds)


if __name__ == "__main__":
    unittest.main()
