//! A search as values: what it asks for ([`SearchPlan`], decided once from the request, the
//! same whatever engine runs it), how tantivy collects it ([`Collection`], chosen from the
//! plan and the shape of its query) and where the server runs it ([`Execution`]).
//!
//! [`super::run_search`] used to make these choices inline, among six ways of collecting a
//! page, its total and its facets. As values they can be read, printed (`newsindex search
//! --explain`, and the debug log) and tested without an index: request → plan is pure, and
//! plan → answer is what the integration suite checks.

use serde::Serialize;

use super::cursor::{self, Cursor};
use super::facets::FacetSpec;
use super::filter::Filters;
use super::{SearchRequest, Sort};

/// What a search asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchPlan {
    /// The words to match; `None`: every article (browsing, or filters alone).
    pub words: Option<String>,
    /// Whether rare or unknown words also match their close spellings (ranked below).
    pub typos: bool,
    /// Whether the articles nearest the words in meaning follow the word matches when these
    /// are few (words and relevance order only).
    pub semantic: bool,
    /// Filters: they narrow the matches and do not score.
    pub filters: Filters,
    /// Facets counted over the matches, in the pass that finds them.
    #[serde(serialize_with = "facet_keys")]
    pub shared_facets: Vec<FacetSpec>,
    /// Facets whose own dimension is filtered: each counted in a pass of its own with every
    /// filter but its own, so that its list stays disjunctive (selecting a value does not
    /// hide the others).
    #[serde(serialize_with = "facet_keys")]
    pub own_facets: Vec<FacetSpec>,
    /// Values per facet.
    pub facet_limit: usize,
    /// The order, resolved: relevance without words is newest first.
    pub sort: &'static str,
    #[serde(skip)]
    pub sort_value: Sort,
    /// The page.
    pub page: Page,
    /// Deep paging: hits strictly after this position.
    #[serde(skip)]
    pub after: Option<Cursor>,
    /// Snippets with the matched words marked.
    pub highlight: bool,
    /// When to stop collecting (the request's timeout).
    #[serde(skip)]
    pub deadline: Option<super::deadline::Deadline>,
}

/// The hits a search ranks and shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Page {
    /// Hits skipped.
    pub offset: usize,
    /// Hits shown.
    pub limit: usize,
    /// Hits ranked: offset + limit and one more, which tells whether another page follows;
    /// 0 when only counts are wanted.
    pub ranked: usize,
    /// Hits fetched first: twice as many and ten more, so that collapsing wire copies into
    /// one hit still fills the page.
    pub fetched: usize,
}

impl SearchPlan {
    /// The plan of a validated request; fails when its cursor belongs to another order.
    pub fn new(req: &SearchRequest) -> crate::Result<SearchPlan> {
        let words = Some(req.q.trim())
            .filter(|q| !q.is_empty())
            .map(String::from);
        let sort = match req.sort {
            Sort::Relevance if words.is_none() => Sort::Newest,
            s => s,
        };
        if let Some(after) = &req.after {
            if after.sort != sort {
                return Err(crate::Error::param(
                    "after",
                    format!(
                        "the cursor belongs to a search sorted by {}, this one is sorted by {}",
                        cursor::sort_name(after.sort),
                        cursor::sort_name(sort)
                    ),
                ));
            }
        }
        let semantic = req.semantic == Some(true) && words.is_some() && sort == Sort::Relevance;
        let (shared_facets, own_facets) = req
            .facets
            .iter()
            .cloned()
            .partition(|f| !req.filters.has(f.dimension()));
        let ranked = if req.limit == 0 {
            0
        } else {
            req.offset + req.limit + 1
        };
        Ok(SearchPlan {
            words,
            typos: req.typos,
            semantic,
            filters: req.filters.clone(),
            shared_facets,
            own_facets,
            facet_limit: req.facet_limit,
            sort: cursor::sort_name(sort),
            sort_value: sort,
            page: Page {
                offset: req.offset,
                limit: req.limit,
                ranked,
                fetched: ranked * 2 + 10,
            },
            after: req.after.clone(),
            highlight: req.highlight,
            deadline: req.deadline,
        })
    }

    /// Every article, no filter: what the per-segment memo can answer.
    pub fn whole_index(&self) -> bool {
        self.words.is_none() && self.filters == Filters::default()
    }

