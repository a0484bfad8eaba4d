#!/usr/bin/env bash
# Two server setups side by side: alternating closed-loop SEND -> SENDACK runs (a fresh server
# and data directory each), then each side's mean and the ratio B/A. This machine is noisy:
# only alternating runs compare fairly.
#   A_ARGS / B_ARGS      extra jindou arguments of each side, e.g. B_ARGS="-o conversation.on=false"
#   A_BINARY / B_BINARY  jindou binaries (default: this build), e.g. the build before a change
# Usage: [A_ARGS=..] [B_ARGS=..] [A_BINARY=..] [B_BINARY=..] bench/wk_send_ab.sh [secs] [pairs]
source "$(dirname "$0")/common.sh"
secs=${1:-8}
pairs=${2:-4}
A_BINARY=${A_BINARY:-$JINDOU_BINARY}
B_BINARY=${B_BINARY:-$JINDOU_BINARY}
echo "== A: $A_BINARY ${A_ARGS:-}"
echo "== B: $B_BINARY ${B_ARGS:-}"
echo "== closed loop, 100 connections x 64 in flight, ${secs}s per run, $pairs pairs"
a_rates=()
b_rates=()
one() {  # one <side> <binary> <args>
  rm -rf "$WORK/data"
  JINDOU_BINARY=$2
  # shellcheck disable=SC2086
  start_server $3
  local rate
  rate=$(wkbench send --conns 100 --window 64 --duration "$secs" --prefix "$1$RANDOM" |
    awk '/sends acknowledged/ {print int($3)}')
  stop_server
  echo "$1: $rate sends/s" >&2
  echo "$rate"
}
for i in $(seq "$pairs"); do
  a_rates+=("$(one A "$A_BINARY" "${A_ARGS:-}")")
  b_rates+=("$(one B "$B_BINARY" "${B_ARGS:-}")")
done
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.0f", s / NR}'; }
a=$(mean "${a_rates[@]}")
b=$(mean "${b_rates[@]}")
echo "== mean A $a, B $b sends/s; B/A $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}')"
