#!/bin/sh
# Figures for the fault tests (issue 6):
#  1. decisions/s under load before each kill -9 (toolsrv, policyd,
#     walwriter, spawner, the whole tree), and after: how many calls were
#     still decided once it was dead, when the last 200 came, and when
#     autonomy exited (tests/integration/test_faults.py prints them);
#  2. `autonomy wal verify` records/s on a WAL of N records (default
#     1000000), built with bench/wal_build (walwriter's own wal_append).
#
#   bench/faults.sh [BUILD_DIR] [N]     (as root: the tests need it)
set -eu

BUILD=$(cd "${1:-build}" && pwd)
N=${2:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
AUTONOMY=$BUILD/supervisor/autonomy
for f in "$AUTONOMY" "$BUILD/bench/loadgen" "$BUILD/walwriter/wal_build"; do
	[ -x "$f" ] || { echo "bench: $f missing: build first (ninja -C $BUILD)" >&2; exit 2; }
done

echo "== kill -9 under load (bench/loadgen, 8 connections, allow/deny alternating)"
cd "$HERE/../tests/integration"
AUTONOMY_BIN=$AUTONOMY AUTONOMY_LOADGEN=$BUILD/bench/loadgen \
	python3 test_faults.py Faults.test_kill_toolsrv Faults.test_kill_policyd \
	Faults.test_kill_walwriter Faults.test_kill_spawner \
	Faults.test_kill_tree_then_continue 2>&1 |
	sed -n 's/^\.*\(kill .*\)/  \1/p'

echo "== autonomy wal verify on $N records"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
"$BUILD/walwriter/wal_build" "$tmp" "$N" >/dev/null
size=$(du -sh "$tmp" | cut -f1)
best=
for i in 1 2 3; do
	t0=$(date +%s.%N)
	"$AUTONOMY" wal verify --dir "$tmp" >/dev/null
	t1=$(date +%s.%N)
	s=$(echo "$t1 - $t0" | bc)
	echo "  run $i: $s s"
	if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
done
echo "  $N records ($size): best $best s = $(echo "$N / $best" | bc) records/s ($(nproc) CPUs)"
