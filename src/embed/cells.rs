//! Cells of the vector space: each stored vector is filed under the nearest of a fixed set of
//! centres (an inverted-file index, as FAISS's IVF and pgvector's ivfflat are), so that the
//! vectors nearest a query's are looked for in the few cells nearest it rather than over
//! every article (`crate::query::vectors`).
//!
//! The centres ship with the model (`vector-cells.json`, made by `examples/vector_cells.rs`:
//! spherical k-means over the vectors of English news and of seven other languages' text), so
//! an article's cell depends only on its vector: it is indexed as a term with the article,
//! and committed, merged and deleted with it like any other field.

use std::sync::OnceLock;

use crate::{Error, Result};

const SHIPPED: &[u8] = include_bytes!("../../models/related-me5-static-16k/vector-cells.json");

/// The shipped centres, each as the index keeps vectors (one signed byte a dimension).
#[derive(Debug)]
pub struct Cells {
    centres: Vec<Vec<i16>>,
    /// Each centre's length: cosines, not dot products, rank the centres (a quantised
    /// centre's length depends on its largest component).
    norms: Vec<f32>,
}

impl Cells {
    /// The centres shipped with the model, parsed on the first call.
    pub fn shipped() -> Result<&'static Cells> {
        static CELLS: OnceLock<std::result::Result<Cells, String>> = OnceLock::new();
        CELLS
            .get_or_init(|| {
                #[derive(serde::Deserialize)]
                struct File {
                    cells: Vec<Vec<i8>>,
                }
                let file: File = serde_json::from_slice(SHIPPED)
                    .map_err(|e| format!("the shipped vector-cells.json: {e}"))?;
                Ok(Cells::new(file.cells))
            })
            .as_ref()
            .map_err(|e| Error::Internal(format!("embedding model: {e}")))
    }

    fn new(centres: Vec<Vec<i8>>) -> Cells {
        let centres: Vec<Vec<i16>> = centres
            .into_iter()
            .map(|c| c.into_iter().map(i16::from).collect())
            .collect();
        let norms = centres
            .iter()
            .map(|c| {
                let sum: i32 = c.iter().map(|&x| i32::from(x) * i32::from(x)).sum();
                (sum as f32).sqrt()
            })
            .collect();
        Cells { centres, norms }
    }

    /// How many cells there are.
    pub fn len(&self) -> usize {
        self.centres.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.centres.is_empty()
    }

    /// The cell a stored vector is filed under: its nearest centre (the first of equals).
    /// `None` for the zero vector or one of another length (no meaning, or another model's).
    pub fn cell_of(&self, vector: &[u8]) -> Option<u64> {
        let cosines = self.cosines(vector)?;
        let mut best = 0;
        for (i, &c) in cosines.iter().enumerate() {
            if c > cosines[best] {
                best = i;
            }
        }
        Some(best as u64)
    }

    /// Every cell with the cosine of its centre and `vector`, nearest first (ties by cell
    /// number); empty for the zero vector or one of another length.
    pub fn by_nearness(&self, vector: &[u8]) -> Vec<(u64, f32)> {
        let Some(cosines) = self.cosines(vector) else {
            return Vec::new();
        };
        let mut cells: Vec<(u64, f32)> = (0u64..).zip(cosines).collect();
        cells.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        cells
    }

    /// The cosine of each centre with `vector`, by cell.
    fn cosines(&self, vector: &[u8]) -> Option<Vec<f32>> {
        if self.centres.first().is_none_or(|c| c.len() != vector.len())
            || vector.iter().all(|&x| x == 0)
        {
            return None;
        }
        // At ingest, once an article: 256 products of 256 values, as vector code.
        let v: Vec<i16> = vector.iter().map(|&x| i16::from(x as i8)).collect();
        let norm = (super::dot_i16(&v, &v) as f32).sqrt();
        Some(
            super::dots_i16(&v, &self.centres)
                .into_iter()
                .zip(&self.norms)
                .map(|(dot, &n)| {
                    if n > 0.0 {
                        dot as f32 / (n * norm)
                    } else {
                        -1.0
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_is_filed_under_its_nearest_centre() {
        let cells = Cells::new(vec![vec![127, 0, 0], vec![0, 127, 0], vec![0, 0, 64]]);
        assert_eq!(cells.cell_of(&[10u8, 100, 3]), Some(1));
        // The quantised centres' lengths differ: cosines decide, not dot products.
        assert_eq!(cells.cell_of(&[0u8, 50, 60]), Some(2));
        let order: Vec<u64> = cells
            .by_nearness(&[(-5i8) as u8, 100, 30])
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(order, [1, 2, 0]);
        assert_eq!(cells.cell_of(&[0u8, 0, 0]), None);
        assert_eq!(cells.cell_of(&[1u8, 2]), None);
    }

    #[test]
    fn the_shipped_cells_parse_and_fit_the_model() {
        let cells = Cells::shipped().unwrap();
        assert_eq!(cells.len(), 256);
        let v =
            crate::embed::text_vector("Oil prices fell after OPEC met in Vienna", "en").unwrap();
        let c = cells.cell_of(&v).unwrap();
        assert!(c < 256);
        // The vector's own cell is the nearest of the ordering.
        assert_eq!(cells.by_nearness(&v)[0].0, c);
    }
}
