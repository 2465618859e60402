//! Latency of the per-page-view paths, no HTTP: related articles of an indexed article
//! (`query::related::related_to_id`) and as-you-type suggestions (`Suggester::suggest`).
//!
//! The index is built once from the corpus (`NEWSINDEX_BENCH_CORPUS`, default Reuters) with the
//! `BulkIndexer`. Related is measured over a fixed rotation of 50 articles (every k-th id), so a
//! single easy article cannot flatter the figure; suggest over typical prefixes, with and
//! without a typo. `suggest_languages`: the same index with the Universal Dependencies
//! sentences of seven languages added as articles (`data/ud/`, four sentences an article,
//! their language given), so that the dictionary and the title words are mixed; prefixes in
//! each language, with p50 and p99 over 2,000 calls each printed beside criterion's figures.

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use newsindex::config::Config;
use newsindex::index::NewsIndex;
use newsindex::query::related::{related_to_id, Languages, RelatedConfig};
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
    for (name, languages) in [
        ("related_to_id_limit_10", Languages::Same),
        // A pass over every article's vector besides.
        ("related_to_id_limit_10_languages_any", Languages::Any),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % ids.len();
                let none = Filters::default();
                related_to_id(&index, &cfg, &ids[i], &none, 10, languages).expect("related")
            })
        });
    }
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

    add_ud_articles(&index);
    let mut group = c.benchmark_group("suggest_languages");
    group.sample_size(50);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for (name, q) in [
        ("zh", "外交"),
        ("ja", "東京"),
        ("ko", "서울"),
        ("ru", "прези"),
        ("de", "Bundes"),
        ("fr", "gouver"),
        ("vi", "hà n"),
        ("en", "oil pri"),
    ] {
        let mut times: Vec<f64> = (0..2_000)
            .map(|_| {
                let started = std::time::Instant::now();
                suggester.suggest(&index, q, 8, None).expect("suggest");
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        eprintln!(
            "suggest_languages/{name} `{q}`: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            times[times.len() / 2],
            times[times.len() * 99 / 100],
            times[times.len() - 1]
        );
        group.bench_function(name, |b| {
            b.iter(|| suggester.suggest(&index, q, 8, None).expect("suggest"))
        });
    }
    group.finish();
}

/// Adds the UD sentences of seven languages, four to an article, with their language.
fn add_ud_articles(index: &NewsIndex) {
    let mut ops = Vec::new();
    for (code, file) in [
        ("de", "de_gsd-ud-dev.conllu.gz"),
        ("fr", "fr_gsd-ud-dev.conllu.gz"),
        ("ru", "ru_gsd-ud-dev.conllu.gz"),
        ("zh", "zh_gsdsimp-ud-dev.conllu.gz"),
        ("ja", "ja_gsd-ud-dev.conllu.gz"),
        ("ko", "ko_gsd-ud-dev.conllu.gz"),
        ("vi", "vi_vtb-ud-dev.conllu.gz"),
    ] {
        let sentences = common::ud_sentences(file);
        for (i, chunk) in sentences.chunks(4).enumerate() {
            let json = serde_json::json!({
                "id": format!("ud-{code}-{i}"), "title": chunk[0], "body": chunk[1..].join("\n"),
                "language": code, "entities": []
            });
            let article = newsindex::article::parse_article_json(json.to_string().as_bytes())
                .and_then(|a| a.into_article(|_, _, _| Vec::new()))
                .expect("a UD article");
            ops.push(index.upsert_op(&article).expect("op"));
        }
    }
    index.writer().apply_blocking(ops, true).expect("commit");
}

criterion_group!(benches, bench);
criterion_main!(benches);
