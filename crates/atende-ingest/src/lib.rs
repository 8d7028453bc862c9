//! The collections hub's file ingestion (issue 6, ATOM spec `shared/seeds/001_*.txt`).
//!
//! - [`import_file`]: one creditor file into the portfolio, **all or nothing**: the run
//!   record, every row and every error line are written in one transaction, so a file
//!   that fails (or a process killed half-way) leaves the base as it was. A file whose
//!   name and content were imported before is not imported again.
//! - [`plan`]: the day's order (remessa first; then parcelas, garantias, telefones, REFIN;
//!   then baixa and acordos baixados; then exclusão; batimento last, and only once the
//!   day's remessa and acordos are in).
//! - [`pickup`]: polls a [`FileSource`](atende_filesource::FileSource) (inbox folder or
//!   FTP), imports in that order, files each away to `processed/` or `rejected/` with a
//!   `<name>.errors.csv` beside it.
//!
//! Which rule lives where: parsing and layouts in `atende-collections`, the storage rules
//! (partial block, enrichment numbering, batimento write-off, marks) in
//! `atende-store::portfolio`; this crate maps rows to records and keeps the order.

pub mod export;
pub mod map;
pub mod pickup;
pub mod plan;

use std::io::BufRead;

use atende_collections::{FileInfo, Kind, Layout, Layouts, Parser};
use atende_store::portfolio::{
    content_hash, ContractStatus, ImportContext, MassActionInfo, NewRun, Outcome, RunCounts,
    RunStart, RunStatus, INSTALLMENT_BATCH, REMESSA_BATCH,
};
use atende_store::{Store, StoreError, Tx};

/// Error lines kept in a [`FileReport`] (all of them are in the store).
const REPORT_ERRORS: usize = 1000;

/// The message of a file no layout knows (ATOM FA005: a name outside the expected
/// patterns).
pub const UNKNOWN_NAME: &str =
    "nome de arquivo fora dos padrões esperados: nenhum layout o reconhece";

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Source(#[from] atende_filesource::SourceError),
}

/// What happened to one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOutcome {
    /// Imported; some rows may have been refused (see `errors`).
    Imported,
    /// Refused as a whole (wrong shape, or a rule refusing the file); nothing written.
    Rejected,
    /// The same name and content were imported before (run id given).
    AlreadyImported,
    /// No layout knows this file name.
    Unknown,
}

/// One error line of a file: where, which field, why. The reason is in Portuguese: it
/// goes back to the creditor (`.errors.csv`) and to the agency's operators.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ErrorLine {
    pub line: i64,
    pub field: String,
    pub reason: String,
}

/// The result of importing one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    pub file_name: String,
    pub layout: String,
    pub outcome: FileOutcome,
    pub run_id: Option<i64>,
    pub rows_read: i64,
    pub rows_imported: i64,
    pub rows_rejected: i64,
    pub bytes: u64,
    /// The first error lines (all are stored with the run).
    pub errors: Vec<ErrorLine>,
    /// What happened to the file as a whole, in Portuguese (the run's message).
    pub message: String,
}

impl FileReport {
    fn new(file_name: &str, layout: &str, outcome: FileOutcome, bytes: u64) -> FileReport {
        FileReport {
            file_name: file_name.into(),
            layout: layout.into(),
            outcome,
            run_id: None,
            rows_read: 0,
            rows_imported: 0,
            rows_rejected: 0,
            bytes,
            errors: Vec::new(),
            message: String::new(),
        }
    }

    /// The `.errors.csv` written beside a rejected file (and for refused rows):
    /// `linha;campo;motivo`, in Portuguese, for the creditor.
    ///
    /// ```
    /// use atende_ingest::{ErrorLine, FileOutcome, FileReport};
    ///
    /// let report = FileReport {
    ///     file_name: "x".into(), layout: "parcelas".into(), outcome: FileOutcome::Imported,
    ///     run_id: Some(1), rows_read: 2, rows_imported: 1, rows_rejected: 1, bytes: 0,
    ///     errors: vec![ErrorLine { line: 2, field: "numero_contrato".into(), reason: "contrato não encontrado na base".into() }],
    ///     message: String::new(),
    /// };
    /// assert_eq!(report.errors_csv(), "linha;campo;motivo\n2;numero_contrato;contrato não encontrado na base\n");
    /// ```
    pub fn errors_csv(&self) -> String {
        let mut out = String::from("linha;campo;motivo\n");
        for e in &self.errors {
            let reason = e.reason.replace([';', '\n', '\r'], " ");
            out.push_str(&format!("{};{};{}\n", e.line, e.field, reason));
        }
        out
    }
}

