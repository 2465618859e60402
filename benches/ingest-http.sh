#!/usr/bin/env bash
# HTTP ingest as issue #20 measures it: Reuters-21578 (data/reuters21578.ndjson.gz, 20,841
# articles, their own entities given) sent as NDJSON requests of at most 16 MB (two: 16 MB and
# 5 MB), one after the other with curl, to a fresh server with an empty index; each answer
# means durable and visible. Prints articles/s (wall clock from the first request to the last
# answer), the server's CPU time (utime + stime, its start-up included), and the uploads' CPU
# split between the runtime's threads and the rest (tantivy's; see `runtime_cpu` below).
#
# usage: benches/ingest-http.sh BIN [BIN2] [ROUNDS] [PORT]
#   e.g. benches/ingest-http.sh target/release/newsindex /tmp/newsindex-old 5
# With two binaries the runs alternate (BIN, BIN2, BIN, ...): the machines are noisy, compare
# pairs. Each run starts its own server on a fresh index in a temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
a=$1 b=${2:-} rounds=${3:-3} port=${4:-7861}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Cut at line ends into pieces of at most 16 MB.
gunzip -c "$here/data/reuters21578.ndjson.gz" | python3 -c '
import sys
limit, n, size = 16 * 1024 * 1024, 0, 0
out = open(sys.argv[1] + "/chunk0.ndjson", "wb")
for line in sys.stdin.buffer:
    if size + len(line) > limit:
        n, size = n + 1, 0
        out.close()
        out = open(sys.argv[1] + "/chunk%d.ndjson" % n, "wb")
    out.write(line)
    size += len(line)
out.close()' "$work"
hz=$(getconf CLK_TCK)

# CPU seconds (utime + stime) of the whole server, and of its tokio threads (HTTP, parsing and
# preparing documents) still alive. The rest of an upload's CPU is tantivy's (its indexing
# thread, which ends at each commit, and merges): the indexing thread is an upload's critical
# path, so "the rest" close to the wall time means the preparation is not what limits it.
process_cpu() { awk -v hz="$hz" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
runtime_cpu() {
  local t total=0
  for t in /proc/"$1"/task/*; do
    case $(cat "$t/comm" 2>/dev/null) in
      tokio-*) total=$(awk -v hz="$hz" -v a="$total" '{print a + ($14 + $15) / hz}' "$t/stat" 2>/dev/null || echo "$total") ;;
    esac
  done
  echo "$total"
}

run() {
  local bin=$1 dir
  dir=$(mktemp -d -p "$work")
  (cd "$dir" && exec "$bin" serve --index "$dir/index" --no-demo --listen "127.0.0.1:$port" >"$dir/log" 2>&1) &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 $pid 2>/dev/null || { echo "the server did not start:" >&2; tail -3 "$dir/log" >&2; exit 1; }
    sleep 0.2
  done
  local t0 t1 chunk rt0 rt1 cpu0
  rt0=$(runtime_cpu $pid) cpu0=$(process_cpu $pid)
  t0=$(date +%s.%N)
  for chunk in "$work"/chunk*.ndjson; do
    curl -sf -X POST -H 'content-type: application/x-ndjson' --data-binary "@$chunk" \
      "http://127.0.0.1:$port/articles" >"$dir/answer.json" || { echo "upload failed" >&2; cat "$dir/answer.json" >&2; exit 1; }
  done
  t1=$(date +%s.%N)
  rt1=$(runtime_cpu $pid)
  local cpu n
  cpu=$(process_cpu $pid)
  n=$(curl -s "http://127.0.0.1:$port/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["articles"])')
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir"
  python3 -c "print('%s: %d articles in %.2f s, %.0f articles/s, server CPU %.2f s (uploads: runtime threads %.2f s, the rest %.2f s)' % ('$(basename "$bin")', $n, $t1 - $t0, $n / ($t1 - $t0), $cpu, $rt1 - $rt0, ($cpu - $cpu0) - ($rt1 - $rt0)))"
}

for _ in $(seq 1 "$rounds"); do
  run "$a"
  [ -z "$b" ] || run "$b"
done
