//! `GET /`: the search page, embedded in the binary so it works offline.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("page.html");

/// `GET /`
pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}
