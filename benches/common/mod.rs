//! Helpers shared by the benchmarks: where the corpus is, reading it, building an index.
//!
//! Environment:
//! - `NEWSINDEX_BENCH_CORPUS`: NDJSON corpus (optionally `.gz`); default
//!   `data/reuters21578.ndjson.gz` of this repository.
//! - `NEWSINDEX_BENCH_MAX_ARTICLES`: use at most this many lines of the corpus (default: all).

#![allow(dead_code)] // each bench uses a different subset

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use newsindex::index::BulkIndexer;
use newsindex::ingest;

/// The corpus file: `NEWSINDEX_BENCH_CORPUS`, else the bundled Reuters corpus.
pub fn corpus_path() -> PathBuf {
    match std::env::var_os("NEWSINDEX_BENCH_CORPUS") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("data/reuters21578.ndjson.gz"),
    }
}

/// The bundled Reuters corpus, whatever `NEWSINDEX_BENCH_CORPUS` says.
pub fn reuters_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/reuters21578.ndjson.gz")
}

/// A whole corpus file's bytes, decompressed.
pub fn open_corpus_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    open_corpus(path)
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("cannot read corpus `{}`: {e}", path.display()));
    bytes
}

/// `NEWSINDEX_BENCH_MAX_ARTICLES`, if set.
pub fn max_articles() -> Option<usize> {
    std::env::var("NEWSINDEX_BENCH_MAX_ARTICLES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
}

/// A buffered reader over the corpus, gunzipped when the name ends in `.gz`.
pub fn open_corpus(path: &Path) -> Box<dyn BufRead + Send> {
    let file = std::fs::File::open(path)
        .unwrap_or_else(|e| panic!("cannot open corpus `{}`: {e}", path.display()));
    let reader: Box<dyn Read + Send> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    Box::new(BufReader::with_capacity(1 << 20, reader))
}

/// The corpus as NDJSON bytes in memory (decompressed), cut at `NEWSINDEX_BENCH_MAX_ARTICLES`
/// non-blank lines, and the number of non-blank lines.
pub fn corpus_bytes() -> (Vec<u8>, u64) {
    let mut bytes = Vec::new();
    let mut lines = 0u64;
    for_each_line(|_, line| {
        bytes.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        lines += 1;
    });
    assert!(
        lines > 0,
        "the corpus `{}` has no articles",
        corpus_path().display()
    );
    (bytes, lines)
}

/// Loads NDJSON bytes into `dir` with [`BulkIndexer`] (2 threads, 512 MB like the CLI's default
/// on this machine); returns (articles indexed, items that failed validation).
pub fn bulk_load(dir: &Path, ndjson: &[u8]) -> (u64, u64) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut bulk = BulkIndexer::open(dir, threads, 512).expect("open bulk indexer");
    let mut failed = 0u64;
    let mut error = None;
    ingest::read_stream(ndjson, &mut |item| match item {
        Ok(article) => {
            if let Err(e) = bulk.add(&article) {
                error.get_or_insert(e);
            }
        }
        Err(_) => failed += 1,
    })
    .expect("read corpus");
    if let Some(e) = error {
        panic!("indexing failed: {e}");
    }
    (bulk.finish().expect("commit"), failed)
}

/// Calls `each` with every non-blank line of the corpus file (streamed, bounded memory) and its
/// 1-based line number, up to `NEWSINDEX_BENCH_MAX_ARTICLES` lines.
pub fn for_each_line(mut each: impl FnMut(usize, &[u8])) {
    let path = corpus_path();
    let max = max_articles().unwrap_or(usize::MAX);
    let mut reader = open_corpus(&path);
    let mut line = Vec::new();
    let (mut n, mut taken) = (0usize, 0usize);
    while taken < max {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()));
        if read == 0 {
            break;
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        taken += 1;
        each(n, &line);
    }
}

/// Bulk-loads the corpus file into `dir`, streaming it (bounded memory, for 1M-article corpora);
/// returns (articles indexed, items that failed validation, time taken).
pub fn bulk_load_file(dir: &Path) -> (u64, u64, Duration) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let mut bulk = BulkIndexer::open(dir, threads, 512).expect("open bulk indexer");
    let mut failed = 0u64;
    let mut error = None;
    for_each_line(|n, line| match ingest::parse_item(n, line) {
        Ok(article) => {
            if let Err(e) = bulk.add(&article) {
                error.get_or_insert(e);
            }
        }
        Err(_) => failed += 1,
    });
    if let Some(e) = error {
        panic!("indexing failed: {e}");
    }
    let added = bulk.finish().expect("commit");
    (added, failed, started.elapsed())
}

/// The date range used by the "facets + date range" scenarios: the middle third of the span
/// between the oldest and newest article, as `YYYY-MM-DD` strings.
pub fn middle_third(oldest: &str, newest: &str) -> (String, String) {
    use chrono::{DateTime, Utc};
    let parse = |s: &str| s.parse::<DateTime<Utc>>().ok();
    match (parse(oldest), parse(newest)) {
        (Some(a), Some(b)) if b > a => {
            let third = (b - a) / 3;
            (
                (a + third).format("%Y-%m-%d").to_string(),
                (b - third).format("%Y-%m-%d").to_string(),
            )
        }
        _ => ("1900-01-01".into(), "2100-12-31".into()),
    }
}

/// The search scenarios shared by the `search` and `load` benches: (name, query-string pairs).
/// `from`/`to` bound the date range (see [`middle_third`]). The words match the Reuters corpus
/// and the synthetic corpora made from it.
pub fn search_scenarios(from: &str, to: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let s = |v: &str| v.to_string();
    let facets = "tags,authors,entities.place";
    vec![
        ("one_word", vec![("q", s("oil"))]),
        ("two_words", vec![("q", s("oil prices"))]),
        ("phrase", vec![("q", s("\"interest rates\""))]),
        (
            "words_3facets_dates",
            vec![
                ("q", s("oil prices")),
                ("facets", s(facets)),
                ("from", s(from)),
                ("to", s(to)),
            ],
        ),
        (
            "words_3facets_dates_tag",
            vec![
                ("q", s("oil prices")),
                ("tag", s("crude")),
                ("facets", s(facets)),
                ("from", s(from)),
                ("to", s(to)),
            ],
        ),
        ("browse_3facets", vec![("q", s("")), ("facets", s(facets))]),
        ("sort_newest", vec![("q", s("oil")), ("sort", s("newest"))]),
        (
            "highlight",
            vec![("q", s("oil prices")), ("highlight", s("true"))],
        ),
        // A transposition in a long word: the typo tolerance path (fuzzy words, two tiers).
        ("typo", vec![("q", s("oil prcies"))]),
    ]
}

/// Peak and current resident memory of this process (`VmHWM`, `VmRSS`), in MiB.
pub fn rss_mib() -> (f64, f64) {
    let mib = |kb: Option<u64>| kb.map_or(f64::NAN, |kb| kb as f64 / 1024.0);
    match newsindex::http::metrics::memory_kib(&["VmHWM", "VmRSS"])[..] {
        [hwm, rss] => (mib(hwm), mib(rss)),
        _ => (f64::NAN, f64::NAN),
    }
}

/// Sentences of a Universal Dependencies file (its `# text = ` lines).
pub fn ud_sentences(file: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/ud")
        .join(file);
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&path).expect("a UD file in data/ud"),
    ));
    reader
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.strip_prefix("# text = ").map(str::to_string))
        .collect()
}
