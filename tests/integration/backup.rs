//! Moving an index and keeping it: `newsindex export` / `GET /admin/export` (every stored
//! article as NDJSON, taken back by `newsindex ingest`) and `newsindex backup` /
//! `POST /admin/backup` (the files of one commit while the server writes), restored by
//! starting a server on them.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use newsindex::config::Config;
use newsindex::NewsIndex;
use serde_json::{json, Value};

use crate::common::{error_message, ndjson, reuters, status_json, Process, TestServer};

fn newsindex(args: &[&str], paths: &[&Path]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args(args)
        .args(paths)
        .env("RUST_LOG", "newsindex=warn")
        .output()
        .expect("run newsindex");
    assert!(
        out.status.success(),
        "newsindex {args:?} {paths:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn export_http(s: &TestServer) -> String {
    let r = s.client.get(s.url("/admin/export")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    r.text().await.unwrap()
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.sort();
    lines
}

/// Articles written through a real server with every field, and with what the server derives
/// (extracted entities, detected languages, a page's language sent back); exported over HTTP
/// and by the CLI while the server holds the index; ingested offline into a fresh index; every
/// article read back from a server on it equals the original, field by field.
#[tokio::test]
async fn an_export_ingested_elsewhere_gives_back_every_article_whole() {
    let s = TestServer::start().await;
    let full = json!({
        "id": "full-1",
        "title": "Beijing's Cautious Stance Amidst Russia-North Korea Defense Pact",
        "summary": "China maintains silence on the new defense pact.",
        "body": "In a move that has sent ripples through East Asia, Beijing said little.",
        "url": "https://example.org/world/beijing-stance",
        "authors": ["Ashlee Durgan", "Victor Cha"],
        "published_at": "2024-06-22T05:03:00+07:00",
        "tags": ["world/asia", "defense"],
        "entities": [{"name": "Victor Cha", "type": "person"}, {"name": "China", "type": "place"}, "Kremlin"],
        "language": "en",
        "views": 200,
        "source": "Example Wire",
        "dateline": "BEIJING, June 22"
    });
    let derived = json!({
        "title": "Nakasone meets central bankers",
        "body": "Prime Minister Yasuhiro Nakasone met officials of the Bank of Japan in Tokyo on Monday, and the yen rose."
    });
    let chinese = json!({
        "title": "中国外交部回应俄朝防务协定",
        "body": "外交部发言人在记者会上表示，中方注意到有关报道。"
    });
    let sent_back = json!({
        "title": "Le cacao monte",
        "body": "Les prix du cacao ont augmenté à Londres.",
        "entities": [{"name": "Londres", "type": "place"}],
        "entities_source": "extracted",
        "language": "fr",
        "language_source": "page"
    });
    for (id, body) in [
        ("full-1", &full),
        ("derived-1", &derived),
        ("zh-1", &chinese),
        ("sent-back", &sent_back),
        ("upd", &json!({"title": "First version"})),
        ("gone", &json!({"title": "Deleted before the export"})),
    ] {
        let (status, v) = s.put(&format!("/articles/{id}"), body).await;
        assert_eq!(status, 200, "{v}");
    }
    assert_eq!(
        s.put("/articles/upd", &json!({"title": "Second version"}))
            .await
            .0,
        200
    );
    assert_eq!(s.delete("/articles/gone").await.0, 200);
    let (status, v) = s.post_ndjson(ndjson(&reuters(40))).await;
    assert_eq!((status, v["failed"].as_u64()), (200, Some(0)), "{v}");

    let exported = export_http(&s).await;
    let articles: Vec<Value> = exported
        .lines()
        .map(|l| serde_json::from_str(l).expect("one article per line"))
        .collect();
    let ids: BTreeSet<String> = articles
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(articles.len(), 45, "each article once");
    assert_eq!(ids.len(), 45);
    assert!(!ids.contains("gone"));
    let upd = articles.iter().find(|a| a["id"] == "upd").unwrap();
    assert_eq!(upd["title"], "Second version");
    let derived = articles.iter().find(|a| a["id"] == "derived-1").unwrap();
    assert_eq!(derived["entities_source"], "extracted", "{derived}");
    assert_eq!(derived["language_source"], "detected", "{derived}");
    assert_eq!(s.get("/stats").await.1["articles"], 45);

    // The CLI, as a second process, while this server holds the index.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("articles.ndjson");
    let out = newsindex(
        &["export", "--quiet", "--output"],
        &[&file, Path::new("--index"), s.dir.path()],
    );
    assert!(out.stdout.is_empty(), "the export went to the file");
    assert!(!tmp.path().join("articles.ndjson.partial").exists());
    let from_cli = std::fs::read_to_string(&file).unwrap();
    assert_eq!(sorted_lines(&from_cli), sorted_lines(&exported));
    let to_stdout = newsindex(&["export", "--quiet", "--index"], &[s.dir.path()]);
    assert_eq!(
        sorted_lines(&String::from_utf8(to_stdout.stdout).unwrap()),
        sorted_lines(&exported)
    );

    // Ingested offline into a fresh index, then served.
    let fresh = tmp.path().join("fresh");
    newsindex(
        &["ingest", "--quiet"],
        &[&file, Path::new("--index"), &fresh],
    );
    let fresh_dir = fresh.clone();
    let t = TestServer::start_with(move |c| c.index_dir = fresh_dir).await;
    assert_eq!(t.get("/stats").await.1["articles"], 45);
    for id in &ids {
        let path = format!("/articles/{}", crate::common::urlencode(id));
        let (a, b) = (s.get(&path).await, t.get(&path).await);
        assert_eq!(a.0, 200, "{id}");
        assert_eq!(a, b, "{id} differs after export and ingest");
    }
    assert_eq!(
        sorted_lines(&export_http(&t).await),
        sorted_lines(&exported)
    );
    t.stop().await;
    s.stop().await;
}

#[tokio::test]
async fn export_and_backup_need_an_admin_key() {
    let s = TestServer::start_with(|c| {
        c.auth.admin_keys = vec!["admin-key".into()];
        c.auth.search_keys = vec!["search-key".into()];
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("b");
    let body = json!({"dir": dest});
    for key in [None, Some("search-key")] {
        let mut get = s.client.get(s.url("/admin/export"));
        let mut post = s.client.post(s.url("/admin/backup")).json(&body);
        if let Some(k) = key {
            get = get.bearer_auth(k);
            post = post.bearer_auth(k);
        }
        let want = if key.is_some() { 403 } else { 401 };
        let (status, v) = status_json(get.send().await.unwrap()).await;
        assert_eq!(status, want, "{v}");
        let (status, v) = status_json(post.send().await.unwrap()).await;
        assert_eq!(status, want, "{v}");
    }
    assert!(!dest.exists());
    let r = s
        .client
        .get(s.url("/admin/export"))
        .bearer_auth("admin-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = s
        .client
        .post(s.url("/admin/backup"))
        .bearer_auth("admin-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, v) = status_json(r).await;
    assert_eq!(status, 200, "{v}");
    assert!(dest.join("meta.json").exists());
    s.stop().await;
}

#[tokio::test]
async fn backup_directories_are_checked_with_json_errors() {
    let s = TestServer::start().await;
    assert_eq!(
        s.put("/articles/a", &json!({"title": "Cocoa"})).await.0,
        200
    );
    let tmp = tempfile::tempdir().unwrap();
    let post = |body: Value| {
        let s = &s;
        async move { s.post_json("/admin/backup", &body).await }
    };
    let (status, v) = post(json!({"dir": "relative/backup"})).await;
    assert_eq!(status, 400, "{v}");
    assert!(error_message(&v, "bad_request").contains("absolute"), "{v}");
    let (status, v) = post(json!({})).await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = post(json!({"dir": tmp.path(), "extra": 1})).await;
    assert_eq!(status, 400, "{v}");
    assert!(error_message(&v, "bad_request").contains("extra"), "{v}");
    let (status, v) = post(json!({"dir": tmp.path().join("no/such")})).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        error_message(&v, "bad_request").contains("does not exist"),
        "{v}"
    );
    let (status, v) = post(json!({"dir": s.dir.path().join("inside")})).await;
    assert_eq!(status, 400, "{v}");
    assert!(!s.dir.path().join("inside").exists());
    let taken = tmp.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    std::fs::write(taken.join("x"), "x").unwrap();
    let (status, v) = post(json!({"dir": taken})).await;
    assert_eq!(status, 409, "{v}");
    assert!(error_message(&v, "conflict").contains("not empty"), "{v}");
    let (status, v) = post(json!({"dir": taken.join("x")})).await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(std::fs::read_dir(&taken).unwrap().count(), 1, "left alone");
    // An empty directory is fine.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (status, v) = post(json!({"dir": empty})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["articles"], 1, "{v}");
    s.stop().await;
}

/// What a backup taken under writes holds: one committed state, i.e. (with one writer PUTting
/// `w0`, `w1`, … in turn, each acknowledged once committed) exactly `w0..wN` for some N at
/// least the count acknowledged before the backup began, each article whole.
fn check_backup(dir: &Path, acked_before: usize, acked_after: usize) -> usize {
    let index = NewsIndex::open_read_only(dir).expect("the backup is an index");
    let n = index.num_articles() as usize;
    assert!(
        acked_before <= n && n <= acked_after + 1,
        "backup holds {n} articles; {acked_before} were acknowledged before it, {acked_after} after"
    );
    for i in 0..n {
        let a = index
            .get(&format!("w{i}"))
            .unwrap()
            .unwrap_or_else(|| panic!("w{i} missing from a backup of {n} articles"));
        assert_eq!(a.title, format!("Written article {i}"));
        assert_eq!(a.body.as_deref(), Some(body(i).as_str()));
    }
    assert!(index.get(&format!("w{n}")).unwrap().is_none());
    n
}

fn body(i: usize) -> String {
    format!("Steel tariffs, round {i}: ministers met again and said the talks would go on.")
}

fn article(i: usize) -> Value {
    json!({"title": format!("Written article {i}"), "body": body(i), "tags": ["steel"]})
}

#[tokio::test]
async fn a_backup_under_writes_is_one_commit_and_restores() {
    let s = Arc::new(TestServer::start().await);
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (s, acked, stop) = (s.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let (status, v) = s.put(&format!("/articles/w{i}"), &article(i)).await;
                assert_eq!(status, 200, "{v}");
                i += 1;
                acked.store(i, Ordering::SeqCst);
            }
        })
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut taken = Vec::new();
    for k in 0..4 {
        while acked.load(Ordering::SeqCst) < 40 * (k + 1) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let dest = tmp.path().join(format!("backup-{k}"));
        let before = acked.load(Ordering::SeqCst);
        let (status, report) = s.post_json("/admin/backup", &json!({"dir": dest})).await;
        let after = acked.load(Ordering::SeqCst);
        assert_eq!(status, 200, "{report}");
        taken.push((dest, before, after, report));
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    for (dest, before, after, report) in &taken {
        let n = check_backup(dest, *before, *after);
        assert_eq!(report["articles"], n, "{report}");
        assert!(report["files"].as_u64().unwrap() > 2, "{report}");
    }

    // Restored by starting a server on it: it serves the backup and takes writes.
    let (dest, ..) = &taken[3];
    let n = NewsIndex::open_read_only(dest).unwrap().num_articles();
    let dir = dest.clone();
    let r = TestServer::start_with(move |c: &mut Config| c.index_dir = dir).await;
    assert_eq!(r.get("/stats").await.1["articles"], n);
    assert_eq!(r.get("/articles/w0").await.1["title"], "Written article 0");
    assert_eq!(r.put("/articles/new", &article(0)).await.0, 200);
    assert_eq!(r.get("/stats").await.1["articles"], n + 1);
    r.stop().await;
    Arc::try_unwrap(s).ok().expect("writer done").stop().await;
}

/// `newsindex backup` as its own process while the real binary serves and writes.
#[test]
fn the_backup_command_works_while_the_binary_serves_and_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    let server = Process::serve(&index);
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop) = (acked.clone(), stop.clone());
        let url = server.url("/articles/");
        std::thread::spawn(move || {
            let client = reqwest::blocking::Client::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let r = client
                    .put(format!("{url}w{i}"))
                    .json(&article(i))
                    .send()
                    .unwrap();
                assert_eq!(r.status().as_u16(), 200);
                i += 1;
                acked.store(i, Ordering::SeqCst);
            }
        })
    };
    let mut taken = Vec::new();
    for k in 0..3 {
        while acked.load(Ordering::SeqCst) < 40 * (k + 1) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let dest = tmp.path().join(format!("backup-{k}"));
        let before = acked.load(Ordering::SeqCst);
        newsindex(&["backup", "--index"], &[&index, &dest]);
        taken.push((dest, before, acked.load(Ordering::SeqCst)));
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    for (dest, before, after) in &taken {
        check_backup(dest, *before, *after);
    }
    drop(server);
    let (dest, ..) = &taken[2];
    let restored = Process::serve(dest);
    let client = reqwest::blocking::Client::new();
    let v: Value = client
        .get(restored.url("/articles/w1"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["title"], "Written article 1");
}