/// Progress for long imports: rows read so far.
pub trait Progress: Send {
    fn rows(&mut self, _rows: u64, _bytes: u64) {}
}

impl Progress for () {}

/// Imports one file's bytes, identified by its name, in one transaction.
pub async fn import_file(
    store: &Store,
    layouts: &Layouts,
    workspace: &str,
    file_name: &str,
    content: &[u8],
    progress: &mut dyn Progress,
) -> Result<FileReport, IngestError> {
    let bytes = content.len() as u64;
    let Some((layout, info)) = layouts.identify(file_name) else {
        let mut r = FileReport::new(file_name, "", FileOutcome::Unknown, bytes);
        r.message = UNKNOWN_NAME.into();
        return Ok(r);
    };
    let now = atende_store::wall_now();
    let hash = content_hash(content);
    let new_run = NewRun {
        file_name,
        layout: layout.name(),
        content_hash: &hash,
        file_date: info.date,
    };
    let mut tx = store.begin().await?;
    let run = match tx.begin_run(workspace, &new_run, now).await? {
        RunStart::AlreadyImported(run) => {
            let mut r = FileReport::new(
                file_name,
                layout.name(),
                FileOutcome::AlreadyImported,
                bytes,
            );
            r.run_id = Some(run.id);
            r.message = format!(
                "arquivo já importado (mesmo nome e conteúdo) na importação {}, em {}",
                run.id, run.started_on
            );
            return Ok(r);
        }
        RunStart::New(run) => run,
    };
    let ctx = run.context(workspace, now);
    let mut report = FileReport::new(file_name, layout.name(), FileOutcome::Imported, bytes);
    report.run_id = Some(run.id);
    match load(&mut tx, &ctx, layout, &info, content, &mut report, progress).await {
        Ok(()) => {
            let counts = RunCounts {
                read: report.rows_read,
                imported: report.rows_imported,
                rejected: report.rows_rejected,
            };
            tx.finish_run(
                workspace,
                run.id,
                RunStatus::Imported,
                counts,
                &report.message,
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(report)
        }
        Err(Refusal::File(line, field, reason)) => {
            // nothing of the file stays: roll back, then record the refusal on its own
            tx.rollback().await?;
            reject(store, workspace, &new_run, line, &field, &reason, report).await
        }
        Err(Refusal::Store(e)) => Err(e.into()),
    }
}

async fn reject(
    store: &Store,
    workspace: &str,
    new_run: &NewRun<'_>,
    line: i64,
    field: &str,
    reason: &str,
    mut report: FileReport,
) -> Result<FileReport, IngestError> {
    let now = atende_store::wall_now();
    let mut tx = store.begin().await?;
    let run = match tx.begin_run(workspace, new_run, now).await? {
        RunStart::New(run) | RunStart::AlreadyImported(run) => run,
    };
    tx.add_run_error(workspace, run.id, line, field, reason)
        .await?;
    tx.finish_run(
        workspace,
        run.id,
        RunStatus::Rejected,
        RunCounts::default(),
        reason,
        now,
    )
    .await?;
    tx.commit().await?;
    report.outcome = FileOutcome::Rejected;
    report.run_id = Some(run.id);
    report.rows_imported = 0;
    report.rows_rejected = 0;
    report.errors = vec![ErrorLine {
        line,
        field: field.into(),
        reason: reason.into(),
    }];
    report.message = reason.into();
    Ok(report)
}

/// Why a file stops: refused as a whole (line, field, reason), or the store failed.
enum Refusal {
    File(i64, String, String),
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Refusal {
        match e {
            // a refusal the portfolio rules make about the file (e.g. a batimento
            // naming no contract of the base) rejects it; database failures propagate
            StoreError::Invalid(why) => Refusal::File(0, String::new(), why),
            other => Refusal::Store(other),
        }
    }
}

/// Rows waiting for a batched write, with their line numbers.
struct Batch<T> {
    rows: Vec<T>,
    lines: Vec<i64>,
}

impl<T> Batch<T> {
    fn new() -> Batch<T> {
        Batch {
            rows: Vec::new(),
            lines: Vec::new(),
        }
    }
    fn push(&mut self, line: i64, row: T) {
        self.rows.push(row);
        self.lines.push(line);
    }
}

async fn row_error(
    tx: &mut Tx,
    ctx: &ImportContext,
    report: &mut FileReport,
    line: i64,
    field: &str,
    reason: &str,
) -> Result<(), Refusal> {
    tx.add_error(ctx, line, field, reason).await?;
    report.rows_rejected += 1;
    report.rows_imported -= 1;
    if report.errors.len() < REPORT_ERRORS {
        report.errors.push(ErrorLine {
            line,
            field: field.into(),
            reason: reason.into(),
        });
    }
    Ok(())
}

async fn outcome(
    tx: &mut Tx,
    ctx: &ImportContext,
    report: &mut FileReport,
    line: i64,
    field: &str,
    o: Outcome,
) -> Result<(), Refusal> {
    if let Some(reason) = o.reason() {
        row_error(tx, ctx, report, line, field, &reason).await?;
    }
    Ok(())
}

/// Parses the file and applies every row; a row error is a line in the run, a file
/// error refuses the file.
async fn load(
    tx: &mut Tx,
    ctx: &ImportContext,
    layout: &Layout,
    info: &FileInfo,
    content: &[u8],
    report: &mut FileReport,
    progress: &mut dyn Progress,
) -> Result<(), Refusal> {
    let file_error = |e: atende_collections::FileError| {
        Refusal::File(e.line() as i64, String::new(), e.to_string())
    };
    let kind = layout.kind();
    tx.bulk_load().await?;
    if matches!(kind, Kind::Remessa | Kind::Parcelas) {
        return load_pipelined(tx, ctx, layout, info, content, report, progress).await;
    }
    let mut parser = Parser::new(layout, std::io::BufReader::new(content)).map_err(file_error)?;
    let portfolio = info.portfolio_id.clone().unwrap_or_default();
    let mut batimento = if kind == Kind::Batimento {
        Some((
            tx.begin_batimento(&portfolio).await?,
            Batch::<String>::new(),
        ))
    } else {
        None
    };
    let mut statistics = Statistics::new(kind, content.len());
    statistics.start(tx).await?;
    let mut guarantee_seq: std::collections::HashMap<String, i64> = Default::default();
    loop {
        let next = parser.next_row().map_err(file_error)?;
        let Some(row) = next else { break };
        report.rows_read += 1;
        report.rows_imported += 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let (line, field, reason) = (e.line as i64, e.field.clone(), e.reason.clone());
                row_error(tx, ctx, report, line, &field, &reason).await?;
                continue;
            }
        };
        let line = row.line as i64;
        match kind {
            // parsed on a thread of their own: load_pipelined
            Kind::Remessa | Kind::Parcelas => unreachable!("big files take load_pipelined"),
            Kind::Garantias => {
                let g = {
                    let contract = map::text(&row, "numero_contrato");
                    let seq = guarantee_seq.entry(contract).or_default();
                    *seq += 1;
                    map::guarantee(&row, *seq)
                };
                let o = tx.put_guarantee(ctx, &g).await?;
                outcome(tx, ctx, report, line, "numero_contrato", o).await?;
            }
            Kind::Baixa => {
                let o = tx
                    .record_agreement(ctx, &map::agreement(&row, false))
                    .await?;
                outcome(tx, ctx, report, line, "numero_contrato", o).await?;
            }
            Kind::AcordosBaixados => {
                let o = tx
                    .write_off_agreement(ctx, &map::agreement(&row, true))
                    .await?;
                outcome(tx, ctx, report, line, "numero_contrato", o).await?;
            }
            Kind::Exclusao => {
                let movement = map::text(&row, "tipo_movimento").to_uppercase();
                let status = if movement.starts_with('R') {
                    ContractStatus::Removed
                } else {
                    ContractStatus::Excluded
                };
                let contract = map::text(&row, "numero_contrato");
                let reason = map::text(&row, "motivo");
                let o = tx.exclude_contract(ctx, &contract, status, &reason).await?;
                outcome(tx, ctx, report, line, "numero_contrato", o).await?;
            }
            Kind::Batimento => {
                if let Some((_, rows)) = batimento.as_mut() {
                    rows.push(line, map::text(&row, "numero_contrato"));
                }
            }
            Kind::Telefones => {
                let contract = map::text(&row, "numero_contrato");
                let phones = map::enrichment_phones(&row);
                let o = tx.add_enrichment_phones(ctx, &contract, &phones).await?;
                outcome(tx, ctx, report, line, "numero_contrato", o).await?;
            }
            Kind::Refin => {
                let o = tx.put_refin(ctx, &map::refin(&row)).await?;
                outcome(tx, ctx, report, line, "numero_contrato", o).await?;
            }
            Kind::AcoesWhatsapp => {
                let contract = map::text(&row, "numero_contrato");
                let (ddd, number) = map::phone(&row, "telefone").unwrap_or_default();
                let journey = map::text(&row, "jornada");
                let o = tx
                    .mark_whatsapp(ctx, &contract, &ddd, &number, &journey)
                    .await?;
                outcome(tx, ctx, report, line, "numero_contrato", o).await?;
            }
            Kind::HistoricoEmail => {
                let info = mass_info(&row);
                let doc = map::document(&row, "cpf_cnpj").unwrap_or_default();
                let email = map::text(&row, "email");
                let o = tx.mark_email(ctx, &doc, &email, &info).await?;
                outcome(tx, ctx, report, line, "cpf_cnpj", o).await?;
            }
            Kind::HistoricoSms => {
                let info = mass_info(&row);
                let (ddd, number) = map::phone(&row, "telefone").unwrap_or_default();
                let o = tx.mark_sms(ctx, &ddd, &number, &info).await?;
                outcome(tx, ctx, report, line, "telefone", o).await?;
            }
        }
        if let Some((b, rows)) = batimento.as_mut() {
            if rows.rows.len() >= 2000 {
                flush_batimento(tx, ctx, report, b, rows).await?;
            }
        }
        if report.rows_read % 10_000 == 0 {
            progress.rows(report.rows_read as u64, parser.summary().bytes);
            statistics.grown(tx, report.rows_read).await?;
        }
    }
    if let Some((mut b, mut rows)) = batimento {
        flush_batimento(tx, ctx, report, &mut b, &mut rows).await?;
        let summary = tx.finish_batimento(ctx, b).await?;
        report.message = format!(
            "batimento: {} contratos da base no arquivo, {} baixados (TODOS CONTRATOS BAIXADOS)",
            summary.seen, summary.written_off
        );
    }
    progress.rows(report.rows_read as u64, bytes_of(&parser));
    Ok(())
}

