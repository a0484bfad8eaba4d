#!/usr/bin/env bash
# Group fan-out: one group of N receiving members (all online, TCP, encrypted, RECVACK sent),
# S members sending; reports deliveries (RECVs received) per second.
# Usage: bench/wk_fanout.sh [members] [senders] [window] [seconds]
source "$(dirname "$0")/common.sh"
members=${1:-500}
senders=${2:-2}
window=${3:-16}
secs=${4:-10}
start_server
echo "== fan-out: $members receivers, $senders senders x $window in flight, ${secs}s"
wkbench fanout --members "$members" --senders "$senders" --window "$window" --duration "$secs" \
  --threads 1
