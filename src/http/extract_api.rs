//! `POST /extract`: the entities the server would store for an article sent without any, for
//! editors and for debugging the extractor.

use std::time::Instant;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::ApiJson;
use super::search::run_work;
use super::state::AppState;
use crate::article::Entity;
use crate::error::Error;
use crate::extract::extract_entities;

/// The text to read.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractRequest {
    /// Headline.
    #[serde(default)]
    pub title: String,
    /// Standfirst.
    #[serde(default)]
    pub summary: String,
    /// Full text (or any plain text).
    #[serde(default)]
    pub body: String,
}

/// The entities found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtractResponse {
    /// Entities, most salient first.
    pub entities: Vec<Entity>,
    /// Time spent, milliseconds.
    pub took_ms: f64,
}

/// `POST /extract`
#[utoipa::path(post, path = "/extract", tag = "search", request_body = ExtractRequest,
    responses((status = 200, description = "Entities found in the text", body = ExtractResponse), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 413, description = "Body too large (`limits.max_body_bytes`)", body = crate::http::openapi::ErrorBody), (status = 422, description = "Invalid value", body = crate::http::openapi::ErrorBody)))]
pub async fn extract_post(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ExtractRequest>,
) -> Result<Json<ExtractResponse>, ApiError> {
    if req.title.trim().is_empty() && req.summary.trim().is_empty() && req.body.trim().is_empty() {
        return Err(Error::field("body", "send some text in `title`, `summary` or `body`").into());
    }
    let resp = run_work(&state, move || {
        let started = Instant::now();
        let entities = extract_entities(&req.title, &req.summary, &req.body);
        Ok(ExtractResponse {
            entities,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    })
    .await?;
    Ok(Json(resp))
}
