//! [`NewsIndex`]: the sole owner of the tantivy index, its reader and its writer thread.
//!
//! Reads go through [`NewsIndex::searcher`], which always sees the last commit (the reader is
//! reloaded by the writer before it acknowledges a write). Writes go through
//! [`NewsIndex::writer`]. [`BulkIndexer`] is the offline path for loading a corpus into an index
//! no server holds, with tantivy's multi-threaded writer and one commit at the end.

pub mod backup;
pub mod directory;
pub mod document;
pub mod export;
pub mod fingerprint;
pub mod hits;
pub mod memo;
mod plugin_file;
pub mod reindex;
pub mod schema;
pub mod stats;
#[cfg(test)]
pub(crate) mod test_support;
pub mod vector_store;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::indexer::IndexWriterOptions;
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term};
use tracing::info;

pub use schema::Fields;
pub use writer::{Applied, WriteOp, WriteOutcome, WriterHandle, WriterStats};

use crate::article::Article;
use crate::config::WriterConfig;
use crate::Error;

/// The article index.
pub struct NewsIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    writer: WriterHandle,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    dir: Option<PathBuf>,
    stats: Arc<WriterStats>,
    doc_freqs: stats::DocFreqCache,
    memo: memo::SegmentMemo,
}

/// Figures for `/stats`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndexStats {
    /// Articles visible to searches.
    pub articles: u64,
    /// Bytes of the index directory on disk.
    pub index_bytes: u64,
    /// Segments of the current commit.
    pub segments: usize,
    /// Time of the last commit by this process, if any.
    pub last_commit: Option<String>,
    /// Commits by this process.
    pub commits: u64,
}

impl NewsIndex {
    /// Opens the index in `dir`, creating it if needed, and starts its writer.
    pub fn open(dir: &Path, config: &WriterConfig) -> crate::Result<NewsIndex> {
        reindex::migrate_if_needed(dir)?;
        let index = open_or_create(dir)?;
        reindex::record_analysis(dir)?;
        NewsIndex::start(index, Some(dir.to_path_buf()), config)
    }

    /// Opens an existing index for reading only (no writer, no lock), e.g. for the CLI's
    /// `search` while a server runs.
    pub fn open_read_only(dir: &Path) -> crate::Result<NewsIndex> {
        if !dir.join("meta.json").exists() {
            return Err(Error::Internal(format!("no index in `{}`", dir.display())));
        }
        NewsIndex::read_only(open_or_create(dir)?, Some(dir.to_path_buf()))
    }

    /// `index` (its analyzers registered) for reading only, searched like the server's; tests
    /// use it on indexes they wrote with a writer of their own.
    pub(crate) fn read_only(mut index: Index, dir: Option<PathBuf>) -> crate::Result<NewsIndex> {
        // Searched like the server's: segments on every core.
        index.set_default_multithread_executor()?;
        let (_, fields) = schema::build_schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(NewsIndex {
            index,
            reader,
            fields,
            writer: WriterHandle::closed(),
            writer_thread: Mutex::new(None),
            dir,
            stats: Arc::new(WriterStats::default()),
            doc_freqs: stats::DocFreqCache::default(),
            memo: memo::SegmentMemo::default(),
        })
    }

    /// An index in memory, for tests and benchmarks that need no files.
    pub fn create_in_ram(config: &WriterConfig) -> crate::Result<NewsIndex> {
        let (index, _) = tantivy_in_ram()?;
        NewsIndex::start(index, None, config)
    }

    fn start(
        mut index: Index,
        dir: Option<PathBuf>,
        config: &WriterConfig,
    ) -> crate::Result<NewsIndex> {
        let (_, fields) = schema::build_schema();
        // Segments of one search are collected on every core: a lone search (the common case
        // for a site) finishes sooner; under full load it costs a little hand-off.
        index.set_default_multithread_executor()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let threads = config.threads.max(1);
        let options = IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread(config.heap_mb * 1024 * 1024 / threads)
            .num_merge_threads(config.merge_threads.max(1))
            .build();
        let writer: IndexWriter = index
            .writer_with_options(options)
            .map_err(|e| lock_hint(e, dir.as_deref()))?;
        writer.set_merge_policy(Box::new(merge_policy()));
        let stats = Arc::new(WriterStats::default());
        let (handle, thread) = writer::spawn(
            writer,
            reader.clone(),
            fields,
            Duration::from_millis(config.commit_delay_ms),
            config.max_batch_docs,
            stats.clone(),
        )?;
        let this = NewsIndex {
            index,
            reader,
            fields,
            writer: handle,
            writer_thread: Mutex::new(Some(thread)),
            dir,
            stats,
            doc_freqs: stats::DocFreqCache::default(),
            memo: memo::SegmentMemo::default(),
        };
        info!(articles = this.num_articles(), dir = ?this.dir, "index opened");
        Ok(this)
    }

