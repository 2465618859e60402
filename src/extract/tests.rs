//! Behaviour tests for `extract_entities`: the seed article, each typing cue,
//! alias folding, headline handling and text in other languages.

use super::extract_entities;

const SEED: &str = include_str!("../../data/seed-article.txt");

fn run(title: &str, summary: &str, body: &str) -> Vec<(String, String)> {
    extract_entities(title, summary, body)
        .into_iter()
        .map(|e| (e.name, e.entity_type))
        .collect()
}

fn seed() -> Vec<(String, String)> {
    let (title, body) = SEED.split_once('\n').expect("seed has a title line");
    run(title, "", body)
}

fn has(found: &[(String, String)], name: &str, kind: &str) -> bool {
    found.iter().any(|(n, k)| n == name && k == kind)
}

fn names(found: &[(String, String)]) -> Vec<&str> {
    found.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn seed_article_required_entities() {
    let found = seed();
    for place in [
        "China",
        "Russia",
        "North Korea",
        "United States",
        "Beijing",
        "Pyongyang",
        "East Asia",
        "Korean Peninsula",
    ] {
        assert!(
            has(&found, place, "place"),
            "missing place {place}: {found:?}"
        );
    }
    for person in ["Victor Cha", "Danny Russel"] {
        assert!(
            has(&found, person, "person"),
            "missing person {person}: {found:?}"
        );
    }
    for org in [
        "Center for Strategic and International Studies",
        "UN Security Council",
    ] {
        assert!(has(&found, org, "org"), "missing org {org}: {found:?}");
    }
}

#[test]
fn seed_article_has_no_junk() {
    let found = seed();
    let names = names(&found);
    for junk in [
        "Beijing's",
        "Experts",
        "Furthermore",
        "Share",
        "According",
        "US",
        "U.S.",
        "Asia",
        "Korea",
        "Russel",
        "The",
        "Post",
        "Leave",
        "Related",
        "Western",
    ] {
        assert!(!names.contains(&junk), "junk {junk:?} in {found:?}");
    }
    // One value per entity.
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "duplicates in {found:?}");
}

#[test]
fn seed_article_salience_puts_subjects_first() {
    let found = seed();
    let top: Vec<&str> = names(&found).into_iter().take(4).collect();
    for subject in ["China", "Russia", "North Korea"] {
        assert!(top.contains(&subject), "{subject} not in top 4: {top:?}");
    }
}

#[test]
fn honorifics_and_roles_make_people() {
    let found = run(
        "",
        "",
        "Prime Minister Yasuhiro Nakasone met Mr. Volcker on Monday. \
         Treasury Secretary James Baker said the talks went well. \
         Dr Angela Merkel spoke later.",
    );
    assert!(has(&found, "Yasuhiro Nakasone", "person"), "{found:?}");
    assert!(has(&found, "Volcker", "person"), "{found:?}");
    assert!(has(&found, "James Baker", "person"), "{found:?}");
    assert!(has(&found, "Angela Merkel", "person"), "{found:?}");
    assert!(!names(&found).contains(&"Prime Minister Yasuhiro Nakasone"));
}

#[test]
fn reporting_verbs_and_appositives_make_people() {
    let found = run(
        "",
        "",
        "Profits will fall, Hiroshi Takeuchi said on Tuesday. \
         The plan is sound, said Kurt Wasserfall. \
         Zoltan Pataki, chief economist at a local broker, disagreed.",
    );
    for p in ["Hiroshi Takeuchi", "Kurt Wasserfall", "Zoltan Pataki"] {
        assert!(has(&found, p, "person"), "missing {p}: {found:?}");
    }
}

#[test]
fn surname_folds_into_full_name() {
    let found = run(
        "",
        "",
        "Paul Volcker said rates would stay. Volcker added that Mr Volcker \
         had no comment.",
    );
    assert!(has(&found, "Paul Volcker", "person"), "{found:?}");
    assert!(!names(&found).contains(&"Volcker"), "{found:?}");
}

#[test]
fn national_institution_implies_its_country() {
    let found = run("", "", "The Bundesbank and the Bank of Japan cut rates.");
    for p in ["Germany", "Japan"] {
        assert!(has(&found, p, "place"), "missing {p}: {found:?}");
    }
}

