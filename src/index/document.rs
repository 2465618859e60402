//! Article → tantivy document, and the stored article back (whole, or without its body for a
//! page of hits). The only place that converts between chrono and tantivy dates.

use chrono::{DateTime, Utc};
use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::{Field, Value};
use tantivy::TantivyDocument;

use super::hits::HitStore;
use super::schema::{Fields, TYPE_SEPARATOR};
use super::vector_store::VectorStore;
use crate::analysis::{tagged, Lang};
use crate::article::Article;
use crate::Error;

/// Builds the indexed document of an article.
pub fn to_document(article: &Article, f: &Fields) -> crate::Result<TantivyDocument> {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &article.id);
    // Text fields are analysed by the article's language, named in front of the text.
    let lang = analysis_language(article);
    doc.add_text(f.title, tagged(lang, &article.title));
    doc.add_text(f.title_words, tagged(lang, &article.title));
    if let Some(s) = &article.summary {
        doc.add_text(f.summary, tagged(lang, s));
    }
    if let Some(b) = &article.body {
        doc.add_text(f.body, tagged(lang, b));
    }
    let signals = text_signals(article);
    doc.add_text(f.words, tagged(lang, &signals.distinct_words));
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
    doc.add_u64(f.copy_key, signals.copy_key);
    doc.add_u64(f.simhash, signals.simhash);
    let vector = embedding(article)?;
    if let Some(cell) = crate::embed::cells::Cells::shipped()?.cell_of(&vector) {
        doc.add_u64(f.vector_cell, cell);
        doc.add_bytes(f.vector, &vector);
    }
    // The JSON first: a hit reads the first stored value and stops (`head_from_document`).
    let json = serde_json::to_string(&article.without_body())
        .map_err(|e| Error::Internal(e.to_string()))?;
    doc.add_text(f.stored, json);
    if let Some(b) = &article.body {
        doc.add_text(f.stored_body, b);
    }
    Ok(doc)
}

/// The vector the index keeps for an article ([`crate::embed::article_vector`] of its text
/// and entities).
pub fn embedding(article: &Article) -> crate::Result<Vec<u8>> {
    let names: Vec<&str> = article.entities.iter().map(|e| e.name.as_str()).collect();
    crate::embed::article_vector(
        &article.title,
        article.summary.as_deref(),
        article.body.as_deref(),
        &names,
        analysis_language(article).code(),
    )
}

/// The stored vectors of the documents at `addrs`, in order (each empty when its article has
/// none: blank text), each segment's vector store opened once. A segment whose store is
/// missing or damaged is an error: read as "no vector", its articles would silently lose
/// their closeness in meaning to everything.
pub fn stored_vectors(
    searcher: &tantivy::Searcher,
    addrs: impl IntoIterator<Item = tantivy::DocAddress>,
) -> crate::Result<Vec<Vec<u8>>> {
    let mut stores: std::collections::HashMap<u32, VectorStore> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for addr in addrs {
        let store = match stores.entry(addr.segment_ord) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(VectorStore::open(
                searcher.segment_reader(addr.segment_ord),
            )?),
        };
        out.push(store.get(addr.doc_id).map_or_else(Vec::new, <[u8]>::to_vec));
    }
    Ok(out)
}

/// The rules an article's text is analysed by: its language's, or the default language's.
pub fn analysis_language(article: &Article) -> Lang {
    article
        .language
        .as_deref()
        .map_or_else(crate::analysis::default_language, Lang::of_tag)
}

/// The stored article at `addr`, whole: its head from the hit store, its body from the
/// document store (or both from the document store, in an index without a hit store).
pub fn article_at(
    searcher: &tantivy::Searcher,
    addr: tantivy::DocAddress,
    f: &Fields,
) -> crate::Result<Article> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    let heads = HitStore::open(searcher.segment_reader(addr.segment_ord)).ok();
    stored_article(
        heads.as_ref(),
        addr.doc_id,
        &doc,
        f.stored,
        Some(f.stored_body),
    )
}

/// The article of document `doc_id`, `doc` being what the document store holds of it: its
/// head from `heads`, the segment's hit store, with the body in `doc`, or, in an index made
/// before the hit store, all of it from `doc` ([`article_of`]). The fields are given rather
/// than taken from [`Fields`], so that `newsindex reindex` reads indexes of older schemas.
pub fn stored_article(
    heads: Option<&HitStore>,
    doc_id: tantivy::DocId,
    doc: &TantivyDocument,
    stored: Field,
    body: Option<Field>,
) -> crate::Result<Article> {
    match (heads, body) {
        (Some(heads), Some(body)) => with_body(head_of(heads, doc_id)?, doc, body),
        _ => article_of(doc, stored, body),
    }
}

/// The article without its body that the hit store holds for `doc`.
pub(crate) fn head_of(store: &HitStore, doc: tantivy::DocId) -> crate::Result<Article> {
    let head = store
        .get(doc)
        .ok_or_else(|| Error::Internal("document without stored article".into()))?;
    let json = std::str::from_utf8(head)
        .map_err(|e| Error::Internal(format!("stored article is unreadable: {e}")))?;
    parse_stored(json)
}

/// `article` with the body that `doc` stores in `body`, if any.
fn with_body(mut article: Article, doc: &TantivyDocument, body: Field) -> crate::Result<Article> {
    if let Some(text) = doc.get_first(body).and_then(|v| v.as_str()) {
        article.body = Some(text.to_string());
    }
    Ok(article)
}

