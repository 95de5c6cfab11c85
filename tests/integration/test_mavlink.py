"""tool.mavlink.* end to end against our simulated vehicle (mavsim):
policyd asks mavproxy for the vehicle's live facts, decides with them in
context.runtime, makes policy.allow / policy.deny durable; mavproxy's
runtime layer (the link, the interval between commands, the flight
environments, arming and takeoff preconditions, the geofence) decides
again and writes runtime.allow / runtime.deny under the same audit id,
and only then talks to the autopilot.

mavsim runs with --speedup so flights take fractions of a second."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Runtime, TestCase, attrs, inspect

MAVSIM = os.environ.get("AUTONOMY_MAVSIM") or os.path.join(
    harness.ROOT, "build", "mavlink", "mavsim")
HOME = (47.397742, 8.545594)


class Sim:
    """mavsim on a loopback endpoint; stop() and start() again keep it."""

    def __init__(self, scheme="tcp", port=0, warmup=0.3, speedup=10):
        self.scheme, self.warmup, self.speedup = scheme, warmup, speedup
        self.port = port
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [MAVSIM, "--speedup", str(self.speedup), "--warmup",
             str(self.warmup), "%s:127.0.0.1:%d" % (self.scheme, self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r":(\d+)$", line.strip())
        assert m, "mavsim said %r" % line
        self.port = int(m.group(1))
        self.endpoint = "%s:127.0.0.1:%d" % (self.scheme, self.port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()  # by its own pid
        self.proc.wait()
        self.proc.stdout.close()


def bundle(d, name, cedar, mavlink=None):
    """A bundle directory with one policy and runtime.mavlink."""
    root = os.path.join(d, name)
    os.makedirs(os.path.join(root, "policies"))
    m = {"kind": "bundle", "schema_version": "1.0", "name": name,
         "version": "1.0.0", "channel": "stable",
         "min_adk_version": "0.1.0"}
    if mavlink is not None:
        m["runtime"] = {"mavlink": mavlink}
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(m, f)
    with open(os.path.join(root, "policies", "p.cedar"), "w") as f:
        f.write(cedar)
    return root


PERMIT_ALL = 'permit (principal, action, resource);\n'
FENCE = {"geofence": {"circle": {"lat": HOME[0], "lon": HOME[1],
                                 "radius_m": 150}, "max_alt_m": 40}}


class Base(TestCase):
    def records(self, wal, audit_id, want=0):
        deadline = time.monotonic() + 5
        while True:
            recs = inspect(wal, "--audit-id", audit_id)
            if len(recs) >= want or time.monotonic() > deadline:
                return recs
            time.sleep(0.02)

    def trail(self, wal, audit_id, want=0):
        return [(r["kind"], r["origin"])
                for r in self.records(wal, audit_id, want)]

    def wait_status(self, rt, pred, timeout=10):
        end = time.monotonic() + timeout
        while True:
            st, body, _ = rt.tool("tool.mavlink.status", {})
            if st == 200 and pred(body["output"]):
                return body["output"]
            if time.monotonic() > end:
                raise AssertionError("vehicle never got there: %r" % body)
            time.sleep(0.1)

    def cmd(self, rt, kind, params=None):
        time.sleep(0.12)  # the demo's min_command_interval_ms is 100
        return rt.tool("tool.mavlink." + kind, params or {})


class Flight(Base):
    """One run with the embedded MAVLink demo policy over tcp."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="autonomy-mav.")
        cls.wal = os.path.join(cls.tmp, "wal")
        # --warmup is simulated time: 30 s at 10x, 3 s of ours
        cls.sim = Sim(warmup=30)
        cls.rt = Runtime(["--dir", cls.wal, "--mavlink-endpoint",
                          cls.sim.endpoint, "--mavlink-environment",
                          "sitl"])

    @classmethod
    def tearDownClass(cls):
        code = cls.rt.finish()
        cls.sim.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, (code, cls.rt.stderr)

    def test_a_flight_inside_the_fence(self):
        rt = self.rt
        # before the 3D fix: arming is the runtime's no, whatever policy
        # says; takeoff before arming too
        st, body, _ = self.cmd(rt, "arm")
        if st == 403:
            self.assertEqual(body["layer"], "runtime")
            self.assertIn("arming needs a 3D GPS fix", body["reason"])
            self.assertEqual(self.trail(self.wal, body["audit_id"], 2), [
                ("policy.allow", "policyd"), ("runtime.deny", "mavproxy")])
        st, body, _ = self.cmd(rt, "takeoff", {"alt_m": 10})
        self.assertEqual(st, 403, body)
        self.assertIn("takeoff needs a confirmed armed state",
                      body["reason"])
        out = self.wait_status(rt, lambda o: o["gps"]["fix_type"] >= 3)
        self.assertEqual(out["armed_state"], "disarmed")
        self.assertEqual(out["mode"], "STABILIZE")
        self.assertAlmostEqual(out["global_position_int"]["lat"], HOME[0],
                               places=5)
        self.assertIn("sys_status", out)

        st, body, _ = self.cmd(rt, "set_mode", {"mode": "GUIDED"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["output"]["result"], "ACCEPTED")
        st, body, _ = self.cmd(rt, "arm")
        self.assertEqual(st, 200, body)
        self.assertEqual(body["output"]["command_id"], 400)
        self.assertEqual(body["output"]["result"], "ACCEPTED")
        self.assertEqual(self.trail(self.wal, body["audit_id"], 3), [
            ("policy.allow", "policyd"), ("runtime.allow", "mavproxy"),
            ("tool.result", "policyd")])
        a = attrs(self.records(self.wal, body["audit_id"])[1])
        self.assertEqual(a["layer"], "mavlink")
        self.assertEqual(a["environment"], "sitl")
        self.assertEqual(a["endpoint"], self.sim.endpoint)
        self.wait_status(rt, lambda o: o["armed"])

        # above the fence's ceiling: no
        st, body, _ = self.cmd(rt, "takeoff", {"alt_m": 60})
        self.assertEqual(st, 403, body)
        self.assertIn("above the geofence's maximum altitude",
                      body["reason"])
        st, body, _ = self.cmd(rt, "takeoff", {"alt_m": 10})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["output"]["result"], "ACCEPTED")
        self.wait_status(
            rt, lambda o: o["global_position_int"]["relative_alt_m"] > 9)

        target = (47.3985, 8.5460)  # ~90 m away: inside the 150 m fence
        st, body, _ = self.cmd(rt, "goto", {"lat": target[0],
                                            "lon": target[1], "alt_m": 12})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["output"]["result"], "SENT")
        self.wait_status(rt, lambda o: abs(
            o["global_position_int"]["lat"] - target[0]) < 2e-5)

        # outside the fence: denied by the runtime, shown with why
        st, body, _ = self.cmd(rt, "goto", {"lat": 47.41, "lon": HOME[1],
                                            "alt_m": 12})
        self.assertEqual(st, 403, body)
        self.assertEqual(body["layer"], "runtime")
        self.assertIn("outside the geofence", body["reason"])
        self.assertIn("radius 150 m", body["reason"])
        self.assertEqual(body["policies"], ["mavlink-sitl-flight"])
        self.assertEqual(self.trail(self.wal, body["audit_id"], 2), [
            ("policy.allow", "policyd"), ("runtime.deny", "mavproxy")])

        # the interval between commands (land and rtl are exempt)
        st, body, _ = self.cmd(rt, "set_mode", {"mode": "GUIDED"})
        self.assertEqual(st, 200, body)
        st, body, _ = rt.tool("tool.mavlink.set_mode", {"mode": "GUIDED"})
        self.assertEqual(st, 403, body)
        self.assertIn("at least 100 ms apart", body["reason"])
        st, body, _ = rt.tool("tool.mavlink.land", {})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["output"]["command"], "MAV_CMD_NAV_LAND")
        out = self.wait_status(rt, lambda o: not o["armed"], timeout=30)
        self.assertEqual(out["mode"], "LAND")

    def test_runtime_facts_are_not_params(self):
        for key in ("environment", "armed_state", "gps_fix",
                    "heartbeat_age_ms", "sysid", "current_mode"):
            st, body, _ = self.rt.tool("tool.mavlink.arm", {key: 1})
            self.assertEqual(st, 400, (key, body))
            self.assertIn("a fact the runtime injects", body["error"])
        st, body, _ = self.rt.tool("tool.mavlink.status",
                                   {"runtime": {"environment": "sitl"}})
        self.assertEqual(st, 400, body)

    def test_bad_params_after_the_decision(self):
        st, body, _ = self.cmd(self.rt, "set_mode", {"mode": "FLIP"})
        self.assertEqual(st, 400, body)
        self.assertIn("unknown mode", body["error"])
        st, body, _ = self.cmd(self.rt, "goto", {"lat": 95, "lon": 8,
                                                 "alt_m": 5})
        self.assertEqual(st, 400, body)

    def test_policy_denies_other_tools(self):
        st, body, _ = self.rt.tool("tool.echo", {"x": 1})
        self.assertEqual(st, 403, body)
        self.assertEqual(body["layer"], "policy")
        self.assertEqual(body["policies"], ["mavlink-forbid-other"])


