#!/usr/bin/env python3
"""The MAVLink demo agent (stdlib only): arms, takes off, flies inside the
geofence, tries a goto outside it (denied, shown), and lands. Every call
is a governed tool call; each decision is printed as it comes.

  autonomy demo mavlink-sitl            (starts mavsim and this agent)
  autonomy run --mavlink-endpoint tcp:127.0.0.1:PORT \\
      --mavlink-environment sitl -- python3 examples/drone_agent.py
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

URL = os.environ["AUTONOMY_RUNTIME_URL"] + "/v1/tool"
TOKEN = os.environ["AUTONOMY_RUNTIME_TOKEN"]
HOME = (47.397742, 8.545594)  # mavsim's home; the demo fence's centre


def call(kind, **params):
    """One tool call: (HTTP status, answer). Prints the decision."""
    req = urllib.request.Request(
        URL, data=json.dumps({"kind": kind, "params": params}).encode(),
        headers={"Authorization": "Bearer " + TOKEN,
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            status, answer = r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        status, answer = e.code, json.loads(e.read() or b"{}")
    if kind != "tool.mavlink.status" or status != 200:
        show(kind, params, status, answer)
    return status, answer


def show(kind, params, status, a):
    p = json.dumps(params, sort_keys=True) if params else ""
    if status == 200:
        out = a.get("output", {})
        what = out.get("result", "")
        print("  ALLOW  %-22s %-44s -> %s   [%s]" % (
            kind, p, what, a["audit_id"][:8]), flush=True)
    elif status == 403:
        print("  DENY   %-22s %-44s by the %s layer   [%s]\n"
              "         why: %s" % (kind, p, a.get("layer"),
                                    a["audit_id"][:8], a.get("reason")),
              flush=True)
    else:
        print("  %d    %-22s %s: %s" % (status, kind, p,
                                       a.get("error", a)), flush=True)


def wait_for(what, pred, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        status, a = call("tool.mavlink.status")
        if status == 200 and pred(a["output"]):
            o = a["output"]
            pos = o.get("global_position_int", {})
            print("  ....   %s: mode %s, %s, %.1f m up, at %.6f %.6f" % (
                what, o["mode"], o["armed_state"],
                pos.get("relative_alt_m", 0), pos.get("lat", 0),
                pos.get("lon", 0)), flush=True)
            return o
        time.sleep(0.3)
    print("agent: gave up waiting: " + what)
    sys.exit(1)


def command(kind, **params):
    time.sleep(0.15)  # the demo's min_command_interval_ms is 100
    return call("tool.mavlink." + kind, **params)


def main():
    print("agent: runtime at %s" % os.environ["AUTONOMY_RUNTIME_URL"])
    wait_for("waiting for a 3D GPS fix",
             lambda o: o["gps"]["fix_type"] >= 3)
    command("set_mode", mode="GUIDED")
    status, _ = command("arm")
    if status != 200:
        return 1
    wait_for("armed", lambda o: o["armed"])
    command("takeoff", alt_m=10)
    wait_for("climbing to 10 m",
             lambda o: o["global_position_int"]["relative_alt_m"] > 9.5)
    inside = (HOME[0] + 0.0008, HOME[1] + 0.0006)  # ~100 m: inside
    command("goto", lat=inside[0], lon=inside[1], alt_m=15)
    wait_for("flying inside the fence", lambda o: abs(
        o["global_position_int"]["lat"] - inside[0]) < 2e-5)
    outside = (HOME[0] + 0.003, HOME[1])  # ~330 m: outside the 150 m fence
    status, _ = command("goto", lat=outside[0], lon=outside[1], alt_m=15)
    if status != 403:
        print("agent: the goto outside the fence was allowed?!")
        return 1
    command("land")
    wait_for("landed and disarmed", lambda o: not o["armed"], timeout=120)
    print("agent: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
