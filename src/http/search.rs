//! `GET /search` and `POST /search`: the same parameters, the same answer.

use axum::extract::State;
use axum::Json;

use super::error::ApiError;
use super::extract::{ApiJson, QueryPairs};
use super::state::AppState;
use std::time::Duration;

use crate::query::deadline::Deadline;
use crate::query::{Execution, SearchParams, SearchPlan, SearchResponse};

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
    responses((status = 200, description = "A page of hits, the total and facets", body = SearchResponse), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 413, description = "Body too large (`limits.max_body_bytes`)", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn search_post(
    State(state): State<AppState>,
    ApiJson(params): ApiJson<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    search(state, params).await
}

async fn search(state: AppState, params: SearchParams) -> Result<Json<SearchResponse>, ApiError> {
    let mut req = params.into_request(&state.config.limits)?;
    req.semantic.get_or_insert(state.config.search.semantic);
    // The search stops where the request is answered 503, and gives its permit back.
    req.deadline = Some(Deadline::after(Duration::from_secs(
        state.config.limits.request_timeout_secs,
    )));
    let plan = SearchPlan::new(&req)?;
    let execution = state.backend.execution(&plan);
    let work = move |state: &AppState| {
        let res = state.backend.search(&state.config.search, &plan);
        if matches!(res, Err(crate::Error::TimedOut(_))) {
            super::metrics::search_stopped_at_deadline();
        }
        res
    };
    let resp = match execution {
        Execution::Inline => run_inline(&state, work)?,
        Execution::Pool => run_blocking(&state, work).await?,
    };
    Ok(Json(resp))
}

/// Runs read work known to be short ([`Execution::Inline`]) on the async worker, under the
/// same bound as [`run_blocking`].
fn run_inline<T>(
    state: &AppState,
    work: impl FnOnce(&AppState) -> crate::Result<T>,
) -> Result<T, ApiError> {
    let _permit = state.search_permits.try_acquire()?;
    Ok(work(state)?)
}

/// Runs CPU-bound read work off the async runtime, behind the concurrency bound: when every
/// permit is taken the answer is 503 with Retry-After rather than an ever-growing queue.
pub async fn run_blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&AppState) -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = state.search_permits.try_acquire()?;
    let state = state.clone();
    let out = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work(&state)
    })
    .await??;
    Ok(out)
}

/// [`run_blocking`] under the bound of other CPU-bound work (`limits.max_concurrent_work`).
pub async fn run_work<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = state.work_permits.try_acquire()?;
    let out = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await??;
    Ok(out)
}
