//! `atende collections …`: the collections hub's files from the command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use atende_collections::Layouts;
use atende_filesource::{FileSource, FtpConfig, FtpSource, InboxFolder};
use atende_ingest::{FileOutcome, FileReport, Progress};
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct Common {
    /// Database: `sqlite://PATH` or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/atende.db",
        global = true
    )]
    pub db: String,
    /// The workspace whose portfolio this is (created when missing).
    #[arg(long, default_value = "demo", global = true)]
    pub workspace: String,
    /// A folder of layout files replacing or adding to the built-in ones.
    #[arg(long, env = "ATENDE_LAYOUTS", global = true)]
    pub layouts: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum CollectionsCommand {
    /// Import files (their names pick the layout), in the day's order, each in one transaction.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the layouts: name, kind, file-name patterns, whether plausible.
    Layouts,
    /// Write a synthetic but valid file of a layout (valid CPFs; for tests and demos).
    Sample {
        #[arg(long)]
        layout: String,
        #[arg(long, default_value_t = 1000)]
        rows: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The file's date (AAAA-MM-DD); today when absent.
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value = "528")]
        portfolio: String,
    },
    /// The import history with counts of imported and refused rows.
    Runs {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Also print a run's error lines.
        #[arg(long)]
        errors: Option<i64>,
    },
    /// Pick files up from an inbox folder or an FTP server once (or every --every seconds).
    Poll {
        /// A local inbox folder.
        #[arg(long, conflicts_with = "ftp")]
        inbox: Option<PathBuf>,
        /// `ftp://user@host[:port]/dir`; the password comes from ATENDE_FTP_PASSWORD.
        #[arg(long)]
        ftp: Option<String>,
        /// Keep polling, every this many seconds.
        #[arg(long)]
        every: Option<u64>,
    },
    /// Link unmatched omnichannel events again (UC008 FA006), e.g. after the day's remessa.
    OmniReplay {
        #[arg(long, default_value_t = 10_000)]
        limit: i64,
    },
    /// Write a dialer file now: the mailing (UC003) or the write-off file (UC007), into
    /// the --out folder and, with --ftp, onto the dialer's server (renamed once complete).
    Export {
        #[arg(value_parser = ["mailing", "baixa"])]
        kind: String,
        /// Every contract of the layout's statuses (default for a mailing).
        #[arg(long, conflicts_with = "incremental")]
        full: bool,
        /// Only contracts whose line changed since last sent (default for a baixa).
        #[arg(long)]
        incremental: bool,
        /// The outbox folder: every file is kept there.
        #[arg(long)]
        out: PathBuf,
        /// The dialer's server, `ftp://user@host[:port]/dir`; the password comes from
        /// ATENDE_EXPORT_FTP_PASSWORD (or ATENDE_FTP_PASSWORD).
        #[arg(long)]
        ftp: Option<String>,
        /// A folder of export layouts replacing the built-in ones of their kind.
        #[arg(long, env = "ATENDE_EXPORT_LAYOUTS")]
        export_layouts: Option<PathBuf>,
    },
    /// The workspace's pick-up sources, which `atende serve` polls (inbox folders, FTP and
    /// SFTP servers).
    Sources {
        #[command(subcommand)]
        command: SourcesCommand,
    },
}

/// `atende collections sources …`.
#[derive(Subcommand)]
pub enum SourcesCommand {
    /// Add a source, or replace the one with that name (it is polled at once).
    Add {
        name: String,
        /// inbox, ftp or sftp.
        #[arg(long)]
        kind: String,
        /// A folder (inbox), `ftp://user@host[:port]/dir` or `sftp://user@host[:port]/dir`
        /// (`/~/dir` for a folder under the login directory). No password in it.
        #[arg(long)]
        location: String,
        /// Where the server finds the password (or the SFTP key's passphrase):
        /// `env:NAME` or `file:PATH`. The secret itself is never stored.
        #[arg(long, default_value = "")]
        secret: String,
        /// SFTP: a private key file on the server to log in with.
        #[arg(long, default_value = "")]
        key_file: String,
        /// SFTP: the server's key, `SHA256:…` (`ssh-keygen -lf key.pub`) or a known_hosts
        /// file on the server. Required: the host key is always checked.
        #[arg(long, default_value = "")]
        host_key: String,
        /// Seconds between polls.
        #[arg(long, default_value_t = 60)]
        every: i64,
        /// A folder of layout files for this source (default: the server's).
        #[arg(long, default_value = "")]
        layouts_folder: String,
        /// Store it disabled.
        #[arg(long)]
        disabled: bool,
        /// The server's --collections-root: server paths of the source must be inside
        /// its `<workspace>/` folder (relative ones start there), and its environment
        /// variables named ATENDE_SOURCE_<WORKSPACE>_….
        #[arg(
            long,
            env = "ATENDE_COLLECTIONS_ROOT",
            default_value = "data/collections"
        )]
        collections_root: PathBuf,
    },
    /// List the sources with their last poll.
    List,
    /// Remove a source.
    Remove { name: String },
    /// Poll a source again.
    Enable { name: String },
    /// Stop polling a source (kept for later).
    Disable { name: String },
}

