//! Property: plain words find, count and score what tantivy's own conjunction does, on random
//! indexes of 10k to 200k articles in several segments with deletions, for random sets of
//! frequent, rare, absent and repeated words.
//!
//! The unit tests beside it use segments of 60 articles: one bit slot, one postings block, no
//! deletion past the first slot. Here the segments span thousands of slots and blocks, with
//! deletions scattered and in runs, so the bitsets, the ranks, the block reads and the alive
//! bitset are all exercised at the sizes production sees.
//!
//! Reproducible: the run is seeded, by default with a fixed seed (CI runs the same cases every
//! time); `NEWSINDEX_WORDS_SEED=<u64>` runs another, and a failure names its seed, index and
//! case. `NEWSINDEX_WORDS_CASES=<n>` searches n word sets per index instead of the default, for
//! a longer hunt (in release: `cargo test --release --lib words::property`).

use std::collections::{HashMap, HashSet};

use rand::rngs::SmallRng;
use rand::{Rng, RngCore, SeedableRng};
use tantivy::collector::{Collector, Count, DocSetCollector, SegmentCollector};
use tantivy::indexer::NoMergePolicy;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    DocAddress, DocId, DocSet, IndexWriter, Score, Searcher, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term, TERMINATED,
};

use super::WordsQuery;
use crate::analysis::Lang;
use crate::config::{Config, SearchConfig};
use crate::index::{schema, Fields, NewsIndex};
use crate::query::{run_search, text, typo, SearchRequest};

const SEED_VAR: &str = "NEWSINDEX_WORDS_SEED";
const CASES_VAR: &str = "NEWSINDEX_WORDS_CASES";
const DEFAULT_SEED: u64 = 0x5eed_2006;

/// Words written in the articles, by Zipf rank; a large tail makes words found in a handful
/// of articles of a 10k index.
const VOCABULARY: usize = 5_000;
/// Words of the queries that no article holds.
const ABSENT: usize = 50;
/// Zipf's exponent: the first word is in nine articles in ten, the last in one in 2400 or so.
const ZIPF: f64 = 1.0;
/// Slots of the Zipf draw table: the rarest word still gets some 45 of them.
const ZIPF_SLOTS: usize = 1 << 21;

/// Scores may differ by this much, relatively. Both sides add the same positive f32 terms
/// (boost × BM25 of each word in each field, from the same `Bm25Weight` and statistics), in
/// another order and with the boost applied at another step: with at most 4 words × 3 fields,
/// that is a dozen roundings of 2^-24 each, under 1e-6 of the score. 1e-5 leaves room, and is
/// far below what any real fault moves (a word's field dropped, a wrong norm, a wrong
/// frequency, another document's score: a few percent at least).
const TOLERANCE: f32 = 1e-5;

/// Hits per page asked of the search, as the API's largest page.
const PAGE: usize = 100;

