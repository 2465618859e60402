//! `newsindex reindex` on OpenSearch: a new concrete index behind the same alias, built from
//! the stored articles while the server keeps reading and writing.
//!
//! # Layout
//!
//! The configured `[backend] index` name (`news`) is an alias of one concrete index,
//! `news-000001`, `news-000002`, … ([`concrete_name`]). The server only ever names the alias,
//! so moving the alias moves it. An index made by earlier versions is a concrete index named
//! `news` itself; it keeps working, and a reindex replaces it by `news-000001` and the alias
//! (an alias can't share a concrete index's name: the old index is removed and the alias
//! added in one `POST /_aliases` request, which OpenSearch applies atomically).
//!
//! # What happens to writes
//!
//! Articles are copied by reading them back (`_source`) and writing them through
//! [`mapping::document`], so every derived field (per-language text, `copy_key`, suggest
//! inputs, tag levels) is computed by this version; OpenSearch's `_reindex` would copy the old
//! ones. Writes go on into the old index meanwhile, and are carried over by *rounds*:
//!
//! - each shard's global checkpoint is read first (every operation at or below it is on every
//!   copy of the shard), then the old index is refreshed, then every live document with a
//!   `_seq_no` above the previous round's checkpoint is copied (round 0: all of them), read
//!   shard by shard with a scroll (`preference=_shards:N`, a `_seq_no` range query);
//! - from round 1 on, deletions first: the ids written into the new index (kept in memory:
//!   only the reindex writes there) that the old one no longer has are deleted from the new
//!   one (an id-set difference against a listing of the old index's ids, without `_source`).
//!   A document deleted and written again is re-copied, since its new write has a `_seq_no`
//!   above the checkpoint;
//! - rounds repeat (at most [`MAX_ROUNDS`]) until one carries over at most [`SMALL_ROUND`]
//!   changes. Then the old index gets a write block (`PUT /{old}/_block/write`, which returns
//!   only once the writes in flight on every shard copy are done), the last changes are copied
//!   the same way, and the old index is counted: every live document of it is now in the new
//!   one, so a surplus in the new one is a deletion of the last moments, found by counting
//!   ranges of the new index's ids in the old one and splitting only the ranges that fall
//!   short (`Job::missing_from_old`: a few requests, not a listing). The new index must
//!   then count as many articles as the old, or nothing is switched. The alias is moved in
//!   one `POST /_aliases`; the old index is deleted once the searches still running on it are
//!   done, or with `--keep-old` its block is lifted. A legacy index (named like the alias)
//!   is removed in the alias request itself, which needs its name: searches in flight on it
//!   at that instant may fail.
//!
//! During the block (measured, with its steps, in [`ReindexReport`]: a few requests, each a
//! refresh, a read or a count; 0.2-0.5 s on an idle test node, about 3 s on a test node
//! starved of CPU under three writers that delete throughout, see `tests/opensearch.rs`), the
//! server answers writes with `503`, `Retry-After: 1` and a message saying the index is being
//! switched ([`super::backend::BLOCKED`]); a retry goes through the alias to the new index.
//! Reads never stop: they go through the alias to the old index until the switch, to the new
//! one after it. If anything fails before the switch, the block is lifted and the new index
//! deleted: the old index is as it was. One reindex at a time: a second one started
//! meanwhile fails at the switch (the alias has moved), but its clean-up may lift the first
//! one's block early.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{reason, segment, unavailable, Method};
use super::mapping;
use super::OpenSearchBackend;
use crate::Error;

/// Documents read per scroll page of the copy.
const PAGE: usize = 1_000;
/// Ids read per scroll page of an id listing.
const ID_PAGE: usize = 10_000;
/// Catch-up rounds before the block, at most.
pub const MAX_ROUNDS: usize = 5;
/// A round that carried over no more changes than this is followed by the block: the next
/// (blocked) round is then about as short.
pub const SMALL_ROUND: u64 = 200;
/// Fields derived from the article: not read back (this version computes them again).
const DERIVED: [&str; 6] = [
    "suggest",
    "tag_paths",
    "entity_names",
    "entity_types",
    "entity_typed",
    "copy_key",
];

/// The concrete index number `seq` behind the alias `name`: `name-000001`.
pub fn concrete_name(name: &str, seq: u32) -> String {
    format!("{name}-{seq:06}")
}

