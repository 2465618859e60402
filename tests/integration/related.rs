//! Related articles over a small fixture whose neighbourhoods are known by construction.
//!
//! - `cocoa-1`: a cocoa drought story; `cocoa-1-copy` is a wire copy of it (other id, other
//!   case and spacing), `cocoa-2` and `cocoa-3` are other cocoa drought stories (`cocoa-3` from
//!   the year before), `cocoa-2-copy` is a copy of `cocoa-2`, `cocoa-1-near` is `cocoa-1`
//!   with one word changed (a near-duplicate, another copy key).
//! - `sport-*`, `vote-*`: unrelated stories.
//! - `envoy-0` has a title and entities but no body; `envoy-1` and `envoy-2` share its rare
//!   entities but none of its words.

use serde_json::{json, Value};

use crate::common::{error_message, TestServer};

const COCOA_1: &str = "Showers continued throughout the week in the Bahia cocoa zone, \
    alleviating the drought since early January and improving prospects for the coming \
    temporao harvest, although normal humidity levels have not been restored, Comissaria \
    Smith said in its weekly review of cocoa arrivals and bean prices.";
const COCOA_2: &str = "The drought in the Bahia cocoa zone cut arrivals of beans again this \
    week, exporters said, and farmers holding cocoa on consignment were reluctant to sell \
    before the temporao harvest; bean prices rose on the news.";
const COCOA_3: &str = "Cocoa farmers in Bahia fear another drought will hurt the temporao \
    harvest, and exporters expect bean arrivals to fall, a review by Comissaria Smith said.";

fn article(
    id: &str,
    title: &str,
    body: Option<&str>,
    date: &str,
    tags: &[&str],
    entities: Value,
) -> Value {
    let mut a = json!({
        "id": id,
        "title": title,
        "published_at": date,
        "tags": tags,
        "entities": entities,
        "source": "Wire",
    });
    if let Some(b) = body {
        a["body"] = json!(b);
    }
    a
}

fn fixture() -> Vec<Value> {
    let bahia =
        json!([{"name": "Bahia", "type": "place"}, {"name": "Comissaria Smith", "type": "org"}]);
    let mut v = vec![
        article(
            "cocoa-1",
            "Bahia cocoa review",
            Some(COCOA_1),
            "2024-03-01T10:00:00Z",
            &["commodities/cocoa"],
            bahia.clone(),
        ),
        article(
            "cocoa-1-copy",
            "BAHIA COCOA  REVIEW",
            Some(&COCOA_1.to_uppercase().replace(' ', "   ")),
            "2024-03-01T11:00:00Z",
            &["commodities/cocoa"],
            bahia.clone(),
        ),
        article(
            "cocoa-1-near",
            "Bahia cocoa review",
            Some(&COCOA_1.replace("weekly", "monthly")),
            "2024-03-02T11:00:00Z",
            &["commodities/cocoa"],
            bahia.clone(),
        ),
        article(
            "cocoa-2",
            "Drought cuts Bahia cocoa arrivals",
            Some(COCOA_2),
            "2024-03-04T10:00:00Z",
            &["commodities/cocoa", "brazil"],
            json!([{"name": "Bahia", "type": "place"}]),
        ),
        article(
            "cocoa-2-copy",
            "drought cuts bahia cocoa arrivals",
            Some(COCOA_2),
            "2024-03-05T10:00:00Z",
            &["commodities/cocoa"],
            json!([{"name": "Bahia", "type": "place"}]),
        ),
        article(
            "cocoa-3",
            "Bahia cocoa farmers fear drought",
            Some(COCOA_3),
            "2023-02-01T10:00:00Z",
            &["commodities"],
            bahia,
        ),
        article(
            "envoy-0",
            "Statement issued",
            None,
            "2024-05-01T10:00:00Z",
            &["world/asia"],
            json!([{"name": "Victor Cha", "type": "person"}, {"name": "Kim Yo Jong", "type": "person"}]),
        ),
        article(
            "envoy-1",
            "Envoy speaks at forum",
            Some("The former envoy told a forum in Seoul that talks could resume within months."),
            "2024-05-02T10:00:00Z",
            &["world/asia"],
            json!([{"name": "Victor Cha", "type": "person"}]),
        ),
        article(
            "envoy-2",
            "Sister of leader warns neighbours",
            Some("A harsh message was carried by the official agency on Sunday night."),
            "2024-05-03T10:00:00Z",
            &["world/asia"],
            json!([{"name": "Kim Yo Jong", "type": "person"}]),
        ),
    ];
    for i in 0..4 {
        v.push(article(
            &format!("sport-{i}"),
            &format!("Late goal wins derby {i}"),
            Some("A late goal from the striker won the derby for the home side in front of a full stadium, the coach said."),
            "2024-03-02T10:00:00Z",
            &["sport"],
            json!([{"name": "Bahia", "type": "place"}]),
        ));
        v.push(article(
            &format!("vote-{i}"),
            &format!("Parliament vote delayed {i}"),
            Some("The vote on the budget was delayed again after the coalition failed to agree on spending cuts."),
            "2024-03-02T10:00:00Z",
            &["politics"],
            json!([{"name": "Parliament", "type": "org"}]),
        ));
    }
    v
}

