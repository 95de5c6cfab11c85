#!/bin/sh
# Installs the pinned node-mavlink (2.3.0) from package-lock.json for the
# interop tests. Idempotent: does nothing when it is already there.
set -eu
cd "$(dirname "$0")"
want=$(node -p 'require("./package-lock.json").packages["node_modules/node-mavlink"].version')
have=$(node -p 'try { require("./node_modules/node-mavlink/package.json").version } catch (e) { "" }' 2>/dev/null || true)
if [ "$have" = "$want" ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error >&2
