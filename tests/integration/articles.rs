//! Writing and reading articles: PUT, GET, replace, DELETE, batches, validation errors.

use serde_json::json;

use crate::common::{error_message, ndjson, reuters, TestServer};

fn article(id: &str, title: &str) -> serde_json::Value {
    json!({
        "id": id,
        "title": title,
        "summary": "China maintains silence on the new defense pact",
        "body": "In a move that has sent ripples through East Asia, Russia and North Korea signed a pact.",
        "url": "https://example.org/world/beijing-stance",
        "author": "Ashlee Durgan",
        "published_at": "2024-06-22T05:03:00+07:00",
        "tags": ["world/asia", "defense"],
        "entities": [{"name": "Victor Cha", "type": "person"}, "China"],
        "language": "EN",
        "views": 200,
        "source": "Example Wire",
        "dateline": "BEIJING, June 22"
    })
}

#[tokio::test]
async fn put_get_replace_delete() {
    let s = TestServer::start().await;
    let (status, v) = s
        .put(
            "/articles/beijing-stance",
            &article("beijing-stance", "Beijing's Cautious Stance"),
        )
        .await;
    assert_eq!(
        (status, &v),
        (200, &json!({"id": "beijing-stance", "result": "created"}))
    );

    let (status, got) = s.get("/articles/beijing-stance").await;
    assert_eq!(status, 200);
    assert_eq!(got["authors"], json!(["Ashlee Durgan"]));
    assert_eq!(got["published_at"], "2024-06-21T22:03:00Z");
    assert_eq!(got["language"], "en");
    assert_eq!(
        got["entities"],
        json!([{"name": "Victor Cha", "type": "person"}, {"name": "China", "type": "other"}])
    );
    assert_eq!(got["entities_source"], "given");

    // A GET answer can be PUT back as it is, and nothing changes.
    let (status, v) = s.put("/articles/beijing-stance", &got).await;
    assert_eq!((status, v["result"].as_str()), (200, Some("updated")));
    let (_, again) = s.get("/articles/beijing-stance").await;
    assert_eq!(again, got);

    // Replacing leaves exactly one version, the new one.
    let (status, _) = s
        .put(
            "/articles/beijing-stance",
            &article("beijing-stance", "A new headline"),
        )
        .await;
    assert_eq!(status, 200);
    let (_, found) = s.get("/search?q=headline").await;
    assert_eq!(found["total"], 1);
    let (_, old) = s.get("/search?q=cautious").await;
    assert_eq!(old["total"], 0);

    let (status, v) = s.delete("/articles/beijing-stance").await;
    assert_eq!(
        (status, v),
        (200, json!({"id": "beijing-stance", "result": "deleted"}))
    );
    let (status, v) = s.get("/articles/beijing-stance").await;
    assert_eq!(status, 404);
    error_message(&v, "not_found");
    let (status, _) = s.delete("/articles/beijing-stance").await;
    assert_eq!(status, 404);
    s.stop().await;
}

