//! Search: a validated [`SearchRequest`] in, a [`SearchResponse`] out. Synchronous and
//! CPU-bound; the HTTP layer runs it off the async runtime.
//!
//! One search collects the page, the total and every facet whose own dimension is not
//! filtered (without facets, plain words and a lone word collect the page with pruning and are
//! counted apart: see [`rank::top_and_count_collector`]); each facet whose dimension *is*
//! filtered gets one more pass with that filter left out, which makes the counts disjunctive
//! (what a site's facet lists need) in a single request.

pub mod cursor;
pub mod date_range;
pub mod deadline;
pub mod exec;
pub mod facets;
pub mod filter;
pub mod highlight;
pub mod params;
pub mod plan;
pub mod rank;
pub mod related;
pub mod suggest;
pub mod text;
pub mod typo;
pub mod vectors;
pub mod words;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use std::collections::{HashMap, HashSet};

use tantivy::collector::Count;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Searcher, Term};

pub use facets::{FacetSpec, FacetValue, HistogramInterval};
pub use filter::{Dimension, Filters};
pub use params::SearchParams;
pub use plan::{Collection, Execution, QueryShape, SearchPlan};

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
    /// Add hits by meaning after the word matches when these are few; `None`: the server's
    /// default (`search.semantic`), which the HTTP layer fills in.
    pub semantic: Option<bool>,
    /// Deep paging: only hits strictly after this position (then `offset` is 0).
    pub after: Option<cursor::Cursor>,
    /// When to stop: past it the collection is cut short and the search answers
    /// [`crate::Error::TimedOut`] (the HTTP layer sets the request's timeout).
    pub deadline: Option<deadline::Deadline>,
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
            semantic: None,
            after: None,
            deadline: None,
        }
    }
}

/// One hit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// Language tag (`zh`, `pt-br`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
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
    /// On a hit found by meaning (`semantic`), which matches none of the words: the cosine
    /// between the search's vector (the query's, pulled towards its best word matches) and
    /// the article's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
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
            language: a.language,
            score,
            snippets: None,
            copies: 0,
            similarity: None,
        }
    }
}

/// The answer to a search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// Matching articles.
    pub total: u64,
    /// Time spent in the engine, milliseconds.
    pub took_ms: f64,
    /// The page of hits.
    pub hits: Vec<Hit>,
    /// Requested facets by name.
    pub facets: BTreeMap<String, Vec<FacetValue>>,
    /// Cursor for the next page (pass it as `after`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Runs a search on the current commit.
pub fn run_search(
    index: &NewsIndex,
    cfg: &SearchConfig,
    req: &SearchRequest,
) -> crate::Result<SearchResponse> {
    run_plan(index, cfg, &SearchPlan::new(req)?)
}

