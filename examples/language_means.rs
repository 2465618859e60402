//! Builds `models/related-me5-static-16k/language-means.json`: the mean vector of the shipped
//! model over ordinary text of each language it has text for here. `crate::embed` subtracts
//! an article's language mean from its vector: the static model's vectors share a large
//! component per language (the mean's norm is ~0.84 of a unit vector, and two unrelated
//! French texts have a cosine of ~0.85), which made a story nearer to any text in its own
//! language than to its translation.
//!
//! Text: English from the Reuters-21578 articles with odd NEWIDs (the related-quality tuning
//! split; title and lead as `article_input` makes them), at most 5,000; the other languages
//! from the Universal Dependencies dev treebanks in `data/ud` (three consecutive sentences a
//! document). Deterministic: the same input files give the same file.
//!
//! ```sh
//! cargo run --release --example language_means > models/related-me5-static-16k/language-means.json
//! ```

use std::collections::BTreeMap;

#[path = "model_text/mod.rs"]
mod model_text;

use newsindex::embed::{article_input, Embedder, MODEL_NAME};

const ENGLISH_ARTICLES: usize = 5_000;

fn main() -> anyhow::Result<()> {
    let model = Embedder::shipped()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let english = model_text::reuters_tuning_split(root)?;
    texts.entry("en").or_default().extend(
        english
            .iter()
            .take(ENGLISH_ARTICLES)
            .map(|a| article_input(&a.title, "", &a.body, &[])),
    );
    for (code, file) in model_text::TREEBANKS {
        texts
            .entry(code)
            .or_default()
            .extend(model_text::ud_texts(root, file)?);
    }
    let mut means = serde_json::Map::new();
    let mut counts = serde_json::Map::new();
    for (code, docs) in &texts {
        let mut sum = vec![0f64; model.dims()];
        for d in docs {
            for (s, x) in sum.iter_mut().zip(model.embed(d)) {
                *s += f64::from(x);
            }
        }
        let mean: Vec<f64> = sum
            .iter()
            .map(|s| (s / docs.len() as f64 * 1e5).round() / 1e5)
            .collect();
        means.insert(code.to_string(), serde_json::json!(mean));
        counts.insert(code.to_string(), serde_json::json!(docs.len()));
        eprintln!("{code}: {} texts", docs.len());
    }
    let out = serde_json::json!({
        "model": MODEL_NAME,
        "built_by": "cargo run --release --example language_means",
        "texts": counts,
        "means": means,
    });
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
