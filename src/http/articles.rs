//! `PUT/GET/DELETE /articles/{id}` and `POST /articles` (a JSON array, or NDJSON streamed with
//! bounded memory: lines are parsed and staged in chunks as they arrive, and one commit at the
//! end makes the whole upload durable before the answer). `POST /articles` also takes what sites
//! publish, by Content-Type: an HTML page (`text/html`, with optional `?id=` and `?url=`), an
//! RSS or Atom feed (`application/rss+xml`, `application/atom+xml`, `application/xml`,
//! `text/xml`) or scraped text (`text/x-scraped`; never `text/plain`, which a web page may
//! send cross-site without a preflight), converted by [`crate::formats`] and stored like
//! a batch.

use axum::extract::{Request, State};
use axum::Json;
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{mime_of, unsupported_write_type, IdPath, JsonBytes};
use super::search::run_work;
use super::state::AppState;
use crate::article::parse_article_json;
use crate::backend::{Applied, Backend, Prepared, Write, WriteOutcome};
use crate::error::{Error, ErrorCode};
use crate::extract::extract_entities;
use crate::formats::{self, Format, Hints};
use crate::ingest::{self, ItemError};

/// Lines (or array items) parsed and staged together. Small, because the writer indexes one
/// chunk while the next is prepared: an upload's first chunk is prepared with the writer idle
/// and its last indexed with the preparation done, and 1,000 items made each of those waits
/// about 60 ms (Reuters over HTTP: 200 items, 4-6% more articles a second than 1,000).
const CHUNK_ITEMS: usize = 200;
/// Bytes of NDJSON parsed and staged together (at most; see [`CHUNK_ITEMS`]).
const CHUNK_BYTES: usize = 1 << 20;
/// Item errors listed in one answer; the count in `failed` stays exact.
const MAX_REPORTED_ERRORS: usize = 1_000;
/// What `POST /articles` takes, for its 415.
const POST_ARTICLES_TAKES: &str = "POST /articles takes Content-Type application/json, \
     application/x-ndjson, text/html, application/rss+xml, application/atom+xml, \
     application/xml, text/xml or text/x-scraped (scraped text)";

/// `PUT /articles/{id}`
#[utoipa::path(put, path = "/articles/{id}", tag = "articles",
    params(("id" = String, Path, description = "Article id")),
    request_body = crate::article::ArticleInput,
    responses((status = 200, description = "Stored, durable and visible", body = super::openapi::WriteResult), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 413, description = "Body too large", body = crate::http::openapi::ErrorBody), (status = 415, description = "Unsupported content type", body = crate::http::openapi::ErrorBody), (status = 422, description = "Invalid value", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn articles_put(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    JsonBytes(body): JsonBytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let backend = state.backend.clone();
    let (op, id) = run_work(&state, move || -> crate::Result<(Prepared, String)> {
        let mut input = parse_article_json(&body)?;
        match &input.id {
            Some(body_id) if *body_id != id => {
                return Err(Error::field(
                    "id",
                    format!("`{body_id}` differs from the id in the path, `{id}`"),
                ));
            }
            Some(_) => {}
            None => input.id = Some(id.clone()),
        }
        let article = input.into_article(extract_entities)?;
        Ok((backend.prepare(Write::Upsert(Box::new(article)))?, id))
    })
    .await?;
    let applied = state.backend.apply(vec![op], true).await?;
    refused(&applied)?;
    Ok(Json(json!({"id": id, "result": applied.outcomes[0]})))
}

/// `GET /articles/{id}`
#[utoipa::path(get, path = "/articles/{id}", tag = "articles",
    params(("id" = String, Path, description = "Article id")),
    responses((status = 200, description = "The stored article", body = crate::article::Article), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 404, description = "No such article", body = crate::http::openapi::ErrorBody)))]