    /// The tantivy index, for features that need its tokenizers or schema.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The index's directory; `None` for an index in memory.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Writes every stored article of the last commit to `out` as NDJSON, segment by segment
    /// as it reads them, calling `progress` after each; returns how many (see [`export`]).
    pub fn write_ndjson(
        &self,
        out: &mut dyn std::io::Write,
        progress: impl FnMut(u64),
    ) -> crate::Result<u64> {
        export::write_ndjson(&self.searcher(), out, progress)
    }

    /// Backs up the last commit into `dest`, a new or empty directory, while the index keeps
    /// serving (see [`backup`]).
    pub fn backup(&self, dest: &Path) -> crate::Result<backup::BackupReport> {
        let dir = self
            .dir
            .as_deref()
            .ok_or_else(|| Error::Conflict("an index in memory has no files to back up".into()))?;
        backup::backup(&self.index, dir, dest)
    }

    /// Field handles.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// A searcher on the last commit.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// BM25 statistics of `searcher` with document frequencies cached per commit.
    pub fn scoring_stats<'a>(&'a self, searcher: &'a Searcher) -> stats::CachedStats<'a> {
        self.doc_freqs.for_searcher(searcher)
    }

    /// Results remembered per segment (see [`memo`]).
    pub fn segment_memo(&self) -> &memo::SegmentMemo {
        &self.memo
    }

    /// The writer handle.
    pub fn writer(&self) -> &WriterHandle {
        &self.writer
    }

    /// Counters of the writer.
    pub fn writer_stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Articles visible to searches.
    pub fn num_articles(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Builds the write op that stores an article.
    pub fn upsert_op(&self, article: &Article) -> crate::Result<WriteOp> {
        Ok(WriteOp::Upsert {
            id: article.id.clone(),
            doc: Box::new(document::to_document(article, &self.fields)?),
        })
    }

    /// The stored article with this id.
    pub fn get(&self, id: &str) -> crate::Result<Option<Article>> {
        Ok(self.find(id)?.map(|(article, _)| article))
    }

    /// The stored article with this id and the vector the index keeps for it (empty if it
    /// has none), read rather than computed again from its text.
    pub fn get_with_vector(&self, id: &str) -> crate::Result<Option<(Article, Vec<u8>)>> {
        let Some((article, (searcher, addr))) = self.find(id)? else {
            return Ok(None);
        };
        let vector = document::stored_vectors(&searcher, [addr])?
            .pop()
            .unwrap_or_default();
        Ok(Some((article, vector)))
    }

    /// The stored article with this id, and where it is.
    fn find(&self, id: &str) -> crate::Result<Option<(Article, (Searcher, tantivy::DocAddress))>> {
        let searcher = self.searcher();
        let Some(addr) = live_address(&searcher, self.fields.id, id)? else {
            return Ok(None);
        };
        let article = document::article_at(&searcher, addr, &self.fields)?;
        Ok(Some((article, (searcher, addr))))
    }

    /// Figures for `/stats`.
    pub fn stats(&self) -> IndexStats {
        let searcher = self.searcher();
        let micros = self.stats.last_commit_micros.load(Ordering::Relaxed);
        let last_commit = (micros > 0)
            .then(|| DateTime::<Utc>::from_timestamp_micros(micros))
            .flatten()
            .map(|dt| crate::article::date::format_datetime(&dt));
        IndexStats {
            articles: searcher.num_docs(),
            index_bytes: self.dir.as_deref().map_or(0, dir_size),
            segments: searcher.segment_readers().len(),
            last_commit,
            commits: self.stats.commits.load(Ordering::Relaxed),
        }
    }

    /// Commits what is staged, stops the writer and waits for its merges.
    pub async fn shutdown(&self) -> crate::Result<()> {
        let result = self.writer.shutdown().await;
        let thread = self.writer_thread.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = thread {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        result
    }

    /// Blocking form of [`NewsIndex::shutdown`].
    /// Whether the writer thread is running: false once it has stopped (shut down, or died).
    pub fn writer_alive(&self) -> bool {
        self.writer_thread
            .lock()
            .map(|t| t.as_ref().is_some_and(|h| !h.is_finished()))
            .unwrap_or(false)
    }

    pub fn shutdown_blocking(&self) -> crate::Result<()> {
        let result = self.writer.shutdown_blocking();
        let thread = self.writer_thread.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = thread {
            let _ = t.join();
        }
        result
    }
}

/// Where the live document with this id is, if any. Read on the calling thread: a search
/// through the index's executor would hand this one-term lookup to its thread pool and wait,
/// which the writer did for every article of an upload (a tenth of an upload's CPU went to
/// those hand-overs).
pub(crate) fn live_address(
    searcher: &Searcher,
    id_field: tantivy::schema::Field,
    id: &str,
) -> tantivy::Result<Option<tantivy::DocAddress>> {
    use tantivy::{DocSet, TERMINATED};
    let term = Term::from_field_text(id_field, id);
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(id_field)?;
        let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)? else {
            continue;
        };
        let mut doc = postings.doc();
        while doc != TERMINATED && segment.is_deleted(doc) {
            doc = postings.advance();
        }
        if doc != TERMINATED {
            return Ok(Some(tantivy::DocAddress::new(ord as u32, doc)));
        }
    }
    Ok(None)
}

