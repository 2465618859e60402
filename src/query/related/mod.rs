//! Related articles: for an indexed article or a draft, the articles about the same story or
//! subject, best first, never the article itself nor copies of it.
//!
//! Owns the scoring, which has to beat plain more-like-this on topical precision:
//!
//! - **Text**: the source's most characteristic terms (the index's analyzer, tf·idf with
//!   title words counting more than body words, at most [`RelatedConfig::max_terms`]) become
//!   boosted `Should` term queries over title, summary and body, scored by BM25.
//! - **Entities and tags**: each shared entity or tag adds a constant score proportional to its
//!   rarity (idf), so sharing "Victor Cha" counts far more than sharing "USA".
//! - **Time**: an over-fetched candidate list is re-scored by closeness in time (a half-life
//!   decay with a floor, so old background pieces are demoted rather than lost).
//! - **Meaning**: the [`RelatedConfig::overfetch`] best candidates (the same whatever the
//!   `limit`, so the first hits never depend on it) are re-ranked by a blend of that score with
//!   the cosine of their vectors (kept in the index, [`crate::embed`]) with the source's and
//!   with the centre of the best candidates ([`meaning`]): +0.034 precision@10 over the same
//!   scoring without it on every article of the Reuters reporting split (0.745 against 0.711).
//! - **Overlap**: a candidate that shares too few of the source's top terms is dropped (an
//!   article with almost no text is exempt, so it still finds neighbours by entities).
//! - **Speed**: scoring the whole profile over every article that shares a word visits a large
//!   part of the index (15 ms at 1M articles). Without filters, the candidates are picked first
//!   by block-max WAND over the strongest [`RelatedConfig::candidate_terms`] terms in the body
//!   (tantivy skips most postings of common terms that way; the k-th best score is shared
//!   across segments, see [`super::rank::top_k_by_score`]; the commonest terms are left out
//!   past [`RelatedConfig::candidate_max_postings`]), plus, for a short source, what shares its
//!   rarest entities and tags; only those candidates get the full score. Document frequencies
//!   come from a per-commit cache ([`crate::index::stats`]). At 1M articles this cut the
//!   median from 15 to about 4 ms and the p99 from 60 to about 10, for a precision@10 of 0.729
//!   instead of 0.745 on the Reuters reporting split (`examples/related_quality.rs`).
//! - **Copies**: the source's `copy_key` is excluded (in the query, or when picking candidates
//!   by key and id in `select`), candidates are deduplicated
//!   by `copy_key`, and near-duplicates of the source or of a better hit are dropped: a 64-bit
//!   SimHash of the words within [`RelatedConfig::near_duplicate_distance`] bits (kept at
//!   ingest in the `simhash` column, [`crate::index::fingerprint`]), or, for short texts where
//!   one word flips several bits, word sets overlapping by
//!   [`RelatedConfig::near_duplicate_jaccard`]. Another take of the same story (a short and
//!   a long version: the same headline and lead, [`fingerprint::take_key`]) is a copy too.
//!
//! Synchronous and CPU-bound; the HTTP layer runs it off the async runtime.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::columnar::Column;
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, Searcher, Term};

mod meaning;

use super::Filters;
use crate::analysis::Lang;
use crate::article::Article;
use crate::index::fingerprint::{self, TextSignals};
use crate::index::stats::CachedStats;
use crate::index::{document, NewsIndex};
use crate::Error;

/// A keyword is only "too common" past this many articles too: in a small index every value
/// is a large share.
const MIN_COMMON_KEYWORD_DF: u64 = 1_000;

