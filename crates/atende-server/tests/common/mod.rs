//! A real server on a loopback port, over SQLite (always) or PostgreSQL (when
//! `ATENDE_TEST_POSTGRES_URL` is set; each test gets a fresh database).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use atende_server::{App, Config};
use atende_store::Store;
use serde_json::Value;

pub const TOKEN: &str = "test-token-0123456789";
pub const WEBCHAT: &str = atende_server::demo::WEBCHAT_CHANNEL;

pub struct Server {
    pub app: Arc<App>,
    pub url: String,
    pub http: reqwest::Client,
}

/// Starts an instance on `db` with the demo loaded. Workers are not started: tests
/// drive the scheduler and the outbox themselves, so each step is deterministic.
pub async fn start(db: &str) -> Server {
    // warnings and errors show in a failing test's output
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_test_writer()
        .try_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        database_url: db.into(),
        listen: addr,
        public_url: format!("http://{addr}"),
        webhook_allow: vec![addr.to_string()],
        scheduler_interval: Duration::from_secs(3600),
        retry_base: Duration::from_millis(20),
        api_token: Some(TOKEN.into()),
        demo: true,
        ..Config::default()
    };
    let store = Store::open(db).await.unwrap();
    let app = App::new(store, config).unwrap();
    atende_server::demo::load(&app).await.unwrap();
    let router = atende_server::http::router(app.clone());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Server {
        app,
        url: format!("http://{addr}"),
        http: reqwest::Client::new(),
    }
}

impl Server {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("Authorization", format!("Token {TOKEN}"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A web chat visitor says something; returns the texts of the bot's answers since.
    pub async fn chat(&self, visitor: &str, text: &str) -> Vec<String> {
        let before = self.chat_log(visitor).await.len();
        let (status, body) = self
            .post(
                "/chat/api/send",
                &serde_json::json!({"channel": WEBCHAT, "visitor": visitor, "text": text}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        self.chat_log(visitor).await[before..]
            .iter()
            .filter(|(dir, _)| dir == "out")
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// `(direction, text)` of every message of the visitor.
    pub async fn chat_log(&self, visitor: &str) -> Vec<(String, String)> {
        let (_, body) = self
            .get(&format!(
                "/chat/api/messages?channel={WEBCHAT}&visitor={visitor}"
            ))
            .await;
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["direction"].as_str().unwrap().to_string(),
                    m["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}
