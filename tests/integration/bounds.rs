//! Work that outlives its request (issue #17, item 2): a search stops at its deadline and
//! gives its permit back, uploads and connections are bounded, a client has limited time to
//! send its headers, and every bound shows in `/metrics`.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{error_message, ndjson, reuters, TestServer};

/// `newsindex_limit_*{limit="NAME"}` and other plain series of `/metrics`.
async fn metric(s: &TestServer, series: &str) -> f64 {
    let text = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics"))
}

/// A search that takes seconds on a few thousand articles: an OR of the corpus's `n` commonest
/// words, each a clause on every text field, analysed in three languages. A `POST /search`
/// body, which has no length limit but the server's (a URI stops at 64 KB).
fn costly_search(docs: &[Value], n: usize) -> Value {
    let mut freq = std::collections::HashMap::<String, usize>::new();
    for d in docs {
        let body = d["body"].as_str().unwrap_or("");
        for w in body
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.len() > 2)
        {
            *freq.entry(w.to_lowercase()).or_default() += 1;
        }
    }
    let mut vocab: Vec<_> = freq.into_iter().collect();
    vocab.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let words: Vec<String> = vocab.into_iter().take(n).map(|v| v.0).collect();
    serde_json::json!({
        "q": words.join(" OR "),
        "language": ["en", "de", "fr"],
        "facets": ["tags", "authors", "entities"],
        "limit": 100,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_slow_searches_stop_at_their_deadline_and_health_keeps_answering() {
    let s = TestServer::start_with(|c| {
        c.limits.request_timeout_secs = 1;
        c.limits.max_query_chars = 400_000;
        c.limits.max_query_words = 40_000;
    })
    .await;
    let docs = reuters(5_000);
    let (status, v) = s.post_ndjson(ndjson(&docs)).await;
    assert_eq!(status, 200, "{v}");
    // A query that one search alone cannot finish within its 1 s deadline, on this machine
    // and build (a release build runs 1,000 words in well under a second): doubled until one
    // search is stopped at its deadline.
    let mut words = 1_000;
    let search = loop {
        let search = costly_search(&docs, words);
        let (status, body) = s.post_json("/search", &search).await;
        if status == 503 && body["error"]["code"] == "unavailable" {
            break search;
        }
        assert_eq!(status, 200, "{body}");
        words *= 2;
        assert!(
            words <= 32_000,
            "no query of up to 32,000 words takes 1 s here"
        );
    };
    let url = s.url("/search");

    // The searches are sent from their own runtime, so that the server's runtime (this
    // test's) does only the server's work.
    let started = Instant::now();
    let searches = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let client = reqwest::Client::new();
            let tasks: Vec<_> = (0..50)
                .map(|_| {
                    let (client, url, search) = (client.clone(), url.clone(), search.clone());
                    tokio::spawn(async move {
                        let r = client
                            .post(url)
                            .json(&search)
                            .send()
                            .await
                            .expect("request");
                        let status = r.status().as_u16();
                        let body: Value = r.json().await.expect("JSON");
                        (status, body)
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        })
    });
    // While they run, /health answers at once, every time.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut slowest = Duration::ZERO;
    while started.elapsed() < Duration::from_millis(2_500) {
        let t = Instant::now();
        let (status, _) = s.get("/health").await;
        assert_eq!(status, 200);
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        slowest < Duration::from_millis(500),
        "/health took {slowest:?} under 50 slow searches"
    );
    let answers = tokio::task::spawn_blocking(move || searches.join().unwrap())
        .await
        .unwrap();
    let (mut timed_out, mut overloaded) = (0, 0);
    for (status, body) in answers {
        match status {
            200 => {}
            503 => match body["error"]["code"].as_str() {
                Some("unavailable") => timed_out += 1,
                Some("overloaded") => {
                    overloaded += 1;
                    let msg = error_message(&body, "overloaded");
                    assert!(msg.contains("limits.max_concurrent_searches"), "{msg}");
                }
                _ => panic!("{body}"),
            },
            other => panic!("{other}: {body}"),
        }
    }
    assert!(timed_out >= 1, "no search reached its 1 s deadline");
    assert!(
        overloaded >= 1,
        "50 searches on 16 permits were all admitted"
    );
    // The stopped searches gave their permits back soon after their deadline, not after
    // running to their end: permits are free and a quick search is served.
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let in_use = metric(&s, "newsindex_limit_in_use{limit=\"searches\"}").await;
        if in_use == 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{in_use} searches still hold permits {:?} after the 50 started",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, v) = s.get("/search?q=cocoa").await;
    assert_eq!(status, 200, "{v}");
    assert!(metric(&s, "newsindex_search_deadline_stops_total").await >= timed_out as f64);
    assert!(metric(&s, "newsindex_limit_rejected_total{limit=\"searches\"}").await >= 1.0);
    s.stop().await;
}

#[tokio::test]
async fn uploads_are_bounded_and_shown_in_metrics() {
    let s = TestServer::start_with(|c| c.limits.max_concurrent_uploads = 1).await;
    for name in ["searches", "work", "uploads", "connections"] {
        let max = metric(&s, &format!("newsindex_limit_max{{limit=\"{name}\"}}")).await;
        assert!(max >= 1.0, "{name}");
    }
    // An upload that is still sending holds the one permit...
    let (tx, first) = hold_an_upload(&s).await;
    // ...so another is refused at once, naming the limit.
    let (status, v) = s
        .post_ndjson("{\"id\":\"u2\",\"title\":\"Two\"}\n".into())
        .await;
    assert_eq!(status, 503, "{v}");
    let msg = error_message(&v, "overloaded");
    assert!(msg.contains("limits.max_concurrent_uploads"), "{msg}");
    assert_eq!(
        metric(&s, "newsindex_limit_rejected_total{limit=\"uploads\"}").await,
        1.0
    );
    drop(tx);
    let r = first.await.unwrap();
    assert_eq!(r.status(), 200);
    // Once it is done, the next is taken.
    let (status, v) = s
        .post_ndjson("{\"id\":\"u2\",\"title\":\"Two\"}\n".into())
        .await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(1)), "{v}");
    s.stop().await;
}

