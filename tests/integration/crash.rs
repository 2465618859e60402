//! Crash safety of the real binary: `kill -9` in the middle of a large NDJSON upload, and a
//! full disk.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{ndjson, reuters, Process};

fn client(timeout: Duration) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .build()
        .unwrap()
}

/// Uploads `articles` as NDJSON and returns the acknowledged answer (`200`).
fn upload(client: &reqwest::blocking::Client, p: &Process, articles: &[Value]) -> Value {
    let r = client
        .post(p.url("/articles"))
        .header("content-type", "application/x-ndjson")
        .body(ndjson(articles))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().unwrap()
}

fn get_json(client: &reqwest::blocking::Client, p: &Process, id: &str) -> (u16, Value) {
    let r = client
        .get(p.url(&format!("/articles/{id}")))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// An NDJSON body that yields `lines` slowly and counts how many it has handed out.
struct SlowUpload {
    lines: Vec<String>,
    next: usize,
    pending: Vec<u8>,
    sent: Arc<AtomicUsize>,
    /// `/search?q=&limit=0` on the server, and the articles it held before the upload.
    search: String,
    acked: usize,
}

impl Read for SlowUpload {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            if self.next == self.lines.len() {
                return Ok(0);
            }
            // 200 lines at a time, with a pause: the upload spans several chunks and commits.
            let end = (self.next + 200).min(self.lines.len());
            for l in &self.lines[self.next..end] {
                self.pending.extend_from_slice(l.as_bytes());
                self.pending.push(b'\n');
            }
            self.next = end;
            self.sent.store(end, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            if self.next == 3_000 {
                // Pause until the writer, idle for a second, has committed what is staged:
                // part of the upload is visible before the kill.
                let deadline = Instant::now() + Duration::from_secs(60);
                while Instant::now() < deadline {
                    let total = reqwest::blocking::get(&self.search)
                        .and_then(|r| r.json::<Value>())
                        .map(|v| v["total"].as_u64().unwrap_or(0))
                        .unwrap_or(0);
                    if total > self.acked as u64 {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[test]
fn kill_9_during_a_large_upload_loses_nothing_acknowledged_and_shows_no_torn_article() {
    let (_tmp, dir) = crate::common::tmp_index_dir();
    let client = client(Duration::from_secs(120));
    let started = Instant::now();
    let base = reuters(500);
    let mut p = Process::serve(&dir);

    // An acknowledged upload, and what the server made of each article.
    let v = upload(&client, &p, &base);
    let acked = v["indexed"].as_u64().unwrap() as usize;
    assert!(acked > 450, "{v}");
    let mut stored = std::collections::HashMap::new();
    for a in &base {
        let id = a["id"].as_str().unwrap();
        let (status, got) = get_json(&client, &p, id);
        if status == 200 {
            assert!(got["title"].as_str().is_some());
            stored.insert(id.to_string(), got);
        }
    }
    assert_eq!(stored.len(), acked);

    // The killed upload: 20 000 copies of the same articles under new ids.
    let lines: Vec<String> = (0..20_000)
        .map(|i| {
            let mut a = base[i % base.len()].clone();
            a["id"] = json!(format!("k-{i}"));
            a.to_string()
        })
        .collect();
    let sent = Arc::new(AtomicUsize::new(0));
    let upload = {
        let body = SlowUpload {
            lines,
            next: 0,
            pending: Vec::new(),
            sent: sent.clone(),
            search: p.url("/search?q=&limit=0"),
            acked,
        };
        let client = client.clone();
        let url = p.url("/articles");
        std::thread::spawn(move || {
            client
                .post(url)
                .header("content-type", "application/x-ndjson")
                .body(reqwest::blocking::Body::new(body))
                .send()
                .map(|r| r.status().as_u16())
        })
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    eprintln!("acknowledged upload done at {:?}", started.elapsed());
    while sent.load(Ordering::SeqCst) < 6_000 {
        assert!(Instant::now() < deadline, "the upload did not progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    p.kill9();
    let outcome = upload.join().unwrap();
    assert!(
        !matches!(outcome, Ok(200)),
        "the killed upload was acknowledged: {outcome:?}"
    );

    // Restart: the index opens, every acknowledged article is there and unchanged.
    let p = Process::serve(&dir);
    for (id, before) in &stored {
        let (status, after) = get_json(&client, &p, id);
        assert_eq!(status, 200, "acknowledged article {id} was lost");
        assert_eq!(&after, before, "acknowledged article {id} changed");
    }
    // Whatever of the killed upload is visible is whole: its GET works and matches its source.
    eprintln!("restarted at {:?}", started.elapsed());
    let mut visible = 0;
    for i in (0..20_000).step_by(4) {
        let id = format!("k-{i}");
        let (status, got) = get_json(&client, &p, &id);
        match status {
            404 => {}
            200 => {
                visible += 1;
                let source = &stored[base[i % base.len()]["id"].as_str().unwrap()];
                for field in ["title", "body", "published_at", "tags", "entities"] {
                    assert_eq!(got[field], source[field], "{id}: torn `{field}`");
                }
            }
            other => panic!("GET {id}: {other}"),
        }
    }
    // Searches agree with GET: no document without its stored article, no duplicates.
    let r: Value = client
        .get(p.url("/search?q=&limit=0"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let total = r["total"].as_u64().unwrap() as usize;
    // Every 4th id was checked; a chunk is committed whole, so the visible ids are a prefix.
    assert!(total >= acked + visible, "{r}");
    assert!(total <= acked + 4 * visible + 4, "{r}");
    for i in 0..total - acked {
        let (status, got) = get_json(&client, &p, &format!("k-{i}"));
        assert_eq!(status, 200, "k-{i} is counted by search but not readable");
        let source = &stored[base[i % base.len()]["id"].as_str().unwrap()];
        assert_eq!(got["title"], source["title"]);
    }
    eprintln!(
        "killed upload: {} of 20000 articles visible after the restart ({:?})",
        total - acked,
        started.elapsed()
    );
}

/// Each article's vector is committed with it: acknowledged articles' related answers (hits,
/// scores and `similarity`, which come from the stored vectors) are the same after a
/// `kill -9` as before it, and the hits' vectors are those of their text.
#[test]
fn vectors_survive_kill_9_with_their_articles() {
    let (_tmp, dir) = crate::common::tmp_index_dir();
    let client = client(Duration::from_secs(120));
    let articles = reuters(300);
    let mut p = Process::serve(&dir);
    upload(&client, &p, &articles);
    let related = |p: &Process| -> Vec<Value> {
        articles
            .iter()
            .step_by(15)
            .map(|a| {
                let id = a["id"].as_str().unwrap();
                let url = p.url(&format!("/articles/{id}/related?limit=5"));
                client.get(url).send().unwrap().json().unwrap()
            })
            .collect()
    };
    let before = related(&p);
    let hits: usize = before
        .iter()
        .map(|v| v["hits"].as_array().unwrap().len())
        .sum();
    assert!(hits >= 20, "too few related hits to tell: {before:?}");
    for v in &before {
        for hit in v["hits"].as_array().unwrap() {
            assert!(hit["similarity"].as_f64().is_some(), "{hit}");
        }
    }
    // Acknowledged means committed: kill right away, without a graceful shutdown.
    p.kill9();
    let p = Process::serve(&dir);
    assert_eq!(related(&p), before);
}

/// A tmpfs mounted for the test and unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let parent = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs {
            dir,
            _parent: parent,
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Text that does not compress much, so the disk fills in a few writes.
fn noise(seed: u64, words: usize) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = String::with_capacity(words * 8);
    for _ in 0..words {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 3 + (x % 7) as usize;
        for k in 0..len {
            out.push((b'a' + ((x >> (k * 5)) % 26) as u8) as char);
        }
        out.push(' ');
    }
    out
}

fn put_status(
    client: &reqwest::blocking::Client,
    p: &Process,
    id: &str,
    body: &str,
) -> (u16, Value) {
    match client
        .put(p.url(&format!("/articles/{id}")))
        .json(&json!({"title": format!("Article {id}"), "body": body}))
        .send()
    {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().unwrap_or(Value::Null))
        }
        Err(e) => panic!("PUT {id}: {e}"),
    }
}

#[test]
fn disk_full_fails_writes_with_5xx_keeps_acknowledged_ones_and_recovers() {
    let fs = match Tmpfs::mount("8m") {
        Ok(fs) => fs,
        Err(reason) => {
            eprintln!("skipping the disk-full test: cannot mount a tmpfs: {reason}");
            return;
        }
    };
    let filler = fs.dir.join("filler");
    std::fs::write(&filler, vec![0u8; 3 << 20]).unwrap();
    let index: &Path = &fs.dir.join("index");
    let client = client(Duration::from_secs(60));
    let mut p = Process::serve(index);

    let mut acked = Vec::new();
    let mut failure = None;
    for i in 0..2_000 {
        let id = format!("f-{i}");
        let (status, v) = put_status(&client, &p, &id, &noise(i, 5_000));
        match status {
            200 => acked.push(id),
            _ => {
                failure = Some((status, v));
                break;
            }
        }
    }
    let (status, v) = failure.expect("8 MB never filled up");
    assert!(status >= 500, "a full disk answered {status}: {v}");
    assert!(v["error"]["code"].is_string(), "not a JSON error: {v}");
    assert!(
        !acked.is_empty(),
        "nothing was written before the disk filled"
    );
    eprintln!(
        "disk full after {} acknowledged writes: {status} {v}",
        acked.len()
    );

    // Nothing acknowledged is lost, and the server still answers.
    let check = |p: &Process, acked: &[String]| {
        for id in acked {
            let (status, got) = get_json(&client, p, id);
            assert_eq!(status, 200, "acknowledged {id} lost");
            assert_eq!(got["title"], format!("Article {id}"));
        }
    };
    check(&p, &acked);
    // More writes while full keep failing cleanly (no hang, no crash).
    for i in 0..3 {
        let (status, v) = put_status(&client, &p, &format!("full-{i}"), &noise(9_000 + i, 5_000));
        assert!(status == 200 || status >= 500, "{status} {v}");
    }

    // Free space: writes succeed again.
    std::fs::remove_file(&filler).unwrap();
    let mut recovered = None;
    for attempt in 0..10 {
        let id = format!("after-{attempt}");
        let (status, v) = put_status(&client, &p, &id, "space again");
        if status == 200 {
            recovered = Some(id);
            break;
        }
        eprintln!("write after freeing space, attempt {attempt}: {status} {v}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let id = recovered.expect("writes did not recover after space was freed");
    acked.push(id);
    let (status, _) = put_status(&client, &p, "after-more", "and again");
    assert_eq!(status, 200);
    acked.push("after-more".into());
    check(&p, &acked);

    // And all of it survives a crash.
    p.kill9();
    let p = Process::serve(index);
    check(&p, &acked);
}
