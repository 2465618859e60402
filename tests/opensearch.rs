//! The OpenSearch backend against a real node (issue #18): `scripts/opensearch` starts one
//! node on loopback for this test and stops it at the end, also when a check fails.
//!
//! Without `java` or `mvn` on PATH the test says so and passes, unless
//! `NEWSINDEX_REQUIRE_OPENSEARCH=1`, which makes a missing tool a failure (CI's OpenSearch leg).

use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use newsindex::article::{EntitiesSource, Entity};
use newsindex::backend::{Backend, Write};
use newsindex::config::Config;
use newsindex::opensearch::client::{IndexState, Method};
use newsindex::opensearch::mapping;
use newsindex::opensearch::reindex::{concrete_indexes, reindex, Progress, ReindexOptions};
use newsindex::opensearch::{Client, OpenSearchBackend};
use newsindex::query::{SearchParams, SearchPlan, SearchResponse};
use newsindex::{Article, Error};

#[path = "support/opensearch_nodes.rs"]
mod opensearch_nodes;
use opensearch_nodes::Nodes;

fn start_node() -> Option<Nodes> {
    Nodes::start(1, "newsindex-os-test", "OpenSearch tests")
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
        std::slice::from_ref(&node.urls[0]),
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
            std::slice::from_ref(&node.urls[0]),
            Duration::from_secs(2),
            Duration::from_secs(30),
        ),
        "news-old",
    );
    let (status, _) = other
        .client()
        .json(
            Method::Put,
            "/news-old",
            &serde_json::json!({"mappings": {"_meta": {"mapping_version": 0}}}),
        )
        .expect("put old index");
    assert_eq!(status, 200);
    let err = other.create_index(1, 0).unwrap_err().to_string();
    assert!(err.contains("mapping version 0"), "{err}");
}

// --- The alias layout and `reindex` (issue #18, item 3) ------------------------------------

fn config_for(node: &Nodes, index: &str) -> newsindex::config::BackendConfig {
    newsindex::config::BackendConfig {
        kind: newsindex::config::BackendKind::OpenSearch,
        urls: vec![node.url().to_string()],
        index: index.into(),
        shards: 1,
        replicas: 0,
        ..Default::default()
    }
}

/// `GET /{name}/_alias`: the concrete indexes and the aliases of each.
fn aliases_of(backend: &OpenSearchBackend, name: &str) -> serde_json::Value {
    let (status, body) = backend
        .client()
        .request(Method::Get, &format!("/{name}/_alias"), None)
        .expect("aliases");
    assert!(status == 200 || status == 404, "{status} {body}");
    body
}

fn exists(backend: &OpenSearchBackend, index: &str) -> bool {
    let (status, _) = backend
        .client()
        .request(Method::Head, &format!("/{index}"), None)
        .expect("head");
    status == 200
}

/// An article of the generated corpus, at a version (its title and body say which).
fn generated(id: &str, version: u32) -> Article {
    let mut a = article(
        id,
        if version.is_multiple_of(2) {
            "en"
        } else {
            "de"
        },
        &format!("Report {id} version {version} on markets"),
        &format!("Markets moved in report {id}, version {version}; traders watched prices."),
        &["Ann Lee"],
        &["economy/markets"],
        &[("OPEC", "org")],
        Some("2024-06-01T00:00:00Z"),
        "Example Wire",
    );
    a.views = Some(u64::from(version));
    a
}

fn reindex_options() -> ReindexOptions {
    ReindexOptions {
        shards: 2,
        replicas: 0,
        keep_old: false,
        node_left_delay_secs: 10,
    }
}

