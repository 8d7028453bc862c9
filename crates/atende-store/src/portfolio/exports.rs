//! Exports to the dialer (UC003 mailing, UC007 baixa): the contracts to write, read in
//! pages from one snapshot, and the bookkeeping of what was sent (migrations 5 and 9).
//!
//! - `export_runs`: one row per file: kind (`mailing`, `baixa`), mode (`full`,
//!   `incremental`), layout, file name, the import run that triggered it, `since` (the
//!   previous export of the kind it follows), rows, status ([`ExportStatus`]),
//!   destination, message, delivery attempts.
//! - `export_sent`: per kind and contract, a fingerprint of the last line sent. An
//!   incremental file lists the contracts whose line now differs from it (or that were
//!   never sent), so every change reaches the dialer — a file's, the portal's, a score
//!   update that touches no run column — and nothing else does. A full mailing replaces
//!   the kind's fingerprints; a baixa forgets the mailing fingerprints of the contracts it
//!   lists (the dialer dropped them, so a contract coming back is new to it).
//!
//! The fingerprint is the exporter's (a hash of the written line): this module only keeps
//! it.

use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

use super::batch::{pieces, Params};
use super::contracts::status_col;
use super::lookup::Phone;
use super::{parse_date, Address, ContractStatus, Extra};
use crate::{col, time_text, Backend, Result, Store, StoreError, Tx};

/// Where an export stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    /// Being written (or interrupted while written: a newer export of the kind covers it).
    Running,
    /// The file is in the outbox; delivery to the destination pending or not configured.
    Written,
    /// Delivered to the destination.
    Delivered,
    /// The last delivery attempt failed; retried on the next tick.
    Failed,
    /// Nothing to send (an incremental or baixa with no changed contract): no file.
    Empty,
    /// Never delivered, and a later full mailing covers it.
    Superseded,
    /// Writing the file failed; nothing was recorded as sent.
    Error,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Running => "running",
            ExportStatus::Written => "written",
            ExportStatus::Delivered => "delivered",
            ExportStatus::Failed => "failed",
            ExportStatus::Empty => "empty",
            ExportStatus::Superseded => "superseded",
            ExportStatus::Error => "error",
        }
    }

    fn parse(text: &str) -> Result<ExportStatus> {
        Ok(match text {
            "running" => ExportStatus::Running,
            "written" => ExportStatus::Written,
            "delivered" => ExportStatus::Delivered,
            "failed" => ExportStatus::Failed,
            "empty" => ExportStatus::Empty,
            "superseded" => ExportStatus::Superseded,
            "error" => ExportStatus::Error,
            other => {
                return Err(StoreError::Corrupt {
                    what: "export_runs.status".into(),
                    why: format!("unknown status {other:?}"),
                })
            }
        })
    }
}

/// One export file and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExportRun {
    pub id: i64,
    /// `mailing` or `baixa`.
    pub kind: String,
    /// `full` or `incremental`.
    pub mode: String,
    pub layout: String,
    /// Empty until written (and for [`ExportStatus::Empty`]).
    pub file_name: String,
    /// The import run whose file triggered the export (pick-up), if any.
    pub trigger_run_id: Option<i64>,
    /// When the previous export of the kind was made (what an incremental file follows).
    pub since: Option<String>,
    pub rows: i64,
    pub status: ExportStatus,
    /// Where it goes (outbox folder, remote destination), without secrets.
    pub destination: String,
    pub message: String,
    pub attempts: i64,
    pub created_on: String,
    pub delivered_on: Option<String>,
}

/// An export about to be written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewExport<'a> {
    pub kind: &'a str,
    pub mode: &'a str,
    pub layout: &'a str,
    pub trigger_run_id: Option<i64>,
    pub destination: &'a str,
}

