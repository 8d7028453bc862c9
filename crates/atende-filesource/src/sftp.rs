//! An SFTP server directory as a file source (SSH, libssh2 through the `ssh2` crate).
//!
//! The server's host key is always checked before any credential is sent: against an
//! OpenSSH `known_hosts` file or a pinned `SHA256:` fingerprint (as `ssh-keygen -l`
//! prints it). There is deliberately no "accept any host key" mode, not even for tests:
//! they generate the server's key and pin it.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use ssh2::{CheckResult, HashType, KnownHostFileKind, Session, Sftp};

use crate::{check_name, is_candidate, temp_name, FileSource, RemoteFile, Result, SourceError};

/// How the client proves who it is. Secrets come from configuration or the
/// environment, never from code, and are never shown.
#[derive(Clone)]
pub enum SftpAuth {
    Password(String),
    /// A private key file (OpenSSH or PEM format), with its passphrase if it has one.
    KeyFile {
        path: PathBuf,
        passphrase: Option<String>,
    },
}

/// How the server proves who it is.
#[derive(Clone, Debug)]
pub enum HostKeyCheck {
    /// An OpenSSH `known_hosts` file (hashed names and `[host]:port` entries work).
    KnownHosts(PathBuf),
    /// `SHA256:<base64>`, the fingerprint `ssh-keygen -lf key.pub` prints.
    Fingerprint(String),
}

impl HostKeyCheck {
    /// `SHA256:…` is a fingerprint; anything else is the path of a known_hosts file.
    pub fn parse(text: &str) -> HostKeyCheck {
        if text.starts_with("SHA256:") {
            HostKeyCheck::Fingerprint(text.to_string())
        } else {
            HostKeyCheck::KnownHosts(PathBuf::from(text))
        }
    }
}

/// How to reach the server.
#[derive(Clone)]
pub struct SftpConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub auth: SftpAuth,
    pub host_key: HostKeyCheck,
    /// The inbox directory: absolute (`/remessas`) or relative to the login directory
    /// (`remessas`; empty: the login directory).
    pub directory: String,
    /// For connecting and for each request.
    pub timeout: Duration,
}

