//! An FTP server directory as a file source (binary transfers, passive mode).

use std::str::FromStr;
use std::time::Duration;

use suppaftp::list::File;
use suppaftp::types::FileType;
use suppaftp::FtpStream;

use crate::{check_name, is_candidate, temp_name, FileSource, RemoteFile, Result, SourceError};

/// How to reach the server. The password comes from configuration or the environment,
/// never from code, and is never shown.
#[derive(Clone)]
pub struct FtpConfig {
    /// `host:port` (port 21 when absent).
    pub address: String,
    pub user: String,
    pub password: String,
    /// The inbox directory on the server (`/` when empty).
    pub directory: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for FtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtpConfig")
            .field("address", &self.address)
            .field("user", &self.user)
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

/// One FTP connection, opened on first use and reopened after an error.
pub struct FtpSource {
    config: FtpConfig,
    stream: Option<FtpStream>,
}

fn ftp_err(what: impl Into<String>, e: impl std::fmt::Display) -> SourceError {
    SourceError::Ftp {
        what: what.into(),
        why: e.to_string(),
    }
}

impl FtpSource {
    pub fn new(config: FtpConfig) -> FtpSource {
        FtpSource {
            config,
            stream: None,
        }
    }

    fn dir(&self) -> String {
        match self.config.directory.trim_end_matches('/') {
            "" => String::new(),
            d => d.to_string(),
        }
    }

    fn path(&self, folder: &str, name: &str) -> String {
        match (self.dir(), folder) {
            (d, "") => format!("{d}/{name}"),
            (d, f) => format!("{d}/{f}/{name}"),
        }
    }

    fn connect(&mut self) -> Result<&mut FtpStream> {
        if self.stream.is_none() {
            let address = if self.config.address.contains(':') {
                self.config.address.clone()
            } else {
                format!("{}:21", self.config.address)
            };
            let addr = std::net::ToSocketAddrs::to_socket_addrs(&address)
                .map_err(|e| ftp_err(format!("resolving {address}"), e))?
                .next()
                .ok_or_else(|| SourceError::Invalid(format!("{address} has no address")))?;
            let mut stream = FtpStream::connect_timeout(addr, self.config.timeout)
                .map_err(|e| ftp_err(format!("connecting to {address}"), e))?;
            stream
                .login(self.config.user.as_str(), self.config.password.as_str())
                .map_err(|e| ftp_err(format!("login as {}", self.config.user), e))?;
            stream
                .transfer_type(FileType::Binary)
                .map_err(|e| ftp_err("binary mode", e))?;
            self.stream = Some(stream);
        }
        self.stream
            .as_mut()
            .ok_or_else(|| SourceError::Invalid("FTP connection lost".into()))
    }

    /// Runs `f` on the connection; an error drops it, so the next call reconnects.
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut FtpStream) -> std::result::Result<T, SourceError>,
    ) -> Result<T> {
        let result = f(self.connect()?);
        if result.is_err() {
            if let Some(mut s) = self.stream.take() {
                let _ = s.quit();
            }
        }
        result
    }

    fn ensure_dir(stream: &mut FtpStream, dir: &str) {
        // exists already is the usual answer; any other problem shows on the next command
        let _ = stream.mkdir(dir);
    }
}

impl Drop for FtpSource {
    fn drop(&mut self) {
        if let Some(mut s) = self.stream.take() {
            let _ = s.quit();
        }
    }
}

impl FileSource for FtpSource {
    fn describe(&self) -> String {
        format!(
            "ftp://{}@{}/{}",
            self.config.user,
            self.config.address,
            self.dir().trim_start_matches('/')
        )
    }

    fn list(&mut self) -> Result<Vec<RemoteFile>> {
        let dir = self.dir();
        let dir = if dir.is_empty() { "/".to_string() } else { dir };
        let lines = self.with(|s| {
            s.list(Some(&dir))
                .map_err(|e| ftp_err(format!("listing {dir}"), e))
        })?;
        let mut files: Vec<RemoteFile> = lines
            .iter()
            .filter_map(|line| File::from_str(line).ok())
            .filter(|f| f.is_file() && is_candidate(f.name()))
            .map(|f| RemoteFile {
                name: f.name().to_string(),
                size: f.size() as u64,
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    fn fetch(&mut self, name: &str) -> Result<Vec<u8>> {
        check_name(name)?;
        let path = self.path("", name);
        self.with(|s| {
            s.retr_as_buffer(&path)
                .map(|c| c.into_inner())
                .map_err(|e| ftp_err(format!("downloading {path}"), e))
        })
    }

    fn file_away(&mut self, name: &str, folder: &str) -> Result<()> {
        check_name(name)?;
        check_name(folder)?;
        let (from, to) = (self.path("", name), self.path(folder, name));
        let dir = self.path("", folder);
        self.with(|s| {
            Self::ensure_dir(s, &dir);
            s.rename(&from, &to)
                .map_err(|e| ftp_err(format!("moving {from} to {to}"), e))
        })
    }

    fn put(&mut self, folder: &str, name: &str, bytes: &[u8]) -> Result<()> {
        check_name(name)?;
        if !folder.is_empty() {
            check_name(folder)?;
        }
        let (tmp, path) = (self.path(folder, &temp_name(name)), self.path(folder, name));
        let dir = if folder.is_empty() {
            String::new()
        } else {
            self.path("", folder)
        };
        self.with(|s| {
            if !dir.is_empty() {
                Self::ensure_dir(s, &dir);
            }
            let written = s
                .put_file(&tmp, &mut std::io::Cursor::new(bytes))
                .map_err(|e| ftp_err(format!("uploading {tmp}"), e))
                .and_then(|_| {
                    s.rename(&tmp, &path)
                        .map_err(|e| ftp_err(format!("renaming {tmp} to {path}"), e))
                });
            if written.is_err() {
                // no half file left behind (a retry writes it whole again)
                let _ = s.rm(&tmp);
            }
            written
        })
    }
}
