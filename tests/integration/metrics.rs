//! `GET /metrics` in the Prometheus text format: requests and latency by matched route (never
//! the raw URI), documents, commits and their durations, index size.

use serde_json::json;

use crate::common::TestServer;

#[tokio::test]
async fn metrics_scrape_has_routes_documents_and_commits() {
    let s = TestServer::start().await;
    let (status, _) = s
        .put("/articles/raw-id-123", &json!({"title": "Metrics"}))
        .await;
    assert_eq!(status, 200);
    for path in [
        "/articles/raw-id-123",
        "/articles/raw-id-456",
        "/search?q=metrics",
        "/no/such/route-789",
    ] {
        s.client.get(s.url(path)).send().await.unwrap();
    }
    let r = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain"), "{ct}");
    let text = r.text().await.unwrap();
    for want in [
        r#"newsindex_http_requests_total{route="/articles/{id}",method="PUT",status="200"}"#,
        r#"newsindex_http_requests_total{route="/articles/{id}",method="GET",status="200"}"#,
        r#"newsindex_http_requests_total{route="/articles/{id}",method="GET",status="404"}"#,
        r#"newsindex_http_requests_total{route="/search",method="GET",status="200"}"#,
        r#"newsindex_http_requests_total{route="unmatched",method="GET",status="404"}"#,
        r#"newsindex_http_request_duration_seconds_bucket{route="/search",method="GET",status="200",le="+Inf"}"#,
        "newsindex_articles 1\n",
        "newsindex_index_bytes ",
        "# TYPE newsindex_commit_duration_seconds histogram",
        "newsindex_commit_duration_seconds_count ",
        "newsindex_commits_total ",
        "newsindex_resident_memory_bytes ",
    ] {
        assert!(text.contains(want), "missing `{want}` in\n{text}");
    }
    // Raw URIs never become labels.
    for leak in ["raw-id-123", "raw-id-456", "route-789", "q=metrics"] {
        assert!(!text.contains(leak), "`{leak}` leaked into the metrics");
    }
    // Every sample line is `name{labels} number` or `name number`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "bad sample line: {line}");
    }
    let count = text
        .lines()
        .find(|l| l.starts_with("newsindex_commit_duration_seconds_count "))
        .unwrap();
    assert_ne!(count, "newsindex_commit_duration_seconds_count 0", "{text}");
}
