//! The HTTP API of `shared/API.md`, a thin layer over the library: handlers validate, run the
//! library off the async runtime, and shape JSON.
//!
//! [`router`] builds the whole app (routes, auth, CORS, body limit, timeout, tracing) so tests
//! can serve it on any listener; [`serve`] runs it until `shutdown` resolves, then drains
//! in-flight requests and stops the writer, which commits what it holds. [`LocalServer`] is
//! that on `127.0.0.1:0` with a stop handle, for tests, benchmarks and embedding.

pub mod admin;
pub mod articles;
pub mod auth;
pub mod error;
pub mod extract;
pub mod extract_api;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod page;
pub mod related;
pub mod search;
pub mod state;
pub mod suggest;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;
use tracing::info;

pub use state::AppState;

use crate::backend::Backend;
use crate::config::Config;

/// A server on `127.0.0.1:0` over an open index, running on the current tokio runtime until
/// [`LocalServer::stop`] (or until dropped, which asks it to stop without waiting).
pub struct LocalServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl LocalServer {
    /// Binds a free loopback port and serves `index` with `config`.
    pub async fn start(
        backend: Arc<dyn Backend>,
        config: Arc<Config>,
    ) -> std::io::Result<LocalServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            AppState::new(backend, config),
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(LocalServer {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops as SIGTERM does: drains requests, commits, stops the writer.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

use self::error::ApiError;
use crate::error::ErrorCode;

/// Builds the app.
pub fn router(state: AppState) -> Router {
    let limits = &state.config.limits;
    let mut app = Router::new()
        .route("/", get(page::page))
        .route("/assets/page.js", get(page::script))
        .route("/assets/page.css", get(page::style))
        .route("/health", get(ops::health))
        .route("/stats", get(ops::stats))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/articles", post(articles::articles_post))
        .route(
            "/articles/{id}",
            get(articles::articles_get)
                .put(articles::articles_put)
                .delete(articles::articles_delete),
        )
        .route("/search", get(search::search_get).post(search::search_post))
        .route("/extract", post(extract_api::extract_post))
        .route("/suggest", get(suggest::suggest_get))
        .route("/articles/{id}/related", get(related::related_get))
        .route("/related", post(related::related_post))
        .route("/admin/export", get(admin::export_get))
        .route("/admin/backup", post(admin::backup_post))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_key,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::check_host,
        ));
    if !state.config.auth.cors_origins.is_empty() {
        let origins = &state.config.auth.cors_origins;
        // `*` means any origin (tower-http's list panics on it): a public search API whose
        // keys, not the browser, decide who may call it.
        let allow = if origins.iter().any(|o| o.trim() == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(
                origins
                    .iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok())
                    .collect::<Vec<HeaderValue>>(),
            )
        };
        app = app.layer(
            CorsLayer::new()
                .allow_origin(allow)
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                .allow_headers([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::CONTENT_TYPE,
                ])
                .max_age(Duration::from_secs(3600)),
        );
    }
    app.layer(
        TraceLayer::new_for_http()
            .make_span_with(|req: &Request| {
                let path = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str)
                    .unwrap_or("-");
                tracing::debug_span!("request", method = %req.method(), matched_path = path)
            })
            .on_failure(()),
    )
    .layer(catch_panics())
    .layer(middleware::from_fn(metrics::track))
    .with_state(state)
}

/// A handler that panics answers a JSON 500 like any other fault of ours, and is counted in
/// `newsindex_panics_total` (and, by route, in the request metrics around it), instead of the
/// connection being dropped.
pub(crate) fn catch_panics(
) -> tower_http::catch_panic::CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> Response> {
    tower_http::catch_panic::CatchPanicLayer::custom(panic_response as fn(_) -> Response)
}

fn panic_response(panic: Box<dyn std::any::Any + Send>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    metrics::panic_caught();
    axum::response::IntoResponse::into_response(error::ApiError::from(crate::Error::Internal(
        format!("handler panicked: {what}"),
    )))
}

/// Answers 503 when a request outlives `limits.request_timeout_secs`. Uploads, exports and
/// backups are exempt: they legitimately take as long as the index is large, and their memory
/// is bounded anyway.
async fn timeout(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = req.uri().path();
    if (req.method() == Method::POST && path == "/articles") || path.starts_with("/admin/") {
        return Ok(next.run(req).await);
    }
    let secs = state.config.limits.request_timeout_secs;
    tokio::time::timeout(Duration::from_secs(secs), next.run(req))
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorCode::Unavailable,
                format!("request took longer than `limits.request_timeout_secs` ({secs} s)"),
            )
        })
}

/// Serves the app on `listener` until `shutdown` resolves, then drains requests (at most the
/// request timeout) and stops the writer, which commits what it holds.
///
/// Connections are served by hyper with a header-read timeout
/// (`limits.header_read_timeout_secs`: half a request cannot hold a connection), and at most
/// `limits.max_connections` are open at once: past that, the next is accepted only when one
/// closes (it waits in the listen backlog).
pub async fn serve(
    listener: TcpListener,
    mut state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let addr = listener.local_addr()?;
    if let Some(why) = state.config.listen_refusal(addr) {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, why));
    }
    state.local_addr = addr;
    let backend = state.backend.clone();
    let limits = state.config.limits.clone();
    let drain = Duration::from_secs(limits.request_timeout_secs + 5);
    let connections = state.connections.clone();
    // An empty index has nothing to suggest yet: its first articles are then in the
    // dictionary built by the first request, not left out of one built before them.
    if state.backend.num_articles() > 0 {
        let warm = state.backend.clone();
        tokio::task::spawn_blocking(move || warm.warm());
    }
    let app = router(state);
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs));
    builder.http2().timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    info!(%addr, "listening");
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = connections.acquire() => p,
            _ = &mut shutdown => break,
        };
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(err) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a little rather than spin (as axum::serve does).
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Small answers must not wait for the client's delayed ACK.
        let _ = tcp.set_nodelay(true);
        let conn = builder
            .serve_connection_with_upgrades(
                TokioIo::new(tcp),
                TowerToHyperService::new(app.clone()),
            )
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(err) = conn.await {
                tracing::debug!(%err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    info!("shutdown requested, draining requests");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(drain) => {
            tracing::warn!("requests still running after the drain timeout; stopping anyway");
        }
    }
    info!("stopping the writer");
    if let Err(err) = backend.shutdown().await {
        tracing::error!(%err, "writer shutdown failed");
    }
    info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
