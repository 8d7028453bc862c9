//! `atende collections …` through the binary: samples, import in the day's order, runs,
//! and a `kill -9` in the middle of an import leaving the base as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn atende(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atende"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run atende")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "atende-col-cli-{}-{}",
        std::process::id(),
        std::thread::current()
            .name()
            .unwrap_or("t")
            .replace("::", "-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sample(dir: &Path, layout: &str, rows: usize) -> PathBuf {
    let o = atende(
        dir,
        &[
            "collections",
            "sample",
            "--layout",
            layout,
            "--rows",
            &rows.to_string(),
            "--out",
            "in",
            "--date",
            "2026-08-04",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    PathBuf::from(stdout(&o).split(' ').next().unwrap())
}

#[test]
fn import_in_the_days_order_and_list_runs() {
    let dir = temp_dir();
    let parcelas = sample(&dir, "parcelas", 300);
    let remessa = sample(&dir, "remessa", 100);
    // given in the wrong order: the remessa still goes first
    let o = atende(
        &dir,
        &[
            "collections",
            "import",
            parcelas.to_str().unwrap(),
            remessa.to_str().unwrap(),
            "--db",
            "sqlite://hub.db",
        ],
    );
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("imported")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains("[remessa]") && lines[1].contains("[parcelas]"),
        "{out}"
    );
    // again: nothing imported twice
    let o = atende(
        &dir,
        &[
            "collections",
            "import",
            remessa.to_str().unwrap(),
            "--db",
            "sqlite://hub.db",
        ],
    );
    assert!(stdout(&o).starts_with("skipped"), "{}", stdout(&o));
    let o = atende(&dir, &["collections", "runs", "--db", "sqlite://hub.db"]);
    let runs = stdout(&o);
    let imported = runs
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("imported"));
    assert_eq!(imported.count(), 2, "{runs}");
    // a file no layout knows is refused with a clear message
    std::fs::write(dir.join("planilha.xlsx"), b"x").unwrap();
    let o = atende(
        &dir,
        &[
            "collections",
            "import",
            "planilha.xlsx",
            "--db",
            "sqlite://hub.db",
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("planilha.xlsx: nome de arquivo fora dos padrões esperados"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The refused rows of an import are listed in Portuguese, as the creditor's
/// `.errors.csv` has them, and `runs --errors` gives the same lines.
#[test]
fn refused_rows_are_reported_in_portuguese() {
    let dir = temp_dir();
    // no remessa before: every contract is unknown; line 3 is one character short
    let parcelas = sample(&dir, "parcelas", 4);
    let path = dir.join(&parcelas);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let length = lines[2].chars().count();
    lines[2].pop();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let db = "sqlite://hub.db";
    let o = atende(
        &dir,
        &[
            "collections",
            "import",
            parcelas.to_str().unwrap(),
            "--db",
            db,
        ],
    );
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("4 rows read, 0 imported, 4 refused"), "{out}");
    for expected in [
        "    linha 1, campo numero_contrato: contrato não encontrado na base".to_string(),
        format!(
            "    linha 3: tamanho do registro: esperado {length}, encontrado {}",
            length - 1
        ),
    ] {
        assert!(out.lines().any(|l| l == expected), "{expected}\n{out}");
    }
    let run = out
        .split(" run ")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    let o = atende(&dir, &["collections", "runs", "--errors", run, "--db", db]);
    let listed = stdout(&o);
    assert_eq!(listed.lines().count(), 4, "{listed}");
    assert!(
        listed
            .lines()
            .any(|l| l == "2;numero_contrato;contrato não encontrado na base"),
        "{listed}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
#[test]
fn kill_9_mid_import_leaves_the_base_as_it_was() {
    use std::os::unix::process::ExitStatusExt;
    let dir = temp_dir();
    let remessa = sample(&dir, "remessa", 20_000);
    let db = "sqlite://hub.db";
    let mut child = Command::new(env!("CARGO_BIN_EXE_atende"))
        .current_dir(&dir)
        .args([
            "collections",
            "import",
            remessa.to_str().unwrap(),
            "--db",
            db,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    child.kill().unwrap(); // SIGKILL: no cleanup runs
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the import must still have been running when killed"
    );
    // nothing of the file is in the base, and no run says it was imported
    let o = atende(&dir, &["collections", "runs", "--db", db]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout(&o).lines().count(),
        1,
        "only the header: {}",
        stdout(&o)
    );
    // the same file imports fully afterwards
    let o = atende(
        &dir,
        &[
            "collections",
            "import",
            remessa.to_str().unwrap(),
            "--db",
            db,
        ],
    );
    let out = stdout(&o);
    assert!(
        out.starts_with("imported") && out.contains("20000 rows read, 20000 imported"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
