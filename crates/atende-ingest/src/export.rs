//! Files for the dialer (ATOM spec UC003, R012: the Manager's mailing; UC007: its
//! write-off file): read the contracts from one snapshot of the portfolio, write them in
//! the export layout (`atende_collections::ExportLayout`) to the outbox folder, record
//! what was sent, and deliver the file to the configured destination (FTP, SFTP, a
//! folder: any [`FileSource`]) through [`FileSource::put`], which writes under a
//! temporary name and renames when complete, so the dialer never reads half a file.
//!
//! - **Mailing**: one line per active contract with its customer and phones in dialling
//!   order. Full after the day's remessa (the dialer replaces its list); incremental after
//!   enrichment: only the contracts whose line changed since it was last sent (see
//!   `atende_store::portfolio::exports`: fingerprints of the lines sent, so a score update
//!   or a portal phone counts as a change and an untouched contract does not).
//! - **Baixa**: contracts in the layout's write-off statuses (excluded, withdrawn, written
//!   off by the batimento, partial block) not yet sent in a baixa, after the exclusão,
//!   acordos baixados and batimento files.
//! - **Delivery**: the outbox keeps every file; with a destination, undelivered files go
//!   out oldest first, and a failed delivery stays `failed` (with its reason) and is tried
//!   again on the next tick, after which nothing newer is delivered before it.
//!
//! Exports run one at a time in this process (a full mailing read while another export
//! records its lines would mix fingerprints); two processes exporting the same workspace
//! at once is not guarded against.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use atende_collections::{
    AddressField, ContractField, CustomerField, Datum, ExportKind, ExportLayout, ExportLayouts,
    ExportMode, ExportRecord, Kind, Layouts, PhoneField, RenderContext, Source,
};
use atende_filesource::FileSource;
use atende_store::portfolio::exports::{
    ExportContract, ExportQuery, ExportRun, ExportStatus, NewExport,
};
use atende_store::portfolio::ORIGIN_ENRICHMENT;
use atende_store::{Store, StoreError};

use crate::{FileOutcome, FileReport, Progress};

/// Contracts read per page.
const PAGE: usize = 500;
/// Lines left out for a bad value whose reasons go into the run's message.
const REPORTED_SKIPS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ExportError {
    let what = what.into();
    move |source| ExportError::Io { what, source }
}

/// Where files go besides the outbox: a [`FileSource`] and a folder in it (`""` for its
/// own directory).
pub struct Destination {
    source: Arc<Mutex<Box<dyn FileSource + Send>>>,
    folder: String,
    describe: String,
}

impl Destination {
    pub fn new(source: Box<dyn FileSource + Send>, folder: &str) -> Destination {
        let folder = folder.trim_matches('/').to_string();
        let describe = if folder.is_empty() {
            source.describe()
        } else {
            format!("{} folder {folder}", source.describe())
        };
        Destination {
            source: Arc::new(Mutex::new(source)),
            folder,
            describe,
        }
    }
}

/// What the exports need: the outbox folder (every file is kept there), an optional
/// destination, and the layouts.
pub struct ExportSettings {
    pub outbox: PathBuf,
    pub destination: Option<Destination>,
    pub layouts: ExportLayouts,
}

impl ExportSettings {
    /// Where files go, for the runs' records (no secrets).
    pub fn describe(&self) -> String {
        let outbox = format!("outbox {}", self.outbox.display());
        match &self.destination {
            Some(d) => format!("{outbox}; {}", d.describe),
            None => outbox,
        }
    }
}

/// One export at a time in this process.
static GATE: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

/// A contract as the layouts see it.
struct Rec<'a>(&'a ExportContract);

fn text(s: &str) -> Datum<'_> {
    if s.trim().is_empty() {
        Datum::Empty
    } else {
        Datum::Text(Cow::Borrowed(s))
    }
}

