//! Runner for Excellent template cases (`shared/corpus/goflow/expressions/*.jsonl`).
//!
//! Each case names a context file (relative to the case file's folder) holding the
//! environment, the frozen `now`, optional locations and LLM prompts, and the context
//! root in the typed encoding. The random source is re-seeded with PCG(123456, 123456)
//! before every case, as the corpus was produced.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use atende_excellent::locations::Location;
use atende_excellent::value::{from_typed_json, to_typed_json};
use atende_excellent::{Environment, Evaluator, Pcg, Template, Value};
use serde_json::Value as Json;

use crate::{CorpusError, Report};

/// What the runner compares besides the rendered text and the error flag.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Also compare goflow's exact error messages (`error_message`).
    pub strict: bool,
}

/// A loaded context file: everything a case needs to evaluate.
pub struct CaseContext {
    pub env: Environment,
    pub now: jiff::Timestamp,
    pub root: Value,
}

impl CaseContext {
    /// Reads a context file in the corpus format.
    pub fn load(path: &Path) -> Result<CaseContext, CorpusError> {
        let text = std::fs::read_to_string(path).map_err(|source| CorpusError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let malformed = |message: String| CorpusError::Malformed {
            path: path.to_path_buf(),
            line: 0,
            message,
        };
        let json: Json = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
        Self::from_json(&json).map_err(malformed)
    }

    pub fn from_json(json: &Json) -> Result<CaseContext, String> {
        let mut env = match json.get("env") {
            Some(e) => Environment::from_json(e).map_err(|e| e.to_string())?,
            None => Environment::default(),
        };
        if let Some(Json::Array(locs)) = json.get("locations") {
            env.locations = Some(Arc::new(
                locs.iter().filter_map(Location::from_json).collect(),
            ));
        }
        if let Some(Json::Object(prompts)) = json.get("llm_prompts") {
            env.llm_prompts = Arc::new(
                prompts
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect(),
            );
        }
        let now = match json.get("now").and_then(Json::as_str) {
            Some(s) => s.parse().map_err(|e| format!("now: {e}"))?,
            None => jiff::Timestamp::UNIX_EPOCH,
        };
        let root = match json.get("context") {
            Some(c) => from_typed_json(c, "context")?,
            None => Value::Object(Default::default()),
        };
        Ok(CaseContext { env, now, root })
    }

    /// Evaluates a template as the corpus did: text, errors, typed value and the
    /// deprecation warnings rendering it gave.
    pub fn evaluate(&self, template: &str) -> (String, Vec<String>, Value, Vec<String>) {
        let root = &self.root;
        let is_top = |name: &str| match root {
            Value::Object(o) => o.get(name).is_some(),
            _ => false,
        };
        let tpl = Template::parse(template, &is_top);
        let mut random = Pcg::new(123456, 123456);
        let mut ev = Evaluator::new(&self.env, root, self.now, &mut random);
        let rendered = ev.render(&tpl);
        let warnings = std::mem::take(&mut ev.warnings);
        let mut random = Pcg::new(123456, 123456);
        let mut ev = Evaluator::new(&self.env, root, self.now, &mut random);
        let (value, _) = ev.template_value(&tpl);
        (rendered.text, rendered.errors, value, warnings)
    }
}

/// Runs every case of the given files.
pub fn run_files(paths: &[PathBuf], options: Options) -> Result<Report, CorpusError> {
    let mut report = Report::default();
    let mut contexts: HashMap<PathBuf, Arc<CaseContext>> = HashMap::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| CorpusError::Io {
            path: path.clone(),
            source,
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let malformed = |message: String| CorpusError::Malformed {
                path: path.clone(),
                line: n + 1,
                message,
            };
            let case: Json = serde_json::from_str(line).map_err(|e| malformed(e.to_string()))?;
            let id = case
                .get("id")
                .and_then(Json::as_str)
                .unwrap_or("?")
                .to_string();
            let Some(template) = case.get("template").and_then(Json::as_str) else {
                return Err(malformed("case has no \"template\"".into()));
            };
            let ctx_path = match case.get("context").and_then(Json::as_str) {
                Some(p) => dir.join(p),
                None => return Err(malformed("case has no \"context\"".into())),
            };
            let ctx = match contexts.get(&ctx_path) {
                Some(c) => c.clone(),
                None => {
                    let c = Arc::new(CaseContext::load(&ctx_path)?);
                    contexts.insert(ctx_path.clone(), c.clone());
                    c
                }
            };
            match check_case(&ctx, template, &case, options) {
                None => report.pass(),
                Some(why) => report.fail(&id, format!("{template} — {why}")),
            }
        }
    }
    Ok(report)
}

/// Compares one case; `Some(difference)` when it fails.
fn check_case(ctx: &CaseContext, template: &str, case: &Json, options: Options) -> Option<String> {
    let (text, errors, value, warnings) = ctx.evaluate(template);
    let expected = case.get("expected").and_then(Json::as_str).unwrap_or("");
    let want_error = case.get("error").and_then(Json::as_bool).unwrap_or(false);
    if text != expected {
        let mut why = format!("expected {expected:?} got {text:?}");
        if !errors.is_empty() {
            why.push_str(&format!(" (errors: {})", errors.join(", ")));
        }
        return Some(why);
    }
    if want_error == errors.is_empty() {
        return Some(if want_error {
            format!(
                "expected an error ({}) got none",
                case.get("error_message")
                    .and_then(Json::as_str)
                    .unwrap_or("")
            )
        } else {
            format!("expected no error got {}", errors.join(", "))
        });
    }
    if options.strict && want_error {
        let unstable = case.get("error_message_unstable").and_then(Json::as_bool) == Some(true);
        if let Some(msg) = case.get("error_message").and_then(Json::as_str) {
            let got = errors.join(", ");
            if !unstable && msg != got {
                return Some(format!("expected error {msg:?} got {got:?}"));
            }
        }
    }
    if let Some(want) = case.get("warnings").and_then(Json::as_array) {
        let want: Vec<&str> = want.iter().filter_map(Json::as_str).collect();
        if want != warnings {
            return Some(format!("expected warnings {want:?} got {warnings:?}"));
        }
    }
    if let Some(want) = case.get("value") {
        let random = case.get("random").and_then(Json::as_bool) == Some(true);
        let got = to_typed_json(&value);
        let errors_only = want.get("error").is_some() && got.get("error").is_some();
        if !random && !errors_only && !typed_equal(want, &got) {
            return Some(format!("expected value {want} got {got}"));
        }
        if errors_only && options.strict && want != &got {
            return Some(format!("expected value {want} got {got}"));
        }
    }
    None
}

/// Typed JSON equality that reads numbers as decimals (`"1.50"` = `"1.5"`).
fn typed_equal(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            if let (Some(Json::String(m)), Some(Json::String(n))) =
                (x.get("number"), y.get("number"))
            {
                return atende_excellent::value::parse_decimal(m)
                    == atende_excellent::value::parse_decimal(n);
            }
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| typed_equal(v, w)))
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| typed_equal(v, w))
        }
        _ => a == b,
    }
}
