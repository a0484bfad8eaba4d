#!/usr/bin/env bash
# HTTP POST /message/send (persisted, fsync on) next to nginx serving a static 200 in the same
# run, with the same wrk settings. Usage: bench/http_send.sh [connections] [seconds]
source "$(dirname "$0")/common.sh"
conns=${1:-256}
secs=${2:-10}
cat > "$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18080;
    location / { return 200 '{"status":200}'; }
  }
}
CONF
nginx -c "$WORK/nginx.conf"
trap 'kill $(cat "$WORK/nginx.pid" 2>/dev/null) 2>/dev/null || true; stop_server; rm -rf "$WORK"' EXIT
start_server

run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "$@"; }
echo "== nginx static 200 ($conns connections, ${secs}s)"
nginx_out=$(run http://127.0.0.1:18080/)
echo "$nginx_out" | grep -E 'Requests/sec|Latency  |99%'
echo "== jindou POST /message/send, persisted with fsync ($conns connections, ${secs}s)"
send_out=$(run -s bench/http_send.lua http://127.0.0.1:$HTTP_PORT/message/send)
echo "$send_out" | grep -E 'Requests/sec|Latency  |99%|Non-2xx'
nginx_rps=$(echo "$nginx_out" | awk '/Requests\/sec/ {print $2}')
send_rps=$(echo "$send_out" | awk '/Requests\/sec/ {print $2}')
echo "== ratio jindou/nginx: $(awk -v a="$send_rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a / b}')"
echo "== server: $(curl -s http://127.0.0.1:$HTTP_PORT/varz | grep -oE '"(messages_stored|group_commits|largest_group_commit)":[0-9]+' | tr '\n' ' ')"
