#!/usr/bin/env bash
# Installs what jindou needs to build, run and test on Debian 12 (run as root).
#   scripts/install-deps.sh           build and run
#   scripts/install-deps.sh --test    also what the tests need
#   scripts/install-deps.sh --bench   also what the benchmarks need (wrk, nginx, hyperfine)
# Options combine. Safe to run again: packages already present are left alone.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  librocksdb-dev libssl-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev
  nats-server libnats-dev
  libspdlog-dev libyaml-cpp-dev libcli11-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
for option in "$@"; do
  case "$option" in
    --test)
      # Tests also need clang (the sanitized build and fuzzing), clang-tidy (scripts/tidy.sh)
      # and, for the official JS SDK, Node.js >= 20.6 with npm (used as the machine provides it;
      # Debian's own nodejs is only a fallback).
      packages+=(clang libclang-rt-dev clang-tidy)
      command -v node >/dev/null 2>&1 || packages+=(nodejs)
      command -v npm >/dev/null 2>&1 || packages+=(npm)
      ;;
    --bench)
      # wrk drives the HTTP benchmark; nginx serves its static baseline in the same run.
      packages+=(wrk nginx hyperfine)
      ;;
    *)
      echo "usage: $0 [--test] [--bench]" >&2
      exit 2
      ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "==> all build dependencies are installed"
fi
