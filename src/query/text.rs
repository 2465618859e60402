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
//! queries for each article (a disjunction-max). Vietnamese words are often several syllables,
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
    text_query_in(index, fields, cfg, q, &parts)
}

/// Builds the text query for `q` analysed as `parts` say; an empty `q` matches everything.
pub fn text_query_in(
    index: &Index,
    fields: &Fields,
    cfg: &SearchConfig,
    q: &str,
    parts: &[LanguagePart],
) -> Box<dyn Query> {
    if q.trim().is_empty() {
        return Box::new(AllQuery);
    }
    let mut queries: Vec<Box<dyn Query>> = parts
        .iter()
        .map(|part| {
            let query = one_language(index, fields, cfg, q, part.lang);
            match &part.only {
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
    match queries.len() {
        0 => one_language(index, fields, cfg, q, crate::analysis::default_language()),
        1 => queries.pop().expect("one query"),
        _ => Box::new(DisjunctionMaxQuery::new(queries)),
    }
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
    let mut analyzer = query_analyzer(lang);
    if let Some(words) = super::words::WordsQuery::parse(q, &mut analyzer, fields, cfg) {
        return Box::new(words);
    }
    if let Some(word) = super::words::one_word_query(q, &mut analyzer, fields, cfg) {
        return Box::new(word);
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

/// Whether `q` is one plain word in `lang`, which the parser makes a union of its term in the
/// text fields.
pub fn is_one_word(q: &str, lang: Lang) -> bool {
    super::words::is_one_word(q, &mut query_analyzer(lang))
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
