//! A small blocking HTTP client for OpenSearch over several nodes, and the backend's calls on
//! one index: create it (or check an existing one's mapping version), write with
//! `refresh=wait_for` (a `200` means visible to searches), read, delete, search.
//!
//! Blocking on purpose (`ureq`): the search and write paths already run off the async runtime
//! (on `spawn_blocking` threads, in the CLI), and a blocking client needs no runtime of its own.
//! Nodes are tried in turn: a request that cannot reach a node (refused, reset, timed out, its
//! TLS certificate refused) or that a node answers 502/503/504 goes to the next one, starting
//! from the last that answered.
//!
//! `https://` node URLs are verified against Mozilla's roots, or against the CA certificates
//! of `backend.ca_file` alone when it is set (see [`read_ca_file`]).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{json, Value};

use super::mapping::{self, MAPPING_VERSION};
use super::translate::{apply_copies, copies_body, search_body, search_response};
use crate::article::Article;
use crate::query::{SearchPlan, SearchResponse};
use crate::Error;

/// Largest answer read (a page of 100 long articles with snippets is far below).
const MAX_ANSWER_BYTES: u64 = 256 << 20;

/// Longest `_id` OpenSearch takes, in bytes (ours may be 256 characters of up to 4 bytes).
pub const MAX_ID_BYTES: usize = 512;

/// HTTP methods the client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Head,
}

/// A blocking client over the HTTP addresses of a cluster's nodes.
#[derive(Debug)]
pub struct Client {
    urls: Vec<String>,
    agent: ureq::Agent,
    /// The `Authorization` header sent with every request (basic auth or an API key).
    authorization: Option<String>,
    /// The node tried first: the last one that answered.
    preferred: AtomicUsize,
    /// The whole of one request to a node.
    request_timeout: Duration,
    /// The timeout to connect (kept to rebuild `agent` with other roots).
    connect_timeout: Duration,
}

/// Whether another node may answer what this one could not.
fn try_next(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::BodyStalled
    )
}

pub(crate) fn unavailable(what: String) -> Error {
    Error::Internal(format!("opensearch: {what}"))
}

/// What went wrong with a node, in words an operator can act on. ureq reports a failed TLS
/// handshake as an I/O error ("io: invalid peer certificate: UnknownIssuer"), like a reset
/// connection: this names it as TLS and says what to change.
fn describe(e: &ureq::Error) -> String {
    let tls = match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    let Some(tls) = tls else {
        return e.to_string();
    };
    use rustls::CertificateError as C;
    let hint = match tls {
        rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
            "; the certificate is not signed by a trusted CA: set `backend.ca_file` to the PEM \
             file of the CA that signed it"
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => {
            "; the certificate does not name this host: use a node URL with a name (or IP \
             address) that the certificate holds"
        }
        rustls::Error::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => "; the certificate is outside its validity period (or this machine's clock is wrong)",
        // What a plain-http node answers to a TLS hello.
        rustls::Error::InvalidMessage(_) => {
            "; does this node serve plain http? then use an http:// URL"
        }
        _ => "",
    };
    format!("TLS handshake failed: {tls}{hint}")
}

