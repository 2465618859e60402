//! Inputs whose cost grew faster than their size (issue #17, item 3). Each shape, 10 MB of it,
//! sent to the real binary: the server spends less than 2 s of CPU on it, and its memory (its
//! peak, `VmHWM` of the child process) grows by less than 100 MB. CPU time, not the wall
//! clock: a quadratic cost shows in both, but only the wall clock also counts the durable
//! commit's wait for the disk and the other tests sharing the machine's two cores (a linear
//! 10 MB line once took 2.07 s of wall clock under a loaded CI run).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{tmp_index_dir, Process};

const SIZE: usize = 10_000_000;

/// `VmHWM` (peak resident memory) of a process, in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM")
}

/// CPU time (user and system, all threads) a process has used. `/proc` counts it in USER_HZ
/// ticks, which the kernel fixes at 100 a second for every architecture's user space.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let after_name = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15, so 11 and 12 after the state (field 3).
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// Sends `body` to a fresh server and checks CPU time and memory; the status and JSON answer.
fn send(method: &str, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    assert!(body.len() >= SIZE, "{} bytes", body.len());
    let (_tmp, dir) = tmp_index_dir();
    let p = Process::serve(&dir);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    // Warm: the first request builds what every request shares.
    let r = client.get(p.url("/search?q=warm")).send().unwrap();
    assert_eq!(r.status(), 200);
    let before = peak_kib(p.child.id());
    let cpu_before = cpu_time(p.child.id());
    let started = Instant::now();
    let r = client
        .request(method.parse().unwrap(), p.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .expect("an answer");
    let took = started.elapsed();
    let status = r.status().as_u16();
    let v: Value = r.json().expect("JSON");
    let cpu = cpu_time(p.child.id()) - cpu_before;
    let grew_mb = (peak_kib(p.child.id()) - before) / 1024;
    eprintln!("{method} {path}: {cpu:?} of CPU, answered in {took:?}");
    assert!(
        cpu < Duration::from_secs(2),
        "{method} {path}: {cpu:?} of CPU (answered in {took:?}): {status} {v}"
    );
    assert!(grew_mb < 100, "{method} {path}: memory grew {grew_mb} MB");
    (status, v)
}

#[test]
fn a_long_facets_list_is_refused_naming_its_limit() {
    let mut body = String::from(r#"{"q":"x","facets":["#);
    while body.len() < SIZE {
        body.push_str(r#""tags","#);
    }
    body.push_str(r#""tags"]}"#);
    let (status, v) = send("POST", "/search", "application/json", body.into_bytes());
    assert_eq!(status, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("`facets`") && msg.contains("limits.max_facets"),
        "{msg}"
    );
}

#[test]
fn an_upload_of_only_whitespace_is_an_empty_body() {
    let body = b" \n\t\r\n ".repeat(SIZE / 6 + 1);
    let (status, v) = send("POST", "/articles", "application/x-ndjson", body);
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("empty"));
}

#[test]
fn a_long_ndjson_line_is_read_once() {
    // One line of 10 MB (under `limits.max_line_bytes`), arriving in many chunks.
    let mut body = b"{\"id\":\"first\",\"title\":\"First\"}\n".to_vec();
    body.extend(std::iter::repeat_n(b'x', SIZE));
    body.extend_from_slice(b"\n{\"id\":\"last\",\"title\":\"Last\"}\n");
    let (status, v) = send("POST", "/articles", "application/x-ndjson", body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["indexed"].as_u64(), v["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(v["errors"][0]["line"], 2);
}

#[test]
fn a_json_array_of_millions_of_values_is_refused_naming_its_limit() {
    let mut body = b"[".to_vec();
    body.extend(b"0,".repeat(SIZE / 2));
    body.extend_from_slice(b"0]");
    for ct in ["application/json", "application/x-ndjson"] {
        let (status, v) = send("POST", "/articles", ct, body.clone());
        assert_eq!(status, 413, "{ct}: {v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("limits.max_batch_items"), "{msg}");
    }
}

#[test]
fn a_tag_of_a_million_attributes_is_refused_naming_its_limit() {
    // html5ever checks each attribute against those before it: a quadratic cost, found by
    // reading the HTML reader after fuzzing it (session 7).
    let mut body = b"<html><head><title>Wide</title></head><body><br".to_vec();
    let mut i = 0u32;
    while body.len() < SIZE {
        body.extend(format!(" a{i}").as_bytes());
        i += 1;
    }
    body.extend(b">text</body></html>");
    let (status, v) = send("POST", "/articles", "text/html", body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["failed"], 1, "{v}");
    let error = v["errors"][0]["error"].as_str().unwrap();
    assert!(error.contains("more than 1000 attributes"), "{error}");
}

#[test]
fn a_page_of_self_closed_divs_is_too_deep() {
    let mut body = b"<html><head><title>Deep</title></head><body>".to_vec();
    body.extend(b"<div/>".repeat(SIZE / 6));
    let (status, v) = send("POST", "/articles", "text/html", body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["failed"], 1, "{v}");
    let error = v["errors"][0]["error"].as_str().unwrap();
    assert!(error.contains("deeper than"), "{error}");
}
