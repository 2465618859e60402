//! Search parameters as they arrive (query string pairs or a JSON body) and their validation
//! into a [`SearchRequest`]. GET and POST share every rule here, so they give the same answer.

use serde::Deserialize;

use super::{FacetSpec, Filters, HistogramInterval, SearchRequest, Sort};
use crate::article::date::{parse_datetime, DayEdge};
use crate::config::Limits;
use crate::error::truncate_for_message;
use crate::Error;

/// Default page size.
pub const DEFAULT_LIMIT: usize = 10;
/// Default values per facet.
pub const DEFAULT_FACET_LIMIT: usize = 10;

/// The wire form of a search: every parameter optional, unknown ones rejected.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The user's words.
    pub q: Option<String>,
    /// Author filter values.
    #[serde(default, deserialize_with = "one_or_many")]
    pub author: Vec<String>,
    /// Tag filter values.
    #[serde(default, deserialize_with = "one_or_many")]
    pub tag: Vec<String>,
    /// Entity name filter values.
    #[serde(default, deserialize_with = "one_or_many")]
    pub entity: Vec<String>,
    /// Entity type filter values.
    #[serde(default, deserialize_with = "one_or_many")]
    pub entity_type: Vec<String>,
    /// Language filter values.
    #[serde(default, deserialize_with = "one_or_many")]
    pub language: Vec<String>,
    /// Source filter values.
    #[serde(default, deserialize_with = "one_or_many")]
    pub source: Vec<String>,
    /// Start of the date range: a date or an RFC 3339 date-time, not after `to` (400).
    pub from: Option<String>,
    /// End of the date range: a date (its whole day) or an RFC 3339 date-time.
    pub to: Option<String>,
    /// Facets to count.
    #[serde(default, deserialize_with = "one_or_many")]
    pub facets: Vec<String>,
    /// Values per facet.
    #[serde(default, deserialize_with = "number_or_string")]
    #[schema(value_type = Option<u32>)]
    #[param(value_type = Option<u32>)]
    pub facet_limit: Option<String>,
    /// `relevance`, `newest`, `oldest`.
    pub sort: Option<String>,
    /// Page size.
    #[serde(default, deserialize_with = "number_or_string")]
    #[schema(value_type = Option<u32>)]
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// Page offset.
    #[serde(default, deserialize_with = "number_or_string")]
    #[schema(value_type = Option<u32>)]
    #[param(value_type = Option<u32>)]
    pub offset: Option<String>,
    /// Add snippets.
    #[serde(default, deserialize_with = "bool_or_string")]
    #[schema(value_type = Option<bool>)]
    #[param(value_type = Option<bool>)]
    pub highlight: Option<String>,
    /// Typo tolerance (default true).
    #[serde(default, deserialize_with = "bool_or_string")]
    #[schema(value_type = Option<bool>)]
    #[param(value_type = Option<bool>)]
    pub typos: Option<String>,
    /// Add the articles nearest the query in meaning after the word matches, when the words
    /// match few (default: the server's `search.semantic`); only with `sort=relevance`.
    #[serde(default, deserialize_with = "bool_or_string")]
    #[schema(value_type = Option<bool>)]
    #[param(value_type = Option<bool>)]
    pub semantic: Option<String>,
    /// Deep-paging cursor: the `next` of the previous page of the same search (same sort);
    /// not with `offset` (400).
    pub after: Option<String>,
}

