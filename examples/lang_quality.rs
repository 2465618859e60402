//! Search quality per language on Universal Dependencies treebanks (`data/ud/`): does a search
//! for a word find the documents that contain it, in German, French, Russian, Chinese, Japanese,
//! Korean and Vietnamese?
//!
//! - Documents: `--sentences` consecutive sentences of one treebank each (default 4), all seven
//!   languages in one index built in a temporary directory, `language` set, id `ud-de-0012`;
//!   the title is the first sentence and the body the others (their `# text` lines), with an
//!   empty entity list so that the English entity extractor does not run.
//! - Queries: content words (UPOS NOUN, PROPN, VERB, ADJ) as written in one document (the
//!   surface form; for Korean the first morpheme of the lemma, `서울` of `서울+에서`), without
//!   forms that have no letter, nor forms of one character in de/fr/ru/vi, nor forms absent
//!   from their document's text (a word inside a contraction such as French `du` = `de le`).
//!   Per language and seed, `--queries` distinct (document, query) pairs are drawn at random.
//! - Relevant, among documents of the query's language: for de/fr/ru every document with a
//!   word of the same lemma (lowercased); for zh/ja/ko every document whose text contains the
//!   query (lowercased); for vi every document whose text contains it as whole syllables
//!   (lowercased: `an` is in `an toàn` but not in `ban`, a different syllable).
//! - Measured per query: recall (share of the relevant documents the search matches at all,
//!   every page), P@10 (relevant hits among those shown in the top 10, over how many are shown;
//!   0 without hits) and success@10 (its own document is in the top 10). Means over queries,
//!   then mean and min–max over seeds.
//! - Each query runs four ways: with its language given (the `language` filter, which is also
//!   how a query's analysis language is to be chosen) or not (analysed by its script), with
//!   typo tolerance on or off.
//! - `--split tune` draws queries from even-numbered documents, `--split report` (the default)
//!   from odd-numbered ones; every document is indexed and judged either way. Tune on one,
//!   report the other.
//!
//! ```text
//! cargo run --release --example lang_quality -- [--split tune|report] [--queries 200]
//!     [--seeds 1,2,3,4,5] [--sentences 4] [--lang de,fr,…] [--json] [--show N]
//!     [--data data/ud]
//! ```
//!
//! `--show N` prints N queries per language in detail (first seed, language given, typos on).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "sampling/mod.rs"]
mod sampling;
#[path = "ud/mod.rs"]
mod ud;

use anyhow::{bail, ensure, Context};
use newsindex::config::{Config, SearchConfig};
use newsindex::index::{document, BulkIndexer};
use newsindex::query::{run_search, SearchRequest};
use newsindex::{Article, NewsIndex};
use serde_json::json;
use ud::{read_conllu, Sentence};

/// How a language's queries are made and judged.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Words between spaces, inflected: relevance by lemma.
    Inflected,
    /// No spaces between words: relevance by the query's characters anywhere in the text.
    Unspaced,
    /// Korean: particles and endings are written onto the word, so the query is the lemma's
    /// first morpheme and relevance is that morpheme anywhere in the text.
    Agglutinative,
    /// Vietnamese: a word is one or more syllables between spaces; relevance by whole
    /// syllables.
    Syllabic,
}

struct Language {
    code: &'static str,
    files: &'static [&'static str],
    kind: Kind,
}

const LANGUAGES: [Language; 7] = [
    Language {
        code: "de",
        files: &["de_gsd-ud-dev.conllu.gz"],
        kind: Kind::Inflected,
    },
    Language {
        code: "fr",
        files: &["fr_gsd-ud-dev.conllu.gz"],
        kind: Kind::Inflected,
    },
    Language {
        code: "ru",
        files: &["ru_gsd-ud-dev.conllu.gz"],
        kind: Kind::Inflected,
    },
    Language {
        code: "zh",
        files: &["zh_gsdsimp-ud-dev.conllu.gz"],
        kind: Kind::Unspaced,
    },
    Language {
        code: "ja",
        files: &["ja_gsd-ud-dev.conllu.gz"],
        kind: Kind::Unspaced,
    },
    Language {
        code: "ko",
        files: &["ko_gsd-ud-dev.conllu.gz"],
        kind: Kind::Agglutinative,
    },
    Language {
        code: "vi",
        files: &["vi_vtb-ud-dev.conllu.gz", "vi_vtb-ud-train.conllu.gz"],
        kind: Kind::Syllabic,
    },
];

