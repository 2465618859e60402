//! A [`SearchPlan`] as an OpenSearch search request, and the answer back as our
//! [`SearchResponse`]. Pure: no node needed, so the request is tested as JSON.
//!
//! - **Words**: our syntax (plain words AND'ed, `"phrases"`, `-exclusions`, `OR`,
//!   `author:` / `tag:` / `entity:` values) is rewritten into `simple_query_string` syntax
//!   (`OR` runs become `(a | b)`, the operators of that syntax typed as words are dropped)
//!   with `default_operator: and` over `text.<family>.title^3`, `.summary^2` and `.body`
//!   (every family, or those of the `language` filter); each word must match in one of the
//!   fields, each field read by its own analyzer. `field:value` words become filters on the
//!   keyword fields (`-field:value`: excluded).
//! - **Typos**: with `plan.typos`, the same query with `word~N` for plain words of Latin (or
//!   other spaced) scripts, N as `fuzziness: AUTO:5,8` would choose (5–7 letters: 1 edit, 8 or
//!   more: 2; the first letter kept), joins the exact one as a `should`: exact matches score
//!   both and rank first, as the tantivy side's exact tier does; typo matches score below. Unlike
//!   tantivy, OpenSearch does not check that the close spelling is ten times more frequent.
//! - **Filters** go to `filter` (not scored), except those of dimensions an own (disjunctive)
//!   facet counts: they go to `post_filter`, so that the aggregations, which run before it,
//!   can count each own facet under every filter but its own (a `filter` aggregation each),
//!   and the shared facets under all of them (one `filter` aggregation around them).
//! - **Facets**: `terms` (size `facet_limit`, most frequent first, ties by value) on the
//!   original values; an entity type's facet keeps the `type\u{1f}` prefix (`include`);
//!   `published_at` is a `date_histogram` with a `calendar_interval` (UTC, weeks from Monday).
//!   Their buckets are finished by [`facets::finish`], as tantivy's are (zero buckets filled
//!   in between).
//! - **Order and page**: `_score` or `published_at` (missing dates last), then `id`; `from` =
//!   offset, `size` = limit + 1 (the extra hit says whether a `next` cursor is due);
//!   `collapse` on `copy_key`, so wire copies show once, with `inner_hits` counting the
//!   copies; `track_total_hits: true` for exact totals. Deep paging (`after`) uses
//!   `search_after`, which OpenSearch does not combine with `collapse`: pages after a cursor
//!   do not collapse copies.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use super::mapping::{family, TEXT_FIELDS};
use crate::analysis::Lang;
use crate::query::cursor::Cursor;
use crate::query::facets::{self, FacetSpec, HistogramInterval, RawCounts};
use crate::query::highlight::{escape, Snippets};
use crate::query::{Dimension, Filters, Hit, SearchPlan, SearchResponse, Sort};

/// Weight of the exact query beside its typo-tolerant twin.
pub const EXACT_BOOST: f64 = 10.0;
/// Derived fields that a hit does not need back.
const DERIVED: [&str; 6] = [
    "suggest",
    "tag_paths",
    "entity_names",
    "entity_types",
    "entity_typed",
    "copy_key",
];
/// Characters of a snippet passage around the matches.
const FRAGMENT_CHARS: u32 = 200;

/// One part of the user's words in our syntax.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Word {
        text: String,
        not: bool,
    },
    Phrase {
        text: String,
        not: bool,
    },
    Or,
    Field {
        field: &'static str,
        value: String,
        not: bool,
    },
}

/// The keyword field (lower-cased) of a `field:value` word.
fn field_of(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "author" => Some("authors.lower"),
        "tag" => Some("tag_paths.lower"),
        "entity" => Some("entity_names.lower"),
        _ => None,
    }
}

/// Characters with a meaning in `simple_query_string` (or that would end a term there), which
/// in our syntax are punctuation inside a word.
fn is_operator_char(c: char) -> bool {
    matches!(c, '|' | '+' | '(' | ')' | '"' | '\\' | '~' | '*')
}

