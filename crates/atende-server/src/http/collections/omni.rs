//! TODO(issue 7): filled by the omni work.

use std::sync::Arc;

use axum::Router;
use serde_json::{Map, Value};

use crate::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
}

pub fn openapi_paths() -> Map<String, Value> {
    Map::new()
}
