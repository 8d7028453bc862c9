//! Atende's storage: SQLite in WAL mode by default (`./data/atende.db`), PostgreSQL when
//! the URL says `postgres://`. One SQL dialect serves both through sqlx's `Any` driver, so
//! the same code and the same tests run on each.
//!
//! Concurrency rules the server relies on:
//! - writes happen in [`Tx`], a transaction; on SQLite every write transaction also holds
//!   one in-process mutex, because SQLite has one writer and an upgrade from a read lock
//!   can fail instead of waiting;
//! - one sprint at a time per contact, across instances: [`Store::lock_contact`] takes a
//!   lease row (`contact_locks`) that a crashed instance's lease outlives only until it
//!   expires;
//! - scheduled fires and outbox rows are claimed with a lease in one `UPDATE` whose
//!   condition is re-checked under the row lock, so two instances never take the same row.

pub mod channels;
pub mod contacts;
pub mod fires;
pub mod flows;
pub mod messages;
pub mod migrations;
pub mod portfolio;
pub mod sessions;
pub mod sources;
pub mod tokens;
pub mod webhooks;
pub mod workspaces;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row};

pub use channels::Channel;
pub use contacts::ContactRecord;
pub use fires::Fire;
pub use messages::{Message, NewMessage, OutboxItem};
pub use workspaces::Workspace;

/// SQLite's page cache of a connection, in KiB: 32 MB, far above the default 2 MB a
/// night's import outgrows (pages are only allocated when used).
const SQLITE_CACHE_KIB: i64 = 32 * 1024;

/// The page cache of a file's import ([`Tx::bulk_load`]): a remessa rewrites B-trees of
/// gigabytes, and with 32 MB SQLite kept writing dirty pages out mid-transaction and
/// reading them back (230,000 records: 29–31 s with 32 MB, 25–27 s with 256 MB, a third
/// less system time). Restored when the import commits or rolls back.
const SQLITE_BULK_CACHE_KIB: i64 = 256 * 1024;

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Migration(String),
    #[error("stored {what} is damaged: {why}")]
    Corrupt { what: String, why: String },
    #[error("{0}")]
    Invalid(String),
    #[error("could not lock contact {0}: another instance holds it")]
    Busy(String),
    /// Another request is doing the same thing right now (e.g. an export of the same
    /// workspace); the text says what.
    #[error("{0}")]
    InUse(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A connection pool plus the rules above.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's single writer, taken by every [`Tx`] on that backend.
    sqlite_writer: Arc<tokio::sync::Mutex<()>>,
    /// Tokens recently found valid ([`Store::token_workspace`]).
    tokens: Arc<tokens::TokenCache>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Store {
    /// Opens (creating a SQLite file and its folder when needed) and migrates.
    /// `url` is `sqlite://PATH`, `sqlite::memory:` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Invalid(format!(
                "database URL must start with sqlite: or postgres:// (got {:?})",
                url.split(':').next().unwrap_or_default()
            )));
        };
        let mut url = url.to_string();
        if backend == Backend::Sqlite && url != "sqlite::memory:" {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or_default()
                .to_string();
            if let Some(parent) = std::path::Path::new(&path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Invalid(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
            }
            if !url.contains('?') {
                url.push_str("?mode=rwc");
            }
        }
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(30))
            // sqlx pings an idle connection before lending it: on SQLite a round trip to
            // the connection's thread on every query, for a file that cannot hang up
            .test_before_acquire(backend == Backend::Postgres)
            .max_connections(match (backend, url.as_str()) {
                // each connection to :memory: would be its own empty database
                (Backend::Sqlite, "sqlite::memory:") => 1,
                (Backend::Sqlite, _) => 4,
                (Backend::Postgres, _) => 10,
            });
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // the timeout first: switching the journal mode may wait for a lock
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "PRAGMA cache_size = -{SQLITE_CACHE_KIB}"
                    )))
                    .await?;
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(&url).await?;
        let store = Store {
            pool,
            backend,
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(())),
            tokens: Arc::default(),
        };
        migrations::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        let tx = match self.backend {
            // take SQLite's write lock now: a deferred transaction that reads first and
            // upgrades later fails at once (SQLITE_BUSY) if another process wrote meanwhile,
            // while BEGIN IMMEDIATE waits for the lock (busy_timeout)
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            tx,
            backend: self.backend,
            _writer: guard,
            bulk: false,
        })
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Takes the contact's processing lease for `owner` (an instance + task id), waiting up
    /// to `wait` while another holder has it. The lease lasts `lease` so that a crashed
    /// holder cannot block the contact for ever; hold it shorter than that.
    pub async fn lock_contact(
        &self,
        workspace: &str,
        contact: &str,
        owner: &str,
        lease: Duration,
        wait: Duration,
    ) -> Result<()> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut pause = Duration::from_millis(5);
        loop {
            let now = wall_now();
            let expires = now + jiff::SignedDuration::try_from(lease).unwrap_or_default();
            let mut tx = self.begin().await?;
            let taken = sqlx::query(
                "INSERT INTO contact_locks (workspace_id, contact_uuid, owner, expires_on) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workspace_id, contact_uuid) DO UPDATE SET owner = excluded.owner, expires_on = excluded.expires_on
                 WHERE contact_locks.expires_on < $5 OR contact_locks.owner = $3",
            )
            .bind(workspace)
            .bind(contact)
            .bind(owner)
            .bind(time_text(expires))
            .bind(time_text(now))
            .execute(&mut *tx.tx)
            .await?
            .rows_affected()
                > 0;
            tx.commit().await?;
            if taken {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StoreError::Busy(contact.into()));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Gives the lease back (only if `owner` still holds it).
    pub async fn unlock_contact(&self, workspace: &str, contact: &str, owner: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "DELETE FROM contact_locks WHERE workspace_id = $1 AND contact_uuid = $2 AND owner = $3",
        )
        .bind(workspace)
        .bind(contact)
        .bind(owner)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }
}

