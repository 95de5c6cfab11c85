#!/usr/bin/env bash
# Installs everything autonomy needs to build, run and test, from
# Debian 12's packages. Run as root (or with sudo).
set -euo pipefail

pkgs=(
  build-essential pkg-config meson ninja-build
  protobuf-c-compiler libprotobuf-c-dev
  libnng-dev libmicrohttpd-dev libjansson-dev liblmdb-dev lmdb-utils
  libseccomp-dev libcap-ng-dev libssl-dev
  # SHA-256 for the WAL chain and policyd (common/sha256.h)
  nettle-dev
  libarchive-dev
  # the fetcher (tool.http_get)
  libcurl4-openssl-dev
  libcmocka-dev python3
  # test_image.py builds its images around a static busybox
  busybox-static
  # tests/composition builds its own network namespace with ip(8)
  iproute2
  # sanitizer and libFuzzer builds
  clang libclang-rt-14-dev
)

# The Cedar differential tests run the reference (npm @cedar-policy/
# cedar-wasm) in Node.js: Debian's nodejs and npm unless a node exists.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
  pkgs+=(nodejs npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
