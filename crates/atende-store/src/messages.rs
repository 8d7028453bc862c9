//! Messages in and out, and the outbox of messages still to deliver.
//!
//! An inbound message is stored first (`pending`), idempotently by the channel's external
//! id, and handled later under the contact's lease, oldest first: that is what gives
//! per-contact ordering and exactly-once handling. An outbound message and its outbox row
//! are written in the same transaction as the session that produced them.

use serde_json::{json, Value as Json};

use crate::{col, json_col, time_text, Result, Store, Tx};

/// A message to store.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewMessage {
    pub uuid: String,
    pub contact_uuid: String,
    pub channel_uuid: String,
    pub urn: String,
    pub text: String,
    pub attachments: Vec<String>,
    pub quick_replies: Vec<String>,
    pub external_id: Option<String>,
    /// Channel-specific parts (`{"whatsapp": {header, footer, list, cta_url}}`,
    /// `{"templating": …}`); `Null` when none.
    pub extras: Json,
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Message {
    pub uuid: String,
    /// Order within the workspace.
    pub seq: i64,
    pub contact_uuid: String,
    pub channel_uuid: String,
    pub urn: String,
    /// `in` or `out`.
    pub direction: String,
    pub text: String,
    pub attachments: Vec<String>,
    pub quick_replies: Vec<String>,
    /// in: `pending`, `handled`; out: `queued`, `sent`, `failed`.
    pub status: String,
    pub external_id: Option<String>,
    pub created_on: String,
    /// See [`NewMessage::extras`].
    #[serde(skip_serializing_if = "Json::is_null")]
    pub extras: Json,
}

/// An outbound message claimed for delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxItem {
    pub workspace_id: String,
    pub attempts: i64,
    pub message: Message,
}

const COLUMNS: &str = "uuid, seq, contact_uuid, channel_uuid, urn, direction, text, attachments, quick_replies, status, external_id, created_on, extras";

fn decode(row: &sqlx::any::AnyRow) -> Result<Message> {
    let list = |name: &str| -> Result<Vec<String>> {
        Ok(json_col(row, name)?
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect())
    };
    Ok(Message {
        uuid: col(row, "uuid")?,
        seq: col(row, "seq")?,
        contact_uuid: col(row, "contact_uuid")?,
        channel_uuid: col(row, "channel_uuid")?,
        urn: col(row, "urn")?,
        direction: col(row, "direction")?,
        text: col(row, "text")?,
        attachments: list("attachments")?,
        quick_replies: list("quick_replies")?,
        status: col(row, "status")?,
        external_id: col(row, "external_id")?,
        created_on: col(row, "created_on")?,
        extras: match col::<String>(row, "extras")?.as_str() {
            "" => Json::Null,
            text => serde_json::from_str(text).map_err(|e| crate::StoreError::Corrupt {
                what: "messages.extras".into(),
                why: e.to_string(),
            })?,
        },
    })
}

impl Store {
    /// The contact's oldest inbound message not handled yet.
    pub async fn next_pending(&self, workspace: &str, contact: &str) -> Result<Option<Message>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM messages WHERE workspace_id = $1 AND contact_uuid = $2
             AND direction = 'in' AND status = 'pending' ORDER BY seq LIMIT 1"
        )))
        .bind(workspace)
        .bind(contact)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// `(workspace, contact)` pairs with inbound messages left pending (e.g. by a crash).
    pub async fn contacts_with_pending(&self, limit: i64) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT workspace_id, contact_uuid FROM messages
             WHERE direction = 'in' AND status = 'pending' LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "workspace_id")?, col(r, "contact_uuid")?)))
            .collect()
    }

    /// A contact's messages after `after_seq`, oldest first.
    pub async fn contact_messages(
        &self,
        workspace: &str,
        contact: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM messages WHERE workspace_id = $1 AND contact_uuid = $2 AND seq > $3
             ORDER BY seq LIMIT $4"
        )))
        .bind(workspace)
        .bind(contact)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// The workspace's messages, newest first, before `before_seq` (0 = from the newest).
    pub async fn messages(
        &self,
        workspace: &str,
        before_seq: i64,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let before = if before_seq <= 0 {
            i64::MAX
        } else {
            before_seq
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM messages WHERE workspace_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
        )))
        .bind(workspace)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Claims up to `limit` outbox rows that are due, for `lease`; a row whose holder died
    /// comes back when its lease runs out.
    pub async fn claim_outbox(
        &self,
        now: jiff::Timestamp,
        lease: std::time::Duration,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        let until = now + jiff::SignedDuration::try_from(lease).unwrap_or_default();
        let mut tx = self.begin().await?;
        // the outer condition is checked again under the row lock (PostgreSQL), so two
        // instances racing for the same row cannot both win it
        let claimed = sqlx::query(
            "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1
             WHERE msg_uuid IN (SELECT msg_uuid FROM outbox WHERE next_attempt_on <= $2 AND claimed_until < $2
                                ORDER BY next_attempt_on LIMIT $3)
               AND next_attempt_on <= $2 AND claimed_until < $2
             RETURNING workspace_id, msg_uuid, attempts",
        )
        .bind(time_text(until))
        .bind(time_text(now))
        .bind(limit)
        .fetch_all(&mut *tx.tx)
        .await?;
        let mut items = Vec::new();
        for r in &claimed {
            let workspace: String = col(r, "workspace_id")?;
            let uuid: String = col(r, "msg_uuid")?;
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM messages WHERE workspace_id = $1 AND uuid = $2"
            )))
            .bind(&workspace)
            .bind(&uuid)
            .fetch_one(&mut *tx.tx)
            .await?;
            items.push(OutboxItem {
                workspace_id: workspace,
                attempts: col(r, "attempts")?,
                message: decode(&row)?,
            });
        }
        tx.commit().await?;
        Ok(items)
    }

    /// Delivery done: the row leaves the outbox and the message gets its final status.
    pub async fn outbox_done(
        &self,
        workspace: &str,
        msg: &str,
        status: &str,
        external_id: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM outbox WHERE workspace_id = $1 AND msg_uuid = $2")
            .bind(workspace)
            .bind(msg)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query(
            "UPDATE messages SET status = $3, external_id = COALESCE($4, external_id), modified_on = $5
             WHERE workspace_id = $1 AND uuid = $2",
        )
        .bind(workspace)
        .bind(msg)
        .bind(status)
        .bind(external_id)
        .bind(time_text(crate::wall_now()))
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// Delivery failed: try again at `next`.
    pub async fn outbox_retry(
        &self,
        workspace: &str,
        msg: &str,
        next: jiff::Timestamp,
        error: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE outbox SET next_attempt_on = $3, claimed_until = '', last_error = $4
             WHERE workspace_id = $1 AND msg_uuid = $2",
        )
        .bind(workspace)
        .bind(msg)
        .bind(time_text(next))
        .bind(error)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }
}