    /// Every article once the filter on `d` is left out: what a facet of `d` counts when it
    /// is filtered (one of [`SearchPlan::own_facets`]), and the per-segment memo then has.
    /// Browsing by one facet's values (`tag=grain&facets=tags`) needs no pass over the index.
    pub fn whole_index_but(&self, d: super::filter::Dimension) -> bool {
        self.words.is_none() && self.filters.only(d)
    }

    /// Where the server runs this plan over an index of `articles` (see [`Execution`]).
    pub fn execution(&self, articles: u64) -> Execution {
        let plain = self.words.as_deref().is_none_or(|q| {
            let mut words = q.split_whitespace();
            words.clone().count() <= INLINE_MAX_WORDS
                && words.all(|w| w.chars().all(char::is_alphanumeric))
        });
        if articles <= INLINE_MAX_ARTICLES && plain && !self.highlight && !self.semantic {
            Execution::Inline
        } else {
            Execution::Pool
        }
    }
}

/// Where the server runs a search: on the async worker that took the request, or handed to
/// the blocking pool and back, two thread switches that were ~10% of a short search's cost at
/// 8 clients (`benches/README.md`, "Searches on the async workers"). A worker must not be held
/// long (it serves other connections), so only a search whose cost is known to be small runs
/// there: plain words or browsing over a small index, without snippets (which read every
/// hit's text) or the pass over vectors of a search by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Execution {
    /// On the async worker.
    Inline,
    /// On the blocking pool.
    Pool,
}

/// Articles up to which a search of plain words runs inline: every clause of it then visits
/// at most this many documents (a one-word search of 1,496 matches on Reuters' 20,841 costs
/// ~0.2 ms of CPU, the typo tier a few times that).
pub const INLINE_MAX_ARTICLES: u64 = 50_000;

/// Matches from which a lone word is counted apart from collecting its page. Measured with
/// callgrind, instructions a request, one pass against two: on Reuters `oil` (1,496 matches)
/// 935k against 986k, `dlrs` (8,036) 3.71M against 3.73M, `said` (15,435) 4.43M against
/// 3.60M; on 200k synthetic articles (longer bodies) `gold` (6,298) 1.73M against 1.61M,
/// `wheat` (13,269) 3.16M against 2.75M. Between the two corpora's crossovers.
pub const COUNT_APART_MATCHES: u64 = 5_000;

/// Words up to which a search runs inline (each is a list of postings to walk).
pub const INLINE_MAX_WORDS: usize = 8;

fn facet_keys<S: serde::Serializer>(facets: &[FacetSpec], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(facets.iter().map(FacetSpec::key))
}

/// What tantivy needs to know of a plan's query to choose how to collect it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueryShape {
    /// Ranked in tiers: exact matches, then typo matches.
    pub tiers: usize,
    /// Plain words (our `WordsQuery`), which keep what they matched: counting is free.
    pub plain_words: bool,
    /// One word: a union that block-max WAND prunes and that counts fast; with a lower bound
    /// of its matches.
    pub one_word: Option<u64>,
}

/// How tantivy collects a plan's page, total and shared facets in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "collect")]
pub enum Collection {
    /// The whole index: total, facets and (with `page`) the first page come from what each
    /// unchanged segment remembers (its count, value counts and 256 newest and oldest).
    Memo {
        /// Whether a page is wanted (else counts only).
        page: bool,
    },
    /// The first page of one tier, collected with pruning, and the total: counted in the
    /// same pass, or apart when the query counts cheaply on its own.
    TopAndCount {
        /// Count apart from collecting.
        count_apart: bool,
    },
    /// The total (and shared facets) alone; the page, if any, is ranked afterwards tier by
    /// tier (typo tiers, deep paging after a cursor, deep memo pages).
    Count,
}

impl Collection {
    /// The way to collect `plan`, whose query has `shape`.
    pub fn choose(plan: &SearchPlan, shape: QueryShape) -> Collection {
        let want = plan.page.ranked;
        if plan.whole_index() {
            if want == 0 {
                return Collection::Memo { page: false };
            }
            if plan.after.is_none() && plan.page.fetched <= super::rank::BROWSE_TOP {
                return Collection::Memo { page: true };
            }
        }
        if want > 0 && shape.tiers == 1 && plan.after.is_none() {
            // A lone word is counted apart only when it matches many: pruning then skips most
            // of its matches, and counting them without scores is cheap; with fewer, one pass
            // that scores and counts each match costs less than the two.
            let many = shape.one_word.is_some_and(|n| n >= COUNT_APART_MATCHES);
            let count_apart = shape.plain_words || (plan.filters == Filters::default() && many);
            return Collection::TopAndCount { count_apart };
        }
        Collection::Count
    }
}