/// `newsindex ingest --server` refused for a busy server (its one upload permit held) waits as
/// the `503`'s `Retry-After` says and sends the batch again, instead of giving up.
#[tokio::test]
async fn cli_ingest_waits_for_a_busy_server() {
    let s = TestServer::start_with(|c| c.limits.max_concurrent_uploads = 1).await;
    let (tx, first) = hold_an_upload(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.ndjson");
    std::fs::write(&file, ndjson(&reuters(300))).unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args(["ingest", "--quiet", "--server", &s.url("")])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn newsindex ingest");
    // Refused at least once while the permit is held...
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(&s, "newsindex_limit_rejected_total{limit=\"uploads\"}").await < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the CLI never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(tx);
    assert_eq!(first.await.unwrap().status(), 200);
    // ...and every article stored once it is free.
    let out = tokio::task::spawn_blocking(move || cli.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("indexed 300 articles, 0 failed"),
        "{stdout}"
    );
    assert!(stderr.contains("server busy (503"), "{stderr}");
    assert!(stderr.contains("limits.max_concurrent_uploads"), "{stderr}");
    let (status, _) = s.get("/articles/reuters-300").await;
    assert_eq!(status, 200);
    s.stop().await;
}

/// An upload that has sent one article and goes on sending until `tx` is dropped, holding an
/// upload permit (once this returns) until then; its answer from the handle.
async fn hold_an_upload(
    s: &TestServer,
) -> (
    tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    tokio::task::JoinHandle<reqwest::Response>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let req = s
        .client
        .post(s.url("/articles"))
        .header("content-type", "application/x-ndjson")
        .body(reqwest::Body::wrap_stream(tokio_stream(rx)));
    let answer = tokio::spawn(async move { req.send().await.expect("send") });
    tx.send(Ok(b"{\"id\":\"u1\",\"title\":\"One\"}\n".to_vec()))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(s, "newsindex_limit_in_use{limit=\"uploads\"}").await < 1.0 {
        assert!(Instant::now() < deadline, "the upload never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (tx, answer)
}

/// A receiver as a stream of body chunks.
fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn half_sent_headers_are_cut_off_and_connections_are_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start_with(|c| {
        c.limits.header_read_timeout_secs = 1;
        c.limits.max_connections = 2;
    })
    .await;
    // Two clients that never finish their headers hold both connections...
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x")
            .await
            .unwrap();
        stalled.push(tcp);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ...so a third waits for one of them to be closed at the header timeout.
    let started = Instant::now();
    let (status, _) = s.get("/health").await;
    assert_eq!(status, 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(600),
        "served in {waited:?} past the 2-connection cap"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    // The stalled clients were cut off, not left hanging.
    for mut tcp in stalled {
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), tcp.read_to_end(&mut out)).await;
        assert!(
            read.is_ok(),
            "a half-sent request still holds its connection"
        );
    }
    assert!(metric(&s, "newsindex_limit_rejected_total{limit=\"connections\"}").await >= 1.0);
    s.stop().await;
}
