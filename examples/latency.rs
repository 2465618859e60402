//! In-process latency of one search or of related articles on an existing index (no HTTP),
//! for profiling a single path on a large index, e.g. under `perf record`.
//!
//! ```sh
//! cargo run --release --example latency -- /tmp/idx1m related 3
//! cargo run --release --example latency -- /tmp/idx1m 'q=oil prices&facets=tags,authors' 5
//! ```
//!
//! `related-any` asks for related articles with `languages=any` (the nearest vectors within 30
//! days of the source join the candidates).
//!
//! Related articles are asked for 100 articles spread over the segments, `ROUNDS` times each;
//! a search is run 100 × `ROUNDS` times. Prints p50/p90/p99/max in milliseconds, and with
//! `SLOW_MS=N` every request slower than N ms (with the source id for related); `IDS=a,b`
//! related articles of these sources instead; `OVERFETCH=N` ranks N candidates, `CANDIDATE_TERMS=N` picks them by N terms, `NO_MEANING=1` leaves the vectors out; `MAX_POSTINGS=N` and `KEYWORD_POSTINGS=N` try
//! other `related.candidate_max_postings` and `related.keyword_max_postings` budgets.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use newsindex::config::Config;
use newsindex::index::{document, NewsIndex};
use newsindex::query::related::{related_to_id, Languages, RelatedConfig};
use newsindex::query::{run_search, Filters, SearchParams};
use tantivy::DocAddress;

/// The number in the environment variable `name`; `None` when it is unset or not a number.
fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(what)) = (args.next(), args.next()) else {
        bail!("usage: latency INDEX_DIR (related | related-any | QUERY_STRING) [ROUNDS]");
    };
    let rounds: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let slow_ms: Option<f64> = env_number("SLOW_MS");
    let index = NewsIndex::open_read_only(Path::new(&dir)).context("open the index")?;
    let config = Config::default();
    let searcher = index.searcher();
    let segments = searcher.segment_readers().len() as u32;
    if segments == 0 {
        bail!("the index in {dir} is empty");
    }
    // 100 articles spread over the segments, read straight from the store.
    let ids = (0..100u32)
        .map(|i| {
            let seg = i % segments;
            let max = searcher.segment_reader(seg).max_doc().max(1);
            let at = DocAddress::new(seg, (i * 7919) % max);
            Ok(document::article_at(&searcher, at, index.fields())?.id)
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    // `IDS=a,b` looks into the sources a run showed slow.
    let ids = match std::env::var("IDS") {
        Ok(list) => list.split(',').map(str::to_string).collect(),
        Err(_) => ids,
    };
    let languages = if what == "related-any" {
        Languages::Any
    } else {
        Languages::Same
    };
    // Decoded as the server decodes a query string.
    let request = (!what.starts_with("related"))
        .then(|| -> anyhow::Result<_> {
            let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(&what)?;
            Ok(SearchParams::from_pairs(pairs)?.into_request(&config.limits)?)
        })
        .transpose()?;
    let mut related = RelatedConfig::default();
    if let Some(n) = env_number("MAX_POSTINGS") {
        related.candidate_max_postings = n;
    }
    if let Some(n) = env_number("KEYWORD_POSTINGS") {
        related.keyword_max_postings = n;
    }
    if let Some(n) = env_number("OVERFETCH") {
        related.overfetch = n;
    }
    if let Some(n) = env_number("CANDIDATE_TERMS") {
        related.candidate_terms = n;
    }
    if std::env::var("NO_MEANING").is_ok() {
        related.similarity_weight = 0.0;
        related.consensus_weight = 0.0;
    }
    let mut latencies = Vec::new();
    for _ in 0..rounds {
        for id in &ids {
            let started = Instant::now();
            match &request {
                Some(req) => drop(run_search(&index, &config.search, req)?),
                None => drop(related_to_id(
                    &index,
                    &related,
                    id,
                    &Filters::default(),
                    10,
                    languages,
                )?),
            }
            let ms = started.elapsed().as_secs_f64() * 1e3;
            if slow_ms.is_some_and(|s| ms > s) {
                eprintln!(
                    "slow: {ms:.1} ms{}",
                    if request.is_none() {
                        format!(" ({id})")
                    } else {
                        String::new()
                    }
                );
            }
            latencies.push(ms);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "{what}: {} requests on {} articles, p50 {:.2} ms, p90 {:.2}, p99 {:.2}, max {:.2}",
        latencies.len(),
        index.num_articles(),
        p(0.5),
        p(0.9),
        p(0.99),
        p(1.0)
    );
    Ok(())
}
