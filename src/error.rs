//! The crate's one error type, and the one table from error kind to stable code and HTTP status.
//!
//! The caller's mistakes (a bad field, a bad parameter, an unknown id) are kept apart from our own
//! faults (tantivy, I/O), as milli does: the first are answered with a 4xx that says what and
//! where, the second are logged once and answered with a generic 5xx.

use std::fmt;

/// Keeps error messages short when the input is huge.
pub(crate) fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Errors of the newsindex library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed input: bad JSON, an unknown field, a bad parameter.
    #[error("{0}")]
    BadRequest(String),
    /// A well-formed article with an invalid value; names the field.
    #[error("field `{field}`: {reason}")]
    Article {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A query parameter with an invalid value; names the parameter.
    #[error("parameter `{name}`: {reason}")]
    Param {
        /// The offending parameter.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No article with that id.
    #[error("no article with id `{0}`")]
    NotFound(String),
    /// A request body or line over its limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request conflicts with what exists (a backup into a directory that is not empty).
    #[error("{0}")]
    Conflict(String),
    /// Too many requests in flight; try again shortly.
    #[error("server is busy, retry shortly")]
    Overloaded,
    /// The request's deadline passed and its work was stopped.
    #[error("{0}")]
    TimedOut(String),
    /// The engine cannot take the request now, and retrying shortly may succeed: an
    /// OpenSearch cluster that does not answer or lost a node, or an index that takes no
    /// writes for a moment (`newsindex reindex` switching it). Says why.
    #[error("{0}")]
    Unavailable(String),
    /// The writer has stopped (shutdown in progress).
    #[error("the index writer is shutting down")]
    ShuttingDown,
    /// An error of the index engine.
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// An I/O error.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The crate's result alias; refer to it as `crate::Result<T>`.
pub type Result<T> = std::result::Result<T, Error>;

/// Stable error codes of the HTTP API, each with its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400
    BadRequest,
    /// 401
    Unauthorized,
    /// 403
    Forbidden,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 409
    Conflict,
    /// 413
    PayloadTooLarge,
    /// 415
    UnsupportedMediaType,
    /// 421: a `Host` the server does not answer for (no keys configured)
    MisdirectedRequest,
    /// 422
    Unprocessable,
    /// 503
    Overloaded,
    /// 503 while shutting down
    Unavailable,
    /// 500
    Internal,
}

impl ErrorCode {
    /// The code as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::MisdirectedRequest => "misdirected_request",
            ErrorCode::Unprocessable => "unprocessable",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status of the code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::MisdirectedRequest => 421,
            ErrorCode::Unprocessable => 422,
            ErrorCode::Overloaded | ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::BadRequest(_) | Error::Param { .. } => ErrorCode::BadRequest,
            Error::Article { .. } => ErrorCode::Unprocessable,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::Overloaded => ErrorCode::Overloaded,
            Error::ShuttingDown | Error::TimedOut(_) | Error::Unavailable(_) => {
                ErrorCode::Unavailable
            }
            Error::Index(_) | Error::Io(_) | Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Shorthand for a field error.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Article {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for a parameter error.
    pub fn param(name: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Param {
            name: name.into(),
            reason: reason.into(),
        }
    }
}
