//! Typo tolerance for the search box: a plain word that matches nothing exactly, or only a
//! handful of articles, also matches its close spellings (one edit from 4 letters, two from 8;
//! a transposition counts as one edit), while every word stays required. Close spellings are
//! matched on the unstemmed `words` field, so distances are taken between real spellings rather
//! than stems. [`run_search`](super::run_search) ranks every exact match above every match that
//! needed a typo.
//!
//! Queries with syntax (phrases, `field:`, `-`, `OR`, parentheses) are taken as the user wrote
//! them: whoever types syntax means exactly that.

use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use crate::analysis::Lang;
use crate::index::schema::words_analyzer;
use crate::index::Fields;

/// Weight of a typo match relative to the word's exact match.
const TYPO_BOOST: f32 = 0.2;
/// Most words of one query that get typo tolerance; the rest must match as written. Each one
/// is a Levenshtein automaton run over the term dictionary, so this bounds a query's cost.
pub const MAX_TYPO_WORDS: usize = 5;

/// A query word that is also matched by its close spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypoWord {
    /// The word, lowercased and folded.
    pub word: String,
    /// Edits allowed.
    pub distance: u8,
}

/// Edits allowed for a word of `len` characters: none below 4, one from 4, two from 8.
pub fn allowed_edits(len: usize) -> u8 {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The words of `q` when it is plain words only (what a search box sends); `None` when it has
/// query syntax.
pub fn plain_words(q: &str) -> Option<Vec<&str>> {
    let mut words = Vec::new();
    for w in q.split_whitespace() {
        // `AND` is what plain words mean anyway (and what all-caps headlines contain).
        if w == "AND" {
            continue;
        }
        if matches!(w, "OR" | "NOT")
            || w.starts_with(['-', '+'])
            || w.contains(['"', ':', '(', ')', '[', ']', '{', '}', '^', '~', '*', '\\'])
        {
            return None;
        }
        words.push(w);
    }
    (!words.is_empty()).then_some(words)
}

/// Single token of `text` under `analyzer`, if it is exactly one.
pub(crate) fn single_token(analyzer: &mut TextAnalyzer, text: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = None;
    while stream.advance() {
        if out.is_some() {
            return None;
        }
        out = Some(stream.token().text.clone());
    }
    out
}

/// Builds the typo-tolerant form of a plain-words query, or `None` when no word needs it.
pub fn typo_query(
    searcher: &Searcher,
    fields: &Fields,
    parser: &QueryParser,
    q: &str,
    lang: Lang,
) -> Option<(Box<dyn Query>, Vec<TypoWord>)> {
    let words = plain_words(q)?;
    let mut stemmer = super::text::query_analyzer(lang);
    let mut folder = words_analyzer(lang);
    let num_docs = searcher.num_docs();
    // "Rare": at most 0.05% of the articles (10 at least), e.g. a misspelling that a few
    // articles share; such a word also matches its close spellings, ranked below it.
    let rare = (num_docs / 2_000).max(10);
    // Each word's fuzzy query, if it gets one; the exact queries are parsed only when some
    // word does (most searches have no typo, and parsing was a few % of their CPU).
    let mut fuzzies: Vec<(&str, Option<FuzzyTermQuery>)> = Vec::with_capacity(words.len());
    let mut typos = Vec::new();
    let mut fuzzy_words = 0;
    for w in words {
        let candidate = single_token(&mut folder, w).zip(single_token(&mut stemmer, w));
        let Some((folded, stem)) = candidate else {
            fuzzies.push((w, None));
            continue;
        };
        let distance = allowed_edits(folded.chars().count());
        let df: u64 = super::words::text_doc_freqs(searcher, fields, &stem)
            .iter()
            .sum();
        if distance == 0 || df > rare || fuzzy_words >= MAX_TYPO_WORDS {
            fuzzies.push((w, None));
            continue;
        }
        let fuzzy =
            FuzzyTermQuery::new(Term::from_field_text(fields.words, &folded), distance, true);
        if df > 0 && !looks_misspelled(searcher, fields, &fuzzy, &stem, df, &mut stemmer) {
            fuzzies.push((w, None));
            continue;
        }
        fuzzy_words += 1;
        fuzzies.push((w, Some(fuzzy)));
        if !typos.iter().any(|t: &TypoWord| t.word == folded) {
            typos.push(TypoWord {
                word: folded,
                distance,
            });
        }
    }
    if typos.is_empty() {
        return None;
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = fuzzies
        .into_iter()
        .map(|(w, fuzzy)| {
            let exact = parser.parse_query_lenient(w).0;
            let clause: Box<dyn Query> = match fuzzy {
                None => exact,
                Some(fuzzy) => Box::new(BooleanQuery::new(vec![
                    (Occur::Should, exact),
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(fuzzy), TYPO_BOOST)),
                    ),
                ])),
            };
            (Occur::Must, clause)
        })
        .collect();
    Some((
        Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>,
        typos,
    ))
}

