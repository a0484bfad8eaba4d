#!/usr/bin/env bash
# SEND -> SENDACK latency at fixed rates on a fresh server (wkproto, TCP, encrypted, fsync on).
# Usage: bench/wk_latency.sh [seconds] [rate ...]   (default rates: 10000 30000 50000 70000)
source "$(dirname "$0")/common.sh"
secs=${1:-8}
shift || true
rates=("$@")
((${#rates[@]})) || rates=(10000 30000 50000 70000)
start_server
for rate in "${rates[@]}"; do
  echo "== $rate sends/s, 100 connections, ${secs}s"
  wkbench send --conns 100 --window 64 --duration "$secs" --rate "$rate" --prefix "r$rate" | tail -2
done
