//! Real OpenSearch nodes on loopback for the tests, started and stopped by `scripts/opensearch`
//! (Java 17 and Maven): the one place that finds free ports for them, skips a test without Java
//! or Maven (or fails it, with `NEWSINDEX_REQUIRE_OPENSEARCH=1`), and stops what it started.
//! Included by path (`#[path]`) by each test crate that needs nodes.

#![allow(dead_code)]

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `scripts/opensearch`.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/opensearch")
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A base port P with the HTTP ports P..P+nodes and the transport ports P+100..P+100+nodes
/// free.
pub fn free_base_port(nodes: u16) -> u16 {
    for _ in 0..500 {
        let Ok(listener) = TcpListener::bind(("127.0.0.1", 0)) else {
            continue;
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        drop(listener);
        if port > 1024
            && port < 65_000
            && (0..nodes).all(|i| port_free(port + i) && port_free(port + 100 + i))
        {
            return port;
        }
    }
    panic!("no free ports for {nodes} OpenSearch node(s)");
}

/// Whether Java and Maven are there to start nodes. Without them `what` is skipped, and says so
/// on the process's stderr (the harness captures `eprintln!`, and a skipped leg must be seen in
/// a plain `cargo test`), unless `NEWSINDEX_REQUIRE_OPENSEARCH=1` makes that a failure.
pub fn can_start(what: &str) -> bool {
    let required = std::env::var("NEWSINDEX_REQUIRE_OPENSEARCH").is_ok_and(|v| v == "1");
    let missing: Vec<&str> = ["java", "mvn"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{what} skipped: {} not on PATH (scripts/opensearch needs Java 17 and Maven)",
        missing.join(" and ")
    );
    assert!(!required, "{msg}, and NEWSINDEX_REQUIRE_OPENSEARCH=1");
    let _ = writeln!(std::io::stderr(), "{msg}");
    false
}

/// Nodes of their own in a temporary directory, stopped when dropped (then the directory is
/// removed).
pub struct Nodes {
    dir: tempfile::TempDir,
    /// The first node's HTTP port; node `i` listens on `base_port + i`.
    pub base_port: u16,
    /// Each node's HTTP URL.
    pub urls: Vec<String>,
}

impl Nodes {
    /// Starts `nodes` nodes (one cluster), or `None` when [`can_start`] says `what` is skipped.
    pub fn start(nodes: u16, dir_prefix: &str, what: &str) -> Option<Nodes> {
        if !can_start(what) {
            return None;
        }
        let base_port = free_base_port(nodes);
        // The guard exists before the start, so that a half-started node is stopped too.
        let started = Nodes {
            dir: tempfile::Builder::new()
                .prefix(dir_prefix)
                .tempdir()
                .expect("tempdir"),
            base_port,
            urls: (0..nodes)
                .map(|i| format!("http://127.0.0.1:{}", base_port + i))
                .collect(),
        };
        started.run(&[
            "start",
            "--nodes",
            &nodes.to_string(),
            "--base-port",
            &base_port.to_string(),
        ]);
        Some(started)
    }

    /// The first node's URL.
    pub fn url(&self) -> &str {
        &self.urls[0]
    }

    /// `scripts/opensearch ARGS --dir DIR`, which must succeed; what it printed.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new(script())
            .args(args)
            .arg("--dir")
            .arg(self.dir.path())
            .output()
            .expect("run scripts/opensearch");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "scripts/opensearch {args:?}: {text}");
        text
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        let out = Command::new(script())
            .arg("stop")
            .arg("--dir")
            .arg(self.dir.path())
            .output();
        if let Ok(out) = out {
            if !out.status.success() {
                eprintln!(
                    "stopping the OpenSearch nodes failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}
