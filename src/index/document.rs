//! Article → tantivy document, and the stored JSON back to an article. The only place that
//! converts between chrono and tantivy dates.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tantivy::schema::Value;
use tantivy::TantivyDocument;

use super::schema::{Fields, TYPE_SEPARATOR};
use crate::article::Article;
use crate::Error;

/// The text of `texts` with each word once, for the `words` field.
///
/// That field only records which articles have a word (no frequencies, positions or norms),
/// so one occurrence gives the same postings, and tantivy's indexing threads (the bottleneck of
/// a bulk load) then analyze a fraction of the body a second time instead of all of it. Words
/// are split where the field's tokenizer (`SimpleTokenizer`) splits, so each piece is one
/// token of the field; pieces that differ only in case stay apart and meet in the index.
fn distinct_words(texts: &[Option<&str>]) -> String {
    let mut seen: HashSet<&str> = HashSet::with_capacity(256);
    let mut out = String::new();
    for text in texts.iter().flatten() {
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if !word.is_empty() && seen.insert(word) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    out
}

/// Builds the indexed document of an article.
pub fn to_document(article: &Article, f: &Fields) -> crate::Result<TantivyDocument> {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &article.id);
    doc.add_text(f.title, &article.title);
    doc.add_text(f.title_words, &article.title);
    if let Some(s) = &article.summary {
        doc.add_text(f.summary, s);
    }
    if let Some(b) = &article.body {
        doc.add_text(f.body, b);
    }
    doc.add_text(
        f.words,
        distinct_words(&[
            Some(article.title.as_str()),
            article.summary.as_deref(),
            article.body.as_deref(),
        ]),
    );
    for a in &article.authors {
        doc.add_text(f.author, a);
    }
    for prefix in tag_levels(&article.tags) {
        doc.add_text(f.tag, prefix);
    }
    for e in &article.entities {
        doc.add_text(f.entity, &e.name);
        doc.add_text(
            f.entity_typed,
            format!("{}{TYPE_SEPARATOR}{}", e.entity_type, e.name),
        );
    }
    let mut types: Vec<&str> = article
        .entities
        .iter()
        .map(|e| e.entity_type.as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    for t in types {
        doc.add_text(f.entity_type, t);
    }
    if let Some(l) = &article.language {
        doc.add_text(f.language, l);
    }
    if let Some(s) = &article.source {
        doc.add_text(f.source, s);
    }
    if let Some(dt) = &article.published_at {
        doc.add_date(f.published_at, to_tantivy_date(dt));
    }
    if let Some(v) = article.views {
        doc.add_u64(f.views, v);
    }
    doc.add_u64(f.copy_key, copy_key(article));
    doc.add_u64(f.simhash, simhash(article));
    let json = serde_json::to_string(article).map_err(|e| Error::Internal(e.to_string()))?;
    doc.add_text(f.stored, json);
    Ok(doc)
}

/// Reads the stored article back.
pub fn from_document(doc: &TantivyDocument, f: &Fields) -> crate::Result<Article> {
    let json = doc
        .get_first(f.stored)
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::Internal("document without stored article".into()))?;
    serde_json::from_str(json)
        .map_err(|e| Error::Internal(format!("stored article is unreadable: {e}")))
}

/// Every level of every tag, once: `world/asia` gives `world` and `world/asia`.
pub fn tag_levels(tags: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for tag in tags {
        for (i, c) in tag.char_indices() {
            if c == '/' {
                out.push(&tag[..i]);
            }
        }
        out.push(tag);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// chrono → tantivy.
pub fn to_tantivy_date(dt: &DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_micros(dt.timestamp_micros())
}

/// tantivy → chrono.
pub fn from_tantivy_date(dt: tantivy::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(dt.into_timestamp_micros()).unwrap_or_default()
}

/// The near-duplicate fingerprint of title, summary and body (see [`super::fingerprint`]).
pub fn simhash(article: &Article) -> u64 {
    super::fingerprint::simhash(&[
        Some(article.title.as_str()),
        article.summary.as_deref(),
        article.body.as_deref(),
    ])
}

/// A stable 64-bit FNV-1a hash of the normalized title and body: wire copies of one story
/// (same words, other spacing, case or punctuation) share it.
pub fn copy_key(article: &Article) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut byte = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    let mut feed = |s: &str| {
        for word in s
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if word.is_ascii() {
                word.bytes().for_each(|b| byte(b.to_ascii_lowercase()));
            } else {
                for c in word.chars().flat_map(char::to_lowercase) {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf).bytes().for_each(&mut byte);
                }
            }
            byte(b' ');
        }
    };
    feed(&article.title);
    feed("\u{0}");
    feed(article.body.as_deref().unwrap_or(""));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word_set(texts: &[&str]) -> std::collections::BTreeSet<String> {
        let mut analyzer = super::super::schema::words_analyzer();
        let mut out = std::collections::BTreeSet::new();
        for text in texts {
            let mut stream = analyzer.token_stream(text);
            while let Some(t) = tantivy::tokenizer::TokenStream::next(&mut stream) {
                out.insert(t.text.clone());
            }
        }
        out
    }

    #[test]
    fn distinct_words_index_the_same_words() {
        let title = "Zürich's GDP up 2.5%; ZURICH banks say gdp-linked bonds rally";
        let body = "The bank's économistes said: GDP rose, bonds rallied — \"bonds\" again.\nÉCONOMISTES agree. x".to_string()
            + &"a".repeat(45);
        let joined = distinct_words(&[Some(title), None, Some(&body)]);
        assert_eq!(word_set(&[&joined]), word_set(&[title, &body]));
        assert!(joined.matches("bonds").count() == 1, "{joined}");
        assert_eq!(distinct_words(&[None, Some("  ,; ")]), "");
    }
    use crate::article::parse_article_json;

    fn article(json: &str) -> Article {
        parse_article_json(json.as_bytes())
            .unwrap()
            .into_article(|_, _, _| vec![])
            .unwrap()
    }

    #[test]
    fn tag_levels_count_each_level_once() {
        let tags = vec![
            "world/asia".to_string(),
            "world/europe".to_string(),
            "defense".to_string(),
        ];
        assert_eq!(
            tag_levels(&tags),
            vec!["defense", "world", "world/asia", "world/europe"]
        );
    }

    #[test]
    fn copies_share_a_key_and_other_stories_do_not() {
        let a =
            article(r#"{"id":"a","title":"COCOA PRICES RISE","body":"Cocoa rose, traders said."}"#);
        let b =
            article(r#"{"id":"b","title":"Cocoa prices rise","body":"cocoa  rose traders said"}"#);
        let c =
            article(r#"{"id":"c","title":"Cocoa prices fall","body":"Cocoa rose, traders said."}"#);
        assert_eq!(copy_key(&a), copy_key(&b));
        assert_ne!(copy_key(&a), copy_key(&c));
    }

    #[test]
    fn dates_convert_both_ways() {
        let dt = DateTime::from_timestamp(1_719_032_580, 0).unwrap();
        assert_eq!(from_tantivy_date(to_tantivy_date(&dt)), dt);
    }
}
