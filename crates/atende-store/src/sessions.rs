//! Engine sessions (kept whole as goflow's JSON) and their runs (mirrored for reporting:
//! results per flow without parsing every session).

use atende_engine::session::{Session, SessionStatus};
use serde_json::Value as Json;

use crate::{col, json_col, time_text, Result, Store, StoreError, Tx};

fn status_text(status: SessionStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{status:?}").to_lowercase())
}

fn decode(row: &sqlx::any::AnyRow) -> Result<Session> {
    let state: String = col(row, "state")?;
    // from text, so result extras keep their JSON as written (goflow's @legacy_extra)
    Session::from_text(&state).map_err(|why| StoreError::Corrupt {
        what: "sessions.state".into(),
        why,
    })
}

impl Store {
    /// The contact's waiting session, if any.
    pub async fn waiting_session(&self, workspace: &str, contact: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT state FROM sessions WHERE workspace_id = $1 AND contact_uuid = $2 AND status = 'waiting'
             ORDER BY created_on DESC LIMIT 1",
        )
        .bind(workspace)
        .bind(contact)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    pub async fn session(&self, workspace: &str, uuid: &str) -> Result<Option<Session>> {
        let row = sqlx::query("SELECT state FROM sessions WHERE workspace_id = $1 AND uuid = $2")
            .bind(workspace)
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    /// `(run uuid, contact uuid, status, results)` of a flow's runs, newest first.
    pub async fn flow_runs(&self, workspace: &str, flow: &str, limit: i64) -> Result<Vec<Json>> {
        let rows = sqlx::query(
            "SELECT uuid, contact_uuid, status, results, created_on, exited_on FROM runs
             WHERE workspace_id = $1 AND flow_uuid = $2 ORDER BY created_on DESC LIMIT $3",
        )
        .bind(workspace)
        .bind(flow)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "uuid": col::<String>(r, "uuid")?,
                    "contact": {"uuid": col::<String>(r, "contact_uuid")?},
                    "status": col::<String>(r, "status")?,
                    "results": json_col(r, "results")?,
                    "created_on": col::<String>(r, "created_on")?,
                    "exited_on": col::<Option<String>>(r, "exited_on")?,
                }))
            })
            .collect()
    }
}

impl Tx {
    /// Writes the session and its runs (insert or replace).
    pub async fn save_session(
        &mut self,
        workspace: &str,
        session: &Session,
        now: jiff::Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (workspace_id, uuid, contact_uuid, status, state, created_on, modified_on)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (workspace_id, uuid) DO UPDATE SET status = excluded.status, state = excluded.state,
               modified_on = excluded.modified_on",
        )
        .bind(workspace)
        .bind(&session.uuid)
        .bind(&session.contact_uuid)
        .bind(status_text(session.status))
        .bind(session.to_text())
        .bind(time_text(now))
        .execute(&mut *self.tx)
        .await?;
        for run in &session.runs {
            let flow_uuid = run
                .flow
                .get("uuid")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string();
            sqlx::query(
                "INSERT INTO runs (workspace_id, uuid, session_uuid, contact_uuid, flow_uuid, status, results, created_on, exited_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (workspace_id, uuid) DO UPDATE SET status = excluded.status, results = excluded.results,
                   exited_on = excluded.exited_on",
            )
            .bind(workspace)
            .bind(&run.uuid)
            .bind(&session.uuid)
            .bind(&session.contact_uuid)
            .bind(flow_uuid)
            .bind(run.status.as_str())
            .bind(serde_json::to_string(&run.results).unwrap_or_default())
            .bind(&run.created_on)
            .bind(run.exited_on.clone())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Marks the contact's waiting sessions interrupted (a new flow starts for it) and
    /// drops their scheduled fires.
    pub async fn interrupt_waiting(&mut self, workspace: &str, contact: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM fires WHERE workspace_id = $1 AND session_uuid IN
               (SELECT uuid FROM sessions WHERE workspace_id = $1 AND contact_uuid = $2 AND status = 'waiting')",
        )
        .bind(workspace)
        .bind(contact)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "UPDATE sessions SET status = 'interrupted' WHERE workspace_id = $1 AND contact_uuid = $2 AND status = 'waiting'",
        )
        .bind(workspace)
        .bind(contact)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