/// The article stored in `doc` by an index without a hit store: the JSON in `stored`, with the
/// body in `body` when the index keeps it apart (`None`, or no value: the JSON holds it, as in
/// indexes built before `stored_body`). `newsindex reindex` reads such indexes.
fn article_of(doc: &TantivyDocument, stored: Field, body: Option<Field>) -> crate::Result<Article> {
    let json = doc
        .get_first(stored)
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::Internal("document without stored article".into()))?;
    let article = parse_stored(json)?;
    match body {
        Some(body) => with_body(article, doc, body),
        None => Ok(article),
    }
}

fn parse_stored(json: &str) -> crate::Result<Article> {
    serde_json::from_str(json)
        .map_err(|e| Error::Internal(format!("stored article is unreadable: {e}")))
}

/// The article at `addr` without its body: what a hit shows, read from the segment's hit
/// store ([`super::hits`]) in place, or, in an index without one, from the docstore (only the
/// stored JSON, the document's first stored value, is decoded).
pub fn head_from_document(
    searcher: &tantivy::Searcher,
    addr: tantivy::DocAddress,
    f: &Fields,
) -> crate::Result<Article> {
    if let Ok(store) = HitStore::open(searcher.segment_reader(addr.segment_ord)) {
        return head_of(&store, addr.doc_id);
    }
    let FirstStored(first) = searcher.doc(addr)?;
    match first {
        Some((field, json)) if field == f.stored => {
            let mut article = parse_stored(&json)?;
            article.body = None;
            Ok(article)
        }
        _ => Err(Error::Internal("document without stored article".into())),
    }
}

/// A stored document's first value, if it is text; the rest is left unread.
struct FirstStored(Option<(Field, String)>);

impl DocumentDeserialize for FirstStored {
    fn deserialize<'de, D>(mut deserializer: D) -> Result<Self, DeserializeError>
    where
        D: DocumentDeserializer<'de>,
    {
        Ok(FirstStored(deserializer.next_field::<String>()?))
    }
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

/// chrono → tantivy. tantivy counts nanoseconds in an `i64` (the years 1677 to 2262): a time
/// outside is clamped to the nearest end, which a range bound (`from=0725-01-12`) means
/// anyway, as stored dates are within it (the years `MIN_YEAR` to `MAX_YEAR`).
pub fn to_tantivy_date(dt: &DateTime<Utc>) -> tantivy::DateTime {
    const MAX_MICROS: i64 = i64::MAX / 1_000;
    tantivy::DateTime::from_timestamp_micros(dt.timestamp_micros().clamp(-MAX_MICROS, MAX_MICROS))
}

/// tantivy → chrono.
pub fn from_tantivy_date(dt: tantivy::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(dt.into_timestamp_micros()).unwrap_or_default()
}

fn text_signals(article: &Article) -> super::fingerprint::TextSignals {
    super::fingerprint::signals(
        &article.title,
        article.summary.as_deref(),
        article.body.as_deref(),
    )
}

/// The near-duplicate fingerprint of title, summary and body (see [`super::fingerprint`]).
pub fn simhash(article: &Article) -> u64 {
    text_signals(article).simhash
}

/// The copy key of title and body: wire copies of one story (same words, other spacing, case
/// or punctuation) share it (see [`super::fingerprint::TextSignals::copy_key`]).
pub fn copy_key(article: &Article) -> u64 {
    text_signals(article).copy_key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word_set(texts: &[&str]) -> std::collections::BTreeSet<String> {
        let mut analyzer = super::super::schema::words_analyzer(Lang::ENGLISH);
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
        let joined = super::super::fingerprint::signals(title, None, Some(&body)).distinct_words;
        assert_eq!(word_set(&[&joined]), word_set(&[title, &body]));
        assert!(joined.matches("bonds").count() == 1, "{joined}");
        assert_eq!(
            super::super::fingerprint::signals("  ,; ", None, None).distinct_words,
            ""
        );
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

    /// An empty index in memory with this version's schema and analyzers, and its writer.
    fn ram_index() -> (tantivy::Index, Fields, tantivy::IndexWriter) {
        let (index, f) = super::super::tantivy_in_ram().unwrap();
        let writer = index.writer(15_000_000).unwrap();
        (index, f, writer)
    }

    /// An article reads back whole (the body from its own stored value, escapes and all), and
    /// as a hit's head: everything but the body, and no body, with or without one stored.
    #[test]
    fn stored_articles_read_back_whole_and_as_heads() {
        let (index, f, mut writer) = ram_index();
        let articles = [
            article(
                r#"{"id":"a","title":"Cocoa \"prices\" rise","summary":"Bahia","body":"Cocoa rose.\n\u00c9t\u00e9 \"quote\" \\ end","authors":["A. Writer"],"tags":["commodities/cocoa"],"entities":[{"name":"Bahia","type":"place"}],"url":"https://example.com/a","published_at":"2024-05-01T10:00:00Z","source":"wire","language":"en"}"#,
            ),
            article(r#"{"id":"b","title":"Headline only"}"#),
        ];
        for a in &articles {
            writer.add_document(to_document(a, &f).unwrap()).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        for (doc, want) in articles.iter().enumerate() {
            let addr = tantivy::DocAddress::new(0, doc as u32);
            assert_eq!(&article_at(&searcher, addr, &f).unwrap(), want);
            assert_eq!(
                head_from_document(&searcher, addr, &f).unwrap(),
                want.without_body()
            );
        }
        assert!(articles[0].body.as_deref().unwrap().contains("\"quote\""));
    }

    #[test]
    fn dates_convert_both_ways() {
        let dt = DateTime::from_timestamp(1_719_032_580, 0).unwrap();
        assert_eq!(from_tantivy_date(to_tantivy_date(&dt)), dt);
    }
}
