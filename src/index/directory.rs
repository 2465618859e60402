//! The index's directory: tantivy's `MmapDirectory`, except that its list of managed files is
//! written without an fsync.
//!
//! tantivy rewrites `.managed.json` (the files it may garbage-collect) each time it creates a
//! file, atomically and with an fsync: about ten times per commit, which was a third of the
//! time of a small commit (a few PUTs) on this machine. The list is not needed for the index
//! to be correct, only to delete old files: a stale list after a power cut leaves unreferenced
//! files behind (disk space, never a wrong answer), and an unreadable one is treated as
//! missing (tantivy then starts a new list) rather than failing the open. A process crash loses
//! nothing either way: the page cache survives it. Segment files, `meta.json` and delete files
//! keep every fsync tantivy asks for, and the directory is synced after `meta.json` is renamed
//! (tantivy does not), so that a power cut cannot bring back the previous commit.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::Directory;

/// tantivy's name for the list of managed files.
const MANAGED_FILE: &str = ".managed.json";

/// `MmapDirectory` with a relaxed `.managed.json` (see the module docs).
#[derive(Clone, Debug)]
pub struct IndexDirectory {
    inner: MmapDirectory,
    root: PathBuf,
}

impl IndexDirectory {
    /// Opens `root`, which must exist.
    pub fn open(
        root: &Path,
    ) -> Result<IndexDirectory, tantivy::directory::error::OpenDirectoryError> {
        Ok(IndexDirectory {
            inner: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
        })
    }
}

/// Directory syncs after an atomic write, since the process started (for tests and metrics).
pub static DIRECTORY_SYNCS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn is_managed_list(path: &Path) -> bool {
    path == Path::new(MANAGED_FILE)
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let data = self.inner.atomic_read(path)?;
        if is_managed_list(path) && serde_json::from_slice::<serde_json::Value>(&data).is_err() {
            tracing::warn!("unreadable {MANAGED_FILE} (a power cut?): starting a new list");
            return Err(OpenReadError::FileDoesNotExist(path.to_path_buf()));
        }
        Ok(data)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        if !is_managed_list(path) {
            // tantivy syncs the new file's data and renames it over the old one, but the
            // rename lives in the directory: until the directory is synced, a power cut can
            // bring back the old `meta.json`, and with it lose a commit already acknowledged.
            self.inner.atomic_write(path, data)?;
            std::fs::File::open(&self.root)?.sync_all()?;
            DIRECTORY_SYNCS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        // Still atomic for readers and for a process crash: a whole new file renamed over
        // the old one.
        let target = self.root.join(path);
        let temp = self.root.join(format!("{MANAGED_FILE}.tmp"));
        std::fs::write(&temp, data)?;
        std::fs::rename(&temp, &target)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::index::test_support;
    use crate::index::NewsIndex;

    fn put(index: &NewsIndex, id: &str) {
        test_support::put(index, id, "Steel tariffs");
    }

    #[test]
    fn a_commit_syncs_the_directory_after_renaming_meta_json() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = NewsIndex::open(dir.path(), &Config::default().writer).expect("open");
        let before = super::DIRECTORY_SYNCS.load(std::sync::atomic::Ordering::Relaxed);
        put(&index, "a");
        let after = super::DIRECTORY_SYNCS.load(std::sync::atomic::Ordering::Relaxed);
        assert!(after > before, "no directory sync after a commit");
        index.shutdown_blocking().expect("shutdown");
    }

    #[test]
    fn a_torn_managed_list_does_not_stop_the_index_from_opening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::default().writer;
        {
            let index = NewsIndex::open(dir.path(), &config).expect("open");
            put(&index, "a");
            put(&index, "b");
            index.shutdown_blocking().expect("shutdown");
        }
        let managed = dir.path().join(super::MANAGED_FILE);
        let listed = std::fs::read_to_string(&managed).expect("managed list");
        assert!(listed.contains(".store"), "{listed}");
        // What a power cut in the middle of an unsynced rewrite could leave.
        std::fs::write(&managed, &listed.as_bytes()[..listed.len() / 2]).expect("tear");

        let index = NewsIndex::open(dir.path(), &config).expect("reopen");
        assert_eq!(index.num_articles(), 2);
        put(&index, "c");
        assert_eq!(index.num_articles(), 3);
        assert!(index.get("a").expect("get").is_some());
        index.shutdown_blocking().expect("shutdown");
        let rewritten = std::fs::read_to_string(&managed).expect("managed list");
        assert!(serde_json::from_str::<serde_json::Value>(&rewritten).is_ok());
    }
}
