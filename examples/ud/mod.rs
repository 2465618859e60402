//! Universal Dependencies treebanks (`data/ud/`, CoNLL-U, gzipped): sentences with their gold
//! words, for the quality tools of `examples/`.

#![allow(dead_code)]

use std::io::BufRead;
use std::path::Path;

use anyhow::{ensure, Context};

/// What the measures read of a word line.
#[derive(Debug, Clone)]
pub struct Word {
    pub form: String,
    pub lemma: String,
    pub upos: String,
}

#[derive(Debug, Clone)]
pub struct Sentence {
    pub text: String,
    pub words: Vec<Word>,
}

/// The sentences of a gzipped CoNLL-U file: each one's `# text` and its syntactic words.
/// Multiword tokens (`1-2 du`) and empty nodes (`8.1`) are not words of the sentence: the
/// first only spells the words that follow it, the second is not in the text at all.
pub fn read_conllu(path: &Path) -> anyhow::Result<Vec<Sentence>> {
    let file = std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut sentences = Vec::new();
    let mut text: Option<String> = None;
    let mut words: Vec<Word> = Vec::new();
    let mut finish = |text: &mut Option<String>, words: &mut Vec<Word>, line: usize| {
        if text.is_none() && words.is_empty() {
            return Ok(());
        }
        let text = text
            .take()
            .with_context(|| format!("{}:{line}: sentence without `# text`", path.display()))?;
        sentences.push(Sentence {
            text,
            words: std::mem::take(words),
        });
        anyhow::Ok(())
    };
    let mut n = 0;
    for line in reader.lines() {
        let line = line?;
        n += 1;
        if line.trim().is_empty() {
            finish(&mut text, &mut words, n)?;
        } else if let Some(comment) = line.strip_prefix('#') {
            // `# text = …`, and in Vietnamese's train split also `# text =…`.
            if let Some((key, value)) = comment.split_once('=') {
                if key.trim() == "text" {
                    text = Some(value.trim().to_string());
                }
            }
        } else {
            let cols: Vec<&str> = line.split('\t').collect();
            ensure!(
                cols.len() >= 4,
                "{}:{n}: not a CoNLL-U word line",
                path.display()
            );
            if cols[0].contains(['-', '.']) {
                continue;
            }
            words.push(Word {
                form: cols[1].to_string(),
                lemma: cols[2].to_string(),
                upos: cols[3].to_string(),
            });
        }
    }
    finish(&mut text, &mut words, n)?;
    Ok(sentences)
}