/// Knobs of the scoring. The defaults were tuned on the odd Reuters NEWIDs
/// (`examples/related_quality.rs --split odd`); the one that mattered is `boost_idf_power`
/// (0.667 → 0.731 precision@10 going from 1 to 0), the others move it by about ±0.01.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedConfig {
    /// Characteristic terms of the source that make the text query.
    pub max_terms: usize,
    /// Terms in more than this share of the articles are never characteristic.
    pub max_df_ratio: f32,
    /// Weight of a title occurrence when picking the source's terms (a body occurrence is 1).
    pub title_weight: f32,
    /// Weight of a summary occurrence when picking the source's terms.
    pub summary_weight: f32,
    /// Query-time boost of a match in a candidate's title (body is 1).
    pub title_boost: f32,
    /// Query-time boost of a match in a candidate's summary.
    pub summary_boost: f32,
    /// Entities and tags on more than this share of the articles are left out of the query
    /// (they still count in explanations): they say little about the story and would make
    /// the query visit most of the index.
    pub max_keyword_df_ratio: f32,
    /// Score of a shared entity per unit of idf.
    pub entity_weight: f32,
    /// Score of a shared tag (any level) per unit of idf.
    pub tag_weight: f32,
    /// Half-life of the time decay, in days; 0 disables it.
    pub half_life_days: f64,
    /// Share of the score kept however far apart in time (0..=1).
    pub time_floor: f32,
    /// Top terms a candidate must share with a source that has text, at most.
    pub min_shared_terms: usize,
    /// Share of the source's top terms a candidate must share (capped by `min_shared_terms`),
    /// so that a short source does not ask for more words than it has.
    pub min_shared_share: f32,
    /// Exponent of the idf in a term's query boost: BM25 already weighs by idf, so 1 squares
    /// it (favouring rare words), 0 boosts by the source's term frequency only.
    pub boost_idf_power: f32,
    /// A source with fewer usable terms than this is exempt from `min_shared_terms`.
    pub min_terms_for_overlap: usize,
    /// Candidates within this Hamming distance of the source's SimHash are near-duplicates.
    pub near_duplicate_distance: u32,
    /// Candidates whose set of words overlaps the source's (or a better hit's) this much
    /// (Jaccard) are near-duplicates too: the check for short texts, where one changed word
    /// in fifty flips several SimHash bits.
    pub near_duplicate_jaccard: f32,
    /// Texts with fewer tokens than this are never near-duplicates (too short to tell).
    pub simhash_min_tokens: usize,
    /// Candidates ranked before filtering, whatever the `limit`: the first hits of an answer
    /// never depend on how many were asked for (a widget's 5 are the first 5 of a page's 30).
    pub overfetch: usize,
    /// Weight of the lexical score (relative to the best candidate's) in the blend with
    /// meaning ([`meaning::blend`]).
    pub lexical_weight: f32,
    /// Weight of a candidate's cosine with the source's vector; 0 with `consensus_weight` 0
    /// ranks by words, entities, tags and time alone.
    pub similarity_weight: f32,
    /// Weight of a candidate's cosine with the centre of the best lexical candidates.
    pub consensus_weight: f32,
    /// Best lexical candidates whose vectors make that centre.
    pub consensus_depth: usize,
    /// With `languages=any`: the articles nearest in meaning added to the candidates.
    pub meaning_candidates: usize,
    /// With `languages=any`, for a source with a date: the nearest in meaning are looked for
    /// among the articles published within this many days of it (0 = all). Another
    /// language's take on a story is news of the same days, and the window bounds the pass
    /// over the vectors: at 1M articles over twelve years it cut it from ~390 ms to a few.
    pub meaning_window_days: f64,
    /// With `languages=any`: the similarity that admits a candidate sharing too few terms
    /// (another language's article shares none). 0.3 is the 95th percentile of unrelated
    /// pairs' similarity (English, tuning split).
    pub min_similarity: f32,
    /// In the source's own language: the similarity that admits a candidate sharing too few
    /// of the source's top terms (above 1, never). In an index with few articles of a
    /// language, the words two of them share are their commonest and fall out of a short
    /// one's top terms (a Chinese story got none of the other story on the same rate cut,
    /// similarity 0.82). 0.6 to 0.8 change no P@10 on Reuters (tuning split, 0.746).
    pub same_language_min_similarity: f32,
    /// Strongest terms that pick the candidates when no filter narrows them (0 = score every
    /// article that shares any term, entity or tag). Candidates are chosen with block-max
    /// WAND over these terms alone, then scored with the whole profile. More terms find more
    /// of the neighbours that meaning ranks up, for more time: precision@10 over words only
    /// (`examples/related_quality.rs`, tuning split) 8 terms +0.038, 10 +0.042, 12 +0.049,
    /// 15 +0.051; instructions of a related request at 1M articles 8: 31M, 10: 37M, 12: 46M.
    /// 10 meets issue #19's quality margin, and its latency targets now that picking and
    /// scoring share the cores when they are idle ([`super::rank::pieces`]).
    pub candidate_terms: usize,
    /// Candidates picked that way.
    pub candidates: usize,
    /// Postings the picking terms may have together: past it the commonest are left out
    /// (they still count in the full score), which bounds the work of picking.
    pub candidate_max_postings: u64,
    /// Articles the entities and tags that pick candidates may have together (the rarest
    /// values are taken first): each of those articles is visited.
    pub keyword_max_postings: u64,
    /// Picking terms kept whatever their postings.
    pub min_candidate_terms: usize,
    /// Shared terms reported per hit.
    pub explain_terms: usize,
}

impl Default for RelatedConfig {
    fn default() -> Self {
        RelatedConfig {
            max_terms: 25,
            max_df_ratio: 0.5,
            title_weight: 3.0,
            summary_weight: 2.0,
            title_boost: 1.5,
            summary_boost: 1.2,
            entity_weight: 0.5,
            tag_weight: 1.0,
            half_life_days: 30.0,
            time_floor: 0.5,
            min_shared_terms: 3,
            min_shared_share: 1.0,
            boost_idf_power: 0.0,
            min_terms_for_overlap: 8,
            near_duplicate_distance: 3,
            near_duplicate_jaccard: 0.9,
            simhash_min_tokens: 20,
            max_keyword_df_ratio: 0.1,
            overfetch: 250,
            lexical_weight: 1.5,
            similarity_weight: 1.0,
            consensus_weight: 1.0,
            consensus_depth: 20,
            meaning_candidates: 50,
            meaning_window_days: 30.0,
            min_similarity: 0.3,
            same_language_min_similarity: 0.7,
            candidate_terms: 10,
            candidates: 100,
            candidate_max_postings: 400_000,
            keyword_max_postings: 50_000,
            min_candidate_terms: 3,
            explain_terms: 5,
        }
    }
}

/// Which languages a source's neighbours may be in (`languages` of a related request).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Languages {
    /// Found by words (and rare shared entities and tags), so in the source's language or
    /// another analysed alike; ranked with meaning.
    #[default]
    Same,
    /// Also the articles nearest in meaning in any language ([`crate::query::vectors::nearest`]): the
    /// shipped model puts a French and a German story on one event close together. Costs a
    /// pass over every article's vector (the filters narrow it).
    Any,
}

impl Languages {
    /// `same` or `any`, as a parameter's value.
    pub fn parse(value: &str) -> Option<Languages> {
        match value {
            "same" => Some(Languages::Same),
            "any" => Some(Languages::Any),
            _ => None,
        }
    }
}

/// What related articles are looked for: an indexed article or a draft.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// Id of the indexed article, excluded from its own results.
    pub id: Option<String>,
    /// Headline.
    pub title: String,
    /// Standfirst.
    pub summary: Option<String>,
    /// Full text.
    pub body: Option<String>,
    /// Entity names.
    pub entities: Vec<String>,
    /// Tags, possibly hierarchical.
    pub tags: Vec<String>,
    /// Publication time, for the time decay.
    pub published_at: Option<DateTime<Utc>>,
    /// The language its text is analysed in.
    pub language: Lang,
    /// The vector the index keeps for it, when it is an indexed article read with it (else
    /// [`Source::vector`] computes it from the text, as the index did).
    pub(crate) stored_vector: Option<Vec<u8>>,
}

