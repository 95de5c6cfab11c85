"""Fail closed: a helper killed mid-load stops the run; no call is
allowed after the kill; the WAL stays verifiable."""
import os
import signal
import threading
import time
import unittest

from harness import Runtime, TestCase, attrs, inspect, run, wait_for


def running(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class FailClosed(TestCase):
    def kill_helper(self, name):
        wal = os.path.join(self.tmpdir(), "wal")
        rt = Runtime(["--dir", wal])
        results = []
        killed = threading.Event()
        stop = threading.Event()

        def load():
            c = None
            while not stop.is_set():
                try:
                    c = c or rt.conn()
                    st, body, _ = rt.tool("tool.echo", {"x": 1}, conn=c)
                    results.append((killed.is_set(), st, body))
                except Exception as e:  # refused, reset: all fine
                    results.append((killed.is_set(), None, repr(e)))
                    c = None
                    time.sleep(0.01)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: len(results) > 50, what="load")
            pid = rt.helper_pids()[name]
            os.kill(pid, signal.SIGKILL)
            killed.set()
            code = rt.proc.wait(timeout=30)
            time.sleep(0.3)  # calls made after autonomy exited
        finally:
            stop.set()
            for t in threads:
                t.join()
            rt.finish()
        self.assertEqual(code, 70, rt.stderr)
        self.assertIn("helper %s (pid %d)" % (name, pid), rt.stderr)
        self.assertIn("killed by signal 9", rt.stderr)
        # the workload was stopped
        self.assertFalse(running(rt.workload_pid), "workload not stopped")
        ok_before = [r for r in results if not r[0] and r[1] == 200]
        self.assertGreater(len(ok_before), 0)
        # Calls that raced with the kill may still complete; but once
        # autonomy has exited, nothing answers at all.
        after = [r for r in results if r[0]]
        self.assertTrue(all(r[1] in (None, 200, 503) for r in after),
                        after[:5])
        st = None
        try:
            st, _, _ = rt.tool("tool.echo", {})
        except OSError:
            pass
        self.assertIsNone(st, "runtime still answering after fail-closed")
        v = run(["wal", "verify", "--dir", wal])
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        # every 200 has its decision in the WAL
        allowed = {r[2]["audit_id"] for r in results if r[1] == 200}
        logged = {x["audit_id"] for x in inspect(wal, "--kind",
                                                  "policy.allow")}
        self.assertFalse(allowed - logged)
        return wal

    def test_kill_policyd(self):
        wal = self.kill_helper("policyd")
        ex = inspect(wal, "--kind", "helper.exit")
        self.assertEqual(attrs(ex[-1])["helper"], "policyd")

    def test_kill_toolsrv(self):
        self.kill_helper("toolsrv")

    def test_kill_walwriter(self):
        self.kill_helper("walwriter")

    def test_kill_spawner(self):
        self.kill_helper("spawner")


if __name__ == "__main__":
    unittest.main()