fn clean_word(w: &str) -> String {
    w.chars()
        .map(|c| if is_operator_char(c) { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Splits the user's words.
fn parse(q: &str) -> Vec<Part> {
    let chars: Vec<char> = q.chars().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut not = false;
        while i < chars.len() && (chars[i] == '-' || chars[i] == '+') {
            not |= chars[i] == '-';
            i += 1;
        }
        if i < chars.len() && chars[i] == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '"')
                .map_or(chars.len(), |p| i + 1 + p);
            let text: String = chars[i + 1..end].iter().collect();
            let text = clean_word(&text);
            if !text.is_empty() {
                parts.push(Part::Phrase { text, not });
            }
            i = end + 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            // A quoted value of `field:"…"` runs to its closing quote.
            if chars[i] == '"' && i > start && chars[i - 1] == ':' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
            }
            i += 1;
        }
        let raw: String = chars[start..i.min(chars.len())].iter().collect();
        if raw == "OR" && !not {
            parts.push(Part::Or);
            continue;
        }
        if raw == "AND" && !not {
            continue;
        }
        if let Some((name, value)) = raw.split_once(':') {
            if let Some(field) = field_of(name) {
                let value = value.trim_matches('"').trim().to_lowercase();
                if !value.is_empty() {
                    parts.push(Part::Field { field, value, not });
                }
                continue;
            }
        }
        // Unknown `x:y` is words; the colon would glue them in one token.
        let text = clean_word(&raw.replace(':', " "));
        if !text.is_empty() {
            parts.push(Part::Word { text, not });
        }
    }
    parts
}

/// Whether a word is written in a script without spaces (no edit distance there).
fn unspaced(word: &str) -> bool {
    word.chars().any(|c| {
        matches!(c as u32,
            0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af
            | 0xf900..=0xfaff | 0xff66..=0xff9f)
    })
}