impl Source {
    /// The source for an indexed article.
    pub fn from_article(a: &Article) -> Source {
        Source {
            id: Some(a.id.clone()),
            title: a.title.clone(),
            summary: a.summary.clone(),
            body: a.body.clone(),
            entities: a.entities.iter().map(|e| e.name.clone()).collect(),
            tags: a.tags.clone(),
            published_at: a.published_at,
            language: document::analysis_language(a),
            stored_vector: None,
        }
    }

    /// Its vector, as the index keeps an article's ([`crate::embed::article_vector`]).
    pub(crate) fn vector(&self) -> crate::Result<Vec<u8>> {
        if let Some(v) = &self.stored_vector {
            return Ok(v.clone());
        }
        let entities: Vec<&str> = self.entities.iter().map(String::as_str).collect();
        crate::embed::article_vector(
            &self.title,
            self.summary.as_deref(),
            self.body.as_deref(),
            &entities,
            self.language.code(),
        )
    }

    /// What the index would derive from this text at ingest: its copy key and SimHash.
    fn signals(&self) -> TextSignals {
        fingerprint::signals(&self.title, self.summary.as_deref(), self.body.as_deref())
    }
}

/// One related article, with why it is related.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelatedHit {
    /// Article id.
    pub id: String,
    /// Headline.
    pub title: String,
    /// Publication time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Relatedness; comparable within one answer only.
    pub score: f32,
    /// Entities shared with the source, as the hit spells them.
    pub shared_entities: Vec<String>,
    /// Tags (most specific shared level) shared with the source, as the hit spells them.
    pub shared_tags: Vec<String>,
    /// The strongest terms shared with the source, as indexed (stemmed, lowercase).
    pub shared_terms: Vec<String>,
    /// Closeness in meaning to the source: the cosine of the two articles' vectors from the
    /// shipped embedding model, each less its language's mean (about 0 for unrelated news,
    /// 0.7 to 0.9 for one story, whatever the languages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

/// The answer of a related-articles request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelatedResponse {
    /// Best first.
    pub hits: Vec<RelatedHit>,
}

/// Related articles of the indexed article `id`; [`Error::NotFound`] when there is none.
pub fn related_to_id(
    index: &NewsIndex,
    cfg: &RelatedConfig,
    id: &str,
    filters: &Filters,
    limit: usize,
    languages: Languages,
) -> crate::Result<RelatedResponse> {
    let (article, vector) = index
        .get_with_vector(id)?
        .ok_or_else(|| Error::NotFound(id.to_string()))?;
    let source = Source {
        stored_vector: Some(vector).filter(|v| !v.is_empty()),
        ..Source::from_article(&article)
    };
    related(index, cfg, &source, filters, limit, languages)
}

/// Related articles of `source` among the articles matching `filters`, in the `languages`
/// asked for.
pub fn related(
    index: &NewsIndex,
    cfg: &RelatedConfig,
    source: &Source,
    filters: &Filters,
    limit: usize,
    languages: Languages,
) -> crate::Result<RelatedResponse> {
    let searcher = index.searcher();
    let f = index.fields();
    if limit == 0 {
        return Ok(RelatedResponse { hits: Vec::new() });
    }
    let stats = index.scoring_stats(&searcher);
    let signals = source.signals();
    let profile = Profile::build(&stats, index, cfg, source, signals.simhash)?;
    let mut shoulds = profile.text_clauses(f, cfg);
    shoulds.extend(profile.keyword_clauses(f.entity, &profile.entities, cfg.entity_weight));
    shoulds.extend(profile.keyword_clauses(f.tag, &profile.tags, cfg.tag_weight));
    let any_language = languages == Languages::Any;
    if shoulds.is_empty() && !any_language {
        return Ok(RelatedResponse { hits: Vec::new() });
    }
    let source_key = signals.copy_key;
    let fetch = cfg.overfetch.max(1);
    let filter_clauses = filters.clauses(f, None);
    let top = if filter_clauses.is_empty() && cfg.candidate_terms > 0 {
        // Two stages, because scoring the whole profile over every article that shares a word
        // visits a large part of the index: candidates are picked cheaply, and only they get
        // the full score. The source and its copies are among them; `select` leaves them out.
        // Text picks by a union of a few term queries, which runs with block-max WAND (it
        // skips most postings); for a short source, entities and tags also pick what shares
        // their rarest values, so it still finds neighbours that share no word with it.
        let long = profile.usable_terms >= cfg.min_terms_for_overlap;
        let k = cfg.candidates.max(fetch);
        let scoring = EnableScoring::enabled_from_statistics_provider(&stats, &searcher);
        let mut picked = Vec::new();
        for pick in [
            profile.pick_clauses(f, cfg, long),
            // A long source's neighbours must share its terms anyway (`min_shared_terms`):
            // on Reuters, keyword candidates for them moved precision@10 by 0.003 and cost
            // 0.3 ms at 1M articles.
            if long {
                Vec::new()
            } else {
                profile.rare_keyword_clauses(f, cfg, cfg.keyword_max_postings)
            },
        ] {
            if !pick.is_empty() {
                let weight = BooleanQuery::new(pick).weight(scoring)?;
                picked.extend(super::rank::top_k_by_score(&searcher, weight.as_ref(), k)?);
            }
        }
        let mut scored = full_scores(&stats, &shoulds, picked.into_iter().map(|c| c.1))?;
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(fetch);
        scored
    } else {
        let mut clauses = filter_clauses;
        let text = shoulds.iter().map(|(o, q)| (*o, q.box_clone())).collect();
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(text))));
        // Copies of the source carry its copy key: cheaper to exclude here than to hydrate.
        clauses.push((
            Occur::MustNot,
            Box::new(TermQuery::new(
                Term::from_field_u64(f.copy_key, source_key),
                IndexRecordOption::Basic,
            )),
        ));
        let weight = BooleanQuery::new(clauses).weight(
            EnableScoring::enabled_from_statistics_provider(&stats, &searcher),
        )?;
        super::rank::top_k_by_score(&searcher, weight.as_ref(), fetch)?
    };
    let uses_meaning = cfg.similarity_weight > 0.0 || cfg.consensus_weight > 0.0;
    let vector = if uses_meaning || any_language {
        source.vector()?
    } else {
        Vec::new()
    };
    let mut top = top;
    if any_language {
        // The nearest in meaning join the candidates with their lexical score (0 when they
        // share nothing scored: another language's articles).
        let window = meaning_window(filters, source.published_at, cfg.meaning_window_days);
        let clauses = window.clauses(index.fields(), None);
        let within = (!clauses.is_empty()).then(|| BooleanQuery::new(clauses));
        let near = crate::query::vectors::nearest(
            &searcher,
            within.as_ref().map(|q| q as &dyn Query),
            &vector,
            cfg.meaning_candidates,
        )?;
        let listed: HashSet<DocAddress> = top.iter().map(|t| t.1).collect();
        let fresh: Vec<DocAddress> = near
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| !listed.contains(a))
            .collect();
        let scored = full_scores(&stats, &shoulds, fresh.iter().copied())?;
        let scored_set: HashSet<DocAddress> = scored.iter().map(|t| t.1).collect();
        top.extend(scored);
        top.extend(
            fresh
                .into_iter()
                .filter(|a| !scored_set.contains(a))
                .map(|a| (0.0, a)),
        );
    }
    let mut candidates = rescore(&searcher, cfg, source, top)?;
    if uses_meaning || any_language {
        meaning::blend(&searcher, cfg, &vector, source_key, &mut candidates)?;
    }
    select(
        &searcher,
        index,
        cfg,
        &profile,
        (source_key, source.id.as_deref()),
        candidates,
        (limit, any_language),
    )
}