#[test]
fn org_suffixes_and_keywords_make_orgs() {
    let found = run(
        "",
        "",
        "Texaco Inc and Ford Motor Co agreed with Barclays Plc. \
         Analysts at the Finance Ministry and the Nomura Research Institute \
         said the Liberal Democratic Party and Stanford University disagreed. \
         The National Security Council met.",
    );
    for org in [
        "Texaco Inc",
        "Ford Motor Co",
        "Barclays Plc",
        "Finance Ministry",
        "Nomura Research Institute",
        "Liberal Democratic Party",
        "Stanford University",
        "National Security Council",
    ] {
        assert!(has(&found, org, "org"), "missing {org}: {found:?}");
    }
}

#[test]
fn org_keyword_before_of_takes_the_place_name() {
    let found = run(
        "",
        "",
        "The Ministry of Finance and the University of Chicago spoke.",
    );
    assert!(has(&found, "Ministry of Finance", "org"), "{found:?}");
    assert!(has(&found, "University of Chicago", "org"), "{found:?}");
}

#[test]
fn gazetteer_types_places_and_orgs() {
    let found = run(
        "",
        "",
        "Officials in Tokyo and Brazil met the IMF, OPEC and the World Bank in the Middle East.",
    );
    for p in ["Tokyo", "Brazil", "Middle East"] {
        assert!(has(&found, p, "place"), "missing {p}: {found:?}");
    }
    for o in [
        "International Monetary Fund",
        "Organization of Petroleum Exporting Countries",
        "World Bank",
    ] {
        assert!(has(&found, o, "org"), "missing {o}: {found:?}");
    }
}

#[test]
fn aliases_collapse_to_one_canonical_name() {
    let found = run(
        "",
        "",
        "The U.S. economy grew. US officials and the United States Treasury \
         agreed, and American banks followed. Americans were pleased.",
    );
    let us: Vec<_> = found
        .iter()
        .filter(|(n, _)| n.contains("United States") || n == "US" || n == "U.S." || n == "America")
        .collect();
    assert_eq!(us.len(), 1, "{found:?}");
    assert!(has(&found, "United States", "place"));

    let un = run(
        "",
        "",
        "The U.N. Security Council met. Later the UN Security Council voted.",
    );
    assert_eq!(names(&un), ["UN Security Council"], "{un:?}");
}

#[test]
fn historical_names() {
    let found = run(
        "",
        "",
        "West German and Soviet officials met in Bonn. The USSR, Burma and Zaire were discussed.",
    );
    for p in [
        "West Germany",
        "Soviet Union",
        "Bonn",
        "Myanmar",
        "Democratic Republic of the Congo",
    ] {
        assert!(has(&found, p, "place"), "missing {p}: {found:?}");
    }
}

#[test]
fn possessive_is_the_name_itself() {
    let found = run(
        "",
        "",
        "Beijing's response surprised Beijing watchers and Japan’s envoy.",
    );
    assert_eq!(names(&found), ["Beijing", "China", "Japan"], "{found:?}");
}

#[test]
fn hyphenated_compound_splits_into_places() {
    let found = run(
        "",
        "",
        "The Russia-North Korea pact and US-led talks continued.",
    );
    for p in ["Russia", "North Korea", "United States"] {
        assert!(has(&found, p, "place"), "missing {p}: {found:?}");
    }
    assert!(!names(&found).iter().any(|n| n.contains('-')), "{found:?}");
}

#[test]
fn all_caps_headline_gives_no_junk() {
    let found = run(
        "BAHIA COCOA REVIEW SEES LOWER CROP - TRADE",
        "",
        "Showers continued throughout the week in the Bahia cocoa zone.",
    );
    assert!(found.is_empty(), "{found:?}");

    let found = run("JAPAN TO CUT U.S. CHIP EXPORTS, MITI SAYS", "", "");
    assert_eq!(names(&found), ["Japan", "United States"], "{found:?}");
}

