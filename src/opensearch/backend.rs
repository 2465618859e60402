//! [`OpenSearchBackend`] as a [`Backend`]: what the HTTP layer asks of an index, answered by an
//! OpenSearch cluster.
//!
//! - **Writes**: [`Backend::prepare`] builds the document's JSON (the CPU-bound half);
//!   [`Backend::apply`] sends a group as one `_bulk` request. A durable group is sent with
//!   `refresh=wait_for`, so a `200` means "durable and visible" as on tantivy (OpenSearch's
//!   translog is fsynced before it acknowledges, `index.translog.durability: request`). A
//!   non-durable group (the chunks of an upload) is sent at once without a refresh, so its
//!   per-item errors are known when it is staged; the durable call that ends the upload then
//!   refreshes the index once (`POST /{index}/_refresh`) if anything was sent without one.
//!   Every write carries `wait_for_active_shards` ([`super::client::wait_for_active_shards`]):
//!   with one replica, a write proceeds only when the primary and a replica are active, and
//!   OpenSearch acknowledges it only once every in-sync copy has it, so an acknowledged write
//!   is on two nodes and survives the loss of any one node of a three-node cluster. Items that
//!   OpenSearch refuses are [`Applied::failed`], the others are applied (as per-line errors
//!   of an upload, or a 500/503 for a single `PUT`).
//! - **Related**: `more_like_this` on the source's text fields (its language family's), with
//!   its entities and tags as extra `should` clauses, the request's filters, a time decay
//!   around its date (`function_score`), the article itself and its copies (`copy_key`)
//!   excluded and the rest collapsed by `copy_key`. No SimHash near-duplicate check and no
//!   per-term overlap rule: precision is OpenSearch's. `shared_terms` are the source's most
//!   frequent words (analysed by newsindex's rules) that the hit has too.
//! - **Suggest**: the completion suggester on the `suggest` field (fuzzy: one edit from 4
//!   letters as `AUTO` allows, the first letter right), each completion classified as the
//!   article's title, an entity, an author or a tag by the input it matched; counts of
//!   entities, authors and tags from one aggregation; `language` keeps titles of that language
//!   only (filtered from a larger set of completions).
//! - **Export**: a point in time and `search_after` on `id`, 1 000 articles a page, streamed.
//! - **Backups**: not ours: OpenSearch snapshots (`_snapshot`) copy a cluster's indexes.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{reason, segment, unavailable, Method, MAX_ID_BYTES};
use super::mapping::{self, family, TEXT_FIELDS};
use super::translate::filter_clauses;
use super::OpenSearchBackend;
use crate::article::date::format_datetime;
use crate::article::Article;
use crate::backend::{
    Applied, Backend, BackupReport, BoxFuture, IndexStats, Prepared, PreparedWrite, Write,
    WriteFailure, WriteOutcome,
};
use crate::config::SearchConfig;
use crate::index::document::tag_levels;
use crate::query::plan::{RelatedOf, RelatedPlan, SuggestPlan};
use crate::query::related::{RelatedConfig, RelatedHit, RelatedResponse, Source, StoryGuard};
use crate::query::suggest::{mark, typed_words, SuggestResponse, Suggestion, SuggestionKind};
use crate::query::{Filters, SearchPlan, SearchResponse};
use crate::Error;

/// Articles per page of an export.
const EXPORT_PAGE: usize = 1_000;
/// How long `writable` trusts its last look at the cluster.
const HEALTH_TTL: Duration = Duration::from_secs(1);
/// Completions asked for per suggestion wanted (a `language` filter drops some).
const SUGGEST_OVERFETCH: usize = 4;

/// What a write refused by a write block is answered (a `503` with `Retry-After`): the block
/// that `newsindex reindex` puts on the old index while it catches up and moves the alias
/// lasts a few requests' time (under a second on an idle node), and the retry then goes to
/// the new index.
pub const BLOCKED: &str = "the index is blocked for writes for a moment (`newsindex reindex` \
     is switching it to a rebuilt index, or an operator blocked it); retry shortly";

/// One action of a `_bulk` request, made by [`Backend::prepare`].
pub struct BulkOp {
    id: String,
    /// The document's JSON; `None` for a delete.
    doc: Option<String>,
}

