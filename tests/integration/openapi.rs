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

/// The document states the bounds the server enforces, from its configured limits: a server
/// with other limits documents those.
#[tokio::test]
async fn openapi_states_the_configured_bounds() {
    let s = TestServer::start_with(|c| {
        c.limits.max_limit = 42;
        c.limits.max_offset = 500;
        c.limits.max_facet_limit = 7;
        c.limits.max_facets = 3;
        c.limits.max_query_chars = 99;
    })
    .await;
    let (status, doc) = s.get("/openapi.json").await;
    assert_eq!(status, 200);
    let param = |path: &str, method: &str, name: &str| -> Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))["schema"]
            .clone()
    };
    let search = |name: &str| param("/search", "get", name);
    assert_eq!(search("limit")["maximum"], 42);
    assert_eq!(search("limit")["minimum"], 0);
    assert_eq!(search("offset")["maximum"], 500);
    assert_eq!(search("facet_limit")["minimum"], 1);
    assert_eq!(search("facet_limit")["maximum"], 7);
    assert_eq!(search("facets")["maxItems"], 3);
    assert_eq!(search("q")["maxLength"], 99);
    assert_eq!(
        search("sort")["enum"],
        serde_json::json!(["relevance", "newest", "oldest"])
    );
    let body = &doc["components"]["schemas"]["SearchParams"]["properties"];
    assert_eq!(body["limit"]["maximum"], 42);
    assert_eq!(body["offset"]["maximum"], 500);
    // A list in a body: one string, an array (bounded like the query's) or null.
    assert_eq!(body["facets"]["anyOf"][1]["maxItems"], 3);
    assert_eq!(
        param("/articles/{id}/related", "get", "limit")["maximum"],
        42
    );
    assert_eq!(
        doc["components"]["schemas"]["RelatedDraft"]["properties"]["limit"]["maximum"],
        42
    );
    assert_eq!(param("/suggest", "get", "limit")["maximum"], 50);

    // Bodies that must be sent are required; an article needs its id and title, and PUT takes
    // its id from the path (an `id` in the body must be the same).
    for (path, method) in [
        ("/search", "post"),
        ("/related", "post"),
        ("/extract", "post"),
        ("/articles", "post"),
        ("/articles/{id}", "put"),
        ("/admin/backup", "post"),
    ] {
        assert_eq!(
            doc["paths"][path][method]["requestBody"]["required"], true,
            "{method} {path}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ArticleInput"]["required"],
        serde_json::json!(["id", "title"])
    );
    assert!(schemas["ArticlePut"]["properties"].get("id").is_none());
    assert_eq!(
        doc["paths"]["/articles/{id}"]["put"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/ArticlePut"
    );
    assert_eq!(
        doc["paths"]["/articles/{id}"]["put"]["parameters"][0]["schema"]["maxLength"],
        256
    );

    // Without keys nothing asks for one.
    assert!(doc["paths"]["/search"]["get"].get("security").is_none());
}

