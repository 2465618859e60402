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
pub mod rank;
pub mod text;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use std::collections::{HashMap, HashSet};

use tantivy::collector::Count;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

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
    /// Other matching articles with the same text (wire copies) that this hit stands for;
    /// they are not listed, but `total` and the facets count them.
    #[serde(skip_serializing_if = "is_zero")]
    pub copies: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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
            copies: 0,
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
    let key = rank::RankKey::new(sort, cfg, &searcher);
    let want = req.offset + req.limit;
    // Over-fetch so that collapsing wire copies still fills the page; fetch more if not.
    let mut fetch = if want == 0 { 0 } else { want * 2 + 10 };
    let (mut candidates, total, shared_counts) = if fetch == 0 {
        let (total, counts) = searcher.search(main.as_ref(), &(Count, shared_collector))?;
        (Vec::new(), total, counts)
    } else {
        searcher.search(
            main.as_ref(),
            &(rank::top_collector(fetch, key), Count, shared_collector),
        )?
    };
    let mut kept = collapse_copies(&searcher, &candidates, want)?;
    while kept.len() < want && candidates.len() == fetch {
        fetch *= 4;
        candidates = searcher.search(main.as_ref(), &rank::top_collector(fetch, key))?;
        kept = collapse_copies(&searcher, &candidates, want)?;
    }
    let page: Vec<(Option<f32>, DocAddress, u64)> = kept
        .into_iter()
        .skip(req.offset)
        .map(|(k, addr, copy)| (key.is_score().then_some(k as f32), addr, copy))
        .collect();

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
    for (score, addr, copy) in page {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let article = document::from_document(&doc, fields)?;
        let snippets = highlighter.as_ref().map(|h| h.snippets(&article));
        let mut hit = Hit::from_article(article, score);
        hit.snippets = snippets;
        hit.copies = count_copies(&searcher, main.as_ref(), fields, copy)?.saturating_sub(1);
        hits.push(hit);
    }
    Ok(SearchResponse {
        total: total as u64,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        hits,
        facets: facet_map,
    })
}

/// Keeps the best of each group of wire copies (same `copy_key`), up to `want` hits.
fn collapse_copies(
    searcher: &Searcher,
    candidates: &[(f64, DocAddress)],
    want: usize,
) -> crate::Result<Vec<(f64, DocAddress, u64)>> {
    let mut columns: HashMap<u32, Option<tantivy::columnar::Column<u64>>> = HashMap::new();
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(want);
    for &(k, addr) in candidates {
        if kept.len() >= want {
            break;
        }
        let column = columns.entry(addr.segment_ord).or_insert_with(|| {
            searcher
                .segment_reader(addr.segment_ord)
                .fast_fields()
                .u64("copy_key")
                .ok()
        });
        let copy = column
            .as_ref()
            .and_then(|c| c.first(addr.doc_id))
            .unwrap_or(0);
        if seen.insert(copy) {
            kept.push((k, addr, copy));
        }
    }
    Ok(kept)
}

/// Matching articles that share a copy key (the hit itself included).
fn count_copies(
    searcher: &Searcher,
    query: &dyn Query,
    fields: &crate::index::Fields,
    copy: u64,
) -> crate::Result<usize> {
    let same = TermQuery::new(
        Term::from_field_u64(fields.copy_key, copy),
        IndexRecordOption::Basic,
    );
    let both = BooleanQuery::new(vec![
        (Occur::Must, query.box_clone()),
        (Occur::Must, Box::new(same)),
    ]);
    Ok(searcher.search(&both, &Count)?)
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