const CONTENT_UPOS: [&str; 4] = ["NOUN", "PROPN", "VERB", "ADJ"];
const K: usize = 10;

/// One way of running every query.
#[derive(Debug, Clone, Copy)]
struct Mode {
    language_given: bool,
    typos: bool,
}

const MODES: [Mode; 4] = [
    Mode {
        language_given: true,
        typos: true,
    },
    Mode {
        language_given: true,
        typos: false,
    },
    Mode {
        language_given: false,
        typos: true,
    },
    Mode {
        language_given: false,
        typos: false,
    },
];

struct Options {
    split: String,
    queries: usize,
    seeds: Vec<u64>,
    sentences: usize,
    langs: Vec<usize>,
    json: bool,
    /// Queries per language to print in detail (first seed, language given, typos on).
    show: usize,
    data: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let opts = parse_args()?;
    let parity = match opts.split.as_str() {
        "tune" => 0,
        "report" => 1,
        other => bail!("--split must be tune or report, got {other}"),
    };

    // Every language is indexed, whichever are measured: an unfiltered search must meet the
    // other languages' documents, as it would in a real multilingual index.
    let mut docs: Vec<Doc> = Vec::new();
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut sentence_counts: Vec<usize> = Vec::new();
    for (l, lang) in LANGUAGES.iter().enumerate() {
        let mut sentences = Vec::new();
        for file in lang.files {
            sentences.extend(read_conllu(&opts.data.join(file))?);
        }
        sentence_counts.push(sentences.len());
        let start = docs.len();
        docs.extend(build_documents(l, sentences, opts.sentences));
        ranges.push(start..docs.len());
    }

    let tmp = tempfile::tempdir()?;
    let mut bulk = BulkIndexer::open(tmp.path(), 2, 256)?;
    let mut copy_keys: Vec<u64> = Vec::with_capacity(docs.len());
    for doc in &docs {
        let article = to_article(doc)?;
        copy_keys.push(document::copy_key(&article));
        bulk.add(&article)?;
    }
    bulk.finish()?;
    let index = NewsIndex::open_read_only(tmp.path())?;
    let ids: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    // Documents with the same words are wire copies to the engine: it shows one and counts
    // the others, so the others' ids are needed to credit them.
    let mut copies: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, &key) in copy_keys.iter().enumerate() {
        copies.entry(key).or_default().push(i);
    }
    copies.retain(|_, group| group.len() > 1);
    let index_secs = started.elapsed().as_secs_f64();

    let config = Config::default();
    let search = Engine {
        index: &index,
        cfg: &config.search,
        docs: &docs,
        ids: &ids,
        copy_keys: &copy_keys,
        copies: &copies,
    };
    let mut reports: Vec<LanguageReport> = opts
        .langs
        .iter()
        .map(|&l| {
            let range = ranges[l].clone();
            let pool = candidates(LANGUAGES[l].kind, &docs, range.clone(), parity);
            LanguageReport {
                lang: l,
                sentences: sentence_counts[l],
                documents: range.len(),
                split_documents: range.filter(|&d| docs[d].number % 2 == parity).count(),
                queries: opts.queries.min(pool.len()),
                pool,
                per_seed: vec![Vec::new(); MODES.len()],
                mismatched_totals: 0,
            }
        })
        .collect();
    print_sample(&opts, &reports, &copies, docs.len());

    for report in &mut reports {
        let lang = &LANGUAGES[report.lang];
        let range = ranges[report.lang].clone();
        // Seeds draw overlapping samples: each pair is judged once.
        let mut judged: HashMap<usize, HashSet<usize>> = HashMap::new();
        let mut detailed = 0;
        for &seed in &opts.seeds {
            let sample = draw(&report.pool, opts.queries, seed, report.lang);
            let mut sums = vec![Scores::default(); MODES.len()];
            for &p in &sample {
                let query = &report.pool[p];
                let relevant = judged
                    .entry(p)
                    .or_insert_with(|| relevant(lang.kind, query, &docs, range.clone()));
                for (m, mode) in MODES.iter().enumerate() {
                    let outcome = search.measure(lang.code, query, relevant, *mode)?;
                    sums[m].add(&outcome.scores());
                    report.mismatched_totals +=
                        usize::from(outcome.matched as u64 != outcome.total);
                    if m == 0 && seed == opts.seeds[0] && detailed < opts.show {
                        detailed += 1;
                        print_detail(lang.code, query, &docs, &outcome);
                    }
                }
            }
            for (m, sum) in sums.iter().enumerate() {
                report.per_seed[m].push(sum.mean(sample.len()));
            }
        }
    }

    print_results(&reports);
    println!(
        "took {:.1} s ({:.1} s reading and indexing)",
        started.elapsed().as_secs_f64(),
        index_secs
    );
    if opts.json {
        println!("{}", to_json(&opts, &reports));
    }
    index.shutdown_blocking()?;
    Ok(())
}

