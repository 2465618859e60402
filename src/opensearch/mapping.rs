//! The OpenSearch index: its settings and mapping, and an article as an OpenSearch document.
//!
//! # Text: one field per language family, chosen at index time
//!
//! OpenSearch analyses a field with one analyzer for every document, while newsindex analyses
//! each article by its own language's rules. Sub-fields per analyzer (`title.en`, `title.de`,
//! …) would analyse every article by every language (30 times the indexing work and terms);
//! instead an article's title, summary and body go to the fields of **its** language family
//! only: `text.<family>.title`, `text.<family>.summary`, `text.<family>.body`, where the family
//! is
//!
//! - the language code (`en`, `de`, `ru`, …) for the languages whose stemmer `analysis-common`
//!   has ([`STEMMED`]): standard tokenizer, lower case (Greek's own lower case, which drops
//!   accents), the language's normalization (Arabic, Persian, Russian `ё`), ASCII folding where
//!   the tantivy side folds (see [`crate::analysis::languages`]), then the Snowball stemmer;
//! - `cjk` for Chinese, Japanese and Korean: character bigrams (`cjk_width`, `cjk_bigram`),
//!   since no dictionary segmenter (smartcn, kuromoji, nori) is on the test nodes;
//! - `und` for every other language: Unicode words, lower case, nothing stemmed.
//!
//! A query searches `text.*.title^3`, `text.*.summary^2` and `text.*.body` (each field read by
//! its own analyzer), or only the families of the languages a `language` filter names. The
//! text is stored once: the document is the article with `title`, `summary` and `body` moved
//! under `text.<family>`, which [`article_of_source`] moves back, so `GET` returns the article
//! exactly as sent. The derived keyword fields (below) are kept in `_source` too, so that
//! OpenSearch's own `_reindex` copies complete documents.
//!
//! # Keywords, dates, suggestions
//!
//! Facets count original values (`authors`, `tag_paths`, `source`, `entity_names`,
//! `entity_typed`), filters match lower-cased ones (their `.lower` sub-fields, through the
//! `lowercase` normalizer), as on the tantivy side. `tag_paths` holds every level of every tag
//! (`world`, `world/asia`), so `tag=world` matches `world/asia` and the tag facet counts each
//! level; `entity_typed` is `type\u{1f}name`, which a per-type facet selects by prefix.
//! `copy_key` (the hash wire copies share, as a decimal string) is what `collapse` groups on.
//! `published_at` is a `date`, `views` an `unsigned_long`, `suggest` a `completion` field (case- and
//! accent-insensitive) over the title, entity names, authors and tags. The mapping is strict: a field it does not name
//! is refused, so a document can't silently grow unindexed fields.
//!
//! `_meta.mapping_version` is [`MAPPING_VERSION`]: an existing index with another version must
//! be rebuilt (the client refuses to use it).

use serde_json::{json, Map, Value};

use crate::analysis::Lang;
use crate::article::Article;
use crate::index::document::{copy_key, tag_levels};
use crate::index::schema::TYPE_SEPARATOR;

/// Version of [`index_body`]'s mapping and of [`document`]'s shape; stored in `_meta`.
pub const MAPPING_VERSION: u32 = 2;

/// Deepest hit a search may ask for: the default `max_offset` + `max_limit` and the extra hit
/// that tells whether another page follows (OpenSearch's default is 10 000).
pub const MAX_RESULT_WINDOW: usize = 10_000 + 100 + 1;

/// The family of languages without rules of their own (and of those without a stemmer here).
pub const GENERIC_FAMILY: &str = "und";
/// The analyzer of the `suggest` completion field: words, lower case, folded to ASCII.
const SUGGEST_ANALYZER: &str = "news_suggest";
/// The family of Chinese, Japanese and Korean: character bigrams.
pub const CJK_FAMILY: &str = "cjk";

/// The text fields of a family, with their weights.
pub const TEXT_FIELDS: [(&str, u32); 3] = [("title", 3), ("summary", 2), ("body", 1)];

