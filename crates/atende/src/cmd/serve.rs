//! `atende serve` and `atende import`: the server and offline flow import.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use atende_server::Config;
use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// Database: `sqlite://PATH` (default `sqlite://data/atende.db`) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/atende.db")]
    pub db: String,
    /// Address to listen on.
    #[arg(long, env = "ATENDE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The URL users and flows reach this server at (default: from --listen).
    #[arg(long, env = "ATENDE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Hosts flows may call though they resolve to private addresses (comma-separated;
    /// this server's own address is always allowed, for the demo ERP).
    #[arg(long, env = "ATENDE_WEBHOOK_ALLOW", value_delimiter = ',')]
    pub webhook_allow: Vec<String>,
    /// Webhook timeout in seconds.
    #[arg(long, env = "ATENDE_WEBHOOK_TIMEOUT", default_value_t = 10)]
    pub webhook_timeout: u64,
    /// An API token to accept for the demo workspace (at least 16 characters).
    #[arg(long, env = "ATENDE_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// Do not load the demo workspace.
    #[arg(long)]
    pub no_demo: bool,
    /// Collections hub: pick creditor files up from this folder (a shortcut for the
    /// source named `serve` of --collections-workspace; more sources per workspace with
    /// `atende collections sources`).
    #[arg(
        long,
        env = "ATENDE_COLLECTIONS_INBOX",
        conflicts_with_all = ["collections_ftp", "collections_sftp"]
    )]
    pub collections_inbox: Option<PathBuf>,
    /// Collections hub: pick creditor files up from `ftp://user@host[:port]/dir`
    /// (password in ATENDE_FTP_PASSWORD).
    #[arg(
        long,
        env = "ATENDE_COLLECTIONS_FTP",
        conflicts_with = "collections_sftp"
    )]
    pub collections_ftp: Option<String>,
    /// Collections hub: pick creditor files up from `sftp://user@host[:port]/dir`
    /// (password in ATENDE_SFTP_PASSWORD, or --collections-sftp-key).
    #[arg(long, env = "ATENDE_COLLECTIONS_SFTP")]
    pub collections_sftp: Option<String>,
    /// The SFTP private key file to log in with (its passphrase, if any, in
    /// ATENDE_SFTP_PASSWORD).
    #[arg(long, env = "ATENDE_SFTP_KEY")]
    pub collections_sftp_key: Option<PathBuf>,
    /// The SFTP server's key: `SHA256:…` as `ssh-keygen -l` prints it, or a known_hosts
    /// file (default: ~/.ssh/known_hosts). There is no option to skip this check.
    #[arg(long, env = "ATENDE_SFTP_HOST_KEY")]
    pub collections_sftp_host_key: Option<String>,
    /// The workspace the collections files belong to.
    #[arg(long, env = "ATENDE_COLLECTIONS_WORKSPACE", default_value = "demo")]
    pub collections_workspace: String,
    /// Seconds between two polls of the collections source.
    #[arg(long, env = "ATENDE_COLLECTIONS_EVERY", default_value_t = 60)]
    pub collections_every: u64,
    /// A folder of layout files replacing or adding to the built-in ones.
    #[arg(long, env = "ATENDE_LAYOUTS")]
    pub layouts: Option<PathBuf>,
    /// Collections hub: keep the dialer files (mailing, baixa) in this folder; with it the
    /// pick-up writes them after the day's files and POST /api/v1/collections/exports works.
    #[arg(long, env = "ATENDE_EXPORT_OUTBOX")]
    pub export_outbox: Option<PathBuf>,
    /// Collections hub: deliver the dialer files to `ftp://user@host[:port]/dir`
    /// (password in ATENDE_EXPORT_FTP_PASSWORD).
    #[arg(long, env = "ATENDE_EXPORT_FTP", conflicts_with = "export_dir")]
    pub export_ftp: Option<String>,
    /// Collections hub: deliver the dialer files to this folder (a share the dialer reads).
    #[arg(long, env = "ATENDE_EXPORT_DIR")]
    pub export_dir: Option<PathBuf>,
    /// The workspace whose dialer files these are (default: the collections workspace).
    #[arg(long, env = "ATENDE_EXPORT_WORKSPACE")]
    pub export_workspace: Option<String>,
    /// A folder of export layouts replacing the built-in ones of their kind.
    #[arg(long, env = "ATENDE_EXPORT_LAYOUTS")]
    pub export_layouts: Option<PathBuf>,
    /// The folder whose `<workspace>/` subfolders hold what each workspace's pick-up
    /// sources may refer to on this server: inbox folders, secret and key files,
    /// known_hosts, layouts.
    #[arg(
        long,
        env = "ATENDE_COLLECTIONS_ROOT",
        default_value = "data/collections"
    )]
    pub collections_root: PathBuf,
}

