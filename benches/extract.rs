//! Throughput of `extract_entities` in bytes of article text per second, on
//! the seed article and on the first few hundred Reuters-21578 stories.
//!
//! The Reuters stories are read from `data/reuters21578.ndjson.gz` (or the
//! path in `NEWSINDEX_REUTERS`); that group is skipped when the file is absent.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flate2::read::GzDecoder;
use newsindex::extract::extract_entities;
use serde::Deserialize;

const SEED: &str = include_str!("../data/seed-article.txt");
const REUTERS_ARTICLES: usize = 500;

#[derive(Deserialize)]
struct Article {
    title: String,
    #[serde(default)]
    body: String,
}

fn reuters_sample() -> Option<Vec<Article>> {
    let path = std::env::var("NEWSINDEX_REUTERS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/reuters21578.ndjson.gz").to_string()
    });
    let file = File::open(&path).ok()?;
    let articles = BufReader::new(GzDecoder::new(file))
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<Article>(&l).ok())
        .filter(|a| !a.body.is_empty())
        .take(REUTERS_ARTICLES)
        .collect();
    Some(articles)
}

fn bench(c: &mut Criterion) {
    let (title, body) = SEED
        .split_once('\n')
        .expect("seed article has a title line");
    let mut group = c.benchmark_group("extract_entities");
    group.throughput(Throughput::Bytes((title.len() + body.len()) as u64));
    group.bench_function("seed_article", |b| {
        b.iter(|| extract_entities(black_box(title), "", black_box(body)))
    });

    match reuters_sample() {
        Some(articles) => {
            let bytes: usize = articles.iter().map(|a| a.title.len() + a.body.len()).sum();
            group.throughput(Throughput::Bytes(bytes as u64));
            group.bench_function(format!("reuters_{}_articles", articles.len()), |b| {
                b.iter(|| {
                    let mut n = 0;
                    for a in &articles {
                        n += extract_entities(black_box(&a.title), "", black_box(&a.body)).len();
                    }
                    n
                })
            });
        }
        None => eprintln!("Reuters sample not found: skipping the Reuters benchmark"),
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
