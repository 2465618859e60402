//! The bounds the server enforces, written into the document from the values that enforce
//! them: the configured [`Limits`] (so a server with `max_limit = 50` documents 50) and the
//! constants of the code that checks (suggestions, ids). A bound missing from the document
//! would let a generated client send what the server refuses; one the server does not check
//! would make the document lie; `scripts/schemathesis` checks both ways.

use serde_json::{json, Value};

use crate::article::input::{
    MAX_TAG_CHARS, MAX_TAG_LEVELS, MAX_TYPE_CHARS, MAX_WHOLE, MAX_YEAR, MIN_YEAR,
};
use crate::article::MAX_ID_CHARS;
use crate::config::{Config, Limits};
use crate::query::suggest;

/// The characters Rust's `char::is_whitespace` (and so `str::trim`) takes for blank, as a
/// regular-expression class body that ECMA-262, Python and Rust read alike.
const WS: &str = r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// A string with something other than blanks in it (what the server's `trim().is_empty()`
/// refuses).
fn non_blank() -> String {
    format!("[^{WS}]")
}

/// A language tag as `Lang::check_tag` takes it.
const LANGUAGE: &str = "^[A-Za-z][A-Za-z0-9_-]{0,34}$";

/// Writes every bound into `doc`.
pub fn apply(doc: &mut Value, config: &Config) {
    let l = &config.limits;
    search(doc, l);
    related(doc, l);
    suggest_bounds(doc);
    articles(doc);
    texts(doc);
}

/// A date or date-time, as `from` and `to` take it; empty is no bound.
fn date_or_time() -> Value {
    json!({"anyOf": [{"format": "date"}, {"format": "date-time"}, {"maxLength": 0}]})
}

/// `from`, `to` and `language` of the search filters, shared by `/search` and related.
fn filter_bounds() -> Vec<(&'static str, Value)> {
    vec![
        ("from", date_or_time()),
        ("to", date_or_time()),
        (
            "language",
            json!({"items": {"type": "string", "pattern": LANGUAGE}}),
        ),
    ]
}

/// `GET /search` parameters and the `POST /search` body (`SearchParams`): one set of rules.
fn search(doc: &mut Value, l: &Limits) {
    let shared = search_bounds(l);
    for (name, bound) in &shared {
        if let Some(schema) = param(doc, "/search", "get", name) {
            merge(schema, bound);
        }
        if let Some(schema) = property(doc, "SearchParams", name) {
            merge(schema, bound);
        }
    }
    // In a JSON body a list parameter is a string, an array of strings or null (`one_or_many`).
    for name in [
        "author",
        "tag",
        "entity",
        "entity_type",
        "language",
        "source",
        "facets",
    ] {
        if let Some(schema) = property(doc, "SearchParams", name) {
            let item = schema["items"].clone();
            let mut list = json!({"type": "array", "items": item});
            if let Some(max) = schema.get("maxItems") {
                list["maxItems"] = max.clone();
            }
            let description = schema["description"].clone();
            *schema = json!({
                "description": description,
                "anyOf": [item, list, {"type": "null"}]
            });
        }
    }
}

/// What `SearchParams::into_request` checks, as JSON Schema.
fn search_bounds(l: &Limits) -> Vec<(&'static str, Value)> {
    let facet = format!(
        "^(authors|tags|sources|languages|entities|published_at|published_at:(day|week|month|year)|entities\\.[^,]*[^,{WS}])$"
    );
    let mut bounds = filter_bounds();
    bounds.extend([
        ("sort", json!({"enum": ["relevance", "newest", "oldest"]})),
        ("q", json!({"maxLength": l.max_query_chars})),
        ("limit", json!({"minimum": 0, "maximum": l.max_limit})),
        ("offset", json!({"minimum": 0, "maximum": l.max_offset})),
        (
            "facet_limit",
            json!({"minimum": 1, "maximum": l.max_facet_limit}),
        ),
        (
            "facets",
            json!({"maxItems": l.max_facets, "items": {"type": "string", "pattern": facet}}),
        ),
    ]);
    bounds
}

/// `GET /articles/{id}/related` and the `POST /related` draft take `limit` up to
/// `limits.max_limit`.
fn related(doc: &mut Value, l: &Limits) {
    let limit = json!({"minimum": 0, "maximum": l.max_limit});
    if let Some(schema) = param(doc, "/articles/{id}/related", "get", "limit") {
        merge(schema, &limit);
    }
    for (name, bound) in filter_bounds() {
        if let Some(schema) = param(doc, "/articles/{id}/related", "get", name) {
            merge(schema, &bound);
        }
    }
    if let Some(schema) = property(doc, "RelatedDraft", "limit") {
        merge(schema, &limit);
    }
    if let Some(schema) = property(doc, "RelatedDraft", "language") {
        merge(schema, &json!({"pattern": LANGUAGE}));
    }
    // `title` or `body` must have text.
    if let Some(draft) = schema(doc, "RelatedDraft") {
        draft["anyOf"] = json!([
            {"required": ["title"], "properties": {"title": {"type": "string", "pattern": non_blank()}}},
            {"required": ["body"], "properties": {"body": {"type": "string", "pattern": non_blank()}}},
        ]);
    }
}

/// `POST /extract` needs text in `title`, `summary` or `body`.
fn texts(doc: &mut Value) {
    if let Some(req) = schema(doc, "ExtractRequest") {
        let one = |name: &str| json!({"required": [name], "properties": {name: {"type": "string", "pattern": non_blank()}}});
        req["anyOf"] = json!([one("title"), one("summary"), one("body")]);
    }
}

