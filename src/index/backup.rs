//! A consistent backup of an index while it serves: the files of one commit, restorable by
//! starting a server on them (`POST /admin/backup`, `newsindex backup`).
//!
//! tantivy never changes a segment file once written; a commit is `meta.json` naming its
//! segments (and their delete files). Its garbage collector deletes the files no commit needs
//! any more, but only while it holds the index's meta lock (`.tantivy-meta.lock`, a file lock
//! that other processes respect too, as tantivy's readers use it while opening segments). So
//! a backup takes that lock for a moment, reads the current `meta.json` and, for each file it
//! names, makes a hard link in the destination (same file system) or opens the file (to copy
//! from the open file later: a file deleted meanwhile stays readable through it); then it lets
//! go, so commits never wait for the copying. The copies are synced, then the list of files,
//! the `ANALYSIS` mark and, last, `meta.json` are written and synced, and the directory with
//! them: a destination without `meta.json` is an interrupted backup, never a wrong index.
//! The backup is then opened and its article count checked against the commit's.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use tantivy::directory::META_LOCK;
use tantivy::{Directory, Index, ReloadPolicy};
use tracing::info;

use super::{directory, reindex};
use crate::Error;

/// tantivy's list of the files it manages (and may delete once unused).
const MANAGED_FILE: &str = ".managed.json";
const META_FILE: &str = "meta.json";

/// What a backup wrote.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BackupReport {
    /// The backup's directory.
    #[schema(value_type = String)]
    pub dir: PathBuf,
    /// Articles in the backed-up commit.
    pub articles: u64,
    /// Segments of that commit.
    pub segments: usize,
    /// tantivy's operation stamp of that commit.
    pub opstamp: u64,
    /// Files written, `meta.json` included.
    pub files: usize,
    /// Of those, segment files hard-linked rather than copied (the destination is on the
    /// index's file system).
    pub linked: usize,
    /// Bytes of the backup.
    pub bytes: u64,
    /// Time taken, milliseconds.
    pub took_ms: f64,
}

/// The checks on a backup directory named by an HTTP request: a path on the server's
/// machine, absolute (a relative one would depend on where the server was started).
pub fn server_path(dir: &str) -> crate::Result<PathBuf> {
    let path = PathBuf::from(dir);
    if dir.trim().is_empty() {
        return Err(Error::param("dir", "must not be empty"));
    }
    if !path.is_absolute() {
        return Err(Error::param(
            "dir",
            format!("must be an absolute path on the server's machine, got `{dir}`"),
        ));
    }
    Ok(path)
}

/// Backs up the last commit of `index` (whose files are in `index_dir`) into `dest`, which
/// must not exist (its parent must) or be an empty directory, and must not be inside the
/// index. Works while a writer, in this process or another, keeps committing.
pub fn backup(index: &Index, index_dir: &Path, dest: &Path) -> crate::Result<BackupReport> {
    backup_with(index, index_dir, dest, Links::WhenPossible)
}

/// Whether segment files may be hard-linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Links {
    WhenPossible,
    /// Always copy (what happens across file systems), for the tests.
    #[cfg_attr(not(test), allow(dead_code))]
    Never,
}

