#!/bin/sh
# Authorizations per second and per-decision latency of our Cedar engine
# against the reference (cedar-wasm 4.5 in Node.js) on the same workload:
# 50 policies, 1,000 entities, 1,000 requests (bench/cedar/gen_workload.js).
#
#   bench/cedar_bench.sh [BUILD_DIR] [SECONDS]     defaults: build 5
#
# Rows: the reference (its isAuthorized is stateless: every decision
# re-reads the policies and entities); ours the same way (--reparse, the
# like-for-like row); ours as policyd runs it (loaded once).
set -eu
BUILD=${1:-build}
SECS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=$BUILD/bench/cedar_bench
[ -x "$BENCH" ] || { echo "cedar_bench: build first (ninja -C $BUILD)" >&2; exit 2; }
bash "$HERE/../tests/cedar/setup.sh" >/dev/null 2>&1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
node "$HERE/cedar/gen_workload.js" 7 >"$tmp/w.json"

ref=$(node "$HERE/cedar/ref_bench.js" "$tmp/w.json" "$SECS")
re=$("$BENCH" "$tmp/w.json" "$SECS" --reparse)
ours=$("$BENCH" "$tmp/w.json" "$SECS")
echo "reference (cedar-wasm)  $ref"
echo "ours, reparse per call  $re"
echo "ours, loaded once       $ours"

field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# Same answers first: over the first 100 requests (each side made at
# least that many decisions) the allow counts must agree.
nreq=100
for r in "$re" "$ours"; do
	[ "$(field decisions "$ref")" -ge $nreq ] && [ "$(field decisions "$r")" -ge $nreq ] ||
		{ echo "cedar_bench: fewer than $nreq decisions; raise SECONDS" >&2; exit 1; }
	if [ "$(field allow_first_100 "$r")" != "$(field allow_first_100 "$ref")" ]; then
		echo "cedar_bench: allow counts differ from the reference" >&2
		exit 1
	fi
done
awk -v a="$(field per_s "$ref")" -v b="$(field per_s "$re")" \
    -v c="$(field per_s "$ours")" -v p="$(field p99_us "$ours")" 'BEGIN {
	printf "\nspeed-up, like for like (reparse):  %.1fx\n", b / a
	printf "speed-up, as policyd runs it:       %.1fx\n", c / a
	printf "p99 per decision, loaded once:      %.1f us (target < 20)\n", p
}'