/// A row of a big file as the parsing thread hands it over: mapped, or refused.
enum Parsed {
    Remessa(i64, atende_store::portfolio::RemessaRecord),
    Installment(i64, atende_store::portfolio::Installment),
    RowError(i64, String, String),
}

/// Rows handed over at a time, and chunks in flight: enough to keep both threads busy,
/// little enough memory (a remessa record is a few KB).
const CHUNK_ROWS: usize = 2_000;
const CHUNKS_IN_FLIGHT: usize = 4;

/// A parsed chunk: its rows, and the bytes read so far (for the progress line).
struct Chunk {
    rows: Vec<Parsed>,
    bytes: u64,
}

/// Parses and maps the file on a thread of its own, so that the work on the rows
/// overlaps the database's (the two big files, remessa and parcelas, spend about as
/// long in each). Stops early when the receiver goes away (the file was refused).
fn spawn_parser(
    layout: Layout,
    portfolio: String,
    content: Vec<u8>,
) -> tokio::sync::mpsc::Receiver<Result<Chunk, atende_collections::FileError>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
    std::thread::spawn(move || {
        let mut parser = match Parser::new(&layout, std::io::BufReader::new(&content[..])) {
            Ok(p) => p,
            Err(e) => {
                let _ = sender.blocking_send(Err(e));
                return;
            }
        };
        let remessa_fields: Vec<map::RemessaFields> = match layout.kind() {
            Kind::Remessa => layout
                .records()
                .iter()
                .map(map::RemessaFields::new)
                .collect(),
            _ => Vec::new(),
        };
        let mut rows = Vec::with_capacity(CHUNK_ROWS);
        loop {
            let row = match parser.next_row() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => {
                    let _ = sender.blocking_send(Err(e));
                    return;
                }
            };
            rows.push(match row {
                Err(e) => Parsed::RowError(e.line as i64, e.field, e.reason),
                Ok(row) => {
                    let line = row.line as i64;
                    match layout.kind() {
                        Kind::Parcelas => Parsed::Installment(line, map::installment(&row)),
                        _ => match layout
                            .records()
                            .iter()
                            .position(|r| std::ptr::eq(r, row.record()))
                            .map_or_else(
                                || map::remessa(&row, &portfolio),
                                |i| remessa_fields[i].map(&row, &portfolio),
                            ) {
                            Ok(r) => Parsed::Remessa(line, r),
                            Err((field, reason)) => Parsed::RowError(line, field, reason),
                        },
                    }
                }
            });
            if rows.len() >= CHUNK_ROWS {
                let chunk = Chunk {
                    rows: std::mem::replace(&mut rows, Vec::with_capacity(CHUNK_ROWS)),
                    bytes: parser.summary().bytes,
                };
                if sender.blocking_send(Ok(chunk)).is_err() {
                    return;
                }
            }
        }
        let bytes = parser.summary().bytes;
        let _ = sender.blocking_send(Ok(Chunk { rows, bytes }));
    });
    receiver
}

