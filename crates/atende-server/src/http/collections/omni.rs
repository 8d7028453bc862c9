//! The omnichannel webhook receiver (UC008): the platform (OMNE) posts what happened in
//! each attendance to `/api/v1/collections/omni/{workspace}/webhook`; the store keeps
//! every event and links it to the customer (`atende_store::portfolio::omni`).
//!
//! The platform has no API token: it proves itself with the workspace's shared secret,
//! set through `PUT /api/v1/collections/omni/secret`, either as the header
//! `X-Atende-Secret: <secret>` (compared in constant time) or as
//! `X-Atende-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (as the ext channel).
//! The body is one event or an array of them (`resume_users` comes as an array); every
//! event is checked before any is stored, and a malformed one answers 400 naming its
//! JSON path.
//!
//! Unmatched events (FA006) are listed by `GET /api/v1/collections/omni/unmatched`;
//! after the data that links them has arrived (the day's remessa, enrichment), ops run
//! `POST /api/v1/collections/omni/replay` (or `atende collections omni-replay`).

use crate::http::openapi::op;
use std::collections::HashMap;
use std::sync::Arc;

use atende_store::portfolio::omni::{check_event, OmniReceipt};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::http::{ext, ApiError, Workspace};
use crate::App;

type Result<T> = std::result::Result<T, ApiError>;

/// Shortest secret accepted: a guessable one would let anyone write events.
const MIN_SECRET: usize = 16;
const MAX_SECRET: usize = 256;
/// Default and largest page of the unmatched list; default replay size.
const PAGE: i64 = 100;
const MAX_PAGE: i64 = 500;
const REPLAY: i64 = 10_000;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/omni/{workspace}/webhook", post(webhook))
        .route("/omni/secret", put(set_secret))
        .route("/omni/unmatched", get(unmatched))
        .route("/omni/replay", post(replay))
}

pub fn openapi_paths() -> Map<String, Value> {
    let unauthorized = (
        "401",
        "Bad or missing X-Atende-Secret / X-Atende-Signature; nothing stored",
    );
    let mut paths = Map::new();
    paths.insert(
        "/api/v1/collections/omni/{workspace}/webhook".into(),
        json!({"post": op(
            "Omnichannel webhook (UC008): one event or an array of events (attendance, visitor, occurrence, hsm, resume_users), stored and linked to the customer by attendance id, CRM id, CPF/CNPJ, phone, e-mail; idempotent by webhook_type:id. Authenticated by the workspace's secret in X-Atende-Secret or an HMAC-SHA256 of the body in X-Atende-Signature: sha256=<hex>",
            false,
            Some("{webhook_type, id, …} or [{…}, …]; answers {event_key, status: matched|unmatched|stored, matched_by, occurrence_id, duplicate} (an array: {results, received, duplicates, duplicate})"),
            &[("200", "Stored (or already stored: duplicate true)"), ("400", "Malformed body; the error names the JSON path"), unauthorized, ("503", "Storage unavailable: deliver again")],
        )}),
    );
    paths.insert(
        "/api/v1/collections/omni/secret".into(),
        json!({"put": op(
            "Set the workspace's omnichannel webhook secret (16–256 characters; never shown again)",
            true,
            Some("{secret}"),
            &[("200", "Set; answers the webhook's path"), ("400", "Invalid secret; the error names the field"), ("401", "Missing or invalid API token")],
        )}),
    );
    paths.insert(
        "/api/v1/collections/omni/unmatched".into(),
        json!({"get": op(
            "Omnichannel events no customer was found for (FA006), oldest first (`offset`, `limit` ≤ 500)",
            true,
            None,
            &[("200", "{results, total, offset, limit}"), ("400", "Invalid paging; the error names the parameter"), ("401", "Missing or invalid API token")],
        )}),
    );
    paths.insert(
        "/api/v1/collections/omni/replay".into(),
        json!({"post": op(
            "Run the linking chain again over unmatched events (e.g. after the day's remessa), oldest first, up to `limit` (default 10000)",
            true,
            None,
            &[("200", "{examined, matched, unmatched}"), ("400", "Invalid limit"), ("401", "Missing or invalid API token")],
        )}),
    );
    paths
}

/// Whether the request carries the workspace's secret or a signature made with it.
fn authorised(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
    if header("x-atende-secret").is_some_and(|given| same_secret(secret, given.trim())) {
        return true;
    }
    header("x-atende-signature").is_some_and(|sig| ext::verify(secret, body, sig))
}

