//! Writes from a web page, without keys (issue #17, item 1): a page on any site may send
//! `text/plain`, form-encoded or multipart bodies cross-site without a CORS preflight, and a
//! page whose name is rebound to 127.0.0.1 reaches the server with its own `Host`. So writes
//! take only types that need a preflight, a `Host` that does not name the server is refused
//! while no keys are configured, and the binary will not listen beyond loopback without keys.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{error_message, raw_request, status_json, tmp_index_dir, TestServer};

const ARTICLE: &str = r#"{"id":"csrf","title":"Written by a web page"}"#;

#[tokio::test]
async fn writes_refuse_content_types_a_page_can_send_cross_site() {
    let s = TestServer::start().await;
    for ct in [
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        for (method, path) in [("POST", "/articles"), ("PUT", "/articles/csrf")] {
            let mut req = s
                .client
                .request(method.parse().unwrap(), s.url(path))
                .body(ARTICLE);
            if let Some(ct) = ct {
                req = req.header("content-type", ct);
            }
            let (status, v) = status_json(req.send().await.unwrap()).await;
            assert_eq!(status, 415, "{method} {path} {ct:?}: {v}");
            let msg = error_message(&v, "unsupported_media_type");
            assert!(msg.contains("application/json"), "{msg}");
            if path == "/articles" {
                assert!(msg.contains("application/x-ndjson"), "{msg}");
                assert!(msg.contains("text/html"), "{msg}");
            }
        }
    }
    assert_eq!(
        s.get("/articles/csrf").await.0,
        404,
        "a refused write was stored"
    );

    // What needs a preflight is still taken.
    for (ct, id) in [
        ("application/json", "j"),
        ("application/json; charset=utf-8", "j2"),
        ("application/x-ndjson", "n"),
    ] {
        let r = s
            .client
            .post(s.url("/articles"))
            .header("content-type", ct)
            .body(format!(r#"{{"id":"{id}","title":"T"}}"#))
            .send()
            .await
            .unwrap();
        let (status, v) = status_json(r).await;
        assert_eq!((status, v["indexed"].as_u64()), (200, Some(1)), "{ct}: {v}");
    }
    let r = s
        .client
        .put(s.url("/articles/p"))
        .header("content-type", "application/json")
        .body(r#"{"title":"T"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .client
        .post(s.url("/articles?id=scraped"))
        .header("content-type", "text/x-scraped")
        .body("A headline\n\nSome text of the story.")
        .send()
        .await
        .unwrap();
    let (status, v) = status_json(r).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(1)), "{v}");
    s.stop().await;
}

#[tokio::test]
async fn without_keys_a_host_that_does_not_name_the_server_is_refused() {
    let s = TestServer::start_with(|c| c.allowed_hosts = vec!["news.example".into()]).await;
    let port = s.addr.port();
    let ndjson = [("Content-Type", "application/x-ndjson")];
    // DNS rebinding: the page's own name in Host, on the server's port.
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
        "evil.example".to_string(),
    ] {
        for (method, path, headers, body) in [
            ("GET", "/search?q=x", &[][..], &b""[..]),
            ("GET", "/health", &[][..], &b""[..]),
            ("POST", "/articles", &ndjson[..], ARTICLE.as_bytes()),
        ] {
            let (status, text) =
                raw_request(s.addr, method, path, Some(&host), headers, body).await;
            assert_eq!(status, 421, "{method} {path} Host {host}: {text}");
            let v: Value = serde_json::from_str(&text).expect("JSON");
            let msg = error_message(&v, "misdirected_request");
            assert!(msg.contains("allowed_hosts"), "{msg}");
        }
    }
    assert_eq!(s.get("/articles/csrf").await.0, 404);
    // The listen address in every loopback form, and a configured name.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("[::1]:{port}"),
        "news.example".to_string(),
        format!("news.example:{port}"),
    ] {
        let (status, text) = raw_request(s.addr, "GET", "/health", Some(&host), &[], b"").await;
        assert_eq!(status, 200, "Host {host}: {text}");
    }
    s.stop().await;

    // With keys, the key decides: no Host check.
    const ADMIN: &str = "admin-key-0123456789abcdef";
    let s = TestServer::start_with(|c| c.auth.admin_keys = vec![ADMIN.into()]).await;
    let auth = format!("Bearer {ADMIN}");
    let (status, text) = raw_request(
        s.addr,
        "PUT",
        "/articles/k",
        Some("news.elsewhere.example"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"title":"T"}"#,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    s.stop().await;
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The real binary on `0.0.0.0`: refused without keys, with a message that says why and what
/// to do; served with `--insecure-no-keys`, `NEWSINDEX_INSECURE_NO_KEYS` or a key.
#[test]
fn the_binary_listens_beyond_loopback_only_with_keys_or_the_flag() {
    let (_tmp, dir) = tmp_index_dir();
    let port = free_port();
    let listen = format!("0.0.0.0:{port}");
    let serve = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_newsindex"));
        cmd.args(["serve", "--no-demo", "--listen", &listen])
            .args(extra)
            .arg("--index")
            .arg(&dir)
            .env("RUST_LOG", "newsindex=warn")
            .env_remove("NEWSINDEX_ADMIN_KEY")
            .env_remove("NEWSINDEX_SEARCH_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().expect("spawn newsindex")
    };

    let mut child = serve(&[], &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server started on 0.0.0.0 without keys"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!status.success(), "{err}");
    assert!(
        err.contains("refusing to listen on 0.0.0.0") && err.contains("--insecure-no-keys"),
        "{err}"
    );

    for (extra, env) in [
        (&["--insecure-no-keys"][..], &[][..]),
        (&[][..], &[("NEWSINDEX_INSECURE_NO_KEYS", "true")][..]),
        (
            &[][..],
            &[("NEWSINDEX_ADMIN_KEY", "admin-key-0123456789abcdef")][..],
        ),
    ] {
        let mut child = serve(extra, env);
        let url = format!("http://127.0.0.1:{port}/health");
        let client = reqwest::blocking::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(&url).send() {
                assert_eq!(r.status(), 200);
                let v: Value = r.json().unwrap();
                assert_eq!(v["status"], json!("ok"));
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "{extra:?} {env:?}: the server exited"
            );
            assert!(Instant::now() < deadline, "{extra:?} {env:?}: no answer");
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
