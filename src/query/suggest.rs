//! As-you-type completions over titles, entity names, authors and tags.
//!
//! The last word typed is a prefix, the earlier ones are whole words; matching is case- and
//! accent-insensitive (`pyongyang` finds `Pyŏngyang`) and typo tolerant (one edit from 4
//! letters, two from 8; the first letter must be right, which keeps the scan small).
//!
//! Entity names, authors and tags come from a small in-memory dictionary (value → articles,
//! newest article) rebuilt from the fast columns when the index has changed, at most every few
//! seconds and in the background, so a burst of writes never stalls suggestions. Titles come
//! from the index itself (the unstemmed `title_words` field). Completions are ranked by how
//! often and how recently they occur, exact matches before typo matches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::highlight::escape;
use super::rank::Ranking;
use super::typo::{allowed_edits, prefix_within_edits, within_edits, MAX_TYPO_WORDS};
use crate::analysis::Lang;
use crate::article::date::format_datetime;
use crate::index::document::head_from_document;
use crate::index::schema::{words_analyzer, TYPE_SEPARATOR};
use crate::index::NewsIndex;

/// Default number of suggestions.
pub const DEFAULT_LIMIT: usize = 8;
/// Most suggestions one request may ask for.
pub const MAX_LIMIT: usize = 50;
/// Longest accepted input, in characters.
pub const MAX_CHARS: usize = 200;
/// How stale the dictionary may be while a fresh one is built.
const REFRESH_AFTER: Duration = Duration::from_secs(5);
/// Half-life of the recency part of the ranking.
const RECENCY_HALF_LIFE_DAYS: f64 = 30.0;

/// What a suggestion completes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    /// An article title (opens the article).
    Title,
    /// An entity name (filters by entity).
    Entity,
    /// An author (filters by author).
    Author,
    /// A tag (filters by tag).
    Tag,
}

/// One completion.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// What it is.
    pub kind: SuggestionKind,
    /// The completion as stored.
    pub value: String,
    /// The completion, HTML-escaped, with the matched part in `<mark>…</mark>`.
    pub highlighted: String,
    /// The article, for titles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The entity type, for entities.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// Articles with this value (entities, authors, tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Publication time, for titles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
}

/// The answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuggestResponse {
    /// Best first.
    pub suggestions: Vec<Suggestion>,
    /// Time spent, milliseconds.
    pub took_ms: f64,
}

/// Suggestions over one index, with its cached dictionary.
#[derive(Default)]
pub struct Suggester {
    cache: Arc<RwLock<Option<Arc<Dictionary>>>>,
    refreshing: Arc<AtomicBool>,
}

struct Entry {
    kind: SuggestionKind,
    value: String,
    entity_type: Option<String>,
    count: u64,
    newest_secs: i64,
}

struct Dictionary {
    generation: u64,
    built: Instant,
    entries: Vec<Entry>,
    /// (folded words from one word of the value to its end, entry), sorted: a prefix search
    /// finds a value by any of its words (`cha` finds `Victor Cha`).
    keys: Vec<(String, u32)>,
    newest_secs: i64,
}

/// Folds text the way the `title_words` field does: words lowercased and folded to ASCII,
/// with their byte ranges in the original.
fn fold_words(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    fold_words_in(text, crate::analysis::default_language())
}

/// [`fold_words`] by the word-list rules of `lang` (how its titles' words were listed).
fn fold_words_in(text: &str, lang: Lang) -> Vec<(String, std::ops::Range<usize>)> {
    let mut analyzer = words_analyzer(lang);
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.text.clone(), t.offset_from..t.offset_to));
    }
    out
}

