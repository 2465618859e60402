//! The one writer: a thread that owns tantivy's `IndexWriter`, applies every write and commits
//! them in groups.
//!
//! Handlers send [`WriteOp`]s over a bounded channel and await an acknowledgement. A durable
//! write is acknowledged only after the commit that contains it has returned and the reader has
//! been reloaded, so a `200` means "on disk and visible". Writes that arrive while a commit runs
//! wait in the channel and share the next commit (group commit), which is what makes many
//! concurrent single-article PUTs cheap. Large uploads stage their chunks without a commit and
//! ask for one at the end; if a commit fails in between, the writer rolls back and bumps its
//! epoch, and the upload sees that its staged chunks were lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::{IndexReader, IndexWriter, TantivyDocument, Term};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info};

use super::schema::Fields;
use crate::Error;

/// Staged writes are committed after this much idle time even if nobody asked for a commit
/// (an upload whose client went away).
const IDLE_COMMIT: Duration = Duration::from_secs(1);

/// One write.
pub enum WriteOp {
    /// Insert or replace the article with this id.
    Upsert {
        /// The article id.
        id: String,
        /// Its indexed document.
        doc: Box<TantivyDocument>,
    },
    /// Delete the article with this id.
    Delete {
        /// The article id.
        id: String,
    },
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteOutcome {
    /// A new article.
    Created,
    /// An existing article was replaced.
    Updated,
    /// An article was deleted.
    Deleted,
    /// A delete of an id that does not exist.
    NotFound,
    /// The engine refused this write ([`Applied::failed`] says why); never from tantivy.
    Failed,
}

/// A write that the engine refused while the others of its group were applied (an
/// OpenSearch `_bulk` answers per item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    /// Position of the write in the group.
    pub position: usize,
    /// The engine's reason.
    pub reason: String,
    /// Whether the engine was only too busy (retrying later may succeed).
    pub busy: bool,
    /// Whether the index could take no writes for a moment (OpenSearch: a write block while
    /// `newsindex reindex` switches the index, or a shard with too few active copies after a
    /// node's loss): retrying shortly may succeed.
    pub blocked: bool,
}

/// The answer to an applied group of writes.
#[derive(Debug, Clone)]
pub struct Applied {
    /// One outcome per op, in order.
    pub outcomes: Vec<WriteOutcome>,
    /// The writer's epoch; it changes when uncommitted writes were lost to a failed commit.
    pub epoch: u64,
    /// The writes refused (their outcome is [`WriteOutcome::Failed`]); the others were applied.
    pub failed: Vec<WriteFailure>,
}

enum Command {
    Apply {
        ops: Vec<WriteOp>,
        durable: bool,
        ack: oneshot::Sender<crate::Result<Applied>>,
    },
    Shutdown {
        ack: oneshot::Sender<crate::Result<()>>,
    },
}

/// Counters the writer shares with `/stats` and `/metrics`.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Microseconds since the epoch of the last successful commit; 0 if none yet.
    pub last_commit_micros: AtomicI64,
    /// Successful commits.
    pub commits: AtomicU64,
    /// Failed commits.
    pub failed_commits: AtomicU64,
    /// Total commit time, microseconds.
    pub commit_micros_total: AtomicU64,
    /// Successful commits by duration: non-cumulative counts per [`COMMIT_BUCKETS_SECS`]
    /// bound, the last slot for longer ones.
    pub commit_buckets: [AtomicU64; COMMIT_BUCKETS_SECS.len() + 1],
}

/// Upper bounds of the commit duration histogram, in seconds.
pub const COMMIT_BUCKETS_SECS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A cheap, cloneable handle to the writer thread.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Command>,
}

impl WriterHandle {
    /// A handle with no writer behind it, for read-only opens: every write answers
    /// [`Error::ShuttingDown`].
    pub(crate) fn closed() -> WriterHandle {
        let (tx, _) = mpsc::channel(1);
        WriterHandle { tx }
    }

    /// Applies `ops`; with `durable`, answers after they are committed and visible.
    pub async fn apply(&self, ops: Vec<WriteOp>, durable: bool) -> crate::Result<Applied> {
        let (ack, rx) = oneshot::channel();
        self.tx
            .send(Command::Apply { ops, durable, ack })
            .await
            .map_err(|_| Error::ShuttingDown)?;
        rx.await.map_err(|_| Error::ShuttingDown)?
    }

