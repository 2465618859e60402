//! Plain words (`oil prices`): what a search box sends most. Each word must be found in the
//! title, the summary or the body, and a match scores what the query parser's query scores:
//! the sum over words and fields of the field's boost × BM25.
//!
//! The parser's query is a conjunction of one three-field union per word. tantivy runs it
//! document at a time: the conjunction seeks each union, and a union refills its window at
//! every far seek, which made two common words cost 2.3 ms per million articles just to count.
//! Here each segment is read list at a time instead: every word's three postings lists mark
//! the word's bit in one byte per document (eight words at a time), the documents every word
//! marked become a bitset (so counting is a popcount), the search's filters clear the bits of
//! what they reject, and only then, when scores are wanted, are the lists read a second time,
//! with term frequencies, adding each matching posting's score to its document's slot. Memory
//! per segment while it is read: one byte per document; kept: one bit per document, one `f32`
//! per matching document.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::{
    Bm25Weight, BooleanQuery, BoostQuery, EnableScoring, Explanation, Occur, Query, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocId, DocSet, Score, Searcher, SeekDangerResult, SegmentReader, Term, TERMINATED};

use crate::config::SearchConfig;
use crate::index::Fields;

/// Words the query parser reads as operators; a query holding one takes the parser's path.
const OPERATORS: [&str; 5] = ["AND", "OR", "NOT", "IN", "TO"];

/// A conjunction of words, each a disjunction of its term in the text fields.
#[derive(Debug)]
pub struct WordsQuery {
    /// Per word, its term in each text field with the field's boost.
    words: Vec<Vec<(Term, Score)>>,
    /// What each segment matched, by searcher generation, shared by the clones of the query:
    /// one search runs it more than once (the page, then the page's copy counts or a
    /// disjunctive facet with other filters). Scores are kept as the first scoring run
    /// computed them, with its statistics provider (the searcher, in every search).
    memo: Arc<Memo>,
    /// What the words alone matched in each segment, before any filter, shared with the
    /// query's filtered variants too: a disjunctive facet's pass leaves one filter out, and
    /// reading the words' lists again cost it a quarter of its time.
    found: Arc<Found>,
    /// Filters every match must also pass (they narrow, they do not score).
    filters: Vec<Box<dyn Query>>,
}

/// Per-segment results shared by the clones of a query.
struct Kept<K, V>(Mutex<HashMap<K, Arc<V>>>);

/// What each segment matched, by searcher generation and segment (scores depend on the
/// commit's statistics).
type Memo = Kept<(u64, SegmentId), Matches>;

/// What the words alone matched, by segment (a segment's lists never change).
type Found = Kept<SegmentId, Vec<u64>>;

impl<K: Eq + std::hash::Hash, V> Kept<K, V> {
    fn get(&self, key: &K) -> Option<Arc<V>> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn insert(&self, key: K, value: Arc<V>) {
        if let Ok(mut kept) = self.0.lock() {
            kept.insert(key, value);
        }
    }
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept(Mutex::new(HashMap::new()))
    }
}

impl<K, V> std::fmt::Debug for Kept<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kept")
    }
}

/// The matching documents of one segment.
struct Matches {
    bits: Vec<u64>,
    /// `ranks[i]`: matching documents before slot `i`, so a document's place is one popcount.
    ranks: Vec<u32>,
    total: u32,
    /// Score of the n-th matching document, when scoring was on.
    scores: Option<Vec<Score>>,
}

impl WordsQuery {
    /// The query for `q` when it is two or more plain words: words of letters and digits
    /// only, none an operator, each one token under `analyzer` (a word the analyzer splits,
    /// drops or that the grammar reads otherwise goes to the parser, which handles every case).
    pub fn parse(
        q: &str,
        analyzer: &mut TextAnalyzer,
        fields: &Fields,
        cfg: &SearchConfig,
    ) -> Option<WordsQuery> {
        let words: Vec<Vec<(Term, Score)>> = plain_tokens(q, analyzer)?
            .into_iter()
            .map(|token| {
                text_fields(fields, cfg)
                    .into_iter()
                    .map(|(field, boost)| (Term::from_field_text(field, &token), boost))
                    .collect()
            })
            .collect();
        // One word is a plain union of three lists, which tantivy already runs well.
        (words.len() > 1).then(|| WordsQuery {
            words,
            memo: Arc::default(),
            found: Arc::default(),
            filters: Vec::new(),
        })
    }
}

/// When `q` is a single plain word (the parser makes it a union of its three lists), the most
/// articles of `searcher` one of its text fields holds it in: a lower bound of its matches.
pub fn one_word_matches(
    searcher: &Searcher,
    q: &str,
    analyzer: &mut TextAnalyzer,
    fields: &Fields,
) -> Option<u64> {
    let token = lone_token(q, analyzer)?;
    text_doc_freqs(searcher, fields, &token).into_iter().max()
}

