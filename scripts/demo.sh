#!/usr/bin/env bash
# The demo: installs, builds, runs the example agent under the embedded
# demo policy, then shows the kept WAL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh >/dev/null
wal=$(mktemp -d /tmp/autonomy-demo-wal.XXXXXX)
echo "== autonomy run --dir $wal python3 examples/agent.py"
./build/supervisor/autonomy run --dir "$wal" python3 examples/agent.py
echo
echo "== autonomy wal inspect --dir $wal"
./build/supervisor/autonomy wal inspect --dir "$wal"
echo
echo "== autonomy wal verify --dir $wal"
./build/supervisor/autonomy wal verify --dir "$wal"
