//! Scheduled fires: wait timeouts and session expirations. A fire is written with the
//! session that scheduled it and deleted in the transaction that applies it, so it fires
//! at most once; a claim lease lets another instance take over one whose holder died.

use crate::{col, time_text, Result, Store, Tx};

/// The kind of fire that starts a schedule trigger's flow (its `session_uuid` is the
/// trigger's UUID).
pub const TRIGGER_FIRE: &str = "trigger";

/// A scheduled resume of a waiting session, or a schedule trigger's next start.
#[derive(Clone, Debug, PartialEq)]
pub struct Fire {
    pub id: String,
    pub workspace_id: String,
    pub contact_uuid: String,
    pub session_uuid: String,
    /// `wait_timeout`, `wait_expiration` or [`TRIGGER_FIRE`].
    pub kind: String,
    /// The session's sprint count when scheduled: a later sprint makes the fire stale.
    pub sprint: i64,
    pub due_on: String,
}

impl Store {
    /// Claims up to `limit` fires that are due.
    pub async fn claim_fires(
        &self,
        now: jiff::Timestamp,
        lease: std::time::Duration,
        limit: i64,
    ) -> Result<Vec<Fire>> {
        let until = now + jiff::SignedDuration::try_from(lease).unwrap_or_default();
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "UPDATE fires SET claimed_until = $1
             WHERE id IN (SELECT id FROM fires WHERE due_on <= $2 AND claimed_until < $2 ORDER BY due_on LIMIT $3)
               AND due_on <= $2 AND claimed_until < $2
             RETURNING id, workspace_id, contact_uuid, session_uuid, kind, sprint, due_on",
        )
        .bind(time_text(until))
        .bind(time_text(now))
        .bind(limit)
        .fetch_all(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(Fire {
                    id: col(r, "id")?,
                    workspace_id: col(r, "workspace_id")?,
                    contact_uuid: col(r, "contact_uuid")?,
                    session_uuid: col(r, "session_uuid")?,
                    kind: col(r, "kind")?,
                    sprint: col(r, "sprint")?,
                    due_on: col(r, "due_on")?,
                })
            })
            .collect()
    }

    /// How many fires are scheduled (for `/metrics`).
    pub async fn fire_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM fires")
            .fetch_one(&self.pool)
            .await?)
    }
}

impl Tx {
    /// Replaces the session's scheduled fires with `fires` (`(kind, due)` pairs).
    pub async fn schedule_fires(
        &mut self,
        workspace: &str,
        contact: &str,
        session: &str,
        sprint: i64,
        fires: &[(&str, jiff::Timestamp)],
    ) -> Result<()> {
        sqlx::query("DELETE FROM fires WHERE workspace_id = $1 AND session_uuid = $2")
            .bind(workspace)
            .bind(session)
            .execute(&mut *self.tx)
            .await?;
        for (kind, due) in fires {
            sqlx::query(
                "INSERT INTO fires (id, workspace_id, contact_uuid, session_uuid, kind, sprint, due_on, claimed_until)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, '')",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(workspace)
            .bind(contact)
            .bind(session)
            .bind(*kind)
            .bind(sprint)
            .bind(time_text(*due))
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Takes a claimed fire out; `false` when it is gone already (applied elsewhere), in
    /// which case the caller must roll back.
    pub async fn take_fire(&mut self, id: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM fires WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
