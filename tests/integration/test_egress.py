"""The workload's egress proxy (--allow-host) end to end.

No packet leaves the machine: autonomy runs inside a network namespace
of the test's own (`unshare --net --mount`: the fetcher, hence the
proxy's upstream side, lives there), joined by a veth pair to a second
namespace holding the upstream servers on 10.200.0.2 (egress_server.py:
HTTP 8080, HTTPS 8443 with a test CA, a TCP echo on 9000). Names map to
10.200.0.2 through an /etc/hosts bound over the real one in the test's
mount namespace. 10.200.0.2 is a private address: it is reached only
where it is allowed exactly (allowed.test, 10.200.0.2:9000), and refused
through a wildcard (*.wild.test). The workload (egress_client.py) uses
curl and Python urllib through the proxy and tries direct connections,
UDP and DNS, which have no route."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import harness
from harness import AUTONOMY, TestCase, inspect, run
from test_net import can_unshare_net, has_sys_admin

HERE = os.path.dirname(os.path.abspath(__file__))
IP = shutil.which("ip") or "/usr/sbin/ip"

# $1: the temp dir; then the command. The server namespace is made by
# `unshare --net` around the server itself; we wait until it is really
# in its own namespace before moving the veth peer there.
SETUP = r"""
set -e
D=$1; shift
"$IP" link set lo up
mount --bind "$D/hosts" /etc/hosts
mkfifo "$D/srvin"
sleep 600 > "$D/srvin" &
HOLD=$!
unshare --net -- "$PY" "$SERVER" "$D/s.pem" "$D/s.key" < "$D/srvin" \
  > "$D/srv.out" 2>&1 &
SPID=$!
while [ "$(readlink /proc/$SPID/ns/net)" = "$(readlink /proc/self/ns/net)" ]
do sleep 0.02; done
"$IP" link add v0 type veth peer name v1 netns $SPID
"$IP" addr add 10.200.0.1/24 dev v0
"$IP" link set v0 up
nsenter --net=/proc/$SPID/ns/net sh -c \
  '"$IP" link set lo up; "$IP" addr add 10.200.0.2/24 dev v1; "$IP" link set v1 up'
i=0
until grep -q ready "$D/srv.out"; do
  i=$((i+1)); [ $i -lt 200 ] || { cat "$D/srv.out"; exit 99; }; sleep 0.05
