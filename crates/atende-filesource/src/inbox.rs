//! A local folder as a file source.

use std::path::{Path, PathBuf};

use crate::{check_name, is_candidate, temp_name, FileSource, RemoteFile, Result, SourceError};

/// A folder on this machine: files in it are the inbox; `processed/` and `rejected/`
/// are created inside it on first use.
#[derive(Clone, Debug)]
pub struct InboxFolder {
    root: PathBuf,
}

impl InboxFolder {
    /// Uses `root`, creating it when missing.
    pub fn new(root: impl Into<PathBuf>) -> Result<InboxFolder> {
        let root = root.into();
        std::fs::create_dir_all(&root)
            .map_err(|e| io(format!("creating {}", root.display()), e))?;
        Ok(InboxFolder { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

fn io(what: String, source: std::io::Error) -> SourceError {
    SourceError::Io { what, source }
}

impl FileSource for InboxFolder {
    fn describe(&self) -> String {
        format!("inbox {}", self.root.display())
    }

    fn list(&mut self) -> Result<Vec<RemoteFile>> {
        let entries = std::fs::read_dir(&self.root)
            .map_err(|e| io(format!("listing {}", self.root.display()), e))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io(format!("listing {}", self.root.display()), e))?;
            let meta = entry
                .metadata()
                .map_err(|e| io(format!("reading {}", entry.path().display()), e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if meta.is_file() && is_candidate(&name) {
                files.push(RemoteFile {
                    name,
                    size: meta.len(),
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    fn fetch(&mut self, name: &str) -> Result<Vec<u8>> {
        check_name(name)?;
        let path = self.root.join(name);
        std::fs::read(&path).map_err(|e| io(format!("reading {}", path.display()), e))
    }

    fn file_away(&mut self, name: &str, folder: &str) -> Result<()> {
        check_name(name)?;
        check_name(folder)?;
        let dir = self.root.join(folder);
        std::fs::create_dir_all(&dir).map_err(|e| io(format!("creating {}", dir.display()), e))?;
        let (from, to) = (self.root.join(name), dir.join(name));
        std::fs::rename(&from, &to)
            .map_err(|e| io(format!("moving {} to {}", from.display(), to.display()), e))
    }

    fn put(&mut self, folder: &str, name: &str, bytes: &[u8]) -> Result<()> {
        check_name(name)?;
        let dir = if folder.is_empty() {
            self.root.clone()
        } else {
            check_name(folder)?;
            self.root.join(folder)
        };
        std::fs::create_dir_all(&dir).map_err(|e| io(format!("creating {}", dir.display()), e))?;
        let (tmp, path) = (dir.join(temp_name(name)), dir.join(name));
        std::fs::write(&tmp, bytes).map_err(|e| io(format!("writing {}", tmp.display()), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(format!("renaming to {}", path.display()), e))
    }
}