fn parse_args() -> anyhow::Result<Options> {
    let mut opts = Options {
        split: "report".to_string(),
        queries: 200,
        seeds: vec![1, 2, 3, 4, 5],
        sentences: 4,
        langs: (0..LANGUAGES.len()).collect(),
        json: false,
        show: 0,
        data: Path::new(env!("CARGO_MANIFEST_DIR")).join("data/ud"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--split" => opts.split = value()?,
            "--queries" => opts.queries = value()?.parse()?,
            "--seeds" => {
                opts.seeds = value()?
                    .split(',')
                    .map(|s| s.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--sentences" => opts.sentences = value()?.parse()?,
            "--lang" => {
                opts.langs = value()?
                    .split(',')
                    .map(|code| {
                        LANGUAGES
                            .iter()
                            .position(|l| l.code == code.trim())
                            .with_context(|| format!("--lang: no language {code:?}"))
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            "--json" => opts.json = true,
            "--show" => opts.show = value()?.parse()?,
            "--data" => opts.data = PathBuf::from(value()?),
            other => bail!("unknown flag {other}"),
        }
    }
    ensure!(opts.sentences > 0, "--sentences must be at least 1");
    ensure!(!opts.seeds.is_empty(), "--seeds needs at least one seed");
    Ok(opts)
}

// ---- documents ----

struct Doc {
    id: String,
    lang: usize,
    /// Position among its language's documents; its parity decides the split.
    number: usize,
    sentences: Vec<Sentence>,
    /// Title and body lowercased, one sentence a line, so that no query is found across two
    /// sentences that the engine sees apart.
    text: String,
    /// Every word's lemma, lowercased.
    lemmas: HashSet<String>,
}

fn build_documents(lang: usize, sentences: Vec<Sentence>, per_doc: usize) -> Vec<Doc> {
    let code = LANGUAGES[lang].code;
    sentences
        .chunks(per_doc)
        .enumerate()
        .map(|(number, chunk)| Doc {
            id: format!("ud-{code}-{number:04}"),
            lang,
            number,
            text: chunk
                .iter()
                .map(|s| s.text.to_lowercase())
                .collect::<Vec<_>>()
                .join("\n"),
            lemmas: chunk
                .iter()
                .flat_map(|s| &s.words)
                .map(|w| w.lemma.to_lowercase())
                .collect(),
            sentences: chunk.to_vec(),
        })
        .collect()
}

/// The article of a document, through the wire form's validation like any client's.
fn to_article(doc: &Doc) -> anyhow::Result<Article> {
    let body: Vec<&str> = doc.sentences[1..].iter().map(|s| s.text.as_str()).collect();
    let wire = json!({
        "id": doc.id,
        "title": doc.sentences[0].text,
        "body": body.join("\n"),
        "language": LANGUAGES[doc.lang].code,
        // Given (if empty), so that the English entity extractor is not asked.
        "entities": [],
    });
    Ok(
        newsindex::article::parse_article_json(wire.to_string().as_bytes())
            .and_then(|input| input.into_article(|_, _, _| vec![]))?,
    )
}

// ---- queries ----

/// A (document, query) pair.
struct Query {
    doc: usize,
    q: String,
    /// For inflected languages, the lemmas of the content words written `q` in the document
    /// (usually one; two when the form is ambiguous there, and then either reading counts).
    lemmas: BTreeSet<String>,
}

/// Every distinct (document, query) pair of the split, in document and text order.
fn candidates(kind: Kind, docs: &[Doc], range: Range<usize>, parity: usize) -> Vec<Query> {
    // Where words are delimited, one letter is an initial or a clitic rather than a word;
    // where they are not, one character is often a whole word (人, 有, 하).
    let min_chars = match kind {
        Kind::Inflected | Kind::Syllabic => 2,
        Kind::Unspaced | Kind::Agglutinative => 1,
    };
    let mut out = Vec::new();
    for d in range.filter(|&d| docs[d].number % 2 == parity) {
        let doc = &docs[d];
        let mut order: Vec<String> = Vec::new();
        let mut lemmas: HashMap<String, BTreeSet<String>> = HashMap::new();
        for w in doc.sentences.iter().flat_map(|s| &s.words) {
            if !CONTENT_UPOS.contains(&w.upos.as_str()) {
                continue;
            }
            let q = match kind {
                Kind::Agglutinative => w.lemma.split('+').next().unwrap_or_default(),
                _ => w.form.as_str(),
            };
            if !q.chars().any(char::is_alphabetic)
                || q.chars().count() < min_chars
                || !occurs_in(kind, &q.to_lowercase(), &doc.text)
            {
                continue;
            }
            let entry = lemmas.entry(q.to_string()).or_insert_with(|| {
                order.push(q.to_string());
                BTreeSet::new()
            });
            if kind == Kind::Inflected {
                entry.insert(w.lemma.to_lowercase());
            }
        }
        out.extend(order.into_iter().map(|q| Query {
            doc: d,
            lemmas: lemmas.remove(&q).unwrap_or_default(),
            q,
        }));
    }
    out
}

/// Whether lowercased `q` is written in lowercased `text`: as whole words where words are
/// delimited (a form of de/fr/ru, syllables of vi), anywhere otherwise.
fn occurs_in(kind: Kind, q: &str, text: &str) -> bool {
    match kind {
        Kind::Unspaced | Kind::Agglutinative => text.contains(q),
        Kind::Inflected | Kind::Syllabic => text.match_indices(q).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + q.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        }),
    }
}

/// The positions of `n` pairs drawn without replacement. Each language has its own stream,
/// so `--lang de` draws the same German queries as a run over all languages.
fn draw(pool: &[Query], n: usize, seed: u64, lang: usize) -> Vec<usize> {
    sampling::draw(pool.len(), n, seed ^ ((lang as u64 + 1) << 32))
}

/// The documents of the query's language that a reader would count as containing it.
fn relevant(kind: Kind, query: &Query, docs: &[Doc], range: Range<usize>) -> HashSet<usize> {
    let q = query.q.to_lowercase();
    range
        .filter(|&d| match kind {
            Kind::Inflected => query.lemmas.iter().any(|l| docs[d].lemmas.contains(l)),
            _ => occurs_in(kind, &q, &docs[d].text),
        })
        .collect()
}

// ---- measuring ----

#[derive(Debug, Clone, Copy, Default)]
struct Scores {
    recall: f64,
    p10: f64,
    success: f64,
    /// success@10 of a ranking that shows 10 of the relevant documents, chosen without
    /// preference: 1 with at most 10 of them, else 10/relevant. The relevance judgement gives
    /// no reason to rank the query's own document above the others that contain its word, so
    /// this is what a perfect ranking can be expected to reach.
    ceiling: f64,
}

impl Scores {
    fn add(&mut self, o: &Scores) {
        self.recall += o.recall;
        self.p10 += o.p10;
        self.success += o.success;
        self.ceiling += o.ceiling;
    }

    fn mean(&self, n: usize) -> Scores {
        let n = n.max(1) as f64;
        Scores {
            recall: self.recall / n,
            p10: self.p10 / n,
            success: self.success / n,
            ceiling: self.ceiling / n,
        }
    }
}

struct Engine<'a> {
    index: &'a NewsIndex,
    cfg: &'a SearchConfig,
    docs: &'a [Doc],
    ids: &'a HashMap<&'a str, usize>,
    copy_keys: &'a [u64],
    copies: &'a HashMap<u64, Vec<usize>>,
}

impl Engine<'_> {
    /// Runs one query in one mode and compares what it matched and showed with `relevant`.
    fn measure(
        &self,
        code: &str,
        query: &Query,
        relevant: &HashSet<usize>,
        mode: Mode,
    ) -> anyhow::Result<Outcome> {
        let mut req = SearchRequest {
            q: query.q.clone(),
            limit: K,
            typos: mode.typos,
            ..SearchRequest::default()
        };
        if mode.language_given {
            req.filters.language = vec![code.to_string()];
        }
        let top = run_search(self.index, self.cfg, &req)?;
        let shown: Vec<usize> = top.hits.iter().map(|h| self.ids[h.id.as_str()]).collect();
        // The whole result list, for recall: one request as long as the total (the HTTP API
        // caps `limit` at 100; the library does not).
        let all = if top.next.is_some() {
            req.limit = top.total as usize;
            run_search(self.index, self.cfg, &req)?
        } else {
            top
        };
        let mut matched: HashSet<usize> = HashSet::new();
        for hit in &all.hits {
            let d = self.ids[hit.id.as_str()];
            matched.insert(d);
            if hit.copies > 0 {
                let group = &self.copies[&self.copy_keys[d]];
                matched.extend(group.iter().filter(|&&o| {
                    !mode.language_given || LANGUAGES[self.docs[o].lang].code == code
                }));
            }
        }
        Ok(Outcome {
            relevant: relevant.len(),
            matched: matched.len(),
            total: all.total,
            relevant_matched: relevant.intersection(&matched).count(),
            shown: shown.len(),
            shown_relevant: shown.iter().filter(|d| relevant.contains(d)).count(),
            found: shown.contains(&query.doc),
        })
    }
}

/// What one search matched and showed, against the relevant documents.
struct Outcome {
    relevant: usize,
    matched: usize,
    /// The engine's count of matches, which `matched` should equal.
    total: u64,
    relevant_matched: usize,
    shown: usize,
    shown_relevant: usize,
    /// The query's own document is shown.
    found: bool,
}

impl Outcome {
    fn scores(&self) -> Scores {
        Scores {
            recall: self.relevant_matched as f64 / self.relevant.max(1) as f64,
            p10: if self.shown == 0 {
                0.0
            } else {
                self.shown_relevant as f64 / self.shown as f64
            },
            success: f64::from(u8::from(self.found)),
            ceiling: (K as f64 / self.relevant.max(1) as f64).min(1.0),
        }
    }
}

// ---- reporting ----

struct LanguageReport {
    lang: usize,
    sentences: usize,
    documents: usize,
    split_documents: usize,
    /// Every (document, query) pair of the split.
    pool: Vec<Query>,
    /// Queries drawn per seed.
    queries: usize,
    /// Per mode, per seed: means over the seed's queries.
    per_seed: Vec<Vec<Scores>>,
    /// Searches whose matched documents did not add up to their `total`.
    mismatched_totals: usize,
}

/// Mean, min and max over seeds.
fn spread(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    sampling::spread(&values.collect::<Vec<f64>>())
}

fn mode_name(mode: Mode) -> (&'static str, &'static str) {
    (
        if mode.language_given { "given" } else { "none" },
        if mode.typos { "on" } else { "off" },
    )
}

fn print_sample(
    opts: &Options,
    reports: &[LanguageReport],
    copies: &HashMap<u64, Vec<usize>>,
    indexed: usize,
) {
    let seeds: Vec<String> = opts.seeds.iter().map(u64::to_string).collect();
    println!(
        "lang_quality: split {} (queries from {}-numbered documents), seeds {}, up to {} queries per language and seed, {} sentences per document, {indexed} documents indexed",
        opts.split,
        if opts.split == "tune" { "even" } else { "odd" },
        seeds.join(","),
        opts.queries,
        opts.sentences,
    );
    if !copies.is_empty() {
        let docs: usize = copies.values().map(Vec::len).sum();
        println!(
            "note: {docs} documents in {} groups share their words (the engine shows one of each)",
            copies.len()
        );
    }
    println!();
    println!(
        "| lang | sentences | documents | in split | (document, query) pairs | queries per seed |"
    );
    println!("|---|---|---|---|---|---|");
    for r in reports {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            LANGUAGES[r.lang].code,
            r.sentences,
            r.documents,
            r.split_documents,
            r.pool.len(),
            r.queries,
        );
    }
    println!();
}

