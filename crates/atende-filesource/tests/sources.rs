//! The same contract for the inbox folder and a real FTP server (pyftpdlib on loopback,
//! started by the test; skipped with a notice when it is not installed, required when
//! `ATENDE_REQUIRE_FTP` is set as in CI).

use std::time::Duration;

use atende_filesource::{FileSource, FtpConfig, FtpSource, InboxFolder, PROCESSED, REJECTED};

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "atende-{tag}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}

/// What every source must do. `root` is the source's folder on this machine, to check
/// where files ended up.
fn contract(source: &mut dyn FileSource, root: &std::path::Path) {
    assert!(source.list().unwrap().is_empty());
    let remessa = "20260801_120000_remessa_528_out.528";
    let content = "1|0001|52998224725|Maria Silva\n".repeat(1000);
    source.put("", remessa, content.as_bytes()).unwrap();
    source
        .put(
            "",
            "bat_carteira_veic_01082026_528.csv.528",
            b"CONTRATO;X\n",
        )
        .unwrap();
    // a partial upload and a hidden file are not offered
    std::fs::write(root.join("upload.csv.part"), b"half").unwrap();
    std::fs::write(root.join(".hidden"), b"x").unwrap();
    let listed = source.list().unwrap();
    let names: Vec<&str> = listed.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "20260801_120000_remessa_528_out.528",
            "bat_carteira_veic_01082026_528.csv.528"
        ]
    );
    assert_eq!(listed[0].size, content.len() as u64);
    assert_eq!(
        source.fetch(remessa).unwrap(),
        content.as_bytes(),
        "binary-exact"
    );
    source.file_away(remessa, PROCESSED).unwrap();
    source
        .file_away("bat_carteira_veic_01082026_528.csv.528", REJECTED)
        .unwrap();
    source
        .put(
            REJECTED,
            "bat_carteira_veic_01082026_528.csv.528.errors.csv",
            b"linha;campo;motivo\n2;CONTRATO;vazio\n",
        )
        .unwrap();
    assert!(root.join(PROCESSED).join(remessa).exists());
    assert!(root
        .join(REJECTED)
        .join("bat_carteira_veic_01082026_528.csv.528")
        .exists());
    let errors = std::fs::read_to_string(
        root.join(REJECTED)
            .join("bat_carteira_veic_01082026_528.csv.528.errors.csv"),
    )
    .unwrap();
    assert!(errors.contains("2;CONTRATO;vazio"));
    // no temporary upload names left behind
    let leftovers: Vec<_> = std::fs::read_dir(root.join(REJECTED))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(source.fetch("../etc/passwd").is_err());
}

#[test]
fn inbox_folder() {
    let root = temp_dir("inbox");
    let mut source = InboxFolder::new(&root).unwrap();
    assert!(source.describe().starts_with("inbox "));
    contract(&mut source, &root);
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn ftp_server_on_loopback() {
    let root = temp_dir("ftp");
    let Some(server) = atende_testkit::ftp_server(&root) else {
        return;
    };
    let port = server.port;
    let mut source = FtpSource::new(FtpConfig {
        address: format!("127.0.0.1:{port}"),
        user: "evo".into(),
        password: "s3cret".into(),
        directory: String::new(),
        timeout: Duration::from_secs(5),
    });
    assert!(!source.describe().contains("s3cret"));
    contract(&mut source, &root);
    // a wrong password is a clear error, not a hang
    let mut bad = FtpSource::new(FtpConfig {
        address: format!("127.0.0.1:{port}"),
        user: "evo".into(),
        password: "wrong".into(),
        directory: String::new(),
        timeout: Duration::from_secs(5),
    });
    let err = bad.list().unwrap_err().to_string();
    assert!(err.contains("login as evo"), "{err}");
    let _ = std::fs::remove_dir_all(root);
}
