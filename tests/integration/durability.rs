//! Process-level guarantees: an acknowledged write survives `kill -9`; SIGTERM drains and
//! exits 0; a restart after a crash opens the index without repair.

use serde_json::json;

use crate::common::{tmp_index_dir, Process};

fn put(client: &reqwest::blocking::Client, p: &Process, id: &str, title: &str) -> u16 {
    client
        .put(p.url(&format!("/articles/{id}")))
        .json(&json!({"title": title, "body": "acknowledged means durable"}))
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn get_status(client: &reqwest::blocking::Client, p: &Process, id: &str) -> u16 {
    client
        .get(p.url(&format!("/articles/{id}")))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let (_tmp, dir) = tmp_index_dir();
    let client = reqwest::blocking::Client::new();
    let mut acked = Vec::new();
    {
        let mut p = Process::serve(&dir);
        // Writers race the kill: only what was acknowledged before it is owed.
        let acked_so_far = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let client = client.clone();
                let url = p.url("");
                let acked_so_far = acked_so_far.clone();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..400 {
                        let id = format!("w{w}-{i}");
                        let r = client
                            .put(format!("{url}/articles/{id}"))
                            .json(&json!({"title": format!("article {id}")}))
                            .send();
                        match r {
                            Ok(r) if r.status().as_u16() == 200 => {
                                mine.push(id);
                                acked_so_far.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                            _ => break,
                        }
                    }
                    mine
                })
            })
            .collect();
        // Kill mid-stream: after some writes were acknowledged (a loaded machine may need
        // longer than the usual 700 ms for that), while the writers are still going.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        std::thread::sleep(std::time::Duration::from_millis(700));
        while acked_so_far.load(std::sync::atomic::Ordering::SeqCst) < 20
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        p.kill9();
        for h in handles {
            acked.extend(h.join().unwrap());
        }
    }
    assert!(
        !acked.is_empty(),
        "no write was acknowledged before the kill"
    );
    let p = Process::serve(&dir);
    for id in &acked {
        assert_eq!(
            get_status(&client, &p, id),
            200,
            "acknowledged article {id} was lost"
        );
    }
    // And the index is writable again after the crash.
    assert_eq!(put(&client, &p, "after-crash", "still works"), 200);
}

#[test]
fn sigterm_drains_and_exits_zero() {
    let (_tmp, dir) = tmp_index_dir();
    let client = reqwest::blocking::Client::new();
    let mut p = Process::serve(&dir);
    assert_eq!(put(&client, &p, "a", "before shutdown"), 200);
    let status = p.terminate();
    assert!(status.success(), "exit status {status:?}");
    let p = Process::serve(&dir);
    assert_eq!(get_status(&client, &p, "a"), 200);
}

#[test]
fn offline_ingest_refuses_an_index_held_by_a_server() {
    let (_tmp, dir) = tmp_index_dir();
    let _p = Process::serve(&dir);
    let file = dir.parent().unwrap().join("one.ndjson");
    std::fs::write(&file, "{\"id\":\"x\",\"title\":\"X\"}\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args(["ingest", "--quiet", "--index"])
        .arg(&dir)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in use by another process"), "{stderr}");
}

#[test]
fn cli_ingest_offline_then_search() {
    let (_tmp, dir) = tmp_index_dir();
    let file = dir.parent().unwrap().join("batch.ndjson");
    let lines = crate::common::reuters(200);
    let mut text = crate::common::ndjson(&lines);
    text.push_str("{\"id\":\"broken\"}\n");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args(["ingest", "--quiet", "--index"])
        .arg(&dir)
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("indexed 200 articles, 1 failed"),
        "{stdout}"
    );
    assert!(
        stderr.contains("batch.ndjson:201: [broken] field `title`: is required"),
        "{stderr}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args(["search", "cocoa", "--index"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("reuters-1 "), "{stdout}");
}

#[test]
fn cli_ingest_through_a_server() {
    let (_tmp, dir) = tmp_index_dir();
    let p = Process::serve(&dir);
    let file = dir.parent().unwrap().join("batch.json");
    std::fs::write(
        &file,
        serde_json::to_string(&crate::common::reuters(30)).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args(["ingest", "--quiet", "--server", &p.url("")])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("indexed 30 articles, 0 failed"), "{stdout}");
    let client = reqwest::blocking::Client::new();
    assert_eq!(get_status(&client, &p, "reuters-30"), 200);
}
