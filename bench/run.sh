#!/bin/sh
# Throughput and latency of POST /v1/tool (tool.echo): a trivial HTTP
# responder (the floor: what HTTP + loopback cost) against the governed
# runtime (`autonomy run -- loadgen`: toolsrv, policyd, a durable WAL
# append per decision); in between, toolsrv alone with an instant fake
# policyd (bench/toolsrv_only), which tells toolsrv's cost apart.
#
#   bench/run.sh [BUILD_DIR] [CONNS] [SECONDS] [RATE]
#   defaults:     build       64      10        1000
#
# Throughput: CONNS keep-alive connections, each with one call in flight.
# Latency: a fixed RATE calls/s (open loop), p50/p99 from scheduled time.
set -eu

BUILD=${1:-build}
CONNS=${2:-64}
SECS=${3:-10}
RATE=${4:-1000}
LOADGEN=$(cd "$BUILD/bench" && pwd)/loadgen
BASELINE=$(cd "$BUILD/bench" && pwd)/baseline_server
AUTONOMY=$(cd "$BUILD/supervisor" && pwd)/autonomy
TOOLSRV_ONLY=$(cd "$BUILD/bench" && pwd)/toolsrv_only
TOOLSRV=$(cd "$BUILD/toolsrv" && pwd)/toolsrv

for f in "$LOADGEN" "$BASELINE" "$AUTONOMY"; do
	[ -x "$f" ] || { echo "bench: $f missing: build first (ninja -C $BUILD)" >&2; exit 2; }
done

tmp=$(mktemp -d)
srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

field() { # field NAME LINE
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# --- baseline ---------------------------------------------------------
"$BASELINE" >"$tmp/port" &
srv=$!
i=0
while ! grep -q '^port=' "$tmp/port" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: baseline did not start" >&2; exit 1; }
	sleep 0.05
done
url="http://127.0.0.1:$(sed -n 's/^port=//p' "$tmp/port")"
b_tput=$("$LOADGEN" -u "$url" -t bench -c "$CONNS" -d "$SECS") || true
b_lat=$("$LOADGEN" -u "$url" -t bench -c "$CONNS" -d "$SECS" -r "$RATE") || true
kill "$srv"; wait "$srv" 2>/dev/null || true; srv=

# --- toolsrv alone (instant fake policyd): toolsrv's own share ---------
"$TOOLSRV_ONLY" "$TOOLSRV" >"$tmp/ts" &
srv=$!
i=0
while ! grep -q '^url=' "$tmp/ts" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "bench: toolsrv_only did not start" >&2; exit 1; }
	sleep 0.05
done
turl=$(sed -n 's/^url=\([^ ]*\).*/\1/p' "$tmp/ts")
ttok=$(sed -n 's/.*token=//p' "$tmp/ts")
t_tput=$("$LOADGEN" -u "$turl" -t "$ttok" -c "$CONNS" -d "$SECS") || true
t_lat=$("$LOADGEN" -u "$turl" -t "$ttok" -c "$CONNS" -d "$SECS" -r "$RATE") || true
kill "$srv"; wait "$srv" 2>/dev/null || true; srv=

# --- governed runtime -------------------------------------------------
# autonomy exports AUTONOMY_RUNTIME_URL/TOKEN; loadgen reads them.
g_tput=$("$AUTONOMY" run -- "$LOADGEN" -c "$CONNS" -d "$SECS" 2>"$tmp/run1.err") ||
	{ echo "bench: governed throughput run failed:" >&2; cat "$tmp/run1.err" >&2; }
g_lat=$("$AUTONOMY" run -- "$LOADGEN" -c "$CONNS" -d "$SECS" -r "$RATE" 2>"$tmp/run2.err") ||
	{ echo "bench: governed latency run failed:" >&2; cat "$tmp/run2.err" >&2; }

echo "baseline  throughput: $b_tput"
echo "baseline  latency:    $b_lat"
echo "toolsrv   throughput: $t_tput"
echo "toolsrv   latency:    $t_lat"
echo "governed  throughput: $g_tput"
echo "governed  latency:    $g_lat"

bt=$(field calls_per_s "$b_tput"); gt=$(field calls_per_s "$g_tput")
bp50=$(field p50_us "$b_lat"); gp50=$(field p50_us "$g_lat")
bp99=$(field p99_us "$b_lat"); gp99=$(field p99_us "$g_lat")
tt=$(field calls_per_s "$t_tput"); tp50=$(field p50_us "$t_lat"); tp99=$(field p99_us "$t_lat")
printf '\n%-22s %14s %14s\n' "toolsrv alone" "${tt:-?} calls/s" "p50 ${tp50:-?} / p99 ${tp99:-?} us @ $RATE/s"
printf '\n%-22s %14s %14s %10s\n' "" baseline governed ratio
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "n/a" }'; }
printf '%-22s %14s %14s %10s\n' "calls/s ($CONNS conns)" "${bt:-?}" "${gt:-?}" "$(ratio "$gt" "$bt")x slower"
printf '%-22s %14s %14s %10s\n' "p50 us @ $RATE/s" "${bp50:-?}" "${gp50:-?}" "$(ratio "$bp50" "$gp50")x"
printf '%-22s %14s %14s %10s\n' "p99 us @ $RATE/s" "${bp99:-?}" "${gp99:-?}" "$(ratio "$bp99" "$gp99")x"
