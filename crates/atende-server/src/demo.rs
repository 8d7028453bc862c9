//! The demo a first `atende serve` shows: workspace `demo` with the Portuguese
//! financial-assistant bot (`examples/assistente-financeiro.json`, built into the binary),
//! its catch-all trigger, a web chat channel, and the ERP global pointing at this server's
//! own mock ERP. Loading is idempotent: restarts keep contacts and history.

use std::sync::Arc;

use anyhow::Context;
use atende_store::Channel;
use serde_json::json;

use crate::services::RandomUuids;
use crate::App;

pub const WORKSPACE: &str = "demo";
/// Fixed so `/chat` and embedded widgets keep working across restarts.
pub const WEBCHAT_CHANNEL: &str = "5f0c3a52-3d1e-4d2b-9a51-4c0e8a7b2d10";

/// Where the generated demo API token is written (readable by its owner only).
pub const TOKEN_FILE: &str = "data/demo-api-token";

const BOT: &str = include_str!("../../../examples/assistente-financeiro.json");

pub async fn load(app: &Arc<App>) -> anyhow::Result<()> {
    let store = &app.store;
    store.ensure_workspace(WORKSPACE, "Demo").await?;
    let mut export: serde_json::Value =
        serde_json::from_str(BOT).context("examples/assistente-financeiro.json")?;
    // the bot asks this server's own mock ERP
    export["globals"] = json!([{"key": "erp_url", "name": "ERP URL", "value": format!("{}/demo/erp", app.config.public_url)}]);
    let summary = store.import(WORKSPACE, &export, &mut RandomUuids).await?;
    tracing::info!(?summary, "demo flows loaded");
    if store.channel(WORKSPACE, WEBCHAT_CHANNEL).await?.is_none() {
        store
            .save_channel(
                WORKSPACE,
                &Channel {
                    uuid: WEBCHAT_CHANNEL.into(),
                    name: "Atende Financeira".into(),
                    channel_type: "webchat".into(),
                    address: "webchat".into(),
                    config: json!({"schemes": ["webchat"]}),
                },
            )
            .await?;
    }
    match &app.config.api_token {
        Some(token) => {
            store
                .add_token(WORKSPACE, "ATENDE_API_TOKEN", token)
                .await?
        }
        None => {
            if store.token_count(WORKSPACE).await? == 0 {
                let token = store.create_token(WORKSPACE, "demo").await?;
                // a file only its owner reads, not the log or the terminal's scrollback
                let path = std::path::Path::new(TOKEN_FILE);
                write_private(path, &format!("{token}\n"))
                    .with_context(|| format!("saving the demo API token to {TOKEN_FILE}"))?;
                println!(
                    "Demo API token saved to {TOKEN_FILE} (send it as 'Authorization: Token …')"
                );
            }
        }
    }
    Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    std::io::Write::write_all(&mut options.open(path)?, text.as_bytes())
}
