//! Configuration: `config.toml` < `NEWSINDEX_*` environment < command-line flags.
//!
//! [`RawConfig`] mirrors the file with every key optional and unknown keys rejected (a
//! misspelled key is an error that names it); [`Config`] holds the validated values with their
//! defaults in one place, [`Config::default`]. The environment is passed in as a map so that
//! tests do not have to mutate the process environment.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// Validated settings of a server or CLI run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Index directory.
    pub index_dir: PathBuf,
    /// Load the bundled demo corpus when the index is empty at start.
    pub demo_corpus: bool,
    /// Host names (with or without `:port`) that requests may name in `Host` while no keys
    /// are configured, besides the listen address in its loopback forms.
    pub allowed_hosts: Vec<String>,
    /// Listen on a non-loopback address although no keys are configured.
    pub insecure_no_keys: bool,
    /// Writer settings.
    pub writer: WriterConfig,
    /// Limits on requests.
    pub limits: Limits,
    /// Ranking settings.
    pub search: SearchConfig,
    /// Related-articles scoring (the settings a site may want to change; the others keep
    /// their tuned defaults).
    pub related: crate::query::related::RelatedConfig,
    /// Keys and CORS.
    pub auth: AuthConfig,
    /// Language of articles whose language is neither sent, nor on their page, nor detected
    /// with confidence (`[analysis] default_language`).
    pub default_language: crate::analysis::Lang,
    /// IPADIC's source files, for Japanese words (`[analysis] japanese_dictionary`); Japanese
    /// is cut by script where they are missing.
    pub japanese_dictionary: PathBuf,
    /// Which engine holds the index (`[backend]`).
    pub backend: BackendConfig,
}

/// The engine that holds the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// The embedded tantivy index in `index_dir` (the default).
    Tantivy,
    /// An index on an OpenSearch cluster; no local index.
    OpenSearch,
}

/// `[backend]`: the engine, and for OpenSearch where the cluster is.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendConfig {
    /// `kind`: `tantivy` or `opensearch`.
    pub kind: BackendKind,
    /// `urls`: HTTP addresses of the cluster's nodes (`http://` or `https://`), tried in turn.
    pub urls: Vec<String>,
    /// `ca_file`: a PEM file of the CA certificate(s) that signed the nodes' certificates;
    /// when set, the only roots trusted for `https://` nodes (Mozilla's roots otherwise).
    pub ca_file: Option<PathBuf>,
    /// `index`: the index (or alias) name.
    pub index: String,
    /// `shards`: primary shards of an index newsindex creates.
    pub shards: u32,
    /// `replicas`: replicas of each shard of an index newsindex creates; writes wait for a
    /// replica when there is one.
    pub replicas: u32,
    /// `username` / `password`: HTTP basic auth.
    pub username: Option<String>,
    /// See `username`.
    pub password: Option<String>,
    /// `api_key`: sent as `Authorization: ApiKey …` (base64 of `id:key`, as OpenSearch gives it).
    pub api_key: Option<String>,
    /// `connect_timeout_secs`
    pub connect_timeout_secs: u64,
    /// `request_timeout_secs`: the whole of one request to a node.
    pub request_timeout_secs: u64,
    /// `node_left_delay_secs`: how long the cluster waits for a lost node to come back before
    /// it builds the lost copies elsewhere (`index.unassigned.node_left.delayed_timeout`, set
    /// at start). Writes to a shard that lost a copy wait for that, or for the node's return.
    pub node_left_delay_secs: u64,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            kind: BackendKind::Tantivy,
            urls: vec!["http://127.0.0.1:9200".into()],
            ca_file: None,
            index: "newsindex".into(),
            shards: 1,
            replicas: 1,
            username: None,
            password: None,
            api_key: None,
            connect_timeout_secs: 5,
            request_timeout_secs: 60,
            // OpenSearch's own default is 60 s: a minute without writes to a third of the
            // shards after a node's loss, since every write waits for two copies.
            node_left_delay_secs: 10,
        }
    }
}

impl BackendConfig {
    /// The `Authorization` header value of the credentials, if any.
    pub fn authorization(&self) -> Option<String> {
        if let Some(k) = &self.api_key {
            return Some(format!("ApiKey {k}"));
        }
        let user = self.username.as_deref()?;
        let pass = self.password.as_deref().unwrap_or("");
        let token = base64(format!("{user}:{pass}").as_bytes());
        Some(format!("Basic {token}"))
    }
}

/// Standard base64 with padding (basic auth's encoding).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn parse_backend_kind(v: &str) -> anyhow::Result<BackendKind> {
    match v.trim().to_ascii_lowercase().as_str() {
        "tantivy" => Ok(BackendKind::Tantivy),
        "opensearch" => Ok(BackendKind::OpenSearch),
        other => bail!("expected `tantivy` or `opensearch`, got `{other}`"),
    }
}