/// The edits a typo-tolerant word allows, as `fuzziness: AUTO:5,8` would.
fn edits(word: &str) -> usize {
    if unspaced(word) || !word.chars().all(char::is_alphabetic) {
        return 0;
    }
    match word.chars().count() {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

/// The text of a `simple_query_string` for the parts (with `~N` on words when `fuzzy`), and
/// the keyword clauses of `field:value` words (required, excluded).
fn query_string(parts: &[Part], fuzzy: bool) -> (String, Vec<Value>, Vec<Value>) {
    let mut terms: Vec<String> = Vec::new();
    let mut must = Vec::new();
    let mut must_not = Vec::new();
    // Whether the last term was followed by OR (the next joins its group).
    let mut joining = false;
    let mut groups: Vec<Vec<String>> = Vec::new();
    for part in parts {
        let term = match part {
            Part::Or => {
                joining = !groups.is_empty();
                continue;
            }
            Part::Field { field, value, not } => {
                let clause = json!({"term": {*field: value}});
                if *not {
                    must_not.push(clause);
                } else {
                    must.push(clause);
                }
                continue;
            }
            Part::Word { text, not } => {
                let n = if fuzzy && !*not { edits(text) } else { 0 };
                let sign = if *not { "-" } else { "" };
                if n > 0 {
                    format!("{sign}{text}~{n}")
                } else {
                    format!("{sign}{text}")
                }
            }
            Part::Phrase { text, not } => {
                format!("{}\"{text}\"", if *not { "-" } else { "" })
            }
        };
        match groups.last_mut() {
            Some(group) if joining => group.push(term),
            _ => groups.push(vec![term]),
        }
        joining = false;
    }
    for group in groups {
        if group.len() == 1 {
            terms.extend(group);
        } else {
            terms.push(format!("({})", group.join(" | ")));
        }
    }
    (terms.join(" "), must, must_not)
}

/// The text fields a query searches: those of the languages asked for, else those of the
/// families the index holds (`present`, when known), else every family's (`text.*`). Each
/// family's three fields cost a rewrite and a term lookup per word; on an English corpus the
/// ~100 fields of `text.*` made a one-word search about twice as slow.
fn text_fields(languages: &[String], present: Option<&[String]>) -> Vec<String> {
    let mut families: Vec<&str> = languages.iter().map(|l| family(Lang::of_tag(l))).collect();
    if families.is_empty() {
        families.extend(present.unwrap_or_default().iter().map(String::as_str));
    }
    families.sort_unstable();
    families.dedup();
    if families.is_empty() {
        families.push("*");
    }
    let mut out = Vec::new();
    for (name, weight) in TEXT_FIELDS {
        for f in &families {
            out.push(if weight == 1 {
                format!("text.{f}.{name}")
            } else {
                format!("text.{f}.{name}^{weight}")
            });
        }
    }
    out
}

fn simple_query(query: &str, fields: &[String], fuzzy: bool) -> Value {
    let mut flags = "AND|OR|NOT|PHRASE|PRECEDENCE|WHITESPACE".to_string();
    let mut q = json!({
        "query": query,
        "fields": fields,
        "default_operator": "and",
        "lenient": true,
    });
    if fuzzy {
        flags.push_str("|FUZZY");
        q["fuzzy_prefix_length"] = json!(1);
        q["fuzzy_max_expansions"] = json!(50);
    }
    q["flags"] = json!(flags);
    json!({ "simple_query_string": q })
}

/// The scoring part of the query: what the words match; `None` when they match everything.
fn text_query(
    plan: &SearchPlan,
    present: Option<&[String]>,
) -> (Option<Value>, Vec<Value>, Vec<Value>) {
    let Some(words) = plan.words.as_deref() else {
        return (None, Vec::new(), Vec::new());
    };
    let parts = parse(words);
    let (exact, must, must_not) = query_string(&parts, false);
    if exact.trim().is_empty() {
        // Only `field:value` words: they filter; nothing at all: nothing matches.
        let none = (must.is_empty() && must_not.is_empty()).then(|| json!({"match_none": {}}));
        return (none, must, must_not);
    }
    let fields = text_fields(&plan.filters.language, present);
    let exact_query = simple_query(&exact, &fields, false);
    let (fuzzy, _, _) = query_string(&parts, plan.typos);
    let query = if plan.typos && fuzzy != exact {
        let mut boosted = exact_query;
        boosted["simple_query_string"]["boost"] = json!(EXACT_BOOST);
        json!({"bool": {
            "should": [boosted, simple_query(&fuzzy, &fields, true)],
            "minimum_should_match": 1
        }})
    } else {
        exact_query
    };
    (Some(query), must, must_not)
}

const DIMENSIONS: [Dimension; 7] = [
    Dimension::Author,
    Dimension::Tag,
    Dimension::Entity,
    Dimension::EntityType,
    Dimension::Language,
    Dimension::Source,
    Dimension::Date,
];

/// The filter clause of one dimension, when it is set.
fn filter_clause(filters: &Filters, d: Dimension) -> Option<Value> {
    if !filters.has(d) {
        return None;
    }
    let terms = |field: &str, values: &[String]| json!({"terms": {field: values}});
    Some(match d {
        Dimension::Author => terms("authors.lower", &filters.author),
        Dimension::Tag => terms("tag_paths.lower", &filters.tag),
        Dimension::Entity => terms("entity_names.lower", &filters.entity),
        Dimension::EntityType => terms("entity_types", &filters.entity_type),
        Dimension::Language => terms("language", &filters.language),
        Dimension::Source => terms("source.lower", &filters.source),
        Dimension::Date => {
            let mut range = Map::new();
            if let Some(from) = filters.from {
                range.insert("gte".into(), json!(from.timestamp_millis()));
            }
            if let Some(to) = filters.to {
                range.insert("lte".into(), json!(to.timestamp_millis()));
            }
            range.insert("format".into(), json!("epoch_millis"));
            json!({"range": {"published_at": range}})
        }
    })
}

/// The filter clauses of every dimension set (related articles filter by all of them).
pub(crate) fn filter_clauses(filters: &Filters) -> Vec<Value> {
    DIMENSIONS
        .into_iter()
        .filter_map(|d| filter_clause(filters, d))
        .collect()
}

fn all_of(clauses: Vec<Value>) -> Value {
    if clauses.is_empty() {
        json!({"match_all": {}})
    } else {
        json!({"bool": {"filter": clauses}})
    }
}

fn interval_name(i: HistogramInterval) -> &'static str {
    match i {
        HistogramInterval::Day => "day",
        HistogramInterval::Week => "week",
        HistogramInterval::Month => "month",
        HistogramInterval::Year => "year",
    }
}

/// The aggregation of one facet; `None` when it counts nothing (`facet_limit=0`).
fn facet_agg(spec: &FacetSpec, limit: usize) -> Option<Value> {
    let field = match spec {
        FacetSpec::PublishedAt(i) => {
            return Some(json!({"date_histogram": {
                "field": "published_at",
                "calendar_interval": interval_name(*i),
                "min_doc_count": 1
            }}));
        }
        _ if limit == 0 => return None,
        FacetSpec::Authors => "authors",
        FacetSpec::Tags => "tag_paths",
        FacetSpec::Sources => "source",
        FacetSpec::Languages => "language",
        FacetSpec::Entities(_) => "entity_typed",
    };
    let mut terms = json!({
        "field": field,
        "size": limit,
        "order": [{"_count": "desc"}, {"_key": "asc"}]
    });
    if let FacetSpec::Entities(Some(t)) = spec {
        let escaped: String = t
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_string()
                } else {
                    format!("\\{c}")
                }
            })
            .collect();
        terms["include"] = json!(format!("{escaped}\u{1f}.*"));
    }
    Some(json!({ "terms": terms }))
}

/// Dimensions that own facets count without: their filters go to `post_filter`.
fn post_dimensions(plan: &SearchPlan) -> Vec<Dimension> {
    let mut dims: Vec<Dimension> = plan.own_facets.iter().map(FacetSpec::dimension).collect();
    dims.dedup();
    DIMENSIONS
        .into_iter()
        .filter(|d| dims.contains(d) && plan.filters.has(*d))
        .collect()
}