/// The number of a concrete index `name-NNNNNN` of the alias `name`.
fn sequence_of(name: &str, concrete: &str) -> Option<u32> {
    let rest = concrete.strip_prefix(name)?.strip_prefix('-')?;
    if rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_digit()) {
        rest.parse().ok()
    } else {
        None
    }
}

/// The concrete indexes the backend's name stands for: itself when it is an index, the
/// alias's indexes when it is an alias, none when it is missing.
pub fn concrete_indexes(backend: &OpenSearchBackend) -> crate::Result<Vec<String>> {
    let path = format!("/{}/_alias", segment(backend.index()));
    let (status, body) = backend.client().request(Method::Get, &path, None)?;
    match status {
        404 => Ok(Vec::new()),
        200 => Ok(body
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()),
        _ => Err(unavailable(format!(
            "resolving {}: {}",
            backend.index(),
            reason(status, &body)
        ))),
    }
}

/// How a reindex is run.
#[derive(Debug, Clone)]
pub struct ReindexOptions {
    /// Shards of the new index.
    pub shards: u32,
    /// Replicas of the new index.
    pub replicas: u32,
    /// Keep the old index (without its alias, its write block lifted) instead of deleting it.
    pub keep_old: bool,
    /// `index.unassigned.node_left.delayed_timeout` of the new index, in seconds (see
    /// `[backend] node_left_delay_secs`).
    pub node_left_delay_secs: u64,
}

