//! The collections hub's pick-up worker: polls every enabled source of every workspace
//! (`collection_sources`, see [`atende_store::sources`]) on its interval.
//!
//! Each instance looks for due sources every [`crate::Config::collections_tick`] and
//! claims them with a lease, so with several instances on one PostgreSQL database a
//! source is polled by one of them at a time; the lease is renewed while a long import
//! runs and runs out if the instance dies. Secrets are read from their reference
//! (`env:NAME`, `file:PATH`) at each poll, so rotating one needs no restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use atende_filesource::{
    parse_location, FileSource, FtpConfig, FtpSource, HostKeyCheck, InboxFolder, Scheme, SftpAuth,
    SftpConfig, SftpSource,
};
use atende_ingest::pickup::{PollReport, SharedSource};
use atende_ingest::FileOutcome;
use atende_store::sources::{CollectionSource, SourceKind, SourceSpec};

use crate::App;

/// How long a claim lasts without renewal; renewed every third of it while polling.
pub const LEASE: Duration = Duration::from_secs(300);

/// Network timeout of FTP and SFTP requests.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads a secret from its reference: `env:NAME` or `file:PATH` (trailing newline
/// dropped); `None` for an empty reference.
pub fn resolve_secret(reference: &str) -> Result<Option<String>, String> {
    if reference.is_empty() {
        return Ok(None);
    }
    if let Some(name) = reference.strip_prefix("env:") {
        return std::env::var(name)
            .map(Some)
            .map_err(|_| format!("secret {reference}: the environment variable is not set"));
    }
    if let Some(path) = reference.strip_prefix("file:") {
        return std::fs::read_to_string(path)
            .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_string()))
            .map_err(|e| format!("secret {reference}: {e}"));
    }
    Err(format!(
        "secret {reference:?} is not a reference (env:NAME or file:PATH)"
    ))
}

/// Checks what can be checked without the secrets and the network: the store's rules
/// and the URL's shape. Errors name the field.
pub fn check_spec(spec: &SourceSpec) -> Result<(), String> {
    spec.validate().map_err(|e| e.to_string())?;
    if spec.kind != SourceKind::Inbox {
        let location =
            parse_location(spec.location.trim()).map_err(|e| format!("field 'location': {e}"))?;
        let expected = match spec.kind {
            SourceKind::Ftp => Scheme::Ftp,
            _ => Scheme::Sftp,
        };
        if location.scheme != expected {
            return Err(format!(
                "field 'location': a {} source needs a {}:// URL",
                spec.kind.as_str(),
                spec.kind.as_str()
            ));
        }
    }
    Ok(())
}

/// Opens the source a spec describes (connections are made on first use).
pub fn build_source(spec: &SourceSpec) -> Result<Box<dyn FileSource + Send>, String> {
    check_spec(spec)?;
    let secret = resolve_secret(&spec.secret)?;
    Ok(match spec.kind {
        SourceKind::Inbox => Box::new(
            InboxFolder::new(PathBuf::from(spec.location.trim())).map_err(|e| e.to_string())?,
        ),
        SourceKind::Ftp => {
            let l = parse_location(spec.location.trim()).map_err(|e| e.to_string())?;
            Box::new(FtpSource::new(FtpConfig {
                address: l.address(),
                user: l.user,
                password: secret.unwrap_or_default(),
                directory: l.directory,
                timeout: NETWORK_TIMEOUT,
            }))
        }
        SourceKind::Sftp => {
            let l = parse_location(spec.location.trim()).map_err(|e| e.to_string())?;
            let auth = if spec.key_file.is_empty() {
                SftpAuth::Password(secret.ok_or("an SFTP source needs a password or key_file")?)
            } else {
                SftpAuth::KeyFile {
                    path: PathBuf::from(&spec.key_file),
                    passphrase: secret,
                }
            };
            Box::new(SftpSource::new(SftpConfig {
                host: l.host,
                port: l.port,
                user: l.user,
                auth,
                host_key: HostKeyCheck::parse(spec.host_key.trim()),
                directory: l.directory,
                timeout: NETWORK_TIMEOUT,
            }))
        }
    })
}

fn layouts_for(app: &App, spec: &SourceSpec) -> Result<atende_collections::Layouts, String> {
    let dir = match (spec.layouts.as_str(), &app.config.layouts) {
        ("", None) => return Ok(atende_collections::Layouts::defaults()),
        ("", Some(dir)) => dir.clone(),
        (dir, _) => PathBuf::from(dir),
    };
    atende_collections::Layouts::load_dir(&dir)
        .map_err(|e| format!("layouts in {}: {e}", dir.display()))
}

/// One line for the source's status: what a poll did.
pub fn summary(report: &PollReport) -> String {
    let count = |o: FileOutcome| report.files.iter().filter(|f| f.outcome == o).count();
    format!(
        "{} imported, {} rejected, {} already imported, {} waiting, {} ignored",
        count(FileOutcome::Imported),
        count(FileOutcome::Rejected),
        count(FileOutcome::AlreadyImported),
        report.deferred.len(),
        report.ignored.len()
    )
}

/// The lease owner name of this instance's pick-up.
fn owner(app: &App) -> String {
    format!("{}/pickup", app.instance)
}