async fn server() -> TestServer {
    server_with(|_| {}).await
}

async fn server_with(configure: impl FnOnce(&mut newsindex::config::Config)) -> TestServer {
    let s = TestServer::start_with(configure).await;
    let items = fixture();
    let (status, v) = s.post_json("/articles", &json!(items)).await;
    assert_eq!(
        (status, v["indexed"].as_u64()),
        (200, Some(items.len() as u64)),
        "{v}"
    );
    s
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits in {v}"))
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn never_itself_nor_copies_and_no_two_copies() {
    let s = server().await;
    let (status, v) = s.get("/articles/cocoa-1/related").await;
    assert_eq!(status, 200, "{v}");
    let got = ids(&v);
    assert!(!got.contains(&"cocoa-1".to_string()), "{got:?}");
    assert!(!got.contains(&"cocoa-1-copy".to_string()), "{got:?}");
    assert!(!got.contains(&"cocoa-1-near".to_string()), "{got:?}");
    assert!(got.contains(&"cocoa-3".to_string()), "{got:?}");
    let twos = got.iter().filter(|id| id.starts_with("cocoa-2")).count();
    assert_eq!(twos, 1, "one of cocoa-2 and its copy: {got:?}");
    assert!(
        got.iter().all(|id| id.starts_with("cocoa-")),
        "unrelated stories share too few words: {got:?}"
    );
    // The same from the copy's side.
    let (_, v) = s.get("/articles/cocoa-1-copy/related").await;
    let got = ids(&v);
    assert!(!got.iter().any(|id| id.starts_with("cocoa-1")), "{got:?}");
    // Scores are best first.
    let scores: Vec<f64> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[tokio::test]
async fn filters_narrow_the_candidates() {
    let s = server().await;
    let (_, v) = s.get("/articles/cocoa-1/related?from=2024-01-01").await;
    let got = ids(&v);
    assert!(!got.is_empty());
    assert!(!got.contains(&"cocoa-3".to_string()), "{got:?}");
    let (_, v) = s.get("/articles/cocoa-1/related?tag=brazil").await;
    let got = ids(&v);
    assert!(!got.is_empty());
    assert!(got.iter().all(|id| id.starts_with("cocoa-2")), "{got:?}");
    let (_, v) = s.get("/articles/cocoa-1/related?limit=1").await;
    assert_eq!(ids(&v).len(), 1);
}

#[tokio::test]
async fn explanations_are_truly_shared() {
    let s = server().await;
    let (_, source) = s.get("/articles/cocoa-1").await;
    let lower = |v: &Value, key: &str, field: Option<&str>| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| match field {
                Some(f) => x[f].as_str().unwrap().to_lowercase(),
                None => x.as_str().unwrap().to_lowercase(),
            })
            .collect()
    };
    let source_entities = lower(&source, "entities", Some("name"));
    let (_, v) = s.get("/articles/cocoa-1/related").await;
    for hit in v["hits"].as_array().unwrap() {
        let (_, article) = s
            .get(&format!("/articles/{}", hit["id"].as_str().unwrap()))
            .await;
        let entities = lower(&article, "entities", Some("name"));
        for e in lower(hit, "shared_entities", None) {
            assert!(
                source_entities.contains(&e) && entities.contains(&e),
                "{hit}"
            );
        }
        let tags = lower(&article, "tags", None);
        for t in lower(hit, "shared_tags", None) {
            let level_of = |tags: &[String]| {
                tags.iter()
                    .any(|x| *x == t || x.starts_with(&format!("{t}/")))
            };
            assert!(level_of(&tags), "{hit}");
            assert!(level_of(&lower(&source, "tags", None)), "{hit}");
        }
        assert!(!hit["shared_terms"].as_array().unwrap().is_empty(), "{hit}");
    }
    let cocoa2 = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"].as_str().unwrap().starts_with("cocoa-2"))
        .unwrap();
    assert_eq!(cocoa2["shared_entities"], json!(["Bahia"]), "{cocoa2}");
    assert_eq!(
        cocoa2["shared_tags"],
        json!(["commodities/cocoa"]),
        "{cocoa2}"
    );
    let terms = lower(cocoa2, "shared_terms", None);
    assert!(terms.contains(&"cocoa".to_string()), "{terms:?}");
}

