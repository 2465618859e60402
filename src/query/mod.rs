//! Search: a validated [`SearchRequest`] in, a [`SearchResponse`] out. Synchronous and
//! CPU-bound; the HTTP layer runs it off the async runtime.
//!
//! One pass collects the page, the total and every facet whose own dimension is not filtered;
//! each facet whose dimension *is* filtered gets one more pass with that filter left out, which
//! makes the counts disjunctive (what a site's facet lists need) in a single request.

pub mod facets;
pub mod filter;
pub mod highlight;
pub mod params;
pub mod text;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument};

pub use facets::{FacetSpec, FacetValue, HistogramInterval};
pub use filter::{Dimension, Filters};
pub use params::SearchParams;

use crate::article::{Article, Entity};
use crate::config::SearchConfig;
use crate::index::{document, NewsIndex};

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// BM25 (newest first when `q` is empty).
    Relevance,
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

/// A validated search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The user's words.
    pub q: String,
    /// Filters.
    pub filters: Filters,
    /// Facets to count.
    pub facets: Vec<FacetSpec>,
    /// Values per facet.
    pub facet_limit: usize,
    /// Order.
    pub sort: Sort,
    /// Page size.
    pub limit: usize,
    /// Page offset.
    pub offset: usize,
    /// Add snippets.
    pub highlight: bool,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            filters: Filters::default(),
            facets: Vec::new(),
            facet_limit: params::DEFAULT_FACET_LIMIT,
            sort: Sort::Relevance,
            limit: params::DEFAULT_LIMIT,
            offset: 0,
            highlight: false,
        }
    }
}

/// One hit.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Article id.
    pub id: String,
    /// Headline.
    pub title: String,
    /// Standfirst.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// Publication time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Entities.
    pub entities: Vec<Entity>,
    /// Publisher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Relevance score (absent when sorted by date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// Highlighted snippets, with `highlight=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippets: Option<highlight::Snippets>,
}

impl Hit {
    /// A hit from a stored article.
    pub fn from_article(a: Article, score: Option<f32>) -> Hit {
        Hit {
            published_at: a
                .published_at
                .as_ref()
                .map(crate::article::date::format_datetime),
            id: a.id,
            title: a.title,
            summary: a.summary,
            url: a.url,
            authors: a.authors,
            tags: a.tags,
            entities: a.entities,
            source: a.source,
            score,
            snippets: None,
        }
    }
}

/// The answer to a search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    /// Matching articles.
    pub total: u64,
    /// Time spent in the engine, milliseconds.
    pub took_ms: f64,
    /// The page of hits.
    pub hits: Vec<Hit>,
    /// Requested facets by name.
    pub facets: BTreeMap<String, Vec<FacetValue>>,
}

/// Runs a search on the current commit.
pub fn run_search(
    index: &NewsIndex,
    cfg: &SearchConfig,
    req: &SearchRequest,
) -> crate::Result<SearchResponse> {
    let started = Instant::now();
    let searcher = index.searcher();
    let fields = index.fields();
    let text = text::text_query(index.index(), fields, cfg, &req.q);
    let main = with_filters(text.box_clone(), req.filters.clauses(fields, None));

    let (shared, own): (Vec<FacetSpec>, Vec<FacetSpec>) = req
        .facets
        .iter()
        .cloned()
        .partition(|f| !req.filters.has(f.dimension()));
    let shared_collector = facets::FacetsCollector::new(shared.clone());

    let sort = match req.sort {
        Sort::Relevance if req.q.trim().is_empty() => Sort::Newest,
        s => s,
    };
    let (page, total, shared_counts) =
        collect_page(&searcher, main.as_ref(), sort, req, shared_collector)?;

    let mut facet_map = BTreeMap::new();
    for (spec, raw) in shared.iter().zip(shared_counts) {
        facet_map.insert(spec.key(), facets::finish(spec, raw, req.facet_limit));
    }
    for spec in &own {
        let q = with_filters(
            text.box_clone(),
            req.filters.clauses(fields, Some(spec.dimension())),
        );
        let raw = searcher.search(
            q.as_ref(),
            &facets::FacetsCollector::new(vec![spec.clone()]),
        )?;
        let raw = raw.into_iter().next().unwrap_or_default();
        facet_map.insert(spec.key(), facets::finish(spec, raw, req.facet_limit));
    }

    let highlighter = req
        .highlight
        .then(|| highlight::Highlighter::new(&searcher, main.as_ref(), fields));
    let mut hits = Vec::with_capacity(page.len());
    for (score, addr) in page {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let article = document::from_document(&doc, fields)?;
        let snippets = highlighter.as_ref().map(|h| h.snippets(&article));
        let mut hit = Hit::from_article(article, score);
        hit.snippets = snippets;
        hits.push(hit);
    }
    Ok(SearchResponse {
        total: total as u64,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        hits,
        facets: facet_map,
    })
}

type Page = Vec<(Option<f32>, DocAddress)>;

fn collect_page(
    searcher: &Searcher,
    query: &dyn Query,
    sort: Sort,
    req: &SearchRequest,
    facets: facets::FacetsCollector,
) -> crate::Result<(Page, usize, Vec<facets::RawCounts>)> {
    if req.limit == 0 {
        let (total, counts) = searcher.search(query, &(Count, facets))?;
        return Ok((Vec::new(), total, counts));
    }
    let top = TopDocs::with_limit(req.limit).and_offset(req.offset);
    Ok(match sort {
        Sort::Relevance => {
            let (page, total, counts) =
                searcher.search(query, &(top.order_by_score(), Count, facets))?;
            (
                page.into_iter().map(|(s, a)| (Some(s), a)).collect(),
                total,
                counts,
            )
        }
        Sort::Newest | Sort::Oldest => {
            let order = if sort == Sort::Newest {
                Order::Desc
            } else {
                Order::Asc
            };
            let collector = top.order_by_fast_field::<tantivy::DateTime>("published_at", order);
            let (page, total, counts) = searcher.search(query, &(collector, Count, facets))?;
            (
                page.into_iter().map(|(_, a)| (None, a)).collect(),
                total,
                counts,
            )
        }
    })
}

/// `text AND every clause`; the bare text query when there are no filters.
pub(crate) fn with_filters(
    text: Box<dyn Query>,
    clauses: Vec<(Occur, Box<dyn Query>)>,
) -> Box<dyn Query> {
    if clauses.is_empty() {
        return text;
    }
    let mut all = clauses;
    if text.as_any().downcast_ref::<AllQuery>().is_none() {
        all.push((Occur::Must, text));
    }
    Box::new(BooleanQuery::new(all))
}