impl SearchParams {
    /// Builds parameters from query-string pairs: list parameters may repeat or hold commas.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> crate::Result<SearchParams> {
        let mut p = SearchParams::default();
        for (name, value) in pairs {
            let list = |v: &mut Vec<String>| {
                v.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                )
            };
            let single = |slot: &mut Option<String>| -> crate::Result<()> {
                if slot.is_some() {
                    return Err(Error::param(&name, "given more than once"));
                }
                *slot = Some(value.clone());
                Ok(())
            };
            match name.as_str() {
                "q" => single(&mut p.q)?,
                "author" => list(&mut p.author),
                "tag" => list(&mut p.tag),
                "entity" => list(&mut p.entity),
                "entity_type" => list(&mut p.entity_type),
                "language" => list(&mut p.language),
                "source" => list(&mut p.source),
                "facets" => list(&mut p.facets),
                "from" => single(&mut p.from)?,
                "to" => single(&mut p.to)?,
                "facet_limit" => single(&mut p.facet_limit)?,
                "sort" => single(&mut p.sort)?,
                "limit" => single(&mut p.limit)?,
                "offset" => single(&mut p.offset)?,
                "highlight" => single(&mut p.highlight)?,
                "typos" => single(&mut p.typos)?,
                "semantic" => single(&mut p.semantic)?,
                "after" => single(&mut p.after)?,
                other => {
                    return Err(Error::param(
                        truncate_for_message(other),
                        "unknown parameter; expected one of q, author, tag, entity, entity_type, language, source, from, to, facets, facet_limit, sort, limit, offset, highlight, typos, semantic, after",
                    ))
                }
            }
        }
        Ok(p)
    }

    /// Validates against the configured limits.
    pub fn into_request(self, limits: &Limits) -> crate::Result<SearchRequest> {
        let q = self.q.unwrap_or_default();
        let chars = q.chars().count();
        if chars > limits.max_query_chars {
            return Err(Error::param(
                "q",
                format!(
                    "is {chars} characters long, at most {} are allowed",
                    limits.max_query_chars
                ),
            ));
        }
        let words = q.split_whitespace().count();
        if words > limits.max_query_words {
            return Err(Error::param(
                "q",
                format!(
                    "has {words} words, at most {} are allowed",
                    limits.max_query_words
                ),
            ));
        }
        let limit = number("limit", self.limit, DEFAULT_LIMIT)?;
        if limit > limits.max_limit {
            return Err(Error::param(
                "limit",
                format!("must be at most {}, got {limit}", limits.max_limit),
            ));
        }
        let offset = number("offset", self.offset, 0)?;
        if offset > limits.max_offset {
            return Err(Error::param(
                "offset",
                format!("must be at most {}, got {offset}", limits.max_offset),
            ));
        }
        let after = match self.after.as_deref() {
            None => None,
            Some(c) => Some(super::cursor::Cursor::decode(c)?),
        };
        if after.is_some() && offset > 0 {
            return Err(Error::param(
                "after",
                "cannot be combined with `offset`; the cursor already says where the page starts",
            ));
        }
        let facet_limit = number("facet_limit", self.facet_limit, DEFAULT_FACET_LIMIT)?;
        if facet_limit == 0 || facet_limit > limits.max_facet_limit {
            return Err(Error::param(
                "facet_limit",
                format!(
                    "must be between 1 and {}, got {facet_limit}",
                    limits.max_facet_limit
                ),
            ));
        }
        let sort = match self.sort.as_deref().map(str::trim) {
            None | Some("") | Some("relevance") => Sort::Relevance,
            Some("newest") => Sort::Newest,
            Some("oldest") => Sort::Oldest,
            Some(other) => {
                return Err(Error::param(
                    "sort",
                    format!(
                        "expected relevance, newest or oldest, got `{}`",
                        truncate_for_message(other)
                    ),
                ));
            }
        };
        let highlight = flag("highlight", self.highlight.as_deref(), false)?;
        let typos = flag("typos", self.typos.as_deref(), true)?;
        let semantic = match self.semantic.as_deref().map(str::trim) {
            None | Some("") => None,
            given => Some(flag("semantic", given, false)?),
        };
        if semantic == Some(true) && sort != Sort::Relevance {
            return Err(Error::param(
                "semantic",
                "ranks by relevance: it cannot be combined with sort=newest or sort=oldest",
            ));
        }
        let from = date("from", self.from, DayEdge::Start)?;
        let to = date("to", self.to, DayEdge::End)?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(Error::param("from", "is after `to`"));
            }
        }
        if self.facets.len() > limits.max_facets {
            return Err(Error::param(
                "facets",
                format!(
                    "lists {} facets, at most {} (`limits.max_facets`) are allowed",
                    self.facets.len(),
                    limits.max_facets
                ),
            ));
        }
        let mut facets = Vec::new();
        for name in &self.facets {
            let spec = FacetSpec::parse(name)?;
            if !facets.contains(&spec) {
                facets.push(spec);
            }
        }
        let lower = |v: Vec<String>| -> Vec<String> {
            let mut v: Vec<String> = v
                .into_iter()
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let tags = self
            .tag
            .iter()
            .filter_map(|t| crate::article::normalize_tag(t))
            .collect::<Vec<_>>();
        Ok(SearchRequest {
            q,
            filters: Filters {
                author: lower(self.author),
                tag: lower(tags),
                entity: lower(self.entity),
                entity_type: lower(self.entity_type),
                language: self
                    .language
                    .iter()
                    .map(|l| {
                        crate::analysis::Lang::check_tag(l).map_err(|e| Error::param("language", e))
                    })
                    .collect::<crate::Result<Vec<_>>>()?,
                source: lower(self.source),
                from,
                to,
            },
            facets,
            facet_limit,
            sort,
            limit,
            offset,
            highlight,
            typos,
            semantic,
            after,
            deadline: None,
        })
    }
}

impl FacetSpec {
    /// `authors`, `tags`, `sources`, `entities`, `entities.TYPE`, `published_at[:interval]`.
    pub fn parse(name: &str) -> crate::Result<FacetSpec> {
        let name = name.trim();
        Ok(match name {
            "authors" => FacetSpec::Authors,
            "tags" => FacetSpec::Tags,
            "sources" => FacetSpec::Sources,
            "languages" => FacetSpec::Languages,
            "entities" => FacetSpec::Entities(None),
            "published_at" => FacetSpec::PublishedAt(HistogramInterval::Month),
            _ => {
                if let Some(t) = name.strip_prefix("entities.").filter(|t| !t.is_empty()) {
                    FacetSpec::Entities(Some(t.to_lowercase()))
                } else if let Some(i) = name.strip_prefix("published_at:") {
                    FacetSpec::PublishedAt(match i {
                        "day" => HistogramInterval::Day,
                        "week" => HistogramInterval::Week,
                        "month" => HistogramInterval::Month,
                        "year" => HistogramInterval::Year,
                        other => {
                            return Err(Error::param(
                                "facets",
                                format!(
                                    "histogram interval must be day, week, month or year, got `{}`",
                                    truncate_for_message(other)
                                ),
                            ));
                        }
                    })
                } else {
                    return Err(Error::param(
                        "facets",
                        format!("unknown facet `{}`; expected authors, tags, sources, languages, entities, entities.TYPE or published_at[:day|week|month|year]", truncate_for_message(name)),
                    ));
                }
            }
        })
    }
}

