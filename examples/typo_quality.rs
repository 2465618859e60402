//! Known-item search with typos on Reuters-21578: how often an article (or a wire copy of it)
//! is in the top 10 when its title is searched with one transposed letter in a long word.
//!
//! - Index: the whole corpus, once per run, in a temporary directory.
//! - Query: up to 5 words of the title (letters and digits only), with two adjacent letters of
//!   its longest word (5 letters or more) swapped in the middle (`PRICES` → `PRCIES`). Every
//!   word stays required: the engine's AND semantics are not relaxed. Each query runs with typo
//!   tolerance on and off (`typos=false`), each without and with hits by meaning
//!   (`semantic=true`); found means the article or a wire copy of it (same
//!   copy key) is among the first 10 hits.
//! - Eligible: the articles of the split whose title gives such a query. `--split report` (the
//!   default) takes even NEWIDs, `--split tune` odd ones (`even` and `odd` are kept as
//!   aliases); tune on one, report on the other: the two never share an article.
//! - Sample: per seed of `--seeds` (default 1,2,3,4,5), `--n` articles (default 300) drawn at
//!   random without replacement from the eligible ones (splitmix64, in this file); `--all`
//!   runs every eligible article instead, once. Only the queries change per seed; an article
//!   drawn by several seeds is searched once.
//! - Printed: the split, seeds, sample size and number of eligible articles; per setting the
//!   share found, as mean over seeds, min–max over seeds and per-seed values. `--misses` lists
//!   the queries that typo tolerance did not find (each distinct article once).
//!
//! ```text
//! cargo run --release --example typo_quality -- [--split tune|report] [--n 300]
//!     [--seeds 1,2,3,4,5] [--all] [--misses] [--semantic-min-similarity 0.3] [CORPUS]
//! ```
//!
//! CORPUS defaults to `data/reuters21578.ndjson.gz` of this repository.

use std::collections::HashMap;
use std::io::BufRead;
use std::time::Instant;

#[path = "sampling/mod.rs"]
mod sampling;
use sampling::{draw, join, parse_seeds, spread};

use anyhow::{bail, ensure, Context};
use newsindex::config::Config;
use newsindex::index::{document, BulkIndexer};
use newsindex::query::{run_search, SearchRequest};
use newsindex::{Article, NewsIndex};

/// Typo tolerance on, then off; each without and with the hits by meaning (`semantic=true`),
/// which come after every word match and so can only add what the words did not find.
const SETTINGS: [(&str, bool, bool); 4] = [
    ("on (default)", true, false),
    ("off (typos=false)", false, false),
    ("on, semantic=true", true, true),
    ("off, semantic=true", false, true),
];

struct Options {
    /// `tune` or `report`.
    split: &'static str,
    /// NEWID parity of the split's articles.
    parity: u64,
    n: usize,
    seeds: Vec<u64>,
    all: bool,
    misses: bool,
    /// `search.semantic_min_similarity` (default: the server's).
    min_similarity: Option<f32>,
    corpus: String,
}

