//! How well the word lists (the `words` fields that suggestions and typo tolerance read) cut
//! Chinese and Japanese into words, against the gold words of Universal Dependencies treebanks
//! (`data/ud/`): Japanese with IPADIC (lindera) and without it (runs of one script), Chinese with
//! jieba.
//!
//! Every sentence of each treebank's dev split is cut by the language's word-list analyzer
//! (`index::schema::words_analyzer`). Gold words are placed in the sentence's `# text` in order.
//! - recall: of the gold nouns and proper nouns (UPOS NOUN, PROPN) of two characters or more
//!   with a kanji, hanzi or katakana, the share that the word list has as one word, at the same
//!   place (what a user typing a noun should find completed);
//! - precision: of the word list's words, the share that are a gold word at the same place
//!   (a word list of fragments or of glued words completes nothing a user types).
//!
//! The whole dev split of each treebank is measured (nothing here was tuned on it: the noun
//! filter of `src/analysis/japanese.rs` was written from IPADIC's part-of-speech tags), and
//! the spread over five random halves of its sentences is printed beside it.
//!
//! ```text
//! cargo run --release --example word_lists -- [--data data/ud] [--dictionary dictionaries/ipadic]
//! ```

#[path = "sampling/mod.rs"]
mod sampling;
#[path = "ud/mod.rs"]
mod ud;

use std::path::PathBuf;

use anyhow::{bail, Context};
use newsindex::analysis::Lang;
use newsindex::index::schema::words_analyzer;
use ud::{read_conllu, Sentence};

/// Counts of one sentence: (gold nouns, found), (listed words, gold).
#[derive(Default, Clone, Copy)]
struct Counts {
    nouns: usize,
    nouns_found: usize,
    listed: usize,
    listed_gold: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.nouns += o.nouns;
        self.nouns_found += o.nouns_found;
        self.listed += o.listed;
        self.listed_gold += o.listed_gold;
    }
}

fn is_ideograph_or_katakana(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{30A0}'..='\u{30FF}')
}

/// Gold words as byte ranges of the sentence's text, with whether each is a noun worth
/// listing; `None` when a word cannot be placed (the text and the words disagree).
fn gold(s: &Sentence) -> Option<Vec<(usize, usize, bool)>> {
    let mut at = 0;
    let mut out = Vec::new();
    for w in &s.words {
        let start = at + s.text[at..].find(&w.form)?;
        let end = start + w.form.len();
        let noun = matches!(w.upos.as_str(), "NOUN" | "PROPN")
            && w.form.chars().count() >= 2
            && w.form.chars().any(is_ideograph_or_katakana);
        out.push((start, end, noun));
        at = end;
    }
    Some(out)
}

fn measure(lang: Lang, s: &Sentence) -> Option<Counts> {
    let gold = gold(s)?;
    let mut analyzer = words_analyzer(lang);
    let mut listed = Vec::new();
    let mut stream = analyzer.token_stream(&s.text);
    while let Some(t) = stream.next() {
        listed.push((t.offset_from, t.offset_to));
    }
    let mut c = Counts::default();
    for &(a, b, noun) in &gold {
        if noun {
            c.nouns += 1;
            c.nouns_found += listed.contains(&(a, b)) as usize;
        }
    }
    c.listed = listed.len();
    c.listed_gold = listed
        .iter()
        .filter(|&&(a, b)| gold.iter().any(|&(ga, gb, _)| (ga, gb) == (a, b)))
        .count();
    Some(c)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Recall and precision over all sentences, and their min-max over five random halves.
fn report(name: &str, per_sentence: &[Counts]) {
    let mut all = Counts::default();
    for c in per_sentence {
        all += *c;
    }
    let mut recalls = Vec::new();
    let mut precisions = Vec::new();
    for seed in 1..=5u64 {
        let half = sampling::draw(per_sentence.len(), per_sentence.len() / 2, seed);
        let mut h = Counts::default();
        for i in half {
            h += per_sentence[i];
        }
        recalls.push(ratio(h.nouns_found, h.nouns));
        precisions.push(ratio(h.listed_gold, h.listed));
    }
    let spread = |v: &[f64]| {
        let (_, lo, hi) = sampling::spread(v);
        format!("{lo:.3}-{hi:.3}")
    };
    println!(
        "| {name} | {} | {} | {:.3} ({}) | {} | {:.3} ({}) |",
        per_sentence.len(),
        all.nouns,
        ratio(all.nouns_found, all.nouns),
        spread(&recalls),
        all.listed,
        ratio(all.listed_gold, all.listed),
        spread(&precisions),
    );
}

fn main() -> anyhow::Result<()> {
    let mut data = PathBuf::from("data/ud");
    let mut dictionary = PathBuf::from("dictionaries/ipadic");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = PathBuf::from(value()?),
            "--dictionary" => dictionary = PathBuf::from(value()?),
            other => bail!("unknown option {other}"),
        }
    }
    let ja = read_conllu(&data.join("ja_gsd-ud-dev.conllu.gz"))?;
    let zh = read_conllu(&data.join("zh_gsdsimp-ud-dev.conllu.gz"))?;
    let cut = |lang: &str, sentences: &[Sentence]| -> Vec<Counts> {
        let lang = Lang::of_tag(lang);
        sentences.iter().filter_map(|s| measure(lang, s)).collect()
    };
    println!("| words | sentences | gold nouns | recall (5 halves) | words listed | precision (5 halves) |");
    println!("|---|---|---|---|---|---|");
    // The dictionary is process-wide and cannot be unloaded: measure without it first.
    report("ja, runs of one script", &cut("ja", &ja));
    newsindex::analysis::japanese::load(&dictionary)?;
    report("ja, IPADIC nouns", &cut("ja", &ja));
    report("zh, jieba (search mode)", &cut("zh", &zh));
    Ok(())
}
