#!/bin/sh
# tool.http_get against a local server, next to curl fetching the same
# URL directly, in one invocation (issue 7's figure). The server is
# bench/baseline_server (one epoll thread, keep-alive, a fixed 200 JSON)
# on 127.0.0.1, allowed with --allow-domain 127.0.0.1:PORT.
#
#   bench/http_get.sh [BUILD_DIR] [SECONDS] [CONNS]
#   defaults:          build       5         16
#
# Sequential (one call at a time) and concurrent (CONNS in flight):
#   direct:    curl with N URLs on one keep-alive connection (sequential),
#              curl --parallel --parallel-max CONNS (concurrent), N sized
#              from the sequential rate so each run takes ~SECONDS;
#   governed:  autonomy run --allow-domain ... -- loadgen -k tool.http_get
#              (toolsrv -> policyd -> policy.allow durable -> fetcher ->
#              runtime.allow durable -> libcurl -> tool.result).
set -eu

BUILD=${1:-build}
SECS=${2:-5}
CONNS=${3:-16}
LOADGEN=$(cd "$BUILD/bench" && pwd)/loadgen
BASELINE=$(cd "$BUILD/bench" && pwd)/baseline_server
AUTONOMY=$(cd "$BUILD/supervisor" && pwd)/autonomy
command -v curl >/dev/null || { echo "bench: curl missing" >&2; exit 2; }

tmp=$(mktemp -d)
srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$BASELINE" >"$tmp/port" &
srv=$!
i=0
while ! grep -q '^port=' "$tmp/port" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: no server" >&2; exit 1; }
	sleep 0.05
done
port=$(sed -n 's/^port=//p' "$tmp/port")
url="http://127.0.0.1:$port/"

now() { date +%s.%N; }
# curl_rate N [curl flags...]: N fetches of $url, calls/s
curl_rate() {
	n=$1; shift
	: >"$tmp/urls"
	awk -v n="$n" -v u="$url" 'BEGIN { for (i = 0; i < n; i++)
		printf "url = \"%s\"\noutput = \"/dev/null\"\n", u }' >"$tmp/urls"
	t0=$(now)
	curl -s -K "$tmp/urls" "$@" >/dev/null 2>&1
	t1=$(now)
	echo "$n $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2)}'
}

probe=$(curl_rate 2000)
n=$(echo "$probe $SECS" | awk '{n = int($1 * $2); print n < 1000 ? 1000 : n}')
d_seq=$(curl_rate "$n")
d_par=$(curl_rate "$n" --parallel --parallel-max "$CONNS")

field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
params="{\"endpoint\":\"$url\"}"
g_seq=$("$AUTONOMY" run --allow-domain "127.0.0.1:$port" -- \
	"$LOADGEN" -k tool.http_get -p "$params" -c 1 -T 1 -d "$SECS" 2>/dev/null)
g_par=$("$AUTONOMY" run --allow-domain "127.0.0.1:$port" -- \
	"$LOADGEN" -k tool.http_get -p "$params" -c "$CONNS" -d "$SECS" 2>/dev/null)

echo "tool.http_get vs curl, GET $url (baseline_server), ${SECS}s each"
printf "  %-34s %10s %10s\n" "" "calls/s" "p50 us"
printf "  %-34s %10s %10s\n" "curl direct, sequential" "$d_seq" "-"
printf "  %-34s %10s %10s\n" "tool.http_get, sequential" \
	"$(field calls_per_s "$g_seq")" "$(field p50_us "$g_seq")"
printf "  %-34s %10s %10s\n" "curl direct, $CONNS parallel" "$d_par" "-"
printf "  %-34s %10s %10s\n" "tool.http_get, $CONNS in flight" \
	"$(field calls_per_s "$g_par")" "$(field p50_us "$g_par")"
echo "  non-200 answers (governed): $(field non200 "$g_seq") / $(field non200 "$g_par")"
