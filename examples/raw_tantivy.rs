//! Raw tantivy over HTTP: the yardstick of issue #20 ("what one 2-core machine serves at 8
//! clients, next to raw tantivy"). The smallest server on the same tantivy (0.27, the vendored
//! one) over the same articles and words: `title` and `body` with tantivy's English stemmer,
//! `id` and `title` stored; `GET /search?q=WORDS` answers the top 10 by BM25 (every word
//! required, as newsindex does) and the exact count, as JSON `{total, hits: [{id, title,
//! score}]}`. No facets, no languages, no typos, no copies, no deadline: what newsindex adds is
//! what the ratio of the two servers' figures measures.
//!
//! ```sh
//! cargo run --release --example raw_tantivy -- data/reuters21578.ndjson.gz 127.0.0.1:7600
//! benches/cpu-per-request.sh 7600 8 6 'q=oil'   # beside the same against `newsindex serve`
//! ```
//! The index is built in memory at start (Reuters: a few seconds) on 2 tokio worker threads,
//! which also run the searches, like `tantivy-cli serve`.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{Field, Schema, TextFieldIndexing, TextOptions, Value as _, STORED, STRING};
use tantivy::{doc, Index, IndexReader, TantivyDocument};

struct Raw {
    reader: IndexReader,
    parser: QueryParser,
    id: Field,
    title: Field,
}

#[derive(Deserialize)]
struct Params {
    q: String,
}

async fn search(State(raw): State<Arc<Raw>>, Query(p): Query<Params>) -> Json<Value> {
    let searcher = raw.reader.searcher();
    let Ok(query) = raw.parser.parse_query(&p.q) else {
        return Json(json!({"total": 0, "hits": []}));
    };
    let (top, total) = searcher
        .search(&query, &(TopDocs::with_limit(10).order_by_score(), Count))
        .expect("search");
    let hits: Vec<Value> = top
        .into_iter()
        .map(|(score, addr)| {
            let doc: TantivyDocument = searcher.doc(addr).expect("doc");
            let text = |f| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            json!({"id": text(raw.id), "title": text(raw.title), "score": score})
        })
        .collect();
    Json(json!({"total": total, "hits": hits}))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = args
        .next()
        .unwrap_or_else(|| "data/reuters21578.ndjson.gz".into());
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:7600".into());

    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(tantivy::schema::IndexRecordOption::WithFreqsAndPositions),
    );
    let id = b.add_text_field("id", STRING | STORED);
    let title = b.add_text_field("title", text.clone() | STORED);
    let body = b.add_text_field("body", text);
    let index = Index::create_in_ram(b.build());
    let mut writer = index.writer(200_000_000).expect("writer");

    let file = std::fs::File::open(&corpus).unwrap_or_else(|e| panic!("{corpus}: {e}"));
    let input: Box<dyn Read> = if corpus.ends_with(".gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let started = std::time::Instant::now();
    let mut n = 0u64;
    for line in BufReader::new(input).lines() {
        let line = line.expect("read");
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        // The summary is searched with the body, as newsindex searches both.
        let text = format!("{}\n{}", s("summary"), s("body"));
        writer
            .add_document(doc!(id => s("id"), title => s("title"), body => text))
            .expect("add");
        n += 1;
    }
    writer.commit().expect("commit");
    let reader = index.reader().expect("reader");
    eprintln!(
        "raw tantivy: {n} articles from {corpus} in {:.1} s, {} segments",
        started.elapsed().as_secs_f64(),
        reader.searcher().segment_readers().len()
    );
    let mut parser = QueryParser::for_index(&index, vec![title, body]);
    parser.set_conjunction_by_default();
    let raw = Arc::new(Raw {
        reader,
        parser,
        id,
        title,
    });
    let app = Router::new().route("/search", get(search)).with_state(raw);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&listen).await.expect("bind");
            eprintln!("raw tantivy: serving on http://{listen}/search?q=...");
            axum::serve(listener, app).await.expect("serve");
        });
}