/// `filters` narrowed to the days within `days` of `published_at` (unchanged without a date or
/// with `days` 0): where `languages=any` looks for the nearest in meaning.
fn meaning_window(filters: &Filters, published_at: Option<DateTime<Utc>>, days: f64) -> Filters {
    let mut window = filters.clone();
    if let Some(at) = published_at.filter(|_| days > 0.0) {
        let span = chrono::Duration::seconds((days * 86_400.0) as i64);
        let (from, to) = (at - span, at + span);
        window.from = Some(window.from.map_or(from, |f| f.max(from)));
        window.to = Some(window.to.map_or(to, |t| t.min(to)));
    }
    window
}

/// The source's weighted terms, entities and tags, with their idf.
struct Profile {
    /// Top text terms, strongest first, with their query boost relative to the largest (0..=1].
    terms: Vec<(String, f32)>,
    /// The terms that pick the candidates (see [`RelatedConfig::candidate_terms`]).
    pick_terms: Vec<(String, f32)>,
    /// Usable text terms before the cut to `max_terms` (decides the overlap requirement).
    usable_terms: usize,
    /// Lowercased entity names with their idf (only names some article has).
    entities: Vec<Keyword>,
    /// Lowercased tag levels with their idf.
    tags: Vec<Keyword>,
    /// Lowercased entity names, for explanations.
    entity_set: HashSet<String>,
    /// Lowercased tag levels, for explanations.
    tag_set: HashSet<String>,
    /// SimHash and word set of the source's tokens, if long enough.
    fingerprint: Option<Fingerprint>,
    /// The source's headline and lead (see [`fingerprint::take_key`]).
    take_key: u64,
}

/// An entity name or tag level of the source with its rarity.
struct Keyword {
    /// Lowercased, as indexed.
    value: String,
    idf: f32,
    /// Articles that have it.
    df: u64,
}

/// What a list of related articles must not hold: another take of the source's story or of a
/// hit's (same headline and lead, [`fingerprint::take_key`]), or a near-duplicate of the
/// source or of a hit ([`Fingerprint::near`]). Exact copies (one `copy_key`) are told apart
/// before this, by each engine. One definition for both engines: tantivy's [`select`] and the
/// OpenSearch backend, which checks its `more_like_this` candidates with it.
pub(crate) struct StoryGuard<'c> {
    cfg: &'c RelatedConfig,
    takes: HashSet<u64>,
    // Borrowed from tantivy's profile of the source (no copy per request), owned otherwise.
    source: Option<std::borrow::Cow<'c, Fingerprint>>,
    kept: Vec<Fingerprint>,
}

impl<'c> StoryGuard<'c> {
    fn with(
        cfg: &'c RelatedConfig,
        take_key: u64,
        source: Option<std::borrow::Cow<'c, Fingerprint>>,
    ) -> Self {
        StoryGuard {
            cfg,
            takes: HashSet::from([take_key]),
            source,
            kept: Vec::new(),
        }
    }

    /// The guard of a source's list.
    pub(crate) fn new(cfg: &'c RelatedConfig, source: &Source) -> Self {
        let signals = fingerprint::signals(
            &source.title,
            source.summary.as_deref(),
            source.body.as_deref(),
        );
        let tokens = text_tokens(
            source.language,
            &source.title,
            source.summary.as_deref(),
            source.body.as_deref(),
        );
        let take = fingerprint::take_key(
            &source.title,
            source.body.as_deref().or(source.summary.as_deref()),
        );
        let fp = Fingerprint::of(tokens, signals.simhash, cfg).map(std::borrow::Cow::Owned);
        StoryGuard::with(cfg, take, fp)
    }

    /// Whether a candidate with this take key is another take of a story already listed.
    fn seen_take(&self, take: u64) -> bool {
        self.takes.contains(&take)
    }

