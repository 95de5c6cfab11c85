#!/usr/bin/env bash
# Every test: installs, builds, runs the unit and integration tests on the
# release build, the unit tests again under ASan+UBSan, and each libFuzzer
# target briefly (FUZZ_SECONDS, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "== release build: unit + integration tests"
bash scripts/build.sh
meson test -C build --print-errorlogs --num-processes 2

echo "== test-hooks build: the helpers' confinement from inside (docs/confinement.md)"
# The attack table needs the test-only hooks, which the release build
# above must not have (its integration-confine checks that).
[ -f build-hooks/build.ninja ] ||
  meson setup build-hooks -Dtest_hooks=true >/dev/null
ninja -C build-hooks
meson test -C build-hooks --print-errorlogs integration-confine

echo "== Cedar: harness self-test, differential test, integration tests"
# The reference is npm @cedar-policy/cedar-wasm (tests/cedar/package.json).
bash tests/cedar/setup.sh
bash tests/cedar/selftest.sh
bash tests/cedar/diff.sh build/policyd/cedar/cedar_batch "${CEDAR_DIFF_CASES:-5000}" 1
bash tests/cedar/integration.sh build/policyd/cedar/cedar_batch

echo "== MAVLink: interop with node-mavlink (codec both ways; mavsim over tcp, udp, a pty)"
# The other side is npm node-mavlink (tests/mavlink/package.json).
bash tests/mavlink/setup.sh
python3 tests/mavlink/interop.py build/mavlink/mavsim build/mavlink/mavcodec

echo "== ASan+UBSan build: unit tests"
[ -f build-asan/build.ninja ] ||
  CC=clang meson setup build-asan -Db_sanitize=address,undefined \
    -Db_lundef=false -Dtest_hooks=true >/dev/null
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --suite unit --print-errorlogs --num-processes 2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  bash tests/cedar/diff.sh build-asan/policyd/cedar/cedar_batch 2000 2

echo "== libFuzzer targets"
[ -f build-fuzz/build.ninja ] ||
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_lundef=false >/dev/null
ninja -C build-fuzz
secs=${FUZZ_SECONDS:-30}
# Seeds of the right shape where the tree has them, so the 30 s go past
# the first bytes of a grammar (from nothing, fuzz_seccomp reached 45
# edges in 30 s: no JSON object of a profile at all).
seed() { # seed TARGET CORPUS
  local p desc t
  case $1 in
  fuzz_seccomp)
    cp tests/data/docker-seccomp-default.json "$2/seed-docker-default" ;;
  fuzz_cedar) # the first byte 0: policy text
    for p in policies/*.cedar; do
      { printf '\0'; cat "$p"; } >"$2/seed-$(basename "$p")"
    done ;;
  fuzz_image) # the first byte: 1 index (tag latest), 3 manifest, 4 config, 5 tar
    desc='"digest":"HASH","size":10'
    printf '\1{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' "$desc" >"$2/seed-index"
    printf '\3{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json",%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",%s}]}' "$desc" "$desc" >"$2/seed-manifest"
    printf '\4{"architecture":"amd64","os":"linux","config":{"User":"app:wheel","Env":["PATH=/usr/bin","A=b"],"Cmd":["sh"],"WorkingDir":"/srv"},"rootfs":{"type":"layers","diff_ids":["HASH"]}}' >"$2/seed-config"
    sed -i "s/HASH/sha256:$(printf 'ab%.0s' $(seq 32))/g" "$2/seed-index" "$2/seed-manifest" "$2/seed-config"
    t=$(mktemp -d)
    mkdir -p "$t/r/etc" "$t/r/srv"
    echo 'app:x:1000:1000::/srv:/bin/sh' >"$t/r/etc/passwd"
    ln -s passwd "$t/r/etc/link"
    : >"$t/r/srv/.wh.gone"
    { printf '\5'; tar -C "$t/r" -cf - .; } >"$2/seed-layer"
    rm -rf "$t" ;;
  esac
}
for f in $(find build-fuzz -maxdepth 3 -type f -name 'fuzz_*' -perm -u+x | sort); do
  name=$(basename "$f")
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  seed "$name" "$corpus"
  echo "-- $name (${secs}s)"
  LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan-libseccomp.supp \
    "$f" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=0 \
    "$corpus" 2>&1 | tail -n 3
done
echo "== all tests passed"