/// tantivy's log merge policy with small segments kept in levels of their own.
///
/// Its default puts every segment under 10,000 articles in one level, so each merge of that
/// level rewrote everything committed since the last big merge: under single PUTs (a segment
/// of a few articles per commit) the merge thread then used half of both cores rewriting the
/// same few thousand articles again and again. With levels from 100 articles, small segments
/// merge with their peers and each article is rewritten a logarithmic number of times.
fn merge_policy() -> tantivy::merge_policy::LogMergePolicy {
    let mut policy = tantivy::merge_policy::LogMergePolicy::default();
    policy.set_min_layer_size(MERGE_MIN_LAYER_SIZE);
    policy
}

/// Segments up to this many articles form the lowest merge level.
const MERGE_MIN_LAYER_SIZE: u32 = 100;

/// How every index newsindex writes is made: with `schema`, the hit store ([`hits`]) and the
/// vector store ([`vector_store`]).
pub(crate) fn builder(schema: tantivy::schema::Schema) -> tantivy::IndexBuilder {
    Index::builder()
        .schema(schema)
        .register_plugin(Arc::new(hits::HitsPlugin))
        .register_plugin(Arc::new(vector_store::VectorStorePlugin))
}

/// An empty tantivy index in memory as newsindex makes one (schema, hit store, analyzers),
/// and its fields; for [`NewsIndex::create_in_ram`] and tests that drive tantivy's writer.
pub(crate) fn tantivy_in_ram() -> crate::Result<(Index, Fields)> {
    let (schema, fields) = schema::build_schema();
    let index = builder(schema).create_in_ram()?;
    schema::register_analyzers(&index);
    Ok((index, fields))
}

/// Opens or creates the index directory and checks that it was built with this schema.
pub fn open_or_create(dir: &Path) -> crate::Result<Index> {
    std::fs::create_dir_all(dir)?;
    let (schema, _) = schema::build_schema();
    let directory = directory::IndexDirectory::open(dir)
        .map_err(|e| Error::Internal(format!("cannot open `{}`: {e}", dir.display())))?;
    let index = builder(schema)
        .open_or_create(directory)
        .map_err(|e| match e {
        tantivy::TantivyError::SchemaError(_) => Error::Internal(format!(
            "the index in `{}` was built by another version of newsindex: run `newsindex reindex --index {}` (or start the server on it) to rebuild it from its stored articles",
            dir.display(),
            dir.display()
        )),
        other => other.into(),
    })?;
    schema::register_analyzers(&index);
    Ok(index)
}

