#!/usr/bin/env bash
# Durable SEND -> SENDACK over wkproto (TCP, encrypted, fsync on): the closed-loop maximum, then
# latency at half that rate. Usage: bench/wk_send.sh [connections] [window] [seconds]
source "$(dirname "$0")/common.sh"
conns=${1:-100}
window=${2:-64}
secs=${3:-10}
start_server
echo "== closed loop: $conns connections x $window SENDs in flight, ${secs}s"
out=$(wkbench send --conns "$conns" --window "$window" --duration "$secs")
echo "$out"
rate=$(echo "$out" | awk '/sends acknowledged/ {print int($3)}')
half=$((rate / 2))
echo "== paced at half of that: $half sends/s"
wkbench send --conns "$conns" --window "$window" --duration "$secs" --rate "$half" --prefix half
echo "== server: $(curl -s http://127.0.0.1:$HTTP_PORT/varz | grep -oE '"(messages_stored|group_commits|largest_group_commit)":[0-9]+' | tr '\n' ' ')"
