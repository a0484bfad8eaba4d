#!/usr/bin/env bash
# Three jindou nodes on loopback, to try cluster mode on one machine (docs/cluster.md).
#
#   scripts/cluster.sh up [dir]      starts nodes 1, 2, 3 and waits until each answers GET /health
#   scripts/cluster.sh down [dir]    stops them: SIGTERM, then SIGKILL after 10 s
#   scripts/cluster.sh status [dir]  each node's pid, /health and GET /cluster/nodes
#
# <dir> defaults to ./cluster-data; node N keeps its data, its log (jindou.log) and its pid file
# (jindou.pid) in <dir>/nodeN. Nodes are configured through WK_* environment variables only
# (WK_* variables of the caller's environment are not passed on). Ports of node N: HTTP 501N,
# TCP 511N, WebSocket 521N, route (cluster.addr) 630N, NATS client (cluster.natsAddr) 430N.
#
# The binary is $JINDOU_BINARY, else build/release/src/server/jindou, which `up` builds as
# scripts/run.sh does when it is missing (run scripts/install-deps.sh first on a new machine).
set -euo pipefail

readonly NODES=(1 2 3)
readonly HEALTH_TIMEOUT=60
readonly STOP_GRACE=10

usage() {
  echo "usage: $0 up|down|status [dir]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
command=$1
dir=$(realpath -m "${2:-./cluster-data}")
repo=$(cd "$(dirname "$0")/.." && pwd)

node_dir() { echo "$dir/node$1"; }
pid_file() { echo "$(node_dir "$1")/jindou.pid"; }
log_file() { echo "$(node_dir "$1")/jindou.log"; }
http_url() { echo "http://127.0.0.1:501$1"; }

# The pid of node N when it is running; nothing otherwise. A pid only counts when that process
# is the node started here (its environment names the node's data directory), not a process
# that got the number later.
running_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  if kill -0 "$pid" 2>/dev/null &&
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "WK_DATADIR=$(node_dir "$1")"; then
    echo "$pid"
  fi
}

# The HTTP status of GET <path> on node N; 000 when nothing answers.
http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(http_url "$1")$2" || true
}

find_binary() {
  if [[ -n ${JINDOU_BINARY:-} ]]; then
    binary=$(realpath -m "$JINDOU_BINARY")
  else
    binary=$repo/build/release/src/server/jindou
    if [[ ! -x $binary ]]; then
      echo "building $binary"
      (cd "$repo" &&
        cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DJINDOU_TESTS=OFF \
          -DJINDOU_BENCH=OFF &&
        cmake --build build/release --target jindou)
    fi
  fi
  if [[ ! -x $binary ]]; then
    echo "jindou binary not found or not executable: $binary" >&2
    exit 1
  fi
}

start_node() {
  local n=$1 pid
  pid=$(running_pid "$n")
  if [[ -n $pid ]]; then
    echo "node $n is already running (pid $pid)"
    return
  fi
  mkdir -p "$(node_dir "$n")"
  echo "=== started by scripts/cluster.sh at $(date '+%F %T')" >>"$(log_file "$n")"
  local init_nodes="1@127.0.0.1:6301 2@127.0.0.1:6302 3@127.0.0.1:6303"
  local unset_wk=()
  local name
  for name in $(compgen -e); do
    [[ $name == WK_* ]] && unset_wk+=(-u "$name")
  done
  nohup env "${unset_wk[@]}" \
    WK_CLUSTER_NODEID="$n" \
    WK_CLUSTER_ADDR="127.0.0.1:630$n" \
    WK_CLUSTER_INITNODES="$init_nodes" \
    WK_CLUSTER_NATSADDR="127.0.0.1:430$n" \
    WK_HTTPADDR="127.0.0.1:501$n" \
    WK_ADDR="tcp://127.0.0.1:511$n" \
    WK_WSADDR="ws://127.0.0.1:521$n" \
    WK_DATADIR="$(node_dir "$n")" \
    WK_EXTERNAL_TCPADDR="127.0.0.1:511$n" \
    WK_EXTERNAL_WSADDR="ws://127.0.0.1:521$n" \
    WK_EXTERNAL_APIURL="$(http_url "$n")" \
    "$binary" >>"$(log_file "$n")" 2>&1 </dev/null &
  echo $! >"$(pid_file "$n")"
  echo "node $n started (pid $!), log $(log_file "$n")"
}

up() {
  find_binary
  local n
  for n in "${NODES[@]}"; do start_node "$n"; done

  local waited=0 waiting
  while :; do
    waiting=()
    for n in "${NODES[@]}"; do
      if [[ -z $(running_pid "$n") ]]; then
        echo "node $n exited; the end of $(log_file "$n"):" >&2
        tail -n 20 "$(log_file "$n")" >&2
        echo "('$0 down $dir' stops the other nodes)" >&2
        exit 1
      fi
      [[ $(http_status "$n" /health) == 200 ]] || waiting+=("$n")
    done
    if [[ ${#waiting[@]} -eq 0 ]]; then
      echo "all nodes answer /health: $(http_url 1), $(http_url 2), $(http_url 3)"
      return
    fi
    if ((waited >= HEALTH_TIMEOUT)); then
      echo "node(s) ${waiting[*]} did not answer /health within ${HEALTH_TIMEOUT} s; see their" \
        "logs in $dir/node*/jindou.log ('$0 down $dir' stops the nodes)" >&2
      exit 1
    fi
    echo "waiting for /health of node(s) ${waiting[*]} (${waited} s)"
    sleep 1
    waited=$((waited + 1))
  done
}

down() {
  local n pid pids=()
  for n in "${NODES[@]}"; do
    pid=$(running_pid "$n")
    if [[ -n $pid ]]; then
      kill -TERM "$pid"
      pids+=("$n:$pid")
    else
      echo "node $n is not running"
      rm -f "$(pid_file "$n")"
    fi
  done
  local waited=0 entry left
  while ((${#pids[@]} > 0)); do
    left=()
    for entry in "${pids[@]}"; do
      n=${entry%%:*}
      pid=${entry#*:}
      if kill -0 "$pid" 2>/dev/null; then
        left+=("$entry")
      else
        echo "node $n stopped (pid $pid)"
        rm -f "$(pid_file "$n")"
      fi
    done
    pids=("${left[@]}")
    ((${#pids[@]} > 0)) || break
    if ((waited >= STOP_GRACE * 10)); then
      for entry in "${pids[@]}"; do
        n=${entry%%:*}
        pid=${entry#*:}
        echo "node $n (pid $pid) did not stop within ${STOP_GRACE} s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$(pid_file "$n")"
      done
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

status() {
  local n pid health nodes
  for n in "${NODES[@]}"; do
    pid=$(running_pid "$n")
    if [[ -z $pid ]]; then
      echo "node $n: not running"
      continue
    fi
    health=$(http_status "$n" /health)
    echo "node $n: pid $pid, GET /health $health, $(http_url "$n")"
    nodes=$(curl -s -f --max-time 2 "$(http_url "$n")/cluster/nodes" || true)
    if [[ -n $nodes ]]; then
      echo "  /cluster/nodes: $nodes"
    fi
  done
}

case $command in
  up) up ;;
  down) down ;;
  status) status ;;
  *) usage ;;
esac
