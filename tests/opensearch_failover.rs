//! Failover on OpenSearch (issue #18, item 6): a three-node cluster with one replica of each
//! shard, the real `newsindex` binary serving it, 4 writers and 8 searchers over HTTP, and
//! `kill -9` of one node (the first of the server's node URLs) while they run. Then the node is
//! started again on its data and must rejoin.
//!
//! What must hold:
//! - no acknowledged write is lost: every article whose last write was answered `200` reads
//!   back as written, every acknowledged delete stays deleted, and the article count lies between
//!   what was acknowledged and that plus the writes whose answer was an error;
//! - searches keep answering: none fails before the kill or after the cluster is green again,
//!   and while the node is down the longest stretch without an answered search is short;
//! - writes resume (they wait while a shard has one copy, see `[backend] node_left_delay_secs`);
//! - the node rejoins: three nodes and a green cluster.
//!
//! The run prints its figures (write and search latencies by phase, pauses, failures) to stderr.
//! Without `java` or `mvn` the test says so and passes, unless `NEWSINDEX_REQUIRE_OPENSEARCH=1`.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Time the load runs before the kill.
const BEFORE_KILL: Duration = Duration::from_secs(8);
/// How long the killed node stays down: longer than the server's `node_left_delay_secs` (5 s
/// here), so that the cluster rebuilds the lost copies on the two others meanwhile.
const DOWN: Duration = Duration::from_secs(20);
/// Load after the cluster is green again.
const AFTER_GREEN: Duration = Duration::from_secs(5);
/// The longest stretch without an answered search allowed while a node is lost. OpenSearch
/// retries a search on another copy of a shard at once, and the server's client moves to the
/// next node URL when one refuses; a few seconds cover a cluster-manager election.
const MAX_SEARCH_GAP: Duration = Duration::from_secs(10);

fn say(msg: &str) {
    // Straight to the process's stderr: the harness would hide `eprintln!` of a passing test,
    // and these are the run's figures.
    let _ = writeln!(std::io::stderr(), "{msg}");
}

#[path = "support/opensearch_nodes.rs"]
mod opensearch_nodes;
use opensearch_nodes::Nodes;

/// `GET /_cluster/health` with a wait, from any node that answers.
fn cluster_health(cluster: &Nodes, wait: &str) -> Value {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(130))
        .build()
        .unwrap();
    for url in &cluster.urls {
        let asked = client
            .get(format!("{url}/_cluster/health?{wait}&timeout=120s"))
            .send()
            .and_then(|r| r.json::<Value>());
        if let Ok(v) = asked {
            return v;
        }
    }
    panic!("no node answered /_cluster/health");
}

fn start_cluster() -> Option<Nodes> {
    Nodes::start(3, "newsindex-failover", "OpenSearch failover test")
}