/// How many articles of `searcher` hold the analysed `token` in each text field (title,
/// summary, body).
pub(crate) fn text_doc_freqs(searcher: &Searcher, fields: &Fields, token: &str) -> [u64; 3] {
    [fields.title, fields.summary, fields.body].map(|field| {
        searcher
            .doc_freq(&Term::from_field_text(field, token))
            .unwrap_or(0)
    })
}

/// The analysed token of `q` when it is a single plain word.
fn lone_token(q: &str, analyzer: &mut TextAnalyzer) -> Option<String> {
    if q.split_whitespace().count() != 1 {
        return None;
    }
    plain_tokens(q, analyzer)?.pop()
}

/// The query parser's query for `q` when it is one plain word, built without the parser (whose
/// grammar and per-field analysis were ~5% of a one-word search's CPU at 8 clients): the
/// union of the word's term in title, summary and body, each boosted by its field's boost,
/// as [`super::text::parser`] makes it (same matches, same scores: `one_word_is_the_parsers_query`).
pub fn one_word_query(
    q: &str,
    analyzer: &mut TextAnalyzer,
    fields: &Fields,
    cfg: &SearchConfig,
) -> Option<BooleanQuery> {
    let token = lone_token(q, analyzer)?;
    Some(word_union(&token, fields, cfg))
}

/// The text fields a word is searched in, each with its boost.
fn text_fields(fields: &Fields, cfg: &SearchConfig) -> [(Field, Score); 3] {
    [
        (fields.title, cfg.title_boost),
        (fields.summary, cfg.summary_boost),
        (fields.body, cfg.body_boost),
    ]
}

/// One analysed word's term in every text field, each boosted by its field's boost (unboosted
/// at 1, as the parser leaves it): the query parser's query for a plain word.
pub(crate) fn word_union(token: &str, fields: &Fields, cfg: &SearchConfig) -> BooleanQuery {
    let clauses = text_fields(fields, cfg)
        .into_iter()
        .map(|(field, boost)| {
            let term = TermQuery::new(
                Term::from_field_text(field, token),
                IndexRecordOption::WithFreqs,
            );
            let query: Box<dyn Query> = if boost == 1.0 {
                Box::new(term)
            } else {
                Box::new(BoostQuery::new(Box::new(term), boost))
            };
            (Occur::Should, query)
        })
        .collect();
    BooleanQuery::new(clauses)
}

/// The tokens of `q`'s words when all are plain, a word written again the same way once (as
/// in the parser's query).
fn plain_tokens(q: &str, analyzer: &mut TextAnalyzer) -> Option<Vec<String>> {
    let (mut tokens, mut seen) = (Vec::new(), Vec::new());
    for word in q.split_whitespace() {
        if OPERATORS.contains(&word) || !word.chars().all(char::is_alphanumeric) {
            return None;
        }
        let token = super::typo::single_token(analyzer, word)?;
        if !seen.contains(&word) {
            seen.push(word);
            tokens.push(token);
        }
    }
    Some(tokens)
}

impl Clone for WordsQuery {
    fn clone(&self) -> Self {
        WordsQuery {
            words: self.words.clone(),
            memo: self.memo.clone(),
            found: self.found.clone(),
            filters: self.filters.iter().map(|f| f.box_clone()).collect(),
        }
    }
}

impl WordsQuery {
    /// The same words, matching only what also passes every one of `filters`.
    ///
    /// A conjunction of the words and the filters visited each match twice, once to seek it in
    /// the filters and once to score it; here the filters clear the bits of what they reject
    /// before anything is scored (two words and a date range: a third of the matches are
    /// scored). Filters do not add to the score.
    pub fn filtered(&self, filters: Vec<Box<dyn Query>>) -> WordsQuery {
        WordsQuery {
            words: self.words.clone(),
            // Other matches than the unfiltered query's: their own memo.
            memo: Arc::default(),
            found: self.found.clone(),
            filters: self
                .filters
                .iter()
                .map(|f| f.box_clone())
                .chain(filters)
                .collect(),
        }
    }
}

