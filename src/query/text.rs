//! The user's words → a tantivy query, with tantivy's own query parser in lenient mode.
//!
//! Plain words must all match (conjunction by default), title above summary above body;
//! `"phrases"`, `-exclusions`, `OR` and `field:value` (`author:`, `tag:`, `entity:`) work.
//! Plain words take a faster path with the same matches and scores ([`super::words`]).
//! Input the grammar rejects is still searched: the lenient parser keeps what it can read, and
//! a query it reduces to nothing is searched again as plain words.
//!
//! A query is analysed by the rules of each language it may be in
//! ([`crate::analysis::query_languages`]): one language gives one query; several (an index of
//! English and German articles, a query in Latin letters) give the best-scoring of their
//! queries for each article (a disjunction-max), languages that analyse the query alike
//! sharing one ([`text_query_in`]). Vietnamese words are often several syllables,
//! so plain Vietnamese words also score as a phrase: articles with the syllables together rank
//! first.

use std::sync::OnceLock;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery,
    EnableScoring, Occur, Query, QueryParser,
};
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};
use tantivy::{Index, Searcher};

use crate::analysis::languages::Segmentation;
use crate::analysis::{Lang, Mode};
use crate::config::SearchConfig;
use crate::index::Fields;

/// Weight of a Vietnamese query's syllables as a phrase, beside the same syllables anywhere.
const VIETNAMESE_PHRASE_BOOST: f32 = 2.0;

/// Builds the text query for `q` in the languages `langs`; an empty `q` matches everything.
pub fn text_query(
    index: &Index,
    fields: &Fields,
    cfg: &SearchConfig,
    q: &str,
    langs: &[Lang],
) -> Box<dyn Query> {
    let parts: Vec<LanguagePart> = langs
        .iter()
        .map(|&lang| LanguagePart { lang, only: None })
        .collect();
    text_query_in(index, fields, cfg, q, &parts).query
}

/// The text query of `q` over some languages, and the languages it was analysed in.
pub struct TextQuery {
    /// What the words match, scored.
    pub query: Box<dyn Query>,
    /// The analyses kept: one per distinct query (see [`text_query_in`]).
    pub parts: Vec<LanguagePart>,
}

/// Builds the text query for `q` analysed as `parts` say; an empty `q` matches everything.
///
/// Languages whose rules analyse `q` alike (`oil` is `oil` in English, French and Danish) give
/// the same query: it is built once, over the articles of all of them. Without that, a few
/// articles detected as another language made every search of the index a disjunction of
/// copies of one query, each behind a language filter, which lost the plain-word paths (a lone
/// word's count apart, the words query) on every corpus measured.
pub fn text_query_in(
    index: &Index,
    fields: &Fields,
    cfg: &SearchConfig,
    q: &str,
    parts: &[LanguagePart],
) -> TextQuery {
    if q.trim().is_empty() {
        return TextQuery {
            query: Box::new(AllQuery),
            parts: parts.to_vec(),
        };
    }
    /// A distinct analysis: the parts it serves, what tells it apart, its query once built.
    struct Analysis {
        part: LanguagePart,
        key: String,
        query: Option<Box<dyn Query>>,
    }
    let mut distinct: Vec<Analysis> = Vec::new();
    for part in parts {
        // A lone part has nothing to be compared with.
        let (key, query) = if parts.len() == 1 {
            (String::new(), None)
        } else {
            match analysis_key(q, part.lang) {
                Some(key) => (key, None),
                None => {
                    let query = one_language(index, fields, cfg, q, part.lang);
                    (format!("{query:?}"), Some(query))
                }
            }
        };
        match distinct.iter_mut().find(|a| a.key == key) {
            Some(kept) => {
                kept.part.only = match (kept.part.only.take(), &part.only) {
                    (Some(mut tags), Some(more)) => {
                        tags.extend(more.iter().cloned());
                        Some(tags)
                    }
                    _ => None,
                }
            }
            None => distinct.push(Analysis {
                part: part.clone(),
                key,
                query,
            }),
        }
    }
    // One analysis left serves every article the parts covered (they partition the index's
    // languages, as `languages_of` makes them).
    if let [only] = distinct.as_mut_slice() {
        only.part.only = None;
    }
    let parts: Vec<LanguagePart> = distinct.iter().map(|a| a.part.clone()).collect();
    let mut queries: Vec<Box<dyn Query>> = distinct
        .into_iter()
        .map(|a| {
            let query = a
                .query
                .unwrap_or_else(|| one_language(index, fields, cfg, q, a.part.lang));
            match &a.part.only {
                None => query,
                Some(tags) => super::with_filters(
                    query,
                    vec![(
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(
                            super::filter::any_of(fields.language, tags),
                            0.0,
                        )) as Box<dyn Query>,
                    )],
                ),
            }
        })
        .collect();
    let query = match queries.len() {
        0 => one_language(index, fields, cfg, q, crate::analysis::default_language()),
        1 => queries.pop().expect("one query"),
        _ => Box::new(DisjunctionMaxQuery::new(queries)),
    };
    TextQuery { query, parts }
}

