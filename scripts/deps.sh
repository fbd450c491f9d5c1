#!/usr/bin/env bash
# Installs the Debian packages that a Wharf target needs, and only those that
# are missing: `apt-get update` runs only when something has to be installed,
# so a machine that already has everything does no network traffic at all.
#
# usage: scripts/deps.sh build|test|bench|fuzz
set -euo pipefail

build_pkgs=(
  make gcc g++ pkg-config
  libmicrohttpd-dev libssl-dev libsqlite3-dev libjansson-dev
  libtomlplusplus-dev libcurl4-openssl-dev libarchive-dev libgit2-dev
  libcrypt-dev wabt
)
test_pkgs=(curl openssl python3 skopeo docker-registry
  gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu qemu-user
  libc6-dev-arm64-cross libc6-dev-riscv64-cross)
bench_pkgs=(nginx docker-registry wrk skopeo hyperfine)
fuzz_pkgs=(clang)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test)  want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  fuzz)  want+=("${fuzz_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|bench|fuzz" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
