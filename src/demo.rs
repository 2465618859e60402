//! The demo corpus: Reuters-21578 (20,841 newswire articles of 1987, see `data/README.md` for
//! provenance and terms), embedded in the binary and loaded when a server starts on an empty
//! index, so a first run has real news to search.

use std::io::BufReader;

use tracing::info;

use crate::index::NewsIndex;
use crate::ingest;

const CORPUS: &[u8] = include_bytes!("../data/reuters21578.ndjson.gz");
const CHUNK: usize = 2_000;

/// Loads the corpus through the writer and commits once; returns the articles stored.
/// Blocking: call it off the async runtime.
pub fn load_demo(index: &NewsIndex) -> crate::Result<u64> {
    info!("index is empty: loading the demo corpus (Reuters-21578, 20,841 articles of 1987)");
    let started = std::time::Instant::now();
    let reader = BufReader::new(flate2::read::GzDecoder::new(CORPUS));
    let mut ops = Vec::with_capacity(CHUNK);
    let mut stored = 0u64;
    let mut failure: Option<crate::Error> = None;
    ingest::read_stream(reader, &mut |item| {
        if failure.is_some() {
            return;
        }
        let Ok(article) = item else { return };
        match index.upsert_op(&article) {
            Ok(op) => ops.push(op),
            Err(e) => failure = Some(e),
        }
        if ops.len() >= CHUNK {
            stored += ops.len() as u64;
            if let Err(e) = index
                .writer()
                .apply_blocking(std::mem::take(&mut ops), false)
            {
                failure = Some(e);
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    stored += ops.len() as u64;
    index.writer().apply_blocking(ops, true)?;
    info!(
        articles = stored,
        took_s = started.elapsed().as_secs_f64(),
        "demo corpus loaded"
    );
    Ok(stored)
}

/// Loads the corpus into an OpenSearch index with `_bulk` requests, made visible at the end;
/// returns the articles stored. Blocking.
pub fn load_demo_opensearch(backend: &crate::opensearch::OpenSearchBackend) -> crate::Result<u64> {
    use crate::backend::{Backend, Write};
    info!("index is empty: loading the demo corpus (Reuters-21578, 20,841 articles of 1987) into OpenSearch");
    let started = std::time::Instant::now();
    let reader = BufReader::new(flate2::read::GzDecoder::new(CORPUS));
    let mut writes = Vec::with_capacity(CHUNK);
    let mut stored = 0u64;
    let mut failure: Option<crate::Error> = None;
    let send = |writes: Vec<_>, durable: bool| -> crate::Result<u64> {
        let n = writes.len() as u64;
        let applied = backend.apply_blocking(writes, durable)?;
        Ok(n - applied.failed.len() as u64)
    };
    ingest::read_stream(reader, &mut |item| {
        if failure.is_some() {
            return;
        }
        let Ok(article) = item else { return };
        match backend.prepare(Write::Upsert(Box::new(article))) {
            Ok(w) => writes.push(w),
            Err(e) => failure = Some(e),
        }
        if writes.len() >= CHUNK {
            match send(std::mem::take(&mut writes), false) {
                Ok(n) => stored += n,
                Err(e) => failure = Some(e),
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    stored += send(writes, true)?;
    info!(
        articles = stored,
        took_s = started.elapsed().as_secs_f64(),
        "demo corpus loaded"
    );
    Ok(stored)
}