#[tokio::test]
async fn put_without_id_in_body_takes_the_path_id() {
    let s = TestServer::start().await;
    let (status, _) = s
        .put("/articles/x%2Fy", &json!({"title": "Slash in id"}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = s.get("/articles/x%2Fy").await;
    assert_eq!((status, v["id"].as_str()), (200, Some("x/y")));
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let s = TestServer::start().await;
    let cases: Vec<(serde_json::Value, u16, &str, &str)> = vec![
        (json!({"id": "a"}), 422, "unprocessable", "field `title`"),
        (
            json!({"id": "a", "title": ""}),
            422,
            "unprocessable",
            "field `title`",
        ),
        (
            json!({"id": "a", "title": "T", "titel": "x"}),
            400,
            "bad_request",
            "`titel`",
        ),
        (
            json!({"id": "a", "title": 5}),
            400,
            "bad_request",
            "field `title`",
        ),
        (
            json!({"id": "a", "title": "T", "published_at": "22/06/2024"}),
            422,
            "unprocessable",
            "field `published_at`",
        ),
        (
            json!({"id": "a", "title": "T", "entities": [{"name": "X", "type": "two words"}]}),
            422,
            "unprocessable",
            "field `entities[0].type`",
        ),
        (
            json!({"id": "a", "title": "T", "entities": [{"name": "X", "kind": "person"}]}),
            422,
            "unprocessable",
            "field `entities[0].kind`",
        ),
        (
            json!({"id": "a", "title": "T", "views": -3}),
            400,
            "bad_request",
            "field `views`",
        ),
        (
            json!({"id": "a", "title": "T", "tags": ["ok", 7]}),
            400,
            "bad_request",
            "field `tags[1]`",
        ),
        (
            json!({"id": "a", "title": "T", "authors": [""]}),
            422,
            "unprocessable",
            "field `authors[0]`",
        ),
        (
            json!({"id": "b", "title": "T"}),
            422,
            "unprocessable",
            "field `id`",
        ),
    ];
    for (body, status, code, needle) in cases {
        let (got, v) = s.put("/articles/a", &body).await;
        assert_eq!(got, status, "{body} -> {v}");
        let m = error_message(&v, code);
        assert!(
            m.contains(needle),
            "{body}: `{m}` should contain `{needle}`"
        );
    }
    let long = "x".repeat(257);
    let (status, v) = s
        .put(&format!("/articles/{long}"), &json!({"title": "T"}))
        .await;
    assert_eq!(status, 422);
    assert!(error_message(&v, "unprocessable").contains("at most 256"));

    let (status, v) = s
        .put_raw("/articles/a", "{\"id\": \"a\", \"title\": ")
        .await;
    assert_eq!(status, 400);
    error_message(&v, "bad_request");

    // Nothing of the above was stored.
    let (_, v) = s.get("/search").await;
    assert_eq!(v["total"], 0);
}

#[tokio::test]
async fn ndjson_batch_reports_bad_lines_and_keeps_good_ones() {
    let s = TestServer::start().await;
    let mut body = ndjson(&reuters(50));
    body.push_str("{\"id\": \"bad-1\"}\n");
    body.push_str("this is not json\n");
    body.push('\n');
    body.push_str("{\"id\": \"bad-2\", \"title\": \"T\", \"colour\": \"red\"}\n");
    body.push_str("{\"id\": \"good-last\", \"title\": \"No newline at the end\"}");
    let (status, v) = s.post_ndjson(body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["indexed"], 51);
    assert_eq!(v["failed"], 3);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors[0]["line"], 51);
    assert_eq!(errors[0]["id"], "bad-1");
    assert!(errors[0]["error"].as_str().unwrap().contains("`title`"));
    assert_eq!(errors[1]["line"], 52);
    assert_eq!(errors[2]["line"], 54);
    assert!(errors[2]["error"].as_str().unwrap().contains("`colour`"));

    let (_, stats) = s.get("/stats").await;
    assert_eq!(stats["articles"], 51);
    let (status, v) = s.get("/articles/good-last").await;
    assert_eq!(
        (status, v["title"].as_str()),
        (200, Some("No newline at the end"))
    );
}

#[tokio::test]
async fn json_array_batch() {
    let s = TestServer::start().await;
    let mut items = reuters(10);
    items.push(json!({"id": "no-title"}));
    let (status, v) = s.post_json("/articles", &json!(items)).await;
    assert_eq!(status, 200);
    assert_eq!(
        (v["indexed"].as_u64(), v["failed"].as_u64()),
        (Some(10), Some(1))
    );
    assert_eq!(v["errors"][0]["line"], 11);
    assert_eq!(v["errors"][0]["id"], "no-title");
}

#[tokio::test]
async fn an_overlong_ndjson_line_is_reported_and_the_rest_goes_on() {
    let s = TestServer::start_with(|c| c.limits.max_line_bytes = 1_000).await;
    let big = json!({"id": "big", "title": "T", "body": "x".repeat(5_000)});
    let body = format!(
        "{}\n{}\n{}\n",
        json!({"id": "a", "title": "A"}),
        big,
        json!({"id": "b", "title": "B"})
    );
    let (status, v) = s.post_ndjson(body).await;
    assert_eq!(status, 200);
    assert_eq!(
        (v["indexed"].as_u64(), v["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(v["errors"][0]["line"], 2);
    assert!(v["errors"][0]["error"]
        .as_str()
        .unwrap()
        .contains("max_line_bytes"));
}

#[tokio::test]
async fn oversized_single_article_is_413() {
    let s = TestServer::start_with(|c| c.limits.max_body_bytes = 1_000).await;
    let (status, v) = s
        .put(
            "/articles/a",
            &json!({"title": "T", "body": "x".repeat(5_000)}),
        )
        .await;
    assert_eq!(status, 413);
    error_message(&v, "payload_too_large");
}

#[tokio::test]
async fn concurrent_writers_all_land() {
    let s = std::sync::Arc::new(TestServer::start().await);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let id = format!("w{w}-{i}");
                let (status, v) = s
                    .put(
                        &format!("/articles/{id}"),
                        &json!({"title": format!("writer {w} article {i}")}),
                    )
                    .await;
                assert_eq!((status, v["result"].as_str()), (200, Some("created")));
                // A 200 means visible: it must be readable right away.
                let (status, _) = s.get(&format!("/articles/{id}")).await;
                assert_eq!(status, 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (_, stats) = s.get("/stats").await;
    assert_eq!(stats["articles"], 200);
    // Group commit: 200 acknowledged writes needed fewer commits than writes.
    assert!(stats["commits"].as_u64().unwrap() < 200, "{stats}");
}

#[tokio::test]
async fn errors_are_json_everywhere() {
    let s = TestServer::start().await;
    let (status, v) = s.get("/nope").await;
    assert_eq!(status, 404);
    error_message(&v, "not_found");
    let r = s.client.patch(s.url("/articles/a")).send().await.unwrap();
    let (status, v) = crate::common::status_json(r).await;
    assert_eq!(status, 405);
    error_message(&v, "method_not_allowed");
    let r = s
        .client
        .put(s.url("/articles/a"))
        .header("content-type", "application/xml")
        .body("<a/>")
        .send()
        .await
        .unwrap();
    let (status, v) = crate::common::status_json(r).await;
    assert_eq!(status, 415);
    error_message(&v, "unsupported_media_type");
}

#[tokio::test]
async fn health_and_stats() {
    let s = TestServer::start().await;
    let (status, v) = s.get("/health").await;
    assert_eq!((status, v), (200, json!({"status": "ok"})));
    let (status, v) = s.get("/stats").await;
    assert_eq!(status, 200);
    assert_eq!(v["articles"], 0);
    assert!(v["index_bytes"].as_u64().is_some());
    s.put("/articles/a", &json!({"title": "T"})).await;
    let (_, v) = s.get("/stats").await;
    assert_eq!(v["articles"], 1);
    assert!(v["last_commit"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_malformed_or_empty_batch_is_a_400() {
    let s = TestServer::start().await;
    let post = |ct: &'static str, body: &'static str| {
        let req = s
            .client
            .post(s.url("/articles"))
            .header("content-type", ct)
            .body(body);
        async move { crate::common::status_json(req.send().await.expect("send")).await }
    };
    let (status, v) = post("application/json", r#"{"id": "a", "title": "#).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("line 1"),
        "{v}"
    );
    for ct in ["application/json", "application/x-ndjson"] {
        let (status, v) = post(ct, "").await;
        assert_eq!(status, 400, "{ct}: {v}");
        let (status, v) = post(ct, "  \n ").await;
        assert_eq!(status, 400, "{ct}: {v}");
    }
    // One article as JSON, and NDJSON with a bad line, still work as before.
    let (status, v) = post("application/json", r#"{"id": "one", "title": "One"}"#).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(1)), "{v}");
    let (status, v) = post(
        "application/x-ndjson",
        "{\"id\": \"two\", \"title\": \"Two\"}\n{\"id\": \n",
    )
    .await;
    assert_eq!(
        (status, v["indexed"].as_u64(), v["failed"].as_u64()),
        (200, Some(1), Some(1)),
        "{v}"
    );
    s.stop().await;
}

#[tokio::test]
async fn health_is_503_once_the_writer_has_stopped() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = crate::common::test_config(dir.path());
    let index = {
        let (d, w) = (config.index_dir.clone(), config.writer.clone());
        tokio::task::spawn_blocking(move || newsindex::NewsIndex::open(&d, &w))
            .await
            .unwrap()
            .expect("open index")
    };
    let index = Arc::new(index);
    let server = newsindex::http::LocalServer::start(
        Arc::new(newsindex::backend::TantivyBackend::new(index.clone())),
        Arc::new(config),
    )
    .await
    .expect("start server");
    let url = format!("http://{}/health", server.addr);
    let get = || async {
        let r = reqwest::get(&url).await.expect("health");
        (
            r.status().as_u16(),
            r.json::<serde_json::Value>().await.expect("json"),
        )
    };
    assert_eq!(get().await, (200, json!({"status": "ok"})));
    // The writer thread stops (as when it dies): reads go on, writes could not be stored.
    let stopping = index.clone();
    tokio::task::spawn_blocking(move || stopping.shutdown_blocking())
        .await
        .unwrap()
        .expect("writer shutdown");
    let (status, v) = get().await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["status"], "unavailable", "{v}");
}

/// `GET /admin/export` lists every stored article, the last partial chunk of the stream too
/// (on OpenSearch the tail of an export was once cut off: 20,813 of Reuters' 20,841).
#[tokio::test]
async fn the_export_lists_every_article_to_the_last() {
    let s = TestServer::start().await;
    // Several 64 KB chunks and a partial one at the end.
    let docs = reuters(400);
    let (status, v) = s.post_ndjson(ndjson(&docs)).await;
    assert_eq!(status, 200, "{v}");
    let r = s.client.get(s.url("/admin/export")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(text.len() > 3 * 64 * 1024, "{} bytes", text.len());
    let mut ids: Vec<String> = text
        .lines()
        .map(|l| {
            let a: serde_json::Value = serde_json::from_str(l).expect("a whole JSON line");
            a["id"].as_str().expect("id").to_string()
        })
        .collect();
    ids.sort();
    let mut want: Vec<String> = docs
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    assert_eq!(ids, want);
    s.stop().await;
}
