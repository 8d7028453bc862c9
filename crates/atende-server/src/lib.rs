//! `atende serve`: the shell around the pure engine. It owns all I/O — the store, HTTP
//! (API, channels, web chat), webhook calls, the scheduler of wait timeouts and
//! expirations, and the outbox — and drives `atende-engine` one sprint at a time per
//! contact. See `processor.rs` for the life of an inbound message.

pub mod demo;
pub mod http;
pub mod outbox;
pub mod pickup;
pub mod processor;
pub mod services;
pub mod triggers;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use atende_engine::engine::Assets;
use atende_store::Store;

/// Settings, from flags and environment (never from code).
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://data/atende.db` (default) or `postgres://…`.
    pub database_url: String,
    pub listen: SocketAddr,
    /// How users and flows reach this server (`http://localhost:8080`).
    pub public_url: String,
    /// Hosts flows may call although they resolve to private addresses.
    pub webhook_allow: Vec<String>,
    pub webhook_timeout: Duration,
    pub scheduler_interval: Duration,
    /// First outbox retry delay; each further one doubles (capped at an hour).
    pub retry_base: Duration,
    /// An API token to accept for the demo workspace (`ATENDE_API_TOKEN`).
    pub api_token: Option<String>,
    /// Load the demo workspace (bot, web chat channel, mock ERP).
    pub demo: bool,
    /// A pick-up source given on the command line (`--collections-inbox|ftp|sftp`),
    /// written to the store at start; sources are otherwise managed per workspace
    /// (`atende collections sources`, `/api/v1/collections/sources`).
    pub collections: Option<CollectionsPickup>,
    /// How often this instance looks for pick-up sources that are due.
    pub collections_tick: Duration,
    /// A folder of layout files replacing or adding to the built-in ones, for sources
    /// that name none.
    pub layouts: Option<std::path::PathBuf>,
    /// The folder whose `<workspace>/` subfolder holds the files a workspace's sources may
    /// refer to (inbox folders, secret and key files, known_hosts, layouts); see
    /// [`pickup::Scope`].
    pub collections_root: std::path::PathBuf,
    /// Where the collections hub's dialer files (mailing, baixa) go, if anywhere.
    pub collections_export: Option<CollectionsExport>,
}

/// The dialer exports of one workspace (UC003, UC007): every file is kept in `outbox`
/// and, with a destination, delivered there (into `folder`), renamed once complete.
#[derive(Clone, Debug)]
pub struct CollectionsExport {
    pub workspace: String,
    pub outbox: std::path::PathBuf,
    pub destination: Option<ExportDestination>,
    /// A folder of the destination (`""`: its own directory).
    pub folder: String,
    /// A folder of export layouts replacing the built-in ones of their kind.
    pub layouts: Option<std::path::PathBuf>,
}

impl CollectionsExport {
    /// What the export job needs (the destination connects on first use).
    pub fn settings(&self) -> anyhow::Result<atende_ingest::export::ExportSettings> {
        let layouts = match &self.layouts {
            Some(dir) => atende_collections::ExportLayouts::load_dir(dir)
                .with_context(|| format!("export layouts in {}", dir.display()))?,
            None => atende_collections::ExportLayouts::defaults(),
        };
        let destination = match &self.destination {
            None => None,
            Some(ExportDestination::Inbox(dir)) => Some(atende_ingest::export::Destination::new(
                Box::new(atende_filesource::InboxFolder::new(dir)?),
                &self.folder,
            )),
            Some(ExportDestination::Ftp(config)) => Some(atende_ingest::export::Destination::new(
                Box::new(atende_filesource::FtpSource::new(config.clone())),
                &self.folder,
            )),
        };
        Ok(atende_ingest::export::ExportSettings {
            outbox: self.outbox.clone(),
            destination,
            layouts,
        })
    }
}

/// Where the dialer files are delivered (the dialer's own folder or FTP server).
#[derive(Clone, Debug)]
pub enum ExportDestination {
    Inbox(std::path::PathBuf),
    Ftp(atende_filesource::FtpConfig),
}

/// One pick-up source for one workspace, from the command line.
#[derive(Clone, Debug)]
pub struct CollectionsPickup {
    pub workspace: String,
    /// The source's name in the store.
    pub name: String,
    pub spec: atende_store::sources::SourceSpec,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://data/atende.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://localhost:8080".into(),
            webhook_allow: Vec::new(),
            webhook_timeout: Duration::from_secs(10),
            scheduler_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(5),
            api_token: None,
            demo: true,
            collections: None,
            collections_tick: Duration::from_secs(2),
            layouts: None,
            collections_root: "data/collections".into(),
            collections_export: None,
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub inbound: AtomicU64,
    pub outbound: AtomicU64,
    pub sprints: AtomicU64,
    pub sprint_micros: AtomicU64,
    pub fires: AtomicU64,
}

