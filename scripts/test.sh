#!/usr/bin/env bash
# Installs dependencies, builds everything with AddressSanitizer + UndefinedBehaviorSanitizer,
# and runs every test: unit tests, black-box tests of the real binary (C++ and the official
# WuKongIM JS SDK), then a short fuzzing run of the wkproto decoder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

scripts/install-deps.sh --test

echo "==> JavaScript test clients"
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

echo "==> build (ASan + UBSan)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJINDOU_SANITIZE=ON \
  -DJINDOU_BENCH=OFF -DCMAKE_CXX_FLAGS="-O1"
cmake --build build/asan -j "$jobs"

echo "==> tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build/asan && ctest --output-on-failure -j "$jobs" --timeout 600)

echo "==> fuzzing the wkproto decoder"
CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DJINDOU_CORE_ONLY=ON -DJINDOU_FUZZ=ON \
  -DJINDOU_TESTS=OFF -DJINDOU_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build/fuzz --target fuzz_decoder
mkdir -p build/fuzz/corpus
build/fuzz/src/proto/fuzz_decoder -max_total_time="${FUZZ_SECONDS:-60}" -print_final_stats=1 \
  build/fuzz/corpus "$root/src/proto/fuzz_corpus"

echo "==> all tests passed"
