//! Operations endpoints: health, Prometheus metrics, the OpenAPI document.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::App;

pub async fn healthz(State(app): State<Arc<App>>) -> impl IntoResponse {
    if app.store.ping().await {
        (StatusCode::OK, Json(json!({"status": "ok"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database unavailable"})),
        )
    }
}

pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let m = &app.metrics;
    let scheduled = app.store.fire_count().await.unwrap_or(-1);
    let up = u8::from(app.store.ping().await);
    let body = format!(
        "# HELP atende_inbound_messages_total Inbound messages received.\n\
         # TYPE atende_inbound_messages_total counter\n\
         atende_inbound_messages_total {}\n\
         # HELP atende_outbound_messages_total Outbound messages queued for delivery.\n\
         # TYPE atende_outbound_messages_total counter\n\
         atende_outbound_messages_total {}\n\
         # HELP atende_sprints_total Engine sprints run.\n\
         # TYPE atende_sprints_total counter\n\
         atende_sprints_total {}\n\
         # HELP atende_sprint_seconds_total Time spent in engine sprints (webhooks included).\n\
         # TYPE atende_sprint_seconds_total counter\n\
         atende_sprint_seconds_total {:.6}\n\
         # HELP atende_fires_total Wait timeouts and expirations applied.\n\
         # TYPE atende_fires_total counter\n\
         atende_fires_total {}\n\
         # HELP atende_fires_scheduled Wait timeouts and expirations waiting to fire.\n\
         # TYPE atende_fires_scheduled gauge\n\
         atende_fires_scheduled {scheduled}\n\
         # HELP atende_database_up Whether the database answers.\n\
         # TYPE atende_database_up gauge\n\
         atende_database_up {up}\n",
        m.inbound.load(Ordering::Relaxed),
        m.outbound.load(Ordering::Relaxed),
        m.sprints.load(Ordering::Relaxed),
        m.sprint_micros.load(Ordering::Relaxed) as f64 / 1e6,
        m.fires.load(Ordering::Relaxed),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

pub async fn openapi() -> impl IntoResponse {
    Json(super::openapi_document())
}