pub fn run(common: Common, command: CollectionsCommand) -> anyhow::Result<ExitCode> {
    let layouts = match &common.layouts {
        Some(dir) => {
            Layouts::load_dir(dir).with_context(|| format!("layouts in {}", dir.display()))?
        }
        None => Layouts::defaults(),
    };
    if let CollectionsCommand::Layouts = command {
        for l in layouts.iter() {
            println!(
                "{:<18} {:<17} {}{}",
                l.name(),
                l.kind().as_str(),
                l.file_names().collect::<Vec<_>>().join(" | "),
                if l.plausible() {
                    "  (plausible layout)"
                } else {
                    ""
                }
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let CollectionsCommand::Sample {
        layout,
        rows,
        out,
        seed,
        date,
        portfolio,
    } = &command
    {
        let l = layouts
            .get(layout)
            .with_context(|| format!("no layout {layout:?} (see `atende collections layouts`)"))?;
        let date: jiff::civil::Date = match date {
            Some(d) => d
                .parse()
                .with_context(|| format!("--date {d:?}: expected AAAA-MM-DD"))?,
            None => {
                #[allow(clippy::disallowed_methods)] // the CLI is the shell: today is its to read
                let today = jiff::Zoned::now().date();
                today
            }
        };
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let name = l.file_name(date.at(6, 0, 0, 0), portfolio);
        let path = out.join(&name);
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let bytes = atende_collections::sample(l, *rows, *seed, date)
            .write_to(std::io::BufWriter::new(file))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("{} ({rows} rows, {bytes} bytes)", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let store = atende_store::Store::open(&common.db)
            .await
            .with_context(|| format!("opening {}", atende_server::redact_url(&common.db)))?;
        store
            .ensure_workspace(&common.workspace, &common.workspace)
            .await?;
        match command {
            CollectionsCommand::Import { files } => {
                import(&store, &layouts, &common.workspace, files).await
            }
            CollectionsCommand::Runs { limit, errors } => {
                runs(&store, &common.workspace, limit, errors).await
            }
            CollectionsCommand::OmniReplay { limit } => {
                let done = store.omni_replay(&common.workspace, limit).await?;
                println!(
                    "examined {}, matched {}, still unmatched {}",
                    done.examined, done.matched, done.unmatched
                );
                Ok(ExitCode::SUCCESS)
            }
            CollectionsCommand::Poll { inbox, ftp, every } => {
                let source: Box<dyn FileSource + Send> = match (inbox, ftp) {
                    (Some(dir), _) => Box::new(InboxFolder::new(dir)?),
                    (None, Some(url)) => Box::new(FtpSource::new(ftp_config(&url)?)),
                    (None, None) => bail!("give --inbox DIR or --ftp ftp://user@host/dir"),
                };
                let source: atende_ingest::pickup::SharedSource = Arc::new(Mutex::new(source));
                loop {
                    let report = atende_ingest::pickup::poll(
                        &store,
                        &layouts,
                        &common.workspace,
                        &source,
                        &mut Bar::new(),
                    )
                    .await?;
                    for f in &report.files {
                        print_report(f);
                    }
                    for (name, why) in &report.deferred {
                        println!("waiting  {name}: {why}");
                    }
                    for name in &report.ignored {
                        println!("ignored  {name}: {}", atende_ingest::UNKNOWN_NAME);
                    }
                    match every {
                        Some(s) => tokio::time::sleep(Duration::from_secs(s.max(1))).await,
                        None => break,
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            CollectionsCommand::Export {
                kind,
                full,
                incremental,
                out,
                ftp,
                export_layouts,
            } => {
                let kind: atende_collections::ExportKind =
                    kind.parse().map_err(|e: String| anyhow::anyhow!(e))?;
                let mode = match (full, incremental, kind) {
                    (true, _, _) => atende_collections::ExportMode::Full,
                    (_, true, _) => atende_collections::ExportMode::Incremental,
                    (_, _, atende_collections::ExportKind::Mailing) => {
                        atende_collections::ExportMode::Full
                    }
                    (_, _, atende_collections::ExportKind::Baixa) => {
                        atende_collections::ExportMode::Incremental
                    }
                };
                export(
                    &store,
                    &common.workspace,
                    kind,
                    mode,
                    out,
                    ftp,
                    export_layouts,
                )
                .await
            }
            CollectionsCommand::Sources { command } => {
                sources(&store, &common.workspace, command).await
            }
            CollectionsCommand::Layouts | CollectionsCommand::Sample { .. } => {
                unreachable!("handled above")
            }
        }
    })
}

pub fn ftp_config(url: &str) -> anyhow::Result<FtpConfig> {
    let rest = url
        .strip_prefix("ftp://")
        .context("--ftp must start with ftp://")?;
    let (auth, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, address) = auth.split_once('@').context("--ftp needs user@host")?;
    if user.contains(':') {
        bail!("put the FTP password in ATENDE_FTP_PASSWORD, not in the URL");
    }
    Ok(FtpConfig {
        address: address.into(),
        user: user.into(),
        password: std::env::var("ATENDE_FTP_PASSWORD").unwrap_or_default(),
        directory: format!("/{path}"),
        timeout: Duration::from_secs(30),
    })
}

/// The dialer's FTP server from `ftp://user@host[:port]/dir`; the password from
/// ATENDE_EXPORT_FTP_PASSWORD, else ATENDE_FTP_PASSWORD.
pub fn export_ftp_config(url: &str) -> anyhow::Result<FtpConfig> {
    let mut config = ftp_config(url)?;
    if let Ok(password) = std::env::var("ATENDE_EXPORT_FTP_PASSWORD") {
        config.password = password;
    }
    Ok(config)
}

async fn export(
    store: &atende_store::Store,
    workspace: &str,
    kind: atende_collections::ExportKind,
    mode: atende_collections::ExportMode,
    out: PathBuf,
    ftp: Option<String>,
    layouts: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    use atende_ingest::export::{Destination, ExportSettings};
    use atende_store::portfolio::exports::ExportStatus;
    let layouts = match &layouts {
        Some(dir) => atende_collections::ExportLayouts::load_dir(dir)
            .with_context(|| format!("export layouts in {}", dir.display()))?,
        None => atende_collections::ExportLayouts::defaults(),
    };
    let destination = match ftp {
        Some(url) => Some(Destination::new(
            Box::new(FtpSource::new(export_ftp_config(&url)?)),
            "",
        )),
        None => None,
    };
    let settings = ExportSettings {
        outbox: out,
        destination,
        layouts,
    };
    let mut bar = Bar::new();
    bar.0.set_message(format!("{kind} {mode}"));
    let run =
        atende_ingest::export::export(store, &settings, workspace, kind, mode, None, &mut bar)
            .await?;
    drop(bar);
    let status = run.status.as_str();
    match run.status {
        ExportStatus::Empty => println!("{kind} {mode}: nothing to send (export {})", run.id),
        _ => println!(
            "{kind} {mode}: {} lines -> {} (export {}, {status})",
            run.rows,
            settings.outbox.join(&run.file_name).display(),
            run.id
        ),
    }
    if !run.message.is_empty() {
        println!("    {}", run.message);
    }
    Ok(if run.status == ExportStatus::Failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A progress bar with rows/s (on a terminal; silent otherwise).
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} rows  {per_sec}  {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Bar(bar)
    }
}

impl Progress for Bar {
    fn rows(&mut self, rows: u64, _bytes: u64) {
        self.0.set_position(rows);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

fn print_report(f: &FileReport) {
    let what = match f.outcome {
        FileOutcome::Imported => "imported",
        FileOutcome::Rejected => "REJECTED",
        FileOutcome::AlreadyImported => "skipped ",
        FileOutcome::Unknown => "ignored ",
    };
    println!(
        "{what} {} [{}] run {}: {} rows read, {} imported, {} refused{}",
        f.file_name,
        f.layout,
        f.run_id.map_or("-".into(), |id| id.to_string()),
        f.rows_read,
        f.rows_imported,
        f.rows_rejected,
        if f.message.is_empty() {
            String::new()
        } else {
            format!(" — {}", f.message)
        }
    );
    for e in f.errors.iter().take(10) {
        // as in the file's .errors.csv, in Portuguese
        if e.field.is_empty() {
            println!("    linha {}: {}", e.line, e.reason);
        } else {
            println!("    linha {}, campo {}: {}", e.line, e.field, e.reason);
        }
    }
    if f.errors.len() > 10 {
        println!(
            "    … {} more (atende collections runs --errors {})",
            f.errors.len() - 10,
            f.run_id.unwrap_or_default()
        );
    }
}

async fn import(
    store: &atende_store::Store,
    layouts: &Layouts,
    workspace: &str,
    files: Vec<PathBuf>,
) -> anyhow::Result<ExitCode> {
    // the day's order, whatever order the paths were given in
    let mut planned = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        match layouts.identify(&name) {
            Some((l, info)) => planned.push((name, l.kind(), info.date, path)),
            None => bail!(
                "{}: {} (see `atende collections layouts`)",
                path.display(),
                atende_ingest::UNKNOWN_NAME
            ),
        }
    }
    atende_ingest::plan::order(&mut planned);
    let mut failed = false;
    for (name, _, _, path) in planned {
        let content =
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut bar = Bar::new();
        bar.0.set_message(name.clone());
        let report =
            atende_ingest::import_file(store, layouts, workspace, &name, &content, &mut bar)
                .await?;
        drop(bar);
        failed |= report.outcome == FileOutcome::Rejected;
        print_report(&report);
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn runs(
    store: &atende_store::Store,
    workspace: &str,
    limit: i64,
    errors: Option<i64>,
) -> anyhow::Result<ExitCode> {
    if let Some(id) = errors {
        for e in store.run_errors(workspace, id).await? {
            println!("{};{};{}", e.line, e.field, e.reason);
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>6}  {:<9} {:<17} {:<10} {:>9} {:>9} {:>8}  file",
        "run", "status", "layout", "date", "read", "imported", "refused"
    );
    for r in store.runs(workspace, 0, limit).await? {
        println!(
            "{:>6}  {:<9} {:<17} {:<10} {:>9} {:>9} {:>8}  {}",
            r.id,
            r.status.as_str(),
            r.layout,
            r.file_date,
            r.counts.read,
            r.counts.imported,
            r.counts.rejected,
            r.file_name
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn sources(
    store: &atende_store::Store,
    workspace: &str,
    command: SourcesCommand,
) -> anyhow::Result<ExitCode> {
    use atende_store::sources::{SourceKind, SourceSpec};
    match command {
        SourcesCommand::Add {
            name,
            kind,
            location,
            secret,
            key_file,
            host_key,
            every,
            layouts_folder,
            disabled,
            collections_root,
        } => {
            let kind = SourceKind::parse(&kind)
                .with_context(|| format!("--kind {kind:?}: inbox, ftp or sftp"))?;
            let spec = SourceSpec {
                kind,
                location,
                secret,
                key_file,
                host_key,
                every_secs: every,
                enabled: !disabled,
                layouts: layouts_folder,
            };
            let scope = atende_server::pickup::Scope::workspace(&collections_root, workspace);
            atende_server::pickup::check_spec(&spec, &scope).map_err(anyhow::Error::msg)?;
            let created = store.put_source(workspace, &name, &spec).await?;
            println!(
                "{} source {name} of workspace {workspace}: {} {}",
                if created { "added" } else { "replaced" },
                spec.kind.as_str(),
                spec.location
            );
        }
        SourcesCommand::List => {
            println!(
                "{:<16} {:<5} {:<3} {:>6}  {:<40} last poll",
                "name", "kind", "on", "every", "location"
            );
            for s in store.sources(workspace).await? {
                let last = match &s.last_poll_on {
                    None => "never".to_string(),
                    Some(at) => format!("{at} {}: {}", s.last_status, s.last_message),
                };
                println!(
                    "{:<16} {:<5} {:<3} {:>5}s  {:<40} {last}",
                    s.name,
                    s.spec.kind.as_str(),
                    if s.spec.enabled { "yes" } else { "no" },
                    s.spec.every_secs,
                    s.spec.location
                );
            }
        }
        SourcesCommand::Remove { name } => {
            if !store.remove_source(workspace, &name).await? {
                bail!("workspace {workspace} has no source {name:?}");
            }
            println!("removed source {name}");
        }
        SourcesCommand::Enable { name } => {
            if !store.set_source_enabled(workspace, &name, true).await? {
                bail!("workspace {workspace} has no source {name:?}");
            }
            println!("source {name} enabled");
        }
        SourcesCommand::Disable { name } => {
            if !store.set_source_enabled(workspace, &name, false).await? {
                bail!("workspace {workspace} has no source {name:?}");
            }
            println!("source {name} disabled");
        }
    }
    Ok(ExitCode::SUCCESS)
}
