//! Rebuilding an index from its stored articles: when this version's schema (or analysis)
//! differs from the one an index was built with, and on demand (`newsindex reindex`).
//!
//! Every article is stored whole as JSON, so an index can always be rebuilt from itself. The
//! new index is built beside the old one (`DIR.reindex`), marked complete once committed and
//! synced, then swapped in by two renames; the old one is deleted last. A crash at any point
//! leaves either the old index in place (a leftover `DIR.reindex` is discarded at the next
//! start) or a complete new one that the next start swaps in: nothing is lost.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tantivy::{Index, TantivyDocument};
use tracing::info;

use super::{directory, schema, BulkIndexer};
use crate::article::{Article, LanguageSource};
use crate::Error;

/// Written into the new index once it is complete.
const COMPLETE_MARK: &str = "REINDEX_COMPLETE";

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    dir.with_file_name(name)
}

/// Finishes or discards an interrupted rebuild of `dir`.
pub fn recover(dir: &Path) -> crate::Result<()> {
    let new = sibling(dir, ".reindex");
    let old = sibling(dir, ".before-reindex");
    if new.join(COMPLETE_MARK).exists() {
        if dir.join("meta.json").exists() && !old.exists() {
            // Complete but not yet swapped in: swap now.
            std::fs::rename(dir, &old)?;
        }
        if !dir.exists() {
            std::fs::rename(&new, dir)?;
            sync_parent(dir)?;
            info!(dir = %dir.display(), "finished an interrupted reindex");
        }
    }
    if new.exists() && !new.join(COMPLETE_MARK).exists() {
        std::fs::remove_dir_all(&new)?;
    }
    let _ = std::fs::remove_file(dir.join(COMPLETE_MARK));
    if old.exists() && dir.join("meta.json").exists() {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Names, in an index's directory, what its text was analysed with besides its schema
/// ([`crate::analysis::identity`]).
pub(crate) const ANALYSIS_MARK: &str = "ANALYSIS";

/// What an index without the mark was analysed with: it was built before the mark existed.
const ANALYSIS_BEFORE_MARK: &str = "default_language=en japanese=scripts";

fn built_analysis(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(ANALYSIS_MARK))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| ANALYSIS_BEFORE_MARK.to_string())
}

/// Records this process's analysis in the index in `dir`, which is built with it.
pub fn record_analysis(dir: &Path) -> crate::Result<()> {
    let current = crate::analysis::identity();
    if dir.join(ANALYSIS_MARK).exists() && built_analysis(dir) == current {
        return Ok(());
    }
    let partial = dir.join(format!("{ANALYSIS_MARK}.partial"));
    std::fs::write(&partial, format!("{current}\n"))?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, dir.join(ANALYSIS_MARK))?;
    sync_dir(dir)?;
    Ok(())
}

/// Whether the index in `dir` was built with another schema or analysis than this process's.
pub fn needs_reindex(dir: &Path) -> crate::Result<bool> {
    if !dir.join("meta.json").exists() {
        return Ok(false);
    }
    if built_analysis(dir) != crate::analysis::identity() {
        return Ok(true);
    }
    let index = open_existing(dir)?;
    // An index made before the hit store or the vector store lacks their files, and its
    // `meta.json` does not list them (tantivy would collect them as garbage): rebuilt like a
    // schema change.
    let listed = listed_extensions(&index)?;
    let has_all = [super::hits::EXTENSION, super::vector_store::EXTENSION]
        .iter()
        .all(|e| listed.iter().any(|l| l == e));
    Ok(!has_all || index.schema() != schema::build_schema().0)
}

fn open_existing(dir: &Path) -> crate::Result<Index> {
    let directory = directory::IndexDirectory::open(dir)
        .map_err(|e| Error::Internal(format!("cannot open `{}`: {e}", dir.display())))?;
    let mut index = Index::open(directory)?;
    // An index that lists a plugin's files refuses a writer (even one taken as a lock)
    // without the plugin, and one that does not list them refuses it.
    let listed = listed_extensions(&index)?;
    if listed.iter().any(|e| e == super::hits::EXTENSION) {
        index.register_plugin(std::sync::Arc::new(super::hits::HitsPlugin));
    }
    if listed.iter().any(|e| e == super::vector_store::EXTENSION) {
        index.register_plugin(std::sync::Arc::new(super::vector_store::VectorStorePlugin));
    }
    Ok(index)
}

