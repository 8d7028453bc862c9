//! Runner for the `legacy/` fixtures: pre-spec-13 RapidPro definitions migrated to spec
//! 13.0.0 (`flows.json` whole definitions; `actions.json`, `tests.json`, `rulesets.json`
//! wrapped in the holder definitions of `_holders.json`) and legacy expressions migrated
//! then evaluated (`legacy_expressions.json`). UUIDs come from `SeededUuids::new(123456)`
//! per case, as in goflow's tests.

use std::path::Path;
use std::sync::Arc;

use atende_engine::legacy::{migrate_legacy, migrate_template_with, MigrateOptions};
use atende_engine::services::SeededUuids;
use atende_excellent::{Environment, Evaluator, Object, Pcg, Value};
use serde_json::{json, Value as Json};

use super::{first_difference, read_json};
use crate::{CorpusError, Report};

const MEDIA_URL: &str = "https://myfiles.com";

/// Runs every case file of the folder, checking migrated expressions the way goflow's
/// own test does (see [`run_dir_strict`] for the output comparison).
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    run(dir, false)
}

/// Like [`run_dir`], but a migrated legacy expression must also evaluate without error
/// and render exactly what the old RapidPro evaluator rendered.
pub fn run_dir_strict(dir: &Path) -> Result<Report, CorpusError> {
    run(dir, true)
}

fn run(dir: &Path, strict: bool) -> Result<Report, CorpusError> {
    let mut report = Report::default();
    let holders = read_json(&dir.join("_holders.json"))?;
    let holder = |name: &str| -> String {
        holders["holders"][name]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    for file in [
        "legacy_expressions.json",
        "actions.json",
        "tests.json",
        "rulesets.json",
        "flows.json",
    ] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let cases = read_json(&path)?;
        for (i, case) in cases.as_array().into_iter().flatten().enumerate() {
            let id = format!("{file}#{i}");
            let outcome = match file {
                "legacy_expressions.json" => expression_case(case, strict),
                "actions.json" => action_case(&holder("legacyActionHolderDef"), case),
                "tests.json" => test_case(&holder("legacyTestHolderDef"), case),
                "rulesets.json" => ruleset_case(&holder("legacyRuleSetHolderDef"), case),
                _ => flow_case(case),
            };
            match outcome {
                Ok(()) => report.pass(),
                Err(why) => report.fail(&id, why),
            }
        }
    }
    Ok(report)
}

