//! Inputs for the benchmarks, read from `../shared/corpus/bench`.
//!
//! The Excellent benchmark evaluates goflow's 11 benchmark templates against the
//! bench contact (`case.json`) with its field definitions (`assets.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atende_engine::contact::{Contact, FieldDef};
use atende_excellent::{Environment, Object, Value};
use serde_json::Value as Json;

/// The bench corpus folder, if present.
pub fn bench_dir() -> Option<PathBuf> {
    atende_conformance::shared_corpus_dir().map(|c| c.join("bench"))
}

/// The benchmark templates (`templates.txt`, comments and blank lines dropped).
pub fn templates(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("templates.txt"))
        .expect("templates.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The environment and context root for the bench contact, built by the engine's
/// contact context (`atende_engine::contact`).
pub fn context(dir: &Path) -> (Environment, Value) {
    let read = |name: &str| -> Json {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect(name)).expect(name)
    };
    let case = read("case.json");
    let assets = read("assets.json");
    let contact = Contact::from_json(&case["contact"]).expect("bench contact");
    let defs: Vec<FieldDef> =
        serde_json::from_value(assets["fields"].clone()).expect("bench field definitions");

    let mut env = Environment::default();
    if let Ok(z) = jiff::tz::TimeZone::get(&contact.timezone) {
        env.timezone = z;
        env.timezone_name = contact.timezone.clone();
    }
    let mut root = Object::new();
    root.insert("contact", contact.context(&defs));
    root.insert("fields", contact.fields_context(&defs));
    root.insert("urns", contact.urns_context());
    root.insert("results", Value::Object(Arc::new(Object::new())));
    root.insert("globals", Value::Object(Arc::new(Object::new())));
    (env, Value::Object(Arc::new(root)))
}

/// The instant the benchmarks freeze `now()` at.
pub fn now() -> jiff::Timestamp {
    "2018-04-11T18:24:30.123456Z".parse().expect("timestamp")
}
