//! The collections hub's pick-up sources, per workspace (`collection_sources`): where the
//! creditor's files arrive (an inbox folder, an FTP or an SFTP server), how often to
//! look, and what the last look found.
//!
//! Secrets are never stored: `secret` is a reference, `env:NAME` (an environment
//! variable of the server) or `file:PATH` (a file on the server, e.g. a mounted secret),
//! read each time the source is polled, so a rotated password needs no restart. An
//! SFTP private key is likewise a path (`key_file`), and `secret` is then its passphrase.
//!
//! Several instances share the table: [`Store::claim_due_sources`] takes a due source with
//! a lease in one `UPDATE` whose condition is re-checked under the row lock, so one source
//! is polled by one instance at a time, and a crashed holder's lease runs out. The
//! import's own idempotency (same name and content import once) is the second guard.

use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::{col, time_text, wall_now, Result, Store, StoreError};

/// Which kind of place a source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Inbox,
    Ftp,
    Sftp,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Inbox => "inbox",
            SourceKind::Ftp => "ftp",
            SourceKind::Sftp => "sftp",
        }
    }

    pub fn parse(text: &str) -> Option<SourceKind> {
        match text {
            "inbox" => Some(SourceKind::Inbox),
            "ftp" => Some(SourceKind::Ftp),
            "sftp" => Some(SourceKind::Sftp),
            _ => None,
        }
    }
}

/// What an operator configures for a source.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SourceSpec {
    pub kind: SourceKind,
    /// Inbox: a folder path. FTP/SFTP: `ftp://user@host[:port]/dir`,
    /// `sftp://user@host[:port]/dir` (no password in it).
    pub location: String,
    /// `""`, `env:NAME` or `file:PATH`: where the password (or the key's passphrase) is.
    pub secret: String,
    /// SFTP: the private key file to log in with (instead of a password).
    pub key_file: String,
    /// SFTP: the server key, `SHA256:…` (as `ssh-keygen -l` prints it) or the path of a
    /// known_hosts file.
    pub host_key: String,
    pub every_secs: i64,
    pub enabled: bool,
    /// A folder of layout files replacing or adding to the built-in ones (`""`: built-in).
    pub layouts: String,
}

/// Longest poll interval accepted: a day.
pub const MAX_EVERY_SECS: i64 = 86_400;

fn invalid(field: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("field '{field}': {why}"))
}

