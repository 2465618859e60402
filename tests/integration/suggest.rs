//! `GET /suggest`: completions while typing, over titles, entities, authors and tags.

use serde_json::{json, Value};

use crate::common::{error_message, TestServer};

async fn server() -> TestServer {
    let s = TestServer::start().await;
    let docs = json!([
        {"id": "p1", "title": "Talks in Pyŏngyang stall", "authors": ["Ashlee Durgan"], "published_at": "2024-06-20",
         "tags": ["world/asia"], "entities": [{"name": "Pyŏngyang", "type": "place"}, {"name": "Victor Cha", "type": "person"}]},
        {"id": "p2", "title": "Pyongyang signs defense pact", "authors": ["Ashlee Durgan"], "published_at": "2024-06-22",
         "tags": ["world/asia", "defense"], "entities": [{"name": "Pyŏngyang", "type": "place"}]},
        {"id": "p3", "title": "Beijing weighs its options", "authors": ["Danny Russel"], "published_at": "2024-06-23",
         "tags": ["world/asia"], "entities": [{"name": "Beijing", "type": "place"}, {"name": "Victor Cha", "type": "person"}]},
        {"id": "p4", "title": "Government budget approved", "authors": ["Bob Roe"], "published_at": "2023-01-01", "tags": ["politics"]},
    ]);
    let (status, _) = s.post_json("/articles", &docs).await;
    assert_eq!(status, 200);
    s
}

async fn suggest(s: &TestServer, q: &str) -> Vec<Value> {
    let r = s
        .client
        .get(s.url("/suggest"))
        .query(&[("q", q), ("limit", "8")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["suggestions"].as_array().unwrap().clone()
}

fn find<'a>(list: &'a [Value], kind: &str, value: &str) -> Option<&'a Value> {
    list.iter()
        .find(|s| s["kind"] == kind && s["value"] == value)
}

#[tokio::test]
async fn prefixes_complete_titles_entities_authors_and_tags() {
    let s = server().await;
    let list = suggest(&s, "pyong").await;
    let place = find(&list, "entity", "Pyŏngyang").expect("entity suggested, accent-insensitive");
    assert_eq!(
        (place["type"].as_str(), place["count"].as_u64()),
        (Some("place"), Some(2))
    );
    assert_eq!(place["highlighted"], "<mark>Pyŏng</mark>yang");
    let title = find(&list, "title", "Pyongyang signs defense pact").expect("title suggested");
    assert_eq!(title["id"], "p2");
    assert!(find(&list, "title", "Talks in Pyŏngyang stall").is_some());

    let list = suggest(&s, "ashl").await;
    assert_eq!(find(&list, "author", "Ashlee Durgan").unwrap()["count"], 2);
    let list = suggest(&s, "defen").await;
    assert!(find(&list, "tag", "defense").is_some());
    // A later word of a value completes it too.
    let list = suggest(&s, "cha").await;
    assert!(find(&list, "entity", "Victor Cha").is_some(), "{list:?}");
}

#[tokio::test]
async fn earlier_words_are_whole_and_the_last_a_prefix() {
    let s = server().await;
    let list = suggest(&s, "pyongyang sig").await;
    let titles: Vec<&str> = list
        .iter()
        .filter(|s| s["kind"] == "title")
        .map(|s| s["value"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Pyongyang signs defense pact"]);
    assert!(
        suggest(&s, "pyong sig")
            .await
            .iter()
            .all(|s| s["kind"] != "title"),
        "an earlier word is not a prefix"
    );
}

#[tokio::test]
async fn typos_and_prefix_together() {
    let s = server().await;
    // One transposition in a 5-letter prefix.
    let list = suggest(&s, "pyogn").await;
    assert!(find(&list, "entity", "Pyŏngyang").is_some(), "{list:?}");
    // A typo in a whole word plus a prefix.
    let list = suggest(&s, "goverment bud").await;
    assert!(
        find(&list, "title", "Government budget approved").is_some(),
        "{list:?}"
    );
    // Exact matches come before typo matches.
    let list = suggest(&s, "beij").await;
    assert_eq!(list[0]["value"], "Beijing");
}

#[tokio::test]
async fn odd_and_non_latin_input() {
    let s = server().await;
    for q in ["", " ", "北京", "Пхеньян", "🙂", "\"", "a", "((("] {
        let r = s
            .client
            .get(s.url("/suggest"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{q:?}");
    }
    let (status, v) = s.get("/suggest?q=x&limit=0").await;
    assert_eq!(status, 400);
    assert!(error_message(&v, "bad_request").contains("`limit`"));
    let (status, v) = s.get("/suggest?q=x&colour=red").await;
    assert_eq!(status, 400);
    assert!(error_message(&v, "bad_request").contains("`colour`"));
    let long = "x".repeat(201);
    let (status, _) = s.get(&format!("/suggest?q={long}")).await;
    assert_eq!(status, 400);
}