/// Fills Go `%s` placeholders in order.
fn fill(template: &str, values: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = template;
    for v in values {
        match rest.find("%s") {
            Some(i) => {
                out.push_str(&rest[..i]);
                out.push_str(v);
                rest = &rest[i + 2..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

fn migrate_holder(text: &str) -> Result<Json, String> {
    let legacy: Json = serde_json::from_str(text).map_err(|e| format!("holder JSON: {e}"))?;
    let mut uuids = SeededUuids::new(123456);
    migrate_legacy(legacy, MEDIA_URL, &mut uuids).map_err(|e| e.to_string())
}

fn compare(what: &str, expected: &Json, actual: &Json) -> Result<(), String> {
    match first_difference(expected, actual) {
        None => Ok(()),
        Some(d) => Err(format!("{what}{}", d.trim_start_matches('$'))),
    }
}

fn action_case(holder: &str, case: &Json) -> Result<(), String> {
    let flow_type = case["legacy_flow_type"].as_str().unwrap_or("F");
    let action = case["legacy_action"].to_string();
    let flow = migrate_holder(&fill(holder, &[flow_type, &action]))?;
    compare(
        "$.action",
        &case["expected_action"],
        &flow["nodes"][0]["actions"][0],
    )?;
    compare(
        "$.localization",
        &case["expected_localization"],
        &flow["localization"],
    )
}

fn test_case(holder: &str, case: &Json) -> Result<(), String> {
    let test = case["legacy_test"].to_string();
    let flow = migrate_holder(&fill(holder, &[&test]))?;
    let node = &flow["nodes"][0];
    let actual = &node["router"]["cases"][0];
    compare("$.case", &case["expected_case"], actual)?;
    compare(
        "$.localization",
        &case["expected_localization"],
        &flow["localization"],
    )?;
    if let Some(ui) = case.get("expected_ui") {
        let node_uuid = node["uuid"].as_str().unwrap_or_default();
        let case_uuid = actual["uuid"].as_str().unwrap_or_default();
        compare(
            "$.ui",
            ui,
            &flow["_ui"]["nodes"][node_uuid]["config"]["cases"][case_uuid],
        )?;
    }
    Ok(())
}

fn ruleset_case(holder: &str, case: &Json) -> Result<(), String> {
    let rs = &case["legacy_ruleset"];
    let flow = migrate_holder(&fill(holder, &[&rs.to_string()]))?;
    let uuid = rs["uuid"].as_str().unwrap_or_default();
    let node = flow["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["uuid"] == uuid)
        .cloned()
        .unwrap_or(Json::Null);
    compare("$.node", &case["expected_node"], &node)?;
    compare(
        "$.localization",
        &case["expected_localization"],
        &flow["localization"],
    )?;
    if let Some(ui) = case.get("expected_ui") {
        compare("$.ui", ui, &flow["_ui"]["nodes"][uuid])?;
    }
    Ok(())
}

fn flow_case(case: &Json) -> Result<(), String> {
    let mut uuids = SeededUuids::new(123456);
    let flow =
        migrate_legacy(case["legacy"].clone(), MEDIA_URL, &mut uuids).map_err(|e| e.to_string())?;
    compare("$", &case["expected"], &flow)
}

/// A tree of context values under construction, keyed by the migrated path.
#[derive(Default)]
struct Node {
    value: Option<Value>,
    default: Option<Value>,
    children: Vec<(String, Node)>,
}

impl Node {
    fn child(&mut self, key: &str) -> &mut Node {
        let i = match self.children.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.children.push((key.to_string(), Node::default()));
                self.children.len() - 1
            }
        };
        &mut self.children[i].1
    }

    fn build(self) -> Value {
        if self.children.is_empty() {
            if let Some(v) = self.value {
                return v;
            }
        }
        if self.children.is_empty() && self.default.is_none() {
            return Value::Null;
        }
        let mut o = match self.default {
            Some(d) => Object::with_default(d),
            None => Object::new(),
        };
        for (k, n) in self.children {
            o.insert(Arc::<str>::from(k.as_str()), n.build());
        }
        Value::Object(Arc::new(o))
    }
}

/// Puts each legacy context value where its migrated path says it lives now.
fn place(root: &mut Node, parts: &[String], json: &Json) {
    if let Json::Object(map) = json {
        for (k, v) in map {
            if k == "*" {
                if let Some(n) = target(root, parts) {
                    n.default = Some(atende_excellent::value::from_json(v));
                }
            } else {
                let mut p = parts.to_vec();
                p.push(k.to_lowercase());
                place(root, &p, v);
            }
        }
        if map.is_empty() {
            if let Some(n) = target(root, parts) {
                n.value = Some(Value::Object(Arc::new(Object::new())));
            }
        }
        return;
    }
    if let Some(n) = target(root, parts) {
        n.value = Some(atende_excellent::value::from_json(json));
    }
}

fn target<'a>(root: &'a mut Node, parts: &[String]) -> Option<&'a mut Node> {
    if parts.is_empty() {
        return None;
    }
    let (text, _) = atende_engine::legacy::expressions::migrate_path(parts);
    if !text
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    let mut n = root;
    for p in text.split('.') {
        n = n.child(p);
    }
    Some(n)
}

fn expression_case(case: &Json, strict: bool) -> Result<(), String> {
    let template = case["template"].as_str().unwrap_or_default();
    let url_encode = case["url_encode"].as_bool().unwrap_or(false);
    let migrated = migrate_template_with(template, MigrateOptions { url_encode });
    let ctx = &case["context"];
    let tz = ctx["timezone"].as_str().unwrap_or("UTC");
    let env = Environment::from_json(&json!({"date_format": "DD-MM-YYYY", "timezone": tz}))
        .map_err(|e| e.to_string())?;
    let mut root = Node::default();
    if let Some(vars) = ctx["variables"].as_object() {
        for (k, v) in vars {
            place(&mut root, &[k.to_lowercase()], v);
        }
    }
    // the names a migrated template may refer to exist even when the case gives no value,
    // so a missing variable is an error rather than literal text
    for name in [
        "contact",
        "fields",
        "results",
        "input",
        "urns",
        "legacy_extra",
    ] {
        root.child(name);
    }
    let root = root.build();
    let now: jiff::Timestamp = ctx["now"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| "2025-05-04T12:30:45.123456789Z".parse().unwrap_or_default());
    let mut random = Pcg::new(123456, 123456);
    let mut ev = Evaluator::new(&env, &root, now, &mut random);
    let rendered = ev.template(&migrated);
    let expect_errors = case["errors"].as_array().is_some_and(|e| !e.is_empty());
    if expect_errors {
        if rendered.errors.is_empty() {
            return Err(format!(
                "$.errors: expected errors got none (migrated {migrated:?} → {:?})",
                rendered.text
            ));
        }
        return Ok(());
    }
    // goflow's own test stops here: the old evaluator formatted values differently
    // (TRUE/FALSE, day-first dates, 10 significant digits, fuzzy dates), so a migrated
    // template is only required to fail where the legacy one failed. The checks below
    // (no error, same text) are the strict mode, which measures how close we are.
    if !strict {
        return Ok(());
    }
    if !rendered.errors.is_empty() {
        return Err(format!(
            "$.errors: expected none got {:?} (migrated {migrated:?})",
            rendered.errors
        ));
    }
    if case.get("output_regex").is_some() {
        return if rendered.text.is_empty() {
            Err("$.output: empty".into())
        } else {
            Ok(())
        };
    }
    let expected = case["output"].as_str().unwrap_or_default();
    if rendered.text != expected {
        return Err(format!(
            "$.output: expected {expected:?} got {:?} (migrated {migrated:?})",
            rendered.text
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_in_order() {
        assert_eq!(fill("a %s b %s", &["1", "2"]), "a 1 b 2");
    }
}
