//! The dialer exports through HTTP (UC003 mailing, UC007 baixa) and the pick-up worker
//! running them after the day's files. A real server on loopback over SQLite, and over
//! PostgreSQL when `ATENDE_TEST_POSTGRES_URL` is set.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use atende_collections::{sample, ExportKind, ExportLayouts, Layouts};
use atende_server::{App, CollectionsExport, Config, ExportDestination};
use atende_store::Store;
use common::{Server, TOKEN};
use serde_json::{json, Value};

use atende_testkit::both;

const WS: &str = atende_server::demo::WORKSPACE;

fn temp(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "atende-http-export-{what}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Setup {
    server: Server,
    outbox: PathBuf,
    remote: PathBuf,
}

/// A server whose exports go to a fresh outbox and a folder standing for the dialer's
/// server (`manager/` inside it).
async fn start(db: String) -> Setup {
    let (outbox, remote) = (temp("outbox"), temp("remote"));
    let export = CollectionsExport {
        workspace: WS.into(),
        outbox: outbox.clone(),
        destination: Some(ExportDestination::Inbox(remote.clone())),
        folder: "manager".into(),
        layouts: None,
    };
    Setup {
        server: serve(&db, Some(export)).await,
        outbox,
        remote,
    }
}

async fn serve(db: &str, export: Option<CollectionsExport>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        database_url: db.into(),
        listen: addr,
        public_url: format!("http://{addr}"),
        webhook_allow: vec![addr.to_string()],
        scheduler_interval: Duration::from_secs(3600),
        api_token: Some(TOKEN.into()),
        demo: true,
        collections_export: export,
        // a workspace's sources may only use folders under <root>/<workspace>/
        collections_root: std::env::temp_dir()
            .join(format!("atende-exports-root-{}", std::process::id())),
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

fn day() -> jiff::civil::Date {
    jiff::civil::date(2026, 8, 4)
}

async fn import(app: &Arc<App>, name: &str, bytes: &[u8]) {
    let r = atende_ingest::import_file(&app.store, &Layouts::defaults(), WS, name, bytes, &mut ())
        .await
        .unwrap();
    assert_eq!(r.outcome, atende_ingest::FileOutcome::Imported, "{r:#?}");
}

async fn import_remessa(app: &Arc<App>, rows: usize) -> Vec<String> {
    let layouts = Layouts::defaults();
    let l = layouts.get("remessa").unwrap();
    let name = l.file_name(day().at(2, 0, 0, 0), "528");
    import(app, &name, &sample(l, rows, 3, day()).to_bytes()).await;
    sqlx::query_scalar("SELECT contract FROM contracts WHERE workspace_id = $1 ORDER BY contract")
        .bind(WS)
        .fetch_all(app.store.pool())
        .await
        .unwrap()
}

fn read_back(dir: &Path, kind: ExportKind, run: &Value) -> Vec<atende_collections::ExportRow> {
    let bytes = std::fs::read(dir.join(run["file_name"].as_str().unwrap())).unwrap();
    ExportLayouts::defaults().get(kind).read(&bytes).unwrap()
}

async fn post_raw(s: &Server, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = s
        .http
        .post(format!("{}/api/v1/collections/exports", s.url))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.header("Authorization", format!("Token {t}"));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

both!(the_mailing_through_http, start, |t: Setup| async move {
    let s = &t.server;
    let (status, body) = s.get("/api/v1/collections/exports").await;
    assert_eq!((status, &body["results"]), (200, &json!([])));
    let contracts = import_remessa(&s.app, 30).await;
    // UC003 basic flow: the mailing is written, delivered, and in the layout
    let (status, run) = s
        .post("/api/v1/collections/exports", &json!({"kind": "mailing"}))
        .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["status"], "delivered", "{run}");
    assert_eq!(
        (run["kind"].as_str(), run["mode"].as_str()),
        (Some("mailing"), Some("full"))
    );
    assert_eq!(run["rows"], 30);
    assert_eq!(run["attempts"], 1);
    let file = read_back(&t.remote.join("manager"), ExportKind::Mailing, &run);
    let listed: Vec<&str> = file
        .iter()
        .map(|r| r.get("numero_contrato").unwrap())
        .collect();
    assert_eq!(
        listed,
        contracts.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(
        std::fs::read(
            t.remote
                .join("manager")
                .join(run["file_name"].as_str().unwrap())
        )
        .unwrap(),
        std::fs::read(t.outbox.join(run["file_name"].as_str().unwrap())).unwrap()
    );
    // nothing changed since: an incremental export has nothing to send
    let (status, inc) = s
        .post(
            "/api/v1/collections/exports",
            &json!({"kind": "mailing", "mode": "incremental"}),
        )
        .await;
    assert_eq!(
        (status, inc["status"].as_str(), inc["rows"].as_i64()),
        (201, Some("empty"), Some(0)),
        "{inc}"
    );
    assert_eq!(inc["since"], run["created_on"]);
    // listed newest first, by kind, one by one
    let (_, list) = s.get("/api/v1/collections/exports").await;
    let ids: Vec<i64> = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [inc["id"].as_i64().unwrap(), run["id"].as_i64().unwrap()]
    );
    let (_, page) = s.get("/api/v1/collections/exports?limit=1").await;
    assert_eq!(page["results"].as_array().unwrap().len(), 1);
    assert_eq!(page["next_before"], inc["id"]);
    let (_, rest) = s
        .get(&format!(
            "/api/v1/collections/exports?limit=1&before={}",
            inc["id"]
        ))
        .await;
    assert_eq!(rest["results"][0]["id"], run["id"]);
    let (_, baixas) = s.get("/api/v1/collections/exports?kind=baixa").await;
    assert_eq!(baixas["results"], json!([]));
    let (status, one) = s
        .get(&format!("/api/v1/collections/exports/{}", run["id"]))
        .await;
    assert_eq!((status, &one), (200, &run));
    let (status, missing) = s.get("/api/v1/collections/exports/999999").await;
    assert_eq!(status, 404, "{missing}");
    // validation names the field
    for (body, field) in [
        ("{}", "kind"),
        (r#"{"kind": "dialer"}"#, "kind"),
        (r#"{"kind": 7}"#, "kind"),
        (r#"{"kind": "mailing", "mode": "partial"}"#, "mode"),
        (r#"{"kind": "mailing", "colour": "red"}"#, "colour"),
        ("not json", "body"),
        ("[1]", "body"),
    ] {
        let (status, e) = post_raw(s, Some(TOKEN), body).await;
        assert_eq!(status, 400, "{body}: {e}");
        assert!(
            e["error"].as_str().unwrap().starts_with(field),
            "{body}: {e}"
        );
    }
    for (query, field) in [
        ("kind=x", "kind"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("before=-1", "before"),
    ] {
        let (status, e) = s.get(&format!("/api/v1/collections/exports?{query}")).await;
        assert_eq!(status, 400, "{query}: {e}");
        assert!(
            e["error"].as_str().unwrap().starts_with(field),
            "{query}: {e}"
        );
    }
    let (status, e) = s.get("/api/v1/collections/exports/abc").await;
    assert_eq!(status, 400, "{e}");
    // token auth, scoped to the token's workspace
    let (status, _) = post_raw(s, None, r#"{"kind": "mailing"}"#).await;
    assert_eq!(status, 401);
    let (status, _) = post_raw(
        s,
        Some("not-a-valid-token-at-all"),
        r#"{"kind": "mailing"}"#,
    )
    .await;
    assert_eq!(status, 401);
    s.app
        .store
        .ensure_workspace("other", "Other")
        .await
        .unwrap();
    let other = s.app.store.create_token("other", "test").await.unwrap();
    let (status, e) = post_raw(s, Some(&other), r#"{"kind": "mailing"}"#).await;
    assert_eq!(status, 409, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("not configured"),
        "{e}"
    );
    let r = s
        .http
        .get(format!("{}/api/v1/collections/exports", s.url))
        .header("Authorization", format!("Token {other}"))
        .send()
        .await
        .unwrap();
    let list: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        list["results"],
        json!([]),
        "another workspace sees none of these"
    );
    let r = s
        .http
        .get(format!(
            "{}/api/v1/collections/exports/{}",
            s.url, run["id"]
        ))
        .header("Authorization", format!("Token {other}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // documented
    let (_, doc) = s.get("/api/openapi.json").await;
    for path in [
        "/api/v1/collections/exports",
        "/api/v1/collections/exports/{id}",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["paths"]["/api/v1/collections/exports"]
        .get("post")
        .is_some());
});

both!(the_baixa_through_http, start, |t: Setup| async move {
    let s = &t.server;
    let contracts = import_remessa(&s.app, 20).await;
    // UC007: after the exclusão e retirada file, the baixa lists exactly its contracts
    let (a, b) = (&contracts[3], &contracts[7]);
    let name = Layouts::defaults()
        .get("exclusao")
        .unwrap()
        .file_name(day().at(8, 0, 0, 0), "528");
    let text = format!(
        "{a:<20}{:14}20260804E{:<57}\n{b:<20}{:14}20260804R{:<57}\n",
        "", "PEDIDO DO CREDOR", "", "RETIRADA"
    );
    import(&s.app, &name, text.as_bytes()).await;
    let (status, run) = s
        .post("/api/v1/collections/exports", &json!({"kind": "baixa"}))
        .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(
        (
            run["mode"].as_str(),
            run["rows"].as_i64(),
            run["status"].as_str()
        ),
        (Some("incremental"), Some(2), Some("delivered"))
    );
    let file = read_back(&t.remote.join("manager"), ExportKind::Baixa, &run);
    let listed: BTreeSet<&str> = file
        .iter()
        .map(|r| r.get("numero_contrato").unwrap())
        .collect();
    assert_eq!(listed, BTreeSet::from([a.as_str(), b.as_str()]));
    let codes: BTreeSet<&str> = file
        .iter()
        .map(|r| r.get("codigo_baixa").unwrap())
        .collect();
    assert_eq!(codes, BTreeSet::from(["EX", "RT"]));
    // alternative flow: nothing new to write off
    let (status, again) = s
        .post("/api/v1/collections/exports", &json!({"kind": "baixa"}))
        .await;
    assert_eq!(
        (
            status,
            again["status"].as_str(),
            again["file_name"].as_str()
        ),
        (201, Some("empty"), Some(""))
    );
});

both!(
    a_failed_delivery_is_reported_and_kept,
    atende_testkit::url,
    |db: String| async move {
        let outbox = temp("outbox");
        // nothing listens on port 1: the dialer's server is down
        let export = CollectionsExport {
            workspace: WS.into(),
            outbox: outbox.clone(),
            destination: Some(ExportDestination::Ftp(atende_filesource::FtpConfig {
                address: "127.0.0.1:1".into(),
                user: "manager".into(),
                password: "s3cr3t-pw-7731".into(),
                directory: "/in".into(),
                timeout: Duration::from_secs(2),
            })),
            folder: String::new(),
            layouts: None,
        };
        let s = serve(&db, Some(export)).await;
        import_remessa(&s.app, 5).await;
        let (status, run) = s
            .post("/api/v1/collections/exports", &json!({"kind": "mailing"}))
            .await;
        assert_eq!(status, 201, "{run}");
        assert_eq!(
            (run["status"].as_str(), run["attempts"].as_i64()),
            (Some("failed"), Some(1)),
            "{run}"
        );
        assert!(run["message"].as_str().unwrap().contains("FTP"), "{run}");
        // no secret in what the API shows
        assert!(!run.to_string().contains("s3cr3t-pw-7731"), "{run}");
        // kept in the outbox for the next attempt
        assert!(outbox.join(run["file_name"].as_str().unwrap()).exists());
        // exports not configured at all: 409
        let plain = serve(&atende_testkit::sqlite_url(), None).await;
        let (status, e) = plain
            .post("/api/v1/collections/exports", &json!({"kind": "mailing"}))
            .await;
        assert_eq!(status, 409, "{e}");
    }
);

/// The pick-up worker, with exports configured, writes and delivers the mailing after the
/// day's remessa without anyone asking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pickup_worker_exports_after_the_remessa() {
    let t = start(atende_testkit::sqlite_url()).await;
    let inbox = t.server.app.config.collections_root.join(WS).join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let layouts = Layouts::defaults();
    let l = layouts.get("remessa").unwrap();
    std::fs::write(
        inbox.join(l.file_name(day().at(2, 0, 0, 0), "528")),
        sample(l, 12, 5, day()).to_bytes(),
    )
    .unwrap();
    // the workspace's pick-up source, polled by the server's worker loop
    let spec = atende_store::sources::SourceSpec {
        kind: atende_store::sources::SourceKind::Inbox,
        location: inbox.display().to_string(),
        secret: String::new(),
        key_file: String::new(),
        host_key: String::new(),
        every_secs: 1,
        enabled: true,
        layouts: String::new(),
    };
    let app = t.server.app.clone();
    app.store.ensure_workspace(WS, WS).await.unwrap();
    app.store.put_source(WS, "entrada", &spec).await.unwrap();
    let worker = tokio::spawn(async move {
        loop {
            for (source, result) in atende_server::pickup::poll_due(&app).await {
                if let Err(e) = result {
                    eprintln!("poll of {}: {e}", source.name);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut found = None;
    for _ in 0..200 {
        let (_, list) = t.server.get("/api/v1/collections/exports").await;
        if let Some(r) = list["results"].as_array().and_then(|a| a.first()) {
            if r["status"] == "delivered" {
                found = Some(r.clone());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.abort();
    let run = found.expect("the worker exported the mailing");
    assert_eq!(
        (
            run["kind"].as_str(),
            run["mode"].as_str(),
            run["rows"].as_i64()
        ),
        (Some("mailing"), Some("full"), Some(12))
    );
    assert!(run["trigger_run_id"].as_i64().is_some(), "{run}");
    assert_eq!(
        read_back(&t.remote.join("manager"), ExportKind::Mailing, &run).len(),
        12
    );
}

both!(
    an_export_while_another_runs_is_refused,
    start,
    |t: Setup| async move {
        let s = &t.server;
        import_remessa(&s.app, 3).await;
        // another instance is writing an export of the workspace
        let mut tx = s.app.store.begin().await.unwrap();
        let running = tx
            .begin_export(
                WS,
                &atende_store::portfolio::exports::NewExport {
                    kind: "mailing",
                    mode: "full",
                    layout: "manager_mailing",
                    trigger_run_id: None,
                    destination: "elsewhere",
                },
                atende_store::wall_now(),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (status, body) = s
            .post("/api/v1/collections/exports", &json!({"kind": "mailing"}))
            .await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains(&format!("export {} ", running.id)),
            "{body}"
        );
    }
);
