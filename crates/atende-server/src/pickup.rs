//! The collections hub's pick-up worker: polls every enabled source of every workspace
//! (`collection_sources`, see [`atende_store::sources`]) on its interval.
//!
//! Each instance looks for due sources every [`crate::Config::collections_tick`] and
//! claims them with a lease, so with several instances on one PostgreSQL database a
//! source is polled by one of them at a time; the lease is renewed while a long import
//! runs and runs out if the instance dies. Secrets are read from their reference
//! (`env:NAME`, `file:PATH`) at each poll, so rotating one needs no restart.

use std::path::{Path, PathBuf};
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

/// What a source may refer to on this server. Sources are edited with a workspace's API
/// token and their references are resolved here, so a workspace reaches only its own:
/// environment variables named `ATENDE_SOURCE_<WORKSPACE>_…` and files (secret files,
/// key files, known_hosts, inbox and layouts folders) under
/// `<collections_root>/<workspace>/`, where relative paths start. The source the `serve`
/// flags define is the operator's and may refer to anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// `None`: the operator's (anything goes).
    folder: Option<PathBuf>,
    env_prefix: String,
}

/// A workspace id as a folder name or a part of a variable name.
fn tidy(workspace: &str) -> String {
    let t: String = workspace
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if t.is_empty() {
        "_".into()
    } else {
        t
    }
}

impl Scope {
    pub fn operator() -> Scope {
        Scope {
            folder: None,
            env_prefix: String::new(),
        }
    }

    pub fn workspace(root: &Path, workspace: &str) -> Scope {
        Scope {
            folder: Some(root.join(tidy(workspace))),
            env_prefix: Scope::env_prefix(workspace),
        }
    }

    /// `ATENDE_SOURCE_<WORKSPACE>_` (the id upper-cased, other characters as `_`).
    pub fn env_prefix(workspace: &str) -> String {
        format!(
            "ATENDE_SOURCE_{}_",
            tidy(workspace).replace('-', "_").to_ascii_uppercase()
        )
    }

    /// The workspace's folder, if the scope has one.
    pub fn folder(&self) -> Option<&Path> {
        self.folder.as_deref()
    }

    /// `text` as a path this scope may use (relative ones start in the workspace folder).
    pub fn path(&self, field: &str, text: &str) -> Result<PathBuf, String> {
        let path = Path::new(text);
        let Some(folder) = &self.folder else {
            return Ok(path.to_path_buf());
        };
        let outside = || {
            format!(
                "field '{field}': {text} is outside this workspace's folder {} on the server",
                folder.display()
            )
        };
        if path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(outside());
        }
        let full = folder.join(path);
        let (full_abs, folder_abs) = (
            std::path::absolute(&full).map_err(|_| outside())?,
            std::path::absolute(folder).map_err(|_| outside())?,
        );
        if !full_abs.starts_with(&folder_abs) {
            return Err(outside());
        }
        Ok(full)
    }

    fn env(&self, name: &str) -> Result<(), String> {
        if self.folder.is_some() && !name.starts_with(&self.env_prefix) {
            return Err(format!(
                "field 'secret': env:{name} is not this workspace's; its variables are named {}…",
                self.env_prefix
            ));
        }
        Ok(())
    }

    /// Checks a secret reference against the scope.
    fn check_secret(&self, reference: &str) -> Result<(), String> {
        if let Some(name) = reference.strip_prefix("env:") {
            self.env(name)?;
        } else if let Some(path) = reference.strip_prefix("file:") {
            self.path("secret", path)?;
        }
        Ok(())
    }

    /// Reads a secret from its reference: `env:NAME` or `file:PATH` (trailing newline
    /// dropped); `None` for an empty reference.
    pub fn resolve_secret(&self, reference: &str) -> Result<Option<String>, String> {
        if reference.is_empty() {
            return Ok(None);
        }
        if let Some(name) = reference.strip_prefix("env:") {
            self.env(name)?;
            return std::env::var(name)
                .map(Some)
                .map_err(|_| format!("secret {reference}: the environment variable is not set"));
        }
        if let Some(path) = reference.strip_prefix("file:") {
            let path = self.path("secret", path)?;
            return std::fs::read_to_string(&path)
                .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| format!("secret {reference}: {e}"));
        }
        Err(format!(
            "secret {reference:?} is not a reference (env:NAME or file:PATH)"
        ))
    }
}

