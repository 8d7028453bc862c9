//! The workspace's pick-up sources (issue 6): where the creditor's files are collected
//! from — an inbox folder, an FTP or an SFTP server — how often, and what the last poll
//! found. Passwords are never sent or stored: `secret` is a reference (`env:NAME` or
//! `file:PATH`) resolved on the server at each poll, and a workspace may refer only to
//! its own variables and files ([`crate::pickup::Scope`]).

use super::op;
use std::sync::Arc;

use atende_store::sources::{CollectionSource, SourceKind, SourceSpec};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::http::{ApiError, Workspace};
use crate::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/sources", get(list))
        .route("/sources/{name}", get(read).put(put).delete(remove))
}

pub fn openapi_paths() -> Map<String, Value> {
    const UNAUTH: (&str, &str) = ("401", "Missing or invalid API token");
    let body = "{kind: inbox|ftp|sftp, location: folder path or ftp://user@host[:port]/dir or sftp://user@host[:port]/dir (no password), secret?: env:NAME|file:PATH (a reference to the password or key passphrase, never the secret; variables named ATENDE_SOURCE_<WORKSPACE>_…), key_file?: path of an SFTP private key on the server, host_key?: SFTP server key as SHA256:… or a known_hosts path (required for sftp), every?: seconds between polls (60), enabled?: true, layouts?: folder of layout files; server paths are relative to or inside the workspace's folder <collections root>/<workspace>/}";
    let mut paths = Map::new();
    paths.insert(
        "/api/v1/collections/sources".into(),
        json!({"get": op("List the workspace's pick-up sources and their last poll", None, &[("200", "OK"), UNAUTH])}),
    );
    paths.insert(
        "/api/v1/collections/sources/{name}".into(),
        json!({
            "get": op("A pick-up source and its last poll", None, &[("200", "OK"), UNAUTH, ("404", "No such source")]),
            "put": op("Create or replace a pick-up source (due at once)", Some(body), &[("200", "Replaced"), ("201", "Created"), ("400", "Invalid source; the error names the field"), UNAUTH]),
            "delete": op("Remove a pick-up source", None, &[("204", "Removed"), UNAUTH, ("404", "No such source")]),
        }),
    );
    paths
}

type Result<T> = std::result::Result<T, ApiError>;

fn source_json(s: &CollectionSource) -> Value {
    json!({
        "name": s.name,
        "kind": s.spec.kind.as_str(),
        "location": s.spec.location,
        "secret": s.spec.secret,
        "key_file": s.spec.key_file,
        "host_key": s.spec.host_key,
        "every": s.spec.every_secs,
        "enabled": s.spec.enabled,
        "layouts": s.spec.layouts,
        "next_poll_on": s.next_poll_on,
        "last_poll_on": s.last_poll_on,
        "last_status": s.last_status,
        "last_message": s.last_message,
        "created_on": s.created_on,
        "modified_on": s.modified_on,
    })
}

async fn list(State(app): State<Arc<App>>, Workspace(ws): Workspace) -> Result<Json<Value>> {
    let sources = app.store.sources(&ws).await?;
    Ok(Json(
        json!({"results": sources.iter().map(source_json).collect::<Vec<_>>()}),
    ))
}

async fn read(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    let source = app
        .store
        .source(&ws, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no source {name:?}")))?;
    Ok(Json(source_json(&source)))
}

fn text(body: &Value, key: &str, required: bool) -> Result<String> {
    match body.get(key) {
        None | Some(Value::Null) if !required => Ok(String::new()),
        None | Some(Value::Null) => {
            Err(ApiError::bad_request(format!("field '{key}' is required")))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::bad_request(format!(
            "field '{key}' must be a string"
        ))),
    }
}

/// The body's spec, field by field.
fn spec_of(body: &Value) -> Result<SourceSpec> {
    if !body.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let known = [
        "kind", "location", "secret", "key_file", "host_key", "every", "enabled", "layouts",
        "password",
    ];
    if let Some(k) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| !known.contains(&k.as_str())))
    {
        return Err(ApiError::bad_request(format!("field '{k}' is unknown")));
    }
    if body.get("password").is_some() {
        return Err(ApiError::bad_request(
            "field 'password': passwords are not accepted; set 'secret' to env:NAME or file:PATH on the server",
        ));
    }
    let kind = text(body, "kind", true)?;
    let kind = SourceKind::parse(&kind).ok_or_else(|| {
        ApiError::bad_request(format!(
            "field 'kind': {kind:?} is not one of inbox, ftp, sftp"
        ))
    })?;
    let every_secs = match body.get("every") {
        None | Some(Value::Null) => 60,
        Some(v) => v.as_i64().ok_or_else(|| {
            ApiError::bad_request("field 'every' must be a whole number of seconds")
        })?,
    };
    let enabled = match body.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::bad_request(
                "field 'enabled' must be true or false",
            ))
        }
    };
    Ok(SourceSpec {
        kind,
        location: text(body, "location", true)?,
        secret: text(body, "secret", false)?,
        key_file: text(body, "key_file", false)?,
        host_key: text(body, "host_key", false)?,
        every_secs,
        enabled,
        layouts: text(body, "layouts", false)?,
    })
}

async fn put(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(name): Path<String>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>)> {
    atende_store::sources::check_source_name(&name)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let spec = spec_of(&body)?;
    let scope = crate::pickup::Scope::workspace(&app.config.collections_root, &ws);
    crate::pickup::check_spec(&spec, &scope).map_err(ApiError::bad_request)?;
    let created = app.store.put_source(&ws, &name, &spec).await?;
    let source = app
        .store
        .source(&ws, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no source {name:?}")))?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(source_json(&source))))
}

async fn remove(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    if app.store.remove_source(&ws, &name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no source {name:?}")))
    }
}