#[test]
fn plain_words_find_count_and_score_what_tantivys_conjunction_does() {
    let seed = std::env::var(SEED_VAR)
        .ok()
        .map(|s| s.parse::<u64>().expect("NEWSINDEX_WORDS_SEED: a u64"))
        .unwrap_or(DEFAULT_SEED);
    let cases: Option<usize> = std::env::var(CASES_VAR)
        .ok()
        .map(|s| s.parse().expect("NEWSINDEX_WORDS_CASES: a count"));
    let mut rng = SmallRng::seed_from_u64(seed);
    let corpus = Corpus::new(&mut rng);
    let cfg = Config::default().search;
    // One index of 200k articles, searched for many word sets (it is the costly one to build),
    // then smaller ones of random shapes.
    let mut layouts = vec![Layout::random(&mut rng, 200_000, 4, &[0.01, 0.1])];
    for _ in 0..3 {
        let articles = rng.random_range(10_000..=30_000);
        let segments = rng.random_range(1..=4);
        // Some without deletions: segments without an alive bitset take other paths.
        layouts.push(Layout::random(
            &mut rng,
            articles,
            segments,
            &[0.0, 0.002, 0.05, 0.3],
        ));
    }
    let mut stats = Stats::default();
    for (i, layout) in layouts.iter().enumerate() {
        let (index, live_segments) = corpus.build(&mut rng, layout);
        let searcher = index.searcher();
        assert_eq!(
            searcher.segment_readers().len(),
            live_segments,
            "seed {seed}, index {i}: one segment per commit, none wholly deleted"
        );
        let n = cases.unwrap_or(if i == 0 { 80 } else { 20 });
        for case in 0..n {
            let written = corpus.word_set(&mut rng);
            let q = written.join(" ");
            let mut walk = SmallRng::seed_from_u64(rng.random());
            // A panic inside the search names its case too.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                check(&index, &searcher, &cfg, &written, &mut walk, &mut stats)
            }))
            .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_message(&panic))));
            if let Err(e) = outcome {
                panic!(
                    "seed {seed} (rerun with {SEED_VAR}={seed}{}), index {i} {layout}, case \
                     {case}, q = {q:?}: {e}",
                    cases.map_or(String::new(), |n| format!(" {CASES_VAR}={n}"))
                );
            }
        }
    }
    eprintln!(
        "words property, seed {seed}: {} cases ({} on the plain-words path, {} matching \
         nothing, {} more than a page), {} matches compared, largest relative score \
         difference {:e}",
        stats.cases, stats.fast, stats.empty, stats.over_a_page, stats.matches, stats.worst
    );
    // The property must keep testing the fast path: most word sets of two or more words
    // take it (one word, or a word written twice the same way, takes the parser's).
    assert!(stats.fast * 2 > stats.cases, "{stats:?}");
}

#[derive(Debug, Default)]
struct Stats {
    cases: usize,
    fast: usize,
    /// Cases that matched nothing, and more than a page.
    empty: usize,
    over_a_page: usize,
    matches: usize,
    worst: f32,
}

/// What one index looks like: its segments' sizes and what is deleted.
#[derive(Debug)]
struct Layout {
    segments: Vec<usize>,
    /// Share of articles deleted one by one, anywhere.
    scattered: f64,
    /// Runs of consecutive articles deleted (segment, first, length): whole bit slots and
    /// postings blocks.
    runs: Vec<(usize, usize, usize)>,
}

impl Layout {
    /// `articles` in up to `segments` segments, a share `scattered` of them deleted (one at
    /// random) and a few runs.
    fn random(rng: &mut SmallRng, articles: usize, segments: usize, scattered: &[f64]) -> Layout {
        // Cuts anywhere: a segment may be a few hundred articles (one or two blocks) or most
        // of the index.
        let mut cuts: Vec<usize> = (1..segments)
            .map(|_| rng.random_range(200..articles - 200))
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let sizes: Vec<usize> = std::iter::once(0)
            .chain(cuts.iter().copied())
            .zip(cuts.iter().copied().chain(std::iter::once(articles)))
            .map(|(a, b)| b - a)
            .collect();
        let scattered = scattered[rng.random_range(0..scattered.len())];
        let runs = (0..rng.random_range(0..=3))
            .map(|_| {
                let segment = rng.random_range(0..sizes.len());
                let len = rng.random_range(64..=1500).min(sizes[segment]);
                let first = rng.random_range(0..=sizes[segment] - len);
                (segment, first, len)
            })
            .collect();
        Layout {
            segments: sizes,
            scattered,
            runs,
        }
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "(segments {:?}, {}% deleted at random, runs deleted {:?})",
            self.segments,
            self.scattered * 100.0,
            self.runs
        )
    }
}

/// The words of the random articles and queries.
struct Corpus {
    /// By Zipf rank, then the absent ones.
    words: Vec<String>,
    /// The written words' ranks, each in a share of the slots its Zipf weight: a draw is one
    /// lookup, for millions of words in a debug build.
    zipf: Vec<u16>,
    /// The stored article every document carries (only the page's hits are read), its id to
    /// be replaced.
    stored: String,
}

