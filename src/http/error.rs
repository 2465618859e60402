//! [`ApiError`]: every error answer is `{"error": {"code", "message"}}` with the status of its
//! code. The caller's mistakes are logged at debug at most; our own faults are logged once at
//! error and answered with a generic message, so internals never leak to clients.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{Error, ErrorCode};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
}

impl ApiError {
    /// An answer with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::BadRequest, message)
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> ApiError {
        let code = err.code();
        if code == ErrorCode::Internal {
            tracing::error!(%err, "internal error");
            return ApiError::new(
                code,
                "something went wrong on the server; it has been logged",
            );
        }
        tracing::debug!(%err, "request error");
        ApiError::new(code, err.to_string())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> ApiError {
        ApiError::from(Error::Internal(format!("task failed: {err}")))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({"error": {"code": self.code.as_str(), "message": self.message}});
        let mut resp = (status, axum::Json(body)).into_response();
        if matches!(self.code, ErrorCode::Overloaded | ErrorCode::Unavailable) {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}

/// The answer for a route that does not exist.
pub async fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "no such endpoint; see GET /openapi.json",
    )
}

/// The answer for a method the route does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this endpoint",
    )
}
