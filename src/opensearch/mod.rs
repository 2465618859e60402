//! The index on an OpenSearch cluster (issue #18): the same searches, answered by OpenSearch.
//!
//! - [`mapping`]: the index's settings and mapping (per-language text fields, keywords for
//!   facets and filters, dates, copy keys, suggestions) and an article as a document.
//! - [`translate`]: a [`crate::query::SearchPlan`] as a search request, and the answer as our
//!   [`crate::query::SearchResponse`].
//! - [`client`]: a small blocking HTTP client over several nodes, and
//!   [`client::OpenSearchBackend`]: create the index, write, read, delete, search.
//! - [`backend`]: `OpenSearchBackend` as a [`crate::backend::Backend`] (writes as `_bulk`,
//!   related articles, suggestions, export, health and metrics).
//! - [`reindex`]: the index as an alias of a concrete index, and `newsindex reindex`: a new
//!   concrete index built from the stored articles, the alias moved to it while serving.
//!
//! Tested against a real node started by `scripts/opensearch` (`tests/opensearch.rs`).

pub mod backend;
pub mod client;
pub mod mapping;
pub mod reindex;
pub mod translate;

pub use client::{Client, OpenSearchBackend};
