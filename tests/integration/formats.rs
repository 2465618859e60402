//! What sites publish, ingested as it is: HTML pages, RSS and Atom feeds, scraped text, over
//! `POST /articles` (by Content-Type) and through `newsindex ingest` (by file extension), from
//! the fixtures in `tests/fixtures/formats/`.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::common::{status_json, tmp_index_dir, TestServer};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(name)).expect("fixture")
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats")
}

async fn post(s: &TestServer, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let r = s
        .client
        .post(s.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    status_json(r).await
}

fn assert_clean(body: &str, junk: &[&str]) {
    for j in junk {
        assert!(!body.contains(j), "`{j}` left in the body: {body}");
    }
}

#[tokio::test]
async fn wordpress_page_with_json_ld_graph() {
    let s = TestServer::start().await;
    let (status, v) = post(
        &s,
        "/articles",
        "text/html; charset=UTF-8",
        fixture("wordpress-article.html"),
    )
    .await;
    assert_eq!(
        (status, &v),
        (200, &json!({"indexed": 1, "failed": 0, "errors": []}))
    );
    let (status, a) = s
        .get("/articles/www-harbordaily-example-world-asia-seoul-weighs-response-missile-test")
        .await;
    assert_eq!(status, 200, "{a}");
    // JSON-LD outranks the OpenGraph title and description.
    assert_eq!(
        a["title"],
        "Seoul Weighs Response to Pyongyang Missile Test"
    );
    assert_eq!(
        a["summary"],
        "South Korea\u{2019}s cabinet met overnight after the launch, officials said."
    );
    assert_eq!(
        a["url"],
        "https://www.harbordaily.example/world/asia/seoul-weighs-response-missile-test/"
    );
    // One author by name, one by `@id` reference into the graph.
    assert_eq!(a["authors"], json!(["Mina Park", "Daniel Okafor"]));
    assert_eq!(a["published_at"], "2024-07-02T08:15:00Z");
    assert_eq!(
        a["tags"],
        json!(["North Korea", "missiles", "defense", "Asia"])
    );
    assert_eq!(a["source"], "Harbor Daily");
    assert_eq!(a["language"], "en-us");
    let body = a["body"].as_str().unwrap();
    assert!(
        body.starts_with("South Korea\u{2019}s national security council met overnight"),
        "{body}"
    );
    assert!(body.ends_with("continues despite sanctions."), "{body}");
    assert_eq!(body.split("\n\n").count(), 3, "{body}");
    assert_clean(
        body,
        &[
            "Skip to content",
            "Business",
            "Share",
            "Facebook",
            "morning briefing",
            "Tokyo lodges protest",
            "Posted in",
            "Previous:",
            "thoughts on",
            "third test this month, and nobody",
            "Leave a Reply",
            "Recent Posts",
            "All rights reserved",
            "By Mina Park",
        ],
    );
    assert_eq!(a["entities_source"], "extracted");
    let entities = a["entities"].as_array().unwrap();
    assert!(entities.contains(&json!({"name": "North Korea", "type": "place"})));
    // Searchable like any article.
    let (_, found) = s.get("/search?q=intermediate-range%20missile").await;
    assert_eq!(found["total"], 1);
    s.stop().await;
}

#[tokio::test]
async fn open_graph_page_with_id_and_url_parameters() {
    let s = TestServer::start().await;
    let (status, v) = post(
        &s,
        "/articles?id=port-strike&url=https%3A%2F%2Fcoastaltimes.example%2Fx",
        "text/html",
        fixture("og-only.html"),
    )
    .await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(1)), "{v}");
    let (status, a) = s.get("/articles/port-strike").await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["title"], "Port strike ends after 12 days");
    assert_eq!(
        a["summary"],
        "Dockworkers accepted a new contract on Sunday."
    );
    // The page names its URL, which wins over the caller's.
    assert_eq!(
        a["url"],
        "https://coastaltimes.example/business/2024/05/port-strike-ends"
    );
    assert_eq!(a["authors"], json!(["Rosa Delgado"]));
    assert_eq!(a["published_at"], "2024-05-19T18:30:00Z");
    assert_eq!(a["tags"], json!(["labor", "shipping", "Business"]));
    assert_eq!(a["source"], "Coastal Times");
    let body = a["body"].as_str().unwrap();
    assert!(
        body.starts_with("Dockworkers at the Port of Bayview"),
        "{body}"
    );
    assert!(body.ends_with("clear the backlog."), "{body}");
    assert_clean(
        body,
        &[
            "Home",
            "Subscribe",
            "Facebook",
            "Most read",
            "1 Harbor Street",
        ],
    );

    // Without `?id=`, the id is a slug of the page's URL.
    let (_, v) = post(&s, "/articles", "text/html", fixture("og-only.html")).await;
    assert_eq!(v["indexed"], 1);
    let (status, _) = s
        .get("/articles/coastaltimes-example-business-2024-05-port-strike-ends")
        .await;
    assert_eq!(status, 200);
    s.stop().await;
}

