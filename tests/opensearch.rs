//! The OpenSearch backend against a real node (issue #18): `scripts/opensearch` starts one
//! node on loopback for this test and stops it at the end, also when a check fails.
//!
//! Without `java` or `mvn` on PATH the test says so and passes, unless
//! `NEWSINDEX_REQUIRE_OPENSEARCH=1`, which makes a missing tool a failure (CI's OpenSearch leg).

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use newsindex::article::{EntitiesSource, Entity};
use newsindex::config::Config;
use newsindex::opensearch::client::IndexState;
use newsindex::opensearch::{Client, OpenSearchBackend};
use newsindex::query::{SearchParams, SearchPlan, SearchResponse};
use newsindex::{Article, Error};

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// A node of its own, stopped when dropped (then its directory is removed).
struct Node {
    script: PathBuf,
    dir: tempfile::TempDir,
    url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let out = Command::new(&self.script)
            .arg("stop")
            .arg("--dir")
            .arg(self.dir.path())
            .output();
        if let Ok(out) = out {
            if !out.status.success() {
                eprintln!(
                    "stopping the OpenSearch node failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A base port whose HTTP port and transport port (base + 100) are both free.
fn free_base_port() -> u16 {
    for _ in 0..200 {
        let Ok(listener) = TcpListener::bind(("127.0.0.1", 0)) else {
            continue;
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        drop(listener);
        if port > 1024 && port < 65_000 && port_free(port) && port_free(port + 100) {
            return port;
        }
    }
    panic!("no free pair of ports for an OpenSearch node");
}

/// Starts a node, or `None` (after saying why) when Java or Maven is missing.
fn start_node() -> Option<Node> {
    let required = std::env::var("NEWSINDEX_REQUIRE_OPENSEARCH").is_ok_and(|v| v == "1");
    let missing: Vec<&str> = ["java", "mvn"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "OpenSearch tests skipped: {} not on PATH (scripts/opensearch needs Java 17 and Maven)",
            missing.join(" and ")
        );
        assert!(!required, "{msg}, and NEWSINDEX_REQUIRE_OPENSEARCH=1");
        // Straight to the process's stderr: the test harness captures `eprintln!`, and a
        // skipped leg must be seen in a plain `cargo test`.
        let _ = writeln!(std::io::stderr(), "{msg}");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/opensearch");
    let dir = tempfile::Builder::new()
        .prefix("newsindex-os-test")
        .tempdir()
        .expect("tempdir");
    let port = free_base_port();
    let node = Node {
        script,
        dir,
        url: format!("http://127.0.0.1:{port}"),
    };
    // The guard exists before the start, so that a half-started node is stopped too.
    let out = Command::new(&node.script)
        .args([
            "start",
            "--nodes",
            "1",
            "--base-port",
            &port.to_string(),
            "--dir",
        ])
        .arg(node.dir.path())
        .output()
        .expect("run scripts/opensearch");
    assert!(
        out.status.success(),
        "scripts/opensearch start failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(node)
}

fn date(s: &str) -> Option<DateTime<Utc>> {
    Some(s.parse().expect("date"))
}

#[allow(clippy::too_many_arguments)]
fn article(
    id: &str,
    lang: &str,
    title: &str,
    body: &str,
    authors: &[&str],
    tags: &[&str],
    entities: &[(&str, &str)],
    published: Option<&str>,
    source: &str,
) -> Article {
    Article {
        id: id.into(),
        title: title.into(),
        summary: None,
        body: Some(body.into()),
        url: Some(format!("https://example.org/{id}")),
        authors: authors.iter().map(|a| a.to_string()).collect(),
        published_at: published.and_then(date),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        entities: entities.iter().map(|(n, t)| Entity::new(*n, *t)).collect(),
        entities_source: EntitiesSource::Given,
        language: Some(lang.into()),
        language_source: None,
        views: Some(10),
        source: Some(source.into()),
        dateline: None,
    }
}

const OIL_TITLE: &str = "Oil prices climb as OPEC cuts output";
const OIL_BODY: &str = "Oil prices rose on Friday after OPEC members agreed to cut output again.";

fn corpus() -> Vec<Article> {
    let mut summary = article(
        "en-bank",
        "en",
        "Central bank holds interest rates",
        "The central bank kept its rates unchanged, citing slower inflation.",
        &["Bob Stone"],
        &["economy/finance"],
        &[("Federal Reserve", "org")],
        Some("2024-06-10T09:00:00Z"),
        "Example Wire",
    );
    summary.summary = Some("Rates stay where they are.".into());
    vec![
        article(
            "en-oil",
            "en",
            OIL_TITLE,
            OIL_BODY,
            &["Ann Lee"],
            &["economy/energy"],
            &[("OPEC", "org"), ("Saudi Arabia", "place")],
            Some("2024-05-03T06:00:00Z"),
            "Example Wire",
        ),
        // A wire copy of the same story: same words, another paper, two hours later.
        article(
            "en-oil-copy",
            "en",
            OIL_TITLE,
            OIL_BODY,
            &["Ann Lee"],
            &["economy/energy"],
            &[("OPEC", "org")],
            Some("2024-05-03T08:00:00Z"),
            "Other Paper",
        ),
        summary,
        article(
            "en-asia",
            "en",
            "Leaders meet in Beijing for trade talks",
            "Leaders from the region gathered in Beijing to discuss trade.",
            &["Ann Lee"],
            &["world/asia"],
            &[("China", "place"), ("Beijing", "place")],
            Some("2024-06-20T12:00:00Z"),
            "Daily News",
        ),
        article(
            "en-europe",
            "en",
            "Floods hit towns across Europe",
            "Heavy rain flooded towns along several rivers.",
            &["Carl Diaz"],
            &["world/europe"],
            &[],
            Some("2024-07-02T12:00:00Z"),
            "Daily News",
        ),
        article(
            "de-reg",
            "de",
            "Die Regierungen beraten über neue Gesetze",
            "In Berlin trafen sich die Vertreter der Regierungen am Montag.",
            &["Anna Müller"],
            &["world/europe"],
            &[("Berlin", "place")],
            Some("2024-06-15T10:00:00Z"),
            "Berliner Blatt",
        ),
        article(
            "de-wirt",
            "de",
            "Wirtschaft wächst langsamer",
            "Die deutsche Wirtschaft wuchs im Sommer langsamer als erwartet.",
            &["Anna Müller"],
            &["economy"],
            &[],
            Some("2024-07-20T10:00:00Z"),
            "Berliner Blatt",
        ),
        article(
            "zh-fm",
            "zh",
            "中国外交部发言人就贸易问题答记者问",
            "中国外交部发言人今天在例行记者会上回答了有关贸易的问题。",
            &["王伟"],
            &["world/asia"],
            &[("中国", "place")],
            Some("2024-06-21T03:00:00Z"),
            "Xinhua",
        ),
        article(
            "zh-stocks",
            "zh",
            "上海股市今日上涨",
            "上海股市今天收盘上涨，投资者信心增强。",
            &["李娜"],
            &["economy"],
            &[],
            Some("2024-07-05T08:00:00Z"),
            "Xinhua",
        ),
        article(
            "en-sports",
            "en",
            "Local team wins championship",
            "The local team won the national championship on Sunday.",
            &["Dana Park"],
            &["sports"],
            &[],
            Some("2024-07-15T20:00:00Z"),
            "Daily News",
        ),
        article(
            "en-nodate",
            "en",
            "Notes on energy markets",
            "A few notes on markets for energy, without a date.",
            &["Bob Stone"],
            &["economy/energy"],
            &[],
            None,
            "Example Wire",
        ),
    ]
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

fn search(backend: &OpenSearchBackend, query: &str) -> SearchResponse {
    backend
        .search(&plan(query))
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn ids(r: &SearchResponse) -> Vec<&str> {
    r.hits.iter().map(|h| h.id.as_str()).collect()
}

fn sorted_ids(r: &SearchResponse) -> Vec<&str> {
    let mut v = ids(r);
    v.sort_unstable();
    v
}

fn facet<'a>(r: &'a SearchResponse, key: &str) -> Vec<(&'a str, u64)> {
    r.facets[key]
        .iter()
        .map(|v| (v.value.as_str(), v.count))
        .collect()
}

#[test]
fn opensearch_backend_on_a_real_node() {
    let Some(node) = start_node() else { return };
    let client = Client::new(
        std::slice::from_ref(&node.url),
        Duration::from_secs(2),
        Duration::from_secs(30),
    );
    let backend = OpenSearchBackend::new(client, "news-test");

    // The index: created once, then found with our mapping version.
    assert_eq!(
        backend.create_index(1, 0).expect("create"),
        IndexState::Created
    );
    assert_eq!(
        backend.create_index(1, 0).expect("check"),
        IndexState::Existing
    );

    // Writes: visible at once; a failed item does not stop the others.
    let articles = corpus();
    let mut batch = articles.clone();
    // 200 characters, 600 bytes: a valid article, but over OpenSearch's 512-byte `_id`.
    batch.push(article(
        &"€".repeat(200),
        "en",
        "Too long an id",
        "x",
        &[],
        &[],
        &[],
        None,
        "x",
    ));
    // An author of 40 000 bytes: a keyword over Lucene's 32 766-byte term, refused by the
    // node for this article only.
    let mut immense = article("immense", "en", "Immense", "x", &[], &[], &[], None, "x");
    immense.authors = vec!["a".repeat(40_000)];
    batch.push(immense);
    let outcome = backend.bulk(&batch).expect("bulk");
    assert_eq!(outcome.indexed, articles.len(), "{outcome:?}");
    let failed: Vec<usize> = outcome.errors.iter().map(|e| e.0).collect();
    assert_eq!(failed, [articles.len(), articles.len() + 1], "{outcome:?}");
    assert!(outcome.errors[0].2.contains("too long"), "{outcome:?}");
    assert!(outcome.errors[1].2.contains("immense term"), "{outcome:?}");

    // GET returns what was sent.
    for a in &articles {
        assert_eq!(&backend.get(&a.id).expect("get"), a);
    }
    assert!(matches!(backend.get("nope"), Err(Error::NotFound(_))));

    // Words: all must match, in title, summary or body.
    let r = search(&backend, "q=central+rates&typos=false");
    assert_eq!(ids(&r), ["en-bank"]);
    let r = search(&backend, "q=interest+floods&typos=false");
    assert_eq!(r.total, 0);
    let r = search(&backend, "q=beijing+OR+floods&typos=false");
    assert_eq!(sorted_ids(&r), ["en-asia", "en-europe"]);
    let r = search(&backend, "q=leaders+-beijing&typos=false");
    assert_eq!(r.total, 0);
    let r = search(&backend, "q=%22trade+talks%22&typos=false");
    assert_eq!(ids(&r), ["en-asia"]);
    let r = search(&backend, "q=%22talks+trade%22&typos=false");
    assert_eq!(r.total, 0, "a phrase keeps its order");
    let r = search(&backend, "q=markets+author:%22bob+stone%22&typos=false");
    assert_eq!(ids(&r), ["en-nodate"]);
    // English stemming: `climbing` finds `climb`.
    let r = search(&backend, "q=climbing&typos=false");
    assert_eq!(r.total, 2);

    // German: an inflection found through the stemmer, with and without `language`.
    let r = search(&backend, "q=Regierung&typos=false");
    assert_eq!(ids(&r), ["de-reg"]);
    let r = search(&backend, "q=regierung&language=de&typos=false");
    assert_eq!(ids(&r), ["de-reg"]);
    let r = search(&backend, "q=Wirtschaften&language=de&typos=false");
    assert_eq!(ids(&r), ["de-wirt"]);

    // Chinese: a word inside a sentence, through character bigrams.
    let r = search(&backend, "q=外交部");
    assert_eq!(ids(&r), ["zh-fm"]);
    let r = search(&backend, "q=股市&language=zh");
    assert_eq!(ids(&r), ["zh-stocks"]);
    let r = search(&backend, "q=外交部+股市");
    assert_eq!(r.total, 0);

    // Typos: a misspelt long word finds its article; exact matches are not affected.
    let r = search(&backend, "q=championshp");
    assert_eq!(ids(&r), ["en-sports"]);
    let r = search(&backend, "q=championship");
    assert_eq!(ids(&r), ["en-sports"]);

    // Filters narrow: a parent tag matches its children; values are case-insensitive.
    let r = search(&backend, "tag=world&limit=20");
    assert_eq!(sorted_ids(&r), ["de-reg", "en-asia", "en-europe", "zh-fm"]);
    let r = search(&backend, "tag=World&author=ann+lee");
    assert_eq!(ids(&r), ["en-asia"]);
    let r = search(&backend, "source=DAILY+NEWS&tag=world");
    assert_eq!(sorted_ids(&r), ["en-asia", "en-europe"]);
    let r = search(&backend, "language=de&from=2024-07-01");
    assert_eq!(ids(&r), ["de-wirt"]);
    let r = search(&backend, "entity_type=org&entity=opec");
    assert_eq!((r.total, r.hits.len()), (2, 1));

    // Disjunctive facets: the tag facet keeps the other tags' counts while `tag` filters;
    // the source facet counts under the tag filter.
    let r = search(
        &backend,
        "tag=world/asia&facets=tags,sources,entities.place&facet_limit=20",
    );
    assert_eq!(r.total, 2);
    let tags = facet(&r, "tags");
    assert!(tags.contains(&("world/asia", 2)), "{tags:?}");
    assert!(tags.contains(&("world", 4)), "{tags:?}");
    assert!(tags.contains(&("economy", 6)), "{tags:?}");
    assert_eq!(tags[0], ("economy", 6), "most frequent first: {tags:?}");
    assert_eq!(facet(&r, "sources"), [("Daily News", 1), ("Xinhua", 1)]);
    let places = &r.facets["entities.place"];
    assert_eq!(places.len(), 3, "{places:?}");
    assert!(places
        .iter()
        .all(|v| v.count == 1 && v.entity_type.as_deref() == Some("place")));
    // Two filtered facets: each leaves out its own filter only.
    let r = search(
        &backend,
        "tag=world&source=xinhua&facets=tags,sources&facet_limit=20",
    );
    assert_eq!(ids(&r), ["zh-fm"]);
    assert_eq!(
        facet(&r, "sources"),
        [("Daily News", 2), ("Berliner Blatt", 1), ("Xinhua", 1)]
    );
    let tags = facet(&r, "tags");
    assert!(
        tags.contains(&("economy", 1)) && tags.contains(&("world", 1)),
        "{tags:?}"
    );

    // A monthly histogram, in calendar months, gaps as zero buckets.
    let r = search(&backend, "facets=published_at:month&limit=0");
    assert_eq!(r.total, articles.len() as u64);
    assert_eq!(
        facet(&r, "published_at"),
        [("2024-05", 2), ("2024-06", 4), ("2024-07", 4)]
    );
    let r = search(&backend, "facets=published_at:year&language=zh&limit=0");
    assert_eq!(facet(&r, "published_at"), [("2024", 2)]);

    // Newest first; the wire copies show once (the newer one); undated last.
    let r = search(&backend, "sort=newest&limit=20");
    assert_eq!(
        ids(&r),
        [
            "de-wirt",
            "en-sports",
            "zh-stocks",
            "en-europe",
            "zh-fm",
            "en-asia",
            "de-reg",
            "en-bank",
            "en-oil-copy",
            "en-nodate"
        ]
    );
    assert!(r.hits.iter().all(|h| h.score.is_none()));
    let r = search(&backend, "sort=oldest&limit=2");
    assert_eq!(ids(&r), ["en-oil", "en-bank"]);

    // Wire copies collapse into one hit that says how many others it stands for; the total
    // counts both.
    let r = search(&backend, "q=opec&typos=false");
    assert_eq!((r.total, r.hits.len()), (2, 1), "{:?}", ids(&r));
    assert_eq!(r.hits[0].copies, 1);
    // A copy that a filter leaves out is not counted, also when the filter is a post_filter
    // (its dimension has a facet).
    let r = search(
        &backend,
        "q=opec&typos=false&source=example+wire&facets=sources",
    );
    assert_eq!(ids(&r), ["en-oil"]);
    assert_eq!((r.total, r.hits[0].copies), (1, 0));
    assert_eq!(
        facet(&r, "sources"),
        [("Example Wire", 1), ("Other Paper", 1)]
    );

    // Deep paging: `next` leads to the following hits.
    let first = search(&backend, "sort=newest&limit=3&tag=economy");
    assert_eq!(ids(&first), ["de-wirt", "zh-stocks", "en-bank"]);
    let next = first.next.clone().expect("a next page");
    let second = search(
        &backend,
        &format!("sort=newest&limit=3&tag=economy&after={next}"),
    );
    assert_eq!(ids(&second)[0], "en-oil-copy", "{:?}", ids(&second));

    // Highlights.
    let r = search(&backend, "q=beijing&highlight=true&typos=false");
    let snippets = r.hits[0].snippets.as_ref().expect("snippets");
    assert!(
        snippets.title.contains("<mark>Beijing</mark>"),
        "{snippets:?}"
    );
    assert!(
        snippets.body.contains("<mark>Beijing</mark>"),
        "{snippets:?}"
    );

    // Delete: gone from GET and from searches at once.
    backend.delete("en-sports").expect("delete");
    assert!(matches!(backend.get("en-sports"), Err(Error::NotFound(_))));
    assert_eq!(search(&backend, "q=championship").total, 0);
    assert!(matches!(
        backend.delete("en-sports"),
        Err(Error::NotFound(_))
    ));

    // An index of another mapping version is refused.
    let other = OpenSearchBackend::new(
        Client::new(
            std::slice::from_ref(&node.url),
            Duration::from_secs(2),
            Duration::from_secs(30),
        ),
        "news-old",
    );
    let (status, _) = other
        .client()
        .json(
            newsindex::opensearch::client::Method::Put,
            "/news-old",
            &serde_json::json!({"mappings": {"_meta": {"mapping_version": 0}}}),
        )
        .expect("put old index");
    assert_eq!(status, 200);
    let err = other.create_index(1, 0).unwrap_err().to_string();
    assert!(err.contains("mapping version 0"), "{err}");
}
