//! Load test of the real HTTP server, in-process, over 127.0.0.1 (not criterion: a plain main
//! that prints a markdown table).
//!
//! Scenarios (all by default; choose with arguments or `NEWSINDEX_BENCH_SCENARIOS=a,b`):
//! - `ingest`: `POST /articles` (NDJSON) of the corpus in batches of 5,000 lines, one at a time
//!   (skipped when the index already holds articles, e.g. a reused `NEWSINDEX_BENCH_INDEX`).
//! - `search`: every search scenario of `common::search_scenarios` with 1 and 8 clients; a single
//!   search scenario can be chosen by its name (`phrase`, `browse_3facets`, ...).
//! - `put`: 8 clients each doing `PUT /articles/{id}` of corpus articles (a `200` is durable).
//!
//! Environment: `NEWSINDEX_BENCH_CORPUS` (NDJSON or .gz), `NEWSINDEX_BENCH_INDEX` (index
//! directory kept across runs; default a TempDir), `NEWSINDEX_BENCH_SECS` (seconds per
//! measurement, default 5), `NEWSINDEX_BENCH_MAX_REQUESTS` (per measurement, default 1,000,000),
//! `NEWSINDEX_BENCH_CLIENTS` (search clients, default `1,8`), `NEWSINDEX_BENCH_PUT_CLIENTS`
//! (default 8), `NEWSINDEX_BENCH_MAX_ARTICLES`.
//!
//! Fan-out A/B (issue #20): `NEWSINDEX_BENCH_FAN_OUT=idle,always,never` measures each search
//! and related row once per policy, alternating (`query::exec::FanOut`); default: the server's
//! own policy (`idle`) alone.
//!
//! On OpenSearch (issue #18's figures): `NEWSINDEX_BENCH_BACKEND=opensearch` with
//! `NEWSINDEX_OPENSEARCH_URLS` (comma-separated, e.g. a cluster of `scripts/opensearch start
//! --nodes 3`), `NEWSINDEX_BENCH_SHARDS` and `NEWSINDEX_BENCH_REPLICAS` (default 1 and 0). The
//! server then serves a fresh index `bench-<pid>`, loaded over HTTP (`ingest` always runs) and
//! deleted at the end.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use newsindex::backend::Backend;
use newsindex::config::Config;
use newsindex::http::LocalServer;
use newsindex::index::NewsIndex;
use newsindex::opensearch::OpenSearchBackend;
use newsindex::query::exec::{self, FanOut};
use reqwest::{Client, RequestBuilder};

/// Lines per `POST /articles`.
const INGEST_BATCH: usize = 5_000;
/// Concurrent writers in the `put` scenario (`NEWSINDEX_BENCH_PUT_CLIENTS` overrides).
const PUT_CLIENTS: usize = 8;
/// Corpus articles the `put` scenario cycles through.
const PUT_ARTICLES: usize = 20_000;

struct Settings {
    scenarios: Vec<String>,
    fan_outs: Vec<FanOut>,
    secs: f64,
    max_requests: u64,
    clients: Vec<usize>,
    put_clients: usize,
}