/// Whose neighbours a related-articles request asks for.
#[derive(Debug, Clone)]
pub enum RelatedOf {
    /// A stored article, by id (`GET /articles/{id}/related`).
    Stored(String),
    /// A text that need not be stored (`POST /related`).
    Draft(Box<super::related::Source>),
}

/// What a related-articles request asks for, validated once: whose neighbours, the filters
/// they must pass (the search filters, with the same messages) and how many. Both engines
/// run it ([`crate::backend::Backend::related`]).
#[derive(Debug, Clone)]
pub struct RelatedPlan {
    /// Whose neighbours.
    pub of: RelatedOf,
    /// Filters on the neighbours.
    pub filters: Filters,
    /// Hits wanted.
    pub limit: usize,
    /// The languages neighbours may be in.
    pub languages: super::related::Languages,
}

/// Parameters `GET /articles/{id}/related` accepts: the search filters, `limit` and
/// `languages`.
pub const RELATED_PARAMS: [&str; 10] = [
    "limit",
    "languages",
    "from",
    "to",
    "tag",
    "author",
    "entity",
    "entity_type",
    "language",
    "source",
];

impl RelatedPlan {
    /// The plan for a stored article from its query parameters, validated by the search
    /// rules; search-only parameters (`q`, `facets`, `sort`, …) are refused rather than
    /// ignored.
    pub fn stored(
        id: String,
        pairs: Vec<(String, String)>,
        limits: &crate::config::Limits,
    ) -> crate::Result<RelatedPlan> {
        if let Some((name, _)) = pairs
            .iter()
            .find(|(name, _)| !RELATED_PARAMS.contains(&name.as_str()))
        {
            return Err(crate::Error::param(
                crate::error::truncate_for_message(name),
                format!(
                    "unknown parameter; expected one of {}",
                    RELATED_PARAMS.join(", ")
                ),
            ));
        }
        let mut languages = super::related::Languages::default();
        let mut search = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            if name == "languages" {
                languages = super::related::Languages::parse(&value).ok_or_else(|| {
                    crate::Error::param(
                        "languages",
                        format!(
                            "must be same or any, got {:?}",
                            crate::error::truncate_for_message(&value)
                        ),
                    )
                })?;
            } else {
                search.push((name, value));
            }
        }
        let req = super::SearchParams::from_pairs(search)?.into_request(limits)?;
        Ok(RelatedPlan {
            of: RelatedOf::Stored(id),
            filters: req.filters,
            limit: req.limit,
            languages,
        })
    }

    /// The plan for a draft: no filters; `limit` as sent (the default when absent), at most
    /// `limits.max_limit`.
    pub fn draft(
        source: super::related::Source,
        limit: Option<u64>,
        languages: super::related::Languages,
        limits: &crate::config::Limits,
    ) -> crate::Result<RelatedPlan> {
        let limit = limit.map_or(super::params::DEFAULT_LIMIT, |l| {
            usize::try_from(l).unwrap_or(usize::MAX)
        });
        if limit > limits.max_limit {
            return Err(crate::Error::param(
                "limit",
                format!("must be at most {}, got {limit}", limits.max_limit),
            ));
        }
        Ok(RelatedPlan {
            of: RelatedOf::Draft(Box::new(source)),
            filters: Filters::default(),
            limit,
            languages,
        })
    }
}

/// What a completion request asks for, validated once: the typed prefix, how many
/// suggestions, and the language whose rules read it (and whose titles alone are suggested).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestPlan {
    /// What the user has typed (empty: no suggestions).
    pub q: String,
    /// Suggestions wanted.
    pub limit: usize,
    /// A checked BCP 47 tag.
    pub language: Option<String>,
}

