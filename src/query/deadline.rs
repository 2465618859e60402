//! A search's deadline inside tantivy's collection: a search whose request has timed out
//! must stop working (and give back its permit), not run to its end for nobody.
//!
//! [`Deadline::wrap`] wraps a query so that its weight looks at the clock before each segment
//! and, while a segment is collected, every [`CHECK_EVERY`] documents (an `Instant`
//! comparison): once the deadline has passed, the rest of the segment is skipped and later
//! segments are not started. The collection then ends early with partial results, which
//! [`Deadline::check`] (called after every collection) turns into [`Error::TimedOut`].
//!
//! Inside a segment the weight keeps the query's own fast paths (block-max WAND, the words
//! query's bitsets): it hands them a callback that checks the clock and, once past the
//! deadline, leaves the loop by unwinding with a private payload that the same method catches
//! at once (no panic hook runs, nothing crosses a thread, and the scorers are local to the
//! loop). A scorer asked for directly is wrapped, and reads as exhausted once past the
//! deadline.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, COLLECT_BLOCK_BUFFER_LEN, TERMINATED};

use crate::error::Error;

/// Documents (or callbacks) between two looks at the clock. A look costs tens of
/// nanoseconds (a vDSO call): every 64 documents it was ~2% of a one-word search's profile at
/// 1M articles; every 1,024 it is lost in the noise, and even at a microsecond a document the
/// costliest queries still look every millisecond.
pub const CHECK_EVERY: u32 = 1024;

/// When a search must stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    /// What the caller was given, for the error message.
    budget: Duration,
}

/// The payload of the unwinding that leaves a collection loop at the deadline.
struct DeadlinePassed;

impl Deadline {
    /// `budget` from now.
    pub fn after(budget: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + budget,
            budget,
        }
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// `Err(TimedOut)` once the deadline has passed.
    pub fn check(&self) -> crate::Result<()> {
        if self.passed() {
            Err(Error::TimedOut(format!(
                "the search took longer than its {:.1} s (`limits.request_timeout_secs`) and was stopped",
                self.budget.as_secs_f64()
            )))
        } else {
            Ok(())
        }
    }

    /// `query`, stopping at this deadline.
    pub fn wrap(&self, query: &dyn Query) -> DeadlineQuery {
        DeadlineQuery {
            inner: query.box_clone(),
            deadline: *self,
        }
    }
}

/// Wraps `query` when there is a deadline (a boxed clone of it otherwise).
pub fn wrap(deadline: Option<&Deadline>, query: &dyn Query) -> Box<dyn Query> {
    match deadline {
        Some(d) => Box::new(d.wrap(query)),
        None => query.box_clone(),
    }
}

/// `Err(TimedOut)` when there is a deadline and it has passed.
pub fn check(deadline: Option<&Deadline>) -> crate::Result<()> {
    deadline.map_or(Ok(()), Deadline::check)
}

/// A query that stops collecting at a deadline.
#[derive(Debug)]
pub struct DeadlineQuery {
    inner: Box<dyn Query>,
    deadline: Deadline,
}

impl Clone for DeadlineQuery {
    fn clone(&self) -> Self {
        DeadlineQuery {
            inner: self.inner.box_clone(),
            deadline: self.deadline,
        }
    }
}