impl Settings {
    fn from_env() -> Settings {
        let mut scenarios: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        if scenarios.is_empty() {
            if let Ok(v) = std::env::var("NEWSINDEX_BENCH_SCENARIOS") {
                scenarios = v
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
            }
        }
        let env_num = |name: &str, default: f64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| *v > 0.0)
                .unwrap_or(default)
        };
        let clients = std::env::var("NEWSINDEX_BENCH_CLIENTS")
            .ok()
            .map(|v| {
                v.split(',')
                    .filter_map(|c| c.trim().parse::<usize>().ok())
                    .filter(|&c| c > 0 && c <= 256)
                    .collect()
            })
            .filter(|v: &Vec<usize>| !v.is_empty())
            .unwrap_or_else(|| vec![1, 8]);
        let fan_outs = std::env::var("NEWSINDEX_BENCH_FAN_OUT")
            .ok()
            .map(|v| {
                v.split(',')
                    .map(|p| match p.trim() {
                        "idle" => FanOut::WhenIdle,
                        "always" => FanOut::Always,
                        "never" => FanOut::Never,
                        other => panic!(
                            "NEWSINDEX_BENCH_FAN_OUT: `{other}` is not idle, always or never"
                        ),
                    })
                    .collect()
            })
            .unwrap_or_else(|| vec![FanOut::WhenIdle]);
        Settings {
            scenarios,
            fan_outs,
            secs: env_num("NEWSINDEX_BENCH_SECS", 5.0),
            max_requests: env_num("NEWSINDEX_BENCH_MAX_REQUESTS", 1_000_000.0) as u64,
            clients,
            put_clients: env_num("NEWSINDEX_BENCH_PUT_CLIENTS", PUT_CLIENTS as f64) as usize,
        }
    }

    /// A row's scenario name, with its fan-out policy when several are compared.
    fn label(&self, name: &str, policy: FanOut) -> String {
        if self.fan_outs.len() > 1 {
            format!("{name} [fan-out {policy:?}]")
        } else {
            name.to_string()
        }
    }

    fn wants(&self, name: &str) -> bool {
        self.scenarios.is_empty() || self.scenarios.iter().any(|s| s == name)
    }

    fn wants_search(&self, name: &str) -> bool {
        self.wants("search") || self.scenarios.iter().any(|s| s == name)
    }
}

/// One row of the result table.
struct Row {
    scenario: String,
    clients: usize,
    requests: u64,
    errors: u64,
    rate: String,
    p50: f64,
    p99: f64,
    max: f64,
    note: String,
}

/// What a measured loop saw.
#[derive(Default)]
struct Measured {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
    bodies_matching: u64,
    elapsed: Duration,
}

impl Measured {
    fn percentile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i =
            ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[i].as_secs_f64() * 1e3
    }
}

type Job = Arc<dyn Fn(&Client, usize, u64) -> RequestBuilder + Send + Sync>;

fn client() -> Client {
    Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(4)
        .pool_idle_timeout(Duration::from_secs(90))
        .timeout(Duration::from_secs(120))
        .build()
        .expect("http client")
}

