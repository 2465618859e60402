//! The vector store: each article's vector ([`super::document::embedding`]) kept per segment
//! in a file of its own (`.vecs`), grouped by the cell of the vector space it is filed under
//! ([`crate::embed::cells`]). The vectors nearest a query's are looked for cell by cell, each
//! cell's vectors read one after the other (an inverted-file index, as FAISS's IVF-flat lays
//! them out); a document's own vector is found through a slot table.
//!
//! Why a file and not a fast column: a column's values are bit-unpacked one by one, and the
//! vectors of one cell are scattered over the column, so reading them cost ~0.3 µs an article
//! at a million, twice an exact pass in document order (`benches/README.md`, session 16).
//!
//! A tantivy segment plugin like the hit store ([`super::hits`]): written with each segment,
//! merged with it, deleted with it, committed and synced with it, listed in the index's
//! `meta.json` at creation. Indexes made before it lack the file and are rebuilt at start.
//!
//! File layout, little-endian:
//! - the records, cell after cell and by document within a cell: a `u32` document id, then the
//!   vector's `dims` bytes;
//! - `cells + 1` `u32`: the first record of each cell, then the number of records;
//! - `max_doc` `u32`: each document's record, `u32::MAX` when it has no vector;
//! - `dims`, `cells`, `max_doc` and [`VERSION`] as `u32`.

use std::any::Any;
use std::io::Write;

use tantivy::directory::{OwnedBytes, TerminatingWrite};
use tantivy::index::SegmentComponent;
use tantivy::indexer::doc_id_mapping::DocIdMapping;
use tantivy::schema::document::ErasedDocument;
use tantivy::schema::{Field, Schema, Value};
use tantivy::{
    DocId, PluginMergeContext, PluginWriter, PluginWriterContext, Segment, SegmentPlugin,
    SegmentReader, TantivyDocument,
};

/// The file extension of the vector store.
pub const EXTENSION: &str = "vecs";

/// The file layout's version, in its last four bytes.
const VERSION: u32 = 1;

/// No record: a document without a vector.
const NONE: u32 = u32::MAX;

fn component() -> SegmentComponent {
    SegmentComponent::Custom(EXTENSION.to_string())
}

fn damaged() -> tantivy::TantivyError {
    tantivy::TantivyError::InternalError("vector store is damaged".into())
}

fn cells() -> tantivy::Result<usize> {
    crate::embed::cells::Cells::shipped()
        .map(|c| c.len())
        .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))
}

/// The plugin to register on every index newsindex opens for writing.
pub struct VectorStorePlugin;

impl SegmentPlugin for VectorStorePlugin {
    fn extensions(&self) -> &[&str] {
        &[EXTENSION]
    }

    fn create_writer(&self, ctx: &PluginWriterContext) -> tantivy::Result<Box<dyn PluginWriter>> {
        let schema = ctx.segment.schema();
        Ok(Box::new(VectorWriter {
            vector: schema.get_field("vector").ok(),
            cell: schema.get_field("vector_cell").ok(),
            dims: 0,
            entries: Vec::new(),
            chunks: Vec::new(),
            max_doc: 0,
        }))
    }

    fn merge(&self, ctx: PluginMergeContext) -> tantivy::Result<()> {
        super::plugin_file::stacked_merge(ctx.doc_id_mapping, "vector store")?;
        let stores = ctx
            .readers
            .iter()
            .map(VectorStore::open)
            .collect::<tantivy::Result<Vec<_>>>()?;
        // Each source document's id in the merged segment.
        let mut renumber: Vec<Vec<u32>> = Vec::with_capacity(ctx.readers.len());
        let mut max_doc = 0u32;
        for reader in ctx.readers {
            let mut ids = vec![NONE; reader.max_doc() as usize];
            for doc in reader.doc_ids_alive() {
                ids[doc as usize] = max_doc;
                max_doc += 1;
            }
            renumber.push(ids);
        }
        let dims = stores.iter().map(|s| s.dims).max().unwrap_or(0);
        let cells = stores.iter().map(|s| s.cells).max().unwrap_or(0);
        // Streamed to the file, cell after cell: at a million articles the records are a
        // quarter of a gigabyte; only the slots (4 bytes an article) are kept in memory.
        let mut out = ctx.target_segment.open_write(component())?;
        let mut slots = vec![NONE; max_doc as usize];
        let mut starts = Vec::with_capacity(cells + 1);
        let mut records = 0u32;
        for cell in 0..cells {
            starts.push(records);
            // Source segments in order, documents in order within each: the merged ids
            // ascend within the cell.
            for (store, ids) in stores.iter().zip(&renumber) {
                if store.dims != dims {
                    continue; // another model's vectors: left out
                }
                for (doc, vector) in store.cell(cell) {
                    let Some(&new) = ids.get(doc as usize).filter(|&&n| n != NONE) else {
                        continue;
                    };
                    out.write_all(&new.to_le_bytes())?;
                    out.write_all(vector)?;
                    slots[new as usize] = records;
                    records += 1;
                }
            }
        }
        starts.push(records);
        write_tail(&mut out, &starts, &slots, dims, cells)?;
        out.terminate()?;
        Ok(())
    }
}