#[tokio::test]
async fn rss_feed_items_become_articles() {
    let s = TestServer::start().await;
    let (status, v) = post(&s, "/articles", "application/rss+xml", fixture("feed.rss")).await;
    assert_eq!(
        (status, &v),
        (200, &json!({"indexed": 2, "failed": 0, "errors": []}))
    );
    let (_, a) = s
        .get("/articles/www-harbordaily-example-world-asia-tokyo-protest-missile-debris")
        .await;
    assert_eq!(
        a["title"],
        "Tokyo lodges protest over missile debris found near its waters"
    );
    assert_eq!(
        a["url"],
        "https://www.harbordaily.example/world/asia/tokyo-protest-missile-debris/"
    );
    assert_eq!(a["authors"], json!(["Daniel Okafor"]));
    assert_eq!(a["published_at"], "2024-07-03T06:40:00Z");
    assert_eq!(a["tags"], json!(["Asia", "Japan"]));
    assert_eq!(
        a["summary"],
        "Japan\u{2019}s foreign ministry summoned a diplomat after fragments washed ashore."
    );
    assert_eq!(
        a["body"],
        "Japan\u{2019}s foreign ministry on Wednesday lodged a formal protest after fishermen found missile fragments near the Oki Islands.\n\nChief Cabinet Secretary Yoshimasa Hayashi called the launch \u{201c}absolutely unacceptable\u{201d}."
    );
    assert_eq!(a["source"], "Harbor Daily");
    assert_eq!(a["entities_source"], "extracted");

    // Without content, the description is the body.
    let (_, b) = s
        .get("/articles/www-harbordaily-example-business-new-container-terminal")
        .await;
    assert_eq!(
        b["body"],
        "The board voted 5\u{2013}2 for the $400 million project.\n\nConstruction starts next spring."
    );
    assert!(b.get("summary").is_none(), "{b}");

    // The same feed again replaces, it does not duplicate.
    let (_, v) = post(&s, "/articles", "application/xml", fixture("feed.rss")).await;
    assert_eq!(v["indexed"], 2);
    let (_, all) = s.get("/search?q=").await;
    assert_eq!(all["total"], 2);
    s.stop().await;
}

#[tokio::test]
async fn atom_feed_entries_become_articles() {
    let s = TestServer::start().await;
    let (status, v) = post(
        &s,
        "/articles",
        "application/atom+xml",
        fixture("feed.atom"),
    )
    .await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(2)), "{v}");
    let (_, a) = s
        .get("/articles/coastaltimes-example-environment-2024-05-fishing-quotas")
        .await;
    assert_eq!(
        a["title"],
        "Fishing quotas cut by 10% & more limits on trawlers"
    );
    assert_eq!(a["authors"], json!(["Rosa Delgado"]));
    assert_eq!(a["published_at"], "2024-05-20T05:00:00Z");
    assert_eq!(a["tags"], json!(["Environment", "fishing"]));
    assert_eq!(
        a["summary"],
        "Regulators cut cod quotas for the second year."
    );
    assert_eq!(
        a["body"],
        "Regulators on Monday cut the cod quota by 10 percent, citing falling stocks in the northern grounds.\n\nTrawlers will also be barred from the bay during spawning season."
    );
    assert_eq!(a["language"], "en");
    // No link: the id comes from the entry's id; the feed's author stands in.
    let (status, b) = s
        .get("/articles/tag-coastaltimes-example-2024-story-552")
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["authors"], json!(["Coastal Times Staff"]));
    assert_eq!(b["published_at"], "2024-05-19T12:00:00Z");
    assert_eq!(
        b["body"],
        "Ferries to the islands will run every 30 minutes from June."
    );
    s.stop().await;
}