    /// Lists a candidate unless it is another take or a near-duplicate; whether it was.
    fn admit(&mut self, take: u64, fp: Option<Fingerprint>) -> bool {
        if self.seen_take(take) {
            return false;
        }
        if let Some(fp) = &fp {
            let near = |k: &Fingerprint| k.near(fp, self.cfg);
            if self.source.as_deref().is_some_and(near) || self.kept.iter().any(near) {
                return false;
            }
        }
        self.kept.extend(fp);
        self.takes.insert(take);
        true
    }

    /// [`StoryGuard::admit`] for a stored article, its signals computed from its text.
    pub(crate) fn admit_article(&mut self, article: &Article) -> bool {
        let take = fingerprint::take_key(
            &article.title,
            article.body.as_deref().or(article.summary.as_deref()),
        );
        if self.seen_take(take) {
            return false;
        }
        let tokens = text_tokens(
            document::analysis_language(article),
            &article.title,
            article.summary.as_deref(),
            article.body.as_deref(),
        );
        let fp = Fingerprint::of(tokens, document::simhash(article), self.cfg);
        self.admit(take, fp)
    }
}

/// What near-duplicates are told by.
#[derive(Clone)]
struct Fingerprint {
    simhash: u64,
    words: WordSet,
}

/// The distinct tokens of a text (ahash: keyed, the words come from clients).
type WordSet = HashSet<String, ahash::RandomState>;

impl Fingerprint {
    /// `None` for a text too short to tell copies apart. `simhash` is the text's
    /// [`TextSignals::simhash`], kept at ingest for indexed articles.
    fn of(tokens: Vec<String>, simhash: u64, cfg: &RelatedConfig) -> Option<Fingerprint> {
        let count = tokens.len();
        Fingerprint::of_words(tokens.into_iter().collect(), count, simhash, cfg)
    }

    /// [`Fingerprint::of`] a text's distinct tokens, of `tokens` in all.
    fn of_words(
        words: WordSet,
        tokens: usize,
        simhash: u64,
        cfg: &RelatedConfig,
    ) -> Option<Fingerprint> {
        (tokens >= cfg.simhash_min_tokens).then_some(Fingerprint { simhash, words })
    }

    fn near(&self, other: &Fingerprint, cfg: &RelatedConfig) -> bool {
        if (self.simhash ^ other.simhash).count_ones() <= cfg.near_duplicate_distance {
            return true;
        }
        let common = self.words.intersection(&other.words).count();
        let union = self.words.len() + other.words.len() - common;
        common as f32 >= cfg.near_duplicate_jaccard * union as f32
    }
}