impl Query for DeadlineQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(DeadlineWeight {
            inner: self.inner.weight(enable_scoring)?,
            deadline: self.deadline,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct DeadlineWeight {
    inner: Box<dyn Weight>,
    deadline: Deadline,
}

/// Counts calls and, every [`CHECK_EVERY`], unwinds out of the loop once past the deadline.
/// A collection loop of our own ticks it from its own callback (see [`guarded`]): one
/// increment, inlined, where wrapping the query costs another dynamic call per document.
pub struct Ticker {
    n: u32,
    /// None: no deadline, the loop runs to its end.
    deadline: Option<Deadline>,
}

impl Ticker {
    /// Counts `by` documents (or calls); at the deadline, leaves the loop run by [`guarded`].
    #[inline]
    pub fn tick(&mut self, by: u32) {
        self.n += by;
        if self.n >= CHECK_EVERY {
            self.look();
        }
    }

    /// Out of line, so that the loop a tick is inlined into stays small.
    #[cold]
    #[inline(never)]
    fn look(&mut self) {
        self.n = 0;
        if self.deadline.is_some_and(|d| d.passed()) {
            resume_unwind(Box::new(DeadlinePassed));
        }
    }
}

/// Runs a collection loop that ticks the [`Ticker`] it is given, leaving it at the deadline
/// (with what it collected so far; the caller's [`check`] then says the search timed out).
/// Without a deadline the loop runs to its end.
pub fn guarded(
    deadline: Option<&Deadline>,
    run: impl FnOnce(&mut Ticker) -> tantivy::Result<()>,
) -> tantivy::Result<()> {
    let Some(&deadline) = deadline else {
        return run(&mut Ticker {
            n: 0,
            deadline: None,
        });
    };
    if deadline.passed() {
        return Ok(());
    }
    let mut ticker = Ticker {
        n: 0,
        deadline: Some(deadline),
    };
    match catch_unwind(AssertUnwindSafe(|| run(&mut ticker))) {
        Ok(res) => res,
        Err(payload) if payload.is::<DeadlinePassed>() => Ok(()),
        Err(payload) => resume_unwind(payload),
    }
}

impl DeadlineWeight {
    /// Runs one of the inner weight's loops, leaving it at the deadline.
    fn guarded(&self, run: impl FnOnce(&mut Ticker) -> tantivy::Result<()>) -> tantivy::Result<()> {
        guarded(Some(&self.deadline), run)
    }
}

impl Weight for DeadlineWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if self.deadline.passed() {
            return Ok(Box::new(EmptyScorer));
        }
        Ok(Box::new(DeadlineScorer {
            inner: self.inner.scorer(reader, boost)?,
            deadline: self.deadline,
            n: 0,
            expired: false,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        let mut scorer = self.scorer(reader, 1.0)?;
        Ok(match reader.alive_bitset() {
            Some(alive) => scorer.count(alive),
            None => scorer.count_including_deleted(),
        })
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.guarded(|ticker| {
            self.inner.for_each(reader, &mut |doc, score| {
                ticker.tick(1);
                callback(doc, score);
            })
        })
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.guarded(|ticker| {
            self.inner.for_each_no_score(reader, &mut |docs| {
                ticker.tick(docs.len().max(1) as u32);
                callback(docs);
            })
        })
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        // A pruning loop calls back only for what may enter the page, so the clock is read at
        // every call: rare calls, and each is already a heap operation.
        self.guarded(|ticker| {
            self.inner
                .for_each_pruning(threshold, reader, &mut |doc, score| {
                    ticker.tick(CHECK_EVERY);
                    callback(doc, score)
                })
        })
    }
}

/// A scorer that reads as exhausted once past the deadline.
struct DeadlineScorer {
    inner: Box<dyn Scorer>,
    deadline: Deadline,
    n: u32,
    expired: bool,
}

impl DeadlineScorer {
    #[inline]
    fn expire_now(&mut self, by: u32) -> bool {
        if self.expired {
            return true;
        }
        self.n += by;
        if self.n >= CHECK_EVERY {
            self.n = 0;
            self.expired = self.deadline.passed();
        }
        self.expired
    }
}

impl DocSet for DeadlineScorer {
    fn advance(&mut self) -> DocId {
        if self.expire_now(1) {
            return TERMINATED;
        }
        self.inner.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.expire_now(1) {
            return TERMINATED;
        }
        self.inner.seek(target)
    }

    fn fill_buffer(&mut self, buffer: &mut [DocId; COLLECT_BLOCK_BUFFER_LEN]) -> usize {
        if self.expire_now(COLLECT_BLOCK_BUFFER_LEN as u32) {
            return 0;
        }
        self.inner.fill_buffer(buffer)
    }

    fn doc(&self) -> DocId {
        if self.expired {
            TERMINATED
        } else {
            self.inner.doc()
        }
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for DeadlineScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NewsIndex;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::AllQuery;

    #[test]
    fn a_passed_deadline_stops_collection_and_says_so() {
        let index = NewsIndex::create_in_ram(&crate::config::Config::default().writer).unwrap();
        let ops = (0..3000)
            .map(|i| {
                let a = crate::index::test_support::article(&format!("a{i}"), "tariffs rise");
                index.upsert_op(&a).unwrap()
            })
            .collect();
        index.writer().apply_blocking(ops, true).unwrap();
        let searcher = index.searcher();
        let live = Deadline::after(Duration::from_secs(60));
        let q = live.wrap(&AllQuery);
        assert_eq!(searcher.search(&q, &Count).unwrap(), 3000);
        let top = searcher
            .search(&q, &TopDocs::with_limit(5).order_by_score())
            .unwrap();
        assert_eq!(top.len(), 5);
        assert!(live.check().is_ok());

        let gone = Deadline::after(Duration::ZERO);
        let q = gone.wrap(&AllQuery);
        assert_eq!(searcher.search(&q, &Count).unwrap(), 0);
        assert!(searcher
            .search(&q, &TopDocs::with_limit(5).order_by_score())
            .unwrap()
            .is_empty());
        let err = gone.check().unwrap_err();
        assert_eq!(err.code(), crate::error::ErrorCode::Unavailable);
        assert!(err.to_string().contains("request_timeout_secs"), "{err}");
    }
}
