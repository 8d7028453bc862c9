//! Outbox delivery: claims due outbound messages and hands them to their channel, with
//! retries and exponential backoff. The generic `ext` channel POSTs each message as JSON to
//! the channel's `callback_url`, signed like inbound webhooks (`X-Atende-Signature`).

use std::sync::Arc;
use std::time::Duration;

use atende_store::OutboxItem;
use serde_json::json;

use crate::App;

/// Attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// Delay before attempt `n + 1`: `base`, 2×, 4×, … capped at one hour.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    let factor = 1u32 << attempts.clamp(1, 20).saturating_sub(1);
    base.saturating_mul(factor).min(Duration::from_secs(3600))
}

/// Runs for ever, woken by new messages or every few seconds.
pub async fn run(app: Arc<App>) {
    loop {
        match deliver_due(&app).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox"),
        }
        tokio::select! {
            _ = app.outbox_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// Delivers what is due now; returns how many messages it tried.
pub async fn deliver_due(app: &Arc<App>) -> anyhow::Result<usize> {
    let items = app
        .store
        .claim_outbox(atende_store::wall_now(), Duration::from_secs(60), 50)
        .await?;
    let n = items.len();
    for item in items {
        let outcome = deliver(app, &item).await;
        let (ws, uuid) = (&item.workspace_id, &item.message.uuid);
        match outcome {
            Ok(external_id) => {
                app.store
                    .outbox_done(ws, uuid, "sent", external_id.as_deref())
                    .await?;
            }
            Err(e) if item.attempts >= MAX_ATTEMPTS => {
                tracing::warn!(msg = %uuid, error = %e, "giving up delivering message");
                app.store.outbox_done(ws, uuid, "failed", None).await?;
            }
            Err(e) => {
                let next = atende_store::wall_now()
                    + jiff::SignedDuration::try_from(backoff(app.config.retry_base, item.attempts))
                        .unwrap_or_default();
                tracing::info!(msg = %uuid, attempt = item.attempts, error = %e, "delivery failed, will retry");
                app.store.outbox_retry(ws, uuid, next, &e).await?;
            }
        }
    }
    Ok(n)
}

/// One delivery attempt; `Ok` carries the provider's message id when it gives one.
async fn deliver(app: &App, item: &OutboxItem) -> Result<Option<String>, String> {
    let m = &item.message;
    let channel = app
        .store
        .channel(&item.workspace_id, &m.channel_uuid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("channel {} is gone", m.channel_uuid))?;
    let url = channel
        .config
        .get("callback_url")
        .and_then(|v| v.as_str())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| format!("channel {} has no callback_url", channel.name))?;
    let body = json!({
        "id": m.uuid,
        "to": m.urn.split_once(':').map_or(m.urn.as_str(), |(_, p)| p),
        "urn": m.urn,
        "text": m.text,
        "attachments": m.attachments,
        "quick_replies": m.quick_replies,
        "extras": m.extras,
        "contact": {"uuid": m.contact_uuid},
        "channel": {"uuid": channel.uuid},
    })
    .to_string();
    let mut request = app
        .http
        .post(url)
        .timeout(Duration::from_secs(15))
        .header("Content-Type", "application/json");
    if let Some(secret) = channel.config.get("secret").and_then(|v| v.as_str()) {
        request = request.header(
            "X-Atende-Signature",
            crate::http::ext::sign(secret, body.as_bytes()),
        );
    }
    let response = request.body(body).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("callback answered HTTP {}", status.as_u16()));
    }
    let answer: serde_json::Value = response.json_value().await.unwrap_or_default();
    Ok(answer.get("id").and_then(|v| v.as_str()).map(str::to_owned))
}

/// Reads a JSON body without making reqwest's `json` feature a dependency.
trait JsonValue {
    async fn json_value(self) -> Result<serde_json::Value, String>;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Result<serde_json::Value, String> {
        let bytes = self.bytes().await.map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(5);
        assert_eq!(backoff(base, 1), Duration::from_secs(5));
        assert_eq!(backoff(base, 2), Duration::from_secs(10));
        assert_eq!(backoff(base, 4), Duration::from_secs(40));
        assert_eq!(backoff(base, 30), Duration::from_secs(3600));
    }
}
