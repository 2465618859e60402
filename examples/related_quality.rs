//! Quality of related articles on Reuters-21578: precision@10 of plain tantivy more-like-this
//! against our scoring ([`newsindex::query::related`]).
//!
//! - Index: the whole corpus, once per run, in a temporary directory *without* its topic tags
//!   (entities are kept), so neither scorer can see the answer.
//! - Relevant: a hit that shares at least one Reuters topic with the article, looked up in the
//!   original file. P@10 is relevant hits over 10 (fewer than 10 hits count as misses).
//! - Eligible: the topic-tagged articles of the split. `--split report` (the default) takes even
//!   NEWIDs, `--split tune` odd ones (`even` and `odd` are kept as aliases); tune on one, report
//!   on the other: the two never share an article.
//! - Sample: per seed of `--seeds` (default 1,2,3,4,5), `--n` articles (default 300) drawn at
//!   random without replacement from the eligible ones (splitmix64, in this file); `--all`
//!   measures every eligible article instead, once. Only the queries change per seed: the
//!   index, and so the candidates, are the whole corpus. An article drawn by several seeds is
//!   measured once.
//! - Printed: the split, seeds, sample size and number of eligible articles; per scorer the
//!   mean P@10 over seeds, its min–max over seeds and the per-seed values (and the same for
//!   ours minus more-like-this and minus the words-only baseline, per seed on the same
//!   articles); how many articles' first 10 hits change when 30 are asked for; the latency of
//!   ours over every distinct article measured. The words-only baseline is our scoring as it
//!   was before the embedding model (no vectors, 5 × limit candidates): what issue #19's
//!   "+0.04 over lexical" is measured against.
//!
//! ```text
//! cargo run --release --example related_quality -- [--split tune|report] [--n 300]
//!     [--seeds 1,2,3,4,5] [--all]
//!     [--max-terms N] [--title-weight W] [--title-boost B] [--entity-weight W]
//!     [--half-life DAYS] [--floor F] [--min-shared N] [--min-share S] [--idf-power P]
//!     [--max-df R] [--max-keyword-df R] [--candidate-terms N] [--candidates N]
//!     [--candidate-max-postings N] [--keyword-max-postings N] [--min-candidate-terms N]
//!     [--overfetch N] [--lexical-weight W] [--similarity-weight W] [--consensus-weight W]
//!     [--consensus-depth N]
//! ```

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::time::Instant;

#[path = "sampling/mod.rs"]
mod sampling;
use sampling::{draw, join, parse_seeds, spread};

use anyhow::{bail, ensure, Context};
use newsindex::index::{document, BulkIndexer};
use newsindex::query::related::{related_to_id, Languages, RelatedConfig};
use newsindex::query::Filters;
use newsindex::NewsIndex;
use tantivy::collector::TopDocs;
use tantivy::query::{MoreLikeThisQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue};
use tantivy::Term;

const K: usize = 10;

/// The scorers compared, in the order of [`Measured::p10`].
const SCORERS: [&str; 4] = [
    "more-like-this (defaults)",
    "more-like-this (min_term_frequency 1)",
    "related, words only (as before vectors: no meaning, 100 candidates, 8 picking terms)",
    "related (ours)",
];

/// The `limit` of the limit-independence check: the first 10 hits must be the same.
const LARGER_LIMIT: usize = 30;

struct Options {
    /// `tune` or `report`.
    split: &'static str,
    /// NEWID parity of the split's articles.
    parity: u64,
    n: usize,
    seeds: Vec<u64>,
    all: bool,
    cfg: RelatedConfig,
    /// The lexical baseline: today's scoring without meaning, with the candidate pool it
    /// had before the vectors (5 × limit, at least 100).
    words_only: RelatedConfig,
}

/// One article's figures.
#[derive(Clone, Copy)]
struct Measured {
    p10: [f64; 4],
    /// Time of our related query, in ms.
    latency_ms: f64,
    /// Whether our first 10 hits differ with `limit` [`LARGER_LIMIT`].
    limit_dependent: bool,
}