fn lock_hint(e: tantivy::TantivyError, dir: Option<&Path>) -> Error {
    match e {
        tantivy::TantivyError::LockFailure(..) => Error::Internal(format!(
            "the index in `{}` is in use by another process (a running server?): stop it, or ingest through it with --server",
            dir.map_or_else(|| "memory".to_string(), |d| d.display().to_string())
        )),
        other => other.into(),
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Offline bulk loading into an index that no server holds: tantivy's multi-threaded writer,
/// one commit at the end. The fastest way to build an index from a corpus.
pub struct BulkIndexer {
    writer: IndexWriter,
    fields: Fields,
    added: u64,
}

impl BulkIndexer {
    /// Opens `dir` for bulk loading with `threads` indexing threads and `heap_mb` of memory.
    pub fn open(dir: &Path, threads: usize, heap_mb: usize) -> crate::Result<BulkIndexer> {
        reindex::migrate_if_needed(dir)?;
        let index = open_or_create(dir)?;
        reindex::record_analysis(dir)?;
        let (_, fields) = schema::build_schema();
        let writer = index
            .writer_with_num_threads(threads, heap_mb * 1024 * 1024)
            .map_err(|e| lock_hint(e, Some(dir)))?;
        Ok(BulkIndexer {
            writer,
            fields,
            added: 0,
        })
    }

    /// Adds or replaces an article.
    pub fn add(&mut self, article: &Article) -> crate::Result<()> {
        let doc = document::to_document(article, &self.fields)?;
        self.writer
            .delete_term(Term::from_field_text(self.fields.id, &article.id));
        self.writer.add_document(doc)?;
        self.added += 1;
        Ok(())
    }

    /// Commits everything and waits for merges.
    pub fn finish(mut self) -> crate::Result<u64> {
        self.writer.commit()?;
        self.writer.wait_merging_threads()?;
        Ok(self.added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The vendored tantivy and tantivy-fst start their term table and FST registry small
    /// and grow them (vendor/README.md): a segment of many distinct terms must still find
    /// every one of them, with its exact document frequency.
    #[test]
    fn a_segment_of_many_distinct_terms_finds_each_of_them() {
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        let word = |n: usize| format!("zq{n}");
        let ops = (0..300)
            .map(|a| {
                let body: Vec<String> = (0..100).map(|k| word(a * 100 + k)).collect();
                let article = test_support::article(&format!("m{a}"), &body.join(" "));
                index.upsert_op(&article).expect("op")
            })
            .collect();
        index.writer().apply_blocking(ops, true).expect("write");
        let searcher = index.searcher();
        assert_eq!(searcher.segment_readers().len(), 1);
        let body = index.fields().body;
        for n in 0..30_000 {
            let term = tantivy::Term::from_field_text(body, &word(n));
            assert_eq!(searcher.doc_freq(&term).expect("df"), 1, "{}", word(n));
        }
        let absent = tantivy::Term::from_field_text(body, "zq30000");
        assert_eq!(searcher.doc_freq(&absent).expect("df"), 0);
    }

    /// An id replaced in a later commit lives only in its last segment; a deleted one nowhere.
    #[test]
    fn an_id_is_found_where_it_lives() {
        use crate::index::writer::WriteOp;
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        for (id, body) in [("a", "one"), ("b", "two"), ("a", "three")] {
            test_support::put(&index, id, body);
        }
        let delete = WriteOp::Delete { id: "b".into() };
        let applied = index
            .writer()
            .apply_blocking(vec![delete], true)
            .expect("delete");
        assert_eq!(applied.outcomes, vec![WriteOutcome::Deleted]);
        let searcher = index.searcher();
        let id = index.fields().id;
        let a = live_address(&searcher, id, "a")
            .expect("read")
            .expect("a lives");
        let article = document::article_at(&searcher, a, index.fields()).expect("article");
        assert_eq!(article.body.as_deref(), Some("three"));
        assert_eq!(live_address(&searcher, id, "b").expect("read"), None);
        assert_eq!(live_address(&searcher, id, "c").expect("read"), None);
        // The writer sees the same: "a" is replaced, "b" is gone.
        let op = index
            .upsert_op(&test_support::article("a", "four"))
            .expect("op");
        let applied = index
            .writer()
            .apply_blocking(vec![op], true)
            .expect("write");
        assert_eq!(applied.outcomes, vec![WriteOutcome::Updated]);
        let delete = WriteOp::Delete { id: "b".into() };
        let applied = index
            .writer()
            .apply_blocking(vec![delete], true)
            .expect("delete");
        assert_eq!(applied.outcomes, vec![WriteOutcome::NotFound]);
    }
}
