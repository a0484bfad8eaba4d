#!/usr/bin/env bash
# Runs clang-tidy, as .clang-tidy configures it, over the C++ sources in src/ (all but the unit
# tests) and the project headers they include. Any finding fails the run.
#   scripts/tidy.sh [build dir]     default build/asan; JOBS=n sets the parallelism
# The build directory must be configured with clang (as scripts/test.sh configures build/asan):
# clang-tidy reads its compile_commands.json and cannot parse GCC-only flags.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build/asan}

if [[ ! -f "$build/compile_commands.json" ]]; then
  echo "$build/compile_commands.json is missing: configure that build directory first" >&2
  exit 2
fi
# The webhook's gRPC code is generated at build time and its headers are parsed with ours.
cmake --build "$build" --target jindou_webhook_generated

# The sources under src/, not the files generated into the build directory. Unit tests
# (*_test.cpp) are left out: with them the run takes about 10 minutes on two cores instead of
# about 4, more than the test script's time budget allows, and test code is where these checks
# (mostly about performance and misuse of the library) matter least.
sources="^$(sed 's/[].[*^$()+?{}|\]/\\&/g' <<<"$root")/src/(?!.*_test\.cpp$).*\.cpp$"
run-clang-tidy -quiet -j "${JOBS:-$(nproc)}" -p "$build" "$sources"