impl std::fmt::Debug for SftpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            SftpAuth::Password(_) => "password".to_string(),
            SftpAuth::KeyFile { path, .. } => format!("key {}", path.display()),
        };
        f.debug_struct("SftpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("auth", &auth)
            .field("host_key", &self.host_key)
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

impl SftpConfig {
    fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// An open session; `sftp` is declared first so it closes before the session.
struct Conn {
    sftp: Sftp,
    session: Session,
}

/// One SSH connection with its SFTP channel, opened on first use and reopened after an
/// error.
pub struct SftpSource {
    config: SftpConfig,
    conn: Option<Conn>,
}

impl SftpSource {
    pub fn new(config: SftpConfig) -> SftpSource {
        SftpSource { config, conn: None }
    }

    /// `user@host:port`, the start of every error message.
    fn target(&self) -> String {
        format!("{}@{}", self.config.user, self.config.address())
    }

    fn err(&self, what: impl Into<String>, why: impl std::fmt::Display) -> SourceError {
        SourceError::Sftp {
            target: self.target(),
            what: what.into(),
            why: why.to_string(),
        }
    }

    /// The directory as a prefix for names: `/in/`, `/`, `in/` or `` (login directory).
    fn prefix(&self) -> String {
        let d = self.config.directory.as_str();
        if d.is_empty() {
            String::new()
        } else if d.ends_with('/') {
            d.to_string()
        } else {
            format!("{d}/")
        }
    }

    fn dir(&self) -> PathBuf {
        match self.config.directory.as_str() {
            "" => PathBuf::from("."),
            d => PathBuf::from(d),
        }
    }

    fn path(&self, folder: &str, name: &str) -> PathBuf {
        match folder {
            "" => PathBuf::from(format!("{}{name}", self.prefix())),
            f => PathBuf::from(format!("{}{f}/{name}", self.prefix())),
        }
    }

    fn connect(&mut self) -> Result<&Conn> {
        if self.conn.is_none() {
            let conn = self.open()?;
            self.conn = Some(conn);
        }
        self.conn
            .as_ref()
            .ok_or_else(|| SourceError::Invalid("SFTP connection lost".into()))
    }

    fn open(&self) -> Result<Conn> {
        let config = &self.config;
        let address = config.address();
        let addr = (config.host.as_str(), config.port)
            .to_socket_addrs()
            .map_err(|e| self.err("resolving the host", e))?
            .next()
            .ok_or_else(|| self.err("resolving the host", "no address"))?;
        let tcp = TcpStream::connect_timeout(&addr, config.timeout)
            .map_err(|e| self.err("connecting", e))?;
        let mut session = Session::new().map_err(|e| self.err("starting SSH", e))?;
        session.set_tcp_stream(tcp);
        session.set_timeout(u32::try_from(config.timeout.as_millis()).unwrap_or(u32::MAX));
        session
            .handshake()
            .map_err(|e| self.err("SSH handshake", e))?;
        self.verify_host_key(&session, &address)?;
        match &config.auth {
            SftpAuth::Password(password) => session
                .userauth_password(&config.user, password)
                .map_err(|e| self.err("password authentication", e))?,
            SftpAuth::KeyFile { path, passphrase } => session
                .userauth_pubkey_file(&config.user, None, path, passphrase.as_deref())
                .map_err(|e| self.err(format!("key authentication with {}", path.display()), e))?,
        }
        if !session.authenticated() {
            return Err(self.err("authentication", "the server did not accept it"));
        }
        let sftp = session
            .sftp()
            .map_err(|e| self.err("opening the SFTP subsystem", e))?;
        Ok(Conn { sftp, session })
    }

    /// Refuses the connection unless the server's key is the expected one.
    fn verify_host_key(&self, session: &Session, address: &str) -> Result<()> {
        let (key, _) = session
            .host_key()
            .ok_or_else(|| self.err("host key check", "the server sent no host key"))?;
        match &self.config.host_key {
            HostKeyCheck::Fingerprint(expected) => {
                let hash = session
                    .host_key_hash(HashType::Sha256)
                    .ok_or_else(|| self.err("host key check", "no SHA-256 of the key"))?;
                let seen = format!(
                    "SHA256:{}",
                    base64::engine::general_purpose::STANDARD_NO_PAD.encode(hash)
                );
                if seen != expected.trim_end_matches('=') {
                    return Err(self.err(
                        "host key check",
                        format!(
                            "the server's key is {seen}, not the configured {expected}: refusing to connect (a changed server key or a man in the middle)"
                        ),
                    ));
                }
            }
            HostKeyCheck::KnownHosts(file) => {
                let mut known = session
                    .known_hosts()
                    .map_err(|e| self.err("host key check", e))?;
                known
                    .read_file(file, KnownHostFileKind::OpenSSH)
                    .map_err(|e| {
                        self.err(format!("host key check: reading {}", file.display()), e)
                    })?;
                match known.check_port(&self.config.host, self.config.port, key) {
                    CheckResult::Match => {}
                    CheckResult::Mismatch => {
                        return Err(self.err(
                            "host key check",
                            format!(
                                "the server's key differs from the one {} gives for {address}: refusing to connect (a changed server key or a man in the middle)",
                                file.display()
                            ),
                        ))
                    }
                    CheckResult::NotFound => {
                        return Err(self.err(
                            "host key check",
                            format!("{} has no key for {address}", file.display()),
                        ))
                    }
                    CheckResult::Failure => {
                        return Err(self.err(
                            "host key check",
                            format!("could not check against {}", file.display()),
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs `f` on the SFTP channel; an error drops the connection, so the next call
    /// reconnects.
    fn with<T>(&mut self, f: impl FnOnce(&Sftp) -> std::result::Result<T, Failed>) -> Result<T> {
        let result = f(&self.connect()?.sftp);
        match result {
            Ok(v) => Ok(v),
            Err((what, e)) => {
                self.disconnect();
                Err(self.err(what, e))
            }
        }
    }

    fn disconnect(&mut self) {
        if let Some(conn) = self.conn.take() {
            let Conn { sftp, session } = conn;
            drop(sftp);
            let _ = session.disconnect(None, "bye", None);
        }
    }
}

impl Drop for SftpSource {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// What failed and why, before the target is added.
type Failed = (String, String);

fn at<E: std::fmt::Display>(what: &str, path: &Path) -> impl FnOnce(E) -> Failed {
    let what = format!("{what} {}", path.display());
    move |e| (what, e.to_string())
}

/// Creates `dir` if missing (an existing one is the usual answer; any other problem
/// shows on the next request).
fn ensure_dir(sftp: &Sftp, dir: &Path) {
    if sftp.stat(dir).is_err() {
        let _ = sftp.mkdir(dir, 0o755);
    }
}

/// Renames, replacing `to` as the inbox folder and FTP do. SFTP version 3 (OpenSSH)
/// refuses to rename over an existing file, so then the old one is removed first:
/// a reader may briefly find no file, never a partial one.
fn rename_over(sftp: &Sftp, from: &Path, to: &Path) -> std::result::Result<(), Failed> {
    let what = || format!("moving {} to {}", from.display(), to.display());
    match sftp.rename(from, to, None) {
        Ok(()) => Ok(()),
        Err(first) => {
            if sftp.stat(to).is_err() {
                return Err((what(), first.to_string()));
            }
            sftp.unlink(to).map_err(at("removing the old", to))?;
            sftp.rename(from, to, None)
                .map_err(|e| (what(), e.to_string()))
        }
    }
}

impl FileSource for SftpSource {
    fn describe(&self) -> String {
        let dir = match self.config.directory.as_str() {
            "" => "~".to_string(),
            d if d.starts_with('/') => d.trim_start_matches('/').to_string(),
            d => format!("~/{d}"),
        };
        format!("sftp://{}/{dir}", self.target())
    }

    fn list(&mut self) -> Result<Vec<RemoteFile>> {
        let dir = self.dir();
        let entries = self.with(|s| s.readdir(&dir).map_err(at("listing", &dir)))?;
        let mut files: Vec<RemoteFile> = entries
            .into_iter()
            .filter(|(_, stat)| stat.is_file())
            .filter_map(|(path, stat)| {
                let name = path.file_name()?.to_str()?.to_string();
                is_candidate(&name).then_some(RemoteFile {
                    name,
                    size: stat.size.unwrap_or(0),
                })
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    fn fetch(&mut self, name: &str) -> Result<Vec<u8>> {
        check_name(name)?;
        let path = self.path("", name);
        self.with(|s| {
            let mut file = s.open(&path).map_err(at("opening", &path))?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(at("downloading", &path))?;
            Ok(bytes)
        })
    }

    fn file_away(&mut self, name: &str, folder: &str) -> Result<()> {
        check_name(name)?;
        check_name(folder)?;
        let (from, to) = (self.path("", name), self.path(folder, name));
        let dir = self.path("", folder);
        self.with(|s| {
            ensure_dir(s, &dir);
            rename_over(s, &from, &to)
        })
    }

    fn put(&mut self, folder: &str, name: &str, bytes: &[u8]) -> Result<()> {
        check_name(name)?;
        if !folder.is_empty() {
            check_name(folder)?;
        }
        let (tmp, path) = (self.path(folder, &temp_name(name)), self.path(folder, name));
        let dir = (!folder.is_empty()).then(|| self.path("", folder));
        self.with(|s| {
            if let Some(dir) = &dir {
                ensure_dir(s, dir);
            }
            let written = (|| {
                let mut file = s.create(&tmp).map_err(at("creating", &tmp))?;
                file.write_all(bytes).map_err(at("uploading", &tmp))?;
                // closing is when the server reports a failed write
                file.close().map_err(at("closing", &tmp))?;
                rename_over(s, &tmp, &path)
            })();
            if written.is_err() {
                // no half file left behind (a retry writes it whole again)
                let _ = s.unlink(&tmp);
            }
            written
        })
    }
}
