#!/usr/bin/env bash
# Server CPU per search request: a figure that a busy machine disturbs less than QPS.
# Reads the server's utime+stime (/proc/PID/stat fields 14 and 15, in clock ticks) before and
# after a wrk run against it, and divides by the requests wrk counted. Needs `wrk` (Debian).
#
# usage: benches/cpu-per-request.sh PORT CLIENTS SECONDS 'QUERY STRING'
#   e.g. benches/cpu-per-request.sh 7502 8 6 'q=oil'
# The server is the process listening on 127.0.0.1:PORT. For an A/B, start both builds on
# their own index and port and alternate runs (old, new, old, new).
set -euo pipefail
port=$1 clients=$2 secs=$3 query=$4
pid=$(ss -ltnpH "sport = :$port" | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2)
[ -n "$pid" ] || { echo "no process listens on port $port" >&2; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
out=$(wrk -t1 -c"$clients" -d"${secs}s" "http://127.0.0.1:$port/search?$query")
t1=$(ticks)
n=$(echo "$out" | grep -oE '[0-9]+ requests in' | grep -oE '^[0-9]+')
qps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
awk -v t0="$t0" -v t1="$t1" -v n="$n" -v hz="$hz" -v qps="$qps" -v c="$clients" -v q="$query" \
  'BEGIN { printf "%s, %d clients: %d requests, %s QPS, server CPU %.3f ms a request\n", q, c, n, qps, (t1 - t0) * 1000 / hz / n }'
