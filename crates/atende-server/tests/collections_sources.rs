//! The workspace's pick-up sources through HTTP (`/api/v1/collections/sources`) and the
//! server's pick-up worker polling them: an SFTP server (OpenSSH's sshd on loopback,
//! started here; skipped with a notice when not installed, required when
//! `ATENDE_REQUIRE_SFTP` is set), an inbox folder, one source shared by two instances,
//! and the `serve` flags' source. SQLite always; PostgreSQL when configured.

mod common;

use std::sync::Arc;
use std::time::Duration;

use atende_collections::{sample, Layouts};
use atende_server::{App, CollectionsPickup, Config};
use atende_store::sources::{SourceKind, SourceSpec};
use atende_store::Store;
use atende_testkit::both;
use serde_json::{json, Value};

use common::{Server, TOKEN};

/// A server like `common::start`'s whose workspaces keep their source files under `root`.
async fn start(db: &str, root: &std::path::Path) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        database_url: db.into(),
        listen: addr,
        public_url: format!("http://{addr}"),
        api_token: Some(TOKEN.into()),
        demo: true,
        collections_root: root.to_path_buf(),
        ..Config::default()
    };
    let app = App::new(Store::open(db).await.unwrap(), config).unwrap();
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

async fn send(s: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = s
        .http
        .request(method.parse().unwrap(), format!("{}{path}", s.url))
        .header("Authorization", format!("Token {TOKEN}"));
    if let Some(b) = body {
        r = r
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("atende-{tag}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn day() -> jiff::civil::Date {
    jiff::civil::date(2026, 8, 4)
}

/// A day's remessa (imported) and the next day's, which is not a remessa (rejected).
fn deliver(root: &std::path::Path, rows: usize) -> (String, String) {
    let layouts = Layouts::defaults();
    let l = layouts.get("remessa").unwrap();
    let good = l.file_name(day().at(6, 0, 0, 0), "528");
    std::fs::write(root.join(&good), sample(l, rows, 3, day()).to_bytes()).unwrap();
    let bad = l.file_name(day().tomorrow().unwrap().at(6, 0, 0, 0), "528");
    std::fs::write(root.join(&bad), "não é uma remessa\n").unwrap();
    (good, bad)
}

fn check_filed_away(root: &std::path::Path, good: &str, bad: &str) {
    assert!(root.join("processed").join(good).exists());
    assert!(!root.join(good).exists());
    assert!(root.join("rejected").join(bad).exists());
    let errors =
        std::fs::read_to_string(root.join("rejected").join(format!("{bad}.errors.csv"))).unwrap();
    assert!(errors.starts_with("linha;campo;motivo\n1;"), "{errors}");
}

async fn runs(store: &Store, workspace: &str) -> Vec<String> {
    store
        .runs(workspace, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {}", r.status.as_str(), r.file_name))
        .collect()
}

both!(
    sources_are_managed_through_the_api,
    atende_testkit::url,
    |db: String| async move {
        let root = temp_dir("srv-api");
        let s = start(&db, &root).await;
        let credor = json!({
            "kind": "sftp",
            "location": "sftp://evo@sftp.credor.com.br:2222/remessas",
            "secret": "env:ATENDE_SOURCE_DEMO_SFTP_PASSWORD",
            "host_key": "SHA256:7K0oXOV/Gi6YcukUDobP30UzSkV3WTpCEwd7NhnGfRg",
            "every": 120
        });
        let (status, body) = send(
            &s,
            "PUT",
            "/api/v1/collections/sources/credor",
            Some(credor.clone()),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["kind"], "sftp");
        assert_eq!(body["every"], 120);
        assert_eq!(body["enabled"], true);
        assert_eq!(body["last_status"], "");
        assert!(body["last_poll_on"].is_null());
        let (status, _) = send(
            &s,
            "PUT",
            "/api/v1/collections/sources/local",
            Some(json!({"kind": "inbox", "location": "in"})),
        )
        .await;
        assert_eq!(status, 201);
        // replacing answers 200
        let mut off = credor.clone();
        off["enabled"] = json!(false);
        let (status, body) = send(&s, "PUT", "/api/v1/collections/sources/credor", Some(off)).await;
        assert_eq!((status, &body["enabled"]), (200, &json!(false)), "{body}");
        let (status, list) = s.get("/api/v1/collections/sources").await;
        assert_eq!(status, 200);
        let names: Vec<&str> = list["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["credor", "local"]);
        let (status, one) = s.get("/api/v1/collections/sources/credor").await;
        assert_eq!(status, 200);
        assert_eq!(one["secret"], "env:ATENDE_SOURCE_DEMO_SFTP_PASSWORD");
        assert_eq!(
            one["location"],
            "sftp://evo@sftp.credor.com.br:2222/remessas"
        );
        // validation names the field; no secret in clear gets in
        for (body, field) in [
            (json!({"location": "/x"}), "field 'kind'"),
            (json!({"kind": "smb", "location": "/x"}), "field 'kind'"),
            (json!({"kind": "inbox"}), "field 'location'"),
            (
                json!({"kind": "sftp", "location": "sftp://evo:hunter2@h/x", "secret": "env:X", "host_key": "SHA256:x"}),
                "field 'location'",
            ),
            (
                json!({"kind": "sftp", "location": "sftp://evo@h:70000/x", "secret": "env:X", "host_key": "SHA256:x"}),
                "field 'location'",
            ),
            (
                json!({"kind": "sftp", "location": "sftp://evo@h/x", "secret": "hunter2", "host_key": "SHA256:x"}),
                "field 'secret'",
            ),
            (
                json!({"kind": "sftp", "location": "sftp://evo@h/x", "password": "hunter2"}),
                "field 'password'",
            ),
            (
                json!({"kind": "sftp", "location": "sftp://evo@h/x", "secret": "env:X"}),
                "field 'host_key'",
            ),
            (
                json!({"kind": "ftp", "location": "sftp://evo@h/x"}),
                "field 'location'",
            ),
            (
                json!({"kind": "inbox", "location": "/x", "every": 0}),
                "field 'every'",
            ),
            (
                json!({"kind": "inbox", "location": "/x", "every": "60"}),
                "field 'every'",
            ),
            (
                json!({"kind": "inbox", "location": "/x", "enabled": "yes"}),
                "field 'enabled'",
            ),
            (
                json!({"kind": "inbox", "location": "/x", "colour": "red"}),
                "field 'colour'",
            ),
        ] {
            let (status, answer) = send(
                &s,
                "PUT",
                "/api/v1/collections/sources/bad",
                Some(body.clone()),
            )
            .await;
            assert_eq!(status, 400, "{body}: {answer}");
            let error = answer["error"].as_str().unwrap();
            assert!(error.contains(field), "{body}: {error}");
        }
        let (status, answer) = send(
            &s,
            "PUT",
            "/api/v1/collections/sources/a%20b",
            Some(json!({"kind": "inbox", "location": "/x"})),
        )
        .await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains("field 'name'"));
        assert!(s.app.store.source("demo", "bad").await.unwrap().is_none());
        // another workspace's token sees none of them
        s.app
            .store
            .ensure_workspace("other", "Other")
            .await
            .unwrap();
        let other = s.app.store.create_token("other", "t").await.unwrap();
        let r = s
            .http
            .get(format!("{}/api/v1/collections/sources", s.url))
            .header("Authorization", format!("Token {other}"))
            .send()
            .await
            .unwrap();
        let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["results"], json!([]));
        let r = s
            .http
            .get(format!("{}/api/v1/collections/sources", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let (status, _) = send(&s, "DELETE", "/api/v1/collections/sources/credor", None).await;
        assert_eq!(status, 204);
        let (status, _) = send(&s, "DELETE", "/api/v1/collections/sources/credor", None).await;
        assert_eq!(status, 404);
        let (status, _) = s.get("/api/v1/collections/sources/credor").await;
        assert_eq!(status, 404);
        let (_, doc) = s.get("/api/openapi.json").await;
        for path in [
            "/api/v1/collections/sources",
            "/api/v1/collections/sources/{name}",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path}");
        }
        assert!(doc["paths"]["/api/v1/collections/sources/{name}"]["put"].is_object());
        let _ = std::fs::remove_dir_all(root);
    }
);

both!(
    the_worker_polls_an_sftp_source_of_the_workspace,
    atende_testkit::url,
    |db: String| async move {
        let root = temp_dir("srv-sftp");
        let Some(server) = atende_testkit::sftp_server(&root) else {
            return;
        };
        let files = temp_dir("srv-files");
        let s = start(&db, &files).await;
        // a key with a passphrase, the passphrase in a file the source refers to, both in
        // the workspace's folder
        let keys = files.join("demo").join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        let key = keys.join("atom_ed25519");
        let out = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "frase secreta", "-f"])
            .arg(&key)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        server.authorize(&std::fs::read_to_string(key.with_extension("pub")).unwrap());
        std::fs::write(keys.join("passphrase"), "frase secreta\n").unwrap();
        let location = format!(
            "sftp://{}@127.0.0.1:{}{}",
            server.user,
            server.port,
            root.display()
        );
        let (status, body) = send(
            &s,
            "PUT",
            "/api/v1/collections/sources/credor",
            Some(json!({
                "kind": "sftp",
                "location": location,
                "key_file": key.display().to_string(),
                "secret": "file:keys/passphrase",
                "host_key": server.fingerprint,
                "every": 60
            })),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        // a source whose password reference is missing fails alone, saying why
        let (status, _) = send(
            &s,
            "PUT",
            "/api/v1/collections/sources/broken",
            Some(json!({
                "kind": "sftp",
                "location": location,
                "secret": "env:ATENDE_SOURCE_DEMO_UNSET_FOR_THIS_TEST",
                "host_key": server.fingerprint
            })),
        )
        .await;
        assert_eq!(status, 201);
        let (good, bad) = deliver(&root, 40);
        let mut polled = atende_server::pickup::poll_due(&s.app).await;
        polled.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        assert_eq!(polled.len(), 2);
        let err = polled[0].1.as_ref().unwrap_err();
        assert!(
            err.contains("ATENDE_SOURCE_DEMO_UNSET_FOR_THIS_TEST"),
            "{err}"
        );
        let report = polled[1].1.as_ref().unwrap();
        assert_eq!(report.files.len(), 2, "{report:#?}");
        check_filed_away(&root, &good, &bad);
        assert_eq!(
            runs(&s.app.store, "demo").await,
            [format!("rejected {bad}"), format!("imported {good}")]
        );
        let (_, credor) = s.get("/api/v1/collections/sources/credor").await;
        assert_eq!(credor["last_status"], "ok", "{credor}");
        assert!(
            credor["last_message"]
                .as_str()
                .unwrap()
                .starts_with("1 imported, 1 rejected"),
            "{credor}"
        );
        assert!(credor["last_poll_on"].is_string());
        let (_, broken) = s.get("/api/v1/collections/sources/broken").await;
        assert_eq!(broken["last_status"], "error");
        assert!(broken["last_message"]
            .as_str()
            .unwrap()
            .contains("environment variable is not set"));
        // not due again before its interval
        assert!(atende_server::pickup::poll_due(&s.app).await.is_empty());
        drop(server);
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(files);
    }
);

async fn app_on(
    db: &str,
    root: &std::path::Path,
    collections: Option<CollectionsPickup>,
) -> Arc<App> {
    let store = Store::open(db).await.unwrap();
    let config = Config {
        database_url: db.into(),
        demo: false,
        collections,
        collections_root: root.to_path_buf(),
        collections_tick: Duration::from_millis(50),
        ..Config::default()
    };
    App::new(store, config).unwrap()
}

both!(
    two_instances_never_poll_one_source_at_once,
    atende_testkit::url,
    |db: String| async move {
        let files = temp_dir("srv-inbox");
        let (a, b) = (
            app_on(&db, &files, None).await,
            app_on(&db, &files, None).await,
        );
        assert_ne!(a.instance, b.instance);
        a.store.ensure_workspace("atom", "ATOM").await.unwrap();
        let root = files.join("atom").join("entrada");
        std::fs::create_dir_all(&root).unwrap();
        let (good, bad) = deliver(&root, 300);
        let spec = SourceSpec {
            kind: SourceKind::Inbox,
            location: "entrada".into(),
            secret: String::new(),
            key_file: String::new(),
            host_key: String::new(),
            every_secs: 60,
            enabled: true,
            layouts: String::new(),
        };
        a.store.put_source("atom", "entrada", &spec).await.unwrap();
        let (from_a, from_b) = tokio::join!(
            atende_server::pickup::poll_due(&a),
            atende_server::pickup::poll_due(&b)
        );
        assert_eq!(from_a.len() + from_b.len(), 1, "one instance polls it");
        check_filed_away(&root, &good, &bad);
        assert_eq!(
            runs(&a.store, "atom").await,
            [format!("rejected {bad}"), format!("imported {good}")]
        );
        // a source stored with a reference outside its workspace (e.g. written to the
        // database directly) is refused when polled, not resolved
        let mut outside = spec.clone();
        outside.location = "/etc".into();
        a.store.put_source("atom", "fora", &outside).await.unwrap();
        let polled = atende_server::pickup::poll_due(&a).await;
        assert_eq!(polled.len(), 1);
        let err = polled[0].1.as_ref().unwrap_err();
        assert!(err.contains("outside this workspace's folder"), "{err}");
        let _ = std::fs::remove_dir_all(files);
    }
);

both!(
    the_serve_flags_define_a_source_the_worker_polls,
    atende_testkit::url,
    |db: String| async move {
        let root = temp_dir("srv-flags");
        let (good, bad) = deliver(&root, 20);
        let pickup = CollectionsPickup {
            workspace: "atom".into(),
            name: "serve".into(),
            spec: SourceSpec {
                kind: SourceKind::Inbox,
                location: root.display().to_string(),
                secret: String::new(),
                key_file: String::new(),
                host_key: String::new(),
                every_secs: 3600,
                enabled: true,
                layouts: String::new(),
            },
        };
        // the flags are the operator's: their paths need not be in a workspace folder
        let app = app_on(&db, &root.join("unused"), Some(pickup)).await;
        let worker = tokio::spawn(atende_server::pickup::run(app.clone()));
        let mut polled = None;
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if let Some(s) = app.store.source("atom", "serve").await.unwrap() {
                if !s.last_status.is_empty() {
                    polled = Some(s);
                    break;
                }
            }
        }
        worker.abort();
        let polled = polled.expect("the worker polled the flags' source");
        assert_eq!(polled.last_status, "ok", "{polled:?}");
        check_filed_away(&root, &good, &bad);
        let _ = std::fs::remove_dir_all(root);
    }
);