pub async fn articles_get(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<crate::article::Article>, ApiError> {
    let backend = state.backend.clone();
    let found = run_work(&state, move || backend.get(&id).map(|a| (a, id))).await?;
    match found {
        (Some(article), _) => Ok(Json(article)),
        (None, id) => Err(Error::NotFound(id).into()),
    }
}

/// `DELETE /articles/{id}`
#[utoipa::path(delete, path = "/articles/{id}", tag = "articles",
    params(("id" = String, Path, description = "Article id")),
    responses((status = 200, description = "Deleted", body = super::openapi::WriteResult), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 404, description = "No such article", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn articles_delete(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<serde_json::Value>, ApiError> {
    let delete = state.backend.prepare(Write::Delete(id.clone()))?;
    let applied = state.backend.apply(vec![delete], true).await?;
    refused(&applied)?;
    match applied.outcomes[0] {
        WriteOutcome::NotFound => Err(Error::NotFound(id).into()),
        outcome => Ok(Json(json!({"id": id, "result": outcome}))),
    }
}

/// The error of a single write that the engine refused (OpenSearch answers per item).
fn refused(applied: &Applied) -> Result<(), ApiError> {
    match applied.failed.first() {
        None => Ok(()),
        Some(f) if f.blocked => Err(Error::Unavailable(f.reason.clone()).into()),
        Some(f) if f.busy => Err(Error::Overloaded.into()),
        Some(f) => Err(Error::Internal(f.reason.clone()).into()),
    }
}

/// The answer to a batch.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    /// Articles stored.
    pub indexed: u64,
    /// Items refused.
    pub failed: u64,
    /// The refused items (the first 1 000).
    pub errors: Vec<ItemError>,
    /// Set when more errors occurred than are listed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub errors_truncated: bool,
}

impl BatchResult {
    fn fail(&mut self, e: ItemError) {
        self.failed += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(e);
        } else {
            self.errors_truncated = true;
        }
    }
}

/// `POST /articles`
#[utoipa::path(post, path = "/articles", tag = "articles",
    params(("url" = Option<String>, Query, description = "Source URL of an HTML page")),
    request_body(description = "NDJSON (streamed), a JSON array of articles, an HTML page, an RSS/Atom feed or plain text", content(
        (Vec<crate::article::ArticleInput> = "application/json"),
        (crate::article::ArticleInput = "application/x-ndjson"),
        (String = "text/html"), (String = "application/rss+xml"), (String = "application/atom+xml"), (String = "text/x-scraped"))),
    responses((status = 200, description = "Items stored and refused", body = BatchResult), (status = 400, description = "Malformed input, unknown or bad parameter", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 413, description = "Body too large", body = crate::http::openapi::ErrorBody), (status = 415, description = "Unsupported content type", body = crate::http::openapi::ErrorBody), (status = 503, description = "Overloaded or timed out", body = crate::http::openapi::ErrorBody)))]
