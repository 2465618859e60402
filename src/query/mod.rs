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
pub mod related;
pub mod suggest;
pub mod text;
pub mod typo;

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
    /// Let rare or unknown plain words match their close spellings.
    pub typos: bool,
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
            typos: true,
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
    let typo = if req.typos {
        let parser = text::parser(index.index(), fields, cfg);
        typo::typo_query(&searcher, fields, &parser, &req.q)
    } else {
        None
    };
    // What matches (and is counted): the typo-tolerant query when there is one.
    let matching = typo
        .as_ref()
        .map_or_else(|| text.box_clone(), |(q, _)| q.box_clone());
    let main = with_filters(matching.box_clone(), req.filters.clauses(fields, None));
    // The order: exact matches first, then those that needed a typo.
    let tiers: Vec<Box<dyn Query>> = match &typo {
        None => vec![main.box_clone()],
        Some(_) => {
            let exact = with_filters(text.box_clone(), req.filters.clauses(fields, None));
            let fuzzy_only = BooleanQuery::new(vec![
                (Occur::Must, main.box_clone()),
                (Occur::MustNot, exact.box_clone()),
            ]);
            vec![exact, Box::new(fuzzy_only)]
        }
    };

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
    // Over-fetch so that collapsing wire copies still fills the page.
    let first_fetch = want * 2 + 10;
    let (first, total, shared_counts) = if want > 0 && tiers.len() == 1 {
        let (c, t, f) = searcher.search(
            main.as_ref(),
            &(
                rank::top_collector(first_fetch, key),
                Count,
                shared_collector,
            ),
        )?;
        (Some(c), t, f)
    } else {
        let (t, f) = searcher.search(main.as_ref(), &(Count, shared_collector))?;
        (None, t, f)
    };
    let kept = if want == 0 {
        Vec::new()
    } else {
        ranked_page(&searcher, &tiers, key, want, first)?
    };
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
            matching.box_clone(),
            req.filters.clauses(fields, Some(spec.dimension())),
        );
        let raw = searcher.search(
            q.as_ref(),
            &facets::FacetsCollector::new(vec![spec.clone()]),
        )?;
        let raw = raw.into_iter().next().unwrap_or_default();
        facet_map.insert(spec.key(), facets::finish(spec, raw, req.facet_limit));
    }

    let typo_words = typo.map(|(_, words)| words).unwrap_or_default();
    let highlighter = req
        .highlight
        .then(|| highlight::Highlighter::new(&searcher, text.as_ref(), fields, typo_words));
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

pub(crate) type Ranked = Vec<(f64, DocAddress, u64)>;

/// The best `want` documents, tier after tier (exact matches before typo matches), keeping one
/// of each group of wire copies. `first` is tier 0's first fetch when the caller already has it.
pub(crate) fn ranked_page(
    searcher: &Searcher,
    tiers: &[Box<dyn Query>],
    key: rank::RankKey,
    want: usize,
    mut first: Option<Vec<(f64, DocAddress)>>,
) -> crate::Result<Ranked> {
    let mut kept: Ranked = Vec::with_capacity(want);
    let mut seen: HashSet<u64> = HashSet::new();
    for tier in tiers {
        if kept.len() >= want {
            break;
        }
        let (base_len, base_seen) = (kept.len(), seen.clone());
        let mut fetch = (want - base_len) * 2 + 10;
        loop {
            let candidates = match first.take() {
                Some(c) => c,
                None => searcher.search(tier.as_ref(), &rank::top_collector(fetch, key))?,
            };
            kept.truncate(base_len);
            seen.clone_from(&base_seen);
            collapse_copies(searcher, &candidates, want, &mut kept, &mut seen);
            if kept.len() >= want || candidates.len() < fetch {
                break;
            }
            fetch *= 4;
        }
    }
    Ok(kept)
}

/// Appends candidates to `kept`, skipping copies of what is already there, up to `want`.
fn collapse_copies(
    searcher: &Searcher,
    candidates: &[(f64, DocAddress)],
    want: usize,
    kept: &mut Ranked,
    seen: &mut HashSet<u64>,
) {
    let mut columns: HashMap<u32, Option<tantivy::columnar::Column<u64>>> = HashMap::new();
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
