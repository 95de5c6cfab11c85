"""tool.http_get end to end: policyd decides every hop, the fetcher's
runtime layer (allowed domains, address checks) decides again and writes
runtime.allow / runtime.deny under the same audit id, then fetches.

No packet leaves the machine: the servers listen on 127.0.0.1 (allowed
explicitly, since loopback is refused otherwise), names are mapped with an
/etc/hosts bound over the real one inside a mount namespace, and the
refusals (169.254.169.254, 10.x, names of a wildcard that point inside)
are decided before any connection."""
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness
from harness import Runtime, TestCase, attrs, inspect

BIG = 1024 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="text/plain; charset=utf-8",
             headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        port = self.server.server_address[1]
        if p == "/ok":
            self.send(200, "hello \u00e9\n".encode(), headers=[
                ("X-Test", "a"), ("X-Test", "b")])
        elif p == "/bin":
            self.send(200, bytes(range(256)), "application/octet-stream")
        elif p == "/big":
            self.send(200, b"x" * BIG)
        elif p == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"a")
            self.wfile.flush()
            time.sleep(3)
            try:
                self.wfile.write(b"b" * 9)
            except OSError:
                pass  # the fetcher gave up, as it should
        elif p == "/headers":
            self.send(200, json.dumps(dict(self.headers)).encode(),
                      "application/json")
        elif p.startswith("/to/"):
            loc = p[len("/to/"):].replace("PORT", str(port))
            self.send(302, b"", headers=[("Location", loc)])
        elif p == "/loop":
            self.send(302, b"", headers=[("Location", "/loop")])
        elif p == "/pause":
            time.sleep(0.4)
            self.send(302, b"", headers=[("Location", "/pause")])
        else:
            self.send(404, b"no\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a bounded fetch closes mid-body: that is the point


def start_server(ssl_ctx=None):
    s = Server(("127.0.0.1", 0), Handler)
    if ssl_ctx is not None:
        s.socket = ssl_ctx.wrap_socket(s.socket, server_side=True)
    t = threading.Thread(target=s.serve_forever, daemon=True)
    t.start()
    return s


def make_ca(d):
    """A CA and a server certificate for 127.0.0.1 / localhost, made now."""
    def ossl(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True)
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, crt = (os.path.join(d, n) for n in ("s.key", "s.csr", "s.pem"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
         "-out", ca, "-days", "2", "-subj", "/CN=autonomy test CA")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=127.0.0.1")
    ossl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
    return ca, crt, key


class HttpGet(TestCase):
    @classmethod
    def setUpClass(cls):
        import ssl
        cls.tmp = tempfile.mkdtemp(prefix="autonomy-http.")
        cls.srv = start_server()
        cls.port = cls.srv.server_address[1]
        cls.ca, crt, key = make_ca(cls.tmp)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        cls.tls = start_server(ctx)
        cls.tport = cls.tls.server_address[1]
        cls.wal = os.path.join(cls.tmp, "wal")
        cls.rt = Runtime(["--dir", cls.wal,
                          "--allow-domain", "127.0.0.1:%d" % cls.port,
                          "--allow-domain", "localhost:%d" % cls.port,
                          "--allow-domain", "127.0.0.1:%d" % cls.tport,
                          "--ca-file", cls.ca])

    @classmethod
    def tearDownClass(cls):
        code = cls.rt.finish()
        cls.srv.shutdown()
        cls.tls.shutdown()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, (code, cls.rt.stderr)

    def url(self, path, host="127.0.0.1"):
        return "http://%s:%d%s" % (host, self.port, path)

    def get(self, endpoint, **params):
        params["endpoint"] = endpoint
        return self.rt.tool("tool.http_get", params)

    def records(self, audit_id, want=0):
        deadline = time.monotonic() + 5
        while True:
            recs = inspect(self.wal, "--audit-id", audit_id)
            if len(recs) >= want or time.monotonic() > deadline:
                return recs
            time.sleep(0.02)

    def trail(self, audit_id, want=0):
        return [(r["kind"], r["origin"], attrs(r).get("hop"))
                for r in self.records(audit_id, want)]

    def test_allow_two_layers_one_audit_id(self):
        st, body, r = self.get(self.url("/ok"))
        self.assertEqual(st, 200, body)
        out = body["output"]
        self.assertEqual(out["status"], 200)
        self.assertEqual(out["body"], "hello \u00e9\n")
        self.assertFalse(out["truncated"])
        self.assertEqual(out["headers"]["x-test"], "a, b")
        self.assertEqual(out["url"], self.url("/ok"))
        self.assertEqual(self.trail(body["audit_id"], 3), [
            ("policy.allow", "policyd", "0"),
            ("runtime.allow", "fetcher", "0"),
            ("tool.result", "policyd", None)])
        recs = self.records(body["audit_id"])
        a = attrs(recs[1])
        self.assertEqual(a["rule"], "127.0.0.1:%d" % self.port)
        self.assertEqual(a["address"], "127.0.0.1")
        self.assertEqual(attrs(recs[0])["url"], self.url("/ok"))

    def test_runtime_deny_not_allowed(self):
        # the host is allowed on one port only
        st, body, _ = self.get("http://127.0.0.1:%d/ok" % (self.port + 1
                               if self.port + 1 != self.tport else 1))
        self.assertEqual(st, 403, body)
        self.assertEqual(body["layer"], "runtime")
        self.assertIn("is not in the allowed domains", body["reason"])
        self.assertEqual(self.trail(body["audit_id"]), [
            ("policy.allow", "policyd", "0"),
            ("runtime.deny", "fetcher", "0")])
        st, body, _ = self.get("http://example.com/")
        self.assertEqual(st, 403, body)
        self.assertEqual(body["layer"], "runtime")

    def test_policy_deny(self):
        for ep in ("http://169.254.169.254/latest/meta-data/",
                   "http://metadata.internal/"):
            st, body, _ = self.get(ep)
            self.assertEqual(st, 403, body)
            self.assertEqual(body["layer"], "policy")
            self.assertEqual(body["policies"], ["demo-forbid-metadata"])
            self.assertEqual(self.trail(body["audit_id"]),
                             [("policy.deny", "policyd", "0")])

    def test_redirect_followed_and_checked_per_hop(self):
        st, body, _ = self.get(self.url("/to/http://localhost:PORT/ok"))
        self.assertEqual(st, 200, body)
        self.assertEqual(body["output"]["url"], self.url("/ok", "localhost"))
        self.assertEqual(self.trail(body["audit_id"], 5), [
            ("policy.allow", "policyd", "0"),
            ("runtime.allow", "fetcher", "0"),
            ("policy.allow", "policyd", "1"),
            ("runtime.allow", "fetcher", "1"),
            ("tool.result", "policyd", None)])

    def test_redirect_to_disallowed_host(self):
        st, body, _ = self.get(self.url("/to/http://127.0.0.2:PORT/ok"))
        self.assertEqual(st, 403, body)
        self.assertEqual(body["layer"], "runtime")
        self.assertEqual(self.trail(body["audit_id"]), [
            ("policy.allow", "policyd", "0"),
            ("runtime.allow", "fetcher", "0"),
            ("policy.allow", "policyd", "1"),
            ("runtime.deny", "fetcher", "1")])

    def test_redirect_refused_by_policy(self):
        st, body, _ = self.get(self.url("/to/http://169.254.169.254/"))
        self.assertEqual(st, 403, body)
        self.assertEqual(body["layer"], "policy")
        self.assertIn("redirect (hop 1)", body["reason"])
        self.assertEqual(self.trail(body["audit_id"]), [
            ("policy.allow", "policyd", "0"),
            ("runtime.allow", "fetcher", "0"),
            ("policy.deny", "policyd", "1")])

    def test_redirect_elsewhere_refused(self):
        st, body, _ = self.get(self.url("/to/file:///etc/passwd"))
        self.assertEqual(st, 403, body)
        self.assertEqual(body["layer"], "runtime")
        self.assertIn("only http:// and https://", body["reason"])

    def test_redirects_bounded(self):
        st, body, _ = self.get(self.url("/loop"))
        self.assertEqual(st, 403, body)
        self.assertIn("more than 5 redirects", body["reason"])
        t = self.trail(body["audit_id"])
        self.assertEqual(t.count(("runtime.allow", "fetcher", "5")), 1)
        self.assertEqual(t[-1], ("runtime.deny", "fetcher", "6"))

    def test_credentials_stay_with_the_endpoint_host(self):
        h = {"Authorization": "Bearer s3cret", "Cookie": "a=b",
             "X-Plain": "1"}
        st, body, _ = self.get(self.url("/to//headers"), headers=h)
        got = json.loads(body["output"]["body"])
        self.assertEqual(got.get("Authorization"), "Bearer s3cret")
        st, body, _ = self.get(
            self.url("/to/http://localhost:PORT/headers"), headers=h)
        self.assertEqual(st, 200, body)
        got = json.loads(body["output"]["body"])
        self.assertNotIn("Authorization", got)
        self.assertNotIn("Cookie", got)
        self.assertEqual(got.get("X-Plain"), "1")

    def test_oversize_bounded(self):
        st, body, _ = self.get(self.url("/big"), max_bytes=1000)
        self.assertEqual(st, 200, body)
        self.assertTrue(body["output"]["truncated"])
        self.assertEqual(body["output"]["body"], "x" * 1000)
        # the default bound: 256 KiB of the 1 MiB
        st, body, _ = self.get(self.url("/big"))
        self.assertEqual(len(body["output"]["body"]), 256 * 1024)
        self.assertTrue(body["output"]["truncated"])

    def test_slow_bounded(self):
        t0 = time.monotonic()
        st, body, _ = self.get(self.url("/slow"), timeout_ms=500)
        self.assertLess(time.monotonic() - t0, 2.5)
        self.assertEqual(st, 200, body)
        self.assertIn("timed out", body["output"]["error"])
        self.assertEqual(body["output"]["body"], "a")

    def test_budget_spans_redirects(self):
        # timeout_ms bounds the whole call: each redirect hop gets what is
        # left (0.4 s a hop here), so the call ends near 1 s, not after
        # five hops of 1 s each
        t0 = time.monotonic()
        st, body, _ = self.get(self.url("/pause"), timeout_ms=1000)
        took = time.monotonic() - t0
        self.assertEqual(st, 200, body)
        self.assertIn("timed out", body["output"]["error"])
        self.assertLess(took, 1.9)
        self.assertGreater(took, 0.9)

    def test_binary_body(self):
        st, body, _ = self.get(self.url("/bin"))
        import base64
        self.assertEqual(base64.b64decode(body["output"]["body_base64"]),
                         bytes(range(256)))
        self.assertNotIn("body", body["output"])

    def test_bad_params(self):
        for params, needle in (
                ({"endpoint": "ftp://x/"}, "only http"),
                ({"endpoint": "http://u:p@127.0.0.1/"}, "user info"),
                ({"endpoint": "http://127.1/"}, "dotted quad"),
                ({"endpoint": self.url("/ok"), "headers": {"Host": "x"}},
                 "set by the runtime"),
                ({"endpoint": self.url("/ok"), "timeout_ms": 0},
                 "timeout_ms"),
                ({"endpoint": self.url("/ok"), "timeout_ms": 8001},
                 "from 1 to 8000 (the whole call"),
                ({"endpoint": self.url("/ok"), "max_bytes": 10 ** 9},
                 "max_bytes"),
                ({"endpoint": self.url("/ok"), "method": "POST"},
                 "unknown param")):
            st, body, _ = self.rt.tool("tool.http_get", params)
            self.assertEqual(st, 400, (params, body))
            self.assertIn(needle, body["error"])

    def test_https_with_test_ca(self):
        st, body, _ = self.get("https://127.0.0.1:%d/ok" % self.tport)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["output"]["status"], 200)
        self.assertNotIn("error", body["output"])

    def test_fetcher_confined(self):
        pid = self.rt.helper_pids()["fetcher"]
        with open("/proc/%d/status" % pid) as f:
            st = f.read()
        self.assertIn("NoNewPrivs:\t1", st)
        self.assertIn("Seccomp:\t2", st)
        self.assertIn("CapEff:\t0000000000000000", st)
        # no file but the descriptors it was given, and no workload
        self.assertEqual(os.listdir("/proc/%d/task" % pid).__len__() > 1,
                         True)


class Wrapped(TestCase):
    """Runs autonomy with an /etc/hosts of our own (a mount namespace)."""

    def run_with_hosts(self, hosts, flags):
        d = tempfile.mkdtemp(prefix="autonomy-hosts.")
        hf = os.path.join(d, "hosts")
        with open(hf, "w") as f:
            f.write(hosts)
        wrapper = os.path.join(d, "autonomy")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec unshare -m sh -c \'mount --bind "$0" '
                    '/etc/hosts && exec "$@"\' %s %s "$@"\n'
                    % (hf, harness.AUTONOMY))
        os.chmod(wrapper, 0o755)
        real = harness.AUTONOMY
        harness.AUTONOMY = wrapper
        try:
            return Runtime(flags), d
        finally:
            harness.AUTONOMY = real

    def test_name_pointing_inside_refused(self):
        srv, srv2 = start_server(), start_server()
        port, port2 = srv.server_address[1], srv2.server_address[1]
        rt, d = self.run_with_hosts(
            "127.0.0.1 good.svc.test evil.svc.test listed.svc.test\n"
            "10.200.0.9 intranet.svc.test\n",
            ["--allow-domain", "good.svc.test:%d" % port,
             "--allow-domain", "*.svc.test",
             "--allow-domain", "127.0.0.1:%d" % port2])
        try:
            # an exact entry: its loopback address is allowed
            st, body, _ = rt.tool("tool.http_get", {
                "endpoint": "http://good.svc.test:%d/ok" % port})
            self.assertEqual(st, 200, body)
            self.assertEqual(body["output"]["status"], 200)
            # a wildcard: the name resolves inside, refused before any
            # connection
            for host, addr, cls in (("evil.svc.test", "127.0.0.1",
                                     "loopback"),
                                    ("intranet.svc.test", "10.200.0.9",
                                     "private")):
                st, body, _ = rt.tool("tool.http_get", {
                    "endpoint": "http://%s:%d/ok" % (host, port)})
                self.assertEqual(st, 403, body)
                self.assertEqual(body["layer"], "runtime")
                self.assertIn("resolves to %s, a %s address" % (addr, cls),
                              body["reason"])
            # ... unless that very address (and port) is listed exactly
            st, body, _ = rt.tool("tool.http_get", {
                "endpoint": "http://listed.svc.test:%d/ok" % port2})
            self.assertEqual(st, 200, body)
            self.assertEqual(body["output"]["status"], 200)
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
            srv.shutdown()
            srv2.shutdown()
            shutil.rmtree(d, ignore_errors=True)

    def test_flags_refused_before_anything(self):
        for flags, needle in (
                (["--allow-domain", "*.com"], "at least two labels"),
                (["--allow-domain", "Example.com"], "--allow-domain"),
                (["--allow-domain", "x.com:0"], "port"),
                (["--ca-file", "/nonexistent"], "--ca-file /nonexistent"),
                (["--ca-file", "/etc/hostname"], "no PEM certificate")):
            r = harness.run(["run", *flags, "--", "true"])
            self.assertEqual(r.returncode, 64, (flags, r.stderr))
            self.assertIn(needle, r.stderr)
            self.assertIn("nothing was run", r.stderr)


if __name__ == "__main__":
    unittest.main()