impl Profile {
    fn build(
        stats: &CachedStats<'_>,
        index: &NewsIndex,
        cfg: &RelatedConfig,
        source: &Source,
        simhash: u64,
    ) -> crate::Result<Profile> {
        let f = index.fields();
        let n = stats.searcher().num_docs().max(1) as f32;
        let idf = |df: u64| (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();

        let mut tf: HashMap<String, f32> = HashMap::new();
        let mut add = |text: &str, w: f32| {
            for t in tokens(text, source.language) {
                if usable(&t) {
                    *tf.entry(t).or_default() += w;
                }
            }
        };
        add(&source.title, cfg.title_weight);
        if let Some(s) = &source.summary {
            add(s, cfg.summary_weight);
        }
        if let Some(b) = &source.body {
            add(b, 1.0);
        }
        let mut scored = Vec::with_capacity(tf.len());
        for (term, count) in tf {
            // A term's rarity is taken where it is most frequent: most text is body text.
            let df = [f.body, f.title, f.summary]
                .iter()
                .map(|field| stats.doc_freq(&Term::from_field_text(*field, &term)))
                .collect::<tantivy::Result<Vec<u64>>>()?
                .into_iter()
                .max()
                .unwrap_or(0);
            // `df == 0`: no article has it (a draft's word), so it cannot match anything.
            if df == 0 || df as f32 > cfg.max_df_ratio * n {
                continue;
            }
            let (tf, idf) = (1.0 + count.ln(), idf(df));
            scored.push((term, tf * idf, tf * idf.powf(cfg.boost_idf_power), df));
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let usable_terms = scored.len();
        scored.truncate(cfg.max_terms);
        let top = scored.iter().map(|t| t.2).fold(f32::MIN_POSITIVE, f32::max);
        let terms: Vec<(String, f32)> = scored
            .iter()
            .map(|(t, _, b, _)| (t.clone(), b / top))
            .collect();

        // The picking terms: the strongest, less the most common ones while their posting
        // lists together exceed the budget. Block-max WAND skips little over long lists of
        // flat scores: a title-only source of eight everyday words took 10-20 ms to pick from
        // at 1M articles, the whole p99. (Leaving out terms by their share of articles
        // instead cost precision on Reuters, where the topic's own words are common.)
        let mut pick: Vec<usize> = (0..scored.len().min(cfg.candidate_terms)).collect();
        let mut postings: u64 = pick.iter().map(|&i| scored[i].3).sum();
        while postings > cfg.candidate_max_postings && pick.len() > cfg.min_candidate_terms {
            let commonest = (0..pick.len())
                .max_by_key(|&p| (scored[pick[p]].3, pick[p]))
                .expect("pick is not empty");
            postings -= scored[pick.remove(commonest)].3;
        }
        let pick_terms = pick.into_iter().map(|i| terms[i].clone()).collect();

        let keyword_idf = |field: Field, values: &HashSet<String>| -> crate::Result<Vec<Keyword>> {
            let mut out = Vec::new();
            for v in values {
                let df = stats.doc_freq(&Term::from_field_text(field, v))?;
                let common = df as f32 > cfg.max_keyword_df_ratio * n && df > MIN_COMMON_KEYWORD_DF;
                if df > 0 && !common {
                    out.push(Keyword {
                        value: v.clone(),
                        idf: idf(df),
                        df,
                    });
                }
            }
            out.sort_by(|a, b| a.value.cmp(&b.value));
            Ok(out)
        };
        let entity_set: HashSet<String> = source
            .entities
            .iter()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        let tag_set: HashSet<String> = document::tag_levels(&source.tags)
            .into_iter()
            .map(str::to_lowercase)
            .collect();
        let source_tokens = text_tokens(
            source.language,
            &source.title,
            source.summary.as_deref(),
            source.body.as_deref(),
        );
        let fingerprint = Fingerprint::of(source_tokens, simhash, cfg);
        Ok(Profile {
            terms,
            pick_terms,
            usable_terms,
            entities: keyword_idf(f.entity, &entity_set)?,
            tags: keyword_idf(f.tag, &tag_set)?,
            entity_set,
            tag_set,
            fingerprint,
            take_key: fingerprint::take_key(
                &source.title,
                source.body.as_deref().or(source.summary.as_deref()),
            ),
        })
    }

    /// One boosted `Should` per term and text field.
    fn text_clauses(
        &self,
        f: &crate::index::Fields,
        cfg: &RelatedConfig,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        term_clauses(&self.terms, &text_fields(f, cfg))
    }

    /// The picking terms: for a `long` source on the body alone, which restates the headline
    /// (a third of the scorers make block-max WAND much faster, and the full score comes
    /// afterwards); for a short one, whose words may be all there is, in every text field.
    fn pick_clauses(
        &self,
        f: &crate::index::Fields,
        cfg: &RelatedConfig,
        long: bool,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        if long {
            term_clauses(&self.pick_terms, &[(f.body, 1.0)])
        } else {
            term_clauses(&self.pick_terms, &text_fields(f, cfg))
        }
    }

    /// One constant-score `Should` per keyword value, worth `weight × idf`.
    fn keyword_clauses(
        &self,
        field: Field,
        values: &[Keyword],
        weight: f32,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        if weight <= 0.0 {
            return Vec::new();
        }
        values
            .iter()
            .map(|k| {
                let q = TermQuery::new(
                    Term::from_field_text(field, &k.value),
                    IndexRecordOption::Basic,
                );
                (
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(Box::new(q), weight * k.idf)) as Box<dyn Query>,
                )
            })
            .collect()
    }

    /// The keyword clauses of the rarest entities and tags whose articles together fit in
    /// `budget`: candidates that share them are found by visiting every one of those articles
    /// (a union of constant scores cannot skip), so only rare values are worth it.
    fn rare_keyword_clauses(
        &self,
        f: &crate::index::Fields,
        cfg: &RelatedConfig,
        budget: u64,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let mut all: Vec<(Field, &Keyword, f32)> = self
            .entities
            .iter()
            .map(|k| (f.entity, k, cfg.entity_weight))
            .chain(self.tags.iter().map(|k| (f.tag, k, cfg.tag_weight)))
            .filter(|(_, _, w)| *w > 0.0)
            .collect();
        all.sort_by(|a, b| a.1.df.cmp(&b.1.df).then(a.1.value.cmp(&b.1.value)));
        let mut spent = 0;
        let mut out = Vec::new();
        for (field, k, weight) in all {
            spent += k.df;
            if spent > budget {
                break;
            }
            out.extend(self.keyword_clauses(field, std::slice::from_ref(k), weight));
        }
        out
    }
}

/// The text fields with their query-time boosts.
fn text_fields(f: &crate::index::Fields, cfg: &RelatedConfig) -> [(Field, f32); 3] {
    [
        (f.title, cfg.title_boost),
        (f.summary, cfg.summary_boost),
        (f.body, 1.0),
    ]
}

/// One `Should` per term and field, boosted by the term's weight times the field's boost.
fn term_clauses(terms: &[(String, f32)], fields: &[(Field, f32)]) -> Vec<(Occur, Box<dyn Query>)> {
    let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (term, w) in terms {
        for &(field, boost) in fields {
            let q = TermQuery::new(
                Term::from_field_text(field, term),
                IndexRecordOption::WithFreqs,
            );
            out.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(q), w * boost)),
            ));
        }
    }
    out
}

/// The score `clauses` (a union of `Should`s) give each document of `docs`, as the whole
/// query would: each clause's scorer is moved forward to the documents in order.
fn full_scores(
    stats: &CachedStats<'_>,
    clauses: &[(Occur, Box<dyn Query>)],
    docs: impl Iterator<Item = DocAddress>,
) -> crate::Result<Vec<(f32, DocAddress)>> {
    full_scores_on(super::exec::workers(stats.searcher()), stats, clauses, docs)
}

/// [`full_scores`] with `threads` of `executor`.
fn full_scores_on(
    (executor, threads): (&tantivy::Executor, usize),
    stats: &CachedStats<'_>,
    clauses: &[(Occur, Box<dyn Query>)],
    docs: impl Iterator<Item = DocAddress>,
) -> crate::Result<Vec<(f32, DocAddress)>> {
    let searcher = stats.searcher();
    let scoring = EnableScoring::enabled_from_statistics_provider(stats, searcher);
    let weights = clauses
        .iter()
        .map(|(_, q)| q.weight(scoring))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut by_segment: BTreeMap<u32, Vec<DocId>> = BTreeMap::new();
    for addr in docs {
        by_segment
            .entry(addr.segment_ord)
            .or_default()
            .push(addr.doc_id);
    }
    // Every clause's postings are searched for every candidate (250 candidates, some 80
    // clauses): while a core is idle, each thread takes a share of the candidates with
    // scorers of its own.
    let segments: Vec<(u32, Vec<DocId>)> = by_segment
        .into_iter()
        .map(|(segment_ord, mut docs)| {
            docs.sort_unstable();
            docs.dedup();
            (segment_ord, docs)
        })
        .collect();
    let counts: Vec<u32> = segments.iter().map(|(_, docs)| docs.len() as u32).collect();
    let shares = super::rank::pieces(&counts, threads, MIN_SCORING_SHARE);
    let scored = super::exec::map(executor, shares, |(i, share)| {
        let (segment_ord, docs) = &segments[i as usize];
        let docs = &docs[share.start as usize..share.end as usize];
        let reader = searcher.segment_reader(*segment_ord);
        let mut scorers = weights
            .iter()
            .map(|w| w.scorer(reader, 1.0))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(docs.len());
        for &doc in docs {
            let mut score = 0.0;
            for scorer in &mut scorers {
                if scorer.doc() < doc {
                    scorer.seek(doc);
                }
                if scorer.doc() == doc {
                    score += scorer.score();
                }
            }
            if score > 0.0 {
                out.push((score, DocAddress::new(*segment_ord, doc)));
            }
        }
        Ok(out)
    })?;
    Ok(scored.into_iter().flatten().collect())
}

