#!/bin/sh
# Installs the pinned reference implementation (@cedar-policy/cedar-wasm 4.5.0)
# from package-lock.json. Idempotent: does nothing when it is already there.
set -eu
cd "$(dirname "$0")"
want=$(node -p 'require("./package-lock.json").packages["node_modules/@cedar-policy/cedar-wasm"].version')
have=$(node -p 'try { require("./node_modules/@cedar-policy/cedar-wasm/package.json").version } catch (e) { "" }' 2>/dev/null || true)
if [ "$have" = "$want" ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error >&2