/// The root certificates in `backend.ca_file`: every certificate of a PEM file (a CA, or a
/// bundle of them), each checked as rustls will take it as a root, so that a file that is not
/// what it should be fails at start rather than at the first connection (ureq would ignore a
/// certificate it cannot use). The error names the path and what is wrong.
pub fn read_ca_file(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            // A private key has no place in a file of roots, but does no harm either.
            Ok(_) => {}
            Err(e) => return Err(format!("`{}` is not valid PEM: {e}", path.display())),
        }
    }
    if certs.is_empty() {
        return Err(format!(
            "`{}` holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    let mut store = rustls::RootCertStore::empty();
    for (i, c) in certs.iter().enumerate() {
        store
            .add(rustls::pki_types::CertificateDer::from(c.der()))
            .map_err(|e| {
                format!(
                    "`{}`: certificate {} of {} cannot be a root: {e}",
                    path.display(),
                    i + 1,
                    certs.len()
                )
            })?;
    }
    Ok(certs)
}

/// An agent with the client's timeouts, verifying TLS against `roots` (Mozilla's when `None`).
fn agent(
    connect_timeout: Duration,
    request_timeout: Duration,
    roots: Option<&[ureq::tls::Certificate<'static>]>,
) -> ureq::Agent {
    let tls = match roots {
        Some(certs) => ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(certs))
            .build(),
        None => ureq::tls::TlsConfig::default(),
    };
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(connect_timeout))
        .timeout_global(Some(request_timeout))
        .tls_config(tls)
        .build();
    ureq::Agent::new_with_config(config)
}

impl Client {
    /// A client for these node URLs (`http://127.0.0.1:9400`), with a timeout to connect and
    /// one for a whole request.
    pub fn new(urls: &[String], connect_timeout: Duration, request_timeout: Duration) -> Client {
        Client {
            urls: urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            agent: agent(connect_timeout, request_timeout, None),
            authorization: None,
            preferred: AtomicUsize::new(0),
            request_timeout,
            connect_timeout,
        }
    }

    /// Verifies the certificates of `https://` nodes against these roots only (those of
    /// `backend.ca_file`, see [`read_ca_file`]), instead of Mozilla's: a cluster with its own
    /// CA is not also open to a certificate that any public CA would sign for its name.
    pub fn with_ca_certs(mut self, roots: &[ureq::tls::Certificate<'static>]) -> Client {
        self.agent = agent(self.connect_timeout, self.request_timeout, Some(roots));
        self
    }

    /// Sends this `Authorization` header value with every request (`Basic …`, `ApiKey …`).
    pub fn with_authorization(mut self, value: Option<String>) -> Client {
        self.authorization = value;
        self
    }

    /// The node URLs.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// How long OpenSearch may wait inside a request (for active shard copies, a refresh)
    /// before it answers: three quarters of the request timeout, so that the cluster's own
    /// answer (a per-item 503 naming the shard) arrives before this client gives up on the
    /// node and sends the same request to the next one, which would wait all over again.
    pub fn server_timeout(&self) -> Duration {
        (self.request_timeout * 3 / 4).max(Duration::from_secs(1))
    }

    /// Sends a request (`path` with its query string) to the first node that answers; the
    /// status and the body (JSON, or `Value::Null` when empty or not JSON).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, String)>,
    ) -> crate::Result<(u16, Value)> {
        if self.urls.is_empty() {
            return Err(unavailable("no node URL configured".into()));
        }
        let first = self.preferred.load(Ordering::Relaxed) % self.urls.len();
        let mut failures = Vec::new();
        for k in 0..self.urls.len() {
            let i = (first + k) % self.urls.len();
            let url = format!("{}{path}", self.urls[i]);
            match self.send(method, &url, body.as_ref()) {
                Ok((status, _)) if matches!(status, 502..=504) => {
                    failures.push(format!("{}: status {status}", self.urls[i]));
                }
                Ok(answer) => {
                    self.preferred.store(i, Ordering::Relaxed);
                    return Ok(answer);
                }
                // A refused certificate too: another node may hold a good one, and when none
                // answers, the cluster is unavailable with each node's reason.
                Err(e) if try_next(&e) => {
                    failures.push(format!("{}: {}", self.urls[i], describe(&e)))
                }
                Err(e) => return Err(unavailable(format!("{method:?} {path}: {}", describe(&e)))),
            }
        }
        // Every node is down or refused: the cluster is unavailable, which a client may retry
        // (503), not a fault of this server (500).
        Err(Error::Unavailable(format!(
            "no OpenSearch node answered {method:?} {path}: {}",
            failures.join("; ")
        )))
    }

    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&(&str, String)>,
    ) -> Result<(u16, Value), ureq::Error> {
        let auth = self.authorization.as_deref();
        macro_rules! authed {
            ($builder:expr) => {{
                let b = $builder;
                match auth {
                    Some(v) => b.header("Authorization", v),
                    None => b,
                }
            }};
        }
        let response = match (method, body) {
            (Method::Get, _) => authed!(self.agent.get(url)).call(),
            (Method::Head, _) => authed!(self.agent.head(url)).call(),
            (Method::Delete, Some((ct, b))) => authed!(self.agent.delete(url))
                .force_send_body()
                .content_type(*ct)
                .send(b.as_str()),
            (Method::Delete, None) => authed!(self.agent.delete(url)).call(),
            (Method::Put, Some((ct, b))) => authed!(self.agent.put(url))
                .content_type(*ct)
                .send(b.as_str()),
            (Method::Put, None) => authed!(self.agent.put(url)).send_empty(),
            (Method::Post, Some((ct, b))) => authed!(self.agent.post(url))
                .content_type(*ct)
                .send(b.as_str()),
            (Method::Post, None) => authed!(self.agent.post(url)).send_empty(),
        }?;
        let status = response.status().as_u16();
        let text = response
            .into_body()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, json))
    }

    /// A JSON request.
    pub fn json(&self, method: Method, path: &str, body: &Value) -> crate::Result<(u16, Value)> {
        self.request(method, path, Some(("application/json", body.to_string())))
    }
}

