//! The engine behind the API: what the HTTP layer asks of an index, whichever engine holds it.
//!
//! Layering: `http` → plans (`query::plan`: [`SearchPlan`], [`RelatedPlan`], [`SuggestPlan`]; [`Write`])
//! → [`Backend`]. The HTTP layer names no engine type: it holds an `Arc<dyn Backend>`, built by
//! whoever starts the server (the CLI, the tests, the benches): [`TantivyBackend`], the
//! embedded index, or [`OpenSearchBackend`], an index on an OpenSearch cluster (issue #18).
//!
//! Reads and the CPU-bound half of a write ([`Backend::prepare`]) are synchronous: the HTTP
//! layer runs them off the async runtime, under its bounds. Applying writes is asynchronous:
//! it waits for the engine to make them durable and visible.

pub mod tantivy;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

pub use self::tantivy::TantivyBackend;
pub use crate::index::backup::{server_path as backup_destination, BackupReport};
pub use crate::index::writer::{Applied, WriteFailure, WriteOutcome};
pub use crate::index::IndexStats;
pub use crate::opensearch::OpenSearchBackend;

use crate::article::Article;
use crate::config::SearchConfig;
use crate::query::plan::{RelatedPlan, SuggestPlan};
use crate::query::related::{RelatedConfig, RelatedResponse};
use crate::query::suggest::SuggestResponse;
use crate::query::{SearchPlan, SearchResponse};

/// A future that a backend returns, boxed so that the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One write, as the API receives it.
#[derive(Debug, Clone)]
pub enum Write {
    /// Insert or replace this article (by its id).
    Upsert(Box<Article>),
    /// Delete the article with this id.
    Delete(String),
}

/// A write made ready for its engine by [`Backend::prepare`] (for tantivy, the indexed
/// document: analysis is the costly part, done by the caller's thread rather than the one
/// writer; for OpenSearch, the document's JSON). Opaque to the HTTP layer: its variants are
/// the engines', and an engine given another's write refuses it.
pub struct Prepared(pub(crate) PreparedWrite);

/// The engine-specific content of a [`Prepared`] write.
pub(crate) enum PreparedWrite {
    /// tantivy's op.
    Tantivy(crate::index::WriteOp),
    /// One action of an OpenSearch `_bulk` request.
    OpenSearch(crate::opensearch::backend::BulkOp),
}

/// What the API needs of an index.
pub trait Backend: Send + Sync + 'static {
    /// The engine's name, for logs and `/stats`.
    fn name(&self) -> &'static str;

    /// Runs a search's plan.
    fn search(&self, config: &SearchConfig, plan: &SearchPlan) -> crate::Result<SearchResponse>;

    /// Where the server runs `plan` ([`crate::query::Execution`]): on the blocking pool unless
    /// the engine knows it to be short.
    fn execution(&self, _plan: &SearchPlan) -> crate::query::Execution {
        crate::query::Execution::Pool
    }

    /// Articles related to a stored article or a draft (never the article itself or its
    /// copies), as the plan asks.
    fn related(&self, config: &RelatedConfig, plan: &RelatedPlan)
        -> crate::Result<RelatedResponse>;

    /// Completions of what a user has typed.
    fn suggest(&self, plan: &SuggestPlan) -> crate::Result<SuggestResponse>;

    /// Prepares what `suggest` reads, so that the first user does not wait for it.
    fn warm(&self);

    /// A stored article.
    fn get(&self, id: &str) -> crate::Result<Option<Article>>;

    /// The CPU-bound half of a write.
    fn prepare(&self, write: Write) -> crate::Result<Prepared>;

    /// Applies writes in order. With `durable`, resolves once they are on disk and visible to
    /// searches (a `200` means it); without, once they are staged (a stream's lines, made
    /// durable together by a later durable call). An engine that refuses some writes of a
    /// group and applies the others (OpenSearch) lists them in [`Applied::failed`].
    fn apply(&self, writes: Vec<Prepared>, durable: bool) -> BoxFuture<'_, crate::Result<Applied>>;

    /// Figures for `/stats` and `/metrics`.
    fn stats(&self) -> IndexStats;

    /// Articles visible to searches.
    fn num_articles(&self) -> u64;

    /// Whether writes can be applied; `/health` answers 503 when not.
    fn writable(&self) -> bool;

    /// The engine's own Prometheus lines (commits and their durations for tantivy).
    fn render_metrics(&self, out: &mut String);

    /// Every stored article of one commit as NDJSON, calling `progress` with how many were
    /// written since the last call; returns how many in all.
    fn write_ndjson(
        &self,
        out: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64),
    ) -> crate::Result<u64>;

    /// A consistent copy of one commit in `dest`, while serving.
    fn backup(&self, dest: &Path) -> crate::Result<BackupReport>;

    /// Stops the writer once what it holds is durable.
    fn shutdown(&self) -> BoxFuture<'_, crate::Result<()>>;
}
