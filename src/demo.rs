//! The demo corpus: Reuters-21578 (20,841 newswire articles of 1987, see `data/README.md` for
//! provenance and terms), embedded in the binary and loaded when a server starts on an empty
//! index, so a first run has real news to search.

use std::io::BufReader;

use tracing::info;

use crate::article::Article;
use crate::index::NewsIndex;
use crate::ingest;

const CORPUS: &[u8] = include_bytes!("../data/reuters21578.ndjson.gz");
const CHUNK: usize = 2_000;

/// Loads the corpus through the writer and commits once; returns the articles stored.
/// Blocking: call it off the async runtime.
pub fn load_demo(index: &NewsIndex) -> crate::Result<u64> {
    load_chunks(
        "",
        |article| index.upsert_op(&article),
        |ops, durable| {
            let n = ops.len() as u64;
            index.writer().apply_blocking(ops, durable)?;
            Ok(n)
        },
    )
}

/// Loads the corpus into an OpenSearch index with `_bulk` requests, made visible at the end;
/// returns the articles stored. Blocking.
pub fn load_demo_opensearch(backend: &crate::opensearch::OpenSearchBackend) -> crate::Result<u64> {
    use crate::backend::{Backend, Write};
    load_chunks(
        " into OpenSearch",
        |article| backend.prepare(Write::Upsert(Box::new(article))),
        |writes, durable| {
            let n = writes.len() as u64;
            let applied = backend.apply_blocking(writes, durable)?;
            Ok(n - applied.failed.len() as u64)
        },
    )
}

/// Streams the corpus: each article `prepare`d, handed to `send` `CHUNK` at a time (not
/// durable), the rest in a last durable call; returns what `send` says it stored.
fn load_chunks<P>(
    engine: &str,
    mut prepare: impl FnMut(Article) -> crate::Result<P>,
    mut send: impl FnMut(Vec<P>, bool) -> crate::Result<u64>,
) -> crate::Result<u64> {
    info!(
        "index is empty: loading the demo corpus (Reuters-21578, 20,841 articles of 1987){engine}"
    );
    let started = std::time::Instant::now();
    let reader = BufReader::new(flate2::read::GzDecoder::new(CORPUS));
    let mut pending = Vec::with_capacity(CHUNK);
    let mut stored = 0u64;
    let mut failure: Option<crate::Error> = None;
    ingest::read_stream(reader, &mut |item| {
        if failure.is_some() {
            return;
        }
        let Ok(article) = item else { return };
        match prepare(article) {
            Ok(p) => pending.push(p),
            Err(e) => failure = Some(e),
        }
        if pending.len() >= CHUNK {
            match send(std::mem::take(&mut pending), false) {
                Ok(n) => stored += n,
                Err(e) => failure = Some(e),
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    stored += send(pending, true)?;
    info!(
        articles = stored,
        took_s = started.elapsed().as_secs_f64(),
        "demo corpus loaded"
    );
    Ok(stored)
}