/// A path segment, percent-encoded (ids may hold any character).
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// OpenSearch's reason for a failed request.
pub(crate) fn reason(status: u16, body: &Value) -> String {
    let r = &body["error"]["reason"];
    match r.as_str() {
        Some(r) => format!("status {status}: {r}"),
        None => format!("status {status}: {body}"),
    }
}

/// What `create_index` found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexState {
    /// The index was created with our mapping.
    Created,
    /// It existed with the same mapping version.
    Existing,
}

/// The outcome of a bulk write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkOutcome {
    /// Articles written (created or replaced).
    pub indexed: usize,
    /// Failed articles: (position in the batch, id, error).
    pub errors: Vec<(usize, String, String)>,
}

/// The backend's calls on one index of a cluster.
#[derive(Debug)]
pub struct OpenSearchBackend {
    client: Client,
    index: String,
    /// `wait_for_active_shards` of every write: how many copies of a shard must be active
    /// before a write proceeds (see [`wait_for_active_shards`]).
    active_shards: u32,
    /// Writes were sent without a refresh since the last one (see `Backend::apply`).
    pub(crate) unrefreshed: std::sync::atomic::AtomicBool,
    /// The last answer of `writable`, and when it was read.
    pub(crate) health: std::sync::Mutex<Option<(std::time::Instant, bool)>>,
    /// The text families the index holds, and when the cluster was last asked (see
    /// [`OpenSearchBackend::present_families`]).
    families: std::sync::Mutex<Option<(std::time::Instant, Vec<String>)>>,
}

/// How long the families an index holds are remembered: a family that another server's
/// writes bring is searched after at most this long (this server's writes add theirs at once).
const FAMILIES_TTL: Duration = Duration::from_secs(10);

/// The `wait_for_active_shards` of writes to an index with `replicas` replicas: 2 copies when
/// there is a replica (the primary and one replica, so that an acknowledged write is on two
/// nodes and survives the loss of any one), 1 without. Not `all`: with 2 replicas on 3 nodes,
/// writes go on while one node is away.
pub fn wait_for_active_shards(replicas: u32) -> u32 {
    replicas.min(1) + 1
}

impl OpenSearchBackend {
    /// The index `index` (a name or an alias) through `client`, written without waiting for
    /// replicas (see [`OpenSearchBackend::with_active_shards`]).
    pub fn new(client: Client, index: impl Into<String>) -> OpenSearchBackend {
        OpenSearchBackend {
            client,
            index: index.into(),
            active_shards: 1,
            unrefreshed: std::sync::atomic::AtomicBool::new(false),
            health: std::sync::Mutex::new(None),
            families: std::sync::Mutex::new(None),
        }
    }

