#!/usr/bin/env bash
# Installs dependencies, builds everything with AddressSanitizer + UndefinedBehaviorSanitizer,
# and runs every test: unit tests, black-box tests of the real binary (C++ and the official
# WuKongIM JS SDK), then clang-tidy over src/ (scripts/tidy.sh) and a short fuzzing run of the
# wkproto decoder. Last, the commands the docs give users: the Release build (which must compile
# without a warning) and a short run of every benchmark script.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

scripts/install-deps.sh --test --bench

echo "==> JavaScript test clients"
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

echo "==> build (ASan + UBSan)"
# Clang builds the sanitized tree in about half the time GCC takes (Beast and Asio templates);
# GCC builds the server and the benchmarks, warning-free, in the Release build below.
cmake -S . -B build/asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DJINDOU_SANITIZE=ON -DJINDOU_WERROR=ON -DJINDOU_BENCH=OFF -DCMAKE_CXX_FLAGS="-O1"
cmake --build build/asan -j "$jobs"

echo "==> tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build/asan && ctest --output-on-failure -j "$jobs" --timeout 600)

echo "==> clang-tidy over src/, with the sanitized build's compile commands"
JOBS="$jobs" scripts/tidy.sh build/asan

echo "==> fuzzing the wkproto decoder"
CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DJINDOU_CORE_ONLY=ON -DJINDOU_FUZZ=ON \
  -DJINDOU_TESTS=OFF -DJINDOU_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build/fuzz --target fuzz_decoder
mkdir -p build/fuzz/corpus
build/fuzz/src/proto/fuzz_decoder -max_total_time="${FUZZ_SECONDS:-30}" -print_final_stats=1 \
  build/fuzz/corpus "$root/src/proto/fuzz_corpus"

echo "==> the Release build as README.md and bench/README.md give it (no warnings allowed)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DJINDOU_TESTS=OFF
cmake --build build/release 2>&1 | tee build/release-build.log
if grep -q 'warning:' build/release-build.log; then
  echo "the Release build printed warnings (see above)" >&2
  exit 1
fi
build/release/src/server/jindou --help >/dev/null

echo "==> every benchmark script, briefly"
bench/http_send.sh 16 1
bench/wk_send.sh 10 8 1
bench/wk_latency.sh 1 2000
bench/wk_fanout.sh 50 1 4 1
bench/wk_idle.sh 300 1
bench/webhook.sh 1 1 1 5000
bench/stream.sh 1 10 500
bench/wk_cold.sh 1 2000 2
B_ARGS="-o conversation.on=false" bench/wk_send_ab.sh 1 1
build/release/src/store/store_bench --benchmark_filter=Durable --benchmark_min_time=0.05
bench/wk_cluster.sh 5 8 1 1

echo "==> three nodes on loopback, as README.md gives it"
scripts/cluster.sh up
scripts/cluster.sh status
scripts/cluster.sh down
rm -rf cluster-data

echo "==> all tests passed"
