#!/usr/bin/env bash
# Idle connections: open N authenticated (encrypted) TCP connections and report the server's
# resident memory per connection. Usage: bench/wk_idle.sh [connections] [seconds]
# Each connection is a file descriptor in the server and in wkbench: N must stay below
# `ulimit -Hn` (the hard open-file limit), and connections are spread over several local source
# addresses to stay clear of the ephemeral port range.
source "$(dirname "$0")/common.sh"
conns=${1:-19000}
secs=${2:-5}
start_server
echo "== idle: $conns connections, held ${secs}s (open-file limit $(ulimit -Hn))"
wkbench idle --conns "$conns" --duration "$secs" --warmup 2 \
  --source 127.0.0.2 --source 127.0.0.3 --source 127.0.0.4