/// What decides the query of `q` in `lang`, read without building it, for languages that cut
/// words at spaces and punctuation: the tokens, with their places, that the two analyses the
/// query parser uses (text fields, word lists) give for the whole of `q`. Each literal the
/// parser analyses is a run of those tokens, so two languages with the same key build the same
/// query. `None` for languages cut by dictionaries or script runs, where a literal may be cut
/// otherwise than the whole: their queries are compared built, by their printed form (which
/// names every term, field and boost).
fn analysis_key(q: &str, lang: Lang) -> Option<String> {
    use std::fmt::Write;
    if lang.rules().segmentation != Segmentation::Spaces {
        return None;
    }
    let mut key = String::new();
    for mode in [Mode::Query, Mode::Words] {
        crate::analysis::with_analyzer(lang, mode, |analyzer| {
            let mut tokens = analyzer.token_stream(q);
            while tokens.advance() {
                let t = tokens.token();
                let _ = write!(
                    key,
                    "{}@{}-{}/{}\u{1f}",
                    t.text, t.offset_from, t.offset_to, t.position
                );
            }
        });
        key.push('\u{1e}');
    }
    Some(key)
}

/// The query analyser of `lang`.
pub fn query_analyzer(lang: Lang) -> TextAnalyzer {
    crate::analysis::analyzer(lang, Mode::Query)
}

fn one_language(
    index: &Index,
    fields: &Fields,
    cfg: &SearchConfig,
    q: &str,
    lang: Lang,
) -> Box<dyn Query> {
    let query = parsed(index, fields, cfg, q, lang);
    if lang.rules().segmentation != Segmentation::Vietnamese {
        return query;
    }
    let Some(words) = super::typo::plain_words(q).filter(|w| w.len() > 1) else {
        return query;
    };
    let phrase = parser(index, fields, cfg, lang)
        .parse_query(&format!("\"{}\"", words.join(" ")))
        .ok();
    match phrase {
        Some(phrase) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (
                Occur::Should,
                Box::new(BoostQuery::new(phrase, VIETNAMESE_PHRASE_BOOST)),
            ),
        ])),
        None => query,
    }
}

fn parsed(
    index: &Index,
    fields: &Fields,
    cfg: &SearchConfig,
    q: &str,
    lang: Lang,
) -> Box<dyn Query> {
    let plain = crate::analysis::with_analyzer(lang, Mode::Query, |analyzer| {
        if let Some(words) = super::words::WordsQuery::parse(q, analyzer, fields, cfg) {
            return Some(Box::new(words) as Box<dyn Query>);
        }
        super::words::one_word_query(q, analyzer, fields, cfg)
            .map(|word| Box::new(word) as Box<dyn Query>)
    });
    if let Some(query) = plain {
        return query;
    }
    let parser = parser(index, fields, cfg, lang);
    let (query, errors) = parser.parse_query_lenient(q);
    // The lenient parser lets through queries that fail only when searched, such as
    // `nosuchfield:*` (an exists-query on a field the schema lacks): those are searched as
    // plain words too, rather than answered with a 500.
    let searchable = query
        .weight(EnableScoring::disabled_from_schema(&index.schema()))
        .is_ok();
    if searchable && (errors.is_empty() || !is_empty_query(query.as_ref())) {
        return query;
    }
    // Nothing usable survived the grammar: search the words alone.
    let words: String = q
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    if words.trim().is_empty() {
        return Box::new(EmptyQuery);
    }
    parser.parse_query_lenient(&words).0
}