#[tokio::test]
async fn scraped_text_as_text_x_scraped() {
    let s = TestServer::start().await;
    let (status, v) = post(
        &s,
        "/articles",
        "text/x-scraped",
        fixture("seed-article.txt"),
    )
    .await;
    assert_eq!(
        (status, &v),
        (200, &json!({"indexed": 1, "failed": 0, "errors": []}))
    );
    let (status, a) = s
        .get("/articles/beijings-cautious-stance-amidst-russia-north-korea-defense-pact")
        .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(
        a["title"],
        "Beijing's Cautious Stance Amidst Russia-North Korea Defense Pact"
    );
    assert_eq!(a["authors"], json!(["Ashlee Durgan"]));
    assert_eq!(a["published_at"], "2024-06-22T05:03:00Z");
    assert_eq!(a["views"], 200);
    let body = a["body"].as_str().unwrap();
    assert!(body.starts_with("China maintains silence"), "{body}");
    assert!(
        body.ends_with("shaping the future of the region."),
        "{body}"
    );
    assert_clean(
        body,
        &[
            "Beijing's Cautious Stance Amidst",
            "Share this Post",
            "Leave a comment",
            "Chưa có bình luận nào",
            "Related articles",
            "Ashlee Durgan",
            "05:03am",
        ],
    );
    assert_eq!(a["entities_source"], "extracted");
    let entities = a["entities"].as_array().unwrap();
    for (name, t) in [("China", "place"), ("Victor Cha", "person")] {
        assert!(
            entities.contains(&json!({"name": name, "type": t})),
            "{name} missing from {entities:?}"
        );
    }

    // `?id=` names it; JSON sent as scraped text is still JSON.
    let (_, v) = post(
        &s,
        "/articles?id=seed",
        "text/x-scraped",
        fixture("seed-article.txt"),
    )
    .await;
    assert_eq!(v["indexed"], 1);
    assert_eq!(s.get("/articles/seed").await.0, 200);
    let (status, v) = post(
        &s,
        "/articles",
        "text/x-scraped",
        br#"[{"id":"j","title":"JSON as text"}]"#.to_vec(),
    )
    .await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(1)), "{v}");
    assert_eq!(s.get("/articles/j").await.1["title"], "JSON as text");
    s.stop().await;
}