/// The vectors of one segment's documents as they are indexed.
struct VectorWriter {
    vector: Option<Field>,
    cell: Option<Field>,
    dims: usize,
    /// (cell, document) of each vector, in the order of `chunks`.
    entries: Vec<(u32, DocId)>,
    /// The vectors, [`CHUNK_VECTORS`] a chunk: one growing `Vec` would double its capacity
    /// (megabytes at once), which counts against the indexing memory and flushes the segment
    /// early.
    chunks: Vec<Vec<u8>>,
    max_doc: DocId,
}

/// Vectors a chunk of [`VectorWriter`] holds (1 MiB of 256-value vectors).
const CHUNK_VECTORS: usize = 4096;

impl VectorWriter {
    /// The `i`th vector added.
    fn vector(&self, i: usize) -> &[u8] {
        let at = (i % CHUNK_VECTORS) * self.dims;
        &self.chunks[i / CHUNK_VECTORS][at..at + self.dims]
    }
}

impl PluginWriter for VectorWriter {
    fn add_document(
        &mut self,
        doc_id: DocId,
        doc: &dyn ErasedDocument,
        _schema: &Schema,
    ) -> tantivy::Result<()> {
        self.max_doc = doc_id + 1;
        let Some(doc) = doc.as_any().downcast_ref::<TantivyDocument>() else {
            return Ok(());
        };
        let (Some(vector_field), Some(cell_field)) = (self.vector, self.cell) else {
            return Ok(());
        };
        let (Some(vector), Some(cell)) = (
            doc.get_first(vector_field).and_then(|v| v.as_bytes()),
            doc.get_first(cell_field).and_then(|v| v.as_u64()),
        ) else {
            return Ok(()); // no vector (a zero one has no cell)
        };
        if self.dims == 0 {
            self.dims = vector.len();
        }
        if vector.len() != self.dims {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "a vector of {} values in a segment of {}",
                vector.len(),
                self.dims
            )));
        }
        let cell = u32::try_from(cell).map_err(|_| damaged())?;
        if self.entries.len().is_multiple_of(CHUNK_VECTORS) {
            self.chunks
                .push(Vec::with_capacity(CHUNK_VECTORS * self.dims));
        }
        self.entries.push((cell, doc_id));
        self.chunks
            .last_mut()
            .expect("a chunk")
            .extend_from_slice(vector);
        Ok(())
    }

    fn serialize(
        self: Box<Self>,
        segment: &Segment,
        doc_id_map: Option<&DocIdMapping>,
    ) -> tantivy::Result<()> {
        super::plugin_file::in_order(doc_id_map, "vector store")?;
        let cells = cells()?;
        if self.entries.iter().any(|&(c, _)| c as usize >= cells) {
            return Err(tantivy::TantivyError::InvalidArgument(
                "a vector filed under a cell the model does not have".into(),
            ));
        }
        // A stable sort by cell keeps the documents in order within each cell.
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by_key(|&i| self.entries[i].0);
        let mut out = segment.open_write(component())?;
        let mut slots = vec![NONE; self.max_doc as usize];
        let mut starts = vec![0u32; cells + 1];
        for &(cell, _) in &self.entries {
            starts[cell as usize + 1] += 1;
        }
        for c in 0..cells {
            starts[c + 1] += starts[c];
        }
        for (record, &i) in order.iter().enumerate() {
            let (_, doc) = self.entries[i];
            out.write_all(&doc.to_le_bytes())?;
            out.write_all(self.vector(i))?;
            slots[doc as usize] = record as u32;
        }
        write_tail(&mut out, &starts, &slots, self.dims, cells)?;
        out.terminate()?;
        Ok(())
    }

    fn mem_usage(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>() + self.entries.capacity() * 8
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The end of a vector store file: cell starts, slots, and the footer.
fn write_tail(
    out: &mut impl Write,
    starts: &[u32],
    slots: &[u32],
    dims: usize,
    cells: usize,
) -> std::io::Result<()> {
    for v in starts.iter().chain(slots) {
        out.write_all(&v.to_le_bytes())?;
    }
    for v in [dims as u32, cells as u32, slots.len() as u32, VERSION] {
        out.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}

/// One segment's vector store, read in place (the file is memory-mapped).
pub struct VectorStore {
    bytes: OwnedBytes,
    dims: usize,
    cells: usize,
    /// Where the cell starts begin (the records end there).
    starts_at: usize,
    /// Where the slots begin.
    slots_at: usize,
}

impl VectorStore {
    /// The vector store of `segment`; an error when the segment has none or it is damaged.
    /// Read from the file the reader opened with the segment (see [`super::hits::HitStore`]).
    pub fn open(segment: &SegmentReader) -> tantivy::Result<VectorStore> {
        let bytes = super::plugin_file::read(segment, EXTENSION, "vector store")?;
        let s = bytes.as_slice();
        let footer_at = s.len().checked_sub(16).ok_or_else(damaged)?;
        let word = |at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
        let (dims, cells, max_doc, version) = (
            word(footer_at) as usize,
            word(footer_at + 4) as usize,
            word(footer_at + 8) as usize,
            word(footer_at + 12),
        );
        if version != VERSION || max_doc != segment.max_doc() as usize {
            return Err(damaged());
        }
        let slots_at = footer_at.checked_sub(max_doc * 4).ok_or_else(damaged)?;
        let starts_at = slots_at.checked_sub((cells + 1) * 4).ok_or_else(damaged)?;
        let store = VectorStore {
            bytes,
            dims,
            cells,
            starts_at,
            slots_at,
        };
        let records = store.start(cells) as usize;
        if records * store.record_len() != starts_at {
            return Err(damaged());
        }
        Ok(store)
    }

    fn word(&self, at: usize) -> u32 {
        u32::from_le_bytes(
            self.bytes.as_slice()[at..at + 4]
                .try_into()
                .expect("4 bytes"),
        )
    }

    fn start(&self, cell: usize) -> u32 {
        self.word(self.starts_at + 4 * cell)
    }

    fn record_len(&self) -> usize {
        4 + self.dims
    }

    /// The length of the vectors (0 when the segment has none).
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// How many cells the file has.
    pub fn cells(&self) -> usize {
        self.cells
    }

    /// The vector of `doc`, if it has one.
    pub fn get(&self, doc: DocId) -> Option<&[u8]> {
        let at = self.slots_at + 4 * doc as usize;
        if at >= self.bytes.len() - 16 {
            return None;
        }
        let record = self.word(at);
        (record != NONE).then(|| {
            let from = record as usize * self.record_len() + 4;
            &self.bytes.as_slice()[from..from + self.dims]
        })
    }

    /// The documents filed under `cell` with their vectors, by document (deleted ones too).
    pub fn cell(&self, cell: usize) -> Records<'_> {
        if cell >= self.cells {
            return self.records(0, 0);
        }
        self.records(self.start(cell) as usize, self.start(cell + 1) as usize)
    }

    /// Every document with a vector, cell after cell.
    pub fn all(&self) -> Records<'_> {
        self.records(0, self.start(self.cells) as usize)
    }

    fn records(&self, from: usize, to: usize) -> Records<'_> {
        let len = self.record_len();
        Records {
            bytes: &self.bytes.as_slice()[from * len..to * len],
            len,
        }
    }
}

