//! The same contract for the inbox folder, a real FTP server (pyftpdlib on loopback,
//! started by the test; skipped with a notice when it is not installed, required when
//! `ATENDE_REQUIRE_FTP` is set as in CI) and a real SFTP server (OpenSSH's sshd on
//! loopback, likewise with `ATENDE_REQUIRE_SFTP`).

use std::time::Duration;

use atende_filesource::{
    FileSource, FtpConfig, FtpSource, HostKeyCheck, InboxFolder, SftpAuth, SftpConfig, SftpSource,
    PROCESSED, REJECTED,
};

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

fn sftp_config(server: &atende_testkit::SftpServer, root: &std::path::Path) -> SftpConfig {
    SftpConfig {
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
    }
}

#[test]
fn sftp_server_on_loopback() {
    let root = temp_dir("sftp");
    let Some(server) = atende_testkit::sftp_server(&root) else {
        return;
    };
    let mut source = SftpSource::new(sftp_config(&server, &root));
    assert_eq!(
        source.describe(),
        format!(
            "sftp://{}@127.0.0.1:{}{}",
            server.user,
            server.port,
            root.display()
        )
    );
    contract(&mut source, &root);
    // a file filed away again (re-delivery) replaces the earlier one, as on the other
    // sources, though SFTP v3 renames refuse to overwrite
    let name = "20260802_120000_remessa_528_out.528";
    source.put("", name, b"first").unwrap();
    source.file_away(name, PROCESSED).unwrap();
    source.put("", name, b"second").unwrap();
    source.put("", name, b"second, rewritten").unwrap();
    assert_eq!(source.fetch(name).unwrap(), b"second, rewritten");
    source.file_away(name, PROCESSED).unwrap();
    assert_eq!(
        std::fs::read(root.join(PROCESSED).join(name)).unwrap(),
        b"second, rewritten"
    );
    // errors name the server and the path
    let err = source.fetch("missing.csv").unwrap_err().to_string();
    assert!(
        err.contains(&format!("127.0.0.1:{}", server.port)) && err.contains("missing.csv"),
        "{err}"
    );
    // and the connection comes back after one
    assert!(source.list().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn sftp_relative_directory_and_pinned_fingerprint() {
    let root = temp_dir("sftp-rel");
    let Some(server) = atende_testkit::sftp_server(&root) else {
        return;
    };
    // the server starts sessions in `root`: a relative directory is under it
    std::fs::create_dir_all(root.join("in")).unwrap();
    let mut config = sftp_config(&server, &root);
    config.directory = "in".into();
    config.host_key = HostKeyCheck::Fingerprint(server.fingerprint.clone());
    let mut source = SftpSource::new(config.clone());
    assert!(
        source.describe().ends_with("/~/in"),
        "{}",
        source.describe()
    );
    contract(&mut source, &root.join("in"));
    // and the login directory itself
    config.directory = String::new();
    let mut source = SftpSource::new(config);
    let names: Vec<String> = source.list().unwrap().into_iter().map(|f| f.name).collect();
    assert!(names.is_empty(), "{names:?}");
    source.put("", "x.csv", b"x").unwrap();
    assert!(root.join("x.csv").exists());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn sftp_refuses_an_unknown_or_changed_host_key_and_bad_credentials() {
    let root = temp_dir("sftp-keys");
    let Some(server) = atende_testkit::sftp_server(&root) else {
        return;
    };
    let port = server.port;
    let fails = |config: SftpConfig| -> String {
        let mut source = SftpSource::new(config);
        let err = source.list().unwrap_err().to_string();
        println!("{err}");
        err
    };
    // the fingerprint OpenSSH prints is accepted
    let mut config = sftp_config(&server, &root);
    config.host_key = HostKeyCheck::parse(&server.fingerprint);
    assert!(SftpSource::new(config.clone()).list().unwrap().is_empty());
    // another fingerprint is refused before any credential is sent
    config.host_key =
        HostKeyCheck::Fingerprint("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".into());
    let err = fails(config);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("refusing to connect"),
        "{err}"
    );
    // a known_hosts file without the server
    let other = root.join("other_known_hosts");
    std::fs::write(&other, "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n").unwrap();
    let mut config = sftp_config(&server, &root);
    config.host_key = HostKeyCheck::KnownHosts(other.clone());
    let err = fails(config);
    assert!(err.contains("has no key for"), "{err}");
    // a known_hosts file with another key for the server
    std::fs::write(&other, format!("[127.0.0.1]:{port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")).unwrap();
    let mut config = sftp_config(&server, &root);
    config.host_key = HostKeyCheck::KnownHosts(other);
    let err = fails(config);
    assert!(err.contains("refusing to connect"), "{err}");
    // a wrong password is a clear error naming the user and server, not a hang
    let mut config = sftp_config(&server, &root);
    config.auth = SftpAuth::Password("wrong".into());
    assert!(!format!("{config:?}").contains("wrong"));
    let err = fails(config);
    assert!(
        err.contains(&format!("{}@127.0.0.1:{port}", server.user))
            && err.contains("password authentication"),
        "{err}"
    );
    // a key the server does not know
    let stranger = root.join("stranger_key");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&stranger)
        .status()
        .unwrap();
    assert!(status.success());
    let mut config = sftp_config(&server, &root);
    config.auth = SftpAuth::KeyFile {
        path: stranger,
        passphrase: None,
    };
    let err = fails(config);
    assert!(err.contains("key authentication"), "{err}");
    // nobody listening
    drop(server);
    let err = fails(SftpConfig {
        host: "127.0.0.1".into(),
        port,
        user: "nobody".into(),
        auth: SftpAuth::Password(String::new()),
        host_key: HostKeyCheck::Fingerprint("SHA256:x".into()),
        directory: String::new(),
        timeout: Duration::from_secs(2),
    });
    assert!(
        err.contains(&format!("127.0.0.1:{port}: connecting")),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(root);
}

/// A reader polling the folder while a big file is uploaded never sees the final name
/// with less than the whole content: the upload goes to a temporary name first.
#[test]
fn sftp_put_is_atomic_for_readers() {
    let root = temp_dir("sftp-atomic");
    let Some(server) = atende_testkit::sftp_server(&root) else {
        return;
    };
    let mut source = SftpSource::new(sftp_config(&server, &root));
    let name = "big.csv";
    let bytes: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (dir, done, full) = (root.join(REJECTED), done.clone(), bytes.len() as u64);
        std::thread::spawn(move || {
            let (mut partial_seen, mut temp_seen, mut looks) = (0, 0, 0u64);
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                looks += 1;
                if let Ok(m) = std::fs::metadata(dir.join(name)) {
                    if m.len() != full {
                        partial_seen += 1;
                    }
                }
                if dir.join(format!(".{name}.part")).exists() {
                    temp_seen += 1;
                }
            }
            (partial_seen, temp_seen, looks)
        })
    };
    source.put(REJECTED, name, &bytes).unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (partial_seen, temp_seen, looks) = watcher.join().unwrap();
    println!("{looks} looks, the temporary name seen {temp_seen} times");
    assert_eq!(partial_seen, 0, "a reader saw a partial file");
    assert!(temp_seen > 0, "the upload was too quick to watch");
    assert_eq!(
        std::fs::read(root.join(REJECTED).join(name)).unwrap(),
        bytes
    );
    let _ = std::fs::remove_dir_all(root);
}
