//! The wire form of an article and its validation into [`Article`].
//!
//! Parsing is wide (`author` or `authors`, a string or a list; entities as objects or bare
//! strings) and strict about names: an unknown field is an error that names it, because a typo
//! such as `titel` must not silently vanish. Every error names its field.

use serde::Deserialize;
use serde_json::Value;

use super::date::{parse_datetime, DayEdge};
use super::{Article, EntitiesSource, Entity, LanguageSource, MAX_ID_CHARS};
use crate::error::truncate_for_message;
use crate::Error;

/// Earliest and latest publication years accepted: news archives reach back to the 19th
/// century; dates outside are typos (`0001-01-01`, `20244-01-01`) that would skew histograms
/// and recency.
pub const MIN_YEAR: i32 = 1800;
/// See [`MIN_YEAR`].
pub const MAX_YEAR: i32 = 2200;

/// Longest entity type word.
pub const MAX_TYPE_CHARS: usize = 32;
/// Longest tag, in characters (after normalisation).
pub const MAX_TAG_CHARS: usize = 256;
/// Most levels of a hierarchical tag (`world/asia` has 2).
pub const MAX_TAG_LEVELS: usize = 16;

/// An article as sent by a client, before validation.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// Unique id.
    pub id: Option<String>,
    /// Headline.
    pub title: Option<String>,
    /// Standfirst.
    pub summary: Option<String>,
    /// Full text.
    pub body: Option<String>,
    /// Canonical URL.
    pub url: Option<String>,
    /// A list of names, or one name.
    pub authors: Option<Value>,
    /// One name, or a list of names.
    pub author: Option<Value>,
    /// Date or date-time.
    pub published_at: Option<String>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Entities: `{name, type}` objects or bare strings.
    pub entities: Option<Vec<Value>>,
    /// Accepted back from a GET answer.
    pub entities_source: Option<EntitiesSource>,
    /// Language code.
    pub language: Option<String>,
    /// Where `language` came from; accepted back from a GET answer, set by the page and feed
    /// readers.
    pub language_source: Option<LanguageSource>,
    /// Page views.
    #[serde(default, deserialize_with = "whole_number")]
    pub views: Option<u64>,
    /// Publisher or wire.
    pub source: Option<String>,
    /// Dateline.
    pub dateline: Option<String>,
}

/// An optional non-negative whole number, written as JSON writes it: `7`, or `7.0` (JSON, and
/// JSON Schema's `integer`, do not tell the two apart; many clients send every number as a
/// float). A fraction, a negative number or one past [`MAX_WHOLE`] is an error.
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<u64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => whole(&n).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!("expected a non-negative whole number, got {n}"))
        }),
    }
}

/// The largest whole number taken, 2^53 − 1: the largest that every JSON reader (JavaScript's
/// numbers, or a float) keeps exact, so that what is stored is what was meant.
pub const MAX_WHOLE: u64 = (1 << 53) - 1;

/// `n` as a `u64` when it is a whole number from 0 to [`MAX_WHOLE`] (`7` or `7.0`).
pub(crate) fn whole(n: &serde_json::Number) -> Option<u64> {
    if let Some(u) = n.as_u64() {
        return (u <= MAX_WHOLE).then_some(u);
    }
    let f = n.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f <= MAX_WHOLE as f64).then_some(f as u64)
}

/// Parses one JSON article; errors name the field (`field \`title\`: invalid type …`).
pub fn parse_article_json(bytes: &[u8]) -> crate::Result<ArticleInput> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let input: ArticleInput = serde_path_to_error::deserialize(&mut de).map_err(path_error)?;
    de.end()
        .map_err(|e| Error::BadRequest(format!("trailing data after the article: {e}")))?;
    Ok(input)
}

/// Turns a serde error into a message that starts with the field path, when there is one.
pub(crate) fn path_error(err: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if path.is_empty() || path == "." {
        Error::BadRequest(format!("invalid article: {inner}"))
    } else {
        Error::BadRequest(format!("field `{path}`: {inner}"))
    }
}

