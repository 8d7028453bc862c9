//! The log of webhook calls flows made (`webhook_called` events), for troubleshooting
//! integrations.

use serde_json::Value as Json;

use crate::{col, time_text, wall_now, Result, Store, Tx};

impl Tx {
    /// Records one `webhook_called` event.
    pub async fn log_webhook(
        &mut self,
        workspace: &str,
        session: &str,
        event: &Json,
    ) -> Result<()> {
        let s = |k: &str| {
            event
                .get(k)
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        sqlx::query(
            "INSERT INTO webhook_calls (workspace_id, uuid, session_uuid, url, status, status_code, elapsed_ms, request, response, created_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(workspace)
        .bind(s("uuid"))
        .bind(session)
        .bind(s("url"))
        .bind(s("status"))
        .bind(event.get("status_code").and_then(Json::as_i64).unwrap_or_default())
        .bind(event.get("elapsed_ms").and_then(Json::as_i64).unwrap_or_default())
        .bind(s("request"))
        .bind(s("response"))
        .bind(time_text(wall_now()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// The newest webhook calls: `{url, status, status_code, elapsed_ms, created_on}`.
    pub async fn webhook_calls(&self, workspace: &str, limit: i64) -> Result<Vec<Json>> {
        let rows = sqlx::query(
            "SELECT url, status, status_code, elapsed_ms, created_on FROM webhook_calls
             WHERE workspace_id = $1 ORDER BY created_on DESC LIMIT $2",
        )
        .bind(workspace)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "url": col::<String>(r, "url")?,
                    "status": col::<String>(r, "status")?,
                    "status_code": col::<i64>(r, "status_code")?,
                    "elapsed_ms": col::<i64>(r, "elapsed_ms")?,
                    "created_on": col::<String>(r, "created_on")?,
                }))
            })
            .collect()
    }
}
