//! Search latency of `query::run_search` (no HTTP), one request at a time.
//!
//! The index is built once from the corpus (`NEWSINDEX_BENCH_CORPUS`, default the Reuters
//! corpus) with the [`BulkIndexer`] in a TempDir and opened with [`NewsIndex::open`]. Every
//! request goes through `SearchParams::from_pairs(..).into_request(&limits)`, the validation the
//! HTTP handlers use, once before measuring (the validation itself is not timed).

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use newsindex::config::Config;
use newsindex::index::NewsIndex;
use newsindex::query::{run_search, SearchParams, SearchRequest};

fn request(pairs: &[(&str, &str)], config: &Config) -> SearchRequest {
    let owned = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    SearchParams::from_pairs(owned)
        .and_then(|p| p.into_request(&config.limits))
        .unwrap_or_else(|e| panic!("invalid bench request {pairs:?}: {e}"))
}

fn bench_search(c: &mut Criterion) {
    let (bytes, lines) = common::corpus_bytes();
    let dir = tempfile::tempdir().expect("tempdir");
    let started = std::time::Instant::now();
    let (added, failed) = common::bulk_load(dir.path(), &bytes);
    drop(bytes);
    eprintln!(
        "corpus: {} ({lines} lines): indexed {added}, {failed} failed, in {:.1} s",
        common::corpus_path().display(),
        started.elapsed().as_secs_f64()
    );
    let config = Config::default();
    let index = NewsIndex::open(dir.path(), &config.writer).expect("open index");

    // The date range: the middle third of the corpus' time span.
    let edge = |sort: &str| {
        let req = request(&[("q", ""), ("sort", sort), ("limit", "1")], &config);
        let resp = run_search(&index, &config.search, &req).expect("search");
        resp.hits
            .first()
            .and_then(|h| h.published_at.clone())
            .unwrap_or_default()
    };
    let (from, to) = common::middle_third(&edge("oldest"), &edge("newest"));

    let mut group = c.benchmark_group("search");
    group.sample_size(30);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    // The shared scenarios, plus two that split "words + 3 facets + dates" into its parts.
    let mut scenarios = common::search_scenarios(&from, &to);
    let facets = "tags,authors,entities.place".to_string();
    let words = "oil prices".to_string();
    scenarios.push((
        "words_dates",
        vec![
            ("q", words.clone()),
            ("from", from.clone()),
            ("to", to.clone()),
        ],
    ));
    scenarios.push((
        "words_3facets",
        vec![("q", words), ("facets", facets.clone())],
    ));
    // Browsing by one facet's value: that facet's disjunctive counts are the whole index's.
    scenarios.push((
        "browse_tag_3facets",
        vec![
            ("q", String::new()),
            ("tag", "crude".to_string()),
            ("facets", facets),
        ],
    ));
    // Search by meaning (issue #19): words that match a few articles (the vectors nearest
    // the query's, pulled towards them), and words that match none.
    for (name, q) in [
        ("semantic_few_matches", "cocoa harvest drought"),
        ("semantic_no_match", "chocolate shortage"),
    ] {
        scenarios.push((
            name,
            vec![("q", q.to_string()), ("semantic", "true".to_string())],
        ));
    }
    for (name, pairs) in scenarios {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = request(&pairs, &config);
        let resp = run_search(&index, &config.search, &req).expect("search");
        eprintln!(
            "{name}: {pairs:?} -> total {}, {} hits, {} facets",
            resp.total,
            resp.hits.len(),
            resp.facets.len()
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                run_search(&index, &config.search, std::hint::black_box(&req)).expect("search")
            })
        });
    }
    group.finish();
    bench_hits(c, &index);
    bench_nearest(c, &index);
    index.shutdown_blocking().expect("shutdown");
}