    /// [`WriterHandle::apply`] for synchronous callers (benchmarks, the CLI); never call it on
    /// an async runtime thread.
    pub fn apply_blocking(&self, ops: Vec<WriteOp>, durable: bool) -> crate::Result<Applied> {
        let (ack, rx) = oneshot::channel();
        self.tx
            .blocking_send(Command::Apply { ops, durable, ack })
            .map_err(|_| Error::ShuttingDown)?;
        rx.blocking_recv().map_err(|_| Error::ShuttingDown)?
    }

    /// Commits what is staged, waits for merges and stops the writer thread.
    pub async fn shutdown(&self) -> crate::Result<()> {
        let (ack, rx) = oneshot::channel();
        if self.tx.send(Command::Shutdown { ack }).await.is_err() {
            return Ok(()); // already stopped
        }
        rx.await.unwrap_or(Ok(()))
    }

    /// Blocking form of [`WriterHandle::shutdown`].
    pub fn shutdown_blocking(&self) -> crate::Result<()> {
        let (ack, rx) = oneshot::channel();
        if self.tx.blocking_send(Command::Shutdown { ack }).is_err() {
            return Ok(());
        }
        rx.blocking_recv().unwrap_or(Ok(()))
    }
}

/// Starts the writer thread.
pub(crate) fn spawn(
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
    commit_delay: Duration,
    max_batch_docs: usize,
    stats: Arc<WriterStats>,
) -> crate::Result<(WriterHandle, std::thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel(256);
    let state = WriterLoop {
        writer: Some(writer),
        reader,
        fields,
        commit_delay,
        max_batch_docs,
        uncommitted: HashMap::new(),
        last_batch: 0,
        epoch: 0,
        stats,
    };
    let thread = std::thread::Builder::new()
        .name("newsindex-writer".into())
        .spawn(move || state.run(rx))?;
    Ok((WriterHandle { tx }, thread))
}

struct WriterLoop {
    writer: Option<IndexWriter>,
    reader: IndexReader,
    fields: Fields,
    commit_delay: Duration,
    max_batch_docs: usize,
    /// Ids written since the last commit, and whether they exist after those writes.
    uncommitted: HashMap<String, bool>,
    /// Durable requests that shared the last commit.
    last_batch: usize,
    epoch: u64,
    stats: Arc<WriterStats>,
}

type DurableAck = (oneshot::Sender<crate::Result<Applied>>, Vec<WriteOutcome>);

