//! `GET /suggest?q=beij&limit=8`: completions for a search box while the user types.

use axum::extract::State;
use axum::Json;

use super::error::ApiError;
use super::extract::QueryPairs;
use super::search::run_blocking;
use super::state::AppState;
use crate::error::truncate_for_message;
use crate::error::Error;
use crate::query::suggest::{SuggestResponse, DEFAULT_LIMIT, MAX_CHARS, MAX_LIMIT};

/// `GET /suggest`
#[utoipa::path(get, path = "/suggest", tag = "search",
    params(("q" = Option<String>, Query, description = "What the user has typed (none: no suggestions)"), ("limit" = Option<u32>, Query, description = "Suggestions wanted"), ("language" = Option<String>, Query, description = "Only titles of articles in this language (BCP 47 tag, `zh`), the prefix read by its rules")),
    responses((status = 200, description = "Completions, best first", body = SuggestResponse), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn suggest_get(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<SuggestResponse>, ApiError> {
    let mut q = String::new();
    let mut limit = DEFAULT_LIMIT;
    let mut language: Option<String> = None;
    for (name, value) in pairs {
        match name.as_str() {
            "q" => q = value,
            "language" => {
                let tag = crate::analysis::Lang::check_tag(&value)
                    .map_err(|e| Error::param("language", e))?;
                language = Some(tag);
            }
            "limit" => {
                limit = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        Error::param(
                            "limit",
                            format!(
                                "expected a whole number from 1 to {MAX_LIMIT}, got `{}`",
                                truncate_for_message(&value)
                            ),
                        )
                    })?;
            }
            other => {
                return Err(Error::param(
                    truncate_for_message(other),
                    "unknown parameter; expected q, limit or language",
                )
                .into())
            }
        }
    }
    let chars = q.chars().count();
    if chars > MAX_CHARS {
        return Err(Error::param(
            "q",
            format!("is {chars} characters long, at most {MAX_CHARS} are allowed"),
        )
        .into());
    }
    let resp = run_blocking(&state, move |state| {
        state.backend.suggest(&q, limit, language.as_deref())
    })
    .await?;
    Ok(Json(resp))
}