done
set +e
"$@"
rc=$?
kill $HOLD $SPID 2>/dev/null
wait 2>/dev/null
exit $rc
"""


def make_ca(d):
    def ossl(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:allowed.test,DNS:other.test,"
                "IP:10.200.0.2\n")
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
         d + "/ca.key", "-out", d + "/ca.pem", "-days", "2", "-subj",
         "/CN=autonomy egress test CA")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/s.key",
         "-out", d + "/s.csr", "-subj", "/CN=allowed.test")
    ossl("x509", "-req", "-in", d + "/s.csr", "-CA", d + "/ca.pem",
         "-CAkey", d + "/ca.key", "-CAcreateserial", "-out", d + "/s.pem",
         "-days", "2", "-extfile", d + "/ext.cnf")


def missing():
    if not os.path.exists(AUTONOMY):
        return "autonomy is not built"
    if not (has_sys_admin() and can_unshare_net()):
        return "needs root and network namespaces"
    for tool in ("curl", "openssl", "nsenter", "unshare"):
        if shutil.which(tool) is None:
            return tool + " is not installed"
    if not os.path.exists(IP):
        return "ip (iproute2) is not installed"
    return None


def in_test_netns(d, cmd, timeout=180):
    e = dict(os.environ)
    e.pop("AUTONOMY_RUN_WAL_DIR", None)
    e.update(IP=IP, PY=sys.executable,
             SERVER=os.path.join(HERE, "egress_server.py"))
    return subprocess.run(
        ["unshare", "--net", "--mount", "--", "sh", "-c", SETUP, "sh", d,
         *cmd], env=e, capture_output=True, text=True, timeout=timeout,
        cwd="/")


@unittest.skipIf(missing(), missing() or "")
class Egress(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="autonomy-egress.")
        os.chmod(cls.tmp, 0o755)
        d = cls.tmp
        make_ca(d)
        with open(d + "/hosts", "w") as f:
            f.write("127.0.0.1 localhost\n"
                    "10.200.0.2 allowed.test other.test a.wild.test\n")
        cls.wal = d + "/wal"
        cls.audit = d + "/audit.jsonl"
        r = in_test_netns(d, [
            AUTONOMY, "run", "--dir", cls.wal,
            "--allow-host", "allowed.test",
            "--allow-host", "*.wild.test",
            "--allow-host", "10.200.0.2:9000",
            "--egress-audit-log", cls.audit,
            "--egress-max-body-bytes", "8",
            "--", sys.executable, os.path.join(HERE, "egress_client.py"),
            d + "/ca.pem"])
        cls.run_result = r
        line = [x for x in r.stdout.splitlines()
                if x.startswith("EGRESS_RESULT ")]
        cls.out = json.loads(line[0][len("EGRESS_RESULT "):]) if line \
            else None
        cls.records = inspect(cls.wal) if os.path.isdir(cls.wal) else []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        r = self.run_result
        self.assertIsNotNone(self.out, "no result (exit %d): %s\n%s" % (
            r.returncode, r.stdout[-3000:], r.stderr[-3000:]))

    def kinds(self, kind):
        return [x for x in self.records if x["kind"] == kind]

    def egress(self, kind, **match):
        recs = [x for x in self.kinds(kind)
                if all(x["attrs"].get(k) == v for k, v in match.items())]
        self.assertTrue(recs, "no %s record with %r in %r" % (
            kind, match, [x["attrs"] for x in self.kinds(kind)]))
        return recs

    def test_exit_and_environment(self):
        self.assertEqual(self.run_result.returncode, 0,
                         self.run_result.stderr)
        env = self.out["env"]
        proxy = env["HTTP_PROXY"]
        self.assertRegex(proxy, r"^http://127\.0\.0\.1:\d+$")
        for k in ("HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                  "all_proxy"):
            self.assertEqual(env[k], proxy, k)
        self.assertEqual(env["NO_PROXY"], "127.0.0.1,localhost")
        start = self.kinds("run.start")[0]["attrs"]
        self.assertEqual(start["allowed_hosts"],
                         "allowed.test,*.wild.test,10.200.0.2:9000")
        self.assertEqual(start["egress_proxy"], proxy)
        net = [x for x in self.kinds("sandbox.layer")
               if x["attrs"].get("layer") == "net"][0]["attrs"]
        self.assertEqual(net["mode"], "none")
        self.assertEqual(net["source"], "--allow-host (implies --net none)")

    def test_urllib_through_the_proxy(self):
        o = self.out
        self.assertEqual(o["urllib_http"],
                         {"status": 200, "body": "hello from upstream\n"})
        self.assertEqual(o["urllib_https"],
                         {"status": 200, "body": "hello from upstream\n"})
        self.assertEqual(o["urllib_denied"]["status"], 403)
        self.assertIn("other.test port 8080 is not an allowed host",
                      o["urllib_denied"]["body"])
        self.assertIn("403", o["urllib_https_denied"]["error"])
        echo = json.loads(o["urllib_post"]["body"])
        self.assertEqual(echo["body"], "the request body")
        self.assertEqual(echo["path"], "/echo")
        h = {k.lower(): v for k, v in echo["headers"].items()}
        # end to end headers go on, the proxy's own do not
        self.assertEqual(h["authorization"], "Bearer client-secret")
        self.assertEqual(h["x-visible"], "yes")
        self.assertEqual(h["connection"], "close")
        self.assertEqual(h["host"], "allowed.test:8080")
        self.assertNotIn("proxy-connection", h)

    def test_curl_through_the_proxy(self):
        o = self.out
        self.assertEqual((o["curl_http"]["exit"], o["curl_http"]["code"],
                          o["curl_http"]["body"]),
                         (0, "200", "hello from upstream\n"))
        # HTTPS: tunnelled; curl verified the upstream's own certificate
        self.assertEqual((o["curl_https"]["exit"], o["curl_https"]["body"]),
                         (0, "hello from upstream\n"))
        self.assertEqual(o["curl_denied"]["code"], "403")
        self.assertNotEqual(o["curl_https_denied"]["exit"], 0)
        self.assertIn("403", o["curl_https_denied"]["stderr"])
        echo = json.loads(o["curl_chunked_post"]["body"])
        self.assertEqual(echo["body"], "chunked body")
        self.assertEqual(o["curl_chunked_response"]["body"],
                         "one two three\n")
        self.assertEqual(o["curl_head"]["code"], "200")

    def test_refusals_by_host_port_and_address(self):
        o = self.out
        w = o["wildcard_private"]
        self.assertEqual(w["code"], "403")
        self.assertIn("a.wild.test resolves to 10.200.0.2, a private "
                      "address", w["body"])
        self.assertEqual(o["literal_wrong_port"]["code"], "403")
        self.assertEqual(o["literal_loopback"]["code"], "403")
        self.assertEqual(o["connect_echo"]["status"], "200")
        self.assertEqual(o["connect_echo"]["echo"], "ping through the tunnel")
        self.assertEqual(o["connect_mapped"]["status"], "403")
        self.assertEqual(o["connect_denied"]["status"], "403")
        self.assertTrue(o["malformed"].startswith("HTTP/1.1 400 "),
                        o["malformed"])
        self.assertIn("not a proxy request", o["malformed"])
        self.assertTrue(o["smuggle"].startswith("HTTP/1.1 400 "),
                        o["smuggle"])

    def test_no_route_around_the_proxy(self):
        o = self.out
        self.assertEqual(o["direct_tcp"], "ENETUNREACH")
        self.assertEqual(o["direct_udp"], "ENETUNREACH")
        self.assertEqual(o["direct_tcp_via_name"], "ENETUNREACH")
        self.assertNotEqual(o["dns"], "RESOLVED")

    def test_runtime_not_proxied(self):
        r = self.out["runtime"]
        self.assertEqual(r["status"], 200, r)
        self.assertEqual(json.loads(r["body"])["decision"], "allow")

    def test_wal_records(self):
        a = self.egress("egress.allow", method="GET", host="allowed.test",
                        port="8080", path="/ok")[0]
        self.assertEqual(a["origin"], "fetcher")
        self.assertEqual(a["attrs"]["address"], "10.200.0.2")
        self.assertEqual(a["attrs"]["rule"], "allowed.test")
        end = [x for x in self.kinds("egress.end")
               if x["audit_id"] == a["audit_id"]]
        self.assertEqual(len(end), 1)
        self.assertEqual(end[0]["attrs"]["status"], "200")
        self.assertGreater(int(end[0]["attrs"]["bytes_up"]), 0)
        self.assertGreater(int(end[0]["attrs"]["bytes_down"]), 20)
        self.assertIn("duration_ms", end[0]["attrs"])
        # written ahead: the allow precedes its end
        self.assertLess(a["seq"], end[0]["seq"])
        c = self.egress("egress.allow", method="CONNECT", host="allowed.test",
                        port="8443")[0]
        self.assertNotIn("path", c["attrs"])
        self.egress("egress.allow", method="CONNECT", host="10.200.0.2",
                    port="9000", rule="10.200.0.2:9000")
        d = self.egress("egress.deny", host="other.test", port="8080")[0]
        self.assertEqual(d["attrs"]["status"], "403")
        self.assertIn("not an allowed host", d["attrs"]["reason"])
        self.egress("egress.deny", host="a.wild.test", status="403")
        self.egress("egress.deny", host="::ffff:10.200.0.2")
        self.egress("egress.deny", host="127.0.0.1")
        self.egress("egress.deny", method="CONNECT", host="other.test",
                    port="8443")
        self.assertTrue(any("not a proxy request" in x["attrs"]["reason"]
                            for x in self.kinds("egress.deny")))
        for x in self.kinds("egress.allow") + self.kinds("egress.deny"):
            self.assertEqual(x["origin"], "fetcher")
        # one decision per request the workload made through the proxy
        self.assertEqual(len(self.kinds("egress.allow")),
                         len(self.kinds("egress.end")))

    def test_audit_log(self):
        with open(self.audit) as f:
            text = f.read()
        lines = [json.loads(x) for x in text.splitlines()]
        self.assertEqual(len(lines), len(self.kinds("egress.allow")) +
                         len(self.kinds("egress.deny")))
        for secret in ("client-secret", "client-cookie", "s3cret-server"):
            self.assertNotIn(secret, text)
        post = [x for x in lines if x["method"] == "POST" and
                x["target"] == "http://allowed.test:8080/echo" and
                "Authorization" in dict(x["request"]["headers"])][0]
        req = dict(post["request"]["headers"])
        self.assertEqual(req["Authorization"], "[REDACTED]")
        self.assertEqual(req["Cookie"], "[REDACTED]")
        self.assertEqual(req["X-Visible"], "yes")
        # bodies cut at --egress-max-body-bytes 8
        self.assertEqual(post["request"]["body"], "the requ")
        self.assertEqual(post["request"]["body_bytes"], 16)
        self.assertTrue(post["request"]["body_truncated"])
        resp = dict(post["response"]["headers"])
        self.assertEqual(resp["Set-Cookie"], "[REDACTED]")
        self.assertEqual(post["response"]["status"], 200)
        self.assertEqual(len(post["response"]["body"]), 8)
        tunnel = [x for x in lines if x["method"] == "CONNECT" and
                  x["decision"] == "allow"][0]
        self.assertTrue(tunnel["tunnel"])
        self.assertNotIn("response", tunnel)
        self.assertNotIn("body", tunnel["request"])
        ids = {x["audit_id"] for x in lines}
        self.assertEqual(ids, {x["audit_id"] for x in
                               self.kinds("egress.allow") +
                               self.kinds("egress.deny")})


# The workload of EgressFailClosed: says it is ready, waits until the test
# has stopped walwriter, then asks the proxy for an allowed URL.
HUNG_CLIENT = r"""
import json, os, sys, time, urllib.error, urllib.request
d = sys.argv[1]
open(d + "/ready", "w").close()
while not os.path.exists(d + "/stopped"):
    time.sleep(0.02)
