//! The generic external channel: another system POSTs inbound messages to
//! `/c/ext/{channel}/receive`, signed with the channel's secret, and gets outbound ones
//! at its callback URL (see `outbox.rs`).
//!
//! Signature: header `X-Atende-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
//! Body: `{"from": "+5511…" | "whatsapp:…", "text", "id"?, "name"?, "attachments"?}`;
//! `id` is the sender's message id, which makes retries harmless.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hmac::{KeyInit, Mac};
use serde_json::{json, Value};

use super::ApiError;
use crate::processor::{self, Inbound};
use crate::App;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// `sha256=<hex>` of the body under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Checks a signature header in constant time.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(given) = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

pub async fn receive(
    State(app): State<Arc<App>>,
    Path(channel_uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (ws, channel) = app
        .store
        .channel_anywhere(&channel_uuid)
        .await?
        .filter(|(_, c)| c.channel_type == "ext")
        .ok_or_else(|| ApiError::not_found(format!("no ext channel {channel_uuid}")))?;
    let secret = channel
        .config
        .get("secret")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError(
                StatusCode::FORBIDDEN,
                "channel has no secret: inbound is disabled".into(),
            )
        })?;
    let signature = headers
        .get("x-atende-signature")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !verify(secret, &body, signature) {
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "bad or missing X-Atende-Signature".into(),
        ));
    }
    let json: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))?;
    let from = json
        .get("from")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("field 'from' is required"))?;
    let urn = if from.contains(':') {
        from.to_string()
    } else {
        let scheme = processor::channel_schemes(&channel)
            .first()
            .cloned()
            .unwrap_or_else(|| "ext".into());
        format!("{scheme}:{from}")
    };
    let text = json.get("text").and_then(Value::as_str).unwrap_or_default();
    let attachments = json
        .get("attachments")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if text.is_empty() && json.get("attachments").is_none() {
        return Err(ApiError::bad_request(
            "field 'text' or 'attachments' is required",
        ));
    }
    let inbound = Inbound {
        urn,
        text: text.into(),
        attachments,
        external_id: json.get("id").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        name: json.get("name").and_then(Value::as_str).map(str::to_owned),
    };
    let received = processor::receive(&app, &ws, &channel, inbound).await?;
    let status = if received.duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(json!(received))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip_and_reject_tampering() {
        let s = sign("0123456789abcdef", b"{\"text\":\"oi\"}");
        assert!(verify("0123456789abcdef", b"{\"text\":\"oi\"}", &s));
        assert!(!verify("0123456789abcdef", b"{\"text\":\"oi!\"}", &s));
        assert!(!verify("other-secret-000", b"{\"text\":\"oi\"}", &s));
        assert!(!verify("0123456789abcdef", b"x", "sha256=zz"));
        assert!(!verify("0123456789abcdef", b"x", ""));
    }
}