impl WriterLoop {
    fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(rt) => rt,
            Err(err) => {
                error!(%err, "writer thread failed to start");
                return;
            }
        };
        loop {
            let first = if self.uncommitted.is_empty() {
                rt.block_on(rx.recv())
            } else {
                match rt.block_on(async { tokio::time::timeout(IDLE_COMMIT, rx.recv()).await }) {
                    Ok(cmd) => cmd,
                    Err(_) => {
                        let _ = self.commit();
                        continue;
                    }
                }
            };
            let Some(first) = first else { break };
            let mut durable: Vec<DurableAck> = Vec::new();
            let mut shutdown = None;
            let mut taken = 0usize;
            let deadline = Instant::now() + self.commit_delay;
            let mut next = Some(first);
            while let Some(cmd) = next.take() {
                match cmd {
                    Command::Apply {
                        ops,
                        durable: d,
                        ack,
                    } => {
                        taken += ops.len();
                        match self.apply(ops) {
                            Ok(outcomes) if d => durable.push((ack, outcomes)),
                            Ok(outcomes) => {
                                let _ = ack.send(Ok(Applied {
                                    outcomes,
                                    epoch: self.epoch,
                                    failed: Vec::new(),
                                }));
                            }
                            Err(e) => {
                                let _ = ack.send(Err(e));
                            }
                        }
                    }
                    Command::Shutdown { ack } => {
                        shutdown = Some(ack);
                        break;
                    }
                }
                if taken >= self.max_batch_docs {
                    break;
                }
                next = match rx.try_recv() {
                    Ok(cmd) => Some(cmd),
                    Err(_) => {
                        // Waiting pays off while the writers of the last commit, acknowledged
                        // a moment ago, are still sending their next write; a lone writer
                        // (or a batch as large as the last) commits at once.
                        let now = Instant::now();
                        if now < deadline && !durable.is_empty() && durable.len() < self.last_batch
                        {
                            rt.block_on(async {
                                tokio::time::timeout(deadline - now, rx.recv()).await
                            })
                            .ok()
                            .flatten()
                        } else {
                            None
                        }
                    }
                };
            }
            if !durable.is_empty()
                || self.uncommitted.len() >= self.max_batch_docs
                || shutdown.is_some()
            {
                self.last_batch = durable.len();
                let result = self.commit();
                for (ack, outcomes) in durable {
                    let answer = match &result {
                        Ok(()) => Ok(Applied {
                            outcomes,
                            epoch: self.epoch,
                            failed: Vec::new(),
                        }),
                        Err(e) => Err(Error::Internal(format!("commit failed: {e}"))),
                    };
                    let _ = ack.send(answer);
                }
            }
            if let Some(ack) = shutdown {
                let _ = ack.send(self.finish());
                return;
            }
        }
        let _ = self.finish();
    }

    fn writer(&mut self) -> crate::Result<&mut IndexWriter> {
        self.writer.as_mut().ok_or(Error::ShuttingDown)
    }

    fn exists(&self, id: &str) -> crate::Result<bool> {
        if let Some(&e) = self.uncommitted.get(id) {
            return Ok(e);
        }
        Ok(super::live_address(&self.reader.searcher(), self.fields.id, id)?.is_some())
    }

    fn apply(&mut self, ops: Vec<WriteOp>) -> crate::Result<Vec<WriteOutcome>> {
        let mut outcomes = Vec::with_capacity(ops.len());
        for op in ops {
            match op {
                WriteOp::Upsert { id, doc } => {
                    let existed = self.exists(&id)?;
                    let term = Term::from_field_text(self.fields.id, &id);
                    let w = self.writer()?;
                    w.delete_term(term);
                    w.add_document(*doc)?;
                    self.uncommitted.insert(id, true);
                    outcomes.push(if existed {
                        WriteOutcome::Updated
                    } else {
                        WriteOutcome::Created
                    });
                }
                WriteOp::Delete { id } => {
                    if self.exists(&id)? {
                        let term = Term::from_field_text(self.fields.id, &id);
                        self.writer()?.delete_term(term);
                        self.uncommitted.insert(id, false);
                        outcomes.push(WriteOutcome::Deleted);
                    } else {
                        outcomes.push(WriteOutcome::NotFound);
                    }
                }
            }
        }
        Ok(outcomes)
    }

    fn commit(&mut self) -> crate::Result<()> {
        let started = Instant::now();
        let docs = self.uncommitted.len();
        let result = self.writer()?.commit();
        self.uncommitted.clear();
        match result {
            Ok(opstamp) => {
                self.reader.reload()?;
                let took = started.elapsed();
                let s = &self.stats;
                s.commits.fetch_add(1, Ordering::Relaxed);
                s.commit_micros_total
                    .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
                let slot = COMMIT_BUCKETS_SECS
                    .iter()
                    .position(|&b| took.as_secs_f64() <= b)
                    .unwrap_or(COMMIT_BUCKETS_SECS.len());
                s.commit_buckets[slot].fetch_add(1, Ordering::Relaxed);
                s.last_commit_micros
                    .store(chrono::Utc::now().timestamp_micros(), Ordering::Relaxed);
                info!(docs, opstamp, took_ms = took.as_secs_f64() * 1e3, "commit");
                Ok(())
            }
            Err(err) => {
                error!(%err, docs, "commit failed, rolling back uncommitted writes");
                self.stats.failed_commits.fetch_add(1, Ordering::Relaxed);
                self.epoch += 1;
                if let Ok(w) = self.writer() {
                    if let Err(err) = w.rollback() {
                        error!(%err, "rollback failed");
                    }
                }
                Err(err.into())
            }
        }
    }

    fn finish(&mut self) -> crate::Result<()> {
        if !self.uncommitted.is_empty() {
            self.commit()?;
        }
        if let Some(w) = self.writer.take() {
            w.wait_merging_threads()?;
        }
        info!("writer stopped");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::config::Config;
    use crate::index::test_support;
    use crate::index::NewsIndex;

    fn put(index: &NewsIndex, id: &str) {
        test_support::put(index, id, "Steel tariffs");
    }

    #[test]
    fn a_lone_writer_never_waits_for_the_commit_delay() {
        let mut config = Config::default().writer;
        config.commit_delay_ms = 2_000;
        let index = NewsIndex::create_in_ram(&config).expect("index");
        // Four writers share commits first, so the writer has seen a batch larger than one.
        std::thread::scope(|s| {
            for t in 0..4 {
                let index = &index;
                s.spawn(move || put(index, &format!("c{t}")));
            }
        });
        // The first lone write may wait once for the four to come back; later ones must not.
        put(&index, "warm");
        let started = Instant::now();
        for i in 0..3 {
            put(&index, &format!("lone{i}"));
        }
        assert!(
            started.elapsed() < Duration::from_millis(1_500),
            "three lone writes took {:?} with a 2 s delay",
            started.elapsed()
        );
        assert_eq!(index.num_articles(), 8);
    }
}
