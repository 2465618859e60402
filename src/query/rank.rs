//! Result order as one sort key per document, computed in the top-k collector: BM25 blended
//! with the news signals (recency, popularity) for relevance, or the publication time for
//! `newest`/`oldest`. One key type keeps one collection path for every sort.

use chrono::Utc;
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::index::SegmentReader;
use tantivy::{DocAddress, DocId, Score, Searcher};

use super::Sort;
use crate::config::SearchConfig;

/// How a document's sort key is computed.
#[derive(Debug, Clone, Copy)]
pub enum RankKey {
    /// BM25 × recency decay × popularity prior.
    Relevance {
        /// Time that counts as "now" for ages, seconds since the epoch.
        reference_secs: i64,
        /// Half-life of the decay in seconds; 0 = no recency boost.
        half_life_secs: f64,
        /// Share of the score that decays.
        recency_weight: f64,
        /// Weight of `ln(1 + views)`.
        popularity_weight: f64,
    },
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

impl RankKey {
    /// The key for a sort under these settings.
    pub fn new(sort: Sort, cfg: &SearchConfig, searcher: &Searcher) -> RankKey {
        match sort {
            Sort::Newest => RankKey::Newest,
            Sort::Oldest => RankKey::Oldest,
            Sort::Relevance => {
                let newest = searcher
                    .segment_readers()
                    .iter()
                    .filter(|s| s.num_docs() > 0)
                    .filter_map(|s| s.fast_fields().date("published_at").ok())
                    .map(|c| c.max_value().into_timestamp_secs())
                    .max()
                    .unwrap_or(0);
                RankKey::Relevance {
                    reference_secs: newest.min(Utc::now().timestamp()),
                    half_life_secs: cfg.recency_half_life_days * 86_400.0,
                    recency_weight: f64::from(cfg.recency_weight),
                    popularity_weight: f64::from(cfg.popularity_weight),
                }
            }
        }
    }

    /// Whether the key is a relevance score (reported as `score`).
    pub fn is_score(&self) -> bool {
        matches!(self, RankKey::Relevance { .. })
    }

    fn key(
        &self,
        doc: DocId,
        score: Score,
        dates: &Option<Column<tantivy::DateTime>>,
        views: &Option<Column<u64>>,
    ) -> f64 {
        let published = || {
            dates
                .as_ref()
                .and_then(|c| c.first(doc))
                .map(|d| d.into_timestamp_secs())
        };
        match *self {
            RankKey::Newest => published().map_or(f64::MIN, |t| t as f64),
            RankKey::Oldest => published().map_or(f64::MIN, |t| -(t as f64)),
            RankKey::Relevance {
                reference_secs,
                half_life_secs,
                recency_weight,
                popularity_weight,
            } => {
                let mut s = f64::from(score);
                if half_life_secs > 0.0 {
                    let decay = published().map_or(0.0, |t| {
                        let age = (reference_secs - t).max(0) as f64;
                        (-age / half_life_secs).exp2()
                    });
                    s *= 1.0 - recency_weight + recency_weight * decay;
                }
                if popularity_weight > 0.0 {
                    let v = views.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                    s *= 1.0 + popularity_weight * (1.0 + v as f64).ln();
                }
                s
            }
        }
    }
}

/// The top `n` documents of `query` by `key`, best first.
pub fn top_collector(
    n: usize,
    key: RankKey,
) -> impl tantivy::collector::Collector<Fruit = Vec<(f64, DocAddress)>> {
    TopDocs::with_limit(n.max(1)).tweak_score(move |seg: &SegmentReader| {
        let dates = seg.fast_fields().date("published_at").ok();
        let views = seg.fast_fields().u64("views").ok();
        move |doc: DocId, score: Score| key.key(doc, score, &dates, &views)
    })
}