impl Dictionary {
    fn build(searcher: &Searcher) -> Dictionary {
        let mut merged: HashMap<(SuggestionKind, String), (u64, i64)> = HashMap::new();
        let mut newest_overall = i64::MIN;
        for segment in searcher.segment_readers() {
            let ff = segment.fast_fields();
            let dates = ff.date("published_at").ok();
            for (kind, column) in [
                (SuggestionKind::Author, "author"),
                (SuggestionKind::Tag, "tag"),
                (SuggestionKind::Entity, "entity_typed"),
            ] {
                let Ok(Some(col)) = ff.str(column) else {
                    continue;
                };
                let n = col.num_terms();
                let mut counts = vec![0u64; n];
                let mut newest = vec![i64::MIN; n];
                for doc in segment.doc_ids_alive() {
                    let date = dates
                        .as_ref()
                        .and_then(|d| d.first(doc))
                        .map_or(i64::MIN, |d| d.into_timestamp_secs());
                    newest_overall = newest_overall.max(date);
                    for ord in col.term_ords(doc) {
                        counts[ord as usize] += 1;
                        newest[ord as usize] = newest[ord as usize].max(date);
                    }
                }
                let ords: Vec<u64> = (0..n)
                    .filter(|&o| counts[o] > 0)
                    .map(|o| o as u64)
                    .collect();
                let mut next = ords.iter();
                let _ = col.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                    let Some(&ord) = next.next() else { return };
                    if let Ok(value) = std::str::from_utf8(bytes) {
                        let e = merged
                            .entry((kind, value.to_string()))
                            .or_insert((0, i64::MIN));
                        e.0 += counts[ord as usize];
                        e.1 = e.1.max(newest[ord as usize]);
                    }
                });
            }
        }
        let mut entries = Vec::with_capacity(merged.len());
        let mut keys = Vec::new();
        for ((kind, raw), (count, newest_secs)) in merged {
            let (entity_type, value) = match kind {
                SuggestionKind::Entity => match raw.split_once(TYPE_SEPARATOR) {
                    Some((t, name)) => (Some(t.to_string()), name.to_string()),
                    None => continue,
                },
                _ => (None, raw),
            };
            let words: Vec<String> = fold_words(&value).into_iter().map(|(w, _)| w).collect();
            let idx = entries.len() as u32;
            for i in 0..words.len() {
                keys.push((words[i..].join(" "), idx));
            }
            entries.push(Entry {
                kind,
                value,
                entity_type,
                count,
                newest_secs,
            });
        }
        keys.sort_unstable();
        Dictionary {
            generation: searcher.generation().generation_id(),
            built: Instant::now(),
            entries,
            keys,
            newest_secs: newest_overall,
        }
    }

    /// Entries matching the typed words: `(entry, exact)`.
    fn lookup(&self, typed: &str, edits: u8) -> Vec<(u32, bool)> {
        let mut found: HashMap<u32, bool> = HashMap::new();
        let start = self.keys.partition_point(|(k, _)| k.as_str() < typed);
        for (k, idx) in &self.keys[start..] {
            if !k.starts_with(typed) {
                break;
            }
            found.insert(*idx, true);
        }
        if edits > 0 {
            let Some(first) = typed.chars().next() else {
                return Vec::new();
            };
            let lo = self
                .keys
                .partition_point(|(k, _)| k.chars().next().is_some_and(|c| c < first));
            for (k, idx) in &self.keys[lo..] {
                if !k.starts_with(first) {
                    break;
                }
                if !found.contains_key(idx) && prefix_within_edits(typed, k, edits) {
                    found.insert(*idx, false);
                }
            }
        }
        found.into_iter().collect()
    }

    fn score(&self, e: &Entry) -> f64 {
        let age_days = (self.newest_secs.saturating_sub(e.newest_secs)).max(0) as f64 / 86_400.0;
        let recency = (-age_days / RECENCY_HALF_LIFE_DAYS).exp2();
        (1.0 + e.count as f64).ln() * (0.5 + 0.5 * recency)
    }
}

impl Suggester {
    /// A suggester with an empty cache.
    pub fn new() -> Suggester {
        Suggester::default()
    }

    /// Builds the dictionary of the index's current commit now, so that the first request does
    /// not wait for it (0.1 s at 1M articles).
    pub fn warm(&self, index: &NewsIndex) {
        let _ = self.dictionary(&index.searcher());
    }

    fn dictionary(&self, searcher: &Searcher) -> Arc<Dictionary> {
        let generation = searcher.generation().generation_id();
        let cached = self.cache.read().ok().and_then(|c| c.clone());
        match cached {
            Some(d) if d.generation == generation => d,
            Some(d) if d.built.elapsed() < REFRESH_AFTER => d,
            Some(d) => {
                // Serve the stale one; one background build at a time.
                if !self.refreshing.swap(true, Ordering::AcqRel) {
                    let searcher = searcher.clone();
                    let cache = self.cache.clone();
                    let refreshing = self.refreshing.clone();
                    std::thread::spawn(move || {
                        let fresh = Arc::new(Dictionary::build(&searcher));
                        if let Ok(mut c) = cache.write() {
                            *c = Some(fresh);
                        }
                        refreshing.store(false, Ordering::Release);
                    });
                }
                d
            }
            None => {
                let fresh = Arc::new(Dictionary::build(searcher));
                if let Ok(mut c) = self.cache.write() {
                    *c = Some(fresh.clone());
                }
                fresh
            }
        }
    }