pub async fn articles_post(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<BatchResult>, ApiError> {
    // Held to the end of the upload, whichever way it goes.
    let _upload = state.upload_permits.try_acquire()?;
    let mime = mime_of(req.headers());
    if let Some(format) = mime.as_deref().and_then(Format::from_mime) {
        return articles_post_converted(state, req, format).await;
    }
    let ndjson = match mime.as_deref() {
        Some(
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/jsonlines"
            | "application/x-jsonlines",
        ) => true,
        Some(m) if m == "application/json" || m.ends_with("+json") => false,
        got => return Err(unsupported_write_type(got, POST_ARTICLES_TAKES)),
    };
    if !ndjson {
        return articles_post_json(state, req).await;
    }
    let mut batch = Batch::new(state.clone());
    let mut stream = req.into_body().into_data_stream();
    let max_line = state.config.limits.max_line_bytes;
    let max_array = state.config.limits.max_batch_bytes;

    // Peek at the first bytes: a JSON array is read whole (under its limit), anything else is
    // NDJSON, read line by line. Blank bytes before the first item are dropped as they come
    // (their lines counted), so a body of whitespace costs nothing however long.
    let mut buf: Vec<u8> = Vec::new();
    let mut is_array = None;
    let mut line_no = 0usize;
    let mut skipping_long_line = false;
    // The bytes of `buf` already searched for a newline (a line's start stays in `buf` until
    // its end arrives; it is not searched again at every chunk).
    let mut scanned = 0usize;
    while let Some(frame) = stream.next().await {
        let data = frame
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        if is_array.is_none() {
            let first = data.iter().position(|b| !b.is_ascii_whitespace());
            let blank = &data[..first.unwrap_or(data.len())];
            line_no += blank.iter().filter(|&&b| b == b'\n').count();
            let Some(first) = first else {
                continue;
            };
            is_array = Some(data[first] == b'[');
            buf.extend_from_slice(&data[first..]);
        } else {
            buf.extend_from_slice(&data);
        }
        match is_array {
            Some(true) if buf.len() > max_array => {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("JSON array body is larger than `limits.max_batch_bytes` ({max_array} bytes); send NDJSON to stream larger batches"),
                ));
            }
            Some(true) | None => {}
            Some(false) => {
                let mut start = 0;
                let mut from = scanned;
                while let Some(pos) = buf[from..].iter().position(|&b| b == b'\n') {
                    let end = from + pos;
                    line_no += 1;
                    if skipping_long_line {
                        skipping_long_line = false;
                    } else {
                        batch.push_line(line_no, &buf[start..end], max_line).await?;
                    }
                    start = end + 1;
                    from = start;
                }
                // Only the part after the last newline stays: it came in this chunk.
                buf.drain(..start);
                if buf.len() > max_line && !skipping_long_line {
                    // Report the line now and drop its bytes until its end: memory stays bounded.
                    batch.result.fail(ItemError {
                        line: line_no + 1,
                        id: None,
                        error: format!(
                            "line is longer than `limits.max_line_bytes` ({max_line} bytes)"
                        ),
                    });
                    skipping_long_line = true;
                }
                if skipping_long_line {
                    buf.clear();
                }
                scanned = buf.len();
            }
        }
    }
    match is_array {
        Some(true) => push_array(&mut batch, buf).await?,
        Some(false) if !skipping_long_line && !buf.is_empty() => {
            line_no += 1;
            let last = std::mem::take(&mut buf);
            batch.push_line(line_no, &last, max_line).await?;
        }
        Some(false) => {}
        None => return Err(empty_body()),
    }
    Ok(Json(batch.finish().await?))
}

/// Splits a JSON array body off the runtime (at most `limits.max_batch_items` items, 413
/// past them) and stages its items.
async fn push_array(batch: &mut Batch, body: Vec<u8>) -> Result<(), ApiError> {
    let max_items = batch.state.config.limits.max_batch_items;
    let (body, items) = tokio::task::spawn_blocking(move || {
        let items = ingest::json_array_items(&body, max_items);
        (body, items)
    })
    .await?;
    let items = items.map_err(|e| match e {
        ingest::ArrayError::Invalid(msg) => ApiError::bad_request(msg),
        ingest::ArrayError::TooManyItems(max) => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the JSON array has more than `limits.max_batch_items` ({max}) items; send NDJSON to stream larger batches"),
        ),
    })?;
    for (i, range) in items.into_iter().enumerate() {
        batch.push_item(i + 1, body[range].to_vec()).await?;
    }
    Ok(())
}

fn empty_body() -> ApiError {
    ApiError::bad_request(
        "the request body is empty: send a JSON array of articles, one JSON article, or NDJSON with Content-Type application/x-ndjson",
    )
}