impl Query for WordsQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let generation = enable_scoring
            .searcher()
            .map(|s| s.generation().generation_id());
        let unscored = match enable_scoring.searcher() {
            Some(searcher) => EnableScoring::disabled_from_searcher(searcher),
            None => EnableScoring::disabled_from_schema(enable_scoring.schema()),
        };
        let filters = self
            .filters
            .iter()
            .map(|f| f.weight(unscored))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let words = match enable_scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => {
                let docs = statistics_provider.total_num_docs()?;
                let mut words = Vec::with_capacity(self.words.len());
                for word in &self.words {
                    let mut terms = Vec::with_capacity(word.len());
                    for (term, boost) in word {
                        let tokens = statistics_provider.total_num_tokens(term.field())?;
                        let df = statistics_provider.doc_freq(term)?;
                        let average = tokens as Score / docs.max(1) as Score;
                        let scores = TermScores::new(df, docs, average, *boost);
                        terms.push((term.clone(), Some(scores)));
                    }
                    words.push(terms);
                }
                words
            }
            EnableScoring::Disabled { .. } => self
                .words
                .iter()
                .map(|word| word.iter().map(|(t, _)| (t.clone(), None)).collect())
                .collect(),
        };
        Ok(Box::new(WordsWeight {
            words,
            memo: generation.map(|g| (g, self.memo.clone())),
            found: self.found.clone(),
            filters,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (term, _) in self.words.iter().flatten() {
            visitor(term, false);
        }
    }
}

/// Per word, its terms with their BM25 scores (`None` when scoring is off).
struct WordsWeight {
    words: Vec<Vec<(Term, Option<TermScores>)>>,
    /// The searcher's generation and the query's memo; none without a searcher.
    memo: Option<(u64, Arc<Memo>)>,
    /// What the words alone matched (a segment's lists do not change, so no generation).
    found: Arc<Found>,
    filters: Vec<Box<dyn Weight>>,
}

/// Postings per block of a list (tantivy's compression block, not exported).
const BLOCK: usize = 128;

/// Term frequencies below this have their scores in a table.
const TABLE_TF: usize = 8;

/// A term's BM25 score by field norm and term frequency: a table for the usual frequencies,
/// since computing one takes a division, which was a fifth of the time spent scoring.
struct TermScores {
    bm25: Bm25Weight,
    table: Arc<[Score]>,
}

/// What a score table is a function of: document frequency, documents, the field's average
/// length and the boost (as bits).
type TableKey = (u64, u64, u32, u32);

/// Tables kept before the memo starts over (~8 KB each).
const MAX_TABLES: usize = 4_096;

impl TermScores {
    fn new(df: u64, docs: u64, average: Score, boost: Score) -> TermScores {
        let bm25 = Bm25Weight::for_one_term_without_explain(df, docs, average).boost_by(boost);
        // A table is 2,048 scores, and a search builds one per term, field and language, for
        // each of its passes (page, count, copies): ~25% of a search's instructions on Reuters.
        // It is a function of its key alone, so every search shares one process-wide memo.
        static TABLES: Mutex<Option<HashMap<TableKey, Arc<[Score]>>>> = Mutex::new(None);
        let key = (df, docs, average.to_bits(), boost.to_bits());
        let cached = {
            let tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
            tables.as_ref().and_then(|t| t.get(&key).cloned())
        };
        let table = cached.unwrap_or_else(|| {
            let table: Arc<[Score]> = (0..=u8::MAX)
                .flat_map(|norm| (0..TABLE_TF as u32).map(move |tf| (norm, tf)))
                .map(|(norm, tf)| bm25.score(norm, tf))
                .collect();
            let mut tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
            let tables = tables.get_or_insert_with(HashMap::new);
            if tables.len() >= MAX_TABLES {
                tables.clear();
            }
            tables.insert(key, table.clone());
            table
        });
        TermScores { bm25, table }
    }

    fn score(&self, norm: u8, tf: u32) -> Score {
        match self.table.get(norm as usize * TABLE_TF + tf as usize) {
            Some(&s) if (tf as usize) < TABLE_TF => s,
            _ => self.bm25.score(norm, tf),
        }
    }
}

impl Weight for WordsWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(self.words_scorer(reader, boost)?))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.words_scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new(
            "sum over words and text fields of boost × BM25",
            scorer.score(),
        ))
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        let mut scorer = self.words_scorer(reader, 1.0)?;
        Ok(match reader.alive_bitset() {
            Some(alive) => scorer.count(alive),
            None => scorer.count_including_deleted(),
        })
    }

    // A search without filters visits every match through these: straight off the bitset,
    // rather than through three virtual calls per document on the scorer.
    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        let matches = self.segment_matches(reader, 1.0)?;
        let scores = matches.scores.as_deref().unwrap_or(&[]);
        for (place, doc) in docs_of(&matches.bits).enumerate() {
            callback(doc, scores.get(place).copied().unwrap_or(0.0));
        }
        Ok(())
    }

    // The page of a relevance order: a comparison per match, a call only for what enters it.
    fn for_each_pruning(
        &self,
        mut threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let matches = self.segment_matches(reader, 1.0)?;
        let Some(scores) = matches.scores.as_deref() else {
            return self.for_each(reader, &mut |doc, score| {
                callback(doc, score);
            });
        };
        // Once the page is full, few scores beat the threshold: the scores are scanned in
        // order and only a winner's document is looked up, from its place.
        let mut place = 0;
        while let Some(ahead) = scores[place..].iter().position(|&s| s > threshold) {
            place += ahead;
            threshold = callback(matches.doc_at(place as u32), scores[place]);
            place += 1;
        }
        Ok(())
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        let matches = self.segment_matches(reader, 1.0)?;
        let mut buffer = Vec::with_capacity(BUFFER);
        for doc in docs_of(&matches.bits) {
            buffer.push(doc);
            if buffer.len() == BUFFER {
                callback(&buffer);
                buffer.clear();
            }
        }
        if !buffer.is_empty() {
            callback(&buffer);
        }
        Ok(())
    }
}