t = time.monotonic()
try:
    r = urllib.request.urlopen("http://allowed.test:8080/ok", timeout=60)
    out = {"status": r.status, "body": r.read().decode()}
except urllib.error.HTTPError as e:
    out = {"status": e.code, "body": e.read().decode()}
except Exception as e:
    out = {"error": repr(e)}
out["secs"] = time.monotonic() - t
print("FC_RESULT " + json.dumps(out), flush=True)
"""


@unittest.skipIf(missing(), missing() or "")
class EgressFailClosed(TestCase):
    def test_no_record_no_connection(self):
        # walwriter hung (SIGSTOP): the proxy cannot make egress.allow
        # durable, so it answers 503 and never connects upstream
        d = tempfile.mkdtemp(prefix="autonomy-egress.")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        make_ca(d)
        with open(d + "/hosts", "w") as f:
            f.write("127.0.0.1 localhost\n10.200.0.2 allowed.test\n")
        with open(d + "/client.py", "w") as f:
            f.write(HUNG_CLIENT)
        wal = d + "/wal"
        e = dict(os.environ)
        e.pop("AUTONOMY_RUN_WAL_DIR", None)
        e.update(IP=IP, PY=sys.executable,
                 SERVER=os.path.join(HERE, "egress_server.py"))
        p = subprocess.Popen(
            ["unshare", "--net", "--mount", "--", "sh", "-c", SETUP, "sh", d,
             AUTONOMY, "run", "--dir", wal, "--allow-host", "allowed.test",
             "--", sys.executable, d + "/client.py", d],
            env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd="/")
        pid = None
        try:
            harness.wait_for(lambda: os.path.exists(d + "/ready"),
                             timeout=60, what="the workload")
            pids = subprocess.run(["pgrep", "-f", "wal-dir " + wal],
                                  capture_output=True, text=True).stdout
            pid = int(pids.split()[0])
            os.kill(pid, signal.SIGSTOP)
            open(d + "/stopped", "w").close()
            out = ""
            for line in p.stdout:  # until the answer, then let it go on
                out += line
                if line.startswith("FC_RESULT "):
                    break
            os.kill(pid, signal.SIGCONT)
            rest, err = p.communicate(timeout=120)
            out += rest
        finally:
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass  # the run ended (fail closed) and reaped it
            if p.poll() is None:
                p.kill()
                p.communicate()
        line = [x for x in out.splitlines() if x.startswith("FC_RESULT ")]
        self.assertTrue(line, out + err)
        res = json.loads(line[0][len("FC_RESULT "):])
        self.assertEqual(res.get("status"), 503, res)
        # within the proxy's bound on a record (FETCHER_WAL_TIMEOUT_MS)
        self.assertLess(res["secs"], 15, res)
        self.assertIn("the decision could not be recorded", res["body"])
        self.assertNotIn("hello from upstream", res["body"])
        # the server saw no request (the proxy never connected)
        with open(d + "/srv.out") as f:
            self.assertNotIn("REQUEST GET /ok", f.read())


@unittest.skipIf(missing(), missing() or "")
class EgressFlags(TestCase):
    def refused(self, args, needle):
        r = run(["run", *args, "--", "true"])
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn(needle, r.stderr)

    def test_flags(self):
        self.refused(["--allow-host", "a.com", "--net", "host"],
                     "--allow-host with --net host")
        self.refused(["--egress-audit-log", "/tmp/x"],
                     "no egress proxy without --allow-host")
        self.refused(["--allow-host", "a.com", "--egress-max-body-bytes",
                      "-1"], "--egress-max-body-bytes -1")
        self.refused(["--allow-host", "a.com", "--egress-max-body-bytes",
                      "16777217"], "from 0 to 16777216")
        self.refused(["--allow-host", "*.com"], "--allow-host")
        self.refused(["--allow-host", "a_b.com"], "--allow-host")
        d = tempfile.mkdtemp(prefix="autonomy-egress.")
        try:
            self.refused(["--allow-host", "a.com", "--egress-audit-log", d],
                         "--egress-audit-log")
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main(verbosity=2)
