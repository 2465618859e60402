//! Results computed over a whole segment, remembered while the segment lives unchanged.
//!
//! A segment never changes once written except that more of its documents get deleted, so a
//! result over all of its live documents is valid for as long as its id and its count of
//! deleted documents stay the same. The browse view (no query, no filter: what the search
//! page opens on) counts facets over every article; at 1M articles that was 42 of its 47 ms,
//! and with this memo only new segments are counted again.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::{Searcher, SegmentReader};

/// Segment, its deleted count (`None`: valid whatever is deleted), what was computed.
type Key = (SegmentId, Option<u32>, String);

/// Per-segment results, keyed by what was computed (a string chosen by the caller).
#[derive(Default)]
pub struct SegmentMemo {
    entries: Mutex<HashMap<Key, Arc<dyn Any + Send + Sync>>>,
}

impl SegmentMemo {
    /// The result `what` over the live documents of `segment`, computed by `compute` unless
    /// remembered.
    pub fn get_or_compute<T: Any + Send + Sync>(
        &self,
        searcher: &Searcher,
        segment: &SegmentReader,
        what: &str,
        compute: impl FnOnce() -> tantivy::Result<T>,
    ) -> tantivy::Result<Arc<T>> {
        let key = (
            segment.segment_id(),
            Some(segment.num_deleted_docs()),
            what.to_string(),
        );
        self.get_or_insert(searcher, key, compute)
    }

    /// The result `what` of `segment` whatever is deleted (from its dictionaries, say),
    /// computed by `compute` unless remembered: valid while the segment lives.
    pub fn get_or_compute_for_segment<T: Any + Send + Sync>(
        &self,
        searcher: &Searcher,
        segment: &SegmentReader,
        what: &str,
        compute: impl FnOnce() -> tantivy::Result<T>,
    ) -> tantivy::Result<Arc<T>> {
        let key = (segment.segment_id(), None, what.to_string());
        self.get_or_insert(searcher, key, compute)
    }

    fn get_or_insert<T: Any + Send + Sync>(
        &self,
        searcher: &Searcher,
        key: Key,
        compute: impl FnOnce() -> tantivy::Result<T>,
    ) -> tantivy::Result<Arc<T>> {
        let cached = self.lock().get(&key).cloned();
        if let Some(hit) = cached.and_then(|v| v.downcast::<T>().ok()) {
            return Ok(hit);
        }
        // Computed outside the lock: two requests may both compute a missing entry, which
        // costs less than making every other one wait.
        let value = Arc::new(compute()?);
        let mut entries = self.lock();
        // Forget segments (or delete states) this searcher no longer has: merged away, or
        // with more deletions since.
        let live: Vec<(SegmentId, u32)> = searcher
            .segment_readers()
            .iter()
            .map(|r| (r.segment_id(), r.num_deleted_docs()))
            .collect();
        entries.retain(|(id, deleted, _), _| match deleted {
            Some(deleted) => live.contains(&(*id, *deleted)),
            None => live.iter().any(|(live_id, _)| live_id == id),
        });
        entries.insert(key, value.clone());
        Ok(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<dyn Any + Send + Sync>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Entries held, for tests.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What `collector` gathers from every live document of one segment (documents unscored): the
/// whole-segment results this memo is for.
pub fn collect_live<C: Collector>(
    collector: &C,
    segment_ord: u32,
    reader: &SegmentReader,
) -> tantivy::Result<<C::Child as SegmentCollector>::Fruit> {
    let mut segment = collector.for_segment(segment_ord, reader)?;
    let alive = reader.alive_bitset();
    for doc in 0..reader.max_doc() {
        if alive.is_none_or(|a| a.is_alive(doc)) {
            segment.collect(doc, 0.0);
        }
    }
    Ok(segment.harvest())
}
