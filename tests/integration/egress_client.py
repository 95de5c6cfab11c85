"""The workload of test_egress.py: runs inside autonomy's network
namespace (loopback only, the egress proxy in HTTP_PROXY / HTTPS_PROXY /
ALL_PROXY) and tries every way out, printing one JSON object: curl and
Python urllib as real clients through the proxy, raw CONNECTs, and
direct connections that bypass it. argv[1]: the test CA's file."""
import errno
import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

CA = sys.argv[1]
PROXY = os.environ.get("HTTP_PROXY", "")
out = {"env": {k: os.environ.get(k) for k in (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
    "all_proxy", "NO_PROXY", "no_proxy")}}


def urllib_get(url, data=None, headers=None, method=None):
    ctx = ssl.create_default_context(cafile=CA)
    req = urllib.request.Request(url, data=data, headers=headers or {},
                                 method=method)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=20) as r:
            return {"status": r.status, "body": r.read().decode()}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode()}
    except Exception as e:  # noqa: BLE001 - the test reads the text
        return {"error": str(e)}


def curl(*args):
    r = subprocess.run(["curl", "-sS", "-m", "20", "--cacert", CA,
                        "-w", "\n%{http_code}", *args],
                       capture_output=True, text=True)
    body, _, code = r.stdout.rpartition("\n")
    return {"exit": r.returncode, "code": code, "body": body,
            "stderr": r.stderr}


def proxy_raw(data, read_all=True):
    """Bytes sent to the proxy as they are; what it answers."""
    host, port = PROXY[len("http://"):].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=20)
    s.sendall(data)
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
        if not read_all and b"\r\n\r\n" in got:
            break
    return s, got.decode("latin-1")


def connect_echo(authority):
    s, head = proxy_raw(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
                         (authority, authority)).encode(), read_all=False)
    status = head.split(" ", 2)[1]
    echoed = ""
    if status == "200":
        s.sendall(b"ping through the tunnel")
        echoed = s.recv(100).decode()
    s.close()
    return {"status": status, "echo": echoed, "head": head}


def direct(kind, addr):
    s = socket.socket(socket.AF_INET,
                      socket.SOCK_STREAM if kind == "tcp"
                      else socket.SOCK_DGRAM)
    s.settimeout(5)
    try:
        if kind == "tcp":
            s.connect(addr)
        else:
            s.sendto(b"x", addr)
        return "CONNECTED"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e))
    finally:
        s.close()


out["urllib_http"] = urllib_get("http://allowed.test:8080/ok")
out["urllib_https"] = urllib_get("https://allowed.test:8443/ok")
out["urllib_denied"] = urllib_get("http://other.test:8080/ok")
out["urllib_https_denied"] = urllib_get("https://other.test:8443/ok")
out["urllib_post"] = urllib_get(
    "http://allowed.test:8080/echo", data=b"the request body",
    headers={"Authorization": "Bearer client-secret",
             "Cookie": "c=client-cookie", "X-Visible": "yes"})
out["curl_http"] = curl("http://allowed.test:8080/ok")
out["curl_https"] = curl("https://allowed.test:8443/ok")
out["curl_denied"] = curl("http://other.test:8080/ok")
out["curl_https_denied"] = curl("https://other.test:8443/ok")
out["curl_chunked_post"] = curl(
    "-H", "Transfer-Encoding: chunked", "--data-binary", "chunked body",
    "http://allowed.test:8080/echo")
out["curl_chunked_response"] = curl("http://allowed.test:8080/chunked")
out["curl_head"] = curl("-I", "http://allowed.test:8080/ok")
out["wildcard_private"] = curl("http://a.wild.test:8080/ok")
out["literal_wrong_port"] = curl("http://10.200.0.2:8080/ok")
out["literal_loopback"] = curl("--noproxy", "", "-x", PROXY,
                              "http://127.0.0.1:8080/ok")
out["connect_echo"] = connect_echo("10.200.0.2:9000")
out["connect_mapped"] = connect_echo("[::ffff:10.200.0.2]:9000")
out["connect_denied"] = connect_echo("other.test:9000")
out["malformed"] = proxy_raw(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")[1]
out["smuggle"] = proxy_raw(
    b"POST http://allowed.test:8080/echo HTTP/1.1\r\nHost: allowed.test:8080"
    b"\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")[1]
out["direct_tcp"] = direct("tcp", ("10.200.0.2", 8080))
out["direct_udp"] = direct("udp", ("10.200.0.2", 53))
out["direct_tcp_via_name"] = direct("tcp", ("allowed.test", 8443))
try:
    socket.getaddrinfo("example.com", 443)
    out["dns"] = "RESOLVED"
except OSError as e:
    out["dns"] = str(e)
# the runtime's own URL is not proxied (NO_PROXY)
out["runtime"] = urllib_get(
    os.environ["AUTONOMY_RUNTIME_URL"] + "/v1/tool",
    data=json.dumps({"kind": "tool.echo", "params": {"a": 1}}).encode(),
    headers={"Authorization": "Bearer " + os.environ["AUTONOMY_RUNTIME_TOKEN"],
             "Content-Type": "application/json"})
print("EGRESS_RESULT " + json.dumps(out), flush=True)
