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
. "$(dirname "$0")/callgrind-server.sh"
out=$(mktemp -d)/callgrind.out
start_under_callgrind "$bin" "$idx" "$port" "$out"
# Start-up work (the suggest dictionary's warmer) runs in the background: let it finish.
sleep 20
ask() { for _ in $(seq 1 "$1"); do curl -sf "http://127.0.0.1:$port/search?$query" >/dev/null; done; }
ask 20
zero_counters
ask "$n"
total=$(instructions_since_zero "$out")
echo "$(basename "$bin") $query: $((total / n)) instructions a request ($out.1)"
