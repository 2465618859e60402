//! Search over a fixture whose counts are known by construction.
//!
//! 12 articles: `a0`..`a11`. Article i is by `Author {i % 3}` (Ann, Bob, Cy), tagged
//! `world/asia` when i % 2 == 0 else `world/europe`, plus `defense` when i % 4 == 0; has entity
//! China (place) when i < 6 else Russia (place), and Victor Cha (person) when i % 3 == 0;
//! published on 2024-0{1 + i % 3}-10; language `en` except a11 (`fr`).

use serde_json::{json, Value};

use crate::common::{error_message, TestServer};

const AUTHORS: [&str; 3] = ["Ann Lee", "Bob Roe", "Cy Poe"];

fn fixture() -> Vec<Value> {
    (0..12)
        .map(|i| {
            let mut tags = vec![if i % 2 == 0 { "world/asia" } else { "world/europe" }];
            if i % 4 == 0 {
                tags.push("defense");
            }
            let mut entities = vec![json!({"name": if i < 6 { "China" } else { "Russia" }, "type": "place"})];
            if i % 3 == 0 {
                entities.push(json!({"name": "Victor Cha", "type": "person"}));
            }
            let title = match i {
                0 => "Defense pact signed in Beijing".to_string(),
                1 => "Pact talks stall".to_string(),
                2 => "Markets rally on trade hopes".to_string(),
                _ => format!("Story number {i} about trade"),
            };
            json!({
                "id": format!("a{i}"),
                "title": title,
                "body": if i == 0 { "The defense pact between Russia and North Korea worries China." } else { "Ordinary news text <script>alert(1)</script> for testing." },
                "authors": [AUTHORS[i % 3]],
                "published_at": format!("2024-0{}-10T12:00:00Z", 1 + i % 3),
                "tags": tags,
                "entities": entities,
                "language": if i == 11 { "fr" } else { "en" },
                "source": "Wire",
            })
        })
        .collect()
}

async fn server() -> TestServer {
    let s = TestServer::start().await;
    let (status, v) = s.post_json("/articles", &json!(fixture())).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(12)), "{v}");
    s
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

