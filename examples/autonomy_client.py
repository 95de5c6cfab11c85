"""A small stdlib client for the autonomy runtime's /v1/tool endpoint.

    from autonomy_client import call, Denied
    out = call("tool.echo", message="hi")      # -> the decoded 200 body
    call("tool.rm_rf")                         # raises Denied

It reads AUTONOMY_RUNTIME_URL and AUTONOMY_RUNTIME_TOKEN, which
`autonomy run` exports to the workload, and keeps one HTTP/1.1
connection alive across calls.
"""
import http.client
import json
import os
import urllib.parse

__all__ = ["call", "Client", "Denied", "RuntimeError_"]


class Denied(Exception):
    """The call was denied (403). .answer holds the decoded body."""

    def __init__(self, answer):
        self.answer = answer
        super().__init__(
            "%s denied by the %s layer: %s (audit_id %s)"
            % (answer.get("kind"), answer.get("layer"), answer.get("reason"),
               answer.get("audit_id")))


class RuntimeError_(Exception):
    """Any other non-200 answer: .status and .answer say what."""

    def __init__(self, status, answer):
        self.status = status
        self.answer = answer
        super().__init__("runtime answered %d: %s" % (
            status, answer.get("error", answer) if isinstance(answer, dict)
            else answer))


class Client:
    def __init__(self, url=None, token=None, timeout=30):
        url = url or os.environ.get("AUTONOMY_RUNTIME_URL")
        token = token or os.environ.get("AUTONOMY_RUNTIME_TOKEN")
        if not url or not token:
            raise SystemExit(
                "AUTONOMY_RUNTIME_URL / AUTONOMY_RUNTIME_TOKEN are not set: "
                "run this under 'autonomy run'")
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.token = token
        self.timeout = timeout
        self.conn = None

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(self, kind, params=None):
        """Returns (status, decoded body, headers) without raising."""
        body = {"kind": kind}
        if params is not None:
            body["params"] = params
        data = json.dumps(body).encode()
        headers = {"Authorization": "Bearer " + self.token,
                   "Content-Type": "application/json"}
        for attempt in (0, 1):
            try:
                c = self._conn()
                c.request("POST", "/v1/tool", body=data, headers=headers)
                r = c.getresponse()
                raw = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                # a kept-alive connection the server closed: retry once
                self.conn = None
                if attempt:
                    raise
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {"error": raw.decode(errors="replace")}
        return r.status, answer, dict(r.getheaders())

    def call(self, kind, **params):
        status, answer, _ = self.request(kind, params)
        if status == 200:
            return answer
        if status == 403:
            raise Denied(answer)
        raise RuntimeError_(status, answer)


_default = None


def call(kind, **params):
    """Calls a tool; returns the decoded answer or raises Denied."""
    global _default
    if _default is None:
        _default = Client()
    return _default.call(kind, **params)
