//! Contacts, their URNs (one owner per URN identity) and group memberships. The contact
//! itself is kept as the engine's JSON; URNs and groups are mirrored into their own tables
//! so lookups by URN or group use an index.

use atende_engine::contact::{urn_identity, Contact};

use crate::{col, time_text, Result, Store, StoreError, Tx};

/// A stored contact plus what the store adds.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactRecord {
    pub contact: Contact,
    pub modified_on: String,
}

/// The URN schemes contacts may have in Atende.
pub const URN_SCHEMES: &[&str] = &[
    "tel",
    "whatsapp",
    "mailto",
    "ext",
    "telegram",
    "webchat",
    "facebook",
    "instagram",
];

/// Checks `scheme:path` and lower-cases the scheme; names what is wrong.
pub fn normalize_urn(urn: &str) -> std::result::Result<String, String> {
    let (scheme, path) = urn
        .split_once(':')
        .ok_or_else(|| format!("URN {urn:?} has no scheme (expected e.g. tel:+5511…)"))?;
    let scheme = scheme.to_ascii_lowercase();
    if !URN_SCHEMES.contains(&scheme.as_str()) {
        return Err(format!(
            "URN scheme {scheme:?} is not supported (supported: {})",
            URN_SCHEMES.join(", ")
        ));
    }
    if path.trim().is_empty() {
        return Err(format!("URN {urn:?} has an empty path"));
    }
    Ok(format!("{scheme}:{}", path.trim()))
}

fn decode(row: &sqlx::any::AnyRow) -> Result<ContactRecord> {
    let data: String = col(row, "data")?;
    let contact: Contact = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt {
        what: "contacts.data".into(),
        why: e.to_string(),
    })?;
    Ok(ContactRecord {
        contact,
        modified_on: col(row, "modified_on")?,
    })
}

impl Store {
    pub async fn contact(&self, workspace: &str, uuid: &str) -> Result<Option<ContactRecord>> {
        let row = sqlx::query(
            "SELECT data, modified_on FROM contacts WHERE workspace_id = $1 AND uuid = $2",
        )
        .bind(workspace)
        .bind(uuid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// The contact owning this URN (compared without its `?channel=` query).
    pub async fn contact_by_urn(
        &self,
        workspace: &str,
        urn: &str,
    ) -> Result<Option<ContactRecord>> {
        let row = sqlx::query(
            "SELECT c.data, c.modified_on FROM contact_urns u
             JOIN contacts c ON c.workspace_id = u.workspace_id AND c.uuid = u.contact_uuid
             WHERE u.workspace_id = $1 AND u.identity = $2",
        )
        .bind(workspace)
        .bind(urn_identity(urn))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Contacts by id, `limit` at a time after `after_id`.
    pub async fn contacts(
        &self,
        workspace: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ContactRecord>> {
        let rows = sqlx::query(
            "SELECT data, modified_on FROM contacts WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(workspace)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Members of a group.
    pub async fn group_contacts(&self, workspace: &str, group: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT contact_uuid FROM contact_groups WHERE workspace_id = $1 AND group_uuid = $2 ORDER BY contact_uuid",
        )
        .bind(workspace)
        .bind(group)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Tx {
    /// Stores a new contact, giving it the workspace's next id when it has none.
    pub async fn insert_contact(
        &mut self,
        workspace: &str,
        contact: &mut Contact,
        now: jiff::Timestamp,
    ) -> Result<()> {
        if contact.id.is_none() {
            contact.id = Some(self.next_counter(workspace, "contact_id").await?);
        }
        if contact.created_on.is_empty() {
            contact.created_on = time_text(now);
        }
        sqlx::query(
            "INSERT INTO contacts (workspace_id, uuid, id, name, status, data, created_on, modified_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(workspace)
        .bind(&contact.uuid)
        .bind(contact.id.unwrap_or_default())
        .bind(&contact.name)
        .bind(&contact.status)
        .bind(serde_json::to_string(&*contact).unwrap_or_default())
        .bind(time_text(now))
        .execute(&mut *self.tx)
        .await?;
        self.sync_urns_and_groups(workspace, contact).await
    }

    /// Writes a changed contact back, with its URNs and groups.
    pub async fn update_contact(
        &mut self,
        workspace: &str,
        contact: &Contact,
        now: jiff::Timestamp,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE contacts SET name = $3, status = $4, data = $5, modified_on = $6
             WHERE workspace_id = $1 AND uuid = $2",
        )
        .bind(workspace)
        .bind(&contact.uuid)
        .bind(&contact.name)
        .bind(&contact.status)
        .bind(serde_json::to_string(contact).unwrap_or_default())
        .bind(time_text(now))
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "no contact {} in workspace {workspace}",
                contact.uuid
            )));
        }
        self.sync_urns_and_groups(workspace, contact).await
    }

    async fn sync_urns_and_groups(&mut self, workspace: &str, contact: &Contact) -> Result<()> {
        sqlx::query("DELETE FROM contact_urns WHERE workspace_id = $1 AND contact_uuid = $2")
            .bind(workspace)
            .bind(&contact.uuid)
            .execute(&mut *self.tx)
            .await?;
        for (priority, urn) in contact.urns.iter().enumerate() {
            // a URN belongs to one contact: the last one to claim it keeps it
            sqlx::query(
                "INSERT INTO contact_urns (workspace_id, identity, contact_uuid, priority) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workspace_id, identity) DO UPDATE SET contact_uuid = excluded.contact_uuid, priority = excluded.priority",
            )
            .bind(workspace)
            .bind(urn_identity(urn))
            .bind(&contact.uuid)
            .bind(priority as i64)
            .execute(&mut *self.tx)
            .await?;
        }
        sqlx::query("DELETE FROM contact_groups WHERE workspace_id = $1 AND contact_uuid = $2")
            .bind(workspace)
            .bind(&contact.uuid)
            .execute(&mut *self.tx)
            .await?;
        for group in &contact.groups {
            sqlx::query(
                "INSERT INTO contact_groups (workspace_id, group_uuid, contact_uuid) VALUES ($1, $2, $3)
                 ON CONFLICT (workspace_id, group_uuid, contact_uuid) DO NOTHING",
            )
            .bind(workspace)
            .bind(&group.uuid)
            .bind(&contact.uuid)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_are_checked() {
        assert_eq!(
            normalize_urn("TEL:+5511987654321").unwrap(),
            "tel:+5511987654321"
        );
        assert!(normalize_urn("5511987654321")
            .unwrap_err()
            .contains("no scheme"));
        assert!(normalize_urn("fax:123")
            .unwrap_err()
            .contains("not supported"));
        assert!(normalize_urn("tel: ").unwrap_err().contains("empty"));
    }
}