/// [`load`] for the remessa and parcelas files: parsing on another thread, rows written
/// in batches.
async fn load_pipelined(
    tx: &mut Tx,
    ctx: &ImportContext,
    layout: &Layout,
    info: &FileInfo,
    content: &[u8],
    report: &mut FileReport,
    progress: &mut dyn Progress,
) -> Result<(), Refusal> {
    let portfolio = info.portfolio_id.clone().unwrap_or_default();
    let mut statistics = Statistics::new(layout.kind(), content.len());
    statistics.start(tx).await?;
    let mut chunks = spawn_parser(layout.clone(), portfolio, content.to_vec());
    let mut remessa = Batch::new();
    let mut installments = Batch::new();
    let mut bytes = 0;
    while let Some(chunk) = chunks.recv().await {
        let chunk =
            chunk.map_err(|e| Refusal::File(e.line() as i64, String::new(), e.to_string()))?;
        bytes = chunk.bytes;
        for parsed in chunk.rows {
            report.rows_read += 1;
            report.rows_imported += 1;
            match parsed {
                Parsed::Remessa(line, r) => remessa.push(line, r),
                Parsed::Installment(line, i) => installments.push(line, i),
                Parsed::RowError(line, field, reason) => {
                    row_error(tx, ctx, report, line, &field, &reason).await?
                }
            }
        }
        if remessa.rows.len() >= REMESSA_BATCH * 4 {
            flush_remessa(tx, ctx, report, &mut remessa).await?;
        }
        if installments.rows.len() >= INSTALLMENT_BATCH * 4 {
            flush_installments(tx, ctx, report, &mut installments).await?;
        }
        progress.rows(report.rows_read as u64, bytes);
        statistics.grown(tx, report.rows_read).await?;
    }
    flush_remessa(tx, ctx, report, &mut remessa).await?;
    flush_installments(tx, ctx, report, &mut installments).await?;
    progress.rows(report.rows_read as u64, bytes);
    Ok(())
}

