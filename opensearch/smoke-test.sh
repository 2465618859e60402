#!/usr/bin/env bash
# Checks by hand, as a script, that scripts/opensearch gives a working 3-node OpenSearch cluster
# with what newsindex needs: english and cjk analyzers, refresh=wait_for, post_filter, terms and
# date_histogram aggregations, more_like_this, highlight, collapse, completion suggest, and
# failover (kill -9 of the node holding the primary, searches go on, restart-node rejoins).
#
#   opensearch/smoke-test.sh [--base-port N]     (default 9400; uses a fresh temporary dir)
#
# Needs java, mvn (first build), curl and python3. Stops its nodes on exit. Ends with
# 'N passed, N failed'; exits 1 if any check failed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OS="$ROOT/scripts/opensearch"
BASE=9400
[[ "${1:-}" == --base-port ]] && BASE="$2"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/opensearch-smoke.XXXXXX")"
U="http://127.0.0.1:$BASE"
U1="http://127.0.0.1:$((BASE + 1))"
PASS=0
FAIL=0
trap '"$OS" stop --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT

# check NAME PYTHON-EXPR JSON: the expression sees the parsed JSON as d.
check() {
    if python3 -c 'import json,sys; d=json.loads(sys.argv[2]); sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" "$3" 2>/dev/null; then
        PASS=$((PASS + 1)); echo "ok   $1"
    else
        FAIL=$((FAIL + 1)); echo "FAIL $1: ${3:0:400}"
    fi
}
get() { curl -s --max-time 30 "$@"; }
post() { local url="$1"; shift; curl -s --max-time 30 -H 'Content-Type: application/json' "$url" "$@"; }

t0=$SECONDS
"$OS" start --nodes 3 --dir "$DIR" --base-port "$BASE"
echo "3 nodes green in $((SECONDS - t0))s"
check "3 nodes" 'd["number_of_nodes"] == 3 and d["status"] == "green"' "$(get "$U/_cluster/health")"

check "create index (1 shard, 1 replica)" 'd.get("acknowledged") is True' "$(post "$U/news" -XPUT -d '{
  "settings": {"number_of_shards": 1, "number_of_replicas": 1, "index.unassigned.node_left.delayed_timeout": "0"},
  "mappings": {"properties": {
    "title": {"type": "text", "analyzer": "english"}, "body": {"type": "text", "analyzer": "english"},
    "body_cjk": {"type": "text", "analyzer": "cjk"}, "lang": {"type": "keyword"}, "source": {"type": "keyword"},
    "topics": {"type": "keyword"}, "published": {"type": "date"}, "suggest": {"type": "completion"}}}}')"
check "index green" 'd["status"] == "green"' "$(get "$U/_cluster/health/news?wait_for_status=green&timeout=60s")"
check "english analyzer stems" '[t["token"] for t in d["tokens"]] == ["run", "bank", "were", "flood"]' \
    "$(post "$U/news/_analyze" -d '{"analyzer": "english", "text": "Running banks were flooding"}')"
check "cjk analyzer bigrams" '[t["token"] for t in d["tokens"]] == ["東京", "京株", "株式", "式市", "市場"]' \
    "$(post "$U/news/_analyze" -d '{"analyzer": "cjk", "text": "東京株式市場"}')"

check "index one doc, refresh=wait_for" 'd["result"] == "created" and d["_shards"]["successful"] == 2' \
    "$(post "$U/news/_doc/1?refresh=wait_for" -XPUT -d '{"title": "Central bank raises interest rates",
      "body": "The central bank raised interest rates again to fight inflation, banks said.", "lang": "en",
      "source": "reuters", "topics": ["economy", "banking"], "published": "2026-01-15T10:00:00Z",
      "suggest": ["central bank", "interest rates"]}')"
BULK='{"index":{"_id":"2"}}
{"title":"Banks report record profits as rates climb","body":"Large banks reported record profits while interest rates climbed.","lang":"en","source":"reuters","topics":["banking"],"published":"2026-01-20T09:00:00Z","suggest":["bank profits"]}
{"index":{"_id":"3"}}
{"title":"Oil prices fall on weak demand","body":"Oil prices fell sharply on weak demand and rising inventories.","lang":"en","source":"ap","topics":["energy"],"published":"2026-02-03T12:00:00Z","suggest":["oil prices"]}
{"index":{"_id":"4"}}
{"title":"Central banks coordinate on inflation","body":"Several central banks coordinated their response to rising inflation and interest rates.","lang":"en","source":"ap","topics":["economy","banking"],"published":"2026-02-10T08:00:00Z","suggest":["central banks"]}
{"index":{"_id":"5"}}
{"title":"東京株式市場は反発","body_cjk":"東京株式市場で日経平均株価が反発した。銀行株が上昇。","lang":"ja","source":"nikkei","topics":["markets"],"published":"2026-03-01T01:00:00Z","suggest":["東京株式市場"]}
{"index":{"_id":"6"}}
{"title":"中国央行下调利率","body_cjk":"中国人民银行宣布下调利率以支持经济增长。","lang":"zh","source":"xinhua","topics":["economy","banking"],"published":"2026-03-05T02:00:00Z","suggest":["中国央行"]}
'
check "bulk, refresh=wait_for" 'd["errors"] is False and len(d["items"]) == 5' \
    "$(curl -s -H 'Content-Type: application/x-ndjson' "$U/news/_bulk?refresh=wait_for" --data-binary "$BULK")"