fn print_detail(code: &str, query: &Query, docs: &[Doc], o: &Outcome) {
    println!(
        "{code} {:?} from {}: relevant {}, matched {} (relevant {}), top {K}: {} of {} relevant, own document {}",
        query.q,
        docs[query.doc].id,
        o.relevant,
        o.matched,
        o.relevant_matched,
        o.shown_relevant,
        o.shown,
        if o.found { "shown" } else { "not shown" },
    );
}

fn print_results(reports: &[LanguageReport]) {
    println!("Mean over queries, then over seeds (min–max over seeds). language: the query's language given as filter, or none.");
    println!();
    println!("success ceiling: what a ranking that shows any 10 of the relevant documents reaches (1, or 10/relevant when more are relevant).");
    println!();
    println!("| lang | language | typos | recall | P@10 | success@10 | success ceiling |");
    println!("|---|---|---|---|---|---|---|");
    for r in reports {
        for (m, mode) in MODES.iter().enumerate() {
            let (given, typos) = mode_name(*mode);
            let cell = |f: fn(&Scores) -> f64| {
                let (mean, min, max) = spread(r.per_seed[m].iter().map(f));
                format!("{mean:.3} ({min:.3}–{max:.3})")
            };
            println!(
                "| {} | {given} | {typos} | {} | {} | {} | {} |",
                LANGUAGES[r.lang].code,
                cell(|s| s.recall),
                cell(|s| s.p10),
                cell(|s| s.success),
                cell(|s| s.ceiling)
            );
        }
    }
    let mismatched: usize = reports.iter().map(|r| r.mismatched_totals).sum();
    if mismatched > 0 {
        println!();
        println!(
            "warning: {mismatched} searches matched a number of documents other than their total"
        );
    }
}