/// The files of segment plugins the index was made with ([`super::hits`],
/// [`super::vector_store`]).
fn listed_extensions(index: &Index) -> crate::Result<Vec<String>> {
    Ok(index.load_metas()?.persisted_custom_extensions)
}

/// Rebuilds the index in `dir` from its stored articles with this version's schema and
/// analysis; returns the number of articles. The index must not be open elsewhere.
pub fn reindex(dir: &Path, threads: usize, heap_mb: usize) -> crate::Result<u64> {
    recover(dir)?;
    let old_index = open_existing(dir)?;
    // The writer lock keeps a running server from writing while the copy is made.
    let _lock = old_index
        .writer::<TantivyDocument>(15_000_000 * threads.max(1))
        .map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => Error::Internal(format!(
                "the index in `{}` is in use by another process (a running server?): stop it first",
                dir.display()
            )),
            other => other.into(),
        })?;
    let reader = old_index.reader()?;
    let searcher = reader.searcher();
    let total = searcher.num_docs();
    info!(dir = %dir.display(), articles = total, "reindexing");
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("reindex {bar:40} {pos}/{len} articles, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let new = sibling(dir, ".reindex");
    if new.exists() {
        std::fs::remove_dir_all(&new)?;
    }
    let mut bulk = BulkIndexer::open(&new, threads, heap_mb)?;
    super::export::for_each_article(&searcher, |mut article| {
        resolve_language(&mut article);
        bulk.add(&article)?;
        bar.inc(1);
        Ok(())
    })?;
    let count = bulk.finish()?;
    bar.finish_and_clear();
    let mark = std::fs::File::create(new.join(COMPLETE_MARK))?;
    mark.sync_all()?;
    sync_dir(&new)?;
    drop(_lock);
    drop(reader);
    drop(old_index);
    let old = sibling(dir, ".before-reindex");
    std::fs::rename(dir, &old)?;
    std::fs::rename(&new, dir)?;
    sync_parent(dir)?;
    std::fs::remove_file(dir.join(COMPLETE_MARK))?;
    std::fs::remove_dir_all(&old)?;
    info!(dir = %dir.display(), articles = count, "reindexed");
    Ok(count)
}

/// Articles stored before languages were resolved get one as a new article would, and so do
/// those that fell back to the default language, which may have changed.
fn resolve_language(article: &mut Article) {
    if article.language.is_some() && article.language_source != Some(LanguageSource::Default) {
        if article.language_source.is_none() {
            article.language_source = Some(LanguageSource::Given);
        }
        return;
    }
    let (code, source) = crate::article::language_of_text(
        &article.title,
        article.summary.as_deref(),
        article.body.as_deref(),
    );
    article.language = Some(code);
    article.language_source = Some(source);
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn sync_parent(dir: &Path) -> std::io::Result<()> {
    match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => sync_dir(parent),
        None => sync_dir(Path::new(".")),
    }
}