/// What a reindex did.
#[derive(Debug, Clone)]
pub struct ReindexReport {
    /// The index read.
    pub old: String,
    /// The index built, which the alias now names.
    pub new: String,
    /// The old index was a concrete index of the alias's name (made by an earlier version).
    pub legacy: bool,
    /// The old index was kept.
    pub kept_old: bool,
    /// Articles in the new index at the switch.
    pub articles: u64,
    /// Documents written into the new index (the copy, then the changes carried over).
    pub copied: u64,
    /// Deletions carried over.
    pub deleted: u64,
    /// Catch-up rounds before the block.
    pub rounds: usize,
    /// How long the old index refused writes.
    pub blocked: Duration,
    /// Where that time went: (step, duration) in order.
    pub block_steps: Vec<(&'static str, Duration)>,
    /// The whole run.
    pub took: Duration,
}

/// What a reindex reports as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Articles in the old index when the copy starts.
    Total(u64),
    /// This many more documents were written into the new index.
    Copied(u64),
    /// A new phase begins.
    Phase(&'a str),
}

/// Rebuilds the index of `backend` (an alias, or a concrete index of an earlier version) into
/// a new concrete index with this version's settings and mapping, then moves the alias to it
/// (see the module's documentation for what happens to writes meanwhile).
pub fn reindex(
    backend: &OpenSearchBackend,
    options: &ReindexOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> crate::Result<ReindexReport> {
    let started = Instant::now();
    let name = backend.index();
    let old = match concrete_indexes(backend)?.as_slice() {
        [] => {
            return Err(Error::BadRequest(format!(
                "there is no index or alias `{name}` to reindex (newsindex creates it at \
                 `serve` or `ingest`)"
            )))
        }
        [one] => one.clone(),
        many => {
            return Err(Error::BadRequest(format!(
                "alias `{name}` names {} indexes ({}); newsindex writes through an alias of \
                 one index: point it at one (POST /_aliases) and run again",
                many.len(),
                many.join(", ")
            )))
        }
    };
    let legacy = old == name;
    if legacy && options.keep_old {
        return Err(Error::BadRequest(format!(
            "--keep-old can't keep the index `{name}`: it was made by an earlier version as a \
             concrete index, and the alias that replaces it takes its name; snapshot it first \
             (OpenSearch `_snapshot`) and run without --keep-old"
        )));
    }
    let path = format!(
        "/_cat/indices/{}-*?format=json&h=index&expand_wildcards=all",
        segment(name)
    );
    let (status, body) = backend.client().request(Method::Get, &path, None)?;
    if status != 200 {
        return Err(unavailable(format!(
            "listing the indexes of {name}: {}",
            reason(status, &body)
        )));
    }
    let last = body
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| i["index"].as_str().and_then(|i| sequence_of(name, i)))
        .chain(sequence_of(name, &old))
        .max()
        .unwrap_or(0);
    let mut job = Job {
        backend,
        new: concrete_name(name, last + 1),
        old,
        created: false,
        blocked_at: None,
        switched: false,
        block_steps: Vec::new(),
        in_new: BTreeSet::new(),
        copied: 0,
        deleted: 0,
    };
    match job.run(options, progress) {
        Ok((articles, rounds, blocked)) => Ok(ReindexReport {
            old: job.old.clone(),
            new: job.new.clone(),
            legacy,
            kept_old: options.keep_old,
            articles,
            copied: job.copied,
            deleted: job.deleted,
            rounds,
            blocked,
            block_steps: std::mem::take(&mut job.block_steps),
            took: started.elapsed(),
        }),
        Err(e) => {
            job.roll_back();
            Err(e)
        }
    }
}

/// A reindex under way.
struct Job<'a> {
    backend: &'a OpenSearchBackend,
    old: String,
    new: String,
    created: bool,
    blocked_at: Option<Instant>,
    switched: bool,
    block_steps: Vec<(&'static str, Duration)>,
    /// The ids in the new index: only this reindex writes there.
    in_new: BTreeSet<String>,
    copied: u64,
    deleted: u64,
}

impl Job<'_> {
    /// Copies, catches up, blocks, switches; (articles, rounds, block duration).
    fn run(
        &mut self,
        options: &ReindexOptions,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> crate::Result<(u64, usize, Duration)> {
        let mut body = mapping::index_body(options.shards, options.replicas);
        body["settings"]["index"]["unassigned.node_left.delayed_timeout"] =
            json!(format!("{}s", options.node_left_delay_secs));
        let (status, answer) =
            self.request_json(Method::Put, &format!("/{}", segment(&self.new)), &body)?;
        if status != 200 {
            let why = if answer["error"]["type"] == json!("resource_already_exists_exception") {
                format!(
                    "index {} exists already: another reindex is running, or one was stopped \
                     before it cleaned up (delete it, `DELETE /{}`, if none runs)",
                    self.new, self.new
                )
            } else {
                reason(status, &answer)
            };
            return Err(unavailable(format!("creating index {}: {why}", self.new)));
        }
        self.created = true;

        // Round 0: everything.
        progress(Progress::Phase("copying"));
        let mut marks: BTreeMap<u32, i64> =
            self.checkpoints()?.into_keys().map(|s| (s, -1)).collect();
        self.refresh(&self.old)?;
        progress(Progress::Total(self.count(&self.old)?));
        self.carry_writes(&mut marks, progress)?;
        self.wait_for_health(options.replicas)?;

        // Catch-up rounds while writes go on.
        let mut rounds = 0;
        while rounds < MAX_ROUNDS {
            rounds += 1;
            progress(Progress::Phase(&format!("catching up (round {rounds})")));
            let before = self.copied + self.deleted;
            self.carry_deletions()?;
            self.carry_writes(&mut marks, progress)?;
            if self.copied + self.deleted - before <= SMALL_ROUND {
                break;
            }
        }

        // The block: the last changes, then the switch.
        progress(Progress::Phase("switching"));
        // Counted from the request: writes may be refused from its start.
        let blocked_at = Instant::now();
        self.blocked_at = Some(blocked_at);
        let mut step = blocked_at;
        let mut lap = |steps: &mut Vec<(&'static str, Duration)>, what| {
            steps.push((what, step.elapsed()));
            step = Instant::now();
        };
        let path = format!("/{}/_block/write", segment(&self.old));
        let (status, answer) = self.backend.client().request(Method::Put, &path, None)?;
        if status != 200 || answer["acknowledged"] != json!(true) {
            return Err(unavailable(format!(
                "blocking writes to {}: {}",
                self.old,
                reason(status, &answer)
            )));
        }
        lap(&mut self.block_steps, "block");
        self.carry_writes(&mut marks, progress)?;
        self.refresh(&self.new)?;
        lap(&mut self.block_steps, "last writes");
        let in_old = self.count(&self.old)?;
        lap(&mut self.block_steps, "count");
        if in_old != self.in_new.len() as u64 {
            self.carry_deletions()?;
            self.refresh(&self.new)?;
            lap(&mut self.block_steps, "last deletions");
        }
        // Checked on the index itself, not only on what this reindex wrote.
        let in_new = self.count(&self.new)?;
        lap(&mut self.block_steps, "check");
        if in_old != in_new {
            return Err(unavailable(format!(
                "the new index {} has {in_new} articles, the old {} {in_old}, after catching up \
                 under a write block: not switched",
                self.new, self.old
            )));
        }
        let name = self.backend.index();
        let legacy = self.old == name;
        let mut actions = vec![json!({"add": {"index": self.new, "alias": name}})];
        if legacy {
            // The alias needs the old index's name: it must go in the same step (searches
            // in flight on it then may fail once).
            actions.push(json!({"remove_index": {"index": self.old}}));
        } else {
            // `must_exist`: a reindex that ran meanwhile and moved the alias makes this one
            // fail here, before it switches anything.
            actions.push(json!({"remove": {"index": self.old, "alias": name, "must_exist": true}}));
        }
        let (status, answer) =
            self.request_json(Method::Post, "/_aliases", &json!({ "actions": actions }))?;
        if status != 200 || answer["acknowledged"] != json!(true) {
            return Err(unavailable(format!(
                "moving the alias {name} to {}: {}",
                self.new,
                reason(status, &answer)
            )));
        }
        self.switched = true;
        lap(&mut self.block_steps, "switch");
        let blocked = blocked_at.elapsed();
        // The switch is done: what fails from here on leaves an index nothing uses.
        if legacy {
            // Deleted by the switch itself.
        } else if options.keep_old {
            if let Err(e) = self.unblock() {
                tracing::warn!(index = %self.old, "lifting the write block of the old index failed: {e}");
            }
        } else {
            progress(Progress::Phase("deleting the old index"));
            self.drain_searches();
            let path = format!("/{}", segment(&self.old));
            match self.backend.client().request(Method::Delete, &path, None) {
                Ok((200 | 404, _)) => {}
                Ok((status, body)) => {
                    tracing::warn!(index = %self.old, "deleting the old index failed: {}", reason(status, &body))
                }
                Err(e) => tracing::warn!(index = %self.old, "deleting the old index failed: {e}"),
            }
        }
        Ok((in_new, rounds, blocked))
    }

    /// Undoes what a failed run did before the switch: the old index takes writes again, the
    /// new one is deleted.
    fn roll_back(&mut self) {
        if self.switched {
            return;
        }
        if self.blocked_at.is_some() {
            if let Err(e) = self.unblock() {
                tracing::error!(index = %self.old, "lifting the write block after a failed reindex failed: {e}; lift it with PUT /{}/_settings {{\"index.blocks.write\": false}}", self.old);
            }
        }
        if self.created {
            let path = format!("/{}", segment(&self.new));
            match self.backend.client().request(Method::Delete, &path, None) {
                Ok((200 | 404, _)) => {}
                Ok((status, body)) => tracing::warn!(
                    index = %self.new,
                    "deleting the half-built index failed: {}",
                    reason(status, &body)
                ),
                Err(e) => {
                    tracing::warn!(index = %self.new, "deleting the half-built index failed: {e}")
                }
            }
        }
    }

    /// Waits (up to 30 s) until no search that resolved the alias before the switch still
    /// runs on the old index: deleting an index fails the searches on it.
    fn drain_searches(&self) {
        let path = format!("/{}/_stats/search", segment(&self.old));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let Ok((200, body)) = self.backend.client().request(Method::Get, &path, None) else {
                return;
            };
            let s = &body["_all"]["total"]["search"];
            let running =
                s["query_current"].as_u64().unwrap_or(0) + s["fetch_current"].as_u64().unwrap_or(0);
            if running == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn unblock(&self) -> crate::Result<()> {
        let path = format!("/{}/_settings", segment(&self.old));
        let (status, body) = self.request_json(
            Method::Put,
            &path,
            &json!({"index": {"blocks": {"write": false}}}),
        )?;
        match status {
            200 | 404 => Ok(()),
            _ => Err(unavailable(reason(status, &body))),
        }
    }

    fn request_json(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> crate::Result<(u16, Value)> {
        self.backend.client().json(method, path, body)
    }

    /// Each shard's global checkpoint in the old index: every operation at or below it is
    /// done on every copy of the shard.
    fn checkpoints(&self) -> crate::Result<BTreeMap<u32, i64>> {
        let path = format!(
            "/{}/_stats/docs?level=shards&filter_path=indices.*.shards.*.routing.primary,indices.*.shards.*.seq_no",
            segment(&self.old)
        );
        let (status, body) = self.backend.client().request(Method::Get, &path, None)?;
        if status != 200 {
            return Err(unavailable(format!(
                "reading the checkpoints of {}: {}",
                self.old,
                reason(status, &body)
            )));
        }
        let mut out = BTreeMap::new();
        let shards = body["indices"][&self.old]["shards"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (shard, copies) in shards {
            let Ok(n) = shard.parse::<u32>() else {
                continue;
            };
            let primary = copies
                .as_array()
                .and_then(|c| c.iter().find(|c| c["routing"]["primary"] == json!(true)));
            let Some(gcp) = primary.and_then(|p| p["seq_no"]["global_checkpoint"].as_i64()) else {
                return Err(unavailable(format!(
                    "shard {n} of {} has no active primary",
                    self.old
                )));
            };
            out.insert(n, gcp);
        }
        if out.is_empty() {
            return Err(unavailable(format!("{} has no active shard", self.old)));
        }
        Ok(out)
    }

    /// Copies every live document of the old index written after `marks` (per shard) into the
    /// new one, and moves `marks` to the checkpoints read before.
    fn carry_writes(
        &mut self,
        marks: &mut BTreeMap<u32, i64>,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> crate::Result<()> {
        // Read before the refresh: what they cover is then visible to the reads below.
        let checkpoints = if self.blocked_at.is_some() {
            // Under the block nothing moves: everything read now is everything there is.
            None
        } else {
            Some(self.checkpoints()?)
        };
        self.refresh(&self.old)?;
        for (&shard, &mark) in marks.iter() {
            let body = json!({
                "size": PAGE,
                "query": {"range": {"_seq_no": {"gt": mark}}},
                "sort": ["_doc"],
                "_source": {"excludes": DERIVED},
            });
            let old = self.old.clone();
            self.scroll(&old, Some(shard), &body, &mut |job, hits| {
                let mut ndjson = String::new();
                for h in hits {
                    let article = mapping::article_of_source(&h["_source"]).map_err(|e| {
                        Error::Internal(format!("article {} of {old}: {e}", h["_id"]))
                    })?;
                    ndjson.push_str(&json!({"index": {"_id": article.id}}).to_string());
                    job.in_new.insert(article.id.clone());
                    ndjson.push('\n');
                    ndjson.push_str(&mapping::document(&article)?.to_string());
                    ndjson.push('\n');
                }
                job.bulk(ndjson, hits.len())?;
                job.copied += hits.len() as u64;
                progress(Progress::Copied(hits.len() as u64));
                Ok(())
            })?;
        }
        if let Some(c) = checkpoints {
            *marks = c;
        }
        Ok(())
    }

    /// Deletes from the new index the ids that the old one no longer has: all of its ids
    /// listed (before the block), or (under the block) only where counts differ.
    fn carry_deletions(&mut self) -> crate::Result<()> {
        // `in_new` is what was copied before this listing: an id missing from the old index
        // now was deleted, and if it is written again, that write is above the checkpoint and
        // copied after these deletions.
        let gone: Vec<String> = if self.blocked_at.is_some() {
            // Refreshed by the last `carry_writes`, and nothing changed since.
            self.missing_from_old()?
        } else {
            let copied = self.in_new.clone();
            self.refresh(&self.old)?;
            let in_old = self.ids(&self.old.clone())?;
            copied
                .into_iter()
                .filter(|id| !in_old.contains(id))
                .collect()
        };
        for chunk in gone.chunks(PAGE) {
            let mut ndjson = String::new();
            for id in chunk {
                ndjson.push_str(&json!({"delete": {"_id": id}}).to_string());
                ndjson.push('\n');
            }
            self.bulk(ndjson, chunk.len())?;
        }
        for id in &gone {
            self.in_new.remove(id);
        }
        self.deleted += gone.len() as u64;
        Ok(())
    }

    /// The ids of the new index that the old one lacks, found while the old one is blocked
    /// and every id it has is in the new one: ranges of the new index's ids are counted in
    /// the old index (one `filters` aggregation per level), and only a range whose count falls
    /// short is split further, 64 ways, so the deletions of the last moments cost a few
    /// requests (about log64 of the articles), not a listing of every id.
    fn missing_from_old(&self) -> crate::Result<Vec<String>> {
        const FANOUT: usize = 64;
        let ids: Vec<&String> = self.in_new.iter().collect();
        let mut ranges = vec![(0, ids.len())];
        let mut missing = Vec::new();
        while !ranges.is_empty() {
            let mut pieces = Vec::new();
            for (start, end) in ranges.drain(..) {
                let step = (end - start).div_ceil(FANOUT).max(1);
                pieces.extend((start..end).step_by(step).map(|s| (s, (s + step).min(end))));
            }
            // A level's ranges in one request (or a few: 1 024 buckets each).
            for batch in pieces.chunks(1_024) {
                let filters: serde_json::Map<String, Value> = batch
                    .iter()
                    .enumerate()
                    .map(|(k, &(s, e))| {
                        let range = json!({"range": {"id": {"gte": ids[s], "lte": ids[e - 1]}}});
                        (k.to_string(), range)
                    })
                    .collect();
                let body = json!({
                    "size": 0,
                    "track_total_hits": false,
                    "aggs": {"r": {"filters": {"filters": filters}}},
                });
                let path = format!("/{}/_search", segment(&self.old));
                let (status, answer) = self.request_json(Method::Post, &path, &body)?;
                if status != 200 {
                    return Err(unavailable(format!(
                        "counting ids of {}: {}",
                        self.old,
                        reason(status, &answer)
                    )));
                }
                for (k, &(s, e)) in batch.iter().enumerate() {
                    let found = answer["aggregations"]["r"]["buckets"][k.to_string()]["doc_count"]
                        .as_u64()
                        .unwrap_or(0);
                    if found as usize == e - s {
                        continue;
                    }
                    if e - s == 1 {
                        missing.push(ids[s].clone());
                    } else {
                        ranges.push((s, e));
                    }
                }
            }
        }
        Ok(missing)
    }

    /// Every id of an index (a scroll in index order, no `_source`).
    fn ids(&mut self, index: &str) -> crate::Result<HashSet<String>> {
        let mut out = HashSet::new();
        let body = json!({"size": ID_PAGE, "sort": ["_doc"], "_source": false});
        self.scroll(index, None, &body, &mut |_, hits| {
            out.extend(
                hits.iter()
                    .filter_map(|h| h["_id"].as_str().map(String::from)),
            );
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs a scrolled search on `index` (on one shard when `shard` is given), calling
    /// `page` with each page of hits.
    fn scroll(
        &mut self,
        index: &str,
        shard: Option<u32>,
        body: &Value,
        page: &mut dyn FnMut(&mut Self, &[Value]) -> crate::Result<()>,
    ) -> crate::Result<()> {
        let mut path = format!("/{}/_search?scroll=5m", segment(index));
        if let Some(s) = shard {
            path.push_str(&format!("&preference=_shards:{s}"));
        }
        let (status, mut answer) = self.request_json(Method::Post, &path, body)?;
        let mut scroll_id: Option<String> = None;
        let result = loop {
            if status != 200 || answer["_shards"]["failed"].as_u64().unwrap_or(0) > 0 {
                break Err(unavailable(format!(
                    "reading {index}: {}",
                    reason(status, &answer)
                )));
            }
            scroll_id = answer["_scroll_id"]
                .as_str()
                .map(String::from)
                .or(scroll_id);
            let hits = answer["hits"]["hits"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if hits.is_empty() {
                break Ok(());
            }
            if let Err(e) = page(self, hits) {
                break Err(e);
            }
            let Some(id) = &scroll_id else {
                break Err(unavailable(format!("reading {index}: no scroll id")));
            };
            match self.request_json(
                Method::Post,
                "/_search/scroll",
                &json!({"scroll": "5m", "scroll_id": id}),
            ) {
                Ok((200, next)) => answer = next,
                Ok((s, next)) => {
                    break Err(unavailable(format!(
                        "reading {index}: {}",
                        reason(s, &next)
                    )))
                }
                Err(e) => break Err(e),
            }
        };
        if let Some(id) = scroll_id {
            let _ = self.request_json(
                Method::Delete,
                "/_search/scroll",
                &json!({"scroll_id": [id]}),
            );
        }
        result
    }

    /// Sends a `_bulk` request of `n` actions to the new index; any refused action is an
    /// error (every document came from an index that took it), `429` is retried.
    fn bulk(&self, ndjson: String, n: usize) -> crate::Result<()> {
        if n == 0 {
            return Ok(());
        }
        let path = format!("/{}/_bulk", segment(&self.new));
        let mut wait = Duration::from_millis(100);
        for attempt in 0.. {
            let (status, body) = self.backend.client().request(
                Method::Post,
                &path,
                Some(("application/x-ndjson", ndjson.clone())),
            )?;
            let items = body["items"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let busy = status == 429
                || items.iter().any(|i| {
                    i.as_object()
                        .and_then(|m| m.values().next())
                        .is_some_and(|r| r["status"] == json!(429))
                });
            if busy && attempt < 8 {
                std::thread::sleep(wait);
                wait *= 2;
                continue;
            }
            if status != 200 {
                return Err(unavailable(format!(
                    "writing into {}: {}",
                    self.new,
                    reason(status, &body)
                )));
            }
            if items.len() != n {
                return Err(unavailable(format!(
                    "writing into {}: {} answers for {n} actions",
                    self.new,
                    items.len()
                )));
            }
            for item in items {
                let Some((action, r)) = item.as_object().and_then(|m| m.iter().next()) else {
                    continue;
                };
                let ok = (200..300).contains(&r["status"].as_u64().unwrap_or(0))
                    || (action == "delete" && r["status"] == json!(404));
                if !ok {
                    return Err(unavailable(format!(
                        "writing {} into {}: {}",
                        r["_id"], self.new, r["error"]
                    )));
                }
            }
            return Ok(());
        }
        unreachable!("the loop returns")
    }

    fn refresh(&self, index: &str) -> crate::Result<()> {
        let path = format!("/{}/_refresh", segment(index));
        let (status, body) = self.backend.client().request(Method::Post, &path, None)?;
        if status != 200 {
            return Err(unavailable(format!(
                "refreshing {index}: {}",
                reason(status, &body)
            )));
        }
        Ok(())
    }

    fn count(&self, index: &str) -> crate::Result<u64> {
        let path = format!("/{}/_count", segment(index));
        let (status, body) = self.backend.client().request(Method::Get, &path, None)?;
        match body["count"].as_u64() {
            Some(n) if status == 200 => Ok(n),
            _ => Err(unavailable(format!(
                "counting {index}: {}",
                reason(status, &body)
            ))),
        }
    }

    /// Waits until the new index's copies are allocated (its replicas too, when the cluster
    /// has room for them), so that writes after the switch don't wait for them.
    fn wait_for_health(&self, replicas: u32) -> crate::Result<()> {
        let (_, health) = self
            .backend
            .client()
            .request(Method::Get, "/_cluster/health", None)?;
        let nodes = health["number_of_data_nodes"].as_u64().unwrap_or(1);
        let want = if replicas > 0 && nodes > 1 {
            "green"
        } else {
            "yellow"
        };
        // Short waits (below the client's request timeout), ten minutes in all.
        let path = format!(
            "/_cluster/health/{}?wait_for_status={want}&timeout=20s",
            segment(&self.new)
        );
        for _ in 0..30 {
            let (status, body) = self.backend.client().request(Method::Get, &path, None)?;
            match status {
                200 if body["timed_out"] != json!(true) => return Ok(()),
                200 | 408 => continue,
                _ => {
                    return Err(unavailable(format!(
                        "waiting for {} to become {want}: {}",
                        self.new,
                        reason(status, &body)
                    )))
                }
            }
        }
        Err(unavailable(format!(
            "the new index {} did not become {want} in 10 minutes",
            self.new
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concrete_names_carry_a_sequence() {
        assert_eq!(concrete_name("news", 1), "news-000001");
        assert_eq!(sequence_of("news", "news-000042"), Some(42));
        assert_eq!(sequence_of("news", "news"), None);
        assert_eq!(sequence_of("news", "news-test"), None);
        assert_eq!(sequence_of("news", "news-0000011"), None);
        assert_eq!(sequence_of("news", "newsy-000001"), None);
    }
}
