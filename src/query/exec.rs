//! Where a search's segments are collected: fanned out over the index's thread pool while
//! cores are idle, on the calling thread when other searches already keep every core busy
//! (issue #20). A fan-out costs a hand-over to the pool and a wait for its threads; when eight
//! requests share two cores that coordination is all it buys (a profile at 8 clients showed
//! 14% of samples in context switches, mostly the pool's latch waits).
//!
//! Every tantivy search of the query modules goes through [`search`] or [`executor`]; a
//! request counts itself as in flight with [`enter`] for as long as it searches.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use tantivy::collector::Collector;
use tantivy::query::{EnableScoring, Query};
use tantivy::{Executor, Searcher};

/// When a search fans its segments out to the thread pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOut {
    /// While fewer searches are in flight than there are cores (the default).
    WhenIdle,
    /// Always (tantivy's own behaviour with a thread pool).
    Always,
    /// Never: every search runs on its caller's thread.
    Never,
}

static POLICY: AtomicU8 = AtomicU8::new(0);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static SINGLE: Executor = Executor::SingleThread;

/// Sets the process's policy (benchmarks compare them; the server keeps the default).
pub fn set_policy(policy: FanOut) {
    POLICY.store(
        match policy {
            FanOut::WhenIdle => 0,
            FanOut::Always => 1,
            FanOut::Never => 2,
        },
        Ordering::Relaxed,
    );
}

/// The process's policy.
pub fn policy() -> FanOut {
    match POLICY.load(Ordering::Relaxed) {
        1 => FanOut::Always,
        2 => FanOut::Never,
        _ => FanOut::WhenIdle,
    }
}

fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A search in flight, counted until dropped.
#[must_use]
pub struct InFlight(());

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts the caller as a search in flight until the guard is dropped.
pub fn enter() -> InFlight {
    IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
    InFlight(())
}

/// Searches in flight now.
pub fn in_flight() -> usize {
    IN_FLIGHT.load(Ordering::Relaxed)
}

/// Whether a search would fan out now, with `in_flight` searches running (itself included).
pub fn fans_out(policy: FanOut, in_flight: usize, cores: usize) -> bool {
    match policy {
        FanOut::Always => true,
        FanOut::Never => false,
        FanOut::WhenIdle => in_flight < cores.max(2),
    }
}

/// The executor for a search now, and how many threads it may keep busy: the index's pool
/// and every core while one is idle, else the calling thread alone.
pub fn workers(searcher: &Searcher) -> (&Executor, usize) {
    if fans_out(policy(), in_flight(), cores()) {
        (searcher.index().search_executor(), cores())
    } else {
        (&SINGLE, 1)
    }
}

/// The executor for a search now: the index's pool or the calling thread.
pub fn executor(searcher: &Searcher) -> &Executor {
    workers(searcher).0
}

/// `f` over `items` on `executor`, the results in the order of the items. On a pool the
/// calling thread does the first item itself and the pool's threads the rest: tantivy's
/// `Executor::map` hands every item to the pool and waits, and with two items the pool's
/// first thread often did both before the second woke (a related request's two halves of a
/// segment ran one after the other in most calls).
pub fn map<T, R, F>(executor: &Executor, items: Vec<T>, f: F) -> tantivy::Result<Vec<R>>
where
    T: Send,
    R: Send,
    F: Fn(T) -> tantivy::Result<R> + Sync,
{
    let pool = match executor {
        Executor::ThreadPool(pool) if items.len() > 1 => pool,
        _ => return items.into_iter().map(f).collect(),
    };
    let mut items = items.into_iter();
    let first = items.next().expect("more than one item");
    let rest: Vec<T> = items.collect();
    let slots: Vec<Mutex<Option<tantivy::Result<R>>>> =
        rest.iter().map(|_| Mutex::new(None)).collect();
    let f = &f;
    let mine = pool.in_place_scope(|scope| {
        for (item, slot) in rest.into_iter().zip(&slots) {
            scope.spawn(move |_| {
                let fruit = f(item);
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(fruit);
            });
        }
        f(first)
    });
    let mut out = Vec::with_capacity(slots.len() + 1);
    out.push(mine?);
    for slot in slots {
        let fruit = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        out.push(fruit.expect("the scope ran every item")?);
    }
    Ok(out)
}

/// `searcher.search(query, collector)`, on the executor [`executor`] chooses.
pub fn search<C: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    collector: &C,
) -> tantivy::Result<C::Fruit> {
    let scoring = if collector.requires_scoring() {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    searcher.search_with_executor(query, collector, executor(searcher), scoring)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_gives_every_result_in_order_and_the_first_error() {
        let pool = Executor::multi_thread(2, "test-map").expect("pool");
        for executor in [&SINGLE, &pool] {
            let squares = map(executor, (0..50u64).collect(), |i| Ok(i * i)).expect("map");
            assert_eq!(squares, (0..50u64).map(|i| i * i).collect::<Vec<_>>());
            assert!(map(executor, Vec::<u64>::new(), Ok)
                .expect("none")
                .is_empty());
            let failed = map(executor, (0..10u64).collect(), |i| {
                if i == 6 {
                    Err(tantivy::TantivyError::InvalidArgument(format!("item {i}")))
                } else {
                    Ok(i)
                }
            });
            assert!(failed.unwrap_err().to_string().contains("item 6"));
        }
    }

    #[test]
    fn a_search_fans_out_only_while_a_core_is_idle() {
        // Two cores: alone, a search takes both; with another in flight, its own thread.
        assert!(fans_out(FanOut::WhenIdle, 1, 2));
        assert!(!fans_out(FanOut::WhenIdle, 2, 2));
        assert!(fans_out(FanOut::WhenIdle, 7, 8));
        assert!(!fans_out(FanOut::WhenIdle, 8, 8));
        // One core: a pool of one thread still takes the work off a runtime thread.
        assert!(fans_out(FanOut::WhenIdle, 1, 1));
        assert!(fans_out(FanOut::Always, 100, 2));
        assert!(!fans_out(FanOut::Never, 1, 2));
    }
}
