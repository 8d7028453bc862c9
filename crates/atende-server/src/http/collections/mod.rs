//! The collections hub's HTTP API under `/api/v1/collections` (issue 7,
//! `shared/seeds/001_*.txt`): the customer lookup for bots, the IVR and the portal
//! (UC009), the portal's writes (UC010–UC012), the omnichannel webhook receiver (UC008)
//! and the dialer/write-off exports (UC003, UC007). All token-authenticated and scoped to
//! the token's workspace, except the omnichannel receiver, which checks a per-workspace
//! shared secret or signature.

mod exports;
mod lookup;
mod omni;
mod portal;
/// The pick-up sources the creditor's files are collected from (issue 6).
mod sources;

use std::sync::Arc;

use axum::Router;
use serde_json::{Map, Value};

use crate::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .merge(lookup::routes())
        .merge(portal::routes())
        .merge(omni::routes())
        .merge(exports::routes())
        .merge(sources::routes())
}

/// An OpenAPI operation behind the API token.
fn op(summary: &str, body: Option<&str>, responses: &[(&str, &str)]) -> Value {
    super::openapi::op(summary, true, body, responses)
}

/// The OpenAPI `paths` entries of these routes (full paths, `/api/v1/collections/…`).
pub fn openapi_paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for part in [
        lookup::openapi_paths(),
        portal::openapi_paths(),
        omni::openapi_paths(),
        exports::openapi_paths(),
        sources::openapi_paths(),
    ] {
        paths.extend(part);
    }
    paths
}