impl ServeArgs {
    fn config(&self) -> Config {
        let host = match self.listen.ip() {
            ip if ip.is_unspecified() || ip.is_loopback() => "localhost".to_string(),
            ip => ip.to_string(),
        };
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{host}:{}", self.listen.port()))
            .trim_end_matches('/')
            .to_string();
        let mut allow = self.webhook_allow.clone();
        allow.push(format!("localhost:{}", self.listen.port()));
        allow.push(self.listen.to_string());
        if let Ok(url) = reqwest_free_host(&public_url) {
            allow.push(url);
        }
        let destination = match (&self.export_ftp, &self.export_dir) {
            (Some(url), _) => super::collections::export_ftp_config(url)
                .map(atende_server::ExportDestination::Ftp)
                .map_err(|e| eprintln!("warning: --export-ftp: {e:#}; files stay in the outbox"))
                .ok(),
            (None, Some(dir)) => Some(atende_server::ExportDestination::Inbox(dir.clone())),
            (None, None) => None,
        };
        let collections_export =
            self.export_outbox
                .clone()
                .map(|outbox| atende_server::CollectionsExport {
                    workspace: self
                        .export_workspace
                        .clone()
                        .unwrap_or_else(|| self.collections_workspace.clone()),
                    outbox,
                    destination,
                    folder: String::new(),
                    layouts: self.export_layouts.clone(),
                });
        Config {
            collections: self.collections_pickup(),
            layouts: self.layouts.clone(),
            collections_root: self.collections_root.clone(),
            collections_export,
            database_url: self.db.clone(),
            listen: self.listen,
            public_url,
            webhook_allow: allow,
            webhook_timeout: Duration::from_secs(self.webhook_timeout.max(1)),
            api_token: self.api_token.clone(),
            demo: !self.no_demo,
            ..Config::default()
        }
    }
}

impl ServeArgs {
    /// The source the `--collections-*` flags define, as the store keeps it: secrets by
    /// reference to the environment variable that holds them.
    fn collections_pickup(&self) -> Option<atende_server::CollectionsPickup> {
        use atende_store::sources::{SourceKind, SourceSpec};
        let env_ref = |name: &str| {
            std::env::var_os(name)
                .map(|_| format!("env:{name}"))
                .unwrap_or_default()
        };
        let spec = |kind, location: String| SourceSpec {
            kind,
            location,
            secret: String::new(),
            key_file: String::new(),
            host_key: String::new(),
            every_secs: self
                .collections_every
                .clamp(1, atende_store::sources::MAX_EVERY_SECS as u64)
                as i64,
            enabled: true,
            layouts: String::new(),
        };
        let (flag, spec) = match (
            &self.collections_inbox,
            &self.collections_ftp,
            &self.collections_sftp,
        ) {
            (Some(dir), _, _) => (
                "--collections-inbox",
                spec(SourceKind::Inbox, dir.display().to_string()),
            ),
            (None, Some(url), _) => (
                "--collections-ftp",
                SourceSpec {
                    secret: env_ref("ATENDE_FTP_PASSWORD"),
                    ..spec(SourceKind::Ftp, url.clone())
                },
            ),
            (None, None, Some(url)) => {
                let host_key = self.collections_sftp_host_key.clone().unwrap_or_else(|| {
                    std::env::var("HOME")
                        .map(|h| format!("{h}/.ssh/known_hosts"))
                        .unwrap_or_default()
                });
                (
                    "--collections-sftp",
                    SourceSpec {
                        secret: env_ref("ATENDE_SFTP_PASSWORD"),
                        key_file: self
                            .collections_sftp_key
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                        host_key,
                        ..spec(SourceKind::Sftp, url.clone())
                    },
                )
            }
            (None, None, None) => return None,
        };
        if let Err(e) =
            atende_server::pickup::check_spec(&spec, &atende_server::pickup::Scope::operator())
        {
            eprintln!("warning: {flag}: {e}; pick-up disabled");
            return None;
        }
        Some(atende_server::CollectionsPickup {
            workspace: self.collections_workspace.clone(),
            name: "serve".into(),
            spec,
        })
    }
}

/// `host:port` of a URL, without pulling an URL parser into the binary.
fn reqwest_free_host(url: &str) -> Result<String, ()> {
    let rest = url.split_once("://").ok_or(())?.1;
    let host = rest.split('/').next().ok_or(())?;
    Ok(host.to_string())
}

pub fn serve(args: ServeArgs, malloc: atende_malloc::Tuning) -> anyhow::Result<ExitCode> {
    init_logging();
    tracing::info!("{malloc}");
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(atende_server::serve(args.config()))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct ImportArgs {
    /// A RapidPro/TextIt/Weni export file (flows, fields, groups, globals, triggers).
    pub file: PathBuf,
    /// The workspace to import into (created when missing).
    #[arg(long, default_value = "demo")]
    pub workspace: String,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/atende.db")]
    pub db: String,
}

pub fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", args.file.display()))?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let store = atende_store::Store::open(&args.db)
            .await
            .with_context(|| format!("opening {}", atende_server::redact_url(&args.db)))?;
        store.ensure_workspace(&args.workspace, &args.workspace).await?;
        let summary = store
            .import(&args.workspace, &json, &mut atende_server::services::RandomUuids)
            .await
            .with_context(|| format!("{}", args.file.display()))?;
        println!(
            "imported {} into workspace {}: flows {} new, {} updated, {} unchanged; {} fields, {} groups, {} globals, {} triggers",
            args.file.display(),
            args.workspace,
            summary.flows_created,
            summary.flows_updated,
            summary.flows_unchanged,
            summary.fields,
            summary.groups,
            summary.globals,
            summary.triggers
        );
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("ATENDE_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
