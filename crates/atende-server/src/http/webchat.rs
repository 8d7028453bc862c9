//! Web chat: the standalone page (`/chat?channel=…`), the embeddable widget
//! (`<script src="…/chat/widget.js" data-channel="…">`), a WebSocket per visitor and a
//! polling fallback. A visitor is `webchat:<id>`, the id kept in the browser's storage.
//!
//! The socket pushes the visitor's new messages as soon as a sprint on this instance
//! writes them, and checks the store every second for those written elsewhere (another
//! instance, an agent through the API).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ApiError;
use crate::processor::{self, Inbound};
use crate::App;

const PAGE: &str = include_str!("../../static/chat.html");
const WIDGET: &str = include_str!("../../static/widget.js");

#[derive(Deserialize)]
pub struct ChannelParam {
    #[serde(default)]
    channel: String,
}

pub async fn page(State(app): State<Arc<App>>, Query(p): Query<ChannelParam>) -> Response {
    let channel = if p.channel.is_empty() {
        crate::demo::WEBCHAT_CHANNEL.to_string()
    } else {
        p.channel
    };
    match app.store.channel_anywhere(&channel).await {
        Ok(Some((_, c))) if c.channel_type == "webchat" => {
            let html = PAGE
                .replace("{{CHANNEL}}", &c.uuid)
                .replace("{{TITLE}}", &html_escape(&c.name));
            ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            Html(format!(
                "<!doctype html><meta charset=utf-8><title>Atende</title><p>No web chat channel {}. \
                 Create one with <code>POST /api/v1/channels {{\"type\": \"webchat\", …}}</code>.</p>",
                html_escape(&channel)
            )),
        )
            .into_response(),
    }
}

pub async fn widget() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/javascript; charset=utf-8",
        )],
        WIDGET,
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A visitor id is what the browser made up: letters, digits and dashes only.
fn visitor_urn(visitor: &str) -> Result<String, ApiError> {
    let ok = (8..=64).contains(&visitor.len())
        && visitor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(format!("webchat:{visitor}"))
    } else {
        Err(ApiError::bad_request(
            "visitor must be 8–64 letters, digits or dashes",
        ))
    }
}

async fn webchat_channel(
    app: &App,
    uuid: &str,
) -> Result<(String, atende_store::Channel), ApiError> {
    app.store
        .channel_anywhere(uuid)
        .await?
        .filter(|(_, c)| c.channel_type == "webchat")
        .ok_or_else(|| ApiError::not_found(format!("no web chat channel {uuid}")))
}

/// A message as the page shows it.
fn frame(m: &atende_store::Message) -> Value {
    json!({
        "type": "msg",
        "seq": m.seq,
        "direction": m.direction,
        "text": m.text,
        "quick_replies": m.quick_replies,
        "attachments": m.attachments,
        "header": m.extras.pointer("/whatsapp/header/text"),
        "footer": m.extras.pointer("/whatsapp/footer"),
    })
}

async fn messages_after(
    app: &App,
    ws: &str,
    urn: &str,
    after: i64,
) -> Result<Vec<atende_store::Message>, ApiError> {
    let Some(contact) = app.store.contact_by_urn(ws, urn).await? else {
        return Ok(Vec::new());
    };
    Ok(app
        .store
        .contact_messages(ws, &contact.contact.uuid, after, 200)
        .await?)
}

#[derive(Deserialize)]
pub struct SocketParams {
    channel: String,
    visitor: String,
}

pub async fn socket(
    State(app): State<Arc<App>>,
    Query(p): Query<SocketParams>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let (ws, channel) = webchat_channel(&app, &p.channel).await?;
    let urn = visitor_urn(&p.visitor)?;
    Ok(upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| chat_loop(app, ws, channel, urn, socket)))
}

async fn chat_loop(
    app: Arc<App>,
    ws: String,
    channel: atende_store::Channel,
    urn: String,
    mut socket: WebSocket,
) {
    let mut notified = app.notify.subscribe();
    let mut last_seq = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        // push what is new first (also the history on connect)
        match messages_after(&app, &ws, &urn, last_seq).await {
            Ok(list) => {
                for m in list {
                    last_seq = last_seq.max(m.seq);
                    if socket
                        .send(WsMessage::Text(frame(&m).to_string().into()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Err(e) => tracing::warn!(error = ?e, "web chat read"),
        }
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(incoming)) = incoming else { return };
                let WsMessage::Text(text) = incoming else { continue };
                let Ok(body) = serde_json::from_str::<Value>(&text) else { continue };
                let text = body.get("text").and_then(Value::as_str).unwrap_or_default().trim().to_string();
                if text.is_empty() {
                    continue;
                }
                let inbound = Inbound {
                    urn: urn.clone(),
                    text,
                    external_id: body.get("id").and_then(Value::as_str).map(str::to_owned),
                    ..Inbound::default()
                };
                // handled in the background: the socket keeps reading and pushing
                let (app2, ws2, ch2) = (app.clone(), ws.clone(), channel.clone());
                tokio::spawn(async move {
                    if let Err(e) = processor::receive(&app2, &ws2, &ch2, inbound).await {
                        tracing::warn!(error = %e, "web chat message");
                    }
                });
            }
            _ = notified.recv() => {}
            _ = tick.tick() => {}
        }
    }
}

/// Polling fallback: `{"channel", "visitor", "text", "id"?}`.
pub async fn send(
    State(app): State<Arc<App>>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let get = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (ws, channel) = webchat_channel(&app, &get("channel")).await?;
    let urn = visitor_urn(&get("visitor"))?;
    let text = get("text").trim().to_string();
    if text.is_empty() {
        return Err(ApiError::bad_request("field 'text' is required"));
    }
    let id = get("id");
    let inbound = Inbound {
        urn,
        text,
        external_id: (!id.is_empty()).then_some(id),
        ..Inbound::default()
    };
    let received = processor::receive(&app, &ws, &channel, inbound).await?;
    Ok((StatusCode::ACCEPTED, Json(json!(received))))
}

#[derive(Deserialize)]
pub struct PollParams {
    channel: String,
    visitor: String,
    #[serde(default)]
    after: i64,
}

pub async fn messages(
    State(app): State<Arc<App>>,
    Query(p): Query<PollParams>,
) -> Result<Json<Value>, ApiError> {
    let (ws, _) = webchat_channel(&app, &p.channel).await?;
    let urn = visitor_urn(&p.visitor)?;
    let list: Vec<Value> = messages_after(&app, &ws, &urn, p.after)
        .await?
        .iter()
        .map(frame)
        .collect();
    Ok(Json(json!({"results": list})))
}
