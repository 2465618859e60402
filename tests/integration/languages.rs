//! Articles in many languages in one index: each found by the words of its language (Chinese
//! and Japanese without spaces, Korean with particles, Russian and German inflections,
//! Vietnamese syllables), its language resolved and shown, related articles in its language.

use serde_json::{json, Value};

use crate::common::{urlencode, TestServer};

fn article(id: &str, title: &str, body: &str) -> Value {
    json!({"id": id, "title": title, "body": body, "entities": [], "published_at": "2024-06-22T05:03:00Z"})
}

fn fixture() -> Vec<Value> {
    vec![
        article(
            "zh-pact",
            "中国外交部回应俄朝防务协定",
            "中国外交部发言人在记者会上表示，中方注意到俄罗斯与朝鲜签署防务协定的报道。外交部强调，地区和平稳定符合各方利益。",
        ),
        article(
            "zh-pact-2",
            "朝鲜与俄罗斯签署全面战略伙伴关系条约",
            "俄罗斯总统普京访问朝鲜，两国签署防务协定和全面战略伙伴关系条约，外交部发言人就此回答记者提问。",
        ),
        article(
            "zh-rice",
            "南方多地水稻丰收",
            "今年南方多个省份水稻产量创新高，农民收入明显增加，粮食市场价格保持稳定。",
        ),
        article(
            "ja-tokyo",
            "東京都で新しい条例が成立",
            "東京都議会は本日、住宅の省エネルギー化を進める新しい条例を賛成多数で可決した。",
        ),
        article(
            "ko-seoul",
            "서울에서 국제 회의 개최",
            "서울에서 열린 국제 회의에 여러 나라의 대표들이 참석했다. 정부는 서울의 역할을 강조했다.",
        ),
        article(
            "ru-decree",
            "Президенту представили новый доклад",
            "Доклад президенту подготовило правительство. В докладе говорится о мерах поддержки экономики и президента поблагодарили за внимание.",
        ),
        article(
            "de-housing",
            "Neue Häuser für Berlin",
            "Der Senat will in den kommenden Jahren tausende Häuser und Wohnungen bauen lassen, sagte die Senatorin am Montag.",
        ),
        article(
            "vi-together",
            "Hội nghị kéo dài ba ngày",
            "Hội nghị quốc tế tại Hà Nội kéo dài ba ngày với sự tham gia của nhiều đại biểu.",
        ),
        article(
            "vi-apart",
            "Đại biểu kéo về thủ đô",
            "Nhiều đại biểu kéo nhau về thủ đô, nơi cuộc họp dài nhất trong năm diễn ra.",
        ),
        article(
            "en-cocoa",
            "Cocoa prices rise in London",
            "Cocoa prices rose in London on Monday as traders said supplies from the Ivory Coast were short.",
        ),
    ]
}

async fn server() -> TestServer {
    let s = TestServer::start().await;
    let (status, v) = s.post_json("/articles", &json!(fixture())).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(10)), "{v}");
    s
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits: {v}"))
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

async fn search(s: &TestServer, query: &str) -> Vec<String> {
    let (status, v) = s.get(&format!("/search?{query}")).await;
    assert_eq!(status, 200, "{query}: {v}");
    ids(&v)
}

fn q(words: &str) -> String {
    format!("q={}", urlencode(words))
}

#[tokio::test]
async fn chinese_and_japanese_words_are_found_inside_sentences() {
    let s = server().await;
    for word in ["外交部", "防务", "朝鲜"] {
        let hits = search(&s, &q(word)).await;
        assert!(hits.contains(&"zh-pact".to_string()), "{word}: {hits:?}");
        assert!(!hits.contains(&"zh-rice".to_string()), "{word}: {hits:?}");
    }
    assert_eq!(search(&s, &q("水稻")).await, ["zh-rice"]);
    // Characters of the word apart are not the word.
    assert!(search(&s, &q("交外")).await.is_empty());
    assert_eq!(search(&s, &q("東京")).await, ["ja-tokyo"]);
    assert_eq!(search(&s, &q("条例")).await, ["ja-tokyo"]);
    // No typo tolerance in scripts without spaces: one changed character finds nothing.
    assert!(search(&s, &q("外交都")).await.is_empty());
    s.stop().await;
}