/// `POST /articles` with a JSON body: one JSON value, a JSON array of articles or one article,
/// read whole under `limits.max_batch_bytes`. A body that is not JSON is a 400 saying where
/// it breaks (NDJSON says so with its own content type).
async fn articles_post_json(state: AppState, req: Request) -> Result<Json<BatchResult>, ApiError> {
    let max = state.config.limits.max_batch_bytes;
    let mut stream = req.into_body().into_data_stream();
    let mut buf: Vec<u8> = Vec::new();
    while let Some(frame) = stream.next().await {
        let data = frame
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        if buf.len() + data.len() > max {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("JSON body is larger than `limits.max_batch_bytes` ({max} bytes); send NDJSON to stream larger batches"),
            ));
        }
        buf.extend_from_slice(&data);
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Err(empty_body());
    }
    let mut batch = Batch::new(state);
    if ingest::looks_like_json_array(&buf) {
        push_array(&mut batch, buf).await?;
    } else {
        // One value, checked off the runtime (it may be up to `limits.max_batch_bytes`).
        let (buf, parsed) = tokio::task::spawn_blocking(move || {
            let parsed = serde_json::from_slice::<serde::de::IgnoredAny>(&buf);
            (buf, parsed)
        })
        .await?;
        parsed.map_err(|e| {
            ApiError::bad_request(format!(
                "the body is not one JSON value (line {}, column {}: {e}); send a JSON array of articles, one article, or NDJSON with Content-Type application/x-ndjson",
                e.line(),
                e.column()
            ))
        })?;
        batch.push_item(1, buf).await?;
    }
    Ok(Json(batch.finish().await?))
}