/// What to read for an export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportQuery {
    /// The kind whose fingerprints come with each contract ([`ExportContract::sent`]).
    pub kind: String,
    /// Contract statuses to list (the spec's text: `ATIVO`, `EXCLUIDO`, …).
    pub statuses: Vec<String>,
    pub phones: bool,
    pub addresses: bool,
    pub emails: bool,
    /// The remittance's other fields (`extra`) to read, by name: only these are kept
    /// (the column holds hundreds; parsing past the others costs no allocation).
    pub extra: Vec<String>,
    /// The reason of the contract's last status change.
    pub status_reason: bool,
}

/// A contract as an export writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportContract {
    pub contract: String,
    pub document: String,
    /// `F` or `J`.
    pub person_type: String,
    pub name: String,
    pub crm_id: String,
    pub portfolio: String,
    pub product: String,
    pub days_late: Option<i64>,
    pub installment_value_cents: Option<i64>,
    pub status: ContractStatus,
    pub status_since: Date,
    /// Bumped by every write to the contract.
    pub version: i64,
    /// Empty unless [`ExportQuery::status_reason`].
    pub status_reason: String,
    /// The [`ExportQuery::extra`] fields the contract has.
    pub extra: Extra,
    /// In dialling order (remessa first, enrichment last); empty unless asked for.
    pub phones: Vec<Phone>,
    /// The customer's, in arrival order; empty unless asked for.
    pub addresses: Vec<Address>,
    /// The customer's, in arrival order; empty unless asked for.
    pub emails: Vec<String>,
    /// The fingerprint of the last line of [`ExportQuery::kind`] sent for the contract.
    pub sent: Option<i64>,
}

/// Pages of contracts for an export, all from one snapshot of the base (a read
/// transaction: REPEATABLE READ on PostgreSQL, WAL snapshot on SQLite). Holds no write
/// lock; imports go on meanwhile and show in the next export.
pub struct ExportReader {
    tx: sqlx::Transaction<'static, Any>,
    backend: Backend,
    workspace: String,
    query: ExportQuery,
    after: String,
    done: bool,
}

const RUN_COLUMNS: &str = "id, kind, mode, layout, file_name, trigger_run_id, since, rows_written, status, destination, message, attempts, created_on, delivered_on";

fn decode_run(row: &AnyRow) -> Result<ExportRun> {
    let status: String = col(row, "status")?;
    Ok(ExportRun {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        mode: col(row, "mode")?,
        layout: col(row, "layout")?,
        file_name: col(row, "file_name")?,
        trigger_run_id: col(row, "trigger_run_id")?,
        since: col(row, "since")?,
        rows: col(row, "rows_written")?,
        status: ExportStatus::parse(&status)?,
        destination: col(row, "destination")?,
        message: col(row, "message")?,
        attempts: col(row, "attempts")?,
        created_on: col(row, "created_on")?,
        delivered_on: col(row, "delivered_on")?,
    })
}

/// Rows per statement when writing fingerprints.
const SENT_BATCH: usize = 500;

impl Store {
    /// Starts reading the contracts of `query.statuses`, by contract number.
    pub async fn export_reader(&self, workspace: &str, query: ExportQuery) -> Result<ExportReader> {
        if query.statuses.is_empty() {
            return Err(StoreError::Invalid(
                "an export needs at least one status".into(),
            ));
        }
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            (&mut *tx)
                .execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
        }
        Ok(ExportReader {
            tx,
            backend: self.backend,
            workspace: workspace.into(),
            query,
            after: String::new(),
            done: false,
        })
    }

    /// The workspace's exports, newest first, `limit` at a time before `before_id` (0 =
    /// from the newest), of one kind or all.
    pub async fn export_runs(
        &self,
        workspace: &str,
        kind: Option<&str>,
        before_id: i64,
        limit: i64,
    ) -> Result<Vec<ExportRun>> {
        let before = if before_id <= 0 { i64::MAX } else { before_id };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM export_runs
             WHERE workspace_id = $1 AND id < $2 AND ($3 = '' OR kind = $3)
             ORDER BY id DESC LIMIT $4"
        )))
        .bind(workspace)
        .bind(before)
        .bind(kind.unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_run).collect()
    }

    pub async fn export_run(&self, workspace: &str, id: i64) -> Result<Option<ExportRun>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM export_runs WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(workspace)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode_run).transpose()
    }

    /// Files written and not yet delivered (written or failed), oldest first: the order
    /// the dialer must get them in.
    pub async fn undelivered_exports(&self, workspace: &str) -> Result<Vec<ExportRun>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM export_runs
             WHERE workspace_id = $1 AND status IN ('written', 'failed') ORDER BY id"
        )))
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_run).collect()
    }

    /// Whether an export already used this file name (two exports in one second would
    /// otherwise overwrite each other).
    pub async fn export_file_taken(&self, workspace: &str, file_name: &str) -> Result<bool> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT 1 FROM export_runs WHERE workspace_id = $1 AND file_name = $2 LIMIT 1",
        )
        .bind(workspace)
        .bind(file_name)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    /// How many contracts have a line of `kind` recorded as sent.
    pub async fn exported_contracts(&self, workspace: &str, kind: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM export_sent WHERE workspace_id = $1 AND kind = $2",
        )
        .bind(workspace)
        .bind(kind)
        .fetch_one(&self.pool)
        .await?)
    }
}

