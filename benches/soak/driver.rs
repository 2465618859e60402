//! The soak run shared by `benches/soak.rs` (10 minutes by default) and the 60-second test
//! `tests/integration/soak.rs`: the real HTTP server in-process on 127.0.0.1:0 over a
//! temporary index, 8 clients searching and 2 writing for the whole duration. Every answer
//! that is not a 200 is an error; afterwards every acknowledged write is read back (its last
//! acknowledged title must be there); resident memory is sampled along the way.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use newsindex::config::Config;
use newsindex::http::LocalServer;
use newsindex::NewsIndex;
use serde_json::{json, Value};

/// Searching clients.
pub const SEARCHERS: usize = 8;
/// Writing clients.
pub const WRITERS: usize = 2;

/// What a soak run saw.
#[derive(Debug, Default)]
pub struct SoakReport {
    /// Searches and suggestions answered 200.
    pub searches: u64,
    /// Writes acknowledged with 200.
    pub writes: u64,
    /// Every answer that was not a 200 (or a failed request), first 50.
    pub errors: Vec<String>,
    /// Error count (exact).
    pub error_count: u64,
    /// Acknowledged writes missing or stale when read back.
    pub lost: Vec<String>,
    /// Distinct ids verified after the run.
    pub verified: usize,
    /// (seconds since start, resident KiB, anonymous resident KiB). Resident memory counts
    /// the index's mmapped files as they are read (page cache, given back under pressure);
    /// the anonymous part is the process' own heap, where a leak would show.
    pub rss_kib: Vec<(u64, u64, u64)>,
    /// Search latency percentiles (p50, p99), milliseconds.
    pub search_ms: (f64, f64),
}

/// (VmRSS, RssAnon) of this process, KiB.
pub fn rss_kib() -> (u64, u64) {
    match newsindex::http::metrics::memory_kib(&["VmRSS", "RssAnon"])[..] {
        [rss, anon] => (rss.unwrap_or(0), anon.unwrap_or(0)),
        _ => (0, 0),
    }
}

