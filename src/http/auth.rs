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
pub(crate) fn required_role(method: &Method, path: &str) -> Option<Role> {
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

/// With no keys configured, a request must name the server in `Host`: the address it is
/// bound to in any loopback form (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`), its own
/// address, or a name of `allowed_hosts`. This is what stops DNS rebinding: a page of
/// `evil.example` whose name is made to resolve to 127.0.0.1 reaches the server with
/// `Host: evil.example`, and is answered 421. With keys, the key decides and `Host` is not
/// looked at. A request without `Host` (HTTP/1.0, never a browser) is let through.
pub async fn check_host(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if state.config.has_keys() {
        return Ok(next.run(req).await);
    }
    let host = match req.headers().get(header::HOST) {
        Some(h) => Some(h.to_str().unwrap_or("")),
        None => req.uri().authority().map(|a| a.as_str()),
    };
    match host {
        Some(h) if !host_allowed(h, state.local_addr, &state.config.allowed_hosts) => {
            Err(ApiError::new(
                ErrorCode::MisdirectedRequest,
                format!(
                    "this server does not answer for `Host: {}`: with no keys configured it \
                     answers only for its own address ({}, localhost:{}) and the names in \
                     `allowed_hosts` (NEWSINDEX_ALLOWED_HOSTS)",
                    h.chars().take(100).collect::<String>(),
                    state.local_addr,
                    state.local_addr.port()
                ),
            ))
        }
        _ => Ok(next.run(req).await),
    }
}

/// Splits `name[:port]` (`[v6]:port` for IPv6); `None` for a malformed port.
fn split_host_port(host: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (name, after) = rest.split_once(']')?;
        match after {
            "" => (name, None),
            p => (name, Some(p.strip_prefix(':')?)),
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => Some(p.parse::<u16>().ok()?),
    };
    Some((name, port))
}

/// Whether `host` (a `Host` header) names this server, bound to `bound`.
fn host_allowed(host: &str, bound: std::net::SocketAddr, allowed: &[String]) -> bool {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let Some((name, port)) = split_host_port(&host) else {
        return false;
    };
    let port = port.unwrap_or(80);
    for a in allowed {
        let a = a.trim().to_ascii_lowercase();
        match split_host_port(&a) {
            Some((n, Some(p))) if n == name && p == port => return true,
            Some((n, None)) if n == name => return true,
            _ => {}
        }
    }
    if port != bound.port() {
        return false;
    }
    if name == "localhost" {
        return true;
    }
    // An address, not a name, cannot be rebound: a loopback one, the bound one, or any when
    // bound to all interfaces.
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip == bound.ip() || bound.ip().is_unspecified(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_name_the_server() {
        let bound: std::net::SocketAddr = "127.0.0.1:7400".parse().unwrap();
        let allowed = vec!["news.example".to_string(), "wire.example:81".to_string()];
        for ok in [
            "127.0.0.1:7400",
            "localhost:7400",
            "LOCALHOST:7400",
            "[::1]:7400",
            "news.example",
            "news.example:9999",
            "wire.example:81",
        ] {
            assert!(host_allowed(ok, bound, &allowed), "{ok}");
        }
        for bad in [
            "evil.example:7400",
            "127.0.0.1:7401",
            "localhost",
            "wire.example",
            "localhost:x",
            "[::1",
            "",
            "10.0.0.1:7400",
        ] {
            assert!(!host_allowed(bad, bound, &allowed), "{bad}");
        }
        let any: std::net::SocketAddr = "0.0.0.0:80".parse().unwrap();
        assert!(host_allowed("10.0.0.1", any, &[]));
        assert!(!host_allowed("intranet.example", any, &[]));
    }

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