fn flag(name: &str, v: Option<&str>, default: bool) -> crate::Result<bool> {
    match v.map(str::trim) {
        None | Some("") => Ok(default),
        Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        Some(other) => Err(Error::param(
            name,
            format!(
                "expected true or false, got `{}`",
                truncate_for_message(other)
            ),
        )),
    }
}

fn number(name: &str, v: Option<String>, default: usize) -> crate::Result<usize> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(s) => s.parse::<usize>().map_err(|_| {
            Error::param(
                name,
                format!(
                    "expected a non-negative whole number, got `{}`",
                    truncate_for_message(s)
                ),
            )
        }),
    }
}

fn date(
    name: &str,
    v: Option<String>,
    edge: DayEdge,
) -> crate::Result<Option<chrono::DateTime<chrono::Utc>>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse_datetime(s, edge)
            .map(Some)
            .map_err(|e| Error::param(name, e)),
    }
}

/// Most values of one list parameter in a JSON body, read as they come (the configured
/// limits, such as `limits.max_facets`, are checked after): a body of a million facets costs
/// a thousand strings, not a million.
pub const MAX_LIST_VALUES: usize = 1_000;

/// A string, or an array of at most [`MAX_LIST_VALUES`] strings, or null.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct OneOrMany;
    impl<'de> serde::de::Visitor<'de> for OneOrMany {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or an array of strings")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element::<String>()? {
                if out.len() == MAX_LIST_VALUES {
                    return Err(serde::de::Error::custom(format!(
                        "more than {MAX_LIST_VALUES} values, the most a list parameter takes (`facets` takes at most `limits.max_facets`)"
                    )));
                }
                out.push(v);
            }
            Ok(out)
        }
    }
    d.deserialize_any(OneOrMany)
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        // `5.0` is the whole number 5 (JSON does not tell them apart); other numbers are
        // passed on as written, to be refused by name.
        Some(serde_json::Value::Number(n)) => Some(match crate::article::whole(&n) {
            Some(u) => u.to_string(),
            None => n.to_string(),
        }),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a number, got {other}"
            )))
        }
    })
}

fn bool_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected true or false, got {other}"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn pairs(q: &str) -> Vec<(String, String)> {
        q.split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    fn request(q: &str) -> crate::Result<SearchRequest> {
        SearchParams::from_pairs(pairs(q))?.into_request(&Config::default().limits)
    }

    #[test]
    fn lists_repeat_or_use_commas() {
        let r = request("tag=a,b&tag=C&author=X").unwrap();
        assert_eq!(r.filters.tag, vec!["a", "b", "c"]);
        assert_eq!(r.filters.author, vec!["x"]);
    }

    #[test]
    fn limits_name_their_parameter() {
        assert!(request("limit=101")
            .unwrap_err()
            .to_string()
            .starts_with("parameter `limit`"));
        assert!(request("offset=10001")
            .unwrap_err()
            .to_string()
            .starts_with("parameter `offset`"));
        assert!(request("limit=-1")
            .unwrap_err()
            .to_string()
            .starts_with("parameter `limit`"));
        assert!(request("from=yesterday")
            .unwrap_err()
            .to_string()
            .starts_with("parameter `from`"));
        assert!(request("sort=best")
            .unwrap_err()
            .to_string()
            .starts_with("parameter `sort`"));
        assert!(request("facets=colour")
            .unwrap_err()
            .to_string()
            .starts_with("parameter `facets`"));
        assert!(request("colour=red")
            .unwrap_err()
            .to_string()
            .contains("unknown parameter"));
        assert!(request(&format!("q={}", "a".repeat(5001)))
            .unwrap_err()
            .to_string()
            .starts_with("parameter `q`"));
    }

    #[test]
    fn facets_parse() {
        let r = request("facets=tags,entities.person,published_at:week").unwrap();
        assert_eq!(
            r.facets,
            vec![
                FacetSpec::Tags,
                FacetSpec::Entities(Some("person".into())),
                FacetSpec::PublishedAt(HistogramInterval::Week)
            ]
        );
    }

    #[test]
    fn post_body_takes_arrays_and_numbers() {
        let p: SearchParams =
            serde_json::from_str(r#"{"q":"x","tag":["a","b"],"limit":5,"highlight":true}"#)
                .unwrap();
        let r = p.into_request(&Config::default().limits).unwrap();
        assert_eq!((r.limit, r.highlight, r.filters.tag.len()), (5, true, 2));
    }
}
