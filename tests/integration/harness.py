"""Shared pieces for the integration tests: they run the real binaries."""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
AUTONOMY = os.environ.get("AUTONOMY_BIN") or os.path.join(
    ROOT, "build", "supervisor", "autonomy")

# A workload that hands its environment to the test and waits until the
# test closes its stdin, so the test itself plays the agent.
STUB = r"""
import os, sys
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(os.environ.get("AUTONOMY_RUNTIME_URL", "") + "\n")
    f.write(os.environ.get("AUTONOMY_RUNTIME_TOKEN", "") + "\n")
    f.write(str(os.getpid()) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
sys.stdin.read()
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
"""


def run(args, env=None, timeout=60, **kw):
    e = dict(os.environ)
    e.pop("AUTONOMY_RUN_WAL_DIR", None)
    if env:
        e.update(env)
    return subprocess.run([AUTONOMY] + args, env=e, capture_output=True,
                          text=True, timeout=timeout, **kw)


def wait_for(pred, timeout=20, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


class Runtime:
    """`autonomy run [flags] -- python3 STUB` with the test as the agent."""

    def __init__(self, flags=(), env=None, exit_code=0):
        self.tmp = tempfile.mkdtemp(prefix="autonomy-it.")
        self.info = os.path.join(self.tmp, "info")
        e = dict(os.environ)
        e.pop("AUTONOMY_RUN_WAL_DIR", None)
        if env:
            e.update(env)
        self.proc = subprocess.Popen(
            [AUTONOMY, "run", *flags, "--", sys.executable, "-c", STUB,
             self.info, str(exit_code)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=e, text=True)
        try:
            wait_for(lambda: os.path.exists(self.info) or
                     self.proc.poll() is not None, what="the workload")
        except AssertionError:
            self.proc.kill()
            raise
        if self.proc.poll() is not None:
            out, err = self.proc.communicate()
            raise AssertionError("autonomy exited early (%d): %s" %
                                 (self.proc.returncode, err))
        with open(self.info) as f:
            self.url, self.token, pid = f.read().split("\n")[:3]
        self.workload_pid = int(pid)
        m = re.match(r"^http://127\.0\.0\.1:(\d+)$", self.url)
        assert m, "bad AUTONOMY_RUNTIME_URL %r" % self.url
        self.port = int(m.group(1))
        self.stdout = self.stderr = None

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, token=True, headers=None,
                conn=None):
        h = dict(headers or {})
        if token is True:
            h["Authorization"] = "Bearer " + self.token
        elif token:
            h["Authorization"] = token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        c = conn or self.conn()
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        raw = r.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw
        if conn is None:
            c.close()
        return r.status, data, r

    def tool(self, kind, params=None, **kw):
        body = {"kind": kind}
        if params is not None:
            body["params"] = params
        return self.request("POST", "/v1/tool", body, **kw)

    def helper_pids(self):
        """name -> pid of the helper children of autonomy."""
        out = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            comm = st[st.index("(") + 1:st.rindex(")")]
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            if ppid == self.proc.pid:
                out[comm] = int(d)
        return out

    def finish(self, timeout=30):
        # communicate() closes the workload's stdin: the stub then exits
        self.stdout, self.stderr = self.proc.communicate(timeout=timeout)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
        shutil.rmtree(self.tmp, ignore_errors=True)


def panel_wal_dir(stderr):
    m = re.search(r"^  WAL          (\S+)$", stderr, re.M)
    return m.group(1) if m else None


def inspect(waldir, *args):
    r = run(["wal", "inspect", "--dir", waldir, "--json", *args])
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines() if line]


def attrs(rec):
    a = rec.get("attrs", {})
    if isinstance(a, list):
        return {x["key"]: x["value"] for x in a}
    return a


class TestCase(unittest.TestCase):
    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="autonomy-it.")
        # also called as cls.tmpdir(cls) from setUpClass
        if isinstance(self, type):
            self.addClassCleanup(shutil.rmtree, d, True)
        else:
            self.addCleanup(shutil.rmtree, d, True)
        return d