/// When `q` is one plain word in `lang`, a lower bound of the articles of `searcher` it
/// matches (see [`super::words::one_word_matches`]).
pub fn one_word_matches(searcher: &Searcher, fields: &Fields, q: &str, lang: Lang) -> Option<u64> {
    crate::analysis::with_analyzer(lang, Mode::Query, |analyzer| {
        super::words::one_word_matches(searcher, q, analyzer, fields)
    })
}

/// The query parser of `lang`: its analysis of the text fields and word lists.
pub fn parser(index: &Index, fields: &Fields, cfg: &SearchConfig, lang: Lang) -> QueryParser {
    let mut parser = QueryParser::new(
        index.schema(),
        vec![fields.title, fields.summary, fields.body],
        query_tokenizers(lang),
    );
    parser.set_conjunction_by_default();
    parser.set_field_boost(fields.title, cfg.title_boost);
    parser.set_field_boost(fields.summary, cfg.summary_boost);
    parser.set_field_boost(fields.body, cfg.body_boost);
    parser
}

fn query_tokenizers(lang: Lang) -> TokenizerManager {
    static MANAGERS: OnceLock<Vec<TokenizerManager>> = OnceLock::new();
    MANAGERS.get_or_init(|| {
        std::iter::once(Lang::GENERIC)
            .chain(Lang::all())
            .map(crate::index::schema::query_tokenizers)
            .collect()
    })[lang.index()]
    .clone()
}

/// The language tags of the articles in the index (the values of their `language` field).
pub fn present_tags(searcher: &Searcher, fields: &Fields) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(fields.language) else {
            continue;
        };
        let Ok(mut terms) = inverted.terms().stream() else {
            continue;
        };
        while terms.advance() {
            if let Ok(tag) = std::str::from_utf8(terms.key()) {
                if !out.iter().any(|t| t == tag) {
                    out.push(tag.to_string());
                }
            }
        }
    }
    out
}

/// One language a query is analysed in, and the articles that analysis searches.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguagePart {
    /// The rules the query is analysed by.
    pub lang: Lang,
    /// Only articles with one of these language tags; `None`: every article.
    pub only: Option<Vec<String>>,
}

/// The languages `q` is analysed in. With a `language` filter: those languages (the filter
/// already narrows the articles). Else the index's languages of the query's script, each on
/// its own articles (the default language's on every article), so that a Vietnamese
/// syllable folded by French rules does not match French words; articles in the index's
/// other languages are searched with the generic rules (a Latin name or a number in a
/// Chinese article is still found).
pub fn languages_of(
    searcher: &Searcher,
    fields: &Fields,
    q: &str,
    asked: &[String],
) -> Vec<LanguagePart> {
    let all = |lang| LanguagePart { lang, only: None };
    if !asked.is_empty() {
        let asked: Vec<Lang> = asked.iter().map(|t| Lang::of_tag(t)).collect();
        return crate::analysis::query_languages(q, &asked, &[])
            .into_iter()
            .map(all)
            .collect();
    }
    let tags = present_tags(searcher, fields);
    let present: Vec<Lang> = tags.iter().map(|t| Lang::of_tag(t)).collect();
    let chosen = crate::analysis::query_languages(q, &[], &present);
    let mut parts: Vec<LanguagePart> = chosen
        .iter()
        .map(|&lang| LanguagePart {
            lang,
            only: Some(
                tags.iter()
                    .filter(|t| Lang::of_tag(t).query_key() == lang.query_key())
                    .cloned()
                    .collect(),
            ),
        })
        .collect();
    let others: Vec<String> = tags
        .iter()
        .filter(|t| {
            !chosen
                .iter()
                .any(|l| l.query_key() == Lang::of_tag(t).query_key())
        })
        .cloned()
        .collect();
    if !others.is_empty() {
        parts.push(LanguagePart {
            lang: Lang::GENERIC,
            only: Some(others),
        });
    }
    // One analysis for every article needs no restriction; nor does the default language's
    // (the site's own): its query keeps its fast paths, and the other languages' articles,
    // usually few, are searched by their own rules beside it.
    if parts.len() == 1 || parts[0].lang == crate::analysis::default_language() {
        parts[0].only = None;
    }
    parts.retain(|p| p.only.as_ref().is_none_or(|t| !t.is_empty()));
    if parts.is_empty() {
        parts = chosen.into_iter().map(all).collect();
    }
    parts
}

