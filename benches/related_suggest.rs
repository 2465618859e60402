//! Latency of the per-page-view paths, no HTTP: related articles of an indexed article
//! (`query::related::related_to_id`) and as-you-type suggestions (`Suggester::suggest`).
//!
//! The index is built once from the corpus (`NEWSINDEX_BENCH_CORPUS`, default Reuters) with the
//! `BulkIndexer`. Related is measured over a fixed rotation of 50 articles (every k-th id), so a
//! single easy article cannot flatter the figure; suggest over typical prefixes, with and
//! without a typo.

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use newsindex::config::Config;
use newsindex::index::NewsIndex;
use newsindex::query::related::{related_to_id, RelatedConfig};
use newsindex::query::suggest::Suggester;
use newsindex::query::{run_search, Filters, SearchRequest};

fn bench(c: &mut Criterion) {
    let (bytes, _) = common::corpus_bytes();
    let dir = tempfile::tempdir().expect("tempdir");
    common::bulk_load(dir.path(), &bytes);
    drop(bytes);
    let config = Config::default();
    let index = NewsIndex::open(dir.path(), &config.writer).expect("open index");

    // 50 ids spread over the index, found through the engine itself.
    let all = SearchRequest {
        limit: 100,
        ..SearchRequest::default()
    };
    let ids: Vec<String> = (0..50)
        .filter_map(|i| {
            let req = SearchRequest {
                offset: i * 97 % 9_000,
                limit: 1,
                ..all.clone()
            };
            run_search(&index, &config.search, &req)
                .ok()?
                .hits
                .pop()
                .map(|h| h.id)
        })
        .collect();
    assert!(!ids.is_empty(), "no articles to relate");

    let mut group = c.benchmark_group("related");
    group.sample_size(30);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(4));
    let cfg = RelatedConfig::default();
    let mut i = 0;
    group.bench_function("related_to_id_limit_10", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            related_to_id(&index, &cfg, &ids[i], &Filters::default(), 10).expect("related")
        })
    });
    group.finish();

    let suggester = Suggester::new();
    let mut group = c.benchmark_group("suggest");
    group.sample_size(50);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    for (name, q) in [
        ("one_letter", "w"),
        ("prefix", "volc"),
        ("two_words", "oil pri"),
        ("typo", "treasry"),
        ("typo_prefix", "goverment bud"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| suggester.suggest(&index, q, 8, None).expect("suggest"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
