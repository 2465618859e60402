//! Quality of related articles on Reuters-21578: precision@10 of plain tantivy more-like-this
//! against our scoring ([`newsindex::query::related`]).
//!
//! The corpus is indexed into a temporary directory *without* its topic tags (entities are
//! kept), so neither scorer can see the answer; a hit counts as relevant when it shares at
//! least one Reuters topic with the article, looked up in the original file. The sample is
//! every k-th topic-tagged article, 300 in all, with an even NEWID (`--split even`, the
//! reporting split) or an odd one (`--split odd`, the split to tune on).
//!
//! ```text
//! cargo run --release --example related_quality -- [--split even|odd] [--n 300]
//!     [--max-terms N] [--title-weight W] [--entity-weight W] [--half-life DAYS]
//!     [--floor F] [--min-shared N] [--max-df R] [--candidate-terms N] [--candidates N]
//! ```

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::time::Instant;

use anyhow::{bail, Context};
use newsindex::index::{document, BulkIndexer};
use newsindex::query::related::{related_to_id, RelatedConfig};
use newsindex::query::Filters;
use newsindex::NewsIndex;
use tantivy::collector::TopDocs;
use tantivy::query::{MoreLikeThisQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue};
use tantivy::{TantivyDocument, Term};

const K: usize = 10;

fn main() -> anyhow::Result<()> {
    let mut split = "even".to_string();
    let mut n = 300usize;
    let mut cfg = RelatedConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--split" => split = value()?,
            "--n" => n = value()?.parse()?,
            "--max-terms" => cfg.max_terms = value()?.parse()?,
            "--title-weight" => cfg.title_weight = value()?.parse()?,
            "--title-boost" => cfg.title_boost = value()?.parse()?,
            "--entity-weight" => cfg.entity_weight = value()?.parse()?,
            "--half-life" => cfg.half_life_days = value()?.parse()?,
            "--floor" => cfg.time_floor = value()?.parse()?,
            "--min-shared" => cfg.min_shared_terms = value()?.parse()?,
            "--min-share" => cfg.min_shared_share = value()?.parse()?,
            "--idf-power" => cfg.boost_idf_power = value()?.parse()?,
            "--max-df" => cfg.max_df_ratio = value()?.parse()?,
            "--max-keyword-df" => cfg.max_keyword_df_ratio = value()?.parse()?,
            "--candidate-terms" => cfg.candidate_terms = value()?.parse()?,
            "--candidates" => cfg.candidates = value()?.parse()?,
            "--candidate-max-postings" => cfg.candidate_max_postings = value()?.parse()?,
            "--keyword-max-postings" => cfg.keyword_max_postings = value()?.parse()?,
            "--min-candidate-terms" => cfg.min_candidate_terms = value()?.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    let parity = match split.as_str() {
        "even" => 0,
        "odd" => 1,
        other => bail!("--split must be even or odd, got {other}"),
    };

    // Read the corpus; keep every article's topics aside, index it without them.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/reuters21578.ndjson.gz");
    let file = std::fs::File::open(path).with_context(|| format!("open {path}"))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("index");
    let started = Instant::now();
    let mut bulk = BulkIndexer::open(&dir, 2, 256)?;
    let mut topics: HashMap<String, HashSet<String>> = HashMap::new();
    let mut indexed: Vec<(u64, String)> = Vec::new();
    for line in reader.lines() {
        let mut v: serde_json::Value = serde_json::from_str(&line?)?;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let tags: HashSet<String> = v["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("tags");
        }
        let Ok(article) = newsindex::article::parse_article_json(v.to_string().as_bytes())
            .and_then(|input| input.into_article(|_, _, _| vec![]))
        else {
            continue;
        };
        bulk.add(&article)?;
        if let Some(newid) = id.strip_prefix("reuters-").and_then(|s| s.parse().ok()) {
            indexed.push((newid, id.clone()));
        }
        topics.insert(id, tags);
    }
    let count = bulk.finish()?;
    let index = NewsIndex::open_read_only(&dir)?;
    eprintln!(
        "indexed {count} articles in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Every k-th tagged article of the split, in NEWID order.
    indexed.sort();
    let pool: Vec<&String> = indexed
        .iter()
        .filter(|(newid, id)| newid % 2 == parity && !topics[id].is_empty())
        .map(|(_, id)| id)
        .collect();
    let step = (pool.len() / n).max(1);
    let sample: Vec<&String> = pool.iter().step_by(step).take(n).copied().collect();

    let relevant = |source: &str, hits: &[String]| -> f64 {
        let want = &topics[source];
        let good = hits
            .iter()
            .filter(|h| topics.get(*h).is_some_and(|t| !t.is_disjoint(want)))
            .count();
        good as f64 / K as f64
    };

    let searcher = index.searcher();
    let f = *index.fields();
    let (mut p_mlt, mut p_mlt1, mut p_ours) = (0.0, 0.0, 0.0);
    let mut latencies = Vec::with_capacity(sample.len());
    for id in &sample {
        // (a) plain more-like-this over title and body. Our text fields are not stored (the
        // article is stored once as JSON), so the fields are given from the stored article.
        let top = searcher.search(
            &TermQuery::new(Term::from_field_text(f.id, id), IndexRecordOption::Basic),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        let addr = top.first().context("sample article not indexed")?.1;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let article = document::from_document(&doc, &f)?;
        let mut fields = vec![(f.title, vec![OwnedValue::Str(article.title.clone())])];
        if let Some(b) = &article.body {
            fields.push((f.body, vec![OwnedValue::Str(b.clone())]));
        }
        // Tantivy's defaults, and a variant that also takes words seen once (Reuters stories
        // are short, so the default minimum term frequency of 2 leaves few words).
        for (min_tf, sum) in [(2, &mut p_mlt), (1, &mut p_mlt1)] {
            let mlt = MoreLikeThisQuery::builder()
                .with_min_term_frequency(min_tf)
                .with_document_fields(fields.clone());
            let hits = searcher.search(&mlt, &TopDocs::with_limit(K + 1).order_by_score())?;
            let mut mlt_ids = Vec::new();
            for (_, a) in hits {
                let d: TantivyDocument = searcher.doc(a)?;
                let other = document::from_document(&d, &f)?;
                if other.id != **id {
                    mlt_ids.push(other.id);
                }
            }
            mlt_ids.truncate(K);
            *sum += relevant(id, &mlt_ids);
        }

        // (b) ours.
        let t = Instant::now();
        let resp = related_to_id(&index, &cfg, id, &Filters::default(), K)?;
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        let ours: Vec<String> = resp.hits.into_iter().map(|h| h.id).collect();
        p_ours += relevant(id, &ours);
    }
    let m = sample.len().max(1) as f64;
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    println!(
        "split={split} sample={} (every {step}th of {} tagged)",
        sample.len(),
        pool.len()
    );
    println!("precision@{K} more-like-this (defaults): {:.3}", p_mlt / m);
    println!(
        "precision@{K} more-like-this (min_term_frequency 1): {:.3}",
        p_mlt1 / m
    );
    println!("precision@{K} related (ours): {:.3}", p_ours / m);
    println!(
        "latency of ours: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    println!("config: {cfg:?}");
    Ok(())
}
