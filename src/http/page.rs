//! `GET /`: the search page, embedded in the binary so it works offline (no build step, no
//! external requests). Its script and style are served from `/assets/`, which, like `/`,
//! needs no key: the page asks for one itself and sends it with every API call.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("page.html");

/// Headers of the page and its assets: nothing but this server's own files may load or run
/// (an injected `<script>` or `<img onerror>` does nothing), no site may frame the page (no
/// clickjacking of its key field), no type is guessed from content, and no address (which
/// may carry a search) leaves in a Referer.
const SECURITY: [(header::HeaderName, &str); 3] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
];
const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");

/// `GET /`
#[utoipa::path(get, path = "/", tag = "page",
    responses((status = 200, description = "The search page", body = String, content_type = "text/html")))]
pub async fn page() -> impl IntoResponse {
    (
        SECURITY,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}

/// `GET /assets/page.js`
#[utoipa::path(get, path = "/assets/page.js", tag = "page",
    responses((status = 200, description = "The page's script", body = String, content_type = "text/javascript")))]
pub async fn script() -> impl IntoResponse {
    (
        SECURITY,
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
}

/// `GET /assets/page.css`
#[utoipa::path(get, path = "/assets/page.css", tag = "page",
    responses((status = 200, description = "The page's style", body = String, content_type = "text/css")))]
pub async fn style() -> impl IntoResponse {
    (
        SECURITY,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        STYLE,
    )
}