/// Languages whose Snowball stemmer `analysis-common` has (Lucene's `SnowballFilter`, or its
/// `stemmer` filter for Czech and Persian): (code, stemmer filter). Polish (stempel) and the languages
/// without a stemmer on the tantivy side are analysed by the generic rules here.
pub const STEMMED: &[(&str, &str)] = &[
    ("ar", "Arabic"),
    ("ca", "Catalan"),
    ("cs", "czech"),
    ("da", "Danish"),
    ("de", "German"),
    ("el", "Greek"),
    ("en", "English"),
    ("es", "Spanish"),
    ("et", "Estonian"),
    ("eu", "Basque"),
    ("fa", "persian"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("ga", "Irish"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("hy", "Armenian"),
    ("id", "Indonesian"),
    ("it", "Italian"),
    ("lt", "Lithuanian"),
    ("ne", "Nepali"),
    ("nl", "Dutch"),
    ("no", "Norwegian"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sr", "Serbian"),
    ("sv", "Swedish"),
    ("ta", "Tamil"),
    ("tr", "Turkish"),
    ("yi", "Yiddish"),
];

/// The family an article (or a query) of language `lang` is analysed by.
pub fn family(lang: Lang) -> &'static str {
    if lang.is_cjk() {
        return CJK_FAMILY;
    }
    let code = lang.code();
    STEMMED
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(GENERIC_FAMILY, |(c, _)| c)
}

/// Every family, each once.
pub fn families() -> impl Iterator<Item = &'static str> {
    [GENERIC_FAMILY, CJK_FAMILY]
        .into_iter()
        .chain(STEMMED.iter().map(|(c, _)| *c))
}

/// The analyzer name of a family.
fn analyzer_name(family: &str) -> String {
    format!("news_{family}")
}

/// The analysis settings: one analyzer per family, and the keyword normalizer.
fn analysis() -> Value {
    let mut analyzers = Map::new();
    let mut filters = Map::new();
    analyzers.insert(
        analyzer_name(GENERIC_FAMILY),
        json!({"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}),
    );
    // Completions match case- and accent-insensitively (`pyongyang` finds `Pyŏngyang`).
    analyzers.insert(
        SUGGEST_ANALYZER.into(),
        json!({"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}),
    );
    analyzers.insert(
        analyzer_name(CJK_FAMILY),
        json!({"type": "custom", "tokenizer": "standard",
               "filter": ["cjk_width", "lowercase", "cjk_bigram"]}),
    );
    filters.insert(
        "news_greek_lowercase".into(),
        json!({"type": "lowercase", "language": "greek"}),
    );
    for &(code, stemmer) in STEMMED {
        let rules = Lang::from_tag(code).map(Lang::rules);
        let mut chain: Vec<Value> = Vec::new();
        chain.push(if code == "el" {
            "news_greek_lowercase".into()
        } else {
            "lowercase".into()
        });
        match code {
            "ar" => chain.push("arabic_normalization".into()),
            "fa" => {
                chain.push("arabic_normalization".into());
                chain.push("persian_normalization".into());
            }
            _ => {}
        }
        if rules.is_some_and(|r| r.fold) {
            chain.push("asciifolding".into());
        }
        let filter = format!("news_stem_{code}");
        filters.insert(
            filter.clone(),
            if stemmer.starts_with(char::is_lowercase) {
                json!({"type": "stemmer", "language": stemmer})
            } else {
                json!({"type": "snowball", "language": stemmer})
            },
        );
        chain.push(filter.into());
        let mut analyzer = json!({"type": "custom", "tokenizer": "standard", "filter": chain});
        if code == "ru" {
            analyzer["char_filter"] = json!(["news_russian_yo"]);
        }
        analyzers.insert(analyzer_name(code), analyzer);
    }
    json!({
        "analyzer": analyzers,
        "filter": filters,
        "char_filter": {
            "news_russian_yo": {"type": "mapping", "mappings": ["ё => е", "Ё => Е"]}
        },
        "normalizer": {
            "news_lower": {"type": "custom", "filter": ["lowercase"]}
        }
    })
}

/// A keyword counted as given, with a lower-cased `.lower` sub-field for filters.
fn keyword_with_lower() -> Value {
    json!({"type": "keyword", "fields": {"lower": {"type": "keyword", "normalizer": "news_lower"}}})
}

/// Kept in `_source`, not indexed.
fn stored_only() -> Value {
    json!({"type": "keyword", "index": false, "doc_values": false})
}

/// The mapping.
pub fn mapping() -> Value {
    let mut text = Map::new();
    for family in families() {
        let mut fields = Map::new();
        for (name, _) in TEXT_FIELDS {
            fields.insert(
                name.into(),
                json!({"type": "text", "analyzer": analyzer_name(family)}),
            );
        }
        text.insert(family.into(), json!({"properties": fields}));
    }
    json!({
        "dynamic": "strict",
        "_meta": {"mapping_version": MAPPING_VERSION},
        "properties": {
            "id": {"type": "keyword"},
            "text": {"properties": text},
            "url": stored_only(),
            "authors": keyword_with_lower(),
            "published_at": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
            "tags": stored_only(),
            "tag_paths": keyword_with_lower(),
            "entities": {"type": "object", "enabled": false},
            "entity_names": keyword_with_lower(),
            "entity_types": {"type": "keyword", "normalizer": "news_lower"},
            "entity_typed": {"type": "keyword"},
            "entities_source": stored_only(),
            "language": {"type": "keyword", "normalizer": "news_lower"},
            "language_source": stored_only(),
            "views": {"type": "unsigned_long"},
            "source": keyword_with_lower(),
            "dateline": stored_only(),
            "copy_key": {"type": "keyword"},
            "suggest": {"type": "completion", "analyzer": SUGGEST_ANALYZER}
        }
    })
}

/// The body of `PUT /{index}`: settings (shards, replicas, analysis) and the mapping.
pub fn index_body(shards: u32, replicas: u32) -> Value {
    json!({
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "max_result_window": MAX_RESULT_WINDOW
            },
            "analysis": analysis()
        },
        "mappings": mapping()
    })
}

/// The text family of an article: its language's, or the default language's.
pub fn article_family(article: &Article) -> &'static str {
    family(crate::index::document::analysis_language(article))
}

/// An article as an OpenSearch document: its own fields, the text under its family, and the
/// derived fields (tag levels, entity keys, copy key, suggestion inputs).
pub fn document(article: &Article) -> crate::Result<Value> {
    let mut doc = match serde_json::to_value(article) {
        Ok(Value::Object(map)) => map,
        Ok(_) | Err(_) => return Err(crate::Error::Internal("article is not an object".into())),
    };
    let mut text = Map::new();
    for (name, _) in TEXT_FIELDS {
        if let Some(v) = doc.remove(name) {
            text.insert(name.into(), v);
        }
    }
    doc.insert(
        "text".into(),
        json!({ article_family(article): Value::Object(text) }),
    );
    doc.insert("tag_paths".into(), json!(tag_levels(&article.tags)));
    let mut names: Vec<&str> = article.entities.iter().map(|e| e.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut types: Vec<&str> = article
        .entities
        .iter()
        .map(|e| e.entity_type.as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    let mut typed: Vec<String> = article
        .entities
        .iter()
        .map(|e| format!("{}{TYPE_SEPARATOR}{}", e.entity_type, e.name))
        .collect();
    typed.sort_unstable();
    typed.dedup();
    doc.insert("entity_names".into(), json!(names));
    doc.insert("entity_types".into(), json!(types));
    doc.insert("entity_typed".into(), json!(typed));
    doc.insert("copy_key".into(), json!(copy_key(article).to_string()));
    let mut inputs: Vec<String> = std::iter::once(article.title.as_str())
        .chain(names.iter().copied())
        .chain(article.authors.iter().map(String::as_str))
        .chain(article.tags.iter().map(String::as_str))
        // Characters the completion field reserves (an input holding one fails the document).
        .map(|s| s.replace(['\u{0}', '\u{1e}', '\u{1f}'], " "))
        .filter(|s| !s.trim().is_empty())
        .collect();
    inputs.dedup();
    doc.insert("suggest".into(), json!({ "input": inputs }));
    Ok(Value::Object(doc))
}

/// The article of a document's `_source`: the text moved back out of `text.<family>`, the
/// derived fields left behind.
pub fn article_of_source(source: &Value) -> crate::Result<Article> {
    let bad = |why: String| crate::Error::Internal(format!("stored document is unreadable: {why}"));
    let Value::Object(doc) = source else {
        return Err(bad("not an object".into()));
    };
    let mut out = Map::new();
    for (k, v) in doc {
        match k.as_str() {
            "text" | "tag_paths" | "entity_names" | "entity_types" | "entity_typed"
            | "copy_key" | "suggest" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(Value::Object(families)) = doc.get("text") {
        for fields in families.values() {
            if let Value::Object(fields) = fields {
                for (k, v) in fields {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    serde_json::from_value(Value::Object(out)).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{EntitiesSource, Entity};

    fn article() -> Article {
        Article {
            id: "a1".into(),
            title: "Regierungen beraten".into(),
            summary: Some("Kurz".into()),
            body: Some("Die Regierung berät.".into()),
            url: Some("https://example.org/a1".into()),
            authors: vec!["Anna Müller".into()],
            published_at: chrono::DateTime::from_timestamp(1_718_000_000, 0),
            tags: vec!["world/europe".into(), "politics".into()],
            entities: vec![
                Entity::new("Berlin", "place"),
                Entity::new("Anna", "person"),
            ],
            entities_source: EntitiesSource::Given,
            language: Some("de".into()),
            language_source: None,
            views: Some(7),
            source: Some("Wire".into()),
            dateline: None,
        }
    }

    #[test]
    fn families_follow_languages() {
        let of = |tag: &str| family(Lang::of_tag(tag));
        assert_eq!(of("en"), "en");
        assert_eq!(of("de-AT"), "de");
        assert_eq!(of("zh"), CJK_FAMILY);
        assert_eq!(of("ja"), CJK_FAMILY);
        assert_eq!(of("ko"), CJK_FAMILY);
        assert_eq!(of("sw"), GENERIC_FAMILY);
        assert_eq!(of("pl"), GENERIC_FAMILY);
        assert_eq!(of("vi"), GENERIC_FAMILY);
        let all: Vec<&str> = families().collect();
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(all.len(), unique.len());
        // Every stemmed family is a language of the tantivy side, with a stemmer there.
        for (code, _) in STEMMED {
            let lang = Lang::from_tag(code).expect(code);
            assert!(lang.rules().stemmer.is_some(), "{code}");
        }
    }

    #[test]
    fn the_mapping_names_every_field_of_a_document() {
        let mapping = mapping();
        let props = mapping["properties"].as_object().unwrap();
        let doc = document(&article()).unwrap();
        for key in doc.as_object().unwrap().keys() {
            assert!(props.contains_key(key), "{key} is not mapped");
        }
        assert_eq!(mapping["_meta"]["mapping_version"], json!(MAPPING_VERSION));
        let body = index_body(2, 1);
        let analyzers = body["settings"]["analysis"]["analyzer"]
            .as_object()
            .unwrap();
        for f in families() {
            assert!(analyzers.contains_key(&analyzer_name(f)), "{f}");
        }
    }

    #[test]
    fn documents_keep_the_article_and_derive_keys() {
        let a = article();
        let doc = document(&a).unwrap();
        assert_eq!(doc["text"]["de"]["title"], json!("Regierungen beraten"));
        assert!(doc.get("title").is_none());
        assert_eq!(
            doc["tag_paths"],
            json!(["politics", "world", "world/europe"])
        );
        assert_eq!(
            doc["entity_typed"],
            json!(["person\u{1f}Anna", "place\u{1f}Berlin"])
        );
        assert_eq!(doc["entity_types"], json!(["person", "place"]));
        assert_eq!(doc["copy_key"], json!(copy_key(&a).to_string()));
        assert_eq!(article_of_source(&doc).unwrap(), a);
        assert_eq!(
            doc["suggest"]["input"],
            json!([
                "Regierungen beraten",
                "Anna",
                "Berlin",
                "Anna Müller",
                "world/europe",
                "politics"
            ])
        );
        let mut odd = a.clone();
        odd.title = "a\u{1f}b".into();
        assert_eq!(document(&odd).unwrap()["suggest"]["input"][0], json!("a b"));
        // An article in a language without rules, without summary or body.
        let mut b = a.clone();
        b.language = Some("sw".into());
        b.summary = None;
        b.body = None;
        let doc = document(&b).unwrap();
        assert_eq!(
            doc["text"],
            json!({"und": {"title": "Regierungen beraten"}})
        );
        assert_eq!(article_of_source(&doc).unwrap(), b);
    }
}
