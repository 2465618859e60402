//! The text the files shipped beside the model are made from (`examples/language_means.rs`,
//! `examples/vector_cells.rs`): English news from the Reuters-21578 articles with odd NEWIDs
//! (the related-quality tuning split) and ordinary text of seven other languages from the UD
//! dev treebanks of `data/ud`, three consecutive sentences a text. Shared so that both files
//! are made from the same text.

#![allow(dead_code)] // each tool uses a different subset

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;

#[path = "../ud/mod.rs"]
mod ud;

/// The UD dev treebank of each language, by language code.
pub const TREEBANKS: [(&str, &str); 7] = [
    ("de", "de_gsd-ud-dev.conllu.gz"),
    ("fr", "fr_gsd-ud-dev.conllu.gz"),
    ("ru", "ru_gsd-ud-dev.conllu.gz"),
    ("zh", "zh_gsdsimp-ud-dev.conllu.gz"),
    ("ja", "ja_gsd-ud-dev.conllu.gz"),
    ("ko", "ko_gsd-ud-dev.conllu.gz"),
    ("vi", "vi_vtb-ud-dev.conllu.gz"),
];

/// A Reuters article of the tuning split, as the index would take it.
pub struct Article {
    pub title: String,
    pub body: String,
    /// Its entities' names, in the corpus's order.
    pub entities: Vec<String>,
}

/// The Reuters-21578 articles with odd NEWIDs and a body, in the corpus's order.
pub fn reuters_tuning_split(root: &Path) -> anyhow::Result<Vec<Article>> {
    let file = std::fs::File::open(root.join("data/reuters21578.ndjson.gz"))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for line in reader.lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let newid: u64 = v["id"]
            .as_str()
            .and_then(|id| id.strip_prefix("reuters-"))
            .and_then(|n| n.parse().ok())
            .context("a reuters-NEWID id")?;
        let body = v["body"].as_str().unwrap_or("");
        if newid.is_multiple_of(2) || body.trim().is_empty() {
            continue;
        }
        out.push(Article {
            title: v["title"].as_str().unwrap_or("").to_string(),
            body: body.to_string(),
            entities: v["entities"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["name"].as_str().map(str::to_string))
                .collect(),
        });
    }
    Ok(out)
}

/// The texts of the treebank `file` of `data/ud`: three consecutive sentences a text.
pub fn ud_texts(root: &Path, file: &str) -> anyhow::Result<Vec<String>> {
    let sentences = ud::read_conllu(&root.join("data/ud").join(file))?;
    Ok(sentences
        .chunks(3)
        .map(|c| {
            c.iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect())
}
