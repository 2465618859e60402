//! The one integration test binary: a real server on 127.0.0.1:0 over a temporary index,
//! talked to over HTTP. One module per feature.

/// Read by `common`: this binary serves tantivy unless `NEWSINDEX_TEST_BACKEND=opensearch`.
pub const OPENSEARCH_ONLY: bool = false;

mod common;

mod cost;

mod articles;
mod auth;
mod backup;
mod bounds;
mod crash;
mod cross_site;
mod durability;
mod extraction;
mod formats;
mod garbage;
mod languages;
mod limits;
mod metrics;
mod openapi;
mod page;
mod related;
mod search;
mod soak;
mod suggest;