impl ExportRecord for Rec<'_> {
    fn datum(&self, source: &Source) -> Datum<'_> {
        let c = self.0;
        match source {
            Source::Customer(f) => text(match f {
                CustomerField::Document => &c.document,
                CustomerField::Name => &c.name,
                CustomerField::CrmId => &c.crm_id,
                CustomerField::PersonType => &c.person_type,
            }),
            Source::Contract(f) => match f {
                ContractField::Contract => text(&c.contract),
                ContractField::Portfolio => text(&c.portfolio),
                ContractField::Product => text(&c.product),
                ContractField::DaysLate => c.days_late.map_or(Datum::Empty, Datum::Int),
                ContractField::InstallmentValue => {
                    c.installment_value_cents.map_or(Datum::Empty, Datum::Cents)
                }
                ContractField::Status => Datum::Text(Cow::Borrowed(c.status.as_str())),
                ContractField::StatusSince => Datum::Date(c.status_since),
                ContractField::StatusReason => text(&c.status_reason),
            },
            Source::Extra(name) => match c.extra.get(name.as_str()) {
                Some(serde_json::Value::String(s)) => text(s),
                Some(serde_json::Value::Number(n)) => match n.as_i64() {
                    Some(i) => Datum::Int(i),
                    None => Datum::Text(Cow::Owned(n.to_string())),
                },
                Some(serde_json::Value::Bool(b)) => {
                    Datum::Text(Cow::Borrowed(if *b { "S" } else { "N" }))
                }
                _ => Datum::Empty,
            },
            Source::Phone(n, part) => {
                let Some(p) = c.phones.get(n - 1) else {
                    return Datum::Empty;
                };
                match part {
                    PhoneField::Ddd => text(&p.ddd),
                    PhoneField::Number => text(&p.number),
                    PhoneField::Full => Datum::Text(Cow::Owned(format!("{}{}", p.ddd, p.number))),
                    PhoneField::Kind => text(&p.kind),
                    // R025: phones of the telefones file are typed "enriquecimento"
                    PhoneField::Type if p.origin.starts_with(ORIGIN_ENRICHMENT) => {
                        Datum::Text(Cow::Borrowed("ENRIQUECIMENTO"))
                    }
                    PhoneField::Type => text(&p.kind),
                    PhoneField::Origin => text(&p.origin),
                    PhoneField::Score => p.score.map_or(Datum::Empty, Datum::Int),
                }
            }
            Source::PhoneCount => Datum::Int(c.phones.len() as i64),
            Source::Address(n, part) => {
                let Some(a) = c.addresses.get(n - 1) else {
                    return Datum::Empty;
                };
                text(match part {
                    AddressField::Kind => &a.kind,
                    AddressField::Street => &a.street,
                    AddressField::Number => &a.number,
                    AddressField::Complement => &a.complement,
                    AddressField::District => &a.district,
                    AddressField::City => &a.city,
                    AddressField::State => &a.state,
                    AddressField::Zip => &a.zip,
                })
            }
            Source::Email(n) => c.emails.get(n - 1).map_or(Datum::Empty, |e| text(e)),
            // the writer's own
            Source::Run(_) | Source::Constant(_) => Datum::Empty,
        }
    }
}

/// The civil time files are named and dated in (the creditor's and the dialer's).
fn local(now: jiff::Timestamp) -> jiff::civil::DateTime {
    let tz = jiff::tz::TimeZone::get("America/Sao_Paulo").unwrap_or(jiff::tz::TimeZone::UTC);
    now.to_zoned(tz).datetime()
}

