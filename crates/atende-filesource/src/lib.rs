//! Where data files come from and where they go: a local inbox folder, an FTP server or
//! an SFTP server, behind one [`FileSource`] trait, so the importer does not care which.
//!
//! Layout of a source (the creditor's convention in the ATOM spec):
//! - the inbox (the folder itself, or the FTP/SFTP directory) holds new files;
//! - `processed/` receives files once imported;
//! - `rejected/` receives refused files, each with a `<name>.errors.csv` beside it
//!   (line number, field, reason), which is also written to the source's error folder.
//!
//! Writes are atomic for readers: a file is written under a temporary name and renamed
//! when complete, so a poller on the other side never reads half a file.
//!
//! The API is synchronous (FTP and SFTP are conversations over one connection); async
//! callers run it on a blocking thread.

mod ftp;
mod inbox;
mod location;
mod sftp;

pub use ftp::{FtpConfig, FtpSource};
pub use inbox::InboxFolder;
pub use location::{parse_location, Location, Scheme};
pub use sftp::{HostKeyCheck, SftpAuth, SftpConfig, SftpSource};

/// Folder names inside a source.
pub const PROCESSED: &str = "processed";
pub const REJECTED: &str = "rejected";

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("FTP {what}: {why}")]
    Ftp { what: String, why: String },
    /// `target` is `user@host:port`.
    #[error("SFTP {target}: {what}: {why}")]
    Sftp {
        target: String,
        what: String,
        why: String,
    },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, SourceError>;

/// A file waiting in a source's inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteFile {
    pub name: String,
    pub size: u64,
}

/// A place files arrive in and are filed away from.
pub trait FileSource {
    /// A short description for logs (`inbox /srv/atom/in`, `ftp://evo@host/out`), without
    /// secrets.
    fn describe(&self) -> String;
    /// Files in the inbox (not folders, not temporary uploads), by name.
    fn list(&mut self) -> Result<Vec<RemoteFile>>;
    /// A file's content.
    fn fetch(&mut self, name: &str) -> Result<Vec<u8>>;
    /// Moves an inbox file into `folder` (`processed` or `rejected`), creating it.
    fn file_away(&mut self, name: &str, folder: &str) -> Result<()>;
    /// Writes `bytes` as `folder/name`, under a temporary name first, renamed at the end.
    fn put(&mut self, folder: &str, name: &str, bytes: &[u8]) -> Result<()>;
}

/// Rejects names that could leave the source (`..`, separators) or are hidden/temporary.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\\')
        || name.contains('\0');
    if bad {
        return Err(SourceError::Invalid(format!("unsafe file name {name:?}")));
    }
    Ok(())
}

/// Whether an inbox entry is one to import: not hidden, not a partial upload.
pub(crate) fn is_candidate(name: &str) -> bool {
    !name.starts_with('.') && !name.ends_with(".part") && !name.ends_with(".tmp")
}

/// The temporary name a file is written under before its rename.
pub(crate) fn temp_name(name: &str) -> String {
    format!(".{name}.part")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("20260801_120000_remessa_528_out.528").is_ok());
        for bad in ["", "..", "../x", "a/b", "a\\b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(!is_candidate(".hidden"));
        assert!(!is_candidate("file.csv.part"));
        assert!(is_candidate("bat_carteira_veic_04082023_528.csv.528"));
    }
}