/// What showing a page of 10 hits costs once the search has found them (issue #20, item 4):
/// reading the stored documents (a docstore block decompressed for each), parsing the stored
/// article (whole, or its head without the body from the hit store, as a page of hits does),
/// and the hit as JSON. The 10 documents are spread over the index (every `num_docs / 10`th),
/// so that each is in a block of its own, as a page of hits usually is.
fn bench_hits(c: &mut Criterion, index: &NewsIndex) {
    use newsindex::index::document::{article_at, head_from_document};
    use newsindex::query::Hit;
    use tantivy::{DocAddress, TantivyDocument};
    let searcher = index.searcher();
    let fields = index.fields();
    let mut all = Vec::new();
    for (ord, reader) in (0u32..).zip(searcher.segment_readers()) {
        all.extend((0..reader.max_doc()).map(|d| DocAddress::new(ord, d)));
    }
    let page: Vec<DocAddress> = all
        .iter()
        .step_by((all.len() / 10).max(1))
        .take(10)
        .copied()
        .collect();
    // Pages that move through the index, so that the docstore's cache of 100 decompressed
    // blocks rarely holds what a page needs (a site's searches rarely repeat one page).
    let mut turn = 0usize;
    let mut moving = move || -> Vec<DocAddress> {
        turn += 1;
        (0..10)
            .map(|k| all[(turn * 7_919 + k * all.len() / 10) % all.len()])
            .collect()
    };
    let mut group = c.benchmark_group("hits");
    group.sample_size(30);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("read_10", |b| {
        b.iter(|| {
            for &addr in &page {
                let doc: TantivyDocument = searcher.doc(addr).expect("doc");
                std::hint::black_box(doc);
            }
        })
    });
    group.bench_function("read_parse_10", |b| {
        b.iter(|| {
            for &addr in &page {
                std::hint::black_box(article_at(&searcher, addr, fields).expect("article"));
            }
        })
    });
    group.bench_function("read_head_10", |b| {
        b.iter(|| {
            for &addr in &page {
                std::hint::black_box(head_from_document(&searcher, addr, fields).expect("head"));
            }
        })
    });
    group.bench_function("read_head_10_uncached", |b| {
        b.iter(|| {
            for addr in moving() {
                std::hint::black_box(head_from_document(&searcher, addr, fields).expect("head"));
            }
        })
    });
    group.bench_function("read_10_uncached", |b| {
        b.iter(|| {
            for addr in moving() {
                let doc: TantivyDocument = searcher.doc(addr).expect("doc");
                std::hint::black_box(doc);
            }
        })
    });
    group.bench_function("read_parse_json_10", |b| {
        b.iter(|| {
            let hits: Vec<Hit> = page
                .iter()
                .map(|&addr| {
                    Hit::from_article(
                        article_at(&searcher, addr, fields).expect("article"),
                        Some(1.0),
                    )
                })
                .collect();
            std::hint::black_box(serde_json::to_vec(&hits).expect("json"))
        })
    });
    group.bench_function("read_head_json_10", |b| {
        b.iter(|| {
            let hits: Vec<Hit> = page
                .iter()
                .map(|&addr| {
                    let head = head_from_document(&searcher, addr, fields).expect("head");
                    Hit::from_article(head, Some(1.0))
                })
                .collect();
            std::hint::black_box(serde_json::to_vec(&hits).expect("json"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_search);
criterion_main!(benches);

/// The vectors nearest a query's over the whole index (what a search by meaning and related
/// articles with `languages=any` look for): the exact pass over every vector, and the cells
/// nearest the query probed as the server's plan does at scale (`COMPARED_SHARE` of the
/// articles; the server itself compares every one of an index this small).
fn bench_nearest(c: &mut Criterion, index: &NewsIndex) {
    use newsindex::query::vectors::{nearest_by, NearestPlan, COMPARED_SHARE, MIN_CELLS};
    let searcher = index.searcher();
    let source =
        newsindex::embed::text_vector("cocoa harvest drought in Bahia", "en").expect("vector");
    let mut group = c.benchmark_group("vectors");
    group.bench_function("nearest_50_exact", |b| {
        b.iter(|| nearest_by(&searcher, None, &source, 50, |_, _| NearestPlan::Exact).unwrap())
    });
    group.bench_function("nearest_50_cells", |b| {
        b.iter(|| {
            nearest_by(&searcher, None, &source, 50, |scope, order| {
                NearestPlan::Cells {
                    order: order.to_vec(),
                    min_cells: MIN_CELLS,
                    enough: (scope.candidates as f64 * COMPARED_SHARE) as u64,
                }
            })
            .unwrap()
        })
    });
    group.finish();
}