/// With keys configured, each operation says whether it needs one, as the server decides.
#[tokio::test]
async fn openapi_states_which_operations_need_a_key() {
    let s = TestServer::start_with(|c| c.auth.admin_keys = vec!["k".repeat(32)]).await;
    let r = s.client.get(s.url("/openapi.json")).send().await.unwrap();
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    for (path, method) in [
        ("/search", "get"),
        ("/articles/{id}", "put"),
        ("/admin/export", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(
            op["security"],
            serde_json::json!([{"bearer": []}]),
            "{method} {path}"
        );
        assert!(op["responses"].get("401").is_some(), "{method} {path}");
    }
    assert!(doc["paths"]["/search"]["get"]["responses"]
        .get("403")
        .is_none());
    assert!(doc["paths"]["/articles/{id}"]["put"]["responses"]
        .get("403")
        .is_some());
    for (path, method) in [("/health", "get"), ("/openapi.json", "get"), ("/", "get")] {
        assert!(
            doc["paths"][path][method].get("security").is_none(),
            "{method} {path}"
        );
    }
}

/// A date bound outside the years tantivy can count (1677 to 2262, in nanoseconds) was a
/// panic, answered 500, in the date filter (found by schemathesis): it is a bound like any other.
#[tokio::test]
async fn far_dates_are_bounds_not_faults() {
    let s = TestServer::start().await;
    let (status, body) = s
        .put(
            "/articles/a",
            &serde_json::json!({"title": "Cocoa", "published_at": "1987-03-01"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for (q, total) in [
        ("from=0725-01-12", 1),
        ("to=0725-01-12", 0),
        ("from=0001-01-01&to=9999-12-31", 1),
        ("from=9000-01-01", 0),
        ("from=1000-01-01T00:00:00Z&facets=published_at:year", 1),
    ] {
        let (status, body) = s.get(&format!("/search?{q}")).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert_eq!(body["total"], total, "{q}: {body}");
    }
    let (status, body) = s
        .post_json("/search", &serde_json::json!({"to": "0725-01-12"}))
        .await;
    assert_eq!((status, body["total"].as_u64()), (200, Some(0)), "{body}");
    let (status, body) = s.get("/articles/a/related?from=0100-01-01").await;
    assert_eq!(status, 200, "{body}");
}

/// JSON does not tell `5` from `5.0` (nor does JSON Schema's `integer`), and many clients send
/// every number as a float: whole numbers are taken either way, fractions are refused.
#[tokio::test]
async fn whole_numbers_may_be_written_as_floats() {
    let s = TestServer::start().await;
    let (status, body) = s
        .put(
            "/articles/a",
            &serde_json::json!({"title": "Cocoa prices", "views": 999999999.0}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, article) = s.get("/articles/a").await;
    assert_eq!(article["views"], 999999999);
    let (status, body) = s
        .put(
            "/articles/b",
            &serde_json::json!({"title": "Cocoa", "views": 1.5}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("views"));
    // Past 2^53 - 1 a float reader no longer keeps the number exact.
    let (status, body) = s
        .put_raw(
            "/articles/b",
            r#"{"title": "Cocoa", "views": 9007199254740992}"#,
        )
        .await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = s
        .post_json("/search", &serde_json::json!({"q": "cocoa", "limit": 2.0}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .post_json("/search", &serde_json::json!({"q": "cocoa", "limit": 2.5}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = s
        .post_json(
            "/related",
            &serde_json::json!({"title": "Cocoa prices", "limit": 3.0}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The statuses `GET /openapi.json` lists for an operation.
async fn documented_statuses(s: &TestServer, method: &str, path: &str) -> BTreeSet<String> {
    let (status, doc) = s.get("/openapi.json").await;
    assert_eq!(status, 200);
    doc["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} has no responses"))
        .keys()
        .cloned()
        .collect()
}

/// A body over `limits.max_body_bytes` is a 413 on every endpoint that takes one article, a
/// query or a text, and each lists the 413 it answers.
#[tokio::test]
async fn an_oversized_body_is_a_documented_413() {
    let s = TestServer::start_with(|c| c.limits.max_body_bytes = 1_000).await;
    let long = "x".repeat(5_000);
    for (method, path, documented, body) in [
        (
            "put",
            "/articles/a",
            "/articles/{id}",
            serde_json::json!({"title": "T", "body": long}),
        ),
        ("post", "/search", "/search", serde_json::json!({"q": long})),
        (
            "post",
            "/related",
            "/related",
            serde_json::json!({"title": "T", "body": long}),
        ),
        (
            "post",
            "/extract",
            "/extract",
            serde_json::json!({"body": long}),
        ),
    ] {
        let r = s
            .client
            .request(method.to_uppercase().parse().unwrap(), s.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = serde_json::from_str(&r.text().await.unwrap()).expect("a JSON error");
        assert_eq!(status, 413, "{method} {path}: {v}");
        assert_eq!(v["error"]["code"], "payload_too_large", "{v}");
        let listed = documented_statuses(&s, method, documented).await;
        assert!(listed.contains("413"), "{method} {path} lists {listed:?}");
    }
}

/// `GET /admin/export` refuses a query parameter, as every endpoint refuses one it does not
/// take (an export asked for a format or a filter it has not must not answer everything), and
/// documents that 400.
#[tokio::test]
async fn the_export_refuses_a_parameter_it_does_not_take() {
    let s = TestServer::start().await;
    let (status, v) = s.get("/admin/export?format=zip").await;
    assert_eq!(status, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("`format`") && msg.contains("takes none"),
        "{msg}"
    );
    assert!(documented_statuses(&s, "get", "/admin/export")
        .await
        .contains("400"));
    let r = s.client.get(s.url("/admin/export")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
