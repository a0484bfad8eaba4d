#!/usr/bin/env bash
# HTTP /message/send throughput (persisted, fsync on) next to nginx serving a static 200 in the
# same run. Usage: bench/http_send.sh [connections] [seconds]
# Needs a Release build: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build/release
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-64}
secs=${2:-10}
binary=${JINDOU_BINARY:-build/release/src/server/jindou}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18080;
    location / { return 200 '{"status":200}'; }
  }
}
CONF
nginx -c "$work/nginx.conf"

"$binary" --data-dir "$work/data" --http-addr 127.0.0.1:18001 --addr 127.0.0.1:18100 \
  --ws-addr 127.0.0.1:18200 --log-level warn &
server=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18001/health >/dev/null && break; sleep 0.1; done

run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "$@"; }
echo "== nginx static 200 ($conns connections, ${secs}s)"
nginx_out=$(run http://127.0.0.1:18080/)
echo "$nginx_out" | grep -E 'Requests/sec|Latency|99%'
echo "== jindou POST /message/send, persisted with fsync ($conns connections, ${secs}s)"
send_out=$(run -s bench/http_send.lua http://127.0.0.1:18001/message/send)
echo "$send_out" | grep -E 'Requests/sec|Latency|99%|Non-2xx'
nginx_rps=$(echo "$nginx_out" | awk '/Requests\/sec/ {print $2}')
send_rps=$(echo "$send_out" | awk '/Requests\/sec/ {print $2}')
echo "== ratio jindou/nginx: $(awk -v a="$send_rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a / b}')"
stored=$(curl -s http://127.0.0.1:18001/varz | grep -o '"messages_stored":[0-9]*')
echo "== $stored, $(curl -s http://127.0.0.1:18001/varz | grep -o '"group_commits":[0-9]*')"
