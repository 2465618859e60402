#!/usr/bin/env bash
# Instructions the server spends on one NDJSON upload, counted by callgrind: a figure a busy
# machine does not disturb. The upload is the last piece of Reuters cut as
# `benches/ingest-http.sh` cuts it (5,113 articles, 5 MB), sent to a fresh server with an empty
# index; the counters are zeroed after start-up. Needs valgrind. Takes a few minutes.
#
# usage: benches/instructions-per-upload.sh BIN [PORT]
# For an A/B, run two builds at once on their own ports.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$1 port=${2:-7871}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
work=$(mktemp -d)
gunzip -c "$here/data/reuters21578.ndjson.gz" | python3 -c '
import sys
limit, size, last = 16 * 1024 * 1024, 0, []
for line in sys.stdin.buffer:
    if size + len(line) > limit:
        size, last = 0, []
    last.append(line)
    size += len(line)
open(sys.argv[1] + "/upload.ndjson", "wb").write(b"".join(last))' "$work"
out="$work/callgrind.out"
(cd "$work" && exec valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" serve \
  --index "$work/index" --no-demo --listen "127.0.0.1:$port" >"$work/log" 2>&1) &
vpid=$!
trap 'kill $vpid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
  kill -0 $vpid 2>/dev/null || { echo "the server did not start:" >&2; tail -3 "$work/log" >&2; exit 1; }
  sleep 1
done
sleep 3
callgrind_control -z $vpid >/dev/null 2>&1
curl -sf -X POST -H 'content-type: application/x-ndjson' --data-binary "@$work/upload.ndjson" \
  "http://127.0.0.1:$port/articles" >/dev/null
# The dump of the counters since the zeroing goes to "$out.1".
callgrind_control -d $vpid >/dev/null 2>&1
total=$(grep -E '^totals:' "$out.1" | awk '{print $2}')
echo "$(basename "$bin"): $total instructions for the upload ($out.1)"