/// Runs `clients` concurrent loops of `job`, each with its own keep-alive connection, until
/// `secs` have passed or `max` requests were sent. A request counts as an error unless it answers
/// 2xx; `expect` (if any) is counted in the answers' bodies.
async fn run_clients(
    clients: usize,
    secs: f64,
    max: u64,
    job: Job,
    expect: Option<&'static str>,
) -> Measured {
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for worker in 0..clients {
        let (sent, job) = (sent.clone(), job.clone());
        tasks.push(tokio::spawn(async move {
            let client = client();
            let mut m = Measured::default();
            loop {
                let seq = sent.fetch_add(1, Ordering::Relaxed);
                if seq >= max || Instant::now() >= deadline {
                    break;
                }
                let request = job(&client, worker, seq);
                let t = Instant::now();
                let answer = match request.send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.bytes().await {
                            Ok(body) if status.is_success() => Ok(body),
                            Ok(body) => Err(format!(
                                "{status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(300)])
                            )),
                            Err(e) => Err(format!("{status}: body: {e}")),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                m.latencies.push(t.elapsed());
                match answer {
                    Ok(body) => {
                        if expect.is_some_and(|e| contains(&body, e.as_bytes())) {
                            m.bodies_matching += 1;
                        }
                    }
                    Err(e) => {
                        m.errors += 1;
                        m.first_error.get_or_insert(e);
                    }
                }
            }
            m
        }));
    }
    let mut all = Measured::default();
    for t in tasks {
        let m = t.await.expect("client task");
        all.latencies.extend(m.latencies);
        all.errors += m.errors;
        all.bodies_matching += m.bodies_matching;
        if all.first_error.is_none() {
            all.first_error = m.first_error;
        }
    }
    all.elapsed = started.elapsed();
    all.latencies.sort_unstable();
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn row(scenario: &str, clients: usize, m: &Measured, unit: &str, note: String) -> Row {
    let n = m.latencies.len() as u64;
    let ok = n - m.errors;
    Row {
        scenario: scenario.to_string(),
        clients,
        requests: n,
        errors: m.errors,
        rate: format!(
            "{:.1} {unit}",
            ok as f64 / m.elapsed.as_secs_f64().max(1e-9)
        ),
        p50: m.percentile_ms(0.50),
        p99: m.percentile_ms(0.99),
        max: m
            .latencies
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
        note: match &m.first_error {
            Some(e) if note.is_empty() => format!("first error: {e}"),
            Some(e) => format!("{note}; first error: {e}"),
            None => note,
        },
    }
}

fn main() {
    let settings = Settings::from_env();
    let mut rows: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    // The index: a kept directory, or a TempDir.
    let tempdir;
    let dir: PathBuf = match std::env::var_os("NEWSINDEX_BENCH_INDEX") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => {
            tempdir = tempfile::tempdir().expect("tempdir");
            tempdir.path().to_path_buf()
        }
    };
    let opensearch = std::env::var("NEWSINDEX_BENCH_BACKEND").is_ok_and(|v| v == "opensearch");
    let has_index = dir.join("meta.json").exists();
    let mut offline_bulk = false;
    if !opensearch && !has_index && !settings.wants("ingest") {
        // Search and PUT need data: load it offline (not through HTTP).
        eprintln!(
            "loading {} into {} offline ...",
            common::corpus_path().display(),
            dir.display()
        );
        let (added, failed, took) = common::bulk_load_file(&dir);
        let rate = added as f64 / took.as_secs_f64();
        notes.push(format!("setup: offline bulk load of {added} articles ({failed} failed) in {:.1} s = {rate:.0} articles/s", took.as_secs_f64()));
        offline_bulk = true;
    }

    let config = Config::default();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("server")
        .enable_all()
        .build()
        .expect("server runtime");
    let (index, backend, os_index): (Option<Arc<NewsIndex>>, Arc<dyn Backend>, _) = if opensearch {
        let (backend, name) = open_opensearch();
        (None, backend, Some(name))
    } else {
        let index = Arc::new(NewsIndex::open(&dir, &config.writer).expect("open index"));
        let backend = Arc::new(newsindex::backend::TantivyBackend::new(index.clone()));
        (Some(index), backend, None)
    };
    let start_articles = backend.num_articles();
    // Its tasks run on the server runtime: started from within it.
    let server = server_rt
        .block_on(LocalServer::start(backend.clone(), Arc::new(config)))
        .expect("start the server");
    let base = server.base_url();
    eprintln!(
        "server on {base} ({}), index {} with {start_articles} articles",
        backend.name(),
        os_index
            .as_ref()
            .map_or_else(|| dir.display().to_string(), |(n, _)| n.clone()),
    );

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");

    // 1. HTTP NDJSON ingest.
    if settings.wants("ingest") || (opensearch && start_articles == 0) {
        if start_articles > 0 {
            notes.push(format!(
                "ingest skipped: the index already holds {start_articles} articles"
            ));
        } else {
            rows.push(client_rt.block_on(async { ingest(&base).await }));
            // VmHWM right after ingest (the server's, plus this process' clients).
            let (hwm, rss) = common::rss_mib();
            notes.push(format!(
                "after HTTP ingest: VmHWM {hwm:.0} MiB, VmRSS {rss:.0} MiB"
            ));
        }
    }
    let articles = backend.num_articles();
    let (hwm, rss) = common::rss_mib();
    notes.push(format!(
        "before search/PUT ({articles} articles indexed): VmHWM {hwm:.0} MiB, VmRSS {rss:.0} MiB{}",
        if offline_bulk {
            " (includes the offline bulk load done in this process)"
        } else {
            ""
        }
    ));

    // 2. Search scenarios.
    let (from, to) = client_rt.block_on(date_range(&base));
    for (name, pairs) in common::search_scenarios(&from, &to) {
        if !settings.wants_search(name) {
            continue;
        }
        let pairs: Arc<Vec<(&'static str, String)>> = Arc::new(pairs);
        // A warm-up request that also shows what the scenario matches.
        let total = client_rt.block_on(async {
            let resp = client()
                .get(format!("{base}/search"))
                .query(&*pairs)
                .send()
                .await
                .expect("search");
            let status = resp.status();
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            assert!(
                status.is_success(),
                "search {name} answered {status}: {body}"
            );
            body["total"].as_u64().unwrap_or(0)
        });
        for &clients in &settings.clients {
            for &policy in &settings.fan_outs {
                exec::set_policy(policy);
                let (url, pairs) = (format!("{base}/search"), pairs.clone());
                let job: Job = Arc::new(move |c: &Client, _, _| c.get(&url).query(&*pairs));
                let m = client_rt.block_on(run_clients(
                    clients,
                    settings.secs,
                    settings.max_requests,
                    job,
                    None,
                ));
                let label = settings.label(name, policy);
                rows.push(row(&label, clients, &m, "QPS", format!("total {total}")));
            }
        }
        exec::set_policy(FanOut::WhenIdle);
    }

    // 3. The per-page-view paths: related articles of rotating articles, and suggestions for
    // rotating prefixes (with and without typos).
    if settings.wants("related") {
        let ids: Vec<String> = client_rt.block_on(async {
            let body: serde_json::Value = client()
                .get(format!("{base}/search"))
                .query(&[("q", "oil"), ("limit", "100")])
                .send()
                .await
                .expect("search")
                .json()
                .await
                .unwrap_or_default();
            body["hits"]
                .as_array()
                .map(|h| {
                    h.iter()
                        .filter_map(|h| h["id"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        });
        assert!(!ids.is_empty(), "no article to relate");
        // One untimed pass over the sources: the figures are a warm server's (postings in the
        // page cache, document frequencies cached), as on a site's article pages; the first
        // request of a cold process can take hundreds of ms reading the index from disk.
        client_rt.block_on(async {
            for id in &ids {
                let resp = client()
                    .get(format!("{base}/articles/{id}/related"))
                    .send()
                    .await
                    .expect("related");
                assert!(
                    resp.status().is_success(),
                    "related {id}: {}",
                    resp.status()
                );
            }
        });
        let ids = Arc::new(ids);
        for &clients in &settings.clients {
            for &policy in &settings.fan_outs {
                exec::set_policy(policy);
                let (base, source_ids) = (base.clone(), ids.clone());
                let job: Job = Arc::new(move |c: &Client, _, seq| {
                    let ids = &source_ids;
                    c.get(format!(
                        "{base}/articles/{}/related",
                        ids[seq as usize % ids.len()]
                    ))
                    .query(&[("limit", "10")])
                });
                let m = client_rt.block_on(run_clients(
                    clients,
                    settings.secs,
                    settings.max_requests,
                    job,
                    None,
                ));
                rows.push(row(
                    &settings.label("related", policy),
                    clients,
                    &m,
                    "QPS",
                    format!("{} source articles", ids.len()),
                ));
            }
        }
        exec::set_policy(FanOut::WhenIdle);
    }
    if settings.wants("suggest") {
        const PREFIXES: [&str; 10] = [
            "oil",
            "pri",
            "volc",
            "treasry",
            "w",
            "opec mi",
            "japa",
            "goverment bud",
            "whea",
            "ban",
        ];
        for &clients in &settings.clients {
            let url = format!("{base}/suggest");
            let job: Job = Arc::new(move |c: &Client, _, seq| {
                c.get(&url).query(&[
                    ("q", PREFIXES[seq as usize % PREFIXES.len()]),
                    ("limit", "8"),
                ])
            });
            let m = client_rt.block_on(run_clients(
                clients,
                settings.secs,
                settings.max_requests,
                job,
                None,
            ));
            rows.push(row(
                "suggest",
                clients,
                &m,
                "QPS",
                "10 rotating prefixes".into(),
            ));
        }
    }

    // 4. Concurrent single-article PUTs.
    if settings.wants("put") {
        let bodies = Arc::new(put_bodies());
        let url = format!("{base}/articles");
        let job: Job = Arc::new(move |c: &Client, _, seq| {
            // Each request takes the next article; an article comes back after a full cycle.
            let (id, body) = &bodies[seq as usize % bodies.len()];
            c.put(format!("{url}/{id}"))
                .header("content-type", "application/json")
                .body(body.clone())
        });
        let m = client_rt.block_on(run_clients(
            settings.put_clients,
            settings.secs,
            settings.max_requests,
            job,
            Some("\"updated\""),
        ));
        let note = format!(
            "{} updated, {} created",
            m.bodies_matching,
            m.latencies.len() as u64 - m.errors - m.bodies_matching
        );
        rows.push(row(
            "PUT /articles/{id}",
            settings.put_clients,
            &m,
            "PUT/s",
            note,
        ));
    }

    let final_articles = backend.num_articles();
    let segments = backend.stats().segments;
    let commits = match &index {
        Some(index) => {
            let commits = index.writer_stats().commits.load(Ordering::Relaxed);
            let commit_ms = index
                .writer_stats()
                .commit_micros_total
                .load(Ordering::Relaxed) as f64
                / 1e3;
            format!("{commits} commits by the server, {commit_ms:.0} ms in commits")
        }
        None => "OpenSearch commits on its own".to_string(),
    };
    drop(index);
    drop(backend);
    server_rt.block_on(server.stop()).expect("server");
    let (hwm, _) = common::rss_mib();
    notes.push(format!("end: VmHWM {hwm:.0} MiB (this process: server and clients); {final_articles} articles in {segments} segments; {commits}"));
    let place = match &os_index {
        Some((name, client)) => {
            let _ = client.delete_index();
            format!(
                "OpenSearch index {name} at {}",
                client.client().urls().join(",")
            )
        }
        None => dir.display().to_string(),
    };
    print_table(&settings, &place, &rows, &notes);
}

/// The OpenSearch backend of the bench: a fresh index on the cluster of
/// `NEWSINDEX_OPENSEARCH_URLS`, with `NEWSINDEX_BENCH_SHARDS` and `NEWSINDEX_BENCH_REPLICAS`.
fn open_opensearch() -> (Arc<dyn Backend>, (String, OpenSearchBackend)) {
    let mut config = newsindex::config::BackendConfig {
        kind: newsindex::config::BackendKind::OpenSearch,
        index: format!("bench-{}", std::process::id()),
        ..Default::default()
    };
    config.urls = std::env::var("NEWSINDEX_OPENSEARCH_URLS")
        .expect("NEWSINDEX_OPENSEARCH_URLS (the cluster's node URLs, comma-separated)")
        .split(',')
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    let num = |name: &str, default: u32| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    };
    config.shards = num("NEWSINDEX_BENCH_SHARDS", 1);
    config.replicas = num("NEWSINDEX_BENCH_REPLICAS", 0);
    let backend = OpenSearchBackend::open(&config).expect("open the OpenSearch index");
    // A second handle on the same index, to delete it at the end.
    let keeper = OpenSearchBackend::open(&config).expect("open the OpenSearch index");
    (Arc::new(backend), (config.index, keeper))
}

/// `POST /articles` of the corpus, 5,000 lines at a time, sequentially. The rate is articles
/// indexed over the time spent in requests (reading the corpus file is not counted).
async fn ingest(base: &str) -> Row {
    let client = client();
    let url = format!("{base}/articles");
    // A thread reads the corpus into batches while they are sent (bounded memory).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
    let reader = std::thread::spawn(move || {
        let mut body = Vec::new();
        let mut lines = 0;
        common::for_each_line(|_, line| {
            body.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                body.push(b'\n');
            }
            lines += 1;
            if lines == INGEST_BATCH {
                let _ = tx.blocking_send(std::mem::take(&mut body));
                lines = 0;
            }
        });
        if lines > 0 {
            let _ = tx.blocking_send(body);
        }
    });
    let mut m = Measured::default();
    let (mut indexed, mut failed) = (0u64, 0u64);
    let mut in_requests = Duration::ZERO;
    while let Some(batch) = rx.recv().await {
        let t = Instant::now();
        let answer = client
            .post(&url)
            .header("content-type", "application/x-ndjson")
            .body(batch)
            .send()
            .await;
        let result = match answer {
            Ok(resp) => {
                let status = resp.status();
                let json: serde_json::Value = resp.json().await.unwrap_or_default();
                if status.is_success() {
                    Ok(json)
                } else {
                    Err(format!("{status}: {json}"))
                }
            }
            Err(e) => Err(e.to_string()),
        };
        let took = t.elapsed();
        in_requests += took;
        m.latencies.push(took);
        match result {
            Ok(json) => {
                indexed += json["indexed"].as_u64().unwrap_or(0);
                failed += json["failed"].as_u64().unwrap_or(0);
            }
            Err(e) => {
                m.errors += 1;
                m.first_error.get_or_insert(e);
            }
        }
    }
    let _ = reader.join();
    m.elapsed = in_requests;
    m.latencies.sort_unstable();
    let mut r = row(
        "POST /articles (NDJSON, 5,000/batch)",
        1,
        &m,
        "",
        format!("{indexed} indexed, {failed} failed"),
    );
    r.rate = format!(
        "{:.0} articles/s",
        indexed as f64 / in_requests.as_secs_f64().max(1e-9)
    );
    r
}

/// The middle third of the indexed time span, from the oldest and newest article.
async fn date_range(base: &str) -> (String, String) {
    let c = client();
    let mut edges = Vec::new();
    for sort in ["oldest", "newest"] {
        let resp = c
            .get(format!("{base}/search"))
            .query(&[("sort", sort), ("limit", "1")])
            .send()
            .await
            .expect("search");
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        edges.push(
            body["hits"][0]["published_at"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    common::middle_third(&edges[0], &edges[1])
}

/// (id, JSON body) of the first corpus articles, for `PUT /articles/{id}`.
fn put_bodies() -> Vec<(String, bytes::Bytes)> {
    let mut out = Vec::new();
    common::for_each_line(|_, line| {
        if out.len() >= PUT_ARTICLES {
            return;
        }
        let id = serde_json::from_slice::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v["id"].as_str().map(String::from));
        if let Some(id) = id.filter(|id| {
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        }) {
            out.push((id, bytes::Bytes::copy_from_slice(line)));
        }
    });
    assert!(!out.is_empty(), "no corpus article has a URL-safe id");
    out
}

fn print_table(settings: &Settings, place: &str, rows: &[Row], notes: &[String]) {
    println!();
    println!(
        "newsindex load bench: corpus {}, index {}, {} s per measurement, {} cores",
        common::corpus_path().display(),
        place,
        settings.secs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| scenario | clients | requests | errors | throughput | p50 ms | p99 ms | max ms | notes |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {} |",
            r.scenario,
            r.clients,
            r.requests,
            r.errors,
            r.rate,
            r.p50,
            r.p99,
            r.max,
            r.note.replace('|', "\\|")
        );
    }
    println!();
    for n in notes {
        println!("- {n}");
    }
}
