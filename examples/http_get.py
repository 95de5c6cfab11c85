#!/usr/bin/env python3
"""tool.http_get from an agent: one fetch the runtime allows, one the
policy forbids, one the runtime's allowed domains refuse.

    python3 -m http.server 8000 --bind 127.0.0.1 &     # something to fetch
    autonomy run --allow-domain 127.0.0.1:8000 -- \\
        python3 examples/http_get.py http://127.0.0.1:8000/

Loopback is refused unless listed exactly, as here; with no
--allow-domain at all every tool.http_get is refused (fail closed).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from autonomy_client import call, Denied  # noqa: E402


def fetch(url, **params):
    try:
        out = call("tool.http_get", endpoint=url, **params)
    except Denied as e:
        a = e.answer
        print("denied by the %s layer: %s" % (a["layer"], a["reason"]))
        print("  audit_id %s" % a["audit_id"])
        return
    o = out["output"]
    body = o.get("body", "<%d bytes of base64>" % len(o.get("body_base64",
                                                             "")))
    print("%s -> %d%s" % (o["url"], o["status"],
                          " (truncated)" if o["truncated"] else ""))
    if "error" in o:
        print("  error: %s" % o["error"])
    print("  %s" % body[:200].replace("\n", "\n  "))
    print("  audit_id %s" % out["audit_id"])


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/"
    fetch(url, max_bytes=4096, timeout_ms=5000)
    # forbidden by the demo policy (demo-forbid-metadata)
    fetch("http://169.254.169.254/latest/meta-data/")
    # not in the allowed domains: the fetcher's runtime layer refuses it
    fetch("https://example.com/")


if __name__ == "__main__":
    main()