fn corpus(n: usize) -> Vec<Value> {
    let gz: &[u8] = include_bytes!("../../data/reuters21578.ndjson.gz");
    std::io::BufReader::new(flate2::read::GzDecoder::new(gz))
        .lines()
        .take(n)
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

const QUERIES: &[&str] = &[
    "q=oil",
    "q=cocoa+prices&facets=tags,authors",
    "q=&facets=tags,published_at:week&limit=0",
    "q=bank+rates&sort=newest&highlight=true",
    "q=%22trade+deficit%22",
    "q=wheat+-corn&facets=entities.place",
    "q=goverment+budgte",
    "q=grain&from=1987-03-01&to=1987-03-31",
    "q=soviet+OR+japan&limit=50",
    "q=&tag=earn&facets=sources,entities",
];

const SUGGESTS: &[&str] = &["coc", "oil pr", "bnk", "japa", "wheat ex"];

/// Runs the soak for `duration`, sampling memory every `sample_every`; `progress` prints a
/// line per sample. `index_dir` is an existing index to soak on (e.g. 1M articles built with
/// `newsindex ingest --index`; the soak writes into it); by default a temporary one with
/// 1,500 Reuters articles.
pub async fn soak(
    duration: Duration,
    sample_every: Duration,
    progress: bool,
    index_dir: Option<std::path::PathBuf>,
) -> SoakReport {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config {
        index_dir: index_dir.unwrap_or_else(|| dir.path().join("index")),
        demo_corpus: false,
        ..Config::default()
    };
    config.writer.threads = 1;
    config.writer.heap_mb = 50;
    let index = {
        let (d, w) = (config.index_dir.clone(), config.writer.clone());
        tokio::task::spawn_blocking(move || NewsIndex::open(&d, &w))
            .await
            .unwrap()
            .expect("open index")
    };
    let empty = index.num_articles() == 0;
    let server = LocalServer::start(
        Arc::new(newsindex::backend::TantivyBackend::new(Arc::new(index))),
        Arc::new(config),
    )
    .await
    .expect("start server");
    let base = server.base_url();
    let client = reqwest::Client::new();

    // Something to search, unless the index has it already: 1 500 articles in one upload.
    let articles = corpus(1_500);
    if empty {
        let body: String = articles.iter().map(|a| a.to_string() + "\n").collect();
        let r = client
            .post(format!("{base}/articles"))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .expect("preload");
        assert_eq!(r.status().as_u16(), 200, "preload failed");
    }

    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicU64::new(0));
    let writes = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new((0u64, Vec::<String>::new())));
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let acked: Arc<Mutex<HashMap<String, String>>> = Arc::new(Mutex::new(HashMap::new()));
    let record_error = {
        let errors = errors.clone();
        move |e: String| {
            let mut g = errors.lock().unwrap();
            g.0 += 1;
            if g.1.len() < 50 {
                g.1.push(e);
            }
        }
    };

    let mut tasks = Vec::new();
    for c in 0..SEARCHERS {
        let (client, base, stop, searches, latencies, record_error) = (
            client.clone(),
            base.clone(),
            stop.clone(),
            searches.clone(),
            latencies.clone(),
            record_error.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            while !stop.load(Ordering::Relaxed) {
                let url = if i % 5 == 4 {
                    format!("{base}/suggest?q={}", SUGGESTS[i % SUGGESTS.len()])
                } else {
                    format!("{base}/search?{}", QUERIES[i % QUERIES.len()])
                };
                let t = Instant::now();
                match client.get(&url).send().await {
                    Ok(r) if r.status().as_u16() == 200 => {
                        let ok = r.json::<Value>().await.is_ok();
                        if ok {
                            searches.fetch_add(1, Ordering::Relaxed);
                            latencies
                                .lock()
                                .unwrap()
                                .push(t.elapsed().as_secs_f64() * 1e3);
                        } else {
                            record_error(format!("GET {url}: unreadable body"));
                        }
                    }
                    Ok(r) => {
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        record_error(format!("GET {url}: {status} {text}"));
                    }
                    Err(e) => record_error(format!("GET {url}: {e}")),
                }
                i += 1;
            }
        }));
    }
    for w in 0..WRITERS {
        let (client, base, stop, writes, acked, record_error, articles) = (
            client.clone(),
            base.clone(),
            stop.clone(),
            writes.clone(),
            acked.clone(),
            record_error.clone(),
            articles.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                // Mostly new articles; every 5th write replaces an earlier one of this writer.
                let id = if n % 5 == 4 {
                    format!("soak-{w}-{}", n / 2)
                } else {
                    format!("soak-{w}-{n}")
                };
                let src = &articles[n % articles.len()];
                let title = format!("Soak {w}/{n}: {}", src["title"].as_str().unwrap_or("x"));
                let body = json!({"title": title, "body": src["body"], "tags": ["soak"]});
                match client
                    .put(format!("{base}/articles/{id}"))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 200 => {
                        writes.fetch_add(1, Ordering::Relaxed);
                        acked.lock().unwrap().insert(id, title);
                    }
                    Ok(r) => {
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        record_error(format!("PUT {id}: {status} {text}"));
                    }
                    Err(e) => record_error(format!("PUT {id}: {e}")),
                }
                n += 1;
            }
        }));
    }

    let sample = || {
        let (rss, anon) = rss_kib();
        (started.elapsed().as_secs(), rss, anon)
    };
    let mut rss = vec![sample()];
    while started.elapsed() < duration {
        let left = duration.saturating_sub(started.elapsed());
        tokio::time::sleep(sample_every.min(left)).await;
        let sample = sample();
        if progress {
            eprintln!(
                "soak {:>5} s: rss {:>7} KiB (anon {:>7}), {} searches, {} writes, {} errors",
                sample.0,
                sample.1,
                sample.2,
                searches.load(Ordering::Relaxed),
                writes.load(Ordering::Relaxed),
                errors.lock().unwrap().0
            );
        }
        rss.push(sample);
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("client task");
    }

    // Every acknowledged write, read back.
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let mut lost = Vec::new();
    for (id, title) in &acked {
        match client.get(format!("{base}/articles/{id}")).send().await {
            Ok(r) if r.status().as_u16() == 200 => {
                let v: Value = r.json().await.unwrap_or(Value::Null);
                if v["title"] != title.as_str() {
                    lost.push(format!("{id}: stale title {}", v["title"]));
                }
            }
            Ok(r) => lost.push(format!("{id}: {}", r.status())),
            Err(e) => lost.push(format!("{id}: {e}")),
        }
    }
    server.stop().await.expect("server io");

    let mut lat = std::mem::take(&mut *latencies.lock().unwrap());
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if lat.is_empty() {
            0.0
        } else {
            lat[((lat.len() - 1) as f64 * p) as usize]
        }
    };
    let (error_count, errors) = std::mem::take(&mut *errors.lock().unwrap());
    SoakReport {
        searches: searches.load(Ordering::Relaxed),
        writes: writes.load(Ordering::Relaxed),
        errors,
        error_count,
        lost,
        verified: acked.len(),
        rss_kib: rss,
        search_ms: (pct(0.5), pct(0.99)),
    }
}
