//! Document frequencies remembered across requests, for BM25 and the related-articles profile.
//!
//! A term's document frequency is a term-dictionary lookup in every segment; a related request
//! asks for a few hundred of them (every word of the source, in three fields, then again for
//! each scored clause), which was a sixth of its time at 1M articles. The frequencies only
//! change with a commit, so they are kept per searcher generation and forgotten when a newer
//! one asks.

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// Entries kept before the cache starts over: bounds memory on a vocabulary that never ends
/// (drafts, typos) while the words of news stay hot.
const MAX_ENTRIES: usize = 200_000;

/// Frequencies of the last searcher generation that asked.
#[derive(Default)]
pub struct DocFreqCache {
    inner: Mutex<Generation>,
}

#[derive(Default)]
struct Generation {
    id: Option<u64>,
    doc_freqs: HashMap<Term, u64>,
    field_tokens: HashMap<Field, u64>,
}

impl DocFreqCache {
    /// Statistics of `searcher`, served from this cache.
    pub fn for_searcher<'a>(&'a self, searcher: &'a Searcher) -> CachedStats<'a> {
        CachedStats {
            searcher,
            cache: self,
        }
    }

    fn with<T>(&self, searcher: &Searcher, f: impl FnOnce(&mut Generation) -> T) -> T {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let id = searcher.generation().generation_id();
        // A searcher older than the cached generation (a request that began before a commit)
        // must not evict the newer entries, nor read them: it gets a throwaway generation.
        match g.id {
            Some(cached) if cached == id => f(&mut g),
            Some(cached) if cached > id => f(&mut Generation::default()),
            _ => {
                *g = Generation {
                    id: Some(id),
                    ..Generation::default()
                };
                f(&mut g)
            }
        }
    }
}

/// A searcher's BM25 statistics with cached document frequencies.
pub struct CachedStats<'a> {
    searcher: &'a Searcher,
    cache: &'a DocFreqCache,
}

impl CachedStats<'_> {
    /// The searcher these statistics describe.
    pub fn searcher(&self) -> &Searcher {
        self.searcher
    }
}

impl Bm25StatisticsProvider for CachedStats<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(n) = self
            .cache
            .with(self.searcher, |g| g.field_tokens.get(&field).copied())
        {
            return Ok(n);
        }
        let n = Bm25StatisticsProvider::total_num_tokens(self.searcher, field)?;
        self.cache.with(self.searcher, |g| {
            g.field_tokens.insert(field, n);
        });
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Bm25StatisticsProvider::total_num_docs(self.searcher)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(n) = self
            .cache
            .with(self.searcher, |g| g.doc_freqs.get(term).copied())
        {
            return Ok(n);
        }
        // Looked up outside the lock: concurrent requests may both compute a missing term,
        // which costs less than making every other lookup wait for it.
        let n = self.searcher.doc_freq(term)?;
        self.cache.with(self.searcher, |g| {
            if g.doc_freqs.len() >= MAX_ENTRIES {
                g.doc_freqs.clear();
            }
            g.doc_freqs.insert(term.clone(), n);
        });
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::index::test_support::put;
    use crate::index::NewsIndex;

    #[test]
    fn a_commit_makes_the_cached_frequencies_stale() {
        let index = NewsIndex::create_in_ram(&Config::default().writer).expect("index");
        let body = index.fields().body;
        let term = Term::from_field_text(body, "tariff");
        put(&index, "a", "tariff");
        let cache = DocFreqCache::default();
        let first = index.searcher();
        assert_eq!(cache.for_searcher(&first).doc_freq(&term).expect("df"), 1);

        put(&index, "b", "tariff");
        let second = index.searcher();
        assert_eq!(cache.for_searcher(&second).doc_freq(&term).expect("df"), 2);
        // The older searcher still sees its own index, not the newer counts.
        assert_eq!(cache.for_searcher(&first).doc_freq(&term).expect("df"), 1);
        assert_eq!(cache.for_searcher(&second).doc_freq(&term).expect("df"), 2);
    }
}
