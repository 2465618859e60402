//! Limits that protect the server: the search concurrency bound (503 + Retry-After, never
//! another error), the query word count and typo expansion bounds.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{error_message, ndjson, reuters, TestServer};

async fn loaded(tweak: impl FnOnce(&mut newsindex::config::Config)) -> TestServer {
    let s = TestServer::start_with(tweak).await;
    let (status, v) = s.post_ndjson(ndjson(&reuters(3_000))).await;
    assert_eq!(status, 200, "{v}");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn saturated_searches_get_503_with_retry_after_and_nothing_else() {
    let s = loaded(|c| c.limits.max_concurrent_searches = 1).await;
    let heavy = "/search?q=&facets=tags,authors,sources,entities,entities.person,\
                 published_at:day&facet_limit=1000&limit=100&highlight=true";
    let url = s.url(heavy);
    let tasks: Vec<_> = (0..48)
        .map(|_| {
            let client = s.client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let r = client.get(url).send().await.expect("request");
                let status = r.status().as_u16();
                let retry = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                let body: Value = r.json().await.expect("JSON");
                (status, retry, body)
            })
        })
        .collect();
    let (mut ok, mut overloaded) = (0, 0);
    for t in tasks {
        let (status, retry, body) = t.await.unwrap();
        match status {
            200 => ok += 1,
            503 => {
                overloaded += 1;
                assert!(retry.is_some(), "503 without Retry-After: {body}");
                assert_eq!(body["error"]["code"], "overloaded", "{body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(ok >= 1, "no search got through");
    assert!(
        overloaded >= 1,
        "48 concurrent searches on 1 permit were all served"
    );
    // The permit comes back: a lone search afterwards is served.
    let (status, _) = s.get("/search?q=oil").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn query_word_count_is_bounded() {
    let s = TestServer::start_with(|c| c.limits.max_query_words = 10).await;
    let q = ["oil"; 11].join("+");
    let (status, v) = s.get(&format!("/search?q={q}")).await;
    assert_eq!(status, 400);
    let msg = error_message(&v, "bad_request");
    assert!(msg.contains("`q`") && msg.contains("11 words"), "{msg}");
    let q = ["oil"; 10].join("+");
    let (status, _) = s.get(&format!("/search?q={q}")).await;
    assert_eq!(status, 200);
}

/// 100 long misspelled words (each one a distance-2 automaton over the dictionary, were they
/// all expanded) answer quickly: only the first few get typo tolerance.
#[tokio::test]
async fn typo_expansion_is_bounded() {
    let s = loaded(|_| {}).await;
    let words: Vec<String> = (0..100)
        .map(|i| format!("xqzvbnmwrt{}", (b'a' + (i % 26) as u8) as char))
        .collect();
    let started = Instant::now();
    let (status, v) = s.get(&format!("/search?q={}", words.join("+"))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["total"], 0);
    // The same for suggestions (at most 200 characters).
    let (status, v) = s
        .get(&format!("/suggest?q={}", words[..15].join("+")))
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}
