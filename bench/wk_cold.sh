#!/usr/bin/env bash
# Hot channels while cold ones are touched: SEND -> SENDACK latency of paced sends to channels in
# memory, first alone, then while an HTTP client sends to channels whose state is only on disk
# (stored earlier, server restarted, page cache dropped when allowed). A shard that read the
# disk itself would stall its hot channels behind every cold one.
# Usage: bench/wk_cold.sh [seconds] [rate] [populate seconds]
source "$(dirname "$0")/common.sh"
secs=${1:-8}
rate=${2:-20000}
populate=${3:-10}
drop_page_cache() {
  sync
  if { echo 1 > /proc/sys/vm/drop_caches; } 2>/dev/null; then
    echo "(page cache dropped)"
  else
    echo "(page cache not dropped: needs root; cold reads come from the page cache)"
  fi
}
start_server
echo "== storing one message in each of many channels for ${populate}s"
stored=$(wrk -t1 -c16 -d"${populate}s" -s bench/cold_channels.lua "http://127.0.0.1:$HTTP_PORT" |
  grep "cold channels")
echo "$stored"
count=$(echo "$stored" | awk '{print $4}')
stop_server
start_server
drop_page_cache
echo "== hot channels alone: $rate sends/s, 100 connections, ${secs}s"
wkbench send --conns 100 --window 64 --duration "$secs" --rate "$rate" --prefix hot | tail -2
drop_page_cache
echo "== hot channels while 4 HTTP clients touch cold channels"
COLD_COUNT=$count wrk -t1 -c4 -d"$((secs + 3))s" -s bench/cold_channels.lua \
  "http://127.0.0.1:$HTTP_PORT" | grep "cold channels" &
cold=$!
wkbench send --conns 100 --window 64 --duration "$secs" --rate "$rate" --prefix hot2 | tail -2
wait "$cold"
curl -s "http://127.0.0.1:$HTTP_PORT/varz" | grep -o '"sends_read_from_disk":[0-9]*' || true