impl Corpus {
    fn new(rng: &mut SmallRng) -> Corpus {
        let mut query = text::query_analyzer(Lang::ENGLISH);
        let mut indexing = schema::text_analyzer(Lang::ENGLISH);
        let (mut words, mut seen) = (Vec::new(), HashSet::new());
        while words.len() < VOCABULARY + ABSENT {
            let syllables = rng.random_range(2..=3);
            let mut w = String::new();
            for _ in 0..syllables {
                w.push(pick(rng, "bdfgklmnprtvz"));
                w.push(pick(rng, "aeiou"));
            }
            w.push(pick(rng, "kmnpt"));
            // Only words the English analyzers leave as they are (no stem, no stop word), in
            // any case: then the reference's terms are the words as written, lowercased.
            let same = |a: &mut tantivy::tokenizer::TextAnalyzer, s: &str| {
                typo::single_token(a, s).as_deref() == Some(w.as_str())
            };
            if seen.insert(w.clone())
                && same(&mut query, &w)
                && same(&mut query, &capitalized(&w))
                && same(&mut indexing, &w)
            {
                words.push(w);
            }
        }
        let weight = |rank: usize| 1.0 / ((rank + 1) as f64).powf(ZIPF);
        let total: f64 = (0..VOCABULARY).map(weight).sum();
        let (mut rank, mut below) = (0, weight(0));
        let zipf = (0..ZIPF_SLOTS)
            .map(|slot| {
                let x = (slot as f64 + 0.5) / ZIPF_SLOTS as f64 * total;
                while x > below && rank + 1 < VOCABULARY {
                    rank += 1;
                    below += weight(rank);
                }
                rank as u16
            })
            .collect();
        let template = crate::index::test_support::from_json(
            serde_json::json!({"id": "ID", "title": "a random article"}),
        );
        Corpus {
            words,
            zipf,
            stored: serde_json::to_string(&template).expect("json"),
        }
    }

    /// A written word's rank, by Zipf's law, avoiding the `banned` ones.
    fn zipf(&self, rng: &mut SmallRng, banned: &[bool]) -> usize {
        loop {
            let rank = self.zipf[rng.next_u32() as usize % ZIPF_SLOTS] as usize;
            if !banned[rank] {
                return rank;
            }
        }
    }

    /// 1 to 4 words: frequent, in between, rare or absent, some written again (the same way,
    /// which the query reads once, or capitalized, which it reads as another word).
    fn word_set(&self, rng: &mut SmallRng) -> Vec<String> {
        let n = [1, 2, 2, 2, 3, 3, 4][rng.random_range(0..7)];
        let mut written: Vec<String> = Vec::with_capacity(n);
        while written.len() < n {
            if !written.is_empty() && rng.random_bool(0.2) {
                let again = written[rng.random_range(0..written.len())].to_lowercase();
                written.push(if rng.random_bool(0.5) {
                    capitalized(&again)
                } else {
                    again
                });
                continue;
            }
            let rank = match rng.random_range(0..100) {
                0..45 => rng.random_range(0..20),
                45..75 => rng.random_range(20..400),
                75..92 => rng.random_range(400..VOCABULARY),
                _ => rng.random_range(VOCABULARY..VOCABULARY + ABSENT),
            };
            let w = &self.words[rank];
            written.push(if rng.random_bool(0.15) {
                capitalized(w)
            } else {
                w.clone()
            });
        }
        written
    }

