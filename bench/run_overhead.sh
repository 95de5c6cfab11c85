#!/bin/sh
# Wall time of `autonomy run -- true` (every helper started, confined and
# stopped; the WAL created and removed) against `bwrap --ro-bind / / true`
# and a plain `true`, in one run, each N times in turn.
#
#   bench/run_overhead.sh [BUILD_DIR] [N]      defaults: build 50
#
# bubblewrap is installed for this bench only (apt-get, as root).
set -eu
BUILD=${1:-build}
N=${2:-50}
AUTONOMY=$(cd "$BUILD/supervisor" && pwd)/autonomy
[ -x "$AUTONOMY" ] || { echo "run_overhead: build first (ninja -C $BUILD)" >&2; exit 2; }
if ! command -v bwrap >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
fi

now() { date +%s%N; }
# time_of LABEL CMD...: mean milliseconds per run over N runs
time_of() {
	label=$1; shift
	"$@" >/dev/null 2>&1 || { echo "run_overhead: $label failed" >&2; exit 1; }
	t0=$(now)
	i=0
	while [ $i -lt "$N" ]; do
		"$@" >/dev/null 2>&1
		i=$((i + 1))
	done
	t1=$(now)
	echo "$label $(( (t1 - t0) / N / 1000 ))"
}

plain=$(time_of true /bin/true)
bw=$(time_of bwrap bwrap --ro-bind / / true)
au=$(time_of autonomy "$AUTONOMY" run -- true)
echo "$plain" "$bw" "$au" | awk '{
	printf "%-28s %10s\n", "per run (mean of '"$N"')", "us"
	printf "%-28s %10d\n", "/bin/true", $2
	printf "%-28s %10d\n", "bwrap --ro-bind / / true", $4
	printf "%-28s %10d\n", "autonomy run -- true", $6
	printf "\nautonomy / bwrap: %.2fx (target <= 1.5x)   autonomy / /bin/true: %.1fx\n", $6 / $4, $6 / $2
}'
