//! Runner for the `migrations/` fixtures: each `<version>.json` is a list of
//! `{description, original, migrated}`; `original` is migrated up to that version (only
//! migrations ≤ it run) with UUIDs seeded 123456, and must equal `migrated`.

use std::path::Path;

use atende_engine::migrations::{compare_versions, migrate};
use atende_engine::services::SeededUuids;
use serde_json::Value as Json;

use super::{first_difference, read_json};
use crate::{CorpusError, Report};

/// Runs every case file of the folder, in version order.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CorpusError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<(String, std::path::PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter_map(|p| {
            let version = p.file_name()?.to_str()?.strip_suffix(".json")?.to_string();
            Some((version, p))
        })
        .collect();
    files.sort_by(|a, b| compare_versions(&a.0, &b.0).unwrap_or_else(|| a.0.cmp(&b.0)));
    let mut report = Report::default();
    for (version, path) in files {
        let file = format!("{version}.json");
        let cases = read_json(&path)?;
        let Some(cases) = cases.as_array() else {
            report.fail(&file, "$: expected a list of cases");
            continue;
        };
        for (i, case) in cases.iter().enumerate() {
            let id = format!("{file}#{i}");
            match check_case(case, &version) {
                Ok(()) => report.pass(),
                Err(why) => report.fail(&id, why),
            }
        }
    }
    Ok(report)
}

/// Migrates one case's `original` to `version` and compares it with `migrated`.
fn check_case(case: &Json, version: &str) -> Result<(), String> {
    let original = case.get("original").cloned().ok_or("$.original: missing")?;
    let expected = case.get("migrated").ok_or("$.migrated: missing")?;
    let mut uuids = SeededUuids::new(123456);
    let actual = migrate(original, Some(version), &mut uuids).map_err(|e| e.to_string())?;
    match first_difference(expected, &actual) {
        None => Ok(()),
        Some(diff) => Err(diff),
    }
}