    /// Writes wait for `n` active copies of each shard ([`wait_for_active_shards`]).
    pub fn with_active_shards(mut self, n: u32) -> OpenSearchBackend {
        self.active_shards = n.max(1);
        self
    }

    /// The query string of a write: `refresh=wait_for` when it must be visible on return,
    /// and `wait_for_active_shards`.
    pub(crate) fn write_params(&self, refresh: bool) -> String {
        let mut p = format!(
            "wait_for_active_shards={}&timeout={}s",
            self.active_shards,
            self.client.server_timeout().as_secs()
        );
        if refresh {
            p.push_str("&refresh=wait_for");
        }
        p
    }

    /// The HTTP client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The index name.
    pub fn index(&self) -> &str {
        &self.index
    }

    /// Creates the index with our settings and mapping, or checks that the existing one has
    /// our mapping version (another version is an error: the index must be rebuilt).
    ///
    /// A new index is the concrete index `{name}-000001` behind the alias `{name}`, created
    /// together in one request, so that `newsindex reindex` can later build `{name}-000002`
    /// and move the alias to it while the server keeps using the name. An existing concrete
    /// index named `{name}` (made by earlier versions) is used as it is.
    pub fn create_index(&self, shards: u32, replicas: u32) -> crate::Result<IndexState> {
        if let Some(version) = self.mapping_version()? {
            return self.check_version(version);
        }
        let concrete = super::reindex::concrete_name(&self.index, 1);
        let mut body = mapping::index_body(shards, replicas);
        body["aliases"] = json!({ self.index.as_str(): {} });
        let path = format!("/{}", segment(&concrete));
        let (status, body) = self.client.json(Method::Put, &path, &body)?;
        if status == 200 {
            return Ok(IndexState::Created);
        }
        // Created meanwhile by another process: check it as an existing index.
        if body["error"]["type"] == json!("resource_already_exists_exception") {
            if let Some(version) = self.mapping_version()? {
                return self.check_version(version);
            }
        }
        Err(unavailable(format!(
            "creating index {}: {}",
            self.index,
            reason(status, &body)
        )))
    }

    fn check_version(&self, version: Value) -> crate::Result<IndexState> {
        if version == json!(MAPPING_VERSION) {
            Ok(IndexState::Existing)
        } else {
            Err(unavailable(format!(
                "index {} has mapping version {version}, this newsindex needs {MAPPING_VERSION}: \
                 run `newsindex reindex` (with this [backend]) to rebuild it, or use another \
                 index name",
                self.index
            )))
        }
    }

    /// The `_meta.mapping_version` of the existing index (`Value::Null` when it has none),
    /// `None` when there is no index.
    pub fn mapping_version(&self) -> crate::Result<Option<Value>> {
        let path = format!("/{}/_mapping", segment(&self.index));
        let (status, body) = self.client.request(Method::Get, &path, None)?;
        match status {
            404 => Ok(None),
            200 => {
                // Keyed by the concrete index (the name may be an alias).
                let mappings = body
                    .as_object()
                    .and_then(|m| m.values().next())
                    .map(|m| m["mappings"]["_meta"]["mapping_version"].clone())
                    .unwrap_or(Value::Null);
                Ok(Some(mappings))
            }
            _ => Err(unavailable(format!(
                "reading the mapping of {}: {}",
                self.index,
                reason(status, &body)
            ))),
        }
    }

    /// Deletes the whole index, the concrete indexes behind an alias too (tests, rebuilds);
    /// absent is fine.
    pub fn delete_index(&self) -> crate::Result<()> {
        let concrete = super::reindex::concrete_indexes(self)?;
        if concrete.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = concrete.iter().map(|n| segment(n)).collect();
        let path = format!("/{}", names.join(","));
        let (status, body) = self.client.request(Method::Delete, &path, None)?;
        match status {
            200 | 404 => Ok(()),
            _ => Err(unavailable(reason(status, &body))),
        }
    }

