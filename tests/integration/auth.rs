//! Keys over real HTTP: the whole route × key matrix, keys from the environment of the real
//! binary (and never in its logs), and CORS for the configured origins.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{tmp_index_dir, TestServer};

const ADMIN: &str = "admin-key-0123456789abcdef";
const SEARCH: &str = "search-key-0123456789abcdef";
const ORIGIN: &str = "https://news.example";

#[derive(Clone, Copy, Debug)]
enum Key {
    None,
    Unknown,
    Search,
    Admin,
}

impl Key {
    fn header(self) -> Option<String> {
        match self {
            Key::None => None,
            Key::Unknown => Some("Bearer not-a-key-0123456789abcdef".into()),
            Key::Search => Some(format!("Bearer {SEARCH}")),
            Key::Admin => Some(format!("Bearer {ADMIN}")),
        }
    }
}

async fn keyed_server() -> TestServer {
    let s = TestServer::start_with(|c| {
        c.auth.admin_keys = vec![ADMIN.into()];
        c.auth.search_keys = vec![SEARCH.into()];
        c.auth.cors_origins = vec![ORIGIN.into()];
    })
    .await;
    // An article for the reads, written with the admin key.
    let r = s
        .client
        .put(s.url("/articles/a1"))
        .bearer_auth(ADMIN)
        .json(&json!({"title": "Cocoa prices rise", "body": "Cocoa prices rose in Ghana."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    s
}

async fn call(
    s: &TestServer,
    method: &str,
    path: &str,
    body: Option<&str>,
    key: Key,
) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = s.client.request(method, s.url(path));
    if let Some(h) = key.header() {
        req = req.header("authorization", h);
    }
    if let Some(b) = body {
        let ct = if path == "/articles" {
            "application/x-ndjson"
        } else {
            "application/json"
        };
        req = req.header("content-type", ct).body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// Every route with what each key gets: (method, path, body, none, unknown, search, admin).
/// The matrix of `shared/API.md` "Keys": `/health` and the page are open; a search key may
/// search, suggest, read articles and ask for related ones; everything else needs admin.
#[tokio::test]
async fn route_by_key_matrix() {
    let s = keyed_server().await;
    type Row = (&'static str, &'static str, Option<&'static str>, [u16; 4]);
    let table: &[Row] = &[
        ("GET", "/health", None, [200, 200, 200, 200]),
        ("GET", "/", None, [200, 200, 200, 200]),
        ("GET", "/assets/page.js", None, [200, 200, 200, 200]),
        ("GET", "/search?q=cocoa", None, [401, 401, 200, 200]),
        (
            "POST",
            "/search",
            Some(r#"{"q":"cocoa"}"#),
            [401, 401, 200, 200],
        ),
        ("GET", "/suggest?q=coc", None, [401, 401, 200, 200]),
        ("GET", "/articles/a1", None, [401, 401, 200, 200]),
        ("GET", "/articles/missing", None, [401, 401, 404, 404]),
        ("GET", "/articles/a1/related", None, [401, 401, 200, 200]),
        (
            "POST",
            "/related",
            Some(r#"{"title":"Cocoa","body":"Cocoa in Ghana"}"#),
            [401, 401, 200, 200],
        ),
        (
            "PUT",
            "/articles/a2",
            Some(r#"{"title":"Written"}"#),
            [401, 401, 403, 200],
        ),
        (
            "POST",
            "/articles",
            Some("{\"id\":\"a3\",\"title\":\"Batch\"}\n"),
            [401, 401, 403, 200],
        ),
        ("DELETE", "/articles/a2", None, [401, 401, 403, 200]),
        ("DELETE", "/articles/a2", None, [401, 401, 403, 404]),
        ("GET", "/stats", None, [401, 401, 403, 200]),
        ("GET", "/metrics", None, [401, 401, 403, 200]),
        // Unknown routes need admin, so a search key cannot probe for them.
        ("GET", "/nowhere", None, [401, 401, 403, 404]),
    ];
    for (method, path, body, expected) in table {
        for (i, key) in [Key::None, Key::Unknown, Key::Search, Key::Admin]
            .into_iter()
            .enumerate()
        {
            let (status, text) = call(&s, method, path, *body, key).await;
            assert_eq!(
                status, expected[i],
                "{method} {path} with {key:?} key: {text}"
            );
            if status >= 400 {
                let v: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
                let code = v["error"]["code"].as_str().unwrap_or("");
                let want = match status {
                    401 => "unauthorized",
                    403 => "forbidden",
                    404 => "not_found",
                    _ => code,
                };
                assert_eq!(code, want, "{method} {path} with {key:?}: {text}");
                assert!(v["error"]["message"].is_string(), "{text}");
            }
        }
    }
}

#[tokio::test]
async fn malformed_authorization_headers_are_401() {
    let s = keyed_server().await;
    for h in [
        ADMIN.to_string(),                 // no scheme
        format!("Basic {ADMIN}"),          // wrong scheme
        "Bearer ".to_string(),             // empty key
        format!("Bearer {ADMIN}x"),        // a longer key
        format!("Bearer {}", &ADMIN[1..]), // a shorter key
    ] {
        let r = s
            .client
            .get(s.url("/search?q=cocoa"))
            .header("authorization", &h)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "header `{h}`");
    }
    // Non-ASCII bytes in the header: still a plain 401.
    let r = s
        .client
        .get(s.url("/search?q=cocoa"))
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn no_keys_configured_serves_everyone() {
    let s = TestServer::start().await;
    let (status, _) = s.put("/articles/x", &json!({"title": "open"})).await;
    assert_eq!(status, 200);
    let (status, _) = s.get("/stats").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cors_preflight_from_an_allowed_origin_is_answered_without_a_key() {
    let s = keyed_server().await;
    for path in ["/search", "/articles/a1", "/suggest"] {
        let r = s
            .client
            .request(reqwest::Method::OPTIONS, s.url(path))
            .header("origin", ORIGIN)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], ORIGIN, "{path}");
        let allowed = h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(allowed.contains("authorization"), "{allowed}");
        let methods = h["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains("GET"), "{methods}");
    }
    // The real request from that origin with a search key carries the header too, and so
    // does its 401 (so the page can read the error).
    let r = s
        .client
        .get(s.url("/search?q=cocoa"))
        .header("origin", ORIGIN)
        .bearer_auth(SEARCH)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
    let r = s
        .client
        .get(s.url("/search?q=cocoa"))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
}

#[tokio::test]
async fn cors_origins_star_means_any_origin() {
    // It was a panic at start (tower-http's origin list refuses `*`).
    let s = TestServer::start_with(|c| c.auth.cors_origins = vec!["*".into()]).await;
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, s.url("/search"))
        .header("origin", "https://any.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    s.stop().await;
}

#[tokio::test]
async fn cors_from_a_disallowed_origin_gets_no_allow_origin() {
    let s = keyed_server().await;
    for origin in [
        "https://evil.example",
        "https://news.example.evil.example",
        "http://news.example",
        "null",
    ] {
        let r = s
            .client
            .request(reqwest::Method::OPTIONS, s.url("/search"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 500, "{origin}: {}", r.status());
        assert!(
            !r.headers().contains_key("access-control-allow-origin"),
            "{origin} was allowed: {:?}",
            r.headers()
        );
        let r = s
            .client
            .get(s.url("/search?q=cocoa"))
            .header("origin", origin)
            .bearer_auth(SEARCH)
            .send()
            .await
            .unwrap();
        assert!(!r.headers().contains_key("access-control-allow-origin"));
    }
}

/// The real binary: keys and origins from the environment; with keys in use and logging at
/// its most verbose (`--log-format json`), no key ever appears in the log, and every log line
/// is a JSON object.
#[test]
fn env_keys_work_and_are_never_logged() {
    let (_tmp, dir) = tmp_index_dir();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args([
            "--log-format",
            "json",
            "serve",
            "--no-demo",
            "--listen",
            &addr,
        ])
        .arg("--index")
        .arg(&dir)
        .env("RUST_LOG", "trace")
        .env("NEWSINDEX_ADMIN_KEY", ADMIN)
        .env("NEWSINDEX_SEARCH_KEY", SEARCH)
        .env(
            "NEWSINDEX_CORS_ORIGINS",
            format!("{ORIGIN}, https://other.example"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn newsindex");
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let client = reqwest::blocking::Client::new();
    let url = |p: &str| format!("http://{addr}{p}");
    let status = |r: reqwest::blocking::RequestBuilder| r.send().unwrap().status().as_u16();
    assert_eq!(status(client.get(url("/health"))), 200);
    assert_eq!(status(client.get(url("/search?q=x"))), 401);
    assert_eq!(
        status(client.get(url("/search?q=x")).bearer_auth(SEARCH)),
        200
    );
    assert_eq!(
        status(
            client
                .put(url("/articles/k1"))
                .bearer_auth(SEARCH)
                .json(&json!({"title": "no"}))
        ),
        403
    );
    assert_eq!(
        status(
            client
                .put(url("/articles/k1"))
                .bearer_auth(ADMIN)
                .json(&json!({"title": "yes"}))
        ),
        200
    );
    assert_eq!(status(client.get(url("/stats")).bearer_auth(ADMIN)), 200);
    let r = client
        .request(reqwest::Method::OPTIONS, url("/search"))
        .header("origin", "https://other.example")
        .header("access-control-request-method", "GET")
        .send()
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://other.example"
    );
    // A wrong key that shares a prefix with the real one is not logged either.
    assert_eq!(
        status(
            client
                .get(url("/search?q=x"))
                .bearer_auth("admin-key-0123456789WRONG")
        ),
        401
    );

    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let log = log.join().unwrap();
    assert!(log.contains("listening"), "no startup line in the log");
    for secret in [ADMIN, SEARCH, "0123456789abcdef", "0123456789WRONG"] {
        assert!(!log.contains(secret), "a key appears in the log");
    }
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let v: Result<Value, _> = serde_json::from_str(line);
        assert!(v.is_ok(), "a log line is not JSON: {line}");
    }
}
