#!/usr/bin/env bash
# Streams: chunks per second (POST /message/send with stream_no, each durable before its answer)
# and the latency from a chunk's send to its EVENT at a connected protocol v5 client, for one
# stream and for many streams on different channels, each closed loop and then paced, with the
# floor beside it: the same paced load as plain messages to the same groups (RECV latency).
# Usage: bench/stream.sh [secs] [streams] [paced-rate]
source "$(dirname "$0")/common.sh"
secs=${1:-10}
many=${2:-1000}
rate=${3:-5000}
STREAMBENCH=${STREAMBENCH:-build/release/bench/streambench}
streambench() { "$STREAMBENCH" --port $TCP_PORT --http-port $HTTP_PORT "$@"; }
for n in 1 "$many"; do
  rm -rf "$WORK/data"
  start_server
  echo "== $n stream(s), 64 HTTP connections, closed loop, ${secs}s"
  streambench --streams "$n" --conns 64 --duration "$secs" --prefix "c$n" | tail -3
  echo "== $n stream(s), paced at $rate chunks/s"
  streambench --streams "$n" --conns 64 --duration "$secs" --rate "$rate" --prefix "p$n" | tail -3
  echo "== floor: plain messages to the same $n group(s), paced at $rate/s"
  streambench --streams "$n" --conns 64 --duration "$secs" --rate "$rate" --prefix "m$n" \
    --messages | tail -3
  stop_server
done