/// What every handler and worker shares.
pub struct App {
    pub store: Store,
    pub config: Config,
    /// This instance's id, in lease owner names.
    pub instance: String,
    pub http: reqwest::Client,
    /// `(workspace, contact)` whose messages changed: web chat sockets listen.
    pub notify: tokio::sync::broadcast::Sender<(String, String)>,
    pub outbox_wake: tokio::sync::Notify,
    pub metrics: Metrics,
    assets: tokio::sync::Mutex<HashMap<String, (String, Arc<Assets>)>>,
}

impl App {
    pub fn new(store: Store, config: Config) -> anyhow::Result<Arc<App>> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("Atende/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("HTTP client")?;
        Ok(Arc::new(App {
            store,
            config,
            instance: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
            http,
            notify: tokio::sync::broadcast::channel(1024).0,
            outbox_wake: tokio::sync::Notify::new(),
            metrics: Metrics::default(),
            assets: tokio::sync::Mutex::new(HashMap::new()),
        }))
    }

    /// The workspace's engine assets, rebuilt only when its flows, fields, groups,
    /// globals or channels changed (on any instance).
    pub async fn assets(&self, workspace: &str) -> anyhow::Result<Arc<Assets>> {
        let key = self.store.assets_version(workspace).await?.to_string();
        let mut cache = self.assets.lock().await;
        if let Some((k, a)) = cache.get(workspace) {
            if *k == key {
                return Ok(a.clone());
            }
        }
        let export = self.store.export(workspace).await?;
        let channels = self.store.channels(workspace).await?;
        let assets = Arc::new(processor::build_assets(&export, &channels)?);
        cache.insert(workspace.to_string(), (key, assets.clone()));
        Ok(assets)
    }
}

/// Opens the store, loads the demo when asked, starts the workers and serves HTTP until
/// Ctrl-C.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url)
        .await
        .with_context(|| format!("opening {}", redact_url(&config.database_url)))?;
    let app = App::new(store, config)?;
    if app.config.demo {
        demo::load(&app).await.context("loading the demo")?;
    }
    let listener = tokio::net::TcpListener::bind(app.config.listen)
        .await
        .with_context(|| format!("listening on {}", app.config.listen))?;
    start_workers(&app);
    tracing::info!(listen = %app.config.listen, "serving");
    println!(
        "Atende is running: open {}/chat to talk to the bot",
        app.config.public_url
    );
    axum::serve(listener, http::router(app.clone()))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("HTTP server")?;
    Ok(())
}

/// Starts the scheduler, the outbox, the collections pick-up and the recovery of pending
/// messages.
pub fn start_workers(app: &Arc<App>) {
    tokio::spawn(pickup::run(app.clone()));
    tokio::spawn(processor::run_scheduler(app.clone()));
    tokio::spawn(outbox::run(app.clone()));
    let a = app.clone();
    tokio::spawn(async move {
        if let Err(e) = processor::recover_pending(&a).await {
            tracing::warn!(error = %e, "recovering pending messages");
        }
    });
    tokio::spawn(fill_occurrence_entries(app.clone()));
}

/// Occurrences recorded before their history entry was stored (migration 10) are built
/// at every lookup until their entry is written: this writes them once, in small
/// transactions, so a database carried over from before gets the lookup's speed too.
async fn fill_occurrence_entries(app: Arc<App>) {
    const BATCH: i64 = 500;
    let mut cursor = None;
    let mut written = 0;
    loop {
        match app.store.fill_occurrence_entries(&cursor, BATCH).await {
            Ok((n, next)) => {
                // a line now and then on a big table (~16,000 a second on SQLite)
                if (written + n) / 100_000 > written / 100_000 {
                    tracing::info!(written = written + n, "filling occurrence history entries");
                }
                written += n;
                cursor = next;
                if cursor.is_none() {
                    break;
                }
                // let requests in between batches (SQLite has one writer)
                tokio::task::yield_now().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, written, "filling occurrence history entries; the lookup builds the rest when read");
                return;
            }
        }
    }
    if written > 0 {
        tracing::info!(written, "occurrence history entries filled");
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            super::redact_url("postgres://atende:s3cret@db:5432/atende"),
            "postgres://atende:***@db:5432/atende"
        );
        assert_eq!(
            super::redact_url("sqlite://data/atende.db"),
            "sqlite://data/atende.db"
        );
    }
}
