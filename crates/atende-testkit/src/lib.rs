//! Test support for the workspace's integration tests (a dev-dependency only):
//! - [`sqlite_url`], [`postgres_url`]: a fresh database per test, so claims and counts
//!   never see another test's rows; PostgreSQL only when `ATENDE_TEST_POSTGRES_URL` names
//!   a server (`scripts/postgres.sh` starts one), else a printed `SKIPPED` notice, or a
//!   failure when `ATENDE_REQUIRE_POSTGRES` is set (CI);
//! - [`both!`]: one async test body run on each backend;
//! - [`ftp_server`]: pyftpdlib on loopback (skipped with a notice when not installed,
//!   required when `ATENDE_REQUIRE_FTP` is set);
//! - [`sftp_server`]: OpenSSH's sshd on loopback, run as the current user with a host
//!   key and a client key made for it (skipped with a notice when not installed,
//!   required when `ATENDE_REQUIRE_SFTP` is set).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A SQLite database file of its own.
pub fn sqlite_url() -> String {
    let path =
        std::env::temp_dir().join(format!("atende-test-{}.db", uuid::Uuid::new_v4().simple()));
    format!("sqlite://{}", path.display())
}

/// A PostgreSQL database of its own on the configured server, or `None` with a notice.
pub async fn postgres_url() -> Option<String> {
    let Ok(url) = std::env::var("ATENDE_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("ATENDE_REQUIRE_POSTGRES").is_none(),
            "ATENDE_REQUIRE_POSTGRES is set but ATENDE_TEST_POSTGRES_URL is not"
        );
        println!("SKIPPED PostgreSQL variant: ATENDE_TEST_POSTGRES_URL is not set");
        return None;
    };
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&url)
        .await
        .expect("cannot reach ATENDE_TEST_POSTGRES_URL");
    let name = format!("atende_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("CREATE DATABASE");
    admin.close().await;
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// Removes a database [`sqlite_url`] made (and its WAL files) once its test passed; a
/// failed test's stays for a look.
pub fn drop_sqlite(url: &str) {
    let path = url.trim_start_matches("sqlite://");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

/// Drops a database [`postgres_url`] made once its test passed (the connections the
/// test left open are closed by the server); a failed test's stays for a look.
pub async fn drop_postgres(url: &str) {
    let (Ok(admin_url), Some((_, name))) = (
        std::env::var("ATENDE_TEST_POSTGRES_URL"),
        url.rsplit_once('/'),
    ) else {
        return;
    };
    if !name.starts_with("atende_t_") {
        return;
    }
    if let Ok(admin) = sqlx::AnyPool::connect(&admin_url).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await;
        admin.close().await;
    }
}

/// Runs `$body(setup(url).await)` on SQLite, and on PostgreSQL when configured; the
/// database goes once the body returned.
/// `setup` is an async fn from a database URL to what the body takes (a `Store`, a
/// started server, or the URL itself with [`url`]).
#[macro_export]
macro_rules! both {
    ($name:ident, $setup:path, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_backend() {
                let url = $crate::sqlite_url();
                ($body)($setup(url.clone()).await).await;
                $crate::drop_sqlite(&url);
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_backend() {
                if let Some(url) = $crate::postgres_url().await {
                    ($body)($setup(url.clone()).await).await;
                    $crate::drop_postgres(&url).await;
                }
            }
        }
    };
}

/// The URL itself, for [`both!`] bodies that open the database their own way.
pub async fn url(url: String) -> String {
    url
}

/// A pyftpdlib server serving `root` (user `evo`, password `s3cret`), stopped on drop.
pub struct FtpServer {
    child: Child,
    pub port: u16,
}

impl Drop for FtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const FTP_USER: &str = "evo";
pub const FTP_PASSWORD: &str = "s3cret";

/// Starts pyftpdlib on a free loopback port, or `None` with a notice when not installed.
pub fn ftp_server(root: &std::path::Path) -> Option<FtpServer> {
    let installed = Command::new("python3")
        .args(["-c", "import pyftpdlib"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        assert!(
            std::env::var_os("ATENDE_REQUIRE_FTP").is_none(),
            "ATENDE_REQUIRE_FTP is set but pyftpdlib is not installed"
        );
        println!("SKIPPED FTP test: python3 -m pyftpdlib not available (pip install pyftpdlib)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "pyftpdlib",
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-w",
        ])
        .args(["-u", FTP_USER, "-P", FTP_PASSWORD, "-d"])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pyftpdlib");
    let server = FtpServer { child, port };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("pyftpdlib did not start on port {port}");
}

/// OpenSSH's sshd serving SFTP (`internal-sftp`) on a loopback port, as the current
/// user, stopped on drop. Everything it needs is made in a temporary folder: its host key
/// (the client pins it through [`SftpServer::known_hosts`] or
/// [`SftpServer::fingerprint`]) and a client key ([`SftpServer::key_file`]) that is the
/// only way in (password logins would need a system password for the user).
pub struct SftpServer {
    child: Child,
    pub port: u16,
    /// The user the client logs in as (the one running the test).
    pub user: String,
    /// The client's private key (OpenSSH format, no passphrase).
    pub key_file: std::path::PathBuf,
    /// A known_hosts file with the server's key for `[127.0.0.1]:port`.
    pub known_hosts: std::path::PathBuf,
    /// The server key's `SHA256:…` fingerprint, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    dir: std::path::PathBuf,
}

impl SftpServer {
    /// Lets another client key in (a line of a `.pub` file).
    pub fn authorize(&self, public_key: &str) {
        use std::io::Write;
        let mut keys = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("authorized_keys"))
            .expect("authorized_keys");
        writeln!(keys, "{}", public_key.trim()).expect("authorized_keys");
    }
}

impl Drop for SftpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SSHD: &str = "/usr/sbin/sshd";

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Starts sshd for SFTP on a free loopback port. `root` is the SFTP session's starting
/// directory, so clients reach it by its absolute path or as the login directory (an
/// empty or relative directory). `None` with a notice when OpenSSH's server is not
/// installed.
pub fn sftp_server(root: &std::path::Path) -> Option<SftpServer> {
    let installed = std::path::Path::new(SSHD).exists()
        && Command::new("ssh-keygen")
            .arg("-?")
            .stderr(Stdio::null())
            .status()
            .is_ok();
    if !installed {
        assert!(
            std::env::var_os("ATENDE_REQUIRE_SFTP").is_none(),
            "ATENDE_REQUIRE_SFTP is set but {SSHD} is not installed (apt-get install openssh-server)"
        );
        println!("SKIPPED SFTP test: {SSHD} not available (apt-get install openssh-server)");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("atende-sshd-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("sshd folder");
    let (host_key, key_file) = (dir.join("host_key"), dir.join("client_key"));
    for key in [&host_key, &key_file] {
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "atende-test", "-f"])
            .arg(key));
    }
    std::fs::copy(key_file.with_extension("pub"), dir.join("authorized_keys"))
        .expect("authorized_keys");
    let user = run(Command::new("id").arg("-un"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let host_pub = std::fs::read_to_string(host_key.with_extension("pub")).expect("host key");
    let host_pub: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    let known_hosts = dir.join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{port} {}\n", host_pub.join(" ")),
    )
    .expect("known_hosts");
    let fingerprint = run(Command::new("ssh-keygen")
        .arg("-lf")
        .arg(host_key.with_extension("pub")))
    .split_whitespace()
    .nth(1)
    .expect("a fingerprint")
    .to_string();
    // as root, sshd wants its privilege separation folder (made by the service otherwise)
    if user == "root" {
        let _ = std::fs::create_dir_all("/run/sshd");
    }
    std::fs::create_dir_all(root).expect("SFTP root");
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile none\n\
             AuthorizedKeysFile {keys}\nStrictModes no\nUsePAM no\n\
             PasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp -d {root}\n\
             LogLevel ERROR\n",
            host = host_key.display(),
            root = root.display(),
            keys = dir.join("authorized_keys").display(),
        ),
    )
    .expect("sshd_config");
    let log = std::fs::File::create(dir.join("sshd.log")).expect("sshd.log");
    let child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start sshd");
    let server = SftpServer {
        child,
        port,
        user,
        key_file,
        known_hosts,
        fingerprint,
        dir,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(server.dir.join("sshd.log")).unwrap_or_default();
    panic!("sshd did not start on port {port}: {log}");
}