/// A source name: 1–64 letters, digits, `-`, `_` or `.` (it goes in URLs and commands).
pub fn check_source_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name != "."
        && name != "..";
    if !ok {
        return Err(invalid(
            "name",
            format!("{name:?} must be 1 to 64 letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(())
}

/// Checks that `secret` is a reference, not a secret.
pub fn check_secret_reference(secret: &str) -> Result<()> {
    if secret.is_empty() {
        return Ok(());
    }
    if let Some(name) = secret.strip_prefix("env:") {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            return Ok(());
        }
        return Err(invalid(
            "secret",
            format!("{name:?} is not an environment variable name"),
        ));
    }
    if let Some(path) = secret.strip_prefix("file:") {
        if !path.trim().is_empty() {
            return Ok(());
        }
    }
    Err(invalid(
        "secret",
        "must be a reference, env:NAME or file:PATH (the password itself is never stored)",
    ))
}

impl SourceSpec {
    /// Checks the fields against each other; errors name the field.
    pub fn validate(&self) -> Result<()> {
        check_secret_reference(&self.secret)?;
        let location = self.location.trim();
        if location.is_empty() {
            return Err(invalid("location", "is required"));
        }
        if location.contains('\0') || location.contains('\n') {
            return Err(invalid("location", "has control characters"));
        }
        match self.kind {
            SourceKind::Inbox => {
                if location.contains("://") {
                    return Err(invalid("location", "an inbox is a folder path, not a URL"));
                }
            }
            SourceKind::Ftp | SourceKind::Sftp => {
                let scheme = format!("{}://", self.kind.as_str());
                let rest = location.strip_prefix(&scheme).ok_or_else(|| {
                    invalid(
                        "location",
                        format!(
                            "a {} source's location starts with {scheme}",
                            self.kind.as_str()
                        ),
                    )
                })?;
                let authority = rest.split('/').next().unwrap_or_default();
                let Some((user, _)) = authority.rsplit_once('@') else {
                    return Err(invalid("location", "needs user@host"));
                };
                if user.contains(':') {
                    return Err(invalid(
                        "location",
                        "no password in the URL: put a reference to it in 'secret' (env:NAME or file:PATH)",
                    ));
                }
            }
        }
        match self.kind {
            SourceKind::Sftp => {
                if self.host_key.trim().is_empty() {
                    return Err(invalid(
                        "host_key",
                        "an SFTP source needs the server's key: SHA256:… (ssh-keygen -l) or a known_hosts file",
                    ));
                }
                if self.key_file.is_empty() && self.secret.is_empty() {
                    return Err(invalid(
                        "secret",
                        "an SFTP source needs a key_file or a password reference (env:NAME or file:PATH)",
                    ));
                }
            }
            SourceKind::Inbox | SourceKind::Ftp => {
                if !self.key_file.is_empty() {
                    return Err(invalid("key_file", "only for sftp sources"));
                }
                if !self.host_key.is_empty() {
                    return Err(invalid("host_key", "only for sftp sources"));
                }
                if self.kind == SourceKind::Inbox && !self.secret.is_empty() {
                    return Err(invalid("secret", "an inbox folder has no password"));
                }
            }
        }
        if !(1..=MAX_EVERY_SECS).contains(&self.every_secs) {
            return Err(invalid(
                "every",
                format!("seconds between polls, 1 to {MAX_EVERY_SECS}"),
            ));
        }
        Ok(())
    }
}

/// A stored source and its state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CollectionSource {
    pub workspace: String,
    pub name: String,
    #[serde(flatten)]
    pub spec: SourceSpec,
    /// When it is next due (now, after a change).
    pub next_poll_on: String,
    pub last_poll_on: Option<String>,
    /// `""` (never polled), `ok` or `error`.
    pub last_status: String,
    /// What the last poll did, or its error.
    pub last_message: String,
    /// The instance polling it now, if any (until `lease_until`).
    #[serde(skip)]
    pub lease_owner: String,
    #[serde(skip)]
    pub lease_until: String,
    pub created_on: String,
    pub modified_on: String,
}

const COLUMNS: &str = "workspace_id, name, kind, location, secret, key_file, host_key, every_secs, enabled, layouts, next_poll_on, last_poll_on, last_status, last_message, lease_owner, lease_until, created_on, modified_on";

fn source_row(r: &AnyRow) -> Result<CollectionSource> {
    let kind: String = col(r, "kind")?;
    Ok(CollectionSource {
        workspace: col(r, "workspace_id")?,
        name: col(r, "name")?,
        spec: SourceSpec {
            kind: SourceKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                what: "collection_sources.kind".into(),
                why: format!("unknown kind {kind:?}"),
            })?,
            location: col(r, "location")?,
            secret: col(r, "secret")?,
            key_file: col(r, "key_file")?,
            host_key: col(r, "host_key")?,
            every_secs: col(r, "every_secs")?,
            enabled: col::<i64>(r, "enabled")? != 0,
            layouts: col(r, "layouts")?,
        },
        next_poll_on: col(r, "next_poll_on")?,
        last_poll_on: col(r, "last_poll_on")?,
        last_status: col(r, "last_status")?,
        last_message: col(r, "last_message")?,
        lease_owner: col(r, "lease_owner")?,
        lease_until: col(r, "lease_until")?,
        created_on: col(r, "created_on")?,
        modified_on: col(r, "modified_on")?,
    })
}

fn plus(t: Timestamp, d: Duration) -> Timestamp {
    t + jiff::SignedDuration::try_from(d).unwrap_or_default()
}

