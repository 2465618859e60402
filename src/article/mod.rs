//! The article: the validated domain type that the index stores and every feature reads.
//!
//! Wire input arrives as [`ArticleInput`] (lenient shapes, unknown fields rejected) and becomes an
//! [`Article`] only through [`ArticleInput::into_article`], so everything past this module may rely
//! on the invariants: a non-empty id of at most 256 characters, a non-empty title, UTC dates,
//! trimmed non-empty list values and lowercase entity types.

pub mod date;
pub(crate) mod input;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(crate) use input::{language_of_text, normalize_tag, whole, whole_number};
pub use input::{parse_article_json, ArticleInput};

/// Longest accepted id, in characters.
pub const MAX_ID_CHARS: usize = 256;

/// A validated news article, as stored and as returned by `GET /articles/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    /// Unique id; writing an existing id replaces the article.
    pub id: String,
    /// Headline.
    pub title: String,
    /// Standfirst or teaser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Full text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Canonical URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Bylines, in order.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Publication time in UTC.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "published_at_serde"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<DateTime<Utc>>,
    /// Tags, possibly hierarchical with `/` (`world/asia`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Named entities.
    #[serde(default)]
    pub entities: Vec<Entity>,
    /// Whether the entities were sent or extracted by the server.
    pub entities_source: EntitiesSource,
    /// Language code (`en`, `pt-br`), lowercase: as sent, else from the page or feed, else
    /// detected from the text, else the configured default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Where `language` came from (absent in articles stored before languages were resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_source: Option<LanguageSource>,
    /// Page views, a popularity signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views: Option<u64>,
    /// Publisher or wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Dateline (`BEIJING, June 22`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dateline: Option<String>,
}

impl Article {
    /// A copy without the body: what the index stores as JSON beside the body kept apart
    /// ([`crate::index::schema::Fields::stored`]). Destructured whole, so that a field added
    /// to `Article` cannot be left out of the copy unnoticed.
    pub fn without_body(&self) -> Article {
        let Article {
            id,
            title,
            summary,
            body: _,
            url,
            authors,
            published_at,
            tags,
            entities,
            entities_source,
            language,
            language_source,
            views,
            source,
            dateline,
        } = self;
        Article {
            id: id.clone(),
            title: title.clone(),
            summary: summary.clone(),
            body: None,
            url: url.clone(),
            authors: authors.clone(),
            published_at: *published_at,
            tags: tags.clone(),
            entities: entities.clone(),
            entities_source: *entities_source,
            language: language.clone(),
            language_source: *language_source,
            views: *views,
            source: source.clone(),
            dateline: dateline.clone(),
        }
    }
}

/// A named entity: a person, organisation, place, or any other short lowercase type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entity {
    /// Display name (`Victor Cha`).
    pub name: String,
    /// Lowercase type word (`person`, `org`, `place`, `exchange`, …).
    #[serde(rename = "type")]
    pub entity_type: String,
}

impl Entity {
    /// Builds an entity; the caller guarantees a valid type word.
    pub fn new(name: impl Into<String>, entity_type: impl Into<String>) -> Entity {
        Entity {
            name: name.into(),
            entity_type: entity_type.into(),
        }
    }
}

/// Where an article's language came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LanguageSource {
    /// Sent by the client (`language`).
    Given,
    /// Declared by the HTML page (`<html lang>`, JSON-LD `inLanguage`, `og:locale`) or the
    /// feed (`<language>`).
    Page,
    /// Detected from the text.
    Detected,
    /// None of the above: `[analysis] default_language`.
    Default,
}

/// Where an article's entities came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EntitiesSource {
    /// Sent by the client.
    Given,
    /// Found by the server's extractor because none were sent.
    Extracted,
}

mod published_at_serde {
    use super::date::{format_datetime, parse_datetime, DayEdge};
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(dt) => s.serialize_str(&format_datetime(dt)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let raw: Option<String> = Option::deserialize(d)?;
        raw.map(|s| parse_datetime(&s, DayEdge::Start).map_err(serde::de::Error::custom))
            .transpose()
    }
}