/// Records of a vector store: (document, vector).
pub struct Records<'a> {
    bytes: &'a [u8],
    len: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = (DocId, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.bytes.len() < self.len || self.len < 4 {
            return None;
        }
        let (record, rest) = self.bytes.split_at(self.len);
        self.bytes = rest;
        let doc = u32::from_le_bytes(record[..4].try_into().expect("4 bytes"));
        Some((doc, &record[4..]))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tantivy::{IndexWriter, Term};

    use super::*;
    use crate::index::{document, tantivy_in_ram, test_support};

    /// Over several commits, replacements, deletions and a merge, each live document's vector
    /// is its article's, filed under its cell, and every live record belongs to one of them.
    #[test]
    fn the_vector_store_holds_each_live_documents_vector_through_merges() {
        let (index, fields) = tantivy_in_ram().expect("index");
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut want: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let subjects = [
            "oil prices fell",
            "the cocoa harvest",
            "bank rates rise",
            "cup final",
        ];
        for round in 0..3 {
            for i in (0..12).filter(|i| round == 0 || (i + round) % 3 == 0) {
                let id = format!("a{i}");
                let body = format!("{} {round} {i}", subjects[(i + round) % subjects.len()]);
                let article = test_support::article(&id, &body);
                writer.delete_term(Term::from_field_text(fields.id, &id));
                writer
                    .add_document(document::to_document(&article, &fields).unwrap())
                    .unwrap();
                want.insert(id, document::embedding(&article).unwrap());
            }
            let gone = format!("a{}", round * 5);
            writer.delete_term(Term::from_field_text(fields.id, &gone));
            want.remove(&gone);
            writer.commit().unwrap();
        }
        let cells = crate::embed::cells::Cells::shipped().unwrap();
        let check = || {
            let reader = index.reader().unwrap();
            let searcher = reader.searcher();
            let mut found = BTreeMap::new();
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                let store = VectorStore::open(segment).expect("a vector store");
                for doc in segment.doc_ids_alive() {
                    let at = tantivy::DocAddress::new(ord as u32, doc);
                    let id = document::article_at(&searcher, at, &fields).unwrap().id;
                    let vector = store.get(doc).expect("a vector");
                    let cell = cells.cell_of(vector).unwrap() as usize;
                    assert!(
                        store.cell(cell).any(|(d, v)| d == doc && v == vector),
                        "{id}"
                    );
                    found.insert(id, vector.to_vec());
                }
                let alive = |d: DocId| segment.alive_bitset().is_none_or(|a| a.is_alive(d));
                assert_eq!(
                    store.all().filter(|(d, _)| alive(*d)).count() as u32,
                    segment.num_docs()
                );
                assert_eq!(store.get(segment.max_doc()), None);
            }
            assert_eq!(found, want);
            searcher.segment_readers().len()
        };
        assert!(check() > 1, "several segments before the merge");
        let ids = index.searchable_segment_ids().unwrap();
        writer.merge(&ids).wait().unwrap();
        writer.commit().unwrap();
        assert_eq!(check(), 1);
    }

    /// The writer's memory follows the vectors it holds, a chunk at a time: a `Vec` doubling
    /// its capacity would claim megabytes of the indexing memory at once and flush the
    /// segment early.
    #[test]
    fn the_writer_grows_a_chunk_at_a_time() {
        let (schema, fields) = crate::index::schema::build_schema();
        let mut writer = VectorWriter {
            vector: Some(fields.vector),
            cell: Some(fields.vector_cell),
            dims: 0,
            entries: Vec::new(),
            chunks: Vec::new(),
            max_doc: 0,
        };
        let dims = 256;
        for n in 0..10_000u32 {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_bytes(fields.vector, &[(n % 251) as u8; 256][..]);
            doc.add_u64(fields.vector_cell, u64::from(n % 7));
            writer.add_document(n, &doc, &schema).expect("add");
            let held = (n as usize + 1) * dims;
            let entries = writer.entries.capacity() * 8;
            assert!(
                writer.mem_usage() <= held + CHUNK_VECTORS * dims + entries,
                "{} bytes for {held} bytes of vectors",
                writer.mem_usage()
            );
        }
        assert_eq!(writer.vector(9_999), &[(9_999 % 251) as u8; 256][..]);
        assert_eq!(writer.vector(4_096), &[(4_096 % 251) as u8; 256][..]);
    }
}
