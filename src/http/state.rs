//! What every handler shares, and the bounds on work in flight.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use crate::backend::Backend;
use crate::config::Config;
use crate::error::ErrorCode;

/// A bound on work in flight: permits, with counts of those in use and of the requests
/// refused for want of one, shown in `/metrics` as `newsindex_limit_*{limit="NAME"}`.
#[derive(Debug)]
pub struct Bound {
    /// The label in `/metrics`.
    pub name: &'static str,
    /// The config key that sets it, for error messages.
    pub key: &'static str,
    /// Permits in all.
    pub max: usize,
    permits: Arc<Semaphore>,
    rejected: AtomicU64,
}

impl Bound {
    /// `max` permits.
    pub fn new(name: &'static str, key: &'static str, max: usize) -> Arc<Bound> {
        Arc::new(Bound {
            name,
            key,
            max,
            permits: Arc::new(Semaphore::new(max)),
            rejected: AtomicU64::new(0),
        })
    }

    /// A permit, or 503 with Retry-After naming the limit: past the bound the answer is a
    /// quick refusal, never an ever-growing queue.
    pub fn try_acquire(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.permits.clone().try_acquire_owned().map_err(|_| {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(limit = self.name, "permits exhausted");
            ApiError::new(
                ErrorCode::Overloaded,
                format!(
                    "server is busy: `{}` ({}) are in progress; retry shortly",
                    self.key, self.max
                ),
            )
        })
    }

    /// A permit, waiting for one when none is free (counted as a rejection: the caller was
    /// held back), e.g. before accepting a connection.
    pub async fn acquire(&self) -> OwnedSemaphorePermit {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return p;
        }
        self.rejected.fetch_add(1, Ordering::Relaxed);
        self.permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Permits taken now.
    pub fn in_use(&self) -> usize {
        self.max.saturating_sub(self.permits.available_permits())
    }

    /// Requests refused (or held back) since start.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    /// The engine that holds the articles.
    pub backend: Arc<dyn Backend>,
    /// Settings.
    pub config: Arc<Config>,
    /// CPU-bound reads (search, related, suggest); none left means 503.
    pub search_permits: Arc<Bound>,
    /// Other CPU-bound work of one request (parsing and extracting a PUT, `/extract`,
    /// reading an article); none left means 503.
    pub work_permits: Arc<Bound>,
    /// `POST /articles` uploads in progress; none left means 503.
    pub upload_permits: Arc<Bound>,
    /// Open connections; past the bound new ones wait in the listen backlog.
    pub connections: Arc<Bound>,
    /// The address the server is bound to (set by [`super::serve`]; `config.listen` until
    /// then): with no keys configured, requests must name it (or an allowed host) in `Host`.
    pub local_addr: SocketAddr,
}

impl AppState {
    /// State over a backend.
    pub fn new(backend: Arc<dyn Backend>, config: Arc<Config>) -> AppState {
        let l = &config.limits;
        AppState {
            local_addr: config.listen,
            search_permits: Bound::new(
                "searches",
                "limits.max_concurrent_searches",
                l.max_concurrent_searches,
            ),
            work_permits: Bound::new("work", "limits.max_concurrent_work", l.max_concurrent_work),
            upload_permits: Bound::new(
                "uploads",
                "limits.max_concurrent_uploads",
                l.max_concurrent_uploads,
            ),
            connections: Bound::new("connections", "limits.max_connections", l.max_connections),
            backend,
            config,
        }
    }

    /// Every bound, for `/metrics`.
    pub fn bounds(&self) -> [&Arc<Bound>; 4] {
        [
            &self.search_permits,
            &self.work_permits,
            &self.upload_permits,
            &self.connections,
        ]
    }
}
