//! The stored vectors nearest a given one: what related articles in other languages
//! (`languages=any`) and searches by meaning (`semantic=true`) add to what words find.
//!
//! An exact pass over the vectors of the articles a query lets through (every article when
//! none): a quarter of a kilobyte an article, read a document's values in one call, so a few
//! milliseconds for tens of thousands of articles and tens for a million
//! (`benches/README.md`). An approximate-neighbour index is the next step for a million
//! articles without a narrowing filter.

use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use super::rank::Scored;

/// A stored vector made a unit-length `f32` vector (the zero vector stays zero).
pub fn unit(q: &[u8]) -> Vec<f32> {
    let v: Vec<f32> = q.iter().map(|&x| f32::from(x as i8)).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        return v;
    }
    v.into_iter().map(|x| x / norm).collect()
}

/// The direction of the sum of `units` (unit vectors of `dims` values; others are left out):
/// what a set of articles is about together. The zero vector when there is none.
pub fn centre<'a>(dims: usize, units: impl IntoIterator<Item = &'a [f32]>) -> Vec<f32> {
    let mut centre = vec![0.0f32; dims];
    for v in units.into_iter().filter(|v| v.len() == dims) {
        centre.iter_mut().zip(v).for_each(|(c, x)| *c += x);
    }
    let norm = centre.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        centre.iter_mut().for_each(|x| *x /= norm);
    }
    centre
}

/// The `k` articles whose vectors are nearest `source` (a [`crate::embed::quantize`]d
/// vector) among those `within` matches (every live article when `None`), best first, with
/// their cosines; articles without a vector (or a zero one) are never among them.
pub fn nearest(
    searcher: &Searcher,
    within: Option<&dyn Query>,
    source: &[u8],
    k: usize,
) -> crate::Result<Vec<(f32, DocAddress)>> {
    let source: Vec<i16> = source.iter().map(|&x| i16::from(x as i8)).collect();
    let source_norm = (source
        .iter()
        .map(|&x| i32::from(x) * i32::from(x))
        .sum::<i32>() as f32)
        .sqrt();
    if k == 0 || source_norm == 0.0 {
        return Ok(Vec::new());
    }
    let weight = within
        .map(|q| q.weight(EnableScoring::disabled_from_searcher(searcher)))
        .transpose()?;
    // The best k by cosine: the heap's top is the worst kept.
    let mut best: BinaryHeap<Scored> = BinaryHeap::with_capacity(k + 1);
    let mut values = vec![0u64; source.len().div_ceil(8)];
    let mut bytes = vec![0u8; values.len() * 8];
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let Ok(column) = segment.fast_fields().u64("vector") else {
            continue;
        };
        let mut score = |doc: u32| {
            let rows = column.index.value_row_ids(doc);
            if (rows.end - rows.start) as usize != values.len() {
                return; // no vector, or another model's
            }
            column.values.get_range(u64::from(rows.start), &mut values);
            // Into a flat buffer first, so that the sums below run as vector code.
            for (chunk, v) in bytes.chunks_exact_mut(8).zip(&values) {
                chunk.copy_from_slice(&v.to_le_bytes());
            }
            let n = bytes.len().min(source.len());
            let (x, s) = (&bytes[..n], &source[..n]);
            let (mut dot, mut norm) = (0i32, 0i32);
            for i in 0..n {
                let x = i32::from(x[i] as i8);
                dot += x * i32::from(s[i]);
                norm += x * x;
            }
            if norm == 0 || dot == 0 {
                return;
            }
            let cos = (dot as f32 / ((norm as f32).sqrt() * source_norm)).clamp(-1.0, 1.0);
            let entry = Scored {
                score: cos,
                addr: DocAddress::new(ord as u32, doc),
            };
            // Full, and no better than the worst kept (the heap's top): it would be the one
            // popped.
            if best.len() == k && best.peek().is_some_and(|worst| entry > *worst) {
                return;
            }
            best.push(entry);
            if best.len() > k {
                best.pop();
            }
        };
        match &weight {
            Some(weight) => {
                let mut docs = weight.scorer(segment, 1.0)?;
                let alive = segment.alive_bitset();
                while docs.doc() != TERMINATED {
                    let doc = docs.doc();
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        score(doc);
                    }
                    docs.advance();
                }
            }
            None => {
                for doc in segment.doc_ids_alive() {
                    score(doc);
                }
            }
        }
    }
    Ok(best
        .into_sorted_vec()
        .into_iter()
        .map(|s| (s.score, s.addr))
        .collect())
}

/// The articles [`nearest`] found, as a query: each matches with its cosine as its score.
/// It takes a search's meaning hits through the same machinery as its word matches (counts,
/// facets, wire copies, ranking tier by tier, cursors).
///
/// Bound to the searcher it was made from: its documents are named by segment.
#[derive(Debug, Clone)]
pub struct NearestQuery {
    /// Per segment, its documents in order with their cosines.
    segments: Arc<HashMap<SegmentId, Vec<(DocId, f32)>>>,
}

impl NearestQuery {
    /// The query matching `hits` (from [`nearest`] on `searcher`).
    pub fn new(searcher: &Searcher, hits: &[(f32, DocAddress)]) -> NearestQuery {
        let mut segments: HashMap<SegmentId, Vec<(DocId, f32)>> = HashMap::new();
        for &(cos, addr) in hits {
            let id = searcher.segment_reader(addr.segment_ord).segment_id();
            segments.entry(id).or_default().push((addr.doc_id, cos));
        }
        for docs in segments.values_mut() {
            docs.sort_by_key(|d| d.0);
            docs.dedup_by_key(|d| d.0);
        }
        NearestQuery {
            segments: Arc::new(segments),
        }
    }

    /// The cosine of a document it matches on `searcher` (the one it was made from).
    pub fn cosine_on(&self, searcher: &Searcher, addr: DocAddress) -> Option<f32> {
        let id = searcher.segment_reader(addr.segment_ord).segment_id();
        let docs = self.segments.get(&id)?;
        let at = docs.binary_search_by_key(&addr.doc_id, |d| d.0).ok()?;
        Some(docs[at].1)
    }
}

impl Query for NearestQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for NearestQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let docs = self
            .segments
            .get(&reader.segment_id())
            .cloned()
            .unwrap_or_default();
        Ok(Box::new(NearestScorer { docs, at: 0, boost }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let found = self
            .segments
            .get(&reader.segment_id())
            .and_then(|docs| docs.iter().find(|d| d.0 == doc));
        match found {
            Some(&(_, cos)) => Ok(Explanation::new("cosine with the query's vector", cos)),
            None => Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is not among the nearest"
            ))),
        }
    }
}

struct NearestScorer {
    docs: Vec<(DocId, f32)>,
    at: usize,
    boost: Score,
}

impl DocSet for NearestScorer {
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).map_or(TERMINATED, |d| d.0)
    }

    fn size_hint(&self) -> u32 {
        self.docs.len() as u32
    }
}

impl Scorer for NearestScorer {
    fn score(&mut self) -> Score {
        self.docs.get(self.at).map_or(0.0, |d| d.1 * self.boost)
    }
}
