//! `GET /openapi.json`: an OpenAPI 3 document of every route, open without a key.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::TestServer;

/// Every route of the router, as (method, path).
const ROUTES: [(&str, &str); 19] = [
    ("get", "/"),
    ("get", "/assets/page.js"),
    ("get", "/assets/page.css"),
    ("get", "/health"),
    ("get", "/stats"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/articles"),
    ("get", "/articles/{id}"),
    ("put", "/articles/{id}"),
    ("delete", "/articles/{id}"),
    ("get", "/search"),
    ("post", "/search"),
    ("post", "/extract"),
    ("get", "/suggest"),
    ("get", "/articles/{id}/related"),
    ("post", "/related"),
    ("get", "/admin/export"),
    ("post", "/admin/backup"),
];

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                out.insert((method.to_string(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let s = TestServer::start().await;
    let r = s.client.get(s.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).expect("JSON");
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(operations(&doc), expected);

    // Every path the router registers (read from its source) is documented, and no other.
    let source = include_str!("../../src/http/mod.rs");
    let routed: BTreeSet<String> = source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
        .map(String::from)
        .collect();
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(routed, documented);

    // The wire types are there, with the search parameters and the cursor.
    for schema in [
        "SearchResponse",
        "Hit",
        "FacetValue",
        "Snippets",
        "Article",
        "Entity",
        "SuggestResponse",
        "RelatedResponse",
        "ErrorBody",
        "BatchResult",
        "SearchParams",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "no schema {schema}"
        );
    }
    assert!(doc["components"]["schemas"]["SearchResponse"]["properties"]
        .get("next")
        .is_some());
    let params: Vec<&str> = doc["paths"]["/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in ["q", "tag", "facets", "sort", "limit", "offset", "after"] {
        assert!(params.contains(&name), "{name} in {params:?}");
    }
}

#[tokio::test]
async fn openapi_needs_no_key() {
    let s = TestServer::start_with(|c| c.auth.admin_keys = vec!["k".repeat(32)]).await;
    let r = s.client.get(s.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = s.client.get(s.url("/stats")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "other routes still need one");
}
