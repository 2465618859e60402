//! Ingest throughput (articles/s), parse and validation included.
//!
//! - `ingest/bulk_indexer`: the offline path (`newsindex ingest --index`): `ingest::read_stream`
//!   over the NDJSON bytes into a [`BulkIndexer`] on a fresh TempDir, `finish()` (one commit and
//!   the wait for merges) included.
//! - `ingest/server_writer`: the server's path: [`NewsIndex::open`] on a fresh TempDir with the
//!   default `WriterConfig`, articles parsed and turned into ops, staged with
//!   `writer().apply_blocking(chunk, false)` in chunks of 200 (like `POST /articles`), then one
//!   durable commit (`apply_blocking(vec![], true)`). Timed up to the durable acknowledgement;
//!   the writer's shutdown (merges) is not timed, as a client never waits for it.
//!
//! - `ingest_languages/{english,chinese,japanese}`: the offline path over 3,000 articles of the
//!   same sizes in bytes: the first 3,000 Reuters articles with a body, and as many Chinese and
//!   Japanese articles, each filled with Universal Dependencies sentences (`data/ud/`) up to
//!   its English twin's length; no language given, so detection is included. The issue on
//!   languages asks CJK ingest for at least half of English's articles per second.
//!
//! The corpus (`NEWSINDEX_BENCH_CORPUS`, default the Reuters corpus) is read and decompressed
//! before measuring.

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use newsindex::config::Config;
use newsindex::index::NewsIndex;
use newsindex::ingest;

/// Ops staged per `apply_blocking` call, as `POST /articles` does.
const CHUNK: usize = 200;

fn bench_ingest(c: &mut Criterion) {
    let (bytes, lines) = common::corpus_bytes();
    eprintln!(
        "corpus: {} ({lines} articles, {:.1} MB of NDJSON)",
        common::corpus_path().display(),
        bytes.len() as f64 / 1e6
    );
    let writer_config = Config::default().writer;

    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(lines));

    group.bench_function("bulk_indexer", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tempdir");
                let started = Instant::now();
                let (added, _failed) = common::bulk_load(dir.path(), &bytes);
                total += started.elapsed();
                assert!(added > 0);
            }
            total
        })
    });

    group.bench_function("server_writer", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tempdir");
                let index = NewsIndex::open(dir.path(), &writer_config).expect("open index");
                let started = Instant::now();
                let mut ops = Vec::with_capacity(CHUNK);
                let mut failure = None;
                ingest::read_stream(&bytes[..], &mut |item| {
                    if let Ok(article) = item {
                        ops.push(index.upsert_op(&article).expect("document"));
                    }
                    if ops.len() >= CHUNK {
                        let chunk = std::mem::replace(&mut ops, Vec::with_capacity(CHUNK));
                        if let Err(e) = index.writer().apply_blocking(chunk, false) {
                            failure.get_or_insert(e);
                        }
                    }
                })
                .expect("read corpus");
                if let Some(e) = failure {
                    panic!("staging failed: {e}");
                }
                index
                    .writer()
                    .apply_blocking(ops, true)
                    .expect("durable commit");
                total += started.elapsed();
                assert_eq!(index.num_articles(), count_ids(&bytes));
                index.shutdown_blocking().expect("shutdown");
            }
            total
        })
    });
    group.finish();
}

/// Distinct valid articles expected after ingest; the Reuters ids are unique, so this is the
/// number of valid lines (computed once per call, outside the timed section).
fn count_ids(bytes: &[u8]) -> u64 {
    use std::sync::OnceLock;
    static N: OnceLock<u64> = OnceLock::new();
    *N.get_or_init(|| {
        let mut ids = std::collections::HashSet::new();
        ingest::read_stream(bytes, &mut |item| {
            if let Ok(a) = item {
                ids.insert(a.id);
            }
        })
        .expect("read corpus");
        ids.len() as u64
    })
}

/// NDJSON of articles with the byte sizes of `sizes`, their text from `sentences` in turn.
fn filled(sizes: &[(usize, usize)], sentences: &[String], prefix: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut next = sentences.iter().cycle();
    let mut fill = |len: usize| {
        let mut text = String::new();
        while text.len() < len {
            text.push_str(next.next().expect("sentences"));
        }
        text
    };
    for (i, &(title, body)) in sizes.iter().enumerate() {
        let line = serde_json::json!({"id": format!("{prefix}-{i}"), "title": fill(title), "body": fill(body)});
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

fn bench_languages(c: &mut Criterion) {
    const ARTICLES: usize = 3_000;
    let mut english = Vec::new();
    let mut sizes = Vec::new();
    ingest::read_stream(
        &common::open_corpus_bytes(&common::reuters_path())[..],
        &mut |item| {
            if let Ok(a) = item {
                if sizes.len() < ARTICLES && a.body.is_some() {
                    let body = a.body.clone().unwrap_or_default();
                    sizes.push((a.title.len(), body.len()));
                    let line = serde_json::json!({"id": a.id, "title": a.title, "body": body});
                    english.extend_from_slice(line.to_string().as_bytes());
                    english.push(b'\n');
                }
            }
        },
    )
    .expect("read Reuters");
    let chinese = filled(
        &sizes,
        &common::ud_sentences("zh_gsdsimp-ud-dev.conllu.gz"),
        "zh",
    );
    let japanese = filled(
        &sizes,
        &common::ud_sentences("ja_gsd-ud-dev.conllu.gz"),
        "ja",
    );
    let mut group = c.benchmark_group("ingest_languages");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(sizes.len() as u64));
    for (name, bytes) in [
        ("english", &english),
        ("chinese", &chinese),
        ("japanese", &japanese),
    ] {
        eprintln!(
            "{name}: {} articles, {:.1} MB",
            sizes.len(),
            bytes.len() as f64 / 1e6
        );
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let dir = tempfile::tempdir().expect("tempdir");
                    let started = Instant::now();
                    let (added, _) = common::bulk_load(dir.path(), bytes);
                    total += started.elapsed();
                    assert_eq!(added, sizes.len() as u64);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_ingest, bench_languages);
criterion_main!(benches);