#[tokio::test]
async fn entities_alone_find_neighbours() {
    let s = server().await;
    let (status, v) = s.get("/articles/envoy-0/related").await;
    assert_eq!(status, 200, "{v}");
    let got = ids(&v);
    assert!(got.contains(&"envoy-1".to_string()), "{got:?}");
    assert!(got.contains(&"envoy-2".to_string()), "{got:?}");
    let envoy1 = &v["hits"][got.iter().position(|i| i == "envoy-1").unwrap()];
    assert_eq!(envoy1["shared_entities"], json!(["Victor Cha"]), "{envoy1}");
}

#[tokio::test]
async fn a_draft_finds_its_story_once() {
    let s = server().await;
    let (status, v) = s
        .post_json(
            "/related",
            &json!({
                "title": "Drought hurts Bahia cocoa harvest",
                "body": "Exporters said the drought in the Bahia cocoa zone will cut bean arrivals and the temporao harvest, and farmers expect prices to rise.",
                "entities": ["Bahia", {"name": "Comissaria Smith", "type": "org"}],
                "tags": ["commodities/cocoa"],
                "limit": 5
            }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let got = ids(&v);
    assert!(!got.is_empty() && got.len() <= 5, "{got:?}");
    assert!(got.iter().all(|id| id.starts_with("cocoa-")), "{got:?}");
    assert!(
        got.iter().filter(|id| id.starts_with("cocoa-1")).count() <= 1,
        "copies collapse: {got:?}"
    );
}

#[tokio::test]
async fn unknown_article_is_404() {
    let s = server().await;
    let (status, v) = s.get("/articles/nope/related").await;
    assert_eq!(status, 404, "{v}");
    assert!(error_message(&v, "not_found").contains("nope"));
}

#[tokio::test]
async fn bad_parameters_name_themselves() {
    let s = server().await;
    for (query, name) in [
        ("limit=abc", "limit"),
        ("limit=1000", "limit"),
        ("from=yesterday", "from"),
        ("q=cocoa", "q"),
        ("sort=newest", "sort"),
    ] {
        let (status, v) = s.get(&format!("/articles/cocoa-1/related?{query}")).await;
        assert_eq!(status, 400, "{query}: {v}");
        let msg = error_message(&v, "bad_request");
        assert!(msg.contains(&format!("`{name}`")), "{query}: {msg}");
    }
    let (status, v) = s
        .post_json("/related", &json!({"title": "x", "colour": "red"}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(error_message(&v, "bad_request").contains("colour"));
    let (status, v) = s
        .post_json("/related", &json!({"title": " ", "tags": ["a"]}))
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(error_message(&v, "unprocessable").contains("`title`"));
    let (status, v) = s
        .post_json("/related", &json!({"title": "x", "limit": 1000}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(error_message(&v, "bad_request").contains("`limit`"));
}

#[tokio::test]
async fn the_time_decay_follows_the_related_config() {
    // cocoa-3 is a year older than cocoa-1, cocoa-2 three days younger: with the default
    // 30-day half-life cocoa-3 keeps about half its lexical score, with the decay off all of
    // it. The decay weighs the lexical part of the blend only (a third of a score here), so
    // the ratio moves by a few percent; without the decay it would not move at all.
    let ratio = |v: &Value| {
        // cocoa-2 or its copy, whichever is listed.
        let score = |id: &str| {
            v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["id"].as_str().unwrap().starts_with(id))
                .unwrap_or_else(|| panic!("no {id} in {v}"))["score"]
                .as_f64()
                .unwrap()
        };
        score("cocoa-3") / score("cocoa-2")
    };
    let (_, decayed) = server().await.get("/articles/cocoa-1/related").await;
    let off = server_with(|c| c.related.half_life_days = 0.0).await;
    let (status, flat) = off.get("/articles/cocoa-1/related").await;
    assert_eq!(status, 200, "{flat}");
    assert!(
        ratio(&flat) > 1.02 * ratio(&decayed),
        "decayed {decayed}\noff {flat}"
    );
}

#[tokio::test]
async fn another_take_of_the_same_story_is_never_related() {
    // Reuters-21578 has the same story twice, a long and a short take (reuters-8141 and
    // reuters-8244): same headline, same lead, the short one cut after the second paragraph.
    let corpus = crate::common::reuters(25_000);
    let pick = |id: &str| corpus.iter().find(|a| a["id"] == id).cloned().expect(id);
    let (long, short) = (pick("reuters-8141"), pick("reuters-8244"));
    assert_eq!(long["title"], short["title"]);
    assert_ne!(long["body"], short["body"]);
    let mut docs = vec![long, short];
    // Other stories about Japan's economy and trade, so that the takes have neighbours.
    docs.extend(
        corpus
            .iter()
            .filter(|a| {
                a["title"].as_str().is_some_and(|t| t.contains("JAPAN"))
                    && a["id"] != "reuters-8141"
                    && a["id"] != "reuters-8244"
            })
            .take(60)
            .cloned(),
    );
    let s = TestServer::start().await;
    let (status, v) = s.post_json("/articles", &json!(docs)).await;
    assert_eq!(status, 200, "{v}");
    for (source, other) in [
        ("reuters-8141", "reuters-8244"),
        ("reuters-8244", "reuters-8141"),
    ] {
        let (status, v) = s.get(&format!("/articles/{source}/related?limit=20")).await;
        assert_eq!(status, 200, "{v}");
        let hits: Vec<&str> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        assert!(!hits.is_empty(), "{v}");
        assert!(!hits.contains(&other), "{source}: {v}");
    }
    s.stop().await;
}

/// The vector the server should hold for an article as `GET /articles/{id}` returns it now
/// (the index's own definition, called directly).
fn stored_vector(article: &Value) -> Vec<u8> {
    let article: newsindex::Article =
        serde_json::from_value(article.clone()).expect("an article as GET returns it");
    newsindex::index::document::embedding(&article).expect("the shipped model loads")
}

/// Each hit of a related `answer` has `similarity`, the cosine of `source`'s vector and the
/// hit's as its text is now; returns the similarities by hit id.
async fn check_similarities(s: &TestServer, source: &[u8], answer: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for hit in answer["hits"].as_array().unwrap() {
        let id = hit["id"].as_str().unwrap();
        let (_, other) = s.get(&format!("/articles/{id}")).await;
        let want = newsindex::embed::cosine_quantized(source, &stored_vector(&other));
        let got = hit["similarity"]
            .as_f64()
            .unwrap_or_else(|| panic!("no similarity in {hit}"));
        assert!(
            (got - f64::from(want)).abs() < 1e-4,
            "{id}: similarity {got}, vectors of the stored texts {want}"
        );
        out.push((id.to_string(), got));
    }
    out
}

/// [`check_similarities`] of the related articles of the stored article `source`.
async fn check_related_similarities(s: &TestServer, source: &str) -> Vec<(String, f64)> {
    let (_, article) = s.get(&format!("/articles/{source}")).await;
    let (status, v) = s.get(&format!("/articles/{source}/related")).await;
    assert_eq!(status, 200, "{v}");
    check_similarities(s, &stored_vector(&article), &v).await
}

#[tokio::test]
async fn similarity_follows_a_replaced_article_and_a_deleted_one_is_never_a_neighbour() {
    let s = server().await;
    let before = check_related_similarities(&s, "cocoa-1").await;
    assert!(before.iter().any(|(id, _)| id == "cocoa-3"), "{before:?}");
    // Stories on one subject are closer in meaning than the fixture's other stories.
    let (_, sport) = s.get("/articles/sport-0").await;
    let (_, cocoa) = s.get("/articles/cocoa-1").await;
    let off_topic =
        newsindex::embed::cosine_quantized(&stored_vector(&cocoa), &stored_vector(&sport));
    for (id, sim) in &before {
        assert!(
            *sim > f64::from(off_topic),
            "{id}: {sim} vs sport {off_topic}"
        );
    }

    // cocoa-3 rewritten as another cocoa story: its vector is the new text's.
    let mut rewritten = fixture()
        .into_iter()
        .find(|a| a["id"] == "cocoa-3")
        .unwrap();
    rewritten["title"] = json!("Bahia cocoa review: arrivals to fall");
    rewritten["body"] = json!(
        "Comissaria Smith said in its weekly review that the drought in the Bahia cocoa zone \
        has hurt the temporao harvest, and that cocoa arrivals and bean prices are expected \
        to fall while farmers wait for showers."
    );
    let (status, v) = s.put("/articles/cocoa-3", &rewritten).await;
    assert_eq!(status, 200, "{v}");
    let after = check_related_similarities(&s, "cocoa-1").await;
    let sim = |list: &[(String, f64)]| list.iter().find(|(id, _)| id == "cocoa-3").map(|x| x.1);
    let (old, new) = (sim(&before).unwrap(), sim(&after).expect("still related"));
    assert!(
        (old - new).abs() > 1e-3,
        "the vector did not change: {old} {new}"
    );

    // cocoa-2 and its copy deleted: never a neighbour again, whatever the limit.
    for id in ["cocoa-2", "cocoa-2-copy"] {
        let (status, v) = s.delete(&format!("/articles/{id}")).await;
        assert_eq!(status, 200, "{v}");
    }
    for source in ["cocoa-1", "cocoa-1-near"] {
        let (_, v) = s
            .get(&format!("/articles/{source}/related?limit=100"))
            .await;
        let got = ids(&v);
        assert!(!got.is_empty(), "{source}: {v}");
        assert!(
            !got.iter().any(|id| id.starts_with("cocoa-2")),
            "{source}: {got:?}"
        );
    }
    check_related_similarities(&s, "cocoa-1").await;
}

#[tokio::test]
async fn the_first_hits_do_not_depend_on_limit() {
    let s = server().await;
    for a in fixture() {
        let id = a["id"].as_str().unwrap();
        let (_, all) = s.get(&format!("/articles/{id}/related?limit=100")).await;
        let all = ids(&all);
        for limit in [1, 2, 3, 5] {
            let (_, v) = s
                .get(&format!("/articles/{id}/related?limit={limit}"))
                .await;
            let first = ids(&v);
            let want = &all[..all.len().min(limit)];
            assert_eq!(first, want, "{id}, limit={limit}");
        }
    }
}

#[tokio::test]
async fn a_draft_is_compared_in_meaning_too() {
    let s = server().await;
    let draft = json!({
        "title": "Drought hurts Bahia cocoa harvest",
        "body": "Exporters said the drought in the Bahia cocoa zone will cut bean arrivals.",
        "entities": ["Bahia"],
    });
    let (status, v) = s.post_json("/related", &draft).await;
    assert_eq!(status, 200, "{v}");
    let want = newsindex::embed::article_vector(
        draft["title"].as_str().unwrap(),
        None,
        draft["body"].as_str(),
        &["Bahia"],
        "en",
    )
    .unwrap();
    assert!(!ids(&v).is_empty(), "{v}");
    check_similarities(&s, &want, &v).await;
}

#[tokio::test]
async fn languages_any_finds_neighbours_in_other_languages() {
    let s = server().await;
    let french = json!({
        "id": "cacao-fr",
        "language": "fr",
        "title": "La sécheresse réduit les arrivages de cacao à Bahia",
        "body": "La sécheresse dans la zone cacaoyère de Bahia a de nouveau réduit les arrivages \
            de fèves cette semaine, selon les exportateurs, et les planteurs hésitent à vendre \
            avant la récolte temporao; les prix des fèves ont augmenté.",
        "published_at": "2024-03-04T12:00:00Z",
    });
    let (status, v) = s.put("/articles/cacao-fr", &french).await;
    assert_eq!(status, 200, "{v}");
    // By words, an article's neighbours are in its language: here there are none.
    let (status, v) = s.get("/articles/cacao-fr/related").await;
    assert_eq!(status, 200, "{v}");
    assert!(ids(&v).is_empty(), "{v}");
    // By meaning, the English cocoa stories, above the other subjects.
    let (status, v) = s
        .get("/articles/cacao-fr/related?languages=any&limit=3")
        .await;
    assert_eq!(status, 200, "{v}");
    let got = ids(&v);
    assert!(!got.is_empty(), "{v}");
    assert!(got.iter().all(|id| id.starts_with("cocoa-")), "{v}");
    for hit in v["hits"].as_array().unwrap() {
        assert!(hit["shared_terms"].as_array().unwrap().is_empty(), "{hit}");
        assert!(hit["similarity"].as_f64().unwrap() >= 0.3, "{hit}");
    }
    // Only within a month of the source (`meaning_window_days`): cocoa-3, a year older, is
    // left to words.
    let (_, v) = s
        .get("/articles/cacao-fr/related?languages=any&limit=20")
        .await;
    let got = ids(&v);
    assert!(got.iter().any(|id| id.starts_with("cocoa-")), "{v}");
    assert!(!got.contains(&"cocoa-3".to_string()), "{v}");
    // An English source may be given French neighbours the same way; a draft too.
    let (_, v) = s
        .get("/articles/cocoa-2/related?languages=any&limit=20")
        .await;
    assert!(ids(&v).contains(&"cacao-fr".to_string()), "{v}");
    let (_, v) = s.get("/articles/cocoa-2/related?limit=20").await;
    assert!(!ids(&v).contains(&"cacao-fr".to_string()), "{v}");
    let (status, v) = s
        .post_json(
            "/related",
            &json!({"title": french["title"], "body": french["body"], "languages": "any"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(ids(&v).iter().any(|id| id.starts_with("cocoa-")), "{v}");

    let (status, v) = s.get("/articles/cacao-fr/related?languages=all").await;
    assert_eq!(status, 400, "{v}");
    assert!(
        error_message(&v, "bad_request").contains("languages"),
        "{v}"
    );
    let (status, v) = s
        .post_json("/related", &json!({"title": "Cacao", "languages": "all"}))
        .await;
    assert!((400..500).contains(&status), "{status} {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("languages"),
        "{v}"
    );
}