impl Matches {
    /// The matching document at `place` (< `total`).
    fn doc_at(&self, place: u32) -> DocId {
        // The last slot whose matches start at or before `place`.
        let i = self.ranks.partition_point(|&r| r <= place) - 1;
        let mut slot = self.bits[i];
        for _ in 0..place - self.ranks[i] {
            slot &= slot - 1;
        }
        i as DocId * 64 + slot.trailing_zeros()
    }
}

/// The documents whose bits are set, in order.
fn docs_of(bits: &[u64]) -> impl Iterator<Item = DocId> + '_ {
    bits.iter().enumerate().flat_map(|(i, &slot)| {
        let mut rest = slot;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let doc = i as DocId * 64 + rest.trailing_zeros();
                rest &= rest - 1;
                doc
            })
        })
    })
}

/// Documents handed over at once to a collector that does not score.
const BUFFER: usize = 1024;

impl WordsWeight {
    fn words_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<WordsScorer> {
        let mut scorer = WordsScorer {
            matches: self.segment_matches(reader, boost)?,
            doc: 0,
            place: 0,
        };
        scorer.doc = scorer.next_match(0);
        Ok(scorer)
    }

    /// What the segment matches, from the memo when this search already computed it.
    fn segment_matches(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Arc<Matches>> {
        let scoring = self.words.iter().flatten().any(|(_, w)| w.is_some());
        let memo = self
            .memo
            .as_ref()
            .map(|(generation, memo)| ((*generation, reader.segment_id()), memo));
        let known = memo.and_then(|(key, memo)| memo.get(&key));
        if let Some(m) = known.filter(|m| !scoring || (m.scores.is_some() && boost == 1.0)) {
            return Ok(m);
        }
        let m = Arc::new(self.matches(reader, scoring, boost)?);
        if let Some((key, memo)) = memo.filter(|_| boost == 1.0) {
            memo.insert(key, m.clone());
        }
        Ok(m)
    }

    fn matches(
        &self,
        reader: &SegmentReader,
        scoring: bool,
        boost: Score,
    ) -> tantivy::Result<Matches> {
        let slots = (reader.max_doc() as usize).div_ceil(64);
        let mut bits: Vec<u64> = self.found_in(reader)?.as_ref().clone();
        for filter in &self.filters {
            // Made at the first match (a date filter then reads only the matches' dates).
            let mut passing: Option<Box<dyn Scorer>> = None;
            for (i, slot) in bits.iter_mut().enumerate() {
                let mut rest = *slot;
                while rest != 0 {
                    let bit = rest.trailing_zeros();
                    let doc = i as DocId * 64 + bit;
                    // Strictly increasing targets, as seek_danger requires.
                    let found = match passing.as_mut() {
                        Some(passing) => passing.seek_danger(doc),
                        None => {
                            let (found, scorer) = filter.scorer_danger(reader, doc, 1.0)?;
                            passing = Some(scorer);
                            found
                        }
                    };
                    if found != SeekDangerResult::Found {
                        *slot &= !(1 << bit);
                    }
                    rest &= rest - 1;
                }
            }
        }
        let mut ranks = Vec::with_capacity(slots + 1);
        let mut total = 0u32;
        for slot in &bits {
            ranks.push(total);
            total += slot.count_ones();
        }
        ranks.push(total);
        let mut matches = Matches {
            bits,
            ranks,
            total,
            scores: None,
        };
        if scoring && total > 0 {
            matches.scores = Some(self.scores(reader, &matches, boost)?);
        }
        Ok(matches)
    }

    /// What the words alone match in the segment, from the shared memo when a variant of the
    /// query already read it.
    fn found_in(&self, reader: &SegmentReader) -> tantivy::Result<Arc<Vec<u64>>> {
        let key = reader.segment_id();
        if let Some(bits) = self.found.get(&key) {
            return Ok(bits);
        }
        let bits = Arc::new(self.words_bits(reader)?);
        self.found.insert(key, bits.clone());
        Ok(bits)
    }

    /// The documents that hold every word, read from the lists.
    fn words_bits(&self, reader: &SegmentReader) -> tantivy::Result<Vec<u64>> {
        // Rarest word first, and none at all when a word is absent from the segment: a typo
        // (`oil prcies`) made the exact tier read every list of `oil` for nothing.
        let mut order = Vec::with_capacity(self.words.len());
        for (i, word) in self.words.iter().enumerate() {
            let mut postings = 0u64;
            for (term, _) in word {
                let info = reader.inverted_index(term.field())?.get_term_info(term)?;
                postings += info.map_or(0, |info| u64::from(info.doc_freq));
            }
            order.push((postings, i));
        }
        order.sort_unstable();
        if order.first().is_some_and(|&(postings, _)| postings == 0) {
            order.clear();
        }
        let words: Vec<&[(Term, Option<TermScores>)]> = order
            .iter()
            .map(|&(_, i)| self.words[i].as_slice())
            .collect();
        // Eight words at a time: a byte holds the marks of eight.
        let mut matching: Option<Vec<u64>> = None;
        for group in words.chunks(8) {
            if matching
                .as_ref()
                .is_some_and(|m| m.iter().all(|&slot| slot == 0))
            {
                break;
            }
            let bits = marked(reader, group)?;
            matching = Some(match matching {
                None => bits,
                Some(mut all) => {
                    for (a, b) in all.iter_mut().zip(&bits) {
                        *a &= b;
                    }
                    all
                }
            });
        }
        Ok(matching.unwrap_or_default())
    }

    /// The score of each matching document, read list at a time.
    fn scores(
        &self,
        reader: &SegmentReader,
        matches: &Matches,
        boost: Score,
    ) -> tantivy::Result<Vec<Score>> {
        // A match's place is a popcount, which the x86-64 baseline computes in a dozen
        // instructions: with the CPU's own (any x86-64 since 2008) scoring took a fifth less.
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has the instruction, checked just above.
            return unsafe { self.scores_popcnt(reader, matches, boost) };
        }
        self.scores_portable(reader, matches, boost)
    }