impl OpenSearchBackend {
    /// The count of articles visible to searches.
    fn count(&self) -> crate::Result<u64> {
        let path = format!("/{}/_count", segment(self.index()));
        let (status, body) = self.client().request(Method::Get, &path, None)?;
        if status != 200 {
            return Err(unavailable(format!("count: {}", reason(status, &body))));
        }
        Ok(body["count"].as_u64().unwrap_or(0))
    }

    /// The cluster's health of this index: `green`, `yellow`, `red`.
    fn index_health(&self) -> crate::Result<String> {
        let path = format!(
            "/_cluster/health/{}?filter_path=status",
            segment(self.index())
        );
        let (status, body) = self.client().request(Method::Get, &path, None)?;
        if status != 200 {
            return Err(unavailable(format!("health: {}", reason(status, &body))));
        }
        Ok(body["status"].as_str().unwrap_or("red").to_string())
    }

    /// Whether the index takes writes: reachable, not red, no write block.
    fn check_writable(&self) -> bool {
        if !matches!(self.index_health().as_deref(), Ok("green" | "yellow")) {
            return false;
        }
        let path = format!(
            "/{}/_settings/index.blocks.*?flat_settings=true",
            segment(self.index())
        );
        match self.client().request(Method::Get, &path, None) {
            Ok((200, body)) => !body.as_object().is_some_and(|m| {
                m.values().any(|i| {
                    ["index.blocks.write", "index.blocks.read_only"]
                        .iter()
                        .any(|k| i["settings"][*k] == json!("true"))
                })
            }),
            _ => false,
        }
    }

    /// Sends one `_bulk` request; the outcome of each op.
    fn send_bulk(&self, ops: &[BulkOp], refresh: bool) -> crate::Result<Applied> {
        let mut outcomes = vec![WriteOutcome::NotFound; ops.len()];
        let mut failed = Vec::new();
        let mut ndjson = String::new();
        let mut sent = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            if op.id.len() > MAX_ID_BYTES {
                // No such article can be stored: a delete finds nothing (an upsert was refused
                // by `prepare`).
                continue;
            }
            let action = if op.doc.is_some() { "index" } else { "delete" };
            ndjson.push_str(&json!({ action: {"_id": op.id} }).to_string());
            ndjson.push('\n');
            if let Some(doc) = &op.doc {
                ndjson.push_str(doc);
                ndjson.push('\n');
            }
            sent.push(i);
        }
        if sent.is_empty() {
            if refresh {
                self.refresh_if_needed()?;
            }
            return Ok(Applied {
                outcomes,
                epoch: 0,
                failed,
            });
        }
        if !refresh {
            self.unrefreshed.store(true, Ordering::SeqCst);
        }
        let path = format!(
            "/{}/_bulk?{}",
            segment(self.index()),
            self.write_params(refresh)
        );
        let (status, body) =
            self.client()
                .request(Method::Post, &path, Some(("application/x-ndjson", ndjson)))?;
        if status == 429 {
            return Err(Error::Overloaded);
        }
        if status != 200 {
            let why = format!("opensearch: bulk write: {}", reason(status, &body));
            // A cluster that is recovering (no manager, shards unassigned) answers 503/504.
            return Err(if matches!(status, 502..=504) {
                Error::Unavailable(why)
            } else {
                unavailable(why)
            });
        }
        let items = body["items"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if items.len() != sent.len() {
            return Err(unavailable(format!(
                "bulk write answered {} items for {} writes",
                items.len(),
                sent.len()
            )));
        }
        for (item, &i) in items.iter().zip(&sent) {
            let Some((_, result)) = item.as_object().and_then(|m| m.iter().next()) else {
                return Err(unavailable(format!("bulk write: odd item {item}")));
            };
            let status = result["status"].as_u64().unwrap_or(0);
            outcomes[i] = match result["result"].as_str() {
                Some("created") => WriteOutcome::Created,
                Some("updated") => WriteOutcome::Updated,
                Some("deleted") => WriteOutcome::Deleted,
                Some("not_found") => WriteOutcome::NotFound,
                _ => {
                    let why = result["error"]["reason"]
                        .as_str()
                        .map_or_else(|| result["error"].to_string(), String::from);
                    let blocked = result["error"]["type"] == json!("cluster_block_exception");
                    let reason = if blocked {
                        format!("{BLOCKED}; OpenSearch said: {why}")
                    } else {
                        format!("OpenSearch refused it: {why}")
                    };
                    failed.push(WriteFailure {
                        position: i,
                        reason,
                        busy: status == 429,
                        // A write block, or too few active copies of the shard (503: a node
                        // was lost and no copy is back yet, see `wait_for_active_shards`).
                        blocked: blocked || status == 503,
                    });
                    WriteOutcome::Failed
                }
            };
        }
        Ok(Applied {
            outcomes,
            epoch: 0,
            failed,
        })
    }

