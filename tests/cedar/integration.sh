#!/bin/sh
# The Cedar project's integration tests through a cedar_batch engine.
#
#   tests/cedar/integration.sh [CEDAR_BATCH]
#
# CEDAR_BATCH: the engine command (default $CEDAR_BATCH, else
# build/policyd/cedar/cedar_batch); "--direct" asks cedar-wasm itself, with the
# tests' schemas (a check of our reading of the test format).
# The tests are read at run time from ${CEDAR_INTEGRATION_TESTS:-../shared/cedar-integration-tests}
# (relative to the repository root); when absent, prints SKIPPED and exits 0.
# Prints "integration: P passed, F failed, U unsupported of T"; exit 1 on failures.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
engine=${1:-${CEDAR_BATCH:-$root/build/policyd/cedar/cedar_batch}}
dir=${CEDAR_INTEGRATION_TESTS:-../shared/cedar-integration-tests}
case $dir in /*) ;; *) dir=$root/$dir ;; esac
if [ ! -d "$dir/tests" ]; then
    echo "integration: SKIPPED (${CEDAR_INTEGRATION_TESTS:-../shared/cedar-integration-tests} not present)"
    exit 0
fi
"$here/setup.sh"
if [ "$engine" = --direct ]; then
    exec node "$here/integration.js" --dir "$dir" --direct
fi
case $engine in
*" "*) ;;
*) if [ ! -x "$engine" ]; then echo "integration.sh: engine $engine is not an executable" >&2; exit 2; fi ;;
esac
exec node "$here/integration.js" --dir "$dir" --engine "$engine"