fn main() -> anyhow::Result<()> {
    let run_started = Instant::now();
    let opts = parse_args()?;

    let mut articles: Vec<Article> = Vec::new();
    let file = std::fs::File::open(&opts.corpus)
        .with_context(|| format!("cannot open {}", opts.corpus))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    for line in reader.lines() {
        let line = line?;
        if let Ok(a) = newsindex::ingest::parse_item(0, line.as_bytes()) {
            articles.push(a);
        }
    }
    let tmp = tempfile::tempdir()?;
    let mut bulk = BulkIndexer::open(tmp.path(), 2, 256)?;
    for a in &articles {
        bulk.add(a)?;
    }
    bulk.finish()?;
    let mut config = Config::default();
    if let Some(min) = opts.min_similarity {
        config.search.semantic_min_similarity = min;
    }
    let index = NewsIndex::open(tmp.path(), &config.writer)?;
    let index_secs = run_started.elapsed().as_secs_f64();

    let keys: HashMap<&str, u64> = articles
        .iter()
        .map(|a| (a.id.as_str(), document::copy_key(a)))
        .collect();
    // In corpus order, so that a seed draws the same articles from run to run.
    let eligible: Vec<(&Article, String)> = articles
        .iter()
        .filter(|a| newid(&a.id) % 2 == opts.parity)
        .filter_map(|a| typo_query(&a.title).map(|q| (a, q)))
        .collect();
    ensure!(!eligible.is_empty(), "no eligible article in the split");
    let samples: Vec<Vec<usize>> = if opts.all {
        vec![(0..eligible.len()).collect()]
    } else {
        opts.seeds
            .iter()
            .map(|&seed| draw(eligible.len(), opts.n, seed))
            .collect()
    };

    let sampling = if opts.all {
        "--all: every eligible article, once".to_string()
    } else {
        format!(
            "seeds {}, {} queries per seed",
            join(&opts.seeds),
            samples[0].len()
        )
    };
    println!(
        "typo_quality: known-item search with one transposition, {}, split {} ({} NEWIDs), {sampling}, {} eligible (articles of the split whose title gives a query)",
        opts.corpus,
        opts.split,
        if opts.parity == 0 { "even" } else { "odd" },
        eligible.len(),
    );
    println!(
        "indexed {} articles (the whole corpus) in {index_secs:.1} s",
        articles.len()
    );

    // Seeds draw overlapping samples: each article is searched once.
    let mut found: Vec<Option<[bool; SETTINGS.len()]>> = vec![None; eligible.len()];
    // With typo tolerance and `semantic=true`, per query: hits by meaning in the top 10 and
    // how many share a topic (a Reuters tag) with the article looked for; the same for the
    // word matches of those queries.
    let mut on_topic: Vec<[usize; 4]> = vec![[0; 4]; eligible.len()];
    for &e in samples.iter().flatten() {
        if found[e].is_some() {
            continue;
        }
        let (article, q) = &eligible[e];
        let want = document::copy_key(article);
        let mut hit = [false; SETTINGS.len()];
        for (i, (_, typos, semantic)) in SETTINGS.into_iter().enumerate() {
            let req = SearchRequest {
                q: q.clone(),
                limit: 10,
                typos,
                semantic: Some(semantic),
                ..SearchRequest::default()
            };
            let resp = run_search(&index, &config.search, &req)?;
            hit[i] = resp
                .hits
                .iter()
                .any(|h| keys.get(h.id.as_str()) == Some(&want));
            if typos
                && semantic
                && !article.tags.is_empty()
                && resp.hits.iter().any(|h| h.similarity.is_some())
            {
                let shares = |h: &&newsindex::query::Hit| {
                    keys.get(h.id.as_str()) != Some(&want)
                        && h.tags.iter().any(|t| article.tags.contains(t))
                };
                let (meaning, words): (Vec<_>, Vec<_>) = resp
                    .hits
                    .iter()
                    .filter(|h| keys.get(h.id.as_str()) != Some(&want))
                    .partition(|h| h.similarity.is_some());
                on_topic[e] = [
                    meaning.len(),
                    meaning.iter().filter(|h| shares(h)).count(),
                    words.len(),
                    words.iter().filter(|h| shares(h)).count(),
                ];
            }
            if !hit[i] && opts.misses && typos && !semantic {
                let top: Vec<&str> = resp.hits.iter().take(3).map(|h| h.title.as_str()).collect();
                println!(
                    "miss: {q:?} for {:?} ({} hits): {top:?}",
                    article.title, resp.total
                );
            }
        }
        found[e] = Some(hit);
    }

    println!("distinct queries run: {}", found.iter().flatten().count());
    println!();
    println!(
        "found in top 10: mean over seeds (min–max over seeds); per seed in the order of the seeds"
    );
    println!();
    println!("| typo tolerance | found in top 10 | per seed |");
    println!("|---|---|---|");
    for (i, (name, _, _)) in SETTINGS.iter().enumerate() {
        let per_seed: Vec<f64> = samples
            .iter()
            .map(|sample| {
                let n = sample
                    .iter()
                    .filter(|&&e| found[e].expect("searched")[i])
                    .count();
                n as f64 / sample.len() as f64
            })
            .collect();
        print_row(name, &per_seed);
    }
    println!();
    println!("hits by meaning (typos on, semantic=true, least similarity {}), for the articles looked for that have topics, which are left out with their copies: the share that shares a topic with it, beside the share of the word matches of the same queries", config.search.semantic_min_similarity);
    println!();
    println!("| hits | share on topic | per seed |");
    println!("|---|---|---|");
    for (name, at) in [("by meaning", 0), ("word matches", 2)] {
        let per_seed: Vec<f64> = samples
            .iter()
            .map(|sample| {
                let (n, on) = sample.iter().fold((0, 0), |(n, on), &e| {
                    (n + on_topic[e][at], on + on_topic[e][at + 1])
                });
                on as f64 / n.max(1) as f64
            })
            .collect();
        print_row(name, &per_seed);
    }
    let with_meaning: Vec<String> = samples
        .iter()
        .map(|s| {
            s.iter()
                .filter(|&&e| on_topic[e][0] > 0)
                .count()
                .to_string()
        })
        .collect();
    println!(
        "queries with hits by meaning, per seed: {}",
        with_meaning.join(" ")
    );
    println!(
        "took {:.1} s ({index_secs:.1} s reading and indexing)",
        run_started.elapsed().as_secs_f64()
    );
    index.shutdown_blocking()?;
    Ok(())
}

