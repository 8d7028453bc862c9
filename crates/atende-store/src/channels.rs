//! Channels: where messages come from and go to (`webchat`, `ext` with a callback URL, …).

use serde_json::Value as Json;

use crate::{col, json_col, Result, Store};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Channel {
    pub uuid: String,
    pub name: String,
    /// `webchat`, `ext`, …
    pub channel_type: String,
    pub address: String,
    /// Type-specific settings (`callback_url`, `secret`, …).
    pub config: Json,
}

fn decode(r: &sqlx::any::AnyRow) -> Result<Channel> {
    Ok(Channel {
        uuid: col(r, "uuid")?,
        name: col(r, "name")?,
        channel_type: col(r, "channel_type")?,
        address: col(r, "address")?,
        config: json_col(r, "config")?,
    })
}

impl Store {
    /// Creates or updates a channel.
    pub async fn save_channel(&self, workspace: &str, channel: &Channel) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO channels (workspace_id, uuid, name, channel_type, address, config) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (workspace_id, uuid) DO UPDATE SET name = excluded.name, channel_type = excluded.channel_type,
               address = excluded.address, config = excluded.config",
        )
        .bind(workspace)
        .bind(&channel.uuid)
        .bind(&channel.name)
        .bind(&channel.channel_type)
        .bind(&channel.address)
        .bind(channel.config.to_string())
        .execute(&mut *tx.tx)
        .await?;
        tx.next_counter(workspace, crate::ASSETS_VERSION).await?;
        tx.commit().await
    }

    pub async fn channel(&self, workspace: &str, uuid: &str) -> Result<Option<Channel>> {
        let row = sqlx::query(
            "SELECT uuid, name, channel_type, address, config FROM channels WHERE workspace_id = $1 AND uuid = $2",
        )
        .bind(workspace)
        .bind(uuid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// A channel by UUID in any workspace (public endpoints such as web chat name only the
    /// channel): `(workspace, channel)`.
    pub async fn channel_anywhere(&self, uuid: &str) -> Result<Option<(String, Channel)>> {
        let row = sqlx::query(
            "SELECT workspace_id, uuid, name, channel_type, address, config FROM channels WHERE uuid = $1 LIMIT 1",
        )
        .bind(uuid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|r| Ok((col(r, "workspace_id")?, decode(r)?)))
            .transpose()
    }

    pub async fn channels(&self, workspace: &str) -> Result<Vec<Channel>> {
        let rows = sqlx::query(
            "SELECT uuid, name, channel_type, address, config FROM channels WHERE workspace_id = $1 ORDER BY name",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }
}
