#!/bin/sh
# tool.mavlink.* governed against the raw link, in one invocation (issue
# 8's figure). Two mavsim vehicles on 127.0.0.1 (tcp; one GCS each):
#   raw:       bench/mavraw: COMMAND_LONG (DO_SET_MODE STABILIZE) -> its
#              COMMAND_ACK, N times, one at a time, our codec, no runtime;
#   governed:  autonomy run --mavlink-endpoint ... --mavlink-environment
#              sitl --policy B (permit all; no interval), a workload doing
#              N tool.mavlink.status (toolsrv -> policyd -> mavproxy's
#              facts -> policy.allow durable -> mavproxy -> runtime.allow
#              durable -> the cached telemetry -> tool.result) and N
#              tool.mavlink.set_mode STABILIZE (the same, plus the
#              COMMAND_LONG / COMMAND_ACK round trip), one at a time on a
#              keep-alive connection.
#
#   bench/mavlink.sh [BUILD_DIR] [N]
#   defaults:         build       500
set -eu

BUILD=${1:-build}
N=${2:-500}
MAVSIM=$(cd "$BUILD/mavlink" && pwd)/mavsim
MAVRAW=$(cd "$BUILD/bench" && pwd)/mavraw
AUTONOMY=$(cd "$BUILD/supervisor" && pwd)/autonomy

tmp=$(mktemp -d)
s1= s2=
cleanup() {
	[ -n "$s1" ] && kill "$s1" 2>/dev/null || true
	[ -n "$s2" ] && kill "$s2" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

sim() { # sim OUT: a vehicle with its fix at once; PID in $!
	"$MAVSIM" --warmup 0 tcp:127.0.0.1:0 >"$1" 2>/dev/null &
}
port_of() {
	i=0
	while ! grep -q listening "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: no mavsim" >&2; exit 1; }
		sleep 0.05
	done
	sed -n 's/.*tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$1"
}
sim "$tmp/s1"; s1=$!
sim "$tmp/s2"; s2=$!
p1=$(port_of "$tmp/s1")
p2=$(port_of "$tmp/s2")

mkdir -p "$tmp/b/policies"
cat >"$tmp/b/manifest.json" <<JSON
{"kind": "bundle", "schema_version": "1.0", "name": "bench",
 "version": "1.0.0", "channel": "stable", "min_adk_version": "0.1.0"}
JSON
echo 'permit (principal, action, resource);' >"$tmp/b/policies/p.cedar"

cat >"$tmp/agent.py" <<'PY'
import http.client, json, os, sys, time
n = int(sys.argv[1])
u = os.environ["AUTONOMY_RUNTIME_URL"].split("//")[1]
c = http.client.HTTPConnection(u)
h = {"Authorization": "Bearer " + os.environ["AUTONOMY_RUNTIME_TOKEN"],
     "Content-Type": "application/json"}
def once(kind, params):
    t0 = time.perf_counter()
    c.request("POST", "/v1/tool", json.dumps({"kind": kind,
                                              "params": params}), h)
    r = c.getresponse(); r.read()
    return r.status, (time.perf_counter() - t0) * 1e6
while once("tool.mavlink.status", {})[0] != 200:
    time.sleep(0.1)
for kind, params in (("tool.mavlink.status", {}),
                     ("tool.mavlink.set_mode", {"mode": "STABILIZE"})):
    t = []
    for _ in range(n):
        st, us = once(kind, params)
        assert st == 200, st
        t.append(us)
    t.sort()
    print("governed %s %d %.0f %.0f %.0f" % (kind.split(".")[-1], n,
          t[n // 2], t[n * 99 // 100], sum(t) / n))
PY

raw=$("$MAVRAW" "$p1" "$N")
gov=$("$AUTONOMY" run --policy "$tmp/b" --mavlink-endpoint \
	"tcp:127.0.0.1:$p2" --mavlink-environment sitl -- python3 \
	"$tmp/agent.py" "$N" 2>/dev/null)

echo "$raw
$gov" | awk '
/^raw/ { rp50 = $3; printf "%-34s n=%d p50 %7.0f us  p99 %7.0f us  mean %7.0f us\n", "raw link: COMMAND_LONG -> ACK", $2, $3, $4, $5 }
/^governed/ { printf "%-34s n=%d p50 %7.0f us  p99 %7.0f us  mean %7.0f us  (p50 +%.0f us over raw)\n", "governed tool.mavlink." $2, $3, $4, $5, $6, $4 - rp50 }'