impl Tx {
    /// Stores an inbound message as `pending`; `None` when the channel already delivered
    /// one with this external id (a retried webhook), which is then not handled again.
    pub async fn insert_inbound(
        &mut self,
        workspace: &str,
        msg: &NewMessage,
        now: jiff::Timestamp,
    ) -> Result<Option<i64>> {
        if let Some(ext) = &msg.external_id {
            let seen: Option<String> = sqlx::query_scalar(
                "SELECT uuid FROM messages WHERE workspace_id = $1 AND channel_uuid = $2 AND external_id = $3",
            )
            .bind(workspace)
            .bind(&msg.channel_uuid)
            .bind(ext)
            .fetch_optional(&mut *self.tx)
            .await?;
            if seen.is_some() {
                return Ok(None);
            }
        }
        let seq = self.next_counter(workspace, "message_seq").await?;
        let inserted = self
            .insert_message(workspace, msg, seq, "in", "pending", now)
            .await?;
        Ok(inserted.then_some(seq))
    }

    /// Stores an outbound message; with `deliver`, also queues it in the outbox.
    pub async fn insert_outbound(
        &mut self,
        workspace: &str,
        msg: &NewMessage,
        deliver: bool,
        now: jiff::Timestamp,
    ) -> Result<i64> {
        let seq = self.next_counter(workspace, "message_seq").await?;
        let status = if deliver { "queued" } else { "sent" };
        self.insert_message(workspace, msg, seq, "out", status, now)
            .await?;
        if deliver {
            sqlx::query(
                "INSERT INTO outbox (workspace_id, msg_uuid, attempts, next_attempt_on, claimed_until, last_error)
                 VALUES ($1, $2, 0, $3, '', '')",
            )
            .bind(workspace)
            .bind(&msg.uuid)
            .bind(time_text(now))
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(seq)
    }

    async fn insert_message(
        &mut self,
        workspace: &str,
        msg: &NewMessage,
        seq: i64,
        direction: &str,
        status: &str,
        now: jiff::Timestamp,
    ) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO messages (workspace_id, uuid, seq, contact_uuid, channel_uuid, urn, direction, text,
               attachments, quick_replies, status, external_id, created_on, modified_on, extras)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
             ON CONFLICT DO NOTHING",
        )
        .bind(workspace)
        .bind(&msg.uuid)
        .bind(seq)
        .bind(&msg.contact_uuid)
        .bind(&msg.channel_uuid)
        .bind(&msg.urn)
        .bind(direction)
        .bind(&msg.text)
        .bind(json!(msg.attachments).to_string())
        .bind(json!(msg.quick_replies).to_string())
        .bind(status)
        .bind(msg.external_id.clone())
        .bind(time_text(now))
        .bind(if msg.extras.is_null() { String::new() } else { msg.extras.to_string() })
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Marks an inbound message handled (in the transaction that applied its sprint).
    pub async fn mark_handled(
        &mut self,
        workspace: &str,
        msg: &str,
        now: jiff::Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = 'handled', modified_on = $3 WHERE workspace_id = $1 AND uuid = $2",
        )
        .bind(workspace)
        .bind(msg)
        .bind(time_text(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
