//! TLS to the cluster (issue #18): `https://` node URLs, verified against `backend.ca_file`.
//!
//! The test nodes have no security plugin, so no TLS of their own: a TLS-terminating proxy made
//! here stands where a site's https endpoint would, with a throwaway CA and a certificate for
//! 127.0.0.1 that rcgen makes at test time (nothing in the fixtures to expire), forwarding the
//! bytes to the node's HTTP port.
//!
//! The refusals need no node (the handshake fails before anything is forwarded) and always
//! run. The round trip needs a node, which `scripts/opensearch` starts; without `java` or `mvn`
//! on PATH it says so and passes, unless `NEWSINDEX_REQUIRE_OPENSEARCH=1` (as tests/opensearch.rs).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use newsindex::article::EntitiesSource;
use newsindex::config::{BackendConfig, BackendKind, Config, Overrides};
use newsindex::error::ErrorCode;
use newsindex::opensearch::OpenSearchBackend;
use newsindex::query::{SearchParams, SearchPlan};
use newsindex::{Article, Error};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

// --- A CA, a server certificate and a TLS proxy -------------------------------------------

/// A throwaway CA (its certificate as PEM) and a certificate it signed for `names`.
struct Pki {
    ca_pem: String,
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn pki(names: &[&str]) -> Pki {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "newsindex test CA");
    ca.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let ca_pem = ca.self_signed(&ca_key).expect("ca cert").pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);

    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut leaf = rcgen::CertificateParams::new(names).expect("leaf params");
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "opensearch node");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf cert");
    Pki {
        ca_pem,
        cert: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
    }
}

/// A TLS-terminating proxy on 127.0.0.1 in front of `upstream`; stopped when dropped.
struct Proxy {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

fn proxy(pki: &Pki, upstream: SocketAddr) -> Proxy {
    // The provider named: the test build has both ring and aws-lc-rs (fantoccini's), and
    // rustls will not pick one itself then.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.cert.clone()],
            PrivateKeyDer::Pkcs8(pki.key.clone_key()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut node) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut node).await;
            });
        }
    });
    Proxy {
        port,
        _runtime: runtime,
    }
}

fn config(url: &str, ca_file: Option<&Path>) -> BackendConfig {
    BackendConfig {
        kind: BackendKind::OpenSearch,
        urls: vec![url.to_string()],
        ca_file: ca_file.map(Path::to_path_buf),
        index: "news-tls".into(),
        shards: 1,
        replicas: 0,
        connect_timeout_secs: 2,
        request_timeout_secs: 10,
        ..Default::default()
    }
}