/// How long an export may stay `running` before it is taken for interrupted: far
/// longer than writing the biggest mailing takes (a million contracts: about a minute).
pub const EXPORT_STALE: jiff::SignedDuration = jiff::SignedDuration::from_secs(2 * 3600);

impl Tx {
    /// Records an export about to be written (status `running`); `since` is when the
    /// previous export of the kind (not running) was made. One export of a workspace
    /// runs at a time, across instances: while another is `running`
    /// ([`StoreError::InUse`]) none starts, unless that one began more than
    /// [`EXPORT_STALE`] ago: then its process died writing it, and it is marked `error`.
    pub async fn begin_export(
        &mut self,
        workspace: &str,
        new: &NewExport<'_>,
        now: jiff::Timestamp,
    ) -> Result<ExportRun> {
        self.lock_name(&format!("export\u{1f}{workspace}")).await?;
        let running: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, created_on FROM export_runs WHERE workspace_id = $1 AND status = 'running'",
        )
        .bind(workspace)
        .fetch_all(&mut *self.tx)
        .await?;
        let stale = time_text(now - EXPORT_STALE);
        for (id, created_on) in running {
            if created_on > stale {
                return Err(StoreError::InUse(format!(
                    "export {id} of workspace {workspace} is running (since {created_on})"
                )));
            }
            sqlx::query(
                "UPDATE export_runs SET status = 'error', message = $3
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(workspace)
            .bind(id)
            .bind(format!(
                "interrupted: still running {} min after it began (the process stopped while writing it)",
                EXPORT_STALE.as_secs() / 60
            ))
            .execute(&mut *self.tx)
            .await?;
        }
        let since: Option<String> = sqlx::query_scalar(
            "SELECT created_on FROM export_runs WHERE workspace_id = $1 AND kind = $2 AND status <> 'running'
             ORDER BY id DESC LIMIT 1",
        )
        .bind(workspace)
        .bind(new.kind)
        .fetch_optional(&mut *self.tx)
        .await?;
        let id = self.next_counter(workspace, "export_run").await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO export_runs (workspace_id, id, kind, mode, layout, file_name, trigger_run_id, since,
                rows_written, status, destination, message, attempts, created_on, delivered_on)
             VALUES ($1, $2, $3, $4, $5, '', $6, $7, 0, 'running', $8, '', 0, $9, NULL)
             RETURNING {RUN_COLUMNS}"
        )))
        .bind(workspace)
        .bind(id)
        .bind(new.kind)
        .bind(new.mode)
        .bind(new.layout)
        .bind(new.trigger_run_id)
        .bind(since)
        .bind(new.destination)
        .bind(time_text(now))
        .fetch_one(&mut *self.tx)
        .await?;
        decode_run(&row)
    }

    /// Records what was written: status (`written`, `empty` or `error`), rows, file name,
    /// message.
    pub async fn finish_export(
        &mut self,
        workspace: &str,
        id: i64,
        status: ExportStatus,
        rows: i64,
        file_name: &str,
        message: &str,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE export_runs SET status = $3, rows_written = $4, file_name = $5, message = $6
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace)
        .bind(id)
        .bind(status.as_str())
        .bind(rows)
        .bind(file_name)
        .bind(message)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "no export {id} in workspace {workspace}"
            )));
        }
        Ok(())
    }

    /// Records a delivery attempt: `Ok` delivers, `Err(message)` fails (retried later).
    pub async fn record_delivery(
        &mut self,
        workspace: &str,
        id: i64,
        outcome: std::result::Result<(), &str>,
        now: jiff::Timestamp,
    ) -> Result<()> {
        let (status, message, delivered) = match outcome {
            Ok(()) => (ExportStatus::Delivered, "", Some(time_text(now))),
            Err(why) => (ExportStatus::Failed, why, None),
        };
        sqlx::query(
            "UPDATE export_runs SET status = $3, attempts = attempts + 1, delivered_on = $4,
                message = CASE WHEN $5 = '' THEN message ELSE $5 END
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace)
        .bind(id)
        .bind(status.as_str())
        .bind(delivered)
        .bind(message)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks the undelivered exports of `kind` older than `id` superseded (a full
    /// mailing covers every earlier mailing). Returns how many.
    pub async fn supersede_exports(&mut self, workspace: &str, kind: &str, id: i64) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE export_runs SET status = 'superseded', message = $4
             WHERE workspace_id = $1 AND kind = $2 AND id < $3 AND status IN ('written', 'failed')",
        )
        .bind(workspace)
        .bind(kind)
        .bind(id)
        .bind(format!("not delivered; export {id} covers it"))
        .execute(&mut *self.tx)
        .await?
        .rows_affected())
    }

    /// Records the lines sent by export `export_id`: `(contract, fingerprint)`. With
    /// `replace`, the kind's earlier fingerprints go first (a full file is the dialer's
    /// whole list).
    pub async fn record_sent(
        &mut self,
        workspace: &str,
        kind: &str,
        export_id: i64,
        sent: &[(String, i64)],
        replace: bool,
    ) -> Result<()> {
        if replace {
            sqlx::query("DELETE FROM export_sent WHERE workspace_id = $1 AND kind = $2")
                .bind(workspace)
                .bind(kind)
                .execute(&mut *self.tx)
                .await?;
        }
        for piece in pieces(sent, SENT_BATCH) {
            let mut p = Params::new(self.backend);
            let (ws, k, id) = (p.next(), p.next(), p.next());
            let values = p.rows(piece.len(), 2);
            let sql = format!(
                "INSERT INTO export_sent (workspace_id, kind, contract, fingerprint, export_id)
                 SELECT {ws}, {k}, v.column1, v.column2, {id} FROM (VALUES {values}) AS v WHERE true
                 ON CONFLICT (workspace_id, kind, contract) DO UPDATE SET
                    fingerprint = excluded.fingerprint, export_id = excluded.export_id"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(workspace)
                .bind(kind)
                .bind(export_id);
            for (contract, fingerprint) in piece {
                q = q.bind(contract.as_str()).bind(*fingerprint);
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Forgets the lines of `kind` sent for these contracts.
    pub async fn forget_sent(
        &mut self,
        workspace: &str,
        kind: &str,
        contracts: &[String],
    ) -> Result<()> {
        for piece in pieces(contracts, SENT_BATCH) {
            let mut p = Params::new(self.backend);
            let (ws, k) = (p.next(), p.next());
            let sql = format!(
                "DELETE FROM export_sent WHERE workspace_id = {ws} AND kind = {k} AND contract IN ({})",
                p.list(piece.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(workspace)
                .bind(kind);
            for c in piece {
                q = q.bind(c.as_str());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}

impl ExportReader {
    /// The next `size` contracts (by contract number), empty at the end.
    pub async fn next_page(&mut self, size: usize) -> Result<Vec<ExportContract>> {
        if self.done {
            return Ok(Vec::new());
        }
        let q = &self.query;
        let n = q.statuses.len();
        let statuses = (0..n)
            .map(|i| format!("${}", i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT c.contract, c.document, c.portfolio, c.product, c.days_late, c.installment_value_cents,
                c.status, c.status_since, c.version, {extra} AS extra,
                COALESCE(cu.person_type, '') AS person_type, COALESCE(cu.name, '') AS name,
                COALESCE(cu.crm_id, '') AS crm_id, s.fingerprint AS sent, {reason} AS status_reason
             FROM contracts c
             LEFT JOIN customers cu ON cu.workspace_id = c.workspace_id AND cu.document = c.document
             LEFT JOIN export_sent s ON s.workspace_id = c.workspace_id AND s.kind = $2 AND s.contract = c.contract
             WHERE c.workspace_id = $1 AND c.contract > $3 AND c.status IN ({statuses})
             ORDER BY c.contract LIMIT ${limit}",
            extra = if q.extra.is_empty() { "'{}'" } else { "c.extra" },
            reason = if q.status_reason {
                "COALESCE((SELECT h.reason FROM contract_status_history h
                    WHERE h.workspace_id = c.workspace_id AND h.contract = c.contract
                    ORDER BY h.version DESC LIMIT 1), '')"
            } else {
                "''"
            },
            limit = n + 4,
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&self.workspace)
            .bind(&q.kind)
            .bind(&self.after);
        for s in &q.statuses {
            query = query.bind(s.as_str());
        }
        let rows = query
            .bind(size.max(1) as i64)
            .fetch_all(&mut *self.tx)
            .await?;
        if rows.len() < size.max(1) {
            self.done = true;
        }
        let mut page = rows
            .iter()
            .map(|r| {
                let since: String = col(r, "status_since")?;
                let extra: String = col(r, "extra")?;
                Ok(ExportContract {
                    contract: col(r, "contract")?,
                    document: col(r, "document")?,
                    person_type: col(r, "person_type")?,
                    name: col(r, "name")?,
                    crm_id: col(r, "crm_id")?,
                    portfolio: col(r, "portfolio")?,
                    product: col(r, "product")?,
                    days_late: col(r, "days_late")?,
                    installment_value_cents: col(r, "installment_value_cents")?,
                    status: status_col(r, "status")?,
                    status_since: parse_date("contracts.status_since", &since)?,
                    version: col(r, "version")?,
                    status_reason: col(r, "status_reason")?,
                    extra: wanted_extra(&self.query.extra, &extra)?,
                    phones: Vec::new(),
                    addresses: Vec::new(),
                    emails: Vec::new(),
                    sent: col(r, "sent")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(last) = page.last() {
            self.after.clone_from(&last.contract);
        }
        if page.is_empty() {
            return Ok(page);
        }
        if self.query.phones {
            self.attach_phones(&mut page).await?;
        }
        if self.query.addresses || self.query.emails {
            self.attach_customer_data(&mut page).await?;
        }
        Ok(page)
    }

    /// `SELECT … WHERE workspace_id = ? AND {key} IN (keys) ORDER BY {key}, position`.
    async fn children(
        &mut self,
        columns: &str,
        table: &str,
        key: &str,
        keys: &[&str],
    ) -> Result<Vec<AnyRow>> {
        let mut p = Params::new(self.backend);
        let ws = p.next();
        let sql = format!(
            "SELECT {key} AS owner, {columns} FROM {table} WHERE workspace_id = {ws} AND {key} IN ({})
             ORDER BY {key}, position",
            p.list(keys.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&self.workspace);
        for k in keys {
            q = q.bind(*k);
        }
        Ok(q.fetch_all(&mut *self.tx).await?)
    }

    async fn attach_phones(&mut self, page: &mut [ExportContract]) -> Result<()> {
        let keys: Vec<String> = page.iter().map(|c| c.contract.clone()).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let rows = self
            .children(
                "ddd, number, kind, score, origin, position",
                "contract_phones",
                "contract",
                &keys,
            )
            .await?;
        // both lists are by contract number: walk them together
        let mut i = 0;
        for r in &rows {
            let owner: String = col(r, "owner")?;
            while i < page.len() && page[i].contract < owner {
                i += 1;
            }
            if let Some(c) = page.get_mut(i).filter(|c| c.contract == owner) {
                c.phones.push(Phone {
                    ddd: col(r, "ddd")?,
                    number: col(r, "number")?,
                    kind: col(r, "kind")?,
                    score: col(r, "score")?,
                    origin: col(r, "origin")?,
                    position: col(r, "position")?,
                });
            }
        }
        Ok(())
    }

    async fn attach_customer_data(&mut self, page: &mut [ExportContract]) -> Result<()> {
        let mut docs: Vec<String> = page.iter().map(|c| c.document.clone()).collect();
        docs.sort();
        docs.dedup();
        let keys: Vec<&str> = docs.iter().map(String::as_str).collect();
        let mut addresses: std::collections::HashMap<String, Vec<Address>> = Default::default();
        let mut emails: std::collections::HashMap<String, Vec<String>> = Default::default();
        if self.query.addresses {
            let rows = self
                .children(
                    "kind, street, number, complement, district, city, state, zip",
                    "customer_addresses",
                    "document",
                    &keys,
                )
                .await?;
            for r in &rows {
                addresses
                    .entry(col(r, "owner")?)
                    .or_default()
                    .push(Address {
                        kind: col(r, "kind")?,
                        street: col(r, "street")?,
                        number: col(r, "number")?,
                        complement: col(r, "complement")?,
                        district: col(r, "district")?,
                        city: col(r, "city")?,
                        state: col(r, "state")?,
                        zip: col(r, "zip")?,
                    });
            }
        }
        if self.query.emails {
            let rows = self
                .children("email", "customer_emails", "document", &keys)
                .await?;
            for r in &rows {
                emails
                    .entry(col(r, "owner")?)
                    .or_default()
                    .push(col(r, "email")?);
            }
        }
        for c in page.iter_mut() {
            if let Some(a) = addresses.get(&c.document) {
                c.addresses.clone_from(a);
            }
            if let Some(e) = emails.get(&c.document) {
                c.emails.clone_from(e);
            }
        }
        Ok(())
    }
}

/// The `wanted` keys of an `extra` JSON object.
fn wanted_extra(wanted: &[String], text: &str) -> Result<Extra> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

    if wanted.is_empty() {
        return Ok(Extra::new());
    }
    /// A key, as the index of the wanted key it is (`None`: not wanted).
    struct Key<'w>(&'w [String]);
    impl<'de> DeserializeSeed<'de> for Key<'_> {
        type Value = Option<usize>;
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl Visitor<'_> for Key<'_> {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a field name")
        }
        fn visit_str<E: serde::de::Error>(self, k: &str) -> std::result::Result<Self::Value, E> {
            Ok(self.0.iter().position(|w| w == k))
        }
    }
    struct Object<'w>(&'w [String]);
    impl<'de> Visitor<'de> for Object<'_> {
        type Value = Extra;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> std::result::Result<Extra, A::Error> {
            let mut out = Extra::new();
            while let Some(found) = m.next_key_seed(Key(self.0))? {
                match found {
                    Some(i) => {
                        out.insert(self.0[i].clone(), m.next_value::<serde_json::Value>()?);
                    }
                    None => {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde::Deserializer::deserialize_map(&mut de, Object(wanted)).map_err(|e| StoreError::Corrupt {
        what: "contracts.extra".into(),
        why: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_wanted_extra_fields_are_kept() {
        let wanted = ["b".to_string(), "d".to_string()];
        let extra = super::wanted_extra(
            &wanted,
            r#"{"a": [1, {"x": 2}], "b": "dois", "c": 3, "d": 4}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::Value::Object(extra),
            serde_json::json!({"b": "dois", "d": 4})
        );
        assert!(super::wanted_extra(&wanted, "[1]").is_err());
        assert!(super::wanted_extra(&[], "not even JSON")
            .unwrap()
            .is_empty());
    }
}
