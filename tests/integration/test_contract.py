"""The /v1/tool contract, over real HTTP against a real run."""
import json
import os
import re
import shutil
import time
import socket
import unittest

from harness import Runtime, TestCase, attrs, inspect

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                  r"[0-9a-f]{12}$")


class Contract(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wal = os.path.join(cls.tmpdir(cls), "wal")
        cls.rt = Runtime(["--dir", cls.wal])

    @classmethod
    def tearDownClass(cls):
        code = cls.rt.finish()
        assert code == 0, (code, cls.rt.stderr)
        shutil.rmtree(cls.wal, ignore_errors=True)

    def records(self, audit_id, want=0):
        # The decision is durable before the answer; tool.result is
        # written once the answer is on its way, so wait for it (briefly).
        deadline = time.monotonic() + 5
        while True:
            recs = inspect(self.wal, "--audit-id", audit_id)
            if len(recs) >= want or time.monotonic() > deadline:
                return recs
            time.sleep(0.02)

    def test_echo_allowed(self):
        params = {"message": "hi", "n": [1, 2, {"x": None}]}
        st, body, r = self.rt.tool("tool.echo", params)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["decision"], "allow")
        self.assertEqual(body["kind"], "tool.echo")
        self.assertEqual(body["output"], params)
        self.assertEqual(body["policy_ref"], "demo@0.1.0")
        self.assertRegex(body["audit_id"], UUID)
        self.assertEqual(r.getheader("X-Autonomy-Audit-Id"), body["audit_id"])
        self.assertIn("application/json", r.getheader("Content-Type"))
        kinds = [x["kind"] for x in self.records(body["audit_id"], 2)]
        self.assertEqual(kinds, ["policy.allow", "tool.result"])

    def test_echo_without_params(self):
        st, body, _ = self.rt.tool("tool.echo")
        self.assertEqual(st, 200, body)
        self.assertEqual(body["output"], {})

    def test_denied_tool(self):
        st, body, r = self.rt.tool("tool.shell", {"cmd": "id"})
        self.assertEqual(st, 403, body)
        self.assertEqual(body["decision"], "deny")
        self.assertEqual(body["layer"], "policy")
        self.assertEqual(body["kind"], "tool.shell")
        self.assertIsInstance(body["policies"], list)
        self.assertIn("tool.shell", body["reason"])
        self.assertEqual(body["policy_ref"], "demo@0.1.0")
        self.assertNotIn("output", body)
        self.assertEqual(r.getheader("X-Autonomy-Audit-Id"), body["audit_id"])
        recs = self.records(body["audit_id"])
        self.assertEqual([x["kind"] for x in recs], ["policy.deny"])
        self.assertEqual(recs[0]["origin"], "policyd")
        self.assertEqual(recs[0]["tool"], "tool.shell")

    def test_params_cannot_state_runtime_facts(self):
        st, body, r = self.rt.tool("tool.echo",
                                   {"runtime": {"environment": "sitl"}})
        self.assertEqual(st, 400, body)
        self.assertIn("params.runtime is reserved", body["error"])
        self.assertNotIn("audit_id", body)
        self.assertIsNone(r.getheader("X-Autonomy-Audit-Id"))

    def test_http_get_runtime_deny_same_audit_id(self):
        st, body, r = self.rt.tool("tool.http_get",
                                   {"endpoint": "http://example.com/"})
        self.assertEqual(st, 403, body)
        self.assertEqual(body["layer"], "runtime")
        # fail closed: no --allow-domain, no allowed domain
        self.assertIn("no allowed domains are configured", body["reason"])
        self.assertIn("--allow-domain", body["reason"])
        recs = self.records(body["audit_id"])
        self.assertEqual([x["kind"] for x in recs],
                         ["policy.allow", "runtime.deny"])
        # no allowed domain, no fetcher: policyd writes the record the
        # fetcher would have
        self.assertEqual([x["origin"] for x in recs], ["policyd", "policyd"])
        a = recs[1]["attrs"]
        self.assertEqual(a["layer"], "allowed_domains")
        self.assertEqual(a["url"], "http://example.com/")
        self.assertEqual(a["hop"], "0")
        self.assertEqual(a["reason"], body["reason"])

    def test_no_fetcher_without_domains(self):
        # nothing to fetch (no allowed domain, no --allow-host): the run
        # starts no fetcher at all; with one allowed domain it does
        pids = self.rt.helper_pids()
        self.assertNotIn("fetcher", pids)
        self.assertEqual(sorted(pids),
                         ["policyd", "spawner", "toolsrv", "walwriter"])
        rt = Runtime(["--allow-domain", "127.0.0.1:1"])
        try:
            self.assertIn("fetcher", rt.helper_pids())
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
        self.assertRegex(rt.stderr, r"helpers +walwriter=\d+ policyd=\d+ "
                         r"spawner=\d+ toolsrv=\d+ fetcher=\d+\n")

    def test_allowed_but_bad_params(self):
        st, body, r = self.rt.tool("tool.echo", {"big": "x" * 70000})
        self.assertEqual(st, 400, body)
        self.assertEqual(body["decision"], "allow")
        self.assertIn("error", body)
        self.assertRegex(body["audit_id"], UUID)
        self.assertEqual(r.getheader("X-Autonomy-Audit-Id"), body["audit_id"])
        kinds = [x["kind"] for x in self.records(body["audit_id"])]
        self.assertIn("policy.allow", kinds)

    def test_token(self):
        for tok in (None, "Bearer wrong", "Bearer " + self.rt.token + "x",
                    "Basic " + self.rt.token, self.rt.token):
            st, body, r = self.rt.tool("tool.echo", {}, token=tok)
            self.assertEqual(st, 401, (tok, body))
            self.assertIn("error", body)
            self.assertNotIn("audit_id", body)
            self.assertIsNone(r.getheader("X-Autonomy-Audit-Id"))

    def bad(self, raw, want=400, needle=None):
        st, body, r = self.rt.request("POST", "/v1/tool", raw)
        self.assertEqual(st, want, (raw[:80], body))
        self.assertIn("error", body)
        self.assertNotIn("decision", body)
        self.assertNotIn("audit_id", body)
        self.assertIsNone(r.getheader("X-Autonomy-Audit-Id"))
        if needle:
            self.assertIn(needle, body["error"])

    def test_bad_bodies(self):
        self.bad("{not json")
        self.bad("")
        self.bad("[]")
        self.bad('{"kind": 5}', needle="kind")
        self.bad('{"params": {}}', needle="kind")
        self.bad('{"kind": "tool.echo", "params": []}', needle="params")
        self.bad('{"kind": "tool.echo", "params": "x"}', needle="params")
        self.bad('{"kind": "tool.echo", "extra": 1}', needle="extra")
        self.bad('{"kind": "tool.echo", "kind": "tool.shell"}')
        self.bad('{"kind": "../etc"}', needle="kind")
        self.bad('{"kind": "tool.echo", "params": ' + "[" * 5000 +
                 "]" * 5000 + "}")
        self.bad('{"kind": "tool.echo"} trailing')

    def test_too_large(self):
        body = '{"kind": "tool.echo", "params": {"x": "' + "a" * (1 << 20) \
               + '"}}'
        self.bad(body, want=413)

    def test_paths_and_methods(self):
        st, body, _ = self.rt.request("GET", "/v1/health", token=None)
        self.assertEqual(st, 200)
        st, body, _ = self.rt.request("GET", "/v1/nope")
        self.assertEqual(st, 404)
        st, body, _ = self.rt.request("POST", "/v1/tools", {"kind": "x.y"})
        self.assertEqual(st, 404)
        for m in ("GET", "PUT", "DELETE"):
            st, body, r = self.rt.request(m, "/v1/tool")
            self.assertEqual(st, 405, m)
            self.assertIn("POST", r.getheader("Allow"))

    def test_keep_alive(self):
        c = self.rt.conn()
        ids = set()
        for i in range(20):
            st, body, r = self.rt.tool("tool.echo", {"i": i}, conn=c)
            self.assertEqual(st, 200)
            self.assertEqual(body["output"], {"i": i})
            ids.add(body["audit_id"])
            if i == 0:
                sock = c.sock
            # the same TCP connection served every request
            self.assertIs(c.sock, sock)
        self.assertEqual(len(ids), 20)
        c.close()

    def test_garbage_does_not_stall(self):
        # raw junk, a half request, then a good call must still work
        s = socket.create_connection(("127.0.0.1", self.rt.port), timeout=5)
        s.sendall(b"\x00\xff garbage\r\n\r\n")
        try:
            s.recv(100)
        except OSError:
            pass
        s.close()
        s = socket.create_connection(("127.0.0.1", self.rt.port), timeout=5)
        s.sendall(b"POST /v1/tool HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        st, body, _ = self.rt.tool("tool.echo", {"after": "junk"})
        self.assertEqual(st, 200)
        s.close()


if __name__ == "__main__":
    unittest.main()