#[tokio::test]
async fn korean_nouns_are_found_with_any_particle() {
    let s = server().await;
    for word in ["서울", "서울에서", "서울의", "서울은"] {
        assert_eq!(search(&s, &q(word)).await, ["ko-seoul"], "{word}");
    }
    s.stop().await;
}

#[tokio::test]
async fn inflections_are_found_by_stemming_not_typos() {
    let s = server().await;
    for word in ["президент", "президента", "доклады"] {
        assert_eq!(
            search(&s, &format!("{}&typos=false", q(word))).await,
            ["ru-decree"],
            "{word}"
        );
    }
    assert_eq!(
        search(&s, &format!("{}&typos=false", q("Haus"))).await,
        ["de-housing"]
    );
    assert_eq!(
        search(&s, &format!("{}&typos=false", q("hauser"))).await,
        ["de-housing"]
    );
    s.stop().await;
}

#[tokio::test]
async fn vietnamese_syllables_together_rank_first() {
    let s = server().await;
    let hits = search(&s, &q("kéo dài")).await;
    assert_eq!(hits, ["vi-together", "vi-apart"]);
    // Tones are letters: `dai` is not `dài`.
    assert!(search(&s, &format!("{}&typos=false", q("keo dai")))
        .await
        .is_empty());
    s.stop().await;
}