/// How many times more articles the other words near a rare word must have before the rare
/// word is taken for their misspelling.
const MISSPELLING_RATIO: u64 = 10;

/// Whether a word found in `df` articles looks like a misspelling: the words within its edit
/// distance, other than its own inflections (same stem), are in at least
/// [`MISSPELLING_RATIO`] times as many articles. A rare word that is simply rare (a name, an
/// inflected form in a language with many) keeps its exact matches alone, so typo tolerance
/// does not fill a page with unrelated words.
fn looks_misspelled(
    searcher: &Searcher,
    fields: &Fields,
    fuzzy: &FuzzyTermQuery,
    stem: &str,
    df: u64,
    stemmer: &mut TextAnalyzer,
) -> bool {
    let Ok(automaton) = fuzzy.automaton() else {
        return false;
    };
    let mut others: u64 = 0;
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(fields.words) else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().search(&automaton).into_stream() else {
            continue;
        };
        while stream.advance() {
            let Ok(word) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if single_token(stemmer, word).as_deref() == Some(stem) {
                continue;
            }
            others += u64::from(stream.value().doc_freq);
            if others >= df * MISSPELLING_RATIO {
                return true;
            }
        }
    }
    false
}

/// Whether `a` is within `max` edits of `b` (optimal string alignment: insertions, deletions,
/// substitutions and adjacent transpositions each count one).
pub fn within_edits(a: &str, b: &str, max: u8) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let max = usize::from(max);
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let mut row_min = usize::MAX;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return false;
        }
    }
    d[a.len() * w + b.len()] <= max
}

/// Whether some prefix of `text` is within `max` edits of `prefix` (for as-you-type words).
pub fn prefix_within_edits(prefix: &str, text: &str, max: u8) -> bool {
    if text.starts_with(prefix) {
        return true;
    }
    if max == 0 {
        return false;
    }
    let n = prefix.chars().count();
    let chars: Vec<char> = text.chars().collect();
    let lo = n.saturating_sub(usize::from(max));
    let hi = (n + usize::from(max)).min(chars.len());
    (lo..=hi).any(|k| {
        let head: String = chars[..k.min(chars.len())].iter().collect();
        within_edits(prefix, &head, max)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_budget_grows_with_length() {
        assert_eq!(
            (
                allowed_edits(3),
                allowed_edits(4),
                allowed_edits(7),
                allowed_edits(8)
            ),
            (0, 1, 1, 2)
        );
    }

    #[test]
    fn transposition_is_one_edit() {
        assert!(within_edits("prcies", "prices", 1));
        assert!(within_edits("goverment", "government", 1));
        assert!(!within_edits("price", "prize", 0));
        assert!(within_edits("price", "prize", 1));
        assert!(!within_edits("cocoa", "coffee", 2));
    }

    #[test]
    fn prefixes_with_typos() {
        assert!(prefix_within_edits("pyong", "pyongyang", 0));
        assert!(prefix_within_edits("pyonk", "pyongyang", 1));
        assert!(prefix_within_edits("beijn", "beijing", 1));
        assert!(!prefix_within_edits("lond", "beijing", 1));
    }

    #[test]
    fn syntax_disables_typos() {
        assert_eq!(plain_words("oil prices"), Some(vec!["oil", "prices"]));
        assert_eq!(plain_words("STOP AND SHOP"), Some(vec!["STOP", "SHOP"]));
        for q in [
            "\"oil prices\"",
            "oil -prices",
            "tag:oil",
            "oil OR gas",
            "(oil)",
            "",
        ] {
            assert_eq!(plain_words(q), None, "{q}");
        }
    }
}
