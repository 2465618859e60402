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
. "$(dirname "$0")/callgrind-server.sh"
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
start_under_callgrind "$bin" "$work/index" "$port" "$out"
sleep 3
zero_counters
curl -sf -X POST -H 'content-type: application/x-ndjson' --data-binary "@$work/upload.ndjson" \
  "http://127.0.0.1:$port/articles" >/dev/null
total=$(instructions_since_zero "$out")
echo "$(basename "$bin"): $total instructions for the upload ($out.1)"