/// Writes one export file and delivers it (and any earlier undelivered one) when a
/// destination is configured. `trigger_run_id` is the import run that called for it.
/// Returns the export's record as it ended: `written`/`delivered`/`failed`, or `empty`
/// when an incremental file or a baixa had nothing to list (no file then).
pub async fn export(
    store: &Store,
    settings: &ExportSettings,
    workspace: &str,
    kind: ExportKind,
    mode: ExportMode,
    trigger_run_id: Option<i64>,
    progress: &mut dyn Progress,
) -> Result<ExportRun, ExportError> {
    let _gate = GATE.lock().await;
    let layout = settings.layouts.get(kind);
    let now = atende_store::wall_now();
    let mut tx = store.begin().await?;
    let run = tx
        .begin_export(
            workspace,
            &NewExport {
                kind: kind.as_str(),
                mode: mode.as_str(),
                layout: layout.name(),
                trigger_run_id,
                destination: &settings.describe(),
            },
            now,
        )
        .await?;
    tx.commit().await?;
    match write(
        store, settings, layout, workspace, &run, mode, now, progress,
    )
    .await
    {
        Ok(()) => {}
        Err(e) => {
            let mut tx = store.begin().await?;
            tx.finish_export(
                workspace,
                run.id,
                ExportStatus::Error,
                0,
                "",
                &e.to_string(),
            )
            .await?;
            tx.commit().await?;
            tracing::warn!(export = run.id, kind = %kind, error = %e, "export failed");
            return Err(e);
        }
    }
    deliver_locked(store, settings, workspace).await?;
    store
        .export_run(workspace, run.id)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("export {} vanished", run.id)).into())
}