/// Runs a search's plan on the current commit.
pub fn run_plan(
    index: &NewsIndex,
    cfg: &SearchConfig,
    plan: &SearchPlan,
) -> crate::Result<SearchResponse> {
    let started = Instant::now();
    let searcher = index.searcher();
    let fields = index.fields();
    let q = plan.words.as_deref().unwrap_or("");
    let check = || deadline::check(plan.deadline.as_ref());
    let parts = text::languages_of(&searcher, fields, q, &plan.filters.language);
    check()?;
    let text::TextQuery { query: text, parts } =
        text::text_query_in(index.index(), fields, cfg, q, &parts);
    let langs: Vec<crate::analysis::Lang> = parts.iter().map(|p| p.lang).collect();
    // Typos are tolerated in one language's words (the first, the default one when it
    // applies), never in scripts without spaces.
    check()?;
    let typo = match langs.first() {
        Some(&lang) if plan.typos && !lang.is_cjk() && langs.iter().all(|l| !l.is_cjk()) => {
            let parser = text::parser(index.index(), fields, cfg, lang);
            typo::typo_query(&searcher, fields, &parser, q, lang)
        }
        _ => None,
    };
    // What matches (and is counted): the typo-tolerant query when there is one; with several
    // languages it covers the first one's words only, so the others' exact matches join it.
    let matching = match &typo {
        None => text.box_clone(),
        Some((q, _)) if langs.len() == 1 => q.box_clone(),
        Some((q, _)) => Box::new(BooleanQuery::new(vec![
            (Occur::Should, text.box_clone()),
            (Occur::Should, q.box_clone()),
        ])),
    };
    let by_words = with_filters(matching.box_clone(), plan.filters.clauses(fields, None));
    // The order: exact matches first, then those that needed a typo.
    let mut tiers: Vec<Box<dyn Query>> = match &typo {
        None => vec![by_words.box_clone()],
        Some(_) => {
            let exact = with_filters(text.box_clone(), plan.filters.clauses(fields, None));
            let fuzzy_only = BooleanQuery::new(vec![
                (Occur::Must, by_words.box_clone()),
                (Occur::MustNot, exact.box_clone()),
            ]);
            vec![exact, Box::new(fuzzy_only)]
        }
    };
    // Then, when the words match few articles, those nearest the query in meaning: a last tier,
    // matched (counted, faceted) with the words' matches.
    let meaning = if plan.semantic {
        check()?;
        let lang = langs
            .first()
            .copied()
            .unwrap_or_else(crate::analysis::default_language);
        meaning_hits(&searcher, fields, cfg, plan, by_words.as_ref(), q, lang)?
    } else {
        None
    };
    let (main, matching) = match &meaning {
        None => (by_words, matching),
        Some(near) => {
            tiers.push(Box::new(near.clone()));
            let or_near = |q: Box<dyn Query>| -> Box<dyn Query> {
                Box::new(BooleanQuery::new(vec![
                    (Occur::Should, q),
                    (Occur::Should, Box::new(near.clone())),
                ]))
            };
            (or_near(by_words), or_near(matching))
        }
    };

    let shape = QueryShape {
        tiers: tiers.len(),
        plain_words: main.downcast_ref::<words::WordsQuery>().is_some(),
        one_word: match langs.as_slice() {
            [lang] => text::one_word_matches(&searcher, fields, q, *lang),
            _ => None,
        },
    };
    let collection = Collection::choose(plan, shape);
    tracing::debug!(?plan, ?collection, "search plan");
    // Every collection below stops at the deadline; between them it is checked again.
    let timed = |q: &dyn Query| deadline::wrap(plan.deadline.as_ref(), q);
    check()?;
    let timed_tiers: Vec<Box<dyn Query>> = tiers.iter().map(|t| timed(t.as_ref())).collect();

    // Browsing counts every article: those counts are remembered per segment instead of
    // collected again, whatever collects the page.
    let shared_collector = facets::FacetsCollector::new(if plan.whole_index() {
        Vec::new()
    } else {
        plan.shared_facets.clone()
    })
    .with_terms(index.segment_memo(), &searcher);
    let ranking = rank::Ranking::new(plan.sort_value, cfg, &searcher, index.segment_memo())?;
    let want = plan.page.ranked;
    let every = searcher.num_docs() as usize;
    let count = |shared_collector: facets::FacetsCollector| -> crate::Result<_> {
        if shared_collector.is_empty() {
            // Counting alone asks each segment for its count instead of visiting every match.
            Ok((
                None,
                exec::search(&searcher, timed(main.as_ref()).as_ref(), &Count)?,
                Vec::new(),
            ))
        } else {
            let (t, f) = exec::search(
                &searcher,
                timed(main.as_ref()).as_ref(),
                &(Count, shared_collector),
            )?;
            Ok((None, t, f))
        }
    };
    let (first, total, shared_counts) = match collection {
        Collection::Memo { page: false } => (None, every, Vec::new()),
        Collection::Memo { page: true } => {
            match rank::browse_top(&searcher, index.segment_memo(), plan.page.fetched, &ranking)? {
                Some(page) => (Some(page), every, Vec::new()),
                None => count(shared_collector)?,
            }
        }
        Collection::TopAndCount { count_apart } => {
            let top = rank::top_and_count_collector(
                plan.page.fetched,
                &ranking,
                count_apart,
                plan.deadline,
            );
            // Without facets, no second collector to call for every match; and the collector
            // stops at the deadline by itself (no wrapped query, no call more per match).
            if shared_collector.is_empty() {
                let (c, t) = exec::search(&searcher, main.as_ref(), &top)?;
                (Some(c), t, Vec::new())
            } else {
                let ((c, t), f) = exec::search(
                    &searcher,
                    timed(main.as_ref()).as_ref(),
                    &(top, shared_collector),
                )?;
                (Some(c), t, f)
            }
        }
        Collection::Count => count(shared_collector)?,
    };
    check()?;
    let mut kept = if want == 0 {
        Vec::new()
    } else {
        ranked_in_tiers(
            &searcher,
            &timed_tiers,
            &ranking,
            want,
            first,
            plan.after.as_ref(),
        )?
    };
    check()?;
    let more = kept.len() >= want && want > 0;
    kept.truncate(want.saturating_sub(1));
    let last = kept
        .last()
        .filter(|_| more && kept.len() > plan.page.offset)
        .map(|r| (r.tier, r.key));
    let meaning_tier = meaning.as_ref().map(|_| tiers.len() - 1);
    let page: Vec<(Option<f32>, DocAddress, u64, bool)> = kept
        .into_iter()
        .skip(plan.page.offset)
        .map(|r| {
            let by_meaning = Some(r.tier) == meaning_tier;
            (
                ranking.key.is_score().then_some(r.key as f32),
                r.addr,
                r.copy,
                by_meaning,
            )
        })
        .collect();

    let shared_counts = if plan.whole_index() {
        facets::whole_index_counts(&searcher, index.segment_memo(), &plan.shared_facets)?
    } else {
        shared_counts
    };
    let mut facet_map = BTreeMap::new();
    for (spec, raw) in plan.shared_facets.iter().zip(shared_counts) {
        facet_map.insert(spec.key(), facets::finish(spec, raw, plan.facet_limit));
    }
    for spec in &plan.own_facets {
        let raw = if plan.whole_index_but(spec.dimension()) {
            // 35 ms at a million articles as a pass, microseconds from the memo.
            facets::whole_index_counts(&searcher, index.segment_memo(), std::slice::from_ref(spec))?
        } else {
            let q = with_filters(
                matching.box_clone(),
                plan.filters.clauses(fields, Some(spec.dimension())),
            );
            exec::search(
                &searcher,
                timed(q.as_ref()).as_ref(),
                &facets::FacetsCollector::new(vec![spec.clone()])
                    .with_terms(index.segment_memo(), &searcher),
            )?
        };
        let raw = raw.into_iter().next().unwrap_or_default();
        facet_map.insert(spec.key(), facets::finish(spec, raw, plan.facet_limit));
    }

    let typo_words = typo.map(|(_, words)| words).unwrap_or_default();
    let highlighter = plan.highlight.then(|| {
        let lang = langs
            .first()
            .copied()
            .unwrap_or(crate::analysis::Lang::ENGLISH);
        highlight::Highlighter::new(&searcher, text.as_ref(), fields, typo_words, lang)
    });
    let keys: Vec<u64> = page.iter().map(|p| p.2).collect();
    check()?;
    let copies = count_copies(&searcher, timed(main.as_ref()).as_ref(), fields, &keys)?;
    check()?;
    let mut hits = Vec::with_capacity(page.len());
    for (score, addr, copy, by_meaning) in page {
        // Snippets need the text; a hit without them shows what the stored JSON holds.
        let article = if highlighter.is_some() {
            document::article_at(&searcher, addr, fields)?
        } else {
            document::head_from_document(&searcher, addr, fields)?
        };
        let snippets = highlighter.as_ref().map(|h| h.snippets(&article));
        let mut hit = Hit::from_article(article, score);
        hit.snippets = snippets;
        hit.copies = copies.get(&copy).map_or(0, |n| n.saturating_sub(1));
        hit.similarity = meaning
            .as_ref()
            .filter(|_| by_meaning)
            .and_then(|near| near.cosine_on(&searcher, addr));
        hits.push(hit);
    }
    let next = last.zip(hits.last()).map(|((tier, key), hit)| {
        cursor::Cursor {
            sort: plan.sort_value,
            tier,
            key,
            id: hit.id.clone(),
        }
        .encode()
    });
    Ok(SearchResponse {
        total: total as u64,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        hits,
        facets: facet_map,
        next,
    })
}

