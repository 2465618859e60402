//! The user's words → a tantivy query, with tantivy's own query parser in lenient mode.
//!
//! Plain words must all match (conjunction by default), title above summary above body;
//! `"phrases"`, `-exclusions`, `OR` and `field:value` (`author:`, `tag:`, `entity:`) work.
//! Plain words take a faster path with the same matches and scores ([`super::words`]).
//! Input the grammar rejects is still searched: the lenient parser keeps what it can read, and
//! a query it reduces to nothing is searched again as plain words.

use tantivy::query::{AllQuery, EmptyQuery, EnableScoring, Query, QueryParser};
use tantivy::Index;

use crate::config::SearchConfig;
use crate::index::Fields;

/// Builds the text query for `q`; an empty `q` matches everything.
pub fn text_query(index: &Index, fields: &Fields, cfg: &SearchConfig, q: &str) -> Box<dyn Query> {
    if q.trim().is_empty() {
        return Box::new(AllQuery);
    }
    let analyzer = index.tokenizers().get(crate::index::schema::TEXT_ANALYZER);
    if let Some(words) =
        analyzer.and_then(|mut a| super::words::WordsQuery::parse(q, &mut a, fields, cfg))
    {
        return Box::new(words);
    }
    let parser = parser(index, fields, cfg);
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

/// Whether `q` is one plain word, which the parser makes a union of its term in the text
/// fields.
pub fn is_one_word(index: &Index, q: &str) -> bool {
    index
        .tokenizers()
        .get(crate::index::schema::TEXT_ANALYZER)
        .is_some_and(|mut a| super::words::is_one_word(q, &mut a))
}

pub fn parser(index: &Index, fields: &Fields, cfg: &SearchConfig) -> QueryParser {
    let mut parser = QueryParser::for_index(index, vec![fields.title, fields.summary, fields.body]);
    parser.set_conjunction_by_default();
    parser.set_field_boost(fields.title, cfg.title_boost);
    parser.set_field_boost(fields.summary, cfg.summary_boost);
    parser.set_field_boost(fields.body, cfg.body_boost);
    parser
}

fn is_empty_query(q: &dyn Query) -> bool {
    q.as_any().downcast_ref::<EmptyQuery>().is_some()
}