#[tokio::test]
async fn broken_documents_are_reported_never_5xx() {
    let s = TestServer::start().await;
    // A truncated page still has its title and the text before the cut.
    let (status, v) = post(&s, "/articles", "text/html", fixture("truncated.html")).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(1)), "{v}");
    let (_, a) = s
        .get("/articles/coastaltimes-example-local-lighthouse-restoration")
        .await;
    assert_eq!(a["title"], "Lighthouse restoration finished");
    assert!(a["body"]
        .as_str()
        .unwrap()
        .ends_with("the preservation society sa"));

    // An unreadable date: the item is stored without one.
    let (status, v) = post(&s, "/articles", "text/xml", fixture("bad-date.xml")).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(1)), "{v}");
    let (_, a) = s.get("/articles/radio-example-news-library-hours").await;
    assert_eq!(a["title"], "Library extends weekend hours");
    assert!(a.get("published_at").is_none(), "{a}");

    // A feed cut off mid-item is one error, in the batch shape.
    let (status, v) = post(
        &s,
        "/articles",
        "application/rss+xml",
        fixture("broken.rss"),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["indexed"].as_u64(), v["failed"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(v["errors"][0]["line"], 1);
    assert!(
        v["errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("cannot parse the feed"),
        "{v}"
    );

    // Neither a title nor text: the error names the problem.
    let (status, v) = post(&s, "/articles", "text/html", b"<html><body><div>".to_vec()).await;
    assert_eq!((status, v["failed"].as_u64()), (200, Some(1)), "{v}");
    assert!(v["errors"][0]["error"].as_str().unwrap().contains("title"));
    let (status, v) = post(&s, "/articles", "text/x-scraped", b"\n \n".to_vec()).await;
    assert_eq!((status, v["failed"].as_u64()), (200, Some(1)), "{v}");
    // A given id is validated like any id.
    let long = "x".repeat(300);
    let (status, v) = post(
        &s,
        &format!("/articles?id={long}"),
        "text/x-scraped",
        fixture("seed-article.txt"),
    )
    .await;
    assert_eq!((status, v["failed"].as_u64()), (200, Some(1)), "{v}");
    assert!(v["errors"][0]["error"]
        .as_str()
        .unwrap()
        .starts_with("field `id`"));
    // Binary garbage as a feed, and parameters that do not apply.
    let (status, _) = post(
        &s,
        "/articles",
        "application/atom+xml",
        vec![0xff, 0, 0x8b, 1],
    )
    .await;
    assert_eq!(status, 200);
    let (status, v) = post(
        &s,
        "/articles?id=x",
        "application/rss+xml",
        fixture("feed.rss"),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = post(&s, "/articles?ide=x", "text/html", fixture("og-only.html")).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("`ide`"));
    // Other content types are still refused.
    let (status, _) = post(&s, "/articles", "image/png", vec![1, 2, 3]).await;
    assert_eq!(status, 415);
    s.stop().await;
}

#[test]
fn cli_ingests_a_directory_and_reports_the_broken_file() {
    let (_tmp, dir) = tmp_index_dir();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args([
            "ingest",
            "--quiet",
            "--threads",
            "1",
            "--heap-mb",
            "50",
            "--index",
        ])
        .arg(&dir)
        .arg(fixtures_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // 1 WordPress page + 1 OpenGraph page + 1 truncated page + 2 RSS + 2 Atom + 1 feed with a
    // bad date + the seed text; broken.rss is reported by name and reason.
    assert!(
        stdout.contains("indexed 9 articles, 1 failed"),
        "{stdout}\n{stderr}"
    );
    assert!(stderr.contains("broken.rss"), "{stderr}");
    assert!(stderr.contains("cannot parse the feed"), "{stderr}");

    let index = newsindex::NewsIndex::open_read_only(&dir).unwrap();
    assert_eq!(index.num_articles(), 9);
    let seed = index
        .get("beijings-cautious-stance-amidst-russia-north-korea-defense-pact")
        .unwrap()
        .expect("the seed text");
    assert_eq!(seed.authors, vec!["Ashlee Durgan"]);
    assert_eq!(seed.views, Some(200));
    assert_eq!(
        seed.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-06-22T05:03:00+00:00")
    );
    let page = index
        .get("www-harbordaily-example-world-asia-seoul-weighs-response-missile-test")
        .unwrap()
        .expect("the WordPress page");
    assert_eq!(page.authors, vec!["Mina Park", "Daniel Okafor"]);
    assert!(index
        .get("tag-coastaltimes-example-2024-story-552")
        .unwrap()
        .is_some());
}

#[test]
fn cli_takes_globs_and_a_format_override() {
    let (_tmp, dir) = tmp_index_dir();
    let pattern = fixtures_dir().join("*.htm?");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args([
            "ingest",
            "--quiet",
            "--threads",
            "1",
            "--heap-mb",
            "50",
            "--index",
        ])
        .arg(&dir)
        .arg(&pattern)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("indexed 3 articles, 0 failed"), "{stdout}");

    // `--format text` reads a page's source as scraped text: one article titled by its first
    // line, whatever the extension says. A missing file is reported and does not stop it.
    let (_tmp2, dir2) = tmp_index_dir();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsindex"))
        .args(["ingest", "--quiet", "--format", "text", "--index"])
        .arg(&dir2)
        .arg(fixtures_dir().join("og-only.html"))
        .arg(fixtures_dir().join("no-such-file.txt"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("indexed 1 articles"), "{stdout}\n{stderr}");
    assert!(stderr.contains("no-such-file.txt"), "{stderr}");
    let index = newsindex::NewsIndex::open_read_only(&dir2).unwrap();
    assert!(index.get("doctype-html").unwrap().is_some());
}
