#!/usr/bin/env bash
# Installs dependencies, builds jindou (Release) and starts it with the embedded default:
# a single node with its data under ./wukongimdata, HTTP API on 5001, clients on 5100 (TCP)
# and 5200 (WebSocket). Extra arguments go to jindou (e.g. --config wk.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DJINDOU_TESTS=OFF \
  -DJINDOU_BENCH=OFF
cmake --build build/release --target jindou
exec build/release/src/server/jindou "$@"
