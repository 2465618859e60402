//! Result order as one sort key per document, computed in the top-k collector: BM25 blended
//! with the news signals (recency, popularity) for relevance, or the publication time for
//! `newest`/`oldest`. One key type keeps one collection path for every sort.

use std::collections::BinaryHeap;

use chrono::Utc;
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentReader;
use tantivy::{DocAddress, DocId, Score, Searcher};

use super::Sort;
use crate::config::SearchConfig;

/// How a document's sort key is computed.
#[derive(Debug, Clone, Copy)]
pub enum RankKey {
    /// BM25 × recency decay × popularity prior.
    Relevance {
        /// Time that counts as "now" for ages, seconds since the epoch.
        reference_secs: i64,
        /// Half-life of the decay in seconds; 0 = no recency boost.
        half_life_secs: f64,
        /// Share of the score that decays.
        recency_weight: f64,
        /// Weight of `ln(1 + views)`.
        popularity_weight: f64,
    },
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

impl RankKey {
    /// The key for a sort under these settings.
    pub fn new(sort: Sort, cfg: &SearchConfig, searcher: &Searcher) -> RankKey {
        match sort {
            Sort::Newest => RankKey::Newest,
            Sort::Oldest => RankKey::Oldest,
            Sort::Relevance => {
                let newest = searcher
                    .segment_readers()
                    .iter()
                    .filter(|s| s.num_docs() > 0)
                    .filter_map(|s| s.fast_fields().date("published_at").ok())
                    .map(|c| c.max_value().into_timestamp_secs())
                    .max()
                    .unwrap_or(0);
                RankKey::Relevance {
                    reference_secs: newest.min(Utc::now().timestamp()),
                    half_life_secs: cfg.recency_half_life_days * 86_400.0,
                    recency_weight: f64::from(cfg.recency_weight),
                    popularity_weight: f64::from(cfg.popularity_weight),
                }
            }
        }
    }

    /// Whether the key is a relevance score (reported as `score`).
    pub fn is_score(&self) -> bool {
        matches!(self, RankKey::Relevance { .. })
    }

    fn key(
        &self,
        doc: DocId,
        score: Score,
        dates: &Option<Column<tantivy::DateTime>>,
        views: &Option<Column<u64>>,
    ) -> f64 {
        let published = || {
            dates
                .as_ref()
                .and_then(|c| c.first(doc))
                .map(|d| d.into_timestamp_secs())
        };
        match *self {
            RankKey::Newest => published().map_or(f64::MIN, |t| t as f64),
            RankKey::Oldest => published().map_or(f64::MIN, |t| -(t as f64)),
            RankKey::Relevance {
                reference_secs,
                half_life_secs,
                recency_weight,
                popularity_weight,
            } => {
                let mut s = f64::from(score);
                if half_life_secs > 0.0 {
                    let decay = published().map_or(0.0, |t| {
                        let age = (reference_secs - t).max(0) as f64;
                        (-age / half_life_secs).exp2()
                    });
                    s *= 1.0 - recency_weight + recency_weight * decay;
                }
                if popularity_weight > 0.0 {
                    let v = views.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                    s *= 1.0 + popularity_weight * (1.0 + v as f64).ln();
                }
                s
            }
        }
    }
}

/// The top `n` documents of `query` by `key`, best first (ties by article id).
pub fn top_collector(
    n: usize,
    key: RankKey,
) -> impl tantivy::collector::Collector<Fruit = Vec<(f64, DocAddress)>> {
    top_after_collector(n, key, None)
}

/// A position in the order: documents strictly after it are collected.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    /// The sort key of the last document already seen.
    pub key: f64,
    /// Its article id (the tiebreak).
    pub id: String,
}

/// The top `n` documents by `(key desc, id asc)` — a total order, independent of where the
/// documents sit in the index — optionally only those strictly after `after`.
pub fn top_after_collector(
    n: usize,
    key: RankKey,
    after: Option<After>,
) -> impl tantivy::collector::Collector<Fruit = Vec<(f64, DocAddress)>> {
    TopByKey {
        n: n.max(1),
        key,
        after,
    }
}

struct TopByKey {
    n: usize,
    key: RankKey,
    after: Option<After>,
}

impl tantivy::collector::Collector for TopByKey {
    type Fruit = Vec<(f64, DocAddress)>;
    type Child = TopByKeySegment;

