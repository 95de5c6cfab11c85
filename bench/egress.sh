#!/bin/sh
# The egress proxy's throughput next to a direct download, in one run
# (issue 7 part 2's figure). Nothing leaves the machine: everything runs
# in a network namespace of our own, joined by a veth pair to a server
# namespace (10.200.0.2, tests/integration/egress_server.py: /big/N sends
# N bytes in 1 MiB writes).
#
#   bench/egress.sh [BUILD_DIR] [MIB] [REPEATS]
#   defaults:        build       512   3
#
#   direct:   curl in our namespace -> 10.200.0.2:8080 (no proxy, no
#             autonomy): the veth and the server's own speed;
#   http:     autonomy run --allow-host 10.200.0.2:8080 -- curl URL
#             (absolute-form request, forwarded by the fetcher's proxy);
#   connect:  the same with curl --proxytunnel (a CONNECT tunnel).
# Each line: the best and the median of REPEATS downloads, MB/s (10^6).
# Needs root (namespaces), curl, openssl, nsenter, ip.
set -eu

BUILD=${1:-build}
MIB=${2:-512}
REPEATS=${3:-3}
AUTONOMY=$(cd "$BUILD/supervisor" && pwd)/autonomy
SERVER=$(cd "$(dirname "$0")/../tests/integration" && pwd)/egress_server.py
PY=$(command -v python3)
IP=$(command -v ip || echo /usr/sbin/ip)
for t in curl openssl nsenter unshare; do
	command -v $t >/dev/null || { echo "bench: $t missing" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/s.key" \
	-out "$tmp/s.pem" -days 1 -subj /CN=bench >/dev/null 2>&1

cat > "$tmp/inner.sh" <<'INNER'
set -eu
D=$1 MIB=$2 REPEATS=$3
"$IP" link set lo up
mkfifo "$D/srvin"
sleep 3600 > "$D/srvin" &
HOLD=$!
unshare --net -- "$PY" "$SERVER" "$D/s.pem" "$D/s.key" < "$D/srvin" \
	> "$D/srv.out" 2>&1 &
SPID=$!
while [ "$(readlink /proc/$SPID/ns/net)" = "$(readlink /proc/self/ns/net)" ]
do sleep 0.02; done
"$IP" link add v0 type veth peer name v1 netns $SPID
"$IP" addr add 10.200.0.1/24 dev v0
"$IP" link set v0 up
nsenter --net=/proc/$SPID/ns/net sh -c \
	'"$IP" link set lo up; "$IP" addr add 10.200.0.2/24 dev v1; "$IP" link set v1 up'
until grep -q ready "$D/srv.out"; do sleep 0.05; done
URL=http://10.200.0.2:8080/big/$((MIB * 1048576))

# speeds (bytes/s) of REPEATS downloads, one per line
direct() {
	for i in $(seq "$REPEATS"); do
		curl -s -o /dev/null -w '%{speed_download}\n' "$URL"
	done
}
proxied() {
	"$AUTONOMY" run --allow-host 10.200.0.2:8080 -- sh -c '
		for i in $(seq "$0"); do
			curl -s -o /dev/null -w "%{speed_download}\n" $1 "$2"
		done' "$REPEATS" "$1" "$URL" 2>/dev/null
}
report() {
	sort -n | awk -v what="$1" -v mib="$MIB" '
		{ v[NR] = $1 / 1e6 }
		END { printf "%-9s %4d MiB x %d: best %7.0f MB/s, median %7.0f MB/s\n",
		      what, mib, NR, v[NR], v[int((NR + 1) / 2)] }'
}
direct | report direct
proxied "" | report http
proxied --proxytunnel | report connect
kill $HOLD $SPID 2>/dev/null || true
INNER

echo "egress proxy throughput (nproc $(nproc); $(uname -r))"
IP=$IP PY=$PY SERVER=$SERVER AUTONOMY=$AUTONOMY \
	unshare --net --mount -- sh "$tmp/inner.sh" "$tmp" "$MIB" "$REPEATS"
