//! Articles per second of `embed::Embedder::embed` (the shipped static model, one thread) on
//! the corpus' articles, each embedded from `embed::article_input(title, "", body, entity
//! names)`: the first sentences of the body, as related articles would use it.
//!
//! The inputs are built before measuring (`embed/article_input` measures that step alone).
//! The corpus is `NEWSINDEX_BENCH_CORPUS` (default Reuters-21578), the first
//! `NEWSINDEX_BENCH_EMBED_ARTICLES` articles of it (default 5,000) with a non-empty title or
//! body.

mod common;

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use newsindex::embed::{article_input, Embedder};
use serde::Deserialize;

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body: String,
    /// `{"name": .., "type": ..}` objects or plain names
    #[serde(default)]
    entities: Vec<serde_json::Value>,
}

fn articles() -> Vec<Line> {
    let want = std::env::var("NEWSINDEX_BENCH_EMBED_ARTICLES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(5_000usize);
    let mut out = Vec::with_capacity(want);
    common::for_each_line(|_, line| {
        if out.len() < want {
            if let Ok(a) = serde_json::from_slice::<Line>(line) {
                if !a.title.trim().is_empty() || !a.body.trim().is_empty() {
                    out.push(a);
                }
            }
        }
    });
    assert!(!out.is_empty(), "no articles in the corpus");
    out
}

fn input(a: &Line) -> String {
    let names: Vec<&str> = a
        .entities
        .iter()
        .filter_map(|e| e.get("name").unwrap_or(e).as_str())
        .collect();
    article_input(&a.title, &a.summary, &a.body, &names)
}

fn bench(c: &mut Criterion) {
    let (_, rss_before) = common::rss_mib();
    let started = Instant::now();
    let model = Embedder::shipped().expect("load the shipped model");
    let loaded = started.elapsed();
    let (peak, rss_after) = common::rss_mib();
    eprintln!(
        "model loaded in {:.2} s ({} dims); resident memory {rss_before:.0} -> {rss_after:.0} \
         MiB, peak {peak:.0} MiB",
        loaded.as_secs_f64(),
        model.dims()
    );
    let articles = articles();
    let inputs: Vec<String> = articles.iter().map(input).collect();
    let chars: usize = inputs.iter().map(|t| t.chars().count()).sum();
    eprintln!(
        "{} articles, {:.0} characters of input each on average",
        inputs.len(),
        chars as f64 / inputs.len() as f64
    );

    let mut group = c.benchmark_group("embed");
    group.sample_size(10);
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("article_input", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| input(black_box(a)).len())
                .sum::<usize>()
        })
    });
    group.bench_function("embed", |b| {
        b.iter(|| {
            let mut acc = 0.0f32;
            for text in &inputs {
                acc += model.embed(black_box(text))[0];
            }
            acc
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
