//! Runners for the shared conformance corpora.
//!
//! Each runner reads case files, checks every case and returns a [`Report`]; the CLI
//! (`atende conformance …`, `atende br check`) and the crates' tests both go through
//! here, so what CI checks is exactly what a user runs. Corpora live outside the
//! repository (`../shared/corpus`, AGPL-3.0 data); [`shared_corpus_dir`] finds them and
//! tests print a skip notice when they are absent.

use std::fmt;
use std::path::PathBuf;

pub mod br;
pub mod expressions;
pub mod runner;

/// The outcome of running one or more case files.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    /// One line per failing case, already formatted as `FAIL <id>: …`.
    pub failures: Vec<String>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.failures.len()
    }

    pub fn pass(&mut self) {
        self.passed += 1;
    }

    pub fn fail(&mut self, id: &str, why: impl fmt::Display) {
        self.failures.push(format!("FAIL {id}: {why}"));
    }

    pub fn merge(&mut self, other: Report) {
        self.passed += other.passed;
        self.failures.extend(other.failures);
    }

    /// The closing line every conformance command prints.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failed())
    }
}

/// Errors that stop a runner before it can check cases (unreadable file, bad JSON line).
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Finds `shared/corpus` by walking up from the current directory and from this crate's
/// folder; the corpora sit beside the repository clone (`../shared`), never inside it.
/// `ATENDE_SHARED` overrides the search.
pub fn shared_corpus_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("ATENDE_SHARED") {
        let p = PathBuf::from(dir).join("corpus");
        return p.is_dir().then_some(p);
    }
    let starts = [
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            let candidate = dir.join("shared").join("corpus");
            if candidate.is_dir() {
                return Some(candidate);
            }
        }
    }
    None
}

/// For tests: the corpus folder, or `None` after printing why the test is skipped.
pub fn corpus_or_skip(what: &str) -> Option<PathBuf> {
    match shared_corpus_dir() {
        Some(dir) => Some(dir),
        None => {
            println!(
                "SKIPPED {what}: ../shared/corpus not found (it sits beside the repository \
                 clone; set ATENDE_SHARED to its parent folder to run this test)"
            );
            None
        }
    }
}

/// The cases a corpus test knowingly does not pass: `<id> <reason>` per line, `#` for
/// comments. Keeps the list exact: every failure must be listed, and a listed case that
/// passes must be removed.
pub struct Unsupported {
    entries: std::collections::BTreeMap<String, String>,
}

impl Unsupported {
    pub fn parse(list: &str) -> Unsupported {
        let entries = list
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (id, why) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
                (id.to_string(), why.trim().to_string())
            })
            .collect();
        Unsupported { entries }
    }

    /// The ids of the report's failures (`FAIL <id>: …`).
    pub fn failing_ids(report: &Report) -> Vec<String> {
        report
            .failures
            .iter()
            .map(|f| {
                let rest = f.trim_start_matches("FAIL ");
                rest.split(": ").next().unwrap_or(rest).to_string()
            })
            .collect()
    }

    /// `Err` naming the unlisted failures or the listed cases that now pass.
    pub fn check(&self, report: &Report, list_name: &str) -> Result<(), String> {
        let failing = Self::failing_ids(report);
        let unlisted: Vec<&String> = failing
            .iter()
            .filter(|id| !self.entries.contains_key(*id))
            .collect();
        if !unlisted.is_empty() {
            return Err(format!(
                "failing cases not listed in {list_name}: {unlisted:?}"
            ));
        }
        let now_passing: Vec<&String> = self
            .entries
            .keys()
            .filter(|id| !failing.contains(id))
            .collect();
        if !now_passing.is_empty() {
            return Err(format!(
                "cases listed in {list_name} now pass; remove them: {now_passing:?}"
            ));
        }
        Ok(())
    }
}