    /// Writes one article; `true` when it replaced one. Visible to searches on return.
    pub fn put(&self, article: &Article) -> crate::Result<bool> {
        let path = format!(
            "/{}/_doc/{}?{}",
            segment(&self.index),
            segment(&article.id),
            self.write_params(true)
        );
        let (status, body) = self.client.json(Method::Put, &path, &{
            self.note_family(mapping::article_family(article));
            mapping::document(article)?
        })?;
        match status {
            200 | 201 => Ok(body["result"] == json!("updated")),
            _ => Err(unavailable(format!(
                "writing {}: {}",
                article.id,
                reason(status, &body)
            ))),
        }
    }

    /// Writes articles in one `_bulk` request with `refresh=wait_for`; each failed article is
    /// returned with its position and OpenSearch's reason, the others are written.
    pub fn bulk(&self, articles: &[Article]) -> crate::Result<BulkOutcome> {
        let mut outcome = BulkOutcome::default();
        let mut ndjson = String::new();
        // Position in `articles` of each line pair sent.
        let mut sent: Vec<usize> = Vec::with_capacity(articles.len());
        for (i, a) in articles.iter().enumerate() {
            // OpenSearch refuses a whole bulk request for one id that is too long.
            if a.id.len() > MAX_ID_BYTES {
                let why = format!(
                    "id is too long for OpenSearch: {} bytes, at most {MAX_ID_BYTES}",
                    a.id.len()
                );
                outcome.errors.push((i, a.id.clone(), why));
                continue;
            }
            self.note_family(mapping::article_family(a));
            match mapping::document(a) {
                Ok(doc) => {
                    ndjson.push_str(&json!({"index": {"_id": a.id}}).to_string());
                    ndjson.push('\n');
                    ndjson.push_str(&doc.to_string());
                    ndjson.push('\n');
                    sent.push(i);
                }
                Err(e) => outcome.errors.push((i, a.id.clone(), e.to_string())),
            }
        }
        if sent.is_empty() {
            return Ok(outcome);
        }
        let path = format!(
            "/{}/_bulk?{}",
            segment(&self.index),
            self.write_params(true)
        );
        let (status, body) =
            self.client
                .request(Method::Post, &path, Some(("application/x-ndjson", ndjson)))?;
        if status != 200 {
            return Err(unavailable(format!(
                "bulk write: {}",
                reason(status, &body)
            )));
        }
        let items = body["items"].as_array().cloned().unwrap_or_default();
        if items.len() != sent.len() {
            return Err(unavailable(format!(
                "bulk write answered {} items for {} articles",
                items.len(),
                sent.len()
            )));
        }
        for (item, &i) in items.iter().zip(&sent) {
            let result = &item["index"];
            let status = result["status"].as_u64().unwrap_or(0);
            if (200..300).contains(&status) {
                outcome.indexed += 1;
            } else {
                let why = result["error"]["reason"]
                    .as_str()
                    .map_or_else(|| result["error"].to_string(), String::from);
                outcome.errors.push((i, articles[i].id.clone(), why));
            }
        }
        outcome.errors.sort_by_key(|e| e.0);
        Ok(outcome)
    }

    /// The stored article, exactly as written.
    pub fn get(&self, id: &str) -> crate::Result<Article> {
        let path = format!("/{}/_doc/{}", segment(&self.index), segment(id));
        let (status, body) = self.client.request(Method::Get, &path, None)?;
        match status {
            200 if body["found"] == json!(true) => mapping::article_of_source(&body["_source"]),
            200 | 404 => Err(Error::NotFound(id.to_string())),
            _ => Err(unavailable(format!(
                "reading {id}: {}",
                reason(status, &body)
            ))),
        }
    }

