#!/usr/bin/env bash
# Three nodes next to one, in the same run: durable SEND -> SENDACK over wkproto, closed loop,
# with the load spread over the three nodes (one wkbench per node, each sending to person
# channels of its own, so most sends are forwarded to another node's partition); then the
# failover time over repeated kill -9 of one node's jindou: the time from the kill until every
# partition accepts writes again through the surviving nodes.
# Usage: bench/wk_cluster.sh [connections per node] [window] [seconds] [kills]
source "$(dirname "$0")/common.sh"
conns=${1:-30}
window=${2:-32}
secs=${3:-10}
kills=${4:-20}
total=$((conns * 3))

echo "== one node: $total connections x $window SENDs in flight, ${secs}s"
start_server
wkbench send --conns "$total" --window "$window" --duration "$secs" --prefix one
stop_server

CLUSTER_DIR="$WORK/cluster"
cluster() { JINDOU_BINARY="$JINDOU_BINARY" scripts/cluster.sh "$1" "$CLUSTER_DIR" >/dev/null; }
trap 'cluster down || true; stop_server; rm -rf "$WORK"' EXIT
cluster up
# The nodes hand partitions to their preferred owners once they have seen each other for 5 s.
sleep 7

echo "== three nodes: $conns connections x $window SENDs in flight on each, ${secs}s"
outs=()
for n in 1 2 3; do
  "$WKBENCH" --port "511$n" --http-port "501$n" send --conns "$conns" --window "$window" \
    --duration "$secs" --prefix "n$n" >"$WORK/bench$n.out" 2>"$WORK/bench$n.err" &
  outs+=($!)
done
for pid in "${outs[@]}"; do wait "$pid"; done
for n in 1 2 3; do echo "node $n: $(grep -E 'sends acknowledged|latency' "$WORK/bench$n.out" | tr '\n' ' ')"; done
awk '/sends acknowledged/ {sum += $3} END {printf "three nodes together: %d sends/s acknowledged\n", sum}' \
  "$WORK"/bench?.out

# One group channel in each of the 32 partitions (crc32("<id>-2") % 1024 % 32 = 0, 1, ... 31 with
# the default cluster.slotCount and cluster.logCount): when a send to each succeeds, every
# partition takes writes.
probe_channels=(probe1 probe238 probe19 probe12 probe228 probe6 probe15 probe48 probe17 probe39
  probe218 probe4 probe29 probe10 probe3 probe8 probe49 probe14 probe7 probe229 probe13 probe18
  probe239 probe0 probe9 probe2 probe11 probe28 probe5 probe219 probe38 probe16)
all_partitions_write() {
  local via=$1 c
  for c in "${probe_channels[@]}"; do
    curl -sf -m 1 -o /dev/null "http://127.0.0.1:501$via/message/send" \
      -d "{\"from_uid\":\"probe\",\"channel_id\":\"$c\",\"channel_type\":2,\"payload\":\"aGk=\"}" ||
      return 1
  done
}

echo "== failover: $kills kills of one node's jindou (kill -9), time until all partitions write"
times=()
for k in $(seq 1 "$kills"); do
  victim=$(((k - 1) % 3 + 1))
  via=$((victim % 3 + 1))
  pid=$(cat "$CLUSTER_DIR/node$victim/jindou.pid")
  start=$(date +%s.%N)
  kill -9 "$pid"
  until all_partitions_write "$via"; do sleep 0.05; done
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc)
  times+=("$t")
  echo "kill $k (node $victim): writes through node $via again after ${t}s"
  cluster up
  sleep 7  # the node catches up and gets its partitions back
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "failover seconds over %d kills: min %.2f median %.2f max %.2f\n", NR, a[1], a[int((NR+1)/2)], a[NR]}'
