//! `GET /search` and `POST /search`: the same parameters, the same answer.

use axum::extract::State;
use axum::Json;

use super::error::ApiError;
use super::extract::{ApiJson, QueryPairs};
use super::state::AppState;
use crate::error::Error;
use crate::query::{run_search, SearchParams, SearchResponse};

/// `GET /search`
#[utoipa::path(get, path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, description = "A page of hits, the total and facets", body = SearchResponse), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn search_get(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<SearchResponse>, ApiError> {
    search(state, SearchParams::from_pairs(pairs)?).await
}

/// `POST /search`
#[utoipa::path(post, path = "/search", tag = "search", request_body = SearchParams,
    responses((status = 200, description = "A page of hits, the total and facets", body = SearchResponse), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn search_post(
    State(state): State<AppState>,
    ApiJson(params): ApiJson<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    search(state, params).await
}

async fn search(state: AppState, params: SearchParams) -> Result<Json<SearchResponse>, ApiError> {
    let req = params.into_request(&state.config.limits)?;
    let resp = run_blocking(&state, move |state| {
        run_search(&state.index, &state.config.search, &req)
    })
    .await?;
    Ok(Json(resp))
}

/// Runs CPU-bound read work off the async runtime, behind the concurrency bound: when every
/// permit is taken the answer is 503 with Retry-After rather than an ever-growing queue.
pub async fn run_blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&AppState) -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = state
        .search_permits
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            tracing::warn!("search permits exhausted");
            Error::Overloaded
        })?;
    let state = state.clone();
    let out = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work(&state)
    })
    .await??;
    Ok(out)
}