fn parse_args() -> anyhow::Result<Options> {
    let mut opts = Options {
        split: "report",
        parity: 0,
        n: 300,
        seeds: vec![1, 2, 3, 4, 5],
        all: false,
        misses: false,
        min_similarity: None,
        corpus: concat!(env!("CARGO_MANIFEST_DIR"), "/data/reuters21578.ndjson.gz").to_string(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--split" => {
                (opts.split, opts.parity) = match value()?.as_str() {
                    "report" | "even" => ("report", 0),
                    "tune" | "odd" => ("tune", 1),
                    other => bail!("--split must be tune or report (odd or even), got {other}"),
                }
            }
            "--n" => opts.n = value()?.parse()?,
            "--seeds" => opts.seeds = parse_seeds(&value()?)?,
            "--all" => opts.all = true,
            "--misses" => opts.misses = true,
            "--semantic-min-similarity" => opts.min_similarity = Some(value()?.parse()?),
            other if !other.starts_with("--") => opts.corpus = other.to_string(),
            other => bail!("unknown flag {other}"),
        }
    }
    ensure!(opts.n > 0, "--n must be at least 1");
    Ok(opts)
}

fn print_row(name: &str, values: &[f64]) {
    let (mean, min, max) = spread(values);
    let each: Vec<String> = values.iter().map(|v| format!("{v:.3}")).collect();
    println!(
        "| {name} | {mean:.3} ({min:.3}–{max:.3}) | {} |",
        each.join(" ")
    );
}

fn newid(id: &str) -> u64 {
    id.trim_start_matches("reuters-").parse().unwrap_or(0)
}

/// Up to 5 words of the title, with two middle letters of the longest word (≥ 5 letters) swapped.
fn typo_query(title: &str) -> Option<String> {
    // Words as the title writes them (`U.S.`, `0.1`, `ITALY'S` stay whole), without the
    // punctuation around them (`<INTK>` → `INTK`, `CORP,` → `CORP`).
    let mut words: Vec<String> = title
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
        .filter(|w| !w.is_empty())
        .take(5)
        .collect();
    let (longest, _) = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.chars().count() >= 5 && w.chars().all(char::is_alphabetic))
        .max_by_key(|(i, w)| (w.chars().count(), usize::MAX - i))?;
    let mut chars: Vec<char> = words[longest].chars().collect();
    let mid = chars.len() / 2;
    if chars[mid - 1] == chars[mid] {
        return None; // swapping equal letters is no typo
    }
    chars.swap(mid - 1, mid);
    words[longest] = chars.into_iter().collect();
    Some(words.join(" "))
}