    /// Deletes an article; gone from searches on return.
    pub fn delete(&self, id: &str) -> crate::Result<()> {
        let path = format!(
            "/{}/_doc/{}?{}",
            segment(&self.index),
            segment(id),
            self.write_params(true)
        );
        let (status, body) = self.client.request(Method::Delete, &path, None)?;
        match status {
            200 => Ok(()),
            404 => Err(Error::NotFound(id.to_string())),
            _ => Err(unavailable(format!(
                "deleting {id}: {}",
                reason(status, &body)
            ))),
        }
    }

    /// Runs a search's plan.
    pub fn search(&self, plan: &SearchPlan) -> crate::Result<SearchResponse> {
        let path = format!("/{}/_search", segment(&self.index));
        let families = self.present_families();
        let request = search_body(plan, families.as_deref());
        let (status, answer) = self.client.json(Method::Post, &path, &request)?;
        if status != 200 {
            return Err(unavailable(format!("search: {}", reason(status, &answer))));
        }
        let mut response = search_response(plan, &answer)?;
        if let Some((count, keys)) = copies_body(&request, &answer) {
            let (status, counts) = self.client.json(Method::Post, &path, &count)?;
            if status != 200 {
                return Err(unavailable(format!("copies: {}", reason(status, &counts))));
            }
            apply_copies(&mut response, &keys, &counts);
        }
        Ok(response)
    }

    /// The text families (`text.<family>`) the index holds, asked of the cluster at most every
    /// [`FAMILIES_TTL`]; `None` when it could not be asked (searches then take every family).
    pub(crate) fn present_families(&self) -> Option<Vec<String>> {
        let mut cached = self.families.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, families)) = cached.as_ref() {
            if at.elapsed() < FAMILIES_TTL {
                return Some(families.clone());
            }
        }
        let filters: serde_json::Map<String, Value> = mapping::families()
            .map(|f| {
                (
                    f.to_string(),
                    json!({"exists": {"field": format!("text.{f}")}}),
                )
            })
            .collect();
        let body = json!({
            "size": 0,
            "track_total_hits": false,
            "aggs": {"families": {"filters": {"filters": filters}}},
        });
        let path = format!("/{}/_search", segment(&self.index));
        let (status, answer) = self.client.json(Method::Post, &path, &body).ok()?;
        if status != 200 {
            return None;
        }
        let buckets = answer["aggregations"]["families"]["buckets"].as_object()?;
        let mut families: Vec<String> = buckets
            .iter()
            .filter(|(_, b)| b["doc_count"].as_u64().unwrap_or(0) > 0)
            .map(|(f, _)| f.clone())
            .collect();
        // Families this server wrote since the last ask stay (the cluster may not show them
        // yet, until a refresh).
        if let Some((_, known)) = cached.as_ref() {
            for f in known {
                if !families.contains(f) {
                    families.push(f.clone());
                }
            }
        }
        *cached = Some((std::time::Instant::now(), families.clone()));
        Some(families)
    }

    /// Notes that a document of `family` is being written, so that searches include the
    /// family before the write is acknowledged.
    pub(crate) fn note_family(&self, family: &str) {
        let mut cached = self.families.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, families)) = cached.as_mut() {
            if !families.iter().any(|f| f == family) {
                families.push(family.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_encoded_as_one_segment() {
        assert_eq!(segment("a-1_b.c~"), "a-1_b.c~");
        assert_eq!(segment("a/b c?d#e"), "a%2Fb%20c%3Fd%23e");
        assert_eq!(segment("é"), "%C3%A9");
    }

    #[test]
    fn no_node_is_an_error_naming_each_node() {
        // Nothing listens on port 1.
        let client = Client::new(
            &["http://127.0.0.1:1".into(), "http://127.0.0.1:2/".into()],
            Duration::from_millis(200),
            Duration::from_secs(1),
        );
        let err = client.request(Method::Get, "/", None).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("127.0.0.1:1") && msg.contains("127.0.0.1:2"),
            "{msg}"
        );
        // A cluster that is down is a 503 a client may retry, not a fault of this server.
        assert_eq!(err.code(), crate::error::ErrorCode::Unavailable);
    }
}