/// `connect` fails as the cluster being unavailable (a 503 to a client of the server, not a
/// 500 nor a panic); its message.
fn refusal(cfg: &BackendConfig) -> String {
    let err = OpenSearchBackend::connect(cfg).expect_err("the connection must fail");
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert_eq!(err.code(), ErrorCode::Unavailable);
    assert_eq!(err.code().status(), 503);
    let msg = err.to_string();
    eprintln!("refused: {msg}");
    assert!(msg.contains(&cfg.urls[0]), "names the node: {msg}");
    msg
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn refused_certificates_are_named() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(&["127.0.0.1"]);
    let ca = write_file(dir.path(), "ca.pem", &pki.ca_pem);
    let other_ca = write_file(dir.path(), "other.pem", &self::pki(&["127.0.0.1"]).ca_pem);
    // Nothing listens upstream: the handshake is all these checks reach.
    let dead = TcpListener::bind("127.0.0.1:0").expect("bind");
    let upstream = dead.local_addr().expect("addr");
    drop(dead);
    let proxy = proxy(&pki, upstream);
    let url = format!("https://127.0.0.1:{}", proxy.port);

    // Mozilla's roots do not hold the site's own CA.
    let msg = refusal(&config(&url, None));
    assert!(
        msg.contains("TLS handshake failed") && msg.contains("UnknownIssuer"),
        "{msg}"
    );
    assert!(msg.contains("set `backend.ca_file`"), "{msg}");

    // Nor does a CA that did not sign the node's certificate: here one of the same name with
    // another key, as when a site's CA is made again and the nodes keep the old certificates.
    let msg = refusal(&config(&url, Some(&other_ca)));
    assert!(msg.contains("BadSignature"), "{msg}");
    assert!(msg.contains("set `backend.ca_file`"), "{msg}");

    // The right CA, but a name the certificate does not hold.
    let by_name = format!("https://localhost:{}", proxy.port);
    let msg = refusal(&config(&by_name, Some(&ca)));
    assert!(msg.contains("not valid for name"), "{msg}");
    assert!(msg.contains("does not name this host"), "{msg}");

    // With the right CA the handshake passes: what fails then is the node behind (none).
    let msg = refusal(&config(&url, Some(&ca)));
    assert!(!msg.contains("TLS handshake failed"), "{msg}");

    // An https URL to a node that serves plain http.
    let plain = TcpListener::bind("127.0.0.1:0").expect("bind");
    let plain_port = plain.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        // Answers one connection as a plain-http OpenSearch would answer a TLS hello.
        if let Ok((mut tcp, _)) = plain.accept() {
            let mut hello = [0u8; 512];
            let _ = tcp.read(&mut hello);
            let _ = tcp.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    let msg = refusal(&config(&format!("https://127.0.0.1:{plain_port}"), None));
    assert!(msg.contains("plain http"), "{msg}");
    server.join().expect("plain server");
    eprintln!("refused_certificates_are_named: {:?}", started.elapsed());
}

// --- Through the proxy to a real node -------------------------------------------------------

#[path = "support/opensearch_nodes.rs"]
mod opensearch_nodes;
use opensearch_nodes::Nodes;

fn article(id: &str, title: &str, body: &str) -> Article {
    Article {
        id: id.into(),
        title: title.into(),
        summary: None,
        body: Some(body.into()),
        url: Some(format!("https://example.org/{id}")),
        authors: vec!["Ann Lee".into()],
        published_at: Some("2024-05-03T06:00:00Z".parse().expect("date")),
        tags: vec!["economy".into()],
        entities: vec![],
        entities_source: EntitiesSource::Given,
        language: Some("en".into()),
        language_source: None,
        views: Some(1),
        source: Some("Example Wire".into()),
        dateline: None,
    }
}

fn plan(query: &str) -> SearchPlan {
    let pairs = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let req = SearchParams::from_pairs(pairs)
        .expect("params")
        .into_request(&Config::default().limits)
        .expect("request");
    SearchPlan::new(&req).expect("plan")
}

#[test]
fn https_with_a_private_ca_to_a_real_node() {
    let Some(node) = Nodes::start(1, "newsindex-os-tls-test", "OpenSearch TLS test") else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(&["127.0.0.1", "localhost"]);
    let ca = write_file(dir.path(), "ca.pem", &pki.ca_pem);
    let upstream: SocketAddr = ([127, 0, 0, 1], node.base_port).into();
    let proxy = proxy(&pki, upstream);
    let url = format!("https://127.0.0.1:{}", proxy.port);

    // The configuration as a site writes it, loaded and checked as at start.
    let toml = format!(
        "[backend]\nkind = \"opensearch\"\nurls = [\"{url}\"]\nca_file = {:?}\nindex = \"news-tls\"\n\
         replicas = 0\nrequest_timeout_secs = 30\n",
        ca.display().to_string()
    );
    let file = write_file(dir.path(), "config.toml", &toml);
    let loaded = Config::load(Some(&file), &Default::default(), &Overrides::default())
        .expect("config with ca_file");

    // Creates the index, writes, reads and searches, all through TLS.
    let backend = OpenSearchBackend::open(&loaded.backend).expect("open over https");
    let articles = vec![
        article(
            "oil",
            "Oil prices climb as OPEC cuts output",
            "Oil prices rose on Friday after OPEC members agreed to cut output again.",
        ),
        article(
            "floods",
            "Floods hit towns across Europe",
            "Heavy rain flooded towns along several rivers.",
        ),
    ];
    let outcome = backend.bulk(&articles).expect("bulk over https");
    assert_eq!(outcome.indexed, 2, "{outcome:?}");
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(backend.get("oil").expect("get over https"), articles[0]);
    let found = backend.search(&plan("q=opec")).expect("search over https");
    let ids: Vec<&str> = found.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["oil"]);
    backend.delete("floods").expect("delete over https");
    let found = backend.search(&plan("q=rivers")).expect("search");
    assert!(found.hits.is_empty(), "{:?}", found.hits);

    // The same cluster without the CA: refused, naming the certificate problem.
    let msg = refusal(&config(&url, None));
    assert!(msg.contains("UnknownIssuer"), "{msg}");
    // An https URL straight to the node's plain-http port.
    let msg = refusal(&config(
        &format!("https://127.0.0.1:{}", node.base_port),
        None,
    ));
    assert!(msg.contains("plain http"), "{msg}");

    // A bad ca_file stops the start, naming the key and the file.
    let bad = write_file(dir.path(), "bad.pem", "not a certificate\n");
    let file = write_file(
        dir.path(),
        "bad.toml",
        &toml.replace(
            &format!("{:?}", ca.display().to_string()),
            &format!("{:?}", bad.display().to_string()),
        ),
    );
    let err = Config::load(Some(&file), &Default::default(), &Overrides::default())
        .expect_err("a bad ca_file")
        .to_string();
    assert!(
        err.contains("`backend.ca_file`") && err.contains(&bad.display().to_string()),
        "{err}"
    );

    backend.delete_index().expect("delete index");
    eprintln!(
        "https_with_a_private_ca_to_a_real_node: {:?} after the node's start",
        started.elapsed()
    );
}
