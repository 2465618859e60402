//! The embedded engine: a tantivy index in a local directory ([`NewsIndex`]), with its
//! suggestion dictionary. Every optimisation of search (the plan's collections, the segment
//! memo, pruning) stays behind [`crate::query::run_plan`].

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{
    Applied, Backend, BackupReport, BoxFuture, IndexStats, Prepared, PreparedWrite, Write,
};
use crate::article::Article;
use crate::config::{SearchConfig, WriterConfig};
use crate::index::{NewsIndex, WriteOp};
use crate::query::plan::{RelatedOf, RelatedPlan, SuggestPlan};
use crate::query::related::{RelatedConfig, RelatedResponse};
use crate::query::suggest::{SuggestResponse, Suggester};
use crate::query::{SearchPlan, SearchResponse};

/// The embedded index as a [`Backend`].
pub struct TantivyBackend {
    index: Arc<NewsIndex>,
    suggester: Suggester,
}

impl TantivyBackend {
    /// Over an open index.
    pub fn new(index: Arc<NewsIndex>) -> TantivyBackend {
        TantivyBackend {
            index,
            suggester: Suggester::default(),
        }
    }

    /// Opens (or creates, or migrates) the index in `dir` and starts its writer.
    pub fn open(dir: &Path, writer: &WriterConfig) -> crate::Result<TantivyBackend> {
        Ok(TantivyBackend::new(Arc::new(NewsIndex::open(dir, writer)?)))
    }

    /// The index, for the library's callers that work on it directly (the CLI, benches).
    pub fn index(&self) -> &Arc<NewsIndex> {
        &self.index
    }
}

impl Backend for TantivyBackend {
    fn name(&self) -> &'static str {
        "tantivy"
    }

    fn search(&self, config: &SearchConfig, plan: &SearchPlan) -> crate::Result<SearchResponse> {
        let _in_flight = crate::query::exec::enter();
        crate::query::run_plan(&self.index, config, plan)
    }

    fn execution(&self, plan: &SearchPlan) -> crate::query::Execution {
        plan.execution(self.index.num_articles())
    }

    fn related(
        &self,
        config: &RelatedConfig,
        plan: &RelatedPlan,
    ) -> crate::Result<RelatedResponse> {
        use crate::query::related;
        let _in_flight = crate::query::exec::enter();
        match &plan.of {
            RelatedOf::Stored(id) => related::related_to_id(
                &self.index,
                config,
                id,
                &plan.filters,
                plan.limit,
                plan.languages,
            ),
            RelatedOf::Draft(source) => related::related(
                &self.index,
                config,
                source,
                &plan.filters,
                plan.limit,
                plan.languages,
            ),
        }
    }

    fn suggest(&self, plan: &SuggestPlan) -> crate::Result<SuggestResponse> {
        self.suggester
            .suggest(&self.index, &plan.q, plan.limit, plan.language.as_deref())
    }

    fn warm(&self) {
        self.suggester.warm(&self.index);
    }

    fn get(&self, id: &str) -> crate::Result<Option<Article>> {
        self.index.get(id)
    }

    fn prepare(&self, write: Write) -> crate::Result<Prepared> {
        Ok(Prepared(PreparedWrite::Tantivy(match write {
            Write::Upsert(article) => self.index.upsert_op(&article)?,
            Write::Delete(id) => WriteOp::Delete { id },
        })))
    }

    fn apply(&self, writes: Vec<Prepared>, durable: bool) -> BoxFuture<'_, crate::Result<Applied>> {
        let mut ops = Vec::with_capacity(writes.len());
        for p in writes {
            match p.0 {
                PreparedWrite::Tantivy(op) => ops.push(op),
                PreparedWrite::OpenSearch(_) => {
                    return Box::pin(std::future::ready(Err(crate::Error::Internal(
                        "a write prepared for OpenSearch was given to tantivy".into(),
                    ))))
                }
            }
        }
        Box::pin(self.index.writer().apply(ops, durable))
    }

    fn stats(&self) -> IndexStats {
        self.index.stats()
    }

    fn num_articles(&self) -> u64 {
        self.index.num_articles()
    }

    fn writable(&self) -> bool {
        self.index.writer_alive()
    }

    fn render_metrics(&self, out: &mut String) {
        let w = self.index.writer_stats();
        out.push_str("# HELP newsindex_commits_total Successful commits.\n# TYPE newsindex_commits_total counter\n");
        out.push_str(&format!(
            "newsindex_commits_total {}\n",
            w.commits.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP newsindex_commit_failures_total Failed commits.\n# TYPE newsindex_commit_failures_total counter\n");
        out.push_str(&format!(
            "newsindex_commit_failures_total {}\n",
            w.failed_commits.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP newsindex_commit_seconds_total Time spent committing.\n# TYPE newsindex_commit_seconds_total counter\n");
        let seconds = w.commit_micros_total.load(Ordering::Relaxed) as f64 / 1e6;
        out.push_str(&format!("newsindex_commit_seconds_total {seconds}\n"));
        let buckets: Vec<u64> = w
            .commit_buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        render_histogram(
            out,
            "newsindex_commit_duration_seconds",
            "Duration of successful commits.",
            &crate::index::writer::COMMIT_BUCKETS_SECS,
            &buckets,
            seconds,
        );
    }

    fn write_ndjson(
        &self,
        out: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64),
    ) -> crate::Result<u64> {
        self.index.write_ndjson(out, progress)
    }

    fn backup(&self, dest: &Path) -> crate::Result<BackupReport> {
        self.index.backup(dest)
    }

    fn shutdown(&self) -> BoxFuture<'_, crate::Result<()>> {
        Box::pin(self.index.shutdown())
    }
}

/// Appends a histogram with fixed bounds from non-cumulative bucket counts (the last slot is
/// `+Inf`), e.g. the writer's commit durations.
fn render_histogram(
    out: &mut String,
    name: &str,
    help: &str,
    bounds: &[f64],
    buckets: &[u64],
    sum: f64,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    let mut cumulative = 0;
    for (b, n) in bounds.iter().zip(buckets) {
        cumulative += n;
        let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
    }
    let count: u64 = buckets.iter().sum();
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(out, "{name}_sum {sum}");
    let _ = writeln!(out, "{name}_count {count}");
}