/// Polls one claimed source, renewing its lease meanwhile, and records the outcome.
pub async fn poll_source(app: &Arc<App>, source: &CollectionSource) -> Result<PollReport, String> {
    let owner = owner(app);
    let renewal = {
        let (app, owner) = (app.clone(), owner.clone());
        let (ws, name) = (source.workspace.clone(), source.name.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LEASE / 3).await;
                match app
                    .store
                    .renew_source_lease(&ws, &name, &owner, atende_store::wall_now(), LEASE)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(workspace = %ws, source = %name, "collections source lease lost");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, source = %name, "renewing a collections source lease")
                    }
                }
            }
        })
    };
    let result = run_poll(app, source).await;
    renewal.abort();
    let (ok, message) = match &result {
        Ok(report) => (true, summary(report)),
        Err(e) => (false, e.clone()),
    };
    match app
        .store
        .finish_source_poll(
            &source.workspace,
            &source.name,
            &owner,
            atende_store::wall_now(),
            ok,
            &message,
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(source = %source.name, "collections source removed or taken over during its poll")
        }
        Err(e) => tracing::warn!(error = %e, source = %source.name, "recording a collections poll"),
    }
    result
}

async fn run_poll(app: &Arc<App>, source: &CollectionSource) -> Result<PollReport, String> {
    let layouts = layouts_for(app, &source.spec)?;
    let spec = source.spec.clone();
    // building an inbox touches the disk
    let built = tokio::task::spawn_blocking(move || build_source(&spec))
        .await
        .map_err(|e| format!("source thread: {e}"))??;
    let described = built.describe();
    let shared: SharedSource = Arc::new(std::sync::Mutex::new(built));
    let report =
        atende_ingest::pickup::poll(&app.store, &layouts, &source.workspace, &shared, &mut ())
            .await
            .map_err(|e| e.to_string())?;
    for (name, why) in &report.deferred {
        tracing::debug!(file = %name, why = %why, "collections file waits");
    }
    if !report.files.is_empty() {
        tracing::info!(workspace = %source.workspace, source = %source.name, from = %described, "{}", summary(&report));
    }
    Ok(report)
}

/// Claims the sources due now and polls them all, concurrently; returns each one's
/// outcome (the worker does this every tick; tests call it to poll deterministically).
pub async fn poll_due(app: &Arc<App>) -> Vec<(CollectionSource, Result<PollReport, String>)> {
    let claimed = match claim(app).await {
        Some(c) => c,
        None => return Vec::new(),
    };
    let mut tasks = tokio::task::JoinSet::new();
    for source in claimed {
        let app = app.clone();
        tasks.spawn(async move {
            let result = poll_source(&app, &source).await;
            (source, result)
        });
    }
    let mut out = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(r) => out.push(r),
            Err(e) => tracing::error!(error = %e, "collections poll task"),
        }
    }
    out
}

async fn claim(app: &Arc<App>) -> Option<Vec<CollectionSource>> {
    match app
        .store
        .claim_due_sources(&owner(app), atende_store::wall_now(), LEASE, 16)
        .await
    {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "claiming collections sources");
            None
        }
    }
}

/// Writes the source the `serve` flags define (if any), then polls due sources for
/// ever; each poll runs on its own task, so a long import does not hold the others up.
pub async fn run(app: Arc<App>) {
    if let Some(pickup) = app.config.collections.clone() {
        let result = async {
            app.store
                .ensure_workspace(&pickup.workspace, &pickup.workspace)
                .await?;
            app.store
                .put_source(&pickup.workspace, &pickup.name, &pickup.spec)
                .await
        }
        .await;
        match result {
            Ok(_) => tracing::info!(
                workspace = %pickup.workspace,
                source = %pickup.name,
                location = %pickup.spec.location,
                every = pickup.spec.every_secs,
                "collections pick-up source from the command line"
            ),
            Err(e) => {
                tracing::error!(error = %e, "collections pick-up source from the command line")
            }
        }
    }
    loop {
        if let Some(claimed) = claim(&app).await {
            for source in claimed {
                let app = app.clone();
                tokio::spawn(async move {
                    if let Err(e) = poll_source(&app, &source).await {
                        tracing::warn!(workspace = %source.workspace, source = %source.name, error = %e, "collections pick-up");
                    }
                });
            }
        }
        tokio::time::sleep(app.config.collections_tick).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: SourceKind, location: &str) -> SourceSpec {
        SourceSpec {
            kind,
            location: location.into(),
            secret: String::new(),
            key_file: String::new(),
            host_key: String::new(),
            every_secs: 60,
            enabled: true,
            layouts: String::new(),
        }
    }

    #[test]
    fn secrets_come_from_their_reference() {
        assert_eq!(resolve_secret("").unwrap(), None);
        let var = format!("ATENDE_TEST_SECRET_{}", std::process::id());
        assert!(resolve_secret(&format!("env:{var}"))
            .unwrap_err()
            .contains("not set"));
        let file = std::env::temp_dir().join(format!("atende-secret-{}", uuid::Uuid::new_v4()));
        std::fs::write(&file, "s3cret\n").unwrap();
        assert_eq!(
            resolve_secret(&format!("file:{}", file.display())).unwrap(),
            Some("s3cret".into())
        );
        let _ = std::fs::remove_file(file);
        assert!(resolve_secret("hunter2").is_err());
    }

    #[test]
    fn specs_are_checked_before_saving() {
        let mut s = spec(SourceKind::Sftp, "sftp://evo@h:99999/x");
        s.host_key = "SHA256:abc".into();
        s.secret = "env:X".into();
        assert!(check_spec(&s).unwrap_err().contains("port"));
        s.location = "sftp://evo@h/x".into();
        assert!(check_spec(&s).is_ok());
        // a missing password is found when polling, with its reference named
        let var = format!("ATENDE_TEST_MISSING_{}", std::process::id());
        s.secret = format!("env:{var}");
        let e = build_source(&s).err().unwrap();
        assert!(e.contains(&var), "{e}");
        let ftp = spec(SourceKind::Ftp, "ftp://evo@h/out");
        assert_eq!(build_source(&ftp).unwrap().describe(), "ftp://evo@h:21/out");
    }
}
