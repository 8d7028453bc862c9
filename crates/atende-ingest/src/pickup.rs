//! Picking files up from a source: list the inbox, keep the names a layout knows (others
//! are logged and left alone), import in the day's order, and file each away —
//! `processed/` (with `<name>.errors.csv` beside it when rows were refused) or
//! `rejected/` (always with its `.errors.csv`). Files that must wait for another file of
//! their day stay in the inbox for the next poll.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use atende_collections::{Kind, Layouts};
use atende_filesource::{FileSource, PROCESSED, REJECTED};
use atende_store::portfolio::RunStatus;
use atende_store::Store;
use jiff::civil::Date;

use crate::{import_file, FileOutcome, FileReport, IngestError, Progress};

/// A source shared with the blocking threads its (synchronous) calls run on.
pub type SharedSource = Arc<Mutex<Box<dyn FileSource + Send>>>;

/// What one poll did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PollReport {
    pub files: Vec<FileReport>,
    /// `(name, what it waits for)`.
    pub deferred: Vec<(String, String)>,
    /// Names no layout knows (left where they are).
    pub ignored: Vec<String>,
    /// Exports made or delivered after the files ([`poll_and_export`] only).
    pub exports: Vec<atende_store::portfolio::exports::ExportRun>,
    /// Exports that failed ([`poll_and_export`] only).
    pub export_errors: Vec<String>,
}

async fn on_source<T: Send + 'static>(
    source: &SharedSource,
    f: impl FnOnce(&mut dyn FileSource) -> atende_filesource::Result<T> + Send + 'static,
) -> Result<T, IngestError> {
    let source = source.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut guard = source.lock().unwrap_or_else(|p| p.into_inner());
        f(guard.as_mut())
    })
    .await
    .map_err(|e| {
        IngestError::Source(atende_filesource::SourceError::Invalid(format!(
            "source thread: {e}"
        )))
    })?;
    Ok(result?)
}

/// The `(kind, date)` pairs the workspace has imported (recent runs).
async fn imported_days(
    store: &Store,
    layouts: &Layouts,
    workspace: &str,
) -> Result<HashSet<(Kind, Date)>, IngestError> {
    let runs = store.runs(workspace, 0, 5000).await?;
    Ok(runs
        .into_iter()
        .filter(|r| r.status == RunStatus::Imported)
        .filter_map(|r| Some((layouts.get(&r.layout)?.kind(), r.file_date)))
        .collect())
}

/// One poll of `source` for `workspace`.
pub async fn poll(
    store: &Store,
    layouts: &Layouts,
    workspace: &str,
    source: &SharedSource,
    progress: &mut dyn Progress,
) -> Result<PollReport, IngestError> {
    let mut report = PollReport::default();
    let listed = on_source(source, |s| s.list()).await?;
    let mut files = Vec::new();
    for f in listed {
        match layouts.identify(&f.name) {
            Some((layout, info)) => files.push((f.name, layout.kind(), info.date, ())),
            None => {
                tracing::info!(file = %f.name, "ignored: no layout knows this file name");
                report.ignored.push(f.name);
            }
        }
    }
    crate::plan::order(&mut files);
    let mut done = imported_days(store, layouts, workspace).await?;
    for (name, kind, date, ()) in files {
        if let Err(why) = crate::plan::ready(kind, date, &done) {
            report.deferred.push((name, why));
            continue;
        }
        let fetch_name = name.clone();
        let content = on_source(source, move |s| s.fetch(&fetch_name)).await?;
        let file = import_file(store, layouts, workspace, &name, &content, progress).await?;
        let (folder, errors) = match file.outcome {
            FileOutcome::Rejected => (REJECTED, true),
            _ => (PROCESSED, !file.errors.is_empty()),
        };
        if errors {
            let csv = file.errors_csv().into_bytes();
            let csv_name = format!("{name}.errors.csv");
            on_source(source, move |s| s.put(folder, &csv_name, &csv)).await?;
        }
        let move_name = name.clone();
        on_source(source, move |s| s.file_away(&move_name, folder)).await?;
        if matches!(
            file.outcome,
            FileOutcome::Imported | FileOutcome::AlreadyImported
        ) {
            done.insert((kind, date));
        }
        tracing::info!(
            file = %name,
            outcome = ?file.outcome,
            read = file.rows_read,
            refused = file.rows_rejected,
            "collections file"
        );
        report.files.push(file);
    }
    Ok(report)
}

/// [`poll`], then the dialer exports the imported files call for and the retry of
/// undelivered ones ([`crate::export::after_poll`]); the retry runs even when the poll
/// failed (its error is returned after).
pub async fn poll_and_export(
    store: &Store,
    layouts: &Layouts,
    workspace: &str,
    source: &SharedSource,
    exports: &crate::export::ExportSettings,
    progress: &mut dyn Progress,
) -> Result<PollReport, IngestError> {
    let polled = poll(store, layouts, workspace, source, progress).await;
    let files = polled
        .as_ref()
        .map(|r| r.files.as_slice())
        .unwrap_or_default();
    let (done, errors) = crate::export::after_poll(store, layouts, exports, workspace, files).await;
    let mut report = polled?;
    report.exports = done;
    report.export_errors = errors;
    Ok(report)
}