fn is_empty_query(q: &dyn Query) -> bool {
    q.as_any().downcast_ref::<EmptyQuery>().is_some()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tantivy::collector::TopDocs;
    use tantivy::{DocAddress, Searcher};

    use super::*;
    use crate::config::Config;
    use crate::index::test_support::from_json;
    use crate::index::NewsIndex;

    /// English articles, and two French, one German, one Chinese and one Japanese among them.
    fn index() -> NewsIndex {
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        let articles = [
            (
                "e1",
                "en",
                "Oil prices rise",
                "Crude oil prices rose on Monday.",
            ),
            ("e2", "en", "Markets", "Oil stocks and steel prices."),
            ("e3", "en", "Grain", "Wheat exports grew."),
            (
                "f1",
                "fr",
                "Le pétrole",
                "Les prix du oil brut ont augmenté.",
            ),
            ("f2", "fr", "Les marchés", "Le prix de l'acier baisse."),
            ("d1", "de", "Öl", "Die Preise für oil steigen."),
            ("z1", "zh", "石油价格", "国际石油价格周一上涨。"),
            ("j1", "ja", "石油価格", "石油の価格が上がった。"),
        ];
        let ops = articles
            .iter()
            .map(|(id, lang, title, body)| {
                let article = from_json(serde_json::json!({
                    "id": id, "language": lang, "title": title, "body": body,
                    "published_at": "2024-01-01T00:00:00Z",
                }));
                index.upsert_op(&article).expect("op")
            })
            .collect();
        index.writer().apply_blocking(ops, true).expect("write");
        index
    }

    fn scored(searcher: &Searcher, q: &dyn Query) -> HashMap<DocAddress, f32> {
        let hits = searcher
            .search(q, &TopDocs::with_limit(100).order_by_score())
            .expect("search");
        hits.into_iter().map(|(s, a)| (a, s)).collect()
    }

    /// What the query was before languages that analyse alike were merged: each language's
    /// query on its own articles, the best of them for each article.
    fn unmerged(index: &NewsIndex, q: &str, parts: &[LanguagePart]) -> Box<dyn Query> {
        let cfg = Config::default().search;
        let fields = index.fields();
        let queries = parts
            .iter()
            .map(|part| {
                let query = one_language(index.index(), fields, &cfg, q, part.lang);
                match &part.only {
                    None => query,
                    Some(tags) => Box::new(BooleanQuery::new(vec![
                        (Occur::Must, query),
                        (
                            Occur::Must,
                            Box::new(ConstScoreQuery::new(
                                crate::query::filter::any_of(fields.language, tags),
                                0.0,
                            )),
                        ),
                    ])),
                }
            })
            .collect();
        Box::new(DisjunctionMaxQuery::new(queries))
    }

    #[test]
    fn languages_that_analyse_a_query_alike_share_one_query() {
        let index = index();
        let searcher = index.searcher();
        let fields = index.fields();
        let cfg = Config::default().search;
        // Latin queries: English, French, German, and the generic rules for the Chinese and
        // Japanese articles. `oil` is `oil` in all four: one query. English stems `prices` to
        // `price`, French and German to `pric` (one query for both), the generic rules leave it
        // whole. Han queries: Chinese and Japanese, compared by their built queries (how many
        // stay is not asserted).
        let cases = [
            ("oil", 4, Some(1)),
            ("prices", 4, Some(3)),
            ("oil prices", 4, Some(3)),
            ("\"oil\"", 4, Some(1)),
            ("title:oil -steel", 4, None),
            ("石油", 2, None),
            ("石油价格", 2, None),
        ];
        for (q, languages, analyses) in cases {
            let parts = languages_of(&searcher, fields, q, &[]);
            assert_eq!(parts.len(), languages, "{q}: {parts:?}");
            let merged = text_query_in(index.index(), fields, &cfg, q, &parts);
            if let Some(analyses) = analyses {
                assert_eq!(merged.parts.len(), analyses, "{q}: {:?}", merged.parts);
            }
            if merged.parts.len() == 1 {
                assert_eq!(
                    merged.parts[0].only, None,
                    "{q}: one query for every article"
                );
            }
            let ours = scored(&searcher, merged.query.as_ref());
            let reference = scored(&searcher, unmerged(&index, q, &parts).as_ref());
            assert!(!reference.is_empty(), "{q} matches");
            assert_eq!(ours, reference, "{q}: same matches, same scores");
        }
    }
}