#[test]
fn title_case_headline_reads_only_the_gazetteer() {
    let found = run("Markets Rally As Investors Cheer Fed Move In Tokyo", "", "");
    let mut got = names(&found);
    got.sort_unstable();
    // The Fed is a national institution, so it also reports its country; Tokyo its own.
    assert_eq!(
        got,
        ["Federal Reserve", "Japan", "Tokyo", "United States"],
        "{found:?}"
    );
}

#[test]
fn dateline_is_read() {
    // A story from London is about the United Kingdom.
    let found = run("", "", "LONDON, March 3 - Shares rose in quiet trading.");
    assert_eq!(names(&found), ["London", "United Kingdom"], "{found:?}");
    // Far into the story, a city names only itself.
    let far = format!(
        "{} Traders in London were cautious.",
        "Shares rose in quiet trading. ".repeat(30)
    );
    let found = run("", "", &far);
    assert_eq!(names(&found), ["London"], "{found:?}");
}

#[test]
fn non_english_text_gives_no_junk() {
    for text in [
        "Chưa có bình luận nào",
        "Die Regierung hat heute Maßnahmen beschlossen. Der Vorschlag wurde von der Kommission begrüßt.",
        "Le gouvernement a annoncé mardi de nouvelles Mesures pour la Sécurité.",
        "El Gobierno aprobó hoy un nuevo Plan de Empleo.",
    ] {
        let found = run("", "", text);
        assert!(found.is_empty(), "{text:?} gave {found:?}");
    }
    // Place names still come through in another language.
    let found = run(
        "",
        "",
        "Die Regierung in Berlin hat heute mit Russland gesprochen.",
    );
    assert_eq!(names(&found), ["Berlin", "Germany", "Russia"], "{found:?}");
}

#[test]
fn sentence_initial_common_words_are_not_entities() {
    let found = run(
        "",
        "",
        "Furthermore, prices rose. Meanwhile traders waited. Experts said \
         experts were wrong. Share this Post: Leave a comment",
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn empty_input_gives_nothing() {
    assert!(run("", "", "").is_empty());
    assert!(run("   ", "\n", "\n\n").is_empty());
}

#[test]
fn output_is_deterministic() {
    let (title, body) = SEED.split_once('\n').expect("seed has a title line");
    let a = extract_entities(title, "", body);
    let b = extract_entities(title, "", body);
    assert_eq!(a, b);
}

#[test]
fn country_names_in_other_languages_are_one_canonical_name() {
    for text in [
        "中国外交部发言人在记者会上表示，中方注意到有关报道。",
        "Bộ Ngoại giao Trung Quốc cho biết hôm thứ Hai.",
        "Le ministère chinois a répondu, selon la Chine.",
        "Министр иностранных дел Китая заявил журналистам.",
        "中国と日本の首脳が会談した。",
    ] {
        let found = run("", "", text);
        assert!(has(&found, "China", "place"), "{text}: {found:?}");
    }
    let found = run(
        "",
        "",
        "Die Regierung in Berlin hat heute mit Russland gesprochen.",
    );
    assert!(has(&found, "Russia", "place"), "{found:?}");
    let found = run("", "", "Президент России встретился с послом США.");
    assert!(has(&found, "Russia", "place"), "{found:?}");
    assert!(has(&found, "United States", "place"), "{found:?}");
}

#[test]
fn people_are_found_by_their_roles_in_other_languages() {
    for (text, person) in [
        (
            "Bundeskanzler Olaf Scholz traf am Montag den Präsidenten.",
            "Olaf Scholz",
        ),
        (
            "Le président Emmanuel Macron a reçu les syndicats mardi.",
            "Emmanuel Macron",
        ),
        (
            "El presidente Pedro Sánchez viajó ayer a Bruselas.",
            "Pedro Sánchez",
        ),
        (
            "В понедельник президент Владимир Путин провёл совещание.",
            "Владимир Путин",
        ),
        (
            "Hôm nay Thủ tướng Phạm Minh Chính đã tiếp đoàn đại biểu.",
            "Phạm Minh Chính",
        ),
        (
            "Der Plan sei gescheitert, sagte Friedrich Merz am Abend.",
            "Friedrich Merz",
        ),
    ] {
        let found = run("", "", text);
        assert!(has(&found, person, "person"), "{text}: {found:?}");
    }
}
