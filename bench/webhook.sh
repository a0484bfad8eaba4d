#!/usr/bin/env bash
# Webhooks: the durable send rate with webhooks off and on, in alternating runs of the same
# closed-loop wkproto load (every recipient is offline, so every message also makes a
# msg.offline event), and the rate at which a backlog of msg.notify events drains into a local
# receiver (nginx answering 200). During the send runs the receiver stands for another machine:
# it runs at idle CPU priority, so it takes only what sending leaves, as the server's own
# delivery threads do. Then the same at a fixed rate, for the latency with webhooks off and on.
# Usage: bench/webhook.sh [secs] [pairs] [backlog-secs] [paced-rate]
source "$(dirname "$0")/common.sh"
secs=${1:-8}
pairs=${2:-3}
backlog_secs=${3:-5}
paced_rate=${4:-30000}

# Two nginx receivers: one up from the start, one started only when the backlog is to drain.
receiver_conf() {
  cat > "$WORK/nginx-$1.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx-$1.pid;
error_log $WORK/nginx-$1-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_buffer_size 1m;
  server { listen 127.0.0.1:$1; location / { return 200 '{"status":200}'; } }
}
CONF
}
receiver_conf 18081
receiver_conf 18082
chrt --idle 0 nginx -c "$WORK/nginx-18081.conf" &
trap 'for p in "$WORK"/nginx-*.pid; do kill $(cat "$p" 2>/dev/null) 2>/dev/null; done; stop_server; rm -rf "$WORK"' EXIT

varz_webhook() { curl -s http://127.0.0.1:$HTTP_PORT/varz | python3 -c "
import json, sys
w = json.load(sys.stdin)['webhook']['events']
print(' '.join(f\"{k}: delivered {v['delivered']}, backlog {v['backlog']}\" for k, v in w.items()))"; }

run() {  # run <label> <wkbench args> [server args...]: one send measurement on a fresh server
  local label=$1 load=$2
  shift 2
  rm -rf "$WORK/data"
  start_server "$@"
  local out
  # shellcheck disable=SC2086
  out=$(wkbench send --conns 100 --window 64 --duration "$secs" --prefix "$label" $load)
  echo "$label: $(echo "$out" | awk '/sends acknowledged/ {print $3}') sends/s," \
    "latency ms$(echo "$out" | sed -n 's/.*latency ms:\(.*\)/\1/p')"
  [[ "$label" == on* ]] && echo "    webhooks after the run: $(varz_webhook)"
  stop_server
}

hook=(-o webhook.httpAddr=http://127.0.0.1:18081/hook)
echo "== durable sends, webhooks off vs on (100 connections x 64 in flight, ${secs}s, $pairs pairs)"
for i in $(seq "$pairs"); do
  run "off$i" ""
  run "on$i" "" "${hook[@]}"
done
echo "== the same paced at $paced_rate sends/s"
for i in $(seq "$pairs"); do
  run "off-paced$i" "--rate $paced_rate"
  run "on-paced$i" "--rate $paced_rate" "${hook[@]}"
done

echo "== msg.notify delivery rate: a backlog of ${backlog_secs}s of sends drains into nginx"
rm -rf "$WORK/data"
start_server -o webhook.httpAddr=http://127.0.0.1:18082/hook -o webhook.focusEvents=msg.notify \
  -o webhook.msgNotifyEventRetryMaxCount=1000
wkbench send --conns 100 --window 64 --duration "$backlog_secs" --prefix backlog | grep 'sends acknowledged'
nginx -c "$WORK/nginx-18082.conf" &
python3 - "$HTTP_PORT" <<'PY'
import json, sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/varz"
def notify():
    return json.load(urllib.request.urlopen(url))["webhook"]["events"]["msg.notify"]
start = None
deadline = time.monotonic() + 300
while True:
    n = notify()
    now = time.monotonic()
    if now > deadline:
        sys.exit(f"the backlog did not drain in 300 s: {n}")
    if start is None and n["delivered"] > 0:
        start, first = now, n["delivered"]
    if start is not None and n["backlog"] == 0:
        break
    time.sleep(0.05)
took = now - start
rest = n['delivered'] - first
rate = f"{rest / took:,.0f} messages/s" if took > 0 and rest > 0 else "too few to time"
print(f"drained {n['delivered']} messages; {rest} in {took:.2f} s after the first call: "
      f"{rate} ({n['calls']} calls)")
PY
