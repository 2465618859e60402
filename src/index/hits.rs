//! The hit store: what a search hit shows (the article's JSON without its body, the `stored`
//! field) kept per segment, uncompressed, in a file of its own (`.hits`), so that a page of
//! hits reads its documents' bytes in place instead of decompressing the docstore blocks
//! around them, which hold the bodies of their neighbours too (issue #20, item 4). It is the
//! head's only copy: the full article (`GET /articles/{id}`, snippets, related explanations)
//! is this head and the body from the docstore.
//!
//! It is a tantivy segment plugin: written with each segment, merged with it, deleted with
//! it, committed and synced with it (so it is as crash-safe as the rest), listed in the
//! index's `meta.json` at creation. Indexes made before it lack the file and are rebuilt at
//! start ([`super::reindex::needs_reindex`]).
//!
//! File layout, little-endian: the documents' bytes one after the other, then one `u64`
//! offset a document plus the end (`max_doc + 1` of them), then `max_doc` as a `u64`.

use std::any::Any;
use std::io::Write;

use tantivy::directory::{OwnedBytes, TerminatingWrite, WritePtr};
use tantivy::index::SegmentComponent;
use tantivy::indexer::doc_id_mapping::DocIdMapping;
use tantivy::schema::document::ErasedDocument;
use tantivy::schema::{Field, Schema, Value};
use tantivy::{
    DocId, PluginMergeContext, PluginWriter, PluginWriterContext, Segment, SegmentPlugin,
    SegmentReader, TantivyDocument,
};

/// The file extension of the hit store.
pub const EXTENSION: &str = "hits";

/// The schema field whose first value a hit shows.
const FIELD: &str = "stored";

fn component() -> SegmentComponent {
    SegmentComponent::Custom(EXTENSION.to_string())
}

/// The plugin to register on every index newsindex opens for writing.
pub struct HitsPlugin;

impl SegmentPlugin for HitsPlugin {
    fn extensions(&self) -> &[&str] {
        &[EXTENSION]
    }

    fn create_writer(&self, ctx: &PluginWriterContext) -> tantivy::Result<Box<dyn PluginWriter>> {
        Ok(Box::new(HitsWriter {
            field: ctx.segment.schema().get_field(FIELD).ok(),
            out: ctx.segment.open_write(component())?,
            offsets: vec![0],
        }))
    }

    fn merge(&self, ctx: PluginMergeContext) -> tantivy::Result<()> {
        super::plugin_file::stacked_merge(ctx.doc_id_mapping, "hit store")?;
        // Streamed to the file: a merge of a million articles' heads is hundreds of MB, and
        // only their offsets (8 bytes each) are kept in memory.
        let mut out = ctx.target_segment.open_write(component())?;
        let mut offsets = vec![0u64];
        let mut end = 0u64;
        for reader in ctx.readers {
            let store = HitStore::open(reader)?;
            for doc in reader.doc_ids_alive() {
                let head = store.get(doc).unwrap_or_default();
                out.write_all(head)?;
                end += head.len() as u64;
                offsets.push(end);
            }
        }
        write_offsets(&mut out, &offsets)?;
        out.terminate()?;
        Ok(())
    }
}

/// The heads of one segment's documents as they are indexed, written to the segment's file
/// as they come (like tantivy's docstore): kept in memory they would count against the
/// indexing memory, and a bulk load would flush segments of half the size (some 430 bytes
/// a head against about 1 KB of postings a news article) and merge twice as much.
struct HitsWriter {
    field: Option<Field>,
    out: WritePtr,
    offsets: Vec<u64>,
}

impl PluginWriter for HitsWriter {
    fn add_document(
        &mut self,
        _doc_id: DocId,
        doc: &dyn ErasedDocument,
        _schema: &Schema,
    ) -> tantivy::Result<()> {
        let head = self.field.and_then(|field| {
            let doc = doc.as_any().downcast_ref::<TantivyDocument>()?;
            doc.get_first(field)?.as_str()
        });
        let head = head.unwrap_or_default().as_bytes();
        self.out.write_all(head)?;
        let end = self.offsets.last().copied().unwrap_or_default() + head.len() as u64;
        self.offsets.push(end);
        Ok(())
    }

    fn serialize(
        self: Box<Self>,
        _segment: &Segment,
        doc_id_map: Option<&DocIdMapping>,
    ) -> tantivy::Result<()> {
        super::plugin_file::in_order(doc_id_map, "hit store")?;
        let mut out = self.out;
        write_offsets(&mut out, &self.offsets)?;
        out.terminate()?;
        Ok(())
    }