/// Candidates a thread scores at least when [`full_scores`] shares them out: each thread
/// opens every clause's postings anew.
const MIN_SCORING_SHARE: u32 = 64;

/// A candidate after re-scoring.
struct Candidate {
    /// Words, entities and tags times the time decay; then [`meaning::blend`]'s.
    score: f32,
    addr: DocAddress,
    copy_key: Option<u64>,
    simhash: Option<u64>,
    /// Cosine with the source's vector, once [`meaning::blend`] has run.
    similarity: Option<f32>,
}

/// Multiplies each score by the time decay (fast columns, no hydration) and re-sorts.
fn rescore(
    searcher: &Searcher,
    cfg: &RelatedConfig,
    source: &Source,
    top: Vec<(f32, DocAddress)>,
) -> crate::Result<Vec<Candidate>> {
    type Columns = (
        Option<Column<tantivy::DateTime>>,
        Option<Column<u64>>,
        Option<Column<u64>>,
    );
    let mut columns: HashMap<u32, Columns> = HashMap::new();
    let mut out = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let (dates, keys, hashes) = columns.entry(addr.segment_ord).or_insert_with(|| {
            let ff = searcher.segment_reader(addr.segment_ord).fast_fields();
            (
                ff.date("published_at").ok(),
                ff.u64("copy_key").ok(),
                ff.u64("simhash").ok(),
            )
        });
        let when = dates.as_ref().and_then(|c| c.first(addr.doc_id));
        let copy_key = keys.as_ref().and_then(|c| c.first(addr.doc_id));
        let simhash = hashes.as_ref().and_then(|c| c.first(addr.doc_id));
        let factor = match (source.published_at, when) {
            (Some(a), Some(b)) if cfg.half_life_days > 0.0 => {
                let b = document::from_tantivy_date(b);
                let days = (a - b).num_seconds().unsigned_abs() as f64 / 86_400.0;
                let decay = 0.5f64.powf(days / cfg.half_life_days) as f32;
                cfg.time_floor + (1.0 - cfg.time_floor) * decay
            }
            _ => 1.0,
        };
        out.push(Candidate {
            score: score * factor,
            addr,
            copy_key,
            simhash,
            similarity: None,
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.addr.cmp(&b.addr)));
    Ok(out)
}

/// Walks the candidates best first, hydrating each, and keeps those that are neither copies
/// nor near-duplicates and share enough text, until `limit`.
fn select(
    searcher: &Searcher,
    index: &NewsIndex,
    cfg: &RelatedConfig,
    profile: &Profile,
    (source_key, source_id): (u64, Option<&str>),
    candidates: Vec<Candidate>,
    (limit, any_language): (usize, bool),
) -> crate::Result<RelatedResponse> {
    let f = index.fields();
    let mut seen_keys: HashSet<u64> = HashSet::from([source_key]);
    // Another take of a story (a short and a long version) has its headline and lead; a
    // candidate near the source or a hit is a copy.
    let mut guard = StoryGuard::with(
        cfg,
        profile.take_key,
        profile.fingerprint.as_ref().map(std::borrow::Cow::Borrowed),
    );
    let need = if profile.usable_terms >= cfg.min_terms_for_overlap {
        let share = (cfg.min_shared_share * profile.terms.len() as f32).ceil() as usize;
        share.clamp(1, cfg.min_shared_terms.max(1))
    } else {
        0
    };
    let mut hits = Vec::new();
    for c in candidates {
        if hits.len() >= limit {
            break;
        }
        if c.copy_key.is_some_and(|k| seen_keys.contains(&k)) {
            continue;
        }
        let article = document::article_at(searcher, c.addr, f)?;
        if source_id.is_some_and(|id| id == article.id) {
            continue;
        }
        let take = fingerprint::take_key(
            &article.title,
            article.body.as_deref().or(article.summary.as_deref()),
        );
        if guard.seen_take(take) {
            continue;
        }
        let toks = text_tokens(
            document::analysis_language(&article),
            &article.title,
            article.summary.as_deref(),
            article.body.as_deref(),
        );
        // One set of the candidate's words: for the shared terms, then its fingerprint.
        let count = toks.len();
        let words: WordSet = toks.into_iter().collect();
        let shared_terms: Vec<String> = profile
            .terms
            .iter()
            .filter(|(t, _)| words.contains(t.as_str()))
            .map(|(t, _)| t.clone())
            .collect();
        // Closeness in meaning stands in for shared words: with `languages=any` for another
        // language's article, which cannot have them; in the source's language at a higher
        // bar, for a language the index has few articles of (its shared words are its
        // commonest, and may miss a short source's top terms).
        let near_in_meaning = c.similarity.is_some_and(|s| {
            s >= if any_language {
                cfg.min_similarity
            } else {
                cfg.same_language_min_similarity
            }
        });
        if shared_terms.len() < need && !near_in_meaning {
            continue;
        }
        let simhash = c.simhash.unwrap_or_else(|| document::simhash(&article));
        if !guard.admit(take, Fingerprint::of_words(words, count, simhash, cfg)) {
            continue;
        }
        seen_keys.insert(c.copy_key.unwrap_or_else(|| document::copy_key(&article)));
        hits.push(explain(profile, cfg, article, &c, shared_terms));
    }
    Ok(RelatedResponse { hits })
}