/// When to refresh the planner's statistics ([`Tx::analyze`]) of the tables a file
/// writes: before a big file (what earlier files committed may not be analysed yet), and
/// each time the rows written in this transaction double, from 20,000 on.
struct Statistics {
    tables: &'static [&'static str],
    big: bool,
    analyzed_at: i64,
}

/// Files smaller than this start without a refresh (autovacuum keeps up with them).
const BIG_FILE: usize = 1 << 20;

impl Statistics {
    fn new(kind: Kind, bytes: usize) -> Statistics {
        let tables: &'static [&'static str] = match kind {
            // their statements probe indexes by key (parcelas whatever the statistics
            // say, the remessa's with bulk_load's settings): no statement slowed down
            // as a 100,000-record remessa grew without ANALYZE, which took a third of a
            // parcelas import on PostgreSQL and a tenth of a remessa
            Kind::Remessa | Kind::Parcelas => &[],
            Kind::Garantias => &["contracts", "guarantees"],
            Kind::Telefones => &["contracts", "contract_phones"],
            Kind::Refin => &["contracts", "refin_offers"],
            Kind::Baixa | Kind::AcordosBaixados => &["contracts", "agreements"],
            Kind::Exclusao | Kind::Batimento => &["contracts", "contract_status_history"],
            Kind::AcoesWhatsapp | Kind::HistoricoEmail | Kind::HistoricoSms => {
                &["contracts", "customers", "contract_phones", "mass_actions"]
            }
        };
        Statistics {
            tables,
            big: bytes >= BIG_FILE,
            analyzed_at: 0,
        }
    }

    async fn start(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        if self.big {
            tx.analyze(self.tables).await?;
        }
        Ok(())
    }

    async fn grown(&mut self, tx: &mut Tx, rows: i64) -> Result<(), StoreError> {
        if rows >= 20_000 && rows >= 2 * self.analyzed_at {
            tx.analyze(self.tables).await?;
            self.analyzed_at = rows;
        }
        Ok(())
    }
}

