//! # newsindex
//!
//! A search and indexing server for news articles: ingest articles into a tantivy index and
//! answer faceted searches and related-articles queries over HTTP (`shared/API.md` is the
//! contract).
//!
//! # Layout
//!
//! - [`article`]: the validated [`Article`] and its wire form; the one date parser.
//! - [`analysis`]: languages: each article's language (sent, from its page, detected), and how
//!   text and queries of each language are cut into terms (tokenizers, normalization,
//!   stemming).
//! - [`extract`]: entities from an article's text, for articles sent without any.
//! - [`embed`]: the shipped multilingual embedding model (a static token table distilled from
//!   multilingual-e5-small, `models/`): text to a normalised vector, on the CPU, offline.
//! - [`index`]: [`NewsIndex`], sole owner of the tantivy index, its reader and its writer thread
//!   (group commit; a write is acknowledged once durable and visible); [`index::BulkIndexer`]
//!   for offline loading; beside them the schema and analyzers (with a stem cache), the
//!   directory, what ingest derives from the words (copy key, SimHash), and what is remembered
//!   between requests (document frequencies per commit, facet counts per segment).
//! - [`formats`]: HTML pages, RSS/Atom feeds and scraped text converted into articles.
//! - [`ingest`]: batches (NDJSON, JSON arrays, gzip) read item by item, errors by line.
//! - [`query`]: search: text, filters, disjunctive facets, date histograms, highlights;
//!   related articles; suggestions.
//! - [`opensearch`]: the index on an OpenSearch cluster: mapping, plan → request, client.
//! - [`http`]: the HTTP API, thin over the above; [`http::router`] and [`http::serve`], and
//!   [`http::LocalServer`] to run it in-process (tests, benchmarks).
//! - [`config`]: settings, file < environment < flags.
//! - [`demo`]: the bundled demo corpus, loaded into an empty index.
//! - [`cli`]: the `newsindex` command (serve, ingest, search).
//!
//! # Data flows
//!
//! **Ingest** (`POST /articles`): the body is read line by line under the line limit; each
//! chunk of lines is parsed and validated off the runtime ([`ingest::parse_item`]: a bad line
//! becomes `{line, id, error}` and the batch goes on), entities are extracted for articles sent
//! without them, documents are built, and the chunk is staged with the writer. At the end the
//! handler asks for a commit; the writer commits, reloads the reader, then acknowledges, so the
//! `200` means durable and visible.
//!
//! **Search** (`GET /search`): parameters are validated into a [`query::SearchRequest`]
//! (errors name the parameter); under a permit, [`query::run_search`] runs off the runtime: the
//! text query (lenient parser, title > summary > body) AND the filters, one pass for the page,
//! the total and the facets not filtered on, one more pass per filtered facet (disjunctive
//! counts), then snippets and hydration from the stored article.

pub mod analysis;
pub mod article;
pub mod backend;
pub mod cli;
pub mod config;
pub mod demo;
pub mod embed;
pub mod error;
pub mod extract;
pub mod formats;
pub mod http;
pub mod index;
pub mod ingest;
pub mod opensearch;
pub mod query;

pub use article::{Article, Entity};
pub use config::Config;
pub use error::{Error, Result};
pub use index::NewsIndex;

// Every binary of the crate (the server, tests, benches, examples) allocates with mimalloc:
// under 8 clients glibc's malloc/free were ~13% of the samples (issue #20; the A/B table is in
// benches/README.md). The fuzz targets build without it (libFuzzer and sanitizers hook malloc).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