    /// [`Self::scores_portable`] compiled with the `popcnt` instruction.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    unsafe fn scores_popcnt(
        &self,
        reader: &SegmentReader,
        matches: &Matches,
        boost: Score,
    ) -> tantivy::Result<Vec<Score>> {
        self.scores_portable(reader, matches, boost)
    }

    // Inlined into its callers, so that each compiles it with its own instructions.
    #[inline(always)]
    fn scores_portable(
        &self,
        reader: &SegmentReader,
        matches: &Matches,
        boost: Score,
    ) -> tantivy::Result<Vec<Score>> {
        let (bits, ranks) = (&matches.bits, &matches.ranks);
        let mut scores = vec![0.0; matches.total as usize];
        let mut hits = [0u8; BLOCK];
        for (term, term_scores) in self.words.iter().flatten() {
            let Some(term_scores) = term_scores else {
                continue;
            };
            let Some(mut postings) = block_postings(reader, term, IndexRecordOption::WithFreqs)?
            else {
                continue;
            };
            let norms = reader.get_fieldnorms_reader(term.field())?;
            while !postings.docs().is_empty() {
                let (docs, freqs) = (postings.docs(), postings.freqs());
                // The block's postings whose document matches, gathered without a branch:
                // whether one matches is a coin flip, which mispredicted every other time.
                let mut n = 0;
                for (j, &doc) in docs.iter().enumerate() {
                    hits[n] = j as u8;
                    n += ((bits[(doc / 64) as usize] >> (doc % 64)) & 1) as usize;
                }
                for &j in &hits[..n] {
                    let (doc, tf) = (docs[j as usize], freqs[j as usize]);
                    let i = (doc / 64) as usize;
                    let place = ranks[i] + (bits[i] & ((1 << (doc % 64)) - 1)).count_ones();
                    scores[place as usize] +=
                        boost * term_scores.score(norms.fieldnorm_id(doc), tf);
                }
                postings.advance();
            }
        }
        Ok(scores)
    }
}

/// The documents that hold every one of `words` (one to eight; a word: its terms, any of which
/// will do), as a bitset. Each word's lists mark its bit in one byte per document, then the
/// bytes with every bit set become the set bits. Setting bits straight into a bitset made each
/// posting wait for the one before (neighbours share a 64-bit slot, so each update read the
/// last one's store); the marks of one list never touch a byte twice (pass at 1M articles: 170
/// -> 120 µs a segment).
fn marked(
    reader: &SegmentReader,
    words: &[&[(Term, Option<TermScores>)]],
) -> tantivy::Result<Vec<u64>> {
    let slots = (reader.max_doc() as usize).div_ceil(64);
    let mut marks = vec![0u8; slots * 64];
    for (w, word) in words.iter().enumerate() {
        let bit = 1u8 << w;
        for (term, _) in word.iter() {
            let Some(mut postings) = block_postings(reader, term, IndexRecordOption::Basic)? else {
                continue;
            };
            while !postings.docs().is_empty() {
                for &doc in postings.docs() {
                    marks[doc as usize] |= bit;
                }
                postings.advance();
            }
        }
    }
    let every = (u16::MAX >> (16 - words.len())) as u8;
    Ok(marks
        .chunks_exact(64)
        .map(|chunk| {
            chunk
                .chunks_exact(8)
                .enumerate()
                .fold(0u64, |slot, (k, eight)| {
                    slot | u64::from(bytes_equal(eight, every)) << (8 * k)
                })
        })
        .collect())
}