/// A write transaction (and, on SQLite, the writer mutex). Dropped without
/// [`Tx::commit`], it rolls back.
pub struct Tx {
    tx: sqlx::Transaction<'static, Any>,
    backend: Backend,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// [`Tx::bulk_load`] enlarged SQLite's page cache, to be restored at commit or
    /// rollback.
    bulk: bool,
}

impl Tx {
    pub async fn commit(mut self) -> Result<()> {
        self.end_bulk().await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Rolls back (as dropping the transaction does), giving back a bulk load's page cache
    /// first.
    pub async fn rollback(mut self) -> Result<()> {
        self.end_bulk().await?;
        self.tx.rollback().await?;
        Ok(())
    }

    /// The connection goes back to the pool: back to the everyday page cache (a
    /// connection setting, which a rollback does not undo).
    async fn end_bulk(&mut self) -> Result<()> {
        if self.bulk {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA cache_size = -{SQLITE_CACHE_KIB}"
            )))
            .execute(&mut *self.tx)
            .await?;
            self.bulk = false;
        }
        Ok(())
    }

    /// Prepares the transaction for a bulk load (a creditor file). On PostgreSQL, every
    /// statement of an import is a batch of rows found by their keys, so index probes are
    /// what it needs: with the default costs the planner prefers to scan and hash the
    /// whole workspace's contracts for each batch of 500 rows once the table is known to
    /// be large, which is quadratic over a file. Scans stay possible where no index
    /// serves (the setting only makes them look expensive).
    ///
    /// It also compresses the big values it writes (a remessa contract's `extra`, ~4 KB
    /// of JSON) with lz4 where the server has it: pglz took ~100 µs a row, most of a
    /// remessa import (40,000 such rows in psql: 4.0 s with pglz, 0.6 s with lz4, for
    /// values ~40 % bigger on disk). Readers decompress either transparently.
    pub async fn bulk_load(&mut self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}"
            )))
            .execute(&mut *self.tx)
            .await?;
            self.bulk = true;
        }
        if self.backend == Backend::Postgres {
            sqlx::query("SET LOCAL enable_seqscan = off")
                .execute(&mut *self.tx)
                .await?;
            sqlx::query("SET LOCAL random_page_cost = 1.1")
                .execute(&mut *self.tx)
                .await?;
            // PostgreSQL 14+ built with lz4 (as Debian's and the official images are)
            let lz4: Option<i64> = sqlx::query_scalar(
                "SELECT CAST(1 AS BIGINT) FROM pg_settings
                 WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)",
            )
            .fetch_optional(&mut *self.tx)
            .await?;
            if lz4.is_some() {
                sqlx::query("SET LOCAL default_toast_compression = lz4")
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Serialises this transaction with every other holding a lock of the same `name`
    /// until both end (PostgreSQL: a transaction-level advisory lock on the name's hash;
    /// SQLite: a no-op, one transaction writes at a time anyway). For check-then-write
    /// steps two requests may run at once, where no unique index can arbitrate.
    pub async fn lock_name(&mut self, name: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query(
                "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS l",
            )
            .bind(name)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Refreshes PostgreSQL's planner statistics of `tables` from inside the
    /// transaction (its own uncommitted rows count). Without them a table filled by
    /// today's files looks nearly empty to the planner, which then scans the whole
    /// workspace for every batch of the next rows (a million-row file became quadratic).
    /// A no-op on SQLite, whose planner goes by the indexes alone.
    pub async fn analyze(&mut self, tables: &[&str]) -> Result<()> {
        if self.backend == Backend::Postgres && !tables.is_empty() {
            for t in tables {
                if !t.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    return Err(StoreError::Invalid(format!("not a table name: {t:?}")));
                }
            }
            let sql = format!("ANALYZE {}", tables.join(", "));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Next value of a per-workspace counter (contact ids, message order).
    pub async fn next_counter(&mut self, workspace: &str, name: &str) -> Result<i64> {
        let value: i64 = sqlx::query_scalar(
            "INSERT INTO counters (workspace_id, name, value) VALUES ($1, $2, 1)
             ON CONFLICT (workspace_id, name) DO UPDATE SET value = counters.value + 1
             RETURNING value",
        )
        .bind(workspace)
        .bind(name)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(value)
    }
}

/// The counter bumped whenever what the engine reads (flows, fields, groups, globals,
/// triggers, channels) changes, so caches on every instance know to reload.
pub const ASSETS_VERSION: &str = "assets";

impl Store {
    /// See [`ASSETS_VERSION`].
    pub async fn assets_version(&self, workspace: &str) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT value FROM counters WHERE workspace_id = $1 AND name = $2")
                .bind(workspace)
                .bind(ASSETS_VERSION)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }
}

/// The wall clock. The store is part of the shell, so reading it here is allowed.
pub fn wall_now() -> Timestamp {
    #[allow(clippy::disallowed_methods)]
    Timestamp::now()
}

fn now_text(_store: &Store) -> String {
    time_text(wall_now())
}

/// Fixed-width UTC text (`2026-11-26T03:01:59.123456Z`): sorts like the instant it names
/// on both backends.
pub fn time_text(ts: Timestamp) -> String {
    let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1000
    )
}

/// Reads a column, naming it when the stored value is not what it should be.
fn col<T>(row: &AnyRow, name: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get(name).map_err(|e| StoreError::Corrupt {
        what: name.into(),
        why: e.to_string(),
    })
}

fn json_col(row: &AnyRow, name: &str) -> Result<serde_json::Value> {
    let text: String = col(row, name)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        what: name.into(),
        why: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_text_is_fixed_width_and_sorts() {
        let a: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let b: Timestamp = "2026-01-02T03:04:05.5Z".parse().unwrap();
        assert_eq!(time_text(a), "2026-01-02T03:04:05.000000Z");
        assert_eq!(time_text(b), "2026-01-02T03:04:05.500000Z");
        assert!(time_text(a) < time_text(b));
    }
}
