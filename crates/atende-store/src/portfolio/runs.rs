//! Import runs (one per file delivered) and their error lines.

use jiff::civil::Date;
use sha2::{Digest, Sha256};

use super::{date_text, parse_date, ImportContext};
use crate::{col, time_text, Result, Store, StoreError, Tx};

/// SHA-256 of a file's content, lower-case hex: the run's identity with its name.
pub fn content_hash(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file about to be imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewRun<'a> {
    /// The file's name, without folders.
    pub file_name: &'a str,
    /// The layout it was recognised as.
    pub layout: &'a str,
    /// [`content_hash`] of its content.
    pub content_hash: &'a str,
    /// The date the file is for (from its name): "today" for the rules.
    pub file_date: Date,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Begun and not finished: importing now, or interrupted (its rows rolled back).
    Started,
    /// Committed with its rows (some lines may have been error lines).
    Imported,
    /// Refused as a whole; nothing of it is in the base.
    Rejected,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Started => "started",
            RunStatus::Imported => "imported",
            RunStatus::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Result<RunStatus> {
        match text {
            "started" => Ok(RunStatus::Started),
            "imported" => Ok(RunStatus::Imported),
            "rejected" => Ok(RunStatus::Rejected),
            other => Err(StoreError::Corrupt {
                what: "import_runs.status".into(),
                why: format!("unknown status {other:?}"),
            }),
        }
    }
}

/// Line counts of a finished run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunCounts {
    pub read: i64,
    pub imported: i64,
    pub rejected: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportRun {
    pub id: i64,
    pub file_name: String,
    pub layout: String,
    pub content_hash: String,
    pub file_date: Date,
    pub status: RunStatus,
    pub counts: RunCounts,
    /// Why a run was rejected (empty otherwise).
    pub message: String,
    pub started_on: String,
    pub finished_on: Option<String>,
}

impl ImportRun {
    /// The context the file's rows are written with.
    pub fn context(&self, workspace: &str, now: jiff::Timestamp) -> ImportContext {
        ImportContext::new(workspace, self.id, self.file_date, now)
    }
}

/// What [`Tx::begin_run`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunStart {
    /// A new run: import the file with it.
    New(ImportRun),
    /// This file (same name, same content) was imported already by that run: import
    /// nothing.
    AlreadyImported(ImportRun),
}

/// An error line of a run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportError {
    pub line: i64,
    /// The layout's field name, or empty when the whole line is wrong.
    pub field: String,
    pub reason: String,
}

const RUN_COLUMNS: &str = "id, file_name, layout, content_hash, file_date, status, rows_read, rows_imported, rows_rejected, message, started_on, finished_on";

fn decode_run(row: &sqlx::any::AnyRow) -> Result<ImportRun> {
    let status: String = col(row, "status")?;
    let file_date: String = col(row, "file_date")?;
    Ok(ImportRun {
        id: col(row, "id")?,
        file_name: col(row, "file_name")?,
        layout: col(row, "layout")?,
        content_hash: col(row, "content_hash")?,
        file_date: parse_date("import_runs.file_date", &file_date)?,
        status: RunStatus::parse(&status)?,
        counts: RunCounts {
            read: col(row, "rows_read")?,
            imported: col(row, "rows_imported")?,
            rejected: col(row, "rows_rejected")?,
        },
        message: col(row, "message")?,
        started_on: col(row, "started_on")?,
        finished_on: col(row, "finished_on")?,
    })
}

impl Tx {
    /// Starts a run for a file, or finds that the same file (name and content) was
    /// imported already. Commit this transaction before importing the rows in another,
    /// so the run outlives a rejected file.
    pub async fn begin_run(
        &mut self,
        workspace: &str,
        file: &NewRun<'_>,
        now: jiff::Timestamp,
    ) -> Result<RunStart> {
        let earlier = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM import_runs
             WHERE workspace_id = $1 AND file_name = $2 AND content_hash = $3 AND status = 'imported'"
        )))
        .bind(workspace)
        .bind(file.file_name)
        .bind(file.content_hash)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(row) = earlier {
            return Ok(RunStart::AlreadyImported(decode_run(&row)?));
        }
        let id = self.next_counter(workspace, "import_run").await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO import_runs (workspace_id, id, file_name, layout, content_hash, file_date, status,
                rows_read, rows_imported, rows_rejected, message, started_on, finished_on)
             VALUES ($1, $2, $3, $4, $5, $6, 'started', 0, 0, 0, '', $7, NULL)
             RETURNING {RUN_COLUMNS}"
        )))
        .bind(workspace)
        .bind(id)
        .bind(file.file_name)
        .bind(file.layout)
        .bind(file.content_hash)
        .bind(date_text(file.file_date))
        .bind(time_text(now))
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(RunStart::New(decode_run(&row)?))
    }

    /// Closes a run. `Imported` goes in the file's own transaction (it fails if the same
    /// file was imported meanwhile); `Rejected` in a new one after rolling the file back.
    pub async fn finish_run(
        &mut self,
        workspace: &str,
        run_id: i64,
        status: RunStatus,
        counts: RunCounts,
        message: &str,
        now: jiff::Timestamp,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE import_runs SET status = $3, rows_read = $4, rows_imported = $5, rows_rejected = $6,
                message = $7, finished_on = $8
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace)
        .bind(run_id)
        .bind(status.as_str())
        .bind(counts.read)
        .bind(counts.imported)
        .bind(counts.rejected)
        .bind(message)
        .bind(time_text(now))
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "no import run {run_id} in workspace {workspace}"
            )));
        }
        Ok(())
    }

    /// Appends an error line to the run.
    pub async fn add_error(
        &mut self,
        ctx: &ImportContext,
        line: i64,
        field: &str,
        reason: &str,
    ) -> Result<()> {
        self.add_run_error(&ctx.workspace, ctx.run_id, line, field, reason)
            .await
    }

    /// [`Tx::add_error`] without a context (for a rejected file's lines, written after
    /// the rollback).
    pub async fn add_run_error(
        &mut self,
        workspace: &str,
        run_id: i64,
        line: i64,
        field: &str,
        reason: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO import_errors (workspace_id, run_id, seq, line, field, reason)
             VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM import_errors WHERE workspace_id = $1 AND run_id = $2), $3, $4, $5)",
        )
        .bind(workspace)
        .bind(run_id)
        .bind(line)
        .bind(field)
        .bind(reason)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// The workspace's runs, newest first, `limit` at a time before run `before_id`
    /// (0 = from the newest).
    pub async fn runs(
        &self,
        workspace: &str,
        before_id: i64,
        limit: i64,
    ) -> Result<Vec<ImportRun>> {
        let before = if before_id <= 0 { i64::MAX } else { before_id };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM import_runs WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        )))
        .bind(workspace)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_run).collect()
    }

    pub async fn run(&self, workspace: &str, id: i64) -> Result<Option<ImportRun>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM import_runs WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(workspace)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode_run).transpose()
    }

    /// A run's error lines in the order they were written.
    pub async fn run_errors(&self, workspace: &str, run_id: i64) -> Result<Vec<ImportError>> {
        let rows = sqlx::query(
            "SELECT line, field, reason FROM import_errors WHERE workspace_id = $1 AND run_id = $2 ORDER BY seq",
        )
        .bind(workspace)
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ImportError {
                    line: col(r, "line")?,
                    field: col(r, "field")?,
                    reason: col(r, "reason")?,
                })
            })
            .collect()
    }
}
