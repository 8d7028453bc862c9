//! `atende collections sources …` and `atende serve --collections-sftp …` through the
//! binary: sources managed from the command line, and a server picking a remessa up from
//! a real SFTP server (OpenSSH's sshd on loopback, started here; skipped with a notice
//! when not installed, required when `ATENDE_REQUIRE_SFTP` is set).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn atende(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atende"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run atende")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atende-src-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sources_are_managed_from_the_command_line() {
    let dir = temp_dir("manage");
    let db = ["--db", "sqlite://hub.db", "--workspace", "atom"];
    let sources = |args: &[&str]| {
        let mut all = vec!["collections", "sources"];
        all.extend_from_slice(args);
        all.extend_from_slice(&db);
        atende(&dir, &all)
    };
    let o = sources(&[
        "add",
        "credor",
        "--kind",
        "sftp",
        "--location",
        "sftp://evo@sftp.credor.com.br:2222/remessas",
        "--secret",
        "env:ATENDE_SOURCE_ATOM_SFTP_PASSWORD",
        "--host-key",
        "SHA256:7K0oXOV/Gi6YcukUDobP30UzSkV3WTpCEwd7NhnGfRg",
        "--every",
        "300",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("added source credor"), "{}", text(&o));
    // a password in clear or in the URL is refused, naming the field
    let o = sources(&[
        "add",
        "x",
        "--kind",
        "ftp",
        "--location",
        "ftp://evo@h/out",
        "--secret",
        "hunter2",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("field 'secret'"), "{}", text(&o));
    let o = sources(&[
        "add",
        "x",
        "--kind",
        "ftp",
        "--location",
        "ftp://evo:hunter2@h/out",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("field 'location'"), "{}", text(&o));
    let o = sources(&["list"]);
    let listed = text(&o);
    assert!(o.status.success(), "{listed}");
    let line = listed.lines().find(|l| l.starts_with("credor")).unwrap();
    assert!(
        line.contains("sftp")
            && line.contains("yes")
            && line.contains("300s")
            && line.contains("never"),
        "{line}"
    );
    assert!(!listed.contains("hunter2"));
    assert!(sources(&["disable", "credor"]).status.success());
    let o = sources(&["list"]);
    let line = text(&o)
        .lines()
        .find(|l| l.starts_with("credor"))
        .unwrap()
        .to_string();
    assert!(line.contains(" no "), "{line}");
    assert!(sources(&["enable", "credor"]).status.success());
    assert!(sources(&["remove", "credor"]).status.success());
    let o = sources(&["remove", "credor"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no source"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(dir);
}

/// Stops the server however the test ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_picks_files_up_from_the_sftp_server_of_its_flags() {
    let dir = temp_dir("serve");
    let root = dir.join("sftp");
    let Some(server) = atende_testkit::sftp_server(&root) else {
        return;
    };
    let layouts = atende_collections::Layouts::defaults();
    let l = layouts.get("remessa").unwrap();
    let day = jiff::civil::date(2026, 8, 4);
    let name = l.file_name(day.at(6, 0, 0, 0), "528");
    std::fs::write(
        root.join(&name),
        atende_collections::sample(l, 25, 9, day).to_bytes(),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let location = format!(
        "sftp://{}@127.0.0.1:{}{}",
        server.user,
        server.port,
        root.display()
    );
    let child = Command::new(env!("CARGO_BIN_EXE_atende"))
        .current_dir(&dir)
        .args(["serve", "--no-demo", "--db", "sqlite://hub.db"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--collections-sftp", &location])
        .arg("--collections-sftp-key")
        .arg(&server.key_file)
        .args([
            "--collections-sftp-host-key",
            &server.known_hosts.display().to_string(),
        ])
        .args([
            "--collections-workspace",
            "atom",
            "--collections-every",
            "1",
        ])
        .env_remove("ATENDE_SFTP_PASSWORD")
        .env("ATENDE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start atende serve");
    let running = Running(child);
    let processed = root.join("processed").join(&name);
    for _ in 0..300 {
        if processed.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // the file is filed away before the poll's outcome is recorded: wait for both
    // before stopping the server
    let list = || {
        let o = atende(
            &dir,
            &[
                "collections",
                "sources",
                "list",
                "--db",
                "sqlite://hub.db",
                "--workspace",
                "atom",
            ],
        );
        text(&o)
    };
    for _ in 0..300 {
        if list().contains(" ok: ") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(running);
    assert!(processed.exists(), "the server did not pick {name} up");
    let o = atende(
        &dir,
        &[
            "collections",
            "runs",
            "--db",
            "sqlite://hub.db",
            "--workspace",
            "atom",
        ],
    );
    assert!(
        text(&o).contains(&name) && text(&o).contains("imported"),
        "{}",
        text(&o)
    );
    let listed = list();
    let line = listed
        .lines()
        .find(|l| l.starts_with("serve"))
        .map(str::to_owned);
    let line = line.unwrap_or_else(|| panic!("{listed}"));
    assert!(
        line.contains("sftp") && line.contains(" ok: 1 imported"),
        "{line}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}
