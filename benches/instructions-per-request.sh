#!/usr/bin/env bash
# Instructions a search request costs the server, counted by callgrind: a figure a busy
# machine does not disturb (unlike QPS or CPU time), for A/B of CPU work. It leaves out
# context switches and waiting, which `benches/cpu-per-request.sh` sees. Needs valgrind.
#
# usage: benches/instructions-per-request.sh BIN INDEX PORT 'QUERY STRING' [N]
#   e.g. benches/instructions-per-request.sh target/release/newsindex /tmp/reu 7601 'q=oil' 40
# Starts BIN serve on INDEX (not in use by another process: give each build its own copy)
# under callgrind, waits for it, sends 20 requests to warm it, zeroes the counters, sends N
# (default 40) one at a time, and prints the instructions counted divided by N.
set -euo pipefail
bin=$1 idx=$2 port=$3 query=$4 n=${5:-40}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
out=$(mktemp -d)/callgrind.out
valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" serve --index "$idx" --no-demo \
  --listen "127.0.0.1:$port" >"$out.log" 2>&1 &
vpid=$!
trap 'kill $vpid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
  kill -0 $vpid 2>/dev/null || { echo "the server did not start:" >&2; tail -3 "$out.log" >&2; exit 1; }
  sleep 1
done
# Start-up work (the suggest dictionary's warmer) runs in the background: let it finish.
sleep 20
ask() { for _ in $(seq 1 "$1"); do curl -sf "http://127.0.0.1:$port/search?$query" >/dev/null; done; }
ask 20
callgrind_control -z $vpid >/dev/null 2>&1
ask "$n"
# The dump of the counters since the zeroing goes to "$out.1"; the rest at exit to "$out".
callgrind_control -d $vpid >/dev/null 2>&1
total=$(grep -E '^totals:' "$out.1" | awk '{print $2}')
echo "$(basename "$bin") $query: $((total / n)) instructions a request ($out.1)"