#[allow(clippy::too_many_arguments)]
async fn write(
    store: &Store,
    settings: &ExportSettings,
    layout: &ExportLayout,
    workspace: &str,
    run: &ExportRun,
    mode: ExportMode,
    now: jiff::Timestamp,
    progress: &mut dyn Progress,
) -> Result<(), ExportError> {
    let kind = layout.kind();
    let outbox = &settings.outbox;
    std::fs::create_dir_all(outbox).map_err(io(format!("creating {}", outbox.display())))?;
    // a name no earlier export (nor a file in the outbox) has
    let mut at = local(now);
    let name = loop {
        let name = layout.file_name(at, mode);
        if !store.export_file_taken(workspace, &name).await? && !outbox.join(&name).exists() {
            break name;
        }
        at = at
            .checked_add(jiff::SignedDuration::from_secs(1))
            .map_err(|e| StoreError::Invalid(format!("file time: {e}")))?;
    };
    let ctx = RenderContext { at, mode };
    let tmp = outbox.join(format!(".{name}.part"));
    let result = write_lines(store, layout, workspace, mode, &ctx, &tmp, progress).await;
    let (rows, sent, skipped) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let empty = rows == 0 && !(kind == ExportKind::Mailing && mode == ExportMode::Full);
    let mut message = match (kind, mode) {
        (ExportKind::Mailing, ExportMode::Full) => format!("{rows} active contracts"),
        (ExportKind::Mailing, ExportMode::Incremental) if empty => {
            "no contract changed since the last mailing".to_string()
        }
        (ExportKind::Mailing, ExportMode::Incremental) => {
            format!("{rows} contracts changed since the last mailing")
        }
        (ExportKind::Baixa, _) if empty => "no contract to write off".to_string(),
        (ExportKind::Baixa, _) => format!("{rows} contracts written off"),
    };
    if !skipped.is_empty() {
        message.push_str(&format!(
            "; {} left out for a bad value: {}",
            skipped.len(),
            skipped
                .iter()
                .take(REPORTED_SKIPS)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let file_name = if empty {
        std::fs::remove_file(&tmp).map_err(io(format!("removing {}", tmp.display())))?;
        String::new()
    } else {
        let path = outbox.join(&name);
        std::fs::rename(&tmp, &path).map_err(io(format!("renaming to {}", path.display())))?;
        name
    };
    let mut tx = store.begin().await?;
    let contracts: Vec<String> = sent.iter().map(|(c, _)| c.clone()).collect();
    tx.record_sent(
        workspace,
        kind.as_str(),
        run.id,
        &sent,
        mode == ExportMode::Full,
    )
    .await?;
    match kind {
        ExportKind::Baixa => {
            // the dialer drops these: if one comes back it is new to the mailing
            tx.forget_sent(workspace, ExportKind::Mailing.as_str(), &contracts)
                .await?
        }
        ExportKind::Mailing if mode == ExportMode::Full => {
            tx.supersede_exports(workspace, kind.as_str(), run.id)
                .await?;
        }
        ExportKind::Mailing => {}
    }
    let status = if empty {
        ExportStatus::Empty
    } else {
        ExportStatus::Written
    };
    tx.finish_export(workspace, run.id, status, rows, &file_name, &message)
        .await?;
    tx.commit().await?;
    tracing::info!(export = run.id, kind = %kind, mode = %mode, rows, file = %file_name, "export written");
    Ok(())
}

/// Writes the file under its temporary name; returns the lines written, the
/// `(contract, fingerprint)` of each, and the lines left out with why.
async fn write_lines(
    store: &Store,
    layout: &ExportLayout,
    workspace: &str,
    mode: ExportMode,
    ctx: &RenderContext,
    tmp: &Path,
    progress: &mut dyn Progress,
) -> Result<(i64, Vec<(String, i64)>, Vec<String>), ExportError> {
    let kind = layout.kind();
    let needs = layout.needs();
    let query = ExportQuery {
        kind: kind.as_str().into(),
        statuses: layout.statuses().to_vec(),
        phones: needs.phones > 0 || needs.phone_count,
        addresses: needs.addresses > 0,
        emails: needs.emails > 0,
        extra: layout
            .fields()
            .iter()
            .filter_map(|f| match f.source() {
                Source::Extra(name) => Some(name.clone()),
                _ => None,
            })
            .collect(),
        status_reason: needs.status_reason,
    };
    let file = std::fs::File::create(tmp).map_err(io(format!("creating {}", tmp.display())))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    let werr = || io(format!("writing {}", tmp.display()));
    if let Some(header) = layout.header() {
        out.write_all(&header).map_err(werr())?;
    }
    let mut reader = store.export_reader(workspace, query).await?;
    let (mut rows, mut read) = (0i64, 0u64);
    let mut sent = Vec::new();
    let mut skipped = Vec::new();
    let mut line = Vec::with_capacity(1024);
    loop {
        let page = reader.next_page(PAGE).await?;
        if page.is_empty() {
            break;
        }
        for c in &page {
            read += 1;
            let rec = Rec(c);
            // a baixa is sent again when the contract is written off again
            let salt = if kind == ExportKind::Baixa {
                c.version
            } else {
                0
            };
            let fingerprint = layout.fingerprint(&rec, salt);
            if mode == ExportMode::Incremental && c.sent == Some(fingerprint) {
                continue;
            }
            line.clear();
            match layout.render_into(&rec, ctx, &mut line) {
                Ok(()) => {
                    out.write_all(&line).map_err(werr())?;
                    rows += 1;
                    sent.push((c.contract.clone(), fingerprint));
                }
                Err(e) => skipped.push(format!("contract {}: {e}", c.contract)),
            }
        }
        progress.rows(read, 0);
    }
    drop(reader);
    let file = out.into_inner().map_err(|e| ExportError::Io {
        what: format!("writing {}", tmp.display()),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(werr())?;
    Ok((rows, sent, skipped))
}

/// Delivers the files written and not yet delivered, oldest first, stopping at the first
/// failure (the next call tries it again). Without a destination the outbox is where
/// files go, so they are delivered as written. Returns the exports attempted.
pub async fn deliver_pending(
    store: &Store,
    settings: &ExportSettings,
    workspace: &str,
) -> Result<Vec<ExportRun>, ExportError> {
    let _gate = GATE.lock().await;
    deliver_locked(store, settings, workspace).await
}

async fn deliver_locked(
    store: &Store,
    settings: &ExportSettings,
    workspace: &str,
) -> Result<Vec<ExportRun>, ExportError> {
    let mut attempted = Vec::new();
    for run in store.undelivered_exports(workspace).await? {
        let path = settings.outbox.join(&run.file_name);
        let outcome = match &settings.destination {
            None => Ok(()),
            Some(d) => match std::fs::read(&path) {
                Ok(bytes) => {
                    let (source, folder, name) =
                        (d.source.clone(), d.folder.clone(), run.file_name.clone());
                    tokio::task::spawn_blocking(move || {
                        let mut s = source.lock().unwrap_or_else(|p| p.into_inner());
                        s.put(&folder, &name, &bytes).map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("delivery thread: {e}")))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // gone from the outbox: it can never go out, and must not hold the
                    // later ones back
                    let mut tx = store.begin().await?;
                    let why = format!("{} is missing from the outbox", run.file_name);
                    tx.finish_export(
                        workspace,
                        run.id,
                        ExportStatus::Error,
                        run.rows,
                        &run.file_name,
                        &why,
                    )
                    .await?;
                    tx.commit().await?;
                    tracing::warn!(export = run.id, "{why}");
                    continue;
                }
                Err(e) => Err(format!("reading {}: {e}", path.display())),
            },
        };
        let mut tx = store.begin().await?;
        tx.record_delivery(
            workspace,
            run.id,
            outcome.as_ref().map(|_| ()).map_err(String::as_str),
            atende_store::wall_now(),
        )
        .await?;
        tx.commit().await?;
        let failed = outcome.is_err();
        match &outcome {
            Ok(()) => tracing::info!(export = run.id, file = %run.file_name, "export delivered"),
            Err(why) => {
                tracing::warn!(export = run.id, file = %run.file_name, error = %why, "export delivery failed; retried on the next tick")
            }
        }
        if let Some(r) = store.export_run(workspace, run.id).await? {
            attempted.push(r);
        }
        if failed {
            break;
        }
    }
    Ok(attempted)
}

/// The exports a poll's imported files call for: a full mailing after a remessa (it
/// covers the enrichment imported with it), else an incremental one after enrichment
/// (parcelas, garantias, telefones, REFIN); a baixa after exclusão, acordos baixados or
/// batimento. Then the retry of earlier undelivered files. Failures are logged and
/// returned as text; nothing here fails the poll.
pub async fn after_poll(
    store: &Store,
    layouts: &Layouts,
    settings: &ExportSettings,
    workspace: &str,
    files: &[FileReport],
) -> (Vec<ExportRun>, Vec<String>) {
    let (mut remessa, mut enrichment, mut baixa) = (None, None, None);
    for f in files {
        if f.outcome != FileOutcome::Imported {
            continue;
        }
        let Some(kind) = layouts.get(&f.layout).map(|l| l.kind()) else {
            continue;
        };
        let slot = match kind {
            Kind::Remessa => &mut remessa,
            Kind::Parcelas | Kind::Garantias | Kind::Telefones | Kind::Refin => &mut enrichment,
            Kind::Exclusao | Kind::AcordosBaixados | Kind::Batimento => &mut baixa,
            _ => continue,
        };
        *slot = f.run_id.or(*slot);
    }
    let mut plan = Vec::new();
    match (remessa, enrichment) {
        (Some(run), _) => plan.push((ExportKind::Mailing, ExportMode::Full, run)),
        (None, Some(run)) => plan.push((ExportKind::Mailing, ExportMode::Incremental, run)),
        (None, None) => {}
    }
    if let Some(run) = baixa {
        plan.push((ExportKind::Baixa, ExportMode::Incremental, run));
    }
    let (mut done, mut errors) = (Vec::new(), Vec::new());
    for (kind, mode, run) in plan {
        match export(store, settings, workspace, kind, mode, Some(run), &mut ()).await {
            Ok(r) => done.push(r),
            Err(e) => {
                tracing::warn!(kind = %kind, mode = %mode, error = %e, "export after pick-up");
                errors.push(format!("{kind} {mode}: {e}"));
            }
        }
    }
    // earlier failed deliveries, even when nothing new came in
    match deliver_pending(store, settings, workspace).await {
        Ok(retried) => {
            for r in retried {
                match done.iter_mut().find(|d| d.id == r.id) {
                    Some(d) => *d = r,
                    None => done.push(r),
                }
            }
        }
        Err(e) => errors.push(format!("delivery: {e}")),
    }
    (done, errors)
}