fn explain(
    profile: &Profile,
    cfg: &RelatedConfig,
    article: Article,
    candidate: &Candidate,
    mut shared_terms: Vec<String>,
) -> RelatedHit {
    let (shared_entities, shared_tags) =
        shared_keywords(&article, &profile.entity_set, &profile.tag_set);
    shared_terms.truncate(cfg.explain_terms);
    RelatedHit {
        published_at: article
            .published_at
            .as_ref()
            .map(crate::article::date::format_datetime),
        id: article.id,
        title: article.title,
        score: candidate.score,
        shared_entities,
        shared_tags,
        shared_terms,
        similarity: candidate.similarity,
    }
}

/// The entities (as the article spells them, each once) and tags of `article` that the source
/// has (`entities` and `tags`: the source's, lowercased; tags by every level), for a hit's
/// explanation. Of tags, the most specific shared level is reported: `world/asia`, not also
/// `world`. One definition for both engines.
pub(crate) fn shared_keywords(
    article: &Article,
    entities: &HashSet<String>,
    tags: &HashSet<String>,
) -> (Vec<String>, Vec<String>) {
    let mut shared_entities: Vec<String> = Vec::new();
    for e in &article.entities {
        if entities.contains(&e.name.trim().to_lowercase()) && !shared_entities.contains(&e.name) {
            shared_entities.push(e.name.clone());
        }
    }
    let levels: Vec<&str> = document::tag_levels(&article.tags)
        .into_iter()
        .filter(|l| tags.contains(&l.to_lowercase()))
        .collect();
    let shared_tags = levels
        .iter()
        .filter(|l| {
            let prefix = format!("{l}/");
            !levels.iter().any(|o| o.starts_with(&prefix))
        })
        .map(|l| l.to_string())
        .collect();
    (shared_entities, shared_tags)
}

/// The index's analyzer of `lang` over one text. The thread's analyzer is kept (its stems
/// with it): one made for each text stemmed every word of every candidate anew, and filled a
/// map with them, 7% of a related request's instructions at 1M articles.
pub(crate) fn tokens(text: &str, lang: Lang) -> Vec<String> {
    crate::analysis::with_analyzer(lang, crate::analysis::Mode::Index, |analyzer| {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    })
}

/// The tokens of title, summary and body, in order.
fn text_tokens(lang: Lang, title: &str, summary: Option<&str>, body: Option<&str>) -> Vec<String> {
    let mut out = tokens(title, lang);
    for t in [summary, body].into_iter().flatten() {
        out.extend(tokens(t, lang));
    }
    out
}

/// Whether a token may characterise an article: numbers and single letters say nothing about
/// the subject (and figures in wire copy are rare enough to look characteristic).
fn usable(t: &str) -> bool {
    t.chars().count() >= 2 && !t.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(text: &str, cfg: &RelatedConfig) -> Option<Fingerprint> {
        let simhash = fingerprint::signals(text, None, None).simhash;
        Fingerprint::of(tokens(text, Lang::ENGLISH), simhash, cfg)
    }

    #[test]
    fn one_changed_word_is_a_near_duplicate() {
        let cfg = RelatedConfig::default();
        let text = "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early January and improving prospects for the coming temporao harvest, although normal humidity levels have not been restored, Comissaria Smith said in its weekly review.";
        let a = fingerprint(text, &cfg).unwrap();
        let b = fingerprint(&text.replace("weekly", "monthly"), &cfg).unwrap();
        let c = fingerprint("The drought in the Bahia cocoa zone cut arrivals of beans again this week, exporters said, and farmers holding cocoa on consignment were reluctant to sell.", &cfg).unwrap();
        assert!(a.near(&b, &cfg));
        assert!(!a.near(&c, &cfg));
        assert!(fingerprint("Too short to tell", &cfg).is_none());
    }

    /// Candidates shared out among threads get the scores one thread gives them all.
    #[test]
    fn candidates_scored_by_several_threads_score_as_by_one() {
        let words = ["tariff", "steel", "quota", "import", "duty", "mill"];
        let bodies = |batch: usize| {
            (0..300)
                .map(|i| {
                    let n = batch * 300 + i;
                    (0..=(n % 9))
                        .map(|j| words[(n * 7 + j * j) % words.len()])
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        };
        let index = crate::index::test_support::index_of_bodies((0..2).map(bodies));
        let searcher = index.searcher();
        let stats = index.scoring_stats(&searcher);
        let terms: Vec<(String, f32)> = words.iter().map(|w| (w.to_string(), 0.8)).collect();
        let clauses = term_clauses(&terms, &[(index.fields().body, 1.0)]);
        let docs: Vec<DocAddress> = (0..2)
            .flat_map(|s| (0..300).rev().map(move |d| DocAddress::new(s, d)))
            .collect();
        let sorted = |mut v: Vec<(f32, DocAddress)>| {
            v.sort_by_key(|h| h.1);
            v
        };
        let one = full_scores_on(
            (&tantivy::Executor::SingleThread, 1),
            &stats,
            &clauses,
            docs.iter().copied(),
        )
        .expect("one thread");
        assert_eq!(one.len(), 600);
        let pool = tantivy::Executor::multi_thread(2, "test-scores").expect("pool");
        for threads in [2, 3, 7, 20] {
            let shared = full_scores_on((&pool, threads), &stats, &clauses, docs.iter().copied())
                .expect("shared");
            assert_eq!(sorted(shared), sorted(one.clone()), "{threads} threads");
        }
    }

    #[test]
    fn numbers_and_letters_are_not_characteristic() {
        assert!(!usable("1987"));
        assert!(!usable("a"));
        assert!(usable("cocoa"));
        assert!(usable("g7"));
    }
}