/// Word matches whose vectors pull a search's vector by meaning towards what they are about.
const MEANING_FEEDBACK: usize = 10;

/// The articles a search by meaning adds, as a query: when the words (`by_words`, filters
/// included) match fewer than `search.semantic_hits` articles, the nearest the query's vector
/// among the others that pass the filters, with a cosine of at least
/// `search.semantic_min_similarity`, enough to make `semantic_hits` in all. `None` when the
/// words match enough, or nothing is near enough.
fn meaning_hits(
    searcher: &Searcher,
    fields: &crate::index::Fields,
    cfg: &SearchConfig,
    plan: &SearchPlan,
    by_words: &dyn Query,
    q: &str,
    lang: crate::analysis::Lang,
) -> crate::Result<Option<vectors::NearestQuery>> {
    let matched = exec::search(searcher, by_words, &Count)?;
    let Some(room) = cfg.semantic_hits.checked_sub(matched).filter(|&n| n > 0) else {
        return Ok(None);
    };
    // Every word match (fewer than `semantic_hits`), best first, in one pass: the best pull
    // the vector, and all of them are left out of the nearest afterwards (not by a filter:
    // "all but these" would be a pass over every article).
    let matches = if matched > 0 {
        exec::search(
            searcher,
            by_words,
            &tantivy::collector::TopDocs::with_limit(matched).order_by_score(),
        )?
    } else {
        Vec::new()
    };
    // The query's words alone make a poor vector (a few tokens of a static model): it is
    // pulled towards what its best word matches are about, when there are any.
    let mut vector = vectors::unit(&crate::embed::text_vector(q, lang.code())?);
    if !matches.is_empty() {
        let best = matches.iter().take(MEANING_FEEDBACK).map(|&(_, addr)| addr);
        let stored = document::stored_vectors(searcher, best)?;
        let units: Vec<Vec<f32>> = stored.iter().map(|v| vectors::unit(v)).collect();
        let centre = vectors::centre(vector.len(), units.iter().map(Vec::as_slice));
        vector.iter_mut().zip(&centre).for_each(|(v, c)| *v += c);
    }
    let vector = crate::embed::quantize(&vector);
    let words: HashSet<DocAddress> = matches.into_iter().map(|(_, addr)| addr).collect();
    let clauses = plan.filters.clauses(fields, None);
    let within = (!clauses.is_empty()).then(|| BooleanQuery::new(clauses));
    let within = within.as_ref().map(|q| q as &dyn Query);
    let near: Vec<(f32, DocAddress)> =
        vectors::nearest(searcher, within, &vector, room + words.len())?
            .into_iter()
            .filter(|(_, addr)| !words.contains(addr))
            .take(room)
            .filter(|&(cos, _)| cos >= cfg.semantic_min_similarity)
            .collect();
    Ok((!near.is_empty()).then(|| vectors::NearestQuery::new(searcher, &near)))
}

