#!/usr/bin/env python3
"""Interop of mavlink/ with node-mavlink, an implementation we did not write.

usage: interop.py MAVSIM MAVCODEC

1. Our frames decode there: mavcodec samples every message (v2 and v1,
   pseudo-random values), node-mavlink decodes and compares every field.
2. Their frames decode here: node-mavlink encodes every message (v2, v1),
   mavcodec decodes, this script compares every field.
3. The simulator over tcp, udp and a serial pty: node-mavlink flies it
   (arm refused without fix, mode, arm, takeoff, goto, land, acks).
Exits 77 (skipped) when node-mavlink is not installed (tests/mavlink/
setup.sh installs it).
"""
import json
import math
import os
import pty
import struct
import subprocess
import sys
import tempfile
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
results = {"passed": 0, "failed": 0}


def node(*args, **kw):
    return subprocess.run(["node", os.path.join(HERE, "interop.js"), *args],
                          cwd=HERE, timeout=60, **kw)


def report(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(f"{'ok' if ok else 'FAIL'}: {name}{': ' + detail if detail else ''}",
          flush=True)


def ours_decode_there(mavcodec, tmp, version):
    frames = os.path.join(tmp, f"ours{version}.bin")
    expected = os.path.join(tmp, f"ours{version}.jsonl")
    with open(frames, "wb") as fo, open(expected, "wb") as fe:
        subprocess.run([mavcodec, "sample", "50", str(1000 + version),
                        str(version)], stdout=fo, stderr=fe, check=True)
    r = node("check", frames, expected, capture_output=True, text=True)
    report(f"our v{version} frames decode in node-mavlink", r.returncode == 0,
           (r.stdout + r.stderr).strip())


def f32(x):
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return f32(a) == f32(b) or (math.isnan(f32(a)) and math.isnan(f32(b)))
    return str(a) == str(b)


def theirs_decode_here(mavcodec, version):
    r = node("encode", "4242", str(version), capture_output=True)
    if r.returncode != 0:
        report(f"node-mavlink v{version} encode", False, r.stderr.decode())
        return
    want = [json.loads(line) for line in r.stderr.decode().splitlines()]
    d = subprocess.run([mavcodec, "decode"], input=r.stdout,
                       capture_output=True, check=True)
    got = [json.loads(line) for line in d.stdout.decode().splitlines()]
    stats = got.pop()["stats"]
    problems = []
    if len(got) != len(want):
        problems.append(f"decoded {len(got)} frames, want {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        if g["id"] != w["id"] or g["seq"] != w["seq"] or g["v"] != version:
            problems.append(f"frame {i}: header {g} vs {w}")
            continue
        for k, v in w["fields"].items():
            if k not in g["fields"] or not same(g["fields"][k], v):
                problems.append(f"frame {i} {g['name']}.{k}: "
                                f"got {g['fields'].get(k)}, want {v}")
    if stats["bad_crc"] or stats["bad_len"] or stats["unknown"]:
        problems.append(f"parser counters: {stats}")
    report(f"node-mavlink v{version} frames decode in mavcodec ({len(got)})",
           not problems, "; ".join(problems[:5]))


def start_sim(mavsim, endpoint, **kw):
    p = subprocess.Popen([mavsim, "--speedup", "10", "--warmup", "5",
                          endpoint], stdout=subprocess.PIPE, text=True, **kw)
    line = p.stdout.readline().strip()
    if not line.startswith("mavsim: listening on "):
        p.kill()
        raise RuntimeError(f"mavsim said {line!r}")
    return p, line.split("listening on ", 1)[1]


def fly(mavsim, kind):
    pass_fds = ()
    if kind == "serial":
        master, slave = pty.openpty()
        tty.setraw(slave)  # the line discipline must not touch the bytes
        sim, where = start_sim(mavsim, "serial:" + os.ttyname(slave))
        args = ["serial", str(master)]
        pass_fds = (master,)
    else:
        sim, where = start_sim(mavsim, f"{kind}:127.0.0.1:0")
        host, port = where.split(":")[1:]
        args = [kind, host, port]
    try:
        r = node("fly", *args, capture_output=True, text=True,
                 pass_fds=pass_fds)
        report(f"node-mavlink flies mavsim over {where}", r.returncode == 0,
               (r.stdout + r.stderr).strip())
    finally:
        sim.terminate()
        sim.wait(timeout=10)
        if kind == "serial":
            os.close(master)
            os.close(slave)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    mavsim, mavcodec = sys.argv[1:]
    if not os.path.isdir(os.path.join(HERE, "node_modules", "node-mavlink")):
        print("skip: node-mavlink not installed (tests/mavlink/setup.sh)")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        for version in (2, 1):
            ours_decode_there(mavcodec, tmp, version)
            theirs_decode_here(mavcodec, version)
    for kind in ("tcp", "udp", "serial"):
        fly(mavsim, kind)
    print(f"interop: {results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
