//! Operations endpoints: `/health`, `/stats`, `/metrics`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::state::AppState;

/// `GET /health`
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, description = "Serving", body = super::openapi::Health), (status = 503, description = "The index writer has stopped: reads are served, writes would fail", body = super::openapi::Health)))]
pub async fn health(State(state): State<AppState>) -> axum::response::Response {
    if state.backend.writable() {
        let ok = super::openapi::Health {
            status: "ok".into(),
            reason: None,
        };
        Json(ok).into_response()
    } else {
        // A load balancer should stop sending writes here: nothing would be stored.
        let down = super::openapi::Health {
            status: "unavailable".into(),
            reason: Some("the index writer has stopped".into()),
        };
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(down)).into_response()
    }
}

/// `GET /stats`
#[utoipa::path(get, path = "/stats", tag = "ops",
    responses((status = 200, description = "Index figures", body = crate::backend::IndexStats), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody)))]
pub async fn stats(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.backend.clone();
    let stats = tokio::task::spawn_blocking(move || backend.stats()).await;
    match stats {
        Ok(s) => Json(json!(s)).into_response(),
        Err(e) => super::error::ApiError::from(e).into_response(),
    }
}

/// `GET /metrics`, Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody)))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.backend.clone();
    let stats = tokio::task::spawn_blocking(move || backend.stats())
        .await
        .ok();
    let mut out = String::new();
    if let Some(s) = stats {
        out.push_str("# HELP newsindex_articles Articles visible to searches.\n# TYPE newsindex_articles gauge\n");
        out.push_str(&format!("newsindex_articles {}\n", s.articles));
        out.push_str("# HELP newsindex_index_bytes Size of the index directory.\n# TYPE newsindex_index_bytes gauge\n");
        out.push_str(&format!("newsindex_index_bytes {}\n", s.index_bytes));
        out.push_str("# HELP newsindex_segments Segments of the current commit.\n# TYPE newsindex_segments gauge\n");
        out.push_str(&format!("newsindex_segments {}\n", s.segments));
    }
    state.backend.render_metrics(&mut out);
    if let Some(rss) = super::metrics::resident_bytes() {
        out.push_str("# HELP newsindex_resident_memory_bytes Resident memory of the server process.\n# TYPE newsindex_resident_memory_bytes gauge\n");
        out.push_str(&format!("newsindex_resident_memory_bytes {rss}\n"));
    }
    let bounds = state.bounds();
    let bounds: Vec<&super::state::Bound> = bounds.iter().map(|b| b.as_ref()).collect();
    super::metrics::render_bounds(&mut out, &bounds);
    super::metrics::render(&mut out);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