/// Compares in constant time: both sides are hashed to one length first, and every byte
/// of the digests is read whatever differs.
fn same_secret(secret: &str, given: &str) -> bool {
    let (a, b) = (
        Sha256::digest(secret.as_bytes()),
        Sha256::digest(given.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// `$`, `$.info.document`, `$[1].id` from serde_path_to_error's `.`, `info.document`,
/// `[1].id`; a trailing `?` (the key the parser had not read yet) is left out.
fn json_path(path: &str) -> String {
    let path = path.strip_suffix(".?").unwrap_or(path);
    match path {
        "?" => "$".into(),
        "" | "." => "$".into(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// The body as JSON; a syntax error names where it is.
fn parse_body(body: &[u8]) -> Result<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "$: the body is empty: send an event object or an array of events",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: Value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        ApiError::bad_request(format!(
            "{}: the body is not valid JSON: {}",
            json_path(&e.path().to_string()),
            e.inner()
        ))
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("$: the body is not valid JSON: {e}")))?;
    Ok(value)
}

async fn webhook(
    State(app): State<Arc<App>>,
    Path(workspace): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let secret = app.store.omni_secret(&workspace).await?;
    let ok = secret
        .as_deref()
        .is_some_and(|s| authorised(s, &headers, &body));
    if !ok {
        tracing::warn!(
            workspace = %workspace,
            configured = secret.is_some(),
            "omnichannel webhook refused: bad or missing secret or signature"
        );
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "bad or missing X-Atende-Secret / X-Atende-Signature".into(),
        ));
    }
    let (events, batch) = match parse_body(&body)? {
        Value::Array(items) if items.is_empty() => {
            return Err(ApiError::bad_request("$: the array holds no event"));
        }
        Value::Array(items) => (items, true),
        event @ Value::Object(_) => (vec![event], false),
        _ => {
            return Err(ApiError::bad_request(
                "$ must be an event object or an array of events",
            ))
        }
    };
    // all or none rejected: a sender fixing one event re-sends the lot
    for (i, event) in events.iter().enumerate() {
        let at = if batch { format!("$[{i}]") } else { "$".into() };
        check_event(event, &at).map_err(ApiError::bad_request)?;
    }
    let mut receipts: Vec<OmniReceipt> = Vec::with_capacity(events.len());
    for event in &events {
        // a failure here is a 503: the sender delivers again, and what was stored
        // already answers as a duplicate
        receipts.push(app.store.receive_omni_event(&workspace, event).await?);
    }
    if !batch {
        return Ok(Json(json!(receipts[0])));
    }
    let duplicates = receipts.iter().filter(|r| r.duplicate).count();
    Ok(Json(json!({
        "received": receipts.len(),
        "duplicates": duplicates,
        "duplicate": duplicates == receipts.len(),
        "results": receipts,
    })))
}

async fn set_secret(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    body: Bytes,
) -> Result<Json<Value>> {
    let body = parse_body(&body)?;
    let secret = match body.get("secret") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request("field 'secret' is required"))
        }
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(ApiError::bad_request("field 'secret' must be a string")),
    };
    let n = secret.chars().count();
    if !(MIN_SECRET..=MAX_SECRET).contains(&n) || secret.trim() != secret {
        return Err(ApiError::bad_request(format!(
            "field 'secret' must have {MIN_SECRET} to {MAX_SECRET} characters and no surrounding spaces"
        )));
    }
    app.store.set_omni_secret(&ws, secret).await?;
    tracing::info!(workspace = %ws, "omnichannel webhook secret set");
    Ok(Json(json!({
        "updated": true,
        "webhook": format!("/api/v1/collections/omni/{ws}/webhook"),
    })))
}

/// A non-negative integer query parameter.
fn number(q: &HashMap<String, String>, key: &str, default: i64, max: i64) -> Result<i64> {
    match q.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "parameter '{key}' must be an integer from 0 to {max}"
                ))
            }),
    }
}

async fn unmatched(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>> {
    let offset = number(&q, "offset", 0, i64::MAX)?;
    let limit = number(&q, "limit", PAGE, MAX_PAGE)?;
    let (events, total) = app.store.omni_unmatched(&ws, offset, limit).await?;
    Ok(Json(json!({
        "results": events,
        "total": total,
        "offset": offset,
        "limit": limit,
    })))
}

async fn replay(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>> {
    let limit = number(&q, "limit", REPLAY, i64::MAX)?;
    let done = app.store.omni_replay(&ws, limit).await?;
    Ok(Json(json!(done)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("0123456789abcdef", "0123456789abcdef"));
        assert!(!same_secret("0123456789abcdef", "0123456789abcdeF"));
        assert!(!same_secret("0123456789abcdef", "0123456789abcde"));
        assert!(!same_secret("0123456789abcdef", ""));
    }

    #[test]
    fn json_errors_name_the_path() {
        let err =
            parse_body(br#"[{"webhook_type": "hsm"}, {"info": {"phone": 11 98}}]"#).unwrap_err();
        assert!(err.1.starts_with("$[1].info: "), "{}", err.1);
        let err = parse_body(br#"{"info": {"document": "5299"#).unwrap_err();
        assert!(err.1.starts_with("$.info.document: "), "{}", err.1);
        let err = parse_body(b"{} x").unwrap_err();
        assert!(err.1.starts_with("$: "), "{}", err.1);
        assert!(parse_body(b"  ").unwrap_err().1.contains("empty"));
    }
}
