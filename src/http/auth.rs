//! Bearer keys. With no keys configured everyone is served (and the server listens on loopback
//! by default). With keys, an admin key may do everything and a search key may only read:
//! search, related, suggest and `GET /articles/{id}`. `/health`, `/openapi.json` and the page
//! need no key. Everything else, the `/admin/` routes (export, backup) included, needs an
//! admin key.
//! Keys are compared in constant time and never logged.

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::state::AppState;
use crate::error::ErrorCode;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Reads only.
    Search,
}

/// The role a request needs, or `None` for open endpoints.
fn required_role(method: &Method, path: &str) -> Option<Role> {
    if path == "/health" || method == Method::OPTIONS {
        return None;
    }
    if method == Method::GET && path == "/openapi.json" {
        return None;
    }
    if method == Method::GET && (path == "/" || path.starts_with("/assets/")) {
        return None;
    }
    let read = matches!(
        (method, path),
        (
            &Method::GET | &Method::POST,
            "/search" | "/related" | "/extract"
        ) | (&Method::GET, "/suggest")
    ) || (method == Method::GET && path.starts_with("/articles/"));
    Some(if read { Role::Search } else { Role::Admin })
}

fn role_of(key: &[u8], state: &AppState) -> Option<Role> {
    let matches = |keys: &[String]| {
        keys.iter().fold(false, |found, k| {
            found | bool::from(k.as_bytes().ct_eq(key))
        })
    };
    if matches(&state.config.auth.admin_keys) {
        Some(Role::Admin)
    } else if matches(&state.config.auth.search_keys) {
        Some(Role::Search)
    } else {
        None
    }
}

/// The middleware.
pub async fn require_key(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let auth = &state.config.auth;
    if auth.admin_keys.is_empty() && auth.search_keys.is_empty() {
        return Ok(next.run(req).await);
    }
    let Some(needed) = required_role(req.method(), req.uri().path()) else {
        return Ok(next.run(req).await);
    };
    let key = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(key) = key else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "missing key: send `Authorization: Bearer KEY`",
        ));
    };
    match role_of(key.as_bytes(), &state) {
        None => Err(ApiError::new(ErrorCode::Unauthorized, "unknown key")),
        Some(Role::Search) if needed == Role::Admin => Err(ApiError::new(
            ErrorCode::Forbidden,
            "this key may only search and read; writes need an admin key",
        )),
        Some(_) => Ok(next.run(req).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_per_route() {
        assert_eq!(required_role(&Method::GET, "/health"), None);
        assert_eq!(required_role(&Method::GET, "/search"), Some(Role::Search));
        assert_eq!(required_role(&Method::POST, "/search"), Some(Role::Search));
        assert_eq!(
            required_role(&Method::GET, "/articles/a"),
            Some(Role::Search)
        );
        assert_eq!(
            required_role(&Method::GET, "/articles/a/related"),
            Some(Role::Search)
        );
        assert_eq!(
            required_role(&Method::PUT, "/articles/a"),
            Some(Role::Admin)
        );
        assert_eq!(
            required_role(&Method::DELETE, "/articles/a"),
            Some(Role::Admin)
        );
        assert_eq!(required_role(&Method::POST, "/articles"), Some(Role::Admin));
        assert_eq!(required_role(&Method::GET, "/stats"), Some(Role::Admin));
        assert_eq!(
            required_role(&Method::GET, "/admin/export"),
            Some(Role::Admin)
        );
        assert_eq!(
            required_role(&Method::POST, "/admin/backup"),
            Some(Role::Admin)
        );
    }
}
