//! What every handler shares.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::Config;
use crate::index::NewsIndex;
use crate::query::suggest::Suggester;

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    /// The index.
    pub index: Arc<NewsIndex>,
    /// Settings.
    pub config: Arc<Config>,
    /// Suggestions and their cached dictionary.
    pub suggester: Arc<Suggester>,
    /// Permits for CPU-bound reads (search, related, suggest); none left means 503.
    pub search_permits: Arc<Semaphore>,
    /// The address the server is bound to (set by [`super::serve`]; `config.listen` until
    /// then): with no keys configured, requests must name it (or an allowed host) in `Host`.
    pub local_addr: SocketAddr,
}

impl AppState {
    /// State over an open index.
    pub fn new(index: Arc<NewsIndex>, config: Arc<Config>) -> AppState {
        let permits = config.limits.max_concurrent_searches;
        AppState {
            local_addr: config.listen,
            index,
            config,
            suggester: Arc::new(Suggester::new()),
            search_permits: Arc::new(Semaphore::new(permits)),
        }
    }
}