pub(crate) type Ranked = Vec<(f64, DocAddress, u64)>;

/// One kept document: its sort key, where it is, its copy group and its tier.
#[derive(Debug, Clone, Copy)]
struct Kept {
    key: f64,
    addr: DocAddress,
    copy: u64,
    tier: usize,
}

/// The best `want` documents, tier after tier (exact matches before typo matches), keeping one
/// of each group of wire copies. `first` is tier 0's first fetch when the caller already has it.
pub(crate) fn ranked_page(
    searcher: &Searcher,
    tiers: &[Box<dyn Query>],
    ranking: &rank::Ranking,
    want: usize,
    first: Option<Vec<(f64, DocAddress)>>,
) -> crate::Result<Ranked> {
    Ok(
        ranked_in_tiers(searcher, tiers, ranking, want, first, None)?
            .into_iter()
            .map(|k| (k.key, k.addr, k.copy))
            .collect(),
    )
}

/// [`ranked_page`], optionally only after a cursor: tiers before the cursor's are skipped, its
/// own tier is collected strictly after its position, and a copy group whose first member
/// came at or before the cursor (so was shown on an earlier page) is not shown again.
fn ranked_in_tiers(
    searcher: &Searcher,
    tiers: &[Box<dyn Query>],
    ranking: &rank::Ranking,
    want: usize,
    mut first: Option<Vec<(f64, DocAddress)>>,
    after: Option<&cursor::Cursor>,
) -> crate::Result<Vec<Kept>> {
    let mut kept: Vec<Kept> = Vec::with_capacity(want);
    let mut seen: HashSet<u64> = HashSet::new();
    let mut shown_before: HashMap<u64, bool> = HashMap::new();
    for (t, tier) in tiers.iter().enumerate() {
        if kept.len() >= want {
            break;
        }
        let bound = match after {
            Some(c) if c.tier > t => continue,
            Some(c) if c.tier == t => Some(rank::After {
                key: c.key,
                id: c.id.clone(),
            }),
            _ => None,
        };
        let (base_len, base_seen) = (kept.len(), seen.clone());
        let mut fetch = (want - base_len) * 2 + 10;
        loop {
            let candidates = match first.take() {
                Some(c) => c,
                None => exec::search(
                    searcher,
                    tier.as_ref(),
                    &rank::top_after_collector(fetch, ranking, bound.clone()),
                )?,
            };
            kept.truncate(base_len);
            seen.clone_from(&base_seen);
            let mut earlier = |copy: u64, addr: DocAddress| -> crate::Result<bool> {
                match after {
                    None => Ok(false),
                    Some(c) => {
                        if let Some(&b) = shown_before.get(&copy) {
                            return Ok(b);
                        }
                        let b = group_shown_before(searcher, tiers, ranking, c, copy, addr)?;
                        shown_before.insert(copy, b);
                        Ok(b)
                    }
                }
            };
            collapse_copies(
                searcher,
                &candidates,
                t,
                want,
                &mut kept,
                &mut seen,
                &mut earlier,
            )?;
            if kept.len() >= want || candidates.len() < fetch {
                break;
            }
            fetch *= 4;
        }
    }
    Ok(kept)
}

