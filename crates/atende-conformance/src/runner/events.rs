//! Runner for the `events/` fixtures: goflow's reference JSON of each event type, one
//! event per `<name>.json` (not a replay). Each must fit the engine's catalogue of event
//! types (`atende_engine::events::catalogue`: a known type, known fields of the right
//! kinds, the required ones there) and read back into an [`Event`] that writes the same
//! JSON.

use std::path::Path;

use atende_engine::events::Event;

use super::{first_difference, read_json};
use crate::{CorpusError, Report};

/// Checks every `*.json` of the folder, in name order.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CorpusError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut report = Report::default();
    for path in files {
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let json = read_json(&path)?;
        match Event::from_json(&json) {
            Err(problems) => report.fail(&id, problems.join("; ")),
            Ok(event) => match first_difference(&json, &event.to_json()) {
                None => report.pass(),
                Some(diff) => report.fail(&id, format!("written back differently: {diff}")),
            },
        }
    }
    Ok(report)
}