    /// The random index of `layout`: one commit per segment, no merges, then the deletions
    /// in a last commit.
    /// Also the number of segments left (tantivy drops one whose articles are all deleted).
    fn build(&self, rng: &mut SmallRng, layout: &Layout) -> (NewsIndex, usize) {
        let (index, fields) = crate::index::tantivy_in_ram().expect("index");
        // One thread and a budget no segment reaches: one segment per commit, always the same.
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 1_000_000_000)
            .expect("writer");
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let mut next = 0usize;
        let mut firsts = Vec::new();
        for &size in &layout.segments {
            // Words missing from this segment only: a few at random, and sometimes a frequent
            // one (the plain-words path skips a segment where a word has no list).
            let mut banned: Vec<bool> = (0..VOCABULARY).map(|_| rng.random_bool(0.03)).collect();
            if rng.random_bool(0.5) {
                banned[rng.random_range(0..10)] = true;
            }
            firsts.push(next);
            for _ in 0..size {
                let doc = self.article(rng, &fields, next, &banned);
                writer.add_document(doc).expect("add");
                next += 1;
            }
            writer.commit().expect("commit");
        }
        let (mut deleted, mut live_segments) = (0, 0);
        for (segment, &first) in firsts.iter().enumerate() {
            let before = deleted;
            for n in first..first + layout.segments[segment] {
                let in_run = layout
                    .runs
                    .iter()
                    .any(|&(s, a, len)| s == segment && (a..a + len).contains(&(n - first)));
                if in_run || rng.random_bool(layout.scattered) {
                    writer.delete_term(Term::from_field_text(fields.id, &id(n)));
                    deleted += 1;
                }
            }
            if deleted - before < layout.segments[segment] {
                live_segments += 1;
            }
        }
        writer.commit().expect("commit");
        drop(writer);
        let index = NewsIndex::read_only(index, None).expect("index");
        assert_eq!(index.searcher().num_docs() as usize, next - deleted);
        (index, live_segments)
    }

    fn article(
        &self,
        rng: &mut SmallRng,
        fields: &Fields,
        n: usize,
        banned: &[bool],
    ) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.id, id(n));
        let field = |rng: &mut SmallRng, len: usize| -> Vec<usize> {
            (0..len).map(|_| self.zipf(rng, banned)).collect()
        };
        let title = rng.random_range(1..=6);
        let title = field(rng, title);
        doc.add_text(fields.title, self.text(&title));
        if rng.random_bool(0.4) {
            let summary = rng.random_range(2..=12);
            let summary = field(rng, summary);
            doc.add_text(fields.summary, self.text(&summary));
        }
        if rng.random_bool(0.85) {
            // Mostly short, some long: field norms across their range. Short on average (19
            // words an article, all fields), since indexing them is most of the test's time.
            let len = match rng.random_range(0..100) {
                0..67 => rng.random_range(1..=8),
                67..95 => rng.random_range(9..=40),
                _ => rng.random_range(41..=120),
            };
            let mut body = field(rng, len);
            // Now and then a word many times: frequencies past the score table's.
            if rng.random_bool(0.03) {
                let w = self.zipf(rng, banned);
                let times = rng.random_range(8..=40);
                body.extend(std::iter::repeat_n(w, times));
            }
            doc.add_text(fields.body, self.text(&body));
        }
        doc.add_text(fields.language, "en");
        // Every article its own copy group: the page shows each hit, none folded as a copy.
        doc.add_u64(fields.copy_key, n as u64 + 1);
        doc.add_text(
            fields.stored,
            self.stored.replace("\"ID\"", &format!("\"{}\"", id(n))),
        );
        doc
    }

    /// The words of `ranks`, as the text of an English article's field.
    fn text(&self, ranks: &[usize]) -> String {
        let mut text = crate::analysis::tagged(Lang::ENGLISH, "");
        for (i, &rank) in ranks.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(&self.words[rank]);
        }
        text
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn pick(rng: &mut SmallRng, letters: &str) -> char {
    let letters = letters.as_bytes();
    letters[rng.random_range(0..letters.len())] as char
}

fn capitalized(w: &str) -> String {
    let mut chars = w.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn id(n: usize) -> String {
    format!("d{n:07}")
}

/// tantivy's query for the words as typed: every word must match (a `Must` clause each; a word
/// written twice the same way once, as tantivy's query parser reads it), in any of the text
/// fields, each field's term scored by tantivy's BM25 times the field's boost.
fn reference(fields: &Fields, cfg: &SearchConfig, written: &[String]) -> BooleanQuery {
    let mut distinct: Vec<&String> = Vec::new();
    for w in written {
        if !distinct.contains(&w) {
            distinct.push(w);
        }
    }
    BooleanQuery::new(
        distinct
            .into_iter()
            .map(|w| {
                let any_field = super::word_union(&w.to_lowercase(), fields, cfg);
                let q: Box<dyn Query> = Box::new(any_field);
                (Occur::Must, q)
            })
            .collect(),
    )
}

fn close(a: Score, b: Score) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(b.abs())
}

