//! `GET /openapi.json`: the API as an OpenAPI 3 document, built by utoipa from the
//! `#[utoipa::path]` annotations on the handlers and the `ToSchema` derives on the wire types,
//! so that it follows the code. The test `openapi_lists_every_route` checks it against the
//! router's routes.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::{OpenApi, ToSchema};

use super::state::AppState;
use crate::config::Config;

mod bounds;

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
pub async fn openapi_json(State(state): State<AppState>) -> Json<Value> {
    Json(document(&state.config))
}

/// The document this server answers with: [`ApiDoc`] (the handlers' annotations and the wire
/// types' schemas) completed from `config`, the same values the server checks requests
/// against: the `limits` as `maximum`, `maxLength` and `maxItems`, and, when keys are
/// configured, the key each operation needs (from [`super::auth::required_role`]).
pub fn document(config: &Config) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON");
    bounds::apply(&mut doc, config);
    if config.has_keys() {
        security(&mut doc);
    }
    doc
}

/// Marks every operation that needs a key with the `bearer` scheme, and documents its 401
/// (and its 403 where a search key is not enough).
fn security(doc: &mut Value) {
    use axum::http::Method;
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Ok(m) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                continue;
            };
            // A template's shape, as the router sees a request on it.
            let concrete = path.replace("{id}", "x");
            let Some(role) = super::auth::required_role(&m, &concrete) else {
                continue;
            };
            op["security"] = json!([{"bearer": []}]);
            let responses = &mut op["responses"];
            responses["401"] = error_response("Missing or unknown key");
            if role == super::auth::Role::Admin {
                responses["403"] = error_response("The key may only search and read");
            } else if let Some(r) = responses.as_object_mut() {
                r.remove("403");
            }
        }
    }
}

/// A response whose body is an [`ErrorBody`].
pub(crate) fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
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