    /// Makes what was sent without a refresh visible.
    fn refresh_if_needed(&self) -> crate::Result<()> {
        if !self.unrefreshed.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let path = format!("/{}/_refresh", segment(self.index()));
        match self.client().request(Method::Post, &path, None) {
            Ok((200, _)) => Ok(()),
            Ok((status, body)) => {
                self.unrefreshed.store(true, Ordering::SeqCst);
                Err(unavailable(format!("refresh: {}", reason(status, &body))))
            }
            Err(e) => {
                self.unrefreshed.store(true, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    fn search_json(&self, body: &Value) -> crate::Result<Value> {
        let path = format!("/{}/_search", segment(self.index()));
        let (status, answer) = self.client().json(Method::Post, &path, body)?;
        if status != 200 {
            return Err(unavailable(format!("search: {}", reason(status, &answer))));
        }
        Ok(answer)
    }

    /// The store of the index: bytes of the primaries, segments.
    fn store_stats(&self) -> crate::Result<(u64, usize)> {
        let path = format!(
            "/{}/_stats/store,segments?filter_path=_all.primaries",
            segment(self.index())
        );
        let (status, body) = self.client().request(Method::Get, &path, None)?;
        if status != 200 {
            return Err(unavailable(format!("stats: {}", reason(status, &body))));
        }
        let p = &body["_all"]["primaries"];
        Ok((
            p["store"]["size_in_bytes"].as_u64().unwrap_or(0),
            p["segments"]["count"].as_u64().unwrap_or(0) as usize,
        ))
    }

    fn related_of(
        &self,
        cfg: &RelatedConfig,
        source: &Source,
        copy_key: u64,
        filters: &Filters,
        limit: usize,
    ) -> crate::Result<RelatedResponse> {
        if limit == 0 {
            return Ok(RelatedResponse { hits: Vec::new() });
        }
        let fam = family(source.language);
        let mut text = serde_json::Map::new();
        text.insert("title".into(), json!(source.title));
        if let Some(s) = &source.summary {
            text.insert("summary".into(), json!(s));
        }
        if let Some(b) = &source.body {
            text.insert("body".into(), json!(b));
        }
        let fields: Vec<String> = TEXT_FIELDS
            .iter()
            .map(|(name, _)| format!("text.{fam}.{name}"))
            .collect();
        let source_terms = characteristic_terms(source);
        // As on tantivy, a hit must share words with a source that has enough of them: a
        // shared entity or tag alone brings stories on other subjects. A short source may be
        // matched by its entities alone. Not in Chinese, Japanese and Korean: OpenSearch reads
        // them as character pairs, whose `more_like_this` share on a short text is no measure.
        let text_required =
            !source.language.is_cjk() && source_terms.len() >= cfg.min_terms_for_overlap;
        let mlt = json!({"more_like_this": {
            "fields": fields,
            "like": [{"_index": self.index(), "doc": {"text": {fam: text}}}],
            "min_term_freq": 1,
            // A stored source's words found in no other article (document frequency 1, the
            // source itself) cannot bring a neighbour, yet rank first by idf and crowd out
            // the shared ones; a draft is not in the index, so one article is enough.
            "min_doc_freq": if source.id.is_some() { 2 } else { 1 },
            "max_query_terms": cfg.max_terms,
            "minimum_should_match": "2<25%",
        }});
        let mut should = if text_required {
            Vec::new()
        } else {
            vec![mlt.clone()]
        };
        let entities: Vec<String> = source
            .entities
            .iter()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        if !entities.is_empty() {
            should.push(json!({"constant_score": {
                "filter": {"terms": {"entity_names.lower": entities}},
                "boost": cfg.entity_weight * 4.0,
            }}));
        }
        let tags: Vec<String> = tag_levels(&source.tags)
            .into_iter()
            .map(str::to_lowercase)
            .collect();
        let must = if text_required {
            vec![mlt]
        } else {
            vec![json!({"bool": {"should": should.clone(), "minimum_should_match": 1}})]
        };
        let mut bool_q = json!({"bool": {
            "must": must,
            "must_not": [{"term": {"copy_key": copy_key.to_string()}}],
            "filter": filter_clauses(filters),
        }});
        if let Some(id) = &source.id {
            bool_q["bool"]["must_not"]
                .as_array_mut()
                .expect("array")
                .push(json!({"ids": {"values": [id]}}));
        }
        let mut boosts: Vec<Value> = if text_required { should } else { Vec::new() };
        if !tags.is_empty() {
            boosts.push(json!({"constant_score": {
                "filter": {"terms": {"tag_paths.lower": tags}},
                "boost": cfg.tag_weight,
            }}));
        }
        if !boosts.is_empty() {
            bool_q["bool"]["should"] = json!(boosts);
        }
        let query = match source.published_at {
            Some(at) if cfg.half_life_days > 0.0 => {
                let floor = cfg.time_floor.clamp(0.0, 1.0);
                json!({"function_score": {
                    "query": bool_q,
                    "functions": [
                        {"exp": {"published_at": {
                            "origin": at.timestamp_millis(),
                            "scale": format!("{}h", (cfg.half_life_days * 24.0).round().max(1.0)),
                            "decay": 0.5,
                        }}, "weight": 1.0 - floor},
                        {"weight": floor},
                    ],
                    "score_mode": "sum",
                    "boost_mode": "multiply",
                }})
            }
            _ => bool_q,
        };
        let body = json!({
            "query": query,
            // Room for the candidates the story guard drops (other takes, near-duplicates).
            "size": limit * 2 + 10,
            "collapse": {"field": "copy_key"},
            "_source": {"excludes": ["suggest", "tag_paths", "entity_typed", "entity_types"]},
        });
        let answer = self.search_json(&body)?;
        let entity_set: HashSet<String> = entities.into_iter().collect();
        let tag_set: HashSet<String> = tags.into_iter().collect();
        let mut hits = Vec::new();
        let mut guard = StoryGuard::new(cfg, source);
        // No vectors are kept on OpenSearch: the hits' similarity is computed here, for the
        // explanation (the ranking is more_like_this's).
        let source_vector = source.vector()?;
        for h in answer["hits"]["hits"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            if hits.len() >= limit {
                break;
            }
            let article = mapping::article_of_source(&h["_source"])?;
            if !guard.admit_article(&article) {
                continue;
            }
            let score = h["_score"].as_f64().unwrap_or(0.0) as f32;
            let similarity = crate::embed::cosine_quantized(
                &source_vector,
                &crate::index::document::embedding(&article)?,
            );
            let mut hit = explain(
                cfg,
                article,
                score,
                &entity_set,
                &tag_set,
                &source_terms,
                source.language,
            );
            hit.similarity = Some(similarity);
            hits.push(hit);
        }
        Ok(RelatedResponse { hits })
    }
}

/// The source's words by weighted frequency (title ×3, summary ×2), as newsindex analyses them.
fn characteristic_terms(source: &Source) -> Vec<String> {
    let mut weights: HashMap<String, f32> = HashMap::new();
    let parts = [
        (Some(source.title.as_str()), 3.0),
        (source.summary.as_deref(), 2.0),
        (source.body.as_deref(), 1.0),
    ];
    for (text, w) in parts {
        for t in crate::query::related::tokens(text.unwrap_or(""), source.language) {
            // Short words are mostly grammar; numbers say nothing about the subject.
            let long = t.chars().count() >= 4 || !t.is_ascii();
            if long && !t.chars().all(|c| c.is_ascii_digit()) {
                *weights.entry(t).or_default() += w;
            }
        }
    }
    let mut terms: Vec<(String, f32)> = weights.into_iter().collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.into_iter().map(|(t, _)| t).collect()
}

fn explain(
    cfg: &RelatedConfig,
    article: Article,
    score: f32,
    entity_set: &HashSet<String>,
    tag_set: &HashSet<String>,
    source_terms: &[String],
    lang: crate::analysis::Lang,
) -> RelatedHit {
    let (shared_entities, shared_tags) =
        crate::query::related::shared_keywords(&article, entity_set, tag_set);
    let mut words: HashSet<String> = HashSet::new();
    for text in [
        Some(article.title.as_str()),
        article.summary.as_deref(),
        article.body.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        words.extend(crate::query::related::tokens(text, lang));
    }
    let shared_terms = source_terms
        .iter()
        .filter(|t| words.contains(*t))
        .take(cfg.explain_terms)
        .cloned()
        .collect();
    RelatedHit {
        published_at: article.published_at.as_ref().map(format_datetime),
        id: article.id,
        title: article.title,
        score,
        shared_entities,
        shared_tags,
        shared_terms,
        similarity: None,
    }
}

/// What a completion's matched input is in its article.
fn classify(text: &str, a: &Article) -> Option<(SuggestionKind, Option<String>)> {
    let same = |s: &str| s.replace(['\u{0}', '\u{1e}', '\u{1f}'], " ") == text;
    if same(&a.title) {
        return Some((SuggestionKind::Title, None));
    }
    if let Some(e) = a.entities.iter().find(|e| same(&e.name)) {
        return Some((SuggestionKind::Entity, Some(e.entity_type.clone())));
    }
    if a.authors.iter().any(|x| same(x)) {
        return Some((SuggestionKind::Author, None));
    }
    if a.tags.iter().any(|x| same(x)) {
        return Some((SuggestionKind::Tag, None));
    }
    None
}

impl Backend for OpenSearchBackend {
    fn name(&self) -> &'static str {
        "opensearch"
    }

    fn search(&self, _config: &SearchConfig, plan: &SearchPlan) -> crate::Result<SearchResponse> {
        OpenSearchBackend::search(self, plan)
    }

    fn related(
        &self,
        config: &RelatedConfig,
        plan: &RelatedPlan,
    ) -> crate::Result<RelatedResponse> {
        let (filters, limit) = (&plan.filters, plan.limit);
        match &plan.of {
            RelatedOf::Stored(id) => {
                let article =
                    Backend::get(self, id)?.ok_or_else(|| Error::NotFound(id.to_string()))?;
                let key = crate::index::document::copy_key(&article);
                self.related_of(config, &Source::from_article(&article), key, filters, limit)
            }
            RelatedOf::Draft(source) => {
                let key = crate::index::fingerprint::signals(
                    &source.title,
                    source.summary.as_deref(),
                    source.body.as_deref(),
                )
                .copy_key;
                self.related_of(config, source, key, filters, limit)
            }
        }
    }

    fn suggest(&self, plan: &SuggestPlan) -> crate::Result<SuggestResponse> {
        let (q, limit, language) = (plan.q.as_str(), plan.limit, plan.language.as_deref());
        let started = Instant::now();
        let (words, complete) = typed_words(q, language);
        let prefix: String = q.split_whitespace().collect::<Vec<_>>().join(" ");
        let empty = || SuggestResponse {
            suggestions: Vec::new(),
            took_ms: 0.0,
        };
        if words.is_empty() || limit == 0 || prefix.is_empty() {
            return Ok(empty());
        }
        let prefix = if complete {
            format!("{prefix} ")
        } else {
            prefix
        };
        let longest = prefix
            .split_whitespace()
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0);
        let mut completion = json!({
            "field": "suggest",
            "size": (limit * SUGGEST_OVERFETCH).min(250),
            "skip_duplicates": true,
        });
        if longest >= 4 {
            completion["fuzzy"] = json!({"fuzziness": "AUTO:4,8", "prefix_length": 1});
        }
        let body = json!({
            "_source": {"excludes": ["suggest", "text.*.body", "text.*.summary"]},
            "suggest": {"s": {"prefix": prefix, "completion": completion}},
        });
        let answer = self.search_json(&body)?;
        let options = answer["suggest"]["s"][0]["options"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let lang = language.map(str::to_lowercase);
        let mut titles = Vec::new();
        let mut values: Vec<Suggestion> = Vec::new();
        let mut seen: HashSet<(SuggestionKind, String)> = HashSet::new();
        for o in options {
            let Some(text) = o["text"].as_str() else {
                continue;
            };
            let Ok(article) = mapping::article_of_source(&o["_source"]) else {
                continue;
            };
            let Some((kind, entity_type)) = classify(text, &article) else {
                continue;
            };
            if !seen.insert((kind, text.to_string())) {
                continue;
            }
            let highlighted = mark(text, &words, complete);
            if kind == SuggestionKind::Title {
                let article_lang = article.language.as_deref().map(str::to_lowercase);
                if let Some(l) = &lang {
                    let matches = article_lang.as_deref().is_some_and(|a| {
                        a == l || a.split('-').next() == l.split('-').next() && !l.contains('-')
                    });
                    if !matches {
                        continue;
                    }
                }
                titles.push(Suggestion {
                    kind,
                    value: article.title.clone(),
                    highlighted,
                    id: Some(article.id.clone()),
                    entity_type: None,
                    count: None,
                    published_at: article.published_at.as_ref().map(format_datetime),
                });
            } else {
                values.push(Suggestion {
                    kind,
                    value: text.to_string(),
                    highlighted,
                    id: None,
                    entity_type,
                    count: Some(0),
                    published_at: None,
                });
            }
        }
        if !values.is_empty() {
            self.count_values(&mut values)?;
        }
        let dict_quota = if titles.is_empty() {
            limit
        } else {
            limit.div_ceil(2)
        };
        let mut rest = values.split_off(values.len().min(dict_quota));
        let mut suggestions = values;
        let room = limit - suggestions.len();
        suggestions.extend(titles.into_iter().take(room));
        let room = limit - suggestions.len();
        rest.truncate(room);
        suggestions.extend(rest);
        Ok(SuggestResponse {
            suggestions,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    }

    fn warm(&self) {}

    fn get(&self, id: &str) -> crate::Result<Option<Article>> {
        if id.len() > MAX_ID_BYTES {
            return Ok(None);
        }
        match OpenSearchBackend::get(self, id) {
            Ok(a) => Ok(Some(a)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn prepare(&self, write: Write) -> crate::Result<Prepared> {
        let op = match write {
            Write::Upsert(article) => {
                if article.id.len() > MAX_ID_BYTES {
                    return Err(Error::field(
                        "id",
                        format!(
                            "is {} bytes long; OpenSearch takes at most {MAX_ID_BYTES}",
                            article.id.len()
                        ),
                    ));
                }
                self.note_family(mapping::article_family(&article));
                BulkOp {
                    doc: Some(mapping::document(&article)?.to_string()),
                    id: article.id,
                }
            }
            Write::Delete(id) => BulkOp { id, doc: None },
        };
        Ok(Prepared(PreparedWrite::OpenSearch(op)))
    }

    fn apply(&self, writes: Vec<Prepared>, durable: bool) -> BoxFuture<'_, crate::Result<Applied>> {
        Box::pin(async move {
            let mut ops = Vec::with_capacity(writes.len());
            for p in writes {
                match p.0 {
                    PreparedWrite::OpenSearch(op) => ops.push(op),
                    PreparedWrite::Tantivy(_) => {
                        return Err(Error::Internal(
                            "a write prepared for tantivy was given to OpenSearch".into(),
                        ))
                    }
                }
            }
            // The client blocks: on a multi-threaded runtime, let the others run meanwhile.
            let multi = tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
            if multi {
                tokio::task::block_in_place(|| self.send_bulk(&ops, durable))
            } else {
                self.send_bulk(&ops, durable)
            }
        })
    }

    fn stats(&self) -> IndexStats {
        let articles = self.count().unwrap_or(0);
        let (index_bytes, segments) = self.store_stats().unwrap_or((0, 0));
        IndexStats {
            articles,
            index_bytes,
            segments,
            last_commit: None,
            commits: 0,
        }
    }

    fn num_articles(&self) -> u64 {
        self.count().unwrap_or(0)
    }

    fn writable(&self) -> bool {
        let mut cached = self.health.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, ok)) = *cached {
            if at.elapsed() < HEALTH_TTL {
                return ok;
            }
        }
        let ok = self.check_writable();
        *cached = Some((Instant::now(), ok));
        ok
    }

    fn render_metrics(&self, out: &mut String) {
        let health = self.index_health().ok();
        let up = u8::from(health.is_some());
        out.push_str("# HELP newsindex_opensearch_up Whether the OpenSearch cluster answered.\n# TYPE newsindex_opensearch_up gauge\n");
        out.push_str(&format!("newsindex_opensearch_up {up}\n"));
        if let Some(h) = health {
            let code = match h.as_str() {
                "green" => 0,
                "yellow" => 1,
                _ => 2,
            };
            out.push_str("# HELP newsindex_opensearch_index_health Health of the index: 0 green, 1 yellow, 2 red.\n# TYPE newsindex_opensearch_index_health gauge\n");
            out.push_str(&format!("newsindex_opensearch_index_health {code}\n"));
        }
    }

    fn write_ndjson(
        &self,
        out: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64),
    ) -> crate::Result<u64> {
        let path = format!(
            "/{}/_search/point_in_time?keep_alive=5m",
            segment(self.index())
        );
        let (status, body) = self.client().request(Method::Post, &path, None)?;
        let Some(pit) = body["pit_id"].as_str().filter(|_| status == 200) else {
            return Err(unavailable(format!(
                "opening a point in time: {}",
                reason(status, &body)
            )));
        };
        let pit = pit.to_string();
        let result = self.export_pages(&pit, out, progress);
        let _ = self.client().json(
            Method::Delete,
            "/_search/point_in_time",
            &json!({"pit_id": [pit]}),
        );
        result
    }

    fn backup(&self, _dest: &Path) -> crate::Result<BackupReport> {
        Err(Error::BadRequest(
            "backups of an index on OpenSearch are OpenSearch snapshots (`PUT _snapshot/...`): \
             newsindex copies only its embedded index; `newsindex export` writes every article \
             as NDJSON"
                .into(),
        ))
    }

    fn shutdown(&self) -> BoxFuture<'_, crate::Result<()>> {
        // Every acknowledged write is already on the cluster.
        Box::pin(std::future::ready(Ok(())))
    }
}

impl OpenSearchBackend {
    /// Connects to the cluster of `config` and opens its index: creates it with our mapping
    /// when it is missing, checks an existing one's mapping version (another is an error).
    pub fn open(config: &crate::config::BackendConfig) -> crate::Result<OpenSearchBackend> {
        let backend = OpenSearchBackend::connect(config)?;
        backend.create_index(config.shards, config.replicas)?;
        backend.set_node_left_delay(config.node_left_delay_secs);
        Ok(backend)
    }

    /// Connects to the cluster of `config` without creating or checking its index (`reindex`
    /// reads an index of any mapping version).
    pub fn connect(config: &crate::config::BackendConfig) -> crate::Result<OpenSearchBackend> {
        let mut client = super::Client::new(
            &config.urls,
            Duration::from_secs(config.connect_timeout_secs),
            Duration::from_secs(config.request_timeout_secs),
        )
        .with_authorization(config.authorization());
        if let Some(path) = &config.ca_file {
            // Checked already when the configuration was loaded; read again here for callers
            // that build a BackendConfig themselves.
            let roots = super::client::read_ca_file(path)
                .map_err(|e| Error::Internal(format!("`backend.ca_file`: {e}")))?;
            client = client.with_ca_certs(&roots);
        }
        let mut active = super::client::wait_for_active_shards(config.replicas);
        // A replica can't be placed on the node of its primary: with fewer data nodes than
        // copies to wait for, writes would wait for ever (until their timeout).
        let (status, health) = client.request(Method::Get, "/_cluster/health", None)?;
        let data_nodes = health["number_of_data_nodes"].as_u64().unwrap_or(1).max(1) as u32;
        if status == 200 && data_nodes < active {
            tracing::warn!(
                data_nodes,
                replicas = config.replicas,
                "the cluster has fewer data nodes than the copies a write would wait for: \
                 writes wait for {data_nodes}; an acknowledged write survives a node's loss \
                 only with 2 or more (set `backend.replicas = 0` on a single node)"
            );
            active = data_nodes;
        }
        Ok(OpenSearchBackend::new(client, config.index.clone()).with_active_shards(active))
    }

    /// Sets how long the cluster waits for a lost node before it rebuilds the node's shard
    /// copies elsewhere (a dynamic setting, so an existing index follows the configuration).
    /// Not fatal: a user without the right to change settings still gets a working server,
    /// with OpenSearch's default (60 s).
    fn set_node_left_delay(&self, secs: u64) {
        let path = format!("/{}/_settings", segment(self.index()));
        let body = json!({"index.unassigned.node_left.delayed_timeout": format!("{secs}s")});
        match self.client().json(Method::Put, &path, &body) {
            Ok((200, _)) => {}
            Ok((status, body)) => tracing::warn!(
                reason = %reason(status, &body),
                "could not set index.unassigned.node_left.delayed_timeout"
            ),
            Err(e) => {
                tracing::warn!(%e, "could not set index.unassigned.node_left.delayed_timeout")
            }
        }
    }

    /// [`Backend::apply`] for callers off any runtime (the CLI's ingest, the demo corpus).
    pub fn apply_blocking(&self, writes: Vec<Prepared>, durable: bool) -> crate::Result<Applied> {
        let mut ops = Vec::with_capacity(writes.len());
        for p in writes {
            match p.0 {
                PreparedWrite::OpenSearch(op) => ops.push(op),
                PreparedWrite::Tantivy(_) => {
                    return Err(Error::Internal(
                        "a write prepared for tantivy was given to OpenSearch".into(),
                    ))
                }
            }
        }
        self.send_bulk(&ops, durable)
    }

    fn export_pages(
        &self,
        pit: &str,
        out: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64),
    ) -> crate::Result<u64> {
        let mut after: Option<Value> = None;
        let mut n = 0u64;
        loop {
            let mut body = json!({
                "size": EXPORT_PAGE,
                "pit": {"id": pit, "keep_alive": "5m"},
                "sort": [{"id": "asc"}],
                "track_total_hits": false,
            });
            if let Some(a) = &after {
                body["search_after"] = a.clone();
            }
            let (status, answer) = self.client().json(Method::Post, "/_search", &body)?;
            if status != 200 {
                return Err(unavailable(format!("export: {}", reason(status, &answer))));
            }
            let hits = answer["hits"]["hits"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if hits.is_empty() {
                return Ok(n);
            }
            for h in hits {
                let article = mapping::article_of_source(&h["_source"])?;
                serde_json::to_writer(&mut *out, &article)
                    .map_err(|e| Error::Internal(format!("export: {e}")))?;
                out.write_all(b"\n")?;
            }
            n += hits.len() as u64;
            progress(hits.len() as u64);
            after = hits.last().map(|h| h["sort"].clone());
            if hits.len() < EXPORT_PAGE {
                return Ok(n);
            }
        }
    }

    /// Fills in how many articles have each entity, author and tag value.
    fn count_values(&self, values: &mut [Suggestion]) -> crate::Result<()> {
        let of = |k: SuggestionKind| -> Vec<String> {
            values
                .iter()
                .filter(|s| s.kind == k)
                .map(|s| s.value.clone())
                .collect()
        };
        let fields = [
            (SuggestionKind::Entity, "entity_names"),
            (SuggestionKind::Author, "authors"),
            (SuggestionKind::Tag, "tag_paths"),
        ];
        let mut aggs = serde_json::Map::new();
        let mut should = Vec::new();
        for (kind, field) in fields {
            let vals = of(kind);
            if vals.is_empty() {
                continue;
            }
            should.push(json!({"terms": {field: vals}}));
            aggs.insert(
                field.into(),
                json!({"terms": {"field": field, "include": vals, "size": vals.len()}}),
            );
        }
        let body = json!({
            "size": 0,
            "track_total_hits": false,
            "query": {"bool": {"should": should, "minimum_should_match": 1}},
            "aggs": aggs,
        });
        let answer = self.search_json(&body)?;
        for (kind, field) in fields {
            let buckets = answer["aggregations"][field]["buckets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for b in buckets {
                let (Some(key), Some(n)) = (b["key"].as_str(), b["doc_count"].as_u64()) else {
                    continue;
                };
                for s in values
                    .iter_mut()
                    .filter(|s| s.kind == kind && s.value == key)
                {
                    s.count = Some(n);
                }
            }
        }
        Ok(())
    }
}