/// Whether copy group `copy`, whose first member after the cursor is `addr`, was shown on an
/// earlier page: it has a member in an earlier tier, or its first member in the cursor's tier
/// is not `addr` (then it precedes `addr`, and since every candidate after the cursor is
/// visited in order before `addr`, it lies at or before the cursor).
fn group_shown_before(
    searcher: &Searcher,
    tiers: &[Box<dyn Query>],
    ranking: &rank::Ranking,
    after: &cursor::Cursor,
    copy: u64,
    addr: DocAddress,
) -> crate::Result<bool> {
    let copy_field = searcher.schema().get_field("copy_key")?;
    for (t, tier) in tiers.iter().enumerate().take(after.tier + 1) {
        // Scored 0 so that the tier's own score, hence the sort key, is unchanged.
        let same = ConstScoreQuery::new(
            Box::new(TermQuery::new(
                Term::from_field_u64(copy_field, copy),
                IndexRecordOption::Basic,
            )),
            0.0,
        );
        let both = BooleanQuery::new(vec![
            (Occur::Must, tier.box_clone()),
            (Occur::Must, Box::new(same)),
        ]);
        let best = exec::search(searcher, &both, &rank::top_collector(1, ranking))?;
        let Some(&(_, first)) = best.first() else {
            continue;
        };
        return Ok(t < after.tier || first != addr);
    }
    Ok(false)
}

