//! Builds `models/related-me5-static-16k/vector-cells.json`: the centres of the cells the
//! index files each article's vector under (`crate::embed::cells`), so that the vectors
//! nearest a given one are looked for in the few cells nearest it instead of over the whole
//! index (`crate::query::vectors`).
//!
//! Spherical k-means (cosine) over the vectors the index would keep for: the Reuters-21578
//! articles with odd NEWIDs (the related-quality tuning split: title, body and entities as
//! `index::document::embedding` gives them) and the UD dev treebanks of `data/ud` (three
//! consecutive sentences a document, in their languages). k-means++ seeding from a fixed
//! seed, then Lloyd iterations until no vector changes cell or [`ITERATIONS`]: the same input
//! files give the same file. The centres are kept as the index keeps vectors (one signed byte
//! a dimension, `embed::quantize`), so that filing a vector is integer arithmetic, the same
//! on every machine.
//!
//! ```sh
//! cargo run --release --example vector_cells > models/related-me5-static-16k/vector-cells.json
//! ```

#[path = "model_text/mod.rs"]
mod model_text;

use newsindex::embed::{article_vector, quantize, text_vector, MODEL_NAME};
use rand::{Rng, SeedableRng};

/// How many cells: at a million articles a cell holds a few thousand, so that the few
/// nearest cells are a few per cent of the index.
const CELLS: usize = 256;
const ITERATIONS: usize = 50;
const SEED: u64 = 1;

fn main() -> anyhow::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut vectors: Vec<Vec<f32>> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    let english = model_text::reuters_tuning_split(root)?;
    for a in &english {
        let names: Vec<&str> = a.entities.iter().map(String::as_str).collect();
        let v = article_vector(&a.title, None, Some(&a.body), &names, "en")?;
        vectors.push(unit(&v));
    }
    sources.push(format!(
        "{} Reuters-21578 articles (odd NEWIDs)",
        english.len()
    ));
    for (code, file) in model_text::TREEBANKS {
        let texts = model_text::ud_texts(root, file)?;
        for text in &texts {
            vectors.push(unit(&text_vector(text, code)?));
        }
        sources.push(format!("{} {code} texts of {file}", texts.len()));
    }
    vectors.retain(|v| v.iter().any(|&x| x != 0.0));
    let (centres, iterations, sizes) = kmeans(&vectors, CELLS, SEED);
    eprintln!(
        "{} vectors, {CELLS} cells, {iterations} iterations; cell sizes min {} median {} max {}",
        vectors.len(),
        sizes.iter().min().unwrap_or(&0),
        {
            let mut s = sizes.clone();
            s.sort_unstable();
            s[s.len() / 2]
        },
        sizes.iter().max().unwrap_or(&0),
    );
    let cells: Vec<Vec<i8>> = centres
        .iter()
        .map(|c| quantize(c).into_iter().map(|b| b as i8).collect())
        .collect();
    let out = serde_json::json!({
        "model": MODEL_NAME,
        "made_by": "cargo run --release --example vector_cells",
        "trained_on": sources,
        "seed": SEED,
        "cells": cells,
    });
    // One cell a line: reviewable, and a diff shows which moved.
    println!("{{");
    for key in ["model", "made_by", "trained_on", "seed"] {
        println!("  {:?}: {},", key, out[key]);
    }
    println!("  \"cells\": [");
    for (i, c) in cells.iter().enumerate() {
        let sep = if i + 1 < cells.len() { "," } else { "" };
        println!("    {}{sep}", serde_json::to_string(c)?);
    }
    println!("  ]");
    println!("}}");
    Ok(())
}

fn unit(q: &[u8]) -> Vec<f32> {
    let v: Vec<f32> = q.iter().map(|&x| f32::from(x as i8)).collect();
    normalised(v)
}

fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn nearest(v: &[f32], centres: &[Vec<f32>]) -> usize {
    let mut best = (f32::NEG_INFINITY, 0);
    for (i, c) in centres.iter().enumerate() {
        let d = dot(v, c);
        if d > best.0 {
            best = (d, i);
        }
    }
    best.1
}

/// Spherical k-means: centres, the iterations run, and the final cells' sizes.
fn kmeans(vectors: &[Vec<f32>], k: usize, seed: u64) -> (Vec<Vec<f32>>, usize, Vec<usize>) {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    // k-means++: each next centre drawn with probability by its distance to the nearest so far.
    let mut centres = vec![vectors[rng.random_range(0..vectors.len())].clone()];
    let mut dist: Vec<f32> = vectors
        .iter()
        .map(|v| (1.0 - dot(v, &centres[0])).max(0.0))
        .collect();
    while centres.len() < k {
        let total: f32 = dist.iter().sum();
        let mut pick = rng.random::<f32>() * total;
        let mut chosen = vectors.len() - 1;
        for (i, d) in dist.iter().enumerate() {
            if pick < *d {
                chosen = i;
                break;
            }
            pick -= d;
        }
        let c = vectors[chosen].clone();
        for (d, v) in dist.iter_mut().zip(vectors) {
            *d = d.min((1.0 - dot(v, &c)).max(0.0));
        }
        centres.push(c);
    }
    let mut cell = vec![usize::MAX; vectors.len()];
    let mut iterations = 0;
    for _ in 0..ITERATIONS {
        iterations += 1;
        let mut changed = 0;
        for (v, c) in vectors.iter().zip(cell.iter_mut()) {
            let n = nearest(v, &centres);
            if n != *c {
                *c = n;
                changed += 1;
            }
        }
        let mut sums = vec![vec![0f32; vectors[0].len()]; k];
        for (v, &c) in vectors.iter().zip(&cell) {
            sums[c].iter_mut().zip(v).for_each(|(s, x)| *s += x);
        }
        for (centre, sum) in centres.iter_mut().zip(sums) {
            // An emptied cell keeps its centre.
            if sum.iter().any(|&x| x != 0.0) {
                *centre = normalised(sum);
            }
        }
        if changed == 0 {
            break;
        }
    }
    let mut sizes = vec![0; k];
    for &c in &cell {
        sizes[c] += 1;
    }
    (centres, iterations, sizes)
}