/// Rebuilds `dir` when it was built with another schema (see [`needs_reindex`]).
pub fn migrate_if_needed(dir: &Path) -> crate::Result<()> {
    recover(dir)?;
    if needs_reindex(dir)? {
        info!(dir = %dir.display(), built_with = %built_analysis(dir), now = %crate::analysis::identity(), "the index was built by another version of newsindex or with other analysis settings: rebuilding it from its stored articles");
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        reindex(dir, threads, 256)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{Schema, TextFieldIndexing, TextOptions, STORED, STRING};
    use tantivy::{doc, Index};

    use super::*;
    use crate::config::Config;
    use crate::query::{run_search, SearchRequest};
    use crate::NewsIndex;

    /// An index as an older version built it: another schema (the text analyzer of the time
    /// was `news_en`), articles stored whole, without a language.
    fn old_index(dir: &Path, articles: &[(&str, &str, &str)]) {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING);
        let title = b.add_text_field(
            "title",
            TextOptions::default()
                .set_indexing_options(TextFieldIndexing::default().set_tokenizer("default")),
        );
        let stored = b.add_text_field("stored", STORED);
        let index = Index::create_in_dir(dir, b.build()).expect("old index");
        let mut writer = index.writer::<TantivyDocument>(15_000_000).expect("writer");
        for (i, t, body) in articles {
            let json = serde_json::json!({
                "id": i, "title": t, "body": body, "authors": [], "tags": [],
                "entities": [], "entities_source": "given"
            });
            writer
                .add_document(doc!(id => *i, title => *t, stored => json.to_string()))
                .expect("add");
        }
        writer.commit().expect("commit");
    }

    fn search(index: &NewsIndex, q: &str) -> Vec<String> {
        let req = SearchRequest {
            q: q.into(),
            ..SearchRequest::default()
        };
        run_search(index, &Config::default().search, &req)
            .expect("search")
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    #[test]
    fn an_index_of_another_schema_is_rebuilt_at_open_with_languages() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("index");
        std::fs::create_dir(&dir).expect("dir");
        old_index(
            &dir,
            &[
                (
                    "zh-1",
                    "中国外交部回应俄朝防务协定",
                    "外交部发言人在记者会上表示，中方注意到有关报道。",
                ),
                (
                    "en-1",
                    "Cocoa prices rise",
                    "Cocoa prices rose in London on Monday as traders said supplies were short.",
                ),
            ],
        );
        assert!(needs_reindex(&dir).expect("check"));
        let index = NewsIndex::open(&dir, &Config::default().writer).expect("open migrates");
        assert_eq!(index.num_articles(), 2);
        assert_eq!(search(&index, "外交部"), ["zh-1"]);
        assert_eq!(search(&index, "cocoa"), ["en-1"]);
        let zh = index.get("zh-1").expect("get").expect("stored");
        assert_eq!(zh.language.as_deref(), Some("zh"));
        assert_eq!(zh.language_source, Some(LanguageSource::Detected));
        // The old index kept the body in the JSON; the new one keeps it apart, whole.
        let en = index.get("en-1").expect("get").expect("stored");
        assert_eq!(
            en.body.as_deref(),
            Some("Cocoa prices rose in London on Monday as traders said supplies were short.")
        );
        drop(index);
        assert!(!sibling(&dir, ".reindex").exists());
        assert!(!sibling(&dir, ".before-reindex").exists());
        assert!(!needs_reindex(&dir).expect("check"));
    }

    #[test]
    fn an_interrupted_reindex_is_finished_or_discarded() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("index");
        std::fs::create_dir(&dir).expect("dir");
        old_index(&dir, &[("a", "Cocoa prices rise", "Cocoa rose.")]);
        // Interrupted before the new index was complete: discarded, the old one stays.
        let new = sibling(&dir, ".reindex");
        std::fs::create_dir(&new).expect("new");
        std::fs::write(new.join("half-written"), b"x").expect("write");
        recover(&dir).expect("recover");
        assert!(!new.exists());
        assert!(needs_reindex(&dir).expect("check"));
        // Complete, and the old index moved away, but not yet swapped in: swapped in.
        reindex(&dir, 1, 50).expect("reindex");
        let old = sibling(&dir, ".before-reindex");
        std::fs::rename(&dir, &new).expect("undo swap");
        std::fs::create_dir(&old).expect("old");
        std::fs::File::create(new.join(COMPLETE_MARK)).expect("mark");
        recover(&dir).expect("recover");
        assert!(dir.join("meta.json").exists());
        assert!(!old.exists() && !new.exists());
        let index = NewsIndex::open(&dir, &Config::default().writer).expect("open");
        assert_eq!(search(&index, "cocoa"), ["a"]);
    }

    #[test]
    fn an_index_analysed_otherwise_is_rebuilt_and_marked() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("index");
        std::fs::create_dir(&dir).expect("dir");
        old_index(&dir, &[("a", "Cocoa prices rise", "Cocoa rose.")]);
        let index = NewsIndex::open(&dir, &Config::default().writer).expect("open migrates");
        index.shutdown_blocking().expect("shutdown");
        drop(index);
        assert_eq!(built_analysis(&dir), crate::analysis::identity());
        assert!(!needs_reindex(&dir).expect("check"));
        // As if built by a process whose Japanese words were cut otherwise.
        std::fs::write(
            dir.join(ANALYSIS_MARK),
            "default_language=en japanese=other\n",
        )
        .expect("mark");
        assert!(needs_reindex(&dir).expect("check"));
        let index = NewsIndex::open(&dir, &Config::default().writer).expect("open migrates");
        assert_eq!(search(&index, "cocoa"), ["a"]);
        assert_eq!(built_analysis(&dir), crate::analysis::identity());
        drop(index);
        assert!(!needs_reindex(&dir).expect("check"));
    }
}
