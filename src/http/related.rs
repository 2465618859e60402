//! `GET /articles/{id}/related` and `POST /related`: validation and JSON around
//! [`crate::query::related`], which does the work off the async runtime.
//!
//! GET takes the search filters (`from`, `to`, `tag`, …) and `limit`, validated by the same
//! code as `/search` so that messages name the parameter the same way; search-only parameters
//! (`q`, `facets`, `sort`, …) are refused rather than ignored.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::error::ApiError;
use super::extract::{ApiJson, IdPath, QueryPairs};
use super::search::run_blocking;
use super::state::AppState;
use crate::query::plan::RelatedPlan;
use crate::query::related::{Languages, RelatedResponse, Source};
use crate::Error;

/// `GET /articles/{id}/related`
#[utoipa::path(get, path = "/articles/{id}/related", tag = "search",
    params(("id" = String, Path, description = "Article id"),
        ("limit" = Option<u32>, Query, description = "Hits wanted"),
        ("from" = Option<String>, Query), ("to" = Option<String>, Query),
        ("tag" = Option<Vec<String>>, Query), ("author" = Option<Vec<String>>, Query),
        ("entity" = Option<Vec<String>>, Query), ("entity_type" = Option<Vec<String>>, Query),
        ("language" = Option<Vec<String>>, Query), ("source" = Option<Vec<String>>, Query),
        ("languages" = Option<Languages>, Query, description = "`same` (default): neighbours found by words, in the article's language or one analysed alike; `any`: also the nearest in meaning in any language")),
    responses((status = 200, description = "Related articles, best first", body = RelatedResponse), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 404, description = "No such article", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn related_get(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<RelatedResponse>, ApiError> {
    let plan = RelatedPlan::stored(id, pairs, &state.config.limits)?;
    let resp = run_blocking(&state, move |state| {
        state.backend.related(&state.config.related, &plan)
    })
    .await?;
    Ok(Json(resp))
}

/// The body of `POST /related`: a draft not in the index.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelatedDraft {
    /// Headline.
    #[serde(default)]
    pub title: Option<String>,
    /// Full text.
    #[serde(default)]
    pub body: Option<String>,
    /// Entities, as names or as `{"name", "type"}` objects like an article's.
    #[serde(default)]
    pub entities: Vec<DraftEntity>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Hits wanted.
    #[serde(default, deserialize_with = "crate::article::whole_number")]
    #[schema(value_type = Option<u32>)]
    pub limit: Option<u64>,
    /// Language of the draft (BCP 47, `zh`); detected from its text when absent.
    #[serde(default)]
    pub language: Option<String>,
    /// `same` (the default): neighbours found by words, so in the draft's language or one
    /// analysed alike; `any`: also the nearest in meaning in any language.
    #[serde(default)]
    pub languages: Languages,
}

/// An entity of a draft: a bare name or an article-style object.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum DraftEntity {
    /// `"China"`
    Name(String),
    /// `{"name": "China", "type": "place"}`
    Object {
        /// Display name.
        name: String,
        /// Type word; not used for matching.
        #[serde(rename = "type", default)]
        _entity_type: Option<String>,
    },
}

/// `POST /related`
#[utoipa::path(post, path = "/related", tag = "search", request_body = RelatedDraft,
    responses((status = 200, description = "Related articles, best first", body = RelatedResponse), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 413, description = "Body too large (`limits.max_body_bytes`)", body = crate::http::openapi::ErrorBody), (status = 422, description = "Invalid value", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn related_post(
    State(state): State<AppState>,
    ApiJson(draft): ApiJson<RelatedDraft>,
) -> Result<Json<RelatedResponse>, ApiError> {
    let title = draft.title.unwrap_or_default();
    let body = draft.body.filter(|b| !b.trim().is_empty());
    if title.trim().is_empty() && body.is_none() {
        return Err(Error::field("title", "title or body must be a non-empty string").into());
    }
    let sent = draft
        .language
        .as_deref()
        .map(|l| crate::analysis::Lang::check_tag(l).map_err(|e| Error::field("language", e)))
        .transpose()?;
    let language =
        crate::analysis::language_of(sent.as_deref(), &title, "", body.as_deref().unwrap_or(""));
    let source = Source {
        language,
        id: None,
        title,
        summary: None,
        body,
        entities: draft
            .entities
            .into_iter()
            .map(|e| match e {
                DraftEntity::Name(n) | DraftEntity::Object { name: n, .. } => n,
            })
            .collect(),
        tags: draft.tags,
        published_at: None,
        stored_vector: None,
    };
    let plan = RelatedPlan::draft(source, draft.limit, draft.languages, &state.config.limits)?;
    let resp = run_blocking(&state, move |state| {
        state.backend.related(&state.config.related, &plan)
    })
    .await?;
    Ok(Json(resp))
}