    fn mem_usage(&self) -> usize {
        self.offsets.capacity() * 8
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The end of a hit store file: the offsets, then the number of documents.
fn write_offsets(out: &mut impl Write, offsets: &[u64]) -> std::io::Result<()> {
    for offset in offsets {
        out.write_all(&offset.to_le_bytes())?;
    }
    out.write_all(&(offsets.len() as u64 - 1).to_le_bytes())
}

/// One segment's hit store, read in place (the file is memory-mapped).
pub struct HitStore {
    bytes: OwnedBytes,
    /// Where the offsets start.
    offsets_at: usize,
    max_doc: usize,
}

impl HitStore {
    /// The hit store of `segment`; an error when the segment has none or it is damaged. Read
    /// from the file the reader opened with the segment (the vendored tantivy's
    /// `SegmentReader::custom_file`): opened now, it could already be deleted by a merge.
    pub fn open(segment: &SegmentReader) -> tantivy::Result<HitStore> {
        let bytes = super::plugin_file::read(segment, EXTENSION, "hit store")?;
        let damaged = || tantivy::TantivyError::InternalError("hit store is damaged".into());
        let len = bytes.len();
        let tail = bytes
            .as_slice()
            .get(len.checked_sub(8).ok_or_else(damaged)?..);
        let max_doc =
            u64::from_le_bytes(tail.and_then(|t| t.try_into().ok()).ok_or_else(damaged)?) as usize;
        let offsets_len = max_doc
            .checked_add(1)
            .and_then(|n| n.checked_mul(8))
            .ok_or_else(damaged)?;
        let offsets_at = (len - 8).checked_sub(offsets_len).ok_or_else(damaged)?;
        if max_doc != segment.max_doc() as usize {
            return Err(damaged());
        }
        Ok(HitStore {
            bytes,
            offsets_at,
            max_doc,
        })
    }

    fn offset(&self, i: usize) -> usize {
        let at = self.offsets_at + 8 * i;
        let raw: [u8; 8] = self.bytes.as_slice()[at..at + 8]
            .try_into()
            .expect("eight bytes");
        u64::from_le_bytes(raw) as usize
    }

    /// The stored head of `doc`, if `doc` is in the segment and its bytes are in the file.
    pub fn get(&self, doc: DocId) -> Option<&[u8]> {
        let doc = doc as usize;
        if doc >= self.max_doc {
            return None;
        }
        let (from, to) = (self.offset(doc), self.offset(doc + 1));
        self.bytes.as_slice()[..self.offsets_at].get(from..to)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tantivy::{IndexWriter, Term};

    use super::*;
    use crate::index::{document, tantivy_in_ram, test_support};

    /// Over several commits, replacements, deletions and a merge, each live document's hit
    /// store entry is its article without the body, and the document store keeps the body.
    #[test]
    fn the_hit_store_holds_each_live_documents_head_through_merges() {
        let (index, fields) = tantivy_in_ram().expect("index");
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let mut want = BTreeMap::new();
        for round in 0..4 {
            for i in 0..30 {
                if (i + round) % 3 == 0 {
                    let id = format!("a{i}");
                    let article = test_support::article(&id, &format!("round {round} body {i}"));
                    writer.delete_term(Term::from_field_text(fields.id, &id));
                    writer
                        .add_document(document::to_document(&article, &fields).expect("doc"))
                        .expect("add");
                    want.insert(id, article);
                }
            }
            let gone = format!("a{}", round * 5);
            writer.delete_term(Term::from_field_text(fields.id, &gone));
            want.remove(&gone);
            writer.commit().expect("commit");
        }
        let check = || {
            let reader = index.reader().expect("reader");
            let searcher = reader.searcher();
            let mut found = BTreeMap::new();
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                let store = HitStore::open(segment).expect("a hit store");
                for doc in segment.doc_ids_alive() {
                    let head = document::head_of(&store, doc).expect("head");
                    let at = tantivy::DocAddress::new(ord as u32, doc);
                    let whole = document::article_at(&searcher, at, &fields).expect("whole");
                    assert_eq!(head, whole.without_body());
                    found.insert(whole.id.clone(), whole);
                }
                assert_eq!(store.get(segment.max_doc()), None);
            }
            assert_eq!(found, want);
            searcher.segment_readers().len()
        };
        assert!(check() > 1, "several segments before the merge");
        let ids = index.searchable_segment_ids().expect("ids");
        writer.merge(&ids).wait().expect("merge");
        writer.commit().expect("commit");
        assert_eq!(check(), 1);
    }

    /// Heads go to the segment's file as they come: 30 MB of them fit in one segment of a
    /// writer given 15 MB, where kept in memory they would flush it three times.
    #[test]
    fn heads_do_not_fill_the_indexing_memory() {
        let (index, fields) = tantivy_in_ram().expect("index");
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let head = "h".repeat(20_000);
        for i in 0..1_500 {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_text(fields.id, format!("a{i}"));
            doc.add_text(fields.stored, &head);
            writer.add_document(doc).expect("add");
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 1);
        let store = HitStore::open(&searcher.segment_readers()[0]).expect("a hit store");
        assert_eq!(store.get(1_499), Some(head.as_bytes()));
    }
}