/// Applies a group of writes durably through the backend as the server does (one `_bulk`),
/// retrying those that a write block refuses; how long some were refused (zero: never).
fn write_retrying(backend: &OpenSearchBackend, mut writes: Vec<Write>) -> Duration {
    let mut refused_since: Option<Instant> = None;
    loop {
        let ops = writes
            .iter()
            .map(|w| backend.prepare(w.clone()).expect("prepare"))
            .collect();
        let applied = backend.apply_blocking(ops, true).expect("apply");
        if applied.failed.is_empty() {
            return refused_since.map_or(Duration::ZERO, |t| t.elapsed());
        }
        let mut again = Vec::new();
        for f in &applied.failed {
            assert!(f.blocked, "write refused: {}", f.reason);
            assert!(f.reason.contains("newsindex reindex"), "{}", f.reason);
            again.push(writes[f.position].clone());
        }
        writes = again;
        refused_since.get_or_insert_with(Instant::now);
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn alias_layout_and_reindex_on_a_real_node() {
    let Some(node) = start_node() else { return };
    let t = Instant::now();
    a_fresh_index_is_an_alias_of_a_concrete_index(&node);
    eprintln!("(a) fresh alias: {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    a_legacy_index_is_migrated_by_reindex(&node);
    eprintln!("(b) legacy migration: {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    reindex_while_writing_and_searching(&node);
    eprintln!("(c) reindex under load: {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    the_reindex_command_switches_the_alias(&node);
    eprintln!("(d) the CLI command: {:.1} s", t.elapsed().as_secs_f64());
}

fn a_fresh_index_is_an_alias_of_a_concrete_index(node: &Nodes) {
    let backend = OpenSearchBackend::open(&config_for(node, "fresh")).expect("open");
    assert_eq!(
        aliases_of(&backend, "fresh"),
        serde_json::json!({"fresh-000001": {"aliases": {"fresh": {}}}})
    );
    assert_eq!(concrete_indexes(&backend).unwrap(), ["fresh-000001"]);
    // Found again (through the alias) with our mapping version.
    assert_eq!(
        backend.create_index(1, 0).expect("again"),
        IndexState::Existing
    );
    // Reads and writes go through the alias.
    backend.bulk(&corpus()).expect("bulk");
    assert_eq!(search(&backend, "q=opec&typos=false").total, 2);
    assert_eq!(
        Backend::num_articles(&backend),
        corpus().len() as u64,
        "counted through the alias"
    );
    assert!(Backend::writable(&backend));
    // A write block (as reindex puts one on for its switch) refuses writes as retryable, with
    // a message that says why; the HTTP layer answers that with 503 and Retry-After.
    let (status, _) = backend
        .client()
        .request(Method::Put, "/fresh/_block/write", None)
        .unwrap();
    assert_eq!(status, 200);
    let op = backend
        .prepare(Write::Delete("en-oil".into()))
        .expect("prepare");
    let applied = backend.apply_blocking(vec![op], true).expect("apply");
    let f = &applied.failed[0];
    assert!(f.blocked && !f.busy, "{f:?}");
    assert!(
        f.reason.contains("`newsindex reindex` is switching"),
        "{}",
        f.reason
    );
    assert_eq!(Error::Unavailable(f.reason.clone()).code().status(), 503);
    let (status, _) = backend
        .client()
        .json(
            Method::Put,
            "/fresh/_settings",
            &serde_json::json!({"index.blocks.write": false}),
        )
        .unwrap();
    assert_eq!(status, 200);
    // Deleting the index deletes the concrete index behind the alias.
    backend.delete_index().expect("delete");
    assert!(!exists(&backend, "fresh-000001"));
    assert!(concrete_indexes(&backend).unwrap().is_empty());
    backend.delete_index().expect("absent is fine");
}

fn a_legacy_index_is_migrated_by_reindex(node: &Nodes) {
    let cfg = config_for(node, "legacy");
    let backend = OpenSearchBackend::connect(&cfg).expect("connect");
    // An index as an earlier version made it: a concrete index named like the config's
    // index, of an older mapping version.
    let mut body = mapping::index_body(1, 0);
    body["mappings"]["_meta"]["mapping_version"] = serde_json::json!(1);
    let (status, answer) = backend
        .client()
        .json(Method::Put, "/legacy", &body)
        .expect("put legacy");
    assert_eq!(status, 200, "{answer}");
    let articles = corpus();
    assert_eq!(
        backend.bulk(&articles).expect("bulk").indexed,
        articles.len()
    );
    // One document with a derived field as an older version computed it.
    let mut doc = mapping::document(&articles[0]).unwrap();
    doc["copy_key"] = serde_json::json!("stale");
    let (status, _) = backend
        .client()
        .json(
            Method::Put,
            &format!("/legacy/_doc/{}?refresh=true", articles[0].id),
            &doc,
        )
        .expect("put stale");
    assert_eq!(status, 200);

    // Refused by `open`, with the way out.
    let err = OpenSearchBackend::open(&cfg).unwrap_err().to_string();
    assert!(
        err.contains("mapping version 1") && err.contains("newsindex reindex"),
        "{err}"
    );
    // --keep-old can't keep an index whose name the alias takes.
    let keep = ReindexOptions {
        keep_old: true,
        ..reindex_options()
    };
    let err = reindex(&backend, &keep, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("--keep-old"), "{err}");
    assert!(!exists(&backend, "legacy-000001"), "nothing was created");

    let report = reindex(&backend, &reindex_options(), &mut |_| {}).expect("reindex");
    eprintln!("legacy: {report:?}");
    assert!(report.legacy);
    assert_eq!(
        (report.old.as_str(), report.new.as_str()),
        ("legacy", "legacy-000001")
    );
    assert_eq!(report.articles, articles.len() as u64);
    assert_eq!(
        aliases_of(&backend, "legacy"),
        serde_json::json!({"legacy-000001": {"aliases": {"legacy": {}}}})
    );
    // Now opened as ours, every article intact, its derived fields computed again.
    let backend = OpenSearchBackend::open(&cfg).expect("open after reindex");
    for a in &articles {
        assert_eq!(&backend.get(&a.id).expect("get"), a);
    }
    let (_, raw) = backend
        .client()
        .request(
            Method::Get,
            &format!("/legacy/_doc/{}", articles[0].id),
            None,
        )
        .unwrap();
    assert_eq!(
        raw["_source"]["copy_key"],
        serde_json::json!(newsindex::index::document::copy_key(&articles[0]).to_string())
    );
    assert_eq!(search(&backend, "q=opec&typos=false").total, 2);
    assert_eq!(search(&backend, "q=Regierung&typos=false").total, 1);
    let (_, settings) = backend
        .client()
        .request(
            Method::Get,
            "/legacy/_settings/index.number_of_shards",
            None,
        )
        .unwrap();
    assert_eq!(
        settings["legacy-000001"]["settings"]["index"]["number_of_shards"],
        serde_json::json!("2"),
        "the new index has the options' settings"
    );

    // A second reindex, keeping the old index: it loses the alias and its block.
    let report = reindex(&backend, &keep, &mut |_| {}).expect("reindex again");
    assert_eq!(report.new, "legacy-000002");
    assert!(report.kept_old && !report.legacy);
    assert_eq!(
        aliases_of(&backend, "legacy"),
        serde_json::json!({"legacy-000002": {"aliases": {"legacy": {}}}})
    );
    assert_eq!(
        aliases_of(&backend, "legacy-000001"),
        serde_json::json!({"legacy-000001": {"aliases": {}}})
    );
    let (_, blocks) = backend
        .client()
        .request(
            Method::Get,
            "/legacy-000001/_settings/index.blocks.*?flat_settings=true",
            None,
        )
        .unwrap();
    assert_ne!(
        blocks["legacy-000001"]["settings"]["index.blocks.write"],
        serde_json::json!("true"),
        "{blocks}"
    );
    // A third one skips the kept index's number and deletes the old one.
    let report = reindex(&backend, &reindex_options(), &mut |_| {}).expect("reindex 3");
    assert_eq!(report.new, "legacy-000003");
    assert!(!exists(&backend, "legacy-000002"));
    assert_eq!(Backend::num_articles(&backend), articles.len() as u64);

    // Nothing to reindex: a clear error.
    let none = OpenSearchBackend::connect(&config_for(node, "missing")).unwrap();
    let err = reindex(&none, &reindex_options(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("no index or alias `missing`"), "{err}");
    backend.delete_index().unwrap();
    none.delete_index().unwrap();
    let (status, _) = backend
        .client()
        .request(Method::Delete, "/legacy-000001", None)
        .unwrap();
    assert_eq!(status, 200);
}

/// The acknowledged state of each id: `Some(version)` written, `None` deleted.
type Model = HashMap<String, Option<u32>>;

fn reindex_while_writing_and_searching(node: &Nodes) {
    const SEED: usize = 3_000;
    const WRITERS: usize = 3;
    const SEARCHERS: usize = 2;
    // Writes per `_bulk` of a writer (each waits for a refresh, about a second).
    const GROUP: usize = 10;
    let cfg = config_for(node, "live");
    let server = Arc::new(OpenSearchBackend::open(&cfg).expect("open"));
    let seed: Vec<Article> = (0..SEED).map(|i| generated(&format!("s{i}"), 0)).collect();
    for chunk in seed.chunks(1_000) {
        assert_eq!(server.bulk(chunk).expect("seed").indexed, chunk.len());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let switched = Arc::new(AtomicBool::new(false));

    // Writers: each owns the seeded ids `s{i}` with i % WRITERS == w and new ids `w{w}-{k}`;
    // it upserts (a new version) or deletes, one durable write at a time, as a server would.
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (server, stop) = (server.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut model: Model = HashMap::new();
                let mut longest_refusal = Duration::ZERO;
                let mut refused = 0usize;
                let mut version = 0u32;
                let mut next_new = 0usize;
                let mut rng = 0x9e37_79b9_u64.wrapping_mul(w as u64 + 1);
                while !stop.load(Ordering::Relaxed) {
                    let mut group: Vec<(String, Write)> = Vec::new();
                    while group.len() < GROUP {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        version += 1;
                        let seeded =
                            format!("s{}", (rng as usize % (SEED / WRITERS)) * WRITERS + w);
                        let (id, write) = match rng % 4 {
                            0 => {
                                next_new += 1;
                                let id = format!("w{w}-{next_new}");
                                (id.clone(), Write::Upsert(Box::new(generated(&id, version))))
                            }
                            1 => (seeded.clone(), Write::Delete(seeded)),
                            2 if next_new > 0 => {
                                let id = format!("w{w}-{}", (rng as usize >> 8) % next_new + 1);
                                (id.clone(), Write::Delete(id))
                            }
                            _ => (
                                seeded.clone(),
                                Write::Upsert(Box::new(generated(&seeded, version))),
                            ),
                        };
                        if group.iter().all(|(other, _)| *other != id) {
                            group.push((id, write));
                        }
                    }
                    let waited =
                        write_retrying(&server, group.iter().map(|(_, w)| w.clone()).collect());
                    if waited > Duration::ZERO {
                        refused += 1;
                        longest_refusal = longest_refusal.max(waited);
                    }
                    for (id, write) in group {
                        let state = match write {
                            Write::Upsert(a) => a.views.map(|v| v as u32),
                            Write::Delete(_) => None,
                        };
                        model.insert(id, state);
                    }
                }
                (model, refused, longest_refusal)
            })
        })
        .collect();

    // Searchers: searches, gets and suggestions through the alias, every one must answer.
    let searchers: Vec<_> = (0..SEARCHERS)
        .map(|_| {
            let (server, stop, switched) = (server.clone(), stop.clone(), switched.clone());
            std::thread::spawn(move || {
                let (mut n, mut after_switch, mut failures) = (0usize, 0usize, Vec::new());
                let p = plan("q=markets+traders&typos=false&facets=tags");
                while !stop.load(Ordering::Relaxed) {
                    let on_new = switched.load(Ordering::Relaxed);
                    match server.search(&p) {
                        Ok(r) if r.total > 0 => {}
                        Ok(r) => failures.push(format!("search found {} articles", r.total)),
                        Err(e) => failures.push(format!("search: {e}")),
                    }
                    if let Err(e) = Backend::get(server.as_ref(), "s1") {
                        failures.push(format!("get: {e}"));
                    }
                    n += 1;
                    after_switch += usize::from(on_new);
                    // Busy but not spinning: the node shares two cores with everything else.
                    std::thread::sleep(Duration::from_millis(10));
                }
                (n, after_switch, failures)
            })
        })
        .collect();

    // Writes race with the copy from its start; the reindex runs as another process would,
    // with a client of its own.
    std::thread::sleep(Duration::from_millis(300));
    let admin = OpenSearchBackend::connect(&cfg).expect("connect");
    let mut phases = Vec::new();
    let report = reindex(&admin, &reindex_options(), &mut |p| {
        if let Progress::Phase(what) = p {
            phases.push(what.to_string());
        }
    })
    .expect("reindex under load");
    switched.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);

    let mut model: Model = seed.iter().map(|a| (a.id.clone(), Some(0))).collect();
    let (mut refused, mut longest_refusal, mut writes) = (0, Duration::ZERO, 0);
    for w in writers {
        let (m, r, l) = w.join().expect("writer");
        writes += m.len();
        model.extend(m);
        refused += r;
        longest_refusal = longest_refusal.max(l);
    }
    let (mut searches, mut after_switch) = (0, 0);
    for s in searchers {
        let (n, a, failures) = s.join().expect("searcher");
        assert!(failures.is_empty(), "searches failed: {failures:?}");
        searches += n;
        after_switch += a;
    }
    eprintln!(
        "live: {report:?}; phases {phases:?}; {writes} ids written by {WRITERS} writers, \
         {refused} groups refused by the block (longest wait {} ms); {searches} searches, \
         {after_switch} after the switch, none failed; writes blocked for {} ms: {:?}",
        longest_refusal.as_millis(),
        report.blocked.as_millis(),
        report.block_steps
    );
    assert!(after_switch > 0, "searches went on after the switch");
    assert_eq!(
        (report.old.as_str(), report.new.as_str()),
        ("live-000001", "live-000002")
    );
    assert!(
        report.deleted > 0 && report.copied > SEED as u64,
        "{report:?}"
    );
    assert!(
        report.blocked < Duration::from_secs(5),
        "the block lasted {:?}",
        report.blocked
    );

    // Every acknowledged write is there with its last content, every delete is gone.
    assert_eq!(
        aliases_of(&admin, "live"),
        serde_json::json!({"live-000002": {"aliases": {"live": {}}}})
    );
    assert!(!exists(&admin, "live-000001"), "the old index is deleted");
    let mut live = 0u64;
    for (id, state) in &model {
        match state {
            Some(v) => {
                live += 1;
                let got = Backend::get(&admin, id).expect("get");
                assert_eq!(got.as_ref(), Some(&generated(id, *v)), "{id}");
            }
            None => assert_eq!(Backend::get(&admin, id).expect("get"), None, "{id}"),
        }
    }
    assert_eq!(Backend::num_articles(&admin), live);
    server.delete_index().expect("delete");
}

fn the_reindex_command_switches_the_alias(node: &Nodes) {
    let cfg = config_for(node, "cli");
    let backend = OpenSearchBackend::open(&cfg).expect("open");
    let articles = corpus();
    backend.bulk(&articles).expect("bulk");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[backend]\nkind = \"opensearch\"\nurls = [\"{}\"]\nindex = \"cli\"\nreplicas = 0\n",
            node.url()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .arg("--config")
        .arg(&config)
        .args(["reindex", "--quiet"])
        .env_remove("NEWSINDEX_BACKEND")
        .output()
        .expect("run newsindex reindex");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "reindexed {} articles of `cli-000001` into `cli-000002`",
            articles.len()
        )) && stderr.contains("writes were blocked for"),
        "{stderr}"
    );
    assert_eq!(
        aliases_of(&backend, "cli"),
        serde_json::json!({"cli-000002": {"aliases": {"cli": {}}}})
    );
    for a in &articles {
        assert_eq!(&backend.get(&a.id).expect("get"), a);
    }
    // Bad input: --keep-old on tantivy, a cluster that is not there.
    let out = Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args(["reindex", "--keep-old", "--index"])
        .arg(dir.path().join("idx"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--keep-old is for an index on OpenSearch")
    );
    backend.delete_index().unwrap();
}