/// An article as `ArticleInput::into_article` validates it: `ArticleInput` in a batch (with
/// its `id`), `ArticlePut` for `PUT /articles/{id}` (the path names it: an `id` in the body
/// must be the same, 422 otherwise, so clients leave it out).
fn articles(doc: &mut Value) {
    let nb = non_blank();
    let id = json!({
        "type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS,
        "pattern": "^[^\\x00-\\x1F\\x7F-\\x9F]*$"
    });
    let text = json!({"type": ["string", "null"], "pattern": nb});
    let name = json!({"type": "string", "pattern": nb});
    let names = json!({"anyOf": [name, {"type": "array", "items": name}, {"type": "null"}]});
    let tag = json!({
        "type": "string",
        "maxLength": MAX_TAG_CHARS,
        "allOf": [
            {"pattern": format!("[^/{WS}]")},
            {"pattern": format!("^[^/]*(/[^/]*){{0,{}}}$", MAX_TAG_LEVELS - 1)},
        ]
    });
    let entity_type = json!({
        "type": "string",
        "pattern": format!("^[{WS}]*[\\w-]{{1,{MAX_TYPE_CHARS}}}[{WS}]*$")
    });
    let entity = json!({"anyOf": [
        name,
        {
            "type": "object",
            "properties": {"name": name, "type": entity_type},
            "required": ["name"],
            "additionalProperties": false
        }
    ]});
    // The year range of `published_at`, on top of the date or date-time format.
    let years = format!(
        "^({}{})-",
        (MIN_YEAR / 100..MAX_YEAR / 100)
            .map(|c| format!("{c}[0-9][0-9]|"))
            .collect::<String>(),
        MAX_YEAR
    );
    let published_at = json!({
        "type": ["string", "null"],
        "anyOf": [{"type": "null"}, {"format": "date"}, {"format": "date-time"}],
        "pattern": years,
        "description": format!("Date or date-time (RFC 3339), in the years {MIN_YEAR} to {MAX_YEAR}.")
    });
    let Some(input) = schema(doc, "ArticleInput") else {
        return;
    };
    let props = &mut input["properties"];
    props["id"] = id.clone();
    props["title"] = name.clone();
    for field in ["summary", "url", "source", "dateline"] {
        merge(&mut props[field], &text);
    }
    props["authors"] = names.clone();
    props["author"] = names;
    props["tags"] = json!({"type": ["array", "null"], "items": tag});
    props["entities"] = json!({"type": ["array", "null"], "items": entity});
    props["language"] = json!({"type": ["string", "null"], "pattern": LANGUAGE});
    props["published_at"] = published_at;
    merge(&mut props["views"], &json!({"maximum": MAX_WHOLE}));
    input["required"] = json!(["id", "title"]);
    let mut put = input.clone();
    if let Some(p) = put["properties"].as_object_mut() {
        p.remove("id");
    }
    put["required"] = json!(["title"]);
    put["description"] = json!(
        "An article for `PUT /articles/{id}`: the path names it. An `id` in the body is \
         taken only when it equals the path's (422 otherwise), so it is left out here."
    );
    doc["components"]["schemas"]["ArticlePut"] = put;
    if let Some(body) =
        doc.pointer_mut("/paths/~1articles~1{id}/put/requestBody/content/application~1json/schema")
    {
        *body = json!({"$ref": "#/components/schemas/ArticlePut"});
    }
    if let Some(p) = doc.pointer_mut("/paths/~1articles~1{id}/put/parameters/0/schema") {
        merge(p, &id);
    }
}

/// `GET /suggest`: fixed bounds of [`crate::query::suggest`].
fn suggest_bounds(doc: &mut Value) {
    if let Some(schema) = param(doc, "/suggest", "get", "limit") {
        merge(
            schema,
            &json!({"minimum": 1, "maximum": suggest::MAX_LIMIT}),
        );
    }
    if let Some(schema) = param(doc, "/suggest", "get", "q") {
        merge(schema, &json!({"maxLength": suggest::MAX_CHARS}));
    }
    if let Some(schema) = param(doc, "/suggest", "get", "language") {
        merge(schema, &json!({"pattern": LANGUAGE}));
    }
}

/// The component schema `name`.
fn schema<'a>(doc: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    doc.get_mut("components")?.get_mut("schemas")?.get_mut(name)
}

/// The schema of parameter `name` of an operation.
pub(super) fn param<'a>(
    doc: &'a mut Value,
    path: &str,
    method: &str,
    name: &str,
) -> Option<&'a mut Value> {
    doc.get_mut("paths")?
        .get_mut(path)?
        .get_mut(method)?
        .get_mut("parameters")?
        .as_array_mut()?
        .iter_mut()
        .find(|p| p["name"] == name)?
        .get_mut("schema")
}

/// The schema of property `name` of component schema `schema`.
pub(super) fn property<'a>(doc: &'a mut Value, schema: &str, name: &str) -> Option<&'a mut Value> {
    doc.get_mut("components")?
        .get_mut("schemas")?
        .get_mut(schema)?
        .get_mut("properties")?
        .get_mut(name)
}

/// Adds the keys of `bound` to `schema`.
fn merge(schema: &mut Value, bound: &Value) {
    if let (Some(schema), Some(bound)) = (schema.as_object_mut(), bound.as_object()) {
        for (k, v) in bound {
            schema.insert(k.clone(), v.clone());
        }
    }
}