/// The `newsindex` binary serving the cluster, killed when dropped.
struct Server {
    child: Child,
    url: String,
    _config: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(cluster: &Nodes) -> Server {
    let config = tempfile::tempdir().expect("tempdir");
    let path = config.path().join("config.toml");
    let urls: Vec<String> = cluster.urls.iter().map(|u| format!("{u:?}")).collect();
    std::fs::write(
        &path,
        format!(
            "[backend]\nkind = \"opensearch\"\nurls = [{}]\nindex = \"failover\"\n\
             shards = 3\nreplicas = 1\nrequest_timeout_secs = 20\nnode_left_delay_secs = 5\n",
            urls.join(", ")
        ),
    )
    .unwrap();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .arg("--config")
        .arg(&path)
        .args([
            "serve",
            "--no-demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "newsindex=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn newsindex");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _config: config,
    };
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = client
            .get(format!("{}/health", server.url))
            .send()
            .is_ok_and(|r| r.status() == 200);
        if ok {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "newsindex did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What a writer knows of one article.
#[derive(Debug, Clone)]
enum Known {
    /// The last write was acknowledged: stored with this version, or deleted (`None`).
    Acked(Option<u32>),
    /// A write of it got an error (or no answer): it may or may not have happened.
    Unsure,
}

const WORDS: [&str; 12] = [
    "cluster",
    "harbour",
    "election",
    "grain",
    "copper",
    "storm",
    "budget",
    "railway",
    "tariff",
    "vaccine",
    "strike",
    "satellite",
];

fn article(id: &str, version: u32, n: usize) -> Value {
    let a = WORDS[n % WORDS.len()];
    let b = WORDS[(n / 7 + 3) % WORDS.len()];
    json!({
        "id": id,
        "title": format!("{a} report {id} version {version}"),
        "body": format!("The {a} story goes on while the {b} talks continue. Version {version} of {id}, number {n}."),
        "published_at": format!("2026-11-{:02}T10:00:00Z", 1 + n % 28),
        "tags": [a],
        "authors": [format!("Writer {}", n % 4)],
    })
}

/// One timed request: when it started (since the run's start), how long it took, and whether
/// it was answered as it should be.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    took: Duration,
    ok: bool,
}

fn writer(
    w: usize,
    base: String,
    start: Instant,
    stop: Arc<AtomicBool>,
) -> (HashMap<String, Known>, Vec<Sample>) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut known: HashMap<String, Known> = HashMap::new();
    let mut acked_ids: Vec<String> = Vec::new();
    let mut samples = Vec::new();
    let mut n = 0usize;
    let mut step = 0usize;
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        let t = Instant::now();
        let at = t - start;
        let ok;
        match step % 10 {
            // An upload of 10 new articles as NDJSON: the lines not listed in `errors` are
            // acknowledged; all are unsure when the request fails.
            0 | 5 => {
                let ids: Vec<String> = (0..10).map(|k| format!("w{w}-{}", n + k)).collect();
                let body: String = ids
                    .iter()
                    .enumerate()
                    .map(|(k, id)| format!("{}\n", article(id, 1, n + k)))
                    .collect();
                n += 10;
                let answer = client
                    .post(format!("{base}/articles"))
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .ok()
                    .filter(|r| r.status() == 200)
                    .and_then(|r| r.json::<Value>().ok());
                ok = answer.is_some();
                let refused: Vec<u64> = answer
                    .as_ref()
                    .and_then(|v| v["errors"].as_array())
                    .map(|e| e.iter().filter_map(|x| x["line"].as_u64()).collect())
                    .unwrap_or_default();
                for (k, id) in ids.into_iter().enumerate() {
                    if answer.is_some() && !refused.contains(&(k as u64 + 1)) {
                        known.insert(id.clone(), Known::Acked(Some(1)));
                        acked_ids.push(id);
                    } else {
                        known.insert(id, Known::Unsure);
                    }
                }
            }
            // An update of an acknowledged article (a new version).
            3 | 7 if !acked_ids.is_empty() => {
                let id = acked_ids[(step * 31) % acked_ids.len()].clone();
                let version = match known.get(&id) {
                    Some(Known::Acked(Some(v))) => v + 1,
                    _ => continue,
                };
                let r = client
                    .put(format!("{base}/articles/{id}"))
                    .json(&article(&id, version, step))
                    .send();
                ok = r.is_ok_and(|r| r.status() == 200);
                known.insert(
                    id,
                    if ok {
                        Known::Acked(Some(version))
                    } else {
                        Known::Unsure
                    },
                );
            }
            // A delete of an acknowledged article.
            9 if !acked_ids.is_empty() => {
                let id = acked_ids.swap_remove((step * 17) % acked_ids.len());
                let r = client.delete(format!("{base}/articles/{id}")).send();
                ok = r.is_ok_and(|r| r.status() == 200);
                known.insert(
                    id,
                    if ok {
                        Known::Acked(None)
                    } else {
                        Known::Unsure
                    },
                );
            }
            // A new article.
            _ => {
                let id = format!("w{w}-{n}");
                let r = client
                    .put(format!("{base}/articles/{id}"))
                    .json(&article(&id, 1, n))
                    .send();
                n += 1;
                ok = r.is_ok_and(|r| r.status() == 200);
                if ok {
                    known.insert(id.clone(), Known::Acked(Some(1)));
                    acked_ids.push(id);
                } else {
                    known.insert(id, Known::Unsure);
                }
            }
        }
        samples.push(Sample {
            at,
            took: t.elapsed(),
            ok,
        });
        if !ok {
            // A refused write is answered at once; don't spin on it.
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    (known, samples)
}

fn searcher(s: usize, base: String, start: Instant, stop: Arc<AtomicBool>) -> Vec<Sample> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut samples = Vec::new();
    let mut k = s;
    while !stop.load(Ordering::Relaxed) {
        k += 1;
        let word = WORDS[k % WORDS.len()];
        let path = match k % 4 {
            0 => format!("/search?q={word}&limit=10"),
            1 => format!("/search?q={word}+report&limit=10&facets=tags,authors&from=2026-11-05"),
            2 => format!(
                "/search?q={word}&limit=10&tag={}",
                WORDS[(k / 4) % WORDS.len()]
            ),
            _ => format!("/suggest?q={}", &word[..3]),
        };
        let t = Instant::now();
        let ok = client
            .get(format!("{base}{path}"))
            .send()
            .is_ok_and(|r| r.status() == 200);
        samples.push(Sample {
            at: t - start,
            took: t.elapsed(),
            ok,
        });
        if !ok {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    samples
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One line of figures for the samples started in `[from, to)`.
fn phase(name: &str, samples: &[Sample], from: Duration, to: Duration) -> String {
    let mut took: Vec<Duration> = samples
        .iter()
        .filter(|s| s.at >= from && s.at < to && s.ok)
        .map(|s| s.took)
        .collect();
    took.sort();
    let failed = samples
        .iter()
        .filter(|s| s.at >= from && s.at < to && !s.ok)
        .count();
    let secs = (to - from).as_secs_f64().max(0.001);
    format!(
        "{name:<28} {:>6} ok ({:>6.1}/s) {failed:>4} failed  p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        took.len(),
        took.len() as f64 / secs,
        percentile(&took, 0.5).as_secs_f64() * 1e3,
        percentile(&took, 0.99).as_secs_f64() * 1e3,
        took.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    )
}

/// The longest time in `[from, to)` during which no request that succeeded was answered.
fn longest_gap(samples: &[Sample], from: Duration, to: Duration) -> Duration {
    let mut done: Vec<Duration> = samples
        .iter()
        .filter(|s| s.ok)
        .map(|s| s.at + s.took)
        .filter(|&t| t >= from && t < to)
        .collect();
    done.sort();
    let mut last = from;
    let mut gap = Duration::ZERO;
    for t in done {
        gap = gap.max(t - last);
        last = t;
    }
    gap.max(to - last)
}

#[test]
fn one_node_of_three_killed_under_load_loses_no_acknowledged_write() {
    let Some(cluster) = start_cluster() else {
        return;
    };
    let server = start_server(&cluster);
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (base, stop) = (server.url.clone(), stop.clone());
            std::thread::spawn(move || writer(w, base, start, stop))
        })
        .collect();
    let searchers: Vec<_> = (0..8)
        .map(|s| {
            let (base, stop) = (server.url.clone(), stop.clone());
            std::thread::spawn(move || searcher(s, base, start, stop))
        })
        .collect();

    std::thread::sleep(BEFORE_KILL);
    // node-0 is the server's first URL, so its client must move to the next node too.
    let killed_at = start.elapsed();
    cluster.run(&["kill", "0"]);
    std::thread::sleep(DOWN);
    let restarted_at = start.elapsed();
    cluster.run(&["restart-node", "0"]);
    let health = cluster_health(&cluster, "wait_for_status=green&wait_for_nodes=3");
    let green_at = start.elapsed();
    std::thread::sleep(AFTER_GREEN);
    stop.store(true, Ordering::Relaxed);
    let end = start.elapsed();

    let mut known: HashMap<String, Known> = HashMap::new();
    let mut writes = Vec::new();
    for h in writers {
        let (k, s) = h.join().expect("writer panicked");
        known.extend(k);
        writes.extend(s);
    }
    let mut searches = Vec::new();
    for h in searchers {
        searches.extend(h.join().expect("searcher panicked"));
    }

    // The figures first, so that a failing run shows them too.
    say(&format!(
        "failover: node-0 killed at {:.1} s, restarted at {:.1} s, cluster green at {:.1} s, end {:.1} s",
        killed_at.as_secs_f64(),
        restarted_at.as_secs_f64(),
        green_at.as_secs_f64(),
        end.as_secs_f64()
    ));
    for (what, samples) in [("writes", &writes), ("searches", &searches)] {
        say(&phase(
            &format!("{what}, 3 nodes"),
            samples,
            Duration::ZERO,
            killed_at,
        ));
        say(&phase(
            &format!("{what}, node down"),
            samples,
            killed_at,
            restarted_at,
        ));
        say(&phase(
            &format!("{what}, node rejoining"),
            samples,
            restarted_at,
            green_at,
        ));
        say(&phase(
            &format!("{what}, green again"),
            samples,
            green_at,
            end,
        ));
    }
    let write_pause = longest_gap(&writes, killed_at, green_at);
    let search_gap = longest_gap(&searches, killed_at, green_at);
    say(&format!(
        "failover: longest time without an acknowledged write {:.1} s, without an answered search {:.2} s",
        write_pause.as_secs_f64(),
        search_gap.as_secs_f64()
    ));

    // The node rejoined.
    assert_eq!(health["status"], "green", "{health}");
    assert_eq!(health["number_of_nodes"], 3, "{health}");

    // Searches answered throughout.
    let failed_outside = searches
        .iter()
        .filter(|s| !s.ok && (s.at < killed_at || s.at >= green_at))
        .count();
    assert_eq!(failed_outside, 0, "searches failed while every node was up");
    assert!(
        search_gap <= MAX_SEARCH_GAP,
        "no search answered for {search_gap:?} while a node was down"
    );
    assert!(searches.iter().filter(|s| s.ok).count() > 100);

    // Writes came back: acknowledged after the cluster was green again, none refused then.
    assert!(
        writes.iter().any(|s| s.ok && s.at >= green_at),
        "no write was acknowledged after the cluster was green again"
    );
    let refused_after = writes.iter().filter(|s| !s.ok && s.at >= green_at).count();
    assert_eq!(
        refused_after, 0,
        "writes refused after the cluster was green"
    );

    // No acknowledged write lost: read every article back through the server.
    let client = reqwest::blocking::Client::new();
    let (mut present, mut deleted, mut unsure) = (0u64, 0u64, 0u64);
    for (id, k) in &known {
        match k {
            Known::Unsure => unsure += 1,
            Known::Acked(version) => {
                let r = client
                    .get(format!("{}/articles/{id}", server.url))
                    .send()
                    .expect("GET article");
                let status = r.status().as_u16();
                match version {
                    None => {
                        deleted += 1;
                        assert_eq!(status, 404, "acknowledged delete of {id} undone");
                    }
                    Some(v) => {
                        present += 1;
                        assert_eq!(status, 200, "acknowledged write of {id} lost");
                        let a: Value = r.json().unwrap();
                        let title = a["title"].as_str().unwrap_or_default();
                        assert!(
                            title.ends_with(&format!(" version {v}")),
                            "{id}: acknowledged version {v}, read back {title:?}"
                        );
                    }
                }
            }
        }
    }
    let stats: Value = client
        .get(format!("{}/stats", server.url))
        .send()
        .and_then(|r| r.json())
        .expect("GET /stats");
    let articles = stats["articles"].as_u64().expect("articles in /stats");
    say(&format!(
        "failover: {present} acknowledged articles all read back, {deleted} acknowledged deletes \
         all gone, {unsure} writes without an answer; /stats counts {articles}"
    ));
    assert!(
        articles >= present && articles <= present + unsure,
        "{articles} articles stored, {present} acknowledged and {unsure} unsure"
    );
    assert!(present > 100, "too few writes to say anything: {present}");
}