impl Store {
    /// Creates or replaces the workspace's source `name` (its state is kept; it is due at
    /// once). Returns whether it was created.
    pub async fn put_source(&self, workspace: &str, name: &str, spec: &SourceSpec) -> Result<bool> {
        check_source_name(name)?;
        spec.validate()?;
        let now = time_text(wall_now());
        let mut tx = self.begin().await?;
        let existed: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM collection_sources WHERE workspace_id = $1 AND name = $2",
        )
        .bind(workspace)
        .bind(name)
        .fetch_optional(&mut *tx.tx)
        .await?;
        sqlx::query(
            "INSERT INTO collection_sources (workspace_id, name, kind, location, secret, key_file, host_key, every_secs, enabled, layouts,
                 next_poll_on, last_poll_on, last_status, last_message, lease_owner, lease_until, created_on, modified_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, '', '', '', '', $11, $11)
             ON CONFLICT (workspace_id, name) DO UPDATE SET kind = excluded.kind, location = excluded.location,
                 secret = excluded.secret, key_file = excluded.key_file, host_key = excluded.host_key,
                 every_secs = excluded.every_secs, enabled = excluded.enabled, layouts = excluded.layouts,
                 next_poll_on = excluded.next_poll_on, modified_on = excluded.modified_on",
        )
        .bind(workspace)
        .bind(name)
        .bind(spec.kind.as_str())
        .bind(spec.location.trim())
        .bind(&spec.secret)
        .bind(&spec.key_file)
        .bind(spec.host_key.trim())
        .bind(spec.every_secs)
        .bind(i64::from(spec.enabled))
        .bind(&spec.layouts)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(existed.is_none())
    }

    /// The workspace's sources, by name.
    pub async fn sources(&self, workspace: &str) -> Result<Vec<CollectionSource>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM collection_sources WHERE workspace_id = $1 ORDER BY name"
        )))
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(source_row).collect()
    }

    pub async fn source(&self, workspace: &str, name: &str) -> Result<Option<CollectionSource>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM collection_sources WHERE workspace_id = $1 AND name = $2"
        )))
        .bind(workspace)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(source_row).transpose()
    }

    /// Deletes a source; false when there was none. A poll under way finishes.
    pub async fn remove_source(&self, workspace: &str, name: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM collection_sources WHERE workspace_id = $1 AND name = $2")
            .bind(workspace)
            .bind(name)
            .execute(&mut *tx.tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Turns a source's polling on (due at once) or off; false when there is no such source.
    pub async fn set_source_enabled(
        &self,
        workspace: &str,
        name: &str,
        enabled: bool,
    ) -> Result<bool> {
        let now = time_text(wall_now());
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE collection_sources SET enabled = $1, next_poll_on = $2, modified_on = $2
             WHERE workspace_id = $3 AND name = $4",
        )
        .bind(i64::from(enabled))
        .bind(&now)
        .bind(workspace)
        .bind(name)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Claims up to `limit` enabled sources of any workspace that are due at `now` and
    /// that nobody holds, for `owner`, until `now + lease`.
    pub async fn claim_due_sources(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<CollectionSource>> {
        let (now, until) = (time_text(now), time_text(plus(now, lease)));
        let mut tx = self.begin().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE collection_sources SET lease_owner = $1, lease_until = $2
             WHERE (workspace_id, name) IN (
                 SELECT workspace_id, name FROM collection_sources
                 WHERE enabled = 1 AND next_poll_on <= $3 AND lease_until < $3
                 ORDER BY next_poll_on LIMIT $4)
               AND enabled = 1 AND next_poll_on <= $3 AND lease_until < $3
             RETURNING {COLUMNS}"
        )))
        .bind(owner)
        .bind(&until)
        .bind(&now)
        .bind(limit)
        .fetch_all(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(source_row).collect()
    }

    /// Extends `owner`'s lease on a source it is polling; false when it no longer holds it.
    pub async fn renew_source_lease(
        &self,
        workspace: &str,
        name: &str,
        owner: &str,
        now: Timestamp,
        lease: Duration,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE collection_sources SET lease_until = $1
             WHERE workspace_id = $2 AND name = $3 AND lease_owner = $4",
        )
        .bind(time_text(plus(now, lease)))
        .bind(workspace)
        .bind(name)
        .bind(owner)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Records a poll's outcome, schedules the next one `every_secs` after `now` and gives
    /// the lease back; false (nothing written) when `owner` no longer holds it.
    pub async fn finish_source_poll(
        &self,
        workspace: &str,
        name: &str,
        owner: &str,
        now: Timestamp,
        ok: bool,
        message: &str,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let every: Option<i64> = sqlx::query_scalar(
            "SELECT every_secs FROM collection_sources WHERE workspace_id = $1 AND name = $2 AND lease_owner = $3",
        )
        .bind(workspace)
        .bind(name)
        .bind(owner)
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(every) = every else {
            return Ok(false);
        };
        let next = plus(
            now,
            Duration::from_secs(every.clamp(1, MAX_EVERY_SECS) as u64),
        );
        // keep the message short: it is a status line, the logs have the rest
        let message: String = message.chars().take(2000).collect();
        sqlx::query(
            "UPDATE collection_sources SET last_poll_on = $1, last_status = $2, last_message = $3,
                 next_poll_on = $4, lease_owner = '', lease_until = ''
             WHERE workspace_id = $5 AND name = $6 AND lease_owner = $7",
        )
        .bind(time_text(now))
        .bind(if ok { "ok" } else { "error" })
        .bind(message)
        .bind(time_text(next))
        .bind(workspace)
        .bind(name)
        .bind(owner)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sftp() -> SourceSpec {
        SourceSpec {
            kind: SourceKind::Sftp,
            location: "sftp://evo@sftp.credor.com.br:2222/remessas".into(),
            secret: "env:ATOM_SFTP_PASSWORD".into(),
            key_file: String::new(),
            host_key: "SHA256:7K0oXOV/Gi6YcukUDobP30UzSkV3WTpCEwd7NhnGfRg".into(),
            every_secs: 60,
            enabled: true,
            layouts: String::new(),
        }
    }

    #[test]
    fn specs_are_checked_field_by_field() {
        assert!(sftp().validate().is_ok());
        let cases: Vec<(SourceSpec, &str)> = vec![
            (
                SourceSpec {
                    secret: "hunter2".into(),
                    ..sftp()
                },
                "field 'secret': must be a reference",
            ),
            (
                SourceSpec {
                    secret: "env:1X".into(),
                    ..sftp()
                },
                "field 'secret'",
            ),
            (
                SourceSpec {
                    location: "sftp://evo:hunter2@h/x".into(),
                    ..sftp()
                },
                "no password in the URL",
            ),
            (
                SourceSpec {
                    location: "ftp://evo@h/x".into(),
                    ..sftp()
                },
                "starts with sftp://",
            ),
            (
                SourceSpec {
                    host_key: String::new(),
                    ..sftp()
                },
                "field 'host_key'",
            ),
            (
                SourceSpec {
                    secret: String::new(),
                    ..sftp()
                },
                "needs a key_file or a password",
            ),
            (
                SourceSpec {
                    every_secs: 0,
                    ..sftp()
                },
                "field 'every'",
            ),
            (
                SourceSpec {
                    kind: SourceKind::Inbox,
                    location: "/srv/atom/in".into(),
                    secret: String::new(),
                    ..sftp()
                },
                "field 'host_key': only for sftp",
            ),
            (
                SourceSpec {
                    kind: SourceKind::Inbox,
                    location: "sftp://evo@h/x".into(),
                    secret: String::new(),
                    host_key: String::new(),
                    ..sftp()
                },
                "not a URL",
            ),
        ];
        for (spec, why) in cases {
            let e = spec.validate().unwrap_err().to_string();
            assert!(e.contains(why), "{spec:?}: {e}");
        }
        let key = SourceSpec {
            secret: String::new(),
            key_file: "/etc/atende/atom_ed25519".into(),
            ..sftp()
        };
        assert!(key.validate().is_ok());
        assert!(check_source_name("atom-sftp_1.b").is_ok());
        for bad in ["", "a/b", "..", "a b", &"x".repeat(65)] {
            assert!(check_source_name(bad).is_err(), "{bad}");
        }
        assert!(check_secret_reference("file:/run/secrets/atom").is_ok());
        assert!(check_secret_reference("file:").is_err());
    }
}