    /// Completions for `q`; with `language` (a tag, `zh`), titles of articles in that
    /// language only, and `q` read by its rules.
    pub fn suggest(
        &self,
        index: &NewsIndex,
        q: &str,
        limit: usize,
        language: Option<&str>,
    ) -> crate::Result<SuggestResponse> {
        let started = Instant::now();
        let searcher = index.searcher();
        let lang = language.map_or_else(crate::analysis::default_language, Lang::of_tag);
        let words: Vec<String> = fold_words_in(q, lang).into_iter().map(|(w, _)| w).collect();
        let ends_with_space = q.ends_with(char::is_whitespace);
        if words.is_empty() || limit == 0 {
            return Ok(SuggestResponse {
                suggestions: Vec::new(),
                took_ms: 0.0,
            });
        }
        let typed = words.join(" ");
        let longest = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
        let edits = allowed_edits(longest);

        let dict = self.dictionary(&searcher);
        let mut dict_hits = dict.lookup(&typed, edits);
        dict_hits.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| {
                    dict.score(&dict.entries[b.0 as usize])
                        .total_cmp(&dict.score(&dict.entries[a.0 as usize]))
                })
                .then_with(|| {
                    dict.entries[a.0 as usize]
                        .value
                        .cmp(&dict.entries[b.0 as usize].value)
                })
        });
        let titles = self.titles(index, &searcher, &words, ends_with_space, limit, language)?;

        // Completions first (they narrow the search), then titles; either fills the other's gap.
        let dict_quota = if titles.is_empty() {
            limit
        } else {
            limit.div_ceil(2)
        };
        let completion = |idx: u32| {
            let e = &dict.entries[idx as usize];
            Suggestion {
                kind: e.kind,
                value: e.value.clone(),
                highlighted: mark(&e.value, &words, ends_with_space),
                id: None,
                entity_type: e.entity_type.clone(),
                count: Some(e.count),
                published_at: None,
            }
        };
        let mut suggestions: Vec<Suggestion> = dict_hits
            .iter()
            .take(dict_quota)
            .map(|(idx, _)| completion(*idx))
            .collect();
        let title_room = limit - suggestions.len();
        suggestions.extend(titles.into_iter().take(title_room));
        let room = limit - suggestions.len();
        suggestions.extend(
            dict_hits
                .iter()
                .skip(dict_quota)
                .take(room)
                .map(|(idx, _)| completion(*idx)),
        );
        Ok(SuggestResponse {
            suggestions,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    }

    fn titles(
        &self,
        index: &NewsIndex,
        searcher: &Searcher,
        words: &[String],
        complete: bool,
        limit: usize,
        language: Option<&str>,
    ) -> crate::Result<Vec<Suggestion>> {
        let field = index.fields().title_words;
        let exact = title_query(searcher, field, words, complete, false)?;
        let mut tiers: Vec<Box<dyn Query>> = vec![exact.box_clone()];
        if words.iter().any(|w| allowed_edits(w.chars().count()) > 0) {
            let fuzzy = title_query(searcher, field, words, complete, true)?;
            tiers.push(Box::new(BooleanQuery::new(vec![
                (Occur::Must, fuzzy),
                (Occur::MustNot, exact),
            ])));
        }
        if let Some(tag) = language {
            let only = Term::from_field_text(index.fields().language, &tag.to_lowercase());
            tiers = tiers
                .into_iter()
                .map(|q| -> Box<dyn Query> {
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, q),
                        (
                            Occur::Must,
                            Box::new(TermQuery::new(only.clone(), IndexRecordOption::Basic)),
                        ),
                    ]))
                })
                .collect();
        }
        let ranking = Ranking::new(
            super::Sort::Relevance,
            &title_rank(),
            searcher,
            index.segment_memo(),
        )?;
        let top = super::ranked_page(searcher, &tiers, &ranking, limit, None)?;
        let mut out = Vec::with_capacity(top.len());
        for (_, addr, _) in top {
            let a = head_from_document(searcher, addr, index.fields())?;
            out.push(Suggestion {
                kind: SuggestionKind::Title,
                highlighted: mark(&a.title, words, complete),
                value: a.title,
                id: Some(a.id),
                entity_type: None,
                count: None,
                published_at: a.published_at.as_ref().map(format_datetime),
            });
        }
        Ok(out)
    }
}

/// Titles with every typed word, the last as a prefix; with `fuzzy`, close spellings too.
fn title_query(
    searcher: &Searcher,
    field: Field,
    words: &[String],
    complete: bool,
    fuzzy: bool,
) -> crate::Result<Box<dyn Query>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    // Fuzzy matching is bounded like search's: the last word (being typed) and at most
    // `MAX_TYPO_WORDS - 1` others.
    let first_fuzzy = words.len().saturating_sub(MAX_TYPO_WORDS);
    for (i, w) in words.iter().enumerate() {
        let last = i + 1 == words.len() && !complete;
        let term = Term::from_field_text(field, w);
        let edits = if fuzzy && i >= first_fuzzy {
            allowed_edits(w.chars().count())
        } else {
            0
        };
        // A one-letter prefix would expand to most of the dictionary: it is taken as a word.
        let q: Box<dyn Query> = if last && w.chars().count() >= 2 {
            let prefix: Box<dyn Query> =
                Box::new(FuzzyTermQuery::new_prefix(term.clone(), 0, true));
            if edits == 0 {
                prefix
            } else {
                Box::new(BooleanQuery::new(vec![
                    (Occur::Should, prefix),
                    (
                        Occur::Should,
                        Box::new(FuzzyTermQuery::new_prefix(term, edits, true)),
                    ),
                ]))
            }
        } else if edits > 0 && searcher.doc_freq(&term)? == 0 {
            Box::new(FuzzyTermQuery::new(term, edits, true))
        } else {
            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
        };
        clauses.push((Occur::Must, q));
    }
    Ok(Box::new(BooleanQuery::new(clauses)))
}