fn facet(v: &Value, name: &str) -> Vec<(String, u64)> {
    v["facets"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no facet {name} in {v}"))
        .iter()
        .map(|f| {
            (
                f["value"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, u64)]) -> Vec<(String, u64)> {
    items.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[tokio::test]
async fn words_must_all_match_and_title_ranks_first() {
    let s = server().await;
    let (_, v) = s.get("/search?q=pact").await;
    assert_eq!(v["total"], 2);
    assert_eq!(
        ids(&v)[0],
        "a0",
        "title+body match outranks title-only: {v}"
    );
    let (_, v) = s.get("/search?q=pact%20stall").await;
    assert_eq!(ids(&v), vec!["a1"]);
    assert_eq!(v["total"], 1);
    // Counted without a page, from each segment's own count.
    let (_, v) = s.get("/search?q=pact%20stall&limit=0").await;
    assert_eq!(v["total"], 1);
    let (_, v) = s.get("/search?q=pact&limit=0").await;
    assert_eq!(v["total"], 2);
    let (_, v) = s.get("/search?q=pacts").await;
    assert_eq!(v["total"], 2, "stemming: pacts matches pact");
}

#[tokio::test]
async fn empty_q_browses_everything_newest_first() {
    let s = server().await;
    let (_, v) = s.get("/search?limit=100").await;
    assert_eq!(v["total"], 12);
    let dates: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["published_at"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
}

#[tokio::test]
async fn filters_or_within_and_across() {
    let s = server().await;
    let (_, v) = s.get("/search?author=Ann%20Lee").await;
    assert_eq!(v["total"], 4);
    let (_, v) = s.get("/search?author=ann%20lee,Bob%20Roe").await;
    assert_eq!(v["total"], 8, "OR within a filter, case-insensitive");
    let (_, v) = s.get("/search?author=Ann%20Lee&tag=defense").await;
    // Ann: 0,3,6,9; defense: 0,4,8 -> {0}
    assert_eq!(ids(&v), vec!["a0"]);
    let (_, v) = s.get("/search?tag=world&limit=0").await;
    assert_eq!(v["total"], 12, "a parent tag matches its children");
    let (_, v) = s.get("/search?tag=world/asia").await;
    assert_eq!(v["total"], 6);
    let (_, v) = s.get("/search?entity=victor%20cha").await;
    assert_eq!(v["total"], 4);
    let (_, v) = s.get("/search?entity_type=person").await;
    assert_eq!(v["total"], 4);
    let (_, v) = s.get("/search?language=fr").await;
    assert_eq!(ids(&v), vec!["a11"]);
    let (_, v) = s.get("/search?source=wire").await;
    assert_eq!(v["total"], 12);
    let (_, v) = s.get("/search?from=2024-02-01&to=2024-02-10").await;
    // i % 3 == 1 -> February: 1,4,7,10; `to` as a bare date includes that whole day.
    assert_eq!(v["total"], 4);
    let (_, v) = s.get("/search?from=2024-02-10T12:00:01Z").await;
    assert_eq!(v["total"], 4, "only March remains");
}

#[tokio::test]
async fn facet_counts_are_disjunctive() {
    let s = server().await;
    let (_, v) = s
        .get("/search?facets=authors,tags,entities,entities.person,published_at&author=Ann%20Lee")
        .await;
    assert_eq!(v["total"], 4);
    // The authors facet ignores the author filter...
    assert_eq!(
        facet(&v, "authors"),
        pairs(&[("Ann Lee", 4), ("Bob Roe", 4), ("Cy Poe", 4)])
    );
    // ...the others apply it. Ann: a0, a3, a6, a9.
    assert_eq!(
        facet(&v, "tags"),
        pairs(&[
            ("world", 4),
            ("world/asia", 2),
            ("world/europe", 2),
            ("defense", 1)
        ])
    );
    assert_eq!(facet(&v, "entities.person"), pairs(&[("Victor Cha", 4)]));
    assert_eq!(
        facet(&v, "entities"),
        pairs(&[("Victor Cha", 4), ("China", 2), ("Russia", 2)])
    );
    assert_eq!(v["facets"]["entities"][0]["type"], "person");
    assert_eq!(facet(&v, "published_at"), pairs(&[("2024-01", 4)]));
}

#[tokio::test]
async fn histogram_intervals_and_facet_limit() {
    let s = server().await;
    let (_, v) = s.get("/search?facets=published_at:day&limit=0").await;
    assert_eq!(
        facet(&v, "published_at").len(),
        31 + 29 + 1,
        "days from Jan 10 to Mar 10 2024, gaps as zeros"
    );
    let (_, v) = s.get("/search?facets=published_at:year").await;
    assert_eq!(facet(&v, "published_at"), pairs(&[("2024", 12)]));
    let (_, v) = s.get("/search?facets=published_at:week").await;
    let weeks = facet(&v, "published_at");
    assert_eq!(weeks.first().unwrap(), &("2024-W02".to_string(), 4));
    let (_, v) = s.get("/search?facets=tags&facet_limit=2").await;
    assert_eq!(
        facet(&v, "tags"),
        pairs(&[("world", 12), ("world/asia", 6)])
    );
}

#[tokio::test]
async fn sort_and_paging() {
    let s = server().await;
    let (_, v) = s.get("/search?q=trade&sort=oldest&limit=3").await;
    let dates: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["published_at"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
    let (_, all) = s.get("/search?q=trade&limit=100").await;
    let (_, page2) = s.get("/search?q=trade&limit=3&offset=3").await;
    assert_eq!(ids(&page2), ids(&all)[3..6].to_vec());
}

#[tokio::test]
async fn highlight_marks_stems_and_escapes_html() {
    let s = server().await;
    let (_, v) = s.get("/search?q=pacts&highlight=true").await;
    let hit = &v["hits"][0];
    assert_eq!(
        hit["snippets"]["title"],
        "Defense <mark>pact</mark> signed in Beijing"
    );
    assert!(hit["snippets"]["body"]
        .as_str()
        .unwrap()
        .contains("<mark>pact</mark>"));
    let (_, v) = s.get("/search?q=ordinary&highlight=true&limit=1").await;
    let body = v["hits"][0]["snippets"]["body"].as_str().unwrap();
    assert!(
        body.contains("&lt;script&gt;") && !body.contains("<script>"),
        "{body}"
    );
}

#[tokio::test]
async fn get_and_post_give_the_same_answer() {
    let s = server().await;
    let (_, g) = s
        .get("/search?q=trade&tag=world&author=Bob%20Roe,Cy%20Poe&facets=authors,tags&limit=5")
        .await;
    let (_, p) = s
        .post_json(
            "/search",
            &json!({"q": "trade", "tag": ["world"], "author": ["Bob Roe", "Cy Poe"], "facets": ["authors", "tags"], "limit": 5}),
        )
        .await;
    assert_eq!(g["hits"], p["hits"]);
    assert_eq!(g["facets"], p["facets"]);
    assert_eq!(g["total"], p["total"]);
}

#[tokio::test]
async fn bad_parameters_are_400_naming_them() {
    let s = server().await;
    for (query, needle) in [
        ("limit=101", "`limit`"),
        ("offset=10001", "`offset`"),
        ("limit=ten", "`limit`"),
        ("from=yesterday", "`from`"),
        ("sort=best", "`sort`"),
        ("facets=colours", "`facets`"),
        ("facet_limit=0", "`facet_limit`"),
        ("highlight=maybe", "`highlight`"),
        ("colour=red", "`colour`"),
    ] {
        let (status, v) = s.get(&format!("/search?{query}")).await;
        assert_eq!(status, 400, "{query}");
        let m = error_message(&v, "bad_request");
        assert!(m.contains(needle), "{query}: {m}");
    }
    let (status, v) = s.post_json("/search", &json!({"q": "x", "limt": 5})).await;
    assert_eq!(status, 400);
    assert!(error_message(&v, "bad_request").contains("limt"));
}

#[tokio::test]
async fn odd_queries_never_fail() {
    let s = server().await;
    let long = "word ".repeat(1000);
    for q in [
        "\"unbalanced",
        "title:",
        "*",
        "AND OR NOT",
        "(((",
        ")",
        "-",
        "-pact",
        "pact -stall",
        "\"defense pact\"",
        "pact OR rally",
        "author:\"Ann Lee\"",
        "tag:defense",
        "entity:china",
        "published_at:[2024-01-01T00:00:00Z TO 2024-02-01T00:00:00Z]",
        "🙂 emoji",
        "'; DROP TABLE articles; --",
        "views:>5",
        "stored:x",
        "nosuchfield:x",
        "\\",
        "~2",
        "^3",
        long.as_str(),
    ] {
        let r = s
            .client
            .get(s.url("/search"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert_eq!(status, 200, "q = {q:?}: {}", r.text().await.unwrap());
    }
    let (_, v) = s.get("/search?q=%22defense%20pact%22").await;
    assert_eq!(ids(&v), vec!["a0"], "phrase");
    let (_, v) = s.get("/search?q=pact%20-stall").await;
    assert_eq!(ids(&v), vec!["a0"], "exclusion");
    let (_, v) = s.get("/search?q=stall%20OR%20rally").await;
    assert_eq!(v["total"], 2, "OR");
    let (_, v) = s.get("/search?q=author:%22Ann%20Lee%22").await;
    assert_eq!(v["total"], 4, "field:value");
    let (_, v) = s.get("/search?q=tag:defense").await;
    assert_eq!(v["total"], 3);
    let (_, v) = s.get("/search?q=entity:china").await;
    assert_eq!(v["total"], 6);
}

#[tokio::test]
async fn wire_copies_are_shown_once_but_counted() {
    let s = server().await;
    let story = |id: &str, title: &str| json!({"id": id, "title": title, "body": "Cocoa rose on Monday, traders said.", "tags": ["cocoa"]});
    s.post_json(
        "/articles",
        &json!([
            story("c1", "COCOA PRICES RISE"),
            story("c2", "Cocoa prices rise"),
            story("c3", "Cocoa prices  rise!"),
            story("c4", "Cocoa prices fall")
        ]),
    )
    .await;
    let (_, v) = s.get("/search?q=cocoa&facets=tags").await;
    assert_eq!(v["total"], 4, "every copy is counted");
    assert_eq!(facet(&v, "tags"), pairs(&[("cocoa", 4)]));
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 2, "the three copies are shown once: {v}");
    let copies: Vec<u64> = hits
        .iter()
        .map(|h| h["copies"].as_u64().unwrap_or(0))
        .collect();
    assert!(copies.contains(&2) && copies.contains(&0), "{copies:?}");
}

#[tokio::test]
async fn recency_boost_ranks_recent_stories_up_when_configured() {
    let docs = json!([
        {"id": "old", "title": "Election results", "body": "The election results are in.", "published_at": "2024-01-01"},
        {"id": "new", "title": "Election results announced", "body": "Results of the election.", "published_at": "2024-06-01"},
    ]);
    let plain = TestServer::start().await;
    plain.post_json("/articles", &docs).await;
    let (_, v) = plain.get("/search?q=election%20results").await;
    assert_eq!(
        ids(&v)[0],
        "old",
        "pure BM25 prefers the shorter title: {v}"
    );

    let news = TestServer::start_with(|c| c.search.recency_half_life_days = 7.0).await;
    news.post_json("/articles", &docs).await;
    let (_, v) = news.get("/search?q=election%20results").await;
    assert_eq!(ids(&v), vec!["new", "old"], "{v}");
}

#[tokio::test]
async fn typos_match_close_spellings_below_exact_matches() {
    let s = server().await;
    // A transposition in a 4-letter word is one edit: `pcat` finds `pact`, every word required.
    let (_, v) = s.get("/search?q=defense%20pcat&highlight=true").await;
    assert_eq!(ids(&v), vec!["a0"], "{v}");
    assert_eq!(
        v["hits"][0]["snippets"]["title"],
        "<mark>Defense</mark> <mark>pact</mark> signed in Beijing",
        "fuzzy matches are marked"
    );
    let (_, v) = s.get("/search?q=pcat&typos=false").await;
    assert_eq!(v["total"], 0, "typos=false turns it off");
    let (_, v) = s.get("/search?q=defense%20pcat%20xylophone").await;
    assert_eq!(v["total"], 0, "every word stays required");

    // A rare exact spelling of a common word (a misspelling a few articles share) also
    // matches its close spellings, always below the exact match.
    let mut docs = vec![
        json!({"id": "t2", "title": "Cocao harvest begins", "body": "A misspelt headline."}),
        json!({"id": "t3", "title": "Marlow harvest begins", "body": "A rare name."}),
    ];
    for i in 0..10 {
        docs.push(json!({"id": format!("t1-{i}"), "title": "Cocoa harvest begins", "body": "Cocoa farmers began the harvest."}));
    }
    s.post_json("/articles", &json!(docs)).await;
    let (_, v) = s.get("/search?q=cocao%20harvest").await;
    // The ten cocoa articles are wire copies of one: shown once, counted in the total.
    assert_eq!(ids(&v), vec!["t2", "t1-0"], "{v}");
    assert_eq!(v["total"], 11, "{v}");
    let (_, v) = s.get("/search?q=cocao%20harvest&typos=false").await;
    assert_eq!(ids(&v), vec!["t2"]);
    // A rare word that is no misspelling of a more common one keeps its exact matches alone:
    // `marlow` is not taken for `marlon`, which as few articles have.
    s.post_json(
        "/articles",
        &json!([{"id": "t4", "title": "Marlon harvest begins", "body": "Another rare name."}]),
    )
    .await;
    let (_, v) = s.get("/search?q=marlow%20harvest").await;
    assert_eq!(ids(&v), vec!["t3"], "{v}");
    // Syntax is taken literally.
    let (_, v) = s.get("/search?q=%22pcat%22").await;
    assert_eq!(v["total"], 0);
}

/// Every page of `query` through `after` cursors, `limit` at a time.
async fn walk(s: &TestServer, query: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..200 {
        let url = match &after {
            None => format!("/search?{query}&limit={limit}"),
            Some(c) => format!("/search?{query}&limit={limit}&after={c}"),
        };
        let (status, v) = s.get(&url).await;
        assert_eq!(status, 200, "{url}: {v}");
        let page = ids(&v);
        assert!(page.len() <= limit, "{v}");
        out.extend(page);
        match v["next"].as_str() {
            Some(c) => {
                assert_eq!(ids(&v).len(), limit, "a short page is the last: {v}");
                after = Some(c.to_string());
            }
            None => return out,
        }
    }
    panic!("no end to the pages of {query}");
}

#[tokio::test]
async fn after_cursor_walks_every_hit_once_in_order() {
    let s = server().await;
    // Wire copies (same date, so the tiebreak decides) and a typo tier.
    let story = |id: &str, title: &str| json!({"id": id, "title": title, "body": "Cocoa rose on Monday, traders said.", "published_at": "2024-02-10T12:00:00Z"});
    s.post_json(
        "/articles",
        &json!([
            story("c1", "COCOA PRICES RISE"),
            story("c2", "Cocoa prices rise"),
            story("c3", "Cocoa prices  rise!"),
            story("c4", "Cocoa prices fall"),
            {"id": "t1", "title": "Cocoa harvest begins", "body": "Cocoa farmers began the harvest."},
            {"id": "t2", "title": "Cocao harvest begins", "body": "A misspelt headline."},
        ]),
    )
    .await;
    for query in [
        "sort=newest",
        "sort=oldest",
        "sort=relevance&q=trade",
        "q=trade&sort=newest",
        "q=cocoa",
        "q=cocao%20harvest",
        "q=news%20OR%20cocoa&sort=newest",
        "tag=world&sort=oldest",
    ] {
        let (_, all) = s.get(&format!("/search?{query}&limit=100")).await;
        assert!(all.get("next").is_none(), "one page holds all: {all}");
        let expected = ids(&all);
        assert!(!expected.is_empty(), "{query}");
        for limit in [1, 2, 3, 5] {
            let walked = walk(&s, query, limit).await;
            assert_eq!(walked, expected, "{query}, limit {limit}");
        }
    }
    // The first page's cursor continues an offset page too, and POST takes `after`.
    let (_, p1) = s.get("/search?sort=newest&limit=4&offset=4").await;
    let next = p1["next"].as_str().unwrap();
    let (_, all) = s.get("/search?sort=newest&limit=100").await;
    let (status, p2) = s
        .post_json(
            "/search",
            &json!({"sort": "newest", "limit": 4, "after": next}),
        )
        .await;
    assert_eq!(status, 200, "{p2}");
    assert_eq!(ids(&p2), ids(&all)[8..12].to_vec());
    assert_eq!(p2["total"], all["total"], "total counts every match");
    let (_, last) = s.get("/search?sort=newest&limit=0").await;
    assert!(last.get("next").is_none(), "no hits asked, no cursor");
}

#[tokio::test]
async fn equal_keys_in_different_segments_are_ordered_by_id() {
    let s = TestServer::start().await;
    // One write per request: each commit makes its own segment, so the tie between equal
    // dates and equal scores is broken across segments, by id.
    for (id, title) in [
        ("z", "Tin output steady"),
        ("b", "Tin exports steady"),
        ("x", "Tin stocks steady"),
        ("a", "Tin demand steady"),
    ] {
        let article = json!({"title": title, "body": "Tin was steady.", "published_at": "2024-03-01T00:00:00Z"});
        let (status, v) = s.put(&format!("/articles/{id}"), &article).await;
        assert_eq!(status, 200, "{v}");
    }
    for query in ["sort=newest", "sort=oldest", "q=steady&sort=newest"] {
        let (_, all) = s.get(&format!("/search?{query}&limit=100")).await;
        assert_eq!(ids(&all), ["a", "b", "x", "z"], "{query}");
        assert_eq!(walk(&s, query, 1).await, ids(&all), "{query}, one per page");
    }
}

#[tokio::test]
async fn bad_cursors_are_400_naming_after() {
    let s = server().await;
    let (_, v) = s.get("/search?sort=newest&limit=2").await;
    let good = v["next"].as_str().unwrap().to_string();
    for query in [
        "after=xyz".to_string(),
        "after=".to_string(),
        "after=0102".to_string(),
        format!("after={}ff", &good[..good.len() - 1]),
        format!("after={good}&offset=2"),
        format!("after={good}&sort=oldest"),
    ] {
        let (status, v) = s.get(&format!("/search?{query}")).await;
        assert_eq!(status, 400, "{query}: {v}");
        let m = error_message(&v, "bad_request");
        assert!(m.contains("`after`"), "{query}: {m}");
    }
    let (status, v) = s
        .post_json("/search", &json!({"after": "not a cursor"}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(error_message(&v, "bad_request").contains("`after`"));
}

/// Browsing takes its page and counts from per-segment results remembered between requests;
/// they must follow deletions, new articles and replacements exactly as a fresh search does.
#[tokio::test]
async fn browse_facet_counts_follow_every_write() {
    let s = server().await;
    let browse = "/search?limit=20&facets=authors,tags,entities.place,published_at";
    let (_, v) = s.get(browse).await;
    assert_eq!(v["total"], 12);
    assert_eq!(
        facet(&v, "tags"),
        pairs(&[
            ("world", 12),
            ("world/asia", 6),
            ("world/europe", 6),
            ("defense", 3)
        ])
    );
    assert_eq!(
        facet(&v, "entities.place"),
        pairs(&[("China", 6), ("Russia", 6)])
    );
    let (_, again) = s.get(browse).await;
    assert_eq!(v["facets"], again["facets"]);
    agrees_with_collectors(&s, &v).await;

    // a0: world/asia, defense, China, January.
    assert_eq!(s.delete("/articles/a0").await.0, 200);
    let (_, v) = s.get(browse).await;
    assert_eq!(v["total"], 11);
    assert_eq!(
        facet(&v, "tags"),
        pairs(&[
            ("world", 11),
            ("world/europe", 6),
            ("world/asia", 5),
            ("defense", 2)
        ])
    );
    assert_eq!(
        facet(&v, "entities.place"),
        pairs(&[("Russia", 6), ("China", 5)])
    );
    agrees_with_collectors(&s, &v).await;

    // A new article, and a1 moved from Europe to Asia.
    let new = json!({"id": "n1", "title": "New story", "authors": ["Dee Fox"], "source": "Wire",
        "published_at": "2024-03-01T00:00:00Z", "tags": ["world/asia"],
        "entities": [{"name": "China", "type": "place"}]});
    assert_eq!(s.put("/articles/n1", &new).await.0, 200);
    let mut a1 = fixture()[1].clone();
    a1["tags"] = json!(["world/asia"]);
    assert_eq!(s.put("/articles/a1", &a1).await.0, 200);
    let (_, v) = s.get(browse).await;
    assert_eq!(v["total"], 12);
    assert_eq!(
        facet(&v, "tags"),
        pairs(&[
            ("world", 12),
            ("world/asia", 7),
            ("world/europe", 5),
            ("defense", 2)
        ])
    );
    assert_eq!(
        facet(&v, "entities.place"),
        pairs(&[("China", 6), ("Russia", 6)])
    );
    assert!(facet(&v, "authors").contains(&("Dee Fox".to_string(), 1)));
    agrees_with_collectors(&s, &v).await;
}

/// A browse answer `v` (page of 20, four facets) against the same page and counts through the
/// ordinary collectors (a filter every article passes), and against counts without a page.
async fn agrees_with_collectors(s: &TestServer, v: &Value) {
    let facets = "facets=authors,tags,entities.place,published_at";
    let (_, w) = s
        .get(&format!("/search?limit=20&source=Wire&{facets}"))
        .await;
    for name in ["authors", "tags", "entities.place", "published_at"] {
        assert_eq!(facet(v, name), facet(&w, name), "{name}");
    }
    // Newest first, ties (four articles a month) by id.
    assert_eq!(ids(v), ids(&w));
    assert_eq!(v["total"], w["total"]);
    let (_, z) = s.get(&format!("/search?limit=0&{facets}")).await;
    assert_eq!((&z["total"], &z["facets"]), (&v["total"], &v["facets"]));
}

#[tokio::test]
async fn every_day_is_counted_and_dates_outside_the_range_are_refused() {
    let s = TestServer::start().await;
    // One commit, one segment: an article of 1850 beside articles of 2024.
    let mut docs = vec![json!({"id": "old", "title": "Gold found", "published_at": "1850-06-01"})];
    for day in 1..=3 {
        docs.push(json!({"id": format!("new{day}"), "title": "Gold price", "published_at": format!("2024-06-0{day}")}));
    }
    let (status, v) = s.post_json("/articles", &json!(docs)).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(4)), "{v}");
    let (_, v) = s.get("/search?facets=published_at:year").await;
    let years = &v["facets"]["published_at"];
    let count = |year: &str| {
        years
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["value"] == year)
            .map(|b| b["count"].as_u64().unwrap())
    };
    assert_eq!(count("1850"), Some(1), "{v}");
    assert_eq!(count("2024"), Some(3), "{v}");
    let (_, a) = s.get("/articles/old").await;
    assert_eq!(a["published_at"], "1850-06-01T00:00:00Z", "{a}");
    for date in ["0001-01-01", "1799-12-31", "2201-01-01"] {
        let (status, v) = s
            .put(
                "/articles/bad",
                &json!({"title": "T", "published_at": date}),
            )
            .await;
        assert_eq!(status, 422, "{date}: {v}");
        assert!(
            error_message(&v, "unprocessable").contains("published_at"),
            "{date}: {v}"
        );
    }
    s.stop().await;
}

/// Stories for the search by meaning: four about a cocoa shortage (one with the words searched,
/// two close to it in other words), two about other subjects.
fn meaning_fixture() -> Vec<Value> {
    let story = |id: &str, title: &str, body: &str, source: &str| {
        json!({"id": id, "title": title, "body": body, "source": source, "language": "en",
               "published_at": "2024-03-04T12:00:00Z"})
    };
    vec![
        story(
            "cocoa-shortfall",
            "Cocoa prices climb as Ivory Coast harvest falls short",
            "Cocoa futures rose to a seven-year high after exporters in Ivory Coast said the \
             main crop harvest would fall well short of last season, and grinders scrambled \
             for beans.",
            "Wire",
        ),
        story(
            "cocoa-ghana",
            "Ghana cocoa crop smaller, chocolate makers face dearer beans",
            "Ghana's cocoa board cut its forecast for the season's bean purchases as dry \
             weather hurt the trees, and chocolate makers said they expected to pay more for \
             cocoa.",
            "Wire",
        ),
        story(
            "cocoa-ivory",
            "Ivory Coast cocoa crop shortfall sends futures higher",
            "Exporters in Ivory Coast expect the main cocoa crop to come in well below last \
             season, and cocoa futures rose as grinders hunted for beans.",
            "Wire",
        ),
        story(
            "cocoa-ivory-agency",
            "Cocoa futures rise on poor Ivory Coast crop",
            "Cocoa futures rose after Ivory Coast exporters said the main crop would be much \
             smaller than last season, leaving grinders short of beans.",
            "Agency",
        ),
        story(
            "football",
            "United win the league title on the last day",
            "United beat City two goals to one on the final day of the season to take the \
             league title in front of a full stadium.",
            "Wire",
        ),
        story(
            "rates",
            "Central bank holds interest rates steady",
            "The central bank left its main interest rate unchanged for a third meeting, saying \
             inflation was easing but remained above its target.",
            "Wire",
        ),
    ]
}

#[tokio::test]
async fn semantic_adds_hits_by_meaning_after_the_word_matches() {
    let s = TestServer::start().await;
    let (status, v) = s.post_json("/articles", &json!(meaning_fixture())).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(6)), "{v}");

    // By words alone: the one story that has them all.
    let (status, v) = s.get("/search?q=cocoa%20harvest%20climb").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(ids(&v), ["cocoa-shortfall"], "{v}");
    assert!(v["hits"][0].get("similarity").is_none(), "{v}");

    // With meaning: the word match first, then the other cocoa stories with their similarity,
    // never the other subjects; counted in the total and the facets.
    let (status, v) = s
        .get("/search?q=cocoa%20harvest%20climb&semantic=true&facets=sources")
        .await;
    assert_eq!(status, 200, "{v}");
    let got = ids(&v);
    assert_eq!(got[0], "cocoa-shortfall", "{v}");
    assert!(got[1..].contains(&"cocoa-ivory".to_string()), "{v}");
    assert!(!got.contains(&"football".to_string()), "{v}");
    assert!(!got.contains(&"rates".to_string()), "{v}");
    assert!(v["hits"][0].get("similarity").is_none(), "{v}");
    for hit in &v["hits"].as_array().unwrap()[1..] {
        let similarity = hit["similarity"].as_f64().expect("a hit by meaning");
        assert!(similarity >= 0.6, "{hit}");
        assert!(hit["score"].as_f64().unwrap() <= 1.0, "{hit}");
    }
    let shown: u64 = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| 1 + h["copies"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(v["total"].as_u64(), Some(shown), "{v}");
    let counted: u64 = facet(&v, "sources").iter().map(|(_, n)| n).sum();
    assert_eq!(counted, shown, "{v}");

    assert!(got.contains(&"cocoa-ivory-agency".to_string()), "{v}");

    // Filters hold for hits by meaning too.
    let (_, v) = s
        .get("/search?q=cocoa%20harvest%20climb&semantic=true&source=Wire")
        .await;
    let got = ids(&v);
    assert!(got.contains(&"cocoa-ivory".to_string()), "{v}");
    assert!(!got.contains(&"cocoa-ivory-agency".to_string()), "{v}");

    // Paging walks the word matches, then the hits by meaning, each once.
    let (_, all) = s
        .get("/search?q=cocoa%20harvest%20climb&semantic=true&limit=10")
        .await;
    assert_eq!(
        walk(&s, "q=cocoa%20harvest%20climb&semantic=true", 1).await,
        ids(&all)
    );

    // Meaning ranks by relevance only; a bad value is named.
    let (status, v) = s.get("/search?q=cocoa&semantic=true&sort=newest").await;
    assert_eq!(status, 400, "{v}");
    assert!(error_message(&v, "bad_request").contains("semantic"), "{v}");
    let (status, v) = s.get("/search?q=cocoa&semantic=maybe").await;
    assert_eq!(status, 400, "{v}");
    assert!(error_message(&v, "bad_request").contains("semantic"), "{v}");
}
