//! Known-item search with typos on Reuters-21578: how often an article (or a wire copy of it)
//! is in the top 10 when its title is searched with one transposed letter in a long word.
//!
//! 300 articles are taken deterministically (every k-th article whose title has a word of 5
//! letters or more; `--split even|odd` picks even or odd NEWIDs: tune on odd, report on even).
//! The query is up to 5 words of the title (letters and digits only), with two adjacent letters
//! of its longest word swapped in the middle (`PRICES` → `PRCIES`). Every word stays required:
//! the engine's AND semantics are not relaxed. The score is reported with typo tolerance on and
//! off (`typos=false`).
//!
//! ```text
//! cargo run --release --example typo_quality -- [--split even|odd] [--n 300] [CORPUS]
//! ```

use std::collections::HashMap;
use std::io::BufRead;

use anyhow::{bail, Context};
use newsindex::config::Config;
use newsindex::index::{document, BulkIndexer};
use newsindex::query::{run_search, SearchRequest};
use newsindex::{Article, NewsIndex};

fn main() -> anyhow::Result<()> {
    let mut split = "even".to_string();
    let mut n = 300usize;
    let mut corpus = "data/reuters21578.ndjson.gz".to_string();
    let mut misses = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--split" => split = args.next().context("--split needs a value")?,
            "--n" => n = args.next().context("--n needs a value")?.parse()?,
            "--misses" => misses = true,
            other if !other.starts_with("--") => corpus = other.to_string(),
            other => bail!("unknown flag {other}"),
        }
    }
    let parity = match split.as_str() {
        "even" => 0,
        "odd" => 1,
        other => bail!("--split must be even or odd, got {other}"),
    };

    let mut articles: Vec<Article> = Vec::new();
    let file = std::fs::File::open(&corpus).with_context(|| format!("cannot open {corpus}"))?;
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
    let config = Config::default();
    let index = NewsIndex::open(tmp.path(), &config.writer)?;

    let keys: HashMap<&str, u64> = articles
        .iter()
        .map(|a| (a.id.as_str(), document::copy_key(a)))
        .collect();
    let eligible: Vec<(&Article, String)> = articles
        .iter()
        .filter(|a| newid(&a.id) % 2 == parity)
        .filter_map(|a| typo_query(&a.title).map(|q| (a, q)))
        .collect();
    let step = (eligible.len() / n).max(1);
    let sample: Vec<&(&Article, String)> = eligible.iter().step_by(step).take(n).collect();

    let mut found = [0usize; 2];
    for (article, q) in &sample {
        let want = document::copy_key(article);
        for (i, typos) in [true, false].into_iter().enumerate() {
            let req = SearchRequest {
                q: q.clone(),
                limit: 10,
                typos,
                ..SearchRequest::default()
            };
            let resp = run_search(&index, &config.search, &req)?;
            if resp
                .hits
                .iter()
                .any(|h| keys.get(h.id.as_str()) == Some(&want))
            {
                found[i] += 1;
            } else if misses && typos {
                let top: Vec<&str> = resp.hits.iter().take(3).map(|h| h.title.as_str()).collect();
                println!(
                    "miss: {q:?} for {:?} ({} hits): {top:?}",
                    article.title, resp.total
                );
            }
        }
    }
    let total = sample.len() as f64;
    println!(
        "known-item search with one transposition, Reuters-21578, {split} NEWIDs, {} queries",
        sample.len()
    );
    println!("| typo tolerance | found in top 10 |");
    println!("|---|---|");
    println!("| on (default) | {:.3} |", found[0] as f64 / total);
    println!("| off (typos=false) | {:.3} |", found[1] as f64 / total);
    index.shutdown_blocking()?;
    Ok(())
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