check "count 6" 'd["count"] == 6' "$(get "$U/news/_count")"

R="$(post "$U/news/_search" -d '{
  "query": {"multi_match": {"query": "bank interest rates", "fields": ["title^2", "body"]}},
  "post_filter": {"term": {"source": "reuters"}},
  "aggs": {"by_source": {"terms": {"field": "source"}},
           "per_month": {"date_histogram": {"field": "published", "calendar_interval": "month"}}},
  "highlight": {"fields": {"body": {}, "title": {}}}}')"
check "post_filter" 'sorted(h["_id"] for h in d["hits"]["hits"]) == ["1", "2"]' "$R"
check "terms agg ignores post_filter" '{b["key"]: b["doc_count"] for b in d["aggregations"]["by_source"]["buckets"]} == {"reuters": 2, "ap": 1}' "$R"
check "date_histogram calendar_interval" '[(b["key_as_string"][:7], b["doc_count"]) for b in d["aggregations"]["per_month"]["buckets"]] == [("2026-01", 2), ("2026-02", 1)]' "$R"
check "highlight" '"<em>bank</em>" in d["hits"]["hits"][0]["highlight"]["title"][0]' "$R"
check "more_like_this" '[h["_id"] for h in d["hits"]["hits"]][:1] == ["4"] and "1" not in [h["_id"] for h in d["hits"]["hits"]]' \
    "$(post "$U/news/_search" -d '{"query": {"more_like_this": {"fields": ["title", "body"],
      "like": [{"_index": "news", "_id": "1"}], "min_term_freq": 1, "min_doc_freq": 1}}}')"
check "collapse on a keyword" '[h["_source"]["source"] for h in d["hits"]["hits"]] == ["xinhua", "nikkei", "ap", "reuters"]' \
    "$(post "$U/news/_search" -d '{"query": {"match_all": {}}, "collapse": {"field": "source"}, "sort": [{"published": "desc"}]}')"
check "completion suggest" '[o["text"] for o in d["suggest"]["s"][0]["options"]] == ["central bank", "central banks"]' \
    "$(post "$U/news/_search" -d '{"suggest": {"s": {"prefix": "cen", "completion": {"field": "suggest"}}}}')"
check "completion suggest, Japanese" '[o["text"] for o in d["suggest"]["s"][0]["options"]] == ["東京株式市場"]' \
    "$(post "$U/news/_search" -d '{"suggest": {"s": {"prefix": "東京", "completion": {"field": "suggest"}}}}')"
check "cjk match + highlight" '[h["_id"] for h in d["hits"]["hits"]] == ["5"] and "<em>株式市場</em>" in d["hits"]["hits"][0]["highlight"]["body_cjk"][0]' \
    "$(post "$U/news/_search" -d '{"query": {"match": {"body_cjk": "株式市場"}}, "highlight": {"fields": {"body_cjk": {}}}}')"

# Failover: kill -9 the node that holds the primary, search through another node.
PRIMARY="$(get "$U/_cat/shards/news?h=prirep,node" | awk '$1 == "p" {print $2}')"
OTHER=$((BASE + 1)); [[ "$PRIMARY" == node-1 ]] && OTHER=$((BASE + 2))
"$OS" kill "$PRIMARY" --dir "$DIR"
check "searchable right after kill -9 of $PRIMARY" 'd["count"] == 3' "$(get "http://127.0.0.1:$OTHER/news/_count?q=title:bank")"
check "2 nodes left, not red" 'd["number_of_nodes"] == 2 and d["status"] in ("yellow", "green")' \
    "$(get "http://127.0.0.1:$OTHER/_cluster/health?wait_for_nodes=2&timeout=30s")"
check "write while $PRIMARY is down" 'd["result"] == "created"' \
    "$(post "http://127.0.0.1:$OTHER/news/_doc/7?refresh=wait_for" -XPUT -d '{"title": "Written during failover", "source": "test"}')"
t0=$SECONDS
"$OS" restart-node "$PRIMARY" --dir "$DIR"
echo "$PRIMARY rejoined in $((SECONDS - t0))s"
check "3 nodes green after restart-node" 'd["number_of_nodes"] == 3 and d["status"] == "green"' \
    "$(get "$U/_cluster/health?wait_for_status=green&wait_for_nodes=3&timeout=60s")"
check "count 7 through every node" 'all(c == 7 for c in d)' \
    "[$(get "$U/news/_count" | python3 -c 'import json,sys;print(json.load(sys.stdin)["count"])'),$(get "$U1/news/_count" | python3 -c 'import json,sys;print(json.load(sys.stdin)["count"])'),$(get "http://127.0.0.1:$((BASE + 2))/news/_count" | python3 -c 'import json,sys;print(json.load(sys.stdin)["count"])')]"

for f in "$DIR"/node-*.pid; do
    echo "$(basename "$f" .pid) RSS $(($(awk '/VmRSS/ {print $2}' "/proc/$(cat "$f")/status") / 1024)) MiB"
done
"$OS" stop --dir "$DIR"
echo "smoke: $PASS passed, $FAIL failed"
(( FAIL == 0 ))