fn relative(a: Score, b: Score) -> Score {
    (a - b).abs() / a.abs().max(b.abs()).max(Score::MIN_POSITIVE)
}

/// One word set on one index: the query the server builds for it against [`reference`], by
/// every way the server collects it.
fn check(
    index: &NewsIndex,
    searcher: &Searcher,
    cfg: &SearchConfig,
    written: &[String],
    rng: &mut SmallRng,
    stats: &mut Stats,
) -> Result<(), String> {
    let fields = index.fields();
    let q = written.join(" ");
    let err = |e: tantivy::TantivyError| e.to_string();
    let reference = reference(fields, cfg, written);
    let expected = searcher.search(&reference, &EveryScore).map_err(err)?;
    stats.cases += 1;
    stats.matches += expected.len();
    stats.empty += usize::from(expected.is_empty());
    stats.over_a_page += usize::from(expected.len() > PAGE);

    // The page and the total, as a search request gets them.
    let request = SearchRequest {
        q: q.clone(),
        typos: false,
        limit: PAGE,
        ..SearchRequest::default()
    };
    let response = run_search(index, cfg, &request).map_err(|e| e.to_string())?;
    if response.total as usize != expected.len() {
        return Err(format!(
            "search total {} vs {} matches",
            response.total,
            expected.len()
        ));
    }
    let mut page = Vec::with_capacity(response.hits.len());
    for hit in &response.hits {
        let id = TermQuery::new(
            Term::from_field_text(fields.id, &hit.id),
            IndexRecordOption::Basic,
        );
        let found = searcher.search(&id, &DocSetCollector).map_err(err)?;
        let addr = *found
            .iter()
            .next()
            .ok_or(format!("hit {} not found", hit.id))?;
        page.push((hit.score.unwrap_or(Score::NAN), addr, hit.id.as_str()));
    }
    check_page(&page, &expected, stats)?;

    // The query the server builds for these words, collected by the collectors it runs:
    // unscored first (a count, a set of documents), then scored, the query keeping what each
    // pass found for the next.
    let ours = text::text_query(index.index(), fields, cfg, &q, &[Lang::ENGLISH]);
    if ours.as_any().downcast_ref::<WordsQuery>().is_some() {
        stats.fast += 1;
    }
    let docs = searcher
        .search(ours.as_ref(), &DocSetCollector)
        .map_err(err)?;
    let want: HashSet<DocAddress> = expected.keys().copied().collect();
    if docs != want {
        return Err(differ("documents", &docs, &want));
    }
    let count = searcher.search(ours.as_ref(), &Count).map_err(err)?;
    if count != expected.len() {
        return Err(format!("count {count} vs {}", expected.len()));
    }
    let scored = searcher.search(ours.as_ref(), &EveryScore).map_err(err)?;
    let keys: HashSet<DocAddress> = scored.keys().copied().collect();
    if keys != want {
        return Err(differ("scored documents", &keys, &want));
    }
    for (addr, &score) in &scored {
        let theirs = expected[addr];
        stats.worst = stats.worst.max(relative(score, theirs));
        if !close(score, theirs) {
            return Err(format!("{addr:?} scores {score} vs {theirs}"));
        }
    }

    // Document at a time, deleted documents included, as a conjunction or an exclusion (the
    // typo tiers) drives it: advancing and seeking both queries' scorers in step.
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let (a, b) = (
        ours.weight(scoring).map_err(err)?,
        reference.weight(scoring).map_err(err)?,
    );
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        walk(a.as_ref(), b.as_ref(), reader, rng)
            .map_err(|e| format!("segment {ord}, document at a time: {e}"))?;
    }
    Ok(())
}