/// Checks what can be checked without the secrets and the network: the store's rules,
/// the URL's shape and what the scope allows. Errors name the field.
pub fn check_spec(spec: &SourceSpec, scope: &Scope) -> Result<(), String> {
    spec.validate().map_err(|e| e.to_string())?;
    if spec.kind == SourceKind::Inbox {
        scope.path("location", spec.location.trim())?;
    } else {
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
    scope.check_secret(&spec.secret)?;
    if !spec.key_file.is_empty() {
        scope.path("key_file", &spec.key_file)?;
    }
    if !spec.host_key.is_empty() && !spec.host_key.starts_with("SHA256:") {
        scope.path("host_key", spec.host_key.trim())?;
    }
    if !spec.layouts.is_empty() {
        scope.path("layouts", &spec.layouts)?;
    }
    Ok(())
}

/// Opens the source a spec describes (connections are made on first use).
pub fn build_source(
    spec: &SourceSpec,
    scope: &Scope,
) -> Result<Box<dyn FileSource + Send>, String> {
    check_spec(spec, scope)?;
    let secret = scope.resolve_secret(&spec.secret)?;
    Ok(match spec.kind {
        SourceKind::Inbox => Box::new(
            InboxFolder::new(scope.path("location", spec.location.trim())?)
                .map_err(|e| e.to_string())?,
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
                    path: scope.path("key_file", &spec.key_file)?,
                    passphrase: secret,
                }
            };
            let host_key = match spec.host_key.trim() {
                fp if fp.starts_with("SHA256:") => HostKeyCheck::Fingerprint(fp.to_string()),
                file => HostKeyCheck::KnownHosts(scope.path("host_key", file)?),
            };
            Box::new(SftpSource::new(SftpConfig {
                host: l.host,
                port: l.port,
                user: l.user,
                auth,
                host_key,
                directory: l.directory,
                timeout: NETWORK_TIMEOUT,
            }))
        }
    })
}

/// The scope a stored source is resolved in: the operator's for the source the `serve`
/// flags wrote (as long as it is unchanged), else its workspace's.
pub fn scope_of(app: &App, source: &CollectionSource) -> Scope {
    match &app.config.collections {
        Some(p)
            if p.workspace == source.workspace
                && p.name == source.name
                && p.spec == source.spec =>
        {
            Scope::operator()
        }
        _ => Scope::workspace(&app.config.collections_root, &source.workspace),
    }
}