fn sort_clause(sort: Sort) -> Value {
    match sort {
        Sort::Relevance => json!([{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}]),
        Sort::Newest => json!([
            {"published_at": {"order": "desc", "missing": "_last"}},
            {"id": {"order": "asc"}}
        ]),
        Sort::Oldest => json!([
            {"published_at": {"order": "asc", "missing": "_last"}},
            {"id": {"order": "asc"}}
        ]),
    }
}

/// The `search_after` values of a cursor (the inverse of [`cursor_key`]).
fn search_after(c: &Cursor) -> Value {
    let millis = |k: f64, missing: i64| {
        if k == f64::MIN {
            missing
        } else {
            (k * 1000.0).round() as i64
        }
    };
    match c.sort {
        Sort::Relevance => json!([c.key, c.id]),
        Sort::Newest => json!([millis(c.key, i64::MIN), c.id]),
        Sort::Oldest => json!([
            if c.key == f64::MIN {
                i64::MAX
            } else {
                millis(-c.key, i64::MAX)
            },
            c.id
        ]),
    }
}

/// The cursor key of a hit's sort values: the score, or its date in seconds (negated when
/// oldest first; `f64::MIN` without a date), as the tantivy side keys them.
fn cursor_key(sort: Sort, values: &[Value]) -> f64 {
    let first = values.first();
    match sort {
        Sort::Relevance => first.and_then(Value::as_f64).unwrap_or(0.0),
        Sort::Newest | Sort::Oldest => match first.and_then(Value::as_i64) {
            None | Some(i64::MIN) | Some(i64::MAX) => f64::MIN,
            Some(ms) if sort == Sort::Newest => ms as f64 / 1000.0,
            Some(ms) => -(ms as f64) / 1000.0,
        },
    }
}

/// The OpenSearch search request of a plan.
pub fn search_body(plan: &SearchPlan, present: Option<&[String]>) -> Value {
    let (text, field_must, field_must_not) = text_query(plan, present);
    let post_dims = post_dimensions(plan);
    let clauses_except = |skip: &dyn Fn(Dimension) -> bool| -> Vec<Value> {
        DIMENSIONS
            .into_iter()
            .filter(|d| !skip(*d))
            .filter_map(|d| filter_clause(&plan.filters, d))
            .collect()
    };
    let mut filter = clauses_except(&|d| post_dims.contains(&d));
    filter.extend(field_must);
    let post: Vec<Value> = post_dims
        .iter()
        .filter_map(|d| filter_clause(&plan.filters, *d))
        .collect();

    let mut bool_q = Map::new();
    if let Some(text) = text {
        bool_q.insert("must".into(), json!([text]));
    }
    if !filter.is_empty() {
        bool_q.insert("filter".into(), json!(filter));
    }
    if !field_must_not.is_empty() {
        bool_q.insert("must_not".into(), json!(field_must_not));
    }
    let query = if bool_q.is_empty() {
        json!({"match_all": {}})
    } else {
        json!({ "bool": bool_q })
    };

    let limit = plan.page.limit;
    let mut body = json!({
        "query": query,
        "track_total_hits": true,
        "size": if limit == 0 { 0 } else { limit + 1 },
        "sort": sort_clause(plan.sort_value),
        "_source": {"excludes": DERIVED},
    });
    match &plan.after {
        Some(c) => body["search_after"] = search_after(c),
        None => {
            body["from"] = json!(plan.page.offset);
            if limit > 0 {
                // Copies are counted by a second request ([`copies_body`]): `inner_hits` ran
                // the whole query again for each hit of the page (25-45 ms of a 10-hit page).
                body["collapse"] = json!({"field": "copy_key"});
            }
        }
    }
    if !post.is_empty() {
        body["post_filter"] = all_of(post.clone());
    }

    let mut aggs = Map::new();
    let mut shared = Map::new();
    for (i, spec) in plan.shared_facets.iter().enumerate() {
        if let Some(agg) = facet_agg(spec, plan.facet_limit) {
            shared.insert(format!("s{i}"), agg);
        }
    }
    if !shared.is_empty() {
        if post.is_empty() {
            aggs.extend(shared);
        } else {
            aggs.insert(
                "shared".into(),
                json!({"filter": all_of(post.clone()), "aggs": shared}),
            );
        }
    }
    for (i, spec) in plan.own_facets.iter().enumerate() {
        let Some(agg) = facet_agg(spec, plan.facet_limit) else {
            continue;
        };
        let own = spec.dimension();
        let others: Vec<Value> = post_dims
            .iter()
            .filter(|d| **d != own)
            .filter_map(|d| filter_clause(&plan.filters, *d))
            .collect();
        aggs.insert(
            format!("o{i}"),
            json!({"filter": all_of(others), "aggs": {"f": agg}}),
        );
    }
    if !aggs.is_empty() {
        body["aggs"] = Value::Object(aggs);
    }

    if plan.highlight && plan.words.is_some() && limit > 0 {
        let passage = json!({"fragment_size": FRAGMENT_CHARS, "number_of_fragments": 1});
        let mut body_field = passage.clone();
        body_field["no_match_size"] = json!(FRAGMENT_CHARS);
        body["highlight"] = json!({
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",
            "fields": {
                "text.*.title": {"number_of_fragments": 0},
                "text.*.summary": passage,
                "text.*.body": body_field,
            }
        });
    }
    body
}