    fn for_segment(
        &self,
        segment_ord: u32,
        seg: &SegmentReader,
    ) -> tantivy::Result<TopByKeySegment> {
        Ok(TopByKeySegment {
            n: self.n,
            key: self.key,
            after: self.after.clone(),
            segment_ord,
            dates: seg.fast_fields().date("published_at").ok(),
            views: seg.fast_fields().u64("views").ok(),
            ids: seg.fast_fields().str("id")?,
            heap: BinaryHeap::with_capacity(self.n.min(1024) + 1),
            buf: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.key.is_score()
    }

    fn merge_fruits(&self, segments: Vec<SegmentTop>) -> tantivy::Result<Vec<(f64, DocAddress)>> {
        // Ids are resolved only to break ties between segments: resolving one reads (and may
        // decompress) a block of the id dictionary, which cost more than the search itself
        // when it was done for every collected entry.
        let mut all: Vec<(f64, usize, Entry)> = segments
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.entries.iter().map(move |e| (e.key, i, *e)))
            .collect();
        all.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.ord.cmp(&b.2.ord))
        });
        let mut start = 0;
        while start < all.len().min(self.n) {
            let key = all[start].0;
            let end = start
                + all[start..]
                    .iter()
                    .take_while(|e| e.0.total_cmp(&key).is_eq())
                    .count();
            // Within one segment the ordinal order is the id order already, so a run that
            // spans segments is a merge of sorted lists: only the lists' heads need their ids,
            // and only until the page is full (BM25 ties are common: field norms are
            // quantized, so short articles with the same counts score the same).
            if all[start..end].iter().any(|e| e.1 != all[start].1) {
                let need = self.n - start;
                let merged = merge_by_id(&segments, &all[start..end], need);
                all[start..start + merged.len()].copy_from_slice(&merged);
            }
            start = end;
        }
        all.truncate(self.n);
        Ok(all
            .into_iter()
            .map(|(k, i, e)| (k, DocAddress::new(segments[i].segment_ord, e.doc)))
            .collect())
    }
}

/// The first `need` entries of `run` (equal keys, grouped by segment, each group in id order)
/// in id order, resolving the ids of the groups' heads only.
fn merge_by_id(
    segments: &[SegmentTop],
    run: &[(f64, usize, Entry)],
    need: usize,
) -> Vec<(f64, usize, Entry)> {
    let groups: Vec<&[(f64, usize, Entry)]> = run.chunk_by(|a, b| a.1 == b.1).collect();
    let mut next = vec![0usize; groups.len()];
    let mut head_ids: Vec<Option<String>> = vec![None; groups.len()];
    let mut buf = Vec::new();
    let mut out = Vec::with_capacity(need.min(run.len()));
    while out.len() < need.min(run.len()) {
        let mut best: Option<usize> = None;
        for g in 0..groups.len() {
            let Some(e) = groups[g].get(next[g]) else {
                continue;
            };
            if head_ids[g].is_none() {
                head_ids[g] = Some(segments[e.1].id(e.2.ord, &mut buf));
            }
            if best.is_none_or(|b| head_ids[g] < head_ids[b]) {
                best = Some(g);
            }
        }
        let Some(g) = best else { break };
        out.push(groups[g][next[g]]);
        next[g] += 1;
        head_ids[g] = None;
    }
    out
}

/// One segment's best entries, with what resolves their ids.
pub struct SegmentTop {
    segment_ord: u32,
    entries: Vec<Entry>,
    ids: Option<StrColumn>,
}

impl SegmentTop {
    fn id(&self, ord: u64, buf: &mut Vec<u8>) -> String {
        id_of(self.ids.as_ref(), ord, buf)
    }
}

fn id_of(ids: Option<&StrColumn>, ord: u64, buf: &mut Vec<u8>) -> String {
    buf.clear();
    if let Some(c) = ids {
        let _ = c.ord_to_bytes(ord, buf);
    }
    String::from_utf8_lossy(buf).into_owned()
}

/// A heap entry; within a segment the id's term ordinal orders like the id itself. The
/// greatest entry is the worst (lowest key, then highest id), so the heap's top is the one
/// to drop.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: f64,
    ord: u64,
    doc: DocId,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then(self.ord.cmp(&other.ord))
            .then(self.doc.cmp(&other.doc))
    }
}

struct TopByKeySegment {
    n: usize,
    key: RankKey,
    after: Option<After>,
    segment_ord: u32,
    dates: Option<Column<tantivy::DateTime>>,
    views: Option<Column<u64>>,
    ids: Option<StrColumn>,
    heap: BinaryHeap<Entry>,
    buf: Vec<u8>,
}

impl TopByKeySegment {
    fn ord(&self, doc: DocId) -> u64 {
        self.ids
            .as_ref()
            .and_then(|c| c.term_ords(doc).next())
            .unwrap_or(u64::MAX)
    }

    fn id(&mut self, ord: u64) -> String {
        id_of(self.ids.as_ref(), ord, &mut self.buf)
    }
}

impl tantivy::collector::SegmentCollector for TopByKeySegment {
    type Fruit = SegmentTop;

    fn collect(&mut self, doc: DocId, score: Score) {
        let k = self.key.key(doc, score, &self.dates, &self.views);
        if let Some(worst) = self.heap.peek() {
            if self.heap.len() >= self.n && k < worst.key {
                return;
            }
        }
        let ord = self.ord(doc);
        if let Some(after) = &self.after {
            match k.total_cmp(&after.key) {
                std::cmp::Ordering::Greater => return,
                std::cmp::Ordering::Equal => {
                    let after_id = after.id.clone();
                    if self.id(ord) <= after_id {
                        return;
                    }
                }
                std::cmp::Ordering::Less => {}
            }
        }
        let entry = Entry { key: k, ord, doc };
        if self.heap.len() < self.n {
            self.heap.push(entry);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if entry < *worst {
                *worst = entry;
            }
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        SegmentTop {
            segment_ord: self.segment_ord,
            entries: std::mem::take(&mut self.heap).into_sorted_vec(),
            ids: self.ids,
        }
    }
}
