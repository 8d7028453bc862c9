//! Pick-up from a real SFTP server (OpenSSH's sshd on loopback, started here; skipped with
//! a notice when not installed, required when `ATENDE_REQUIRE_SFTP` is set as in CI), on
//! SQLite and PostgreSQL.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use atende_collections::{sample, Layouts};
use atende_filesource::{FileSource, HostKeyCheck, SftpAuth, SftpConfig, SftpSource};
use atende_ingest::FileOutcome;
use atende_store::Store;
use atende_testkit::both;

async fn open(url: String) -> Store {
    Store::open(&url).await.unwrap()
}

both!(
    files_come_from_the_sftp_server_and_are_filed_away_there,
    open,
    |store: Store| async move {
        let root = std::env::temp_dir().join(format!(
            "atende-sftp-pickup-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let Some(server) = atende_testkit::sftp_server(&root) else {
            return;
        };
        let layouts = Layouts::defaults();
        let day = jiff::civil::date(2026, 8, 4);
        let remessa = layouts
            .get("remessa")
            .unwrap()
            .file_name(day.at(6, 0, 0, 0), "528");
        std::fs::write(
            root.join(&remessa),
            sample(layouts.get("remessa").unwrap(), 80, 7, day).to_bytes(),
        )
        .unwrap();
        // the next day's remessa is not a remessa at all
        let bad = layouts
            .get("remessa")
            .unwrap()
            .file_name(day.tomorrow().unwrap().at(6, 0, 0, 0), "528");
        std::fs::write(root.join(&bad), "não é uma remessa\n".repeat(3)).unwrap();
        std::fs::write(root.join("LEIAME.txt"), "no layout knows this name").unwrap();
        store.ensure_workspace("atom", "ATOM").await.unwrap();
        let source: Box<dyn FileSource + Send> = Box::new(SftpSource::new(SftpConfig {
            host: "127.0.0.1".into(),
            port: server.port,
            user: server.user.clone(),
            auth: SftpAuth::KeyFile {
                path: server.key_file.clone(),
                passphrase: None,
            },
            host_key: HostKeyCheck::KnownHosts(server.known_hosts.clone()),
            directory: root.display().to_string(),
            timeout: Duration::from_secs(10),
        }));
        let source = Arc::new(Mutex::new(source));
        let report = atende_ingest::pickup::poll(&store, &layouts, "atom", &source, &mut ())
            .await
            .unwrap();
        let outcomes: Vec<(&str, &FileOutcome)> = report
            .files
            .iter()
            .map(|f| (f.file_name.as_str(), &f.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                (remessa.as_str(), &FileOutcome::Imported),
                (bad.as_str(), &FileOutcome::Rejected)
            ],
            "{report:#?}"
        );
        assert_eq!(report.files[0].rows_imported, 80);
        assert_eq!(report.ignored, ["LEIAME.txt"]);
        let contracts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM contracts WHERE workspace_id = $1")
                .bind("atom")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert!(contracts > 0);
        // filed away on the server; the refusal's reasons written back beside the file
        assert!(root.join("processed").join(&remessa).exists());
        assert!(!root.join(&remessa).exists());
        assert!(root.join("rejected").join(&bad).exists());
        let errors =
            std::fs::read_to_string(root.join("rejected").join(format!("{bad}.errors.csv")))
                .unwrap();
        assert!(errors.starts_with("linha;campo;motivo\n1;"), "{errors}");
        assert!(root.join("LEIAME.txt").exists(), "unknown names stay");
        // the same remessa delivered again imports nothing and is filed away again
        std::fs::write(
            root.join(&remessa),
            sample(layouts.get("remessa").unwrap(), 80, 7, day).to_bytes(),
        )
        .unwrap();
        let again = atende_ingest::pickup::poll(&store, &layouts, "atom", &source, &mut ())
            .await
            .unwrap();
        assert_eq!(again.files.len(), 1);
        assert_eq!(again.files[0].outcome, FileOutcome::AlreadyImported);
        assert!(!root.join(&remessa).exists());
        assert!(root.join("processed").join(&remessa).exists());
        drop(server);
        let _ = std::fs::remove_dir_all(root);
    }
);
