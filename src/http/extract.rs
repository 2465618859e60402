//! Request extractors whose rejections are our JSON errors: a JSON body under the body limit
//! (413 past it, 415 for a non-JSON content type, 400 naming the field for bad JSON) and the
//! raw query-string pairs (so repeated parameters survive).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::error::ErrorCode;

/// A JSON body, deserialized with errors that name the field.
pub struct ApiJson<T>(pub T);

/// Bodies parsed on the async runtime; larger ones are parsed on a blocking thread.
const PARSE_INLINE_BYTES: usize = 64 * 1024;

impl<T: DeserializeOwned + Send + 'static, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(req, state).await?;
        if bytes.len() <= PARSE_INLINE_BYTES {
            return parse_json(&bytes).map(ApiJson);
        }
        tokio::task::spawn_blocking(move || parse_json(&bytes))
            .await?
            .map(ApiJson)
    }
}

/// A JSON body as `T`, with errors that name the field.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path.is_empty() || path == "." {
                ApiError::bad_request(format!("invalid JSON body: {inner}"))
            } else {
                ApiError::bad_request(format!("field `{path}`: {inner}"))
            }
        })?;
        de.end().map_err(|e| {
            ApiError::bad_request(format!("trailing data after the JSON body: {e}"))
        })?;
        Ok(value)
    }
}

/// The raw bytes of an article write body (`PUT /articles/{id}`), under the route's body
/// limit: `Content-Type: application/json` is required (see [`check_write_json`]).
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        check_write_json(req.headers())?;
        Ok(JsonBytes(json_body(req, state).await?))
    }
}

async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    check_json_content_type(req.headers())?;
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status().as_u16() == 413 {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                "request body is larger than `limits.max_body_bytes`",
            )
        } else {
            ApiError::bad_request(format!("cannot read the request body: {rejection}"))
        }
    })
}

/// A JSON endpoint takes `application/json` (or `+json`), or no content type at all (curl -d
/// without -H sends form encoding, which we also accept, as the bytes are read as JSON anyway).
pub fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime == "application/json"
        || mime.ends_with("+json")
        || mime == "application/x-www-form-urlencoded"
        || mime == "text/plain"
    {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("expected Content-Type application/json, got `{mime}`"),
        ))
    }
}

/// The media type of a request (`text/html; charset=utf-8` gives `text/html`), lowercased;
/// `None` without a `Content-Type`. A value that is not text reads as `""`.
pub fn mime_of(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?;
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    Some(ct.split(';').next().unwrap_or("").trim().to_string())
}

/// A write takes only media types that a browser cannot send cross-site without a CORS
/// preflight: a page on another site may POST `text/plain`, form encoding or multipart
/// (and nothing at all) to a server on loopback without asking, so those are refused, as is
/// a missing Content-Type.
pub fn check_write_json(headers: &HeaderMap) -> Result<(), ApiError> {
    match mime_of(headers) {
        Some(m) if m == "application/json" || m.ends_with("+json") => Ok(()),
        got => Err(unsupported_write_type(
            got.as_deref(),
            "PUT /articles/{id} takes `Content-Type: application/json`",
        )),
    }
}

/// The 415 of a write whose Content-Type is missing or not one it takes; `takes` says which.
pub fn unsupported_write_type(got: Option<&str>, takes: &str) -> ApiError {
    let got = match got {
        None => "no Content-Type".to_string(),
        Some(m) => format!("`{m}`"),
    };
    ApiError::new(
        ErrorCode::UnsupportedMediaType,
        format!(
            "{takes}, got {got} (writes never take text/plain, form encoding or a missing \
             Content-Type, which any web page can send cross-site)"
        ),
    )
}

/// The query string as decoded (name, value) pairs, repeated names kept.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .map(QueryPairs)
            .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
    }
}

/// The `{id}` of an `/articles/{id}` path, with a JSON 400 when it is not valid UTF-8 once
/// percent-decoded (axum's own rejection is plain text).
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| IdPath(id))
            .map_err(|e| ApiError::bad_request(format!("invalid article id in the path: {e}")))
    }
}