/// `POST /articles` with a page, a feed or a text: read whole (pages and texts under
/// `limits.max_body_bytes`, feeds under `limits.max_batch_bytes`), converted and validated off
/// the runtime, stored with one commit; item errors are numbered by position in the feed.
async fn articles_post_converted(
    state: AppState,
    req: Request,
    format: Format,
) -> Result<Json<BatchResult>, ApiError> {
    let mut hints = Hints::default();
    let query = req.uri().query().unwrap_or("");
    let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
    for (k, v) in pairs {
        match k.as_str() {
            "id" => hints.id = Some(v),
            "url" => hints.url = Some(v),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{other}`; a {} upload takes `id` and `url`",
                    format.name()
                )))
            }
        }
    }
    if format == Format::Feed && hints.id.is_some() {
        return Err(ApiError::bad_request(
            "parameter `id` names one article; a feed's items take their ids from their links",
        ));
    }
    let limit = match format {
        Format::Feed => state.config.limits.max_batch_bytes,
        _ => state.config.limits.max_body_bytes,
    };
    let mut body: Vec<u8> = Vec::new();
    let mut stream = req.into_body().into_data_stream();
    while let Some(frame) = stream.next().await {
        let data = frame
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        if body.len() + data.len() > limit {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("a {} upload is limited to {limit} bytes", format.name()),
            ));
        }
        body.extend_from_slice(&data);
    }
    // JSON sent as scraped text still means JSON: scraped text never starts with `{` or `[`.
    let format = if format == Format::Text && Format::sniff(&body) == Format::Json {
        Format::Json
    } else {
        format
    };
    let backend = state.backend.clone();
    let (ops, errors) = tokio::task::spawn_blocking(move || {
        let mut ops = Vec::new();
        let mut errors = Vec::new();
        let mut n = 0;
        formats::articles(&body, format, &hints, &mut |item| {
            n += 1;
            match item_op(backend.as_ref(), n, item) {
                Ok(op) => ops.push(op),
                Err(e) => errors.push(e),
            }
        });
        (ops, errors)
    })
    .await?;
    let mut batch = Batch::new(state);
    batch.stage(ops, errors).await?;
    Ok(Json(batch.finish().await?))
}

/// A prepared write of an upload, with where it came from (for its error, should the engine
/// refuse it).
struct Staged {
    line: usize,
    id: String,
    write: Prepared,
}

/// The write op of a parsed item; an article the index cannot take is an item error too.
fn item_op(
    backend: &dyn Backend,
    line: usize,
    item: Result<crate::article::Article, ItemError>,
) -> Result<Staged, ItemError> {
    item.and_then(|a| {
        let id = a.id.clone();
        match backend.prepare(Write::Upsert(Box::new(a))) {
            Ok(write) => Ok(Staged { line, id, write }),
            Err(e) => Err(ItemError {
                line,
                id: Some(id),
                error: e.to_string(),
            }),
        }
    })
}

/// An upload in progress: items are parsed off the runtime and staged in chunks.
struct Batch {
    state: AppState,
    pending: Vec<(usize, Vec<u8>)>,
    pending_bytes: usize,
    result: BatchResult,
    epoch: Option<u64>,
}

impl Batch {
    fn new(state: AppState) -> Batch {
        Batch {
            state,
            pending: Vec::new(),
            pending_bytes: 0,
            result: BatchResult::default(),
            epoch: None,
        }
    }

    async fn push_line(
        &mut self,
        line: usize,
        bytes: &[u8],
        max_line: usize,
    ) -> Result<(), ApiError> {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        if bytes.len() > max_line {
            self.result.fail(ItemError {
                line,
                id: None,
                error: format!("line is longer than `limits.max_line_bytes` ({max_line} bytes)"),
            });
            return Ok(());
        }
        self.push_item(line, bytes.to_vec()).await
    }

    async fn push_item(&mut self, line: usize, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.pending_bytes += bytes.len();
        self.pending.push((line, bytes));
        if self.pending.len() >= CHUNK_ITEMS || self.pending_bytes >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ApiError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let backend = self.state.backend.clone();
        let (ops, errors) = tokio::task::spawn_blocking(move || {
            let mut ops = Vec::with_capacity(items.len());
            let mut errors = Vec::new();
            for (line, bytes) in items {
                match item_op(backend.as_ref(), line, ingest::parse_item(line, &bytes)) {
                    Ok(op) => ops.push(op),
                    Err(e) => errors.push(e),
                }
            }
            (ops, errors)
        })
        .await?;
        self.stage(ops, errors).await
    }

    /// Records the refused items and hands the documents to the writer (no commit yet); the
    /// items the engine refuses are item errors too.
    async fn stage(&mut self, ops: Vec<Staged>, errors: Vec<ItemError>) -> Result<(), ApiError> {
        for e in errors {
            self.result.fail(e);
        }
        if !ops.is_empty() {
            let n = ops.len() as u64;
            let (origins, writes): (Vec<(usize, String)>, Vec<Prepared>) =
                ops.into_iter().map(|s| ((s.line, s.id), s.write)).unzip();
            let applied = self.state.backend.apply(writes, false).await?;
            self.check_epoch(applied.epoch)?;
            self.result.indexed += n - applied.failed.len() as u64;
            let mut failed = Vec::with_capacity(applied.failed.len());
            for f in applied.failed {
                let (line, id) = &origins[f.position];
                failed.push(ItemError {
                    line: *line,
                    id: Some(id.clone()),
                    error: f.reason,
                });
            }
            // Listed by line with the other errors of the upload.
            for e in failed {
                self.result.fail(e);
            }
        }
        Ok(())
    }

    fn check_epoch(&mut self, epoch: u64) -> Result<(), ApiError> {
        match self.epoch {
            None => {
                self.epoch = Some(epoch);
                Ok(())
            }
            Some(e) if e == epoch => Ok(()),
            Some(_) => Err(Error::Internal(
                "a commit failed during the upload; its staged articles were not stored".into(),
            )
            .into()),
        }
    }

    async fn finish(mut self) -> Result<BatchResult, ApiError> {
        self.flush().await?;
        let applied = self.state.backend.apply(Vec::new(), true).await?;
        if self.result.indexed > 0 {
            self.check_epoch(applied.epoch)?;
        }
        Ok(self.result)
    }
}
