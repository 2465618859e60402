//! Admin endpoints for moving and keeping an index: `GET /admin/export` (every stored article
//! as NDJSON, streamed) and `POST /admin/backup` (the files of one commit into a directory of
//! the server's machine). Both need an admin key when keys are configured ([`super::auth`]),
//! and are thin over [`crate::index::export`] and [`crate::index::backup`], which the CLI's
//! `export` and `backup` call too.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::error::ApiError;
use super::extract::{ApiJson, QueryPairs};
use super::state::AppState;
use crate::backend::{backup_destination, BackupReport};

/// Bytes of NDJSON sent to the client at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// `GET /admin/export`
#[utoipa::path(get, path = "/admin/export", tag = "admin",
    responses((status = 200, description = "Every stored article of the last commit, one JSON article per line, streamed; what POST /articles and `newsindex ingest` take back", body = crate::article::Article, content_type = "application/x-ndjson"), (status = 400, description = "A query parameter: the export takes none", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody)))]
pub async fn export_get(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    // Refused like every other endpoint's unknown parameters: a client that asks for a
    // filter or a format the export does not have must not get everything as if it had.
    if let Some((name, _)) = pairs.first() {
        return Err(crate::Error::param(
            crate::error::truncate_for_message(name),
            "unknown parameter; the export takes none",
        )
        .into());
    }
    // A few chunks in flight: the reader waits for a slow client instead of filling memory.
    let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(4);
    let backend = state.backend.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK_BYTES),
        };
        // The last, partial chunk is sent by the flush, whatever the engine's writer did
        // (OpenSearch's export did not flush: its last 28 Reuters articles were cut off).
        let written = backend
            .write_ndjson(&mut out, &mut |_| {})
            .and_then(|_| out.flush().map_err(crate::Error::from));
        if let Err(err) = written {
            // The 200 is sent already: abort the stream, so the client sees a failed transfer
            // rather than a short export that looks whole.
            if !matches!(&err, crate::Error::Io(e) if e.kind() == io::ErrorKind::BrokenPipe) {
                tracing::error!(%err, "export failed");
                let _ = tx.blocking_send(Err(io::Error::other("export failed")));
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"articles.ndjson\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Sends what is written through a channel, in chunks.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The body of `POST /admin/backup`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// Where to write the backup: an absolute path on the server's machine, a directory that
    /// does not exist yet (its parent must) or is empty, outside the index's directory.
    pub dir: String,
}

/// `POST /admin/backup`
#[utoipa::path(post, path = "/admin/backup", tag = "admin",
    request_body = BackupRequest,
    responses((status = 200, description = "The files of the last commit are in `dir`, synced; a server started on `dir` serves them", body = BackupReport), (status = 400, description = "Malformed body, or `dir` relative, inside the index or without a parent directory", body = crate::http::openapi::ErrorBody), (status = 401, description = "Missing or unknown key", body = crate::http::openapi::ErrorBody), (status = 403, description = "Key lacks the right", body = crate::http::openapi::ErrorBody), (status = 409, description = "`dir` exists and is not an empty directory", body = crate::http::openapi::ErrorBody)))]
pub async fn backup_post(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<BackupRequest>,
) -> Result<Json<BackupReport>, ApiError> {
    let dest = backup_destination(&req.dir)?;
    let backend = state.backend.clone();
    let report = tokio::task::spawn_blocking(move || backend.backup(&dest)).await??;
    Ok(Json(report))
}