impl SuggestPlan {
    /// The plan of `GET /suggest`'s query parameters (`q`, `limit`, `language`).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> crate::Result<SuggestPlan> {
        use super::suggest::{DEFAULT_LIMIT, MAX_CHARS, MAX_LIMIT};
        use crate::error::truncate_for_message;
        let mut plan = SuggestPlan {
            q: String::new(),
            limit: DEFAULT_LIMIT,
            language: None,
        };
        for (name, value) in pairs {
            match name.as_str() {
                "q" => plan.q = value,
                "language" => {
                    let tag = crate::analysis::Lang::check_tag(&value)
                        .map_err(|e| crate::Error::param("language", e))?;
                    plan.language = Some(tag);
                }
                "limit" => {
                    plan.limit = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            crate::Error::param(
                                "limit",
                                format!(
                                    "expected a whole number from 1 to {MAX_LIMIT}, got `{}`",
                                    truncate_for_message(&value)
                                ),
                            )
                        })?;
                }
                other => {
                    return Err(crate::Error::param(
                        truncate_for_message(other),
                        "unknown parameter; expected q, limit or language",
                    ))
                }
            }
        }
        let chars = plan.q.chars().count();
        if chars > MAX_CHARS {
            return Err(crate::Error::param(
                "q",
                format!("is {chars} characters long, at most {MAX_CHARS} are allowed"),
            ));
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::query::params::SearchParams;

    fn request(query: &str) -> crate::Result<SearchRequest> {
        let pairs = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        SearchParams::from_pairs(pairs)?.into_request(&Config::default().limits)
    }

    fn plan(query: &str) -> SearchPlan {
        SearchPlan::new(&request(query).expect("request")).expect("plan")
    }

    #[test]
    fn only_short_searches_of_a_small_index_run_inline() {
        use Execution::{Inline, Pool};
        let small = INLINE_MAX_ARTICLES;
        for q in [
            "q=oil",
            "q=oil+prices&facets=tags,authors&from=1987-03-01",
            "q=",
            "facets=tags&tag=crude",
            "q=oil+prcies",
            "q=Zürich+2024",
        ] {
            assert_eq!(plan(q).execution(small), Inline, "{q}");
            assert_eq!(plan(q).execution(small + 1), Pool, "{q} on a large index");
        }
        for q in [
            "q=oil&highlight=true",
            "q=oil&semantic=true",
            "q=%22oil+prices%22",
            "q=oil*",
            "q=title:oil",
            "q=a+b+c+d+e+f+g+h+i",
        ] {
            assert_eq!(plan(q).execution(10), Pool, "{q}");
        }
    }

    const WORDS: QueryShape = QueryShape {
        tiers: 1,
        plain_words: true,
        one_word: None,
    };
    const PHRASE: QueryShape = QueryShape {
        tiers: 1,
        plain_words: false,
        one_word: None,
    };
    const TYPOS: QueryShape = QueryShape {
        tiers: 2,
        plain_words: false,
        one_word: None,
    };

    #[test]
    fn requests_become_plans() {
        let p = plan("q=oil+prices&tag=energy&facets=tags,authors&limit=5&offset=10");
        assert_eq!(p.words.as_deref(), Some("oil prices"));
        assert_eq!(p.sort, "relevance");
        // `tags` is filtered: counted in a pass of its own, without the tag filter.
        assert_eq!((p.shared_facets.len(), p.own_facets.len()), (1, 1), "{p:?}");
        assert_eq!(p.own_facets[0].key(), "tags");
        assert_eq!(
            p.page,
            Page {
                offset: 10,
                limit: 5,
                ranked: 16,
                fetched: 42
            }
        );
        // No words: newest first, and the whole index when nothing filters.
        let browse = plan("facets=tags");
        assert_eq!((browse.sort, browse.whole_index()), ("newest", true));
        assert!(!plan("tag=energy").whole_index());
        // A facet whose own filter is the only one counts the whole index.
        use crate::query::filter::Dimension;
        let by_tag = plan("tag=energy&facets=tags,authors");
        assert!(by_tag.whole_index_but(Dimension::Tag));
        assert!(!by_tag.whole_index_but(Dimension::Author));
        assert!(!plan("tag=energy&author=Ann&facets=tags").whole_index_but(Dimension::Tag));
        assert!(!plan("q=oil&tag=energy&facets=tags").whole_index_but(Dimension::Tag));
        assert_eq!(plan("limit=0").page.ranked, 0);
    }

    #[test]
    fn a_cursor_of_another_order_is_refused() {
        let first = plan("q=oil&sort=newest");
        let cursor = Cursor {
            sort: Sort::Newest,
            tier: 0,
            key: 1.0,
            id: "a".into(),
        }
        .encode();
        let req = request(&format!("q=oil&after={cursor}")).expect("request");
        let err = SearchPlan::new(&req).unwrap_err();
        assert!(err.to_string().contains("after"), "{err}");
        assert_eq!(first.sort, "newest");
    }

    #[test]
    fn collections_follow_the_plan_and_its_query() {
        use Collection::*;
        let cases: &[(&str, QueryShape, Collection)] = &[
            // Browsing: the memo, with or without a page; a page deeper than it remembers
            // is collected.
            ("", PHRASE, Memo { page: true }),
            ("limit=0&facets=tags", PHRASE, Memo { page: false }),
            (
                "offset=200&limit=100",
                PHRASE,
                TopAndCount { count_apart: false },
            ),
            // Plain words count apart; a lone word does too when it matches many, unless a
            // filter joins it.
            ("q=oil+prices", WORDS, TopAndCount { count_apart: true }),
            (
                "q=oil",
                QueryShape {
                    one_word: Some(COUNT_APART_MATCHES),
                    ..PHRASE
                },
                TopAndCount { count_apart: true },
            ),
            (
                "q=oil",
                QueryShape {
                    one_word: Some(COUNT_APART_MATCHES - 1),
                    ..PHRASE
                },
                TopAndCount { count_apart: false },
            ),
            (
                "q=oil&tag=energy",
                QueryShape {
                    one_word: Some(COUNT_APART_MATCHES),
                    ..PHRASE
                },
                TopAndCount { count_apart: false },
            ),
            (
                "q=%22oil+prices%22",
                PHRASE,
                TopAndCount { count_apart: false },
            ),
            // Typo tiers, counts alone and deep paging: counted, then ranked tier by tier.
            ("q=oyl", TYPOS, Count),
            ("q=oil&limit=0", WORDS, Count),
        ];
        for (query, shape, expected) in cases {
            assert_eq!(
                Collection::choose(&plan(query), *shape),
                *expected,
                "{query}"
            );
        }
    }

    fn pairs(query: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn related_plans_take_the_search_filters_and_refuse_search_only_parameters() {
        let limits = Config::default().limits;
        let plan =
            RelatedPlan::stored("a1".into(), pairs("tag=energy&limit=5"), &limits).expect("plan");
        assert!(matches!(&plan.of, RelatedOf::Stored(id) if id == "a1"));
        assert_eq!(plan.limit, 5);
        assert_ne!(plan.filters, Filters::default());
        let err = RelatedPlan::stored("a1".into(), pairs("q=oil"), &limits).unwrap_err();
        assert!(err.to_string().contains("unknown parameter"), "{err}");
        let err = RelatedPlan::stored("a1".into(), pairs("limit=many"), &limits).unwrap_err();
        assert!(err.to_string().contains("limit"), "{err}");

        let draft = || crate::query::related::Source {
            title: "Oil prices".into(),
            ..Default::default()
        };
        let plan = RelatedPlan::draft(
            draft(),
            None,
            crate::query::related::Languages::Same,
            &limits,
        )
        .expect("plan");
        assert_eq!(plan.limit, super::super::params::DEFAULT_LIMIT);
        assert_eq!(plan.filters, Filters::default());
        let over = limits.max_limit as u64 + 1;
        let err = RelatedPlan::draft(
            draft(),
            Some(over),
            crate::query::related::Languages::Same,
            &limits,
        )
        .unwrap_err();
        assert!(err.to_string().contains("at most"), "{err}");
    }

    #[test]
    fn suggest_plans_check_their_three_parameters() {
        let plan = SuggestPlan::from_pairs(pairs("q=beij&limit=3&language=zh-Hans")).unwrap();
        assert_eq!(plan.q, "beij");
        assert_eq!(plan.limit, 3);
        assert!(plan.language.is_some());
        assert_eq!(
            SuggestPlan::from_pairs(Vec::new()).unwrap().limit,
            crate::query::suggest::DEFAULT_LIMIT
        );
        for bad in ["limit=0", "limit=x", "language=%%", "sort=newest"] {
            assert!(SuggestPlan::from_pairs(pairs(bad)).is_err(), "{bad}");
        }
        let long = format!("q={}", "a".repeat(crate::query::suggest::MAX_CHARS + 1));
        assert!(SuggestPlan::from_pairs(pairs(&long)).is_err());
    }
}
