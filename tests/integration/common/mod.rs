//! A real server on 127.0.0.1:0 over a temporary index, and helpers to talk to it.
//!
//! With `NEWSINDEX_TEST_BACKEND=opensearch`, [`TestServer::start`] serves an index on
//! OpenSearch instead of a local tantivy index: one node per test process, started at the
//! first server by `scripts/opensearch` in a temporary directory (stopped when the process
//! exits, by a watcher), and a fresh OpenSearch index per server, deleted when it stops or
//! drops, so tests stay independent.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use newsindex::config::Config;
use newsindex::http::LocalServer;
use newsindex::NewsIndex;
use serde_json::Value;
use tempfile::TempDir;

// The port search and the script path; this node itself is one per process, stopped by a
// watcher after the process exits, not by a guard.
#[path = "../../support/opensearch_nodes.rs"]
mod opensearch_nodes;

/// An in-process server; shut down (writer drained) on `stop`, asked to on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub dir: TempDir,
    server: Option<LocalServer>,
    /// The OpenSearch index of this server (deleted at stop or drop).
    opensearch_index: Option<(String, String)>,
}

/// Whether the tests run against OpenSearch (`NEWSINDEX_TEST_BACKEND=opensearch`).
pub fn on_opensearch() -> bool {
    std::env::var("NEWSINDEX_TEST_BACKEND").is_ok_and(|v| v == "opensearch")
}

/// The URL of this process's OpenSearch node, started at the first call.
fn opensearch_node() -> &'static str {
    static NODE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NODE.get_or_init(|| {
        let script = opensearch_nodes::script();
        let dir = tempfile::Builder::new()
            .prefix("newsindex-os-api")
            .tempdir()
            .expect("tempdir")
            .keep();
        let port = opensearch_nodes::free_base_port(1);
        // Stops the node (and removes its directory) once this process has exited, however
        // it exits; started first, so that a half-started node is stopped too. Never waited
        // for: it outlives this process by design.
        #[allow(clippy::zombie_processes)]
        let _watcher = Command::new("sh")
            .arg("-c")
            .arg(
                "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; \"$2\" stop --dir \"$3\" >/dev/null 2>&1; rm -rf \"$3\"",
            )
            .args(["watcher", &std::process::id().to_string()])
            .arg(&script)
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the node's watcher");
        let out = Command::new(&script)
            .args(["start", "--nodes", "1", "--base-port", &port.to_string(), "--dir"])
            .arg(&dir)
            .output()
            .expect("run scripts/opensearch");
        assert!(
            out.status.success(),
            "scripts/opensearch start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        format!("http://127.0.0.1:{port}")
    })
}

fn delete_opensearch_index(url: &str, index: &str) {
    let _ = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-X", "DELETE"])
        // The concrete index behind the alias `index` (an alias can't be deleted by name).
        .arg(format!("{url}/{index}-*"))
        .status();
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some((url, index)) = self.opensearch_index.take() {
            delete_opensearch_index(&url, &index);
        }
    }
}

/// Settings for tests: small writer, no demo corpus.
pub fn test_config(dir: &Path) -> Config {
    let mut c = Config {
        index_dir: dir.to_path_buf(),
        demo_corpus: false,
        ..Config::default()
    };
    c.writer.threads = 1;
    c.writer.heap_mb = 30;
    c
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        // The process's analyzers, as the binary sets them from its configuration.
        newsindex::analysis::japanese::load_for_tests();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(dir.path());
        tweak(&mut config);
        let mut opensearch_index = None;
        if crate::OPENSEARCH_ONLY && !on_opensearch() {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "OpenSearch API tests skipped: NEWSINDEX_TEST_BACKEND=opensearch is not set \
                 (scripts/test sets it when java and mvn are on PATH)"
            );
            std::process::exit(0);
        }
        let backend: Arc<dyn newsindex::backend::Backend> = if on_opensearch() {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let url = tokio::task::spawn_blocking(|| opensearch_node().to_string())
                .await
                .unwrap();
            let mut b = config.backend.clone();
            b.kind = newsindex::config::BackendKind::OpenSearch;
            b.urls = vec![url.clone()];
            b.index = format!("test-{}-{n}", std::process::id());
            b.replicas = 0;
            opensearch_index = Some((url, b.index.clone()));
            let backend = tokio::task::spawn_blocking(move || {
                newsindex::opensearch::OpenSearchBackend::open(&b)
            })
            .await
            .unwrap()
            .expect("open the OpenSearch index");
            Arc::new(backend)
        } else {
            let (d, w) = (config.index_dir.clone(), config.writer.clone());
            let index = tokio::task::spawn_blocking(move || NewsIndex::open(&d, &w))
                .await
                .unwrap()
                .expect("open index");
            Arc::new(newsindex::backend::TantivyBackend::new(Arc::new(index)))
        };
        let server = LocalServer::start(backend, Arc::new(config))
            .await
            .expect("start server");
        TestServer {
            addr: server.addr,
            client: reqwest::Client::new(),
            dir,
            server: Some(server),
            opensearch_index,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    pub async fn put_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let r = self
            .client
            .put(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    pub async fn post_ndjson(&self, body: String) -> (u16, Value) {
        let r = self
            .client
            .post(self.url("/articles"))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .delete(self.url(path))
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    /// Stops the server the graceful way and waits for it.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("server io");
        }
        if let Some((url, index)) = self.opensearch_index.take() {
            tokio::task::spawn_blocking(move || delete_opensearch_index(&url, &index))
                .await
                .unwrap();
        }
    }
}

pub async fn status_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, v)
}

/// Asserts the error shape and returns the message.
pub fn error_message(v: &Value, code: &str) -> String {
    assert_eq!(v["error"]["code"], code, "{v}");
    v["error"]["message"].as_str().expect("message").to_string()
}

/// The first `n` Reuters-21578 articles of the bundled corpus (`data/README.md`).
pub fn reuters(n: usize) -> Vec<Value> {
    use std::io::BufRead;
    let gz: &[u8] = include_bytes!("../../../data/reuters21578.ndjson.gz");
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(gz));
    reader
        .lines()
        .take(n)
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

pub fn ndjson(items: &[Value]) -> String {
    items.iter().map(|v| v.to_string() + "\n").collect()
}

/// The `newsindex` binary, killed when dropped.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Process {
    pub fn serve(index: &Path) -> Process {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_newsindex"))
            .args([
                "serve",
                "--no-demo",
                "--listen",
                &addr.to_string(),
                "--index",
            ])
            .arg(index)
            .env("RUST_LOG", "newsindex=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn newsindex");
        let p = Process { child, addr };
        p.wait_healthy();
        p
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(self.addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not start on {}", self.addr);
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on unix
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn tmp_index_dir() -> (TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("index");
    (d, p)
}

/// `s` percent-encoded for a query string (every byte but unreserved ASCII).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One HTTP/1.1 request over raw TCP, with the `Host` given (or none) and any other headers:
/// what a browser tricked by DNS rebinding, or an old client, would send. The status and body.
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    host: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    if let Some(h) = host {
        req.push_str(&format!("Host: {h}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    tcp.write_all(req.as_bytes()).await.expect("write");
    tcp.write_all(body).await.expect("write body");
    let mut out = Vec::new();
    let _ = tcp.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
