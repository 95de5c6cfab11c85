#!/bin/sh
# Differential test of a cedar_batch engine against the reference (cedar-wasm).
#
#   tests/cedar/diff.sh [CEDAR_BATCH] [COUNT] [SEED]
#
# CEDAR_BATCH: the engine command (a path, or a command line such as
#   "node tests/cedar/reference.js"); default $CEDAR_BATCH, else
#   build/policyd/cedar/cedar_batch.  COUNT defaults to 5000, SEED to 1.
# Prints "differential: N cases, M mismatches", the first mismatches in full
# and the construct coverage; exit 1 on any mismatch.
# CEDAR_DIFF_SHOW: how many mismatches to print in full (5).
# CEDAR_DIFF_KEEP=1 keeps the work directory (cases and both answer files).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
engine=${1:-${CEDAR_BATCH:-$root/build/policyd/cedar/cedar_batch}}
count=${2:-5000}
seed=${3:-1}
show=${CEDAR_DIFF_SHOW:-5}
limit=${CEDAR_DIFF_TIMEOUT:-1800}

case $engine in
*" "*) ;;
*) if [ ! -x "$engine" ]; then echo "diff.sh: engine $engine is not an executable" >&2; exit 2; fi ;;
esac

"$here/setup.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/cedar-diff.XXXXXX")
cleanup() { if [ "${CEDAR_DIFF_KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

start=$(date +%s)
node "$here/gen.js" --seed "$seed" --count "$count" >"$work/cases.jsonl"
# the reference and the engine run side by side
node "$here/reference.js" <"$work/cases.jsonl" >"$work/ref.jsonl" &
refpid=$!
set +e
timeout "$limit" sh -c "$engine" <"$work/cases.jsonl" >"$work/engine.jsonl" 2>"$work/engine.stderr"
erc=$?
wait $refpid
rrc=$?
set -e
if [ $rrc -ne 0 ]; then echo "diff.sh: reference.js failed (exit $rrc)" >&2; exit 2; fi
if [ $erc -ne 0 ]; then
    echo "diff.sh: engine exited with status $erc; its stderr ends with:"
    tail -n 20 "$work/engine.stderr"
fi
echo "generated and evaluated $count cases (seed $seed) in $(( $(date +%s) - start ))s"
set +e
node "$here/compare.js" "$work/cases.jsonl" "$work/ref.jsonl" "$work/engine.jsonl" --show "$show"
rc=$?
set -e
if [ $rc -eq 0 ] && [ $erc -ne 0 ]; then rc=1; fi
exit $rc
