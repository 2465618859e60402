//! Every stored article, read back in order: the one walk over an index's articles that
//! `newsindex reindex`, `newsindex export` and `GET /admin/export` share.
//!
//! Each article is stored whole (the `stored` JSON and the `stored_body` text), so this is all
//! an index holds: exported as NDJSON it is exactly what `newsindex ingest` and `POST /articles`
//! take back (`entities_source` and `language_source` included, so nothing is derived again
//! differently), into this index, another one or another server. The walk reads one commit (the
//! searcher's) segment by segment, in doc address order, through each segment's document
//! store, and hands out one article at a time: memory stays flat whatever the index's size.

use std::io::Write;

use tantivy::{Searcher, TantivyDocument};

use super::document;
use super::hits::HitStore;
use crate::article::Article;
use crate::Error;

/// Decompressed blocks of a segment's store kept while walking it: the walk is sequential,
/// so one is enough.
const STORE_CACHE_BLOCKS: usize = 1;

/// Calls `visit` with every article of the commit `searcher` sees (deleted ones left out),
/// segment by segment in doc address order; returns how many. The fields are found by name in
/// the searcher's schema, so that `newsindex reindex` reads an index built by an older version
/// (one without `stored_body` keeps the body in the JSON). Stops at the first error, `visit`'s
/// included.
pub fn for_each_article(
    searcher: &Searcher,
    mut visit: impl FnMut(Article) -> crate::Result<()>,
) -> crate::Result<u64> {
    let schema = searcher.schema();
    let stored = schema
        .get_field("stored")
        .map_err(|_| Error::Internal("the index stores no articles".into()))?;
    let body = schema.get_field("stored_body").ok();
    let mut count = 0u64;
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(STORE_CACHE_BLOCKS)?;
        // The head is in the hit store (`stored` in the document store of indexes before it).
        let heads = HitStore::open(segment).ok();
        for (doc, stored_doc) in segment
            .doc_ids_alive()
            .zip(store.iter::<TantivyDocument>(segment.alive_bitset()))
        {
            visit(document::stored_article(
                heads.as_ref(),
                doc,
                &stored_doc?,
                stored,
                body,
            )?)?;
            count += 1;
        }
    }
    Ok(count)
}

/// Writes every article of the commit `searcher` sees to `out` as NDJSON (one article per
/// line, as `GET /articles/{id}` answers it), calling `progress` after each; returns how
/// many. `out` is written as the walk goes; buffer it.
pub fn write_ndjson(
    searcher: &Searcher,
    out: &mut dyn Write,
    mut progress: impl FnMut(u64),
) -> crate::Result<u64> {
    let count = for_each_article(searcher, |article| {
        serde_json::to_writer(&mut *out, &article).map_err(|e| {
            if e.is_io() {
                Error::Io(e.into())
            } else {
                Error::Internal(format!("an article could not be written as JSON: {e}"))
            }
        })?;
        out.write_all(b"\n")?;
        progress(1);
        Ok(())
    })?;
    out.flush()?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::index::{test_support, NewsIndex};

    #[test]
    fn every_live_article_once_and_nothing_deleted() {
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        for i in 0..5 {
            test_support::put(&index, &format!("a{i}"), "Steel tariffs");
        }
        // Replaced and deleted articles live on as deleted documents of older segments.
        test_support::put(&index, "a1", "Steel tariffs raised");
        let delete = crate::index::WriteOp::Delete { id: "a3".into() };
        index
            .writer()
            .apply_blocking(vec![delete], true)
            .expect("delete");
        let mut out = Vec::new();
        let n = write_ndjson(&index.searcher(), &mut out, |_| {}).expect("export");
        assert_eq!(n, 4);
        let text = String::from_utf8(out).expect("utf-8");
        let mut ids: Vec<Article> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("an article per line"))
            .collect();
        ids.sort_by(|a, b| a.id.cmp(&b.id));
        let ids: Vec<&str> = ids.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a0", "a1", "a2", "a4"]);
        let a1 = text.lines().find(|l| l.contains("\"a1\"")).expect("a1");
        assert_eq!(
            serde_json::from_str::<Article>(a1).expect("a1"),
            index.get("a1").expect("get").expect("stored")
        );
    }
}
