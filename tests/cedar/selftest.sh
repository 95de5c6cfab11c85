#!/bin/sh
# Self-test of the differential harness (no cedar_batch needed):
#  1. diff.sh with reference.js as the engine: 0 mismatches.
#  2. diff.sh with lib/mutant.js engines that damage the reference's answers in
#     one way each: every damaging mode must be caught (exit 1, the expected
#     kind of mismatch named), every harmless mode must pass.
#  3. integration.sh run through reference.js (sanity check of the conversion
#     of the Cedar integration tests), when they are present.
# Usage: tests/cedar/selftest.sh [COUNT]   (COUNT cases per run, default 600)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
count=${1:-600}
seed=7
"$here/setup.sh"
out=$(mktemp "${TMPDIR:-/tmp}/cedar-selftest.XXXXXX")
trap 'rm -f "$out"' EXIT
passed=0
failed=0

check() { # name expected-exit expected-text command...
    name=$1 want=$2 text=$3
    shift 3
    set +e
    "$@" >"$out" 2>&1
    rc=$?
    set -e
    if [ $rc -eq "$want" ] && grep -q -- "$text" "$out"; then
        passed=$((passed + 1))
        echo "ok   $name: $(grep -m1 -- "$text" "$out")"
    else
        failed=$((failed + 1))
        echo "FAIL $name: exit $rc (wanted $want), wanted output containing: $text"
        sed 's/^/     /' "$out" | tail -n 30
    fi
}

ref="node $here/reference.js"
mut="node $here/lib/mutant.js"
check "reference vs reference" 0 "differential: $count cases, 0 mismatches" \
    "$here/diff.sh" "$ref" "$count" "$seed"
check "mutant flip" 1 "x different decision" "$here/diff.sh" "$mut flip" "$count" "$seed"
check "mutant drop_errors" 1 "x different errors" "$here/diff.sh" "$mut drop_errors" "$count" "$seed"
check "mutant extra_error" 1 "x different errors" "$here/diff.sh" "$mut extra_error" "$count" "$seed"
check "mutant drop_reason" 1 "x different reason" "$here/diff.sh" "$mut drop_reason" "$count" "$seed"
check "mutant extra_reason" 1 "x different reason" "$here/diff.sh" "$mut extra_reason" "$count" "$seed"
check "mutant fail" 1 "x engine failed where the reference succeeded" "$here/diff.sh" "$mut fail" "$count" "$seed"
check "mutant succeed" 1 "x engine succeeded where the reference failed" "$here/diff.sh" "$mut succeed" "$count" "$seed"
check "mutant missing" 1 "x engine answer malformed: no answer" "$here/diff.sh" "$mut missing" "$count" "$seed"
check "mutant garbage" 1 "unparsable or id-less answer lines" "$here/diff.sh" "$mut garbage" "$count" "$seed"
check "mutant bad_decision" 1 "x engine answer malformed: decision" "$here/diff.sh" "$mut bad_decision" "$count" "$seed"
check "mutant reorder (harmless)" 0 "differential: $count cases, 0 mismatches" "$here/diff.sh" "$mut reorder" "$count" "$seed"
check "mutant message (harmless)" 0 "differential: $count cases, 0 mismatches" "$here/diff.sh" "$mut message" "$count" "$seed"
check "engine that dies" 1 "engine exited with status" "$here/diff.sh" "head -c 2000 >/dev/null; exit 3" "$count" "$seed"

integ=${CEDAR_INTEGRATION_TESTS:-../shared/cedar-integration-tests}
case $integ in /*) ;; *) integ=$here/../../$integ ;; esac
if [ -d "$integ/tests" ]; then
    check "integration, cedar-wasm with schema" 0 "integration: .* passed, 0 failed" "$here/integration.sh" --direct
    check "integration through reference.js" 0 "integration: .* passed, 0 failed" "$here/integration.sh" "$ref"
    check "integration through a mutant" 1 "integration: .* failed" "$here/integration.sh" "$mut flip"
fi
echo "selftest: $passed passed, $failed failed"
[ $failed -eq 0 ]
