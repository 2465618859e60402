//! `GET /openapi.json`: the API as an OpenAPI 3 document, built by utoipa from the
//! `#[utoipa::path]` annotations on the handlers and the `ToSchema` derives on the wire types,
//! so that it follows the code. The test `openapi_lists_every_route` checks it against the
//! router's routes.

use axum::Json;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// Every error: `{"error": {"code": "bad_request", "message": "…"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable kind: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `conflict`, `payload_too_large`, `unsupported_media_type`, `invalid`,
    /// `unavailable`, `internal`.
    pub code: String,
    /// What and where, for people.
    pub message: String,
}

/// The answer to `PUT` and `DELETE /articles/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteResult {
    /// The article id.
    pub id: String,
    /// `created`, `updated` or `deleted`.
    pub result: String,
}

/// The answer to `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the index writer has stopped.
    pub status: String,
    /// Why the server is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "newsindex",
        description = "Search and indexing server for news articles (see shared/API.md)."
    ),
    paths(
        super::articles::articles_put,
        super::articles::articles_get,
        super::articles::articles_delete,
        super::articles::articles_post,
        super::search::search_get,
        super::search::search_post,
        super::suggest::suggest_get,
        super::related::related_get,
        super::related::related_post,
        super::extract_api::extract_post,
        super::ops::health,
        super::ops::stats,
        super::ops::metrics,
        super::admin::export_get,
        super::admin::backup_post,
        super::page::page,
        super::page::script,
        super::page::style,
        openapi_json,
    ),
    components(schemas(ErrorBody, ErrorDetail, WriteResult, Health)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the `Authorization: Bearer KEY` scheme (needed only when keys are configured).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /openapi.json`
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;
    use crate::error::ErrorCode;

    #[tokio::test]
    async fn error_body_matches_what_errors_send() {
        let resp = super::super::error::ApiError::new(ErrorCode::BadRequest, "x").into_response();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let sent: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let documented = serde_json::to_value(ErrorBody {
            error: ErrorDetail {
                code: "bad_request".into(),
                message: "x".into(),
            },
        })
        .unwrap();
        assert_eq!(sent, documented);
    }

    #[test]
    fn document_is_openapi_3() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert!(doc["paths"]["/search"]["get"].is_object());
    }
}
