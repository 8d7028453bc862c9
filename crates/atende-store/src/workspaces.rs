//! Workspaces (tenants): every other row belongs to one.

use serde_json::{json, Value as Json};

use crate::{col, json_col, time_text, wall_now, Result, Store};

#[derive(Clone, Debug, PartialEq)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    /// goflow environment JSON (time zone, date format, languages, country, redaction).
    pub environment: Json,
}

/// The environment a Brazilian workspace starts with.
pub fn default_environment() -> Json {
    json!({
        "date_format": "DD-MM-YYYY",
        "time_format": "tt:mm",
        "timezone": "America/Sao_Paulo",
        "allowed_languages": ["por"],
        "default_country": "BR",
        "redaction_policy": "none"
    })
}

impl Store {
    /// Creates the workspace, or returns the existing one with that id unchanged.
    pub async fn ensure_workspace(&self, id: &str, name: &str) -> Result<Workspace> {
        if let Some(w) = self.workspace(id).await? {
            return Ok(w);
        }
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO workspaces (id, name, environment, created_on) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(default_environment().to_string())
        .bind(time_text(wall_now()))
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(self.workspace(id).await?.unwrap_or(Workspace {
            id: id.into(),
            name: name.into(),
            environment: default_environment(),
        }))
    }

    pub async fn workspace(&self, id: &str) -> Result<Option<Workspace>> {
        let row = sqlx::query("SELECT id, name, environment FROM workspaces WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Workspace {
                id: col(&r, "id")?,
                name: col(&r, "name")?,
                environment: json_col(&r, "environment")?,
            })
        })
        .transpose()
    }

    pub async fn workspaces(&self) -> Result<Vec<Workspace>> {
        let rows = sqlx::query("SELECT id, name, environment FROM workspaces ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Workspace {
                    id: col(r, "id")?,
                    name: col(r, "name")?,
                    environment: json_col(r, "environment")?,
                })
            })
            .collect()
    }
}
