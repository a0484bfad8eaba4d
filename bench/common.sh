# Shared by the bench scripts: start a Release jindou on fixed local ports with a fresh data
# directory, stop it on exit. Source it; then call start_server [extra jindou args...].
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JINDOU_BINARY=${JINDOU_BINARY:-build/release/src/server/jindou}
WKBENCH=${WKBENCH:-build/release/bench/wkbench}
for b in "$JINDOU_BINARY" "$WKBENCH"; do
  if [[ ! -x "$b" ]]; then
    echo "missing $b: build Release first:" >&2
    echo "  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DJINDOU_TESTS=OFF" >&2
    echo "  cmake --build build/release" >&2
    exit 1
  fi
done
HTTP_PORT=18001
TCP_PORT=18100
WS_PORT=18200
WORK=$(mktemp -d)
SERVER_PID=
stop_server() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
trap 'stop_server; rm -rf "$WORK"' EXIT
start_server() {
  if curl -sf http://127.0.0.1:$HTTP_PORT/health >/dev/null; then
    echo "something already answers on 127.0.0.1:$HTTP_PORT: stop it first" >&2
    exit 1
  fi
  "$JINDOU_BINARY" --data-dir "$WORK/data" --http-addr 127.0.0.1:$HTTP_PORT \
    --addr 127.0.0.1:$TCP_PORT --ws-addr 127.0.0.1:$WS_PORT --log-level warn "$@" \
    2> "$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -sf http://127.0.0.1:$HTTP_PORT/health >/dev/null && return 0
    sleep 0.1
  done
  echo "the server did not start:" >&2
  cat "$WORK/server.log" >&2
  exit 1
}
wkbench() { "$WKBENCH" --port $TCP_PORT --http-port $HTTP_PORT "$@"; }
