//! HTTP: the token-authenticated REST API (`/api/v1`), channel endpoints (`/c/…`), the
//! web chat (`/chat`), the demo ERP (`/demo/erp`), and operations (`/healthz`,
//! `/metrics`, `/api/openapi.json`).

pub mod api;
pub mod collections;
pub mod demo_erp;
pub mod ext;
pub mod openapi;
pub mod ops;
pub mod webchat;

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

pub use openapi::openapi_document;

use crate::App;

/// Biggest request body accepted (an export file with many flows fits).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/chat") }))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/api/openapi.json", get(ops::openapi))
        .nest("/api/v1", api::routes())
        .nest("/api/v1/collections", collections::routes())
        .route("/c/ext/{channel}/receive", post(ext::receive))
        .route("/chat", get(webchat::page))
        .route("/chat/widget.js", get(webchat::widget))
        .route("/chat/ws", get(webchat::socket))
        .route("/chat/api/send", post(webchat::send))
        .route("/chat/api/messages", get(webchat::messages))
        .route("/demo/erp/boletos", get(demo_erp::boletos))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// An error answered as `{"error": "…"}` with its status.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> ApiError {
        ApiError(StatusCode::NOT_FOUND, msg.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

impl From<atende_store::StoreError> for ApiError {
    fn from(e: atende_store::StoreError) -> ApiError {
        match e {
            atende_store::StoreError::Invalid(msg) => {
                ApiError(StatusCode::UNPROCESSABLE_ENTITY, msg)
            }
            atende_store::StoreError::Busy(_) => {
                ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
            atende_store::StoreError::InUse(msg) => ApiError(StatusCode::CONFLICT, msg),
            other => {
                tracing::error!(error = %other, "store");
                ApiError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage unavailable".into(),
                )
            }
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        if let Some(atende_store::StoreError::Invalid(msg)) =
            e.downcast_ref::<atende_store::StoreError>()
        {
            return ApiError(StatusCode::UNPROCESSABLE_ENTITY, msg.clone());
        }
        tracing::error!(error = %e, "request failed");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

/// The workspace an API token opens (`Authorization: Token …` or `Bearer …`).
pub struct Workspace(pub String);

impl FromRequestParts<Arc<App>> for Workspace {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let token = header
            .strip_prefix("Token ")
            .or_else(|| header.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError(
                    StatusCode::UNAUTHORIZED,
                    "missing API token: send 'Authorization: Token <token>'".into(),
                )
            })?;
        match app.store.token_workspace(token).await? {
            Some(ws) => Ok(Workspace(ws)),
            None => Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "invalid API token".into(),
            )),
        }
    }
}

/// Shared state extractor alias.
pub type AppState = State<Arc<App>>;
