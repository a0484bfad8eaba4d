#!/usr/bin/env bash
# Group fan-out: one group of N receiving members (all online, TCP, RECVACK sent for every RECV),
# S members sending; reports deliveries (RECVs received) per second.
# Usage: bench/wk_fanout.sh [members] [senders] [window] [seconds] [plain] [client threads]
# With a fifth argument "plain" the server runs with disableEncryption and no payload is
# encrypted; otherwise every RECV is encrypted for its connection and verified by the receiver.
source "$(dirname "$0")/common.sh"
members=${1:-500}
senders=${2:-2}
window=${3:-16}
secs=${4:-10}
mode=${5:-encrypted}
threads=${6:-2}
if [[ "$mode" == plain ]]; then
  start_server -o disableEncryption=true
  plain=--plain
else
  start_server
  plain=
fi
echo "== fan-out ($mode): $members receivers, $senders senders x $window in flight, ${secs}s, $threads client threads"
wkbench fanout --members "$members" --senders "$senders" --window "$window" --duration "$secs" \
  --threads "$threads" $plain
