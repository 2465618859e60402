//! Result order as one sort key per document, computed in the top-k collector: BM25 blended
//! with the news signals (recency, popularity) for relevance, or the publication time for
//! `newest`/`oldest`. One key type keeps one collection path for every sort.

use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};
use std::sync::Arc;

use chrono::Utc;
use tantivy::collector::SegmentCollector;
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::{SegmentId, SegmentReader};
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, Searcher};

use super::deadline::{self, Deadline};
use super::Sort;
use crate::config::SearchConfig;
use crate::index::memo::{collect_live, SegmentMemo};

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
    /// Whether the key is a relevance score (reported as `score`).
    pub fn is_score(&self) -> bool {
        matches!(self, RankKey::Relevance { .. })
    }

    /// How many times its score a document's key can be at most, in a segment whose view
    /// counts are `views`; `None` when the key does not follow the score (a date). The recency
    /// factor is at most 1; the popularity factor is bounded by the segment's most viewed.
    fn score_factor(&self, views: &Option<Column<u64>>) -> Option<f64> {
        match *self {
            RankKey::Newest | RankKey::Oldest => None,
            RankKey::Relevance {
                popularity_weight, ..
            } if popularity_weight > 0.0 => {
                let most = views.as_ref().map_or(0, |c| c.max_value());
                Some(1.0 + popularity_weight * (1.0 + most as f64).ln())
            }
            RankKey::Relevance { .. } => Some(1.0),
        }
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

/// The columns a sort key reads in one segment. Opening a column reads its header, and the id
/// column its dictionary's index: done for every segment of every request, that was ~9% of a
/// one-word search's instructions on Reuters, so they are opened once while the segment lives.
#[derive(Clone)]
struct SegmentColumns {
    segment: SegmentId,
    dates: Option<Column<tantivy::DateTime>>,
    views: Option<Column<u64>>,
    ids: Option<StrColumn>,
}

impl SegmentColumns {
    fn open(seg: &SegmentReader) -> tantivy::Result<SegmentColumns> {
        Ok(SegmentColumns {
            segment: seg.segment_id(),
            dates: seg.fast_fields().date("published_at").ok(),
            views: seg.fast_fields().u64("views").ok(),
            ids: seg.fast_fields().str("id")?,
        })
    }
}

/// A sort key with the columns it reads in each segment of one searcher: what the top-k
/// collectors rank by.
#[derive(Clone)]
pub struct Ranking {
    /// How a document's key is computed.
    pub key: RankKey,
    /// By segment ordinal, as the searcher had them.
    columns: Arc<[Arc<SegmentColumns>]>,
}

impl Ranking {
    /// The ranking of `sort` under these settings over `searcher`'s articles, its columns
    /// kept in `memo` while their segments live.
    pub fn new(
        sort: Sort,
        cfg: &SearchConfig,
        searcher: &Searcher,
        memo: &SegmentMemo,
    ) -> tantivy::Result<Ranking> {
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|r| {
                memo.get_or_compute_for_segment(searcher, r, "rank:columns", || {
                    SegmentColumns::open(r)
                })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        let key = match sort {
            Sort::Newest => RankKey::Newest,
            Sort::Oldest => RankKey::Oldest,
            Sort::Relevance => {
                let newest = searcher
                    .segment_readers()
                    .iter()
                    .zip(&columns)
                    .filter(|(s, _)| s.num_docs() > 0)
                    .filter_map(|(_, c)| c.dates.as_ref())
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
        };
        Ok(Ranking {
            key,
            columns: columns.into(),
        })
    }

    /// The columns of segment `ord`, `seg`: the ones opened for it, or opened now when the
    /// collector runs on another searcher's segments.
    fn columns(&self, ord: u32, seg: &SegmentReader) -> tantivy::Result<SegmentColumns> {
        match self.columns.get(ord as usize) {
            Some(c) if c.segment == seg.segment_id() => Ok((**c).clone()),
            _ => SegmentColumns::open(seg),
        }
    }
}

/// The top `n` documents of `query` by `key`, best first (ties by article id).
pub fn top_collector(
    n: usize,
    ranking: &Ranking,
) -> impl tantivy::collector::Collector<Fruit = Vec<(f64, DocAddress)>> {
    top_after_collector(n, ranking, None)
}

/// The top `n` documents by `key` and the number of matches, in one search.
///
/// With `count_apart`, a relevance order is collected with pruning: the query skips what
/// scores too low to enter the page (block-max WAND for a term union; for plain words, a
/// comparison per match instead of a call), and the matches are counted apart, which is only
/// cheap for a query that keeps them (plain words) or counts fast without scores (one word);
/// without it, or sorted by date, every match is visited once, collected and counted.
///
/// It stops at `deadline` by itself (its loops tick a [`deadline::Ticker`]), so its query
/// need not be wrapped in a [`deadline::DeadlineQuery`], whose per-document call cost a
/// one-word search ~6% of its CPU at 1M articles.
pub fn top_and_count_collector(
    n: usize,
    ranking: &Ranking,
    count_apart: bool,
    deadline: Option<Deadline>,
) -> impl tantivy::collector::Collector<Fruit = (Vec<(f64, DocAddress)>, usize)> {
    TopAndCount {
        top: TopByKey {
            n: n.max(1),
            ranking: ranking.clone(),
            after: None,
            deadline,
        },
        count_apart,
    }
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
    ranking: &Ranking,
    after: Option<After>,
) -> impl tantivy::collector::Collector<Fruit = Vec<(f64, DocAddress)>> {
    TopByKey {
        n: n.max(1),
        ranking: ranking.clone(),
        after,
        deadline: None,
    }
}

struct TopByKey {
    n: usize,
    ranking: Ranking,
    after: Option<After>,
    /// Where [`TopByKeySegment::collect_from`] stops.
    deadline: Option<Deadline>,
}

impl tantivy::collector::Collector for TopByKey {
    type Fruit = Vec<(f64, DocAddress)>;
    type Child = TopByKeySegment;

    fn for_segment(
        &self,
        segment_ord: u32,
        seg: &SegmentReader,
    ) -> tantivy::Result<TopByKeySegment> {
        let SegmentColumns {
            dates, views, ids, ..
        } = self.ranking.columns(segment_ord, seg)?;
        Ok(TopByKeySegment {
            n: self.n,
            key: self.ranking.key,
            after: self.after.clone(),
            segment_ord,
            deadline: self.deadline,
            dates,
            views,
            ids,
            heap: BinaryHeap::with_capacity(self.n.min(1024) + 1),
            buf: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.ranking.key.is_score()
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTop> {
        let mut top = self.for_segment(segment_ord, reader)?;
        top.collect_from(weight, reader, None)?;
        Ok(top.harvest())
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

struct TopAndCount {
    top: TopByKey,
    count_apart: bool,
}

impl tantivy::collector::Collector for TopAndCount {
    type Fruit = (Vec<(f64, DocAddress)>, usize);
    type Child = CountedTop;

    fn for_segment(&self, segment_ord: u32, seg: &SegmentReader) -> tantivy::Result<CountedTop> {
        Ok(CountedTop {
            top: self.top.for_segment(segment_ord, seg)?,
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.top.requires_scoring()
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<(SegmentTop, usize)> {
        let mut top = self.top.for_segment(segment_ord, reader)?;
        let count = if self.count_apart && top.score_factor().is_some() {
            top.collect_from(weight, reader, None)?;
            weight.count(reader)? as usize
        } else {
            let mut count = 0;
            top.collect_from(weight, reader, Some(&mut count))?;
            count
        };
        Ok((top.harvest(), count))
    }

    fn merge_fruits(
        &self,
        segments: Vec<(SegmentTop, usize)>,
    ) -> tantivy::Result<(Vec<(f64, DocAddress)>, usize)> {
        let count = segments.iter().map(|(_, n)| n).sum();
        let tops = segments.into_iter().map(|(top, _)| top).collect();
        Ok((self.top.merge_fruits(tops)?, count))
    }
}

/// [`TopAndCount`]'s segment collector, for when it is part of a tuple of collectors (then
/// every match is visited: no pruning).
struct CountedTop {
    top: TopByKeySegment,
    count: usize,
}

impl SegmentCollector for CountedTop {
    type Fruit = (SegmentTop, usize);

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        self.top.collect(doc, score);
    }

    fn harvest(self) -> (SegmentTop, usize) {
        (self.top.harvest(), self.count)
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

/// Entries remembered per segment for browsing: a first page of up to ~120 articles (the
/// collector over-fetches twice the page) is served from them.
pub(crate) const BROWSE_TOP: usize = 256;

/// The first `n` articles by `key` among all live ones (browsing: no words, no filter), from
/// each segment's best 256 (`BROWSE_TOP`) remembered in `memo` while the segment is unchanged.
/// `None` when that cannot answer: `n` beyond them, or a key that depends on a score or on
/// the time of the request.
pub fn browse_top(
    searcher: &Searcher,
    memo: &SegmentMemo,
    n: usize,
    ranking: &Ranking,
) -> tantivy::Result<Option<Vec<(f64, DocAddress)>>> {
    let name = match ranking.key {
        RankKey::Newest => "browse:newest",
        RankKey::Oldest => "browse:oldest",
        RankKey::Relevance { .. } => return Ok(None),
    };
    if n > BROWSE_TOP {
        return Ok(None);
    }
    let whole = TopByKey {
        n: BROWSE_TOP,
        ranking: ranking.clone(),
        after: None,
        deadline: None,
    };
    let mut tops = Vec::with_capacity(searcher.segment_readers().len());
    for (segment_ord, reader) in (0u32..).zip(searcher.segment_readers()) {
        let top = memo.get_or_compute(searcher, reader, name, || {
            collect_live(&whole, segment_ord, reader)
        })?;
        // The segment's place in this searcher, which may differ from when it was counted.
        tops.push(SegmentTop {
            segment_ord,
            ..(*top).clone()
        });
    }
    let page = TopByKey {
        n: n.max(1),
        ranking: ranking.clone(),
        after: None,
        deadline: None,
    };
    tantivy::collector::Collector::merge_fruits(&page, tops).map(Some)
}

/// One segment's best entries, with what resolves their ids.
#[derive(Clone)]
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

/// The `k` best documents of `weight` by its own score (ties: lower address first), with one
/// threshold shared by all segments, largest segment first, on the index's search threads;
/// while cores are idle, segments too large for one thread's share are split among them
/// ([`pieces`]).
///
/// tantivy's `TopDocs` runs block-max WAND on each segment from a threshold of zero, so with
/// four big segments it finds four local top-k lists and keeps one; publishing each segment's
/// k-th best score lets the others skip every block that cannot reach it (a document below it
/// cannot be in the global top k: k documents already beat it; one that ties it may, by its
/// address). For a related request's candidate picking at 1M articles (four segments) that
/// was most of its time.
pub fn top_k_by_score(
    searcher: &Searcher,
    weight: &dyn tantivy::query::Weight,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let (executor, threads) = super::exec::workers(searcher);
    let sizes: Vec<u32> = searcher
        .segment_readers()
        .iter()
        .map(|r| if r.num_docs() > 0 { r.max_doc() } else { 0 })
        .collect();
    top_k_in(
        searcher,
        weight,
        k,
        executor,
        pieces(&sizes, threads, MIN_PIECE_DOCS),
    )
}

/// Documents a piece of a split segment holds at least: a piece is a task handed to the
/// pool, with scorers of its own that start from the lowest threshold.
const MIN_PIECE_DOCS: u32 = 100_000;

/// The parts a top-k search is run in, largest first: each segment (by ordinal, of
/// `max_docs` documents; 0 for one with no live documents, left out) whole, or, when
/// `threads` share the search, cut into even ranges of documents where it holds more than a
/// thread's share of the index (and at least `min_piece` documents a piece). A related
/// request's picking at 1M articles in one segment was a single thread's work with the other
/// core idle. Any lists are shared out the same way: related articles' scoring cuts each
/// segment's candidates (their counts as `max_docs`) into threads' shares.
pub fn pieces(max_docs: &[u32], threads: usize, min_piece: u32) -> Vec<(u32, Range<DocId>)> {
    let total: u64 = max_docs.iter().map(|&n| u64::from(n)).sum();
    let share = (total.div_ceil(threads.max(1) as u64)).max(u64::from(min_piece.max(1)));
    let mut out = Vec::new();
    for (ord, &n) in (0u32..).zip(max_docs) {
        let parts = u64::from(n)
            .div_ceil(share)
            .min(u64::from(n / min_piece.max(1)))
            .max(1) as u32;
        let step = n.div_ceil(parts);
        let mut start = 0;
        while start < n {
            let end = start.saturating_add(step).min(n);
            out.push((ord, start..end));
            start = end;
        }
    }
    out.sort_by_key(|(ord, docs)| (std::cmp::Reverse(docs.len()), *ord, docs.start));
    out
}

/// [`top_k_by_score`] over the given `pieces` of segments, on `executor`.
fn top_k_in(
    searcher: &Searcher,
    weight: &dyn tantivy::query::Weight,
    k: usize,
    executor: &tantivy::Executor,
    pieces: Vec<(u32, Range<DocId>)>,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    if k == 0 {
        return Ok(Vec::new());
    }
    let shared = SharedThreshold::default();
    // Pruning keeps only scores above the threshold. This piece's own k-th score may be
    // the threshold (a later document that ties it comes after it in the order), another
    // piece's only just below it: a document that ties it may come first by address, and
    // which piece raised it first depends on the threads' timing. Pruned, such ties made
    // the top k (and the related articles picked from it) change from one call to the next.
    let others = || shared.get().next_down();
    let per_piece = super::exec::map(
        executor,
        pieces,
        |(segment_ord, docs): (u32, Range<DocId>)| {
            let reader = searcher.segment_reader(segment_ord);
            let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(k + 1);
            let alive = reader.alive_bitset();
            let mut local = Score::MIN;
            weight.for_each_pruning_in(docs, others(), reader, &mut |doc, score| {
                if !alive.is_some_and(|a| a.is_deleted(doc)) {
                    heap.push(Scored {
                        score,
                        addr: DocAddress::new(segment_ord, doc),
                    });
                    if heap.len() > k {
                        heap.pop();
                    }
                    if heap.len() == k {
                        local = heap.peek().map_or(Score::MIN, |w| w.score);
                        shared.raise(local);
                    }
                }
                local.max(others())
            })?;
            Ok(heap.into_vec())
        },
    )?;
    let mut out: Vec<(Score, DocAddress)> = per_piece
        .into_iter()
        .flatten()
        .map(|s| (s.score, s.addr))
        .collect();
    out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    out.truncate(k);
    Ok(out)
}

/// The best k-th score any segment has found so far, readable by all of them: an `f32` kept
/// as bits whose unsigned order is the float's total order, so `fetch_max` raises it.
struct SharedThreshold(AtomicU32);

impl Default for SharedThreshold {
    fn default() -> Self {
        SharedThreshold(AtomicU32::new(Self::encode(Score::MIN)))
    }
}

impl SharedThreshold {
    fn encode(score: Score) -> u32 {
        let bits = score.to_bits();
        if bits & 0x8000_0000 != 0 {
            !bits
        } else {
            bits | 0x8000_0000
        }
    }

    fn decode(key: u32) -> Score {
        if key & 0x8000_0000 != 0 {
            Score::from_bits(key & 0x7fff_ffff)
        } else {
            Score::from_bits(!key)
        }
    }

    fn get(&self) -> Score {
        Self::decode(self.0.load(AtomicOrdering::Relaxed))
    }

    fn raise(&self, score: Score) {
        self.0
            .fetch_max(Self::encode(score), AtomicOrdering::Relaxed);
    }
}

/// An entry of a bounded heap of the best documents ([`top_k_by_score`], the nearest vectors
/// of related articles); the greatest is the worst (lowest score, then highest address), so
/// the heap's top is the one to drop, and `into_sorted_vec` lists the best first.
pub(crate) struct Scored {
    pub(crate) score: Score,
    pub(crate) addr: DocAddress,
}

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.addr.cmp(&other.addr))
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
    deadline: Option<Deadline>,
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

    fn score_factor(&self) -> Option<f64> {
        self.key.score_factor(&self.views)
    }

    /// The score a document must beat to be worth collecting: strictly below the one that
    /// would tie the worst kept key, since a tie may still be won on the id.
    fn threshold(&self, factor: f64) -> Score {
        match self.heap.peek() {
            Some(worst) if self.heap.len() >= self.n => ((worst.key / factor) as Score).next_down(),
            _ => Score::MIN,
        }
    }

    /// Collects the live matches of `weight` in the segment, counting every one into `count`
    /// when asked; otherwise, for a key that follows the score, letting the query skip what
    /// cannot enter the top.
    fn collect_from(
        &mut self,
        weight: &dyn Weight,
        reader: &SegmentReader,
        count: Option<&mut usize>,
    ) -> tantivy::Result<()> {
        let alive = reader.alive_bitset();
        let live = |doc| alive.is_none_or(|a| a.is_alive(doc));
        let deadline = self.deadline;
        let mut n = 0;
        let counting = count.is_some();
        deadline::guarded(deadline.as_ref(), |ticker| {
            match (counting, self.score_factor()) {
                (false, Some(factor)) => {
                    weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
                        // Rare calls (only what may enter the page): look at the clock each time.
                        ticker.tick(deadline::CHECK_EVERY);
                        if live(doc) {
                            self.collect(doc, score);
                        }
                        self.threshold(factor)
                    })
                }
                _ if self.key.is_score() => weight.for_each(reader, &mut |doc, score| {
                    ticker.tick(1);
                    if live(doc) {
                        n += 1;
                        self.collect(doc, score);
                    }
                }),
                _ => weight.for_each_no_score(reader, &mut |docs| {
                    ticker.tick(docs.len() as u32);
                    for &doc in docs.iter().filter(|&&d| live(d)) {
                        n += 1;
                        self.collect(doc, 0.0);
                    }
                }),
            }
        })?;
        if let Some(count) = count {
            *count = n;
        }
        Ok(())
    }
}

impl SegmentCollector for TopByKeySegment {
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::Term;

    use super::*;
    use crate::config::Config;
    use crate::index::test_support::index_of_bodies;
    use crate::index::{NewsIndex, WriteOp};

    #[test]
    fn browsing_from_remembered_segments_matches_the_collector_as_segments_go() {
        use crate::index::test_support::from_json;
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        // Three commits, three segments; two articles a day, so ties need the ids.
        for batch in 0..3 {
            let ops = (0..6)
                .map(|i| {
                    let n = batch * 6 + i;
                    let article = from_json(serde_json::json!({
                        "id": format!("b{n:02}"), "title": "t",
                        "published_at": format!("2024-05-{:02}T00:00:00Z", 1 + n / 2),
                    }));
                    index.upsert_op(&article).expect("op")
                })
                .collect::<Vec<_>>();
            index.writer().apply_blocking(ops, true).expect("write");
        }
        let memo = index.segment_memo();
        let cfg = Config::default().search;
        let ranking =
            |searcher: &Searcher, sort| Ranking::new(sort, &cfg, searcher, memo).expect("ranking");
        // `columns_of`: the searcher whose segments the ranking's columns were opened for.
        let check = |label: &str, columns_of: &Searcher| {
            let searcher = index.searcher();
            for sort in [Sort::Newest, Sort::Oldest] {
                let ranking = ranking(columns_of, sort);
                for n in [1, 5, 18] {
                    let ours = browse_top(&searcher, memo, n, &ranking)
                        .expect("browse")
                        .expect("some");
                    let theirs = searcher
                        .search(&tantivy::query::AllQuery, &top_collector(n, &ranking))
                        .expect("search");
                    assert_eq!(ours, theirs, "{label}: {sort:?}, n = {n}");
                }
            }
            assert!(!memo.is_empty());
        };
        check("three segments", &index.searcher());
        // Emptying the searcher's first segment removes it: the one that was third must take
        // another place in the order while its remembered entries stay valid.
        let searcher = index.searcher();
        let first = searcher.segment_reader(0);
        let deletes = (0..first.max_doc())
            .map(|doc| {
                let at = DocAddress::new(0, doc);
                let id = crate::index::document::article_at(&searcher, at, index.fields())
                    .expect("article")
                    .id;
                WriteOp::Delete { id }
            })
            .collect();
        index
            .writer()
            .apply_blocking(deletes, true)
            .expect("delete");
        check("first segment gone", &index.searcher());
        // A ranking opened on the searcher before: its columns by ordinal are another
        // segment's now, and must not be read for this one.
        check("first segment gone, columns of before", &searcher);
        let searcher = index.searcher();
        assert_eq!(searcher.num_docs(), 12);
        assert!(browse_top(
            &searcher,
            memo,
            BROWSE_TOP + 1,
            &ranking(&searcher, Sort::Newest)
        )
        .expect("browse")
        .is_none());
    }

    #[test]
    fn the_shared_threshold_orders_like_the_floats() {
        let scores = [f32::MIN, -2.5, -0.0, 0.0, 1e-30, 0.5, 3.0, f32::MAX];
        for pair in scores.windows(2) {
            let (a, b) = (
                SharedThreshold::encode(pair[0]),
                SharedThreshold::encode(pair[1]),
            );
            assert!(a <= b, "{} vs {}", pair[0], pair[1]);
            assert_eq!(SharedThreshold::decode(a).to_bits(), pair[0].to_bits());
        }
        let t = SharedThreshold::default();
        t.raise(1.5);
        t.raise(0.5);
        assert_eq!(t.get(), 1.5);
    }

    #[test]
    fn top_k_across_segments_is_what_top_docs_finds() {
        let words = ["tariff", "steel", "quota", "import"];
        // Four commits make four segments; the word mix gives many distinct scores.
        let index = index_of_bodies((0..4).map(|batch| {
            (0..50)
                .map(|i| {
                    let n = batch * 50 + i;
                    (0..=(n % 7))
                        .map(|j| words[(n + j) % words.len()])
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        }));
        // A deleted article must not come back.
        index
            .writer()
            .apply_blocking(vec![WriteOp::Delete { id: "a7".into() }], true)
            .expect("delete");
        let searcher = index.searcher();
        assert!(searcher.segment_readers().len() >= 2);
        let body = index.fields().body;
        let query = BooleanQuery::new(
            ["tariff", "quota"]
                .iter()
                .map(|w| {
                    let q = TermQuery::new(
                        Term::from_field_text(body, w),
                        IndexRecordOption::WithFreqs,
                    );
                    (Occur::Should, Box::new(q) as Box<dyn Query>)
                })
                .collect(),
        );
        let weight = query
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .expect("weight");
        for k in [1, 5, 40, 500] {
            let ours = top_k_by_score(&searcher, weight.as_ref(), k).expect("top k");
            let theirs = searcher
                .search(&query, &TopDocs::with_limit(k).order_by_score())
                .expect("search");
            let scores = |v: &[(f32, DocAddress)]| v.iter().map(|h| h.0).collect::<Vec<_>>();
            // Ties may pick different documents; the scores must be the same list.
            assert_eq!(scores(&ours), scores(&theirs), "k = {k}");
            assert!(ours.len() <= k);
        }
        let all = top_k_by_score(&searcher, weight.as_ref(), 500).expect("all");
        let store = |a: DocAddress| {
            crate::index::document::article_at(&searcher, a, index.fields())
                .expect("article")
                .id
        };
        assert!(all.iter().all(|h| store(h.1) != "a7"));
    }

    /// Ties across segments: the first k by score, then address, whichever segment is read
    /// first. tantivy numbers segments by their documents, deleted ones included, and
    /// top_k_by_score reads them by their live documents, most first: here the second segment
    /// (six live) sets the shared threshold before the first (eight, six of them deleted) is
    /// read, whose two live documents tie with it and come first by address. They must not be
    /// pruned. (Searched in parallel, which segment raises the threshold first is the threads'
    /// timing: related articles changed between two identical requests.)
    #[test]
    fn ties_across_segments_keep_the_first_by_address() {
        let bodies = |n: usize| vec!["steel tariff".to_string(); n];
        let index = index_of_bodies([bodies(8), bodies(6)].into_iter());
        let deletes = (2..8)
            .map(|i| WriteOp::Delete {
                id: format!("a{i}"),
            })
            .collect();
        index
            .writer()
            .apply_blocking(deletes, true)
            .expect("delete");
        let searcher = index.searcher();
        let live: Vec<u32> = searcher
            .segment_readers()
            .iter()
            .map(|r| r.num_docs())
            .collect();
        assert_eq!(live, vec![2, 6]);
        let query = TermQuery::new(
            Term::from_field_text(index.fields().body, "steel"),
            IndexRecordOption::WithFreqs,
        );
        let weight = query
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .expect("weight");
        let mut every: Vec<(f32, DocAddress)> = Vec::new();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let alive = reader.alive_bitset();
            weight
                .for_each(reader, &mut |doc, score| {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        every.push((score, DocAddress::new(ord as u32, doc)));
                    }
                })
                .expect("every match");
        }
        every.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        assert!(every.iter().all(|h| h.0 == every[0].0), "all tie");
        // Busy enough that the segments are read one after the other on this thread.
        let _busy: Vec<_> = (0..64).map(|_| crate::query::exec::enter()).collect();
        for k in [1, 2, 3, 5] {
            let top = top_k_by_score(&searcher, weight.as_ref(), k).expect("top k");
            assert_eq!(top, every[..k].to_vec(), "k = {k}");
        }
    }

    /// Six boosted terms of a skewed vocabulary over 4,000 articles (postings of many
    /// 128-document blocks), as (term, boost), and the index.
    fn skewed_index() -> (NewsIndex, Vec<(&'static str, f32)>) {
        let vocabulary: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        let mut state: u64 = 7;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        let bodies = (0..4_000)
            .map(|_| {
                // Low word numbers are common, high ones rare: long and short postings.
                let len = 3 + next() % 30;
                (0..len)
                    .map(|_| {
                        let a = next() % vocabulary.len();
                        vocabulary[a.min(next() % vocabulary.len())].as_str()
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let terms = vec![
            ("w0", 1.0),
            ("w3", 1.5),
            ("w9", 0.7),
            ("w20", 2.0),
            ("w41", 1.2),
            ("w58", 3.0),
        ];
        (index_of_bodies(std::iter::once(bodies)), terms)
    }

    fn boosted_terms(body: tantivy::schema::Field, terms: &[(&str, f32)]) -> BooleanQuery {
        BooleanQuery::new(
            terms
                .iter()
                .map(|(w, boost)| {
                    let q = TermQuery::new(
                        Term::from_field_text(body, w),
                        IndexRecordOption::WithFreqs,
                    );
                    let q: Box<dyn Query> =
                        Box::new(tantivy::query::BoostQuery::new(Box::new(q), *boost));
                    (Occur::Should, q)
                })
                .collect(),
        )
    }

    /// Block-max WAND (tantivy's, patched to re-sort its scorers by insertion) finds the top k
    /// that scoring every match finds, for k from 1 to 300.
    #[test]
    fn block_max_wand_finds_what_scoring_every_match_finds() {
        let (index, terms) = skewed_index();
        let searcher = index.searcher();
        let query = boosted_terms(index.fields().body, &terms);
        let weight = query
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .expect("weight");
        let mut every: Vec<f32> = Vec::new();
        for reader in searcher.segment_readers() {
            weight
                .for_each(reader, &mut |_, score| every.push(score))
                .expect("every match");
        }
        every.sort_by(|a, b| b.total_cmp(a));
        assert!(every.len() > 2_000, "{} matches", every.len());
        for k in [1, 10, 100, 300] {
            let pruned = top_k_by_score(&searcher, weight.as_ref(), k).expect("top k");
            assert_eq!(pruned.len(), k);
            for (rank, (hit, want)) in pruned.iter().zip(&every).enumerate() {
                // The same sums, added in another order.
                assert!(
                    (hit.0 - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "k = {k}, rank {rank}: {} against {want}",
                    hit.0
                );
            }
        }
    }

    /// A document's score under block-max WAND is the exact sum of its terms' scores, rounded
    /// once: not a sum in the order WAND's scorers happened to sit, which follows the
    /// threshold's history, so that two identical calls (whose threads raise the shared
    /// threshold at different times) rank a tie the same way. Related articles differed
    /// between identical calls by the last bit of such a sum.
    #[test]
    fn block_max_wand_scores_are_exact_sums_of_the_term_scores() {
        let (index, terms) = skewed_index();
        let searcher = index.searcher();
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let body = index.fields().body;
        let mut exact: HashMap<DocAddress, f64> = HashMap::new();
        for term in &terms {
            let weight = boosted_terms(body, std::slice::from_ref(term))
                .weight(scoring)
                .expect("weight");
            for (ord, reader) in searcher.segment_readers().iter().enumerate() {
                weight
                    .for_each(reader, &mut |doc, score| {
                        *exact.entry(DocAddress::new(ord as u32, doc)).or_default() +=
                            f64::from(score);
                    })
                    .expect("every match");
            }
        }
        let weight = boosted_terms(body, &terms).weight(scoring).expect("weight");
        let all = top_k_by_score(&searcher, weight.as_ref(), exact.len()).expect("every match");
        assert_eq!(all.len(), exact.len());
        let inexact: Vec<_> = all
            .iter()
            .filter(|(score, at)| *score != exact[at] as f32)
            .collect();
        assert!(
            inexact.is_empty(),
            "{} of {}: {:?}",
            inexact.len(),
            all.len(),
            &inexact[..inexact.len().min(3)]
        );
    }

    #[test]
    fn a_segment_is_split_only_into_pieces_of_a_threads_share() {
        let halves = vec![(0, 0..500_000), (0, 500_000..1_000_000)];
        assert_eq!(pieces(&[1_000_000], 2, 100_000), halves);
        assert_eq!(pieces(&[1_000_000], 1, 100_000), vec![(0, 0..1_000_000)]);
        // Four segments are already a share each; the largest goes first.
        assert_eq!(
            pieces(&[200_000, 300_000, 250_000, 250_000], 2, 100_000),
            vec![
                (1, 0..300_000),
                (2, 0..250_000),
                (3, 0..250_000),
                (0, 0..200_000)
            ]
        );
        assert_eq!(
            pieces(&[700_000, 300_000], 2, 100_000),
            vec![(0, 0..350_000), (0, 350_000..700_000), (1, 0..300_000)]
        );
        // Halves would be smaller than a piece may be.
        assert_eq!(pieces(&[150_000], 2, 100_000), vec![(0, 0..150_000)]);
        // A segment without live documents is no piece.
        assert_eq!(pieces(&[0, 10], 2, 1), vec![(1, 0..5), (1, 5..10)]);
        assert_eq!(pieces(&[7], 3, 1), vec![(0, 0..3), (0, 3..6), (0, 6..7)]);
    }

    /// A segment cut into ranges of documents, searched by several threads, gives exactly
    /// the top k of the whole: for a union of terms (block-max WAND), one term (with and
    /// without a boolean query around it) and a query that excludes a word (which visits
    /// every match), for pieces down to a few documents, mid-block.
    #[test]
    fn a_segment_split_into_pieces_gives_the_top_k_of_the_whole() {
        let (index, terms) = skewed_index();
        let searcher = index.searcher();
        let body = index.fields().body;
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let term =
            |w: &str| TermQuery::new(Term::from_field_text(body, w), IndexRecordOption::WithFreqs);
        let excluding = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(boosted_terms(body, &terms)) as Box<dyn Query>,
            ),
            (Occur::MustNot, Box::new(term("w1"))),
        ]);
        let queries: Vec<(&str, Box<dyn Query>)> = vec![
            ("union", Box::new(boosted_terms(body, &terms))),
            (
                "one boosted term",
                Box::new(boosted_terms(body, &terms[1..2])),
            ),
            ("a term", Box::new(term("w20"))),
            ("excluding", Box::new(excluding)),
        ];
        let pool = tantivy::Executor::multi_thread(2, "test-pieces").expect("pool");
        let max_doc = searcher.segment_reader(0).max_doc();
        assert_eq!(searcher.segment_readers().len(), 1);
        for (name, query) in &queries {
            let weight = query.weight(scoring).expect("weight");
            for k in [1, 10, 300] {
                let whole = top_k_in(
                    &searcher,
                    weight.as_ref(),
                    k,
                    &tantivy::Executor::SingleThread,
                    pieces(&[max_doc], 1, 1),
                )
                .expect("whole");
                assert_eq!(whole.len(), k, "{name}");
                for threads in [2, 3, 7, 64, 600] {
                    let cut = pieces(&[max_doc], threads, 1);
                    let covered: usize = cut.iter().map(|(_, docs)| docs.len()).sum();
                    assert!(cut.len() > 1 && covered == max_doc as usize, "{cut:?}");
                    for executor in [&tantivy::Executor::SingleThread, &pool] {
                        let split = top_k_in(&searcher, weight.as_ref(), k, executor, cut.clone())
                            .expect("split");
                        assert_eq!(split, whole, "{name}, k = {k}, {threads} pieces");
                    }
                }
            }
        }
    }

    #[test]
    fn pruned_pages_and_counts_are_what_visiting_every_match_finds() {
        use crate::index::test_support::from_json;
        use tantivy::collector::Count;
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        let words = ["tariff", "steel", "quota", "import"];
        // Four segments; bodies of a few words repeat, so many scores tie and the ids decide.
        for batch in 0..4 {
            let ops = (0..60)
                .map(|i| {
                    let n = batch * 60 + i;
                    let body = (0..=(n % 5))
                        .map(|j| words[(n * 3 + j) % words.len()])
                        .collect::<Vec<_>>()
                        .join(" ");
                    let article = from_json(serde_json::json!({
                        "id": format!("p{:03}", (n * 37) % 240), "title": "Trade", "body": body,
                        "published_at": format!("2024-{:02}-{:02}T00:00:00Z", 1 + n % 12, 1 + n % 28),
                        "views": (n * 7919) % 5000,
                    }));
                    index.upsert_op(&article).expect("op")
                })
                .collect::<Vec<_>>();
            index.writer().apply_blocking(ops, true).expect("write");
        }
        index
            .writer()
            .apply_blocking(vec![WriteOp::Delete { id: "p005".into() }], true)
            .expect("delete");
        let searcher = index.searcher();
        assert!(searcher.segment_readers().len() >= 2);
        let mut cfg = Config::default().search;
        let memo = index.segment_memo();
        let ranking =
            |cfg: &SearchConfig, sort| Ranking::new(sort, cfg, &searcher, memo).expect("ranking");
        let pure = ranking(&cfg, Sort::Relevance);
        cfg.recency_half_life_days = 30.0;
        let recent = ranking(&cfg, Sort::Relevance);
        cfg.popularity_weight = 0.2;
        let popular = ranking(&cfg, Sort::Relevance);
        let newest = ranking(&cfg, Sort::Newest);
        for q in ["tariff steel", "tariff", "\"steel quota\"", "tariff -steel"] {
            let query = crate::query::text::text_query(
                index.index(),
                index.fields(),
                &cfg,
                q,
                &[crate::analysis::Lang::ENGLISH],
            );
            for ranking in [&pure, &recent, &popular, &newest] {
                let key = ranking.key;
                for n in [1, 3, 10, 300] {
                    // A tuple of collectors visits every match: the reference.
                    let every = searcher
                        .search(query.as_ref(), &(top_collector(n, ranking), Count))
                        .expect("search");
                    assert!(every.1 > n.min(20), "{q}: {} matches", every.1);
                    let live = Deadline::after(std::time::Duration::from_secs(600));
                    for apart in [true, false] {
                        for deadline in [None, Some(live)] {
                            let ours = searcher
                                .search(
                                    query.as_ref(),
                                    &top_and_count_collector(n, ranking, apart, deadline),
                                )
                                .expect("search");
                            assert_eq!(ours, every, "{q}, {key:?}, n = {n}, apart: {apart}");
                        }
                        // Past its deadline the collector stops before its first match.
                        let gone = Deadline::after(std::time::Duration::ZERO);
                        let (page, _) = searcher
                            .search(
                                query.as_ref(),
                                &top_and_count_collector(n, ranking, apart, Some(gone)),
                            )
                            .expect("search");
                        assert!(page.is_empty(), "{q}, {key:?}, n = {n}, apart: {apart}");
                    }
                    let alone = searcher
                        .search(query.as_ref(), &top_collector(n, ranking))
                        .expect("search");
                    assert_eq!(alone, every.0, "{q}, {key:?}, n = {n}, alone");
                }
            }
        }
    }
}