/// Appends candidates to `kept`, skipping copies of what is already there or was shown
/// before (`earlier`), up to `want`.
fn collapse_copies(
    searcher: &Searcher,
    candidates: &[(f64, DocAddress)],
    tier: usize,
    want: usize,
    kept: &mut Vec<Kept>,
    seen: &mut HashSet<u64>,
    earlier: &mut dyn FnMut(u64, DocAddress) -> crate::Result<bool>,
) -> crate::Result<()> {
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
        if seen.insert(copy) && !earlier(copy, addr)? {
            kept.push(Kept {
                key: k,
                addr,
                copy,
                tier,
            });
        }
    }
    Ok(())
}

/// For each copy key of the page, the matching articles that have it (the hit itself
/// included), in one search rather than one per hit.
fn count_copies(
    searcher: &Searcher,
    query: &dyn Query,
    fields: &crate::index::Fields,
    keys: &[u64],
) -> crate::Result<HashMap<u64, usize>> {
    // Most articles have no copy: a key held by one document at most (deleted ones
    // included) needs no search. Running the query again for the others cost up to 0.3 ms
    // (a phrase at 1M articles) even when no hit had a copy.
    let mut shared = Vec::new();
    for &k in keys {
        let term = Term::from_field_u64(fields.copy_key, k);
        if searcher.doc_freq(&term)? > 1 {
            shared.push(term);
        }
    }
    if shared.is_empty() {
        return Ok(HashMap::new());
    }
    let any_key: Vec<(Occur, Box<dyn Query>)> = shared
        .into_iter()
        .map(|term| {
            let q = TermQuery::new(term, IndexRecordOption::Basic);
            (Occur::Should, Box::new(q) as Box<dyn Query>)
        })
        .collect();
    let both = BooleanQuery::new(vec![
        (Occur::Must, query.box_clone()),
        (Occur::Must, Box::new(BooleanQuery::new(any_key))),
    ]);
    Ok(exec::search(searcher, &both, &CopyCounts)?)
}

/// Counts the documents of each copy key.
struct CopyCounts;

/// [`CopyCounts`] in one segment.
struct SegmentCopyCounts {
    keys: Option<tantivy::columnar::Column<u64>>,
    counts: HashMap<u64, usize>,
}

impl tantivy::collector::Collector for CopyCounts {
    type Fruit = HashMap<u64, usize>;
    type Child = SegmentCopyCounts;

    fn for_segment(
        &self,
        _: tantivy::SegmentOrdinal,
        segment: &tantivy::SegmentReader,
    ) -> tantivy::Result<SegmentCopyCounts> {
        Ok(SegmentCopyCounts {
            keys: segment.fast_fields().u64("copy_key").ok(),
            counts: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<HashMap<u64, usize>>) -> tantivy::Result<Self::Fruit> {
        let mut all = HashMap::new();
        for (key, n) in fruits.into_iter().flatten() {
            *all.entry(key).or_default() += n;
        }
        Ok(all)
    }
}

impl tantivy::collector::SegmentCollector for SegmentCopyCounts {
    type Fruit = HashMap<u64, usize>;

    fn collect(&mut self, doc: tantivy::DocId, _: tantivy::Score) {
        if let Some(key) = self.keys.as_ref().and_then(|c| c.first(doc)) {
            *self.counts.entry(key).or_default() += 1;
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.counts
    }
}

/// `text AND every clause`; the bare text query when there are no filters.
pub(crate) fn with_filters(
    text: Box<dyn Query>,
    clauses: Vec<(Occur, Box<dyn Query>)>,
) -> Box<dyn Query> {
    if clauses.is_empty() {
        return text;
    }
    if let Some(words) = text.as_any().downcast_ref::<words::WordsQuery>() {
        if clauses.iter().all(|(occur, _)| *occur == Occur::Must) {
            return Box::new(words.filtered(clauses.into_iter().map(|(_, q)| q).collect()));
        }
    }
    let mut all = clauses;
    if text.as_any().downcast_ref::<AllQuery>().is_none() {
        all.push((Occur::Must, text));
    }
    Box::new(BooleanQuery::new(all))
}