fn bad(why: &str) -> crate::Error {
    crate::Error::Internal(format!("unexpected OpenSearch answer: {why}"))
}

/// A facet's counts from its aggregation's buckets.
fn raw_counts(spec: &FacetSpec, agg: Option<&Value>) -> RawCounts {
    let buckets = agg
        .and_then(|a| a["buckets"].as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let count = |b: &Value| b["doc_count"].as_u64().unwrap_or(0);
    match spec {
        FacetSpec::PublishedAt(_) => RawCounts::from_counts(
            Vec::new(),
            buckets.iter().filter_map(|b| {
                let ms = b["key"].as_i64()?;
                Some((ms.div_euclid(86_400_000), count(b)))
            }),
        ),
        _ => RawCounts::from_counts(
            buckets
                .iter()
                .filter_map(|b| Some((b["key"].as_str()?.to_string(), count(b))))
                .collect::<Vec<_>>(),
            Vec::new(),
        ),
    }
}

/// The snippets of a hit from its highlights (the title whole, the best passage of the body,
/// or of the summary when the body has no match).
fn snippets(article: &crate::Article, highlight: Option<&Value>) -> Snippets {
    let field = |name: &str| -> Option<String> {
        let map = highlight?.as_object()?;
        map.iter()
            .find(|(k, _)| k.starts_with("text.") && k.ends_with(&format!(".{name}")))
            .and_then(|(_, v)| v.as_array()?.first()?.as_str().map(String::from))
    };
    let title = field("title").unwrap_or_else(|| escape(&article.title));
    let body = match (field("body"), field("summary")) {
        (Some(b), _) if b.contains("<mark>") => b,
        (_, Some(s)) => s,
        (Some(b), None) => b,
        (None, None) => article.summary.as_deref().map(escape).unwrap_or_default(),
    };
    Snippets { title, body }
}

/// Our answer from OpenSearch's answer to [`search_body`]`(plan)`.
/// The request that counts the copies of a page's hits, and each hit's copy key (in the order
/// of the hits), when the search collapsed copies and found some: the same query and
/// post-filter as `main`, in filter context (no scores), narrowed to the page's copy keys,
/// with a count per key. `None` when there is nothing to count.
pub fn copies_body(main: &Value, answer: &Value) -> Option<(Value, Vec<Option<String>>)> {
    main.get("collapse")?;
    let keys: Vec<Option<String>> = answer["hits"]["hits"]
        .as_array()?
        .iter()
        .map(|h| h["fields"]["copy_key"][0].as_str().map(String::from))
        .collect();
    let mut wanted: Vec<&str> = keys.iter().flatten().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return None;
    }
    let mut filter = vec![
        main["query"].clone(),
        json!({"terms": {"copy_key": wanted}}),
    ];
    if let Some(post) = main.get("post_filter") {
        filter.push(post.clone());
    }
    let body = json!({
        "size": 0,
        "track_total_hits": false,
        "query": {"bool": {"filter": filter}},
        "aggs": {"copies": {"terms": {"field": "copy_key", "size": wanted.len()}}},
    });
    Some((body, keys))
}

/// Sets each hit's `copies` (the other matches with its copy key) from the answer to
/// [`copies_body`]; `keys` are its hits' copy keys, in order.
pub fn apply_copies(resp: &mut SearchResponse, keys: &[Option<String>], answer: &Value) {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for b in answer["aggregations"]["copies"]["buckets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if let (Some(k), Some(n)) = (b["key"].as_str(), b["doc_count"].as_u64()) {
            counts.insert(k, n);
        }
    }
    for (hit, key) in resp.hits.iter_mut().zip(keys) {
        let n = key.as_deref().and_then(|k| counts.get(k)).copied();
        hit.copies = n.map_or(0, |n| n.saturating_sub(1) as usize);
    }
}

