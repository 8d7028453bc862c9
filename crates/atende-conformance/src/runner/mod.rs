//! Runners for goflow's flow-run fixtures (`shared/corpus/goflow/runner/<folder>`),
//! dispatched by folder name. Each folder's layout is documented in that corpus's
//! README.md; every runner returns a [`Report`] whose failure lines read
//! `FAIL <file>#<case>: <first difference as a JSON path>`.

use std::path::Path;

use serde_json::Value as Json;

use crate::{CorpusError, Report};

pub mod actions;
pub mod events;
pub mod flows;
pub mod legacy;
pub mod migrations;
pub mod modifiers;
pub mod resumes;
pub mod routers;
pub mod stubs;
pub mod triggers;

/// Runs one fixture folder, choosing the runner by the folder's name.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    match name {
        "migrations" => migrations::run_dir(dir),
        "legacy" => legacy::run_dir(dir),
        "flows" => flows::run_dir(dir),
        "actions" => actions::run_dir(dir),
        "routers" => routers::run_dir(dir),
        "resumes" => resumes::run_dir(dir),
        "triggers" => triggers::run_dir(dir),
        "modifiers" => modifiers::run_dir(dir),
        "events" => events::run_dir(dir),
        other => {
            let mut report = Report::default();
            report.fail(
                other,
                format!(
                    "no runner for fixture folder '{other}' yet (supported: actions, events, flows, legacy, migrations, modifiers, resumes, routers, triggers)"
                ),
            );
            Ok(report)
        }
    }
}

/// Reads a JSON file, naming it in the error.
pub fn read_json(path: &Path) -> Result<Json, CorpusError> {
    let text = std::fs::read_to_string(path).map_err(|source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&finite_numbers(&text)).map_err(|e| CorpusError::Malformed {
        path: path.to_path_buf(),
        line: e.line(),
        message: e.to_string(),
    })
}

/// What a bare `Infinity`/`-Infinity`/`NaN` number token is read as: the largest finite
/// number of that sign (`NaN` as positive).
const NON_FINITE_AS: [(&str, &str); 3] = [
    ("-Infinity", "-1.7976931348623157e308"),
    ("Infinity", "1.7976931348623157e308"),
    ("NaN", "1.7976931348623157e308"),
];

/// JSON has no non-finite numbers, but Go's fixtures may hold the bare tokens `Infinity`,
/// `-Infinity` and `NaN` where a number goes (goflow's test of an out-of-range airtime
/// amount). Outside strings they are rewritten as the largest finite number of that
/// sign, which still parses and which no reader in the engine accepts (no decimal holds
/// it), so the fixture's read error is reproduced instead of the file being unreadable.
/// Text inside strings is never touched.
pub fn finite_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("Infinity") && !text.contains("NaN") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if let Some((token, number)) =
            NON_FINITE_AS.iter().find(|(t, _)| rest.starts_with(t))
        {
            out.push_str(number);
            rest = &rest[token.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// The first difference between two JSON values, as a JSON path (`$.nodes[0].uuid`),
/// with both sides; `None` when equal. Object key order does not matter.
pub fn first_difference(expected: &Json, actual: &Json) -> Option<String> {
    fn walk(path: &mut String, e: &Json, a: &Json) -> Option<String> {
        match (e, a) {
            (Json::Object(x), Json::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    let r = match (x.get(k), y.get(k)) {
                        (Some(v), Some(w)) => walk(path, v, w),
                        (Some(v), None) => Some(format!("{path}: expected {v} got nothing")),
                        (None, Some(w)) => Some(format!("{path}: expected nothing got {w}")),
                        (None, None) => None,
                    };
                    path.truncate(len);
                    if r.is_some() {
                        return r;
                    }
                }
                None
            }
            (Json::Array(x), Json::Array(y)) => {
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    let r = walk(path, v, w);
                    path.truncate(len);
                    if r.is_some() {
                        return r;
                    }
                }
                if x.len() != y.len() {
                    return Some(format!(
                        "{path}: expected {} items got {}",
                        x.len(),
                        y.len()
                    ));
                }
                None
            }
            _ if e == a => None,
            _ => Some(format!("{path}: expected {e} got {a}")),
        }
    }
    walk(&mut "$".to_string(), expected, actual)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_finite_numbers_read_outside_strings_only() {
        let text = r#"{"a": Infinity, "b": [-Infinity, NaN], "c": "NaN \" Infinity"}"#;
        let json: Json = serde_json::from_str(&finite_numbers(text)).unwrap();
        assert_eq!(json["a"], json!(f64::MAX));
        assert_eq!(json["b"], json!([f64::MIN, f64::MAX]));
        assert_eq!(json["c"], json!("NaN \" Infinity"));
        assert!(matches!(
            finite_numbers("[1]"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn differences_are_json_paths() {
        assert_eq!(
            first_difference(&json!({"a": [1, 2]}), &json!({"a": [1, 2]})),
            None
        );
        assert_eq!(
            first_difference(&json!({"a": [1, {"b": 2}]}), &json!({"a": [1, {"b": 3}]})).unwrap(),
            "$.a[1].b: expected 2 got 3"
        );
        assert_eq!(
            first_difference(&json!({"a": 1}), &json!({})).unwrap(),
            "$.a: expected 1 got nothing"
        );
    }
}
