//! Test support for the workspace's integration tests (a dev-dependency only):
//! - [`sqlite_url`], [`postgres_url`]: a fresh database per test, so claims and counts
//!   never see another test's rows; PostgreSQL only when `ATENDE_TEST_POSTGRES_URL` names
//!   a server (`scripts/postgres.sh` starts one), else a printed `SKIPPED` notice, or a
//!   failure when `ATENDE_REQUIRE_POSTGRES` is set (CI);
//! - [`both!`]: one async test body run on each backend;
//! - [`ftp_server`]: pyftpdlib on loopback (skipped with a notice when not installed,
//!   required when `ATENDE_REQUIRE_FTP` is set).

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

/// Runs `$body(setup(url).await)` on SQLite, and on PostgreSQL when configured.
/// `setup` is an async fn from a database URL to what the body takes (a `Store`, a
/// started server, or the URL itself with [`url`]).
#[macro_export]
macro_rules! both {
    ($name:ident, $setup:path, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_backend() {
                ($body)($setup($crate::sqlite_url()).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_backend() {
                if let Some(url) = $crate::postgres_url().await {
                    ($body)($setup(url).await).await;
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
