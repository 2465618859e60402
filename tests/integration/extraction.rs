//! Entities extracted at ingest for articles sent without any, and `POST /extract`.

use serde_json::json;

use crate::common::{error_message, TestServer};

const SEED: &str = include_str!("../../data/seed-article.txt");

fn seed_article(id: &str) -> serde_json::Value {
    let (title, body) = SEED.split_once('\n').unwrap();
    json!({"id": id, "title": title.trim(), "body": body})
}

#[tokio::test]
async fn articles_without_entities_get_them_extracted_and_faceted() {
    let s = TestServer::start().await;
    let (status, _) = s.put("/articles/seed", &seed_article("seed")).await;
    assert_eq!(status, 200);
    let (_, a) = s.get("/articles/seed").await;
    assert_eq!(a["entities_source"], "extracted");
    let entities = a["entities"].as_array().unwrap();
    for (name, t) in [
        ("China", "place"),
        ("Victor Cha", "person"),
        ("UN Security Council", "org"),
    ] {
        assert!(
            entities.contains(&json!({"name": name, "type": t})),
            "{name} missing from {entities:?}"
        );
    }
    // Stored as if sent: filterable and counted.
    let (_, v) = s
        .get("/search?entity=victor%20cha&facets=entities.place&facet_limit=100")
        .await;
    assert_eq!(v["total"], 1);
    let places: Vec<&str> = v["facets"]["entities.place"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["value"].as_str().unwrap())
        .collect();
    assert!(
        places.contains(&"Pyongyang") && !places.contains(&"Beijing's"),
        "{places:?}"
    );
}

#[tokio::test]
async fn an_empty_entity_list_means_none() {
    let s = TestServer::start().await;
    let mut a = seed_article("seed");
    a["entities"] = json!([]);
    s.put("/articles/seed", &a).await;
    let (_, got) = s.get("/articles/seed").await;
    assert_eq!(got["entities_source"], "given");
    assert_eq!(got["entities"], json!([]));
}

#[tokio::test]
async fn post_extract_reads_text() {
    let s = TestServer::start().await;
    let (status, v) = s
        .post_json("/extract", &json!({"body": "Prime Minister Yasuhiro Nakasone met officials of the Bank of Japan in Tokyo on Tuesday."}))
        .await;
    assert_eq!(status, 200, "{v}");
    let names: Vec<&str> = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Yasuhiro Nakasone") && names.contains(&"Tokyo"),
        "{names:?}"
    );
    let (status, v) = s.post_json("/extract", &json!({})).await;
    assert_eq!(status, 422);
    error_message(&v, "unprocessable");
    let (status, v) = s.post_json("/extract", &json!({"text": "x"})).await;
    assert_eq!(status, 400);
    assert!(error_message(&v, "bad_request").contains("text"));
}