/// Title ranking for suggestions: recent first among equal matches, a touch of popularity.
fn title_rank() -> crate::config::SearchConfig {
    crate::config::SearchConfig {
        title_boost: 1.0,
        summary_boost: 1.0,
        body_boost: 1.0,
        recency_half_life_days: RECENCY_HALF_LIFE_DAYS,
        recency_weight: 0.9,
        popularity_weight: 0.05,
        semantic: false,
        semantic_hits: 0,
        semantic_min_similarity: 1.0,
    }
}

/// The typed words of `q` as the suggester reads them (folded by `language`'s rules, or the
/// default language's), and whether the last one is complete (a space follows it).
pub(crate) fn typed_words(q: &str, language: Option<&str>) -> (Vec<String>, bool) {
    let lang = language.map_or_else(crate::analysis::default_language, Lang::of_tag);
    let words = fold_words_in(q, lang).into_iter().map(|(w, _)| w).collect();
    (words, q.ends_with(char::is_whitespace))
}

/// Escapes `value` and marks its words that match the typed words (the last one as a prefix
/// unless the user already typed a space after it).
pub(crate) fn mark(value: &str, typed: &[String], complete: bool) -> String {
    let mut out = String::with_capacity(value.len() + 16);
    let mut pos = 0;
    for (word, range) in fold_words(value) {
        // Chinese word lists also hold the words inside a longer word (`外交` in `外交部`):
        // one marked already covers them.
        if range.start < pos {
            continue;
        }
        let original = &value[range.clone()];
        // Bytes of the original word that a typed prefix of `chars` characters covers: exact
        // when folding kept one character per character (`ŏ` → `o`), else the whole word.
        let prefix_bytes = |chars: usize| {
            if original.chars().count() == word.chars().count() {
                original
                    .char_indices()
                    .nth(chars)
                    .map_or(original.len(), |(i, _)| i)
            } else {
                original.len()
            }
        };
        let mut marked: Option<usize> = None; // bytes of the original to mark from range.start
        for (i, t) in typed.iter().enumerate() {
            let last = i + 1 == typed.len() && !complete;
            let edits = allowed_edits(t.chars().count());
            if last {
                if prefix_within_edits(t, &word, edits) {
                    marked = Some(prefix_bytes(t.chars().count()));
                }
            } else if word == *t || within_edits(t, &word, edits) {
                marked = Some(range.len());
            }
            if marked.is_some() {
                break;
            }
        }
        if let Some(n) = marked {
            let end = (range.start + n).min(range.end);
            let end = (end..=range.end)
                .find(|&e| value.is_char_boundary(e))
                .unwrap_or(range.end);
            out.push_str(&escape(&value[pos..range.start]));
            out.push_str("<mark>");
            out.push_str(&escape(&value[range.start..end]));
            out.push_str("</mark>");
            pos = end;
        }
    }
    out.push_str(&escape(&value[pos..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_typed_prefix_and_whole_words() {
        let typed = vec!["victor".to_string(), "ch".to_string()];
        assert_eq!(
            mark("Victor Cha", &typed, false),
            "<mark>Victor</mark> <mark>Ch</mark>a"
        );
        assert_eq!(
            mark("Pyŏngyang", &["pyong".to_string()], false),
            "<mark>Pyŏng</mark>yang"
        );
        assert_eq!(
            mark("A <b> & c", &["zz".to_string()], false),
            "A &lt;b&gt; &amp; c"
        );
    }

    #[test]
    fn warming_builds_the_dictionary_of_the_current_commit() {
        use crate::config::Config;
        use crate::index::test_support::put;
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        put(&index, "w1", "Tariffs on steel from China");
        let suggester = Suggester::new();
        let built = || suggester.cache.read().expect("cache").clone();
        assert!(built().is_none());
        suggester.warm(&index);
        let generation = index.searcher().generation().generation_id();
        assert_eq!(built().map(|d| d.generation), Some(generation));
    }

    #[test]
    fn folding_is_case_and_accent_insensitive() {
        let w: Vec<String> = fold_words("Pyŏngyang's São Paulo")
            .into_iter()
            .map(|(w, _)| w)
            .collect();
        assert_eq!(w, vec!["pyongyang", "s", "sao", "paulo"]);
    }
}