fn main() -> anyhow::Result<()> {
    let run_started = Instant::now();
    let opts = parse_args()?;
    let cfg = &opts.cfg;

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
    // French and German translations of ten of its stories (data/crosslingual/README.md), with
    // their original's topics: the measure of `languages=any`.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/crosslingual/reuters-fr-de.ndjson"
    );
    let mut translations: Vec<(String, String)> = Vec::new();
    for line in std::fs::read_to_string(path)
        .with_context(|| format!("read {path}"))?
        .lines()
    {
        let mut v: serde_json::Value = serde_json::from_str(line)?;
        let original = v["translates"].as_str().context("translates")?.to_string();
        v.as_object_mut().context("an object")?.remove("translates");
        let article = newsindex::article::parse_article_json(v.to_string().as_bytes())
            .and_then(|input| input.into_article(|_, _, _| vec![]))?;
        bulk.add(&article)?;
        let want = topics.get(&original).cloned().context("original indexed")?;
        topics.insert(article.id.clone(), want);
        translations.push((article.id, original));
    }
    let count = bulk.finish()?;
    let index = NewsIndex::open_read_only(&dir)?;
    let index_secs = started.elapsed().as_secs_f64();

    // The eligible articles: tagged, of the split, in NEWID order (so that a seed draws the
    // same articles from run to run).
    indexed.sort();
    let pool: Vec<&String> = indexed
        .iter()
        .filter(|(newid, id)| newid % 2 == opts.parity && !topics[id].is_empty())
        .map(|(_, id)| id)
        .collect();
    ensure!(!pool.is_empty(), "no eligible article in the split");
    let samples: Vec<Vec<usize>> = if opts.all {
        vec![(0..pool.len()).collect()]
    } else {
        opts.seeds
            .iter()
            .map(|&seed| draw(pool.len(), opts.n, seed))
            .collect()
    };

    let sampling = if opts.all {
        "--all: every eligible article, once".to_string()
    } else {
        format!(
            "seeds {}, {} articles per seed",
            join(&opts.seeds),
            samples[0].len()
        )
    };
    println!(
        "related_quality: split {} ({} NEWIDs), {sampling}, {} eligible (topic-tagged articles of the split)",
        opts.split,
        if opts.parity == 0 { "even" } else { "odd" },
        pool.len(),
    );
    println!("indexed {count} articles (the whole corpus, without topics) in {index_secs:.1} s");

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
    // Seeds draw overlapping samples: each article is measured once.
    let mut measured: Vec<Option<Measured>> = vec![None; pool.len()];
    for &p in samples.iter().flatten() {
        if measured[p].is_some() {
            continue;
        }
        let id = pool[p];
        let mut p10 = [0.0; 4];
        // (a) plain more-like-this over title and body. Our text fields are not stored (the
        // article is stored once as JSON), so the fields are given from the stored article.
        let top = searcher.search(
            &TermQuery::new(Term::from_field_text(f.id, id), IndexRecordOption::Basic),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        let addr = top.first().context("sample article not indexed")?.1;
        let article = document::article_at(&searcher, addr, &f)?;
        let mut fields = vec![(f.title, vec![OwnedValue::Str(article.title.clone())])];
        if let Some(b) = &article.body {
            fields.push((f.body, vec![OwnedValue::Str(b.clone())]));
        }
        // Tantivy's defaults, and a variant that also takes words seen once (Reuters stories
        // are short, so the default minimum term frequency of 2 leaves few words).
        for (s, min_tf) in [(0, 2), (1, 1)] {
            let mlt = MoreLikeThisQuery::builder()
                .with_min_term_frequency(min_tf)
                .with_document_fields(fields.clone());
            let hits = searcher.search(&mlt, &TopDocs::with_limit(K + 1).order_by_score())?;
            let mut mlt_ids = Vec::new();
            for (_, a) in hits {
                let other = document::article_at(&searcher, a, &f)?;
                if other.id != *id {
                    mlt_ids.push(other.id);
                }
            }
            mlt_ids.truncate(K);
            p10[s] = relevant(id, &mlt_ids);
        }

        // (b) ours without meaning, as before the vectors: the lexical baseline.
        let ids = |resp: newsindex::query::related::RelatedResponse| -> Vec<String> {
            resp.hits.into_iter().map(|h| h.id).collect()
        };
        let words = related_to_id(
            &index,
            &opts.words_only,
            id,
            &Filters::default(),
            K,
            Languages::Same,
        )?;
        p10[2] = relevant(id, &ids(words));

        // (c) ours.
        let t = Instant::now();
        let resp = related_to_id(&index, cfg, id, &Filters::default(), K, Languages::Same)?;
        let latency_ms = t.elapsed().as_secs_f64() * 1e3;
        let ours = ids(resp);
        p10[3] = relevant(id, &ours);
        let larger = ids(related_to_id(
            &index,
            cfg,
            id,
            &Filters::default(),
            LARGER_LIMIT,
            Languages::Same,
        )?);
        let limit_dependent = larger.iter().take(K).ne(ours.iter());
        measured[p] = Some(Measured {
            p10,
            latency_ms,
            limit_dependent,
        });
    }

    // Per scorer, per seed: the mean over the seed's sample.
    let per_seed = |value: &dyn Fn(&Measured) -> f64| -> Vec<f64> {
        samples
            .iter()
            .map(|sample| {
                let sum: f64 = sample
                    .iter()
                    .map(|&p| value(measured[p].as_ref().expect("measured")))
                    .sum();
                sum / sample.len() as f64
            })
            .collect()
    };
    println!(
        "distinct articles measured: {}",
        measured.iter().flatten().count()
    );
    println!();
    println!(
        "precision@{K}: mean over seeds (min–max over seeds); per seed in the order of the seeds"
    );
    println!();
    println!("| scorer | P@{K} | per seed |");
    println!("|---|---|---|");
    for (s, name) in SCORERS.iter().enumerate() {
        print_row(name, &per_seed(&|m: &Measured| m.p10[s]));
    }
    print_row(
        "ours − more-like-this (defaults)",
        &per_seed(&|m: &Measured| m.p10[3] - m.p10[0]),
    );
    print_row(
        "ours − more-like-this (min_term_frequency 1)",
        &per_seed(&|m: &Measured| m.p10[3] - m.p10[1]),
    );
    print_row(
        "ours − words only",
        &per_seed(&|m: &Measured| m.p10[3] - m.p10[2]),
    );
    println!();
    let distinct: Vec<&Measured> = measured.iter().flatten().collect();
    println!(
        "first {K} hits of ours that change with limit={LARGER_LIMIT}: {} of {} distinct articles",
        distinct.iter().filter(|m| m.limit_dependent).count(),
        distinct.len()
    );

    crosslingual(&index, cfg, &translations, &relevant)?;

    let mut latencies: Vec<f64> = measured.iter().flatten().map(|m| m.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    println!(
        "latency of ours ({} distinct articles): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        latencies.len(),
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    println!("config: {cfg:?}");
    println!(
        "took {:.1} s ({index_secs:.1} s reading and indexing)",
        run_started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn parse_args() -> anyhow::Result<Options> {
    let mut opts = Options {
        split: "report",
        parity: 0,
        n: 300,
        seeds: vec![1, 2, 3, 4, 5],
        all: false,
        cfg: RelatedConfig::default(),
        // Related articles as they were before the vectors (issue #19's baseline): no meaning,
        // 100 candidates picked by the 8 strongest terms.
        words_only: RelatedConfig {
            similarity_weight: 0.0,
            consensus_weight: 0.0,
            overfetch: 100,
            candidate_terms: 8,
            ..RelatedConfig::default()
        },
    };
    let cfg = &mut opts.cfg;
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
            "--max-terms" => cfg.max_terms = value()?.parse()?,
            "--title-weight" => cfg.title_weight = value()?.parse()?,
            "--title-boost" => cfg.title_boost = value()?.parse()?,
            "--entity-weight" => cfg.entity_weight = value()?.parse()?,
            "--half-life" => cfg.half_life_days = value()?.parse()?,
            "--floor" => cfg.time_floor = value()?.parse()?,
            "--min-shared" => cfg.min_shared_terms = value()?.parse()?,
            "--min-share" => cfg.min_shared_share = value()?.parse()?,
            "--same-language-similarity" => cfg.same_language_min_similarity = value()?.parse()?,
            "--idf-power" => cfg.boost_idf_power = value()?.parse()?,
            "--max-df" => cfg.max_df_ratio = value()?.parse()?,
            "--max-keyword-df" => cfg.max_keyword_df_ratio = value()?.parse()?,
            "--candidate-terms" => cfg.candidate_terms = value()?.parse()?,
            "--candidates" => cfg.candidates = value()?.parse()?,
            "--candidate-max-postings" => cfg.candidate_max_postings = value()?.parse()?,
            "--keyword-max-postings" => cfg.keyword_max_postings = value()?.parse()?,
            "--min-candidate-terms" => cfg.min_candidate_terms = value()?.parse()?,
            "--overfetch" => cfg.overfetch = value()?.parse()?,
            "--lexical-weight" => cfg.lexical_weight = value()?.parse()?,
            "--similarity-weight" => cfg.similarity_weight = value()?.parse()?,
            "--consensus-weight" => cfg.consensus_weight = value()?.parse()?,
            "--consensus-depth" => cfg.consensus_depth = value()?.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    ensure!(opts.n > 0, "--n must be at least 1");
    Ok(opts)
}

/// For each translation: its related articles with `languages=same` and `languages=any`: how
/// often the English original and the other translation are among the first 10, how many
/// hits are in another language than the source's, and P@10 by the original's topics.
fn crosslingual(
    index: &NewsIndex,
    cfg: &RelatedConfig,
    translations: &[(String, String)],
    relevant: &dyn Fn(&str, &[String]) -> f64,
) -> anyhow::Result<()> {
    println!(
        "languages=any: {} French and German translations of {} Reuters stories, each a source",
        translations.len(),
        translations.len() / 2
    );
    println!();
    println!("| languages | original in first {K} | other translation in first {K} | hits in another language (mean) | P@{K} |");
    println!("|---|---|---|---|---|");
    for languages in [Languages::Same, Languages::Any] {
        let (mut original, mut sibling, mut foreign, mut p10) = (0, 0, 0, 0.0);
        for (id, of) in translations {
            let lang = &id[id.len() - 2..];
            let hits: Vec<String> =
                related_to_id(index, cfg, id, &Filters::default(), K, languages)?
                    .hits
                    .into_iter()
                    .map(|h| h.id)
                    .collect();
            original += usize::from(hits.contains(of));
            let other = if lang == "fr" { "de" } else { "fr" };
            sibling += usize::from(hits.contains(&format!("{of}-{other}")));
            foreign += hits.iter().filter(|h| !h.ends_with(lang)).count();
            p10 += relevant(id, &hits);
        }
        let n = translations.len();
        println!(
            "| {languages:?} | {original} of {n} | {sibling} of {n} | {:.1} | {:.3} |",
            foreign as f64 / n as f64,
            p10 / n as f64
        );
    }
    println!();
    Ok(())
}

fn print_row(name: &str, values: &[f64]) {
    let (mean, min, max) = spread(values);
    let each: Vec<String> = values.iter().map(|v| format!("{v:.3}")).collect();
    println!(
        "| {name} | {mean:.3} ({min:.3}–{max:.3}) | {} |",
        each.join(" ")
    );
}
