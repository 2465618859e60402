//! Articles and writes for the unit tests of the index and of the query modules.

use super::NewsIndex;
use crate::article::{parse_article_json, Article};

/// A valid article with this id and body (and a fixed title), as the HTTP layer would make it.
pub fn article(id: &str, body: &str) -> Article {
    from_json(serde_json::json!({"id": id, "title": "Tariffs", "body": body}))
}

/// The article of this JSON, validated as the HTTP layer does.
pub fn from_json(json: serde_json::Value) -> Article {
    parse_article_json(json.to_string().as_bytes())
        .and_then(|a| a.into_article(|_, _, _| Vec::new()))
        .expect("valid article")
}

/// Writes `article(id, body)` durably (committed and visible on return).
pub fn put(index: &NewsIndex, id: &str, body: &str) {
    let op = index.upsert_op(&article(id, body)).expect("op");
    index
        .writer()
        .apply_blocking(vec![op], true)
        .expect("write");
}

/// An index in RAM with one segment per batch of bodies (articles `a0`, `a1`, ... in order).
pub fn index_of_bodies(batches: impl Iterator<Item = Vec<String>>) -> NewsIndex {
    let index = NewsIndex::create_in_ram(&crate::config::Config::default().writer).expect("index");
    let mut n = 0;
    for bodies in batches {
        let ops = bodies
            .iter()
            .map(|body| {
                let op = index
                    .upsert_op(&article(&format!("a{n}"), body))
                    .expect("op");
                n += 1;
                op
            })
            .collect::<Vec<_>>();
        index.writer().apply_blocking(ops, true).expect("write");
    }
    index
}