fn to_json(opts: &Options, reports: &[LanguageReport]) -> serde_json::Value {
    let stat = |values: Vec<f64>| {
        let (mean, min, max) = spread(values.iter().copied());
        json!({"mean": mean, "min": min, "max": max, "per_seed": values})
    };
    let languages: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let modes: Vec<serde_json::Value> = MODES
                .iter()
                .enumerate()
                .map(|(m, mode)| {
                    let seeds = &r.per_seed[m];
                    json!({
                        "language_given": mode.language_given,
                        "typos": mode.typos,
                        "recall": stat(seeds.iter().map(|s| s.recall).collect()),
                        "p_at_10": stat(seeds.iter().map(|s| s.p10).collect()),
                        "success_at_10": stat(seeds.iter().map(|s| s.success).collect()),
                        "success_ceiling": stat(seeds.iter().map(|s| s.ceiling).collect()),
                    })
                })
                .collect();
            json!({
                "lang": LANGUAGES[r.lang].code,
                "sentences": r.sentences,
                "documents": r.documents,
                "documents_in_split": r.split_documents,
                "candidate_pairs": r.pool.len(),
                "queries_per_seed": r.queries,
                "mismatched_totals": r.mismatched_totals,
                "modes": modes,
            })
        })
        .collect();
    json!({
        "split": opts.split,
        "seeds": opts.seeds,
        "queries": opts.queries,
        "sentences_per_document": opts.sentences,
        "languages": languages,
    })
}