/// Bit k set when byte k of `eight` is `value`: eight bytes at once, in a 64-bit word.
fn bytes_equal(eight: &[u8], value: u8) -> u8 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut word = [0u8; 8];
    word.copy_from_slice(eight);
    let differ = u64::from_le_bytes(word) ^ (u64::from(value) * 0x0101_0101_0101_0101);
    // The high bit of each byte that is not zero, without carries between bytes.
    let nonzero = ((differ & LOW7) + LOW7) | differ;
    let equal = (!nonzero & !LOW7) >> 7;
    // Gathers the eight flags (bits 0, 8, .., 56) into the top byte, flag k at bit 56 + k.
    (equal.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

fn block_postings(
    reader: &SegmentReader,
    term: &Term,
    option: IndexRecordOption,
) -> tantivy::Result<Option<BlockSegmentPostings>> {
    Ok(reader
        .inverted_index(term.field())?
        .read_block_postings(term, option)?)
}

/// The matching documents of one segment, in order, with their scores.
struct WordsScorer {
    matches: Arc<Matches>,
    doc: DocId,
    /// Place of `doc` among the matching documents.
    place: u32,
}

impl WordsScorer {
    /// The first matching document at or after `from`.
    fn next_match(&self, from: DocId) -> DocId {
        let bits = &self.matches.bits;
        let mut i = (from / 64) as usize;
        if i >= bits.len() {
            return TERMINATED;
        }
        let mut slot = bits[i] & (u64::MAX << (from % 64));
        loop {
            if slot != 0 {
                return i as DocId * 64 + slot.trailing_zeros();
            }
            i += 1;
            if i == bits.len() {
                return TERMINATED;
            }
            slot = bits[i];
        }
    }

    fn place_of(&self, doc: DocId) -> u32 {
        let i = (doc / 64) as usize;
        self.matches.ranks[i] + (self.matches.bits[i] & ((1 << (doc % 64)) - 1)).count_ones()
    }
}

impl DocSet for WordsScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.doc = self.next_match(self.doc + 1);
        self.place += 1;
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if target <= self.doc {
            return self.doc;
        }
        self.doc = self.next_match(target);
        self.place = match self.doc {
            TERMINATED => self.matches.total,
            doc => self.place_of(doc),
        };
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.matches.total
    }

    fn count_including_deleted(&mut self) -> u32 {
        let total = self.matches.total;
        let before = if self.doc == TERMINATED {
            total
        } else {
            self.place
        };
        self.doc = TERMINATED;
        self.place = total;
        total - before
    }
}

impl Scorer for WordsScorer {
    fn score(&mut self) -> Score {
        self.matches
            .scores
            .as_ref()
            .and_then(|s| s.get(self.place as usize))
            .copied()
            .unwrap_or(0.0)
    }
}