fn layouts_for(
    app: &App,
    spec: &SourceSpec,
    scope: &Scope,
) -> Result<atende_collections::Layouts, String> {
    let dir = match (spec.layouts.as_str(), &app.config.layouts) {
        ("", None) => return Ok(atende_collections::Layouts::defaults()),
        ("", Some(dir)) => dir.clone(),
        (dir, _) => scope.path("layouts", dir)?,
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
    let scope = scope_of(app, source);
    let layouts = layouts_for(app, &source.spec, &scope)?;
    let spec = source.spec.clone();
    // building an inbox touches the disk
    let built = tokio::task::spawn_blocking(move || build_source(&spec, &scope))
        .await
        .map_err(|e| format!("source thread: {e}"))??;
    let described = built.describe();
    let shared: SharedSource = Arc::new(std::sync::Mutex::new(built));
    // the dialer files follow the day's imports when exports are set for this workspace
    let exports = match app
        .config
        .collections_export
        .as_ref()
        .filter(|e| e.workspace == source.workspace)
    {
        Some(export) => Some(export.settings().map_err(|e| format!("exports: {e:#}"))?),
        None => None,
    };
    let polled = match &exports {
        Some(settings) => {
            atende_ingest::pickup::poll_and_export(
                &app.store,
                &layouts,
                &source.workspace,
                &shared,
                settings,
                &mut (),
            )
            .await
        }
        None => {
            atende_ingest::pickup::poll(&app.store, &layouts, &source.workspace, &shared, &mut ())
                .await
        }
    };
    let report = polled.map_err(|e| e.to_string())?;
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
        let op = Scope::operator();
        assert_eq!(op.resolve_secret("").unwrap(), None);
        let var = format!("ATENDE_TEST_SECRET_{}", std::process::id());
        assert!(op
            .resolve_secret(&format!("env:{var}"))
            .unwrap_err()
            .contains("not set"));
        let file = std::env::temp_dir().join(format!("atende-secret-{}", uuid::Uuid::new_v4()));
        std::fs::write(&file, "s3cret\n").unwrap();
        assert_eq!(
            op.resolve_secret(&format!("file:{}", file.display()))
                .unwrap(),
            Some("s3cret".into())
        );
        let _ = std::fs::remove_file(file);
        assert!(op.resolve_secret("hunter2").is_err());
    }

    #[test]
    fn a_workspace_reaches_only_its_own_variables_and_files() {
        let root = std::env::temp_dir().join(format!("atende-scope-{}", uuid::Uuid::new_v4()));
        let atom = Scope::workspace(&root, "atom");
        assert_eq!(Scope::env_prefix("atom-2.b"), "ATENDE_SOURCE_ATOM_2_B_");
        for reference in ["env:DATABASE_URL", "env:ATENDE_SOURCE_OTHER_PASSWORD"] {
            let e = atom.resolve_secret(reference).unwrap_err();
            assert!(e.contains("not this workspace's"), "{e}");
        }
        assert!(atom
            .resolve_secret("env:ATENDE_SOURCE_ATOM_UNSET_FOR_TEST")
            .unwrap_err()
            .contains("not set"));
        for path in ["/etc/passwd", "../other/key", "in/../../other/key"] {
            let e = atom.path("key_file", path).unwrap_err();
            assert!(
                e.contains("field 'key_file'") && e.contains("outside"),
                "{path}: {e}"
            );
        }
        assert_eq!(
            atom.path("location", "in").unwrap(),
            root.join("atom").join("in")
        );
        let inside = root.join("atom").join("keys").join("id");
        assert_eq!(
            atom.path("key_file", &inside.display().to_string())
                .unwrap(),
            inside
        );
        std::fs::create_dir_all(root.join("atom")).unwrap();
        std::fs::write(root.join("atom").join("pw"), "s3cret\n").unwrap();
        assert_eq!(
            atom.resolve_secret("file:pw").unwrap(),
            Some("s3cret".into())
        );
        assert!(Scope::workspace(&root, "other")
            .resolve_secret(&format!("file:{}", root.join("atom").join("pw").display()))
            .is_err());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn specs_are_checked_before_saving() {
        let op = Scope::operator();
        let mut s = spec(SourceKind::Sftp, "sftp://evo@h:99999/x");
        s.host_key = "SHA256:abc".into();
        s.secret = "env:X".into();
        assert!(check_spec(&s, &op).unwrap_err().contains("port"));
        s.location = "sftp://evo@h/x".into();
        assert!(check_spec(&s, &op).is_ok());
        let scoped = Scope::workspace(Path::new("/srv/atende"), "atom");
        assert!(check_spec(&s, &scoped)
            .unwrap_err()
            .contains("field 'secret'"));
        s.secret = "env:ATENDE_SOURCE_ATOM_SFTP".into();
        assert!(check_spec(&s, &scoped).is_ok());
        s.host_key = "/etc/ssh/ssh_known_hosts".into();
        assert!(check_spec(&s, &scoped)
            .unwrap_err()
            .contains("field 'host_key'"));
        // a missing password is found when polling, with its reference named
        let var = format!("ATENDE_TEST_MISSING_{}", std::process::id());
        s.secret = format!("env:{var}");
        let e = build_source(&s, &op).err().unwrap();
        assert!(e.contains(&var), "{e}");
        let ftp = spec(SourceKind::Ftp, "ftp://evo@h/out");
        assert_eq!(
            build_source(&ftp, &op).unwrap().describe(),
            "ftp://evo@h:21/out"
        );
    }
}