fn backup_with(
    index: &Index,
    index_dir: &Path,
    dest: &Path,
    links: Links,
) -> crate::Result<BackupReport> {
    let started = Instant::now();
    let created = prepare(index_dir, dest)?;
    match copy_commit(index, index_dir, dest, links) {
        Ok(mut report) => {
            report.took_ms = started.elapsed().as_secs_f64() * 1e3;
            info!(dest = %dest.display(), articles = report.articles, files = report.files, bytes = report.bytes, linked = report.linked, took_ms = report.took_ms, "backup written");
            Ok(report)
        }
        Err(e) => {
            // Never leave a half-written backup that could be taken for one.
            if created {
                let _ = std::fs::remove_dir_all(dest);
            } else if let Ok(entries) = std::fs::read_dir(dest) {
                for entry in entries.flatten() {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
            Err(e)
        }
    }
}

/// Checks `dest` and creates it if needed; true if it was created.
fn prepare(index_dir: &Path, dest: &Path) -> crate::Result<bool> {
    let shown = dest.display();
    match std::fs::metadata(dest) {
        Ok(m) if !m.is_dir() => {
            return Err(Error::Conflict(format!(
            "`{shown}` exists and is not a directory: a backup goes into a new or empty directory"
        )))
        }
        Ok(_) => {
            if std::fs::read_dir(dest)?.next().is_some() {
                return Err(Error::Conflict(format!(
                    "`{shown}` exists and is not empty: a backup goes into a new or empty directory"
                )));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let parent = parent.canonicalize().map_err(|_| {
        Error::BadRequest(format!(
            "cannot back up into `{shown}`: the directory `{}` does not exist",
            parent.display()
        ))
    })?;
    let index_dir = index_dir.canonicalize()?;
    if parent.starts_with(&index_dir) {
        return Err(Error::BadRequest(format!(
            "cannot back up into `{shown}`: it is inside the index's own directory"
        )));
    }
    if dest.exists() {
        return Ok(false);
    }
    std::fs::create_dir(dest)?;
    Ok(true)
}

fn copy_commit(
    index: &Index,
    index_dir: &Path,
    dest: &Path,
    links: Links,
) -> crate::Result<BackupReport> {
    // While the lock is held, no file of the commit read here can be deleted.
    let lock = index
        .directory()
        .acquire_lock(&META_LOCK)
        .map_err(|e| Error::Internal(format!("cannot take the index's meta lock: {e}")))?;
    let meta = index.load_metas()?;
    let mut names: Vec<PathBuf> = meta.list_segment_files().into_iter().collect();
    names.sort();
    let mut linked = Vec::new();
    let mut to_copy = Vec::new();
    for name in names {
        let (src, dst) = (index_dir.join(&name), dest.join(&name));
        let link = match links {
            Links::WhenPossible => std::fs::hard_link(&src, &dst),
            Links::Never => Err(io::Error::other("copy")),
        };
        match link {
            Ok(()) => linked.push(name),
            // A component this segment does not have (no deletes, say).
            Err(e) if e.kind() == io::ErrorKind::NotFound && !src.exists() => {}
            Err(_) => match File::open(&src) {
                Ok(file) => to_copy.push((name, file)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            },
        }
    }
    drop(lock);

    let mut bytes = 0u64;
    for name in &linked {
        let file = File::open(dest.join(name))?;
        file.sync_all()?;
        bytes += file.metadata()?.len();
    }
    let mut written: Vec<PathBuf> = linked.clone();
    for (name, mut src) in to_copy {
        let mut out = File::create(dest.join(&name))?;
        bytes += io::copy(&mut src, &mut out)?;
        out.sync_all()?;
        written.push(name);
    }
    written.sort();

    // tantivy's list of its files, so that the restored index deletes them once merged away.
    let mut managed: Vec<String> = written
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    managed.push(META_FILE.to_string());
    let mut list = serde_json::to_vec(&managed).map_err(|e| Error::Internal(e.to_string()))?;
    list.push(b'\n');
    bytes += write_synced(&dest.join(MANAGED_FILE), &list)?;
    let mut files = written.len() + 1;
    match std::fs::read(index_dir.join(reindex::ANALYSIS_MARK)) {
        Ok(mark) => {
            bytes += write_synced(&dest.join(reindex::ANALYSIS_MARK), &mark)?;
            files += 1;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    // meta.json last, as tantivy writes it, renamed into place: with it the backup is whole.
    let mut json = serde_json::to_vec_pretty(&meta).map_err(|e| Error::Internal(e.to_string()))?;
    json.push(b'\n');
    let partial = dest.join(format!("{META_FILE}.partial"));
    bytes += write_synced(&partial, &json)?;
    std::fs::rename(&partial, dest.join(META_FILE))?;
    files += 1;
    File::open(dest)?.sync_all()?;
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(parent)?.sync_all()?;
    }

    let articles: u64 = meta.segments.iter().map(|s| u64::from(s.num_docs())).sum();
    let found = articles_in(dest)?;
    if found != articles {
        return Err(Error::Internal(format!(
            "the backup in `{}` holds {found} articles, its commit {articles}",
            dest.display()
        )));
    }
    Ok(BackupReport {
        dir: dest.to_path_buf(),
        articles,
        segments: meta.segments.len(),
        opstamp: meta.opstamp,
        files,
        linked: linked.len(),
        bytes,
        took_ms: 0.0,
    })
}

/// Opens the index in `dir` (every segment of its commit) and counts its articles.
fn articles_in(dir: &Path) -> crate::Result<u64> {
    let directory = directory::IndexDirectory::open(dir)
        .map_err(|e| Error::Internal(format!("cannot open `{}`: {e}", dir.display())))?;
    let index = Index::open(directory)?;
    let reader: tantivy::IndexReader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let n = reader.searcher().num_docs();
    drop(reader);
    // The lock file the reader made is not part of the backup.
    let _ = std::fs::remove_file(dir.join(".tantivy-meta.lock"));
    Ok(n)
}

fn write_synced(path: &Path, data: &[u8]) -> io::Result<u64> {
    let mut file = File::create(path)?;
    file.write_all(data)?;
    file.sync_all()?;
    Ok(data.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::index::{test_support, NewsIndex};

    #[test]
    fn a_backup_is_an_index_of_the_same_articles() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("index");
        let index = NewsIndex::open(&dir, &Config::default().writer).expect("open");
        for i in 0..3 {
            test_support::put(&index, &format!("a{i}"), "Steel tariffs");
        }
        let dest = tmp.path().join("backup");
        let report = index.backup(&dest).expect("backup");
        assert_eq!(report.articles, 3);
        assert!(dest.join("meta.json").exists());
        assert!(dest.join(reindex::ANALYSIS_MARK).exists());
        // Not into a directory that holds anything, nor into the index.
        let again = index.backup(&dest).expect_err("not empty");
        assert!(matches!(again, Error::Conflict(_)), "{again}");
        let inside = index.backup(&dir.join("b")).expect_err("inside");
        assert!(matches!(inside, Error::BadRequest(_)), "{inside}");
        let orphan = index
            .backup(&tmp.path().join("no/such"))
            .expect_err("no parent");
        assert!(matches!(orphan, Error::BadRequest(_)), "{orphan}");
        index.shutdown_blocking().expect("shutdown");
        drop(index);

        let restored = NewsIndex::open(&dest, &Config::default().writer).expect("restore");
        assert_eq!(restored.num_articles(), 3);
        assert!(restored.get("a1").expect("get").is_some());
        test_support::put(&restored, "a3", "Steel tariffs");
        assert_eq!(restored.num_articles(), 4);
        restored.shutdown_blocking().expect("shutdown");
    }

    /// Copies (as across file systems) while a writer keeps committing and merging, so that
    /// files of the backed-up commit are deleted from the index during the copy.
    #[test]
    fn a_copy_under_writes_is_one_whole_commit() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("index");
        let index = NewsIndex::open(&dir, &Config::default().writer).expect("open");
        let stop = std::sync::atomic::AtomicBool::new(false);
        let written = std::sync::atomic::AtomicUsize::new(0);
        let reports = std::thread::scope(|s| {
            s.spawn(|| {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    test_support::put(&index, &format!("w{i}"), &format!("Steel tariffs {i}"));
                    i += 1;
                    written.store(i, std::sync::atomic::Ordering::SeqCst);
                }
            });
            let mut reports = Vec::new();
            for k in 0..5 {
                while written.load(std::sync::atomic::Ordering::SeqCst) < 30 * (k + 1) {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                let before = written.load(std::sync::atomic::Ordering::SeqCst) as u64;
                let dest = tmp.path().join(format!("copy-{k}"));
                let report = backup_with(index.index(), &dir, &dest, Links::Never).expect("backup");
                assert_eq!(report.linked, 0);
                assert!(report.articles >= before, "{} < {before}", report.articles);
                reports.push(report);
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            reports
        });
        index.shutdown_blocking().expect("shutdown");
        for report in reports {
            let copy = NewsIndex::open_read_only(&report.dir).expect("a valid index");
            assert_eq!(copy.num_articles(), report.articles);
            for i in 0..report.articles {
                let a = copy.get(&format!("w{i}")).expect("get").expect("whole");
                assert_eq!(
                    a.body.as_deref(),
                    Some(format!("Steel tariffs {i}").as_str())
                );
            }
        }
    }
}
