//! The stored vectors nearest a given one: what related articles in other languages
//! (`languages=any`) add to what words find.
//!
//! An exact pass over the vectors of the articles a query lets through (every article when
//! none): a quarter of a kilobyte an article, read a document's values in one call, so a few
//! milliseconds for tens of thousands of articles and tens for a million
//! (`benches/README.md`). An approximate-neighbour index is the next step for a million
//! articles without a narrowing filter.

use std::collections::BinaryHeap;

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED};

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

/// The `k` articles whose vectors are nearest `source` (a [`crate::embed::quantize`]d
/// vector) among those `within` matches (every live article when `None`), best first, with
/// their cosines; articles without a vector (or a zero one) are never among them.
pub fn nearest(
    searcher: &Searcher,
    within: Option<&dyn Query>,
    source: &[u8],
    k: usize,
) -> crate::Result<Vec<(f32, DocAddress)>> {
    let source: Vec<i32> = source.iter().map(|&x| i32::from(x as i8)).collect();
    let source_norm = (source.iter().map(|x| x * x).sum::<i32>() as f32).sqrt();
    if k == 0 || source_norm == 0.0 {
        return Ok(Vec::new());
    }
    let weight = within
        .map(|q| q.weight(EnableScoring::disabled_from_searcher(searcher)))
        .transpose()?;
    // The best k by cosine: the heap's top is the worst kept.
    let mut best: BinaryHeap<Scored> = BinaryHeap::with_capacity(k + 1);
    let mut values = vec![0u64; source.len().div_ceil(8)];
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
            let (mut dot, mut norm) = (0i32, 0i32);
            let bytes = values.iter().flat_map(|v| v.to_le_bytes());
            for (x, &s) in bytes.zip(&source) {
                let x = i32::from(x as i8);
                dot += x * s;
                norm += x * x;
            }
            if norm == 0 || dot == 0 {
                return;
            }
            let cos = (dot as f32 / ((norm as f32).sqrt() * source_norm)).clamp(-1.0, 1.0);
            best.push(Scored {
                score: cos,
                addr: DocAddress::new(ord as u32, doc),
            });
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