#[cfg(test)]
mod property;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tantivy::collector::{Count, DocSetCollector, TopDocs};
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::{DocAddress, Searcher, Term};

    use super::WordsQuery;
    use crate::config::Config;
    use crate::index::test_support::from_json;
    use crate::index::{NewsIndex, WriteOp};
    use crate::query::text;

    const VOCABULARY: [&str; 6] = ["tariff", "steel", "quotas", "import", "china", "ports"];

    /// Four segments of articles whose words fall in different fields in varying numbers,
    /// and a deleted one.
    fn index() -> NewsIndex {
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        let words = |n: usize, len: usize| {
            (0..len)
                .map(|j| VOCABULARY[(n * 7 + j * (n % 4 + 1)) % VOCABULARY.len()])
                .collect::<Vec<_>>()
                .join(" ")
        };
        for batch in 0..4 {
            let ops = (0..60)
                .map(|i| {
                    let n = batch * 60 + i;
                    let article = from_json(serde_json::json!({
                        "id": format!("w{n:03}"),
                        "title": words(n, 1 + n % 3),
                        "summary": format!("{} summary", words(n + 1, n % 4)),
                        "body": format!("{} filler words here", words(n + 2, n % 9)),
                        "tags": [if n % 2 == 0 { "trade" } else { "metals" }],
                        "published_at": format!("2024-01-{:02}T00:00:00Z", 1 + n % 28),
                    }));
                    index.upsert_op(&article).expect("op")
                })
                .collect::<Vec<_>>();
            index.writer().apply_blocking(ops, true).expect("write");
        }
        index
            .writer()
            .apply_blocking(vec![WriteOp::Delete { id: "w013".into() }], true)
            .expect("delete");
        index
    }

    fn both(index: &NewsIndex, q: &str) -> (Box<dyn Query>, Box<dyn Query>) {
        let cfg = Config::default().search;
        let ours = text::text_query(
            index.index(),
            index.fields(),
            &cfg,
            q,
            &[crate::analysis::Lang::ENGLISH],
        );
        assert!(
            ours.as_any().downcast_ref::<WordsQuery>().is_some(),
            "{q} takes the fast path"
        );
        let parser = text::parser(
            index.index(),
            index.fields(),
            &cfg,
            crate::analysis::Lang::ENGLISH,
        );
        (ours, parser.parse_query_lenient(q).0)
    }

    fn scored(searcher: &Searcher, q: &dyn Query) -> HashMap<DocAddress, f32> {
        let hits = searcher
            .search(q, &TopDocs::with_limit(10_000).order_by_score())
            .expect("search");
        hits.into_iter().map(|(s, a)| (a, s)).collect()
    }

    #[test]
    fn finds_and_scores_what_the_parsers_query_does() {
        let index = index();
        let searcher = index.searcher();
        assert!(searcher.segment_readers().len() >= 4);
        let trade = || -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(index.fields().tag, "trade"),
                IndexRecordOption::Basic,
            ))
        };
        for q in [
            "tariff steel",
            "steel quotas import",
            "Tariffs STEEL",
            "tariff steel Tariff tariff",
            "china ports tariff steel",
            "steel nosuchword",
            // More words than a byte marks at once: two groups.
            "tariff steel quotas import china ports filler words here summary",
        ] {
            let (ours, theirs) = both(&index, q);
            let count = searcher.search(ours.as_ref(), &Count).expect("count");
            assert_eq!(
                count,
                searcher.search(theirs.as_ref(), &Count).expect("count"),
                "{q}"
            );
            assert!(q.contains("nosuch") || count > 0, "{q} matches something");
            let (a, b) = (
                scored(&searcher, ours.as_ref()),
                scored(&searcher, theirs.as_ref()),
            );
            assert_eq!(a.len(), b.len(), "{q}");
            // Collectors that visit every match: with scores (a tuple is not pruned) and
            // without (a set of documents).
            let every = (TopDocs::with_limit(10_000).order_by_score(), Count);
            let (visited, n) = searcher.search(ours.as_ref(), &every).expect("search");
            assert_eq!(n, count, "{q}");
            for (score, addr) in visited {
                assert!(
                    (score - b[&addr]).abs() <= 1e-4 * score.abs().max(1.0),
                    "{q}"
                );
            }
            let docs = |q: &dyn Query| searcher.search(q, &DocSetCollector).expect("docs");
            assert_eq!(docs(ours.as_ref()), docs(theirs.as_ref()), "{q}");
            for (addr, score) in &b {
                let mine = a
                    .get(addr)
                    .unwrap_or_else(|| panic!("{q}: {addr:?} missing"));
                assert!(
                    (mine - score).abs() <= 1e-4 * score.abs().max(1.0),
                    "{q}: {mine} vs {score}"
                );
                let explained = ours.explain(&searcher, *addr).expect("explain").value();
                assert!(
                    (explained - mine).abs() < 1e-6,
                    "{q}: explain {explained} vs {mine}"
                );
            }
            // Inside a conjunction (seeks) and an exclusion, as filters and typo tiers use it.
            for occur in [Occur::Must, Occur::MustNot] {
                let with = |text: Box<dyn Query>| {
                    BooleanQuery::new(vec![(Occur::Must, trade()), (occur, text)])
                };
                let (x, y) = (
                    scored(&searcher, &with(ours.box_clone())),
                    scored(&searcher, &with(theirs.box_clone())),
                );
                let mut x: Vec<_> = x.into_keys().collect();
                let mut y: Vec<_> = y.into_keys().collect();
                x.sort();
                y.sort();
                assert_eq!(x, y, "{q} {occur:?} tag:trade");
            }
        }
    }

    /// One plain word is built without the parser: the same matches with the same scores as
    /// the parser's query, in every field and through the stemmer; anything else is the
    /// parser's.
    #[test]
    fn one_word_is_the_parsers_query() {
        let index = index();
        let searcher = index.searcher();
        let cfg = Config::default().search;
        let lang = crate::analysis::Lang::ENGLISH;
        let parser = text::parser(index.index(), index.fields(), &cfg, lang);
        let mut analyzer = text::query_analyzer(lang);
        for q in [
            "tariff",
            "Tariffs",
            "STEEL",
            "summary",
            "filler",
            "nosuchword",
        ] {
            let ours = super::one_word_query(q, &mut analyzer, index.fields(), &cfg)
                .unwrap_or_else(|| panic!("{q} is one plain word"));
            let theirs = parser.parse_query_lenient(q).0;
            let (a, b) = (scored(&searcher, &ours), scored(&searcher, theirs.as_ref()));
            assert_eq!(a.len(), b.len(), "{q}");
            assert!(
                q.contains("nosuch") || !a.is_empty(),
                "{q} matches something"
            );
            for (addr, score) in &b {
                assert_eq!(a.get(addr), Some(score), "{q}: {addr:?}");
            }
        }
        for q in [
            "tariff steel",
            "\"tariff\"",
            "tariff*",
            "title:tariff",
            "-tariff",
            "",
        ] {
            assert!(
                super::one_word_query(q, &mut analyzer, index.fields(), &cfg).is_none(),
                "{q}"
            );
        }
    }

    #[test]
    fn filtered_words_find_and_score_what_the_conjunction_does() {
        use crate::query::{with_filters, Filters};
        let index = index();
        let searcher = index.searcher();
        let date = |d: &str| Some(d.parse().expect("date"));
        let cases = [
            Filters {
                tag: vec!["trade".into()],
                ..Filters::default()
            },
            Filters {
                from: date("2024-01-05T00:00:00Z"),
                to: date("2024-01-17T00:00:00Z"),
                ..Filters::default()
            },
            Filters {
                tag: vec!["trade".into(), "metals".into()],
                to: date("2024-01-09T00:00:00Z"),
                ..Filters::default()
            },
        ];
        for q in ["tariff steel", "china ports tariff steel"] {
            // One query for all the cases, searched unfiltered first: its filtered variants
            // share what the words matched, and none may see another's filters.
            let (words, parsed) = both(&index, q);
            let unfiltered = searcher.search(words.as_ref(), &Count).expect("count");
            assert_eq!(
                unfiltered,
                searcher.search(parsed.as_ref(), &Count).expect("count")
            );
            for filters in &cases {
                let clauses = || filters.clauses(index.fields(), None);
                let ours = with_filters(words.box_clone(), clauses());
                assert!(ours.as_any().downcast_ref::<WordsQuery>().is_some());
                let theirs = with_filters(parsed.box_clone(), clauses());
                let label = format!("{q} {filters:?}");
                let count = searcher.search(ours.as_ref(), &Count).expect("count");
                assert_eq!(
                    count,
                    searcher.search(theirs.as_ref(), &Count).expect("count")
                );
                assert!(count > 0, "{label} matches something");
                let (a, b) = (
                    scored(&searcher, ours.as_ref()),
                    scored(&searcher, theirs.as_ref()),
                );
                assert_eq!(a.len(), b.len(), "{label}");
                for (addr, score) in &b {
                    let mine = a.get(addr).unwrap_or_else(|| panic!("{label}: {addr:?}"));
                    assert!(
                        (mine - score).abs() <= 1e-4 * score.abs().max(1.0),
                        "{label}"
                    );
                }
                let docs = |q: &dyn Query| searcher.search(q, &DocSetCollector).expect("docs");
                assert_eq!(docs(ours.as_ref()), docs(theirs.as_ref()), "{label}");
            }
        }
    }

    #[test]
    fn filters_narrow_without_changing_scores() {
        use crate::query::{with_filters, Filters};
        let index = index();
        let searcher = index.searcher();
        let cfg = Config::default().search;
        let filters = Filters {
            tag: vec!["trade".into(), "metals".into()],
            to: Some("2024-01-20T00:00:00Z".parse().expect("date")),
            ..Filters::default()
        };
        // Plain words (the words path) and a phrase (the parser's path).
        for q in ["tariff steel", "\"tariff steel\""] {
            let text = text::text_query(
                index.index(),
                index.fields(),
                &cfg,
                q,
                &[crate::analysis::Lang::ENGLISH],
            );
            let all = scored(&searcher, text.as_ref());
            let narrowed = with_filters(text, filters.clauses(index.fields(), None));
            let some = scored(&searcher, narrowed.as_ref());
            assert!(!some.is_empty() && some.len() < all.len(), "{q}");
            for (addr, score) in some {
                assert_eq!(score, all[&addr], "{q}");
            }
        }
    }

    #[test]
    fn a_query_kept_across_a_commit_scores_with_the_new_statistics() {
        let index = index();
        let (ours, theirs) = both(&index, "steel quotas");
        let before = scored(&index.searcher(), ours.as_ref());
        let more = from_json(serde_json::json!({"id": "x1", "title": "steel", "body": "quotas"}));
        let op = index.upsert_op(&more).expect("op");
        index
            .writer()
            .apply_blocking(vec![op], true)
            .expect("write");
        let searcher = index.searcher();
        let (a, b) = (
            scored(&searcher, ours.as_ref()),
            scored(&searcher, theirs.as_ref()),
        );
        assert_eq!(a.len(), before.len() + 1);
        for (addr, score) in &b {
            assert!((a[addr] - score).abs() <= 1e-4 * score.abs().max(1.0));
        }
    }

    #[test]
    fn only_plain_words_take_the_fast_path() {
        let index = index();
        let cfg = Config::default().search;
        let mut analyzer = crate::index::schema::text_analyzer(crate::analysis::Lang::ENGLISH);
        let parse = |q: &str, a: &mut _| WordsQuery::parse(q, a, index.fields(), &cfg).is_some();
        for q in ["oil prices", "Öl Preise", "oil 1987", "  oil   prices "] {
            assert!(parse(q, &mut analyzer), "{q}");
        }
        for q in [
            "",
            "oil",
            "oil OR gas",
            "oil AND gas",
            "oil NOT gas",
            "-oil gas",
            "\"oil gas\"",
            "oil title:gas",
            "u.s. oil",
            "oil, gas",
            "oil gas*",
        ] {
            assert!(!parse(q, &mut analyzer), "{q}");
        }
    }
}