/// The page (best first) against every match's score: the scores it shows are the matches',
/// it is in their order wherever they differ by more than the tolerance, and no match left
/// out scores above its last hit by more than that.
fn check_page(
    page: &[(Score, DocAddress, &str)],
    expected: &HashMap<DocAddress, Score>,
    stats: &mut Stats,
) -> Result<(), String> {
    if page.len() != expected.len().min(PAGE) {
        return Err(format!(
            "{} hits for {} matches",
            page.len(),
            expected.len()
        ));
    }
    let mut shown = HashSet::new();
    for (i, &(score, addr, id)) in page.iter().enumerate() {
        let theirs = *expected
            .get(&addr)
            .ok_or(format!("hit {i} ({id}) does not match"))?;
        stats.worst = stats.worst.max(relative(score, theirs));
        if !close(score, theirs) {
            return Err(format!("hit {i} ({id}) scores {score} vs {theirs}"));
        }
        if !shown.insert(addr) {
            return Err(format!("hit {i} ({id}) shown twice"));
        }
        if let Some(&(before, _, before_id)) = i.checked_sub(1).map(|j| &page[j]) {
            // The page's own order: score, then id among equal scores.
            if score > before || (score == before && id < before_id) {
                return Err(format!(
                    "hit {i} ({id}, {score}) after {before_id} ({before})"
                ));
            }
        }
    }
    for (i, &(_, a, id)) in page.iter().enumerate() {
        for &(_, b, later) in &page[i + 1..] {
            if expected[&b] > expected[&a] && !close(expected[&b], expected[&a]) {
                return Err(format!(
                    "{id} ({}) ranked above {later} ({})",
                    expected[&a], expected[&b]
                ));
            }
        }
    }
    if let Some(&(_, last, id)) = page.last() {
        let floor = expected[&last];
        if let Some((addr, &score)) = expected
            .iter()
            .filter(|(addr, _)| !shown.contains(*addr))
            .find(|(_, &s)| s > floor && !close(s, floor))
        {
            return Err(format!(
                "{addr:?} ({score}) left off a page ending at {id} ({floor})"
            ));
        }
    }
    Ok(())
}

/// Walks the scorers of `ours` and `theirs` on one segment together, mostly advancing, now
/// and then seeking ahead, comparing the document and its score at every step.
fn walk(
    ours: &dyn Weight,
    theirs: &dyn Weight,
    reader: &SegmentReader,
    rng: &mut SmallRng,
) -> tantivy::Result<()> {
    let (mut a, mut b) = (ours.scorer(reader, 1.0)?, theirs.scorer(reader, 1.0)?);
    loop {
        let (x, y) = (a.doc(), b.doc());
        if x != y {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "at document {x} vs {y}"
            )));
        }
        if x == TERMINATED {
            return Ok(());
        }
        let (s, t) = (a.score(), b.score());
        if !close(s, t) {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {x} scores {s} vs {t}"
            )));
        }
        if rng.random_bool(0.7) {
            a.advance();
            b.advance();
        } else {
            // Within the slot, a few slots on, or blocks on.
            let target: DocId = x + [1, 2, 40, 300, 5_000][rng.random_range(0..5)];
            a.seek(target.min(reader.max_doc()));
            b.seek(target.min(reader.max_doc()));
        }
    }
}

fn differ(what: &str, ours: &HashSet<DocAddress>, theirs: &HashSet<DocAddress>) -> String {
    let extra: Vec<_> = ours.difference(theirs).take(5).collect();
    let missing: Vec<_> = theirs.difference(ours).take(5).collect();
    format!(
        "{what}: {} vs {}; not expected {extra:?}…, missing {missing:?}…",
        ours.len(),
        theirs.len()
    )
}

/// Every live match with its score, collected as tantivy's default collection does (each
/// match through `for_each`, deleted ones skipped).
struct EveryScore;

struct SegmentScores {
    segment: SegmentOrdinal,
    scores: Vec<(DocAddress, Score)>,
}

impl Collector for EveryScore {
    type Fruit = HashMap<DocAddress, Score>;
    type Child = SegmentScores;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _: &SegmentReader,
    ) -> tantivy::Result<SegmentScores> {
        Ok(SegmentScores {
            segment,
            scores: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Vec<(DocAddress, Score)>>,
    ) -> tantivy::Result<HashMap<DocAddress, Score>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentScores {
    type Fruit = Vec<(DocAddress, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.scores
            .push((DocAddress::new(self.segment, doc), score));
    }

    fn harvest(self) -> Self::Fruit {
        self.scores
    }
}
