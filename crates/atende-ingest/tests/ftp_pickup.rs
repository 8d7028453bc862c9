//! Pick-up from a real FTP server (pyftpdlib on loopback, started here; skipped with a
//! notice when not installed, required when `ATENDE_REQUIRE_FTP` is set as in CI).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use atende_collections::{sample, Layouts};
use atende_filesource::{FileSource, FtpConfig, FtpSource};
use atende_ingest::FileOutcome;
use atende_store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_come_from_the_ftp_server_and_are_filed_away_there() {
    let root = std::env::temp_dir().join(format!(
        "atende-ftp-pickup-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&root).unwrap();
    let Some(server) = atende_testkit::ftp_server(&root) else {
        return;
    };
    let port = server.port;
    let layouts = Layouts::defaults();
    let day = jiff::civil::date(2026, 8, 4);
    for layout in ["parcelas", "remessa"] {
        let l = layouts.get(layout).unwrap();
        std::fs::write(
            root.join(l.file_name(day.at(6, 0, 0, 0), "528")),
            sample(l, 50, 7, day).to_bytes(),
        )
        .unwrap();
    }
    let bad = layouts
        .get("remessa")
        .unwrap()
        .file_name(day.tomorrow().unwrap().at(6, 0, 0, 0), "528");
    std::fs::write(root.join(&bad), "não é uma remessa\n").unwrap();
    let path =
        std::env::temp_dir().join(format!("atende-ftp-{}.db", uuid::Uuid::new_v4().simple()));
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.ensure_workspace("atom", "ATOM").await.unwrap();
    let source: Box<dyn FileSource + Send> = Box::new(FtpSource::new(FtpConfig {
        address: format!("127.0.0.1:{port}"),
        user: "evo".into(),
        password: "s3cret".into(),
        directory: String::new(),
        timeout: Duration::from_secs(5),
    }));
    let source = Arc::new(Mutex::new(source));
    let report = atende_ingest::pickup::poll(&store, &layouts, "atom", &source, &mut ())
        .await
        .unwrap();
    let outcomes: Vec<(&str, &FileOutcome)> = report
        .files
        .iter()
        .map(|f| (f.layout.as_str(), &f.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("remessa", &FileOutcome::Imported),
            ("parcelas", &FileOutcome::Imported),
            ("remessa", &FileOutcome::Rejected)
        ],
        "{report:#?}"
    );
    // filed away on the server, the refusal's reasons beside the refused file
    let processed = std::fs::read_dir(root.join("processed")).unwrap().count();
    assert_eq!(processed, 2);
    assert!(root.join("rejected").join(&bad).exists());
    let errors =
        std::fs::read_to_string(root.join("rejected").join(format!("{bad}.errors.csv"))).unwrap();
    assert!(errors.starts_with("linha;campo;motivo"), "{errors}");
    // the inbox is empty: the next poll has nothing to do
    let again = atende_ingest::pickup::poll(&store, &layouts, "atom", &source, &mut ())
        .await
        .unwrap();
    assert!(again.files.is_empty());
    let _ = std::fs::remove_dir_all(root);
}