class Facts(Base):
    """context.runtime carries the environment and the vehicle's facts."""

    def test_policy_sees_the_facts(self):
        tmp = tempfile.mkdtemp(prefix="autonomy-mav.")
        sim = Sim()
        b = bundle(tmp, "facts", '''
permit (principal, action == Action::"tool.mavlink.status", resource)
when { context.runtime.environment == "real" &&
       context.runtime.sysid == 1 &&
       context.runtime.armed_state == "disarmed" &&
       context.runtime.current_mode == "STABILIZE" &&
       context.runtime.gps_fix >= 0 &&
       context.runtime.heartbeat_age_ms < 5000 };
permit (principal, action == Action::"tool.mavlink.arm", resource);
''', dict(FENCE, flight_environments=["sitl"]))
        rt = Runtime(["--policy", b, "--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "real"])
        try:
            self.wait_status(rt, lambda o: True)
            # the policy permits arming; the runtime's flight
            # environments do not, in real
            time.sleep(0.5)
            st, body, _ = rt.tool("tool.mavlink.arm", {})
            self.assertEqual(st, 403, body)
            self.assertEqual(body["layer"], "runtime")
            self.assertIn("not allowed in the real environment",
                          body["reason"])
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
            sim.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_sitl_vs_real_with_the_demo_policy(self):
        sim = Sim()
        rt = Runtime(["--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "real"])
        try:
            self.wait_status(rt, lambda o: o["gps"]["fix_type"] >= 3)
            st, body, _ = rt.tool("tool.mavlink.arm", {})
            self.assertEqual(st, 403, body)
            self.assertEqual(body["layer"], "policy")
            self.assertIn("default deny", body["reason"])
            st, body, _ = rt.tool("tool.mavlink.land", {})
            self.assertEqual(st, 200, body)  # recovery: always
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
            sim.stop()

    def test_no_fence_no_takeoff(self):
        tmp = tempfile.mkdtemp(prefix="autonomy-mav.")
        sim = Sim()
        b = bundle(tmp, "nofence", PERMIT_ALL)
        rt = Runtime(["--policy", b, "--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "sitl"])
        try:
            self.wait_status(rt, lambda o: o["gps"]["fix_type"] >= 3)
            for kind, p in (("set_mode", {"mode": "GUIDED"}), ("arm", {})):
                st, body, _ = self.cmd(rt, kind, p)
                self.assertEqual(st, 200, body)
            self.wait_status(rt, lambda o: o["armed"])
            st, body, _ = self.cmd(rt, "takeoff", {"alt_m": 5})
            self.assertEqual(st, 403, body)
            self.assertIn("no geofence is configured", body["reason"])
            st, body, _ = self.cmd(rt, "goto", {"lat": HOME[0],
                                                "lon": HOME[1], "alt_m": 5})
            self.assertEqual(st, 403, body)
            st, body, _ = self.cmd(rt, "disarm")
            self.assertEqual(st, 200, body)
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
            sim.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_polygon_fence(self):
        tmp = tempfile.mkdtemp(prefix="autonomy-mav.")
        sim = Sim()
        d = 0.0005
        poly = [[HOME[0] - d, HOME[1] - d], [HOME[0] - d, HOME[1] + d],
                [HOME[0] + d, HOME[1] + d], [HOME[0] + d, HOME[1] - d]]
        b = bundle(tmp, "poly", PERMIT_ALL,
                   {"geofence": {"polygon": poly, "max_alt_m": 20}})
        rt = Runtime(["--policy", b, "--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "sitl"])
        try:
            self.wait_status(rt, lambda o: True)
            st, body, _ = self.cmd(rt, "goto", {"lat": HOME[0] + d / 2,
                                                "lon": HOME[1], "alt_m": 5})
            self.assertEqual(st, 200, body)
            st, body, _ = self.cmd(rt, "goto", {"lat": HOME[0] + 2 * d,
                                                "lon": HOME[1], "alt_m": 5})
            self.assertEqual(st, 403, body)
            self.assertIn("outside the geofence polygon", body["reason"])
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
            sim.stop()
            shutil.rmtree(tmp, ignore_errors=True)


class Link(Base):
    def test_link_drops_and_returns(self):
        tmp = tempfile.mkdtemp(prefix="autonomy-mav.")
        wal = os.path.join(tmp, "wal")
        sim = Sim()
        rt = Runtime(["--dir", wal, "--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "sitl"])
        try:
            self.wait_status(rt, lambda o: True)
            sim.stop()
            end = time.monotonic() + 10
            while True:
                st, body, _ = rt.tool("tool.mavlink.status", {})
                if st == 403 or time.monotonic() > end:
                    break
                time.sleep(0.1)
            self.assertEqual(st, 403, body)
            self.assertEqual(body["layer"], "runtime")
            self.assertIn("the autopilot link is down", body["reason"])
            self.assertEqual(self.trail(wal, body["audit_id"], 2), [
                ("policy.allow", "policyd"), ("runtime.deny", "mavproxy")])
            st, body, _ = self.cmd(rt, "land")
            self.assertEqual(st, 403, body)
            self.assertIn("link is down", body["reason"])
            sim.start()  # same port
            out = self.wait_status(rt, lambda o: True)
            self.assertLess(out["heartbeat_age_ms"], 3000)
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
            sim.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_mavproxy_dies_fail_closed(self):
        tmp = tempfile.mkdtemp(prefix="autonomy-mav.")
        wal = os.path.join(tmp, "wal")
        sim = Sim()
        rt = Runtime(["--dir", wal, "--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "sitl"])
        try:
            self.wait_status(rt, lambda o: True)
            os.kill(rt.helper_pids()["mavproxy"], 9)
            code = rt.finish()
            self.assertEqual(code, 70, rt.stderr)
            self.assertIn("helper mavproxy (pid", rt.stderr)
            ends = [attrs(r) for r in inspect(wal, "--kind", "helper.exit")]
            self.assertEqual([e["helper"] for e in ends], ["mavproxy"])
        finally:
            rt.kill()
            sim.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_udp(self):
        sim = Sim("udp")
        rt = Runtime(["--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "sitl"])
        try:
            out = self.wait_status(rt, lambda o: o["gps"]["fix_type"] >= 3)
            self.assertEqual(out["heartbeat"]["sysid"], 1)
            st, body, _ = self.cmd(rt, "set_mode", {"mode": "GUIDED"})
            self.assertEqual(st, 200, body)
            self.assertEqual(body["output"]["result"], "ACCEPTED")
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
            sim.stop()

    def test_no_vehicle_yet(self):
        # nothing listens: the run starts, calls are refused with why
        sim = Sim()
        sim.stop()
        rt = Runtime(["--mavlink-endpoint", sim.endpoint,
                      "--mavlink-environment", "sitl"])
        try:
            st, body, _ = rt.tool("tool.mavlink.status", {})
            self.assertEqual(st, 403, body)
            self.assertIn("the autopilot link is down", body["reason"])
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)


class NotConfigured(Base):
    def test_fail_closed_without_an_endpoint(self):
        tmp = tempfile.mkdtemp(prefix="autonomy-mav.")
        wal = os.path.join(tmp, "wal")
        rt = Runtime(["--dir", wal, "--policy", "builtin:mavlink-demo"])
        try:
            for kind in ("status", "land", "rtl", "disarm"):
                st, body, _ = rt.tool("tool.mavlink." + kind, {})
                self.assertEqual(st, 403, body)
                self.assertEqual(body["layer"], "runtime", body)
                self.assertTrue(body["reason"].startswith(
                    "mavlink not configured"), body)
            # no environment fact without a link: the demo's sitl-only
            # permit errors, so arming is the policy's no already
            st, body2, _ = rt.tool("tool.mavlink.arm", {})
            self.assertEqual(st, 403, body2)
            self.assertEqual(body2["layer"], "policy", body2)
            self.assertEqual(self.trail(wal, body["audit_id"], 2), [
                ("policy.allow", "policyd"), ("runtime.deny", "policyd")])
            self.assertNotIn("mavproxy", rt.helper_pids())
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)
            shutil.rmtree(tmp, ignore_errors=True)
        # the demo policy does not even permit them
        rt = Runtime([])
        try:
            st, body, _ = rt.tool("tool.mavlink.status", {})
            self.assertEqual(st, 403, body)
            self.assertEqual(body["layer"], "policy")
        finally:
            self.assertEqual(rt.finish(), 0, rt.stderr)

    def test_flags_refused_before_anything(self):
        for flags, needle, env in (
                (["--mavlink-endpoint", "tcp:127.0.0.1:5760"],
                 "needs --mavlink-environment", None),
                (["--mavlink-environment", "sitl"],
                 "needs --mavlink-endpoint", None),
                (["--mavlink-endpoint", "tcp:127.0.0.1:5760",
                  "--mavlink-environment", "lab"], "sitl or real", None),
                (["--mavlink-endpoint", "tcp:127.0.0.1:5760",
                  "--mavlink-environment", "sitl",
                  "--mavlink-environment", "real"], "given twice", None),
                (["--mavlink-endpoint", "tcp:localhost:5760",
                  "--mavlink-environment", "sitl"], "IPv4 address", None),
                (["--mavlink-endpoint", "udp:127.0.0.1:0",
                  "--mavlink-environment", "sitl"], "PORT", None),
                (["--mavlink-endpoint", "serial:/dev/null:57600",
                  "--mavlink-environment", "sitl"], "not a serial device",
                 None),
                (["--mavlink-endpoint", "serial:/dev/ttyS0:123",
                  "--mavlink-environment", "sitl"], "BAUD", None),
                (["--mavlink-endpoint", "tcp:127.0.0.1:5760",
                  "--mavlink-environment", "sitl"], "not nestable",
                 {"AUTONOMY_RUNTIME_URL": "http://127.0.0.1:1"})):
            r = harness.run(["run", *flags, "--", "true"], env=env)
            self.assertEqual(r.returncode, 64, (flags, r.stderr))
            self.assertIn(needle, r.stderr)

    def test_bad_runtime_mavlink_refused(self):
        tmp = tempfile.mkdtemp(prefix="autonomy-mav.")
        try:
            b = bundle(tmp, "bad", PERMIT_ALL,
                       {"geofence": {"circle": {"lat": 1, "lon": 2,
                                                "radius_m": 5}}})
            r = harness.run(["run", "--policy", b, "--", "true"])
            self.assertEqual(r.returncode, 64, r.stderr)
            self.assertIn("runtime.mavlink.geofence.max_alt_m",
                          r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class Demo(TestCase):
    def test_demo_mavlink_sitl(self):
        r = harness.run(["demo", "mavlink-sitl", "--speedup", "10"],
                        timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"ALLOW  tool.mavlink.arm ")
        self.assertRegex(r.stdout, r"ALLOW  tool.mavlink.takeoff ")
        self.assertRegex(r.stdout, r"DENY   tool.mavlink.goto .*runtime")
        self.assertIn("outside the geofence", r.stdout)
        self.assertRegex(r.stdout, r"ALLOW  tool.mavlink.land ")
        self.assertIn("agent: done", r.stdout)
        self.assertIn("mavproxy=", r.stderr)  # the footprint panel
        self.assertIn("mavlink-demo@0.1.0", r.stderr)
        r = harness.run(["demo", "nothing"])
        self.assertEqual(r.returncode, 64)


if __name__ == "__main__":
    unittest.main()
