# Sourced by benches/instructions-per-*.sh: a server build under callgrind, and the
# instructions it counts between a zeroing and a dump.

command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }

# start_under_callgrind BIN INDEX PORT OUT: starts `BIN serve` on INDEX under callgrind, its
# counters written to OUT (and OUT.1, ... at each dump), in OUT's directory (so that no
# config.toml of the caller's is read); sets `vpid`, kills it at exit, and waits until the
# server answers.
start_under_callgrind() {
  local bin index port=$3 out=$4
  # Absolute: the server runs in OUT's directory.
  bin=$(realpath -m "$1") index=$(realpath -m "$2")
  (cd "$(dirname "$out")" && exec valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" \
    serve --index "$index" --no-demo --listen "127.0.0.1:$port" >"$out.log" 2>&1) &
  vpid=$!
  trap 'kill $vpid 2>/dev/null || true' EXIT
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 $vpid 2>/dev/null || { echo "the server did not start:" >&2; tail -3 "$out.log" >&2; exit 1; }
    sleep 1
  done
}

# zero_counters: what was counted so far (start-up, warming) is left out.
zero_counters() { callgrind_control -z "$vpid" >/dev/null 2>&1; }

# instructions_since_zero OUT: the instructions counted since `zero_counters` (the dump goes
# to OUT.1).
instructions_since_zero() {
  callgrind_control -d "$vpid" >/dev/null 2>&1
  grep -E '^totals:' "$1.1" | awk '{print $2}'
}
