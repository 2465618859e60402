//! `GET /suggest?q=beij&limit=8`: completions for a search box while the user types.

use axum::extract::State;
use axum::Json;

use super::error::ApiError;
use super::extract::QueryPairs;
use super::search::run_blocking;
use super::state::AppState;
use crate::query::plan::SuggestPlan;
use crate::query::suggest::SuggestResponse;

/// `GET /suggest`
#[utoipa::path(get, path = "/suggest", tag = "search",
    params(("q" = Option<String>, Query, description = "What the user has typed (none: no suggestions)"), ("limit" = Option<u32>, Query, description = "Suggestions wanted"), ("language" = Option<String>, Query, description = "Only titles of articles in this language (BCP 47 tag, `zh`), the prefix read by its rules")),
    responses((status = 200, description = "Completions, best first", body = SuggestResponse), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn suggest_get(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<SuggestResponse>, ApiError> {
    let plan = SuggestPlan::from_pairs(pairs)?;
    let resp = run_blocking(&state, move |state| state.backend.suggest(&plan)).await?;
    Ok(Json(resp))
}
