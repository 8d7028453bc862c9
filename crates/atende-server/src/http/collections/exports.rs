//! The dialer exports (UC003 mailing, UC007 baixa) over HTTP: list what was exported and
//! delivered, and run an export now. The pick-up runs them after the day's files; these
//! endpoints are for operators and for a re-send. Token auth; an export runs for the
//! token's workspace only when the server's exports are configured for it
//! (`ATENDE_EXPORT_OUTBOX`, `ATENDE_EXPORT_WORKSPACE`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use atende_collections::{ExportKind, ExportMode};
use atende_store::portfolio::exports::ExportRun;

use crate::http::{ApiError, Workspace};
use crate::App;

type Result<T> = std::result::Result<T, ApiError>;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/exports", get(list).post(run))
        .route("/exports/{id}", get(one))
}

pub fn openapi_paths() -> Map<String, Value> {
    let run_schema = json!({
        "type": "object",
        "description": "An export file and what became of it",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["mailing", "baixa"]},
            "mode": {"type": "string", "enum": ["full", "incremental"]},
            "layout": {"type": "string"},
            "file_name": {"type": "string", "description": "Empty when there was nothing to send"},
            "trigger_run_id": {"type": ["integer", "null"], "description": "The import run whose file triggered it"},
            "since": {"type": ["string", "null"], "description": "When the previous export of the kind was made"},
            "rows": {"type": "integer"},
            "status": {"type": "string", "enum": ["running", "written", "delivered", "failed", "empty", "superseded", "error"]},
            "destination": {"type": "string"},
            "message": {"type": "string"},
            "attempts": {"type": "integer", "description": "Delivery attempts"},
            "created_on": {"type": "string"},
            "delivered_on": {"type": ["string", "null"]}
        }
    });
    let ok = |d: &str, schema: Value| json!({"description": d, "content": {"application/json": {"schema": schema}}});
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}});
    let mut paths = Map::new();
    paths.insert(
        "/api/v1/collections/exports".into(),
        json!({
            "get": {
                "summary": "Dialer exports (mailing, baixa), newest first",
                "description": "UC003/UC007. Query: `kind` (mailing|baixa), `before` (an id), `limit` (1-500, default 50).",
                "security": [{"token": []}],
                "parameters": [
                    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["mailing", "baixa"]}},
                    {"name": "before", "in": "query", "schema": {"type": "integer"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
                ],
                "responses": {
                    "200": ok("`{results: [export], next_before}`", json!({"type": "object", "properties": {"results": {"type": "array", "items": run_schema}, "next_before": {"type": ["integer", "null"]}}})),
                    "400": err("A query parameter is invalid; the error names it"),
                    "401": err("Missing or invalid API token"),
                    "503": err("Storage unavailable")
                }
            },
            "post": {
                "summary": "Write (and deliver) a dialer export now",
                "description": "UC003/UC007. The file goes to the outbox and, when configured, to the dialer's FTP/SFTP destination under a temporary name renamed once complete. A failed delivery is recorded (`status: failed`) and retried by the pick-up.",
                "security": [{"token": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["kind"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["mailing", "baixa"]},
                        "mode": {"type": "string", "enum": ["full", "incremental"], "description": "Default: full for a mailing, incremental for a baixa"}
                    }
                }}}},
                "responses": {
                    "201": ok("The export as it ended", run_schema.clone()),
                    "400": err("Invalid request; the error names the field"),
                    "401": err("Missing or invalid API token"),
                    "409": err("Exports are not configured for this workspace, or another export of it is running"),
                    "500": err("The file could not be written (recorded as an export with status error)"),
                    "503": err("Storage unavailable")
                }
            }
        }),
    );
    paths.insert(
        "/api/v1/collections/exports/{id}".into(),
        json!({
            "get": {
                "summary": "One dialer export",
                "security": [{"token": []}],
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {
                    "200": ok("The export", run_schema),
                    "400": err("`id` is not a number"),
                    "401": err("Missing or invalid API token"),
                    "404": err("No such export"),
                    "503": err("Storage unavailable")
                }
            }
        }),
    );
    paths
}

async fn list(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>> {
    let kind = match query.get("kind").map(String::as_str) {
        None | Some("") => None,
        Some(k) => Some(
            k.parse::<ExportKind>()
                .map_err(|e| ApiError::bad_request(format!("kind: {e}")))?,
        ),
    };
    let number =
        |name: &str, default: i64, range: std::ops::RangeInclusive<i64>| match query.get(name) {
            None => Ok(default),
            Some(t) => t
                .parse::<i64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{name}: expected a number from {} to {}",
                        range.start(),
                        range.end()
                    ))
                }),
        };
    let before = number("before", 0, 0..=i64::MAX)?;
    let limit = number("limit", 50, 1..=500)?;
    let runs = app
        .store
        .export_runs(&ws, kind.map(ExportKind::as_str), before, limit)
        .await?;
    let next = (runs.len() as i64 == limit)
        .then(|| runs.last().map(|r| r.id))
        .flatten();
    Ok(Json(json!({"results": runs, "next_before": next})))
}

async fn one(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(id): Path<String>,
) -> Result<Json<ExportRun>> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("id: expected a number"))?;
    app.store
        .export_run(&ws, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no export {id}")))
}

async fn run(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    body: Bytes,
) -> Result<(StatusCode, Json<ExportRun>)> {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("body: not JSON ({e})")))?;
    let Some(obj) = body.as_object() else {
        return Err(ApiError::bad_request("body: expected a JSON object"));
    };
    let kind = match obj.get("kind") {
        Some(Value::String(k)) => k
            .parse::<ExportKind>()
            .map_err(|e| ApiError::bad_request(format!("kind: {e}")))?,
        Some(_) => {
            return Err(ApiError::bad_request(
                "kind: expected \"mailing\" or \"baixa\"",
            ))
        }
        None => {
            return Err(ApiError::bad_request(
                "kind: required (\"mailing\" or \"baixa\")",
            ))
        }
    };
    let mode = match obj.get("mode") {
        None | Some(Value::Null) => match kind {
            ExportKind::Mailing => ExportMode::Full,
            ExportKind::Baixa => ExportMode::Incremental,
        },
        Some(Value::String(m)) => m
            .parse::<ExportMode>()
            .map_err(|e| ApiError::bad_request(format!("mode: {e}")))?,
        Some(_) => {
            return Err(ApiError::bad_request(
                "mode: expected \"full\" or \"incremental\"",
            ))
        }
    };
    if let Some(other) = obj.keys().find(|k| !matches!(k.as_str(), "kind" | "mode")) {
        return Err(ApiError::bad_request(format!("{other}: unknown field")));
    }
    let config = app
        .config
        .collections_export
        .as_ref()
        .filter(|c| c.workspace == ws)
        .ok_or_else(|| {
            ApiError(
                StatusCode::CONFLICT,
                format!("exports are not configured for workspace {ws} (ATENDE_EXPORT_OUTBOX, ATENDE_EXPORT_WORKSPACE)"),
            )
        })?;
    let settings = config.settings()?;
    match atende_ingest::export::export(&app.store, &settings, &ws, kind, mode, None, &mut ()).await
    {
        Ok(run) => Ok((StatusCode::CREATED, Json(run))),
        Err(atende_ingest::export::ExportError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, kind = %kind, "export");
            Err(ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the export file could not be written: {e}"),
            ))
        }
    }
}