#[tokio::test]
async fn languages_are_resolved_shown_filtered_and_faceted() {
    let s = TestServer::start().await;
    let docs = json!([
        {"id": "given", "title": "Wohnen", "body": "Neue Häuser", "language": "de-AT", "entities": []},
        {"id": "detected", "title": "中国外交部回应俄朝防务协定", "body": "外交部发言人在记者会上表示，中方注意到有关报道。", "entities": []},
        {"id": "default", "title": "OK", "entities": []},
    ]);
    let (status, v) = s.post_json("/articles", &docs).await;
    assert_eq!(status, 200, "{v}");
    for (id, language, source) in [
        ("given", "de-at", "given"),
        ("detected", "zh", "detected"),
        ("default", "en", "default"),
    ] {
        let (_, a) = s.get(&format!("/articles/{id}")).await;
        assert_eq!(a["language"], language, "{a}");
        assert_eq!(a["language_source"], source, "{a}");
    }
    let (_, v) = s.get("/search?facets=languages&language=zh").await;
    assert_eq!(ids(&v), ["detected"]);
    let langs: Vec<&str> = v["facets"]["languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["value"].as_str().unwrap())
        .collect();
    assert_eq!(langs.len(), 3, "{v}");
    // The `language` filter also chooses the query's analysis: German stems with `de-AT`.
    assert_eq!(
        search(&s, "q=haus&language=de-at&typos=false").await,
        ["given"]
    );
    // A page says its language.
    let html = r#"<html lang="ru"><head><title>Президент</title></head><body><article><h1>Президент подписал указ</h1><p>Президент России подписал указ о новых мерах поддержки экономики.</p></article></body></html>"#;
    let r = reqwest::Client::new()
        .post(s.url("/articles?url=https://example.org/ru-1"))
        .header("content-type", "text/html")
        .body(html)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let (_, v) = s
        .get("/search?q=%D0%BF%D1%80%D0%B5%D0%B7%D0%B8%D0%B4%D0%B5%D0%BD%D1%82%D0%B0")
        .await;
    let hit = &v["hits"][0];
    let (_, a) = s
        .get(&format!("/articles/{}", hit["id"].as_str().expect("a hit")))
        .await;
    assert_eq!(
        (a["language"].as_str(), a["language_source"].as_str()),
        (Some("ru"), Some("page"))
    );
    s.stop().await;
}

#[tokio::test]
async fn highlights_mark_whole_cjk_words_and_stems() {
    let s = server().await;
    let (_, v) = s
        .get(&format!("/search?{}&highlight=true", q("外交部")))
        .await;
    let title = v["hits"][0]["snippets"]["title"].as_str().expect("title");
    assert_eq!(title, "中国<mark>外交部</mark>回应俄朝防务协定");
    let (_, v) = s
        .get(&format!(
            "/search?{}&highlight=true&typos=false",
            q("президент")
        ))
        .await;
    let title = v["hits"][0]["snippets"]["title"].as_str().expect("title");
    assert_eq!(title, "<mark>Президенту</mark> представили новый доклад");
    s.stop().await;
}

#[tokio::test]
async fn related_articles_of_a_chinese_article_are_chinese_on_its_subject() {
    let s = server().await;
    let (status, v) = s.get("/articles/zh-pact/related?limit=3").await;
    assert_eq!(status, 200, "{v}");
    let hits = ids(&v);
    assert_eq!(hits.first().map(String::as_str), Some("zh-pact-2"), "{v}");
    assert!(!hits.contains(&"zh-pact".to_string()));
    // A draft in Chinese, language detected.
    let (status, v) = s
        .post_json(
            "/related",
            &json!({"title": "外交部就防务协定答记者问", "body": "外交部发言人就俄罗斯与朝鲜的防务协定回答提问。"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let hits = ids(&v);
    assert!(hits.iter().take(2).all(|h| h.starts_with("zh-pact")), "{v}");
    s.stop().await;
}

/// Two Chinese stories on one rate cut in an index of other news: the character pairs they
/// share are the short one's commonest (in two articles, the others in one), so few of them
/// are among its top terms; their closeness in meaning admits each as the other's neighbour.
#[tokio::test]
async fn a_short_story_and_a_long_one_on_one_subject_are_each_others_neighbours() {
    let s = server().await;
    let pair = json!([
        article(
            "zh-cut-long",
            "中国央行下调存款准备金率",
            "中国人民银行周五宣布下调金融机构存款准备金率0.5个百分点，以支持实体经济发展。分析人士认为，此举将释放长期资金约一万亿元。",
        ),
        article(
            "zh-cut-short",
            "央行降准释放流动性",
            "人民银行决定下调存款准备金率，释放资金支持小微企业。市场预计货币政策将继续保持稳健。",
        ),
    ]);
    let (status, v) = s.post_json("/articles", &pair).await;
    assert_eq!((status, v["indexed"].as_u64()), (200, Some(2)), "{v}");
    for (id, other) in [
        ("zh-cut-long", "zh-cut-short"),
        ("zh-cut-short", "zh-cut-long"),
    ] {
        let (status, v) = s.get(&format!("/articles/{id}/related?limit=3")).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            ids(&v).first().map(String::as_str),
            Some(other),
            "{id}: {v}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn language_parameters_are_checked_everywhere() {
    let s = server().await;
    // A malformed tag names the parameter or field, wherever it is given.
    for path in [
        "/search?q=cocoa&language=%3Cb%3E",
        "/search?q=cocoa&language=en,1x",
        "/suggest?q=coc&language=%3Cb%3E",
        "/articles/en-cocoa/related?language=%3Cb%3E",
    ] {
        let (status, v) = s.get(path).await;
        assert_eq!(status, 400, "{path}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("language"),
            "{path}: {v}"
        );
    }
    let (status, v) = s
        .post_json(
            "/related",
            &json!({"title": "Cocoa prices", "language": "<b>"}),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("language"),
        "{v}"
    );
    // A well-formed tag of a language without rules of its own is a filter like any other.
    let (status, v) = s.get("/search?q=cocoa&language=sw").await;
    assert_eq!((status, ids(&v).len()), (200, 0), "{v}");
    let (status, v) = s.get("/search?q=cocoa&language=EN").await;
    assert_eq!(
        (status, ids(&v)),
        (200, vec!["en-cocoa".to_string()]),
        "{v}"
    );
    let (status, v) = s
        .post_json(
            "/related",
            &json!({"title": "Cocoa prices", "language": "en-GB"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    s.stop().await;
}

#[tokio::test]
async fn japanese_suggestions_complete_words_inside_compounds() {
    if !newsindex::analysis::japanese::load_for_tests() {
        eprintln!("skipped: no dictionaries/ipadic (scripts/fetch-dictionaries fetches it)");
        return;
    }
    let s = TestServer::start().await;
    let doc = json!({"id": "ja-press", "language": "ja", "title": "外務省報道官が記者会見",
        "body": "外務省の報道官は定例の記者会見で、防衛協定について説明した。"});
    let (status, v) = s.put("/articles/ja-press", &doc).await;
    assert_eq!(status, 200, "{v}");
    // Without a dictionary, 外務省報道官 and 記者会見 are each one word (a run of kanji), so
    // none of these prefixes would complete the title.
    for prefix in ["報道", "記者", "会見"] {
        let (status, v) = s
            .get(&format!("/suggest?q={}&language=ja", urlencode(prefix)))
            .await;
        assert_eq!(status, 200, "{v}");
        let found = v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "title" && x["id"] == "ja-press");
        assert!(found, "{prefix}: {v}");
    }
    s.stop().await;
}

#[tokio::test]
async fn suggestions_complete_cjk_and_vietnamese_prefixes() {
    let s = server().await;
    for (prefix, id) in [
        ("外交", "zh-pact"),
        ("東京", "ja-tokyo"),
        ("서울", "ko-seoul"),
        ("kéo dà", "vi-together"),
    ] {
        let (status, v) = s.get(&format!("/suggest?q={}", urlencode(prefix))).await;
        assert_eq!(status, 200, "{v}");
        let titles: Vec<&str> = v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] == "title")
            .filter_map(|x| x["id"].as_str())
            .collect();
        assert!(titles.contains(&id), "{prefix}: {v}");
    }
    // `language` keeps titles of that language.
    let titles = |v: &Value| -> Vec<String> {
        v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] == "title")
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, v) = s
        .get(&format!("/suggest?q={}&language=zh", urlencode("外交")))
        .await;
    assert!(titles(&v).contains(&"zh-pact".to_string()), "{v}");
    let (_, v) = s
        .get(&format!("/suggest?q={}&language=ja", urlencode("外交")))
        .await;
    assert!(titles(&v).is_empty(), "{v}");
    let (status, v) = s.get("/suggest?q=x&language=%3Cb%3E").await;
    assert_eq!(status, 400, "{v}");
    s.stop().await;
}

#[tokio::test]
async fn chinese_wire_copies_are_shown_once_and_never_related() {
    let s = server().await;
    // The same story again, with other spacing and punctuation: a wire copy.
    let copy = article(
        "zh-pact-copy",
        "中国外交部 回应俄朝防务协定",
        "中国外交部发言人在记者会上表示, 中方注意到俄罗斯与朝鲜签署防务协定的报道. 外交部强调, 地区和平稳定符合各方利益.",
    );
    let (status, v) = s.post_json("/articles", &json!([copy])).await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = s.get(&format!("/search?{}", q("协定"))).await;
    let hits = v["hits"].as_array().unwrap();
    let pact: Vec<&Value> = hits
        .iter()
        .filter(|h| h["id"].as_str().unwrap().starts_with("zh-pact") && h["id"] != "zh-pact-2")
        .collect();
    assert_eq!(pact.len(), 1, "{v}");
    assert_eq!(pact[0]["copies"], 1, "{v}");
    let (_, v) = s.get("/articles/zh-pact/related?limit=5").await;
    assert!(!ids(&v).contains(&"zh-pact-copy".to_string()), "{v}");
    s.stop().await;
}

#[tokio::test]
async fn entities_of_chinese_and_vietnamese_text_have_canonical_names() {
    let s = server().await;
    // Sent without entities: the server extracts them.
    let doc = json!({"id": "zh-extract", "title": "中国外交部回应俄朝防务协定",
        "body": "中国外交部发言人表示，中方注意到俄罗斯与朝鲜签署防务协定的报道。"});
    let (status, v) = s.post_json("/articles", &json!([doc])).await;
    assert_eq!(status, 200, "{v}");
    let (_, a) = s.get("/articles/zh-extract").await;
    let places: Vec<&str> = a["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "place")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for p in ["China", "Russia", "North Korea"] {
        assert!(places.contains(&p), "{p}: {a}");
    }
    let (_, v) = s.get("/search?entity=China&facets=languages").await;
    assert!(ids(&v).contains(&"zh-extract".to_string()), "{v}");
    let doc = json!({"id": "vi-extract", "title": "Trung Quốc phản ứng về hiệp định",
        "body": "Bộ Ngoại giao Trung Quốc cho biết hôm thứ Hai rằng Bắc Kinh theo dõi sát tình hình."});
    let (status, v) = s.post_json("/articles", &json!([doc])).await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = s.get("/search?entity=China").await;
    assert!(ids(&v).contains(&"vi-extract".to_string()), "{v}");
    s.stop().await;
}