impl ArticleInput {
    /// Validates into an [`Article`]. When no `entities` were sent, `extract` is asked for them
    /// (the server's extractor; `|_, _, _| vec![]` to skip).
    pub fn into_article(
        self,
        extract: impl FnOnce(&str, &str, &str) -> Vec<Entity>,
    ) -> crate::Result<Article> {
        let id = self.id.ok_or_else(|| Error::field("id", "is required"))?;
        validate_id(&id)?;
        let title =
            non_empty("title", self.title)?.ok_or_else(|| Error::field("title", "is required"))?;
        let summary = non_empty("summary", self.summary)?;
        let body = self.body.filter(|b| !b.trim().is_empty());
        let url = non_empty("url", self.url)?;

        let mut authors = Vec::new();
        if let Some(v) = self.authors {
            authors.extend(names("authors", v)?);
        }
        if let Some(v) = self.author {
            for name in names("author", v)? {
                if !authors.contains(&name) {
                    authors.push(name);
                }
            }
        }

        let published_at = self
            .published_at
            .map(|s| {
                parse_datetime(&s, DayEdge::Start)
                    .map_err(|e| Error::field("published_at", e))
                    .and_then(|dt| {
                        use chrono::Datelike;
                        if (MIN_YEAR..=MAX_YEAR).contains(&dt.year()) {
                            Ok(dt)
                        } else {
                            Err(Error::field(
                                "published_at",
                                format!(
                                    "must be in the years {MIN_YEAR} to {MAX_YEAR}, got `{}`",
                                    truncate_for_message(&s)
                                ),
                            ))
                        }
                    })
            })
            .transpose()?;

        let mut tags = Vec::new();
        for (i, tag) in self.tags.unwrap_or_default().into_iter().enumerate() {
            let tag = normalize_tag(&tag).ok_or_else(|| {
                Error::field(
                    format!("tags[{i}]"),
                    "must be a non-empty tag such as `world/asia`",
                )
            })?;
            // Every level of a tag is indexed: a tag of n levels costs O(n²) bytes, so both
            // its length and its depth are bounded.
            if tag.chars().count() > MAX_TAG_CHARS || tag.split('/').count() > MAX_TAG_LEVELS {
                return Err(Error::field(
                    format!("tags[{i}]"),
                    format!(
                        "must be at most {MAX_TAG_CHARS} characters and {MAX_TAG_LEVELS} levels, got `{}`",
                        truncate_for_message(&tag)
                    ),
                ));
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }

        let language = non_empty("language", self.language)?
            .map(|l| crate::analysis::Lang::check_tag(&l).map_err(|e| Error::field("language", e)))
            .transpose()?;
        let (language, language_source) = match language {
            Some(l) => (l, self.language_source.unwrap_or(LanguageSource::Given)),
            None => language_of_text(&title, summary.as_deref(), body.as_deref()),
        };
        let source = non_empty("source", self.source)?;
        let dateline = non_empty("dateline", self.dateline)?;

        let (entities, entities_source) = match self.entities {
            Some(values) => {
                let mut entities: Vec<Entity> = Vec::with_capacity(values.len());
                for (i, v) in values.into_iter().enumerate() {
                    let e = entity(i, v)?;
                    if !entities.contains(&e) {
                        entities.push(e);
                    }
                }
                (
                    entities,
                    self.entities_source.unwrap_or(EntitiesSource::Given),
                )
            }
            None => {
                // The dateline says where the story is from ("LONDON, Feb 26"): the extractor
                // reads it first, as wire copy prints it, so that its city names the country
                // the story is about.
                let body = body.as_deref().unwrap_or("");
                let datelined;
                let text = match &dateline {
                    Some(d) => {
                        datelined = format!("{d} - {body}");
                        datelined.as_str()
                    }
                    None => body,
                };
                (
                    extract(&title, summary.as_deref().unwrap_or(""), text),
                    EntitiesSource::Extracted,
                )
            }
        };

        Ok(Article {
            id,
            title,
            summary,
            body,
            url,
            authors,
            published_at,
            tags,
            entities,
            entities_source,
            language: Some(language),
            language_source: Some(language_source),
            views: self.views,
            source,
            dateline,
        })
    }
}

/// The language of an article that names none: detected from its text, else the default
/// language; and which of the two it is.
pub(crate) fn language_of_text(
    title: &str,
    summary: Option<&str>,
    body: Option<&str>,
) -> (String, LanguageSource) {
    match crate::analysis::detect(title, summary.unwrap_or(""), body.unwrap_or("")) {
        Some((code, _)) => (code.to_string(), LanguageSource::Detected),
        None => (
            crate::analysis::default_language().code().to_string(),
            LanguageSource::Default,
        ),
    }
}

/// Checks an id: 1..=256 characters, no control characters.
pub(crate) fn validate_id(id: &str) -> crate::Result<()> {
    let n = id.chars().count();
    if n == 0 {
        return Err(Error::field("id", "must not be empty"));
    }
    if n > MAX_ID_CHARS {
        return Err(Error::field(
            "id",
            format!("must be at most {MAX_ID_CHARS} characters, got {n}"),
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::field("id", "must not contain control characters"));
    }
    Ok(())
}

/// Trims a string field; an empty or blank value is an error rather than a silent drop.
fn non_empty(field: &str, v: Option<String>) -> crate::Result<Option<String>> {
    match v {
        None => Ok(None),
        Some(s) => {
            let t = s.trim();
            if t.is_empty() {
                Err(Error::field(
                    field,
                    "must not be empty (leave it out instead)",
                ))
            } else if t.len() == s.len() {
                Ok(Some(s))
            } else {
                Ok(Some(t.to_string()))
            }
        }
    }
}

/// `"Jane Doe"` or `["Jane Doe", "John Roe"]`.
fn names(field: &str, v: Value) -> crate::Result<Vec<String>> {
    let items = match v {
        Value::String(s) => vec![Value::String(s)],
        Value::Array(a) => a,
        Value::Null => vec![],
        other => {
            return Err(Error::field(
                field,
                format!("expected a name or a list of names, got {}", kind(&other)),
            ));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::String(s) if !s.trim().is_empty() => {
                let s = collapse_spaces(&s);
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            Value::String(_) => {
                return Err(Error::field(format!("{field}[{i}]"), "must not be empty"))
            }
            other => {
                return Err(Error::field(
                    format!("{field}[{i}]"),
                    format!("expected a string, got {}", kind(&other)),
                ))
            }
        }
    }
    Ok(out)
}

/// `{"name": "China", "type": "place"}` or `"China"` (type `other`).
fn entity(i: usize, v: Value) -> crate::Result<Entity> {
    let field = format!("entities[{i}]");
    match v {
        Value::String(name) => {
            let name = collapse_spaces(&name);
            if name.is_empty() {
                return Err(Error::field(field, "must not be empty"));
            }
            Ok(Entity::new(name, "other"))
        }
        Value::Object(map) => {
            let mut name = None;
            let mut entity_type = None;
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("name", Value::String(s)) => name = Some(s),
                    ("type", Value::String(s)) => entity_type = Some(s),
                    ("name" | "type", other) => {
                        return Err(Error::field(
                            format!("{field}.{k}"),
                            format!("expected a string, got {}", kind(&other)),
                        ));
                    }
                    (other, _) => {
                        return Err(Error::field(
                            format!("{field}.{other}"),
                            "unknown field, expected `name` or `type`",
                        ));
                    }
                }
            }
            let name = collapse_spaces(
                &name.ok_or_else(|| Error::field(format!("{field}.name"), "is required"))?,
            );
            if name.is_empty() {
                return Err(Error::field(format!("{field}.name"), "must not be empty"));
            }
            let entity_type = match entity_type {
                None => "other".to_string(),
                Some(t) => normalize_type(&t).ok_or_else(|| {
                    Error::field(
                        format!("{field}.type"),
                        format!(
                            "expected a short word such as `person`, `org` or `place`, got `{}`",
                            truncate_for_message(&t)
                        ),
                    )
                })?,
            };
            Ok(Entity::new(name, entity_type))
        }
        other => Err(Error::field(
            field,
            format!(
                "expected an object {{name, type}} or a string, got {}",
                kind(&other)
            ),
        )),
    }
}

/// A type is one lowercase word of letters, digits, `-` or `_`.
fn normalize_type(t: &str) -> Option<String> {
    let t = t.trim().to_lowercase();
    let ok = !t.is_empty()
        && t.chars().count() <= MAX_TYPE_CHARS
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    ok.then_some(t)
}

/// `" world//asia/ "` → `world/asia`; `None` when nothing is left.
pub(crate) fn normalize_tag(tag: &str) -> Option<String> {
    let parts: Vec<&str> = tag
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> crate::Result<Article> {
        parse_article_json(json.as_bytes())?.into_article(|_, _, _| vec![])
    }

    fn message(json: &str) -> String {
        parse(json).unwrap_err().to_string()
    }

    /// Regression: a 200 kB tag of 100 000 levels (`a/a/a/…`) made every level a term, about
    /// 10 GB of document, which panicked tantivy's indexing thread.
    #[test]
    fn tags_are_bounded_in_length_and_depth() {
        let deep = format!(
            r#"{{"id":"a","title":"t","tags":["{}"]}}"#,
            "a/".repeat(100_000)
        );
        assert!(message(&deep).contains("tags[0]"), "{}", message(&deep));
        let long = format!(r#"{{"id":"a","title":"t","tags":["{}"]}}"#, "x".repeat(300));
        assert!(message(&long).contains("at most 256"));
        let ok = format!(
            r#"{{"id":"a","title":"t","tags":["{}"]}}"#,
            ["l"; 16].join("/")
        );
        assert_eq!(parse(&ok).unwrap().tags.len(), 1);
    }

    #[test]
    fn the_api_example_round_trips() {
        let a = parse(r#"{"id":"a","title":"T","author":"Ashlee Durgan","published_at":"2024-06-22T05:03:00+07:00",
            "tags":["world/asia","defense"],"entities":[{"name":"Victor Cha","type":"person"},"China"],"views":200}"#)
        .unwrap();
        assert_eq!(a.authors, vec!["Ashlee Durgan"]);
        assert_eq!(a.entities[1], Entity::new("China", "other"));
        assert_eq!(a.entities_source, EntitiesSource::Given);
        let json = serde_json::to_string(&a).unwrap();
        assert!(
            json.contains(r#""published_at":"2024-06-21T22:03:00Z""#),
            "{json}"
        );
        let again = parse(&json).unwrap();
        assert_eq!(again, a);
    }

    #[test]
    fn unknown_field_is_named() {
        assert!(message(r#"{"id":"a","title":"T","titel":"x"}"#).contains("`titel`"));
    }

    #[test]
    fn wrong_type_names_the_field() {
        let m = message(r#"{"id":"a","title":5}"#);
        assert!(m.contains("field `title`"), "{m}");
    }

    #[test]
    fn missing_or_blank_title_is_a_field_error() {
        assert_eq!(message(r#"{"id":"a"}"#), "field `title`: is required");
        assert!(message(r#"{"id":"a","title":"  "}"#).starts_with("field `title`"));
        assert!(matches!(parse(r#"{"id":"a"}"#), Err(Error::Article { .. })));
    }

    #[test]
    fn id_limits() {
        assert!(message(r#"{"id":"","title":"T"}"#).starts_with("field `id`"));
        let long = "x".repeat(257);
        assert!(message(&format!(r#"{{"id":"{long}","title":"T"}}"#)).contains("at most 256"));
        assert!(parse(&format!(r#"{{"id":"{}","title":"T"}}"#, "é".repeat(256))).is_ok());
    }

    #[test]
    fn bad_date_names_field_and_value() {
        let m = message(r#"{"id":"a","title":"T","published_at":"22/06/2024"}"#);
        assert!(
            m.starts_with("field `published_at`") && m.contains("22/06/2024"),
            "{m}"
        );
    }

    #[test]
    fn bad_entity_type_is_named_with_its_index() {
        let m =
            message(r#"{"id":"a","title":"T","entities":["x",{"name":"y","type":"two words"}]}"#);
        assert!(m.starts_with("field `entities[1].type`"), "{m}");
    }

    #[test]
    fn entity_types_are_an_open_lowercase_set() {
        let a = parse(r#"{"id":"a","title":"T","entities":[{"name":"NASDAQ","type":"Exchange"}]}"#)
            .unwrap();
        assert_eq!(a.entities[0].entity_type, "exchange");
    }

    #[test]
    fn missing_entities_are_extracted_but_an_empty_list_is_respected() {
        let input = parse_article_json(br#"{"id":"a","title":"T"}"#).unwrap();
        let a = input
            .into_article(|_, _, _| vec![Entity::new("China", "place")])
            .unwrap();
        assert_eq!(a.entities_source, EntitiesSource::Extracted);
        assert_eq!(a.entities.len(), 1);
        let input = parse_article_json(br#"{"id":"a","title":"T","entities":[]}"#).unwrap();
        let a = input
            .into_article(|_, _, _| panic!("must not extract"))
            .unwrap();
        assert_eq!(a.entities_source, EntitiesSource::Given);
    }

    #[test]
    fn tags_are_normalized() {
        let a = parse(r#"{"id":"a","title":"T","tags":[" world//asia/ ","world/asia"]}"#).unwrap();
        assert_eq!(a.tags, vec!["world/asia"]);
        assert!(message(r#"{"id":"a","title":"T","tags":["/"]}"#).starts_with("field `tags[0]`"));
    }

    #[test]
    fn negative_views_are_rejected() {
        assert!(message(r#"{"id":"a","title":"T","views":-1}"#).contains("field `views`"));
    }
}