/// Index writer settings.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Indexing threads of the writer.
    pub threads: usize,
    /// Indexing memory budget, in MB, shared by the threads.
    pub heap_mb: usize,
    /// Threads that merge segments in the background.
    pub merge_threads: usize,
    /// How long the writer waits for more writes before a commit; 0 commits as soon as the
    /// queue is empty (concurrent writes still share commits).
    pub commit_delay_ms: u64,
    /// Most articles one commit takes in.
    pub max_batch_docs: usize,
}

/// Request limits; every one is answered with a 4xx that names it.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest body of a single-article request and of a JSON array batch, in bytes.
    pub max_body_bytes: usize,
    /// Largest JSON array batch body, in bytes (NDJSON streams have no total limit).
    pub max_batch_bytes: usize,
    /// Largest NDJSON line, in bytes.
    pub max_line_bytes: usize,
    /// Most items of a JSON-array batch.
    pub max_batch_items: usize,
    /// Most entries of a search's `facets` list.
    pub max_facets: usize,
    /// Longest `q`, in characters.
    pub max_query_chars: usize,
    /// Most words (whitespace-separated) in `q`.
    pub max_query_words: usize,
    /// Largest `limit`.
    pub max_limit: usize,
    /// Largest `offset`.
    pub max_offset: usize,
    /// Largest `facet_limit`.
    pub max_facet_limit: usize,
    /// Per-request timeout, in seconds.
    pub request_timeout_secs: u64,
    /// Searches that may run at once; past that the answer is 503.
    pub max_concurrent_searches: usize,
    /// Other CPU-bound requests (a PUT's parsing and extraction, `/extract`, reading an
    /// article) that may run at once; past that the answer is 503.
    pub max_concurrent_work: usize,
    /// `POST /articles` uploads that may run at once; past that the answer is 503.
    pub max_concurrent_uploads: usize,
    /// Open connections; past that new ones wait to be accepted.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, in seconds.
    pub header_read_timeout_secs: u64,
}

/// Ranking settings.
#[derive(Debug, Clone)]
pub struct SearchConfig {
    /// Boost of `title` matches.
    pub title_boost: f32,
    /// Boost of `summary` matches.
    pub summary_boost: f32,
    /// Boost of `body` matches.
    pub body_boost: f32,
    /// Half-life of the recency boost, in days; 0 turns it off (pure BM25).
    pub recency_half_life_days: f64,
    /// Share of the score that decays with age (0..=1).
    pub recency_weight: f32,
    /// Weight of the popularity prior `ln(1 + views)`; 0 turns it off.
    pub popularity_weight: f32,
    /// Whether a search without `semantic` adds hits by meaning (under `sort=relevance`).
    pub semantic: bool,
    /// With `semantic`: a search whose words match fewer articles than this is filled up to
    /// it with the articles nearest the query in meaning, after the word matches.
    pub semantic_hits: usize,
    /// With `semantic`: the least cosine between the query's vector and an article's for the
    /// article to be a hit by meaning.
    pub semantic_min_similarity: f32,
}

/// Keys and CORS origins.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// Keys that may do everything.
    pub admin_keys: Vec<String>,
    /// Keys that may only search and read.
    pub search_keys: Vec<String>,
    /// Origins allowed to call from a browser.
    pub cors_origins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 7400)),
            index_dir: PathBuf::from("index"),
            demo_corpus: true,
            allowed_hosts: Vec::new(),
            insecure_no_keys: false,
            writer: WriterConfig {
                threads: 1,
                heap_mb: 128,
                merge_threads: 1,
                commit_delay_ms: 2,
                max_batch_docs: 10_000,
            },
            limits: Limits {
                max_body_bytes: 10 * 1024 * 1024,
                max_batch_bytes: 100 * 1024 * 1024,
                max_line_bytes: 10 * 1024 * 1024,
                max_batch_items: 100_000,
                max_facets: 20,
                max_query_chars: 5_000,
                max_query_words: 1_000,
                max_limit: 100,
                max_offset: 10_000,
                max_facet_limit: 1_000,
                request_timeout_secs: 30,
                max_concurrent_searches: 16,
                max_concurrent_work: 32,
                max_concurrent_uploads: 4,
                max_connections: 1024,
                header_read_timeout_secs: 10,
            },
            search: SearchConfig {
                title_boost: 3.0,
                summary_boost: 2.0,
                body_boost: 1.0,
                recency_half_life_days: 0.0,
                recency_weight: 0.5,
                popularity_weight: 0.0,
                semantic: false,
                semantic_hits: 50,
                semantic_min_similarity: 0.6,
            },
            related: crate::query::related::RelatedConfig::default(),
            auth: AuthConfig::default(),
            default_language: crate::analysis::Lang::ENGLISH,
            japanese_dictionary: PathBuf::from("dictionaries/ipadic"),
            backend: BackendConfig::default(),
        }
    }
}