fn bytes_of<R: BufRead>(parser: &Parser<'_, R>) -> u64 {
    parser.summary().bytes
}

fn mass_info(row: &atende_collections::Row<'_>) -> MassActionInfo {
    MassActionInfo {
        protocol: map::text(row, "protocolo"),
        sent_on: match row.get("data_envio") {
            Some(atende_collections::Value::DateTime(dt)) => dt
                .to_zoned(
                    jiff::tz::TimeZone::get("America/Sao_Paulo").unwrap_or(jiff::tz::TimeZone::UTC),
                )
                .ok()
                .map(|z| z.timestamp()),
            _ => None,
        },
        message: map::text(row, "mensagem"),
    }
}

async fn flush_remessa(
    tx: &mut Tx,
    ctx: &ImportContext,
    report: &mut FileReport,
    batch: &mut Batch<atende_store::portfolio::RemessaRecord>,
) -> Result<(), Refusal> {
    if batch.rows.is_empty() {
        return Ok(());
    }
    let refused = tx.upsert_remessa_batch(ctx, &batch.rows).await?;
    for (i, o) in refused {
        outcome(tx, ctx, report, batch.lines[i], "numero_contrato", o).await?;
    }
    batch.rows.clear();
    batch.lines.clear();
    Ok(())
}

async fn flush_installments(
    tx: &mut Tx,
    ctx: &ImportContext,
    report: &mut FileReport,
    batch: &mut Batch<atende_store::portfolio::Installment>,
) -> Result<(), Refusal> {
    if batch.rows.is_empty() {
        return Ok(());
    }
    let refused = tx.put_installments(ctx, &batch.rows).await?;
    for (i, o) in refused {
        outcome(tx, ctx, report, batch.lines[i], "numero_contrato", o).await?;
    }
    batch.rows.clear();
    batch.lines.clear();
    Ok(())
}

async fn flush_batimento(
    tx: &mut Tx,
    ctx: &ImportContext,
    report: &mut FileReport,
    b: &mut atende_store::portfolio::Batimento,
    batch: &mut Batch<String>,
) -> Result<(), Refusal> {
    if batch.rows.is_empty() {
        return Ok(());
    }
    let contracts: Vec<&str> = batch.rows.iter().map(String::as_str).collect();
    let refused = tx.batimento_rows(ctx, b, &contracts).await?;
    for (i, o) in refused {
        outcome(tx, ctx, report, batch.lines[i], "numero_contrato", o).await?;
    }
    batch.rows.clear();
    batch.lines.clear();
    Ok(())
}