pub fn search_response(plan: &SearchPlan, json: &Value) -> crate::Result<SearchResponse> {
    let total = json["hits"]["total"]["value"]
        .as_u64()
        .ok_or_else(|| bad("no hits.total"))?;
    let empty = Vec::new();
    let raw_hits = json["hits"]["hits"].as_array().unwrap_or(&empty);
    let limit = plan.page.limit;
    let more = raw_hits.len() > limit && limit > 0;
    let mut hits = Vec::with_capacity(raw_hits.len().min(limit));
    let mut last_key = None;
    for h in raw_hits.iter().take(limit) {
        let article = super::mapping::article_of_source(&h["_source"])?;
        let score = match plan.sort_value {
            Sort::Relevance => h["_score"].as_f64().map(|s| s as f32),
            _ => None,
        };
        let snippets = plan
            .highlight
            .then(|| snippets(&article, h.get("highlight")));
        let mut hit = Hit::from_article(article, score);
        hit.snippets = snippets;
        let values = h["sort"].as_array().map(Vec::as_slice).unwrap_or_default();
        last_key = Some(cursor_key(plan.sort_value, values));
        hits.push(hit);
    }
    let next = match (more, last_key, hits.last()) {
        (true, Some(key), Some(hit)) => Some(
            Cursor {
                sort: plan.sort_value,
                tier: 0,
                key,
                id: hit.id.clone(),
            }
            .encode(),
        ),
        _ => None,
    };
    let aggs = &json["aggregations"];
    let mut facet_map = BTreeMap::new();
    for (i, spec) in plan.shared_facets.iter().enumerate() {
        let name = format!("s{i}");
        let agg = aggs.get(&name).or_else(|| aggs["shared"].get(&name));
        let raw = raw_counts(spec, agg);
        facet_map.insert(spec.key(), facets::finish(spec, raw, plan.facet_limit));
    }
    for (i, spec) in plan.own_facets.iter().enumerate() {
        let agg = aggs.get(format!("o{i}")).and_then(|a| a.get("f"));
        let raw = raw_counts(spec, agg);
        facet_map.insert(spec.key(), facets::finish(spec, raw, plan.facet_limit));
    }
    Ok(SearchResponse {
        total,
        took_ms: json["took"].as_f64().unwrap_or(0.0),
        hits,
        facets: facet_map,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::query::params::SearchParams;

    fn plan(query: &str) -> SearchPlan {
        let pairs = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let req = SearchParams::from_pairs(pairs)
            .expect("params")
            .into_request(&Config::default().limits)
            .expect("request");
        SearchPlan::new(&req).expect("plan")
    }

    const ALL_FIELDS: [&str; 3] = ["text.*.title^3", "text.*.summary^2", "text.*.body"];

    fn sqs(query: &str, fields: &[&str]) -> Value {
        json!({"simple_query_string": {
            "query": query, "fields": fields, "default_operator": "and", "lenient": true,
            "flags": "AND|OR|NOT|PHRASE|PRECEDENCE|WHITESPACE"
        }})
    }

    #[test]
    fn words_are_looked_up_in_the_families_the_index_holds() {
        let langs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let present = langs(&["en", "de"]);
        // A language asked for wins; then the families present; unknown: every family.
        assert_eq!(
            text_fields(&langs(&["fr"]), Some(&present)),
            ["text.fr.title^3", "text.fr.summary^2", "text.fr.body"]
        );
        let fields = text_fields(&[], Some(&present));
        assert_eq!(fields.len(), 6, "{fields:?}");
        assert!(fields.contains(&"text.de.body".to_string()), "{fields:?}");
        assert_eq!(text_fields(&[], None)[0], "text.*.title^3");
        assert_eq!(text_fields(&[], Some(&[]))[0], "text.*.title^3");
    }

    #[test]
    fn our_syntax_becomes_simple_query_string() {
        let cases: &[(&str, &str)] = &[
            ("oil prices", "oil prices"),
            ("\"oil prices\" -opec", "\"oil prices\" -opec"),
            ("oil OR gas prices", "(oil | gas) prices"),
            ("a OR b OR c", "(a | b | c)"),
            ("oil|gas (x) y* z~2", "oil gas x y z 2"),
            ("title:oil", "title oil"),
            ("Russia-North Korea", "Russia-North Korea"),
            ("中国外交", "中国外交"),
        ];
        for (q, want) in cases {
            let (got, _, _) = query_string(&parse(q), false);
            assert_eq!(got, *want, "{q}");
        }
        // Typo-tolerant: longer plain words of spaced scripts only.
        let (got, _, _) = query_string(
            &parse("oil pricess \"ministers met\" -governments 中国外交部"),
            true,
        );
        assert_eq!(
            got,
            "oil pricess~1 \"ministers met\" -governments 中国外交部"
        );
        assert_eq!(
            query_string(&parse("international"), true).0,
            "international~2"
        );
        // field:value words filter.
        let (got, must, must_not) =
            query_string(&parse("oil author:\"Ann Lee\" -tag:World/Asia"), false);
        assert_eq!(got, "oil");
        assert_eq!(must, vec![json!({"term": {"authors.lower": "ann lee"}})]);
        assert_eq!(
            must_not,
            vec![json!({"term": {"tag_paths.lower": "world/asia"}})]
        );
    }

    /// Plan → request, table-driven: (query string, JSON pointer, expected value).
    #[test]
    fn plans_become_requests() {
        let cases: Vec<(&str, &str, Value)> = vec![
            // Browsing: everything, newest first, copies collapsed, one more hit than shown.
            ("", "/query", json!({"match_all": {}})),
            (
                "",
                "/sort/0",
                json!({"published_at": {"order": "desc", "missing": "_last"}}),
            ),
            ("", "/size", json!(11)),
            ("", "/from", json!(0)),
            ("", "/track_total_hits", json!(true)),
            ("", "/collapse/field", json!("copy_key")),
            // Words, no typos: one simple_query_string over every family.
            (
                "q=oil+prices&typos=false",
                "/query/bool/must/0",
                sqs("oil prices", &ALL_FIELDS),
            ),
            (
                "q=oil&typos=false",
                "/sort/0",
                json!({"_score": {"order": "desc"}}),
            ),
            (
                "q=oil&typos=false",
                "/sort/1",
                json!({"id": {"order": "asc"}}),
            ),
            // A language filter narrows the fields to its family, and filters.
            (
                "q=Regierung&language=de&typos=false",
                "/query/bool/must/0/simple_query_string/fields",
                json!(["text.de.title^3", "text.de.summary^2", "text.de.body"]),
            ),
            (
                "q=Regierung&language=de&typos=false",
                "/query/bool/filter/0",
                json!({"terms": {"language": ["de"]}}),
            ),
            // Typos: the exact query boosted beside the fuzzy one.
            (
                "q=pricess",
                "/query/bool/must/0/bool/should/0/simple_query_string/boost",
                json!(EXACT_BOOST),
            ),
            (
                "q=pricess",
                "/query/bool/must/0/bool/should/1/simple_query_string/query",
                json!("pricess~1"),
            ),
            // Short words have no close spellings: one query.
            (
                "q=oil",
                "/query/bool/must/0/simple_query_string/query",
                json!("oil"),
            ),
            // Filters of dimensions without own facets are in `filter`.
            (
                "tag=World&author=Ann+Lee&sort=oldest",
                "/query/bool/filter",
                json!([{"terms": {"authors.lower": ["ann lee"]}},
                       {"terms": {"tag_paths.lower": ["world"]}}]),
            ),
            ("sort=oldest", "/sort/0/published_at/order", json!("asc")),
            (
                "from=2024-01-01&to=2024-01-31",
                "/query/bool/filter/0/range/published_at/gte",
                json!(1_704_067_200_000_i64),
            ),
            // A disjunctive facet: its filter moves to post_filter, its count leaves it out,
            // the shared facets keep it.
            (
                "tag=world&source=wire&facets=tags,sources,published_at:week&facet_limit=5",
                "/post_filter",
                json!({"bool": {"filter": [{"terms": {"tag_paths.lower": ["world"]}},
                                           {"terms": {"source.lower": ["wire"]}}]}}),
            ),
            (
                "tag=world&source=wire&facets=tags,sources,published_at:week&facet_limit=5",
                "/aggs/o0",
                json!({"filter": {"bool": {"filter": [{"terms": {"source.lower": ["wire"]}}]}},
                       "aggs": {"f": {"terms": {"field": "tag_paths", "size": 5,
                                "order": [{"_count": "desc"}, {"_key": "asc"}]}}}}),
            ),
            (
                "tag=world&source=wire&facets=tags,sources,published_at:week&facet_limit=5",
                "/aggs/shared/aggs/s0",
                json!({"date_histogram": {"field": "published_at",
                       "calendar_interval": "week", "min_doc_count": 1}}),
            ),
            (
                "tag=world&source=wire&facets=tags,sources,published_at:week&facet_limit=5",
                "/aggs/shared/filter/bool/filter/0",
                json!({"terms": {"tag_paths.lower": ["world"]}}),
            ),
            // Without own facets, facets are plain aggregations.
            (
                "facets=entities.person",
                "/aggs/s0/terms/include",
                json!("person\u{1f}.*"),
            ),
            // Page, highlight.
            ("q=oil&limit=5&offset=20", "/from", json!(20)),
            ("q=oil&limit=5&offset=20", "/size", json!(6)),
            ("limit=0&facets=tags", "/size", json!(0)),
            (
                "q=oil&highlight=true",
                "/highlight/pre_tags",
                json!(["<mark>"]),
            ),
        ];
        for (query, pointer, want) in cases {
            let body = search_body(&plan(query), None);
            assert_eq!(
                body.pointer(pointer),
                Some(&want),
                "{query} at {pointer}: {body:#}"
            );
        }
        // What a request leaves out.
        let absent: &[(&str, &str)] = &[
            ("q=oil", "/post_filter"),
            ("q=oil", "/aggs"),
            ("q=oil", "/highlight"),
            ("limit=0", "/collapse"),
            ("q=oil&typos=false&facets=tags", "/aggs/shared"),
        ];
        for (query, pointer) in absent {
            let body = search_body(&plan(query), None);
            assert_eq!(
                body.pointer(pointer),
                None,
                "{query} at {pointer}: {body:#}"
            );
        }
    }

    #[test]
    fn cursors_go_round_sort_values() {
        for (sort, values, id) in [
            (Sort::Relevance, json!([1.5, "a"]), "a"),
            (Sort::Newest, json!([1_718_000_000_123_i64, "b"]), "b"),
            (Sort::Oldest, json!([1_718_000_000_000_i64, "c"]), "c"),
            (Sort::Newest, json!([i64::MIN, "d"]), "d"),
            (Sort::Oldest, json!([i64::MAX, "e"]), "e"),
        ] {
            let key = cursor_key(sort, values.as_array().unwrap());
            let c = Cursor {
                sort,
                tier: 0,
                key,
                id: id.into(),
            };
            assert_eq!(search_after(&c), values, "{sort:?}");
        }
    }

    #[test]
    fn answers_become_responses() {
        let p = plan("q=oil&tag=world&facets=tags,published_at&limit=1");
        let source = super::super::mapping::document(&crate::Article {
            id: "a".into(),
            title: "Oil <up>".into(),
            summary: None,
            body: None,
            url: None,
            authors: vec![],
            published_at: None,
            tags: vec!["world/asia".into()],
            entities: vec![],
            entities_source: crate::article::EntitiesSource::Given,
            language: Some("en".into()),
            language_source: None,
            views: None,
            source: None,
            dateline: None,
        })
        .unwrap();
        let answer = json!({
            "took": 3,
            "hits": {"total": {"value": 7, "relation": "eq"}, "hits": [
                {"_source": source, "_score": 2.5, "sort": [2.5, "a"],
                 "fields": {"copy_key": ["17"]}},
                {"_source": source, "_score": 1.0, "sort": [1.0, "b"],
                 "fields": {"copy_key": ["18"]}}
            ]},
            "aggregations": {
                "s0": {"buckets": [
                    {"key": 1_717_200_000_000_i64, "doc_count": 2},
                    {"key": 1_722_470_400_000_i64, "doc_count": 1}
                ]},
                "o0": {"doc_count": 9, "f": {"buckets": [
                    {"key": "world", "doc_count": 5}, {"key": "world/asia", "doc_count": 3}
                ]}}
            }
        });
        let mut r = search_response(&p, &answer).unwrap();
        assert_eq!(r.total, 7);
        assert_eq!(r.hits.len(), 1);
        assert_eq!(r.hits[0].id, "a");
        assert_eq!(r.hits[0].score, Some(2.5));
        assert_eq!(r.hits[0].copies, 0);
        // The copies of the page's hits are counted by a second request, narrowed to their
        // copy keys, over the same query.
        let mut request = search_body(&p, None);
        request["collapse"] = json!({"field": "copy_key"});
        let (count, keys) = copies_body(&request, &answer).expect("a count request");
        assert_eq!(keys, [Some("17".to_string()), Some("18".to_string())]);
        assert_eq!(count["size"], 0);
        assert_eq!(count["query"]["bool"]["filter"][0], request["query"]);
        assert_eq!(
            count["query"]["bool"]["filter"][1],
            json!({"terms": {"copy_key": ["17", "18"]}})
        );
        let counts = json!({"aggregations": {"copies": {"buckets": [
            {"key": "17", "doc_count": 3}, {"key": "18", "doc_count": 1}
        ]}}});
        apply_copies(&mut r, &keys, &counts);
        assert_eq!(r.hits[0].copies, 2);
        let next = Cursor::decode(r.next.as_deref().unwrap()).unwrap();
        assert_eq!((next.key, next.id.as_str()), (2.5, "a"));
        let values = |k: &str| -> Vec<(String, u64)> {
            r.facets[k]
                .iter()
                .map(|v| (v.value.clone(), v.count))
                .collect()
        };
        assert_eq!(
            values("tags"),
            vec![("world".into(), 5), ("world/asia".into(), 3)]
        );
        // Months filled in between, as tantivy's histogram does.
        assert_eq!(
            values("published_at"),
            vec![
                ("2024-06".into(), 2),
                ("2024-07".into(), 0),
                ("2024-08".into(), 1)
            ]
        );
        // Snippets fall back to the escaped title.
        let hp = plan("q=oil&highlight=true");
        let r = search_response(&hp, &answer).unwrap();
        assert_eq!(r.hits[0].snippets.as_ref().unwrap().title, "Oil &lt;up&gt;");
    }
}