/// The file as written, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    listen: Option<String>,
    index_dir: Option<PathBuf>,
    demo_corpus: Option<bool>,
    allowed_hosts: Option<Vec<String>>,
    insecure_no_keys: Option<bool>,
    writer: Option<RawWriter>,
    limits: Option<RawLimits>,
    search: Option<RawSearch>,
    related: Option<RawRelated>,
    auth: Option<RawAuth>,
    analysis: Option<RawAnalysis>,
    backend: Option<RawBackend>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackend {
    kind: Option<String>,
    urls: Option<Vec<String>>,
    ca_file: Option<PathBuf>,
    index: Option<String>,
    shards: Option<u32>,
    replicas: Option<u32>,
    username: Option<String>,
    password: Option<String>,
    api_key: Option<String>,
    connect_timeout_secs: Option<u64>,
    request_timeout_secs: Option<u64>,
    node_left_delay_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnalysis {
    default_language: Option<String>,
    japanese_dictionary: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWriter {
    threads: Option<usize>,
    heap_mb: Option<usize>,
    merge_threads: Option<usize>,
    commit_delay_ms: Option<u64>,
    max_batch_docs: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_body_bytes: Option<usize>,
    max_batch_bytes: Option<usize>,
    max_line_bytes: Option<usize>,
    max_batch_items: Option<usize>,
    max_facets: Option<usize>,
    max_query_chars: Option<usize>,
    max_query_words: Option<usize>,
    max_limit: Option<usize>,
    max_offset: Option<usize>,
    max_facet_limit: Option<usize>,
    request_timeout_secs: Option<u64>,
    max_concurrent_searches: Option<usize>,
    max_concurrent_work: Option<usize>,
    max_concurrent_uploads: Option<usize>,
    max_connections: Option<usize>,
    header_read_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    title_boost: Option<f32>,
    summary_boost: Option<f32>,
    body_boost: Option<f32>,
    recency_half_life_days: Option<f64>,
    recency_weight: Option<f32>,
    popularity_weight: Option<f32>,
    semantic: Option<bool>,
    semantic_hits: Option<usize>,
    semantic_min_similarity: Option<f32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelated {
    half_life_days: Option<f64>,
    time_floor: Option<f32>,
    max_terms: Option<usize>,
    candidate_terms: Option<usize>,
    candidates: Option<usize>,
    candidate_max_postings: Option<u64>,
    keyword_max_postings: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    admin_keys: Option<Vec<String>>,
    search_keys: Option<Vec<String>>,
    cors_origins: Option<Vec<String>>,
}

/// Command-line overrides, the last word.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--listen`
    pub listen: Option<SocketAddr>,
    /// `--index`
    pub index_dir: Option<PathBuf>,
    /// `--no-demo`
    pub no_demo: bool,
    /// `--insecure-no-keys`
    pub insecure_no_keys: bool,
}

impl Config {
    /// Loads the file (if any), then the environment, then the overrides, and validates.
    /// With no `path`, `config.toml` in the working directory is read when it exists.
    pub fn load(
        path: Option<&Path>,
        env: &HashMap<String, String>,
        overrides: &Overrides,
    ) -> anyhow::Result<Config> {
        let raw = match path {
            Some(p) => read_file(p)?,
            None if Path::new("config.toml").exists() => read_file(Path::new("config.toml"))?,
            None => RawConfig::default(),
        };
        let mut config = Config::from_raw(raw)?;
        config.apply_env(env)?;
        if let Some(listen) = overrides.listen {
            config.listen = listen;
        }
        if let Some(dir) = &overrides.index_dir {
            config.index_dir = dir.clone();
        }
        if overrides.no_demo {
            config.demo_corpus = false;
        }
        if overrides.insecure_no_keys {
            config.insecure_no_keys = true;
        }
        config.validate()?;
        Ok(config)
    }

    /// Applies a parsed file over the defaults.
    pub fn from_raw(raw: RawConfig) -> anyhow::Result<Config> {
        let mut c = Config::default();
        if let Some(l) = raw.listen {
            c.listen = parse_listen(&l).context("in key `listen`")?;
        }
        set(&mut c.index_dir, raw.index_dir);
        set(&mut c.demo_corpus, raw.demo_corpus);
        set(&mut c.allowed_hosts, raw.allowed_hosts);
        set(&mut c.insecure_no_keys, raw.insecure_no_keys);
        if let Some(w) = raw.writer {
            set(&mut c.writer.threads, w.threads);
            set(&mut c.writer.heap_mb, w.heap_mb);
            set(&mut c.writer.merge_threads, w.merge_threads);
            set(&mut c.writer.commit_delay_ms, w.commit_delay_ms);
            set(&mut c.writer.max_batch_docs, w.max_batch_docs);
        }
        if let Some(l) = raw.limits {
            set(&mut c.limits.max_body_bytes, l.max_body_bytes);
            set(&mut c.limits.max_batch_bytes, l.max_batch_bytes);
            set(&mut c.limits.max_line_bytes, l.max_line_bytes);
            set(&mut c.limits.max_batch_items, l.max_batch_items);
            set(&mut c.limits.max_facets, l.max_facets);
            set(&mut c.limits.max_query_chars, l.max_query_chars);
            set(&mut c.limits.max_query_words, l.max_query_words);
            set(&mut c.limits.max_limit, l.max_limit);
            set(&mut c.limits.max_offset, l.max_offset);
            set(&mut c.limits.max_facet_limit, l.max_facet_limit);
            set(&mut c.limits.request_timeout_secs, l.request_timeout_secs);
            set(
                &mut c.limits.max_concurrent_searches,
                l.max_concurrent_searches,
            );
            set(&mut c.limits.max_concurrent_work, l.max_concurrent_work);
            set(
                &mut c.limits.max_concurrent_uploads,
                l.max_concurrent_uploads,
            );
            set(&mut c.limits.max_connections, l.max_connections);
            set(
                &mut c.limits.header_read_timeout_secs,
                l.header_read_timeout_secs,
            );
        }
        if let Some(s) = raw.search {
            set(&mut c.search.title_boost, s.title_boost);
            set(&mut c.search.summary_boost, s.summary_boost);
            set(&mut c.search.body_boost, s.body_boost);
            set(
                &mut c.search.recency_half_life_days,
                s.recency_half_life_days,
            );
            set(&mut c.search.recency_weight, s.recency_weight);
            set(&mut c.search.popularity_weight, s.popularity_weight);
            set(&mut c.search.semantic, s.semantic);
            set(&mut c.search.semantic_hits, s.semantic_hits);
            set(
                &mut c.search.semantic_min_similarity,
                s.semantic_min_similarity,
            );
        }
        if let Some(a) = raw.analysis {
            if let Some(tag) = a.default_language {
                c.default_language = crate::analysis::Lang::from_tag(&tag).with_context(|| {
                    format!("analysis.default_language: no analysis for the language `{tag}`; expected one of {}",
                        crate::analysis::Lang::all().map(|l| l.code()).collect::<Vec<_>>().join(", "))
                })?;
            }
            set(&mut c.japanese_dictionary, a.japanese_dictionary);
        }
        if let Some(r) = raw.related {
            set(&mut c.related.half_life_days, r.half_life_days);
            set(&mut c.related.time_floor, r.time_floor);
            set(&mut c.related.max_terms, r.max_terms);
            set(&mut c.related.candidate_terms, r.candidate_terms);
            set(&mut c.related.candidates, r.candidates);
            set(
                &mut c.related.candidate_max_postings,
                r.candidate_max_postings,
            );
            set(&mut c.related.keyword_max_postings, r.keyword_max_postings);
        }
        if let Some(b) = raw.backend {
            if let Some(k) = b.kind {
                c.backend.kind = parse_backend_kind(&k).context("in key `backend.kind`")?;
            }
            set(&mut c.backend.urls, b.urls);
            c.backend.ca_file = b.ca_file.or(c.backend.ca_file);
            set(&mut c.backend.index, b.index);
            set(&mut c.backend.shards, b.shards);
            set(&mut c.backend.replicas, b.replicas);
            c.backend.username = b.username.or(c.backend.username);
            c.backend.password = b.password.or(c.backend.password);
            c.backend.api_key = b.api_key.or(c.backend.api_key);
            set(&mut c.backend.connect_timeout_secs, b.connect_timeout_secs);
            set(&mut c.backend.request_timeout_secs, b.request_timeout_secs);
            set(&mut c.backend.node_left_delay_secs, b.node_left_delay_secs);
        }
        if let Some(a) = raw.auth {
            set(&mut c.auth.admin_keys, a.admin_keys);
            set(&mut c.auth.search_keys, a.search_keys);
            set(&mut c.auth.cors_origins, a.cors_origins);
        }
        Ok(c)
    }

    fn apply_env(&mut self, env: &HashMap<String, String>) -> anyhow::Result<()> {
        if let Some(v) = env.get("NEWSINDEX_LISTEN") {
            self.listen = parse_listen(v).context("in NEWSINDEX_LISTEN")?;
        }
        if let Some(v) = env.get("NEWSINDEX_JAPANESE_DICTIONARY") {
            self.japanese_dictionary = PathBuf::from(v);
        }
        if let Some(v) = env.get("NEWSINDEX_INDEX_DIR") {
            self.index_dir = PathBuf::from(v);
        }
        if let Some(v) = env.get("NEWSINDEX_DEMO_CORPUS") {
            self.demo_corpus = match v.as_str() {
                "1" | "true" => true,
                "0" | "false" => false,
                other => bail!("NEWSINDEX_DEMO_CORPUS: expected true or false, got `{other}`"),
            };
        }
        if let Some(v) = env.get("NEWSINDEX_ALLOWED_HOSTS") {
            self.allowed_hosts = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        if let Some(v) = env.get("NEWSINDEX_INSECURE_NO_KEYS") {
            self.insecure_no_keys = match v.as_str() {
                "1" | "true" => true,
                "0" | "false" | "" => false,
                other => bail!("NEWSINDEX_INSECURE_NO_KEYS: expected true or false, got `{other}`"),
            };
        }
        if let Some(v) = env.get("NEWSINDEX_ADMIN_KEY").filter(|v| !v.is_empty()) {
            self.auth.admin_keys.push(v.clone());
        }
        if let Some(v) = env.get("NEWSINDEX_SEARCH_KEY").filter(|v| !v.is_empty()) {
            self.auth.search_keys.push(v.clone());
        }
        if let Some(v) = env.get("NEWSINDEX_BACKEND") {
            self.backend.kind = parse_backend_kind(v).context("in NEWSINDEX_BACKEND")?;
        }
        if let Some(v) = env.get("NEWSINDEX_OPENSEARCH_URLS") {
            self.backend.urls = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        // Empty unsets it (back to Mozilla's roots), as a variable cannot be removed from a
        // unit file that sets it for another site.
        if let Some(v) = env.get("NEWSINDEX_OPENSEARCH_CA_FILE") {
            self.backend.ca_file = Some(PathBuf::from(v)).filter(|_| !v.is_empty());
        }
        if let Some(v) = env.get("NEWSINDEX_OPENSEARCH_INDEX") {
            self.backend.index = v.clone();
        }
        if let Some(v) = env.get("NEWSINDEX_OPENSEARCH_USERNAME") {
            self.backend.username = Some(v.clone());
        }
        if let Some(v) = env.get("NEWSINDEX_OPENSEARCH_PASSWORD") {
            self.backend.password = Some(v.clone());
        }
        if let Some(v) = env
            .get("NEWSINDEX_OPENSEARCH_API_KEY")
            .filter(|v| !v.is_empty())
        {
            self.backend.api_key = Some(v.clone());
        }
        if let Some(v) = env.get("NEWSINDEX_CORS_ORIGINS") {
            self.auth.cors_origins = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        Ok(())
    }

    fn validate(&self) -> anyhow::Result<()> {
        let b = &self.backend;
        if b.kind == BackendKind::OpenSearch {
            if b.urls.is_empty() {
                bail!("`backend.urls` must name at least one OpenSearch node");
            }
            for u in &b.urls {
                if !u.starts_with("http://") && !u.starts_with("https://") {
                    bail!("`backend.urls`: {u}: expected an http:// or https:// URL");
                }
            }
            if let Some(path) = &b.ca_file {
                // Read now, so that a wrong path or file stops the start with its name.
                crate::opensearch::client::read_ca_file(path)
                    .map_err(|e| anyhow::anyhow!("`backend.ca_file`: {e}"))?;
                if !b.urls.iter().any(|u| u.starts_with("https://")) {
                    tracing::warn!(
                        ca_file = %path.display(),
                        "`backend.ca_file` is set but no `backend.urls` is https://: it is not used"
                    );
                }
            }
            if b.index.is_empty()
                || b.index.starts_with(['_', '-', '+'])
                || b.index != b.index.to_lowercase()
                || b.index
                    .contains(['/', '\\', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':'])
            {
                bail!(
                    "`backend.index`: `{}` is not a valid OpenSearch index name (lower case, no \
                     spaces or /\\*?\"<>|,#:, not starting with _ - +)",
                    b.index
                );
            }
            if b.shards == 0 {
                bail!("`backend.shards` must be at least 1");
            }
            if b.api_key.is_some() && b.username.is_some() {
                bail!("`backend.api_key` and `backend.username` exclude each other: set one");
            }
            if b.connect_timeout_secs == 0 || b.request_timeout_secs == 0 {
                bail!("`backend.connect_timeout_secs` and `backend.request_timeout_secs` must be at least 1");
            }
        }
        if self.writer.threads == 0 || self.writer.threads > 64 {
            bail!(
                "`writer.threads` must be between 1 and 64, got {}",
                self.writer.threads
            );
        }
        // tantivy needs at least 15 MB of indexing memory per thread.
        if self.writer.heap_mb < 15 * self.writer.threads {
            bail!(
                "`writer.heap_mb` must be at least 15 per writer thread ({}), got {}",
                15 * self.writer.threads,
                self.writer.heap_mb
            );
        }
        if self.writer.max_batch_docs == 0 {
            bail!("`writer.max_batch_docs` must be at least 1");
        }
        let r = &self.related;
        if !(r.half_life_days >= 0.0 && r.half_life_days.is_finite()) {
            bail!(
                "`related.half_life_days` must be 0 (off) or more days, got {}",
                r.half_life_days
            );
        }
        if !(0.0..=1.0).contains(&r.time_floor) {
            bail!(
                "`related.time_floor` must be between 0 and 1, got {}",
                r.time_floor
            );
        }
        if r.max_terms == 0 || r.max_terms > 100 {
            bail!(
                "`related.max_terms` must be between 1 and 100, got {}",
                r.max_terms
            );
        }
        if r.candidates > 10_000 {
            bail!(
                "`related.candidates` must be at most 10000, got {}",
                r.candidates
            );
        }
        let l = &self.limits;
        for (name, v) in [
            ("limits.max_body_bytes", l.max_body_bytes),
            ("limits.max_batch_bytes", l.max_batch_bytes),
            ("limits.max_line_bytes", l.max_line_bytes),
            ("limits.max_batch_items", l.max_batch_items),
            ("limits.max_facets", l.max_facets),
            ("limits.max_query_chars", l.max_query_chars),
            ("limits.max_query_words", l.max_query_words),
            ("limits.max_limit", l.max_limit),
            ("limits.max_facet_limit", l.max_facet_limit),
            ("limits.max_concurrent_searches", l.max_concurrent_searches),
            ("limits.max_concurrent_work", l.max_concurrent_work),
            ("limits.max_concurrent_uploads", l.max_concurrent_uploads),
            ("limits.max_connections", l.max_connections),
        ] {
            if v == 0 {
                bail!("`{name}` must be at least 1");
            }
        }
        if l.request_timeout_secs == 0 {
            bail!("`limits.request_timeout_secs` must be at least 1");
        }
        if l.header_read_timeout_secs == 0 {
            bail!("`limits.header_read_timeout_secs` must be at least 1");
        }
        for (name, b) in [
            ("search.title_boost", self.search.title_boost),
            ("search.summary_boost", self.search.summary_boost),
            ("search.body_boost", self.search.body_boost),
        ] {
            if !(b.is_finite() && b > 0.0) {
                bail!("`{name}` must be a positive number, got {b}");
            }
        }
        let sc = &self.search;
        if !(sc.recency_half_life_days.is_finite() && sc.recency_half_life_days >= 0.0) {
            bail!("`search.recency_half_life_days` must be 0 (off) or a positive number of days");
        }
        if !(0.0..=1.0).contains(&sc.recency_weight) {
            bail!(
                "`search.recency_weight` must be between 0 and 1, got {}",
                sc.recency_weight
            );
        }
        if !(sc.popularity_weight.is_finite() && sc.popularity_weight >= 0.0) {
            bail!("`search.popularity_weight` must be 0 (off) or positive");
        }
        if sc.semantic_hits > 1000 {
            bail!(
                "`search.semantic_hits` must be at most 1000, got {}",
                sc.semantic_hits
            );
        }
        if !(-1.0..=1.0).contains(&sc.semantic_min_similarity) {
            bail!(
                "`search.semantic_min_similarity` must be a cosine between -1 and 1, got {}",
                sc.semantic_min_similarity
            );
        }
        let keys = self.auth.admin_keys.iter().chain(&self.auth.search_keys);
        for k in keys {
            if k.len() < 16 {
                bail!(
                    "keys must be at least 16 characters long (one in `auth` is {})",
                    k.len()
                );
            }
        }
        Ok(())
    }
}

impl Config {
    /// Whether any key is configured (then every request but the open ones carries one).
    pub fn has_keys(&self) -> bool {
        !(self.auth.admin_keys.is_empty() && self.auth.search_keys.is_empty())
    }

    /// Why the server must not listen on `addr`: with no keys configured it would serve
    /// everyone who can reach a non-loopback address, so that takes `insecure_no_keys`.
    pub fn listen_refusal(&self, addr: SocketAddr) -> Option<String> {
        if addr.ip().is_loopback() || self.has_keys() || self.insecure_no_keys {
            return None;
        }
        Some(format!(
            "refusing to listen on {addr}: no keys are configured, so anyone who can reach this \
             address could write and delete articles. Configure keys (`[auth] admin_keys`, or \
             NEWSINDEX_ADMIN_KEY), listen on loopback (e.g. --listen 127.0.0.1:{}), or pass \
             --insecure-no-keys (`insecure_no_keys = true`, NEWSINDEX_INSECURE_NO_KEYS=true) if \
             the network in front of it does the guarding",
            addr.port()
        ))
    }
}

fn read_file(path: &Path) -> anyhow::Result<RawConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read config file `{}`", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file `{}`", path.display()))
}

fn parse_listen(s: &str) -> anyhow::Result<SocketAddr> {
    s.parse()
        .with_context(|| format!("expected an address such as 127.0.0.1:7400, got `{s}`"))
}

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_section_and_env() {
        let raw: RawConfig = toml::from_str(
            "[backend]\nkind = \"opensearch\"\nurls = [\"http://a:9200\"]\nindex = \"news\"\nreplicas = 0\nusername = \"Aladdin\"\npassword = \"open sesame\"\n",
        )
        .unwrap();
        let mut c = Config::from_raw(raw).unwrap();
        assert_eq!(c.backend.kind, BackendKind::OpenSearch);
        assert_eq!(c.backend.replicas, 0);
        assert_eq!(
            c.backend.authorization().as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        let env = HashMap::from([(
            "NEWSINDEX_OPENSEARCH_URLS".to_string(),
            "http://x:1, http://y:2".to_string(),
        )]);
        c.apply_env(&env).unwrap();
        assert_eq!(c.backend.urls, ["http://x:1", "http://y:2"]);
        c.validate().unwrap();
        c.backend.urls = vec!["https://x:1".into(), "http://y:2".into()];
        c.validate().unwrap();
        c.backend.urls = vec!["ftp://x:1".into()];
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("ftp://x:1") && err.contains("https://"),
            "{err}"
        );
        let env = HashMap::from([("NEWSINDEX_BACKEND".to_string(), "lucene".to_string())]);
        assert!(c.apply_env(&env).is_err());
    }

    #[test]
    fn the_shipped_config_toml_is_the_defaults() {
        let text = include_str!("../config.toml");
        let raw: RawConfig = toml::from_str(text).unwrap();
        let c = Config::from_raw(raw).unwrap();
        let d = Config::default();
        assert_eq!(c.listen, d.listen);
        assert_eq!(c.index_dir, d.index_dir);
        assert_eq!(c.allowed_hosts, d.allowed_hosts);
        assert_eq!(c.insecure_no_keys, d.insecure_no_keys);
        assert_eq!(format!("{:?}", c.limits), format!("{:?}", d.limits));
        assert_eq!(format!("{:?}", c.writer), format!("{:?}", d.writer));
        assert_eq!(format!("{:?}", c.search), format!("{:?}", d.search));
        assert_eq!(c.related, d.related);
        assert_eq!(c.default_language, d.default_language);
        assert_eq!(c.backend, d.backend);
        // The commented-out `[backend]` example parses once uncommented.
        let example: String = text[text.find("#[backend]").unwrap()..]
            .lines()
            .filter(|l| l.starts_with("#[") || (l.starts_with("#") && !l.starts_with("# ")))
            .map(|l| l.trim_start_matches('#').to_string() + "\n")
            .collect();
        let raw: RawConfig = toml::from_str(&example).unwrap();
        let c = Config::from_raw(raw).unwrap();
        assert_eq!(c.backend.kind, BackendKind::OpenSearch);
        assert_eq!(c.backend.urls.len(), 3);
    }

    #[test]
    fn the_default_language_is_read_and_checked() {
        let raw: RawConfig = toml::from_str("[analysis]\ndefault_language = \"pt-BR\"\n").unwrap();
        assert_eq!(Config::from_raw(raw).unwrap().default_language.code(), "pt");
        let raw: RawConfig = toml::from_str("[analysis]\ndefault_language = \"xx\"\n").unwrap();
        let err = Config::from_raw(raw).unwrap_err();
        assert!(
            format!("{err:#}").contains("analysis.default_language"),
            "{err:#}"
        );
    }

    #[test]
    fn related_settings_are_read_and_checked() {
        let raw: RawConfig = toml::from_str(
            "[related]
half_life_days = 7
time_floor = 0.2
candidate_terms = 0
candidate_max_postings = 1000
keyword_max_postings = 0
",
        )
        .unwrap();
        let c = Config::from_raw(raw).unwrap();
        assert_eq!(c.related.half_life_days, 7.0);
        assert_eq!(c.related.time_floor, 0.2);
        assert_eq!(c.related.candidate_terms, 0);
        assert_eq!(c.related.candidate_max_postings, 1000);
        assert_eq!(c.related.keyword_max_postings, 0);
        c.validate().unwrap();
        let raw: RawConfig = toml::from_str(
            "[related]
time_floor = 2
",
        )
        .unwrap();
        let err = Config::from_raw(raw).unwrap().validate().unwrap_err();
        assert!(err.to_string().contains("related.time_floor"), "{err}");
        let err = toml::from_str::<RawConfig>(
            "[related]
half_life = 7
",
        )
        .unwrap_err();
        assert!(err.to_string().contains("half_life"), "{err}");
    }

    #[test]
    fn semantic_settings_are_read_and_checked() {
        let raw: RawConfig = toml::from_str(
            "[search]
semantic = true
semantic_hits = 20
semantic_min_similarity = 0.7
",
        )
        .unwrap();
        let c = Config::from_raw(raw).unwrap();
        assert!(c.search.semantic);
        assert_eq!(c.search.semantic_hits, 20);
        assert_eq!(c.search.semantic_min_similarity, 0.7);
        c.validate().unwrap();
        for (bad, key) in [
            (
                "semantic_min_similarity = 1.5",
                "search.semantic_min_similarity",
            ),
            ("semantic_hits = 5000", "search.semantic_hits"),
        ] {
            let raw: RawConfig = toml::from_str(&format!("[search]\n{bad}\n")).unwrap();
            let err = Config::from_raw(raw).unwrap().validate().unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn a_misspelled_key_is_named() {
        let err = toml::from_str::<RawConfig>("[limits]\nmax_limt = 5\n").unwrap_err();
        assert!(err.to_string().contains("max_limt"), "{err}");
    }

    #[test]
    fn env_beats_file_and_flags_beat_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1000\"\nindex_dir = \"a\"\n").unwrap();
        let env = HashMap::from([
            ("NEWSINDEX_LISTEN".to_string(), "127.0.0.1:2000".to_string()),
            ("NEWSINDEX_INDEX_DIR".to_string(), "b".to_string()),
        ]);
        let c = Config::load(Some(&path), &env, &Overrides::default()).unwrap();
        assert_eq!(c.listen.port(), 2000);
        assert_eq!(c.index_dir, PathBuf::from("b"));
        let flags = Overrides {
            listen: Some("127.0.0.1:3000".parse().unwrap()),
            ..Overrides::default()
        };
        let c = Config::load(Some(&path), &env, &flags).unwrap();
        assert_eq!(c.listen.port(), 3000);
    }

    /// A throwaway CA certificate, as PEM.
    fn ca_pem() -> String {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    fn load_backend(toml: &str, env: &[(&str, &str)]) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, toml).unwrap();
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(Some(&path), &env, &Overrides::default())
    }

    fn opensearch_toml(url: &str, ca_file: &Path) -> String {
        format!(
            "[backend]\nkind = \"opensearch\"\nurls = [\"{url}\"]\nca_file = {:?}\n",
            ca_file.display().to_string()
        )
    }

    #[test]
    fn the_ca_file_is_read_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        // A bundle of two CAs.
        std::fs::write(&ca, ca_pem() + &ca_pem()).unwrap();
        let c = load_backend(&opensearch_toml("https://os:9200", &ca), &[]).unwrap();
        assert_eq!(c.backend.ca_file.as_deref(), Some(ca.as_path()));
        assert_eq!(
            crate::opensearch::client::read_ca_file(&ca).unwrap().len(),
            2
        );
        // Only with http URLs it is a warning, not an error.
        load_backend(&opensearch_toml("http://os:9200", &ca), &[]).unwrap();
        // The environment sets it, and an empty value unsets it.
        let toml = "[backend]\nkind = \"opensearch\"\nurls = [\"https://os:9200\"]\n";
        let ca_str = ca.display().to_string();
        let c = load_backend(toml, &[("NEWSINDEX_OPENSEARCH_CA_FILE", &ca_str)]).unwrap();
        assert_eq!(c.backend.ca_file.as_deref(), Some(ca.as_path()));
        let c = load_backend(
            &opensearch_toml("https://os:9200", &ca),
            &[("NEWSINDEX_OPENSEARCH_CA_FILE", "")],
        )
        .unwrap();
        assert_eq!(c.backend.ca_file, None);
        // Not read for the tantivy backend, which has no cluster to reach.
        let missing = dir.path().join("missing.pem");
        load_backend(
            &format!("[backend]\nca_file = {:?}\n", missing.display().to_string()),
            &[],
        )
        .unwrap();
    }

    #[test]
    fn a_bad_ca_file_is_an_error_naming_the_key_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let check = |path: &Path, why: &str| {
            let err = load_backend(&opensearch_toml("https://os:9200", path), &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains("`backend.ca_file`"), "{err}");
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(err.contains(why), "{err}");
        };
        check(&dir.path().join("missing.pem"), "cannot read");
        let not_pem = dir.path().join("ca.der");
        std::fs::write(&not_pem, b"\x30\x82\x01\x0a not a PEM file").unwrap();
        check(&not_pem, "holds no PEM certificate");
        // A key alone is no root either.
        let key = dir.path().join("key.pem");
        std::fs::write(&key, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
        check(&key, "holds no PEM certificate");
        // PEM armour around bytes that are no certificate.
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        check(&garbage, "certificate 1 of 1 cannot be a root");
    }

    #[test]
    fn short_keys_are_refused() {
        let env = HashMap::from([("NEWSINDEX_ADMIN_KEY".to_string(), "short".to_string())]);
        let err = Config::load(None, &env, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("16 characters"), "{err}");
    }
}
